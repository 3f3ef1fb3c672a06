"""Regression guard for the pinned Qt stack: PySide6 6.12.0 with pyqtgraph 0.14.0 aborts
the interpreter ("Fatal Python error: none_dealloc") within a few hundred setData +
repaint cycles.  Run 2,000 in a child process so an abort fails this test, not the run, with
pyqtgraph's plot items and again with the window's own (``charts.Curve``, ``ChartAxis``)."""

import os
import subprocess
import sys

CODE = """
import numpy as np, pyqtgraph as pg
from PySide6 import QtWidgets
app = QtWidgets.QApplication([])
w = pg.PlotWidget(); w.resize(640, 400); w.show()
w.getPlotItem().disableAutoRange()
c = w.plot(pen="y"); f = pg.FillBetweenItem(c, w.plot(), brush=(80, 80, 200, 80)); w.addItem(f)
x = np.arange(500.0)
for i in range(2000):
    c.setData(x, np.sin(x / 40 + i * 0.01))
    w.repaint(); app.processEvents()
print("updates", i + 1)
# ... and the window's own items: bare curve items fed in data units (filled, on a log axis) and the
# axis that keeps its pictures per range
from vramgui.ui.charts import ChartAxis, add_curve
w2 = pg.PlotWidget(axisItems={"bottom": ChartAxis(orientation="bottom")}); w2.resize(640, 400); w2.show()
p2 = w2.getPlotItem(); p2.setLogMode(x=True); p2.disableAutoRange(); p2.showGrid(x=True, y=True, alpha=0.15)
band = add_curve(p2, pen="b", brush=(90, 160, 216), fillLevel=0)
line = add_curve(p2, True, pen="r")
xs = np.geomspace(16, 2**20, 160)
for i in range(2000):
    band.setData(xs, 1 + np.log(xs) * (1 + (i % 7) * 0.01))
    line.setData(xs, xs ** 0.5 * (1 + i * 1e-4))
    p2.setRange(xRange=(1, 6 + i % 3), yRange=(0, 30), padding=0)
    w2.repaint(); app.processEvents()
print("window items", i + 1)
"""


def test_two_thousand_chart_updates_do_not_crash():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "updates 2000" in r.stdout and "window items 2000" in r.stdout
