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
    """Per query: (keyword ranking, cosine of every candidate) as retrieval computes them."""
    from desktop_rag.core import retrieval, textnorm

    embedder = lib.embedder()
    out = {}
    for qid, text in queries.items():
        query = text.strip()
        keyword = lib.store.fts_search(textnorm.fts_query(query), candidates)
        if retrieval.vector_weight_for(query, lib.embedding_model) <= 0:
            out[qid] = (keyword, {})
            continue
        qvec = embedder.encode_query(query)
        cosine = dict(lib.vectors.search(qvec, candidates))
        missing = [cid for cid, _ in keyword if cid not in cosine]
        cosine.update(retrieval._cosines(lib.store, missing, qvec, lib.vectors.dim))
        out[qid] = (keyword, cosine)
    return out


def main() -> None:
    from desktop_rag.core.evaluation import documents_from_chunks, load_beir, score_run
    from desktop_rag.core.library import Library
    from desktop_rag.core.records import record_id_of
    from desktop_rag.core.retrieval import fuse_convex

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", action="append", required=True)
    parser.add_argument("--split", action="append", required=True)
    parser.add_argument("--index-dir", action="append", required=True)
    parser.add_argument("--candidates", type=int, default=300)
    args = parser.parse_args()
    if not len(args.beir) == len(args.split) == len(args.index_dir):
        parser.error("give --beir, --split and --index-dir once per set")
    weights = [round(0.05 * i, 2) for i in range(21)]  # vector weight; keyword = 1 - it
    table: dict[str, dict[float, float]] = {}
    for root, split, index in zip(args.beir, args.split, args.index_dir, strict=True):
        dataset = load_beir(root, split)
        with Library(Path(index)) as lib:
            t = time.monotonic()
            cached = cached_rankings(lib, dataset.queries, args.candidates)
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
        for w in weights:
            run = {}
            for qid, (keyword, cosine) in cached.items():
                fused = fuse_convex(keyword, cosine, 1.0 - w, w) if w > 0 else keyword
                if w >= 1.0:
                    fused = sorted(cosine.items(), key=lambda kv: -kv[1])
                run[qid] = documents_from_chunks(fused, doc_of, 100)
            table[name][w] = score_run(run, dataset.qrels)["ndcg@10"]
    names = list(table)
    print("vector weight  " + "  ".join(f"{n:>28}" for n in names) + "        mean")
    for w in weights:
        scores = [table[n][w] for n in names]
        print(
            f"{w:>13.2f}  "
            + "  ".join(f"{s:>28.4f}" for s in scores)
            + f"  {sum(scores) / len(scores):>10.4f}"
        )


if __name__ == "__main__":
    main()
