"""Scenario.key: the cache key the window and the fit table use instead of validated copies."""

import pytest

from vramgui.core import Scenario, load_catalog


@pytest.fixture(scope="module")
def s():
    cat = load_catalog()
    return Scenario(model=cat.model("llama2-7b"), gpu=cat.gpu("rtx4090"), prompt_tokens=4096, output_tokens=256)


def test_key_equals_the_key_of_the_validated_copy(s):
    for change in ({}, {"batch": 8}, {"prompt_tokens": 0, "batch": 1}, {"engine": "vllm"}, {"n_gpus": 2}):
        assert s.key(**change) == s.with_(**change).key()


def test_key_tells_every_setting_apart(s):
    cat = load_catalog()
    changes = {"model": cat.model("llama2-13b"), "gpu": cat.gpu("a100-80gb"), "n_gpus": 2, "pipeline": 2,
               "weights": "int8", "kv_dtype": "fp8", "engine": "vllm", "attention": "eager", "prompt_tokens": 1,
               "cached_tokens": 100, "output_tokens": 1, "batch": 2, "gpu_util": 0.5, "reserved_mib": 1.0,
               "node_cards": 4, "host": "desktop"}
    assert set(changes) == set(Scenario.model_fields)        # every field is tried
    keys = {name: s.key(**{name: value}) for name, value in changes.items()}
    values = list(keys.values())
    assert all(k != s.key() for k in values)
    assert all(a != b for i, a in enumerate(values) for b in values[i + 1:])
