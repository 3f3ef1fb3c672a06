"""The main window: scenario panel on the left, charts, breakdown and the fit table on
the right.  Changes coalesce: a burst of slider moves schedules one redraw."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ..core import estimate_memory, fit
from ..core.architecture import layout_note
from ..core.cards import CardTables, fit_from_table
from ..core.catalog import data_dir
from ..core.engines import LLAMACPP, release_kv
from ..core.errors import InputError
from ..core.explain import explain_cost, explain_items, explain_training_items
from ..core.formats import KV_DTYPES, UNQUANTIZED, release_format, stored_format
from ..core.measured import load_measured
from ..core.model_files import model_from_path
from ..core.offload import offloading, plan_costs, staging_share
from ..core.report import estimate_dict, pre_mla_gguf_note, report_markdown
from ..core.scenario import named_format
from ..core.speed import costs, estimate_speed, prompt_split
from ..core.user_presets import remove_preset, save_preset
from . import i18n, theme
from .breakdown import BreakdownStrip
from .charts import MemoryChart, SpeedChart, TrainingBatchChart
from .compare_tab import CompareTab
from .controls import ScenarioPanel
from .dialogs import CustomGpuDialog, about_text, guide_text, show_text
from .explain_panel import ExplainPanel
from .export import (
    export_csv,
    export_machine_csv,
    export_png,
    export_report,
    export_speed_csv,
    export_svg,
    export_training_batch_csv,
    export_training_csv,
    export_training_report,
    scenario_stem,
    training_report_text,
    training_stem,
    write_table,
)
from .fit_table import FitPanel
from .layouts_panel import LayoutsPanel
from .machine_tab import MachineTab
from .state import ScenarioState
from .wording import core_name, money, plan_badge

#: The event a change posts to have the window redrawn (:meth:`MainWindow.schedule`).
REDRAW_EVENT = QtCore.QEvent.Type(QtCore.QEvent.registerEventType())


#: How long the edits must pause before the fit table's offloaded rows get their largest prompt with the System RAM
#: [ms], and how long each slice of that work runs before the window takes its events again [s].
RAM_PAUSE_MS = 300
RAM_SLICE_S = 0.015


class MainWindow(QtWidgets.QMainWindow):
    redrawn = QtCore.Signal(float)  # seconds the last redraw took

    def __init__(self, state: ScenarioState, parent=None):
        super().__init__(parent)
        self.state = state
        self.recent_imports: list[Path] = []
        self.panel = ScenarioPanel(state)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(350)
        self.memory_chart = MemoryChart()
        self.speed_chart = SpeedChart()
        self.batch_chart = TrainingBatchChart()
        # A change moves curves across the whole plot: the charts repaint their whole view instead of
        # the scene first mapping every changed item's rectangle into a region (pyqtgraph's minimal mode)
        self._charts = (self.memory_chart, self.speed_chart, self.batch_chart)
        for chart in self._charts:
            chart.setViewportUpdateMode(QtWidgets.QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.second_chart = QtWidgets.QStackedWidget()
        self.second_chart.addWidget(self.speed_chart)
        self.second_chart.addWidget(self.batch_chart)
        self.breakdown = BreakdownStrip()
        self.fit_panel = FitPanel()
        self.explain_panel = ExplainPanel()
        # the explain panel shares the table's place: at 1366 px a side dock would push the window
        # wider than the screen (the breakdown strip alone needs ~920 px)
        self.bottom_tabs = QtWidgets.QTabWidget()
        self.bottom_tabs.setDocumentMode(True)
        self.bottom_tabs.addTab(self.fit_panel, "")
        self.fit_panel.title.hide()                 # the tab carries the title, the tab row its filters
        filters = QtWidgets.QWidget()
        filters_lay = QtWidgets.QHBoxLayout(filters)
        filters_lay.setContentsMargins(0, 0, 0, 2)
        filters_lay.addWidget(self.fit_panel.category)
        filters_lay.addWidget(self.fit_panel.search)
        self.bottom_tabs.setCornerWidget(filters, QtCore.Qt.Corner.TopRightCorner)
        self.bottom_tabs.currentChanged.connect(lambda _: filters.setVisible(
            self.bottom_tabs.currentWidget() is self.fit_panel))
        self.bottom_tabs.addTab(self.explain_panel, "")
        self.layouts_panel = LayoutsPanel()
        self.bottom_tabs.addTab(self.layouts_panel, "")
        charts = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        charts.addWidget(self.memory_chart)
        charts.addWidget(self.second_chart)
        charts.setSizes([600, 400])
        right = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        top = QtWidgets.QWidget()
        top_lay = QtWidgets.QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.addWidget(charts, 1)
        top_lay.addWidget(self.breakdown)
        right.addWidget(top)
        right.addWidget(self.bottom_tabs)
        right.setSizes([560, 300])
        main = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        main.addWidget(scroll)
        main.addWidget(right)
        main.setStretchFactor(1, 1)
        main.setSizes([350, 1000])
        self.machine_tab = MachineTab(self.state)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(main, "")
        self.tabs.addTab(self.machine_tab, "")
        self.compare_tab = CompareTab()
        self.tabs.addTab(self.compare_tab, "")
        self.tabs.currentChanged.connect(lambda i: self.tabs.widget(i) is self.compare_tab and self.refresh_compare())
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.machine_tab.opened.connect(self.open_option)
        self._build_menus()
        self._build_view_extras()
        self._pending = False          # a redraw event is posted and not yet served
        self._table = None
        self._speed_args: tuple | None = None   # the speed chart's last update_from arguments (the sweep aside)
        self._cost_args: tuple | None = None    # ... and _show_cost's
        # the fit table's offloaded rows' largest prompt with the System RAM (10-20 plans a card) and most sequences
        # (about 7): worked out once the edits pause, a slice at a time (_fill_ram_rows); (state.ram_prompt_key(),
        # {card id: prompt tokens}, state.guess_basis()), and the last such completed (its answers moved are the
        # guesses after output edits)
        self._ram_prompts: tuple = (None, {}, None)
        self._ram_before: tuple = (None, {}, None)
        self._ram_batches: tuple = (None, {})   # ... and their most sequences: (state.ram_batch_key(), {card id: n})
        self._ram_timer = QtCore.QTimer(self)
        self._ram_timer.setSingleShot(True)
        self._ram_timer.timeout.connect(self._fill_ram_rows)
        self._tables = CardTables()
        self.measured: list = []
        state.changed.connect(self.schedule)
        state.released.connect(self._say_released)
        self._release_note: tuple | None = None     # (model, format) the status bar is to say it was released in
        self.fit_panel.gpuChosen.connect(state.set_gpu)
        # (the card picker's list and the compare menu give each card's row)
        self.panel.gpu.verdicts = self.panel.compare.menu().verdicts = self.fit_panel.model.card_verdicts
        self.panel.import_button.clicked.connect(lambda: self.import_model())
        state.catalog_changed.connect(self._catalog_changed)
        self.setAcceptDrops(True)
        self.retranslate()
        self.redraw()

    # --- menus -----------------------------------------------------------------------
    def _build_menus(self) -> None:
        """Menus and actions by key; their texts are set (and re-set on a language change)
        by :meth:`_retranslate_menus`."""
        bar = self.menuBar()
        self.menus: dict[str, QtWidgets.QMenu] = {k: bar.addMenu("") for k in ("file", "scenario", "view", "help")}
        self.view_menu = self.menus["view"]
        self.actions_by_key: dict[str, QtGui.QAction] = {}

        def add(menu: QtWidgets.QMenu, key: str, slot, shortcut=None) -> QtGui.QAction:
            act = menu.addAction("", slot)
            if shortcut is not None:
                act.setShortcut(QtGui.QKeySequence(shortcut))
            self.actions_by_key[key] = act
            return act

        file = self.menus["file"]
        add(file, "export_memory_png", lambda: self.export_chart("memory", "png"), "Ctrl+E")
        add(file, "export_speed_png", lambda: self.export_chart("speed", "png"))
        add(file, "export_memory_svg", lambda: self.export_chart("memory", "svg"))
        add(file, "export_speed_svg", lambda: self.export_chart("speed", "svg"))
        add(file, "export_csv", self.export_data)
        add(file, "export_speed_csv", self.export_speed_data)
        add(file, "export_cards_csv", self.export_card_table)
        add(file, "export_machine_csv", self.export_machine_table)
        add(file, "export_report", self.export_report, "Ctrl+S")
        add(file, "copy_summary", self.copy_summary, "Ctrl+Shift+C")
        file.addSeparator()
        add(file, "import_file", self.import_model, QtGui.QKeySequence.StandardKey.Open)
        add(file, "import_folder", lambda: self.import_model(folder=True))
        self.recent_menu = file.addMenu("")
        self.recent_menu.setToolTipsVisible(True)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        add(file, "save_preset", self.save_model_preset)
        add(file, "custom_gpu", self.add_custom_gpu)
        add(file, "remove_preset", self.remove_user_preset)
        file.addSeparator()
        add(file, "load_measured", self.load_measured)
        add(file, "clear_measured", self.clear_measured)
        file.addSeparator()
        add(file, "quit", self.close, QtGui.QKeySequence.StandardKey.Quit)
        scen = self.menus["scenario"]
        add(scen, "pin", self.state.pin, "Ctrl+P")
        add(scen, "clear_pins", self.state.clear_pins)
        self.language_menu = self.view_menu.addMenu("")
        self.language_group = QtGui.QActionGroup(self)
        for code, _ in i18n.LANGUAGES:
            act = self.language_menu.addAction("")
            act.setCheckable(True)
            act.setData(code)
            self.language_group.addAction(act)
        self.language_group.triggered.connect(lambda act: self.set_language(act.data()))
        help_menu = self.menus["help"]
        add(help_menu, "guide", lambda: show_text(self, self.tr("Reading the charts"), guide_text()).exec(),
            QtGui.QKeySequence.StandardKey.HelpContents)
        add(help_menu, "about", lambda: show_text(self, self.tr("About vramgui"), about_text()).exec())

    def _retranslate_menus(self) -> None:
        texts = {"file": self.tr("&File"), "scenario": self.tr("&Scenario"), "view": self.tr("&View"),
                 "help": self.tr("&Help")}
        for key, menu in self.menus.items():
            menu.setTitle(texts[key])
        texts = {
            "export_memory_png": self.tr("Export memory chart as PNG…"),
            "export_speed_png": self.tr("Export speed chart as PNG…"),
            "export_memory_svg": self.tr("Export memory chart as SVG…"),
            "export_speed_svg": self.tr("Export speed chart as SVG…"),
            "export_csv": self.tr("Export memory sweep as CSV…"),
            "export_speed_csv": self.tr("Export speed sweep as CSV…"),
            "export_cards_csv": self.tr("Export card table as CSV…"),
            "export_machine_csv": self.tr("Export My machine table as CSV…"),
            "export_report": self.tr("Export report (Markdown or JSON)…"),
            "copy_summary": self.tr("Copy summary"),
            "import_file": self.tr("Import model file…"),
            "import_folder": self.tr("Import model folder…"),
            "save_preset": self.tr("Save model as a user preset"),
            "custom_gpu": self.tr("Add a custom GPU…"),
            "remove_preset": self.tr("Remove the selected user preset…"),
            "load_measured": self.tr("Load measured points (CSV or JSONL)…"),
            "clear_measured": self.tr("Clear measured points"),
            "quit": self.tr("Quit"),
            "pin": self.tr("Pin current scenario"),
            "clear_pins": self.tr("Clear pinned scenarios"),
            "guide": self.tr("Reading the charts"),
            "about": self.tr("About vramgui"),
        }
        for key, act in self.actions_by_key.items():
            act.setText(texts[key])
        self.recent_menu.setTitle(self.tr("Recent imports"))
        self._fill_recent_menu()
        self.language_menu.setTitle(self.tr("&Language"))
        for act, (code, name) in zip(self.language_group.actions(), i18n.LANGUAGES, strict=True):
            act.setText(i18n.translate("Language", name))
            act.setChecked(code == i18n.current_choice())

    # --- language ----------------------------------------------------------------------
    def retranslate(self) -> None:
        """Every text the window itself sets, in the current language (its children do
        their own on the same ``LanguageChange``)."""
        self.setWindowTitle(self.tr("vramgui — will this LLM run on this GPU?"))
        for i, text in enumerate((self.tr("Plan"), self.tr("My machine"), self.tr("Compare pinned"))):
            self.tabs.setTabText(i, text)
        self._retranslate_menus()
        self._retranslate_view_extras()
        self.statusBar().showMessage(self.tr("Memory in GiB (2^30 bytes). Hover a number for its formula."))

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QtCore.QEvent.Type.LanguageChange:
            self.retranslate()
        if event.type() in (QtCore.QEvent.Type.LanguageChange, QtCore.QEvent.Type.LocaleChange):
            self.schedule()           # the charts' labels, the numbers and the table's verdicts
        super().changeEvent(event)

    def set_language(self, choice: str) -> str:
        """Switch the language now (``""``: follow the system) and remember the choice."""
        language = i18n.set_language(choice)
        for act in self.language_group.actions():
            act.setChecked(act.data() == i18n.current_choice())
        self.setLocale(i18n.locale())
        if self.remember_session:
            from .session import save_language
            save_language(i18n.current_choice())
        return language

    # --- drawing -------------------------------------------------------------------------
    def schedule(self) -> None:
        """Coalesce: however many changes arrive before the event loop runs, draw once.

        The redraw is a posted event of normal priority, which Qt serves before the window's
        repaint request (posted at low priority by the edited control's own update): the
        window then repaints once, control and views together.  (A zero timer fired after that
        request, so each change repainted the window twice: the control, then the views.)"""
        if not self._pending:
            self._pending = True
            QtCore.QCoreApplication.postEvent(self, QtCore.QEvent(REDRAW_EVENT))

    def event(self, e: QtCore.QEvent) -> bool:
        if e.type() == REDRAW_EVENT:
            self._pending = False
            self.redraw()
            return True
        return super().event(e)

    def busy(self) -> bool:
        """True while a redraw is scheduled."""
        return self._pending

    def redraw(self) -> None:
        """Charts, breakdown and table in one go, so the window repaints once per change
        (a table drawn on a later turn of the event loop made a second repaint of the
        window, breakdown included)."""
        if self.state.mode == "training":
            self.redraw_training()
        else:
            self.redraw_inference()
        self.redraw_table()
        self._flush_scenes()
        # (every change restarts the wait: the searches run once the edits pause, never inside a drag)
        if self._ram_missing():
            self._ram_timer.start(RAM_PAUSE_MS)
        else:
            self._ram_timer.stop()

    def _ram_missing(self) -> bool:
        """Whether an offloaded row of the table waits for its largest prompt or most sequences with the System
        RAM, or the speed chart for the offloaded card's plans over the sequences."""
        return self._sweep_missing() or self._rows_missing()

    def _sweep_missing(self) -> bool:
        return self._speed_args is not None and self._speed_args[3] is not None and \
            self.state.mode == "inference" and self.state.offload_sweep(work_out=False) is None

    def _rows_missing(self) -> bool:
        now = self.state.ram_prompt_key()
        if self._table is None or self.state.mode != "inference" or now is None:
            return False
        key, known, _ = self._ram_prompts
        batch_key, batches = self._ram_batches
        forced = self.state.forced_offload     # (every card planned: its rows' answers with the RAM too)
        return key != now or batch_key != self.state.ram_batch_key() or any(
            (forced or not fits) and (g.id not in known or g.id not in batches)
            for g, fits in zip(self._table.gpus, self._table.fits, strict=True))

    def _ram_key(self) -> None:
        """Start the offloaded rows' answers afresh where the scenario they were found for changed (a prompt's edit
        keeps the prompts, not the sequences)."""
        key = self.state.ram_prompt_key()
        if self._ram_prompts[0] != key:
            self._ram_prompts = (key, {}, self.state.guess_basis())
        key = self.state.ram_batch_key()
        if self._ram_batches[0] != key:
            self._ram_batches = (key, {})

    def settle(self) -> None:
        """Do now what waits for the edits to pause (a screenshot's, or a test's, window shows it done)."""
        while self._ram_missing() and not self._pending:
            self._fill_ram_rows()
        self._ram_timer.stop()

    def _fill_ram_rows(self) -> None:
        """Work out the offloaded card's plans over the sequences (about a change's time; the speed chart and the
        cost show them), then the largest prompt and the most sequences with the System RAM of the offloaded rows'
        cards (core.offload.max_prompt_offloaded, about as long as a change each; max_batch_offloaded, half that), for
        RAM_SLICE_S at a time, showing each slice's."""
        if self._pending or not self._ram_missing():
            return                        # (a change came in: its redraw starts the wait again)
        if self._sweep_missing():
            self._show_sweep(self.state.offload_sweep())
            if self._ram_missing():
                self._ram_timer.start(0)      # (the rows in the next slice)
            return
        self._ram_key()
        known, batches = self._ram_prompts[1], self._ram_batches[1]
        then, before = self._ram_before[2], self._ram_before[1]
        t0 = time.perf_counter()
        forced = self.state.forced_offload
        for g, fits in zip(self._table.gpus, self._table.fits, strict=True):
            if (fits and not forced) or (g.id in known and g.id in batches):
                continue
            if g.id not in known:
                known[g.id] = self.state.max_offload_prompt_on(g, self.state.moved_guess(then, before.get(g.id)))
            elif g.id not in batches:     # (one search at a time: the slice ends after either)
                batches[g.id] = self.state.max_offload_batch_on(g)
            if time.perf_counter() - t0 > RAM_SLICE_S:
                break
        self.redraw_table()
        if self._ram_missing():
            self._ram_timer.start(0)          # (the next slice after the events that came in)
        else:
            self._ram_before = self._ram_prompts        # (every row's: the guesses after the next output edits)

    def _flush_scenes(self) -> None:
        """Have the window repaint once, views and all.  A chart's scene turns its items'
        changes into a repaint of its view on a queued call, which then has the window's pending
        repaint served at once (QGraphicsScene's "immediately dispatch all pending update
        requests"): each chart got a repaint of the window of its own, before the other's
        changes were known.  Here the window's pending repaint request is taken back, both
        scenes' changes are turned into dirty regions now, and one request is posted again."""
        app = QtCore.QCoreApplication
        update = QtCore.QEvent.Type.UpdateRequest
        app.removePostedEvents(self, update)
        for chart in self._charts:
            app.sendPostedEvents(chart.scene(), QtCore.QEvent.Type.MetaCall)
        app.postEvent(self, QtCore.QEvent(update), QtCore.Qt.EventPriority.LowEventPriority.value)

    def redraw_training(self) -> None:
        """Fine-tuning: memory vs sequence length and vs micro-batch, and the table judging
        the training job on every card."""
        from ..core.training import training_card_table, training_fit, training_memory

        t0 = time.perf_counter()
        t = self.state.training
        f = training_fit(t)
        self.memory_chart.update_training(t, f.max_seq, self.state.compare)
        self.memory_chart.set_measured([], None)
        self.memory_chart.set_pins([])
        self.second_chart.setCurrentWidget(self.batch_chart)
        self.batch_chart.update_training(t, f.max_batch)
        self.breakdown.update_training(t, training_memory(t), f)
        self.explain_panel.set_source(self.tr("Fine-tuning {model} on {gpu}").format(model=t.model.name,
                                                                                    gpu=t.gpu.name),
                                      lambda: explain_training_items(t))
        self.layouts_panel.set_source(None, 0.0)
        self._table = training_card_table(t, list(self.state.catalog.gpus.values()))
        self.fit_panel.set_headers(True)
        self.redrawn.emit(time.perf_counter() - t0)

    def redraw_inference(self) -> None:
        """Charts and breakdown (the table follows in :meth:`redraw`)."""
        t0 = time.perf_counter()
        s = self.state.scenario
        cat = self.state.catalog
        self._table = self._tables.table(s, list(cat.gpus.values()))   # (kept while only the primary changes)
        ids = [g.id for g in self._table.gpus]
        f = fit_from_table(s, self._table, ids.index(s.gpu.id)) if s.gpu.id in ids else fit(s)
        plan = self.state.reported_plan()       # (with the largest prompt the card and the RAM hold)
        self.memory_chart.update_from(s, f.budget_bytes, f.max_prompt_tokens, self.state.compare,
                                      spill=plan is not None, ram_limit=plan and plan.max_prompt_tokens,
                                      kept=plan.kept_bytes(f.needed_bytes) if plan is not None else 0.0,
                                      kept_only=plan is None or plan.layers_fixed,
                                      stage=staging_share(s) if plan is not None else 0.0)
        self.second_chart.setCurrentWidget(self.speed_chart)
        self.fit_panel.set_headers(False)
        sp = estimate_speed(s, with_knee=False)
        off = offloading(plan, f.fits)
        # (an offloaded card's plans over the sequences, once worked out in a pause: kept while only the batch moves)
        sweep = self.state.offload_sweep(work_out=False) if off is not None else None
        self._speed_args = (s, f.max_batch, float(sp.prefill_s), off and (off.decode_s, off.prefill_s, plan_badge(off)))
        self.speed_chart.update_from(*self._speed_args, sweep=sweep)
        self.breakdown.update_from(s, estimate_memory(s), f, sp, plan)
        self._cost_args = (s, f.max_batch, off)
        self._show_cost(*self._cost_args, sweep)
        self.explain_panel.set_source(self._explain_heading(s), lambda: explain_items(s))   # built only if shown
        self.layouts_panel.set_source(s, self.state.price_per_card_hour)                   # (the same)
        self.memory_chart.set_measured(self.measured, s)
        self.speed_chart.set_measured(self.measured, s)
        self.memory_chart.set_pins(self.state.pins)
        self.speed_chart.set_pins(self.state.pins)
        if self.tabs.currentWidget() is self.compare_tab:
            self.refresh_compare()
        self.last_fit = f
        self.redrawn.emit(time.perf_counter() - t0)

    def _show_sweep(self, sweep) -> None:
        """Draw the offloaded card's plans over the sequences, worked out once the edits paused, and give the cost
        at the batch they serve most at."""
        self.speed_chart.update_from(*self._speed_args, sweep=sweep)
        self._show_cost(*self._cost_args, sweep)
        self._flush_scenes()

    def _show_cost(self, s, max_batch: int, off=None, sweep=None) -> None:
        """The cost of a million generated tokens, served (prompts included), beside the price
        the user set (nothing without one); ``off``: the offload plan that runs the model, whose
        figures it takes, and ``sweep`` its plans over the sequences (core.offload.sweep_offloaded) once worked out,
        for the batch they serve most at (the cheapest: the cards' price does not change with the batch)."""
        price = self.state.price
        if price is None:
            self.panel.show_cost("", "")
            return
        if off is not None:
            c = plan_costs(off, s, price)
            text = (self.tr("{cost} per million tokens at batch {batch}, offloaded") if c.prompts_counted else
                    self.tr("{cost} per million tokens at batch {batch}, offloaded, decode only")).format(
                cost=money(c.per_million), batch=i18n.integer(s.batch))
            tip = (self.tr("As the offload plans it ({plan}): {rate} generated tokens/s in all, prompts included.")
                   if c.prompts_counted else
                   self.tr("As the offload plans it ({plan}): {rate} generated tokens/s in all.")).format(
                plan=plan_badge(off), rate=i18n.num(c.tokens_per_s, 2))
            best = sweep.best() if sweep is not None else (0, 0.0, 0.0)
            i = sweep.batches.index(best[0]) if best[0] else None
            cheapest = plan_costs(sweep.plans[i], s.with_(batch=best[0]), price) if i is not None else None
            # (the plans are searched at about 18 numbers of sequences: the user's own may serve more)
            if cheapest is not None and best[0] != s.batch and cheapest.per_million < c.per_million:
                # (two lines at most, as below: the tooltip and the badge say the plan is offloaded)
                text = self._cost_line(c, s.batch) + "\n" + self.tr("{cost} at batch {batch}, cheapest"
                                                                    ).format(cost=money(cheapest.per_million),
                                                                             batch=i18n.integer(best[0]))
                first = best[2] == best[2]
                tip += " " + (self.tr("At batch {batch} ({plan}) the plans serve the most: {rate} tokens/s in all, "
                                      "the first tokens after {time}.") if first else
                              self.tr("At batch {batch} ({plan}) the plans serve the most: {rate} tokens/s in all.")
                              ).format(batch=i18n.integer(best[0]), plan=plan_badge(sweep.plans[i]),
                                       rate=i18n.num(best[1], 2), time=i18n.duration(best[2]) if first else "")
            self.panel.show_cost(text, tip + "\n\n" + explain_cost(s, c).text)
            return
        c = costs(s, price, max_batch)
        # (two lines at most: a third ran past the panel's foot at 1366 x 768; the tooltip says the prompts count)
        text = self._cost_line(c, s.batch)
        if c.cheapest_batch is not None and c.cheapest_batch != s.batch:
            text += "\n" + self.tr("{cost} at batch {batch}, cheapest that fits").format(
                cost=money(c.cheapest_per_million), batch=i18n.integer(c.cheapest_batch))
        self.panel.show_cost(text, explain_cost(s, c).text)

    def _cost_line(self, c, batch: int) -> str:
        """The cost a million tokens at the scenario's ``batch`` (``c``: its core.speed.Costs)."""
        return (self.tr("{cost} per million tokens at batch {batch}") if c.prompts_counted else
                self.tr("{cost} per million tokens at batch {batch}, decode only")).format(
            cost=money(c.per_million), batch=i18n.integer(batch))

    def redraw_table(self) -> None:
        if self._table is None:       # the catalog changed since: the redraw it scheduled brings a new table
            return
        s = self.state.scenario
        output = 0 if self.state.mode == "training" else s.output_tokens
        table = self._table
        plans = ram = None
        if self.state.mode == "inference" and self.state.offload_asked:
            # (the cards that do not fit; every card where the settings keep weights in RAM all the same: a GiB given
            # to vLLM or SGLang, an MoE model's experts to llama.cpp)
            forced = self.state.forced_offload
            plans = self.state.offload_plans([g for g, fits in zip(table.gpus, table.fits, strict=True)
                                              if forced or not fits], table)
            self._ram_key()
            if s.gpu.id in plans:             # (the primary's is worked out for the charts already)
                self._ram_prompts[1].setdefault(s.gpu.id, self.state.max_offload_prompt())
            ram = dict(self._ram_prompts[1]), dict(self._ram_batches[1])
        margin = s.profile.auto_fit_margin_bytes if self.state.mode == "inference" else 0.0
        self.fit_panel.set_table(table, output, s.gpu.id, plans, s.model.architecture.max_context, margin,
                                 *(ram or (None, None)))

    # --- view: theme and the explain panel -------------------------------------------------
    def _build_view_extras(self) -> None:
        """View → Explain (the formula, numbers and sources behind every number, in a tab next
        to the fit table) and View → Theme (System / Light / Dark, applied at once)."""
        self.explain_action = QtGui.QAction(self)
        self.explain_action.setCheckable(True)
        self.explain_action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+E"))
        self.explain_action.toggled.connect(self.show_explain)
        self.bottom_tabs.currentChanged.connect(
            lambda _: self.explain_action.setChecked(self.bottom_tabs.currentWidget() is self.explain_panel))
        first = self.view_menu.actions()[0] if self.view_menu.actions() else None
        self.view_menu.insertAction(first, self.explain_action)
        self.theme_menu = QtWidgets.QMenu(self)
        self.view_menu.insertMenu(first, self.theme_menu)
        self.view_menu.insertSeparator(first)
        self.theme_group = QtGui.QActionGroup(self)
        for name in theme.THEMES:
            act = self.theme_menu.addAction("")
            act.setCheckable(True)
            act.setData(name)
            self.theme_group.addAction(act)
        self.theme_group.triggered.connect(lambda act: self.set_theme(act.data()))
        self.theme = theme.manager()
        self.theme.changed.connect(self._theme_changed)
        self._theme_changed(self.theme.colours)

    def _retranslate_view_extras(self) -> None:
        self.bottom_tabs.setTabText(0, self.tr("Will it fit?"))
        self.bottom_tabs.setTabText(1, self.tr("Explain"))
        self.bottom_tabs.setTabText(2, self.tr("Layouts"))
        self.bottom_tabs.setTabToolTip(2, self.tr("The same cards split every way the engine allows, at the same "
                                                  "load: fewer, larger groups or more, smaller ones"))
        self.explain_action.setText(self.tr("&Explain"))
        self.explain_action.setToolTip(self.tr("The formula, your numbers and the source behind every number"))
        self.theme_menu.setTitle(self.tr("&Theme"))
        labels = theme.theme_labels()
        for act in self.theme_group.actions():
            act.setText(labels[act.data()])

    def show_explain(self, show: bool = True) -> None:
        """Bring the explain tab forward (on the Plan page), or the fit table back."""
        if show:
            self.tabs.setCurrentIndex(0)
        self.bottom_tabs.setCurrentWidget(self.explain_panel if show else self.fit_panel)

    def set_theme(self, name: str) -> None:
        """Apply a theme now; the app remembers it (test windows do not write settings)."""
        self.theme.set_theme(name)
        if self.remember_session:
            from .session import save_theme
            save_theme(name)

    def _theme_changed(self, colours) -> None:
        for chart in (self.memory_chart, self.speed_chart, self.batch_chart):
            chart.apply_colours(colours)
        for act in self.theme_group.actions():
            act.setChecked(act.data() == self.theme.setting)

    def _explain_heading(self, s) -> str:
        cached = int(prompt_split(s.prompt_tokens, s.cached_tokens)[1])     # (the prefix the estimate keeps)
        prompt = i18n.integer(s.prompt_tokens) if not cached else self.tr("{prompt} ({cached} cached)").format(
            prompt=i18n.integer(s.prompt_tokens), cached=i18n.integer(cached))
        return self.tr("{model} on {n} × {gpu}\n{weights} · {engine} · prompt {prompt} + output {output} · "
                       "batch {batch}").format(model=s.model.name, weights=core_name(s.weight_format.name),
                                               n=s.n_gpus, gpu=s.gpu.name, engine=core_name(s.profile.name),
                                               prompt=prompt, output=i18n.integer(s.output_tokens),
                                               batch=i18n.integer(s.batch))

    remember_session = False   # the app sets it; test windows do not write the user's settings

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.remember_session:
            from .session import save_session
            save_session(self)
        super().closeEvent(event)

    def refresh_compare(self) -> None:
        self.compare_tab.update_from(self.state.scenario, self.state.pins, self.state.price,
                                     self.state.reported_plan_for)

    def open_option(self, model_id: str, weights: str, engine: str) -> None:
        """A row of the machine tab becomes the current scenario."""
        mt = self.machine_tab
        st = self.state
        st.set_model(model_id)
        st.set_gpu(mt.gpu.currentData())
        st.update(weights=weights, engine=engine, n_gpus=mt.gpus.value(), prompt_tokens=mt.context.value(),
                  output_tokens=0, **({"host": mt.machine().host} if engine == "hf" else {}))
        # (the machine's RAM as the tab described it, and the offload as its rows place it: the experts as
        # llama-server's --fit places them, vLLM's and SGLang's the least that lets the rest fit, so that the plan's
        # figures are the row's; Experts in RAM or a --cpu-offload-gb set on the Plan tab before would make them
        # another plan's)
        st.set_offload(ram_gb=float(mt.ram.value()), pinned=mt.pinned.isChecked(), ram_bandwidth_gb_s=mt.ram_bw.value(),
                       n_cpu_moe=-1, cpu_offload_gib=-1, experts_only=mt.experts_only.isChecked())
        self.tabs.setCurrentIndex(0)

    # --- model files, user presets ------------------------------------------------------------
    def import_model(self, path: Path | None = None, folder: bool = False) -> bool:
        """Import a config.json / .safetensors / index / .gguf (or a folder) and select it.
        A bad file is reported; nothing the user had changes."""
        if path is None:
            if folder:
                chosen = QtWidgets.QFileDialog.getExistingDirectory(self, self.tr("Import model folder"))
            else:
                chosen, _ = QtWidgets.QFileDialog.getOpenFileName(
                    self, self.tr("Import model file"), "",
                    self.tr("Model files ({patterns});;All files (*)").format(
                        patterns="config.json *.safetensors *.gguf *.index.json *.json"))
            if not chosen:
                return False
            path = Path(chosen)
        try:
            model = model_from_path(Path(path))
        except InputError as exc:
            self._report(self.tr("Model not imported"), str(exc))
            return False
        self.use_imported(model, Path(path))
        return True

    def use_imported(self, model, path: Path, kv_chosen: bool = False) -> None:
        """Select a model read from ``path`` (added to the picker and the recent imports); its cache as the checkpoint
        asks under vLLM and SGLang, unless ``kv_chosen`` (``vramgui --kv-dtype``)."""
        self.state.add_model(model)
        self.state.set_model(model.id)
        self._release_note = None          # (the status bar says below what the import set)
        stored = stored_format(model.config) if model.file_weights is None else None
        released = release_format(model.config, self.state.scenario.engine in LLAMACPP)
        if stored and self.state.scenario.weights != released:   # (set_model keeps a quantized format chosen before)
            self.state.update(weights=stored)   # a quantized checkpoint's config.json: its weights as it stores them
        kv = None if kv_chosen else release_kv(model.config, self.state.scenario.engine)
        if kv and self.state.scenario.kv_dtype in UNQUANTIZED:   # (vLLM and SGLang cache as the checkpoint asks)
            self.state.update(kv_dtype=kv)
        kv_set = kv is not None and self.state.scenario.kv_dtype == kv
        self.add_recent_import(Path(path))
        note = layout_note(model.architecture) or pre_mla_gguf_note(model)
        if note:   # counted with the generic layout, or an MLA GGUF llama.cpp runs up-projected: say so where the user
            #        looks right after importing
            self.statusBar().showMessage(self.tr("Imported {name}. Note: {note}").format(name=model.name, note=note),
                                         20000)
        elif stored or kv_set:
            said = [self.tr("weights {format}").format(format=core_name(named_format(stored, model).name))
                    ] if stored else []
            if kv_set:
                said.append(self.tr("KV cache {kv}, the default of vLLM and SGLang for it").format(
                    kv=core_name(KV_DTYPES[kv].name)))
            self.statusBar().showMessage(self.tr("Imported {name}: {settings}, as its quantization config states.")
                                         .format(name=model.name, settings="; ".join(said)), 8000)
        else:
            self.statusBar().showMessage(self.tr("Imported {name} ({source}).").format(name=model.name,
                                                                                       source=model.source), 8000)

    def _say_released(self, weights: str) -> None:
        """A model released quantized was chosen: its weights are set to the release format (ScenarioState.set_model),
        which the status bar says once the event loop turns, if they still are (a restored session or the My machine
        tab's row sets its own format right after the model)."""
        model = self.state.scenario.model
        self._release_note = (model, weights)       # (an import says its own: use_imported clears it)

        def say() -> None:
            s = self.state.scenario
            if self._release_note == (model, weights) and s.model is model and s.weights == weights:
                self.statusBar().showMessage(self.tr("Weights set to {format}, the format {model} is published in "
                                                     "(pick another format to compare).").format(
                    model=model.name, format=core_name(named_format(weights, model).name)), 10000)
        QtCore.QTimer.singleShot(0, self, say)

    # --- recent imports ------------------------------------------------------------------------
    MAX_RECENT = 8

    def set_recent_imports(self, paths) -> None:
        """The list of File → Recent imports (newest first, at most :attr:`MAX_RECENT`)."""
        seen: list[Path] = []
        for p in paths:
            path = Path(p)
            if path not in seen:
                seen.append(path)
        self.recent_imports = seen[:self.MAX_RECENT]
        self._fill_recent_menu()

    def add_recent_import(self, path: Path) -> None:
        """Put an imported file or folder first in the list, and remember it (app windows)."""
        self.set_recent_imports([Path(path).absolute(), *self.recent_imports])
        if self.remember_session:
            from .session import save_recent_imports
            save_recent_imports(self.recent_imports)

    def clear_recent_imports(self) -> None:
        self.set_recent_imports([])
        if self.remember_session:
            from .session import save_recent_imports
            save_recent_imports([])

    def _fill_recent_menu(self) -> None:
        """One entry per remembered path, checked on every opening of the menu: a file that
        has gone (an unplugged disk, a deleted download) is shown greyed out, with why, and
        stays in the list in case it comes back."""
        menu = self.recent_menu
        menu.clear()
        for i, path in enumerate(self.recent_imports):
            shown = str(path).replace(str(Path.home()), "~", 1) if path.is_relative_to(Path.home()) else str(path)
            act = menu.addAction(f"&{i + 1} {shown}")
            act.setData(str(path))
            act.triggered.connect(lambda _=False, p=path: self.import_model(p))
            if path.exists():
                act.setToolTip(str(path))
            else:
                act.setEnabled(False)
                act.setText(self.tr("{entry} (not found)").format(entry=act.text()))
                act.setToolTip(self.tr("{path} no longer exists").format(path=path))
        if not self.recent_imports:
            menu.addAction(self.tr("No imports yet")).setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction(self.tr("Clear the list"), self.clear_recent_imports)

    def save_model_preset(self, folder: Path | None = None) -> Path | None:
        model = self.state.scenario.model
        try:
            path = save_preset(model, folder)
        except InputError as exc:
            self._report(self.tr("Preset not saved"), str(exc))
            return None
        self.state.catalog.user_ids.add(model.id)
        self.state.catalog_changed.emit()
        self.statusBar().showMessage(self.tr("Saved {name} as {path}.").format(name=model.name, path=path), 8000)
        return path

    def add_custom_gpu(self, gpu=None, folder: Path | None = None) -> bool:
        """Add a card of the user's (a dialog unless ``gpu`` is given), saved as a user preset."""
        if gpu is None:
            dialog = CustomGpuDialog(self)
            if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                return False
            gpu = dialog.gpu
        try:
            save_preset(gpu, folder)
        except InputError as exc:
            self._report(self.tr("Card not saved"), str(exc))
            return False
        self.state.add_gpu(gpu)
        self.state.set_gpu(gpu.id)
        return True

    def remove_user_preset(self, folder: Path | None = None, confirm: bool = True) -> bool:
        """Remove the selected model's or card's user preset (the model first)."""
        s, cat = self.state.scenario, self.state.catalog
        kind, ident = (("models", s.model.id) if s.model.id in cat.user_ids else
                       ("gpus", s.gpu.id) if s.gpu.id in cat.user_ids else (None, None))
        if kind is None:
            self.statusBar().showMessage(self.tr("The selected model and card are built-in presets."), 6000)
            return False
        if confirm and QtWidgets.QMessageBox.question(
                self, self.tr("Remove preset"), self.tr("Remove the user preset '{id}'?").format(id=ident)) \
                != QtWidgets.QMessageBox.StandardButton.Yes:
            return False
        try:
            remove_preset(kind, ident, folder)
        except InputError as exc:
            self._report(self.tr("Preset not removed"), str(exc))
            return False
        cat.user_ids.discard(ident)
        self.statusBar().showMessage(self.tr("Removed the user preset '{id}' (it stays selected until you pick "
                                             "another).").format(id=ident), 8000)
        return True

    def _catalog_changed(self) -> None:
        self._table = None
        self.schedule()

    def _report(self, title: str, message: str) -> None:
        self.statusBar().showMessage(message, 12000)
        QtWidgets.QMessageBox.warning(self, title, message)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.import_model(Path(url.toLocalFile()))
                break
        event.acceptProposedAction()

    # --- measured points -----------------------------------------------------------------------
    def load_measured(self, path: Path | None = None) -> bool:
        """Overlay a file of measured points; a bad file is reported and the old overlay kept."""
        if path is None:
            folder = str(data_dir("presets") / "measured")
            chosen, _ = QtWidgets.QFileDialog.getOpenFileName(
                self, self.tr("Load measured points"), folder,
                self.tr("Measured points ({patterns});;All files (*)").format(patterns="*.csv *.jsonl"))
            if not chosen:
                return False
            path = Path(chosen)
        try:
            points = load_measured(path)
        except InputError as exc:
            self.statusBar().showMessage(str(exc), 10000)
            QtWidgets.QMessageBox.warning(self, self.tr("Measured points not loaded"), str(exc))
            return False
        self.measured = points
        self.statusBar().showMessage(self.tr("{n} measured points from {file}; hover a marker for its error against "
                                             "the estimate.").format(n=i18n.integer(len(points)), file=Path(path).name),
                                     8000)
        self.schedule()
        return True

    def clear_measured(self) -> None:
        self.measured = []
        self.schedule()

    # --- exports -----------------------------------------------------------------------------
    def chart_item(self, which: str):
        if which == "memory":
            return self.memory_chart.getPlotItem()
        return self.batch_chart.getPlotItem() if self.state.mode == "training" else self.speed_chart.ci

    def export_chart(self, which: str, kind: str, path: Path | None = None, width: int | None = None) -> Path | None:
        if path is None:
            path = self._save_path(self.tr("Export chart"), f"_{which}.{kind}", f"{kind.upper()} (*.{kind})")
            if path is None:
                return None
        widget = self.memory_chart if which == "memory" else self.second_chart.currentWidget()
        if kind == "png":
            if width is None:
                width, ok = QtWidgets.QInputDialog.getInt(
                    self, self.tr("PNG width"), self.tr("Width in pixels (default: twice the chart, sharp on slides):"),
                    2 * max(widget.width(), 640), 200, 10000, 100)
                if not ok:
                    return None
            return export_png(self.chart_item(which), path, width)
        return export_svg(widget, path)

    def _save_path(self, title: str, suffix: str, filters: str) -> Path | None:
        """Ask where to save, proposing a name derived from the scenario."""
        stem = training_stem(self.state.training) if self.state.mode == "training" else scenario_stem(
            self.state.scenario)
        chosen, _ = QtWidgets.QFileDialog.getSaveFileName(self, title, f"{stem}{suffix}", filters)
        return Path(chosen) if chosen else None

    def export_data(self, path: Path | None = None) -> Path | None:
        path = path or self._save_path(self.tr("Export data"), ".csv", "CSV (*.csv)")
        if path is None:
            return None
        if self.state.mode == "training":
            return export_training_csv(self.state.training, path)
        return export_csv(self.state.scenario, path)

    def export_speed_data(self, path: Path | None = None) -> Path | None:
        """The second chart's sweep: the speed over the batch (each batch's offload plan too where System RAM is
        entered), or in fine-tuning the memory over the micro-batch."""
        path = path or self._save_path(self.tr("Export data"), "_speed.csv", "CSV (*.csv)")
        if path is None:
            return None
        if self.state.mode == "training":
            return export_training_batch_csv(self.state.training, path)
        return export_speed_csv(self.state.scenario, path, self.state.offload_settings())

    def export_card_table(self, path: Path | None = None) -> Path | None:
        """The Will it fit? table as it shows (its filter, its order), the figures unformatted."""
        path = path or self._save_path(self.tr("Export card table"), "_cards.csv", "CSV (*.csv)")
        if path is None:
            return None
        return write_table(path, *self.fit_panel.model.export_rows())

    def export_machine_table(self, path: Path | None = None) -> Path | None:
        """The My machine tab's table as it shows (its filter, its order; worked out first where it is not up to
        date)."""
        mt = self.machine_tab
        if path is None:
            chosen, _ = QtWidgets.QFileDialog.getSaveFileName(self, self.tr("Export My machine table"),
                                                              f"{mt.file_stem()}.csv", "CSV (*.csv)")
            if not chosen:
                return None
            path = Path(chosen)
        return export_machine_csv(mt.shown_options(), path)

    def export_report(self, path: Path | None = None) -> Path | None:
        path = path or self._save_path(self.tr("Export report"), ".md", "Markdown (*.md);;JSON (*.json)")
        if path is None:
            return None
        if self.state.mode == "training":
            return export_training_report(self.state.training, path)
        st = self.state
        return export_report(st.scenario, path, st.pins, st.price, st.reported_plan(batch=True), st.reported_plan_for)

    def copy_summary(self) -> str:
        text = (training_report_text(self.state.training) if self.state.mode == "training" else
                report_markdown(estimate_dict(self.state.scenario, self.state.price,
                                              self.state.reported_plan(batch=True))))
        QtWidgets.QApplication.clipboard().setText(text)
        self.statusBar().showMessage(self.tr("Summary copied to the clipboard."), 4000)
        return text
