"""Validate the docqa evaluation set in this folder.

Checks that every PDF named in split.json exists, is byte-identical to the sha256 (and has the
page count and size) given in README.md's provenance table, and has a text layer; that every
question is well formed; that every evidence page exists and holds its quoted evidence text;
and that for each answerable question every key-term group has at least one alternative on at
least one gold page (and in the reference answer), using the same normalisation as the app's
scorer (desktop_rag.core.qa_eval: NFKC, casefold, punctuation and English articles removed,
spaces ignored for Korean terms). Prints counts; exits 1 on any error.

Usage: python check.py   (needs pymupdf)
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pymupdf

HERE = Path(__file__).resolve().parent
TYPES = {"factoid", "definition", "comparison", "why_how", "multi", "table", "unanswerable"}
LANGS = {"en", "ko"}
FIELDS = [
    "id",
    "doc_name",
    "question",
    "answer",
    "key_terms",
    "evidence",
    "type",
    "language",
    "is_impossible",
]

# --- normalisation, as in desktop_rag.core.qa_eval.normalize / contains_answer -----------------
_CITATION = re.compile(r"\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\]")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_CJK = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7a3\uf900-\ufaff]"
)
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", _CITATION.sub(" ", text)).casefold()
    text = _ARTICLES.sub(" ", _PUNCT.sub(" ", text))
    return " ".join(text.split())


def script_of(text: str) -> str:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "latin"
    hangul = sum(1 for ch in letters if _HANGUL.match(ch))
    cjk = sum(1 for ch in letters if _CJK.match(ch))
    latin = sum(1 for ch in letters if _LATIN.match(ch))
    top = max(hangul, cjk - hangul, latin)
    if top * 2 < len(letters):
        return "other"
    if top == hangul:
        return "hangul"
    return "latin" if top == latin else "cjk"


def contains(text: str, golds: list[str]) -> bool:
    got = normalize(text)
    for gold in golds:
        want = normalize(gold)
        if not want:
            continue
        if want in got:
            return True
        if script_of(gold) == "hangul" and want.replace(" ", "") in got.replace(" ", ""):
            return True
    return False


def squash(text: str) -> str:
    return normalize(text).replace(" ", "")


# --- README provenance table ---------------------------------------------------------------------
def readme_table(path: Path) -> dict[str, dict[str, str]]:
    """Rows of the first Markdown table whose header has 'stem' and 'sha256' columns."""
    rows: dict[str, dict[str, str]] = {}
    header: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            if header and rows:
                break
            header = None if not rows else header
            continue
        cells = [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]
        lower = [c.lower() for c in cells]
        if header is None:
            if "stem" in lower and "sha256" in lower:
                header = lower
            continue
        if set(line.replace("|", "").strip()) <= set("-: "):
            continue
        row = dict(zip(header, cells, strict=False))
        rows[row["stem"]] = row
    return rows


def main() -> int:
    errors: list[str] = []
    warn: list[str] = []
    split = json.loads((HERE / "split.json").read_text(encoding="utf-8"))
    table = readme_table(HERE / "README.md")
    texts: dict[str, list[str]] = {}

    for stem, part in split.items():
        if part not in {"dev", "test"}:
            errors.append(f"split.json: {stem}: split {part!r} is not dev/test")
        pdf = HERE / "pdfs" / f"{stem}.pdf"
        if not pdf.is_file():
            errors.append(f"{pdf.name}: missing")
            continue
        data = pdf.read_bytes()
        row = table.get(stem)
        if row is None:
            errors.append(f"{stem}: no row in README.md's provenance table")
        else:
            if hashlib.sha256(data).hexdigest() != row.get("sha256", "").lower():
                errors.append(f"{stem}: sha256 differs from README.md")
            if str(len(data)) != row.get("bytes", "").replace(",", ""):
                errors.append(f"{stem}: {len(data)} bytes, README.md says {row.get('bytes')}")
        with pymupdf.open(pdf) as doc:
            texts[stem] = [page.get_text() for page in doc]
        if row is not None and str(len(texts[stem])) != row.get("pages", ""):
            errors.append(f"{stem}: {len(texts[stem])} pages, README.md says {row.get('pages')}")
        empty = sum(1 for t in texts[stem] if len(t.strip()) < 20)
        if (
            sum(len(t) for t in texts[stem]) < 500 * len(texts[stem]) * 0.2
            or empty > len(texts[stem]) / 2
        ):
            errors.append(f"{stem}: little or no text layer ({empty} near-empty pages)")
    for pdf in sorted((HERE / "pdfs").glob("*.pdf")):
        if pdf.stem not in split:
            errors.append(f"{pdf.name}: not in split.json")
    for stem in table:
        if stem not in split:
            errors.append(f"README.md lists {stem}, which split.json does not")

    rows = []
    with (HERE / "questions.jsonl").open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    errors.append(f"questions.jsonl:{n}: {exc}")
    ids = Counter(r.get("id") for r in rows)
    for dup in [i for i, c in ids.items() if c > 1]:
        errors.append(f"duplicate id {dup}")

    for r in rows:
        qid = r.get("id", "?")
        missing = [f for f in FIELDS if f not in r]
        if missing:
            errors.append(f"{qid}: missing fields {missing}")
            continue
        doc = r["doc_name"]
        if doc not in split:
            errors.append(f"{qid}: doc_name {doc} is not in split.json")
            continue
        if not qid.startswith(f"{doc}_q"):
            errors.append(f"{qid}: id does not start with {doc}_q")
        if r["type"] not in TYPES:
            errors.append(f"{qid}: type {r['type']!r}")
        if r["language"] not in LANGS:
            errors.append(f"{qid}: language {r['language']!r}")
        has_hangul = bool(_HANGUL.search(r["question"]))
        if (r["language"] == "ko") != has_hangul:
            errors.append(f"{qid}: language {r['language']} but question Hangul={has_hangul}")
        impossible = r["is_impossible"]
        if impossible != (r["type"] == "unanswerable"):
            errors.append(f"{qid}: is_impossible={impossible} but type={r['type']}")
        if impossible:
            if r["key_terms"] or r["evidence"] or r["answer"]:
                errors.append(
                    f"{qid}: unanswerable, so key_terms, evidence and answer must be empty"
                )
            continue
        if not r["answer"] or not r["key_terms"] or not r["evidence"]:
            errors.append(f"{qid}: answerable, so answer, key_terms and evidence are needed")
            continue
        pages = texts.get(doc, [])
        gold: list[str] = []
        for ev in r["evidence"]:
            p = ev.get("evidence_page_num")
            if ev.get("doc_name") != doc:
                errors.append(f"{qid}: evidence doc_name {ev.get('doc_name')} is not {doc}")
                continue
            if not isinstance(p, int) or not 0 <= p < len(pages):
                errors.append(f"{qid}: evidence page {p} does not exist ({len(pages)} pages)")
                continue
            gold.append(pages[p])
            quote = ev.get("evidence_text", "")
            if not quote or squash(quote) not in squash(pages[p]):
                errors.append(f"{qid}: evidence_text not found on page {p}: {quote[:60]!r}")
        for group in r["key_terms"]:
            if (
                not isinstance(group, list)
                or not group
                or not all(isinstance(a, str) and a for a in group)
            ):
                errors.append(f"{qid}: bad key-term group {group!r}")
                continue
            if not any(contains(t, group) for t in gold):
                errors.append(
                    f"{qid}: no alternative of {group} on gold pages "
                    f"{[e['evidence_page_num'] for e in r['evidence']]}"
                )
            if not contains(r["answer"], group):
                errors.append(f"{qid}: reference answer lacks key-term group {group}")

    # --- counts -------------------------------------------------------------------------------
    per_doc = Counter(r["doc_name"] for r in rows)
    per_split = Counter(split.get(r["doc_name"], "?") for r in rows)
    per_type = Counter(r["type"] for r in rows)
    per_lang = Counter(r["language"] for r in rows)
    unans = Counter(split.get(r["doc_name"], "?") for r in rows if r["is_impossible"])
    split_lang = Counter((split.get(r["doc_name"], "?"), r["language"]) for r in rows)
    print(
        f"{len(split)} PDFs, {sum(len(t) for t in texts.values())} pages, "
        f"{sum((HERE / 'pdfs' / f'{s}.pdf').stat().st_size for s in texts)} bytes"
    )
    print(f"{len(rows)} questions")
    for doc in split:
        print(
            f"  {doc:24s} {split[doc]:5s} {per_doc[doc]:3d} questions, "
            f"{sum(1 for r in rows if r['doc_name'] == doc and r['is_impossible'])} unanswerable"
        )
    print(
        "  by split:    "
        + ", ".join(f"{k} {v} ({v / len(rows):.0%})" for k, v in sorted(per_split.items()))
    )
    print("  by language: " + ", ".join(f"{k} {v}" for k, v in sorted(per_lang.items())))
    print(
        "  split x lang: "
        + ", ".join(f"{s}/{lang} {v}" for (s, lang), v in sorted(split_lang.items()))
    )
    print("  by type:     " + ", ".join(f"{k} {v}" for k, v in sorted(per_type.items())))
    print("  unanswerable by split: " + ", ".join(f"{k} {v}" for k, v in sorted(unans.items())))
    for w in warn:
        print("warning:", w)
    if errors:
        for e in errors:
            print("ERROR:", e)
        print(f"{len(errors)} error(s)")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
