"""`desktop-rag eval` and `bench`: how well search and answers do, and how fast."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from desktop_rag.cli.common import _friendly
from desktop_rag.core.errors import UserError


@click.command("eval")
@click.option(
    "--beir",
    "beir_dir",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=str),
    help="Search quality on a BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv), or "
    "on a SQuAD/KorQuAD folder (articles.jsonl, questions.jsonl, split.json) read as one.",
)
@click.option(
    "--pages",
    "pages_dir",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=str),
    help="A folder of PDFs with questions.jsonl naming each question's evidence pages "
    "(FinanceBench's layout): page-hit@1/5/10 and MRR.",
)
@click.option(
    "--qa",
    "qa_dir",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=str),
    help="Answer quality on a question-answering set (articles or PDFs with questions).",
)
@click.option(
    "--summaries",
    "summaries_dir",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=str),
    help="Summarize every document of a folder (or its pdfs/): time to the first text and in "
    "all, and the share of the model's sentences the pages support.",
)
@click.option(
    "--mode",
    type=click.Choice(["bm25", "dense", "hybrid", "all"]),
    default="all",
    show_default=True,
    help="--beir, --pages: keyword, meaning, or the hybrid search users get; all: each.",
)
@click.option("--split", default="test", show_default=True, help="Which split to score.")
@click.option(
    "--limit",
    default=0,
    help="--qa: ask this many questions, drawn at random; --summaries: "
    "summarize the first this many documents.",
)
@click.option("--seed", default=0, show_default=True, help="--qa: the draw's seed.")
@click.option(
    "--model", "model_ref", default="", help="--qa, --summaries: a .gguf path or registered name."
)
@click.option(
    "--embedding-model",
    default="",
    help="--beir: the index's embedding model (default: chosen by the corpus's language, as "
    "for a new library): 'e5' (multilingual-e5-small), 'minilm' (all-MiniLM-L6-v2), or a "
    "sentence-transformers folder.",
)
@click.option(
    "--index-dir",
    default=None,
    type=click.Path(file_okay=False, path_type=str),
    help="Keep the indexed corpus here and reuse it next time (default: a temporary folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_friendly
def eval_command(
    beir_dir: str | None,
    pages_dir: str | None,
    qa_dir: str | None,
    summaries_dir: str | None,
    mode: str,
    split: str,
    limit: int,
    seed: int,
    model_ref: str,
    embedding_model: str,
    index_dir: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Measure search (--beir: nDCG@10, Recall@10/100, MRR@10 per mode; --pages: page-hit@1/
    5/10 and MRR on PDFs with gold pages) or answers (--qa: right, cited, refused when they
    should be, in the question's language, how fast) or summaries (--summaries: how long, how
    many of their sentences the pages support)."""
    from tqdm import tqdm

    if sum(1 for d in (beir_dir, qa_dir, pages_dir, summaries_dir) if d) != 1:
        raise UserError(
            "Give one dataset to measure on.",
            "Use --beir DIR, --pages DIR, --qa DIR or --summaries DIR.",
        )
    bar = None if quiet else tqdm(total=0, unit="doc", file=sys.stderr, dynamic_ncols=True)

    def progress(p: Any) -> None:
        if bar is not None:
            bar.total = p.files_total
            bar.n = p.files_done
            bar.set_postfix_str(f"{p.pages_done} pages, {p.chunks_done} chunks", refresh=False)
            bar.refresh()

    from desktop_rag.core.measure.evaluation import MODES

    modes = MODES if mode == "all" else (mode,)
    report: Any
    try:
        if qa_dir:
            report = _eval_qa(qa_dir, split, limit, seed, model_ref, index_dir, progress, bar)
        elif summaries_dir:
            from desktop_rag.core.measure.summary_eval import evaluate_summaries

            def summarized(outcome: Any, done: int, total: int) -> None:
                if bar is not None:
                    bar.unit, bar.total, bar.n = "document", total, done
                    bar.set_postfix_str(f"{outcome.document} {outcome.total_s:.0f} s")
                    bar.refresh()

            report = evaluate_summaries(
                summaries_dir, model_ref, index_dir, limit, progress=progress,
                on_summary=summarized,
            )  # fmt: skip
        elif pages_dir:
            from desktop_rag.core.measure.page_evaluation import evaluate_pages

            report = evaluate_pages(pages_dir, modes, index_dir=index_dir, progress=progress)
        else:
            from desktop_rag.core.measure.evaluation import evaluate_beir

            assert beir_dir is not None
            report = evaluate_beir(
                beir_dir,
                modes,
                split,
                index_dir=index_dir,
                progress=progress,
                embedding_model=embedding_model,
            )
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.table())


def _eval_qa(
    qa_dir: str,
    split: str,
    limit: int,
    seed: int,
    model_ref: str,
    index_dir: str | None,
    progress: Callable[[Any], None],
    bar: Any,
) -> Any:
    from desktop_rag.core.measure.qa_eval import evaluate_qa

    asked = [0]

    def on_answer(outcome: Any, done: int, total: int) -> None:
        asked[0] = done
        if bar is not None:
            bar.unit = "question"
            bar.total, bar.n = total, done
            bar.set_postfix_str(
                f"{outcome.status}, {'right' if outcome.correct else 'wrong'}", refresh=False
            )
            bar.refresh()

    def on_progress(p: Any) -> None:
        if not asked[0]:
            progress(p)

    return evaluate_qa(
        qa_dir, split, limit, seed, model_ref, index_dir,
        progress=on_progress, on_answer=on_answer,
    )  # fmt: skip


@click.command()
@click.option("--quick", is_flag=True, help="Smaller inputs and fewer repeats (a few minutes).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(["ingest", "search", "generation", "startup", "summary"]),
    help="Run only these sections (repeatable).",
)
@click.option(
    "--embedding-model",
    default="",
    help="Embedding model for ingest and search (default: as a new library chooses for "
    "ingest, multilingual-e5-small for search): 'e5', 'minilm', or a sentence-transformers "
    "folder.",
)
@click.option(
    "--scale",
    is_flag=True,
    help="Instead: build libraries of 10k, 100k and 1M chunks and report search p50/p95, "
    "open time, memory and disk per chunk, with a plot (--plot).",
)
@click.option(
    "--scale-sizes",
    default="10000,100000,1000000",
    show_default=True,
    help="--scale: the library sizes, in chunks.",
)
@click.option(
    "--scale-dir",
    default=None,
    type=click.Path(file_okay=False, path_type=str),
    help="--scale: keep the libraries here and reuse them next time (1M chunks take a while "
    "to build).",
)
@click.option(
    "--plot",
    "plot_path",
    default="bench-scale.png",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=str),
    help="--scale: where to draw the plot (PNG).",
)
@_friendly
def bench(
    quick: bool,
    as_json: bool,
    only: tuple[str, ...],
    embedding_model: str,
    scale: bool,
    scale_sizes: str,
    scale_dir: str | None,
    plot_path: str,
) -> None:
    """Speed of ingestion, search, generation, start-up and summaries, each beside the raw
    component where there is one; with --scale, how search, memory and disk grow with the
    library."""
    from desktop_rag.core.measure.benchmark import SECTIONS, run_benchmark

    def progress(p: Any) -> None:
        click.echo(f"… {p.current}", err=True)

    if scale:
        _bench_scale(scale_sizes, scale_dir, plot_path, embedding_model, as_json, quick)
        return

    report = run_benchmark(
        quick=quick, sections=only or SECTIONS, progress=progress, embedding_model=embedding_model
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.table())


def _bench_scale(
    sizes_text: str,
    folder: str | None,
    plot_path: str,
    embedding_model: str,
    as_json: bool,
    quick: bool,
) -> None:
    import importlib.util
    from pathlib import Path

    from desktop_rag.core.measure.benchmark import machine_facts
    from desktop_rag.core.measure.scale import plot, run_scale, table

    try:
        sizes = [int(s.replace("_", "")) for s in sizes_text.split(",") if s.strip()]
    except ValueError as exc:
        raise UserError(
            f"--scale-sizes: {sizes_text} is not a list of numbers.", "For example 10000,100000."
        ) from exc
    if not sizes or min(sizes) < 100:
        raise UserError("--scale-sizes: give sizes of at least 100 chunks.")
    if importlib.util.find_spec("matplotlib") is None:  # checked before an hour of building
        raise UserError(
            "bench --scale draws its plot with matplotlib, which is not installed.",
            "Run it from a development install (`make`).",
        )
    points = run_scale(
        sizes,
        Path(folder) if folder else None,
        queries=60 if quick else 200,
        say=lambda text: click.echo(f"… {text}", err=True),
        embedding_model=embedding_model,
    )
    machine = machine_facts()
    drawn = plot(points, Path(plot_path), title=f"desktop-rag bench --scale ({machine['cpu']})")
    if as_json:
        out = {"machine": machine, "points": [p.to_dict() for p in points], "plot": str(drawn)}
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(table(points, machine))
        click.echo(f"plot: {drawn}")


# what desktop_rag.cli adds to `desktop-rag`
COMMANDS = [eval_command, bench]
