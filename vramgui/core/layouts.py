"""Ways to run one model on a machine of N cards: groups of n cards that split the model
(tensor parallel, or layers for llama.cpp and HF), N / n of them serving side by side.

Each layout gets the same load — the scenario's concurrent sequences spread evenly over
its replicas — so the rows compare what one machine does: memory per card, the largest
load it holds, the time per output token and the tokens per second at that load, and at
the most each replica holds.  Fewer, larger groups spread the weights thinner (more room
for the cache: longer contexts) and answer sooner; more, smaller ones skip the all-reduces
and, at a high load, serve more tokens per second.  Pipeline stages split the layers
instead of the heads: more room where the KV heads are fewer than the cards, a longer wait
for each prompt.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .engines import batch_defaults
from .fit import fit, valid_gpu_counts
from .scenario import Scenario
from .speed import cost_per_million_tokens, prefill_time, served

#: Pipeline-stage counts a layout may use (tensor-parallel engines).
STAGES = (1, 2, 4, 8)


@dataclass(frozen=True)
class Layout:
    """One way to use the machine; speeds are served (continuous batching, prompts counted
    where the card's FLOP/s are known)."""

    cards: int                  # per replica: the tensor-parallel size (layer split for llama.cpp / HF)
    replicas: int
    stages: int                 # pipeline stages in a replica (its cards / stages per stage)
    fits: bool                  # one sequence of the scenario fits a replica
    needed_bytes: float         # per card, at the load
    budget_bytes: float         # per card
    max_batch: int              # per replica
    batch: int                  # per replica, at the load
    load_fits: bool             # the load's sequences fit their replicas
    tpot_s: float               # time per output token at the load (nan: does not fit)
    tokens_per_s: float         # generated tokens per second, all replicas, at the load
    peak_tokens_per_s: float    # ... each replica at its largest batch (at most the engine schedules)
    ttft_s: float               # one prompt's prefill on an idle replica (nan: FLOP/s unknown, or no fit)
    cost_per_million: float | None = None   # at the load, at the user's price per card-hour
    tp_nodes: int = 1           # nodes one tensor-parallel group spans (over 1: its all-reduces cross the
    #                             network, which the speeds do not model: report.nodes_note)

    @property
    def name(self) -> str:
        """``replicas × cards``, with the stages where there are several."""
        return f"{self.replicas} × {self.cards}" + (f" ({self.stages} stages)" if self.stages > 1 else "")

    @property
    def total_gpus(self) -> int:
        return self.cards * self.replicas

    @property
    def max_sequences(self) -> int:
        """Concurrent sequences the whole machine holds."""
        return self.max_batch * self.replicas


def layouts(s: Scenario, total_gpus: int, load: int | None = None,
            price_per_card_hour: float | None = None) -> list[Layout]:
    """Every split of ``total_gpus`` cards the engine allows (groups of n cards, n dividing
    ``total_gpus``; for tensor-parallel engines also in 2, 4 or 8 pipeline stages), fewest
    cards per replica first.  ``load``: concurrent sequences on the whole machine (default:
    the scenario's batch)."""
    load = s.batch if load is None else load
    layers = s.model.architecture.num_layers
    stage_counts = [k for k in STAGES if k <= min(total_gpus, layers)] if s.profile.parallel == "tensor" else [1]
    splits = sorted((n, k) for k in stage_counts for n in valid_gpu_counts(s.with_(n_gpus=k, pipeline=k))
                    if n <= total_gpus and total_gpus % n == 0)
    out = []
    for n, k in splits:
        replicas = total_gpus // n
        per = max(1, math.ceil(load / replicas))
        si = s.with_(n_gpus=n, pipeline=k, batch=per)
        f = fit(si)
        one = f.max_batch >= 1
        nan = float("nan")
        tpot = tps = peak = nan
        if one:
            # the load split as evenly as it goes: ``fuller`` replicas serve one sequence more than
            # the others (and with fewer sequences than replicas, some stand idle)
            low, fuller = divmod(load, replicas)
            sv = served(si, np.array([low + 1, max(low, 1)], dtype=np.float64))
            rates = sv.throughput_tokens_per_s
            tpot = float(sv.tpot_s[0] if fuller else sv.tpot_s[1])
            tps = float(fuller * rates[0] + (replicas - fuller) * (rates[1] if low else 0.0))
            most = min(f.max_batch, engine_seqs(si) or f.max_batch)
            peak = float(served(si, most).throughput_tokens_per_s) * replicas
        known = si.gpu.peak_flops(si.weight_format.kernel) is not None
        ttft = float(prefill_time(si, si.prompt_tokens, 1)) if known and one else nan
        cost = (float(cost_per_million_tokens(tps, total_gpus, price_per_card_hour))
                if price_per_card_hour and one and f.fits else None)
        out.append(Layout(cards=n, replicas=replicas, stages=k, fits=one, needed_bytes=f.needed_bytes,
                          budget_bytes=f.budget_bytes, max_batch=f.max_batch, batch=per, load_fits=f.fits,
                          tpot_s=tpot if f.fits else nan, tokens_per_s=tps if f.fits else nan,
                          peak_tokens_per_s=peak, ttft_s=ttft, cost_per_million=cost, tp_nodes=si.tp_nodes))
    return out


def engine_seqs(s: Scenario) -> int:
    """The most sequences the engine schedules at once by default (vLLM's max_num_seqs on the
    card: :func:`~vramgui.core.engines.batch_defaults`); 0: no such cap."""
    return batch_defaults(s.profile, s.gpu)[2] if s.profile.small_card_batch else 0


def layout_dicts(rows: list[Layout]) -> list[dict]:
    """JSON-ready rows (NaN, which JSON lacks, as None), with their names and the machine's sequences."""
    out = []
    for r in rows:
        d = {"name": r.name, **asdict(r), "max_sequences": r.max_sequences}
        out.append({k: None if isinstance(v, float) and v != v else v for k, v in d.items()})
    return out
