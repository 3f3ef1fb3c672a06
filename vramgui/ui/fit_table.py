"""The will-it-fit panel: every card as a row, sortable and filterable; choosing a row
makes it the primary card."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QT_TRANSLATE_NOOP

from ..core.cards import CardTable
from ..core.fit import short_of_margin
from ..core.units import GIB
from .i18n import Retranslates, current_language, integer, num, signed, translate
from .wording import (
    CATEGORIES,
    MEMORY_BASIS,
    card_target,
    context_cell,
    fit_margin_tip,
    fit_verdict,
    fitted_text,
    no_gpu_backend,
    plan_cell,
    ram_context_cell,
    ram_count_cell,
)

# English column titles (translated where shown, context "FitTable"), and their tooltips
COLUMNS = ("", QT_TRANSLATE_NOOP("FitTable", "Card"), QT_TRANSLATE_NOOP("FitTable", "Needed"),
           QT_TRANSLATE_NOOP("FitTable", "Usable"), QT_TRANSLATE_NOOP("FitTable", "Headroom"),
           QT_TRANSLATE_NOOP("FitTable", "Cards"), QT_TRANSLATE_NOOP("FitTable", "Max context"),
           QT_TRANSLATE_NOOP("FitTable", "Max batch"), QT_TRANSLATE_NOOP("FitTable", "Decode tok/s"))
TRAINING_COLUMNS = {"Max context": QT_TRANSLATE_NOOP("FitTable", "Max seq"), "Decode tok/s": ""}
TIPS = (QT_TRANSLATE_NOOP("FitTable", "Fits on one card (green), on several (amber), or not within 64 cards (red); "
                                      "grey: the engine does not run on that GPU"),
        QT_TRANSLATE_NOOP("FitTable", "GPU model (memory as the driver reports it)"),
        QT_TRANSLATE_NOOP("FitTable", "Memory the scenario needs per card (GiB = 2^30 bytes; vLLM's start-up "
                                      "reserve depends on the card)"),
        QT_TRANSLATE_NOOP("FitTable", "Memory the engine may use per card"),
        QT_TRANSLATE_NOOP("FitTable", "Usable minus needed"),
        QT_TRANSLATE_NOOP("FitTable", "Fewest cards of this kind that fit"),
        QT_TRANSLATE_NOOP("FitTable", "Largest prompt + output that fits with this batch; \"(limit)\": memory "
                                      "allows more than the model's own context limit; \"(RAM)\": on a row "
                                      "offloaded to the System RAM, with the RAM (worked out once you pause)"),
        QT_TRANSLATE_NOOP("FitTable", "Most concurrent sequences of this prompt + output that fit; \"(RAM)\": on a "
                                      "row offloaded to the System RAM, with the RAM (worked out once you pause)"),
        QT_TRANSLATE_NOOP("FitTable", "Expected decode speed of one sequence at this batch"))
FIT, SPLIT, NOFIT = QtGui.QColor("#009E73"), QtGui.QColor("#E69F00"), QtGui.QColor("#D55E00")
ELSEWHERE = QtGui.QColor("#999999")     # the engine does not run on the card's GPU (vLLM on an Apple chip)
SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1     # a cell's sort key (the machine tab's table sorts by it)
RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)

_DISPLAY, _ALIGN = QtCore.Qt.ItemDataRole.DisplayRole, QtCore.Qt.ItemDataRole.TextAlignmentRole
_DECORATION, _TOOLTIP = QtCore.Qt.ItemDataRole.DecorationRole, QtCore.Qt.ItemDataRole.ToolTipRole


class CardTableModel(QtCore.QAbstractTableModel):
    """Every card as a row, in the order shown: the model sorts and filters its rows itself.

    An update computes each row's figures and keys in Python, puts the rows in order and
    reports one ``dataChanged`` for the cells; the view then paints the rows it shows (a
    screenful), whose texts are formatted then (:meth:`cell`).  A row whose card moved in the
    order is simply a row whose data changed, so nothing is laid out again.  (Measured: writing
    every cell into C++ items and letting a sorting proxy re-sort them, which told the view its
    layout changed on most updates, took about a third of a change's time.)"""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table: CardTable | None = None
        self._headers: tuple | None = None
        self._titles: list[tuple[str, str]] = [("", "")] * len(COLUMNS)   # (title, tip) per column
        self._rows: list[tuple] = []             # (figures, sort keys, colour, tooltip, id) per card
        self._order: list[int] = []              # the rows shown, as indices into _rows
        self._sort = (0, QtCore.Qt.SortOrder.AscendingOrder)
        self._filter = ("", "")                  # (category, lower-case text)
        self._tips: tuple = (None, [], [])       # (cards, FLOP/s known, language), the cards' tips, the cards
        self._verdict_texts: tuple[str | None, dict] = (None, {})   # (language, (fits, cards) -> verdict)
        self._cached: dict[int, tuple] = {}      # texts of the rows formatted since the update
        self._inputs: tuple | None = None         # what the rows were made from besides the table

    # --- Qt's model interface -------------------------------------------------------------
    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802, B008 (Qt's names)
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        r = self._order[index.row()]
        row = self._rows[r]
        c = index.column()
        if role == _DISPLAY:
            return self._cells(r)[c]
        if role == _ALIGN:
            return RIGHT if c >= 2 else None
        if role == _DECORATION:
            return row[2] if c == 0 else None
        if role == _TOOLTIP:
            return row[3] if c == 1 else row[5] if c == 0 else None
        return None

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != QtCore.Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == _DISPLAY:
            return self._titles[section][0]
        if role == _TOOLTIP:
            return self._titles[section][1]
        return None

    def sort(self, column: int, order=QtCore.Qt.SortOrder.AscendingOrder) -> None:
        """A click on a column title: rows ordered by that column's keys (ties keep the
        catalog's order)."""
        self._sort = (column, order)
        self._reorder()

    # --- what the panel calls ---------------------------------------------------------------
    def set_filter(self, category: str, text: str) -> None:
        self._filter = (category, text.strip().lower())
        self._reorder()

    def _reorder(self) -> None:
        self.layoutAboutToBeChanged.emit()
        self._order = self._ordered(self.table, self._rows)
        self.layoutChanged.emit()

    def _ordered(self, table: CardTable | None, rows: list[tuple]) -> list[int]:
        """Indices of the rows that pass the filter, sorted by the sort column's keys."""
        if table is None:
            return []
        category, text = self._filter
        keep = [r for r, g in enumerate(table.gpus)
                if (not category or g.category == category)
                and (not text or text in g.name.lower() or text in g.vendor.lower() or text in g.id)]
        column, order = self._sort
        if 0 <= column < len(COLUMNS):
            keep.sort(key=lambda r: rows[r][1][column], reverse=order == QtCore.Qt.SortOrder.DescendingOrder)
        return keep

    def set_headers(self, training: bool) -> None:
        """Column titles and tips for an inference or a fine-tuning table, in the current
        language; reported only when either changes (each report repaints the header)."""
        key = (training, current_language())
        if key == self._headers:
            return
        self._headers = key
        titles = []
        for name, tip in zip(COLUMNS, TIPS, strict=True):
            shown = TRAINING_COLUMNS.get(name, name) if training else name
            titles.append((translate("FitTable", shown) if shown else "", translate("FitTable", tip)))
        self._titles = titles
        self.headerDataChanged.emit(QtCore.Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)

    def set_table(self, table: CardTable, output_tokens: int, plans: dict | None = None,
                  limit: int | None = None, fit_margin: float = 0.0, ram_prompts: dict | None = None,
                  ram_batches: dict | None = None) -> bool:
        """``limit``: the model's context limit (the largest context shown is capped there); ``fit_margin``: what
        the engine's automatic placement keeps free (core.fit.auto_fit_headroom: a card that fits with less says
        so in its verdict's tooltip); ``ram_prompts`` and ``ram_batches``: the largest prompt and the most sequences
        each offloaded card (by id) holds with the System RAM, where worked out (the others show "…").  False when
        the table and its inputs are the ones shown."""
        inputs = (output_tokens, plans or {}, limit, current_language(), fit_margin, ram_prompts or {},
                  ram_batches or {})
        if table is self.table and inputs == self._inputs:
            return False               # (only the primary card changed: the rows stay, the panel moves its highlight)
        self._inputs = inputs
        rows = self._figures(table, output_tokens, plans or {}, limit, fit_margin, ram_prompts or {},
                             ram_batches or {})
        order = self._ordered(table, rows)
        old = [self._rows[r] for r in self._order]
        # other cards (the catalog changed), or another number of them shown (a card renamed under a filter)
        reset = self.table is None or [g.id for g in table.gpus] != [g.id for g in self.table.gpus] or \
            len(order) != len(old)
        if reset:
            self.beginResetModel()
        self.table, self._rows, self._order, self._cached = table, rows, order, {}
        if reset:
            self.endResetModel()
        elif any(rows[r] != o for r, o in zip(order, old, strict=True)):
            # (when only the primary card moved, the selection repaints its rows: _select_primary)
            self.dataChanged.emit(self.index(0, 0), self.index(len(order) - 1, len(COLUMNS) - 1))
        return True

    def _figures(self, t: CardTable, output_tokens: int, plans: dict, limit: int | None,
                 fit_margin: float = 0.0, ram_prompts: dict | None = None,
                 ram_batches: dict | None = None) -> list[tuple]:
        """(figures, sort keys, colour, tooltip, id, the verdict's tooltip) of every row.  The figures are formatted
        into texts only for the rows the view asks for (:meth:`_cells`: a screenful, where
        formatting all 82 rows took as long as the view's repaint).  The table's arrays are
        turned into Python lists once (indexing numpy arrays row by row cost more), and the
        per-card tooltip is kept per language."""
        fits, min_gpus = t.fits.tolist(), t.min_gpus.tolist()
        max_prompt, max_batch = t.max_prompt_tokens.tolist(), t.max_batch.tolist()
        budget, headroom = t.budget_bytes.tolist(), t.headroom_bytes.tolist()
        decode, known = t.decode_tokens_per_s.tolist(), t.compute_known.tolist()
        needed, runs = t.needed_each.tolist(), t.engine_runs.tolist()
        listed = [True] * len(t.gpus) if t.card_listed is None else t.card_listed.tolist()
        stored = [True] * len(t.gpus) if t.as_stored is None else t.as_stored.tolist()
        language = current_language()
        tips = self._card_tips(t.gpus, known, language)
        if self._verdict_texts[0] != language:
            self._verdict_texts = (language, {})
        verdicts = self._verdict_texts[1]              # (fits, fewest cards) -> its words
        rows = []
        for r, g in enumerate(t.gpus):
            plan = plans.get(g.id)
            n = min_gpus[r]
            ctx = None if max_prompt[r] < 0 else max_prompt[r] + output_tokens
            status = 0 if fits[r] else 1 if n else 2
            tok_s = decode[r]
            verdict = verdicts.get((fits[r], n))
            if verdict is None:
                verdict = verdicts[fits[r], n] = fit_verdict(fits[r], n)
            ram, most_seqs = False, max_batch[r]
            if plan is not None and (not fits[r] or plan.forced):   # partial offload instead of more cards
                #                                         (or kept in RAM all the same: OffloadPlan.forced)
                verdict = plan_cell(plan)
                status = {"gpu": 0, "partial": 1, "cpu": 2, "none": 2}[plan.level]
                tok_s = plan.tokens_per_s if plan.level != "none" else float("nan")
                if ram_prompts is not None:               # (with the RAM: its own largest context and batch, when
                    found = ram_prompts.get(g.id, ...)    # known)
                    ram, ctx = True, ... if found is ... else None if found < 0 else found + output_tokens
                    most_seqs = (ram_batches or {}).get(g.id, ...)
            tip = tips[r]
            if not listed[r]:    # (core.report.card_note: the engine's builds, or FlashAttention-2, do not list it)
                tip += translate("FitTable", "; not among the cards the chosen engine lists: it may not run here "
                                             "(choose the card for why)")
            if not stored[r]:    # (core.report.format_note: the engine converts or dequantizes the weights there)
                tip += translate("FitTable", "; the chosen engine does not load these weights as stored here: the "
                                             "card holds other bytes than these (choose the card for why)")
            if not runs[r]:      # the engine does not run on this GPU: its memory figures only, last in the order
                verdict, status, tok_s = no_gpu_backend(), 3, float("nan")
                tip += translate("FitTable", "; the chosen engine does not run on this GPU: memory figures only")
            speed = 0.0 if tok_s != tok_s else tok_s  # NaN in a training table
            sort = (status * 1e9 - speed, g.name, needed[r], budget[r], headroom[r],
                    n or 10**6, -1 if ctx is None or ctx is ... else ctx, -1 if most_seqs is ... else most_seqs,
                    speed)
            figures = (verdict, g.name, needed[r], budget[r], headroom[r], n, ctx, limit, most_seqs, tok_s, language,
                       t.most_cards, ram)
            # (fits with less to spare than llama-server's --fit keeps)
            short = fit_margin_tip(headroom[r], fit_margin) if fits[r] and short_of_margin(headroom[r], fit_margin) \
                else None
            rows.append((figures, sort, (FIT, SPLIT, NOFIT, ELSEWHERE)[status], tip, g.id, short))
        return rows

    def _card_tips(self, gpus: list, known: list[bool], language: str) -> list[str]:
        """Each card's tooltip (its memory, how that figure was read, its bandwidth, and whether
        its speed is bandwidth-only), kept while the cards, which of them have a FLOP/s figure
        for the weight format, and the language stay the same."""
        key = (tuple(id(g) for g in gpus), tuple(known), language)
        if self._tips[0] != key:
            tips = []
            for g, k in zip(gpus, known, strict=True):
                basis = translate("Formats", MEMORY_BASIS.get(g.memory_mib_basis, g.memory_mib_basis))
                tip = f"{g.name}: {num(g.memory_mib)} MiB ({basis}), {num(g.memory_bandwidth_gb_s)} GB/s"
                if g.arch:
                    tip += f", {card_target(g)}"
                if not k:
                    tip += translate("FitTable", "; no FLOP/s figure: speed is bandwidth-only")
                tips.append(tip)
            self._tips = (key, tips, list(gpus))        # (the cards kept with their ids: no id is reused)
        return self._tips[1]

    def _cells(self, r: int) -> tuple[str, ...]:
        """The texts of row ``r`` (an index into the rows), formatted once per update."""
        texts = self._cached.get(r)
        if texts is None:
            verdict, name, need, budget, headroom, n, ctx, limit, max_batch, tok_s, _, most, ram = self._rows[r][0]
            texts = self._cached[r] = (   # (no count helps where one card was all there was to try: "-")
                verdict, name, f"{num(need / GIB, 1)} GiB", f"{num(budget / GIB, 1)} GiB",
                f"{signed(headroom / GIB, 1)} GiB", str(n) if n else f"> {most}" if most > 1 else "-",
                ram_context_cell(ctx, limit) if ram else context_cell(ctx, limit, short=True),
                ram_count_cell(max_batch) if ram else integer(max_batch), "-" if tok_s != tok_s else num(tok_s, 1))
        return texts

    def row_cells(self, row: int) -> tuple[str, ...]:
        """The texts of a shown row, one per column."""
        return self._cells(self._order[row])

    def widest_numbers(self) -> tuple[str, str]:
        """The longest texts of the largest-context and the most-sequences columns: of each, the cells of the largest
        figure with the System RAM ("(RAM)" after it) and without, formatted (not every row's: half a millisecond)."""
        best: dict[tuple[int, bool], tuple] = {}
        for r in self._order:
            row = self._rows[r]
            ram, keys = row[0][12], row[1]
            for col in (6, 7):              # (the sort keys' context and sequences: -1 where none)
                if keys[col] > best.get((col, ram), (-2,))[0]:
                    best[col, ram] = (keys[col], r)
        return tuple(max((self._cells(r)[col] for (c, _), (_, r) in best.items() if c == col), key=len, default="")
                     for col in (6, 7))

    def export_rows(self) -> tuple[list[str], list[list]]:
        """(columns, rows) of the rows shown, in their order, with the figures unformatted (bytes a card, tokens,
        sequences, tokens/s; the largest context as memory allows it, the model's own limit beside it; blank where
        the cell shows none, or a row offloaded to the RAM has not had its largest context and batch worked out
        yet), for File > Export card table as CSV."""
        training = bool(self._headers and self._headers[0])
        columns = ["gpu", "card", "verdict", "needed_bytes", "usable_bytes", "headroom_bytes", "fewest_cards",
                   "max_seq_tokens" if training else "max_context_tokens", "model_context_limit", "max_batch",
                   *([] if training else ["decode_tokens_per_second"]), "with_system_ram"]
        rows = []
        for r in self._order:
            (verdict, name, need, budget, headroom, n, ctx, limit, most, tok_s, _, _, ram), gpu = \
                self._rows[r][0], self._rows[r][4]
            rows.append([gpu, name, verdict, need, budget, headroom, n or "", "" if ctx is None or ctx is ... else ctx,
                         "" if limit is None else limit, "" if most is ... else most,
                         *([] if training else ["" if tok_s != tok_s else tok_s]), ram])
        return columns, rows

    def colour(self, row: int) -> QtGui.QColor:
        """The verdict colour of a shown row."""
        return self._rows[self._order[row]][2]

    def card_verdicts(self, ids=None) -> dict:
        """Every card's row as the card picker's list gives it (controls.VerdictCombo, which names its entries'
        ``ids``): by card id (bytes needed a card, usable, the verdict, its colour)."""
        return {row[4]: (row[0][2], row[0][3], row[0][0], row[2]) for row in self._rows}

    def verdicts(self) -> set[str]:
        """The verdict texts the rows show."""
        return {self._rows[r][0][0] for r in self._order}

    def gpu_id(self, row: int) -> str:
        """The card of a shown row."""
        return self._rows[self._order[row]][4]

    def row_of(self, gpu_id: str) -> int | None:
        """The shown row of a card (None when filtered out)."""
        for i, r in enumerate(self._order):
            if self._rows[r][4] == gpu_id:
                return i
        return None


class CardTableView(QtWidgets.QTableView):
    """The table view, painting its rows itself straight from the model: the row's
    background (alternating, or the selection's), the verdict's colour swatch, the texts
    (numbers right-aligned, a name too long for its cell elided in the middle) and the grid,
    as Qt's view draws them (the screenshots are the same to the pixel, but for the selected
    row's swatch: it keeps its verdict colour where Qt tinted it with the selection's).

    Qt's view painted each cell through its item delegate: seven calls into the model a
    cell and a QTextLayout per text (2.3 ms for a screenful of 10 rows, 9.3 ms for the 45 rows
    of a 1440-pixel-high window, in a standalone view); here one loop draws the visible rows
    (0.5 and 2.2 ms), each text laid out once and kept as a QStaticText (the names, and the
    numbers repeated down a column, are drawn again without a layout: 2.6 us a text instead
    of 4.8).  Everything else (scrolling, selection, the header, tooltips, keys) is Qt's."""

    MARGIN = 3       # pixels left and right of a text (Qt's: the focus frame's margin + 1)
    SWATCH = 16      # the verdict colour's square (Qt's small icon size)

    def __init__(self, model: CardTableModel, parent=None):
        super().__init__(parent)
        self.setModel(model)
        self._texts: dict[tuple, tuple] = {}     # (text, room, font) -> its laid-out, elided text and its width
        self._fill_under_bar()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QtCore.QEvent.Type.StyleChange:
            self._fill_under_bar()
        super().changeEvent(event)

    def _fill_under_bar(self) -> None:
        """Under Fusion (Linux, and the dark theme everywhere) the scroll bar's container fills its
        own background with the window's colour, which is what shows through the bar's gaps: a
        scroll (the primary card's row kept in sight when a change re-sorts the rows, about every
        other batch edit) then no longer has Qt paint the window and six containers down to the
        table under the bar.  Native styles may draw the frame's inside in another colour, and
        keep Qt's way."""
        fusion = self.style().name().lower() == "fusion"
        container = self.verticalScrollBar().parentWidget()
        if container is not None and container.autoFillBackground() != fusion:
            container.setAutoFillBackground(fusion)

    def _columns(self) -> tuple[list, list]:
        """The shown columns, (column, left edge, width) each, and their cells' texts' places:
        (column, left edge of the text, room for it, right-aligned); the verdict's text starts
        after its colour swatch."""
        header = self.horizontalHeader()
        columns = [(c, header.sectionViewportPosition(c), header.sectionSize(c))
                   for c in range(header.count()) if not header.isSectionHidden(c)]
        line = 1 if self.showGrid() else 0        # a cell leaves its last row and column of pixels to the grid
        cells = []
        for c, x, w in columns:
            x0, x1 = x + self.MARGIN, x + w - line - 1 - self.MARGIN
            if c == 0:
                x0 += self.SWATCH + 2 * self.MARGIN
            cells.append((c, x0, x1 - x0 + 1, c >= 2))
        return columns, cells

    def shown_text(self, row: int, column: int) -> str:
        """The text a cell shows at the column's width now (a card's name maybe shortened)."""
        room = next(room for c, _, room, _ in self._columns()[1] if c == column)
        return fitted_text(self.model().row_cells(row)[column], room, self.fontMetrics(), column == 1)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        model = self.model()
        n = model.rowCount()
        vp = self.viewport()
        if n == 0:
            return
        first = max(self.rowAt(event.rect().top()), 0)
        last = self.rowAt(event.rect().bottom())
        last = n - 1 if last < 0 else last
        columns, cells = self._columns()
        selected = {i.row() for i in self.selectionModel().selectedRows()}
        pal = self.palette()
        group = QtGui.QPalette.ColorGroup.Active if self.isActiveWindow() else QtGui.QPalette.ColorGroup.Inactive
        if not self.isEnabled():
            group = QtGui.QPalette.ColorGroup.Disabled
        role = QtGui.QPalette.ColorRole
        fills = (pal.brush(group, role.Base), pal.brush(group, role.AlternateBase), pal.brush(group, role.Highlight))
        inks = (pal.color(group, role.Text), pal.color(group, role.HighlightedText))
        opt = QtWidgets.QStyleOptionViewItem()
        opt.initFrom(self)
        grid = QtGui.QColor.fromRgba(self.style().styleHint(QtWidgets.QStyle.StyleHint.SH_Table_GridLineColor,
                                                            opt, self) & 0xFFFFFFFF)
        fm = self.fontMetrics()
        font = self.font()
        font_key = font.key()
        tall = fm.height()                         # a line of text, centred as Qt's delegate centres it
        right = (columns[-1][1] + columns[-1][2]) if columns else 0
        line = 1 if self.showGrid() else 0        # a cell leaves its last row and column of pixels to the grid
        swatch_x = columns[0][1] + self.MARGIN if columns and columns[0][0] == 0 else None
        texts = self._texts
        point = QtCore.QPointF
        p = QtGui.QPainter(vp)
        for r in range(first, last + 1):
            y = self.rowViewportPosition(r)
            h = self.rowHeight(r) - line
            sel = r in selected
            p.fillRect(QtCore.QRect(0, y, right, h), fills[2] if sel else fills[r % 2])
            p.setPen(inks[sel])
            if swatch_x is not None:
                p.fillRect(QtCore.QRect(swatch_x, y + (h - self.SWATCH) // 2, self.SWATCH, self.SWATCH),
                           model.colour(r))
            row = model.row_cells(r)
            top = y + (h - tall) // 2
            for c, x0, room, right_aligned in cells:
                key = (row[c], room, font_key)
                shown = texts.get(key)
                if shown is None:
                    if len(texts) > 4096:
                        texts.clear()
                    static = QtGui.QStaticText(fitted_text(row[c], room, fm, c == 1))
                    static.setTextFormat(QtCore.Qt.TextFormat.PlainText)
                    static.prepare(QtGui.QTransform(), font)
                    shown = texts[key] = (static, static.size().width())
                # (placed as drawText places a line in a rectangle: right-aligned numbers end at its right edge)
                p.drawStaticText(point(x0 + room - shown[1] if right_aligned else x0, top), shown[0])
        current = self.currentIndex()
        if self.hasFocus() and current.isValid() and first <= current.row() <= last:   # the keyboard's cell
            rect = self.visualRect(current)           # (the text's part of the cell, as Qt frames it)
            if current.column() == 0:
                rect.setLeft(rect.left() + self.SWATCH + 2 * self.MARGIN)
            focus = QtWidgets.QStyleOptionFocusRect()
            focus.initFrom(self)
            focus.rect = rect
            flag = QtWidgets.QStyle.StateFlag
            focus.state |= flag.State_HasFocus | flag.State_KeyboardFocusChange
            focus.backgroundColor = fills[2].color() if current.row() in selected else fills[current.row() % 2].color()
            self.style().drawPrimitive(QtWidgets.QStyle.PrimitiveElement.PE_FrameFocusRect, focus, p, self)
        if self.showGrid():
            p.setPen(grid)
            bottom = self.rowViewportPosition(last) + self.rowHeight(last) - 1
            for r in range(first, last + 1):
                y = self.rowViewportPosition(r) + self.rowHeight(r) - 1
                p.drawLine(0, y, right - 1, y)
            for _, x, w in columns:
                p.drawLine(x + w - 1, self.rowViewportPosition(first), x + w - 1, bottom)
        p.end()


class FitPanel(Retranslates, QtWidgets.QWidget):
    """Filter row + sortable table.  ``gpuChosen`` carries the id of a clicked row.

    The verdict column is as wide as its longest verdict (``fits`` needs little, a partial
    offload's layer count much more); the card column takes the rest of the width, up to
    its longest name (:meth:`_fit_card_column`)."""

    gpuChosen = QtCore.Signal(str)
    # pixels; the card column gives way down to 96 so that every column shows at the window's smallest
    # width (at 120 the columns overran a 1,175 px window by ~23 px: a sideways scroll bar)
    VERDICT_MIN, VERDICT_MAX, CARD_MIN = 110, 320, 96
    # the largest context's and the most sequences' columns, wider where a cell needs it ("1,047 (RAM)", "10,485,760
    # (limit)": cut to "1,047 (R…" at 76)
    NUMBERS_MIN = (112, 76)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = CardTableModel(self)
        self.view = CardTableView(self.model)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, QtCore.Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((self.VERDICT_MIN, 240, 80, 80, 84, 48, *self.NUMBERS_MIN, 96)):
            self.view.setColumnWidth(col, width)
        header.setStretchLastSection(False)
        # Column titles in bold, as Qt draws the titles of columns that hold a selected cell (with a whole
        # row selected, all of them).  The header keeps a selection of its own: sharing the table's, it
        # repainted itself whenever the primary card's row moved, a quarter of a change's table paint.
        header.setHighlightSections(False)
        header.setSelectionModel(QtCore.QItemSelectionModel(self.model, header))
        bold = header.font()
        bold.setBold(True)
        header.setFont(bold)
        # a name too long for its cell loses its middle ("NVIDIA H100 80…HBM3 (SXM5)"): the end
        # tells cards of one family apart, the start their vendor
        self.view.setTextElideMode(QtCore.Qt.TextElideMode.ElideMiddle)
        self.view.setWordWrap(False)     # (a wrapped text is elided per line: "Apple M3 …40-core …")
        self._verdict_width = self.VERDICT_MIN
        self._verdicts_shown: tuple | None = None     # (verdicts, font, language) the width was fitted to
        self._numbers_shown: tuple | None = None      # (the widest context and sequences cells, font) as fitted
        self._names: frozenset = frozenset()
        self._name_width = 240                  # the longest name's, once a table is shown
        self.view.viewport().installEventFilter(self)
        self._primary = ""
        self.model.layoutChanged.connect(self._select_primary)
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
        self.model.set_filter(self.category.currentData(), self.search.text())

    def _clicked(self, index: QtCore.QModelIndex) -> None:
        if index.isValid():
            self.gpuChosen.emit(self.model.gpu_id(index.row()))

    def set_headers(self, training: bool) -> None:
        """Column titles for an inference or a fine-tuning table; a fine-tuning table has no
        decode speed, and hides that column (it held a dash on every row)."""
        self.model.set_headers(training)
        speed = len(COLUMNS) - 1
        if self.view.isColumnHidden(speed) != training:
            self.view.setColumnHidden(speed, training)
            self._fit_card_column()

    def set_table(self, table: CardTable, output_tokens: int, primary: str, plans: dict | None = None,
                  limit: int | None = None, fit_margin: float = 0.0, ram_prompts: dict | None = None,
                  ram_batches: dict | None = None) -> None:
        if not self.model.set_table(table, output_tokens, plans, limit, fit_margin, ram_prompts, ram_batches) \
                and primary == self._primary:
            return          # (the same rows and row chosen: selecting it again repainted the table)
        self._fit_verdicts()
        self._fit_numbers()
        self._fit_names(table)
        self._primary = primary
        self._select_primary()

    def _select_primary(self) -> None:
        """Highlight the primary card's row (after an update, a sort or a filter moved it)."""
        row = self.model.row_of(self._primary)
        if row is not None:
            idx = self.model.index(row, 0)
            # (the view hears of it and repaints the row left and the row chosen: with the signals blocked,
            # a new primary card from the picker, which changes no figure, left the old row highlighted)
            self.view.selectionModel().select(idx, QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect
                                              | QtCore.QItemSelectionModel.SelectionFlag.Rows)
            self._show_primary(row)

    def _show_primary(self, row: int | None = None) -> None:
        """Scroll the primary card's row (``row``, where the caller found it) into sight, if it is
        not.  Also when the table gets its size: a scroll asked for before (the first table, as
        the window is built) was lost, and the window opened on the top rows, the primary card's
        not among them."""
        if row is None:
            row = self.model.row_of(self._primary)
        if row is not None:
            self.view.scrollTo(self.model.index(row, 0), QtWidgets.QAbstractItemView.ScrollHint.EnsureVisible)

    def _fit_verdicts(self) -> None:
        """Size the verdict column to the verdicts shown: the width of the short ones
        ("fits", "needs 64 cards", "does not fit") unless a longer one is shown (a partial
        offload), then that one's.  A change between short verdicts resizes nothing (a
        column resize repaints the table a second time)."""
        verdicts = self.model.verdicts()
        if not verdicts:
            return
        key = (frozenset(verdicts), self.view.font().key(), current_language())
        if key == self._verdicts_shown:          # (the same verdicts as last time: the same width)
            return
        self._verdicts_shown = key
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

    def _fit_numbers(self) -> None:
        """Widen the largest-context and most-sequences columns where their widest cell needs more than the usual
        width (four-digit sequences with "(RAM)", a ten-million-token limit), back to it where none does; the same
        widest cells as last time resize nothing."""
        key = (self.model.widest_numbers(), self.view.font().key())
        if key == self._numbers_shown:
            return
        self._numbers_shown = key
        fm = self.view.fontMetrics()
        header = self.view.horizontalHeader()
        changed = False
        for col, text, least in zip((6, 7), key[0], self.NUMBERS_MIN, strict=True):
            width = max(least, fm.horizontalAdvance(text) + 2 * CardTableView.MARGIN + 4)
            if header.sectionSize(col) != width:
                self.view.setColumnWidth(col, width)
                changed = True
        if changed:
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
            self._show_primary()
        return False

    def row_texts(self) -> list[tuple[str, str]]:
        """(card name, verdict) for every shown row, in display order (for tests and the report)."""
        return [(self.model.index(r, 1).data(), self.model.index(r, 0).data()) for r in range(self.model.rowCount())]

