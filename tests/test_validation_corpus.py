"""The measured corpus (tests/data/measured, copied with its sources) through the CLI.

Bounds per quantity (issue tracker, validation): weights ≤ 3 %, KV cache ≤ 2 %,
totals ≤ 10 % median (≤ 20 % worst), decode speed ≤ 25 % median.  Other quantities are
printed and bounded loosely where the model is known to be coarse, with the reason.
"""

import json
import statistics
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "data" / "measured" / "corpus.jsonl"

# Points skipped on purpose, with the reason (never by editing the value).
SKIP = {
    "vllm-pr2031-llama2-7b-tp1-a100-gpu-blocks": "vLLM v0.2 (2023) block count; block size and A100 variant "
                                                 "not stated, and its profiler is the one the PR replaced",
    "vllm-pr2031-llama2-70b-tp4-a100-gpu-blocks": "same PR: the text says the old profiler over-reserved "
                                                  "(77.5 GB peak at a 72 GiB cap)",
    # vLLM's V0 engine (Dec 2024) profiled max_model_len tokens (8192 here) with a 256-sequence sampler; the
    # vLLM profile models V1's defaults, which depend on the card (8192 and 1024 on cards of 70 GiB or more
    # that are not A100s, 2048 and 256 on the others), and this run does not name its card
    "vllm-pr10511-llama3-8b-tp1-kv-cache": "vLLM V0's start-up profile (8192 tokens, 256 sequences) on an unnamed "
                                           "80 GB-class card: neither of V1's defaults the profile models",
    # gpt-oss-20b in two ranks: 7.01 GiB each where the checkpoint's bytes give 6.43; vLLM's MXFP4 MoE kernels
    # pad the experts' matrices per rank (their rounding is not sourced here); the run's KV pool is within 0.5 %
    "vllm-v0190-gpt-oss-20b-h100-tp2-weights": "vLLM pads gpt-oss's MXFP4 expert matrices per rank for its "
                                               "kernels (not modelled): -8.2 %",
    # Llama 3.1 8B in four pipeline stages: the log's figures are the first stage's; the estimate is the
    # last stage's (it sets the pool: its KV points are bounded), and the stages' activation and non-torch
    # memory differ (all four are in the point's extra)
    **{f"vllm-v0190-llama31-8b-h100-pp4-{q}": "the first of four pipeline stages' figures; the estimate is the "
                                              "last stage's, which sets the KV pool"
       for q in ("activation-peak", "non-torch", "non-kv-total")},
    # Llama 3 8B over two cards (llama.cpp -sm layer): the first card holds 17 layers (2,113 MiB), the second 15 and
    # the output layer (2,290 MiB), as vramgui splits them; the estimate is the fuller card's (the second's points,
    # cuda1, are bounded: -0.3 %)
    **{f"xd-l3-8b-q4_k_m-{card}-2x-mem-weights-cuda0": "the first of two cards (17 layers, no output layer); the "
                                                        "estimate is the fuller second card's"
       for card in ("rtx3090", "rtx4090")},
}
# vLLM's CUDA-graph pool: the profile's 0.9 GiB is Llama 3.1 8B's (vllm-llmd-...-tp1-cuda-graph, bounded);
# vLLM 0.19.0's logs of other models measure 0.51-1.85 GiB by model and parallelism. The pool lies outside
# the KV budget in these logs (KV = util x card - the non-KV total, which leaves it out), so the KV pools
# stay within 1.5 %; these points are kept as measured and skipped here.
SKIP_PREFIX_SUFFIX = (("vllm-v0190-", "-cuda-graph"),
                      "vLLM 0.19.0's CUDA-graph pool varies with the model (0.51-1.85 GiB); the profile keeps "
                      "Llama 3.1 8B's 0.9 GiB, outside the KV budget")

BOUNDS = {  # quantity -> (median bound %, worst bound %)
    "weights_mib": (3, 3), "weights_gib": (3, 3),
    "kv_mib": (2, 2), "kv_cache_gib": (2, 2), "kv_cache_tokens": (2, 2),
    "total_mib": (10, 20), "total_gb": (10, 20), "non_kv_total_gib": (10, 20), "peak_alloc_gib": (10, 30),
    "decode_tok_s": (25, 60),
    # served decode (the other requests' prompts included): Qwen3-8B on one H100 within 7 % (its
    # vLLM run sets the per-layer cost); DeepSeek-R1 on 8 x H200 (SGLang) within 17 %; Qwen3-Next
    # on 4 x H20 14 % short; on one MI300X (the ROCm row's 53 % of the bandwidth, from five of these
    # runs) Gemma 4 31B, Qwen3Guard 8B and Ministral 3 8B within 18 %, gpt-oss-120b at 64-256
    # requests 3-28 % short (MXFP4 dequantized on a card without FP4 math; the share falls with the requests)
    "tpot_ms": (10, 30),
    # coarse parts of the model, bounded so a regression shows:
    # vLLM's start-up activation peak: the sampler's warm-up where it dominates (dense models: within 3.5 %),
    # with MoE models' fused-expert workspaces beside it (within 6.3 %), vLLM V0's profile -61 %
    # llama.cpp's compute buffers (one card and two, with the pipeline's input copies): within 3.5 %
    "compute_buffer_mib": (2, 4), "activation_peak_gib": (10, 75), "non_torch_gib": (10, 90),
    "cuda_graph_gib": (5, 5), "avg_gen_tok_s": (60, 100),
    # the CUDA context and libraries' handles beside torch's allocator (own H200 runs: 0.68-0.69 GiB with SDPA,
    # 0.67 in the runs with eager attention)
    "context_gib": (2, 3),
    # prefill: the corpus's 2023 prefill figures include warm-up and old cuBLAS paths, and AutoAWQ's
    # its dequantizing GEMMs; the roofline overstates them (worst +423 %).  Current llama.cpp: median
    # 8.4 % over 151 points (quantized weights on NVIDIA: each pass's weights loaded, then multiplied at the
    # int8 rate, GeForce 35 % of it and other cards 25.5 %, Turing cards 0.63 of that: the CUDA scoreboard's 30
    # cards with flash attention median 6 %; b10809's MoE prompt on an RTX 5090 -31 %; the Vulkan build -4 to -27 %),
    # on AMD's within 12 % under RADV, +74 % under AMD's Windows driver; a Ryzen AI Max+ 395 under ROCm (b8038) -29 to
    # +48 % (its peak from RDNA 3's per-CU matrix rate).  Median 15 %; see README "Validation".
    "prefill_tok_s": (60, 450),
}
# (quantity, engine) -> bounds, where an engine's points are looser than the quantity's: SGLang's
# KV pool from logs of five builds (Feb 2025 - Aug 2026) whose pre-load memory varies by host. With
# what loading took printed, within 1.2 % (Qwen3-30B-A3B, QwQ-32B on L4s, Llama 3.1 8B); an RTX 3090
# under Windows' WSL2 +5 % (the desktop holds part of the card); gpt-oss-120b on an RTX PRO 6000 at the
# default share +5.2 %; Qwen3-235B-A22B-FP8 on 4 x H100 +8.6 %, a run that printed only its KV line.
# vLLM's V1 pools: median within 1 %; the worst are 72B models on two H100s (Qwen2.5-72B and its fine-tune
# Kimi-Dev-72B), a 3 GiB pool beside 72 GiB of the rest (0.1 GiB of error there reads as 3-4 %).
ENGINE_BOUNDS = {("kv_cache_tokens", "SGLang"): (5, 10),
                 ("kv_cache_gib", "vLLM (V1 engine)"): (1, 4.5), ("kv_cache_tokens", "vLLM (V1 engine)"): (1, 4.5)}


@pytest.fixture(scope="module")
def results(validated):
    return validated(CORPUS)


def _bound_groups() -> dict[str, str]:
    """Points whose bound is their own test (``extra.bound_group``), by id."""
    out = {}
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        group = (p.get("extra") or {}).get("bound_group")
        if group:
            out[p["id"]] = group
    return out


def skipped_by_pattern(point_id: str) -> bool:
    (prefix, suffix), _reason = SKIP_PREFIX_SUFFIX
    return point_id.startswith(prefix) and point_id.endswith(suffix)


def test_corpus_error_bounds(results, capsys):
    by_q: dict[str, list[float]] = {}
    rows = []
    grouped = _bound_groups()
    for p in results["points"]:
        if p["skipped"] or p["id"] in SKIP or p["id"] in grouped or skipped_by_pattern(p["id"]):
            continue
        key = (p["quantity"], p["engine"])
        by_q.setdefault(key if key in ENGINE_BOUNDS else p["quantity"], []).append(abs(p["error_pct"]))
        rows.append(f"{p['id']:<55} {p['quantity']:<20} {p['measured']:>12.4g} {p['estimated']:>12.4g} "
                    f"{p['error_pct']:>+8.1f} %")
    with capsys.disabled():
        print("\n" + "\n".join(rows))
    failures = []
    for q, errs in by_q.items():
        assert q in BOUNDS or q in ENGINE_BOUNDS, f"quantity {q} has no stated bound"
        med, worst = BOUNDS[q] if q in BOUNDS else ENGINE_BOUNDS[q]
        if statistics.median(errs) > med or max(errs) > worst:
            failures.append(f"{q}: median {statistics.median(errs):.1f} % (bound {med}), "
                            f"worst {max(errs):.1f} % (bound {worst})")
    assert not failures, "; ".join(failures)


def test_every_skip_has_a_reason(results):
    for p in results["points"]:
        if p["skipped"] is not None:
            assert len(p["skipped"]) > 10
    modelled = sum(1 for p in results["points"] if p["skipped"] is None)
    assert modelled >= 100, "most of the corpus must be modelled"


def test_llama_bench_tg128_decodes_from_an_empty_context(results):
    # llama-bench tg128 generates 128 tokens from an empty context: the step is estimated at the
    # middle of the run, 64 tokens of KV (a prompt of 0 is a prompt, not "the whole n_ctx").
    import numpy as np

    from vramgui.core import Scenario, default_catalog
    from vramgui.core.speed import decode_step
    cat = default_catalog()
    s = Scenario(model=cat.model("llama2-7b"), gpu=cat.gpu("rtx4090"), weights="q4_0", engine="llamacpp",
                 attention="flash", prompt_tokens=0)
    got = next(r for r in results["points"] if r["id"] == "llamacpp-b4011-l2-7b-q4_0-rtx4090-tg128")
    assert got["estimated"] == pytest.approx(1 / float(decode_step(s, 1, np.array([64]))[0][0]), rel=1e-9)


@pytest.mark.parametrize("version, profile", [
    ("build 1680 (afefa31)", "llamacpp-2023"),         # Dec 2023: before CUDA graphs (May 2024)
    ("b4011", "llamacpp"), ("b6413 (233d773d0)", "llamacpp"),
    ("master of 2025-08-27 (build not printed)", "llamacpp"),   # a date is not a build number
    ("commit b8e09f0 (Aug 2025 or later)", "llamacpp"),          # nor a commit hash that starts with "b" and a digit
    ("not stated", "llamacpp"),
])
def test_llamacpp_build_picks_the_profile(version, profile):
    from vramgui.core.validation import _engine
    assert _engine("llama.cpp (llama-bench)", version) == profile


def test_a_cold_and_a_warm_compile_cache_bracket_the_estimate(results):
    # vLLM 0.27.1 started twice on one RTX 4090 with Qwen3-8B (alexostapiuk11/coldstart-recon-worker): its
    # start-up profile measured a 1.18 GiB activation peak with torch.compile's cache cold and 0.19 GiB with it
    # warm, so the KV cache got 35,792 and 43,040 tokens.  vramgui's peak (a 2048-token pass and a 256-sequence
    # sampler, vLLM's defaults on a 24 GB card) must lie between the two, and so must the cache.
    group = {i for i, g in _bound_groups().items() if g == "torch.compile cache cold or warm"}
    got = {p["id"].rsplit("-run", 1)[1]: p for p in results["points"] if p["id"] in group}
    assert len(got) == 5
    for quantity in ("kv-cache-tokens", "activation-peak-gib"):
        cold, warm = got[f"0-coldcompile-{quantity}"], got[f"1-warmcache-{quantity}"]
        low, high = sorted((cold["measured"], warm["measured"]))
        assert low <= cold["estimated"] == warm["estimated"] <= high
    assert abs(got["0-coldcompile-weights-gib"]["error_pct"]) < 1


def test_llamacpp_batched_decode(results):
    # llama-bench at microbatch sizes 1-256 (Llama 3 8B; one sequence's prompt b tokens a step, which multiplies
    # the weights as b sequences do).  Under the plain roofline the RTX 3090's MMVQ points (Q4_0, b <= 8) read up
    # to +111 % and the RTX 4090's MMQ ones +34-38 % (Q4_0, b 10-16) and -38 to -52 % (Q5_0 / Q4_K_S, b 32-256);
    # with MMVQ's cost per column and MMQ's math after its weights' load (core.speed.MMVQ_OPS_PER_SM_CLOCK,
    # MMQ_WEIGHTS_PER_SM_CLOCK):
    group = {i for i, g in _bound_groups().items() if g == "llamacpp-batched"}
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"] in group}
    assert len(err) == 39 and all(e is not None for e in err.values())
    # 512 tokens after 32,768 in the cache on an RTX 3090 (PRs #17505 and #17891, Nov-Dec 2025: Llama 3 8B at 2-256
    # tokens a pass, Llama 2 7B at 1-128), where the cache's read and attention join the kernels: within 25 %
    deep = {i: e for i, e in err.items() if i.endswith("-d32768")}
    assert len(deep) == 16 and all(abs(e) < 25 for e in deep.values()), deep
    err = {i: e for i, e in err.items() if i not in deep}
    mmvq = [e for i, e in err.items() if "rtx3090" in i]
    mmq_q4_0 = [e for i, e in err.items() if "pr15131" in i]
    mmq_2026 = [e for i, e in err.items() if "pr24127" in i]
    assert (len(mmvq), len(mmq_q4_0), len(mmq_2026)) == (8, 7, 8)
    assert all(abs(e) < 8 for e in mmvq)          # the 3090's eight, b = 1-8 (Sep 2025)
    assert all(abs(e) < 5 for e in mmq_q4_0)      # the 4090's Q4_0 at 10-16 (Aug 2025)
    q5_0 = [e for i, e in err.items() if "pr24127" in i and "q5_0" in i]
    assert len(q5_0) == 5 and all(abs(e) < 10 for e in q5_0)       # the 4090's Q5_0 at 16-256 (June 2026)
    # and its Q4_K_S at 64-256, read as Q4_K_M (8 % more bytes a weight): -4 to -15 %
    assert all(-16 < e < 0 for e in mmq_2026 if e not in q5_0)



def test_llamacpp_16bit_passes(results):
    # llama-bench at microbatch sizes 1-256 with 16-bit weights (PRs #15131, #14262, #24216, 2025-2026): Llama 3 8B
    # BF16 on an RTX 4090 at 1-9 tokens a pass, F16 on an RTX 3090 at 8-16, BF16 at 1-2; Llama 3.2 1B F16 / BF16 on
    # an RTX 3090 at 1-256, BF16 on an RTX 5090 at 1.  Under the roofline's max(read, math) the 3090's passes of 9-16
    # (8B) and 16-128 (1B) tokens read +11 to +44 %; with 60 % of the shorter exposed (speed.EXPOSED_16BIT_SHARE):
    group = {i for i, g in _bound_groups().items() if g == "llamacpp-16bit-passes"}
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"] in group}
    assert len(err) == 30 and all(e is not None for e in err.values())
    one = {i: e for i, e in err.items() if "-ub1-" in i}
    more = {i: e for i, e in err.items() if i not in one}
    assert len(one) == 4 and len(more) == 26
    assert all(abs(e) < 10 for e in more.values()), more                  # -6 to +9 %
    assert statistics.median(map(abs, more.values())) < 3
    # one token a pass reads 5-17 % slow: 16-bit mat-vec reaches 93-98 % of these cards' bandwidth, above the 89 %
    # that Q4_0 sets for every format (README "weak spots")
    assert all(-18 < e < -4 for e in one.values()), one

def test_bitsandbytes_decode_in_hf_transformers(results):
    # bitsandbytes' own benchmark (v0.45.0, transformers 4.46.3, optimum-benchmark; 64 tokens in, 64 out), one
    # sequence's tokens/s at 1, 8 and 32 sequences: 16-bit, NF4, NF4 with double quantization, LLM.int8() with and
    # without its outlier columns, on a T4, an RTX 4090 and an H100 SXM. Their host cost per quantized layer
    # (BNB_LINEAR_KERNELS) is fitted on Llama 3.1 8B on the H100, the 4-bit dequantization's rate
    # (BNB_DEQUANT_WEIGHTS_PER_S) on Qwen2.5 32B and Llama 3.1 70B there; the rest is out of the fit. Before both,
    # the quantized rows read -11 to +540 % (4-bit layers timed as fused mat-vecs at every batch, LLM.int8() as a
    # weight-only int8 kernel)
    group = {i for i, g in _bound_groups().items() if g == "hf-bnb"}
    points = {p["id"]: p for p in results["points"] if p["id"] in group}
    assert len(points) == 80
    # LLM.int8() with threshold 0 (no outlier columns) is not transformers' default: kept, not compared
    skipped = {i for i, p in points.items() if p["skipped"]}
    assert skipped == {i for i in points if "-int8-" in i} and len(skipped) == 17
    err = {i: p["error_pct"] for i, p in points.items() if i not in skipped}

    def rows(card, sixteen):
        return {i: e for i, e in err.items() if f"-{card}-" in i and ("-bf16-" in i or "-fp16-" in i) == sixteen}
    # the H100 (a server's host): every row within -9 to +18 %, median under 5 %; the fitted model's (Llama 3.1
    # 8B) within 9 % (its bf16 row -8.1 %: the server hosts' median layer cost, HOST_S_PER_LAYER)
    h100 = {**rows("h100", True), **rows("h100", False)}
    assert len(h100) == 33 and all(-9 < e < 18 for e in h100.values()), h100
    assert statistics.median(map(abs, h100.values())) < 5
    assert all(abs(e) < 9 for i, e in h100.items() if "llama3.1-8b" in i)
    # the RTX 4090 (a desktop's host): NF4 at one sequence -32 to -35 % (host-bound there: that host runs its
    # layers a third faster than the desktop figure, 0.5 ms a Llama layer, which LLM.int8() at one sequence reads
    # within -15 %); at 8 and 32 sequences, bandwidth-bound, within 12 %
    q4090 = rows("rtx4090", False)
    assert len(q4090) == 15
    one = {i: e for i, e in q4090.items() if "-b1-" in i}
    assert all(-36 < e < -30 for i, e in one.items() if "-nf4" in i), one
    assert all(-16 < e < -10 for i, e in one.items() if "-int8decomp-" in i), one
    assert all(abs(e) < 12 for i, e in q4090.items() if i not in one), q4090
    # its 16-bit rows: +13 % at one sequence, +28 and +59 % at 8 and 32 (HF's 16-bit matmuls at several rows
    # slower than the read: not modelled, README "weak spots")
    assert [round(rows("rtx4090", True)[f"hf-bnb-llama3.1-8b-bf16-rtx4090-b{b}-decode"]) for b in (1, 8, 32)] \
        == [13, 28, 59]
    # the T4 on its years' server host (HOST_S_PER_LAYER "hf-server-old", 1.14 ms a Llama layer; at the server
    # median of the later cards' hosts its fp16 rows read +30 to +101 %, the quantized ones +50 to +105 %): fp16 at
    # 1 and 8 sequences within 6 %, at 32 +47 % (the 16-bit matmuls of several rows, as on the RTX 4090); the
    # quantized rows +9 to +53 %
    t4 = rows("t4", False)
    assert len(t4) == 9 and all(9 < e < 54 for e in t4.values()), t4
    fp16 = [rows("t4", True)[f"hf-bnb-qwen2.5-3b-fp16-t4-b{b}-decode"] for b in (1, 8, 32)]
    assert abs(fp16[0]) < 6 and abs(fp16[1]) < 6 and 40 < fp16[2] < 50, fp16


def test_hf_batch1_decode_on_an_a100_server(results):
    # PIA Lookahead's baseline (HF generate without lookahead, transformers 4.30.2, fp16, one sequence) on an A100
    # 80GB: Llama 2 7B and 13B and ChatGLM2-6B on two datasets each. Host-bound at the server median (0.83 ms a Llama
    # layer): all six within 12 % (the Llama 2 7B Dolly run is one of the nine the median comes from). ChatGLM2-6B,
    # ChatGLM3-6B's layer shapes, at 43.0 tokens/s against 45.6 and 43.3: 0.78 ms a layer on this A100's host, where
    # the ChatGLM3 run of the table read 0.64 (its expected miss, test_speed.HF_MISSES)
    group = {i for i, g in _bound_groups().items() if g == "lookahead-hf"}
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"] in group}
    assert len(err) == 6 and all(-12 < e < 0 for e in err.values()), err
    assert all(abs(e) < 6 for i, e in err.items() if "chatglm2" in i)


def test_vllm_bursts_of_long_prompts(results):
    # GPUStack's performance lab (vLLM v0.11.0, default settings): 100 prompts of 32,000 tokens or 500 of 4,000 /
    # 2,000 sent at once, Qwen3-14B and Qwen3-32B in BF16 on one card; the engine runs as many at a time as its
    # sequence cap and KV cache allow (Qwen3-32B at 32k: one at a time on either card)
    group = {i for i, g in _bound_groups().items() if g == "gpustack-vllm-bursts"}
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"] in group}
    assert len(err) == 12 and all(e is not None for e in err.values())
    a100 = [e for i, e in err.items() if "-a100-" in i]
    h100 = [e for i, e in err.items() if "-h100-" in i]
    # on an A100 (312 TFLOP/s) the prompts at vLLM's 55 % of the peak: within 20 %, median under 10 %
    assert max(map(abs, a100)) < 20 and statistics.median(map(abs, a100)) < 10
    # on the H100 SXM the same lab measured 1.5-1.9 times the A100's rate where the datasheets say 3.2: at the
    # Hopper factor (0.7 of the share, HOPPER_PROMPT_FACTOR) +12 to +45 % (at the A100's share +41 to +71 %)
    assert all(10 < e < 50 for e in h100) and statistics.median(h100) < 25


def test_sglang_moe_on_several_mi300x(results):
    # MiniMax-M2.7 FP8 under SGLang 0.5.13 (ROCm) on 2 and 4 MI300X, attention and experts split over the same cards:
    # the estimate is fast by 15-48 %.  At one request the run takes 14.94 ms where the roofline at the ROCm row's
    # 53 % (2.2 ms), the all-reduces (3.1 ms) and vLLM's fixed costs (0.5 ms + 62 layers x 65 us) leave 9.9: SGLang's
    # MoE layers on ROCm cost more than the row's 25 us each (not modelled: these four runs are the only ones), and
    # more again with the requests.  A dense model on one MI300X, Gemma 4 31B, is within 18 % (test_speed).
    group = {i for i, g in _bound_groups().items() if g == "sglang-rocm-moe-tp"}
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"] in group}
    assert len(err) == 4 and all(-50 < e < -10 for e in err.values()), err


def test_sglang_sparse_attention_moe_on_eight_mi300x(results):
    # GLM-5.1 FP8 (GLM-5's architecture: 78 layers, 256 experts, DeepSeek sparse attention) under the same SGLang
    # 0.5.13 ROCm image on 8 MI300X, TP8, DSA through tilelang: the estimate is fast by 46-60 %.  At one request the
    # run takes 28.38 ms where the roofline at the ROCm row's 47.7 % of 5.3 TB/s (5.39 GB a card: 2.1 ms), 156
    # all-reduces (3.9 ms) and the fixed costs (5.5 ms) leave 11.5: 16.9 ms, about 216 us a layer, is not modelled
    # (MiniMax-M2.7 on 2 cards above leaves 82 us a layer: no one cost fits both, so neither is tuned to).
    group = {i for i, g in _bound_groups().items() if g == "sglang-rocm-dsa"}
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"] in group}
    assert len(err) == 4 and all(-65 < e < -40 for e in err.values()), err


def test_ollama_llama_server_runs(results):
    # Ollama 0.32.13's llama-server (Aug 2026) on an RTX 5080, DeepSeek-Coder-V2-Lite Q5_K_M from the Ollama library
    # (a GGUF from before llama.cpp's MLA tensors: up-projected heads, no flash attention) at num_ctx 2,048 / 4,096 /
    # 8,192 set by the request ('Ollama (num_ctx set)'): weights, cache and llama-server's --fit projection of its
    # total within 1.3 % (their quantities' bounds). Its compute buffer holds no 512-row logits (PR #23861: 200 MiB
    # of this vocabulary; the llama.cpp profile's 204 MiB at 2,048 read +96 %); what the estimate gives is 14-16 %
    # short (43,008 bytes a cell where the score matrix and mask take 34,816: this path's copies of K and V are not
    # modelled); decode is 8-9 % fast at a 9-token prompt (4.95 ms a token where the llama.cpp rows give 3.68 and
    # llama-server's CPU sampling 0.9 more, SAMPLE_S, set from llama.cpp PR #25262's measurements, not from these;
    # without it +35 %)
    group = {i for i, g in _bound_groups().items() if g == "ollama-deepseek2-pre-mla"}
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"] in group}
    compute = [e for i, e in err.items() if i.endswith("-compute")]
    decode = [e for i, e in err.items() if i.endswith("-decode")]
    assert len(compute) == 3 and all(-17 < e < -12 for e in compute), err
    assert len(decode) == 3 and all(5 < e < 12 for e in decode), err
    ollama = {p["id"]: p["error_pct"] for p in results["points"] if p["id"].startswith("ollama-")
              and p["id"] not in group}
    assert len(ollama) == 10 and all(abs(e) < 1.5 for e in ollama.values()), ollama


def test_vllm_offline_prefill_of_a_batch(results):
    # Argonne's LLM-Inference-Bench: vLLM benchmark_latency, 16 prompts of 1,024 tokens, 1 output token, on one A100,
    # H100 and GH200 (Llama 2 7B, Llama 3 8B, Mistral 7B): the estimate is slow by 13-35 % everywhere. vLLM's 55 % is
    # a serving share (the GPUStack bursts above: within 20 % on an A100); this offline call reaches ~0.68 of an
    # A100's peak. The H100 reads slowest (-27 to -35 %: the Hopper factor, which GPUStack's H100 bursts ask for,
    # here pulls the other way), the GH200 (no factor) -13 to -18 %
    group = {i for i, g in _bound_groups().items() if g == "argonne-vllm-prefill"}
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"] in group}
    assert len(err) == 9 and all(e is not None for e in err.values())
    assert all(-40 < e < -10 for e in err.values())
    by_card = {card: statistics.median(e for i, e in err.items() if f"-{card}-" in i)
               for card in ("a100", "h100", "gh200")}
    assert by_card["gh200"] > by_card["a100"] > by_card["h100"]


def test_a_burst_is_served_at_what_the_engine_and_memory_allow(cat):
    # the estimate of a burst: steady serving of as many requests as vLLM's cap (256 sequences on an A100, 1,024 on
    # an H100) and the KV cache allow; 500 prompts of 3,996 tokens and 200 outputs of Qwen3-14B on an A100 80GB:
    # fewer than 256 fit, so memory sets it
    from vramgui.core import Scenario
    from vramgui.core.fit import max_batch
    from vramgui.core.speed import served
    from vramgui.core.validation import run_corpus
    point = next(json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()
                 if '"gpustack-qwen3-14b-a100-vllm-burst-rand4k-otps"' in line)
    s = Scenario(model=cat.model("qwen3-14b"), gpu=cat.gpu("a100-80gb"), weights="bf16", engine="vllm",
                 prompt_tokens=3996, output_tokens=200)
    room = max_batch(s)
    assert 1 < room < 256
    (got,) = run_corpus([point], cat, corpus_dir=CORPUS.parent)
    assert got.estimated == pytest.approx(float(served(s.with_(batch=room)).throughput_tokens_per_s), rel=1e-12)
    # with fewer requests than fit, all of them at once
    few = {**point, "extra": {**point["extra"], "requests": 3}}
    (got,) = run_corpus([few], cat, corpus_dir=CORPUS.parent)
    assert got.estimated == pytest.approx(float(served(s.with_(batch=3)).throughput_tokens_per_s), rel=1e-12)


def test_llamacpp_may_2024_builds(results):
    # XiongjieDai's LLaMA 3 notebooks (llama.cpp builds 2795-2843, May 2024, flash attention off): Llama 3 8B /
    # 70B in Q4_K_M and F16 on 20 machines, llama-bench pp512-8192 / tg512-8192 and main's timings.  Read with the
    # profile of builds without CUDA graphs (build < 3000), calibrated on Dec 2023 builds that ran slower; bounds
    # by group, with what each shows:
    group = {i for i, g in _bound_groups().items() if g == "llama.cpp May 2024 (XiongjieDai LLaMA 3)"}
    raw = {json.loads(line)["id"]: json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()}
    got = [p for p in results["points"] if p["id"] in group and not p["skipped"]]
    # every point is estimated (the RTX 3080 Ti's ten speed points too: its gpu_ref is the catalog's id)
    assert len(got) >= 400 and len(group) == len(got)

    def errs(quantity, cards=None, fmt=None):
        return [p["error_pct"] for p in got if p["quantity"] == quantity
                and (cards is None or raw[p["id"]]["gpu_ref"] in cards)
                and (fmt is None or raw[p["id"]]["precision"] == fmt)]
    datacentre = {"a100-80gb-pcie", "a100-80gb-sxm", "h100-pcie"}
    apple = {"m1-max-32c-64gb", "m2-ultra-76c-192gb", "m3-max-40c-64gb"}
    other = {raw[p["id"]]["gpu_ref"] for p in got} - datacentre - apple
    # decode on desktop and workstation cards: within 30 %, median 9 % (slow by up to 28 % on cards of 300-960 GB/s
    # and the 70B runs: these builds ran faster than the Dec 2023 calibration)
    desk = errs("decode_tok_s", other)
    assert statistics.median(map(abs, desk)) <= 12 and max(map(abs, desk)) <= 30
    # data-centre cards: Q4_K_M within 35 %; F16 at these builds' 16-bit mat-vec's 6.2 bytes per SM per clock
    # (DMMV_16BIT_BYTES_PER_SM_CLOCK; the bandwidth's share read them 57-108 % fast): +10 to +19 %
    assert max(map(abs, errs("decode_tok_s", datacentre, "q4_k_m"))) <= 35
    f16 = errs("decode_tok_s", datacentre, "f16")
    assert len(f16) == 12 and all(0 < e <= 20 for e in f16)
    # Apple (Metal, its row: these builds had no CUDA graphs there either), without flash attention a step reads the
    # cache once per query head: the M3 Max's decode within 15 % at every length (it was -28 to +23 % on the CUDA
    # row, which reads every cache once), the M2 Ultra's within 20 % (was -12 to +62 %); the M1 Max's F16 within
    # 25 %, its Q4_K_M +38 to +84 % fast (K-quant mat-vec on M1's GPU, and 70B in 42 of its 64 GB; the #4167
    # table's Q4_0 on the same chip reads +8 %)
    assert max(map(abs, errs("decode_tok_s", {"m3-max-40c-64gb"}))) <= 15
    assert max(map(abs, errs("decode_tok_s", {"m2-ultra-76c-192gb"}))) <= 20
    assert max(map(abs, errs("decode_tok_s", {"m1-max-32c-64gb"}, "f16"))) <= 25
    assert all(30 < e < 90 for e in errs("decode_tok_s", {"m1-max-32c-64gb"}, "q4_k_m"))
    # ... and their prompts at the Metal row's 75 % of the peak: F16 within 26 % (they read -32 to -52 % at the CUDA
    # row's 40 %); Q4_K_M's slower prompt matmuls on the M1 Max read up to 55 % fast (67 % before the tile kernel's
    # conversion of the weights was paid on each pass: MMQ_WEIGHTS_PER_SM_CLOCK), the M2 Ultra's within +18 % (+46),
    # the M3 Max's -11 to +7 % (was -1 to +19)
    assert max(map(abs, errs("prefill_tok_s", apple, "f16"))) <= 26
    assert all(-12 < e < 56 for e in errs("prefill_tok_s", apple, "q4_k_m"))
    assert all(-12 < e < 19 for e in errs("prefill_tok_s", {"m2-ultra-76c-192gb", "m3-max-40c-64gb"}, "q4_k_m"))
    # prefill (llama-bench pp and main's first prompt): median 17 %, worst 154 % (main's first prompts with start-up;
    # without flash attention, the score matrices' traffic counted: README "weak spots")
    pre = errs("prefill_tok_s")
    assert statistics.median(map(abs, pre)) <= 19 and max(map(abs, pre)) <= 170
    # GeForce cards at 46 % of their fp16-accumulate rate (these builds' cuBLAS prompt GEMMs; twice the rate their
    # presets give): median 13 % (it was 47 % at the presets' rate); the worst are main's first prompts on RTX 4090s
    # (start-up counted) and Llama 3 70B on two cards (+25 to +62 %: the pipeline seemingly idle)
    geforce = errs("prefill_tok_s", {"rtx3070", "rtx3080-10gb", "rtx3080ti", "rtx3090", "rtx4070ti", "rtx4080",
                                     "rtx4090"})
    assert len(geforce) == 72 and statistics.median(map(abs, geforce)) <= 15


def test_llamacpp_16bit_decode_on_hbm_cards_before_cuda_graphs(results):
    # F16 decode of builds without CUDA graphs on an A100 80GB PCIe, A100 SXM and H100 PCIe, read at 6.2 bytes per SM
    # per clock (the median of these seven runs: DMMV_16BIT_BYTES_PER_SM_CLOCK); at the bandwidth's share they read
    # +22 to +108 %.  Dec 2023 (build 1680, Llama 2): 7B -7 % and +0 %, 13B -20 and -15 % (the longer rows of the
    # 13B's matrices ran faster per SM); May 2024 (Llama 3 8B, tg512-8192): +10 to +19 %
    got = {p["id"]: p["error_pct"] for p in results["points"] if p["quantity"] == "decode_tok_s"
           and "-f16-" in p["id"] and any(c in p["id"] for c in ("a100-80gb-pcie", "a100-80gb-sxm", "h100-pcie"))
           and p["id"].startswith(("llamacpp-l2-", "xd-l3-8b-"))}
    assert len(got) == 16 and max(map(abs, got.values())) <= 21
    # the 7B runs (73.86 and 83.19 tokens/s measured) within 10 %; the 13B runs read slow, the May 2024 runs fast
    dec = {i: e for i, e in got.items() if i.startswith("llamacpp-l2-")}
    assert all(abs(e) <= 10 for i, e in dec.items() if "-7b-" in i)
    assert all(e < 0 for i, e in dec.items() if "-13b-" in i)
    assert all(e > 0 for i, e in got.items() if i.startswith("xd-"))


def test_a_point_kept_but_not_compared_says_why(results):
    # extra.skip: the run is kept as printed, reported as skipped with the data's own reason (a suspect run: the
    # A100 SXM's F16 llama-bench pp figures rise with the prompt, the opposite of every other card's)
    got = {p["id"]: p for p in results["points"]}
    p = got["xd-l3-8b-f16-a100-80gb-sxm-prefill-pp512"]
    assert p["skipped"].startswith("llama-bench's pp figures rise with the prompt length (604 to 1,323 tokens/s")
    # (llama.cpp's "KV self size" line totals every card's cache: two cards' 17 + 15 layers are the whole model's)
    two = got["xd-l3-8b-q4_k_m-rtx4090-2x-mem-kv-total"]
    assert not two.get("skipped") and two["estimated"] == pytest.approx(1024.0, rel=1e-9)


def test_every_card_of_the_corpus_is_in_the_catalog(results):
    # a corpus point whose gpu_ref names no catalog card is silently left out of every bound above (the
    # RTX 3080 Ti's ten speed points were, after its preset had been added)
    lost = [p["id"] for p in results["points"] if p["skipped"] and "is not in the catalog" in p["skipped"]]
    assert lost == []


def test_apple_chips_prefill_from_their_shader_rates(results):
    # llama.cpp's Apple Silicon table (discussion #4167): Llama 2 7B F16 / Q8_0 / Q4_0, pp512 on twelve chips.  Every
    # chip now has a FLOP/s figure (the M4 Max, M4 Pro, M3 Ultra, M3 Pro, M2 Pro and M1 Pro from third-party shader
    # rates, each checked here): all 36 are estimated, within 17 % (the Q8_0 / Q4_0 rows run 5-12 % slower than F16
    # on every chip; the tile kernel's conversion, counted since, splits part of it)
    base = ("llamacpp-4167-m1-8c-", "llamacpp-4167-m2-10c-", "llamacpp-4167-m3-10c-", "llamacpp-4167-m4-10c-")
    got = [p for p in results["points"] if p["id"].startswith("llamacpp-4167-") and p["id"].endswith("-pp512")
           and not p["id"].startswith(base) and "-m5-" not in p["id"]]     # (the M5 family: its own test)
    assert len(got) == 36 and not [p["id"] for p in got if p["skipped"]]
    assert max(abs(p["error_pct"]) for p in got) <= 17
    # F16 on the chips whose figure is new: M4 Max +4 %, M4 Pro -9 %, M3 Ultra 60 / 80-core +6 / +3 %, M2 Pro -1 %,
    # and on the presets added with the M1 Pro (16-core, 5.2 TFLOP/s) and M3 Pro (18-core, 6.44): -4 and 0 %
    f16 = {"-".join(p["id"].split("-")[2:5]): p["error_pct"] for p in got if "-f16-" in p["id"]}
    new = ("m4-max", "m4-pro", "m3-ultra", "m2-pro", "m1-pro", "m3-pro")
    assert sum(chip.startswith(new) for chip in f16) == 7          # (the M3 Ultra twice: 60 and 80 cores)
    assert all(abs(e) <= 10 for chip, e in f16.items() if chip.startswith(new)), f16


def test_apple_base_chips(results):
    # the same table's base chips (the MacBook Air / Mac mini M1 8-core, M2, M3 and M4 10-core GPUs), whose presets
    # were added with their shader rates and bandwidths (68.25, 100, 100, 120 GB/s): decode within 8 % (-1.5 to
    # +7.6 %), prefill within 16 % (the M1's Q8_0 / Q4_0 rows +11 / +12 %, with no F16 row to set it apart; the M2's
    # and M3's -4 to 0 %; the M4's Q8_0 / Q4_0 -15 %: since the tile kernel's conversion of the weights is paid on
    # each pass, MMQ_WEIGHTS_PER_SM_CLOCK, at the cores x clock its preset's rate gives; -6 / -5 % before, when the
    # M1's read +24 % and the M2's +11 %)
    base = ("llamacpp-4167-m1-8c-", "llamacpp-4167-m2-10c-", "llamacpp-4167-m3-10c-", "llamacpp-4167-m4-10c-")
    got = [p for p in results["points"] if p["id"].startswith(base)]
    assert len(got) == 20 and not [p["id"] for p in got if p["skipped"]]
    decode = [p["error_pct"] for p in got if p["quantity"] == "decode_tok_s"]
    prefill = {p["id"]: p["error_pct"] for p in got if p["quantity"] == "prefill_tok_s"}
    assert len(decode) == 10 and max(abs(e) for e in decode) <= 8, decode
    assert max(abs(e) for e in prefill.values()) <= 16, prefill
    assert max(abs(e) for i, e in prefill.items() if "-m2-" in i or "-m3-" in i) <= 5, prefill


def test_an_rdna2_card_under_rocm(results):
    # the RX 6700 XT (gfx1031, 384 GB/s) with llama.cpp's ROCm backend, March 2024 (PR #5835's comment): Mistral 7B
    # Q4_0 decodes within 5 % (+4.3 %: the ROCm row's 87 % share of the bandwidth); its pp512 (1,017 t/s measured:
    # 14.7 TFLOP/s, 56 % of the card's 26.4 TFLOP/s packed fp16 rate) read -31 % at the row's 40 % and within 5 %
    # at RDNA 2's 1.45 times it (speed.RDNA2_PROMPT_FACTOR, set on this card and the ROCm scoreboard's two)
    pts = {p["quantity"]: p["error_pct"] for p in results["points"] if p["id"].startswith("llamacpp-pr5835-")}
    assert set(pts) == {"decode_tok_s", "prefill_tok_s"}
    assert abs(pts["decode_tok_s"]) <= 5 and abs(pts["prefill_tok_s"]) <= 5, pts


def test_a_laptop_card(results):
    # the RTX 4060 Laptop GPU (its preset: 256 GB/s, 29.1 TFLOP/s at the top boost clock) under llama.cpp's CUDA
    # backend, b10121 (Sep 2026, Windows, AMSN88/llamacpp-cuda-kv-bench): Qwen-7B Q4_K_M tg128 46.03 t/s reads +4.8 %,
    # pp512 2,178 (+-165 over five runs) +9.9 %
    pts = {p["quantity"]: p["error_pct"] for p in results["points"] if "-rtx4060-laptop-" in p["id"]}
    assert set(pts) == {"decode_tok_s", "prefill_tok_s"}
    assert abs(pts["decode_tok_s"]) <= 8 and abs(pts["prefill_tok_s"]) <= 12, pts


def test_prefill_after_a_deep_cache(results):
    # llama-bench's "pp512 @ dN": 512 prompt tokens after N already in the cache.  lhl/strix-halo-testing: b6865
    # (Oct 2025) under ROCm on a Radeon 8060S, two builds (plain HIP, rocWMMA) x two models x N = 0 to 65,536;
    # llama.cpp PR #17505: the CUDA build on an RTX 3090 at 32,768.  The HIP build's Llama 3.2 1B run sets
    # ROCm's attention at 7 % of the card's peak (speed.ATTENTION_EFFICIENCY: its slope gives 6.8-7.1 %);
    # the other runs check it.  At the GEMMs' 40 % the ROCm runs at 65,536 read +188 to +488 %.
    pts = {p["id"]: p for p in results["points"] if ("-radeon8060s-rocm-" in p["id"] and "-pp512" in p["id"])
           or ("pr17505-" in p["id"] and p["quantity"] == "prefill_tok_s")}
    assert len(pts) == 21 and not [i for i, p in pts.items() if p["skipped"]]
    err = {i: p["error_pct"] for i, p in pts.items()}
    oss = [e for i, e in err.items() if "gpt-oss-20b" in i]
    assert len(oss) == 10 and all(-11 <= e <= 16 for e in oss), oss     # -10 to +15 % at every depth
    # Llama 3.2 1B: from empty +75 and +82 % (a 1B model's small GEMMs fall short of the large-GEMM share), but
    # at 16,384 and 65,536 tokens, where attention takes 75-90 % of the time, within 28 %
    deep = [e for i, e in err.items() if "llama3.2-1b" in i and i.endswith(("-d16384", "-d65536"))]
    assert len(deep) == 4 and all(abs(e) <= 28 for e in deep), deep
    # CUDA: attention at 40 % of the fp16 rate, the GEMMs at 30 % of the int8 one (GeForce): -14 %
    assert abs(err["llamacpp-pr17505-llama3-8b-q4_0-rtx3090-ub512-pp512-d32768"]) <= 20


def test_rdna4_prefill_after_a_deep_cache(results):
    # llama.cpp PR #28102 (2026): an RX 9060 XT, Llama 3 8B Q4_0, 1,024 tokens after 4,096 to 32,768 cached.  Its
    # native flash attention on RDNA 4's WMMA units: the run at 32,768 (674.64 tokens/s) sets 15 %
    # (speed.RDNA4_ATTENTION_EFFICIENCY; -1.5 %), the shallower ones check the slope: -5.7 to 0 %.  At the
    # 7 % of the Radeon 8060S's shader-core kernels they read -30 to -47 %.
    got = {p["id"]: p["error_pct"] for p in results["points"] if "-rx9060xt-ub512-pp1024-d" in p["id"]}
    assert len(got) == 4 and all(-7 <= e <= 1 for e in got.values()), got



def test_navi31_prompts_2026(results):
    # llama.cpp PR #26284 (2026): an RX 7900 XTX (HIP), Llama 3 8B Q4_K_M, 2,048 tokens in passes of 512 and 1,024
    # from empty and after 4,096 cached, decode of 64 tokens, and Q5_K_M in passes of 64.  With Navi 31's flash
    # attention at 25 % (speed.NAVI31_ATTENTION_EFFICIENCY) the cached keys cost what was measured: the prompts
    # read -6 to -10 % from empty and after the cache alike (at 7 %: -41 and -43 % after it); decode -2.5 and
    # -1.8 % (with the ROCm row's 130 us a layer from 2025-2026 builds; at b4008's 162 us -12 and -11 %).  Passes
    # of 64 tokens read +25 to +31 %: the ROCm row has no small-batch kernel terms (README "weak spots")
    group = {i for i, g in _bound_groups().items() if g == "llamacpp-rocm-2026"}
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"] in group}
    assert len(err) == 8 and all(e is not None for e in err.values())
    prompts = {i: e for i, e in err.items() if "q4_k_m" in i and "-pp2048" in i}
    decode = {i: e for i, e in err.items() if "-tg64" in i}
    small = {i: e for i, e in err.items() if "-ub64-" in i}
    assert (len(prompts), len(decode), len(small)) == (4, 2, 2)
    assert all(-11 < e < -6 for e in prompts.values()), prompts
    assert all(-4 < e < 0 for e in decode.values()), decode
    assert all(20 < e < 32 for e in small.values()), small


def test_decode_after_a_deep_cache(results):
    # the same HIP runs' "tg128 @ dN" rows (128 tokens after N cached, N = 0 to 65,536): the step reads the cache
    # the context holds.  Llama 3.2 1B -10.0 % from empty to +1.0 % at 65,536 (from 195.65 tokens/s down to
    # 64.62: the cache read dominates), gpt-oss-20b -2.9 to +2.6 % (49.92 to 34.76); at b4008's 162 us a layer
    # (the ROCm row before its 2025-2026 refit) the 1B read -17.5 % from empty
    got = {p["id"]: p["error_pct"] for p in results["points"] if "-radeon8060s-rocm-hip-tg128" in p["id"]}
    assert len(got) == 10 and all(-11 <= e <= 3 for e in got.values()), got


def test_current_llamacpp_prefill_on_geforce(results):
    # llama.cpp's CUDA builds of 2026 on GeForce cards, quantized dense models: an RTX 5090 (Llama 3 8B Q4_0, PR
    # #20586, Mar 2026), an RTX 4090 (Llama 3 8B Q4_K_S, PR #24127, Jun 2026), an RTX 4080 and an RTX 3080 (Qwen3
    # 14B Q4_K_M, b8828), the RTX 5090's b10809 Qwen3.5 27B and the RTX 3090's 32k-deep prompt (PR #17505).  At the
    # 20 % of the int8 peak that one RTX PRO 6000 set (b6413) they read -19 to -34 %; GeForce cards run 30 % of it
    # (the scoreboard below): within 20 %.
    ids = ("llamacpp-pr20586-llama3-8b-q4_0-rtx5090-ub512-pp512",
           "llamacpp-pr24127-llama3-8b-q4_k_s-rtx4090-ub512-pp512", "llamacpp-b8828-qwen3-14b-q4_k_m-rtx4080-pp512",
           "llamacpp-b8828-qwen3-14b-q4_k_m-rtx3080-10gb-pp512", "llamacpp-b10809-qwen3.5-27b-q4_k_m-rtx5090-pp1024",
           "llamacpp-pr17505-llama3-8b-q4_0-rtx3090-ub512-pp512-d32768")
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"] in ids}
    assert len(err) == len(ids) and all(abs(e) <= 20 for e in err.values()), err


def test_llamacpp_cuda_scoreboard_prefill(results):
    # llama.cpp's CUDA scoreboard (discussion #15013, Aug 2025 on; Llama 2 7B Q4_0, llama-bench pp512 with and
    # without flash attention) on 39 cards, GeForce, workstation and data-centre, read through a parsed copy (27 of
    # them also in two transcriptions that agree).  Every point is estimated but the RTX PRO 4000's without flash
    # attention (its preset has no FLOP/s figure); the GTX 1080 Ti and the Tesla P40 (Pascal: no tensor cores) at
    # their dp4a rates (below).
    got = {p["id"]: p for p in results["points"]
           if p["id"].startswith("llamacpp-15013-") and p["id"].endswith("-pp512")}
    assert len(got) == 76
    assert sorted(i.removeprefix("llamacpp-15013-llama2-7b-q4_0-") for i, p in got.items() if p["skipped"]) == [
        "rtxpro4000-nofa-pp512"]
    err = {i.removeprefix("llamacpp-15013-llama2-7b-q4_0-").removesuffix("-pp512"): p["error_pct"]
           for i, p in got.items() if not p["skipped"]}
    # with flash attention (llama.cpp's default since Aug 2025): median within 10 %, every card within 30 % but the
    # TITAN V (+32 %; Volta, like the V100's +25 %: no int8 tensor figure, its prompts at the fp16 share)
    fa = {c: e for c, e in err.items() if c.endswith("-fa")}
    assert len(fa) == 37 and statistics.median(map(abs, fa.values())) <= 10
    assert [c for c, e in fa.items() if abs(e) > 30] == ["titanv-fa"] and fa["titanv-fa"] < 35, fa
    # without it the same prompts run 5-23 % slower: the score matrices cross memory (speed.EAGER_SCORE_TRAFFIC;
    # read without that term these rows were +10 % in the median): within 27 % (the P100 -27 %), median 7 %
    nofa = [e for c, e in err.items() if c.endswith("-nofa")]
    assert len(nofa) == 38 and statistics.median(map(abs, nofa)) <= 8 and max(map(abs, nofa)) <= 27, nofa
    # the three cards on one commit (5143fa8): an A100 80GB, an H100 and an RTX PRO 6000, 5,285.96, 11,263.29 and
    # 16,618.98 tokens/s with flash attention: the data-centre chips at the graphics chips' int8 rate per SM (at
    # their own int8 peaks, 624 and 1,978.9 TOPS, they read +73 and +146 %)
    assert all(abs(fa[c]) <= 30 for c in ("a100-fa", "h100-fa", "rtxpro6000-fa")), fa
    # Turing (a T4, an RTX 2080 Ti, a Quadro RTX 8000) at 0.63 of the later cards' share (speed.TURING_MMQ_FACTOR):
    # within 17 %; at the same share they read +45 to +74 %.  Four Turing cards added after the factor was set read
    # within 24 % (RTX 2070 SUPER -6 / +1 %, RTX 2060 SUPER +10 / +18 %, Quadro RTX 6000 -5 / +3 %, Quadro RTX 4000
    # -23 / -18 %)
    turing = {c: e for c, e in err.items() if c.split("-")[0] in ("t4", "rtx2080ti", "quadrortx8000")}
    assert len(turing) == 6 and all(abs(e) <= 17 for e in turing.values()), turing
    later = {c: e for c, e in err.items()
             if c.split("-")[0] in ("rtx2070super", "rtx2060super", "quadrortx6000", "quadrortx4000")}
    assert len(later) == 8 and all(abs(e) <= 24 for e in later.values()), later


def test_llamacpp_on_pascal(results):
    # The scoreboard's Pascal cards (no tensor cores).  The GP102 cards decode at the factor of the cards before
    # Ampere (speed.PRE_AMPERE_DECODE_FACTOR, set on Volta, Turing and these): a Tesla P40 within 6 %, a GTX 1080 Ti
    # +24 / +26 % (at the row's share +35 / +38 % and +60 / +63 %).  The Tesla P100 is a stated miss: +80 / +91 %
    # (+130 / +144 % at the share), its GP100 (compute capability 6.0) lacking the dp4a byte dot product that
    # llama.cpp's quantized kernels build on (ggml-cuda's GGML_CUDA_CC_DP4A is 610; below it ggml_cuda_dp4a
    # multiplies the four bytes one by one), so that its decode is bound by integer math, not by its 732 GB/s.
    # The P100's prompts (its preset's 18.7 TFLOP/s of packed fp16, at the CUDA row's share) read -27 to -29 %.
    # The P40's and 1080 Ti's run MMQ on dp4a (presets' int8_dp4a_tops: NVIDIA's 47 TOPS for the P40, the same
    # count for the 1080 Ti's cores and clock, 45.4), at the CUDA row's int8 shares fitted on later cards' tensor
    # cores (speed.DP4A_ROWS; 25.5 % for the data-centre P40, 35 % for the GeForce): -13 / -17 % and +4 / +8 %.
    # Bounded so that a change of the model shows.
    group = {i for i, g in _bound_groups().items() if g == "llama.cpp CUDA on Pascal"}
    got = {p["id"].removeprefix("llamacpp-15013-llama2-7b-q4_0-"): p for p in results["points"] if p["id"] in group}
    assert len(got) == 12
    err = {c: p["error_pct"] for c, p in got.items() if not p["skipped"]}
    assert not [c for c, p in got.items() if p["skipped"]]
    assert all(-20 < err[f"p40-{fa}-pp512"] < -10 for fa in ("fa", "nofa")), err
    assert all(0 < err[f"gtx1080ti-{fa}-pp512"] < 10 for fa in ("fa", "nofa")), err
    assert all(abs(err[f"p40-{fa}-tg128"]) <= 8 for fa in ("fa", "nofa")), err
    assert all(20 < err[f"gtx1080ti-{fa}-tg128"] < 30 for fa in ("fa", "nofa")), err
    assert all(70 < err[f"p100-{fa}-tg128"] < 100 for fa in ("fa", "nofa")), err
    assert all(-35 < err[f"p100-{fa}-pp512"] < -20 for fa in ("fa", "nofa")), err


def test_llamacpp_rocm_scoreboard(results):
    # llama.cpp's ROCm scoreboard (discussion #15021, the same llama-bench runs of Llama 2 7B Q4_0 on AMD cards),
    # six Radeon cards through the parsed copy.  Prompts: RDNA 3's RX 7900 XTX, 7900 XT and 7800 XT within 10 %;
    # RDNA 2's RX 6900 XT and 6800 XT within 13 % at 1.45 times the row's share (speed.RDNA2_PROMPT_FACTOR; at the
    # share itself they read -20 to -33 %); the RX 7900 GRE
    # reads +68 / +79 %, where its 1,457 tokens/s trail the smaller RX 7800 XT's 2,152 on the same scoreboard (80
    # CUs against 60: a throttled card or an older build, kept as listed).  Decode: within 13 % but the RX 7900 XTX,
    # 167-170 tokens/s (66 % of its 960 GB/s for 3.82 GB a token) where the estimate gives 115: -31 / -32 %.
    got = {p["id"].removeprefix("llamacpp-15021-llama2-7b-q4_0-"): p["error_pct"] for p in results["points"]
           if p["id"].startswith("llamacpp-15021-")}
    assert len(got) == 22 and all(e is not None for e in got.values())
    pp = {c.removesuffix("-pp512"): e for c, e in got.items() if c.endswith("-pp512")}
    assert all(abs(e) <= 10 for c, e in pp.items() if c.split("-")[0] in ("rx7900xtx", "rx7900xt", "rx7800xt")), pp
    assert all(abs(e) <= 13 for c, e in pp.items() if c.split("-")[0] in ("rx6900xt", "rx6800xt")), pp
    assert all(60 < e < 85 for c, e in pp.items() if c.startswith("rx7900gre")), pp
    tg = {c.removesuffix("-tg128"): e for c, e in got.items() if c.endswith("-tg128")}
    assert all(-13 < e < 0 for c, e in tg.items() if not c.startswith("rx7900xtx-")), tg
    assert all(-35 < e < -28 for c, e in tg.items() if c.startswith("rx7900xtx-")), tg


def test_metal_decode_after_a_deep_cache(results):
    # llama.cpp PR #26570 (Aug 2026, merged): Qwen3 0.6B Q8_0 on an M2 Ultra, 32 tokens after 0 to 32,768 cached
    # (240.28 tokens/s from empty, 98.94 after 32,768, its per-device flash-attention vec kernels): -20.5 to
    # -0.7 %, the cache read taking over from the 28 layers' fixed cost (148 us each on Metal) as it grows.
    # Master before the PR (64.97 after 32,768) would read +51 % there: its kernels left bandwidth unused.
    got = {p["id"]: p["error_pct"] for p in results["points"] if p["id"].startswith("llamacpp-pr26570-")}
    assert len(got) == 6 and all(-22 <= e <= 0 for e in got.values()), got


def test_falcon_h1_early_cuda_decode_is_a_stated_miss(results):
    # Falcon-H1 7B Q4_0 on an RTX A5000 (llama.cpp PR #14602, July 2025: the PR that let SSM_SCAN run on the GPU for
    # its state of 256): llama-bench tg128 70.36 and pp512 2,384 tokens/s.  The decode reads +74 %: the roofline and
    # the per-layer costs give 8.2 ms a token where it took 14.2, about 137 us more for each of its 44 Mamba-2
    # mixers (a cost the speed tables have for Gated DeltaNet layers, core.speed.GDN_LAYER_S, but not for Mamba
    # layers: one early-build point is no ground to set it, and the GDN rows show how much builds moved it).  Kept
    # as measured, bounded here so a change of the model shows.
    group = {i for i, g in _bound_groups().items() if g == "llama.cpp CUDA Mamba-2 ops, July 2025"}
    err = {p["id"].rsplit("-", 1)[1]: p["error_pct"] for p in results["points"] if p["id"] in group}
    assert sorted(err) == ["pp512", "tg128"]
    assert 60 < err["tg128"] < 90
    assert abs(err["pp512"]) < 50          # (+47 %: the workstation share of the int8 peak, which its scan missed)


def test_mamba_layers_decode_on_current_cuda_builds(results):
    # llama.cpp PR #22478 (Apr 2026, merged; its master column): one RTX PRO 6000 Blackwell, Q4_K_M, tg128.  A dense
    # control (Mistral-NeMo-Minitron 8B), a Mamba-1 model (Mamba 2.8B, 64 layers) and a Mamba-2 one (Mamba Codestral
    # 7B, 64 layers) read within 5 %: the roofline and the layers' fixed cost hold for Mamba layers, with no cost
    # of their own (the July 2025 build above still paid ~137 us a layer).  The MoE hybrids within 25 %: Nemotron 3
    # Nano 30B-A3B -19 %, Granite 4.0-H Small +16 %, Qwen3-Next (Gated DeltaNet) -7 %.
    got = {p["id"].removeprefix("llamacpp-pr22478-").removesuffix("-q4_k_m-rtxpro6000-tg128-master"): p
           for p in results["points"] if p["id"].startswith("llamacpp-pr22478-")}
    assert got["nemotron-h-8b"]["skipped"]          # (no verified config.json for Nemotron-H 8B Reasoning)
    err = {m: p["error_pct"] for m, p in got.items() if not p["skipped"]}
    assert sorted(err) == ["granite4-h-small", "mamba-codestral-7b", "mamba2.8b", "mistral-nemo-minitron-8b",
                           "nemotron3-nano-30b-a3b", "qwen3-next-80b-a3b"]
    assert all(abs(err[m]) <= 5 for m in ("mistral-nemo-minitron-8b", "mamba2.8b", "mamba-codestral-7b")), err
    assert all(abs(e) <= 25 for e in err.values()), err


def test_vulkan_ssm_scan_before_its_optimisation_is_a_stated_miss(results):
    # Granite 4.0-H Tiny Q8_0 on an RTX 5090 under Vulkan, the run before llama.cpp PR #16645 ("vulkan: Optimize
    # SSM_SCAN", Oct 2025): pp512 7,110.83 and tg128 193.79 tokens/s.  Its 36 Mamba-2 layers' scan then ran in a
    # slow shader: the prompt reads +223 % (the estimate has no scan cost), the decode +26 %.  Bounded so that a
    # change of the model shows.
    group = {i for i, g in _bound_groups().items() if g == "llama.cpp Vulkan SSM_SCAN before PR #16645, Oct 2025"}
    err = {p["id"].split("-")[-2]: p["error_pct"] for p in results["points"] if p["id"] in group}
    assert sorted(err) == ["pp512", "tg128"]
    assert 150 < err["pp512"] < 300 and 10 < err["tg128"] < 40, err


def test_llamacpp_cuda_scoreboard_decode(results):
    # The scoreboard's tg128 rows (Llama 2 7B Q4_0, 128 tokens from an empty cache), the same cards but the Pascal
    # ones (their own test above): every point estimated.  GDDR cards from the RTX 3060 to the RTX 5090 within 14 %
    # (with flash attention within 10 %), the RTX A4000 within 15 %, the RTX A4500 +23 / +31 %; the A100, H100 and
    # A30 (HBM, capped at 7 bytes per SM per clock: they read +31 to +59 % at their bandwidth's share) within 10 %.
    # The cards before Ampere at 0.75 of the row's share (speed.PRE_AMPERE_DECODE_FACTOR): the V100, TITAN V, T4,
    # RTX 2080 Ti, 2070 SUPER, 2060 SUPER and Quadro RTX 8000, 6000 and 4000 within 21 %, median within 3 %; at the
    # share itself they read +6 to +57 % (V100 +25 / +30, TITAN V +15 / +19, T4 +49 / +57, RTX 2080 Ti +13 / +15,
    # 2070 SUPER +6 / +7, 2060 SUPER +51 / +53, Quadro RTX 8000, 6000 and 4000 +27 to +33).
    pascal = {i for i, g in _bound_groups().items() if g == "llama.cpp CUDA on Pascal"}
    got = {p["id"].removeprefix("llamacpp-15013-llama2-7b-q4_0-").removesuffix("-tg128"): p
           for p in results["points"]
           if p["id"].startswith("llamacpp-15013-") and p["id"].endswith("-tg128") and p["id"] not in pascal}
    assert len(got) == 70 and not [c for c, p in got.items() if p["skipped"]]
    err = {c: p["error_pct"] for c, p in got.items()}
    hbm = {c: e for c, e in err.items() if c.split("-")[0] in ("a100", "h100", "a30")}
    assert len(hbm) == 6 and all(abs(e) <= 10 for e in hbm.values()), hbm
    before = {c: e for c, e in err.items() if c.split("-")[0] in (
        "v100", "titanv", "t4", "rtx2080ti", "rtx2070super", "rtx2060super", "quadrortx8000", "quadrortx6000",
        "quadrortx4000")}
    assert len(before) == 18 and all(abs(e) <= 21 for e in before.values()), before
    assert abs(statistics.median(before.values())) <= 3, before
    ranges = {"rtxa4000": (-15, 15), "rtxa4500": (20, 35)}
    later = {c: e for c, e in err.items() if c.split("-")[0] in ranges}
    assert len(later) == 4, later
    assert all(ranges[c.split("-")[0]][0] <= e <= ranges[c.split("-")[0]][1] for c, e in later.items()), later
    gddr = {c: e for c, e in err.items() if c not in hbm and c not in before and c not in later}
    assert len(gddr) == 42 and all(abs(e) <= 14 for e in gddr.values()), gddr
    assert all(abs(e) <= 10 for c, e in gddr.items() if c.endswith("-fa")), gddr


def test_llamacpp_vulkan_scoreboard(results):
    # llama.cpp's Vulkan scoreboard (discussion #10879: Llama 2 7B Q4_0, pp512 and tg128 without flash attention,
    # 2025-2026 builds) on thirteen cards through the parsed copy.  NVIDIA's and AMD's: decode within 14 %, prompts
    # within 15 % (the RX 6700 XT at RDNA 2's factor, speed.RDNA2_PROMPT_FACTOR: +6 %, -26 % without it) but the
    # RTX 4060 Laptop GPU (-23 %: the estimate slow) and the Ryzen AI Max+ 395 (+32 %).  Intel's six Arc cards set
    # their row (200 us a layer and prompts at 8.7 % of the peak, the medians: speed.VULKAN_SOURCE): decode -12 to
    # +55 % (the A750 +55 %), prompts -30 to +21 % but the Arc Pro B50's, +181 % (193.5 tokens/s where the B60's
    # 20 Xe cores give 522: a 70 W card, or its build).
    got = {p["id"].removeprefix("llamacpp-10879-llama2-7b-q4_0-").removesuffix("-vulkan-pp512")
           .removesuffix("-vulkan-tg128") + ("/pp" if p["id"].endswith("pp512") else "/tg"): p["error_pct"]
           for p in results["points"] if p["id"].startswith("llamacpp-10879-")}
    assert len(got) == 26 and all(e is not None for e in got.values())
    intel = {c: e for c, e in got.items() if c.startswith("arc")}
    assert len(intel) == 12
    assert all(-15 < e < 60 for c, e in intel.items() if c.endswith("/tg")), intel
    assert all(-32 < e < 25 for c, e in intel.items() if c.endswith("/pp") and c != "arcprob50/pp"), intel
    assert 170 < intel["arcprob50/pp"] < 190, intel
    rest = {c: e for c, e in got.items() if c not in intel}
    assert all(abs(e) <= 14 for c, e in rest.items() if c.endswith("/tg")), rest
    wide = {"rtx4060laptop/pp": (-27, -18), "ryzenaimax395/pp": (25, 38)}
    assert all(lo < rest[c] < hi for c, (lo, hi) in wide.items()), rest
    assert all(abs(e) <= 15 for c, e in rest.items() if c.endswith("/pp") and c not in wide), rest


def test_intel_vulkan_builds_before_2026_are_a_stated_miss(results):
    # The Arc A770 under builds of Oct 2024 (b3999: Llama 2 7B Q4_0 at 34.67 tokens/s) and Aug 2025 (gpt-oss-20b,
    # PR #15355's 'before', 48.32) ran slower than the scoreboard's 2026 build of the same card (52.56): at the
    # row set on the scoreboard they read +101 and +57 % (they set its 600 us a layer before).
    group = {i for i, g in _bound_groups().items() if g == "llama.cpp Vulkan on Intel, 2024-2025 builds"}
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"] in group}
    assert 90 < err["llamacpp-vulkan-b3999-llama2-7b-q4_0-a770-tg128"] < 110, err
    assert 45 < err["llamacpp-vulkan-gpt-oss-20b-mxfp4-a770-tg128"] < 65, err


def test_a_prompt_run_in_its_own_microbatches(cat):
    # llama-bench -ub 2048 -p 2048 runs the prompt as one pass of 2,048 tokens, not the profile's 512: each expert of
    # gpt-oss-120b (128 experts, 4 a token) then multiplies 64 tokens at once, not 16, which its GEMMs run faster at
    from dataclasses import replace

    from vramgui.core import Scenario
    from vramgui.core.speed import card_of, prefill_from_terms, prefill_time, speed_terms
    from vramgui.core.validation import run_corpus
    point = next(json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()
                 if '"llamacpp-b6918-gpt-oss-120b-dgx-spark-pp2048"' in line)
    point = {**point, "gpu_ref": "rtx-pro-6000-blackwell"}     # (a card with a FLOP/s figure)
    (got,) = run_corpus([point], cat, corpus_dir=CORPUS.parent)
    s = Scenario(model=cat.model("gpt-oss-120b"), gpu=cat.gpu("rtx-pro-6000-blackwell"), weights="gguf-mxfp4",
                 engine="llamacpp", attention="flash", prompt_tokens=2048)
    assert s.profile.prefill_chunk_tokens == 512
    one_pass = 2048 / float(prefill_from_terms(replace(speed_terms(s), chunk=2048), 2048, 1, card_of(s)))
    assert got.estimated == pytest.approx(one_pass, rel=1e-12)
    assert got.estimated > 1.5 * 2048 / float(prefill_time(s, 2048, 1))


def test_apple_m5_chips(results):
    # llama.cpp on the M5 family, whose GPU cores carry matrix units (Metal 4's tensor API, PR 16634): the
    # #4167 table's M5 Pro and M5 Max rows (2026 builds, Llama 2 7B) and a base M5 in PR 16634 (Mistral 7B Q4_0).
    # Prompts from the presets' lower-bound rates (Apple's "4x the M4's peak for AI"): -8 % (Pro), +4 % (Max),
    # +15 % (base M5, an early tensor-API build; +3 / +16 / +28 % before the tile kernel's conversion of the
    # weights was paid on each pass).  Decode reads slow on the Pro and Max, more the smaller the
    # weights (F16 -5 / -11 %, Q8_0 -14 / -20 %, Q4_0 -18 / -28 %): their rows imply a fixed cost per layer far
    # below the 148 us fitted on M1-M4 rows of older builds (M5 Max: 27 ms F16, 8.3 ms Q4_0 a token = 84 % of
    # 614 GB/s and about 30 us a layer), which the estimate does not split by build: a stated miss.  The base M5
    # decodes +11 %.
    got = {p["id"]: p for p in results["points"] if p["id"].startswith(("llamacpp-4167-m5-", "llamacpp-pr16634-"))}
    assert len(got) == 10 and not [i for i, p in got.items() if p["skipped"]]
    prefill = [p["error_pct"] for p in got.values() if p["quantity"] == "prefill_tok_s"]
    decode = {i: p["error_pct"] for i, p in got.items() if p["quantity"] == "decode_tok_s"}
    assert len(prefill) == 3 and -10 < min(prefill) and max(prefill) <= 16, prefill
    assert all(-30 <= e <= -4 for i, e in decode.items() if "-m5-pro-" in i or "-m5-max-" in i), decode
    assert 0 < decode["llamacpp-pr16634-mistral-7b-q4_0-m5-10c-metal4-tg128"] <= 15


def test_llamacpp_metal_2026_builds(results):
    # Metal builds of 2026 (the GATED_DELTA_NET kernel from b8299): Qwen3.5-0.8B on an M4 Max (Q4_K_M tg128, PR
    # 20244) +1 %, on an M2 Ultra (Aug 2026 master, PR 25788: Q8_0 tg32 at 0-8,192 cached tokens) -13 to -17 %
    # as the small dense models there decode (Qwen3 0.6B -17 %: the M2 Ultra's fixed cost a layer is below the
    # 148 us of the older builds' rows), and its prompts -7 to +8 % with the cache's depth (Metal's attention at
    # 48 %: test_metal_after_a_deep_cache_b7948; +2 to +19 % at the GEMMs' 75 %); Llama 3.2 3B on an M1 Ultra
    # (b7825) -0.4 / +13 %, as the Ultras' other decodes read fast
    got = {p["id"]: p for p in results["points"]
           if p["id"].startswith(("llamacpp-pr25788-master-", "llamacpp-pr20244-", "llamacpp-b7825-"))}
    assert len(got) == 11 and not [i for i, p in got.items() if p["skipped"]]
    assert abs(got["llamacpp-pr20244-qwen3.5-0.8b-q4_k_m-m4max-tg128"]["error_pct"]) <= 5
    ultra_decode = [p["error_pct"] for i, p in got.items() if "pr25788" in i and p["quantity"] == "decode_tok_s"]
    assert len(ultra_decode) == 4 and all(-20 <= e <= -10 for e in ultra_decode), ultra_decode
    prompts = [p["error_pct"] for i, p in got.items() if "pr25788" in i and p["quantity"] == "prefill_tok_s"]
    assert len(prompts) == 4 and all(-8 <= e <= 9 for e in prompts), prompts
    b7825 = {p["quantity"]: p["error_pct"] for i, p in got.items() if "b7825" in i}
    assert abs(b7825["prefill_tok_s"]) <= 3 and 10 <= b7825["decode_tok_s"] <= 15, b7825


def test_metal_gated_deltanet_before_its_kernel_is_a_stated_miss(results):
    # The Feb 2026 branch before Metal's GATED_DELTA_NET kernel (PR 19375: Qwen3-Next 80B-A3B on an M2 Ultra, tg32
    # 50.39 / 46.43 / 43.78 tokens/s in Q4_0 / Q4_K_M / Q8_0) paid for each of the 36 linear-attention layers'
    # small ops on every step: current builds, as estimated, decode 67-88 % faster.  What the branch paid beyond
    # the estimate, by hand: (1/measured - 1/estimated) / 36, 236-280 us a layer
    got = {p["id"]: p for p in results["points"]
           if p["id"].startswith("llamacpp-metal-qwen3next-80b-") and p["id"].endswith("-m2ultra-tg32")}
    assert len(got) == 3
    for p in got.values():
        assert 60 <= p["error_pct"] <= 95, p
        per_layer = (1 / p["measured"] - 1 / p["estimated"]) / 36
        assert 220e-6 <= per_layer <= 300e-6, (p["id"], per_layer)


def test_qwen35_on_cuda_after_a_deep_cache_is_a_stated_miss(results):
    # Qwen3.5 9B Q8_0 on an RTX 4090 (b8720, llama-bench -p 1024 -n 64 at 0 to 65,536 cached tokens): decode within
    # 6 % at every depth, the prompt from empty +16 %; but 1,024 tokens after a deep cache run far slower than the
    # estimate (+59 % at 16,384, +91 % at 65,536): the 8 full-attention layers' 16 heads of 256 attend at about 30
    # TFLOP/s by hand ((65,536 x 1,024 x 8 x 16 x 256 x 4) FLOP over the 0.29 s the depth adds), 18 % of the card's
    # 165 where the estimate takes 40 % - Llama 3 8B's heads of 128 on an RTX 3090 read -14 % at 40 %.  The head
    # width alone does not set it: the same heads of 256 ran at 62 % of an RTX 5090's peak and 31 % of an RTX A5000's
    # (test_qwen35_27b_on_cuda_after_a_deep_cache): the card or the build does, which the estimate cannot tell apart
    got = {p["id"]: p for p in results["points"] if p["id"].startswith("llamacpp-b8720-qwen3.5-9b-q8_0-rtx4090-")}
    assert len(got) == 8 and not [i for i, p in got.items() if p["skipped"]]
    decode = [p["error_pct"] for p in got.values() if p["quantity"] == "decode_tok_s"]
    assert len(decode) == 4 and max(abs(e) for e in decode) <= 6, decode
    prefill = {i: p["error_pct"] for i, p in got.items() if p["quantity"] == "prefill_tok_s"}
    assert abs(prefill["llamacpp-b8720-qwen3.5-9b-q8_0-rtx4090-pp1024"]) <= 20
    assert all(50 <= e <= 100 for i, e in prefill.items() if "-d" in i.rsplit("-", 1)[-1]), prefill
    d65536 = got["llamacpp-b8720-qwen3.5-9b-q8_0-rtx4090-pp1024-d65536"]["measured"]
    d0 = got["llamacpp-b8720-qwen3.5-9b-q8_0-rtx4090-pp1024"]["measured"]
    achieved = 65536 * 1024 * 8 * 16 * 256 * 4 / (1024 / d65536 - 1024 / d0)
    assert achieved == pytest.approx(30.3e12, rel=0.02)


def test_qwen35_27b_on_cuda_after_a_deep_cache(results):
    # Qwen3.5 / 3.6 27B (16 full-attention layers of 24 heads of 256 among 48 Gated DeltaNet ones) under llama-bench
    # -fa 1 after 0 to 32,768 cached tokens: an RTX 5090 with Q4_K_M and Q6_K (a build without git data, 2026) and an
    # RTX A5000 with Q4_K_M (a mainline-derived fork, build 9767).  Decode within 13 % at every depth on both cards
    group = {i for i, g in _bound_groups().items() if g == "llama.cpp CUDA Qwen3.5 / 3.6 27B after a deep cache (2026)"}
    got = {p["id"]: p for p in results["points"] if p["id"] in group}
    assert len(got) == 16 and not [i for i, p in got.items() if p["skipped"]]
    err = {i.removeprefix("llamacpp-").removeprefix("b9767-"): p["error_pct"] for i, p in got.items()}
    decode = {i: e for i, e in err.items() if "-tg128" in i}
    assert len(decode) == 8 and all(-10 < e < 13 for e in decode.values()), decode
    # The 5090's prompts from empty read +26 % with Q4_K_M and +51 % with Q6_K: its Q6_K pass ran 16 % slower than
    # Q4_K_M's (3,096.73 against 3,684.89 tokens/s) where the estimate gives every k-quant one int8 rate (PR #8062's
    # RTX 3090 had Q6_K within 2 % of Q5_K_S in 2024): a stated miss, one run of one card
    assert 20 < err["qwen35-27b-q4_k_m-rtx5090-pp4096"] < 32 and 45 < err["qwen35-27b-q6_k-rtx5090-pp4096"] < 57
    assert 3096.73 / 3684.89 == pytest.approx(0.84, abs=0.005)
    # After 32,768 cached tokens: the heads of 256 attended at 130 TFLOP/s, 62 % of the 5090's 209.5 (by hand, 4,096
    # prompt tokens x 32,768 cached x 16 layers x 24 heads x 256 x 4 FLOP over the 0.406 s the depth adds), the
    # card's share of its peak for flash attention (speed.RTX5090_ATTENTION_EFFICIENCY; at the CUDA row's 40 % they
    # read +7 and +22 %, the depth's cost overestimated).  The prompts after 8,192 and 32,768 then read as the ones
    # from empty do (+35 and +28 %, +60 and +47 %): the offset is the stated miss above, the depth's cost is right
    def achieved(fast, slow, prompt):
        return prompt * 32768 * 16 * 24 * 256 * 4 / (prompt / slow - prompt / fast)
    assert achieved(3684.89, 2698.73, 4096) == pytest.approx(129.9e12, rel=0.01)
    from vramgui.core.speed import RTX5090_ATTENTION_EFFICIENCY
    assert 129.9 / 209.5 == pytest.approx(RTX5090_ATTENTION_EFFICIENCY, abs=0.005)
    assert 22 < err["qwen35-27b-q4_k_m-rtx5090-pp4096-d32768"] < 34
    assert 40 < err["qwen35-27b-q6_k-rtx5090-pp4096-d32768"] < 54
    # The A5000's prompt reads -5 % from empty and +13 % after 32,768: there the same heads ran at 34 TFLOP/s, 31 % of
    # its 111.1 (the RTX 4090's Qwen3.5 9B run: 18 %, the stated miss above)
    assert achieved(1016.66, 735.68, 512) == pytest.approx(34.3e12, rel=0.01)
    assert -8 < err["qwen3.6-27b-q4_k_m-a5000-pp512"] < 0 and 8 < err["qwen3.6-27b-q4_k_m-a5000-pp512-d32768"] < 18


def test_cuda_mla_after_a_deep_cache_on_an_rtx5090(results):
    # Two MLA models under llama-bench on an RTX 5090.  GLM-4.7-Flash Q2_K_M: 512 tokens in one pass after 32,768
    # cached at 1,824.87 tokens/s (PR #19092's table, Jan 2026).  llama.cpp's deepseek2 graph attends over the cached
    # latent: per pair
    # 47 layers x 20 heads x (576 + 512) x 2 = 2,045,440 FLOP, 34.6 TFLOP for the pass's 512 x (32,768 + 256) pairs
    # (the causal half of its own).  The estimate's matmuls and per-pass cost (its explain panel: 3.67 TFLOP dense and
    # 10.34 of small expert GEMMs at 293 TFLOP/s, 2.66 ms) leave the attention 230 ms of the pass's 281: about 150
    # TFLOP/s, 72 % of the card's 209.5 (by hand, if the rest holds).  At the card's 62 % (set on Qwen3.5 27B,
    # above) the point reads -11 %; at the CUDA row's 40 %, -39 %; counted over up-projected heads (256 + 256) at 40
    # %, +15 % (the earlier estimate: right for the wrong reason).  DeepSeek-V2-Lite Q4_0 on the same card (PR
    # #19057, Jan 2026: 3,851.28 tokens/s), 27 layers of 16 heads whose up-projected widths (192 + 128) are 3.4 times
    # fewer than the latent's: up-projected +61 %, over the latent at 40 % -39 %, at 62 % -11 %
    pairs = 512 * (32768 + 256)
    assert pairs * 2_045_440 == pytest.approx(34.58e12, rel=0.01)
    attention_s = 512 / 1824.87 - (3.67e12 + 10.34e12) / 293e12 - 2.66e-3
    assert pairs * 2_045_440 / attention_s / 209.5e12 == pytest.approx(0.72, abs=0.02)
    assert 27 * 16 * (576 + 512) / (27 * 16 * (192 + 128)) == pytest.approx(3.4)
    err = {p["id"]: p["error_pct"] for p in results["points"] if p["id"].endswith("-rtx5090-ub512-pp512-d32768")}
    assert sorted(err) == ["llamacpp-pr19057-deepseek-v2-lite-q4_0-rtx5090-ub512-pp512-d32768",
                           "llamacpp-pr19092-glm4.7-flash-q2_k_m-rtx5090-ub512-pp512-d32768"]
    assert all(-16 < e < -6 for e in err.values()), err


def test_cuda_mla_moe_passes_of_few_tokens_after_a_deep_cache(results):
    # The same two PRs' tables at smaller microbatches (llama-bench -ub 1-256, 512 tokens after 32,768 cached):
    # DeepSeek-V2-Lite Q4_0 and GLM-4.7-Flash Q2_K_M on an RTX 3090 and an RTX 5090, 28 points.  A pass of n tokens
    # touches E (1 - (1 - k/E)^n) of the E routed experts (speed.MOE_GEMM_TOKENS: each touched expert's GEMM costs
    # as if it had 218 tokens); counted over all E experts, as before, the one-token passes (each like a decode step
    # at 32k) read -90 % (V2-Lite, 64 experts of which a token takes 6) and -90 % (GLM, 4 of 64), now -25 and +2 %
    group = {i for i, g in _bound_groups().items() if g == "llama.cpp CUDA MLA MoE passes after a deep cache (2026)"}
    got = {p["id"].removeprefix("llamacpp-"): p["error_pct"] for p in results["points"] if p["id"] in group}
    assert len(got) == 28 and None not in got.values()
    assert 64 * (1 - (1 - 6 / 64) ** 1) == pytest.approx(6)        # one token touches its own 6 experts, not 64

    def err(gpu, ub):
        return [e for i, e in got.items() if f"-{gpu}-ub{ub}-" in i]
    assert all(-30 < e < 10 for ub in (1, 2) for e in err("rtx3090", ub)), got
    # The 5090's passes of 128 and 256 read -5 to -13 % (as its passes of 512: the test above).  A stated miss below:
    # passes of 4-64 tokens on the 5090 (1-6 tokens an expert) read -21 to -36 % (the experts' small GEMMs cost less
    # than the saturation rule fitted at 16-32 tokens an expert gives), and the 3090's passes of 4-128 -24 to -61 %:
    # there the attention alone, over the latent at the CUDA row's 40 % (28.4 TFLOP/s), would take 560 ms of
    # V2-Lite's 496 at 128 a pass (15.9 TFLOP): the 3090 runs these heads faster than its 40 %, as the 5090 does
    assert all(-15 < e < -3 for ub in (128, 256) for e in err("rtx5090", ub)), got
    assert all(-40 < e < -15 for ub in (8, 16, 32, 64) for e in err("rtx5090", ub)), got
    assert all(-65 < e < -20 for ub in (4, 8, 16, 32, 64, 128) for e in err("rtx3090", ub)), got
    assert 512 * (32768 + 256) * 940_032 / 28.4e12 > 512 / 1033.12


def test_metal_after_a_deep_cache_b7948(results):
    # llama.cpp's own M2 Ultra page (benches/mac-m2-ultra, b7948, early 2026): gpt-oss-20b and 120b, Qwen3-Coder-30B-A3B
    # and Qwen2.5-Coder-7B in Q8_0, Gemma 3 4B QAT Q4_0; pp2048 (one pass) and tg32 after 0 to 32,768 cached tokens
    group = {i for i, g in _bound_groups().items() if g == "llama.cpp Metal after a deep cache (b7948, M2 Ultra)"}
    got = {p["id"].removeprefix("llamacpp-b7948-"): p for p in results["points"] if p["id"] in group}
    assert len(got) == 50 and not [i for i, p in got.items() if p["skipped"]]
    err = {i: p["error_pct"] for i, p in got.items()}
    # The prompts set Metal's attention at 48 % of the peak (speed.ATTENTION_EFFICIENCY): by hand, gpt-oss-20b's 12
    # full-attention layers of 64 heads of 64 attend at 12.3 TFLOP/s, 45 % of the chip's 27.2 (2,048 prompt tokens x
    # 32,768 cached x 12 x 64 x 64 x 4 FLOP over the 1.07 s the depth adds); at the GEMMs' 75 % the prompts after
    # 32,768 read +20 to +45 %
    slow = 2048 / 1122.63 - 2048 / 2713.40
    assert 2048 * 32768 * 12 * 64 * 64 * 4 / slow == pytest.approx(12.33e12, rel=0.01)
    prompts = {i: e for i, e in err.items() if "-pp2048" in i}
    assert len(prompts) == 25 and all(-16 < e < 15 for e in prompts.values()), prompts
    for model in ("gpt-oss-20b", "gpt-oss-120b", "qwen3-coder-30b-a3b", "qwen2.5-coder-7b", "gemma3-4b"):
        # the cache's depth costs what was measured: the error moves by at most 15 points from 0 to 32,768
        assert abs(err[f"{model}-m2ultra-pp2048-d32768"] - err[f"{model}-m2ultra-pp2048"]) < 15, model
    # Decode from empty within -14 to +6 %.  After the cache the step grew by more than reading it costs: Qwen3-Coder's
    # 48 layers x 4 KV heads x 128 x 2 x 2 bytes over 32,784 tokens are 3.22 GB, 4.0 ms at the 800 GB/s peak, where the
    # step grew by 9.4 ms (2.3 times): a build before PR #26570 (Aug 2026), whose flash-attention vector kernels read
    # the cache at the bandwidth (test_metal_decode_after_a_deep_cache: its master before read +51 %).  A stated miss
    # of the older build: +16 to +31 % after 32,768 for the MoE models, within 13 % for the dense ones
    decode = {i: e for i, e in err.items() if "-tg32" in i}
    assert len(decode) == 25 and all(-14 < e < 6 for i, e in decode.items() if i.endswith("-tg32")), decode
    grew = 1 / 45.26 - 1 / 78.97
    assert grew / (48 * 4 * 128 * 2 * 2 * 32784 / 800e9) == pytest.approx(2.34, abs=0.02)
    moe = [err[f"{m}-m2ultra-tg32-d32768"] for m in ("gpt-oss-20b", "gpt-oss-120b", "qwen3-coder-30b-a3b")]
    assert all(15 < e < 32 for e in moe), moe
    assert all(abs(err[f"{m}-m2ultra-tg32-d32768"]) < 13 for m in ("qwen2.5-coder-7b", "gemma3-4b"))


def test_metal_batched_decode_b7948(results):
    # The same page's llama-batched-bench: 1-32 sequences decoding together after prompts of 512, 4,096 and 8,192
    # tokens (one sequence's tokens/s, S_TG / B).  ggml-metal multiplies quantized weights by 2-8 columns with its
    # mat-vec kernels (mul_mv_ext), each column past the first paid again, and by more with its tile kernel (mul_mm,
    # ne11_mm_min = 8), which dequantizes each tile of weights first.  Under the plain roofline (weights read once
    # for the batch) 2-32 sequences read +4 to +234 %
    group = {i for i, g in _bound_groups().items() if g == "llama.cpp Metal batched decode (b7948, M2 Ultra)"}
    got = {p["id"].removeprefix("llamacpp-b7948-"): p["error_pct"] for p in results["points"] if p["id"] in group}
    assert len(got) == 90 and None not in got.values()
    # by hand: Qwen2.5-Coder-7B's second sequence after 512 tokens adds 2.31 ms a step (78.17 tokens/s alone, 132.45
    # for two), its 14.1 GFLOP a token at 6.1 TFLOP/s; the Metal row's 60 operations a GPU core a clock give 6.4
    # (M2 Ultra: 27.2 TFLOP/s over 256 a core a clock, speed.APPLE_OPS_PER_CORE_CLOCK)
    extra = 1 / (132.45 / 2) - 1 / 78.17
    assert 14.14e9 / extra == pytest.approx(6.13e12, rel=0.01) and 60 * 27.2e12 / 256 == pytest.approx(6.375e12)
    dense = [e for i, e in got.items() if i.startswith(("qwen2.5-coder-7b", "gemma3-4b")) and not i.endswith("-b1")]
    assert len(dense) == 30 and statistics.median(map(abs, dense)) < 8 and max(map(abs, dense)) < 36, dense
    # Routed experts: below 32 tokens MUL_MAT_ID runs one mat-vec per token and expert (mul_mv_id), so two tokens
    # routed to one expert read it twice, and at 1.6 times one token's cost (speed.EXPERT_TOKEN_READS,
    # EXPERT_TOKEN_READ_COST): 2-16 sequences within 16 % (+10 to +56 % with the reads alone, +19 to +165 % with
    # the union the roofline reads)
    moe = {i: e for i, e in got.items() if i.startswith(("gpt-oss", "qwen3-coder"))}
    few = [e for i, e in moe.items() if i.rsplit("-b", 1)[1] in ("2", "4", "8", "16")]
    assert len(few) == 36 and max(map(abs, few)) < 17, few
    # ... and from 32 tokens its tile kernel (mul_mm_id), not modelled: the union at the plain roofline reads +39 to
    # +112 % (a stated miss)
    many = [e for i, e in moe.items() if i.endswith("-b32")]
    assert len(many) == 9 and all(35 < e < 115 for e in many), many
    # one sequence within 13 %, but gpt-oss-20b after 4,096 tokens (95.72 tokens/s, below its 116.46 after 8,192)
    one = {i: e for i, e in got.items() if i.endswith("-b1")}
    assert one.pop("gpt-oss-20b-m2ultra-batched-pp4096-b1") > 30 and max(map(abs, one.values())) < 14, one


def test_metal_prompts_with_the_tile_kernels_load(results):
    # Every Metal prompt of the corpus (llama-bench, main; M1 to M5, 2023-2026 builds; the stated misses of
    # Qwen3-Next and of MLA aside): with the tile kernel's conversion of the weights paid on each pass
    # (MMQ_WEIGHTS_PER_SM_CLOCK's 1.5 weights a GPU core a clock, fitted on the batched decodes above) and the
    # GEMMs' 75 %: median 6.9 %, mean
    # +3.6 % over 129 (8.9 % and +9.2 % without the conversion); with the M1 Pro's and M3 Pro's six, added after
    # the fit (-6 to 0 %), 6.5 % and +3.3 % over 135
    raw = {json.loads(line)["id"]: json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()}
    errs = [p["error_pct"] for p in results["points"] if p["quantity"] == "prefill_tok_s" and not p["skipped"]
            and (raw[p["id"]].get("gpu_ref") or "").startswith("m") and "qwen3next" not in p["id"]
            and "glm4.7-flash" not in p["id"]     # (MLA on Metal: the test below)
            and not p["id"].startswith("mlx-")]   # (MLX's own: test_mlx_on_apple_chips)
    assert len(errs) == 135
    assert statistics.median(map(abs, errs)) < 7.5 and abs(statistics.mean(errs)) < 5


def test_metal_mla_prompts_attend_over_the_latent_and_its_decode_is_a_stated_miss(results):
    # GLM-4.7-Flash (MLA: the cache holds a 512-wide latent and 64 rope dims a token a layer) on the same M2 Ultra
    # page (b7948).  llama.cpp's deepseek2 graph absorbs the key up-projection into the query: its 20 heads attend
    # over 576-wide keys and 512-wide values, 47 x 20 x (576 + 512) x 2 = 2,045,440 FLOP a query-key pair, where
    # up-projected heads would take 47 x 20 x (256 + 256) x 2 = 962,560 (2.1 times fewer).
    group = {i for i, g in _bound_groups().items() if g == "llama.cpp Metal MLA (b7948, M2 Ultra)"}
    err = {p["id"].removeprefix("llamacpp-b7948-glm4.7-flash-m2ultra-"): p["error_pct"] for p in results["points"]
           if p["id"] in group}
    assert len(err) == 10 and None not in err.values()
    # Prompts: the pass of 2,048 tokens after 32,768 took 12.27 s longer than from empty (2,048 / 151.44 -
    # 2,048 / 1,629.33), for 2,048 x 32,768 more pairs: 137 TFLOP at 11.2 TFLOP/s, 41 % of the chip's 27.2 (the
    # Metal row's 48 % reads it 17 % fast).  Counted over the up-projected heads the prompts read +43 % to +132 %,
    # growing with the depth; over the latent +15 to +22 % at every depth.
    grew_pp = 2048 / 151.44 - 2048 / 1629.33
    assert 2048 * 32768 * 2_045_440 / grew_pp == pytest.approx(11.19e12, rel=0.01)
    prompts = [e for i, e in err.items() if i.startswith("pp2048")]
    assert len(prompts) == 5 and all(15 < e < 22 for e in prompts), err
    # Decode: one sequence decodes 28 % slower than the estimate from empty and 2.0 times slower after 32,768
    # tokens.  By hand the step after 32,768 grew by 29.1 ms, where reading the cache (47 layers x 576 x 2 bytes over
    # 32,784 tokens, 1.78 GB) takes 2.2 ms at 800 GB/s: the attention math (67 GFLOP a step over the latent) ran at
    # 2.3 TFLOP/s, 8 % of the chip's 27.2.  How this build's vector kernels run it is not modelled: a stated miss
    grew = 1 / 21.81 - 1 / 59.58
    assert 47 * 576 * 2 * 32784 / 800e9 == pytest.approx(2.22e-3, rel=0.01)
    assert 32784 * 2_045_440 / grew == pytest.approx(2.31e12, rel=0.01)
    assert 20 < err["tg32"] < 35 and 180 < err["tg32-d32768"] < 210


def test_mlx_on_apple_chips(results):
    # mlx-lm's own printouts (mlx_lm.generate / mlx_lm.benchmark: tokens-per-sec, 'Peak memory' = mx.get_peak_memory()
    # / 1e9) on M2 Ultra, M3 Max, M3 Ultra, M4 Pro and M4 Max, 2024-2025 (measured corpus, bound group "mlx").
    # The decode rows' 91 % and 53 us a layer are fitted on Qwen3-4B's BF16 and 4-bit runs, the MoE layers' 46 us on
    # Qwen3-30B-A3B's 4- and 8-bit, the cache's 1.55 on the slope of Llama 3.3 70B's series on an M3 Max; every other
    # decode point is out of sample.
    raw = {json.loads(line)["id"]: json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()}
    group = {i for i, g in _bound_groups().items() if g == "mlx"}
    got = {p["id"]: p for p in results["points"] if p["id"] in group}
    assert len(got) == len(group) == 57
    err = {i: p["error_pct"] for i, p in got.items() if not p["skipped"]}

    def of(quantity):
        return {i: e for i, e in err.items() if raw[i]["quantity"] == quantity}
    decode = of("decode_tok_s")
    # decode: within 5 % on the M4 Max and M3 Max runs (Llama 3.3 70B 4-bit after 260-24,246 prompt tokens: -4.9 to
    # -3.7 %, flat with the context), Llama 3.1 8B 4-bit on a Mac mini M4 Pro after a 32,159-token prompt -5 % (+19 %
    # with the cache read at the weights' share), Llama 3 70B BF16 on an M2 Ultra +9 %, Qwen2.5-72B 6-bit +4 %
    assert len(decode) == 15 and statistics.median(abs(e) for e in decode.values()) < 5
    assert all(abs(e) < 10 for e in decode.values())
    series = [decode[f"mlx-exi1029c-llama33-70b-4bit-m3max-decode-p{n}"] for n in range(1, 6)]
    assert max(series) - min(series) < 2
    assert -7 < decode["mlx-exi1029-llama31-8b-4bit-m4pro-decode"] < -2
    # peak memory: weights, the cache (steps of 256 tokens) and one pass of 2,048 tokens' transients, from 0.0 %
    # (Qwen2.5-72B 6-bit: 59.349 GB) to -18 % (Qwen3-4B 4-bit, 3.35 GB: 0.5-0.7 GB that the Qwen3 runs at 2,048 tokens
    # peak above the estimate, whatever the weights' format, is not modelled)
    peak = of("peak_memory_gb")
    assert len(peak) == 9 and all(-19 < e <= 0.5 for e in peak.values())
    assert all(abs(e) < 5 for i, e in peak.items() if "qwen3-4b" not in i)
    # prompts: at the 75 % of llama.cpp's Metal row, passes of 260-33,898 tokens -17 to +12 %; stated misses: MoE
    # passes of 512 tokens (Qwen3-30B-A3B: 32 tokens an expert) +36 %, DeepSeek-V2-Lite (March 2025 MoE kernels)
    # +170 %, and prompts of 16 and 34 tokens, whose passes MLX runs far below the weights' read (+195 %, +126 %)
    prefill = of("prefill_tok_s")
    misses = {"mlx-lmpr406-qwen3-30b-a3b-4bit-m4max-prefill-p2", "mlx-lmpr52-deepseek-v2-lite-4bit-m3ultra-prefill-p2",
              "mlx-expr1069-llama3-70b-bf16-m2ultra-prefill", "mlx-exi1281-qwen25-72b-6bit-m4max-prefill"}
    assert len(prefill) == 22 and misses <= set(prefill)
    assert all(-18 < e < 13 for i, e in prefill.items() if i not in misses)
    assert statistics.median(e for i, e in prefill.items() if i not in misses) == pytest.approx(-2, abs=3)
    assert all(30 < prefill[i] < 200 for i in misses)
