"""Responsiveness of the window, measured offscreen.

Drives 1,000 random control changes through the widgets and times each from the change
to the repainted charts and table (the coalescing timer fired, every item updated and
the event loop turned until no repaint was pending); then times a cold start to a shown
window in a fresh process.
Also sweeps three sliders end to end in small steps, as a drag does, and the fine-tuning mode's two.  Prints percentiles
and ends with one line ``p50_ms=<x> p99_ms=<y> start_s=<z>`` (the random changes).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_ui.py [--changes 1000] [--seed 1] [--ram GB]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

START_CODE = """
import time, os
t0 = float(os.environ["VRAMGUI_T0"])
from PySide6 import QtWidgets
app = QtWidgets.QApplication([])
from vramgui.ui.app import initial_scenario, make_window, parse_args
win = make_window(initial_scenario(parse_args([])))
win.resize(1366, 768)
win.show()
app.processEvents()
print(time.time() - t0)
"""


def cold_start(runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        env = dict(os.environ, VRAMGUI_T0=repr(time.time()))
        out = subprocess.run([sys.executable, "-c", START_CODE], env=env, capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return min(times)


class Repaints:
    """Counts the window's repaint requests, to wait until the last one was served."""

    def __init__(self, win):
        from PySide6 import QtCore

        class Filter(QtCore.QObject):
            def eventFilter(inner, obj, event):  # noqa: N802, N805 (Qt's name)
                if event.type() == QtCore.QEvent.Type.UpdateRequest:
                    self.count += 1
                return False

        self.count = 0
        self.filter = Filter()
        win.installEventFilter(self.filter)


def finish(app, win, repaints: Repaints) -> None:
    """Until the redraw ran and no repaint is pending: the coalescing timer fires, then the
    event loop turns until a turn serves no repaint request (one posted on the way, by a
    layout or a view's delayed update, is waited for and counted in the change's time)."""
    while win.busy():
        app.processEvents()
    for _ in range(8):
        seen = repaints.count
        app.processEvents()
        if repaints.count == seen:
            break


def window(ram: float = 0.0):
    """(app, the window at 1366x768, shown, its start-up objects frozen as the app freezes them), with ``ram`` GB of
    System RAM entered (0: none, the window's default)."""
    from PySide6 import QtWidgets

    from vramgui.ui.app import freeze_startup_objects, initial_scenario, make_window, parse_args

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    win = make_window(initial_scenario(parse_args([])))
    win.resize(1366, 768)
    win.show()
    app.processEvents()
    freeze_startup_objects()          # (as the app does once its window is up)
    if ram:
        win.panel.ram.setValue(ram)
        win.redraw()
        app.processEvents()
    return app, win


def drive(changes: int, seed: int, moved: list[int] | None = None, ram: float = 0.0) -> list[float]:
    """The times of ``changes`` random changes (ms); ``moved``, where given, gets how many of
    the charts' axis ranges each change moved (memory x and y, throughput x and y, step y),
    read before and after the timed change."""
    app, win = window(ram)
    p = win.panel
    rng = random.Random(seed)
    models = [m for m in ("llama2-7b", "llama2-13b", "llama3.1-8b", "mistral-7b", "qwen2.5-14b", "mixtral-8x7b",
                          "gemma2-9b", "llama2-70b", "deepseek-v2-lite", "phi3-mini")]
    gpus = ["rtx4090", "a100-80gb", "h100-sxm", "l4", "rtx3090", "a6000", "mi300x", "m2-ultra-192gb"]
    actions = [
        lambda: p.prompt.slider.setValue(rng.randrange(0, 1001)),
        lambda: p.prompt.slider.setValue(rng.randrange(0, 1001)),
        lambda: p.batch.slider.setValue(rng.randrange(0, 1001)),
        lambda: p.output.slider.setValue(rng.randrange(0, 1001)),
        lambda: p.gpus.setValue(rng.choice([1, 2, 4, 8])),
        lambda: p.weights.setCurrentIndex(pick(p.weights)),
        lambda: p.kv.setCurrentIndex(pick(p.kv)),
        lambda: p.engine.setCurrentIndex(pick(p.engine)),
        lambda: p.attention.setCurrentIndex(pick(p.attention)),
        lambda: p.model.setCurrentIndex(p.model.findData(rng.choice(models))),
        lambda: p.gpu.setCurrentIndex(p.gpu.findData(rng.choice(gpus))),
    ]
    def pick(combo) -> int:
        """A random entry a user could pick: not a greyed one (the weights' imported-file entry without an import,
        eager attention under an engine that fuses it)."""
        items = combo.model()
        return rng.choice([i for i in range(combo.count()) if items.item(i) is None or items.item(i).isEnabled()])

    repaints = Repaints(win)
    boxes = (win.memory_chart.getPlotItem().vb, win.speed_chart.thr.vb, win.speed_chart.step.vb)

    def ranges() -> list:
        return [r for vb in boxes for r in vb.viewRange()][:5]       # (the step plot's x is the throughput's)

    times = []
    for _ in range(changes):
        before = ranges() if moved is not None else None
        t0 = time.perf_counter()
        rng.choice(actions)()
        finish(app, win, repaints)
        times.append((time.perf_counter() - t0) * 1e3)
        if moved is not None:
            moved.append(sum(a != b for a, b in zip(before, ranges(), strict=True)))
    dispose(app, win)
    return times


def dispose(app, win) -> None:
    """Close and delete a burst's window: one window at a time, as the app has (a window left open kept its timers,
    and with System RAM entered its largest prompts were worked out during the next bursts, in their times)."""
    from PySide6 import QtCore

    win.close()
    win.deleteLater()
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)


def sweep(app, win, sliders) -> list[float]:
    """Each of ``sliders`` swept end to end and back in steps of 8 (of 1,000), each step timed like :func:`drive`."""
    repaints = Repaints(win)
    finish(app, win, repaints)
    times = []
    for slider in sliders:
        for v in [*range(0, 1001, 8), *range(1000, -1, -8)]:
            t0 = time.perf_counter()
            slider.setValue(v)
            finish(app, win, repaints)
            times.append((time.perf_counter() - t0) * 1e3)
    dispose(app, win)
    return times


def drag(ram: float = 0.0) -> list[float]:
    """A user's drag: the batch, prompt and output sliders swept end to end and back in small
    steps (where steady axes matter most), timed like :func:`drive`."""
    app, win = window(ram)
    return sweep(app, win, (win.panel.batch.slider, win.panel.prompt.slider, win.panel.output.slider))


def drag_training() -> list[float]:
    """:func:`drag` in fine-tuning mode: the sequence-length and micro-batch sliders (the fit table then judges the
    training job on every card)."""
    app, win = window()
    win.panel.mode.setCurrentIndex(win.panel.mode.findData("training"))
    return sweep(app, win, (win.panel.seq.slider, win.panel.micro_batch.slider))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ram", type=float, default=0.0, metavar="GB",
                    help="System RAM entered first (the fit table then plans the offload of every card that does "
                         "not fit; default none)")
    args = ap.parse_args()
    import numpy as np

    if args.ram:
        print(f"with {args.ram:g} GB of System RAM entered")
    moved: list[int] = []
    times = np.array(drive(args.changes, args.seed, moved, args.ram))
    dragged = np.array(drag(args.ram))
    trained = np.array(drag_training())
    start = cold_start()
    p50, p90, p99 = np.percentile(times, [50, 90, 99])
    print(f"{args.changes} changes: p50 {p50:.2f} ms, p90 {p90:.2f} ms, p99 {p99:.2f} ms, max {times.max():.2f} ms")
    moved_n = np.array(moved)
    print("by axis ranges moved: " + ", ".join(
        f"{label} {int(sel.sum())} at p50 {np.percentile(times[sel], 50):.2f} ms"
        for label, sel in (("none", moved_n == 0), ("one", moved_n == 1), ("two", moved_n == 2),
                           ("three or more", moved_n >= 3)) if sel.any()))
    d50, d99 = np.percentile(dragged, [50, 99])
    print(f"{dragged.size} drag steps (three sliders swept and back): p50 {d50:.2f} ms, p99 {d99:.2f} ms")
    t50, t99 = np.percentile(trained, [50, 99])
    print(f"{trained.size} fine-tuning drag steps (sequence and micro-batch swept and back): p50 {t50:.2f} ms, "
          f"p99 {t99:.2f} ms")
    print(f"cold start to a shown window: {start:.2f} s (best of 3)")
    print(f"p50_ms={p50:.2f} p99_ms={p99:.2f} start_s={start:.2f}")


if __name__ == "__main__":
    main()
