"""User presets: atomic saves that survive a crash, override by id, removal."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from filemakers import write_gguf

from vramgui.core import load_catalog
from vramgui.core.catalog import data_dir, read_preset
from vramgui.core.model_files import model_from_path
from vramgui.core.presets import GPU, ModelPreset
from vramgui.core.user_presets import atomic_write, remove_preset, save_preset, user_dir


def custom_card(**kw) -> GPU:
    data = {"id": "my-card", "name": "My card", "vendor": "Me", "category": "custom", "memory_mib": 20480,
            "memory_mib_basis": "marketed", "memory_bandwidth_gb_s": 500.0, "fp16_tensor_tflops": 100.0,
            "sources": {"all": "entered by the user"}}
    return GPU.model_validate({**data, **kw})


def test_save_load_override_remove(tmp_path):
    path = save_preset(custom_card(), tmp_path)
    assert path == tmp_path / "gpus" / "my-card.json"
    assert read_preset(path, GPU) == custom_card()
    rtx = json.loads((data_dir("presets") / "gpus" / "rtx4090.json").read_text())
    save_preset(GPU.model_validate({**rtx, "memory_mib": 12000}), tmp_path)
    cat = load_catalog(user_dir=tmp_path)
    assert cat.gpu("my-card").memory_mib == 20480 and cat.gpu("rtx4090").memory_mib == 12000
    assert {"my-card", "rtx4090"} <= cat.user_ids
    assert remove_preset("gpus", "my-card", tmp_path) and not remove_preset("gpus", "my-card", tmp_path)
    with pytest.raises(ValueError, match="not a preset id"):
        remove_preset("gpus", "../x", tmp_path)


def test_imported_model_round_trips_with_its_exact_bytes(tmp_path):
    m = model_from_path(write_gguf(tmp_path / "t.gguf"))
    path = save_preset(m, tmp_path / "user")
    again = read_preset(path, ModelPreset)
    assert again.file_weights == m.file_weights and again.architecture == m.architecture


def test_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    save_preset(custom_card(), tmp_path)
    before = (tmp_path / "gpus" / "my-card.json").read_bytes()

    def crash(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(ValueError, match="cannot save: No space left"):
        save_preset(custom_card(memory_mib=1), tmp_path)
    assert (tmp_path / "gpus" / "my-card.json").read_bytes() == before
    assert [p.name for p in (tmp_path / "gpus").iterdir()] == ["my-card.json"]   # no temp file left


def test_killed_mid_save_leaves_the_old_file(tmp_path):
    """A child process is killed (SIGKILL) while it writes a large preset; the previous
    file must be intact and loadable."""
    target = tmp_path / "gpus" / "my-card.json"
    save_preset(custom_card(), tmp_path)
    before = target.read_bytes()
    code = textwrap.dedent(f"""
        import os, sys, vramgui.core.user_presets as up
        real_fsync = os.fsync
        def slow_fsync(fd):
            print("writing", flush=True)
            import time; time.sleep(30)          # killed here, before the rename
        os.fsync = slow_fsync
        up.atomic_write(__import__("pathlib").Path({str(target)!r}), "{{" + " " * 5_000_000)
    """)
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout.readline().strip() == "writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert target.read_bytes() == before
    assert read_preset(target, GPU) == custom_card()
    cat = load_catalog(user_dir=tmp_path)      # the stray temp file is not a preset
    assert cat.gpu("my-card").memory_mib == 20480 and not cat.problems


def test_user_dir_follows_the_platform(monkeypatch, tmp_path):
    monkeypatch.delenv("VRAMGUI_USER_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert user_dir() == tmp_path / "vramgui"
    monkeypatch.setenv("VRAMGUI_USER_DIR", str(tmp_path / "x"))
    assert user_dir() == tmp_path / "x"


def test_atomic_write_creates_folders(tmp_path):
    atomic_write(tmp_path / "a" / "b" / "c.json", "{}")
    assert (tmp_path / "a" / "b" / "c.json").read_text() == "{}"
