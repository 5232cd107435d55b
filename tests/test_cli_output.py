"""`desktop-rag ask` shows its answer once: streamed, then replaced in place on a terminal by
the text with the citations the check added."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest

from desktop_rag.cli.ask import StreamedAnswer, terminal_rows

STREAMED = "The Harwick Bridge opened in 1887. 하윅 다리의 길이는 412미터입니다. It is long."
FINAL = "The Harwick Bridge opened in 1887 [1]. 하윅 다리의 길이는 412미터입니다 [1]. It is long."


class Screen(io.StringIO):
    """Just enough of a terminal: it wraps at `columns` (wide characters take two cells) and
    understands carriage return, newline, cursor up (ESC [n A) and erase below (ESC [J)."""

    def __init__(self, columns: int) -> None:
        super().__init__()
        self.columns = columns
        self.cells: list[list[str]] = [[]]
        self.row = 0
        self.col = 0

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        i = 0
        while i < len(text):
            escape = re.match(r"\x1b\[(\d*)([AJ])", text[i:])
            if escape:
                n = int(escape.group(1) or 1)
                if escape.group(2) == "A":
                    self.row = max(0, self.row - n)
                else:
                    del self.cells[self.row][self.col :]
                    del self.cells[self.row + 1 :]
                i += escape.end()
                continue
            ch = text[i]
            i += 1
            if ch == "\r":
                self.col = 0
            elif ch == "\n":
                self._next_row()
            else:
                width = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
                if self.col + width > self.columns:
                    self._next_row()
                line = self.cells[self.row]
                line[self.col :] = [ch] + [""] * (width - 1)
                self.col += width
        return len(text)

    def _next_row(self) -> None:
        self.row += 1
        self.col = 0
        while len(self.cells) <= self.row:
            self.cells.append([])

    def lines(self) -> list[str]:
        return ["".join(line) for line in self.cells]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "24")
    monkeypatch.setenv("LINES", "40")
    return Screen(24)


def _stream(out, text: str) -> StreamedAnswer:
    printer = StreamedAnswer(out)
    for start in range(0, len(text), 5):  # pieces as a model streams them
        printer.piece(text[start : start + 5])
    return printer


def test_rows_count_wrapped_lines_and_wide_characters():
    assert terminal_rows("abc", 10) == 1
    assert terminal_rows("a" * 10, 10) == 1
    assert terminal_rows("a" * 11, 10) == 2
    assert terminal_rows("한국어 문서", 10) == 2  # 11 columns: Hangul takes two
    assert terminal_rows("one\n\ntwo", 10) == 3


def test_on_a_terminal_the_checked_text_replaces_the_streamed_one(terminal: Screen):
    printer = _stream(terminal, STREAMED)
    assert printer.finish(FINAL)
    screen = "".join(terminal.lines())
    assert screen == FINAL  # nothing of the streamed text is left
    assert screen.count("Harwick") == 1 and screen.count("하윅") == 1


def test_an_unchanged_answer_is_not_written_twice(terminal: Screen):
    printer = _stream(terminal, FINAL)
    assert printer.finish(FINAL)
    assert "\x1b" not in terminal.getvalue()
    assert "".join(terminal.lines()).count("Harwick") == 1


def test_in_a_file_the_streamed_text_stays_and_is_not_repeated():
    out = io.StringIO()
    printer = _stream(out, STREAMED)
    assert not printer.finish(FINAL)
    assert out.getvalue() == STREAMED + "\n"


def test_text_taller_than_the_screen_is_left_as_streamed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "24")
    monkeypatch.setenv("LINES", "3")
    screen = Screen(24)
    printer = _stream(screen, STREAMED)
    assert not printer.finish(FINAL)
    assert "\x1b" not in screen.getvalue()
