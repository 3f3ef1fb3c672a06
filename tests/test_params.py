"""Parameter counts against published figures."""

import pytest

from vramgui.core import Scenario, architecture_from_hf_config, count_params, default_catalog
from vramgui.core.memory import memory_terms


@pytest.mark.parametrize("model, published, rel", [
    # Llama 2 paper / DESIGN §2: 6.74 B, 13.0 B, 69.0 B (GQA, 8 KV heads)
    ("llama2-7b", 6.74e9, 0.001), ("llama2-13b", 13.0e9, 0.002), ("llama2-70b", 69.0e9, 0.001),
    # Llama 3.1 model card: 8.03 B / 70.6 B / 405 B
    ("llama3.1-8b", 8.03e9, 0.001), ("llama3.1-70b", 70.6e9, 0.001), ("llama3.1-405b", 405.9e9, 0.002),
    # Qwen2.5 model cards "Number of Parameters": 0.49 B, 7.61 B, 72.7 B
    ("qwen2.5-0.5b", 0.49e9, 0.01), ("qwen2.5-7b", 7.61e9, 0.002), ("qwen2.5-72b", 72.7e9, 0.002),
    # Mistral AI: "Mistral 7B is a 7.3B parameter model"; Mixtral: 46.7 B total
    ("mistral-7b", 7.24e9, 0.002), ("mixtral-8x7b", 46.7e9, 0.002),
    # Phi-3 technical report: phi-3-mini 3.8 B; ChatGLM3-6B: 6.24 B (THUDM model card "6.2B")
    ("phi3-mini", 3.82e9, 0.005), ("chatglm3-6b", 6.24e9, 0.005),
    # DeepSeek-V2 paper: DeepSeek-V2-Lite has 15.7 B total parameters
    ("deepseek-v2-lite", 15.7e9, 0.005),
    # DeepSeek-V3 / R1 READMEs: 671 B (the checkpoint's 685 B adds the 14 B multi-token
    # prediction module, which inference does not load)
    ("deepseek-v3", 671e9, 0.001), ("deepseek-r1", 671e9, 0.001),
    # DeepSeek-V3.2: V3's 671 B plus the sparse-attention indexer's 0.85 B (61 layers × 13,959,424)
    ("deepseek-v3.2", 671e9 + 61 * 13_959_424, 0.0001),
    # GLM-5 technical report: 744 B total (the MTP layer apart)
    ("glm5", 744e9, 0.0005),
    # Qwen3 model cards "Number of Parameters": 235 B, 32.8 B, 14.8 B, 4.0 B
    ("qwen3-235b-a22b", 235e9, 0.002), ("qwen3-32b", 32.8e9, 0.002), ("qwen3-14b", 14.8e9, 0.003),
    ("qwen3-4b", 4.0e9, 0.0125),
    # Gemma 3 27B (nominal; the 417 M vision encoder is not part of the language model)
    ("gemma3-27b", 27e9, 0.005),
])
def test_total_params_match_published(cat, model, published, rel):
    assert count_params(cat.model(model).architecture).total == pytest.approx(published, rel=rel)


@pytest.mark.parametrize("model, active, rel", [
    ("mixtral-8x7b", 12.9e9, 0.01),      # Mistral AI: "uses only 12.9B parameters per token"
    ("qwen3-30b-a3b", 3.3e9, 0.02),      # Qwen3 model card: 3.3 B activated
    ("mixtral-8x22b", 39e9, 0.01),       # Mistral AI: 39 B active of 141 B
    ("qwen3-235b-a22b", 22e9, 0.01),     # Qwen3 model card: 22 B activated
    # DeepSeek-V3 README: 37 B activated (README_WEIGHTS.md: 36.7 B with embedding and head;
    # counted here: 3 dense + 58 MoE layers of 1 shared and 8 of 256 routed experts, MLA
    # attention, embedding and head = 37.55 B)
    ("deepseek-v3", 37e9, 0.02),
])
def test_active_params_of_moe(cat, model, active, rel):
    assert count_params(cat.model(model).architecture).active == pytest.approx(active, rel=rel)


def test_glm5_active_params():
    # GLM-5 technical report: 40 B activated. Counted: 3 dense + 75 MoE layers of 1 shared and 8 of 256 routed
    # experts (2,048 wide), MLA attention with its indexer, and the LM head: 40.83 B without the embedding lookup
    p = count_params(default_catalog().model("glm5").architecture)
    assert p.active - p.embedding == pytest.approx(40e9, rel=0.025)


def test_llama2_7b_by_hand():
    # 32 × (4·4096² + 3·4096·11008 + 2·4096) + 2·32000·4096 + 4096
    per_layer = 4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096
    expected = 32 * per_layer + 2 * 32000 * 4096 + 4096
    cfg = {"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008,
           "num_hidden_layers": 32, "num_attention_heads": 32}
    assert count_params(architecture_from_hf_config(cfg)).total == expected == 6_738_415_616


def test_gqa_tied_ungated_and_biases_by_hand():
    d, f, L, h, kv, V = 64, 256, 2, 8, 2, 1000
    dh = d // h
    cfg = {"model_type": "gpt_bigcode", "n_embd": d, "n_inner": f, "n_layer": L, "n_head": h, "vocab_size": V,
           "n_positions": 128, "multi_query": True, "layer_norm_epsilon": 1e-5}
    # MQA: one KV head; plain MLP with biases; layer norms with bias; tied LM head; learned positions
    attn = d * h * dh + 2 * d * 1 * dh + h * dh * d + (h * dh + 2 * dh) + d
    mlp = 2 * d * f + f + d
    norms = 2 * 2 * d
    expected = L * (attn + mlp + norms) + V * d + 128 * d + 2 * d
    assert count_params(architecture_from_hf_config(cfg)).total == expected
    cfg2 = {"model_type": "llama", "vocab_size": V, "hidden_size": d, "intermediate_size": f,
            "num_hidden_layers": L, "num_attention_heads": h, "num_key_value_heads": kv, "tie_word_embeddings": True}
    expected2 = L * (d * h * dh + 2 * d * kv * dh + h * dh * d + 3 * d * f + 2 * d) + V * d + d
    assert count_params(architecture_from_hf_config(cfg2)).total == expected2


def test_moe_active_counts_k_of_e_experts():
    d, f, L, E, k = 32, 64, 3, 8, 2
    cfg = {"model_type": "mixtral", "vocab_size": 100, "hidden_size": d, "intermediate_size": f,
           "num_hidden_layers": L, "num_attention_heads": 4, "num_key_value_heads": 2,
           "num_local_experts": E, "num_experts_per_tok": k}
    p = count_params(architecture_from_hf_config(cfg))
    assert p.experts == L * E * 3 * d * f
    assert p.router == L * d * E
    assert p.total - p.active == L * (E - k) * 3 * d * f


def test_mla_attention_by_hand():
    d, h, r, rope, nope, v = 64, 4, 16, 8, 16, 16
    cfg = {"model_type": "deepseek_v2", "vocab_size": 50, "hidden_size": d, "intermediate_size": 128,
           "num_hidden_layers": 1, "num_attention_heads": h, "kv_lora_rank": r, "q_lora_rank": None,
           "qk_rope_head_dim": rope, "qk_nope_head_dim": nope, "v_head_dim": v, "rms_norm_eps": 1e-6}
    a = architecture_from_hf_config(cfg)
    p = count_params(a)
    attn = d * h * (nope + rope) + d * (r + rope) + r * h * (nope + v) + h * v * d
    assert p.attention == attn
    assert p.norms == 2 * d + r + d


@pytest.mark.parametrize("model, published", [
    ("gemma2-2b", 2_614_636_800), ("gemma2-9b", 9_242_164_736), ("gemma2-27b", 27_227_718_144),
])
def test_gemma2_matches_report_up_to_padded_vocab(cat, model, published):
    # Gemma 2 report, Table 2 (embedding + non-embedding parameters).  The report counts a
    # 256,128-row embedding; the released checkpoints (config vocab_size) hold 256,000 rows.
    a = cat.model(model).architecture
    assert count_params(a).total + 128 * a.hidden_size == published


@pytest.mark.parametrize("model, checkpoint_bytes", [
    # bf16 checkpoints: model.safetensors.index.json "total_size" is 2 bytes a parameter
    ("phi4-14b", 29_319_014_400),           # microsoft/phi-4
    ("mistral-small-24b", 47_144_806_400),  # mistralai/Mistral-Small-24B-Instruct-2501
])
def test_count_equals_a_bf16_checkpoint(cat, model, checkpoint_bytes):
    assert count_params(cat.model(model).architecture).total * 2 == checkpoint_bytes


@pytest.mark.parametrize("model, layers, windowed", [("gemma3-4b", 34, 29), ("gemma3-12b", 48, 40),
                                                     ("gemma3-27b", 62, 52)])
def test_gemma3_five_local_layers_to_one_global(cat, model, layers, windowed):
    # Gemma 3 report: 5 local (1,024-token window) layers for every global one, starting
    # with a local layer: L // 6 global layers (4B: 5 of 34), the rest windowed
    a = cat.model(model).architecture
    assert (a.num_layers, a.sliding_window_layers, a.sliding_window) == (layers, windowed, 1024)


def test_gpt_oss_by_hand(cat):
    # gpt-oss-120b (config.json): d 2880, 36 layers, 64 query / 8 KV heads of 64, attention
    # biases and one sink per head, 128 experts of width 2880 (SwiGLU, with biases), top-4,
    # a router with bias, vocabulary 201,088, untied unembedding
    d, L, h, kv, dh, E, f, V = 2880, 36, 64, 8, 64, 128, 2880, 201088
    attn = d * h * dh + 2 * d * kv * dh + h * dh * d + (h * dh + 2 * kv * dh + d) + h
    expert = 3 * d * f + (2 * f + d)
    router = d * E + E
    layer = attn + E * expert + router + 2 * d
    expected = L * layer + 2 * V * d + d
    a = cat.model("gpt-oss-120b").architecture
    p = count_params(a)
    assert p.total == expected == 116_829_156_672
    # model card (arXiv 2508.10925) Table 1: 116.83 B total, 5.13 B active (unembedding
    # counted, embedding not); 20b: 20.91 B and 3.61 B
    assert p.active - p.embedding == L * (attn + 4 * expert + router + 2 * d) + V * d + d
    assert (p.active - p.embedding) / 1e9 == pytest.approx(5.13, abs=0.005)
    p20 = count_params(cat.model("gpt-oss-20b").architecture)
    assert p20.total / 1e9 == pytest.approx(20.91, abs=0.005)
    assert (p20.active - p20.embedding) / 1e9 == pytest.approx(3.61, abs=0.005)


@pytest.mark.parametrize("model, gib", [("gpt-oss-120b", 60.8), ("gpt-oss-20b", 12.8)])
def test_gpt_oss_mxfp4_checkpoint_size(cat, model, gib):
    # model card Table 1 "Checkpoint Size": experts in MXFP4 (4.25 bits), the rest bf16
    from vramgui.core import WEIGHT_FORMATS
    from vramgui.core.units import GIB
    from vramgui.core.weights import weight_bytes
    w = weight_bytes(cat.model(model).architecture, WEIGHT_FORMATS["mxfp4"])
    assert w.total / GIB == pytest.approx(gib, abs=0.05)


def test_llama4_by_hand(cat):
    # Llama 4 Maverick (config.json text_config): d 5120, 48 layers, 40 query / 8 KV heads of
    # 128, MoE on every second layer (interleave_moe_layer_step 2): 128 routed experts of width
    # 8192 plus one shared expert as wide, top-1; the other 24 layers a dense MLP of 16,384
    d, h, kv, dh, V = 5120, 40, 8, 128, 202048
    attn = d * h * dh + 2 * d * kv * dh + h * dh * d
    expert, dense = 3 * d * 8192, 3 * d * 16384
    moe_layer = attn + 128 * expert + expert + d * 128 + 2 * d
    dense_layer = attn + dense + 2 * d
    p = count_params(cat.model("llama4-maverick").architecture)
    L = 48     # 24 MoE and 24 dense layers
    assert p.total == L // 2 * moe_layer + L // 2 * dense_layer + 2 * V * d + d == 400_711_848_960
    # model card: "17B (Activated) 400B (Total)"; Scout "17B (Activated) 109B (Total)" - the
    # totals include the vision encoder, which the language model's count leaves out
    assert p.total == pytest.approx(400e9, rel=0.002)
    assert p.active == pytest.approx(17e9, rel=0.015)
    scout = count_params(cat.model("llama4-scout").architecture)
    assert scout.active == pytest.approx(17e9, rel=0.015)
    assert 107e9 < scout.total < 109e9


def test_noaux_tc_routing_has_a_score_bias_whatever_the_model_type(cat):
    # DeepSeek-V3-style routing ("topk_method": "noaux_tc") keeps one score-correction bias per
    # routed expert in every MoE layer: 58 layers × 256 experts = 14,848 parameters for V3.  A
    # model that reuses the architecture under its own model_type (Kimi K2: "kimi_k2") has them too.
    from vramgui.core import architecture_from_hf_config
    cfg = dict(cat.model("deepseek-v3").config)
    v3 = count_params(architecture_from_hf_config(cfg, source="v3")).total
    renamed = count_params(architecture_from_hf_config(dict(cfg, model_type="kimi_k2"), source="k2")).total
    greedy = count_params(architecture_from_hf_config(dict(cfg, model_type="kimi_k2", topk_method="greedy"),
                                                      source="k2")).total
    assert renamed == v3 == 671_026_419_200
    assert v3 - greedy == 58 * 256


def test_glm45_air_by_hand(cat):
    # GLM-4.5-Air (glm4_moe): attention_bias gives q/k/v a bias but not o_proj; every MoE layer's
    # router carries a per-expert score bias (e_score_correction_bias).  d 4096, 96 heads of 128,
    # 8 KV heads, layer 0 dense (f 10944), 45 MoE layers of 128 experts (1408 wide), 8 routed + 1 shared
    # per token, vocab 151,552 untied.  The multi-token-prediction layer is not counted.
    d, q, kv, V = 4096, 96 * 128, 8 * 128, 151552
    attention = d * q + 2 * d * kv + q * d + (q + 2 * kv)          # weights + q/k/v biases
    expert = 3 * d * 1408
    moe_layer = 129 * expert + 128 * d + 128                        # experts + shared, router + bias
    norms = 46 * 2 * d + d
    total = 46 * attention + 3 * d * 10944 + 45 * moe_layer + 2 * V * d + norms
    p = count_params(cat.model("glm4.5-air").architecture)
    assert p.total == total                                          # 106,852,251,264
    assert p.total == pytest.approx(106e9, rel=0.01)                 # model card: "106 billion total"
    active_body = 46 * attention + 3 * d * 10944 + 45 * (9 * expert + 128 * d + 128) + norms
    assert p.active - p.embedding - p.lm_head == active_body         # 12.18 B; card: "12 billion active"
    assert active_body == pytest.approx(12e9, rel=0.02)


def test_gemma4_full_attention_layers_have_their_own_heads(cat):
    # Gemma 4 31B: 50 windowed layers with 32 query and 16 KV heads of 256, 10 full-attention layers with 32
    # query heads and 4 KV heads of 512 whose key serves as value (no v_proj); q/k norms as wide as the heads;
    # four norms a layer; GeGLU MLP 21,504 wide; tied 262,144 × 5,376 embedding
    from vramgui.core import count_params
    d, f, V = 5376, 21504, 262_144
    local = d * 32 * 256 * 2 + 2 * d * 16 * 256 + 2 * 256
    full = d * 32 * 512 * 2 + d * 4 * 512 + 2 * 512
    by_hand = 50 * local + 10 * full + 60 * (3 * d * f + 4 * d) + V * d + d + 60   # + each layer's scalar
    # transformers' Gemma4ForCausalLM built from these values on the meta device: 30,697,345,280 parameters
    # and 60 layer_scalar buffers (stored in the checkpoint, and by llama.cpp as layer_output_scale)
    assert by_hand == 30_697_345_340 == count_params(cat.model("gemma4-31b").architecture).total
    # 26B A4B: every layer keeps its 2,112-wide dense MLP beside 128 GeGLU experts of 704 (top 8), a router
    # (2,816 × 128, a scale per expert and per channel) and the expert branch's three more norms
    a = cat.model("gemma4-26b-a4b").architecture
    d, V = 2816, 262_144
    local = d * 16 * 256 * 2 + 2 * d * 8 * 256 + 2 * 256
    full = d * 16 * 512 * 2 + d * 2 * 512 + 2 * 512
    layer_rest = 3 * d * 2112 + d * 128 + 128 + 8 * d
    experts = 3 * d * 704
    p = count_params(a)
    assert p.total == 25 * local + 5 * full + 30 * (layer_rest + 128 * experts + 1) + V * d + d == 25_233_141_790
    assert p.active == p.total - 30 * 120 * experts == 3_822_530_590          # the card's "3.8B active"


def test_gemma4_config_written_by_transformers_5_24(cat):
    """transformers 5.24 writes Gemma 4's full-attention heads as per_layer_config (each such layer's head_dim and
    num_key_value_heads) in place of global_head_dim and num_global_key_value_heads: 31B's re-saved config reads the
    same architecture, and layers that disagree are refused, naming the field."""
    from vramgui.core.architecture import ConfigError, architecture_from_hf_config
    m = cat.model("gemma4-31b")
    text = dict(m.config.get("text_config", m.config))
    full = [i for i, t in enumerate(text["layer_types"]) if t == "full_attention"]
    assert len(full) == 10
    written = {k: v for k, v in text.items() if k not in ("global_head_dim", "num_global_key_value_heads")}
    written["per_layer_config"] = {f"{i:02d}": {"head_dim": 512, "num_key_value_heads": 4} for i in full}
    a = architecture_from_hf_config(written)
    assert a.global_attention == m.architecture.global_attention
    assert (a.global_attention.head_dim, a.global_attention.num_kv_heads, a.global_attention.k_eq_v) == (512, 4, True)
    written["per_layer_config"]["05"] = {"head_dim": 256, "num_key_value_heads": 4}
    with pytest.raises(ConfigError) as err:
        architecture_from_hf_config(written, source="config.json")
    assert err.value.field == "per_layer_config" and "config.json" in str(err.value)


def test_gemma4_image_encoder(cat):
    from vramgui.core import count_params
    # Gemma 4's encoder: 27 blocks of bias-free q/k/v/o (4 × 1152²), a GeGLU MLP (3 × 1152 × 4304), four RMSNorms
    # and q/k norms of 72; a linear patch embedding 3 × 16² × 1152; a 2 × 10,240 × 1152 position table; the
    # standardizing scale and bias 2 × 1152 (569,550,384 as the extracted tower's config states); the projector
    tower = 27 * (4 * 1152**2 + 3 * 1152 * 4304 + 4 * 1152 + 2 * 72) + 3 * 16 * 16 * 1152 + 2 * 10240 * 1152 + 2 * 1152
    assert tower == 569_550_384
    assert count_params(cat.model("gemma4-31b").architecture).vision == tower + 1152 * 5376
    # E4B's smaller tower: 16 blocks of 768 (MLP 3,072, heads of 64), no standardizing, into 2,560
    # and, its linears clipped, input and output bounds (4 numbers) for each of a block's 7 matrices
    small = 16 * (4 * 768**2 + 3 * 768 * 3072 + 4 * 768 + 2 * 64 + 7 * 4) + 3 * 16 * 16 * 768 + 2 * 10240 * 768 \
        + 768 * 2560
    assert count_params(cat.model("gemma4-e4b").architecture).vision == small == 169_331_136


def test_gemma4_e4b_per_layer_embeddings_and_shared_caches_by_hand(cat):
    from vramgui.core import count_params
    # E4B: 42 layers of 2,560 (five windowed to one full); the last 18 reuse earlier layers' caches and have no
    # k/v projections or k norm: of the first 24, 20 windowed (8 query heads, 2 KV of 256) and 4 full (heads of
    # 512); of the 18 shared, 15 windowed and 3 full. Per-layer embeddings: a 262,144 × 42 × 256 table, the
    # hidden state's projection to 42 × 256, and per layer a gate 2,560 -> 256, a projection back and a norm
    a = cat.model("gemma4-e4b").architecture
    assert (a.kv_shared_layers, a.kv_shared_windowed, a.wide_mlp_layers) == (18, 15, 0)
    d, f, V, w, L = 2560, 10240, 262_144, 256, 42
    q = lambda head: d * 8 * head * 2        # noqa: E731 (q_proj and o_proj)
    kv = lambda head: 2 * d * 2 * head       # noqa: E731
    attention = 20 * (q(256) + kv(256)) + 15 * q(256) + 4 * (q(512) + kv(512)) + 3 * q(512)
    qk_norms = 35 * 256 + 7 * 512 + 20 * 256 + 4 * 512
    per_layer = V * L * w + d * L * w + L * 2 * d * w + w + L * d
    total = attention + qk_norms + L * (3 * d * f + 4 * d + 1) + V * d + d + per_layer   # + a scalar a layer
    # transformers' Gemma4ForCausalLM from these values on the meta device: 7,463,013,376 parameters + 42
    # layer_scalar buffers
    assert count_params(a).total == total == 7_463_013_418
    # E2B: the 20 layers sharing caches have MLPs twice as wide (6,144 -> 12,288); 4,628,569,344 parameters
    # and 35 layer scalars in transformers
    e2 = cat.model("gemma4-e2b").architecture
    assert (e2.kv_shared_layers, e2.kv_shared_windowed, e2.wide_mlp_layers) == (20, 16, 20)
    assert count_params(e2).total == 4_628_569_379


def test_llama4_image_encoder_by_hand(cat):
    # Llama 4's encoder: 34 blocks of 1,408 with biased q/k/v/o, a GELU MLP of 5,632 with biases and two LayerNorms;
    # a class token, 24² + 1 positions, a bias-free 3 × 14² × 1,408 patch embedding, LayerNorms before and after;
    # the pixel-shuffle adapter 5,632 -> 4,096 -> 4,096 and the projector 4,096 -> 5,120 (Scout's width).
    # transformers' Llama4ForConditionalGeneration on the meta device holds the same 871,932,416
    d, f, L = 1408, 5632, 34
    block = 4 * (d * d + d) + (d * f + f) + (f * d + d) + 4 * d
    tower = L * block + d + 577 * d + 3 * 14 * 14 * d + 4 * d + 5632 * 4096 + 4096 * 4096
    assert count_params(cat.model("llama4-scout").architecture).vision == tower + 4096 * 5120 == 871_932_416


def test_qwen2_5_vl_image_encoder_by_hand():
    # Qwen2.5-VL-7B's encoder: 32 blocks of 1,280 (fused biased qkv and projection, a gated MLP of 3,420 with biases,
    # two RMSNorms), a bias-free 3 × 2 × 14² × 1,280 patch convolution, the merger's RMSNorm and two biased matrices
    # over 2 × 2 patches (5,120 -> 5,120 -> 3,584). transformers' model on the meta device: 676,550,144
    from vramgui.core.architecture import _vision_from_hf
    vc = {"model_type": "qwen2_5_vl_vision", "depth": 32, "hidden_size": 1280, "intermediate_size": 3420,
          "num_heads": 16, "out_hidden_size": 3584, "patch_size": 14, "temporal_patch_size": 2,
          "spatial_merge_size": 2, "in_chans": 3}
    d, f = 1280, 3420
    block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * (d * f + f) + (f * d + d)
    merger = d + (5120 * 5120 + 5120) + (5120 * 3584 + 3584)
    encoder = _vision_from_hf(vc, {"model_type": "qwen2_5_vl"}, 3584, "config.json")
    assert encoder.exact and encoder.params == 32 * block + 3 * 2 * 14 * 14 * d + merger == 676_550_144


def _decilm_width(ffn_mult: float, d: int) -> int:
    """modeling_decilm.py's MLP width: two thirds of ffn_mult × d, truncated, rounded up to 256."""
    w = int(2 * ffn_mult * d / 3)
    return w + (-w % 256)


def test_nemotron_nas_layers_counted_one_by_one(cat):
    # Llama-3.3-Nemotron-Super-49B-v1 (its config.json as NVIDIA NeMo copies it): width 8,192, 64 query heads of
    # 128, vocabulary 128,256, untied; 80 layers, 49 with attention (n_heads_in_group 8: 8 KV heads) and a norm
    # before it, 31 without (no_op: neither); every layer a gated MLP (and its norm) by ffn_mult: 5.25 in 49
    # layers, 1.3125 in 10, 1.0 in 8, 2.625 in 6, 0.5 in 6, 3.28125 in 1
    d, V = 8192, 128256
    attention = 2 * d * d + 2 * d * 8 * 128 + d
    mults = {5.25: 49, 1.3125: 10, 1.0: 8, 2.625: 6, 0.5: 6, 3.28125: 1}
    assert [_decilm_width(m, d) for m in mults] == [28672, 7168, 5632, 14336, 2816, 17920]
    mlps = sum(n * (3 * d * _decilm_width(m, d) + d) for m, n in mults.items())
    a = cat.model("llama3.3-nemotron-super-49b").architecture
    p = count_params(a)
    assert p.total == 2 * V * d + d + 49 * attention + mlps == 49_867_145_216
    assert p.total == pytest.approx(49.87e9, abs=0.005e9)      # llama.cpp's load log: "model params = 49.87 B"
    assert (a.attention_layers, a.ffn_layers, a.num_kv_heads, a.intermediate_size) == (49, 80, 8, 28672)
    # the cache: 49 layers × K and V × 8 heads × 128 in bf16 (an unpruned Llama 3.3 70B: 80 layers, 327,680)
    s = Scenario(model=cat.model("llama3.3-nemotron-super-49b"), gpu=cat.gpu("h200"), engine="vllm", weights="bf16")
    assert memory_terms(s).kv_full == 49 * 2 * 8 * 128 * 2 == 200_704
    # fine-tuning: what a layer keeps for the backward pass (a frozen base, fused attention: the roped queries, keys,
    # values and output, SDPA's log-sum-exp; the gated MLP's 6f; each RMSNorm's fp32 input and inverse RMS 4d + 4),
    # each part with its norm in the share of the layers that have it: attention in 49 of 80, an MLP in all 80 at
    # their mean width (the empty attention blocks keep nothing)
    from vramgui.core.training import layer_activation_bytes
    sb, f = 2048, sum(n * _decilm_width(m, d) for m, n in mults.items()) / 80
    attn = sb * (2 * d + 4 * 8 * 128 + 2 * d + 4 * 64)
    mlp = 6 * sb * f
    norm = sb * (4 * d + 4)
    assert float(layer_activation_bytes(a, 2048, 1, "flash")) == pytest.approx(
        49 / 80 * (attn + norm) + mlp + norm, rel=1e-12)
    # Llama-3.1-Nemotron-Ultra-253B-v1: width 16,384, 128 heads; 162 layers, 64 with attention (n_heads_in_group 16:
    # 8 KV heads), 81 with an MLP (81 layers are empty: no_op both), ffn_mult by count as below (FFN fusion: four
    # MLPs 27.6-39 times wide). A contributor's spreadsheet in llama.cpp PR #12843 counts an attention layer at
    # 570,441,728 parameters and a 0.4875 MLP at 264,257,536, norms included
    d = 16384
    attention = 2 * d * d + 2 * d * 8 * 128 + d
    assert attention == 570_441_728 and 3 * d * _decilm_width(0.4875, d) + d == 264_257_536
    mults = {4.875: 34, 2.4375: 19, 1.95: 10, 1.4625: 6, 3.4125: 4, 2.925: 2, 0.4875: 1, 0.975: 1, 36.5625: 1,
             39.0: 1, 31.40625: 1, 27.5625: 1}
    assert sum(mults.values()) == 81
    mlps = sum(n * (3 * d * _decilm_width(m, d) + d) for m, n in mults.items())
    a = cat.model("llama3.1-nemotron-ultra-253b").architecture
    p = count_params(a)
    assert p.total == 2 * V * d + d + 64 * attention + mlps == 253_401_268_224
    # ik_llama.cpp's load log of a UD-Q3_K_XL file: "model params = 253.401 B", "repeating layers = ... 249.199 B
    # parameters" (all but the token table, the output layer and the final norm)
    assert p.total == pytest.approx(253.401e9, abs=0.0005e9)
    assert p.total - p.embedding - p.lm_head - d == pytest.approx(249.199e9, abs=0.0005e9)
    assert (a.attention_layers, a.ffn_layers, a.noop_blocks, a.intermediate_size) == (64, 81, 179, 425_984)
    # a decode step's per-layer costs count the blocks that run: 64 attention and 81 MLP blocks, 72.5 layers' worth
    # (not 162), and tensor parallel all-reduces after each of the 145
    from vramgui.core.speed import LAYER_S, STEP_OVERHEAD_S, fixed_step_s, speed_key, speed_terms
    s = Scenario(model=cat.model("llama3.1-nemotron-ultra-253b"), gpu=cat.gpu("h100-sxm"), engine="vllm",
                 weights="fp8", n_gpus=8)
    key = speed_key(s.profile, s.gpu)
    assert fixed_step_s(key, a) == pytest.approx(STEP_OVERHEAD_S.get(key, 0.0) + LAYER_S[key] * 72.5, rel=1e-12)
    assert speed_terms(s).allreduces == 145


def test_nemotron_nas_q4_k_m_file_and_bad_blocks(cat, tmp_path):
    from vramgui.core.errors import ConfigError
    from vramgui.core.formats import WEIGHT_FORMATS
    from vramgui.core.model_files import gguf_config
    from vramgui.core.weights import weight_bytes
    ultra = cat.model("llama3.1-nemotron-ultra-253b")
    # llama.cpp PR #12843, Ultra in Q4_K_M: "file size = 140.56 GiB (4.76 BPW)"; within 2 %
    q4 = weight_bytes(ultra.architecture, WEIGHT_FORMATS["q4_k_m"], count_params(ultra.architecture)).total
    assert q4 / 2**30 == pytest.approx(140.56, rel=0.02)
    # a llama.cpp deci GGUF holds the layout as per-layer arrays: no query heads for a layer without attention, no
    # MLP width for one without an MLP; it reads as the same model
    blocks = ultra.config["block_configs"]
    heads = [0 if b["attention"]["no_op"] else 128 for b in blocks]
    meta = {"general.architecture": "deci", "deci.block_count": 162, "deci.embedding_length": 16384,
            "deci.attention.head_count": heads, "deci.attention.head_count_kv": [h // 16 for h in heads],
            "deci.feed_forward_length": [0 if b["ffn"]["no_op"] else _decilm_width(b["ffn"]["ffn_mult"], 16384)
                                         for b in blocks],
            "deci.context_length": 131072, "deci.attention.key_length": 128, "deci.vocab_size": 128256}
    a = architecture_from_hf_config(gguf_config(meta, tmp_path / "Ultra-Q4_K_M.gguf"))
    assert count_params(a).total == 253_401_268_224 and a.num_kv_heads == 8 and a.attention_layers == 64
    # Nemotron-51B's linear stand-ins for attention (KV heads 0 beside query heads) are refused by field
    meta["deci.attention.head_count_kv"] = [0 if i == 0 else h // 16 for i, h in enumerate(heads)]
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(gguf_config(meta, tmp_path / "x.gguf"), source="x.gguf")
    assert "block_configs[0].attention.replace_with_linear" in str(e.value) and "x.gguf" in str(e.value)
    # a config.json with too few blocks, or attention layers with different KV heads, is refused naming the field
    cfg = dict(cat.model("llama3.3-nemotron-super-49b").config)
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(dict(cfg, block_configs=cfg["block_configs"][:79]), source="nas/config.json")
    assert "block_configs" in str(e.value) and "nas/config.json" in str(e.value)
    mixed = [dict(b, attention=dict(b["attention"], n_heads_in_group=4)) if i == 0 else b
             for i, b in enumerate(cfg["block_configs"])]
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(dict(cfg, block_configs=mixed), source="nas/config.json")
    assert "different KV heads" in str(e.value)


def test_qwen36_35b_a3b_equals_its_checkpoints_inventory(cat):
    # A header-only inspection of the released BF16 shards (a public reference document for Qwen3.6-35B-A3B,
    # section 2.7): token embedding 508,559,360 + 40 text decoder blocks 33,643,489,920 + final norm and lm_head
    # 508,561,408 (the MTP module and the vision tower apart); the 8 selected experts in place of the 256 give
    # 2,946,429,568 without the lm_head, whose 508,559,360 weights every token reads too.  Exact.
    p = count_params(cat.model("qwen3.6-35b-a3b").architecture)
    assert p.total == 508_559_360 + 33_643_489_920 + 508_561_408
    assert p.active == 2_946_429_568 + 508_559_360


def test_nemotron3_super_latent_moe_equals_its_checkpoints_headers(cat):
    # NVIDIA-Nemotron-3-Super-120B-A12B-BF16's safetensors headers (as a public parser's test records them): BF16
    # weights 123,611,012,096, of which the multi-token-prediction layer 2,942,324,736 (not loaded for plain decoding)
    # and the experts a token does not use 107,898,470,400; beside them F32 routing buffers, the 512 per-expert score
    # biases of each of the 40 MoE layers (and of the MTP layer's), which vramgui counts with the router.  The routed
    # experts work in the 1,024-wide latent (LatentMoE): 40 x (512 - 22) x (2 x 1,024 x 2,688) = 107,898,470,400.
    a = cat.model("nemotron3-super-120b-a12b").architecture
    assert a.moe.latent_size == 1024 and a.expert_width == 1024
    p = count_params(a)
    biases = 40 * 512
    assert p.total == 123_611_012_096 - 2_942_324_736 + biases
    assert p.total - p.active == 107_898_470_400
    assert p.experts == 40 * 512 * 2 * 1024 * 2688
    # the projections to the latent and back are read by every token, with the shared expert
    assert p.shared_experts == 40 * (2 * 4096 * 5376 + 2 * 4096 * 1024)


def test_gemma4_12b_unified_is_a_gemma4_text_model(cat):
    # Gemma 4 12B's text_config says "gemma4_unified_text", which transformers declares as Gemma4TextConfig under
    # another name: read so, its 48 layers are 40 sliding ones (8 KV heads of 256) and 8 global ones (1 KV head of
    # 512, keys reused as values), as SGLang's test of the released config asserts
    preset = cat.model("gemma4-12b")
    renamed = dict(preset.config, text_config=dict(preset.config["text_config"], model_type="gemma4_text"))
    a = preset.architecture
    assert a == architecture_from_hf_config(renamed)
    assert a.attention_groups == ((40, 256, 8, True, True), (8, 512, 1, True, False))
    # beside it the encoder-free embedders (no vision tower), by hand: a 1,120 x 2 x 3,840 position table, a LayerNorm
    # over a 48 x 48 x 3 patch's 6,912 pixels, their dense layer to 3,840 (with bias), two LayerNorms of 3,840, the
    # 3,840 -> 3,840 projection into the language model, and the audio frames' 640 -> 3,840: 52,379,904; with them
    # the model card's 11.95 B
    p = count_params(a)
    embedders = 1120 * 2 * 3840 + 2 * 6912 + 6912 * 3840 + 3840 + 2 * 2 * 3840 + 3840 * 3840 + 640 * 3840
    assert p.vision == embedders == 52_379_904
    assert p.total + p.vision == pytest.approx(11.95e9, rel=0.001)


@pytest.mark.parametrize(("model_id", "hidden", "heads", "kv_heads", "ffn", "safetensors_total"), [
    ("qwen3.5-0.8b", 1024, 8, 2, 3584, 873_438_784),
    ("qwen3.5-2b", 2048, 8, 2, 6144, 2_274_069_824),
    ("qwen3.5-4b", 2560, 16, 4, 9216, 4_659_865_088),
])
def test_qwen35_small_sizes_equal_their_checkpoints_totals(cat, model_id, hidden, heads, kv_heads, ffn,
                                                           safetensors_total):
    # The Hugging Face API's safetensors totals of the released checkpoints (quoted alike in several public
    # files: Qwen3.5-0.8B 873,438,784, 2B 2,274,069,824, 4B 4,659,865,088) hold the language model, the image
    # encoder and one multi-token-prediction layer, which vramgui leaves out (engines skip it unless speculative
    # decoding uses it).  That layer by hand: one full-attention block (queries doubled by the output gate, heads of
    # 256, per-head query/key norms of 256), its MLP, its two norms, the 2h -> h projection of the embedding and the
    # hidden state side by side, and three more norms.  The tied embedding counts once.  Exact.
    head = 256
    attention = hidden * heads * head * 2 + 2 * hidden * kv_heads * head + heads * head * hidden + 2 * head
    mtp = attention + 3 * hidden * ffn + 2 * hidden + 2 * hidden * hidden + 3 * hidden
    p = count_params(cat.model(model_id).architecture)
    assert p.total + p.vision + mtp == safetensors_total


def test_devstral2_equals_its_fp8_checkpoints_size(cat):
    # Ollama's catalog (ollama.com/api/tags, as a public gateway's model reference records it on 2026-06-30) gives
    # devstral-2:123b as 128,249,391,520 bytes: the released FP8 checkpoint, whose linear weights take one byte each
    # with one float32 scale per weight matrix (88 layers x 7), while the untied embedding and LM head and the norms
    # stay in BF16.  By hand from vramgui's count, exact.
    p = count_params(cat.model("devstral2-123b").architecture)
    norms = 88 * 2 * 12288 + 12288
    sixteen_bit = p.embedding + p.lm_head + norms
    assert p.embedding == p.lm_head == 131072 * 12288
    assert (p.total - sixteen_bit) * 1 + sixteen_bit * 2 + 88 * 7 * 4 == 128_249_391_520
