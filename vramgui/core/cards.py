"""The will-it-fit table: one scenario on every card of a list, in a few numpy calls.

Memory per card does not depend on which card it is (only on the model, format,
engine, context, batch and the number of cards), so the needed bytes are computed once
and compared with a vector of budgets; the largest context and batch are found for all
cards at once by a vectorised search, exact to one token / one sequence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fit import MAX_BATCH, MAX_TOKENS, FitResult, kv_capacity_tokens, valid_gpu_counts
from .memory import estimate_memory
from .presets import GPU
from .scenario import Scenario
from .speed import ALLREDUCE_LATENCY_S, DEFAULT_LINK_GB_S, decode_step

_GRID = 256
# Card counts tried for "fewest cards" in the table (the single-scenario fit() tries all).
_COUNT_CANDIDATES = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32, 48, 64)


@dataclass(frozen=True)
class CardTable:
    """Arrays aligned with ``gpus`` (bytes per card, tokens, sequences, tokens/s)."""

    gpus: list[GPU]
    needed_bytes: float
    budget_bytes: np.ndarray
    fits: np.ndarray
    min_gpus: np.ndarray          # 0 where no count up to 64 fits
    max_prompt_tokens: np.ndarray  # -1 where not even an empty prompt fits
    max_batch: np.ndarray         # 0 where not one sequence fits
    decode_tokens_per_s: np.ndarray
    compute_known: np.ndarray

    @property
    def headroom_bytes(self) -> np.ndarray:
        return self.budget_bytes - self.needed_bytes

    def verdict(self, i: int) -> str:
        if self.fits[i]:
            return "fits"
        if self.min_gpus[i]:
            return f"needs {int(self.min_gpus[i])} cards"
        return "does not fit"


def budgets(s: Scenario, gpus: list[GPU]) -> np.ndarray:
    """Usable bytes per card for the scenario's engine (same rule as fit.budget_bytes)."""
    card = np.array([g.memory_bytes for g in gpus])
    free = card - s.reserved_mib * 2**20
    p = s.profile
    util = s.gpu_util if s.gpu_util is not None else p.util_fraction
    return np.maximum(0.0, np.minimum(free, util * card + p.cuda_graph_bytes))


def largest_fitting(total_at, budget: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Per budget, the largest integer x in [lo, hi] with total_at(x) <= budget (lo - 1 if
    none).  ``total_at`` takes an int array and is non-decreasing."""
    grid = np.unique(np.concatenate([[lo], np.geomspace(max(lo, 1), hi, _GRID).round()])).astype(np.int64)
    tg = total_at(grid)
    idx = np.searchsorted(tg, budget, side="right") - 1
    none = idx < 0
    done = idx >= grid.size - 1
    a = grid[np.clip(idx, 0, grid.size - 1)]
    b = grid[np.clip(idx + 1, 0, grid.size - 1)]
    while True:
        open_ = (b - a > 1) & ~none & ~done
        if not open_.any():
            break
        mid = (a + b) // 2
        ok = total_at(mid) <= budget
        a = np.where(open_ & ok, mid, a)
        b = np.where(open_ & ~ok, mid, b)
    return np.where(none, lo - 1, np.where(done, grid[-1], a))


def card_table(s: Scenario, gpus: list[GPU]) -> CardTable:
    """Needed vs usable, verdict, fewest cards, largest context and batch, decode speed."""
    budget = budgets(s, gpus)
    needed = float(estimate_memory(s).total)
    valid = set(valid_gpu_counts(s))
    min_gpus = np.zeros(len(gpus), dtype=np.int64)
    for n in (c for c in _COUNT_CANDIDATES if c in valid):
        left = min_gpus == 0
        if not left.any():
            break
        need_n = needed if n == s.n_gpus else float(estimate_memory(s.with_(n_gpus=n)).total)
        min_gpus = np.where(left & (need_n <= budget), n, min_gpus)
    max_prompt = largest_fitting(lambda x: estimate_memory(s, prompt=x).total, budget, 0, MAX_TOKENS)
    max_batch = largest_fitting(lambda x: estimate_memory(s, batch=x).total, budget, 1, MAX_BATCH)
    max_batch = np.maximum(max_batch, 0)
    bw = np.array([g.bandwidth_bytes_per_s for g in gpus])
    peaks = [g.peak_flops(s.weight_format.kernel) for g in gpus]
    peak = np.array([p or np.inf for p in peaks])
    link = np.array([(g.interconnect_gb_s or DEFAULT_LINK_GB_S) * 1e9 for g in gpus])
    lat = np.array([ALLREDUCE_LATENCY_S["nvlink" if g.interconnect and "nvlink" in g.interconnect.lower()
                                        else "pcie"] for g in gpus])
    step, _ = decode_step(s, s.batch, s.context_tokens, card=(bw, peak, link, lat))
    return CardTable(gpus=list(gpus), needed_bytes=needed, budget_bytes=budget, fits=needed <= budget,
                     min_gpus=min_gpus, max_prompt_tokens=max_prompt, max_batch=max_batch,
                     decode_tokens_per_s=1.0 / np.broadcast_to(step, budget.shape),
                     compute_known=np.array([p is not None for p in peaks]))


def fit_from_table(s: Scenario, t: CardTable, i: int) -> FitResult:
    """The :class:`FitResult` of row ``i`` without solving again (fewest cards from the
    table's candidate counts)."""
    budget = float(t.budget_bytes[i])
    mp = int(t.max_prompt_tokens[i])
    cap = kv_capacity_tokens(s, budget)
    return FitResult(budget_bytes=budget, needed_bytes=t.needed_bytes, headroom_bytes=budget - t.needed_bytes,
                     fits=bool(t.fits[i]), max_prompt_tokens=None if mp < 0 else mp,
                     max_context=None if mp < 0 else mp + s.output_tokens, max_batch=int(t.max_batch[i]),
                     min_gpus=int(t.min_gpus[i]) or None, kv_capacity_tokens=cap,
                     max_concurrency=cap / max(s.context_tokens, 1))
