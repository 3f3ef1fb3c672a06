"""Application entry point.

Until the main window lands (issue: main window) this shows a small window with the
catalog and one estimate, so the ``vramgui`` command and ``python -m vramgui`` work.
"""

from __future__ import annotations

import sys

from PySide6 import QtGui, QtWidgets

from ..core import Scenario, default_catalog, estimate_memory, fit
from ..core.catalog import data_dir
from ..core.units import GIB


def build_window() -> QtWidgets.QMainWindow:
    cat = default_catalog()
    s = Scenario(model=cat.model("llama2-7b"), gpu=cat.gpu("rtx4090"), weights="fp16", prompt_tokens=4096)
    m, f = estimate_memory(s), fit(s)
    win = QtWidgets.QMainWindow()
    win.setWindowTitle("vramgui")
    text = (f"<h2>vramgui</h2><p>{len(cat.models)} models and {len(cat.gpus)} GPUs in the catalog.</p>"
            f"<p>{s.model.name} ({s.weights}) on {s.gpu.name}, 4,096-token prompt: "
            f"<b>{float(m.total) / GIB:.2f} GiB</b> of {f.budget_bytes / GIB:.2f} GiB usable - {f.verdict}.</p>"
            "<p>The interactive window is under construction; <code>vramgui-cli</code> has every estimate.</p>")
    label = QtWidgets.QLabel(text)
    label.setWordWrap(True)
    label.setMargin(16)
    win.setCentralWidget(label)
    win.resize(640, 240)
    return win


def main(argv: list[str] | None = None) -> int:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv or sys.argv)
    app.setApplicationName("vramgui")
    app.setWindowIcon(QtGui.QIcon(str(data_dir("resources") / "icons" / "vramgui.svg")))
    win = build_window()
    win.show()
    return app.exec()
