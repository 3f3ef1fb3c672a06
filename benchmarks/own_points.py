"""The measured corpus's points from vramgui's own GPU runs, derived from the raw files.

``benchmarks/gpu_session.sh`` writes what ``tools/measure_gpu.py`` measured, verbatim, into
``tests/data/measured/<card>-<date>/round<N>-infer.jsonl``; this script turns the lines the
corpus keeps into corpus points (ids prefixed ``own-``, the raw line quoted, the run's
settings and machine named) and prints them, one JSON line each::

    python benchmarks/own_points.py > /tmp/own.jsonl               # corpus.jsonl's
    python benchmarks/own_points.py training > /tmp/own-train.jsonl  # training.jsonl's

``tests/test_own_measurements.py`` checks that every ``own-`` point of the corpus is what this
script derives, so a value can only change with the raw file it was read from.

What is kept: the memory of every round (allocated bytes do not depend on warm-up), and the
speed of rounds 2-5 and 7-9 (round 6 ran narrow models alone, into ``round6-host.jsonl``). Round 1
timed each prompt length's first pass (the kernels' selection for a new shape, 0.4 s at 512
tokens) and took the middle of two runs; the later rounds run every shape once untimed and keep
the median of five (round 2) or three. Round 4's MoE runs
with transformers' per-expert loop (``--experts eager``) keep their memory only: the speed
model times the library's default kernel (grouped_mm).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from vramgui.tools.measure_gpu import PRECISION  # torch's dtype names -> the corpus's (round 1 wrote torch's)

ROOT = Path(__file__).resolve().parent.parent
KEPT = {"weights_gib", "peak_alloc_gib", "context_gib", "prefill_tok_s", "decode_tok_s"}
RUNS = {  # folder -> (the machine, {round: quantities kept})
    "h200-2026-12-04": (
        "one NVIDIA H200 SXM 141 GB (700 W limit, driver 580.159.04, CUDA 13.0) in a lent Firecracker VM, 16 "
        "vCPUs ('Intel(R) Xeon(R) Processor'); Python 3.12.3, torch 2.11.0+cu130, transformers 5.17.0",
        {1: {"weights_gib", "peak_alloc_gib"},        # (no warm-up then: its timings are not kept)
         2: KEPT - {"weights_gib"},                   # (its models' weights are round 1's)
         3: KEPT, 4: KEPT, 5: KEPT,
         7: KEPT - {"weights_gib"},               # (Llama 3 8B's weights again)
         8: KEPT, 9: KEPT,
         **{n: set() for n in range(10, 16)}}),      # (fine-tuning alone: round<N>-train.jsonl)
}
MEANING = {"non_torch_gib": "context_gib"}   # round 2 wrote the context under vLLM's name for a different figure


def points() -> list[dict]:
    out = []
    for folder, (machine, rounds) in RUNS.items():
        for n, kept in rounds.items():
            raw = ROOT / "tests" / "data" / "measured" / folder / f"round{n}-infer.jsonl"
            if not kept:
                continue
            seen = set()
            for line in raw.read_text(encoding="utf-8").splitlines():
                p = json.loads(line)
                quantity = MEANING.get(p["quantity"], p["quantity"])
                if quantity not in kept:
                    continue
                looped = p["extra"].get("experts_implementation", "grouped_mm") != "grouped_mm"
                if quantity.endswith("tok_s") and looped:
                    continue     # the per-expert loop (--experts eager) is not what transformers 5 runs by default
                precision = PRECISION.get(p["precision"], p["precision"])
                ident = p["id"].replace("bfloat16", "bf16")
                ident = f"{ident}-again" if ident in seen else ident     # a model run twice in a round (rounds 8, 9)
                seen.add(ident)
                extra = dict(p["extra"])
                if quantity in ("prefill_tok_s", "decode_tok_s"):
                    extra["bound_group"] = "own-hf-h200"
                out.append({
                    **p, "id": f"own-{folder}-r{n}-{ident}", "quantity": quantity,
                    "precision": precision, "kv_dtype": PRECISION.get(p["kv_dtype"], p["kv_dtype"]),
                    "engine": f"HF transformers (generate, {p['extra']['attention']})",
                    "source": f"vramgui's own run: benchmarks/gpu_session.sh round {n} (tools/measure_gpu.py; "
                              f"randomly initialised weights built from the preset's config.json), {machine}; raw "
                              f"file tests/data/measured/{folder}/round{n}-infer.jsonl",
                    "extra": extra, "quote": line,
                })
    return out


def training_points() -> list[dict]:
    """``training.jsonl``'s points from the runs' ``round<N>-train.jsonl`` (benchmarks/measure_training.py): the
    device's used memory at the end of three steps, which is torch's peak reserved pool plus the context; and from
    the runs with torch's pool capped (``--caps``), one "needed" point a case: the smallest cap that completed,
    beside the largest that failed."""
    out = []
    for folder, (machine, rounds) in RUNS.items():
        for n in rounds:
            raw = ROOT / "tests" / "data" / "measured" / folder / f"round{n}-train.jsonl"
            if not raw.exists():
                continue
            lines = raw.read_text(encoding="utf-8").splitlines()
            runs = [(line, json.loads(line)) for line in lines]
            for line, r in runs:
                if "cap_gib" not in r:
                    out += [_training_point(folder, machine, n, line), _allocated_point(folder, machine, n, line)]
            series: dict[tuple, list[tuple[str, dict]]] = {}
            for line, r in runs:
                if "cap_gib" in r:
                    series.setdefault((r["model_ref"], r["method"], r["checkpointing"], r["seq_len"],
                                       r["micro_batch"], r["optimizer_step"], r["alloc_conf"]), []).append((line, r))
            # the context: used - reserved of the round's uncapped runs (a capped run's pool shrinks when it retries)
            context = max((r["used_gib_at_end"] - r["peak_reserved_gib"] for _, r in runs if "cap_gib" not in r),
                          default=0.0)
            out += [_needed_point(folder, machine, n, tries, context) for tries in series.values()
                    if any(r["ok"] for _, r in tries)]
    return out


def _needed_point(folder: str, machine: str, n: int, tries: list[tuple[str, dict]], context: float) -> dict:
    """The memory a case needs: torch's pool capped (torch.cuda.set_per_process_memory_fraction) at multiples of
    its uncapped allocated peak, smallest first, until a run completed (``tries``: each try's raw line and its
    parsed run); ``context`` (the CUDA context beside the pool, GiB) added to the caps."""
    line, ok = next((line, r) for line, r in tries if r["ok"])
    failed = [r["cap_gib"] for _, r in tries if not r["ok"]]
    point = _training_point(folder, machine, n, line)
    point.update({
        "id": point["id"] + "-needed", "quantity": "needed_per_gpu",
        "value": round(ok["cap_gib"] + context, 4), "value_gib": round(ok["cap_gib"] + context, 4),
        "value_gib_how": "torch's pool capped at the smallest multiple of the uncapped allocated peak that let three "
                         "steps complete, plus the CUDA context (used - reserved of the round's uncapped runs)",
        "fails_at_gib": round(max(failed) + context, 4) if failed else None,
        "measured_how": "benchmarks/measure_training.py --caps: the case run again with "
                        "torch.cuda.set_per_process_memory_fraction at each cap, smallest first (quote: the run "
                        "that completed; quote_failed: those that ran out of memory)",
        "quote_failed": [line for line, r in tries if not r["ok"]],
    })
    return point


def _allocated_point(folder: str, machine: str, n: int, line: str) -> dict:
    """The run's allocated peak (torch.cuda.max_memory_allocated over the steps): what its tensors held at once."""
    point = _training_point(folder, machine, n, line)
    alloc = round(json.loads(line)["peak_alloc_gib"], 4)
    point.update({"id": point["id"] + "-allocated", "quantity": "peak_allocated_per_gpu", "value": alloc,
                  "value_gib": alloc, "value_gib_how": "torch.cuda.max_memory_allocated() over the steps, GiB",
                  "measured_how": "torch.cuda.max_memory_allocated() over 3 steps (quote: peak_alloc_gib)"})
    return point


def _training_point(folder: str, machine: str, n: int, line: str) -> dict:
    r = json.loads(line)
    lora = r["method"] != "full"
    qlora = r["method"].startswith("qlora")      # (qlora: with peft's k-bit preparation; qlora-raw: without)
    step = r.get("optimizer_step", "foreach")      # round 1's tool ran torch's default (foreach) alone
    expandable = "expandable_segments:True" in r.get("alloc_conf", "")
    ident = (f"own-{folder}-{r['model_ref']}-{r['method']}-ckpt{r['checkpointing']}-s{r['seq_len']}"
             f"-b{r['micro_batch']}" + (f"-accum{r['grad_accum']}" if r.get("grad_accum", 1) > 1 else "")
             + (f"-r{n}-{step}" if n > 1 else "") + ("-expandable" if expandable else ""))
    return {
        "id": ident, "quantity": "used_per_gpu", "value": round(r["used_gib_at_end"], 4), "unit": "GiB",
        "value_gib": round(r["used_gib_at_end"], 4),
        "value_gib_how": "the device's used memory (total - free) after the steps: torch's peak reserved pool "
                         "(it is not given back) plus the CUDA context",
        "allocator": "expandable segments (PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True)" if expandable
                     else "PyTorch's caching allocator (default)",
        "memory_scope": "per_gpu", "evidence": "measured", "model": r["model_ref"], "model_ref": r["model_ref"],
        "method": "qlora" if qlora else r["method"], "lora_rank": 16 if lora else None,
        "lora_targets": "q_proj, v_proj" if lora else None,
        "precision": ("the forward passes under bf16 autocast; peft's fp32 adapters and AdamW's moments" if qlora
                      else "bf16 (parameters, gradients and AdamW's moments)"),
        "base_quant": ("bitsandbytes NF4 with double quantization, the output layer in bf16" + (
            "; peft's prepare_model_for_kbit_training (the other 16-bit weights in fp32)" if r["method"] == "qlora"
            else "; without prepare_model_for_kbit_training")) if qlora else None,
        "optimizer": (f"torch.optim.AdamW {'(fused=True)' if step == 'fused' else 'defaults (foreach)'}, "
                      "moments in the parameters' bf16"),
        "optimizer_step": step,
        "checkpointing": ("full activation checkpointing (non-reentrant)" if r["checkpointing"] == "full"
                          else "none"),
        "flash_attn": "PyTorch SDPA", "seq_len": r["seq_len"], "micro_batch": r["micro_batch"],
        "grad_accum": r.get("grad_accum", 1),
        "n_gpus": 1, "zero_stage": None, "sharding": None, "cpu_offload": None, "gpu": r["gpu"],
        "framework": "HF transformers + peft (a plain training loop)",
        "framework_version": f"transformers {r['transformers']}, torch {r['torch']}",
        "measured_how": "torch.cuda.mem_get_info() after 3 steps (peak allocated and reserved in quote)",
        "source": f"vramgui's own run: benchmarks/gpu_session.sh round {n} (benchmarks/measure_training.py; "
                  f"random weights built from the preset's config.json), {machine}; raw file "
                  f"tests/data/measured/{folder}/round{n}-train.jsonl",
        "quote": line, "notes": None,
        # the run in vramgui's terms (TrainingSetup; core/validation.py): LoRA r16 on q/v with peft's default fp32
        # adapters and moments (vramgui's adamw), full fine-tuning with bf16 moments (adamw-bf16)
        "setup": {"method": "qlora" if qlora else r["method"], "optimizer": "adamw" if lora else "adamw-bf16",
                  **({"kbit_upcast": r["method"] == "qlora"} if qlora else {}), "optimizer_step": step,
                  "lora_rank": 16, "lora_targets": ["q", "v"], "checkpointing": r["checkpointing"],
                  "attention": "sdpa", "seq": r["seq_len"], "batch": r["micro_batch"],
                  "grad_accum": r.get("grad_accum", 1), "allocator": "expandable" if expandable else "caching",
                  "gpu_ref": {"NVIDIA H200": "h200"}[r["gpu"]]},
    }


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 else "corpus"
    for p in (training_points() if which == "training" else points()):
        sys.stdout.write(json.dumps(p) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
