"""Importing files in the window, user presets, custom cards, and no network."""

import json
import socket
from pathlib import Path

import numpy as np
import pytest
from filemakers import PRE_MLA_DEEPSEEK_GGUF, write_gguf, write_safetensors
from PySide6 import QtCore, QtWidgets

from vramgui.core import Scenario, estimate_memory, load_catalog
from vramgui.core.catalog import read_preset
from vramgui.core.presets import GPU, ModelPreset
from vramgui.core.speed import estimate_speed
from vramgui.core.units import GIB
from vramgui.ui.dialogs import CustomGpuDialog
from vramgui.ui.i18n import duration
from vramgui.ui.main_window import MainWindow
from vramgui.ui.state import ScenarioState
from vramgui.ui.wording import plan_badge

pytestmark = pytest.mark.gui


@pytest.fixture
def win(qtbot, monkeypatch):
    cat = load_catalog()
    s = Scenario(model=cat.model("llama2-7b"), gpu=cat.gpu("rtx4090"), prompt_tokens=1024)
    w = MainWindow(ScenarioState(cat, s))
    qtbot.addWidget(w)
    w.show()
    w.warnings = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a: w.warnings.append(a[2]))
    return w


def settle(qtbot, win):
    qtbot.waitUntil(lambda: not win.busy(), timeout=3000)


def drawn(item) -> bool:
    """Whether a chart's item holds points."""
    return item.xData is not None and len(item.xData) > 0


def pick(win, **choices) -> None:
    """Choose entries of the panel's pickers through the widgets (``pick(win, model="llama2-70b")``)."""
    for name, ident in choices.items():
        combo = getattr(win.panel, name)
        combo.setCurrentIndex(combo.findData(ident))


def test_import_gguf_selects_it_with_exact_bytes(qtbot, win, tmp_path):
    path = write_gguf(tmp_path / "tiny.gguf", "Q8_0")
    assert win.import_model(path)
    settle(qtbot, win)
    s = win.state.scenario
    assert s.model.name == "tiny-gguf" and s.weights == "file"
    assert win.panel.model.currentData() == s.model.id
    assert "from header of" in win.panel.provenance.text() and "Q8_0" in win.panel.provenance.text()
    fw = s.model.file_weights
    assert win.breakdown.values["weights"].text() == f"{fw.total_bytes / GIB:,.2f} GiB"
    # back to a built-in model: the format falls back from "file"
    win.panel.model.setCurrentIndex(win.panel.model.findData("llama2-13b"))
    settle(qtbot, win)
    assert win.state.scenario.weights == "fp16"


def test_an_imported_quantized_config_selects_its_format(qtbot, win, tmp_path):
    # a checkpoint saved with load_in_4bit (NF4, double quantization): its weights as stored, and the status bar
    # says why; a config without a quantization_config gets back the format the user had before (nf4 was the first
    # checkpoint's, as a model released quantized sets its format: test_main_window's release-format test)
    import json
    qc = {"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4",
          "bnb_4bit_use_double_quant": True}
    (tmp_path / "config.json").write_text(json.dumps({**win.state.catalog.model("llama3.1-8b").config,
                                                      "quantization_config": qc}))
    assert win.state.scenario.weights == "fp16"
    assert win.import_model(tmp_path / "config.json")
    settle(qtbot, win)
    assert win.state.scenario.weights == "nf4" and win.panel.weights.currentData() == "nf4"
    assert "weights bitsandbytes NF4 (double quant), as its quantization config states" in \
        win.statusBar().currentMessage()
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "config.json").write_text(json.dumps(win.state.catalog.model("llama3.1-8b").config))
    assert win.import_model(plain / "config.json")
    settle(qtbot, win)
    assert win.state.scenario.weights == "fp16"
    # a quantized format the user chose stays, unless the import is a quantized checkpoint
    win.panel.weights.setCurrentIndex(win.panel.weights.findData("q4_k_m"))
    assert win.import_model(plain / "config.json")
    settle(qtbot, win)
    assert win.state.scenario.weights == "q4_k_m"
    assert win.import_model(tmp_path / "config.json")
    settle(qtbot, win)
    assert win.state.scenario.weights == "nf4"


def test_a_weight_only_nvfp4_config_is_named_and_timed_so(qtbot, win, tmp_path):
    # Model Optimizer's W4A16_NVFP4: NVFP4's bytes, the activations left 16-bit; a B200 multiplies them at its dense
    # 16-bit peak (2.25 PFLOP/s), not its FP4 one (9 PFLOP/s): the picker's entry, the status bar and the strip say
    # weight-only, and the speed chart's time to first token is the core's for that format
    from vramgui.core.formats import NVFP4_WEIGHT_ONLY
    (tmp_path / "config.json").write_text(json.dumps({
        **win.state.catalog.model("llama3.1-8b").config,
        "quantization_config": {"quant_method": "modelopt", "quant_algo": "W4A16_NVFP4", "group_size": 16}}))
    pick(win, gpu="b200", engine="vllm")
    settle(qtbot, win)
    nv = win.panel.weights.findData("nvfp4")
    assert win.panel.weights.itemText(nv) == "NVFP4 (FP4, group 16)"
    assert win.import_model(tmp_path / "config.json")
    settle(qtbot, win)
    s = win.state.scenario
    assert s.weights == "nvfp4" and s.weight_format is NVFP4_WEIGHT_ONLY and s.weight_format.kernel == "w4a16"
    assert win.panel.weights.itemText(nv) == "NVFP4 weight-only (W4A16, group 16)"
    assert "weights NVFP4 weight-only (W4A16, group 16), as its quantization config states" in \
        win.statusBar().currentMessage()
    ttft = float(estimate_speed(s).prefill_s)
    assert win.breakdown.values["prefill"].text() == duration(ttft)
    w4a4 = s.model_copy(update={"model": win.state.catalog.model("llama3.1-8b")})
    assert w4a4.weight_format.kernel == "fp4" and float(estimate_speed(w4a4).prefill_s) < ttft
    # a built-in model: the entry is NVFP4 with FP4 math again
    pick(win, model="llama3.1-8b")
    settle(qtbot, win)
    assert win.panel.weights.itemText(nv) == "NVFP4 (FP4, group 16)"


def test_a_checkpoint_asking_for_an_fp8_cache_gets_one_under_vllm_and_sglang(qtbot, win, tmp_path):
    # Model Optimizer 0.19's hf_quant_config.json beside config.json (the layout llm-compressor's modelopt converter
    # documents): FP8 weights and an FP8 cache, which vLLM's and SGLang's default cache type follows
    # (core.engines.CHECKPOINT_KV); llama.cpp's does not
    import json
    (tmp_path / "config.json").write_text(json.dumps(win.state.catalog.model("llama3.1-8b").config))
    (tmp_path / "hf_quant_config.json").write_text(json.dumps({
        "producer": {"name": "modelopt", "version": "0.19.0"},
        "quantization": {"quant_algo": "FP8", "kv_cache_quant_algo": "FP8", "exclude_modules": ["lm_head"]}}))
    win.panel.engine.setCurrentIndex(win.panel.engine.findData("vllm"))
    settle(qtbot, win)
    before = win.state.scenario.kv_dtype
    assert before == "fp16"
    assert win.import_model(tmp_path)
    settle(qtbot, win)
    s = win.state.scenario
    assert (s.weights, s.kv_dtype, win.panel.kv.currentData()) == ("fp8", "fp8", "fp8")
    assert ("weights FP8 (E4M3, per-tensor scale); KV cache FP8 (E4M3/E5M2), the default of vLLM and SGLang for it, "
            "as its quantization config states") in win.statusBar().currentMessage()
    # the KV cache at one byte an element: Llama 3.1 8B's 32 layers x 8 KV heads x 128 x 2 (K and V) = 64 KiB a token
    assert float(estimate_memory(s).kv_cache) == pytest.approx(
        32 * 8 * 128 * 2 * 1 * s.batch * (s.prompt_tokens + s.output_tokens), rel=1e-9)
    # under llama.cpp the import keeps the 16-bit cache
    win.panel.kv.setCurrentIndex(win.panel.kv.findData("fp16"))
    win.panel.engine.setCurrentIndex(win.panel.engine.findData("llamacpp"))
    settle(qtbot, win)
    assert win.import_model(tmp_path)
    settle(qtbot, win)
    assert win.state.scenario.kv_dtype == "fp16"

    def engine(name):
        win.panel.engine.setCurrentIndex(win.panel.engine.findData(name))
        settle(qtbot, win)
        return win.state.scenario.kv_dtype, win.panel.kv.currentData()
    # into vLLM from an engine that does not follow the checkpoint: its cache; between vLLM and SGLang the cache
    # picked stays (16 bits chosen under vLLM: --kv-cache-dtype given), and llama.cpp's and the generic profile's do
    # not follow it
    assert engine("vllm") == ("fp8", "fp8")
    win.panel.kv.setCurrentIndex(win.panel.kv.findData("bf16"))
    settle(qtbot, win)
    assert engine("sglang") == ("bf16", "bf16")
    assert engine("generic") == ("bf16", "bf16")
    assert engine("sglang") == ("fp8", "fp8")
    # a model whose checkpoint asks for nothing keeps its 16-bit cache into vLLM
    win.state.set_model("llama3.1-8b")
    win.panel.kv.setCurrentIndex(win.panel.kv.findData("fp16"))
    assert engine("llamacpp") == engine("vllm") == ("fp16", "fp16")


def test_an_unchecked_model_type_says_so_beside_the_picker(qtbot, win, tmp_path):
    import json
    cfg = dict(win.state.catalog.model("llama2-7b").config, model_type="newfamily")
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    assert win.import_model(tmp_path / "config.json")
    settle(qtbot, win)
    assert win.panel.caution.text().startswith("Not fully checked: part of the count is estimated")
    assert win.panel.caution.isVisible()
    assert "'newfamily' is not a model type vramgui has checked" in win.panel.caution.toolTip()
    assert "Note: 'newfamily'" in win.statusBar().currentMessage()
    win.panel.model.setCurrentIndex(win.panel.model.findData("llama2-13b"))   # a checked preset: no caution
    settle(qtbot, win)
    assert "Not fully checked" not in win.panel.caution.text() and not win.panel.caution.isVisible()


def test_a_deepseek_gguf_before_the_mla_tensors_says_so_beside_the_picker(qtbot, win, tmp_path, monkeypatch):
    # DeepSeek-V2-Lite's header as llama.cpp's converter wrote it before its MLA tensors (no key_length_mla): under
    # llama.cpp every head's keys and values are cached, 16 x (192 + 128) x 2 bytes x 27 = 276,480 a token, not the
    # 31,104-byte latent; the caution beside the picker and the status bar say why
    import vramgui.core.model_files as mf
    monkeypatch.setattr(mf, "read_gguf", lambda path: (PRE_MLA_DEEPSEEK_GGUF, []))
    win.panel.engine.setCurrentIndex(win.panel.engine.findData("llamacpp"))
    settle(qtbot, win)
    assert win.import_model(tmp_path / "DeepSeek-V2-Lite-Chat.Q4_0.gguf")
    settle(qtbot, win)
    assert win.state.scenario.engine == "llamacpp"
    assert win.panel.caution.text() == "Pre-MLA GGUF: llama.cpp caches full keys and values (see the tooltip)."
    assert win.panel.caution.isVisible() and "no deepseek2.attention.key_length_mla" in win.panel.caution.toolTip()
    assert "Note: converted before llama.cpp's MLA tensors" in win.statusBar().currentMessage()
    from vramgui.core import estimate_memory
    assert estimate_memory(win.state.scenario).kv_bytes_per_token == 16 * (192 + 128) * 2 * 27
    win.panel.model.setCurrentIndex(win.panel.model.findData("deepseek-v2-lite"))   # the preset: the latent
    settle(qtbot, win)
    assert not win.panel.caution.isVisible()
    assert estimate_memory(win.state.scenario).kv_bytes_per_token == (512 + 64) * 2 * 27


def test_drop_a_safetensors_folder(qtbot, win, tmp_path):
    write_safetensors(tmp_path / "st")
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(tmp_path / "st"))])
    event = QtGui_drop(mime)
    win.dropEvent(event)
    settle(qtbot, win)
    assert win.state.scenario.model.name == "llama-test"
    assert win.state.scenario.model.file_weights.kind == "safetensors"


def QtGui_drop(mime):  # noqa: N802
    from PySide6 import QtGui
    return QtGui.QDropEvent(QtCore.QPointF(10, 10), QtCore.Qt.DropAction.CopyAction, mime,
                            QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier)


def test_bad_file_is_reported_and_nothing_changes(qtbot, win, tmp_path):
    before = win.state.scenario
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 16)
    assert not win.import_model(bad)
    assert win.warnings and str(bad) in win.warnings[0] and "cannot fit" in win.warnings[0]
    assert win.state.scenario == before
    assert str(bad) in win.statusBar().currentMessage()


def test_save_imported_model_as_preset(qtbot, win, tmp_path):
    win.import_model(write_gguf(tmp_path / "t.gguf"))
    path = win.save_model_preset(tmp_path / "user")
    saved = read_preset(path, ModelPreset)
    assert saved.file_weights == win.state.scenario.model.file_weights
    assert load_catalog(user_dir=tmp_path / "user").model(saved.id).file_weights is not None
    assert "★" in win.panel.model.currentText()
    assert win.remove_user_preset(tmp_path / "user", confirm=False)
    assert not path.exists()


def custom_dialog(qtbot, name: str, gib: float, gb_s: float) -> CustomGpuDialog:
    """The "Add a custom GPU" dialog with a name, memory and bandwidth typed in."""
    dialog = CustomGpuDialog()
    qtbot.addWidget(dialog)
    dialog.name.setText(name)
    dialog.memory.setValue(gib)
    dialog.bandwidth.setValue(gb_s)
    return dialog


def test_custom_gpu_dialog_and_card(qtbot, win, tmp_path):
    dialog = custom_dialog(qtbot, "Lab card 20G", 20, 800)
    dialog.tflops.setValue(90)
    gpu = dialog.build()
    assert gpu.id == "custom-lab-card-20g" and gpu.memory_mib == 20 * 1024
    assert win.add_custom_gpu(gpu, tmp_path / "user")
    settle(qtbot, win)
    assert win.state.scenario.gpu.id == "custom-lab-card-20g"
    assert win.memory_chart.capacity.value() == pytest.approx(20.0)
    assert read_preset(tmp_path / "user" / "gpus" / "custom-lab-card-20g.json", GPU) == gpu
    assert "Lab card 20G" in [n for n, _ in win.fit_panel.row_texts()]
    assert not dialog.share.isEnabled() and gpu.gpu_share == 1.0


def test_custom_unified_memory_machine_sets_the_gpus_share(qtbot, win, tmp_path):
    # A 128 GiB unified-memory box whose platform lets the GPU take 95 %: with llama.cpp (no
    # utilization cap) the usable line sits at 128 × 0.95 = 121.6 GiB, not at the 75 % macOS
    # default (96 GiB) nor at the whole 128.
    dialog = custom_dialog(qtbot, "Box 128", 128, 273)
    dialog.unified.setChecked(True)
    assert dialog.share.isEnabled() and dialog.share.value() == 75
    dialog.share.setValue(95)
    gpu = dialog.build()
    assert gpu.unified_memory and gpu.gpu_share == pytest.approx(0.95)
    assert win.add_custom_gpu(gpu, tmp_path / "user")
    assert read_preset(tmp_path / "user" / "gpus" / "custom-box-128.json", GPU) == gpu
    p = win.panel
    p.engine.setCurrentIndex(p.engine.findData("llamacpp"))
    settle(qtbot, win)
    assert win.state.scenario.gpu.id == "custom-box-128"
    assert win.memory_chart.capacity.value() == pytest.approx(128.0)
    assert win.memory_chart.budget.value() == pytest.approx(121.6, abs=0.01)


def test_no_network_while_importing_estimating_drawing(qtbot, win, tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("vramgui tried to open a network connection")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert win.import_model(write_gguf(tmp_path / "n.gguf"))
    win.panel.prompt.spin.setValue(2048)
    settle(qtbot, win)
    assert win.export_chart("memory", "png", tmp_path / "m.png", width=800).exists()
    win.export_report(tmp_path / "r.json")
    m = estimate_memory(win.state.scenario)
    assert float(m.total) > 0 and np.isfinite(float(m.total))


def test_partial_offload_in_the_window(qtbot, win, tmp_path):
    p = win.panel
    pick(win, model="llama2-70b", weights="q4_k_m", engine="llamacpp",
         attention="eager")     # (the hand count's compute buffer)
    p.prompt.spin.setValue(4000)
    p.output.spin.setValue(96)
    p.ram.setValue(33)      # (the RTX 3060's 59 layers and its share of the rest take 32.02 GB of it)
    settle(qtbot, win)
    verdicts = dict(win.fit_panel.row_texts())
    assert verdicts["NVIDIA GeForce RTX 4090"] == "offloaded: 46/80 layers on GPU"
    assert verdicts["NVIDIA A100 80GB (SXM4)"] == "fits"
    small = verdicts["NVIDIA GeForce RTX 3060 (12GB)"]      # half the 4090's memory: fewer of the layers on it
    assert small.startswith("offloaded: ") and 0 < int(small.split()[1].split("/")[0]) < 46
    assert verdicts["NVIDIA GeForce RTX 3070"] == "does not fit in RAM either"      # 8 GB: the rest outgrows 33 GB
    assert win.breakdown.verdict.text() == "OFFLOAD 46/80"
    # its tooltip: the output layer on the card too (current llama.cpp offloads it first), the -ngl that gives
    # the split (46 + 1) and what a prompt's pass copies to the card of the layers in RAM (ffn_down, 154.9 MiB:
    # tests/test_offload.py counts both by hand)
    tip = win.breakdown.verdict.toolTip()
    plan = win.state.offload_plan()
    assert "partly offloaded (46 of 80 layers and the output layer on GPU)" in tip
    lines = tip.split("\n")
    assert lines[-3:-1] == ["llama.cpp's -ngl for this split: 47", (
        f"First token about {duration(plan.prefill_s)}: the prompt's passes copy {plan.prompt_copy_bytes / 1e9:.1f} "
        "GB of the part in RAM to the card (at an assumed 30% of its 32 GB/s link).")]
    assert lines[-1] == ("The first card's compute buffer holds 155 MiB more: a prompt's pass copies tensors of the "
                         "part in RAM there.")
    # (the prompt's 8 passes each copy the 34 layers in RAM, 512.7 MB each (tests/test_offload.py's layer), and their
    # cache so far: 34 x 4,096 B a cell over 512 x 8 x 7 / 2 + 4,000 cells)
    d, kv, f = 8192, 1024, 28672
    layer = ((2 * d * d + d * kv + 2 * d * f) * 4.5 + (d * kv + f * d) * (4.5 + 6.5625) / 2) / 8
    layer += 2 * d * 4 + d * 4 / 80        # two f32 norms, and the final norm's share
    assert plan.prompt_copy_bytes == pytest.approx(8 * 34 * layer + 34 * 4096 * (512 * 8 * 7 / 2 + 4000), rel=1e-6)
    # the strip's first token and decode are the plan's, as the table's row and the badge give them: the 34 layers in
    # RAM read at 76.8 GB/s x 0.54 take 34 x 512.7 MB / 41.5 GB/s = 0.420 s a token, the 46 on the card 26 ms more
    assert plan.decode_s == pytest.approx(34 * layer / 41.472e9 + 46 * layer / (1008e9 * 0.89), rel=0.05)
    sp = estimate_speed(win.state.scenario)
    strip = win.breakdown
    assert strip.values["prefill"].text() == duration(plan.prefill_s)
    assert strip.values["decode"].text() == f"{plan.decode_s * 1e3:,.1f} ms · {1 / plan.decode_s:,.1f} tok/s"
    # their tooltips say so first, then the formulas with every layer on the card, and what those give
    tip = strip.tooltip("decode")
    assert tip.startswith(f"{plan.decode_s * 1e3:,.1f} ms a step as the offload plans it (offload 46/80): ")
    assert f"With every layer on the card, as below: {float(sp.decode_step_s) * 1e3:,.1f} ms.\n\nDecode step = " in tip
    tip = strip.tooltip("prefill")
    assert tip.startswith(f"About {duration(plan.prefill_s)} as the offload plans it (offload 46/80): the prompt's "
                          f"passes copy {plan.prompt_copy_bytes / 1e9:,.1f} GB of the part in RAM to the card")
    assert f"With every layer on the card, as below: {duration(float(sp.prefill_s))}.\n\n" in tip
    assert "offload" not in strip.tooltip("weights")
    # the speed chart: the plan's decode a point at the batch in each plot, inside their ranges; the batch's label
    # and the time to first token say it (the curves keep every layer on the card)
    chart = win.speed_chart
    assert list(chart.offload_step.xData) == [1] and list(chart.offload_step.yData) == [plan.decode_s * 1e3]
    assert list(chart.offload_thr.yData) == [1 / plan.decode_s]
    lo, hi = chart.thr.vb.viewRange()[1]
    assert lo <= np.log10(1 / plan.decode_s) <= hi
    label = chart.markers["current"][0].label.toPlainText()
    assert label == f"batch 1, offload 46/80: {1 / plan.decode_s:.1f} tok/s"
    assert chart._ttft_texts[0] == f"time to first token (4,000 tokens × 1, offload 46/80): {duration(plan.prefill_s)}"
    # the report and the summary carry the plan (as vramgui-cli estimate --ram prints it)
    md = win.export_report(tmp_path / "r.md").read_text(encoding="utf-8")
    assert "\n- offload: partly offloaded (46 of 80 layers and the output layer on GPU) - NVIDIA GeForce RTX 4090 " \
        in md
    assert f"\n- first token {duration(plan.prefill_s)}: the prompt's passes copy" in md
    assert win.copy_summary() == md
    d = json.loads(win.export_report(tmp_path / "r.json").read_text(encoding="utf-8"))
    assert d["offload"]["ngl"] == 47 and d["offload"]["decode_tokens_per_second"] == pytest.approx(plan.tokens_per_s)
    # and, as estimate gives them, the sequences the plans serve most at (core.offload.best_batch_offloaded)
    from vramgui.core.offload import best_batch_offloaded
    best = best_batch_offloaded(win.state.scenario, 33, d["offload"]["max_batch"])
    assert (d["offload"]["best_batch"], d["offload"]["best_served_tokens_per_second"]) == (best[0], best[1])
    assert f"\n- the most served: {best[1]:,.2f} generated tokens/s in all at {best[0]:,} sequences" in md
    assert win.memory_chart.spill.isVisible()
    x, y = win.memory_chart.spill.getOriginalDataset()
    budget = win.last_fit.budget_bytes / GIB
    assert win.memory_chart.spill.opts["fillLevel"] == pytest.approx(budget)   # the band starts at the budget
    _, total = win.memory_chart.curves[-1].getOriginalDataset()
    np.testing.assert_allclose(y, np.maximum(total, budget))
    # the Compare pinned tab says the same of the live scenario and of a pin (the machine's RAM holds for both)
    assert win.state.pin()
    win.tabs.setCurrentWidget(win.compare_tab)
    ct = win.compare_tab
    for col in (0, 1):
        assert ct.cell("Verdict", col) == "offloaded: 46/80 layers on GPU"
        assert ct.cell("Decode ms/token", col) == f"{plan.decode_s * 1e3:,.2f}"
        assert ct.cell("Time to first token", col) == duration(plan.prefill_s)
    win.state.clear_pins()
    win.tabs.setCurrentIndex(0)
    # at 4 sequences the CPU still reads the part in RAM, and runs the arithmetic of the 3 sequences past the first
    # (the tooltip says what it adds: core.offload.cpu_math_s); at 32 a step copies it to the card (op offload)
    p.batch.spin.setValue(4)
    settle(qtbot, win)
    plan = win.state.offload_plan()
    assert plan.cpu_math_s > 0 and plan.step_copy_bytes == 0
    assert (f"The CPU's arithmetic for the 3 sequences past the first adds {plan.cpu_math_s * 1e3:,.1f} ms (at an "
            "assumed 0.55 TFLOP/s, from the RAM's bandwidth).") in strip.tooltip("decode")
    # a 16-token prompt is not copied to the card: the CPU runs its part of the pass (core.offload.cpu_prompt)
    p.batch.spin.setValue(1)
    p.prompt.spin.setValue(16)
    settle(qtbot, win)
    plan = win.state.offload_plan()
    assert plan.prompt_copy_bytes == 0 and plan.cpu_prompt_s > 0
    assert strip.values["prefill"].text() == duration(plan.prefill_s)
    assert strip.tooltip("prefill").startswith(
        f"About {duration(plan.prefill_s)} as the offload plans it ({plan_badge(plan)}): the CPU runs the prompt's "
        f"passes on the part in RAM, {duration(plan.cpu_prompt_s)} of it at an assumed 0.55 TFLOP/s (no pass is copied "
        "to the card")
    p.prompt.spin.setValue(256)         # (32 sequences of 4,000 tokens outgrow the 33 GB of RAM)
    p.batch.spin.setValue(32)
    settle(qtbot, win)
    plan = win.state.offload_plan()
    assert plan.step_copy_bytes > 0 and win.breakdown.verdict.text().startswith("OFFLOAD")
    assert strip.tooltip("decode").startswith(
        f"{plan.decode_s * 1e3:,.1f} ms a step as the offload plans it ({plan_badge(plan)}): at 32 sequences llama.cpp "
        f"runs the part in RAM on the card, copying its {plan.step_copy_bytes / 1e9:,.1f} GB there every step")
    assert list(chart.offload_step.xData) == [32] and list(chart.offload_step.yData) == [plan.decode_s * 1e3]
    p.batch.spin.setValue(1)
    p.prompt.spin.setValue(4000)
    p.ram.setValue(0)
    settle(qtbot, win)
    assert not win.memory_chart.spill.isVisible()
    assert dict(win.fit_panel.row_texts())["NVIDIA GeForce RTX 4090"] == "needs 2 cards"
    # without the plan: the strip and the chart keep every layer on the card, the report has no offload
    assert strip.values["decode"].text().startswith(f"{float(sp.decode_step_s) * 1e3:,.1f} ms · ")
    assert chart.offload_step.xData is None and chart.markers["current"][0].label.toPlainText() == "batch 1"
    assert "offload" not in win.copy_summary()


def test_the_speed_chart_draws_the_offload_plans_over_the_sequences(qtbot, win):
    """Once the edits pause, the offloaded card's plans at each number of sequences it and the RAM hold are a line in
    both plots (core.offload.sweep_offloaded), through the point at the batch; the cost under the price gives the
    batch they serve most at.  A batch drag keeps the line; another prompt takes it away until the next pause."""
    from vramgui.core.offload import plan_offload, served_tokens_per_s
    p = win.panel
    pick(win, model="llama2-70b", weights="q4_k_m", engine="llamacpp")
    p.prompt.spin.setValue(4000)
    p.output.spin.setValue(96)
    p.ram.setValue(32)
    p.price.setValue(0.5)
    settle(qtbot, win)
    chart = win.speed_chart
    assert win._ram_missing()              # (worked out in the pause, never inside the edit)
    assert not drawn(chart.offload_thr_curve)
    qtbot.waitUntil(lambda: not win._ram_missing(), timeout=60_000)
    # the line runs over every count from one sequence to the most the table's row gives with the RAM (11: under
    # the search's 16 counts, each is tried)
    from vramgui.ui.fit_table import COLUMNS
    model = win.fit_panel.model
    row = next(r for r in range(model.rowCount()) if model.gpu_id(r) == "rtx4090")
    assert model.row_cells(row)[COLUMNS.index("Max batch")] == "11 (RAM)"
    sweep = win.state.offload_sweep(work_out=False)
    assert sweep.batches == list(range(1, 12))
    s = win.state.scenario

    def plan(b):
        return plan_offload(s.with_(batch=b), 32)
    steps = np.array([plan(b).decode_s for b in range(1, 12)])
    b = np.arange(1, 12)
    np.testing.assert_allclose(chart.offload_thr_curve.xData, b)
    np.testing.assert_allclose(chart.offload_thr_curve.yData, b / steps, rtol=1e-12)
    np.testing.assert_allclose(chart.offload_step_curve.yData, steps * 1e3, rtol=1e-12)
    # the point at the batch lies on it, and both plots' ranges hold all of it
    assert chart.offload_step.yData[0] == pytest.approx(chart.offload_step_curve.yData[0], rel=1e-12)
    for plot, y in ((chart.thr, b / steps), (chart.step, steps * 1e3)):
        lo, hi = plot.vb.viewRange()[1]
        assert lo <= np.log10(y.min()) and np.log10(y.max()) <= hi
    # each step adds the CPU's arithmetic for one more sequence on the layers in RAM: the step grows with the
    # sequences, and the throughput in all flattens (11 sequences give less than three times one's)
    assert np.all(np.diff(steps) > 0) and (11 / steps[-1]) < 3 * (1 / steps[0])
    # the cost: 0.50 a card-hour over the tokens served, 96 each at the step after the batch's first token
    # (17 s of a 4,000-token prompt), at batch 1 and at the batch the plans serve most at
    served = [served_tokens_per_s(plan(n), s.with_(batch=n)) for n in range(1, 12)]
    best = int(np.argmax(served)) + 1
    assert served[0] == pytest.approx(96 / (96 * steps[0] + plan(1).prefill_s), rel=1e-12)
    assert best > 1 and sweep.best()[0] == best
    assert p.cost.text() == (f"{0.5 / 3600 / served[0] * 1e6:,.2f} per million tokens at batch 1\n"
                             f"{0.5 / 3600 / served[best - 1] * 1e6:,.2f} at batch {best}, cheapest")
    assert f"At batch {best} (offload " in p.cost.toolTip()
    # in two lines at 1366 x 768, as the cost of a model on the card alone (a third ran past the panel's foot)
    win.resize(1366, 768)
    qtbot.waitUntil(lambda: win.width() == 1366)
    QtWidgets.QApplication.processEvents()
    assert p.cost.heightForWidth(p.cost.width()) <= 2 * p.cost.fontMetrics().lineSpacing() + 2
    # a batch drag keeps the plans worked out (they do not depend on the batch): the point moves along the line
    p.batch.spin.setValue(4)
    settle(qtbot, win)
    assert not win._sweep_missing() and win.state.offload_sweep(work_out=False) is sweep
    assert list(chart.offload_step.xData) == [4]
    assert chart.offload_step.yData[0] == pytest.approx(steps[3] * 1e3, rel=1e-12)
    assert p.cost.text().endswith(f"at batch {best}, cheapest")
    # the hover read-out gives the nearest plan's numbers
    chart._hover([chart.thr.vb.mapViewToScene(QtCore.QPointF(np.log10(4), np.log10(4 / steps[3])))])
    assert f"offloaded at batch 4: {4 / steps[3]:,.1f} tokens/s in all, step {steps[3] * 1e3:,.1f} ms" in \
        chart.readout.toPlainText()
    # a cached prefix changes the plans' first tokens (not their steps): worked out again in the next pause
    p.cached.setValue(2000)
    settle(qtbot, win)
    assert win._sweep_missing()
    qtbot.waitUntil(lambda: not win._sweep_missing(), timeout=60_000)
    again = win.state.offload_sweep(work_out=False)
    assert again is not sweep and again.plans[0].prefill_s < sweep.plans[0].prefill_s
    assert again.plans[0].decode_s == pytest.approx(sweep.plans[0].decode_s, rel=1e-12)
    p.cached.setValue(0)
    # another prompt: the line goes with the redraw, and comes back for the new prompt in the next pause
    p.prompt.spin.setValue(2000)
    settle(qtbot, win)
    assert not drawn(chart.offload_thr_curve)
    qtbot.waitUntil(lambda: not win._ram_missing(), timeout=60_000)
    assert chart.offload_step_curve.yData[0] == pytest.approx(plan_offload(win.state.scenario.with_(batch=1),
                                                                           32).decode_s * 1e3, rel=1e-12)
    # without the RAM, nothing offloaded, no line
    p.ram.setValue(0)
    settle(qtbot, win)
    assert not drawn(chart.offload_thr_curve) and not win._ram_missing()


def test_the_memory_chart_marks_the_largest_prompt_with_system_ram(qtbot, win, tmp_path, monkeypatch):
    # Llama 2 70B Q4_K_M beside an RTX 4090 with 32 GB of RAM, flash attention: prompts of up to 46,240 tokens with 96
    # out (hand-counted in tests/test_offload.py) are placed on the card and in the RAM; the chart marks it, its sweep
    # reaching past it
    from vramgui.core import offload
    p = win.panel
    pick(win, model="llama2-70b", weights="q4_k_m", engine="llamacpp")
    p.prompt.spin.setValue(4000)
    p.output.spin.setValue(96)
    chart = win.memory_chart
    settle(qtbot, win)
    assert not chart.ram_limit.isVisible()            # (no RAM entered: nothing to mark)
    p.ram.setValue(32)
    settle(qtbot, win)
    assert chart.ram_limit.isVisible() and chart.ram_limit.value() == pytest.approx(np.log10(46_240))
    assert chart.ram_limit.label.toPlainText() == "largest prompt with system RAM: 46,240"
    assert chart.x[-1] > 46_240 and chart.getPlotItem().vb.viewRange()[0][1] > np.log10(46_240)
    # the read-out past the card's budget: the rest from the RAM up to the mark, more than both hold beyond it
    vb = chart.getPlotItem().vb
    for prompt, says in ((10_000, "the rest from system RAM"), (55_000, "more than the card and the system RAM hold")):
        chart._hover((vb.mapViewToScene(QtCore.QPointF(np.log10(prompt), 10.0)),))
        lines = chart.readout.toPlainText().split("\n")
        assert lines[lines.index("more than the card's usable 24.0 GiB") + 1] == says, prompt
    # a prompt's edit keeps it (no search); an output's searches again: 256 more out leave 256 fewer in
    calls = []
    search = offload.max_prompt_offloaded
    monkeypatch.setattr(offload, "max_prompt_offloaded", lambda *a, **k: calls.append(1) or search(*a, **k))
    p.prompt.spin.setValue(8000)
    settle(qtbot, win)
    assert calls == [] and chart.ram_limit.value() == pytest.approx(np.log10(46_240))
    p.output.spin.setValue(352)
    settle(qtbot, win)
    assert calls == [1] and chart.ram_limit.label.toPlainText() == "largest prompt with system RAM: 45,984"
    # the badge's tooltip says it under the plan (and at 8,000 tokens the card holds too little: OFFLOAD)
    assert win.breakdown.verdict.toolTip().split("\n")[1] == ("With the System RAM, prompts of up to 45,984 tokens "
                                                              "fit (a context of 46,336).")
    # the report and the summary say it as vramgui-cli estimate --ram does
    assert ("\n- largest prompt on the card and in 29.80 GiB of system RAM: 45,984 tokens (context 46,336, past the "
            "model's 4,096)\n") in win.copy_summary()
    d = json.loads(win.export_report(tmp_path / "r.json").read_text(encoding="utf-8"))
    assert (d["offload"]["max_prompt_tokens"], d["offload"]["max_context"]) == (45_984, 46_336)
    # too little RAM for even an empty prompt (16 GB): no mark; fine-tuning: none either
    p.ram.setValue(16)
    settle(qtbot, win)
    assert not chart.ram_limit.isVisible() and win.breakdown.verdict.text() == "DOES NOT FIT"
    assert "With the System RAM" not in win.breakdown.verdict.toolTip()
    p.ram.setValue(32)
    win.state.set_mode("training")
    settle(qtbot, win)
    assert not chart.ram_limit.isVisible()


def test_the_fit_tables_offloaded_rows_give_their_largest_context_with_system_ram(qtbot, win, monkeypatch):
    # Llama 3.1 70B Q4_K_M with 32 GB of RAM: each card the model does not fit gets, in Max context, the largest
    # prompt that card and the RAM hold (core.offload.max_prompt_offloaded: the chart's search, card by card) with the
    # 256 tokens out, worked out once the edits pause; "…" until then
    from vramgui.core import offload
    from vramgui.ui.fit_table import COLUMNS
    p, model = win.panel, win.fit_panel.model
    pick(win, model="llama3.1-70b", weights="q4_k_m", engine="llamacpp")
    p.ram.setValue(32)
    settle(qtbot, win)
    col = COLUMNS.index("Max context")

    def cells() -> dict:
        return {model.gpu_id(r): (model.row_cells(r)[0], model.row_cells(r)[col]) for r in range(model.rowCount())}

    def expected(gpu_id: str) -> str:
        found = offload.max_prompt_offloaded(win.state.scenario.with_(gpu=win.state.catalog.gpu(gpu_id)), 32)
        return "-" if found < 0 else f"{found + win.state.scenario.output_tokens:,} (RAM)"
    # straight after the edit: the primary card's own (the chart's mark, with the tokens out), the others pending
    marked = int(win.memory_chart.ram_limit.label.toPlainText().rsplit(" ", 1)[1].replace(",", ""))
    offloaded = {g: c for g, (v, c) in cells().items() if v.startswith("offloaded") or v.startswith("does not")}
    assert offloaded["rtx4090"] == f"{marked + win.state.scenario.output_tokens:,} (RAM)" == expected("rtx4090")
    assert len(offloaded) > 50
    assert {c for g, c in offloaded.items() if g != "rtx4090"} == {"…"}
    assert all(not c.endswith("(RAM)") for g, (v, c) in cells().items() if g not in offloaded)
    qtbot.waitUntil(lambda: not win._ram_missing(), timeout=60_000)
    done = {g: cells()[g][1] for g in offloaded}
    assert "…" not in done.values()
    some = [g for g in done if done[g].endswith("(RAM)")][:4] + [g for g in done if done[g] == "-"][:2]
    assert len(some) == 6
    for g in some:
        assert done[g] == expected(g), g
    # a prompt's edit keeps them (no search); a batch's works them out again after the pause
    calls = []
    search = offload.max_prompt_offloaded
    monkeypatch.setattr(offload, "max_prompt_offloaded", lambda *a, **k: calls.append(1) or search(*a, **k))
    p.prompt.spin.setValue(8000)
    settle(qtbot, win)
    qtbot.waitUntil(lambda: not win._ram_missing(), timeout=60_000)
    now = {g for g, (v, c) in cells().items() if v.startswith("offloaded") or v.startswith("does not")}
    assert {g: cells()[g][1] for g in offloaded} == done
    assert len(calls) == len(now - set(offloaded))        # (only the cards the longer prompt no longer fits on)
    p.batch.spin.setValue(2)
    settle(qtbot, win)
    assert cells()[some[0]][1] == "…"
    qtbot.waitUntil(lambda: not win._ram_missing(), timeout=60_000)
    assert len(calls) >= len(offloaded) - 1 and cells()[some[0]][1] == expected(some[0]) != done[some[0]]
    # 256 tokens more out: under llama.cpp each card's largest prompt is 256 fewer (its cache in blocks, its pass
    # buffers fixed), its context the same; the last answers so moved are tried first: two plans a card
    two = {g: cells()[g][1] for g in offloaded}
    plans, inside = [], []          # (the plans of the prompt searches: not the batches' that follow them)
    real = offload.plan_offload
    monkeypatch.setattr(offload, "plan_offload", lambda *a, **k: (inside and plans.append(1)) or real(*a, **k))

    def prompt_search(*a, **k):
        inside.append(1)
        try:
            return search(*a, **k)
        finally:
            inside.pop()
    monkeypatch.setattr(offload, "max_prompt_offloaded", prompt_search)
    p.output.spin.setValue(win.state.scenario.output_tokens + 256)
    settle(qtbot, win)
    plans.clear()
    qtbot.waitUntil(lambda: not win._ram_missing(), timeout=60_000)
    searched = [g for g in offloaded if g != "rtx4090"]      # (the primary's was the chart's: at the edit)
    assert {g: cells()[g][1] for g in searched} == {g: two[g] for g in searched}
    assert cells()[some[0]][1] == expected(some[0])
    # (a card that held not even an empty prompt has no answer to move: searched as before, at most 30 plans)
    answered = [g for g in searched if two[g] != "-"]
    assert len(plans) <= 2 * len(answered) + 30 * (len(searched) - len(answered)) and len(answered) > 50
    assert len(plans) < 4 * len(searched)          # (searched afresh, each card's took 10-20)


def test_the_fit_tables_offloaded_rows_give_their_most_sequences_with_system_ram(qtbot, win):
    """Llama 3.1 70B Q4_K_M, 4,000 tokens in and 96 out, with 32 GB of RAM: each card the model does not fit gets,
    in Max batch, the most such sequences that card and the RAM hold (core.offload.max_batch_offloaded), "…" until
    the edits pause.  By hand on the RTX 4090: the card's 25.77 GB and the RAM's 32 GB as one pool, less 42.47 GB of
    weights and about 1.6 GB of CUDA context and buffers, leave 13.7 GB, 10.2 sequences of 4,096 cells at 327,680
    bytes a cell: 10.  The card alone holds none (0 before)."""
    from vramgui.core import offload
    from vramgui.ui.fit_table import COLUMNS
    p, model = win.panel, win.fit_panel.model
    pick(win, model="llama3.1-70b", weights="q4_k_m", engine="llamacpp")
    p.prompt.spin.setValue(4000)
    p.output.spin.setValue(96)
    p.ram.setValue(32)
    settle(qtbot, win)
    col = COLUMNS.index("Max batch")

    def cells() -> dict:
        return {model.gpu_id(r): (model.row_cells(r)[0], model.row_cells(r)[col]) for r in range(model.rowCount())}
    offloaded = {g for g, (v, c) in cells().items() if v.startswith("offloaded") or v.startswith("does not")}
    assert len(offloaded) > 50 and {cells()[g][1] for g in offloaded} == {"…"}
    assert all(c.isdigit() for g, (v, c) in cells().items() if g not in offloaded)   # (the cards alone: as before)
    qtbot.waitUntil(lambda: not win._ram_missing(), timeout=60_000)
    s = win.state.scenario
    assert cells()["rtx4090"][1] == "10 (RAM)"
    for g in ["rtx4090", "rtx3090", "rtx4060", "a100-40gb", "rtx3060-12gb"]:
        found = offload.max_batch_offloaded(s.with_(gpu=win.state.catalog.gpu(g)), 32)
        assert cells()[g][1] == (f"{found:,} (RAM)" if found else "0"), g
    # the sort by Max batch puts the offloaded rows by their own
    win.fit_panel.view.sortByColumn(col, QtCore.Qt.SortOrder.DescendingOrder)
    order = [cells()[model.gpu_id(r)][1] for r in range(model.rowCount()) if model.gpu_id(r) in offloaded]
    counts = [int(c.split()[0].replace(",", "")) for c in order]
    assert counts == sorted(counts, reverse=True)


def test_stages_with_system_ram_plan_in_the_window(qtbot, win):
    # vLLM on 4 H100s as 2 stages, with 256 GB of RAM entered: Llama 3.1 405B FP8 does not fit the cards and is planned
    # (tests/test_offload.py: as 4 cards in one group; each redraw raised before)
    p = win.panel
    pick(win, model="llama3.1-405b", gpu="h100-sxm", engine="vllm", weights="fp8")
    p.gpus.setValue(4)
    p.pipeline.setValue(2)
    p.ram.setValue(256)
    settle(qtbot, win)
    s = win.state.scenario
    assert (s.n_gpus, s.pipeline, s.weights) == (4, 2, "fp8")
    assert win.breakdown.verdict.text().startswith("OFFLOAD") and win.memory_chart.ram_limit.isVisible()


def test_moe_experts_in_ram_as_llama_servers_fit_places_them(qtbot, win):
    # Mixtral 8x7B Q4_K_M beside an RTX 4090 with 64 GB of RAM: current llama.cpp keeps the experts of as few layers
    # as needed in RAM, as llama-server's --fit places them (core.offload, hand-counted in tests/test_offload.py),
    # which the table's row, the badge's tooltip (llama.cpp's flags) and the strip's decode say; the box keeps every
    # layer's experts there (--cpu-moe)
    p = win.panel
    pick(win, model="mixtral-8x7b", weights="q4_k_m", engine="llamacpp")
    p.ram.setValue(64)
    settle(qtbot, win)
    plan = win.state.offload_plan()
    assert plan.level == "partial" and plan.cpu_layers == 0 and 0 < plan.cpu_moe_layers < 32
    row = dict(win.fit_panel.row_texts())["NVIDIA GeForce RTX 4090"]
    assert row == f"offloaded: {plan.cpu_moe_layers}/32 layers' experts on CPU"
    assert f"llama.cpp's flags for this split: -ngl 33 --n-cpu-moe {plan.cpu_moe_layers}" in \
        win.breakdown.verdict.toolTip()
    assert win.breakdown.values["decode"].text().startswith(f"{plan.decode_s * 1e3:,.1f} ms · ")
    # its tooltip names the hand-off of each layer whose experts the CPU runs (0.143 ms, measured:
    # tests/test_offload.py::test_moe_expert_offload_decode_matches_published_runs)
    assert f"Each of the {plan.cpu_moe_layers} layers whose experts the CPU runs adds 0.14 ms, handing its " \
        "activations to the CPU and back." in win.breakdown.tooltip("decode")
    # the box that says where the experts live: auto (as llama-server places them), the first N layers'
    # (--n-cpu-moe N, every layer on the card), or every layer's (--cpu-moe), at its top
    box = p.moe_in_ram
    assert box.isEnabled() and box.layers == 32 and box.text() == "auto (--fit)"
    box.setValue(8)
    settle(qtbot, win)
    eight = win.state.offload_plan()
    assert box.text() == "first 8 layers" and (eight.cpu_moe_layers, eight.ngl) == (8, 33)
    assert eight.tokens_per_s < plan.tokens_per_s          # (5 layers' in RAM is the fewest the card allows)
    assert dict(win.fit_panel.row_texts())["NVIDIA GeForce RTX 4090"] == "offloaded: 8/32 layers' experts on CPU"
    assert "Each of the 8 layers whose experts the CPU runs" in win.breakdown.tooltip("decode")
    for _ in range(30):                  # (the arrow's steps stop at the model's layers)
        box.stepUp()
    settle(qtbot, win)
    every = win.state.offload_plan()
    assert box.text() == "all 32 layers" and win.state.experts_on_cpu and win.state.n_cpu_moe is None
    assert every.cpu_moe_layers == 32 and every.tokens_per_s < eight.tokens_per_s
    assert dict(win.fit_panel.row_texts())["NVIDIA GeForce RTX 4090"] == "partly offloaded (experts on CPU)"
    box.setValue(box.AUTO)
    settle(qtbot, win)
    assert not win.state.experts_on_cpu and win.state.n_cpu_moe is None
    assert win.state.offload_plan().cpu_moe_layers == plan.cpu_moe_layers
    # a dense model has no experts to place: the box is greyed
    p.model.setCurrentIndex(p.model.findData("llama2-13b"))
    settle(qtbot, win)
    assert not box.isEnabled()


def test_pinned_host_memory_copies_faster(qtbot, win):
    # the *pinned* box beside System RAM (llama.cpp --no-mmap): op offload's copies of the part in RAM run at 84 %
    # of the card's link, not 30 % (both measured: tests/test_offload.py::test_op_offload_copies_at_the_measured_...)
    p = win.panel
    pick(win, model="llama2-70b", weights="q4_k_m", engine="llamacpp")
    p.ram.setValue(64)
    settle(qtbot, win)
    mapped = win.state.offload_plan()
    assert mapped.copy_share == 0.3 and not p.ram_flag.isChecked() and mapped.prompt_copy_bytes > 0
    p.ram_flag.setChecked(True)
    settle(qtbot, win)
    pinned = win.state.offload_plan()
    assert win.state.pinned and pinned.copy_share == 0.84
    on_card = mapped.prefill_s - mapped.prompt_copy_bytes / (mapped.link_bytes_per_s * 0.3)
    assert pinned.prefill_s == pytest.approx(on_card + pinned.prompt_copy_bytes / (pinned.link_bytes_per_s * 0.84),
                                             rel=1e-9)
    assert "(at an assumed 84% of its 32 GB/s link)" in win.breakdown.tooltip("prefill")


ROOT_PRESETS = Path(__file__).resolve().parents[2] / "presets"

APP_RUN = """
import json, sys
import vramgui.ui.app as app
seen = {}
def shot(win, path, size):      # (instead of saving a picture: what the window holds)
    s = win.state.scenario
    seen.update(name=s.model.name, weights=s.weights, picked=win.panel.model.currentData() == s.model.id,
                gpu=s.gpu.id, recent=[str(p) for p in win.recent_imports])
    if win.state.offload_asked:
        win.redraw()       # (the real screenshot turns the event loop, which runs the coalesced redraw)
        seen.update(ram=win.state.ram_gb, shown=win.panel.ram.value(), experts=win.state.experts_on_cpu,
                    bandwidth=win.state.ram_bandwidth_gb_s, bandwidth_box=win.panel.ram_bw.value(),
                    badge=win.breakdown.verdict.text(),
                    first=win.state.n_cpu_moe, box=win.panel.moe_in_ram.text(), pinned=win.state.pinned,
                    gib=win.state.cpu_offload_gib, gib_box=win.panel.weights_in_ram.text())
app.screenshot = shot
rc = app.main(sys.argv[1:])
print(json.dumps(dict(seen, rc=rc)))
"""


def _app(*argv):
    import json
    import os
    import subprocess
    import sys
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-c", APP_RUN, *argv], capture_output=True, text=True, env=env, timeout=120)
    return json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}, r.stderr


def test_vramgui_model_takes_a_model_file(tmp_path):
    """`vramgui --model PATH` opens the window on that file (a GGUF here: its own weights), the
    same as File → Import; a broken file is an error line naming the file, and no window."""
    gguf = write_gguf(tmp_path / "tiny.gguf", "Q8_0")
    seen, _ = _app("--model", str(gguf), "--gpu", "l4", "--screenshot", str(tmp_path / "x.png"))
    assert seen == {"name": "tiny-gguf", "weights": "file", "picked": True, "gpu": "l4",
                    "recent": [str(gguf.absolute())], "rc": 0}
    folder = tmp_path / "hf"
    write_safetensors(folder)
    seen, _ = _app("--model", str(folder), "--screenshot", str(tmp_path / "x.png"))
    assert seen["rc"] == 0 and seen["picked"] and seen["name"] != "Llama 2 7B"
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00")
    seen, err = _app("--model", str(bad), "--screenshot", str(tmp_path / "x.png"))
    assert seen == {"rc": 2} and err.startswith(f"vramgui: error: {bad}: field ") and "Traceback" not in err
    seen, err = _app("--model", "llama-2-7b", "--screenshot", str(tmp_path / "x.png"))
    assert seen == {"rc": 2} and "unknown model 'llama-2-7b' (did you mean: llama2-7b?)" in err


def test_vramgui_kv_dtype_wins_over_the_checkpoints_cache(tmp_path):
    """`vramgui --model PATH --engine vllm` opens a checkpoint whose Model Optimizer config asks for an FP8 cache
    with that cache, and the status bar says so; with --kv-dtype the cache asked for, and the status bar does not
    claim the checkpoint's (it said FP8 over an FP16 cache)."""
    import json
    (tmp_path / "config.json").write_text(json.dumps(load_catalog().model("llama3.1-8b").config))
    (tmp_path / "hf_quant_config.json").write_text(json.dumps({
        "producer": {"name": "modelopt", "version": "0.19.0"},
        "quantization": {"quant_algo": "FP8", "kv_cache_quant_algo": "FP8", "exclude_modules": ["lm_head"]}}))
    run = APP_RUN.replace("gpu=s.gpu.id,", "gpu=s.gpu.id, kv=s.kv_dtype, status=win.statusBar().currentMessage(),")
    import os
    import subprocess
    import sys
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")

    def opened(*flags):
        r = subprocess.run([sys.executable, "-c", run, "--model", str(tmp_path), "--engine", "vllm", *flags,
                            "--screenshot", str(tmp_path / "x.png")], capture_output=True, text=True, env=env,
                           timeout=120)
        return json.loads(r.stdout.strip().splitlines()[-1])
    seen = opened()
    assert (seen["rc"], seen["weights"], seen["kv"]) == (0, "fp8", "fp8") and "KV cache FP8" in seen["status"]
    seen = opened("--kv-dtype", "fp16")
    assert (seen["rc"], seen["weights"], seen["kv"]) == (0, "fp8", "fp16") and "KV cache" not in seen["status"]
    assert "weights FP8 (E4M3, per-tensor scale), as its quantization config states" in seen["status"]


def test_vramgui_gpu_takes_a_card_file(tmp_path):
    """`vramgui --gpu my-card.json` opens the window on a card of the user's (a GPU preset file, as
    `vramgui-cli --gpu-file` reads); a broken one is an error line naming the file and the field."""
    import json
    card = json.loads((ROOT_PRESETS / "gpus" / "l4.json").read_text(encoding="utf-8"))
    card.update(id="my-l4", name="My L4 (lab)")
    path = tmp_path / "my-l4.json"
    path.write_text(json.dumps(card), encoding="utf-8")
    seen, _ = _app("--gpu", str(path), "--model", "llama2-13b", "--screenshot", str(tmp_path / "x.png"))
    assert (seen["gpu"], seen["name"], seen["rc"]) == ("my-l4", "Llama 2 13B", 0)
    card["memory_mib"] = -5
    path.write_text(json.dumps(card), encoding="utf-8")
    seen, err = _app("--gpu", str(path), "--screenshot", str(tmp_path / "x.png"))
    assert seen == {"rc": 2} and str(path) in err and "memory_mib" in err and "Traceback" not in err


def test_vramgui_takes_the_machines_ram(tmp_path):
    """`vramgui --ram GB [--ram-bandwidth GB/S] [--experts-on-cpu | --n-cpu-moe N]` opens the window with the offload
    planned, as `vramgui-cli estimate --ram` plans it: Llama 2 70B Q4_K_M on an RTX 4090 with 64 GB, 46 of 80 layers on
    the card at 4,000 + 96 tokens without flash attention (tests/test_offload.py's hand count); a bad figure is an
    error line."""
    shot = str(tmp_path / "x.png")
    seen, _ = _app("--model", "llama2-70b", "--weights", "q4_k_m", "--engine", "llamacpp", "--attention", "eager",
                   "--prompt", "4000", "--output", "96", "--ram", "64", "--ram-bandwidth", "90", "--screenshot", shot)
    assert (seen["rc"], seen["ram"], seen["shown"], seen["bandwidth"], seen["experts"]) == (0, 64, 64, 90, False)
    assert seen["bandwidth_box"] == 90          # (the box said "platform default" while the plans took 90)
    assert seen["badge"] == "OFFLOAD 46/80"
    seen, _ = _app("--model", "mixtral-8x7b", "--weights", "q4_k_m", "--engine", "llamacpp", "--experts-on-cpu",
                   "--ram", "64", "--screenshot", shot)
    assert seen["experts"] and seen["ram"] == 64 and not seen["pinned"]
    seen, _ = _app("--model", "mixtral-8x7b", "--ram", "64", "--no-mmap", "--screenshot", shot)
    assert seen["pinned"]
    # --n-cpu-moe N: the first N layers' experts in RAM (N at or above the layers: every layer's, --cpu-moe)
    for n, want in (("6", (False, 6, "first 6 layers")), ("40", (True, None, "all 32 layers"))):
        seen, _ = _app("--model", "mixtral-8x7b", "--weights", "q4_k_m", "--engine", "llamacpp", "--n-cpu-moe", n,
                       "--ram", "64", "--screenshot", shot)
        assert (seen["experts"], seen["first"], seen["box"]) == want, n
    seen, err = _app("--ram", "-1", "--screenshot", shot)
    assert seen == {"rc": 2} and "--ram must be 0 to 8,192 GB" in err and "Traceback" not in err
    seen, err = _app("--n-cpu-moe", "-2", "--screenshot", shot)
    assert seen == {"rc": 2} and "--n-cpu-moe takes a number of layers" in err
    # --cpu-offload-gb GIB: vLLM's and SGLang's GiB a card keeps in RAM, in the Weights in RAM box under them: Llama
    # 3.1 70B AWQ beside an RTX 4090 with 20 of them (tests/test_offload.py: 18.3 GB needed there)
    seen, _ = _app("--model", "llama3.1-70b", "--weights", "awq-int4", "--engine", "vllm", "--ram", "64",
                   "--cpu-offload-gb", "20", "--screenshot", shot)
    assert (seen["rc"], seen["gib"], seen["gib_box"], seen["badge"]) == (0, 20, "20 GiB", "OFFLOAD 20.0 GIB")
    seen, err = _app("--cpu-offload-gb", "-3", "--screenshot", shot)
    assert seen == {"rc": 2} and "--cpu-offload-gb must be 0 to 8,192 GiB a card" in err


def test_vramgui_opens_a_model_released_quantized_in_its_release_format(tmp_path):
    """`vramgui --model gpt-oss-20b` opens with the MXFP4 experts it is released in (under llama.cpp their GGUF), as
    the picker sets them, and the next model gets the 16 bits back; --weights still chooses."""
    import json
    import os
    import subprocess
    import sys
    run = """
import json, sys
import vramgui.ui.app as app
seen = {}
def shot(win, path, size):
    seen.update(weights=win.state.scenario.weights)
    win.state.set_model("llama2-7b")
    seen.update(next=win.state.scenario.weights)
app.screenshot = shot
print(json.dumps(dict(seen, rc=app.main(sys.argv[1:]))))
"""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for args, weights in ((["--model", "gpt-oss-20b"], "mxfp4"), (["--model", "gpt-oss-20b", "--engine", "llamacpp"],
                                                                     "gguf-mxfp4"),
                          (["--model", "gpt-oss-20b", "--weights", "bf16"], "bf16")):
        r = subprocess.run([sys.executable, "-c", run, *args, "--screenshot", str(tmp_path / "x.png")],
                           capture_output=True, text=True, env=env, timeout=120)
        seen = json.loads(r.stdout.strip().splitlines()[-1])
        assert (seen["rc"], seen["weights"], seen["next"]) == (0, weights, "bf16" if weights == "bf16" else "fp16")


def test_a_mistral_params_json_imports_with_its_assumed_context(qtbot, win, tmp_path):
    # Mistral 7B v0.3's params.json (tests/data/mistral_params) names no context limit: the model is chosen,
    # the picker's provenance tooltip says what was assumed, and the memory chart's limit is that context
    import shutil
    folder = tmp_path / "Mistral-7B-Instruct-v0.3"
    folder.mkdir()
    shutil.copy(Path(__file__).parents[1] / "data" / "mistral_params" / "mistral-7b-instruct-v0.3.json",
                folder / "params.json")
    assert win.import_model(folder)
    settle(qtbot, win)
    s = win.state.scenario
    assert s.model.name == "Mistral-7B-Instruct-v0.3" and s.model.architecture.max_context == 128_000
    assert "params.json names no context limit: 128,000 tokens assumed" in win.panel.provenance.toolTip()
    assert not win.warnings


def test_vramgui_flags_that_ask_for_an_impossible_scenario_are_an_error_line(tmp_path):
    """Window flags whose scenario cannot be (vLLM with eager attention or llama.cpp's Q8_0 cache, seven cards in two
    stages) give one error line with the reason and no window, not a traceback."""
    for flags, reason in ((["--engine", "vllm", "--attention", "eager"], "vLLM has no eager attention"),
                          (["--engine", "vllm", "--kv-dtype", "q8_0"], "vLLM has no Q8_0 (llama.cpp) KV cache"),
                          (["--engine", "vllm", "--gpus", "7", "--pipeline", "2"],
                           "7 cards do not form 2 pipeline stages of equal size")):
        seen, err = _app(*flags, "--screenshot", str(tmp_path / "x.png"))
        assert seen == {"rc": 2} and err.startswith(f"vramgui: error: {reason}") and "Traceback" not in err, err
