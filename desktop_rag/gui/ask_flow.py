"""Asking in the window: the ask lane's warm model, a question in flight, Stop, exports
and the chats list.

A part of MainWindow (a mixin): its strings keep the "MainWindow" translation context."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication

from desktop_rag.core.answers import qa
from desktop_rag.core.config import Settings
from desktop_rag.core.errors import UserError
from desktop_rag.core.library import Library, LibraryReader
from desktop_rag.gui.answer_export import finished_exchanges
from desktop_rag.gui.messages import describe
from desktop_rag.gui.workers import Task

translate = QCoreApplication.translate


class _AskState:
    """What lives on the ask lane: the library reader and the warm LLM."""

    def __init__(self) -> None:
        self.reader: LibraryReader | None = None
        self.library: Library | None = None
        self.generator: Any = None
        self.model_ref: tuple[str, int, int] | None = None
        self.no_model_reason = ""


def _freeze_loaded_objects() -> None:
    """Keep the half-million objects the models bring with them (torch, transformers,
    llama.cpp) out of the garbage collector's sight: every full collection walks them all
    with Python's lock held, about 200 ms here, and the window freezes for that long."""
    if gc.get_freeze_count():
        gc.collect()  # cheap once the bulk is frozen, and later garbage is not frozen for good
    gc.freeze()


class AskFlowMixin:
    """Questions and answers on the ask lane, exports and chats."""

    def _warm_up(self) -> None:
        """Load the embedder and the LLM on the ask lane while the user looks around."""
        self.model_label.setText(translate("MainWindow", "Model: loading…"))
        state, settings = self._ask_state, self.settings

        def work(_task: Task) -> str:
            self._ensure_generator(state, settings)
            return state.generator.info.name if state.generator else ""

        self.ask_lane.submit(
            work,
            on_result=self._model_ready,
            on_error=self._model_error,
            on_done=_freeze_loaded_objects,
            name="warm-up",
        )

    def _model_ready(self, name: str) -> None:
        self.model_name = name
        if name:
            if name.endswith(" (bundled)"):  # the core's English name for the bundled model
                name = translate("MainWindow", "{name} (bundled)").format(
                    name=name.removesuffix(" (bundled)")
                )
            self.model_label.setText(translate("MainWindow", "Model: {name}").format(name=name))
        else:
            reason = self._ask_state.no_model_reason
            self.model_label.setText(translate("MainWindow", "Model: none (passages only)"))
            self.model_label.setToolTip(reason)

    def _model_error(self, exc: Exception) -> None:
        message, _ = describe(exc)
        self.model_name = ""
        self.model_label.setText(translate("MainWindow", "Model: unavailable (passages only)"))
        self.model_label.setToolTip(message)

    @staticmethod
    def _ensure_generator(state: _AskState, settings: Settings) -> None:
        from desktop_rag.core.answers.generation import Generator
        from desktop_rag.core.answers.models import resolve_llm

        try:
            path = resolve_llm(settings.llm_path)
        except UserError as exc:
            state.generator, state.no_model_reason = None, exc.message
            return
        key = (str(path), settings.context_size, settings.threads)
        if state.model_ref != key:
            if state.generator is not None:
                state.generator.close()
            state.generator = None
            state.model_ref = key
            try:
                state.generator = Generator(path, settings.context_size, settings.threads)
                state.generator.load()
                qa.warm(state.generator)
                state.no_model_reason = ""
            except UserError as exc:
                state.generator, state.no_model_reason = None, exc.message

    def ask(self, question: str) -> None:
        lib = self.library
        if lib is None:
            self.statusBar().showMessage(
                translate("MainWindow", "The library is still opening; try again in a moment."),
                5000,
            )
            return
        if self._ask_task is not None:  # a new question replaces the one in flight
            self._ask_task.cancel.cancel()
            self._mark_stopped()
        state, settings, chat_id = self._ask_state, self.settings, self.chat_id
        scope = self.scope

        def work(task: Task) -> qa.Answer:
            from desktop_rag.core.answers.respond import respond

            self._prepare_ask_lane(state, lib, settings)
            history = qa.previous_questions(state.reader.store, chat_id)
            pending, total = state.reader.pending_embeddings()
            result = respond(
                state.reader,
                question,
                state.generator,
                scope=self.resolve_scope(state.reader.store, scope),
                progress=task.report,
                top_k=settings.top_k,
                max_answer_tokens=settings.max_answer_tokens,
                temperature=settings.temperature,
                history=history,
                previous=qa.previous_sources(state.reader.store, chat_id),
                on_text=task.emit_text,
                cancel=task.cancel,
                no_model_reason=state.no_model_reason,
            )
            # what is indexed so far answered (a search's answer: the catalog and summaries
            # do not search by meaning): keywords for every passage
            if pending and result.retrieval_query:
                result.checks["meaning_pending"] = pending
                partial = translate(
                    "MainWindow",
                    "Meaning search is still partial: {pending} of {total} passages are found "
                    "by their words only while their meaning is being indexed.",
                ).format(pending=f"{pending:,}", total=f"{total:,}")
                result.note = f"{result.note} {partial}".strip()
            return qa.save_exchange(state.reader.store, chat_id, result)

        self._start_answer(question, work, "ask")

    def _start_answer(self, question: str, work: Callable[[Task], qa.Answer], name: str) -> None:
        """Show the question and run `work` on the ask lane, its text streaming into the chat."""
        self.chat_view.begin(question)
        self._set_answering(True)
        self._ask_task = self.ask_lane.submit(
            work,
            on_text=self.chat_view.append_text,
            on_progress=self.chat_view.progress.report,
            on_result=self._answered,
            on_error=self._ask_failed,
            name=name,
        )

    def _prepare_ask_lane(self, state: _AskState, lib: Library, settings: Settings) -> None:
        """On the ask lane: a reader of the current library and the warm model."""
        if state.reader is None or state.library is not lib:
            if state.reader is not None:
                state.reader.close()
            state.reader, state.library = lib.reader(), lib
        self._ensure_generator(state, settings)

    def _answered(self, result: qa.Answer) -> None:
        self._ask_task = None
        self._set_answering(False)
        self.chat_id = result.chat_id
        answer = result.to_dict()
        self.chat_view.finish(answer)
        self.refresh_chats()

    def _ask_failed(self, exc: Exception) -> None:
        self._ask_task = None
        self._set_answering(False)
        message, hint = describe(exc)
        self.chat_view.finish(
            {"text": f"{message} {hint}".strip(), "status": "error", "sources": []}
        )

    def stop_answer(self) -> None:
        if self._ask_task is not None:
            self._ask_task.cancel.cancel()
            self._ask_task = None
            self._mark_stopped()
            self._set_answering(False)

    def _set_answering(self, answering: bool) -> None:
        """Stop (button, menu and Esc) works only while an answer is on its way."""
        self.chat_view.set_busy(answering)
        self.stop_action.setEnabled(answering)
        if not answering:
            self.chat_view.progress.hide()

    def _mark_stopped(self) -> None:
        if self.chat_view.exchanges:
            answer = self.chat_view.exchanges[-1]["answer"] or {}
            answer = {**answer, "streaming": False, "status": "cancelled"}
            self.chat_view.finish(answer)

    def export_answer(self, index: int) -> None:
        """Export one answer of the chat shown, with its sources, as PDF or Markdown."""
        exchanges = finished_exchanges(self.chat_view.exchanges[index : index + 1])
        title = exchanges[0].question[:120] if exchanges else ""
        self.exporter.ask_and_export(exchanges, title, self._library_name())

    def export_last_answer(self) -> None:
        view = self.chat_view
        done = [i for i in range(len(view.exchanges)) if view.finished(i)]
        if not done:
            self._status_message(translate("MainWindow", "There is no answer to export yet."), 5000)
            return
        self.export_answer(done[-1])

    def export_chat(self) -> None:
        """Export every answered question of the chat shown."""
        exchanges = finished_exchanges(self.chat_view.exchanges)
        title = ""
        if self.view_store is not None and self.chat_id is not None:
            chat = self.view_store.chat(self.chat_id)
            title = chat["title"] if chat else ""
        title = title or (exchanges[0].question[:120] if exchanges else "")
        self.exporter.ask_and_export(exchanges, title, self._library_name())

    def _library_name(self) -> str:
        return self.library.name if self.library is not None else ""

    def refresh_chats(self) -> None:
        if self.view_store is not None:
            self.chat_list.set_chats(self.view_store.chats(), self.chat_id)

    def open_chat(self, chat_id: int) -> None:
        if self.view_store is None:
            return
        self.stop_answer()
        self.chat_id = chat_id
        self.chat_view.load(self.view_store.messages(chat_id))

    def new_chat(self) -> None:
        self.stop_answer()
        self.chat_id = None
        self.chat_view.load([])
        self.refresh_chats()
        self.chat_view.question.setFocus()

    def delete_chat(self, chat_id: int) -> None:
        state = self._ask_state
        lib = self.library
        if lib is None:
            return

        def work(_task: Task) -> None:
            if state.reader is None or state.library is not lib:
                state.reader, state.library = lib.reader(), lib
            state.reader.store.delete_chat(chat_id)

        if chat_id == self.chat_id:
            self.new_chat()
        self.ask_lane.submit(work, on_result=lambda _r: self.refresh_chats(), on_error=self._error)
