"""The main window: scenario panel on the left, charts, breakdown and the fit table on
the right.  Changes coalesce: a burst of slider moves schedules one redraw."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ..core import estimate_memory, fit
from ..core.cards import card_table, fit_from_table
from ..core.catalog import data_dir
from ..core.errors import InputError
from ..core.measured import load_measured
from ..core.model_files import model_from_path
from ..core.report import estimate_dict, report_markdown
from ..core.speed import estimate_speed
from ..core.user_presets import remove_preset, save_preset
from .breakdown import BreakdownStrip
from .charts import MemoryChart, SpeedChart, TrainingBatchChart
from .compare_tab import CompareTab
from .controls import ScenarioPanel
from .dialogs import GUIDE, CustomGpuDialog, about_text, show_text
from .export import export_csv, export_png, export_report, export_svg, scenario_stem
from .fit_table import FitPanel
from .machine_tab import MachineTab
from .state import ScenarioState


class MainWindow(QtWidgets.QMainWindow):
    redrawn = QtCore.Signal(float)  # seconds the last redraw took

    def __init__(self, state: ScenarioState, parent=None):
        super().__init__(parent)
        self.state = state
        self.setWindowTitle("vramgui — will this LLM run on this GPU?")
        self.panel = ScenarioPanel(state)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(350)
        self.memory_chart = MemoryChart()
        self.speed_chart = SpeedChart()
        self.batch_chart = TrainingBatchChart()
        self.second_chart = QtWidgets.QStackedWidget()
        self.second_chart.addWidget(self.speed_chart)
        self.second_chart.addWidget(self.batch_chart)
        self.breakdown = BreakdownStrip()
        self.fit_panel = FitPanel()
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
        right.addWidget(self.fit_panel)
        right.setSizes([560, 300])
        main = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        main.addWidget(scroll)
        main.addWidget(right)
        main.setStretchFactor(1, 1)
        main.setSizes([350, 1000])
        self.machine_tab = MachineTab(self.state)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(main, "Plan")
        self.tabs.addTab(self.machine_tab, "My machine")
        self.compare_tab = CompareTab()
        self.tabs.addTab(self.compare_tab, "Compare pinned")
        self.tabs.currentChanged.connect(lambda i: self.tabs.widget(i) is self.compare_tab and self.refresh_compare())
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.machine_tab.opened.connect(self.open_option)
        self._build_menus()
        self._pending = False
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.redraw)
        self._table_timer = QtCore.QTimer(self)
        self._table_timer.setSingleShot(True)
        self._table_timer.setInterval(0)
        self._table_timer.timeout.connect(self.redraw_table)
        self._table = None
        self.measured: list = []
        state.changed.connect(self.schedule)
        self.fit_panel.gpuChosen.connect(state.set_gpu)
        self.panel.import_button.clicked.connect(lambda: self.import_model())
        state.catalog_changed.connect(self._catalog_changed)
        self.setAcceptDrops(True)
        self.statusBar().showMessage("Memory in GiB (2^30 bytes). Hover a number for its formula.")
        self.redraw()

    # --- menus -----------------------------------------------------------------------
    def _build_menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        for text, slot, key in (("Export memory chart as PNG…", lambda: self.export_chart("memory", "png"), "Ctrl+E"),
                                ("Export speed chart as PNG…", lambda: self.export_chart("speed", "png"), None),
                                ("Export memory chart as SVG…", lambda: self.export_chart("memory", "svg"), None),
                                ("Export speed chart as SVG…", lambda: self.export_chart("speed", "svg"), None),
                                ("Export sweep data as CSV…", self.export_data, None),
                                ("Export report (Markdown or JSON)…", self.export_report, "Ctrl+S"),
                                ("Copy summary", self.copy_summary, "Ctrl+Shift+C")):
            act = file.addAction(text, slot)
            if key:
                act.setShortcut(QtGui.QKeySequence(key))
        file.addSeparator()
        file.addAction("Import model file…", self.import_model).setShortcut(QtGui.QKeySequence.StandardKey.Open)
        file.addAction("Import model folder…", lambda: self.import_model(folder=True))
        file.addAction("Save model as a user preset", self.save_model_preset)
        file.addAction("Add a custom GPU…", self.add_custom_gpu)
        file.addAction("Remove the selected user preset…", self.remove_user_preset)
        file.addSeparator()
        file.addAction("Load measured points (CSV or JSONL)…", self.load_measured)
        file.addAction("Clear measured points", self.clear_measured)
        file.addSeparator()
        file.addAction("Quit", self.close).setShortcut(QtGui.QKeySequence.StandardKey.Quit)
        scen = self.menuBar().addMenu("&Scenario")
        scen.addAction("Pin current scenario", self.state.pin).setShortcut(QtGui.QKeySequence("Ctrl+P"))
        scen.addAction("Clear pinned scenarios", self.state.clear_pins)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("Reading the charts", lambda: show_text(self, "Reading the charts", GUIDE).exec()
                            ).setShortcut(QtGui.QKeySequence.StandardKey.HelpContents)
        help_menu.addAction("About vramgui", lambda: show_text(self, "About vramgui", about_text()).exec())

    # --- drawing -------------------------------------------------------------------------
    def schedule(self) -> None:
        """Coalesce: however many changes arrive before the event loop runs, draw once."""
        if not self._timer.isActive():
            self._timer.start()

    def busy(self) -> bool:
        """True while a redraw is scheduled (charts or table)."""
        return self._timer.isActive() or self._table_timer.isActive()

    def redraw(self) -> None:
        if self.state.mode == "training":
            self.redraw_training()
        else:
            self.redraw_inference()

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
        self._table = (None, training_card_table(t, list(self.state.catalog.gpus.values())))
        self.fit_panel.set_headers(True)
        self._table_timer.start()
        self.redrawn.emit(time.perf_counter() - t0)

    def redraw_inference(self) -> None:
        """Charts and breakdown now; the fit table is painted on the next turn of the event
        loop, so a slider drag shows the charts first and a burst updates the table once."""
        t0 = time.perf_counter()
        s = self.state.scenario
        cat = self.state.catalog
        key = s.with_(gpu=next(iter(cat.gpus.values()), s.gpu))  # the table is the same for every primary
        if self._table is None or self._table[0] != key:
            self._table = (key, card_table(s, list(cat.gpus.values())))
        ids = [g.id for g in self._table[1].gpus]
        f = fit_from_table(s, self._table[1], ids.index(s.gpu.id)) if s.gpu.id in ids else fit(s)
        plan = self.state.offload_plan()
        self.memory_chart.update_from(s, f.budget_bytes, f.max_prompt_tokens, self.state.compare,
                                      spill=plan is not None)
        self.second_chart.setCurrentWidget(self.speed_chart)
        self.fit_panel.set_headers(False)
        self.speed_chart.update_from(s, f.max_batch)
        self.breakdown.update_from(s, estimate_memory(s), f, estimate_speed(s, with_knee=False), plan)
        self.memory_chart.set_measured(self.measured, s)
        self.speed_chart.set_measured(self.measured, s)
        self.memory_chart.set_pins(self.state.pins)
        self.speed_chart.set_pins(self.state.pins)
        if self.tabs.currentWidget() is self.compare_tab:
            self.refresh_compare()
        self.last_fit = f
        self._table_timer.start()
        self.redrawn.emit(time.perf_counter() - t0)

    def redraw_table(self) -> None:
        s = self.state.scenario
        output = 0 if self.state.mode == "training" else s.output_tokens
        table = self._table[1]
        plans = None
        if self.state.mode == "inference" and (self.state.ram_gb > 0 or self.state.experts_on_cpu):
            plans = {g.id: self.state.offload_plan(g) for g, fits in zip(table.gpus, table.fits, strict=True)
                     if not fits}
        self.fit_panel.set_table(table, output, s.gpu.id, plans)

    remember_session = False   # the app sets it; test windows do not write the user's settings

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.remember_session:
            from .session import save_session
            save_session(self)
        super().closeEvent(event)

    def refresh_compare(self) -> None:
        self.compare_tab.update_from(self.state.scenario, self.state.pins)

    def open_option(self, model_id: str, weights: str, engine: str) -> None:
        """A row of the machine tab becomes the current scenario."""
        mt = self.machine_tab
        st = self.state
        st.set_model(model_id)
        st.set_gpu(mt.gpu.currentData())
        st.update(weights=weights, engine=engine, n_gpus=mt.gpus.value(), prompt_tokens=mt.context.value(),
                  output_tokens=0)
        st.set_offload(ram_gb=float(mt.ram.value()))
        self.tabs.setCurrentIndex(0)

    # --- model files, user presets ------------------------------------------------------------
    def import_model(self, path: Path | None = None, folder: bool = False) -> bool:
        """Import a config.json / .safetensors / index / .gguf (or a folder) and select it.
        A bad file is reported; nothing the user had changes."""
        if path is None:
            if folder:
                chosen = QtWidgets.QFileDialog.getExistingDirectory(self, "Import model folder")
            else:
                chosen, _ = QtWidgets.QFileDialog.getOpenFileName(
                    self, "Import model file", "",
                    "Model files (config.json *.safetensors *.gguf *.index.json *.json);;All files (*)")
            if not chosen:
                return False
            path = Path(chosen)
        try:
            model = model_from_path(Path(path))
        except InputError as exc:
            self._report("Model not imported", str(exc))
            return False
        self.state.add_model(model)
        self.state.set_model(model.id)
        self.statusBar().showMessage(f"Imported {model.name} ({model.source}).", 8000)
        return True

    def save_model_preset(self, folder: Path | None = None) -> Path | None:
        model = self.state.scenario.model
        try:
            path = save_preset(model, folder)
        except InputError as exc:
            self._report("Preset not saved", str(exc))
            return None
        self.state.catalog.user_ids.add(model.id)
        self.state.catalog_changed.emit()
        self.statusBar().showMessage(f"Saved {model.name} as {path}.", 8000)
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
            self._report("Card not saved", str(exc))
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
            self.statusBar().showMessage("The selected model and card are built-in presets.", 6000)
            return False
        if confirm and QtWidgets.QMessageBox.question(self, "Remove preset", f"Remove the user preset '{ident}'?") \
                != QtWidgets.QMessageBox.StandardButton.Yes:
            return False
        try:
            remove_preset(kind, ident, folder)
        except InputError as exc:
            self._report("Preset not removed", str(exc))
            return False
        cat.user_ids.discard(ident)
        self.statusBar().showMessage(f"Removed the user preset '{ident}' (it stays selected until you pick "
                                     "another).", 8000)
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
            chosen, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Load measured points", folder,
                                                              "Measured points (*.csv *.jsonl);;All files (*)")
            if not chosen:
                return False
            path = Path(chosen)
        try:
            points = load_measured(path)
        except InputError as exc:
            self.statusBar().showMessage(str(exc), 10000)
            QtWidgets.QMessageBox.warning(self, "Measured points not loaded", str(exc))
            return False
        self.measured = points
        self.statusBar().showMessage(f"{len(points)} measured points from {Path(path).name}; hover a marker for "
                                     "its error against the estimate.", 8000)
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
            path = self._save_path("Export chart", f"_{which}.{kind}", f"{kind.upper()} (*.{kind})")
            if path is None:
                return None
        widget = self.memory_chart if which == "memory" else self.second_chart.currentWidget()
        if kind == "png":
            if width is None:
                width, ok = QtWidgets.QInputDialog.getInt(
                    self, "PNG width", "Width in pixels (default: twice the chart, sharp on slides):",
                    2 * max(widget.width(), 640), 200, 10000, 100)
                if not ok:
                    return None
            return export_png(self.chart_item(which), path, width)
        return export_svg(widget, path)

    def _save_path(self, title: str, suffix: str, filters: str) -> Path | None:
        """Ask where to save, proposing a name derived from the scenario."""
        chosen, _ = QtWidgets.QFileDialog.getSaveFileName(self, title, f"{scenario_stem(self.state.scenario)}{suffix}",
                                                          filters)
        return Path(chosen) if chosen else None

    def export_data(self, path: Path | None = None) -> Path | None:
        path = path or self._save_path("Export data", ".csv", "CSV (*.csv)")
        return None if path is None else export_csv(self.state.scenario, path)

    def export_report(self, path: Path | None = None) -> Path | None:
        path = path or self._save_path("Export report", ".md", "Markdown (*.md);;JSON (*.json)")
        return None if path is None else export_report(self.state.scenario, path, self.state.pins)

    def copy_summary(self) -> str:
        text = report_markdown(estimate_dict(self.state.scenario))
        QtWidgets.QApplication.clipboard().setText(text)
        self.statusBar().showMessage("Summary copied to the clipboard.", 4000)
        return text
