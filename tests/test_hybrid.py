"""Gated DeltaNet hybrids (Qwen3-Next, Qwen3.5): parameters, KV cache and recurrent state,
import from config.json and GGUF metadata, fit and decode.  Hand calculations in the tests."""

import numpy as np
import pytest

from vramgui.core import architecture_from_hf_config, count_params, estimate_memory
from vramgui.core.errors import ConfigError
from vramgui.core.fit import fit
from vramgui.core.memory import memory_terms
from vramgui.core.model_files import ImportError_, gguf_config

# Qwen3-Next-80B-A3B (the preset): d 2048, 48 layers, every 4th full attention (12), 36 Gated DeltaNet
D, L, V = 2048, 48, 151936
N_ATTN, N_LIN = 12, 36
H, H_KV, D_H = 16, 2, 256
HK, HV, DK, DV, K = 16, 32, 128, 128, 4
KEY_DIM, VALUE_DIM = HK * DK, HV * DV            # 2048, 4096
CONV_DIM = 2 * KEY_DIM + VALUE_DIM               # q, k, v through the convolution: 8192


def test_qwen3_next_parameters_by_hand(cat):
    # gated attention: q_proj yields the query and a gate (2 · h · d_h), k/v from 2 KV heads, o_proj back
    attention = D * 2 * H * D_H + 2 * D * H_KV * D_H + H * D_H * D
    # Gated DeltaNet: q/k/v/z projections, b/a per value head, output projection
    linear = D * (2 * KEY_DIM + 2 * VALUE_DIM) + D * 2 * HV + VALUE_DIM * D
    small = CONV_DIM * K + 2 * HV                 # depthwise conv kernel (no bias), A_log and dt_bias
    expert = 3 * D * 512
    moe = 512 * expert + expert + 512 * D + D     # routed + shared expert, router, shared-expert gate
    norms = L * 2 * D + N_ATTN * 2 * D_H + N_LIN * DV + D   # layer norms, q/k norms, gated norm, final
    total = N_ATTN * attention + N_LIN * (linear + small) + L * moe + 2 * V * D + norms
    p = count_params(cat.model("qwen3-next-80b-a3b").architecture)
    assert p.total == total == 79_674_391_296     # the count transformers builds from the config
    assert p.total == pytest.approx(80e9, rel=0.01)                      # model card: 80 B in total
    assert p.active == total - L * 502 * expert == 3_874_929_408          # 10 of 512 experts a token
    assert p.recurrent == N_LIN * small


@pytest.mark.parametrize("model, total, active", [
    # the counts transformers builds on the meta device from these configs (language model only)
    ("qwen3.5-9b", 8_953_803_264, 8_953_803_264), ("qwen3.5-35b-a3b", 34_660_610_688, 3_454_988_928)])
def test_qwen35_parameters_match_transformers(cat, model, total, active):
    p = count_params(cat.model(model).architecture)
    assert (p.total, p.active) == (total, active)


def test_qwen3_next_kv_and_state_by_hand(scenario):
    s = scenario("qwen3-next-80b-a3b", "h200", engine="llamacpp", weights="q4_k_m", prompt_tokens=8192,
                 output_tokens=0, batch=3)
    m = estimate_memory(s)
    kv_per_token = N_ATTN * 2 * H_KV * D_H * 2                      # 12 attention layers only: 24,576 B
    # llama.cpp keeps both states in f32: 3 × 8192 convolution inputs + 32 heads × 128 × 128 per layer
    state = N_LIN * (K - 1) * CONV_DIM * 4 + N_LIN * HV * DK * DV * 4   # 79,036,416 B = 75.4 MiB
    assert m.kv_bytes_per_token == kv_per_token
    assert m.state_bytes_per_seq == state
    n_ctx = 8192            # llama.cpp allocates the context (blocks of 256: 8192 already)
    assert float(m.kv_cache) == 3 * (n_ctx * kv_per_token + state)
    # as if every layer cached K and V: four times the KV and no state
    assert kv_per_token * L / N_ATTN == 98_304


def test_state_dtype_follows_the_config_or_the_engine(scenario):
    # SGLang (states in a pool of their own, each its size): convolution state and (without mamba_ssm_dtype) the
    # recurrent state in bf16: Qwen3-Next
    nxt = memory_terms(scenario("qwen3-next-80b-a3b", "h200", engine="sglang", weights="bf16"))
    assert nxt.state == N_LIN * ((K - 1) * CONV_DIM * 2 + HV * DK * DV * 2)
    # Qwen3.5 asks for a float32 recurrent state (mamba_ssm_dtype); its 27B has 48 value heads
    q27 = memory_terms(scenario("qwen3.5-27b", "h200", engine="sglang", weights="bf16"))
    conv = 2 * 16 * 128 + 48 * 128
    assert q27.state == 48 * (3 * conv * 2 + 48 * 128 * 128 * 4)
    # tensor parallel splits the heads, and with them the state and the KV heads (vLLM's pages too)
    for engine in ("sglang", "vllm"):
        one = memory_terms(scenario("qwen3-next-80b-a3b", "h200", engine=engine, weights="bf16"))
        tp = memory_terms(scenario("qwen3-next-80b-a3b", "h200", engine=engine, weights="bf16", n_gpus=2))
        assert tp.state == pytest.approx(one.state / 2) and tp.kv_full == pytest.approx(one.kv_full / 2)


def test_vllm_pages_the_states_in_its_kv_blocks():
    # A vLLM 0.17.0 server's log (a 2026-08-30 write-up of its KV cache): a 40-layer hybrid, 10 full-attention
    # layers with 2 KV heads of 256 in fp8 and 30 Gated DeltaNet layers (Qwen3.5 35B-A3B's shape: 16 key and 32
    # value heads of 128, fp32 recurrent state), 6.08 GiB of KV cache: "Setting attention block size to 2096
    # tokens", 304 blocks of ten layers, "GPU KV cache size: 159,296 tokens", "Maximum concurrency for 65,536
    # tokens per request: 8.00x".  By hand: one layer's state is 3 × (2 × 2,048 + 4,096) bf16 convolution inputs
    # + 32 × 128 × 128 fp32 = 2,146,304 bytes, a token of one attention layer 2 × 2 × 256 = 1,024 bytes, so the
    # block is 16 × ceil(2,146,304 / 16,384) = 2,096 tokens and the page 2,146,304 bytes (no padding); ten layers
    # a group: one attention group, three state groups; a sequence of 65,536 tokens takes ceil(65,536 / 2,096) = 32
    # blocks and, with that server's prefix caching ('align' mode), 2 per state group: 38.  vramgui follows vLLM's
    # later default, no prefix caching for hybrids: one state block a group, 35 (Qwen3.5-9B's 0.19 log, below)
    from vramgui.core import Scenario, load_catalog
    from vramgui.core.fit import kv_capacity_tokens, max_concurrency
    from vramgui.core.memory import state_paging
    cat = load_catalog()
    s = Scenario(model=cat.model("qwen3.5-35b-a3b"), gpu=cat.gpu("h100-sxm"), engine="vllm", weights="bf16",
                 kv_dtype="fp8", prompt_tokens=65536)
    paging = state_paging(s)
    assert (paging.block, paging.page, paging.group, paging.attention_groups, paging.state_groups,
            s.profile.state_blocks) == (2096, 2_146_304, 10, 1, 3, 1)
    m = estimate_memory(s)
    budget = 6.08 * 2**30 + float(m.weights + m.activations + m.overhead)     # 6.08 GiB left for the cache
    blocks = int(6.08 * 2**30 // (2_146_304 * 10))
    assert blocks == 304
    assert kv_capacity_tokens(s, budget) == 304 // 4 * 2096 == 159_296
    assert 304 / (32 + 2 * paging.state_groups) == pytest.approx(8.00, abs=0.005)       # the log's, 'align'
    assert max_concurrency(s, budget, 0) == pytest.approx(304 / 35, abs=0.005)          # without prefix caching
    # what a sequence holds: its context in whole blocks over the ten attention layers, a state page a layer
    t = memory_terms(s)
    assert float(m.kv_cache) == 32 * 2096 * 10 * 1024 + 3 * 10 * 2_146_304
    assert t.state == 3 * 10 * 2_146_304 and t.block == 2096
    # SGLang and llama.cpp keep each state at its size
    assert memory_terms(s.with_(engine="sglang")).state == 30 * 2_146_304
    # vLLM 0.19.0 serving Qwen/Qwen3.5-9B with its defaults (bf16, max model len 262,144, enable_prefix_caching=False;
    # a write-up of an offline run, 2026-04-07): "Setting attention block size to 528 tokens", "Padding mamba page
    # size by 0.76%", "Available KV cache memory: 20.27 GiB", "GPU KV cache size: 165,792 tokens", "Maximum
    # concurrency for 262,144 tokens per request: 2.52x".  Its 8 attention layers (4 KV heads of 256) and 24 Gated
    # DeltaNet layers hold the same 2,146,304-byte state over 4,096 bytes a token: 16 × ceil(32.75) = 528 tokens,
    # the page 2,162,688 (+0.76 %); groups of eight; 1,258 blocks (20.27 GiB): 1,258 // 4 × 528 tokens and
    # 1,258 / (ceil(262,144 / 528) + 3) sequences: one state block a group
    q = Scenario(model=cat.model("qwen3.5-9b"), gpu=cat.gpu("h100-sxm"), engine="vllm", weights="bf16",
                 prompt_tokens=262_144 - 256, output_tokens=256)
    _assert_vllm_log(q, (528, 2_162_688, 8, 1, 3), 2_146_304, 0.76, 1258, 20.27, 1258 // 4 * 528, 2.52)
    assert 1258 / (497 + 2 * 3) == pytest.approx(2.50, abs=0.005)         # (with 'align': not the log's)
    # Qwen3-Next (bf16 states): 36 × (3 × 8,192 + 32 × 128 × 128) × 2 bytes = 1,097,728 a layer, a token of one
    # of its 12 attention layers 2 × 2 × 256 × 2 = 2,048 bytes: blocks of 16 × ceil(1,097,728 / 32,768) = 544
    # tokens, the state padded to 544 × 2,048 = 1,114,112 bytes (+1.5 %); twelve layers a group, three state groups
    q = state_paging(Scenario(model=cat.model("qwen3-next-80b-a3b"), gpu=cat.gpu("h200"), engine="vllm",
                              weights="bf16"))
    assert (q.block, q.page, q.group, q.attention_groups, q.state_groups) == (544, 544 * 2048, 12, 1, 3)
    # the Mamba hybrids' states are paged the same way (below); Kimi Linear's (MLA beside KDA) and LFM2's short
    # convolutions keep theirs apart, each its size (no log of either)
    for model in ("kimi-linear-48b-a3b", "lfm2-1.2b"):
        assert state_paging(Scenario(model=cat.model(model), gpu=cat.gpu("h200"), engine="vllm")) is None


def _log_budget(s, blocks: int) -> float:
    """A card budget that leaves ``blocks`` of the scenario's paged KV blocks (and a byte more) for the cache."""
    m, t = estimate_memory(s), memory_terms(s)
    return blocks * t.block_bytes + 1 + float(m.weights + m.activations + m.overhead)


def _assert_vllm_log(s, layout: tuple, state: int, padding: float, blocks: int, available_gib: float,
                     tokens: int, concurrency: float) -> None:
    """A vLLM start-up log of a hybrid model, reproduced: the layout (block tokens, page bytes, layers a group,
    attention and state groups), one layer's ``state`` padded to the page by the printed ``padding`` (%), and
    ``blocks`` of cache (as many as the printed available GiB hold) giving the log's token and concurrency lines."""
    from vramgui.core.fit import kv_capacity_tokens, max_concurrency
    from vramgui.core.memory import state_paging
    paging = state_paging(s)
    assert (paging.block, paging.page, paging.group, paging.attention_groups, paging.state_groups) == layout
    assert round(100 * (paging.page / state - 1), 2) == padding
    assert blocks * memory_terms(s).block_bytes / 2**30 == pytest.approx(available_gib, abs=0.005)
    budget = _log_budget(s, blocks)
    assert kv_capacity_tokens(s, budget) == tokens
    assert max_concurrency(s, budget, 0) == pytest.approx(concurrency, abs=0.005)


def test_vllm_pages_nemotron_h_states_as_its_log_shows(scenario):
    # vLLM 0.19.1 serving Nemotron-Cascade-2-30B-A3B ("post-trained from Nemotron-3-Nano-30B-A3B-Base": the same
    # layers) in NVFP4 on one H100 of a Slurm gpu_h100 partition, kv_cache_dtype fp8, mamba_ssm_cache_dtype float32,
    # max_model_len 262,144 (an exported agent session, ses_236fa6617ffe4j4Ab3cP9X0e3b, 2026-04-26): "Setting
    # attention block size to 4176 tokens", "Padding mamba page size by 0.19%", "Add 1 padding layers", "Available
    # KV cache memory: 68.97 GiB", "GPU KV cache size: 4,819,104 tokens", "Maximum concurrency for 262,144 tokens per
    # request: 86.16x".  By hand: a Mamba layer's state is 3 × (4,096 + 2 × 8 × 128) bf16 convolution inputs + 64
    # heads × 64 × 128 float32 = 2,134,016 bytes, a token of an attention layer 2 × 2 × 128 fp8 = 512 bytes: the
    # block is 16 × ceil(2,134,016 / 8,192) = 4,176 tokens, the page 4,176 × 512 = 2,138,112 (+0.19 %); 6 attention
    # and 23 Mamba layers make groups of six, the Mamba layers padded to four groups (one layer added); a block of a
    # group is 6 pages.  The log's figures are those of 5,773 blocks (68.975 GiB: printed 68.97): 5,773 // 5 ×
    # 4,176 tokens, and 5,773 / (ceil(262,144 / 4,176) + 4 state blocks) sequences; no prefix caching, one
    # state block a group
    s = scenario("nemotron3-nano-30b-a3b", "h100-sxm", engine="vllm", weights="fp8", kv_dtype="fp8",
                 prompt_tokens=262_144 - 256, output_tokens=256)
    assert s.profile.state_blocks == 1
    _assert_vllm_log(s, (4176, 4176 * 512, 6, 1, 4), 2_134_016, 0.19, 5773, 68.97, 5773 // 5 * 4176, 86.16)
    assert 5773 // 5 * 4176 == 4_819_104 and 5773 / 67 == pytest.approx(86.16, abs=0.005)
    t = memory_terms(s)
    assert t.block_bytes == 6 * 2_138_112
    # what a sequence holds: its context in whole blocks over six attention layers, one state page a Mamba layer
    # (the padding layer's included)
    assert t.state == 4 * 6 * 2_138_112 and t.kv_full == 6 * 512
    # SGLang keeps each state at its size
    assert memory_terms(s.with_(engine="sglang")).state == 23 * 2_134_016


def test_vllm_pages_a_smaller_nemotron_h_and_granite_4_h_as_their_logs_show():
    # NVIDIA-Nemotron-3-Nano-4B-FP8 on vLLM 0.13.0 (NVIDIA's 26.01 container on a GB10), kv_cache_dtype fp8,
    # max_model_len 8,192 ("Updating mamba_ssm_cache_dtype to 'float16' for NemotronH model"), a user's docker log
    # of 2026-03-18: "Setting attention block size to 992 tokens", "Padding mamba page size by 0.35%", "Add 3
    # padding layers", "Available KV cache memory: 11.15 GiB", "GPU KV cache size: 208,320 tokens", "Maximum
    # concurrency for 8,192 tokens per request: 98.20x".  The model's shape as NVIDIA's Megatron-Bridge recipe
    # builds it (recipes/nemotronh/h100/nemotron_3_nano_4b.py): 42 blocks 'M-M-M-MM-M-M*-M-M*-M-M-M*-M-M-MM*-MMM-M-M-'
    # (21 Mamba, 4 attention), width 3,136, 40 heads, 8 KV heads of 128, Mamba 96 heads of 80, 8 groups, state 128.
    # By hand: a state 3 × (7,680 + 2 × 8 × 128) × 2 + 96 × 80 × 128 × 2 = 2,024,448 bytes, a token 2 × 8 × 128 =
    # 2,048 bytes in fp8: block 16 × ceil(2,024,448 / 32,768) = 992, page 2,031,616 (+0.35 %); groups of four,
    # 21 Mamba layers padded to 24 (three added); 1,473 blocks (11.148 GiB): 1,473 // 7 × 992 tokens and
    # 1,473 / (9 + 6) sequences
    from vramgui.core import Scenario, load_catalog
    from vramgui.core.memory import state_paging
    from vramgui.core.presets import ModelPreset
    cat = load_catalog()
    nano4 = {"model_type": "nemotron_h", "hidden_size": 3136, "intermediate_size": 12544, "num_attention_heads": 40,
             "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 131072, "tie_word_embeddings": False,
             "hybrid_override_pattern": "M-M-M-MM-M-M*-M-M*-M-M-M*-M-M-MM*-MMM-M-M-", "mamba_num_heads": 96,
             "mamba_head_dim": 80, "n_groups": 8, "ssm_state_size": 128, "conv_kernel": 4,
             "max_position_embeddings": 262144, "mamba_ssm_cache_dtype": "float16", "num_hidden_layers": 42}
    model = ModelPreset(id="nano4", name="Nemotron 3 Nano 4B", family="Nemotron", source="test", config=nano4)
    s = Scenario(model=model, gpu=cat.gpu("h100-sxm"), engine="vllm", weights="fp8", kv_dtype="fp8",
                 prompt_tokens=8192 - 256, output_tokens=256)
    _assert_vllm_log(s, (992, 992 * 2048, 4, 1, 6), 2_024_448, 0.35, 1473, 11.15, 1473 // 7 * 992, 98.20)
    assert 1473 // 7 * 992 == 208_320
    # ibm-granite/granite-4.0-h-1b in bf16 on vLLM 0.19.0 (an RTX 3060 12GB, max_model_len 4,096, a project's
    # write-up of its server, 2026-04-06): "Setting attention block size to 400 tokens", "Padding mamba page size by
    # 1.59%", "Available KV cache memory: 4.09 GiB", "GPU KV cache size: 53,200 tokens", "Maximum concurrency for
    # 4,096 tokens per request: 66.95x".  Its shape (copies of its config.json): 40 layers of width 1,536, attention
    # in layers 5, 15, 25 and 35 (12 heads, 4 KV heads of 128), Mamba 48 heads of 64, one group, state 128.  A state
    # 3 × (3,072 + 256) × 2 + 48 × 64 × 128 × 2 = 806,400 bytes, a token 2 × 4 × 128 × 2 = 2,048: block 400, page
    # 819,200 (+1.59 %); groups of four, nine of state; 1,339 blocks (4.086 GiB): 1,339 // 10 × 400 tokens,
    # 1,339 / (11 + 9) sequences
    kinds = ["attention" if i in (5, 15, 25, 35) else "mamba" for i in range(40)]
    g1b = {"model_type": "granitemoehybrid", "hidden_size": 1536, "intermediate_size": 4096, "num_hidden_layers": 40,
           "num_attention_heads": 12, "num_key_value_heads": 4, "vocab_size": 100352, "tie_word_embeddings": True,
           "layer_types": kinds, "mamba_n_heads": 48, "mamba_d_head": 64, "mamba_d_state": 128, "mamba_n_groups": 1,
           "mamba_d_conv": 4, "mamba_expand": 2, "num_local_experts": 0, "shared_intermediate_size": 4096,
           "position_embedding_type": "nope", "max_position_embeddings": 131072}
    model = ModelPreset(id="g1b", name="Granite 4.0-H 1B", family="Granite", source="test", config=g1b)
    s = Scenario(model=model, gpu=cat.gpu("rtx3060-12gb"), engine="vllm", weights="bf16", prompt_tokens=4096 - 256,
                 output_tokens=256)
    _assert_vllm_log(s, (400, 400 * 2048, 4, 1, 9), 806_400, 1.59, 1339, 4.09, 1339 // 10 * 400, 66.95)
    assert 1339 // 10 * 400 == 53_200
    # Falcon-H1 3B (attention and Mamba-2 side by side in all 32 layers; the transformers docs' table: width 2,560,
    # 2 KV heads of 128, 32 Mamba heads of 128, state 256) on vLLM 0.29.0 in bf16: "Setting attention block size to
    # 2080 tokens", "Padding mamba page size by 0.24%" (a 2026-09-15 research note): 3 × (4,096 + 2 × 256) × 2 + 32
    # × 128 × 256 × 2 = 2,124,800 bytes over 1,024 a token: 16 × ceil(129.7) = 2,080; one group of each kind
    h1 = {"model_type": "falcon_h1", "hidden_size": 2560, "intermediate_size": 6144, "num_hidden_layers": 32,
          "num_attention_heads": 10, "num_key_value_heads": 2, "head_dim": 128, "vocab_size": 65537,
          "mamba_d_ssm": 4096, "mamba_n_heads": 32, "mamba_d_head": 128, "mamba_d_state": 256, "mamba_n_groups": 1,
          "mamba_d_conv": 4, "mamba_expand": 2, "max_position_embeddings": 131072}
    model = ModelPreset(id="h1-3b", name="Falcon-H1 3B", family="Falcon", source="test", config=h1)
    paging = state_paging(Scenario(model=model, gpu=cat.gpu("rtx4090"), engine="vllm", weights="bf16"))
    assert (paging.block, paging.group, paging.attention_groups, paging.state_groups) == (2080, 32, 1, 1)
    assert paging.page / 2_124_800 - 1 == pytest.approx(0.0024, abs=0.00005)          # "by 0.24%"
    # Granite 4.0-H Small (the preset) on vLLM 0.11.1rc6 under ROCm, bf16 (ROCm/ROCm issue #5590): "Setting
    # attention block size to 528 tokens", "Padding mamba page size by 0.69%": 3 × (8,192 + 256) × 2 + 128 × 64 ×
    # 128 × 2 = 2,147,840 bytes over 2 × 8 × 128 × 2 = 4,096 a token: 16 × ceil(32.8) = 528
    paging = state_paging(Scenario(model=cat.model("granite4.0-h-small"), gpu=cat.gpu("h100-sxm"), engine="vllm",
                                   weights="bf16"))
    assert paging.block == 528 and paging.page / 2_147_840 - 1 == pytest.approx(0.0069, abs=0.00005)


def test_state_counts_once_per_sequence_in_concurrency(scenario):
    s = scenario("qwen3.5-27b", "h200", engine="sglang", weights="bf16", prompt_tokens=32000, output_tokens=768)
    f = fit(s)
    m = estimate_memory(s)
    room = f.budget_bytes - float(m.weights + m.activations + m.overhead)
    per_seq = 32768 * m.kv_bytes_per_token + m.state_bytes_per_seq
    assert f.max_concurrency == pytest.approx(room / per_seq, rel=1e-9)
    assert f.kv_capacity_tokens == (room - m.state_bytes_per_seq) // m.kv_bytes_per_token
    # and the batch the solver finds holds that many sequences' caches, one more does not
    assert abs(f.max_batch - f.max_concurrency) < 1.0


def test_decode_reads_and_writes_the_state(scenario):
    from vramgui.core.speed import decode_parts, speed_terms
    s = scenario("qwen3-next-80b-a3b", "h200", engine="vllm", weights="bf16")
    t = speed_terms(s)
    one, two = (decode_parts(t, 1, c, 1.0, 0.0).bytes_moved for c in (0, 1000))
    per_token = N_ATTN * 2 * H_KV * D_H * 2
    assert float(two - one) == pytest.approx(1000 * per_token)
    empty = decode_parts(t, np.array([1.0, 2.0]), 0, 1.0, 0.0).bytes_moved
    # one more sequence: its state read and written, plus the experts the second token touches
    state = N_LIN * ((K - 1) * CONV_DIM * 2 + HV * DK * DV * 2)
    assert float(empty[1] - empty[0]) > 2 * state


def test_import_reads_layer_types_and_rejects_a_bad_list():
    cfg = {"model_type": "qwen3_next", "hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4,
           "num_key_value_heads": 2, "head_dim": 64, "vocab_size": 1000, "intermediate_size": 512,
           "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 32,
           "linear_value_head_dim": 32, "linear_conv_kernel_dim": 4,
           "layer_types": ["linear_attention", "full_attention", "linear_attention", "full_attention"]}
    a = architecture_from_hf_config(cfg)
    assert (a.linear_attention.layers, a.attention_layers, a.attn_output_gate, a.qk_norm) == (2, 2, True, True)
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(dict(cfg, layer_types=["linear_attention"] * 3), source="m/config.json")
    msg = str(e.value)
    assert "m/config.json" in msg and "layer_types" in msg and "3 entries for 4 layers" in msg
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(dict(cfg, linear_num_value_heads=3), source="m/config.json")
    assert "multiple of linear_num_key_heads" in str(e.value)
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(dict(cfg, mamba_ssm_dtype="int8"), source="m/config.json")
    assert "mamba_ssm_dtype" in str(e.value)
    # without a list: transformers' default, every 4th layer is full attention
    b = architecture_from_hf_config({k: v for k, v in cfg.items() if k != "layer_types"} | {"num_hidden_layers": 8})
    assert (b.linear_attention.layers, b.attention_layers) == (6, 2)


def test_qwen35_wrapper_is_read_from_text_config(cat):
    preset = cat.model("qwen3.5-27b")
    assert preset.config["model_type"] == "qwen3_5" and "text_config" in preset.config
    a = preset.architecture
    assert (a.model_type, a.num_layers, a.attention_layers, a.linear_attention.state_bytes) == (
        "qwen3_5_text", 64, 16, 4)


def test_gguf_metadata_of_qwen3next_gives_the_hybrid(tmp_path, cat):
    # the keys llama.cpp's converter writes (Qwen3NextModel.set_gguf_parameters)
    meta = {"general.architecture": "qwen3next", "qwen3next.embedding_length": D, "qwen3next.block_count": L,
            "qwen3next.feed_forward_length": 5120, "qwen3next.attention.head_count": H,
            "qwen3next.attention.head_count_kv": H_KV, "qwen3next.attention.key_length": D_H,
            "qwen3next.context_length": 262144, "qwen3next.expert_count": 512, "qwen3next.expert_used_count": 10,
            "qwen3next.expert_feed_forward_length": 512, "qwen3next.expert_shared_feed_forward_length": 512,
            "qwen3next.ssm.conv_kernel": K, "qwen3next.ssm.state_size": DK, "qwen3next.ssm.group_count": HK,
            "qwen3next.ssm.time_step_rank": HV, "qwen3next.ssm.inner_size": VALUE_DIM,
            "qwen3next.full_attention_interval": 4, "qwen3next.rope.dimension_count": 64,
            "tokenizer.ggml.tokens": V}
    a = architecture_from_hf_config(gguf_config(meta, tmp_path / "Qwen3-Next-80B-A3B-Q4_K_M.gguf"))
    assert count_params(a).total == count_params(cat.model("qwen3-next-80b-a3b").architecture).total
    assert a.linear_attention.layers == N_LIN


def test_explain_names_the_state(scenario):
    from vramgui.core.explain import explain_items
    s = scenario("qwen3-next-80b-a3b", "h200", engine="llamacpp", weights="q4_k_m")
    kv = next(e for e in explain_items(s) if e.key == "kv_cache")
    assert "36 of the 48 layers are Gated DeltaNet" in kv.note and "75.4 MiB per sequence" in kv.note
    assert "2 × 12 × 2 × 256" in kv.substituted


def test_llamacpp_metal_gated_deltanet_layers_cost_a_prompt_pass_not_a_step(scenario):
    from vramgui.core import speed
    # Current builds run a Gated DeltaNet layer as one Metal kernel (GATED_DELTA_NET, b8299): a decode step pays
    # the layers' fixed cost only.  llama-bench tg128 of Qwen3.5-0.8B Q4_K_M on an M4 Max: 213 tokens/s with the
    # kernel (ggml-org/llama.cpp PR #20244), read within 5 %.  A prompt pass scans its tokens one after another:
    # 257 us a linear-attention layer a pass (Qwen3.5-0.8B's 18: 4.63 ms on each 512-token pass)
    s = scenario("qwen3.5-0.8b", "m4-max-128gb", engine="llamacpp", weights="q4_k_m", prompt_tokens=0)
    t = speed.speed_terms(s)
    assert float(t.pass_extra) == pytest.approx(18 * 257e-6, rel=1e-12)
    assert float(t.step_overhead) == pytest.approx(24 * speed.LAYER_S["llamacpp-metal"], rel=1e-12)
    step = float(speed.decode_step(s, 1, np.array([1]))[0][0])
    assert 1 / step == pytest.approx(213, rel=0.05)
    one, four = (float(np.ravel(speed.prefill_parts(t, np.array([p]), np.array([1]), 1.0, 0.0).pass_extra_s)[0])
                 for p in (512, 2048))
    assert one == pytest.approx(18 * 257e-6) and four == pytest.approx(4 * 18 * 257e-6)


@pytest.mark.parametrize("cfg", [
    {"model_type": "zamba2", "mamba_d_state": 64, "hidden_size": 4096},
    {"model_type": "rwkv7", "hidden_size": 4096},
    {"model_type": "some_new_hybrid", "mamba_num_heads": 128, "hidden_size": 4096},
    # Kimi Delta Attention layers in a family not read yet (Kimi K3, GLM-5 Next): refused by the key
    {"model_type": "kimi_k3", "linear_attn_config": {"kda_layers": [1], "full_attn_layers": [2]},
     "hidden_size": 4096},
])
def test_mamba_and_other_recurrent_hybrids_are_refused_by_name(cfg):
    # counted as plain transformers they would come out wildly wrong (every block an attention layer
    # with a KV cache and an MLP): refused, naming the file and the field
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(dict(cfg, num_hidden_layers=7, num_attention_heads=32, vocab_size=1000,
                                         intermediate_size=8192), source="nemo/config.json")
    msg = str(e.value)
    assert "nemo/config.json" in msg and "model_type" in msg and "not count those layers" in msg


def test_gguf_of_a_mamba_hybrid_is_refused(tmp_path):
    # an unknown architecture with a state (Zamba 2: shared attention blocks beside Mamba-2) is refused by its key
    meta = {"general.architecture": "zamba2", "zamba2.embedding_length": 1024, "zamba2.block_count": 4,
            "zamba2.feed_forward_length": 2048, "zamba2.attention.head_count": 8,
            "zamba2.attention.head_count_kv": 2, "zamba2.ssm.state_size": 64, "tokenizer.ggml.tokens": 1000}
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(gguf_config(meta, tmp_path / "zamba2.gguf"), source="zamba2.gguf")
    assert "ssm_state_size" in str(e.value) and "zamba2.gguf" in str(e.value)



def test_nemotron3_nano_parameters_by_hand(cat):
    # Nemotron 3 Nano 30B-A3B: 52 blocks, each one mixer or one MLP: 23 Mamba-2, 23 MoE, 6 attention
    d, V = 2688, 131072
    heads, head_dim, n, groups, k = 64, 64, 128, 8, 4
    d_inner, conv_dim = heads * head_dim, heads * head_dim + 2 * groups * n       # 4096, 6144
    mamba = d * (2 * d_inner + 2 * groups * n + heads) + d_inner * d                # in_proj (z, x, B, C, dt), out_proj
    mamba_small = conv_dim * k + conv_dim + 3 * heads       # conv weight and bias, A_log, D, dt_bias
    attention = d * 32 * 128 + 2 * d * 2 * 128 + 32 * 128 * d                      # 32 query, 2 KV heads of 128
    expert = 2 * d * 1856                                                          # squared-ReLU MLP: up and down
    moe = 128 * expert + 2 * d * 3712 + 128 * d + 128                               # + shared expert, router, its bias
    norms = 52 * d + 23 * d_inner + d                                               # block norms, gated norms, final
    total = 23 * (mamba + mamba_small) + 6 * attention + 23 * moe + 2 * V * d + norms
    p = count_params(cat.model("nemotron3-nano-30b-a3b").architecture)
    assert p.total == total == 31_577_940_288       # transformers builds 31,577,937,344 + 2,944 router biases
    assert p.total == pytest.approx(31.6e9, rel=0.002)       # "A 31.6B-parameter hybrid" (bf16: 63.2 GB)
    assert p.active == total - 23 * 122 * expert             # 6 of 128 experts a token: 3.58 B
    assert p.active == pytest.approx(3.5e9, rel=0.03)        # NVIDIA: "3.5B active parameters"


def test_nemotron3_nano_cache_is_six_layers_of_kv_and_a_mamba_state(scenario):
    s = scenario("nemotron3-nano-30b-a3b", "h100-sxm", engine="sglang", weights="bf16")
    t = memory_terms(s)
    assert t.kv_full == 6 * 2 * 2 * 128 * 2                  # 6,144 bytes a token: 6 attention layers, 2 KV heads
    # per sequence: 23 layers × (64 heads × 64 × 128 states in float32 (mamba_ssm_cache_dtype) + 3 × 6144
    # convolution inputs in bf16) = 49.1 MB, whatever the context (SGLang's pool; vLLM pads them to its pages:
    # test_vllm_pages_nemotron_h_states_as_its_log_shows)
    assert t.state == 23 * (64 * 64 * 128 * 4 + 3 * 6144 * 2)
    a = s.model.architecture
    assert (a.attention_layers, a.mamba.layers, a.moe_layers, a.dense_ffn_layers) == (6, 23, 23, 0)


# Granite 4.0-H's layout (ibm-granite/granite-4.0-h-tiny's shape, smaller): each layer a Mamba-2 or an
# attention mixer, and every layer its MoE and shared MLP whichever the mixer
GRANITE_H = {"model_type": "granitemoehybrid", "hidden_size": 512, "intermediate_size": 1024, "num_hidden_layers": 8,
             "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 49152, "tie_word_embeddings": True,
             "layer_types": ["mamba"] * 3 + ["attention"] + ["mamba"] * 3 + ["attention"], "mamba_n_heads": 8,
             "mamba_d_head": 128, "mamba_d_state": 128, "mamba_n_groups": 1, "mamba_d_conv": 4, "mamba_expand": 2,
             "num_local_experts": 8, "num_experts_per_tok": 2, "shared_intermediate_size": 512,
             "position_embedding_type": "nope", "max_position_embeddings": 131072}


def test_granite_4_h_parameters_by_hand():
    a = architecture_from_hf_config(GRANITE_H)
    d, V, L = 512, 49152, 8
    heads, head_dim, n, groups, k = 8, 128, 128, 1, 4
    d_inner, conv_dim = heads * head_dim, heads * head_dim + 2 * groups * n          # 1024, 1280
    mamba = (d * (2 * d_inner + 2 * groups * n + heads)   # in_proj: z, x, B, C, a time step per head
             + conv_dim * k + conv_dim                    # the causal convolution and its bias
             + 3 * heads + d_inner                        # A_log, D, dt_bias; the gated norm before out_proj
             + d_inner * d)                               # out_proj
    attention = d * 8 * 64 + 2 * d * 2 * 64 + 8 * 64 * d  # q, k, v (2 KV heads of 64), o
    ffn = 8 * 3 * 512 * 1024 + 8 * d + 3 * d * 512        # 8 experts (gate+up, down), router, shared MLP
    total = V * d + 6 * mamba + 2 * attention + L * (ffn + 2 * d) + d    # tied table, 2 norms a layer, final norm
    assert count_params(a).total == total == 143_765_648   # = transformers' GraniteMoeHybridForCausalLM (meta device)
    assert (a.mamba.layers, a.attention_layers, a.moe_layers, a.rope_table_elements) == (6, 2, 8, 0)
    # no experts (Granite 4.0-H Micro): every layer's MLP is the shared one
    dense = architecture_from_hf_config(dict(GRANITE_H, num_local_experts=0))
    assert dense.moe is None and dense.intermediate_size == 512 and dense.dense_ffn_layers == 8
    assert count_params(dense).total == total - L * (ffn - 3 * d * 512)
    # a config without the shared MLP's width has transformers' default, 1,024 (not none)
    unsaid = {k: v for k, v in GRANITE_H.items() if k != "shared_intermediate_size"}
    assert architecture_from_hf_config(unsaid).moe.shared_intermediate_size == 1024
    assert architecture_from_hf_config(dict(unsaid, num_local_experts=0)).intermediate_size == 1024


def test_granite_4_h_cache_is_its_attention_layers_and_a_mamba_state(scenario):
    from vramgui.core import Scenario, load_catalog
    from vramgui.core.presets import ModelPreset
    cat = load_catalog()
    preset = ModelPreset(id="granite-h-test", name="Granite H test", family="Granite", source="test",
                         config=GRANITE_H)
    s = Scenario(model=preset, gpu=cat.gpu("h100-sxm"), engine="sglang", weights="bf16", prompt_tokens=1000)
    t = memory_terms(s)
    assert t.kv_full == 2 * 2 * 2 * 64 * 2            # 2 attention layers × K and V × 2 KV heads × 64 × bf16
    # per sequence: 6 layers × (8 heads × 128 × 128 states + 3 × 1,280 convolution inputs), both in bf16
    assert t.state == 6 * (8 * 128 * 128 * 2 + 3 * 1280 * 2)
    # vLLM pads each to its page: blocks of 16 × ceil(269,824 / (16 × 512)) = 528 tokens (270,336 bytes a layer),
    # groups of two layers: one of attention, three of state, a state block each
    v = memory_terms(s.with_(engine="vllm"))
    assert (v.block, v.kv_full, v.state, v.groups) == (528, 2 * 512, 3 * 2 * 528 * 512, 4)


def test_granite_4_h_and_bamba_import_read_their_layer_kinds_and_reject_a_bad_list():
    # transformers 5 writes the kinds as linear_attention / full_attention; the released files say mamba / attention
    renamed = dict(GRANITE_H, layer_types=["linear_attention" if t == "mamba" else "full_attention"
                                           for t in GRANITE_H["layer_types"]])
    assert architecture_from_hf_config(renamed) == architecture_from_hf_config(GRANITE_H)
    auto = architecture_from_hf_config(dict(GRANITE_H, mamba_d_head="auto", mamba_n_heads=16))
    assert auto.mamba.head_dim == 2 * 512 // 16
    # Bamba: the same layers, its attention ones listed by number
    bamba = dict(GRANITE_H, model_type="bamba", attn_layer_indices=[3, 7], num_local_experts=0)
    del bamba["layer_types"]
    b = architecture_from_hf_config(bamba)
    assert (b.mamba, b.attention_layers, b.moe) == (architecture_from_hf_config(GRANITE_H).mamba, 2, None)
    for bad, field in ((dict(GRANITE_H, layer_types=["mamba", "attention"]), "layer_types"),
                       (dict(GRANITE_H, layer_types=["mamba"] * 7 + ["mlp"]), "layer_types"),
                       (dict(GRANITE_H, mamba_d_head="auto", mamba_n_heads=3), "mamba_n_heads"),
                       (dict(bamba, attn_layer_indices=[3, 8]), "attn_layer_indices")):
        with pytest.raises(ConfigError) as e:
            architecture_from_hf_config(bad, source="granite/config.json")
        assert field in str(e.value) and "granite/config.json" in str(e.value)


def _granite_gguf(**extra):
    # the keys llama.cpp's converter writes for GRANITE_H (GraniteHybridModel.set_gguf_parameters): the
    # per-layer KV heads (0 for a Mamba-2 layer), the Mamba heads as ssm.time_step_rank, mamba_expand × hidden
    # as ssm.inner_size, the experts' and the shared MLP's widths; no RoPE: a context of 2^20
    a = "granitehybrid"
    kv = [0 if t == "mamba" else 2 for t in GRANITE_H["layer_types"]]
    return {"general.architecture": a, f"{a}.block_count": 8, f"{a}.embedding_length": 512,
            f"{a}.context_length": 2**20, f"{a}.attention.head_count": 8, f"{a}.attention.head_count_kv": kv,
            f"{a}.feed_forward_length": 1024, f"{a}.attention.layer_norm_rms_epsilon": 1e-5,
            f"{a}.ssm.conv_kernel": 4, f"{a}.ssm.inner_size": 1024, f"{a}.ssm.state_size": 128,
            f"{a}.ssm.time_step_rank": 8, f"{a}.ssm.group_count": 1, f"{a}.expert_count": 8,
            f"{a}.expert_used_count": 2, f"{a}.expert_shared_feed_forward_length": 512,
            f"{a}.rope.scaling.finetuned": False, "tokenizer.ggml.tokens": 49152, **extra}


def test_granite_4_h_gguf_reads_its_layer_kinds_from_the_kv_heads(tmp_path):
    # llama.cpp names Granite 4.0-H and Bamba GGUFs granitehybrid: it was refused as an unknown Mamba hybrid
    tied = {"token_embd.weight", "blk.0.ssm_in.weight", "output_norm.weight"}      # (no output.weight: tied)
    a = architecture_from_hf_config(gguf_config(_granite_gguf(), tmp_path / "granite-4.0-h-tiny-Q4_K_M.gguf", tied))
    ref = architecture_from_hf_config(GRANITE_H)
    assert (a.mamba, a.attention_layers, a.moe, a.num_kv_heads) == (ref.mamba, 2, ref.moe, 2)
    assert count_params(a).total == count_params(ref).total and a.max_context == 2**20   # (llama.cpp's, no RoPE)
    # the dense Micro: the shared MLP alone, written as the layers' MLP
    dense = gguf_config(_granite_gguf(**{"granitehybrid.expert_count": 0}), tmp_path / "micro.gguf", tied)
    assert count_params(architecture_from_hf_config(dense)).total == \
        count_params(architecture_from_hf_config(dict(GRANITE_H, num_local_experts=0))).total
    # Bamba: neither experts nor a shared MLP; its attention layers by number
    b = gguf_config(_granite_gguf(**{"granitehybrid.expert_count": None,
                                     "granitehybrid.expert_shared_feed_forward_length": None}), tmp_path / "bamba.gguf")
    assert b["model_type"] == "bamba" and b["attn_layer_indices"] == [3, 7] and "tie_word_embeddings" not in b
    assert not gguf_config(_granite_gguf(), tmp_path / "x.gguf", tied | {"output.weight"})["tie_word_embeddings"]
    with pytest.raises(ImportError_, match="Mamba-2 heads") as e:
        gguf_config(_granite_gguf(**{"granitehybrid.ssm.time_step_rank": 3}), tmp_path / "bad.gguf")
    assert "granitehybrid.ssm.time_step_rank" in str(e.value)


def test_a_granite_4_h_gguf_file_imports(tmp_path):
    # a real file written with the gguf library: the metadata of _granite_gguf and two tensors (no output.weight)
    import gguf

    from vramgui.core.model_files import model_from_path
    path = tmp_path / "granite-h.gguf"
    w = gguf.GGUFWriter(str(path), "granitehybrid")
    for key, value in _granite_gguf().items():
        if key in ("general.architecture", "tokenizer.ggml.tokens"):
            continue
        if isinstance(value, list):
            w.add_array(key, value)
        elif isinstance(value, bool):
            w.add_bool(key, value)
        elif isinstance(value, float):
            w.add_float32(key, value)
        else:
            w.add_uint32(key, value)
    w.add_token_list([f"t{i}" for i in range(49152)])
    w.add_tensor("token_embd.weight", np.zeros((49152, 512), dtype=np.float16))
    w.add_tensor("output_norm.weight", np.ones(512, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    preset = model_from_path(path)
    a = preset.architecture
    assert (a.model_type, a.tie_embeddings, a.mamba.layers, a.attention_layers) == ("granitemoehybrid", True, 6, 2)
    assert preset.file_weights.total_bytes == 49152 * 512 * 2 + 512 * 4


def test_nemotron_h_import_reads_a_block_list_too():
    base = {"model_type": "nemotron_h", "hidden_size": 256, "vocab_size": 1000, "num_attention_heads": 4,
            "num_key_value_heads": 2, "head_dim": 64, "intermediate_size": 512, "mamba_num_heads": 8,
            "mamba_head_dim": 32, "ssm_state_size": 16, "n_groups": 2, "num_hidden_layers": 4}
    a = architecture_from_hf_config(dict(base, hybrid_override_pattern="M*M-"))
    b = architecture_from_hf_config(dict(base, layers_block_type=["mamba", "attention", "mamba", "mlp"]))
    assert a == b and (a.attention_layers, a.dense_ffn_layers, a.moe) == (1, 1, None)
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(dict(base, hybrid_override_pattern="M*X"), source="n/config.json")
    assert "hybrid_override_pattern" in str(e.value) and "n/config.json" in str(e.value)
    # Nemotron 3 Super's LatentMoE: the experts work in moe_latent_size (here 64 of 256), a projection down to it and
    # one back up beside them; by hand: 8 experts x (2 x 64 x 96) (relu2: up and down) and 2 x 256 x 64
    moe = dict(base, hybrid_override_pattern="ME", n_routed_experts=8, num_experts_per_tok=2, moe_intermediate_size=96)
    plain, latent = (architecture_from_hf_config(dict(moe, **extra)) for extra in ({}, {"moe_latent_size": 64}))
    assert (plain.expert_width, latent.expert_width, latent.moe.latent_size) == (256, 64, 64)
    pp, pl = count_params(plain), count_params(latent)
    assert (pp.experts, pl.experts) == (8 * 2 * 256 * 96, 8 * 2 * 64 * 96)
    assert pl.shared_experts - pp.shared_experts == 2 * 256 * 64


@pytest.mark.parametrize("fmt, gib, source", [
    # llama-bench's size column for Qwen3-Next 80B-A3B GGUF files (it prints 79.67 B params for all)
    ("q2_k", 27.12, "ggml-org/llama.cpp PR #18683: 'qwen3next 80B.A3B Q2_K - Medium | 27.12 GiB | 79.67 B'"),
    ("q4_k_m", 45.10, "ggml-org/llama.cpp PR #16095: 'qwen3next ?B Q4_K - Medium | 45.10 GiB | 79.67 B'"),
    ("q4_k_m", 45.17, "visorcraft/strix-halo-llm-perf BENCHMARKS.md: 'Qwen3-Coder-Next 80B-A3B Q4_K_M | 45.17 GiB'"),
])
def test_qwen3_next_gguf_sizes_match_llamacpp(cat, fmt, gib, source):
    # every tensor of the file: the K-quant mix on the projections and experts, f32 state tensors
    from vramgui.core.formats import WEIGHT_FORMATS
    from vramgui.core.units import GIB
    from vramgui.core.weights import weight_bytes
    a = cat.model("qwen3-next-80b-a3b").architecture
    assert count_params(a).total / 1e9 == pytest.approx(79.67, abs=0.005)
    assert weight_bytes(a, WEIGHT_FORMATS[fmt]).total / GIB == pytest.approx(gib, rel=0.01), source


# Nemotron 3 Nano 30B-A3B's GGUF (llama.cpp's converter, arch nemotron_h_moe): the per-layer arrays as a public
# test quotes them verbatim from the released Q4_K_M file: KV heads (2) where a layer attends, the MoE width (1,856)
# where it holds experts, neither for a Mamba-2 layer
NANO_KV = [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 2, 0,
           0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]
NANO_FF = [0, 1856, 0, 1856, 0, 0, 1856, 0, 1856, 0, 1856, 0, 0, 1856, 0, 1856, 0, 1856, 0, 0, 1856, 0, 1856, 0,
           1856, 0, 0, 1856, 0, 1856, 0, 1856, 0, 0, 1856, 0, 1856, 0, 1856, 0, 1856, 0, 0, 1856, 0, 1856, 0, 1856,
           0, 1856, 0, 1856]


def _nano_gguf(arch="nemotron_h_moe", **extra):
    a = arch
    return {"general.architecture": a, f"{a}.block_count": 52, f"{a}.embedding_length": 2688,
            f"{a}.context_length": 262144, f"{a}.attention.head_count": 32, f"{a}.attention.head_count_kv": NANO_KV,
            f"{a}.feed_forward_length": NANO_FF, f"{a}.attention.key_length": 128, f"{a}.attention.value_length": 128,
            f"{a}.attention.layer_norm_rms_epsilon": 1e-5, f"{a}.ssm.conv_kernel": 4, f"{a}.ssm.inner_size": 4096,
            f"{a}.ssm.state_size": 128, f"{a}.ssm.time_step_rank": 64, f"{a}.ssm.group_count": 8,
            f"{a}.expert_count": 128, f"{a}.expert_used_count": 6, f"{a}.expert_feed_forward_length": 1856,
            f"{a}.expert_shared_feed_forward_length": 3712, f"{a}.expert_shared_count": 1,
            "tokenizer.ggml.tokens": 131072, **extra}


def test_nemotron_h_gguf_reads_its_layer_kinds_from_the_arrays(cat, tmp_path):
    # the arrays give back the released hybrid_override_pattern, and the count equals the preset's (from the
    # Hugging Face config.json): 31,577,940,288
    cfg = gguf_config(_nano_gguf(), tmp_path / "Nemotron-3-Nano-30B-A3B-Q4_K_M.gguf")
    preset = cat.model("nemotron3-nano-30b-a3b")
    assert cfg["hybrid_override_pattern"] == preset.config["hybrid_override_pattern"]
    a = architecture_from_hf_config(cfg)
    assert count_params(a).total == count_params(preset.architecture).total == 31_577_940_288
    # an exported MTP block comes after the 52 layers (one more array entry): left out
    mtp = _nano_gguf(**{"nemotron_h_moe.block_count": 53, "nemotron_h_moe.nextn_predict_layers": 1,
                        "nemotron_h_moe.attention.head_count_kv": NANO_KV + [2],
                        "nemotron_h_moe.feed_forward_length": NANO_FF + [1856]})
    assert gguf_config(mtp, tmp_path / "x.gguf")["hybrid_override_pattern"] == preset.config["hybrid_override_pattern"]
    # a LatentMoE file (Nemotron 3 Super: llama.cpp's nemotron_h_moe.moe_latent_size) keeps its latent width
    latent = architecture_from_hf_config(gguf_config(_nano_gguf(**{"nemotron_h_moe.moe_latent_size": 1024}),
                                                     tmp_path / "latent.gguf"))
    assert latent.moe.latent_size == latent.expert_width == 1024
    # a short array names the key
    with pytest.raises(ImportError_, match="52 whole numbers"):
        gguf_config(_nano_gguf(**{"nemotron_h_moe.feed_forward_length": NANO_FF[:10]}), tmp_path / "bad.gguf")


# Falcon-H1 7B (the preset): every one of its 44 layers runs attention (12 heads, 2 KV heads of 128) and a
# Mamba-2 mixer (24 heads of 128 channels, state 256, one group, a 4-wide convolution) side by side, then a
# gated MLP 12,288 wide
FH_D, FH_L, FH_V, FH_F = 3072, 44, 130048, 12288
FH_HEADS, FH_KV, FH_DH = 12, 2, 128
FH_MH, FH_MDH, FH_STATE, FH_CONV = 24, 128, 256, 4
FH_INNER = FH_MH * FH_MDH                         # 3,072 (mamba_d_ssm)
FH_CONV_DIM = FH_INNER + 2 * FH_STATE             # x, B and C through the convolution: 3,584


def test_falcon_h1_parameters_by_hand(cat):
    attention = FH_D * FH_HEADS * FH_DH + 2 * FH_D * FH_KV * FH_DH + FH_HEADS * FH_DH * FH_D
    # in_proj to z, x, B, C and a time step per head; out_proj; the convolution with its bias; A_log, D, dt_bias;
    # the gated RMSNorm (mamba_rms_norm)
    mamba = FH_D * (FH_INNER + FH_CONV_DIM + FH_MH) + FH_INNER * FH_D + FH_CONV_DIM * (FH_CONV + 1) + 3 * FH_MH \
        + FH_INNER
    layer = attention + mamba + 3 * FH_D * FH_F + 2 * FH_D        # + gated MLP, the two layer norms
    total = FH_L * layer + 2 * FH_V * FH_D + FH_D                 # untied embedding and head, final norm
    a = cat.model("falcon-h1-7b").architecture
    assert count_params(a).total == total == 7_585_648_736        # transformers' FalconH1ForCausalLM: the same
    assert (a.attention_layers, a.mamba.layers, a.num_layers) == (44, 44, 44)
    # Falcon-H1's own switches: no gated norm (the 0.5B's mamba_rms_norm false), a bias on out_proj alone
    # (projectors_bias) or on in_proj alone (mamba_proj_bias)
    cfg = cat.model("falcon-h1-7b").config
    plain = architecture_from_hf_config(dict(cfg, mamba_rms_norm=False))
    assert count_params(a).total - count_params(plain).total == FH_L * FH_INNER
    out_only = architecture_from_hf_config(dict(cfg, projectors_bias=True))
    in_only = architecture_from_hf_config(dict(cfg, mamba_proj_bias=True))
    assert count_params(out_only).total - count_params(a).total == FH_L * FH_D
    assert count_params(in_only).total - count_params(a).total == FH_L * (FH_INNER + FH_CONV_DIM + FH_MH)


def test_falcon_h1_caches_every_layer_and_keeps_a_mamba_state(scenario):
    s = scenario("falcon-h1-7b", "rtx4090", weights="bf16", prompt_tokens=1000)
    t = memory_terms(s)
    assert t.kv_full == 2 * FH_L * FH_KV * FH_DH * 2            # K and V in all 44 layers, bf16: 45,056 a token
    # per sequence and layer: 24 × 128 × 256 state values and the convolution's last 3 inputs of 3,584 channels
    assert t.state == FH_L * (FH_MH * FH_MDH * FH_STATE * 2 + (FH_CONV - 1) * FH_CONV_DIM * 2) == 70_152_192
    # a decode step reads the whole cache of every layer: 45,056 bytes more per token of context
    from vramgui.core.speed import decode_parts, speed_terms
    st = speed_terms(s)
    short, long = (decode_parts(st, 1, c, 1.0, 0.0).bytes_moved for c in (0, 1000))
    assert float(long - short) == pytest.approx(1000 * 2 * FH_L * FH_KV * FH_DH * 2, rel=1e-12)


def test_falcon_h1_import_reads_its_mixer_width_as_transformers_does():
    base = {"model_type": "falcon_h1", "hidden_size": 1024, "num_hidden_layers": 4, "num_attention_heads": 8,
            "num_key_value_heads": 2, "head_dim": 64, "intermediate_size": 2048, "vocab_size": 1000,
            "max_position_embeddings": 4096, "mamba_n_heads": 16, "mamba_d_state": 64}
    # transformers' FalconH1Config: mamba_d_ssm 1,024 when absent; null: mamba_expand × hidden_size (2 × 1,024)
    assert architecture_from_hf_config(base).mamba.d_inner == 1024
    assert architecture_from_hf_config(dict(base, mamba_d_ssm=None)).mamba.d_inner == 2048
    assert architecture_from_hf_config(dict(base, mamba_d_ssm=1536, mamba_d_head=96)).mamba.head_dim == 96
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(dict(base, mamba_d_ssm=1536, mamba_d_head=64), source="h1/config.json")
    assert "h1/config.json" in str(e.value) and "mamba_d_head" in str(e.value) and "1536" in str(e.value)
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(dict(base, mamba_n_heads=7), source="h1/config.json")
    assert "mamba_n_heads" in str(e.value) and "mamba_d_ssm = 1024" in str(e.value)


def test_falcon_h1_gguf_reads_the_same_model(tmp_path, cat):
    # llama.cpp's falcon-h1 keys for the 7B: the mixer's heads as ssm.time_step_rank, its width as ssm.inner_size
    meta = {"general.architecture": "falcon-h1", "falcon-h1.embedding_length": FH_D, "falcon-h1.block_count": FH_L,
            "falcon-h1.feed_forward_length": FH_F, "falcon-h1.attention.head_count": FH_HEADS,
            "falcon-h1.attention.head_count_kv": FH_KV, "falcon-h1.attention.key_length": FH_DH,
            "falcon-h1.context_length": 262144, "falcon-h1.ssm.conv_kernel": FH_CONV,
            "falcon-h1.ssm.inner_size": FH_INNER, "falcon-h1.ssm.state_size": FH_STATE,
            "falcon-h1.ssm.time_step_rank": FH_MH, "falcon-h1.ssm.group_count": 1, "falcon-h1.vocab_size": FH_V}
    names = {"token_embd.weight", "output.weight", "blk.0.ssm_norm.weight", "blk.0.ssm_in.weight"}
    a = architecture_from_hf_config(gguf_config(meta, tmp_path / "Falcon-H1-7B-Instruct-Q4_K_M.gguf", names))
    ref = cat.model("falcon-h1-7b").architecture
    # (a GGUF holds no chunk size: FalconH1Config's default, 256, where the released config.json says 128; only
    # HF transformers' fine-tuning reads it)
    assert (a.mamba.chunk_size, ref.mamba.chunk_size) == (256, 128)
    assert (a.mamba.model_copy(update={"chunk_size": 128}), a.parallel_mamba, a.attention_layers) == (ref.mamba, True,
                                                                                                      FH_L)
    assert count_params(a).total == count_params(ref).total
    # no ssm_norm tensors: no gated norm; no output.weight: the head shares the token table
    bare = architecture_from_hf_config(gguf_config(meta, tmp_path / "x.gguf", {"token_embd.weight"}))
    assert count_params(ref).total - count_params(bare).total == FH_L * FH_INNER + FH_V * FH_D
    with pytest.raises(ImportError_, match="Mamba-2 heads") as e:
        gguf_config(dict(meta, **{"falcon-h1.ssm.time_step_rank": 5}), tmp_path / "bad.gguf")
    assert "falcon-h1.ssm.time_step_rank" in str(e.value)


def test_explain_says_each_falcon_h1_layer_has_both(scenario):
    from vramgui.core.explain import explain_items
    text = "\n".join(i.text for i in explain_items(scenario("falcon-h1-7b", "rtx4090", prompt_tokens=1000)))
    assert "Each of the 44 layers runs attention and a Mamba-2 mixer side by side" in text
    assert "44 of the 44 layers are Mamba-2" not in text


# Jamba 1.5 Mini (the preset): 32 layers of width 4,096; attention (32 heads, 8 KV heads of 128, no positions) where
# i % 8 == 4, a Mamba (S6) mixer elsewhere (8,192 channels, state 16, time-step rank 256, a 4-wide convolution); 16
# experts (2 active) 14,336 wide where i % 2 == 1, a dense MLP as wide elsewhere
J_D, J_L, J_V, J_F = 4096, 32, 65536, 14336
J_ATTN, J_MAMBA, J_MOE = 4, 28, 16
J_INNER, J_N, J_R, J_K = 8192, 16, 256, 4


def test_jamba_parameters_by_hand(cat):
    attention = J_D * 32 * 128 + 2 * J_D * 8 * 128 + 32 * 128 * J_D
    # in_proj (x, z), x_proj (rank, B, C), dt_proj, out_proj; conv + bias, dt_proj's bias, A_log, D; Jamba's RMSNorms
    # on the time step, B and C
    mamba = J_D * 2 * J_INNER + J_INNER * (J_R + 2 * J_N) + J_R * J_INNER + J_INNER * J_D \
        + J_INNER * (J_K + 1) + J_INNER + J_INNER * J_N + J_INNER + (J_R + 2 * J_N)
    mlp = 3 * J_D * J_F
    moe = 16 * mlp + 16 * J_D                       # experts and the router
    total = J_ATTN * attention + J_MAMBA * mamba + J_MOE * moe + (J_L - J_MOE) * mlp + J_L * 2 * J_D \
        + 2 * J_V * J_D + J_D
    p = count_params(cat.model("jamba-1.5-mini").architecture)
    assert p.total == total == 51_570_323_328       # transformers' JambaForCausalLM builds the same
    assert p.active == total - J_MOE * 14 * mlp     # 2 of 16 experts a token: 12.1 B ("12B active")
    a = cat.model("jamba-1.5-mini").architecture
    assert (a.attention_layers, a.mamba1.layers, a.moe_layers, a.rope_table_elements) == (4, 28, 16, 0)


def test_jamba_caches_its_four_attention_layers_and_keeps_a_mamba_state(scenario):
    s = scenario("jamba-1.5-mini", "h100-sxm", weights="bf16", engine="sglang", prompt_tokens=1000)
    t = memory_terms(s)
    assert t.kv_full == 2 * J_ATTN * 8 * 128 * 2           # 16,384 bytes a token: 4 of the 32 layers attend
    # per sequence, each Mamba layer: 8,192 × 16 state values and the convolution's last 3 inputs, bf16
    assert t.state == J_MAMBA * (J_INNER * J_N * 2 + (J_K - 1) * J_INNER * 2) == 8_716_288
    # vLLM pages them: 311,296 bytes a layer over 4,096 a token: blocks of 16 × ceil(4.75) = 80 tokens (327,680
    # bytes a page); groups of four layers, one of attention and seven of state
    v = memory_terms(s.with_(engine="vllm"))
    assert (v.block, v.state, v.groups) == (80, 7 * 4 * 80 * 4096, 8)
    from vramgui.core.memory import state_bytes
    from vramgui.core.speed import decode_parts, speed_terms
    for engine in ("sglang", "vllm"):         # one more sequence: its state read and written, at its size
        st = speed_terms(s.with_(engine=engine))
        empty = decode_parts(st, np.array([1.0, 2.0]), 0, 1.0, 0.0).bytes_moved
        assert float(empty[1] - empty[0]) > 2 * state_bytes(s) == 2 * 8_716_288


def test_pure_mamba_models_count_as_transformers_and_hold_no_kv_cache(scenario):
    from vramgui.core import Scenario, load_catalog
    from vramgui.core.explain import explain_items
    from vramgui.core.presets import ModelPreset
    # Falcon Mamba 7B's config.json (tiiuae/falcon-mamba-7b, as copied in test helpers): 64 Mamba blocks of width
    # 4,096, 8,192 channels (intermediate_size, which transformers reads over the file's "expand": 16), state 16,
    # rank 256, a vocabulary of 65,024, untied; each block a norm and the mixer, no attention, no MLP
    cfg = {"model_type": "falcon_mamba", "hidden_size": 4096, "num_hidden_layers": 64, "vocab_size": 65024,
           "state_size": 16, "conv_kernel": 4, "expand": 16, "time_step_rank": 256, "tie_word_embeddings": False,
           "intermediate_size": 8192, "use_bias": False, "use_conv_bias": True}
    mixer = 4096 * 16384 + 8192 * (256 + 32) + 256 * 8192 + 8192 * 4096 + 8192 * 5 + 8192 + 8192 * 16 + 8192
    assert count_params(architecture_from_hf_config(cfg)).total == 64 * (mixer + 4096) + 2 * 65024 * 4096 + 4096 \
        == 7_272_665_088                                  # transformers' FalconMambaForCausalLM: the same
    cat = load_catalog()
    preset = ModelPreset(id="falcon-mamba-test", name="Falcon Mamba test", family="Falcon", source="test", config=cfg)
    s = Scenario(model=preset, gpu=cat.gpu("rtx4090"), weights="bf16", prompt_tokens=100_000)
    m = estimate_memory(s)
    assert m.kv_bytes_per_token == 0 and preset.architecture.max_context == 2**20   # (no positions: llama.cpp's 2^20)
    assert float(m.kv_cache) == 64 * (8192 * 16 * 2 + 3 * 8192 * 2)   # the state alone: 19.0 MiB, whatever the prompt
    f = fit(s)
    assert f.max_prompt_tokens is not None and f.max_prompt_tokens > 100_000
    text = "\n".join(i.text for i in explain_items(s))
    assert "Every one of the 64 layers is a Mamba block" in text
    kv = next(i for i in explain_items(s) if i.key == "kv_cache")
    assert kv.formula == "KV cache = recurrent state × batch" and "19.0 MiB × 1" in kv.substituted
    # the CLI and the report say there is no KV capacity to speak of, not "0 tokens"
    from vramgui.core.report import estimate_dict, kv_capacity_text, report_markdown
    assert kv_capacity_text(estimate_dict(s)) == "none (no attention: a fixed state per sequence)"
    assert "KV capacity none (no attention" in report_markdown(estimate_dict(s))
    assert kv_capacity_text(estimate_dict(s.with_(model=cat.model("jamba-1.5-mini")))).endswith(" tokens")
    # Mamba-2 alone (Mamba-Codestral's type): num_heads × head_dim must be the expanded width
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config({"model_type": "mamba2", "hidden_size": 1024, "num_hidden_layers": 4,
                                     "vocab_size": 1000, "num_heads": 32, "head_dim": 32}, source="m2/config.json")
    assert "m2/config.json" in str(e.value) and "head_dim" in str(e.value) and "2048" in str(e.value)


def test_mamba_gguf_files_read_as_their_configs(tmp_path):
    meta = {"general.architecture": "mamba", "mamba.embedding_length": 4096, "mamba.block_count": 64,
            "mamba.context_length": 2**20, "mamba.ssm.inner_size": 8192, "mamba.ssm.state_size": 16,
            "mamba.ssm.time_step_rank": 256, "mamba.ssm.conv_kernel": 4, "mamba.vocab_size": 65024}
    a = architecture_from_hf_config(gguf_config(meta, tmp_path / "falcon-mamba-7b.gguf", {"output.weight"}))
    assert count_params(a).total == 7_272_665_088 and (a.mamba1.d_inner, a.mamba1.dt_rank) == (8192, 256)
    two = {"general.architecture": "mamba2", "mamba2.embedding_length": 4096, "mamba2.block_count": 64,
           "mamba2.ssm.inner_size": 8192, "mamba2.ssm.state_size": 128, "mamba2.ssm.time_step_rank": 128,
           "mamba2.ssm.group_count": 8, "mamba2.ssm.conv_kernel": 4, "mamba2.vocab_size": 32768}
    b = architecture_from_hf_config(gguf_config(two, tmp_path / "mamba-codestral.gguf", {"output.weight"}))
    assert (b.mamba.num_heads, b.mamba.head_dim, b.mamba.n_groups, b.attention_layers) == (128, 64, 8, 0)
    with pytest.raises(ImportError_) as e:
        gguf_config(dict(meta, **{"mamba.ssm.inner_size": 5000}), tmp_path / "bad.gguf")
    assert "mamba.ssm.inner_size" in str(e.value) and "bad.gguf" in str(e.value)


def test_jamba_gguf_reads_its_layers_from_the_kv_heads_and_routers(tmp_path, cat):
    # llama.cpp's converter writes Jamba's attention layers as the non-zero entries of a per-layer
    # attention.head_count_kv, the Mamba width as ssm.inner_size; the experts show in which layers hold a router
    meta = {"general.architecture": "jamba", "jamba.block_count": J_L, "jamba.embedding_length": J_D,
            "jamba.feed_forward_length": J_F, "jamba.attention.head_count": 32,
            "jamba.attention.head_count_kv": [8 if i % 8 == 4 else 0 for i in range(J_L)],
            "jamba.context_length": 262144, "jamba.ssm.conv_kernel": J_K, "jamba.ssm.inner_size": J_INNER,
            "jamba.ssm.state_size": J_N, "jamba.ssm.time_step_rank": J_R, "jamba.expert_count": 16,
            "jamba.expert_used_count": 2, "jamba.vocab_size": J_V}
    names = {"token_embd.weight", "output.weight"} | {f"blk.{i}.ffn_gate_inp.weight" for i in range(1, J_L, 2)}
    a = architecture_from_hf_config(gguf_config(meta, tmp_path / "Jamba-1.5-Mini-Q4_K_M.gguf", names))
    ref = cat.model("jamba-1.5-mini").architecture
    assert (a.attention_layers, a.mamba1, a.moe_layers) == (J_ATTN, ref.mamba1, J_MOE)
    assert count_params(a).total == count_params(ref).total == 51_570_323_328
    # a placement that is not every n-th layer is refused, naming the key
    odd = dict(meta, **{"jamba.attention.head_count_kv": [8 if i in (4, 12, 13) else 0 for i in range(J_L)]})
    with pytest.raises(ImportError_) as e:
        gguf_config(odd, tmp_path / "odd.gguf", names)
    assert "jamba.attention.head_count_kv" in str(e.value) and "odd.gguf" in str(e.value)


# LFM2 1.2B (the preset): 16 layers of width 2,048; attention (32 heads, 8 KV heads of 64, per-head q/k norms) in
# layers 2, 5, 8, 10, 12 and 14, a short convolution in the other 10 (in_proj to 3 × 2,048, a depthwise
# convolution of 3, out_proj); every layer a gated MLP two thirds of block_ff_dim 12,288 wide: 8,192
LF_D, LF_L, LF_V, LF_F, LF_ATTN, LF_CONV = 2048, 16, 65536, 8192, 6, 10


def test_lfm2_parameters_and_cache_by_hand(cat, scenario):
    attention = LF_D * 32 * 64 + 2 * LF_D * 8 * 64 + 32 * 64 * LF_D + 2 * 64      # + q and k norms
    conv = LF_D * 3 * LF_D + LF_D * LF_D + LF_D * 3                               # no biases (conv_bias false)
    total = LF_ATTN * attention + LF_CONV * conv + LF_L * (3 * LF_D * LF_F + 2 * LF_D) + LF_V * LF_D + LF_D
    a = cat.model("lfm2-1.2b").architecture
    assert count_params(a).total == total == 1_170_340_608      # transformers' Lfm2ForCausalLM: the same
    assert (a.attention_layers, a.short_conv.layers, a.intermediate_size, a.tie_embeddings) == (6, 10, 8192, True)
    # the cache: 6 layers × K and V × 8 heads × 64 in fp16 a token; a sequence's state: the convolution's last
    # 2 inputs of 2,048 channels in each of the 10 conv layers (llama.cpp keeps them in f32)
    t = memory_terms(scenario("lfm2-1.2b", "rtx4090", engine="llamacpp", weights="q8_0", prompt_tokens=1000))
    assert t.kv_full == 2 * LF_ATTN * 8 * 64 * 2 == 12_288 and t.state == LF_CONV * 2 * LF_D * 4 == 163_840
    # a saved config with intermediate_size and no block keys adjusts as transformers does; without layer kinds
    # every layer attends (transformers' default)
    base = {"model_type": "lfm2", "hidden_size": 1024, "num_hidden_layers": 4, "num_attention_heads": 16,
            "num_key_value_heads": 8, "vocab_size": 1000, "intermediate_size": 6912}
    assert architecture_from_hf_config(base).intermediate_size == 4608 and \
        architecture_from_hf_config(base).short_conv is None
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(dict(base, layer_types=["conv", "mamba", "conv", "full_attention"]),
                                    source="lfm/config.json")
    assert "lfm/config.json" in str(e.value) and "layer_types" in str(e.value)


@pytest.mark.parametrize("model, d, heads, layers, attn, mlp, card", [
    # LiquidAI's table of its LFM2 models (LFM2-2.6B-Exp model card): parameters to the unit. The MLP widths as
    # transformers builds them: two thirds of block_ff_dim rounded up to 256 (6,656 -> 4,608; 10,240 -> 6,912),
    # the 2.6B's 10,752 as given (block_auto_adjust_ff_dim false); 8 attention layers of 30 in the 2.6B
    ("lfm2-350m", 1024, 16, 16, 6, 4608, 354_483_968), ("lfm2-700m", 1536, 24, 16, 6, 6912, 742_489_344),
    ("lfm2-1.2b", 2048, 32, 16, 6, 8192, 1_170_340_608), ("lfm2-2.6b", 2048, 32, 30, 8, 10752, 2_569_272_320)])
def test_lfm2_sizes_count_liquids_published_parameters_exactly(cat, model, d, heads, layers, attn, mlp, card):
    hd = d // heads
    attention = d * heads * hd + 2 * d * 8 * hd + heads * hd * d + 2 * hd         # 8 KV heads; q and k norms
    conv = d * 3 * d + d * d + d * 3
    by_hand = attn * attention + (layers - attn) * conv + layers * (3 * d * mlp + 2 * d) + LF_V * d + d
    a = cat.model(model).architecture
    assert (a.num_layers, a.attention_layers, a.intermediate_size) == (layers, attn, mlp)
    assert count_params(a).total == by_hand == card


def test_lfm2_gguf_reads_the_same_model(tmp_path, cat):
    # llama.cpp's lfm2 keys: 0 KV heads for a conv layer, the MLP width as the weights have it
    kv = [8 if i in (2, 5, 8, 10, 12, 14) else 0 for i in range(LF_L)]
    meta = {"general.architecture": "lfm2", "lfm2.block_count": LF_L, "lfm2.embedding_length": LF_D,
            "lfm2.feed_forward_length": LF_F, "lfm2.attention.head_count": 32, "lfm2.attention.head_count_kv": kv,
            "lfm2.context_length": 128000, "lfm2.shortconv.l_cache": 3, "lfm2.vocab_size": LF_V}
    a = architecture_from_hf_config(gguf_config(meta, tmp_path / "LFM2-1.2B-Q4_K_M.gguf", {"token_embd.weight"}))
    ref = cat.model("lfm2-1.2b").architecture
    assert (a.short_conv, a.attention_layers, a.intermediate_size) == (ref.short_conv, 6, 8192)
    assert count_params(a).total == count_params(ref).total


def test_lfm2_moe_counts_its_experts_and_router_bias_by_hand():
    # LFM2's MoE: the first num_dense_layers keep a dense MLP intermediate_size wide (no two-thirds adjustment),
    # the others route among num_experts of moe_intermediate_size with a per-expert bias (use_expert_bias)
    cfg = {"model_type": "lfm2_moe", "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
           "num_key_value_heads": 2, "vocab_size": 100, "intermediate_size": 96, "moe_intermediate_size": 16,
           "num_experts": 4, "num_experts_per_tok": 2, "num_dense_layers": 1,
           "layer_types": ["conv", "full_attention", "conv", "full_attention"]}
    d, hd = 64, 16
    attention = d * 4 * hd + 2 * d * 2 * hd + 4 * hd * d + 2 * hd
    conv = d * 3 * d + d * d + d * 3
    moe = 4 * 3 * d * 16 + 4 * d + 4          # experts, router, expert bias
    total = 2 * attention + 2 * conv + 3 * d * 96 + 3 * moe + 4 * 2 * d + 100 * d + d   # tied (the default)
    p = count_params(architecture_from_hf_config(cfg))
    assert p.total == total                    # transformers' Lfm2MoeForCausalLM builds the same
    assert p.total - count_params(architecture_from_hf_config(dict(cfg, use_expert_bias=False))).total == 3 * 4


def test_lfm3_counts_its_gated_heads_sandwich_norms_and_windows_by_hand(scenario):
    # LFM3: LFM2's short convolutions (7 wide by default) beside full and windowed attention layers (a window of
    # 256 by default) whose heads (128 wide by default) each get a sigmoid gate from a d -> h projection (g_proj);
    # a norm before and after both the mixer and the MLP (use_sandwich_norm); the MLP intermediate_size as is
    from vramgui.core import Scenario, load_catalog
    from vramgui.core.presets import ModelPreset
    cfg = {"model_type": "lfm3", "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
           "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 96, "vocab_size": 100,
           "layer_types": ["conv", "sliding_attention", "full_attention", "conv"]}
    d, hd = 64, 16
    attention = d * 4 * hd + 2 * d * 2 * hd + 4 * hd * d + d * 4 + 2 * hd       # q, k, v, o, the gate, q/k norms
    conv = d * 3 * d + d * d + d * 7
    total = 2 * attention + 2 * conv + 4 * 3 * d * 96 + 4 * 4 * d + 100 * d + d     # tied (the default)
    a = architecture_from_hf_config(cfg)
    assert count_params(a).total == total       # transformers' Lfm3ForCausalLM builds the same
    assert (a.attention_layers, a.sliding_window_layers, a.sliding_window, a.short_conv.conv_kernel) == (2, 1, 256, 7)
    off = architecture_from_hf_config(dict(cfg, use_attention_gate=False, use_sandwich_norm=False))
    assert count_params(a).total - count_params(off).total == 2 * d * 4 + 4 * 2 * d
    # the windowed layer holds 256 tokens of cache whatever the prompt; the full one grows
    cat = load_catalog()
    s = Scenario(model=ModelPreset(id="lfm3-test", name="LFM3 test", family="LFM", source="test", config=cfg),
                 gpu=cat.gpu("rtx4090"), engine="generic", prompt_tokens=10_000)
    t = memory_terms(s)
    assert t.kv_full == t.kv_windowed == 2 * 2 * hd * 2 and t.window == 256


def test_kimi_linear_counts_its_delta_attention_and_mla_layers(scenario):
    # Kimi Linear as its checkpoint's config.json writes it (Moonshot's keys; the layer lists in linear_attn_config,
    # numbered from 1): 6 layers of width 2,304, full MLA attention in layers 3 and 6 (kv latent 512 + 64 RoPE,
    # 32 heads of 128 + 64 / 128), Kimi Delta Attention in the other 4 (8 heads of 64, a 4-wide convolution), a
    # dense MLP 9,216 wide in the first two, 16 experts of 1,024 (2 active) and a shared one after them
    from vramgui.core import Scenario, load_catalog
    from vramgui.core.explain import explain_items
    from vramgui.core.presets import ModelPreset
    cfg = {"model_type": "kimi_linear", "num_hidden_layers": 6, "hidden_size": 2304, "vocab_size": 163840,
           "linear_attn_config": {"full_attn_layers": [3, 6], "kda_layers": [1, 2, 4, 5], "head_dim": 64,
                                  "num_heads": 8, "short_conv_kernel_size": 4},
           "num_experts": 16, "num_experts_per_token": 2, "num_shared_experts": 1, "first_k_dense_replace": 2,
           "intermediate_size": 9216, "moe_intermediate_size": 1024, "num_attention_heads": 32,
           "num_key_value_heads": 32, "kv_lora_rank": 512, "qk_rope_head_dim": 64, "v_head_dim": 128,
           "qk_nope_head_dim": 128}
    d, w, dh = 2304, 8 * 64, 64
    kda = d * (3 * w + 8 + 2 * dh) + 2 * dh * w + w * d + 3 * w * 4 + w + 8 + dh
    mla = d * 32 * 192 + d * (512 + 64) + 512 * 32 * (128 + 128) + 32 * 128 * d + 512    # + the latent's norm
    mlp = 3 * d * 9216
    moe = 16 * 3 * d * 1024 + 3 * d * 1024 + 16 * d + 16     # experts, the shared one, router and its bias
    total = 4 * kda + 2 * mla + 2 * mlp + 4 * moe + 6 * 2 * d + d + 2 * 163840 * d
    a = architecture_from_hf_config(cfg)
    assert count_params(a).total == total == 1_442_497_120     # transformers' KimiLinearForCausalLM: the same
    assert (a.attention_layers, a.kimi_delta.layers, a.moe_layers) == (2, 4, 4)
    cat = load_catalog()
    s = Scenario(model=ModelPreset(id="kimi-linear-test", name="Kimi Linear test", family="Kimi", source="test",
                                   config=cfg), gpu=cat.gpu("h100-sxm"), engine="sglang", weights="bf16")
    t = memory_terms(s)
    # the cache: MLA's latent (512 + 64) in the 2 attention layers; each KDA layer's state 8 × 64 × 64 in fp32 and
    # the convolution's last 3 inputs of q, k and v (3 × 512) in bf16
    assert t.kv_full == 2 * 576 * 2 and t.state == 4 * (8 * 64 * 64 * 4 + 3 * 3 * w * 2)
    assert "4 of the 6 layers are Kimi Delta Attention" in " ".join(i.text for i in explain_items(s))


def test_kimi_linear_48b_preset_reads_its_checkpoint_config(cat, scenario):
    # the released config.json: 7 MLA layers (4, 8, ..., 24 and 27, numbered from 1) among 27, KDA in the other 20;
    # no max_position_embeddings (model_max_length 1,048,576, KimiLinearConfig's default too)
    a = cat.model("kimi-linear-48b-a3b").architecture
    assert (a.attention_layers, a.kimi_delta.layers, a.moe_layers, a.max_context) == (7, 20, 26, 1_048_576)
    assert count_params(a).total == 49_122_681_728           # transformers' KimiLinearForCausalLM: the same
    # at a million tokens the cache is the 7 MLA layers' latent (576 values) in bf16: 7 × 576 × 2 = 8,064 bytes a
    # token; each of the 20 KDA layers keeps 32 × 128 × 128 fp32 state values and 3 × 3 × 4,096 bf16 inputs
    t = memory_terms(scenario("kimi-linear-48b-a3b", "h200", engine="sglang", weights="bf16",
                              prompt_tokens=1_000_000))
    assert t.kv_full == 7 * 576 * 2 and t.state == 20 * (32 * 128 * 128 * 4 + 3 * 3 * 4096 * 2)


def test_minimax_lightning_attention_by_hand(cat, scenario):
    # MiniMax-M1 (its config.json): width 6,144, 80 layers, seven lightning attention layers then one softmax
    # attention layer (attn_type_list), 64 heads of 128 (8 KV heads in the softmax layers), in every layer 32
    # experts 9,216 wide, top 2, and two norms; vocabulary 200,064, untied
    d, w, V, f = 6144, 64 * 128, 200064, 9216
    lightning = d * 3 * w + d * w + w * d + w        # q, k and v; the output gate; out_proj; the norm over the heads
    softmax = d * w + 2 * d * 8 * 128 + w * d
    moe = 32 * 3 * d * f + d * 32
    total = 70 * lightning + 10 * softmax + 80 * (moe + 2 * d) + 2 * V * d + d
    a = cat.model("minimax-m1").architecture
    p = count_params(a)
    assert p.total == total == 456_089_655_296      # the card: "456 billion parameters in total"
    # "45.9 billion parameters activated per token": 2 of 32 experts, without the token table and output layer
    assert p.active - 2 * V * d == total - 80 * 30 * 3 * d * f - 2 * V * d == pytest.approx(45.9e9, abs=0.05e9)
    assert (a.attention_layers, a.lightning.layers, a.rope_table_elements) == (10, 70, 10_240_000 * 64)
    # the cache: 10 softmax layers × K and V × 8 heads × 128 in bf16 a token (an all-softmax 80 layers: 327,680);
    # each lightning layer a 128 × 128 state a head (SGLang keeps each state at its size)
    t = memory_terms(scenario("minimax-m1", "h200", engine="sglang", weights="bf16", n_gpus=8))
    assert t.kv_full == 10 * 2 * 8 * 128 * 2 / 8 and t.state == 70 * 64 * 128 * 128 * 2 / 8
    # transformers' layer_types name the same kinds; its default alternates full and linear layers
    keys = {k: v for k, v in cat.model("minimax-m1").config.items() if k != "attn_type_list"}
    kinds = ["full_attention" if k else "linear_attention" for k in cat.model("minimax-m1").config["attn_type_list"]]
    assert architecture_from_hf_config(dict(keys, model_type="minimax", layer_types=kinds)) == a
    with pytest.raises(ConfigError) as e:
        architecture_from_hf_config(dict(keys, attn_type_list=[0, 1] * 3), source="m1/config.json")
    assert "attn_type_list" in str(e.value) and "m1/config.json" in str(e.value)
