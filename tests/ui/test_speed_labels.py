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
    assert_labels_clear(show(win, qtbot, name), name)


def assert_labels_clear(chart, name: str) -> None:
    """No two marker labels overlap, and no throughput curve runs through one."""
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


def assert_key_clear(chart, name: str) -> None:
    """The key of the line styles lies in the chart's heading, over neither plot: no curve,
    marker or label of either runs under it."""
    key = chart.key.sceneBoundingRect()
    assert chart.heading.sceneBoundingRect().contains(key), name
    for plot in (chart.thr, chart.step):
        assert not plot.vb.sceneBoundingRect().intersects(key), name


def test_labels_placed_for_the_settled_layout(qtbot, tmp_path):
    """A window opened on a scenario (as ``vramgui --screenshot`` or a start-up does): the
    plots' linked x range moves once more after the last resize while the layout settles;
    the labels placed for the earlier range sat on the curves (Llama 4 Scout on an H100)."""
    from vramgui.ui.app import initial_scenario, make_window, parse_args, screenshot
    args = parse_args("--model llama4-scout --gpu h100-sxm --weights fp8 --engine vllm --prompt 32768 "
                      "--output 1024".split())
    w = make_window(initial_scenario(args))
    qtbot.addWidget(w)
    screenshot(w, tmp_path / "shot.png", "1366x768")
    assert_labels_clear(w.speed_chart, "Llama 4 Scout, H100, at start")
    assert_key_clear(w.speed_chart, "Llama 4 Scout, H100, at start")


@pytest.mark.parametrize("name", SCENARIOS)
def test_line_style_key_sits_in_the_heading(win, qtbot, name):
    """The key (solid: expected, dashed: speed of light) holds for both plots and sits in the
    chart's heading, beside the title at 1366 x 768.  In a corner of the step plot it covered a
    curve where the curves left no corner free (5 of 80 random scenarios at 1280 x 720)."""
    chart = show(win, qtbot, name)
    assert_key_clear(chart, name)
    assert chart.key.names == ["expected", "speed of light"]
    title, key = chart.title.sceneBoundingRect(), chart.key.sceneBoundingRect()
    assert key.left() > title.left() and abs(key.center().y() - title.center().y()) < 2   # beside it
    pens = [pen for pen, _, _ in chart.key.entries()]
    assert [pen.style() for pen in pens] == [chart.thr_curve.opts["pen"].style(), chart.thr_sol.opts["pen"].style()]
    assert [pen.widthF() for pen in pens] == [chart.thr_curve.opts["pen"].widthF(), chart.thr_sol.opts["pen"].widthF()]


def test_line_style_key_goes_under_the_title_in_a_narrow_chart(win, qtbot):
    """Where title and key do not fit one line (the window's smallest width) the key goes under
    the title, still over neither plot; widened again, beside it."""
    chart = win.speed_chart
    win.resize(win.minimumSizeHint().width(), 700)
    qtbot.waitUntil(lambda: not chart._key_beside, timeout=3000)
    settle(qtbot, win)
    title, key = chart.title.sceneBoundingRect(), chart.key.sceneBoundingRect()
    assert key.top() >= title.bottom() - 1
    assert_key_clear(chart, "narrow")
    room = chart.heading.sceneBoundingRect().width()
    assert chart.title.item.boundingRect().width() + key.width() + 2 * chart.key.GAP > room   # (too narrow: a test)
    win.resize(1366, 768)
    qtbot.waitUntil(lambda: chart._key_beside, timeout=3000)
    settle(qtbot, win)
    assert abs(chart.key.sceneBoundingRect().center().y() - chart.title.sceneBoundingRect().center().y()) < 2


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


def _box(item):
    return item.textItem.mapRectToScene(item.textItem.boundingRect())


def test_a_missing_knee_is_said_in_the_step_plots_corner(win, qtbot):
    """Llama 2 7B fp16 on an RTX 4090 at 4,096 + 256 tokens: each sequence adds 4,352 x 512 KiB of cache to read,
    2.7 ms at 85 % of 1,008 GB/s, and 15.8 GFLOP of math, 0.16 ms at 60 % of 165 TFLOP/s, so the expected decode
    never turns compute bound and the knee's marker has no place (the core's knee: inf).  The step plot's bottom
    right corner says so, clear of the step curves; with a 184-token prompt the knee lies at batch 1,286, past the
    chart's 1,024 (said with its number); with 16 tokens on an H100 it is in the chart, marked, and the note goes."""
    from vramgui.core.speed import estimate_speed

    chart = win.speed_chart
    s = win.state.scenario
    assert float(estimate_speed(s).knee_batch) == np.inf
    assert chart.no_knee.isVisible() and not chart.markers["knee"][0].isVisible()
    assert chart.no_knee.toPlainText() in ("no knee: memory-bound at every batch", "no knee")
    plot, box = chart.step.vb.sceneBoundingRect(), _box(chart.no_knee)
    assert plot.contains(box.adjusted(1, 1, -1, -1)), (box, plot)
    assert box.right() > plot.right() - 10 and box.bottom() > plot.bottom() - 10      # (the bottom right corner)
    for curve in (chart.step_curve, chart.step_sol):
        x, y = curve.getData()
        pts = [chart.step.vb.mapViewToScene(QtCore.QPointF(float(a), float(b))) for a, b in zip(x, y, strict=True)]
        assert not any(box.contains(p) for p in pts)
    # a 184-token prompt, 16 generated: the knee past the chart, with its number
    win.panel.prompt.spin.setValue(184)
    win.panel.output.spin.setValue(16)
    settle(qtbot, win)
    s = win.state.scenario
    knee = float(estimate_speed(s).knee_batch)
    # by hand, at the generic engine's shares (85 % of 1,008 GB/s, 60 % of 165.2 TFLOP/s): 13,214,687,232 bytes
    # of weights (2 x (6,738,415,616 - 32,000 x 4,096)) take 15.42 ms, and per sequence 2 x 6,607,343,616 +
    # 4 x 32 x 32 x 128 x 200 FLOPs take 134.38 us against 200 tokens x 512 KiB of cache, 122.38 us: compute
    # overtakes memory past b = 15.42 ms / 12.00 us = 1,285.8
    weights, per_seq = 2 * (6_738_415_616 - 32_000 * 4_096), 2 * 6_607_343_616 + 4 * 32 * 32 * 128 * 200
    crossing = (weights / (1008e9 * 0.85)) / (per_seq / (165.2e12 * 0.6) - 200 * 524_288 / (1008e9 * 0.85))
    assert knee == np.ceil(crossing) == 1286 and chart.result.batch[-1] == 1024
    assert chart.no_knee.isVisible() and not chart.markers["knee"][0].isVisible()
    assert chart.no_knee.toPlainText() in ("knee at batch 1,286, past the chart", "knee at 1,286")
    # on an H100 with 16 tokens of prompt the knee is in the chart: marked there, no note
    win.panel.prompt.spin.setValue(16)
    win.panel.gpu.setCurrentIndex(win.panel.gpu.findData("h100-sxm"))
    settle(qtbot, win)
    knee = float(estimate_speed(win.state.scenario).knee_batch)
    assert 1 < knee <= 1024
    assert chart.markers["knee"][0].isVisible() and chart.markers["knee"][0].value() == pytest.approx(np.log10(knee))
    assert not chart.no_knee.isVisible()
