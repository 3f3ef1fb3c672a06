"""Weight formats and KV-cache dtypes: effective bits per element, with sources.

Effective bits include the per-group scales and zeros each format stores.  Quantized
formats compress the linear layers; what they keep at higher precision (embeddings,
LM head, norms, routers, biases) is part of each format's definition here.

GGUF block layouts (ggml, ``ggml-common.h``): one block holds its weights and scales.
    Q8_0: 32 weights in 34 bytes → 8.5 bits;   Q5_0: 32 in 22 → 5.5;  Q4_0: 32 in 18 → 4.5
    Q6_K: 256 in 210 → 6.5625;  Q5_K: 256 in 176 → 5.5;  Q4_K: 256 in 144 → 4.5
    Q3_K: 256 in 110 → 3.4375;  Q2_K: 256 in 84 → 2.625
The ``_K_M`` mixes follow llama.cpp's quantizer (``llama_tensor_get_type``): the output
(LM head) is Q6_K, and ``attn_v`` / ``ffn_down`` get more bits in about half the layers
(its ``use_more_bits`` rule picks the first and last eighth and every third layer in
between).  Norms are stored as F32 in GGUF files.  A K-quant needs rows whose length (the
tensor's input width) its 256-weight super-block divides; for other rows llama.cpp's
quantizer falls back (``llama-quant.cpp``): Q2_K and Q3_K to IQ4_NL, Q4_K to Q5_0, Q5_K to
Q5_1, Q6_K to Q8_0, and to F16 where not even 32 divides the row.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

GGUF_BITS = {
    "f32": 32.0, "f16": 16.0, "bf16": 16.0, "q8_0": 8.5, "q6_k": 6.5625, "q5_k": 5.5, "q5_0": 5.5,
    "q5_1": 6.0, "q4_k": 4.5, "q4_0": 4.5, "q4_1": 5.0, "q3_k": 3.4375, "q2_k": 2.625, "iq4_nl": 4.5,
}
#: the type llama.cpp's quantizer stores a K-quant as when 256 does not divide a row
K_FALLBACK = {"q2_k": "iq4_nl", "q3_k": "iq4_nl", "q4_k": "q5_0", "q5_k": "q5_1", "q6_k": "q8_0"}


def gguf_type_bits(t: str, row: int) -> float:
    """Bits per weight of GGUF type ``t`` for rows of ``row`` weights, with llama.cpp's
    fallback where the type's block does not divide the row."""
    if t in K_FALLBACK and row % 256:
        t = K_FALLBACK[t] if row % 32 == 0 else "f16"
    return GGUF_BITS[t]


class GGUFMix(BaseModel):
    """The GGUF types a llama.cpp mix gives each tensor role (``llama_tensor_get_type``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    base: str
    v: str              # attn_v in ``v_share`` of the layers
    down: str           # ffn_down in ``down_share`` of the layers
    out: str            # the output layer (LM head)
    o: str | None = None  # attn_output, where the mix changes it
    v_share: float = 0.5
    down_share: float = 0.5

#: The math a format's matmuls run on, and how its weights are read: "int8" and "fp8" multiply in 8 bits (W8A8: the
#: activations are quantized too), "fp4" in 4 bits where the card has FP4 tensor cores (W4A4, NVFP4 on Blackwell;
#: elsewhere, and in how its weights are read, as "w4a16"), "w8a16" and "w4a16" dequantize 8- or 4-bit weights to
#: multiply them in 16 bits, "gguf" runs llama.cpp's quantized kernels.
Kernel = Literal["fp32", "fp16", "fp8", "int8", "fp4", "w8a16", "w4a16", "gguf"]


class WeightFormat(BaseModel):
    """How a model's weights are stored.  Bits are effective bits per weight."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    name: str
    linear_bits: float = Field(gt=0, le=32, description="attn q/k/o, MLP gate/up, expert weights")
    embedding_bits: float = Field(16.0, gt=0, le=32)
    lm_head_bits: float = Field(16.0, gt=0, le=32)
    other_bits: float = Field(16.0, gt=0, le=32, description="norms, biases, routers")
    expert_bits: float | None = Field(None, gt=0, le=32, description="routed experts' weights, when stored "
                                                                     "apart from the other linear layers")
    gguf: GGUFMix | None = Field(None, description="a llama.cpp mix's types per tensor role (the bits above are "
                                                   "for rows that every block divides)")
    vision_bits: float | None = Field(None, gt=0, le=32, description="an image encoder's weights (None: 16, "
                                                                     "or 32 with fp32 linear layers)")
    vision_linear_bits: float | None = Field(None, gt=0, le=32, description=(
        "an image encoder's linear layers where the loader quantizes them with the language model (HF "
        "transformers' bitsandbytes), the rest of it in 16 bits; None: vision_bits for all of it"))
    bnb_modules: bool = Field(False, description=(
        "HF transformers' bitsandbytes quantization: the linear_bits are those of the modules it replaces, "
        "torch.nn.Linear itself (weights.weight_bytes: the linear weights of a subclass stay 16-bit, a small "
        "nn.Linear such as a router is quantized)"))
    kernel: Kernel = Field(description="which math the speed model uses")
    source: str

    @property
    def nominal_bits(self) -> float:
        return self.linear_bits


def _mix(base: str, v: str, down: str, out: str = "q6_k", o: str | None = None, v_share: float = 0.5,
         down_share: float = 0.5) -> dict:
    b = GGUF_BITS
    return dict(
        linear_bits=b[base],
        embedding_bits=b[base], lm_head_bits=b[out], other_bits=32.0, kernel="gguf",
        gguf=GGUFMix(base=base, v=v, down=down, out=out, o=o, v_share=v_share, down_share=down_share),
    )


_LLAMA_CPP = "ggml block layouts (ggml-common.h) and llama.cpp llama_tensor_get_type"
_HF16 = dict(embedding_bits=16.0, lm_head_bits=16.0, other_bits=16.0)
#: MLX's affine quantization: the bit widths mlx-lm's checkpoints come in, each with a 16-bit scale and bias per 64
MLX_BITS = (4, 6, 8)


def _mlx(bits: int) -> dict:
    """An MLX format's fields: every matrix (the embedding and output layer too) at ``bits`` + 2 x 16 / 64, norms
    16-bit; timed as weight-only kernels (mlx.core.quantized_matmul dequantizes them for its 16-bit math)."""
    b = bits + 32 / 64
    return dict(linear_bits=b, embedding_bits=b, lm_head_bits=b, other_bits=16.0,
                kernel="w4a16" if bits == 4 else "w8a16", source=_MLX)


_MLX = ("MLX's affine quantization (mlx.core.quantize, mode 'affine'): each group of 64 weights packed into uint32 "
        "words with a scale and a bias in the model's 16-bit dtype, bits + 2 x 16 / 64 per weight; mlx-lm's load_model "
        "quantizes every layer that can be (nn.quantize with the config's 'quantization': {'group_size': 64, 'bits': "
        "4}): the linear layers, the token embedding (QuantizedEmbedding) and the output layer alike; norms stay "
        "16-bit (github.com/ml-explore/mlx-lm, mlx_lm/utils.py). mlx-lm's convert defaults to 4 bits, group 64 "
        "(mlx-community's -4bit and -8bit checkpoints)")

#: How NVFP4 checkpoints store their weights (the "nvfp4" format's and NVFP4_WEIGHT_ONLY's bytes)
_NVFP4_STORED = ("NVIDIA's NVFP4 (developer.nvidia.com/blog/introducing-nvfp4-for-efficient-and-accurate-low-"
                 "precision-inference: 4-bit E2M1 values 'plus 1 shared FP8 scale per 16 value block', and an fp32 "
                 "scale per tensor; NVIDIA NeMo's docs: '0.5625 bytes per parameter') = 4.5 bits, as TensorRT Model "
                 "Optimizer and llm-compressor checkpoints store it (vLLM modelopt_fp4 / compressed-tensors); their "
                 "default keeps the LM head, the embeddings and MoE routers in 16 bits. Some published checkpoints "
                 "keep more in 16 bits (NVIDIA's hybrid models: their attention layers): for those this is a lower "
                 "bound")

WEIGHT_FORMATS: dict[str, WeightFormat] = {f.id: f for f in [
    WeightFormat(id="fp32", name="FP32", linear_bits=32, embedding_bits=32, lm_head_bits=32, other_bits=32,
                 kernel="fp32", source="IEEE 754 single precision, 4 bytes"),
    WeightFormat(id="fp16", name="FP16", linear_bits=16, kernel="fp16", source="IEEE 754 half, 2 bytes", **_HF16),
    WeightFormat(id="bf16", name="BF16", linear_bits=16, kernel="fp16", source="bfloat16, 2 bytes", **_HF16),
    WeightFormat(id="fp8", name="FP8 (E4M3, per-tensor scale)", linear_bits=8.0, kernel="fp8",
                 source="vLLM fp8 quantization: linear weights in FP8 E4M3 with one fp32 scale per tensor; "
                        "embeddings and LM head stay 16-bit", **_HF16),
    WeightFormat(id="int8", name="INT8 (W8A16, per-row scale)", linear_bits=8.0 + 32 / 4096, kernel="w8a16",
                 source="int8 weights plus one fp32 scale per output row (≈ 32/d_in bits), as weight-only int8 "
                        "checkpoints (GPTQ 8-bit, compressed-tensors W8A16) store them; embeddings and LM head stay "
                        "16-bit. The activations stay 16-bit: the kernels (vLLM's Marlin, GPTQ's) dequantize the "
                        "weights to multiply them, so a prompt's math runs at the card's 16-bit rate", **_HF16),
    WeightFormat(id="int8-w8a8", name="INT8 (W8A8, per-row scale)", linear_bits=8.0 + 32 / 4096, kernel="int8",
                 source="int8 weights plus one scale per output row, as compressed-tensors W8A8 checkpoints "
                        "(llm-compressor's SmoothQuant + GPTQ recipes) store them, and activations quantized to int8 "
                        "per token as each layer runs: the matmuls run on the card's int8 tensor cores; embeddings "
                        "and LM head stay 16-bit. docs.vllm.ai, quantization, INT8 W8A8 ('vLLM supports quantizing "
                        "weights and activations to INT8 for memory savings and inference acceleration')", **_HF16),
    WeightFormat(id="bnb-int8", name="bitsandbytes 8-bit (LLM.int8)", linear_bits=8.0 + 32 / 4096, kernel="int8",
                 source="bitsandbytes LLM.int8() (Dettmers et al., 2022), transformers' load_in_8bit: int8 weights "
                        "plus one fp32 scale per row (≈ 32/d_in bits); embeddings and LM head stay 16-bit. Each "
                        "step quantizes the activations, multiplies in int8 and the outlier columns (above "
                        "llm_int8_threshold, 6.0 by default) in 16 bits: in HF transformers far slower than the "
                        "weights' read (BNB_LINEAR_KERNELS)", **_HF16),
    WeightFormat(id="int4", name="INT4 (symmetric, group 128)", linear_bits=4.0 + 16 / 128,
                 kernel="w4a16", source="generic symmetric group-wise int4 (W4A16 as in TensorRT-LLM): 4 bits "
                                        "+ one fp16 scale per 128 weights = 4.125 bits; embeddings and LM head "
                                        "stay 16-bit", **_HF16),
    WeightFormat(id="gptq-int4", name="GPTQ int4 (group 128)", linear_bits=4.0 + 16 / 128 + 4 / 128,
                 kernel="w4a16", source="GPTQ (Frantar et al., 2022) as packed by AutoGPTQ: int4 weights, "
                                        "fp16 scale and packed 4-bit zero per 128-weight group = 4.156 bits "
                                        "(g_idx adds < 0.01); embeddings and LM head 16-bit", **_HF16),
    WeightFormat(id="awq-int4", name="AWQ int4 (group 128)", linear_bits=4.0 + 16 / 128 + 4 / 128,
                 kernel="w4a16", source="AWQ (Lin et al., 2023) GEMM layout: int4 weights, fp16 scale and "
                                        "packed 4-bit zero per 128 weights = 4.156 bits", **_HF16),
    WeightFormat(id="nf4", name="bitsandbytes NF4 (double quant)", linear_bits=4.0 + 8 / 64 + 32 / (64 * 256),
                 kernel="w4a16", source="QLoRA (Dettmers et al., 2023) §3: NF4 with block 64 and double "
                                        "quantization costs 8/64 + 32/(64·256) = 0.127 bits per parameter "
                                        "for constants; lm_head and embeddings are not quantized", **_HF16),
    WeightFormat(id="nf4-nodq", name="bitsandbytes 4-bit (no double quant)", linear_bits=4.0 + 32 / 64,
                 kernel="w4a16", source="QLoRA (Dettmers et al., 2023) §3: without double quantization the "
                                        "fp32 absmax per 64-weight block costs 32/64 = 0.5 bits; this is "
                                        "transformers' load_in_4bit default", **_HF16),
    WeightFormat(id="nvfp4", name="NVFP4 (FP4, group 16)", linear_bits=4.0 + 8 / 16, kernel="fp4",
                 source=_NVFP4_STORED + ". Multiplied in FP4 (W4A4: the activations "
                        "quantized to NVFP4 too, vLLM's ModelOptNvFp4LinearMethod 'NVFP4 -> W4A4: cutlass NVFP4 GEMM "
                        "with input quantization', SGLang's modelopt_fp4 on SM100/120) on a card with FP4 tensor "
                        "cores (Blackwell); before Blackwell weight-only 4-bit, as vLLM runs it through Marlin. "
                        "A checkpoint whose config marks it weight-only (W4A16_NVFP4, NVFP4A16) runs so on "
                        "Blackwell too (NVFP4_WEIGHT_ONLY)",
                 **_HF16),
    WeightFormat(id="mxfp4", name="MXFP4 experts (gpt-oss)", linear_bits=16.0, expert_bits=4.0 + 8 / 32,
                 kernel="w4a16", source="OCP Microscaling (MX) spec v1.0: MXFP4 = 32 FP4 (E2M1) elements sharing "
                                        "one 8-bit E8M0 scale, 4 + 8/32 = 4.25 bits; gpt-oss releases its routed "
                                        "experts so and keeps attention, router, embedding and unembedding in "
                                        "bf16 (config.json quantization_config.modules_to_not_convert); on a "
                                        "dense model this is plain 16-bit", **_HF16),
    WeightFormat(id="int4-experts", name="INT4 experts, group 32 (Kimi)", linear_bits=16.0, expert_bits=4.0 + 16 / 32,
                 kernel="w4a16", source="compressed-tensors' pack-quantized INT4 as Kimi K2 Thinking, K2.5 and K2.6 "
                                        "are released (their config.json's quantization_config: one group of 4-bit "
                                        "symmetric integer weights, strategy group, group_size 32; ignore lm_head "
                                        "and every self_attn, shared_experts and dense-layer mlp module): the routed "
                                        "experts' weights packed eight to an int32, one bf16 scale per 32 of them, "
                                        "4 + 16/32 = 4.5 bits; attention, shared experts, the dense layer's MLP, "
                                        "router, embedding and output layer stay bf16. Timed as weight-only 4-bit "
                                        "(W4A16, as Moonshot names it; vLLM runs it through its Marlin MoE kernels); "
                                        "on a dense model this is plain 16-bit", **_HF16),
    WeightFormat(id="gguf-mxfp4", name="GGUF MXFP4 experts, Q8_0 rest (gpt-oss)",
                 **{**_mix("q8_0", "q8_0", "q8_0", out="q8_0"), "expert_bits": 4.0 + 8 / 32},
                 source="llama.cpp's gpt-oss GGUFs (ggml-org/gpt-oss-20b-GGUF, -120b-GGUF): the routed experts "
                        "stay MXFP4 as released (4.25 bits: ggml's MXFP4 block, 32 E2M1 values and one E8M0 "
                        "scale in 17 bytes), every other matrix, the embedding and the output layer Q8_0, norms, "
                        "biases and sinks F32: the files' sizes that llama-bench prints, 11.27 and 59.02 GiB "
                        "(ggml-org/llama.cpp benches/dgx-spark.md), are this layout's to the hundredth; on a dense "
                        "model this is plain Q8_0"),
    *(WeightFormat(id=f"mlx-{b}bit", name=f"MLX {b}-bit (group 64)", **_mlx(b)) for b in MLX_BITS),
    WeightFormat(id="q8_0", name="GGUF Q8_0", **{**_mix("q8_0", "q8_0", "q8_0", out="q8_0")}, source=_LLAMA_CPP),
    WeightFormat(id="q6_k", name="GGUF Q6_K", **_mix("q6_k", "q6_k", "q6_k"), source=_LLAMA_CPP),
    WeightFormat(id="q5_k_m", name="GGUF Q5_K_M", **_mix("q5_k", "q6_k", "q6_k"), source=_LLAMA_CPP),
    WeightFormat(id="q5_0", name="GGUF Q5_0", **_mix("q5_0", "q5_0", "q5_0"), source=_LLAMA_CPP),
    WeightFormat(id="q4_k_m", name="GGUF Q4_K_M", **_mix("q4_k", "q6_k", "q6_k"), source=_LLAMA_CPP),
    WeightFormat(id="q4_0", name="GGUF Q4_0", **_mix("q4_0", "q4_0", "q4_0"), source=_LLAMA_CPP),
    WeightFormat(id="q3_k_m", name="GGUF Q3_K_M", **_mix("q3_k", "q4_k", "q4_k", o="q4_k", v_share=1.0),
                 source=_LLAMA_CPP),
    WeightFormat(id="q2_k", name="GGUF Q2_K", **_mix("q2_k", "q3_k", "q3_k", o="q3_k", v_share=1.0,
                                                      down_share=1.0), source=_LLAMA_CPP),
]}

#: The "nvfp4" format of a model whose config marks its NVFP4 checkpoint weight-only (:func:`stored_kernel` "w4a16":
#: Model Optimizer's W4A16_NVFP4, llm-compressor's NVFP4A16): the same bytes, multiplied as 16-bit math on every card,
#: Blackwell's too (vLLM's CompressedTensorsW4A16Fp4 runs the Marlin FP4 kernel, apply_fp4_marlin_linear, which
#: dequantizes the weights to multiply 16-bit activations); :attr:`~vramgui.core.scenario.Scenario.weight_format`.
NVFP4_WEIGHT_ONLY = WEIGHT_FORMATS["nvfp4"].model_copy(update={
    "name": "NVFP4 weight-only (W4A16, group 16)", "kernel": "w4a16",
    "source": _NVFP4_STORED + ". This checkpoint's config marks it "
              "weight-only (Model Optimizer's quant_algo W4A16_NVFP4, or compressed-tensors groups without "
              "input_activations: llm-compressor's NVFP4A16): the activations stay 16-bit and the weights are "
              "dequantized to multiply them on every card, Blackwell's too (vLLM's CompressedTensorsW4A16Fp4: "
              "apply_fp4_marlin_linear)"})


def wide_experts(fmt: WeightFormat) -> bool:
    """Whether ``fmt`` keeps the routed experts apart in 16 bits or more beside narrower layers (bitsandbytes' formats
    as HF transformers loads an MoE model: scenario.named_format)."""
    return (fmt.expert_bits or 0.0) >= 16


#: mlx-lm's own formats (MLX's affine quantization, group 64)
MLX_FORMATS = frozenset(f for f in WEIGHT_FORMATS if f.startswith("mlx-"))


#: Model Optimizer's ``quant_algo`` values that are formats here (vLLM's modelopt.py QUANT_ALGOS): FP8 with a scale
#: per tensor or per channel (FP8_PER_CHANNEL_PER_TOKEN: 'FP8 per-channel weight scale + per-token activation
#: scale'), NVFP4 and its weight-only variant (the same bytes; multiplied weight-only, W4A16, on Blackwell too, where
#: the "nvfp4" format multiplies in FP4: their prompts there are slower than shown, except for an imported file,
#: whose kernel :func:`stored_kernel` reads). MIXED_PRECISION (a quant_algo a layer), FP8_PB_WO (FP8 weights
#: multiplied weight-only) and MXFP8 are not.
MODELOPT_ALGOS = {"FP8": "fp8", "FP8_PER_CHANNEL_PER_TOKEN": "fp8", "NVFP4": "nvfp4", "W4A16_NVFP4": "nvfp4"}


def quantization_config(config: dict) -> dict | None:
    """A checkpoint's ``quantization_config`` with Model Optimizer's older layout flattened: up to ModelOpt 0.29 it
    wrote ``hf_quant_config.json`` (``{"producer": {"name": "modelopt"}, "quantization": {"quant_algo": ...,
    "kv_cache_quant_algo": ...}}``), which vLLM reads as the config's quantization_config where config.json has none
    (vllm/transformers_utils/config.py: 'ModelOpt 0.29.0 and before saves the quantization config in a separate
    "hf_quant_config.json"') and the importer puts there (core.model_files); modelopt.py's from_config reads its
    inner "quantization". None where there is none."""
    qc = config.get("quantization_config")
    if not isinstance(qc, dict):
        return None
    inner, producer = qc.get("quantization"), qc.get("producer")
    modelopt = str(qc.get("quant_method", "")).lower().startswith("modelopt") or (
        isinstance(producer, dict) and producer.get("name") == "modelopt")
    if modelopt and isinstance(inner, dict):
        return {**inner, "quant_method": "modelopt"}
    return qc


def stored_format(config: dict) -> str | None:
    """The weight format a checkpoint's ``config.json`` says its weights are stored in, where one of
    :data:`WEIGHT_FORMATS` is it: its ``quantization_config`` as transformers reads it
    (``utils/quantization_config.py``: ``quant_method`` bitsandbytes with ``load_in_8bit`` /
    ``load_in_4bit``, ``bnb_4bit_quant_type`` nf4 and ``bnb_4bit_use_double_quant``; gptq and awq
    with their ``bits``; fp8; mxfp4; nvfp4; Model Optimizer's (``modelopt``) ``quant_algo`` (:data:`MODELOPT_ALGOS`);
    compressed-tensors' ``config_groups`` by their weights' ``num_bits`` and ``type`` (8-bit integers whose inputs
    are 8-bit integers too: W8A8), and 4-bit integers in groups of 32 on the routed experts alone, as Kimi's, by its
    ``ignore`` list: int4-experts), or MLX's ``quantization`` (mlx-lm's checkpoints: affine, group 64, 4, 6 or 8
    bits); None for a 16-bit checkpoint or another scheme (bitsandbytes' fp4, 2- and 3-bit
    GPTQ, HQQ, MLX's other bit widths and group sizes, ...)."""
    mlx = config.get("quantization")
    if isinstance(mlx, dict) and mlx.get("group_size") == 64 and mlx.get("mode", "affine") == "affine":
        bits = mlx.get("bits")
        numeric = isinstance(bits, (int, float)) and not isinstance(bits, bool)
        return f"mlx-{int(bits)}bit" if numeric and bits in MLX_BITS else None
    qc = quantization_config(config)
    if qc is None:
        return None
    method = str(qc.get("quant_method", "")).lower()
    bits = qc.get("bits")
    if method == "bitsandbytes":
        if qc.get("load_in_8bit"):
            return "bnb-int8"
        if qc.get("load_in_4bit") and qc.get("bnb_4bit_quant_type", "fp4") == "nf4":
            return "nf4" if qc.get("bnb_4bit_use_double_quant") else "nf4-nodq"
        return None
    if method in ("gptq", "awq"):
        return {4: f"{method}-int4", 8: "int8"}.get(bits)
    if method in ("fp8", "mxfp4", "nvfp4"):
        return method
    if method.startswith("modelopt"):  # NVIDIA Model Optimizer's export: its quant_algo (vLLM's modelopt.py reads it)
        return MODELOPT_ALGOS.get(str(qc.get("quant_algo", "")).upper())
    if method == "compressed-tensors":
        groups = [g for g in (qc.get("config_groups") or {}).values() if isinstance(g, dict)]
        weights = [g.get("weights") for g in groups if isinstance(g.get("weights"), dict)]
        kinds = {(w.get("num_bits"), w.get("type"), w.get("symmetric", True)) for w in weights}
        if len(kinds) != 1:
            return None
        (n, kind, symmetric), = kinds
        if (n, kind, symmetric) == (4, "int", True) and {w.get("group_size") for w in weights} == {32} \
                and _experts_alone(qc.get("ignore")):
            return "int4-experts"
        table = {(8, "float"): "fp8", (4, "float"): "nvfp4",
                 (8, "int"): "int8-w8a8" if _quantized_inputs(groups, 8, "int") else "int8",
                 (4, "int"): "int4" if symmetric else "gptq-int4"}
        return table.get((n, kind))
    return None


def stored_kernel(config: dict) -> str | None:
    """How a checkpoint stored in NVFP4 (:func:`stored_format` "nvfp4") multiplies, as its config says: "fp4" where
    its activations are quantized to FP4 too (W4A4: Model Optimizer's quant_algo NVFP4, vLLM's
    ModelOptNvFp4LinearMethod; compressed-tensors groups whose ``input_activations`` are 4-bit floats, llm-compressor's
    NVFP4 scheme, vLLM's CompressedTensorsW4A4Fp4), "w4a16" where they stay 16-bit (W4A16_NVFP4; llm-compressor's
    NVFP4A16, its ``input_activations`` null: vLLM's CompressedTensorsW4A16Fp4, Marlin); None for another format."""
    if stored_format(config) != "nvfp4":
        return None
    qc = quantization_config(config) or {}
    method = str(qc.get("quant_method", "")).lower()
    if method.startswith("modelopt"):
        return "w4a16" if str(qc.get("quant_algo", "")).upper() == "W4A16_NVFP4" else "fp4"
    if method == "compressed-tensors":
        groups = [g for g in (qc.get("config_groups") or {}).values() if isinstance(g, dict)]
        return "fp4" if _quantized_inputs(groups, 4, "float") else "w4a16"
    return "fp4"                 # (a quant_method named nvfp4: as the named format, W4A4)


def stored_kv(config: dict) -> str | None:
    """The KV-cache type a checkpoint asks for: "fp8" where Model Optimizer's ``kv_cache_quant_algo`` is FP8 (in
    config.json's quantization_config or the older hf_quant_config.json). vLLM's and SGLang's default cache type
    (``--kv-cache-dtype auto``) follows it: vllm/utils/torch_utils.py get_kv_cache_quant_algo_string (modelopt's
    kv_cache_quant_algo or kv_cache_scheme) and pull 29980 ('Load kv-cache dtype from hf_quant_config.json
    automatically', merged Dec 2025); SGLang's configure_kv_cache_dtype ('auto': float8_e4m3fn where the quant
    config's kv_cache_quant_algo is 'FP8'). None otherwise."""
    qc = quantization_config(config)
    if qc is None or not str(qc.get("quant_method", "")).lower().startswith("modelopt"):
        return None
    kv = qc.get("kv_cache_scheme") or qc.get("kv_cache_quant_algo")
    if isinstance(kv, dict):
        kv = "FP8" if (kv.get("num_bits"), kv.get("type"), kv.get("dynamic")) == (8, "float", False) else None
    return "fp8" if isinstance(kv, str) and kv.upper() == "FP8" else None


def _quantized_inputs(groups: list[dict], bits: int, kind: str) -> bool:
    """Whether every compressed-tensors group quantizes its inputs too, to ``bits``-bit values of ``kind`` ("int",
    "float"): 8-bit integers for W8A8 (vLLM's CompressedTensorsW8A8Int8 scheme, int8 matmuls), 4-bit floats for NVFP4
    W4A4; where a group's ``input_activations`` is null its weights are dequantized to multiply 16-bit activations
    (the WNA16 schemes)."""
    inputs = [g.get("input_activations") for g in groups]
    return bool(inputs) and all(isinstance(a, dict) and a.get("num_bits") == bits and a.get("type") == kind
                                for a in inputs)


def _experts_alone(ignore) -> bool:
    """Whether a compressed-tensors ``ignore`` list leaves only the routed experts quantized: it names the attention
    modules and the shared experts (Kimi K2 Thinking's, K2.5's and K2.6's: ``lm_head``, ``re:.*self_attn.*``,
    ``re:.*shared_experts.*`` and the dense layer's ``re:.*mlp\\.(gate|up|gate_up|down)_proj.*``)."""
    names = [str(x) for x in ignore] if isinstance(ignore, list) else []
    return any("self_attn" in x for x in names) and any("shared_expert" in x for x in names)


#: A checkpoint's stored format as llama.cpp's converter keeps it in its GGUF files, where it does: gpt-oss's MXFP4
#: experts (ggml-org/gpt-oss-20b-GGUF, -120b-GGUF: gguf-mxfp4).  Other quantized checkpoints (FP8, NVFP4, GPTQ, AWQ,
#: bitsandbytes) are converted to 16 bits and quantized anew: no GGUF keeps their format.
GGUF_OF_STORED = {"mxfp4": "gguf-mxfp4"}

#: The formats a weights setting starts from when it is not the user's own choice of a quantization: where the model is
#: released quantized, its release format replaces them (:func:`release_format`).
UNQUANTIZED = frozenset({"fp32", "fp16", "bf16"})


def release_format(config: dict | None, gguf: bool = False) -> str | None:
    """The format a model's weights come in as it is released: its checkpoint's (``config``'s
    :func:`stored_format`), or for an engine that reads GGUF files (``gguf``) the GGUF that keeps it
    (:data:`GGUF_OF_STORED`); None for a 16-bit release, or one no GGUF keeps."""
    stored = stored_format(config) if isinstance(config, dict) else None
    return GGUF_OF_STORED.get(stored) if gguf and stored else stored


# The ids the issue tracker and the CLI promise (the catalog may hold more).
REQUIRED_FORMAT_IDS = ("fp32 fp16 bf16 fp8 int8 int4 gptq-int4 awq-int4 nf4 q8_0 q6_k q5_k_m q5_0 "
                       "q4_k_m q4_0 q3_k_m q2_k").split()


class KVDtype(BaseModel):
    """Element type of the KV cache."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    name: str
    bytes_per_element: float = Field(gt=0)
    source: str


KV_DTYPES: dict[str, KVDtype] = {k.id: k for k in [
    KVDtype(id="fp32", name="FP32", bytes_per_element=4.0, source="4 bytes"),
    KVDtype(id="fp16", name="FP16", bytes_per_element=2.0, source="2 bytes"),
    KVDtype(id="bf16", name="BF16", bytes_per_element=2.0, source="2 bytes"),
    KVDtype(id="fp8", name="FP8 (E4M3/E5M2)", bytes_per_element=1.0,
            source="1 byte; vLLM's per-tensor scales are negligible"),
    KVDtype(id="q8_0", name="Q8_0 (llama.cpp)", bytes_per_element=34 / 32,
            source="ggml Q8_0 block: 32 int8 + one fp16 scale = 34 bytes"),
    KVDtype(id="q4_0", name="Q4_0 (llama.cpp)", bytes_per_element=18 / 32,
            source="ggml Q4_0 block: 32 nibbles + one fp16 scale = 18 bytes"),
]}
