"""The will-it-fit panel: every card as a row, sortable and filterable; choosing a row
makes it the primary card."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.cards import CardTable
from ..core.units import GIB

COLUMNS = ("", "Card", "Needed", "Usable", "Headroom", "Cards", "Max context", "Max batch", "Decode tok/s")
TIPS = ("Fits on one card (green), on several (amber), or not within 64 cards (red)",
        "GPU model (memory as the driver reports it)", "Memory the scenario needs per card (GiB = 2^30 bytes)",
        "Memory the engine may use per card", "Usable minus needed", "Fewest cards of this kind that fit",
        "Largest prompt + output that fits with this batch", "Most concurrent sequences that fit",
        "Expected decode speed of one sequence at this batch")
FIT, SPLIT, NOFIT = QtGui.QColor("#009E73"), QtGui.QColor("#E69F00"), QtGui.QColor("#D55E00")
SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)


ID_ROLE = QtCore.Qt.ItemDataRole.UserRole + 2


class CardTableModel(QtGui.QStandardItemModel):
    """Rows live in C++ items, so painting the view calls no Python; an update rewrites
    the items with the source's signals blocked, then the proxy re-sorts once."""

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        for c, tip in enumerate(TIPS):
            self.horizontalHeaderItem(c).setToolTip(tip)
        self.table: CardTable | None = None

    def set_table(self, table: CardTable, output_tokens: int, plans: dict | None = None) -> None:
        self.table = table
        self.plans = plans or {}
        n = len(table.gpus)
        with QtCore.QSignalBlocker(self):
            if self.rowCount() != n:
                self.setRowCount(n)
                for r in range(n):
                    for c in range(len(COLUMNS)):
                        item = QtGui.QStandardItem()
                        item.setEditable(False)
                        if c >= 2:
                            item.setData(RIGHT, QtCore.Qt.ItemDataRole.TextAlignmentRole)
                        self.setItem(r, c, item)
            for r in range(n):
                text, sort, colour, tip, gid = self._row(table, r, output_tokens, self.plans.get(table.gpus[r].id))
                for c in range(len(COLUMNS)):
                    item = self.item(r, c)
                    item.setData(text[c], QtCore.Qt.ItemDataRole.DisplayRole)
                    item.setData(sort[c], SORT_ROLE)
                self.item(r, 1).setData(tip, QtCore.Qt.ItemDataRole.ToolTipRole)
                self.item(r, 0).setData(colour, QtCore.Qt.ItemDataRole.DecorationRole)
                self.item(r, 1).setData(gid, ID_ROLE)

    @staticmethod
    def _row(t: CardTable, r: int, output_tokens: int, plan=None) -> tuple:
        g = t.gpus[r]
        fits, n = bool(t.fits[r]), int(t.min_gpus[r])
        mp = int(t.max_prompt_tokens[r])
        ctx = None if mp < 0 else mp + output_tokens
        status = 0 if fits else 1 if n else 2
        tok_s = float(t.decode_tokens_per_s[r])
        verdict = t.verdict(r)
        if plan is not None and not fits:          # partial offload instead of more cards
            verdict = plan.describe()
            status = {"gpu": 0, "partial": 1, "cpu": 2, "none": 2}[plan.level]
            tok_s = plan.tokens_per_s if plan.level != "none" else float("nan")
        speed = 0.0 if tok_s != tok_s else tok_s  # NaN in a training table
        tok_text = "-" if tok_s != tok_s else f"{tok_s:,.1f}"
        sort = (status * 1e9 - speed, g.name, t.needed_bytes, float(t.budget_bytes[r]), float(t.headroom_bytes[r]),
                n or 10**6, -1 if ctx is None else ctx, int(t.max_batch[r]), speed)
        text = (verdict, g.name, f"{t.needed_bytes / GIB:,.1f} GiB", f"{t.budget_bytes[r] / GIB:,.1f} GiB",
                f"{t.headroom_bytes[r] / GIB:+,.1f} GiB", str(n) if n else "> 64", "-" if ctx is None else f"{ctx:,}",
                f"{int(t.max_batch[r]):,}", tok_text)
        tip = (f"{g.name}: {g.memory_mib:,.0f} MiB ({g.memory_mib_basis}), {g.memory_bandwidth_gb_s:,.0f} GB/s"
               + ("" if t.compute_known[r] else "; no FLOP/s figure: speed is bandwidth-only"))
        return text, sort, (FIT, SPLIT, NOFIT)[status], tip, g.id

    def gpu_id(self, row: int) -> str:
        return self.item(row, 1).data(ID_ROLE)


class FitFilter(QtCore.QSortFilterProxyModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.category = ""
        self.text = ""
        self.setSortRole(SORT_ROLE)

    def refresh(self) -> None:
        """Re-filter and re-sort after the source rewrote its items with signals blocked."""
        self.invalidate()

    def set_filter(self, category: str, text: str) -> None:
        self.category, self.text = category, text.strip().lower()
        self.invalidate()  # invalidateRowsFilter() does not re-filter under PySide6 6.11

    def filterAcceptsRow(self, row, parent) -> bool:
        t = self.sourceModel().table
        g = t.gpus[row]
        if self.category and g.category != self.category:
            return False
        return not self.text or self.text in g.name.lower() or self.text in g.vendor.lower() or self.text in g.id


class FitPanel(QtWidgets.QWidget):
    """Filter row + sortable table.  ``gpuChosen`` carries the id of a clicked row."""

    gpuChosen = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = CardTableModel(self)
        self.proxy = FitFilter(self)
        self.proxy.setSourceModel(self.model)
        self.view = QtWidgets.QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, QtCore.Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.setToolTip("Every card for this scenario; click a row to make it the primary card")
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((290, 240, 80, 80, 84, 48, 92, 76, 96)):
            self.view.setColumnWidth(col, width)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.category = QtWidgets.QComboBox()
        for label, data in (("All cards", ""), ("Data centre", "datacenter"), ("Workstation", "workstation"),
                            ("Consumer", "consumer"), ("Apple", "apple"), ("Custom", "custom")):
            self.category.addItem(label, data)
        self.category.setToolTip("Show one class of card")
        self.search = QtWidgets.QLineEdit()
        self.search.setPlaceholderText("Filter cards (name or vendor)…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Type part of a card's name or vendor")
        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Will it fit?"))
        top.addStretch(1)
        top.addWidget(self.category)
        top.addWidget(self.search)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.view)
        self.category.currentIndexChanged.connect(self._refilter)
        self.search.textChanged.connect(self._refilter)
        self.view.clicked.connect(self._clicked)
        self.view.activated.connect(self._clicked)

    def _refilter(self) -> None:
        self.proxy.set_filter(self.category.currentData(), self.search.text())

    def _clicked(self, index: QtCore.QModelIndex) -> None:
        src = self.proxy.mapToSource(index)
        if src.isValid():
            self.gpuChosen.emit(self.model.gpu_id(src.row()))

    def set_headers(self, training: bool) -> None:
        """Column titles for an inference or a fine-tuning table."""
        names = dict(zip(COLUMNS, COLUMNS, strict=True))
        if training:
            names.update({"Max context": "Max seq", "Decode tok/s": ""})
        for c, name in enumerate(COLUMNS):
            self.model.horizontalHeaderItem(c).setText(names[name])

    def set_table(self, table: CardTable, output_tokens: int, primary: str, plans: dict | None = None) -> None:
        self.model.set_table(table, output_tokens, plans)
        self.proxy.refresh()
        self.view.viewport().update()
        ids = [g.id for g in table.gpus]
        if primary in ids:
            src = self.model.index(ids.index(primary), 0)
            idx = self.proxy.mapFromSource(src)
            sel = self.view.selectionModel()
            with QtCore.QSignalBlocker(sel):
                sel.select(idx, QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect
                           | QtCore.QItemSelectionModel.SelectionFlag.Rows)
            if idx.isValid():
                self.view.scrollTo(idx, QtWidgets.QAbstractItemView.ScrollHint.EnsureVisible)

    def row_texts(self) -> list[tuple[str, str]]:
        """(card name, verdict) for every shown row, in display order (for tests and the report)."""
        out = []
        for r in range(self.proxy.rowCount()):
            out.append((self.proxy.index(r, 1).data(), self.proxy.index(r, 0).data()))
        return out

