"""Measure: what `eval` and `bench` run. Retrieval (BEIR), pages of long PDFs, answers, speed.

Owns the evaluations, the benchmark, and records (a data set's texts into a library).
May import: everything else in `desktop_rag.core`, the library facade included. Nothing in the
core imports it."""
