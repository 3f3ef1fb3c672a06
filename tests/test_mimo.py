"""MiMo-V2-Flash: value heads narrower than query/key heads, windowed layers with twice the KV heads and sinks.

Its count is checked against transformers' own model in tests/test_transformers_counts.py (transformers' default
config is MiMo-V2-Flash's shape: 308,778,780,864); here Xiaomi's own config form and the cache, by hand."""

import json

import pytest

from vramgui.core import Scenario, estimate_memory
from vramgui.core.architecture import architecture_from_hf_config
from vramgui.core.errors import ConfigError
from vramgui.core.params import count_params
from vramgui.core.speed import decode_parts, speed_terms

# Xiaomi's config form (the keys its own modelling code reads; values as a public test pins them for a MiMo-V2.6-Flash
# checkpoint, the same geometry as MiMo-V2-Flash; max_position_embeddings set here): 48 layers,
# full attention at 0, 5, 11, ..., 47 with 4 KV heads, the other 39 windowed to 128 tokens with 8 and a sink per head,
# heads of 192 for q/k and 128 for v, one dense layer then 256 experts of 2048, 8 a token
RELEASE = {
    "model_type": "mimo_v2", "architectures": ["MiMoV2ForCausalLM"], "vocab_size": 152576, "hidden_size": 4096,
    "num_hidden_layers": 48, "num_attention_heads": 64, "num_key_value_heads": 4, "head_dim": 192,
    "v_head_dim": 128, "swa_num_attention_heads": 64, "swa_num_key_value_heads": 8, "swa_head_dim": 192,
    "swa_v_head_dim": 128, "rope_theta": 10_000_000.0, "swa_rope_theta": 10_000.0, "partial_rotary_factor": 0.334,
    "add_swa_attention_sink_bias": True, "add_full_attention_sink_bias": False, "sliding_window": 128,
    "hybrid_layer_pattern": [0 if i == 0 or (i + 1) % 6 == 0 else 1 for i in range(48)],
    "moe_layer_freq": [0] + [1] * 47, "intermediate_size": 16384, "moe_intermediate_size": 2048,
    "n_routed_experts": 256, "num_experts_per_tok": 8, "n_shared_experts": None, "scoring_func": "sigmoid",
    "topk_method": "noaux_tc", "max_position_embeddings": 262144, "layernorm_epsilon": 1e-6,
    "tie_word_embeddings": False,
}


def _preset(cfg):
    from vramgui.core.presets import ModelPreset
    return ModelPreset(id="mimo", name="MiMo-V2-Flash", family="MiMo", source="test", config=cfg)


def test_release_form_counts_as_transformers_builds_it():
    a = architecture_from_hf_config(RELEASE)
    assert a.model_type == "mimo_v2_flash" and (a.num_kv_heads, a.global_attention.num_kv_heads) == (8, 4)
    assert (a.sliding_window_layers, a.value_head_dim, a.sink_layers, a.moe.dense_layers) == (39, 128, 39, 1)
    # the same shape as transformers' MiMoV2FlashConfig default, whose model counts 308,778,780,864 (the model
    # card's 309B total, 15B active)
    p = count_params(a)
    assert p.total == 308_778_780_864
    assert p.active == pytest.approx(15e9, rel=0.04)      # 15.45 B with embedding and output layer
    # per layer by hand: q 4096 x 64 x 192, k and v 8 (windowed) or 4 (full) heads of 192 and 128, o 64 x 128 x 4096
    attn = 39 * (4096 * 64 * 192 + 4096 * 8 * (192 + 128) + 64 * 128 * 4096) \
        + 9 * (4096 * 64 * 192 + 4096 * 4 * (192 + 128) + 64 * 128 * 4096)
    assert p.attention == attn and p.biases == 39 * 64    # the windowed layers' sinks


def test_cache_by_hand(cat):
    # bf16 on one H200 with vLLM: the 9 full layers keep 4 KV heads of 192 (K) + 128 (V) per token, the 39 windowed
    # ones 8 of them for the last 128 tokens
    s = Scenario(model=_preset(RELEASE), gpu=cat.gpu("h200"), engine="vllm", weights="fp8", kv_dtype="bf16",
                 prompt_tokens=32_768, output_tokens=0)
    m = estimate_memory(s)
    full, windowed = 9 * 4 * (192 + 128) * 2, 39 * 8 * (192 + 128) * 2      # 23,040 and 199,680 bytes a token
    assert m.kv_bytes_per_token == full + windowed
    assert float(m.kv_cache) == pytest.approx(full * 32_768 + windowed * 128, rel=1e-12)
    # a decode step at 32,768 tokens reads that cache and attends with 64 heads of (192 + 128) per key
    t = speed_terms(s)
    step = decode_parts(t, 1, 32_768, 1.0, 0.0)
    assert float(step.attention_flops) == pytest.approx(2 * 64 * (192 + 128) * (9 * 32_768 + 39 * 128), rel=1e-12)


def test_release_form_defaults_and_bad_values(cat):
    # Xiaomi's code reads an absent layer pattern as every layer full, an absent moe_layer_freq as every layer dense
    bare = {k: v for k, v in RELEASE.items() if k not in ("hybrid_layer_pattern", "moe_layer_freq")}
    a = architecture_from_hf_config(bare)
    assert a.sliding_window_layers == 0 and a.moe.dense_layers == 48 and a.sink_layers == 0
    with pytest.raises(ConfigError, match="hybrid_layer_pattern.*48 entries of 0"):
        architecture_from_hf_config({**RELEASE, "hybrid_layer_pattern": [0, 2]}, source="config.json")
    with pytest.raises(ConfigError, match="add_full_attention_sink_bias"):
        architecture_from_hf_config({**RELEASE, "add_full_attention_sink_bias": True}, source="config.json")
    assert json.dumps(RELEASE)   # the dict is a plain config.json


def test_explain_panel_shows_both_head_widths(cat):
    from vramgui.core.explain import explain_items
    s = Scenario(model=_preset(RELEASE), gpu=cat.gpu("h200"), engine="vllm", weights="fp8", kv_dtype="bf16",
                 prompt_tokens=32_768)
    kv = {e.key: e for e in explain_items(s)}["kv_cache"]
    # the 9 full layers over the 32,768 tokens, the 39 windowed ones over their 128-token window
    assert kv.substituted.startswith("= (9 × 4 × (192 + 128) × 32,768 tokens + 39 × 8 × (192 + 128) × 128 tokens) × 2 "
                                     "bytes × 1 = 0.73 GiB")
    assert (9 * 4 * 320 * 32768 + 39 * 8 * 320 * 128) * 2 / 2**30 == pytest.approx(0.727, abs=0.001)


def test_gguf_reads_the_same_model(tmp_path):
    # llama.cpp's mimo2 keys as public GGUF fixtures of MiMo-V2-Flash give them: 48 layers and 3 MTP blocks after
    # them, a 0/1 window pattern and the KV heads per layer (8 windowed, 4 full), keys 192 and values 128 wide,
    # one leading dense layer
    from vramgui.core.model_files import ImportError_, gguf_config
    pattern = RELEASE["hybrid_layer_pattern"]
    meta = {"general.architecture": "mimo2", "mimo2.block_count": 51, "mimo2.nextn_predict_layers": 3,
            "mimo2.context_length": 262144, "mimo2.embedding_length": 4096, "mimo2.feed_forward_length": 16384,
            "mimo2.expert_feed_forward_length": 2048, "mimo2.expert_count": 256, "mimo2.expert_used_count": 8,
            "mimo2.expert_gating_func": 2, "mimo2.leading_dense_block_count": 1, "mimo2.attention.head_count": 64,
            "mimo2.attention.head_count_kv": [8 if x else 4 for x in pattern] + [8] * 3,
            "mimo2.attention.key_length": 192, "mimo2.attention.value_length": 128,
            "mimo2.attention.sliding_window": 128, "mimo2.attention.sliding_window_pattern": pattern + [1] * 3,
            "mimo2.attention.layer_norm_rms_epsilon": 1e-6, "tokenizer.ggml.tokens": 152576}
    a = architecture_from_hf_config(gguf_config(meta, tmp_path / "MiMo-V2-Flash-Q4_K_M.gguf"))
    assert count_params(a).total == count_params(architecture_from_hf_config(RELEASE)).total == 308_778_780_864
    with pytest.raises(ImportError_, match="mimo2.attention.head_count_kv.*one KV head count"):
        gguf_config({**meta, "mimo2.attention.head_count_kv": list(range(51))}, tmp_path / "bad.gguf")
