"""tools/measure_gpu.py: its CPU path on a tiny config, and its refusals."""

import json
import subprocess
import sys

import pytest

from vramgui.core.validation import load_corpus

TINY = {"model_type": "llama", "vocab_size": 256, "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "max_position_embeddings": 512, "rms_norm_eps": 1e-6}


def run(*args, code=None):
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "vramgui.tools.measure_gpu", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


@pytest.fixture
def config(tmp_path):
    p = tmp_path / "tiny" / "config.json"
    p.parent.mkdir()
    p.write_text(json.dumps(TINY))
    return p


def test_cpu_path_writes_corpus_points(config, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    out = tmp_path / "points.jsonl"
    r = run("--config", str(config), "--out", str(out), "--device", "cpu", "--dtype", "float32",
            "--prompts", "16,32", "--generate", "1:16:3,2:8:3", "--repeats", "1", "--attention", "eager")
    assert r.returncode == 0, r.stderr
    points = load_corpus(out)
    assert [p["quantity"] for p in points] == ["prefill_tok_s", "prefill_tok_s", "decode_tok_s", "decode_tok_s"]
    assert all(p["value"] > 0 and p["engine"].startswith("HF transformers") for p in points)
    assert [p["batch"] for p in points[2:]] == [1, 2] and points[0]["n_ctx"] == 16
    assert [p["extra"]["prompt_tokens"] for p in points] == [16, 32, 16, 8]
    assert points[0]["precision"] == "fp32" and points[0]["id"].endswith("-fp32-eager-prefill-p16")
    assert points[2]["extra"]["ms_per_token"] > 0 and points[3]["extra"]["generated_tokens"] == 3


def test_a_decode_timing_lost_in_noise_is_timed_again_and_never_written_as_a_rate(config, tmp_path, monkeypatch,
                                                                                    capsys):
    # on a busy host a few tokens' generate can take no longer than one token's: (full - first) / (n - 1) would be
    # zero or negative. The tool times that case again with 2x then 4x the repeats; a case still lost is left out
    # (named on stderr), its prefill points and the other cases kept
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from vramgui.tools import measure_gpu
    for script, decode in (([0.010, 0.012, 0.030, 0.010], [100.0]),      # 3 tokens vs 1 token: 20 ms / 2 steps
                           ([0.010, 0.010, 0.010, 0.010, 0.010, 0.010], [])):
        calls = []

        def fake(torch, device, fn, repeats, warmup=True, script=script, calls=calls):
            if warmup:          # the prompts' passes: timed as measured, a fixed 1 ms
                return 0.001
            calls.append(repeats)
            return script[len(calls) - 1]

        monkeypatch.setattr(measure_gpu, "_timed", fake)
        out = tmp_path / f"noise{len(decode)}.jsonl"
        args = measure_gpu.parse_args(["--config", str(config), "--out", str(out), "--device", "cpu", "--dtype",
                                       "float32", "--prompts", "16", "--generate", "1:16:3", "--repeats", "1"])
        points = measure_gpu.measure(args)
        err = capsys.readouterr().err
        assert [p["quantity"] for p in points] == ["prefill_tok_s"] + ["decode_tok_s"] * len(decode)
        assert "timing again with 2 repeats" in err
        if decode:
            assert calls == [1, 1, 2, 2]
            assert points[1]["extra"]["repeats"] == 2 and points[1]["value"] == pytest.approx(decode[0], rel=1e-4)
            assert "left out" not in err
        else:
            assert calls == [1, 1, 2, 2, 4, 4] and "timing again with 4 repeats" in err
            assert "b1-p16-n3 left out" in err
        assert load_corpus(out) == points


def test_an_moe_model_records_its_experts_kernel(tmp_path):
    # transformers 5 runs a MoE layer's experts with a kernel of its choosing (grouped_mm by default); --experts
    # picks another (eager: a Python loop over the experts a batch wakes), which the points and their ids name
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    if int(transformers.__version__.split(".")[0]) < 5:
        pytest.skip("experts_implementation is transformers 5's")
    cfg = tmp_path / "moe" / "config.json"
    cfg.parent.mkdir()
    cfg.write_text(json.dumps({**TINY, "model_type": "qwen3_moe", "moe_intermediate_size": 32, "num_experts": 4,
                               "num_experts_per_tok": 2, "head_dim": 16}))
    for experts, tag in ((None, "moe-fp32-sdpa-"), ("eager", "moe-fp32-sdpa-experts-eager-")):
        out = tmp_path / f"{experts}.jsonl"
        r = run("--config", str(cfg), "--out", str(out), "--device", "cpu", "--dtype", "float32", "--prompts", "8",
                "--generate", "2:8:3", "--repeats", "1", *(["--experts", experts] if experts else []))
        assert r.returncode == 0, r.stderr
        points = load_corpus(out)
        assert len(points) == 2 and all(p["id"].startswith(tag) for p in points)
        assert {p["extra"]["experts_implementation"] for p in points} == {experts or "grouped_mm"}


def test_bad_generate_case_is_refused(config, tmp_path):
    r = run("--config", str(config), "--out", str(tmp_path / "w.jsonl"), "--device", "cpu", "--generate", "1:16")
    assert r.returncode == 2 and "batch:prompt:new_tokens" in r.stderr
    r = run("--config", str(config), "--out", str(tmp_path / "w.jsonl"), "--device", "cpu", "--repeats", "0")
    assert r.returncode == 2 and "--repeats: expected positive whole numbers" in r.stderr
    assert not (tmp_path / "w.jsonl").exists()


def test_refuses_without_a_gpu(config, tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    r = run("--config", str(config), "--out", str(tmp_path / "x.jsonl"))
    assert r.returncode == 2 and "no CUDA GPU is visible to PyTorch" in r.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_refuses_without_torch(config, tmp_path):
    code = ("import sys; sys.modules['torch'] = None; from vramgui.tools.measure_gpu import main; "
            f"sys.exit(main(['--config', {str(config)!r}, '--out', {str(tmp_path / 'y.jsonl')!r}]))")
    r = run(code=code)
    assert r.returncode == 2 and "PyTorch is not installed" in r.stderr


def test_bitsandbytes_layers_refused_without_bitsandbytes(config, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    code = ("import sys; sys.modules['bitsandbytes'] = None; from vramgui.tools.measure_gpu import main; "
            f"sys.exit(main(['--config', {str(config)!r}, '--out', {str(tmp_path / 'b.jsonl')!r}, '--device', "
            "'cpu', '--bnb', 'nf4']))")
    r = run(code=code)
    assert r.returncode == 2 and "bitsandbytes is not installed" in r.stderr
    assert not (tmp_path / "b.jsonl").exists()


def test_bitsandbytes_layers_cpu_path(config, tmp_path):
    # every linear layer but the output layer replaced (2 layers x 7) and quantized; the points name the format as
    # the corpus reads it back
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("bitsandbytes")
    from vramgui.core.validation import _weights
    for fmt in ("nf4", "nf4-nodq", "bnb-int8"):
        out = tmp_path / f"{fmt}.jsonl"
        r = run("--config", str(config), "--out", str(out), "--device", "cpu", "--bnb", fmt, "--prompts", "16",
                "--generate", "2:8:3", "--repeats", "1", "--dtype", "float16" if fmt == "bnb-int8" else "bfloat16")
        assert r.returncode == 0, r.stderr
        points = load_corpus(out)
        assert len(points) == 2 and all(_weights(p["precision"]) == fmt and fmt in p["id"] for p in points)
    import torch
    import transformers

    from vramgui.tools.measure_gpu import build_model, quantize_bnb
    model, _ = build_model(torch, transformers, config, "bfloat16", "sdpa", torch.device("cpu"))
    assert quantize_bnb(torch, model, "nf4", torch.device("cpu")) == 14 and model.is_loaded_in_4bit
    assert type(model.get_output_embeddings()) is torch.nn.Linear


def test_missing_config(tmp_path):
    r = run("--config", str(tmp_path / "nope.json"), "--out", str(tmp_path / "z.jsonl"))
    assert r.returncode == 2 and "no such config.json" in r.stderr


def test_a_point_of_a_catalog_model_validates_without_models_json(tmp_path, capsys):
    # what the tool writes for a preset (--model-ref llama2-7b, torch's dtype name): the estimate reads the
    # catalog's preset; its weights are 6,738,415,616 parameters x 2 bytes = 12.551 GiB
    from vramgui.cli import main
    point = {"id": "mine", "quantity": "weights_gib", "value": 12.55, "unit": "GiB", "model_ref": "llama2-7b",
             "engine": "HF transformers (vramgui measure_gpu)", "precision": "bfloat16", "gpu_ref": "h200"}
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps(point) + "\n", encoding="utf-8")
    assert main(["validate", str(path), "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)["points"]
    assert result["estimated"] == pytest.approx(6_738_415_616 * 2 / 2**30, rel=1e-4)


def test_training_script_cpu_path(tmp_path):
    # benchmarks/measure_training.py on a preset's shape shrunk for the CPU: one JSON line per case, the
    # trainable parameters counted (2 layers of hidden 64, MLP 128, 4 heads of 16, 2 KV heads, vocab 256, tied:
    # embedding 16,384 + per layer q 4,096 + k, v 2,048 each + o 4,096 + MLP 3 x 8,192 + 2 norms 128 = 36,992
    # x 2 + final norm 64 = 90,432)
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    r, rows = run_training(tmp_path, "full:none:32:2:fused", "full:full:32:2")
    assert r.returncode == 0, r.stderr
    assert [(x["checkpointing"], x["optimizer_step"]) for x in rows] == [("none", "fused"), ("full", "foreach")]
    assert all(x["trainable_params"] == x["params"] == 90_432 and x["loss_finite"] for x in rows)
    r, _ = run_training(tmp_path, "full:none:32:2:fast")
    assert r.returncode == 2 and "step foreach|fused" in r.stderr


def run_training(tmp_path, *cases):
    """benchmarks/measure_training.py's CPU path on ``cases``: (the process, the lines it wrote)."""
    from pathlib import Path
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "measure_training.py"
    out = tmp_path / "train.jsonl"
    out.unlink(missing_ok=True)
    args = [a for c in cases for a in ("--case", c)]
    r = subprocess.run([sys.executable, str(script), "--model", "llama3.2-1b", *args, "--device", "cpu", "--out",
                        str(out)], capture_output=True, text=True, timeout=600)
    return r, [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def test_training_script_qlora_cpu_path(tmp_path):
    # QLoRA: the linear layers but the output layer in NF4, LoRA r16 on q and v (2 layers x (16 x (64 + 64) +
    # 16 x (64 + 32)) = 7,168 trainable), with and without peft's k-bit preparation
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("peft")
    pytest.importorskip("bitsandbytes")
    r, rows = run_training(tmp_path, "qlora:full:32:2", "qlora-raw:none:32:2")
    assert r.returncode == 0, r.stderr
    assert [x["method"] for x in rows] == ["qlora", "qlora-raw"] and all(x["autocast"] == "bf16" for x in rows)
    assert all(x["trainable_params"] == 7_168 and x["loss_finite"] for x in rows)
