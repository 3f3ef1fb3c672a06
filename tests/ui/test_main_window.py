"""The main window, driven through its widgets; assertions against the core's numbers."""

import json
import math
import re
from dataclasses import replace

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from support import settle

from vramgui.core import Scenario, default_catalog, estimate_memory, fit
from vramgui.core.speed import estimate_speed, prefill_time
from vramgui.core.units import GIB, MIB
from vramgui.ui import i18n

pytestmark = pytest.mark.gui


def stacked_total(win) -> np.ndarray:
    return win.memory_chart.curves[-1].getOriginalDataset()[1]


def choose(qtbot, win, combo, ident):
    combo.setCurrentIndex(combo.findData(ident))
    settle(qtbot, win)


def drive(qtbot, win, gpus: int, batch: int, **choices):
    """Pick model, gpu, weights, engine (those given) in their combo boxes, then set the card
    count and the batch, through the widgets."""
    p = win.panel
    for name, ident in choices.items():
        choose(qtbot, win, getattr(p, name), ident)
    p.gpus.setValue(gpus)
    p.batch.spin.setValue(batch)
    settle(qtbot, win)


def combo_colour(combo, i: int) -> QtGui.QColor:
    """The colour of a picker entry's swatch."""
    return combo.itemIcon(i).pixmap(12, 12).toImage().pixelColor(6, 6)


@pytest.mark.qt_log_ignore("This plugin does not support raise", "This plugin does not support grabbing")  # (offscreen)
def test_the_weight_picker_says_what_each_format_needs(qtbot, win):
    """When the weight format list drops down (the KV cache's and the engine's too; the card list: each card's row
    of the fit table), each format gives the memory the scenario needs in it a card, of the
    usable, and the verdict the fit table would give (core.fit's), beside a swatch in the table's colours; closed,
    the names alone again, the scenario and the charts untouched.  Llama 2 7B (6.74 B parameters) on an RTX 4090,
    4,096 + 256 tokens: in FP32 its weights alone take 4 x 6,738,415,616 B = 25.1 GiB, more than the card's 24
    GiB: two cards (half the layers each) hold it; in FP16 12.55 GiB: it fits."""
    from vramgui.ui.fit_table import FIT, SPLIT
    assert 4 * 6_738_415_616 / GIB == pytest.approx(25.1, abs=0.05)
    p, s = win.panel, win.state.scenario
    combo = p.weights
    names = [combo.itemText(i) for i in range(combo.count())]
    changes = []
    win.state.changed.connect(lambda: changes.append(1))
    combo.showPopup()
    try:
        texts = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
        for fmt, verdict, colour in (("fp32", "needs 2 cards", SPLIT), ("fp16", "fits", FIT), ("q4_k_m", "fits", FIT)):
            f = fit(s.with_(weights=fmt))
            need = f"{f.needed_bytes / GIB:.1f} of {f.budget_bytes / GIB:.1f} GiB"
            i = combo.findData(fmt)
            assert texts[fmt].endswith(f"  —  {need}, {verdict}"), texts[fmt]
            assert combo_colour(combo, i) == colour
            assert verdict in combo.itemData(i, QtCore.Qt.ItemDataRole.ToolTipRole)
        assert texts["fp16"].startswith("FP16  —  ")
    finally:
        combo.hidePopup()
    assert [combo.itemText(i) for i in range(combo.count())] == names and combo.itemIcon(0).isNull()
    assert win.state.scenario is s and not changes and not win.busy()
    # the card picker's list gives each card's row of the fit table the same way (an RTX 3060 12GB's "needs 2
    # cards", the 4090's "fits")
    gpu = p.gpu
    shown = gpu.shown_text()
    gpu.showPopup()
    try:
        model = win.fit_panel.model
        for card in ("rtx4090", "rtx3060-12gb"):
            i, row = gpu.findData(card), model.row_of(card)
            cells = model.row_cells(row)
            need = cells[2].replace(" GiB", "") + " of " + cells[3]
            assert gpu.itemText(i).endswith(f"  —  {need}, {cells[0]}"), gpu.itemText(i)
            assert combo_colour(gpu, i) == model.colour(row)
        assert gpu.itemText(gpu.findData("rtx3060-12gb")).endswith(", needs 2 cards")
    finally:
        gpu.hidePopup()
    assert gpu.shown_text() == shown and gpu.itemIcon(gpu.findData("rtx4090")).isNull() and not changes
    # ... and the compare menu, while it shows: its swatch, the row in its tooltip (the names keep their width)
    menu = p.compare.menu()
    acts = {a.data(): a for a in menu.actions()}
    names = {k: a.text() for k, a in acts.items()}
    menu.aboutToShow.emit()
    cells = model.row_cells(model.row_of("rtx3060-12gb"))
    act = acts["rtx3060-12gb"]
    assert act.toolTip() == f"{names['rtx3060-12gb']}  —  {cells[2].replace(' GiB', '')} of {cells[3]}, needs 2 cards"
    assert act.icon().pixmap(12, 12).toImage().pixelColor(6, 6) == model.colour(model.row_of("rtx3060-12gb"))
    assert {k: a.text() for k, a in acts.items()} == names
    menu.aboutToHide.emit()
    assert act.icon().isNull() and act.toolTip() == act.text()
    # the KV cache's and the engine's the same way: an FP8 cache's memory, MLX greyed on an NVIDIA card
    from vramgui.ui.fit_table import ELSEWHERE
    for other, field, ident in ((p.kv, "kv_dtype", "fp8"), (p.engine, "engine", "mlx")):
        other.showPopup()
        try:
            f = fit(s.with_(**{field: ident}))
            need = f"{f.needed_bytes / GIB:.1f} of {f.budget_bytes / GIB:.1f} GiB"
            assert f"  —  {need}, " in other.itemText(other.findData(ident))
        finally:
            other.hidePopup()
    p.engine.showPopup()
    try:
        i = p.engine.findData("mlx")
        assert p.engine.itemText(i).endswith(", no backend") and combo_colour(p.engine, i) == ELSEWHERE
    finally:
        p.engine.hidePopup()
    assert not changes
    # with System RAM: a format the card cannot hold gives its offload plan, as the table's row does (Llama 2 70B
    # Q4_K_M beside the card with 32 GB, the 47 of 80 layers test_import_ui.py counts)
    drive(qtbot, win, model="llama2-70b", weights="q4_k_m", engine="llamacpp", gpus=1, batch=1)
    p.prompt.spin.setValue(4000)
    p.output.spin.setValue(96)
    p.ram.setValue(32)
    settle(qtbot, win)
    combo.showPopup()
    try:
        text = combo.itemText(combo.findData("q4_k_m"))
        assert text.endswith(", offloaded: 47/80 layers on GPU"), text
        assert combo.itemText(combo.findData("fp16")).endswith(", does not fit in RAM either")
    finally:
        combo.hidePopup()
    p.ram.setValue(0)
    settle(qtbot, win)

def test_model_picker_redraws_the_memory_chart(qtbot, win):
    p = win.panel
    choose(qtbot, win, p.model, "llama2-13b")
    s = win.state.scenario
    assert s.model.id == "llama2-13b"
    x, y = win.memory_chart.curves[-1].getOriginalDataset()
    expected = estimate_memory(s, prompt=x).total / GIB
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    # weights band alone: 13.016 B × 2 bytes
    np.testing.assert_allclose(win.memory_chart.curves[0].getOriginalDataset()[1], 13_015_864_320 * 2 / GIB, rtol=1e-9)


def test_a_model_released_quantized_comes_in_its_release_format(qtbot, win):
    # gpt-oss-120b is released with its routed experts in MXFP4 (its config.json's quantization_config): picked with
    # 16-bit weights it comes in that format, 60.77 GiB (tests/test_stored_format.py), not 16 bits' 216.5, and the
    # status bar says so; the next model gets back the 16 bits; a quantization the user chose stays
    p = win.panel
    choose(qtbot, win, p.model, "gpt-oss-120b")
    assert win.state.scenario.weights == "mxfp4" and p.weights.currentData() == "mxfp4"
    assert win.breakdown.values["weights"].text() == "60.77 GiB"
    assert win.statusBar().currentMessage() == ("Weights set to MXFP4 experts (gpt-oss), the format gpt-oss-120b (MoE) "
                                                "is published in (pick another format to compare).")
    for combo, ident, weights in (
            (p.model, "llama2-7b", "fp16"),          # the next model: the 16 bits back
            (p.weights, "q4_k_m", "q4_k_m"),
            (p.model, "gpt-oss-120b", "q4_k_m"),     # a quantization the user chose stays
            (p.weights, "bf16", "bf16"),
            (p.model, "gpt-oss-20b", "mxfp4"),       # (BF16 is 16 bits too)
            (p.weights, "fp16", "fp16"),             # 16 bits picked on gpt-oss: the user's, for the next model too
            (p.model, "llama2-7b", "fp16"),
            (p.engine, "llamacpp", "fp16"),
            (p.model, "gpt-oss-20b", "gguf-mxfp4"),  # under llama.cpp its GGUF (the experts MXFP4, the rest Q8_0)
            (p.model, "deepseek-v4-flash", "fp16")):  # FP8, which no GGUF keeps: the 16 bits stay
        choose(qtbot, win, combo, ident)
        assert win.state.scenario.weights == weights, (ident, weights)
    # a format set right after the model (a restored session, a My machine row): no word of the release format
    win.statusBar().clearMessage()
    win.state.set_model("gpt-oss-120b")
    win.state.update(weights="q8_0")
    settle(qtbot, win)
    assert win.state.scenario.weights == "q8_0" and "published" not in win.statusBar().currentMessage()


def test_prompt_spin_moves_current_and_limit_markers(qtbot, win):
    win.panel.prompt.spin.setValue(10_000)
    settle(qtbot, win)
    s = win.state.scenario
    assert s.prompt_tokens == 10_000
    assert win.memory_chart.current.value() == pytest.approx(np.log10(10_000))
    f = fit(s)
    assert win.memory_chart.limit.value() == pytest.approx(np.log10(f.max_prompt_tokens))
    assert f"{f.max_prompt_tokens:,}" in win.memory_chart.limit.label.format


def test_cached_prefix_shortens_the_first_token_only(qtbot, win):
    # a chat's next turn: a 32,768-token prompt of which 32,000 are already in the cache
    p = win.panel
    choose(qtbot, win, p.model, "llama3.1-8b")
    p.prompt.spin.setValue(32_768)
    settle(qtbot, win)
    before_memory = stacked_total(win).copy()
    full_ttft = float(prefill_time(win.state.scenario, 32_768, 1))
    p.cached.setValue(32_000)
    settle(qtbot, win)
    s = win.state.scenario
    assert s.cached_tokens == 32_000
    ttft = float(prefill_time(s, 32_768, 1))
    assert ttft < full_ttft / 5                  # 768 new tokens instead of 32,768 (the cached keys attended to)
    assert win.breakdown.values["prefill"].text() == i18n.duration(ttft)
    # (the full text where the step plot is wide enough, else the short one)
    assert win.speed_chart._ttft_texts[0] == \
        f"time to first token (768 new tokens × 1, 32,000 cached): {i18n.duration(ttft)}"
    assert win.speed_chart.ttft.toPlainText() in win.speed_chart._ttft_texts
    assert "after 32,000 cached" in win.breakdown.tooltip("prefill")
    assert "prompt 32,768 (32,000 cached) + output" in win._explain_heading(s)
    np.testing.assert_array_equal(stacked_total(win), before_memory)      # the cache holds the whole prompt
    # a shorter prompt: the box shows the prefix the estimate keeps (the prompt less its last token)
    p.prompt.spin.setValue(10_000)
    settle(qtbot, win)
    assert p.cached.value() == 9_999 and win.state.scenario.cached_tokens == 32_000   # (kept for a longer prompt)
    one_new = win.state.scenario.with_(cached_tokens=9_999)
    assert win.breakdown.values["prefill"].text() == i18n.duration(float(prefill_time(one_new, 10_000, 1)))


def test_prompt_slider_is_log_scale(qtbot, win):
    slider = win.panel.prompt.slider
    slider.setValue(slider.maximum())
    settle(qtbot, win)
    assert win.state.scenario.prompt_tokens == win.panel.prompt.spin.maximum()
    slider.setValue(slider.maximum() // 2)
    settle(qtbot, win)
    top = win.panel.prompt.spin.maximum()
    assert win.state.scenario.prompt_tokens == pytest.approx(np.sqrt(top + 1) - 1, rel=0.01)


def test_gpu_picker_sets_capacity_line_and_verdict(qtbot, win):
    choose(qtbot, win, win.panel.gpu, "t4")
    assert win.memory_chart.capacity.value() == pytest.approx(15360 / 1024)
    assert win.breakdown.verdict.text() == fit(win.state.scenario).verdict.upper()


def test_memory_axis_keeps_the_cards_and_the_crossing_in_view(qtbot, win):
    from vramgui.ui.charts import memory_axis_top
    x = np.array([16.0, 1e3, 1e4, 1e5, 5e5])
    total = np.array([50.0, 52.0, 60.0, 150.0, 600.0])
    # 80 GiB card, prompt 10k (60 GiB): 1.6 x 80 = 128 GiB, not the sweep's 600
    assert memory_axis_top(x, total, 1e4, 80.0) == pytest.approx(128.0)
    # the whole curve when it stays below that (7B on a 24 GiB card: 32 GiB at the end)
    assert memory_axis_top(x, total / 20, 1e4, 24.0) == pytest.approx(30.0)
    # the current point above the cards sets it (41 GiB needed on a 24 GiB card): min(600, 1.6 x 41)
    assert memory_axis_top(x, total, 1e3 * 10 ** 0.5, 24.0) == pytest.approx(1.6 * 56.0)
    # Through the window: Llama 3.1 405B fp8 on 8 x H100 80GB, batch 16.  The sweep ends
    # above 500 GiB a card; the axis stops below 200 GiB, so the 79.6 GiB line sits in the
    # middle of the plot, not in its bottom seventh.
    drive(qtbot, win, model="llama3.1-405b", gpu="h100-sxm", weights="fp8", gpus=8, batch=16)
    top = win.memory_chart.getPlotItem().vb.viewRange()[1][1]
    assert stacked_total(win).max() > 500
    assert 1.5 * 79.6 < top <= 200


def test_weights_kv_engine_attention_reach_the_breakdown(qtbot, win):
    p = win.panel
    for combo, ident in ((p.weights, "q4_k_m"), (p.kv, "q8_0"), (p.engine, "llamacpp"), (p.attention, "flash")):
        choose(qtbot, win, combo, ident)
    s = win.state.scenario
    assert (s.weights, s.kv_dtype, s.engine, s.attention) == ("q4_k_m", "q8_0", "llamacpp", "flash")
    m = estimate_memory(s)
    for key in ("weights", "kv_cache", "activations", "overhead"):
        assert win.breakdown.values[key].text() == f"{float(getattr(m, key)) / GIB:,.2f} GiB"
    assert "bits" in win.breakdown.tooltip("weights")
    assert "2 × 32 × 32 × 128" in win.breakdown.tooltip("kv_cache")
    # the decode value explains the step, then serving: the prompts' prefill with the steps
    from vramgui.core.explain import explain
    texts = explain(s)
    assert win.breakdown.tooltip("decode") == texts["decode"] + "\n\n" + texts["served"]
    assert "Serving the batch's requests" in texts["served"]


def test_eager_attention_is_greyed_where_the_engine_fuses_it(qtbot, win):
    """vLLM, SGLang and MLX always fuse attention (core.engines.NO_EAGER_ATTENTION): the picker greys *eager* under
    them, and a switch to one of them from eager takes the engine's default (MLX with eager kept Llama 3.1 8B's
    32,000-token prompt's score matrix, 7.9 GiB, in its activations where its fused kernel holds 0.2)."""
    p = win.panel
    choose(qtbot, win, p.engine, "hf")
    choose(qtbot, win, p.attention, "eager")
    eager = p.attention.model().item(p.attention.findData("eager"))
    assert win.state.scenario.attention == "eager" and eager.isEnabled()
    # the engine picker's verdicts (its list dropped down) judge vLLM with its own attention, not leave it out
    assert set(win.state.verdicts("engine", ["vllm", "sglang", "llamacpp"])) == {"vllm", "sglang", "llamacpp"}
    before = win.state.scenario
    choose(qtbot, win, p.engine, "vllm")
    s = win.state.scenario
    assert (s.engine, s.attention, p.attention.currentData()) == ("vllm", None, "") and not eager.isEnabled()
    assert s == before.with_(engine="vllm", attention=None)
    for engine, enabled in (("sglang", False), ("llamacpp", True), ("generic", True)):
        choose(qtbot, win, p.engine, engine)
        assert eager.isEnabled() == enabled, engine
    assert "greyed under vLLM, SGLang and MLX" in p.attention.toolTip()
    # the cache types likewise (core.engines.KV_TYPES): llama.cpp's Q8_0 greyed under vLLM, a switch to it from Q8_0
    # takes FP16; vLLM's FP8 greyed under llama.cpp
    choose(qtbot, win, p.engine, "llamacpp")
    choose(qtbot, win, p.kv, "q8_0")
    kv = {p.kv.itemData(i): p.kv.model().item(i) for i in range(p.kv.count())}
    assert not kv["fp8"].isEnabled() and kv["q8_0"].isEnabled()
    choose(qtbot, win, p.engine, "vllm")
    assert (win.state.scenario.kv_dtype, p.kv.currentData()) == ("fp16", "fp16")
    assert kv["fp8"].isEnabled() and not kv["q8_0"].isEnabled() and not kv["q4_0"].isEnabled()
    # a quantized cache needs flash attention in llama.cpp (core.engines.KV_NEEDS_FLASH): with Q8_0, eager is greyed;
    # with eager, Q8_0 and Q4_0; 2023's builds (eager, K cache only quantized) switch a Q8_0 cache to FP16
    choose(qtbot, win, p.engine, "llamacpp")
    choose(qtbot, win, p.kv, "q8_0")
    assert not eager.isEnabled()
    choose(qtbot, win, p.kv, "fp16")
    assert eager.isEnabled()
    choose(qtbot, win, p.attention, "eager")
    assert not kv["q8_0"].isEnabled() and not kv["q4_0"].isEnabled() and kv["bf16"].isEnabled()
    choose(qtbot, win, p.attention, "")
    choose(qtbot, win, p.kv, "q8_0")
    choose(qtbot, win, p.engine, "llamacpp-2023")
    s = win.state.scenario
    assert (s.engine, s.kv_dtype, s.attention_impl) == ("llamacpp-2023", "fp16", "eager")
    assert not kv["q8_0"].isEnabled() and not kv["bf16"].isEnabled() and kv["fp32"].isEnabled()


def test_weights_the_engine_does_not_load_as_stored_are_cautioned(qtbot, win):
    """AWQ weights under llama.cpp, which loads GGUF files only: a caution under the engine says they are converted
    first, its tooltip why and where from (core.engines.LLAMACPP_CONVERTS); a GGUF type under llama.cpp, AWQ under
    vLLM: none."""
    p = win.panel
    choose(qtbot, win, p.engine, "llamacpp")
    choose(qtbot, win, p.weights, "awq-int4")
    assert p.engine_caution.isVisible() and p.engine_caution.text().startswith(
        "llama.cpp does not load AWQ int4 (group 128) weights as stored.")
    assert "convert_hf_to_gguf.py" in p.engine_caution.toolTip() and "README" in p.engine_caution.toolTip()
    choose(qtbot, win, p.weights, "q4_k_m")
    assert "as stored" not in p.engine_caution.text()
    choose(qtbot, win, p.weights, "awq-int4")
    choose(qtbot, win, p.engine, "vllm")
    assert "as stored" not in p.engine_caution.text()


def test_serving_engines_on_an_amd_card(qtbot, win):
    # vLLM on an MI300X draws the ROCm row's 53 % of its 5,300 GB/s, on an H100 SXM 85 % of 3,350: Llama 2 7B's
    # step beyond the fixed costs (0.5 ms + 32 layers x 40 us) then takes (3,350 x 0.85) / (5,300 x 0.53) = 1.014
    # times as long on the MI300X, where the datasheets' bandwidths would make it 0.63 times
    from vramgui.core.speed import BW_EFFICIENCY
    p = win.panel
    choose(qtbot, win, p.engine, "vllm")
    choose(qtbot, win, p.gpu, "h100-sxm")
    h100 = float(win.breakdown.values["decode"].text().split(" ms")[0])
    choose(qtbot, win, p.gpu, "mi300x")
    mi300x = float(win.breakdown.values["decode"].text().split(" ms")[0])
    fixed = 0.5 + 32 * 0.040
    assert (mi300x - fixed) / (h100 - fixed) == pytest.approx(3350 * 0.85 / (5300 * 0.53), rel=0.01)
    # the engine's tooltip says so, with the core's figure
    tip = p.engine.itemData(p.engine.findData("vllm"), QtCore.Qt.ItemDataRole.ToolTipRole)
    assert BW_EFFICIENCY["vllm-rocm"] == 0.53 and "On AMD cards (ROCm) its decode draws 53 % of the bandwidth" in tip


def test_host_picker_reaches_the_breakdown_and_the_table(qtbot, win):
    # HF transformers on an A100: by the card a server's host (32 layers x 0.83 ms = 26.56 ms a step for Llama 2
    # 7B); the picker's first entry names it, and "desktop" makes it 32 x 0.5 = 16.0 ms, in the breakdown and in
    # every row of the fit table; other engines grey the picker out
    from vramgui.core.cards import card_table
    p = win.panel
    choose(qtbot, win, p.engine, "vllm")
    assert not p.host.isEnabled()
    choose(qtbot, win, p.gpu, "a100-80gb")
    choose(qtbot, win, p.engine, "hf")
    assert p.host.isEnabled() and p.host.itemText(0) == "auto (server)" and win.state.scenario.host is None
    # its tooltip quotes the speed table's figures (0.5, 0.83 and 1.14 ms a layer), not copies of them
    from vramgui.core.speed import HOST_S_PER_LAYER
    ms = [f"{HOST_S_PER_LAYER[r] * 1e3:.2f}" for r in ("hf", "hf-server", "hf-server-old")]
    assert f"about {ms[0]} ms a layer on a desktop, {ms[1]} on a server, {ms[2]} on an older server" in \
        p.host.toolTip() and ms == ["0.50", "0.83", "1.14"]
    assert win.breakdown.values["decode"].text().startswith("26.6 ms")
    choose(qtbot, win, p.host, "desktop")
    s = win.state.scenario
    assert s.host == "desktop" and win.breakdown.values["decode"].text().startswith("16.0 ms")
    t = card_table(s, list(win.state.catalog.gpus.values()))
    row = [r for r in range(win.fit_panel.model.rowCount()) if win.fit_panel.model.index(r, 1).data() == s.gpu.name]
    shown = float(win.fit_panel.model.index(row[0], 8).data().replace(",", ""))
    assert shown == pytest.approx(1 / 0.016, abs=0.051)
    assert shown == pytest.approx(t.decode_tokens_per_s[t.gpus.index(s.gpu)], abs=0.051)
    choose(qtbot, win, p.gpu, "t4")          # auto follows the card
    choose(qtbot, win, p.host, "")
    assert p.host.itemText(0) == "auto (older server)" and win.state.scenario.host is None


def test_batch_and_gpus_reach_the_speed_chart(qtbot, win):
    p = win.panel
    p.batch.spin.setValue(16)
    p.gpus.setValue(2)
    settle(qtbot, win)
    s = win.state.scenario
    assert (s.batch, s.n_gpus) == (16, 2)
    b, thr = win.speed_chart.thr_curve.getOriginalDataset()
    np.testing.assert_allclose(thr, estimate_speed(s, batch=b).throughput_tokens_per_s, rtol=1e-12)
    current = win.speed_chart.markers["current"][0]
    assert current.value() == pytest.approx(np.log10(16))
    assert win.speed_chart.markers["memory"][0].value() == pytest.approx(np.log10(fit(s).max_batch))
    # the time to first token of the 16 prompts, as the core works it out
    ttft = prefill_time(s, s.prompt_tokens, 16)
    assert win.speed_chart.ttft.toPlainText().endswith(": " + i18n.duration(float(ttft)))
    # per-card weights halve on two cards (generic profile: tensor parallel)
    one = estimate_memory(s.with_(n_gpus=1)).weights
    assert win.memory_chart.curves[0].getOriginalDataset()[1][0] == pytest.approx(float(one) / 2 / GIB, rel=0.001)


def test_drags_keep_the_sweep_they_do_not_move(qtbot, win, monkeypatch):
    """A batch drag leaves the speed sweep (over batch) as it was and a prompt drag the
    memory sweep (over prompt); after every step both charts equal the core's numbers."""
    from vramgui.ui import charts

    calls = {"speed": 0, "memory": 0}
    real_speed, real_memory = charts.estimate_speed, charts.estimate_memory

    def speed(*a, **k):
        calls["speed"] += 1
        return real_speed(*a, **k)

    def memory(*a, **k):
        calls["memory"] += 1
        return real_memory(*a, **k)

    monkeypatch.setattr(charts, "estimate_speed", speed)
    monkeypatch.setattr(charts, "estimate_memory", memory)
    p = win.panel

    def check():
        s = win.state.scenario
        b, thr = win.speed_chart.thr_curve.getOriginalDataset()
        np.testing.assert_allclose(thr, real_speed(s, batch=b).throughput_tokens_per_s, rtol=1e-12)
        x, y = win.memory_chart.curves[-1].getOriginalDataset()
        np.testing.assert_allclose(y, real_memory(s, prompt=x).total / GIB, rtol=1e-12)

    for batch in (2, 3, 5, 8):              # within the same batch axis (top 1,024)
        p.batch.spin.setValue(batch)
        settle(qtbot, win)
        check()
    assert calls["speed"] == 0 and calls["memory"] == 4
    for prompt in (600, 700, 900):           # within the same prompt axis
        p.prompt.spin.setValue(prompt)
        settle(qtbot, win)
        check()
    assert calls["speed"] == 3 and calls["memory"] == 4
    p.output.spin.setValue(300)             # the output moves both
    settle(qtbot, win)
    check()
    assert calls == {"speed": 4, "memory": 5}


def test_speed_axis_end_stays_through_small_moves_and_grows_at_once(qtbot, win):
    """The speed chart's x axis ends at a power of two: twice the largest batch that fits,
    at least 1,024, kept while that is enough and at most four times what is needed
    (:func:`sticky_end`).  Llama 2 7B fp16 on an MI300X with 256 output tokens: the window's
    4,096-token prompt needs 1,024; a 16-token prompt lets over 1,024 sequences fit, so the
    axis moves to 4,096 at once; a 128-token prompt needs 2,048 and a 2,048-token one 1,024,
    both within four times of 4,096, which is kept.  The sweep and the memory-limit marker
    follow the axis."""
    from vramgui.ui.charts import sticky_end

    assert [sticky_end(None, 1024), sticky_end(4096, 2048), sticky_end(4096, 1024), sticky_end(4096, 512),
            sticky_end(1024, 4096)] == [1024, 4096, 4096, 512, 4096]
    choose(qtbot, win, win.panel.gpu, "mi300x")
    for prompt, needed, top in ((4096, 1024, 1024), (16, 4096, 4096), (128, 2048, 4096), (2048, 1024, 4096)):
        win.panel.prompt.spin.setValue(prompt)
        settle(qtbot, win)
        max_batch = fit(win.state.scenario).max_batch
        # the scenario lands where the test means it to: the axis this batch needs on its own
        assert 2 ** int(np.ceil(np.log2(max(1024, 2 * max_batch)))) == needed
        assert 10 ** win.speed_chart.thr.vb.viewRange()[0][1] == pytest.approx(top, rel=1e-9)
        b = win.speed_chart.thr_curve.getOriginalDataset()[0]
        assert (b[0], b[-1]) == (1, top)
        memory = win.speed_chart.markers["memory"][0]
        assert memory.isVisible() and 10 ** memory.value() == pytest.approx(max_batch)


def test_memory_axis_end_stays_while_the_largest_prompt_shrinks_a_little(qtbot, win):
    """The memory chart's x axis ends at the power of two at or past four times the model's
    limit, twice the prompt and 1.25 times the largest prompt that fits (:func:`sweep_top`).
    Llama 2 7B (4,096 tokens) on the RTX 4090 with a 4,096-token prompt: at batch 1 the largest
    prompt needs 32,768; at batch 2 it is about half as long and 16,384 would do (four
    times the limit): the axis stays at 32,768, within four times it, and the sweep with it."""
    from vramgui.ui.charts import sweep_top

    plot = win.memory_chart.getPlotItem()
    for batch, needed in ((1, 32768), (2, 16384)):
        win.panel.batch.spin.setValue(batch)
        settle(qtbot, win)
        s = win.state.scenario
        max_prompt = fit(s).max_prompt_tokens
        assert 2 ** int(np.ceil(np.log2(max(4 * 4096, 2 * 4096, 1024, 1.25 * max_prompt)))) == needed
        assert sweep_top(s, max_prompt) == needed
        assert 10 ** plot.vb.viewRange()[0][1] == pytest.approx(32768, rel=1e-9)
        assert win.memory_chart.curves[-1].getOriginalDataset()[0][-1] == 32768


def test_memory_cap_and_reserved_move_the_budget(qtbot, win):
    p = win.panel
    choose(qtbot, win, p.engine, "vllm")
    p.util.setValue(0.5)
    p.reserved.setValue(1024)
    settle(qtbot, win)
    s = win.state.scenario
    assert s.gpu_util == 0.5 and s.reserved_mib == 1024
    assert win.memory_chart.budget.value() == pytest.approx(fit(s).budget_bytes / GIB)
    assert win.memory_chart.budget.isVisible()


def test_sglang_budget_reaches_the_chart_the_strip_and_the_table(qtbot, win):
    # SGLang's default share depends on the card: 0.835 of an H100's free memory, 0.847 of a 4090's
    p = win.panel
    drive(qtbot, win, gpus=1, batch=1, model="llama3.1-8b", gpu="h100-sxm", weights="bf16", engine="sglang")
    s = win.state.scenario
    assert s.engine == "sglang" and s.gpu_util is None
    before = 1.15 * GIB
    h100 = 0.835 * (81559 * 2**20 - before) + before
    assert win.memory_chart.budget.value() == pytest.approx(h100 / GIB)
    assert win.breakdown.values["activations"].text() == "0.00 GiB"
    assert p.util.text() == "engine default (0.835)"      # the cap names the share it stands for
    rows = {win.fit_panel.model.index(r, 1).data(): win.fit_panel.model.index(r, 3).data()
            for r in range(win.fit_panel.model.rowCount())}
    rtx4090 = 0.847 * (24564 * 2**20 - before) + before
    assert rows[CAT_NAMES["rtx4090"]] == f"{rtx4090 / GIB:.1f} GiB"
    assert rows[CAT_NAMES["h100-sxm"]] == f"{h100 / GIB:.1f} GiB"
    p.util.setValue(0.9)          # the memory cap is mem_fraction_static
    settle(qtbot, win)
    assert win.memory_chart.budget.value() == pytest.approx((0.9 * (81559 * 2**20 - before) + before) / GIB)
    p.util.setValue(0.0)
    choose(qtbot, win, p.engine, "vllm")
    assert p.util.text() == "engine default (0.92)"


CAT_NAMES = {g.id: g.name for g in default_catalog().gpus.values()}


def test_layouts_tab_splits_the_plans_cards_at_the_plans_load(qtbot, win):
    from vramgui.core.layouts import layouts
    drive(qtbot, win, gpus=8, batch=64, model="llama3.1-70b", gpu="h100-sxm", weights="bf16", engine="vllm")
    panel = win.layouts_panel
    win.bottom_tabs.setCurrentWidget(panel)
    expected = layouts(win.state.scenario, 8)
    qtbot.waitUntil(lambda: panel.table.rowCount() == len(expected) == 10, timeout=2000)
    texts = [[panel.table.item(r, c).text() for c in range(4)] for r in range(len(expected))]
    assert [t[0] for t in texts[:4]] == ["8 × 1", "4 × 2", "4 × 2 (2 stages)", "2 × 4"]
    assert [t[1] for t in texts[:4]] == ["does not fit", "one sequence fits", "one sequence fits", "fits"]
    last = len(expected) - 1                            # 1 × 8 (8 stages)
    assert texts[last][2] == f"{expected[last].needed_bytes / GIB:.1f} GiB"
    assert panel.table.item(last, 6).text() == f"{expected[last].tpot_s * 1e3:.1f}"
    assert panel.table.item(6, 0).font().bold()        # 1 × 8 in one stage: the plan's own layout
    # its time per token is the served one (other requests' prompts included: core.speed.served), as the heading
    # says, not the strip's decode step (the 64 prompts of 2,048 tokens take about as long as the 512 steps)
    from vramgui.core.speed import served
    assert panel.table.item(6, 6).text() == f"{served(win.state.scenario).tpot_s * 1e3:.1f}"
    assert float(panel.table.item(6, 6).text()) > 1.5 * float(estimate_speed(win.state.scenario).decode_step_s) * 1e3
    assert panel.heading.text().endswith("vLLM; times served, prompts included")
    assert panel.table.isColumnHidden(10)               # no price set: no cost column
    win.panel.batch.spin.setValue(8)                    # the load follows the plan's batch
    settle(qtbot, win)
    qtbot.waitUntil(lambda: panel.table.item(0, 5).text() == "1", timeout=2000)
    assert panel.table.item(last, 5).text() == "8"
    assert ", 8 concurrent sequences spread over the replicas, vLLM" in panel.heading.text()
    win.panel.batch.spin.setValue(1)                    # (one sequence: said so, not "1 concurrent sequences")
    settle(qtbot, win)
    qtbot.waitUntil(lambda: ", one sequence at a time, vLLM;" in panel.heading.text(), timeout=2000)
    win.bottom_tabs.setCurrentWidget(win.fit_panel)


def test_fit_table_rows_and_choosing_a_row(qtbot, win):
    panel = win.fit_panel
    cat = win.state.catalog
    assert panel.model.rowCount() == len(cat.gpus)
    verdicts = dict(panel.row_texts())
    assert verdicts["NVIDIA GeForce RTX 4090"] == "fits"
    panel.category.setCurrentIndex(panel.category.findData("apple"))
    assert panel.model.rowCount() == sum(1 for g in cat.gpus.values() if g.category == "apple")
    panel.category.setCurrentIndex(0)
    panel.search.setText("H100 80GB HBM3")
    assert panel.model.rowCount() == 1
    rect = panel.view.visualRect(panel.model.index(0, 1))
    qtbot.mouseClick(panel.view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    settle(qtbot, win)
    assert win.state.scenario.gpu.id == "h100-sxm"
    assert win.panel.gpu.currentData() == "h100-sxm"


def test_fit_table_greys_out_cards_the_engine_does_not_run_on(qtbot, win):
    """vLLM has no Apple GPU backend (its macOS build runs on the CPU): with vLLM chosen, every Apple chip's row
    says so in grey, shows no speed and sorts after every other card; with llama.cpp (Metal) the same chips fit."""
    from vramgui.ui.fit_table import ELSEWHERE
    panel, model = win.fit_panel, win.fit_panel.model
    cat = win.state.catalog
    apple = {g.name for g in cat.gpus.values() if g.vendor == "Apple"}
    assert len(apple) >= 10
    choose(qtbot, win, win.panel.engine, "vllm")
    settle(qtbot, win)
    rows = panel.row_texts()
    assert {name for name, verdict in rows if verdict == "no backend"} == apple
    assert [verdict for _, verdict in rows[-len(apple):]] == ["no backend"] * len(apple)   # last
    row = model.row_of("m2-ultra-192gb")
    assert model.index(row, 8).data() == "-"                        # no speed
    assert model.index(row, 2).data().endswith("GiB")               # its memory figures stay
    assert model.colour(row) == ELSEWHERE
    assert model.index(row, 1).data(QtCore.Qt.ItemDataRole.ToolTipRole).endswith(
        "; the chosen engine does not run on this GPU: memory figures only")
    assert dict(rows)["NVIDIA GeForce RTX 4090"] != "no backend"
    # the primary card (an M2 Ultra) says so too, in the breakdown strip's verdict
    choose(qtbot, win, win.panel.gpu, "m2-ultra-192gb")
    settle(qtbot, win)
    assert win.breakdown.verdict.text() == "NO BACKEND"
    assert win.breakdown.verdict.toolTip().startswith("The chosen engine does not run on this GPU")
    choose(qtbot, win, win.panel.engine, "llamacpp")
    settle(qtbot, win)
    assert win.breakdown.verdict.text() == "FITS"
    assert not [name for name, verdict in panel.row_texts() if verdict == "no backend"]
    assert dict(panel.row_texts())["Apple M2 Ultra (76-core GPU, 192GB)"] == "fits"


def test_mlx_keeps_every_layer_on_the_gpu_whatever_the_system_ram(qtbot, win):
    """mlx-lm places no layer in system RAM (core.engines.NO_OFFLOAD): Llama 3.1 70B in MLX 6-bit on a 64 GB M4 Max
    (57 GB of weights, over the 48 GiB the GPU may wire) with 64 GB of System RAM entered does not fit, no offload
    planned (it read "72 of 80 layers on GPU", a llama.cpp split MLX cannot do); the RAM's settings are greyed and
    kept, a caution under the engine says why; llama.cpp's Q6_K on the same Mac gets its split back."""
    p = win.panel
    drive(qtbot, win, model="llama3.1-70b", gpu="m4-max-64gb", weights="mlx-6bit", engine="mlx", gpus=1, batch=1)
    p.ram.setValue(64)
    settle(qtbot, win)
    st = win.state
    assert st.ram_gb == 64 and not st.offload_asked and st.offload_plan() is None
    assert not p.ram.isEnabled() and not p.ram_bw.isEnabled() and not p.ram_flag.isEnabled()
    assert win.breakdown.verdict.text() == "NEEDS 2 CARDS"
    assert p.engine_caution.text().startswith("MLX (mlx-lm) keeps every layer on the GPU: System RAM is not used.")
    assert "mx.set_wired_limit" in p.engine_caution.toolTip() and "iogpu.wired_limit_mb" in p.engine_caution.toolTip()
    model = win.fit_panel.model
    assert model.row_cells(model.row_of("m4-max-64gb"))[0] == "needs 2 cards"
    choose(qtbot, win, p.weights, "q6_k")
    choose(qtbot, win, p.engine, "llamacpp")
    assert p.ram.isEnabled() and p.ram.value() == 64 and st.offload_plan().level == "partial"
    assert "System RAM is not used" not in p.engine_caution.text()


def test_hf_with_nvfp4_weights_loads_on_one_card(qtbot, win):
    """transformers' NVFP4 quantizer loads on one CUDA device, nothing in RAM (core.engines.ONE_CARD): Llama 3.1 70B in
    NVFP4 (39.8 GiB of weights) on an RTX 5090 does not fit under HF transformers, where vLLM needs 2 cards; two cards
    asked are estimated as split, with a caution under the engine; System RAM is greyed and kept, no plan, a caution
    saying it is not used; AWQ under HF gets its offload back."""
    p = win.panel
    drive(qtbot, win, model="llama3.1-70b", gpu="rtx5090", weights="nvfp4", engine="vllm", gpus=1, batch=1)
    model = win.fit_panel.model
    assert win.breakdown.verdict.text() == "NEEDS 2 CARDS"
    assert model.row_cells(model.row_of("rtx5090"))[0] == "needs 2 cards"
    choose(qtbot, win, p.engine, "hf")
    assert win.breakdown.verdict.text() == "DOES NOT FIT"
    assert model.row_cells(model.row_of("rtx5090"))[0] == "does not fit"
    assert "one card" not in p.engine_caution.text()
    p.gpus.setValue(2)
    settle(qtbot, win)
    caution = p.engine_caution
    assert "HF transformers loads NVFP4 (FP4, group 16) weights on one card, not 2." in caution.text()
    assert "'NVFP4 quantization currently supports one CUDA device." in caution.toolTip()
    assert "The memory and speed shown are as if it split the model over 2 cards." in caution.toolTip()
    # the fit table's fewest cards: none beyond one to try ("-", not "> 64")
    assert model.row_cells(model.row_of("rtx5090"))[5] == "-"
    p.gpus.setValue(1)
    p.ram.setValue(64)
    settle(qtbot, win)
    st = win.state
    assert st.ram_gb == 64 and not st.offload_asked and st.offload_plan() is None and not p.ram.isEnabled()
    assert caution.text().startswith("HF transformers loads NVFP4 (FP4, group 16) weights on one card: System RAM is "
                                     "not used.")
    assert "does not support CPU or disk offload" in caution.toolTip()
    choose(qtbot, win, p.weights, "awq-int4")
    assert p.ram.isEnabled() and p.ram.value() == 64 and st.offload_asked and st.offload_plan() is not None
    assert "System RAM is not used" not in caution.text()


def test_an_engine_that_copies_its_offloaded_weights_is_cautioned_with_system_ram(qtbot, win):
    """vLLM, SGLang and HF transformers copy what they keep in RAM to the card for every forward pass
    (core.offload.plan_copied), at an assumed share of the link: with System RAM entered a caution under the engine
    says so, the flag, the share and the source in its tooltip, and the fit table's row and the badge give the
    bytes copied; none without RAM or with llama.cpp."""
    p = win.panel
    drive(qtbot, win, model="llama3.1-70b", weights="awq-int4", engine="vllm", gpus=1, batch=1)
    assert not p.engine_caution.isVisible()
    p.ram.setValue(64)
    settle(qtbot, win)
    assert p.engine_caution.isVisible() and p.engine_caution.text().startswith(
        "vLLM reads its weights in RAM every pass: an assumed link share.")
    tip = p.engine_caution.toolTip()
    assert "--cpu-offload-gb" in tip and "uva.py" in tip and "assumed 84 %" in tip.replace("84%", "84 %")
    model = win.fit_panel.model
    plan = win.state.offload_plan()
    assert model.row_cells(model.row_of("rtx4090"))[0] == \
        f"offloaded: {plan.copied_bytes / GIB:.1f} GiB read from RAM" == "offloaded: 17.1 GiB read from RAM"
    assert win.breakdown.verdict.text() == "OFFLOAD 17.1 GIB"
    # SGLang copies them to the card (its OffloaderV1): the row says so
    choose(qtbot, win, p.engine, "sglang")
    plan = win.state.offload_plan()
    assert p.engine_caution.text().startswith("SGLang copies its weights in RAM every pass")
    assert model.row_cells(model.row_of("rtx4090"))[0] == \
        f"offloaded: {plan.copied_bytes / GIB:.1f} GiB copied each pass"
    choose(qtbot, win, p.engine, "hf")
    assert p.engine_caution.text().startswith("HF transformers copies its weights in RAM every pass")
    assert "device_map" in p.engine_caution.toolTip() and "llm_int8_enable_fp32_cpu_offload" not in \
        p.engine_caution.toolTip()
    # on one card it keeps room for the largest module it brings from RAM: Llama 3.1 70B's untied output layer,
    # 128,256 x 8,192 in 16 bits (AWQ leaves the output layer unquantized): 1.96 GiB (core.offload.staging_bytes)
    assert f"{128256 * 8192 * 2 / GIB:.2f}" == "1.96"
    assert "the card keeps 1.96 GiB free for the largest" in p.engine_caution.toolTip()
    # and the badge's tooltip gives the max_memory that places as the plan does (core.offload.max_memory_bytes)
    from vramgui.core.offload import max_memory_bytes
    most = math.ceil(max_memory_bytes(win.state.scenario, win.state.offload_plan()) / GIB * 100) / 100  # (rounded up)
    assert (f'HF transformers places the weights so with max_memory={{0: "{most:.2f}GiB", "cpu": "59.61GiB"}}'
            in win.breakdown.verdict.toolTip())
    # on two cards (in 8 bits: AWQ's 4 fit them) the same figure for each, each card's weights and its share of
    # that room
    choose(qtbot, win, p.weights, "int8")
    p.gpus.setValue(2)
    settle(qtbot, win)
    two = math.ceil(max_memory_bytes(win.state.scenario, win.state.offload_plan()) / GIB * 100) / 100
    assert (f'max_memory={{0: "{two:.2f}GiB", 1: "{two:.2f}GiB", "cpu": "59.61GiB"}}'
            in win.breakdown.verdict.toolTip())
    p.gpus.setValue(1)
    choose(qtbot, win, p.weights, "awq-int4")
    # the memory chart bands that room below the budget too, where anything spills, and nothing where nothing does:
    # Llama 3.1 8B BF16 (its 15 GiB of weights fit the card) spills past a long prompt only; its output layer,
    # 128,256 x 4,096 x 2 B, is the room
    drive(qtbot, win, model="llama3.1-8b", weights="bf16", gpus=1, batch=1)
    budget, total = win.last_fit.budget_bytes / GIB, stacked_total(win)
    _, y = win.memory_chart.spill.getOriginalDataset()
    n, over = total.size, total > budget
    top, bottom = y[:n], y[n:][::-1]
    assert over.any() and not over.all()
    np.testing.assert_allclose(bottom[over], budget - 128256 * 4096 * 2 / GIB, rtol=1e-12)
    np.testing.assert_allclose(top[over], total[over], rtol=1e-12)
    np.testing.assert_allclose(top[~over], budget, rtol=1e-12)
    np.testing.assert_allclose(bottom[~over], budget, rtol=1e-12)
    drive(qtbot, win, model="llama3.1-70b", weights="awq-int4", gpus=1, batch=1)
    # bitsandbytes' NF4 there: transformers refuses it in RAM without llm_int8_enable_fp32_cpu_offload, said so
    choose(qtbot, win, p.weights, "nf4")
    assert p.engine_caution.text().startswith("HF transformers copies its weights in RAM every pass")
    assert "unless the BitsAndBytesConfig sets llm_int8_enable_fp32_cpu_offload=True" in p.engine_caution.toolTip()
    assert "quantizer_bnb_4bit.py" in p.engine_caution.toolTip()
    choose(qtbot, win, p.weights, "q4_k_m")
    choose(qtbot, win, p.engine, "llamacpp")
    assert not p.engine_caution.isVisible()
    choose(qtbot, win, p.engine, "vllm")
    p.ram.setValue(0)
    settle(qtbot, win)
    assert "copies its weights" not in p.engine_caution.text()


def test_weights_in_ram_box_gives_vllm_its_cpu_offload_gb(qtbot, win):
    """Under vLLM and SGLang the Experts in RAM row becomes Weights in RAM, the GiB a card keeps there
    (--cpu-offload-gb): Llama 3.1 70B AWQ beside an RTX 4090 with 64 GB needs 18.3 GB there (tests/test_offload.py's
    hand count); 20 GiB is planned as given (the breakdown's badge and the fit table's row), 10 leaves too much on the
    card, auto the least again.  The row's label keeps its size, and llama.cpp gets its experts' box back."""
    from vramgui.core.offload import plan_offload
    p = win.panel
    label = p.labels[p.moe_in_ram]
    size = label.size()
    assert label.text() == "Experts in RAM" and p.in_ram.currentWidget() is p.moe_in_ram
    drive(qtbot, win, model="llama3.1-70b", weights="awq-int4", engine="vllm", gpus=1, batch=1)
    p.ram.setValue(64)
    settle(qtbot, win)
    assert label.text() == "Weights in RAM" and p.in_ram.currentWidget() is p.weights_in_ram
    assert label.size() == size and p.weights_in_ram.text() == "auto (the least)"
    model = win.fit_panel.model

    def row():
        return model.row_cells(model.row_of("rtx4090"))[0]
    assert row() == "offloaded: 17.1 GiB read from RAM"
    p.weights_in_ram.setValue(20)
    settle(qtbot, win)
    plan = win.state.offload_plan()
    assert win.state.cpu_offload_gib == 20 and plan.copied_bytes == 20 * GIB
    assert plan == plan_offload(win.state.scenario, 64, cpu_offload_gib=20)
    assert row() == "offloaded: 20.0 GiB read from RAM" and win.breakdown.verdict.text() == "OFFLOAD 20.0 GIB"
    p.weights_in_ram.setValue(10)
    settle(qtbot, win)
    assert win.state.offload_plan().level == "none"
    # tenths of a GiB, as the flag takes them, typed
    p.weights_in_ram.lineEdit().setText("18.5")
    p.weights_in_ram.interpretText()
    settle(qtbot, win)
    assert win.state.cpu_offload_gib == 18.5 and p.weights_in_ram.text() == "18.5 GiB"
    assert win.state.offload_plan().copied_bytes == 18.5 * GIB
    p.weights_in_ram.setValue(-1)
    settle(qtbot, win)
    assert win.state.cpu_offload_gib is None and row() == "offloaded: 17.1 GiB read from RAM"
    # a card that holds the model keeps the GiB given in RAM all the same, and reads them every step: an A100 80GB's
    # row, the breakdown of Llama 3.1 8B on the RTX 4090 (it fits: 5 GiB given)
    p.weights_in_ram.setValue(20)
    settle(qtbot, win)
    assert model.row_cells(model.row_of("a100-80gb"))[0] == "offloaded: 20.0 GiB read from RAM"
    drive(qtbot, win, model="llama3.1-8b", weights="bf16", engine="vllm", gpus=1, batch=1)
    p.weights_in_ram.setValue(5)
    settle(qtbot, win)
    plan = win.state.offload_plan()
    assert plan.level == "partial" and win.breakdown.verdict.text() == "OFFLOAD 5.0 GIB"
    assert row() == "offloaded: 5.0 GiB read from RAM"
    # the memory chart bands the 5 GiB at the top of the stack at every prompt (vLLM moves no more there)
    _, y = win.memory_chart.spill.getOriginalDataset()
    n = stacked_total(win).size
    np.testing.assert_allclose(y[:n] - y[n:][::-1], 5.0, rtol=1e-12)
    qtbot.waitUntil(lambda: not win._rows_missing(), timeout=60_000)      # (their answers with the RAM, in a pause)
    choose(qtbot, win, p.weights, "q4_k_m")
    choose(qtbot, win, p.engine, "llamacpp")
    assert label.text() == "Experts in RAM" and p.in_ram.currentWidget() is p.moe_in_ram and label.size() == size
    assert model.row_cells(model.row_of("rtx4090"))[0] == "fits"


def test_experts_in_ram_as_asked_on_a_card_that_holds_the_model(qtbot, win):
    """llama.cpp keeps the experts --cpu-moe or --n-cpu-moe N names in RAM whatever the card holds (as vLLM its
    --cpu-offload-gb): Qwen3 30B-A3B Q4_K_M fits an RTX 4090 whole (17.8 of 24 GiB), and with Experts in RAM set the
    badge, the strip's decode, the speed chart's point and the fit table's rows are the plan's; the memory chart
    bands the bytes kept in RAM at every prompt (tests/test_offload.py counts them by hand: 48 layers' experts, less
    the copy of one expert tensor the card keeps), where it banded what rises above the card's budget."""
    from vramgui.core.offload import plan_offload
    p = win.panel
    drive(qtbot, win, model="qwen3-30b-a3b", weights="q4_k_m", engine="llamacpp", gpu="rtx4090", gpus=1, batch=1)
    p.ram.setValue(64)
    settle(qtbot, win)
    model, chart, band = win.fit_panel.model, win.speed_chart, win.memory_chart.spill

    def row(card="rtx4090"):
        return model.row_cells(model.row_of(card))[0]
    budget = win.last_fit.budget_bytes / GIB

    def spills():             # (the band of what rises above the card's budget, past the largest prompt that fits)
        return band.isVisible() and band.opts["fillLevel"] == pytest.approx(budget) and \
            [lbl.text for _, lbl in win.memory_chart.legend.items][-1] == "spills to system RAM"
    assert win.breakdown.verdict.text() == "FITS" and row() == "fits" and spills()
    assert chart.offload_step.xData is None
    p.moe_in_ram.setValue(48)                 # all layers': --cpu-moe
    settle(qtbot, win)
    s = win.state.scenario
    plan = win.state.offload_plan()
    assert plan == plan_offload(s, 64, experts_on_cpu=True) and plan.forced
    assert win.breakdown.verdict.text() == "EXPERTS ON CPU"
    assert win.breakdown.values["decode"].text() == f"{plan.decode_s * 1e3:,.1f} ms · {1 / plan.decode_s:,.0f} tok/s"
    assert list(chart.offload_step.yData) == [plan.decode_s * 1e3]
    assert row() == row("a100-80gb") == "partly offloaded (experts on CPU)"
    # the band: the top 16.2 GiB of the stack (the card's need less its use under the plan), the budget its floor
    # past the prompt where the rest outgrows the card (without -ngl llama.cpp moves layers to RAM there too)
    kept = fit(s).needed_bytes - plan.devices[0].used_bytes
    assert kept == pytest.approx(48 * 365_690_880 - 139_198_464, rel=1e-9)     # (16.2 GiB)
    assert band.isVisible() and band.opts["fillLevel"] == "enclosed"
    x, y = band.getOriginalDataset()
    total = stacked_total(win)
    n = total.size
    np.testing.assert_allclose(x, np.concatenate([win.memory_chart.x, win.memory_chart.x[::-1]]))
    np.testing.assert_allclose(y[:n], total)
    np.testing.assert_allclose(y[n:][::-1], np.minimum(total - kept / GIB, budget), rtol=1e-12)
    assert [lbl.text for _, lbl in win.memory_chart.legend.items][-1] == "kept in system RAM"
    # --n-cpu-moe 30 (-ngl 99): 30 layers' experts, and nothing moves to RAM as the prompt grows
    p.moe_in_ram.setValue(30)
    settle(qtbot, win)
    plan = win.state.offload_plan()
    assert plan.cpu_moe_layers == 30 and plan.layers_fixed
    x, y = band.getOriginalDataset()
    total = stacked_total(win)
    kept = plan.kept_bytes(fit(s).needed_bytes) / GIB
    np.testing.assert_allclose(y[total.size:][::-1], total - kept, rtol=1e-12)
    # the read-out at ~1,000 tokens: the GiB kept in RAM after the total; where the rest outgrows the card, past
    # the largest prompt the card and the RAM hold, it says so
    from PySide6.QtCore import QPointF
    mc = win.memory_chart
    mc._hover((mc.getPlotItem().vb.mapViewToScene(QPointF(3.0, 10.0)),))
    lines = mc.readout.toPlainText().split("\n")
    assert lines[-1] == f"{kept:,.2f} GiB kept in system RAM" and lines[-2].startswith("total ")
    most = win.state.max_offload_prompt()
    assert mc.x[-1] > most * 1.5
    mc._hover((mc.getPlotItem().vb.mapViewToScene(QPointF(np.log10(most * 1.5), 10.0)),))
    lines = mc.readout.toPlainText().split("\n")
    assert "more than the card and the system RAM hold" in lines and f"{kept:,.2f} GiB kept in system RAM" in lines
    # 8 GB of RAM cannot hold 30 layers' experts (11.0 GB): as llama.cpp would not load it so, the badge and the
    # rows say so, the card that holds the model too
    p.ram.setValue(8)
    settle(qtbot, win)
    assert win.state.offload_plan().level == "none"
    assert win.breakdown.verdict.text() == "DOES NOT FIT" and row() == row("a100-80gb") == "does not fit in RAM either"
    # without System RAM (no offload) a card that holds the model fits, as the badge says
    p.ram.setValue(0)
    settle(qtbot, win)
    assert win.breakdown.verdict.text() == "FITS" and row() == row("a100-80gb") == "fits"
    # Ollama takes no such flag (core.engines.NO_CPU_MOE): the box is greyed and its setting kept, not taken
    p.ram.setValue(64)
    p.moe_in_ram.setValue(48)
    choose(qtbot, win, p.engine, "ollama")
    assert not p.moe_in_ram.isEnabled() and win.state.experts_on_cpu and not win.state.forced_offload
    assert win.breakdown.verdict.text() == "FITS" and row() == "fits"
    choose(qtbot, win, p.engine, "llamacpp")
    assert p.moe_in_ram.isEnabled() and win.breakdown.verdict.text() == "EXPERTS ON CPU"
    # auto again: the card holds it all, no band
    p.ram.setValue(64)
    p.moe_in_ram.setValue(-1)
    settle(qtbot, win)
    assert win.breakdown.verdict.text() == "FITS" and row() == "fits" and spills()
    assert chart.offload_step.xData is None


def test_experts_only_box_keeps_vllms_routed_experts_alone_in_ram(qtbot, win):
    """Under vLLM the box beside System RAM reads *experts only* (--cpu-offload-params with the experts' names) where
    llama.cpp's reads *pinned*, in the same place and size: checked, Qwen3 30B-A3B BF16 beside an RTX 4090 with 64
    GB keeps the same 36.2 GiB in RAM, of routed experts alone, and a step reads 8 of 128 experts' of them
    (tests/test_offload.py has the hand count): the badge's plan, the strip's decode and the fit table's row follow.
    Greyed for a dense model and under SGLang; llama.cpp gets its pinned box back."""
    from vramgui.core.offload import plan_offload
    p = win.panel
    size = p.ram_flag.size()
    drive(qtbot, win, model="qwen3-30b-a3b", weights="bf16", engine="vllm", gpu="rtx4090", gpus=1, batch=1)
    p.ram.setValue(64)
    settle(qtbot, win)
    box = p.ram_flag
    assert box.text() == "experts only" and box.isEnabled() and box.size() == size and not box.isChecked()
    assert "--cpu-offload-params" in box.toolTip()
    model = win.fit_panel.model

    def tok_s():
        return model.row_cells(model.row_of("rtx4090"))[8]
    mixed = win.state.offload_plan()
    assert not mixed.experts_only and tok_s() == f"{mixed.tokens_per_s:.1f}"
    box.setChecked(True)
    settle(qtbot, win)
    alone = win.state.offload_plan()
    assert win.state.experts_only and alone == plan_offload(win.state.scenario, 64, experts_only=True)
    assert alone.experts_only and alone.copied_bytes == mixed.copied_bytes
    assert alone.step_copy_bytes == pytest.approx(alone.copied_bytes * 8 / 128, rel=1e-12)
    assert alone.tokens_per_s > mixed.tokens_per_s and tok_s() == f"{alone.tokens_per_s:.1f}"
    assert win.breakdown.values["decode"].text().startswith(f"{alone.decode_s * 1e3:,.1f} ms")
    assert "GiB of routed experts a card keeps in RAM over its link" in win.breakdown.tooltip("decode")
    assert win.breakdown.verdict.toolTip().startswith(
        f"partly offloaded ({alone.copied_bytes / GIB:.1f} GiB of routed experts a card in RAM, read from there")
    choose(qtbot, win, p.engine, "sglang")
    assert box.text() == "experts only" and not box.isEnabled() and box.isChecked()
    assert not win.state.offload_plan().experts_only
    choose(qtbot, win, p.engine, "vllm")
    choose(qtbot, win, p.model, "llama3.1-8b")
    assert not box.isEnabled()
    choose(qtbot, win, p.weights, "q4_k_m")
    choose(qtbot, win, p.engine, "llamacpp")
    # llama.cpp: the pinned RAM, its own setting (not the experts alone), the box's size unchanged
    assert box.text() == "pinned" and box.isEnabled() and box.size() == size and not box.isChecked()
    assert "--no-mmap" in box.toolTip() and win.state.experts_only and not win.state.pinned
    box.setChecked(True)
    assert win.state.pinned and win.state.experts_only
    box.setChecked(False)
    choose(qtbot, win, p.engine, "vllm")
    assert box.isChecked()          # (the experts alone, still asked)
    box.setChecked(False)
    p.ram.setValue(0)
    settle(qtbot, win)


def test_llamacpps_offload_boxes_are_greyed_under_an_engine_that_keeps_whole_weights_in_ram(qtbot, win):
    """Experts in RAM (--n-cpu-moe), pinned (--no-mmap) and the RAM's bandwidth (the CPU reading the layers in RAM)
    are llama.cpp's: under vLLM, SGLang and HF transformers, which run no layer from RAM, they are greyed, their
    tooltips say why, and the plans do not move when they change.  (The pinned box reads *experts only* under them:
    test_experts_only_box_keeps_vllms_routed_experts_alone_in_ram.)"""
    p = win.panel
    drive(qtbot, win, model="qwen3-30b-a3b", weights="q4_k_m", engine="llamacpp", gpus=1, batch=1)
    boxes = (p.moe_in_ram, p.ram_bw)
    assert all(w.isEnabled() for w in (*boxes, p.ram_flag)) and p.ram_flag.text() == "pinned"
    choose(qtbot, win, p.weights, "bf16")
    for engine in ("vllm", "sglang", "hf"):
        choose(qtbot, win, p.engine, engine)
        assert not any(w.isEnabled() for w in boxes), engine
        assert p.ram_flag.text() == "experts only" and p.ram_flag.isEnabled() == (engine == "vllm")
    assert all("Greyed under vLLM" in w.toolTip() or "greyed under vLLM" in w.toolTip() for w in boxes)
    p.ram.setValue(64)
    settle(qtbot, win)
    before = win.state.offload_plan()
    win.state.set_offload(pinned=True, ram_bandwidth_gb_s=200.0, n_cpu_moe=10)
    settle(qtbot, win)
    assert win.state.offload_plan().decode_s == before.decode_s
    choose(qtbot, win, p.weights, "q4_k_m")
    choose(qtbot, win, p.engine, "llamacpp")
    assert all(w.isEnabled() for w in (*boxes, p.ram_flag)) and p.ram_flag.text() == "pinned"


def test_llama_server_fit_margin_caution(qtbot, win):
    """llama.cpp with less than --fit's 1,024 MiB to spare: a caution under the engine says llama-server would move
    layers to RAM (core.report.fit_margin_note; tests/test_fit.py has the threshold); more room, no caution."""
    from vramgui.core.fit import auto_fit_headroom
    p = win.panel
    drive(qtbot, win, gpus=1, batch=1, model="qwen3-32b", gpu="rtx4090", engine="llamacpp")
    choose(qtbot, win, p.weights, "q4_k_m")
    p.prompt.spin.setValue(20000)
    p.output.spin.setValue(1024)
    settle(qtbot, win)
    spare = auto_fit_headroom(win.state.scenario)
    assert spare is not None and p.engine_caution.isVisible()
    assert p.engine_caution.text().startswith("Under 1,024 MiB to spare: llama-server would move layers to RAM.")
    assert p.engine_caution.toolTip().startswith(f"{round(spare / 2**20):,} MiB to spare") and \
        "-ngl all" in p.engine_caution.toolTip()
    # and what llama-server would allocate without -c: the most that fits with 1,024 MiB free, rounded down to 256
    # (core.fit.server_context; tests/test_fit.py counts one by hand): under the 21,024 asked for
    from vramgui.core.fit import server_context
    tokens, on_card = server_context(win.state.scenario)
    assert on_card and 18432 <= tokens < 21024 and tokens % 256 == 0
    assert f"Started without -c, llama-server would instead allocate {tokens:,} tokens of context" in \
        p.engine_caution.toolTip()
    p.prompt.spin.setValue(8000)
    settle(qtbot, win)
    assert not p.engine_caution.isVisible()


def test_ollama_holds_its_default_context_in_chart_table_and_caution(qtbot, win):
    """Ollama through the pickers: on an RTX 4090 (24 GB: Ollama's 32,768-token default) the memory chart's cache is
    flat up to that context and the breakdown holds 4 GiB of it for a 1,000-token prompt, a caution under the engine
    says so, and the fit table gives a 16 GB card the 4,096-token default's smaller need."""
    p, panel = win.panel, win.fit_panel
    drive(qtbot, win, gpus=1, batch=1, model="llama3.1-8b", gpu="rtx4090", engine="ollama")
    choose(qtbot, win, p.weights, "q4_k_m")
    p.prompt.spin.setValue(1000)
    p.output.spin.setValue(200)
    settle(qtbot, win)
    s = win.state.scenario
    assert (s.engine, s.prompt_tokens, s.output_tokens) == ("ollama", 1000, 200)
    # 32,768 tokens x 32 layers x 8 KV heads x 128 x 2 (K, V) x 2 bytes = 4 GiB
    assert win.breakdown.values["kv_cache"].text() == "4.00 GiB"
    assert p.engine_caution.isVisible()
    assert p.engine_caution.text().startswith("Ollama allocates 32,768 tokens of context a sequence.")
    assert "24.0 GiB of GPU memory" in p.engine_caution.toolTip() and "num_ctx" in p.engine_caution.toolTip()
    # the chart's total: weights + the same 4 GiB cache + ... wherever prompt + output stay within 32,768 tokens
    x, y = win.memory_chart.curves[-1].getOriginalDataset()
    np.testing.assert_allclose(y, estimate_memory(s, prompt=x).total / GIB, rtol=1e-12)
    inside = x + 200 <= 32768
    kv = estimate_memory(s, prompt=x).kv_cache
    assert inside.any() and np.all(kv[inside] == 4 * GIB) and np.all(kv[~inside] > 4 * GIB)
    # the table: the 16 GB RTX 4080 row needs 3.5 GiB less cache (4,096 tokens) and 72.06 MiB less compute buffer
    # (the flash-attention masks over 4,096 cells, not 32,768: tests/test_ollama.py counts it)
    from vramgui.core.cards import card_table
    t = card_table(s, list(win.state.catalog.gpus.values()))
    need = {g.id: float(n) for g, n in zip(t.gpus, t.needed_each, strict=True)}
    assert need["rtx4090"] - need["rtx4080"] == 28672 * 131072 + 72.0625 * 2**20
    assert need["rtx4080"] == pytest.approx(float(estimate_memory(s.with_(gpu=win.state.catalog.gpu("rtx4080"))
                                                                  ).total), rel=1e-12)
    model = panel.model
    rows = {model.index(r, 1).data(): model.index(r, 2).data() for r in range(model.rowCount())}
    for gid in ("rtx4080", "rtx4090"):
        assert rows[win.state.catalog.gpu(gid).name] == f"{need[gid] / GIB:.1f} GiB"
    # a prompt past the default: the request's own context, no caution
    p.prompt.spin.setValue(40000)
    settle(qtbot, win)
    assert not p.engine_caution.isVisible()
    choose(qtbot, win, p.engine, "llamacpp")
    p.prompt.spin.setValue(1000)
    settle(qtbot, win)
    assert not p.engine_caution.isVisible()


def test_fit_table_sorted_by_a_clicked_column_stays_sorted_as_the_scenario_changes(qtbot, win):
    from vramgui.core.cards import card_table
    panel = win.fit_panel
    header = panel.view.horizontalHeader()
    speed = 8                                      # "Decode tok/s"
    # a click on "Decode tok/s" sorts ascending, a second click descending
    for _ in range(2):
        qtbot.mouseClick(header.viewport(), QtCore.Qt.MouseButton.LeftButton,
                         pos=QtCore.QPoint(header.sectionViewportPosition(speed) + 10, header.height() // 2))
    assert header.sortIndicatorSection() == speed
    assert header.sortIndicatorOrder() == QtCore.Qt.SortOrder.DescendingOrder
    for batch in (1, 64, 8):                      # the cards' order changes with the batch (compute vs bandwidth)
        win.panel.batch.spin.setValue(batch)
        settle(qtbot, win)
        s = win.state.scenario
        t = card_table(s, list(win.state.catalog.gpus.values()))
        expected = sorted(((g.name, v) for g, v in zip(t.gpus, t.decode_tokens_per_s.tolist(), strict=True)),
                          key=lambda nv: -nv[1])
        shown = [(panel.model.index(r, 1).data(), float(panel.model.index(r, speed).data().replace(",", "")))
                 for r in range(panel.model.rowCount())]
        assert [v for _, v in shown] == pytest.approx([round(v, 1) for _, v in expected], abs=0.051)
        assert {n for n, _ in shown} == {n for n, _ in expected}
        # the primary card's row is the one highlighted, wherever the sort put it
        rows = panel.view.selectionModel().selectedRows()
        assert [panel.model.index(i.row(), 1).data() for i in rows] == [s.gpu.name]
    panel.search.setText("RTX 40")                # a filter keeps the order of what it leaves
    names = [panel.model.index(r, 1).data() for r in range(panel.model.rowCount())]
    assert names and all("RTX 40" in n for n in names)
    tok = [float(panel.model.index(r, speed).data().replace(",", "")) for r in range(panel.model.rowCount())]
    assert tok == sorted(tok, reverse=True)
    panel.search.setText("")


def test_the_window_opens_with_the_primary_cards_row_in_sight(qtbot, win):
    """The RTX 4090 is the 28th card by decode speed: the table scrolls to it (a scroll asked
    for as the window was built, before the table had its size, was lost)."""
    settle(qtbot, win)
    view, model = win.fit_panel.view, win.fit_panel.model
    row = model.row_of("rtx4090")
    assert row > view.viewport().height() // view.rowHeight(0)          # (below the first screenful)
    top = view.rowViewportPosition(row)
    assert 0 <= top and top + view.rowHeight(row) <= view.viewport().height()
    assert [i.row() for i in view.selectionModel().selectedRows()] == [row]


def test_fit_table_card_tooltips_give_memory_bandwidth_and_a_missing_flops_figure(qtbot, win):
    """Each card's name carries its memory (MiB, as the driver reports it: 24,564 for the RTX 4090,
    11,264 for the GTX 1080 Ti, presets/gpus), bandwidth and compiler target (compute capability, AMD's gfx
    name; none for Apple's chips); a card with no FLOP/s figure for the
    weights' math (the GTX 1080 Ti has none) says its speed is bandwidth-only.  Kept per card list,
    format and language: they follow a format change and a language switch."""
    from test_i18n import choose_language

    panel = win.fit_panel

    def tip(gpu_id: str) -> str:
        return panel.model.index(panel.model.row_of(gpu_id), 1).data(QtCore.Qt.ItemDataRole.ToolTipRole)
    settle(qtbot, win)
    assert tip("rtx4090") == ("NVIDIA GeForce RTX 4090: 24,564 MiB (as the driver reports it), 1,008 GB/s, compute "
                              "capability 8.9")
    assert tip("gtx1080ti") == ("NVIDIA GeForce GTX 1080 Ti: 11,264 MiB (as the driver reports it), 484 GB/s, compute "
                                "capability 6.1; no FLOP/s figure: speed is bandwidth-only")
    assert tip("rx7900xtx").endswith("960 GB/s, gfx1100") and tip("m2-ultra-192gb").endswith("800 GB/s")
    choose(qtbot, win, win.panel.weights, "int8")
    assert tip("rtx4090").endswith("1,008 GB/s, compute capability 8.9") and tip("gtx1080ti").endswith("bandwidth-only")
    choose_language(qtbot, win, "zh_CN")
    try:
        assert "MiB" in tip("rtx4090") and "as the driver reports it" not in tip("rtx4090")
    finally:
        choose_language(qtbot, win, "en")


def test_fit_table_cells_paint_the_verdict_colour_and_the_selection(qtbot, win):
    from vramgui.ui.fit_table import FIT, NOFIT, CardTableView
    panel = win.fit_panel
    choose(qtbot, win, win.panel.model, "llama2-70b")          # fp16 70B: fits on some cards, not on others
    view = panel.view
    view.scrollToTop()
    image = view.viewport().grab().toImage()
    rows = panel.model.rowCount()
    swatch = CardTableView.MARGIN + CardTableView.SWATCH // 2
    colours = {}
    for r in range(rows):
        rect = view.visualRect(panel.model.index(r, 0))
        if 0 <= rect.top() and rect.bottom() < image.height():
            colours[panel.model.index(r, 0).data()] = image.pixelColor(rect.left() + swatch, rect.center().y()).name()
    assert colours["fits"] == FIT.name() and colours.get("does not fit", NOFIT.name()) == NOFIT.name()
    # the primary card's row filled with the selection colour (a blank strip left of the right-aligned number)
    row = next(r for r in range(rows) if panel.model.index(r, 1).data() == win.state.scenario.gpu.name)
    view.scrollTo(panel.model.index(row, 0))
    image = view.viewport().grab().toImage()
    rect = view.visualRect(panel.model.index(row, 5))          # "Cards": a short number at the right
    assert image.pixelColor(rect.left() + 2, rect.center().y()) == view.palette().color(
        QtGui.QPalette.ColorRole.Highlight)
    other = view.visualRect(panel.model.index(row - 1 if row else row + 1, 5))
    assert image.pixelColor(other.left() + 2, other.center().y()) != view.palette().color(
        QtGui.QPalette.ColorRole.Highlight)


def test_verdicts_for_a_big_model(qtbot, win):
    choose(qtbot, win, win.panel.model, "llama2-70b")
    verdicts = dict(win.fit_panel.row_texts())
    # 128.5 GiB of fp16 weights.  H100 80GB (79.6 GiB usable): two cards hold 64.2 GiB each.
    # RTX 4090 (24.0 GiB): six would hold 21.4 GiB each, but tensor parallel needs the 64 heads
    # to split evenly, so the next valid count, 8 cards (16.1 GiB each), is the answer.
    assert verdicts["NVIDIA H100 80GB HBM3 (SXM5)"] == "needs 2 cards"
    assert verdicts["NVIDIA GeForce RTX 4090"] == "needs 8 cards"
    assert win.breakdown.verdict.text() == "NEEDS 8 CARDS"


def test_the_verdict_column_follows_its_texts_and_names_stay_whole(qtbot, win):
    """At 1366x768 the table is 996 px wide.  With every card a short verdict ("fits",
    "needs N cards") the card column has room for the longest name in full (and on a wide
    screen no more); a partial offload's verdict widens its column to fit, and a name cut
    then loses its middle."""
    view = win.fit_panel.view
    fm = view.fontMetrics()
    names = [g.name for g in win.state.catalog.gpus.values()]
    verdicts = {v for _, v in win.fit_panel.row_texts()}
    assert verdicts <= {"fits", "does not fit"} | {f"needs {n} cards" for n in range(2, 65)}
    assert view.columnWidth(0) >= max(fm.horizontalAdvance(v) for v in verdicts) + 16
    widest = max(fm.horizontalAdvance(n) for n in names)
    assert view.columnWidth(1) >= widest + 8   # 8: the cell's margins
    win.resize(2560, 1440)       # a wide window: the card column stays as wide as its longest name
    qtbot.waitUntil(lambda: view.viewport().width() > 2000)
    assert view.columnWidth(1) == widest + 16
    win.resize(1366, 768)
    qtbot.waitUntil(lambda: view.viewport().width() < 1100)
    choose(qtbot, win, win.panel.model, "llama2-70b")
    choose(qtbot, win, win.panel.weights, "q4_k_m")
    choose(qtbot, win, win.panel.engine, "llamacpp")
    choose(qtbot, win, win.panel.attention, "eager")
    win.panel.prompt.spin.setValue(4000)
    win.panel.output.spin.setValue(96)
    win.state.set_offload(ram_gb=32)
    settle(qtbot, win)
    verdict = dict(win.fit_panel.row_texts())["NVIDIA GeForce RTX 4090"]
    assert verdict == "offloaded: 46/80 layers on GPU"    # (tests/test_offload.py counts the 46 by hand)
    assert view.columnWidth(0) >= fm.horizontalAdvance(verdict) + 16
    assert view.textElideMode() == QtCore.Qt.TextElideMode.ElideMiddle and not view.wordWrap()


def test_model_filter_box(qtbot, win):
    p = win.panel
    p.model_filter.setText("mixtral")
    ids = [p.model.itemData(i) for i in range(p.model.count()) if p.model.itemData(i)]
    assert ids and all("mixtral" in i for i in ids)
    settle(qtbot, win)
    assert win.state.scenario.model.id.startswith("mixtral")


def test_bursts_coalesce_into_one_redraw(qtbot, win):
    count = []
    win.redrawn.connect(count.append)
    for v in range(1000, 1100):
        win.panel.prompt.spin.setValue(v)
    settle(qtbot, win)
    assert len(count) == 1 and win.state.scenario.prompt_tokens == 1099


def test_refused_edit_keeps_the_scenario_and_says_why(qtbot, win):
    before = win.state.scenario
    assert not win.state.update(batch=0)
    assert win.state.scenario == before
    assert "batch" in win.panel.message.text()


def test_pipeline_stages_through_the_panel(qtbot, win):
    p = win.panel
    drive(qtbot, win, gpus=8, batch=16, model="llama3.1-70b", gpu="h100-sxm", weights="bf16", engine="vllm")
    assert p.pipeline.isVisible() and p.pipeline.value() == 1
    p.pipeline.setValue(2)
    settle(qtbot, win)
    s = win.state.scenario
    assert (s.pipeline, s.tensor_parallel) == (2, 4)
    x, y = win.memory_chart.curves[-1].getOriginalDataset()
    np.testing.assert_allclose(y, estimate_memory(s, prompt=x).total / GIB, rtol=1e-12)
    assert win.breakdown.values["kv_cache"].text() == f"{float(estimate_memory(s).kv_cache) / GIB:.2f} GiB"
    p.gpus.setValue(7)                      # seven cards do not form two stages: refused, with the reason
    settle(qtbot, win)
    assert win.state.scenario.n_gpus == 8
    assert "7 cards do not form 2 pipeline stages" in p.message.text()
    choose(qtbot, win, p.engine, "llamacpp")    # layers are split already: no stages to set (greyed, in place)
    assert p.pipeline.isVisible() and not p.pipeline.isEnabled() and not p.pipeline_label.isEnabled()
    p.gpus.setValue(3)                          # three cards split by layers: fine for llama.cpp
    settle(qtbot, win)
    choose(qtbot, win, p.engine, "vllm")        # back to vLLM: the two stages no longer fit, one stage
    s = win.state.scenario
    assert (s.engine, s.n_gpus, s.pipeline) == ("vllm", 3, 1) and p.pipeline.value() == 1


def test_a_tensor_parallel_group_across_nodes_is_flagged(qtbot, win):
    """16 H100s in one tensor-parallel group span two HGX boards: a caution under the card count
    (its tooltip naming the stages that avoid it) and the layout marked; two stages clear it."""
    from vramgui.core.layouts import layouts
    p = win.panel
    drive(qtbot, win, gpus=8, batch=32, model="llama3.1-70b", gpu="h100-sxm", weights="bf16", engine="vllm")
    assert not p.parallel_caution.isVisible()
    p.gpus.setValue(16)
    settle(qtbot, win)
    assert win.state.scenario.tp_nodes == 2
    assert p.parallel_caution.isVisible()
    assert p.parallel_caution.text().startswith("TP 16 spans 2 nodes")
    assert "MLA" not in p.parallel_caution.toolTip()     # Llama's KV heads split across the cards
    assert "23.1 ms" in p.parallel_caution.toolTip() and "Set stages to 2" in p.parallel_caution.toolTip()
    panel = win.layouts_panel
    win.bottom_tabs.setCurrentWidget(panel)
    rows = layouts(win.state.scenario, 16)
    qtbot.waitUntil(lambda: panel.table.rowCount() == len(rows), timeout=2000)
    names = {panel.table.item(r, 0).text(): panel.table.item(r, 0) for r in range(len(rows))}
    assert "1 × 16 · 2 nodes" in names and "1 × 16 (2 stages)" in names
    assert "spans 2 nodes of 8 cards" in names["1 × 16 · 2 nodes"].toolTip()
    assert names["1 × 16 (2 stages)"].toolTip() == ""
    own = names["1 × 16 · 2 nodes"]              # the plan's own row: bold, and scrolled into view
    assert own.font().bold()
    qtbot.waitUntil(lambda: panel.table.visualItemRect(own).intersects(panel.table.viewport().rect()), timeout=2000)
    p.pipeline.setValue(2)                  # tensor parallel 8 within each node
    settle(qtbot, win)
    assert win.state.scenario.tp_nodes == 1 and not p.parallel_caution.isVisible()
    win.bottom_tabs.setCurrentWidget(win.fit_panel)


def test_vllms_check_at_start_is_flagged_under_the_engine(qtbot, win):
    """Llama 3.1 8B BF16 on an RTX 4090 under vLLM: its 131,072 tokens do not fit beside the weights, and vLLM
    without --max-model-len refuses to start (tests/test_context_cap.py): the caution names the longest that
    fits; on an A100 80GB the whole context fits; SGLang caps requests instead; under llama.cpp no such line."""
    from vramgui.core.fit import context_cap
    p = win.panel
    drive(qtbot, win, gpus=1, batch=1, model="llama3.1-8b", gpu="rtx4090", weights="bf16", engine="vllm")
    tokens = context_cap(win.state.scenario)
    assert p.engine_caution.isVisible()
    assert p.engine_caution.text().startswith(f"vLLM needs --max-model-len {tokens:,} or less to start.")
    assert "refuses to start" in p.engine_caution.toolTip() and "kv_cache_utils.py" in p.engine_caution.toolTip()
    choose(qtbot, win, p.gpu, "a100-80gb")
    assert "--max-model-len" not in p.engine_caution.text()
    choose(qtbot, win, p.gpu, "rtx4090")
    choose(qtbot, win, p.engine, "sglang")       # SGLang starts and caps each request at its cache's tokens
    assert p.engine_caution.text().startswith(f"SGLang serves requests up to {context_cap_of(win):,} tokens.")
    assert "max_req_input_len" in p.engine_caution.toolTip()
    choose(qtbot, win, p.engine, "llamacpp")
    assert "--max-model-len" not in p.engine_caution.text() and "serves requests" not in p.engine_caution.text()


def context_cap_of(win) -> int:
    from vramgui.core.fit import context_cap
    return context_cap(win.state.scenario)


@pytest.mark.qt_log_ignore("This plugin does not support raise", "This plugin does not support grabbing")  # (offscreen)
def test_a_group_that_does_not_split_the_heads_is_flagged(qtbot, win):
    """Phi-4 (40 heads, 10 KV heads) over 4 RTX 4090s under vLLM: 10 KV heads do not split over 4 cards, and vLLM
    refuses to start (issues 5951 and 16021): a caution under the card count, the badge 'TP 4 refused'; 2 cards, or
    4 cards in 2 stages, clear both."""
    p = win.panel
    drive(qtbot, win, gpus=2, batch=1, model="phi4-14b", gpu="rtx4090", weights="bf16", engine="vllm")
    assert not p.parallel_caution.isVisible() and win.breakdown.verdict.text() == "FITS"
    p.gpus.setValue(4)
    settle(qtbot, win)
    assert p.parallel_caution.isVisible()
    assert p.parallel_caution.text().startswith("TP 4 does not split the 40 heads: vLLM will not start.")
    tip = p.parallel_caution.toolTip()
    assert "40 attention heads and 10 KV heads" in tip and "Groups of 1, 2, 5 cards" in tip
    assert "Set stages to 2" in tip
    assert win.breakdown.verdict.text() == "TP 4 REFUSED"
    assert "vLLM and SGLang refuse to start" in win.breakdown.verdict.toolTip()
    from vramgui.ui.compare_tab import column
    from vramgui.ui.fit_table import ELSEWHERE
    assert column(win.state.scenario)[12] == "TP 4 refused"       # (the Compare pinned tab's, as the strip's)
    # the engine picker's list, dropped down: vLLM and SGLang refused, llama.cpp's layer split runs
    p.engine.showPopup()
    try:
        for engine, refused in (("vllm", True), ("sglang", True), ("llamacpp", False)):
            i = p.engine.findData(engine)
            assert p.engine.itemText(i).endswith(", TP 4 refused") == refused, engine
            assert (combo_colour(p.engine, i) == ELSEWHERE) == refused, engine
    finally:
        p.engine.hidePopup()
    p.pipeline.setValue(2)                  # two stages of two cards
    settle(qtbot, win)
    assert not p.parallel_caution.isVisible() and win.breakdown.verdict.text() == "FITS"
    # the pickers judge each entry's own group: 8 cards in the 2 stages llama.cpp keeps for the next engine are
    # groups of 4 under vLLM (refused), not one of 8
    from vramgui.ui.controls import scenario_verdicts
    assert win.state.update(n_gpus=8) and win.state.update(engine="llamacpp", weights="q4_k_m")
    assert (win.state.scenario.pipeline, win.state.scenario.tensor_parallel) == (2, 1)
    assert scenario_verdicts(win.state, "engine", ["vllm"])["vllm"][2] == "TP 4 refused"


def test_a_layer_split_over_machines_is_flagged(qtbot, win):
    """Two M3 Ultras (each Mac one chip: core.presets.UNIFIED_NODE_CARDS) with llama.cpp: two machines, which its RPC
    backend joins over the network (tests/test_nodes.py): a caution under the card count; one Mac clears it."""
    p = win.panel
    drive(qtbot, win, gpus=2, batch=1, model="deepseek-r1", gpu="m3-ultra-512gb", weights="q4_k_m", engine="llamacpp")
    assert p.parallel_caution.isVisible()
    assert p.parallel_caution.text().startswith("2 cards are 2 machines: the network between them is not modelled.")
    assert "rpc-server" in p.parallel_caution.toolTip() and "A machine holds 1 of these cards" in \
        p.parallel_caution.toolTip()
    p.gpus.setValue(1)
    settle(qtbot, win)
    assert not p.parallel_caution.isVisible()


def test_an_mla_latent_on_every_card_is_flagged(qtbot, win):
    """DeepSeek R1 over 8 H200s: every card caches every sequence's latent; the caution names
    data-parallel attention (and goes with one card, or a model whose KV heads split)."""
    p = win.panel
    drive(qtbot, win, gpus=8, batch=8, model="deepseek-r1", gpu="h200", weights="fp8", engine="sglang")
    assert p.parallel_caution.isVisible()
    assert p.parallel_caution.text().startswith("Every card caches all sequences: DP attention holds up to 8×")
    assert "--enable-dp-attention" in p.parallel_caution.toolTip() and "7.7 times" in p.parallel_caution.toolTip()
    p.gpus.setValue(1)
    settle(qtbot, win)
    assert not p.parallel_caution.isVisible()


def test_a_card_the_engine_does_not_list_is_flagged_under_the_engine(qtbot, win):
    """vLLM on a Tesla P40 (compute capability 6.1; its docs list 7.5 and newer), SGLang on an RX 7900 XTX (gfx1100;
    sgl-kernel builds for gfx942 and gfx950), HF transformers' flash attention on a T4 (FlashAttention-2: 8.0 and
    newer) or on an Apple chip (FlashAttention-2 needs CUDA or ROCm): a caution under the engine naming the card's
    target, the list in the tooltip, and the fit table's row tooltip says so; a listed card, llama.cpp, or sdpa clear
    it. HF transformers' FP8 on a card before compute capability 8.9 (dequantized to BF16) likewise."""
    p = win.panel
    drive(qtbot, win, gpus=1, batch=1, model="llama3.1-8b", gpu="tesla-p40", weights="fp16", engine="vllm")
    assert p.engine_caution.isVisible()
    assert p.engine_caution.text().startswith("vLLM does not list this card (compute capability 6.1).")
    tip = p.engine_caution.toolTip()
    assert tip.startswith("vLLM lists NVIDIA compute capability 7.5 or newer. This card is compute capability 6.1: "
                          "it may run from a build of one's own, or not at all") and "docs.vllm.ai" in tip
    model = win.fit_panel.model
    tips = {g: model.index(model.row_of(g), 1).data(QtCore.Qt.ItemDataRole.ToolTipRole) for g in ("tesla-p40", "t4")}
    assert "346 GB/s, compute capability 6.1;" in tips["tesla-p40"]
    assert tips["tesla-p40"].endswith("; not among the cards the chosen engine lists: it may not run here (choose the "
                                      "card for why)")
    assert "not among the cards" not in tips["t4"]
    choose(qtbot, win, p.gpu, "t4")
    assert not p.engine_caution.isVisible()
    choose(qtbot, win, p.weights, "bf16")            # (vLLM refuses bfloat16 below compute capability 8.0)
    assert p.engine_caution.text().startswith("vLLM with BF16 weights does not list this card (compute capability "
                                              "7.5).")
    assert "choose FP16 weights (--dtype half)" in p.engine_caution.toolTip()
    choose(qtbot, win, p.weights, "fp16")
    assert not p.engine_caution.isVisible()
    # HF transformers dequantizes FP8 checkpoints to BF16 below compute capability 8.9: on an A100 a caution, and the
    # fit table's rows of such cards say so (an RTX 4090's not)
    drive(qtbot, win, gpus=1, batch=1, gpu="a100-80gb", weights="fp8", engine="hf")
    assert p.engine_caution.text().startswith("HF transformers does not load FP8 (E4M3, per-tensor scale) weights as "
                                              "stored.")
    assert "quantizer_finegrained_fp8.py" in p.engine_caution.toolTip()
    tips = {g: model.index(model.row_of(g), 1).data(QtCore.Qt.ItemDataRole.ToolTipRole) for g in ("rtx3090", "rtx4090")}
    assert tips["rtx3090"].endswith("; the chosen engine does not load these weights as stored here: the card holds "
                                    "other bytes than these (choose the card for why)")
    assert "as stored" not in tips["rtx4090"]
    choose(qtbot, win, p.gpu, "rtx4090")
    assert not p.engine_caution.isVisible()
    drive(qtbot, win, gpus=1, batch=1, gpu="rx7900xtx", weights="fp16", engine="sglang")
    assert p.engine_caution.text().startswith("SGLang does not list this card (gfx1100).")
    assert p.engine_caution.toolTip().startswith("SGLang lists AMD's gfx942, gfx950. This card is gfx1100:")
    choose(qtbot, win, p.engine, "llamacpp")
    assert not p.engine_caution.isVisible()
    drive(qtbot, win, gpus=1, batch=1, gpu="t4", engine="hf", attention="flash")
    assert p.engine_caution.text().startswith("FlashAttention-2 does not list this card (compute capability 7.5).")
    assert "pick sdpa attention, which runs there" in p.engine_caution.toolTip()
    choose(qtbot, win, p.attention, "sdpa")
    assert not p.engine_caution.isVisible()
    # FlashAttention-2 needs CUDA or ROCm: no Apple chip, whatever HF transformers runs there with sdpa
    drive(qtbot, win, gpus=1, batch=1, gpu="m4-max-128gb", engine="hf", attention="flash")
    assert p.engine_caution.text().startswith("FlashAttention-2 does not list this card (an Apple chip).")
    assert p.engine_caution.toolTip().startswith("FlashAttention-2 runs on no Apple chip's GPU. This card is an Apple "
                                                 "chip: pick sdpa attention")
    assert "'Requirements: CUDA toolkit or ROCm toolkit'" in p.engine_caution.toolTip()
    choose(qtbot, win, p.attention, "sdpa")
    assert not p.engine_caution.isVisible()


def test_an_engine_that_does_not_run_on_the_card_is_flagged_under_the_engine(qtbot, win):
    """vLLM or SGLang on an Apple chip (vLLM's macOS build runs on the CPU only, SGLang's CUDA and ROCm
    kernels do not run there; the tooltip names their MLX paths), or HF transformers there with FP8 or AWQ
    weights: a caution under the engine; llama.cpp, HF transformers with 16-bit weights, or an NVIDIA card
    clear it."""
    p = win.panel
    drive(qtbot, win, gpus=1, batch=1, model="llama3.1-8b", gpu="m4-max-128gb", weights="fp16", engine="vllm")
    assert p.engine_caution.isVisible()
    assert p.engine_caution.text().startswith("vLLM does not run on this chip's GPU.")
    assert p.engine_caution.toolTip().startswith("vLLM: its macOS build runs on the CPU only; on the GPU, the "
                                                 "community vLLM-Metal plugin runs models through MLX")
    choose(qtbot, win, p.engine, "sglang")
    assert p.engine_caution.text().startswith("SGLang does not run on this chip's GPU.")
    assert "experimental MLX backend" in p.engine_caution.toolTip() and "20342" in p.engine_caution.toolTip()
    for engine in ("llamacpp", "hf"):
        choose(qtbot, win, p.engine, engine)
        assert not p.engine_caution.isVisible(), engine
    choose(qtbot, win, p.engine, "vllm")
    assert p.engine_caution.isVisible()
    choose(qtbot, win, p.gpu, "rtx4090")     # (its one line there: the model's 131,072 tokens do not fit the card)
    assert p.engine_caution.text().startswith("vLLM needs --max-model-len") and "run" not in p.engine_caution.text()
    # HF transformers on the chip with FP8 or AWQ weights (no float8 dtypes on PyTorch's MPS device; AutoAWQ's
    # kernels NVIDIA and AMD only): flagged too; its 16-bit weights, or the same formats on an NVIDIA card, are not
    drive(qtbot, win, gpus=1, batch=1, model="llama3.1-8b", gpu="m4-max-128gb", weights="fp8", engine="hf")
    assert p.engine_caution.isVisible()
    assert p.engine_caution.text().startswith("FP8 (E4M3, per-tensor scale) weights do not run on this chip's GPU "
                                              "with HF transformers.")
    assert "no float8 dtypes" in p.engine_caution.toolTip() and "148420" in p.engine_caution.toolTip()
    choose(qtbot, win, p.weights, "awq-int4")
    assert "AutoAWQ's kernels are built for NVIDIA and AMD cards only" in p.engine_caution.toolTip()
    for weights in ("bf16", "fp16"):
        choose(qtbot, win, p.weights, weights)
        assert not p.engine_caution.isVisible(), weights
    choose(qtbot, win, p.weights, "fp8")
    choose(qtbot, win, p.engine, "vllm")                  # (vLLM's own reason, whatever the weights)
    assert p.engine_caution.text().startswith("vLLM does not run on this chip's GPU.")
    choose(qtbot, win, p.engine, "hf")
    choose(qtbot, win, p.gpu, "h100-sxm")
    assert not p.engine_caution.isVisible()


def test_llamacpp_batches_are_flagged_under_the_batch_where_not_modelled(qtbot, win):
    """llama.cpp with several sequences of quantized weights on a card whose kernels the speed model does not
    follow (a V100: no int8 figure): a caution under the batch size whose tooltip quotes the measured speedups;
    one sequence, 16-bit weights, or a card it models (an RTX 3090) clear it."""
    p = win.panel
    drive(qtbot, win, gpus=1, batch=1, model="llama3-8b", gpu="v100-32gb", weights="q4_0", engine="llamacpp")
    assert not p.batch_caution.isVisible()
    p.batch.spin.setValue(4)
    settle(qtbot, win)
    assert p.batch_caution.isVisible()
    assert p.batch_caution.text().startswith("llama.cpp with 4 sequences: decode likely slower than shown.")
    tip = p.batch_caution.toolTip()
    assert "(Llama 3 8B Q4_0 on an RTX 3090): 4 sequences 3.01 times and 8 sequences 3.73 times one sequence's" in tip
    assert win.state.scenario.batch == 4 and not p.parallel_caution.isVisible()
    choose(qtbot, win, p.weights, "fp16")
    assert not p.batch_caution.isVisible()
    choose(qtbot, win, p.weights, "q4_k_m")
    assert p.batch_caution.isVisible()
    choose(qtbot, win, p.gpu, "rtx3090")
    assert not p.batch_caution.isVisible()
    choose(qtbot, win, p.gpu, "v100-32gb")
    assert p.batch_caution.isVisible()
    p.batch.spin.setValue(1)
    settle(qtbot, win)
    assert not p.batch_caution.isVisible()


def test_compare_cards_draw_capacity_and_usable_lines(qtbot, win):
    acts = {a.data(): a for a in win.panel.compare.menu().actions()}
    acts["a100-80gb"].setChecked(True)
    acts["l4"].setChecked(True)
    settle(qtbot, win)
    chart = win.memory_chart
    # generic engine: a card's whole memory is usable, one line per card at its capacity (MiB from the presets)
    usable = [line.value() for line in chart.compare_budgets if line.isVisible()]
    assert sorted(usable) == pytest.approx(sorted([81920 / 1024, 23034 / 1024]))
    assert not any(line.isVisible() for line in chart.compare_lines)
    # vLLM takes 90 % of each card (plus its CUDA graphs): capacity and usable lines for both
    choose(qtbot, win, win.panel.engine, "vllm")
    s = win.state.scenario
    cat = win.state.catalog
    capacity = [line.value() for line in chart.compare_lines if line.isVisible()]
    usable = [line.value() for line in chart.compare_budgets if line.isVisible()]
    assert sorted(capacity) == pytest.approx(sorted([81920 / 1024, 23034 / 1024]))
    expected = [fit(s.with_(gpu=cat.gpu(g))).budget_bytes / GIB for g in ("a100-80gb", "l4")]
    assert sorted(usable) == pytest.approx(sorted(expected))
    assert all(u < c for u, c in zip(sorted(usable), sorted(capacity), strict=True))
    texts = {line.label.format for line in chart.compare_budgets if line.isVisible()}
    assert "NVIDIA L4: usable {u} of 22.5 GiB".format(u=f"{expected[1]:.1f}") in texts


def test_a_compared_cards_label_shown_again_follows_ranges_moved_while_hidden(qtbot, win):
    """The labels of hidden lines are not moved on each range change: one shown again after
    the ranges moved must stand where pyqtgraph's placement puts it, at the new range."""
    from pyqtgraph.graphicsItems.InfiniteLine import InfLineLabel

    acts = {a.data(): a for a in win.panel.compare.menu().actions()}
    acts["a100-80gb"].setChecked(True)
    settle(qtbot, win)
    chart = win.memory_chart
    line = next(line for line in chart.compare_budgets if line.isVisible())
    before = line.label.pos().x()
    acts["a100-80gb"].setChecked(False)
    settle(qtbot, win)
    assert not line.isVisible()
    x_range = chart.getPlotItem().vb.viewRange()[0]
    choose(qtbot, win, win.panel.model, "llama3.1-405b")       # a longer context: the x axis reaches further
    assert chart.getPlotItem().vb.viewRange()[0] != x_range
    acts["a100-80gb"].setChecked(True)
    settle(qtbot, win)
    assert line.isVisible()
    shown = (line.label.pos().x(), line.label.pos().y())
    InfLineLabel.updatePosition(line.label)                    # where pyqtgraph puts it now
    assert shown == pytest.approx((line.label.pos().x(), line.label.pos().y()))
    assert shown[0] != pytest.approx(before)                   # (it did have to move)


def label_rect(chart, line):
    """A rule label's rectangle in the view box's coordinates."""
    return line.label.mapRectToItem(chart.getPlotItem().vb, line.label.boundingRect())


def test_rule_labels_of_same_size_cards_do_not_overlap(qtbot, win):
    """RTX 4090 primary, RTX 3090 (24 GB too) and L4 (22.5 GB) compared with vLLM: labelled
    rules within 3 GiB of each other.  The RTX 3090's lines are the RTX 4090's (the same 24 GiB,
    the same 23.0 usable): one label names both.  Placed one by one, no two labels overlap
    and each primary label stays on its own line (4 px: its box's edge)."""
    choose(qtbot, win, win.panel.engine, "vllm")
    acts = {a.data(): a for a in win.panel.compare.menu().actions()}
    acts["rtx3090"].setChecked(True)
    acts["l4"].setChecked(True)
    settle(qtbot, win)
    chart = win.memory_chart
    qtbot.wait(50)                         # (the labels take their places as the chart paints)
    lines = [chart.capacity, chart.budget] + [line for line in chart.compare_budgets if line.isVisible()]
    assert len(lines) == 3 and all(line.isVisible() for line in lines)
    assert chart.capacity.label.format == "NVIDIA GeForce RTX 4090 / RTX 3090: 24.0 GiB"
    assert lines[2].label.format.startswith("NVIDIA L4: usable ")
    acts["rtx4090"].setChecked(True)         # the card itself compared: its line, named once
    acts["rtx3090"].setChecked(False)
    settle(qtbot, win)
    assert chart.capacity.label.format == "NVIDIA GeForce RTX 4090: 24.0 GiB"
    assert [line.label.format for line in chart.compare_budgets if line.isVisible()] == [lines[2].label.format]
    rects = [label_rect(chart, line) for line in lines]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), (a, b)
    vb = chart.getPlotItem().vb
    for line, rect in zip(lines[:2], rects[:2], strict=True):
        y = vb.mapViewToScene(QtCore.QPointF(0, line.value())).y() - vb.sceneBoundingRect().top()
        assert min(abs(rect.top() - y), abs(rect.bottom() - y)) < 4


def test_compared_cards_of_one_size_share_one_labelled_line(qtbot, win):
    """Three 16 GB cards compared (Tesla P100 and RX 7800 XT 16,384 MiB, RX 7900 GRE 16,368 as its
    driver reports it: 16 MiB apart, under the 0.05 GiB that tells two lines apart; all of it usable
    with the generic engine) drew three labels for one line at 16 GiB, one over another or lifted
    far from it.  The first card's line carries one label naming all three (the others' names
    shortened); their own lines are not drawn again under it."""
    from vramgui.core import fit

    win.state.set_model("mixtral-8x7b")
    win.state.set_gpu("radeon-ai-pro-r9700")
    win.state.update(prompt_tokens=20_000)
    acts = {a.data(): a for a in win.panel.compare.menu().actions()}
    for gpu_id in ("rx7900gre", "p100-16gb", "rx7800xt"):
        acts[gpu_id].setChecked(True)
    settle(qtbot, win)
    cat = win.state.catalog
    mib = {g: cat.gpu(g).memory_mib for g in ("rx7900gre", "p100-16gb", "rx7800xt")}
    assert mib == {"rx7900gre": 16_368, "p100-16gb": 16_384, "rx7800xt": 16_384}
    s = win.state.scenario
    for g, size in mib.items():
        assert fit(s.with_(gpu=cat.gpu(g))).budget_bytes == size * 2**20        # all usable
    chart = win.memory_chart
    shown = [line for line in chart.compare_budgets if line.isVisible()]
    assert len(shown) == 1 and shown[0].value() == pytest.approx(mib[win.state.compare[0].id] / 1024)
    order = [g.id for g in win.state.compare]
    names = {"rx7900gre": "RX 7900 GRE", "p100-16gb": "P100 16GB (PCIe)", "rx7800xt": "RX 7800 XT"}
    first = cat.gpu(order[0]).name
    assert shown[0].label.format == f"{first} / {names[order[1]]} / {names[order[2]]}: 16.0 GiB, all usable"
    assert not any(line.isVisible() for line in chart.compare_lines)


def test_a_shorter_window_raises_the_memory_axis_for_the_cards_label(qtbot, win):
    """The axis leaves room above the card's line for its label under the legend, worked out for
    the plot's height in pixels (MemoryChart._headroom); a window made shorter after the edit kept
    the old top, and at 1175 x 700 Llama 3.1 405B on 8 H100s had the card's label under its line,
    the usable-memory line (5 GiB = 16 px lower) running through it.  A resize raises the top."""
    win.state.set_model("llama3.1-405b")
    win.state.set_gpu("h100-sxm")
    win.state.update(n_gpus=8, weights="fp8", engine="vllm")
    settle(qtbot, win)
    chart = win.memory_chart
    vb = chart.getPlotItem().vb
    tall = vb.height()
    win.resize(win.minimumSizeHint().width(), 700)
    qtbot.waitUntil(lambda: vb.height() < tall - 40, timeout=3000)
    settle(qtbot, win)
    qtbot.wait(50)
    y0, y1 = vb.viewRange()[1]
    to_px = lambda v: (y1 - v) / (y1 - y0) * vb.height()    # noqa: E731
    card, usable = label_rect(chart, chart.capacity), label_rect(chart, chart.budget)
    assert chart.budget.isVisible() and to_px(chart.budget.value()) - to_px(chart.capacity.value()) < card.height()
    assert card.bottom() <= to_px(chart.capacity.value()) + 1          # above its line
    assert not card.top() < to_px(chart.budget.value()) < card.bottom()  # the usable line not through it
    assert not card.intersects(usable)
    legend = chart.legend.mapRectToParent(chart.legend.boundingRect())
    assert not card.intersects(legend)


def test_a_long_card_name_keeps_its_label_on_its_line(qtbot, win):
    """Qwen2.5 14B Q8_0 with llama.cpp on an M2 Ultra: the card's label (300 px of a 528 px
    plot) met the largest prompt's label wherever it went above its line, and was lifted
    below it, onto the usable-memory line, whose label it seemed to be.  The markers' labels
    now take other heights: both rules' labels on their own lines, no label over another."""
    win.state.set_model("qwen2.5-14b")
    win.state.set_gpu("m2-ultra-192gb")
    win.state.update(weights="q8_0", engine="llamacpp", batch=4)
    settle(qtbot, win)
    chart = win.memory_chart
    qtbot.wait(50)
    vb = chart.getPlotItem().vb
    rules = [chart.capacity, chart.budget]
    assert chart.budget.value() < chart.capacity.value() - 40, "the lines are far apart: not the case"
    for line, above in zip(rules, (True, False), strict=True):
        rect = label_rect(chart, line)
        y = vb.mapViewToScene(QtCore.QPointF(0, line.value())).y() - vb.sceneBoundingRect().top()
        edge = rect.bottom() if above else rect.top()
        assert abs(edge - y) < 4, f"{line.label.format!r}: its label's edge {edge:.0f} px, its line {y:.0f} px"
    shown = [line for line in (*rules, chart.limit, chart.current) if line.isVisible()]
    assert len(shown) == 4
    rects = [label_rect(chart, line).adjusted(0, 3, 0, -3) for line in shown]   # (a text box's margins)
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), (a, b)


def test_a_card_line_at_the_plots_foot_keeps_its_label_off_the_limit_note(qtbot, win):
    """DeepSeek-V3 in FP8 on one V100 32GB: 32 GiB against an axis to 1,200 GiB puts the card's
    line at the foot of the plot, where the note on the prompts past the model's limit sits;
    the card's label was written over that note."""
    win.state.set_model("deepseek-v3")
    win.state.set_gpu("v100-32gb")
    win.state.update(weights="fp8", engine="hf", prompt_tokens=498, batch=16)
    settle(qtbot, win)
    chart = win.memory_chart
    qtbot.wait(50)
    vb = chart.getPlotItem().vb
    assert chart.beyond_label.isVisible() and chart.getPlotItem().vb.viewRange()[1][1] > 20 * 32
    note = chart.beyond_label.mapRectToItem(vb, chart.beyond_label.boundingRect())
    for line in (chart.capacity, chart.budget):
        if line.isVisible():
            rect = label_rect(chart, line).adjusted(0, 3, 0, -3)      # (a text box's margins)
            assert not rect.intersects(note), (line.label.format, rect, note)


def test_a_small_model_on_a_big_card_leaves_its_lines_clear_of_the_legend(qtbot, win):
    """Qwen 14B in Q4_0 on 8 B300 (268.6 GiB) with vLLM: the bands stay near the foot, so the axis
    ended 5 % above the card (at 300 GiB) and its line ran under the bands' legend; its label,
    with no room above, went below the usable-memory line instead.  Both labels now sit on their
    own lines, the legend clear of the card's line and label."""
    win.state.set_model("qwen-14b")
    win.state.set_gpu("b300")
    win.state.update(weights="q4_0", engine="vllm", n_gpus=8, prompt_tokens=330, batch=2)
    settle(qtbot, win)
    chart = win.memory_chart
    qtbot.wait(50)
    vb = chart.getPlotItem().vb
    legend = chart.legend.mapRectToParent(chart.legend.boundingRect())
    for line, above in ((chart.capacity, True), (chart.budget, False)):
        rect = label_rect(chart, line)
        y = vb.mapViewToScene(QtCore.QPointF(0, line.value())).y() - vb.sceneBoundingRect().top()
        assert abs((rect.bottom() if above else rect.top()) - y) < 4, line.label.format
        assert y > legend.bottom() and not rect.adjusted(0, 3, 0, -3).intersects(legend)


def test_chart_exports_scale_everything_and_stay_vector(qtbot, win, tmp_path):
    """A PNG at twice the chart's width draws the legend twice as big too (pyqtgraph's
    legends ignore the export's scale: its swatch had the same area at 1x and 2x), an SVG
    holds its texts as text, not as embedded bitmaps of the cached items, and the items'
    caches and flags are back afterwards."""
    settle(qtbot, win)
    chart = win.memory_chart
    width = chart.getPlotItem().sceneBoundingRect().width()
    swatch = QtGui.QColor("#5aa0d8").rgb() & 0xFFFFFF      # the weights band and its legend swatch

    def swatch_area(scale: int) -> int:
        img = QtGui.QImage(str(win.export_chart("memory", "png", tmp_path / f"m{scale}.png",
                                                width=int(width * scale))))
        top = img.height() * 0.2                           # the legend's row, above the bands
        return sum(1 for y in range(int(top)) for x in range(img.width()) if img.pixel(x, y) & 0xFFFFFF == swatch)

    one, two = swatch_area(1), swatch_area(2)
    assert one > 20 and 3.0 < two / one < 5.0, (one, two)          # 2 x 2 = 4 times the pixels
    svg = win.export_chart("memory", "svg", tmp_path / "m.svg").read_text(encoding="utf-8")
    assert "<image" not in svg
    assert ">Weights</text>" in svg.replace("\n", "").replace(" >", ">") and ">20</text>" in svg.replace(" >", ">")
    cache = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache
    assert chart.legend.cacheMode() == cache and chart.getPlotItem().getAxis("left").cacheMode() == cache
    assert chart.legend.flags() & QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
    axis = chart.getPlotItem().getAxis("left")        # the screen still replays its kept pictures
    axis.picture = None
    axis.update()
    chart.viewport().repaint()
    assert axis.picture is not None and any(axis.picture is kept for kept in axis._pictures.values())


def test_exports(qtbot, win, tmp_path):
    png = win.export_chart("memory", "png", tmp_path / "m.png", width=1400)
    img = QtGui.QImage(str(png))
    assert img.width() == 1400 and img.height() > 300
    colours = {img.pixel(x, img.height() // 2) for x in range(0, img.width(), 5)}
    assert len(colours) > 5                       # a drawn chart, not a blank image
    svg = win.export_chart("speed", "svg", tmp_path / "s.svg")
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    csv_path = win.export_data(tmp_path / "d.csv")
    assert csv_path.read_text().splitlines()[0].startswith("prompt_tokens,weights_bytes")
    md = win.export_report(tmp_path / "r.md").read_text(encoding="utf-8")
    assert "Verdict: fits" in md and "Llama 2 7B" in md
    d = json.loads(win.export_report(tmp_path / "r.json").read_text(encoding="utf-8"))
    assert d["memory"]["total"] == pytest.approx(float(estimate_memory(win.state.scenario).total))
    assert "Llama 2 7B" in win.copy_summary()


def test_the_speed_sweep_exports_as_csv(qtbot, win, tmp_path):
    # File > Export speed sweep as CSV: the speed chart's data, as vramgui-cli sweep batch prints it.  Llama 2 7B fp16
    # on an RTX 4090, 4,096 + 256 tokens: every row's throughput is its batch over its step; the card holds a batch
    # while the memory of it fits its budget (the memory column against fit's)
    import csv as csv_module

    from vramgui.core.speed import decode_step
    act = win.actions_by_key["export_speed_csv"]
    assert act.text() == "Export speed sweep as CSV…" and act in win.menus["file"].actions()
    rows = list(csv_module.DictReader(win.export_speed_data(tmp_path / "s.csv").read_text().splitlines()))
    s, f = win.state.scenario, win.last_fit
    assert [int(r["batch"]) for r in rows][:4] == [1, 2, 3, 4] and int(rows[-1]["batch"]) == 1024
    for r in rows[:: 9]:
        b, step = int(r["batch"]), float(r["decode_step_seconds"])
        assert float(r["throughput_tokens_per_second"]) == pytest.approx(b / step, rel=1e-12)
        assert step == pytest.approx(float(decode_step(s, b, s.context_tokens)[0]), rel=1e-12)
        assert (r["fits"] == "True") == (b <= f.max_batch)
    assert "offload_level" not in rows[0]
    # with System RAM entered each batch's offload plan too (Llama 2 70B Q4_K_M beside the card with 32 GB: placed
    # up to the 11 sequences the fit table gives, test_import_ui.py)
    from vramgui.core.offload import plan_offload
    drive(qtbot, win, model="llama2-70b", weights="q4_k_m", engine="llamacpp", gpus=1, batch=1)
    win.panel.prompt.spin.setValue(4000)
    win.panel.output.spin.setValue(96)
    win.panel.ram.setValue(32)
    settle(qtbot, win)
    rows = list(csv_module.DictReader(win.export_speed_data(tmp_path / "o.csv").read_text().splitlines()))
    placed = {int(r["batch"]): r for r in rows if r["offload_level"] == "partial"}
    assert max(placed) == 11 and all(r["offload_level"] == "none" for r in rows if int(r["batch"]) > 11)
    plan = plan_offload(win.state.scenario.with_(batch=8), 32)
    assert float(placed[8]["offload_decode_step_seconds"]) == pytest.approx(plan.decode_s, rel=1e-12)
    assert int(placed[8]["offload_ngl"]) == plan.ngl
    win.panel.ram.setValue(0)
    settle(qtbot, win)


def test_the_card_table_exports_as_csv(qtbot, win, tmp_path):
    """File > Export card table as CSV: the Will it fit? table as it shows (its filter, its order), the figures
    unformatted: bytes a card, the largest context as memory allows it beside the model's own limit (the cell says
    "4,096 (limit)"), tokens/s; each the core's (core.fit, core.speed) for that card."""
    import csv as csv_module

    from vramgui.core import fit
    from vramgui.core.speed import estimate_speed
    act = win.actions_by_key["export_cards_csv"]
    assert act.text() == "Export card table as CSV…" and act in win.menus["file"].actions()
    panel = win.fit_panel
    panel.search.setText("RTX")
    panel.view.sortByColumn(4, QtCore.Qt.SortOrder.DescendingOrder)         # most headroom first
    settle(qtbot, win)
    rows = list(csv_module.DictReader(win.export_card_table(tmp_path / "c.csv").read_text().splitlines()))
    shown = [panel.model.gpu_id(i) for i in range(panel.model.rowCount())]
    assert [r["gpu"] for r in rows] == shown and len(rows) > 10 and all("RTX" in r["card"] for r in rows)
    headroom = [float(r["headroom_bytes"]) for r in rows]
    assert headroom == sorted(headroom, reverse=True)
    s = win.state.scenario
    by = {r["gpu"]: r for r in rows}
    for gpu in ("rtx4090", "rtx3060-12gb"):
        r, f = by[gpu], fit(s.with_(gpu=win.state.catalog.gpu(gpu)))
        assert float(r["needed_bytes"]) == pytest.approx(f.needed_bytes, rel=1e-12)
        assert float(r["usable_bytes"]) == pytest.approx(f.budget_bytes, rel=1e-12)
        assert float(r["headroom_bytes"]) == pytest.approx(float(r["usable_bytes"]) - float(r["needed_bytes"]))
        assert r["verdict"] == panel.model.row_cells(shown.index(gpu))[0]
    r = by["rtx4090"]
    assert (r["verdict"], r["fewest_cards"], r["model_context_limit"], r["with_system_ram"]) == \
        ("fits", "1", "4096", "False")
    cells = panel.model.row_cells(shown.index("rtx4090"))
    assert int(r["max_context_tokens"]) > 4096 and cells[6] == "4,096 (limit)"
    assert float(r["decode_tokens_per_second"]) == pytest.approx(float(estimate_speed(s).decode_tokens_per_s),
                                                                  rel=1e-9)
    # 12 GB do not hold the 16-bit weights (13.5 GB): two cards do
    assert (by["rtx3060-12gb"]["fewest_cards"], by["rtx3060-12gb"]["max_context_tokens"]) == ("2", "")
    # in fine-tuning, the table's columns: the longest sequence, no decode speed
    choose(qtbot, win, win.panel.mode, "training")
    settle(qtbot, win)
    header = win.export_card_table(tmp_path / "t.csv").read_text().splitlines()[0].split(",")
    assert "max_seq_tokens" in header and "decode_tokens_per_second" not in header
    choose(qtbot, win, win.panel.mode, "inference")
    panel.search.setText("")


def test_the_machine_table_exports_as_csv(qtbot, win, tmp_path):
    """File > Export My machine table as CSV: the tab's rows as it shows them, as vramgui-cli machine --json gives
    them (core.machine.option_dict); before the tab was opened, the machine it would show (the Plan tab's)."""
    import csv as csv_module

    from vramgui.core.machine import Machine, evaluate
    act = win.actions_by_key["export_machine_csv"]
    assert act.text() == "Export My machine table as CSV…" and act in win.menus["file"].actions()
    # not opened yet: the Plan's card, its prompt + output as the context, the tab's 64 GB of RAM
    mt = win.machine_tab
    assert not mt.options
    rows = list(csv_module.DictReader(win.export_machine_table(tmp_path / "m.csv").read_text().splitlines()))
    assert mt.file_stem() == "machine_1xrtx4090_64gb_c4352" and len(rows) == mt.row_count() > 500
    mt = describe_machine(win, "rtx4090", 64, 4096, "Llama 2 13B")
    qtbot.waitUntil(lambda: mt.row_count() and all("13B" in mt.proxy.index(r, 0).data()
                                                   for r in range(mt.row_count())), timeout=5000)
    rows = list(csv_module.DictReader(win.export_machine_table(tmp_path / "m13.csv").read_text().splitlines()))
    shown = [mt.proxy.index(r, 0).data(QtCore.Qt.ItemDataRole.UserRole) for r in range(mt.row_count())]
    assert [(r["model"], r["weights"], r["engine"]) for r in rows] == [tuple(k) for k in shown]
    assert mt.engine.currentData() == win.state.scenario.engine == "generic"      # (followed from the Plan's)
    m = Machine(gpu=win.state.catalog.gpu("rtx4090"), ram_gb=64, context=4096, engine="generic")
    for r in rows:
        o = evaluate(m, win.state.catalog.model(r["model"]), r["weights"])
        assert (r["level"], int(r["gpu_layers"]), r["engine"]) == (o.level, o.gpu_layers, o.engine)
        assert float(r["decode_tokens_per_second"]) == pytest.approx(o.decode_tokens_per_s, rel=1e-12)
        assert float(r["needed_bytes"]) == pytest.approx(o.needed_bytes, rel=1e-12)
    # Q8_0 of Llama 2 13B: 8.5 bits a weight in its layers, a Q6_K output layer, fits the 24 GB card
    q8 = next(r for r in rows if (r["model"], r["weights"]) == ("llama2-13b", "q8_0"))
    assert (q8["level"], q8["engine"], q8["perplexity"]) == ("gpu", "llamacpp", "")
    # a published perplexity: its figure, dataset and source (Llama 3 8B Q8_0: 6.7687 on WikiText-2, llama.cpp's
    # scoreboard)
    mt.filter.setText("Llama 3 8B")
    rows = list(csv_module.DictReader(win.export_machine_table(tmp_path / "l3.csv").read_text().splitlines()))
    q8 = next(r for r in rows if (r["model"], r["weights"]) == ("llama3-8b", "q8_0"))
    assert float(q8["perplexity"]) == 6.7687 and q8["perplexity_dataset"].startswith("WikiText-2")
    assert "6936" in q8["perplexity_source"]

def test_fine_tuning_exports_the_job(qtbot, win, tmp_path):
    # in fine-tuning mode the data, the report and the summary are the training job's (they were the inference
    # scenario's): the CSV sweeps sequence length with the job's bands, the JSON is train --json's object
    import csv as csv_module

    from vramgui.core.report import training_dict
    from vramgui.core.training import training_memory
    from vramgui.ui.export import training_stem
    p = win.panel
    choose(qtbot, win, p.mode, "training")
    choose(qtbot, win, p.method, "full")
    p.grad_accum.setValue(4)
    choose(qtbot, win, p.allocator, "expandable")
    settle(qtbot, win)
    t = win.state.training
    assert (t.grad_accum, t.allocator) == (4, "expandable")
    rows = list(csv_module.reader(win.export_data(tmp_path / "d.csv").read_text().splitlines()))
    assert rows[0] == ["seq_tokens", "weights_bytes", "gradients_bytes", "optimizer_bytes", "activations_bytes",
                       "overhead_bytes", "total_bytes"]
    seq, total = int(rows[10][0]), float(rows[10][-1])
    assert total == pytest.approx(float(training_memory(t, seq=seq).total), rel=1e-12)
    d = json.loads(win.export_report(tmp_path / "r.json").read_text(encoding="utf-8"))
    assert d == json.loads(json.dumps(training_dict(t)))
    assert d["scenario"]["grad_accum"] == 4 and d["memory"]["total"] == pytest.approx(float(training_memory(t).total))
    md = win.export_report(tmp_path / "r.md").read_text(encoding="utf-8")
    assert md.startswith("# Fine-tuning Llama 2 7B on 1 × NVIDIA GeForce RTX 4090")
    assert "× 4 accumulated" in md and "expandable allocator" in md
    assert win.copy_summary() == md
    assert training_stem(t) == "llama2-7b_full_1xrtx4090_s2048_b1x4_training"
    # without ZeRO more data-parallel cards do not lower the memory per card: a card the job does not fit shows "-"
    # as its fewest cards (it showed "> 64", one count tried)
    model = win.fit_panel.model
    cells = [model.row_cells(i) for i in range(model.rowCount())]
    assert {c[5] for c in cells if c[0] == "does not fit"} == {"-"}
    # the second chart's data: the job's memory over the micro-batch, to 64 here (a power of two, twice the most
    # that fits at least)
    from vramgui.core.training import training_fit
    rows = list(csv_module.reader(win.export_speed_data(tmp_path / "b.csv").read_text().splitlines()))
    assert rows[0][0] == "micro_batch" and rows[0][1:] == ["weights_bytes", "gradients_bytes", "optimizer_bytes",
                                                           "activations_bytes", "overhead_bytes", "total_bytes"]
    assert int(rows[1][0]) == 1 and int(rows[-1][0]) >= max(64, 2 * training_fit(t).max_batch)
    b, total = int(rows[20][0]), float(rows[20][-1])
    assert total == pytest.approx(float(training_memory(t, batch=b).total), rel=1e-12)
    choose(qtbot, win, p.mode, "inference")
    assert win.export_data(tmp_path / "i.csv").read_text().startswith("prompt_tokens,")


def test_scenario_file_names():
    from vramgui.ui.export import scenario_stem
    cat = default_catalog()
    s = Scenario(model=cat.model("llama2-70b"), gpu=cat.gpu("a100-80gb"), weights="gptq-int4", prompt_tokens=4096)
    assert scenario_stem(s) == "llama2-70b_gptq-int4_1xa100-80gb_p4096_b1"
    assert scenario_stem(s.with_(cached_tokens=4000)) == "llama2-70b_gptq-int4_1xa100-80gb_p4096c4000_b1"
    # a prefix kept from a longer prompt names what the estimate keeps: the prompt less its last token
    assert scenario_stem(s.with_(prompt_tokens=1000, cached_tokens=4000)) == \
        "llama2-70b_gptq-int4_1xa100-80gb_p1000c999_b1"


def test_self_test_passes(qtbot, win):
    from vramgui.ui.app import self_test
    assert self_test(win) == 0


def test_fine_tuning_mode(qtbot, win):
    from vramgui.core.training import training_fit, training_memory
    p = win.panel
    choose(qtbot, win, p.mode, "training")
    assert win.second_chart.currentWidget() is win.batch_chart
    assert not p.weights.isVisible() and p.optimizer.isVisible()
    choose(qtbot, win, p.method, "qlora")
    choose(qtbot, win, p.optimizer, "adamw-bf16")
    p.lora_rank.setValue(8)
    p.lora_targets.setText("q,k,v,o")
    p.lora_targets.editingFinished.emit()
    choose(qtbot, win, p.checkpointing, "full")
    p.seq.spin.setValue(4096)
    p.micro_batch.spin.setValue(2)
    settle(qtbot, win)
    t = win.state.training
    assert (t.method, t.optimizer, t.lora_rank, t.lora_targets, t.checkpointing, t.seq, t.batch) == \
        ("qlora", "adamw-bf16", 8, ("q", "k", "v", "o"), "full", 4096, 2)
    x, y = win.memory_chart.curves[-1].getOriginalDataset()
    np.testing.assert_allclose(y, training_memory(t, seq=x).total / GIB, rtol=1e-12)
    f = training_fit(t)
    assert win.memory_chart.limit.value() == pytest.approx(np.log10(f.max_seq))
    assert win.batch_chart.limit.value() == pytest.approx(np.log10(f.max_batch))
    assert win.breakdown.values["trainable"].text().startswith(f"{training_memory(t).trainable_params / 1e6:,.1f} M of")
    assert "rank 8" in win.breakdown.tooltip("trainable")
    # QLoRA's 16-bit weights cast to fp32 (peft's k-bit preparation, on by default): the box turns it off
    assert p.kbit_upcast.isEnabled() and p.kbit_upcast.isChecked() and t.kbit_upcast
    p.kbit_upcast.click()
    settle(qtbot, win)
    assert not win.state.training.kbit_upcast
    x, y = win.memory_chart.curves[-1].getOriginalDataset()
    np.testing.assert_allclose(y, training_memory(win.state.training, seq=x).total / GIB, rtol=1e-12)
    assert float(training_memory(t).weights - training_memory(win.state.training).weights) > 0
    p.kbit_upcast.click()
    settle(qtbot, win)
    assert win.state.training == t
    header = win.fit_panel.model.headerData(6, QtCore.Qt.Orientation.Horizontal)
    assert header == "Max seq"
    assert win.fit_panel.view.isColumnHidden(8)           # no decode speed for a training job
    # the markers' labels clear of the two-row legend (it hid "largest sequence that fits")
    vb = win.memory_chart.getPlotItem().vb
    legend = win.memory_chart.legend.mapRectToParent(win.memory_chart.legend.boundingRect())
    for line in (win.memory_chart.limit, win.memory_chart.current):
        y = (1 - line.label.orthoPos) * vb.height()
        assert not (legend.top() <= y <= legend.bottom() + line.label.boundingRect().height() / 2)
    verdicts = dict(win.fit_panel.row_texts())
    assert verdicts["NVIDIA GeForce RTX 4090"] == ("fits" if f.fits else "does not fit")
    # a bad target is refused with a reason and the setup is kept
    p.lora_targets.setText("attention")
    p.lora_targets.editingFinished.emit()
    assert "unknown LoRA target" in p.message.text() and win.state.training.lora_targets == ("q", "k", "v", "o")
    choose(qtbot, win, p.mode, "inference")
    assert win.second_chart.currentWidget() is win.speed_chart and p.weights.isVisible()
    assert not win.fit_panel.view.isColumnHidden(8)


def test_fine_tuning_a_model_transformers_runs_without_sdpa_says_so(qtbot, win):
    """Gemma 2's soft-capped logits have no SDPA path in transformers (Gemma2PreTrainedModel._supports_sdpa is False):
    with flash / SDPA chosen a caution under the attention says transformers runs it eager unless a flash-attention
    implementation is asked for; eager chosen, none; DeepSeek-V4 runs eager only; Llama has SDPA, none; inference,
    none there, but HF transformers' default attention is eager, said under the engine. The activations follow the
    attention: Gemma 2 9B eager keeps more than with flash (no checkpointing)."""
    from vramgui.core.training import training_memory
    p = win.panel
    choose(qtbot, win, p.model, "gemma2-9b")
    choose(qtbot, win, p.mode, "training")
    choose(qtbot, win, p.checkpointing, "none")
    choose(qtbot, win, p.train_attention, "flash")
    assert p.attention_caution.isVisible()
    assert p.attention_caution.text().startswith("transformers runs this model eager unless asked for flash attention")
    assert "flash_attention_2" in p.attention_caution.toolTip()
    flash = win.state.training
    choose(qtbot, win, p.train_attention, "eager")
    assert not p.attention_caution.isVisible()
    assert float(training_memory(win.state.training).activations) > float(training_memory(flash).activations)
    choose(qtbot, win, p.train_attention, "flash")
    choose(qtbot, win, p.model, "deepseek-v4-flash")
    assert p.attention_caution.text().startswith("transformers runs this model with eager attention only")
    choose(qtbot, win, p.model, "llama3.1-8b")
    assert not p.attention_caution.isVisible()
    # Qwen3.5 9B: its 24 Gated DeltaNet layers counted as transformers' torch path runs them, eager or not
    choose(qtbot, win, p.model, "qwen3.5-9b")
    for attention in ("flash", "eager"):
        choose(qtbot, win, p.train_attention, attention)
        assert p.attention_caution.text().startswith("Gated DeltaNet layers: transformers' torch path, without fla")
        assert p.attention_caution.toolTip().startswith("its 24 Gated DeltaNet layers are counted")
    # Granite 4.0 H Small: its 36 Mamba-2 layers likewise (without mamba-ssm), Jamba 1.5 Mini's 28 Mamba layers too;
    # Kimi Linear's Kimi Delta Attention layers are counted as attention layers, and the caution says so
    choose(qtbot, win, p.model, "granite4.0-h-small")
    assert p.attention_caution.text().startswith("Mamba-2 layers: transformers' torch path, without mamba-ssm")
    assert p.attention_caution.toolTip().startswith("its 36 Mamba-2 layers are counted as transformers runs them")
    # the "mamba-ssm kernels" box, shown for a model with Mamba-2 layers: checked, the job counts them through
    # mamba-ssm's fused kernel (less), and the caution says so; unchecked again, the torch path
    assert p.mamba_kernels.isVisible() and not p.mamba_kernels.isChecked()
    torch_path = training_memory(win.state.training)
    p.mamba_kernels.click()
    assert win.state.training.mamba_kernels
    assert float(training_memory(win.state.training).activations) < float(torch_path.activations)
    assert p.attention_caution.text().startswith("Mamba-2 layers: mamba-ssm's kernel, read from its source")
    assert p.attention_caution.toolTip().startswith("its 36 Mamba-2 layers are counted as mamba-ssm's fused kernel")
    p.mamba_kernels.click()
    assert not win.state.training.mamba_kernels
    choose(qtbot, win, p.mode, "inference")     # (a fine-tuning row)
    assert not p.mamba_kernels.isVisible()
    choose(qtbot, win, p.mode, "training")
    assert p.mamba_kernels.isVisible()
    choose(qtbot, win, p.model, "jamba-1.5-mini")
    assert not p.mamba_kernels.isVisible()     # (Mamba (S6) layers: not this kernel)
    assert p.attention_caution.text().startswith("Mamba layers: transformers' torch path, without mamba-ssm")
    assert p.attention_caution.toolTip().startswith("its 28 Mamba layers are counted as transformers runs them")
    choose(qtbot, win, p.model, "kimi-linear-48b-a3b")
    assert p.attention_caution.text().startswith("Recurrent layers counted as attention layers: not modelled")
    assert p.attention_caution.toolTip().startswith("its 20 Kimi Delta Attention layers are counted as attention")
    # Falcon-7B's one key/value head: flash attention none; SDPA takes PyTorch's math path, fp32 scores, which the
    # caution says and the activations hold (every layer's 71 x 2,048 x 2,048 fp32 softmax, 1.19 GB a layer, with the
    # fp32 queries, keys and values less the bf16 ones and the output: within 1 %); the
    # attention box shows what the setup holds
    choose(qtbot, win, p.model, "falcon-7b")
    choose(qtbot, win, p.train_attention, "flash")
    assert not p.attention_caution.isVisible()
    flash = training_memory(win.state.training)
    choose(qtbot, win, p.train_attention, "sdpa")
    assert win.state.training.attention == "sdpa" and p.train_attention.currentText() == "sdpa"
    assert p.attention_caution.text().startswith("SDPA takes PyTorch's math path here: fp32 scores")
    assert p.attention_caution.toolTip().startswith("transformers hands SDPA this model's one key/value head")
    assert float(training_memory(win.state.training).activations) - float(flash.activations) == pytest.approx(
        32 * 71 * 2048 * 2048 * 4, rel=0.01)
    # Gemma 4 31B's vision-language class takes no flash attention in transformers: with flash a caution says choose
    # sdpa
    choose(qtbot, win, p.model, "gemma4-31b")
    assert not p.attention_caution.isVisible()      # (sdpa still chosen)
    choose(qtbot, win, p.train_attention, "flash")
    assert p.attention_caution.text().startswith("transformers has no flash attention for this model: choose sdpa")
    assert "Gemma4ForConditionalGeneration" in p.attention_caution.toolTip()
    choose(qtbot, win, p.train_attention, "flash")
    choose(qtbot, win, p.model, "gemma2-9b")
    choose(qtbot, win, p.mode, "inference")
    assert not p.attention_caution.isVisible()
    # inference with HF transformers and no attention picked: it runs Gemma 2 eager (core.report.attention_default_
    # note), said under the engine, and the estimate counts eager's scores; flash picked, neither
    choose(qtbot, win, p.engine, "hf")
    choose(qtbot, win, p.attention, "")
    assert win.state.scenario.attention_impl == "eager"
    assert p.engine_caution.isVisible() and "transformers runs this model eager unless asked for flash attention" in \
        p.engine_caution.text()
    assert "no SDPA path" in p.engine_caution.toolTip()
    choose(qtbot, win, p.attention, "flash")
    assert "eager attention" not in p.engine_caution.text()
    # Falcon-7B under HF's SDPA (its default): PyTorch's math path holds fp32 scores, said under the engine; flash, not
    choose(qtbot, win, p.model, "falcon-7b")
    choose(qtbot, win, p.attention, "")
    assert "SDPA takes PyTorch's math path here: fp32 scores" in p.engine_caution.text()
    assert "its math path holds each prompt's scores in fp32" in p.engine_caution.toolTip()
    choose(qtbot, win, p.attention, "flash")
    assert "math path" not in p.engine_caution.text()


def test_fine_tuning_an_moe_model_says_how_lora_meets_its_experts(qtbot, win):
    """peft adapts Qwen3-MoE's routed experts through their fused parameters where the targets name the MLP, and
    refuses gate without up (core.training.PEFT_FUSED_EXPERTS): a caution under the LoRA targets says which, the
    how and the source in its tooltip; none for targets on attention alone, nor for an MoE whose names peft keeps."""
    from vramgui.core.training import training_memory
    p = win.panel
    choose(qtbot, win, p.model, "qwen3-30b-a3b")
    choose(qtbot, win, p.mode, "training")
    choose(qtbot, win, p.method, "lora")

    def targets(text):
        p.lora_targets.setText(text)
        p.lora_targets.editingFinished.emit()
        settle(qtbot, win)
    targets("q,k,v,o,gate,up,down")
    assert p.lora_caution.isVisible() and p.lora_caution.text().startswith("LoRA adapts every routed expert here")
    tip = p.lora_caution.toolTip()
    assert "gate_up_proj (rank 32) and down_proj (rank 16)" in tip and "_convert_peft_config_moe" in tip
    assert "baddbmm" in tip
    assert win.breakdown.values["trainable"].text().startswith(
        f"{training_memory(win.state.training).trainable_params / 1e6:,.1f} M of") and \
        training_memory(win.state.training).trainable_params == 994_836_480
    targets("q,gate")
    assert p.lora_caution.text().startswith("peft refuses gate without up")
    assert "Cannot convert PEFT target(s)" in p.lora_caution.toolTip()
    targets("q,v")
    assert not p.lora_caution.isVisible()
    targets("q,k,v,o,gate,up,down")
    choose(qtbot, win, p.model, "qwen3.5-35b-a3b")      # (peft keeps Qwen3.5-MoE's names: no expert adapted)
    assert not p.lora_caution.isVisible()
    # Gemma 4 31B: its vision tower takes the plain names as layers peft refuses; the tooltip gives the regex
    choose(qtbot, win, p.model, "gemma4-31b")
    assert p.lora_caution.isVisible() and p.lora_caution.text().startswith("peft refuses the plain module names")
    assert "language_model" in p.lora_caution.toolTip()
    # Nemotron 3 Nano: peft refuses its Mamba mixers' out_proj
    choose(qtbot, win, p.model, "nemotron3-nano-30b-a3b")
    targets("q,v,in_proj,out_proj")
    assert p.lora_caution.text().startswith("peft refuses out_proj on this model's Mamba layers")
    assert "incompatible with Mamba-based models" in p.lora_caution.toolTip()
    targets("q,v,in_proj")
    assert not p.lora_caution.isVisible()
    choose(qtbot, win, p.mode, "inference")
    assert not p.lora_caution.isVisible()


def test_fine_tuning_padded_micro_batches(qtbot, win):
    """The Padding row shows in fine-tuning under SDPA alone (flash attention unpads, eager keeps nothing more): checked
    with 8 sequences a micro-batch, the job keeps each layer's mask and repeated keys and values, as the core counts
    them (Llama 2 7B: 32 heads over 32, no repeats: the mask alone, 2 x 2,048 a token and layer)."""
    from vramgui.core.training import training_memory
    p = win.panel
    choose(qtbot, win, p.mode, "training")
    choose(qtbot, win, p.checkpointing, "none")
    choose(qtbot, win, p.train_attention, "flash")
    assert not p.padded.isVisible()
    choose(qtbot, win, p.train_attention, "sdpa")
    assert p.padded.isVisible() and not p.padded.isChecked()
    p.micro_batch.spin.setValue(8)
    settle(qtbot, win)
    plain = win.state.training
    p.padded.click()
    settle(qtbot, win)
    t = win.state.training
    assert t.padded and t.batch == 8 and t.seq == 2048
    assert float(training_memory(t).stored) - float(training_memory(plain).stored) == pytest.approx(
        2 * 2048 * 2048 * 8 * 32, rel=1e-12)
    assert win.breakdown.values["activations"].text() == f"{float(training_memory(t).activations) / GIB:,.2f} GiB"
    choose(qtbot, win, p.train_attention, "flash")
    assert not p.padded.isVisible()
    choose(qtbot, win, p.mode, "inference")


def test_fine_tuning_optimizer_step(qtbot, win):
    # Llama 2 7B full fine-tuning in pure bf16, checkpointed, 2 x 2,048 tokens on an H200: PyTorch's foreach
    # AdamW step adds its copy of the second moments (6,738,415,616 x 2 B) to the gradients once the activations
    # are freed: the step's phase, 4 bytes a parameter, is the peak, where the fused one's is the backward pass
    # (the gradients and a recomputed layer); the allocator adds 8 % of either
    from vramgui.core.training import training_memory
    p = win.panel
    choose(qtbot, win, p.mode, "training")
    choose(qtbot, win, p.gpu, "h200")
    choose(qtbot, win, p.method, "full")
    choose(qtbot, win, p.optimizer, "adamw-bf16")
    choose(qtbot, win, p.checkpointing, "full")
    p.seq.spin.setValue(2048)
    p.micro_batch.spin.setValue(2)
    settle(qtbot, win)
    assert p.optimizer_step.isVisible() and p.optimizer_step.isEnabled()
    assert win.state.training.optimizer_step == "fused"
    fused = float(training_memory(win.state.training).total)
    choose(qtbot, win, p.optimizer_step, "foreach")
    settle(qtbot, win)
    t = win.state.training
    assert t.optimizer_step == "foreach"
    m = training_memory(t)
    assert m.peak_phase == "step" and float(m.step_phase) == 6_738_415_616 * 4
    assert float(m.total) - fused == pytest.approx(1.08 * (6_738_415_616 * 4 - float(training_memory(
        t.with_(optimizer_step="fused")).backward_phase)), rel=1e-9)
    x, y = win.memory_chart.curves[-1].getOriginalDataset()
    np.testing.assert_allclose(y, training_memory(t, seq=x).total / GIB, rtol=1e-12)
    assert "foreach step" in win.breakdown.tooltip("optimizer")
    # 8-bit AdamW updates in place: the choice is greyed out, and counts nothing
    choose(qtbot, win, p.optimizer, "adamw-8bit")
    settle(qtbot, win)
    assert not p.optimizer_step.isEnabled()
    choose(qtbot, win, p.mode, "inference")


def test_measured_overlay_and_error_on_hover(qtbot, win, monkeypatch, tmp_path):
    from vramgui.core.catalog import data_dir
    from vramgui.core.speed import decode_step
    choose(qtbot, win, win.panel.gpu, "a100-80gb")
    sample = data_dir("presets") / "measured" / "lmdeploy-llama2-7b-a100-p128-g2048-step-ms.csv"
    assert win.load_measured(sample)
    settle(qtbot, win)
    x, y = win.memory_chart.measured.getOriginalDataset()
    assert x is None or len(x) == 0            # no memory points in this file
    b, ms = win.speed_chart.measured_step.getOriginalDataset()
    assert list(b) == [1, 16, 32, 64] and list(ms) == [10.0, 15.0, 21.0, 30.0]
    tips = win.speed_chart.measured_step.scatter.data["data"]
    s = win.state.scenario
    est = float(decode_step(s, 16, s.context_tokens)[0]) * 1e3
    assert f"estimated {est:,.2f} ms ({(est - 15) / 15 * 100:+.1f} %)" in tips[1]
    # a bad file is reported and the overlay kept
    shown = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning", lambda *a: shown.append(a[2]))
    bad = tmp_path / "bad.csv"
    bad.write_text("axis,x,quantity,value\nbatch,4,watts,3\n")
    assert not win.load_measured(bad)
    assert shown and "field 'quantity'" in shown[0]
    assert len(win.measured) == 4
    win.clear_measured()
    settle(qtbot, win)
    b, _ = win.speed_chart.measured_step.getOriginalDataset()
    assert b is None or len(b) == 0


def test_help_texts_and_accessible_names(qtbot, win):
    from vramgui.ui.dialogs import GUIDE, about_text
    assert "knee" in GUIDE and "GiB" in GUIDE and "the orange line the plans at each number of sequences" in GUIDE
    text = about_text()
    assert "LGPL" in text and "MIT" in text and "never uses the network" in text
    p = win.panel
    assert p.weights.accessibleName() == "Weights" and p.gpu.accessibleName() == "GPU"
    assert p.prompt.slider.accessibleName() == "Prompt tokens"
    titles = [a.text() for a in win.menuBar().actions()]
    assert titles == ["&File", "&Scenario", "&View", "&Help"]
    export = next(a for a in win.menuBar().actions()[0].menu().actions() if a.text().startswith("Export memory"))
    assert export.shortcut().toString() == "Ctrl+E"


def describe_machine(win, gpu: str, ram: int, context: int, text: str):
    """The My machine tab, shown, with its card, RAM and context set through its widgets and the list filtered."""
    mt = win.machine_tab
    win.tabs.setCurrentIndex(1)
    mt.gpu.setCurrentIndex(mt.gpu.findData(gpu))
    mt.ram.setValue(ram)
    mt.context.setValue(context)
    mt.filter.setText(text)
    return mt


def test_machine_tab_opens_on_the_largest_models_that_run_on_the_cards(qtbot, win):
    """The tab's order: what runs on the GPU, then partly offloaded, then on the CPU; within each the most parameters
    first, each model in its most bits a weight first (by tokens/s it opened on LFM2 350M in Q2_K at 1,126
    tokens/s a screen above Qwen2.5 0.5B); a column header sorts by that column instead."""
    mt = describe_machine(win, "rtx4090", 64, 4096, "")
    qtbot.waitUntil(lambda: mt.row_count() > 500, timeout=10000)
    shown = mt.shown_options()
    levels = [("gpu", "partial", "cpu", "none").index(o.level) for o in shown]
    assert levels == sorted(levels) and levels[0] == 0 and levels[-1] >= 1
    for level in set(levels):
        # (parameters to the million, bits to the thousandth: two 32B models a million apart sort by their bits)
        group = [(round(o.params / 1e6), round(o.bits, 3)) for o, v in zip(shown, levels, strict=True) if v == level]
        assert group == sorted(group, reverse=True)
    first = shown[0]
    assert first.level == "gpu" and first.params == max(o.params for o in shown if o.level == "gpu")
    assert first.params > 40e9          # (a 24 GB card holds a 40B-plus model in 2 to 4 bits)
    mt.view.sortByColumn(6, QtCore.Qt.SortOrder.DescendingOrder)       # tokens/s, as a header click does
    fastest = mt.shown_options()
    assert [o.decode_tokens_per_s for o in fastest] == sorted((o.decode_tokens_per_s for o in fastest), reverse=True)


def test_machine_tab_lists_and_opens(qtbot, win):
    mt = describe_machine(win, "rtx4090", 64, 4096, "Llama 2 13B")
    qtbot.waitUntil(lambda: any(mt.proxy.index(r, 1).data() == "q8_0" for r in range(mt.row_count())),
                    timeout=5000)     # the table follows the edits (no Update button)
    texts = {(mt.proxy.index(r, 1).data(), mt.proxy.index(r, 3).data()) for r in range(mt.row_count())}
    assert ("q8_0", "fits on GPU") in texts and ("q4_k_m", "fits on GPU") in texts
    # 26 GB of bf16 weights: not on a 24 GB card; the generic engine (the Plan tab's) splits its layers with the RAM
    # as its plan does: the row gives the plan's layers on the card (tests/test_machine.py holds the whole grid to it)
    from vramgui.core.offload import plan_offload
    cat = win.state.catalog
    plan = plan_offload(Scenario(model=cat.model("llama2-13b"), gpu=cat.gpu("rtx4090"), weights="bf16",
                                 engine="generic", prompt_tokens=4096, output_tokens=0), 64)
    assert plan.level == "partial" and 0 < plan.gpu_layers < 40
    assert ("bf16", f"offloaded: {plan.gpu_layers}/40 layers on GPU") in texts
    # the verdict sits beside its colour swatch (right-aligned like the numbers, it sat a column's width away)
    align = QtCore.Qt.ItemDataRole.TextAlignmentRole
    assert mt.proxy.index(0, 3).data(align) is None and mt.proxy.index(0, 4).data(align) is not None
    row = next(r for r in range(mt.row_count()) if mt.proxy.index(r, 1).data() == "q8_0")
    mt.view.doubleClicked.emit(mt.proxy.index(row, 0))
    settle(qtbot, win)
    s = win.state.scenario
    assert (s.model.id, s.weights, s.engine, s.gpu.id, s.prompt_tokens) == \
        ("llama2-13b", "q8_0", "llamacpp", "rtx4090", 4096)
    assert win.tabs.currentIndex() == 0


def test_machine_tab_reads_the_ram_at_the_bandwidth_given(qtbot, win):
    """The machine's RAM bandwidth (it took the platform's default whatever the Plan tab said): Llama 3.1 70B Q4_K_M
    beside an RTX 4090 with 64 GB at 4,096 tokens, the 34 layers in RAM read at 96 GB/s (dual-channel DDR5-6000) in
    place of 76.8, the row's tokens/s the core's; opened, the plan has the same machine and the same decode."""
    from vramgui.core.machine import Machine, evaluate
    mt = describe_machine(win, "rtx4090", 64, 4096, "Llama 3.1 70B")
    cat = win.state.catalog

    def cell(col):
        return next((mt.proxy.index(r, col).data() for r in range(mt.row_count()) if mt.proxy.index(r, 1).data()
                     == "q4_k_m" and mt.proxy.index(r, 0).data() == "Llama 3.1 70B Instruct"), None)
    from vramgui.ui.machine_tab import COLUMNS
    tokens = COLUMNS.index("Tokens/s")
    qtbot.waitUntil(lambda: cell(tokens) is not None, timeout=5000)
    before = evaluate(Machine(gpu=cat.gpu("rtx4090"), ram_gb=64, context=4096), cat.model("llama3.1-70b"), "q4_k_m")
    assert cell(tokens) == f"{before.decode_tokens_per_s:,.1f}"
    mt.ram_bw.setValue(96)
    assert mt.described and mt.description()["ram_bandwidth_gb_s"] == 96
    after = evaluate(Machine(gpu=cat.gpu("rtx4090"), ram_gb=64, context=4096, ram_bandwidth_gb_s=96),
                     cat.model("llama3.1-70b"), "q4_k_m")
    qtbot.waitUntil(lambda: cell(tokens) == f"{after.decode_tokens_per_s:,.1f}", timeout=5000)
    # one sequence reads the part in RAM once a token: 25 % more bandwidth, under 25 % more tokens/s (the card's
    # part takes as long as before)
    assert after.level == "partial" and 1.05 < after.decode_tokens_per_s / before.decode_tokens_per_s < 1.25
    row = next(r for r in range(mt.row_count()) if mt.proxy.index(r, 1).data() == "q4_k_m"
               and mt.proxy.index(r, 0).data() == "Llama 3.1 70B Instruct")
    mt.view.doubleClicked.emit(mt.proxy.index(row, 0))
    settle(qtbot, win)
    assert (win.state.ram_gb, win.state.ram_bandwidth_gb_s, win.panel.ram_bw.value()) == (64, 96, 96)
    assert win.state.offload_plan().tokens_per_s == pytest.approx(after.decode_tokens_per_s, rel=1e-9)


def machine_cell(mt, name: str, fmt: str, col: str):
    """The My machine tab's cell of column ``col`` in the row of model ``name`` in ``fmt`` (None: no such row)."""
    from vramgui.ui.machine_tab import COLUMNS
    return next((mt.proxy.index(r, COLUMNS.index(col)).data() for r in range(mt.row_count())
                 if mt.proxy.index(r, 0).data() == name and mt.proxy.index(r, 1).data() == fmt), None)


def open_machine_row(qtbot, win, mt, name: str, fmt: str) -> None:
    row = next(r for r in range(mt.row_count()) if mt.proxy.index(r, 0).data() == name
               and mt.proxy.index(r, 1).data() == fmt)
    mt.view.doubleClicked.emit(mt.proxy.index(row, 0))
    settle(qtbot, win)


def test_machine_tab_names_a_row_with_only_the_output_layer_in_ram(qtbot, win):
    """Under the generic profile, whose layer split puts the output layer on the card only once every layer is there
    (as the llama.cpp of 2023 does), Gemma 3 12B in NF4 beside an RTX 2070 with 64 GB at 512 tokens keeps its 48
    layers on the card and its output layer in RAM: the row reads so (it read a bare "partly offloaded"), and the
    core's row says the same (core.machine.Option.output_only, held equal to plan_offload's in tests/test_machine)."""
    from vramgui.core.machine import Machine, evaluate
    cat = win.state.catalog
    row = evaluate(Machine(gpu=cat.gpu("rtx2070"), ram_gb=64, engine="generic", context=512), cat.model("gemma3-12b"),
                   "nf4")
    assert (row.level, row.gpu_layers, row.n_layers, row.output_only) == ("partial", 48, 48, True)
    mt = win.machine_tab
    mt.engine.setCurrentIndex(mt.engine.findData("generic"))
    describe_machine(win, "rtx2070", 64, 512, "Gemma 3 12B")
    name = cat.model("gemma3-12b").name
    qtbot.waitUntil(lambda: machine_cell(mt, name, "nf4", "Runs") is not None, timeout=5000)
    assert machine_cell(mt, name, "nf4", "Runs") == "offloaded: output layer on CPU"


def test_machine_tab_names_a_row_with_experts_in_ram(qtbot, win):
    """Qwen3-Next 80B-A3B Q4_K_M beside an RTX 4060 with 64 GB at 4,096 tokens under llama.cpp: every layer on the
    card, 42 layers' routed experts in RAM (tests/test_machine.py's row): the cell says so, as the Plan tab's table."""
    mt = win.machine_tab
    describe_machine(win, "rtx4060", 64, 4096, "Qwen3-Next")
    name = win.state.catalog.model("qwen3-next-80b-a3b").name
    qtbot.waitUntil(lambda: machine_cell(mt, name, "q4_k_m", "Runs") is not None, timeout=5000)
    assert machine_cell(mt, name, "q4_k_m", "Runs") == "offloaded: 42/48 layers' experts on CPU"


def test_machine_tab_keeps_vllms_routed_experts_alone_in_ram(qtbot, win):
    """The Plan tab's *experts only* (vLLM's --cpu-offload-params with the experts' names) on the My machine tab:
    Qwen3 30B-A3B BF16 beside an RTX 4090 with 64 GB keeps the same GiB in RAM, of routed experts alone, which a step
    reads 8 of 128 experts' of (the model's config.json: num_experts 128, num_experts_per_tok 8), so its row is
    faster (7.0 tokens/s -> 9.9, the core's); opened, the Plan tab has the box checked and the row's decode.  Greyed
    under SGLang and HF transformers (no such flag); the Plan tab's box checked, the tab follows it."""
    from vramgui.core.machine import Machine, evaluate
    cat = win.state.catalog
    mt = describe_machine(win, "rtx4090", 64, 4096, "Qwen3 30B-A3B")
    mt.engine.setCurrentIndex(mt.engine.findData("vllm"))
    name = cat.model("qwen3-30b-a3b").name
    box = mt.experts_only
    assert box.isEnabled() and not box.isChecked() and "--cpu-offload-params" in box.toolTip()
    machine = Machine(gpu=cat.gpu("rtx4090"), ram_gb=64, engine="vllm", context=4096)
    mixed = evaluate(machine, cat.model("qwen3-30b-a3b"), "bf16")
    qtbot.waitUntil(lambda: machine_cell(mt, name, "bf16", "Tokens/s") == f"{mixed.decode_tokens_per_s:,.1f}",
                    timeout=5000)
    box.setChecked(True)
    assert mt.described and mt.description()["experts_only"] is True
    alone = evaluate(replace(machine, experts_only=True), cat.model("qwen3-30b-a3b"), "bf16")
    qtbot.waitUntil(lambda: machine_cell(mt, name, "bf16", "Tokens/s") == f"{alone.decode_tokens_per_s:,.1f}",
                    timeout=5000)
    # the same bytes in RAM (the least that lets the rest fit: 36.1 GiB, fewer than the 54.0 GiB of routed experts,
    # 48 x 128 x 3 x 2,048 x 768 x 2 B), read at 8/128 of them a step in place of the layers' mix
    assert alone.copied_bytes == mixed.copied_bytes < 48 * 128 * 3 * 2048 * 768 * 2
    # a step is the card's time plus the link's for those bytes, read 8/128 with the experts alone and 1 - x + x/16
    # with the layers' mix, x the routed experts' share of the decoder layers (by hand from config.json: 48 layers of
    # 128 x 3 x 2,048 x 768 expert weights; q 2,048 x 4,096, k and v 2,048 x 512, o 4,096 x 2,048, a 2,048 x 128
    # router, two 128-wide q/k norms and two 2,048-wide norms, 19,140,288 a layer): faster, by less than that ratio
    routed = 48 * 128 * 3 * 2048 * 768
    x = routed / (routed + 48 * 19_140_288)
    assert 1.0 < alone.decode_tokens_per_s / mixed.decode_tokens_per_s < (1 - x + x / 16) / (1 / 16)
    open_machine_row(qtbot, win, mt, name, "bf16")
    st = win.state
    assert (st.scenario.engine, st.experts_only, win.panel.ram_flag.isChecked()) == ("vllm", True, True)
    assert st.offload_plan().experts_only
    assert st.offload_plan().tokens_per_s == pytest.approx(alone.decode_tokens_per_s, rel=1e-9)
    for engine in ("sglang", "hf"):
        mt.engine.setCurrentIndex(mt.engine.findData(engine))
        assert not box.isEnabled()
    mt.engine.setCurrentIndex(mt.engine.findData("vllm"))
    assert box.isEnabled()
    # a tab not yet described follows the Plan tab's box (with its System RAM)
    mt.described = False
    st.set_offload(experts_only=False)
    assert mt.follow_plan() and not box.isChecked()


def test_an_opened_machine_row_is_planned_as_the_row(qtbot, win):
    """A row of the My machine tab opened on the Plan tab gets the row's plan, whatever offload flags the Plan tab had:
    Experts in RAM set to every layer (llama.cpp's --cpu-moe) made Qwen3 30B-A3B Q4_K_M, which the RTX 4090 holds
    (the row: fits), read 26.7 tokens/s there in place of the row's 187; a --cpu-offload-gb of 10 GiB made Llama
    3.1 8B BF16 under vLLM 2.4 tokens/s in place of 50.  Opened, the experts are placed as llama-server's --fit places
    them and vLLM keeps in RAM the least that lets the rest fit (here nothing): the decode is the row's."""
    from vramgui.core.machine import Machine, evaluate
    cat = win.state.catalog
    p = win.panel
    drive(qtbot, win, model="qwen3-30b-a3b", weights="q4_k_m", engine="llamacpp", gpu="rtx4090", gpus=1, batch=1)
    p.ram.setValue(64)
    p.moe_in_ram.setValue(48)
    settle(qtbot, win)
    assert win.state.experts_on_cpu and win.state.offload_plan().forced
    mt = describe_machine(win, "rtx4090", 64, 4096, "Qwen3 30B-A3B")
    name = cat.model("qwen3-30b-a3b").name
    row = evaluate(Machine(gpu=cat.gpu("rtx4090"), ram_gb=64, context=4096), cat.model("qwen3-30b-a3b"), "q4_k_m")
    qtbot.waitUntil(lambda: machine_cell(mt, name, "q4_k_m", "Tokens/s") == f"{row.decode_tokens_per_s:,.1f}",
                    timeout=5000)
    assert row.level == "gpu" and machine_cell(mt, name, "q4_k_m", "Runs") == "fits on GPU"
    open_machine_row(qtbot, win, mt, name, "q4_k_m")
    st = win.state
    assert (st.experts_on_cpu, st.n_cpu_moe) == (False, None) and not st.forced_offload
    assert p.moe_in_ram.value() == p.moe_in_ram.AUTO                # (as --fit places them)
    table = win.fit_panel.model
    assert win.breakdown.verdict.text() == "FITS"
    assert table.row_cells(table.row_of("rtx4090"))[8] == f"{row.decode_tokens_per_s:.1f}"
    # vLLM with a --cpu-offload-gb given on the Plan tab
    drive(qtbot, win, model="llama3.1-8b", weights="bf16", engine="vllm", gpu="rtx4090", gpus=1, batch=1)
    p.weights_in_ram.setValue(10)
    settle(qtbot, win)
    assert win.state.offload_plan().copied_bytes == 10 * GIB
    mt = describe_machine(win, "rtx4090", 64, 4096, "Llama 3.1 8B")
    mt.engine.setCurrentIndex(mt.engine.findData("vllm"))
    name = cat.model("llama3.1-8b").name
    row = evaluate(Machine(gpu=cat.gpu("rtx4090"), ram_gb=64, engine="vllm", context=4096), cat.model("llama3.1-8b"),
                   "bf16")
    qtbot.waitUntil(lambda: machine_cell(mt, name, "bf16", "Tokens/s") == f"{row.decode_tokens_per_s:,.1f}",
                    timeout=5000)
    open_machine_row(qtbot, win, mt, name, "bf16")
    assert st.cpu_offload_gib is None and p.weights_in_ram.text() == "auto (the least)"
    assert win.breakdown.verdict.text() == "FITS"
    assert table.row_cells(table.row_of("rtx4090"))[8] == f"{row.decode_tokens_per_s:.1f}"


def test_machine_tab_gives_offloaded_rows_the_context_with_ram(qtbot, win):
    """Llama 3.1 70B beside an RTX 4090 with 32 GB of RAM: its offloaded rows' Max context is the largest context the
    card and the RAM hold together, marked (RAM), the core's number (tests/test_machine.py bounds it by hand)."""
    from vramgui.core.machine import Machine, evaluate
    mt = describe_machine(win, "rtx4090", 32, 4096, "Llama 3.1 70B")

    def cell(fmt):
        return next((mt.proxy.index(r, 5).data() for r in range(mt.row_count()) if mt.proxy.index(r, 1).data() == fmt
                     and mt.proxy.index(r, 0).data() == "Llama 3.1 70B Instruct"), None)
    qtbot.waitUntil(lambda: cell("q4_k_m") is not None, timeout=5000)
    cat = win.state.catalog
    o = evaluate(Machine(gpu=cat.gpu("rtx4090"), ram_gb=32, context=4096), cat.model("llama3.1-70b"), "q4_k_m")
    assert o.level == "partial" and cell("q4_k_m") == f"{o.max_context:,} (RAM)"
    assert cell("q2_k").endswith(" (RAM)") and int(cell("q2_k").split()[0].replace(",", "")) > o.max_context
    assert '"(RAM)"' in mt.model.horizontalHeaderItem(5).toolTip()      # (the column says what the mark means)
    # under vLLM the AWQ row keeps in RAM what does not fit on the card, read from there every step (core.machine's
    # copied offload, the Plan tab's plan: tests/test_machine.py holds the two equal); SGLang copies them
    for engine, how in (("vllm", "read from RAM"), ("sglang", "copied each pass")):
        mt.engine.setCurrentIndex(mt.engine.findData(engine))
        v = evaluate(Machine(gpu=cat.gpu("rtx4090"), ram_gb=32, context=4096, engine=engine),
                     cat.model("llama3.1-70b"), "awq-int4")
        assert v.level == "partial" and v.copied_bytes > 15 * GIB

        def runs():
            return next((mt.proxy.index(r, 3).data() for r in range(mt.row_count())
                         if mt.proxy.index(r, 1).data() == "awq-int4"
                         and mt.proxy.index(r, 0).data() == "Llama 3.1 70B Instruct"), None)
        want = f"offloaded: {v.copied_bytes / GIB:.1f} GiB {how}"
        qtbot.waitUntil(lambda want=want: runs() == want, timeout=5000)


def test_fit_table_says_which_cards_fit_with_less_than_llama_servers_margin(qtbot, win):
    """The Plan tab's table: Llama 3.1 8B Q6_K under llama.cpp at 8,192 tokens fits an RTX 4060 with 932 MiB to spare
    (tests/test_machine.py's hand count), under the 1,024 MiB llama-server's --fit keeps free: its verdict's tooltip
    says so; the RTX 4090's (16.9 GiB to spare) says nothing, nor any row under vLLM."""
    p = win.panel
    choose(qtbot, win, p.model, "llama3.1-8b")
    choose(qtbot, win, p.weights, "q6_k")
    choose(qtbot, win, p.engine, "llamacpp")
    p.prompt.spin.setValue(8192 - 256)
    p.output.spin.setValue(256)
    settle(qtbot, win)
    model = win.fit_panel.model

    def tip(card):
        return model.index(model.row_of(card), 0).data(QtCore.Qt.ItemDataRole.ToolTipRole)
    assert model.index(model.row_of("rtx4060"), 0).data() == "fits"
    assert tip("rtx4060").startswith("932 MiB to spare, under the 1,024 MiB llama-server") and tip("rtx4090") is None
    choose(qtbot, win, p.engine, "vllm")
    settle(qtbot, win)
    assert tip("rtx4060") is None


def test_machine_tab_marks_rows_short_of_llama_servers_fit_margin(qtbot, win):
    """Llama 3.1 8B Q6_K on an RTX 4060 at 8,192 tokens: 932 MiB to spare (tests/test_machine.py's hand count), under
    the 1,024 MiB llama-server keeps free when it places the layers: the verdict says -ngl all is needed, its tooltip
    why; Q4_K_M (about 1,470 MiB less weights, 2,400 to spare) reads plain 'fits on GPU'."""
    mt = describe_machine(win, "rtx4060", 32, 8192, "Llama 3.1 8B")

    def verdicts():
        return {mt.proxy.index(r, 1).data(): (mt.proxy.index(r, 3).data(),
                                              mt.proxy.index(r, 3).data(QtCore.Qt.ItemDataRole.ToolTipRole))
                for r in range(mt.row_count()) if mt.proxy.index(r, 0).data() == "Llama 3.1 8B"}
    qtbot.waitUntil(lambda: verdicts().get("q6_k", ("",))[0] == "fits on GPU with -ngl all", timeout=5000)
    text, tip = verdicts()["q6_k"]
    assert tip.startswith("932 MiB to spare, under the 1,024 MiB llama-server") and "PR #16653" in tip
    assert verdicts()["q4_k_m"] == ("fits on GPU", None)


def test_machine_tab_marks_rows_whose_engine_refuses_the_cards_split(qtbot, win):
    """Phi-4 (40 heads, 10 KV heads) on 4 RTX 4090s: its vLLM rows read 'TP 4 refused' (vLLM does not start with a
    group of 4 cards: tests/test_tp_split.py), its GGUF rows, on llama.cpp's layer split, run."""
    mt = describe_machine(win, "rtx4090", 0, 4096, "Phi-4")
    mt.gpus.setValue(4)
    mt.engine.setCurrentIndex(mt.engine.findData("vllm"))

    def verdicts():         # (Phi-4's rows, not Phi-4-mini's, which the filter shows too)
        return {mt.proxy.index(r, 1).data(): (mt.proxy.index(r, 3).data(),
                                              mt.proxy.index(r, 3).data(QtCore.Qt.ItemDataRole.ToolTipRole))
                for r in range(mt.row_count()) if mt.proxy.index(r, 0).data() == "Phi-4 (14B)"}
    qtbot.waitUntil(lambda: verdicts().get("bf16", ("",))[0] == "TP 4 refused", timeout=5000)
    assert verdicts()["bf16"][1].startswith("4 cards do not split this model's 40 attention heads and 10 KV heads")
    assert verdicts()["q8_0"] == ("fits on GPU", None)
    mt.gpus.setValue(2)
    qtbot.waitUntil(lambda: verdicts().get("bf16", ("",))[0] == "fits on GPU", timeout=5000)


def test_machine_tab_runs_gguf_on_ollama(qtbot, win):
    """The GGUF rows on Ollama: Qwen3 32B Q4_K_M on an RTX 4090 with 64 GB of RAM fits under llama.cpp at 4,096
    tokens, but Ollama holds its 32,768-token default on a 24 GB card (8 GiB of cache) and spills 9 of 64 layers
    (core.machine's figures, the plan's the same); with num_ctx set it fits again; opening a row keeps the runner."""
    from vramgui.core.machine import Machine, evaluate
    mt, cat = win.machine_tab, win.state.catalog
    win.tabs.setCurrentIndex(1)
    mt.gpu.setCurrentIndex(mt.gpu.findData("rtx4090"))
    mt.ram.setValue(64)
    mt.context.setValue(4096)
    mt.filter.setText("Qwen3 32B")

    def cell(col: int) -> str | None:
        rows = [r for r in range(mt.row_count()) if mt.proxy.index(r, 1).data() == "q4_k_m"
                and mt.proxy.index(r, 0).data() == "Qwen3 32B"]
        return mt.proxy.index(rows[0], col).data() if rows else None
    qtbot.waitUntil(lambda: cell(3) == "fits on GPU", timeout=5000)
    mt.runner.setCurrentIndex(mt.runner.findData("ollama"))
    o = evaluate(Machine(gpu=cat.gpu("rtx4090"), ram_gb=64, engine="vllm", context=4096, gguf_engine="ollama"),
                 cat.model("qwen3-32b"), "q4_k_m")
    # by hand: 18.0 GiB of Q4_K_M weights + 64 layers x 8 KV heads x 128 x 2 x 2 bytes x 32,768 = 8 GiB of cache
    # against the 23,540 MiB (22.99 GiB) --fit leaves.  On the card first the CUDA context (300 MiB), the compute
    # buffer (152 MiB) and the output layer (151,936 x 5,120 at Q6_K: 608.6 MiB), then whole layers of 278.4 MiB
    # of weights and 128 MiB of cache: floor((23,540 - 452.1 - 608.6) / 406.4) = 55, nine to RAM
    assert (o.level, o.gpu_layers, o.n_layers) == ("partial", 55, 64)
    assert int((23540 - 452.1 - 608.6) / (278.4 + 128)) == 55
    qtbot.waitUntil(lambda: cell(4) == f"{o.needed_bytes / GIB:.1f} GiB", timeout=5000)
    assert cell(3).endswith("55/64 layers on GPU") and cell(6) == f"{o.decode_tokens_per_s:.1f}"
    assert "Ollama, which holds its default context on 24.0 GiB of GPU memory, 32,768 tokens" in mt.summary.text()
    mt.runner.setCurrentIndex(mt.runner.findData("ollama-num-ctx"))
    qtbot.waitUntil(lambda: cell(3) == "fits on GPU", timeout=5000)
    mt.runner.setCurrentIndex(mt.runner.findData("ollama"))
    qtbot.waitUntil(lambda: cell(3) != "fits on GPU", timeout=5000)
    row = next(r for r in range(mt.row_count()) if mt.proxy.index(r, 1).data() == "q4_k_m")
    mt.view.doubleClicked.emit(mt.proxy.index(row, 0))
    settle(qtbot, win)
    s = win.state.scenario
    assert (s.model.id, s.weights, s.engine) == ("qwen3-32b", "q4_k_m", "ollama")


def test_machine_tab_host_picker_times_hf_and_opens_with_it(qtbot, win):
    # HF on one A100 80GB: the host picker is live only for HF; "desktop" times Llama 2 7B bf16 at 32 x 0.5 ms
    # (62.5 tokens/s) where the card's server gives 37.65; opening the row carries the host to the plan
    mt = win.machine_tab
    win.tabs.setCurrentIndex(1)
    for combo, ident in ((mt.gpu, "a100-80gb"), (mt.engine, "vllm")):
        combo.setCurrentIndex(combo.findData(ident))
    assert not mt.host.isEnabled()
    mt.engine.setCurrentIndex(mt.engine.findData("hf"))
    assert mt.host.isEnabled() and mt.host.itemText(0) == "auto (server)"
    mt.filter.setText("Llama 2 7B")

    def rate() -> float | None:
        rows = [r for r in range(mt.row_count()) if mt.proxy.index(r, 1).data() == "bf16"
                and mt.proxy.index(r, 0).data() == "Llama 2 7B"]
        return float(mt.proxy.index(rows[0], 6).data()) if rows else None
    qtbot.waitUntil(lambda: rate() == pytest.approx(1 / (32 * 0.83e-3), abs=0.051), timeout=5000)
    mt.host.setCurrentIndex(mt.host.findData("desktop"))
    qtbot.waitUntil(lambda: rate() == pytest.approx(62.5, abs=0.051), timeout=5000)
    row = next(r for r in range(mt.row_count()) if mt.proxy.index(r, 1).data() == "bf16")
    mt.view.doubleClicked.emit(mt.proxy.index(row, 0))
    settle(qtbot, win)
    s = win.state.scenario
    assert (s.model.id, s.engine, s.host, s.gpu.id) == ("llama2-7b", "hf", "desktop", "a100-80gb")
    assert win.panel.host.currentData() == "desktop"
    mt.gpu.setCurrentIndex(mt.gpu.findData("t4"))     # auto names the new card's kind
    assert mt.host.itemText(0) == "auto (older server)"


def test_machine_tab_on_a_mac_lists_what_runs_on_its_gpu(qtbot, win):
    """An Apple card lists llama.cpp's GGUF formats and MLX's (and with the HF engine its 16-bit ones), and says
    so: vLLM's macOS build runs on the CPU, so its formats (AWQ, FP8, bitsandbytes) are not offered; an NVIDIA
    card lists no MLX format."""
    mt = win.machine_tab
    win.tabs.setCurrentIndex(1)
    mt.engine.setCurrentIndex(mt.engine.findData("vllm"))
    mt.gpu.setCurrentIndex(mt.gpu.findData("m4-max-128gb"))
    mt.filter.setText("Llama 3.1 8B")
    qtbot.waitUntil(lambda: "Apple" in mt.summary.text() and mt.row_count() > 0, timeout=5000)
    formats = {mt.proxy.index(r, 1).data() for r in range(mt.row_count())}
    assert formats == {"q8_0", "q6_k", "q5_k_m", "q4_k_m", "q3_k_m", "q2_k", "mlx-8bit", "mlx-6bit", "mlx-4bit"}
    assert "vLLM and SGLang do not run on its GPU" in mt.summary.text()
    mt.engine.setCurrentIndex(mt.engine.findData("hf"))
    qtbot.waitUntil(lambda: any(mt.proxy.index(r, 1).data() == "bf16" for r in range(mt.row_count())), timeout=5000)
    mt.gpu.setCurrentIndex(mt.gpu.findData("rtx4090"))
    qtbot.waitUntil(lambda: "Apple chip" not in mt.summary.text(), timeout=5000)
    assert not {mt.proxy.index(r, 1).data() for r in range(mt.row_count())} & {"mlx-8bit", "mlx-6bit", "mlx-4bit"}


def test_machine_tab_opens_a_row_on_the_engine_that_timed_it(qtbot, win):
    """A row opens on the engine its figures are the core's for (core.machine.Option.engine): on an M4 Max with vLLM
    as the tab's engine, the MLX 4-bit row runs on MLX (it opened on vLLM, which has no Metal backend, and the Plan
    tab then showed another machine's numbers); the plan's decode is the row's tokens/s."""
    from vramgui.core.machine import Machine, evaluate
    from vramgui.core.speed import decode_step
    mt = win.machine_tab
    win.tabs.setCurrentIndex(1)
    mt.engine.setCurrentIndex(mt.engine.findData("vllm"))
    mt.gpu.setCurrentIndex(mt.gpu.findData("m4-max-128gb"))
    mt.ram.setValue(0)
    mt.filter.setText("Llama 3.1 8B")
    qtbot.waitUntil(lambda: any(mt.proxy.index(r, 1).data() == "mlx-4bit" for r in range(mt.row_count())),
                    timeout=5000)
    row = next(r for r in range(mt.row_count()) if mt.proxy.index(r, 1).data() == "mlx-4bit")
    model = mt.proxy.index(row, 0).data()
    mt.view.doubleClicked.emit(mt.proxy.index(row, 0))
    settle(qtbot, win)
    s = win.state.scenario
    assert (s.model.name, s.weights, s.engine, s.gpu.id) == (model, "mlx-4bit", "mlx", "m4-max-128gb")
    o = evaluate(Machine(gpu=s.gpu, engine="vllm", context=4096), s.model, "mlx-4bit")
    assert o.engine == "mlx"
    assert 1 / float(decode_step(s, 1, 4096)[0]) == pytest.approx(o.decode_tokens_per_s, rel=1e-9)

def test_machine_tab_says_when_its_engine_does_not_list_the_card(qtbot, win):
    """A Tesla P40 (compute capability 6.1) with vLLM, whose docs list 7.5 and newer: the summary says its rows
    assume vLLM runs; with SGLang it says nothing on an MI300X (gfx942, listed) and names an RX 7900 XTX's gfx1100."""
    mt = win.machine_tab
    win.tabs.setCurrentIndex(1)
    mt.engine.setCurrentIndex(mt.engine.findData("vllm"))
    mt.gpu.setCurrentIndex(mt.gpu.findData("tesla-p40"))
    caution = "vLLM does not list this card (compute capability 6.1): its rows time it as it runs on the cards it lists"
    qtbot.waitUntil(lambda: caution in mt.summary.text(), timeout=5000)
    mt.gpu.setCurrentIndex(mt.gpu.findData("mi300x"))
    mt.engine.setCurrentIndex(mt.engine.findData("sglang"))
    qtbot.waitUntil(lambda: "MI300X" in mt.summary.text() and "does not list" not in mt.summary.text(), timeout=5000)
    mt.gpu.setCurrentIndex(mt.gpu.findData("rx7900xtx"))
    qtbot.waitUntil(lambda: "SGLang does not list this card (gfx1100)" in mt.summary.text(), timeout=5000)


def test_machine_tab_follows_each_edit_and_shows_published_quality(qtbot, win):
    # No Update click: editing the machine recomputes the table (a burst coalesced into one update).
    mt = win.machine_tab
    win.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: mt.row_count() > 0, timeout=5000)
    mt.filter.setText("Llama 2 70B")
    mt.gpu.setCurrentIndex(mt.gpu.findData("a100-80gb"))
    mt.ram.setValue(0)

    def levels():
        return {mt.proxy.index(r, 1).data(): mt.proxy.index(r, 3).data() for r in range(mt.row_count())}

    # 70B Q4_K_M (~41 GB) fits on an 80 GB card; bf16 (~138 GB) does not and is listed only with "all"
    qtbot.waitUntil(lambda: levels().get("q4_k_m") == "fits on GPU" and "bf16" not in levels(), timeout=5000)
    assert mt.options[0].budget_bytes > 70 * 2**30 and mt.machine().gpu.id == "a100-80gb"
    mt.gpu.setCurrentIndex(mt.gpu.findData("rtx4090"))       # 24 GB and no RAM: no 70B format runs
    qtbot.waitUntil(lambda: mt.row_count() == 0, timeout=5000)
    # Llama 3 8B carries llama.cpp's published WikiText-2 perplexity for Q8_0 (6.7687): marked, with source
    mt.filter.setText("Llama 3 8B")
    qtbot.waitUntil(lambda: mt.row_count() > 0, timeout=5000)
    cells = {mt.proxy.index(r, 1).data(): mt.proxy.index(r, 1).data(QtCore.Qt.ItemDataRole.ToolTipRole)
             for r in range(mt.row_count()) if mt.proxy.index(r, 0).data() == "Llama 3 8B"}
    assert "6.7687" in cells["q8_0 ✓"] and "github.com/ggml-org/llama.cpp/pull/6936" in cells["q8_0 ✓"]
    assert cells["awq-int4"] is None


def test_machine_tab_starts_from_the_plans_machine(qtbot, win):
    # Until the user describes the machine, each visit starts from the Plan tab's: two A100 80GB, 128 GB of RAM,
    # prompt 4,096 + output 256 as the context, SGLang (the catalog's first card, an Apple M3 Ultra, was shown)
    p, mt = win.panel, win.machine_tab
    p.gpu.setCurrentIndex(p.gpu.findData("a100-80gb"))
    p.gpus.setValue(2)
    p.ram.setValue(128)
    p.engine.setCurrentIndex(p.engine.findData("sglang"))
    settle(qtbot, win)
    win.tabs.setCurrentIndex(1)
    assert mt.description() == {"gpu": "a100-80gb", "n_gpus": 2, "ram_gb": 128, "context": 4096 + 256,
                                "engine": "sglang", "host": None, "gguf_engine": "llamacpp", "pinned": False,
                                "ram_bandwidth_gb_s": None, "experts_only": False}
    assert not mt.described
    qtbot.waitUntil(lambda: mt.row_count() > 0, timeout=5000)
    assert "run on 2 × NVIDIA A100 80GB (SXM4) with 128 GB of RAM at 4,352 tokens" in mt.summary.text()
    # a later plan is followed on the next visit; llama.cpp (the GGUF rows' engine whatever the pick) leaves the
    # engine of the other rows as it was; the plan's pinned RAM comes along
    win.tabs.setCurrentIndex(0)
    p.gpu.setCurrentIndex(p.gpu.findData("h100-sxm"))
    p.engine.setCurrentIndex(p.engine.findData("llamacpp"))
    p.ram_flag.setChecked(True)
    p.ram_bw.setValue(96)
    settle(qtbot, win)
    win.tabs.setCurrentIndex(1)
    assert (mt.gpu.currentData(), mt.engine.currentData(), mt.pinned.isChecked()) == ("h100-sxm", "sglang", True)
    assert mt.machine().pinned and mt.machine().ram_bandwidth_gb_s == 96 and mt.ram_bw.text() == "96.0 GB/s"
    qtbot.waitUntil(lambda: "with 128 GB of RAM (96.0 GB/s) at 4,352 tokens" in mt.summary.text(), timeout=5000)
    qtbot.waitUntil(lambda: "NVIDIA H100" in mt.summary.text(), timeout=5000)
    # once the user edits the machine, it stays theirs
    mt.gpu.setCurrentIndex(mt.gpu.findData("rtx3090"))
    assert mt.described
    win.tabs.setCurrentIndex(0)
    p.gpu.setCurrentIndex(p.gpu.findData("l4"))
    settle(qtbot, win)
    win.tabs.setCurrentIndex(1)
    assert mt.gpu.currentData() == "rtx3090"
    qtbot.waitUntil(lambda: "RTX 3090" in mt.summary.text(), timeout=5000)


def test_pinned_scenarios(qtbot, win, tmp_path):
    from vramgui.core.speed import estimate_speed
    st = win.state
    assert st.pin()                                            # pin 1: Llama 2 7B fp16 on the 4090
    win.panel.weights.setCurrentIndex(win.panel.weights.findData("q4_k_m"))
    settle(qtbot, win)
    assert st.pin()                                            # pin 2: the same in Q4_K_M
    assert not st.pin()                                        # already pinned
    win.panel.model.setCurrentIndex(win.panel.model.findData("llama2-13b"))
    settle(qtbot, win)
    x, live = win.memory_chart.curves[-1].getOriginalDataset()
    for i, pin in enumerate(st.pins):
        px, py = win.memory_chart.pins[i].getOriginalDataset()
        np.testing.assert_allclose(py, estimate_memory(pin, prompt=px).total / GIB, rtol=1e-12)
        b, thr = win.speed_chart.pins[i].getOriginalDataset()
        np.testing.assert_allclose(thr, estimate_speed(pin, batch=b).throughput_tokens_per_s, rtol=1e-12)
    assert win.memory_chart.pins[0].isVisible() and not win.memory_chart.pins[2].isVisible()
    win.tabs.setCurrentWidget(win.compare_tab)
    ct = win.compare_tab
    assert ct.table.columnCount() == 3
    assert ct.cell("Model", 0) == "Llama 2 13B" and ct.cell("Weights format", 2) == "GGUF Q4_K_M"
    assert ct.cell("Total per card", 1) == f"{float(estimate_memory(st.pins[0]).total) / GIB:,.2f} GiB"
    # Llama 2's own limit, 4,096 tokens, though a 4090 holds more of its context
    assert fit(st.pins[0]).max_context > 4096 and ct.cell("Largest context", 1) == "4,096 (model limit)"
    assert ct.table.rowCount() == 17                           # no price: no cost row
    win.panel.price.setValue(2.0)
    settle(qtbot, win)
    from vramgui.core.speed import served
    rate = float(served(st.pins[1]).throughput_tokens_per_s)      # the prompts' prefill included
    assert ct.cell("Cost / million tokens", 2) == f"{2.0 / 3600 / rate * 1e6:,.2f}"   # one 4090 at 2.00 an hour
    import json
    d = json.loads(win.export_report(tmp_path / "r.json").read_text())
    assert [p["scenario"]["weights"] for p in d["pins"]] == ["fp16", "q4_k_m"]
    assert "Pinned scenario 2" in win.export_report(tmp_path / "r.md").read_text()
    from vramgui.ui import session
    store = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    session.save_session(win, store)
    st.clear_pins()
    assert session.restore_session(win, store) == [] and [p.weights for p in st.pins] == ["fp16", "q4_k_m"]


def test_compare_tab_gives_an_offloaded_pins_context_with_ram(qtbot, win, tmp_path):
    """Llama 3.1 70B Q4_K_M beside an RTX 4090 with 32 GB of RAM, pinned: the Compare tab's largest context is what
    the card and the RAM hold together (core.offload.max_prompt_offloaded and the output; tests/test_machine.py
    bounds it by hand), marked (RAM), as the fit table says it; the same prompt on the card alone: none."""
    from vramgui.core.offload import max_prompt_offloaded
    p, st = win.panel, win.state
    choose(qtbot, win, p.model, "llama3.1-70b")
    choose(qtbot, win, p.weights, "q4_k_m")
    choose(qtbot, win, p.engine, "llamacpp")
    p.ram.setValue(32)
    settle(qtbot, win)
    pinned = st.scenario
    assert st.pin()
    choose(qtbot, win, p.model, "llama3.1-8b")          # the live scenario: fits the card
    win.tabs.setCurrentWidget(win.compare_tab)
    settle(qtbot, win)
    ct = win.compare_tab
    found = max_prompt_offloaded(pinned, 32) + pinned.output_tokens
    assert 40_000 < found < 46_690 and ct.cell("Largest context", 1) == f"{found:,} (RAM)"
    assert ct.cell("Verdict", 1).startswith("offloaded") and not ct.cell("Largest context", 0).endswith("(RAM)")
    import json
    d = json.loads(win.export_report(tmp_path / "r.json").read_text())     # the report's pin says the same
    assert (d["pins"][0]["offload"]["level"], d["pins"][0]["offload"]["max_context"]) == ("partial", found)
    # with the most sequences (core.offload.max_batch_offloaded), the pin's and the live scenario's, as the CLI's
    from vramgui.core.offload import max_batch_offloaded
    assert d["pins"][0]["offload"]["max_batch"] == max_batch_offloaded(pinned, 32) > 1
    assert d["offload"]["max_batch"] == max_batch_offloaded(st.scenario, 32) > d["pins"][0]["offload"]["max_batch"]
    md = win.export_report(tmp_path / "r.md").read_text().split("## Pinned scenario 1")[1]
    assert f"{found - pinned.output_tokens:,} tokens (context {found:,})" in md
    p.ram.setValue(64)                                   # more RAM: the pin's answer follows (the model's limit)
    settle(qtbot, win)
    assert ct.cell("Largest context", 1) == "131,072 (model limit)"


def test_every_tab_fits_a_1366_pixel_screen(qtbot, win):
    # The machine tab's summary line ("459 model × format combinations run on 1 × NVIDIA GeForce
    # RTX 4090 with 64 GB of RAM …") once forced the window to 1384 pixels: wider than a laptop's.
    mt = win.machine_tab
    mt.gpu.setCurrentIndex(mt.gpu.findData("rtx4090"))
    for tab in range(win.tabs.count()):
        win.tabs.setCurrentIndex(tab)
        qtbot.waitUntil(lambda tab=tab: tab != 1 or mt.row_count() > 0, timeout=5000)
        settle(qtbot, win)
        assert win.minimumSizeHint().width() <= 1366 and win.width() == 1366, win.tabs.tabText(tab)
    assert len(mt.summary.text()) > 150


def test_largest_context_stops_at_the_models_limit(qtbot, win):
    # Llama 2 7B is trained for 4,096 tokens.  On an H100 (79.6 GiB usable, 13.5 GB of weights,
    # 0.5 MiB of KV per token) memory would allow ~120k: the table says the limit, and says so.
    # At batch 8 a 4090 holds 8 × 0.5 MiB per token in ~10 GiB: under 4,096, shown as is.
    panel = win.fit_panel

    def context_text(name):
        rows = {panel.model.index(r, 1).data(): panel.model.index(r, 6).data() for r in range(panel.model.rowCount())}
        return rows[name]

    s = win.state.scenario
    assert s.model.id == "llama2-7b" and s.model.architecture.max_context == 4096
    h100 = fit(s.with_(gpu=win.state.catalog.gpu("h100-sxm")))
    assert h100.max_context > 100_000
    assert context_text("NVIDIA H100 80GB HBM3 (SXM5)") == "4,096 (limit)"
    win.panel.batch.spin.setValue(8)
    settle(qtbot, win)
    f = fit(win.state.scenario)
    assert 1000 < f.max_context < 4096
    assert context_text("NVIDIA GeForce RTX 4090") == f"{f.max_context:,}"


def test_memory_chart_veils_prompts_beyond_the_models_limit(qtbot, win):
    # Llama 2 7B: 4,096 tokens of context.  With 256 output tokens a prompt passes it from
    # 4,096 - 256 = 3,840 on; the veil runs from there to the sweep's end.
    chart = win.memory_chart
    settle(qtbot, win)
    assert chart.beyond.isVisible()
    lo, hi = chart.beyond.getRegion()
    assert 10 ** lo == pytest.approx(3840, rel=1e-9)
    assert hi == pytest.approx(chart.getPlotItem().vb.viewRange()[0][1])
    assert chart.beyond_label.toPlainText() == "beyond the model's limit (4,096 tokens)"
    # the default prompt, 4,096, is in it: its marker says so, and the badge's tooltip what the engine does
    # (vLLM's and SGLang's servers refuse a request past the context: core.engines.REFUSES_PAST_CONTEXT)
    assert chart.current.label.toPlainText() == "prompt 4,096 + 256 output: past the model's limit"
    past = "Prompt + output, 4,352 tokens, run past the model's context of 4,096"
    assert past + ": it was not trained on positions past it" in win.breakdown.verdict.toolTip()
    choose(qtbot, win, win.panel.engine, "vllm")
    assert past + ": vLLM refuses such a request" in win.breakdown.verdict.toolTip()
    win.panel.prompt.spin.setValue(3840)           # 3,840 + 256 = 4,096: within it
    settle(qtbot, win)
    assert chart.current.label.toPlainText() == "prompt 3,840" and past[:16] not in win.breakdown.verdict.toolTip()
    win.panel.output.spin.setValue(0)
    choose(qtbot, win, win.panel.model, "mistral-7b")            # 32,768 tokens (config.json)
    assert 10 ** chart.beyond.getRegion()[0] == pytest.approx(32768, rel=1e-9)
    assert chart.beyond_label.toPlainText() == "beyond the model's limit (32,768 tokens)"


def test_price_per_card_hour_gives_the_cost_of_a_million_tokens(qtbot, win, tmp_path):
    # Llama 3.1 70B fp8 on 2 × H100 with vLLM, batch 32, at 2.49 per card-hour: the cost of a
    # million tokens is 2.49 × 2 / 3,600 s / (served tokens/s of the batch: decode steps and the
    # prompts' prefill) × 10⁶; the batch memory allows (the most that fits) costs least here.
    from vramgui.core.speed import served
    p = win.panel
    drive(qtbot, win, model="llama3.1-70b", gpu="h100-sxm", weights="fp8", engine="vllm", gpus=2, batch=32)
    assert p.cost.text() == ""                                   # no price: no cost
    p.price.setValue(2.49)
    settle(qtbot, win)
    s, f = win.state.scenario, win.last_fit
    rate = float(served(s).throughput_tokens_per_s)
    assert rate < 32 / float(estimate_speed(s).decode_step_s)   # the prompts take time too
    cost = 2.49 * 2 / 3600 / rate * 1e6
    assert 0.5 < cost < 5       # (a sanity range: 3.47 with the Hopper prompt share)
    first, second = p.cost.text().split("\n")

    def money(x):        # two decimals, three below 1, four below 0.1
        return f"{x:.{2 if x >= 1 else 3 if x >= 0.1 else 4}f}"
    assert first == f"{money(cost)} per million tokens at batch 32"
    low = 2.49 * 2 / 3600 / float(served(s.with_(batch=f.max_batch)).throughput_tokens_per_s) * 1e6
    assert second == f"{money(low)} at batch {f.max_batch}, cheapest that fits" and low < cost
    assert "= 2.49 × 2 ÷ 3,600 ÷" in p.cost.toolTip()
    assert f"Cost {cost:,.4g} per million generated tokens (served) at 2.49 per card-hour" in win.copy_summary()
    report = win.export_report(tmp_path / "r.json")
    assert json.loads(report.read_text())["speed"]["cost_per_million_tokens"] == pytest.approx(cost, rel=1e-9)
    # a card without a FLOP/s figure (the Tesla P40's preset: no tensor cores, FP16 at 1/64 rate) cannot time the
    # prompts: the cost says so
    drive(qtbot, win, model="llama3.1-8b", gpu="tesla-p40", weights="fp16", gpus=1, batch=4)
    assert p.cost.text().split("\n")[0].endswith("per million tokens at batch 4, decode only")
    assert "The prompts' time is not counted: this card has no FLOP/s figure." in p.cost.toolTip()
    p.price.setValue(0)
    settle(qtbot, win)
    assert p.cost.text() == "" and win.state.price is None


def test_every_layer_on_the_card_and_the_output_layer_in_ram_reads_so(qtbot, win):
    # Llama 2 7B Q4_K_M under the llama.cpp of 2023 on an RTX 4090 with 64 GB of System RAM, with 50 MiB less usable
    # than it needs (the rest "already used"): that build offloads the output layer last, so every repeating layer
    # stays on the card and the output layer, 32,000 x 4,096 at Q6_K (102.5 MiB, more than the 50 short), goes to RAM.
    # The badge read "EXPERTS ON CPU" (a dense model), the table "partly offloaded (32 of 32 layers on GPU)"
    import math
    p = win.panel
    drive(qtbot, win, model="llama2-7b", gpu="rtx4090", weights="q4_k_m", engine="llamacpp-2023", gpus=1, batch=1)
    f = fit(win.state.scenario)
    assert 32000 * 4096 * 6.5625 / 8 / MIB > 50
    p.reserved.setValue(math.ceil((f.budget_bytes - f.needed_bytes) / MIB) + 50)
    p.ram.setValue(64)
    settle(qtbot, win)
    plan = win.state.offload_plan()
    assert not win.last_fit.fits
    assert (plan.level, plan.gpu_layers, plan.cpu_layers, plan.output_on_gpu) == ("partial", 32, 0, False)
    assert win.breakdown.verdict.text() == "OUTPUT ON CPU"
    assert "partly offloaded (all 32 layers on GPU, the output layer on CPU)" in win.breakdown.verdict.toolTip()
    assert "llama.cpp's -ngl for this split: 32" in win.breakdown.verdict.toolTip()
    rows = {win.fit_panel.model.index(r, 1).data(): win.fit_panel.model.index(r, 0).data()
            for r in range(win.fit_panel.model.rowCount())}
    assert rows[CAT_NAMES["rtx4090"]] == "offloaded: output layer on CPU"
    p.ram.setValue(0)
    p.reserved.setValue(0)


def test_an_offloaded_model_costs_what_its_plan_serves(qtbot, win):
    # Llama 3.1 70B Q4_K_M on an RTX 4090 with 64 GB of System RAM under llama.cpp, 4 sequences of 2,000 + 256 tokens,
    # at 0.50 a card-hour: the model runs as the offload plans it, so the cost is the plan's, 0.5 / 3,600 s over
    # 4 x 256 tokens / (256 of its steps + its first token) x 10^6, not the all-on-card figure; the Compare tab's cost
    # row gives the same.  (Once the edits pause, the batch the plans serve most at follows: test_import_ui.py's
    # test_the_speed_chart_draws_the_offload_plans_over_the_sequences.)
    from vramgui.core.speed import served
    from vramgui.ui.wording import plan_badge
    p = win.panel
    drive(qtbot, win, model="llama3.1-70b", gpu="rtx4090", weights="q4_k_m", engine="llamacpp", gpus=1, batch=4)
    p.prompt.spin.setValue(2000)
    p.output.spin.setValue(256)
    p.ram.setValue(64)
    p.price.setValue(0.5)
    settle(qtbot, win)
    s, plan = win.state.scenario, win.state.offload_plan()
    assert not win.last_fit.fits and plan.level == "partial"
    rate = 4 * 256 / (256 * plan.decode_s + plan.prefill_s)
    cost = 0.5 / 3600 / rate * 1e6
    card_alone = 0.5 / 3600 / float(served(s).throughput_tokens_per_s) * 1e6
    assert cost > 5 * card_alone
    assert p.cost.text() == f"{cost:.2f} per million tokens at batch 4, offloaded"
    assert p.cost.toolTip().startswith(f"As the offload plans it ({plan_badge(plan)}): {rate:,.2f} generated tokens/s "
                                       "in all, prompts included.")
    assert f"= 0.5 × 1 ÷ 3,600 ÷ {rate:,.1f} × 10⁶" in p.cost.toolTip()
    win.tabs.setCurrentWidget(win.compare_tab)
    assert win.compare_tab.cell("Cost / million tokens", 0) == f"{cost:.2f}"
    win.tabs.setCurrentIndex(0)
    p.price.setValue(0)
    p.ram.setValue(0)
    settle(qtbot, win)


def test_hover_read_outs_give_the_core_numbers(qtbot, win):
    # Llama 2 7B fp16 on an RTX 4090.  Speed chart, pointer at batch 64 in the throughput plot:
    # the batch of the sweep nearest to it, with the core's step time at the end of generation.
    from PySide6.QtCore import QPointF
    sc = win.speed_chart
    s = win.state.scenario
    sc._hover((sc.thr.vb.mapViewToScene(QPointF(np.log10(64), np.log10(500))),))
    lines = sc.readout.toPlainText().split("\n")
    b = int(lines[0].split()[-1].replace(",", ""))
    step = float(estimate_speed(s, batch=np.array([b])).decode_step_s[0])
    assert abs(np.log10(b / 64)) < 0.05
    assert lines[1] == f"{b / step:,.0f} tokens/s in all" and lines[2] == f"{1 / step:,.1f} tokens/s per sequence"
    assert lines[3].startswith(f"step {step * 1e3:,.2f} ms")
    # 64 sequences of 4,352 tokens do not fit on the card (4 do): the read-out says so
    assert win.last_fit.max_batch == 4 and lines[4] == "more than memory holds (4 at most)"
    # the step plot takes the read-out along; 2 sequences fit: no such line
    sc._hover((sc.step.vb.mapViewToScene(QPointF(np.log10(2), 1.5)),))
    assert sc.readout.isVisible() and sc.readout.toPlainText().startswith("batch 2")
    assert len(sc.readout.toPlainText().split("\n")) == 4
    # Memory chart at a prompt of ~1,000 tokens: the bands and the total of the core's estimate.
    mc = win.memory_chart
    mc._hover((mc.getPlotItem().vb.mapViewToScene(QPointF(3.0, 10.0)),))
    lines = mc.readout.toPlainText().split("\n")
    x = int(lines[0].split()[0].replace(",", ""))
    assert abs(np.log10(x / 1000)) < 0.05
    assert lines[-1] == f"total {float(estimate_memory(s, prompt=np.array([x])).total[0]) / GIB:,.2f} GiB"
    # past 4,096 - 256 tokens the context passes Llama 2's limit, and the read-out says so
    mc._hover((mc.getPlotItem().vb.mapViewToScene(QPointF(4.0, 10.0)),))
    assert mc.readout.toPlainText().split("\n")[-1] == "beyond the model's limit"
    # past the largest prompt that fits (18,879 on the card's 24.0 GiB) the total is more than the card holds
    fits = win.last_fit.max_prompt_tokens
    mc._hover((mc.getPlotItem().vb.mapViewToScene(QPointF(np.log10(fits * 1.5), 10.0)),))
    lines = mc.readout.toPlainText().split("\n")
    x = int(lines[0].split()[0].replace(",", ""))
    assert x > fits and lines[-2] == "more than the card's usable 24.0 GiB" and lines[-1] == "beyond the model's limit"


def test_a_hybrid_models_small_cache_reaches_the_chart_and_the_strip(qtbot, win):
    # Qwen3-Next 80B-A3B Q4_K_M with llama.cpp on an H200: 12 attention layers cache 24,576 bytes a
    # token; the 36 Gated DeltaNet layers hold 75.4 MiB per sequence whatever the context
    p = win.panel
    choose(qtbot, win, p.model, "qwen3-next-80b-a3b")
    choose(qtbot, win, p.gpu, "h200")
    for combo, ident in ((p.weights, "q4_k_m"), (p.engine, "llamacpp")):
        choose(qtbot, win, combo, ident)
    p.prompt.spin.setValue(131072)
    settle(qtbot, win)
    s = win.state.scenario
    m = estimate_memory(s)
    state = 36 * (3 * 8192 + 32 * 128 * 128) * 4
    n_ctx = 131072 + s.output_tokens          # allocated in blocks of 256: already a multiple
    assert float(m.kv_cache) == n_ctx * 24576 + state
    assert win.breakdown.values["kv_cache"].text() == f"{float(m.kv_cache) / GIB:,.2f} GiB"   # 3.08 GiB
    assert "Gated DeltaNet" in win.breakdown.tooltip("kv_cache")
    # the chart's KV band over the sweep is the same bytes (the cumulative curves: weights, + KV cache)
    x, top = win.memory_chart.curves[1].getOriginalDataset()
    _, bottom = win.memory_chart.curves[0].getOriginalDataset()
    np.testing.assert_allclose(top - bottom, estimate_memory(s, prompt=x).kv_cache / GIB, rtol=1e-9)


def test_startup_objects_are_set_aside_from_full_garbage_collections(qtbot, win):
    """Once the window is up the app sets the start-up's objects aside from the garbage
    collector: a full collection then walks only what came later (measured with
    benchmarks/bench_ui.py: 29 ms with ~95,000 tracked objects after 1,000 edits, 2.3 ms with
    them set aside; the benchmark's slowest edit 36-38 ms before, 14 ms after), no longer a
    pause of two frames in the middle of an edit."""
    import gc

    from vramgui.ui.app import freeze_startup_objects

    settle(qtbot, win)
    try:
        frozen = freeze_startup_objects()
        assert frozen > 20000                               # Qt's, numpy's and pyqtgraph's modules, the window
        assert len(gc.get_objects()) < frozen / 4           # what a full collection still walks
    finally:
        gc.unfreeze()


def test_compare_button_text_clears_its_menu_arrow(qtbot, win):
    """The style draws a tool button's menu arrow in its bottom right corner; a button only as
    wide as its text had the arrow under the text's last letters ("Compare with…").  The
    arrow (what the button draws more than a plain button of its size, text and font) starts
    right of the text's last inked column."""
    settle(qtbot, win)
    button = win.panel.compare
    plain = QtWidgets.QToolButton()
    qtbot.addWidget(plain)
    plain.setText(button.text())
    plain.setFont(button.font())
    plain.resize(button.size())
    shown, bare = button.grab().toImage(), plain.grab().toImage()
    w, h = shown.width(), shown.height()
    assert (bare.width(), bare.height()) == (w, h)
    face = QtGui.QColor(bare.pixel(w // 2, 2)).lightness()
    inner = [(x, y) for x in range(3, w - 3) for y in range(3, h - 3)]
    text = [x for x, y in inner if QtGui.QColor(bare.pixel(x, y)).lightness() < face - 60]
    arrow = [x for x, y in inner if shown.pixel(x, y) != bare.pixel(x, y)]
    assert text and arrow, "no text or no arrow found: not a test"
    assert max(text) + 2 < min(arrow), (max(text), min(arrow))


def test_pinned_legend_keeps_clear_of_the_bands_and_the_pinned_curves(qtbot, win):
    """Llama 2 13B in Q8_0 and Q4_K_M (llama.cpp) pinned beside Llama 2 7B in FP16 (vLLM) on an
    RTX 4090, as in the README's screenshot: the pinned scenarios' legend, fixed in the bottom
    right corner, lay over the bands and the pinned curves rising through that corner.  It now
    sits where no band reaches into its box and no pinned or total curve runs through it."""
    st = win.state
    st.set_model("llama2-13b")
    st.update(weights="q8_0", engine="llamacpp")
    st.pin()
    st.update(weights="q4_k_m")
    st.pin()
    st.set_model("llama2-7b")
    st.update(weights="fp16", engine="vllm")
    settle(qtbot, win)
    qtbot.wait(50)
    chart = win.memory_chart
    vb = chart.getPlotItem().vb
    assert chart.pin_legend.isVisible()
    box = chart.pin_legend.sceneBoundingRect()
    for curve in (chart.curves[-1], *[c for c in chart.pins if c.isVisible()]):
        x, y = curve.getOriginalDataset()           # (prompt tokens, GiB)
        xs = np.linspace(np.log10(x[0]), np.log10(x[-1]), 400)
        ys = np.interp(xs, np.log10(x), y)
        pts = [vb.mapViewToScene(QtCore.QPointF(float(a), float(b))) for a, b in zip(xs, ys, strict=True)]
        assert not [p for p in pts if box.contains(p)], "a curve runs through the pinned scenarios' legend"
        if curve is chart.curves[-1]:               # the bands fill the plot up to the total: all of it under the box
            under = [p for p in pts if box.left() <= p.x() <= box.right()]
            assert under and all(p.y() > box.bottom() for p in under), "the bands reach into the legend's box"


def test_prompt_markers_labels_are_boxed_over_the_bands(qtbot, win):
    """Where the bands rise steeply the prompt markers' labels sit on them (Qwen3 14B with HF on
    eight RTX 2080 Ti: both over the activations band); in a box of the chart's panel colour, as
    the cards' labels are, they stay legible.  The pixels right of the label's text, inside its box,
    are the panel's white over the band, not the band's colour."""
    win.state.set_model("qwen3-14b")
    win.state.set_gpu("rtx2080ti")
    win.state.update(weights="fp16", engine="hf", n_gpus=8, prompt_tokens=1414, batch=64)
    settle(qtbot, win)
    qtbot.wait(50)
    chart = win.memory_chart
    image = chart.grab().toImage()
    for line in (chart.current, chart.limit):
        label = line.label
        box = chart.mapFromScene(label.sceneBoundingRect()).boundingRect()
        text = label.textItem.mapRectToScene(label.textItem.boundingRect())
        # a pixel of the box's inner margin (between the text's frame and the box's edge): the panel's colour
        x, y = box.center().x(), chart.mapFromScene(text.topLeft()).y() + 2
        colour = QtGui.QColor(image.pixel(int(x), int(y)))
        assert colour.lightness() > 200, (label.toPlainText(), colour.name())


def test_breakdown_values_fit_their_slots_on_a_narrow_window(qtbot, win):
    """At the window's narrowest the strip's slots are narrower than "83.30 / 80.00 GiB" or
    "47.7 ms · 168 tok/s" (they ran into the next slot, clipped): each value shows its longest
    form that fits, whole, and the full text stays the value's text.  Llama 2 70B fp16 on two
    A100 80GB at prompt 8,192, batch 8; at 1,366 px every value shows in full."""
    drive(qtbot, win, model="llama2-70b", gpu="a100-80gb", gpus=2, batch=8)
    win.panel.prompt.spin.setValue(8192)
    settle(qtbot, win)
    s = win.state.scenario
    m, f = estimate_memory(s), fit(s)
    step = float(estimate_speed(s, with_knee=False).decode_step_s)
    used, usable = float(m.total) / GIB, f.budget_bytes / GIB
    total, decode = win.breakdown.values["total"], win.breakdown.values["decode"]
    assert total.text() == f"{used:,.2f} / {usable:,.2f} GiB"                      # 83.30 / 80.00 GiB (2 × A100)
    assert decode.text() == f"{step * 1e3:,.1f} ms · {8 / step:,.0f} tok/s"
    qtbot.waitUntil(lambda: all(v.shown_text() == v.text() for v in win.breakdown.values.values()), timeout=3000)
    win.resize(win.minimumSizeHint().width(), 700)
    qtbot.waitUntil(lambda: win.width() < 1200, timeout=3000)
    for key, v in win.breakdown.values.items():
        shown = v.shown_text()
        assert "…" not in shown and v.fontMetrics().horizontalAdvance(shown) <= v.width(), (key, shown, v.width())
    assert total.shown_text() in (f"{used:,.1f} / {usable:,.1f} GiB", f"{used:,.1f}/{usable:,.1f}")
    assert decode.shown_text() in (f"{step * 1e3:,.1f} ms · {8 / step:,.0f}/s", f"{step * 1e3:,.1f} ms")
    # fine-tuning's strip too: "65.5 M of 68.98 B" trainable (LoRA on Llama 2 70B) was elided to "65.5 M / …"
    choose(qtbot, win, win.panel.mode, "training")
    trainable = win.breakdown.values["trainable"]
    assert trainable.text().endswith(" B") and " M of " in trainable.text()
    for key, v in win.breakdown.values.items():
        shown = v.shown_text()
        assert "…" not in shown and v.fontMetrics().horizontalAdvance(shown) <= v.width(), (key, shown, v.width())
    head = win.breakdown.heads[list(win.breakdown.values).index("trainable")]
    assert head.fontMetrics().horizontalAdvance(head.text()) <= head.width(), head.text()


def test_card_names_keep_their_model_in_a_narrow_table(qtbot, win):
    """At the window's smallest width the card column is ~120 px: an elided middle cut out the
    model that tells rows apart ("NVIDIA …TX 4090", "AMD Ins…t MI100", "NVIDIA … (SXM5)" for both
    the H100 and the H800).  A name now loses its maker, then its product line, before its middle."""
    from vramgui.ui.wording import name_forms

    assert name_forms("NVIDIA GeForce RTX 4090") == ("NVIDIA GeForce RTX 4090", "GeForce RTX 4090", "RTX 4090")
    assert name_forms("AMD Radeon Instinct MI50 (32GB)")[-1] == "MI50 (32GB)"
    assert name_forms("NVIDIA H100 80GB HBM3 (SXM5)") == ("NVIDIA H100 80GB HBM3 (SXM5)", "H100 80GB HBM3 (SXM5)")
    assert name_forms("Custom card") == ("Custom card",)
    win.resize(win.minimumSizeHint().width(), 700)
    qtbot.waitUntil(lambda: win.width() < 1200, timeout=3000)
    settle(qtbot, win)
    view, model = win.fit_panel.view, win.fit_panel.model
    shown = {model.gpu_id(r): view.shown_text(r, 1) for r in range(model.rowCount())}
    room = view.columnWidth(1)
    assert room < view.fontMetrics().horizontalAdvance("NVIDIA H100 80GB HBM3 (SXM5)")   # (narrow: a test)
    for gpu_id, model_name in (("rtx4090", "RTX 4090"), ("mi100", "MI100"), ("h100-sxm", "H100"),
                               ("h800-sxm", "H800"), ("rtx3090ti", "3090 Ti")):
        assert model_name in shown[gpu_id], (gpu_id, shown[gpu_id])
    assert shown["h100-sxm"] != shown["h800-sxm"]


def test_the_fit_table_needs_no_sideways_scroll_at_the_smallest_width(qtbot, win):
    """At the window's smallest width (1175 px) the columns overran the table by ~23 px: a
    horizontal scroll bar, the decode column cut ("Decode to").  The card column now gives way
    down to 96 px (names keep their model: see above) so that every column shows."""
    win.state.set_model("llama3.1-405b")
    win.state.set_gpu("h100-sxm")
    win.state.update(n_gpus=8, weights="fp8", engine="vllm")   # (long verdicts and contexts: "131,072 (limit)")
    win.resize(win.minimumSizeHint().width(), 700)
    qtbot.waitUntil(lambda: win.width() < 1200, timeout=3000)
    settle(qtbot, win)
    view = win.fit_panel.view
    header = view.horizontalHeader()
    total = sum(header.sectionSize(c) for c in range(header.count()) if not header.isSectionHidden(c))
    assert total <= view.viewport().width(), (total, view.viewport().width())
    assert not view.horizontalScrollBar().isVisible()
    assert header.sectionSize(1) >= win.fit_panel.CARD_MIN


def label_room(combo) -> int:
    """The pixels a picker's chosen entry may take."""
    opt = QtWidgets.QStyleOptionComboBox()
    combo.initStyleOption(opt)
    return combo._label_room(opt)


def test_pickers_show_their_choice_whole_or_shortened_never_cut(qtbot, win):
    """Fusion drew the chosen card cut off mid-word ("NVIDIA GeForce RTX 4090  (24 Gi") at
    1366 px; the pickers now draw it shortened as the fit table does, or elided, to fit."""
    p = win.panel
    fm = p.gpu.fontMetrics()
    full = p.gpu.currentText()
    assert full.startswith("NVIDIA GeForce RTX 4090") and "(24 GiB)" in full       # the list keeps it all
    shown = p.gpu.shown_text()
    assert shown == full.removeprefix("NVIDIA ") or shown == full.removeprefix("NVIDIA GeForce ")
    for combo in (p.gpu, p.model, p.weights, p.kv, p.engine, p.attention):
        assert fm.horizontalAdvance(combo.shown_text()) <= label_room(combo), combo.currentText()
    choose(qtbot, win, p.weights, "fp8")
    assert p.weights.shown_text() == p.weights.currentText() == "FP8 (E4M3, per-tensor scale)"   # it fits: whole
    win.resize(win.minimumSizeHint().width(), 700)            # the narrowest window: the card keeps its model
    qtbot.waitUntil(lambda: win.width() < 1200, timeout=3000)
    assert "RTX 4090" in p.gpu.shown_text()


def test_model_picker_keeps_the_name_and_shortens_the_remark(qtbot, win):
    """A model name too long for the picker lost its middle: "Granite 4.0 H … Mamba hybrid)" (Small or Tiny?),
    "Llama 4 Scout 1… Instruct (MoE)" (which size?).  A name's start tells models apart (family, size),
    its bracketed remark describes them: the remark gives way first, then the name's end."""
    p = win.panel
    fm, room = p.model.fontMetrics(), label_room(p.model)
    shown = {}
    for i in range(p.model.count()):
        if not p.model.itemData(i):          # (a family heading)
            continue
        p.model.setCurrentIndex(i)
        full, text = p.model.currentText(), p.model.shown_text()
        shown[p.model.itemData(i)] = text
        assert fm.horizontalAdvance(text) <= room, text
        if text != full and full.endswith(")"):
            assert text.endswith("…") and full.startswith(text[:-1]), (full, text)
            head = full.rsplit(" (", 1)[0]
            if fm.horizontalAdvance(head + " (…") <= room:
                assert text.startswith(head + " ("), (full, text)
    assert sum(s.endswith("…") for s in shown.values()) >= 5       # (the check above met some long names)
    assert shown["granite4.0-h-small"].startswith("Granite 4.0 H Small (")
    assert shown["llama4-scout"].startswith("Llama 4 Scout 17B-16E")


def test_card_picker_never_cuts_the_memory_size(qtbot, win):
    """At 1366 px a long card name ran the picker's memory size off its end ("H100 80GB HBM3
    (SXM5)  (80 …", "RTX 6000 Ada Generation  (48…"): a sizing tool's user reads that first.
    Now a name that states its memory goes without the size, and another is elided before it."""
    from vramgui.ui.controls import FittingCombo

    p = win.panel
    fm, room = p.gpu.fontMetrics(), label_room(p.gpu)
    shown = {}
    for i in range(p.gpu.count()):
        parts = p.gpu.itemData(i, FittingCombo.CARD_ROLE)
        if parts is None:                 # (a heading: Data centre, Workstation, ...)
            continue
        p.gpu.setCurrentIndex(i)
        text = shown[p.gpu.itemData(i)] = p.gpu.shown_text()
        name, size, _ = parts
        assert fm.horizontalAdvance(text) <= room, text
        # the size whole at the end, or the name's own "80GB" whole and nothing elided
        assert text.endswith(f"  {size}") or ("…" not in text and re.search(r"\d[GT]B\b", text)), (name, text)
    assert shown["h100-sxm"] == "H100 80GB HBM3 (SXM5)"                      # its name says 80GB
    assert shown["rtx4090"] == "GeForce RTX 4090  (24 GiB)"                 # (fits whole, less the maker)
    assert shown["rtx6000-ada"].startswith("RTX 6000 Ada") and shown["rtx6000-ada"].endswith("…  (48 GiB)")


def test_hf_bitsandbytes_leaves_an_moe_models_experts_16_bit(qtbot, win):
    # Mixtral 8x7B in NF4 under HF transformers: its routed experts stay BF16 (transformers 5's fused expert parameters
    # are no torch.nn.Linear, which is all bitsandbytes replaces): a caution, and the strip's weights as the core
    # counts them, 84 GiB of experts at 2 bytes more than vLLM's 4-bit ones (tests/test_hf_expert_gather.py)
    p = win.panel
    drive(qtbot, win, gpus=1, batch=1, model="mixtral-8x7b", gpu="h100-sxm", weights="nf4", engine="hf")
    assert p.engine_caution.isVisible()
    assert "HF transformers leaves this model's routed experts in 16 bits." in p.engine_caution.text()
    assert "replace_with_bnb_linear" in p.engine_caution.toolTip()
    s = win.state.scenario
    hf = float(estimate_memory(s).weights)
    assert win.breakdown.values["weights"].text() == f"{hf / GIB:,.2f} GiB"
    choose(qtbot, win, p.engine, "vllm")
    assert "routed experts in 16 bits" not in p.engine_caution.text()
    assert hf - float(estimate_memory(win.state.scenario).weights) > 60 * GIB
