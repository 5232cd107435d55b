"""The source viewer: the cited page rendered with PyMuPDF and the passage highlighted; text
documents shown as text with the passage highlighted."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QRectF, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QImage,
    QPainter,
    QPixmap,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_rag.core.answers.highlight import CONTEXT_RGBA, FOCUS_RGBA, PAD_PIXELS, page_highlights
from desktop_rag.core.documents.loaders import LAYOUT_SUFFIXES
from desktop_rag.core.documents.parts import open_paged, part_name, split_part
from desktop_rag.gui.chat_render import location_text

log = logging.getLogger(__name__)

HIGHLIGHT = QColor(*FOCUS_RGBA)  # the sentences that answer
CONTEXT = QColor(*CONTEXT_RGBA)  # the rest of the cited passage
LAYOUT_KINDS = set(LAYOUT_SUFFIXES.values())


class SourceViewer(QWidget):
    """Shows one page of one document; `show_source` opens a cited passage."""

    message = Signal(str)

    def __init__(
        self, page_text: Any = None, page_label: Any = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._page_text = page_text  # (document_id, page) -> text, for text documents
        self._page_label = page_label  # (document_id, page) -> its location label ("slide 3")
        self.source: dict[str, Any] | None = None
        self.page_number = 1
        self.page_count = 0
        self.zoom = 1.0
        self.fit_width = True
        self._doc: Any = None
        self._doc_path = ""
        self.rendered: QImage | None = None
        self.highlight_rects: list[QRectF] = []

        self.title = QLabel(self.tr("No source open"))
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setObjectName("viewerTitle")
        bar = QHBoxLayout()
        self.prev_btn = self._button("‹", self.tr("Previous page (PgUp)"), self.prev_page)
        self.next_btn = self._button("›", self.tr("Next page (PgDown)"), self.next_page)
        self.page_label = QLabel("")
        self.zoom_out_btn = self._button(
            "−", self.tr("Zoom out (Ctrl+-)"), lambda: self.zoom_by(1 / 1.2)
        )
        self.zoom_in_btn = self._button("+", self.tr("Zoom in (Ctrl++)"), lambda: self.zoom_by(1.2))
        self.fit_btn = self._button("↔", self.tr("Fit width"), self.set_fit_width)
        self.open_btn = self._button(
            self.tr("Open"), self.tr("Open in the system viewer"), self.open_external
        )
        for w in (self.prev_btn, self.page_label, self.next_btn):
            bar.addWidget(w)
        bar.addStretch(1)
        for w in (self.zoom_out_btn, self.zoom_in_btn, self.fit_btn, self.open_btn):
            bar.addWidget(w)

        self.image_label = QLabel()
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.image_label)
        self.text_view = QTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setAcceptRichText(False)
        self.placeholder = QLabel(self.tr("Click a citation such as [1] to see the passage here."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setObjectName("placeholder")
        self.stack = QStackedWidget()
        for w in (self.placeholder, self.scroll, self.text_view):
            self.stack.addWidget(w)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        self._update_controls()

    def _title_text(self) -> str:
        title = (self.source or {}).get("title", "")
        return self.tr("{title} — {where}").format(title=title, where=self._where())

    def _where(self) -> str:
        """The shown page's place: "p. 4", or its label ("slide 3", a sheet's rows)."""
        source = self.source or {}
        label = ""
        if self.page_number == int(source.get("page", 0)):
            label = str(source.get("location") or "")
        elif self._page_label is not None and "document_id" in source:
            label = self._page_label(source["document_id"], self.page_number) or ""
        return location_text(self.page_number, label)

    def _button(self, text: str, tip: str, slot: Any) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.clicked.connect(slot)
        return b

    # --- opening ---

    def show_source(self, source: dict[str, Any]) -> None:
        """Open the source's page with its passage highlighted."""
        self.source = source
        self.page_number = int(source.get("page", 1))
        self.title.setText(self._title_text())
        if source.get("kind") in LAYOUT_KINDS:
            if not self._open_document(source["path"]):
                return
            self.stack.setCurrentWidget(self.scroll)
            self.render_page()
            self._scroll_to_highlight()
        else:
            self._show_text()
        self._update_controls()

    def _open_document(self, path: str) -> bool:
        if self._doc is not None and self._doc_path == path:
            return True
        self.close_document()
        try:
            doc = open_paged(path)  # a file, or an attachment read again from its e-mail
            if doc.needs_pass:
                doc.close()
                raise RuntimeError("the file is protected by a password")
        except Exception as exc:
            name = part_name(path)
            self.message.emit(self.tr("Cannot open {name}: {reason}").format(name=name, reason=exc))
            self.placeholder.setText(
                self.tr(
                    "The file {name} cannot be shown ({reason}). It may have been moved or "
                    "deleted; the indexed text is still searchable."
                ).format(name=name, reason=exc)
            )
            self.stack.setCurrentWidget(self.placeholder)
            return False
        self._doc, self._doc_path = doc, path
        self.page_count = doc.page_count
        return True

    def close_document(self) -> None:
        if self._doc is not None:
            self._doc.close()
        self._doc, self._doc_path, self.page_count = None, "", 0

    def _show_text(self) -> None:
        assert self.source is not None
        text = (
            self._page_text(self.source["document_id"], self.page_number)
            if self._page_text
            else None
        )
        if text is None:
            text = self.source.get("text", "")
        self.text_view.setPlainText(text)
        self.stack.setCurrentWidget(self.text_view)
        start, end = int(self.source.get("char_start", 0)), int(self.source.get("char_end", 0))
        if self.page_number == int(self.source.get("page", 0)) and end > start:
            cursor = QTextCursor(self.text_view.document())
            cursor.setPosition(start)
            cursor.setPosition(min(end, len(text)), QTextCursor.MoveMode.KeepAnchor)
            focus = self.source.get("focus") or []
            selections = [_selection(cursor, CONTEXT if focus else HIGHLIGHT)]
            for a, b in focus:
                c = QTextCursor(self.text_view.document())
                c.setPosition(min(a, len(text)))
                c.setPosition(min(b, len(text)), QTextCursor.MoveMode.KeepAnchor)
                selections.append(_selection(c, HIGHLIGHT))
            self.text_view.setExtraSelections(selections)
            caret = QTextCursor(self.text_view.document())
            caret.setPosition(start)
            self.text_view.setTextCursor(caret)
            self.text_view.ensureCursorVisible()
        else:
            self.text_view.setExtraSelections([])

    # --- rendering ---

    def _scale(self) -> float:
        """Pixels per PDF point: the screen's DPI times the zoom, or what fits the width."""
        dpi = self.logicalDpiX() or 96
        if self.fit_width and self._doc is not None:
            page = self._doc.load_page(self.page_number - 1)
            available = max(200, self.scroll.viewport().width() - 16)
            return available / max(1.0, page.rect.width)
        return self.zoom * dpi / 72.0

    def render_page(self) -> None:
        if self._doc is None:
            return
        import pymupdf

        self.page_number = max(1, min(self.page_number, self.page_count))
        page = self._doc.load_page(self.page_number - 1)
        scale = self._scale()
        ratio = self.devicePixelRatioF() or 1.0
        pix = page.get_pixmap(matrix=pymupdf.Matrix(scale * ratio, scale * ratio), alpha=False)
        image = QImage(
            pix.samples, pix.width, pix.height, pix.stride, QImage.Format.Format_RGB888
        ).copy()
        self.highlight_rects = []
        groups = page_highlights(page, self.page_number, self.source) if self.source else []
        if groups:
            painter = QPainter(image)
            painter.setPen(Qt.PenStyle.NoPen)
            pad = PAD_PIXELS
            for rgba, rects in groups:
                painter.setBrush(QColor(*rgba))
                for rect_points in rects:
                    x0, y0, x1, y1 = (v * scale * ratio for v in rect_points)
                    rect = QRectF(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)
                    painter.drawRect(rect)
                    self.highlight_rects.append(rect)
            painter.end()
        image.setDevicePixelRatio(ratio)
        self.rendered = image
        self.image_label.setPixmap(QPixmap.fromImage(image))
        self._update_controls()

    def _scroll_to_highlight(self) -> None:
        if self.highlight_rects:
            ratio = self.devicePixelRatioF() or 1.0
            y = int(min(r.top() for r in self.highlight_rects) / ratio)
            self.scroll.verticalScrollBar().setValue(max(0, y - 60))

    # --- controls ---

    def zoom_by(self, factor: float) -> None:
        if self._doc is None:
            return
        current = self._scale() * 72.0 / (self.logicalDpiX() or 96)  # what is shown now
        self.fit_width = False
        self.zoom = max(0.25, min(6.0, current * factor))
        self.render_page()

    def set_fit_width(self) -> None:
        self.fit_width = True
        self.render_page()

    def prev_page(self) -> None:
        self._go(self.page_number - 1)

    def next_page(self) -> None:
        self._go(self.page_number + 1)

    def _go(self, number: int) -> None:
        if self.source is None:
            return
        if self._doc is not None:
            if 1 <= number <= self.page_count:
                self.page_number = number
                self.render_page()
                self.scroll.verticalScrollBar().setValue(0)
        elif (
            self._page_text is not None
            and number >= 1
            and self._page_text(self.source["document_id"], number) is not None
        ):
            self.page_number = number
            self._show_text()
        self.title.setText(self._title_text())
        self._update_controls()

    def open_external(self) -> None:
        """The file in the system's viewer (an attachment's e-mail, in the mail program)."""
        if self.source:
            QDesktopServices.openUrl(QUrl.fromLocalFile(split_part(self.source["path"])[0]))

    def _update_controls(self) -> None:
        has = self.source is not None
        layout = self._doc is not None
        self.page_label.setText(
            f"{self.page_number} / {self.page_count}" if layout else (self._where() if has else "")
        )
        for b in (self.prev_btn, self.next_btn, self.open_btn):
            b.setEnabled(has)
        for b in (self.zoom_in_btn, self.zoom_out_btn, self.fit_btn):
            b.setEnabled(layout)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.fit_width and self._doc is not None:
            self.render_page()


def _selection(cursor: QTextCursor, color: QColor) -> QTextEdit.ExtraSelection:
    fmt = QTextCharFormat()
    fmt.setBackground(color)
    selection = QTextEdit.ExtraSelection()
    selection.cursor = cursor  # type: ignore[attr-defined]
    selection.format = fmt  # type: ignore[attr-defined]
    return selection
