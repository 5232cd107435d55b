"""Tune the hybrid search's convex fusion on a tuning split (never a test split).

Each query's keyword ranking, query vector, vector ranking and the cosines of the keyword
candidates are computed once, through the same functions the app's search uses; then every
weight in the grid is fused and scored (nDCG@10, documents ranked by their best chunk).

    python scripts/tune_fusion.py --beir ../shared/data/korquad_v1_dev_half --split dev \
        --index-dir /tmp/korquad-index [--beir ../shared/data/scifact --split train ...]

Give several --beir/--split/--index-dir triples (in that order) to print each set's scores and
their mean per weight; the index of each must already be built by `desktop-rag eval`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cached_rankings(lib, queries: dict[str, str], candidates: int) -> dict[str, tuple]:
    """Per query: (keyword ranking, vector ranking, cosine of every candidate) as retrieval
    computes them."""
    from desktop_rag.core import textnorm
    from desktop_rag.core.search import retrieval

    embedder = lib.embedder()
    out = {}
    for qid, text in queries.items():
        query = text.strip()
        keyword = lib.store.fts_search(textnorm.fts_query(query), candidates)
        if retrieval.vector_weight_for(query, lib.embedding_model) <= 0:
            out[qid] = (keyword, [], {})
            continue
        qvec = embedder.encode_query(query)
        dense = lib.vectors.search(qvec, candidates)
        cosine = dict(dense)
        missing = [cid for cid, _ in keyword if cid not in cosine]
        cosine.update(retrieval._cosines(lib.store, missing, qvec, lib.vectors.dim))
        out[qid] = (keyword, dense, cosine)
    return out


def fused(keyword, dense, cosine, w: float, n: int) -> list[tuple[int, float]]:
    """The convex fusion over the first `n` candidates of each ranking, vector weight `w`."""
    from desktop_rag.core.search.retrieval import fuse_convex

    if w <= 0 or not dense:
        return keyword[:n]
    if w >= 1.0:
        return dense[:n]
    pool = {cid for cid, _ in keyword[:n]} | {cid for cid, _ in dense[:n]}
    return fuse_convex(keyword[:n], {c: cosine[c] for c in pool}, 1.0 - w, w)


def main() -> None:
    from desktop_rag.core.library import Library
    from desktop_rag.core.measure.evaluation import documents_from_chunks, load_beir, score_run
    from desktop_rag.core.measure.records import record_id_of

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", action="append", required=True)
    parser.add_argument("--split", action="append", required=True)
    parser.add_argument("--index-dir", action="append", required=True)
    parser.add_argument("--candidates", type=int, action="append", default=[])
    args = parser.parse_args()
    if not len(args.beir) == len(args.split) == len(args.index_dir):
        parser.error("give --beir, --split and --index-dir once per set")
    weights = [round(0.05 * i, 2) for i in range(21)]  # vector weight; keyword = 1 - it
    sizes = args.candidates or [300]
    table: dict[str, dict[tuple[int, float], float]] = {}
    for root, split, index in zip(args.beir, args.split, args.index_dir, strict=True):
        dataset = load_beir(root, split)
        with Library(Path(index)) as lib:
            t = time.monotonic()
            cached = cached_rankings(lib, dataset.queries, max(sizes))
            doc_of = {
                int(cid): record_id_of(path)
                for cid, path in lib.store.conn.execute(
                    "SELECT c.id, d.path FROM chunks c JOIN documents d ON d.id = c.document_id"
                )
            }
            model = lib.embedding_model.id
        name = f"{Path(root).name}/{split}"
        print(f"{name}: {len(cached)} queries, rankings in {time.monotonic() - t:.0f} s ({model})")
        table[name] = {}
        for n in sizes:
            for w in weights:
                run = {
                    qid: documents_from_chunks(fused(*ranked, w, n), doc_of, 100)
                    for qid, ranked in cached.items()
                }
                table[name][n, w] = score_run(run, dataset.qrels)["ndcg@10"]
    names = list(table)
    print("candidates  vector weight  " + "  ".join(f"{n:>28}" for n in names) + "        mean")
    for n in sizes:
        for w in weights:
            scores = [table[name][n, w] for name in names]
            print(
                f"{n:>10}  {w:>13.2f}  "
                + "  ".join(f"{s:>28.4f}" for s in scores)
                + f"  {sum(scores) / len(scores):>10.4f}"
            )


if __name__ == "__main__":
    main()
