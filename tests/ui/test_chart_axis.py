"""The charts' own tick layout (``ChartAxis.generateDrawSpecs``) draws what pyqtgraph's
would: same ticks, tick pens, axis line and labels, on every axis of both charts, for
random ranges (linear and log, narrow and wide)."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtGui
from support import settle

from vramgui.ui.charts import ChartAxis


def specs(axis, generate):
    pic = QtGui.QPicture()
    p = QtGui.QPainter(pic)
    try:
        out = generate(p)
    finally:
        p.end()
    axis_spec, ticks, texts = out
    return ((axis_spec[0].color().rgba(), axis_spec[1].x(), axis_spec[1].y(), axis_spec[2].x(), axis_spec[2].y()),
            [(pen.color().rgba(), pen.widthF(), a.x(), a.y(), b.x(), b.y()) for pen, a, b in ticks],
            [(r.x(), r.y(), r.width(), r.height(), int(flags), text) for r, flags, text in texts])


@pytest.mark.parametrize("chart", ["memory_chart", "speed_thr", "speed_step"])
def test_tick_layout_equals_pyqtgraphs(win, qtbot, chart):
    settle(qtbot, win)
    plot = {"memory_chart": win.memory_chart.getPlotItem(), "speed_thr": win.speed_chart.thr,
            "speed_step": win.speed_chart.step}[chart]
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(40):
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            assert isinstance(axis, ChartAxis)
            lo = rng.uniform(-1, 4) if axis.logMode else rng.uniform(0, 50)
            width = rng.choice([0.3, 1.0, 2.5, 6.0]) if axis.logMode else rng.choice([1.0, 7.5, 40.0, 900.0])
            axis.setRange(lo, lo + width)
            mine = specs(axis, axis.generateDrawSpecs)
            theirs = specs(axis, lambda p, a=axis: pg.AxisItem.generateDrawSpecs(a, p))
            assert mine[0] == pytest.approx(theirs[0])
            assert len(mine[1]) == len(theirs[1]) and len(mine[2]) == len(theirs[2])
            for a, b in zip(mine[1] + mine[2], theirs[1] + theirs[2], strict=True):
                assert a[:-1] == pytest.approx(b[:-1]) if isinstance(a[-1], str) else a == pytest.approx(b)
                assert a[-1] == b[-1]
            checked += len(mine[2])
    assert checked > 100        # labels were compared, not only empty axes
