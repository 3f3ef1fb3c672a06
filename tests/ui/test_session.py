"""The last session comes back; a corrupt settings file is reset with a notice; errors in
slots show a dialog and the app goes on."""

import json

import pytest
from PySide6 import QtCore

from vramgui.core import Scenario, load_catalog
from vramgui.ui import session
from vramgui.ui.main_window import MainWindow
from vramgui.ui.state import ScenarioState

pytestmark = pytest.mark.gui


def window(qtbot):
    cat = load_catalog()
    w = MainWindow(ScenarioState(cat, Scenario(model=cat.model("llama2-7b"), gpu=cat.gpu("rtx4090"))))
    qtbot.addWidget(w)
    return w


def test_round_trip(qtbot, tmp_path):
    store = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = window(qtbot)
    w.state.set_model("mixtral-8x7b")
    w.state.set_gpu("a100-80gb")
    w.state.update(weights="q4_k_m", engine="llamacpp", prompt_tokens=12345, cached_tokens=12000, batch=3,
                   host="desktop")
    w.state.update_training(method="qlora", lora_rank=32, grad_accum=8, allocator="expandable")
    w.state.set_offload(ram_gb=64, n_cpu_moe=12, pinned=True, ram_bandwidth_gb_s=89.6, cpu_offload_gib=20,
                        experts_only=True)
    w.state.set_compare(["h100-sxm"])
    w.state.set_price(2.49)
    session.save_session(w, store)
    fresh = window(qtbot)
    assert session.restore_session(fresh, store) == []
    s = fresh.state.scenario
    assert (s.model.id, s.gpu.id, s.weights, s.engine, s.prompt_tokens, s.cached_tokens, s.batch, s.host) == \
        ("mixtral-8x7b", "a100-80gb", "q4_k_m", "llamacpp", 12345, 12000, 3, "desktop")
    t = fresh.state.training
    assert (t.method, t.lora_rank, t.grad_accum, t.allocator) == ("qlora", 32, 8, "expandable")
    assert (fresh.state.ram_gb, fresh.state.experts_on_cpu, fresh.state.n_cpu_moe) == (64, False, 12)
    assert fresh.panel.moe_in_ram.value() == 12 and fresh.panel.moe_in_ram.text() == "first 12 layers"
    assert fresh.state.pinned and fresh.panel.ram_flag.isChecked() and fresh.panel.ram_flag.text() == "pinned"
    # the RAM's bandwidth (it was dropped: the plans came back at the platform's default), shown in its box too
    assert fresh.state.ram_bandwidth_gb_s == 89.6 and fresh.panel.ram_bw.value() == 89.6
    assert [g.id for g in fresh.state.compare] == ["h100-sxm"]
    assert fresh.state.price == 2.49 and fresh.panel.price.value() == 2.49
    # vLLM's GiB of weights in RAM (--cpu-offload-gb), shown in its box once the engine is vLLM
    assert fresh.state.cpu_offload_gib == 20
    fresh.state.update(weights="bf16", engine="vllm")
    assert fresh.panel.weights_in_ram.text() == "20 GiB"
    # ... with the experts alone there (--cpu-offload-params), the box beside System RAM under vLLM
    box = fresh.panel.ram_flag
    assert fresh.state.experts_only and box.isChecked() and box.text() == "experts only"


def test_the_described_machine_comes_back(qtbot, tmp_path):
    # the My machine tab as the user described it; one never edited is not saved and follows the plan next time
    store = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = window(qtbot)
    session.save_session(w, store)
    assert "machine" not in json.loads(store.value("session/scenario"))
    mt = w.machine_tab
    mt.gpu.setCurrentIndex(mt.gpu.findData("rtx3090"))
    mt.gpus.setValue(2)
    mt.ram.setValue(96)
    mt.context.setValue(8192)
    mt.engine.setCurrentIndex(mt.engine.findData("vllm"))
    mt.experts_only.setChecked(True)        # (checked under vLLM, kept, greyed, under HF transformers)
    mt.engine.setCurrentIndex(mt.engine.findData("hf"))
    mt.host.setCurrentIndex(mt.host.findData("desktop"))
    mt.runner.setCurrentIndex(mt.runner.findData("ollama"))
    mt.pinned.setChecked(True)
    mt.ram_bw.setValue(89.6)
    session.save_session(w, store)
    fresh = window(qtbot)
    assert session.restore_session(fresh, store) == []
    assert fresh.machine_tab.described and fresh.machine_tab.description() == {
        "gpu": "rtx3090", "n_gpus": 2, "ram_gb": 96, "context": 8192, "engine": "hf", "host": "desktop",
        "gguf_engine": "ollama", "pinned": True, "ram_bandwidth_gb_s": 89.6, "experts_only": True}
    assert not fresh.machine_tab.experts_only.isEnabled()
    # a session saved before the GGUF runner, the pinning, the RAM's bandwidth and the experts-only box existed names
    # none: llama.cpp, mapped pages, the platform's default, vLLM's default offload
    data = json.loads(store.value("session/scenario"))
    del data["machine"]["gguf_engine"], data["machine"]["pinned"], data["machine"]["ram_bandwidth_gb_s"]
    del data["machine"]["experts_only"]
    store.setValue("session/scenario", json.dumps(data))
    older = window(qtbot)
    assert session.restore_session(older, store) == []
    assert older.machine_tab.description()["gguf_engine"] == "llamacpp"
    assert older.machine_tab.description()["pinned"] is False
    assert older.machine_tab.description()["ram_bandwidth_gb_s"] is None
    assert older.machine_tab.description()["experts_only"] is False
    fresh.show()
    qtbot.waitExposed(fresh)
    fresh.tabs.setCurrentIndex(1)       # a visit keeps it (the plan's card is an RTX 4090)
    assert fresh.machine_tab.gpu.currentData() == "rtx3090" and fresh.state.scenario.gpu.id == "rtx4090"


@pytest.mark.parametrize("machine", [
    {"gpu": "no-such-card", "n_gpus": 1, "ram_gb": 64, "context": 4096, "engine": "vllm", "host": None},
    {"gpu": "rtx4090", "n_gpus": 1, "ram_gb": 64, "context": 10**9, "engine": "vllm", "host": None},
    {"gpu": "rtx4090", "n_gpus": True, "ram_gb": 64, "context": 4096, "engine": "vllm", "host": None},
    {"gpu": "rtx4090", "n_gpus": 1, "ram_gb": 64, "context": 4096, "engine": "llamacpp", "host": None},
    {"gpu": "rtx4090", "n_gpus": 1, "ram_gb": "64", "context": 4096, "engine": "vllm", "host": None},
    {"gpu": "rtx4090", "n_gpus": 1, "ram_gb": 64, "context": 4096, "engine": "vllm", "host": None,
     "gguf_engine": "vllm"},
    {"gpu": "rtx4090", "n_gpus": 1, "ram_gb": 64, "context": 4096, "engine": "vllm", "host": None, "pinned": "yes"},
    {"gpu": "rtx4090", "n_gpus": 1, "ram_gb": 64, "context": 4096, "engine": "vllm", "host": None,
     "experts_only": 1},
    {"gpu": "rtx4090", "n_gpus": 1, "ram_gb": 64, "context": 4096, "engine": "vllm", "host": None,
     "ram_bandwidth_gb_s": 0},
    {"gpu": "rtx4090", "n_gpus": 1, "ram_gb": 64, "context": 4096, "engine": "vllm", "host": None,
     "ram_bandwidth_gb_s": "fast"},
    {"gpu": "rtx4090"}, ["rtx4090"]])
def test_a_saved_machine_that_does_not_hold_is_reset_with_a_notice(qtbot, tmp_path, machine):
    store = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = window(qtbot)
    session.save_session(w, store)
    data = json.loads(store.value("session/scenario"))
    data["machine"] = machine
    store.setValue("session/scenario", json.dumps(data))
    fresh = window(qtbot)
    before = fresh.machine_tab.description()
    assert session.restore_session(fresh, store) == [
        "the machine described in the last session was not valid and was reset"]
    assert not fresh.machine_tab.described and fresh.machine_tab.description() == before


def test_corrupt_settings_are_reset_with_a_notice(qtbot, tmp_path):
    path = tmp_path / "bad.ini"
    store = QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat)
    store.setValue("session/scenario", "{not json")
    store.sync()
    w = window(qtbot)
    before = w.state.scenario
    notes = session.restore_session(w, QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat))
    assert notes and "corrupt and was reset" in notes[0]
    assert w.state.scenario == before


def test_a_saved_price_out_of_range_is_clamped_or_dropped(qtbot, tmp_path):
    import json
    for saved, kept in ((1e12, 100_000.0), ("inf", None), (-3, None), ("nan", None), (0.75, 0.75)):
        store = QtCore.QSettings(str(tmp_path / "p.ini"), QtCore.QSettings.Format.IniFormat)
        store.setValue("session/scenario", json.dumps({"price_per_card_hour": saved}))
        w = window(qtbot)
        assert session.restore_session(w, store) == []
        assert w.state.price == kept and w.panel.price.value() == (kept or 0)


def test_missing_preset_and_bad_values(qtbot, tmp_path):
    import json
    store = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    store.setValue("session/scenario", json.dumps({"model": "gone-model", "gpu": "rtx4090",
                                                   "scenario": {"batch": -5, "prompt_tokens": "many"},
                                                   "ram_gb": "lots", "mode": "sideways", "n_cpu_moe": "half",
                                                   "ram_bandwidth_gb_s": -40, "cpu_offload_gib": "lots",
                                                   "experts_only": "yes"}))
    w = window(qtbot)
    notes = session.restore_session(w, store)
    text = " ".join(notes)
    assert "'gone-model' of the last session is no longer available" in text
    assert "not valid" in text and "RAM" in text
    assert "the saved place of the MoE experts was not a number of layers and was reset" in text
    assert w.state.n_cpu_moe is None
    assert "the saved RAM bandwidth was not a number of GB/s and was reset" in text
    assert w.state.ram_bandwidth_gb_s is None and w.panel.ram_bw.text() == "platform default"
    assert "the saved GiB of weights in RAM (--cpu-offload-gb) was not a number and was reset" in text
    assert w.state.cpu_offload_gib is None
    assert "the saved choice of the experts alone in RAM was not true or false and was reset" in text
    assert w.state.experts_only is False
    assert w.state.scenario.batch == 1 and w.state.mode == "inference"


def test_exception_hook_shows_the_error_logs_it_and_goes_on(qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(session, "show_error", lambda details, log: shown.append((details, log)))
    monkeypatch.setattr(session, "log_dir", lambda: tmp_path / "logs")
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        session.handle_exception(type(exc), exc, exc.__traceback__)
    assert shown and "boom in a slot" in shown[0][0]
    assert "boom in a slot" in (tmp_path / "logs" / "vramgui.log").read_text()
    w = window(qtbot)                      # the app still works
    w.state.update(prompt_tokens=2048)
    assert w.state.scenario.prompt_tokens == 2048


def test_a_bad_fine_tuning_value_loses_only_itself(qtbot, tmp_path):
    # a session file edited by hand (or by an older version): a gradient accumulation of -1 is skipped with the
    # notice, the job's other settings come back
    import json
    store = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = window(qtbot)
    w.state.update_training(method="lora", lora_rank=32, lora_targets="q,k,v,o")
    session.save_session(w, store)
    data = json.loads(store.value("session/scenario"))
    data["training"]["grad_accum"] = -1
    store.setValue("session/scenario", json.dumps(data))
    fresh = window(qtbot)
    notes = session.restore_session(fresh, store)
    assert notes == ["some settings of the last session were not valid and were skipped"]
    t = fresh.state.training
    assert (t.method, t.lora_rank, t.lora_targets, t.grad_accum) == ("lora", 32, ("q", "k", "v", "o"), 1)
    # an unchanged job restores without a notice (its targets saved as a list, held as a tuple)
    session.save_session(fresh, store)
    assert session.restore_session(window(qtbot), store) == []


def test_a_saved_scenario_the_engine_no_longer_takes_loses_only_that_setting(qtbot, tmp_path):
    """A session saved with llama.cpp, eager attention and a Q8_0 cache, which llama.cpp refuses (a quantized V cache
    needs flash attention: core.engines.KV_NEEDS_FLASH): the setting taken last of the two (the attention, saved after
    the cache) is skipped with the notice; the engine, the cache, the prompt and the cards come back (the whole
    scenario was dropped)."""
    store = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = window(qtbot)
    w.state.update(engine="vllm", n_gpus=8, pipeline=2, prompt_tokens=9000)
    session.save_session(w, store)
    data = json.loads(store.value("session/scenario"))
    assert data["scenario"]["pipeline"] == 2
    data["scenario"].update(engine="llamacpp", attention="eager", kv_dtype="q8_0", pipeline=1)
    store.setValue("session/scenario", json.dumps(data))
    fresh = window(qtbot)
    notes = session.restore_session(fresh, store)
    assert notes == ["some settings of the last session were not valid and were skipped"]
    s = fresh.state.scenario
    assert list(data["scenario"]).index("kv_dtype") < list(data["scenario"]).index("attention")
    assert (s.engine, s.attention, s.kv_dtype, s.prompt_tokens, s.n_gpus) == ("llamacpp", None, "q8_0", 9000, 8)
    # stages saved before their cards come back in the second pass (a fresh window starts with one card), beside a
    # cache vLLM has no flag for
    data["scenario"] = {"pipeline": 2, "engine": "vllm", "n_gpus": 8, "kv_dtype": "q8_0"}
    store.setValue("session/scenario", json.dumps(data))
    fresh = window(qtbot)
    session.restore_session(fresh, store)
    s = fresh.state.scenario
    assert (s.engine, s.n_gpus, s.pipeline, s.kv_dtype) == ("vllm", 8, 2, "fp16")
