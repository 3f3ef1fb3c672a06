"""The machine view: what runs on one machine, and the best format for a budget."""

import json
from dataclasses import replace

import numpy as np
import pytest

from vramgui.cli import main
from vramgui.core import count_params, default_catalog
from vramgui.core.engines import LLAMACPP, kv_for, offloads_to_ram
from vramgui.core.fit import MAX_TOKENS
from vramgui.core.machine import (
    GGUF,
    MLX_FORMATS,
    Machine,
    best_format,
    evaluate,
    machine_table,
    runs_on,
)
from vramgui.core.units import GIB, MIB


@pytest.fixture(scope="module")
def rtx4090_64gb():
    cat = default_catalog()
    m = Machine(gpu=cat.gpu("rtx4090"), ram_gb=64, context=4096)
    return {(o.model.id, o.weights): o for o in machine_table(m, cat, family="Llama 2")}


def test_rtx4090_with_64gb_ram_at_4k(rtx4090_64gb):
    rows = rtx4090_64gb
    big = [o for (mid, _), o in rows.items() if mid == "llama2-70b"]
    assert big and all(o.level != "gpu" for o in big)                     # 70B: only partly offloaded
    assert any(o.level == "partial" for o in big)
    assert rows[("llama2-13b", "bf16")].level != "gpu"                     # 13B × 2 bytes = 26 GB > 24 GB
    for fmt in ("q8_0", "int8", "q4_k_m", "awq-int4"):
        assert rows[("llama2-13b", fmt)].level == "gpu", fmt
    assert rows[("llama2-7b", "bf16")].level == "gpu"                      # 13.5 GB of weights fit


def test_ranking_by_speed_puts_smaller_models_first(rtx4090_64gb):
    fitting = sorted((o for o in rtx4090_64gb.values() if o.level == "gpu" and o.weights == "q4_k_m"),
                     key=lambda o: -o.decode_tokens_per_s)
    sizes = [o.params for o in fitting]
    assert sizes == sorted(sizes)


def test_best_format_llama31_70b_on_a100_80gb_at_8k():
    # Hand count: 70.55 B parameters × 2 bytes = 141 GB of fp16 weights > 80 GiB (85.9 GB): no 16-bit
    # format fits.  At ~8.5 bits (Q8_0) the weights are ~75 GB, + 8k tokens of KV (2.7 GB), + llama.cpp's
    # compute buffer and context (~2.4 GB) = ~80 GB < 85.9 GB: an 8-bit format is the best that fits.
    cat = default_catalog()
    r = best_format(Machine(gpu=cat.gpu("a100-80gb"), context=8192), cat.model("llama3.1-70b"))
    by = {o.weights: o for o in r["options"]}
    assert by["fp16"].level == "none" and by["bf16"].level == "none"
    assert by["bf16"].needed_bytes > 80 * GIB
    hp = r["highest_precision"]
    # Q8_0: 34 bytes per 32 weights = 8.5 bits; its output layer is Q8_0 too (16-bit norms add 0.0004)
    assert hp.weights == "q8_0" and hp.bits == pytest.approx(8.5, abs=0.001) and hp.level == "gpu"
    assert r["fastest"].decode_tokens_per_s >= hp.decode_tokens_per_s and r["fastest"].bits < hp.bits


def test_best_format_with_the_ram_when_nothing_fits_the_card(capsys):
    """Llama 3.1 70B on an RTX 4090 at 4,096 tokens: no format fits its 24 GiB (Q2_K needs 25.7 GiB), and best-format
    said only that.  With 64 GB of RAM every GGUF format up to Q8_0 runs partly offloaded (70.5 GiB needed, under the
    card's 24 GiB and the RAM's 59.6 GiB; the 16-bit formats' 134 GiB do not): Q8_0 is the highest precision that
    runs, and Q2_K, with the least in RAM to read a token, the fastest."""
    cat = default_catalog()
    m = Machine(gpu=cat.gpu("rtx4090"), ram_gb=64, context=4096)
    r = best_format(m, cat.model("llama3.1-70b"))
    assert r["highest_precision"] is None and r["fastest"] is None
    hp, fast = r["highest_precision_with_ram"], r["fastest_with_ram"]
    assert (hp.weights, hp.level, fast.weights, fast.level) == ("q8_0", "partial", "q2_k", "partial")
    assert hp.needed_bytes < 24 * GIB + 64e9 and hp.needed_bytes > 64 * GIB
    by = {o.weights: o for o in r["options"]}
    assert by["bf16"].level == "none" and fast.decode_tokens_per_s == max(o.decode_tokens_per_s for o in by.values())
    # without RAM: no such answer
    assert best_format(Machine(gpu=cat.gpu("rtx4090"), context=4096), cat.model("llama3.1-70b"))[
        "highest_precision_with_ram"] is None
    args = ["best-format", "--model", "llama3.1-70b", "--gpu", "rtx4090", "--context", "4096"]
    assert main([*args, "--ram", "64"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Llama 3.1 70B Instruct: no format fits on 1 x rtx4090 at 4,096 tokens"
    assert lines[1].startswith(f"  with 64 GB of RAM, the highest precision that runs: q8_0 (8.50 bits/weight, "
                               f"70.45 GiB, {hp.decode_tokens_per_s:,.1f} tok/s, offload {hp.gpu_layers}/80)")
    assert lines[2].startswith("  with 64 GB of RAM, the fastest: q2_k (")
    assert main([*args, "--ram", "64", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["highest_precision"] is None and d["highest_precision_with_ram"]["weights"] == "q8_0"
    assert d["fastest_with_ram"]["weights"] == "q2_k"
    assert main([*args, "--json"]) == 0
    assert "highest_precision_with_ram" not in json.loads(capsys.readouterr().out)


def test_a_llamacpp_machine_runs_16bit_gguf_files(capsys):
    """llama.cpp runs 16-bit weights too (the F16 / BF16 GGUF files convert_hf_to_gguf.py writes): with a llama.cpp
    profile as the machine's engine (the CLI's default) the 16-bit rows are llama.cpp's, where they were vLLM's."""
    cat = default_catalog()
    # Mistral 7B F16 on an RTX 4090 under a Dec 2023 build: 17.1 ms a token measured (82 % of 1,008 GB/s), within
    # 15 % (tests/test_speed.py checks the one scenario so)
    o = evaluate(Machine(gpu=cat.gpu("rtx4090"), engine="llamacpp-2023", context=128), cat.model("mistral-7b"), "bf16")
    assert o.engine == "llamacpp-2023" and 1e3 / o.decode_tokens_per_s == pytest.approx(17.1, rel=0.15)
    # Llama 3.1 8B on an RTX 4060 (8 GiB) with 32 GB of RAM at 4,096 tokens: vLLM had nowhere to put 15 GiB of 16-bit
    # weights, so best-format's highest precision with the RAM was Q8_0; llama.cpp splits the layers.  By hand, in
    # MiB: the CUDA context 300, the compute buffer 64, the F16 output layer 128,256 x 4,096 x 2 B = 1,002 and the
    # staging copy of the largest tensor (4,096 x 14,336 x 2 B = 112) first, then layers of (2 x 4,096^2 + 2 x 4,096
    # x 1,024 + 3 x 4,096 x 14,336) x 2 B = 416 of weights and 4,096 x 2 x 1,024 x 2 B = 16 of cache: 15 fit
    assert int((8192 - 300 - 64 - 1002 - 112) / (416 + 16)) == 15
    m = Machine(gpu=cat.gpu("rtx4060"), ram_gb=32, context=4096)
    hp = best_format(m, cat.model("llama3.1-8b"))["highest_precision_with_ram"]
    assert (hp.linear_bits, hp.engine, hp.level, hp.gpu_layers, hp.n_layers) == (16.0, "llamacpp", "partial", 15, 32)
    # vLLM keeps the 16-bit weights that do not fit in RAM and reads them over the card's PCIe 4.0 x8 (16 GB/s, at
    # the pinned 84 %) every step: the needed bytes less the usable ones, a slower row than llama.cpp's split
    v = evaluate(replace(m, engine="vllm"), cat.model("llama3.1-8b"), "bf16")
    assert (v.level, v.engine) == ("partial", "vllm") and v.copied_bytes == v.needed_bytes - v.budget_bytes
    on_card = evaluate(replace(m, gpu=cat.gpu("rtx4090"), engine="vllm"), cat.model("llama3.1-8b"), "bf16")
    assert on_card.level == "gpu"
    assert 1 / v.decode_tokens_per_s > v.copied_bytes / (16e9 * 0.84) > 0.7
    assert v.decode_tokens_per_s < hp.decode_tokens_per_s
    assert main(["best-format", "--model", "llama3.1-8b", "--gpu", "rtx4060", "--ram", "32"]) == 0
    assert "with 32 GB of RAM, the highest precision that runs: fp16 (16.00 bits/weight" in capsys.readouterr().out
    # the other non-GGUF formats stay on vLLM (llama.cpp reads no FP8, AWQ or bitsandbytes checkpoint)
    assert evaluate(m, cat.model("llama3.1-8b"), "awq-int4").engine == "vllm"

def test_cli_machine_and_best_format(capsys):
    rc = main(["machine", "--gpu", "rtx4090", "--ram", "64", "--family", "Qwen2.5", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert rc == 0 and rows and all(r["level"] != "none" for r in rows)
    # the default order, the window's: on the GPU, then offloaded, then on the CPU; the largest models first in each
    levels = [("gpu", "partial", "cpu").index(r["level"]) for r in rows]
    assert levels == sorted(levels) and [r["model"] for r in rows][0] == "qwen2.5-32b"
    rc = main(["machine", "--gpu", "rtx4090", "--ram", "64", "--family", "Qwen2.5", "--json", "--sort", "tokens_per_s"])
    speeds = [r["decode_tokens_per_second"] for r in json.loads(capsys.readouterr().out)]
    assert speeds == sorted(speeds, reverse=True)
    # --no-mmap: the partly offloaded rows' first token copies the part in RAM from pinned memory, at 0.84 of the link
    # against 0.3, so it comes sooner; the rows on the GPU and every decode are unchanged
    rc = main(["machine", "--gpu", "rtx4090", "--ram", "64", "--family", "Qwen2.5", "--json", "--no-mmap"])
    pinned = {(r["model"], r["weights"]): r for r in json.loads(capsys.readouterr().out)}
    partial = [r for r in rows if r["level"] == "partial" and r["time_to_first_token_seconds"]
               and r["engine"] in LLAMACPP]
    assert rc == 0 and partial and all(
        pinned[r["model"], r["weights"]]["time_to_first_token_seconds"] < r["time_to_first_token_seconds"]
        for r in partial)
    assert all(pinned[r["model"], r["weights"]]["time_to_first_token_seconds"] == r["time_to_first_token_seconds"]
               and pinned[r["model"], r["weights"]]["decode_tokens_per_second"] == r["decode_tokens_per_second"]
               for r in rows if r["level"] == "gpu" or r["engine"] not in LLAMACPP)   # (vLLM pins them either way)
    assert any(r["level"] == "partial" and r["engine"] == "vllm" for r in rows)
    rc = main(["best-format", "--model", "llama3.1-70b", "--gpu", "a100-80gb", "--context", "8192", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["highest_precision"]["bits_per_weight"] == pytest.approx(8.5, abs=0.001)


def test_rows_with_only_the_output_layer_in_ram_say_so(capsys):
    """The llama.cpp of 2023 offloads the output layer last.  Llama 3 8B Q8_0 on an RTX 2070 (8 GiB) at 512 tokens
    needs 35.8 MiB more than the card holds (the row's own figure), less than its output layer, 128,256 x 4,096 at
    Q8_0's 8.5 bits (532.3 MiB): every layer stays on the card and only the output layer goes to the 64 GB of RAM.
    The row read ``offload 32/32``, as if every layer were on the card; the plan's own words say so (core.offload:
    OffloadPlan.output_only, which the grid's check against plan_offload holds equal row by row)."""
    assert 128256 * 4096 * 8.5 / 8 / MIB == pytest.approx(532.3, abs=0.05)
    args = ["machine", "--gpu", "rtx2070", "--ram", "64", "--engine", "llamacpp-2023", "--context", "512"]
    assert main([*args, "--json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out) if (r["model"], r["weights"]) == ("llama3-8b", "q8_0"))
    over = row["needed_bytes"] - row["budget_bytes"]
    assert row["budget_bytes"] == 8192 * MIB and over / MIB == pytest.approx(35.8, abs=0.05)
    assert (row["level"], row["gpu_layers"], row["n_layers"], row["output_only"]) == ("partial", 32, 32, True)
    assert main(args) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("llama3-8b ") and " q8_0 " in x)
    assert "offload output" in line and "32/32" not in line
    # a row with layers in RAM is a split, as before
    assert main(["machine", "--gpu", "rtx2070", "--ram", "64", "--engine", "llamacpp-2023", "--context", "512",
                 "--json", "--family", "Llama 2"]) == 0
    big = next(r for r in json.loads(capsys.readouterr().out) if (r["model"], r["weights"]) == ("llama2-70b", "q4_k_m"))
    assert big["level"] == "partial" and big["gpu_layers"] < 80 and not big["output_only"]


def test_rows_with_only_experts_in_ram_say_so(capsys):
    """llama.cpp's --fit places an MoE model's dense parts on the card and as many layers' experts as room is left:
    Qwen3-Next 80B-A3B Q4_K_M beside an RTX 4060 with 64 GB at 4,096 tokens keeps its 48 layers on the card and the
    routed experts of 42 of them in RAM (the plan's own count: core.offload.plan_offload's cpu_moe_layers).  The row
    read ``offload 48/48``, as if every layer were whole on the card."""
    from vramgui.core.offload import plan_offload
    from vramgui.core.scenario import Scenario
    cat = default_catalog()
    s = Scenario(model=cat.model("qwen3-next-80b-a3b"), gpu=cat.gpu("rtx4060"), weights="q4_k_m", engine="llamacpp",
                 prompt_tokens=4096, output_tokens=0)
    plan = plan_offload(s, 64)
    assert (plan.level, plan.gpu_layers, plan.cpu_moe_layers) == ("partial", 48, 42)
    args = ["machine", "--gpu", "rtx4060", "--ram", "64", "--context", "4096", "--family", "Qwen3"]
    assert main([*args, "--json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out)
               if (r["model"], r["weights"]) == ("qwen3-next-80b-a3b", "q4_k_m"))
    assert (row["level"], row["gpu_layers"], row["experts_in_ram"]) == ("partial", 48, 42)
    assert main(args) == 0
    line = next(x for x in capsys.readouterr().out.splitlines()
                if x.startswith("qwen3-next-80b-a3b ") and " q4_k_m " in x)
    assert "offload experts 42/48" in line and "48/48" not in line


def test_cli_machine_keeps_vllms_routed_experts_alone_in_ram(capsys):
    """`machine --cpu-offload-experts`: under vLLM the offloaded MoE rows keep their routed experts alone in RAM
    (--cpu-offload-params), the same bytes as by default (the least that lets the rest fit), read as the tokens use
    them: Qwen3 30B-A3B BF16 beside an RTX 4090 with 64 GB is the core's evaluate with the machine's experts_only, 8 of
    its 128 experts a token read where the default reads the layers' mix; dense rows and the GGUF rows as before."""
    cat = default_catalog()
    argv = ["machine", "--gpu", "rtx4090", "--ram", "64", "--engine", "vllm", "--family", "Qwen3", "--json"]
    assert main(argv) == 0
    mixed = {(r["model"], r["weights"]): r for r in json.loads(capsys.readouterr().out)}
    assert main([*argv, "--cpu-offload-experts"]) == 0
    alone = {(r["model"], r["weights"]): r for r in json.loads(capsys.readouterr().out)}
    assert mixed.keys() == alone.keys()
    o = evaluate(Machine(gpu=cat.gpu("rtx4090"), ram_gb=64, engine="vllm", experts_only=True),
                 cat.model("qwen3-30b-a3b"), "bf16")
    row = alone["qwen3-30b-a3b", "bf16"]
    assert row["level"] == "partial" and row["decode_tokens_per_second"] == pytest.approx(o.decode_tokens_per_s)
    assert row["needed_bytes"] == mixed["qwen3-30b-a3b", "bf16"]["needed_bytes"]
    # (the step adds the link's time for the same bytes at 8/128 of them read where the layers' mix reads 1 - x + x/16,
    # x the routed experts' share of the layers: faster, by less than that ratio: tests/ui, machine_tab's test)
    x = 28_991_029_248 / (28_991_029_248 + 48 * 19_140_288)
    ratio = row["decode_tokens_per_second"] / mixed["qwen3-30b-a3b", "bf16"]["decode_tokens_per_second"]
    assert 1.0 < ratio < (1 - x + x / 16) / (1 / 16)
    same = [k for k, r in mixed.items() if r["engine"] != "vllm" or r["level"] != "partial"
            or not count_params(cat.model(k[0]).architecture).experts]
    assert any(k[0] == "qwen3-32b" for k in same) and all(alone[k] == mixed[k] for k in same)


def test_rows_short_of_llama_servers_fit_margin_are_marked(capsys):
    """Llama 3.1 8B Q6_K on an RTX 4060 (8 GiB) at 8,192 tokens fits, but with less than the 1,024 MiB that llama-server
    and llama-cli keep free when they place the layers themselves (--fit, PR #16653): without -ngl they would move
    layers to the CPU.  By hand: 7,504,924,672 weights at Q6_K's 6.5625 bits (the 8.03 B less the token embedding,
    which llama.cpp keeps in RAM; f32 norms) = 5,872 MiB, the cache 8,192 x 32 layers x 2 x 1,024 x 2 B = 1,024 MiB,
    the CUDA context 300 and the compute buffer 64: 7,260 of 8,192, 932 to spare.  At 7,168 tokens the cache is 896
    MiB and 1,060 are spare: no mark."""
    def row(context):
        assert main(["machine", "--gpu", "rtx4060", "--ram", "32", "--context", str(context), "--family", "Llama 3",
                     "--json"]) == 0
        return next(r for r in json.loads(capsys.readouterr().out)
                    if (r["model"], r["weights"]) == ("llama3.1-8b", "q6_k"))
    short, roomy = row(8192), row(7168)
    assert short["level"] == "gpu" and short["headroom_bytes"] / 2**20 == pytest.approx(932, abs=2)
    assert short["short_of_fit_margin"] and not roomy["short_of_fit_margin"]
    assert roomy["level"] == "gpu" and roomy["headroom_bytes"] / 2**20 == pytest.approx(1060, abs=2)
    # the table says it, with what it means under the table; best-format's table too
    assert main(["machine", "--gpu", "rtx4060", "--ram", "32", "--context", "8192", "--family", "Llama 3"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("llama3.1-8b ") and " q6_k " in ln)
    assert "fits (-ngl all)" in line
    assert "(-ngl all): fits with less to spare than the 1,024 MiB llama-server and llama-cli keep free" in out
    assert main(["best-format", "--model", "llama3.1-8b", "--gpu", "rtx4060", "--ram", "32", "--context", "8192"]) == 0
    out = capsys.readouterr().out
    assert "fits (-ngl all)" in next(ln for ln in out.splitlines() if ln.startswith("q6_k ")) and "--fit" in out
    # each row names the engine that runs it (the table's engine column, JSON engine): GGUF on llama.cpp, the
    # others on vLLM where the machine's engine is a llama.cpp profile
    assert main(["best-format", "--model", "llama3.1-8b", "--gpu", "rtx4060", "--ram", "32", "--json"]) == 0
    engines = {o["weights"]: o["engine"] for o in json.loads(capsys.readouterr().out)["options"]}
    assert (engines["q6_k"], engines["fp8"], engines["awq-int4"]) == ("llamacpp", "vllm", "vllm")
    assert main(["best-format", "--model", "llama3.1-8b", "--gpu", "rtx4060", "--engine", "sglang"]) == 0
    rows = {ln.split()[0]: ln.split()[1] for ln in capsys.readouterr().out.splitlines() if ln.count(" GiB") == 1
            and not ln.startswith(" ")}
    assert (rows["q6_k"], rows["fp8"], rows["bf16"]) == ("llamacpp", "sglang", "sglang")
    # Ollama's rows carry no mark: its own budget keeps the margin free (the model then partly offloads)
    assert main(["machine", "--gpu", "rtx4060", "--ram", "32", "--context", "8192", "--engine", "ollama-num-ctx",
                 "--family", "Llama 3"]) == 0
    assert "-ngl all" not in capsys.readouterr().out


@pytest.mark.parametrize("model, fmt, bpw", [("llama2-7b", "q4_0", 4.54), ("llama2-13b", "q4_0", 4.53),
                                             ("llama2-70b", "q4_0", 4.51), ("llama2-7b", "fp16", 16.00)])
def test_bits_per_weight_are_what_llamacpp_prints(model, fmt, bpw):
    # llama.cpp build 1680 prints "model size = 3.56 GiB (4.54 BPW)" for Llama 2 7B Q4_0, 4.53 for 13B,
    # 4.51 for 70B, 16.00 for F16 (measured corpus, XiongjieDai/GPU-Benchmarks-on-LLM-Inference): the
    # whole file's bits over its parameters (Q4_0's 4.5 bits, its Q6_K output layer), to its two decimals.
    from vramgui.core.machine import format_bits
    bits, linear = format_bits(default_catalog().model(model).architecture, fmt)
    assert round(bits, 2) == pytest.approx(bpw, abs=0.006)
    assert linear == (4.5 if fmt == "q4_0" else 16.0)


def test_precision_ranks_by_the_linear_layers_bits():
    # Qwen2.5 0.5B: its 136 M-weight embedding (of 494 M) stays 16-bit in AWQ, so AWQ averages 7.4 bits a
    # weight, above Q5_K_M's 6.7 (whose tied embedding is Q6_K): yet AWQ's layers hold 4.16 bits and
    # Q5_K_M's about 6.  The highest precision that fits is ranked by the layers.
    cat = default_catalog()
    r = best_format(Machine(gpu=cat.gpu("rtx4090"), context=4096), cat.model("qwen2.5-0.5b"),
                    formats=("awq-int4", "q5_k_m"))
    by = {o.weights: o for o in r["options"]}
    assert by["awq-int4"].bits > by["q5_k_m"].bits and by["awq-int4"].linear_bits < by["q5_k_m"].linear_bits
    assert r["highest_precision"].weights == "q5_k_m"


# --- the stacked grid against the one-scenario functions ------------------------------------------

def _reference(m: Machine, model, fmt: str):
    """The machine view's numbers for one entry, composed from the one-scenario functions
    (estimate, budget, layer-offload plan, largest-prompt search, decode and prefill)."""
    from vramgui.core.fit import auto_fit_headroom, budget_bytes, max_prompt_tokens
    from vramgui.core.machine import _engine_for
    from vramgui.core.memory import estimate_memory
    from vramgui.core.offload import plan_offload
    from vramgui.core.scenario import Scenario
    from vramgui.core.speed import decode_step, prefill_time

    engine = _engine_for(m.engine, fmt, m.gguf_engine)
    s = Scenario(model=model, gpu=m.gpu, n_gpus=m.n_gpus, weights=fmt, kv_dtype=kv_for(engine, m.kv_dtype),
                 engine=engine, prompt_tokens=m.context, output_tokens=0,
                 batch=m.batch, host=m.host)
    needed, budget = float(estimate_memory(s).total), budget_bytes(s)
    output_only, experts = False, 0
    if needed <= budget:
        level, layers, tok_s = "gpu", model.architecture.num_layers, 1.0 / float(decode_step(s, m.batch, m.context)[0])
    elif m.ram_gb > 0 and offloads_to_ram(s.engine):
        plan = plan_offload(s, m.ram_gb, pinned=m.pinned, ram_bandwidth_gb_s=m.ram_bandwidth_gb_s,
                            experts_only=m.experts_only)
        level, layers, tok_s, output_only = plan.level, plan.gpu_layers, plan.tokens_per_s, plan.output_only
        experts = plan.cpu_moe_layers if plan.level == "partial" and plan.splits_layers else 0
    else:
        level, layers, tok_s = "none", 0, 0.0
    mp = max_prompt_tokens(s, budget) if level == "gpu" else None
    if level in ("partial", "cpu"):   # the largest context the cards and the RAM hold together: a context plan_offload
        #                               places, one token more it does not (below: the row's own is checked so)
        mp = "placed"
    ttft = (float(prefill_time(s, m.context, m.batch))
            if level == "gpu" and s.gpu.peak_flops(s.weight_format.kernel) else None)
    if level in ("partial", "cpu") and np.isfinite(plan.prefill_s):    # (the passes' copies of the part in RAM)
        ttft = plan.prefill_s
    return level, needed, budget, mp, tok_s, ttft, layers, auto_fit_headroom(s) is not None, output_only, experts


def _placed(m: Machine, o, context: int) -> bool:
    """Whether plan_offload places ``o``'s model and format on the machine at ``context`` tokens."""
    from vramgui.core.machine import _engine_for
    from vramgui.core.offload import plan_offload
    from vramgui.core.scenario import Scenario

    engine = _engine_for(m.engine, o.weights, m.gguf_engine)
    s = Scenario(model=o.model, gpu=m.gpu, n_gpus=m.n_gpus, weights=o.weights, kv_dtype=kv_for(engine, m.kv_dtype),
                 engine=engine, prompt_tokens=0, output_tokens=0,
                 batch=m.batch, host=m.host).model_copy(update={"prompt_tokens": context})   # (past the scenario's cap)
    return plan_offload(s, m.ram_gb, pinned=m.pinned, ram_bandwidth_gb_s=m.ram_bandwidth_gb_s,
                        with_prefill=False, experts_only=m.experts_only).level != "none"


@pytest.mark.parametrize("gpu, n, ram, engine, context, batch, kv, host, gguf, pinned, bw", [
    ("rtx4090", 1, 64, "llamacpp", 4096, 1, "fp16", None, "llamacpp", False, None),  # offload of the big models
    ("rtx4060", 1, 64, "llamacpp", 2048, 8, "fp16", None, "llamacpp", False, None),  # offload at 8 sequences: the
    #                                                                                 experts the batch touches
    ("rtx4090", 1, 96, "llamacpp", 1024, 32, "fp16", None, "llamacpp", False, None),  # at 32: op offload's copies
    ("rtx4090", 1, 64, "llamacpp", 16, 1, "fp16", None, "llamacpp", False, None),  # a 16-token prompt: no copy,
    #                                                                               the CPU runs its part (cpu_prompt)
    ("rtx4090", 1, 96, "llamacpp", 1024, 32, "fp16", None, "llamacpp", True, None),  # ... pinned (--no-mmap)
    ("rtx3090", 2, 128, "llamacpp", 4096, 1, "fp16", None, "llamacpp", False, None),  # --fit's MoE placement, 2 cards
    ("rtx4090", 1, 0, "llamacpp", 32768, 4, "fp16", None, "llamacpp", False, None),  # no RAM: GPU or nothing
    ("a100-80gb", 2, 256, "vllm", 8192, 1, "fp16", None, "llamacpp", False, None),  # tensor parallel, GGUF layer split
    ("h100-sxm", 8, 1024, "hf", 131072, 8, "fp8", None, "llamacpp", False, None),  # eager-free HF, fp8 KV, long context
    ("a100-80gb", 1, 0, "hf", 4096, 1, "fp16", "desktop", "llamacpp", False, None),  # HF on a named host
    ("m2-max-96gb", 1, 96, "llamacpp", 8192, 1, "fp16", None, "llamacpp", False, None),  # unified memory
    ("m4-max-64gb", 1, 64, "mlx", 8192, 1, "fp16", None, "llamacpp", False, None),  # MLX: its formats, AWQ, MXFP4
    ("rtx3060-12gb", 3, 16, "generic", 16384, 2, "fp16", None, "llamacpp", False, None),  # three small cards
    ("rtx4090", 1, 64, "generic", 4096, 1, "fp16", None, "llamacpp", False, None),  # generic's layer split: its
    #                                                                               non-GGUF rows offloaded too
    ("m4-max-64gb", 1, 48, "generic", 8192, 1, "fp16", None, "llamacpp", False, None),  # ... on a Mac: one pool
    ("rtx3090", 1, 32, "llamacpp-2023", 8192, 1, "fp16", None, "llamacpp", False, None),  # GGUF without CUDA graphs
    ("rtx4090", 1, 64, "vllm", 4096, 1, "fp16", None, "ollama", False, None),  # GGUF on Ollama: its 32k default
    ("rtx3090", 2, 64, "sglang", 2048, 2, "fp16", None, "ollama", False, None),  # two cards: 48 GiB, the top tier
    ("rtx4080", 1, 32, "vllm", 8192, 1, "fp16", None, "ollama-num-ctx", False, None),  # Ollama with num_ctx set
    ("rtx4070", 1, 32, "ollama", 4096, 1, "fp16", None, "llamacpp", False, None),  # Ollama as the engine: its
    #                                                                           16-bit files too, offloaded
    ("rtx4060", 1, 64, "llamacpp", 2048, 8, "fp16", None, "llamacpp", False, 96.0),  # the RAM's bandwidth given
    #                                                                                (dual-channel DDR5-6000)
    ("m2-max-96gb", 1, 96, "llamacpp", 8192, 1, "fp16", None, "llamacpp", False, 200.0),  # ... over a unified one's
    ("m4-max-64gb", 1, 64, "hf", 4096, 1, "fp16", None, "llamacpp", False, None),  # HF's copies on a Mac: its one pool
    ("rtx4060", 1, 64, "hf", 2048, 1, "fp16", None, "llamacpp", False, None),  # HF's copies on one card: room for the
    #                                                                           largest module brought from RAM
    ("rtx5090", 1, 64, "vllm", 4096, 1, "fp16", None, "llamacpp", False, None),  # NVFP4 on FP4 tensor cores
    ("b200", 2, 256, "sglang", 8192, 4, "fp16", None, "llamacpp", False, None),  # ... SGLang's, on two cards
    ("b200", 2, 256, "hf", 4096, 1, "fp16", None, "llamacpp", False, None),  # HF's NVFP4 on one card only: no row
    ("rtx4090", 2, 128, "hf", 2048, 4, "fp16", None, "llamacpp", False, None),  # HF's copies on the first card
])
def test_stacked_grid_equals_the_one_scenario_path(gpu, n, ram, engine, context, batch, kv, host, gguf, pinned, bw):
    cat = default_catalog()
    check_grid(Machine(gpu=cat.gpu(gpu), n_gpus=n, ram_gb=ram, engine=engine, context=context, batch=batch,
                       kv_dtype=kv, host=host, gguf_engine=gguf, pinned=pinned, ram_bandwidth_gb_s=bw))


@pytest.mark.parametrize("gpu, n, ram, engine, context, batch", [
    ("rtx4090", 1, 64, "vllm", 4096, 1),        # one card
    ("a100-80gb", 2, 256, "vllm", 8192, 4),     # two, four sequences: the experts they touch
    ("rtx4090", 1, 64, "sglang", 4096, 1),      # SGLang has no such flag: its default offload
])
def test_stacked_grid_with_vllms_experts_alone_in_ram_equals_the_one_scenario_path(gpu, n, ram, engine, context,
                                                                                    batch):
    """The machine's ``experts_only`` (vLLM's --cpu-offload-params with the experts' names) as plan_offload's."""
    cat = default_catalog()
    check_grid(Machine(gpu=cat.gpu(gpu), n_gpus=n, ram_gb=ram, engine=engine, context=context, batch=batch,
                       experts_only=True))


def check_grid(m: Machine) -> None:
    """Every row of the machine's table against the one-scenario functions (:func:`_reference`)."""
    cat = default_catalog()
    engine, gpu, gguf = m.engine, m.gpu.id, m.gguf_engine
    rows = machine_table(m, cat)
    # 11 formats for every model, and MXFP4 (routed experts apart: as released, and llama.cpp's GGUF) for the
    # models that have experts
    moe = sum(1 for model in cat.models.values() if count_params(model.architecture).experts)
    # and Kimi K2.5 and K2.6 in the INT4 experts they are released in (a format the grid does not compare), where
    # the machine runs it
    kimi = 2 if runs_on(engine, "int4-experts", cat.gpu(gpu), gguf) else 0
    assert sorted(o.model.id for o in rows if o.weights == "int4-experts") == ["kimi-k2.5", "kimi-k2.6"][:kimi]
    if cat.gpu(gpu).vendor == "Apple" and engine == "generic":   # the theory runs every format: six of its own,
        #                                                             six GGUF, three MLX, MXFP4 twice for MoE models
        assert len(rows) == len(cat.models) * 15 + 2 * moe + kimi
    elif cat.gpu(gpu).vendor == "Apple" and engine != "mlx":   # on a Mac llama.cpp's six GGUF formats and MLX's three
        #                                                       (vLLM: no Metal backend), and where llama.cpp is the
        #                                                       machine's engine its 16-bit GGUF files (with HF
        #                                                       transformers its 16-bit weights on the MPS device)
        f16 = engine in LLAMACPP or engine == "hf"
        assert len(rows) == len(cat.models) * (9 + f16) + moe + kimi
        assert {o.weights for o in rows} <= GGUF | MLX_FORMATS | ({"bf16"} if f16 else set())
    else:   # (with MLX on a Mac: bf16, AWQ, six GGUF and three MLX formats, MXFP4 twice for MoE models: 11 too), but
        #     FP8 and MXFP4 where the engine does not run them as stored (HF transformers dequantizes FP8 below
        #     compute capability 8.9: its BF16 row is what runs; MLX's eleven hold no FP8 row in the first place)
        fp8, mxfp4 = (runs_on(engine, f, cat.gpu(gpu), gguf) or engine == "mlx" for f in ("fp8", "mxfp4"))
        assert (engine, gpu, fp8) != ("hf", "a100-80gb", True)
        # and NVFP4 where the engine runs it on the card (vLLM from compute capability 7.5, weight-only before
        # Blackwell; SGLang's and HF transformers' on Blackwell)
        nvfp4 = runs_on(engine, "nvfp4", cat.gpu(gpu), gguf)
        assert len(rows) == len(cat.models) * (10 + fp8 + nvfp4) + (1 + mxfp4) * moe + kimi and moe >= 8
    levels, shorts = set(), 0
    if engine == "llamacpp-2023":    # the GGUF rows run as builds without CUDA graphs, 16-bit files too, the others
        from vramgui.core.machine import _engine_for  # on vLLM
        assert [_engine_for(engine, f) for f in ("q4_k_m", "bf16", "fp8")] == ["llamacpp-2023"] * 2 + ["vllm"]
    for o in rows:
        level, needed, budget, mp, tok_s, ttft, layers, short, output_only, experts = _reference(m, o.model,
                                                                                                o.weights)
        where = f"{o.model.id} {o.weights}"
        if mp == "placed":
            mp = o.max_context
            assert o.max_context >= m.context and _placed(m, o, o.max_context), where
            assert o.max_context == MAX_TOKENS or not _placed(m, o, o.max_context + 1), where
        assert (o.level, o.max_context, o.gpu_layers, o.short_of_fit_margin, o.output_only, o.experts_in_ram) == \
            (level, mp, layers, short, output_only, experts), where
        assert o.needed_bytes == pytest.approx(needed, rel=1e-9) and o.budget_bytes == pytest.approx(budget), where
        assert o.decode_tokens_per_s == pytest.approx(tok_s, rel=1e-9), where
        assert (o.ttft_s is None) == (ttft is None) and (ttft is None or o.ttft_s == pytest.approx(ttft, rel=1e-9))
        levels.add(o.level)
        shorts += o.short_of_fit_margin
    assert "gpu" in levels and ("none" in levels or "partial" in levels)
    # (rows short of llama-server's 1 GiB: only where current llama.cpp runs the GGUF rows, not its 2023 builds nor
    # Ollama, whose budget keeps its margin, nor the other engines; that such rows are marked where they are:
    # test_rows_short_of_llama_servers_fit_margin_are_marked, by hand)
    from vramgui.core.machine import _engine_for
    assert shorts == 0 or _engine_for(engine, "q4_k_m", gguf) == "llamacpp", shorts


def test_quality_is_shown_only_where_a_sourced_figure_is_attached(capsys):
    # Llama 3 8B carries llama.cpp's published WikiText-2 perplexities (PR #6936 scoreboard):
    # F16 6.7684, Q8_0 6.7687, Q6_K 6.8007, Q5_K_M 6.8308, Q4_K_M (imatrix) 6.9164.
    from vramgui.core.formats import WEIGHT_FORMATS

    cat = default_catalog()
    for model in cat.models.values():              # every figure names a real format and a source
        for q in model.quality:
            assert q.weights in WEIGHT_FORMATS and q.source.startswith("https://"), (model.id, q)
    rc = main(["best-format", "--model", "llama3-8b", "--gpu", "rtx4090", "--context", "8192", "--json"])
    d = json.loads(capsys.readouterr().out)
    by = {o["weights"]: o for o in d["options"]}
    assert rc == 0
    assert by["q8_0"]["quality"]["perplexity"] == pytest.approx(6.7687, abs=1e-4)
    assert by["q4_k_m"]["quality"]["perplexity"] == pytest.approx(6.9164, abs=1e-4)
    assert "6936" in by["q4_k_m"]["quality"]["source"] and by["q4_k_m"]["quality"]["note"]
    assert by["awq-int4"]["quality"] is None                     # nothing published attached: nothing shown
    main(["best-format", "--model", "llama2-7b", "--gpu", "rtx4090"])
    assert "no published perplexity" in capsys.readouterr().out


def test_cli_machine_filters_by_size_and_context(capsys):
    # RTX 4090 (24 GB), vLLM for the non-GGUF formats: models of 6-9 B parameters whose largest context on the card
    # reaches 32k tokens.  Every row must satisfy both filters; the 7-8 B Llamas in 4-bit do.
    rc = main(["machine", "--gpu", "rtx4090", "--engine", "vllm", "--min-params", "6", "--max-params", "9",
               "--min-context", "32768", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert rc == 0 and rows
    assert all(6e9 <= r["params"] <= 9e9 and r["level"] == "gpu" and r["max_context"] >= 32768 for r in rows)
    assert any(r["model"] == "llama3.1-8b" and r["weights"] == "q4_k_m" for r in rows)
    rc = main(["machine", "--gpu", "rtx4090", "--min-params", "60", "--all", "--json"])   # 70B class on 24 GB
    rows = json.loads(capsys.readouterr().out)
    assert rc == 0 and rows and all(r["params"] >= 60e9 for r in rows)
    assert all(r["level"] == "none" for r in rows)              # even Q2_K of a 70B (~26 GB) exceeds 24 GB


def test_offloaded_rows_give_the_largest_context_the_card_and_the_ram_hold(capsys):
    """Llama 3.1 70B Q4_K_M beside an RTX 4090 with 32 GB of RAM, llama.cpp, 1 sequence.  By hand: the card's 24 GiB
    (25.77 GB) and the RAM's 32 GB as one pool, less the 42.47 GB of weights, leave 15.30 GB, 46,690 tokens of cache
    at 327,680 bytes a token (80 layers x 8 KV heads x 128 x 2 x 2 bytes): an upper bound.  The CUDA context and the
    compute buffers (about 1.6 GB at 4k, growing with the context) and whole layers on the card take 10 % at most."""
    from vramgui.core.machine import evaluate
    cat = default_catalog()
    m = Machine(gpu=cat.gpu("rtx4090"), ram_gb=32, context=4096)
    o = evaluate(m, cat.model("llama3.1-70b"), "q4_k_m")
    pool = 24 * GIB + 32e9 - 42.47e9
    assert o.level == "partial" and 0.9 * pool / 327_680 <= o.max_context <= pool / 327_680, o.max_context
    # the CLI says where the RAM is counted; --min-context keeps it where it reaches the context asked for
    assert main(["machine", "--gpu", "rtx4090", "--ram", "32", "--family", "Llama 3", "--min-context", "40000"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("llama3.1-70b ") and " q4_k_m " in line)
    assert f"{o.max_context:,} with RAM" in row
    assert main(["machine", "--gpu", "rtx4090", "--ram", "32", "--family", "Llama 3", "--min-context",
                 str(o.max_context + 1), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(r["max_context"] > o.max_context for r in rows)
    assert not any(r["model"] == "llama3.1-70b" and r["weights"] == "q4_k_m" for r in rows)


def test_sort_by_any_column_in_its_natural_order(capsys):
    from vramgui.core.machine import SORT_KEYS, sort_options

    cat = default_catalog()
    rows = [o for o in machine_table(Machine(gpu=cat.gpu("a100-80gb"), context=8192), cat) if o.level == "gpu"]
    for by, (key, descending) in SORT_KEYS.items():
        values = [key(o) for o in sort_options(rows, by)]
        assert values == sorted(values, reverse=descending), by
        assert [key(o) for o in sort_options(rows, by, reverse=True)] == sorted(values, reverse=not descending)
    with pytest.raises(ValueError, match="unknown sort column"):
        sort_options(rows, "quality")
    # CLI: largest context first; the first row's context is the largest of all
    assert main(["machine", "--gpu", "a100-80gb", "--context", "8192", "--sort", "max_context", "--json"]) == 0
    ctx = [r["max_context"] or -1 for r in json.loads(capsys.readouterr().out)]
    assert ctx[0] == max(ctx) and ctx == sorted(ctx, reverse=True)


def test_mxfp4_rows_only_for_models_with_experts():
    # gpt-oss-120b as released: experts in MXFP4 (4.25 bits), the rest bf16: 60.77 GiB of weights
    # over 116.83 B parameters = 4.47 bits a weight on average (model card: 60.8 GiB checkpoint)
    cat = default_catalog()
    m = Machine(gpu=cat.gpu("h100-sxm"), n_gpus=1, ram_gb=64, engine="vllm", context=4096)
    rows = {(o.model.id, o.weights): o for o in machine_table(m, cat)}
    oss = rows[("gpt-oss-120b", "mxfp4")]
    assert oss.bits == pytest.approx(60.77 * 2**30 * 8 / 116.83e9, rel=0.002)
    assert oss.level == "gpu"                 # 61 GiB of weights on an 80 GB card
    assert ("llama3.1-8b", "mxfp4") not in rows and ("llama3.1-8b", "bf16") in rows
    options = {o.weights: o for o in best_format(m, cat.model("gpt-oss-120b"))["options"]}
    assert options["mxfp4"].level == "gpu" and options["fp8"].level != "gpu"   # fp8: 117 GB of weights
    assert "mxfp4" not in {o.weights for o in best_format(m, cat.model("llama3.1-8b"))["options"]}
    # llama.cpp's gpt-oss GGUF (the rest Q8_0): 59.02 GiB over 116.83 B parameters, as llama-bench prints it, and it
    # runs on llama.cpp, whatever engine the machine names for the other formats
    gguf = rows[("gpt-oss-120b", "gguf-mxfp4")]
    assert gguf.bits == pytest.approx(59.02 * 2**30 * 8 / 116.83e9, rel=0.002)
    from vramgui.core.machine import _engine_for
    assert _engine_for("vllm", "gguf-mxfp4") == "llamacpp" and ("llama3.1-8b", "gguf-mxfp4") not in rows
    assert options["gguf-mxfp4"].level == "gpu"


def test_vllm_lists_no_bf16_below_compute_capability_8():
    """vLLM's dtype check refuses bfloat16 below compute capability 8.0 ('Bfloat16 is only supported on GPUs with
    compute capability of at least 8.0 ... --dtype=half'): on a T4 (7.5) the vLLM machine lists FP16 but not BF16;
    HF transformers there, and vLLM on an A10 (8.6), list both."""
    cat = default_catalog()
    model = cat.model("llama3.1-8b")
    def formats(gpu, engine):
        return {o.weights for o in best_format(Machine(gpu=cat.gpu(gpu), engine=engine), model)["options"]}
    assert "fp16" in formats("t4", "vllm") and "bf16" not in formats("t4", "vllm")
    assert {"fp16", "bf16"} <= formats("t4", "hf") and {"fp16", "bf16"} <= formats("a10", "vllm")
    # gpt-oss's MXFP4 experts likewise: vLLM's method asks compute capability 8.0 (Mxfp4Config: 80)
    gpt = cat.model("gpt-oss-20b")
    def gpt_formats(gpu, engine):
        return {o.weights for o in best_format(Machine(gpu=cat.gpu(gpu), engine=engine), gpt)["options"]}
    assert "mxfp4" not in gpt_formats("t4", "vllm") and "mxfp4" in gpt_formats("a10", "vllm")
    from vramgui.core.machine import evaluate
    with pytest.raises(ValueError, match="bf16 does not run on NVIDIA T4 with the vllm engine"):
        evaluate(Machine(gpu=cat.gpu("t4"), engine="vllm"), model, "bf16")


def test_a_mac_lists_what_runs_on_its_gpu():
    """On an Apple chip the machine view lists llama.cpp's GGUF formats (Metal), MLX's (mlx-lm) and, with
    the HF engine, the 16-bit formats PyTorch's MPS device runs; not vLLM's (its macOS build runs on the CPU
    only) nor bitsandbytes, AWQ or FP8. The same card count on an NVIDIA card lists them all but MLX's."""
    cat = default_catalog()
    model = cat.model("llama3.1-8b")
    formats = {eng: {o.weights for o in best_format(Machine(gpu=cat.gpu("m4-max-128gb"), engine=eng), model)["options"]}
               for eng in ("vllm", "sglang", "hf", "generic")}
    gguf = {"q8_0", "q6_k", "q5_k_m", "q5_0", "q4_k_m", "q4_0", "q3_k_m", "q2_k"}
    mlx = {"mlx-4bit", "mlx-6bit", "mlx-8bit"}
    assert formats["vllm"] == formats["sglang"] == gguf | mlx
    assert formats["hf"] == gguf | mlx | {"fp16", "bf16"}
    assert {"fp8", "awq-int4", "nf4"} | mlx <= formats["generic"]
    nvidia = {o.weights for o in best_format(Machine(gpu=cat.gpu("rtx4090")), model)["options"]}
    assert {"fp8", "awq-int4", "nf4"} <= nvidia and not nvidia & mlx
    from vramgui.core.machine import evaluate
    with pytest.raises(ValueError, match="does not run on Apple M4 Max"):
        evaluate(Machine(gpu=cat.gpu("m4-max-128gb"), engine="vllm"), model, "awq-int4")


def test_stacked_terms_are_kept_per_card():
    # the stacked coefficients are built once per catalog, engine and card: a second look at the same machine
    # reuses them, and a card whose speed rows differ (llama.cpp's Metal row on an M2 Ultra, the CUDA row on an
    # RTX 4090; fp8 attention at half the 4090's fp8 rate) gets its own, equal to a fresh build's
    import vramgui.core.machine as machine
    cat = default_catalog()
    models = [cat.model("llama2-7b"), cat.model("qwen3-30b-a3b")]

    def grid(gpu):
        return {(o.model.id, o.weights): (o.decode_tokens_per_s, o.ttft_s) for o in
                machine.machine_grid(Machine(gpu=cat.gpu(gpu), context=8192), models)}

    machine._GROUPS.clear()
    fresh = {g: grid(g) for g in ("m2-ultra-192gb", "rtx4090")}
    machine._GROUPS.clear()
    first = grid("rtx4090")
    groups = list(machine._GROUPS.values())
    assert first == fresh["rtx4090"] and grid("rtx4090") == first and list(machine._GROUPS.values()) == groups
    assert len(groups) == 1
    assert grid("m2-ultra-192gb") == fresh["m2-ultra-192gb"] != first and len(machine._GROUPS) == 2


def test_hf_machines_eight_bits_are_llm_int8(cat):
    # HF transformers loads 8-bit weights as bitsandbytes' LLM.int8() (load_in_8bit): the machine view offers that
    # for HF, timed with its layers' host cost (bitsandbytes' own benchmark: Llama 3.1 8B on an RTX 4090 at one
    # sequence 22.26 tokens/s; the desktop's host figure reads it within 15 %); vLLM keeps weight-only int8
    hf = machine_table(Machine(gpu=cat.gpu("rtx4090"), engine="hf"), cat)
    vllm = machine_table(Machine(gpu=cat.gpu("rtx4090"), engine="vllm"), cat)
    assert "bnb-int8" in {o.weights for o in hf} and "int8" not in {o.weights for o in hf}
    assert "int8" in {o.weights for o in vllm} and "bnb-int8" not in {o.weights for o in vllm}
    (row,) = [o for o in hf if o.model.id == "llama3.1-8b" and o.weights == "bnb-int8"]
    assert row.decode_tokens_per_s == pytest.approx(22.26, rel=0.15)


def test_hf_machine_on_a_named_host(capsys):
    cat = default_catalog()
    # Llama 2 7B bf16 under HF on one A100 80GB at 4,096 tokens: host-bound, 32 layers x 0.83 ms on the server the
    # card sits in (37.65 tokens/s), x 0.5 ms on a desktop (62.5), x 1.14 on an older server (27.41)
    from vramgui.core.machine import evaluate
    base = Machine(gpu=cat.gpu("a100-80gb"), engine="hf", context=4096)
    for host, per_layer in ((None, 0.83e-3), ("desktop", 0.5e-3), ("older-server", 1.14e-3)):
        o = evaluate(Machine(**{**base.__dict__, "host": host}), cat.model("llama2-7b"), "bf16")
        assert o.decode_tokens_per_s == pytest.approx(1 / (32 * per_layer), rel=1e-6)
    # the CLI's machine and best-format take --host
    from vramgui.cli import main
    assert main(["machine", "--gpu", "a100-80gb", "--engine", "hf", "--family", "Llama 2", "--host", "desktop",
                 "--json"]) == 0
    rows = {(r["model"], r["weights"]): r for r in json.loads(capsys.readouterr().out)}
    assert rows[("llama2-7b", "bf16")]["decode_tokens_per_second"] == pytest.approx(62.5, rel=1e-6)
    assert main(["best-format", "--gpu", "a100-80gb", "--engine", "hf", "--model", "llama2-7b", "--host",
                 "older-server", "--json"]) == 0
    opts = {o["weights"]: o for o in json.loads(capsys.readouterr().out)["options"]}
    assert opts["bf16"]["decode_tokens_per_second"] == pytest.approx(1 / (32 * 1.14e-3), rel=1e-6)


def test_nvfp4_rows_where_the_engine_runs_nvfp4_checkpoints():
    # NVFP4 is one of the grid's formats where the row's engine loads such a checkpoint on the card: vLLM from compute
    # capability 7.5 (ModelOptNvFp4Config.get_min_capability() 75, its Marlin FP4 kernel weight-only before
    # Blackwell), not a V100 (7.0); SGLang on Blackwell (modelopt_fp4) and on MI250 / MI300X (Petit), not an RTX 4090;
    # HF transformers never: it quantizes a 16-bit checkpoint as it loads it, on one card (core.engines.one_card)
    cat = default_catalog()
    for engine, gpu, runs in [("vllm", "rtx4090", True), ("vllm", "t4", True), ("vllm", "v100-32gb", False),
                              ("vllm", "rtx5090", True), ("sglang", "b200", True), ("sglang", "mi300x", True),
                              ("sglang", "rtx4090", False), ("hf", "b200", False), ("vllm", "m4-max-64gb", False),
                              ("llamacpp", "rtx5090", True)]:       # (the machine's llama.cpp: vLLM runs these rows)
        assert runs_on(engine, "nvfp4", cat.gpu(gpu)) == runs, (engine, gpu)
    rows = {(o.model.id, o.weights): o for o in machine_table(Machine(gpu=cat.gpu("rtx5090"), engine="vllm",
                                                                       context=4096), cat)}
    o = rows[("llama3.1-8b", "nvfp4")]
    # Llama 3.1 8B's linear layers at 4.5 bits (4-bit values and an FP8 scale per 16); its 16-bit embeddings and
    # output layer (128,256 x 4,096 each) keep the average higher
    assert o.linear_bits == 4.5 and o.level == "gpu"
    linear = 32 * (4096 * (4096 + 2 * 1024 + 4096) + 3 * 4096 * 14336)
    table = 128_256 * 4096
    assert o.bits == pytest.approx((linear * 4.5 + 2 * table * 16) / (linear + 2 * table + 65 * 4096), rel=2e-3)
    v100 = machine_table(Machine(gpu=cat.gpu("v100-32gb"), engine="vllm", context=4096), cat)
    assert v100 and not any(o.weights == "nvfp4" for o in v100)
