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
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_marker_labels_cover_no_curve_and_no_other_label(win, qtbot, name):
    sc = SCENARIOS[name]
    win.state.set_model(sc["model"])
    win.state.set_gpu(sc["gpu"])
    if sc["change"]:
        win.state.update(**sc["change"])
    settle(qtbot, win)
    chart = win.speed_chart
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
