"""Measure a model on your own GPU and write the points in vramgui's corpus format.

Builds a randomly initialised model from a ``config.json`` directly on the device (no
weights are downloaded), runs prefill at a list of prompt lengths and decode at a list of
batch sizes with HF transformers, and records torch's peak allocated and reserved
memory, the device's used memory as nvidia-smi reports it (total − free), prefill
tokens/s and decode ms/token.  Needs ``torch`` and ``transformers`` only when run::

    python -m vramgui.tools.measure_gpu --config path/to/config.json --out points.jsonl \\
        --dtype float16 --attention sdpa --prompts 512,2048,8192 --batches 1,8,32

then ``vramgui-cli validate points.jsonl --models models.json`` compares them with the
estimates.  ``--device cpu`` runs the same code on the CPU (for testing the script).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import inspect
import json
import platform
import sys
import time
from pathlib import Path

GIB = 2**30


class MeasureError(RuntimeError):
    """A clear, one-line reason the measurement cannot run."""


def _imports():
    try:
        import torch
    except ImportError:
        raise MeasureError("PyTorch is not installed: `pip install torch` (a CUDA build for a GPU)") from None
    try:
        import transformers
    except ImportError:
        raise MeasureError("transformers is not installed: `pip install transformers`") from None
    return torch, transformers


def _device(torch, name: str):
    if name == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise MeasureError("no CUDA GPU is visible to PyTorch (torch.cuda.is_available() is False); "
                           "use --device cpu only to test this script")
    return torch.device(name)


def _memory(torch, device) -> dict:
    if device.type != "cuda":
        return {}
    free, total = torch.cuda.mem_get_info(device)
    return {"peak_alloc_gib": torch.cuda.max_memory_allocated(device) / GIB,
            "peak_reserved_gib": torch.cuda.max_memory_reserved(device) / GIB,
            "used_gib": (total - free) / GIB, "total_gib": total / GIB}


def _sync(torch, device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def build_model(torch, transformers, config_path: Path, dtype: str, attention: str, device):
    cfg_dict = json.loads(Path(config_path).read_text(encoding="utf-8"))
    cfg_dict.pop("quantization_config", None)
    cfg = transformers.AutoConfig.for_model(**cfg_dict)
    torch_dtype = getattr(torch, dtype)
    # transformers 5 calls the argument dtype; 4.x calls it torch_dtype
    dtype_arg = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
    with torch.device(device):
        model = transformers.AutoModelForCausalLM.from_config(cfg, attn_implementation=attention,
                                                              **{dtype_arg: torch_dtype})
    model.eval()
    return model, cfg


def measure(args) -> list[dict]:
    torch, transformers = _imports()
    device = _device(torch, args.device)
    model, cfg = build_model(torch, transformers, args.config, args.dtype, args.attention, device)
    vocab = int(getattr(cfg, "vocab_size", 32000))
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    common = {
        "model": args.name or Path(args.config).parent.name, "model_ref": args.model_ref,
        "engine": "HF transformers (vramgui measure_gpu)", "engine_version": transformers.__version__,
        "precision": args.dtype, "kv_dtype": args.dtype, "flash_attn": args.attention != "eager",
        "gpu": gpu, "gpu_ref": args.gpu_ref, "n_gpus": 1,
        "source": f"vramgui tools/measure_gpu.py, {_dt.date.today().isoformat()}, torch {torch.__version__}",
    }
    points: list[dict] = []

    def add(ident: str, quantity: str, value: float, unit: str, n_ctx: int, batch: int, extra: dict) -> None:
        points.append({"id": ident, "quantity": quantity, "value": round(float(value), 4), "unit": unit,
                       **({"value_mib": round(float(value) * 1024, 2)} if unit == "GiB" else {}),
                       "n_ctx": n_ctx, "batch": batch, **common,
                       "extra": {"attention": args.attention, **extra}, "quote": ""})

    tag = f"{common['model']}-{args.dtype}-{args.attention}"
    with torch.inference_mode():
        for s in args.prompts:
            ids = torch.randint(0, vocab, (1, s), device=device)
            if device.type == "cuda":
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats(device)
            _sync(torch, device)
            t0 = time.perf_counter()
            model(ids, use_cache=True)
            _sync(torch, device)
            dt = time.perf_counter() - t0
            mem = _memory(torch, device)
            add(f"{tag}-prefill-p{s}", "prefill_tok_s", s / dt, "tok/s", s, 1, {"prompt_tokens": s})
            for key, value in mem.items():
                if key != "total_gib":
                    add(f"{tag}-p{s}-{key}", key, value, "GiB", s, 1,
                        {"prompt_tokens": s, "meaning": f"torch {key} after a {s}-token prefill"})
        # transformers 5 renamed past_key_values to cache (argument and output)
        cache_arg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
        for b in args.batches:
            ids = torch.randint(0, vocab, (b, args.decode_context), device=device)
            out = model(ids, use_cache=True)
            past = out[cache_arg]
            nxt = out.logits[:, -1:].argmax(-1)
            _sync(torch, device)
            t0 = time.perf_counter()
            for _ in range(args.decode_steps):
                out = model(nxt, use_cache=True, **{cache_arg: past})
                past = out[cache_arg]
                nxt = out.logits[:, -1:].argmax(-1)
            _sync(torch, device)
            step = (time.perf_counter() - t0) / args.decode_steps
            add(f"{tag}-decode-b{b}", "decode_tok_s", 1.0 / step, "tok/s", args.decode_context, b,
                {"ms_per_token": round(step * 1e3, 3), "context": args.decode_context,
                 "steps": args.decode_steps, "meaning": "tokens/s of one sequence (batch b decodes b at once)"})
    return points


def _ints(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive whole numbers, got {text!r}")
    return values


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="measure_gpu", description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, required=True, help="a Hugging Face config.json")
    ap.add_argument("--out", type=Path, required=True, help="JSONL file to append the points to")
    ap.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (cpu: for testing the script)")
    ap.add_argument("--dtype", default="float16", choices=["float16", "bfloat16", "float32"])
    ap.add_argument("--attention", default="sdpa", choices=["eager", "sdpa", "flash_attention_2"])
    ap.add_argument("--prompts", type=_ints, default=[512, 2048], help="prefill lengths, e.g. 512,2048,8192")
    ap.add_argument("--batches", type=_ints, default=[1, 8], help="decode batch sizes, e.g. 1,8,32")
    ap.add_argument("--decode-context", type=int, default=128, help="tokens already in the cache when decoding")
    ap.add_argument("--decode-steps", type=int, default=32)
    ap.add_argument("--name", default=None, help="model name to record (default: the config's folder)")
    ap.add_argument("--model-ref", default=None, help="id of the model in vramgui's catalog or models.json")
    ap.add_argument("--gpu-ref", default=None, help="id of the card in vramgui's catalog")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.config.is_file():
        print(f"measure_gpu: error: {args.config}: no such config.json", file=sys.stderr)
        return 2
    try:
        points = measure(args)
    except MeasureError as exc:
        print(f"measure_gpu: error: {exc}", file=sys.stderr)
        return 2
    with open(args.out, "a", encoding="utf-8") as fh:
        for p in points:
            fh.write(json.dumps(p) + "\n")
    print(f"measure_gpu: wrote {len(points)} points to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
