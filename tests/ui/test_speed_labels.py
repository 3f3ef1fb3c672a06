"""The speed chart's marker labels (knee, memory limit, batch) stay legible: none covers
the throughput curves or another label.  They used to sit at fixed heights on their
lines, where the rising throughput curve often ran through them."""

import numpy as np
import pytest
from PySide6 import QtCore
from support import settle

SCENARIOS = {
    "Llama 2 7B on RTX 4090": dict(model="llama2-7b", gpu="rtx4090", change={}),
    "Llama 2 70B GPTQ on A100, HF": dict(model="llama2-70b", gpu="a100-80gb",
                                         change=dict(weights="gptq-int4", engine="hf", prompt_tokens=4096)),
    "Llama 3.1 405B FP8 on 8 x H100, vLLM": dict(model="llama3.1-405b", gpu="h100-sxm",
                                                 change=dict(n_gpus=8, weights="fp8", engine="vllm",
                                                             prompt_tokens=8192, output_tokens=1024, batch=16)),
    "Mistral 7B batch 64": dict(model="mistral-7b", gpu="a100-80gb", change=dict(batch=64)),
    # a step curve rising from the bottom left to the top right of the plot: no corner is free for
    # a legend the size it was (62 px of a 149 px high plot at 1366 x 768)
    "Mixtral 8x7B Q4_K_M, llama.cpp, on RTX 4090": dict(model="mixtral-8x7b", gpu="rtx4090",
                                                      change=dict(weights="q4_k_m", engine="llamacpp", batch=8)),
}


# Markers close together near the right end, where the throughput curve runs flat: no place
# is clear of both the curves and the other marker lines, so a label lets a marker line pass
# (it kept the curve clear only when the labels were placed in the better order).
CROWDED = {
    "GLM-4.5-Air Q4_K_M, HF, on 8 A800": dict(model="glm4.5-air", gpu="a800-80gb",
                                             change=dict(weights="q4_k_m", engine="hf", n_gpus=8,
                                                         prompt_tokens=116, batch=32)),
    "Gemma 3 1B, HF, on 8 M3 Max": dict(model="gemma3-1b", gpu="m3-max-128gb",
                                       change=dict(weights="bf16", engine="hf", n_gpus=8,
                                                   prompt_tokens=4616, batch=16)),
}


def show(win, qtbot, name: str):
    """The window on scenario ``name``, redrawn; its speed chart."""
    sc = SCENARIOS.get(name) or CROWDED[name]
    win.state.set_model(sc["model"])
    win.state.set_gpu(sc["gpu"])
    if sc["change"]:
        win.state.update(**sc["change"])
    settle(qtbot, win)
    return win.speed_chart


@pytest.mark.parametrize("name", [*SCENARIOS, *CROWDED])
def test_marker_labels_cover_no_curve_and_no_other_label(win, qtbot, name):
    chart = show(win, qtbot, name)
    vb = chart.thr.vb
    labels = [line.label for key in ("knee", "memory", "current") for line in chart.markers[key][:1]
              if line.isVisible() and line.label.toPlainText()]
    assert labels, "no marker is shown: not a test"
    rects = [label.sceneBoundingRect() for label in labels]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), f"{name}: two marker labels overlap"
    for curve in (chart.thr_curve, chart.thr_sol):
        batch, thr = curve.getOriginalDataset()
        # the polyline, densely (400 points across the batch axis)
        xs = np.linspace(np.log10(batch[0]), np.log10(batch[-1]), 400)
        ys = np.interp(xs, np.log10(batch), np.log10(thr))
        pts = [vb.mapViewToScene(QtCore.QPointF(float(x), float(y))) for x, y in zip(xs, ys, strict=True)]
        for label, rect in zip(labels, rects, strict=True):
            hit = [p for p in pts if rect.contains(p)]
            assert not hit, f"{name}: the curve runs through the label {label.toPlainText()!r}"


@pytest.mark.parametrize("name", SCENARIOS)
def test_marker_labels_are_not_crossed_by_another_marker_line(win, qtbot, name):
    chart = show(win, qtbot, name)
    vb = chart.thr.vb
    lines = [line for key in ("knee", "memory", "current") for line in chart.markers[key][:1] if line.isVisible()]
    for line in lines:
        rect = line.label.sceneBoundingRect()
        for other in lines:
            if other is not line:
                x = vb.mapViewToScene(QtCore.QPointF(other.value(), 0)).x()
                assert not rect.left() <= x <= rect.right(), \
                    f"{name}: the {other.label.toPlainText()!r} line crosses the label {line.label.toPlainText()!r}"


def assert_legend_clear(chart, name: str) -> None:
    """The step plot's legend lies inside the plot and no step curve runs through it."""
    vb = chart.step.vb
    rect = chart.legend.sceneBoundingRect()
    assert vb.sceneBoundingRect().contains(rect)
    for curve in (chart.step_curve, chart.step_sol):
        batch, ms = curve.getOriginalDataset()
        xs = np.linspace(np.log10(batch[0]), np.log10(batch[-1]), 400)
        ys = np.interp(xs, np.log10(batch), np.log10(ms))
        pts = [vb.mapViewToScene(QtCore.QPointF(float(x), float(y))) for x, y in zip(xs, ys, strict=True)]
        assert not [p for p in pts if rect.contains(p)], f"{name}: a step curve runs through the legend"


def test_legend_and_labels_placed_for_the_settled_layout(qtbot, tmp_path):
    """A window opened on a scenario (as ``vramgui --screenshot`` or a start-up does): the
    plots' linked x range moves once more after the last resize while the layout settles;
    the legend stayed where the earlier range had left room, and the step curve of Llama 4
    Scout on an H100 ran under its box."""
    from vramgui.ui.app import initial_scenario, make_window, parse_args, screenshot
    args = parse_args("--model llama4-scout --gpu h100-sxm --weights fp8 --engine vllm --prompt 32768 "
                      "--output 1024".split())
    w = make_window(initial_scenario(args))
    qtbot.addWidget(w)
    screenshot(w, tmp_path / "shot.png", "1366x768")
    assert_legend_clear(w.speed_chart, "Llama 4 Scout, H100, at start")


@pytest.mark.parametrize("name", SCENARIOS)
def test_line_style_legend_covers_no_step_curve(win, qtbot, name):
    """The legend (solid: expected, dashed: speed of light) sits in a corner of the step plot
    that neither step curve crosses; marker lines pass under its box."""
    chart = show(win, qtbot, name)
    assert_legend_clear(chart, name)
    assert [label.text for _, label in chart.legend.items] == ["expected", "speed of light"]
    assert chart.legend.brush().color().alpha() > 200         # a box: the lines under it do not show


def test_legend_moves_to_a_free_corner(win, qtbot):
    """Curves running along the top of the step plot (drawn by hand here: the sweeps of the
    catalog leave the top left free) send the legend to a bottom corner."""
    settle(qtbot, win)
    chart = win.speed_chart
    vb = chart.step.vb
    (x0, x1), (y0, y1) = vb.viewRange()
    b = 10 ** np.linspace(x0, x1, 50)
    top = 10 ** (y1 - 0.15 * (y1 - y0))        # 15 % below the top edge: through both top corners
    chart.step_curve.setData(b, np.full(b.size, top))
    chart.step_sol.setData(b, np.full(b.size, top * 0.97))
    chart.place_legend()
    qtbot.wait(10)
    rect = chart.legend.sceneBoundingRect()
    assert chart.legend.pos().y() > vb.height() / 2            # a bottom corner
    y_scene = vb.mapViewToScene(QtCore.QPointF(x0, np.log10(top))).y()
    assert not rect.top() <= y_scene <= rect.bottom()


def test_time_to_first_token_stays_inside_the_step_plot(win, qtbot):
    """A long prompt and a big batch (Llama 3.1 8B, 120,000 tokens x 256 on an RTX 4090) made the
    line too long for the step plot at 1366 x 768, its time cut off at the plot's edge; it then
    reads in short, the whole line inside the plot and still ending with the time."""
    from vramgui.core.speed import prefill_time
    from vramgui.ui import i18n

    win.state.set_model("llama3.1-8b")
    win.state.set_gpu("rtx4090")
    win.state.update(weights="q4_k_m", engine="vllm", prompt_tokens=120_000, batch=256)
    settle(qtbot, win)
    chart = win.speed_chart
    s = win.state.scenario
    text = chart.ttft.toPlainText()
    assert text.endswith(": " + i18n.duration(float(prefill_time(s, s.prompt_tokens, s.batch))))
    assert text.endswith(" h") or text.endswith(" min")      # (hours of prefill: 120,000 x 256 tokens)
    plot = chart.step.vb.sceneBoundingRect()
    box = chart.ttft.textItem.mapRectToScene(chart.ttft.textItem.boundingRect())
    assert plot.left() - 1 <= box.left() and box.right() <= plot.right() + 1, (box, plot)


def test_unknown_time_to_first_token_stays_inside_the_step_plot(win, qtbot):
    """On a card without a FLOP/s figure (a Tesla P40) the line says the time is unknown and
    why: at 1366 x 768 that ran past the step plot's right edge; the short form fits."""
    win.state.set_gpu("tesla-p40")
    settle(qtbot, win)
    chart = win.speed_chart
    assert chart.ttft.toPlainText().startswith("time to first token: unknown")
    plot = chart.step.vb.sceneBoundingRect()
    box = chart.ttft.textItem.mapRectToScene(chart.ttft.textItem.boundingRect())
    assert box.right() <= plot.right() + 1, (box, plot)
