"""Every malformed input gives one clear message naming the file (and the field); no other
exception escapes.  The corpus is tests/data/bad/ (written by its make_bad.py)."""

import json
import os
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vramgui.core.catalog import read_preset
from vramgui.core.errors import InputError
from vramgui.core.measured import load_measured
from vramgui.core.model_files import model_from_path, read_gguf, read_safetensors_header
from vramgui.core.presets import GPU, ModelPreset

BAD = Path(__file__).parent / "data" / "bad"
EXPECTED = json.loads((BAD / "expected.json").read_text())
LOADERS = {"model": model_from_path, "gpu": lambda p: read_preset(p, GPU),
           "modelpreset": lambda p: read_preset(p, ModelPreset), "measured": load_measured}


def test_corpus_is_large_enough():
    assert len(EXPECTED) >= 40


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_input(name):
    loader, message = EXPECTED[name]
    path = BAD / name
    with pytest.raises(InputError) as exc:
        LOADERS[loader](path)
    text = str(exc.value)
    assert str(path) in text and message in text, text
    assert "\n" not in text


def test_folder_where_a_file_was_expected(tmp_path):
    d = tmp_path / "model.safetensors"
    d.mkdir()
    with pytest.raises(InputError, match="is a folder"):
        read_safetensors_header(d)
    with pytest.raises(InputError, match="holds no config.json"):
        model_from_path(tmp_path)


def test_symlink_loop(tmp_path):
    a, b = tmp_path / "a.gguf", tmp_path / "b.gguf"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(InputError) as exc:
        model_from_path(a)
    assert str(a) in str(exc.value)


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads any file")
def test_unreadable_file(tmp_path):
    f = tmp_path / "config.json"
    f.write_text("{}")
    f.chmod(0)
    with pytest.raises(InputError, match="cannot"):
        model_from_path(f)


def test_index_with_path_traversal_and_missing_shard(tmp_path):
    idx = tmp_path / "model.safetensors.index.json"
    idx.write_text(json.dumps({"weight_map": {"w": "../../etc/passwd.safetensors"}}))
    with pytest.raises(InputError, match="beside the index"):
        model_from_path(idx)
    idx.write_text(json.dumps({"weight_map": {"w": "missing.safetensors"}}))
    with pytest.raises(InputError, match="no such file"):
        model_from_path(idx)
    idx.write_text(json.dumps({"weight_map": {}}))
    with pytest.raises(InputError, match="weight_map"):
        model_from_path(idx)


# --- fuzzing ---------------------------------------------------------------------------------

def _check(path: Path, reader) -> None:
    try:
        reader(path)
    except InputError:
        pass


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=256))
def test_fuzz_safetensors_random_bytes(tmp_path, blob):
    f = tmp_path / "f.safetensors"
    f.write_bytes(blob)
    _check(f, read_safetensors_header)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(length=st.integers(0, 2**64 - 1), header=st.binary(max_size=200), tail=st.binary(max_size=64))
def test_fuzz_safetensors_lengths(tmp_path, length, header, tail):
    f = tmp_path / "g.safetensors"
    f.write_bytes(struct.pack("<Q", length) + header + tail)
    _check(f, read_safetensors_header)


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                           max_leaves=12)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entry=st.dictionaries(st.sampled_from(["dtype", "shape", "data_offsets", "x"]), JSON_VALUES, max_size=4),
       data=st.integers(0, 64))
def test_fuzz_safetensors_entries(tmp_path, entry, data):
    f = tmp_path / "h.safetensors"
    header = json.dumps({"w": entry}).encode()
    f.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * data)
    _check(f, read_safetensors_header)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(version=st.sampled_from([2, 3]), n_t=st.integers(0, 2**64 - 1), n_kv=st.integers(0, 2**64 - 1),
       body=st.binary(max_size=300))
def test_fuzz_gguf(tmp_path, version, n_t, n_kv, body):
    f = tmp_path / "f.gguf"
    f.write_bytes(b"GGUF" + struct.pack("<IQQ", version, n_t, n_kv) + body)
    _check(f, read_gguf)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cfg=st.dictionaries(st.sampled_from(["model_type", "hidden_size", "num_hidden_layers", "num_attention_heads",
                                            "vocab_size", "intermediate_size", "num_key_value_heads", "head_dim",
                                            "sliding_window", "num_local_experts", "num_experts_per_tok",
                                            "kv_lora_rank", "tie_word_embeddings"]), JSON_VALUES, max_size=13))
def test_fuzz_config(tmp_path, cfg):
    f = tmp_path / "config.json"
    f.write_text(json.dumps(cfg))
    _check(f, model_from_path)
