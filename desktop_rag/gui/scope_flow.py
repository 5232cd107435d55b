"""Asking within part of the library: a document, some documents or a linked folder, chosen
from the library panel, shown by the chip above the question box, cleared with its ✕.

A part of MainWindow (a mixin): its strings keep the "MainWindow" translation context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication

from desktop_rag.core.errors import UserError
from desktop_rag.core.storage.store import Store

translate = QCoreApplication.translate


class ScopeFlowMixin:
    """The window's scope: None (the whole library), {"ids": [...]} or {"folder": path}."""

    def ask_in_documents(self, ids: list[int]) -> None:
        if self.view_store is None or not ids:
            return
        titles = []
        for doc_id in ids:
            doc = self.view_store.document(doc_id)
            if doc is not None:
                titles.append(doc["title"] or Path(doc["path"]).name)
        if not titles:
            return
        self.scope = {"ids": list(ids)}
        text = (
            translate("MainWindow", "Asking in “{name}”").format(name=_short(titles[0]))
            if len(titles) == 1
            else translate("MainWindow", "Asking in {n} documents").format(n=len(titles))
        )
        self.chat_view.scope_chip.show_scope(text, "\n".join(titles))
        self.chat_view.question.setFocus()

    def ask_in_folder(self, folder: str) -> None:
        self.scope = {"folder": folder}
        name = Path(folder).name or folder
        text = translate("MainWindow", "Asking in the folder “{name}”").format(name=_short(name))
        self.chat_view.scope_chip.show_scope(text, folder)
        self.chat_view.question.setFocus()

    def clear_scope(self) -> None:
        self.scope = None
        self.chat_view.scope_chip.hide()
        self.chat_view.question.setFocus()

    @staticmethod
    def resolve_scope(store: Store, scope: dict[str, Any] | None) -> list[int] | None:
        """The document ids a scope means now (documents come and go in a linked folder);
        None for the whole library. An emptied scope is an error the person can act on."""
        if scope is None:
            return None
        from desktop_rag.core.storage.catalog import in_folder, user_documents

        ready = {d["id"]: d for d in user_documents(store)}
        if "folder" in scope:
            ids = [i for i, d in ready.items() if in_folder(d["path"], scope["folder"])]
        else:
            ids = [i for i in scope["ids"] if i in ready]
        if not ids:
            raise UserError(
                "The documents this question is limited to are no longer in the library.",
                "Clear the scope above the question box (✕) to ask the whole library.",
            )
        return ids


def _short(name: str, width: int = 48) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"
