"""The Korean window: every window string is translated, the window built in Korean shows no
English in its menus and panels, Hangul has a font, and the command line stays English."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")

ROOT = Path(__file__).resolve().parent.parent
TS = ROOT / "resources" / "translations" / "desktop_rag_ko.ts"
# words that are names, not English: the product, formats, keys, units
ALLOWED = re.compile(
    r"desktop-rag|Ctrl|Shift|PgUp|PgDown|Esc|Enter|PDF|GGUF|gguf|MB|Ollama|LM Studio|GPT4All|"
    r"Jan|Hugging Face|llama\.cpp|CPU|all-MiniLM-L6-v2|sentence-transformers|English|Markdown"
)


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        pytest.skip(f"{name} is not installed (PySide6-Essentials ships it)")
    return found


def _unfinished(ts: Path) -> list[str]:
    out = []
    for message in ET.parse(ts).getroot().iter("message"):
        translation = message.find("translation")
        if (
            translation is None
            or translation.get("type") in ("unfinished", "vanished")
            or not (translation.text or "").strip()
        ):
            out.append(message.findtext("source") or "")
    return out


def test_every_window_string_has_a_korean_translation(tmp_path: Path):
    """lupdate over today's sources finds nothing the committed translation lacks: a string
    added to the window without a Korean translation fails here (make translations-update)."""
    ts = tmp_path / TS.name
    shutil.copy(TS, ts)
    sources = sorted(str(p) for p in (ROOT / "desktop_rag" / "gui").glob("*.py"))
    proc = subprocess.run(
        [_tool("pyside6-lupdate"), "-locations", "none", "-no-obsolete", *sources, "-ts", str(ts)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    missing = _unfinished(ts)
    assert not missing, f"untranslated window strings: {missing}"
    assert len(list(ET.parse(ts).getroot().iter("message"))) > 150
    # placeholders survive translation, or .format() would fail in Korean
    for message in ET.parse(TS).getroot().iter("message"):
        source, text = message.findtext("source") or "", message.findtext("translation") or ""
        assert set(re.findall(r"\{[^}]*\}", source)) == set(re.findall(r"\{[^}]*\}", text)), (
            source,
            text,
        )


WINDOW_TEXTS = textwrap.dedent(
    """
    import json, os, sys
    from PySide6.QtWidgets import (QAbstractButton, QApplication, QLabel, QLineEdit,
        QPlainTextEdit, QTreeWidget)
    from desktop_rag.gui.app import create_app
    from desktop_rag.gui.translation import ensure_hangul_font, install_translation

    app = create_app([])
    language = install_translation(app, "")  # the system locale's language
    family = ensure_hangul_font(app)
    from PySide6.QtGui import QFontDatabase, QRawFont, QFont
    from desktop_rag.gui.main_window import MainWindow

    window = MainWindow()  # no event loop: the library never opens, no model loads
    menus, texts = [], []
    for action in window.menuBar().actions():
        menus.append(action.text())
        for item in action.menu().actions():
            if not item.isSeparator():
                menus.append(item.text())
    for w in window.findChildren(QLabel):
        texts += [w.text(), w.toolTip()]
    for w in window.findChildren(QAbstractButton):
        texts += [w.text(), w.toolTip()]
    for w in window.findChildren(QPlainTextEdit) + window.findChildren(QLineEdit):
        texts.append(w.placeholderText())
    for w in window.findChildren(QTreeWidget):
        header = w.headerItem()
        texts += [header.text(i) for i in range(header.columnCount())]
    korean = QFontDatabase.families(QFontDatabase.WritingSystem.Korean)
    raw = QRawFont.fromFont(QFont(korean[0])) if korean else None
    hangul = bool(raw and raw.supportsCharacter(ord("한")))
    window.close()
    print(json.dumps({"language": language, "menus": menus, "texts": [t for t in texts if t],
                      "hangul": hangul, "title": window.windowTitle()}))
    """
)


@pytest.fixture(scope="module")
def korean_window(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The window built in a Korean session, in its own process (translators are global)."""
    tmp = tmp_path_factory.mktemp("korean")
    qm = TS.with_suffix(".qm")
    if not qm.exists() or qm.stat().st_mtime < TS.stat().st_mtime:  # as `make` builds it
        proc = subprocess.run(
            [_tool("pyside6-lrelease"), str(TS), "-qm", str(qm)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
    env = {
        **os.environ,
        "LANG": "ko_KR.UTF-8",
        "LC_ALL": "ko_KR.UTF-8",
        "LANGUAGE": "ko",
        "QT_QPA_PLATFORM": "offscreen",
        "DESKTOP_RAG_HOME": str(tmp / "home"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", WINDOW_TEXTS],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _english(text: str) -> list[str]:
    """English words left in a text once names and mnemonics are taken out."""
    text = re.sub(r"\(&[A-Z]\)", "", text)
    text = ALLOWED.sub("", text)
    text = re.sub(r"\{[^}]*\}|\[\d+\]", "", text)
    return re.findall(r"[A-Za-z]{2,}", text)


def test_the_korean_window_shows_no_english_in_its_menus(korean_window: dict):
    assert korean_window["language"] == "ko"  # chosen from the system locale
    menus = korean_window["menus"]
    assert "파일(&F)" in menus and "대화 전체 내보내기(&W)…" in menus
    assert len(menus) >= 20
    leftovers = {m: _english(m) for m in menus if _english(m)}
    assert not leftovers, leftovers


def test_the_korean_window_shows_no_english_in_its_panels(korean_window: dict):
    leftovers = {t: _english(t) for t in korean_window["texts"] if _english(t)}
    assert not leftovers, leftovers
    assert "연결된 폴더" in korean_window["texts"]


def test_hangul_has_a_font_even_without_a_system_one(korean_window: dict):
    assert korean_window["hangul"]


def test_the_language_follows_the_setting_then_the_system():
    from desktop_rag.gui.translation import ui_language

    assert ui_language("", "ko_KR") == "ko"
    assert ui_language("", "de_DE") == "en"
    assert ui_language("en", "ko_KR") == "en"
    assert ui_language("ko", "en_US") == "ko"


def test_the_command_line_stays_english_in_a_korean_session(tmp_path: Path):
    env = {**os.environ, "LANG": "ko_KR.UTF-8", "LC_ALL": "ko_KR.UTF-8"}
    env["DESKTOP_RAG_HOME"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "desktop_rag", "folders", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout
    assert proc.stderr.startswith("error: There is no library named 'My documents'.")
