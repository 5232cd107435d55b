"""The offline guarantee: ingest, search (and ask, once the CLI has it) work with every network
connection refused, and never even try one.

Each command runs in a fresh interpreter whose sitecustomize, loaded before anything else,
replaces socket connect and name lookups with functions that record the attempt and refuse it,
and notes the environment at the moment each model library is first imported. Where the system
allows it the command also runs under `unshare -n`, in a network namespace with no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import docgen
import pytest

SITECUSTOMIZE = textwrap.dedent(
    """
    import errno, importlib.abc, json, os, socket, sys

    _DIR = os.environ["OFFLINE_TEST_DIR"]


    def _record(kind, detail):
        with open(os.path.join(_DIR, f"attempts-{os.getpid()}.txt"), "a") as f:
            f.write(f"{kind} {detail!r} in {sys.argv!r}\\n")


    def _refuse(self, *args, **kwargs):
        _record("connect", args[:1])
        raise ConnectionRefusedError(errno.ECONNREFUSED, "network disabled by the offline test")


    def _refuse_sendto(self, *args, **kwargs):
        _record("sendto", args[-1:])
        raise ConnectionRefusedError(errno.ECONNREFUSED, "network disabled by the offline test")


    def _no_lookup(host, *args, **kwargs):
        _record("lookup", host)
        raise socket.gaierror(socket.EAI_NONAME, "name lookups disabled by the offline test")


    socket.socket.connect = _refuse
    socket.socket.connect_ex = _refuse
    socket.socket.sendto = _refuse_sendto
    socket.create_connection = lambda address, *a, **k: _refuse(None, address)
    socket.getaddrinfo = _no_lookup
    socket.gethostbyname = _no_lookup
    socket.gethostbyname_ex = _no_lookup

    _WATCHED = {
        "torch",
        "transformers",
        "huggingface_hub",
        "sentence_transformers",
        "onnxruntime",
        "llama_cpp",
    }
    _KEYS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK")


    class _Watch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name in _WATCHED:
                _WATCHED.discard(name)
                with open(os.path.join(_DIR, f"imports-{os.getpid()}.jsonl"), "a") as f:
                    env = {k: os.environ.get(k) for k in _KEYS}
                    f.write(json.dumps({"module": name, "env": env}) + "\\n")
            return None


    sys.meta_path.insert(0, _Watch())
    """
)


def _no_network_prefix() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    for flags in (["-n"], ["-rn"]):  # as root; as a user with user namespaces
        if subprocess.run([unshare, *flags, "true"], capture_output=True).returncode == 0:
            return [unshare, *flags]
    return []


def _has_ask_command() -> bool:
    from desktop_rag.cli import main

    return "ask" in main.commands  # type: ignore[attr-defined]


@pytest.mark.slow
def test_ingest_search_and_ask_with_the_network_refused(tmp_path: Path):
    watch = tmp_path / "watch"
    watch.mkdir()
    (watch / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    docgen.make_pdf(docs / "manual.pdf", ["The pump pressure is limited to 40 bar by a valve."])
    (docs / "notes.txt").write_text("The night shift checks the boiler at 2 am.", "utf-8")
    env = {
        **os.environ,
        "DESKTOP_RAG_HOME": str(tmp_path / "home"),
        "OFFLINE_TEST_DIR": str(watch),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(watch), os.environ.get("PYTHONPATH")])),
    }
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
        env.pop(key, None)  # the app must set them itself
    prefix = _no_network_prefix()

    # the trap works: a download attempt is refused and recorded
    control = subprocess.run(
        [sys.executable, "-c", "import urllib.request; urllib.request.urlopen('http://a.test')"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert control.returncode != 0 and "disabled by the offline test" in control.stderr
    for recorded in watch.glob("attempts-*.txt"):
        assert "a.test" in recorded.read_text()
        recorded.unlink()

    steps: list[tuple[list[str], str]] = [
        (["ingest", str(docs), "--library", "Offline", "--quiet"], "2 added"),
        (["search", "what limits the pump pressure", "--library", "Offline"], "manual, p. 1"),
    ]
    if _has_ask_command():  # core/answers/qa.py and `desktop-rag ask` come from another branch
        steps.append((["ask", "What limits the pump pressure?", "--library", "Offline"], ""))
    for argv, expected in steps:
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "desktop_rag", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert proc.returncode == 0, (argv, proc.stderr)
        assert expected in proc.stdout, (argv, proc.stdout)

    attempts = "".join(p.read_text() for p in watch.glob("attempts-*.txt"))
    assert attempts == "", "network use attempted:\n" + attempts
    imports = [json.loads(line) for p in watch.glob("imports-*.jsonl") for line in p.open()]
    seen = {i["module"] for i in imports}
    assert {"torch", "transformers", "huggingface_hub"} <= seen
    # the embedding model ran in one of its two runtimes
    assert seen & {"sentence_transformers", "onnxruntime"}
    for i in imports:  # set before the first import of any model library, in every process
        assert i["env"] == {
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "DO_NOT_TRACK": "1",
        }, i
