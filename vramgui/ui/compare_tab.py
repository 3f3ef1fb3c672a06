"""Pinned scenarios side by side (the live one first)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..core import estimate_memory, fit
from ..core.speed import estimate_speed
from ..core.units import GIB

ROWS = ("Model", "Cards", "Weights format", "Engine", "Prompt + output", "Batch", "Weights", "KV cache",
        "Activations", "Overhead", "Total per card", "Usable per card", "Verdict", "Largest context",
        "Decode ms/token", "Tokens/s (all sequences)", "Time to first token")


def column(s) -> list[str]:
    m, f = estimate_memory(s), fit(s)
    sp = estimate_speed(s, with_knee=False)
    g = lambda x: f"{float(x) / GIB:,.2f} GiB"  # noqa: E731
    return [s.model.name, f"{s.n_gpus} × {s.gpu.name}", s.weight_format.name, s.profile.name,
            f"{s.prompt_tokens:,} + {s.output_tokens:,}", f"{s.batch}", g(m.weights), g(m.kv_cache),
            g(m.activations), g(m.overhead), g(m.total), g(f.budget_bytes), f.verdict,
            "-" if f.max_context is None else f"{f.max_context:,}", f"{float(sp.decode_step_s) * 1e3:,.2f}",
            f"{float(sp.throughput_tokens_per_s):,.1f}",
            f"{float(sp.prefill_s) * 1e3:,.0f} ms" if sp.compute_known else "unknown"]


class CompareTab(QtWidgets.QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QtWidgets.QTableWidget(len(ROWS), 1)
        self.table.setVerticalHeaderLabels(list(ROWS))
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("The live scenario and up to four pinned ones (Scenario → Pin, Ctrl+P)")
        self.note = QtWidgets.QLabel("Pin scenarios with Scenario → Pin current scenario (Ctrl+P); the charts draw "
                                     "them as dashed lines.")
        self.note.setWordWrap(True)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.note)
        lay.addWidget(self.table, 1)

    def update_from(self, live, pins: list) -> None:
        scenarios = [live, *pins]
        self.table.setColumnCount(len(scenarios))
        self.table.setHorizontalHeaderLabels(["live"] + [f"pin {i + 1}" for i in range(len(pins))])
        for c, s in enumerate(scenarios):
            for r, text in enumerate(column(s)):
                item = QtWidgets.QTableWidgetItem(text)
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, item)

    def cell(self, row: str, col: int) -> str:
        return self.table.item(ROWS.index(row), col).text()
