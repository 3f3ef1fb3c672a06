"""The note under the model picker: where the model's figures come from, in two lines of a
fixed height, so the controls below stay where they are as the user goes through models."""

from PySide6 import QtCore, QtGui, QtWidgets
from support import settle
from test_repaint import Events, idle

from vramgui.ui.controls import short_source, two_lines


def test_addresses_drop_their_scheme_and_the_files_revision():
    assert short_source("https://huggingface.co/Qwen/Qwen-7B/blob/d4efd21e866b9cb3466cb65b963933f5e98016d1/"
                        "config.json") == "huggingface.co/Qwen/Qwen-7B · config.json"
    assert short_source("https://huggingface.co/THUDM/chatglm3-6b/blame/d4cd7d0a/config.json") == \
        "huggingface.co/THUDM/chatglm3-6b · config.json"
    assert short_source("from header of /tmp/tiny.gguf") == "from header of /tmp/tiny.gguf"


def test_a_long_text_breaks_after_a_separator_and_keeps_its_end(qtbot):
    font = QtGui.QFont()
    font.setPointSizeF(8.0)
    fm = QtGui.QFontMetrics(font)
    text = "huggingface.co/mistralai/Mixtral-8x7B-Instruct-v0.1-with-a-much-longer-name · config.json"
    assert two_lines("config.json", fm, 200) == ("config.json",)
    width = fm.horizontalAdvance("huggingface.co/mistralai/Mix")      # the first line ends before "Mix"
    first, second = two_lines(text, fm, width)
    assert first == "huggingface.co/mistralai/"
    assert second.endswith("config.json") and "…" in second
    assert fm.horizontalAdvance(first) <= width and fm.horizontalAdvance(second) <= width


def test_every_models_source_fits_two_lines_of_one_height(win, qtbot):
    note = win.panel.provenance
    settle(qtbot, win)
    height, width = note.height(), note.contentsRect().width()
    fm = note.fontMetrics()
    assert height == 2 * fm.lineSpacing() + 2
    for model in win.state.catalog.models.values():
        note.setText(model.source)
        lines = note.lines()
        assert 1 <= len(lines) <= 2 and note.height() == height
        assert all(fm.horizontalAdvance(line) <= width for line in lines), model.id
        short = short_source(model.source)
        assert short.startswith(lines[0]), model.id
        if len(lines) == 2 and "…" not in lines[1]:
            assert short.endswith(lines[1]), model.id
    assert note.text() == model.source


def test_choosing_another_model_moves_no_control(win, qtbot):
    """Llama 2 13B's source takes two lines as a wrapped label did, Phi-3 Medium's took four (a
    commit's address); both models have a 4,096-token limit (the prompt box keeps its range):
    going from one to the other lays nothing out again, and the GPU picker stays put."""
    p = win.panel
    p.model.setCurrentIndex(p.model.findData("llama2-13b"))
    idle(qtbot, win)
    where = p.gpu.mapTo(win, QtCore.QPoint(0, 0))
    app = QtWidgets.QApplication.instance()
    events = Events()
    app.installEventFilter(events)
    try:
        p.model.setCurrentIndex(p.model.findData("phi3-medium"))
        idle(qtbot, win)
    finally:
        app.removeEventFilter(events)
    assert win.state.scenario.model.id == "phi3-medium"
    assert events.layouts == []
    assert p.gpu.mapTo(win, QtCore.QPoint(0, 0)) == where
    assert p.provenance.toolTip().startswith(win.state.scenario.model.source)
    assert p.provenance.lines() == ("huggingface.co/microsoft/", "Phi-3-medium-4k-instruct · config.json")
