"""The will-it-fit panel: every card as a row, sortable and filterable; choosing a row
makes it the primary card."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QT_TRANSLATE_NOOP

from ..core.cards import CardTable
from ..core.units import GIB
from .i18n import Retranslates, current_language, integer, num, signed, translate
from .wording import CATEGORIES, MEMORY_BASIS, context_cell, fit_verdict, plan_cell

# English column titles (translated where shown, context "FitTable"), and their tooltips
COLUMNS = ("", QT_TRANSLATE_NOOP("FitTable", "Card"), QT_TRANSLATE_NOOP("FitTable", "Needed"),
           QT_TRANSLATE_NOOP("FitTable", "Usable"), QT_TRANSLATE_NOOP("FitTable", "Headroom"),
           QT_TRANSLATE_NOOP("FitTable", "Cards"), QT_TRANSLATE_NOOP("FitTable", "Max context"),
           QT_TRANSLATE_NOOP("FitTable", "Max batch"), QT_TRANSLATE_NOOP("FitTable", "Decode tok/s"))
TRAINING_COLUMNS = {"Max context": QT_TRANSLATE_NOOP("FitTable", "Max seq"), "Decode tok/s": ""}
TIPS = (QT_TRANSLATE_NOOP("FitTable", "Fits on one card (green), on several (amber), or not within 64 cards (red)"),
        QT_TRANSLATE_NOOP("FitTable", "GPU model (memory as the driver reports it)"),
        QT_TRANSLATE_NOOP("FitTable", "Memory the scenario needs per card (GiB = 2^30 bytes; vLLM's start-up "
                                      "reserve depends on the card)"),
        QT_TRANSLATE_NOOP("FitTable", "Memory the engine may use per card"),
        QT_TRANSLATE_NOOP("FitTable", "Usable minus needed"),
        QT_TRANSLATE_NOOP("FitTable", "Fewest cards of this kind that fit"),
        QT_TRANSLATE_NOOP("FitTable", "Largest prompt + output that fits with this batch; \"(limit)\": memory "
                                      "allows more than the model's own context limit"),
        QT_TRANSLATE_NOOP("FitTable", "Most concurrent sequences that fit"),
        QT_TRANSLATE_NOOP("FitTable", "Expected decode speed of one sequence at this batch"))
FIT, SPLIT, NOFIT = QtGui.QColor("#009E73"), QtGui.QColor("#E69F00"), QtGui.QColor("#D55E00")
SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)


ID_ROLE = QtCore.Qt.ItemDataRole.UserRole + 2


class CardTableModel(QtGui.QStandardItemModel):
    """Rows live in C++ items, so painting the view calls no Python.  An update rewrites
    the items with the model's signals blocked and then reports one ``dataChanged`` for
    the whole table: the sorting proxy moves rows only when the order changed, and the
    view repaints its cells without laying itself out again (a reset or a re-sort of the
    proxy made the view lay out on a later turn of the event loop, and that repainted the
    window a second time)."""

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.table: CardTable | None = None
        self.plans: dict = {}
        self._headers: tuple | None = None
        self._shown: list[tuple | None] = []     # each row as last written
        self._tips: dict[tuple, str] = {}        # (card's shown facts, FLOP/s known, language) -> tip

    def set_headers(self, training: bool) -> None:
        """Column titles and tips for an inference or a fine-tuning table, in the current
        language; written only when either changes (each write repaints the header)."""
        key = (training, current_language())
        if key == self._headers:
            return
        self._headers = key
        for c, (name, tip) in enumerate(zip(COLUMNS, TIPS, strict=True)):
            shown = TRAINING_COLUMNS.get(name, name) if training else name
            item = self.horizontalHeaderItem(c)
            item.setText(translate("FitTable", shown) if shown else "")
            item.setToolTip(translate("FitTable", tip))

    def set_table(self, table: CardTable, output_tokens: int, plans: dict | None = None,
                  limit: int | None = None) -> None:
        """``limit``: the model's context limit (the largest context shown is capped there)."""
        self.table = table
        self.plans = plans or {}
        n = len(table.gpus)
        resized = self.rowCount() != n
        if resized:
            self.beginResetModel()
        with QtCore.QSignalBlocker(self):
            if resized:
                self.setRowCount(n)
                for r in range(n):
                    for c in range(len(COLUMNS)):
                        item = QtGui.QStandardItem()
                        item.setEditable(False)
                        if c >= 2:
                            item.setData(RIGHT, QtCore.Qt.ItemDataRole.TextAlignmentRole)
                        self.setItem(r, c, item)
                self._shown = [None] * n
            changed = False
            for r, row in enumerate(self._rows(table, output_tokens, self.plans, limit)):
                old = self._shown[r]
                if row == old:            # only what changed is written (a drag changes a few columns)
                    continue
                changed = True
                self._shown[r] = row
                text, sort, colour, tip, gid = row
                for c in range(len(COLUMNS)):
                    if old is None or old[0][c] != text[c] or old[1][c] != sort[c]:
                        item = self.item(r, c)
                        item.setData(text[c], QtCore.Qt.ItemDataRole.DisplayRole)
                        item.setData(sort[c], SORT_ROLE)
                if old is None or old[2:] != row[2:]:
                    self.item(r, 1).setData(tip, QtCore.Qt.ItemDataRole.ToolTipRole)
                    self.item(r, 0).setData(colour, QtCore.Qt.ItemDataRole.DecorationRole)
                    self.item(r, 1).setData(gid, ID_ROLE)
        if resized:
            self.endResetModel()
        elif changed:                     # (nothing to repaint when only the primary card moved)
            self.dataChanged.emit(self.index(0, 0), self.index(n - 1, len(COLUMNS) - 1))

    def _rows(self, t: CardTable, output_tokens: int, plans: dict, limit: int | None) -> list[tuple]:
        """(texts, sort keys, colour, tooltip, id) of every row.  The table's arrays are
        turned into Python lists once (indexing numpy arrays row by row cost more than the
        formatting), and the per-card tooltip is kept per language."""
        fits, min_gpus = t.fits.tolist(), t.min_gpus.tolist()
        max_prompt, max_batch = t.max_prompt_tokens.tolist(), t.max_batch.tolist()
        budget, headroom = t.budget_bytes.tolist(), t.headroom_bytes.tolist()
        decode, known = t.decode_tokens_per_s.tolist(), t.compute_known.tolist()
        needed = t.needed_each.tolist()
        texts: dict[float, str] = {}    # (one figure for most tables, or a few: vLLM's batch differs by card)
        language = current_language()
        rows = []
        for r, g in enumerate(t.gpus):
            plan = plans.get(g.id)
            n = min_gpus[r]
            ctx = None if max_prompt[r] < 0 else max_prompt[r] + output_tokens
            status = 0 if fits[r] else 1 if n else 2
            tok_s = decode[r]
            verdict = fit_verdict(fits[r], n)
            if plan is not None and not fits[r]:          # partial offload instead of more cards
                verdict = plan_cell(plan)
                status = {"gpu": 0, "partial": 1, "cpu": 2, "none": 2}[plan.level]
                tok_s = plan.tokens_per_s if plan.level != "none" else float("nan")
            speed = 0.0 if tok_s != tok_s else tok_s  # NaN in a training table
            tok_text = "-" if tok_s != tok_s else num(tok_s, 1)
            need = needed[r]
            needed_text = texts.get(need)
            if needed_text is None:
                needed_text = texts[need] = f"{num(need / GIB, 1)} GiB"
            sort = (status * 1e9 - speed, g.name, need, budget[r], headroom[r],
                    n or 10**6, -1 if ctx is None else ctx, max_batch[r], speed)
            text = (verdict, g.name, needed_text, f"{num(budget[r] / GIB, 1)} GiB",
                    f"{signed(headroom[r] / GIB, 1)} GiB", str(n) if n else "> 64",
                    context_cell(ctx, limit, short=True), integer(max_batch[r]), tok_text)
            key = (g.name, g.memory_mib, g.memory_mib_basis, g.memory_bandwidth_gb_s, known[r], language)
            tip = self._tips.get(key)
            if tip is None:
                basis = translate("Formats", MEMORY_BASIS.get(g.memory_mib_basis, g.memory_mib_basis))
                tip = f"{g.name}: {num(g.memory_mib)} MiB ({basis}), {num(g.memory_bandwidth_gb_s)} GB/s"
                if not known[r]:
                    tip += translate("FitTable", "; no FLOP/s figure: speed is bandwidth-only")
                self._tips[key] = tip
            rows.append((text, sort, (FIT, SPLIT, NOFIT)[status], tip, g.id))
        return rows

    def verdicts(self) -> set[str]:
        """The verdict texts the rows show."""
        return {row[0][0] for row in self._shown if row is not None}

    def gpu_id(self, row: int) -> str:
        return self.item(row, 1).data(ID_ROLE)


class FitFilter(QtCore.QSortFilterProxyModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.category = ""
        self.text = ""
        self.setSortRole(SORT_ROLE)

    def set_filter(self, category: str, text: str) -> None:
        self.category, self.text = category, text.strip().lower()
        self.invalidate()  # invalidateRowsFilter() does not re-filter under PySide6 6.11

    def filterAcceptsRow(self, row, parent) -> bool:
        t = self.sourceModel().table
        g = t.gpus[row]
        if self.category and g.category != self.category:
            return False
        return not self.text or self.text in g.name.lower() or self.text in g.vendor.lower() or self.text in g.id


class FitPanel(Retranslates, QtWidgets.QWidget):
    """Filter row + sortable table.  ``gpuChosen`` carries the id of a clicked row.

    The verdict column is as wide as its longest verdict (``fits`` needs little, a partial
    offload's layer count much more); the card column takes the rest of the width, up to
    its longest name (:meth:`_fit_card_column`)."""

    gpuChosen = QtCore.Signal(str)
    VERDICT_MIN, VERDICT_MAX, CARD_MIN = 110, 320, 120      # pixels

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
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((self.VERDICT_MIN, 240, 80, 80, 84, 48, 112, 76, 96)):
            self.view.setColumnWidth(col, width)
        header.setStretchLastSection(False)
        # a name too long for its cell loses its middle ("NVIDIA H100 80…HBM3 (SXM5)"): the end
        # tells cards of one family apart, the start their vendor
        self.view.setTextElideMode(QtCore.Qt.TextElideMode.ElideMiddle)
        self.view.setWordWrap(False)     # (a wrapped text is elided per line: "Apple M3 …40-core …")
        self._verdict_width = self.VERDICT_MIN
        self._names: frozenset = frozenset()
        self._name_width = 240                  # the longest name's, once a table is shown
        self.view.viewport().installEventFilter(self)
        self.category = QtWidgets.QComboBox()
        for data in ("", "datacenter", "workstation", "consumer", "apple", "custom"):
            self.category.addItem("", data)
        self.search = QtWidgets.QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.title = QtWidgets.QLabel()
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.title)
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
        self.retranslate()

    def retranslate(self) -> None:
        """The panel's own texts (the rows and titles follow with the next table)."""
        self.title.setText(self.tr("Will it fit?"))
        self.view.setToolTip(self.tr("Every card for this scenario; click a row to make it the primary card"))
        for i in range(self.category.count()):
            data = self.category.itemData(i)
            self.category.setItemText(i, translate("Formats", CATEGORIES[data]) if data else self.tr("All cards"))
        self.category.setToolTip(self.tr("Show one class of card"))
        self.search.setPlaceholderText(self.tr("Filter cards (name or vendor)…"))
        self.search.setToolTip(self.tr("Type part of a card's name or vendor"))

    def _refilter(self) -> None:
        self.proxy.set_filter(self.category.currentData(), self.search.text())

    def _clicked(self, index: QtCore.QModelIndex) -> None:
        src = self.proxy.mapToSource(index)
        if src.isValid():
            self.gpuChosen.emit(self.model.gpu_id(src.row()))

    def set_headers(self, training: bool) -> None:
        """Column titles for an inference or a fine-tuning table; a fine-tuning table has no
        decode speed, and hides that column (it held a dash on every row)."""
        self.model.set_headers(training)
        speed = len(COLUMNS) - 1
        if self.view.isColumnHidden(speed) != training:
            self.view.setColumnHidden(speed, training)
            self._fit_card_column()

    def set_table(self, table: CardTable, output_tokens: int, primary: str, plans: dict | None = None,
                  limit: int | None = None) -> None:
        self.model.set_table(table, output_tokens, plans, limit)
        self._fit_verdicts()
        self._fit_names(table)
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

    def _fit_verdicts(self) -> None:
        """Size the verdict column to the verdicts shown: the width of the short ones
        ("fits", "needs 64 cards", "does not fit") unless a longer one is shown (a partial
        offload), then that one's.  A change between short verdicts resizes nothing (a
        column resize repaints the table a second time)."""
        verdicts = self.model.verdicts()
        if not verdicts:
            return
        fm = self.view.fontMetrics()
        short = max(fm.horizontalAdvance(v) for v in (fit_verdict(True, None), fit_verdict(False, 64),
                                                        fit_verdict(False, None)))
        widest = max(short, *(fm.horizontalAdvance(v) for v in verdicts))
        icon = self.view.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_SmallIconSize)
        width = min(max(widest + icon + 24, self.VERDICT_MIN), self.VERDICT_MAX)
        if width != self._verdict_width:
            self._verdict_width = width
            self.view.setColumnWidth(0, width)
            self._fit_card_column()

    def _fit_names(self, table: CardTable) -> None:
        names = frozenset(g.name for g in table.gpus)
        if names != self._names:
            self._names = names
            fm = self.view.fontMetrics()
            self._name_width = max((fm.horizontalAdvance(n) for n in names), default=0) + 16
            self._fit_card_column()

    def _fit_card_column(self) -> None:
        """The card column takes the width the other columns leave, up to its longest name:
        on a narrow window names lose their middle, on a wide one the numbers stay next to
        the names and the blank goes to the right of the table."""
        header = self.view.horizontalHeader()
        others = sum(header.sectionSize(c) for c in range(header.count()) if c != 1 and not header.isSectionHidden(c))
        width = max(self.CARD_MIN, min(self._name_width, self.view.viewport().width() - others))
        if header.sectionSize(1) != width:
            self.view.setColumnWidth(1, width)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.view.viewport() and event.type() == QtCore.QEvent.Type.Resize:
            self._fit_card_column()
        return False

    def row_texts(self) -> list[tuple[str, str]]:
        """(card name, verdict) for every shown row, in display order (for tests and the report)."""
        out = []
        for r in range(self.proxy.rowCount()):
            out.append((self.proxy.index(r, 1).data(), self.proxy.index(r, 0).data()))
        return out

