"""The layouts panel: the scenario's cards split every way the engine allows — groups of n
cards side by side — at the same load, from ``core.layouts``.

Like the explain panel it is built only while visible (:class:`~vramgui.ui.lazy.RebuildWhenShown`).
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QT_TRANSLATE_NOOP

from ..core.layouts import Layout, layouts
from ..core.scenario import Scenario
from ..core.units import GIB
from .i18n import Retranslates, duration, integer, num, translate
from .lazy import RebuildWhenShown

COLUMNS = (QT_TRANSLATE_NOOP("Layouts", "Layout"), QT_TRANSLATE_NOOP("Layouts", "At this load"),
           QT_TRANSLATE_NOOP("Layouts", "Needed"), QT_TRANSLATE_NOOP("Layouts", "Usable"),
           QT_TRANSLATE_NOOP("Layouts", "Max seqs"), QT_TRANSLATE_NOOP("Layouts", "Per replica"),
           QT_TRANSLATE_NOOP("Layouts", "ms/token"), QT_TRANSLATE_NOOP("Layouts", "tok/s"),
           QT_TRANSLATE_NOOP("Layouts", "tok/s at most"), QT_TRANSLATE_NOOP("Layouts", "First token, 1 prompt"),
           QT_TRANSLATE_NOOP("Layouts", "Cost/M tok"))
TIPS = (QT_TRANSLATE_NOOP("Layouts", "Replicas serving side by side × the cards each one splits the model over "
                                     "(tensor parallel; layers for llama.cpp and HF)"),
        QT_TRANSLATE_NOOP("Layouts", "Whether the load's sequences fit their replicas"),
        QT_TRANSLATE_NOOP("Layouts", "Memory per card at the load"),
        QT_TRANSLATE_NOOP("Layouts", "Memory the engine may use per card"),
        QT_TRANSLATE_NOOP("Layouts", "Concurrent sequences the whole machine holds"),
        QT_TRANSLATE_NOOP("Layouts", "Sequences each replica serves at the load (the batch spread evenly)"),
        QT_TRANSLATE_NOOP("Layouts", "Time per output token at the load, served (other requests' prompts included)"),
        QT_TRANSLATE_NOOP("Layouts", "Generated tokens per second of the whole machine at the load"),
        QT_TRANSLATE_NOOP("Layouts", "... with every replica at the largest batch it holds (at most what the engine "
                                     "schedules at once: vLLM's max_num_seqs)"),
        QT_TRANSLATE_NOOP("Layouts", "One prompt's prefill on an idle replica"),
        QT_TRANSLATE_NOOP("Layouts", "Cost of a million generated tokens at the load, at your price per card-hour"))
RIGHT = QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter


class LayoutsPanel(Retranslates, RebuildWhenShown, QtWidgets.QWidget):
    """A heading line and a read-only table, one row per layout."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 0)
        self.heading = QtWidgets.QLabel()
        self.heading.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.heading)
        lay.addWidget(self.table, 1)
        self.rows: list[Layout] = []
        self._names: tuple = ()
        self._scenario: Scenario | None = None
        self._price = 0.0
        self._init_rebuild()
        self.retranslate()

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([translate("Layouts", c) for c in COLUMNS])
        for c, tip in enumerate(TIPS):
            self.table.horizontalHeaderItem(c).setToolTip(translate("Layouts", tip))
        self.mark_stale()

    def set_source(self, s: Scenario | None, price_per_card_hour: float) -> None:
        """The scenario changed (None: fine-tuning): remember it; rebuild soon if shown."""
        self._scenario, self._price = s, price_per_card_hour
        self.mark_stale()

    def rebuild(self, force: bool = False) -> None:
        """Fill the table (only while shown, unless ``force``)."""
        if not self._start_rebuild(force):
            return
        s = self._scenario
        if s is None:
            self.rows = []
            self.table.setRowCount(0)
            self.heading.setText(self.tr("Layouts compare ways of serving a model: switch the mode to Inference."))
            return
        total = s.n_gpus
        self.rows = layouts(s, total, price_per_card_hour=self._price or None)
        # (the times are served ones, other requests' prompts included: the strip's Decode is the step alone)
        text = (self.tr("{model} on {n} × {gpu}, one sequence at a time, {engine}; times served, prompts included")
                if s.batch == 1 else
                self.tr("{model} on {n} × {gpu}, {load} concurrent sequences spread over the replicas, {engine}; "
                        "times served, prompts included")).format(
            model=s.model.name, n=integer(total), gpu=s.gpu.name, load=integer(s.batch), engine=s.profile.name)
        if total == 1:
            text += "\n" + self.tr("One card: set Number of GPUs to the machine's card count to compare the ways "
                                   "of splitting it.")
        self.heading.setText(text)
        self.table.setColumnHidden(len(COLUMNS) - 1, not self._price)
        self.table.setRowCount(len(self.rows))
        own = None
        for r, row in enumerate(self.rows):
            for c, value in enumerate(self._cells(row)):
                item = QtWidgets.QTableWidgetItem(value)
                if c > 1:
                    item.setTextAlignment(RIGHT)
                if row.replicas == 1 and row.stages == s.stages:   # the plan's own layout
                    own = r
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                if c == 1:
                    item.setForeground(QtGui.QBrush(QtGui.QColor(
                        "#009E73" if row.load_fits else "#E69F00" if row.fits else "#D55E00")))
                if c == 0 and row.tp_nodes > 1:     # the speeds assume one node's links: say where they do not
                    item.setForeground(QtGui.QBrush(QtGui.QColor("#E69F00")))
                    item.setToolTip(self.tr("Each group's tensor parallel spans {k} nodes of {m} cards: its "
                                            "all-reduces cross the network, which these speeds do not model "
                                            "(likely slower than shown)").format(
                        k=integer(row.tp_nodes), m=integer(s.cards_per_node)))
                self.table.setItem(r, c, item)
        # a new set of layouts (another machine or engine) opens at the plan's own row; the same set
        # keeps where the user scrolled
        names = tuple((row.cards, row.stages) for row in self.rows)
        if names != self._names:
            self._names = names
            if own is not None:     # (on the next turn of the event loop: a table just shown has no height yet)
                QtCore.QTimer.singleShot(0, lambda r=own: self._show_row(r))

    def _show_row(self, r: int) -> None:
        if r >= self.table.rowCount():
            return
        self.table.doItemsLayout()      # (the scroll range follows the new rows only after a layout)
        self.table.scrollToItem(self.table.item(r, 0), QtWidgets.QAbstractItemView.ScrollHint.PositionAtCenter)

    def _cells(self, row: Layout) -> tuple[str, ...]:
        def rate(x: float) -> str:
            return "-" if x != x else num(x)
        verdict = (self.tr("fits") if row.load_fits else self.tr("one sequence fits") if row.fits
                   else self.tr("does not fit"))
        name = f"{integer(row.replicas)} × {integer(row.cards)}"
        if row.stages > 1:
            name += " " + self.tr("({n} stages)").format(n=integer(row.stages))
        if row.tp_nodes > 1:
            name += " " + self.tr("· {k} nodes").format(k=integer(row.tp_nodes))
        return (name, verdict,
                f"{num(row.needed_bytes / GIB, 1)} GiB", f"{num(row.budget_bytes / GIB, 1)} GiB",
                integer(row.max_sequences), integer(row.batch),
                "-" if row.tpot_s != row.tpot_s else num(row.tpot_s * 1e3, 1), rate(row.tokens_per_s),
                rate(row.peak_tokens_per_s), "-" if row.ttft_s != row.ttft_s else duration(row.ttft_s),
                "-" if row.cost_per_million is None else num(row.cost_per_million, 3))
