"""The sweeps as tables: memory and speed over the prompt's length or the batch, one row a value, as ``vramgui-cli
sweep`` prints them and the window exports them (CSV).

Where offload is asked (System RAM, a place for the experts), each row adds its own plan
(:func:`~vramgui.core.offload.plan_offload` at that value): its level, ``-ngl``, decode step, throughput, served
throughput (prompts included) and time to first token."""

from __future__ import annotations

import numpy as np

from .fit import fit
from .memory import estimate_memory
from .offload import OffloadPlan, plan_offload, served_tokens_per_s
from .scenario import Scenario
from .speed import estimate_speed

#: The columns a row adds where offload is asked: its value's own plan (blank where not placed).
OFFLOAD_COLUMNS = ["offload_level", "offload_ngl", "offload_decode_step_seconds",
                   "offload_throughput_tokens_per_second", "offload_served_tokens_per_second",
                   "offload_prefill_seconds"]

CONTEXT_COLUMNS = ["prompt_tokens", "weights_bytes", "kv_cache_bytes", "activations_bytes", "overhead_bytes",
                   "total_bytes", "budget_bytes", "decode_seconds_per_token", "prefill_seconds"]
BATCH_COLUMNS = ["batch", "total_bytes", "decode_step_seconds", "speed_of_light_step_seconds",
                 "throughput_tokens_per_second", "decode_bound", "fits"]

#: (System RAM in GB, :func:`~vramgui.core.offload.plan_offload`'s other arguments), or None: no offload asked
Offload = tuple[float, dict] | None


def batch_end(least: int, *batches: int) -> int:
    """The batch axis's end: ``least``, or twice the largest of ``batches`` (the scenario's, the most memory holds),
    rounded up to a power of two (an axis that moves in steps, not with every edit)."""
    return int(2 ** np.ceil(np.log2(max(least, *(2 * b for b in batches)))))


def log_values(top: int, points: int) -> np.ndarray:
    """Whole numbers from 1 to ``top``, about ``points`` of them log-spaced (repeats dropped)."""
    return np.unique(np.geomspace(1, top, points).round().astype(np.int64))


def offload_cells(plan: OffloadPlan, s: Scenario) -> list:
    """``plan``'s cells of :data:`OFFLOAD_COLUMNS` for scenario ``s`` (the level alone where it places nothing; the
    first token blank without a FLOP/s figure; ``-ngl`` blank where the engine keeps weights in RAM for every pass
    instead of splitting layers: vLLM, SGLang, HF transformers)."""
    if plan.level == "none":
        return [plan.level] + [""] * (len(OFFLOAD_COLUMNS) - 1)
    first = plan.prefill_s if plan.prefill_s == plan.prefill_s else ""
    ngl = plan.ngl if plan.splits_layers else ""
    return [plan.level, ngl, plan.decode_s, s.batch / plan.decode_s, served_tokens_per_s(plan, s), first]


def _cells(one: Scenario, offload: Offload) -> list:
    if offload is None:
        return []
    ram, kw = offload
    return offload_cells(plan_offload(one, ram, **kw), one)


def context_table(s: Scenario, prompts: np.ndarray, offload: Offload = None) -> tuple[list[str], list[list]]:
    """(columns, rows): memory by term and in all, the budget, the decode step at the whole context and the time to
    first token at each prompt length of ``prompts`` (bytes a card, seconds); with ``offload`` each one's plan."""
    m = estimate_memory(s, prompt=prompts)
    sp = estimate_speed(s, context=prompts + s.output_tokens, prompt=prompts)
    budget = fit(s).budget_bytes
    rows = [[int(x), m.weights[i], m.kv_cache[i], m.activations[i], m.overhead[i], m.total[i], budget,
             sp.decode_step_s[i], sp.prefill_s[i], *_cells(s.with_(prompt_tokens=int(x)), offload)]
            for i, x in enumerate(prompts)]
    return CONTEXT_COLUMNS + (OFFLOAD_COLUMNS if offload else []), rows


def batch_table(s: Scenario, batches: np.ndarray, offload: Offload = None) -> tuple[list[str], list[list]]:
    """(columns, rows): memory in all, the decode step (expected and speed of light), the throughput in all, what
    bounds the step and whether the card(s) hold it at each batch of ``batches``; with ``offload`` each one's plan."""
    m = estimate_memory(s, batch=batches)
    sp = estimate_speed(s, batch=batches)
    budget = fit(s).budget_bytes
    rows = [[int(x), m.total[i], sp.decode_step_s[i], sp.sol_decode_step_s[i], sp.throughput_tokens_per_s[i],
             "compute" if sp.compute_bound[i] else "memory", bool(m.total[i] <= budget),
             *_cells(s.with_(batch=int(x)), offload)]
            for i, x in enumerate(batches)]
    return BATCH_COLUMNS + (OFFLOAD_COLUMNS if offload else []), rows
