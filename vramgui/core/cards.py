"""The will-it-fit table: one scenario on every card of a list, in a few numpy calls.

Memory per card does not depend on which card it is (only on the model, format,
engine, context, batch and the number of cards), so the needed bytes are computed once
and compared with a vector of budgets; the largest context and batch are found for all
cards at once by the vectorised search of :mod:`vramgui.core.fit`, exact to one token /
one sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .engines import ENGINES, batch_defaults, context_for, converts_first, runs_on_gpu, seen_memory, unlisted_card
from .fit import (
    FitResult,
    kv_capacity_tokens,
    max_batch_from_terms,
    max_concurrency,
    max_prompt_tokens_from_terms,
    usable_bytes,
    valid_gpu_counts,
)
from .memory import MemoryTerms, memory_terms, stack_terms, total_from_terms
from .presets import GPU
from .scenario import Scenario, kept
from .speed import (
    ENGINE_FIELDS,
    LOW_BIT_KERNELS,
    MMVQ_OPS_PER_SM_CLOCK,
    SM_CAPPED_KEYS,
    attention_efficiency,
    attention_peak,
    bandwidth_efficiency,
    compute_class,
    compute_efficiency,
    decode_from_terms,
    dp4a_peak,
    engine_terms,
    has_attention_rows,
    link_of,
    prompt_bandwidth_efficiency,
    small_batch_kernels,
    sol_compute_factor,
    speed_key,
    speed_terms,
)

_PROBES = 128     # points per round of the largest-context / batch searches (4 rounds for 2**27)
# Card counts tried for "fewest cards" in the table (the single-scenario fit() tries all).
_COUNT_CANDIDATES = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32, 48, 64)


@dataclass(frozen=True)
class CardTable:
    """Arrays aligned with ``gpus`` (bytes per card, tokens, sequences, tokens/s)."""

    gpus: list[GPU]
    needed_bytes: float | np.ndarray   # one figure, or per card where the engine's defaults depend on the card
    budget_bytes: np.ndarray
    fits: np.ndarray
    min_gpus: np.ndarray          # 0 where no count up to 64 fits
    max_prompt_tokens: np.ndarray  # -1 where not even an empty prompt fits
    max_batch: np.ndarray         # 0 where not one sequence fits
    decode_tokens_per_s: np.ndarray
    compute_known: np.ndarray
    engine_runs: np.ndarray       # False where the engine does not run on the card's GPU (vLLM on an Apple chip)
    card_listed: np.ndarray | None = None   # False where the engine's builds do not list the card (unlisted_card)
    as_stored: np.ndarray | None = None     # False where the engine does not load the weights as stored on the card
    #                                         (converts_first: HF transformers' FP8 before compute capability 8.9)
    most_cards: int = 64          # the largest count tried (1 for fine-tuning without ZeRO, or HF transformers' NVFP4:
    #                               more cards do not help)

    @property
    def headroom_bytes(self) -> np.ndarray:
        return self.budget_bytes - self.needed_bytes

    @property
    def needed_each(self) -> np.ndarray:
        """Needed bytes per card, aligned with ``gpus``."""
        return np.broadcast_to(np.asarray(self.needed_bytes, dtype=np.float64), (len(self.gpus),))


def budgets(s: Scenario, gpus: list[GPU]) -> np.ndarray:
    """Usable bytes per card for the scenario's engine (from the cards' kept figures)."""
    cards = _cards(gpus, s.weight_format.kernel)
    return usable_bytes(s, cards.memory, cards.share)


#: (scenario key, counts, the cards' ids) -> (usable bytes, counts x cards; the cards, kept so that no id is reused)
_COUNT_BUDGETS: list[tuple[tuple, tuple[np.ndarray, list]]] = []
_GAP_TERMS: list[tuple[tuple, dict]] = []   # (scenario key, {count: its memory terms}) of _between_counts


def _between_counts(s: Scenario, gpus: list[GPU], n: np.ndarray, min_gpus: np.ndarray, budget: np.ndarray
                    ) -> np.ndarray:
    """The fewest cards of a layer split, where the first count tried that fits (:func:`count_terms`: 1 to 8, 10, 12,
    16, 24, 32, 48, 64 of its 1 to 64) follows a gap: the counts in the gap below it, tried in turn for the cards
    whose answer it is (13 where 16 was the first tried that fits), as :func:`~vramgui.core.fit.min_gpus` tries
    every count."""
    below = dict(zip(n[1:].tolist(), n[:-1].tolist(), strict=True))
    rows = [r for r, c in enumerate(min_gpus.tolist()) if c in below and c - below[c] > 1]
    if not rows:
        return min_gpus
    gap = np.array(sorted({k for r in rows for k in range(below[int(min_gpus[r])] + 1, int(min_gpus[r]))}))
    # (each count's terms kept while only prompt, output, batch or the card count change: a drag's step asked for up
    # to 45 of them anew, 3.5 ms a table for Llama 3.1 405B under llama.cpp)
    known = kept(_GAP_TERMS, s.key(prompt_tokens=0, batch=1, output_tokens=0, n_gpus=1), dict, 4)
    for c in gap.tolist():
        if c not in known:
            known[c] = memory_terms(s.model_copy(update={"n_gpus": c}))
    terms = stack_terms([known[c] for c in gap.tolist()])
    if s.profile.default_context:     # (Ollama: each card's default context at each count)
        terms = replace(terms, context_floor=_count_floors(s, gpus, gap))
    need = np.broadcast_to(total_from_terms(terms, s.profile, s.prompt_tokens, s.batch, s.output_tokens),
                           (gap.size, len(gpus)))
    out = min_gpus.copy()
    for r in rows:
        c = int(min_gpus[r])
        out[r] = next((k for j, k in enumerate(gap.tolist()) if below[c] < k < c and need[j, r] <= budget[r]), c)
    return out


def budget_by_count(p) -> bool:
    """Whether the usable memory a card of profile ``p`` depends on the number of cards: SGLang's, whose
    ``mem_fraction_static`` and buffers follow its tensor-parallel size (:func:`~vramgui.core.engines.
    sglang_static_fraction`, :func:`~vramgui.core.fit.usable_bytes`)."""
    return p.util_rule == "sglang" or p.static_fraction


def count_terms(s: Scenario) -> tuple[np.ndarray, MemoryTerms]:
    """(card counts, their memory terms stacked one row per count): the candidate counts of
    the fewest-cards column that the engine can split this model over: under tensor parallel every count that splits
    the heads (a handful), else those of :data:`_COUNT_CANDIDATES` and the largest (one, where the engine loads the
    weights on one card).  The terms do not depend on prompt, output or batch, so a drag can keep them."""
    valid = valid_gpu_counts(s)
    counts = valid if s.profile.parallel == "tensor" else \
        sorted({c for c in _COUNT_CANDIDATES if c in set(valid)} | {max(valid)})
    # (copies without validating again: the counts are valid ones, and only the count changes)
    return np.array(counts, dtype=np.int64), stack_terms([memory_terms(s.model_copy(update={"n_gpus": n}))
                                                          for n in counts])


def card_table(s: Scenario, gpus: list[GPU], max_prompt: np.ndarray | None = None,
               max_batch: np.ndarray | None = None,
               counts: tuple[np.ndarray, MemoryTerms] | None = None,
               guesses: tuple[np.ndarray | None, np.ndarray | None] = (None, None), one_group: bool = False
               ) -> CardTable:
    """Needed vs usable, verdict, fewest cards, largest context and batch, decode speed.

    ``max_prompt`` / ``max_batch``: the largest-prompt / largest-batch columns when already
    known (from a table of a scenario that differs only in prompt tokens, resp. batch),
    ``counts`` the scenario's :func:`count_terms`, and ``guesses`` likely values of those
    two columns (the last table's) for the searches to confirm: see :class:`CardTables`.
    ``one_group``: the cards are known to get the same engine defaults (:func:`card_defaults`)."""
    split = None if one_group else cards_by_defaults(s, gpus)
    if split:
        return _merged(s, gpus, split, max_prompt, max_batch, counts, guesses)
    budget = budgets(s, gpus)
    terms = memory_terms(s)
    needed = float(total_from_terms(terms, s.profile, s.prompt_tokens, s.batch, s.output_tokens))
    n, terms_n = counts if counts is not None else count_terms(s)
    if s.profile.default_context and n.size:     # Ollama: each card's default context at each count (counts x cards)
        terms_n = replace(terms_n, context_floor=_count_floors(s, gpus, n))
    # needed per card with n cards, for every candidate n at once (per card where the context depends on it);
    # the first n that fits each card
    need_n = total_from_terms(terms_n, s.profile, s.prompt_tokens, s.batch, s.output_tokens)
    # (against each count's own budget where it depends on the count: SGLang's share and buffers, by its TP size;
    # kept while only the load changes, which they do not depend on)
    budget_n = kept(_COUNT_BUDGETS, (s.key(prompt_tokens=0, batch=1, output_tokens=0, n_gpus=1), tuple(n.tolist()),
                                     tuple(id(g) for g in gpus)),
                    lambda: (np.stack([budgets(s.model_copy(update={"n_gpus": int(c)}), gpus) for c in n]),
                             list(gpus)), 4)[0] if n.size and budget_by_count(s.profile) else budget[None, :]
    ok = (np.broadcast_to(need_n, (n.size, len(gpus))) <= budget_n).T
    min_gpus = np.where(ok.any(axis=1), n[np.argmax(ok, axis=1)], 0) if n.size else np.zeros(len(gpus), np.int64)
    if s.profile.parallel != "tensor":
        min_gpus = _between_counts(s, gpus, n, min_gpus, budget)
    if max_prompt is None or max_batch is None:
        # the searches depend on a card only through its budget: each distinct budget is searched once
        # (101 cards have 54 memory sizes), the answers spread back to every card of that budget
        each, first, back = np.unique(budget, return_index=True, return_inverse=True)

        def guess(g):
            return None if g is None else np.asarray(g)[first]
        if max_prompt is None:
            max_prompt = max_prompt_tokens_from_terms(terms, s.profile, each, s.batch, s.output_tokens, _PROBES,
                                                      guess(guesses[0]))[back]
        if max_batch is None:
            max_batch = max_batch_from_terms(terms, s.profile, each, s.prompt_tokens, s.output_tokens, _PROBES,
                                             guess(guesses[1]))[back]
    cards = _cards(gpus, s.weight_format.kernel)
    return CardTable(gpus=list(gpus), needed_bytes=needed, budget_bytes=budget, fits=needed <= budget,
                     min_gpus=min_gpus, max_prompt_tokens=max_prompt, max_batch=max_batch,
                     decode_tokens_per_s=1.0 / decode_steps(s, gpus, cards),
                     compute_known=np.isfinite(cards.peak), engine_runs=engine_runs(s, gpus),
                     card_listed=card_listed(s, gpus), as_stored=as_stored(s, gpus),
                     most_cards=int(n.max()) if n.size else 64)


def by_card(s: Scenario) -> bool:
    """Whether the scenario's engine picks defaults by the card (:func:`card_defaults`)."""
    return bool(s.profile.small_card_batch or s.profile.default_context)


def card_defaults(s: Scenario, g: GPU) -> tuple:
    """What the engine picks by the card ``g`` for ``s``: vLLM's batch defaults (:func:`batch_defaults`), Ollama's
    context at the scenario's card count (:func:`context_for`; the fewest-cards column takes each card's at each
    count apart: :func:`_count_floors`).  Cards alike in these get their table rows from one scenario's terms."""
    p = s.profile
    batch = batch_defaults(p, g) if p.small_card_batch else None
    if not p.default_context:
        return batch, 0
    return batch, _contexts(s.engine, seen_memory(g), (s.n_gpus,), s.model.architecture.max_context)[0]


_FLOORS: list[tuple[tuple, tuple]] = []   # ((engine, counts, model limit, card objects' ids), (floors, the cards))


def _count_floors(s: Scenario, gpus: list[GPU], counts: np.ndarray) -> np.ndarray:
    """Ollama's default context for each candidate count (rows) on each card (columns), kept for the last few."""
    cap, n = s.model.architecture.max_context, tuple(int(c) for c in counts)
    return kept(_FLOORS, (s.engine, n, cap, tuple(id(g) for g in gpus)), lambda: (np.array(
        [_contexts(s.engine, seen_memory(g), n, cap) for g in gpus], dtype=np.float64).T, list(gpus)),
        8)[0]


@lru_cache(maxsize=1024)
def _contexts(engine: str, card_bytes: float, counts: tuple[int, ...], model_max: int) -> tuple[int, ...]:
    return tuple(context_for(ENGINES[engine], card_bytes * c, model_max) for c in counts)


def cards_by_defaults(s: Scenario, gpus: list[GPU]) -> list[list[int]] | None:
    """The cards' positions grouped by the engine's defaults by card (:func:`card_defaults`: vLLM's larger batch on
    big cards, Ollama's context by the memory it sees), the scenario's own card's group first; None when every card
    gets the same."""
    if not by_card(s) or len(gpus) < 2:
        return None
    groups: dict[tuple, list[int]] = {}
    for i, g in enumerate(gpus):
        groups.setdefault(card_defaults(s, g), []).append(i)
    if len(groups) == 1:
        return None
    own = card_defaults(s, s.gpu)
    return sorted(groups.values(), key=lambda idx: card_defaults(s, gpus[idx[0]]) != own)


_OTHER_COUNTS: list[tuple[tuple, tuple]] = []   # (scenario key, count_terms) of the other group of cards


def _other_counts(s: Scenario) -> tuple:
    """:func:`count_terms` for the group of cards that is not the scenario's own, kept while only
    prompt, output, batch or the card count change (as :class:`CardTables` keeps the own group's)."""
    return kept(_OTHER_COUNTS, s.key(prompt_tokens=0, batch=1, output_tokens=0, n_gpus=1), lambda: count_terms(s), 4)


def _merged(s: Scenario, gpus: list[GPU], split: list[list[int]], max_prompt, max_batch, counts, guesses) -> CardTable:
    """:func:`card_table` of each group of cards (with a card of the group as the scenario's),
    put back in the cards' order; the given fewest-cards terms are the scenario's card's group's."""
    def pick(a, idx):
        return None if a is None else np.asarray(a)[idx]
    own = card_defaults(s, s.gpu)
    parts = []
    for idx in split:
        sub = [gpus[i] for i in idx]
        mine = card_defaults(s, sub[0]) == own
        sg = s if mine else s.with_(gpu=sub[0])
        parts.append((idx, card_table(sg, sub, pick(max_prompt, idx), pick(max_batch, idx),
                                      counts if mine else _other_counts(sg),
                                      (pick(guesses[0], idx), pick(guesses[1], idx)), one_group=True)))
    order = np.concatenate([np.array(idx) for idx in split])
    back = np.argsort(order)

    def field(name: str) -> np.ndarray:
        return np.concatenate([np.broadcast_to(np.asarray(getattr(t, name)), (len(idx),)) for idx, t in parts])[back]
    return CardTable(gpus=list(gpus), **{f: field(f) for f in ("needed_bytes", "budget_bytes", "fits", "min_gpus",
                                                              "max_prompt_tokens", "max_batch", "decode_tokens_per_s",
                                                              "compute_known", "engine_runs", "card_listed",
                                                              "as_stored")},
                     most_cards=parts[0][1].most_cards)     # (the counts do not depend on the card)


@dataclass(frozen=True)
class _Cards:
    """The figures of a list of cards that a table's speed column reads, as arrays."""

    bandwidth: np.ndarray    # bytes/s
    peak: np.ndarray         # FLOP/s of the weight format's math (inf: no sourced figure)
    link: np.ndarray         # interconnect bytes/s per direction
    latency: np.ndarray      # all-reduce latency, s
    memory: np.ndarray       # bytes
    share: np.ndarray        # the share of it the GPU may use (unified memory)


_CARDS: list[tuple[tuple, tuple]] = []   # ((card objects' ids, kernel), (the cards, arrays)), the last few


def _cards(gpus: list[GPU], kernel: str) -> _Cards:
    """:class:`_Cards` for ``gpus``, kept for the few lists and weight kernels last asked for
    (the window asks for the same catalog on every change; the objects are kept alive with
    the key, so an id is not reused while it is kept)."""
    def make() -> tuple[list[GPU], _Cards]:
        peaks = [g.peak_flops(kernel) for g in gpus]
        link, lat = zip(*(link_of(g) for g in gpus), strict=True) if gpus else ((), ())
        return list(gpus), _Cards(bandwidth=np.array([g.bandwidth_bytes_per_s for g in gpus], dtype=np.float64),
                                  peak=np.array([p or np.inf for p in peaks], dtype=np.float64),
                                  link=np.array(link, dtype=np.float64), latency=np.array(lat, dtype=np.float64),
                                  memory=np.array([g.memory_bytes for g in gpus], dtype=np.float64),
                                  share=np.array([g.gpu_share for g in gpus], dtype=np.float64))
    return kept(_CARDS, (tuple(id(g) for g in gpus), kernel), make, 4)[1]


_RUNS: list[tuple[tuple, tuple]] = []   # ((engine, weights, card objects' ids), (engine_runs, the cards))


def engine_runs(s: Scenario, gpus: list[GPU]) -> np.ndarray:
    """Per card, whether the scenario's engine runs its weights on that card's GPU (:func:`runs_on_gpu`), kept
    for the last few engines and formats."""
    return kept(_RUNS, (s.engine, s.weights, tuple(id(g) for g in gpus)),
                 lambda: (np.array([runs_on_gpu(s.engine, s.weights, g) for g in gpus], dtype=bool), list(gpus)),
                 4)[0]


_LISTED: list[tuple[tuple, tuple]] = []   # ((engine, attention, weights, cards' ids), (card_listed, the cards))


def card_listed(s: Scenario, gpus: list[GPU]) -> np.ndarray:
    """Per card, whether the engine's builds (and HF transformers' FlashAttention-2) list it
    (:func:`unlisted_card` finds no rule it falls outside of), kept for the last few engines."""
    return kept(_LISTED, (s.engine, s.attention_impl, s.weights, tuple(id(g) for g in gpus)),
                 lambda: (np.array([unlisted_card(s.engine, s.attention_impl, g, s.weights) is None for g in gpus],
                                   dtype=bool), list(gpus)), 4)[0]


_STORED: list[tuple[tuple, tuple]] = []   # ((engine, weights, cards' ids), (as_stored, the cards))


def as_stored(s: Scenario, gpus: list[GPU]) -> np.ndarray:
    """Per card, whether the engine loads the scenario's weights as stored there (:func:`converts_first` finds
    nothing to say: HF transformers dequantizes FP8 to BF16 below compute capability 8.9, MXFP4 below 7.5), kept for
    the last few."""
    return kept(_STORED, (s.engine, s.weights, tuple(id(g) for g in gpus)),
                lambda: (np.array([converts_first(s.engine, s.weights, g) is None for g in gpus], dtype=bool),
                         list(gpus)), 4)[0]


_KEYS: list[tuple[tuple, tuple]] = []   # ((engine, card objects' ids), (their speed_key, the cards)), the last few


_DECODE_TERMS: list[tuple[tuple, tuple]] = []   # ((settings, card objects' ids), (their speed terms, the cards))


_FACTORS: list[tuple[tuple, tuple]] = []   # ((engine, host, weight format, card objects' ids), (fields, the cards))


def _card_speed_terms(s: Scenario, gpus: list[GPU]):
    """:func:`speed_terms` of ``s`` with the fields that differ by card as per-card arrays."""
    terms = speed_terms(s)
    keys = kept(_KEYS, (s.profile.id, s.host, tuple(id(g) for g in gpus)),
                 lambda: ([speed_key(s.profile, g, s.host) for g in gpus], list(gpus)), 4)[0]
    if len(set(keys)) > 1:
        rows = {k: engine_terms(k, s) for k in set(keys)}
        terms = replace(terms, **{f: np.array([rows[k][f] for k in keys]) for f in ENGINE_FIELDS})
    fmt = s.weight_format
    fields = kept(_FACTORS, (s.profile.id, s.host, fmt, tuple(id(g) for g in gpus)),
                   lambda: (_card_factors(keys, fmt, gpus), list(gpus)), 8)[0]
    return replace(terms, **fields) if fields else terms


def _card_factors(keys: list[str], fmt, gpus: list[GPU]) -> dict[str, np.ndarray]:
    """The speed terms' fields that depend on the card, its engine row (``keys``, one per card) and the weight
    format but not on the model, as per-card arrays (only those that differ by card for these rows): kept apart
    from :func:`_card_speed_terms`, a change of model (or KV cache, attention, card count) finds them kept."""
    out: dict[str, np.ndarray] = {}
    kinds = [(k, compute_class(k, g, fmt)) for k, g in zip(keys, gpus, strict=True)]
    if any(c is not None for _, c in kinds):      # the compute efficiency depends on the card: once per kind of card
        cards = {}
        for kind, g in zip(kinds, gpus, strict=True):
            cards.setdefault(kind, g)
        share = {kind: (compute_efficiency(kind[0], fmt, g), sol_compute_factor(kind[0], fmt, g))
                 for kind, g in cards.items()}
        out["flops_efficiency"] = np.array([share[kind][0] for kind in kinds])
        out["sol_flops"] = np.array([share[kind][1] for kind in kinds])
    pairs = list(zip(keys, gpus, strict=True))
    if any(k in SM_CAPPED_KEYS for k in keys):   # (llama.cpp's CUDA decode: at most so much per SM)
        out["bw_efficiency"] = np.array([bandwidth_efficiency(k, fmt, g) for k, g in pairs])
        out["prompt_bw_efficiency"] = np.array([prompt_bandwidth_efficiency(k, fmt, g) for k, g in pairs])
    if any(k in MMVQ_OPS_PER_SM_CLOCK for k in keys):    # (llama.cpp's CUDA kernels at several sequences)
        rate, load = zip(*(small_batch_kernels(k, fmt, g) for k, g in pairs), strict=True)
        out["mmvq_rate"], out["mmq_load"] = np.array(rate), np.array(load)
    if any(has_attention_rows(k) for k in keys):   # (llama.cpp's ROCm attention, RDNA 4 or not; Metal's; the RTX
        #                                               5090's on CUDA: every card its own, whichever is primary)
        out["attention_efficiency"] = np.array([attention_efficiency(k, g) for k, g in pairs])
    if fmt.kernel in LOW_BIT_KERNELS or any(dp4a_peak(g, fmt) for g in gpus):   # attention's share of the peak
        out["attention_peak"] = np.array([attention_peak(g, fmt) for g in gpus])     # depends on the card
    return out


def decode_steps(s: Scenario, gpus: list[GPU], cards: _Cards | None = None) -> np.ndarray:
    """Decode step time [s] of ``s`` on each card in one numpy call; where the cards use
    different rows of the speed tables (:func:`speed_key`: llama.cpp's CUDA-graph, Metal,
    ROCm or no-graphs costs by vendor), the engine's fields are per-card arrays.  These terms
    do not depend on prompt, output or batch: they are kept for the last few settings."""
    key = (s.key(prompt_tokens=0, batch=1, output_tokens=0), tuple(id(g) for g in gpus))
    terms = kept(_DECODE_TERMS, key, lambda: (_card_speed_terms(s, gpus), list(gpus)), 8)[0]
    c = cards or _cards(gpus, s.weight_format.kernel)
    step, _ = decode_from_terms(terms, s.batch, s.context_tokens, (c.bandwidth, c.peak, c.link, c.latency))
    return np.broadcast_to(step, c.bandwidth.shape)


class CardTables:
    """:func:`card_table` for a stream of scenarios that change one setting at a time, as
    a slider drag does.  The largest prompt per card does not depend on the prompt, nor the
    largest batch on the batch: each is searched again only when a setting it depends on
    changed (the two searches are two thirds of a table's time); the memory terms of every
    candidate card count are kept for the last eight settings other than prompt, output, card count and
    batch (a user switching back and forth between two formats or engines finds them kept),
    and the whole table while only the primary card changes (the table is the same for every
    primary).  When a search must run, the last answers are its guesses: a drag of the batch
    moves the largest prompt of most cards by nothing or little, and a guess that is still
    right costs one evaluation instead of a search; a wrong one still bounds the search."""

    def __init__(self) -> None:
        self._gpus: list[GPU] = []
        # (Scenario.key, what was computed for it)
        self._last: tuple[tuple | None, CardTable | None] = (None, None)
        self._prompt: tuple[tuple | None, np.ndarray | None] = (None, None)
        self._batch: tuple[tuple | None, np.ndarray | None] = (None, None)
        self._counts: list[tuple[tuple, tuple]] = []   # (key, count_terms), the last few settings'

    def table(self, s: Scenario, gpus: list[GPU]) -> CardTable:
        if len(gpus) != len(self._gpus) or any(a is not b for a, b in zip(gpus, self._gpus, strict=True)):
            self._gpus = list(gpus)
            self._last = self._prompt = self._batch = (None, None)
        if not gpus:
            return card_table(s, gpus)
        # keys name one fixed card (any primary gives the same table) and no cached prefix (the table shows
        # no time to first token)
        card = self._gpus[0]
        base = s.key(gpu=card, cached_tokens=0)
        if self._last[0] == base:
            return self._last[1]
        prompt_key, batch_key = s.key(gpu=card, cached_tokens=0, prompt_tokens=0), s.key(gpu=card, cached_tokens=0,
                                                                                          batch=1)
        # (the counts are the primary card's group's: with an engine's defaults by card, its group is in the key;
        # every candidate count is tried whatever the scenario's own, which is left out)
        counts_key = (s.key(gpu=card, cached_tokens=0, prompt_tokens=0, batch=1, output_tokens=0, n_gpus=1),
                      card_defaults(s, s.gpu) if by_card(s) else None)
        max_prompt = self._prompt[1] if self._prompt[0] == prompt_key else None
        max_batch = self._batch[1] if self._batch[0] == batch_key else None
        counts = kept(self._counts, counts_key, lambda: count_terms(s), 8)
        guesses = (self._prompt[1], self._batch[1])     # the last answers: a drag moves them little
        t = card_table(s, gpus, max_prompt, max_batch, counts, guesses)
        self._last = (base, t)
        self._prompt = (prompt_key, t.max_prompt_tokens)
        self._batch = (batch_key, t.max_batch)
        return t


def fit_from_table(s: Scenario, t: CardTable, i: int) -> FitResult:
    """The :class:`FitResult` of row ``i`` without solving again (fewest cards from the
    table's candidate counts)."""
    budget = float(t.budget_bytes[i])
    mp = int(t.max_prompt_tokens[i])
    cap = kv_capacity_tokens(s, budget)
    needed = float(t.needed_each[i])
    return FitResult(budget_bytes=budget, needed_bytes=needed, headroom_bytes=budget - needed,
                     fits=bool(t.fits[i]), max_prompt_tokens=None if mp < 0 else mp,
                     max_context=None if mp < 0 else mp + s.output_tokens, max_batch=int(t.max_batch[i]),
                     min_gpus=int(t.min_gpus[i]) or None, kv_capacity_tokens=cap,
                     max_concurrency=max_concurrency(s, budget, cap))
