"""Estimated vs measured: run a corpus of measured points through the core.

Each point (one JSON line, format in ``tests/data/measured/README.md``) names a
quantity an engine printed, the model (``model_ref`` into ``models.json``), the card
(``gpu_ref`` into ``gpus.json``, mapped to a catalog id), the weight format, the engine
and its settings.  Each quantity is estimated with the engine's own definition of it
(llama.cpp's totals exclude the CUDA context; vLLM's KV figure is what is left of the
utilization budget; torch's peak counts allocated tensors only).  A point that cannot
be modelled is returned as skipped, with the reason.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from pydantic import ValidationError

from .architecture import architecture_from_hf_config
from .catalog import Catalog
from .engines import ENGINES, LLAMACPP, batch_defaults
from .errors import InputError, pydantic_message
from .fit import budget_bytes, kv_capacity_tokens, max_batch
from .jsonfile import json_lines
from .memory import communication_bytes, estimate_memory, layer_share
from .presets import GPU, ModelPreset
from .scenario import Scenario
from .speed import card_of, decode_step, prefill_from_terms, prefill_time, served, speed_terms
from .training import CUDA_CONTEXT_BYTES, TrainingSetup, training_memory
from .units import GB, GIB, MIB

# gpu_ref of the corpus -> catalog id, where the two differ (a ref that is a catalog id names that card)
GPU_REFS = {"a100-80gb-sxm": "a100-80gb", "h100-80gb-sxm": "h100-sxm", "rtx-a6000": "a6000", "v100": "v100-32gb",
            "m3-max-40c-64gb": "m3-max-64gb", "m2-ultra-76c-192gb": "m2-ultra-192gb", "arc-a770": "arc-a770-16gb",
            "m1-max-32c-64gb": "m1-max-64gb"}

MEMORY_QUANTITIES = {"weights_mib", "kv_mib", "compute_buffer_mib", "total_mib", "weights_gib",
                     "activation_peak_gib", "non_torch_gib", "kv_cache_gib", "kv_cache_tokens", "gpu_blocks",
                     "cuda_graph_gib", "non_kv_total_gib", "peak_alloc_gib", "total_gb",
                     "context_gib", "peak_memory_gb"}


@dataclass(frozen=True)
class PointResult:
    id: str
    quantity: str
    engine: str
    measured: float
    estimated: float
    skipped: str | None = None

    @property
    def error_pct(self) -> float:
        return (self.estimated - self.measured) / self.measured * 100.0

    def as_dict(self) -> dict:
        d = asdict(self)
        d["error_pct"] = None if self.skipped else self.error_pct
        return d


def load_corpus(path: Path) -> list[dict]:
    """Points of a JSON-lines corpus; a bad line raises naming the file and the line."""
    points = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", source=str(path)) from None
    for n, p in json_lines(text, str(path)):
        for key in ("id", "quantity", "value"):
            if key not in p:
                raise InputError(f"line {n}: missing", source=str(path), field=key)
        points.append(p)
    return points


def _models_table(path: Path | None) -> dict[str, ModelPreset]:
    if path is None or not Path(path).is_file():
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for m in data.get("models", []):
        cfg = {k: v for k, v in m.items() if v is not None and k not in ("extra", "moe", "notes")}
        cfg.update(m.get("moe") or {})
        cfg.update({k: v for k, v in (m.get("extra") or {}).items() if not isinstance(v, str)})
        cfg["model_type"] = str(m.get("architecture", "llama")).split()[0]
        try:
            architecture_from_hf_config(cfg, source=f"{path} model '{m['id']}'")
        except InputError:
            continue
        out[m["id"]] = ModelPreset(id=m["id"], name=m.get("hf_repo") or m["id"], family="Measured",
                                   source=m.get("source") or str(path), config=cfg)
    return out


def _weights(precision: str) -> str | None:
    p = precision.lower()
    table = [("mlx-4bit", "mlx-4bit"), ("mlx-6bit", "mlx-6bit"), ("mlx-8bit", "mlx-8bit"),
             ("gguf-mxfp4", "gguf-mxfp4"), ("mxfp4", "mxfp4"), ("awq", "awq-int4"), ("int4 w4a16", "gptq-int4"),
             ("int8 w8a8", "int8-w8a8"),
             ("gptq", None), ("double quant", "nf4"), ("bitsandbytes load_in_4bit", "nf4-nodq"),
             ("load_in_8bit", "bnb-int8"), ("q4_0", "q4_0"), ("q8_0", "q8_0"), ("q4_k_m", "q4_k_m"),
             ("q3_k_m", "q3_k_m"), ("q2_k", "q2_k"), ("q5_k_m", "q5_k_m"), ("q5_0", "q5_0"), ("q6_k", "q6_k"),
             ("fp8", "fp8"), ("fp32", "fp32"), ("float32", "fp32"), ("bf16", "bf16"), ("bfloat16", "bf16"),
             ("f16", "fp16"), ("fp16", "fp16"), ("float16", "fp16")]
    for key, fmt in table:
        if key in p:
            if key == "gptq":
                return "gptq-int4" if "int4" in p else "int8" if "int8" in p else None
            return fmt
    return None


def _engine(engine: str, version: str = "") -> str | None:
    e = engine.lower()
    if e.startswith("llama.cpp") and "vulkan" in e:     # "llama.cpp (llama-bench, Vulkan)"
        return "llamacpp-vulkan"
    if e.startswith(("llama.cpp (main)", "llama.cpp (llama-bench)", "llama.cpp (llama.swiftui bench)",
                     "llama.cpp (llama-batched-bench)", "llama.cpp (llama-server)")):
        # CUDA graphs arrived in May 2024 (ggml-org/llama.cpp PR #6766); the corpus's builds are from Dec 2023
        # (16xx), May 2024 (2795-2843: XiongjieDai's LLaMA 3 runs, compiled with GGML_CUDA_USE_GRAPHS but with
        # kernels older than the graphs profile's Sep 2025 calibration; the no-graphs profile reads them closer,
        # decode median 12 % against 16 %) or from Oct 2024 on (38xx and later): 3000 separates them
        build = re.search(r"(?:\bb|\bbuild )(\d+)\b", version or "")   # "b4011", "build 1680 (afefa31)"
        return "llamacpp-2023" if build and int(build.group(1)) < 3000 else "llamacpp"
    if e.startswith("ollama"):
        # its llama-server allocates the context the point logs: Ollama's default for the card (the Ollama profile,
        # where extra.default_context says so) or num_ctx as set
        return "ollama"
    if e.startswith("vllm"):
        return "vllm"
    if e.startswith("sglang"):
        return "sglang"
    if e.startswith("hf transformers") or e.startswith("autoawq"):
        return "hf"
    if e.startswith("mlx"):
        return "mlx"
    if e.startswith("calm"):
        return "generic"
    if e.startswith("lmdeploy turbomind"):
        # LMDeploy's C++ engine: a paged KV cache, continuous batching and fused CUDA kernels, the kind of
        # engine the vLLM profile times (there is no LMDeploy profile; only its speed is in the corpus)
        return "vllm"
    return None


def _scenario(p: dict, models: dict[str, ModelPreset], cat: Catalog) -> tuple[Scenario | None, str | None]:
    ref = p.get("model_ref") or ""
    model = models.get(ref) or cat.models.get(ref)      # models.json first, then the catalog's presets
    if model is None:
        return None, f"model_ref {p.get('model_ref')!r} has no architecture in models.json or the catalog"
    fmt = _weights(str(p.get("precision", "")))
    if fmt is None:
        return None, f"weight format {p.get('precision')!r} is not modelled"
    engine = _engine(str(p.get("engine", "")), str(p.get("engine_version") or ""))
    if engine is None:
        return None, f"engine {p.get('engine')!r} has no profile"
    extra = p.get("extra") or {}
    if engine == "ollama" and not extra.get("default_context"):
        engine = "ollama-num-ctx"
    gpu = _gpu(p, cat)
    if gpu is None and p["quantity"] in MEMORY_QUANTITIES and "a100-80gb" in cat.gpus:
        gpu = cat.gpus["a100-80gb"]  # memory quantities below do not depend on the card
    if gpu is None:
        if p.get("gpu_ref") is None:
            return None, f"the run's card ({p.get('gpu')!r}) is not one the catalog names and no memory size is given"
        return None, f"gpu_ref {p.get('gpu_ref')!r} is not in the catalog and no memory size is given"
    tp = int(extra.get("tensor_parallel_size") or p.get("tp") or 1)     # (a batch sweep names "tp")
    pp = int(extra.get("pipeline_parallel_size") or 1)
    kv = str(p.get("kv_dtype") or "fp16").lower()
    kv = "fp8" if "fp8" in kv else "bf16" if "bf" in kv else "fp16"
    if fmt == "fp32":
        kv = "fp32"
    util = extra.get("gpu_memory_utilization", extra.get("mem_fraction_static"))
    util = float(str(util).split()[0]) if util is not None else None
    flash = p.get("flash_attn")
    attention = None if engine in ("vllm", "sglang") else ("flash" if flash else "eager" if flash is False else None)
    if engine == "hf" and extra.get("attention") in ("sdpa", "eager"):   # (the run's own: SDPA is not always flash's)
        attention = extra["attention"]
    n_ctx = int(p.get("n_ctx") or extra.get("max_model_len") or 2048)
    prompt = extra.get("prompt_tokens", extra.get("prefill_length", p.get("prompt_tokens")))  # 0 is a prompt
    tensor = ENGINES[engine].parallel == "tensor"
    # llama.cpp's cards: the point's own count (-sm layer over every card it sees; its figures are per device)
    cards = tp * pp if tensor else max(tp, pp, int(p.get("n_gpus") or 1) if engine in LLAMACPP else 1)
    s = Scenario(model=model, gpu=gpu, n_gpus=cards, pipeline=pp if tensor else 1,
                 weights=fmt, kv_dtype=kv, engine=engine,
                 attention=attention, prompt_tokens=n_ctx if prompt is None else int(prompt),
                 output_tokens=int(p.get("gen_tokens") or 0), batch=int(p.get("batch") or 1), gpu_util=util)
    return s, None


def _gpu(p: dict, cat: Catalog) -> GPU | None:
    extra = p.get("extra") or {}
    ref = p.get("gpu_ref") or next(iter(extra.get("gpu_ref_candidates") or []), None)   # the first named
    card = GPU_REFS.get(ref, ref)
    if card in cat.gpus:
        gpu = cat.gpus[card]
    elif extra.get("total_gpu_memory_gib"):
        gpu = cat.gpus.get("a100-80gb") or next(iter(cat.gpus.values()))
    else:
        return None
    reported = extra.get("total_gpu_memory_gib_reported") or extra.get("total_gpu_memory_gib")
    if reported:  # the card as that run's log saw it
        gpu = GPU.model_validate({**gpu.model_dump(), "memory_mib": float(reported) * 1024})
    return gpu


def _estimate(p: dict, s: Scenario) -> float | str:
    """The point's quantity as the core estimates it, in the point's unit, or a skip reason."""
    q = p["quantity"]
    extra = p.get("extra") or {}
    if s.tp_nodes > 1 and q not in MEMORY_QUANTITIES:   # (memory per card is the same)
        return ("tensor parallel across nodes: the network's all-reduces are not modelled (the estimate's "
                "caution quotes this run)")
    m = estimate_memory(s)
    w, kv, act = float(m.weights), float(m.kv_cache), float(m.activations)
    if q == "kv_mib" and extra.get("device") == "total":   # llama.cpp's line totals every card's cache
        kv /= layer_share(s)
    prof = s.profile
    non_torch = prof.framework_bytes + communication_bytes(s)
    room = budget_bytes(s) - w - act - float(m.overhead)     # what the engine leaves its KV pool (vLLM, SGLang)
    table = {
        "weights_mib": w / MIB, "kv_mib": kv / MIB, "compute_buffer_mib": act / MIB,
        "total_mib": (w + kv + act) / MIB, "weights_gib": w / GIB, "activation_peak_gib": act / GIB,
        "non_torch_gib": non_torch / GIB, "kv_cache_gib": room / GIB, "cuda_graph_gib": prof.cuda_graph_bytes / GIB,
        "non_kv_total_gib": (w + act + non_torch) / GIB,
        # the device's used memory beside torch's allocator (measure_gpu): the CUDA context, libraries' handles
        "context_gib": (prof.cuda_context_bytes + prof.framework_bytes) / GIB,
    }
    if q in table:
        return table[q]
    if q in ("kv_cache_tokens", "gpu_blocks"):      # per card = the TP group's
        tokens = kv_capacity_tokens(s)
        return tokens if q == "kv_cache_tokens" else tokens // prof.kv_block_tokens
    if q == "peak_alloc_gib" and extra.get("experts_implementation") == "eager":
        return ("transformers' per-expert loop (experts_implementation='eager', the 4.x way): the estimate counts its "
                "default kernels, whose decode steps gather copies of the experts each token picks")
    if q == "peak_alloc_gib":
        gen = int(extra.get("decode_length") or extra.get("max_new_tokens") or 0)
        if "prompt_tokens" not in extra and "prefill_length" not in extra and "~" not in str(extra.get("prompt", "")):
            return "prompt length not stated"
        return _allocated(s.with_(output_tokens=gen)) / GIB
    if q == "peak_memory_gb":     # MLX's mx.get_peak_memory() / 1e9 over generate(): weights, cache, one pass
        if extra.get("prompt_tokens") is None:
            return "prompt length not stated"
        return _allocated(s.with_(output_tokens=int(extra.get("generated_tokens") or 0))) / GB
    if q == "total_gb":
        return _allocated(s.with_(prompt_tokens=1, output_tokens=2048)) / GB
    if q == "decode_tok_s":
        if extra.get("llm_int8_threshold") == 0 and s.weights == "bnb-int8":
            return ("LLM.int8() without its outlier columns (threshold 0): the bnb-int8 format times "
                    "transformers' default, threshold 6.0 (BNB_LINEAR_KERNELS)")
        ctx = min(s.prompt_tokens + int(extra.get("generated_tokens") or extra.get("decode_length") or 0) / 2,
                  int(p.get("n_ctx") or 10**9))
        if "first32" in p["id"]:
            ctx = 16
        elif "last32" in p["id"]:
            ctx = {2048: 2000, 4096: 4000, 16384: 16000}.get(int(p.get("n_ctx") or 0), int(p.get("n_ctx") or 0))
        step, _ = decode_step(s, s.batch, ctx)
        return 1.0 / float(step)
    if q == "burst_output_tok_s":
        # a serving benchmark's requests sent at once (vllm bench serve at an unlimited rate): the engine runs as many
        # at a time as its sequence cap and its KV cache allow, new prompts prefilled between the others' steps
        # (served(): steady serving of that many; the last requests' tail, fewer at once, is not modelled)
        burst = s.with_(output_tokens=int(extra.get("generated_tokens") or 1))
        n = int(extra["requests"])
        at_once = min(n, batch_defaults(prof, s.gpu)[2] or n, max_batch(burst))
        if at_once < 1:
            return "not one request fits in the KV cache"
        return float(served(burst.with_(batch=at_once)).throughput_tokens_per_s)
    if q == "tpot_ms":     # a served run's mean time per output token (the other requests' prompts included)
        return float(served(s.with_(output_tokens=int(extra.get("generated_tokens") or 1))).tpot_s) * 1e3
    if q == "ubatch_tok_s":
        # llama-bench's pp test with -ub b ("pp512", "pp512@d32768": 512 tokens after 32,768 in the cache): one
        # sequence's prompt in passes of b tokens, each multiplying the weights by b columns as a step of b
        # sequences does
        test = re.fullmatch(r"pp(\d+)(?:@d(\d+))?", str(extra.get("test") or ""))
        if not test:
            return f"test {extra.get('test')!r} is not a prompt test"
        return _prompt_rate(s, int(test[1]), 1, int(test[2] or 0), int(extra.get("n_ubatch") or s.batch))
    if q in BATCH_SWEEP_QUANTITIES:
        return _batch_sweep(p, s)
    if q == "prefill_tok_s":
        if s.gpu.peak_flops(s.weight_format.kernel) is None:
            return "the card's preset has no FLOP/s figure: prefill is not estimated"
        # llama-bench's "pp512 @ d32768": the prompt's tokens after that many already in the cache
        depth = int(extra.get("depth_tokens") or 0)
        deep = s.with_(prompt_tokens=s.prompt_tokens + depth, cached_tokens=depth)
        # (in the run's passes where it names them, llama-bench -ub; else the engine's own chunk)
        return _prompt_rate(deep, s.prompt_tokens, s.batch, depth, int(extra.get("n_ubatch") or 0))
    if q == "avg_gen_tok_s":
        gen = 2048
        t = float(prefill_time(s, 1, 1)) + gen * float(decode_step(s, 1, gen / 2)[0])
        return gen / t
    return f"quantity {q!r} is not modelled"


def _allocated(s: Scenario) -> float:
    """Bytes the engine's own allocator holds at the peak (weights, cache, transients; the context and the
    engine's buffers beside it aside): what a framework's peak counter reports."""
    m = estimate_memory(s)
    return float(m.weights + m.kv_cache + m.activations)


def _prompt_rate(s: Scenario, prompt: int, batch: int, cached: int, chunk: int = 0) -> float:
    """Prompt tokens a second: ``batch`` prompts of ``prompt`` new tokens, each after ``cached`` tokens already in
    the cache, in passes of ``chunk`` tokens (0: the engine's own)."""
    terms = speed_terms(s)
    if chunk:
        terms = replace(terms, chunk=chunk)
    return prompt * batch / float(prefill_from_terms(terms, prompt, batch, card_of(s), cached=cached))


#: A batch sweep's quantities (``batch.jsonl``: concurrent requests of ``prompt_tokens`` in and
#: ``gen_tokens`` out, streamed one after another by each of ``batch`` client threads)
BATCH_SWEEP_QUANTITIES = {"step_ms_p50", "decode_tok_s_total", "ttft_ms_avg"}


def _batch_sweep(p: dict, s: Scenario) -> float | str:
    """``step_ms_p50``: the median time between a request's tokens, a decode step of the batch at
    the requests' mean length (prompt + half the output); ``decode_tok_s_total``: generated tokens
    over the run's wall time, prompts included (:func:`served`); ``ttft_ms_avg`` of one request:
    its prompt's prefill."""
    q, b = p["quantity"], s.batch
    if q == "ttft_ms_avg":
        if b > 1:
            return ("first-token latency with several client threads: their first requests arrive at once and "
                    "queue behind each other's prompts (not modelled)")
        return float(prefill_time(s, s.prompt_tokens, 1)) * 1e3
    mean_len = s.prompt_tokens + s.output_tokens / 2
    m = estimate_memory(s)
    room = s.gpu.memory_bytes - float(m.weights)            # the whole card beside the weights, per card
    need = b * mean_len * float(m.kv_bytes_per_token)
    if need > room:
        return (f"{b} requests of {mean_len:,.0f} tokens on average need {need / GIB:,.1f} GiB of KV cache per card, "
                f"more than the card holds beside the weights ({room / GIB:,.1f} GiB): the engine ran fewer at once")
    if q == "step_ms_p50":
        return float(decode_step(s, b, mean_len)[0]) * 1e3
    return float(served(s).throughput_tokens_per_s)


#: What a fine-tuning point's counter is compared with (``training.jsonl``; GiB per card):
#: torch's allocated peak with what the estimate's tensors hold at once (its total less the
#: allocator's share and the CUDA context), a pool's peak (reserved, or a counter the source
#: does not name) with the pool the job needs (the total less the context), a job's need
#: (vramgui's capped runs: the smallest cap that completed, plus the context) with the total.
TRAINING_QUANTITIES = {"peak_allocated_per_gpu": "allocated", "peak_active_per_gpu": "allocated",
                       "peak_reserved_per_gpu": "pool", "peak_memory_per_gpu": "pool", "needed_per_gpu": "total"}


def training_setup(p: dict, cat: Catalog, models: dict[str, ModelPreset] | None = None) -> TrainingSetup | str:
    """A fine-tuning point's run as a :class:`TrainingSetup` (its ``setup``: the run's settings in
    vramgui's terms and the card's catalog id, ``gpu_ref``), or why it is not modelled
    (``setup_skip``, or a model or card the catalog lacks)."""
    if p.get("setup_skip"):
        return str(p["setup_skip"])
    try:
        setup = dict(p.get("setup") or {})
    except (TypeError, ValueError):
        raise InputError(f"point {p.get('id')}: not an object of TrainingSetup's fields", field="setup") from None
    if not setup:
        return "no setup: the run's settings are not given in vramgui's terms"
    ref = p.get("model_ref") or ""
    model = (models or {}).get(ref) or cat.models.get(ref)
    if model is None:
        return f"model_ref {p.get('model_ref')!r} has no architecture in models.json or the catalog"
    gpu = cat.gpus.get(GPU_REFS.get(setup.get("gpu_ref"), setup.get("gpu_ref")))
    if gpu is None:
        return f"setup.gpu_ref {setup.get('gpu_ref')!r} is not in the catalog"
    setup.pop("gpu_ref")
    try:
        return TrainingSetup(model=model, gpu=gpu, **setup)
    except ValidationError as exc:
        raise InputError(f"point {p['id']}: {pydantic_message(exc)}", field="setup") from None
    except TypeError as exc:
        raise InputError(f"point {p['id']}: {exc}", field="setup") from None


def _training_estimate(p: dict, t: TrainingSetup) -> float | str:
    """A fine-tuning point's quantity as the estimate gives it [GiB] (:data:`TRAINING_QUANTITIES`)."""
    q = p["quantity"]
    if q == "used_per_gpu":
        return ("the device's used memory on a roomy card: torch's caching pool keeps every block it reserved "
                "(the run is compared through its allocated peak and the memory it needed)")
    what = TRAINING_QUANTITIES.get(q)
    if what is None:
        return f"quantity {q!r} is not modelled"
    m = training_memory(t)
    total = float(m.total)
    if what == "allocated":
        return (total - float(m.fragmentation) - CUDA_CONTEXT_BYTES) / GIB
    return (total - CUDA_CONTEXT_BYTES) / GIB if what == "pool" else total / GIB


def run_corpus(points: list[dict], cat: Catalog, models_path: str | Path | None = None,
               corpus_dir: Path | None = None) -> list[PointResult]:
    """Every point's estimate, or its skip reason.  ``models.json`` defaults to the file
    beside the corpus.  A fine-tuning point (one with a ``method``) is estimated by
    :func:`~vramgui.core.training.training_memory` (:func:`training_setup`)."""
    models = _models_table(Path(models_path) if models_path else (corpus_dir / "models.json" if corpus_dir
                                                                   else None))
    results = []
    for p in points:
        if "method" in p:
            t = training_setup(p, cat, models)
            est = t if isinstance(t, str) else _training_estimate(p, t)
            measured = float(p.get("value_gib", p["value"]))
            results.append(PointResult(p["id"], p["quantity"], str(p.get("framework")), measured,
                                       math.nan if isinstance(est, str) else float(est),
                                       est if isinstance(est, str) else None))
            continue
        measured = float(p["value"])
        kept = (p.get("extra") or {}).get("skip")   # a suspect run, or a figure not per card: kept, not compared
        s, why = (None, str(kept)) if kept else _scenario(p, models, cat)
        est: float | str = why if s is None else _estimate(p, s)
        if isinstance(est, str):
            results.append(PointResult(p["id"], p["quantity"], str(p.get("engine")), measured, math.nan, est))
        else:
            results.append(PointResult(p["id"], p["quantity"], str(p.get("engine")), measured, float(est)))
    return results


def summary(results: list[PointResult]) -> dict:
    """Median and worst absolute error per quantity and per engine."""
    def group(key) -> dict:
        out: dict[str, list[float]] = {}
        for r in results:
            if r.skipped is None:
                out.setdefault(key(r), []).append(abs(r.error_pct))
        return {k: {"n": len(v), "median_abs_pct": statistics.median(v), "worst_abs_pct": max(v)}
                for k, v in sorted(out.items())}
    return {"by_quantity": group(lambda r: r.quantity), "by_engine": group(lambda r: r.engine),
            "skipped": sum(1 for r in results if r.skipped is not None)}
