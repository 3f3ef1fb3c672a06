"""Small dialogs: a custom GPU card."""

from __future__ import annotations

import datetime as _dt
import re

from pydantic import ValidationError
from PySide6 import QtWidgets

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
