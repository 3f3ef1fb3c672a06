"""Partial offload with hand-worked splits (llama.cpp-style layer placement)."""

import json
import math
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog
from vramgui.core.cards import card_table
from vramgui.core.engines import ENGINES
from vramgui.core.formats import WEIGHT_FORMATS
from vramgui.core.memory import estimate_memory
from vramgui.core.offload import (
    APPLE_CPU_FLOPS_PER_BYTE,
    CPU_BW_SHARES,
    CPU_FLOPS_PER_RAM_BYTE,
    DEFAULT_RAM_BANDWIDTH_GB_S,
    best_batch_offloaded,
    cpu_bandwidth_share,
    cpu_flops_per_s,
    cpu_math_s,
    log_counts,
    max_batch_offloaded,
    max_prompt_offloaded,
    op_offload_copy_bytes,
    plan_offload,
    pool_guess,
    served_tokens_per_s,
    sweep_offloaded,
    with_max_batch,
    with_max_prompt,
)
from vramgui.core.report import estimate_dict, offload_dict, offload_lines, report_markdown
from vramgui.core.scenario import DEFAULT_OUTPUT_TOKENS, DEFAULT_PROMPT_TOKENS
from vramgui.core.speed import (
    SAMPLE_S,
    bandwidth_efficiency,
    decode_attention_flops,
    estimate_speed,
    prefill_time,
    speed_key,
    speed_terms,
)
from vramgui.core.units import GB, GIB, MIB, duration_text

Q4, MIX = 4.5, (4.5 + 6.5625) / 2          # Q4_K; attn_v / ffn_down: half the layers Q6_K
Q4_SHARE = 0.54     # the share of the RAM's peak the CPU reads Q4_K_M at (measured: test_cpu_decode_reads_ram_...)
HAND_OFF = 143e-6   # a layer whose experts the CPU runs, beyond its reads (measured: test_moe_expert_offload_...)


def scenario(model, gpu="rtx4090", **kw):
    cat = default_catalog()
    # without flash attention (the hand counts' compute buffer holds the KQ scores)
    kw = {"weights": "q4_k_m", "engine": "llamacpp", "attention": "eager", "prompt_tokens": 4000,
          "output_tokens": 96, **kw}
    return Scenario(model=cat.model(model), gpu=cat.gpu(gpu), **kw)


def last_placed(placed, low: int, high: int) -> int:
    """The last number ``placed`` holds for between ``low`` (placed) and ``high`` (not), by plain halving: the answer
    the searches' shortcuts must give."""
    assert placed(low) and not placed(high)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if placed(mid) else (low, mid)
    return low


def llama2_70b_layer_bytes() -> float:
    d, kv, f = 8192, 1024, 28672
    q4 = (d * d + d * kv + d * d + 2 * d * f) * Q4        # q, k, o, gate, up
    mixed = (d * kv + f * d) * MIX                         # v, down
    return (q4 + mixed) / 8 + 2 * d * 4                    # + two F32 norms


def test_llama2_70b_q4km_on_one_24gb_card_with_64gb_ram():
    plan = plan_offload(scenario("llama2-70b"), ram_gb=64)
    # Hand count.  KV per layer at n_ctx 4096: 2 · 1024 · 2 bytes · 4096 = 16 MiB.  Fixed on the card:
    # CUDA context 300 MiB + compute buffer (512-token batch vs 4096 cells: 64 heads · 512 · 4096 · 4 B of
    # scores = 512 MiB, the f32 mask 512 · 4096 · 4 B = 8 MiB, Q and three hidden states beside them
    # 4 · 512 · 8192 · 4 B = 64 MiB, + the hidden state 16 MiB) = 900 MiB of 24,564 MiB.  All 80
    # layers plus the Q6_K output layer cannot fit; current llama.cpp (PR #18148, Dec 2025) puts the output
    # layer (32,000 × 8,192 at 6.5625 bits: 205.1 MiB) on the card first, and the layers in RAM have a prompt's
    # pass copy their largest tensor to it (op offload, PR #6083): ffn_down, 28,672 × 8,192 at the Q4_K / Q6_K mix
    # (5.53 bits) = 154.9 MiB, more than a layer's K and V (16 MiB); then
    # floor((23,664 MiB - 205.1 - 154.9 MiB) / (layer + KV)) of the last layers: -ngl 47
    per_layer = llama2_70b_layer_bytes() + 16 * MIB
    head = 32000 * 8192 * 6.5625 / 8
    copy = 28672 * 8192 * MIX / 8
    assert copy / MIB == pytest.approx(154.875)
    expected_gpu = int(((24564 - 900) * MIB - head - copy) // per_layer)
    assert plan.level == "partial" and plan.gpu_layers == expected_gpu == 46 and plan.cpu_layers == 34
    assert plan.output_on_gpu and plan.ngl == 47
    gpu, ram = plan.devices
    assert gpu.used_bytes == pytest.approx(900 * MIB + copy + 46 * per_layer + head, rel=1e-3)
    assert gpu.used_bytes <= gpu.budget_bytes
    assert ram.used_bytes <= 64 * GB
    # speed by hand: each side reads its layers (weights + KV) in turn; the Q6_K output layer is read
    # from the card.  GPU at 1,008 GB/s × 89 % (llama.cpp with CUDA graphs), RAM at 76.8 GB/s × 65 %, + the
    # engine's fixed 38 µs for each of the 80 layers.
    t_gpu = (46 * per_layer + head) / (1008e9 * 0.89)
    t_cpu = 34 * per_layer / (DEFAULT_RAM_BANDWIDTH_GB_S * GB * Q4_SHARE)
    assert plan.decode_s == pytest.approx(t_gpu + t_cpu + 80 * 38e-6, rel=0.01)
    assert t_cpu / plan.decode_s > 0.85                    # the CPU part dominates
    assert plan.describe() == "partly offloaded (46 of 80 layers and the output layer on GPU)"
    # builds before Dec 2025 (the no-CUDA-graphs profile) offloaded the repeating layers first and the output layer
    # only with all of them: the same 46 layers (floor(23,664 MiB / (layer + KV))), the output read from RAM
    old = plan_offload(scenario("llama2-70b", engine="llamacpp-2023"), ram_gb=64)
    assert (old.gpu_layers, old.output_on_gpu, old.ngl) == (int((24564 - 900) * MIB // per_layer), False, 46)
    assert old.describe() == "partly offloaded (46 of 80 layers on GPU)"
    assert old.devices[-1].used_bytes == pytest.approx(ram.used_bytes + head, rel=1e-9)


def test_largest_prompt_the_card_and_the_ram_hold():
    # Llama 2 70B Q4_K_M on an RTX 4090 with 32 GB of RAM (29.80 GiB), flash attention (the engine's default), 96
    # tokens out.  llama.cpp pads its context to 256 cells, so the largest prompt ends a block: 46,240 + 96 = 46,336 =
    # 181 x 256 cells, 4,096 bytes of cache a layer each (2 x 1,024 x 2 bytes): 181 MiB a layer
    s = scenario("llama2-70b", attention=None)
    found = max_prompt_offloaded(s, 32)
    assert found == 46_240 and (found + 96) % 256 == 0
    at, past = plan_offload(s.with_(prompt_tokens=found), 32), plan_offload(s.with_(prompt_tokens=found + 1), 32)
    assert (at.level, past.level) == ("partial", "none")
    # there 35 layers (and the output layer) are on the card, 45 in RAM: their weights (489.0 MiB a layer, counted
    # by hand in llama2_70b_layer_bytes, and of the output norm's 8,192 F32 weights, which the plan spreads over the
    # layers, 1/80 each) and caches, the token embedding (32,000 x 8,192 at 4.5 bits) and the CPU's compute buffer
    # (as on the card)
    layer, cache = llama2_70b_layer_bytes() + 8192 * 4 / 80, 4096 * (found + 96)
    assert (layer / MIB, cache / MIB) == (pytest.approx(488.97, abs=0.01), 181)
    embedding = 32000 * 8192 * Q4 / 8
    buffer = float(estimate_memory(s.with_(prompt_tokens=found)).activations)
    ram = at.devices[-1]
    assert (at.gpu_layers, ram.layers) == (35, 45)
    assert ram.used_bytes == pytest.approx(45 * (layer + cache) + embedding + buffer, rel=1e-9)
    # one token more opens the next block: 256 more cells in each of the 45 layers in RAM (45 MiB), more than the
    # 12.5 MiB left there; the card keeps its 35 layers
    assert ram.budget_bytes == 32e9 and 0 < ram.budget_bytes - ram.used_bytes < 45 * 4096 * 256
    assert past.gpu_layers == 35 and past.devices[-1].used_bytes > ram.budget_bytes
    # the search starts where the memory on one card fills the card and the RAM as one pool (23.99 + 29.80 GiB):
    # the longest prompt whose estimate on one card fits the two together; whole layers and a second compute buffer
    # leave some 5 % less
    guess, pool = pool_guess(s, 32), at.devices[0].budget_bytes + 32e9
    total = [float(estimate_memory(s.with_(prompt_tokens=n)).total) for n in (guess, guess + 1)]
    assert total[0] <= pool < total[1] and 0.94 < found / guess < 1
    # as the plan reports it: the context with the output; none where not even an empty prompt is placed (16 GB)
    plan = with_max_prompt(at, s, found)
    assert (plan.max_prompt_tokens, plan.max_context) == (46_240, 46_336)
    assert max_prompt_offloaded(s, 16) == -1 and with_max_prompt(at, s, -1).max_context is None


def test_cli_fit_rows_give_each_cards_largest_prompt_with_the_ram(capsys):
    # every row's plan with its own largest prompt: the RTX 4090's as above, a larger card's more
    rc = main(["fit", "--model", "llama2-70b", "--weights", "q4_k_m", "--engine", "llamacpp", "--prompt", "4000",
               "--output", "96", "--ram", "32", "--json"])
    rows = {r["gpu"]: r["offload"] for r in json.loads(capsys.readouterr().out)}
    assert rc == 0 and (rows["rtx4090"]["max_prompt_tokens"], rows["rtx4090"]["max_context"]) == (46_240, 46_336)
    assert rows["rtx5090"]["max_prompt_tokens"] > 46_240
    assert rows["rtx3060-12gb"]["max_prompt_tokens"] < 46_240
    # in the text table an offloaded row's largest context is the one the card and the RAM hold, capped at the model's
    # limit as every row's is (46,336 past Llama 2's 4,096)
    rc = main(["fit", "--model", "llama2-70b", "--weights", "q4_k_m", "--engine", "llamacpp", "--prompt", "4000",
               "--output", "96", "--ram", "32"])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("rtx4090 "))
    assert rc == 0 and "partly offloaded (47 of 80 layers" in line and "4,096 (model limit) with RAM" in line


@pytest.mark.parametrize("model, gpu, engine, weights, n, ram, extra", [
    ("qwen3-30b-a3b", "rtx4060ti-16gb", "llamacpp", "q4_k_m", 1, 32, {"experts_on_cpu": True}),
    ("mixtral-8x7b", "rtx3090", "ollama", "q4_k_m", 2, 32, {}),
    ("llama3.1-70b", "a100-80gb", "vllm", "bf16", 1, 128, {}),
    ("llama3.1-8b", "m2-max-96gb", "llamacpp", "q8_0", 1, 64, {}),
    ("llama2-70b", "rtx4090", "llamacpp", "q4_k_m", 1, 64, {"gpu_layers": 30}),
])
def test_the_largest_prompt_is_where_a_plan_stops_being_placed(model, gpu, engine, weights, n, ram, extra):
    # the same answer as a plain halving between an empty prompt and the longest a scenario takes, which relies on
    # nothing but whether each prompt's plan is placed: MoE experts in RAM, two cards, a tensor-parallel engine,
    # unified memory, -ngl forced
    from vramgui.core.scenario import MAX_SCENARIO_TOKENS
    s = scenario(model, gpu, engine=engine, weights=weights, attention=None, n_gpus=n, output_tokens=256, batch=2)

    def placed(p):
        return plan_offload(s.with_(prompt_tokens=p), ram, with_prefill=False, **extra).level != "none"
    low = last_placed(placed, 0, MAX_SCENARIO_TOKENS)
    assert max_prompt_offloaded(s, ram, **extra) == low > 4096
    # a guess (the window's last answer) changes the answer in nothing: right, it costs two plans; wrong, it is let go
    from vramgui.core import offload
    calls = []
    real = offload.plan_offload
    try:
        offload.plan_offload = lambda *a, **k: calls.append(1) or real(*a, **k)
        for guess in (low, low - 1, low + 1, low - 300, 0, -1, MAX_SCENARIO_TOKENS, None):
            calls.clear()
            assert max_prompt_offloaded(s, ram, guess, **extra) == low, guess
            assert (len(calls) == 2) == (guess == low), (guess, len(calls))
    finally:
        offload.plan_offload = real


def test_most_sequences_the_card_and_the_ram_hold():
    # Llama 3.1 70B Q4_K_M beside an RTX 4090 with 32 GB of RAM, 4,000 tokens in and 96 out: llama.cpp's cache is one
    # pool of cells for every sequence, 4,096 cells each at 327,680 bytes a cell (80 layers x 8 KV heads x 128 x 2 x
    # 2 bytes).  By hand: the card's 25.77 GB and the RAM's 32 GB as one pool, less 42.47 GB of weights and about
    # 1.6 GB of CUDA context and compute buffers (estimate --json at 4k), leave 13.7 GB: 10.2 sequences, so 10
    s = scenario("llama3.1-70b", attention=None, prompt_tokens=4000, output_tokens=96)
    found = max_batch_offloaded(s, 32)
    pool = 24 * 2**30 + 32e9 - 42.47e9 - 1.6e9
    assert found == int(pool / (4096 * 327_680)) == 10
    placed = [plan_offload(s.with_(batch=b), 32, with_prefill=False).level for b in (found, found + 1)]
    assert placed[0] == "partial" and placed[1] == "none"
    # the same cells as the largest context one sequence gets: 10 x 4,096 <= 43,520 < 11 x 4,096
    context = max_prompt_offloaded(s.with_(batch=1), 32) + 96
    assert found * 4096 <= context < (found + 1) * 4096


def test_an_offloaded_model_is_served_and_costs_as_its_plan_runs(capsys):
    """Where the offload plan runs the model (the card alone holds too little), estimate's served throughput and
    cost are the plan's: 4 sequences of 2,000 + 256 tokens of Llama 3.1 70B Q4_K_M beside an RTX 4090 with 64 GB
    generate 4 x 256 tokens in 256 of the plan's steps and its time to first token, and a million of them cost
    0.50 / 3,600 s over that rate; the speed block's figures keep every layer on the card and say so."""
    args = ["estimate", "--model", "llama3.1-70b", "--gpu", "rtx4090", "--weights", "q4_k_m", "--engine", "llamacpp",
            "--prompt", "2000", "--output", "256", "--batch", "4", "--ram", "64", "--price-per-hour", "0.5"]
    assert main([*args, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    o, sp = d["offload"], d["speed"]
    rate = 4 * 256 / (256 / o["decode_tokens_per_second"] + o["prefill_seconds"])
    assert o["served_throughput_tokens_per_second"] == pytest.approx(rate, rel=1e-9)
    assert o["cost_per_million_tokens"] == pytest.approx(0.5 / 3600 / rate * 1e6, rel=1e-9)
    assert o["cost_per_million_tokens"] > 5 * sp["cost_per_million_tokens"]       # (the card alone: far cheaper)
    assert main(args) == 0
    out = capsys.readouterr().out
    assert (f"  served as planned (prompts included): {rate:,.2f} generated tokens/s in all; cost "
            f"{0.5 / 3600 / rate * 1e6:,.4f} per million generated tokens") in out
    assert "\nserved (all on the card: see offload) (continuous batching" in out
    assert "\ncost (all on the card: see offload): " in out
    # and where the plans serve most (offload.best_batch_offloaded), with that batch's first token and cost
    assert (o["best_batch"], o["max_batch"]) == (60, 60)
    assert o["best_cost_per_million_tokens"] == pytest.approx(0.5 / 3600 / o["best_served_tokens_per_second"] * 1e6)
    assert (f"  the most served: {o['best_served_tokens_per_second']:,.2f} generated tokens/s in all at 60 sequences "
            f"of this prompt and output, the first tokens after {duration_text(o['best_prefill_seconds'])}; cost "
            f"{o['best_cost_per_million_tokens']:,.4f} per million generated tokens") in out
    # a model the card holds: no served figures of the plan's
    assert main([args[0], args[1], "llama3.1-8b", *args[3:], "--json"]) == 0
    assert "served_throughput_tokens_per_second" not in json.loads(capsys.readouterr().out)["offload"]


def test_the_sequences_an_offloaded_plan_serves_most_at():
    """offload.best_batch_offloaded: Llama 3.1 70B Q4_K_M beside an RTX 4090 with 64 GB, 2,000 + 256 tokens each,
    up to the 60 sequences the card and the RAM hold.  Served throughput (prompts included) rises from one
    sequence, flattens as the CPU's arithmetic on the layers in RAM grows with the sequences (8 serve more than 31),
    and jumps at 32, where op offload copies the part in RAM to the card each step instead.  The search's plans (at
    most 18) find the best of every count from 1 to 60 (within 2 %), with its plan's rate and first token."""
    s = scenario("llama3.1-70b", attention=None, prompt_tokens=2000, output_tokens=256)
    most = max_batch_offloaded(s, 64)
    # by hand as for 4,000 + 96 tokens with 32 GB (above): 2,256 tokens fill 2,304 cells (llama.cpp's 256-cell
    # blocks) of 327,680 bytes, in the card's 25.77 GB and the 64 GB less 42.47 GB of weights and ~1.6 GB of buffers
    assert most == int((24 * 2**30 + 64e9 - 42.47e9 - 1.6e9) / (2304 * 327_680)) == 60

    def rate(b):
        one = s.with_(batch=b)
        return served_tokens_per_s(plan_offload(one, 64), one)
    every = {b: rate(b) for b in range(1, most + 1)}
    assert every[8] > every[31] and every[32] > every[31] and every[1] < every[8]
    b, best, first = best_batch_offloaded(s, 64, most)
    assert best == pytest.approx(every[b], rel=1e-12) and best >= 0.98 * max(every.values())
    assert first == pytest.approx(plan_offload(s.with_(batch=b), 64).prefill_s, rel=1e-12)
    assert best_batch_offloaded(s, 64, 0) == (0, 0.0, pytest.approx(float("nan"), nan_ok=True))


def test_the_counts_of_sequences_the_plans_are_worked_out_at():
    """offload.log_counts: every count up to 16; beyond, 16 distinct ones from 1 to the most, spread on a log scale
    (1,024 in 15 steps: 1.59x each on average; no step above 2x, as 1 -> 2 must be, nor under 1.25x past the first
    ones); offload.sweep_offloaded adds 31 and 32, where op offload starts copying."""
    assert log_counts(0, 16) == [] and log_counts(1, 16) == [1] and log_counts(11, 16) == list(range(1, 12))
    assert log_counts(16, 16) == list(range(1, 17))
    for most in (17, 60, 391, 1024):
        c = np.array(log_counts(most, 16))
        ratios = c[1:] / c[:-1]
        assert len(c) == 16 and c[0] == 1 and c[-1] == most and ratios.min() > 1 and ratios.max() <= 2.0
    c = np.array(log_counts(1024, 16))
    assert (c[1:] / c[:-1])[c[:-1] >= 8].min() >= 1.25
    s = scenario("llama3.1-70b", attention=None, prompt_tokens=2000, output_tokens=256)
    sweep = sweep_offloaded(s, 64, 60)
    assert {31, 32} <= set(sweep.batches) and len(sweep.batches) <= 18 and sweep.batches[-1] == 60
    at = dict(zip(sweep.batches, sweep.plans, strict=True))
    # 51 layers in RAM at both.  At 31 the CPU adds 30 sequences' arithmetic on them: 2 x 855.6 M weights of a
    # layer (2 d^2 + 2 d kv + 3 d f, d 8,192, kv 1,024, f 28,672) and attention over 2,256 tokens (4 x 8,192 x
    # 2,256) a token, 1.785 GFLOP a layer, at 7.2 x 76.8 GB/s = 0.553 TFLOP/s: 4.94 s.  At 32 op offload copies
    # them to the card instead (41.6 GB, weights and cache, at 30 % of 32 GB/s: 4.33 s), and the step is shorter
    assert at[31].cpu_layers == at[32].cpu_layers == 51
    assert at[31].cpu_math_s == pytest.approx(30 * 51 * (2 * 855.6e6 + 4 * 8192 * 2256) / (7.2 * 76.8e9), rel=0.01)
    assert at[32].step_copy_bytes > 0 == at[31].step_copy_bytes and at[32].cpu_math_s == 0
    assert at[32].decode_s < at[31].decode_s
    assert sweep_offloaded(s, 64, 0).best() == (0, 0.0, pytest.approx(float("nan"), nan_ok=True))


def test_sweep_gives_each_values_offload_plan(capsys):
    """vramgui-cli sweep batch|context with --ram: each row's own plan beside the all-on-card columns.  Llama 3.1 70B
    Q4_K_M beside an RTX 4090 with 64 GB, 2,000 + 256 tokens: placed up to the 60 sequences counted by hand above
    (test_the_sequences_an_offloaded_plan_serves_most_at), "none" past them; a row's figures are its plan's."""
    import csv
    import io
    args = ["--model", "llama3.1-70b", "--gpu", "rtx4090", "--weights", "q4_k_m", "--engine", "llamacpp", "--prompt",
            "2000", "--output", "256", "--ram", "64"]
    assert main(["sweep", "batch", *args, "--to", "128", "--points", "40"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    placed = [int(r["batch"]) for r in rows if r["offload_level"] == "partial"]      # (the values: ..., 47, 54, 61)
    assert placed[0] == 1 and max(placed) == 54 and all(r["offload_level"] == "none" and r["offload_ngl"] == ""
                                                          for r in rows if int(r["batch"]) > 60)
    assert {r["fits"] for r in rows} == {"False"}            # (the card alone holds not one sequence)
    s = scenario("llama3.1-70b", attention=None, prompt_tokens=2000, output_tokens=256)
    for r in rows[:: 6]:
        b = int(r["batch"])
        if b > 60:
            continue
        plan = plan_offload(s.with_(batch=b), 64)
        assert int(r["offload_ngl"]) == plan.ngl
        assert float(r["offload_decode_step_seconds"]) == pytest.approx(plan.decode_s, rel=1e-9)
        assert float(r["offload_throughput_tokens_per_second"]) == pytest.approx(b / plan.decode_s, rel=1e-9)
        # served: 256 tokens a sequence over 256 steps and the batch's first token
        assert float(r["offload_served_tokens_per_second"]) == pytest.approx(
            b * 256 / (256 * plan.decode_s + plan.prefill_s), rel=1e-9)
    # over the prompt: one sequence's plan at each prompt length; without the flags, no such columns
    assert main(["sweep", "context", *args, "--to", "8192", "--points", "12"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    last = rows[-1]
    plan = plan_offload(s.with_(prompt_tokens=int(last["prompt_tokens"])), 64)
    assert int(last["prompt_tokens"]) == 8192 and float(last["offload_prefill_seconds"]) == pytest.approx(
        plan.prefill_s, rel=1e-9)
    # vLLM keeps weights in RAM instead of splitting layers: no -ngl; with --cpu-offload-gb, its GiB in every row
    v = ["--model", "llama3.1-8b", "--gpu", "rtx4090", "--weights", "bf16", "--engine", "vllm", "--ram", "64",
         "--cpu-offload-gb", "5"]
    assert main(["sweep", "batch", *v, "--to", "4", "--points", "3"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    sv = scenario("llama3.1-8b", weights="bf16", engine="vllm", attention=None, prompt_tokens=DEFAULT_PROMPT_TOKENS,
                  output_tokens=DEFAULT_OUTPUT_TOKENS)
    assert [r["offload_ngl"] for r in rows] == [""] * 3 and all(r["offload_level"] == "partial" for r in rows)
    assert float(rows[0]["offload_decode_step_seconds"]) == pytest.approx(
        plan_offload(sv.with_(batch=1), 64, cpu_offload_gib=5).decode_s, rel=1e-9)
    assert main(["sweep", "batch", *args[:-2], "--to", "4"]) == 0
    assert "offload_level" not in capsys.readouterr().out


def test_cli_gives_each_offloaded_cards_most_sequences_with_the_ram(capsys):
    # the same scenario: the plan's max_batch (the card alone: 0), a line of estimate's, "10 with RAM" in fit's table
    args = ["--model", "llama3.1-70b", "--weights", "q4_k_m", "--engine", "llamacpp", "--prompt", "4000", "--output",
            "96", "--ram", "32"]
    assert main(["estimate", "--gpu", "rtx4090", *args, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["fit"]["max_batch"], d["offload"]["max_batch"]) == (0, 10)
    assert main(["estimate", "--gpu", "rtx4090", *args]) == 0
    assert "most sequences of this prompt and output there: 10" in capsys.readouterr().out
    assert main(["fit", *args]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("rtx4090 "))
    assert "43,520 with RAM" in line and "10 with RAM" in line


@pytest.mark.parametrize("model, gpu, engine, weights, n, ram, extra", [
    ("qwen3-30b-a3b", "rtx4060ti-16gb", "llamacpp", "q4_k_m", 1, 32, {"experts_on_cpu": True}),
    ("mixtral-8x7b", "rtx3090", "ollama", "q4_k_m", 2, 32, {}),
    ("llama3.1-8b", "m2-max-96gb", "llamacpp", "q8_0", 1, 64, {}),
    ("llama2-70b", "rtx3060-12gb", "llamacpp", "q4_k_m", 1, 64, {"gpu_layers": 20}),
])
def test_the_most_sequences_are_where_a_plan_stops_being_placed(model, gpu, engine, weights, n, ram, extra):
    # the same answer as a plain halving between one sequence and a million, whatever the start: MoE experts in RAM,
    # two cards, unified memory, -ngl forced
    from vramgui.core.scenario import MAX_SCENARIO_BATCH as MAX_BATCH
    s = scenario(model, gpu, engine=engine, weights=weights, attention=None, n_gpus=n, prompt_tokens=1000,
                 output_tokens=200)

    def placed(b):
        return plan_offload(s.with_(batch=b), ram, with_prefill=False, **extra).level != "none"
    low = last_placed(placed, 1, MAX_BATCH)
    for guess in (None, low, low + 1, low - 1, 1, 0, 3 * low, MAX_BATCH):
        assert max_batch_offloaded(s, ram, guess, **extra) == low > 1, guess


def test_pipeline_stages_of_a_tensor_parallel_engine_plan_as_their_cards():
    # Llama 3.1 405B FP8 under vLLM on 4 H100s with 256 GB of RAM, as 2 stages of 2 (the window's stages box): each
    # card holds a quarter of the weights either way, so the plan is about the one of 4 cards in one group (planning
    # one card of 2 stages raised a validation error, in the window at every redraw); vLLM copies what a card keeps
    # in RAM (plan_copied), which the stages' smaller buffers make 34 MB less of 114.8 GB
    s = scenario("llama3.1-405b", "h100-sxm", engine="vllm", weights="fp8", attention=None, n_gpus=4)
    staged = plan_offload(s.with_(pipeline=2), 256)
    flat = plan_offload(s, 256)
    assert staged.level == "partial" and (staged.gpu_layers, staged.cpu_layers) == (flat.gpu_layers, flat.cpu_layers)
    assert [d.used_bytes for d in staged.devices] == pytest.approx([d.used_bytes for d in flat.devices], rel=1e-3)
    assert max_prompt_offloaded(s.with_(pipeline=2), 256) == pytest.approx(max_prompt_offloaded(s, 256), rel=0.01)
    assert max_prompt_offloaded(s, 256) > 4096


def test_vllm_sglang_and_hf_copy_their_offloaded_weights_every_pass():
    """vLLM's and SGLang's --cpu-offload-gb and HF transformers' device_map offload keep what does not fit in RAM and
    copy it to the card for every forward pass (engines.COPIED_OFFLOAD), where llama.cpp runs whole layers on the CPU.
    Llama 3.1 70B AWQ under vLLM beside an RTX 4090 with 64 GB, 4,096 + 256 tokens: the card keeps every layer's
    cache and its buffers, and in RAM the least of its weights that lets the rest fit: needed - usable = 40.04 - 22.97
    GiB = 18.32 GB.  Each decode step copies them over PCIe 4.0 x16 (32 GB/s) at the pinned share llama.cpp's pinned
    copies measured (84 %, vLLM pins them): 18.32 / (32 x 0.84) = 0.682 s on top of the all-on-card step; the
    prompt's 4,096 tokens are two of vLLM's 2,048-token chunks on a 24 GB card: two copies on top of its prefill.
    (No published run of these engines' offload to hold the share to: an assumption, said in the note.)"""
    from vramgui.core import fit
    from vramgui.core.offload import plan_copied, plan_offload_cards
    from vramgui.core.report import offload_note
    from vramgui.core.speed import estimate_speed, prefill_time
    s = scenario("llama3.1-70b", weights="awq-int4", engine="vllm", attention=None, prompt_tokens=4096,
                 output_tokens=256)
    cat = default_catalog()
    f, p = fit(s), plan_offload(s, 64)
    # of the 40.04 GiB needed, by hand: the weights, 80 layers of 2 x 8,192^2 + 2 x 8,192 x 1,024 + 3 x 8,192 x 28,672
    # at AWQ's 4.156 bits, the 16-bit embedding and output layer (128,256 x 8,192 each) and norms: 39.77 GB, within
    # 0.1 % of the count; the cache, 4,352 tokens x 80 layers x 2 x 1,024 x 2 B
    m = estimate_memory(s)
    lin = 80 * (2 * 8192**2 + 2 * 8192 * 1024 + 3 * 8192 * 28672)
    assert float(m.weights) == pytest.approx(lin * (4 + 20 / 128) / 8 + 2 * 128256 * 8192 * 2 + 161 * 8192 * 2,
                                             rel=0.001)
    assert float(m.kv_cache) == 4352 * 80 * 2 * 1024 * 2
    copied = f.needed_bytes - f.budget_bytes
    assert copied / 1e9 == pytest.approx(18.32, abs=0.01) and p.copied_bytes == pytest.approx(copied, rel=1e-12)
    assert (p.level, p.link_bytes_per_s, p.copy_share) == ("partial", 32e9, 0.84)
    copy_s = copied / (32e9 * 0.84)
    assert copy_s == pytest.approx(0.682, abs=0.001)
    assert p.decode_s == pytest.approx(float(estimate_speed(s).decode_step_s) + copy_s, rel=1e-12)
    assert p.prefill_s == pytest.approx(float(prefill_time(s, 4096, 1)) + 2 * copy_s, rel=1e-12)
    assert p.prompt_copy_bytes == pytest.approx(2 * copied, rel=1e-12) and p.step_copy_bytes == p.copied_bytes
    # the card full, the rest in RAM; whole layers' weights those bytes cover: 37 of 80 (39.8 GB of weights)
    assert [d.used_bytes for d in p.devices] == pytest.approx([f.budget_bytes, copied], rel=1e-12)
    assert (p.gpu_layers, p.cpu_layers) == (43, 37) and p.describe().startswith("partly offloaded (17.1 GiB")
    # 16 GB of RAM do not hold the 18.3 GB; a card that holds it all copies nothing
    assert plan_offload(s, 16).level == "none"
    assert plan_offload(s.with_(gpu=cat.gpu("a100-80gb")), 64).level == "gpu"
    # HF transformers: one pass over the prompt, from ordinary memory (assumed at llama.cpp's mapped share, 30 %)
    hf = plan_offload(s.with_(engine="hf"), 64)
    assert hf.copy_share == 0.3 and hf.prompt_copy_bytes == pytest.approx(hf.copied_bytes, rel=1e-12)
    # the fit table's plans, worked out for every card at once from its figures, are each card's, without the first
    # token (every card of the catalog, one and two of it)
    cards = list(cat.gpus.values())
    for k in (1, 2):
        sk = s.with_(n_gpus=k)
        for g, q in zip(cards, plan_offload_cards(sk, 64, cards), strict=True):
            r = plan_copied(sk.with_(gpu=g), 64, with_prefill=False)
            assert (q.level, q.gpu_layers) == (r.level, r.gpu_layers), g.id
            assert q.copied_bytes == pytest.approx(r.copied_bytes, rel=1e-9, abs=1.0), g.id
            assert q.decode_s == pytest.approx(r.decode_s, rel=1e-9), g.id
            assert [d.used_bytes for d in q.devices] == pytest.approx([d.used_bytes for d in r.devices], rel=1e-9)
    # the window passes its fit table of every card for the ones that do not fit: the same plans, not worked out again
    from vramgui.core.cards import card_table
    some = [g for g, fits in zip(cards, card_table(s, cards).fits, strict=True) if not fits]
    assert plan_offload_cards(s, 64, some, table=card_table(s, cards)) == plan_offload_cards(s, 64, some)
    # llama.cpp's split copies nothing for every pass; the note names the engine's way and the assumption
    assert plan_offload(s.with_(engine="llamacpp", weights="q4_k_m"), 64).copied_bytes == 0
    assert "kernels read them for every forward pass (--cpu-offload-gb" in offload_note(s)
    assert "copies them to the card for every forward pass (--cpu-offload-gb" in offload_note(s.with_(engine="sglang"))
    assert offload_note(s.with_(engine="llamacpp", weights="q4_k_m")) is None
    # HF transformers with bitsandbytes' weights: refused in RAM without llm_int8_enable_fp32_cpu_offload (its
    # quantizers' validate_environment), said in the note; not with AWQ, nor under vLLM
    bnb = "unless the BitsAndBytesConfig sets llm_int8_enable_fp32_cpu_offload=True"
    for w in ("nf4", "nf4-nodq", "bnb-int8"):
        assert bnb in offload_note(s.with_(engine="hf", weights=w)), w
    # with device_map="auto" transformers 5.24 quantizes the layers before it infers the map (preprocess_model runs
    # while device_map is still the name): those in RAM stay quantized, the plan's bytes; a dict of one's own does not
    assert "With device_map='auto' the layers are quantized before the map is inferred, so those it places in RAM " \
        "stay quantized, as the plan counts" in offload_note(s.with_(engine="hf", weights="nf4"))
    assert bnb not in offload_note(s.with_(engine="hf")) and bnb not in offload_note(s.with_(weights="nf4"))


def test_hf_keeps_room_for_the_module_it_brings():
    """HF transformers' device_map offload brings each module kept in RAM to the card for its forward pass, and its
    device map keeps room on the first card for the largest module still to place (transformers 5.24's
    infer_auto_device_map, accelerate's get_max_layer_size): on one card the plan keeps that much more in RAM.  Llama
    3.1 8B BF16 beside an RTX 4060 with 64 GB: the largest module is its untied output layer, 128,256 x 4,096 x 2 B =
    1,050,673,152 B, more than a decoder layer ((2 x 4,096^2 + 2 x 4,096 x 1,024 + 3 x 4,096 x 14,336) x 2 B + two
    norms: 436,224,000 B).  Mixtral 8x7B: an MoE layer, its 8 experts of 3 x 4,096 x 14,336, attention, router and
    norms, 1,451,270,144 weights x 2 B."""
    from vramgui.core import fit
    from vramgui.core.offload import staging_bytes
    cat = default_catalog()
    s = Scenario(model=cat.model("llama3.1-8b"), gpu=cat.gpu("rtx4060"), weights="bf16", engine="hf",
                 prompt_tokens=1000, output_tokens=100)
    layer = (2 * 4096**2 + 2 * 4096 * 1024 + 3 * 4096 * 14336) * 2 + 2 * 4096 * 2
    assert layer == 436_224_000 and staging_bytes(s) == 128256 * 4096 * 2 == 1_050_673_152
    f, plan = fit(s), plan_offload(s, 64)
    assert plan.level == "partial"
    assert plan.copied_bytes == pytest.approx(f.needed_bytes - f.budget_bytes + 1_050_673_152, rel=1e-12)
    assert plan.devices[0].used_bytes == pytest.approx(f.budget_bytes, rel=1e-12)   # (the room counted on the card)
    mixtral = s.with_(model=cat.model("mixtral-8x7b"), gpu=cat.gpu("rtx4090"))
    per_layer = 8 * 3 * 4096 * 14336 + 2 * 4096**2 + 2 * 4096 * 1024 + 4096 * 8 + 2 * 4096
    # (and the final norm's 4,096 weights shared over the 32 layers, as the layer split counts a layer)
    assert per_layer == 1_451_270_144 and staging_bytes(mixtral) == pytest.approx((per_layer + 4096 / 32) * 2,
                                                                                  rel=1e-12)
    # the device map reserves that module on the CPU too, its other main device (_init_infer_auto_device_map:
    # main_devices = [gpus[0], "cpu"]): the RAM holds the plan's bytes with as many free. With the card's copied
    # bytes c (the room included), RAM of c + 0.98 GiB places, a byte less does not
    c = plan.copied_bytes
    assert plan_offload(s, (c + 1_050_673_152) / 1e9).level == "partial"
    assert plan_offload(s, (c + 1_050_673_152 - 1) / 1e9).level == "none"
    assert plan_offload(s, c / 1e9).level == "none"          # (the RAM holding the bytes alone: not placed)
    # vLLM reads its offloaded weights in place and SGLang is not counted so. On two cards HF runs every module kept
    # in RAM on the first card (accelerate's dispatch_model), which keeps the room: the plan's alike cards each take
    # half of it, the RAM the whole, and keeps as much free
    assert staging_bytes(s.with_(engine="vllm")) == staging_bytes(s.with_(engine="sglang")) == 0
    two = s.with_(n_gpus=2)
    assert staging_bytes(two) == 1_050_673_152
    p2, f2 = plan_offload(two, 64), fit(two)
    assert p2.copied_bytes == pytest.approx(f2.needed_bytes - f2.budget_bytes + 1_050_673_152 / 2, rel=1e-12)
    assert p2.devices[-1].used_bytes == pytest.approx(2 * p2.copied_bytes, rel=1e-12)
    c2 = 2 * p2.copied_bytes
    assert plan_offload(two, (c2 + 1_050_673_152) / 1e9).level == "partial"
    assert plan_offload(two, (c2 + 1_050_673_152 - 1) / 1e9).level == "none"


def test_vllm_reads_only_the_experts_a_step_uses_where_the_weights_lie():
    """vLLM's --cpu-offload-gb leaves the offloaded weights in pinned RAM and lets the card's kernels read them there
    (its UVA offloader: engines.READS_IN_PLACE), so an MoE layer's fused expert kernel reads over the link only the
    routed experts its tokens go to; SGLang (OffloaderV1) and accelerate copy a module's whole state each pass.
    Qwen3-30B-A3B in BF16 beside an RTX 4090 with 64 GB: 48 layers of 128 routed experts, 8 a token, each a gated MLP
    of 3 x 2,048 x 768: 28.99 G routed parameters of the layers' 29.91 G (the rest, attention, norms and routers: 0.92 G
    = 30.53 G - 28.99 G - the 151,936 x 2,048 embedding and output layer).  A decode step of one sequence touches 8 of
    each layer's 128 experts: it reads (1 - x) + x 8/128 of the bytes in RAM, x = 28.99 / 29.91."""
    from vramgui.core.offload import copied_read_share
    from vramgui.core.params import count_params
    s = scenario("qwen3-30b-a3b", weights="bf16", engine="vllm", attention=None, prompt_tokens=4096,
                 output_tokens=256)
    p = count_params(s.model.architecture)
    routed = 48 * 128 * 3 * 2048 * 768
    assert p.experts == routed == 28_991_029_248
    layers = p.total - 2 * 151936 * 2048
    x = routed / layers
    assert x == pytest.approx(28.99 / 29.91, rel=0.001)
    read = copied_read_share(s)
    assert read(1) == pytest.approx(1 - x + x * 8 / 128, rel=1e-9)
    # 32 sequences touch 128 (1 - (120/128)^32) = 111.4 of them; a 2,048-token prompt chunk every one
    assert read(32) == pytest.approx(1 - x + x * (1 - (120 / 128) ** 32), rel=1e-9)
    assert read(2048) == pytest.approx(1.0, abs=1e-9)
    vllm, sglang = plan_offload(s, 64), plan_offload(s.with_(engine="sglang"), 64)
    assert vllm.level == sglang.level == "partial" and vllm.read_in_place and not sglang.read_in_place
    assert vllm.step_copy_bytes == pytest.approx(vllm.copied_bytes * read(1), rel=1e-12)
    assert sglang.step_copy_bytes == sglang.copied_bytes
    step = 1 / float(card_table(s, [s.gpu]).decode_tokens_per_s[0])
    assert vllm.decode_s == pytest.approx(step + vllm.copied_bytes * read(1) / (32e9 * 0.84), rel=1e-12)
    # 9.2 % of what is in RAM a step (1 - x + x / 16): 7.0 tokens/s where SGLang's copies give 0.66
    assert vllm.step_copy_bytes / vllm.copied_bytes == pytest.approx(1 - 28.99 / 29.91 + 28.99 / 29.91 / 16,
                                                                     rel=0.001)
    assert vllm.tokens_per_s / sglang.tokens_per_s > 10
    # the prompt's two 2,048-token chunks read every expert: two whole passes
    assert vllm.prompt_copy_bytes == pytest.approx(2 * vllm.copied_bytes, rel=1e-6)
    # the speed chart's plans over the sequences: more sequences, more experts read, a slower step
    steps = [plan_offload(s.with_(batch=b), 64).decode_s for b in (1, 4, 16, 64)]
    assert steps == sorted(steps) and steps[-1] > 5 * steps[0]
    # a dense model reads everything (Llama 3.1 70B AWQ: above)
    assert copied_read_share(scenario("llama3.1-70b", weights="awq-int4", engine="vllm", attention=None))(1) == 1.0

def test_not_enough_ram_either():
    assert plan_offload(scenario("llama2-70b"), ram_gb=16).level == "none"


def test_forced_layers_and_cpu_only():
    # -ngl 20 as current llama.cpp counts it: the output layer and the last 19 repeating layers; older builds
    # put 20 repeating layers on the card, and the output layer only from -ngl 81 (n_layer + 1)
    p = plan_offload(scenario("llama2-70b"), ram_gb=64, gpu_layers=20)
    assert (p.gpu_layers, p.cpu_layers, p.output_on_gpu, p.ngl) == (19, 61, True, 20)
    old = scenario("llama2-70b", engine="llamacpp-2023")
    forced = [plan_offload(old, ram_gb=64, gpu_layers=n) for n in (20, 80, 81)]
    assert [(q.gpu_layers, q.output_on_gpu) for q in forced] == [(20, False), (80, False), (80, True)]
    one = plan_offload(scenario("llama2-70b"), ram_gb=64, gpu_layers=1)      # the output layer alone
    assert (one.level, one.gpu_layers, one.output_on_gpu) == ("partial", 0, True)
    cpu = plan_offload(scenario("llama2-70b"), ram_gb=64, gpu_layers=0)
    assert cpu.level == "cpu" and cpu.tokens_per_s < p.tokens_per_s


def test_every_layer_on_the_card_and_the_output_layer_in_ram_is_said_so():
    # the llama.cpp of 2023 offloads the output layer last: -ngl 32 of Llama 2 7B's 32 layers puts every repeating
    # layer on the card and leaves the output layer, 32,000 x 4,096 at Q6_K (6.5625 bits: 102.5 MiB), in RAM.  Its
    # plan was worded "32 of 32 layers on GPU", and the window's badge read "experts on CPU" (a dense model)
    s = scenario("llama2-7b", engine="llamacpp-2023")
    plan = plan_offload(s, ram_gb=64, gpu_layers=32)
    every = plan_offload(s, ram_gb=64, gpu_layers=33)
    head = 32000 * 4096 * 6.5625 / 8
    assert head / MIB == pytest.approx(102.54, abs=0.01)
    assert (plan.level, plan.gpu_layers, plan.cpu_layers, plan.output_on_gpu, plan.ngl) == ("partial", 32, 0, False,
                                                                                            32)
    assert plan.devices[-1].used_bytes - every.devices[-1].used_bytes == pytest.approx(head, rel=1e-9)
    assert plan.output_only and not every.output_only and every.level == "gpu"
    assert plan.describe() == "partly offloaded (all 32 layers on GPU, the output layer on CPU)"
    # a layer split, or an MoE model's experts in RAM, is not this
    split = plan_offload(s, ram_gb=64, gpu_layers=20)
    assert split.cpu_layers == 12 and not split.output_only
    moe = plan_offload(scenario("mixtral-8x7b"), ram_gb=64, experts_on_cpu=True)     # (current llama.cpp: --cpu-moe)
    assert moe.experts_on_cpu and not moe.output_only


def test_a_decode_step_of_32_sequences_copies_the_part_in_ram_to_the_card():
    """llama.cpp's CUDA backend runs an op whose weight is in RAM on the card from 32 tokens a pass (op offload,
    OP_OFFLOAD_MIN_BATCH): a decode step of 32 sequences is such a pass, and copies the 61 layers in RAM (-ngl 20)
    with their cache, 256 cells (the padded context of 64 + 64 tokens) x 32 sequences x 4,096 B a layer, at an
    assumed 30 % of the RTX 4090's PCIe 4.0 x16 (9.6 GB/s); 31 sequences have the CPU read them and run their
    arithmetic, which takes longer than that copy."""
    s = scenario("llama2-70b", prompt_tokens=64, output_tokens=64)
    at31, at32 = (plan_offload(s.with_(batch=b), ram_gb=96, gpu_layers=20) for b in (31, 32))
    assert (at32.gpu_layers, at32.cpu_layers) == (at31.gpu_layers, at31.cpu_layers) == (19, 61)
    copied = 61 * (llama2_70b_layer_bytes() + 256 * 32 * 4096)
    assert at31.step_copy_bytes == 0 and at32.step_copy_bytes == pytest.approx(copied, rel=1e-6)
    # the step: the copy (33.3 GB, 3.47 s), and the card's 19 layers and output layer (tens of ms) beside it
    assert 0 < at32.decode_s - copied / 9.6e9 < 0.05
    # 31 sequences: the CPU reads 61 layers of 512.7 MB and their cache at 76.8 GB/s x 0.54
    assert at31.decode_s > 61 * (llama2_70b_layer_bytes() + 256 * 31 * 4096) / (DEFAULT_RAM_BANDWIDTH_GB_S * GB
                                                                                  * Q4_SHARE)
    # and each sequence past the first adds its arithmetic on those 61 layers: 2 x (2 x 8,192^2 + 2 x 8,192 x 1,024
    # + 3 x 8,192 x 28,672) FLOPs a layer for its weights, 2 x 64 heads x 256 a key for its attention at 128 keys,
    # at the CPU's assumed 7.2 FLOP a byte of the RAM's 76.8 GB/s (553 GFLOP/s): 5.68 s, longer than the copy at 32
    # sequences
    layer = 2 * (2 * 8192**2 + 2 * 8192 * 1024 + 3 * 8192 * 28672) + 2 * 64 * 256 * 128
    assert at31.cpu_math_s == pytest.approx(30 * 61 * layer / (7.2 * 76.8e9), rel=1e-3)
    assert at32.cpu_math_s == 0 and at31.decode_s > at32.decode_s
    # (estimate and the report say so)
    assert offload_dict(at31)["cpu_math_seconds"] == at31.cpu_math_s and not offload_dict(at32)["cpu_math_seconds"]
    assert ("  decode: the CPU's arithmetic for the sequences past the first adds 5,677.4 ms a step (at an assumed "
            "0.55 TFLOP/s, from the RAM's bandwidth)") in offload_lines(offload_dict(at31))
    # builds before op offload (March 2024) and Metal, which reads host memory, copy nothing
    assert plan_offload(s.with_(batch=32, engine="llamacpp-2023"), ram_gb=96, gpu_layers=20).step_copy_bytes == 0
    mac = s.with_(batch=32, gpu=default_catalog().gpu("m2-max-96gb"))
    assert plan_offload(mac, ram_gb=0, gpu_layers=20).step_copy_bytes == 0


def test_the_cpu_runs_its_part_of_a_prompt_where_nothing_is_copied():
    """A prompt's pass under 32 tokens is not copied to the card (op offload, OP_OFFLOAD_MIN_BATCH): the CPU runs its
    part, as a decode step of as many sequences (offload.cpu_prompt).  Llama 2 70B Q4_K_M with 61 layers in RAM
    beside an RTX 4090 (-ngl 20), a 16-token prompt: the CPU reads its 61 layers once (512.7 MB each, at 0.54 of the
    default 76.8 GB/s) and runs 15 tokens' arithmetic past the first (2 FLOPs a weight of the layer's 855.6 M, and
    the attention over 8 keys on average), at the assumed 7.2 FLOP a byte of that bandwidth; the card does its
    share of the FLOPs (24 %) of the prompt's time on it.  About 3.6 s, 52 times the card's time for the whole
    model; at 32 tokens the pass copies the 61 layers instead (31.3 GB at 9.6 GB/s), and the CPU runs nothing."""
    s16 = scenario("llama2-70b", prompt_tokens=16, output_tokens=64)
    plan = plan_offload(s16, ram_gb=96, gpu_layers=20)
    assert (plan.cpu_layers, plan.prompt_copy_bytes) == (61, 0)
    layer = 2 * (2 * 8192**2 + 2 * 8192 * 1024 + 3 * 8192 * 28672) + 2 * 64 * 256 * 8    # a token's FLOPs a layer
    whole = 2 * (68_976_648_192 - 32_000 * 8_192) + 80 * 2 * 64 * 256 * 8               # ... over the model
    reads = 61 * llama2_70b_layer_bytes() / (76.8e9 * Q4_SHARE)
    math = 15 * 61 * layer / (7.2 * 76.8e9)
    on_card = float(prefill_time(s16, 16, 1))
    assert plan.prefill_s == pytest.approx(on_card * (1 - 61 * layer / whole) + reads + math, rel=2e-3)
    assert 3.5 < plan.prefill_s < 3.7 and plan.prefill_s > 50 * on_card
    assert plan.cpu_prompt_s == pytest.approx(reads + math, rel=2e-3)
    assert (f"  first token {duration_text(plan.prefill_s)}: the CPU runs the prompt's passes on the part in RAM, "
            f"{duration_text(plan.cpu_prompt_s)} of it at an assumed 0.55 TFLOP/s (no pass copied to the card: "
            "under 32 tokens, unified memory, or builds before op offload)") in offload_lines(offload_dict(plan))
    at32 = plan_offload(s16.with_(prompt_tokens=32), ram_gb=96, gpu_layers=20)
    assert at32.prompt_copy_bytes > 0 and at32.prefill_s == pytest.approx(
        float(prefill_time(s16, 32, 1)) + at32.prompt_copy_bytes / 9.6e9, rel=1e-9)
    # where the CPU reads the same memory as the GPU (an M2 Max's 400 GB/s) it runs its layers' part of every pass:
    # 21 layers of 80 there, a 512-token prompt, its rate an Apple chip's 2.5 FLOP a byte of the 400 GB/s
    mac = scenario("llama2-70b", gpu="m2-max-96gb", prompt_tokens=512, output_tokens=64)
    plan = plan_offload(mac, ram_gb=96, gpu_layers=60)
    assert (plan.cpu_layers, plan.prompt_copy_bytes) == (21, 0)
    layer = 2 * (2 * 8192**2 + 2 * 8192 * 1024 + 3 * 8192 * 28672) + 2 * 64 * 256 * 256
    whole = 2 * (68_976_648_192 - 32_000 * 8_192) + 80 * 2 * 64 * 256 * 256
    on_card = float(prefill_time(mac, 512, 1))
    assert plan.prefill_s == pytest.approx(on_card * (1 - 21 * layer / whole) + 21 * llama2_70b_layer_bytes()
                                           / (400e9 * Q4_SHARE) + 511 * 21 * layer / (2.5 * 400e9), rel=2e-3)


def test_small_model_fits_on_gpu():
    p = plan_offload(scenario("llama2-7b"), ram_gb=32)
    assert p.level == "gpu" and p.gpu_layers == 32 and p.output_on_gpu


def test_a_tied_output_layer_is_a_copy_on_the_card():
    """llama.cpp keeps the token table in RAM and gives the output layer's card a copy of it where the
    two are tied (Gemma 3, Llama 3.2 1B / 3B): the plan counted no output layer at all for them, so a
    model that fit said 1.08 GiB less on the card than the memory estimate and the fit table (Gemma 3
    27B Q4_K_M: 262,208 x 5,376 rows at Q6_K, the mix's output type).  Every layer on the card: the
    plan's card holds what the estimate says, and the RAM the table alone."""
    s = scenario("gemma3-27b", prompt_tokens=4096, output_tokens=0, attention=None)
    plan = plan_offload(s, ram_gb=64)
    assert plan.level == "gpu" and plan.output_on_gpu
    assert plan.devices[0].used_bytes == pytest.approx(float(estimate_memory(s).total), rel=1e-12)
    table = 262_208 * 5_376 * 6.5625 / 8
    assert plan.devices[-1].used_bytes == pytest.approx(table, rel=1e-12)          # the table, once, in RAM


def test_mixtral_experts_in_ram_as_llama_servers_fit_places_them():
    """Current llama-server's --fit (on by default where -ngl is not given) places an MoE model that does not fit
    whole with its experts in RAM first (common/fit.cpp: every layer's dense part on the card, then the experts of as
    many layers as the room left holds): Mixtral 8x7B Q4_K_M beside an RTX 4090 keeps the experts of the fewest
    layers in RAM with which the card holds the rest (llama.cpp's --n-cpu-moe N); --cpu-moe (experts_on_cpu) keeps
    every layer's there."""
    p = plan_offload(scenario("mixtral-8x7b"), ram_gb=64)
    # a layer's 8 experts: 3 x 4096 x 14336 weights each, gate and up Q4_K, down half Q6_K (853.3 MB)
    layer = 8 * 4096 * 14336 * (2 * Q4 + MIX) / 8
    assert layer / 1e6 == pytest.approx(853.28, abs=0.01)
    # a prompt's pass copies one stacked expert tensor at a time into the card's compute buffer (op offload): the
    # largest, ffn_down_exps, 8 x 14,336 x 4,096 at the Q4_K / Q6_K mix = 309.75 MiB
    copy = 8 * 14336 * 4096 * MIX / 8
    assert copy / MIB == pytest.approx(309.75)
    # all on the card the model needs 27.34 GiB against the card's 23.99: with n layers' experts in RAM it needs
    # total - n x 853.3 MB + the copy, within the budget from n = 5
    total = float(estimate_memory(scenario("mixtral-8x7b")).total)
    gpu, ram = p.devices
    n = next(k for k in range(33) if total - k * layer + copy <= gpu.budget_bytes)
    assert n == 5 and p.cpu_moe_layers == 5 and total - 4 * layer + copy > gpu.budget_bytes
    assert p.level == "partial" and p.gpu_layers == 32 and p.experts_on_cpu and p.cpu_layers == 0
    embedding = 32000 * 4096 * Q4 / 8                      # token_embd stays on the host (llama.cpp)
    assert ram.used_bytes == pytest.approx(5 * layer + embedding, rel=1e-9)
    assert gpu.used_bytes == pytest.approx(total - 5 * layer + copy, rel=1e-9)
    assert p.describe() == "partly offloaded (experts of 5 of 32 layers on CPU)"
    # per token the CPU reads the 2 routed experts of 8 in 5 layers, the card the rest: faster than -ngl 28, which
    # leaves 5 whole layers in RAM (their attention and cache too)
    ram_rate = DEFAULT_RAM_BANDWIDTH_GB_S * GB * Q4_SHARE
    assert p.decode_s > 5 * layer * 2 / 8 / ram_rate
    whole = plan_offload(scenario("mixtral-8x7b"), ram_gb=64, gpu_layers=28)
    assert whole.cpu_layers == 5 and whole.cpu_moe_layers == 0 and p.tokens_per_s > 1.1 * whole.tokens_per_s
    # builds without --fit (the no-CUDA-graphs profile) split whole layers; a card that holds it all keeps it whole
    assert plan_offload(scenario("mixtral-8x7b", engine="llamacpp-2023"), ram_gb=64).cpu_moe_layers == 0
    big = plan_offload(scenario("mixtral-8x7b", gpu="a100-80gb"), ram_gb=64)
    assert big.level == "gpu" and big.cpu_moe_layers == 0 and big.copy_bytes == 0
    # --cpu-moe: every layer's experts in RAM (32 x 853.3 MB), the rest on the card beside the copy
    cpu_moe = plan_offload(scenario("mixtral-8x7b"), ram_gb=64, experts_on_cpu=True)
    assert cpu_moe.cpu_moe_layers == 32 and cpu_moe.describe() == "partly offloaded (experts on CPU)"
    assert cpu_moe.devices[-1].used_bytes == pytest.approx(32 * layer + embedding, rel=1e-9)
    assert cpu_moe.devices[0].used_bytes == pytest.approx(total - 32 * layer + copy, rel=1e-9)
    # eight sequences touch 8 x (1 - (1 - 2/8)^8) = 7.20 of the 8 experts in a layer, a step reads each once, one
    # sequence 2: in RAM for the layers whose experts are there, on the card for the others (the cache adds 0.1 %).
    # With 32 tokens of context the fewest layers' experts in RAM, by the rule above: 4 for one sequence, 5 with the
    # cache and activations of eight
    short = [scenario("mixtral-8x7b", prompt_tokens=16, output_tokens=16, batch=b) for b in (1, 8)]
    one, eight = (plan_offload(sb, ram_gb=64) for sb in short)
    fewest = [next(k for k in range(33) if float(estimate_memory(sb).total) - k * layer + copy <= gpu.budget_bytes)
              for sb in short]
    assert fewest == [4, 5] and [one.cpu_moe_layers, eight.cpu_moe_layers] == fewest
    assert 8 * (1 - 0.75 ** 8) == pytest.approx(7.1991, abs=1e-4)
    card = default_catalog().gpu("rtx4090")
    card_rate = 1008e9 * bandwidth_efficiency(speed_key(ENGINES["llamacpp"], card, None), WEIGHT_FORMATS["q4_k_m"],
                                              card)
    sample = SAMPLE_S.get("llamacpp", 0.0) * 7                           # (the engine's sampling, per sequence)
    expert = layer / 8
    more = expert * ((7.1991 * 5 - 2 * 4) / ram_rate + (7.1991 * 27 - 2 * 28) / card_rate)
    # and the fifth layer whose experts the CPU runs hands its activations to the CPU and back (HAND_OFF); the CPU
    # runs the 2 experts of each of 7 sequences more in the 5 layers, 2 x 3 x 4,096 x 14,336 FLOPs a token each, at
    # the assumed 7.2 FLOP a byte of the RAM's 76.8 GB/s (offload.cpu_math_s)
    math = 7 * 5 * 2 * (2 * 3 * 4096 * 14336) / (7.2 * 76.8e9)
    assert eight.cpu_math_s == pytest.approx(math, rel=1e-6) and one.cpu_math_s == 0
    assert eight.decode_s - one.decode_s - sample == pytest.approx(more + HAND_OFF + math, rel=0.01)


def test_fit_places_an_moe_models_experts_over_two_cards():
    """Over two RTX 3060 12GB cards --fit shares every layer's dense part as the tensor split does, then each card
    takes the experts of as many of its layers as its room left holds: Mixtral 8x7B Q8_0 (46.5 GiB) keeps 32 layers'
    dense parts on the cards and some layers' experts in RAM, each card within its budget, and decodes faster than
    -ngl's whole-layer split of the same machine."""
    s = scenario("mixtral-8x7b", gpu="rtx3060-12gb", weights="q8_0", n_gpus=2)
    p = plan_offload(s, ram_gb=96)
    assert p.level == "partial" and p.cpu_layers == 0 and p.gpu_layers == 32 and 0 < p.cpu_moe_layers < 32
    first, second = (d.layers for d in p.devices[:2])        # (the first card also holds the experts' copy)
    assert first + second == 32 and first <= second
    assert all(d.used_bytes <= d.budget_bytes for d in p.devices)
    # the experts in RAM: those of the layers the cards do not hold, a layer's 8 experts at Q8_0 (8.5 bits)
    layer = 8 * 3 * 4096 * 14336 * 8.5 / 8
    assert p.devices[-1].used_bytes == pytest.approx(p.cpu_moe_layers * layer + 32000 * 4096 * 8.5 / 8, rel=1e-9)
    whole = plan_offload(s, ram_gb=96, gpu_layers=p.gpu_layers - p.cpu_moe_layers + 1)
    assert whole.cpu_layers > 0 and p.tokens_per_s > whole.tokens_per_s


def test_offload_decode_reads_the_experts_a_batch_touches():
    """Mixtral 8x7B Q4_K_M with 9 of 33 layers (-ngl 9: the output layer and 8) on an RTX 4060 and 24 in RAM: one
    sequence reads 2 of a layer's 8 experts, eight read the 7.20 they touch, on the card and in RAM alike, and the
    CPU runs the arithmetic of each sequence on its layers."""
    per_layer = 8 * 4096 * 14336 * (2 * Q4 + MIX) / 8 / 8                 # one expert of one layer
    one, eight = (plan_offload(scenario("mixtral-8x7b", gpu="rtx4060", prompt_tokens=16, output_tokens=16, batch=b),
                               ram_gb=64, gpu_layers=9) for b in (1, 8))
    assert (one.gpu_layers, one.cpu_layers) == (eight.gpu_layers, eight.cpu_layers) == (8, 24)
    key = speed_key(ENGINES["llamacpp"], default_catalog().gpu("rtx4060"), None)
    card_rate = 272e9 * bandwidth_efficiency(key, WEIGHT_FORMATS["q4_k_m"], default_catalog().gpu("rtx4060"))
    ram_rate = DEFAULT_RAM_BANDWIDTH_GB_S * GB * Q4_SHARE
    # and the cache: 7 sequences more of 256 cells (llama.cpp's padded context) x 8 heads x 128 x 2 x 2 B a layer
    more = ((7.1991 - 2) * per_layer + 7 * 256 * 4096) * (8 / card_rate + 24 / ram_rate)
    sample = SAMPLE_S.get("llamacpp", 0.0) * 7
    # and the CPU's arithmetic for the 7 sequences more on the 24 layers in RAM: a layer's attention weights (2 x
    # 4,096^2 + 2 x 4,096 x 1,024) and 2 experts (2 x 3 x 4,096 x 14,336), 2 FLOPs a weight, at the assumed 7.2 FLOP a
    # byte of the RAM's 76.8 GB/s (the attention over 32 keys and the router: under 0.1 %)
    math = 7 * 24 * 2 * (2 * 4096**2 + 2 * 4096 * 1024 + 2 * 3 * 4096 * 14336) / (7.2 * 76.8e9)
    assert eight.cpu_math_s == pytest.approx(math, rel=2e-3)
    assert eight.decode_s - one.decode_s - sample == pytest.approx(more + math, rel=0.01)
    assert eight.decode_s / one.decode_s > 3         # (3.3 times the one sequence's step)


def test_op_offload_copies_as_llama_servers_fit_breakdowns_printed():
    """Qwen3.5-9B UD-Q4_K_XL at n_ctx 8,192 on Vulkan (llama.cpp build 9849, llama-server's --fit breakdowns,
    HilbertraumAI/HilbertRaum issues #318 and #391): the compute buffer 416 MiB with every layer on the card, 447 with
    31 of 33 (a GTX 1070 Ti), and with four cache streams of 2,048 cells 392 against 424 with 18 of 33 (an RTX 3060
    Laptop GPU): 31 and 32 MiB more with layers in RAM.  The estimate's copy (at Q4_K_M, the nearest format): the
    largest of a layer's tensors,
    ffn_down 4,096 x 12,288 at the Q4_K / Q6_K mix (5.53 bits) = 33.19 MiB, against one attention layer's K and V,
    8,192 cells x 4 heads x (256 + 256) x 2 B = 32 MiB.  (The same runs printed 498 with 20 of 33 and 481 with 19:
    the buffer moves by 50 MiB with the layer count, which one tensor's copy does not follow.)"""
    cat = default_catalog()
    s = Scenario(model=cat.model("qwen3.5-9b"), gpu=cat.gpu("rtx3060-12gb"), weights="q4_k_m",
                 engine="llamacpp-vulkan", prompt_tokens=8192 - 256, output_tokens=256)
    copy = op_offload_copy_bytes(s, layers_in_ram=True)
    assert copy == pytest.approx(4096 * 12288 * MIX / 8) and copy / MIB == pytest.approx(33.1875)
    assert 4 * 512 * 2 * 8192 / MIB == 32.0 < copy / MIB
    for printed in (447 - 416, 424 - 392):
        assert copy / MIB == pytest.approx(printed, rel=0.08)
    assert op_offload_copy_bytes(s, layers_in_ram=False) == 0.0        # every layer on the card: no copy
    # builds before March 2024 (the no-CUDA-graphs profile) copied into the CUDA pool, not the compute buffer; Metal
    # reads host memory
    assert op_offload_copy_bytes(s.with_(engine="llamacpp-2023"), layers_in_ram=True) == 0.0
    assert op_offload_copy_bytes(s.with_(gpu=cat.gpu("m2-max-96gb"), engine="llamacpp"), layers_in_ram=True) == 0.0


def test_op_offload_copies_a_layers_cache_where_it_is_the_largest():
    """A public diagnostic note of an Ollama 0.33.1 load (Aug 2026; its repository not recorded): qwen2.5-coder:14b
    Q3_K_S at context 16,384 on an RTX 5070 Laptop GPU, 'offloaded 30/49 layers to GPU', a CUDA KV cache of 1,856 MiB
    and a CUDA compute buffer of 164.02 MiB.  -ngl 30 is the output layer and 29 repeating layers (PR #18148): their
    cache 29 x 16,384 x 2 x 8 x 128 x 2 B = 29 x 64 = 1,856 MiB, as printed.  The compute buffer: 98.08 MiB with every
    layer on the card (the estimate's, flash attention) and the K and V a prompt's pass copies of a layer in RAM, 64
    MiB (more than its largest weight, ffn 13,824 x 5,120 at Q3_K: 30 MiB): 162.08, 1.2 % under the log.  (Q3_K_M
    stands for Q3_K_S, which the catalog has not; the desktop RTX 5070 for the laptop's: with -ngl given neither the
    weights' bytes nor the card's size enter these figures.)"""
    cat = default_catalog()
    s = Scenario(model=cat.model("qwen2.5-14b"), gpu=cat.gpu("rtx5070"), weights="q3_k_m", engine="ollama-num-ctx",
                 prompt_tokens=16384 - 256, output_tokens=256)
    plan = plan_offload(s, ram_gb=32, gpu_layers=30)
    assert (plan.gpu_layers, plan.output_on_gpu, plan.ngl) == (29, True, 30)
    assert 29 * 16384 * 2 * 8 * 128 * 2 / MIB == 1856
    assert plan.copy_bytes == 16384 * 2 * 8 * 128 * 2 == 64 * MIB
    compute = float(estimate_memory(s).activations) + plan.copy_bytes
    assert compute / MIB == pytest.approx(164.02, rel=0.02)


def test_a_prompts_passes_copy_the_part_in_ram_to_the_card():
    """Llama 3.1 8B Q8_0 on an RTX 4060 (PCIe 4.0 x8, 16 GB/s) with 32 GB of RAM at 8,000 + 192 tokens: 28 of 32
    layers and the output layer on the card.  Each 512-token pass of the prompt (16 of them) copies the 4 layers in RAM,
    4 x (218,103,808 weights at Q8_0's 8.5 bits + two f32 norms) = 927.1 MB, and their K and V so far, 4 x 4,096 B a
    cell over 512 x 16 x 15 / 2 + 8,000 = 69,440 cells = 1.138 GB in all: 15.97 GB, at an assumed 30 % of the link
    (PCIE_COPY_EFFICIENCY) 3.33 s on top of the 4.25 s the prompt takes with every layer on the card."""
    from vramgui.core.offload import PCIE_COPY_EFFICIENCY
    from vramgui.core.speed import prefill_time
    cat = default_catalog()
    s = Scenario(model=cat.model("llama3.1-8b"), gpu=cat.gpu("rtx4060"), weights="q8_0", engine="llamacpp",
                 prompt_tokens=8000, output_tokens=192)
    plan = plan_offload(s, ram_gb=32)
    assert (plan.level, plan.gpu_layers, plan.output_on_gpu) == ("partial", 28, True)
    layer = 218_103_808 * 8.5 / 8 + 2 * 4096 * 4 + 4096 * 4 / 32     # (the final norm's share of a layer)
    cells = 512 * 16 * 15 / 2 + 8000
    copied = 16 * 4 * layer + 4 * 4096 * cells
    assert plan.prompt_copy_bytes == pytest.approx(copied, rel=1e-6) and copied / 1e9 == pytest.approx(15.97, abs=0.01)
    assert plan.link_bytes_per_s == 16e9 and PCIE_COPY_EFFICIENCY == 0.3
    gpu_only = float(prefill_time(s, 8000, 1))
    assert plan.prefill_s == pytest.approx(gpu_only + copied / (16e9 * 0.3), rel=1e-9)
    assert plan.prefill_s - gpu_only == pytest.approx(3.33, abs=0.01)
    # two prompts of 4,000 share the passes: the same 16 passes over the same 8,000 cells
    from vramgui.core.offload import prompt_copy_bytes
    assert prompt_copy_bytes(s.with_(prompt_tokens=4000, batch=2), 4 * layer, 4 * 4096) == pytest.approx(copied)
    # every layer on the card: no copies; a prompt under 32 tokens: the CPU computes its part in RAM, no copies
    assert plan_offload(s.with_(model=cat.model("llama3.2-3b")), ram_gb=32).prompt_copy_bytes == 0
    assert plan_offload(s.with_(prompt_tokens=31), ram_gb=32).prompt_copy_bytes == 0


def test_partial_offload_sweeps_copy_at_a_rate_of_their_own():
    """Four llama-bench -ngl sweeps (tests/data/measured/partial_offload_sweeps.json): with every repeating layer
    that stays in RAM a pass takes longer by the same time per byte, a rate of the machine's own: 7.0-8.3 GB/s on an
    RTX 5050 Laptop GPU (22-26 % of the card's PCIe 5.0 x8), 1.59-1.71 GB/s on a Tesla P4 (10-11 % of PCIe 3.0 x16),
    and between -ngl 0 and 6 on an RTX 3090 Ti under WSL 5.6 GB/s for Llama 2 7B and 15.9 for Mixtral (17 and 50 % of
    PCIe 4.0 x16).  The assumed share, PCIE_COPY_EFFICIENCY, lies between them.  (Rows with fewer than 5 layers in
    RAM, whose difference from the full offload is within the runs' spread, are left out.)"""
    from vramgui.core.formats import WEIGHT_FORMATS
    from vramgui.core.offload import PCIE_COPY_EFFICIENCY
    from vramgui.core.weights import weight_bytes
    data = json.loads((Path(__file__).parent / "data" / "measured" / "partial_offload_sweeps.json").read_text())
    cat = default_catalog()
    shares = []
    for sweep in data["sweeps"]:
        a = cat.model(sweep["model_ref"]).architecture
        wb = weight_bytes(a, WEIGHT_FORMATS[sweep["weights"]])
        layer = (wb.linear + wb.other) / a.num_layers
        tokens, first = sweep["tokens_a_pass"], sweep["ngl_counts"] == "output first"

        def in_ram(ngl, a=a, first=first):
            return a.num_layers - (max(ngl - 1, 0) if first else ngl)
        rows = {int(n): tokens / pp for n, pp in sweep["pp"].items()}      # seconds a pass
        if 99 in rows:      # against the full offload, every split
            rates = [in_ram(n) * layer / (t - rows[99]) for n, t in rows.items() if n < 99 and in_ram(n) >= 5]
            assert max(rates) / min(rates) < 1.25, (sweep["gpu"], rates)     # the same rate at every split
        else:               # between the two splits printed
            (n0, t0), (n1, t1) = sorted(rows.items())
            rates = [(in_ram(n0) - in_ram(n1)) * layer / (t0 - t1)]
        shares += [r / (sweep["link_gb_s"] * 1e9) for r in rates]
    assert min(shares) < PCIE_COPY_EFFICIENCY < max(shares)
    assert 0.09 < min(shares) < 0.11 and 0.45 < max(shares) < 0.55


@pytest.mark.parametrize("model, weights, engine, experts, n", [
    ("llama2-70b", "q4_k_m", "llamacpp", False, 1), ("mixtral-8x7b", "q4_k_m", "llamacpp", True, 1),
    ("qwen3-32b", "q4_k_m", "llamacpp-vulkan", False, 1), ("llama3.1-70b", "q4_k_m", "ollama", False, 1),
    ("llama3.1-70b", "bf16", "hf", False, 1), ("gemma3-27b", "q8_0", "llamacpp-2023", False, 1),
    ("llama3.1-405b", "q4_k_m", "llamacpp", False, 2), ("llama3.1-70b", "bf16", "vllm", False, 2),
    ("llama3.1-70b", "bf16", "vllm", False, 1), ("llama3.1-70b", "q4_k_m", "ollama", False, 2),
    ("qwen3-32b", "bf16", "sglang", False, 1), ("llama3.1-70b", "bf16", "generic", False, 2)])
def test_a_plan_for_every_card_equals_each_card_planned_alone(model, weights, engine, experts, n):
    """The fit table plans every card in turn, and a plan keeps what it worked out before looking at the card for the
    next cards' (offload._shared; with vLLM and Ollama, for the cards the engine picks the same defaults for): each
    card's plan is the one planned with nothing kept."""
    from vramgui.core import offload
    cat = default_catalog()
    s = Scenario(model=cat.model(model), gpu=cat.gpu("rtx4090"), n_gpus=n, weights=weights, engine=engine,
                 prompt_tokens=6000, output_tokens=200)
    in_turn = [plan_offload(s.model_copy(update={"gpu": g}), 64, experts_on_cpu=experts, with_prefill=False)
               for g in cat.gpus.values()]
    for g, plan in zip(cat.gpus.values(), in_turn, strict=True):
        offload._SHARED.clear()
        alone = plan_offload(s.with_(gpu=g), 64, experts_on_cpu=experts, with_prefill=False)
        assert replace(plan, prefill_s=0.0) == replace(alone, prefill_s=0.0), g.id     # (nan is not nan)
    assert "partial" in {p.level for p in in_turn}
    # ... and the window's table plans them all at once (plan_offload_cards): the same plans, to the last bit
    at_once = offload.plan_offload_cards(s, 64, list(cat.gpus.values()), experts_on_cpu=experts)
    assert [replace(p, prefill_s=0.0) for p in at_once] == [replace(p, prefill_s=0.0) for p in in_turn]


@pytest.mark.parametrize("model, weights, engine, n, settings", [
    ("qwen3-30b-a3b", "q4_k_m", "llamacpp", 1, {"n_cpu_moe": 20}),          # --n-cpu-moe: experts of the first 20
    ("gpt-oss-120b", "gguf-mxfp4", "llamacpp", 3, {"n_cpu_moe": 7}),          # ... on three cards
    ("gpt-oss-120b", "gguf-mxfp4", "llamacpp", 1, {"pinned": True}),          # --fit's experts back on the card
    ("qwen3-235b-a22b", "q4_k_m", "llamacpp", 2, {"ram_bandwidth_gb_s": 300.0}),
    ("llama2-70b", "q4_k_m", "llamacpp-2023", 3, {}),                         # the output layer last, not first
    ("deepseek-v2-lite", "q8_0", "ollama-num-ctx", 1, {})])
@pytest.mark.parametrize("ram, prompt, batch", [(0, 512, 1), (16, 32768, 4), (256, 4096, 64)])
def test_every_cards_plan_at_once_equals_each_cards_plan(model, weights, engine, n, settings, ram, prompt, batch):
    """plan_offload_cards works out every card's plan in numpy rows of the scenario's cards; each equals plan_offload's
    for that card alone, every field (the layers on each card and in RAM, the bytes on each, the copies, the decode
    step) to the last bit: no RAM (a Mac's unified pool alone), a little, a lot; decode steps of 4 and of 64 sequences
    (op offload copies the part in RAM for each)."""
    from vramgui.core.offload import plan_offload_cards
    cat = default_catalog()
    gpus = list(cat.gpus.values())
    s = Scenario(model=cat.model(model), gpu=cat.gpu("rtx4090"), n_gpus=n, weights=weights, engine=engine,
                 prompt_tokens=prompt, batch=batch)
    at_once = plan_offload_cards(s, ram, gpus, **settings)
    alone = [plan_offload(s.model_copy(update={"gpu": g}), ram, with_prefill=False, **settings) for g in gpus]
    for g, a, b in zip(gpus, at_once, alone, strict=True):
        assert replace(a, prefill_s=0.0) == replace(b, prefill_s=0.0), g.id
    assert len({p.level for p in alone}) >= 2


def test_two_unequal_cards_split_by_free_memory_never_pooled():
    cat = default_catalog()
    s = scenario("llama2-70b")
    p = plan_offload(s, ram_gb=64, gpus=[cat.gpu("rtx4090"), cat.gpu("rtx3060-12gb")])
    big, small, ram = p.devices
    assert big.used_bytes <= big.budget_bytes and small.used_bytes <= small.budget_bytes
    per_layer = llama2_70b_layer_bytes() + 16 * MIB
    free_small = small.budget_bytes - 900 * MIB           # (the context and compute buffer, as above)
    assert small.layers == int(free_small // per_layer)     # each card takes what it can hold
    assert big.layers == 46 and p.gpu_layers == 46 + small.layers and ram.layers == 80 - p.gpu_layers
    # a prompt's pass copies the RAM layers' largest tensor to the first card only (ffn_down: 154.9 MiB, as above);
    # the output layer goes to the last
    head = 32000 * 8192 * 6.5625 / 8
    assert p.copy_bytes == pytest.approx(28672 * 8192 * MIX / 8)
    assert big.used_bytes == pytest.approx(900 * MIB + p.copy_bytes + 46 * per_layer, rel=1e-5)
    assert small.used_bytes == pytest.approx(900 * MIB + small.layers * per_layer + head, rel=1e-5)
    one = plan_offload(s, ram_gb=64)
    assert p.tokens_per_s > one.tokens_per_s


def test_apple_unified_memory_share():
    cat = default_catalog()
    p = plan_offload(scenario("llama2-70b", gpu="m2-ultra-192gb"), ram_gb=0)
    assert p.level == "gpu"
    assert p.devices[0].budget_bytes == pytest.approx(0.75 * 196608 * MIB)
    big = plan_offload(scenario("llama3.1-405b", gpu="m2-ultra-192gb"), ram_gb=0)
    assert big.level in ("partial", "none") and big.devices[-1].budget_bytes == pytest.approx(0.25 * 196608 * MIB)
    assert cat.gpu("m2-ultra-192gb").unified_memory


def test_cli_offload_json(capsys):
    rc = main(["estimate", "--model", "llama2-70b", "--gpu", "rtx4090", "--weights", "q4_k_m", "--engine",
               "llamacpp", "--attention", "eager", "--prompt", "4000", "--output", "96", "--ram", "64", "--json"])
    o = json.loads(capsys.readouterr().out)["offload"]
    assert rc == 0 and (o["gpu_layers"], o["cpu_layers"], o["level"]) == (46, 34, "partial")
    assert (o["output_on_gpu"], o["ngl"]) == (True, 47)
    assert [d["device"] for d in o["per_device"]] == ["NVIDIA GeForce RTX 4090", "system RAM"]
    # in words: the CLI's lines, and the same as the report's bullets after the figures that keep every layer on the
    # card (the window's report and summary with System RAM entered); a pass's copy, ffn_down at 154.9 MiB, is
    # counted by hand above
    rc = main(["estimate", "--model", "llama2-70b", "--gpu", "rtx4090", "--weights", "q4_k_m", "--engine",
               "llamacpp", "--attention", "eager", "--prompt", "4000", "--output", "96", "--ram", "64"])
    text = capsys.readouterr().out
    # (the speed line keeps every layer on the card, and says so where the offload line gives the plan's instead)
    assert "\nspeed (all on the card: see offload): prefill " in text
    lines = offload_lines(o, 4096)
    assert lines[0].startswith("offload: partly offloaded (46 of 80 layers and the output layer on GPU) - NVIDIA "
                               "GeForce RTX 4090 ") and lines[0] in text
    assert lines[1] == ("  the first card's compute buffer holds 155 MiB more: a prompt's pass copies tensors of the "
                        "part in RAM there (llama.cpp's op offload)") and lines[1] in text
    assert lines[2].startswith("  first token ") and lines[2] in text
    # and the largest prompt the card and the RAM hold (core.offload.max_prompt_offloaded, hand-counted in
    # test_largest_prompt_the_card_and_the_ram_hold), past the model's own limit
    most = max_prompt_offloaded(scenario("llama2-70b"), 64)
    assert (o["max_prompt_tokens"], o["max_context"]) == (most, most + 96) and most + 96 > 4096
    assert lines[3] == (f"  largest prompt on the card and in 59.60 GiB of system RAM: {most:,} tokens (context "
                        f"{most + 96:,}, past the model's 4,096)") and lines[3] in text
    # and the most sequences of this prompt and output (core.offload.max_batch_offloaded; eager attention's scores
    # make one long context cost more than as many cells in short ones)
    seqs = max_batch_offloaded(scenario("llama2-70b"), 64)
    assert o["max_batch"] == seqs > (most + 96) // 4096
    assert lines[4] == f"  most sequences of this prompt and output there: {seqs:,}" and lines[4] in text
    # and what the plan serves: 96 tokens in 96 of its steps and its first token
    rate = 96 / (96 / o["decode_tokens_per_second"] + o["prefill_seconds"])
    assert lines[5] == f"  served as planned (prompts included): {rate:,.2f} generated tokens/s in all" \
        and lines[5] in text
    # and the sequences the plans serve most at, with their first token (core.offload.best_batch_offloaded)
    assert lines[6].startswith(f"  the most served: {o['best_served_tokens_per_second']:,.2f} generated tokens/s in "
                               f"all at {o['best_batch']:,} sequences") and lines[6] in text
    assert len(lines) == 7
    s = scenario("llama2-70b")
    plan = with_max_batch(with_max_prompt(plan_offload(s, 64), s, max_prompt_offloaded(s, 64)), seqs)
    md = report_markdown(estimate_dict(s, offload=plan))      # (a plan without the best-batch search: as the window's)
    assert md.split("Offload to system RAM, as planned (the figures above keep every layer on the card):\n\n")[1] \
        .startswith("\n".join(f"- {line.strip()}" for line in lines[:6]) + "\n\nModel source: ")
    assert "Offload" not in report_markdown(estimate_dict(s))
    rc = main(["estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--ram", "64"])     # (fits: nothing to see)
    assert rc == 0 and "\nspeed: prefill " in capsys.readouterr().out
    # --offload N is llama.cpp's -ngl N (the output layer and N - 1 layers); none: all 80 and the output, or nothing
    for flag, want in (("20", (19, True, "partial")), ("none", (80, True, "none"))):
        rc = main(["estimate", "--model", "llama2-70b", "--gpu", "rtx4090", "--weights", "q4_k_m", "--engine",
                   "llamacpp", "--ram", "64", "--offload", flag, "--json"])
        o = json.loads(capsys.readouterr().out)["offload"]
        assert rc == 0 and (o["gpu_layers"], o["output_on_gpu"], o["level"]) == want, flag
    rc = main(["estimate", "--model", "mixtral-8x7b", "--gpu", "rtx4090", "--weights", "q4_k_m", "--engine",
               "llamacpp", "--ram", "64", "--experts-on-cpu", "--offload", "auto", "--json"])
    assert json.loads(capsys.readouterr().out)["offload"]["experts_on_cpu"]
    rc = main(["estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--offload", "lots"])
    assert rc == 2 and "--offload must be auto, none or a number" in capsys.readouterr().err
    # --n-cpu-moe N: the experts of the first N layers in RAM, every layer and the output on the card (-ngl 33), and
    # in words the flags and the hand-off of each such layer
    mix = ["estimate", "--model", "mixtral-8x7b", "--gpu", "rtx4090", "--weights", "q4_k_m", "--engine", "llamacpp",
           "--ram", "64", "--n-cpu-moe", "8"]
    rc = main([*mix, "--json"])
    o = json.loads(capsys.readouterr().out)["offload"]
    assert rc == 0 and (o["cpu_moe_layers"], o["gpu_layers"], o["ngl"], o["level"]) == (8, 32, 33, "partial")
    assert offload_lines(o)[1] == ("  the routed experts of 8 layers in RAM (llama.cpp: -ngl 33 --n-cpu-moe 8); the "
                                   "CPU runs them, and each such layer hands its activations to the CPU and back, "
                                   "0.14 ms a step")
    for bad in (["--n-cpu-moe", "-1"], ["--n-cpu-moe", "4", "--experts-on-cpu"]):
        rc = main([*mix[:-2], *bad])
        assert rc == 2 and "--n-cpu-moe takes a number of layers, 0 or more" in capsys.readouterr().err, bad
    # --no-mmap: the part in RAM in pinned host memory, copied at PINNED_COPY_EFFICIENCY (84 %) of the link
    rc = main([*mix, "--no-mmap", "--json"])
    pinned = json.loads(capsys.readouterr().out)["offload"]
    assert rc == 0 and (o["copy_share"], pinned["copy_share"]) == (0.3, 0.84)
    first = next(line for line in offload_lines(pinned) if line.startswith("  first token "))
    assert pinned["prefill_seconds"] < o["prefill_seconds"] and "(at an assumed 84% (pinned host memory) of its " \
        "32 GB/s link)" in first
    rc = main(["estimate", "--model", "llama2-70b", "--gpu", "rtx4090", "--ram", "64", "--n-cpu-moe", "8"])
    assert rc == 2 and "--n-cpu-moe: Llama 2 70B has no routed experts (a dense model); --offload N keeps whole " \
        "layers in RAM instead" in capsys.readouterr().err


def test_unified_memory_reads_at_the_chips_bandwidth():
    # M2 Ultra: 800 GB/s for the GPU and the CPU alike.  Llama 3.1 405B Q3_K_M (~180 GB) is larger
    # than the GPU's 144 GiB share: some layers run on the CPU side of the same memory.
    s = scenario("llama3.1-405b", gpu="m2-ultra-192gb", weights="q3_k_m")
    default = plan_offload(s, ram_gb=0)
    slow = plan_offload(s, ram_gb=0, ram_bandwidth_gb_s=DEFAULT_RAM_BANDWIDTH_GB_S)
    assert default.level == slow.level == "partial" and default.cpu_layers == slow.cpu_layers > 0
    assert default.tokens_per_s > 2 * slow.tokens_per_s


def test_plan_on_the_gpu_keeps_the_engines_host_floor_and_moe_layer_cost():
    # When everything fits, the plan's decode is the speed model's, floors included.
    cat = default_catalog()
    # HF eager, Llama 2 7B fp16 on an A100 80GB: the card reads 13.5 GB in ~8.3 ms (2.039 TB/s × 80 %),
    # but Python launches 32 layers × 0.83 ms (a server's host) = 26.6 ms a token: the host floor decides.
    hf = Scenario(model=cat.model("llama2-7b"), gpu=cat.gpu("a100-80gb"), engine="hf", weights="fp16",
                  prompt_tokens=512, output_tokens=128)
    p = plan_offload(hf, 64)
    assert p.level == "gpu" and p.decode_s == pytest.approx(32 * 0.83e-3, rel=0.001)
    # vLLM, DeepSeek-V2-Lite bf16: 27 layers × 40 µs, 26 of them MoE × 25 µs more, + 0.5 ms per step
    # = 2.23 ms on top of the bytes; the same step time as estimate_speed's.
    moe = hf.with_(model=cat.model("deepseek-v2-lite"), engine="vllm", weights="bf16")
    p = plan_offload(moe, 64)
    fixed = 0.5e-3 + 27 * 40e-6 + 26 * 25e-6
    assert p.level == "gpu" and p.decode_s == pytest.approx(float(estimate_speed(moe).decode_step_s), rel=0.001)
    sol = float(estimate_speed(moe).sol_decode_step_s)          # bytes at full bandwidth, no floors
    assert p.decode_s - fixed == pytest.approx(sol / 0.85, rel=0.01)   # vLLM at 85 % of peak


def test_the_output_layer_first_as_an_ollama_llama_server_placed_it():
    """An Ollama llama-server log of 2026-06-28 (Hermes 3 Llama 3.1 8B Q4_0 with its Q6_K output layer, -c 32768 -np 1,
    flash attention, an RTX 2060 with 5,141 MiB free once its CUDA context was up, 64 GB of RAM; posted in a GitHub
    issue whose address was not kept): --fit kept 1,024 MiB free and chose -ngl 15, 'offloading output layer to GPU',
    'offloading 14 repeating layers to GPU', a CUDA0 model buffer of 2,049.43 MiB and a KV buffer of 1,792 MiB."""
    cat = default_catalog()
    card = cat.gpu("rtx2060").model_copy(update={"memory_mib": 5141 + 300})   # the free 5,141 + the context counted
    s = Scenario(model=cat.model("llama3.1-8b"), gpu=card, weights="q4_0", engine="ollama-num-ctx",
                 prompt_tokens=32768 - 256, output_tokens=256)
    plan = plan_offload(s, ram_gb=64)
    assert (plan.level, plan.ngl, plan.gpu_layers, plan.output_on_gpu) == ("partial", 15, 14, True)
    # by hand: a Q4_0 layer, 218,103,808 weights at 4.5 bits + two f32 norms = 117.03 MiB; the output layer, 128,256 x
    # 4,096 at Q6_K's 6.5625 bits = 410.98 MiB; a layer's f16 cache at 32,768 cells, 32,768 x 2 x 1,024 x 2 = 128 MiB.
    # The card: the budget 5,441 - 1,024 = 4,417 MiB, less the context (300) and the compute buffer: 136.06 with
    # every layer on the card, and with layers in RAM a prompt's pass copies one of their layers' K and V to it (op
    # offload: 128 MiB, more than its largest weight, ffn 14,336 x 4,096 at 4.5 bits = 31.5 MiB): 264.06, where the
    # log printed 248 (+6.5 %); less the output layer: floor(3,442 / 245.03) = 14 layers
    layer = 218_103_808 * 4.5 / 8 + 2 * 4096 * 4
    head = 128256 * 4096 * 6.5625 / 8
    compute = 136.0625 * MIB + 128 * MIB
    assert compute / MIB == pytest.approx(248, rel=0.07)
    assert int((4417 * MIB - 300 * MIB - compute - head) // (layer + 128 * MIB)) == 14
    fixed = 300 * MIB + compute
    weights_on_card = plan.devices[0].used_bytes - fixed - 14 * 128 * MIB
    assert weights_on_card == pytest.approx(14 * layer + head + 4096 * 4, rel=1e-4)
    assert weights_on_card / MIB == pytest.approx(2049.43, rel=0.001)          # the log's CUDA0 model buffer


def test_cpu_decode_reads_ram_at_the_measured_share():
    """Published CPU-only decode (tests/data/measured/cpu_decode.json: an EPYC 9554 with 12 channels of DDR5-4800,
    460.8 GB/s; an i7-8700 with dual-channel DDR4-2400, 38.4 GB/s): the share of the RAM's peak at which each run
    read its weights (the bytes the model counts a token, times tokens/s, over the peak) sits, per class of bits, at
    the share the plan assumes (offload.CPU_BW_SHARES: the median below 6 bits, the one point each at Q6_K and Q8_0),
    and every run's plan with no layer on the card (-ngl 0, the RAM's peak entered) decodes within 12 % of it."""
    from vramgui.core.weights import active_weight_bytes
    cat = default_catalog()
    data = json.loads((Path(__file__).parent / "data" / "measured" / "cpu_decode.json").read_text())
    shares: dict[float, list[float]] = {}
    for pt in data["points"]:
        fmt = WEIGHT_FORMATS[pt["weights"]]
        read = active_weight_bytes(cat.model(pt["model_ref"]).architecture, fmt)
        bits = next(b for b, _ in CPU_BW_SHARES if fmt.linear_bits < b)
        shares.setdefault(bits, []).append(read * pt["tokens_per_s"] / (pt["peak_gb_s"] * 1e9))
        s = Scenario(model=cat.model(pt["model_ref"]), gpu=cat.gpu("rtx4090"), weights=pt["weights"],
                     engine="llamacpp", prompt_tokens=16, output_tokens=pt["generated"])
        plan = plan_offload(s, 512, gpu_layers=0, ram_bandwidth_gb_s=pt["peak_gb_s"])
        assert plan.level == "cpu" and plan.tokens_per_s == pytest.approx(pt["tokens_per_s"], rel=0.12), pt["id"]
    assert [len(v) for v in shares.values()] == [7, 1, 1]
    for bits, share in CPU_BW_SHARES:
        assert np.median(shares[bits]) == pytest.approx(share, abs=0.005), bits
    assert 0.50 < min(shares[6.0]) and max(shares[6.0]) < 0.60       # (the two machines agree)
    # Q4_K_M reads at the low-bit share, Q6_K between, Q8_0 and 16-bit weights at Q8_0's
    assert [cpu_bandwidth_share(WEIGHT_FORMATS[f]) for f in ("q4_k_m", "q6_k", "q8_0", "fp16")] == \
        [0.54, 0.585, 0.63, 0.63]


def test_the_cpus_arithmetic_rate_is_the_median_of_published_prompt_rates():
    """offload.CPU_FLOPS_PER_RAM_BYTE: three llama.cpp CPU prompt rates on machines whose RAM is stated
    (tests/data/measured/cpu_batch.json), each pass's FLOPs a token (2 per weight past the token table, as llama-bench
    counts the parameters; the attention over half the prompt's keys on average: 2 x heads x (d_k + d_v) a key and
    layer) times tokens/s, over the RAM's peak: 4.5 to 18.0 FLOP a byte, the median 7.2.  An Apple chip's CPU reaches
    far less of its unified memory's, which is its GPU's (offload.APPLE_CPU_FLOPS_PER_BYTE): an M2 Max's 2.5, an M4
    Max's 2.7 or 3.6 (by which of its two chips)."""
    data = json.loads((Path(__file__).parent / "data" / "measured" / "cpu_batch.json").read_text())
    shapes = {   # (parameters, token table, layers, heads, d_k + d_v)
        "qwen2.5-coder-32b": (32_763_876_352, 152_064 * 5_120, 64, 40, 256),
        "llama3.1-8b": (8_030_261_248, 128_256 * 4_096, 32, 32, 256),
        "llama3.2-3b": (3_212_749_824, 0, 28, 24, 256),         # (tied: the table is the output layer)
        "llama2-7b": (6_738_415_616, 32_000 * 4_096, 32, 32, 256),
    }

    def flop_rate(pt) -> float:       # FLOP/s
        params, table, layers, heads, dims = shapes[pt["model_ref"]]
        per_token = 2 * (params - table) + 2 * layers * heads * dims * pt["prompt"] / 2
        s = Scenario(model=default_catalog().model(pt["model_ref"]), gpu=default_catalog().gpu("rtx4090"),
                     weights=pt["weights"], engine="llamacpp", prompt_tokens=pt["prompt"], output_tokens=0)
        t = speed_terms(s)            # (the model's own count of a step's FLOPs agrees)
        assert float(t.matmul_flops + decode_attention_flops(t, pt["prompt"] / 2)) == \
            pytest.approx(per_token, rel=0.003)
        return per_token * pt["tokens_per_s"]

    rates = [flop_rate(pt) / (pt["peak_gb_s"] * 1e9) for pt in data["points"]]
    assert sorted(round(r, 1) for r in rates) == [4.5, 7.2, 18.0]
    assert CPU_FLOPS_PER_RAM_BYTE == pytest.approx(np.median(rates), rel=0.01) == 7.2
    m2, m4 = data["apple"]
    assert flop_rate(m2) / (m2["peak_gb_s"] * 1e9) == pytest.approx(APPLE_CPU_FLOPS_PER_BYTE, rel=0.01) == 2.5
    assert [round(flop_rate(m4) / (bw * 1e9), 1) for bw in m4["peak_gb_s"]] == [3.6, 2.7]
    # the rate the plans take: 7.2 x 76.8 GB/s beside a PC's default RAM, 2.5 x 400 GB/s on an M2 Max
    assert float(cpu_flops_per_s(76.8)) == pytest.approx(553e9, rel=1e-3)
    assert plan_offload(scenario("llama2-70b", gpu="m2-max-96gb"), ram_gb=96, gpu_layers=60).cpu_flops_per_s == \
        pytest.approx(1.0e12, rel=1e-9)


def test_each_sequence_adds_its_arithmetic_to_the_cpus_reads():
    """The form of offload.cpu_math_s: a CPU's step of b sequences is its one-sequence step plus b - 1 tokens'
    arithmetic, not the larger of the two.  llama.cpp's batched-bench on an AWS c5.4xlarge, CPU only (tests/data/
    measured/cpu_batch.json's batched run: Mistral 7B Q4_0, 128-token prompts at 14.01 tokens/s, 64 tokens each from
    1 to 4 sequences at 10.61, 12.11, 12.46 and 12.67 tokens/s in all): with that machine's own rate (its prompt's)
    the sum gives each step within 3 %; the larger of the two would be 9-14 % under."""
    run = json.loads((Path(__file__).parent / "data" / "measured" / "cpu_batch.json").read_text())["batched"][0]
    step = {int(b): int(b) / r for b, r in run["sequences_tokens_per_s"].items()}
    flops = 2 * (7_241_732_096 - 32_000 * 4_096)        # a token's, 2 per weight past the table (Mistral 7B)
    rate = run["prompt_tokens_per_s"] * flops
    for b in (2, 3, 4):
        added = cpu_math_s(flops, b, rate)
        assert added == pytest.approx((b - 1) / 14.01, rel=1e-9)
        assert step[1] + added == pytest.approx(step[b], rel=0.03), b
        assert max(step[1], b / 14.01) < 0.91 * step[b]


def test_a_cpu_step_of_several_sequences_as_an_epyc_9655_ran_them():
    """The CPU's arithmetic grows a step with the sequences (offload.cpu_math_s).  An EPYC 9655 with 12 channels of
    DDR5 (460 GB/s) ran Qwen2.5-Coder-32B Q4_K_M on its CPU alone (tests/data/measured/cpu_batch.json's sweep): an
    8-token pass 293.3 ms, a 16-token pass 297.6 ms, a 32-token pass 529.5 ms (31 tokens at its rate: 509.4).  The
    plan with no layer on the card and that RAM: 8, 16 and 31 sequences 26 % under, 26 % and 31 % over (its reads
    alone, 81-82 ms, 72-84 % under).  Its CPU rate, 7.2 FLOP a byte, is the median machine's; this one's prompt rate
    is 18.0, but its passes of 2 to 31 tokens run well under that: a step of 16 takes 10.4 ms a token more than one,
    where its prompt rate gives 7.7 and the plan's 19.4.  One sequence the plan reads faster than this machine did
    (80.8 ms against 142.0: its share of the peak, 0.30, is under the 0.54 the plan takes from the median of
    CPU_BW_SHARES' machines)."""
    sweep = {int(k): v for k, v in json.loads((Path(__file__).parent / "data" / "measured" / "cpu_batch.json")
                                               .read_text())["points"][0]["sweep"].items()}
    measured = {b: b / sweep[b] for b in (1, 8, 16)} | {31: 31 / sweep[32]}
    assert measured == pytest.approx({1: 0.1420, 8: 0.2933, 16: 0.2972, 31: 0.5094}, rel=1e-3)
    s = scenario("qwen2.5-coder-32b", prompt_tokens=1, output_tokens=0)
    steps = {b: plan_offload(s.with_(batch=b), 256, gpu_layers=0, ram_bandwidth_gb_s=460, with_prefill=False)
             for b in (1, 8, 16, 31)}
    assert all(p.level == "cpu" and p.step_copy_bytes == 0 for p in steps.values())
    for b in (8, 16, 31):          # within 35 % (8 under, 16 and 31 over), the reads alone 70 % or more under
        error = steps[b].decode_s / measured[b] - 1
        assert abs(error) < 0.35 and (error < 0) == (b == 8), b
        assert steps[b].decode_s - steps[b].cpu_math_s < 0.3 * measured[b]
    # by hand: one sequence reads the file's 19,845,357,568 bytes (the CSV's model_size) at 0.54 of 460 GB/s; each
    # more adds 2 x (32,763,876,352 - 152,064 x 5,120) FLOPs (the attention over a few keys: under 0.1 %) at 7.2 x
    # 460 GB/s, 19.3 ms
    assert steps[1].decode_s == pytest.approx(19_845_357_568 / (460e9 * Q4_SHARE), rel=0.02)
    assert steps[1].cpu_math_s == 0
    per_token = 2 * (32_763_876_352 - 152_064 * 5_120) / (7.2 * 460e9)
    assert (steps[16].decode_s - steps[1].decode_s) / 15 == pytest.approx(per_token, rel=0.02)


def test_n_cpu_moe_keeps_the_first_layers_experts_in_ram():
    """llama.cpp's --n-cpu-moe N (n_cpu_moe): the routed experts of the first N layers stay in RAM, every other
    weight on the card(s), every layer there unless -ngl says otherwise.  Mixtral 8x7B Q4_K_M beside an RTX 4090:
    with 8 layers' experts in RAM the card holds the rest (the plan's own choice, 5, needs the fewest); with 3 it
    cannot (does not fit).  Each layer more whose experts are in RAM moves its 2 routed experts' reads from the card
    to the CPU and adds the hand-off of its activations to the CPU and back."""
    s = scenario("mixtral-8x7b")
    layer = 8 * 4096 * 14336 * (2 * Q4 + MIX) / 8                   # a layer's 8 experts (853.3 MB)
    copy = 8 * 14336 * 4096 * MIX / 8                               # ffn_down_exps, op offload's copy
    embedding = 32000 * 4096 * Q4 / 8
    total = float(estimate_memory(s).total)
    eight, ten = (plan_offload(s, ram_gb=64, n_cpu_moe=n) for n in (8, 10))
    assert (eight.level, eight.gpu_layers, eight.cpu_layers, eight.cpu_moe_layers, eight.ngl) == ("partial", 32, 0,
                                                                                                     8, 33)
    assert eight.devices[0].used_bytes == pytest.approx(total - 8 * layer + copy, rel=1e-9)
    assert eight.devices[-1].used_bytes == pytest.approx(8 * layer + embedding, rel=1e-9)
    card = default_catalog().gpu("rtx4090")
    card_rate = 1008e9 * bandwidth_efficiency(speed_key(ENGINES["llamacpp"], card, None), WEIGHT_FORMATS["q4_k_m"],
                                              card)
    ram_rate = DEFAULT_RAM_BANDWIDTH_GB_S * GB * Q4_SHARE
    two_experts = 2 * layer / 8
    assert ten.decode_s - eight.decode_s == pytest.approx(2 * (two_experts / ram_rate - two_experts / card_rate
                                                                + HAND_OFF), rel=1e-6)
    assert plan_offload(s, ram_gb=64, n_cpu_moe=3).level == "none"        # 27.34 GiB less 3 layers' experts
    # N = 0 keeps every expert on the card (as a plan without it that gives every layer to the card); N >= 32 and
    # --cpu-moe are the same plan
    def same(p, q):       # (a plan that does not fit has no time to first token: nan, unequal to itself)
        return replace(p, prefill_s=0.0) == replace(q, prefill_s=0.0)

    assert plan_offload(s, ram_gb=64, n_cpu_moe=0).level == "none"
    assert same(plan_offload(s, ram_gb=64, n_cpu_moe=0), plan_offload(s, ram_gb=64, gpu_layers=33))
    assert same(plan_offload(s, ram_gb=64, n_cpu_moe=40), plan_offload(s, ram_gb=64, experts_on_cpu=True,
                                                                       gpu_layers=33))
    # -ngl 29 with it: the first 4 layers whole in RAM, the experts of the next 4 too
    both = plan_offload(s, ram_gb=64, n_cpu_moe=8, gpu_layers=29)
    assert (both.cpu_layers, both.gpu_layers, both.cpu_moe_layers) == (4, 28, 4)
    # on two cards the first card's layers come first: with 20 of 32 layers' experts in RAM the first card (16 layers)
    # keeps none of its experts, the second the experts of its last 12
    two = plan_offload(scenario("mixtral-8x7b", gpu="rtx3090", n_gpus=2), ram_gb=64, n_cpu_moe=20)
    none_back = plan_offload(scenario("mixtral-8x7b", gpu="rtx3090", n_gpus=2), ram_gb=64, experts_on_cpu=True,
                             gpu_layers=33)
    assert [d.layers for d in two.devices[:2]] == [16, 16] and two.cpu_moe_layers == 20
    assert two.devices[0].used_bytes == pytest.approx(none_back.devices[0].used_bytes, rel=1e-12)
    assert two.devices[1].used_bytes - none_back.devices[1].used_bytes == pytest.approx(12 * layer, rel=1e-9)
    # a dense model has no experts: the flag changes nothing (the window keeps the setting across models)
    dense = scenario("llama2-70b")
    assert same(plan_offload(dense, ram_gb=64, n_cpu_moe=20), plan_offload(dense, ram_gb=64))


def test_moe_expert_offload_decode_matches_published_runs(monkeypatch):
    """Published llama.cpp runs with the routed experts of some or all layers in RAM beside a card, their RAM stated
    (tests/data/measured/moe_offload.json), planned at their own --n-cpu-moe with the RAM's peak entered.  Without
    the hand-off of each such layer's activations to the CPU and back the plan was 7-26 % fast on every run; the two
    runs with the RAM's peak known and the generation rate alone give 141 and 145 us a layer for it (HAND_OFF:
    143 us, the mean), and with it every generation-only run is within 5 %.  llmfit's averages include the prompt's
    processing, so the decode rate is above them (by 9 % where the same host printed both): the plan is 10-20 %
    above them, never below."""
    import vramgui.core.offload as offload
    cat = default_catalog()
    data = json.loads((Path(__file__).parent / "data" / "measured" / "moe_offload.json").read_text())

    def plan(pt):
        s = Scenario(model=cat.model(pt["model_ref"]), gpu=cat.gpu(pt["gpu_ref"]), weights=pt["weights"],
                     kv_dtype=pt["kv_dtype"], engine="llamacpp", prompt_tokens=16,
                     output_tokens=pt.get("generated", 128))
        p = plan_offload(s, 1024, n_cpu_moe=pt["n_cpu_moe"], ram_bandwidth_gb_s=pt["peak_gb_s"])
        assert p.level == "partial" and p.cpu_moe_layers == pt["n_cpu_moe"] and p.cpu_layers == 0, pt["id"]
        return p

    errors = {pt["id"]: plan(pt).tokens_per_s / pt["tokens_per_s"] - 1 for pt in data["points"]}
    for pt in data["points"]:
        print(f"{pt['id']:58s} measured {pt['tokens_per_s']:6.2f} tok/s  plan {errors[pt['id']]:+.1%}")
        if pt["measure"] == "generation":
            assert abs(errors[pt["id"]]) < 0.05, pt["id"]
        else:
            assert 0.0 < errors[pt["id"]] < 0.20, pt["id"]
    monkeypatch.setattr(offload, "MOE_CPU_LAYER_S", 0.0)
    fitted = {}
    for pt in data["points"]:
        without = plan(pt)
        assert without.tokens_per_s / pt["tokens_per_s"] - 1 > 0.06, pt["id"]      # (every run: the plan was fast)
        fitted[pt["id"]] = (1 / pt["tokens_per_s"] - without.decode_s) / pt["n_cpu_moe"]
    known = [fitted["a6000-qwen3-235b-a22b-q8_0-ot80"], fitted["rx7900xt-5900x-gpt-oss-20b-cpu-moe"]]
    assert [round(x * 1e6) for x in known] == [141, 145]
    assert np.mean(known) == pytest.approx(HAND_OFF, abs=1e-6)


def test_op_offload_copies_only_the_experts_a_pass_uses():
    """Current llama.cpp's scheduler copies to the card only the routed experts a pass's tokens use (PR #15346):
    Qwen3-30B-A3B Q8_0 beside an RTX 4090 with every layer's experts in RAM (--cpu-moe).  A layer's 128 experts are
    3 x 2,048 x 768 weights each at 8.5 bits, 641.7 MB; a pass of t tokens leaves (1 - 8/128)^t of them unused:
    12.7 % at a decode step of 32 sequences, 7.6 % at a 40-token prompt, none to speak of at 512-token passes."""
    layer = 128 * 3 * 2048 * 768 * 8.5 / 8
    assert layer / 1e6 == pytest.approx(641.73, abs=0.01)
    s = scenario("qwen3-30b-a3b", weights="q8_0")
    step = plan_offload(s.with_(batch=32, prompt_tokens=16, output_tokens=16), ram_gb=64, experts_on_cpu=True)
    assert (step.cpu_layers, step.cpu_moe_layers, step.output_on_gpu) == (0, 48, True)
    assert 0.9375 ** 32 == pytest.approx(0.1267, abs=1e-4)
    assert step.step_copy_bytes == pytest.approx(48 * layer * (1 - 0.9375 ** 32), rel=1e-9)
    short = plan_offload(s.with_(prompt_tokens=40, output_tokens=16), ram_gb=64, experts_on_cpu=True)
    assert short.prompt_copy_bytes == pytest.approx(48 * layer * (1 - 0.9375 ** 40), rel=1e-9)   # (one pass of 40)
    long = plan_offload(s.with_(prompt_tokens=1024, output_tokens=16), ram_gb=64, experts_on_cpu=True)
    assert long.prompt_copy_bytes == pytest.approx(2 * 48 * layer, rel=1e-12)                     # (two of 512)


def test_op_offload_copies_at_the_measured_share_of_the_link():
    """Published prompt passes with MoE experts in RAM, which op offload copies to the card for every pass
    (tests/data/measured/moe_offload.json): the pass's time less the plan's for the pass on the card, over the bytes
    copied, is the share of the card's host link the copies ran at.  From the model file's mapped pages (llama.cpp's
    default) an RTX 5090 copied gpt-oss-120b's at 0.30 and 0.35 of PCIe 5.0 x16 (PCIE_COPY_EFFICIENCY: 0.3); from
    pinned host memory at 0.74 and 0.88, and an RTX A6000 Qwen3-235B-A22B's at 0.90 of PCIe 4.0 x16 (--no-mmap):
    PINNED_COPY_EFFICIENCY is their mean.  The A6000's build (May 2025) copied every expert of the 80 layers:
    80 x 128 x 3 x 4,096 x 1,536 weights at Q8_0's 8.5 bits = 205.4 GB a pass."""
    from vramgui.core.offload import PCIE_COPY_EFFICIENCY, PINNED_COPY_EFFICIENCY
    from vramgui.core.speed import prefill_time
    cat = default_catalog()
    data = json.loads((Path(__file__).parent / "data" / "measured" / "moe_offload.json").read_text())
    a6000 = next(p for p in data["points"] if "prompt_pass" in p)
    runs = [dict(pt, seconds=pt["prompt_tokens"] / pt["prompt_tokens_per_s"], kv_dtype="fp16")
            for pt in data["copy_runs"]]
    runs.append(dict(a6000, pinned=True, flash_attention=True, prompt_tokens=a6000["prompt_pass"]["tokens"],
                     seconds=a6000["prompt_pass"]["seconds"], id=a6000["id"]))
    shares = {True: [], False: []}
    for run in runs:
        s = Scenario(model=cat.model(run["model_ref"]), gpu=cat.gpu(run["gpu_ref"]), weights=run["weights"],
                     kv_dtype=run["kv_dtype"], engine="llamacpp", prompt_tokens=run["prompt_tokens"], output_tokens=128,
                     attention="flash" if run["flash_attention"] else "eager")
        p = plan_offload(s, 1024, n_cpu_moe=run["n_cpu_moe"], pinned=run["pinned"])
        on_card = float(prefill_time(s, run["prompt_tokens"], 1))
        share = p.prompt_copy_bytes / (run["seconds"] - on_card) / p.link_bytes_per_s
        print(f"{run['id']:52s} copies {p.prompt_copy_bytes / 1e9:6.1f} GB at {share:.2f} of the link; first token "
              f"{p.prefill_s:5.2f} s, measured {run['seconds']:5.2f} s")
        shares[run["pinned"]].append(share)
        assert p.copy_share == (PINNED_COPY_EFFICIENCY if run["pinned"] else PCIE_COPY_EFFICIENCY)
        assert p.prefill_s == pytest.approx(run["seconds"], rel=0.25), run["id"]
        if run["id"] == a6000["id"]:
            assert p.prompt_copy_bytes == pytest.approx(80 * 128 * 3 * 4096 * 1536 * 8.5 / 8, rel=1e-9)
    assert [round(x, 2) for x in shares[False]] == [0.30, 0.35] and [round(x, 2) for x in shares[True]] == \
        [0.74, 0.88, 0.9]
    assert np.mean(shares[True]) == pytest.approx(PINNED_COPY_EFFICIENCY, abs=0.005)
    assert min(shares[False]) == pytest.approx(PCIE_COPY_EFFICIENCY, abs=0.01)


def test_host_links_of_modules_whose_interconnect_joins_cards():
    """An SXM or OAM module's preset names its NVLink or Infinity Fabric, which joins cards; the weights in RAM reach
    it over another link, its PCIe (an H100 SXM's PCIe 5.0 x16: 64 GB/s a direction) or a Grace superchip's
    NVLink-C2C (GH200: 900 GB/s both ways, 450 a direction; a GB200's Grace serves two GPUs: 225 each).  Every
    data-centre card that names no PCIe link names its host link, so none falls back to PCIe 3.0 x16's 16 GB/s."""
    from vramgui.core.offload import PINNED_COPY_EFFICIENCY, host_link_bytes_per_s
    cat = default_catalog()
    for g in cat.gpus.values():
        if g.category == "datacenter" and "pcie" not in (g.interconnect or "").lower():
            assert g.host_link_gb_s and g.sources.get("host_link"), g.id
    links = {gid: host_link_bytes_per_s(cat.gpu(gid)) / 1e9 for gid in
             ("v100-32gb", "a100-80gb", "h100-sxm", "b200", "gh200", "gb200", "mi300x", "rtx4090", "quadro-p6000")}
    assert links == {"v100-32gb": 16, "a100-80gb": 32, "h100-sxm": 64, "b200": 64, "gh200": 450, "gb200": 225,
                     "mi300x": 64, "rtx4090": 32, "quadro-p6000": 16}      # (the last two: PCIe, and none named)
    # nvbandwidth's pinned host-to-device copies measured 77-89 % of these links; the pinned share the plans take
    # (84 %, llama.cpp's pinned copies) is within 10 % of each: GH200 346 GB/s (NVIDIA/nvbandwidth issue 23), a GB200
    # NVL72 node's GPU 201 (Azure AI-benchmarking-guide, ND GB200 v6), ND H100 v5 51 (the same guide), an RTX 4090
    # 26.3 (nvbandwidth issue 15), an A100 SXM4 25.13 (issue 42)
    for gid, measured in (("gh200", 346), ("gb200", 201), ("h100-sxm", 51), ("rtx4090", 26.3), ("a100-40gb", 25.13)):
        assert PINNED_COPY_EFFICIENCY == pytest.approx(measured / (host_link_bytes_per_s(cat.gpu(gid)) / 1e9),
                                                       rel=0.10), gid
    # Llama 3.1 70B in BF16 under vLLM on one GH200 (96 GB) with 480 GB of Grace memory: the 141 GB of weights less
    # what the card holds are read over the C2C link each step, at 84 % of 450 GB/s, not of PCIe 3.0's 16
    s = scenario("llama3.1-70b", gpu="gh200", weights="bf16", engine="vllm", attention=None, prompt_tokens=4096,
                 output_tokens=256)
    p = plan_offload(s, 480)
    step = 1 / float(card_table(s, [s.gpu]).decode_tokens_per_s[0])
    assert p.level == "partial" and p.link_bytes_per_s == 450e9
    assert p.decode_s == pytest.approx(step + p.copied_bytes / (450e9 * 0.84), rel=1e-12)
    assert 40e9 < p.copied_bytes < 60e9 and p.tokens_per_s > 5        # (5.6: 16 GB/s would give 0.26)
    # a cross-check, not a like-for-like run: Llama 3 70B Instruct in 16 bits on a GH200 under vLLM 0.5.1 with an
    # earlier offload (vLLM PR 6317, its author's run: 86,224 of 97,871 MiB of the card used, the rest in Grace memory)
    # decoded 4.6 tokens/s; the plan, keeping the card full, within 25 % of it
    s3 = s.with_(model=cat.model("llama3-70b"), prompt_tokens=1024)
    assert plan_offload(s3, 480).tokens_per_s == pytest.approx(4.6, rel=0.25)


def test_vllm_runs_with_weights_in_ram_decode_as_planned():
    """vLLM runs at their own --cpu-offload-gb (tests/data/measured/weight_offload.json), planned with it: each
    step reads the GiB a card keeps in RAM over its host link (at the pinned share, 84 %) on top of the step with
    every layer on the card; an MoE's only as far as the step's tokens use its routed experts.  Within 25 % each.
    Qwen2-7B's 20 GiB covers its 13.1 GB of decoder layers: 13.1 GB / (32 GB/s x 0.84) = 0.49 s a step, 1.98 tokens/s
    against 1.65 (and 55.0 on the card alone against 56.87).  Kimi K2 NVFP4 on a GB300 with 350 GiB in Grace memory:
    the first 40 or so layers, 376 GB, of which a step of one token reads the attention and shared expert whole and 8
    of 384 routed experts, about 11 GB over the 225 GB/s a GPU of the superchip gets of NVLink-C2C: 14.7 against 15.
    Reading every offloaded byte would take 376 / (225 x 0.84) = 2.0 s a step, 0.5 tokens/s.  Llama 3 70B BF16 on a
    GH200 with 70 GiB in Grace memory (vLLM 0.5.2, which copied them: the same bytes for a dense model): 75.2 GB over
    NVLink-C2C's 450 GB/s at 84 %, 0.199 s a step on top of the card's, 4.11 against 4.1."""
    from vramgui.core.speed import estimate_speed
    data = json.loads((Path(__file__).parent / "data" / "measured" / "weight_offload.json").read_text())
    cat = default_catalog()
    for p in data["points"]:
        s = Scenario(model=cat.model(p["model_ref"]), gpu=cat.gpu(p["gpu_ref"]), weights=p["weights"],
                     engine=p["engine"], prompt_tokens=p["prompt_tokens"], output_tokens=p["output_tokens"])
        plan = plan_offload(s, p["ram_gb"], cpu_offload_gib=p["cpu_offload_gib"])
        err = plan.tokens_per_s / p["tokens_per_s"] - 1
        print(f"{p['id']}: {plan.tokens_per_s:.2f} tokens/s against {p['tokens_per_s']} ({err:+.0%}); "
              f"{plan.step_copy_bytes / 1e9:.1f} GB read a step of {plan.copied_bytes / 1e9:.1f} in RAM")
        assert plan.level == "partial" and plan.copied_bytes <= p["cpu_offload_gib"] * GIB
        assert abs(err) < 0.25, p["id"]
        if "without_offload_tokens_per_s" in p:
            on_card = 1 / float(estimate_speed(s).decode_step_s)
            assert on_card == pytest.approx(p["without_offload_tokens_per_s"], rel=0.25), p["id"]
    assert len(data["points"]) == 3
    # the MoE run: read whole, the same bytes would give a tenth of the rate
    k = data["points"][2]
    s = Scenario(model=cat.model("kimi-k2"), gpu=cat.gpu("gb300"), weights="nvfp4", engine="vllm",
                 prompt_tokens=100, output_tokens=100)
    plan = plan_offload(s, 480, cpu_offload_gib=350)
    whole = 1 / (plan.decode_s - plan.step_copy_bytes / (225e9 * 0.84) + plan.copied_bytes / (225e9 * 0.84))
    assert plan.copied_bytes == pytest.approx(350 * GIB) and whole < k["tokens_per_s"] / 10


def test_cpu_offload_gb_as_given():
    """--cpu-offload-gb N keeps N GiB of each card's weights in RAM, at most its decoder layers' (vLLM's and SGLang's
    offloaders wrap the layers): more than the card needs is slower; less, where the rest does not fit, not placed; 0
    where it fits, on the card.  Qwen2.5-7B BF16 on an RTX 4090: its decoder layers 28 x (2 x 3,584^2 + 2 x 3,584 x
    512 + 3 x 3,584 x 18,944) x 2 B plus biases and norms, 13.06 GB."""
    from vramgui.core.offload import decoder_layer_bytes
    s = scenario("qwen2.5-7b", weights="bf16", engine="vllm", attention=None, prompt_tokens=512, output_tokens=256)
    layers = 28 * (2 * 3584**2 + 2 * 3584 * 512 + 3 * 3584 * 18944) * 2
    assert decoder_layer_bytes(s) == pytest.approx(layers, rel=0.002)
    auto, none, five, all_ = (plan_offload(s, 64, cpu_offload_gib=g) for g in (None, 0, 5, 20))
    assert auto.level == none.level == "gpu"
    # (vLLM splits no layers: no -ngl to give, where the card holds the model too)
    assert not auto.splits_layers and offload_dict(auto)["ngl"] is None
    assert five.level == "partial" and five.copied_bytes == 5 * GIB
    assert all_.copied_bytes == pytest.approx(decoder_layer_bytes(s), rel=1e-12)
    assert auto.tokens_per_s > five.tokens_per_s > all_.tokens_per_s
    # 5 GiB: the step with every layer on the card and 5 GiB read at 84 % of 32 GB/s
    assert five.decode_s == pytest.approx(1 / auto.tokens_per_s + 5 * GIB / (32e9 * 0.84), rel=1e-9)
    # the model fits the card, but the GiB given are read all the same: the estimate is the plan's, not the card's
    from vramgui.core.offload import offloading, offloads
    assert five.forced and five.layers_fixed and five.kept_bytes(0.0) == 5 * GIB
    assert offloads(five.level, True, five.forced) and offloading(five, True) is five
    assert not auto.forced and not offloads(auto.level, True, auto.forced) and offloading(auto, True) is None
    # Llama 3.1 70B AWQ needs 18.3 GB a card in RAM beside an RTX 4090: 10 GiB leaves too much on the card, and 8 GB
    # of RAM do not hold 20 GiB
    big = scenario("llama3.1-70b", weights="awq-int4", engine="vllm", attention=None, prompt_tokens=4096,
                   output_tokens=256)
    assert plan_offload(big, 64, cpu_offload_gib=10).level == "none"
    assert plan_offload(big, 64, cpu_offload_gib=20).level == "partial"
    assert plan_offload(big, 8, cpu_offload_gib=20).level == "none"
    # the engines that split layers take no such figure
    assert plan_offload(big.with_(engine="llamacpp", weights="q4_k_m"), 64, cpu_offload_gib=20) == \
        plan_offload(big.with_(engine="llamacpp", weights="q4_k_m"), 64)


def test_experts_kept_in_ram_as_asked_on_a_card_that_holds_the_model(capsys):
    """llama.cpp's --cpu-moe and --n-cpu-moe N keep those experts in RAM whatever the card holds, as vLLM's
    --cpu-offload-gb keeps its GiB: Qwen3 30B-A3B Q4_K_M fits an RTX 4090 whole (17.8 of 24 GiB), and with its
    experts in RAM the estimate is the plan's (the CPU runs them), not the card's.  A layer's 128 experts: 3 x 2,048
    x 768 weights each, gate and up in Q4_K, down in Q4_K or Q6_K by layer (365,690,880 B); the card keeps a copy of
    the largest expert tensor for op offload (ffn_down_exps, 139,198,464 B)."""
    from vramgui.core.fit import fit
    from vramgui.core.offload import flags_force, offloading, offloads
    s = scenario("qwen3-30b-a3b")
    layer = 128 * 2048 * 768 * (2 * Q4 + MIX) / 8
    copy = 128 * 768 * 2048 * MIX / 8
    assert (layer, copy) == (365_690_880, 139_198_464)
    f = fit(s)
    assert f.fits
    auto, every, first = plan_offload(s, 64), plan_offload(s, 64, experts_on_cpu=True), plan_offload(s, 64,
                                                                                                    n_cpu_moe=30)
    # as llama-server's --fit places them: the card holds it all, nothing forced
    assert auto.level == "gpu" and not auto.forced and offloading(auto, True) is None
    # --cpu-moe: every layer on the card, their experts in RAM; a longer prompt may move layers there too (no -ngl)
    assert (every.level, every.cpu_layers, every.cpu_moe_layers, every.forced, every.layers_fixed) == (
        "partial", 0, 48, True, False)
    assert offloads(every.level, True, every.forced) and offloading(every, True) is every
    assert every.kept_bytes(f.needed_bytes) == pytest.approx(48 * layer - copy, rel=1e-9)
    # --n-cpu-moe 30: the first 30 layers' experts (-ngl 99: none more as the prompt grows)
    assert (first.cpu_moe_layers, first.forced, first.layers_fixed) == (30, True, True)
    assert first.kept_bytes(f.needed_bytes) == pytest.approx(30 * layer - copy, rel=1e-9)
    assert every.tokens_per_s < first.tokens_per_s < 1 / float(estimate_speed(s).decode_step_s)
    # --n-cpu-moe 0 keeps none there; a dense model has no experts to keep; where the plan splits layers too, the
    # part in RAM depends on the prompt (no fixed band)
    assert not plan_offload(s, 64, n_cpu_moe=0).forced
    # without System RAM (no offload) the flags are not taken as asked: the card that holds the model fits
    assert not plan_offload(s, 0, experts_on_cpu=True).forced
    assert not plan_offload(s.with_(engine="vllm", weights="bf16", attention=None), 0, cpu_offload_gib=5).forced
    dense = scenario("llama2-70b")
    assert not flags_force(dense, 64, experts_on_cpu=True) and not plan_offload(dense, 64, experts_on_cpu=True).forced
    assert plan_offload(dense, 64).kept_bytes(0.0) == 0.0
    assert flags_force(s, 64, experts_on_cpu=True) and flags_force(s, 64, n_cpu_moe=30)
    assert not flags_force(s, 64, n_cpu_moe=0) and not flags_force(s, 0, experts_on_cpu=True)   # (no RAM)
    assert not flags_force(s, 64) and not flags_force(s, 64, cpu_offload_gib=5)      # (llama.cpp takes no GiB)
    vllm = s.with_(engine="vllm", weights="bf16", attention=None)
    assert flags_force(vllm, 64, cpu_offload_gib=5) and not flags_force(vllm, 64, experts_on_cpu=True)
    assert not flags_force(vllm.with_(engine="hf"), 64, cpu_offload_gib=5)   # (accelerate's device_map has no GiB)
    # the CLI: estimate's JSON says so, its speed block points to the plan; fit's RTX 4090 row is the plan's
    args = ["--model", "qwen3-30b-a3b", "--weights", "q4_k_m", "--engine", "llamacpp", "--ram", "64",
            "--experts-on-cpu"]
    assert main(["estimate", *args, "--gpu", "rtx4090", "--json"]) == 0
    o = json.loads(capsys.readouterr().out)["offload"]
    assert o["forced"] is True and o["served_throughput_tokens_per_second"] > 0
    assert main(["estimate", *args, "--gpu", "rtx4090"]) == 0
    assert "\nspeed (all on the card: see offload): " in capsys.readouterr().out
    assert main(["fit", *args, "--json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out) if r["gpu"] == "rtx4090")
    assert row["fits"] and row["offload"]["forced"]
    assert main(["fit", *args]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("rtx4090 "))
    assert "partly offloaded (experts on CPU)" in line and "with RAM" in line
    assert f"{every.tokens_per_s:.1f}" == line.split()[-1]


def test_vllm_keeps_only_the_routed_experts_in_ram_as_asked(capsys):
    """vLLM's --cpu-offload-params with the experts' names (``experts_only``) keeps an MoE model's routed experts
    alone in RAM, and a step reads there only those its tokens use; without it the offloader takes every parameter of
    the first layers in turn (the decoder layers' mix: attention and router too, read whole every step).  Qwen3
    30B-A3B BF16 beside an RTX 4090 with 64 GB: 48 layers x 128 experts x 3 x 2,048 x 768 x 2 B = 57,982,058,496 B
    of routed experts; the least in RAM is the same either way, a step at one sequence reads 8 of 128 experts'."""
    from vramgui.core.offload import in_place_read_share, routed_expert_bytes
    from vramgui.core.speed import experts_touched
    s = scenario("qwen3-30b-a3b", weights="bf16", engine="vllm", attention=None, prompt_tokens=512,
                 output_tokens=256)
    experts = 48 * 128 * 3 * 2048 * 768 * 2
    assert routed_expert_bytes(s) == experts == 57_982_058_496
    mixed, alone = plan_offload(s, 64), plan_offload(s, 64, experts_only=True)
    assert (mixed.experts_only, alone.experts_only) == (False, True) and alone.copied_bytes == mixed.copied_bytes
    assert alone.step_copy_bytes == pytest.approx(alone.copied_bytes * 8 / 128, rel=1e-12)
    assert mixed.step_copy_bytes > alone.step_copy_bytes
    link = 32e9 * 0.84                        # (PCIe 4.0 x16 at the pinned share)
    assert mixed.decode_s - alone.decode_s == pytest.approx((mixed.step_copy_bytes - alone.step_copy_bytes) / link,
                                                            rel=1e-9)
    assert alone.describe() == (f"partly offloaded ({alone.copied_bytes / GIB:,.1f} GiB of routed experts a card in "
                                "RAM, read from there each pass)")
    # --cpu-offload-gb with it: at most every expert (54.0 GiB), and a card that needs more than the experts in RAM
    # (a GTX 1650's 4 GB: 54.8 GiB) is not placed with them alone, where the mix is
    assert plan_offload(s, 64, cpu_offload_gib=40, experts_only=True).copied_bytes == 40 * GIB
    assert plan_offload(s, 128, cpu_offload_gib=60, experts_only=True).copied_bytes == experts
    small = s.with_(gpu=default_catalog().gpu("gtx1650"), weights="fp16")
    assert plan_offload(small, 128).level == "partial" and plan_offload(small, 128, experts_only=True).level == "none"
    # a dense model, SGLang (no such flag), llama.cpp: the same plans as without it
    dense = scenario("llama3.1-70b", weights="awq-int4", engine="vllm", attention=None)
    assert plan_offload(dense, 64, experts_only=True) == plan_offload(dense, 64)
    sglang = s.with_(engine="sglang")
    assert plan_offload(sglang, 64, experts_only=True) == plan_offload(sglang, 64)
    # vLLM issue 54593's card, --cpu-offload-gb 47: dense 4.80 GiB (attention, router, norms, shared expert) and
    # experts 62.11 GiB (top-10 of 512); it measured 4.5 GiB read a token over PCIe in declaration order, 0.93 with
    # the experts alone: the mix reads 47 x (1 - x + x 10/512), x = 62.11/66.91, the experts alone 47 x 10/512
    mix = 47 * float(in_place_read_share(4.80, 62.11 / 512, 512, 10, 0.0, 1))
    only = 47 * float(experts_touched(512, 10, 1)) / 512
    assert mix == pytest.approx(4.5, rel=0.10) and only == pytest.approx(0.93, rel=0.02)
    # the CLI: --cpu-offload-experts, its JSON and its line; refused with a dense model and without --ram
    args = ["estimate", "--model", "qwen3-30b-a3b", "--gpu", "rtx4090", "--weights", "bf16", "--engine", "vllm",
            "--prompt", "512", "--output", "256", "--ram", "64", "--cpu-offload-experts"]
    assert main([*args, "--json"]) == 0
    o = json.loads(capsys.readouterr().out)["offload"]
    assert o["experts_only"] is True and o["step_copy_bytes"] == pytest.approx(alone.step_copy_bytes, rel=1e-12)
    assert main(args) == 0
    assert "GB of routed experts a card keeps in RAM over its link, in place: those its tokens use" in \
        capsys.readouterr().out
    for bad, why in ((["--model", "llama3.1-8b"], "Llama 3.1 8B (a dense model)"), (["--engine", "sglang"],
                                                                                    "got the sglang engine")):
        assert main([*args, *bad]) == 2
        err = capsys.readouterr().err
        assert "--cpu-offload-experts is vLLM's --cpu-offload-params" in err and why in err
    assert main([a for a in args if a not in ("--ram", "64")]) == 2
    assert "no --ram" in capsys.readouterr().err


def test_mlx_plans_no_offload():
    """mlx-lm places no layer in system RAM (engines.NO_OFFLOAD): no plan (a ValueError saying so, from the plans of
    one card and of every card), and its settings force none; llama.cpp on the same Mac splits Llama 3.1 70B in 6-bit
    between the GPU's wired share and the rest of the unified memory (the plan MLX used to get)."""
    from vramgui.core.offload import flags_force, plan_offload_cards
    cat = default_catalog()
    s = Scenario(model=cat.model("llama3.1-70b"), gpu=cat.gpu("m4-max-64gb"), weights="mlx-6bit", engine="mlx",
                 prompt_tokens=1024, output_tokens=0)
    with pytest.raises(ValueError, match=r"no offload plan under MLX \(mlx-lm\): mlx-lm places no layer in system RAM"):
        plan_offload(s, 64)
    with pytest.raises(ValueError, match="no offload plan under MLX"):
        plan_offload_cards(s, 64, [cat.gpu("m4-max-64gb")])
    moe = s.with_(model=cat.model("qwen3-30b-a3b"), weights="mlx-4bit")
    assert not flags_force(moe, 64, experts_on_cpu=True) and flags_force(moe.with_(engine="llamacpp", weights="q4_k_m"),
                                                                          64, experts_on_cpu=True)
    assert plan_offload(s.with_(engine="llamacpp", weights="q6_k"), 64).level == "partial"


@pytest.mark.parametrize("engine", ["ollama", "ollama-num-ctx", "llamacpp-2023"])
def test_engines_without_the_experts_flags_move_whole_layers(engine):
    """Ollama passes no --cpu-moe / --n-cpu-moe to its llama-server (ollama issue 11772 open, pull 16688 closed
    unmerged) and 2023's llama.cpp builds predate them (engines.NO_CPU_MOE): the Experts in RAM settings do not change
    their plan (whole layers move, experts with them) nor force one on a card that holds the model; current
    llama.cpp keeps every layer's experts in RAM as asked (Qwen3 30B-A3B Q4_K_M beside an RTX 4090, 64 GB)."""
    from vramgui.core.engines import takes_cpu_moe
    from vramgui.core.offload import flags_force, plan_offload_cards
    cat = default_catalog()
    s = Scenario(model=cat.model("qwen3-30b-a3b"), gpu=cat.gpu("rtx4060"), weights="q4_k_m", engine=engine,
                 prompt_tokens=4096, output_tokens=0)
    assert not takes_cpu_moe(engine) and takes_cpu_moe("llamacpp")
    plain = plan_offload(s, 64)
    assert plain.level == "partial" and plain.cpu_moe_layers == 0 and plain.cpu_layers > 0
    assert plan_offload(s, 64, experts_on_cpu=True) == plain and plan_offload(s, 64, n_cpu_moe=20) == plain
    at_once = plan_offload_cards(s, 64, [cat.gpu("rtx4060")], experts_on_cpu=True)[0]      # (the fit table's)
    assert replace(at_once, prefill_s=0.0) == replace(plan_offload(s, 64, with_prefill=False), prefill_s=0.0)
    whole = s.with_(gpu=cat.gpu("rtx4090"))
    assert not flags_force(whole, 64, experts_on_cpu=True) and not flags_force(whole, 64, n_cpu_moe=20)
    assert flags_force(whole.with_(engine="llamacpp"), 64, experts_on_cpu=True)
    assert plan_offload(whole.with_(engine="llamacpp"), 64, experts_on_cpu=True).cpu_moe_layers == 48


def test_an_offload_on_unified_memory_uses_the_part_the_gpu_may_not_wire():
    """On an Apple chip the system RAM is the GPU's own pool: HF transformers' copied offload on a 64 GB M4 Max (the
    GPU wires 48 GiB of its 64) may keep at most the other 16 GiB there, whatever RAM is entered (it counted 59.6 GiB
    beside the GPU's 48: Mixtral 8x7B BF16, 87 GiB, was placed with 40 GiB "in RAM"); Gemma 3 27B keeps 4.5 GiB there.
    llama.cpp's split had the rule already: the same 16 GiB."""
    from vramgui.core import fit
    from vramgui.core.offload import card_pool, staging_bytes, unified_ram
    cat = default_catalog()
    mac = cat.gpu("m4-max-64gb")
    s = Scenario(model=cat.model("mixtral-8x7b"), gpu=mac, weights="bf16", engine="hf", prompt_tokens=1024,
                 output_tokens=0)
    budget = 48 * GIB
    assert mac.memory_bytes == 64 * GIB and fit(s).budget_bytes == budget
    assert unified_ram(64, card_pool(mac, 1, budget)) == 16 * GIB and unified_ram(8, card_pool(mac, 1, budget)) == 8e9
    assert card_pool(cat.gpu("rtx4090"), 1, 23 * GIB) is None and unified_ram(64, None) == 64e9
    plan = plan_offload(s, 64)
    assert plan.level == "none" and plan.devices[-1].budget_bytes == 16 * GIB
    # (and the room the card keeps for the module brought from RAM: test_hf_keeps_room_for_the_module_it_brings)
    assert plan.copied_bytes == pytest.approx(fit(s).needed_bytes - budget + staging_bytes(s))
    assert plan.copied_bytes > 16 * GIB
    gemma = plan_offload(s.with_(model=cat.model("gemma3-27b")), 64)
    assert gemma.level == "partial" and gemma.copied_bytes < 16 * GIB
    assert plan_offload(s.with_(engine="llamacpp", weights="q8_0"), 64).devices[-1].budget_bytes == 16 * GIB


def test_accelerate_places_the_printed_max_memory_as_the_plan(cat, capsys):
    """The max_memory printed for HF transformers, given to transformers' own infer_auto_device_map (5.24, a meta
    model built from the preset's config.json), keeps on the cards what the plan keeps there, less the room each card
    leaves where its next decoder layer no longer fits: so the RAM holds the plan's bytes and less than a layer more
    per card.  Llama 3.1 70B BF16 beside one and two RTX 4090s with 256 GB: every card gets the same figure, the
    weights the plan keeps on it and its share of the room the first card keeps for the 128,256 x 8,192 output layer
    (the device map reserves all of it there)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import ast

    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.integrations.accelerate import compute_module_sizes, infer_auto_device_map

    from vramgui.cli import main
    from vramgui.core.offload import max_memory_bytes, max_memory_cpu_bytes
    from vramgui.core.report import max_memory_text
    m = cat.model("llama3.1-70b")
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.for_model(**dict(m.config)), dtype=torch.bfloat16)
    sizes = compute_module_sizes(model)
    sizes = sizes[0] if isinstance(sizes, tuple) else sizes
    layer = 2 * (2 * 8192 * 8192 + 2 * 8192 * 1024 + 3 * 8192 * 28672 + 2 * 8192)   # a decoder layer's bytes
    head = 128_256 * 8192 * 2
    assert sizes["model.layers.0"] == layer == 1_711_308_800 and sizes["lm_head"] == head
    for n in (1, 2):
        s = Scenario(model=m, gpu=cat.gpu("rtx4090"), weights="bf16", engine="hf", n_gpus=n, prompt_tokens=1000,
                     output_tokens=100)
        plan = plan_offload(s, 256)
        most = max_memory_bytes(s, plan)
        assert plan.level == "partial" and most == pytest.approx(
            float(estimate_memory(s).weights) - plan.copied_bytes + head / n, rel=1e-12)
        text = max_memory_text(most, max_memory_cpu_bytes(s, plan), n)
        assert main(["estimate", "--model", "llama3.1-70b", "--gpu", "rtx4090", "--weights", "bf16", "--engine", "hf",
                     "--gpus", str(n), "--ram", "256", "--prompt", "1000", "--output", "100"]) == 0
        assert f"HF transformers places so with {text}" in capsys.readouterr().out
        given = {k: round(float(v[:-3]) * GIB) for k, v in ast.literal_eval(text.split("=", 1)[1]).items()}
        assert list(given) == [*range(n), "cpu"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            device_map = infer_auto_device_map(model, max_memory=given, no_split_module_classes=model._no_split_modules)
        in_ram = sum(sizes[k] for k, v in device_map.items() if v == "cpu")
        assert {v for v in device_map.values()} == {*range(n), "cpu"}      # every card holds layers
        assert -n * 0.01 * GIB <= in_ram - plan.copied_bytes * n < n * layer
        # the plan's layers: the output layer in RAM, then whole decoder layers from the last, as the map puts them
        # (one card: 69 of 80, as the map; two: 54 to the map's 55, each card's leftover room short of a layer)
        layers_in_ram = sum(1 for k, v in device_map.items() if k.startswith("model.layers.") and v == "cpu")
        assert device_map["lm_head"] == "cpu" and not plan.output_on_gpu
        assert 0 <= layers_in_ram - plan.devices[-1].layers <= n - 1 and plan.cpu_layers == plan.devices[-1].layers
        assert sum(d.layers for d in plan.devices[:-1]) == 80 - plan.cpu_layers


@pytest.mark.parametrize(("ident", "gpu", "ram"), [("llama3.1-8b", "rtx4060", 64), ("mixtral-8x7b", "rtx4090", 128),
                                                   ("gemma2-9b", "rtx4060", 64)])
def test_hf_layers_in_ram_as_its_device_map_puts_them(cat, ident, gpu, ram):
    """HF transformers' device map, given the printed max_memory, keeps in RAM the layers the plan says: the untied
    output layer first, then whole decoder layers from the last; Gemma 2's output layer is its embedding table,
    which stays on the card (transformers' own infer_auto_device_map on models built from the presets'
    config.json on the meta device; BF16 beside one card, the window's prompt)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.integrations.accelerate import infer_auto_device_map

    from vramgui.core.offload import max_memory_bytes, max_memory_cpu_bytes
    m = cat.model(ident)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.for_model(**dict(m.config)), dtype=torch.bfloat16)
    s = Scenario(model=m, gpu=cat.gpu(gpu), weights="bf16", engine="hf", prompt_tokens=1000, output_tokens=100)
    plan = plan_offload(s, ram)
    given = {0: int(max_memory_bytes(s, plan)), "cpu": int(max_memory_cpu_bytes(s, plan))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        device_map = infer_auto_device_map(model, max_memory=given, no_split_module_classes=model._no_split_modules)
    layers_in_ram = sum(1 for k, v in device_map.items() if k.startswith("model.layers.") and v == "cpu")
    assert plan.level == "partial" and plan.cpu_layers == plan.devices[-1].layers == layers_in_ram > 0
    assert plan.output_on_gpu == (device_map["lm_head"] == 0) == m.architecture.tie_embeddings


def test_hf_runs_every_cards_share_in_ram_on_the_first_card(cat):
    """accelerate's dispatch_model runs every module the device map places in RAM on its main device, the first card:
    with two cards each step copies both cards' shares over that card's link, one after the other (30 % of it), where
    vLLM's cards each copy their own at once.  Llama 3.1 70B BF16 on two RTX 4090s with 256 GB."""
    from vramgui.core.cards import card_table
    from vramgui.core.offload import COPIED_SHARE, PCIE_COPY_EFFICIENCY
    from vramgui.core.report import offload_note
    assert COPIED_SHARE["hf"] == PCIE_COPY_EFFICIENCY == 0.30
    s = Scenario(model=cat.model("llama3.1-70b"), gpu=cat.gpu("rtx4090"), weights="bf16", engine="hf", n_gpus=2,
                 prompt_tokens=1000, output_tokens=100)
    for engine, over in (("hf", 2), ("vllm", 1), ("sglang", 1)):
        se = s.with_(engine=engine)
        plan = plan_offload(se, 256)
        step = 1.0 / float(card_table(se, [se.gpu]).decode_tokens_per_s[0])
        assert plan.level == "partial" and plan.step_copy_bytes == pytest.approx(over * plan.copied_bytes, rel=1e-12)
        if engine != "vllm":       # (vLLM reads them in place: at its own share of the link)
            assert plan.decode_s == pytest.approx(step + over * plan.copied_bytes / (
                plan.link_bytes_per_s * COPIED_SHARE[engine]), rel=1e-9)
    assert "runs every module its device map places in RAM on the first card" in offload_note(s)
    assert "device map places in RAM on the first card" not in offload_note(s.with_(n_gpus=1))


def test_the_hf_offload_note_names_the_room_for_the_module(cat):
    # the note (estimate's offload.engine_note, the caution's source) says how much the card keeps free: Llama 3.1 8B's
    # output layer, 1,050,673,152 B = 0.98 GiB (test_hf_keeps_room_for_the_module_it_brings)
    from vramgui.core.report import offload_note
    s = Scenario(model=cat.model("llama3.1-8b"), gpu=cat.gpu("rtx4060"), weights="bf16", engine="hf")
    assert f"{1_050_673_152 / GIB:,.2f}" == "0.98"
    assert "the card keeps 0.98 GiB free for it, as many more bytes in RAM, and the RAM keeps as much free" in \
        offload_note(s)
    assert "the first card keeps 0.98 GiB free for it" in offload_note(s.with_(n_gpus=2))


def test_hf_gets_the_max_memory_that_places_as_the_plan(cat, capsys):
    """HF transformers' device map places weights on the card up to max_memory less the largest module still to
    place (transformers 5.24's infer_auto_device_map), so the card's figure that places as the plan does is the
    weights the plan keeps on it plus that room.  Llama 3.1 8B BF16 beside an RTX 4060 with 64 GB at the window's
    3,840 + 256 tokens: the estimate's 14.96 GiB of weights less the plan's 9.56 GiB in RAM, plus the 0.98 GiB output
    layer (1,050,673,152 B); in NF4 on an RTX 2060 (6 GiB) over 0.9, bitsandbytes' share (its quantizers'
    adjust_max_memory)."""
    from vramgui.cli import main
    from vramgui.core.offload import max_memory_bytes, max_memory_cpu_bytes, staging_bytes
    s = Scenario(model=cat.model("llama3.1-8b"), gpu=cat.gpu("rtx4060"), weights="bf16", engine="hf",
                 prompt_tokens=3840, output_tokens=256)
    plan = plan_offload(s, 64)
    weights = float(estimate_memory(s).weights)
    assert max_memory_bytes(s, plan) == pytest.approx(weights - plan.copied_bytes + 1_050_673_152, rel=1e-12)
    assert (weights / GIB, plan.copied_bytes / GIB) == (pytest.approx(14.96, abs=0.005), pytest.approx(9.56, abs=0.005))
    nf4 = s.with_(weights="nf4", gpu=cat.gpu("rtx2060"))
    p4 = plan_offload(nf4, 64)
    assert p4.level == "partial" and p4.copied_bytes > 0
    assert max_memory_bytes(nf4, p4) == pytest.approx(
        (float(estimate_memory(nf4).weights) - p4.copied_bytes + staging_bytes(nf4)) / 0.9, rel=1e-12)
    # none where the card holds it all, or under another engine
    assert max_memory_bytes(s, plan_offload(s.with_(gpu=cat.gpu("rtx4090")), 64)) is None
    assert max_memory_bytes(s.with_(engine="vllm"), plan_offload(s.with_(engine="vllm"), 64)) is None
    assert main(["estimate", "--model", "llama3.1-8b", "--gpu", "rtx4060", "--weights", "bf16", "--engine", "hf",
                 "--ram", "64"]) == 0
    text = capsys.readouterr().out
    gib = math.ceil(max_memory_bytes(s, plan) / GIB * 100) / 100      # (rounded up: test_accelerate_places_...)
    assert f'HF transformers places so with max_memory={{0: "{gib:.2f}GiB", "cpu": "59.61GiB"}}' in text
    # (the RAM's 64 GB is 59.605 GiB: given as 59.61, rounded up) bitsandbytes cuts the "cpu" entry to 90 % as well:
    # the RAM is given as 64e9 / 0.9 bytes, 66.23 GiB, so that the cut leaves the plan its RAM
    assert max_memory_cpu_bytes(s, plan) == 64e9 and max_memory_cpu_bytes(nf4, p4) == pytest.approx(64e9 / 0.9)
    assert main(["estimate", "--model", "llama3.1-8b", "--gpu", "rtx2060", "--weights", "nf4", "--engine", "hf",
                 "--ram", "64", "--prompt", "3840", "--output", "256", "--json"]) == 0
    o = json.loads(capsys.readouterr().out)["offload"]
    assert o["max_memory_cpu_bytes"] == pytest.approx(64e9 / 0.9)
    assert o["max_memory_bytes"] == pytest.approx(max_memory_bytes(nf4, p4), rel=1e-9)
    assert main(["estimate", "--model", "llama3.1-8b", "--gpu", "rtx2060", "--weights", "nf4", "--engine", "hf",
                 "--ram", "64", "--prompt", "3840", "--output", "256"]) == 0
    assert '"cpu": "66.23GiB"}' in capsys.readouterr().out
