"""MLX (mlx-lm) on Apple chips: its weight formats, its cache, its speed rows and where it does not run."""

import json

import pytest

from vramgui.core.engines import ENGINES, runs_on_gpu
from vramgui.core.formats import WEIGHT_FORMATS, stored_format
from vramgui.core.memory import allocated_tokens, estimate_memory
from vramgui.core.speed import decode_step

# Qwen3-4B (config.json: hidden 2560, 36 layers, 32 query heads and 8 KV heads of 128, MLP 9728, vocabulary 151,936,
# the output layer tied to the embedding), counted by hand
EMBEDDING = 151_936 * 2560
LINEAR = 36 * (2560 * 4096 + 2 * 2560 * 1024 + 4096 * 2560 + 3 * 2560 * 9728)
NORMS = 36 * (2 * 2560 + 2 * 128) + 2560
KV_PER_TOKEN = 36 * 2 * 8 * 128 * 2          # keys and values of every layer, 16-bit: 147,456 bytes


def test_mlx_formats_store_a_scale_and_a_bias_per_64_weights():
    # mlx.core.quantize (affine): 4 bits + a 16-bit scale and a 16-bit bias per group of 64 = 4.5 bits; the embedding
    # and the output layer quantized alike, norms 16-bit
    for fid, bits in (("mlx-4bit", 4.5), ("mlx-6bit", 6.5), ("mlx-8bit", 8.5)):
        f = WEIGHT_FORMATS[fid]
        assert (f.linear_bits, f.embedding_bits, f.lm_head_bits, f.other_bits) == (bits, bits, bits, 16.0)
    # mlx-lm's config.json names its quantization so; other widths and groups are not among the formats
    assert stored_format({"quantization": {"group_size": 64, "bits": 4}}) == "mlx-4bit"
    assert stored_format({"quantization": {"group_size": 64, "bits": 8, "mode": "affine"}}) == "mlx-8bit"
    assert stored_format({"quantization": {"group_size": 32, "bits": 4}}) is None
    assert stored_format({"quantization": {"group_size": 64, "bits": 3}}) is None
    assert stored_format({"quantization": {"group_size": 32, "bits": 4, "mode": "mxfp4"}}) is None


def test_qwen3_4b_weights_and_cache_under_mlx(scenario):
    assert EMBEDDING + LINEAR + NORMS == 4_022_468_096
    s = scenario("qwen3-4b", "m4-max-64gb", weights="mlx-4bit", engine="mlx", prompt_tokens=2048, output_tokens=128)
    m = estimate_memory(s)
    assert float(m.weights) == pytest.approx((EMBEDDING + LINEAR) * 4.5 / 8 + NORMS * 2, rel=1e-9)
    # the cache grows in steps of 256 tokens: 2,048 + 128 tokens hold 2,304
    assert allocated_tokens(ENGINES["mlx"], [1, 256, 257, 2048, 2176]).tolist() == [256, 256, 512, 2048, 2304]
    assert float(m.kv_cache) == pytest.approx(2304 * KV_PER_TOKEN, rel=1e-12)
    # no context or engine buffers counted beside MLX's own allocations (mx.get_peak_memory)
    assert float(m.overhead) == 0.0
    # BF16: mlx_lm.benchmark -p 2048 -g 128 printed a 9.02 GB peak (mlx_lm/BENCHMARKS.md); weights and cache are
    # 8.385 GB of it, the estimate's one pass 0.15 GB: 5 % short (the Qwen3 runs' stated miss, test_validation_corpus)
    bf16 = estimate_memory(s.with_(weights="bf16"))
    total = float(bf16.weights + bf16.kv_cache + bf16.activations)
    assert float(bf16.weights + bf16.kv_cache) == pytest.approx((EMBEDDING + LINEAR + NORMS) * 2 + 2304 * KV_PER_TOKEN)
    assert total / 1e9 == pytest.approx(9.02, rel=0.06)


def test_mlx_decode_on_an_m4_max(scenario):
    # a step reads the weights (the tied embedding once, as the output layer) at 91 % of 546 GB/s and the cache 1.55
    # times slower, and pays 53 us in each of the 36 layers; at 2,048 + 64 tokens of context:
    weights = (EMBEDDING + LINEAR) * 4.5 / 8 + NORMS * 2
    step = (weights + 1.55 * 2112 * KV_PER_TOKEN) / (546e9 * 0.91) + 36 * 53e-6
    s = scenario("qwen3-4b", "m4-max-64gb", weights="mlx-4bit", engine="mlx", prompt_tokens=2048)
    assert float(decode_step(s, 1, 2112)[0]) == pytest.approx(step, rel=2e-3)
    # measured 134.52 tokens/s (mlx_lm/BENCHMARKS.md, the run the rows are fitted on): within 1 %
    assert 1 / step == pytest.approx(134.52, rel=0.01)


def test_mlx_runs_on_apple_chips_only(scenario, cat):
    for gpu in ("m2-ultra-192gb", "m4-max-128gb", "m1-16gb"):
        assert runs_on_gpu("mlx", "mlx-4bit", cat.gpu(gpu))
    for gpu in ("rtx4090", "h100-sxm", "mi300x", "arc-b580"):
        assert not runs_on_gpu("mlx", "mlx-4bit", cat.gpu(gpu))
    from vramgui.core.report import engine_note
    assert engine_note(scenario("llama3.1-8b", "m4-max-128gb", weights="mlx-4bit", engine="mlx")) is None
    note = engine_note(scenario("llama3.1-8b", "rtx4090", weights="mlx-4bit", engine="mlx"))
    assert "does not run on this card's GPU as modelled" in note and "SM 7.5" in note and "Apple chips" in note


def test_cli_fit_marks_other_cards_for_mlx(capsys):
    from vramgui.cli import main
    assert main(["fit", "--model", "llama3.1-8b", "--weights", "mlx-4bit", "--engine", "mlx", "--json"]) == 0
    rows = {r["gpu"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["m4-max-128gb"]["engine_runs"] and rows["m4-max-128gb"]["verdict"] == "fits"
    assert not rows["rtx4090"]["engine_runs"] and rows["rtx4090"]["verdict"] == "no backend"
    assert all(r["engine_runs"] == (r["vendor"] == "Apple") for r in rows.values())


def test_the_explain_panel_names_the_mlx_rows(scenario):
    from vramgui.core.explain import explain_items
    s = scenario("qwen3-30b-a3b", "m4-max-64gb", weights="mlx-8bit", engine="mlx", prompt_tokens=2048)
    decode = next(e for e in explain_items(s) if e.title == "Decode step")
    by_name = {a.name: a for a in decode.assumptions}
    bw = by_name["Bandwidth efficiency η_bw"]
    assert bw.value == "0.91 (MLX (mlx-lm) 0.91, MLX 8-bit (group 64))"
    assert "MLX (mlx-lm on Apple chips): 91 %" in bw.source and "MLX's 8- and 6-bit mat-vecs" in bw.source
    assert by_name["MoE layers' fixed cost"].value == "2.21 ms (48 layers × 46 µs)"
    assert by_name["Cache read"].value == "1.55 times the weights' time a byte (MLX (mlx-lm)'s decode attention)"


def test_an_mlx_checkpoint_imports_with_its_bytes_as_stored(tmp_path, scenario, cat):
    # mlx-lm's 4-bit layout (mlx_lm/utils.py, nn.quantize): each quantized weight packed 8 to a uint32 with a 16-bit
    # scale and bias per 64 weights ('.scales', '.biases' beside '.weight'), norms 16-bit; config.json names it
    import numpy as np
    from filemakers import CFG, hf_tensors
    from safetensors.numpy import save_file

    from vramgui.core.model_files import model_from_path
    tensors = {}
    for name, t in hf_tensors(np.float16).items():
        if t.ndim == 2:
            rows, cols = t.shape
            stem = name.removesuffix(".weight")
            tensors[name] = np.zeros((rows, cols // 8), dtype=np.uint32)
            tensors[stem + ".scales"] = np.ones((rows, cols // 64), dtype=np.float16)
            tensors[stem + ".biases"] = np.zeros((rows, cols // 64), dtype=np.float16)
        else:
            tensors[name] = t
    save_file(tensors, str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps({**CFG, "quantization": {"group_size": 64, "bits": 4}}))
    model = model_from_path(tmp_path)
    assert stored_format(model.config) == "mlx-4bit"
    fw = model.file_weights
    stored = sum(t.nbytes for t in tensors.values())
    assert fw.total_bytes == stored
    # the scales and biases count with their matrices (embedding, output layer, linear layers): only the five
    # 16-bit norms of 64 are "other"
    assert fw.other_bytes == 5 * 64 * 2
    assert fw.embedding_bytes == 320 * 64 / 2 + 2 * 320 * 1 * 2      # packed weights + one scale and bias a row
    s = scenario("llama2-7b", "m4-max-64gb").with_(model=model, weights="file", engine="mlx")
    assert float(estimate_memory(s).weights) == pytest.approx(stored, rel=1e-9)


def test_mlx_quantized_cache_takes_the_q8_0_and_q4_0_bytes(scenario):
    # QuantizedKVCache (--kv-bits, group 64): 8 or 4 bits a value + a 16-bit scale and bias per 64 = 8.5 or 4.5 bits,
    # what ggml's Q8_0 (34 bytes per 32) and Q4_0 (18 per 32) blocks hold: those cache types stand for it
    from vramgui.core.formats import KV_DTYPES
    q8, q4 = KV_DTYPES["q8_0"].bytes_per_element, KV_DTYPES["q4_0"].bytes_per_element
    assert (q8 * 8, q4 * 8) == (8 + 32 / 64, 4 + 32 / 64)
    s = scenario("qwen3-4b", "m4-max-64gb", weights="mlx-4bit", engine="mlx", prompt_tokens=8192, kv_dtype="q8_0")
    assert float(estimate_memory(s).kv_cache) == pytest.approx(8192 * 36 * 2 * 8 * 128 * 8.5 / 8, rel=1e-12)


def test_weights_mlx_lm_converts_first_are_noted(scenario):
    from vramgui.core.report import estimate_dict, format_note
    s = scenario("qwen3-4b", "m4-max-64gb", engine="mlx", prompt_tokens=512)
    for fmt in ("mlx-4bit", "mlx-6bit", "mlx-8bit", "bf16", "fp16", "awq-int4", "gptq-int4", "mxfp4"):
        assert format_note(s.with_(weights=fmt)) is None, fmt
    for fmt in ("q4_k_m", "nf4", "fp8", "int8", "nvfp4"):
        note = format_note(s.with_(weights=fmt))
        assert note.startswith(f"MLX (mlx-lm) does not load {s.with_(weights=fmt).weight_format.name} weights as "
                               "stored") and "mlx_lm.convert" in note, fmt
    assert format_note(s.with_(weights="q4_k_m", engine="llamacpp")) is None
    assert estimate_dict(s.with_(weights="q4_k_m"))["scenario"]["format_note"].startswith("MLX (mlx-lm) does not load")


def test_a_mac_machine_with_mlx_lists_what_mlx_lm_loads(cat):
    # with MLX as the machine's engine, what mlx-lm loads as stored runs on MLX too (16-bit, AWQ / GPTQ 4-bit,
    # MXFP4), GGUF on llama.cpp; FP8 and bitsandbytes (converted first) do not run on the chip
    from vramgui.core.machine import Machine, _engine_for, best_format
    assert [_engine_for("mlx", f) for f in ("bf16", "awq-int4", "mlx-4bit", "q4_k_m", "fp8")] == \
        ["mlx", "mlx", "mlx", "llamacpp", "vllm"]
    options = best_format(Machine(gpu=cat.gpu("m4-max-64gb"), engine="mlx"), cat.model("llama3.1-8b"))["options"]
    formats = {o.weights for o in options}
    assert {"bf16", "fp16", "awq-int4", "gptq-int4", "mlx-4bit", "mlx-6bit", "mlx-8bit", "q4_k_m"} <= formats
    assert not formats & {"fp8", "nf4", "bnb-int8", "int8"}


def test_weights_other_engines_do_not_load_as_stored_are_noted(scenario):
    """llama.cpp loads GGUF files only (its README): AWQ, GPTQ, bitsandbytes, FP8 and MLX weights under a llama.cpp
    profile (Ollama's too) are noted as converted first, its GGUF types, 16- and 32-bit weights not; MLX's formats are
    mlx-lm's own under vLLM, SGLang and HF; HF transformers dequantizes a GGUF type as it loads it (its docs); vLLM
    loads GGUF as stored; the generic profile takes anything."""
    from vramgui.core.formats import WEIGHT_FORMATS
    from vramgui.core.report import format_note
    s = scenario("llama3.1-8b", "rtx4090", prompt_tokens=512)
    gguf = [f for f, w in WEIGHT_FORMATS.items() if w.gguf is not None]
    assert len(gguf) == 9
    for engine in ("llamacpp", "llamacpp-vulkan", "llamacpp-2023", "ollama"):
        for fmt in (*gguf, "fp16", "bf16", "fp32"):
            assert format_note(s.with_(engine=engine, weights=fmt)) is None, (engine, fmt)
        for fmt in ("awq-int4", "gptq-int4", "nf4", "bnb-int8", "fp8", "int8", "nvfp4", "mxfp4", "mlx-4bit"):
            note = format_note(s.with_(engine=engine, weights=fmt))
            assert note.startswith(f"{s.with_(engine=engine).profile.name} does not load "
                                   f"{WEIGHT_FORMATS[fmt].name} weights as stored (llama.cpp loads GGUF files only"
                                   if fmt != "mlx-4bit" else
                                   f"{s.with_(engine=engine).profile.name} does not load MLX 4-bit"), (engine, fmt)
    for engine in ("vllm", "sglang", "hf"):
        assert "mlx-lm's own group-wise quantization" in format_note(s.with_(engine=engine, weights="mlx-6bit"))
        assert format_note(s.with_(engine=engine, weights="awq-int4")) is None
    assert "dequantizes a GGUF file as it loads it" in format_note(s.with_(engine="hf", weights="q4_k_m"))
    assert format_note(s.with_(engine="vllm", weights="q4_k_m")) is None
    assert all(format_note(s.with_(engine="generic", weights=f)) is None for f in WEIGHT_FORMATS)


def test_hf_dequantizes_mxfp4_experts_where_its_kernels_do_not_run(scenario, cat):
    """transformers' MXFP4 quantizer (quantizer_mxfp4.py, validate_environment) runs gpt-oss's MXFP4 experts on
    cards of compute capability 7.5 or newer and dequantizes them to bf16 elsewhere (an older card, an Apple chip's
    mps device), its FP8 one (quantizer_finegrained_fp8.py) FP8 checkpoints on 8.9 or newer: the card holds 16-bit
    weights, so the estimate is noted there, and My machine's HF rows leave the format out (its BF16 row is what
    runs); vLLM and the newer cards are not noted."""
    from vramgui.core.engines import HF_DEQUANTIZES
    from vramgui.core.machine import Machine, best_format
    from vramgui.core.report import format_note
    s = scenario("gpt-oss-20b", "rtx4090", engine="hf", weights="mxfp4", prompt_tokens=512)
    assert format_note(s) is None and format_note(s.with_(gpu=cat.gpu("t4"))) is None
    for gpu in ("v100-32gb", "tesla-p40", "m4-max-64gb"):
        note = format_note(s.with_(gpu=cat.gpu(gpu)))
        assert note == f"HF transformers does not load MXFP4 experts (gpt-oss) weights as stored " \
                       f"({HF_DEQUANTIZES['mxfp4'][1]}; {HF_DEQUANTIZES['mxfp4'][2]})", gpu
    assert format_note(s.with_(gpu=cat.gpu("v100-32gb"), engine="vllm")) is None
    model = cat.model("gpt-oss-20b")

    def formats(gpu):
        return {o.weights for o in best_format(Machine(gpu=cat.gpu(gpu), engine="hf"), model)["options"]}
    assert "mxfp4" in formats("t4") and "mxfp4" not in formats("v100-32gb") and "bf16" in formats("v100-32gb")
    # FP8: an A100 (8.0) and an RTX 3090 (8.6) hold BF16; an RTX 4090 (8.9) and an H100 run it; an Apple chip's mps
    # device has no float8 (HF_NO_MPS: it does not run there, no dequantization note)
    f8 = scenario("llama3.1-8b", "rtx4090", engine="hf", weights="fp8", prompt_tokens=512)
    for gpu, noted in (("a100-80gb", True), ("rtx3090", True), ("rtx4090", False), ("h100-sxm", False),
                       ("mi300x", False), ("m4-max-64gb", False)):
        note = format_note(f8.with_(gpu=cat.gpu(gpu)))
        assert (note == f"HF transformers does not load FP8 (E4M3, per-tensor scale) weights as stored "
                        f"({HF_DEQUANTIZES['fp8'][1]}; {HF_DEQUANTIZES['fp8'][2]})") if noted else note is None, gpu
    # the fit table says which cards hold other bytes than the format's (its rows' tooltips)
    from vramgui.core.cards import card_table
    gpus = [cat.gpu(g) for g in ("a100-80gb", "rtx3090", "rtx4090", "h100-sxm", "v100-32gb")]
    assert card_table(f8, gpus).as_stored.tolist() == [False, False, True, True, False]
    assert card_table(f8.with_(engine="vllm"), gpus).as_stored.tolist() == [True] * 5
    assert card_table(s, gpus).as_stored.tolist() == [True, True, True, True, False]      # (MXFP4: 7.5)
    # compressed-tensors' own formats (INT8 W8A8, Kimi's INT4 experts): CompressedLinear decompresses each layer on
    # its first forward pass and keeps the 16-bit weight, on every card
    from vramgui.core.engines import HF_DECOMPRESSES_WHY
    w8a8 = f8.with_(weights="int8-w8a8")
    assert format_note(w8a8) == f"HF transformers does not load INT8 (W8A8, per-row scale) weights as stored " \
                                f"({HF_DECOMPRESSES_WHY[0]}; {HF_DECOMPRESSES_WHY[1]})"
    assert card_table(w8a8, gpus).as_stored.tolist() == [False] * 5
    assert format_note(w8a8.with_(engine="vllm")) is None and format_note(f8.with_(weights="int8")) is None
    kimi = cat.model("kimi-k2.5")
    assert not any(o.weights == "int4-experts" for o in best_format(Machine(gpu=cat.gpu("h200"), engine="hf"),
                                                                    kimi)["options"])
    assert any(o.weights == "int4-experts" for o in best_format(Machine(gpu=cat.gpu("h200"), engine="vllm"),
                                                                kimi)["options"])
    llama = cat.model("llama3.1-8b")
    def hf_formats(gpu):
        return {o.weights for o in best_format(Machine(gpu=cat.gpu(gpu), engine="hf"), llama)["options"]}
    assert "fp8" not in hf_formats("a100-80gb") and "fp8" in hf_formats("rtx4090")
