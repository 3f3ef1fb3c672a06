"""Weight and KV-cache memory against published figures and hand calculations."""

import pytest

from vramgui.core import estimate_memory, weight_bytes
from vramgui.core.formats import REQUIRED_FORMAT_IDS, WEIGHT_FORMATS
from vramgui.core.units import GB, GIB


def _w(cat, model, fmt):
    return weight_bytes(cat.model(model).architecture, WEIGHT_FORMATS[fmt]).total


def test_required_format_ids_exist():
    assert set(REQUIRED_FORMAT_IDS) <= set(WEIGHT_FORMATS)


def test_llama2_7b_fp16_is_13_5_gb(cat):
    assert _w(cat, "llama2-7b", "fp16") == pytest.approx(13.5 * GB, rel=0.005)   # 6.74 B × 2 bytes


@pytest.mark.parametrize("fmt", ["int4", "gptq-int4", "awq-int4", "nf4"])
def test_llama2_70b_4bit_is_35_gb_within_5_percent(cat, fmt):
    # 70 B × 0.5 bytes = 35 GB; group scales and 16-bit embeddings/LM head (2 × 262 M × 2 bytes) add the rest
    assert _w(cat, "llama2-70b", fmt) == pytest.approx(35 * GB, rel=0.05)


@pytest.mark.parametrize("fmt, published_gb, rel", [
    # TheBloke/Llama-2-7B-GGUF "Provided files" sizes (GB), files made by llama.cpp's quantizer
    ("q8_0", 7.16, 0.01), ("q6_k", 5.53, 0.01), ("q5_k_m", 4.78, 0.01), ("q5_0", 4.65, 0.01),
    ("q4_k_m", 4.08, 0.01), ("q4_0", 3.83, 0.01), ("q3_k_m", 3.30, 0.05),
])
def test_gguf_mixes_match_published_file_sizes(cat, fmt, published_gb, rel):
    assert _w(cat, "llama2-7b", fmt) == pytest.approx(published_gb * GB, rel=rel)


def test_q4_0_matches_llama_cpp_printed_size(cat):
    # llama.cpp log for Llama 2 7B Q4_0: "model size = 3.56 GiB (4.54 BPW)"
    assert _w(cat, "llama2-7b", "q4_0") == pytest.approx(3.56 * GIB, abs=0.006 * GIB)


def test_fp8_matches_vllm_weights_log(cat):
    # vLLM V1, Llama 3.1 8B with --quantization fp8: "Model loading took 8.49 GiB"
    assert _w(cat, "llama3.1-8b", "fp8") == pytest.approx(8.49 * GIB, rel=0.01)


def test_kv_llama2_13b_batch64(scenario):
    # 2 · 40 layers · 5120 · 2 bytes = 819,200 B/token; × 544 tokens × 64 = 28.52 GB = 26.56 GiB
    m = estimate_memory(scenario("llama2-13b", "a100-80gb", prompt_tokens=512, output_tokens=32, batch=64))
    assert float(m.kv_cache) == pytest.approx(28.5 * GB, rel=0.002)
    assert float(m.kv_cache) == pytest.approx(26.5625 * GIB, rel=1e-9)


def test_kv_llama31_8b_bf16_128k_is_16_gib_exactly(scenario):
    # 2 · 32 · 8 · 128 · 2 bytes = 131,072 B/token × 131,072 tokens = 16 GiB
    m = estimate_memory(scenario("llama3.1-8b", "h100-sxm", kv_dtype="bf16", prompt_tokens=131072))
    assert float(m.kv_cache) == 16 * GIB


@pytest.mark.parametrize("kv, factor", [("fp32", 2.0), ("fp8", 0.5), ("q8_0", 34 / 64), ("q4_0", 18 / 64)])
def test_kv_dtypes_scale_the_cache(scenario, kv, factor):
    base = estimate_memory(scenario("llama2-7b", "rtx4090", prompt_tokens=1000)).kv_cache
    other = estimate_memory(scenario("llama2-7b", "rtx4090", prompt_tokens=1000, kv_dtype=kv)).kv_cache
    assert float(other) == pytest.approx(float(base) * factor, rel=1e-12)


@pytest.mark.parametrize("model, printed_gib", [("gpt-oss-120b", 59.02), ("gpt-oss-20b", 11.27)])
def test_gguf_mxfp4_is_the_size_of_llama_cpps_gpt_oss_files(cat, model, printed_gib):
    """llama.cpp's gpt-oss GGUFs keep the experts MXFP4 (4.25 bits) and store every other matrix,
    the embedding and the output layer Q8_0 (8.5 bits), norms, biases and sinks F32: llama-bench
    printed 59.02 and 11.27 GiB for ggml-org's files (benches/dgx-spark.md), to two decimals."""
    from vramgui.core.weights import weight_bytes
    wb = weight_bytes(cat.model(model).architecture, WEIGHT_FORMATS["gguf-mxfp4"])
    assert wb.total / GIB == pytest.approx(printed_gib, abs=0.005)
    # the experts alone at 4.25 bits: 36 x 128 experts x (2,880 x 5,760 + 2,880 x 2,880) weights for the 120B
    if model == "gpt-oss-120b":
        assert wb.linear - 36 * (2880 * 4096 * 2 + 2 * 2880 * 512) * 8.5 / 8 == \
            pytest.approx(36 * 128 * (2880 * 5760 + 2880 * 2880) * 4.25 / 8, rel=1e-12)


def test_sliding_window_caps_windowed_layers(scenario):
    # Mistral 7B v0.1: every layer windowed at 4,096 tokens; at 16k the cache holds 4,096 tokens
    s = scenario("mistral-7b", "a100-80gb", prompt_tokens=16384)
    per_token = 2 * 32 * 8 * 128 * 2
    assert float(estimate_memory(s).kv_cache) == per_token * 4096
    # Gemma 2 9B: 21 of 42 layers windowed at 4,096
    g = scenario("gemma2-9b", "a100-80gb", prompt_tokens=8192)
    per_layer = 2 * 8 * 256 * 2
    assert float(estimate_memory(g).kv_cache) == per_layer * (21 * 8192 + 21 * 4096)

    # Gemma 3 27B: 52 of 62 layers windowed at 1,024; 16 KV heads of 128 (a 32k prompt)
    g3 = scenario("gemma3-27b", "a100-80gb", prompt_tokens=32768)
    per_layer = 2 * 16 * 128 * 2
    assert float(estimate_memory(g3).kv_cache) == per_layer * (10 * 32768 + 52 * 1024)

    # gpt-oss-120b: 18 of 36 layers windowed at 128 tokens; 8 KV heads of 64
    oss = scenario("gpt-oss-120b", "h100-sxm", weights="mxfp4", prompt_tokens=8192)
    assert float(estimate_memory(oss).kv_cache) == 2 * 8 * 64 * 2 * (18 * 8192 + 18 * 128)

    # Command R7B (cohere2): three layers windowed at 4,096 tokens, then one global (sliding_window_pattern 4, as
    # transformers' Cohere2Config and llama.cpp read it): 24 + 8 of 32 layers; 8 KV heads of 128 (a 16k prompt).
    # (Read as all 32 windowed before: the 8 global layers' cache past 4,096 tokens was missing.)
    r7 = scenario("command-r7b", "a100-80gb", prompt_tokens=16384)
    assert float(estimate_memory(r7).kv_cache) == 2 * 8 * 128 * 2 * (8 * 16384 + 24 * 4096)

    # Llama 4 Scout: chunked attention (8,192-token chunks) on the 36 layers with rotary
    # positions, every fourth layer global; 8 KV heads of 128 (a 32k prompt)
    l4 = scenario("llama4-scout", "h100-sxm", prompt_tokens=32768)
    assert float(estimate_memory(l4).kv_cache) == 2 * 8 * 128 * 2 * (12 * 32768 + 36 * 8192)


def test_mla_caches_the_latent(scenario):
    # DeepSeek-V2-Lite: (kv_lora_rank 512 + rope 64) × 27 layers × 2 bytes per token in vLLM
    s = scenario("deepseek-v2-lite", "a100-80gb", engine="vllm", prompt_tokens=1024)
    assert float(estimate_memory(s).kv_cache) == 1024 * 576 * 27 * 2
    # HF transformers 5.24's DeepSeek-V2 code caches the latent too (modeling_deepseek_v2.py: "Cache read / write is
    # performed while the latent KV is still compressed"), and expands it at each pass
    h = scenario("deepseek-v2-lite", "a100-80gb", engine="hf", prompt_tokens=1024)
    assert float(estimate_memory(h).kv_cache) == 1024 * 576 * 27 * 2
    # Kimi K2's remote code (DeepSeek-V3's modeling_deepseek.py) caches the expanded keys (128 + 64) and values (128)
    # of all 64 heads: 61 layers, 8 of them on the fullest of 8 cards under HF's layer split
    k2 = scenario("kimi-k2", "h200", engine="hf", weights="fp8", n_gpus=8, prompt_tokens=1024)
    assert float(estimate_memory(k2).kv_cache) == pytest.approx(1024 * 64 * (192 + 128) * 8 * 2, rel=1e-12)
    # DeepSeek-V3 / R1 in vLLM on 8 cards: the 576-wide latent of 61 layers, on every card
    # (one latent "head" cannot be split by tensor parallelism)
    r1 = scenario("deepseek-r1", "h200", engine="vllm", weights="fp8", n_gpus=8, prompt_tokens=8192)
    assert float(estimate_memory(r1).kv_cache) == 8192 * 576 * 61 * 2


def test_sweep_of_1000_contexts_is_one_call(scenario):
    import numpy as np
    xs = np.arange(1, 1001) * 64
    m = estimate_memory(scenario("llama2-7b", "rtx4090"), prompt=xs)
    assert m.total.shape == (1000,)
    assert np.all(np.diff(m.total) >= 0)


def test_tensor_parallel_splits_weights_and_kv(scenario):
    one = estimate_memory(scenario("llama2-70b", "a100-80gb", engine="vllm", prompt_tokens=4096))
    four = estimate_memory(scenario("llama2-70b", "a100-80gb", engine="vllm", n_gpus=4, prompt_tokens=4096))
    assert float(four.weights) == pytest.approx(float(one.weights) / 4, rel=0.001)  # norms replicate
    assert float(four.kv_cache) == pytest.approx(float(one.kv_cache) / 4)
    # 8 KV heads over 16 cards: each card keeps one head (replicated), not half a head
    sixteen = estimate_memory(scenario("llama2-70b", "a100-80gb", engine="vllm", n_gpus=16, prompt_tokens=4096))
    assert float(sixteen.kv_cache) == pytest.approx(float(one.kv_cache) / 8)


def test_llamacpp_compute_buffer_reserves_a_logits_row_a_sequence(scenario):
    # Current llama.cpp (flash attention by default): llama-server and llama-cli reserve the worst-case graph with
    # one output a parallel sequence (PR #23861, June 2026: n_outputs_max = n_parallel), so at one sequence the peak
    # is the MLP's two f32 intermediates beside the f32 hidden state.  Llama 3.1 8B (hidden 4,096, MLP 14,336,
    # vocabulary 128,256), a 512-token batch: 512 x 14,336 x 2 x 4 + 512 x 4,096 x 4 bytes = 64 MiB
    s = scenario("llama3.1-8b", "rtx4090", engine="llamacpp", weights="q4_k_m", prompt_tokens=8000,
                 output_tokens=192)
    assert s.attention_impl == "flash"
    hidden = 512 * 4096 * 4
    # (flash attention's f32 mask over the 8,192 cells and its f16 copy for the kernel, 512 x 8,192 x 6 = 24 MiB,
    # beside Q and three f32 hidden states with the 32 heads' log-sum-exp, 512 x 65,664 = 32.06 MiB: 56.06 MiB,
    # just over the MLP's 56)
    attention = 512 * 8192 * 6 + 512 * (4 * 4096 * 4 + 32 * 4)
    assert float(estimate_memory(s).activations) == attention + hidden
    assert float(estimate_memory(s.with_(prompt_tokens=3000)).activations) == 512 * 14336 * 2 * 4 + hidden == 64 * 2**20
    # at 32,768 cells the masks (96 MiB) make the peak: 136.06 MiB, where an Ollama llama-server of June 2026 (its
    # --fit projection for Hermes 3 Llama 3.1 8B Q4_0 at n_ctx 32,768, every layer on an RTX 2060) printed 140
    long = s.with_(prompt_tokens=32768 - 192)
    assert float(estimate_memory(long).activations) == 512 * 32768 * 6 + 512 * 65664 + hidden
    assert float(estimate_memory(long).activations) / 2**20 == pytest.approx(140, rel=0.03)
    # 200 parallel sequences (-np 200): 200 logits rows, 97.9 MiB, outgrow the MLP's 56
    assert float(estimate_memory(s.with_(batch=200)).activations) == 200 * 128256 * 4 + hidden
    # llama-bench, llama-completion and the builds of 2023-2024 (the no-CUDA-graphs profile) reserve a row for every
    # token of the batch (graph_reserve(n_tokens, n_seqs, n_tokens)): f32 logits for all 512 = 258.5 MiB
    old = s.with_(engine="llamacpp-2023", attention="flash")
    assert float(estimate_memory(old).activations) == 512 * 128256 * 4 + hidden
    assert (512 * 128256 * 4 + hidden) / 2**20 == 258.5
    # without flash attention the 32 heads' f32 scores against the whole 8,192-token context dominate: 4 bytes a
    # score (512 MiB), the f32 mask (16 MiB), Q and three hidden states beside them (32 MiB) and the hidden state
    # (8 MiB): 568 MiB, where May 2024 builds logged 560.00 MiB for Llama 3 8B at n_ctx 8192 (corpus, 18 machines)
    eager = float(estimate_memory(s.with_(attention="eager")).activations)
    assert eager == 512 * 8192 * (32 * 4 + 4) + 4 * 512 * 4096 * 4 + 512 * 4096 * 4 == 568 * 2**20
    # two parallel sequences (-np 2): current builds give each its own cache stream (PR #14363), whose tokens score
    # only their own 8,192 cells: the same 568 MiB; the builds of 2023-2024 held one cache of 16,384 cells that every
    # token of the batch scored: 512 x 16,384 x 132 + 40 MiB = 1,096 MiB
    two = s.with_(attention="eager", batch=2)
    assert float(estimate_memory(two).activations) == 568 * 2**20
    assert float(estimate_memory(two.with_(engine="llamacpp-2023")).activations) == \
        512 * 16384 * (32 * 4 + 4) + 5 * 512 * 4096 * 4 == 1096 * 2**20


def test_k_quants_fall_back_where_their_block_does_not_divide_a_row():
    # llama.cpp's quantizer (llama-quant.cpp): a K-quant needs rows of a multiple of 256 weights;
    # otherwise Q2_K/Q3_K -> IQ4_NL, Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, and F16 where not even
    # 32 divides the row
    from vramgui.core.formats import gguf_type_bits
    assert gguf_type_bits("q4_k", 4096) == 4.5 and gguf_type_bits("q4_k", 2688) == 5.5
    assert gguf_type_bits("q6_k", 1856) == 8.5 and gguf_type_bits("q5_k", 896) == 6.0
    assert gguf_type_bits("q2_k", 896) == gguf_type_bits("q3_k", 1408) == 4.5
    assert gguf_type_bits("q4_k", 100) == 16.0 and gguf_type_bits("q4_0", 2688) == 4.5   # Q4_0's block is 32


@pytest.mark.parametrize("model, fmt, file_bytes, rel", [
    # Nemotron 3 Nano: d 2688 and expert width 1856 are not multiples of 256, so most of its
    # Q4_K_M is Q5_0 and Q8_0: bartowski/nvidia_Nemotron-3-Nano-30B-A3B-GGUF Q4_K_M, 24,655,899,872
    # bytes by the Hugging Face API (as a public model-download log records it); counted as Q4_K
    # throughout it would be 20 % smaller
    ("nemotron3-nano-30b-a3b", "q4_k_m", 24_655_899_872, 0.01),
    # Qwen2.5 0.5B: d 896; its tied embedding takes the output's type, Q6_K -> Q8_0:
    # bartowski/Qwen2.5-0.5B-Instruct-GGUF Q4_K_M, 397,808,192 bytes (as a public app's model list
    # records it); the file also holds the 151,643-token vocabulary, which the estimate leaves out
    ("qwen2.5-0.5b", "q4_k_m", 397_808_192, 0.025),
])
def test_gguf_file_sizes_with_rows_k_quants_cannot_take(cat, model, fmt, file_bytes, rel):
    assert _w(cat, model, fmt) == pytest.approx(file_bytes, rel=rel)
    assert _w(cat, model, fmt) <= file_bytes          # the metadata is on top


def test_vllm_holds_rotary_tables_for_every_position_on_every_rank(scenario, cat):
    # vLLM's get_rope precomputes cos/sin for every position max_position_embeddings allows, in the
    # model's dtype, on each rank: Llama 3.1 8B 131,072 × 128 × 2 bytes = 32 MiB (the llm-d logs'
    # 14.99 / 7.51 / 3.77 GiB at TP 1/2/4 carry it on every rank), 64 MiB at fp32
    table = 131_072 * 128 * 2
    for n in (1, 2, 4):
        vllm = float(estimate_memory(scenario("llama3.1-8b", "h100-sxm", engine="vllm", n_gpus=n)).weights)
        generic = float(estimate_memory(scenario("llama3.1-8b", "h100-sxm", n_gpus=n)).weights)
        assert vllm - generic == pytest.approx(table, rel=1e-9)
    fp32 = float(estimate_memory(scenario("llama3.1-8b", "h100-sxm", engine="vllm", weights="fp32")).weights)
    assert fp32 - _w(cat, "llama3.1-8b", "fp32") == pytest.approx(2 * table, rel=1e-9)
    a = scenario("llama3.1-8b", "h100-sxm").model.architecture
    assert a.rope_table_elements == 131_072 * 128
    # Gemma 3 27B: the global layers' linear scaling (factor 8) stretches their table to 8 × 131,072
    # positions; the local layers' table is unscaled: (8 + 1) × 131,072 × 128 entries
    assert scenario("gemma3-27b", "h100-sxm").model.architecture.rope_table_elements == 9 * 131_072 * 128
    # YaRN (gpt-oss: original 4,096 × factor 32) and MLA's rotary part (DeepSeek-V3: 4,096 × 40 × 64)
    assert scenario("gpt-oss-120b", "h100-sxm").model.architecture.rope_table_elements == 4096 * 32 * 64
    assert scenario("deepseek-v3", "h100-sxm").model.architecture.rope_table_elements == 4096 * 40 * 64


def test_image_encoder_is_loaded_by_hf_and_vllm_but_not_llamacpp(scenario, cat):
    from vramgui.core import count_params
    a = cat.model("gemma3-27b").architecture
    # SigLIP as Gemma 3 instantiates it: 27 blocks of (4 × (1152² + 1152) + 2 × 1152 × 4304 + 4304 + 1152
    # + 4 × 1152), the patch convolution 3 × 14² × 1152 + 1152, 64² positions × 1152, the post-LayerNorm
    # 2 × 1152: 416,866,032 (the Gemma 3 report's Table 1: 417 M); the projector's RMSNorm and 1152 × 5376
    siglip = 27 * (4 * (1152**2 + 1152) + 2 * 1152 * 4304 + 4304 + 1152 + 4 * 1152) + 3 * 14 * 14 * 1152 + 1152 \
        + 64 * 64 * 1152 + 2 * 1152
    assert siglip == 416_866_032
    assert count_params(a).vision == siglip + 1152 + 1152 * 5376
    # the whole checkpoint as transformers builds it (Gemma3ForConditionalGeneration from this config on
    # the meta device: 27,432,406,640 parameters; the report's Total column: 27.4 B)
    assert count_params(a).total + count_params(a).vision == 27_432_406_640
    vision_bytes = count_params(a).vision * 2
    rope = a.rope_table_elements * 2

    def weights(engine, n=1):
        return float(estimate_memory(scenario("gemma3-27b", "a100-80gb", engine=engine, n_gpus=n, weights="bf16"))
                     .weights)

    text = weight_bytes(a, WEIGHT_FORMATS["bf16"]).total
    assert weights("hf") == pytest.approx(text + vision_bytes, rel=1e-12)
    assert weights("vllm") == pytest.approx(text + vision_bytes + rope, rel=1e-12)
    # vLLM splits the encoder over the tensor-parallel ranks like the language model's layers
    # (issue #16378: 13.1664 GiB a rank at TP 4; the validation corpus holds the point)
    assert weights("vllm", 4) == pytest.approx(13.1664 * GIB, rel=0.01)
    # HF device_map puts it on the first card, with the embedding
    assert weights("hf", 2) > weights("hf", 1) / 2 + vision_bytes / 2
    # llama.cpp: the encoder is a separate mmproj file; the token table stays in RAM, and as Gemma ties it to
    # the output layer, its copy on the card as the output layer takes its place: the language model's bytes
    assert weights("llamacpp") == pytest.approx(text, rel=1e-12)


def test_qwen35_image_encoder_by_hand(cat):
    from vramgui.core import count_params
    # Qwen3.5's encoder (transformers Qwen3_5VisionModel): Conv3d 3 × 2 × 16² × 1152 + 1152, 2304 positions
    # × 1152, 27 blocks as SigLIP's, and the merger: LayerNorm 2 × 1152, fc1 4608² + 4608, fc2 4608 × out + out
    # (transformers' Qwen3_5VisionModel from the 9B's vision_config on the meta device: 456,010,480)
    def tower(out):
        return (3 * 2 * 16 * 16 * 1152 + 1152 + 2304 * 1152 + 27 * 15_239_504 + 2 * 1152
                + 4608 * 4608 + 4608 + 4608 * out + out)
    assert tower(4096) == 456_010_480
    for model, out in (("qwen3.5-9b", 4096), ("qwen3.5-27b", 5120), ("qwen3.5-35b-a3b", 2048)):
        assert count_params(cat.model(model).architecture).vision == tower(out)
    # Qwen3.5-9B's checkpoint holds 9,653,108,208 parameters (its index: 19,306,216,416 bf16 bytes): the
    # language model, this encoder and a one-layer multi-token-prediction head (not counted: engines skip it)
    p = count_params(cat.model("qwen3.5-9b").architecture)
    # hand count of that head: fc 2 × 4096² + two 4096 norms + a full-attention layer (q with its gate 4096 × 8192,
    # k and v 2 × 4096 × 1024, o 4096², q/k norms 2 × 256, MLP 3 × 4096 × 12288, two norms) + a final norm
    mtp = 2 * 4096**2 + 2 * 4096 + 4096 * 8192 + 2 * 4096 * 1024 + 4096**2 + 2 * 256 + 3 * 4096 * 12288 + 3 * 4096
    assert 9_653_108_208 - p.total - p.vision == pytest.approx(mtp, rel=1e-4)


def test_rotary_table_reads_the_factor_where_each_config_keeps_it(cat):
    # transformers 5 configs keep partial_rotary_factor inside rope_parameters (Qwen3.5: 0.25 of 256 = 64 of
    # 262,144 positions); MiniMax-M2 0.5 of 128 over 196,608; Nemotron-H's attention has no rotary positions
    assert cat.model("qwen3.5-9b").architecture.rope_table_elements == 262_144 * 64
    assert cat.model("minimax-m2").architecture.rope_table_elements == 196_608 * 64
    assert cat.model("nemotron3-nano-30b-a3b").architecture.rope_table_elements == 0


def test_gemma4_kv_cache_by_layer_kind(scenario):
    # Gemma 4 31B: a token adds 2 × 16 × 256 to each of the 50 windowed layers and 2 × 4 × 512 to each of the 10
    # full-attention ones (K and V both kept though V is K's projection). llama.cpp at n_ctx 32,768, f16: the
    # full layers 32,768 × 10 × 8,192 B = 2,560 MiB; the windowed ones PAD(1,024 + 512, 256) = 1,536 cells ×
    # 50 × 16,384 B = 1,200 MiB
    from vramgui.core.units import MIB
    s = scenario("gemma4-31b", "h100-sxm", engine="llamacpp", weights="q8_0", prompt_tokens=32768)
    m = estimate_memory(s)
    assert m.kv_bytes_per_token == (50 * 2 * 16 * 256 + 10 * 2 * 4 * 512) * 2
    assert float(m.kv_cache) == pytest.approx((2560 + 1200) * MIB, rel=1e-12)
    # vLLM's tables: 262,144 positions × (256 + 512) for its local and global rotary embeddings
    assert s.model.architecture.rope_table_elements == 262_144 * 768
    # tensor parallel over 8 cards: 2 of the 16 windowed KV heads a card, and the 4 full-attention heads replicate
    # (one a card)
    tp = estimate_memory(scenario("gemma4-31b", "h100-sxm", engine="vllm", n_gpus=8))
    assert tp.kv_bytes_per_token == (50 * 2 * 2 * 256 + 10 * 2 * 1 * 512) * 2


def test_gemma4_e4b_caches_only_the_layers_that_own_one(scenario):
    # E4B: 20 windowed layers × 2 × 2 KV heads × 256 and 4 full layers × 2 × 2 × 512 own a cache; the other 18
    # layers read theirs. llama.cpp keeps both token tables (the per-layer one too) in RAM: the card holds the
    # rest and the tied table once more as the output layer
    s = scenario("gemma4-e4b", "rtx4060", engine="llamacpp", weights="bf16", prompt_tokens=8192)
    m = estimate_memory(s)
    assert m.kv_bytes_per_token == (20 * 2 * 2 * 256 + 4 * 2 * 2 * 512) * 2
    wb = weight_bytes(s.model.architecture, WEIGHT_FORMATS["bf16"])
    assert wb.per_layer_table == 262_144 * 42 * 256 * 2
    assert float(m.weights) == pytest.approx(wb.total - wb.per_layer_table, rel=1e-12)


def test_linear_roles_add_up_to_the_linear_count_for_every_preset(cat):
    # the K-quant mixes price each linear tensor by its role; a tensor missing from the roles was missing from a
    # GGUF format's bytes (DeepSeek-V3.2's and GLM-5's indexers were: 0.85 B and 0.73 B weights)
    from vramgui.core.params import count_params
    from vramgui.core.weights import linear_roles
    for model_id in cat.models:
        a = cat.model(model_id).architecture
        assert sum(n for _, n, _ in linear_roles(a)) == count_params(a).linear, model_id


def test_nvfp4_matches_published_checkpoints(cat, scenario):
    # NVFP4: 4-bit E2M1 values and one FP8 scale per 16 (4 + 8/16 = 4.5 bits; NeMo: "0.5625 bytes per
    # parameter"), the embeddings, LM head, routers and norms in 16 bits
    assert WEIGHT_FORMATS["nvfp4"].linear_bits == 4.5
    # ThakiCloud/Qwen3-Coder-30B-A3B-NVFP4 (llm-compressor, routers and LM head ignored): "61.08 GB" in BF16,
    # "18.11 GB" in NVFP4; within 1 %
    a = cat.model("qwen3-coder-30b-a3b").architecture
    assert weight_bytes(a, WEIGHT_FORMATS["bf16"]).total / GB == pytest.approx(61.08, rel=0.01)
    assert weight_bytes(a, WEIGHT_FORMATS["nvfp4"]).total / GB == pytest.approx(18.11, rel=0.01)
    # an NVFP4 Llama of Llama 3.1 8B's shape (AlphaOxO/Llama-3.3-8B-Instruct-NVFP4, llm-compressor) served by vLLM
    # 0.17.1 on an RTX 5090: "VRAM Usage 14.99 GiB 5.69 GiB" (BF16 | NVFP4); vLLM's weights with its rotary tables
    s = scenario("llama3.1-8b", "rtx5090", engine="vllm", weights="bf16")
    assert float(estimate_memory(s).weights) / GIB == pytest.approx(14.99, abs=0.005)
    assert float(estimate_memory(s.with_(weights="nvfp4")).weights) / GIB == pytest.approx(5.69, rel=0.02)
    # NVIDIA's own checkpoints of hybrid models keep more in 16 bits: Nemotron-Cascade-2 30B-A3B (Nemotron 3 Nano's
    # shape) took 18.03 GiB in vLLM 0.19.1 (its attention layers, the Mamba layers before them and the
    # convolutions stay bf16), above this format's count of every linear layer in NVFP4
    nano = weight_bytes(cat.model("nemotron3-nano-30b-a3b").architecture, WEIGHT_FORMATS["nvfp4"]).total / GIB
    assert 0.9 * 18.03 < nano < 18.03


def test_hf_windowed_layers_hold_the_prompt_at_the_peak(scenario):
    # HF transformers' sliding-window layer keeps its window as a slice (a view) of the prompt's concatenated keys
    # and values, so after the prompt's pass each windowed layer still holds the whole prompt until the first
    # generated token replaces it. Gemma 3 4B: 29 of 34 layers windowed at 1,024 tokens, 4 KV heads of 256, bf16:
    # 4,096 bytes a token a layer. An 8,000-token prompt and 32 new tokens: the 5 full layers hold 8,032 tokens,
    # the 29 windowed ones the 8,000 of the prompt (vramgui's own H200 run measured the peak 0.87 GiB above the
    # capped figure; 29 x 4,096 x (8,000 - 1,024) = 0.77 GiB of it)
    per_layer = 2 * 4 * 256 * 2
    hf = scenario("gemma3-4b", "h200", engine="hf", weights="bf16", kv_dtype="bf16", prompt_tokens=8000,
                  output_tokens=32)
    assert float(estimate_memory(hf).kv_cache) == per_layer * (5 * 8032 + 29 * 8000)
    # four sequences of 4,096 + 32
    assert float(estimate_memory(hf.with_(prompt_tokens=4096, batch=4)).kv_cache) == \
        4 * per_layer * (5 * 4128 + 29 * 4096)
    # a prompt shorter than the window: the windowed layers' cache is capped as before (1,024 of 2,512 tokens)
    short = hf.with_(prompt_tokens=512, output_tokens=2000)
    assert float(estimate_memory(short).kv_cache) == per_layer * (5 * 2512 + 29 * 1024)
    # the fit's searches see the same figure: the largest prompt that fits on a 24 GB card counts the prompt too
    from vramgui.core.memory import memory_terms, total_from_terms
    assert float(total_from_terms(memory_terms(hf), hf.profile, 8000, 1, 32)) == float(estimate_memory(hf).total)
    # an engine that keeps only the window (the generic profile): capped
    assert float(estimate_memory(hf.with_(engine="generic")).kv_cache) == per_layer * (5 * 8032 + 29 * 1024)
