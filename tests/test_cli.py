"""vramgui-cli: flags, JSON keys, CSV, error lines."""

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vramgui.cli import main
from vramgui.core import WEIGHT_FORMATS
from vramgui.core.units import GIB


def run(capsys, *argv):
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_estimate_json_keys_and_values(capsys):
    rc, out, _ = run(capsys, "estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--weights", "fp16",
                     "--prompt", "4000", "--output", "96", "--json")
    assert rc == 0
    d = json.loads(out)
    assert d["model"]["params_total"] == 6_738_415_616 == d["model"]["params_active"]
    assert d["model"]["params_vision"] == 0                  # a text model
    assert d["memory"]["weights"] == 6_738_415_616 * 2
    assert d["memory"]["kv_cache"] == 4096 * 524288          # 2·32·4096·2 bytes per token
    m = d["memory"]
    assert m["total"] == pytest.approx(m["weights"] + m["kv_cache"] + m["activations"] + m["overhead"])
    for key in ("fits", "budget_bytes", "headroom_bytes", "max_context", "max_batch", "min_gpus",
                "kv_capacity_tokens"):
        assert key in d["fit"]
    for key in ("prefill_seconds", "decode_seconds_per_token", "decode_tokens_per_second",
                "throughput_tokens_per_second", "speed_of_light_decode_seconds_per_token"):
        assert isinstance(d["speed"][key], float)
    # MHA at 4k context: each sequence reads 4096 · 0.5 MiB = 2 GiB of KV (2.1 ms at 1,008 GB/s) for
    # 13.5 GFLOP (0.08 ms at 165 TFLOP/s), so decode never turns compute bound: no knee, expected or at the
    # speed of light.
    assert d["speed"]["knee_batch"] is None and d["speed"]["speed_of_light_knee_batch"] is None
    assert d["fit"]["budget_bytes"] == 24564 * 2**20


def test_a_cached_prefix_in_json_text_and_report(capsys, tmp_path):
    # a chat's next turn: 8,192 tokens of which 8,000 are cached.  Llama 2 7B fp16 on an RTX 4090 (generic
    # profile, 165.2 TFLOP/s × 0.60): 192 new tokens' matmuls, 2 × 6,607,343,616 each, and their attention,
    # 4 × 32 × 4,096 per pair over 192 × (8,000 + 96) pairs: 2.537 + 0.815 TFLOP ÷ 99.12 TFLOP/s = 33.8 ms
    argv = ("estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--prompt", "8192", "--cached", "8000",
            "--output", "0")
    rc, out, _ = run(capsys, *argv, "--json")
    d = json.loads(out)
    assert rc == 0 and d["scenario"]["cached_tokens"] == 8000
    flops = 2 * 6_607_343_616 * 192 + 4 * 32 * 4096 * 192 * (8000 + 96)
    assert d["speed"]["prefill_seconds"] == pytest.approx(flops / (165.2e12 * 0.60), rel=0.01)
    assert d["memory"]["kv_cache"] == 8192 * 524288           # the cache holds the whole prompt
    rc, out, _ = run(capsys, *argv)
    assert "prompt 8,192 (8,000 of them cached) + output 0 tokens" in out


def test_hf_host_flag_in_json_text_and_report(capsys):
    # ChatGLM3-6B (28 layers) on a V100 under HF transformers: by the card an older server's host, 28 x 1.14 ms;
    # --host desktop: 28 x 0.5 = 14 ms, under the read of its weights less the embedding table (65,024 x 4,096 x 2
    # bytes; a step reads one row of it) at 80 % of 900 GB/s (16.6 ms): the read bounds it
    argv = ("estimate", "--model", "chatglm3-6b", "--gpu", "v100-32gb", "--engine", "hf", "--prompt", "64",
            "--output", "0")
    rc, out, _ = run(capsys, *argv, "--json")
    d = json.loads(out)
    assert rc == 0 and (d["scenario"]["host"], d["scenario"]["host_from_card"]) == ("older-server", True)
    assert d["speed"]["decode_seconds_per_token"] == pytest.approx(28 * 1.14e-3, rel=1e-6)
    rc, out, _ = run(capsys, *argv, "--host", "desktop", "--json")
    d = json.loads(out)
    assert (d["scenario"]["host"], d["scenario"]["host_from_card"]) == ("desktop", False)
    read = d["memory"]["weights"] - 65024 * 4096 * 2
    assert d["speed"]["decode_seconds_per_token"] == pytest.approx(read / (900e9 * 0.8), rel=0.01)
    assert 28 * 0.5e-3 < d["speed"]["decode_seconds_per_token"] < 28 * 1.14e-3
    rc, out, _ = run(capsys, *argv)
    assert "hf (sdpa; host: older server, by the card)" in out.splitlines()[0]
    # the window's Markdown report says it too
    from vramgui.core.report import report_markdown
    rc, out, _ = run(capsys, *argv, "--host", "server", "--json")
    assert "hf engine (sdpa attention; host: server), prompt 64" in report_markdown(json.loads(out))
    # other engines: no host
    rc, out, _ = run(capsys, "estimate", "--model", "chatglm3-6b", "--gpu", "v100-32gb", "--json")
    assert json.loads(out)["scenario"]["host"] is None
    with pytest.raises(SystemExit):
        main(["estimate", "--model", "chatglm3-6b", "--gpu", "v100-32gb", "--host", "laptop"])
    assert "argument --host: invalid choice: 'laptop'" in capsys.readouterr().err


def test_estimate_table_says_gib(capsys):
    rc, out, _ = run(capsys, "estimate", "--model", "llama2-13b", "--gpu", "a100-80gb")
    assert rc == 0 and "GiB" in out and "verdict: FITS" in out


def test_cost_per_million_tokens(capsys):
    rc, out, _ = run(capsys, "estimate", "--model", "llama2-7b", "--gpu", "a100-80gb", "--batch", "8",
                     "--output", "256", "--price-per-hour", "2.0", "--json")
    sp = json.loads(out)["speed"]
    # 2.0 per hour / 3600 s / served throughput × 1e6 tokens: the prompts' prefill (eight 512-token
    # prompts per 256 steps) costs time, so it is below the decode steps' throughput
    tokens_per_s = sp["served_throughput_tokens_per_second"]
    assert sp["cost_per_million_tokens"] == pytest.approx(2.0 / 3600 / tokens_per_s * 1e6)
    assert 0 < sp["served_prefill_share"] < 0.5 and tokens_per_s < sp["throughput_tokens_per_second"]
    assert tokens_per_s == pytest.approx(sp["throughput_tokens_per_second"] * (1 - sp["served_prefill_share"]),
                                         rel=0.05)        # (the steps' mean context is a little shorter)
    # throughput only grows with batch, so the cheapest batch is the largest that fits in memory
    assert sp["cheapest_batch"] == sp["memory_max_batch"]
    assert sp["cheapest_cost_per_million_tokens"] < sp["cost_per_million_tokens"]


def test_fit_lists_every_card(capsys, cat):
    rc, out, _ = run(capsys, "fit", "--model", "llama2-70b", "--weights", "q4_k_m", "--engine", "llamacpp",
                     "--json")
    rows = json.loads(out)
    assert rc == 0 and {r["gpu"] for r in rows} == set(cat.gpus)
    by = {r["gpu"]: r for r in rows}
    assert by["a100-80gb"]["fits"] and not by["rtx4090"]["fits"]
    assert by["rtx4090"]["min_gpus"] == 2
    assert by["rtx4090"]["decode_tokens_per_second"] > 0


def test_sweep_context_and_batch_csv(capsys):
    rc, out, _ = run(capsys, "sweep", "context", "--model", "llama3.1-8b", "--gpu", "h100-sxm", "--points", "50")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rc == 0 and len(rows) >= 40
    totals = [float(r["total_bytes"]) for r in rows]
    assert totals == sorted(totals)
    rc, out, _ = run(capsys, "sweep", "batch", "--model", "llama3.1-8b", "--gpu", "h100-sxm", "--to", "512")
    rows = list(csv.DictReader(io.StringIO(out)))
    thr = [float(r["throughput_tokens_per_second"]) for r in rows]
    assert thr == sorted(thr)


def test_sweep_refuses_values_it_cannot_sweep(capsys):
    # a negative count crashed with numpy's traceback, a negative end printed warnings and then named the scenario's
    # field ("batch"); each now says which flag and what it takes, and prints nothing to stdout
    base = ("sweep", "batch", "--model", "llama2-7b", "--gpu", "rtx4090")
    for extra, message in ((("--points", "-3"), "--points must be from 1 to 10,000, got -3"),
                           (("--points", "10001"), "--points must be from 1 to 10,000, got 10001"),
                           (("--to", "-5"), "--to must be from 1 to 1,000,000 (sequences), got -5"),
                           (("--to", "2000000"), "--to must be from 1 to 1,000,000 (sequences), got 2000000")):
        rc, out, err = run(capsys, *base, *extra)
        assert (rc, out, err) == (2, "", f"vramgui-cli: error: {message}\n")
    rc, out, err = run(capsys, "sweep", "context", *base[2:], "--to", "0")
    assert (rc, out, err) == (2, "", "vramgui-cli: error: --to must be from 1 to 100,000,000 (prompt tokens), got 0\n")
    rc, out, _ = run(capsys, *base, "--to", "1")
    assert rc == 0 and out.splitlines()[1].startswith("1,")


def test_model_file_import(capsys, tmp_path, cat):
    (tmp_path / "config.json").write_text(json.dumps(cat.model("qwen2.5-7b").config))
    rc, out, _ = run(capsys, "estimate", "--model-file", str(tmp_path), "--gpu", "l4", "--json")
    assert rc == 0 and json.loads(out)["model"]["params_total"] == pytest.approx(7.61e9, rel=0.002)
    assert json.loads(out)["model"]["layout_checked"] is True


def test_unchecked_model_type_carries_a_note(capsys, tmp_path, cat):
    # a Llama-shaped config under a model type vramgui has not checked: counted with the generic layout
    # (Llama 2 7B's 6,738,415,616), and both outputs say the layout is unchecked
    (tmp_path / "config.json").write_text(json.dumps(dict(cat.model("llama2-7b").config, model_type="newfamily")))
    rc, out, _ = run(capsys, "estimate", "--model-file", str(tmp_path), "--gpu", "l4", "--json")
    d = json.loads(out)["model"]
    assert rc == 0 and d["params_total"] == 6_738_415_616 and d["layout_checked"] is False
    assert "'newfamily' is not a model type vramgui has checked" in d["layout_note"]
    rc, out, _ = run(capsys, "estimate", "--model-file", str(tmp_path), "--gpu", "l4")
    assert rc == 0 and "note: 'newfamily' is not a model type vramgui has checked" in out
    rc, out, _ = run(capsys, "estimate", "--model", "llama2-7b", "--gpu", "l4", "--prompt", "1024")
    assert "note:" not in out


@pytest.mark.parametrize("argv, message", [
    (["estimate", "--model", "llama9-1t", "--gpu", "rtx4090"], "unknown model 'llama9-1t'"),
    (["estimate", "--model", "llama2-7b", "--gpu", "rtx9999"], "unknown gpu 'rtx9999'"),
    (["estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--batch", "0"], "--batch must be at least 1"),
    (["estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--gpu-util", "1.5"], "--gpu-util"),
    (["estimate", "--model-file", "/nonexistent/config.json", "--gpu", "rtx4090"], "/nonexistent/config.json"),
    (["estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--prompt", "100", "--cached", "100"],
     "--cached must be below --prompt (100)"),
    (["estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--cached", "-1"], "--cached must be at least 0"),
])
def test_errors_are_one_line_and_non_zero(capsys, argv, message):
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("kind, typed, meant", [
    # what people type for a model or card: case, spaces and dashes differ from the id
    ("model", "llama-2-7b", ["llama2-7b"]),
    ("model", "Llama 3.1 70B", ["llama3.1-70b"]),
    ("model", "lama2-7b", ["llama2-7b"]),                        # a letter missing
    ("model", "mixtral-8x7b-instruct", ["mixtral-8x7b"]),      # a suffix the id leaves out
    ("gpu", "RTX 4090", ["rtx4090", "rtx4090d", "rtx4090-laptop"]),   # the exact one first, then longer ids
    ("gpu", "rtx-4090", ["rtx4090", "rtx4090d", "rtx4090-laptop"]),
    ("gpu", "H100 SXM", ["h100-sxm"]),
    ("gpu", "a100", ["a100-40gb", "a100-80gb", "a100-80gb-pcie", "a10"]),
    ("model", "xyz", []),                                      # no guess is better than a wild one
])
def test_unknown_ids_suggest_the_ones_meant(capsys, kind, typed, meant):
    flags = ["--model", typed, "--gpu", "rtx4090"] if kind == "model" else ["--model", "llama2-7b", "--gpu", typed]
    rc, _, err = run(capsys, "estimate", *flags)
    hint = f" (did you mean: {', '.join(meant)}?)" if meant else ""
    assert rc == 2 and err == f"vramgui-cli: error: unknown {kind} '{typed}'{hint}; `vramgui-cli {kind}s` lists them\n"


@pytest.mark.parametrize("argv, message", [
    (["--model", "config.json", "--gpu", "rtx4090"], "--model takes a preset id; to read the file 'config.json', "
                                                      "use --model-file PATH"),
    (["--model", "models/Qwen3-8B", "--gpu", "rtx4090"], "use --model-file PATH"),
    (["--model", "llama2-7b", "--gpu", "my-card.json"], "--gpu takes a preset id; to read the file 'my-card.json', "
                                                        "use --gpu-file PATH"),
])
def test_a_file_given_for_an_id_points_to_the_file_flag(capsys, argv, message):
    for command in ("estimate", "train"):
        rc, out, err = run(capsys, command, *argv)
        assert rc == 2 and out == "" and message in err and err.count("\n") == 1


def test_offload_flags_under_mlx_are_refused_with_the_reason(capsys):
    """mlx-lm places no layer in system RAM (engines.NO_OFFLOAD): --ram under MLX is an error that says why and what
    raises the budget (estimate, fit, sweep alike); llama.cpp on the same Mac plans the split."""
    base = ["--model", "llama3.1-70b", "--gpu", "m4-max-64gb", "--ram", "64"]
    for argv in (["estimate", *base, "--weights", "mlx-6bit", "--engine", "mlx"],
                 ["fit", "--model", "llama3.1-70b", "--weights", "mlx-6bit", "--engine", "mlx", "--ram", "64"],
                 ["sweep", "context", *base, "--weights", "mlx-6bit", "--engine", "mlx"]):
        rc, out, err = run(capsys, *argv)
        assert rc == 2 and out == "" and err.count("\n") == 1, argv
        assert err.startswith("vramgui-cli: error: the offload flags (--ram etc.) do not apply to MLX (mlx-lm): "
                              "mlx-lm places no layer in system RAM") and "iogpu.wired_limit_mb" in err, err
    rc, out, _ = run(capsys, "estimate", *base, "--weights", "q6_k", "--engine", "llamacpp", "--json")
    assert rc == 0 and json.loads(out)["offload"]["level"] == "partial"


def test_hf_with_nvfp4_weights_on_several_cards_or_ram(capsys):
    """transformers' NVFP4 quantizer loads on one CUDA device, nothing on the CPU or disk (engines.ONE_CARD): --gpus 2
    is estimated as asked with a note saying so, --ram is an error naming the format and the reason; vLLM's NVFP4
    plans the offload."""
    base = ["--model", "llama3.1-70b", "--gpu", "rtx5090", "--weights", "nvfp4", "--engine", "hf"]
    rc, out, _ = run(capsys, "estimate", *base, "--gpus", "2")
    assert rc == 0 and "\nnote: HF transformers loads NVFP4 (FP4, group 16) weights on one card, not 2 (" in out
    rc, out, _ = run(capsys, "estimate", *base, "--gpus", "2", "--json")
    assert json.loads(out)["scenario"]["one_card_note"].endswith("estimated as if it split the model over 2")
    rc, out, _ = run(capsys, "estimate", *base)
    assert rc == 0 and "one card, not" not in out
    rc, out, err = run(capsys, "estimate", *base, "--ram", "64")
    assert rc == 2 and out == "" and err.startswith(
        "vramgui-cli: error: the offload flags (--ram etc.) do not apply to HF transformers with NVFP4 (FP4, group 16) "
        "weights: HF transformers' NVFP4 quantizer loads the model on one CUDA device")
    rc, out, _ = run(capsys, "estimate", *base[:-1], "vllm", "--ram", "64", "--json")
    assert rc == 0 and json.loads(out)["offload"]["level"] == "partial"


def test_the_experts_flags_under_ollama_are_refused_with_the_reason(capsys):
    """Ollama takes no --cpu-moe / --n-cpu-moe (engines.NO_CPU_MOE): asking for them under it is an error naming the
    open request; llama.cpp takes them."""
    base = ["estimate", "--model", "qwen3-30b-a3b", "--gpu", "rtx4090", "--weights", "q4_k_m", "--ram", "64"]
    for flags in (["--experts-on-cpu"], ["--n-cpu-moe", "20"]):
        rc, out, err = run(capsys, *base, "--engine", "ollama", *flags)
        assert rc == 2 and out == "" and err.startswith(
            "vramgui-cli: error: --experts-on-cpu and --n-cpu-moe are llama.cpp's --cpu-moe and --n-cpu-moe, which "
            "Ollama does not take") and "ollama issue 11772" in err, err
        rc, out, _ = run(capsys, *base, "--engine", "llamacpp", *flags, "--json")
        assert rc == 0 and json.loads(out)["offload"]["forced"]


def test_an_engine_that_does_not_run_on_the_card_is_noted(capsys):
    """vLLM and SGLang as modelled have no GPU backend on Apple chips (vLLM's macOS build runs on the CPU only,
    SGLang's CUDA and ROCm kernels do not run there; their MLX paths are other runtimes): the estimate says so,
    naming the MLX paths, in the table and in the JSON; llama.cpp on the same chip, or vLLM on an NVIDIA card,
    carry no such note."""
    rc, out, _ = run(capsys, "estimate", "--model", "llama3.1-8b", "--gpu", "m4-max-128gb", "--engine", "vllm",
                     "--json")
    note = json.loads(out)["scenario"]["engine_note"]
    assert rc == 0 and note.startswith("vLLM does not run on an Apple chip's GPU (its macOS build runs on the CPU")
    rc, out, _ = run(capsys, "estimate", "--model", "llama3.1-8b", "--gpu", "m4-max-128gb", "--engine", "sglang")
    assert "\nnote: SGLang does not run on an Apple chip's GPU (its CUDA and ROCm kernels do not run there; its " \
           "experimental MLX backend" in out and "pull request 20342" in out
    for engine, gpu in (("llamacpp", "m4-max-128gb"), ("hf", "m4-max-128gb"), ("vllm", "rtx4090")):
        rc, out, _ = run(capsys, "estimate", "--model", "llama3.1-8b", "--gpu", gpu, "--engine", engine, "--json")
        assert json.loads(out)["scenario"]["engine_note"] is None, (engine, gpu)
    # HF transformers on the chip: FP8 (no float8 dtypes on PyTorch's MPS device) and AWQ (AutoAWQ's kernels are
    # NVIDIA and AMD only) do not run there; GPTQ is not claimed either way
    for weights, why in (("fp8", "PyTorch's MPS device has no float8 dtypes"),
                         ("awq-int4", "AutoAWQ's kernels are built for NVIDIA and AMD cards only")):
        rc, out, _ = run(capsys, "estimate", "--model", "llama3.1-8b", "--gpu", "m4-max-128gb", "--engine", "hf",
                         "--weights", weights, "--json")
        note = json.loads(out)["scenario"]["engine_note"]
        assert note.startswith(f"{WEIGHT_FORMATS[weights].name} weights do not run on an Apple chip's GPU with HF "
                               f"transformers ({why}; "), note
        assert "github.com/" in note
    for weights, gpu in (("gptq-int4", "m4-max-128gb"), ("fp8", "h100-sxm")):
        rc, out, _ = run(capsys, "estimate", "--model", "llama3.1-8b", "--gpu", gpu, "--engine", "hf", "--weights",
                         weights, "--json")
        assert json.loads(out)["scenario"]["engine_note"] is None, (weights, gpu)


def test_fit_lists_the_cards_an_engine_does_not_run_on_last(capsys):
    # vLLM has no Apple GPU backend: every Apple chip is "no backend" (memory figures kept, no speed), after every
    # other card; llama.cpp runs on them (Metal)
    from vramgui.core import default_catalog
    apple = {g.id for g in default_catalog().gpus.values() if g.vendor == "Apple"}
    rc, out, _ = run(capsys, "fit", "--model", "llama3.1-8b", "--engine", "vllm", "--json")
    rows = json.loads(out)
    assert rc == 0 and {r["gpu"] for r in rows if not r["engine_runs"]} == apple
    assert [r["engine_runs"] for r in rows] == sorted((r["engine_runs"] for r in rows), reverse=True)   # last
    m2 = next(r for r in rows if r["gpu"] == "m2-ultra-192gb")
    assert m2["verdict"] == "no backend" and m2["fits"] and m2["needed_bytes"] > 0
    rc, out, _ = run(capsys, "fit", "--model", "llama3.1-8b", "--engine", "vllm")
    line = next(x for x in out.splitlines() if x.startswith("m2-ultra-192gb "))
    assert "no backend" in line and line.rstrip().endswith("-")
    rc, out, _ = run(capsys, "fit", "--model", "llama3.1-8b", "--engine", "llamacpp", "--weights", "q4_k_m", "--json")
    assert all(r["engine_runs"] for r in json.loads(out))


def test_cards_an_engine_does_not_list_are_marked(capsys):
    # vLLM's docs list NVIDIA compute capability 7.5 and newer: the P40 (6.1) is marked in `fit` (a star and a
    # footnote; card_listed_by in the JSON) and `estimate` on it carries the note; the T4 (7.5) is listed;
    # llama.cpp lists no cards
    rc, out, _ = run(capsys, "fit", "--model", "llama3.1-8b", "--engine", "vllm", "--weights", "fp16", "--json")
    rows = {r["gpu"]: r for r in json.loads(out)}
    assert (rows["tesla-p40"]["card_listed_by"], rows["t4"]["card_listed_by"]) == ("vLLM", None)
    rc, out, _ = run(capsys, "fit", "--model", "llama3.1-8b", "--engine", "vllm", "--weights", "fp16")
    lines = out.splitlines()
    assert any(x.startswith("tesla-p40 * ") for x in lines) and any(x.startswith("t4 ") for x in lines)
    assert lines[-1] == "* not among the cards vLLM lists: it may not run there (`estimate --gpu ID` gives the note)"
    rc, out, _ = run(capsys, "estimate", "--model", "llama3.1-8b", "--gpu", "tesla-p40", "--engine", "vllm",
                     "--weights", "fp16")
    assert "\nnote: vLLM lists NVIDIA compute capability 7.5 or newer, and the NVIDIA Tesla P40 is compute " \
           "capability 6.1 (sm_61) (" in out
    rc, out, _ = run(capsys, "fit", "--model", "llama3.1-8b", "--engine", "llamacpp", "--json")
    assert not any(r["card_listed_by"] for r in json.loads(out))


def test_cards_that_hold_other_bytes_than_the_formats_are_marked(capsys):
    # HF transformers dequantizes FP8 checkpoints to BF16 below compute capability 8.9: the A100 (8.0) is marked in
    # `fit` (a + and a footnote; loaded_as_stored in the JSON), the RTX 4090 (8.9) is not; vLLM loads them as stored
    rc, out, _ = run(capsys, "fit", "--model", "llama3.1-8b", "--engine", "hf", "--weights", "fp8", "--json")
    rows = {r["gpu"]: r for r in json.loads(out)}
    assert (rows["a100-80gb"]["loaded_as_stored"], rows["rtx4090"]["loaded_as_stored"]) == (False, True)
    rc, out, _ = run(capsys, "fit", "--model", "llama3.1-8b", "--engine", "hf", "--weights", "fp8")
    lines = out.splitlines()
    assert any(x.startswith("a100-80gb + ") for x in lines) and any(x.startswith("rtx4090 ") for x in lines)
    assert lines[-1] == "+ the engine does not load these weights as stored there: the card holds other bytes than " \
                        "these (`estimate --gpu ID` gives the note)"
    rc, out, _ = run(capsys, "fit", "--model", "llama3.1-8b", "--engine", "vllm", "--weights", "fp8", "--json")
    assert all(r["loaded_as_stored"] for r in json.loads(out))


def test_models_and_gpus_lists(capsys):
    rc, out, _ = run(capsys, "models", "--json")
    models = {m["id"]: m for m in json.loads(out)}
    assert rc == 0 and "llama2-70b" in models
    # the format each is released in (its config.json's quantization_config): the estimate's default weights
    assert [models[m]["release_format"] for m in ("llama2-70b", "gpt-oss-120b", "deepseek-r1", "kimi-k2.6")] == \
        [None, "mxfp4", "fp8", "int4-experts"]
    rc, out, _ = run(capsys, "models")
    rows = {line.split()[0]: line.split()[-1] for line in out.splitlines()[2:]}
    assert rc == 0 and (rows["llama2-7b"], rows["gpt-oss-20b"]) == ("-", "mxfp4")
    rc, out, _ = run(capsys, "gpus")
    assert rc == 0 and "rtx4090" in out and "GiB" in out
    # each card's compiler target (NVIDIA's table: the RTX 4090 is compute capability 8.9; ROCm's: gfx1100 for the RX
    # 7900 XTX); none for Apple's chips
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:]}
    assert "sm_89" in rows["rtx4090"] and "gfx1100" in rows["rx7900xtx"] and rows["m2-ultra-192gb"][6] == "-"


def test_console_script_runs_as_module():
    r = subprocess.run([sys.executable, "-m", "vramgui.cli", "estimate", "--model", "llama2-7b", "--gpu",
                        "rtx4090", "--json"], capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["memory"]["total"] < 24 * GIB


def test_fit_caps_the_largest_context_at_the_models_limit(capsys):
    # Llama 2 7B fp16 on an H100: memory allows > 100k tokens, the model 4,096 (config.json
    # max_position_embeddings).  The table says the limit; the JSON keeps both figures.
    rc, out, _ = run(capsys, "fit", "--model", "llama2-7b", "--weights", "fp16")
    assert rc == 0
    row = next(line for line in out.splitlines() if line.startswith("h100-sxm "))
    assert "4,096 (model limit)" in row
    rc, out, _ = run(capsys, "fit", "--model", "llama2-7b", "--weights", "fp16", "--json")
    h100 = next(r for r in json.loads(out) if r["gpu"] == "h100-sxm")
    assert h100["max_context"] > 100_000 and h100["model_context_limit"] == 4096
    # one scenario: the limit, and what memory would allow
    rc, out, _ = run(capsys, "estimate", "--model", "llama2-7b", "--gpu", "h100-sxm", "--weights", "fp16")
    assert rc == 0
    assert f"largest context 4,096 tokens (the model's limit; memory allows {h100['max_context']:,})" in out


def test_report_markdown_says_the_cost_and_the_models_limit():
    from vramgui.core import Scenario, default_catalog
    from vramgui.core.report import estimate_dict, report_markdown
    cat = default_catalog()
    s = Scenario(model=cat.model("llama2-7b"), gpu=cat.gpu("h100-sxm"), weights="fp16")
    d = estimate_dict(s, 2.0)
    text = report_markdown(d)
    cost = d["speed"]["cost_per_million_tokens"]
    # one H100 at 2.00 an hour: 2 / 3,600 s / served tokens/s × 10⁶
    assert cost == pytest.approx(2.0 / 3600 / d["speed"]["served_throughput_tokens_per_second"] * 1e6, rel=1e-9)
    assert f"Cost {cost:,.4g} per million generated tokens (served) at 2 per card-hour" in text
    share = d["speed"]["served_prefill_share"]
    assert f"{d['speed']['served_seconds_per_token'] * 1e3:,.2f} ms per output token" in text
    assert f"{share:.0%} of the time on prompts" in text
    assert f"Largest context 4,096 tokens (the model's limit; memory allows {d['fit']['max_context']:,})" in text


def test_estimate_names_the_image_encoder_and_whether_the_engine_loads_it(capsys):
    # Gemma 3 27B: SigLIP 416,866,032 + the projector's norm 1,152 and matrix 1,152 × 5,376 (see test_weights_kv)
    rc, out, _ = run(capsys, "estimate", "--model", "gemma3-27b", "--gpu", "h100-sxm", "--json")
    assert rc == 0 and json.loads(out)["model"]["params_vision"] == 416_866_032 + 1152 + 1152 * 5376
    rc, out, _ = run(capsys, "estimate", "--model", "gemma3-27b", "--gpu", "h100-sxm", "--engine", "llamacpp")
    assert "image encoder 0.42 B (not loaded by this engine" in out
    rc, out, _ = run(capsys, "estimate", "--model", "gemma3-27b", "--gpu", "h100-sxm", "--engine", "vllm")
    assert "image encoder 0.42 B (loaded)" in out


def test_readme_example_is_what_the_cli_prints(capsys):
    # the README's estimate examples are the CLI's output, line for line (the memory and speed they show are tested
    # against measurements elsewhere; this keeps the page true when they change)
    from pathlib import Path
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0].splitlines() for b in readme.split("$ vramgui-cli estimate ")[1:]]
    assert len(blocks) == 2 and "--engine ollama" in blocks[1][0]
    for block in blocks:
        rc, out, _ = run(capsys, "estimate", *block[0].split())
        assert rc == 0 and out.splitlines() == block[1:], block[0]


def test_defaults_are_the_windows_and_past_the_limit_is_noted(capsys):
    from vramgui.ui.app import parse_args
    app = parse_args([])
    rc, out, _ = run(capsys, "estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--json")
    sc = json.loads(out)["scenario"]
    # 3,840 + 256 tokens: Llama 2's 4,096-token context filled, not passed (the first screen opens within it)
    assert (sc["prompt_tokens"], sc["output_tokens"]) == (app.prompt, app.output) == (3840, 256)
    assert sc["context_note"] is None
    # 4,096 + 256 tokens run past Llama 2's 4,096: the text says so; within it, no note
    rc, out, _ = run(capsys, "estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--prompt", "4096", "--json")
    sc = json.loads(out)["scenario"]
    assert sc["context_note"].startswith("prompt + output = 4,352 tokens, beyond the model's 4,096-token context")
    rc, out, _ = run(capsys, "estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--prompt", "4096",
                     "--output", "0")
    assert "note:" not in out
    rc, out, _ = run(capsys, "estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--prompt", "4096")
    assert "\nnote: prompt + output = 4,352 tokens, beyond the model's 4,096-token context: it was not trained" in out
    # vLLM's and SGLang's servers refuse such a request (engines.REFUSES_PAST_CONTEXT); llama.cpp runs it
    for engine, name in (("vllm", "vLLM"), ("sglang", "SGLang"), ("llamacpp", None)):
        rc, out, _ = run(capsys, "estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--engine", engine,
                         "--prompt", "4096")
        assert (f"4,096-token context: {name} refuses such a request" in out) == (name is not None), engine


def test_every_json_key_is_documented_in_the_readme(capsys):
    # the JSON keys are a public interface: each key estimate --json prints (with every optional part present:
    # several cards, a price, RAM offload) is named in the README as `section.key`, the offload devices' keys and
    # the layouts' (as `vramgui-cli layouts --json` prints them) as `key`; a preset's architecture block is the
    # model schema's, documented in presets/schema
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    rc, out, _ = run(capsys, "estimate", "--model", "llama2-70b", "--gpu", "rtx4090", "--gpus", "2", "--weights",
                     "q4_k_m", "--engine", "llamacpp", "--ram", "64", "--price-per-hour", "2", "--json")
    d = json.loads(out)
    assert rc == 0 and d["offload"] is not None and d["layouts"] and "cheapest_batch" in d["speed"]
    names = [k for k, v in d.items() if not isinstance(v, dict)]
    names += [f"{k}.{kk}" for k, v in d.items() if isinstance(v, dict) for kk in v]
    names += list(d["offload"]["per_device"][0]) + list(d["layouts"][0])
    # and the plan's own served figures where it runs the model (one card: 40 GB of weights on 24)
    rc, out, _ = run(capsys, "estimate", "--model", "llama2-70b", "--gpu", "rtx4090", "--weights", "q4_k_m",
                     "--engine", "llamacpp", "--ram", "64", "--price-per-hour", "2", "--json")
    offloaded = json.loads(out)["offload"]
    assert rc == 0 and "cost_per_million_tokens" in offloaded
    names += [f"offload.{k}" for k in offloaded]
    missing = [n for n in names if f"`{n}`" not in readme]
    assert missing == []


def _readme_bullet(command: str) -> str:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    return readme.split(f"\n- `{command} --json`:", 1)[1].split("\n- ", 1)[0]


def _keys(x, named_by_data: bool = False) -> set[str]:
    """Every key of a JSON object, the keys of objects nested in it and in its lists (not their paths); the
    keys of validate's tables by quantity and by engine are the data's (the quantities, the engines' names)."""
    if isinstance(x, list):
        return set().union(*(_keys(v) for v in x)) if x else set()
    if not isinstance(x, dict):
        return set()
    return (set() if named_by_data else set(x)) | set().union(
        *(_keys(v, k in ("by_quantity", "by_engine")) for k, v in x.items()))


@pytest.mark.parametrize("argv", [
    ["fit", "--model", "llama2-70b", "--weights", "q4_k_m", "--engine", "llamacpp", "--ram", "64"],
    ["train", "--model", "llama2-7b", "--gpu", "rtx4090", "--method", "lora"],
    ["machine", "--gpu", "rtx4090", "--ram", "64", "--all"],          # (with published perplexities)
    ["best-format", "--model", "llama3.1-8b", "--gpu", "rtx4090", "--ram", "32"],   # (the keys with the RAM too)
    ["models"],
    ["validate", str(Path(__file__).parent / "data" / "measured" / "batch.jsonl")],
])
def test_every_other_commands_json_key_is_documented(capsys, argv):
    # each command's --json keys are named in its README bullet (a fit row's offload plan is estimate's, whose
    # keys the test above holds; best-format's rows are machine's)
    rc, out, _ = run(capsys, *argv, "--json")
    data = json.loads(out)
    assert rc == 0 and (argv[0] != "fit" or any(r["offload"] for r in data))
    if argv[0] == "fit":
        data = [{k: v for k, v in r.items() if k != "offload"} | {"offload": None} for r in data]
    bullet = _readme_bullet(argv[0]) + (_readme_bullet("machine") if argv[0] == "best-format" else "")
    missing = sorted(k for k in _keys(data) if f"`{k}`" not in bullet)
    assert missing == []


def test_an_engine_that_copies_its_offloaded_weights_says_so(capsys):
    # vLLM, SGLang and HF transformers keep offloaded weights in RAM and copy them to the card for every forward pass
    # (core.offload.plan_copied): estimate's offload says how much, the copies' time and the assumption, with the source
    args = ("estimate", "--model", "llama3.1-70b", "--gpu", "rtx4090", "--ram", "64", "--prompt", "4096")
    rc, out, _ = run(capsys, *args, "--weights", "awq-int4", "--engine", "vllm")
    lines = out.splitlines()
    assert rc == 0 and any(ln.startswith("offload: partly offloaded (17.1 GiB of weights a card in RAM")
                           for ln in lines)
    # vLLM's kernels read them where they are (UVA): a dense model's step reads them all
    note = next(ln for ln in lines if ln.startswith("  note: vLLM keeps the weights that do not fit on the card in "
                                                    "pinned RAM, where the card's kernels read them"))
    assert "--cpu-offload-gb" in note and "uva.py" in note and "84%" in note
    assert "  decode: each step reads the 18.3 GB of weights a card keeps in RAM over its link, in place (at an " \
           "assumed 84% (pinned host memory) of its 32 GB/s link)" in lines
    # --cpu-offload-gb given: every card keeps that much in RAM, one that holds the model too (fit's rows say so)
    rc, out, _ = run(capsys, "fit", "--model", "llama3.1-8b", "--weights", "bf16", "--engine", "vllm", "--ram", "64",
                     "--cpu-offload-gb", "5")
    row = next(ln for ln in out.splitlines() if ln.startswith("rtx4090 "))
    assert rc == 0 and "partly offloaded (5.0 GiB of weights a card in RAM, read from there each pass)" in row
    assert row.split()[-1] == "4.6"         # (20 ms with every layer on the card + 5 GiB at 84 % of 32 GB/s)
    # SGLang copies them to the card
    rc, out, _ = run(capsys, *args, "--weights", "awq-int4", "--engine", "sglang")
    note = next(ln for ln in out.splitlines() if ln.startswith("  note: SGLang keeps the weights that do not fit in "
                                                               "RAM and copies them to the card"))
    assert any(ln.startswith("  decode: each step copies the ") for ln in out.splitlines())
    for engine, words in (("hf", "device_map"), ("sglang", "--cpu-offload-gb"), ("llamacpp", None),
                          ("ollama", None), ("generic", None)):
        rc, out, _ = run(capsys, *args, "--weights", "q4_k_m" if words is None else "bf16", "--engine", engine,
                         "--json")
        o = json.loads(out)["offload"]
        assert rc == 0 and (o["engine_note"] is None if words is None else words in o["engine_note"]), engine
        assert (o["copied_bytes"] == 0) == (words is None), engine


def test_every_window_flag_is_documented_in_the_readme():
    from vramgui.ui.app import build_parser
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    flags = [o for a in build_parser()._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
    # (as `--flag` or in a command line: `vramgui --flag ...`)
    assert len(flags) > 15 and [f for f in flags if not re.search(rf"[` ]{re.escape(f)}\b", readme)] == []


def test_estimate_says_where_the_knee_is(capsys):
    # the core's knee as the text line puts it: Llama 2 7B fp16 on an RTX 4090 at 4,096 + 256 tokens never turns
    # compute bound (each added sequence: 2.3 ms of cache reads, 0.1 ms of math); with 16 + 16 tokens on an H100
    # the knee is a batch; a Tesla P40 has no FLOP/s figure
    for argv, expected in ((["--gpu", "rtx4090"], "no knee at any batch"),
                           (["--gpu", "h100-sxm", "--prompt", "16", "--output", "16"], None),
                           (["--gpu", "tesla-p40"], "knee unknown (no FLOP/s figure)")):
        rc, out, _ = run(capsys, "estimate", "--model", "llama2-7b", *argv, "--json")
        knee = json.loads(out)["speed"]["knee_batch"]
        rc, out, _ = run(capsys, "estimate", "--model", "llama2-7b", *argv)
        line = next(x for x in out.splitlines() if x.startswith("speed:"))
        if expected is None:
            assert knee is not None and 1 < knee < 1024 and line.endswith(f"-bound, knee at batch {knee:,.0f}")
            # the speed of light's knee lies further out (the generic engine's 60 % of the FLOP/s against 85 % of
            # the bandwidth turns the expected decode compute bound sooner)
            assert json.loads(run(capsys, "estimate", "--model", "llama2-7b", *argv, "--json")[1])["speed"][
                "speed_of_light_knee_batch"] > knee
        else:
            assert knee is None and line.endswith(f"-bound, {expected}")
