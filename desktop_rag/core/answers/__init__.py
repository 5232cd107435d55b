"""Answers: the ask lane. A question into a cited answer, and what an answer is exported as.

Owns qa (retrieve, choose evidence, generate, decide "not found"), citations, the LLM wrapper
and the model's own process (llm_process, llama_runtime), the model registry and discovery,
page highlights and export.
May import: `search`, `storage`, `documents` and the shared leaves. Never `indexing` (the other
lane) nor the library facade."""
