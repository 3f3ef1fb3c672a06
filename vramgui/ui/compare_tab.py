"""Pinned scenarios side by side (the live one first)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import QT_TRANSLATE_NOOP

from ..core import estimate_memory, fit
from ..core.offload import offloading, plan_costs
from ..core.speed import cost_per_million_tokens, estimate_speed, served
from ..core.units import GIB
from .i18n import Retranslates, duration, integer, num, translate
from .wording import blocked_verdict, context_cell, core_name, fit_verdict, money, plan_cell, ram_context_cell

# Row titles in English (the keys of :meth:`CompareTab.cell`), translated where shown
ROWS = (QT_TRANSLATE_NOOP("CompareTab", "Model"), QT_TRANSLATE_NOOP("CompareTab", "Cards"),
        QT_TRANSLATE_NOOP("CompareTab", "Weights format"), QT_TRANSLATE_NOOP("CompareTab", "Engine"),
        QT_TRANSLATE_NOOP("CompareTab", "Prompt + output"), QT_TRANSLATE_NOOP("CompareTab", "Batch"),
        QT_TRANSLATE_NOOP("CompareTab", "Weights"), QT_TRANSLATE_NOOP("CompareTab", "KV cache"),
        QT_TRANSLATE_NOOP("CompareTab", "Activations"), QT_TRANSLATE_NOOP("CompareTab", "Overhead"),
        QT_TRANSLATE_NOOP("CompareTab", "Total per card"), QT_TRANSLATE_NOOP("CompareTab", "Usable per card"),
        QT_TRANSLATE_NOOP("CompareTab", "Verdict"), QT_TRANSLATE_NOOP("CompareTab", "Largest context"),
        QT_TRANSLATE_NOOP("CompareTab", "Decode ms/token"), QT_TRANSLATE_NOOP("CompareTab", "Tokens/s (all sequences)"),
        QT_TRANSLATE_NOOP("CompareTab", "Time to first token"))
# the last row, only when the user has set a price per card-hour
COST_ROW = QT_TRANSLATE_NOOP("CompareTab", "Cost / million tokens")


def column(s, price: float | None = None, plan=None) -> list[str]:
    """The rows of one scenario; ``plan``: its offload plan where System RAM is entered, whose verdict, decode, time
    to first token and largest context (with its largest prompt, :meth:`~vramgui.ui.state.ScenarioState.
    reported_plan_for`) stand where the card(s) alone hold too little (as in the Plan tab's strip)."""
    m, f = estimate_memory(s), fit(s)
    sp = estimate_speed(s, with_knee=False)
    off = offloading(plan, f.fits)
    step = off.decode_s if off else float(sp.decode_step_s)
    first = off.prefill_s if off else float(sp.prefill_s) if sp.compute_known else float("nan")
    g = lambda x: f"{num(float(x) / GIB, 2)} GiB"  # noqa: E731
    limit = s.model.architecture.max_context
    largest = ram_context_cell(off.max_context, limit, short=False) if off and off.max_prompt_tokens is not None \
        else context_cell(f.max_context, limit)
    cards = f"{s.n_gpus} × {s.gpu.name}"
    if s.stages > 1:
        cards += " " + translate("LayoutsPanel", "({n} stages)").format(n=integer(s.stages))
    return [s.model.name, cards, core_name(s.weight_format.name), core_name(s.profile.name),
            f"{integer(s.prompt_tokens)} + {integer(s.output_tokens)}", integer(s.batch), g(m.weights),
            g(m.kv_cache), g(m.activations), g(m.overhead), g(m.total), g(f.budget_bytes),
            blocked_verdict(s) or (plan_cell(off) if off else fit_verdict(f.fits, f.min_gpus)),
            largest,
            num(step * 1e3, 2), num(s.batch / step if off else float(sp.throughput_tokens_per_s), 1),
            duration(first) if first == first else translate("CompareTab", "unknown")] \
        + ([money(plan_costs(off, s, price).per_million if off else
                  float(cost_per_million_tokens(served(s).throughput_tokens_per_s, s.n_gpus, price)))] if price else [])


class CompareTab(Retranslates, QtWidgets.QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QtWidgets.QTableWidget(len(ROWS), 1)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.note = QtWidgets.QLabel()
        self.note.setWordWrap(True)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.note)
        lay.addWidget(self.table, 1)
        self.retranslate()

    def retranslate(self) -> None:
        """Row titles and help in the current language (the cells follow on the next update)."""
        self.table.setVerticalHeaderLabels([translate("CompareTab", r) for r in self.rows()])
        self.table.setToolTip(self.tr("The live scenario and up to four pinned ones (Scenario → Pin, Ctrl+P)"))
        self.note.setText(self.tr("Pin scenarios with Scenario → Pin current scenario (Ctrl+P); the charts draw "
                                  "them as dashed lines."))

    def rows(self) -> tuple[str, ...]:
        return ROWS + ((COST_ROW,) if self.table.rowCount() > len(ROWS) else ())

    def update_from(self, live, pins: list, price: float | None = None, plan_for=None) -> None:
        """The live scenario and the pinned ones; ``price`` per card-hour adds the cost row; ``plan_for`` gives a
        scenario's offload plan with its largest prompt (or None) where System RAM is entered."""
        scenarios = [live, *pins]
        rows = len(ROWS) + (1 if price else 0)
        if rows != self.table.rowCount():
            self.table.setRowCount(rows)
            self.retranslate()
        self.table.setColumnCount(len(scenarios))
        self.table.setHorizontalHeaderLabels([self.tr("live")] + [self.tr("pin {i}").format(i=i + 1)
                                                                  for i in range(len(pins))])
        for c, s in enumerate(scenarios):
            for r, text in enumerate(column(s, price, plan_for(s) if plan_for else None)):
                item = QtWidgets.QTableWidgetItem(text)
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, item)

    def cell(self, row: str, col: int) -> str:
        return self.table.item(self.rows().index(row), col).text()
