"""Scenario.key: the cache key the window and the fit table use instead of validated copies."""

import re

import pytest

from vramgui.core import Scenario, load_catalog
from vramgui.core.engines import ENGINES


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


def test_kept_keeps_the_last_used_values():
    from vramgui.core.scenario import kept
    made = []

    def make(name):
        return lambda: made.append(name) or name.upper()
    cache: list = []
    assert [kept(cache, k, make(k), 2) for k in ("a", "b", "a")] == ["A", "B", "A"]
    assert made == ["a", "b"]                  # the third ask found "a" kept
    # "a", used last, is kept when "c" comes in; "b", used before it, is the one let go
    assert kept(cache, "c", make("c"), 2) == "C" and [k for k, _ in cache] == ["c", "a"]
    assert kept(cache, "a", make("a"), 2) == "A" and made == ["a", "b", "c"]
    assert kept(cache, "b", make("b"), 2) == "B" and made == ["a", "b", "c", "b"]


@pytest.mark.parametrize("engine, name", [("vllm", "vLLM"), ("sglang", "SGLang"), ("mlx", "MLX (mlx-lm)")])
def test_eager_attention_is_refused_where_the_engine_has_none(engine, name):
    """vLLM's, SGLang's and MLX's attention is always fused (engines.NO_EAGER_ATTENTION): "eager" is refused with the
    reason; HF transformers, llama.cpp (without flash attention) and the generic profile take it."""
    from pydantic import ValidationError
    cat = load_catalog()
    base = dict(model=cat.model("llama3.1-8b"), gpu=cat.gpu("m4-max-64gb" if engine == "mlx" else "rtx4090"))
    with pytest.raises(ValidationError, match=re.escape(f"{name} has no eager attention")):
        Scenario(**base, engine=engine, attention="eager")
    assert Scenario(**base, engine=engine, attention="flash").attention_impl == "flash"
    for other in ("hf", "llamacpp", "generic"):
        assert Scenario(**base, engine=other, attention="eager").attention_impl == "eager"


@pytest.mark.parametrize("engine, kv, name", [("vllm", "q8_0", "vLLM has no Q8_0 (llama.cpp) KV cache"),
                                              ("sglang", "q4_0", "SGLang has no Q4_0 (llama.cpp) KV cache"),
                                              ("llamacpp", "fp8", "llama.cpp has no FP8 (E4M3/E5M2) KV cache"),
                                              ("ollama", "bf16", "Ollama has no BF16 KV cache"),
                                              ("mlx", "fp8", "MLX (mlx-lm) has no FP8 (E4M3/E5M2) KV cache")])
def test_a_cache_type_the_engine_has_no_flag_for_is_refused(engine, kv, name):
    """Each engine's cache flag takes its own types (engines.KV_TYPES: vLLM's and SGLang's --kv-cache-dtype auto and
    FP8, llama.cpp's --cache-type-k f32/f16/bf16 and block types, Ollama's OLLAMA_KV_CACHE_TYPE f16/q8_0/q4_0,
    mlx-lm's --kv-bits): another is refused with the reason; FP16 is every engine's; the generic profile and HF
    transformers take any."""
    from pydantic import ValidationError
    cat = load_catalog()
    base = dict(model=cat.model("llama3.1-8b"), gpu=cat.gpu("m4-max-64gb" if engine == "mlx" else "rtx4090"))
    with pytest.raises(ValidationError, match=re.escape(name)):
        Scenario(**base, engine=engine, kv_dtype=kv)
    assert Scenario(**base, engine=engine, kv_dtype="fp16").kv_dtype == "fp16"
    for other in ("generic", "hf"):
        assert Scenario(**base, engine=other, kv_dtype=kv).kv_dtype == kv


@pytest.mark.parametrize("engine, kv, attention, why", [
    # llama.cpp refuses a quantized V cache with -fa off (llama-context.cpp: 'V cache quantization requires
    # flash_attn'); Ollama then runs F16 whatever OLLAMA_KV_CACHE_TYPE asks
    ("llamacpp", "q8_0", "eager", "llama.cpp has no Q8_0 (llama.cpp) KV cache without flash attention"),
    ("ollama", "q4_0", "eager", "Ollama has no Q4_0 (llama.cpp) KV cache without flash attention"),
    # builds of 2023 quantize the K cache only (llama.cpp pulls 4309 / 4312: 'V cache quantization is not yet
    # supported'), with flash attention or not
    ("llamacpp-2023", "q8_0", None, "llama.cpp (no CUDA graphs) has no Q8_0 (llama.cpp) KV cache: builds of 2023"),
    ("llamacpp-2023", "bf16", "flash", "llama.cpp (no CUDA graphs) has no BF16 KV cache"),
])
def test_a_quantized_cache_needs_flash_attention_in_llamacpp(engine, kv, attention, why):
    from pydantic import ValidationError

    from vramgui.core.engines import kv_for
    cat = load_catalog()
    base = dict(model=cat.model("llama3.1-8b"), gpu=cat.gpu("rtx4090"), weights="q4_k_m", engine=engine)
    with pytest.raises(ValidationError, match=re.escape(why)):
        Scenario(**base, kv_dtype=kv, attention=attention)
    assert Scenario(**base, kv_dtype="fp16", attention=attention).kv_dtype == "fp16"
    assert kv_for(engine, kv, attention or ENGINES[engine].default_attention) == "fp16"
    # with flash attention (current llama.cpp's and Ollama's default) the block types are taken
    if engine != "llamacpp-2023":
        assert Scenario(**base, kv_dtype=kv).attention_impl == "flash"
        assert Scenario(**base, kv_dtype=kv, attention="flash").kv_dtype == kv
    # eager attention with an F16 cache, and other engines' eager with block types, as before
    assert Scenario(**{**base, "engine": "hf"}, kv_dtype="q8_0", attention="eager").kv_dtype == "q8_0"


def test_hf_runs_a_model_without_an_sdpa_path_eager_by_default():
    """transformers 5.24 falls back to eager where a model has no SDPA path and none is asked for
    (PreTrainedModel.get_correct_attn_implementation; Gemma2PreTrainedModel._supports_sdpa = False: soft-capped
    logits): HF's default attention is then eager, its prompt's scores counted, with a note; asked for, sdpa and flash
    stay; Llama and the other engines keep their defaults. Gemma 2 9B (16 heads) with a 4,096-token prompt: eager's
    transient peak holds the scores, 16 x 4,096² of them, at least 2 bytes each (the generic profile's 4: 1 GiB)."""
    from vramgui.core import estimate_memory
    from vramgui.core.report import attention_default_note
    cat = load_catalog()
    base = dict(model=cat.model("gemma2-9b"), gpu=cat.gpu("h100-sxm"), engine="hf", prompt_tokens=4096)
    default = Scenario(**base)
    assert default.attention_impl == "eager" and attention_default_note(default).startswith(
        "transformers 5.24 has no SDPA path for this model")
    assert float(estimate_memory(default).activations) == float(estimate_memory(Scenario(**base, attention="eager"))
                                                                .activations)
    sdpa = Scenario(**base, attention="sdpa")
    assert sdpa.attention_impl == "sdpa" and attention_default_note(sdpa) is None
    assert float(estimate_memory(default).activations) - float(estimate_memory(sdpa).activations) > 16 * 4096**2 * 2
    assert Scenario(**base, attention="flash").attention_impl == "flash"
    assert Scenario(**dict(base, model=cat.model("llama3.1-8b"))).attention_impl == "sdpa"
    assert Scenario(**dict(base, engine="vllm")).attention_impl == "flash"
    assert attention_default_note(Scenario(**dict(base, engine="vllm"))) is None
