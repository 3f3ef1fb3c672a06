"""Time of the whole-catalog machine table (every model × the machine-view formats).

    python benchmarks/bench_machine.py   ->   models=<n> formats=<n> median_ms=<x>"""

import statistics
import time

from vramgui.core import default_catalog
from vramgui.core.machine import MACHINE_FORMATS, Machine, machine_table


def main() -> None:
    cat = default_catalog()
    m = Machine(gpu=cat.gpu("rtx4090"), ram_gb=64, context=4096)
    machine_table(m, cat)  # warm caches
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        machine_table(m, cat)
        times.append((time.perf_counter() - t0) * 1e3)
    print(f"models={len(cat.models)} formats={len(MACHINE_FORMATS)} median_ms={statistics.median(times):.0f}")


if __name__ == "__main__":
    main()
