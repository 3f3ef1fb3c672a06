"""The "My machine" tab: describe the machine once, see every model × format that runs
on it, and open one as the current scenario."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.machine import GGUF, Machine, machine_table
from ..core.units import GIB
from .fit_table import FIT, NOFIT, RIGHT, SORT_ROLE, SPLIT

COLUMNS = ("Model", "Format", "Bits/weight", "Runs", "Needed", "Max context", "Tokens/s", "First token")
LEVEL = {"gpu": ("fits on GPU", FIT), "partial": ("partly offloaded", SPLIT), "cpu": ("CPU only", NOFIT),
         "none": ("does not fit", NOFIT)}


def _context_text(o) -> str:
    """Largest context memory allows, capped at the model's trained limit (said so)."""
    if o.max_context is None:
        return "-"
    limit = o.model.architecture.max_context
    return f"{limit:,} (model limit)" if o.max_context > limit else f"{o.max_context:,}"


class MachineTab(QtWidgets.QWidget):
    """``opened(model_id, weights, engine)`` when the user picks a row."""

    opened = QtCore.Signal(str, str, str)

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.options = []
        form = QtWidgets.QHBoxLayout()
        self.gpu = QtWidgets.QComboBox()
        self.gpu.setToolTip("The card in your machine")
        for g in sorted(state.catalog.gpus.values(), key=lambda g: (g.category, -g.memory_mib)):
            self.gpu.addItem(g.name, g.id)
        self.gpus = QtWidgets.QSpinBox()
        self.gpus.setRange(1, 64)
        self.gpus.setPrefix("× ")
        self.gpus.setToolTip("How many of these cards")
        self.ram = QtWidgets.QSpinBox()
        self.ram.setRange(0, 8192)
        self.ram.setSuffix(" GB RAM")
        self.ram.setValue(64)
        self.ram.setToolTip("System RAM, for partly offloaded GGUF models (0: GPU only)")
        self.context = QtWidgets.QSpinBox()
        self.context.setRange(128, 10_000_000)
        self.context.setValue(4096)
        self.context.setSingleStep(1024)
        self.context.setSuffix(" tokens")
        self.context.setGroupSeparatorShown(True)
        self.context.setToolTip("Context you want to run at")
        self.engine = QtWidgets.QComboBox()
        for ident, label in (("vllm", "vLLM"), ("hf", "HF transformers"), ("generic", "generic")):
            self.engine.addItem(label, ident)
        self.engine.setToolTip("Engine for the non-GGUF formats (GGUF formats run on llama.cpp)")
        self.update_button = QtWidgets.QPushButton("Update")
        self.update_button.setToolTip("Evaluate every catalog model in every format on this machine")
        for label, w in (("Card", self.gpu), ("", self.gpus), ("", self.ram), ("Context", self.context),
                         ("Engine", self.engine)):
            if label:
                form.addWidget(QtWidgets.QLabel(label))
            form.addWidget(w)
            w.setAccessibleName(label or w.toolTip())
        form.addWidget(self.update_button)
        form.addStretch(1)
        self.filter = QtWidgets.QLineEdit()
        self.filter.setPlaceholderText("Filter (model, family, format)…")
        self.filter.setClearButtonEnabled(True)
        self.fits_only = QtWidgets.QCheckBox("only what runs")
        self.fits_only.setChecked(True)
        row2 = QtWidgets.QHBoxLayout()
        row2.addWidget(self.filter, 1)
        row2.addWidget(self.fits_only)
        self.model = QtGui.QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        self.proxy = QtCore.QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        self.view = QtWidgets.QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.view.setToolTip("Double-click (or press Enter on) a row to open it as the current scenario")
        self.summary = QtWidgets.QLabel()
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(row2)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.summary)
        self.update_button.clicked.connect(self.recompute)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.fits_only.toggled.connect(self._fill)
        self.view.activated.connect(self._open)
        self.view.doubleClicked.connect(self._open)

    def machine(self) -> Machine:
        return Machine(gpu=self.state.catalog.gpus[self.gpu.currentData()], n_gpus=self.gpus.value(),
                       ram_gb=float(self.ram.value()), engine=self.engine.currentData(), context=self.context.value())

    def recompute(self) -> None:
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            self.options = machine_table(self.machine(), self.state.catalog)
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        self._fill()

    def _fill(self) -> None:
        rows = [o for o in self.options if o.level != "none" or not self.fits_only.isChecked()]
        self.model.setRowCount(0)
        for o in rows:
            text, colour = LEVEL[o.level]
            if o.level == "partial" and o.gpu_layers < o.n_layers:
                text = f"partly offloaded ({o.gpu_layers} of {o.n_layers} layers on GPU)"
            cells = ((o.model.name, o.model.family), (o.weights, o.weights), (f"{o.bits:.2f}", o.bits),
                     (text, ("gpu", "partial", "cpu", "none").index(o.level)),
                     (f"{o.needed_bytes / GIB:,.1f} GiB", o.needed_bytes),
                     (_context_text(o), o.max_context or -1),
                     (f"{o.decode_tokens_per_s:,.1f}", o.decode_tokens_per_s),
                     ("-" if o.ttft_s is None else f"{o.ttft_s * 1e3:,.0f} ms", o.ttft_s or 1e9))
            items = []
            for c, (label, key) in enumerate(cells):
                it = QtGui.QStandardItem(label)
                it.setEditable(False)
                it.setData(key, SORT_ROLE)
                if c >= 2:
                    it.setData(RIGHT, QtCore.Qt.ItemDataRole.TextAlignmentRole)
                items.append(it)
            items[0].setData((o.model.id, o.weights), QtCore.Qt.ItemDataRole.UserRole)
            items[0].setToolTip(f"{o.model.family}: {o.params / 1e9:,.2f} B parameters")
            items[3].setData(colour, QtCore.Qt.ItemDataRole.DecorationRole)
            self.model.appendRow(items)
        self.view.sortByColumn(6, QtCore.Qt.SortOrder.DescendingOrder)
        m = self.machine()
        self.summary.setText(f"{len(rows)} model × format combinations run on {m.n_gpus} × {m.gpu.name} with "
                             f"{m.ram_gb:,.0f} GB of RAM at {m.context:,} tokens. No quality is scored: bits per "
                             "weight are shown as they are.")

    def _open(self, index: QtCore.QModelIndex) -> None:
        src = self.proxy.mapToSource(index)
        model_id, weights = self.model.item(src.row(), 0).data(QtCore.Qt.ItemDataRole.UserRole)
        engine = "llamacpp" if weights in GGUF else self.engine.currentData()
        self.opened.emit(model_id, weights, engine)

    def row_count(self) -> int:
        return self.proxy.rowCount()
