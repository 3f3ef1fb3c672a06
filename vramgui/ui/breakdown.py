"""The breakdown strip: the numbers behind the current point, each with a tooltip that
shows its formula with the scenario's numbers (from ``core.explain``)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..core import MemoryBreakdown, Scenario
from ..core.explain import explain
from ..core.fit import FitResult
from ..core.speed import SpeedResult
from ..core.units import GIB

WIDEST = {"total": "0,000.00 / 0,000.00 GiB", "decode": "00,000.0 ms · 000,000 tok/s", "prefill": "000,000 ms"}
ITEMS = (("weights", "Weights"), ("kv_cache", "KV cache"), ("activations", "Activations"),
         ("overhead", "Overhead"), ("total", "Total / usable"), ("decode", "Decode"), ("prefill", "First token"))


class BreakdownStrip(QtWidgets.QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        self.values: dict[str, QtWidgets.QLabel] = {}
        for key, title in ITEMS:
            box = QtWidgets.QVBoxLayout()
            head = QtWidgets.QLabel(title)
            head.setStyleSheet("color: palette(mid); font-size: 9pt;")
            val = QtWidgets.QLabel("-")
            val.setStyleSheet("font-weight: 600; font-size: 11pt;")
            # a fixed width keeps the window's size hints still while numbers change (a changing
            # hint re-lays out and repaints the whole window on every update)
            val.setFixedWidth(val.fontMetrics().horizontalAdvance(WIDEST.get(key, "00,000.00 GiB")) + 12)
            val.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            box.addWidget(head)
            box.addWidget(val)
            lay.addLayout(box)
            lay.addStretch(1)
            self.values[key] = val
            val.setProperty("explain_key", key)
            val.installEventFilter(self)
        self._scenario: Scenario | None = None
        self.verdict = QtWidgets.QLabel()
        self.verdict.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.verdict.setFixedWidth(self.verdict.fontMetrics().horizontalAdvance("DOES NOT FIT") * 2)
        self.verdict.setStyleSheet("font-weight: 700; font-size: 12pt; padding: 2px 10px; border-radius: 4px;")
        lay.addWidget(self.verdict)

    def eventFilter(self, obj, event) -> bool:
        """Build the formula tooltips when one is asked for, not on every update."""
        if event.type() == QtCore.QEvent.Type.ToolTip and self._scenario is not None:
            key = obj.property("explain_key")
            QtWidgets.QToolTip.showText(event.globalPos(), explain(self._scenario)[key], obj)
            return True
        return False

    def tooltip(self, key: str) -> str:
        """The explanation a hover on ``key`` shows now."""
        return explain(self._scenario)[key]

    def update_from(self, s: Scenario, m: MemoryBreakdown, f: FitResult, sp: SpeedResult) -> None:
        self._scenario = s
        v = self.values
        for key in ("weights", "kv_cache", "activations", "overhead"):
            v[key].setText(f"{float(getattr(m, key)) / GIB:,.2f} GiB")
        v["total"].setText(f"{float(m.total) / GIB:,.2f} / {f.budget_bytes / GIB:,.2f} GiB")
        step = float(sp.decode_step_s)
        v["decode"].setText(f"{step * 1e3:,.1f} ms · {s.batch / step:,.0f} tok/s")
        v["prefill"].setText(f"{float(sp.prefill_s) * 1e3:,.0f} ms" if sp.compute_known
                             else "unknown")
        colour = "#009E73" if f.fits else "#E69F00" if f.min_gpus else "#D55E00"
        self.verdict.setText(f.verdict.upper())
        self.verdict.setStyleSheet(self.verdict.styleSheet().split("background")[0]
                                   + f"background: {colour}; color: white;")
        self.verdict.setToolTip(f"Needs {f.needed_bytes / GIB:,.2f} GiB of {f.budget_bytes / GIB:,.2f} GiB usable "
                                f"per card; headroom {f.headroom_bytes / GIB:+,.2f} GiB")
