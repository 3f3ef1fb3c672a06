"""Time of the whole-catalog machine table (every model × the machine-view formats).

    PYTHONPATH=. python benchmarks/bench_machine.py
    -> models=<n> formats=<n> warm_median_ms=<x> cold_median_ms=<y>

warm: the machine changes (card, RAM, context, batch) and the stacked coefficients are
reused — what the "My machine" tab does on most edits; cold: the engine, card count or
KV dtype changes, so every model's coefficients are built again first.  The target is
50 ms for either on the 2-core development machine.
"""

import statistics
import time

from vramgui.core import default_catalog
from vramgui.core.machine import _GROUPS, MACHINE_FORMATS, Machine, machine_table


def _median_ms(fn, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main() -> None:
    cat = default_catalog()
    cards = ["rtx4090", "a100-80gb", "rtx3060-12gb", "h100-sxm", "m2-max-96gb"]
    for card in cards:      # warm the per-model caches and each card's stacked coefficients (kept per card model)
        machine_table(Machine(gpu=cat.gpu(card), ram_gb=64, context=4096), cat)
    i = iter(range(10**6))

    def warm():                       # a different card, RAM and context each time
        k = next(i)
        machine_table(Machine(gpu=cat.gpu(cards[k % len(cards)]), ram_gb=32 + 32 * (k % 3),
                              context=2048 * (1 + k % 4)), cat)

    def cold():
        _GROUPS.clear()
        machine_table(Machine(gpu=cat.gpu("a100-80gb"), n_gpus=2, ram_gb=256, engine="vllm", context=8192), cat)

    print(f"models={len(cat.models)} formats={len(MACHINE_FORMATS)} warm_median_ms={_median_ms(warm):.1f} "
          f"cold_median_ms={_median_ms(cold):.1f}")


if __name__ == "__main__":
    main()
