"""Fit verdicts and solvers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vramgui.core import budget_bytes, estimate_memory, fit, max_batch, max_prompt_tokens
from vramgui.core.fit import largest_between, largest_fitting, largest_within
from vramgui.core.units import GB, GIB, MIB


def test_llama2_70b_4bit_hf_eager_on_a100_80gb(scenario):
    # Published measurement (Llama2-70B 4-bit, HF transformers eager attention, one A100 80GB):
    # ≈ 35-37 GB at a tiny prompt, out of memory beyond about 8,500 prompt tokens.
    s = scenario("llama2-70b", "a100-80gb", weights="gptq-int4", engine="hf", attention="eager", prompt_tokens=16)
    m = estimate_memory(s)
    tensors = float(m.weights + m.kv_cache + m.activations)
    assert 35 * GB <= tensors <= 37 * GB
    assert float(m.total) <= 37.5 * GB          # + the CUDA context
    limit = max_prompt_tokens(s)
    assert limit == pytest.approx(8500, rel=0.10)
    # sdpa never holds the score matrix: the limit is KV-bound, several times larger
    assert max_prompt_tokens(s.with_(attention="sdpa")) > 5 * limit


def test_hf_eager_scores_in_bf16_hold_an_fp32_copy(scenario):
    # softmax(scores, dtype=float32) fuses the upcast only for fp16 on CUDA; a bf16 input is first copied to fp32,
    # so the bf16 scores (2 bytes), that copy (4) and the fp32 result (4) are alive together: 10 bytes a score
    # against fp16's 8. Llama 3 8B (32 heads), one 4,096-token prompt: 32 x 4,096^2 x 2 bytes more, with HF's 10 %
    # allocator share on the transient peak
    bf16 = scenario("llama3-8b", "h200", weights="bf16", kv_dtype="bf16", engine="hf", attention="eager",
                    prompt_tokens=4096, output_tokens=8)
    fp16 = bf16.with_(weights="fp16", kv_dtype="fp16")
    more = float(estimate_memory(bf16).activations - estimate_memory(fp16).activations)
    assert more == pytest.approx(32 * 4096**2 * 2 * 1.10, rel=1e-9)          # 1.10 GiB
    # vramgui's own H200 run of that scenario: generate() peaked at 20.71 GiB allocated; the estimate of the
    # tensors (weights + cache + transient) must not fall below it and stay within 5 % above (the allocator share
    # is counted on top; with 8 bytes a score it was 2.8 % below)
    m = estimate_memory(bf16)
    assert 0 < float(m.weights + m.kv_cache + m.activations) / GIB / 20.71 - 1 < 0.05
    # sdpa holds no scores: the same in both dtypes
    assert float(estimate_memory(bf16.with_(attention="sdpa")).activations) == \
        float(estimate_memory(fp16.with_(attention="sdpa")).activations)


def test_budget_subtracts_reserved_and_caps_by_engine(scenario):
    s = scenario("llama2-7b", "rtx4090")
    assert budget_bytes(s) == 24564 * MIB
    assert budget_bytes(s.with_(reserved_mib=1024)) == (24564 - 1024) * MIB
    v = scenario("llama2-7b", "a100-80gb", engine="vllm")
    # vLLM: 0.92 × 81,920 MiB for tensors, CUDA graphs (0.9 GiB) allocated beyond the cap
    assert budget_bytes(v) == pytest.approx(0.92 * 81920 * MIB + 0.9 * GIB)
    assert budget_bytes(v.with_(gpu_util=0.5)) == pytest.approx(0.5 * 81920 * MIB + 0.9 * GIB)



def test_unified_memory_counts_only_what_the_gpu_may_wire(scenario, cat):
    from vramgui.core.cards import budgets
    # Apple M2 Ultra 192 GB: macOS lets the GPU wire 147,456 MB = 0.75 x 196,608 MiB by default
    m = scenario("llama2-70b", "m2-ultra-192gb", weights="q4_k_m", engine="llamacpp")
    assert budget_bytes(m) == 0.75 * 196608 * MIB
    # the fit table's column agrees; a discrete card keeps all its memory beside it
    got = budgets(m, [cat.gpu("m2-ultra-192gb"), cat.gpu("rtx4090")])
    np.testing.assert_array_equal(got, [0.75 * 196608 * MIB, 24564 * MIB])
    # an engine cap below the share still applies (vLLM's 0.92 is above it: the share wins)
    assert budget_bytes(m.with_(gpu_util=0.5)) == 0.5 * 196608 * MIB
    # a preset may state its platform's share (a machine that gives the GPU 96 of 128 GB)
    src = cat.gpu("m2-ultra-192gb")
    g = type(src)(**{**src.model_dump(), "gpu_memory_share": 0.9,
                     "sources": {**src.sources, "gpu_share": "a test's own figure"}})
    assert budget_bytes(m.with_(gpu=g)) == pytest.approx(0.9 * 196608 * MIB)
    # DGX Spark: CUDA reports 121.69 GiB of the 128 GiB (share 0.95); vLLM's 0.92 cap is lower
    spark = m.with_(gpu=cat.gpu("dgx-spark"), engine="generic")
    assert budget_bytes(spark) == pytest.approx(0.95 * 128 * GIB)
    assert budget_bytes(spark.with_(engine="vllm")) == pytest.approx(0.92 * 128 * GIB + 0.9 * GIB)
    # Ryzen AI Max+ 395: 96 GB of its 128 GB as Variable Graphics Memory
    assert budget_bytes(m.with_(gpu=cat.gpu("ryzen-ai-max-395-128gb"))) == pytest.approx(96 * GIB)


def test_max_prompt_is_exact_to_one_token(scenario):
    s = scenario("llama2-13b", "rtx4090", weights="q4_k_m", engine="llamacpp", output_tokens=100)
    n = max_prompt_tokens(s)
    b = budget_bytes(s)
    assert float(estimate_memory(s, prompt=n).total) <= b
    assert float(estimate_memory(s, prompt=n + 1).total) > b


def test_max_batch_is_exact_to_one_sequence(scenario):
    s = scenario("llama3.1-8b", "h100-sxm", engine="vllm", prompt_tokens=2000, output_tokens=500)
    n = max_batch(s)
    b = budget_bytes(s)
    assert float(estimate_memory(s, batch=n).total) <= b < float(estimate_memory(s, batch=n + 1).total)


@settings(max_examples=300, deadline=None)
@given(lo=st.integers(0, 2**27 - 1), span=st.integers(1, 2**27), offset=st.integers(0, 2**27))
def test_search_finds_the_last_fitting_integer(lo, span, offset):
    # a monotone test that holds up to a known x: the search must land on exactly x
    hi = lo + span
    x = lo + offset % span                        # the last fitting integer, somewhere in [lo, hi)
    calls = []

    def fits_at(xs):
        calls.append(xs)
        assert xs.dtype == np.int64 and np.all((xs > lo) & (xs < hi)) and np.all(np.diff(xs) > 0)
        return xs <= x

    assert largest_fitting(fits_at, lo, hi) == x
    assert len(calls) <= 3                        # 1024 probes a round: 2**27 in three rounds


@settings(max_examples=200, deadline=None)
@given(xs=st.lists(st.integers(-5, 2**24 + 5), min_size=1, max_size=40), probes=st.sampled_from([2, 3, 7, 64, 1024]))
def test_vectorised_search_finds_every_bracket_at_once(xs, probes):
    # One budget per entry; the total at x is x itself, so the answer is the budget clamped to
    # [lo - 1, hi] -- whatever the number of probes a round.
    budget = np.array(xs, dtype=np.float64)
    got = largest_within(lambda x: x.astype(np.float64), budget, 1, 2**24, probes)
    assert got.tolist() == np.clip(budget, 0, 2**24).astype(np.int64).tolist()


@settings(max_examples=300, deadline=None)
@given(budget=st.integers(-5, 2**27 + 300), block=st.sampled_from([1, 16, 256]), under=st.integers(0, 2**27),
       over=st.integers(0, 2**27), known=st.sampled_from(["none", "below", "above", "both"]))
def test_search_between_known_bounds(budget, block, under, over, known):
    # memory in blocks: the total at x is x rounded up to the block, so the last x that fits is the
    # budget rounded down to the block, clamped to [lo - 1, hi]; a point known to fit (``under`` below
    # the answer) or not to (``over`` above the one after it) must not change the answer, and a
    # narrow bracket takes one round
    lo, hi = 0, 2**27
    want = int(np.clip(budget // block * block, lo - 1, hi))
    below = max(want - under, lo) if known in ("below", "both") and want >= lo else lo - 1
    above = min(want + 1 + over, hi) if known in ("above", "both") and want < hi else hi + 1
    calls = []

    def total_at(xs):
        calls.append(xs.shape[-1])
        return -(-xs // block) * block

    got = largest_between(total_at, np.array([float(budget)]), np.array([below]), np.array([above]), lo, hi, 1024)
    assert got.tolist() == [want]
    if known == "both" and want >= lo and want < hi and above - below <= 1024:
        assert len(calls) <= 2                   # the ends, then one round over the bracket


def test_kv_capacity_matches_vllm_arithmetic(scenario):
    # Left after weights, activation peak and overhead, divided by 131,072 B/token (Llama 3.1 8B bf16)
    s = scenario("llama3.1-8b", "h100-sxm", engine="vllm", weights="bf16", kv_dtype="bf16", prompt_tokens=8192)
    f = fit(s)
    m = estimate_memory(s)
    left = f.budget_bytes - float(m.weights + m.activations + m.overhead)
    assert f.kv_capacity_tokens == int(left // 131072 // 16 * 16)
    assert f.max_concurrency == pytest.approx(f.kv_capacity_tokens / 8192)


def test_fewest_cards_for_llama2_70b_fp16(scenario):
    # 68.98 B × 2 bytes = 137.95 GB = 128.5 GiB of weights.  vLLM's cap on one A100 80GB is
    # 0.92 × 80 GiB = 73.6 GiB: one card cannot hold them; two hold 64.2 GiB each plus ~2.1 GiB of
    # activation peak and ~2 GiB of non-torch memory, leaving room for a 4k-token sequence.
    s = scenario("llama2-70b", "a100-80gb", engine="vllm", weights="fp16", prompt_tokens=4096)
    f = fit(s)
    assert not f.fits and f.verdict == "needs 2 cards" and f.min_gpus == 2
    two = fit(s.with_(n_gpus=2))
    assert two.fits
    # per card on two: half of 68,976,648,192 params × 2 bytes (norms, 162 k params, replicate)
    weights = (68_976_648_192 - 81 * 8192) * 2 / 2 + 81 * 8192 * 2
    kv = 4096 * 2 * 80 * (8 // 2) * 128 * 2                    # 4 of 8 KV heads per card
    assert two.needed_bytes > weights + kv
    assert two.needed_bytes - weights - kv < 6 * GIB           # activation peak + overhead: a few GiB


def test_does_not_fit_anywhere(scenario):
    f = fit(scenario("llama3.1-405b", "t4", weights="fp32", engine="vllm"))
    assert f.min_gpus is None and f.verdict == "does not fit" and f.max_prompt_tokens is None


MODELS = ["llama2-7b", "mixtral-8x7b", "gemma2-9b", "deepseek-v2-lite", "qwen2.5-0.5b", "chatglm3-6b"]
ENGINES = ["generic", "hf", "vllm", "llamacpp"]


def fused(engine: str, attention: str | None) -> str | None:
    """``attention``, or the engine's default where it has no eager attention (core.engines.NO_EAGER_ATTENTION)."""
    from vramgui.core.engines import NO_EAGER_ATTENTION
    return None if attention == "eager" and engine in NO_EAGER_ATTENTION else attention


@settings(max_examples=150, deadline=None)
@given(model=st.sampled_from(MODELS), engine=st.sampled_from(ENGINES),
       attention=st.sampled_from(["eager", "sdpa", "flash"]), prompt=st.integers(0, 200_000),
       extra=st.integers(1, 50_000), batch=st.integers(1, 256), n=st.sampled_from([1, 2, 4]))
def test_memory_never_decreases_as_context_or_batch_grow(model, engine, attention, prompt, extra, batch, n):
    from vramgui.core import Scenario, default_catalog
    cat = default_catalog()
    s = Scenario(model=cat.model(model), gpu=cat.gpu("h100-sxm"), engine=engine, attention=fused(engine, attention),
                 prompt_tokens=prompt, batch=batch, n_gpus=n)
    m = estimate_memory(s, prompt=np.array([prompt, prompt + extra]), batch=batch)
    assert m.total[1] >= m.total[0]
    mb = estimate_memory(s, batch=np.array([batch, batch + 1]))
    assert mb.total[1] >= mb.total[0]


# Within a family the same tensor groups are kept at high precision, so more bits per
# weight must never mean less memory.  (Across families it can: int8 keeps 16-bit
# embeddings, Q8_0 stores them at 8.5 bits.)
FAMILIES = [
    ["int4", "nf4", "gptq-int4", "nf4-nodq", "int8", "fp16", "fp32"],
    ["q2_k", "q3_k_m", "q4_0", "q4_k_m", "q5_0", "q5_k_m", "q6_k", "q8_0"],
]


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(MODELS), engine=st.sampled_from(ENGINES), prompt=st.integers(0, 100_000),
       family=st.sampled_from(FAMILIES))
def test_memory_never_decreases_as_bits_grow(model, engine, prompt, family):
    from vramgui.core import Scenario, default_catalog
    from vramgui.core.weights import linear_roles
    cat = default_catalog()
    if family[0] == "q2_k" and any(row % 256 for _, _, row in linear_roles(cat.model(model).architecture)):
        # rows a K-quant's 256-weight block does not divide fall back to wider types (llama.cpp's
        # quantizer): Qwen2.5 0.5B's Q3_K_M is mostly IQ4_NL and its Q4_K_M mostly Q5_0, as large as Q4_0 / Q5_0
        return
    if engine == "hf" and cat.model(model).architecture.moe is not None:
        # (HF transformers' bitsandbytes leaves an MoE model's routed experts 16-bit: NF4 there weighs more than INT8,
        # test_hf_expert_gather's test_bitsandbytes_leaves_an_moe_models_experts_16_bit_under_hf)
        family = [f for f in family if f not in ("nf4", "nf4-nodq")]
    totals = [float(estimate_memory(Scenario(model=cat.model(model), gpu=cat.gpu("a100-80gb"), engine=engine,
                                             weights=f, prompt_tokens=prompt)).total) for f in family]
    assert all(b >= a for a, b in zip(totals, totals[1:], strict=False))


@settings(max_examples=40, deadline=None)
@given(model=st.sampled_from(MODELS), engine=st.sampled_from(ENGINES), gpu=st.sampled_from(
    ["rtx4090", "a100-80gb", "t4", "h100-sxm", "rtx4060ti-16gb"]), output=st.integers(0, 4000),
    batch=st.integers(1, 64), attention=st.sampled_from(["eager", "flash"]))
def test_largest_context_fits_and_one_more_token_does_not(model, engine, gpu, output, batch, attention):
    from vramgui.core import Scenario, default_catalog
    cat = default_catalog()
    s = Scenario(model=cat.model(model), gpu=cat.gpu(gpu), engine=engine, output_tokens=output, batch=batch,
                 attention=fused(engine, attention), weights="q4_k_m" if engine == "llamacpp" else "fp16")
    n = max_prompt_tokens(s)
    b = budget_bytes(s)
    if n is None:
        assert float(estimate_memory(s, prompt=0).total) > b
    else:
        assert float(estimate_memory(s, prompt=n).total) <= b
        assert float(estimate_memory(s, prompt=n + 1).total) > b


def test_llama_server_without_c_allocates_what_fits_with_its_margin(scenario):
    """llama-server started without -c (current llama.cpp, PR #16653): the model's training context, where it fits with
    the 1,024 MiB --fit keeps free; else the largest that does, rounded down to 256 tokens, at least --fit-ctx's 4,096
    (below which layers go to the CPU).  Llama 3.1 8B Q6_K on an RTX 4060 (8,192 MiB), by hand: 5,872 MiB of weights
    (tests/test_machine.py), the CUDA context 300, the compute buffer 64 and 0.125 MiB of cache a token: at 7,424 tokens
    928 MiB of cache, 1,028 MiB to spare; at 7,680, 960 and 996: 7,424."""
    from vramgui.core.fit import server_context
    from vramgui.core.report import server_context_note
    s = scenario("llama3.1-8b", "rtx4060", weights="q6_k", engine="llamacpp", prompt_tokens=1000, output_tokens=0)
    for tokens, spare in ((7424, 1028), (7680, 996)):
        assert (8192 - 5872 - 300 - 64 - tokens * 0.125) == spare
        at = s.with_(prompt_tokens=tokens)
        assert budget_bytes(at) - float(estimate_memory(at).total) == pytest.approx(spare * 2**20, abs=2**20)
    assert server_context(s) == (7424, True)
    assert server_context(s.with_(prompt_tokens=30000, batch=4)) == (7424, True)   # not the load's
    assert server_context_note(s) == ("llama-server without -c: 7,424 tokens of context, the most that fit with the "
                                      "1,024 MiB its --fit keeps free (the model's own 131,072 do not; on by default "
                                      "since Dec 2025)")
    # room for the whole 131,072: Q4_K_M on an RTX 4090 (16 GiB of cache), no note
    roomy = scenario("llama3.1-8b", "rtx4090", weights="q4_k_m", engine="llamacpp", prompt_tokens=131072,
                     output_tokens=0)
    assert budget_bytes(roomy) - float(estimate_memory(roomy).total) >= 1024 * 2**20
    assert server_context(roomy) == (131072, True) and server_context_note(roomy) is None
    # Llama 3.1 70B Q4_K_M on an RTX 4090: not even 4,096 tokens fit: 4,096, with layers on the CPU
    huge = scenario("llama3.1-70b", "rtx4090", weights="q4_k_m", engine="llamacpp")
    assert server_context(huge) == (4096, False)
    assert server_context_note(huge).startswith("llama-server without -c: 4,096 tokens of context (--fit's least), "
                                                "with layers moved to the CPU")
    # a model trained on 4,096 tokens keeps them (no reduction below --fit-ctx); other engines: none
    assert server_context(scenario("llama2-7b", "rtx4060", weights="q4_k_m", engine="llamacpp")) == (4096, True)
    for engine in ("ollama", "llamacpp-2023", "vllm"):
        assert server_context(s.with_(engine=engine)) is None and server_context_note(s.with_(engine=engine)) is None


def test_llama_server_fit_margin_note(scenario):
    # llama-server and llama-cli place what the command line leaves unset so that 1,024 MiB stay free (--fit, PR
    # #16653): a model that fits with less headroom runs partly offloaded unless -ngl is given.  Qwen3 32B Q4_K_M on
    # an RTX 4090 under llama.cpp: with 21,024 tokens of context it fits with a few hundred MiB to spare
    from vramgui.core.fit import auto_fit_headroom
    from vramgui.core.report import fit_margin_note
    s = scenario("qwen3-32b", "rtx4090", weights="q4_k_m", engine="llamacpp", prompt_tokens=20000, output_tokens=1024)
    spare = budget_bytes(s) - float(estimate_memory(s).total)
    assert 0 < spare < 1024 * 2**20 and auto_fit_headroom(s) == spare
    assert fit_margin_note(s).startswith(f"{spare / 2**20:,.0f} MiB to spare, under the 1,024 MiB llama-server")
    # more room (a shorter context), or none (the model does not fit): no note
    assert auto_fit_headroom(s.with_(prompt_tokens=8000)) is None
    assert budget_bytes(s) - float(estimate_memory(s.with_(prompt_tokens=24000)).total) < 0
    assert auto_fit_headroom(s.with_(prompt_tokens=24000)) is None
    # Ollama has the margin in its budget already, the builds of 2023-2024 had no --fit, vLLM its own share
    for engine in ("ollama-num-ctx", "llamacpp-2023", "vllm"):
        assert auto_fit_headroom(s.with_(engine=engine)) is None and fit_margin_note(s.with_(engine=engine)) is None
