"""The other way round: for one machine, which models run, in which format, how fast.

For a machine (a card × N, system RAM, engine, target context and batch), every catalog
model × weight format gets its fit level (on the GPU, partly offloaded, CPU only, does not
fit), headroom, largest context, decode tokens/s and time to first token.  No quality is
scored.  ``best_format`` picks, for one model, the highest-precision format that fits
and the fastest one, with the trade-off in numbers.

Note: this first version evaluates the combinations one by one with the same functions
as the rest of the core (≈ 0.1-0.5 s for the whole catalog); vectorising across models
is the next step (see the issue tracker).
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Catalog
from .fit import budget_bytes, max_prompt_tokens
from .formats import WEIGHT_FORMATS
from .memory import estimate_memory
from .offload import plan_offload
from .params import count_params
from .presets import GPU, ModelPreset
from .scenario import Scenario
from .speed import decode_step, prefill_time

# Formats the machine view compares (16-bit, 8-bit, 4-bit families of both worlds).
MACHINE_FORMATS = ("bf16", "fp8", "int8", "awq-int4", "nf4", "q8_0", "q6_k", "q5_k_m", "q4_k_m", "q3_k_m", "q2_k")
GGUF = {"q8_0", "q6_k", "q5_k_m", "q5_0", "q4_k_m", "q4_0", "q3_k_m", "q2_k"}


@dataclass(frozen=True)
class Machine:
    gpu: GPU
    n_gpus: int = 1
    ram_gb: float = 0.0
    engine: str = "llamacpp"
    context: int = 4096
    batch: int = 1
    kv_dtype: str = "fp16"


@dataclass(frozen=True)
class Option:
    """One model in one format on the machine."""

    model: ModelPreset
    weights: str
    bits: float
    level: str              # gpu | partial | cpu | none
    needed_bytes: float
    budget_bytes: float
    max_context: int | None
    decode_tokens_per_s: float
    ttft_s: float | None
    gpu_layers: int
    n_layers: int

    @property
    def headroom_bytes(self) -> float:
        return self.budget_bytes - self.needed_bytes

    @property
    def params(self) -> int:
        return count_params(self.model.architecture).total


def _engine_for(engine: str, fmt: str) -> str:
    """GGUF formats run on llama.cpp, the others on the machine's engine (or vLLM)."""
    if fmt in GGUF:
        return "llamacpp"
    return engine if engine != "llamacpp" else "vllm"


def evaluate(m: Machine, model: ModelPreset, fmt: str) -> Option:
    s = Scenario(model=model, gpu=m.gpu, n_gpus=m.n_gpus, weights=fmt, kv_dtype=m.kv_dtype,
                 engine=_engine_for(m.engine, fmt), prompt_tokens=m.context, output_tokens=0, batch=m.batch)
    needed = float(estimate_memory(s).total)
    budget = budget_bytes(s)
    a = model.architecture
    if needed <= budget:
        level, layers = "gpu", a.num_layers
        step = float(decode_step(s, m.batch, m.context)[0])
        tok_s = 1.0 / step
    elif m.ram_gb > 0 and s.profile.id == "llamacpp":
        plan = plan_offload(s, m.ram_gb)
        level, layers, tok_s = plan.level, plan.gpu_layers, plan.tokens_per_s
    else:
        level, layers, tok_s = "none", 0, 0.0
    mp = max_prompt_tokens(s, budget) if level == "gpu" else None
    ttft = float(prefill_time(s, m.context, m.batch)) if level == "gpu" and s.gpu.peak_flops(
        s.weight_format.kernel) else None
    return Option(model=model, weights=fmt, bits=s.weight_format.linear_bits, level=level, needed_bytes=needed,
                  budget_bytes=budget, max_context=mp, decode_tokens_per_s=tok_s, ttft_s=ttft, gpu_layers=layers,
                  n_layers=a.num_layers)


def machine_table(m: Machine, catalog: Catalog, formats=MACHINE_FORMATS, family: str | None = None,
                  min_params: float = 0, max_params: float = float("inf"), min_context: int = 0,
                  min_tokens_per_s: float = 0.0) -> list[Option]:
    """Every catalog model × format on the machine, filtered, in catalog order."""
    out = []
    for model in catalog.models.values():
        if family and family.lower() not in model.family.lower():
            continue
        if not min_params <= count_params(model.architecture).total <= max_params:
            continue
        for fmt in formats:
            o = evaluate(m, model, fmt)
            if min_context and (o.max_context or 0) < min_context and o.level == "gpu":
                continue
            if o.decode_tokens_per_s < min_tokens_per_s:
                continue
            out.append(o)
    return out


def best_format(m: Machine, model: ModelPreset, formats=tuple(WEIGHT_FORMATS)) -> dict:
    """The highest-precision format that fits on the GPU at the machine's context, and the
    fastest one, with every candidate's numbers for the trade-off."""
    options = [evaluate(m, model, f) for f in formats if f not in ("fp32",)]
    fitting = [o for o in options if o.level == "gpu"]
    best = max(fitting, key=lambda o: (o.bits, o.weights in GGUF)) if fitting else None
    fastest = max(fitting, key=lambda o: o.decode_tokens_per_s) if fitting else None
    return {"highest_precision": best, "fastest": fastest, "options": options}
