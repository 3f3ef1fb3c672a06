"""Measure fine-tuning memory of a randomly initialised model built from a preset's config.

For each case, runs a few training steps (forward with labels, backward, optimizer step) of
HF transformers with PyTorch's AdamW on a model built from ``presets/models/<id>.json``
directly on the device (no weights downloaded), and prints one JSON line per case with
torch's peak allocated and reserved memory, the device's used memory and the step time::

    python benchmarks/measure_training.py --model llama3.2-1b --case full:none:2048:4 \\
        --case full:full:2048:4 --case lora:full:2048:4 --out training_points.jsonl

A case is ``method:checkpointing:seq:micro_batch[:step]`` (method full, lora, qlora or qlora-raw;
checkpointing none or full; AdamW's step foreach, PyTorch's default, or fused). LoRA adapts q_proj
and v_proj at rank 16 (peft). The parameters are bf16 and AdamW keeps its moments in the parameters'
dtype (vramgui's ``adamw-bf16``). QLoRA quantizes the linear layers but the output layer to NF4 with
double quantization (bitsandbytes, as ``load_in_4bit`` loads a checkpoint), then ``qlora`` runs
peft's ``prepare_model_for_kbit_training`` (every other 16-bit weight cast to fp32) and ``qlora-raw``
does not; QLoRA's forward passes run under bf16 autocast, as HF's Trainer with ``bf16=True`` runs them
(the fp32 weights' matmuls in bf16), the other methods' without. ``--device cpu`` runs a tiny config on
the CPU to test the script.

``--grad-accum N`` sums N micro-batches' gradients into each step.

``--caps 1.0,1.02,1.05`` asks how much memory a case *needs*, which a roomy card's pool does not
show (the caching allocator keeps every block it once reserved and only frees cached blocks and
retries when an allocation fails): after the uncapped run, the case runs again with torch's pool
capped (``torch.cuda.set_per_process_memory_fraction``) at each multiple of the uncapped peak
allocated, smallest first, until one completes; one line per try (``cap_gib``, ``ok``). The
allocator's settings (``PYTORCH_CUDA_ALLOC_CONF``, e.g. ``expandable_segments:True``) are recorded.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
import time
from pathlib import Path

GIB = 2**30
ROOT = Path(__file__).resolve().parent.parent


def _case(text: str) -> tuple[str, str, int, int, str]:
    try:
        method, ckpt, seq, batch, *step = text.split(":")
        seq_n, batch_n = int(seq), int(batch)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected method:checkpointing:seq:batch[:step], got {text!r}") from None
    step = step[0] if step else "foreach"
    if (method not in ("full", "lora", "qlora", "qlora-raw") or ckpt not in ("none", "full") or min(seq_n, batch_n) < 1
            or step not in ("foreach", "fused") or text.count(":") > 4):
        raise argparse.ArgumentTypeError(f"method full|lora|qlora|qlora-raw, checkpointing none|full, positive "
                                         f"sizes, step foreach|fused: {text!r}")
    return method, ckpt, seq_n, batch_n, step


def build(torch, transformers, config: dict, device, method: str):
    cfg = transformers.AutoConfig.for_model(**config)
    with torch.device(device):
        model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16, attn_implementation="sdpa")
    if method.startswith("qlora"):
        import peft

        from vramgui.tools.measure_gpu import quantize_bnb
        quantize_bnb(torch, model, "nf4", device)
        gc.collect()
        if method == "qlora":     # (checkpointing is the case's, set after)
            model = peft.prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    if method != "full":
        import peft
        model = peft.get_peft_model(model, peft.LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj", "v_proj"],
                                                           lora_dropout=0.0, task_type="CAUSAL_LM"))
    return model, cfg


def run_case(torch, transformers, config: dict, device, case, steps: int, accum: int = 1) -> dict:
    method, ckpt, seq, batch, step = case
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    model, cfg = build(torch, transformers, config, device, method)
    if ckpt == "full":
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if method != "full":
            model.enable_input_require_grads()
    model.train()
    weights = torch.cuda.memory_allocated(device) if cuda else 0
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-5, **({"fused": True} if step == "fused" else {}))
    ids = torch.randint(0, int(cfg.vocab_size), (batch, seq), device=device)
    autocast = method.startswith("qlora")

    def forward(model=model):
        with torch.autocast(device.type, dtype=torch.bfloat16) if autocast else contextlib.nullcontext():
            return model(input_ids=ids, labels=ids, use_cache=False).loss
    times = []
    for _ in range(steps):
        if cuda:
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        for _ in range(accum):      # gradient accumulation: the gradients stay through the next forward pass
            loss = forward() / accum
            loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    out = {"method": method, "checkpointing": ckpt, "seq_len": seq, "micro_batch": batch, "steps": steps,
           **({"grad_accum": accum} if accum > 1 else {}),
           "optimizer_step": step, **({"autocast": "bf16"} if autocast else {}),
           "trainable_params": sum(p.numel() for p in trainable),
           "params": sum(p.numel() for p in model.parameters()),
           "step_s": sorted(times)[len(times) // 2], "loss_finite": bool(torch.isfinite(loss).item())}
    if cuda:
        free, total = torch.cuda.mem_get_info(device)
        stats = torch.cuda.memory_stats(device)
        out.update({"weights_gib": weights / GIB,
                    "peak_alloc_gib": torch.cuda.max_memory_allocated(device) / GIB,
                    "peak_reserved_gib": torch.cuda.max_memory_reserved(device) / GIB,
                    "used_gib_at_end": (total - free) / GIB,
                    "alloc_retries": stats.get("num_alloc_retries", 0),
                    "peak_inactive_split_gib": stats.get("inactive_split_bytes.all.peak", 0) / GIB})
    del model, opt, loss, trainable, forward
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="a preset id (presets/models/<id>.json)")
    ap.add_argument("--case", type=_case, action="append", required=True)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--grad-accum", type=int, default=1, help="micro-batches a step (their losses' gradients summed)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--caps", type=lambda t: [float(x) for x in t.split(",")], default=[],
                    help="multiples of the uncapped peak allocated to cap torch's pool at, smallest first")
    args = ap.parse_args(argv)
    import torch
    import transformers
    preset = json.loads((ROOT / "presets" / "models" / f"{args.model}.json").read_text(encoding="utf-8"))
    config = dict(preset["config"])
    config.pop("quantization_config", None)
    device = torch.device(args.device)
    if device.type == "cpu":      # the script's own test: the preset's shape, shrunk
        config.update(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, vocab_size=256, head_dim=16)
    else:
        torch.zeros(1, device=device)
    head = {"model_ref": args.model, "torch": torch.__version__, "transformers": transformers.__version__,
            "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "alloc_conf": os.environ.get("PYTORCH_CUDA_ALLOC_CONF", "")}
    for case in args.case:
        point = {**head, **run_case(torch, transformers, config, device, case, args.steps, args.grad_accum)}
        _write(args.out, point)
        _release(torch, device)
        for ratio in args.caps if device.type == "cuda" else []:
            cap = point["peak_alloc_gib"] * ratio * GIB
            total = torch.cuda.mem_get_info(device)[1]
            torch.cuda.set_per_process_memory_fraction(min(1.0, cap / total), device.index or 0)
            tried = {**head, "cap_ratio": ratio, "cap_gib": cap / GIB}
            try:
                tried.update(ok=True, **run_case(torch, transformers, config, device, case, args.steps,
                                                 args.grad_accum))
            except (torch.cuda.OutOfMemoryError, RuntimeError) as e:    # cuBLAS's workspace fails as RuntimeError
                if "out of memory" not in str(e).lower():
                    raise
                tried.update(ok=False, method=case[0], checkpointing=case[1], seq_len=case[2], micro_batch=case[3],
                             optimizer_step=case[4], error=str(e).splitlines()[0][:300],
                             alloc_retries=torch.cuda.memory_stats(device).get("num_alloc_retries", 0))
            _release(torch, device)
            torch.cuda.set_per_process_memory_fraction(1.0, device.index or 0)
            _write(args.out, tried)
            if tried["ok"]:
                break
    return 0


def _write(out: Path, point: dict) -> None:
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(point) + "\n")
    print(json.dumps(point), flush=True)


def _release(torch, device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


if __name__ == "__main__":
    sys.exit(main())
