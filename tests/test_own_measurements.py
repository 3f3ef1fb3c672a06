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
    assert len(own) == 226
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
    assert len(err) == 30 and max(map(abs, err.values())) < 0.6
    assert own["r1-llama3-8b-bf16-sdpa-weights"]["measured"] == pytest.approx(8_030_261_248 * 2 / 2**30, abs=1e-3)


def test_generate_peak_memory(own):
    # torch.cuda.max_memory_allocated() over model.generate(): weights, the cache grown to prompt + new
    # tokens, the prompt pass's transient peak. With SDPA, dense models and MoE ones at one sequence within 3 %
    # (median under 0.5 %), batch 1 to 64, prompts to 16,000 tokens; Gemma 3 4B and Mistral 7B v0.1 count their
    # windowed layers holding the whole prompt (HF keeps the window as a view of it): -0.5 to -2.4 % (were down to
    # -13 % when capped at the window)
    sdpa = {i: e for i, e in errors(own, "peak_alloc_gib", only=("sdpa",), exclude=("experts-eager",)).items()
            if not any(m in i for m in MOE) or "-b1-" in i}
    assert len(sdpa) == 49 and max(map(abs, sdpa.values())) < 3
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
    # batched MoE: the decode steps' gathered expert copies (HF's batched_mm: one per sequence and expert it picks,
    # memory.decode_gather_for), Mixtral's 32 at 16 sequences 32 x 3 x 4,096 x 14,336 x 2 B = 10.5 GiB: within
    # 1.1 % at 4 to 64 sequences (-2.5 to -9 % without them)
    moe = errors(own, "peak_alloc_gib", exclude=("-b1-",), only=("sdpa-peak",))
    moe = {i: e for i, e in moe.items() if any(m in i for m in MOE)}
    assert len(moe) == 5 and all(-0.5 < e < 1.1 for e in moe.values())
    assert own["r1-mixtral-8x7b-bf16-sdpa-peak-b16-p512-n32"]["measured"] - own[
        "r1-mixtral-8x7b-bf16-sdpa-weights"]["measured"] == pytest.approx(32 * 3 * 4096 * 14336 * 2 / 2**30 + 1.1,
                                                                          abs=0.2)   # (+ the cache, 1.06 GiB)
    # the per-expert loop gathers nothing (its peaks are not the estimate's: skipped); the default kernels' peaks
    # stand above its by about the copies: Mixtral at 1 and 4 sequences 0.64 and 2.49 GiB (2 and 8 experts of
    # 0.33 GiB: 0.66, 2.63), Qwen3-30B-A3B at 4 0.20 (32 of 9 MiB: 0.28)
    looped = {i: p for i, p in own.items() if "experts-eager-peak" in i}
    assert len(looped) == 4 and all(p["skipped"].startswith("transformers' per-expert loop") for p in looped.values())
    for model, b, picked, expert in (("mixtral-8x7b", 1, 2, 3 * 4096 * 14336 * 2),
                                     ("mixtral-8x7b", 4, 8, 3 * 4096 * 14336 * 2),
                                     ("qwen3-30b-a3b", 4, 32, 3 * 2048 * 768 * 2)):
        grouped = own[f"r{2 if model.startswith('mixtral') else 4}-{model}-bf16-sdpa-peak-b{b}-p512-n32"]["measured"]
        loop = own[f"r4-{model}-bf16-sdpa-experts-eager-peak-b{b}-p512-n32"]["measured"]
        assert grouped - loop == pytest.approx(picked * expert / 2**30, abs=0.15)


def test_the_cuda_context_beside_torchs_pool(own):
    # the device's used memory less torch's reserved pool after generate(): 0.67-0.69 GiB for every model over
    # seven machine starts (0.606 before the first matmul); the HF profile's context is 0.69 GiB
    err = errors(own, "context_gib")
    assert len(err) == 31 and all(abs(e) < 3 for e in err.values())
    assert all(0.67 < own[i]["measured"] < 0.693 for i in err)


def test_hf_prompts_on_an_h200(own):
    # one prompt's forward pass (cache written, the last token's logits), each shape run once untimed, the
    # median of five (round 2) or three: dense models at 1,024-16,384 tokens reach 0.5 of the H200's 989 TFLOP/s
    # (Llama 3 8B at 2,048: 34,062 tokens/s x ~15.5 GFLOP a token = 528 TFLOP/s). At HF's 45 % (no Hopper factor
    # for HF: with it, 0.315, they read -34 to -43 %) the estimate is 0-22 % slow, median 15 % (round 7's slower
    # machine start apart: test_a_slower_machine_start; rounds 8 and 9: test_host_floor_by_kernels_out_of_sample)
    err = errors(own, "prefill_tok_s", only=("sdpa",), exclude=MOE + ("gemma3", "r7-", "r8-", "r9-"))
    assert len(err) == 26 and all(-23 < e < 2 for e in err.values())
    assert 10 < statistics.median(map(abs, err.values())) < 18
    # eager attention moves each score 32 bytes through memory: Llama 3 8B's eager prompts of 1,024 and 2,048
    # tokens in bf16 within 1 %, of 1,024-4,096 in fp16 within 6 %; at 512 (both models) the prompt's short pass
    # reads 15-18 % slow as SDPA's do
    eager = errors(own, "prefill_tok_s", only=("-eager-prefill",))
    assert len(eager) == 7 and all(abs(eager[f"r3-llama3-8b-bf16-eager-prefill-p{n}"]) < 1 for n in (1024, 2048))
    assert all(abs(eager[f"r5-llama3-8b-fp16-eager-prefill-p{n}"]) < 6 for n in (1024, 2048, 4096))
    assert all(-20 < eager[f"r4-{m}-bf16-eager-prefill-p512"] < -10 for m in ("llama3-8b", "llama2-7b"))
    # Gemma 3 4B's pass is its host's at 512 tokens (34 layers launching 84 kernels each, counted as 72): +15 %
    # (+106 % with its layers counted as Llama's), -1 % at 2,048; at 4,096 +37 % (not the host: not modelled)
    gemma = errors(own, "prefill_tok_s", only=("gemma3",))
    assert len(gemma) == 3 and 5 < gemma["r3-gemma3-4b-bf16-sdpa-prefill-p512"] < 25
    assert abs(gemma["r4-gemma3-4b-bf16-sdpa-prefill-p2048"]) < 5
    assert 30 < gemma["r3-gemma3-4b-bf16-sdpa-prefill-p4096"] < 45
    # HF's grouped expert kernels on a prompt, far below the card's math with a few hundred rows an expert: with m
    # tokens an expert at m / (m + 150) of the large-GEMM rate (speed.MOE_GEMM_HALF, fitted here) Mixtral's prompts of
    # 512-4,096 tokens read +7, -7, -6, -5 % (+73, +41, +18, +7 % at the full rate)
    moe = errors(own, "prefill_tok_s", only=("mixtral",))
    assert len(moe) == 4 and all(abs(e) < 8 for e in moe.values()), moe
    # Qwen3-30B-A3B's small experts (width 768) lose more than Mixtral's: +69 % at 4,096 (was +113 %); its 512 and
    # 2,048 and DeepSeek-V2-Lite's 512 sit at the host's floor, unchanged (-1, +23, +62 %): stated misses
    qwen = [own[f"r{r}-qwen3-30b-a3b-bf16-sdpa-prefill-p{n}"]["error_pct"] for r, n in ((3, 512), (3, 2048), (4, 4096))]
    assert -10 < qwen[0] < 5 and 15 < qwen[1] < 30 and 60 < qwen[2] < 75
    assert 55 < own["r3-deepseek-v2-lite-bf16-sdpa-prefill-p512"]["error_pct"] < 70


def test_hf_decode_on_an_h200(own):
    # generate() at batch 1 is host-bound on this machine: a 32-layer Llama 3 8B steps in 22.0 ms, the narrow
    # 32-layer model of round2-host.jsonl (hidden 256: no GPU work to speak of) in 21.9 ms; 16 layers 14.9 ms,
    # 64 layers 39.1 ms, 0.51 ms a layer + 6.4 ms a step. The hf-server row's 0.83 ms a Llama layer (a server
    # median; other layers by the kernels they launch) reads the dense models 2-27 % slow at 1 to 64 sequences (the
    # step hardly grows: 19.6 ms at 64), eager attention too: Qwen3-32B (q/k norms, 56 kernels a layer) -19 % (+14 %
    # with its layers counted as Llama's), Gemma 3 4B (84 kernels a layer, counted 72) -7 to -21 % (was +42 to +67 %)
    err = errors(own, "decode_tok_s", exclude=("r7-", "r8-", "r9-"))
    assert len(err) == 29
    dense = {i: e for i, e in err.items() if not any(m in i for m in MOE + ("fp16-sdpa",))}
    assert len(dense) == 21 and all(-27 < e < 0 for e in dense.values())
    assert -25 < err["r2-qwen3-32b-bf16-sdpa-decode-b1-p512-n32"] < -12
    assert all(-25 < e < -5 for i, e in dense.items() if "gemma3" in i)
    # MoE layers launch 16 kernels more (router, top-k, sort, histogram, gathers, scatter, two grouped GEMMs):
    # Mixtral at one sequence, DeepSeek-V2-Lite and Qwen3-30B-A3B at 1-16 read -22 to +10 %
    moe = {i: e for i, e in err.items() if any(m in i for m in MOE) and ("-b1-" in i or "qwen3" in i)}
    moe.pop("r4-qwen3-30b-a3b-bf16-sdpa-decode-b64-p512-n16")
    assert len(moe) == 5 and all(-25 < e < 12 for e in moe.values())
    # generate's decode steps gather a copy of each expert every token picks and multiply the copies (batched_mm,
    # speed.EXPERT_GATHER_READS: read, written, read again): Mixtral at 4 sequences 3 x 8 experts of 32 layers x
    # 352,321,536 B = 270.6 GB a step, measured 68.9 ms; Qwen3-30B-A3B at 64 3 x 512 experts of 48 layers x 9,437,184 B
    # = 695.8 GB, measured 159.6 ms. Read at HF's 80 % of the H200's 4.8 TB/s: -3 % and -13 % (they read +85 % and
    # +123 % with each touched expert read once)
    assert 3 * 8 * 32 * 3 * 4096 * 14336 * 2 == pytest.approx(270.6e9, rel=1e-3)
    assert 3 * 512 * 48 * 3 * 2048 * 768 * 2 == pytest.approx(695.8e9, rel=1e-3)
    assert -8 < err["r2-mixtral-8x7b-bf16-sdpa-decode-b4-p512-n32"] < 0
    assert -16 < err["r4-qwen3-30b-a3b-bf16-sdpa-decode-b64-p512-n16"] < -8
    # one fp16 SDPA run of round 5 stepped in 34.8 ms, 9-13 ms slower than bf16's and fp16 eager's there: +31 %.
    # Not fp16's: on round 7's start fp16 stepped faster than bf16 (below)
    assert 25 < err["r5-llama3-8b-fp16-sdpa-decode-b1-p4096-n8"] < 40


def test_a_slower_machine_start(own):
    # round 7's machine start (the same VM type, driver, torch and transformers): Llama 3 8B's decode steps took
    # 27.6-32.9 ms (round 2's start: 22.0), its 512-token prompt 29-32 ms (round 2's: 21.1): the estimate reads
    # +4 to +24 % there, on the other side of the -2 to -27 % of the other starts; the host's speed is the spread
    r7 = {i: p["error_pct"] for i, p in own.items() if i.startswith("r7-") and p["quantity"].endswith("tok_s")}
    assert len(r7) == 6 and all(0 < e < 30 for e in r7.values())
    # fp16 and bf16 run the same kernels' count: fp16 stepped faster here (29.4 / 27.6 ms at 512 / 4,096 tokens,
    # bf16 32.9 / 32.5), slower on round 5's start: the host, not the type
    step = {i: 1000 / own[i]["measured"] for i in own if i.startswith("r7-") and "-decode-" in i}
    for n in (512, 4096):
        assert step[f"r7-llama3-8b-fp16-sdpa-decode-b1-p{n}-n32"] < step[f"r7-llama3-8b-bf16-sdpa-decode-b1-p{n}-n32"]


def steps_of_round(own, n: int) -> dict[str, float]:
    """Round ``n``'s decode steps [ms] by model (a second run of a model: ``<model>-again``)."""
    return {i.removeprefix(f"r{n}-").split("-bf16")[0] + ("-again" if i.endswith("-again") else ""):
            1000 / p["measured"] for i, p in own.items() if i.startswith(f"r{n}-") and "-decode-" in i}


def test_host_floor_by_kernels_out_of_sample(own):
    # rounds 8 and 9, after the host floor was scaled by kernels (speed.host_layers), each on one machine start:
    # Llama 3 8B first and last (round 8: 24.44 and 21.16 ms a step, round 9: 29.19 and 24.30: the host drifts),
    # other models between, one sequence after 512 tokens. The estimate's floor in Llama layers' launches (the
    # rule: 40 kernels a layer, 8 more for each RMSNorm beyond two, 16 more for an MoE block) against Llama's 32:
    #   Qwen3 8B      36 layers, q/k norms               36 x 56 / 40 = 50.4   1.575, measured 1.594
    #   Gemma 2 9B    42 layers, four norms              42 x 56 / 40 = 58.8   1.838, measured 1.877
    #   OLMo 3 7B     32 layers, post- and q/k norms     32 x 56 / 40 = 44.8   1.400, measured 1.215
    #   Phi-3.5-MoE   32 layers, LayerNorm, MoE          32 x 56 / 40 = 44.8   1.400, measured 1.627
    #   Falcon 7B     32 layers, one LayerNorm           32                    1.0,   measured 1.202
    #   Phi-3 mini    32 layers, fused QKV and gate-up   32                    1.0,   measured 1.085
    # within 17 % (counting every layer as a Llama layer's: Qwen3 8B and Gemma 2 9B -29 and -30 %)
    rule = {"qwen3-8b": 50.4, "gemma2-9b": 58.8, "olmo3-7b": 44.8, "phi3.5-moe": 44.8, "falcon-7b": 32,
            "phi3-mini": 32}
    for n, models, within in ((8, ("qwen3-8b", "gemma2-9b"), 0.05), (8, ("olmo3-7b",), 0.17),
                              (9, ("phi3.5-moe", "falcon-7b"), 0.17), (9, ("phi3-mini",), 0.08)):
        step = steps_of_round(own, n)
        llama = (step["llama3-8b"] + step["llama3-8b-again"]) / 2       # 22.80 ms (round 8), 26.75 (round 9)
        for model in models:
            assert rule[model] / 32 == pytest.approx(step[model] / llama, rel=within), model
    # the estimates (0.83 ms a Llama layer, the server median) read round 8's decodes -8 to -26 %, as the dense
    # models of the other starts do, round 9's (a slower start: Llama 3 8B 26.75 ms against 22.80) -9 to +21 %
    r8, r9 = (errors(own, "decode_tok_s", only=(f"r{n}-",)) for n in (8, 9))
    assert len(r8) == len(r9) == 5 and all(-27 < e < -5 for e in r8.values()) and all(-10 < e < 22 for e in r9.values())
    # their 512-token prompts -29 to +16 %, but for two stated misses: Phi-3.5-MoE's grouped experts (64 tokens an
    # expert: +67 % with speed.MOE_GEMM_HALF's rate, out of its fit; +89 % at the full rate) and Falcon 7B's pass
    # (55 ms against Llama 3 8B's 19-27: +108 %, not modelled)
    prompts = {i: e for n in (8, 9) for i, e in errors(own, "prefill_tok_s", only=(f"r{n}-",)).items()}
    assert len(prompts) == 10
    assert 60 < prompts.pop("r9-phi3.5-moe-bf16-sdpa-prefill-p512") < 75
    assert 95 < prompts.pop("r9-falcon-7b-bf16-sdpa-prefill-p512") < 120
    assert all(-30 < e < 17 for e in prompts.values())


def training_runs():
    return [json.loads(line) for line in (CORPUS.parent / "training.jsonl").read_text(encoding="utf-8").splitlines()
            if line.startswith('{"id": "own-')]


def test_training_points_are_what_the_raw_file_says():
    assert training_runs() == _own_points_module().training_points()


def _training_estimate(r: dict):
    """The estimate of a training.jsonl own- point's run, from its ``setup`` (own_points.py: torch.optim.AdamW's
    defaults (foreach) or fused, bf16 parameters and moments, vramgui's adamw-bf16; LoRA r16 on q/v with peft's
    default fp32 adapters and moments, vramgui's adamw; SDPA; the run's allocator)."""
    from vramgui.core.catalog import load_catalog
    from vramgui.core.training import training_memory
    from vramgui.core.validation import training_setup
    return training_memory(training_setup(r, load_catalog()))


def test_fine_tuning_allocated_peaks_on_an_h200():
    # three steps of a plain loop: torch's allocated peak against the estimate less what it adds for the allocator
    # and the context, i.e. the largest of the step's phases (the loss with every stored activation and the
    # logits; the backward pass; the optimizer's step) beyond the weights and optimizer states. Every run, 16 setups
    # of four models (full and LoRA, with and without checkpointing, foreach and fused steps, both allocators, one and
    # two micro-batches a step): within -1.1 to +0.5 % (the former sum of every part, gradients beside activations:
    # -6 to +19 %). Round 15's accumulating runs were estimated before they ran (45.29, 34.22 and 21.45 GiB where
    # torch allocated 45.57, 34.41 and 21.64: the gradients alive through the second forward pass)
    from vramgui.core.training import CUDA_CONTEXT_BYTES
    runs = [r for r in training_runs() if r["quantity"] == "used_per_gpu"]
    assert len(runs) == 41 and len([r for r in training_runs() if r["quantity"] == "peak_allocated_per_gpu"]) == 41
    assert len(runs) == 41 and len({(r["model_ref"], r["method"], r["checkpointing"], r["micro_batch"],
                                     r["optimizer_step"], r["grad_accum"]) for r in runs}) == 16
    err = {}
    for r in runs:
        m = _training_estimate(r)
        quote = json.loads(r["quote"])
        allocated = float(m.total - m.fragmentation - CUDA_CONTEXT_BYTES) / 2**30
        err[r["id"]] = (allocated / quote["peak_alloc_gib"] - 1) * 100
        # the context beside the pool: 0.749 GiB in every run (used - reserved), the estimate's overhead
        assert quote["used_gib_at_end"] - quote["peak_reserved_gib"] == pytest.approx(CUDA_CONTEXT_BYTES / 2**30,
                                                                                     abs=0.002)
    assert all(-1.2 < e < 0.6 for e in err.values()), err
    assert statistics.median(map(abs, err.values())) < 0.5


def test_fine_tuning_memory_a_job_needs_on_an_h200():
    # what a job needs is not what a roomy card shows: the caching allocator keeps every block it reserved and frees
    # its cache (and retries) only when an allocation fails. Capping torch's pool at multiples of the allocated peak
    # (benchmarks/measure_training.py --caps) brackets the need: the largest cap that ran out of memory, the
    # smallest that completed (both + the context). Per setup, the brackets of its rounds joined
    brackets: dict[tuple, tuple[float, float, float]] = {}
    for r in training_runs():
        if r["quantity"] == "needed_per_gpu":
            key = (r["model_ref"], r["method"], r["checkpointing"], r["micro_batch"], r["allocator"][:10])
            low, high, _ = brackets.get(key, (0.0, float("inf"), 0.0))
            brackets[key] = (max(low, r["fails_at_gib"] or 0.0), min(high, r["value_gib"]),
                             float(_training_estimate(r).total) / 2**30)
    assert len(brackets) == 10
    err = {k: ((est / low - 1) * 100, (est / high - 1) * 100) for k, (low, high, est) in brackets.items()}
    # Qwen3 4B full fine-tuning with checkpointing under the caching allocator needs 15-20 % above its allocated
    # peak (its logits' phase, 13.9 GiB in blocks of 2.3 and 4.6 GiB, and the step's 15.0 GiB in tensors of each
    # parameter's size, alike in size: the pool cannot serve one from the other); the estimate's 8 % leaves it
    # 11-15 % short. Stated, not fitted: no other setup needs more than 10 %
    miss = err.pop(("qwen3-4b", "full", "full activation checkpointing (non-reentrant)", 4, "PyTorch's "))
    assert -16 < miss[1] < miss[0] < -10, miss
    # every other setup, both allocators: the estimate at or above the largest cap that failed (0.0 to +4.0 %) and
    # at most 1.1 % above the smallest that completed: not short of what the job needs, not much over
    assert all(lo > -0.5 and hi < 1.5 for lo, hi in err.values()), err
    # expandable segments need 0-2 % above the allocated peak where the caching pool needed 2-20 %
    for model, method, ckpt, batch in (("qwen3-4b", "full", "full", 4), ("qwen2.5-7b", "full", "none", 2),
                                       ("qwen3-4b", "lora", "none", 4)):
        ckpt = "full activation checkpointing (non-reentrant)" if ckpt == "full" else "none"
        caching, expandable = (brackets[(model, method, ckpt, batch, a)] for a in ("PyTorch's ", "expandable"))
        assert expandable[1] < caching[0]


def test_a_roomy_cards_pool_holds_more_than_a_job_needs():
    # the device's used memory after the steps on the 141 GB card against the smallest cap that completed (+ the
    # context): Qwen2.5 7B full fine-tuning with checkpointing held 88.58 GiB and needed 74.06 (its 152k-vocabulary
    # logits' blocks stay cached beside the step's tensors; 73.35 failed, rounds 12 and 13): the estimate lands
    # between the cap that failed and the one that completed, what "will it fit" asks, 14.6 GiB under the used memory
    used = {r["id"]: r["value_gib"] for r in training_runs() if r["quantity"] == "used_per_gpu"}
    needed = {r["id"]: r for r in training_runs() if r["quantity"] == "needed_per_gpu"}
    key = "own-h200-2026-12-04-qwen2.5-7b-full-ckptfull-s2048-b4-r12-foreach"
    high = needed[key + "-needed"]["value_gib"]
    low = needed[key.replace("-r12-", "-r13-") + "-needed"]["fails_at_gib"]
    assert used[key] == pytest.approx(88.58, abs=0.01) and (low, high) == pytest.approx((73.35, 74.06), abs=0.01)
    r = next(r for r in training_runs() if r["id"] == key)
    assert low < float(_training_estimate(r).total) / 2**30 <= high


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
    # narrow models (hidden 256: next to no GPU work) of five kinds, one after another on one machine start:
    # round6-host.jsonl at 16 layers (cut short there), round7-host.jsonl at 16 and 48 on another start. Their
    # generate() steps [ms]:
    #                  round 6, 16   round 7, 16   round 7, 48    kernels a layer (count_hf_kernels.py)
    #   Llama              17.85          8.80         25.31         40
    #   Qwen3              19.97         13.58         33.06         56 (q/k norms)
    #   Gemma 3 text       31.09         15.74         81.83         84 (six norms of 10)
    #   Qwen3-MoE          20.17         14.84         99.47         72
    #   Mixtral            17.58         14.65         63.47         58
    # The host's speed drifts within a run (round 6's Llama stepped 60.2 ms at 48 layers where round 2's fit gives
    # 30.9; round 7's later runs read slower), so the steps' ratios scatter, but around the kernels' ratios: Qwen3
    # over Llama 1.12-1.54 (kernels 1.40), Gemma 3 over Llama 1.74-3.23 (2.10), MoE over its dense kind 0.98-3.01
    # (1.29 and 1.45): speed.host_layers scales HF's launch loop by the kernels, not by measured ratios
    r6 = host_steps("round6-host.jsonl", "narrow-")
    r7 = host_steps("round7-host.jsonl", "narrow-")
    assert len(r6) == 6 and len(r7) == 10
    runs = [(r6, 16), (r7, 16), (r7, 48)]

    def ratios(kind, base):
        return [run[f"{kind}-{n}"] / run[f"{base}-{n}"] for run, n in runs]

    counted = {"llama": 40, "qwen3": 56, "gemma3": 84, "qwen3moe": 72, "mixtral": 58}
    for kind, base in (("qwen3", "llama"), ("gemma3", "llama"), ("qwen3moe", "qwen3"), ("mixtral", "llama")):
        r = ratios(kind, base)
        assert min(r) < counted[kind] / counted[base] < max(r), (kind, r)
    assert all(1.1 < r < 1.6 for r in ratios("qwen3", "llama"))
    assert all(1.7 < r < 3.3 for r in ratios("gemma3", "llama"))
    # the per-layer slope of Llama on round 7's start, 16 to 48 layers: (25.31 - 8.80) / 32 = 0.516 ms, round 2's
    # 0.507 (test_hf_host_cost_per_layer_on_the_h200)
    assert (r7["llama-48"] - r7["llama-16"]) / 32 == pytest.approx(0.516, abs=0.002)


def test_falcon_7b_sdpa_holds_fp32_scores(own):
    """Falcon-7B under HF transformers' SDPA (round 9, 512 tokens, one sequence): transformers hands SDPA its one
    key/value head unrepeated, PyTorch's fused kernels refuse it and the math path holds the product of the queries
    and keys and the softmax's output in fp32, 8 bytes a score and head, with HF's mask, 4 a pair: 71 x 8 + 4 = 572
    bytes a (query, key) pair, 512^2 x 572 = 0.14 GiB in the pass. The allocated peak then reads -0.8 % (-1.7 % counted
    as flash attention's, which holds no scores)."""
    from vramgui.core import Scenario, default_catalog
    from vramgui.core.memory import estimate_memory, memory_terms
    cat = default_catalog()
    s = Scenario(model=cat.model("falcon-7b"), gpu=cat.gpu("h200"), weights="bf16", engine="hf", attention="sdpa",
                 prompt_tokens=512, output_tokens=32)
    assert s.sdpa_math and not s.with_(attention="flash").sdpa_math
    assert memory_terms(s).scores == 71 * 8 + 4
    sdpa, flash = (float(estimate_memory(x).activations) for x in (s, s.with_(attention="flash")))
    assert sdpa - flash > 0.12 * 2**30
    assert -1.0 < own["r9-falcon-7b-bf16-sdpa-peak-b1-p512-n32"]["error_pct"] < -0.5


def test_falcon_7b_sdpa_note_in_the_report(capsys):
    """The estimate's notes say where HF transformers' SDPA takes PyTorch's math path (Falcon-7B): the text and the
    JSON's sdpa_math_note; flash attention picked, none; another model, none."""
    import json

    from vramgui.cli import main
    assert main(["estimate", "--model", "falcon-7b", "--gpu", "h200", "--engine", "hf", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenario"]["sdpa_math_note"].startswith(
        "transformers hands SDPA this model's one key/value head unrepeated")
    assert main(["estimate", "--model", "falcon-7b", "--gpu", "h200", "--engine", "hf"]) == 0
    assert "its math path holds each prompt's scores in fp32" in capsys.readouterr().out
    for args in (["--model", "falcon-7b", "--attention", "flash"], ["--model", "llama3-8b"]):
        assert main(["estimate", *args, "--gpu", "h200", "--engine", "hf", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["scenario"]["sdpa_math_note"] is None
