from __future__ import annotations

import shutil
from pathlib import Path

import docgen
import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory."""
    home = tmp_path / "home"
    monkeypatch.setenv("DESKTOP_RAG_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of generated documents with known facts on known pages."""
    d = tmp_path_factory.mktemp("corpus")
    docgen.fifty_page_pdf(d / "field-notes.pdf")
    docgen.korean_pdf(d / "korean-rules.pdf")
    (d / "euckr.txt").write_bytes(
        "한국어 안내문: 도서관은 오전 아홉 시에 문을 엽니다. 반납 기한은 이 주일입니다.".encode(
            "euc-kr"
        )
    )
    (d / "notes.md").write_text(
        "# Garden notes\n\nThe greenhouse thermostat is set to 21 degrees in spring.\n",
        encoding="utf-8",
    )
    (d / ".hidden.txt").write_text("secret", encoding="utf-8")
    (d / "song.mp3").write_bytes(b"ID3\x04\x00")
    return d


@pytest.fixture(scope="session")
def built_library(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> tuple[Path, str]:
    """The corpus ingested once with the real bundled model; tests open it read-only."""
    from desktop_rag.core.library import Library

    home = tmp_path_factory.mktemp("shared-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESKTOP_RAG_HOME", str(home))
        with Library.create("Shared") as lib:
            report = lib.ingest([corpus])
            assert not report.failed, report.failed
    return home, "Shared"


@pytest.fixture
def shared_library(built_library: tuple[Path, str], monkeypatch: pytest.MonkeyPatch):
    from desktop_rag.core.library import Library

    home, name = built_library
    monkeypatch.setenv("DESKTOP_RAG_HOME", str(home))
    lib = Library.open(name, readonly=True)
    yield lib
    lib.close()


@pytest.fixture
def copy_of(tmp_path: Path):
    """Copy a file or folder into this test's own folder (so tests can change it)."""

    def _copy(src: Path) -> Path:
        dst = tmp_path / "docs" / src.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
        return dst

    return _copy


@pytest.fixture(scope="session")
def built_catalog(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """docgen.catalog_corpus ingested once with the real bundled model: (home, folder)."""
    from desktop_rag.core.library import Library

    home = tmp_path_factory.mktemp("catalog-home")
    folder = docgen.catalog_corpus(tmp_path_factory.mktemp("catalog-docs") / "docs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESKTOP_RAG_HOME", str(home))
        with Library.create("Catalog") as lib:
            report = lib.ingest([folder])
            assert not report.failed, report.failed
    return home, folder


@pytest.fixture
def catalog_library(built_catalog: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch):
    """The catalog library, open for this test: (library, the documents' folder)."""
    from desktop_rag.core.library import Library

    home, folder = built_catalog
    monkeypatch.setenv("DESKTOP_RAG_HOME", str(home))
    lib = Library.open("Catalog")
    yield lib, folder
    lib.close()
