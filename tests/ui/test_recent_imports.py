"""File → Recent imports: newest first, at most eight, kept in the settings, a vanished
file greyed out, a click imports again."""

import pytest
from filemakers import write_gguf, write_safetensors
from PySide6 import QtCore, QtWidgets

from vramgui.core import Scenario, load_catalog
from vramgui.ui import session
from vramgui.ui.main_window import MainWindow
from vramgui.ui.state import ScenarioState

pytestmark = pytest.mark.gui


@pytest.fixture
def settings(tmp_path, monkeypatch):
    path = tmp_path / "settings.ini"
    monkeypatch.setenv("VRAMGUI_SETTINGS", str(path))
    return path


def make_window(qtbot, monkeypatch, remember=True):
    cat = load_catalog()
    w = MainWindow(ScenarioState(cat, Scenario(model=cat.model("llama2-7b"), gpu=cat.gpu("rtx4090"))))
    qtbot.addWidget(w)
    w.remember_session = remember
    w.warnings = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a: w.warnings.append(a[2]))
    w.show()
    return w


def entries(win) -> list[QtWidgets.QWidget]:
    """The menu's path entries as the user sees them when it opens."""
    win.recent_menu.aboutToShow.emit()
    return [a for a in win.recent_menu.actions() if a.data()]


def test_imports_are_listed_newest_first_and_a_click_imports_again(qtbot, monkeypatch, settings, tmp_path):
    win = make_window(qtbot, monkeypatch)
    assert entries(win) == [] and not win.recent_menu.actions()[0].isEnabled()     # "No imports yet"
    gguf = write_gguf(tmp_path / "tiny.gguf", "Q8_0")
    folder = write_safetensors(tmp_path / "st").parent
    assert win.import_model(gguf) and win.import_model(folder)
    assert win.import_model(gguf)                                 # again: moves to the top, not listed twice
    shown = entries(win)
    assert [a.data() for a in shown] == [str(gguf.absolute()), str(folder.absolute())]
    assert shown[0].text().startswith("&1 ") and shown[0].text().endswith("tiny.gguf") and shown[0].isEnabled()
    assert shown[1].toolTip() == str(folder.absolute())
    assert win.state.scenario.model.name == "tiny-gguf"
    shown[1].trigger()                                            # the folder, imported again
    assert win.state.scenario.model.name == "llama-test"
    assert [a.data() for a in entries(win)][0] == str(folder.absolute())


def test_the_list_is_kept_and_restored_at_start(qtbot, monkeypatch, settings, tmp_path):
    win = make_window(qtbot, monkeypatch)
    paths = [write_gguf(tmp_path / f"m{i}.gguf", "Q8_0") for i in range(10)]
    for p in paths:
        assert win.import_model(p)
    stored = session.load_recent_imports()
    assert stored == [p.absolute() for p in reversed(paths)][:8]   # newest first, eight at most
    fresh = make_window(qtbot, monkeypatch)
    fresh.set_recent_imports(session.load_recent_imports())       # what the app does at start
    assert [a.data() for a in entries(fresh)] == [str(p) for p in stored]


def test_a_vanished_file_is_greyed_out_with_why(qtbot, monkeypatch, settings, tmp_path):
    win = make_window(qtbot, monkeypatch)
    keep, gone = write_gguf(tmp_path / "keep.gguf", "Q8_0"), write_gguf(tmp_path / "gone.gguf", "Q8_0")
    assert win.import_model(keep) and win.import_model(gone)
    gone.unlink()
    first, second = entries(win)
    assert not first.isEnabled() and "(not found)" in first.text() and "no longer exists" in first.toolTip()
    assert second.isEnabled()
    # it stays listed (an unplugged disk comes back) and shows again once the file does
    write_gguf(gone, "Q8_0")
    assert entries(win)[0].isEnabled()


def test_a_failed_import_is_not_listed_and_the_list_can_be_cleared(qtbot, monkeypatch, settings, tmp_path):
    win = make_window(qtbot, monkeypatch)
    bad = tmp_path / "config.json"
    bad.write_text("{not json")
    assert not win.import_model(bad) and win.warnings
    assert entries(win) == []
    assert win.import_model(write_gguf(tmp_path / "ok.gguf", "Q8_0"))
    clear = next(a for a in win.recent_menu.actions() if a.text() == "Clear the list")
    clear.trigger()
    assert entries(win) == [] and session.load_recent_imports() == []


def test_windows_of_the_tests_do_not_write_the_settings(qtbot, monkeypatch, settings, tmp_path):
    win = make_window(qtbot, monkeypatch, remember=False)
    assert win.import_model(write_gguf(tmp_path / "x.gguf", "Q8_0"))
    assert len(entries(win)) == 1 and session.load_recent_imports() == []


@pytest.mark.parametrize("raw", ["{broken", "42", '{"a": 1}', '["", 7, null]'])
def test_a_corrupt_stored_list_reads_as_empty(tmp_path, raw):
    store = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    store.setValue(session.RECENT_KEY, raw)
    assert session.load_recent_imports(store) == []
