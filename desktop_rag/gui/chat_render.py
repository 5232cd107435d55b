"""An exchange as safe Markdown: model and document text can neither inject HTML nor links;
the only links are our own citation links."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QCoreApplication

from desktop_rag.core.documents import locations

translate = QCoreApplication.translate


def location_text(page: int, label: str = "") -> str:
    """Where a passage is, in the window's language: "p. 4", "slide 3", "sheet ‘Budget’,
    rows 12–30" (the stored label, see core.documents.locations)."""
    kind, parts = locations.parse(label)
    if kind == "slide":
        return translate("ChatRender", "slide {n}").format(n=parts[0])
    if kind == "rows":
        sheet, first, last = parts
        if first == last:
            return translate("ChatRender", "sheet ‘{sheet}’, row {row}").format(
                sheet=sheet, row=first
            )
        return translate("ChatRender", "sheet ‘{sheet}’, rows {first}–{last}").format(
            sheet=sheet, first=first, last=last
        )
    return label or translate("ChatRender", "p. {n}").format(n=page)


def _page(item: dict[str, Any]) -> str:
    return location_text(int(item["page"]), str(item.get("location") or ""))


_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(([^)\n]*)\)")
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>")
_CITE = re.compile(r"\[(\d{1,3})\]")
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*)://")


def defang(text: str) -> str:
    """Untrusted text as Markdown that renders no links, images or raw HTML."""
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    text = text.replace("\\", "\\\\").replace("<", "\\<")
    # bare URLs would be auto-linked by some Markdown readers: break the scheme
    return _URL.sub(lambda m: f"{m.group(1)}:\u200b//", text)


def plain(text: str) -> str:
    """Untrusted text shown literally: every Markdown control character escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|>~<])", r"\\\1", " ".join(text.split()))


def answer_markdown(index: int, text: str, numbers: set[int]) -> str:
    """The answer with each valid [n] turned into a link to source n of message `index`."""
    safe = defang(text)
    return _CITE.sub(
        lambda m: (
            f"[\\[{m.group(1)}\\]](cite:{index}:{m.group(1)})"
            if int(m.group(1)) in numbers
            else m.group(0)
        ),
        safe,
    )


_ITEM = re.compile(r"^(\d{1,4})\. (.+?) — (.*)$")


def catalog_markdown(index: int, text: str, numbers: set[int], scheme: str = "cite") -> str:
    """A catalog answer: each numbered item's name is a link (to its first source, or with
    scheme "summarize" to a summary of it); the other [n] are citation links."""
    lines = []
    for line in text.split("\n"):
        m = _ITEM.match(line)
        cites = [int(n) for n in _CITE.findall(line) if int(n) in numbers]
        if m and cites:
            rest = answer_markdown(index, m.group(3), numbers)
            name = plain(m.group(2))
            lines.append(rf"{m.group(1)}\. [{name}]({scheme}:{index}:{cites[0]}) — {rest}")
        else:
            lines.append(answer_markdown(index, line, numbers) if cites else plain(line))
    return "  \n".join(lines)


def exchange_markdown(
    index: int, question: str, answer: dict[str, Any] | None, export_label: str = ""
) -> str:
    """One question and its answer (still streaming when answer['streaming']); a finished
    answer ends with a link that exports it when `export_label` is given."""
    you = translate("ChatRender", "You:")
    parts = [f"**{plain(you)}** {plain(question)}", ""]
    if answer is None:
        return "\n".join(parts)
    status = answer.get("status", "")
    sources = answer.get("sources", [])
    numbers = {s["number"] for s in sources}
    text = answer.get("text", "")
    if answer.get("streaming"):
        parts.append(defang(text) + " ▍")
        return "\n".join(parts)
    if status in ("catalog", "choose"):
        parts.append(
            catalog_markdown(index, text, numbers, "summarize" if status == "choose" else "cite")
        )
    elif status in ("answered", "no_model", "cancelled", "summary"):
        parts.append(
            answer_markdown(index, text, numbers)
            if status != "no_model"
            else plain(text.split("\n", 1)[0])
        )
    else:
        parts.append(f"**{plain(text)}**")
    quotes = (answer.get("quotes") or []) if status == "answered" else []
    if quotes:
        said = translate("ChatRender", "Your document says:")
        parts += ["", f"**{plain(said)}**", ""]
        for k, q in enumerate(quotes):
            parts.append(
                f"> “{plain(q['text'])}” — [\\[{q['number']}\\] {plain(q['title'])}, "
                f"{plain(_page(q))}](quote:{index}:{k})"
            )
            parts.append(">" if k < len(quotes) - 1 else "")
    if answer.get("note"):
        parts += ["", f"*{plain(answer['note'])}*"]
    cited = set(answer.get("cited", []))
    shown = [s for s in sources if s["number"] in cited] if status == "answered" else sources
    if status == "summary" and sources:  # one page each: a line of links, not a list
        label = translate("ChatRender", "Pages cited:")
        links = " · ".join(
            f"[\\[{s['number']}\\] {plain(_page(s))}](cite:{index}:{s['number']})"
            for s in sources
            if s["number"] in cited
        )
        parts += ["", f"**{plain(label)}** {links}"]
    if status in ("summary", "catalog", "choose"):
        shown = []  # the text links to them
    if shown:
        label = (
            translate("ChatRender", "Closest passages:")
            if status == "not_found"
            else translate("ChatRender", "Sources:")
        )
        parts += ["", f"**{plain(label)}**", ""]
        for s in shown:
            snippet = " ".join((s.get("excerpt") or s["text"]).split())
            snippet = snippet[:180] + ("…" if len(snippet) > 180 else "")
            parts.append(
                f"- [\\[{s['number']}\\] {plain(s['title'])}, {plain(_page(s))}]"
                f"(cite:{index}:{s['number']})"
                f" — {plain(snippet)}"
            )
    if status == "cancelled":
        stopped = translate("ChatRender", "Stopped.")
        parts += ["", f"*{plain(stopped)}*"]
    if export_label and status != "error":
        parts += ["", f"[{plain(export_label)}](export:{index})"]
    return "\n".join(parts)
