"""The will-it-fit table: every card at once, and the drag-friendly cache of its searches."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vramgui.core import Scenario, default_catalog, fit
from vramgui.core.cards import CardTables, budgets, card_table
from vramgui.core.units import GIB


def test_llama2_7b_fp16_table_rows(scenario, cat):
    # Hand check: Llama 2 7B has 6,738,415,616 parameters -> 13.48 GB of fp16 weights.  With the
    # generic profile (no block rounding) a 512-token prompt adds 512 x 32 layers x 2 x 4096 x 2 B
    # = 268 MB of KV cache, plus the 0.69 GiB CUDA context: fits a 24 GB RTX 4090 and an 80 GB A100,
    # not a 12 GiB RTX 3060 (12,288 MiB = 12.9 GB), which needs two.
    s = scenario("llama2-7b", "rtx4090", weights="fp16", prompt_tokens=512)
    gpus = [cat.gpu("rtx4090"), cat.gpu("a100-80gb"), cat.gpu("rtx3060-12gb")]
    t = card_table(s, gpus)
    assert t.needed_bytes > 13.48e9 + 0.268e9
    assert t.needed_bytes == pytest.approx(float(fit(s).needed_bytes), rel=1e-12)
    assert t.fits.tolist() == [True, True, False]
    assert t.min_gpus.tolist() == [1, 1, 2]
    # Every row agrees with the single-card solver on that card.
    for i, g in enumerate(gpus):
        f = fit(s.with_(gpu=g))
        assert t.budget_bytes[i] == pytest.approx(f.budget_bytes, rel=1e-12)
        assert int(t.max_batch[i]) == f.max_batch
        assert int(t.max_prompt_tokens[i]) == (-1 if f.max_prompt_tokens is None else f.max_prompt_tokens)
    # Decode on the 4090 is bandwidth bound: ~13.5 GB at 1,008 GB/s x 0.85 -> ~64 tokens/s
    assert t.decode_tokens_per_s[0] == pytest.approx(1008e9 * 0.85 / 13.75e9, rel=0.08)
    assert t.headroom_bytes[1] == pytest.approx(t.budget_bytes[1] - t.needed_bytes)
    # weights + KV = 13.75 GB = 12.80 GiB, + 0.69 GiB context (measured on an H200), + a few MiB of activations
    assert float(t.needed_bytes) / GIB == pytest.approx(13.49, abs=0.08)


@pytest.mark.parametrize("primary", ["rx9070xt", "rx7900xtx", "rx7800xt"])
def test_each_radeon_attends_at_its_own_rate(scenario, cat, primary):
    # 256 sequences of 768 tokens under llama.cpp: compute bound (3.8 TFLOP of matmuls a step), and attention
    # (0.1 TFLOP, at 15 % of the peak on RDNA 4, 25 % on Navi 31, 7 % on the other Radeons) a visible part of the
    # step; each row as the one-card estimate on its card
    from vramgui.core.speed import estimate_speed
    s = scenario("llama3.1-8b", primary, weights="q4_k_m", engine="llamacpp", prompt_tokens=512, batch=256)
    assert bool(estimate_speed(s).compute_bound)
    gpus = [cat.gpu(g) for g in ("rx9070xt", "rx7900xtx", "rx7800xt", "rtx4090", "radeon-ai-pro-r9700")]
    t = card_table(s, gpus)
    for g, tok_s in zip(gpus, t.decode_tokens_per_s, strict=True):
        assert tok_s == pytest.approx(float(estimate_speed(s.with_(gpu=g)).decode_tokens_per_s[()]), rel=1e-12)


@pytest.mark.parametrize("primary", ["tesla-p40", "rtx4090", "gtx1080ti"])
def test_each_pascal_card_attends_at_its_own_rate(scenario, cat, primary):
    # 256 sequences of 768 tokens under llama.cpp: compute bound, attention at a quarter of a Pascal card's dp4a
    # rate (fp32 on its CUDA cores) and at the tensor rate elsewhere; each row as the one-card estimate on its card,
    # whichever card is primary
    from vramgui.core.speed import estimate_speed
    s = scenario("llama3.1-8b", primary, weights="q4_k_m", engine="llamacpp", prompt_tokens=512, batch=256)
    gpus = [cat.gpu(g) for g in ("tesla-p40", "gtx1080ti", "rtx4090", "v100-32gb", "p100-16gb")]
    t = card_table(s, gpus)
    for g, tok_s in zip(gpus, t.decode_tokens_per_s, strict=True):
        assert tok_s == pytest.approx(float(estimate_speed(s.with_(gpu=g)).decode_tokens_per_s[()]), rel=1e-12)


@pytest.mark.parametrize("primary", ["rtx4090", "mi300x", "m2-ultra-192gb"])
def test_each_card_decodes_as_on_its_own(scenario, cat, primary):
    # llama.cpp launches its step as a CUDA graph on NVIDIA cards only (Metal on Apple, ROCm on
    # AMD have their own costs): whichever card is primary, every row's speed is the one-card
    # estimate on that row's card
    from vramgui.core.speed import estimate_speed
    s = scenario("llama3.1-8b", primary, weights="q4_k_m", engine="llamacpp", prompt_tokens=1024)
    gpus = [cat.gpu(g) for g in ("rtx4090", "mi300x", "m2-ultra-192gb", "h100-sxm", "rx7900xtx")]
    t = card_table(s, gpus)
    for g, tok_s in zip(gpus, t.decode_tokens_per_s, strict=True):
        assert tok_s == pytest.approx(float(estimate_speed(s.with_(gpu=g)).decode_tokens_per_s[()]), rel=1e-12)
    # CUDA graphs on the H100 (38 µs a layer) against ROCm on the MI300X (130 µs a layer) and its
    # faster memory: the H100 wins
    assert t.decode_tokens_per_s[3] > 1.2 * t.decode_tokens_per_s[1]


CAT = default_catalog()
GPUS = list(CAT.gpus.values())
STEPS = st.one_of(
    st.tuples(st.just("prompt_tokens"), st.integers(0, 200_000)),
    st.tuples(st.just("batch"), st.integers(1, 512)),
    st.tuples(st.just("output_tokens"), st.integers(0, 8_000)),
    st.tuples(st.just("weights"), st.sampled_from(["fp16", "int8", "q4_k_m", "awq-int4"])),
    st.tuples(st.just("engine"), st.sampled_from(["generic", "hf", "vllm", "llamacpp"])),
    st.tuples(st.just("n_gpus"), st.sampled_from([1, 2, 4])),
    st.tuples(st.just("gpu"), st.sampled_from(GPUS)),
)


@settings(max_examples=25, deadline=None)
@given(model=st.sampled_from(["llama2-7b", "mixtral-8x7b", "gemma2-9b", "llama2-70b"]),
       steps=st.lists(STEPS, min_size=1, max_size=12))
def test_cached_tables_equal_fresh_ones(model, steps):
    """A drag changes one setting at a time; whatever the order, the cached table is the
    table computed from scratch."""
    s = Scenario(model=CAT.model(model), gpu=CAT.gpu("rtx4090"))
    tables = CardTables()
    for field, value in steps:
        s = s.with_(**{field: value})
        got, want = tables.table(s, GPUS), card_table(s, GPUS)
        for name in ("budget_bytes", "fits", "min_gpus", "max_prompt_tokens", "max_batch", "decode_tokens_per_s"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=f"{name} after {field}")


def test_cached_fewest_cards_follow_the_primary_cards_group():
    # vLLM's start-up profile differs by card (8192 tokens / 1024 sequences on an H100-class card, 2048 / 256
    # on an A10): the fewest-cards terms kept during a drag are the primary card's group's, so a new primary
    # of the other group must not reuse them (a T4 read "2 cards" here where one holds Llama 2 7B)
    s = Scenario(model=CAT.model("llama2-7b"), gpu=CAT.gpu("b200"), engine="vllm")
    tables = CardTables()
    for step in ({}, {"gpu": CAT.gpu("a10")}, {"gpu": CAT.gpu("a10"), "batch": 2}):
        t = s.with_(**step)
        np.testing.assert_array_equal(tables.table(t, GPUS).min_gpus, card_table(t, GPUS).min_gpus)


def test_cache_skips_the_search_that_cannot_change(scenario, cat, monkeypatch):
    from vramgui.core import cards

    calls = []
    real_prompt, real_batch = cards.max_prompt_tokens_from_terms, cards.max_batch_from_terms
    monkeypatch.setattr(cards, "max_prompt_tokens_from_terms", lambda *a: calls.append("prompt") or real_prompt(*a))
    monkeypatch.setattr(cards, "max_batch_from_terms", lambda *a: calls.append("batch") or real_batch(*a))
    tables = CardTables()
    s = scenario("llama2-13b", "a100-80gb")
    gpus = list(cat.gpus.values())
    tables.table(s, gpus)
    assert calls == ["prompt", "batch"]
    tables.table(s.with_(prompt_tokens=4000), gpus)         # the largest prompt stays
    assert calls[2:] == ["batch"]
    kept = tables.table(s.with_(prompt_tokens=4000, batch=8), gpus)  # the largest batch stays
    assert calls[3:] == ["prompt"]
    again = tables.table(s.with_(prompt_tokens=4000, batch=8, gpu=cat.gpu("rtx4090")), gpus)  # primary card: neither
    assert calls[4:] == [] and again is kept           # the very same table
    tables.table(s.with_(prompt_tokens=4000, batch=8, output_tokens=10), gpus)   # output: both
    assert calls[4:] == ["prompt", "batch"]


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(["llama2-7b", "llama2-70b", "mixtral-8x7b", "deepseek-v2-lite", "gemma2-9b"]),
       engine=st.sampled_from(["generic", "hf", "vllm", "llamacpp", "sglang", "ollama"]),
       prompt=st.integers(0, 300_000), output=st.integers(0, 4_000), batch=st.integers(1, 300),
       weights=st.sampled_from(["fp16", "q4_k_m", "fp8"]))
def test_fewest_cards_is_the_first_count_that_fits(model, engine, prompt, output, batch, weights):
    """The vectorised fewest-cards column equals trying every count the engine can split the model over one by one,
    each with the full estimate and its own budget (SGLang's follows its TP size), as the strip's fit does (the
    reference loop, written out here, on every fifth card: a layer split's 64 counts on 160 cards took minutes)."""
    from vramgui.core.fit import budget_bytes, valid_gpu_counts
    from vramgui.core.memory import estimate_memory

    s = Scenario(model=CAT.model(model), gpu=CAT.gpu("rtx4090"), engine=engine, prompt_tokens=prompt,
                 output_tokens=output, batch=batch, weights=weights)
    t = card_table(s, GPUS)
    want = []
    for g in GPUS[::5]:     # each card with its own engine defaults (vLLM's by card)
        first = next((n for n in valid_gpu_counts(s) if float(estimate_memory(s.with_(gpu=g, n_gpus=n)).total)
                      <= budget_bytes(s.with_(gpu=g, n_gpus=n))), 0)
        want.append(first)
    assert t.min_gpus[::5].tolist() == want
    assert t.min_gpus[::5].tolist() == [fit(s.with_(gpu=g)).min_gpus or 0 for g in GPUS[::5]]
    assert (t.min_gpus[t.fits] == 1).all()          # what fits on one card needs one


@settings(max_examples=40, deadline=None)
@given(model=st.sampled_from(["llama2-7b", "llama2-70b", "mixtral-8x7b"]),
       engine=st.sampled_from(["generic", "hf", "vllm", "llamacpp"]), batch=st.integers(1, 64),
       prompt=st.integers(0, 100_000), shift=st.integers(-3, 3), scale=st.sampled_from([0.0, 0.5, 1.0, 1.001, 2.0]),
       attention=st.sampled_from([None, "eager"]))
def test_searches_from_a_guess_find_the_same_answers(model, engine, batch, prompt, shift, scale, attention):
    """A guess (the last drag step's answers, here the true answers scaled and shifted, so
    some are right, some off by one, some far off, some below the range) never changes the
    answer: it is taken only where the memory model confirms it, and a wrong one only bounds
    the search (memory in blocks of tokens, vLLM's and llama.cpp's, and eager attention's
    quadratic scores are where its straight line misses)."""
    from vramgui.core.fit import max_batch_from_terms, max_prompt_tokens_from_terms
    from vramgui.core.memory import memory_terms

    s = Scenario(model=CAT.model(model), gpu=CAT.gpu("rtx4090"), engine=engine, batch=batch,
                 prompt_tokens=prompt, output_tokens=128,
                 attention=None if engine == "vllm" else attention)        # (vLLM has no eager attention)
    terms, budget = memory_terms(s), budgets(s, GPUS)
    want_p = max_prompt_tokens_from_terms(terms, s.profile, budget, s.batch, s.output_tokens)
    want_b = max_batch_from_terms(terms, s.profile, budget, s.prompt_tokens, s.output_tokens)
    guess_p = (want_p * scale).astype(np.int64) + shift
    guess_b = (want_b * scale).astype(np.int64) + shift
    np.testing.assert_array_equal(
        max_prompt_tokens_from_terms(terms, s.profile, budget, s.batch, s.output_tokens, guess=guess_p), want_p)
    np.testing.assert_array_equal(
        max_batch_from_terms(terms, s.profile, budget, s.prompt_tokens, s.output_tokens, guess=guess_b), want_b)


def test_vllm_batch_defaults_differ_by_card_and_the_table_follows():
    # vLLM's server defaults to 8192 tokens a pass and 1024 sequences on cards of 70 GiB or more that are not
    # A100s, to 2048 and 256 elsewhere (vllm/engine/arg_utils.py, get_batch_defaults): its start-up profile,
    # which sets the activation peak it reserves, differs by card, and so does "needed" in the table.
    from vramgui.core.cards import card_table, fit_from_table
    from vramgui.core.engines import ENGINES, batch_defaults
    from vramgui.core.fit import fit
    from vramgui.core.memory import estimate_memory
    cat = default_catalog()
    vllm = ENGINES["vllm"]
    assert batch_defaults(vllm, cat.gpu("h100-sxm")) == (8192, 8192, 1024)
    assert batch_defaults(vllm, cat.gpu("a100-80gb")) == (2048, 2048, 256)      # an A100, though 80 GB
    assert batch_defaults(vllm, cat.gpu("rtx4090")) == (2048, 2048, 256)
    s = Scenario(model=cat.model("llama3.1-8b"), gpu=cat.gpu("rtx4090"), weights="bf16", engine="vllm", batch=4)
    # on the RTX 4090 the peak is the sampler's warm-up, 256 sequences x 128,256 logits x 16 bytes (0.49 GiB),
    # larger than the 2048-token pass it follows (its hidden states, 3 copies of 4096 x 2 bytes a token, and
    # its MLP's 2 x 14,336 x 2 bytes a token: 0.16 GiB); on an H100 the sampler's 1024 sequences (1.96 GiB)
    pass_2048 = 2048 * (4096 * 3 * 2 + 2 * 14_336 * 2)
    assert pass_2048 < 256 * 128_256 * 16
    assert float(estimate_memory(s).activations) == pytest.approx(256 * 128_256 * 16, rel=1e-12)
    big = estimate_memory(s.with_(gpu=cat.gpu("h100-sxm")))
    assert float(big.activations) == pytest.approx(1024 * 128_256 * 16, rel=1e-12)
    gpus = list(cat.gpus.values())
    t = card_table(s, gpus)
    for i, g in enumerate(gpus):      # every row is the card's own estimate, whichever card is the scenario's
        f, ft = fit(s.with_(gpu=g)), fit_from_table(s.with_(gpu=g), t, i)
        assert (ft.needed_bytes, ft.max_batch, ft.max_prompt_tokens, ft.min_gpus) == pytest.approx(
            (f.needed_bytes, f.max_batch, f.max_prompt_tokens, f.min_gpus))


@pytest.mark.parametrize("engine, weights, runs_on_apple", [
    ("vllm", "bf16", False), ("sglang", "fp8", False),          # no Apple GPU backend
    ("hf", "fp8", False), ("hf", "awq-int4", False),            # PyTorch's MPS device: no float8; AutoAWQ: no Apple
    ("hf", "bf16", True), ("llamacpp", "q4_k_m", True), ("llamacpp-vulkan", "q4_0", True), ("generic", "fp16", True)])
def test_the_table_marks_the_cards_an_engine_does_not_run_on(scenario, cat, engine, weights, runs_on_apple):
    # every Apple chip of the list gets the same answer, every other card runs the engine; the single-card note
    # (report.engine_note) is given exactly where the table says no
    from vramgui.core.report import engine_note
    s = scenario("llama3.1-8b", "rtx4090", engine=engine, weights=weights)
    gpus = list(cat.gpus.values())
    t = card_table(s, gpus)
    for g, runs in zip(gpus, t.engine_runs.tolist(), strict=True):
        assert runs == (runs_on_apple or g.vendor != "Apple"), g.id
        assert (engine_note(s.with_(gpu=g)) is None) == runs, g.id


# The cards each rule leaves out of this catalog, written out from the rules' sources: vLLM's docs (NVIDIA compute
# capability 7.5 or newer; AMD gfx90a, gfx942, gfx950, gfx1100/1101, gfx1200/1201, gfx1150/1151), sgl-kernel's
# build (sm_80 and newer; gfx942 and gfx950) and FlashAttention-2's README (Ampere or newer; CUDA or ROCm, so no
# Apple chip: HF transformers runs flash_attention_2 on no mps device).
APPLE = {"m1-16gb", "m1-pro-32gb", "m1-max-64gb", "m1-ultra-128gb", "m2-24gb", "m2-max-96gb", "m2-pro-32gb",
         "m2-ultra-192gb", "m3-24gb", "m3-pro-36gb", "m3-max-128gb", "m3-max-64gb", "m3-ultra-512gb", "m3-ultra-96gb",
         "m4-32gb", "m4-max-128gb", "m4-max-64gb", "m4-pro-24gb", "m4-pro-48gb", "m5-16gb", "m5-32gb", "m5-pro-48gb",
         "m5-max-128gb"}
OLDER_NVIDIA = {"gtx1080ti", "gtx1080", "gtx1070", "gtx1060-6gb", "titan-xp", "tesla-p4", "quadro-p6000", "p100-16gb",
                "tesla-p40", "v100-16gb", "v100-32gb", "titan-v"}
TURING = {"t4", "rtx2060", "rtx2060-12gb", "rtx2060-super", "rtx2070", "rtx2070-super", "rtx2080", "rtx2080ti",
          "titan-rtx", "quadro-rtx4000", "quadro-rtx6000", "quadro-rtx8000", "gtx1660-super", "gtx1660ti", "gtx1650"}
UNLISTED = {
    "vllm": OLDER_NVIDIA | {"mi50-32gb", "radeon-vii", "mi100", "rx6700xt", "rx6800", "rx6800xt", "rx6900xt",
                            "rx6950xt", "rx7600xt"},
    "sglang": OLDER_NVIDIA | TURING | {
        "mi50-32gb", "radeon-vii", "mi100", "mi210", "mi250x", "rx6700xt", "rx6800", "rx6800xt", "rx6900xt", "rx6950xt",
        "rx7600xt", "rx7700xt", "rx7800xt", "rx7900gre", "rx7900xt", "rx7900xtx", "radeon-pro-w7800",
        "radeon-pro-w7900", "rx9060xt-16gb", "rx9070", "rx9070xt", "radeon-ai-pro-r9700", "ryzen-ai-max-395-128gb"},
    ("hf", "flash"): OLDER_NVIDIA | TURING | APPLE,
    ("hf", "sdpa"): set(), "llamacpp": set(), "llamacpp-vulkan": set(), "generic": set()}


def unlisted(s: Scenario) -> set[str]:
    """The catalog's cards the fit table marks as not listed by ``s``'s engine (its card_listed column)."""
    return {g.id for g, ok in zip(GPUS, card_table(s, GPUS).card_listed.tolist(), strict=True) if not ok}


@pytest.mark.parametrize("key", list(UNLISTED))
def test_the_table_marks_the_cards_an_engine_does_not_list(scenario, cat, key):
    # exactly the cards outside the rule, Intel's never judged, Apple's only by FlashAttention-2; the single-card note
    # (report.card_note)
    # is given exactly where the table says so, naming the rule's list and the card's target
    from vramgui.core.report import card_note
    engine, attention = key if isinstance(key, tuple) else (key, None)
    s = scenario("llama3.1-8b", "rtx4090", engine=engine, weights="fp16", attention=attention)
    gpus = list(cat.gpus.values())
    assert unlisted(s) == UNLISTED[key]
    for g in gpus:
        note = card_note(s.with_(gpu=g))
        assert (note is None) == (g.id not in UNLISTED[key]), g.id
    note = card_note(s.with_(gpu=cat.gpu("tesla-p40")))
    if engine == "vllm":
        assert note.startswith("vLLM lists NVIDIA compute capability 7.5 or newer, and the NVIDIA Tesla P40 is "
                               "compute capability 6.1 (sm_61) (docs.vllm.ai")
        assert card_note(s.with_(gpu=cat.gpu("mi50-32gb"))).startswith(
            "vLLM lists AMD's gfx90a, gfx942, gfx950, gfx1100, gfx1101, gfx1200, gfx1201, gfx1150 and gfx1151, and the "
            "AMD Radeon Instinct MI50 (32GB) is gfx906 (")
    if engine == "sglang":
        assert card_note(s.with_(gpu=cat.gpu("rx7900xtx"))).startswith(
            "SGLang lists AMD's gfx942 and gfx950, and the AMD Radeon RX 7900 XTX is gfx1100 (")
    if key == ("hf", "flash"):
        assert card_note(s.with_(gpu=cat.gpu("t4"))).endswith(
            "'FlashAttention only supports Ampere GPUs or newer'; HF transformers 5.24 (modeling_flash_attention_utils."
            "py, FLASH_ATTENTION_COMPATIBILITY_MATRIX) runs flash_attention_2 on cuda, mlu, musa, npu and xpu devices, "
            "not on PyTorch's mps device): pick sdpa attention, which runs there and which vramgui counts alike")
        assert card_note(s.with_(gpu=cat.gpu("m2-ultra-192gb"))).startswith(
            "FlashAttention-2 lists no Apple chip, and the Apple M2 Ultra (76-core GPU, 192GB) is an Apple chip "
            "(Metal; PyTorch's mps device) (github.com/Dao-AILab/flash-attention README: 'Requirements: CUDA "
            "toolkit or ROCm toolkit'")


def test_vllm_with_bf16_weights_leaves_out_the_cards_without_bfloat16(scenario, cat):
    # vLLM's dtype check refuses bfloat16 below compute capability 8.0: with BF16 weights the Turing cards join the
    # cards its docs leave out; with FP16 weights they run
    from vramgui.core.report import card_note
    s = scenario("llama3.1-8b", "rtx4090", engine="vllm", weights="bf16")
    assert unlisted(s) == UNLISTED["vllm"] | TURING
    assert card_note(s.with_(gpu=cat.gpu("t4"))).startswith(
        "vLLM with BF16 weights lists NVIDIA compute capability 8.0 or newer, and the NVIDIA T4 is compute capability "
        "7.5 (sm_75) (vLLM's dtype check: 'Bfloat16 is only supported on GPUs with compute capability of at least 8.0")
    assert card_note(s.with_(gpu=cat.gpu("tesla-p40"))).startswith("vLLM lists NVIDIA compute capability 7.5")
    assert card_note(s.with_(gpu=cat.gpu("a100-80gb"))) is None


def test_vllm_with_int8_w8a8_weights_lists_turing_to_hopper(scenario, cat):
    # vLLM's INT8 W8A8 docs: compute capability 7.5 and later but not 10.0 and later (Blackwell, 'use FP8
    # quantization instead'): those cards join the ones vLLM leaves out whatever the weights (AMD's are not judged:
    # its ROCm builds run the layers through its Triton int8 kernel); INT8 W8A16 (Marlin, GPTQ's kernels) keeps
    # vLLM's own list
    from vramgui.core.report import card_note
    s = scenario("llama3.1-8b", "rtx4090", engine="vllm", weights="int8-w8a8")
    blackwell = {g.id for g in GPUS if g.compute_capability is not None and g.compute_capability >= (10, 0)}
    assert {"b200", "rtx5090", "jetson-agx-thor"} <= blackwell and {"h100-sxm", "rtx4090", "t4"}.isdisjoint(blackwell)
    assert unlisted(s) == UNLISTED["vllm"] | blackwell
    assert card_note(s.with_(gpu=cat.gpu("rtx5090"))).startswith(
        "vLLM with INT8 W8A8 weights lists NVIDIA compute capability 7.5 or newer, below 10.0, and the NVIDIA GeForce "
        "RTX 5090 is compute capability 12.0 (sm_120) (docs.vllm.ai, quantization, INT8 W8A8")
    assert all(card_note(s.with_(gpu=cat.gpu(g))) is None for g in ("mi300x", "t4", "h100-sxm"))
    assert unlisted(s.with_(weights="int8")) == UNLISTED["vllm"]


def test_vllm_with_mxfp4_experts_leaves_out_turing(scenario, cat):
    # vLLM's MXFP4 method (gpt-oss's experts) asks compute capability 8.0 (Mxfp4Config.get_min_capability: 80, bf16
    # activations): the Turing cards join the ones vLLM leaves out; gpt-oss in BF16 on the same cards has the BF16 rule
    from vramgui.core.report import card_note
    s = scenario("gpt-oss-20b", "rtx4090", engine="vllm", weights="mxfp4")
    assert unlisted(s) == UNLISTED["vllm"] | TURING
    assert card_note(s.with_(gpu=cat.gpu("t4"))).startswith(
        "vLLM with MXFP4 experts lists NVIDIA compute capability 8.0 or newer, and the NVIDIA T4 is compute capability "
        "7.5 (sm_75) (github.com/vllm-project/vllm, vllm/model_executor/layers/quantization/mxfp4.py")
    assert card_note(s.with_(gpu=cat.gpu("a100-80gb"))) is None and card_note(s.with_(gpu=cat.gpu("mi300x"))) is None


def test_hf_with_nvfp4_weights_lists_blackwell_only(scenario, cat):
    # transformers' NVFP4 quantizer needs Blackwell's block-scaled tensor cores (sm100 and later), CUDA: every other
    # card, AMD's and Apple's chips too, is left out (Intel's are not judged, as for every rule); vLLM's NVFP4 keeps
    # its own list
    from vramgui.core.report import card_note
    s = scenario("llama3.1-8b", "rtx5090", engine="hf", weights="nvfp4")
    listed = {g.id for g in GPUS} - unlisted(s)
    assert listed == {g.id for g in GPUS if g.compute_capability is not None and g.compute_capability >= (10, 0)} | \
        {g.id for g in GPUS if g.vendor == "Intel"}
    assert {"b200", "rtx5090", "rtx-pro-6000-blackwell", "dgx-spark"} <= listed and "h100-sxm" not in listed
    assert card_note(s.with_(gpu=cat.gpu("h100-sxm"))).startswith(
        "HF transformers with NVFP4 weights lists NVIDIA compute capability 10.0 or newer, and the NVIDIA H100 80GB "
        "HBM3 (SXM5) is compute capability 9.0 (sm_90) (github.com/huggingface/transformers")
    assert card_note(s.with_(gpu=cat.gpu("m4-max-64gb"))).startswith("HF transformers with NVFP4 weights lists no "
                                                                      "Apple chip")
    assert card_note(s.with_(gpu=cat.gpu("h100-sxm"), engine="vllm")) is None


def test_hf_with_nvfp4_weights_loads_on_one_card_with_nothing_in_ram(scenario, cat):
    # transformers 5.24's NVFP4 quantizer refuses a device_map over several CUDA devices and one with CPU or disk
    # entries (engines.ONE_CARD). Llama 3.1 70B in NVFP4: 80 layers of 855,638,016 linear weights at 4.5 bits (FP4 and
    # an FP8 scale per 16) = 38.50 GB, and the 16-bit embedding and output layers, 2 x 128,256 x 8,192 x 2 bytes =
    # 4.20 GB: 39.8 GiB of weights, over an RTX 5090's 32 GiB. vLLM splits it over 2; HF transformers cannot, so the
    # card does not fit, with no count of cards that would
    from vramgui.core.fit import valid_gpu_counts
    from vramgui.core.memory import estimate_memory
    from vramgui.core.offload import flags_force, plan_offload
    from vramgui.core.report import one_card_note
    linear = 80 * (2 * 8192 * 8192 + 2 * 8192 * 1024 + 3 * 8192 * 28672)
    assert (linear * 4.5 / 8 + 2 * 128256 * 8192 * 2) / GIB == pytest.approx(39.77, abs=0.01)
    s = scenario("llama3.1-70b", "rtx5090", engine="hf", weights="nvfp4", prompt_tokens=1024, output_tokens=256)
    assert float(estimate_memory(s).weights) / GIB == pytest.approx(39.77, rel=0.01)
    assert valid_gpu_counts(s) == [1] and valid_gpu_counts(s.with_(engine="vllm"))[:3] == [1, 2, 4]
    f, v = fit(s), fit(s.with_(engine="vllm"))
    assert not f.fits and f.min_gpus is None and not v.fits and v.min_gpus == 2
    t = card_table(s, [cat.gpu("rtx5090"), cat.gpu("b200")])
    assert t.fits.tolist() == [False, True] and t.min_gpus.tolist() == [0, 1]
    # two cards asked: estimated as if split, with a caution naming the quantizer's refusal; one card, or vLLM, none
    note = one_card_note(s.with_(n_gpus=2))
    assert note.startswith("HF transformers loads NVFP4 (FP4, group 16) weights on one card, not 2 (HF transformers' "
                           "NVFP4 quantizer loads the model on one CUDA device") and "transformers 5.24" in note
    assert note.endswith("estimated as if it split the model over 2")
    assert one_card_note(s) is None and one_card_note(s.with_(n_gpus=2, engine="vllm")) is None
    # nothing in system RAM: no plan, and no setting forces one; vLLM's --cpu-offload-gb keeps its plan
    with pytest.raises(ValueError, match="no offload plan under HF transformers: HF transformers' NVFP4 quantizer"):
        plan_offload(s, 64)
    assert not flags_force(s, 64) and plan_offload(s.with_(engine="vllm"), 64).level == "partial"
    assert plan_offload(s.with_(weights="awq-int4"), 64).level == "partial"


def test_the_fewest_cards_column_tries_every_count_that_splits_the_heads(scenario, cat):
    # Qwen2.5-7B's 28 attention heads and 4 KV heads split over n cards where n divides 28 and 4 divides n or n divides
    # 4: 1, 2, 4 and 28 (7 and 14 leave the KV heads unevenly split). The table tried only its usual counts of those
    # (1, 2, 4), so on a 6 GB card where 4 do not hold the 15.2 GB model in BF16 it read "> 64" where the strip's
    # fit said 28: the column now tries every count vLLM can run and agrees with the strip's on every card
    from vramgui.core.cards import count_terms
    s = scenario("qwen2.5-7b", "gtx1060-6gb", engine="vllm", weights="bf16", prompt_tokens=4096)
    assert count_terms(s)[0].tolist() == [1, 2, 4, 28]
    t = card_table(s, GPUS)
    assert t.most_cards == 28
    assert t.min_gpus.tolist() == [fit(s.with_(gpu=g)).min_gpus or 0 for g in GPUS]
    assert t.min_gpus[GPUS.index(cat.gpu("gtx1060-6gb"))] == 28
    # a layer split (llama.cpp) tries its usual counts and the largest, one card a layer: 28
    lc = s.with_(engine="llamacpp", weights="q8_0")
    assert count_terms(lc)[0].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 28]
    assert card_table(lc, GPUS).most_cards == 28
    # ... and between its usual counts where the first that fits follows a gap: Command A in FP16 under HF on an RTX
    # A5000 needs 26.7 GiB a card on 12 (over its 24.0 usable) and 23.6 on 13 (the estimate's own figures: this checks
    # that the column agrees with the strip's fit): 13, as the strip says, not the 16 tried next after 12
    a = scenario("command-a", "a5000", engine="hf", weights="fp16", prompt_tokens=100, output_tokens=256)
    assert int(card_table(a, [cat.gpu("a5000")]).min_gpus[0]) == fit(a).min_gpus == 13
    # SGLang's usable memory follows its TP size (mem_fraction_static, the CUDA-graph tier): each count against its
    # own. Phi-3 medium in FP32 on an Arc B570 at TP 10 needs 6.36 GiB a card, over the 5.78 SGLang leaves it there
    # (the table took TP 2's share and read 10), and at TP 20 3.76 under 4.67: 20 (the estimate's figures again)
    p = scenario("phi3-medium", "arc-b570", engine="sglang", weights="fp32", n_gpus=2, prompt_tokens=100,
                 output_tokens=256)
    assert int(card_table(p, [cat.gpu("arc-b570")]).min_gpus[0]) == fit(p).min_gpus == 20
    # HF transformers' NVFP4: one card, the column's "-" (most_cards 1)
    assert card_table(s.with_(engine="hf", weights="nvfp4", gpu=cat.gpu("rtx5090")), GPUS).most_cards == 1


def test_sglang_with_nvfp4_weights_lists_blackwell_and_petits_amd_cards(scenario, cat):
    # SGLang's quantization docs: ModelOpt's FP4 on NVIDIA's Blackwell (SM100+) only, Petit's NVFP4 on the MI250 and
    # MI300X/MI325X (gfx90a, gfx942): an H100 joins the cards SGLang leaves out, and its MI350X (gfx950) too
    from vramgui.core.report import card_note
    s = scenario("llama3.1-8b", "b200", engine="sglang", weights="nvfp4")
    hopper_and_older = {g.id for g in GPUS if g.compute_capability is not None and g.compute_capability < (10, 0)}
    assert unlisted(s) == UNLISTED["sglang"] | hopper_and_older | {"mi350x", "mi355x"}
    assert {"b200", "rtx5090", "mi300x", "mi325x"}.isdisjoint(unlisted(s))
    assert card_note(s.with_(gpu=cat.gpu("h100-sxm"))).startswith(
        "SGLang with NVFP4 weights lists NVIDIA compute capability 10.0 or newer, and the NVIDIA H100 80GB HBM3 (SXM5) "
        "is compute capability 9.0 (sm_90) (docs.sglang.io, quantization")
    assert card_note(s.with_(gpu=cat.gpu("h100-sxm"), weights="fp8")) is None


def test_sglang_with_gguf_weights_lists_no_amd_card(scenario, cat):
    # SGLang's quantization docs: 'gguf | Yes | No', 'CUDA-only kernels in sgl-kernel': its AMD cards (gfx942, gfx950)
    # join the ones SGLang leaves out, for every GGUF type; NVIDIA's keep SGLang's own list, and AWQ on an MI300X none
    from vramgui.core.report import card_note
    amd = {g.id for g in GPUS if g.arch and g.arch.startswith("gfx")}
    for weights in ("q4_k_m", "q8_0", "gguf-mxfp4"):
        s = scenario("llama3.1-8b", "rtx4090", engine="sglang", weights=weights)
        assert unlisted(s) == UNLISTED["sglang"] | amd, weights
    assert {"mi300x", "mi325x", "mi350x", "mi355x"} <= amd - UNLISTED["sglang"]
    s = scenario("llama3.1-8b", "mi300x", engine="sglang", weights="q4_k_m")
    assert card_note(s).startswith("SGLang with GGUF weights lists no AMD card, and the AMD Instinct MI300X is gfx942 "
                                   "(docs.sglang.io, quantization")
    assert card_note(s.with_(weights="awq-int4")) is None and card_note(s.with_(engine="vllm")) is None


def test_vllm_with_bitsandbytes_weights_leaves_out_the_instinct_cards(scenario, cat):
    # vLLM's ROCm builds leave bitsandbytes out on gfx9 (rocm.py: 'warp size 64 limitation'): NF4 (and LLM.int8()) on
    # an MI300X is refused; the Radeon cards vLLM lists keep it, NVIDIA's keep vLLM's own list; My machine's vLLM rows
    # on an MI300X leave NF4 out
    from vramgui.core.machine import Machine, best_format
    from vramgui.core.report import card_note
    s = scenario("llama3.1-8b", "rtx4090", engine="vllm", weights="nf4")
    gfx9 = {g.id for g in GPUS if g.arch and g.arch.startswith("gfx9")}
    assert {"mi300x", "mi355x", "mi250x"} <= gfx9
    assert unlisted(s) == UNLISTED["vllm"] | gfx9 and "rx7900xtx" not in unlisted(s)
    assert card_note(s.with_(gpu=cat.gpu("mi300x"), weights="bnb-int8")).startswith(
        "vLLM with bitsandbytes weights lists AMD's gfx1100, gfx1101, gfx1200, gfx1201, gfx1150 and gfx1151, and the "
        "AMD Instinct MI300X is gfx942 (github.com/vllm-project/vllm, vllm/platforms/rocm.py")
    assert card_note(s.with_(gpu=cat.gpu("mi300x"), weights="awq-int4")) is None
    llama = cat.model("llama3.1-8b")
    rows = {o.weights for o in best_format(Machine(gpu=cat.gpu("mi300x"), engine="vllm"), llama)["options"]}
    assert "nf4" not in rows and "awq-int4" in rows


def test_hopper_cards_prompt_at_a_smaller_share(scenario, cat):
    # vLLM's prompts: 55 % of the dense peak on an A100 (312 TFLOP/s), 0.7 of that on the Hopper cards
    # (HOPPER_PROMPT_FACTOR: the same prompts measured on both put an H100 SXM at 0.59-0.77 of the A100's share);
    # a compute-bound step of 256 sequences shows it, each row of the table as its card's own estimate
    from vramgui.core.speed import compute_efficiency, compute_efficiency_sources, estimate_speed, speed_key
    s = scenario("qwen3-14b", "a100-80gb", engine="vllm", weights="bf16", prompt_tokens=512, batch=256)
    assert float(estimate_speed(s.with_(gpu=cat.gpu("h100-sxm"))).compute_bound)
    for gpu, share in (("a100-80gb", 0.55), ("h100-sxm", 0.385), ("h200", 0.385), ("gh200", 0.55),
                       ("rtx4090", 0.55)):
        g = cat.gpu(gpu)
        assert compute_efficiency(speed_key(s.profile, g), s.weight_format, g) == pytest.approx(share, rel=1e-12)
    # HF transformers keeps its 45 % there: vramgui's own H200 runs (torch 2.11 SDPA, one prompt of 1-16k tokens)
    # reached ~0.5 of the peak (Llama 3 8B at 2,048 tokens: 34,062 tokens/s x ~15.5 GFLOP = 528 TFLOP/s)
    hf = s.with_(engine="hf")
    for gpu in ("h100-sxm", "h200", "a100-80gb"):
        g = cat.gpu(gpu)
        assert compute_efficiency(speed_key(hf.profile, g), hf.weight_format, g) == pytest.approx(0.45, rel=1e-12)
    # llama.cpp's rows keep their own measured rates on an H100 (its int8 path, its cuBLAS share)
    h100 = cat.gpu("h100-sxm")
    for engine, weights in (("llamacpp", "q4_k_m"), ("llamacpp", "bf16")):
        q = s.with_(engine=engine, weights=weights)
        assert "HOPPER_PROMPT_FACTOR" not in compute_efficiency_sources(speed_key(q.profile, h100), q.weight_format,
                                                                        h100)
    gpus = [cat.gpu(g) for g in ("a100-80gb", "h100-sxm", "h200", "rtx4090")]
    for q in (s, hf):
        t = card_table(q, gpus)
        for g, tok_s in zip(gpus, t.decode_tokens_per_s, strict=True):
            assert tok_s == pytest.approx(float(estimate_speed(q.with_(gpu=g)).decode_tokens_per_s[()]), rel=1e-12)


def test_the_rtx5090s_attention_rate_reaches_the_table(scenario, cat):
    # llama.cpp's CUDA row runs attention at the GEMMs' 40 % but on an RTX 5090 at 62 % (measured after a deep
    # cache: speed.RTX5090_ATTENTION_EFFICIENCY).  A compute-bound decode (GLM-4.7-Flash, its 20 heads attending over
    # the 576 + 512-wide latent, 64 sequences at 32,768 tokens of a q4_0 cache) shows it: the table's figure for each
    # card is the scenario's own estimate on that card, the 5090's with its share
    from vramgui.core.speed import attention_efficiency, estimate_speed, speed_terms
    assert attention_efficiency("llamacpp", cat.gpu("rtx5090")) == pytest.approx(129.9 / 209.5, abs=0.005)
    assert attention_efficiency("llamacpp", cat.gpu("rtx4090")) == 0.40
    s = scenario("glm4.7-flash", "rtx4090", engine="llamacpp", weights="q4_k_m", kv_dtype="q4_0", prompt_tokens=32768,
                 batch=64, output_tokens=1)
    rtx5090 = s.with_(gpu=cat.gpu("rtx5090"))
    assert float(speed_terms(rtx5090).attention_efficiency) == attention_efficiency("llamacpp", rtx5090.gpu)
    assert bool(estimate_speed(rtx5090).compute_bound)
    gpus = [cat.gpu(g) for g in ("rtx4090", "rtx5090", "rtx3090", "rtx-pro-6000-blackwell")]
    for primary, cards in ((s, gpus), (rtx5090, [g for g in gpus if g.id != "rtx5090"])):
        # (the 5090 the primary card of a table without it: the others keep their own share)
        t = card_table(primary, cards)
        for g, tok_s in zip(cards, t.decode_tokens_per_s, strict=True):
            assert tok_s == pytest.approx(float(estimate_speed(s.with_(gpu=g)).decode_tokens_per_s[()]), rel=1e-12)
