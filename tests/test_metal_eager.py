"""llama.cpp on Apple chips without CUDA graphs or flash attention: the Metal row, and a cache read per query head."""

import numpy as np
import pytest

from vramgui.core.engines import ENGINES
from vramgui.core.explain import explain_items
from vramgui.core.speed import decode_step, estimate_speed, prefill_time, speed_key

LLAMA3_8B_KV = 32 * 8 * 128 * 2 * 2        # bytes a token: layers x KV heads x head width x (K, V) x fp16
LLAMA3_70B_KV = 80 * 8 * 128 * 2 * 2
METAL_SHARE = 0.91                        # the Metal row's bandwidth share (4.5 bits and up)


def _slope_ms(s, lo: int = 1024, hi: int = 4096) -> float:
    """ms a decode step gains from ``lo`` to ``hi`` tokens of context (batch 1)."""
    return (float(decode_step(s, 1, hi)[0]) - float(decode_step(s, 1, lo)[0])) * 1e3


def test_builds_without_cuda_graphs_run_the_metal_row_on_apple_chips(scenario):
    # Metal never had CUDA graphs: the profile of builds without them reads an Apple chip as the Metal backend does,
    # NVIDIA cards as Dec 2023 CUDA builds did
    m3 = scenario("llama2-7b", "m3-max-64gb")
    rtx = scenario("llama2-7b", "rtx4090")
    assert speed_key(ENGINES["llamacpp-2023"], m3.gpu) == "llamacpp-metal"
    assert speed_key(ENGINES["llamacpp-2023"], rtx.gpu) == "llamacpp-2023"
    # llama.cpp's Apple Silicon table (discussion #4167, builds of Nov 2023 - the era of this profile): an M3 Max
    # (40-core GPU) prefills Llama 2 7B F16 at 779.17 tokens/s (pp512); within 10 % (the CUDA row's prompt share,
    # 0.40 of the peak where Metal's is 0.75, read it about half)
    s = m3.with_(weights="fp16", engine="llamacpp-2023", prompt_tokens=512)
    assert 512 / float(prefill_time(s, 512, 1)) == pytest.approx(779.17, rel=0.10)


def test_eager_decode_reads_the_cache_once_per_query_head_on_metal(scenario):
    # Llama 3 8B F16 on an M3 Max (400 GB/s), eager attention: from 1,024 to 4,096 tokens of context a step reads
    # 3,072 more tokens' cache 1.6 x 4 times (32 query heads, 8 KV heads) and their scores (10 bytes a head and
    # a 4-byte mask, 32 layers), at the Metal row's 91 %:
    s = scenario("llama3-8b", "m3-max-64gb", weights="fp16", engine="llamacpp-2023", prompt_tokens=512)
    assert s.attention_impl == "eager"
    by_hand = 3072 * (LLAMA3_8B_KV * 1.6 * 4 + (10 * 32 + 4) * 32) / (400e9 * METAL_SHARE) * 1e3
    assert by_hand == pytest.approx(7.17, abs=0.01)
    assert _slope_ms(s) == pytest.approx(by_hand, rel=1e-9)
    # measured (XiongjieDai, build 2795, corpus): tg2048 21.86 and tg8192 18.74 tokens/s (contexts 1,024 and
    # 4,096 on average): +7.62 ms; within 10 %
    assert _slope_ms(s) == pytest.approx(1e3 / 18.74 - 1e3 / 21.86, rel=0.10)
    # Llama 3 70B Q4_K_M (64 query heads, 8 KV heads: 12.8 reads) on the same chip: 7.20 -> 5.60 tokens/s,
    # +39.7 ms; within 15 %
    big = s.with_(model=scenario("llama3-70b", "m3-max-64gb").model, weights="q4_k_m")
    by_hand = 3072 * (LLAMA3_70B_KV * 1.6 * 8 + (10 * 64 + 4) * 80) / (400e9 * METAL_SHARE) * 1e3
    assert _slope_ms(big) == pytest.approx(by_hand, rel=1e-9)
    assert _slope_ms(big) == pytest.approx(1e3 / 5.60 - 1e3 / 7.20, rel=0.15)


def test_flash_attention_and_cuda_read_the_cache_once(scenario):
    # with flash attention (the llama.cpp profile's default) the cache is read once and the scores stay on chip
    s = scenario("llama3-8b", "m3-max-64gb", weights="fp16", engine="llamacpp", prompt_tokens=512)
    assert s.attention_impl == "flash"
    assert _slope_ms(s) == pytest.approx(3072 * LLAMA3_8B_KV / (400e9 * METAL_SHARE) * 1e3, rel=1e-9)
    # eager attention on an NVIDIA card: once too (not measured there), with its scores: RTX 4090, 1,008 GB/s at
    # the Dec 2023 row's 82 % (16 bits)
    rtx = scenario("llama3-8b", "rtx4090", weights="fp16", engine="llamacpp-2023", prompt_tokens=512)
    by_hand = 3072 * (LLAMA3_8B_KV + (10 * 32 + 4) * 32) / (1008e9 * 0.82) * 1e3
    assert _slope_ms(rtx) == pytest.approx(by_hand, rel=1e-9)


def test_a_one_token_prompt_costs_a_decode_step_with_the_reads(scenario):
    # a 1-token prompt after c cached tokens reads what a decode step at context c does, the cache's reads included:
    # from 4,096 to 8,192 cached tokens both gain 4,096 tokens' cache read 6.4 times and their scores
    s = scenario("llama3-8b", "m3-max-64gb", weights="fp16", engine="llamacpp-2023", prompt_tokens=512)

    def one_token(c: int) -> float:
        return float(prefill_time(s.with_(prompt_tokens=c + 1, cached_tokens=c), c + 1, 1))
    by_hand = 4096 * (LLAMA3_8B_KV * 6.4 + (10 * 32 + 4) * 32) / (400e9 * METAL_SHARE)
    assert one_token(8192) - one_token(4096) == pytest.approx(by_hand, rel=1e-6)
    assert _slope_ms(s, 4096, 8192) == pytest.approx(by_hand * 1e3, rel=1e-6)


def test_the_fit_table_reads_each_card_with_its_own_row(scenario, cat):
    # the cache's reads depend on the card's row: in one table, the Apple chip's row is its one-card estimate
    from vramgui.core.cards import card_table
    s = scenario("llama3-8b", "rtx4090", weights="q4_k_m", engine="llamacpp-2023", prompt_tokens=8192)
    gpus = [cat.gpu(g) for g in ("rtx4090", "m3-max-64gb", "m2-ultra-192gb", "mi300x")]
    t = card_table(s, gpus)
    for g, tok_s in zip(gpus, t.decode_tokens_per_s, strict=True):
        assert tok_s == pytest.approx(float(estimate_speed(s.with_(gpu=g)).decode_tokens_per_s[()]), rel=1e-12)
    flash = card_table(s.with_(attention="flash"), gpus)
    assert np.all(flash.decode_tokens_per_s[1:3] > t.decode_tokens_per_s[1:3] * 1.15)   # the reads cost > 15 %


def test_explain_names_the_reads(scenario):
    s = scenario("llama3-8b", "m3-max-64gb", weights="fp16", engine="llamacpp-2023", prompt_tokens=4096)
    decode = next(e for e in explain_items(s) if e.key == "decode")
    assert "(read 6.4 times: once per query head)" in decode.formula
    reads = [a for a in decode.assumptions if a.name == "Cache reads without flash attention"]
    assert len(reads) == 1
    assert reads[0].value == "6.4 a step (1.6 per query head × 4 query heads per KV head on Metal)"
    assert "XiongjieDai" in reads[0].source
    flash = next(e for e in explain_items(s.with_(attention="flash")) if e.key == "decode")
    assert "read 6.4" not in flash.formula
    assert not [a for a in flash.assumptions if a.name == "Cache reads without flash attention"]
