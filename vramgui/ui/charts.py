"""The two live charts.  Items are built once and updated with ``setData``; ranges are
set explicitly (no auto-range on every update).  Units are GiB (2^30 bytes), ms and
tokens/s, written on the axes."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.InfiniteLine import InfLineLabel
from pyqtgraph.graphicsItems.LegendItem import ItemSample
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QT_TRANSLATE_NOOP

from ..core import Scenario, estimate_memory
from ..core.cards import budgets
from ..core.presets import GPU
from ..core.speed import SpeedResult, estimate_speed, log_sweep, prefill_time, prompt_split
from ..core.sweeps import batch_end
from ..core.units import GIB
from . import theme
from .i18n import Retranslates, duration, integer, num, rate, signed, translate
from .wording import name_forms

# Okabe-Ito colour-blind-safe palette
BLUE, ORANGE, GREEN, VERMILION, SKY, PURPLE, YELLOW, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#7f7f7f")
# (key, legend label, colour); the labels are translated where they are shown
BANDS = (("weights", QT_TRANSLATE_NOOP("Charts", "Weights"), "#5aa0d8"),
         ("kv_cache", QT_TRANSLATE_NOOP("Charts", "KV cache"), "#f2c14e"),
         ("activations", QT_TRANSLATE_NOOP("Charts", "Activations"), "#4fc3a1"),
         ("overhead", QT_TRANSLATE_NOOP("Charts", "Overhead"), "#d9a3c4"))
TRAINING_BANDS = (("weights", QT_TRANSLATE_NOOP("Charts", "Weights"), "#5aa0d8"),
                  ("gradients", QT_TRANSLATE_NOOP("Charts", "Gradients"), "#f28e6b"),
                  ("optimizer", QT_TRANSLATE_NOOP("Charts", "Optimizer states"), "#b39ddb"),
                  ("activations", QT_TRANSLATE_NOOP("Charts", "Activations"), "#4fc3a1"),
                  ("overhead", QT_TRANSLATE_NOOP("Charts", "Overhead"), "#d9a3c4"))
COMPARE_COLOURS = (SKY, VERMILION, YELLOW, GREY)
PIN_COLOURS = ("#000000", "#CC79A7", "#0072B2", "#E69F00")
PIN_STYLES = (QtCore.Qt.PenStyle.DashLine, QtCore.Qt.PenStyle.DotLine, QtCore.Qt.PenStyle.DashDotLine,
              QtCore.Qt.PenStyle.DashDotDotLine)


def pin_label(i: int, s) -> str:
    return translate("Charts", "pin {i}: {model} · {weights} · {n}×{gpu}").format(
        i=i + 1, model=s.model.name, weights=s.weights, n=s.n_gpus, gpu=s.gpu.id)


def rename_legend(legend: pg.LegendItem, names: list[tuple[pg.GraphicsObject, str]]) -> None:
    """Give legend entries new names (a language change) without rebuilding the curves."""
    for curve, name in names:
        label = legend.getLabel(curve)
        if label is not None:
            label.setText(name)
        curve.opts["name"] = name
    legend.updateSize()


def _recolour_pins(curves: list[pg.PlotCurveItem], c: theme.ChartColours) -> None:
    """The first pin is drawn in ink (the theme's foreground), the others in their hues."""
    for curve, colour in zip(curves, PIN_COLOURS, strict=True):
        theme.recolour(curve, c.foreground if colour == "#000000" else c.line(colour))


class Curve(pg.PlotCurveItem):
    """A line (or filled area) given in data units on a log-x chart.

    pyqtgraph's PlotDataItem maps data to log axes itself but spends ~0.25 ms of Python a
    ``setData`` (display sets, bounds, a scatter item); the charts replace a dozen curves on
    every change, so they use bare curve items and take the logarithm here.  The data as
    given stay readable with :meth:`getOriginalDataset`, as on a PlotDataItem."""

    smooth_fill = False       # fill areas anti-aliased even under an outline (see :meth:`paint`)

    def __init__(self, log_y: bool = False, **opts):
        self.log_y = log_y
        self._data = (np.zeros(0), np.zeros(0))
        self._extent: list[tuple | None] = [None, None]     # (min, max) of the x and the y data, when asked
        super().__init__(**opts)
        if opts.get("brush") is not None:       # the legend draws a filled swatch from this key
            self.opts["fillBrush"] = self.opts["brush"]

    def setData(self, *args, **kw):
        if len(args) == 2:
            x, y = (np.asarray(a, dtype=np.float64) for a in args)
            if (not kw and x.shape == self._data[0].shape and y.shape == self._data[1].shape
                    and np.array_equal(x, self._data[0]) and np.array_equal(y, self._data[1], equal_nan=True)):
                return          # same data: no new path, no repaint
            self._data = (x, y)
            with np.errstate(divide="ignore", invalid="ignore"):
                args = (np.log10(x), np.log10(y) if self.log_y else y)
        super().setData(*args, **kw)

    def getOriginalDataset(self) -> tuple[np.ndarray, np.ndarray]:
        return self._data

    def updateData(self, *args, **kw):  # noqa: N802 (pyqtgraph's name)
        self._extent = [None, None]
        super().updateData(*args, **kw)

    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph's names)
        """pyqtgraph's bounds of the whole data (what the bounding rectangle asks for, twice
        a change for each curve) from a minimum and maximum kept per data set, without its
        warning filters and NaN-aware passes (~20 us a call); all-NaN data has none.  Other
        requests (a fraction, a range of the other axis) are pyqtgraph's."""
        if frac < 1.0 or orthoRange is not None or ax not in (0, 1):
            return super().dataBounds(ax, frac, orthoRange)
        extent = self._extent[ax]
        if extent is None:
            d = self.xData if ax == 0 else self.yData
            if d is None or len(d) == 0:
                return (None, None)
            lo, hi = float(d.min()), float(d.max())
            if not (math.isfinite(lo) and math.isfinite(hi)):       # NaN or inf: the finite values'
                d = d[np.isfinite(d)]
                if len(d) == 0:
                    return (None, None)
                lo, hi = float(d.min()), float(d.max())
            extent = self._extent[ax] = (lo, hi)
        lo, hi = extent
        fill = self.opts["fillLevel"]
        if ax == 1 and fill not in (None, "enclosed"):
            lo, hi = min(lo, float(fill)), max(hi, float(fill))
        for pen in (self.opts["pen"], self.opts["shadowPen"]):       # a non-cosmetic pen's width, as pyqtgraph
            if pen is not None and not pen.isCosmetic() and pen.style() != QtCore.Qt.PenStyle.NoPen:
                lo, hi = lo - pen.widthF() * 0.7072, hi + pen.widthF() * 0.7072
        return (lo, hi)

    def _shouldUseFillPathList(self) -> bool:  # noqa: N802 (pyqtgraph's name)
        """Fill the area as one path.  pyqtgraph fills it in chunks of 50 points (quicker for
        long curves), and the anti-aliased edges where two chunks meet showed as faint
        vertical seams through the stacked bands; for the charts' 160 points one path is
        as quick."""
        return False

    def paint(self, p, opt, widget):
        """pyqtgraph's paint, but a filled area with an outline is filled without anti-aliasing:
        its edges lie under the outline, drawn anti-aliased over them, so the two look the same
        (at most a few pixels along a band's edge differ, by under a tenth of the colour range)
        and the smoothed fill of the stacked bands was a quarter of a memory chart's repaint.
        Exports (PNG, SVG) keep pyqtgraph's fill, as does ``smooth_fill`` (for the tests to compare)."""
        fill = self.opts["fillLevel"]
        brush, pen = self.opts["brush"], self.opts["pen"]
        if (fill is None or self.smooth_fill or self._exportOpts is not False
                or self.xData is None or len(self.xData) == 0
                or brush is None or brush.style() == QtCore.Qt.BrushStyle.NoBrush
                or pen is None or pen.style() == QtCore.Qt.PenStyle.NoPen):
            super().paint(p, opt, widget)
            return
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        p.fillPath(self._getFillPath(), brush)
        self.opts["fillLevel"] = None            # the outline, as pyqtgraph draws a curve without a fill
        try:
            super().paint(p, opt, widget)
        finally:
            self.opts["fillLevel"] = fill

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt's name)
        """pyqtgraph's rectangle (the data's bounds padded by the pen's half width), with the
        pixel's size taken from the view range and the view box's size instead of mapping
        a pixel into the curve's coordinates: a range change asked that of every curve,
        twice, about a millisecond a change under cProfile (``tests/ui/test_chart_axis.py``
        compares)."""
        if self._boundingRect is None:
            vb = self.getViewBox()
            if not isinstance(vb, pg.ViewBox) or vb.width() <= 0 or vb.height() <= 0:
                return super().boundingRect()
            (xmn, xmx), (ymn, ymx) = self.dataBounds(ax=0), self.dataBounds(ax=1)
            if None in (xmn, xmx, ymn, ymx):
                return QtCore.QRectF()
            pad = self.pixelPadding()
            (x0, x1), (y0, y1) = vb.viewRange()
            px, py = pad * (x1 - x0) / vb.width(), pad * (y1 - y0) / vb.height()
            self._boundingRect = QtCore.QRectF(xmn - px, ymn - py, 2 * px + xmx - xmn, 2 * py + ymx - ymn)
        return self._boundingRect


def add_curve(p: pg.PlotItem, log_y: bool = False, **opts) -> Curve:
    """A :class:`Curve` on ``p`` (listed in its legend when it has a name)."""
    curve = Curve(log_y=log_y, **opts)
    p.addItem(curve)
    return curve


def pin_curves(p: pg.PlotItem, log_y: bool = False) -> list[Curve]:
    """Four dashed lines for pinned scenarios, hidden until used."""
    out = []
    for colour, style in zip(PIN_COLOURS, PIN_STYLES, strict=True):
        c = add_curve(p, log_y, pen=_pen(colour, 2.2, style))
        c.setZValue(15)
        c.setVisible(False)
        out.append(c)
    return out
SWEEP_POINTS = 160
MIN_PROMPT = 16


def sweep_top(s: Scenario, max_prompt: int | None) -> int:
    """Right end of the context sweep: four times the model's limit, the current prompt
    doubled, and the largest prompt that fits (within 64 times the limit)."""
    ctx = s.model.architecture.max_context
    top = max(4 * ctx, 2 * s.prompt_tokens, 1024)
    if max_prompt is not None:
        top = max(top, min(int(max_prompt * 1.25), 64 * ctx))
    return int(min(2 ** np.ceil(np.log2(top)), 2**24))   # a power of two: the axis moves in steps, not per token

pg.setConfigOptions(antialias=True, background="w", foreground="#202020")


def human(x: float) -> str:
    """1, 20, 500, 2k, 50k, 1M: short tick labels for log axes."""
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if x >= div:
            v = x / div
            return f"{v:.0f}{unit}" if v >= 10 or v.is_integer() else f"{v:.1f}{unit}"
    return f"{x:.0f}" if x >= 1 else f"{x:.2g}"


#: Ranges an axis or a grid keeps what it drew for (the charts' ranges come back: see ChartAxis).
KEPT_RANGES = 256


def _kept(cache: dict, key, make, size: int = KEPT_RANGES):
    """``cache[key]``, else ``make()``'s value kept there, the oldest entry dropped once the
    cache holds ``size``."""
    value = cache.get(key)
    if value is None:
        if len(cache) >= size:
            cache.pop(next(iter(cache)))
        value = cache[key] = make()
    return value


class ChartAxis(pg.AxisItem):
    """The charts' axis: log axes labelled 1-2-5 per decade in plain numbers (no 3·10¹
    clutter), and the drawn ticks and labels kept per range (the grid is the plot's
    :class:`PlotGrid`, under the data).

    The ticks are laid out again whenever the range moves (pyqtgraph's layout took 1-2 ms
    an axis here, :meth:`generateDrawSpecs` about half); scenarios come back to the same few
    ranges (power-of-two sweep tops, quarter decades, 1-2-2.5-5 tops), so the recorded
    picture is kept for the last ``KEEP`` ranges and replayed when one returns.  The key
    holds everything the drawing depends on: range, log mode, geometry, pens and style.
    A picture is about 2 KB; over 1,500 random edits 256 kept pictures an axis lay the ticks
    out 0.19 times an edit, 48 kept 0.31 times."""

    KEEP = KEPT_RANGES

    def __init__(self, *args, **kw):
        self._style_key: tuple | None = None     # the style dict as a key (set in _picture_key)
        self._tick_values: dict[tuple, list] = {}
        super().__init__(*args, **kw)
        self._pictures: dict[tuple, QtGui.QPicture] = {}

    def setStyle(self, **kwargs):  # noqa: N802 (pyqtgraph's name)
        self._style_key = None
        return super().setStyle(**kwargs)

    def setTickFont(self, font):  # noqa: N802
        self._style_key = None
        return super().setTickFont(font)

    #: Size of each tick label as the painter measures it, per (font, text): laying out the
    #: ticks measured every label anew (41 measurements for a linear memory axis).
    _text_rects: dict[tuple[str, int, str], QtCore.QRectF] = {}

    def generateDrawSpecs(self, p):  # noqa: N802 (pyqtgraph's name)
        """pyqtgraph 0.14's tick layout (the same ticks, pens, label rectangles and choice of
        label levels), written for speed: labels are measured once per font and text, and
        no pyqtgraph ``Point`` is made per tick (1.1-2.3 ms an axis in pyqtgraph, 0.6-1.0 ms here;
        ``tests/ui/test_chart_axis.py`` compares the two on random ranges)."""
        style = self.style
        if style["tickFont"] is not None:
            p.setFont(style["tickFont"])
        bounds = self.mapRectFromParent(self.geometry())
        view = self.linkedView()
        tick_bounds = bounds if view is None or self.grid is False else view.mapRectToItem(self, view.boundingRect())
        qp = QtCore.QPointF
        o = self.orientation
        if o == "left":
            span = [bounds.topRight() + qp(-1.0, -1.0), bounds.bottomRight() + qp(-1.0, 1.0)]
            tick_start, tick_stop, tick_dir, axis = tick_bounds.right(), bounds.right(), -1, 0
        elif o == "right":
            span = [bounds.topLeft() + qp(1.0, -1.0), bounds.bottomLeft() + qp(1.0, 1.0)]
            tick_start, tick_stop, tick_dir, axis = tick_bounds.left(), bounds.left(), 1, 0
        elif o == "top":
            span = [bounds.bottomLeft() + qp(-1.0, -1.0), bounds.bottomRight() + qp(1.0, -1.0)]
            tick_start, tick_stop, tick_dir, axis = tick_bounds.bottom(), bounds.bottom(), -1, 1
        else:
            span = [bounds.topLeft() + qp(-1.0, 1.0), bounds.topRight() + qp(1.0, 1.0)]
            tick_start, tick_stop, tick_dir, axis = tick_bounds.top(), bounds.top(), 1, 1
        ends = [self.mapToDevice(x) for x in span]
        if None in ends:
            return None
        length = float(np.hypot(ends[1].x() - ends[0].x(), ends[1].y() - ends[0].y()))
        if length == 0:
            return None
        if self._tickLevels is None:
            levels, level_strings = self.tickValues(self.range[0], self.range[1], length), None
        else:
            levels = [(None, [v for v, _ in level]) for level in self._tickLevels]
            level_strings = [[t for _, t in level] for level in self._tickLevels]
        r0, r1 = self.range
        dif = r1 - r0
        if dif == 0:
            scale, offset = 1.0, 0.0
        elif axis == 0:
            scale = -bounds.height() / dif
            offset = r0 * scale - bounds.height()
        else:
            scale = bounds.width() / dif
            offset = r0 * scale
        lo, hi = sorted((r0 * scale - offset, r1 * scale - offset))

        positions: list[list[float | None]] = []
        tick_specs = []
        base_pen = self.tickPen()
        simple = base_pen.brush().style() == QtCore.Qt.BrushStyle.SolidPattern
        for i, (_, ticks) in enumerate(levels):
            tick_length = style["tickLength"] / (i * 0.5 + 1.0)
            alpha = style["tickAlpha"]
            if alpha is None:
                alpha = 255 / (i + 1)
                if self.grid is not False:
                    alpha *= self.grid / 255.0 * min(max(0.05 * length / (len(ticks) + 1), 0.0), 1.0)
            elif isinstance(alpha, float):
                alpha = min(255, max(0, int(round(alpha * 255))))
            pen = base_pen
            if simple:
                pen = QtGui.QPen(base_pen)
                colour = QtGui.QColor(pen.color())
                colour.setAlpha(int(alpha))
                pen.setColor(colour)
            level_pos = []
            for v in ticks:
                x = v * scale - offset
                if x < lo or x > hi:
                    level_pos.append(None)
                    continue
                level_pos.append(x)
                end = tick_stop if self.grid is not False else tick_stop + tick_length * tick_dir
                if axis == 0:
                    tick_specs.append((pen, qp(tick_start, x), qp(end, x)))
                else:
                    tick_specs.append((pen, qp(x, tick_start), qp(x, end)))
            positions.append(level_pos)

        stop_at = style["stopAxisAtTick"]
        if stop_at[0] or stop_at[1]:
            shown = [x for level in positions for x in level if x is not None]
            if stop_at[0] and shown:
                span[0] = qp(span[0].x(), max(span[0].y(), min(shown))) if axis == 0 else \
                    qp(max(span[0].x(), min(shown)), span[0].y())
            if stop_at[1] and shown:
                span[1] = qp(span[1].x(), min(span[1].y(), max(shown))) if axis == 0 else \
                    qp(min(span[1].x(), max(shown)), span[1].y())
        axis_spec = (self.pen(), span[0], span[1])
        text_specs: list = []
        if not style["showValues"]:
            return axis_spec, tick_specs, text_specs

        text_offset = style["tickTextOffset"][axis]
        font_key = (p.font().key(), p.device().logicalDpiY())
        measured = self._text_rects
        text_rects: list[QtCore.QRectF] = []
        last_size2 = 0.0
        inside = self.boundingRect()
        A = QtCore.Qt.AlignmentFlag
        align = {"left": A.AlignRight | A.AlignVCenter, "right": A.AlignLeft | A.AlignVCenter,
                 "top": A.AlignHCenter | A.AlignBottom, "bottom": A.AlignHCenter | A.AlignTop}[o]
        flags = align | QtCore.Qt.TextFlag.TextDontClip
        for i in range(min(len(levels), style["maxTextLevel"] + 1)):
            if level_strings is None:
                spacing, values = levels[i]
                strings = self.tickStrings(values, self.autoSIPrefixScale * self.scale, spacing)
            else:
                strings = list(level_strings[i])
            if len(strings) == 0:
                continue
            rects: list[QtCore.QRectF | None] = []
            for j, text in enumerate(strings):
                if positions[i][j] is None or text is None:
                    rects.append(None)
                    strings[j] = None
                    continue
                br = measured.get((*font_key, text))
                if br is None:
                    br = p.boundingRect(QtCore.QRectF(0, 0, 100, 100), A.AlignCenter, text)
                    br.setHeight(br.height() * 0.8)     # (pyqtgraph: a bit too large otherwise)
                    measured[(*font_key, text)] = br
                rects.append(br)
                text_rects.append(br)
            if text_rects:
                along = [r.height() if axis == 0 else r.width() for r in text_rects]
                across = [r.width() if axis == 0 else r.height() for r in text_rects]
                size, size2 = float(sum(along)), float(max(across))
            else:
                size = size2 = 0.0
            if i > 0 and any(len(text_specs) >= n and size / length >= limit for n, limit in style["textFillLimits"]):
                break                   # the labels would crowd: this level goes without
            last_size2 = size2
            gap = max(0, style["tickLength"]) + text_offset
            for j, text in enumerate(strings):
                if text is None:
                    continue
                x, br = positions[i][j], rects[j]
                h, w = br.height(), br.width()
                if o == "left":
                    rect = QtCore.QRectF(tick_stop - gap - w, x - h / 2, w, h)
                elif o == "right":
                    rect = QtCore.QRectF(tick_stop + gap, x - h / 2, w, h)
                elif o == "top":
                    rect = QtCore.QRectF(x - w / 2.0, tick_stop - gap - h, w, h)
                else:
                    rect = QtCore.QRectF(x - w / 2.0, tick_stop + gap, w, h)
                if inside & rect != rect:
                    continue
                text_specs.append((rect, flags, text))
        self._updateMaxTextSize(last_size2)
        return axis_spec, tick_specs, text_specs

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        """pyqtgraph's tick values, kept for the last :data:`KEPT_RANGES` ranges (as the pictures):
        the axis and the plot's grid (:class:`PlotGrid`) ask for the same ones, and over 1,500
        random edits they are worked out 0.19 times an edit (0.57 keeping 16)."""
        key = (minVal, maxVal, size, self.logMode, self.scale, repr(self._tickSpacing), self.style["maxTickLevel"])
        return _kept(self._tick_values, key, lambda: super(ChartAxis, self).tickValues(minVal, maxVal, size))

    def tickStrings(self, values, scale, spacing):
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        out = []
        for v in values:
            x = float(f"{10.0 ** v:.3g}")
            mant = x / 10.0 ** math.floor(math.log10(x) + 1e-9)
            out.append(human(x) if min(abs(mant - k) for k in (1, 2, 5)) < 0.02 else "")
        return out

    def _picture_key(self) -> tuple:
        def plain(v):
            if isinstance(v, QtGui.QFont):
                return v.key()
            if isinstance(v, list | tuple):
                return tuple(plain(x) for x in v)
            return v if isinstance(v, int | float | str | bool | type(None)) else repr(v)

        if self._style_key is None:     # the style changes only through setStyle / setTickFont
            self._style_key = tuple(sorted((k, plain(v)) for k, v in self.style.items()))
        return (tuple(self.range), self.logMode, self.grid, self.geometry().getRect(), self.boundingRect().getRect(),
                self.pen().color().rgba(), self.pen().widthF(), self.textPen().color().rgba(),
                self.tickPen().color().rgba(), self._tickLevels, self._tickSpacing, self.scale,
                self.autoSIPrefixScale, self._style_key)

    def paint(self, p, opt, widget):
        if self._exportOpts or p.paintEngine().type() == QtGui.QPaintEngine.Type.SVG:   # an export
            self._paint_export(p)       # (``widget`` tells nothing: Qt fills an item's cache without one)
            return
        if self.picture is None:
            key = self._picture_key()
            picture = self._pictures.pop(key, None)
            if picture is None:
                picture = self._record()[0]
                if len(self._pictures) >= self.KEEP:
                    self._pictures.pop(next(iter(self._pictures)))
            self._pictures[key] = picture          # (re)inserted last: the oldest goes first
            self.picture = picture
        self.picture.play(p)

    def _record(self) -> tuple[QtGui.QPicture, tuple | None]:
        """The ticks and labels laid out with a picture's painter (the screen's text
        measures), drawn into that picture; and the layout (``None``: nothing to draw)."""
        picture = QtGui.QPicture()
        painter = QtGui.QPainter(picture)
        try:
            if self.style["tickFont"]:
                painter.setFont(self.style["tickFont"])
            specs = self.generateDrawSpecs(painter)
            if specs is not None:
                self.drawPicture(painter, *specs)
        finally:
            painter.end()
        return picture, specs

    def _paint_export(self, p: QtGui.QPainter) -> None:
        """An export: the ticks and labels the screen shows drawn straight onto the export's
        painter.  A recorded picture replays at the wrong scale into an SVG (its 72 dpi
        against the screen's), and a layout measured with the SVG's painter finds room for
        more labels than the screen shows."""
        specs = self._record()[1]
        if specs is None:
            return
        p.save()
        try:
            if self.style["tickFont"]:
                p.setFont(self.style["tickFont"])
            self.drawPicture(p, *specs)
        finally:
            p.restore()


class PlotGrid(QtWidgets.QGraphicsObject):
    """A plot's background and grid, drawn under the data as one opaque image.

    pyqtgraph draws the grid with the axes: each axis item then spans the whole plot, and
    its cached picture, a translucent pixmap the size of the plot, was blended over the
    data on every repaint (0.3 ms of the memory chart's 1.9 ms repaint, measured with the
    grid shown and hidden in turn) and drawn again, that size, whenever a range moved.
    Here the axes draw only their ticks and labels, and the grid lines (the axes' ticks,
    with pyqtgraph's alpha per tick level and density) are blended over the background once
    per range and size into an image that each repaint copies.  Exports (no widget) get the
    lines as vector strokes instead."""

    def __init__(self, plot: pg.PlotItem, alpha: float = 0.15):
        super().__init__(plot.vb)
        self.plot = plot
        self.setZValue(-1e5)                     # under the data (the view box's own background is at -1e6)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
        self.ink, self.alpha, self.background = QtGui.QColor("#202020"), alpha, QtGui.QColor("#ffffff")
        self._image: tuple[tuple, QtGui.QImage] | None = None
        self._lines: tuple[dict, dict] = ({}, {})     # per side: (range, length, ...) -> its lines
        self._row: tuple[tuple, np.ndarray, dict] | None = None   # ((x side, colours), the vertical lines' row,
        #                                                            its packed pixels: see _render_rows)
        plot.vb.sigResized.connect(self._resized)
        plot.vb.sigRangeChanged.connect(lambda *_: self.update())

    def set_colours(self, ink: str, alpha: float, background: str) -> None:
        self.ink, self.alpha, self.background = QtGui.QColor(ink), alpha, QtGui.QColor(background)
        self.update()

    def _resized(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt's name)
        return self.plot.vb.rect()

    def lines(self, length: float, orientation: str) -> list[tuple[float, float]]:
        """(pixels from the left / top, alpha) of each grid line along one side of ``length``
        pixels, from the ticks of that side's axis (asked for as the axis asks: its line
        runs a pixel past each end of the plot)."""
        axis = self.plot.getAxis("bottom" if orientation == "x" else "left")
        lo, hi = axis.range
        if hi <= lo or length <= 0:
            return []
        out = []
        for i, (_, ticks) in enumerate(axis.tickValues(lo, hi, length + 2)):
            alpha = self.alpha / (i + 1) * min(max(0.05 * (length + 2) / (len(ticks) + 1), 0.0), 1.0)
            for v in ticks:
                frac = (v - lo) / (hi - lo)
                if 0.0 <= frac <= 1.0:
                    out.append(((frac if orientation == "x" else 1.0 - frac) * length, alpha))
        return out

    def _side(self, axis: int, length: float) -> tuple[tuple, list]:
        """(key, lines) of one side (0: x, the vertical lines; 1: y), kept by its range, length,
        alpha and log mode: most changes move one range of a plot, not both, and ranges recur."""
        name = "bottom" if axis == 0 else "left"
        key = (tuple(self.plot.vb.viewRange()[axis]), length, self.alpha, self.plot.getAxis(name).logMode)
        return key, _kept(self._lines[axis], key, lambda: self.lines(length, "x" if axis == 0 else "y"))

    def paint(self, p, opt, widget=None):
        rect = self.boundingRect()
        w, h = rect.width(), rect.height()
        if w < 1 or h < 1:
            return
        (x_key, xs), (y_key, ys) = self._side(0, w), self._side(1, h)
        if widget is None:      # an export (the grid is never cached): vector lines over its background
            pen = QtGui.QPen()
            pen.setCosmetic(True)
            for lines, vertical in ((xs, True), (ys, False)):
                for at, alpha in lines:
                    colour = QtGui.QColor(self.ink)
                    colour.setAlphaF(min(alpha, 1.0))
                    pen.setColor(colour)
                    p.setPen(pen)
                    p.drawLine(QtCore.QPointF(at, 0), QtCore.QPointF(at, h)) if vertical else \
                        p.drawLine(QtCore.QPointF(0, at), QtCore.QPointF(w, at))
            return
        ratio = widget.devicePixelRatioF()
        # whole device pixels, drawn at their own size without smoothing: a copy (0.04 ms); into the
        # box's fractional size Qt scales the image (0.16 ms, 1 ms smoothed).  A fraction of a pixel
        # left at the right and bottom edges shows the chart's background, the same colour.
        colours = (ratio, self.ink.rgb(), self.background.rgb())
        if self._image is None or self._image[0] != (x_key, y_key, colours):
            row_key = (x_key, colours)
            if self._row is None or self._row[0] != row_key:      # the vertical lines: one row, kept
                self._row = (row_key, self._row_rgb(int(w * ratio), ratio, xs), {})
            self._image = ((x_key, y_key, colours), self._render_rows(self._row[1], int(h * ratio), ratio, ys,
                                                                      self._row[2]))
        smooth = QtGui.QPainter.RenderHint.SmoothPixmapTransform
        was_smooth = p.testRenderHint(smooth)
        p.setRenderHint(smooth, False)
        p.drawImage(rect.topLeft(), self._image[1])
        p.setRenderHint(smooth, was_smooth)

    def _render(self, w: int, h: int, ratio: float, xs, ys) -> QtGui.QImage:
        """The background with the grid blended in, ``w`` x ``h`` device pixels: a row with
        the vertical lines repeated down the image, and the rows of the horizontal lines
        blended over it (lines on one pixel blend as if drawn one over the other)."""
        return self._render_rows(self._row_rgb(w, ratio, xs), h, ratio, ys)

    @staticmethod
    def _coverage(lines, n: int, ratio: float) -> np.ndarray:
        """Alpha of the ink on each of ``n`` pixels: 1 - product of (1 - alpha) over its lines."""
        clear = np.ones(n)
        for at, alpha in lines:          # (a few dozen lines: a loop is quicker than np.multiply.at)
            clear[min(max(int(at * ratio), 0), n - 1)] *= 1.0 - alpha
        return 1.0 - clear

    def _row_rgb(self, w: int, ratio: float, xs) -> np.ndarray:
        """One row of ``w`` pixels: the background with the vertical lines blended in, (w, 3) floats."""
        bg = np.array(self.background.getRgb()[:3], dtype=np.float64)
        ink = np.array(self.ink.getRgb()[:3], dtype=np.float64)
        cols = self._coverage(xs, w, ratio)[:, None]
        return bg * (1 - cols) + ink * cols

    def _render_rows(self, row: np.ndarray, h: int, ratio: float, ys, packed_rows: dict | None = None
                     ) -> QtGui.QImage:
        """``row`` repeated down ``h`` pixels, the horizontal lines blended over it.
        ``packed_rows``: the row's pixels, plain (key None) and with the ink blended in at an
        alpha (key: the alpha), kept with the row by the caller: a y range that moves over the
        same x range (most range changes) then only copies rows (half the render's time)."""
        kept = {} if packed_rows is None else packed_rows

        def packed(a) -> np.ndarray:
            px = kept.get(a)
            if px is None:
                rgb = row if a is None else row * (1 - a) + np.array(self.ink.getRgb()[:3], dtype=np.float64) * a
                px = np.rint(rgb).astype(np.uint32)
                px = kept[a] = (0xFF << 24) | (px[..., 0] << 16) | (px[..., 1] << 8) | px[..., 2]
            return px

        w = row.shape[0]
        pixels = np.empty((h, w), dtype=np.uint32)
        pixels[:] = packed(None)
        rows = self._coverage(ys, h, ratio)
        for a in np.unique(rows[rows > 0]):     # (a few tick levels: one blended row each)
            pixels[rows == a] = packed(float(a))
        image = QtGui.QImage(pixels.data, w, h, 4 * w, QtGui.QImage.Format.Format_RGB32)
        image.setDevicePixelRatio(ratio)
        image.pixels = pixels          # (the image reads the array's memory: keep it alive with it)
        return image


class Veil(QtWidgets.QGraphicsRectItem):
    """A translucent band across the whole height of a plot between two x values (data
    units), under the markers: a plain Qt rectangle, painted by Qt without a call into
    Python (pyqtgraph's LinearRegionItem measured its bounds from the view on every repaint,
    a sixth of a memory chart's paint).  Its height follows the plot's y range."""

    def __init__(self, plot: pg.PlotItem, brush: QtGui.QBrush):
        super().__init__()
        self._region = (0.0, 1.0)
        self.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        self.setBrush(brush)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
        self.vb = plot.vb
        plot.addItem(self, ignoreBounds=True)
        self.vb.sigYRangeChanged.connect(self._fit)

    def getRegion(self) -> tuple[float, float]:  # noqa: N802 (pyqtgraph's name, as LinearRegionItem)
        return self._region

    def setRegion(self, region: tuple[float, float]) -> None:  # noqa: N802
        self._region = (float(region[0]), float(region[1]))
        self._fit()

    def _fit(self, *_) -> None:
        (x0, x1), (y0, y1) = self._region, self.vb.viewRange()[1]
        rect = QtCore.QRectF(x0, y0, x1 - x0, y1 - y0)
        if rect != self.rect():
            self.setRect(rect)


def _quiet(item: QtWidgets.QGraphicsItem) -> None:
    """No itemChange call into Python for each move or transform of ``item``: pyqtgraph's
    graphics objects ask for them to tell their view box that their bounds moved, for an
    auto-range the charts never use (their ranges are set; marker lines and texts are added
    without bounds), 40 calls a change."""
    item.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges, False)


class _Unhooked:
    """For text items: keep them upright and unscaled as pyqtgraph's TextItem does (its
    transform follows the view's, on a view transform change and when shown), without also
    checking that on every repaint of the chart (pyqtgraph hooks each text item to the scene's
    "about to paint" signal; a dozen items a chart, 0.08 ms a change); and :func:`_quiet`."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        _quiet(self)

    def paint(self, p, *args):
        scene = self.scene()
        if scene is not self._lastScene:         # (pyqtgraph's first paint in a scene, less the hook)
            self._lastScene = scene
            self.updateTransform()
            p.setTransform(self.sceneTransform())
        super().paint(p, *args)


class ChartText(_Unhooked, pg.TextItem):
    """A chart's text (read-outs, notes): pyqtgraph's TextItem, see :class:`_Unhooked`."""


class MarkerLabel(_Unhooked, InfLineLabel):
    """A marker's label that moves without pyqtgraph's general geometry: its line is
    horizontal or vertical, so the point along it comes from the line's bounding rectangle
    (see :class:`Marker`), the view rectangle is asked for only when the label has two
    anchors to choose from, and an anchor set again is not laid out again.  While its line
    is hidden (a compared card's line with no card to compare) a range change leaves it be;
    it is placed when the line is shown (:meth:`Marker.setVisible`)."""

    stale = False        # a range, the value or the text changed while the line was hidden

    def viewTransformChanged(self):  # noqa: N802 (pyqtgraph's name)
        if not self.line.isVisible():
            self.stale = True
            return
        self.stale = False
        super().viewTransformChanged()

    def valueChanged(self):  # noqa: N802 (pyqtgraph's name)
        """pyqtgraph's, but the text is set only when it differs: the charts write the numbers
        into the format themselves, so a moved line keeps its text, and each setText lays the
        text out again (60 us) and has it drawn anew (1.6 of the 3.9 a change were the same).
        A text set while the line is hidden is shown when the line is (:meth:`Marker.setVisible`;
        pyqtgraph's dropped it, and a label shown again kept its old number)."""
        if not self.isVisible():
            self.stale = True
            return
        text = self.format.format(value=self.line.value())
        if text != self.textItem.toPlainText():
            self.setText(text)
        self.updatePosition()

    def updatePosition(self):  # noqa: N802 (pyqtgraph's name)
        self._endpoints = (None, None)
        r = self.line.boundingRect()
        if r.isNull():
            return
        self.setPos(QtCore.QPointF(r.left() + (r.right() - r.left()) * self.orthoPos, 0.0))
        first, second = self.anchors[0], self.anchors[1]
        if tuple(first) != tuple(second):
            vr = self.line.viewRect()
            if vr is None:
                return
            first = first if vr.center().y() < 0 else second
        self.setAnchor(first)

    def setAnchor(self, anchor):  # noqa: N802
        if self.anchor is None or (self.anchor[0], self.anchor[1]) != (anchor[0], anchor[1]):
            super().setAnchor(anchor)


class Marker(pg.InfiniteLine):
    """A horizontal or vertical rule with a :class:`MarkerLabel`.  pyqtgraph computes an
    infinite line's bounding rectangle by mapping the view into the line's coordinates and
    measuring a pixel there, on every range change and move (with the labels' positions
    about 1.5 ms of each change under cProfile); for a line along an axis both come straight from the
    view range and the view box's size (``tests/ui/test_chart_axis.py`` checks the two
    agree).  The line itself is a Qt line item drawn by Qt, the pen's and ends pyqtgraph's
    paint would use, set as they change (pyqtgraph draws it in a paint call into Python, three
    or four a chart on every repaint); the marker draws nothing of its own."""

    def __init__(self, *args, label=None, labelOpts=None, **kw):  # noqa: N803 (pyqtgraph's name)
        self._stroke: QtWidgets.QGraphicsLineItem | None = None
        super().__init__(*args, **kw)
        _quiet(self)
        self._stroke = QtWidgets.QGraphicsLineItem(self)
        self._stroke.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
        self._stroke_pen()
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setZValue(1)            # over the bands (0 and below) and a chart's veils
        if label is not None:
            self.label = MarkerLabel(self, text=label, **(labelOpts or {}))

    def _stroke_pen(self) -> None:
        if self._stroke is not None:
            pen = QtGui.QPen(self.currentPen)
            pen.setJoinStyle(QtCore.Qt.PenJoinStyle.MiterJoin)
            self._stroke.setPen(pen)

    def setPen(self, *args, **kw) -> None:  # noqa: N802 (pyqtgraph's name)
        super().setPen(*args, **kw)
        self._stroke_pen()

    def setMouseHover(self, hover) -> None:  # noqa: N802
        super().setMouseHover(hover)
        self._stroke_pen()

    def viewTransformChanged(self) -> None:  # noqa: N802
        """A range change or a move: the drawn line's ends follow at once (nothing asks the
        bounds of an item that draws nothing before its line is drawn)."""
        super().viewTransformChanged()
        if self._stroke is not None and self.isVisible():
            self.boundingRect()

    def setVisible(self, visible: bool) -> None:  # noqa: N802 (Qt's name)
        super().setVisible(visible)
        if visible and self._stroke is not None:
            self.boundingRect()
        label = getattr(self, "label", None)
        if visible and isinstance(label, MarkerLabel) and label.stale:
            label.stale = False
            label.valueChanged()                # its text and place, as they are now
            label.viewTransformChanged()

    def _end_points(self, left: float, right: float) -> None:
        self._endPoints = (left, right)
        if self._stroke is not None:
            line = QtCore.QLineF(left, 0.0, right, 0.0)
            if self._stroke.line() != line:
                self._stroke.setLine(line)

    def _computeBoundingRect(self):  # noqa: N802
        vb = self.getViewBox()
        if self.angle % 90 != 0 or not isinstance(vb, pg.ViewBox) or vb.width() <= 0 or vb.height() <= 0:
            br = super()._computeBoundingRect()
            if self._endPoints[0] is not None:
                self._end_points(*self._endPoints)
            return br
        (x0, x1), (y0, y1) = vb.viewRange()
        v = self.value()
        if self.angle % 180 == 0:          # along x; across: data y, less the line's value
            vr = QtCore.QRectF(x0, y0 - v, x1 - x0, y1 - y0)
            px = (y1 - y0) / vb.height()
        else:                              # turned a quarter: along the data's y, across its x
            vr = QtCore.QRectF(y0, v - x1, y1 - y0, x1 - x0)
            px = (x1 - x0) / vb.width()
        pw = max(self.pen.width() / 2, self.hoverPen.width() / 2)
        w = (self._maxMarkerSize + pw + 1) * px
        length = vr.width()
        left, right = vr.left() + length * self.span[0], vr.left() + length * self.span[1]
        br = QtCore.QRectF(left, -w, right - left, 2 * w).normalized()
        vs = vb.size()
        if self._bounds != br or self._lastViewSize != vs:
            self._bounds = br
            self._lastViewSize = vs
            self.prepareGeometryChange()
        self._end_points(left, right)
        self._lastViewRect = vr
        return self._bounds


def setup_plot(p: pg.PlotItem, title: str, left: str, bottom: str | None, log_x: bool = True,
               log_y: bool = False) -> None:
    """One look for every plot: units in the labels, no SI prefixes, light grid, fixed ranges
    (set by the code, never auto-ranged on each update), no mouse zoom or context menu."""
    if title:
        p.setTitle(title)
    p.setLabel("left", left)
    if bottom:
        p.setLabel("bottom", bottom)
    for name in ("left", "bottom"):
        p.getAxis(name).setStyle(tickLength=4)     # short ticks outside the plot, by their labels
    for name in ("left", "bottom", "top", "right"):   # (the hidden top and right axes follow every range
        p.getAxis(name).enableAutoSIPrefix(False)      # too: with a prefix to find, each move set their titles)
    p.setLogMode(x=log_x, y=log_y)
    p.chart_grid = PlotGrid(p)
    p.setMenuEnabled(False)
    p.disableAutoRange()
    p.setMouseEnabled(x=False, y=False)
    fix_axis_sizes(p)


def fix_axis_sizes(p: pg.PlotItem) -> None:
    """Give the left and bottom axes a fixed size, wide enough for the longest tick label
    the charts write (``88,888`` / ``888.8``) plus the axis title.  Left to themselves the
    axes fit their width to the current labels: a range going from ``5-25`` to ``100-250``
    then resizes the view box during the paint, which invalidates every item and paints the
    chart a second time."""
    left, bottom = p.getAxis("left"), p.getAxis("bottom")
    fm = QtGui.QFontMetrics(left.style.get("tickFont") or QtGui.QFont())
    label_fm = QtGui.QFontMetrics(left.label.font())
    left.setWidth(fm.horizontalAdvance("88,888") + left.style["tickTextOffset"][0] + label_fm.height() + 14)
    bottom.setHeight(fm.height() + bottom.style["tickTextOffset"][1] + label_fm.height() + 10)


def stacked_curves(p: pg.PlotItem, bands: tuple) -> list[Curve]:
    """Stacked areas: each cumulative curve is filled down to zero and drawn back to front
    with opaque brushes, so the visible strip of each colour is its band (cheaper to update
    and paint than FillBetweenItems)."""
    curves = []
    for z, (_, label, colour) in enumerate(bands):
        curve = add_curve(p, pen=_pen(_darker(colour), 1.0), brush=_fill(colour, 255), fillLevel=0,
                          name=translate("Charts", label))
        curve.setZValue(-z)
        curves.append(curve)
    return curves


def _axes(*names: str) -> dict:
    return {n: ChartAxis(orientation=n) for n in names}


def cache_static_items(root: QtWidgets.QGraphicsItem) -> None:
    """Axes, legends and texts change far less often than the curves: keep them as cached
    pixmaps so a repaint of the plot blits them instead of drawing their text again.  Qt
    caches an item without its children, so every text item under ``root`` (titles, axis
    labels, marker labels, legend entries) gets its own cache; call again after adding
    entries to a legend."""
    cache = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache
    kinds = (pg.AxisItem, pg.LegendItem, ItemSample, QtWidgets.QGraphicsTextItem)
    todo = [root]
    while todo:
        item = todo.pop()
        if isinstance(item, kinds) and item.cacheMode() != cache:
            item.setCacheMode(cache)
        todo.extend(item.childItems())


def set_label(line: pg.InfiniteLine, text: str) -> None:
    """A marker's label text, set only when it differs (pyqtgraph lays the text out again
    on every call)."""
    if line.label.format != text:
        line.label.setFormat(text)


def _pen(colour: str, width: float = 2.0, style=QtCore.Qt.PenStyle.SolidLine) -> QtGui.QPen:
    pen = pg.mkPen(colour, width=width)
    pen.setStyle(style)
    pen.setCosmetic(True)
    return pen


def _darker(colour: str) -> str:
    return QtGui.QColor(colour).darker(130).name()


def _fill(colour: str, alpha: int = 150) -> QtGui.QBrush:
    c = QtGui.QColor(colour)
    c.setAlpha(alpha)
    return pg.mkBrush(c)


class MemoryChart(pg.PlotWidget):
    """Stacked memory bands vs prompt length, card capacities, current and largest context."""

    def __init__(self, parent=None):
        super().__init__(parent, axisItems=_axes("bottom", "left"))
        p = self.getPlotItem()
        setup_plot(p, "", "", None)
        self.legend = p.addLegend(offset=(10, 1), labelTextSize="9pt", colCount=4,
                                  brush=pg.mkBrush(255, 255, 255, 210))
        self.curves: list[Curve] = []
        self.bands: tuple = ()
        self.set_bands(BANDS)
        self.capacity = Marker(angle=0, pen=_pen("#202020", 2), movable=False,
                                        label="", labelOpts={"position": 0.02, "color": "#202020",
                                                             "anchors": [(0, 1), (0, 1)]})
        self.budget = Marker(angle=0, pen=_pen("#202020", 1.5, QtCore.Qt.PenStyle.DashLine),
                                      movable=False, label="", labelOpts={"position": 0.02, "color": "#202020",
                                                                          "anchors": [(0, 0), (0, 0)]})
        self.current = Marker(angle=90, pen=_pen(GREY, 1.5), movable=False, label="",
                                       labelOpts={"position": 0.70, "color": "#404040"})
        self.limit = Marker(angle=90, pen=_pen(VERMILION, 2, QtCore.Qt.PenStyle.DashLine), movable=False,
                                     label="", labelOpts={"position": 0.85, "color": VERMILION})
        # with System RAM entered, the largest prompt the card and the RAM hold: where the spilled band must end
        self.ram_limit = Marker(angle=90, pen=_pen(VERMILION, 2, QtCore.Qt.PenStyle.DashDotLine), movable=False,
                                label="", labelOpts={"position": 0.55, "color": VERMILION})
        self.ram_limit.setVisible(False)
        for item in (self.capacity, self.budget, self.current, self.limit, self.ram_limit):
            p.addItem(item, ignoreBounds=True)
        # each compared card: its capacity (thin, solid) and its usable memory for this engine
        # (dotted, labelled); the capacity line only where the two differ
        self.compare_lines, self.compare_budgets = [], []
        for colour in COMPARE_COLOURS:
            capacity = Marker(angle=0, pen=_pen(colour, 1.0), movable=False)
            usable = Marker(angle=0, pen=_pen(colour, 1.5, QtCore.Qt.PenStyle.DotLine), movable=False,
                                     label="", labelOpts={"position": 0.55, "color": colour,
                                                          "anchors": [(0, 1), (0, 1)]})
            for line in (capacity, usable):
                line.setVisible(False)
                p.addItem(line, ignoreBounds=True)
            self.compare_lines.append(capacity)
            self.compare_budgets.append(usable)
        self.measured = _measured_item(p)
        self.pins = pin_curves(p)
        # pinned scenarios get their own legend, so the bands' legend stays short; where it sits:
        # see place_pin_legend
        self.pin_legend = pg.LegendItem(offset=(-10, -40), labelTextSize="9pt", brush=pg.mkBrush(255, 255, 255, 225))
        self._pin_anchor = self.PIN_LEGEND_AT[0]      # (its corner, the plot's, offset): where it is anchored
        self.pin_legend.setParentItem(p.vb)
        self.pin_legend.setVisible(False)      # until a scenario is pinned (an empty legend is a stray box)
        hatch = QtGui.QBrush(QtGui.QColor("#D55E00"), QtCore.Qt.BrushStyle.BDiagPattern)
        self.spill = add_curve(p, pen=_pen("#D55E00", 1.5), brush=hatch, fillLevel=0)
        self.spill.setZValue(5)
        self.spill.setVisible(False)
        # prompts whose context (prompt + output) passes the model's own limit: a grey veil,
        # named at its foot on the right (the legend and the markers' labels hold the top)
        self.beyond = Veil(p, _fill(GREY, 40))
        self.beyond.setZValue(0.5)            # over the bands, under the markers
        self.beyond.setVisible(False)
        self.beyond_label = ChartText("", color="#404040", fill=pg.mkBrush(255, 255, 255, 200), anchor=(1, 1))
        self.beyond_label.setZValue(20)       # over the markers that cross it
        self.beyond_label.setVisible(False)
        p.addItem(self.beyond_label, ignoreBounds=True)
        cache_static_items(p)
        self.readout = ChartText(color="#202020", fill=pg.mkBrush(255, 255, 255, 220), anchor=(0, 0))
        self.readout.setZValue(50)
        self.readout.setVisible(False)
        p.addItem(self.readout, ignoreBounds=True)
        self._proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=60, slot=self._hover)
        self._y_wanted: tuple[float, float] | None = None   # (the curve's top, the highest card) as last drawn
        self._usable_gib = float("inf")                      # the card's usable memory, as last drawn
        self._ram_most: int | None = None                    # the largest prompt with system RAM, as last marked
        self._kept_gib = 0.0                                 # the GiB the settings keep in RAM, as last banded
        self._spill_named: str | None = None                 # the band's name in the legend (None: not listed)
        p.vb.sigResized.connect(self._keep_headroom)          # (first: the labels are placed for the range)
        p.vb.sigResized.connect(self.place_pin_legend)        # (then: the labels keep clear of it)
        p.vb.sigResized.connect(self.place_rule_labels)
        self.x = np.array([1.0])
        self.stack = np.zeros((4, 1))
        self._sweep_key: tuple | None = None     # what x and stack were computed for

    def apply_colours(self, c: theme.ChartColours) -> None:
        """Re-colour for a theme (``theme.ThemeManager.changed``): background, axes, legends,
        the capacity and budget rules, markers and read-out; data keep their Okabe-Ito hues."""
        self.setBackground(c.background)
        theme.style_plot(self.getPlotItem(), c)
        theme.recolour(self.capacity, c.rule, c.rule)
        theme.recolour(self.budget, c.rule, c.rule)
        theme.recolour(self.current, c.line(GREY), c.muted)
        theme.recolour(self.limit, c.line(VERMILION), c.label(VERMILION))
        theme.recolour(self.ram_limit, c.line(VERMILION), c.label(VERMILION))
        for capacity, usable, colour in zip(self.compare_lines, self.compare_budgets, COMPARE_COLOURS, strict=True):
            theme.recolour(capacity, c.line(colour))
            theme.recolour(usable, c.line(colour), c.label(colour))
        # boxed: they often sit on the bands, the prompt markers' too where the bands rise steeply
        for line in (self.capacity, self.budget, *self.compare_budgets, self.current, self.limit, self.ram_limit):
            line.label.fill = pg.mkBrush(*c.panel)
            line.label.update()
        _recolour_pins(self.pins, c)
        theme.style_legend(self.pin_legend, c)     # after the pins: it redraws their samples
        theme.style_markers(self.measured, c)
        theme.style_text(self.readout, c, boxed=True)
        veil = QtGui.QColor(c.foreground)      # a grey of the ink: darkens a light chart, lightens a dark one
        veil.setAlpha(28)
        self.beyond.setBrush(pg.mkBrush(veil))
        theme.style_text(self.beyond_label, c, boxed=True)
        self.beyond_label.setColor(c.muted)

    def set_bands(self, bands: tuple) -> None:
        """(Re)build the stacked areas when the set of bands changes (inference / fine-tuning)."""
        if bands == self.bands:
            return
        p = self.getPlotItem()
        for curve in self.curves:
            p.removeItem(curve)
            self.legend.removeItem(curve)
        self.curves = stacked_curves(p, bands)
        cache_static_items(self.legend)
        self.bands = bands

    def _draw_stack(self, x: np.ndarray, parts: list[np.ndarray]) -> np.ndarray:
        stack = np.cumsum(np.vstack(parts), axis=0) / GIB
        self.x, self.stack = x, stack
        for curve, y in zip(self.curves, stack, strict=True):
            curve.setData(x, y)
        return stack

    def update_training(self, t, max_seq: int, compare: list[GPU]) -> None:
        """Fine-tuning: memory per card against sequence length."""
        from ..core.training import training_memory

        self.set_bands(TRAINING_BANDS)
        self._sweep_key = None
        self._texts(self.tr("Fine-tuning memory per card vs sequence length"), self.tr("sequence length (tokens)"))
        ctx = t.model.architecture.max_context
        top = int(min(max(4 * ctx, 2 * t.seq, min(int(max_seq * 1.25), 64 * ctx)), 2**24))
        x = log_sweep(MIN_PROMPT, top, SWEEP_POINTS)
        m = training_memory(t, seq=x)
        stack = self._draw_stack(x, [m.weights, m.gradients, m.optimizer, m.activations, m.overhead])
        self._lines(t.gpu, t.gpu.memory_bytes, t.seq, self.tr("sequence {n}").format(n=integer(t.seq)),
                    max_seq if max_seq >= 1 else None,
                    top, self.tr("largest sequence that fits: {n}"), stack, compare,
                    [g.memory_bytes for g in compare])     # (a training job may use all of a card)
        self._beyond(ctx, ctx, top)
        self._ram_line(None, top)
        self.place_rule_labels()

    def update_from(self, s: Scenario, budget: float, max_prompt: int | None, compare: list[GPU],
                    spill: bool = False, ram_limit: int | None = None, kept: float = 0.0,
                    kept_only: bool = True, stage: float = 0.0) -> None:
        """``spill``: offload is planned (the part above the budget runs from system RAM); ``ram_limit``: the largest
        prompt the card and the RAM hold then (core.offload.max_prompt_offloaded; None or -1: none to mark);
        ``kept``: the bytes a card keeps in RAM at every prompt where the offload settings say so (a forced plan:
        --cpu-offload-gb's GiB, llama.cpp's experts in RAM), the top ``kept`` of the stack banded instead of what
        rises above the budget (0: none); ``kept_only``: no more than these (where the engine moves layers to RAM
        as the prompt grows, what rises above the budget beyond them: llama.cpp's --cpu-moe without -ngl); ``stage``:
        the room the card keeps for a module brought from RAM where any weights go there (HF transformers: core.
        offload.staging_bytes), banded below the budget too."""
        self.set_bands(BANDS)
        self._texts(self.tr("Memory per card vs prompt length"), self.tr("prompt tokens"))
        reach = max((n for n in (max_prompt, ram_limit) if n is not None and n >= 1), default=None)
        top = sticky_end(self._sweep_key[1] if self._sweep_key else None, sweep_top(s, reach))
        # the sweep depends on neither the prompt nor its cached share: a prompt drag keeps it
        key = (s.key(prompt_tokens=0, cached_tokens=0), top)
        if key != self._sweep_key:
            x = log_sweep(MIN_PROMPT, top, SWEEP_POINTS)
            m = estimate_memory(s, prompt=x)
            self._draw_stack(x, [m.weights, m.kv_cache, m.activations, m.overhead])
            self._sweep_key = key
        x, stack = self.x, self.stack
        limit = s.model.architecture.max_context
        # (a prompt whose output runs past the model's context: vLLM and SGLang refuse it, core.report.context_note)
        current = (self.tr("prompt {n}") if not s.past_context else
                   self.tr("prompt {n} + {out} output: past the model's limit")).format(
            n=integer(s.prompt_tokens), out=integer(s.output_tokens))
        self._lines(s.gpu, budget, s.prompt_tokens, current, max_prompt, top,
                    self.tr("largest prompt that fits: {n}"), stack, compare, budgets(s, compare).tolist())
        self._beyond(limit - s.output_tokens, limit, top)
        self._ram_line(ram_limit if spill else None, top)
        # with offload planned, what rises above the usable budget runs from system RAM: its own band; where the
        # settings keep so many bytes there at every prompt, the top of the stack by as many, over every prompt
        kept = min(kept / GIB, float(stack[-1].min())) if spill else 0.0
        show = kept > 0 or (spill and float(stack[-1].max()) * GIB > budget)
        if kept > 0:
            floor = stack[-1] - kept if kept_only else np.minimum(stack[-1] - kept, budget / GIB)
            self.spill.setData(np.concatenate([x, x[::-1]]), np.concatenate([stack[-1], floor[::-1]]))
            self.spill.setFillLevel("enclosed")
        elif show and stage > 0:      # (and where any spills, the room the card keeps for a module from RAM: as many
            #                            bytes more there, core.offload.staging_bytes)
            over = stack[-1] * GIB > budget
            line = np.full(x.shape, budget / GIB)
            self.spill.setData(np.concatenate([x, x[::-1]]),
                               np.concatenate([np.where(over, stack[-1], line), np.where(over, line - stage / GIB,
                                                                                         line)[::-1]]))
            self.spill.setFillLevel("enclosed")
        elif show:
            self.spill.setData(x, np.maximum(stack[-1], budget / GIB))
            self.spill.setFillLevel(budget / GIB)
        self._kept_gib = kept                 # (for the read-out)
        name = self._spill_name()
        if show != self.spill.isVisible() or (show and name != self._spill_named):
            self.spill.setVisible(show)       # the legend lists the band only while it is drawn, by what it holds
            self.legend.removeItem(self.spill)
            if show:
                self.legend.addItem(self.spill, name)
                cache_static_items(self.legend)
            self._spill_named = name if show else None
        self.place_rule_labels()

    def _spill_name(self) -> str:
        return self.tr("kept in system RAM") if self._kept_gib > 0 else self.tr("spills to system RAM")

    def _ram_line(self, most: int | None, top: int) -> None:
        """Mark the largest prompt the card and the system RAM hold (none where ``most`` is None or under 1)."""
        show = most is not None and most >= 1
        self._ram_most = most if show else None        # (for the read-out)
        if show:
            self.ram_limit.setValue(np.log10(min(most, top)))
            set_label(self.ram_limit, self.tr("largest prompt with system RAM: {n}").format(n=integer(most))
                      if most <= top else self.tr("with system RAM, fits beyond {n}").format(n=integer(top)))
        if show != self.ram_limit.isVisible():
            self.ram_limit.setVisible(show)

    def _beyond(self, start: int, limit: int, top: int) -> None:
        """Veil the prompts from ``start`` on, where the context passes the model's ``limit``."""
        show = start < top
        if show:
            region = (float(np.log10(max(start, MIN_PROMPT))), float(np.log10(top)))
            if tuple(self.beyond.getRegion()) != region:
                self.beyond.setRegion(region)
                self.beyond_label.setPos(region[1], 0.0)        # the plot's foot, right
            text = self.tr("beyond the model's limit ({n} tokens)").format(n=integer(limit))
            if text != self.beyond_label.toPlainText():
                self.beyond_label.setText(text)
        if show != self.beyond.isVisible():
            self.beyond.setVisible(show)
            self.beyond_label.setVisible(show)

    def _texts(self, title: str, bottom: str) -> None:
        """Title and x-axis title, set only when they change (a mode or a language switch)."""
        if (title, bottom) != getattr(self, "_titles", None):
            self._titles = (title, bottom)
            self.getPlotItem().setTitle(title)
            self.getPlotItem().setLabel("bottom", bottom)
            self.getPlotItem().setLabel("left", self.tr("memory per card (GiB)"))
            rename_legend(self.legend, [(c, translate("Charts", label)) for c, (_, label, _) in
                                        zip(self.curves, self.bands, strict=True)]
                          + ([(self.spill, self._spill_name())] if self.spill.isVisible() else []))

    def _lines(self, gpu: GPU, budget: float, current: int, current_label: str, limit: int | None, top: int,
               limit_text: str, stack: np.ndarray, compare: list[GPU], compare_budgets: list[float]) -> None:
        """``current_label``: the current marker's label; ``limit_text`` a translated format with an ``{n}``;
        ``compare_budgets`` the usable bytes of each compared card."""
        card = gpu.memory_bytes / GIB
        self._usable_gib = budget / GIB      # (for the read-out)
        same = abs(budget / GIB - card) < 0.05
        shown = list(zip(compare, compare_budgets, strict=True))
        lead = same_lines([(gpu, budget), *shown])      # (0: the card's own lines)
        # the cards that share each line (index 0: the card's own), named in its label
        sharing = [[g for (g, _), k in zip(shown, lead[1:], strict=True) if k == j] for j in range(len(lead))]
        self.capacity.setValue(card)
        set_label(self.capacity,
            (self.tr("{card}: {size} GiB, all usable") if same else self.tr("{card}: {size} GiB")).format(
                card=joined_names(gpu, sharing[0]), size=num(card, 1)))
        self.budget.setValue(budget / GIB)
        self.budget.setVisible(not same)
        set_label(self.budget, self.tr("usable {size} GiB").format(size=num(budget / GIB, 1)))
        self.current.setValue(np.log10(max(current, 1)))
        set_label(self.current, current_label)
        if limit is not None and limit >= 1:
            self.limit.setValue(np.log10(min(limit, top)))
            set_label(self.limit, limit_text.format(n=integer(limit)) if limit <= top else
                                       self.tr("fits beyond {n}").format(n=integer(top)))
            self.limit.setVisible(True)
        else:
            self.limit.setVisible(False)
        for i, (capacity, usable, other) in enumerate(zip(self.compare_lines, self.compare_budgets,
                                                          shown + [None] * 4, strict=False), start=1):
            usable.setVisible(other is not None and lead[i] == i)
            if other is None or lead[i] != i:   # (a card whose lines are another's: that one's label names it)
                capacity.setVisible(False)
                continue
            g, use = other[0], other[1] / GIB
            size = g.memory_bytes / GIB
            whole = abs(use - size) < 0.05
            capacity.setValue(size)
            capacity.setVisible(not whole)      # (one line where the whole card is usable)
            usable.setValue(use)
            set_label(usable, (self.tr("{card}: {size} GiB, all usable") if whole else
                               self.tr("{card}: usable {usable} of {size} GiB")).format(
                card=joined_names(g, sharing[i]), size=num(size, 1), usable=num(use, 1)))
        cards = max([card, *(g.memory_bytes / GIB for g in compare)])
        self._y_wanted = (memory_axis_top(self.x, stack[-1], current, cards) * 1.05, cards)
        ymax = sticky_top(self.getPlotItem(), self._y_needed())
        set_range(self.getPlotItem(), (np.log10(MIN_PROMPT), np.log10(top)), (0, ymax))

    def _y_needed(self) -> float:
        """How high the y axis must reach: the curve's top as last drawn, and the highest card's
        line with :meth:`_headroom` above it at the plot's height now."""
        curve_top, cards = self._y_wanted
        return max(curve_top, cards * self._headroom())

    def _keep_headroom(self) -> None:
        """On a resize, raise the y axis where the highest card's line no longer passes under the
        legend with room for its label (:meth:`_headroom` depends on the plot's height in pixels):
        a window made shorter after an edit left the card's label under its line, across the
        usable-memory line (Llama 3.1 405B on 8 H100s at 1175 x 700)."""
        if self._y_wanted is None:
            return
        p = self.getPlotItem()
        (x0, x1), (_, top) = p.vb.viewRange()
        needed = self._y_needed()
        if needed > top:
            set_range(p, (x0, x1), (0, nice_ceil(needed)))

    def _headroom(self) -> float:
        """How far above the highest card's line the axis must reach for that line to pass under
        the bands' legend with room for its label between them (a small model on a big card:
        the curve stays low, the axis ends 5 % above the card, and the line ran under the legend,
        its label pushed down onto the usable-memory line).  At most 1.5 (a very short plot)."""
        h_px = self.getPlotItem().vb.height()
        room = self._legend_bottom() + self.capacity.label.boundingRect().height() + 2
        return min(h_px / (h_px - room), 1.5) if h_px > 2 * room else 1.5

    def _legend_bottom(self) -> float:
        """The foot of the bands' legend (its one or two rows), in the view box's pixels."""
        return self.legend.mapRectToParent(self.legend.boundingRect()).bottom()

    #: Where a rule's label may sit along its line (fraction of the plot's width), first choice first.
    RULE_LABEL_AT = tuple(np.round(np.arange(0.02, 0.9, 0.07), 2))

    #: Where the pinned scenarios' legend may sit, first choice first: (its corner, the plot's
    #: corner, offset in pixels; None: under the bands' legend).  Bottom right leaves room for the
    #: note on the prompts past the model's limit.
    PIN_LEGEND_AT = (((1, 1), (1, 1), (-10, -40)), ((0, 0), (0, 0), (10, None)), ((1, 0), (1, 0), (-10, None)),
                     ((0, 1), (0, 1), (10, -40)))

    def place_pin_legend(self) -> None:
        """Put the pinned scenarios' legend where it covers neither the bands (they fill the plot
        up to the total) nor a pinned curve nor the total's, first choice first, else where it
        covers least: fixed in the bottom right corner, it sat over the bands and over the
        pinned curves rising through that corner."""
        if not self.pin_legend.isVisible():
            return
        vb = self.getPlotItem().vb
        w_px, h_px = vb.width(), vb.height()
        curves = _curves_px(vb, (self.curves[-1], *(c for c in self.pins if c.isVisible())))
        if not curves:
            return
        br = self.pin_legend.boundingRect()
        w, h = br.width(), br.height()
        under = self._legend_bottom() + 6
        corners = [(item, parent, (dx, under if dy is None else dy)) for item, parent, (dx, dy) in self.PIN_LEGEND_AT]

        def cost(left: float, top: float) -> int:
            heights = _heights(curves, left, left + w, 16)
            # (the bands reach into the box where the total's curve is above the box's foot)
            return _crossings(heights, top, top + h) + 100 * int((heights[0] < top + h).any())
        anchor = corners[least_covered(corners, w, h, w_px, h_px, cost)]
        if anchor != self._pin_anchor:
            self._pin_anchor = anchor
            self.pin_legend.anchor(*anchor)

    def place_rule_labels(self) -> None:
        """Put the labels of the horizontal rules (the card's capacity and usable memory, the
        compared cards' usable memory) where they overlap neither each other nor the legends
        nor the prompt markers' labels: beside the line (the capacity above, the usable
        memory below, compared cards above; else the other side) at the first free place
        along it, else lifted off it by a line or more (cards of the same size stack their
        labels in their lines' colours instead of writing their names over each other).  The
        note on the veiled prompts past the model's limit is kept clear too.

        The markers' labels are placed first (their preferred heights), and the rules' labels
        around them; where that leaves a rule's label off its line (lifted next to another rule,
        whose label it then seemed to be: a long card name beside the largest prompt's label),
        the rules' labels are placed first too, and kept if they are lifted fewer lines in all
        and the markers' labels each find another free height."""
        vb = self.getPlotItem().vb
        w_px, h_px = vb.width(), vb.height()
        if w_px < 10 or h_px < 10:
            return
        # what every label keeps clear of: the legends, and the note on the veil
        fixed = [legend.mapRectToParent(legend.boundingRect()) for legend in (self.legend, self.pin_legend)
                 if legend.isVisible()]
        if self.beyond_label.isVisible():       # (at the plot's foot: a small card's lines run there)
            # its bottom right corner is the veil's right end at the plot's foot (worked out from the
            # range: on a resize its own transform follows only after this placement)
            (x0, x1), br = vb.viewRange()[0], self.beyond_label.boundingRect()
            right = (self.beyond.getRegion()[1] - x0) / (x1 - x0) * w_px
            fixed.append(QtCore.QRectF(right - br.width(), h_px - br.height(), br.width(), br.height()))
        markers = [(self.limit, 0.85), (self.current, 0.70), (self.ram_limit, 0.55)]
        marker_places, _ = marker_label_places(vb, markers, fixed)
        rule_places = self._rule_places(vb, fixed + [rect for _, _, rect in marker_places])
        lifted = sum(lift for _, _, _, lift, _ in rule_places)
        if lifted:
            rules_first = self._rule_places(vb, fixed)
            if sum(lift for _, _, _, lift, _ in rules_first) < lifted:
                moved, all_free = marker_label_places(vb, markers, fixed + [p[4] for p in rules_first])
                if all_free:
                    marker_places, rule_places = moved, rules_first
        apply_marker_places(marker_places)
        for label, side, at, lift, _ in rule_places:
            anchor = (0, 1 + lift) if side else (0, -lift)     # (anchors past the text lift it off the line)
            if label.anchors[0] != anchor or abs(label.orthoPos - at) > 1e-6:
                label.anchors = [anchor, anchor]
                label.setPosition(at)

    def _rule_places(self, vb: pg.ViewBox, taken: list[QtCore.QRectF]) -> list[tuple]:
        """(label, above, position along the line, lines lifted off it, rectangle) of each shown
        rule's label, first free place first (see :meth:`place_rule_labels`); ``taken``: the
        rectangles to keep clear of, in the view box's pixels."""
        w_px, h_px = vb.width(), vb.height()
        y0, y1 = vb.viewRange()[1]
        taken = list(taken)
        rules = [(self.capacity, True), (self.budget, False)] + [(line, True) for line in self.compare_budgets]
        to_px = (lambda v: (y1 - v) / (y1 - y0) * h_px)
        rule_px = {line: to_px(line.value()) for line in (self.capacity, self.budget, *self.compare_lines,
                                                          *self.compare_budgets) if line.isVisible()}
        out = []
        for line, above in rules:
            if not line.isVisible():
                continue
            label = line.label
            br = label.boundingRect()
            w, h = br.width(), br.height()
            y = rule_px[line]
            others = [v for o, v in rule_px.items() if o is not line]
            places = ((side, at, lift, QtCore.QRectF(at * w_px, top, w, h))
                      for lift in range(6)                  # on its line if at all possible,
                      for cross_rules in (False, True)      # else over another rule (a box hides a stretch)
                      for side in (above, not above)
                      for top in (y - h - lift * h if side else y + lift * h,)
                      if 0 <= top and top + h <= h_px
                      and (cross_rules or not any(top + 1 < v < top + h - 1 for v in others))
                      for at in self.RULE_LABEL_AT if at * w_px + w <= w_px - 2)
            chosen = next((place for place in places
                           if not any(place[3].adjusted(-2, -1, 2, 1).intersects(r) for r in taken)), None)
            if chosen is None:         # nowhere free: where it was first meant to go
                at = self.RULE_LABEL_AT[0]
                chosen = (above, at, 0, QtCore.QRectF(at * w_px, y - h if above else y, w, h))
            side, at, lift, rect = chosen
            taken.append(rect)
            out.append((label, side, at, lift, rect))
        return out

    def set_pins(self, pins: list) -> None:
        """Total memory per card of each pinned scenario, on the current prompt axis."""
        for i, curve in enumerate(self.pins):
            if i < len(pins):
                curve.setData(self.x, estimate_memory(pins[i], prompt=self.x).total / GIB)
                curve.setVisible(True)
                curve.opts["name"] = pin_label(i, pins[i])
            else:
                curve.setVisible(False)
        self._pin_legend(pins)
        if pins:
            anchor = self._pin_anchor
            self.place_pin_legend()
            if anchor != self._pin_anchor:
                self.place_rule_labels()          # (the labels keep clear of the legend where it is now)

    def _pin_legend(self, pins: list) -> None:
        names = tuple(pin_label(i, s) for i, s in enumerate(pins))
        if names == getattr(self, "_pin_names", ()):
            return
        self._pin_names = names
        self.pin_legend.clear()
        for i, curve in enumerate(self.pins[:len(pins)]):
            self.pin_legend.addItem(curve, pin_label(i, pins[i]))
        cache_static_items(self.pin_legend)
        self.pin_legend.setVisible(bool(pins))
        self.place_rule_labels()

    def set_measured(self, points, s: Scenario | None) -> None:
        """Overlay measured memory points (context axis); hover shows the error against the
        estimate of the current scenario."""
        pts = [q for q in points if q.axis == "context"]
        if not pts or s is None:
            _clear(self.measured)
            return
        x = np.array([q.x for q in pts])
        est = estimate_memory(s, prompt=x).total
        tips = [_tip(q.label, q.bytes / GIB, e / GIB, "GiB") for q, e in zip(pts, est, strict=True)]
        self.measured.setData(x, [q.bytes / GIB for q in pts], data=tips)

    def _hover(self, event) -> None:
        pos = event[0]
        vb = self.getPlotItem().vb
        if not self.sceneBoundingRect().contains(pos) or not vb.sceneBoundingRect().contains(pos):
            self.readout.setVisible(False)
            return
        pt = vb.mapSceneToView(pos)
        x = 10 ** pt.x()
        i = int(np.clip(np.searchsorted(self.x, x), 0, self.x.size - 1))
        parts = np.diff(np.concatenate([[0.0], self.stack[:, i]]))
        lines = [self.tr("{n} tokens").format(n=integer(self.x[i]))] + [
            self.tr("{band} {size} GiB").format(band=translate("Charts", label), size=num(v, 2))
            for (_, label, _), v in zip(self.bands, parts, strict=True)]
        lines.append(self.tr("total {size} GiB").format(size=num(self.stack[-1, i], 2)))
        card = self.stack[-1, i]
        if self._kept_gib > 0:                   # (a forced offload: so much of it in RAM at every prompt)
            card -= self._kept_gib
            lines.append(self.tr("{kept} GiB kept in system RAM").format(kept=num(self._kept_gib, 2)))
        if card > self._usable_gib:
            lines.append(self.tr("more than the card's usable {size} GiB").format(size=num(self._usable_gib, 1)))
            if self._ram_most is not None:       # (System RAM entered: the rest from it, up to the marked prompt)
                lines.append(self.tr("more than the card and the system RAM hold") if self.x[i] > self._ram_most
                             else self.tr("the rest from system RAM"))
        if self.beyond.isVisible() and np.log10(self.x[i]) >= self.beyond.getRegion()[0]:
            lines.append(self.tr("beyond the model's limit"))
        self.readout.setText("\n".join(lines))
        place_readout(self.readout, vb, pt)


def same_lines(cards: list[tuple[GPU, float]]) -> list[int]:
    """For each (card, usable bytes), the first card whose lines it shares (its own index
    where none): the same memory and the same usable memory, within 0.05 GiB.  Three 16 GB
    cards compared drew three labels for one line, one over another or far from it."""
    lead: list[int] = []
    for i, (g, use) in enumerate(cards):
        lead.append(next((k for k in range(i) if lead[k] == k
                          and abs(cards[k][1] - use) < 0.05 * GIB
                          and abs(cards[k][0].memory_bytes - g.memory_bytes) < 0.05 * GIB), i))
    return lead


def joined_names(card: GPU, others: list[GPU]) -> str:
    """A line's label for ``card`` and the cards whose lines it shares: its name, then theirs
    without maker and product line ("AMD Radeon RX 7900 GRE / RX 7800 XT / P100 16GB (PCIe)");
    the card itself compared again is not named twice."""
    seen, names = {card.id}, [card.name]
    for g in others:
        if g.id not in seen:
            seen.add(g.id)
            names.append(name_forms(g.name)[-1])
    return " / ".join(names)


def place_readout(item: pg.TextItem, vb: pg.ViewBox, pt: QtCore.QPointF) -> None:
    """Show a hover read-out beside the pointer (at ``pt``, view coordinates) and wholly inside
    the view box, which clips its children: right of and below the pointer where it fits,
    else left of or above it, else against the box's edge."""
    w_px, h_px = vb.width(), vb.height()
    (x0, x1), (y0, y1) = vb.viewRange()
    br = item.boundingRect()
    w, h = br.width(), br.height()
    px = (pt.x() - x0) / (x1 - x0) * w_px
    py = (y1 - pt.y()) / (y1 - y0) * h_px
    left = px + 8 if px + 8 + w <= w_px else px - 8 - w if px - 8 - w >= 0 else max(0.0, w_px - w)
    top = py + 8 if py + 8 + h <= h_px else py - 8 - h if py - 8 - h >= 0 else 0.0
    item.setAnchor((0, 0))
    item.setPos(x0 + left / w_px * (x1 - x0), y1 - top / h_px * (y1 - y0))
    item.setVisible(True)


class LineKey(pg.GraphicsWidget):
    """A key of line styles in one row, for a chart's heading: a short line, its name, the
    next ("── expected  - - speed of light").  Its size is its text's, fixed."""

    SAMPLE, SPACE, GAP = 20, 4, 12          # pixels: a line's sample, sample to name, entry to next entry

    def __init__(self, pens: list[QtGui.QPen], parent=None):
        super().__init__(parent)
        self.pens = [QtGui.QPen(pen) for pen in pens]
        self.names = [""] * len(pens)
        self.ink = QtGui.QColor("#202020")
        self.font = QtGui.QFont()
        self.font.setPointSizeF(9)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_names(self, names: list[str]) -> None:
        self.names = list(names)
        fm = QtGui.QFontMetricsF(self.font)
        width = sum(self.SAMPLE + self.SPACE + fm.horizontalAdvance(n) for n in self.names)
        size = QtCore.QSizeF(math.ceil(width + self.GAP * (len(self.names) - 1)), math.ceil(fm.height()) + 2)
        self.setMinimumSize(size)
        self.setMaximumSize(size)
        self.update()

    def set_ink(self, colour: str) -> None:
        """Lines and names in the theme's ink."""
        self.ink = QtGui.QColor(colour)
        for pen in self.pens:
            pen.setColor(self.ink)
        self.update()

    def entries(self) -> list[tuple[QtGui.QPen, str, QtCore.QRectF]]:
        """(pen, name, the name's rectangle) of each entry, in the key's coordinates."""
        fm = QtGui.QFontMetricsF(self.font)
        h, x, out = self.size().height(), 0.0, []
        for pen, name in zip(self.pens, self.names, strict=True):
            x += self.SAMPLE + self.SPACE
            width = fm.horizontalAdvance(name)
            out.append((pen, name, QtCore.QRectF(x, 0, width, h)))
            x += width + self.GAP
        return out

    def paint(self, p, *args):
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.setFont(self.font)
        mid = self.size().height() / 2
        flags = QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter
        for pen, name, rect in self.entries():
            p.setPen(pen)
            p.drawLine(QtCore.QPointF(rect.left() - self.SPACE - self.SAMPLE, mid),
                       QtCore.QPointF(rect.left() - self.SPACE, mid))
            p.setPen(self.ink)
            p.drawText(rect, flags, name)


class SpeedChart(Retranslates, pg.GraphicsLayoutWidget):
    """Throughput (top) and decode step time (bottom) vs batch on log axes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        # The heading: the title, and the key of the line styles (solid: expected, dashed: speed of
        # light), which hold for both plots, beside it where the chart is wide enough, else under it.
        # In a corner of the step plot the key covered a curve wherever the curves left no corner
        # free: at 1280 x 720 in 5 of 80 random scenarios, at the window's smallest width in 32.
        left, _, right, bottom = self.ci.layout.getContentsMargins()
        self.ci.layout.setContentsMargins(left, 0, right, bottom)     # (the title level with the memory chart's)
        self.heading = self.ci.addLayout(row=0, col=0)
        self.heading.setContentsMargins(0, 2, 0, 0)
        self.heading.layout.setSpacing(0)
        self.heading.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed)
        self.title = self.heading.addLabel("", row=0, col=0, size="11pt")
        self.key = LineKey([_pen(GREY, 2.5), _pen(GREY, 1.0, QtCore.Qt.PenStyle.DashLine)])
        self.heading.addItem(self.key, row=0, col=1)
        self._key_beside = True
        self.thr = self.addPlot(row=1, col=0, axisItems=_axes("bottom", "left"))
        self.step = self.addPlot(row=2, col=0, axisItems=_axes("bottom", "left"))
        self.step.setXLink(self.thr)
        setup_plot(self.thr, "", "", None, log_y=True)
        setup_plot(self.step, "", "", "", log_y=True)
        self.thr_curve = add_curve(self.thr, True, pen=_pen(BLUE, 2.5))
        # speed of light dashed one pixel wide: Qt draws an anti-aliased one-pixel line by a fast
        # path (0.02 ms for 160 points), a 1.2 px one by stroking and filling its outline (0.2 ms)
        self.thr_sol = add_curve(self.thr, True, pen=_pen(BLUE, 1.0, QtCore.Qt.PenStyle.DashLine))
        self.step_curve = add_curve(self.step, True, pen=_pen(VERMILION, 2.5))
        self.step_sol = add_curve(self.step, True, pen=_pen(VERMILION, 1.0, QtCore.Qt.PenStyle.DashLine))
        self.markers = {}
        for key, colour, style, pos in (("knee", GREEN, QtCore.Qt.PenStyle.DashLine, 0.12),
                                        ("memory", VERMILION, QtCore.Qt.PenStyle.DashLine, 0.3),
                                        ("current", GREY, QtCore.Qt.PenStyle.SolidLine, 0.5)):
            for p in (self.thr, self.step):   # labelled in the throughput plot only
                labelled = p is self.thr
                line = Marker(angle=90, pen=_pen(colour, 1.5, style), movable=False,
                                       label="" if labelled else None,
                                       labelOpts={"position": pos, "color": colour} if labelled else None)
                p.addItem(line, ignoreBounds=True)
                self.markers.setdefault(key, []).append(line)
        self.pins = pin_curves(self.thr, log_y=True)
        self.measured_thr = _measured_item(self.thr)
        self.measured_step = _measured_item(self.step)
        # where the model is offloaded (System RAM entered, too little on the card): the plan's decode at the
        # current batch, a point in each plot; the curves keep every layer on the card
        self.offload_thr = _offload_item(self.thr)
        self.offload_step = _offload_item(self.step)
        # ... and once worked out (core.offload.sweep_offloaded, in a pause of the edits), the plans over the
        # sequences the card and the RAM hold, a line through the point in each plot
        self.offload_thr_curve = _offload_curve(self.thr)
        self.offload_step_curve = _offload_curve(self.step)
        self._offload: tuple | None = None        # (batch, step [s], badge, sweep) as last drawn
        self._sweep_y: tuple[np.ndarray, np.ndarray] | None = None   # (throughputs, steps [ms]) the ranges cover
        for p in (self.heading, self.thr, self.step):
            cache_static_items(p)
        # Top left (the step curve rises to the right), in a box drawn over the marker lines and
        # under the curves: a line crossing the text passes under it, a curve stays whole.
        self.ttft = ChartText(color="#202020", anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 215))
        self.ttft.setZValue(-5)
        for line in (lines[1] for lines in self.markers.values()):
            line.setZValue(-10)
        self.step.addItem(self.ttft, ignoreBounds=True)
        cache_static_items(self.ttft)
        # Bottom right of the step plot (the step rises to the right, the corner under it is free): where the
        # expected decode never turns compute bound within the chart, the knee's marker has no place; this says so.
        self.no_knee = ChartText(color=GREEN, anchor=(1, 1))
        self.no_knee.setZValue(-5)
        self.no_knee.setVisible(False)
        self._no_knee_texts: tuple[str, ...] = ()     # in full and in short
        self.step.addItem(self.no_knee, ignoreBounds=True)
        cache_static_items(self.no_knee)
        self._ttft_texts: tuple[str, ...] = ()   # the time to first token, in full and in short
        self.result: SpeedResult | None = None  # the sweep over batch (decode only)
        self._sweep_key: tuple | None = None
        self._max_batch = 0                    # the largest batch memory holds, as last drawn
        self.thr.vb.sigResized.connect(self.place_labels)
        self.step.vb.sigResized.connect(self._fit_ttft)
        self.step.vb.sigResized.connect(self._fit_no_knee)
        # The plots share their x range through pyqtgraph's link, which lines up screen pixels:
        # while the layout settles (the window shown, resized) the link moves a range after the
        # last resize, and labels placed for the old range sat on the curves.  Ranges set by
        # update_from are followed by its own placement.
        self._updating = False
        self.thr.vb.sigXRangeChanged.connect(lambda *_: self._updating or self.place_labels())
        # hover: the numbers at the batch under the pointer, in whichever plot it is
        self.readout = ChartText(color="#202020", fill=pg.mkBrush(255, 255, 255, 225), anchor=(0, 0))
        self.readout.setZValue(50)
        self.readout.setVisible(False)
        self._readout_in = self.thr
        self.thr.addItem(self.readout, ignoreBounds=True)
        self._proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=60, slot=self._hover)
        self.retranslate()

    def place_labels(self) -> None:
        """Put each marker's label where it covers neither curve nor another label: beside
        its line (right, else left), as low as possible, which on a rising throughput curve
        is the empty corner below it.  The labels are placed one by one from the left; where
        one then finds no place clear of the curves and the other lines, they are placed again
        from the right and the arrangement that covers the curves least is kept (a knee and a
        memory limit close together: the knee's label, placed first, took the corner the
        memory limit's needed, which then sat on the curve's flat top)."""
        vb = self.thr.vb
        w_px, h_px = vb.width(), vb.height()
        curves = _curves_px(vb, (self.thr_curve, self.thr_sol, *(c for c in self.pins if c.isVisible())))
        if not curves:
            return
        # the offload plans' line: a few points, steep where a plan changes (op offload from 32 sequences, layers
        # spilling to RAM past the card's own limit), which samples along a label miss; its segments are met exactly
        jagged = _curves_px(vb, (self.offload_thr_curve,)) if self._offload and self._offload[3] else []
        x0, x1 = vb.viewRange()[0]
        lines = sorted((line for key in ("knee", "memory", "current") for line in self.markers[key][:1]
                        if line.isVisible()), key=lambda line: line.value())
        at_px = {line: (line.value() - x0) / (x1 - x0) * w_px for line in lines}
        places, cost = _label_places(lines, at_px, curves, w_px, h_px, jagged)
        if cost:
            places_back, cost_back = _label_places(lines[::-1], at_px, curves, w_px, h_px, jagged)
            if cost_back < cost:
                places = places_back
        for label, right, rect in places:
            # beside the line (its left or right end on it), or where neither side has room, across it
            anchor = (0, 0) if right else (1, 0) if right is False else \
                (min(1.0, max(0.0, (at_px[label.line] - rect.left()) / rect.width())), 0)
            position = 1 - rect.top() / h_px
            if label.anchors[0] != anchor or abs(label.orthoPos - position) > 1e-6:
                label.anchors = [anchor, anchor]
                label.setPosition(position)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # arranged before pyqtgraph sizes the layout to the view: beside the title, the key makes the
        # heading wider than a narrow chart, and the layout, sized to that, stayed wider than the view
        if hasattr(self, "key"):        # (pyqtgraph resizes the view while it is being built)
            self._arrange_heading()
        super().resizeEvent(event)

    def _arrange_heading(self, again: bool = False) -> None:
        """The key beside the title where both fit the chart's width, else under the title
        (``again``: placed anew, as after a change of language)."""
        left, _, right, _ = self.ci.layout.getContentsMargins()
        room = self.width() - left - right
        beside = self.title.item.boundingRect().width() + self.key.minimumWidth() + 2 * LineKey.GAP <= room
        if beside == self._key_beside and not again:
            return
        self._key_beside = beside
        self.heading.removeItem(self.key)
        self.heading.addItem(self.key, row=0 if beside else 1, col=1 if beside else 0)
        a = QtCore.Qt.AlignmentFlag
        self.heading.layout.setAlignment(self.key, (a.AlignRight if beside else a.AlignHCenter) | a.AlignVCenter)
        self.heading.layout.invalidate()       # (a row more or less: the chart lays its rows out again)
        self.heading.updateGeometry()

    def retranslate(self) -> None:
        """Titles and key in the current language (the marker labels follow on the next update)."""
        self.title.setText(self.tr("Speed vs batch size"))
        self.thr.setLabel("left", self.tr("throughput (tokens/s)"))
        self.step.setLabel("left", self.tr("decode step (ms)"))
        self.step.setLabel("bottom", self.tr("batch size (concurrent sequences)"))
        self.key.set_names([self.tr("expected"), self.tr("speed of light")])
        self._arrange_heading(again=True)

    def apply_colours(self, c: theme.ChartColours) -> None:
        """Re-colour for a theme (see :meth:`MemoryChart.apply_colours`)."""
        self.setBackground(c.background)
        for p in (self.thr, self.step):
            theme.style_plot(p, c)
        for curve, colour in ((self.thr_curve, BLUE), (self.thr_sol, BLUE), (self.step_curve, VERMILION),
                              (self.step_sol, VERMILION)):
            theme.recolour(curve, c.line(colour))
        for key, colour in (("knee", GREEN), ("memory", VERMILION), ("current", GREY)):
            for line in self.markers[key]:
                theme.recolour(line, c.line(colour), c.label(colour))
        _recolour_pins(self.pins, c)
        for item in (self.measured_thr, self.measured_step):
            theme.style_markers(item, c)
        theme.style_text(self.ttft, c, boxed=True)
        theme.style_text(self.readout, c, boxed=True)
        self.no_knee.setColor(c.label(GREEN))
        self.title.setAttr("color", c.foreground)
        self.title.setText(self.title.text)
        self.key.set_ink(c.foreground)

    def set_pins(self, pins: list) -> None:
        """Throughput of each pinned scenario against batch (its own speed model)."""
        if self.result is None:
            return
        b = np.asarray(self.result.batch)
        shown_before = any(curve.isVisible() for curve in self.pins)
        for i, curve in enumerate(self.pins):
            if i < len(pins):
                curve.setData(b, estimate_speed(pins[i], batch=b, with_knee=False).throughput_tokens_per_s)
                curve.setVisible(True)
            else:
                curve.setVisible(False)
        if pins or shown_before:
            self.place_labels()          # the markers' labels keep clear of the pinned curves (or no longer need to)

    def set_measured(self, points, s: Scenario | None) -> None:
        """Overlay measured step times and throughputs (batch axis) with their errors."""
        from ..core.speed import decode_step

        for item, quantity in ((self.measured_step, "step_ms"), (self.measured_thr, "tokens_per_s")):
            pts = [q for q in points if q.quantity == quantity]
            if not pts or s is None:
                _clear(item)
                continue
            b = np.array([q.x for q in pts])
            step = decode_step(s, b, s.context_tokens)[0]
            est = step * 1e3 if quantity == "step_ms" else b / step
            unit = "ms" if quantity == "step_ms" else self.tr("tokens/s")
            item.setData(b, [q.value for q in pts],
                         data=[_tip(q.label, q.value, float(e), unit) for q, e in zip(pts, est, strict=True)])

    def _hover(self, event) -> None:
        """Batch, throughput, per-sequence speed and step time at the pointer's batch."""
        pos = event[0]
        plot = next((p for p in (self.thr, self.step) if p.vb.sceneBoundingRect().contains(pos)), None)
        sp = self.result
        if plot is None or sp is None:
            self.readout.setVisible(False)
            return
        pt = plot.vb.mapSceneToView(pos)
        b = np.asarray(sp.batch, dtype=np.float64)
        i = int(np.argmin(np.abs(np.log10(b) - pt.x())))
        step, sol = float(sp.decode_step_s[i]), float(sp.sol_decode_step_s[i])
        lines = [self.tr("batch {n}").format(n=integer(b[i])),
                 self.tr("{rate} tokens/s in all").format(rate=num(b[i] / step)),
                 self.tr("{rate} tokens/s per sequence").format(rate=num(1 / step, 1)),
                 self.tr("step {ms} ms (speed of light {sol} ms)").format(ms=num(step * 1e3, 2), sol=num(sol * 1e3, 2))]
        sweep = self._offload[3] if self._offload else None
        if sweep is not None and sweep.batches and b[i] <= sweep.batches[-1] * 1.05:
            # the offload plan nearest the pointer's batch (about 18 over the sequences the card and the RAM hold)
            j = int(np.argmin(np.abs(np.log10(sweep.batches) - np.log10(b[i]))))
            n, dt = sweep.batches[j], sweep.plans[j].decode_s
            lines.append(self.tr("offloaded at batch {n}: {rate} tokens/s in all, step {ms} ms").format(
                n=integer(n), rate=num(n / dt, 1), ms=num(dt * 1e3, 1)))
        # past the memory limit the numbers are the speed model's, not a batch the card can hold
        if self._max_batch < 1:
            lines.append(self.tr("not one sequence fits in memory"))
        elif b[i] > self._max_batch:
            lines.append(self.tr("more than memory holds ({n} at most)").format(n=integer(self._max_batch)))
        self.readout.setText("\n".join(lines))
        if plot is not self._readout_in:       # the read-out moves to the plot under the pointer
            self._readout_in.removeItem(self.readout)
            plot.addItem(self.readout, ignoreBounds=True)
            self._readout_in = plot
        place_readout(self.readout, plot.vb, pt)

    def update_from(self, s: Scenario, max_batch: int, ttft_s: float | None = None,
                    offload: tuple[float, float, str] | None = None, sweep=None) -> SpeedResult:
        """``ttft_s``: the scenario's time to first token, where the caller has it (the window's
        breakdown works it out too); ``offload``: where the model is offloaded, the plan's (decode step [s], time to
        first token [s], badge), drawn as a point at the batch and given as the time to first token; ``sweep``: then
        the plans over the sequences (core.offload.sweep_offloaded), drawn as a line (None: not worked out yet)."""
        self._updating = True
        try:
            return self._update_from(s, max_batch, ttft_s, offload, sweep if offload is not None else None)
        finally:
            self._updating = False

    def _update_from(self, s: Scenario, max_batch: int, ttft_s: float | None,
                     offload: tuple[float, float, str] | None, sweep) -> SpeedResult:
        self._max_batch = max_batch
        top = sticky_end(self._sweep_key[1] if self._sweep_key else None,   # powers of two: a still axis
                         batch_end(1024, s.batch, max_batch))
        key = (s.key(batch=1), top)       # the sweep does not depend on the batch: a batch drag keeps it
        point = None if offload is None else (s.batch, offload[0], offload[2], sweep)
        if key != self._sweep_key:
            self._sweep_key = key
            b = log_sweep(1, top, 160)
            sp = self.result = estimate_speed(s, batch=b, with_prefill=False)
            thr = sp.throughput_tokens_per_s
            sol_thr = b / sp.sol_decode_step_s
            self.thr_curve.setData(b, thr)
            self.thr_sol.setData(b, sol_thr)
            self.step_curve.setData(b, sp.decode_step_s * 1e3)
            self.step_sol.setData(b, sp.sol_decode_step_s * 1e3)
            self._sweep_y = (np.concatenate([thr, sol_thr]), np.concatenate([sp.decode_step_s,
                                                                            sp.sol_decode_step_s]) * 1e3)
            self._offload = ()            # (the ranges are set below)
        if point != self._offload:        # the ranges cover the sweep and the offload's point
            self._offload = point
            thr_y, step_y = self._sweep_y
            if sweep is not None and sweep.batches:
                thr_y, step_y = self._draw_sweep(sweep, thr_y, step_y)
            else:
                _clear(self.offload_thr_curve)
                _clear(self.offload_step_curve)
            if point is not None:
                batch, step, badge, _ = point
                # (the step plot keeps a third of a decade above the point: its top left holds the time to first
                # token's line, which a point at the top of the range sat under)
                low = batch / step
                if sweep is not None and sweep.batches:
                    low = min(low, min(n / p.decode_s for n, p in zip(sweep.batches, sweep.plans, strict=True)))
                thr_y = np.append(thr_y, [batch / step, low * 10 ** -self._room_under(thr_y, low)])
                step_y = np.append(step_y, [step * 1e3, step * 1e3 * 10 ** 0.35])
                tip = self.tr("{badge} at batch {n}: {ms} ms a step, {rate} tokens/s per sequence (the curves keep "
                              "every layer on the card)").format(badge=badge, n=integer(batch), ms=num(step * 1e3, 1),
                                                                 rate=num(1 / step, 1))
                self.offload_thr.setData([batch], [batch / step], data=[tip])
                self.offload_step.setData([batch], [step * 1e3], data=[tip])
            else:
                _clear(self.offload_thr)
                _clear(self.offload_step)
            # (a fiftieth of the axis before batch 1: its marker line and an offload's point there stay whole)
            lx = (-0.02 * np.log10(top), np.log10(top))
            set_range(self.thr, lx, sticky_log(self.thr, _log_range(thr_y)))
            set_range(self.step, lx, sticky_log(self.step, _log_range(step_y)))
        sp = self.result
        now = self.tr("batch {n}") if point is None else \
            self.tr("batch {n}, {badge}: {rate} tok/s").replace("{badge}", point[2]).replace(
                "{rate}", rate(point[0] / point[1]))
        marks = {"knee": (sp.knee_batch, self.tr("knee {n}")), "memory": (max_batch, self.tr("memory limit {n}")),
                 "current": (s.batch, now)}
        for name, (value, fmt) in marks.items():
            ok = value is not None and np.isfinite(value) and 1 <= value <= top
            for line in self.markers[name]:
                line.setVisible(bool(ok))
                if ok:
                    line.setValue(np.log10(value))
                    if getattr(line, "label", None) is not None:   # (the step plot's lines have none)
                        set_label(line, fmt.format(n=num(value)))
        self.place_labels()
        self._show_no_knee(sp.knee_batch if sp.compute_known else None, top)
        first = None if offload is None else offload[1]
        if sp.compute_known or (first is not None and first == first):
            time = duration(float(prefill_time(s, s.prompt_tokens, s.batch) if ttft_s is None else ttft_s)
                            if first is None or first != first else first)
            new, cached = (int(x) for x in prompt_split(s.prompt_tokens, s.cached_tokens))
            if offload is None:
                full = self.tr("time to first token ({n} tokens × {batch}): {time}") if not cached else \
                    self.tr("time to first token ({n} new tokens × {batch}, {cached} cached): {time}")
            else:
                full = self.tr("time to first token ({n} tokens × {batch}, {badge}): {time}") if not cached else \
                    self.tr("time to first token ({n} new tokens × {batch}, {cached} cached, {badge}): {time}")
            self._ttft_texts = (full.format(n=integer(new), batch=integer(s.batch), cached=integer(cached), time=time,
                                            badge=offload[2] if offload else ""),
                                *((self.tr("time to first token ({badge}): {time}").format(
                                    badge=offload[2], time=time),) if offload else ()),
                                self.tr("time to first token: {time}").format(time=time))
        else:
            self._ttft_texts = (self.tr("time to first token: unknown (no FLOP/s figure for this card)"),
                                self.tr("time to first token: unknown"))
        self._fit_ttft()
        self.ttft.setPos(self.step.vb.viewRange()[0][0], self.step.vb.viewRange()[1][1])
        return sp

    def _room_under(self, thr_y: np.ndarray, low: float) -> float:
        """Decades the throughput plot reaches under the offload's lowest point ``low`` (the point, the plans' line),
        for a marker's label to fit there under the line, where the line runs low in the plot: a label's height and
        a few pixels, of the plot's height, with the range that room adds (at most a decade)."""
        k = (self.markers["current"][0].label.boundingRect().height() + 8) / max(self.thr.vb.height(), 60.0)
        hi = float(np.log10(np.max(thr_y[np.isfinite(thr_y)], initial=low)))
        span = max(hi - np.log10(low), 0.5)
        return float(min(k * span / (1 - k), 1.0)) if k < 0.5 else 1.0

    def _draw_sweep(self, sweep, thr_y: np.ndarray, step_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The offload plans over the sequences as a line in each plot, each point with its numbers on hover (the
        one that serves the most said so); ``thr_y``, ``step_y`` (the ranges' values) with the line's."""
        from .wording import plan_badge
        b = np.asarray(sweep.batches, dtype=np.float64)
        step = np.array([p.decode_s for p in sweep.plans])
        best = sweep.best()[0]
        tips = []
        for n, p, served, dt in zip(sweep.batches, sweep.plans, sweep.served_tokens_per_s, step, strict=True):
            tip = self.tr("{badge} at batch {n}: {ms} ms a step, {rate} tokens/s in all; with the prompts "
                          "{served} tokens/s").format(badge=plan_badge(p), n=integer(n), ms=num(dt * 1e3, 1),
                                                      rate=num(n / dt, 1), served=num(served, 1))
            if p.prefill_s == p.prefill_s:
                tip += "\n" + self.tr("first tokens after {time}").format(time=duration(p.prefill_s))
            if n == best:
                tip += "\n" + self.tr("the most served of the offload plans")
            tips.append(tip)
        self.offload_thr_curve.setData(b, b / step, data=tips)
        self.offload_step_curve.setData(b, step * 1e3, data=tips)
        # (a third of a decade above its top, as above the point: the time to first token's line sits there)
        return np.concatenate([thr_y, b / step]), np.concatenate([step_y, step * 1e3, [step.max() * 1e3 * 10 ** 0.35]])

    def _show_no_knee(self, knee: float | None, top: int) -> None:
        """Where the knee lies past the chart's batches (or nowhere: the expected decode memory-bound at every
        batch, as at long contexts, where each sequence's cache read grows with the batch), say so in the step
        plot's bottom right corner; hidden where the knee's marker shows it, or without a FLOP/s figure."""
        if knee is None or (np.isfinite(knee) and knee <= top):
            self._no_knee_texts = ()
            self.no_knee.setVisible(False)
            return
        self._no_knee_texts = ((self.tr("knee at batch {n}, past the chart").format(n=integer(knee)),
                                self.tr("knee at {n}").format(n=integer(knee))) if np.isfinite(knee) else
                               (self.tr("no knee: memory-bound at every batch"), self.tr("no knee")))
        self._fit_no_knee()
        self.no_knee.setPos(np.log10(top), self.step.vb.viewRange()[1][0])
        self.no_knee.setVisible(True)

    def _fit_no_knee(self) -> None:
        """The note in full where it takes at most half the step plot's width (the step curve rises through the
        rest), else in short."""
        if self._no_knee_texts:
            fit_text(self.no_knee, self._no_knee_texts, self.step.vb.width() / 2)

    def _fit_ttft(self) -> None:
        """The time to first token in full where the line fits the step plot's width, else in
        short (a long prompt and a big batch, or a card without a FLOP/s figure, ran it past the
        plot's right edge at 1366 x 768)."""
        if self._ttft_texts:
            fit_text(self.ttft, self._ttft_texts, self.step.vb.width())


def fit_text(item: pg.TextItem, texts: tuple[str, ...], room: float) -> None:
    """Show the first of ``texts`` (longest first) that fits ``room`` pixels, else the last."""
    fm = QtGui.QFontMetricsF(item.textItem.font())
    margins = 2 * item.textItem.document().documentMargin()
    text = next((t for t in texts if fm.horizontalAdvance(t) + margins <= room), texts[-1])
    if text != item.toPlainText():     # (every setText lays the text out again)
        item.setText(text)


#: Heights (fractions of the plot's, from the bottom) a vertical marker's label may take, first
#: choice first.
MARKER_LABEL_AT = (0.85, 0.70, 0.55, 0.40, 0.25, 0.10)


def place_marker_labels(vb: pg.ViewBox, lines: list[tuple[Marker, float]], avoid: list[QtCore.QRectF]
                        ) -> list[QtCore.QRectF]:
    """Raise or lower the labels of vertical markers (``lines``: each with its preferred height)
    to the first height where they overlap neither ``avoid`` (the legends, in the view box's
    pixels) nor each other: a fine-tuning legend of two rows hid the "largest that fits"
    label under its box.  Returns the labels' rectangles, for the next labels to avoid."""
    places, _ = marker_label_places(vb, lines, avoid)
    apply_marker_places(places)
    return [rect for _, _, rect in places]


def marker_label_places(vb: pg.ViewBox, lines: list[tuple[Marker, float]], avoid: list[QtCore.QRectF]
                        ) -> tuple[list[tuple], bool]:
    """Where :func:`place_marker_labels` puts each label, (label, height, rectangle), without
    moving it; and whether every one found a free height (else it keeps its preferred one)."""
    w_px, h_px = vb.width(), vb.height()
    if w_px < 10 or h_px < 10:
        return [], True
    x0, x1 = vb.viewRange()[0]
    taken, placed, free = list(avoid), [], True
    for line, first in lines:
        if not line.isVisible() or line.label is None:
            continue
        label = line.label
        br = label.boundingRect()
        w, h = br.width(), br.height()
        x = (line.value() - x0) / (x1 - x0) * w_px
        left = x if label.anchor is None or label.anchor[0] < 0.5 else x - w   # (its anchor: right or left)
        chosen = None
        for at in (first, *(a for a in MARKER_LABEL_AT if a != first)):
            rect = QtCore.QRectF(left, (1 - at) * h_px - h / 2, w, h)
            inner = rect.adjusted(0, 3, 0, -3)     # (a text item's box has a few pixels of margin)
            if rect.top() >= 0 and rect.bottom() <= h_px and not any(inner.intersects(r) for r in taken):
                chosen = (at, rect)
                break
        free = free and chosen is not None
        at, rect = chosen or (first, QtCore.QRectF(left, (1 - first) * h_px - h / 2, w, h))
        taken.append(rect)
        placed.append((label, at, rect))
    return placed, free


def apply_marker_places(places: list[tuple]) -> None:
    """Move each label to its height from :func:`marker_label_places` (where it is not there)."""
    for label, at, _ in places:
        if abs(label.orthoPos - at) > 1e-6:
            label.setPosition(at)


def _label_places(lines: list, at_px: dict, curves: list, w_px: float, h_px: float,
                  polylines: list = ()) -> tuple[list, float]:
    """The speed chart's marker labels placed in the order of ``lines`` (see
    :meth:`SpeedChart.place_labels`): (label, right of its line (None: across it), rectangle) each, and what the
    arrangement covers: the curve points under its labels (``curves`` sampled along a label, each segment of
    ``polylines`` through it counted as :data:`SEGMENT_HITS` points), and a tenth for each other marker
    line through one.  A label goes beside its line, right if it fits, as low as it is free of
    curves, other lines and labels; failing that, where it covers the fewest curve points
    (other lines allowed), never over another label."""
    taken: list[QtCore.QRectF] = []
    places, cost = [], 0.0
    for line in lines:
        label = line.label
        br = label.boundingRect()
        w, h = br.width(), br.height()
        at = at_px[line]
        sides = [(right, at + 3 if right else at - w - 3) for right in (True, False)]
        sides = sorted(((sum(left - 2 <= x <= left + w + 2 for o, x in at_px.items() if o is not line), right, left)
                        for right, left in sides if 0 <= left and left + w <= w_px),
                       key=lambda side: side[0])   # (a side no other line crosses first; else the right)
        if not sides:       # wider than the room on either side (a long label mid-plot): across its line, inside
            sides = [(0, None, max(0.0, min(at + 3, w_px - w)))]
        best = None                 # (curve points covered, lines through it, right, rect)
        for crossed, right, left in sides:
            heights = _heights(curves, left, left + w, 12)
            for top in np.arange(h_px - h - 3, 2, -h / 2):
                rect = QtCore.QRectF(left, top, w, h)
                if any(rect.adjusted(-2, -2, 2, 2).intersects(r) for r in taken):
                    continue
                hits = _crossings(heights, top, top + h) + SEGMENT_HITS * sum(
                    _segments_through(xs, ys, left, top, left + w, top + h) for xs, ys in polylines)
                if best is None or (hits, crossed) < best[:2]:
                    best = (hits, crossed, right, rect)
                if not hits:
                    break           # (the lowest free height of this side)
            if best is not None and best[:2] == (0, 0):
                break               # clear of everything: no need to try the other side
        if best is None:
            continue
        hits, crossed, right, rect = best
        taken.append(rect)
        places.append((label, right, rect))
        cost += hits + 0.1 * crossed
    return places, cost


def least_covered(corners, w: float, h: float, w_px: float, h_px: float, cost) -> int:
    """Which of ``corners`` ((the box's corner, the plot's corner, (dx, dy) in pixels), first choice
    first) a ``w`` x ``h`` box in a ``w_px`` x ``h_px`` plot takes: the first where ``cost(left,
    top)`` is nothing, else the cheapest (the charts' legends)."""
    best = None
    for i, (item, parent, (dx, dy)) in enumerate(corners):
        c = cost(parent[0] * w_px + dx - item[0] * w, parent[1] * h_px + dy - item[1] * h)
        if best is None or c < best[0]:
            best = (c, i)
        if c == 0:
            break
    return best[1]


def _curves_px(vb: pg.ViewBox, curves) -> list[tuple[np.ndarray, np.ndarray]]:
    """The drawn points of ``curves`` in the view box's pixels (x right, y down); none while
    the box is too small to place anything in."""
    w_px, h_px = vb.width(), vb.height()
    if w_px < 10 or h_px < 10:
        return []
    (x0, x1), (y0, y1) = vb.viewRange()
    return [((x - x0) / (x1 - x0) * w_px,
             (y1 - (y if np.isfinite(y).all() else np.nan_to_num(y, nan=-1e9, neginf=-1e9))) / (y1 - y0) * h_px)
            for x, y in (c.getData() for c in curves) if x is not None and len(x)]


#: What a polyline's segment through a label costs in :func:`_label_places`, in sampled curve points.
SEGMENT_HITS = 3


def _segments_through(xs: np.ndarray, ys: np.ndarray, left: float, top: float, right: float, bottom: float) -> int:
    """How many segments of the polyline (``xs``, ``ys``, pixels) pass through the rectangle, 2 px around it
    included (each segment clipped to it, Liang-Barsky)."""
    left, top, right, bottom = left - 2, top - 2, right + 2, bottom + 2
    x0, y0, dx, dy = xs[:-1], ys[:-1], np.diff(xs), np.diff(ys)
    lo, hi = np.zeros(len(dx)), np.ones(len(dx))
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - top), (dy, bottom - y0)):
            r = q / p
            outside = (p == 0) & (q < 0)            # parallel to this edge, beyond it
            lo = np.where(p < 0, np.maximum(lo, r), lo)
            hi = np.where(p > 0, np.minimum(hi, r), hi)
            hi = np.where(outside, -1.0, hi)
    return int(np.count_nonzero(lo <= hi))


def _heights(curves: list[tuple[np.ndarray, np.ndarray]], left: float, right: float, samples: int) -> list:
    """Each curve's height (pixels) at ``samples`` points from ``left`` to ``right`` (evenly
    spread, as ``np.linspace`` spreads them, without its per-call checks)."""
    steps = _STEPS.get(samples)
    if steps is None:
        steps = _STEPS[samples] = np.arange(samples, dtype=np.float64)
    grid = left + steps * ((right - left) / (samples - 1))
    grid[-1] = right
    return [np.interp(grid, xs, ys) for xs, ys in curves]


_STEPS: dict[int, np.ndarray] = {}


def _crossings(heights: list, top: float, bottom: float) -> int:
    """How many of those points lie within 3 px of the band from ``top`` to ``bottom``."""
    return sum(int(((y >= top - 3) & (y <= bottom + 3)).sum()) for y in heights)


def _measured_item(plot: pg.PlotItem) -> pg.PlotDataItem:
    """Black-ringed markers for measured points, with a hover tooltip per point."""
    item = plot.plot(pen=None, symbol="o", symbolSize=10, symbolBrush=pg.mkBrush("#ffffff"),
                     symbolPen=pg.mkPen("#000000", width=2))
    item.setZValue(20)
    item.scatter.opts["hoverable"] = True
    item.scatter.opts["tip"] = lambda x, y, data: data
    return item


def _offload_item(plot: pg.PlotItem) -> pg.PlotDataItem:
    """An orange diamond for the offload plan's decode at the current batch, with a hover tooltip."""
    item = plot.plot(pen=None, symbol="d", symbolSize=13, symbolBrush=pg.mkBrush(ORANGE),
                     symbolPen=pg.mkPen("#000000", width=1.5))
    item.setZValue(22)
    item.scatter.opts["hoverable"] = True
    item.scatter.opts["tip"] = lambda x, y, data: data
    return item


def _offload_curve(plot: pg.PlotItem) -> pg.PlotDataItem:
    """An orange line with small diamonds for the offload plans over the sequences, with hover tooltips."""
    item = plot.plot(pen=_pen(ORANGE, 2.0), symbol="d", symbolSize=7, symbolBrush=pg.mkBrush(ORANGE),
                     symbolPen=pg.mkPen("#000000", width=1))
    item.setZValue(21)
    item.scatter.opts["hoverable"] = True
    item.scatter.opts["tip"] = lambda x, y, data: data
    return item


def _clear(item: pg.PlotDataItem) -> None:
    """Empty a marker item (only if it holds points: every setData costs a repaint)."""
    if item.xData is not None and len(item.xData):
        item.setData([], [])


def _tip(label: str, measured: float, estimated: float, unit: str) -> str:
    err = (estimated - measured) / measured * 100
    head = f"{label}\n" if label else ""
    return head + translate("Charts", "measured {value} {unit}").format(value=num(measured, 2), unit=unit) + "\n" \
        + translate("Charts", "estimated {value} {unit} ({error} %)").format(value=num(estimated, 2), unit=unit,
                                                                               error=signed(err, 1))


def set_range(plot: pg.PlotItem, x: tuple[float, float], y: tuple[float, float]) -> None:
    """Set the view range only when it differs from the current one: every ``setRange``
    makes the axes regenerate their ticks and repaint, even for the same numbers.  The new
    view transform is applied at once: left to the paint, it moves the marker labels during
    the paint, and they repaint the chart a second time.  So too where a linked plot already
    moved the range (the step plot follows the throughput plot's batch axis): the range is
    the one wanted, its transform still pending (``updateMatrix`` does nothing if none is)."""
    (x0, x1), (y0, y1) = plot.vb.viewRange()
    if (x0, x1, y0, y1) != (float(x[0]), float(x[1]), float(y[0]), float(y[1])):
        plot.setRange(xRange=x, yRange=y, padding=0)
    plot.vb.updateMatrix()


def memory_axis_top(x: np.ndarray, total: np.ndarray, current: float, cards: float,
                    reach: float = 1.6) -> float:
    """What a memory chart's y axis must show: the cards' lines and the total at the
    current point with room above (``reach`` times the larger), or the whole curve where it
    stays lower.  A sweep out to four times the model's limit ends far above the cards for
    big models (405B on 80 GB cards: 600 GiB against 80); the curve then leaves through
    the top instead of squeezing the lines and the point where it crosses them into the
    bottom seventh of the plot."""
    here = float(np.interp(np.log(max(current, 1.0)), np.log(x), total))
    return max(cards, min(float(total.max()), reach * max(cards, here)))


def sticky_end(current: int | None, needed: int, slack: int = 4) -> int:
    """The right end of a power-of-two x axis: the current one while it holds ``needed`` and
    is at most ``slack`` times it, else ``needed``.  An edit that moves the largest prompt or
    batch back and forth across a power of two leaves the axis still (a range change redraws
    the axes, the grid and the labels: about a millisecond of an edit); the chart may then show
    up to ``slack`` times more than a fresh window would."""
    return current if current is not None and needed <= current <= slack * needed else needed


def sticky_top(plot: pg.PlotItem, needed: float) -> float:
    """Top of a linear y axis from 0: the current one while the data fill between 45 % and
    100 % of it (a slider drag then leaves the axis, and its cached ticks, alone), else the
    next 1-2-2.5-5 step above ``needed``."""
    top = plot.vb.viewRange()[1][1]
    return top if 0.45 * top <= needed <= top else nice_ceil(needed)


def sticky_log(plot: pg.PlotItem, wanted: tuple[float, float]) -> tuple[float, float]:
    """A log y axis keeps its range while the wanted one lies inside it and is at most one
    decade (four quarter-decade steps) narrower."""
    lo, hi = plot.vb.viewRange()[1]
    if lo <= wanted[0] and wanted[1] <= hi and (hi - lo) - (wanted[1] - wanted[0]) <= 1.0:
        return lo, hi
    return wanted


def _log_range(values: np.ndarray) -> tuple[float, float]:
    """Log-axis range snapped outward to quarter decades, so small changes of the data
    leave the axis (and its cached tick labels) alone."""
    v = values[np.isfinite(values) & (values > 0)]
    lo, hi = np.log10(v.min()), np.log10(v.max())
    return float(np.floor(lo * 4 - 0.2) / 4), float(np.ceil(hi * 4 + 0.2) / 4)


def nice_ceil(x: float) -> float:
    """The next 1-2-2.5-5 step at or above ``x`` (keeps a linear axis still)."""
    if x <= 0:
        return 1.0
    base = 10 ** np.floor(np.log10(x))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * base >= x:
            return float(m * base)
    return float(10 * base)




class TrainingBatchChart(Retranslates, pg.PlotWidget):
    """Fine-tuning: memory per card against micro-batch, with the card's capacity."""

    def __init__(self, parent=None):
        super().__init__(parent, axisItems=_axes("bottom", "left"))
        p = self.getPlotItem()
        setup_plot(p, "", "", "")
        self.legend = p.addLegend(offset=(10, 1), labelTextSize="9pt", colCount=2)   # (three did not fit 1366 px)
        self.curves = stacked_curves(p, TRAINING_BANDS)
        self.capacity = Marker(angle=0, pen=_pen("#202020", 2), movable=False, label="",
                                        labelOpts={"position": 0.05, "color": "#202020", "anchors": [(0, 1), (0, 1)]})
        self.current = Marker(angle=90, pen=_pen(GREY, 1.5), movable=False, label="",
                                       labelOpts={"position": 0.7, "color": "#404040"})
        self.limit = Marker(angle=90, pen=_pen(VERMILION, 2, QtCore.Qt.PenStyle.DashLine), movable=False,
                                     label="", labelOpts={"position": 0.85, "color": VERMILION})
        for item in (self.capacity, self.current, self.limit):
            p.addItem(item, ignoreBounds=True)
        cache_static_items(p)
        p.vb.sigResized.connect(self.place_labels)
        self.retranslate()

    def place_labels(self) -> None:
        """The markers' labels clear of the legend (see :func:`place_marker_labels`)."""
        vb = self.getPlotItem().vb
        place_marker_labels(vb, [(self.limit, 0.85), (self.current, 0.70)],
                            [self.legend.mapRectToParent(self.legend.boundingRect())])

    def retranslate(self) -> None:
        p = self.getPlotItem()
        p.setTitle(self.tr("Memory per card vs micro-batch"))      # (the mode says fine-tuning; a longer title was cut)
        p.setLabel("left", self.tr("memory per card (GiB)"))
        p.setLabel("bottom", self.tr("micro-batch (sequences per card per step)"))
        rename_legend(self.legend, [(c, translate("Charts", label)) for c, (_, label, _) in
                                    zip(self.curves, TRAINING_BANDS, strict=True)])

    def apply_colours(self, c: theme.ChartColours) -> None:
        """Re-colour for a theme (see :meth:`MemoryChart.apply_colours`)."""
        self.setBackground(c.background)
        theme.style_plot(self.getPlotItem(), c)
        theme.recolour(self.capacity, c.rule, c.rule)
        theme.recolour(self.current, c.line(GREY), c.muted)
        theme.recolour(self.limit, c.line(VERMILION), c.label(VERMILION))

    def update_training(self, t, max_batch: int) -> None:
        from ..core.training import training_memory

        top = batch_end(64, t.batch, max_batch)
        b = log_sweep(1, top, 96)
        m = training_memory(t, batch=b)
        stack = np.cumsum(np.vstack([m.weights, m.gradients, m.optimizer, m.activations, m.overhead]), axis=0) / GIB
        for curve, y in zip(self.curves, stack, strict=True):
            curve.setData(b, y)
        card = t.gpu.memory_bytes / GIB
        self.capacity.setValue(card)
        set_label(self.capacity, self.tr("{card}: {size} GiB").format(card=t.gpu.name, size=num(card, 1)))
        self.current.setValue(np.log10(t.batch))
        set_label(self.current, self.tr("micro-batch {n}").format(n=integer(t.batch)))
        self.limit.setVisible(max_batch >= 1)
        if max_batch >= 1:
            self.limit.setValue(np.log10(min(max_batch, top)))
            set_label(self.limit, self.tr("largest that fits: {n}").format(n=integer(max_batch)))
        ymax = sticky_top(self.getPlotItem(), max(float(stack[-1, -1]), card) * 1.05)
        set_range(self.getPlotItem(), (0, np.log10(top)), (0, ymax))
        self.place_labels()
