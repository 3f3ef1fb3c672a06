"""Themes: the View → Theme menu switches the palette and the charts live, the choice is
kept in the settings, and "System" follows the platform's colour scheme."""

import colorsys

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from vramgui.ui import session, theme
from vramgui.ui.charts import BLUE, GREEN, GREY, ORANGE, PURPLE, SKY, VERMILION, YELLOW
from vramgui.ui.fit_table import FIT, NOFIT, SPLIT

pytestmark = pytest.mark.gui
OKABE_ITO = (BLUE, ORANGE, GREEN, VERMILION, SKY, PURPLE, YELLOW, GREY)


@pytest.fixture
def win(win, qapp):
    """The shared window; afterwards the application's theme is put back."""
    yield win
    m = theme.manager()                      # leave the application as the next test expects it
    m.scheme = qapp.styleHints().colorScheme()
    m.set_theme("system")


def menu_action(win, name: str) -> QtGui.QAction:
    """The View → Theme entry for ``name``, found through the menu bar."""
    view = next(a.menu() for a in win.menuBar().actions() if a.menu() is win.view_menu)
    themes = next(a.menu() for a in view.actions() if a.menu() is win.theme_menu)
    return next(a for a in themes.actions() if a.data() == name)


def window_lightness(widget) -> int:
    return widget.palette().color(QtGui.QPalette.ColorRole.Window).lightness()


def chart_background(chart) -> str:
    return chart.backgroundBrush().color().name()


def test_dark_from_the_menu_changes_palette_and_charts(qtbot, win):
    assert window_lightness(win) > 200 and chart_background(win.memory_chart) == "#ffffff"
    menu_action(win, "dark").trigger()
    qtbot.waitUntil(lambda: window_lightness(win) < 80)
    assert QtWidgets.QApplication.style().name().lower() == "fusion"
    assert win.palette().color(QtGui.QPalette.ColorRole.Text).lightness() > 200
    assert chart_background(win.memory_chart) == chart_background(win.speed_chart) == theme.DARK.background
    axis = win.memory_chart.getPlotItem().getAxis("left")
    assert axis.textPen().color().name() == theme.DARK.foreground
    assert win.memory_chart.capacity.pen.color().name() == theme.DARK.rule   # no longer near-black on near-black
    assert win.memory_chart.capacity.pen.isCosmetic()                          # still one device pixel per width unit
    # the painted chart really is dark (a corner outside the plot area)
    assert QtGui.QColor(win.memory_chart.grab().toImage().pixel(3, 3)).lightness() < 60
    assert menu_action(win, "dark").isChecked()
    menu_action(win, "light").trigger()
    qtbot.waitUntil(lambda: window_lightness(win) > 200)
    assert chart_background(win.memory_chart) == "#ffffff"


def test_fit_table_keeps_its_words_in_dark(qtbot, win):
    menu_action(win, "dark").trigger()
    qtbot.waitUntil(lambda: window_lightness(win.fit_panel.view) < 80 and not win.busy())
    verdicts = [v for _, v in win.fit_panel.row_texts()]
    assert verdicts and all(v.strip() for v in verdicts)          # text, never the colour alone
    base = win.fit_panel.view.palette().color(QtGui.QPalette.ColorRole.Base).name()
    for colour in (FIT, SPLIT, NOFIT):                             # the squares read on the dark base (3:1)
        assert theme.contrast_ratio(colour.name(), base) >= 3.0


def test_breakdown_headings_keep_text_contrast_in_both_themes(qtbot, win):
    # WCAG 1.4.3: 4.5:1 for text; the headings are muted ink, computed from the current palette
    for name in ("light", "dark"):
        menu_action(win, name).trigger()
        dark = name == "dark"
        qtbot.waitUntil(lambda dark=dark: (window_lightness(win) < 80) == dark)
        head = win.breakdown.heads[0]
        ink = head.styleSheet().split("color:")[1].strip(" ;")
        paper = win.breakdown.palette().color(QtGui.QPalette.ColorRole.Window).name()
        assert theme.contrast_ratio(ink, paper) >= 4.5, (name, ink, paper)


def test_system_follows_the_colour_scheme(qtbot, win):
    menu_action(win, "system").trigger()
    win.theme.system_scheme_changed(QtCore.Qt.ColorScheme.Dark)
    qtbot.waitUntil(lambda: window_lightness(win) < 80)
    assert chart_background(win.memory_chart) == theme.DARK.background
    win.theme.system_scheme_changed(QtCore.Qt.ColorScheme.Light)
    qtbot.waitUntil(lambda: window_lightness(win) > 200)
    assert chart_background(win.memory_chart) == "#ffffff"
    # an explicit choice wins over the system: Light stays light on a dark system
    menu_action(win, "light").trigger()
    win.theme.system_scheme_changed(QtCore.Qt.ColorScheme.Dark)
    qtbot.wait(50)
    assert window_lightness(win) > 200 and chart_background(win.memory_chart) == "#ffffff"
    assert menu_action(win, "light").isChecked()


def test_the_setting_round_trips(tmp_path, win):
    store = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    assert session.load_theme(store) == "system"
    session.save_theme("dark", store)
    assert session.load_theme(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)) \
        == "dark"
    menu_action(win, "light").trigger()
    session.save_session(win, store)
    assert session.load_theme(store) == "light"
    store.setValue(session.THEME_KEY, "purple")        # an edited file falls back to the system's
    assert session.load_theme(store) == "system"


@pytest.mark.parametrize("colours", [theme.LIGHT, theme.DARK], ids=["light", "dark"])
def test_data_colours_read_on_both_backgrounds_and_keep_their_hue(colours):
    for colour in OKABE_ITO:
        line, label = colours.line(colour), colours.label(colour)
        assert theme.contrast_ratio(line, colours.background) >= 3.0, colour     # WCAG 1.4.11, graphics
        assert theme.contrast_ratio(label, colours.background) >= 4.5, colour    # WCAG 1.4.3, text
        if colour != GREY:
            assert abs(_hue(line) - _hue(colour)) < 0.03, colour                 # same hue: still Okabe-Ito
    assert theme.contrast_ratio(colours.foreground, colours.background) >= 7.0
    assert theme.contrast_ratio(colours.rule, colours.background) >= 7.0


def test_dark_palette_text_contrast():
    pal = theme.dark_palette()
    role = QtGui.QPalette.ColorRole
    for fg, bg in ((role.WindowText, role.Window), (role.Text, role.Base), (role.HighlightedText, role.Highlight),
                   (role.ButtonText, role.Button), (role.Mid, role.Window)):
        assert theme.contrast_ratio(pal.color(fg).name(), pal.color(bg).name()) >= 4.5, (fg, bg)


def _hue(colour: str) -> float:
    c = QtGui.QColor(colour)
    return colorsys.rgb_to_hls(c.redF(), c.greenF(), c.blueF())[0]
