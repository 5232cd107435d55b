"""Which kind of question this is: about the library itself (which documents mention X, list or
count documents), a request for a summary, or an ordinary question the passages answer. Read
from the question's words, in English and Korean; anything unsure stays an ordinary question."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from desktop_rag.core.storage.catalog import DocumentQuery

_DOC_WORDS = (
    r"documents?|docs?|files?|pdfs?|papers?|reports?|articles?|books?|e-?books?|manuals?|"
    r"filings?|texts?|items?"
)
_MENTION_VERBS = (
    r"mentions?|mentioning|mentioned|contains?|containing|includes?|including|talks? about|"
    r"refers? to|referring to|discuss(?:es)?|discussing|cites?|citing|says? anything about|"
    r"deals? with|covers?|uses?|has|have|with|about"
)
_QUOTES = "\"'“”‘’「」『』«»`"
_HANGUL_ONLY = re.compile("^[\uac00-\ud7af]+$")


@dataclass
class Route:
    """What the question asks for. kind: "ask" (the passages answer it), "mentions" (which
    documents hold a phrase), "documents" (list or count documents), "summary"."""

    kind: str
    phrase: str = ""  # mentions: the words looked for
    query: DocumentQuery | None = None  # documents
    count_only: bool = False  # "how many ...": the number first
    document: str = ""  # summary: the words left once the request is taken out (a name?)
    pages: tuple[int, int] | None = None  # summary: a page range asked for
    section: str = ""  # summary: "chapter 3", "2.1", "3장"
    extra: dict[str, str] = field(default_factory=dict)


# --- summaries -------------------------------------------------------------------------------

_SUMMARY_EN = re.compile(
    r"^(?!\s*how\s+(?:do|can|to|should|would)\b).*\b(?:summari[sz]e|sum\s+up|tl;?dr)\b|"
    r"\b(?:give|write|make|show|want|need|get)\s+(?:me\s+)?(?:a\s+|an\s+|the\s+)?"
    r"(?:short\s+|brief\s+|quick\s+)?(?:summary|overview|gist|main\s+points|key\s+points|"
    r"key\s+takeaways)\b|"
    r"^\s*(?:a\s+|the\s+)?(?:short\s+|brief\s+|quick\s+)?(?:summary|overview|gist|"
    r"main\s+points|key\s+points|key\s+takeaways)(?:\s+of\b|\s+please\b|\s*[?.!]?\s*$)",
    re.I,
)
_ABOUT_EN = re.compile(
    r"^\s*(?:so\s+)?what(?:'s|’s| is| are)\s+(?P<what>.*?)\s*(?:all\s+)?about\s*\??\s*$", re.I
)
_SUMMARY_KO = re.compile(
    r"요약(?:해|하|을|좀|본|\s*부탁|\s*[?.!]?\s*$)|개요(?:를|좀|\s*알려|\s*보여|\s*[?.!]?\s*$)|"
    r"간추려|줄거리|핵심\s*내용|주요\s*내용|무슨\s*내용|어떤\s*내용|뭐에\s*(?:대한|관한)|"
    r"무엇에\s*(?:대한|관한)|내용을?\s*정리|정리해\s*(?:줘|주세요|줄래)"
)
_PAGES = re.compile(
    r"(?:\bpages?\s*|\bpp?\.\s*)(\d{1,5})(?:\s*(?:-|–|—|~|to|through|until)\s*(\d{1,5}))?|"
    r"(\d{1,5})\s*(?:(?:-|–|—|~)\s*(\d{1,5})\s*)?(?:쪽|페이지|면)",
    re.I,
)
_SECTION = re.compile(
    r"\b(?P<en>(?:chapter|section|part|appendix)\s+(?:\d+(?:\.\d+)*|[IVXLC]+|[A-Z]))\b|"
    r"(?P<ko>제?\s*\d+(?:\.\d+)*\s*(?:장|절|부))",
    re.I,
)
_SUMMARY_FILLER = re.compile(
    r"\b(?:please|can|could|would|you|me|give|a|an|the|of|this|that|it|for|short|brief|quick|"
    r"whole|entire|document|file|pdf|report|paper|book|write|make|tell|in|english|korean|what|"
    r"is|are|about|do|does|say|says)\b|[?.!,:;]|"
    r"해\s*줘|해\s*주세요|해줘|해주세요|줘|주세요|좀|이|그|이\s*문서|문서|파일|의|을|를|내용|"
    r"전체|간단히|짧게|알려|부탁",
    re.I,
)


def _summary(question: str) -> Route | None:
    q = question.strip()
    about = _ABOUT_EN.match(q)
    if not (_SUMMARY_EN.search(q) or _SUMMARY_KO.search(q) or about):
        return None
    if about:  # "what is this about", "what is chapter 3 about", "what is report.pdf about"
        what = about.group("what").strip()
        if not re.match(
            r"^(?:this|that|it|the\s+(?:" + _DOC_WORDS + r"))?\s*(?:" + _DOC_WORDS + r")?$"
            r"|^(?:chapter|section|part|appendix|pages?)\b|\.\w{2,5}$|^[\"“'‘]",
            what,
            re.I,
        ):
            # "what is the Harwick Bridge about" is a question about a thing, unless it names a
            # document: the caller checks that (Route.document)
            return Route("summary", document=what.strip(_QUOTES), extra={"tentative": "1"})
    pages = None
    m = _PAGES.search(q)
    if m:
        a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        first, last = int(a), int(b or a)
        pages = (min(first, last), max(first, last))
        q = q[: m.start()] + " " + q[m.end() :]
    section = ""
    s = _SECTION.search(q)
    if s:
        section = " ".join((s.group("en") or s.group("ko")).split())
        q = q[: s.start()] + " " + q[s.end() :]
    ext = r"\.(?:pdf|docx|txt|md|markdown|epub|html?|xps)"
    named = re.search(rf"[\"“'‘]([^\"”'’]+{ext})[\"”'’]|([\w\-.]+{ext})\b", q, re.I)
    if named:  # a file name is the document, whatever its words
        name = (named.group(1) or named.group(2)).strip()
        return Route("summary", document=name, pages=pages, section=section)
    rest = _SUMMARY_KO.sub(" ", _SUMMARY_EN.sub(" ", q))
    rest = _SUMMARY_FILLER.sub(" ", _KO_ENDING.sub(" ", rest))
    words = [w for w in rest.split() if not (len(w) == 1 and _HANGUL_ONLY.match(w))]
    rest = " ".join(words).strip(_QUOTES + " ")
    return Route("summary", document=rest, pages=pages, section=section)


# --- the catalog: which documents mention X ---------------------------------------------------

_MENTIONS_EN = [
    re.compile(
        r"^(?:which|what)\s+(?:of\s+(?:my|the|these)\s+)?(?:" + _DOC_WORDS + r")\s+"
        r"(?:(?:do|does|did|have|has)\s+)?(?:also\s+)?"
        r"(?:mention|mentions|mentioned|contain|contains|include|includes|talk about|talks about|"
        r"refer to|refers to|discuss|discusses|cite|cites|say anything about|says anything about|"
        r"deal with|deals with|cover|covers|use|uses)\s+(?P<x>.+?)\s*\??$",
        re.I,
    ),
    re.compile(
        r"^(?:(?:find|list|show|give)(?:\s+me)?\s+)?(?:all\s+)?(?:the\s+|my\s+)?(?:"
        + _DOC_WORDS
        + r")\s+(?:that|which)\s+(?:mention|mentions|contain|contains|include|includes|"
        r"talk about|talks about|refer to|refers to|discuss|discusses|cite|cites)\s+(?P<x>.+?)"
        r"\s*\??$",
        re.I,
    ),
    re.compile(
        r"^(?:(?:find|list|show|give)(?:\s+me)?\s+)?(?:all\s+)?(?:the\s+|my\s+)?(?:"
        + _DOC_WORDS
        + r")\s+(?:mentioning|containing|citing|referring to|discussing)\s+(?P<x>.+?)\s*\??$",
        re.I,
    ),
    re.compile(
        r"^(?:in\s+)?(?:which|what)\s+(?:" + _DOC_WORDS + r")\s+(?:is|are|was|were)\s+"
        r"(?P<x>.+?)\s+(?:mentioned|discussed|cited|named|referred to)\s*\??$",
        re.I,
    ),
    re.compile(
        r"^where\s+(?:is|are|was|were|do i find|can i find)\s+(?P<x>.+?)\s+"
        r"(?:mentioned|discussed|cited|named|referred to)\s*\??$",
        re.I,
    ),
    re.compile(
        r"^how many\s+(?:" + _DOC_WORDS + r")\s+(?:mention|contain|include|cite|refer to)\s+"
        r"(?P<x>.+?)\s*\??$",
        re.I,
    ),
]
_KO_PARTICLE = (
    r"(?:을|를|이|가|은|는|에\s*대해서?|에\s*관해서?|에\s*대한|에\s*관한|라는\s*말을?|"
    r"이라는\s*말을?)?"
)
_MENTIONS_KO = [
    re.compile(
        r"^(?P<x>.+?)"
        + _KO_PARTICLE
        + r"\s*(?:언급한|언급하는|언급된|언급되는|언급되어\s*있는|다룬|"
        r"다루는|포함한|포함하는|포함된|포함되어\s*있는|들어\s*있는|들어간|나오는|나온|등장하는|"
        r"적힌|쓰인|인용한)\s*(?:문서|파일|자료|PDF|pdf)",
    ),
    re.compile(
        r"^(?P<x>.+?)"
        + _KO_PARTICLE
        + r"\s*(?:어느|어떤|무슨|몇\s*개의?)\s*(?:문서|파일|자료)(?:들)?"
        r"(?:에서|에|에서만)?\s*(?:나와|나오|있|언급|등장|다루)",
    ),
]
_WANTS_COUNT = re.compile(r"^how many\b|\bnumber of\b|\bcount\b|몇\s*(?:개|건|권|편)|개수", re.I)


def _mentions(question: str) -> Route | None:
    q = question.strip()
    for pattern in _MENTIONS_EN + _MENTIONS_KO:
        m = pattern.search(q)
        if m:
            raw = m.group("x").strip().rstrip("?.! ")
            raw = re.sub(r"^(?:the\s+)?(?:word|words|term|phrase|name)\s+", "", raw, flags=re.I)
            quoted = raw[:1] in _QUOTES and raw[-1:] in _QUOTES
            phrase = raw.strip(_QUOTES).strip()
            if not quoted:  # "mention the Harwick Bridge": the bridge, with or without "the"
                phrase = re.sub(r"^(?:the|a|an)\s+", "", phrase, flags=re.I)
            phrase = phrase.strip(_QUOTES + " ?.")
            if phrase and re.search(r"\w", phrase):
                return Route("mentions", phrase=phrase, count_only=bool(_WANTS_COUNT.search(q)))
    return None


# --- the catalog: list and count documents ----------------------------------------------------

_KINDS = [
    (r"\bpdf\s+(?:files?|documents?)\b|\bpdfs?\b", ("pdf",)),
    (r"\bword\s+(?:documents?|files?)\b|\bdocx\b|워드", ("docx",)),
    (r"\btext\s+files?\b|\btxt\b|\bplain\s+text\b|텍스트\s*파일", ("txt",)),
    (r"\bmarkdown\b|\bmd\s+files?\b|마크다운", ("markdown",)),
    (r"\be-?books?\b|\bepubs?\b|전자책", ("epub", "mobi", "fb2")),
    (r"\bweb\s*pages?\b|\bhtml\b|웹\s*페이지", ("html",)),
]
_UNITS = {"kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000}
_LIST_EN = re.compile(
    r"^(?:please\s+)?(?:(?:can|could|would)\s+you\s+)?(?:list|show|display|give|tell)\b|"
    r"^what\s+(?:" + _DOC_WORDS + r")\b|^which\s+(?:" + _DOC_WORDS + r")\b|"
    r"^(?:what|which)\s+(?:kinds?\s+of\s+|types?\s+of\s+)?(?:" + _DOC_WORDS + r")\b|"
    r"^(?:all\s+)?(?:my\s+)?(?:" + _DOC_WORDS + r")\b|"
    r"^(?:the\s+)?(?:\d+\s+)?(?:largest|biggest|smallest|longest|shortest|newest|oldest|latest|"
    r"most\s+recent)\s+(?:" + _DOC_WORDS + r")\b|"
    r"^how many\b|^count\b|^(?:what|which)\s+(?:are|is)\s+(?:the\s+|my\s+)?"
    r"(?:(?:largest|biggest|smallest|longest|shortest|newest|oldest|latest|most recent)\s+)",
    re.I,
)
_LIST_KO = re.compile(
    r"(?:문서|파일|PDF|pdf|자료)(?:들)?\s*(?:의\s*)?(?:목록|리스트|개수|몇\s*(?:개|건|권|편))|"
    r"(?:문서|파일|PDF|pdf|자료)(?:들)?(?:이|가|은|는)?\s*(?:몇\s*(?:개|건|권|편)|뭐|무엇|어떤\s*것)|"
    r"(?:어떤|무슨)\s*(?:문서|파일|자료)(?:들)?(?:이|가)?\s*(?:있|들어)|"
    r"(?:문서|파일|PDF|pdf|자료)(?:들)?(?:을|를)?\s*(?:모두\s*)?(?:보여|알려|나열)|"
    r"(?:가장|제일)\s*(?:큰|작은|긴|짧은|최근|오래된)\s*(?:문서|파일|PDF)"
)
# What a listing question may hold besides its filters: nothing of these changes which
# documents are meant.
_LIST_FILLER = re.compile(
    r"\b(?:please|can|could|would|you|list|show|display|give|tell|me|all|of|the|my|our|"
    r"what|which|are|is|there|do|does|i|we|have|has|had|in|this|that|library|libraries|here|"
    r"kinds?|types?|count|how|many|number|every|each|currently|got|stored|indexed|saved|"
    r"sorted|ordered|by|first|and|with|them|those|these|ones?|a|an|for)\b|"
    r"\b(?:" + _DOC_WORDS + r")\b|[?.!,:;]|"
    r"문서|파일|자료|목록|리스트|보여\s*줘|보여\s*주세요|보여줘|알려\s*줘|알려\s*주세요|알려줘|"
    r"나열해\s*줘|나열|모두|전부|있는|있나요|있어|있어요|있니|있습니까|있|뭐가|뭐야|무엇|어떤|무슨|"
    r"것|들|이|가|은|는|을|를|의|에|몇\s*(?:개|건|권|편)|개수|내|제|우리|라이브러리|"
    r"순서로|순으로|정렬|해\s*줘|해줘|주세요|줘|좀|들어|들어있는|들어\s*있는|저장된",
    re.I,
)


# Korean sentence endings: "몇 개야?", "있나요?"
_KO_ENDING = re.compile(
    r"(?:이야|야|이니|니|나요|인가요|입니까|인지|일까|이냐|냐|까요|까|예요|이에요|요|죠|지)(?=\s*[?.!]*\s*$)"
)


def _documents(question: str, now: float | None = None) -> Route | None:
    q = question.strip()
    english = bool(_LIST_EN.search(q))
    if not (english or _LIST_KO.search(q)):
        return None
    query, rest = parse_filters(q, now)
    leftover = " ".join(_LIST_FILLER.sub(" ", _KO_ENDING.sub(" ", rest)).split())
    if leftover:
        # "list the contracts from 2021": a topic word beside a real filter names what the
        # documents are about; anything else was not a question about the library
        words = leftover.split()
        if not (english and len(words) <= 2 and not query.is_empty()):
            return None
        query.name = ""
        query.mentions = " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words)
        query.words["topic"] = leftover
    query.count_only = bool(_WANTS_COUNT.search(q))
    return Route("documents", query=query, count_only=query.count_only)


def parse_filters(text: str, now: float | None = None) -> tuple[DocumentQuery, str]:
    """The catalog filters a question holds (type, year, dates, size, pages, folder, name,
    order, how many), and the question with them taken out."""
    now = time.time() if now is None else now
    q = DocumentQuery()
    rest = f" {text} "

    def take(pattern: str, flags: int = re.I) -> re.Match[str] | None:
        nonlocal rest
        m = re.search(pattern, rest, flags)
        if m:
            rest = rest[: m.start()] + " " + rest[m.end() :]
        return m

    # names and folders first: their words must not be read as other filters
    named = (
        take(
            r"\b(?:named|called|titled|whose\s+(?:file\s*)?(?:name|title)\s+(?:contains|has|"
            r"includes))\s+[\"“'‘]?(?P<n>[^\"”'’?]+?)[\"”'’]?(?=\s+(?:from|in|modified|added|"
            r"larger|bigger|smaller|over|under|with|sorted|by)\b|\s*\?|\s*$)"
        )
        or take(
            r"\bwith\s+[\"“'‘]?(?P<n>[^\"”'’]+?)[\"”'’]?\s+in\s+(?:the|their|its)\s+"
            r"(?:file\s*)?(?:name|title)s?\b"
        )
        or take(
            r"(?:이름|제목|파일\s*이름|파일명)(?:에|이)\s*[\"“'‘]?(?P<n>[^\"”'’\s]+?)[\"”'’]?"
            r"(?:이|가|라는\s*말이|이라는\s*말이)?\s*(?:들어간|들어\s*있는|들어있는|있는|포함된|"
            r"포함되어\s*있는|붙은)",
            0,
        )
    )
    if named:
        q.name = named.group("n").strip()
        q.words["name"] = q.name
    if m := take(
        r"\b(?:in|under|inside|from|within)\s+(?:the\s+|my\s+)?(?:folder|directory)\s+"
        r"[\"“'‘]?(?P<f>[^\s\"”'’?]+)[\"”'’]?|"
        r"\b(?:in|under|inside)\s+(?:the\s+|my\s+)?[\"“'‘]?(?P<g>[^\s\"”'’?]+)[\"”'’]?\s+"
        r"(?:folder|directory)\b|"
        r"\b(?:in|under|inside)\s+(?P<p>(?:~|/|\.{1,2}/|[A-Za-z]:\\)[^\s?]*)"
    ):
        q.folder = (m.group("f") or m.group("g") or m.group("p")).rstrip("/\\") or "/"
        q.words["folder"] = q.folder
    elif m := take(r"[\"“'‘]?(?P<f>[^\s\"”'’]+?)[\"”'’]?\s*폴더(?:에|의|안의|안에|에\s*있는)?", 0):
        q.folder = m.group("f")
        q.words["folder"] = q.folder
    for pattern, kinds in _KINDS:
        if take(pattern):
            q.kinds = tuple(dict.fromkeys(q.kinds + kinds))
    if q.kinds:
        q.words["kinds"] = ", ".join(q.kinds)
    # sizes and page counts
    bound = (
        r"(?P<cmp>larger|bigger|greater|more|over|above|at\s+least|smaller|less|fewer|under|"
        r"below|at\s+most|up\s+to)(?:\s+than)?\s+(?P<n>\d+(?:[.,]\d+)?)\s*(?P<u>kb|mb|gb|pages?)\b"
    )
    while m := take(bound):
        _bound(q, m.group("cmp").lower(), m.group("n"), m.group("u").lower())
    bound_ko = (
        r"(?P<n>\d+(?:[.,]\d+)?)\s*(?P<u>KB|MB|GB|kb|mb|gb|쪽|페이지|장)\s*"
        r"(?P<cmp>이상|초과|넘는|넘게|보다\s*큰|보다\s*많은|이하|미만|보다\s*작은|보다\s*적은)"
    )
    while m := take(bound_ko, 0):
        ko_cmp = m.group("cmp")
        cmp = "over" if re.match(r"이상|초과|넘|보다\s*(?:큰|많은)", ko_cmp) else "under"
        unit = m.group("u").lower()
        _bound(q, cmp, m.group("n"), "pages" if unit in ("쪽", "페이지", "장") else unit)
    # order and "the N largest"
    superlatives = {
        "largest": ("size", True), "biggest": ("size", True), "smallest": ("size", False),
        "longest": ("pages", True), "shortest": ("pages", False), "newest": ("added", True),
        "latest": ("added", True), "most recent": ("added", True), "recent": ("added", True),
        "oldest": ("modified", False),
    }  # fmt: skip
    if m := take(
        r"\b(?:the\s+)?(?P<n>\d+|one|two|three|five|ten)?\s*"
        r"(?P<s>largest|biggest|smallest|longest|shortest|newest|latest|most\s+recent|oldest|"
        r"recent(?:ly\s+added)?)\b"
    ):
        word = " ".join(m.group("s").lower().split()).replace("recently added", "recent")
        q.sort, q.descending = superlatives[word]
        q.words["order"] = word
        count = m.group("n")
        if count:
            q.limit = {"one": 1, "two": 2, "three": 3, "five": 5, "ten": 10}.get(count) or int(
                count
            )
        elif re.search(
            r"\b(?:" + word + r")\s+(?:document|file|pdf|paper|report|book)\b(?!s)", text, re.I
        ):
            q.limit = 1  # "the largest document": one
    elif m := take(r"(?:가장|제일)\s*(?P<s>큰|작은|긴|짧은|최근에?|오래된)", 0):
        word = m.group("s")
        q.sort, q.descending = {
            "큰": ("size", True), "작은": ("size", False), "긴": ("pages", True),
            "짧은": ("pages", False), "오래된": ("modified", False),
        }.get(word, ("added", True))  # fmt: skip
        q.words["order"] = word
        q.limit = 1
    elif m := take(r"최근(?:에)?\s*(?:추가한|추가된|넣은)?|최신", 0):
        q.sort, q.descending = "added", True
        q.words["order"] = "recent"
    if m := take(
        r"\bby\s+(?P<s>size|date|name|title|pages?|length)\b|\b(?P<n>newest|oldest)\s+first\b"
    ):
        key = (m.group("s") or m.group("n") or "").lower()
        q.sort, q.descending = {
            "size": ("size", True), "date": ("modified", True), "pages": ("pages", True),
            "page": ("pages", True), "length": ("pages", True), "newest": ("modified", True),
            "oldest": ("modified", False),
        }.get(key, ("name", False))  # fmt: skip
        q.words["order"] = key
    if m := take(r"(?P<s>크기|용량|날짜|이름|쪽수|페이지\s*수)\s*(?:순|순서)", 0):
        key = m.group("s")
        q.sort, q.descending = {
            "크기": ("size", True), "용량": ("size", True), "날짜": ("modified", True),
            "쪽수": ("pages", True),
        }.get(key, ("pages", True) if "페이지" in key else ("name", False))  # fmt: skip
        q.words["order"] = key
    # dates
    if m := take(
        r"\b(?:added|indexed|imported)\s+(?P<w>today|yesterday|this\s+week|this\s+month|"
        r"this\s+year|last\s+week|last\s+month|in\s+the\s+last\s+(?P<d>\d+)\s+days?)\b"
    ):
        q.added_after = _since(m.group("w"), m.group("d"), now)
        q.words["added"] = " ".join(m.group("w").split())
    elif m := take(r"(?P<w>오늘|어제|이번\s*주|이번\s*달|올해|지난\s*주|최근\s*(?P<d>\d+)\s*일)\s*"
                   r"(?:에\s*)?(?:추가한|추가된|넣은|색인한)", 0):  # fmt: skip
        q.added_after = _since(_KO_WHEN.get(m.group("w").replace(" ", ""), "last"),
                               m.group("d"), now)  # fmt: skip
        q.words["added"] = m.group("w")
    if m := take(r"\b(?:modified|changed|edited|updated|dated)?\s*(?P<w>before|after|since)\s+"
                 r"(?P<y>(?:19|20)\d\d)\b"):  # fmt: skip
        year = int(m.group("y"))
        if m.group("w") == "before":
            q.modified_before = time.mktime((year, 1, 1, 0, 0, 0, 0, 0, -1))
        else:
            q.modified_after = time.mktime(
                (year + (m.group("w") == "after"), 1, 1, 0, 0, 0, 0, 0, -1)
            )
        q.words["period"] = f"{m.group('w')} {year}"
    elif m := take(r"(?P<y>(?:19|20)\d\d)\s*년?\s*(?P<w>이전|이후|전|후|부터)", 0):
        year = int(m.group("y"))
        if m.group("w") in ("이전", "전"):
            q.modified_before = time.mktime((year, 1, 1, 0, 0, 0, 0, 0, -1))
            q.words["period"] = f"before {year}"
        else:
            after = year + (m.group("w") in ("이후", "후"))
            q.modified_after = time.mktime((after, 1, 1, 0, 0, 0, 0, 0, -1))
            q.words["period"] = f"{'after' if after > year else 'since'} {year}"
    elif m := (
        take(r"\b(?:from|in|of|dated|modified\s+in|written\s+in|for)?\s*(?P<y>(?:19|20)\d\d)\b")
        or take(r"(?P<y>(?:19|20)\d\d)\s*년(?:도)?(?:의|에)?", 0)
    ):
        q.year = int(m.group("y"))
        q.words["year"] = str(q.year)
    return q, rest


_KO_WHEN = {
    "오늘": "today", "어제": "yesterday", "이번주": "this week", "이번달": "this month",
    "올해": "this year", "지난주": "last week",
}  # fmt: skip


def _since(when: str, days: str | None, now: float) -> float:
    """The start of a period that ends now ("today", "this week", "in the last 7 days")."""
    when = " ".join(when.lower().split())
    t = time.localtime(now)
    midnight = time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))
    if days:
        return now - int(days) * 86400
    return {
        "today": midnight,
        "yesterday": midnight - 86400,
        "this week": midnight - t.tm_wday * 86400,
        "last week": midnight - (t.tm_wday + 7) * 86400,
        "this month": time.mktime((t.tm_year, t.tm_mon, 1, 0, 0, 0, 0, 0, -1)),
        "last month": time.mktime((t.tm_year, t.tm_mon - 1, 1, 0, 0, 0, 0, 0, -1)),
        "this year": time.mktime((t.tm_year, 1, 1, 0, 0, 0, 0, 0, -1)),
    }.get(when, now - 7 * 86400)


def _bound(q: DocumentQuery, cmp: str, number: str, unit: str) -> None:
    value = float(number.replace(",", "."))
    more = cmp.split()[0] in ("larger", "bigger", "greater", "more", "over", "above", "at")
    if cmp.startswith("at most") or cmp.startswith("up"):
        more = False
    if unit.startswith("page"):
        if more:
            q.min_pages = int(value) + (0 if cmp.startswith("at") else 1)
        else:
            q.max_pages = int(value) - (0 if cmp.startswith(("at", "up")) else 1)
        q.words["pages"] = f"{'more' if more else 'fewer'} than {number} pages"
    else:
        size = int(value * _UNITS[unit])
        if more:
            q.min_bytes = size
        else:
            q.max_bytes = size
        q.words["size"] = f"{'over' if more else 'under'} {number} {unit.upper()}"


_NAMED = re.compile(r"\b(?:named|called|titled)\b|(?:이름|제목|파일명)에", re.I)


def classify(question: str, now: float | None = None) -> Route:
    """What kind of question `question` is (see Route)."""
    if _NAMED.search(question):  # "이름에 X가 들어간 문서": a name, not a mention
        found = _documents(question, now) or _mentions(question)
    else:
        found = _mentions(question) or _documents(question, now)
    return found or _summary(question) or Route("ask")
