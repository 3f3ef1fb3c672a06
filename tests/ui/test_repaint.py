"""An ordinary edit repaints what changed once and never re-lays out the window.

Measured here (benchmarks/bench_ui.py): a QLabel's setText, QLabel.clear, a style sheet or a
range set again, a cached legend re-rendered, or a table view re-sorted by its proxy each
asked the main window for a new layout, and the tab widget then repainted the whole window
a second time after every change: about a third of the time a change took.  These tests
fail when such a request comes back."""

from collections import Counter

import pytest
from PySide6 import QtCore, QtWidgets

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
    "weights": lambda p: p.weights.setCurrentIndex(p.weights.findData("int8")),
    "KV dtype": lambda p: p.kv.setCurrentIndex(p.kv.findData("fp8")),
}


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
        assert events.paints[view] == 1, f"{edit}: the {name} was painted {events.paints[view]} times"
    # one pass over the window, the edited control and the views together (a zero timer's redraw came after the
    # control's own repaint, and each chart's scene had the window repaint for its view alone: three passes)
    assert events.repaints[win] == 1, f"{edit}: {events.repaints[win]} repaints of the window"
    assert events.paints[win] == 1, f"{edit}: {events.paints[win]} passes over the window"
