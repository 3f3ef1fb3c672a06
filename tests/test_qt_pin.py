"""Regression guard for the pinned Qt stack: PySide6 6.12.0 with pyqtgraph 0.14.0 aborts
the interpreter ("Fatal Python error: none_dealloc") within a few hundred setData +
repaint cycles.  Run 2,000 in a child process so an abort fails this test, not the run."""

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
"""


def test_two_thousand_chart_updates_do_not_crash():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "updates 2000" in r.stdout
