"""Light and dark themes: the widget palette, and the colour roles the charts draw with.

The window follows the system's colour scheme (``QStyleHints.colorScheme()`` and its
``colorSchemeChanged`` signal, Qt 6.5+) unless the user picks Light or Dark in
View → Theme; the choice applies at once and is kept in the settings.

Dark is painted with the Fusion style and an explicit palette: native styles ignore a
dark palette on some platforms (Windows' "windowsvista"), and the offscreen platform has
no colour scheme at all, while Fusion paints from the palette everywhere.  Light on a
light system keeps the native style and the platform's palette; Light on a dark system
uses Fusion's own light palette.

pyqtgraph does not read the Qt palette, so the charts take their colours from
:class:`ChartColours`.  Their data colours stay the Okabe-Ito colour-blind-safe hues; only
the lightness moves, and only as far as needed to reach a contrast floor against the chart
background (WCAG 2.x: 3:1 for lines, 4.5:1 for text), so a yellow line stays yellow-ish
and readable on white, and a blue one on near-black.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from functools import lru_cache

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

THEMES = ("system", "light", "dark")
Scheme = QtCore.Qt.ColorScheme


def theme_labels() -> dict[str, str]:
    """Menu text of each theme, translated.  (``translate`` is spelled out: pyside6-lupdate
    reads a bare ``tr("Theme", "System")`` as source "Theme" with comment "System".)"""
    translate = QtCore.QCoreApplication.translate
    return {"system": translate("Theme", "System"), "light": translate("Theme", "Light"),
            "dark": translate("Theme", "Dark")}


# --- contrast --------------------------------------------------------------------------------

def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    c = QtGui.QColor(colour)
    out = []
    for v in (c.redF(), c.greenF(), c.blueF()):
        out.append(v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4)
    return 0.2126 * out[0] + 0.7152 * out[1] + 0.0722 * out[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@lru_cache(maxsize=256)
def readable(colour: str, background: str, ratio: float) -> str:
    """``colour`` with its HLS lightness moved away from ``background`` until the contrast
    reaches ``ratio`` (hue and saturation kept); unchanged when it already does."""
    if contrast_ratio(colour, background) >= ratio:
        return QtGui.QColor(colour).name()
    c = QtGui.QColor(colour)
    h, lightness, s = colorsys.rgb_to_hls(c.redF(), c.greenF(), c.blueF())
    step = 0.01 if _luminance(background) < 0.2 else -0.01
    out = colour
    while 0.0 <= lightness <= 1.0 and contrast_ratio(out, background) < ratio:
        lightness += step
        r, g, b = colorsys.hls_to_rgb(h, min(max(lightness, 0.0), 1.0), s)
        out = QtGui.QColor.fromRgbF(r, g, b).name()
    return out


# --- chart colour roles -----------------------------------------------------------------------

@dataclass(frozen=True)
class ChartColours:
    """What the charts paint with in one theme.  Data colours go through :meth:`line` and
    :meth:`label`, which keep their hue and lift their contrast."""

    name: str
    background: str
    foreground: str                     # axes, tick labels, titles, legend text
    muted: str                          # secondary labels (the current-value marker)
    rule: str                           # card capacity and usable-budget lines
    panel: tuple[int, int, int, int]    # legend and read-out boxes, RGBA
    marker_fill: str                    # measured points: a ring of foreground on this
    grid_alpha: float

    def line(self, colour: str) -> str:
        """A data line's colour: at least 3:1 against the background."""
        return readable(colour, self.background, 3.0)

    def label(self, colour: str) -> str:
        """Text drawn in a data colour: at least 4.5:1 against the background."""
        return readable(colour, self.background, 4.5)


LIGHT = ChartColours("light", background="#ffffff", foreground="#202020", muted="#404040", rule="#202020",
                     panel=(255, 255, 255, 215), marker_fill="#ffffff", grid_alpha=0.15)
DARK = ChartColours("dark", background="#1e1f22", foreground="#dadada", muted="#b8b8b8", rule="#e8e8e8",
                    panel=(43, 45, 48, 225), marker_fill="#1e1f22", grid_alpha=0.18)


# --- widget palettes --------------------------------------------------------------------------

DARK_ROLES = {
    "Window": "#2b2d30", "WindowText": "#e6e6e6", "Base": "#1e1f22", "AlternateBase": "#26282b",
    "ToolTipBase": "#3a3c40", "ToolTipText": "#f0f0f0", "PlaceholderText": "#9a9da3", "Text": "#e6e6e6",
    "Button": "#3a3c40", "ButtonText": "#e6e6e6", "BrightText": "#ffffff", "Light": "#4e5157",
    "Midlight": "#3f4246", "Mid": "#9a9da3", "Dark": "#151618", "Shadow": "#000000",
    "Highlight": "#2f65ca", "HighlightedText": "#ffffff", "Link": "#56b4e9", "LinkVisited": "#cc79a7",
    "Accent": "#2f65ca",
}
DARK_DISABLED = {"WindowText": "#74777c", "Text": "#74777c", "ButtonText": "#74777c",
                 "Highlight": "#45484d", "HighlightedText": "#b0b0b0"}


def dark_palette() -> QtGui.QPalette:
    """Dark window, base and text; a blue highlight white text reads on (5.5:1)."""
    pal = QtGui.QPalette()
    for role, colour in DARK_ROLES.items():
        pal.setColor(getattr(QtGui.QPalette.ColorRole, role), QtGui.QColor(colour))
    for role, colour in DARK_DISABLED.items():
        pal.setColor(QtGui.QPalette.ColorGroup.Disabled, getattr(QtGui.QPalette.ColorRole, role),
                     QtGui.QColor(colour))
    return pal


def light_palette() -> QtGui.QPalette:
    """Fusion's own light palette, for Light on a dark system."""
    return QtWidgets.QStyleFactory.create("Fusion").standardPalette()


def resolve(setting: str, scheme: Scheme) -> str:
    """The theme drawn ("light" or "dark") for a setting and the system's scheme."""
    if setting == "system":
        return "dark" if scheme == Scheme.Dark else "light"
    return setting


# --- the switch -------------------------------------------------------------------------------

class ThemeManager(QtCore.QObject):
    """Holds the user's setting, follows the system's scheme, applies the palette and tells
    the charts (``changed`` carries the new :class:`ChartColours`)."""

    changed = QtCore.Signal(object)

    def __init__(self, app: QtWidgets.QApplication):
        super().__init__(app)
        self.app = app
        self.native_style = app.style().name()
        self.setting = "system"
        self.scheme = app.styleHints().colorScheme()
        self.colours = LIGHT
        app.styleHints().colorSchemeChanged.connect(self.system_scheme_changed)

    @property
    def effective(self) -> str:
        return resolve(self.setting, self.scheme)

    def set_theme(self, setting: str) -> ChartColours:
        """Apply ``setting`` (system, light or dark; anything else counts as system)."""
        self.setting = setting if setting in THEMES else "system"
        return self.apply()

    def system_scheme_changed(self, scheme: Scheme) -> None:
        """The system switched light/dark: follow it when the setting is "system"."""
        self.scheme = scheme
        if self.setting == "system":
            self.apply()

    def apply(self) -> ChartColours:
        dark = self.effective == "dark"
        if dark or self.scheme == Scheme.Dark:      # the platform palette would be dark: paint our own
            self._set_style("Fusion")
            self.app.setPalette(dark_palette() if dark else light_palette())
        else:
            self._set_style(self.native_style)
            self.app.setPalette(QtGui.QPalette())   # an empty palette resolves to the platform's
        self.colours = DARK if dark else LIGHT
        pg.setConfigOptions(background=self.colours.background, foreground=self.colours.foreground)
        self.changed.emit(self.colours)
        return self.colours

    def _set_style(self, name: str) -> None:
        # setStyle re-polishes every widget: only when the style really changes
        if self.app.style().name().lower() != name.lower():
            self.app.setStyle(name)


_MANAGER: ThemeManager | None = None


def manager(app: QtWidgets.QApplication | None = None) -> ThemeManager:
    """The application's theme manager, made on first use."""
    global _MANAGER
    app = app or QtWidgets.QApplication.instance()
    if _MANAGER is None or _MANAGER.app is not app:
        _MANAGER = ThemeManager(app)
    return _MANAGER


def apply_theme(app: QtWidgets.QApplication, name: str) -> ChartColours:
    """Switch ``app`` to theme ``name`` (system, light, dark) now."""
    return manager(app).set_theme(name)


# --- restyling pyqtgraph items ----------------------------------------------------------------

def style_plot(plot: pg.PlotItem, c: ChartColours) -> None:
    """Axes, tick labels, axis titles, grid and title of one plot."""
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(c.foreground)
        axis.setTextPen(c.foreground)
    grid = getattr(plot, "chart_grid", None)       # (charts.PlotGrid)
    if grid is not None:
        grid.set_colours(c.foreground, c.grid_alpha, c.background)
    plot.titleLabel.setAttr("color", c.foreground)
    plot.titleLabel.setText(plot.titleLabel.text)
    if plot.legend is not None:
        style_legend(plot.legend, c)


def style_legend(legend: pg.LegendItem, c: ChartColours) -> None:
    legend.setBrush(pg.mkBrush(*c.panel))
    legend.setLabelTextColor(c.foreground)
    for sample, label in legend.items:     # setLabelTextColor only stores the colour: re-render
        label.setText(label.text)
        sample.update()                    # (a cached sample would keep its curve's old colour)


def recolour(item, colour: str, label: str | None = None) -> None:
    """A new colour for an InfiniteLine or a PlotDataItem's pen, keeping its width, dash and
    cosmetic flag (so lines stay one crisp device pixel wide at any DPI); ``label`` colours
    an InfiniteLine's text."""
    pen = QtGui.QPen(item.pen if isinstance(item, pg.InfiniteLine) else item.opts["pen"])
    pen.setColor(QtGui.QColor(colour))
    item.setPen(pen)
    if label is not None and getattr(item, "label", None) is not None:
        item.label.setColor(label)


def style_markers(item: pg.PlotDataItem, c: ChartColours) -> None:
    """Measured points: a ring in the foreground colour around the background colour."""
    item.setSymbolBrush(pg.mkBrush(c.marker_fill))
    item.setSymbolPen(pg.mkPen(c.foreground, width=2))


def style_text(item: pg.TextItem, c: ChartColours, boxed: bool = False) -> None:
    item.setColor(c.foreground)
    if boxed:
        item.fill = pg.mkBrush(*c.panel)
        item.update()
