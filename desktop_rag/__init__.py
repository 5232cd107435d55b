"""desktop_rag: ask questions about your own documents, fully offline."""

import os as _os

__version__ = "0.1.0"

# Set before any model library can be imported, by us or by a dependency: nothing may reach
# a model hub or send telemetry.
for _name in (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN",
    "DO_NOT_TRACK",
    "ANONYMIZED_TELEMETRY",
):
    _os.environ[_name] = "1" if _name != "ANONYMIZED_TELEMETRY" else "False"
_os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
_os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
_os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

# Idle OpenMP threads sleep instead of spinning. torch and llama.cpp each bring an OpenMP
# runtime; spinning threads of one starve the other (and everything else on a busy machine):
# measured on 2 cores, generation went from ~1 to ~12 tokens/s and a query embedding from
# ~500 to ~90 ms, with batch embedding unchanged. See "Measured on this machine" in the README.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
