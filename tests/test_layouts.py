"""Layouts: one machine's cards split every way the engine allows, at the same load.

Each row must be what the plan gives for a replica of its size at its share of the load
(the same core functions), times its replicas; hand-checked sizes and costs below."""

import json
import math

import pytest

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog
from vramgui.core.fit import fit
from vramgui.core.layouts import layouts
from vramgui.core.speed import prefill_time, served

CAT = default_catalog()


def scenario(model="llama3.1-70b", gpu="h100-sxm", **kw) -> Scenario:
    kw = {"weights": "bf16", "engine": "vllm", "batch": 64, "prompt_tokens": 2048, "output_tokens": 512, **kw}
    return Scenario(model=CAT.model(model), gpu=CAT.gpu(gpu), **kw)


def test_every_row_is_a_replica_of_the_plan_times_its_replicas():
    s = scenario()
    rows = layouts(s, 8, price_per_card_hour=2.5)
    # groups of 1, 2, 4 or 8 cards, each also in 2, 4 or 8 pipeline stages where the cards allow
    assert [(r.replicas, r.cards, r.stages) for r in rows] == [
        (8, 1, 1), (4, 2, 1), (4, 2, 2), (2, 4, 1), (2, 4, 2), (2, 4, 4), (1, 8, 1), (1, 8, 2), (1, 8, 4), (1, 8, 8)]
    for r in rows:
        replica = s.with_(n_gpus=r.cards, pipeline=r.stages, batch=math.ceil(64 / r.replicas))   # 64 spread evenly
        f = fit(replica)
        assert r.batch == replica.batch
        assert (r.needed_bytes, r.budget_bytes, r.max_batch, r.load_fits) == (
            f.needed_bytes, f.budget_bytes, f.max_batch, f.fits)
        assert r.max_sequences == f.max_batch * r.replicas
        if f.fits:
            sv = served(replica)
            assert r.tpot_s == pytest.approx(float(sv.tpot_s), rel=1e-12)
            assert r.tokens_per_s == pytest.approx(float(sv.throughput_tokens_per_s) * r.replicas, rel=1e-12)
            assert r.ttft_s == pytest.approx(float(prefill_time(replica, 2048, 1)), rel=1e-12)
            # cost of a million tokens: 8 cards x 2.5 per hour over the machine's tokens per second
            assert r.cost_per_million == pytest.approx(8 * 2.5 / 3600 / r.tokens_per_s * 1e6, rel=1e-12)
        else:
            assert math.isnan(r.tpot_s) and math.isnan(r.tokens_per_s) and r.cost_per_million is None


def test_seventy_b_in_sixteen_bits_needs_two_cards_a_group():
    # 70.6 B parameters x 2 bytes = 141 GB: not on one 80 GB card; on two its weights take 66 GiB of the
    # 72.6 GiB vLLM may use, which leaves room for a dozen sequences, not the 16 of an even share of 64
    rows = {r.cards: r for r in layouts(scenario(), 8) if r.stages == 1}
    assert not rows[1].fits and rows[1].max_sequences == 0 and math.isnan(rows[1].ttft_s)
    assert rows[2].fits and not rows[2].load_fits and 0 < rows[2].max_batch < 16
    assert rows[4].load_fits and rows[8].load_fits
    # one group of eight answers soonest (eight cards on each prompt and each step)
    assert rows[8].ttft_s < rows[4].ttft_s < rows[2].ttft_s
    assert rows[8].tpot_s < rows[4].tpot_s


def test_tensor_parallel_groups_must_split_the_heads():
    # Falcon 7B has 71 query heads: vLLM cannot split a layer over 2, 4 or 8 cards, only replicate the model
    # or give each pipeline stage a card of its own
    rows = layouts(scenario("falcon-7b", batch=8), 8)
    assert [(r.replicas, r.cards, r.stages) for r in rows] == [(8, 1, 1), (4, 2, 2), (2, 4, 4), (1, 8, 8)]


def test_layer_split_engines_group_any_number_of_cards():
    s = scenario("llama3.1-8b", gpu="rtx4090", weights="q4_k_m", engine="llamacpp", batch=4, prompt_tokens=4096,
                 output_tokens=256)
    rows = layouts(s, 4)
    assert [(r.replicas, r.cards) for r in rows] == [(4, 1), (2, 2), (1, 4)]
    # a layer split takes a prompt's passes in a pipeline (llama.cpp's 4 copies): 4,096 tokens are 8 passes of 512
    # in two calls of 4, the 4 cards each on one: (1 + 3 / 4) / 4 of one card's time; the card's own layers in
    # turn otherwise (2 cards: (1 + 3 / 2) / 4)
    assert rows[2].ttft_s == pytest.approx(rows[0].ttft_s * (1 + 3 / 4) / 4, rel=1e-9)
    assert rows[1].ttft_s == pytest.approx(rows[0].ttft_s * (1 + 3 / 2) / 4, rel=1e-9)


def test_cli_layouts(capsys):
    assert main(["layouts", "--model", "llama3.1-70b", "--gpu", "h100-sxm", "--gpus", "8", "--weights", "bf16",
                 "--engine", "vllm", "--batch", "64", "--prompt", "2048", "--output", "512", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = layouts(scenario(), 8)
    assert [(r["replicas"], r["cards"]) for r in rows] == [(r.replicas, r.cards) for r in expected]
    assert rows[0]["tpot_s"] is None                      # NaN is not JSON: no fit, no time
    assert [r["name"] for r in rows][:3] == ["8 × 1", "4 × 2", "4 × 2 (2 stages)"]
    assert rows[-1]["tokens_per_s"] == pytest.approx(expected[-1].tokens_per_s)
    assert main(["layouts", "--model", "llama3.1-70b", "--gpu", "h100-sxm", "--gpus", "8", "--weights", "bf16",
                 "--engine", "vllm", "--batch", "64", "--price-per-hour", "2.5"]) == 0
    text = capsys.readouterr().out
    assert "2 x 4" in text and "cost/M tokens" in text and "does not fit" in text
    assert text.startswith("Llama 3.1 70B Instruct on 8 x NVIDIA H100 80GB HBM3 (SXM5), 64 concurrent sequences of ")
    # one sequence is said so (it read "1 concurrent sequences")
    assert main(["layouts", "--model", "llama3.1-70b", "--gpu", "h100-sxm", "--gpus", "8", "--weights", "bf16",
                 "--engine", "vllm"]) == 0
    assert ", one sequence of 3,840 + 256 tokens, vLLM\n" in capsys.readouterr().out     # (the defaults)


def test_an_uneven_load_leaves_some_replicas_fuller_or_idle():
    s = scenario("llama3.1-8b")
    one = {r.cards: r for r in layouts(s, 8, load=1) if r.stages == 1}
    alone = served(s.with_(n_gpus=1, batch=1))
    # one sequence on eight single-card replicas: one works, seven stand idle
    assert one[1].tokens_per_s == pytest.approx(float(alone.throughput_tokens_per_s), rel=1e-12)
    # ten sequences over four pairs: two pairs serve three, two serve two; a request waits on the fuller
    rows = {r.cards: r for r in layouts(s, 8, load=10) if r.stages == 1}
    pair = s.with_(n_gpus=2)
    three, two = served(pair, 3), served(pair, 2)
    assert rows[2].batch == 3
    assert rows[2].tokens_per_s == pytest.approx(2 * float(three.throughput_tokens_per_s)
                                                 + 2 * float(two.throughput_tokens_per_s), rel=1e-12)
    assert rows[2].tpot_s == pytest.approx(float(three.tpot_s), rel=1e-12)


def test_the_report_carries_the_layouts_of_several_cards():
    from vramgui.core.report import estimate_dict, report_markdown
    s = scenario()
    d = estimate_dict(s.with_(n_gpus=8), 2.5)
    rows = layouts(s.with_(n_gpus=8), 8, price_per_card_hour=2.5)
    assert [(r["replicas"], r["cards"]) for r in d["layouts"]] == [(r.replicas, r.cards) for r in rows]
    assert d["layouts"][3]["cost_per_million"] == pytest.approx(rows[3].cost_per_million)
    text = report_markdown(d)
    assert "| 2 × 4 | fits |" in text and "| 8 × 1 | does not fit |" in text and "| 1 × 8 (2 stages) |" in text
    assert estimate_dict(s.with_(model=CAT.model("llama3.1-8b")))["layouts"] is None   # one card: nothing to split


def test_pipeline_stages_trade_a_prompts_wait_for_room():
    # Llama 3.1 405B in bf16 on 16 H100s: 8 KV heads over 16 tensor-parallel ranks are each held twice; in two
    # stages of eight the heads split evenly and each card holds half the layers, so the cache has twice the room.
    # A prompt then passes two stages of eight cards, not one group of sixteen: it takes longer.
    s = scenario("llama3.1-405b", batch=64, prompt_tokens=4096, output_tokens=512)
    rows = {r.stages: r for r in layouts(s, 16) if r.replicas == 1}
    assert rows[2].max_batch >= 2 * rows[1].max_batch
    assert rows[2].ttft_s > rows[1].ttft_s


def test_the_most_a_replica_serves_is_what_the_engine_schedules():
    # Llama 3.1 8B on eight H100s as one group: memory holds 1,679 sequences, but vLLM schedules at most
    # max_num_seqs = 1024 at once on such cards (get_batch_defaults): "tokens/s at most" is at 1024
    s = scenario("llama3.1-8b")
    row = next(r for r in layouts(s, 8) if r.replicas == 1 and r.stages == 1)
    assert row.max_batch > 1024
    assert row.peak_tokens_per_s == pytest.approx(float(served(s.with_(n_gpus=8), 1024).throughput_tokens_per_s),
                                                  rel=1e-12)


def test_cli_layouts_name_a_cached_prefix(capsys):
    from vramgui.cli import main
    assert main(["layouts", "--model", "llama3.1-8b", "--gpu", "h100-sxm", "--gpus", "2", "--engine", "vllm",
                 "--prompt", "4096", "--cached", "4000"]) == 0
    assert "one sequence of 4,096 (4,000 of them cached) + 256 tokens" in capsys.readouterr().out.splitlines()[0]
