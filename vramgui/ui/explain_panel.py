"""The explain panel: the formula behind each number of the current scenario, the same
formula with the user's numbers, and where every assumption comes from.

The content comes from ``core.explain`` (the source of the breakdown's tooltips too) and
is built only while the panel is visible (:class:`~vramgui.ui.lazy.RebuildWhenShown`): a
redraw with the panel hidden stores a callable and nothing more, so slider drags cost
nothing extra.  With the panel open, a rebuild takes about 10 ms, mostly Qt's text layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.explain import Explanation
from .lazy import RebuildWhenShown


def muted_colour(palette: QtGui.QPalette) -> str:
    """Text colour 40 % of the way to the background: secondary, still above 4.5:1 in both
    themes (light: #666 on white, dark: #9a9a9b on #1e1f22)."""
    text = palette.color(QtGui.QPalette.ColorRole.Text)
    base = palette.color(QtGui.QPalette.ColorRole.Base)
    mix = [round(t + (b - t) * 0.4) for t, b in zip(text.getRgb()[:3], base.getRgb()[:3], strict=True)]
    return QtGui.QColor(*mix).name()


def render_html(heading: str, items: Sequence[Explanation], muted: str, source_word: str,
                formula_word: str, numbers_word: str) -> str:
    """Simple rich text: the scenario (a title line, then a muted line), then per item a
    heading with its result, the formula, the numbers, a muted note, and each assumption
    with a muted "Source:" line."""
    title, _, subtitle = heading.partition("\n")
    out = [f"<h3 style='margin-top:0; margin-bottom:2px'>{escape(title)}</h3>"]
    if subtitle:
        out.append(f"<p style='margin:0; color:{muted}'>{escape(subtitle)}</p>")
    for e in items:
        out.append(f"<h4 style='margin-top:12px; margin-bottom:3px'>{escape(e.title)} — "
                   f"{escape(e.result)}</h4>")
        out.append(f"<p style='margin:0'><span style='color:{muted}'>{escape(formula_word)}</span> "
                   f"<i>{escape(e.formula)}</i></p>")
        if e.substituted:
            out.append(f"<p style='margin:2px 0 0 0'><span style='color:{muted}'>{escape(numbers_word)}</span> "
                       f"{escape(e.substituted)}</p>")
        if e.note:
            out.append(f"<p style='margin:2px 0 0 0; color:{muted}'>{escape(e.note)}</p>")
        for a in e.assumptions:
            out.append(f"<p style='margin:5px 0 0 14px'><b>{escape(a.name)}</b>: {escape(a.value)}<br>"
                       f"<span style='color:{muted}'>{escape(source_word)} {escape(a.source)}</span></p>")
    return "\n".join(out)


class ExplainPanel(RebuildWhenShown, QtWidgets.QTextBrowser):
    """Read-only rich text; :meth:`set_source` hands it a way to build the items."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setWordWrapMode(QtGui.QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)  # long source URLs
        self.setMinimumWidth(300)
        self._make: Callable[[], Sequence[Explanation]] | None = None
        self._heading = ""
        self._init_rebuild()

    def set_source(self, heading: str, make: Callable[[], Sequence[Explanation]]) -> None:
        """The scenario changed: remember how to explain it; rebuild soon if shown."""
        self._heading, self._make = heading, make
        self.mark_stale()

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() in (QtCore.QEvent.Type.PaletteChange, QtCore.QEvent.Type.LanguageChange):
            self.mark_stale()         # the muted colour and words follow
        super().changeEvent(event)

    def rebuild(self) -> None:
        if self._make is None or not self._start_rebuild():
            return
        bar = self.verticalScrollBar()
        keep = bar.value()            # stay where the reader is while a slider moves
        self.setHtml(render_html(self._heading, self._make(), muted_colour(self.palette()), self.tr("Source:"),
                                 self.tr("Formula:"), self.tr("Here:")))
        bar.setValue(keep)
