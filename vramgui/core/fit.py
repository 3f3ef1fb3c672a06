"""Will it fit: usable budget, verdict, and the largest context / batch that fit.

The solvers search integers with vectorised probes: each round evaluates the memory
model on up to 4,096 candidates in one numpy call and keeps the bracket where the
budget is crossed, so they are exact to one token (one sequence) in three or four
calls, whatever the shape of the memory curve (quadratic with eager attention,
stepped with block allocation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engines import CACHE_CAPS_CONTEXT, FIT_MIN_CONTEXT, EngineProfile, engine_share, one_card
from .memory import (
    MemoryTerms,
    allocated_tokens,
    estimate_memory,
    kv_bytes_per_token,
    memory_terms,
    overhead_bytes,
    total_from_terms,
)
from .scenario import Scenario, kept, splits_heads
from .units import MIB

MAX_TOKENS = 2**27      # 134 M tokens: beyond any model's context
MAX_BATCH = 2**20
MAX_GPUS = 64
_PROBES = 1024         # points per round of the search (2**27 needs 3 rounds)


def usable_bytes(s: Scenario, card_bytes, gpu_share=1.0):
    """Usable bytes per card of ``card_bytes`` memory (a number or an array of cards).

    The memory the driver reports, less what is already taken (``reserved_mib``), capped
    by the engine's utilization share.  For vLLM the cap applies to its tensor memory and
    its CUDA graphs are allocated beyond it, so they are added back (and counted in the
    overhead band of the estimate).  SGLang's share (``mem_fraction_static``) applies to
    the memory free once its CUDA context and communication buffers exist (the overhead
    band), and holds the weights and the KV pool only.  Unified memory is further capped
    at the share the GPU may use (``gpu_share``, :attr:`GPU.gpu_share`: macOS wires at
    most three quarters).  An engine that places the model by what stays free (Ollama's llama-server, ``--fit``)
    leaves its margin (:attr:`~vramgui.core.engines.EngineProfile.free_margin_bytes`) out.
    """
    card = np.asarray(card_bytes, dtype=np.float64)
    p = s.profile
    free = np.minimum(card - s.reserved_mib * MIB, np.asarray(gpu_share, dtype=np.float64) * card) - p.free_margin_bytes
    share = engine_share(s, card)
    if p.static_fraction:       # SGLang: a share of the memory free once the context and buffers exist
        before = float(overhead_bytes(s))
        return np.maximum(0.0, np.minimum(free, share * (free - before) + before))
    return np.maximum(0.0, np.minimum(free, share * card + p.cuda_graph_bytes))


def budget_bytes(s: Scenario) -> float:
    """Usable bytes on the scenario's card (see :func:`usable_bytes`)."""
    return float(usable_bytes(s, s.gpu.memory_bytes, s.gpu.gpu_share))


def largest_fitting(fits_at, lo, hi, probes: int = _PROBES) -> np.ndarray:
    """Largest integer x in [lo, hi] with fits_at(x) true, for every bracket of the arrays
    ``lo`` and ``hi`` at once, given fits_at(lo) is true and fits_at is monotone (true then
    false).  ``fits_at`` takes int64 candidates of shape ``lo.shape + (n,)``.

    Each round probes ``n`` integers spread over every open bracket and keeps the one
    where the answer turns false: ``log_n(hi - lo)`` rounds, exact to one."""
    lo = np.array(lo, dtype=np.int64)
    hi = np.array(hi, dtype=np.int64)
    while True:
        gap = hi - lo
        done = gap <= 1
        if done.all():
            return lo
        n = int(min(max(probes, 3), max(int(gap.max()) - 1, 1)))   # 3 or more: at least halves a bracket
        k = np.arange(n, dtype=np.int64)
        span = np.maximum(gap - 2, 0)[..., None]
        # integers spread over [lo + 1, hi - 1], first and last included (repeats on short brackets)
        xs = lo[..., None] + 1 + k * span // max(n - 1, 1)
        xs = np.where(done[..., None], lo[..., None], xs)
        ok = np.asarray(fits_at(xs), dtype=bool) | done[..., None]
        all_ok = ok.all(axis=-1)
        first_bad = np.argmin(ok, axis=-1)[..., None]
        at_bad = np.take_along_axis(xs, first_bad, axis=-1)[..., 0]
        before = np.take_along_axis(xs, np.maximum(first_bad - 1, 0), axis=-1)[..., 0]
        lo = np.where(all_ok, xs[..., -1], np.where(first_bad[..., 0] > 0, before, lo))
        hi = np.where(all_ok, hi, at_bad)


def largest_within(total_at, budget, lo: int, hi: int, probes: int = _PROBES) -> np.ndarray:
    """Per entry of ``budget`` (a number or an array), the largest integer x in [lo, hi]
    with ``total_at(x) <= budget``; ``lo - 1`` where even ``lo`` exceeds it.  ``total_at``
    takes int64 candidates of shape ``budget.shape + (n,)``, returns totals of that shape
    and is non-decreasing in x."""
    budget = np.asarray(budget, dtype=np.float64)
    unknown = np.broadcast_to(np.int64(lo - 1), budget.shape)
    return largest_between(total_at, budget, unknown, np.broadcast_to(np.int64(hi + 1), budget.shape), lo, hi,
                           probes)


def largest_within_guessed(total_at, budget, lo: int, hi: int, guess, probes: int = _PROBES) -> np.ndarray:
    """:func:`largest_within` with a likely answer per entry of ``budget`` (a closed form's): where the total fits at
    the guess and not one above it (for ``lo - 1``: not at ``lo``; for ``hi``: at ``hi``), the guess is the answer, by
    monotonicity; the other entries are searched between the bounds the two points give.  ``total_at`` takes
    candidates of any shape (it does not depend on the entry)."""
    budget = np.asarray(budget, dtype=np.float64)
    g = np.clip(np.broadcast_to(np.asarray(guess, dtype=np.int64), budget.shape), lo - 1, hi)
    g0 = np.maximum(g, lo)
    xs = np.stack([g0, np.minimum(g0 + 1, hi)], axis=-1)
    ok = np.asarray(total_at(xs)) <= budget[..., None]
    settled = np.where(g < lo, ~ok[..., 0], np.where(g >= hi, ok[..., 0], ok[..., 0] & ~ok[..., 1]))
    out = np.array(g)
    todo = ~settled
    if todo.any():
        below = np.where(ok, xs, lo - 1).max(axis=-1)
        above = np.where(ok, hi + 1, xs).min(axis=-1)
        out[todo] = largest_between(total_at, budget[todo], below[todo], above[todo], lo, hi, probes)
    return out


def largest_between(total_at, budget: np.ndarray, below: np.ndarray, above: np.ndarray, lo: int, hi: int,
                    probes: int = _PROBES) -> np.ndarray:
    """:func:`largest_within` where some totals are already known: per entry, ``below`` is an x
    known to fit (``lo - 1``: none known) and ``above`` one known not to (``hi + 1``: none), so
    the answer is searched between them only (fewer rounds than over [lo, hi])."""
    b = budget[..., None]

    def fits(xs: np.ndarray) -> np.ndarray:
        return np.asarray(total_at(xs)) <= b

    start = np.maximum(below, lo)
    end = np.minimum(above, hi)
    # where a side is unknown its end of the range is tried (both in one evaluation; none when every
    # side is known, as after a wrong guess)
    if ((below < lo) | (above > hi)).any():
        ends = fits(np.stack([start, end], axis=-1))
        first = (below >= lo) | ends[..., 0]
        last = (above > hi) & ends[..., 1]
    else:
        first, last = np.ones(np.shape(start), dtype=bool), np.zeros(np.shape(start), dtype=bool)
    found = largest_fitting(fits, start, np.where(first & ~last, end, start), probes)
    return np.where(~first, lo - 1, np.where(last, hi, found))


def _largest_within_terms(t: MemoryTerms, budget, lo: int, hi: int, total_at, probes: int,
                          guess=None, step: int = 1) -> np.ndarray:
    """:func:`largest_within` for (stacked) memory terms: ``total_at(terms, x)``.

    ``guess``: a likely answer per entry (the last one, during a slider drag).  Where the
    total fits at the guess and not one above it (or, for ``lo - 1``, not at ``lo``; for
    ``hi``, at ``hi``), the guess is the answer, by monotonicity.  Elsewhere the totals at
    the guess and ``step`` above it (the allocation's granularity: a KV block) give a straight
    line to where the total meets the budget, and that point is checked the same way (memory
    grows linearly with batch, and with prompt unless attention is eager or the KV cache comes
    in blocks).  Where neither settles it, the points tried bound the answer (``step`` either
    side of the line's point is tried too, which brackets a total in steps of ``step``), and the
    search runs between those bounds only."""
    budget = np.asarray(budget, dtype=np.float64)
    shape = np.broadcast(t.weights, t.kv_full, budget).shape
    t3 = MemoryTerms(**{f: np.asarray(getattr(t, f), dtype=np.float64)[..., None]
                        for f in MemoryTerms.__dataclass_fields__})
    budget = np.broadcast_to(budget, shape)
    if guess is None:
        return largest_within(lambda xs: total_at(t3, xs), budget, lo, hi, probes)
    g = np.clip(np.broadcast_to(np.asarray(guess, dtype=np.int64), shape), lo - 1, hi)
    g0 = np.maximum(g, lo)
    xs = np.stack([g0, np.minimum(g0 + 1, hi), np.minimum(g0 + step, hi)], axis=-1)
    total = np.asarray(total_at(t3, xs), dtype=np.float64)
    ok = total <= budget[..., None]
    settled = np.where(g < lo, ~ok[..., 0], np.where(g >= hi, ok[..., 0], ok[..., 0] & ~ok[..., 1]))
    out = np.array(g)
    # where the total rises from the guess, a straight line through the two points says where it
    # meets the budget (exact where memory is linear in x, as in batch): confirm that point too
    dx = xs[..., 2] - xs[..., 0]
    slope = (total[..., 2] - total[..., 0]) / np.maximum(dx, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = np.floor((budget - total[..., 0]) / slope)
    line = ~settled & (slope > 0) & np.isfinite(jump)
    if line.any():
        x = np.clip(xs[..., 0] + np.where(line, jump, 0).astype(np.int64), lo, hi)
        more = np.stack([x, np.minimum(x + 1, hi), np.maximum(x - step, lo), np.minimum(x + step, hi)], axis=-1)
        ok2 = np.asarray(total_at(t3, more)) <= budget[..., None]
        hit = line & ok2[..., 0] & (~ok2[..., 1] | (x >= hi))
        out = np.where(hit, x, out)
        settled = settled | hit
        xs, ok = np.concatenate([xs, more], axis=-1), np.concatenate([ok, ok2], axis=-1)
    todo = ~settled
    if todo.any():
        # the total is non-decreasing: the answer is at or above every point that fits, below every one that does not
        below = np.where(ok, xs, lo - 1).max(axis=-1)
        above = np.where(ok, hi + 1, xs).min(axis=-1)
        sub = t3 if all(np.size(getattr(t3, f)) == 1 for f in MemoryTerms.__dataclass_fields__) else \
            MemoryTerms(**{f: np.broadcast_to(getattr(t3, f), shape + (1,))[todo]
                           for f in MemoryTerms.__dataclass_fields__})     # (one scenario's terms: as they are)
        out[todo] = largest_between(lambda xs: total_at(sub, xs), budget[todo], below[todo], above[todo], lo, hi,
                                    probes)
    return out


def max_prompt_tokens_from_terms(t: MemoryTerms, profile: EngineProfile, budget, batch, output=0,
                                 probes: int = _PROBES, guess=None) -> np.ndarray:
    """Largest prompt that fits ``budget`` per card, for every entry of stacked terms and
    budgets at once (arrays broadcast: e.g. one row per model and one column per format,
    or one entry per card); -1 where even an empty prompt does not fit.  ``guess``: see
    :func:`_largest_within_terms`."""
    return _largest_within_terms(t, budget, 0, MAX_TOKENS,
                                 lambda t3, x: total_from_terms(t3, profile, x, batch, output), probes, guess,
                                 profile.kv_block_tokens)


def max_batch_from_terms(t: MemoryTerms, profile: EngineProfile, budget, prompt, output=0,
                         probes: int = _PROBES, guess=None) -> np.ndarray:
    """Largest number of sequences that fit ``budget`` per card, for every entry at once;
    0 where not even one does."""
    return _largest_within_terms(t, budget, 1, MAX_BATCH,
                                 lambda t3, x: total_from_terms(t3, profile, prompt, x, output), probes, guess)


def max_prompt_tokens(s: Scenario, budget: float | None = None) -> int | None:
    """Largest prompt that fits with the scenario's output tokens and batch (None: even an
    empty prompt does not fit)."""
    budget = budget_bytes(s) if budget is None else budget
    found = int(max_prompt_tokens_from_terms(memory_terms(s), s.profile, budget, s.batch, s.output_tokens))
    return None if found < 0 else found


def max_batch(s: Scenario, budget: float | None = None) -> int:
    """Largest number of concurrent sequences that fit (0: not even one)."""
    budget = budget_bytes(s) if budget is None else budget
    return int(max_batch_from_terms(memory_terms(s), s.profile, budget, s.prompt_tokens, s.output_tokens))


def valid_gpu_counts(s: Scenario) -> list[int]:
    """Card counts the engine can split this model over (tensor parallel needs the heads
    to divide evenly, in each of the scenario's pipeline stages; layer split needs a layer
    per card; weights the engine loads on one card, :func:`~vramgui.core.engines.one_card`, none)."""
    if one_card(s.engine, s.weights):
        return [1]
    a = s.model.architecture
    if s.profile.parallel == "tensor":
        k = s.stages
        return [n * k for n in range(1, MAX_GPUS // k + 1) if splits_heads(a.num_heads, a.num_kv_heads, n)]
    return list(range(1, min(MAX_GPUS, a.num_layers) + 1))


def min_gpus(s: Scenario) -> int | None:
    """Fewest cards of this kind on which the scenario fits (None: not within 64)."""
    for n in valid_gpu_counts(s):
        t = s.with_(n_gpus=n)
        if float(estimate_memory(t).total) <= budget_bytes(t):
            return n
    return None


@dataclass(frozen=True)
class FitResult:
    """The verdict for one scenario on its card (per card, bytes)."""

    budget_bytes: float
    needed_bytes: float
    headroom_bytes: float
    fits: bool
    max_prompt_tokens: int | None
    max_context: int | None          # max prompt + the scenario's output tokens
    max_batch: int
    min_gpus: int | None
    kv_capacity_tokens: int          # KV tokens that fit beside weights, activations, overhead
    max_concurrency: float           # kv_capacity / tokens per sequence

    @property
    def verdict(self) -> str:
        if self.fits:
            return "fits"
        if self.min_gpus:
            return f"needs {self.min_gpus} cards"
        return "does not fit"


def _kv_room(s: Scenario, budget: float) -> float:
    """Bytes left for the KV cache (and recurrent state) after weights, activations, overhead."""
    m = estimate_memory(s)
    return budget - float(m.weights + m.activations + m.overhead)


def kv_capacity_tokens(s: Scenario, budget: float | None = None) -> int:
    """Tokens of KV cache that fit in what is left after weights, activations and overhead
    (vLLM: "GPU blocks × block size"), rounded down to the engine's block size; beside one
    sequence's recurrent state where the model has one."""
    budget = budget_bytes(s) if budget is None else budget
    t = memory_terms(s)
    if t.groups:    # vLLM with states paged in the cache: its log's figure, the blocks shared out over the groups
        blocks = max(_kv_room(s, budget), 0.0) // t.block_bytes
        return int(blocks // t.groups * t.block)
    left = _kv_room(s, budget) - t.state
    per_token = kv_bytes_per_token(s)
    if left <= 0 or per_token <= 0:
        return 0
    blk = s.profile.kv_block_tokens if s.profile.kv_allocation == "pool" else 1
    return int(left // per_token // blk * blk)


def max_concurrency(s: Scenario, budget: float, capacity: int) -> float:
    """Sequences of the scenario's context that the KV room holds (vLLM's "Maximum
    concurrency"): ``capacity`` tokens over the context, or with a recurrent state, the
    room over one sequence's tokens plus its state."""
    ctx = max(s.context_tokens, 1)
    t = memory_terms(s)
    state = float(t.state)
    if t.groups:    # vLLM's: the blocks over those a sequence takes (its context in whole blocks, its state blocks)
        return max(_kv_room(s, budget), 0.0) // t.block_bytes / (
            (float(allocated_tokens(s.profile, ctx, t.block)) * t.kv_full + state) / t.block_bytes)
    if state <= 0:
        return capacity / ctx
    return max(_kv_room(s, budget), 0.0) / (ctx * kv_bytes_per_token(s) + state)


def fit(s: Scenario) -> FitResult:
    """Budget, needed memory, headroom, verdict and the solvers' answers for ``s``."""
    budget = budget_bytes(s)
    needed = float(estimate_memory(s).total)
    mp = max_prompt_tokens(s, budget)
    cap = kv_capacity_tokens(s, budget)
    return FitResult(
        budget_bytes=budget, needed_bytes=needed, headroom_bytes=budget - needed, fits=needed <= budget,
        max_prompt_tokens=mp, max_context=None if mp is None else mp + s.output_tokens,
        max_batch=max_batch(s, budget), min_gpus=min_gpus(s), kv_capacity_tokens=cap,
        max_concurrency=max_concurrency(s, budget, cap),
    )


_SERVER_CONTEXT: list[tuple[tuple, tuple]] = []    # (scenario key without the load, the answer), the last few


def server_context(s: Scenario) -> tuple[int, bool] | None:
    """(tokens, whether every layer stays on the card(s)): the context llama-server allocates when started without
    -c (current llama.cpp: profiles whose automatic placement keeps a margin free,
    :attr:`~vramgui.core.engines.EngineProfile.auto_fit_margin_bytes`): the model's training context where it fits
    with the margin to spare, else the largest context that does, rounded down to 256 tokens, at least
    :data:`~vramgui.core.engines.FIT_MIN_CONTEXT`; where even that does not fit, --fit then moves layers to the CPU.
    Its default four slots share one unified cache of that many cells: one sequence's worth.  None for other
    engines.  Kept for the last few scenarios alike but for prompt, output and batch (it depends on none of them)."""
    margin = s.profile.auto_fit_margin_bytes
    if not margin:
        return None
    return kept(_SERVER_CONTEXT, s.key(prompt_tokens=0, output_tokens=0, cached_tokens=0, batch=1),
                lambda: _server_context(s, margin), 8)


def _server_context(s: Scenario, margin: float) -> tuple[int, bool]:
    limit = s.model.architecture.max_context
    t, budget = memory_terms(s), budget_bytes(s) - margin
    if float(total_from_terms(t, s.profile, limit, 1)) <= budget:
        tokens = limit
    else:
        largest = int(max_prompt_tokens_from_terms(t, s.profile, budget, 1))
        tokens = min(limit, max(FIT_MIN_CONTEXT, largest // 256 * 256))
    return tokens, bool(float(total_from_terms(t, s.profile, tokens, 1)) <= budget)


_CONTEXT_CAP: list[tuple[tuple, int | None]] = []   # (scenario key without the load, the answer), the last few


def context_cap(s: Scenario) -> int | None:
    """The longest context the engine serves (:data:`~vramgui.core.engines.CACHE_CAPS_CONTEXT`: vLLM refuses to
    start where one sequence of its context length, by default the model's own, does not fit in the cache left beside
    the weights, SGLang caps each request at the cache's tokens): the model's own where one sequence of it fits, else
    the longest that does (0: none).  None for the engines that do neither.  Kept for the last few scenarios alike but
    for prompt, output and batch (it depends on none of them)."""
    if s.engine not in CACHE_CAPS_CONTEXT:
        return None
    return kept(_CONTEXT_CAP, s.key(prompt_tokens=0, output_tokens=0, cached_tokens=0, batch=1),
                lambda: _context_cap(s), 8)


def _context_cap(s: Scenario) -> int:
    limit = s.model.architecture.max_context
    t, budget = memory_terms(s), budget_bytes(s)
    if float(total_from_terms(t, s.profile, limit, 1)) <= budget:
        return limit
    return min(limit, max(int(max_prompt_tokens_from_terms(t, s.profile, budget, 1)), 0))


def auto_fit_headroom(s: Scenario) -> float | None:
    """The headroom [bytes] where the model fits on its card(s) but with less than the engine's automatic placement
    keeps free (:attr:`~vramgui.core.engines.EngineProfile.auto_fit_margin_bytes`: llama-server's --fit then moves
    layers to the CPU unless -ngl is given); None elsewhere."""
    margin = s.profile.auto_fit_margin_bytes
    if not margin:
        return None
    headroom = budget_bytes(s) - float(estimate_memory(s).total)
    return headroom if short_of_margin(headroom, margin) else None


def short_of_margin(headroom: float, margin: float) -> bool:
    """Whether a model that fits (``headroom`` >= 0) leaves less than the engine's automatic placement keeps free."""
    return 0.0 <= headroom < margin
