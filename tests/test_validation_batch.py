"""A measured batch sweep through the CLI: what the latency-vs-batch chart draws.

tests/data/measured/batch.jsonl holds LMDeploy's published sweep (TurboMind v0.1.0a1, Dec 2023,
profile_generation.py): Llama 2 7B / 13B on one A100-80G and 70B on four, fp16, 1-64 concurrent
requests of 1-2,048 prompt and 128-2,048 output tokens; per run the median time between a
request's tokens, the generated tokens per second of wall time and the first token's latency.
TurboMind is timed with the vLLM profile's speed model (the same kind of engine; none of these
points was used to set it), on the SXM A100 (the doc names "A100-80G" in an 8-card server).
"""

import statistics
from pathlib import Path

import pytest

SWEEP = Path(__file__).parent / "data" / "measured" / "batch.jsonl"


@pytest.fixture(scope="module")
def points(validated):
    return {p["id"]: p for p in validated(SWEEP)["points"]}


def _errors(points, model: str, quantity: str) -> dict[str, float]:
    return {i: p["error_pct"] for i, p in points.items()
            if i.startswith(f"lmdeploy-{model}-") and p["quantity"] == quantity and not p["skipped"]}


def test_print_the_sweep(points, capsys):
    with capsys.disabled():
        print()
        for i, p in points.items():
            if not p["skipped"]:
                print(f"{i:<42} {p['quantity']:<19} {p['measured']:>9.4g} {p['estimated']:>9.4g} "
                      f"{p['error_pct']:>+7.1f} %")


@pytest.mark.parametrize("model", ["llama2-7b", "llama2-13b"])
def test_decode_steps_on_one_card_follow_the_batch(points, model):
    # 20 runs per model (batch 1-64) less those the card could not hold at once: the step's median
    # within 5 %, every run within 12 % (the largest batches read 5-11 % slow or fast: at 64 requests
    # a step grows a little more than the roofline's max(memory, compute) says)
    errs = _errors(points, model, "step_ms_p50")
    assert len(errs) >= 15
    assert statistics.median(map(abs, errs.values())) <= 5
    assert max(map(abs, errs.values())) <= 12, errs


def test_a_step_by_hand(points):
    # Llama 2 7B, 16 requests of 128 + 2,048 tokens: on average 128 + 1,024 = 1,152 tokens of KV each.
    # Bytes a step reads: the weights but the embedding table (6,738,415,616 x 2 - 32,000 x 4,096 x 2) and
    # 16 x 1,152 tokens x 512 KiB of KV, at 85 % of the SXM A100's 2,039 GB/s; plus the vLLM profile's
    # 0.5 ms a step and 40 us a layer (32 layers).  Measured: 15 ms (printed as 0.015 s)
    weights = 6_738_415_616 * 2 - 32_000 * 4_096 * 2
    kv = 16 * 1_152 * 2**19
    ms = ((weights + kv) / (2_039e9 * 0.85) + 0.5e-3 + 32 * 40e-6) * 1e3
    p = points["lmdeploy-llama2-7b-b16-p128-g2048-p50"]
    assert p["estimated"] == pytest.approx(ms, rel=1e-6)
    assert ms == pytest.approx(14.98, abs=0.01) and p["measured"] == 15


def test_throughput_with_the_prompts_on_one_card(points):
    # Generated tokens over the run's wall time, prompts included (the served model): median within
    # 10 %.  The worst are 32 and 64 requests of a 1-token prompt and 128 tokens out (+48 %, +44 %) where
    # the steps' p50 reads within 11 %: the gap lies between requests (each client thread starts its next
    # request after the last token of the one before; not modelled)
    errs = {**_errors(points, "llama2-7b", "decode_tok_s_total"), **_errors(points, "llama2-13b", "decode_tok_s_total")}
    assert len(errs) >= 30
    assert statistics.median(map(abs, errs.values())) <= 10
    worst = sorted(errs, key=lambda i: -abs(errs[i]))[:2]
    assert set(worst) == {"lmdeploy-llama2-7b-b32-p1-g128-thr", "lmdeploy-llama2-7b-b64-p1-g128-thr"}
    assert all(abs(e) <= 25 for i, e in errs.items() if i not in worst)


def test_four_cards_read_fast(points):
    # Llama 2 70B over four A100s (TP 4): every step reads short, 13-19 % at one request (29-31 ms measured,
    # 25.1-25.3 estimated: 160 all-reduces a step at about 35 us each instead of the 10 us the A100 preset's
    # NVLink gives, as 2023's NCCL took against today's custom all-reduce kernels) and more with the batch
    # (-36 % at 64: the step grows with its GEMMs' math, which the roofline hides under the weight reads).
    # Stated, bounded so that a change shows.
    errs = _errors(points, "llama2-70b", "step_ms_p50")
    assert len(errs) == 20 and all(-40 < e < -10 for e in errs.values()), errs
    one = [e for i, e in errs.items() if "-b1-" in i]
    assert all(-20 < e < -13 for e in one)


def test_first_token_of_one_request(points):
    # One request of 2,048 prompt tokens: measured 139 / 242 / 402 ms (7B, 13B, 70B on four cards); the
    # vLLM profile's prefill reads 12-32 % slow against 2023's TurboMind
    for model, lo, hi in (("llama2-7b", 10, 25), ("llama2-13b", 25, 35), ("llama2-70b", 5, 20)):
        p = points[f"lmdeploy-{model}-b1-p2048-g128-ftl"]
        assert lo < p["error_pct"] < hi, (model, p)


def test_runs_the_card_could_not_hold_at_once_are_skipped(points):
    # Requests that hold more KV on average (prompt + half the output) than the card has beside the weights
    # ran partly queued: 7B at 64 x 3,072 tokens (96 GiB > 67.4), 13B (24.2 GiB of weights, 800 KiB of KV a
    # token) at 32 x 3,072, 64 x 1,152 (56.2 GiB > 55.8), 64 x 2,112 and 64 x 3,072; never a run that fits
    queued = {i.rsplit("-", 1)[0] for i, p in points.items() if p["skipped"] and "ran fewer at once" in p["skipped"]}
    assert queued == {"lmdeploy-llama2-7b-b64-p2048-g2048", "lmdeploy-llama2-13b-b32-p2048-g2048",
                      "lmdeploy-llama2-13b-b64-p128-g2048", "lmdeploy-llama2-13b-b64-p2048-g128",
                      "lmdeploy-llama2-13b-b64-p2048-g2048"}
    assert "lmdeploy-llama2-13b-b32-p2048-g128-p50" not in queued      # 32 x 2,112 tokens: 51.6 GiB, fits
