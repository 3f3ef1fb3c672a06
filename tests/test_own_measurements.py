"""vramgui's own GPU runs (tests/data/measured/h200-2026-12-04/): the corpus's ``own-`` points are what
benchmarks/own_points.py derives from the raw files, and the estimates meet them within stated bounds."""

import importlib.util
import json
import statistics
from pathlib import Path

import pytest

from vramgui.cli import main

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "measured" / "corpus.jsonl"


def _own_points_module():
    spec = importlib.util.spec_from_file_location("own_points", ROOT / "benchmarks" / "own_points.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_corpus_holds_what_the_raw_files_say():
    derived = _own_points_module().points()
    corpus = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    own = [p for p in corpus if p["id"].startswith("own-")]
    assert own == derived
    # round 1's timings are not kept (each shape's first pass timed); its memory is
    assert not [p for p in own if "-r1-" in p["id"] and p["quantity"].endswith("tok_s")]
    # nor the timings of transformers' per-expert loop (round 4's --experts eager): not its default kernel
    assert not [p for p in own if "experts-eager" in p["id"] and p["quantity"].endswith("tok_s")]
    assert len(own) == 164
    # (round 3's tool did not record the experts kernel; round 4's did: transformers 5.17 picks grouped_mm)
    assert {p["extra"]["experts_implementation"] for p in own if "r4-qwen3-30b" in p["id"]} == {"grouped_mm", "eager"}


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    import contextlib
    import io
    path = tmp_path_factory.mktemp("own") / "own.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in _own_points_module().points()), encoding="utf-8")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["validate", str(path), "--models", str(CORPUS.parent / "models.json"), "--json"]) == 0
    return {p["id"].removeprefix("own-h200-2026-12-04-"): p for p in json.loads(buf.getvalue())["points"]}


def errors(own, quantity, *, exclude=(), only=()):
    return {i: p["error_pct"] for i, p in own.items()
            if p["quantity"] == quantity and not any(x in i for x in exclude) and all(x in i for x in only)}


MOE = ("mixtral", "qwen3-30b", "deepseek")


def test_weights_as_torch_allocates_them(own):
    # torch.cuda.memory_allocated() once the model is built: every parameter in bf16, 2 bytes each
    # (Llama 3 8B: 8,030,261,248 parameters x 2 = 14.958 GiB, measured 14.9575); Gemma 3 4B with its image encoder
    err = errors(own, "weights_gib")
    assert len(err) == 20 and max(map(abs, err.values())) < 0.6
    assert own["r1-llama3-8b-bf16-sdpa-weights"]["measured"] == pytest.approx(8_030_261_248 * 2 / 2**30, abs=1e-3)


def test_generate_peak_memory(own):
    # torch.cuda.max_memory_allocated() over model.generate(): weights, the cache grown to prompt + new
    # tokens, the prompt pass's transient peak. With SDPA, dense models and MoE ones at one sequence within 3 %
    # (median under 0.5 %), batch 1 to 64, prompts to 16,000 tokens; Gemma 3 4B and Mistral 7B v0.1 count their
    # windowed layers holding the whole prompt (HF keeps the window as a view of it): -0.5 to -2.4 % (were down to
    # -13 % when capped at the window)
    sdpa = {i: e for i, e in errors(own, "peak_alloc_gib", only=("sdpa",), exclude=("experts-eager",)).items()
            if not any(m in i for m in MOE) or "-b1-" in i}
    assert len(sdpa) == 35 and max(map(abs, sdpa.values())) < 3
    assert statistics.median(map(abs, sdpa.values())) < 0.5
    windowed = {i: e for i, e in sdpa.items() if "gemma3" in i or "mistral" in i}
    assert len(windowed) == 6 and all(-3 < e < 0 for e in windowed.values())
    # eager attention in bf16: 10 bytes a score (PyTorch's softmax copies bf16 scores to fp32 first) and HF's 10 %
    # allocator share: 0 to +6 % above the allocated peak (Llama 3 8B at 1,024-8,192 tokens, Llama 2 7B's MHA);
    # in fp16 8 bytes (the upcast fused): round 5's 4,096-token prompt peaks 1.00 GiB below bf16's, 32 heads x
    # 4,096^2 x 2 bytes
    eager = errors(own, "peak_alloc_gib", only=("-eager-peak",), exclude=("experts-eager",))
    assert len(eager) == 8 and all(0 <= e < 7 for e in eager.values())
    assert own["r3-llama3-8b-bf16-eager-peak-b1-p4096-n8"]["measured"] - \
        own["r5-llama3-8b-fp16-eager-peak-b1-p4096-n8"]["measured"] == pytest.approx(32 * 4096**2 * 2 / 2**30, abs=0.01)
    # batched MoE: routing index tensors the estimate does not count: Mixtral -2.5 % at 4 sequences, -9 % at
    # 16; Qwen3-30B-A3B -0.4 / -1.3 / -4.5 % at 4 / 16 / 64
    moe = errors(own, "peak_alloc_gib", exclude=("-b1-",), only=("sdpa-peak",))
    moe = {i: e for i, e in moe.items() if any(m in i for m in MOE)}
    assert len(moe) == 5 and all(-12 < e < 0 for e in moe.values())
    assert -12 < moe["r1-mixtral-8x7b-bf16-sdpa-peak-b16-p512-n32"] < -6
    # the per-expert loop allocates what the grouped kernel does, at 1 and 4 sequences within 0.5 %
    looped = errors(own, "peak_alloc_gib", only=("experts-eager",))
    assert len(looped) == 4 and all(abs(e) < 0.5 for e in looped.values())


def test_the_cuda_context_beside_torchs_pool(own):
    # the device's used memory less torch's reserved pool after generate(): 0.67-0.69 GiB for every model over
    # four machine starts (0.606 before the first matmul); the HF profile's context is 0.69 GiB
    err = errors(own, "context_gib")
    assert len(err) == 19 and all(abs(e) < 3 for e in err.values())
    assert all(0.67 < own[i]["measured"] < 0.693 for i in err)


def test_hf_prompts_on_an_h200(own):
    # one prompt's forward pass (cache written, the last token's logits), each shape run once untimed, the
    # median of five (round 2) or three: dense models at 1,024-16,384 tokens reach 0.5 of the H200's 989 TFLOP/s
    # (Llama 3 8B at 2,048: 34,062 tokens/s x ~15.5 GFLOP a token = 528 TFLOP/s). At HF's 45 % (no Hopper factor
    # for HF: with it, 0.315, they read -34 to -43 %) the estimate is 0-22 % slow, median 15 %
    err = errors(own, "prefill_tok_s", only=("sdpa",), exclude=MOE + ("gemma3",))
    assert len(err) == 26 and all(-23 < e < 2 for e in err.values())
    assert 10 < statistics.median(map(abs, err.values())) < 18
    # eager attention moves each score 32 bytes through memory: Llama 3 8B's eager prompts of 1,024 and 2,048
    # tokens in bf16 within 1 %, of 1,024-4,096 in fp16 within 6 %; at 512 (both models) the prompt's short pass
    # reads 15-18 % slow as SDPA's do
    eager = errors(own, "prefill_tok_s", only=("-eager-prefill",))
    assert len(eager) == 7 and all(abs(eager[f"r3-llama3-8b-bf16-eager-prefill-p{n}"]) < 1 for n in (1024, 2048))
    assert all(abs(eager[f"r5-llama3-8b-fp16-eager-prefill-p{n}"]) < 6 for n in (1024, 2048, 4096))
    assert all(-20 < eager[f"r4-{m}-bf16-eager-prefill-p512"] < -10 for m in ("llama3-8b", "llama2-7b"))
    # HF's grouped expert kernels on a prompt: the 0.09 ms an expert slot a layer (added on top of the pass) leaves
    # stated misses, bounded: Mixtral +82 % at 512 tokens falling to +5 % at 4,096; Qwen3-30B-A3B -5 / +18 / +45 % at
    # 512 / 2,048 / 4,096; DeepSeek-V2-Lite +38 % at 512. And Gemma 3 4B's prompts (a fixed ~50 ms a pass beside the
    # roofline: +106 % at 512, +37 % at 2,048-4,096)
    moe = list(errors(own, "prefill_tok_s", only=("mixtral",)).values())
    assert moe == sorted(moe, reverse=True) and 75 < moe[0] < 90 and 0 < moe[-1] < 10
    qwen = [own[f"r{r}-qwen3-30b-a3b-bf16-sdpa-prefill-p{n}"]["error_pct"] for r, n in ((3, 512), (3, 2048), (4, 4096))]
    assert -10 < qwen[0] < 0 < qwen[1] < 25 and 35 < qwen[2] < 55
    assert 30 < own["r3-deepseek-v2-lite-bf16-sdpa-prefill-p512"]["error_pct"] < 45
    gemma = errors(own, "prefill_tok_s", only=("gemma3",))
    assert len(gemma) == 3 and all(30 < e < 115 for e in gemma.values())


def test_hf_decode_on_an_h200(own):
    # generate() at batch 1 is host-bound on this machine: a 32-layer Llama 3 8B steps in 22.0 ms, the narrow
    # 32-layer model of round2-host.jsonl (hidden 256: no GPU work to speak of) in 21.9 ms; 16 layers 14.9 ms,
    # 64 layers 39.1 ms, 0.51 ms a layer + 6.4 ms a step. The hf-server row's 0.83 ms a layer (a server median)
    # reads the Llama-family models 2-27 % slow at 1 to 64 sequences (the step hardly grows: 19.6 ms at 64),
    # eager attention too; Qwen3-32B (two more norms a layer) 14 % fast
    err = errors(own, "decode_tok_s")
    assert len(err) == 29
    llama_like = {i: e for i, e in err.items() if not any(m in i for m in MOE + ("qwen3-32b", "gemma3", "fp16-sdpa"))}
    assert len(llama_like) == 15 and all(-27 < e < 0 for e in llama_like.values())
    # one fp16 SDPA run at 4,096 tokens stepped in 34.8 ms, 9-13 ms slower than bf16's and fp16 eager's at that
    # length (unexplained, one run): +31 %
    assert 25 < err["r5-llama3-8b-fp16-sdpa-decode-b1-p4096-n8"] < 40
    assert 5 < err["r2-qwen3-32b-bf16-sdpa-decode-b1-p512-n32"] < 20
    # MoE layers add 0.09 ms a routed expert a token picks (transformers' grouped_mm kernels): Mixtral at one
    # sequence, DeepSeek-V2-Lite and Qwen3-30B-A3B at 1-16 read -5 to -20 %, as the dense ones do (were +10 to +59 %)
    moe = {i: e for i, e in err.items() if any(m in i for m in MOE) and ("-b1-" in i or "qwen3" in i)}
    moe.pop("r4-qwen3-30b-a3b-bf16-sdpa-decode-b64-p512-n16")
    assert len(moe) == 5 and all(-20 < e < -5 for e in moe.values())
    # not modelled, bounded as stated misses: the grouped expert kernels with more rows fall far below the
    # bandwidth (Mixtral at 4 sequences 68.9 ms a step, +113 %; Qwen3-30B-A3B at 64 159.6 ms, +115 %), and Gemma 3
    # 4B's host cost (34 layers with six norms each and the windowed mask: 40-47 ms a step, +42 to +67 %)
    assert 100 < err["r2-mixtral-8x7b-bf16-sdpa-decode-b4-p512-n32"] < 130
    assert 100 < err["r4-qwen3-30b-a3b-bf16-sdpa-decode-b64-p512-n16"] < 130
    gemma = errors(own, "decode_tok_s", only=("gemma3",))
    assert len(gemma) == 5 and all(35 < e < 75 for e in gemma.values())


def training_runs():
    return [json.loads(line) for line in (CORPUS.parent / "training.jsonl").read_text(encoding="utf-8").splitlines()
            if line.startswith('{"id": "own-')]


def test_training_points_are_what_the_raw_file_says():
    assert training_runs() == _own_points_module().training_points()


def test_fine_tuning_memory_on_an_h200():
    # three steps of a plain loop (torch.optim.AdamW defaults, bf16 parameters and moments: vramgui's adamw-bf16;
    # SDPA; LoRA r16 on q/v) against the device's used memory after them (torch's peak reserved pool + the context)
    from vramgui.core.catalog import load_catalog
    from vramgui.core.training import CUDA_CONTEXT_BYTES, TrainingSetup, training_memory
    cat = load_catalog()
    err, err_alloc = {}, {}
    for r in training_runs():
        t = TrainingSetup(model=cat.model(r["model_ref"]), gpu=cat.gpu("h200"), method=r["method"],
                          optimizer="adamw-bf16", optimizer_step=r["optimizer_step"], lora_rank=16,
                          lora_targets=("q", "v"),
                          checkpointing="full" if r["checkpointing"].startswith("full") else "none", attention="sdpa",
                          seq=r["seq_len"], batch=r["micro_batch"])
        err[r["id"].split("2026-12-04-")[1]] = (float(training_memory(t).total) / 2**30 / r["value_gib"] - 1) * 100
        # the context beside the pool: 0.749 GiB in every run (used - reserved), the estimate's overhead
        quote = json.loads(r["quote"])
        err_alloc[r["id"]] = (float(training_memory(t).total) / 2**30 / (quote["peak_alloc_gib"]
                                                                       + CUDA_CONTEXT_BYTES / 2**30) - 1) * 100
        assert quote["used_gib_at_end"] - quote["peak_reserved_gib"] == pytest.approx(CUDA_CONTEXT_BYTES / 2**30,
                                                                                     abs=0.002)
    assert len(err) == 9
    # Llama 2 7B full fine-tuning, checkpointed: the peak is AdamW's step, not the activations': PyTorch's default
    # (foreach) AdamW takes the square root of every second moment into a new tensor (2 bytes a parameter here),
    # 10 bytes a parameter in all: 6,738,415,616 x 10 = 62.76 GiB, measured 62.82 allocated; counted (step
    # "foreach") the estimate is 3.6 % short (round 3's repeat: 2.9 %)
    assert -5 < err["llama2-7b-full-ckptfull-s2048-b2"] < -2
    assert -5 < err["llama2-7b-full-ckptfull-s2048-b2-r3-foreach"] < -2
    # round 3 ran the same step fused (AdamW(fused=True)): 12.15 GiB less allocated, the 2-byte copy of
    # 6,738,415,616 parameters (12.55 GiB) less the little the fused step keeps; the estimate with step "fused"
    # 1.2 % above the device's used memory
    quotes = {r["id"].split("2026-12-04-")[1]: json.loads(r["quote"]) for r in training_runs()}
    saved = quotes["llama2-7b-full-ckptfull-s2048-b2-r3-foreach"]["peak_alloc_gib"] - \
        quotes["llama2-7b-full-ckptfull-s2048-b2-r3-fused"]["peak_alloc_gib"]
    assert saved == pytest.approx(6_738_415_616 * 2 / 2**30, rel=0.04)
    assert 0 < err["llama2-7b-full-ckptfull-s2048-b2-r3-fused"] < 3
    # every other run within 15 %, all short: PyTorch's pool holds 1.2-5.6 GiB more than it allocated at the peak
    # (the estimate adds 10 % of the activations); the 1B models' steps fit in what their activations leave
    assert all(-15 < e < 0 for i, e in err.items() if i != "llama2-7b-full-ckptfull-s2048-b2-r3-fused"), err
    # against the allocated peak + the context (what PyTorch cannot give back): -6 to +9 %, median |4.3 %|
    assert all(-7 < e < 10 for e in err_alloc.values()) and 3 < statistics.median(map(abs, err_alloc.values())) < 5
    # the fused 1B run allocates what the foreach one does: its step's copy fits in what the activations leave
    assert quotes["llama3.2-1b-full-ckptnone-s2048-b4-r3-fused"]["peak_alloc_gib"] == pytest.approx(
        quotes["llama3.2-1b-full-ckptnone-s2048-b4"]["peak_alloc_gib"], rel=0.01)


def host_steps(name: str, prefix: str) -> dict[str, float]:
    """A host file's generate() step per model [ms], the model's name less ``prefix``."""
    raw = CORPUS.parent / "h200-2026-12-04" / name
    points = [json.loads(line) for line in raw.read_text(encoding="utf-8").splitlines()]
    return {p["model"].removeprefix(prefix): p["extra"]["ms_per_token"] for p in points
            if p["quantity"] == "decode_tok_s"}


def test_hf_host_cost_per_layer_on_the_h200():
    # round2-host.jsonl: narrow Llama models (hidden 256: next to no GPU work) of 16, 32 and 64 layers; their
    # generate() steps (14.95, 21.94, 39.05 ms) lie on 0.51 ms a layer + 6.4 ms a step (least squares: mean
    # layers 37.33, mean step 25.31 ms; slope = sum((n - 37.33)(t - 25.31)) / sum((n - 37.33)^2) = 0.507)
    steps = {int(k): v for k, v in host_steps("round2-host.jsonl", "host").items()}
    assert sorted(steps) == [16, 32, 64]
    layers = sorted(steps)
    mean_l = sum(layers) / 3
    mean_t = sum(steps.values()) / 3
    slope = sum((n - mean_l) * (steps[n] - mean_t) for n in layers) / sum((n - mean_l) ** 2 for n in layers)
    intercept = mean_t - slope * mean_l
    assert slope == pytest.approx(0.507, abs=0.005) and intercept == pytest.approx(6.4, abs=0.2)
    # the real 32-layer Llama 3 8B steps as the narrow 32-layer model does: host-bound
    assert 1 / (0.0219 + 0.0005) < 45.5 < 1 / (0.0219 - 0.0005)


def test_narrow_models_host_cost_by_kind_of_layer():
    # round6-host.jsonl: narrow models (hidden 256, 16 layers: next to no GPU work) of five kinds, one after another
    # on one machine start. Their generate() steps: Llama 17.85 ms, Qwen3 (q/k norms) 19.97, Gemma 3 text (four norms
    # a layer, q/k norms, windowed layers) 31.09, Qwen3-MoE (top-8 of 128, experts 64 wide) 20.17, Mixtral (top-2 of
    # 8) 17.58. The MoE layers cost the host next to nothing beyond their dense counterparts' (within 2 %): the real
    # models' 0.09 ms an expert slot (speed.EXPERT_SLOT_S) is their expert kernels' time. Gemma 3's 13 ms beyond
    # Llama's is the host's (its real 4B model's 40 ms steps read +42 to +67 %: a stated miss). The round was cut
    # short at 48 layers (Llama's 60.2 ms there disagrees with round 2's 0.51 ms a layer + 6.4 ms, 30.9 ms: the host
    # differs between machine starts and within a run, so only the 16-layer runs, taken one after another, are
    # compared)
    step = host_steps("round6-host.jsonl", "narrow-")
    assert {k for k in step if k.endswith("-16")} == {f"{k}-16" for k in ("llama", "qwen3", "gemma3", "qwen3moe",
                                                                          "mixtral")}
    assert step["mixtral-16"] / step["llama-16"] == pytest.approx(1.0, abs=0.02)
    assert step["qwen3moe-16"] / step["qwen3-16"] == pytest.approx(1.0, abs=0.02)
    assert 10 < step["gemma3-16"] - step["llama-16"] < 16
