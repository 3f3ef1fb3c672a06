"""The explain panel, opened through View → Explain and driven through the controls;
expected numbers are worked out by hand (Llama 2 7B: 32 layers, 32 KV heads of 128)."""

import pytest
from PySide6 import QtGui
from support import settle

import vramgui.ui.main_window as main_window
from vramgui.core import estimate_memory
from vramgui.core.units import GIB

pytestmark = pytest.mark.gui


def explain_menu_action(win) -> QtGui.QAction:
    view = next(a.menu() for a in win.menuBar().actions() if a.menu() is win.view_menu)
    return next(a for a in view.actions() if a is win.explain_action)


def shown_text(win) -> str:
    return win.explain_panel.toPlainText()


def kv_gib(tokens: int) -> str:
    return f"{2 * 32 * 32 * 128 * 2 * tokens / GIB:,.2f} GiB"


def test_the_menu_opens_the_panel_on_the_current_scenario(qtbot, win):
    assert not win.explain_panel.isVisible() and shown_text(win) == ""
    explain_menu_action(win).trigger()
    qtbot.waitUntil(lambda: "KV cache" in shown_text(win))
    text = shown_text(win)
    assert win.explain_panel.isVisible() and win.explain_action.isChecked()
    assert "2 × 32 × 32 × 128 × 2 bytes × 4,352 tokens × 1" in text and kv_gib(4352) in text   # 2.12 GiB
    assert f"{float(estimate_memory(win.state.scenario).kv_cache) / GIB:,.2f} GiB" in text
    for title in ("Weights", "KV cache", "Activations", "Runtime overhead", "Total", "Decode step",
                  "Time to first token"):
        assert title in text
    assert text.count("Source:") >= 10
    assert "1,008 GB/s" in text and "nvidia-ada-gpu-architecture.pdf" in text    # the datasheet and its source
    # the menu entry closes it again: the fit table comes back
    explain_menu_action(win).trigger()
    assert win.fit_panel.isVisible() and not win.explain_panel.isVisible()


def test_a_control_changes_the_shown_numbers(qtbot, win):
    explain_menu_action(win).trigger()
    qtbot.waitUntil(lambda: kv_gib(4352) in shown_text(win))
    win.panel.prompt.spin.setValue(10_000)
    settle(qtbot, win)
    qtbot.waitUntil(lambda: "10,256 tokens" in shown_text(win))
    assert kv_gib(10_256) in shown_text(win)                                       # 5.01 GiB
    assert "4,352 tokens" not in shown_text(win)


def test_a_hidden_panel_costs_no_rebuild(qtbot, win, monkeypatch):
    calls = []
    real = main_window.explain_items
    monkeypatch.setattr(main_window, "explain_items", lambda s: calls.append(s) or real(s))
    for value in (1000, 2000, 3000):
        win.panel.prompt.spin.setValue(value)
        settle(qtbot, win)
    assert calls == []
    explain_menu_action(win).trigger()
    qtbot.waitUntil(lambda: "3,256 tokens" in shown_text(win))
    assert len(calls) == 1


def test_fine_tuning_mode_explains_the_training_job(qtbot, win):
    explain_menu_action(win).trigger()
    win.panel.mode.setCurrentIndex(win.panel.mode.findData("training"))
    settle(qtbot, win)
    qtbot.waitUntil(lambda: "Optimizer states" in shown_text(win))
    assert "Trainable parameters" in shown_text(win) and "Source:" in shown_text(win)
