"""Measure a model on your own GPU and write the points in vramgui's corpus format.

Builds a randomly initialised model from a ``config.json`` directly on the device (no
weights are downloaded), times one prompt's forward pass at a list of prompt lengths and
``generate()`` at a list of (batch, prompt, new tokens) cases with HF transformers (each
shape run once untimed first, the median of the repeats kept), and records the weights'
memory, torch's peak allocated and reserved memory over each ``generate()``, the CUDA
context beside torch's pool, prefill tokens/s and decode ms/token, writing each point as it
is taken.  Needs ``torch`` and ``transformers`` only when run::

    python -m vramgui.tools.measure_gpu --config path/to/config.json --out points.jsonl \
        --dtype bfloat16 --attention sdpa --prompts 512,2048,8192 --generate 1:512:128,8:2048:64 \
        --model-ref llama3-8b --gpu-ref h200

then ``vramgui-cli validate points.jsonl`` compares them with the estimates (``--models
models.json`` for a model the catalog lacks).  ``--device cpu`` runs the same code on the
CPU (for testing the script).  ``--bnb nf4|nf4-nodq|bnb-int8`` replaces the model's linear
layers by bitsandbytes' (NF4 with or without double quantization, LLM.int8() at transformers'
default threshold), as ``load_in_4bit`` / ``load_in_8bit`` load a checkpoint (needs
``bitsandbytes``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import inspect
import json
import platform
import sys
import time
from pathlib import Path

GIB = 2**30
PRECISION = {"float16": "fp16", "bfloat16": "bf16", "float32": "fp32"}   # torch's names -> the corpus's
#: bitsandbytes' formats (vramgui's ids) -> the corpus's precision text (core/validation.py reads them back)
BNB_PRECISION = {"nf4": "bitsandbytes load_in_4bit nf4 with double quant (bnb_4bit_use_double_quant)",
                 "nf4-nodq": "bitsandbytes load_in_4bit nf4",
                 "bnb-int8": "bitsandbytes load_in_8bit (llm_int8_threshold 6.0, transformers' default)"}


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


def _sync(torch, device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def build_model(torch, transformers, config_path: Path, dtype: str, attention: str, device,
                experts: str | None = None):
    cfg_dict = json.loads(Path(config_path).read_text(encoding="utf-8"))
    cfg_dict.pop("quantization_config", None)
    cfg = transformers.AutoConfig.for_model(**cfg_dict)
    torch_dtype = getattr(torch, dtype)
    # transformers 5 calls the argument dtype; 4.x calls it torch_dtype
    dtype_arg = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
    kwargs = {dtype_arg: torch_dtype, **({"experts_implementation": experts} if experts else {})}
    with torch.device(device):
        model = transformers.AutoModelForCausalLM.from_config(cfg, attn_implementation=attention, **kwargs)
    model.eval()
    return model, cfg


def quantize_bnb(torch, model, fmt: str, device) -> int:
    """Replace ``model``'s linear layers, all but its output layer (transformers keeps ``lm_head`` in 16 bits), by
    bitsandbytes' in format ``fmt`` (:data:`BNB_PRECISION`), quantizing their weights on ``device`` as loading a
    checkpoint with ``load_in_4bit`` / ``load_in_8bit`` does; returns how many were replaced."""
    try:
        import bitsandbytes as bnb
    except ImportError:
        raise MeasureError("bitsandbytes is not installed: `pip install bitsandbytes`") from None
    head = model.get_output_embeddings()
    replaced = 0
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if type(child) is not torch.nn.Linear or child is head:
                continue
            bias = child.bias is not None
            if fmt == "bnb-int8":       # (Int8Params quantize when moved from the CPU)
                q = bnb.nn.Linear8bitLt(child.in_features, child.out_features, bias=bias, has_fp16_weights=False,
                                        threshold=6.0)
                q.weight = bnb.nn.Int8Params(child.weight.data.to("cpu", torch.float16), requires_grad=False,
                                             has_fp16_weights=False)
            else:
                double = fmt == "nf4"
                q = bnb.nn.Linear4bit(child.in_features, child.out_features, bias=bias,
                                      compute_dtype=child.weight.dtype, quant_type="nf4", compress_statistics=double)
                q.weight = bnb.nn.Params4bit(child.weight.data, requires_grad=False, quant_type="nf4",
                                             compress_statistics=double)
            if bias:
                q.bias = torch.nn.Parameter(child.bias.data, requires_grad=False)
            setattr(module, name, q.to(device))
            replaced += 1
    # (peft's QLoRA and k-bit preparation read these as loading a quantized checkpoint sets them)
    model.is_loaded_in_4bit, model.is_loaded_in_8bit = fmt != "bnb-int8", fmt == "bnb-int8"
    return replaced


def _is_moe(cfg) -> bool:
    """The config names routed experts (Mixtral, Qwen MoE, DeepSeek, ... ; a multimodal one's text part)."""
    text = cfg.get_text_config() if hasattr(cfg, "get_text_config") else cfg
    return any(getattr(text, k, None) for k in ("num_local_experts", "num_experts", "n_routed_experts"))


def _median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _timed(torch, device, fn, repeats: int, warmup: bool = True) -> float:
    """The median wall time of ``fn()`` over ``repeats`` runs [s], the device synchronised around each,
    after one untimed run (a new shape's first run picks its kernels: 0.4 s for a 512-token prompt)."""
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        _sync(torch, device)
        t0 = time.perf_counter()
        fn()
        _sync(torch, device)
        times.append(time.perf_counter() - t0)
    return _median(times)


def _generate_cases(text: str) -> list[tuple[int, int, int]]:
    """``"1:512:128,16:512:128"``: (batch, prompt tokens, new tokens) per generate run."""
    cases = []
    for part in text.split(","):
        try:
            b, p, n = (int(v) for v in part.split(":"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected batch:prompt:new_tokens triples, got {part!r}") from None
        if min(b, p) < 1 or n < 2:
            raise argparse.ArgumentTypeError(f"batch and prompt must be positive and new tokens at least 2: {part!r}")
        cases.append((b, p, n))
    return cases


def measure(args) -> list[dict]:
    """Measure and append each point to ``args.out`` as soon as it is taken (a run cut short keeps
    what it measured); returns the points."""
    torch, transformers = _imports()
    device = _device(torch, args.device)
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.init()
        torch.zeros(1, device=device)           # the context and the allocator exist from here
        free0, total0 = torch.cuda.mem_get_info(device)
    model, cfg = build_model(torch, transformers, args.config, args.dtype, args.attention, device, args.experts)
    if args.bnb:
        quantize_bnb(torch, model, args.bnb, device)
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
    precision = BNB_PRECISION[args.bnb] if args.bnb else PRECISION[args.dtype]
    vocab = int(getattr(cfg, "vocab_size", 32000))
    gpu = torch.cuda.get_device_name(device) if cuda else platform.processor() or "cpu"
    common = {
        "model": args.name or Path(args.config).parent.name, "model_ref": args.model_ref,
        "engine": "HF transformers (vramgui measure_gpu)", "engine_version": transformers.__version__,
        "precision": precision, "kv_dtype": PRECISION[args.dtype], "flash_attn": args.attention != "eager",
        "gpu": gpu, "gpu_ref": args.gpu_ref, "n_gpus": 1,
        "source": f"vramgui tools/measure_gpu.py, {_dt.date.today().isoformat()}, torch {torch.__version__}",
    }
    points: list[dict] = []
    used = getattr(model.config, "_experts_implementation", None)      # transformers 5 (MoE models' kernels)
    experts = {"experts_implementation": used} if used and _is_moe(cfg) else {}

    def add(ident: str, quantity: str, value: float, unit: str, n_ctx: int, batch: int, extra: dict) -> None:
        point = {"id": ident, "quantity": quantity, "value": round(float(value), 4), "unit": unit,
                 **({"value_mib": round(float(value) * 1024, 2)} if unit == "GiB" else {}),
                 "n_ctx": n_ctx, "batch": batch, **common,
                 "extra": {"attention": args.attention, **experts, **extra}, "quote": ""}
        points.append(point)
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(point) + "\n")

    tag = f"{common['model']}-{args.bnb or PRECISION[args.dtype]}-{args.attention}"
    if args.experts:
        tag += f"-experts-{args.experts}"
    if cuda:
        weights = torch.cuda.memory_allocated(device)
        add(f"{tag}-weights", "weights_gib", weights / GIB, "GiB", 0, 1,
            {"meaning": "torch.cuda.memory_allocated() once the model is built (its parameters and buffers)"})
    # generate() as a user runs it: greedy, no end-of-sequence stop (random weights would stop anywhere)
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0

    def generate(ids, new: int):
        return model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=new, min_new_tokens=new,
                              do_sample=False)

    with torch.inference_mode():
        generate(torch.randint(0, vocab, (1, 16), device=device), 4)          # warm-up: kernels, handles
        for s in args.prompts:
            ids = torch.randint(0, vocab, (1, s), device=device)
            # the prompt's pass as generate() runs it: the cache written, the logits of the last token only
            kw = {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(model.forward).parameters else {}
            dt = _timed(torch, device, lambda ids=ids, kw=kw: model(ids, use_cache=True, **kw), args.repeats)
            add(f"{tag}-prefill-p{s}", "prefill_tok_s", s / dt, "tok/s", s, 1,
                {"prompt_tokens": s, "repeats": args.repeats, "meaning": "one forward pass of the prompt "
                 "(cache written, last token's logits), median of the repeats"})
        for b, p, n in args.generate:
            ids = torch.randint(0, vocab, (b, p), device=device)
            generate(ids, 2)                           # (the prompt's shape and the first steps, untimed)
            if cuda:
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats(device)
            full = _timed(torch, device, lambda ids=ids, n=n: generate(ids, n), args.repeats, warmup=False)
            if cuda:
                peak = torch.cuda.max_memory_allocated(device)
                reserved = torch.cuda.max_memory_reserved(device)
            first = _timed(torch, device, lambda ids=ids: generate(ids, 1), args.repeats, warmup=False)
            case = f"b{b}-p{p}-n{n}"
            # a busy host can make n tokens' run no longer than one token's (a few new tokens, few repeats): timed
            # again with more repeats, and never written as a rate of zero or below
            repeats = args.repeats
            for more in (2, 4):
                if full > first:
                    break
                repeats = more * args.repeats
                print(f"measure_gpu: {tag}-decode-{case}: {n} tokens took {full:.4f} s, one token {first:.4f} s; "
                      f"timing again with {repeats} repeats", file=sys.stderr)
                full = _timed(torch, device, lambda ids=ids, n=n: generate(ids, n), repeats, warmup=False)
                first = _timed(torch, device, lambda ids=ids: generate(ids, 1), repeats, warmup=False)
            step = (full - first) / (n - 1)
            if step <= 0:
                print(f"measure_gpu: {tag}-decode-{case} left out: {n} tokens never took longer than one; "
                      "generate more tokens", file=sys.stderr)
            else:
                add(f"{tag}-decode-{case}", "decode_tok_s", 1.0 / step, "tok/s", p + n, b,
                    {"prompt_tokens": p, "generated_tokens": n, "ms_per_token": round(step * 1e3, 3),
                     "generate_s": round(full, 4), "first_token_s": round(first, 4), "repeats": repeats,
                     "meaning": "tokens/s of one sequence (b decode at once): (generate of n tokens - generate of 1) "
                                "/ (n - 1), medians of the repeats"})
            if cuda:
                extra = {"prompt_tokens": p, "max_new_tokens": n}
                add(f"{tag}-peak-{case}", "peak_alloc_gib", peak / GIB, "GiB", p + n, b,
                    {**extra, "meaning": "torch.cuda.max_memory_allocated() over generate() (weights included)"})
                add(f"{tag}-reserved-{case}", "peak_reserved_gib", reserved / GIB, "GiB", p + n, b,
                    {**extra, "meaning": "torch.cuda.max_memory_reserved() over generate() (weights included)"})
    if cuda:
        free, total = torch.cuda.mem_get_info(device)
        add(f"{tag}-context", "context_gib", (total - free - torch.cuda.memory_reserved(device)) / GIB, "GiB", 0,
            1, {"meaning": "at the end, the device's used memory (total - free) less what torch's allocator holds: "
                           "the CUDA context, cuBLAS's and the other libraries' handles and workspaces",
                "before_model_gib": round((total0 - free0) / GIB, 4)})
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
    ap.add_argument("--experts", default=None,
                    help="transformers 5's experts_implementation for MoE models (eager: a loop over the experts; "
                         "grouped_mm, batched_mm); default: the library's")
    ap.add_argument("--bnb", default=None, choices=sorted(BNB_PRECISION),
                    help="bitsandbytes' linear layers (nf4: with double quantization; bnb-int8: LLM.int8()); "
                         "the model's other weights stay in --dtype")
    ap.add_argument("--prompts", type=_ints, default=[512, 2048], help="prefill lengths, e.g. 512,2048,8192")
    ap.add_argument("--generate", type=_generate_cases, default=[(1, 512, 128), (8, 512, 128)],
                    help="generate() runs as batch:prompt:new_tokens, e.g. 1:512:128,16:2048:64: decode speed "
                         "and peak memory of each")
    ap.add_argument("--repeats", type=lambda v: _ints(v)[0], default=3,
                    help="timed runs of each case (the median is kept)")
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
    print(f"measure_gpu: wrote {len(points)} points to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
