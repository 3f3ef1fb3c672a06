"""The charts' own tick layout (``ChartAxis.generateDrawSpecs``) draws what pyqtgraph's
would: same ticks, tick pens, axis line and labels, on every axis of both charts, for
random ranges (linear and log, narrow and wide)."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui
from support import settle

from vramgui.ui.charts import ChartAxis


def specs(axis, generate):
    pic = QtGui.QPicture()
    p = QtGui.QPainter(pic)
    try:
        out = generate(p)
    finally:
        p.end()
    axis_spec, ticks, texts = out
    return ((axis_spec[0].color().rgba(), axis_spec[1].x(), axis_spec[1].y(), axis_spec[2].x(), axis_spec[2].y()),
            [(pen.color().rgba(), pen.widthF(), a.x(), a.y(), b.x(), b.y()) for pen, a, b in ticks],
            [(r.x(), r.y(), r.width(), r.height(), int(flags), text) for r, flags, text in texts])


@pytest.mark.parametrize("chart", ["memory_chart", "speed_thr", "speed_step"])
def test_tick_layout_equals_pyqtgraphs(win, qtbot, chart):
    settle(qtbot, win)
    plot = {"memory_chart": win.memory_chart.getPlotItem(), "speed_thr": win.speed_chart.thr,
            "speed_step": win.speed_chart.step}[chart]
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(40):
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            assert isinstance(axis, ChartAxis)
            lo = rng.uniform(-1, 4) if axis.logMode else rng.uniform(0, 50)
            width = rng.choice([0.3, 1.0, 2.5, 6.0]) if axis.logMode else rng.choice([1.0, 7.5, 40.0, 900.0])
            axis.setRange(lo, lo + width)
            mine = specs(axis, axis.generateDrawSpecs)
            theirs = specs(axis, lambda p, a=axis: pg.AxisItem.generateDrawSpecs(a, p))
            assert mine[0] == pytest.approx(theirs[0])
            assert len(mine[1]) == len(theirs[1]) and len(mine[2]) == len(theirs[2])
            for a, b in zip(mine[1] + mine[2], theirs[1] + theirs[2], strict=True):
                assert a[:-1] == pytest.approx(b[:-1]) if isinstance(a[-1], str) else a == pytest.approx(b)
                assert a[-1] == b[-1]
            checked += len(mine[2])
    assert checked > 100        # labels were compared, not only empty axes


def test_grid_image_blends_lines_over_the_background(win):
    """Ink black on white: a line of alpha 0.5 leaves 255 * 0.5 = 127.5, rounded to 128;
    two lines of 0.25 on one row cover 1 - 0.75² = 0.4375 of it (255 * 0.5625 = 143.4 -> 143),
    and where that row crosses the column, 127.5 * 0.5625 = 71.7 -> 72.  Pixels are placed as
    Qt places a one-pixel aliased line at x: column floor(x)."""
    grid = win.memory_chart.getPlotItem().chart_grid
    grid.set_colours("#000000", 0.15, "#ffffff")
    image = grid._render(10, 6, 1.0, [(3.2, 0.5)], [(2.7, 0.25), (2.2, 0.25)])
    grey = [[QtGui.QColor(image.pixel(x, y)).red() for x in range(10)] for y in range(6)]
    assert grey[0] == [255, 255, 255, 128, 255, 255, 255, 255, 255, 255]
    assert grey[2] == [143, 143, 143, 72, 143, 143, 143, 143, 143, 143]
    assert all(grey[y] == grey[0] for y in (1, 3, 4, 5))


def test_grid_follows_the_axis_ticks_and_the_axes_stay_small(win, qtbot):
    """The memory chart's y grid is drawn at the left axis' ticks (Llama 2 7B on an RTX 4090:
    0-40 GiB, major lines every 10 GiB, fainter ones between every 5), and the axes no longer
    cover the plot (their cached pixmaps were the plot's size)."""
    settle(qtbot, win)
    plot = win.memory_chart.getPlotItem()
    grid = plot.chart_grid
    rect = grid.boundingRect()
    ys = grid.lines(rect.height(), "y")
    y0, y1 = plot.vb.viewRange()[1]
    assert (y0, y1) == (0, 40)
    strongest = max(a for _, a in ys)
    at_value = {round(y1 - at / rect.height() * (y1 - y0), 6): alpha for at, alpha in ys}
    assert sorted(v for v, a in at_value.items() if a == strongest) == pytest.approx([0, 10, 20, 30, 40])
    assert all(at_value.get(v, 0) > 0 for v in range(5, 40, 10))
    assert all(0 < alpha <= 0.15 for _, alpha in ys)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        assert axis.grid is False
        box = axis.boundingRect()
        assert box.width() < rect.width() / 2 or box.height() < rect.height() / 2
    shot = win.memory_chart.grab().toImage()
    top_left = win.memory_chart.mapFromScene(plot.vb.mapRectToScene(plot.vb.boundingRect()).topLeft())
    x = top_left.x() + int(rect.width() * 0.45)       # above the bands there (about 13 GiB)
    line_30 = next(at for at, _ in ys if abs(y1 - at / rect.height() * (y1 - y0) - 30) < 1e-6)
    background = QtGui.QColor(grid.background).rgb() & 0xFFFFFF
    ink = QtGui.QColor(shot.pixel(x, top_left.y() + int(line_30))).red()
    bg, fg = QtGui.QColor(grid.background).red(), grid.ink.red()     # (light theme: 255 and 0x20)
    assert ink == round(bg * (1 - strongest) + fg * strongest)      # the line, blended as in the image test
    gap = top_left.y() + int(line_30 - rect.height() / 16)    # 32.5 GiB: between two lines
    assert shot.pixel(x, gap) & 0xFFFFFF == background


def random_ranges(win, qtbot, seed: int, rounds: int = 30):
    """Each plot of both charts, set to 30 random ranges in turn: (plot, the generator)."""
    from vramgui.ui.charts import set_range

    settle(qtbot, win)
    plots = [win.memory_chart.getPlotItem(), win.speed_chart.thr, win.speed_chart.step]
    rng = np.random.default_rng(seed)
    for _ in range(rounds):
        for plot in plots:
            x0, y0 = rng.uniform(0, 3), rng.uniform(0, 40)
            set_range(plot, (x0, x0 + rng.uniform(0.5, 4)), (y0, y0 + rng.uniform(1, 200)))
            yield plot, rng


def test_markers_bounds_and_labels_equal_pyqtgraphs(win, qtbot):
    """:class:`Marker` computes an axis-aligned line's bounding rectangle from the view range
    and :class:`MarkerLabel` places its label without pyqtgraph's general mapping: both give
    pyqtgraph's answer for every marker of both charts over random ranges."""
    from pyqtgraph.graphicsItems.InfiniteLine import InfLineLabel

    from vramgui.ui.charts import Marker

    compared = 0
    for plot, rng in random_ranges(win, qtbot, seed=3):
        for item in plot.items:
            if not isinstance(item, Marker) or not item.isVisible():
                continue
            item.setValue(rng.uniform(*plot.vb.viewRange()[0 if item.angle == 90 else 1]))
            mine = item._computeBoundingRect()
            ends = item._endPoints
            theirs = pg.InfiniteLine._computeBoundingRect(item)
            assert mine.getRect() == pytest.approx(theirs.getRect(), rel=1e-6, abs=1e-9)
            assert ends == pytest.approx(item._endPoints)
            if getattr(item, "label", None) is not None:
                item.label.updatePosition()
                pos, anchor = item.label.pos(), tuple(item.label.anchor)
                InfLineLabel.updatePosition(item.label)
                assert (pos.x(), pos.y()) == pytest.approx((item.label.pos().x(), item.label.pos().y()))
                assert anchor == tuple(item.label.anchor)
            compared += 1
    assert compared > 200


def test_curve_bounds_equal_pyqtgraphs(win, qtbot):
    """:meth:`Curve.boundingRect` takes the pixel's size from the view range; pyqtgraph's maps
    a pixel into the curve's coordinates.  Same rectangles for every curve over random ranges."""
    from vramgui.ui.charts import Curve

    compared = 0
    for plot, _ in random_ranges(win, qtbot, seed=5):
        for item in plot.items:
            if not isinstance(item, Curve) or item.getData()[0] is None or not len(item.getData()[0]):
                continue
            item._boundingRect = None
            mine = item.boundingRect()
            item._boundingRect = None
            theirs = pg.PlotCurveItem.boundingRect(item)
            assert mine.getRect() == pytest.approx(theirs.getRect(), rel=1e-6, abs=1e-9)
            compared += 1
    assert compared > 200


@pytest.mark.parametrize("seed", range(6))
def test_curve_data_bounds_equal_pyqtgraphs(qtbot, seed):
    """:meth:`Curve.dataBounds` keeps each data set's extent instead of pyqtgraph's NaN-aware
    pass on every call: the same bounds, with NaN and inf in the data (log10 of 0 is -inf), a
    fill level, and pens whose width counts (non-cosmetic) or not; all-NaN data has none."""
    from vramgui.ui.charts import Curve

    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(1, 1e5, 160))
    y = rng.normal(10, 5, 160)
    if seed % 2:
        y[rng.integers(0, 160, 5)] = np.nan
    if seed % 3 == 0:
        y[0] = 0.0                        # -inf on a log-y curve
    pen = pg.mkPen("#123456", width=3)
    pen.setCosmetic(seed < 3)
    c = Curve(log_y=seed % 3 == 0, pen=pen, fillLevel=[None, 0.0, 25.0][seed % 3])
    c.setData(x, y)
    for ax in (0, 1):
        c._boundsCache = [None, None]
        assert c.dataBounds(ax) == pytest.approx(pg.PlotCurveItem.dataBounds(c, ax), rel=1e-12)
        c._boundsCache = [None, None]
        assert tuple(c.dataBounds(ax, 0.5)) == pytest.approx(tuple(pg.PlotCurveItem.dataBounds(c, ax, 0.5)))  # its own
    c.setData(x, y * 2)                   # new data: new extents
    c._boundsCache = [None, None]
    assert c.dataBounds(1) == pytest.approx(pg.PlotCurveItem.dataBounds(c, 1), rel=1e-12)
    c.setData(x, np.full(160, np.nan))
    assert c.dataBounds(1) == (None, None)


def test_stacked_bands_have_no_seams(win, qtbot):
    """The weights band is one opaque colour all along: pyqtgraph filled areas in chunks of
    50 points, and the anti-aliased edges where chunks met left lighter vertical lines (at
    the 50th and 99th sweep points) through every band."""
    settle(qtbot, win)
    chart = win.memory_chart
    plot = chart.getPlotItem()
    weights = chart.curves[0]
    x, y = weights.getData()                       # log10(prompt), GiB
    shot = chart.grab().toImage()
    row_at = plot.vb.mapViewToScene(QtCore.QPointF(float(x[0]), float(y[0]) / 2))
    row = chart.mapFromScene(row_at).y()
    fill = QtGui.QColor("#5aa0d8").rgb() & 0xFFFFFF
    for i in (49, 98):                             # where the chunks met (each reuses the last point)
        for dx in (-1, 0, 1):
            col = chart.mapFromScene(plot.vb.mapViewToScene(QtCore.QPointF(float(x[i]), 0))).x() + dx
            assert shot.pixel(col, row) & 0xFFFFFF == fill, (i, dx, hex(shot.pixel(col, row)))


def test_band_fills_look_as_pyqtgraphs(win, qtbot):
    """The stacked bands are filled without anti-aliasing under their anti-aliased outlines:
    the chart must look as with pyqtgraph's smoothed fill.  Measured: ~2,000 of 240,000
    pixels differ, by at most 25 of 255 in a channel, all within a pixel of an outline; the
    bound here is 40 (a fill edge showing beside its outline would differ by the two colours,
    over 60 for any pair of the bands' colours and the background)."""
    from vramgui.ui.charts import Curve

    settle(qtbot, win)
    chart = win.memory_chart

    def pixels() -> np.ndarray:
        chart.viewport().update()
        image = chart.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
        rgb = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)[:, :image.width(), :3]
        return rgb.astype(int)

    ours = pixels()
    Curve.smooth_fill = True                          # pyqtgraph's own fill
    try:
        theirs = pixels()
    finally:
        Curve.smooth_fill = False
    diff = np.abs(ours - theirs).max(axis=2)
    assert 0 < (diff > 0).sum() < 0.02 * diff.size, "no difference at all: is the unsmoothed fill still drawn?"
    assert diff.max() <= 40
    # every differing pixel lies within a pixel of where the smoothed picture has an edge (a colour change)
    edges = np.zeros_like(diff, dtype=bool)
    grad = (np.abs(np.diff(theirs, axis=0)).max(axis=2) > 0)
    edges[:-1] |= grad
    edges[1:] |= grad
    grad = (np.abs(np.diff(theirs, axis=1)).max(axis=2) > 0)
    edges[:, :-1] |= grad
    edges[:, 1:] |= grad
    assert not (diff > 0)[~edges].any()


def random_edits(win, qtbot, seed: int, rounds: int, resize: bool = False):
    """``rounds`` random edits through the widgets (prompt, batch and output sliders, model
    and card pickers; with ``resize`` the window's size too), each settled and both charts
    repainted before the caller looks."""
    import random

    rng = random.Random(seed)
    p = win.panel
    edits = [lambda: p.prompt.slider.setValue(rng.randrange(0, 1001)),
             lambda: p.batch.slider.setValue(rng.randrange(0, 1001)),
             lambda: p.output.slider.setValue(rng.randrange(0, 1001)),
             lambda: p.model.setCurrentIndex(rng.randrange(p.model.count())),
             lambda: p.gpu.setCurrentIndex(rng.randrange(p.gpu.count()))]
    if resize:
        edits.append(lambda: win.resize(rng.randrange(1100, 1700), rng.randrange(700, 1000)))
    for _ in range(rounds):
        rng.choice(edits)()
        settle(qtbot, win)
        win.memory_chart.viewport().repaint()
        win.speed_chart.viewport().repaint()
        yield


def test_kept_grid_images_match_a_fresh_render(win, qtbot):
    """The grid keeps each side's lines and the row of vertical lines by that side's range,
    and the image by both: after each of 40 random edits (ranges moving on one side, the
    other or both) every plot's image is the one drawn from scratch for its ranges now."""
    plots = [win.memory_chart.getPlotItem(), win.speed_chart.thr, win.speed_chart.step]
    checked = 0
    for _ in random_edits(win, qtbot, seed=9, rounds=40):
        for plot in plots:
            grid = plot.chart_grid
            rect = grid.boundingRect()
            w, h = rect.width(), rect.height()
            ratio = grid._image[1].devicePixelRatio()
            fresh = grid._render(int(w * ratio), int(h * ratio), ratio, grid.lines(w, "x"), grid.lines(h, "y"))
            assert grid._image[1] == fresh
            checked += 1
    assert checked == 120


def test_chart_texts_stay_unscaled_through_edits_and_resizes(win, qtbot):
    """Marker labels, read-outs and notes keep an unscaled, upright transform in the scene (one
    scene unit a pixel) whatever the plots' ranges and sizes: they follow the view's transform
    when it changes, not by a check on every repaint."""
    from vramgui.ui.charts import ChartText, MarkerLabel

    checked = 0
    for _ in random_edits(win, qtbot, seed=5, rounds=30, resize=True):
        for chart in (win.memory_chart, win.speed_chart):
            for item in chart.scene().items():
                if isinstance(item, ChartText | MarkerLabel) and item.isVisible():
                    t = item.sceneTransform()
                    assert (t.m11(), t.m12(), t.m21(), t.m22()) == pytest.approx((1, 0, 0, 1), abs=1e-9)
                    checked += 1
    assert checked > 100


def test_marker_lines_drawn_by_qt_span_the_plot_after_edits(win, qtbot):
    """A marker's line is a Qt line item whose ends follow range changes and moves: after
    each of 30 random edits (and window resizes) every shown marker's line runs between the
    ends pyqtgraph's own geometry gives, in the marker's pen, its label showing its text."""
    from vramgui.ui.charts import Marker

    checked = 0
    for _ in random_edits(win, qtbot, seed=11, rounds=30, resize=True):
        for chart in (win.memory_chart, win.speed_chart):
            for item in chart.scene().items():
                if not isinstance(item, Marker) or not item.isVisible():
                    continue
                line = item._stroke.line()
                pg.InfiniteLine._computeBoundingRect(item)      # pyqtgraph's ends, now
                left, right = item._endPoints
                assert (line.x1(), line.y1(), line.x2(), line.y2()) == pytest.approx((left, 0, right, 0), rel=1e-9)
                assert item._stroke.pen().color() == item.currentPen.color()
                assert item._stroke.pen().widthF() == item.currentPen.widthF()
                label = getattr(item, "label", None)
                if label is not None:        # its text set only when it changes, but always the current one
                    assert label.textItem.toPlainText() == label.format.format(value=item.value())
                checked += 1
    assert checked > 100
