"""The README is read on a machine without this checkout's neighbours: every link and every
path it names must be inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.M)
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>|\b(?:https?|ftp)://\S+")


def test_every_readme_link_is_a_file_in_the_repository():
    text = README.read_text(encoding="utf-8")
    targets = _LINK.findall(text) + _REFERENCE.findall(text)
    assert targets, "the README has no links at all: the pattern is broken"
    for target in targets:
        assert not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target), f"external link: {target}"
        path = (ROOT / target.split("#", 1)[0]).resolve()
        assert path.is_relative_to(ROOT), f"{target} is outside the repository"
        assert path.exists(), f"{target} does not exist"
    assert not _AUTOLINK.search(text), _AUTOLINK.search(text)


def test_the_readme_names_no_path_outside_the_repository():
    text = README.read_text(encoding="utf-8")
    outside = [line for line in text.splitlines() if re.search(r"(^|[\s`(])\.\./", line)]
    assert not outside, outside
