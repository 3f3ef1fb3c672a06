"""Exports: charts to PNG/SVG, the sweep to CSV, the scenario report to Markdown/JSON (in
fine-tuning mode the job's: its sequence sweep and ``train --json``'s object).  File names
derive from the scenario or the job."""

from __future__ import annotations

import csv
import json
import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from ..core import Scenario, estimate_memory
from ..core.report import estimate_dict, report_markdown, training_dict, training_markdown
from ..core.speed import prompt_split


def scenario_stem(s: Scenario) -> str:
    """``llama2-70b_gptq-int4_1xa100-80gb_p4096_b1`` (``_p4096c4000_`` with a cached prefix): safe on
    every file system."""
    kept = int(prompt_split(s.prompt_tokens, s.cached_tokens)[1])      # (the prefix the estimate keeps)
    cached = f"c{kept}" if kept else ""
    raw = f"{s.model.id}_{s.weights}_{s.n_gpus}x{s.gpu.id}_p{s.prompt_tokens}{cached}_b{s.batch}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw)


def training_stem(t) -> str:
    """``llama2-7b_lora_1xrtx4090_s2048_b1_training`` (``_b1x4_`` with gradient accumulation)."""
    accum = f"x{t.grad_accum}" if t.grad_accum > 1 else ""
    raw = f"{t.model.id}_{t.method}_{t.n_gpus}x{t.gpu.id}_s{t.seq}_b{t.batch}{accum}_training"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw)


def export_training_csv(t, path: Path, points: int = 200) -> Path:
    """The fine-tuning job's memory bands over a sequence sweep (as its chart's), bytes per card."""
    from ..core.training import training_memory
    top = max(4 * t.model.architecture.max_context, 2 * t.seq, 1024)
    x = np.unique(np.geomspace(16, top, points).round())
    m = training_memory(t, seq=x)
    return _write_sweep(path, "seq_tokens", x, {k: getattr(m, k) for k in (
        "weights", "gradients", "optimizer", "activations", "overhead", "total")})


def export_training_batch_csv(t, path: Path, points: int = 96) -> Path:
    """The fine-tuning job's memory bands over the micro-batch (to its second chart's end: core.sweeps.batch_end),
    bytes per card."""
    from ..core.sweeps import batch_end
    from ..core.training import training_fit, training_memory
    top = batch_end(64, t.batch, training_fit(t).max_batch)
    x = np.unique(np.geomspace(1, top, points).round())
    m = training_memory(t, batch=x)
    return _write_sweep(path, "micro_batch", x, {k: getattr(m, k) for k in (
        "weights", "gradients", "optimizer", "activations", "overhead", "total")})


def export_speed_csv(s: Scenario, path: Path, offload=None, points: int = 64) -> Path:
    """The speed over the batch, as ``vramgui-cli sweep batch`` prints it (core.sweeps.batch_table), to the speed
    chart's end (core.sweeps.batch_end); ``offload`` (System RAM in GB, the plans' settings) adds each batch's plan."""
    from ..core import fit
    from ..core.sweeps import batch_end, batch_table, log_values
    top = batch_end(1024, s.batch, fit(s).max_batch)
    return write_table(path, *batch_table(s, log_values(top, points), offload))


def write_table(path: Path, columns: list[str], rows: list[list]) -> Path:
    """A CSV of ``rows`` under a line of ``columns``."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        w.writerows(rows)
    return path


def export_machine_csv(options: list, path: Path) -> Path:
    """The My machine tab's rows (core.machine.Option), as ``vramgui-cli machine --json`` gives them
    (core.machine.option_dict), a published perplexity as its figure, dataset and source."""
    from ..core.machine import OPTION_KEYS, option_dict
    rows = []
    for o in options:
        d = option_dict(o)
        q = d.pop("quality") or {}
        rows.append([*("" if v is None else v for v in d.values()),
                     q.get("perplexity", ""), q.get("dataset", ""), q.get("source", "")])
    columns = [k for k in OPTION_KEYS if k != "quality"]
    return write_table(path, columns + ["perplexity", "perplexity_dataset", "perplexity_source"], rows)


def _write_sweep(path: Path, x_name: str, x: np.ndarray, bands: dict[str, np.ndarray]) -> Path:
    """A CSV of ``x`` and each band's bytes (``<band>_bytes`` columns) at it."""
    return write_table(path, [x_name, *(f"{k}_bytes" for k in bands)],
                       [[int(xi), *(v[i] for v in bands.values())] for i, xi in enumerate(x)])


def training_report_text(t) -> str:
    """The fine-tuning job's report in Markdown."""
    return training_markdown(training_dict(t), t.model.name, t.gpu.name, t.model.source)


def export_training_report(t, path: Path) -> Path:
    """Markdown for ``.md``, JSON otherwise (the object of ``vramgui-cli train --json``)."""
    text = (training_report_text(t) if path.suffix.lower() == ".md"
            else json.dumps(training_dict(t), indent=2) + "\n")
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def as_drawn_for_export(scene: QtWidgets.QGraphicsScene | None):
    """The scene's items without their pixmap caches and all scaled with the export, while
    it is drawn.  The charts keep texts, axes and legends as cached pixmaps for speed: drawn
    from those, an SVG embeds them as bitmaps.  Legends keep their on-screen size whatever
    the view's scale (pyqtgraph sets them to ignore transformations): in a PNG at twice the
    size they came out half as big as everything else."""
    no_cache = QtWidgets.QGraphicsItem.CacheMode.NoCache
    fixed = QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
    items = scene.items() if scene else []
    cached = [(item, item.cacheMode()) for item in items if item.cacheMode() != no_cache]
    unscaled = [item for item in items if item.flags() & fixed]
    for item, _ in cached:
        item.setCacheMode(no_cache)
    for item in unscaled:
        item.setFlag(fixed, False)
    try:
        yield
    finally:
        for item, mode in cached:
            item.setCacheMode(mode)
        for item in unscaled:
            item.setFlag(fixed, True)


def export_png(item: pg.GraphicsItem, path: Path, width: int) -> Path:
    """Render ``item`` (a PlotItem or a layout) to PNG at ``width`` pixels."""
    exp = ImageExporter(item)
    exp.parameters()["width"] = int(width)
    exp.parameters()["antialias"] = True
    with as_drawn_for_export(item.scene()):
        exp.export(str(path))
    return path


def export_svg(widget: QtWidgets.QWidget, path: Path) -> Path:
    """Render ``widget`` as vector graphics, every text and line in it vector (see
    :func:`as_drawn_for_export`).  (pyqtgraph's SVGExporter cannot parse the path data Qt 6.11 writes,
    so the widget is painted straight into a QSvgGenerator.)"""
    gen = QtSvg.QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(widget.size())
    gen.setViewBox(QtCore.QRect(0, 0, widget.width(), widget.height()))
    gen.setTitle(path.stem)
    with as_drawn_for_export(widget.scene() if isinstance(widget, QtWidgets.QGraphicsView) else None):
        painter = QtGui.QPainter(gen)
        try:
            widget.render(painter)
        finally:
            painter.end()
    return path


def export_csv(s: Scenario, path: Path, points: int = 256) -> Path:
    """Memory bands over the prompt sweep, bytes per card."""
    top = max(4 * s.model.architecture.max_context, 2 * s.prompt_tokens, 1024)
    x = np.unique(np.geomspace(1, top, points).round())
    m = estimate_memory(s, prompt=x)
    return _write_sweep(path, "prompt_tokens", x, {"weights": m.weights, "kv_cache": m.kv_cache,
                                                    "activations": m.activations, "overhead": m.overhead,
                                                    "total": m.total})


def export_report(s: Scenario, path: Path, pins: list | None = None, price: float | None = None,
                  offload=None, plan_for=None) -> Path:
    """Markdown for ``.md``, JSON otherwise (the object of ``vramgui-cli estimate --json``, with
    the pinned scenarios' objects under ``pins``); ``price`` per card-hour adds the cost, to the pins' too,
    ``offload`` (the window's :class:`~vramgui.core.offload.OffloadPlan` where System RAM is entered) the plan,
    ``plan_for`` a pinned scenario's (as the Compare tab shows them)."""
    d = estimate_dict(s, price, offload)
    pinned = [estimate_dict(p, price, plan_for(p) if plan_for else None) for p in pins or []]
    if path.suffix.lower() == ".md":
        text = report_markdown(d) + "".join(f"\n---\n\n## Pinned scenario {i + 1}\n\n" + report_markdown(p)
                                            for i, p in enumerate(pinned))
    else:
        text = json.dumps({**d, "pins": pinned}, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
    return path
