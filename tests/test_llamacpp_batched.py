"""llama.cpp decoding several sequences with quantized weights: its CUDA kernels' cost per sequence (MMVQ up
to 8 columns, MMQ above), and the caution where the speed model does not follow them."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog
from vramgui.core.cards import decode_steps
from vramgui.core.explain import explain, explain_items
from vramgui.core.memory import estimate_memory
from vramgui.core.report import batched_decode_note, estimate_dict, report_markdown
from vramgui.core.speed import (
    LLAMACPP_BATCHED,
    card_of,
    decode_from_terms,
    decode_parts,
    decode_step,
    prefill_time,
    speed_terms,
)
from vramgui.core.validation import load_corpus

CAT = default_catalog()
CORPUS = Path(__file__).parent / "data" / "measured" / "corpus.jsonl"
# Llama 3 8B: 2 x (8,030,261,248 parameters less the 128,256 x 4,096 embedding table) per token
TWO_P = 2 * (8_030_261_248 - 128_256 * 4_096)
# an RTX 3090's SMs x clock from its int8 peak, 284 TOPS at 2,048 a SM a clock (82 SMs x 1.695 GHz)
SM_CLOCKS_3090 = 284e12 / 2048


def scenario(**kw) -> Scenario:
    kw = {"weights": "q4_0", "engine": "llamacpp", "prompt_tokens": 512, "output_tokens": 128, **kw}
    gpu = kw.pop("gpu", "rtx3090")
    return Scenario(model=CAT.model(kw.pop("model", "llama3-8b")), gpu=CAT.gpu(gpu), **kw)


def _without_kernels(s: Scenario, batch, context):
    """The step as the plain roofline gives it (the kernels' terms off)."""
    t = replace(speed_terms(s), mmvq_rate=0.0, mmq_load=0.0, exposed=0.0)
    return decode_from_terms(t, batch, context, card_of(s))[0]


def test_the_cautions_speedups_are_the_corpus_points():
    # each quoted speedup = the named points' throughput at b over that at 1, as llama-bench printed them
    points = {p["id"]: p for p in load_corpus(CORPUS)}
    for run in LLAMACPP_BATCHED:
        one, many = (points[i] for i in run["ids"])
        assert (one["extra"]["n_ubatch"], many["extra"]["n_ubatch"]) == (1, run["batch"])
        assert many["value"] / one["value"] == pytest.approx(run["speedup"], abs=0.005), run


def test_mmvq_pays_for_every_column_past_the_first():
    # RTX 3090, 4 sequences: 3 more columns at 2P / (SMs x clock x 105 a SM a clock) each on top of the roofline:
    # 3 x 15,009,849,344 / (138.67e9 x 105) = 3.093 ms
    s = scenario(batch=4)
    extra = float(decode_step(s, 4, 256)[0] - _without_kernels(s, 4, 256))
    assert TWO_P == 15_009_849_344
    assert extra == pytest.approx(3 * TWO_P / (SM_CLOCKS_3090 * 105), rel=1e-9)
    assert extra == pytest.approx(3.093e-3, rel=1e-3)
    # one sequence: the calibrated decode, untouched; 8: seven columns
    assert float(decode_step(s, 1, 256)[0]) == pytest.approx(float(_without_kernels(s, 1, 256)), rel=1e-12)
    assert float(decode_step(s, 8, 256)[0] - _without_kernels(s, 8, 256)) == pytest.approx(
        7 * TWO_P / (SM_CLOCKS_3090 * 105), rel=1e-9)
    # the speed of light stays the roofline's
    assert float(decode_step(s, 4, 256, efficient=False)[0]) == pytest.approx(
        float(decode_from_terms(speed_terms(s), 4, 256, card_of(s), efficient=False)[0]), rel=1e-12)


def test_mmq_adds_its_math_to_the_weights_load():
    # 16 sequences (MMQ): the math after the weights' load, which takes the longer of their read and their
    # conversion at 4 weights per SM per clock.  RTX 3090, context 32: Q4_0 at 4.5 bits, so the weights a step
    # reads hold bytes x 8 / 4.5 weights (about the 7.5 billion of P); converting them takes
    # 7.5e9 / (138.67e9 x 4) = 13.5 ms, more than reading them (about 5.2 ms); the math 16 x 2P at 35 % of the
    # graphics int8 rate
    s = scenario(batch=16)
    t = speed_terms(s)
    assert float(t.flops_efficiency) * 71.2e12 == pytest.approx(0.35 * 284e12, rel=1e-9)   # (its fp16 figure)
    parts = decode_parts(t, 16, 32, *card_of(s)[2:])
    weights = float(t.dense_bytes)
    load = weights * 8 / 4.5 / (SM_CLOCKS_3090 * 4)
    assert load == pytest.approx(TWO_P / 2 / (SM_CLOCKS_3090 * 4), rel=0.05)   # (its output layer in Q6_K)
    assert load == pytest.approx(13.5e-3, rel=0.05)
    mem = float(parts.bytes_moved) / (936e9 * float(t.bw_efficiency))
    assert mem < load / 2
    math = 16 * TWO_P / (0.35 * 284e12)
    assert math == pytest.approx(2.416e-3, rel=1e-3)
    step = float(decode_step(s, 16, 32)[0])
    assert step == pytest.approx(load + math + float(t.step_overhead), rel=1e-6)
    # 2-8 sequences: the faster of the two kernels; on the 3090 MMVQ (the conversion alone outlasts its step)
    assert float(decode_step(s, 8, 32)[0]) < load
    # on an RTX 4090 (322.6e9 SM clocks a second: 2.3 times the 3090's) the conversion takes 5.8 ms, and MMQ
    # (with its math and the layers' fixed cost) comes out below MMVQ's 7 more columns at 8
    s4090 = scenario(batch=8, gpu="rtx4090")
    mmvq = float(_without_kernels(s4090, 8, 32)) + 7 * TWO_P / (660.6e12 / 2048 * 105)
    assert float(decode_step(s4090, 8, 32)[0]) < 0.95 * mmvq
    # throughput never falls as sequences are added within one kernel, and the step never shortens
    steps = decode_step(s, np.arange(1, 65), 32)[0]
    assert np.all(np.diff(steps) >= 0)


@pytest.mark.parametrize("kw", [{"engine": "vllm", "weights": "fp16"}, {"gpu": "v100-32gb"}, {"gpu": "mi300x"},
                                {"engine": "llamacpp-vulkan"}, {"engine": "llamacpp-vulkan", "weights": "bf16"},
                                {"gpu": "mi300x", "weights": "bf16"}])
def test_other_kernels_and_cards_keep_the_roofline(kw):
    # other engines, cards without an int8 figure, other backends (their 16-bit weights too)
    s = scenario(batch=4, **kw)
    assert float(decode_step(s, 4, 256)[0]) == pytest.approx(float(_without_kernels(s, 4, 256)), rel=1e-12)


def test_the_fit_table_steps_are_the_scenarios():
    # the table's per-card arrays carry the kernels' terms card by card (a V100 has none)
    gpus = [CAT.gpu(g) for g in ("rtx3090", "v100-32gb", "rtx4090", "h100-sxm")]
    for b in (1, 4, 8, 9, 64):
        s = scenario(batch=b)
        table = decode_steps(s, gpus)
        own = [float(decode_step(s.with_(gpu=g), b, s.context_tokens)[0]) for g in gpus]
        np.testing.assert_allclose(table, own, rtol=1e-12)


def test_a_microbatch_reads_one_sequences_cache():
    # pp512 at -ub 8: a step of 8 tokens of one sequence reads its cache once, on average 256 tokens deep
    # (Llama 3 8B: 32 layers x 2 x 8 KV heads x 128 x 2 bytes = 128 KiB a token), not 8 sequences' caches;
    # the validation estimates it as a step of 8 sequences at 256 / 8 = 32 tokens each
    s = scenario(batch=8)
    assert estimate_memory(s).kv_bytes_per_token == 32 * 2 * 8 * 128 * 2
    t = speed_terms(s)
    kv_read = float(decode_parts(t, 8, 32, 1e12, 0).bytes_moved - decode_parts(t, 8, 0, 1e12, 0).bytes_moved)
    assert kv_read == pytest.approx(256 * 131_072, rel=1e-9)


@pytest.mark.parametrize(("kw", "flagged"), [
    ({"batch": 1, "gpu": "v100-32gb"}, False),               # one sequence: the calibrated case
    ({"batch": 2, "gpu": "v100-32gb"}, True), ({"batch": 64, "weights": "q4_k_m", "gpu": "v100-32gb"}, True),
    ({"batch": 4, "engine": "llamacpp-vulkan"}, True),       # (the same kernels' design on every backend)
    ({"batch": 4, "gpu": "mi300x"}, True),
    ({"batch": 4}, False), ({"batch": 64, "gpu": "h100-sxm"}, False),   # modelled
    ({"batch": 4, "gpu": "m2-ultra-192gb"}, False), ({"batch": 64, "gpu": "m2-ultra-192gb"}, False),  # (Metal too)
    ({"batch": 16, "gpu": "m2-ultra-192gb", "model": "gpt-oss-20b"}, False),   # experts a token at a time: modelled
    ({"batch": 32, "gpu": "m2-ultra-192gb", "model": "gpt-oss-20b"}, True),    # ... their tile kernel: not
    ({"batch": 4, "weights": "fp16", "gpu": "v100-32gb"}, False),      # 16-bit weights: other kernels
    ({"batch": 4, "engine": "vllm", "weights": "fp16"}, False),
])
def test_the_note_is_there_only_where_llamacpp_batches_are_not_modelled(kw, flagged):
    assert (batched_decode_note(scenario(**kw)) is not None) is flagged


def test_json_cli_report_and_explain_carry_the_note(capsys):
    s = scenario(batch=8, gpu="v100-32gb")
    d = estimate_dict(s)
    note = d["scenario"]["batched_decode_note"]
    assert note.startswith("llama.cpp likely decodes 8 sequences at once slower than this estimate")
    assert "RTX 3090: 4 sequences 3.01 times and 8 sequences 3.73 times one sequence's throughput" in note
    assert estimate_dict(scenario(batch=8))["scenario"]["batched_decode_note"] is None
    assert note in report_markdown(d)
    assert "Llama 3 8B Q4_0" in explain(s)["decode"]
    assert main(["estimate", "--model", "llama3-8b", "--gpu", "v100-32gb", "--weights", "q4_0", "--engine",
                 "llamacpp", "--batch", "8"]) == 0
    assert "note: llama.cpp likely decodes 8 sequences" in capsys.readouterr().out


def test_a_prompts_passes_load_the_weights_before_their_math():
    # prefill runs the same tile kernel pass by pass: a 64-token prompt on an RTX 3090 converts the weights
    # (13.5-14 ms, as in decode) and then multiplies 64 x 2P at 35 % of the int8 rate (8.7 ms); the plain
    # roofline gave the larger of the read and the math alone
    from vramgui.core.speed import prefill_from_terms, prefill_parts, prefill_time
    s = scenario(prompt_tokens=64)
    t, card = speed_terms(s), card_of(s)
    load = float(t.dense_bytes) * 8 / 4.5 / (SM_CLOCKS_3090 * 4)
    math = 64 * TWO_P / (0.35 * 284e12)
    assert math == pytest.approx(9.664e-3, rel=1e-3)
    parts = prefill_parts(t, 64, 1, *card[2:])
    assert float(parts.load_s) == pytest.approx(load, rel=1e-12)
    attention = float(parts.attention_flops) / (71.2e12 * float(t.attention_efficiency))
    assert attention < 0.01 * math
    got = float(prefill_time(s, 64, 1))
    assert got == pytest.approx(load + math + float(t.step_overhead), rel=1e-6)   # (attention under the load)
    plain = float(prefill_from_terms(replace(t, mmvq_rate=0.0, mmq_load=0.0), 64, 1, card))   # (kernels off)
    assert got > 1.8 * plain
    # a 512-token pass: the load is about a fifth of the math (the int8 shares are fitted with it counted)
    assert load / (512 * TWO_P / (0.35 * 284e12)) == pytest.approx(0.18, abs=0.02)
    # and a longer prompt never takes less time, across the kernels' switch at 8 tokens
    times = [float(prefill_time(s, p, 1)) for p in range(1, 65)]
    assert all(b >= a for a, b in zip(times, times[1:], strict=False))



def test_16bit_matmuls_leave_part_of_the_math_exposed():
    # llama.cpp's CUDA 16-bit matmuls (mat-vec kernels at a few columns, cuBLAS above) hide 40 % of the shorter of
    # read and math under the longer.  Llama 3 8B BF16 on an RTX 3090, 16 sequences at an empty context: reading
    # 15,009,849,344 bytes at 936 GB/s x 0.89 takes 18.018 ms; 16 x 15,009,849,344 FLOPs at 70 % of 71.2 TFLOP/s
    # 4.819 ms; with 32 layers x 38 us: 18.018 + 0.6 x 4.819 + 1.216 = 22.125 ms (the roofline's max: 19.234)
    s = scenario(weights="bf16", batch=16)
    t = speed_terms(s)
    assert float(t.exposed) == 0.6 and float(t.dense_bytes) == TWO_P
    mem, comp = TWO_P / (936e9 * 0.89), 16 * TWO_P / (71.2e12 * 0.70)
    step = float(decode_step(s, 16, 0)[0])
    assert step == pytest.approx(mem + 0.6 * comp + 32 * 38e-6, rel=1e-9)
    assert step == pytest.approx(22.125e-3, rel=1e-4)
    assert step - float(_without_kernels(s, 16, 0)) == pytest.approx(0.6 * comp, rel=1e-9)
    # a compute-bound prompt pass (512 tokens) pays 60 % of its read beside the math (its GEMMs, and attention's
    # 32 layers x 4 x 32 heads x 128 x 512 x 256 pairs = 68.7 GFLOP at the engine's share); the speed of light none
    p512 = float(prefill_time(s.with_(prompt_tokens=512, batch=1), 512, 1))
    attention = 32 * 4 * 32 * 128 * 512 * 256
    assert float(t.attention_flops) * 512 * 256 == pytest.approx(attention, rel=1e-12)
    comp512 = 512 * TWO_P / (71.2e12 * 0.70) + attention / (71.2e12 * float(t.attention_peak * t.attention_efficiency))
    assert p512 == pytest.approx(comp512 + 0.6 * mem + 32 * 38e-6, rel=1e-9)
    assert float(decode_step(s, 16, 0, efficient=False)[0]) == pytest.approx(
        max(TWO_P / 936e9, 16 * TWO_P / 71.2e12), rel=1e-9)
    # quantized weights (their own kernels) and 2023 builds have none
    assert float(speed_terms(scenario()).exposed) == 0.0
    assert float(speed_terms(scenario(weights="bf16", engine="llamacpp-2023")).exposed) == 0.0


def test_explain_shows_the_exposed_share():
    # the decode step's line adds the exposed share with its value, and names its source
    from vramgui.core.speed import SOURCES
    s = scenario(weights="bf16", batch=16, prompt_tokens=0, output_tokens=1)
    (e,) = [e for e in explain_items(s) if e.key == "decode"]
    t = speed_terms(s)
    mem = float(decode_parts(t, 16, 1, *card_of(s)[2:]).bytes_moved) / (936e9 * 0.89)
    comp = 16 * TWO_P / (71.2e12 * 0.70)
    assert mem > comp
    shown = f"+ 60% of the shorter of read and math, not hidden under the longer {0.6 * comp * 1e3:.2f} ms"
    assert shown in e.substituted
    (a,) = [a for a in e.assumptions if a.name == "Read and math overlap"]
    assert a.value.startswith("60% of the shorter exposed") and a.source == SOURCES["EXPOSED_16BIT_SHARE"]
    # quantized weights: no such line
    assert "not hidden" not in next(e for e in explain_items(scenario(batch=16)) if e.key == "decode").substituted


def test_the_fit_table_carries_the_exposed_share_card_by_card():
    # 16-bit weights at 16 sequences: NVIDIA cards (CUDA) expose 60 % of the shorter term, a Radeon (ROCm) and an
    # Apple chip (Metal) none; each row of the table is its card's own estimate
    gpus = [CAT.gpu(g) for g in ("rtx3090", "rx7900xtx", "m2-ultra-192gb", "h100-sxm")]
    s = scenario(weights="bf16", batch=16)
    own = [float(decode_step(s.with_(gpu=g), 16, s.context_tokens)[0]) for g in gpus]
    np.testing.assert_allclose(decode_steps(s, gpus), own, rtol=1e-12)
    assert [float(speed_terms(s.with_(gpu=g)).exposed) for g in gpus] == [0.6, 0.0, 0.0, 0.6]


def test_metal_reads_a_small_batchs_experts_a_token_at_a_time():
    # gpt-oss-20b (24 layers, 32 experts of 3 x 2880 x 2880 MXFP4 weights, 4 a token) on an M4 Max: 16 sequences
    # read 16 x 4 expert matrices a layer at 1.6 times one token's cost (EXPERT_TOKEN_READS, EXPERT_TOKEN_READ_COST)
    # where the 16 touch 32 x (1 - (28/32)^16) = 28.2 of them; 32 sequences read each touched expert once (mul_mm_id).
    # The speed of light reads each touched expert once at every batch: the kernels' way is not the hardware's
    from vramgui.core.speed import _experts_touched
    s = scenario(model="gpt-oss-20b", gpu="m4-max-128gb", weights="gguf-mxfp4")
    t = speed_terms(s)
    b = np.array([1.0, 16.0, 31.0, 32.0])
    assert _experts_touched(t, b) == pytest.approx([4, 16 * 4 * 1.6, 31 * 4 * 1.6, 32 * (1 - (28 / 32) ** 32)])
    assert 32 * (1 - (28 / 32) ** 16) == pytest.approx(28.22, abs=0.01)
    card = card_of(s)
    union = replace(t, expert_token_reads=0.0)
    sol = decode_from_terms(t, b, np.full(4, 1000.0), card, efficient=False)[0]
    np.testing.assert_allclose(sol, decode_from_terms(union, b, np.full(4, 1000.0), card, efficient=False)[0])
    assert np.all(np.diff(sol) > 0)
    step = decode_from_terms(t, b, np.full(4, 1000.0), card)[0]
    assert step[2] > 2.5 * step[3]      # the kernels' switch at 32 (flagged by batched_decode_note)
