"""An ordinary edit repaints what changed once and never re-lays out the window.

Measured here (benchmarks/bench_ui.py): a QLabel's setText, QLabel.clear, a style sheet or a
range set again, a cached legend re-rendered, or a table view re-sorted by its proxy each
asked the main window for a new layout, and the tab widget then repainted the whole window
a second time after every change: about a third of the time a change took.  These tests
fail when such a request comes back."""

from collections import Counter

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from vramgui.ui.main_window import MainWindow


class Events(QtCore.QObject):
    """Counts paints per widget and layout requests per widget, application-wide."""

    def __init__(self):
        super().__init__()
        self.paints: Counter = Counter()
        self.layouts: list[str] = []
        self.repaints: Counter = Counter()      # the window's repaint requests served

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QtCore.QEvent.Type.Paint:
            self.paints[obj] += 1
        elif kind == QtCore.QEvent.Type.LayoutRequest and isinstance(obj, QtWidgets.QWidget):
            self.layouts.append(type(obj).__name__)
        elif kind == QtCore.QEvent.Type.UpdateRequest:
            self.repaints[obj] += 1
        return False


def idle(qtbot, win: MainWindow) -> None:
    """Until the redraw ran and nothing is left to paint or lay out (timers included)."""
    qtbot.waitUntil(lambda: not win.busy(), timeout=3000)
    for _ in range(4):
        qtbot.wait(10)


EDITS = {
    "batch slider": lambda p: p.batch.slider.setValue(p.batch.slider.value() + 37),
    "prompt box": lambda p: p.prompt.spin.setValue(p.prompt.value() * 2),
    "output box": lambda p: p.output.spin.setValue(p.output.value() + 100),
    "cached prefix": lambda p: p.cached.setValue(p.prompt.value() // 2),
    "weights": lambda p: p.weights.setCurrentIndex(p.weights.findData("int8")),
    "KV dtype": lambda p: p.kv.setCurrentIndex(p.kv.findData("fp8")),
    # (the pipeline stages, hidden for an engine that splits layers itself, laid the panel out again)
    "engine": lambda p: p.engine.setCurrentIndex(p.engine.findData("hf")),
}

# views an edit leaves as they were, which then must not repaint: a cached prefix changes the time to first
# token (speed chart, breakdown), not the memory or what the table shows
UNTOUCHED = {"cached prefix": ("memory chart", "fit table")}


@pytest.mark.parametrize("edit", EDITS)
def test_an_edit_paints_each_view_once_and_lays_out_nothing(win, qtbot, edit):
    app = QtWidgets.QApplication.instance()
    idle(qtbot, win)
    before = win.state.scenario
    events = Events()
    app.installEventFilter(events)
    try:
        EDITS[edit](win.panel)
        idle(qtbot, win)
    finally:
        app.removeEventFilter(events)
    assert win.state.scenario != before, "the edit changed nothing: not a test"
    assert events.layouts == [], f"{edit}: layout requests {events.layouts} (each repaints the whole window)"
    for name, view in (("memory chart", win.memory_chart.viewport()), ("speed chart", win.speed_chart.viewport()),
                       ("fit table", win.fit_panel.view.viewport())):
        times = 0 if name in UNTOUCHED.get(edit, ()) else 1
        assert events.paints[view] == times, f"{edit}: the {name} was painted {events.paints[view]} times"
    # one pass over the window, the edited control and the views together (a zero timer's redraw came after the
    # control's own repaint, and each chart's scene had the window repaint for its view alone: three passes)
    assert events.repaints[win] == 1, f"{edit}: {events.repaints[win]} repaints of the window"
    # (the breakdown strip fills its own background: the window and the four containers down to the strip
    # were painted under the changed numbers on every edit, five paint events of ~25 an edit)
    assert events.paints[win] == 0, f"{edit}: the window was painted {events.paints[win]} times under its views"
    assert events.paints[win.breakdown] <= 1, f"{edit}: the breakdown strip was painted {events.paints[win.breakdown]}"


def _pixels(image) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    return np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), -1)[:, :image.width()].copy()


def _next_row_card(win: MainWindow) -> str:
    """The card of a row next to the primary card's, both in sight."""
    view, model = win.fit_panel.view, win.fit_panel.model
    row = model.row_of(win.state.scenario.gpu.id)

    def shown(r: int) -> bool:
        return 0 <= r < model.rowCount() and 0 <= view.rowViewportPosition(r) and \
            view.rowViewportPosition(r) + view.rowHeight(r) <= view.viewport().height()
    assert shown(row)
    return model.gpu_id(next(r for r in (row + 1, row - 1) if shown(r)))


SHOWN_EDITS = {
    **EDITS,
    # a new primary card changes no figure of the table, only its highlighted row (the old row stayed
    # highlighted when the selection was made with its signals blocked): the card in the row below,
    # on screen (a card out of sight scrolls the table, which repaints it all)
    "GPU picker": lambda p: p.gpu.setCurrentIndex(p.gpu.findData(_next_row_card(p.window()))),
    "model picker": lambda p: p.model.setCurrentIndex(p.model.findData("mixtral-8x7b")),
    "number of GPUs": lambda p: p.gpus.setValue(2),
}


@pytest.mark.parametrize("edit", SHOWN_EDITS)
def test_the_window_shows_after_an_edit_what_a_fresh_render_shows(win, qtbot, edit):
    """The window repaints only what an edit changed (the charts, the table's rows, the
    strip's numbers, the edited control) into what it showed before; the result must be
    the window as a whole repaint draws it, to the pixel.  (The offscreen platform's
    window grab is that backing store, as the user would see it.)"""
    table = win.fit_panel
    table.view.scrollTo(table.model.index(table.model.row_of(win.state.scenario.gpu.id), 0),
                        QtWidgets.QAbstractItemView.ScrollHint.PositionAtTop)      # the primary's row in sight
    idle(qtbot, win)
    before = win.state.scenario
    SHOWN_EDITS[edit](win.panel)
    idle(qtbot, win)
    assert win.state.scenario != before, "the edit changed nothing: not a test"
    shown = _pixels(win.screen().grabWindow(win.winId()).toImage())
    fresh = _pixels(win.grab().toImage())
    assert shown.shape == fresh.shape
    ys, xs = np.nonzero(shown != fresh)
    assert len(ys) == 0, (f"{edit}: {len(ys)} pixels left stale in x {xs.min()}-{xs.max()}, "
                          f"y {ys.min()}-{ys.max()}")


def test_a_new_primary_card_repaints_the_rows_not_the_column_titles(win, qtbot):
    """Choosing another card moves the table's highlight; the column titles stay as they are
    (sharing the table's selection, the header repainted itself whenever the highlighted
    row moved, on most edits)."""
    app = QtWidgets.QApplication.instance()
    idle(qtbot, win)
    events = Events()
    app.installEventFilter(events)
    try:
        SHOWN_EDITS["GPU picker"](win.panel)
        idle(qtbot, win)
    finally:
        app.removeEventFilter(events)
    view = win.fit_panel.view
    assert events.paints[view.viewport()] == 1
    assert events.paints[view.horizontalHeader().viewport()] == 0


def test_a_batch_axis_moved_alone_repaints_the_speed_chart_once(win, qtbot):
    """The step plot follows the throughput plot's batch axis through pyqtgraph's link: a new
    batch range with both plots' y ranges unchanged (a batch or prompt edit that moves the
    largest batch past a power of two) used to leave the step plot's view transform to its
    paint, where moving its texts asked for a second repaint of the chart."""
    from vramgui.ui.charts import set_range

    app = QtWidgets.QApplication.instance()
    chart = win.speed_chart
    idle(qtbot, win)
    (x0, x1), thr_y = chart.thr.vb.viewRange()
    step_y = chart.step.vb.viewRange()[1]
    events = Events()
    app.installEventFilter(events)
    try:
        wider = (x0, x1 + 1.0)            # (log10 of the batch: ten times the batches)
        set_range(chart.thr, wider, thr_y)
        set_range(chart.step, wider, step_y)  # as SpeedChart.update_from sets them: the same x, its own y
        win._flush_scenes()
        idle(qtbot, win)
    finally:
        app.removeEventFilter(events)
    assert chart.step.vb.viewRange()[0] == list(wider)
    assert events.paints[chart.viewport()] == 1, f"painted {events.paints[chart.viewport()]} times"


def test_a_table_kept_on_the_primary_card_scrolls_without_painting_the_window(win, qtbot):
    """A batch edit re-sorts the table and scrolls it to keep the primary card's row in sight
    (about every other batch edit in bench_ui's drag): the scroll bar's container was not opaque,
    and Qt painted the window and the six containers down to the table under the bar."""
    app = QtWidgets.QApplication.instance()
    bar = win.fit_panel.view.verticalScrollBar()
    idle(qtbot, win)
    for batch in (2, 4, 8, 16, 32, 64, 128, 256, 512, 3, 6, 12, 24, 48, 96):
        top = bar.value()
        events = Events()
        app.installEventFilter(events)
        try:
            win.panel.batch.spin.setValue(batch)
            idle(qtbot, win)
        finally:
            app.removeEventFilter(events)
        if bar.value() != top:
            break
    else:
        pytest.fail("no batch edit scrolled the table: not a test")
    assert events.paints[bar] == 1
    assert events.paints[win] == 0, f"the window was painted {events.paints[win]} times under the scroll bar"
    # only where the style is Fusion (whose frame shows the window's colour behind the bar's gaps):
    # a native style may paint the frame's inside in another colour, and keeps Qt's way
    view, container = win.fit_panel.view, bar.parentWidget()
    assert container.autoFillBackground()
    view.setStyle(QtWidgets.QStyleFactory.create("Windows"))
    assert not container.autoFillBackground()
    view.setStyle(QtWidgets.QStyleFactory.create("Fusion"))
    assert container.autoFillBackground()


def test_a_model_with_another_context_limit_lays_out_nothing(win, qtbot):
    """A model change gives the prompt box a new range (the sweep runs to four times the model's
    limit: 16,384 for Llama 2 7B, 524,288 for Llama 3.1 8B); the box took its width from the
    range, and every model change had the whole scenario panel laid out again (70 of 100 model
    changes in bench_ui).  It is now as wide as eight digits, fixed."""
    app = QtWidgets.QApplication.instance()
    p = win.panel
    idle(qtbot, win)
    for model in ("mistral-7b", "llama3.1-8b", "llama2-7b"):
        top = p.prompt.spin.maximum()
        events = Events()
        app.installEventFilter(events)
        try:
            p.model.setCurrentIndex(p.model.findData(model))
            idle(qtbot, win)
        finally:
            app.removeEventFilter(events)
        assert p.prompt.spin.maximum() != top, "the range did not change: not a test"
        assert events.layouts == [], f"{model}: layout requests {events.layouts}"
    # (as wide as the widest value a range here holds: Llama 4 Scout's 10 M tokens, swept four times)
    assert p.prompt.spin.fontMetrics().horizontalAdvance("41,943,040") < p.prompt.spin.width()


def test_the_offload_plans_drawn_in_a_pause_leave_the_window_as_a_fresh_render(win, qtbot):
    """With System RAM entered and a model the card cannot hold, the speed chart's line of the offload plans over
    the sequences is drawn once the edits pause (outside an edit's redraw); what the window then shows, and after a
    batch edit that keeps the line, must be the window as a whole repaint draws it."""
    p = win.panel
    p.model.setCurrentIndex(p.model.findData("llama2-70b"))
    p.weights.setCurrentIndex(p.weights.findData("q4_k_m"))
    p.engine.setCurrentIndex(p.engine.findData("llamacpp"))
    p.ram.setValue(32)
    idle(qtbot, win)
    qtbot.waitUntil(lambda: not win._ram_missing(), timeout=60_000)
    idle(qtbot, win)
    line = win.speed_chart.offload_thr_curve
    assert line.xData is not None and len(line.xData) > 3
    for step in ("the pause", "a batch edit"):
        if step == "a batch edit":
            p.batch.spin.setValue(2)
            idle(qtbot, win)
            assert len(line.xData) > 3 and list(win.speed_chart.offload_thr.xData) == [2]
        shown = _pixels(win.screen().grabWindow(win.winId()).toImage())
        fresh = _pixels(win.grab().toImage())
        ys, xs = np.nonzero(shown != fresh)
        assert len(ys) == 0, f"{step}: {len(ys)} pixels left stale in x {xs.min()}-{xs.max()}, y {ys.min()}-{ys.max()}"
    p.ram.setValue(0)
    idle(qtbot, win)
