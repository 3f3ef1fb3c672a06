"""Small dialogs: a custom GPU card."""

from __future__ import annotations

import datetime as _dt
import re

from pydantic import ValidationError
from PySide6 import QtCore, QtWidgets

from ..core.errors import pydantic_message
from ..core.presets import GPU


class CustomGpuDialog(QtWidgets.QDialog):
    """Name, memory, bandwidth and (optionally) FLOP/s of a card not in the catalog."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Add a custom GPU")
        self.gpu: GPU | None = None
        form = QtWidgets.QFormLayout(self)
        self.name = QtWidgets.QLineEdit()
        self.name.setPlaceholderText("e.g. My workstation card")
        self.memory = QtWidgets.QDoubleSpinBox()
        self.memory.setRange(0.5, 16384)
        self.memory.setValue(24)
        self.memory.setSuffix(" GiB")
        self.bandwidth = QtWidgets.QDoubleSpinBox()
        self.bandwidth.setRange(1, 100000)
        self.bandwidth.setValue(1000)
        self.bandwidth.setSuffix(" GB/s")
        self.tflops = QtWidgets.QDoubleSpinBox()
        self.tflops.setRange(0, 100000)
        self.tflops.setSpecialValueText("unknown")
        self.tflops.setSuffix(" TFLOP/s")
        self.source = QtWidgets.QLineEdit()
        self.source.setPlaceholderText("where the numbers come from (datasheet URL)")
        for label, w, tip in (("Name", self.name, "Shown in the pickers and the fit table"),
                              ("Memory", self.memory, "Memory the driver reports for one card"),
                              ("Bandwidth", self.bandwidth, "Peak memory bandwidth from the datasheet"),
                              ("FP16 tensor", self.tflops, "Dense fp16 tensor TFLOP/s (for prefill and the knee)"),
                              ("Source", self.source, "Every number in a preset names its source")):
            w.setToolTip(tip)
            form.addRow(label, w)
        self.error = QtWidgets.QLabel()
        self.error.setStyleSheet("color: #b35806;")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Save
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def build(self) -> GPU | None:
        name = self.name.text().strip()
        ident = re.sub(r"[^a-z0-9.\-_]+", "-", name.lower()).strip("-._")[:56] or "custom"
        source = self.source.text().strip() or f"entered by the user on {_dt.date.today().isoformat()}"
        try:
            return GPU(id=f"custom-{ident}", name=name or "Custom GPU", vendor="Custom", category="custom",
                       memory_mib=self.memory.value() * 1024, memory_mib_basis="marketed",
                       memory_bandwidth_gb_s=self.bandwidth.value(),
                       fp16_tensor_tflops=self.tflops.value() or None, sources={"all": source})
        except ValidationError as exc:
            self.error.setText(pydantic_message(exc))
            return None

    def accept(self) -> None:
        self.gpu = self.build()
        if self.gpu is not None:
            super().accept()


GUIDE = """<h3>Reading the charts</h3>
<p><b>Memory per card vs prompt length.</b> The stacked areas are what one card holds at each prompt length:
weights (fixed), KV cache (grows with every token of every sequence), the activation peak of a forward pass
(quadratic in the prompt with eager attention) and the runtime overhead (CUDA context, engine buffers). The black
line is the card's memory; a dashed line is the usable budget when the engine caps it (vLLM). The grey vertical
line is your prompt; the dashed red one is the largest prompt that fits. With <i>System RAM</i> set, the hatched
band above the card's line is what runs from system RAM.</p>
<p><b>Speed vs batch size.</b> Top: tokens per second of all sequences together; bottom: the time of one decode
step. Solid lines are the expected speed, dashed ones the speed of light (peak bandwidth and FLOP/s). Throughput
rises almost linearly while decode is memory-bound and flattens at the <i>knee</i>, where it turns compute-bound;
the red dashed line is the largest batch memory allows.</p>
<p><b>Will it fit?</b> Every card: fits, needs N cards, partly offloaded, or does not fit; needed and usable memory,
the largest context and batch, and expected tokens/s. Click a row to plan for that card.</p>
<p>Hover any number in the strip under the charts for its formula with your numbers. Memory is in GiB
(2<sup>30</sup> bytes).</p>"""


def about_text() -> str:
    import numpy
    import pydantic
    import pyqtgraph
    import PySide6

    from .. import __version__
    return (f"<h3>vramgui {__version__}</h3><p>Will this LLM run on this GPU, and how fast? An offline planner; it "
            "never uses the network.</p><p>Bundled components and their licenses:</p><ul>"
            f"<li>Qt {PySide6.QtCore.qVersion()} and PySide6 {PySide6.__version__} — LGPL-3.0</li>"
            f"<li>pyqtgraph {pyqtgraph.__version__} — MIT</li><li>NumPy {numpy.__version__} — BSD-3-Clause</li>"
            f"<li>pydantic {pydantic.VERSION} — MIT</li><li>Python — PSF License</li></ul>"
            "<p>Preset figures come from model cards, config.json files and vendor datasheets; each preset names its "
            "source.</p>")


def show_text(parent, title: str, html: str) -> QtWidgets.QMessageBox:
    box = QtWidgets.QMessageBox(parent)
    box.setWindowTitle(title)
    box.setTextFormat(QtCore.Qt.TextFormat.RichText)
    box.setText(html)
    box.setStandardButtons(QtWidgets.QMessageBox.StandardButton.Close)
    return box
