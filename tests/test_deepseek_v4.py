"""DeepSeek-V4: compressed sparse (CSA) and heavily compressed (HCA) attention beside a 128-token window.

Parameter counts are checked tensor for tensor against transformers in tests/test_transformers_counts.py;
here the cache and what a step reads and computes, by hand from the released configs."""

import pytest

from vramgui.core import estimate_memory
from vramgui.core.architecture import architecture_from_hf_config
from vramgui.core.errors import ConfigError
from vramgui.core.params import count_params
from vramgui.core.speed import decode_parts, prefill_parts, speed_terms

# V4-Flash: 43 layers (2 window-only, 21 CSA, 20 HCA), entries of 512 serving as K and V, 64 query heads,
# the indexer's 64 heads of 128 picking 512 CSA entries; V4-Pro: 61 layers (30 CSA, 31 HCA), 128 heads, top 1,024
FLASH = dict(layers=43, csa=21, hca=20, heads=64, topk=512)


def test_released_layouts_and_sizes(cat):
    f, p = (cat.model(m).architecture for m in ("deepseek-v4-flash", "deepseek-v4-pro"))
    assert (f.compressed.csa_layers, f.compressed.hca_layers, f.sliding_window_layers) == (21, 20, 43)
    assert (p.compressed.csa_layers, p.compressed.hca_layers, p.compressed.index_topk) == (30, 31, 1024)
    # the model cards: 284B total / 13B activated (Flash), 1.6T / 49B (Pro): within 2 % and 7 %
    assert count_params(f).total == pytest.approx(284e9, rel=0.002)
    assert count_params(f).active == pytest.approx(13e9, rel=0.07)      # 13.80 B with embedding and output layer
    assert count_params(p).total == pytest.approx(1.6e12, rel=0.02)     # 1,573.0 B
    assert count_params(p).active == pytest.approx(49e9, rel=0.02)      # 49.78 B


def test_cache_per_token_by_hand(scenario):
    # vLLM with an fp8 cache (the only kind its DeepseekV4 attention runs), one card's share on 4 x H200: the
    # single KV head is on every rank. vLLM packs an entry in 584 bytes (448 FP8 values, 7 UE8M0 scales, 64 bf16
    # RoPE values, a pad byte). Per token: the window's 43 entries (at most 128 tokens), the CSA layers' entry and
    # index key (128 values, FP8 with an fp32 scale per 128: 132 bytes) per 4 tokens, the HCA layers' entry per 128
    s = scenario("deepseek-v4-flash", "h200", engine="vllm", weights="mxfp4", kv_dtype="fp8", n_gpus=4,
                 prompt_tokens=131_072, output_tokens=256)
    m = estimate_memory(s)
    window, per_token = 43 * 584, 21 * (584 + 132) / 4 + 20 * 584 / 128      # 25,112 and 3,850.25 bytes
    assert m.kv_bytes_per_token == pytest.approx(window + per_token, rel=1e-12)
    tokens = 131_328                                                            # 131,072 + 256, in blocks of 16
    assert float(m.kv_cache) == pytest.approx(window * 128 + per_token * tokens, rel=1e-12)   # 0.47 GiB
    # a 16-bit cache: 1,024 bytes an entry, the index keys still FP8
    bf16 = estimate_memory(s.with_(kv_dtype="bf16"))
    assert bf16.kv_bytes_per_token == pytest.approx(43 * 1024 + 21 * (1024 + 132) / 4 + 20 * 1024 / 128, rel=1e-12)
    # the generic profile keeps no packed record: 512 bytes an entry at fp8
    generic = estimate_memory(s.with_(engine="generic"))
    assert generic.kv_bytes_per_token == pytest.approx(43 * 512 + 21 * (512 + 132) / 4 + 20 * 512 / 128, rel=1e-12)


def test_a_step_reads_the_top_k_of_the_csa_entries_in_vllm_and_all_in_hf(scenario):
    s = scenario("deepseek-v4-flash", "h200", engine="vllm", weights="mxfp4", kv_dtype="fp8", prompt_tokens=0)
    t = speed_terms(s)
    c = 100_000
    step = lambda terms, ctx: decode_parts(terms, 1, ctx, 1.0, 0.0)   # noqa: E731
    read = float(step(t, c).bytes_moved - step(t, 0).bytes_moved)
    # every layer's window, the CSA index keys and HCA entries for all 100,000 tokens, the CSA entries of the
    # 512 x 4 = 2,048 tokens the indexer picks
    assert read == pytest.approx(43 * 584 * 128 + (21 * 132 / 4 + 20 * 584 / 128) * c + 21 * 584 / 4 * 2048, rel=1e-12)
    # FLOPs per query: 2 × 64 heads × (512 + 512) per entry attended (the window's 128, the HCA layers'
    # c / 128, the CSA layers' 512), and the indexer's 64 × 128 products per CSA entry in FP8 (counted half)
    pair = 2 * 64 * 2 * 512
    attended = 43 * 128 + 20 * c / 128 + 21 * 512
    assert float(step(t, c).attention_flops) == pytest.approx(pair * attended + 2 * 21 * 64 * 128 / 4 * c * 0.5,
                                                              rel=1e-12)
    # HF applies the top-k as a bias over every entry: the whole compressed cache read and attended
    hf = speed_terms(s.with_(engine="hf", kv_dtype="bf16"))
    hf_read = float(step(hf, c).bytes_moved - step(hf, 0).bytes_moved)
    assert hf_read == pytest.approx(2 * (43 * 512 * 128 + (21 * (512 + 128) / 4 + 20 * 512 / 128) * c), rel=1e-12)
    # a 100,000-token prompt in vLLM: query i attends to min(i, 128) window tokens, i / 128 HCA entries and
    # min(i / 4, 512) CSA entries in the layers of each kind
    p = 100_000
    pairs = (43 * (128**2 / 2 + (p - 128) * 128) + 20 * p * p / 2 / 128
             + 21 / 4 * (2048**2 / 2 + (p - 2048) * 2048))
    got = float(prefill_parts(t, p, 1, 1.0, 0.0).attention_flops)
    assert got == pytest.approx(2 * 64 * 2 * 512 * pairs + 2 * 21 * 64 * 128 / 4 * 0.5 * p * p / 2, rel=1e-12)


def test_bad_compression_rates_name_the_field(cat):
    cfg = dict(cat.model("deepseek-v4-flash").config)
    with pytest.raises(ConfigError, match="compress_ratios.*rates \\[16\\]"):
        architecture_from_hf_config({**cfg, "compress_ratios": [16] + cfg["compress_ratios"][1:]}, source="cfg.json")
    with pytest.raises(ConfigError, match="compress_ratios.*lists 3 layers, the model has 43"):
        architecture_from_hf_config({**cfg, "compress_ratios": [0, 4, 128]}, source="cfg.json")
    with pytest.raises(ConfigError, match="q_lora_rank"):
        architecture_from_hf_config({k: v for k, v in cfg.items() if k != "q_lora_rank"}, source="cfg.json")


def test_explain_panel_spells_the_cache_and_the_sparse_read(scenario):
    from vramgui.core.explain import explain_items
    s = scenario("deepseek-v4-flash", "h200", engine="vllm", weights="mxfp4", kv_dtype="fp8", n_gpus=4,
                 prompt_tokens=131_072, output_tokens=256)
    items = {e.key: e for e in explain_items(s)}
    assert ("(43 × 584 × 128 + (21 × (584 + 128 × 1.031/1) / 4 + 20 × 584 / 128) × 131,328) × 1 bytes × 1 "
            "= 0.47 GiB per card") in items["kv_cache"].substituted
    assert "stores each entry as 584 bytes" in items["kv_cache"].note
    assert "every layer keeps its last 128 tokens" in items["kv_cache"].note
    assert "in each CSA layer only the indexer's 512 chosen entries per sequence" in items["decode"].note


def test_pro_cache_at_a_million_tokens_matches_the_published_figure(scenario):
    # vLLM's DeepSeek-V4 announcement (2026-04-24, as reported by 24-ai.news and worked through in
    # yiliu30.github.io/posts/ds-v4): V4-Pro's cache at a 1,048,576-token context is ~9.62 GiB per sequence in bf16
    # (8.7x less than V3.2's 83.9 GiB). Every value in bf16, index keys too, as HF keeps them: within 0.1 %
    from vramgui.core.memory import kv_cache_bytes
    s = scenario("deepseek-v4-pro", "b200", engine="hf", weights="fp8", kv_dtype="bf16", prompt_tokens=1_048_576)
    assert float(kv_cache_bytes(s, 1_048_576, 1, allocated=False)) / 2**30 == pytest.approx(9.62, rel=0.001)
    # vLLM keeps the index keys in FP8 with a scale per 128 (132 bytes instead of 256): 8.72 GiB by hand
    v = s.with_(engine="vllm")
    t = 1_048_576
    hand = 61 * 512 * 2 * 128 + (30 * 512 * 2 / 4 + 30 * 132 / 4 + 31 * 512 * 2 / 128) * t
    assert float(kv_cache_bytes(v, t, 1, allocated=False)) == pytest.approx(hand, rel=1e-12)


def test_vllm_needs_an_fp8_cache_for_v4_and_says_so(scenario):
    from vramgui.core.explain import explain_items
    s = scenario("deepseek-v4-flash", "h200", engine="vllm", weights="mxfp4", kv_dtype="bf16", n_gpus=4)
    assert "vLLM runs DeepSeek-V4 with an fp8 cache only." in {e.key: e for e in explain_items(s)}["kv_cache"].note
    fp8 = {e.key: e for e in explain_items(s.with_(kv_dtype="fp8"))}["kv_cache"].note
    assert "fp8 cache only" not in fp8


def test_lora_adapters_on_its_own_projections(cat):
    # rank r on q_a (4096 -> 1024) and q_b (1024 -> 64 x 512), the K=V projection (4096 -> 512), the grouped output
    # projection's o_a (each of 8 groups: 4096 -> 1024, one matrix as PEFT sees it) and o_b (8 x 1024 -> 4096); and,
    # as peft's names match them, the 21 CSA layers' compressor kv_proj (4096 -> 2 x 512, overlapping windows), indexer
    # kv_proj (4096 -> 2 x 128) and indexer q_b_proj (1024 -> 64 x 128), the 20 HCA layers' compressor kv_proj
    # (4096 -> 512)
    from vramgui.core.training import adapted_layers, lora_params
    a = cat.model("deepseek-v4-flash").architecture
    per_layer = (4096 + 1024) + (1024 + 32768) + (4096 + 512) + (4096 + 8192) + (8192 + 4096)
    compressors = 21 * ((4096 + 1024) + (4096 + 256) + (1024 + 8192)) + 20 * (4096 + 512)
    assert lora_params(a, 16, ("q", "k", "v", "o")) == 16 * (per_layer * 43 + compressors)       # 54,603,776
    assert adapted_layers(a, ("q", "k", "v", "o")) == 5 * 43


def test_gguf_reads_the_same_model(cat, tmp_path):
    # the deepseek4 GGUF keys (as public GGUF readers and fixtures of V4-Flash name them), with Flash's values
    from vramgui.core.model_files import ImportError_, gguf_config
    cfg = cat.model("deepseek-v4-flash").config
    meta = {"general.architecture": "deepseek4", "deepseek4.block_count": 43, "deepseek4.embedding_length": 4096,
            "deepseek4.expert_count": 256, "deepseek4.expert_used_count": 6,
            "deepseek4.expert_feed_forward_length": 2048,
            "deepseek4.expert_shared_count": 1, "deepseek4.hash_layer_count": 3, "deepseek4.hyper_connection.count": 4,
            "deepseek4.attention.head_count": 64, "deepseek4.attention.head_count_kv": 1,
            "deepseek4.attention.key_length": 512, "deepseek4.attention.value_length": 512,
            "deepseek4.attention.q_lora_rank": 1024, "deepseek4.attention.output_lora_rank": 1024,
            "deepseek4.attention.output_group_count": 8, "deepseek4.attention.sliding_window": 128,
            "deepseek4.attention.indexer.head_count": 64, "deepseek4.attention.indexer.key_length": 128,
            "deepseek4.attention.indexer.top_k": 512, "deepseek4.attention.compress_ratios": cfg["compress_ratios"],
            "deepseek4.rope.dimension_count": 64, "deepseek4.context_length": 1048576,
            "tokenizer.ggml.tokens": 129280}
    a = architecture_from_hf_config(gguf_config(meta, tmp_path / "DeepSeek-V4-Flash-Q4_K_M.gguf"))
    assert count_params(a).total == 284_334_567_511
    assert a.compressed == cat.model("deepseek-v4-flash").architecture.compressed
    with pytest.raises(ImportError_, match="compress_ratios"):
        gguf_config({**meta, "deepseek4.attention.compress_ratios": [0, 4]}, tmp_path / "bad.gguf")
