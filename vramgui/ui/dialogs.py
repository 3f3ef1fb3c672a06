"""Small dialogs: a custom GPU card."""

from __future__ import annotations

import datetime as _dt
import re

from pydantic import ValidationError
from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import QT_TRANSLATE_NOOP

from ..core.errors import pydantic_message
from ..core.presets import GPU, UNIFIED_GPU_SHARE
from .i18n import Retranslates, translate


class CustomGpuDialog(Retranslates, QtWidgets.QDialog):
    """Name, memory, bandwidth, (optionally) FLOP/s and, for unified memory, the GPU's share of a
    card not in the catalog."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.gpu: GPU | None = None
        form = QtWidgets.QFormLayout(self)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 72)   # the placeholders read whole
        self.name = QtWidgets.QLineEdit()
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
        self.tflops.setSuffix(" TFLOP/s")
        self.unified = QtWidgets.QCheckBox()
        self.share = QtWidgets.QSpinBox()
        self.share.setRange(10, 100)
        self.share.setValue(round(UNIFIED_GPU_SHARE * 100))
        self.share.setSuffix(" %")
        self.share.setEnabled(False)
        self.unified.toggled.connect(self.share.setEnabled)
        self.source = QtWidgets.QLineEdit()
        self.fields = (self.name, self.memory, self.bandwidth, self.tflops, self.unified, self.share, self.source)
        for w in self.fields:
            form.addRow(QtWidgets.QLabel(), w)
        self.error = QtWidgets.QLabel()
        self.error.setStyleSheet("color: #b35806;")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Save
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Add a custom GPU"))
        self.name.setPlaceholderText(self.tr("e.g. My workstation card"))
        self.tflops.setSpecialValueText(self.tr("unknown"))
        self.source.setPlaceholderText(self.tr("where the numbers come from (datasheet URL)"))
        rows = ((self.tr("Name"), self.tr("Shown in the pickers and the fit table")),
                (self.tr("Memory"), self.tr("Memory the driver reports for one card")),
                (self.tr("Bandwidth"), self.tr("Peak memory bandwidth from the datasheet")),
                (self.tr("FP16 tensor"), self.tr("Dense fp16 tensor TFLOP/s (for prefill and the knee)")),
                (self.tr("Unified memory"), self.tr("The GPU shares the machine's memory with the CPU (Apple "
                                                     "silicon, DGX Spark, Ryzen AI Max)")),
                (self.tr("GPU share"), self.tr("Share of that memory the GPU may use: macOS wires 75 % by "
                                               "default; set what your platform allows")),
                (self.tr("Source"), self.tr("Every number in a preset names its source")))
        form = self.layout()
        for w, (label, tip) in zip(self.fields, rows, strict=True):
            form.labelForField(w).setText(label)
            w.setToolTip(tip)

    def build(self) -> GPU | None:
        name = self.name.text().strip()
        ident = re.sub(r"[^a-z0-9.\-_]+", "-", name.lower()).strip("-._")[:56] or "custom"
        # stays English: it is written into the preset file, read by whoever edits it
        source = self.source.text().strip() or f"entered by the user on {_dt.date.today().isoformat()}"
        try:
            return GPU(id=f"custom-{ident}", name=name or "Custom GPU", vendor="Custom", category="custom",
                       memory_mib=self.memory.value() * 1024, memory_mib_basis="marketed",
                       memory_bandwidth_gb_s=self.bandwidth.value(),
                       fp16_tensor_tflops=self.tflops.value() or None, unified_memory=self.unified.isChecked(),
                       gpu_memory_share=self.share.value() / 100 if self.unified.isChecked() else None,
                       sources={"all": source})
        except ValidationError as exc:
            self.error.setText(pydantic_message(exc))
            return None

    def accept(self) -> None:
        self.gpu = self.build()
        if self.gpu is not None:
            super().accept()


# The guide, a paragraph per message so a change to one leaves the others' translations be.
GUIDE_PARTS = (
    QT_TRANSLATE_NOOP("Guide", "<h3>Reading the charts</h3>"),
    QT_TRANSLATE_NOOP("Guide", "<p><b>Memory per card vs prompt length.</b> The stacked areas are what one card "
                               "holds at each prompt length: weights (fixed), KV cache (grows with every token of "
                               "every sequence), the activation peak of a forward pass (quadratic in the prompt with"
                               " eager attention) and the runtime overhead (CUDA context, engine buffers). The black"
                               " line is the card's memory; a dashed line is the usable budget when the engine caps "
                               "it (vLLM). The grey vertical line is your prompt; the dashed red one is the largest "
                               "prompt that fits. With <i>System RAM</i> set, the hatched band above the card's line"
                               " is what runs from system RAM, and the red dash-dot line the largest prompt the "
                               "card and the RAM hold together.</p>"),
    QT_TRANSLATE_NOOP("Guide", "<p><b>Speed vs batch size.</b> Top: tokens per second of all sequences together; "
                               "bottom: the time of one decode step. Solid lines are the expected speed, dashed ones"
                               " the speed of light (peak bandwidth and FLOP/s). Throughput rises almost linearly "
                               "while decode is memory-bound and flattens at the <i>knee</i>, where it turns "
                               "compute-bound; the red dashed line is the largest batch memory allows. At long "
                               "contexts each sequence adds more cache to read than math to do, and decode stays "
                               "memory-bound at every batch: the step plot's corner then says <i>no knee</i> (or "
                               "where a knee past the chart lies). With <i>System RAM</i> set and a model the card "
                               "alone cannot hold, the curves still keep every layer on the card; the orange diamond "
                               "is the offload plan at your batch and, once you stop editing, the orange line the "
                               "plans at each number of sequences the card and the RAM hold (hover a point for its "
                               "numbers; the cost under the price then names the cheapest).</p>"),
    QT_TRANSLATE_NOOP("Guide", "<p><b>Will it fit?</b> Every card: fits, needs N cards, partly offloaded, or does "
                               "not fit; needed and usable memory, the largest context and batch, and expected "
                               "tokens/s. Click a row to plan for that card.</p>"),
    QT_TRANSLATE_NOOP("Guide", "<p>Hover any number in the strip under the charts for its formula with your numbers."
                               " Memory is in GiB (2<sup>30</sup> bytes).</p>"),
)
GUIDE = "\n".join(GUIDE_PARTS)


def guide_text() -> str:
    """The guide in the window's language."""
    return "\n".join(translate("Guide", part) for part in GUIDE_PARTS)


def about_text() -> str:
    import numpy
    import pydantic
    import pyqtgraph
    import PySide6

    from .. import __version__
    qt = translate("About", "Qt {qt} and PySide6 {pyside}").format(qt=PySide6.QtCore.qVersion(),
                                                                   pyside=PySide6.__version__)
    return (f"<h3>vramgui {__version__}</h3><p>"
            + translate("About", "Will this LLM run on this GPU, and how fast? An offline planner; it never uses "
                                 "the network.")
            + "</p><p>" + translate("About", "Bundled components and their licenses:") + "</p><ul>"
            f"<li>{qt} — LGPL-3.0</li>"
            f"<li>pyqtgraph {pyqtgraph.__version__} — MIT</li><li>NumPy {numpy.__version__} — BSD-3-Clause</li>"
            f"<li>pydantic {pydantic.VERSION} — MIT</li><li>Python — PSF License</li></ul><p>"
            + translate("About", "Preset figures come from model cards, config.json files and vendor datasheets; "
                                 "each preset names its source.") + "</p>")


def show_text(parent, title: str, html: str) -> QtWidgets.QMessageBox:
    box = QtWidgets.QMessageBox(parent)
    box.setWindowTitle(title)
    box.setTextFormat(QtCore.Qt.TextFormat.RichText)
    box.setText(html)
    box.setStandardButtons(QtWidgets.QMessageBox.StandardButton.Close)
    return box
