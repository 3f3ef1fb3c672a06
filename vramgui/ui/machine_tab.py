"""The "My machine" tab: describe the machine once, see every model × format that runs
on it, and open one as the current scenario."""

from __future__ import annotations

import re

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QT_TRANSLATE_NOOP

from ..core.engines import (
    ENGINES,
    LLAMACPP,
    OFFLOADS_EXPERTS_ONLY,
    OLLAMA,
    READS_IN_PLACE,
    context_for,
    seen_memory,
    unlisted_card,
)
from ..core.machine import Machine, machine_table, runs_order
from ..core.scenario import HOSTS
from ..core.speed import card_host
from ..core.units import GIB
from .fit_table import ELSEWHERE, FIT, NOFIT, RIGHT, SORT_ROLE, SPLIT
from .i18n import Retranslates, duration, integer, num, translate
from .state import MAX_RAM_BANDWIDTH_GB_S
from .wording import (
    card_target,
    context_cell,
    copied_cell,
    core_name,
    experts_cell,
    fit_margin_tip,
    layer_split_cell,
    output_only_cell,
    ram_context_cell,
    tp_refused,
)

COLUMNS = (QT_TRANSLATE_NOOP("MachineTab", "Model"), QT_TRANSLATE_NOOP("MachineTab", "Format"),
           QT_TRANSLATE_NOOP("MachineTab", "Bits/weight"), QT_TRANSLATE_NOOP("MachineTab", "Runs"),
           QT_TRANSLATE_NOOP("MachineTab", "Needed"), QT_TRANSLATE_NOOP("MachineTab", "Max context"),
           QT_TRANSLATE_NOOP("MachineTab", "Tokens/s"), QT_TRANSLATE_NOOP("MachineTab", "First token"))
LEVEL = {"gpu": (QT_TRANSLATE_NOOP("Verdict", "fits on GPU"), FIT),
         "partial": (QT_TRANSLATE_NOOP("Verdict", "partly offloaded"), SPLIT),
         "cpu": (QT_TRANSLATE_NOOP("Verdict", "CPU only"), NOFIT),
         "none": (QT_TRANSLATE_NOOP("Verdict", "does not fit"), NOFIT)}


def context_text(o) -> str:
    """A row's largest context: offloaded or on the CPU, the cards' and the RAM's together ("(RAM)" after it)."""
    limit = o.model.architecture.max_context
    if o.level in ("partial", "cpu"):
        return ram_context_cell(o.max_context, limit, short=False)
    return context_cell(o.max_context, limit)


class MachineTab(Retranslates, QtWidgets.QWidget):
    """``opened(model_id, weights, engine)`` when the user picks a row.

    Until the user describes the machine (edits a control here, or a saved session does), each visit starts
    from the Plan tab's card, card count, system RAM, context and engine (:meth:`follow_plan`): the card a user
    picked there is more likely the one in their machine than the catalog's first."""

    opened = QtCore.Signal(str, str, str)
    ENGINES = ("vllm", "sglang", "hf", "generic")      # the engines of the non-GGUF rows
    RUNNERS = ("llamacpp", *OLLAMA)                     # what runs the GGUF rows

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.options = []
        self.described = False        # the user (or a restored session) set the machine: no longer follow the plan
        form = QtWidgets.QHBoxLayout()
        self.gpu = QtWidgets.QComboBox()
        for g in sorted(state.catalog.gpus.values(), key=lambda g: (g.category, -g.memory_mib)):
            self.gpu.addItem(g.name, g.id)
        self.gpus = QtWidgets.QSpinBox()
        self.gpus.setRange(1, 64)
        self.gpus.setPrefix("× ")
        self.ram = QtWidgets.QSpinBox()
        self.ram.setRange(0, 8192)
        self.ram.setValue(64)
        self.context = QtWidgets.QSpinBox()
        self.context.setRange(128, 10_000_000)
        self.context.setValue(4096)
        self.context.setSingleStep(1024)
        self.context.setGroupSeparatorShown(True)
        self.engine = QtWidgets.QComboBox()
        for ident in self.ENGINES:
            self.engine.addItem("", ident)
        self.runner = QtWidgets.QComboBox()
        for ident in self.RUNNERS:
            self.runner.addItem(core_name(ENGINES[ident].name), ident)
        # HF transformers' host CPU (the Plan tab's picker, core.speed.card_host): greyed for the other engines
        self.host = QtWidgets.QComboBox()
        for ident in ("", *HOSTS):
            self.host.addItem("", ident)
        self.labels = {}
        for key, w in (("card", self.gpu), ("", self.gpus), ("", self.ram), ("context", self.context),
                       ("engine", self.engine), ("host", self.host), ("runner", self.runner)):
            if key:
                self.labels[key] = QtWidgets.QLabel()
                self.labels[key].setBuddy(w)
                if key != "runner":             # (on the filter's row: the first one is as wide as 1,366 px allow)
                    form.addWidget(self.labels[key])
            if key != "runner":
                form.addWidget(w)
        form.addStretch(1)
        self.filter = QtWidgets.QLineEdit()
        self.filter.setClearButtonEnabled(True)
        self.fits_only = QtWidgets.QCheckBox()
        self.fits_only.setChecked(True)
        self.pinned = QtWidgets.QCheckBox()       # (the RAM's pinning, on this row: the first is full at 1,366 px)
        self.experts_only = QtWidgets.QCheckBox()  # (vLLM's routed experts alone in RAM: enabled under vLLM)
        self.ram_bw = QtWidgets.QDoubleSpinBox()  # ... and its bandwidth (0: the platform's default)
        self.ram_bw.setRange(0, MAX_RAM_BANDWIDTH_GB_S)
        self.ram_bw.setDecimals(1)
        self.labels["ram_bw"] = QtWidgets.QLabel()
        self.labels["ram_bw"].setBuddy(self.ram_bw)
        row2 = QtWidgets.QHBoxLayout()
        row2.addWidget(self.filter, 1)
        row2.addWidget(self.labels["ram_bw"])
        row2.addWidget(self.ram_bw)
        row2.addWidget(self.pinned)
        row2.addWidget(self.experts_only)
        row2.addWidget(self.labels["runner"])
        row2.addWidget(self.runner)
        row2.addWidget(self.fits_only)
        self.model = QtGui.QStandardItemModel(0, len(COLUMNS), self)
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
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)     # a long card name must not widen the window
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(row2)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.summary)
        # The whole catalog takes tens of milliseconds (core/machine.py is one stacked grid), so
        # the table follows every edit of the machine, a burst of edits coalesced into one update.
        self._pending = QtCore.QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(120)
        self._pending.timeout.connect(self._recompute_if_shown)
        for signal in (self.gpu.currentIndexChanged, self.gpus.valueChanged, self.ram.valueChanged,
                       self.context.valueChanged, self.engine.currentIndexChanged, self.host.currentIndexChanged,
                       self.runner.currentIndexChanged, self.pinned.toggled, self.ram_bw.valueChanged,
                       self.experts_only.toggled):
            signal.connect(self._pending.start)
            signal.connect(self._mark_described)      # (follow_plan and describe set them with signals blocked)
        for signal in (self.gpu.currentIndexChanged, self.engine.currentIndexChanged):
            signal.connect(self._show_host)
        self.engine.currentIndexChanged.connect(self._show_experts_only)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.fits_only.toggled.connect(self._fill)
        self.view.activated.connect(self._open)
        self.view.doubleClicked.connect(self._open)
        self.retranslate()
        self._show_experts_only()

    def retranslate(self) -> None:
        """Every text of the tab in the current language (the rows are written again)."""
        self.labels["card"].setText(self.tr("Card"))
        self.labels["context"].setText(self.tr("Context"))
        self.labels["engine"].setText(self.tr("Engine"))
        self.labels["runner"].setText(self.tr("GGUF on"))
        for i, ident in enumerate(self.RUNNERS):
            self.runner.setItemText(i, core_name(ENGINES[ident].name))
        self.labels["host"].setText(self.tr("Host CPU"))
        for i, name in enumerate((self.tr("auto ({host})"), self.tr("desktop"), self.tr("server"),
                                  self.tr("older server"))):
            self.host.setItemText(i, name)
        self._auto_text = self.host.itemText(0)
        self._show_host()
        self.ram.setSuffix(self.tr(" GB RAM"))
        self.context.setSuffix(self.tr(" tokens"))
        for i, name in enumerate(("vLLM", "SGLang", "HF transformers", self.tr("generic"))):
            self.engine.setItemText(i, name)
        self.filter.setPlaceholderText(self.tr("Filter (model, family, format)…"))
        self.fits_only.setText(self.tr("only what runs"))
        self.pinned.setText(self.tr("pinned RAM"))
        self.experts_only.setText(self.tr("experts only in RAM"))
        self.labels["ram_bw"].setText(self.tr("RAM bandwidth"))
        self.ram_bw.setSuffix(" GB/s")
        self.ram_bw.setSpecialValueText(self.tr("platform default"))
        self.model.setHorizontalHeaderLabels([translate("MachineTab", c) for c in COLUMNS])
        self.model.horizontalHeaderItem(2).setToolTip(self.tr(
            "All weights' average: the file's size in bits over its parameters, as llama.cpp prints it (BPW), "
            "with 16-bit embeddings, K-quant mixes and fallback types counted"))
        self.model.horizontalHeaderItem(COLUMNS.index("Max context")).setToolTip(self.tr(
            "Largest context that fits at this batch; \"(RAM)\": partly offloaded or on the CPU, the largest the "
            "cards and the System RAM hold together"))
        for w, tip in ((self.gpu, self.tr("The card in your machine")), (self.gpus, self.tr("How many of these cards")),
                       (self.ram, self.tr("System RAM, for the weights the cards cannot hold (0: GPU only)")),
                       (self.pinned, self.tr("The weights in RAM are in pinned host memory (llama.cpp --no-mmap): "
                                             "the First token column's copies to the card run faster")),
                       (self.experts_only, self.tr("vLLM, an MoE model offloaded: only the routed experts' weights "
                                                   "go to RAM (--cpu-offload-params with their names), and a step "
                                                   "reads there only the experts its tokens use, as on the Plan tab; "
                                                   "greyed under the other engines. Dense models offload as before")),
                       (self.ram_bw, self.tr("System RAM bandwidth for the offloaded layers, as on the Plan tab "
                                             "(platform default: dual-channel DDR5-4800, 76.8 GB/s; an Apple "
                                             "chip's own)")),
                       (self.context, self.tr("Context you want to run at")),
                       (self.engine, self.tr("Engine for the non-GGUF formats")),
                       (self.runner, self.tr("What runs the GGUF formats: llama.cpp, or Ollama with the context it "
                                             "picks by the GPU memory (or with num_ctx set: the context here)")),
                       (self.host, self.tr("The CPU HF transformers launches its kernels from, which bounds its "
                                           "decode from below (auto: by the card)")),
                       (self.view, self.tr("Double-click (or press Enter on) a row to open it as the current "
                                           "scenario"))):
            w.setToolTip(tip)
        for key, w in (("card", self.gpu), ("context", self.context), ("runner", self.runner),
                       ("engine", self.engine), ("host", self.host), ("ram_bw", self.ram_bw)):
            w.setAccessibleName(self.labels[key].text())
        for w in (self.gpus, self.ram):
            w.setAccessibleName(w.toolTip())
        if self.options:
            self._fill()

    def machine(self) -> Machine:
        hf = self.engine.currentData() == "hf"
        return Machine(gpu=self.state.catalog.gpus[self.gpu.currentData()], n_gpus=self.gpus.value(),
                       ram_gb=float(self.ram.value()), engine=self.engine.currentData(), context=self.context.value(),
                       host=(self.host.currentData() or None) if hf else None, gguf_engine=self.runner.currentData(),
                       pinned=self.pinned.isChecked(), ram_bandwidth_gb_s=self.ram_bw.value() or None,
                       experts_only=self.experts_only.isChecked())

    def _show_experts_only(self) -> None:
        """The experts-only box: enabled under the engines that can keep the routed experts alone in RAM (vLLM)."""
        self.experts_only.setEnabled(self.engine.currentData() in OFFLOADS_EXPERTS_ONLY)

    def _show_host(self) -> None:
        """The host picker: enabled with HF transformers only, its first entry naming the card's kind."""
        self.host.setEnabled(self.engine.currentData() == "hf")
        kind = card_host(self.state.catalog.gpus[self.gpu.currentData()])
        self.host.setItemText(0, self._auto_text.format(host=self.host.itemText(self.host.findData(kind))))

    def _recompute_if_shown(self) -> None:
        if self.isVisible() or self.options:
            self.recompute()

    def _mark_described(self) -> None:
        self.described = True

    def _controls(self) -> tuple:
        return (self.gpu, self.gpus, self.ram, self.context, self.engine, self.host, self.runner, self.pinned,
                self.ram_bw, self.experts_only)

    def _set(self, gpu: str, n_gpus: int, ram_gb: float, context: int, engine: str, host: str | None,
             runner: str, pinned: bool, ram_bw: float | None, experts_only: bool) -> bool:
        """Set every control without a signal (no recompute per control, no mark of the user's); whether any
        of them changed."""
        before = self.description()
        for w in self._controls():
            w.blockSignals(True)
        try:
            self.gpu.setCurrentIndex(self.gpu.findData(gpu))
            self.gpus.setValue(n_gpus)
            self.ram.setValue(round(ram_gb))
            self.context.setValue(context)
            self.engine.setCurrentIndex(self.engine.findData(engine))
            self.host.setCurrentIndex(max(0, self.host.findData(host or "")))
            self.runner.setCurrentIndex(self.runner.findData(runner))
            self.pinned.setChecked(pinned)
            self.ram_bw.setValue(ram_bw or 0.0)
            self.experts_only.setChecked(experts_only)
        finally:
            for w in self._controls():
                w.blockSignals(False)
        self._show_host()
        self._show_experts_only()
        return self.description() != before

    def follow_plan(self) -> bool:
        """Describe the machine as the Plan tab's scenario: its card and count, its system RAM, its pinning and its
        experts-only box (where it plans an offload), its prompt + output as the context, its engine where it is one
        of this tab's and its GGUF runner where it is llama.cpp or Ollama (a llama.cpp build's profile times the GGUF
        rows as llama.cpp).  Whether anything changed."""
        st = self.state
        s = st.scenario
        engine = s.engine if s.engine in self.ENGINES else self.engine.currentData()
        runner = s.engine if s.engine in self.RUNNERS else "llamacpp" if s.engine in LLAMACPP \
            else self.runner.currentData()
        return self._set(s.gpu.id, s.n_gpus, st.ram_gb if st.ram_gb > 0 else self.ram.value(),
                         max(self.context.minimum(), min(s.prompt_tokens + s.output_tokens, self.context.maximum())),
                         engine, s.host if engine == "hf" else self.host.currentData(), runner,
                         st.pinned if st.ram_gb > 0 else self.pinned.isChecked(),
                         st.ram_bandwidth_gb_s if st.ram_gb > 0 else self.ram_bw.value() or None,
                         st.experts_only if st.ram_gb > 0 else self.experts_only.isChecked())

    def description(self) -> dict:
        """The machine as described, by ids and numbers (the session keeps it)."""
        return {"gpu": self.gpu.currentData(), "n_gpus": self.gpus.value(), "ram_gb": self.ram.value(),
                "context": self.context.value(), "engine": self.engine.currentData(),
                "host": self.host.currentData() or None, "gguf_engine": self.runner.currentData(),
                "pinned": self.pinned.isChecked(), "ram_bandwidth_gb_s": self.ram_bw.value() or None,
                "experts_only": self.experts_only.isChecked()}

    def describe(self, data) -> bool:
        """Set the machine from a saved :meth:`description`; False (nothing set) where it does not hold a card of
        the catalog, an engine and a GGUF runner of this tab's (llama.cpp where a session before it names none) and
        numbers within the controls' ranges."""
        try:
            gpu, engine, host = data["gpu"], data["engine"], data.get("host")
            runner = data.get("gguf_engine", "llamacpp")
            pinned = data.get("pinned", False)
            only = data.get("experts_only", False)         # (False: a session before it)
            bw = data.get("ram_bandwidth_gb_s")          # (None: the platform's default, or a session before it)
            numbers = [data[k] for k in ("n_gpus", "ram_gb", "context")]
            ok = (gpu in self.state.catalog.gpus and engine in self.ENGINES and runner in self.RUNNERS
                  and (host is None or host in HOSTS) and isinstance(pinned, bool) and isinstance(only, bool)
                  and (bw is None or (isinstance(bw, int | float) and not isinstance(bw, bool)
                                      and 0 < bw <= self.ram_bw.maximum()))
                  and all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers)
                  and all(w.minimum() <= v <= w.maximum() for w, v in zip((self.gpus, self.ram, self.context),
                                                                          numbers, strict=True)))
        except (KeyError, TypeError):
            return False
        if not ok:
            return False
        self._set(gpu, int(numbers[0]), float(numbers[1]), int(numbers[2]), engine, host, runner, pinned,
                  None if bw is None else float(bw), only)
        self.described = True
        if self.options:
            self.recompute()
        return True

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        followed = not self.described and self.follow_plan()
        if not self.options or followed:    # first visit, or the plan's machine changed: show what runs on it
            QtCore.QTimer.singleShot(0, self.recompute)
        super().showEvent(event)

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
            text = translate("Verdict", text)
            if o.tp_refused:                    # (core.machine.Option.tp_refused: the engine does not start so)
                text, colour = tp_refused(o.tensor_parallel), ELSEWHERE
            elif o.copied_bytes:                # (core.machine.Option.copied_bytes: vLLM, SGLang, HF transformers)
                text = copied_cell(o.copied_bytes, o.engine in READS_IN_PLACE)
            elif o.level == "partial" and o.gpu_layers < o.n_layers:
                text = layer_split_cell(o.gpu_layers, o.n_layers)
            elif o.output_only:                 # (every layer on the card, the output layer in RAM)
                text = output_only_cell()
            elif o.level == "partial" and o.experts_in_ram:    # (every layer on the card, experts in RAM: --fit)
                text = experts_cell(o.experts_in_ram, o.n_layers)
            elif o.short_of_fit_margin:         # (core.machine.Option.short_of_fit_margin)
                text = translate("Verdict", "fits on GPU with -ngl all")
            cells = ((o.model.name, o.model.family), (o.weights, o.weights), (num(o.bits, 2), o.bits),
                     (text, runs_order(o)),
                     (f"{num(o.needed_bytes / GIB, 1)} GiB", o.needed_bytes),
                     (context_text(o), o.max_context or -1),
                     (num(o.decode_tokens_per_s, 1), o.decode_tokens_per_s),
                     ("-" if o.ttft_s is None else duration(o.ttft_s), o.ttft_s or 1e9))
            items = []
            for c, (label, key) in enumerate(cells):
                it = QtGui.QStandardItem(label)
                it.setEditable(False)
                it.setData(key, SORT_ROLE)
                if c >= 2 and c != 3:       # numbers right-aligned; the verdict beside its colour swatch
                    it.setData(RIGHT, QtCore.Qt.ItemDataRole.TextAlignmentRole)
                items.append(it)
            items[0].setData((o.model.id, o.weights, o.engine), QtCore.Qt.ItemDataRole.UserRole)
            items[0].setToolTip(self.tr("{family}: {n} B parameters").format(family=o.model.family,
                                                                               n=num(o.params / 1e9, 2)))
            items[3].setData(colour, QtCore.Qt.ItemDataRole.DecorationRole)
            if o.tp_refused:
                a = o.model.architecture
                items[3].setToolTip(self.tr("{n} cards do not split this model's {h} attention heads and {kv} KV "
                                            "heads evenly: vLLM and SGLang refuse to start so. The figures are as if "
                                            "it ran; open the row and set stages to split the cards.").format(
                    n=integer(o.tensor_parallel), h=integer(a.num_heads), kv=integer(a.num_kv_heads)))
            elif o.short_of_fit_margin:
                items[3].setToolTip(fit_margin_tip(o.headroom_bytes, o.fit_margin_bytes))
            q = o.model.quality_for(o.weights)
            if q is not None:           # only published figures, with their source
                items[1].setText(f"{o.weights} ✓")
                items[1].setToolTip(self.tr("Published perplexity {ppl} on {dataset}{note}.\nSource: {source}").format(
                    ppl=num(q.perplexity, 4), dataset=q.dataset, note=f" ({q.note})" if q.note else "",
                    source=q.source))
            self.model.appendRow(items)
        # (what runs on the cards first, the largest models first, each in its most precise format: what a user of the
        # machine looks for; by tokens/s the screen opened on 350M-parameter models at 2 bits)
        self.view.sortByColumn(3, QtCore.Qt.SortOrder.AscendingOrder)
        for c in (3, 5):    # verdict and context on one line: Chinese has no spaces to wrap at
            self.view.resizeColumnToContents(c)
        m = self.machine()
        ram = (self.tr("{ram} GB of RAM") if m.ram_bandwidth_gb_s is None else
               self.tr("{ram} GB of RAM ({bw} GB/s)")).format(ram=num(m.ram_gb), bw=num(m.ram_bandwidth_gb_s or 0, 1))
        self.summary.setText(self.tr("{n} model × format combinations run on {cards} × {card} with {ram} "
                                     "at {context} tokens. No quality is scored: bits per weight are shown as they "
                                     "are; a ✓ marks a format with a published perplexity (hover it).").format(
            n=integer(len(rows)), cards=m.n_gpus, card=m.gpu.name, ram=ram, context=integer(m.context))
            + (" " + self.tr("On an Apple chip: llama.cpp's GGUF formats, MLX's formats with mlx-lm, and with HF "
                             "transformers its 16-bit ones (vLLM and SGLang do not run on its GPU).") if m.gpu.apple
               else "")
            + self._runner_note(m) + self._card_caution(m))

    def _runner_note(self, m) -> str:
        """Where Ollama runs the GGUF rows with a longer default context than the tab's (core.engines.context_for)."""
        seen = seen_memory(m.gpu, m.n_gpus)
        tokens = context_for(ENGINES[m.gguf_engine], seen, 1 << 62)
        if tokens <= m.context:
            return ""
        return " " + self.tr("The GGUF rows run on Ollama, which holds its default context on {gib} GiB of GPU memory, "
                             "{tokens} tokens a sequence (a model's own limit, where lower), whatever the context "
                             "here.").format(gib=num(seen / GIB, 1), tokens=integer(tokens))

    def _card_caution(self, m) -> str:
        """A sentence where the engine of the non-GGUF rows does not list the card (core.report.card_note)."""
        rule = unlisted_card(m.engine, ENGINES[m.engine].default_attention, m.gpu)
        if rule is None:
            return ""
        return " " + self.tr("{what} does not list this card ({target}): its rows time it as it runs on the cards it "
                             "lists, and it may not run here at all.").format(what=core_name(rule.what),
                                                                              target=card_target(m.gpu))

    def _open(self, index: QtCore.QModelIndex) -> None:
        src = self.proxy.mapToSource(index)
        self.opened.emit(*self.model.item(src.row(), 0).data(QtCore.Qt.ItemDataRole.UserRole))

    def shown_options(self) -> list:
        """The rows the table shows (filtered, in their order), as the core's options (core.machine.Option); worked
        out first where the table is not up to date (the tab not opened yet, or an edit waiting)."""
        followed = not self.described and self.follow_plan()
        if followed or not self.options or self._pending.isActive():
            self._pending.stop()
            self.recompute()
        by_key = {(o.model.id, o.weights, o.engine): o for o in self.options}     # (each row's UserRole data)
        return [by_key[tuple(self.proxy.index(r, 0).data(QtCore.Qt.ItemDataRole.UserRole))]
                for r in range(self.proxy.rowCount())]

    def file_stem(self) -> str:
        """``machine_1xrtx4090_64gb_c4096``: the described machine, for an exported file's name."""
        m = self.machine()
        return re.sub(r"[^A-Za-z0-9._-]+", "-", f"machine_{m.n_gpus}x{m.gpu.id}_{m.ram_gb:g}gb_c{m.context}")

    def row_count(self) -> int:
        return self.proxy.rowCount()
