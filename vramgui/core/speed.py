"""Speed: decode step time, time to first token, throughput (roofline).

A decode step at batch b and context c moves the active weights plus every sequence's
KV cache through memory and does ``2·P_active·b + 4·b·c·L·h·d_h`` FLOPs; its time is the
larger of bytes over bandwidth and FLOPs over peak, each scaled by an efficiency that the
engine profile and weight format set, plus the engine's per-step cost and, when tensor
parallel, two all-reduces per layer.  Prefill of s tokens is the same sum with
``2·P·s`` FLOPs and the causal attention term ``2·L·h·d_h·s²``: compute bound except for
tiny prompts.  Functions broadcast over batch, context and prompt arrays.

The per-step cost is the larger of the GPU's time and the host's: an engine that
launches kernels from Python (HF transformers eager) cannot issue a step faster than
its launch loop, which is what bounds small models on fast cards.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .engines import (
    OLLAMA,
    EngineProfile,
    batch_defaults,
    gathers_experts,
    mla_absorbed,
    mla_expansion,
    mla_expansion_reads,
)
from .formats import GGUF_BITS, WeightFormat, wide_experts
from .memory import (
    MemoryTerms,
    compressed_kv_elements,
    index_key_elements,
    kv_elements_per_token_layer,
    kv_group_slots,
    layer_share,
    memory_terms,
    state_bytes,
    state_paging,
)
from .params import count_params
from .presets import GPU
from .scenario import HOSTS, Scenario, memo_terms
from .training import bnb_module_shapes
from .units import TERA
from .weights import active_weight_bytes, output_layer_bytes, weight_bytes

ArrayLike = float | int | np.ndarray

# --- efficiency defaults ---------------------------------------------------------------------
# Where each number below comes from is data (:data:`SOURCES`), shown in the explain panel.

# The tables are keyed by :func:`speed_key`: the engine profile's id, except that llama.cpp
# runs its Metal backend on Apple chips ("llamacpp-metal"), its ROCm backend on AMD's
# ("llamacpp-rocm"), and on Intel's as builds without CUDA graphs did ("llamacpp-2023"); vLLM and
# SGLang run on AMD's as ROCm builds ("vllm-rocm"); and
# HF transformers on a data-centre card runs on a server's host CPU ("hf-server"), on a card from
# before the A100's generation (2020) on a server of that card's years ("hf-server-old").

#: HF transformers' rows, the same kernels on hosts of three speeds (:data:`HOST_S_PER_LAYER`), by a scenario's
#: ``host`` (the user's word for it) ...
HF_HOST_ROWS = dict(zip(HOSTS, ("hf", "hf-server", "hf-server-old"), strict=True))
HF_ROWS = tuple(HF_HOST_ROWS.values())
#: ... and by the card where the scenario names none: the first year of the cards whose servers run the loop at
#: "hf-server"'s speed (:func:`card_host`).
HF_SERVER_FROM_YEAR = 2020

#: Share of peak bandwidth 16-bit decode reaches, per engine.
BW_EFFICIENCY = {"generic": 0.85, "hf": 0.80, "vllm": 0.85, "llamacpp": 0.89, "llamacpp-2023": 0.82,
                 "llamacpp-metal": 0.91, "llamacpp-rocm": 0.87, "llamacpp-vulkan": 0.90, "llamacpp-vulkan-intel": 0.85,
                 "vllm-rocm": 0.53, "mlx": 0.91}

#: llama.cpp decode share of peak bandwidth against bits per weight.  Without CUDA graphs
#: (Dec 2023) it fell as bits shrank; with them (the default "llamacpp") Q4 reaches what the
#: 16-bit formats do once each layer's fixed cost is counted apart (:data:`LAYER_S`).
GGUF_BW_CURVES = {"llamacpp": ((2.625, 0.74), (4.5, 0.89), (16.0, 0.89)),
                  "llamacpp-metal": ((2.625, 0.75), (4.5, 0.91), (16.0, 0.91)),
                  "llamacpp-rocm": ((2.625, 0.72), (4.5, 0.87), (16.0, 0.87)),
                  "llamacpp-vulkan": ((2.625, 0.75), (4.5, 0.90), (16.0, 0.90)),
                  "llamacpp-vulkan-intel": ((2.625, 0.71), (4.5, 0.85), (16.0, 0.85)),
                  "llamacpp-2023": ((2.625, 0.48), (4.5, 0.58), (8.5, 0.71), (16.0, 0.82))}
DEFAULT_GGUF_CURVE = "llamacpp-2023"   # the curve's shape for an engine that has none

#: 4-bit weight-only kernels (GPTQ / AWQ / NF4) relative to 16-bit ones: dequantization in
#: the GEMV inner loop.
W4_FACTOR = {"generic": 0.80, "hf": 0.55, "vllm": 0.80, "mlx": 1.0}   # (llama.cpp: its curve, GGUF_BW_CURVES)

#: int8 / fp8 weight kernels relative to 16-bit ones (scales read next to the weights) ...
W8_FACTOR = 0.9
#: ... where an engine row's own measurements give another: MLX's 8- and 6-bit mat-vecs read as fast as its 16-bit.
W8_FACTOR_BY_ROW = {"mlx": 1.0}

#: Share of dense tensor peak that prefill GEMMs sustain, per engine.
FLOPS_EFFICIENCY = {"generic": 0.60, "hf": 0.45, "vllm": 0.55, "llamacpp": 0.40, "llamacpp-2023": 0.40,
                    "llamacpp-metal": 0.75, "llamacpp-rocm": 0.40, "llamacpp-vulkan": 0.40,
                    "llamacpp-vulkan-intel": 0.087, "mlx": 0.75}

#: Hopper cards reach a smaller share of their datasheet peak in these engines' prompts than an A100 does (the
#: peak counts every SM at the boost clock; at 700 W their matmuls are power-limited): the same prompts measured on
#: both, same method, put an H100 SXM at 0.59 and 0.77 of the A100's share.  Factor on FLOPS_EFFICIENCY for the
#: rows of HOPPER_ROWS on the cards of HOPPER_CARDS (llama.cpp's rows have their own measured rates; HF
#: transformers' one prompt reached ~0.5 of an H200's peak in vramgui's own runs, above its 45 %: no factor).
HOPPER_PROMPT_FACTOR = 0.7
HOPPER_CARDS = frozenset({"h100-sxm", "h100-pcie", "h100-nvl", "h200", "h200-nvl", "h800-sxm"})
HOPPER_ROWS = frozenset({"generic", "vllm", "sglang"})

#: FP4 GEMMs (NVFP4 weights and activations on Blackwell's FP4 tensor cores) sustain a smaller share of their peak
#: than the engine's 16-bit GEMMs of theirs: vLLM's own benchmark of its CUTLASS NVFP4 kernels on a B200, at a Llama
#: 3.1 8B shape (N 6,144, K 4,096) and 8,192-16,384 tokens, ran 2.13-2.23 times BF16's TFLOP/s where the peaks are
#: 4 times apart: 0.545 of the 16-bit share.  Factor on the row's share (:data:`FLOPS_EFFICIENCY`) for the "fp4"
#: math on a card with an FP4 figure.
FP4_PROMPT_FACTOR = 0.545

#: Share of the attention math's peak (:func:`attention_peak`) that prefill's attention sustains, where it
#: differs from the GEMMs' (:data:`FLOPS_EFFICIENCY`, the default): llama.cpp's ROCm builds run flash
#: attention on a Radeon's shader cores, not its matrix units (measured on a Radeon 8060S, RDNA 3.5); the Metal
#: build's flash attention on an Apple GPU sustains less of its peak than its GEMMs' 75 % (measured on an M2
#: Ultra) ...
ATTENTION_EFFICIENCY = {"llamacpp-rocm": 0.07, "llamacpp-metal": 0.48}
#: ... but for RDNA 4's (gfx12), whose WMMA units its native flash-attention kernel uses (2026 builds;
#: measured on an RX 9060 XT): a row's share on particular cards, by catalog id.
RDNA4_ATTENTION_EFFICIENCY = 0.15
#: ... and Navi 31's (RDNA 3, gfx1100: the RX 7900 XTX, XT and GRE and the Radeon PRO W7900), whose WMMA units
#: 2026 builds use too (measured on an RX 7900 XTX).
NAVI31_ATTENTION_EFFICIENCY = 0.25
#: ... and, on the CUDA row (else the GEMMs' 40 %), the RTX 5090's flash attention: 62 % of its 16-bit peak, by hand
#: from Qwen3.5 27B's prompt after a deep cache, checked on two MLA models' (SOURCES["ATTENTION_EFFICIENCY"]).
RTX5090_ATTENTION_EFFICIENCY = 0.62
ATTENTION_EFFICIENCY_BY_CARD = {"llamacpp-rocm": {
    **{card: RDNA4_ATTENTION_EFFICIENCY for card in ("rx9070xt", "rx9070", "rx9060xt-16gb", "radeon-ai-pro-r9700")},
    **{card: NAVI31_ATTENTION_EFFICIENCY for card in ("rx7900xtx", "rx7900xt", "rx7900gre", "radeon-pro-w7800",
                                                      "radeon-pro-w7900")}},
    "llamacpp": {"rtx5090": RTX5090_ATTENTION_EFFICIENCY}}

#: On NVIDIA cards llama.cpp's quantized (GGUF, MXFP4) matmuls run at a rate tied to the card's int8 tensor
#: peak, not its fp16 one: the CUDA build's MMQ kernels multiply int8 on the tensor cores, the Vulkan
#: build's matrix cores accumulate in fp16 (half the int8 rate; GeForce presets give the fp16 rate with
#: fp32 accumulation, a quarter of it).  Share of the int8 peak they sustain; shown as a share of the
#: fp16 figure (:func:`compute_efficiency`).
INT8_RATE_EFFICIENCY = {"llamacpp": 0.255, "llamacpp-vulkan": 0.20}
#: ... and on GeForce cards (category "consumer"), which run their prompts at a larger share of it.
CONSUMER_INT8_RATE_EFFICIENCY = {"llamacpp": 0.35}

#: ... at the int8 rate per SM per clock of NVIDIA's graphics chips, 2,048 dense operations (TU102, GA10x, AD10x,
#: GB20x: their int8 peaks count so many): GA100 and GH100 do twice and four times that in their datasheets, which
#: these kernels (mma.sync, the instructions every chip since Turing runs) do not reach, and the L40's datasheet
#: counts half of what its AD102 does; GB100's (B200, GB200) eight times, tcgen05's rate (an extrapolation: no
#: llama.cpp run on them measured).  Factor on a card's int8 peak for the CUDA row, by catalog id (1 elsewhere).
MMQ_INT8_RATE = {**{c: 0.5 for c in ("a100-40gb", "a100-80gb-pcie", "a100-80gb", "a800-80gb", "a30")},
                 **{c: 0.25 for c in ("h100-sxm", "h100-pcie", "h100-nvl", "h800-sxm", "h200", "h200-nvl", "gh200",
                                      "gh200-144gb")},
                 **{c: 0.125 for c in ("b200", "gb200")},
                 "l40": 2.0}

#: ... and on Turing cards (compute capability 7.5), whose prompts reach this share of it (their int8 peak counts
#: the same 2,048 operations per SM per clock as the later graphics chips').
TURING_MMQ_FACTOR = {"llamacpp": 0.63}

#: Rows whose quantized prompts on NVIDIA cards without int8 tensor cores (Pascal's GP102 / GP104, the presets'
#: ``int8_dp4a_tops``) run llama.cpp's MMQ kernels on the CUDA cores' dp4a at the int8 shares above.
DP4A_ROWS = frozenset({"llamacpp"})

#: llama.cpp's quantized prompts on RDNA 2 cards (gfx103x: no matrix cores) reach this multiple of the AMD rows'
#: share of the preset's fp16 figure, which is RDNA 2's packed fp16 rate, half its int8 dot-product rate.
RDNA2_PROMPT_FACTOR = {"llamacpp-rocm": 1.45, "llamacpp-vulkan": 1.45}

#: Dense int8 operations per SM per clock of NVIDIA's graphics chips (TU102, GA10x, AD10x, GB20x), the rate
#: :data:`MMQ_INT8_RATE` brings every card's int8 peak to.
INT8_OPS_PER_SM_CLOCK = 2048

#: Dense 16-bit tensor operations per SM per clock of Blackwell Ultra (sm_103: B300, GB300), from which its SMs x
#: clock are taken: its int8 figure (150-165 TOPS, about 540 a SM a clock) is a rate the chip cut, not one that
#: scales with its SMs as every other card's does (:data:`MMQ_INT8_RATE`; B200's 4,500 at an eighth gives the same
#: 148 SMs x 1.86 GHz as its 2,250 TFLOP/s at 8,192).
FP16_OPS_PER_SM_CLOCK = {"sm_103": 8192}

#: llama.cpp's CUDA decode kernels (mat-vec over the weights, the attention's over the cache) draw at most this
#: many bytes from memory per SM per clock [bytes]: data-centre cards with HBM offer twice that and reach it,
#: GDDR cards offer less (3-7) and reach their bandwidth's share.  SMs x clock from the int8 peak
#: (:data:`INT8_OPS_PER_SM_CLOCK`).
MMVQ_BYTES_PER_SM_CLOCK = {"llamacpp": 7.0}

#: llama.cpp's CUDA decode of quantized weights on NVIDIA cards before Ampere (compute capability below 8.0:
#: Pascal, Volta, Turing) reaches this multiple of the row's bandwidth share (16-bit weights: not measured, kept).
PRE_AMPERE_DECODE_FACTOR = {"llamacpp": 0.75}

#: llama.cpp builds without CUDA graphs (the "llamacpp-2023" row) multiplied 16-bit weights by one token with a
#: kernel of one warp per row (dequantize_mul_mat_vec<1, 1, convert_f16>, two halves a thread a pass): its SMs,
#: not the memory, bound it on HBM cards, at most this many bytes per SM per clock [bytes] ...
DMMV_16BIT_BYTES_PER_SM_CLOCK = {"llamacpp-2023": 6.2}
#: ... the rows whose decode one of those caps bounds (per card: :func:`bandwidth_efficiency`)
SM_CAPPED_KEYS = frozenset(MMVQ_BYTES_PER_SM_CLOCK) | frozenset(DMMV_16BIT_BYTES_PER_SM_CLOCK)

#: llama.cpp's CUDA decode of several sequences with quantized weights (one column of the activations each): up
#: to this many columns its mat-vec kernel MMVQ runs (mmvq.cuh: MMVQ_MAX_BATCH_SIZE), above it MMQ, the
#: tile kernel its prompts run on.
MMVQ_MAX_COLUMNS = 8

#: ... MMVQ unpacks each weight again for every column past the first, at this many operations (2 per weight)
#: per SM per clock: a step of b columns takes (b - 1) x 2 P / (SMs x clock x this) beyond one column's
#: (SMs x clock from the int8 peak, :data:`INT8_OPS_PER_SM_CLOCK`).  The Metal build's mat-vec kernels at 2-8
#: columns (mul_mv_ext; ggml-metal's ne11_mm_min, 8, is the same switch) do the same per Apple GPU core per
#: clock (:data:`APPLE_OPS_PER_CORE_CLOCK`).
MMVQ_OPS_PER_SM_CLOCK = {"llamacpp": 105.0, "llamacpp-metal": 60.0}

#: ... and MMQ, the kernel of a prompt's passes too, loads and converts each tile of weights before its int8
#: math on them: the math adds to the weights' load, which takes the longer of their read and their
#: conversion at this many weights per SM per clock (the dense weights; the routed experts' small GEMMs have
#: :data:`MOE_GEMM_TOKENS`).  Builds pick the faster kernel at 2-8 columns (per chip and type since mid-2026).
#: The Metal build's tile kernel (mul_mm) likewise dequantizes each tile of weights into threadgroup memory.
MMQ_WEIGHTS_PER_SM_CLOCK = {"llamacpp": 4.0, "llamacpp-metal": 1.5}

#: The Metal build multiplies a MoE layer's routed experts with one kernel for every token below this many tokens
#: in the batch (ggml-metal's MUL_MAT_ID: a mat-vec per token and expert, mul_mv_id, below ne21_mm_id_min = 32;
#: the tile kernel mul_mm_id from it on): two tokens routed to one expert read its weights twice.  Where set, a
#: step of fewer tokens reads k experts per token, not the experts the batch touches (:func:`_experts_touched`).
#: A step of 32 can then take less than one of 31, as the two kernels do (the tile kernel's own cost from 32 on is
#: not modelled: :func:`report.batched_decode_note` says so).
EXPERT_TOKEN_READS = {"llamacpp-metal": 32}
#: ... those per-token mat-vecs of 2 or more tokens read their experts at this many times the cost of the weights'
#: read at one token (the mat-vec's bandwidth share; the kernel's layout over tokens and experts).
EXPERT_TOKEN_READ_COST = 1.6
#: Where an engine's decode gathers copies of the experts each token picks (:func:`~vramgui.core.engines.
#: gathers_experts`: HF transformers' batched_mm), a step of b sequences moves k·b experts this many times: the
#: gather reads each and writes its copy, the batched matmul reads the copy (SOURCES["EXPERT_GATHER_READS"]).
EXPERT_GATHER_READS = 3.0

#: FLOP an Apple GPU core does a clock: 128 FP32 ALUs, a fused multiply-add each (Apple's M1: 8 cores, "128
#: execution units", 2.6 TFLOPS at 1.278 GHz), fp16 at the same rate; the presets' 16-bit figure over this is
#: cores x clock, the unit of the Metal row's small-batch kernels' rates.  (The M5 family's figure counts the Neural
#: Accelerator in each core, 4 times the shader rate: its kernels' rates are taken to scale with it.)
APPLE_OPS_PER_CORE_CLOCK = 256

#: Share of the preset's 16-bit tensor rate that llama.cpp's current CUDA builds sustain on 16-bit weights, which
#: cuBLAS multiplies (its quantized kernels aside).
CUBLAS_16BIT_EFFICIENCY = {"llamacpp": 0.70}

#: ... and its 16-bit matmuls (the mat-vec kernels at a few columns, cuBLAS above) leave this share of the shorter
#: of a pass's weight read and its math exposed beside the longer: time = max(read, math) + share x min(read, math)
#: (a decode step of several sequences, a prompt's pass; one sequence's math is too short to matter).
EXPOSED_16BIT_SHARE = {"llamacpp": 0.6}

#: Rows whose prompt GEMMs accumulate in fp16: llama.cpp's CUDA builds before its MMQ kernels ran on the
#: tensor cores (2023 to mid-2024) dequantize a prompt's weights to fp16 and multiply them with cuBLAS in
#: fp16 with fp16 accumulation (16-bit weights too).  GeForce presets give the rate with fp32 accumulation,
#: half of that one (:func:`fp16_accumulate_ratio`).
FP16_ACCUMULATE_KEYS = frozenset({"llamacpp-2023"})
#: ... at this share of that rate on NVIDIA's cards (:data:`FLOPS_EFFICIENCY` on others) ...
FP16_ACCUMULATE_EFFICIENCY = {"llamacpp-2023": 0.32}
#: ... and at this one on its GeForce cards (category "consumer").
CONSUMER_FP16_ACCUMULATE_EFFICIENCY = {"llamacpp-2023": 0.46}

#: Fixed cost of a decode step (scheduling, sampling, launch of a captured graph) [s].
STEP_OVERHEAD_S = {"generic": 0.0, "hf": 0.0, "vllm": 0.5e-3, "llamacpp": 0.0, "llamacpp-2023": 0.2e-3}

#: The host's sampling of each sequence's next token in a decode step [s], by engine profile (not by speed row: the
#: llama.cpp rows are llama-bench's, which samples nothing): llama-server's sampler chain on the CPU, where Ollama's
#: default repeat penalty keeps it.
SAMPLE_S = dict.fromkeys(OLLAMA, 0.9e-3)

#: Host time per layer per step [s]: the launch loop that bounds the step from below.  HF
#: transformers' Python loop runs on one host core: a server's (data-centre cards) is slower
#: per thread than a desktop's, and the servers of the cards before 2020 (V100, T4, P100) slower still.
HOST_S_PER_LAYER = {"generic": 0.0, "hf": 0.5e-3, "hf-server": 0.83e-3, "hf-server-old": 1.14e-3, "vllm": 0.0,
                    "llamacpp": 0.0, "llamacpp-2023": 0.2e-3}

#: Kernels HF transformers launches for one Llama decoder layer of a decode step (projections, rotary, cache
#: write, attention, MLP, residual adds and two RMSNorms), which ``HOST_S_PER_LAYER``'s HF rows time ...
HF_LAYER_KERNELS = 40
#: ... of them each RMSNorm's (fp32 upcast, square, mean, eps, rsqrt, scale, downcast, weight): a layer with more
#: norms (Gemma 2 / 3's four, Qwen3's and OLMo 2's q/k norms) launches these more for each ...
HF_NORM_KERNELS = 8
#: ... and an MoE block's (router softmax, top-k, sort, histogram, offsets, gathers, scatter, two grouped GEMMs)
#: beyond the gated MLP's it replaces.  Counted by ``benchmarks/count_hf_kernels.py``; the host's launch loop
#: grows with them (:func:`host_layers`).
HF_MOE_KERNELS = 16
#: The speed rows whose host floor those counts scale (:func:`host_layers`).
HOST_BY_KERNELS = frozenset(HF_ROWS)


#: Fixed time per decoder layer per decode step [s], added to the roofline: in an engine that
#: launches the step as a CUDA graph the layer's small kernels (norms, rotary, KV-cache write,
#: attention at low batch, activation, residual adds) run without host cost but still take a
#: few µs each, and small GEMVs fall short of peak bandwidth; llama.cpp's Metal and ROCm
#: backends also pay for issuing each op (measured: ~150 µs a layer).
LAYER_S = {"generic": 0.0, "hf": 0.0, "vllm": 40e-6, "llamacpp": 38e-6, "llamacpp-2023": 0.0,
           "llamacpp-metal": 148e-6, "llamacpp-rocm": 130e-6, "llamacpp-vulkan": 57e-6, "llamacpp-vulkan-intel": 200e-6,
           "mlx": 53e-6}

#: Fixed time per MoE layer per decode step on top of ``LAYER_S`` [s]: routing, top-k, token
#: permutation and the experts' small-batch GEMM kernels, latency-bound at low batch.
MOE_LAYER_S = {"generic": 0.0, "hf": 0.0, "vllm": 25e-6, "llamacpp": 19e-6, "llamacpp-2023": 0.0,
               "llamacpp-metal": 19e-6, "llamacpp-rocm": 19e-6, "llamacpp-vulkan": 19e-6,
               "llamacpp-vulkan-intel": 19e-6, "mlx": 46e-6}

#: Fixed time per Gated DeltaNet layer per decode step on top of ``LAYER_S`` [s]: the linear-
#: attention layer's extra small ops (convolution, l2 norms, gates, the delta-rule update, the
#: gated norm), latency-bound at batch 1.  Metal's current builds run the layer as one kernel
#: (GATED_DELTA_NET, b8299): no cost beyond the layer's.  Not measured for other engines (0).
GDN_LAYER_S = {"llamacpp": 37e-6, "llamacpp-rocm": 190e-6, "llamacpp-vulkan": 250e-6}
#: ... and per Gated DeltaNet layer per prompt pass (a ubatch of up to 512 tokens) [s], where a pass costs more
#: than a step: on Metal the delta rule's scan over the pass's tokens, one after another.
GDN_PROMPT_LAYER_S = {"llamacpp-metal": 257e-6}

#: Bytes that eager attention moves through memory per score element (one head, one query-key pair, one
#: layer), by engine row: its kernels write the scores, the softmax reads and writes them, the values'
#: product reads them (with flash attention they stay on chip: 0).  llama.cpp's sequence (an f32 product,
#: an f32 softmax, an f16 copy for the values' GEMM) counts 20; 10, half of it (the rest served from the L2
#: cache), reads the May 2024 runs' prompts as they slow from 512 to 8,192 tokens.  HF transformers' eager
#: attention (a 16-bit product, scaled, masked, upcast to fp32 for the softmax and back) counts 32 in bf16,
#: all of it moved (its tensors are far larger than the L2 cache), and times the same in fp16.  Its mask is
#: read once a layer.
EAGER_SCORE_TRAFFIC = {"generic": 8.0, "hf": 32.0, "llamacpp": 10.0, "llamacpp-2023": 10.0,
                       "llamacpp-metal": 10.0, "llamacpp-rocm": 10.0, "llamacpp-vulkan": 10.0,
                       "llamacpp-vulkan-intel": 10.0}

#: Without flash attention, llama.cpp's Metal backend multiplies each query head by its group's keys and values
#: on its own (ggml_mul_mat broadcast over a group's heads, one mat-vec per head): a decode step reads a layer's
#: cache once per query head, n_heads / n_kv_heads times, in thin mat-vecs that read at a lower share of the
#: bandwidth than the weights.  Reads per query head, in the weights' bandwidth share; other rows: 1 read a step.
EAGER_KV_READS_PER_HEAD = {"llamacpp-metal": 1.6}
#: Engine rows whose decode attention reads the cache slower than their mat-vecs read the weights: the cache's bytes
#: count this many times at the weights' share (MLX's decode attention kernel, mx.fast.scaled_dot_product_attention).
KV_READ_FACTOR = {"mlx": 1.55}

#: Prefill's routed-expert GEMMs reach the compute efficiency of large GEMMs only from about
#: this many tokens per expert per pass; with m tokens they run at m / this of it [tokens]
#: (0: not modelled).  llama.cpp's passes of 512 tokens give an expert 512 k / E of them.
MOE_GEMM_TOKENS = {"llamacpp": 218.0, "llamacpp-2023": 190.0, "llamacpp-rocm": 190.0, "llamacpp-metal": 60.0,
                   "llamacpp-vulkan": 190.0, "llamacpp-vulkan-intel": 190.0}

#: HF transformers' grouped experts (``grouped_mm``, its default since 5.0) in prefill: with m tokens an expert
#: runs at m / (m + this) of the large-GEMM rate [tokens] (half of it at this many), fitted on vramgui's own
#: Mixtral 8x7B prompts (SOURCES["MOE_GEMM_HALF"]); rows without it: MOE_GEMM_TOKENS's linear rule or none.
MOE_GEMM_HALF = {"hf": 150.0}

#: bitsandbytes under HF transformers (its formats: NF4 with and without double quantization, LLM.int8() with
#: transformers' default outlier threshold of 6.0): each quantized linear layer costs the host this many kernels'
#: worth (HOST_S_PER_LAYER / HF_LAYER_KERNELS each) beyond the 16-bit layer's one matmul, (in a pass of one row, of
#: several rows).  One row's 4-bit layer is a fused mat-vec (gemv_4bit) and its Python, several rows' a
#: dequantization and a matmul; double quantization dequantizes the scales first; LLM.int8() quantizes the
#: activations, multiplies in int8, dequantizes the product and multiplies the outlier columns apart
#: (SOURCES["BNB_LINEAR_KERNELS"]).
BNB_LINEAR_KERNELS = {"nf4-nodq": (2.0, 4.75), "nf4": (3.6, 6.7), "bnb-int8": (12.3, 12.9)}
#: ... and a pass of several rows dequantizes each 4-bit layer's weights to 16 bits (dequantize_4bit: the 4-bit read
#: and a 16-bit write, at most this many weights a second), then multiplies them (a 16-bit read).
BNB_DEQUANT_WEIGHTS_PER_S = 345e9
#: The speed rows that run bitsandbytes' layers so (HF transformers').
BNB_ROWS = frozenset(HF_ROWS)

#: llama.cpp's Vulkan backend, where its rows above come from (shown with each of them).
VULKAN_SOURCE = (
    "Vulkan (the llama.cpp (Vulkan) profile; measured corpus): eleven llama-bench decode runs on NVIDIA and AMD "
    "cards fitted together leave 90 % of peak bandwidth and 57 us a layer, each within 13 %: RTX 3090 (Llama 3.1 "
    "8B Q4_0 146.73 and Q8_0 95.05 tokens/s, gpt-oss-20b 181.32; github.com/ggml-org/llama.cpp/pull/21024, May "
    "2026), RTX 5090 (Llama 2 7B Q4_0 221.08, Llama 3.2 3B Q8_0 271.33; pull/14903, Aug 2025), a Ryzen AI Max+ "
    "395 under RADV (Llama 2 7B Q4_0 51.88, b6111, lhl/strix-halo-testing; Llama 2 7B Q4_K_M 47.25, Qwen2.5 7B "
    "Q6_K 36.71, Qwen2.5 14B Q4_K_M 24.47, Qwen3 30B-A3B 86.07, Llama 3.1 70B 5.10, b8038, "
    "visorcraft/strix-halo-llm-perf). Intel's cards issue each op more slowly: llama.cpp's Vulkan scoreboard "
    "(github.com/ggml-org/llama.cpp/discussions/10879, Llama 2 7B Q4_0 without flash attention, 2025-2026 builds; "
    "measured corpus) on an Arc B580 (tg128 70.14, pp512 620.94 tokens/s), Arc Pro B60 (68.55, 522.36), Arc A770 "
    "(52.56, 1,073.85) and Arc B570 (49.64, 913.95) leaves 138, 148, 344 and 260 us a layer at 85 % of the "
    "bandwidth (an assumption): 200 us, their median, reads them -12 to +33 %; their prompts reach 7.0, 7.0, "
    "10.3 and 11.9 % of the fp16 (XMX) peak: 8.7 %, the median, reads them -29 to +21 % (40 % before, an "
    "assumption: +186 to +390 %). Two more, added since, leave the medians where they were: an Arc A750 (42.66, "
    "1,075.94: 457 us, 12.1 %; decode +55 %, prompt -30 %) and an Arc Pro B50 (39.99, 193.5: 153 us, 3.0 %; "
    "decode -5 %, prompt +181 %, a 70 W card whose 16 Xe cores ran its prompt at a third of the B60's rate). "
    "Older builds ran slower: the A770's Llama 2 7B Q4_0 at 34.67 tokens/s (b3999, "
    "Oct 2024) and gpt-oss-20b at 48.32 (pull/15355, Aug 2025) read +101 and +57 % (they set 600 us before). "
    "The MoE layers' 19 us and the expert GEMMs' 190 tokens are the CUDA "
    "backend's (an assumption). Gated DeltaNet layers: Qwen3-Coder-Next UD Q6_K_XL (read as Q6_K, 5 % smaller "
    "than the file) at 36.80 tokens/s on the Ryzen AI Max+ 395 (b8163) leaves about 250 us each: one run. "
    "Prefill: on AMD cards 40 % of the fp16 peak as the other backends (an assumption; an RX 9070 XT under RADV "
    "reads within 12 %), on Intel's 8.7 % (above), on NVIDIA cards at the int8 rate (INT8_RATE_EFFICIENCY)")
# HF transformers on a server host: the same kernels as on a desktop's (only the host differs)
for _table in (BW_EFFICIENCY, W4_FACTOR, FLOPS_EFFICIENCY, STEP_OVERHEAD_S, LAYER_S, MOE_LAYER_S, EAGER_SCORE_TRAFFIC,
               MOE_GEMM_HALF):
    for _row in HF_ROWS[1:]:
        _table[_row] = _table["hf"]
# SGLang: vLLM's design (steps as CUDA graphs, paged cache, FlashInfer / FlashAttention kernels); the
# served measurements behind vLLM's rows include SGLang's (LAYER_S, MOE_LAYER_S, "served")
for _table in (BW_EFFICIENCY, W4_FACTOR, FLOPS_EFFICIENCY, STEP_OVERHEAD_S, HOST_S_PER_LAYER, LAYER_S, MOE_LAYER_S):
    _table["sglang"] = _table["vllm"]
# vLLM and SGLang on AMD cards ("vllm-rocm"): the same design and fixed costs as on NVIDIA's, but the
# share of the bandwidth their ROCm kernels draw is their own (BW_EFFICIENCY, measured on MI300X)
for _table in (W4_FACTOR, FLOPS_EFFICIENCY, STEP_OVERHEAD_S, HOST_S_PER_LAYER, LAYER_S, MOE_LAYER_S):
    _table["vllm-rocm"] = _table["vllm"]
#: The serving engines whose speed row on an AMD card is "vllm-rocm" (:func:`speed_key`).
ROCM_SERVING = frozenset({"vllm", "sglang"})

#: A tensor-parallel group spanning nodes (:attr:`Scenario.tp_nodes`): its all-reduces cross the
#: network, which the speed model does not add (it keeps the card's own links).  The one measured
#: run of the corpus that does so, and how many times this model's figure for it the run took
#: (``tests/test_nodes.py`` recomputes the ratio), for the estimate's caution to quote.
CROSS_NODE_RUN = {"id": "sglang-r1-0528-16xh100-2nodes-conc1-tpot", "tpot_ms": 23.1, "times_estimate": 3.5,
                  "source": "github.com/tenstorrent/tt-inference-server/issues/356 (DeepSeek-R1-0528, SGLang, 16 "
                            "H100 in 2 nodes over InfiniBand, one request at a time)"}

#: llama.cpp decoding several sequences at once with quantized weights, as llama-bench measured it on a CUDA
#: card (one sequence's prompt b tokens a step, which multiplies the weights as b sequences do): throughput at
#: b over throughput at 1 (``tests/test_llamacpp_batched.py`` recomputes each from the corpus points named).
#: Modelled on NVIDIA cards with an int8 figure (:data:`MMVQ_OPS_PER_SM_CLOCK`,
#: :data:`MMQ_WEIGHTS_PER_SM_CLOCK`); quoted by the estimate's caution where it is not (other backends, cards
#: without the figure).
LLAMACPP_BATCHED = (
    {"card": "RTX 3090", "batch": 4, "speedup": 3.01, "ids": ("llamacpp-pr15802-llama3-8b-q4_0-rtx3090-ub1-pp512",
                                                              "llamacpp-pr15802-llama3-8b-q4_0-rtx3090-ub4-pp512")},
    {"card": "RTX 3090", "batch": 8, "speedup": 3.73, "ids": ("llamacpp-pr15802-llama3-8b-q4_0-rtx3090-ub1-pp512",
                                                              "llamacpp-pr15802-llama3-8b-q4_0-rtx3090-ub8-pp512")},
)

#: An MLA model under tensor parallel: every card holds every sequence's latent (one KV head
#: does not split), so the group holds what one card holds.  Data-parallel attention gives each
#: card its own sequences; not modelled here.  What one measured start-up log pair showed:
DATA_PARALLEL_MLA = {"times": 7.7, "cards": 8,
                     "source": "github.com/vllm-project/recipes/issues/762 and vllm-project/vllm/issues/51454 "
                               "(DeepSeek-V4-Flash-0731 on 8 B200, vLLM 0.25.0: maximum concurrency at 1M tokens "
                               "20.43x with TP 8 + EP 8, 156.9x with --data-parallel-size 8 "
                               "--enable-expert-parallel, from the start-up logs)"}

#: One all-reduce's latency [s] by link (NCCL small-message latency, NVLink vs PCIe).
ALLREDUCE_LATENCY_S = {"nvlink": 10e-6, "pcie": 25e-6}
DEFAULT_LINK_GB_S = 16.0   # when a preset names no interconnect: PCIe 3.0 x16, per direction

#: Where each constant above comes from, by the constant's name.  "Assumption" marks a
#: round figure no measurement in the corpus pins down: the explain panel says so.
SOURCES = {
    "BW_EFFICIENCY": "llama.cpp with CUDA graphs: 89 % (below); llama.cpp without (Dec 2023 builds): 82 % on "
                     "an RTX 4090 (Mistral 7B F16, 17.1 ms/token, llama.cpp CUDA benchmarks); vLLM / well-tuned "
                     "CUDA kernels 80-90 % (calm's README: 7B fp16 at ~900 GB/s of 1008 on an RTX 4090); HF "
                     "transformers 80 % and generic 85 % are assumptions within that range. vLLM and SGLang on AMD "
                     "cards (their ROCm builds): 53 %, the median of the shares that five served runs on one MI300X "
                     "(5,300 GB/s) leave with vLLM's per-step and per-layer costs and the other requests' prompts "
                     "counted: Gemma 4 31B BF16 under SGLang 0.5.13.post1, 1,000 tokens in and out, at 1, 16 and 64 "
                     "requests (21.49, 31.45 and 62.93 ms a token: 63, 53 and 43 %; "
                     "github.com/sgl-project/sglang/pull/31216), Qwen3Guard-Gen-8B (a Qwen3 8B) and Ministral 3 8B "
                     "Reasoning BF16 under vLLM's ROCm image, 32 requests of 1,024 in and out (9.42 and 11.88 ms: 62 "
                     "and 46 %; github.com/vllm-project/recipes/pull/431 and /443). They then read -17 to +17 %; "
                     "gpt-oss-120b MXFP4 under vLLM 0.17 at 64-256 requests (SemiAnalysisAI/InferenceX pull/1061, "
                     "not fitted) -3 to -28 % (-35 to -51 % at 85 %). The share falls as requests are added (63 % at "
                     "one, 43 % at 64: their caches are read slower still); measured on MI300X only, other AMD cards "
                     "get it too (an assumption). MLX (mlx-lm on Apple chips): 91 %, with 53 us a layer (LAYER_S) "
                     "and the cache read 1.55 times slower (KV_READ_FACTOR), the two unknowns that "
                     "Qwen3-4B-Instruct-2507 in BF16 and MLX 4-bit leave on a 64GB M4 Max (546 GB/s; "
                     "mlx_lm.benchmark -p 2048 -g 128, mlx-lm 0.28.2: 52.47 and 134.52 tokens/s; "
                     "mlx_lm/BENCHMARKS.md); its 8- and 6-bit runs then read +0.2 and +1.0 % (W8_FACTOR_BY_ROW), "
                     "Llama 3.3 70B 4-bit on an M3 Max (400 GB/s; 414-24,477 tokens of context, mlx-lm 0.20.4, "
                     "github.com/ml-explore/mlx-examples/issues/1029) -4.9 to -3.7 %, Llama 3.1 8B 4-bit on an M4 "
                     "Pro after a 32,159-token prompt -5 %, Llama 3 70B BF16 on an M2 Ultra +9 % (measured corpus)",
    "GGUF_BW_CURVES": "llama.cpp with CUDA graphs (b6413, Sep 2025, RTX PRO 6000 Blackwell at 1,792 GB/s; "
                     "measured corpus): Llama 2 7B Q4_0 at 278.95 tokens/s and Llama 3.3 70B Q4_K_M at 34.05 "
                     "leave two unknowns, 89 % of peak bandwidth and 38 us per layer (LAYER_S). Checks: b4011 "
                     "Llama 2 7B Q4_0 on an RTX 3090 / 4090 within 5 % (measured corpus); Llama 3 8B BF16 at "
                     "micro-batch 1 on a 4090 (65.2 tokens/s, github.com/ggml-org/llama.cpp/pull/15131) 9 % "
                     "faster than 89 % gives (its passes read the output layer once: 17 % faster counting it in "
                     "each). F16 and Q8_0 at 89 % too and the 2.625-bit point (74 %, the "
                     "2023 curve's ratio) are assumptions. Metal (Apple): Llama 2 7B Q4_0 on an M2 with 10 GPU "
                     "cores (100 GB/s, b4011) at 21.67 tokens/s and on an M3 Max with 40 (400 GB/s) at 66.31 "
                     "leave 91 % and 148 us a layer (LAYER_S); checks: M3 Pro with 18 cores (150 GB/s) 30.74 "
                     "(+0.6 %), M2 Ultra with 76 cores 94.27 (+7 %) (measured corpus and tests/test_speed.py). ROCm "
                     "(AMD): 87 % (same table, b4008: a Radeon 780M at 89.6 GB/s, 18.61 tokens/s, and an RX 7900 "
                     "XTX at 960, 102.92, left 87 % and 162 us a layer) and 130 us a layer, refitted on the "
                     "2025-2026 HIP builds of the measured corpus (a Radeon 8060S at b6865 and b8038, Llama 3.2 1B "
                     "to Qwen3 235B, 0-65,536 cached tokens; an RX 7900 XTX in 2026, pull/26284): 18 decode runs "
                     "median -1.7 %, -10 to +7 % (at 162 us median -6 %, down to -17.5 %). b4008's discrete cards "
                     "then read +12 to +14 % (the RX 7900 XTX, a Radeon Pro W7900 at 95.56; one MI300X, b3891, "
                     "183.18: +10 %): older builds ran slower. "
                     "Without CUDA graphs (Dec 2023 builds, and Vulkan or SYCL): RTX 4090, Mistral 7B: "
                     "F16 82 %, Q8_0 71 %, Q4_0 58 % of peak bandwidth (llama.cpp CUDA benchmarks; the 2.625-bit "
                     "point an assumption below them)",
    "W4_FACTOR": "AutoAWQ's fused GEMM reaches ~45 % of a T4's bandwidth at batch 1 (Mistral 7B, "
                 "33.9 tokens/s); Marlin-class kernels in vLLM reach ~80 % of fp16's; MLX's 4-bit mat-vec as much "
                 "as its 16-bit one (BW_EFFICIENCY: the two runs it is fitted on)",
    "W8_FACTOR": "assumption: int8/fp8 kernels read one scale per group or tensor next to the weights; "
                 "no measurement in the validation corpus",
    "W8_FACTOR_BY_ROW": "MLX's 8- and 6-bit mat-vecs: Qwen3-4B-Instruct-2507 in MLX 8-bit and 6-bit on a 64GB M4 Max "
                        "(86.91 and 104.68 tokens/s, mlx_lm/BENCHMARKS.md) read +0.2 and +1.0 % at its 16-bit share",
    "KV_READ_FACTOR": "MLX: Llama 3.3 70B 4-bit on a 64GB M3 Max decoding after 260, 2,173, 8,015, 16,003 and 24,246 "
                      "prompt tokens (mlx-lm 0.20.4, one user's table: github.com/ml-explore/mlx-examples/issues/1029; "
                      "measured corpus) steps 106.9, 109.6, 117.4, 128.6 and 140.4 ms: 1.39 us more a token of "
                      "context, whose 327,680 cached bytes then pass at 235 GB/s, 59 % of the 400 GB/s where the "
                      "weights read at 91 %: 1.55 times the weights' time a byte. The series then reads -4.9 to -3.7 % "
                      "(at 1.0: -5 to +4 %, rising with the context), Llama 3.1 8B 4-bit on an M4 Pro after a "
                      "32,159-token prompt -5 % (+19 % at 1.0; not used to set it)",
    "FLOPS_EFFICIENCY": "assumption: typical share of dense tensor peak that large prefill GEMMs sustain "
                        "(HF transformers: its 45 % reads vramgui's own H200 runs of six models, one prompt of "
                        "512-16,384 tokens, 2-21 % slow, median 15 %; measured corpus); "
                        "the validation corpus (docs/validation.md, prefill rows) shows time to first "
                        "token off by up to several times: read it as an order of magnitude. llama.cpp on "
                        "Metal: 75 %, from Qwen2.5 Coder 7B Q8_0 prefilling 512 tokens at 1,419.54 tokens/s on "
                        "an M2 Ultra (27.2 TFLOP/s; github.com/ggml-org/llama.cpp/pull/15616, measured corpus); "
                        "Dec 2023 builds reached 59-67 % there (Llama 2 7B Q4_0 / F16, XiongjieDai's tables). "
                        "MLX on Apple chips: the same 75 %, which its published prompts of 260-33,898 tokens "
                        "(Qwen3 0.6B to Llama 3.3 70B on M2 Ultra, M3 Max, M4 Pro and M4 Max, 2024-2025; measured "
                        "corpus) read -17 to +12 % (median -2 %); MoE passes of a few tokens an expert and "
                        "prompts of a few dozen tokens run slower (stated misses: tests/test_validation_corpus.py, "
                        "test_mlx_on_apple_chips)",
    "HOPPER_PROMPT_FACTOR": "the same prompts measured on an H100 SXM and an A100 by the same people, same method: "
                            "GPUStack's performance lab (vLLM v0.11.0 defaults, bursts of 100 x 32k and 500 x 4k / "
                            "2k prompts, Qwen3-14B and Qwen3-32B BF16; measured corpus) 1.5-1.9 times the A100's "
                            "rate, 0.59 of its share of the peak; Argonne's LLM-Inference-Bench (vLLM "
                            "benchmark_latency, 16 x 1,024-token prompts of Llama 3 8B, Llama 2 7B and Mistral 7B; "
                            "github.com/argonne-lcf/LLM-Inference-Bench Plots/Fig_21/all_results_TTFT.csv at "
                            "4de4e87) 38,490 vs 15,723 tokens/s for Llama 3 8B, 0.77 if its H100 is an SXM. 0.7 "
                            "between them: the GPUStack H100 bursts then read +12 to +45 % (were +41 to +71 %), "
                            "the Argonne H100 runs -27 to -35 % (in the corpus; offline, where its A100 reads -21 "
                            "to -29 % too). Published kernels reach more (cuBLAS BF16 ~676 "
                            "TFLOP/s sustained, FlashAttention-3 740): the engines' prompts do not. Attention "
                            "keeps its share (not measured apart). The GH200 (up to 1,000 W) is left out: Argonne's "
                            "table runs it 1.13 times its H100 (43,330 tokens/s, 0.61 of the peak, at vLLM's 55 % "
                            "-10 %); the H20 (148 TFLOP/s) is not power-limited this way. Only H100 SXM runs "
                            "were measured: the factor is applied, unmeasured, to the H100 PCIe and NVL, H200, "
                            "H200 NVL and H800 by the same argument (the same Hopper die near its power limit). "
                            "Not to HF transformers: one prompt of 1,024-16,384 tokens (torch 2.11 SDPA) reached "
                            "~0.5 of an H200's peak in vramgui's own runs (Llama 3 8B at 2,048 tokens: 34,062 "
                            "tokens/s; measured corpus, own- points), where the factor would read them 34-43 % slow",
    "FP4_PROMPT_FACTOR": "github.com/vllm-project/vllm pull request 20646 ('[Kernel] Basic tuned configs for NVFP4 "
                         "CUTLASS dense GEMM', 2025-07-08), benchmarks/kernels/bench_nvfp4_gemm.py on a B200, "
                         "meta-llama/Llama-3.1-8B-Instruct's N=6144 K=4096: BF16 vs NVFP4 GEMMs TFLOP/s 1,420.97 vs "
                         "3,025.50 at 8,192 tokens and 1,360.14 vs 3,038.84 at 16,384 (the NVFP4 figures with the "
                         "activations' quantization; 2.13 and 2.23 times, 2.18 in the mean), where the B200's dense "
                         "peaks are 2,250 and 9,000 TFLOP/s: 2.18 / 4 = 0.545 of the 16-bit GEMMs' share. The same "
                         "share is taken for SGLang's, HF transformers' and the generic row's FP4 GEMMs and for the "
                         "GeForce and RTX PRO Blackwell cards (SM120: no measurement found; a GeForce card's FP4 peak "
                         "is 8 times its 16-bit figure with FP32 accumulation, so its matmuls read 4.4 times BF16's; "
                         "an RTX PRO's 4 times, 2.2 as on a B200). Attention keeps the 16-bit rate (attention_peak)",
    "INT8_RATE_EFFICIENCY": "llama.cpp on NVIDIA cards, quantized weights: 25.5 % of the int8 tensor peak on "
                            "workstation and data-centre cards (after each pass's load of the weights, "
                            "MMQ_WEIGHTS_PER_SM_CLOCK; 23 % as the larger of read and math), the median of llama.cpp's "
                            "CUDA scoreboard (github.com/ggml-org/llama.cpp/discussions/15013: Llama 2 7B Q4_0, pp512 "
                            "with flash attention, Aug 2025 on; measured corpus) on an RTX PRO 6000 Blackwell, RTX "
                            "6000 Ada, RTX A6000, A5000, A40, L40, A100, A30 and H100 (each within 27 %), which reads "
                            "the b6413 RTX PRO 6000 runs -10 to +4 %. The Vulkan build: 20 %, from the RTX PRO 6000's "
                            "b6413 runs; it reads the Vulkan build on an RTX 3090 Llama 3.1 8B Q4_0 at 4,753 tokens/s "
                            "-22 % and on an RTX 5090 gpt-oss-20b at 10,027 -4 % (measured corpus)",
    "CONSUMER_INT8_RATE_EFFICIENCY": "llama.cpp's CUDA scoreboard (above) on 14 GeForce cards from the RTX 3060 to "
                                     "the RTX 5090: at the other cards' share their prompts read about 25 % slow "
                                     "(median); at 35 % (after each pass's load of the weights; 30 % as the larger of "
                                     "read and math) within 8 % but two (the RTX 3090 +13 %, the RTX 5090 +21 %), "
                                     "median 4.7 %; GeForce boards hold higher clocks and power per SM than "
                                     "workstation and data-centre ones. 2026 builds: an RTX 5090 (Llama 3 8B Q4_0, PR "
                                     "#20586) -1 %, an RTX 4090 (PR #24127) +1 %, an RTX 4080 and 3080 (b8828) +5 and "
                                     "+6 %, b10809 Qwen3.5 27B +19 % (it read -34 to -19 % at 20 %)",
    "RDNA2_PROMPT_FACTOR": "llama.cpp's quantized prompts on three RDNA 2 cards at the AMD rows' 40 % of the fp16 "
                           "figure read 20-33 % slow: the ROCm scoreboard (discussion 15021, Llama 2 7B Q4_0 pp512) "
                           "on an RX 6900 XT (1,889.84 and 1,948.31 tokens/s without and with flash attention: -32 "
                           "and -33 %) and an RX 6800 XT (1,447.07: -20 %), and an RX 6700 XT under ROCm 6.0 (PR "
                           "5835, Mistral 7B Q4_0 pp512 1,017: -31 %); 1.45, the median of measured over estimated, "
                           "reads them within 13 %. The Vulkan scoreboard's RX 6700 XT (discussion 10879, 1,051.2: "
                           "-26 % before) reads +6 %. The presets' fp16 figure for these cards is their packed fp16 "
                           "rate (no matrix cores); llama.cpp's quantized kernels multiply with int8 dot products "
                           "(v_dot4_i32_i8), which the presets count at twice it: 0.58 of the fp16 figure is 29 % "
                           "of that int8 rate, near the CUDA row's 25.5 % of NVIDIA's int8 peaks (mechanism "
                           "inferred, not measured). 16-bit weights (fp16 GEMMs) keep the rows' share",
    "TURING_MMQ_FACTOR": "llama.cpp's quantized prompts on Turing cards at the share of the later cards read 45-74 % "
                         "fast on three cards from two sources: the CUDA scoreboard (discussion 15013, Llama 2 7B "
                         "Q4_0 pp512, with and without flash attention) on a Tesla T4 (+69 / +74 %), an RTX 2080 Ti "
                         "(+54 / +58 %) and a Quadro RTX 8000 (+45 / +57 %), and an RTX 2080 Ti at b7474 (Llama 2 13B "
                         "Q4_K_M pp512, +64 %): a 70 W card, a 250 W GeForce and a 295 W workstation card alike, so "
                         "not their power. 0.63, the median of measured over estimated on those seven points, reads "
                         "them within 17 % (the T4 the furthest). The mechanism is not pinned down (Turing's int8 mma "
                         "shapes and its 64 KiB of shared memory per SM are the candidates); later cards are not "
                         "affected",
    "MMQ_INT8_RATE": "int8 peaks per SM per clock, the datasheets' peaks over SMs x boost clock: RTX 4090 660.6 "
                     "TOPS = 128 x 2.52 GHz x 2,048, RTX 3090 284 = 82 x 1.695 GHz x 2,048, RTX 5090 838 = 170 x "
                     "2.41 GHz x 2,048; A100 624 = 108 x 1.41 GHz x 4,096; GH100's SM twice GA100's per clock "
                     "(NVIDIA's H100 whitepaper); B200 4,500 = 148 x 1.86 GHz x 16,384 (FP16_OPS_PER_SM_CLOCK's "
                     "SMs x clock); the L40's 362 (NVIDIA's L40 datasheet) is half its sibling L40S's "
                     "733, one AD102 of 142 SMs. Measured on one "
                     "commit (5143fa8, llama.cpp's CUDA scoreboard, pp512 with flash attention): an A100 80GB 5,285.96 "
                     "tokens/s, an H100 11,263.29, an RTX PRO 6000 16,618.98 - at their int8 peaks the A100 and H100 "
                     "read +73 % and +146 %, at these rates 0 % and -26 %; an A30 -9 %; the L40 +19 % (-47 % at its "
                     "datasheet's figure), beside the same chip's RTX 6000 Ada +14 %. llama.cpp's MMQ kernels issue "
                     "mma.sync, whose rate on GH100 is below its wgmma peak. Blackwell data-centre chips (B200, GB200) "
                     "not measured: their datasheet int8 peak is used",
    "MMVQ_MAX_COLUMNS": "llama.cpp's CUDA code (ggml/src/ggml-cuda/mmvq.cuh, MMVQ_MAX_BATCH_SIZE 8; its author in "
                        "github.com/ggml-org/llama.cpp/pull/26079, Jul 2026: quantized decode 'uses mul_mat_vec_q "
                        "while ne11 <= MMVQ_MAX_BATCH_SIZE (8), and MMQ above that'; that PR and later ones move the "
                        "switch earlier for K-quants on some chips, not modelled)",
    "MMVQ_OPS_PER_SM_CLOCK": "llama-bench pp512 at microbatch sizes 1-8 (measured corpus; Llama 3 8B Q4_0 on an RTX "
                             "3090, github.com/ggml-org/llama.cpp/pull/15802, Sep 2025): 156.56, 279.89, 390.96, "
                             "470.48, 509.70, 541.57, 559.30 and 583.77 tokens/s, a step 6.4 ms at 1 column and "
                             "13.7 ms at 8; 105 operations per SM per clock reads all eight within 8 % (the plain "
                             "roofline read 8 columns +111 %; the one-column pass +7.7 %, as this card's decode on the "
                             "CUDA scoreboard reads +7 to +10 %). Checked on 2024 builds with IQ3_XXS (pull/8215: "
                             "143.46, 242.70, 367.51, 527.16 tokens/s on an RTX 3090 at 1, 2, 4, 8 columns; 235.58, "
                             "403.91, 731.84, 1,162.57 on an RTX 4090), each card's 2, 4 and 8 columns from its own "
                             "measured one: the RTX 3090 within +3 to +8 %, the RTX 4090 -6 to +6 %. One card and "
                             "type calibrate it; K-quants cost more per column (a V100 with Q2_K, pull/28912: about "
                             "2.5 times)",
    "MMQ_WEIGHTS_PER_SM_CLOCK": "llama-bench pp512 at microbatch sizes 10-16 (measured corpus; Llama 3 8B Q4_0 on "
                                "an RTX 4090, github.com/ggml-org/llama.cpp/pull/15131, Aug 2025): 1,216.63 to "
                                "1,930.50 tokens/s, a step of 8.2-8.5 ms where one column takes about 6 and the "
                                "math at the prompt's int8 rate about 1 ms: converting 4 weights per SM per clock "
                                "reads all seven within 5 % (the plain roofline +34 to +38 %). Checked on its Q5_0 "
                                "at 16-256 (pull/24127, June 2026) within 8 %, where the larger of the read and the "
                                "math read -38 to -52 % from 32 columns on. It makes MMQ slower than MMVQ at 8 "
                                "columns of Q4_0 on an RTX 3090, as llama.cpp's authors found on the cards they "
                                "measured (pull/26079, issue 28090), but about a tenth faster on an RTX 4090, where "
                                "they measured MMVQ ahead: within the model's error. A prompt's passes (512 tokens) "
                                "load the dense weights the same way (the routed experts' small GEMMs carry theirs "
                                "in MOE_GEMM_TOKENS): the int8 shares are fitted with the load counted. Metal (Apple): "
                                "60 operations (MMVQ_OPS_PER_SM_CLOCK) and 1.5 weights (this) per GPU core per clock, "
                                "fitted on llama-batched-bench's 2-32 sequences of the two dense models on "
                                "llama.cpp's own M2 Ultra page (b7948, Qwen2.5-Coder-7B Q8_0 and Gemma 3 4B Q4_0 after "
                                "prompts of 512-8,192 tokens, measured corpus): 30 points, median 5 %, -26 to +35 % "
                                "(the roofline's +4 to +234 %); by hand the 7B's second sequence adds 2.31 ms for "
                                "14.1 GFLOP. The "
                                "conversion paid on each prompt pass then leaves the FLOPS_EFFICIENCY of 75 % centring "
                                "the corpus's 129 Metal prompts (median 6.9 %, mean +3.6 %; 8.9 % and +9.2 % without "
                                "it); the one run that had set 75 % (pull/15616's Qwen2.5 Coder 7B) now reads -11 %",
    "MMVQ_BYTES_PER_SM_CLOCK": "llama.cpp's CUDA scoreboard (github.com/ggml-org/llama.cpp/discussions/15013, Llama 2 "
                               "7B Q4_0 tg128 with flash attention; measured corpus): an A100 80GB decodes 200.90 "
                               "tokens/s, an H100 280.74 and an A30 131.93 - at their bandwidth's share they read "
                               "+51, +43 and +31 % - where 20 GDDR cards from an RTX 3060 to an RTX 5090 read within "
                               "10 % (a 70 W T4 +57 %). Less the layers' fixed cost, their weights stream at 6.7, 6.8 "
                               "and 7.5 bytes per SM per clock where their bandwidth offers 13.4, 13.9 and 11.6 (SMs "
                               "x clock: their int8 peak at the graphics chips' rate, 2,048 per SM per clock; GDDR "
                               "cards offer 3 to 7.3 and reach their share): 7 reads them +5, +3 and -4 %. Cards "
                               "without an int8 figure (V100: +25 %) are not capped",
    "FP16_OPS_PER_SM_CLOCK": "B200: 148 SMs (the driver's 'Number of SMs: 148', github.com/pytorch/ao/pull/4002) "
                             "and 2.25 PFLOP/s dense BF16 (NVIDIA's 4.5 sparse); 8,192 a SM a clock is the "
                             "convention that gives GB200's datasheet 2,500 at its clock "
                             "(github.com/ByteDance-Seed/VeOmni/pull/986: '148 SM x 8192 x 2.062 GHz = 2500.0 "
                             "TFLOPS'), 1.86 GHz for the HGX B200 and B300 (Blackwell Ultra, whose int8 was cut, "
                             "read by it). Their decode is then capped as the A100's and H100's are "
                             "(MMVQ_BYTES_PER_SM_CLOCK): an extrapolation, no llama.cpp run on these cards measured",
    "DP4A_ROWS": "llama.cpp's CUDA scoreboard (github.com/ggml-org/llama.cpp/discussions/15013, Llama 2 7B Q4_0 "
                 "pp512 with and without flash attention; measured corpus): a Tesla P40 1,079.66 / 1,007.42 tokens/s "
                 "and a GTX 1080 Ti 1,138.14 / 1,084.41 - cards with no tensor cores, on which MMQ multiplies with "
                 "dp4a (4 int8 multiply-adds per core per clock: NVIDIA's 47 TOPS for the P40, 3,840 cores x 1.531 "
                 "GHz x 8). At the CUDA row's shares of the int8 peak, fitted on later cards' tensor cores (25.5 %, "
                 "GeForce 35 %), of those dp4a rates they read -12 / -18 % and +4 / +9 %",
    "PRE_AMPERE_DECODE_FACTOR": "llama.cpp's CUDA scoreboard (github.com/ggml-org/llama.cpp/discussions/15013, "
                                "Llama 2 7B Q4_0 tg128 with and without flash attention, Aug 2025 - 2026 builds; "
                                "measured corpus): the cards before Ampere read fast at the row's share where 22 "
                                "Ampere, Ada and Blackwell cards read within 10 % - a V100 +25 / +30 %, TITAN V +15 / "
                                "+19 %, T4 +49 / +57 %, RTX 2080 Ti +13 / +15 %, 2070 SUPER +6 / +7 %, 2060 SUPER +51 "
                                "/ +53 %, Quadro RTX 8000, 6000 and 4000 +27 to +33 %, Tesla P40 +35 / +38 %, GTX "
                                "1080 Ti +60 / +63 % - GPUs of 70 to 300 W, GeForce, workstation and data-centre, "
                                "GDDR5, GDDR5X, GDDR6 and HBM2 alike. 0.75, where the median of their 22 points' "
                                "errors is zero, reads them within 26 % (the 1080 Ti's +24 / +26 % the furthest). The "
                                "mechanism is not pinned down: these builds left CUDA graphs off below compute "
                                "capability 8.0 (PR 25749, July 2026, turned them on for Volta and Turing; its "
                                "author measured single-split decode on V100s mostly unchanged). The Tesla P100 "
                                "(compute capability 6.0, no dp4a: ggml_cuda_dp4a multiplies the bytes one by one) "
                                "still reads +80 / +91 %. 16-bit weights: not measured, not applied",
    "DMMV_16BIT_BYTES_PER_SM_CLOCK": "llama.cpp builds before CUDA graphs multiplied F16 weights by one token in "
                                     "convert_mul_mat_vec_f16_cuda: dequantize_mul_mat_vec<1, 1, convert_f16>, one "
                                     "32-thread block a row (ggml-cuda.cu of those builds). Measured (corpus): F16 "
                                     "decode on HBM cards, which the bandwidth share read 22-108 % fast while GDDR "
                                     "cards of the same runs read within 15 %: Llama 2 7B and 13B on an A100 80GB "
                                     "PCIe and an H100 PCIe (build 1680, Dec 2023: 6.6, 7.8, 6.2 and 7.3 bytes per SM "
                                     "per clock) and Llama 3 8B on an A100 PCIe, an A100 SXM and an H100 PCIe (builds "
                                     "2836-2843, May 2024, tg512: 5.5, 5.3 and 5.6); 6.2 is the median of the seven "
                                     "runs (SMs x clock from the int8 peak, as MMVQ_BYTES_PER_SM_CLOCK). GDDR cards "
                                     "draw less at their bandwidth's share (an RTX 3090 5.5 bytes per SM per clock at "
                                     "82 % of its 936 GB/s, an RTX 4090 2.6) and keep it",
    "CUBLAS_16BIT_EFFICIENCY": "llama.cpp's CUDA code multiplies 16-bit weights with cuBLAS (ggml_cuda_mul_mat_cublas: "
                               "BF16 with fp32 accumulation, the rate GeForce presets give; F16 with fp16 "
                               "accumulation, twice that on GeForce cards - not measured, read at the same share). "
                               "Measured (corpus): an RTX 3090 prefills Llama 3.2 1B BF16, 512 tokens at 17,751.37 "
                               "tokens/s (llama.cpp PR #24216's master, June 2026) and an RTX 5090 Qwen3.5 9B BF16 at "
                               "8,542.8 (PR #22587): 70 %, with the read's exposed share (EXPOSED_16BIT_SHARE), "
                               "reads them +2 % and -6 % (65 % without it +1 and -3 %; at 40 %: -37 and -40 %)",
    "EXPOSED_16BIT_SHARE": "llama-bench pp512 at microbatch sizes 1-512 with 16-bit weights (measured corpus): "
                           "Llama 3 8B BF16 on an RTX 4090 at 1-9 tokens a pass and F16 on an RTX 3090 at 8-16 "
                           "(github.com/ggml-org/llama.cpp/pull/15131, Aug 2025), BF16 on an RTX 3090 at 1-2 "
                           "(pull/14262, June 2025), Llama 3.2 1B F16 / BF16 on an RTX 3090 at 1-512 and BF16 on an "
                           "RTX 5090 at 1 (pull/24216, June 2026). A pass takes more than the larger of its read and "
                           "its math (that roofline read the 3090's 8B passes of 9-16 tokens +11 to +16 % and the "
                           "1B's of 16-128 +19 to +44 %) and less than their sum: 60 % of the shorter exposed, with "
                           "cuBLAS at 70 % (CUBLAS_16BIT_EFFICIENCY), reads the 28 passes of 2 tokens and more "
                           "within -6 to +9 % (median 1.5 %). One-token passes read 5-17 % slow: 16-bit mat-vec "
                           "reaches more of the bandwidth (93-98 % on these cards) than the 89 % Q4_0 sets",
    "FP16_ACCUMULATE_KEYS": "llama.cpp's CUDA code before MMQ on tensor cores: ggml_cuda_op_mul_mat_cublas "
                            "converts the weights (16-bit or dequantized) and the activations to fp16 and calls "
                            "cublasGemmEx with CUBLAS_COMPUTE_16F on Volta and newer for batches over 32 "
                            "(MMQ_MAX_BATCH_SIZE; github.com/ggerganov/llama.cpp/blob/005de593ad4aa2c8db115cbb41a37bd"
                            "a2fb20b77/ggml-cuda.cu). GeForce rates with fp16 accumulation are twice those with "
                            "fp32 (NVIDIA's GA102 whitepaper, Appendix A: RTX 3090 142 and 71 TFLOP/s dense; "
                            "int8 284). Measured (corpus, XiongjieDai's May 2024 builds, flash attention off, "
                            "with the scores' traffic of EAGER_SCORE_TRAFFIC): at the fp32-accumulate rate GeForce "
                            "prefill read -44 % (quantized) and -54 % (F16); at this one, 46 % of it on GeForce "
                            "cards and 32 % on the others (power-limited Ada boards and H100s these kernels did not "
                            "fill; 40 % read them +22 to +38 %), one card's Llama 3 8B prompts of 512 to 8,192 "
                            "tokens read 0 to +4 % (GeForce) and -1 to +18 % (the others) in each length's median, "
                            "Llama 3 70B +7 to +18 %. An Oct 2023 build on an RTX 3090 Ti (LLaMA 7B F16, pp512 "
                            "4,851.38 tokens/s; github.com/ggml-org/llama.cpp/pull/3816, a proposal of fp32 "
                            "accumulation, closed): +8 %",
    "FP16_ACCUMULATE_EFFICIENCY": "GeForce 46 % (CONSUMER_FP16_ACCUMULATE_EFFICIENCY), other NVIDIA cards 32 %, as "
                                  "FP16_ACCUMULATE_KEYS says: the medians of XiongjieDai's May 2024 llama-bench runs "
                                  "by card class (GeForce: RTX 3070 to 4090; others: RTX A6000 to H100), the ratio of "
                                  "the two (1.4) near the current builds' (CONSUMER_INT8_RATE_EFFICIENCY: 1.3)",
    "PIPELINE_PASSES_PER_CALL": "llama.cpp's pipeline parallelism (github.com/ggml-org/llama.cpp/pull/6017: "
                                "n_copies 4, a layer split's cards each on its own micro-batch) within one decode "
                                "call of n_batch 2,048 tokens (common.h defaults: n_batch 2048, n_ubatch 512). "
                                "Measured (XiongjieDai's May 2024 runs, two cards; measured corpus): Llama 3 8B "
                                "Q4_K_M on two RTX 4090s pp512 7,004, pp1024 8,545, pp4096 8,422, pp8192 6,896 "
                                "tokens/s (one card: 7,139, 6,899, 5,266, 4,040): 1.24, 1.60 and 1.71 times one card "
                                "where this model gives 1.33, 1.60 and 1.60 (two cards' runs read +12 to +22 % in each "
                                "length's median); Llama 3 70B on two RTX 3090s or 4090s gains little from longer "
                                "prompts (+25 to +62 %: not explained)",
    "EAGER_SCORE_TRAFFIC": "llama.cpp's ggml graph without flash attention: ggml_mul_mat (K x Q, f32 out), "
                           "ggml_soft_max_ext (f32 in and out, with the mask), ggml_mul_mat (V x the scores, "
                           "converted to f16 for cuBLAS) - 20 bytes an element counted; XiongjieDai's May 2024 "
                           "runs (Llama 3 8B Q4_K_M, llama-bench pp512 and pp8192 without flash attention, measured "
                           "corpus) keep 0.57, 0.63, 0.61, 0.68 and 0.53 of their rate at 8k on an RTX 4090, RTX "
                           "3090, RTX 6000 Ada, A100 PCIe and L40S: 10 bytes reads each within 0.08 (20 bytes too "
                           "steep, none too flat: 0.79-0.89). The CUDA scoreboard's runs without flash attention "
                           "(discussion #15013, pp512) then read median 6 % (were +10 %). HF transformers' "
                           "eager_attention_forward: the product written (2 bytes), scaled (2 + 2), masked (2 + 2), "
                           "softmax(dtype=float32) - on CUDA fused with the upcast for fp16 (2 + 4), for bf16 after "
                           "an fp32 copy (2 + 4, then 4 + 4) - cast back (4 + 2) and read by the values' product "
                           "(2): 24 bytes in fp16, 32 in bf16. vramgui's own H200 runs (Llama 3 8B, transformers "
                           "5.17, measured corpus, own- points): in bf16 eager prompts of 1,024 and 2,048 tokens "
                           "take 12.6 and 47.1 ms more than SDPA's, which 32 bytes a score at the bandwidth's "
                           "efficiency reads within 0.3 % (8 bytes, the assumption before: +18 and +33 %); in fp16 "
                           "6.9, 49.7 and 158.6 ms at 1,024-4,096 tokens: no faster for its 8 bytes fewer, 32 "
                           "bytes reads them -5 to +5 % (24: 0 to +14 %)",
    "EAGER_KV_READS_PER_HEAD": "ggml's non-flash attention graph multiplies K by the queries and V by the scores "
                               "with ggml_mul_mat broadcast over each group's query heads (one mat-vec per head "
                               "on Metal). XiongjieDai's May 2024 runs (llama-bench tg512-8192 without flash "
                               "attention, measured corpus) slow from tg2048 to tg8192 by 6.4-7.8 times the "
                               "cache's one read for Llama 3 8B (4 query heads a KV head) and 12.4-13.5 times for "
                               "70B (8) on an M2 Ultra, M3 Max and M1 Max: 1.6 reads a query head (each within "
                               "0.35, but 70B Q4_K_M on the 64 GB M1 Max, 1.05); the M3 Max's decode then reads "
                               "-5 to +13 % at every length (was -28 to +23 %). Not measured on other backends",

    "SAMPLE_S": "llama-server (Ollama's runner) times each token with its sampling, llama-bench without ('tokenization "
                "and sampling are not included in the measurements', ggml-org/llama.cpp PR #16823); Ollama's default "
                "options set repeat_penalty 1.1 (api/types.go DefaultOptions; a llama-server log under Ollama prints "
                "'repeat_penalty = 1.100, repeat_last_n = 64', ollama/ollama issue #18123), and a penalty sampler ran "
                "the whole chain on the CPU ('penalty sampling was CPU-only, which forced all subsequent samplers in "
                "the chain to execute on the CPU as well', PR #25262, July 2026; sampling on the GPU is off by "
                "default, issue #27050). 0.9 ms a sequence: the median of that PR's four measured costs of sampling "
                "on the CPU against on the GPU (81.01 against 87.16, 13.62 against 13.84 and 57.87 against 61.22 "
                "tokens/s on an RTX 4000 SFF: 0.87, 1.17 and 0.95 ms; 305.73 against 365.06 on an RTX PRO 6000: "
                "0.53). Not fitted on the corpus: "
                "Ollama 0.32.13 on an RTX 5080 took 1.27 ms a token more than the llama.cpp rows give "
                "(DeepSeek-Coder-V2-Lite) and, in the same lab's tables, 1.78 (Llama 3.1 8B)",
    "STEP_OVERHEAD_S": "assumption: round figures for scheduling, sampling and graph launch (vLLM "
                       "0.5 ms; llama.cpp without CUDA graphs 0.2 ms per step; with them its layers' cost "
                       "holds it)",
    "HOST_S_PER_LAYER": "HF transformers on a data-centre card (a server's host CPU): 0.83 ms a layer, the median "
                        "of nine host-bound batch-1 runs on A100 80GB and H100 (0.76-0.94 ms): optimum-benchmark's "
                        "Llama 2 7B and 13B on an A100 with an AMD EPYC 7742 (38.7 and 30.1 tokens/s, transformers "
                        "4.35; github.com/huggingface/optimum-benchmark, examples/running-llamas), bitsandbytes' "
                        "Llama 3.1 8B on an H100 (41.0, transformers 4.46.3; github.com/bitsandbytes-foundation/"
                        "bitsandbytes, benchmarking/README.md) - these three in the measured corpus - Qwen's speed "
                        "benchmarks of Qwen2 and Qwen2.5 0.5B, 7B and 14B (transformers 4.38 / 4.46; "
                        "qwen.readthedocs.io, benchmark/speed_benchmark) and the Lookahead README's Llama 2 7B (40.6; "
                        "github.com/alipay/PainlessInferenceAcceleration; its Llama 2 13B and ChatGLM2-6B runs, in the "
                        "measured corpus, read -11 to -1 %): a 0.5B model runs barely faster than a "
                        "14B one, and an H100 no faster than an A100. On the cards before the A100's generation "
                        "(released before 2020: V100, T4, P100, P40, MI50), whose servers are of those years, "
                        "1.14 ms, the median of three host-bound batch-1 runs: ChatGLM3-6B and Qwen-7B on a V100 "
                        "32GB (32 and 41 ms a token over 28 and 32 layers: 1.14 and 1.28 ms, the published "
                        "single-card figures beside their RTX 4090 and A100 runs) and bitsandbytes' fp16 Qwen2.5 3B on "
                        "a T4 (25.66 tokens/s over 36 layers: 1.08 ms; measured corpus). On a desktop (every other "
                        "card; the Host CPU picker and --host name another host than the card's) 0.5 ms, an "
                        "estimate (a Llama layer's 40 kernels, HF_LAYER_KERNELS, launched at ~12 µs each) that the "
                        "published RTX 4090 and A6000 runs, bandwidth-bound, stay above. vramgui's own runs on a "
                        "lent H200 VM (transformers 5.17, torch 2.11; narrow Llama models of 16, 32 and 64 layers, "
                        "next to no GPU work) stepped in 14.9, 21.9 and 39.1 ms: 0.51 ms a layer + 6.4 ms a step, "
                        "where the server median reads its Llama-family 7-13B models 17-25 % slow; "
                        "llama.cpp without CUDA graphs (builds before May 2024, and on Intel cards) "
                        "spends ~0.2 ms per layer launching its ops (Llama 2 7B Q4_0: 7.35 ms/token on "
                        "an A100 PCIe and 6.66 ms on an RTX 4090, Dec 2023); with graphs the step is launched at "
                        "once",
    "HF_LAYER_KERNELS": "counted, not fitted: benchmarks/count_hf_kernels.py runs generate() of narrow models "
                        "(transformers 5.24, torch 2.13, bf16, SDPA) under a dispatch mode that sees every ATen "
                        "operation; per decode step a Llama layer launches 40 kernels (7 matmuls, rotary, cache "
                        "appends, attention, SiLU gate, residual adds, two RMSNorms of 8 each), a Qwen3 layer 56 "
                        "(q/k norms: 2 x 8 more), a Gemma 3 layer 84 (six norms of 10: its weight is applied as "
                        "1 + w in fp32; the rule's 8 gives 72), a Qwen3-MoE layer 16 more than Qwen3's and a Mixtral "
                        "layer 18 more than Llama's (router softmax, top-k, sort, histogram, offsets, gathers, "
                        "scatter, two grouped GEMMs for the MLP's three). The host's launch loop grows with them: "
                        "vramgui's own narrow models on a lent H200 VM (hidden 256, next to no GPU work; "
                        "round6-host.jsonl, round7-host.jsonl) stepped 1.1-1.6 times slower per layer as Qwen3 "
                        "than as Llama and 1.8-3.3 times as Gemma 3 text (the host's speed drifts within a run); "
                        "Gemma 3 4B's decode read +42 to +67 % and its prompts up to +106 % with layers counted "
                        "alike, -7 to -21 % and +15 % counted by kernels, Qwen3-32B +14 % then -19 % now, and "
                        "the MoE models at one to 16 sequences -12 to -22 % (DeepSeek-V2-Lite +10 %), beside the "
                        "dense Llama-family runs' -2 to -27 %. Out of sample (round8-infer.jsonl, one start): "
                        "Qwen3 8B stepped 1.59 times Llama 3 8B's time (the rule: 1.58), Gemma 2 9B 1.88 (1.84), "
                        "OLMo 3 7B 1.22 (1.40; layers counted alike: 1.13, 1.31, 1.0); on another start "
                        "(round9-infer.jsonl) Phi-3.5-MoE 1.63 (1.40), Falcon 7B 1.20 and Phi-3 mini 1.09 (1.0). "
                        "Transformers' per-expert "
                        "loop (experts_implementation='eager', the 4.x way) launches kernels for each expert picked "
                        "and is slower still, not modelled: Qwen3-30B-A3B 135.9 ms a step (grouped_mm 60.4), "
                        "Mixtral 45.3 (29.1)",
    "LAYER_S": "served decode beyond the roofline and the per-step cost at low concurrency, per layer: "
               "Qwen3-8B bf16 on one H100 SXM (vLLM v0.11.0, 1 request, 7.28 ms a token; SGLang 7.19 ms at 4; "
               "measured corpus, gpustack's performance lab) 40 us over its 36 layers; gpt-oss-120b MXFP4 on "
               "8 x MI300X (vLLM 0.17, 1 request, ~249 tokens/s: 4.0 ms; "
               "github.com/SemiAnalysisAI/InferenceX/pull/1092) 43 us. llama.cpp with CUDA graphs: 38 us "
               "(with its 89 %, from two b6413 runs; GGUF_BW_CURVES); on Metal 148 us, on ROCm 130 us (the same "
               "curves' source: 2025-2026 HIP builds); MLX 53 us (with its 91 %, from two runs; BW_EFFICIENCY). "
               "HF transformers and llama.cpp without "
               "graphs carry their per-layer cost in the host floor",
    "MOE_LAYER_S": "served MoE decode beyond the per-layer cost, per MoE layer: DeepSeek-R1 FP8 on 8 x H200 "
                   "(SGLang, 8 requests, 12.8 ms a token; measured corpus, docs/validation.md) 48 us; "
                   "gpt-oss-120b on 8 x MI300X (above) 3 us; 25 us lies between them. llama.cpp with CUDA "
                   "graphs (b6413, RTX PRO 6000 Blackwell, measured corpus): Qwen3 30B-A3B Q4_K_M at 251.04 "
                   "tokens/s leaves 19.5 us per MoE layer, gpt-oss-120b at 193.30 leaves 18.0: 19 us. The same 19 us "
                   "on Metal (Qwen3 30B-A3B Q8_0 on an M2 Ultra, 76.31 tokens/s, "
                   "github.com/ggml-org/llama.cpp/pull/15616: +5 %) and, an assumption, on ROCm. MLX: 46 us, the "
                   "mean of what Qwen3-30B-A3B-Instruct-2507 in MLX 4- and 8-bit on a 64GB M4 Max (113.33 and 83.16 "
                   "tokens/s, mlx_lm/BENCHMARKS.md) leave over 48 MoE layers beyond 53 us a layer: 45 and 48 us",
    "GDN_LAYER_S": "llama.cpp decode of Gated DeltaNet hybrids, beyond the roofline and the layers' costs, per "
                   "linear-attention layer (measured corpus): with CUDA graphs, Qwen3.5-9B BF16 on an RTX 5090 "
                   "(82.5 tokens/s, May 2026; github.com/ggml-org/llama.cpp/pull/22587) leaves 37 us over its 24; "
                   "on Metal none since its GATED_DELTA_NET kernel (b8299, Mar 2026, "
                   "github.com/ggml-org/llama.cpp/pull/20361; first as PR 20244): Qwen3.5-0.8B Q4_K_M on an M4 "
                   "Max then decodes at 213 tokens/s (170 before), which the layers' cost alone reads within 2 %, "
                   "and Q8_0 on an M2 Ultra (Aug 2026 master, PR 25788) at 256 tokens/s, -17 % as the small dense "
                   "models there; the Feb 2026 branch before it (Qwen3-Next 80B-A3B on an M2 Ultra, "
                   "github.com/ggml-org/llama.cpp/pull/19375: 50.39, 46.43, 43.78 tokens/s in Q4_0, Q4_K_M, Q8_0) "
                   "left 236-280 us a layer, now a stated miss; on ROCm, Qwen3-Coder-Next Q4_K_M on a Ryzen AI "
                   "Max+ 395 (39.5 tokens/s, ROCm 7.2, b8038; "
                   "github.com/visorcraft/strix-halo-llm-perf, whose same-build Llama 2 7B, Llama 3.1 70B and "
                   "Qwen3-235B-A22B the ROCm row reads +3 to +7 %) leaves 190 beside the row's 130 us a layer. "
                   "Builds before Feb 2026 were "
                   "slower (no tuned graph). Other engines: not measured, not applied",
    "GDN_PROMPT_LAYER_S": "llama.cpp's prompt passes of Gated DeltaNet hybrids on Metal, per linear-attention layer "
                          "and pass beyond the layers' costs (measured corpus): Qwen3.5-0.8B Q8_0 on an M2 Ultra "
                          "(Aug 2026 master, github.com/ggml-org/llama.cpp/pull/25788) prefills 512 tokens at "
                          "10,907 tokens/s, 5.3 ms beyond the layers' costs over its 18: 294 us; the Feb 2026 "
                          "branch's Qwen3-Next 80B-A3B pp512 (PR 19375) read with 257 us (-11 to -21 %), kept: a "
                          "pass scans its tokens one after another, where a step has one",
    "BNB_LINEAR_KERNELS": "fitted on bitsandbytes' own benchmark (github.com/bitsandbytes-foundation/bitsandbytes, "
                          "benchmarking/README.md, 'Results (as of v0.45.0)': optimum-benchmark's PyTorch backend, "
                          "transformers 4.46.3, torch 2.5.1, 64 tokens in and 64 out; measured corpus, hf-bnb- "
                          "points): Llama 3.1 8B on an H100 SXM steps in 24.4-26.1 ms in bf16 at 1, 8 and 32 "
                          "sequences, in NF4 33.1 ms at one and 47.6-48.6 ms at 8 and 32 (2.0 and 4.75 kernels' worth "
                          "a layer beyond bf16's at the server's 0.83 ms / 40), with double quantization 41.1 and "
                          "56.6-57.7 ms (3.6, 6.7), in LLM.int8() 81.7-86.4 ms (12.3, 12.9; with threshold 0, no "
                          "outlier columns, 51.5-54.5 ms: 6). On that host Qwen2.5 32B and Llama 3.1 70B (whose 4-bit "
                          "rows at several sequences set BNB_DEQUANT_WEIGHTS_PER_S) read -7 to +18 %; on an RTX 4090 "
                          "(a desktop's host, 0.5 ms a layer) NF4 at one sequence -32 to -35 % (that host runs these "
                          "layers a third faster), the rest -15 to +7 %; on a T4 +50 to +105 % (its host slower than a "
                          "server's: its fp16 rows too, +30 to +101 %). Fused projections (Phi-3's qkv and gate_up) "
                          "are counted as their separate matrices",
    "BNB_DEQUANT_WEIGHTS_PER_S": "fitted on the same benchmark: NF4 at 8 and 32 sequences on an H100 SXM steps Qwen2.5 "
                                 "32B in 115.4 and 124.6 ms and Llama 3.1 70B in 234.8 and 249.1 ms; beside the 16-bit "
                                 "matmuls' read and the output layer that leaves 312-376 G weights dequantized a "
                                 "second (median 345), a third of what the card's bandwidth allows. On an RTX 4090 the "
                                 "bandwidth bounds it (Llama 3.1 8B NF4 at 8 sequences: 42.5 ms measured, within 2 %)",
    "MOE_GEMM_HALF": "vramgui's own HF transformers 5.17 runs on an H200 (tests/data/measured/corpus.jsonl own- "
                     "points, prefill tokens/s): Mixtral 8x7B's prompts of 512-4,096 tokens (128-1,024 tokens per "
                     "expert) read +73, +41, +18 and +7 % with the experts at the large-GEMM rate, +7, -7, -6 and -5 % "
                     "with 150; out of the fit, Phi-3.5-MoE's 512 (64 an expert) +89 -> +67 % and Qwen3-30B-A3B's "
                     "4,096 (256 an expert of width 768) +113 -> +69 % (its small experts lose more; its 2,048 and "
                     "DeepSeek-V2-Lite's 512 sit at the host's floor, unchanged)",
    "EXPERT_TOKEN_READS": "ggml-metal's MUL_MAT_ID (ggml-metal-ops.cpp): no small-batch kernel for the routed "
                          "experts; mul_mm_id only from ne21_mm_id_min = 32 tokens, mul_mv_id (a mat-vec per token and "
                          "expert) below. llama-batched-bench on llama.cpp's own M2 Ultra page (b7948, gpt-oss-20b and "
                          "Qwen3-Coder-30B-A3B Q8_0, measured corpus): each sequence past the first adds 2.8-4.3 ms "
                          "(gpt-oss-20b) and 4.1-4.9 ms (Qwen3-Coder) a step where reading its experts once takes 1.7 "
                          "and 2.7 ms at the mat-vec's share of 800 GB/s; with the union of experts the roofline reads "
                          "2-16 sequences +19 to +165 %, with the reads per token +10 to +56 %",
    "EXPERT_GATHER_READS": "HF transformers' batched_mm_experts_forward (integrations/moe.py, transformers 5.24; its "
                           "decode steps' kernel: generation/utils.py _optimize_model_for_decode) indexes "
                           "gate_up_proj[expert_ids] and down_proj[expert_ids], S = tokens x top-k copies, then "
                           "torch.bmm reads them: three passes over k·b experts. vramgui's own H200 runs "
                           "(transformers 5.17, bf16, round2/round4-infer.jsonl): Mixtral 8x7B at 4 and 16 sequences "
                           "stepped 68.9 and 266.7 ms (3 x 8 and 3 x 32 experts of 32 layers: 270 and 1,082 GB), "
                           "Qwen3-30B-A3B at 64 stepped 159.6 ms (3 x 512 experts of 48 layers: 696 GB), about "
                           "0.8-0.9 of the card's 4.8 TB/s; its peaks grew by the copies, S experts a layer "
                           "(Mixtral at 16: 32 x 0.33 GiB)",
    "EXPERT_TOKEN_READ_COST": "the same runs: 1.6 reads 2-16 sequences of both models within -15 to +16 % (36 points, "
                              "gpt-oss-120b's out of the fit): the per-token mat-vecs read the experts at about 57 % "
                              "of the chip's bandwidth, where one token's read at 91 % (one sequence: +0 to +13 %); 32 "
                              "sequences (mul_mm_id) are not modelled: +39 to +112 %",
    "APPLE_OPS_PER_CORE_CLOCK": "Apple's M1 announcement (apple.com/newsroom, Nov 2020): an 8-core GPU with 128 "
                                "execution units (128 ALUs a core) and 2.6 TFLOPS; the shader rates the presets take "
                                "count 2 FLOP a fused multiply-add of each: hmc-tech.com's 10-core M3, '1280 Shaders', "
                                "'1398MHz', 'FP32 3.58 TFLOPS' = 1,280 x 2 x 1.398 GHz (the m3-24gb preset). The M5 "
                                "presets' figure is 4 times the shader rate (their Neural Accelerators, Metal 4's "
                                "tensor API): the kernels' rates taken from it scale with it, an assumption the "
                                "corpus's three M5 prompts support (-8, +4, +15 %; at the shader rate's cores x clock "
                                "-31, -21, -14 %); no batched decode on an M5 is measured",
    "MOE_GEMM_TOKENS": "llama.cpp's CUDA kernels (HIP builds compile the same ones), b6413 on an RTX PRO 6000 "
                       "Blackwell (measured corpus): Qwen3 30B-A3B Q4_K_M prefills 512 tokens at 7,432 tokens/s "
                       "(32 tokens per expert per pass) and gpt-oss-120b at 2,419 (16): 3.7 and 4.9 times "
                       "below the roofline, as if the expert GEMMs saturated at 206 and 177 tokens at the 20 % of "
                       "the int8 peak first set for that card; 190 read them +7 % and -7 %, and at its 23 % (above) "
                       "218 reads them +9 % and -6 % (the CUDA row; ROCm's and the no-graphs row's GEMM shares did "
                       "not change: 190). b10809 (Sep 2026) on an RTX 5090 prefills Qwen3 30B-A3B 29 % faster than "
                       "this gives (its MoE kernels since improved). Metal's kernels lose less: Qwen3 30B-A3B Q8_0 "
                       "on an M2 Ultra prefills 512 "
                       "tokens at 2,045 tokens/s (github.com/ggml-org/llama.cpp/pull/15616, measured corpus), "
                       "which 60 read +2 % with Metal's 75 % (from the same run's dense model; both -11 to -12 % "
                       "since Metal's tile kernel's conversion is paid on each pass, MMQ_WEIGHTS_PER_SM_CLOCK). The "
                       "no-graphs row "
                       "keeps 190 (the same kernels' forerunners: an assumption). Other engines: not measured, "
                       "not applied. A pass of n tokens touches E (1 - (1 - k/E)^n) of the E experts, each costing "
                       "as if it had this many tokens: passes of one token (a decode step's work at 32,768 cached, "
                       "github.com/ggml-org/llama.cpp/pull/19057 and pull/19092, DeepSeek-V2-Lite and GLM-4.7-Flash "
                       "on an RTX 3090) read -25 and +2 %, where all E experts at the rule read -90 %; passes of "
                       "4-64 tokens (1-6 an expert) still read 20-60 % slow (measured corpus: a stated miss)",
    "served": "a serving benchmark's mean time per output token (TPOT) holds the other requests' prefills: "
              "Qwen3-8B bf16 on one H100 SXM under vLLM v0.11.0 (ShareGPT, means 233 in / 221 out; gpustack's "
              "performance lab, measured corpus) gives 7.28 ms at 1 request and 7.71 at 8, where the decode step "
              "alone rises to 7.40 and the steps + seven prompts' prefill give 7.61; DeepSeek-R1 FP8 on 8 x H200 "
              "(SGLang, 1k in / 1k out, 8-64 requests) and Qwen3-Next on 4 x H20 (vLLM, 32 requests) move 1-10 "
              "points closer with them. The prefill is added to the steps rather than hidden under their weight "
              "reads (chunked prefill in the same step): the measurements agree with the sum",
    "ATTENTION_EFFICIENCY": "llama.cpp ROCm (b6865, Oct 2025, a Radeon 8060S of a Ryzen AI Max+ 395, flash attention "
                            "on; lhl/strix-halo-testing, measured corpus): 512-token prompts after 1,024 to 65,536 "
                            "cached tokens take longer than the same prompt from empty by what attention at 6-8 % of "
                            "the card's 59.4 TFLOP/s gives, in both builds (plain HIP and rocWMMA) and both models "
                            "(Llama 3.2 1B Q4_K_M, 4,703 tokens/s from empty, 424.8 after 65,536; gpt-oss-20b, "
                            "1,472 and 277.6): the kernels run on the shader cores. A July 2026 build on the same "
                            "chip (lemonade-sdk/lemonade issue #2624, rocWMMA off: a Qwen3.5-35B-A3B fine-tune, "
                            "IQ4_XS, pp512 1,152.00 and 626.35 after 30,000 cached tokens) slows by 0.54 where 7 "
                            "% gives 0.50. 7 % is assumed for every AMD card under llama.cpp but RDNA 4's (other "
                            "Radeons share the kernels; not measured on Instinct cards). RDNA 4 (RX 9070 XT, 9070, "
                            "9060 XT, Radeon AI PRO R9700): 15 %, from an RX 9060 XT (102.6 TFLOP/s) in "
                            "github.com/ggml-org/llama.cpp/pull/28102 (2026, the master column: Llama 3 8B Q4_0, "
                            "1,024 tokens after 32,768 cached at 674.64 tokens/s, -1 % with 15 %; after 4,096, "
                            "8,192 and 16,384 at 2,009.40, 1,502.39 and 1,056.29: -6, 0 and 0 %), where native "
                            "flash-attention kernels on its WMMA units had replaced rocWMMA's (pull/26046). Navi 31 "
                            "(RDNA 3, gfx1100: RX 7900 XTX, XT, GRE, Radeon PRO W7900): 25 %, from an RX 7900 XTX "
                            "(122.8 TFLOP/s) in github.com/ggml-org/llama.cpp/pull/26284 (2026, the PR's column: "
                            "Llama 3 8B Q4_K_M, 2,048 tokens in passes of 512 at 3,226.54 tokens/s from empty and "
                            "2,693.13 after 4,096 cached, in passes of 1,024 at 3,390.81 and 2,796.20: the cached "
                            "keys' cost reads within 1 % at 25 %, 7 % read them -41 and -43 %). Metal (Apple): 48 "
                            "%, from llama.cpp's own M2 Ultra benchmark page (benches/mac-m2-ultra, b7948, early "
                            "2026, measured corpus): 2,048-token prompts after 4,096 to 32,768 cached tokens slow "
                            "from empty by attention at 12.3 (gpt-oss-20b), 13.5 (Qwen3-Coder-30B-A3B) and 13.2 "
                            "(Qwen2.5-Coder-7B) TFLOP/s by hand, 45-50 % of the chip's 27.2; Gemma 3 4B's heads of "
                            "256, 39 %. At the GEMMs' 75 % they read +20 to +45 % after 32,768; at 48 % -8 to +9 %. "
                            "Checked out of sample: an Aug 2026 master's Qwen3.5 0.8B after 2,048-8,192 cached "
                            "(pull/25788: +5 to +19 %, now +1 to +8 %), and XiongjieDai's May 2024 prompts of "
                            "512-8,192 tokens (Llama 3 8B and 70B): on the M1 Max and M3 Max the error rose with the "
                            "prompt's length by 10-24 points, now 5-17; on the M2 Ultra it fell by 2-13, now 5-19 "
                            "(its 8B F16 at 8,192 tokens -0.7 %, now -6.7 %). Other "
                            "rows: the GEMMs' share (FLOPS_EFFICIENCY); llama.cpp's CUDA build on an RTX 3090 "
                            "(Llama 3 8B Q4_0, 512 tokens after 32,768 at 1,470.93 tokens/s, "
                            "github.com/ggml-org/llama.cpp/pull/17505) reads -11 % with it: no sign there of "
                            "attention slower than the GEMMs. The RTX 5090 (CUDA): 62 %, by hand from Qwen3.5 27B "
                            "Q4_K_M's 4,096-token prompt after 32,768 cached tokens (its 16 layers of 24 heads of 256 "
                            "attended at 130 TFLOP/s of the card's 209.5: 3,684.89 tokens/s from empty, 2,698.73 "
                            "after; measured corpus); checked on GLM-4.7-Flash Q2_K_M, whose 20 heads attend over the "
                            "MLA latent (576 + 512 wide), 512 tokens after 32,768 at 1,824.87 tokens/s "
                            "(github.com/ggml-org/llama.cpp/pull/19092, Jan 2026), and DeepSeek-V2-Lite Q4_0 at "
                            "3,851.28 (pull/19057): -11 % each at 62 %, -39 % at the 40 % (by hand, if the rest of "
                            "the estimate holds, GLM's attended at about 150 TFLOP/s). The "
                            "other CUDA cards measured after a deep cache keep the 40 %: the RTX 3090 above, an RTX "
                            "A5000 (Qwen3.6 27B, 31 % by hand), an RTX 4090 (Qwen3.5 9B, 18 % by hand: a stated "
                            "miss)",
    "ALLREDUCE_LATENCY_S": "assumption: order of magnitude of NCCL's small-message all-reduce latency, "
                           "NVLink vs PCIe",
    "DEFAULT_LINK_GB_S": "PCIe 3.0 x16 per direction, when a card's preset names no interconnect",
}


for _name in ("BW_EFFICIENCY", "GGUF_BW_CURVES", "LAYER_S", "MOE_LAYER_S", "GDN_LAYER_S", "FLOPS_EFFICIENCY",
              "MOE_GEMM_TOKENS"):
    SOURCES[_name] += ". " + VULKAN_SOURCE

#: llama.cpp's speed row by vendor (:func:`speed_key`)
LLAMACPP_BACKEND = {"nvidia": "llamacpp", "apple": "llamacpp-metal", "amd": "llamacpp-rocm"}


def card_host(gpu: GPU) -> str:
    """The host a card sits in, by its kind (a key of :data:`HF_HOST_ROWS`): a data-centre card in a server of
    its years (before :data:`HF_SERVER_FROM_YEAR`, an older server's; no year given, a current one's), any
    other card in a desktop."""
    if gpu.category != "datacenter":
        return "desktop"
    return "older-server" if (gpu.release_year or HF_SERVER_FROM_YEAR) < HF_SERVER_FROM_YEAR else "server"


def host_of(s) -> str | None:
    """The host the scenario's estimate puts HF transformers' launch loop on: its ``host``, else the card's
    (:func:`card_host`); None for the other engines."""
    return (s.host or card_host(s.gpu)) if s.engine == "hf" else None


def speed_key(profile: EngineProfile, gpu: GPU, host: str | None = None) -> str:
    """The row of the speed tables for ``profile`` on ``gpu``: the profile's id, except that
    llama.cpp launches its step as a CUDA graph on NVIDIA cards only; on Apple chips (Metal) and
    AMD cards (ROCm, HIP graphs off by default) each backend has its own measured costs, and
    elsewhere (SYCL on Intel) it runs as builds without graphs did; the Vulkan build has its own
    row, Intel's cards apart; vLLM and SGLang on AMD cards share their ROCm row; and HF transformers' host loop is
    the scenario's ``host``'s, else the card's (:func:`card_host`; :data:`HF_HOST_ROWS`)."""
    if profile.id == "hf":
        return HF_HOST_ROWS[host or card_host(gpu)]
    if profile.id == "llamacpp-vulkan":
        return "llamacpp-vulkan-intel" if gpu.vendor.strip().lower() == "intel" else "llamacpp-vulkan"
    vendor = gpu.vendor.strip().lower()
    if profile.id in ROCM_SERVING and vendor == "amd":
        return "vllm-rocm"
    if profile.id == "llamacpp-2023" and vendor == "apple":    # (no CUDA graphs on Metal: the same backend)
        return "llamacpp-metal"
    if profile.id != "llamacpp" and profile.id not in OLLAMA:      # (Ollama runs llama.cpp's llama-server)
        return profile.id
    return LLAMACPP_BACKEND.get(vendor, "llamacpp-2023")


def bandwidth_efficiency(key: str, fmt: WeightFormat, gpu: GPU | None = None) -> float:
    """Expected share of peak memory bandwidth for decode with this engine (:func:`speed_key`)
    and format; on ``gpu``, times :data:`PRE_AMPERE_DECODE_FACTOR` on the cards before Ampere, and at most what
    :data:`MMVQ_BYTES_PER_SM_CLOCK` (or, for 16-bit weights, :data:`DMMV_16BIT_BYTES_PER_SM_CLOCK`) lets the
    engine draw."""
    return _bandwidth_efficiency(key, fmt, gpu)[0]


def bandwidth_efficiency_sources(key: str, fmt: WeightFormat, gpu: GPU | None = None) -> tuple[str, ...]:
    """The :data:`SOURCES` entries behind :func:`bandwidth_efficiency` of the same arguments beyond the row's
    share and its format's factor: the pre-Ampere factor and the SM cap, where they apply."""
    return _bandwidth_efficiency(key, fmt, gpu)[1]


def _bandwidth_efficiency(key: str, fmt: WeightFormat, gpu: GPU | None) -> tuple[float, tuple[str, ...]]:
    eff, names = _bandwidth_share(key, fmt), ()
    if gpu is not None and key in PRE_AMPERE_DECODE_FACTOR and _quantized(fmt) and _pre_ampere(gpu):
        eff, names = eff * PRE_AMPERE_DECODE_FACTOR[key], ("PRE_AMPERE_DECODE_FACTOR",)
    per_sm = sm_cap_per_clock(key, fmt)
    sm_clocks = _sm_clocks_per_s(gpu) if per_sm and gpu is not None else None
    capped = per_sm * sm_clocks / gpu.bandwidth_bytes_per_s if sm_clocks else eff
    if capped < eff:
        return capped, (*names, "MMVQ_BYTES_PER_SM_CLOCK" if key in MMVQ_BYTES_PER_SM_CLOCK else
                        "DMMV_16BIT_BYTES_PER_SM_CLOCK")
    return eff, names


def _pre_ampere(gpu: GPU) -> bool:
    """Whether the card is an NVIDIA chip before Ampere (compute capability below 8.0)."""
    cc = gpu.compute_capability
    return cc is not None and cc < (8, 0)


def prompt_bandwidth_efficiency(key: str, fmt: WeightFormat, gpu: GPU | None = None) -> float:
    """The share of peak bandwidth a prompt's passes read the weights at where it is not a decode step's, else 0:
    the mat-vec that :data:`DMMV_16BIT_BYTES_PER_SM_CLOCK` caps multiplies one token only (a prompt's passes ran
    cuBLAS)."""
    if key in DMMV_16BIT_BYTES_PER_SM_CLOCK and key not in MMVQ_BYTES_PER_SM_CLOCK:
        uncapped = _bandwidth_share(key, fmt)
        return uncapped if bandwidth_efficiency(key, fmt, gpu) < uncapped else 0.0
    return 0.0


def sm_cap_per_clock(key: str, fmt: WeightFormat) -> float | None:
    """Bytes per SM per clock the engine row ``key``'s decode kernels draw at most with ``fmt``'s weights; None:
    not capped."""
    if key in DMMV_16BIT_BYTES_PER_SM_CLOCK and (fmt.expert_bits or fmt.linear_bits) == 16:
        return DMMV_16BIT_BYTES_PER_SM_CLOCK[key]
    return MMVQ_BYTES_PER_SM_CLOCK.get(key)


def _sm_clocks_per_s(gpu: GPU) -> float | None:
    """An NVIDIA card's SMs x boost clock [1/s]: from its int8 peak at the graphics chips' rate
    (:func:`_graphics_int8_tops`), or from its 16-bit peak on the chips whose int8 figure was cut
    (:data:`FP16_OPS_PER_SM_CLOCK`); None without such a figure."""
    per_sm, f16 = FP16_OPS_PER_SM_CLOCK.get(gpu.arch or ""), gpu.fp16_tensor_tflops or gpu.bf16_tensor_tflops
    if per_sm and f16 and _nvidia(gpu):
        return f16 * 1e12 / per_sm
    i8 = _graphics_int8_tops(gpu)
    return i8 * 1e12 / INT8_OPS_PER_SM_CLOCK if i8 else None


def _apple_core_clocks_per_s(gpu: GPU) -> float | None:
    """An Apple chip's GPU cores x clock [1/s], from its 16-bit peak (:data:`APPLE_OPS_PER_CORE_CLOCK`); None
    for other cards or without the figure."""
    f16 = gpu.fp16_tensor_tflops or gpu.bf16_tensor_tflops
    return f16 * 1e12 / APPLE_OPS_PER_CORE_CLOCK if gpu.apple and f16 else None


def _bandwidth_share(key: str, fmt: WeightFormat) -> float:
    # (MXFP4: the experts, most of the bytes; 16-bit experts beside 4- or 8-bit layers, bitsandbytes' under HF
    # transformers: read at the 16-bit share, most of the bytes too)
    bits = fmt.expert_bits or fmt.linear_bits
    return _share_of(key, "fp16" if fmt.kernel != "gguf" and bits >= 16 else fmt.kernel, bits)


@lru_cache(maxsize=256)
def _share_of(key: str, kernel: str, bits: float) -> float:
    """(kept: the fit table asks it for every card on every edit)"""
    base = BW_EFFICIENCY.get(key, 0.8)
    if kernel == "gguf" or key in GGUF_BW_CURVES:    # llama.cpp runs every weight as a ggml type
        curve = GGUF_BW_CURVES.get(key, GGUF_BW_CURVES[DEFAULT_GGUF_CURVE])
        xs, ys = zip(*curve, strict=False)
        return float(np.interp(bits, xs, ys)) * base / curve[-1][1]
    if kernel in ("w4a16", "fp4"):
        return base * W4_FACTOR.get(key, 0.8)
    if kernel in ("int8", "fp8", "w8a16"):
        return base * W8_FACTOR_BY_ROW.get(key, W8_FACTOR)
    return base


def compute_efficiency(key: str, fmt: WeightFormat | None = None, gpu: GPU | None = None) -> float:
    """Share of the card's peak (for the format's math) that prefill GEMMs sustain with this
    engine (:func:`speed_key`): :data:`FLOPS_EFFICIENCY`; for llama.cpp's quantized matmuls on an
    NVIDIA card :data:`INT8_RATE_EFFICIENCY` of its int8 peak (:data:`CONSUMER_INT8_RATE_EFFICIENCY`
    on GeForce cards; on the CUDA row times :data:`MMQ_INT8_RATE`, and on Turing cards times
    :data:`TURING_MMQ_FACTOR`), on RDNA 2 cards :data:`RDNA2_PROMPT_FACTOR` times the AMD rows' share, for its
    current CUDA builds' 16-bit weights :data:`CUBLAS_16BIT_EFFICIENCY`, and for the rows of
    :data:`FP16_ACCUMULATE_KEYS` the efficiency at its fp16-accumulate rate, each as a share of the fp16 figure."""
    return _compute_efficiency(key, fmt, gpu)[0]


def compute_class(key: str, gpu: GPU, fmt: WeightFormat | None = None) -> object:
    """What of ``gpu`` the engine row ``key``'s :func:`compute_efficiency` and :func:`sol_compute_factor` of ``fmt``
    depend on (cards of one class share them): the card itself where the row reads its int8 or fp16-accumulate
    rates, whether it multiplies ``fmt`` in FP4 (:func:`fp4_math`), whether it is one of :data:`HOPPER_CARDS` for
    :data:`HOPPER_ROWS`, whether it is RDNA 2 for the rows of :data:`RDNA2_PROMPT_FACTOR`, nothing elsewhere (None)."""
    if key in INT8_RATE_EFFICIENCY or key in FP16_ACCUMULATE_KEYS:
        return id(gpu)
    kind = gpu.id in HOPPER_CARDS if key in HOPPER_ROWS else _rdna2(gpu) if key in RDNA2_PROMPT_FACTOR else None
    return (fp4_math(gpu, fmt), kind) if fmt is not None and fmt.kernel == "fp4" else kind


def compute_efficiency_sources(key: str, fmt: WeightFormat | None = None, gpu: GPU | None = None) -> tuple[str, ...]:
    """The :data:`SOURCES` entries behind :func:`compute_efficiency` of the same arguments."""
    return _compute_efficiency(key, fmt, gpu)[1]


def _compute_efficiency(key: str, fmt: WeightFormat | None, gpu: GPU | None) -> tuple[float, tuple[str, ...]]:
    if key in FP16_ACCUMULATE_KEYS and gpu is not None:
        if _nvidia(gpu) and key in FP16_ACCUMULATE_EFFICIENCY:
            share = _class_share(key, gpu, FP16_ACCUMULATE_EFFICIENCY, CONSUMER_FP16_ACCUMULATE_EFFICIENCY)
            return share * fp16_accumulate_ratio(gpu), ("FP16_ACCUMULATE_KEYS", "FP16_ACCUMULATE_EFFICIENCY")
        return FLOPS_EFFICIENCY.get(key, 0.5) * fp16_accumulate_ratio(gpu), ("FP16_ACCUMULATE_KEYS",)
    quantized = _quantized(fmt)
    if key in CUBLAS_16BIT_EFFICIENCY and _dense_16bit(fmt):
        return CUBLAS_16BIT_EFFICIENCY[key], ("CUBLAS_16BIT_EFFICIENCY",)
    f16 = (gpu.fp16_tensor_tflops or gpu.bf16_tensor_tflops) if gpu is not None else None
    dp4a = key in DP4A_ROWS and gpu is not None and _nvidia(gpu) and dp4a_peak(gpu, fmt)
    if dp4a:   # no tensor cores: the peak these weights run at is the dp4a rate, the row's int8 share of it
        f16 = i8 = gpu.int8_dp4a_tops
    else:      # llama.cpp's CUDA kernels at the graphics chips' int8 rate per SM, its Vulkan build at the int8 peak
        i8 = (_graphics_int8_tops(gpu) if key == "llamacpp" else _int8_tops(gpu)) \
            if key in INT8_RATE_EFFICIENCY and quantized and f16 else None
    if not i8:
        if gpu is not None and fp4_math(gpu, fmt):
            return FLOPS_EFFICIENCY.get(key, 0.5) * FP4_PROMPT_FACTOR, ("FLOPS_EFFICIENCY", "FP4_PROMPT_FACTOR")
        if key in HOPPER_ROWS and gpu is not None and gpu.id in HOPPER_CARDS:
            return FLOPS_EFFICIENCY.get(key, 0.5) * HOPPER_PROMPT_FACTOR, ("FLOPS_EFFICIENCY", "HOPPER_PROMPT_FACTOR")
        if key in RDNA2_PROMPT_FACTOR and quantized and gpu is not None and _rdna2(gpu):
            return FLOPS_EFFICIENCY[key] * RDNA2_PROMPT_FACTOR[key], ("FLOPS_EFFICIENCY", "RDNA2_PROMPT_FACTOR")
        return FLOPS_EFFICIENCY.get(key, 0.5), ("FLOPS_EFFICIENCY",)
    geforce = gpu.category == "consumer" and key in CONSUMER_INT8_RATE_EFFICIENCY
    names = ("CONSUMER_INT8_RATE_EFFICIENCY" if geforce else "INT8_RATE_EFFICIENCY",)
    if key == "llamacpp" and gpu.id in MMQ_INT8_RATE:
        names = (*names, "MMQ_INT8_RATE")
    share = _class_share(key, gpu, INT8_RATE_EFFICIENCY, CONSUMER_INT8_RATE_EFFICIENCY)
    if key in TURING_MMQ_FACTOR and gpu.compute_capability == (7, 5):
        share, names = share * TURING_MMQ_FACTOR[key], (*names, "TURING_MMQ_FACTOR")
    # (as a share of the figure the format's math runs at: the 16-bit one but for weights given as fp8, int8 W8A8 or
    # NVFP4 (on Blackwell), which llama.cpp converts to its own types first: its kernels' rate is the same share of the
    # int8 peak)
    peak = f16 if dp4a else gpu.peak_flops(fmt.kernel) / TERA
    return share * i8 / peak, (*names, "DP4A_ROWS") if dp4a else names


def _class_share(key: str, gpu: GPU, shares: dict, geforce: dict) -> float:
    """The row's share on ``gpu``: ``geforce``'s on a GeForce card (category "consumer"), ``shares``' elsewhere."""
    return geforce[key] if gpu.category == "consumer" and key in geforce else shares[key]


def _rdna2(gpu: GPU) -> bool:
    """Whether the card is an RDNA 2 GPU (its compiler target gfx103x)."""
    return bool(gpu.arch) and gpu.arch.startswith("gfx103")


def _nvidia(gpu: GPU) -> bool:
    return gpu.vendor.strip().lower() == "nvidia"


def _int8_tops(gpu: GPU) -> float | None:
    """An NVIDIA card's int8 tensor peak [TOPS] (None: not NVIDIA's, or no figure)."""
    return gpu.int8_tensor_tops if _nvidia(gpu) and gpu.int8_tensor_tops else None


def _graphics_int8_tops(gpu: GPU) -> float | None:
    """An NVIDIA card's int8 peak at the graphics chips' rate per SM (:data:`MMQ_INT8_RATE`): what llama.cpp's
    CUDA kernels reach, and SMs x clock x :data:`INT8_OPS_PER_SM_CLOCK`."""
    i8 = _int8_tops(gpu)
    return i8 * MMQ_INT8_RATE.get(gpu.id, 1.0) if i8 else None


def _int8_ratio(gpu: GPU) -> float | None:
    """An NVIDIA card's int8 tensor peak over its preset's fp16 figure (None: not NVIDIA's, or a figure missing)."""
    f16, i8 = gpu.fp16_tensor_tflops or gpu.bf16_tensor_tflops, _int8_tops(gpu)
    return i8 / f16 if f16 and i8 else None


def fp16_accumulate_ratio(gpu: GPU) -> float:
    """An NVIDIA card's fp16 tensor rate with fp16 accumulation over its preset's fp16 figure.  On
    every tensor-core generation since Turing the fp16-accumulate rate is half the int8 one; GeForce
    cards run fp32 accumulation at half that, the figure their presets give (int8 four times it), so
    2; Titan RTX, workstation and data-centre cards run both at one rate (int8 twice it), so 1.  1
    where the card has no int8 figure (Volta, Pascal) or is not NVIDIA's."""
    ratio = _int8_ratio(gpu)
    return max(1.0, ratio / 2) if ratio else 1.0


@dataclass(frozen=True)
class SpeedResult:
    """Times [s] and rates [tokens/s]; arrays broadcast over the swept inputs."""

    decode_step_s: np.ndarray
    sol_decode_step_s: np.ndarray
    prefill_s: np.ndarray
    sol_prefill_s: np.ndarray
    compute_bound: np.ndarray
    batch: np.ndarray
    knee_batch: float
    memory_max_batch: int | None
    bw_efficiency: float
    flops_efficiency: float
    compute_known: bool = True

    @property
    def decode_tokens_per_s(self) -> np.ndarray:
        """Tokens per second for one sequence."""
        return 1.0 / self.decode_step_s

    @property
    def throughput_tokens_per_s(self) -> np.ndarray:
        """Tokens per second for all sequences together."""
        return self.batch / self.decode_step_s

    @property
    def decode_bound(self) -> str:
        return "compute" if bool(np.all(self.compute_bound)) else "memory"


# --- per-card coefficients ----------------------------------------------------------------------

@dataclass(frozen=True)
class SpeedTerms:
    """Per-card coefficients of the roofline for one (model, format, engine, cards).  Each
    field is a float for one scenario or an array with one entry per model × format for a
    stacked catalog: :func:`decode_from_terms` and :func:`prefill_from_terms` serve both."""

    dense_bytes: ArrayLike        # weight bytes a step reads besides the routed experts
    expert_bytes: ArrayLike       # one routed expert's bytes summed over the MoE layers (0: dense)
    num_experts: ArrayLike        # E (1 for a dense model)
    experts_per_token: ArrayLike  # k (1 for a dense model)
    kv_full: ArrayLike            # KV bytes a step reads per filled token per sequence, full layers
    kv_windowed: ArrayLike        # ... windowed layers, capped at ``window``
    window: ArrayLike
    matmul_flops: ArrayLike       # per token: 2 · P_active without the embedding lookup
    attention_flops: ArrayLike    # per (query, key) pair over the layers that attend to every key: 4 · L · h · d_h
    allreduce_bytes: ArrayLike    # per token per all-reduce (ring: 2 (N-1)/N · d · 2 bytes)
    allreduces: ArrayLike         # per step: two per layer when tensor parallel
    host_floor: ArrayLike         # s: the host's launch loop per step
    step_overhead: ArrayLike      # s: the engine's fixed cost per step (with its layers' share)
    pass_extra: ArrayLike         # s: a prompt pass's further fixed cost (:func:`prompt_pass_extra_s`)
    bw_efficiency: ArrayLike
    flops_efficiency: ArrayLike
    expert_flops: ArrayLike = 0.0     # per token: 2 · routed expert params one token uses (0: dense)
    moe_gemm_tokens: ArrayLike = 0.0  # :data:`MOE_GEMM_TOKENS` of the engine
    moe_gemm_half: ArrayLike = 0.0    # :data:`MOE_GEMM_HALF` of the engine
    state: ArrayLike = 0.0            # recurrent state per sequence: read and written each step
    window_flops: ArrayLike = 0.0     # per (query, key) pair over the windowed layers, keys capped at ``window``
    kv_sparse: ArrayLike = 0.0        # cache bytes per token of which a step reads ``sparse_tokens`` at most
    sparse_flops: ArrayLike = 0.0     # per (query, key) pair where a query attends ``sparse_tokens`` keys at most
    sparse_tokens: ArrayLike = np.inf  # a sparse indexer's top-k, in tokens
    index_flops: ArrayLike = 0.0      # per (query, key) pair: the sparse indexer's scoring, over every key
    decode_attention_scale: ArrayLike = 1.0  # a decode step's attention FLOPs per pair over a prompt's (MLA absorbed
    #                                          in decode only: EngineProfile.mla_absorbed)
    attention_peak: ArrayLike = 1.0   # the attention math's peak as a share of the weights' (:func:`attention_peak`)
    attention_efficiency: ArrayLike = 0.5  # share of that peak attention sustains (:data:`FLOPS_EFFICIENCY`)
    stages: ArrayLike = 1.0           # pipeline stages: one micro-batch each, a send from each to the next
    stage_bytes: ArrayLike = 0.0      # bytes one token's hidden state takes on such a send (d x 2)
    score_bytes: ArrayLike = 0.0      # eager attention: bytes its scores move per (query, key) pair, full layers
    window_score_bytes: ArrayLike = 0.0   # ... over the windowed layers, keys capped at ``window``
    pipeline_overlap: ArrayLike = 1.0     # prompt passes a layer split's cards work on at once (llama.cpp's copies)
    mmvq_rate: ArrayLike = 0.0    # FLOP/s of llama.cpp's mat-vec kernel on each column past the first (0: none)
    mmq_load: ArrayLike = 0.0     # s per dense weight byte llama.cpp's tile kernel takes to convert (0: none)
    sol_flops: ArrayLike = 1.0    # the peak the engine's matmuls run on, over the preset's figure (speed of light)
    exposed: ArrayLike = 0.0      # share of the shorter of read and math not hidden under the longer (exposed_share)
    kv_reads: ArrayLike = 1.0     # times a step reads its cache (:func:`kv_reads`: eager attention on Metal)
    expert_token_reads: ArrayLike = 0.0  # a step of fewer tokens reads each token's experts apart (EXPERT_TOKEN_READS)
    expert_gather: ArrayLike = 0.0    # decode reads each token's k experts this many times (EXPERT_GATHER_READS)
    head_bytes: ArrayLike = 0.0   # the output layer's part of ``dense_bytes``, which a prompt's pass without a prompt's
    #                               last token does not read (0: every pass reads it; :func:`prompt_head_bytes`)
    host_extra_rows: ArrayLike = 0.0     # s: the host's further cost of a pass of several rows (bitsandbytes' layers)
    sample_s: ArrayLike = 0.0            # s: the host sampling one sequence's next token, each step (:data:`SAMPLE_S`)
    dequant_efficiency: ArrayLike = 0.0  # bandwidth share of bitsandbytes' dequantization and 16-bit matmuls
    dequant_weights: ArrayLike = 0.0     # weights a pass of several rows dequantizes to 16 bits first (bnb's 4-bit)
    dequant_bytes: ArrayLike = 0.0       # ... their bytes as stored (part of ``dense_bytes``)
    prompt_bw_efficiency: ArrayLike = 0.0  # the share a prompt's passes read at where not a step's (0: bw_efficiency)
    chunk: int | None = None      # prefill tokens per pass (the engine's chunk)


@memo_terms
def speed_terms(s: Scenario, mt: MemoryTerms | None = None) -> SpeedTerms:
    """The coefficients of ``s`` (see :class:`SpeedTerms`); ``mt``: its memory terms, if known."""
    a, prof = s.model.architecture, s.profile
    tp = s.tensor_parallel
    dense, expert, e, k = weights_read_terms(s)
    mt = mt or memory_terms(s)
    # a layer split or pipeline stages: the cards read their shares in turn, a step reads the whole model's
    whole = 1.0 / layer_share(s)
    p = count_params(a)
    split = tp > 1
    reread_full = reread_windowed = 1.0
    if a.kv_shared_layers:   # layers reusing an earlier layer's cache read it again: a layer of their kind each
        own_windowed, own_full = a.cache_layers
        if float(mt.kv_windowed) > 0:
            reread_windowed = a.sliding_window_layers / own_windowed
            reread_full = (a.attention_layers - a.sliding_window_layers) / own_full
        else:                # windowed layers counted with the full ones
            reread_full = a.attention_layers / (own_windowed + own_full)
    slots = kv_group_slots(s)
    if slots:     # the memory terms count the engine's padding layers, which a step does not read
        own_windowed, own_full = a.cache_layers
        reread_windowed, reread_full = reread_windowed * own_windowed / slots[0], reread_full * own_full / slots[1]
    paging = state_paging(s)
    if paging:    # states paged in the cache's blocks: a step reads the attention layers' cache (not the padding)
        reread_full *= a.attention_layers / (paging.attention_groups * paging.group)
    kv_full, kv_windowed = mt.kv_full * whole * reread_full, mt.kv_windowed * whole * reread_windowed
    windowed = np.isfinite(mt.window)
    window = float(a.sliding_window) if windowed else mt.window   # a step reads and attends to the window only
    per_pair = 2.0 * a.num_heads / tp     # a query-key product and a value product per head and width
    window_flops = per_pair * a.sliding_window_layers * (a.head_dim + a.v_head_dim) if windowed else 0.0
    # an MLA model's heads over the cached latent where the engine absorbs the key up-projection (prompts: the
    # heads the engine runs them on; a decode step's at ``decode_attention_scale`` times theirs)
    mode = mla_absorbed(s)
    absorbed = a.mla is not None and a.compressed is None and mode != "never"
    prompt_dims = a.absorbed_head_dims if absorbed and mode == "always" else a.attention_head_dims
    decode_scale = a.absorbed_head_dims / prompt_dims if absorbed else 1.0
    _, expand_flops = mla_expansion(s)
    if expand_flops:   # HF's decode step up-projects every cached token's latent (kv_b_proj) before attending
        decode_scale += expand_flops / 2.0 / (prompt_dims / a.attention_layers)   # (per_pair counts 2 a product)
    full_flops = per_pair * prompt_dims - window_flops
    kv_sparse, sparse_flops, sparse_tokens, index_flops, x = 0.0, 0.0, np.inf, 0.0, a.indexer
    # an indexer scores every key, a product per head (on every rank); in FP8 (at twice the 16-bit tensor rate
    # attention runs at) where the engine keeps its keys so
    index_rate = 0.5 if prof.index_key_bytes else 1.0
    if x:   # in each layer that owns one
        index_flops = 2.0 * a.indexer_layers * x.heads * x.head_dim * index_rate
    if x and prof.sparse_attention:   # the indexer's keys read whole, the latent cache only at the top-k
        index_share = index_key_elements(a, s) / float(kv_elements_per_token_layer(a, s))
        kv_full, kv_sparse = kv_full * index_share, kv_full * (1.0 - index_share)
        full_flops, sparse_flops, sparse_tokens = 0.0, full_flops, float(x.topk)
    c = a.compressed
    if c:   # DeepSeek-V4: each compressed entry stands for `rate` tokens; per token of context a query attends to
        # 1/rate of an entry in each compressed layer, and the CSA layers' indexer scores all of theirs
        csa_flops = per_pair * c.csa_layers * 2 * a.head_dim / c.csa_rate
        full_flops += per_pair * c.hca_layers * 2 * a.head_dim / c.hca_rate
        index_flops = 2.0 * c.csa_layers * c.index_heads * c.index_head_dim / c.csa_rate * index_rate
        if prof.sparse_attention:   # a sparse kernel reads and attends to the top-k entries of a CSA layer only
            # (a step reads every layer's cache, card after card under a layer split: the whole model's)
            kv_sparse = compressed_kv_elements(a, s, sparse=True) * s.kv.bytes_per_element
            kv_full = kv_full - kv_sparse
            sparse_flops, sparse_tokens = csa_flops, float(c.index_topk * c.csa_rate)
        else:                       # top-k as a mask (HF): every entry read and scored
            full_flops += csa_flops
    score_bytes = window_score_bytes = 0.0
    if s.attention_impl == "eager":   # the score matrices cross memory (flash and sdpa keep them on chip)
        per_layer = EAGER_SCORE_TRAFFIC.get(speed_key(prof, s.gpu, s.host), 8.0) * a.num_heads / tp + prof.mask_bytes
        window_layers = a.sliding_window_layers if windowed else 0
        score_bytes = per_layer * (a.attention_layers - window_layers)
        window_score_bytes = per_layer * window_layers
    return SpeedTerms(
        dense_bytes=dense, expert_bytes=expert, num_experts=e, experts_per_token=k,
        kv_full=kv_full, kv_windowed=kv_windowed, window=window,
        state=state_bytes(s) * whole,     # (at its size: a paged pool's padding and spare blocks are not read)
        matmul_flops=2.0 * (p.active - p.embedding + p.tied_output) / tp,   # (a tied table: the output layer)
        attention_flops=full_flops, window_flops=window_flops, decode_attention_scale=decode_scale,
        allreduce_bytes=2.0 * (tp - 1) / tp * a.hidden_size * 2.0 if split else 0.0,
        allreduces=2.0 * a.compute_layers if split else 0.0, expert_flops=2.0 * p.experts_active / tp,
        kv_sparse=kv_sparse, sparse_flops=sparse_flops, sparse_tokens=sparse_tokens, index_flops=index_flops,
        attention_peak=attention_peak(s.gpu, s.weight_format), stages=float(s.stages),
        stage_bytes=a.hidden_size * 2.0, score_bytes=score_bytes, window_score_bytes=window_score_bytes,
        pipeline_overlap=pipeline_overlap(s), head_bytes=prompt_head_bytes(s),
        chunk=batch_defaults(prof, s.gpu)[1], **dequantized(s), **engine_terms(speed_key(prof, s.gpu, s.host), s),
        sample_s=SAMPLE_S.get(prof.id, 0.0),
        expert_gather=expert_gather(prof.id, s.weight_format, expert),
    )


def expert_gather(engine: str, fmt: WeightFormat, expert_bytes: float = 1.0) -> float:
    """:class:`SpeedTerms`' ``expert_gather``: :data:`EXPERT_GATHER_READS` where the engine's MoE decode gathers
    copies of the experts each token picks for weights in ``fmt`` (:func:`~vramgui.core.engines.gathers_experts`)
    and the model has routed experts (``expert_bytes``), else 0."""
    return EXPERT_GATHER_READS if expert_bytes and gathers_experts(engine, fmt) else 0.0


def dequantized(s: Scenario, fmt: WeightFormat | None = None) -> dict:
    """:class:`SpeedTerms`' ``dequant_weights`` and ``dequant_bytes``: the 4-bit linear weights a pass reads (the
    routed experts a token passes) where the engine runs them as bitsandbytes' layers (HF transformers' NF4), which
    a pass of several rows dequantizes before multiplying (:data:`BNB_DEQUANT_WEIGHTS_PER_S`); none elsewhere.
    ``fmt``: the weights' format (default the scenario's)."""
    fmt = fmt or s.weight_format
    a = s.model.architecture
    if fmt.kernel != "w4a16" or not bnb_linears(speed_key(s.profile, s.gpu, s.host), a, fmt):
        return {}
    # (the whole model's, card after card under a layer split, as weights_read_terms reads them; tensor parallel
    # splits them)
    weights = _linear_matrices(a, wide_experts(fmt))[1] / s.tensor_parallel
    return {"dequant_weights": weights, "dequant_bytes": weights * fmt.linear_bits / 8.0}


#: The fields of :class:`SpeedTerms` that the engine's row of the speed tables sets.
ENGINE_FIELDS = ("host_floor", "step_overhead", "pass_extra", "bw_efficiency", "flops_efficiency", "moe_gemm_tokens",
                 "moe_gemm_half", "attention_efficiency", "mmvq_rate", "mmq_load", "sol_flops", "exposed", "kv_reads",
                 "host_extra_rows", "dequant_efficiency", "prompt_bw_efficiency", "expert_token_reads")


def has_attention_rows(key: str) -> bool:
    """Whether the engine row ``key``'s attention share differs from its GEMMs' on some card (the fit table then
    gives each card its own)."""
    return key in ATTENTION_EFFICIENCY or key in ATTENTION_EFFICIENCY_BY_CARD


def own_attention_rate(key: str, gpu: GPU | None = None) -> bool:
    """Whether the engine row ``key``'s attention has a share of its own on ``gpu`` (:data:`ATTENTION_EFFICIENCY`,
    :data:`ATTENTION_EFFICIENCY_BY_CARD`), not the GEMMs'."""
    return key in ATTENTION_EFFICIENCY or (gpu is not None and gpu.id in ATTENTION_EFFICIENCY_BY_CARD.get(key, {}))


def attention_efficiency(key: str, gpu: GPU | None = None) -> float:
    """Share of its peak that the engine row ``key``'s attention sustains on ``gpu``."""
    by_card = ATTENTION_EFFICIENCY_BY_CARD.get(key, {})
    if gpu is not None and gpu.id in by_card:
        return by_card[gpu.id]
    return ATTENTION_EFFICIENCY.get(key, FLOPS_EFFICIENCY.get(key, 0.5))


def engine_terms(key: str, s: Scenario) -> dict:
    """The fields of :class:`SpeedTerms` that the engine's row ``key`` of the speed tables
    sets (:func:`speed_key`) on the scenario's card: the only ones that differ between cards
    for one scenario (with the compute efficiency, :func:`compute_efficiency`)."""
    a = s.model.architecture
    return dict(zip(ENGINE_FIELDS, (host_floor_s(key, a, s.weight_format), fixed_step_s(key, a),
                                    prompt_pass_extra_s(key, a),
                                    bandwidth_efficiency(key, s.weight_format, s.gpu),
                                    compute_efficiency(key, s.weight_format, s.gpu),
                                    MOE_GEMM_TOKENS.get(key, 0.0), MOE_GEMM_HALF.get(key, 0.0),
                                    attention_efficiency(key, s.gpu),
                                    *small_batch_kernels(key, s.weight_format, s.gpu),
                                    sol_compute_factor(key, s.weight_format, s.gpu),
                                    exposed_share(key, s.weight_format), kv_reads(key, s),
                                    host_extra_rows_s(key, a, s.weight_format),
                                    _share_of(key, "fp16", 16.0) if key in BNB_ROWS else 0.0,
                                    prompt_bandwidth_efficiency(key, s.weight_format, s.gpu),
                                    float(EXPERT_TOKEN_READS.get(key, 0))), strict=True))


def kv_reads(key: str, s: Scenario) -> float:
    """Times a decode step reads its KV cache on the engine row ``key``, at the weights' share of the bandwidth:
    once, except for eager attention on the rows of :data:`EAGER_KV_READS_PER_HEAD` (once per query head, at their
    share), on the rows of :data:`KV_READ_FACTOR` (their attention's slower read), and where the engine expands a
    cached MLA latent at every pass (HF transformers: :func:`~vramgui.core.engines.mla_expansion`'s bytes for each
    head on the card, over the latent's)."""
    expanded = mla_expansion_reads(s)   # (HF's pass expands the cached latent into every head's keys and values)
    if expanded != 1.0:
        return expanded
    per_head = EAGER_KV_READS_PER_HEAD.get(key)
    if not per_head or s.attention_impl != "eager":
        return KV_READ_FACTOR.get(key, 1.0)
    a = s.model.architecture
    return per_head * a.num_heads / a.num_kv_heads


def exposed_share(key: str, fmt: WeightFormat) -> float:
    """Share of the shorter of a step's weight read and math that the engine row ``key``'s kernels leave exposed
    beside the longer (:data:`EXPOSED_16BIT_SHARE`: llama.cpp's CUDA 16-bit matmuls); 0 elsewhere (the roofline's
    max, or the quantized kernels' own terms)."""
    return EXPOSED_16BIT_SHARE.get(key, 0.0) if _dense_16bit(fmt) else 0.0


def small_batch_kernels(key: str, fmt: WeightFormat, gpu: GPU | None) -> tuple[float, float]:
    """(FLOP/s of llama.cpp's mat-vec kernel on each column past the first, seconds its tile kernel takes to
    convert a byte of the dense weights) for the engine row ``key``'s quantized weights on ``gpu``
    (:data:`MMVQ_OPS_PER_SM_CLOCK`, :data:`MMQ_WEIGHTS_PER_SM_CLOCK`); (0, 0) where not modelled: other rows,
    16-bit dense weights (cuBLAS), cards without an int8 figure (SMs x clock unknown)."""
    per_sm = MMVQ_OPS_PER_SM_CLOCK.get(key)
    if not per_sm or gpu is None or fmt.linear_bits >= 16:
        return 0.0, 0.0
    sm_clocks = _apple_core_clocks_per_s(gpu) if key == "llamacpp-metal" else _sm_clocks_per_s(gpu)
    if not sm_clocks:
        return 0.0, 0.0
    return per_sm * sm_clocks, 8.0 / fmt.linear_bits / (sm_clocks * MMQ_WEIGHTS_PER_SM_CLOCK[key])


def sol_compute_factor(key: str, fmt: WeightFormat | None, gpu: GPU | None) -> float:
    """The peak the engine row ``key``'s matmuls run on, over the preset's figure for the format's math
    (:func:`peak_flops`): the speed of light's compute.  The int8 peak for rows that multiply quantized
    weights in int8 (:data:`INT8_RATE_EFFICIENCY`, on NVIDIA cards), the fp16-accumulate rate for rows that
    use it (:data:`FP16_ACCUMULATE_KEYS`); 1 elsewhere."""
    if gpu is None:
        return 1.0
    if key in FP16_ACCUMULATE_KEYS:
        return fp16_accumulate_ratio(gpu)
    if key in INT8_RATE_EFFICIENCY and _quantized(fmt) and not low_bit_math(gpu, fmt):
        return max(1.0, _int8_ratio(gpu) or 1.0)
    return 1.0


def _quantized(fmt: WeightFormat | None) -> bool:
    """Weights below 16 bits (ggml types, MXFP4 experts): llama.cpp runs them through its quantized kernels."""
    return fmt is not None and (fmt.expert_bits or fmt.linear_bits) < 16


def _dense_16bit(fmt: WeightFormat | None) -> bool:
    """16-bit weights throughout (fp16 / bf16): llama.cpp's CUDA build multiplies them with its 16-bit kernels."""
    return fmt is not None and fmt.kernel == "fp16" and not _quantized(fmt)


def host_floor_s(engine: str, a, fmt: WeightFormat | None = None) -> float:
    """The engine's (:func:`speed_key`) host launch loop per decode step [s]: a floor under
    the step's time; with ``fmt``, bitsandbytes' layers' cost in a pass of one row
    (:data:`BNB_LINEAR_KERNELS`)."""
    one = bnb_kernels(engine, a, fmt)[0]
    return HOST_S_PER_LAYER.get(engine, 0.0) * (host_layers(engine, a) + one / HF_LAYER_KERNELS)


def host_extra_rows_s(engine: str, a, fmt: WeightFormat | None) -> float:
    """What a pass of several rows costs the host beyond one row's (:func:`host_floor_s`) [s]: bitsandbytes'
    4-bit layers dequantize their weights then multiply them (:data:`BNB_LINEAR_KERNELS`); 0 elsewhere."""
    one, several = bnb_kernels(engine, a, fmt)
    return HOST_S_PER_LAYER.get(engine, 0.0) * (several - one) / HF_LAYER_KERNELS


def bnb_linears(engine: str, a, fmt: WeightFormat | None) -> int:
    """The quantized linear layers a token passes where the engine row runs ``fmt`` as bitsandbytes' layers
    (:data:`BNB_ROWS`, :data:`BNB_LINEAR_KERNELS`); 0 for other formats and engines."""
    if fmt is None or engine not in BNB_ROWS or fmt.id not in BNB_LINEAR_KERNELS:
        return 0
    return _linear_matrices(a, wide_experts(fmt))[0]


def bnb_kernels(engine: str, a, fmt: WeightFormat | None) -> tuple[float, float]:
    """Kernels' worth bitsandbytes' layers cost the host beyond 16-bit ones, (in a pass of one row, of several)
    (:data:`BNB_LINEAR_KERNELS` for each of :func:`bnb_linears`); (0, 0) elsewhere."""
    n = bnb_linears(engine, a, fmt)
    if not n:
        return 0.0, 0.0
    one, several = BNB_LINEAR_KERNELS[fmt.id]
    return n * one, n * several


def _linear_matrices(a, routed_apart: bool = False) -> tuple[int, float]:
    """(linear modules a token passes, their weights) as HF's bitsandbytes quantization replaces them
    (:func:`~vramgui.core.training.bnb_module_shapes`), with the routed experts a token passes (one matrix each), or
    without them with ``routed_apart`` (bitsandbytes under HF transformers leaves them 16-bit: formats.wide_experts)."""
    shapes = bnb_module_shapes(a)
    n, w = sum(n for _, _, n in shapes), float(sum(d_in * d_out * n for d_in, d_out, n in shapes))
    if not routed_apart and a.moe is not None and a.moe_layers:
        mats = 3 if a.gated_mlp else 2
        k = a.moe_layers * a.moe.experts_per_token
        n += k * mats
        w += float(k * mats * a.moe.expert_intermediate_size * a.expert_width)
    return n, w



def host_layers(engine: str, a) -> float:
    """``a``'s layers as the engine's host sees them [Llama layers]: for HF transformers, the
    kernels its layers launch over a Llama layer's (:data:`HF_LAYER_KERNELS`): RMSNorms beyond
    two and MoE blocks launch more; other engines' host loops count layers."""
    if engine not in HOST_BY_KERNELS:
        return a.compute_layers
    norms = a.extra_rms_norms + 2 * a.has_qk_norms
    return (a.compute_layers * (HF_LAYER_KERNELS + HF_NORM_KERNELS * norms)
            + a.moe_layers * HF_MOE_KERNELS) / HF_LAYER_KERNELS


def fixed_step_s(engine: str, a) -> float:
    """The engine's (:func:`speed_key`) fixed cost of one decode step [s]: per step, per
    layer, per MoE layer, per linear-attention layer."""
    return (STEP_OVERHEAD_S.get(engine, 0.0) + LAYER_S.get(engine, 0.0) * a.compute_layers
            + MOE_LAYER_S.get(engine, 0.0) * a.moe_layers + GDN_LAYER_S.get(engine, 0.0) * a.gated_deltanet_layers)


def prompt_pass_extra_s(engine: str, a) -> float:
    """The engine's (:func:`speed_key`) cost of one prompt pass beyond a decode step's [s]
    (:data:`GDN_PROMPT_LAYER_S` over the linear-attention layers)."""
    return GDN_PROMPT_LAYER_S.get(engine, 0.0) * a.gated_deltanet_layers


def weights_read_terms(s: Scenario, fmt: WeightFormat | None = None) -> tuple[float, float, float, float]:
    """(weight bytes a decode token reads besides the routed experts, bytes of one routed
    expert over the MoE layers, E, k), per card, with the weights in ``fmt`` (default the
    scenario's): the format-dependent part of :class:`SpeedTerms`.  Tensor parallel splits
    the bytes; a layer split reads the whole model, card after card."""
    a = s.model.architecture
    fmt = fmt or s.weight_format
    tp = s.tensor_parallel
    if a.moe is None or count_params(a).experts == 0:
        return active_weight_bytes(a, fmt) / tp, 0.0, 1.0, 1.0
    dense = active_weight_bytes(a, fmt, 0.0)
    expert = active_weight_bytes(a, fmt, 1.0) - dense
    return dense / tp, expert / tp, float(a.moe.num_experts), float(a.moe.experts_per_token)


def prompt_head_bytes(s: Scenario, fmt: WeightFormat | None = None, whole: float | None = None) -> float:
    """Bytes of the output layer per card with the weights in ``fmt`` (default the scenario's; ``whole``: the
    whole model's output layer in that format, where the caller has it), where the engine
    runs it on each prompt's last token only (``prompt_logits_last``: the sampler wants that token's logits alone;
    llama.cpp since 2024, vLLM, SGLang, HF transformers' generate with logits_to_keep), so that a prompt's pass
    holding no such token does not read it; 0 where every pass does.  Tensor parallel splits the layer (its
    vocabulary); a layer split's last card holds it whole.  (The FLOPs stay 2 · P_active a token, the count the
    prompt efficiencies were fitted to: a compute-bound pass is timed as calibrated.)"""
    if not s.profile.prompt_logits_last:
        return 0.0
    if whole is None:
        a = s.model.architecture
        p = count_params(a)
        whole = output_layer_bytes(a, weight_bytes(a, fmt or s.weight_format, p), p)
    return whole / s.tensor_parallel


def stack_speed_terms(terms: list[SpeedTerms], shape: tuple[int, ...]) -> SpeedTerms:
    """One :class:`SpeedTerms` whose fields are arrays of ``shape`` (entries in C order); the
    engine's chunk must be common to all."""
    chunks = {t.chunk for t in terms}
    if len(chunks) > 1:
        raise ValueError("stacked speed terms need one prefill chunk (one engine)")
    fields = [f for f in SpeedTerms.__dataclass_fields__ if f != "chunk"]
    return SpeedTerms(**{f: np.array([getattr(t, f) for t in terms], dtype=np.float64).reshape(shape)
                         for f in fields}, chunk=chunks.pop() if chunks else None)


def expert_union(t: SpeedTerms, tokens: ArrayLike) -> np.ndarray:
    """Expected distinct routed experts per MoE layer that ``tokens`` tokens touch, with uniform routing:
    ``E·(1 − (1 − k/E)^n)`` (1 for a dense model, whose expert bytes are 0)."""
    return experts_touched(t.num_experts, t.experts_per_token, tokens)


def experts_touched(num_experts: ArrayLike, experts_per_token: ArrayLike, tokens: ArrayLike) -> np.ndarray:
    """:func:`expert_union` of ``num_experts`` experts, ``experts_per_token`` a token (the offload plans' decode
    reads them too: a step of several sequences reads each expert its tokens touch, in RAM as on the card)."""
    return num_experts * (1.0 - (1.0 - experts_per_token / num_experts) ** np.asarray(tokens, dtype=np.float64))


def _experts_touched(t: SpeedTerms, batch: np.ndarray, decode: bool = False) -> np.ndarray:
    """Expert reads per MoE layer a step of ``batch`` tokens makes: their union (:func:`expert_union`); where the
    engine reads each token's experts apart below ``expert_token_reads`` tokens (:data:`EXPERT_TOKEN_READS`),
    ``k·b`` reads there; in a ``decode`` step where the engine gathers copies of them (``expert_gather``:
    :data:`EXPERT_GATHER_READS`), ``k·b`` that many times."""
    union = expert_union(t, batch)
    b = np.asarray(batch, dtype=np.float64)
    if not _zero(t.expert_token_reads):
        apart = t.experts_per_token * np.where(b >= 2.0, b * EXPERT_TOKEN_READ_COST, b)
        union = np.where(b < t.expert_token_reads, apart, union)
    if decode and not _zero(t.expert_gather):
        union = np.where(np.asarray(t.expert_gather) > 0, t.experts_per_token * b * t.expert_gather, union)
    return union


def _weights_read(t: SpeedTerms, batch: ArrayLike, decode: bool = False) -> np.ndarray:
    b = np.asarray(batch, dtype=np.float64)
    return t.dense_bytes + t.expert_bytes * _experts_touched(t, b, decode)


def _allreduce(t: SpeedTerms, tokens: np.ndarray, link: float, latency: float) -> np.ndarray:
    """The tensor-parallel all-reduces, and the sends of the hidden states from each pipeline
    stage to the next (a small message, taken at the link's all-reduce latency)."""
    out = t.allreduces * (t.allreduce_bytes * tokens / link + latency)
    sends = t.stages - 1.0
    if _zero(sends):
        return out
    return out + sends * (t.stage_bytes * tokens / link + latency)


@dataclass(frozen=True)
class StepParts:
    """What one step moves and computes, per card: the pieces the roofline weighs (the
    explain panel shows them with the same numbers the estimate uses)."""

    bytes_moved: np.ndarray      # weights read (+ the filled KV cache, decode)
    matmul_flops: np.ndarray     # 2 · P_active per token
    attention_flops: np.ndarray  # query × key products
    allreduce_s: np.ndarray      # the tensor-parallel all-reduces and the pipeline stages' sends
    passes: np.ndarray           # forward passes (prefill chunks; 1 for decode)
    slow_flops: ArrayLike = 0.0  # FLOPs the small expert GEMMs take beyond their count (prefill)
    score_bytes: ArrayLike = 0.0  # eager attention's score matrices, written and read after the matmuls
    column_s: ArrayLike = 0.0     # llama.cpp's mat-vec kernel (MMVQ) on the columns past the first [s]
    load_s: ArrayLike = 0.0       # its tile kernel (MMQ) converting the dense weights [s]
    kernel: ArrayLike = 0.0       # 0: the roofline; 1: the faster of MMVQ and MMQ; 2: MMQ (:func:`_kernels`)
    host_extra: ArrayLike = 0.0       # the host's cost of its passes of several rows beyond the floor's [s]
    dequant_weights: ArrayLike = 0.0  # weights dequantized to 16 bits before their matmuls (:func:`dequant_time`)
    dequant_bytes: ArrayLike = 0.0    # ... their bytes as stored (read by the dequantization, not in bytes_moved)
    pass_extra_s: ArrayLike = 0.0     # the prompt passes' fixed cost beyond a step's (:func:`prompt_pass_extra_s`) [s]
    sample_s: ArrayLike = 0.0         # the host sampling every sequence's next token (decode; :data:`SAMPLE_S`) [s]


def decode_parts(t: SpeedTerms, batch: ArrayLike, context: ArrayLike, link, latency) -> StepParts:
    """One decode step at ``batch`` sequences of ``context`` tokens.  A recurrent state
    (Gated DeltaNet, Mamba-2) is read and written back whole by every step; its update's
    FLOPs (about ``7 · h_v · d_k · d_v`` a layer, under 2 % of Qwen3-Next's ``2 · P_active``)
    are left out.  Pipeline stages (``stages``) split the batch: a sequence's step is one
    micro-batch's pass through every stage."""
    b = _micro_batch(t, batch)
    c = np.asarray(context, dtype=np.float64)
    kv = ((t.kv_full * c + _capped(t.kv_windowed, c, t.window)) * t.kv_reads
          + _capped(t.kv_sparse, c, t.sparse_tokens) + 2.0 * t.state) * b   # the cache filled
    attention = decode_attention_flops(t, c)
    scores = 0.0 if _zero(t.score_bytes) and _zero(t.window_score_bytes) else \
        (t.score_bytes * c + _capped(t.window_score_bytes, c, t.window)) * b
    several = _several_rows(t, b, 1.0)
    return StepParts(bytes_moved=_weights_read(t, b, decode=True) + kv - several.get("dequant_bytes", 0.0),
                     matmul_flops=t.matmul_flops * b, attention_flops=attention * b,
                     allreduce_s=_allreduce(t, b, link, latency), passes=np.ones_like(b), score_bytes=scores,
                     sample_s=0.0 if _zero(t.sample_s) else t.sample_s * np.asarray(batch, dtype=np.float64),
                     **_kernels(t, b, 1.0), **several)


def decode_attention_flops(t: SpeedTerms, context: ArrayLike) -> ArrayLike:
    """A decode step's attention FLOPs for one sequence of ``context`` tokens, over every layer: the full layers'
    keys, the windowed layers' up to their window, a sparse indexer's top-k and its scoring of every key."""
    c = np.asarray(context, dtype=np.float64)
    return ((t.attention_flops * c + _capped(t.sparse_flops, c, t.sparse_tokens)) * t.decode_attention_scale
            + _capped(t.window_flops, c, t.window) + _some(t.index_flops, c))


def _several_rows(t: SpeedTerms, rows: ArrayLike, passes: ArrayLike) -> dict:
    """:class:`StepParts`' fields for bitsandbytes' layers (none elsewhere): ``passes`` forward passes of ``rows``
    tokens each; a pass of several rows costs the host more (``host_extra_rows``) and, for 4-bit weights,
    dequantizes them to 16 bits and multiplies those (:func:`dequant_time`) instead of reading them in its
    mat-vec (the stored bytes, ``dequant_bytes``, leave ``bytes_moved``: the dequantization reads them)."""
    if _zero(t.host_extra_rows) and _zero(t.dequant_weights):
        return {}
    several = np.asarray(rows, dtype=np.float64) > 1.0
    out = {"host_extra": np.where(several, t.host_extra_rows * passes, 0.0)}
    if not _zero(t.dequant_weights):
        out.update(dequant_weights=np.where(several, t.dequant_weights * passes, 0.0),
                   dequant_bytes=np.where(several, t.dequant_bytes * passes, 0.0))
    return out


def dequant_time(t: SpeedTerms, parts: StepParts, bandwidth: ArrayLike) -> ArrayLike:
    """The time [s] bitsandbytes' passes of several rows take to dequantize their 4-bit weights (the stored bytes
    read and 16 bits written, at the bandwidth's share or :data:`BNB_DEQUANT_WEIGHTS_PER_S`, whichever is slower)
    and to read those 16 bits in their matmuls; 0 where none are dequantized."""
    if _zero(parts.dequant_weights):
        return 0.0
    w, bw = parts.dequant_weights, np.asarray(bandwidth, dtype=np.float64) * t.dequant_efficiency
    return np.maximum((parts.dequant_bytes + 2.0 * w) / bw, w / BNB_DEQUANT_WEIGHTS_PER_S) + 2.0 * w / bw


def _kernels(t: SpeedTerms, columns: ArrayLike, passes: ArrayLike) -> dict:
    """:class:`StepParts`' fields for llama.cpp's quantized kernels (none where ``t`` has no rate for them:
    other engines, 16-bit weights, per card in the fit table): ``passes`` forward passes of ``columns`` tokens
    (sequences in a decode step, a prompt's tokens in a pass) run its mat-vec kernel MMVQ from 2 to
    :data:`MMVQ_MAX_COLUMNS`, paying for each column past the first (or MMQ, if faster), and MMQ above, which
    converts the dense weights before its math (the routed experts' small GEMMs carry theirs in
    :data:`MOE_GEMM_TOKENS`); 1 column is the plain roofline."""
    if _zero(t.mmvq_rate):
        return {}
    rate = np.asarray(t.mmvq_rate, dtype=np.float64)
    n = np.asarray(columns, dtype=np.float64)
    modelled = (n >= 2.0) & (rate > 0)
    mmvq = modelled & (n <= MMVQ_MAX_COLUMNS)
    return {"column_s": np.where(mmvq, passes * (n - 1.0) * t.matmul_flops / np.where(rate > 0, rate, 1.0), 0.0),
            "load_s": t.dense_bytes * passes * t.mmq_load, "kernel": np.where(mmvq, 1.0, np.where(modelled, 2.0, 0.0))}


def _micro_batch(t: SpeedTerms, batch: ArrayLike) -> np.ndarray:
    """Sequences one pipeline micro-batch carries: ``batch`` spread over the stages, each stage
    busy with one micro-batch while the others work on theirs (all of it without stages)."""
    b = np.asarray(batch, dtype=np.float64)
    return b if _zero(t.stages - 1.0) else np.ceil(b / t.stages)


def _zero(x: ArrayLike) -> bool:
    """``x`` is 0 (in every entry of a stack): its term drops out (skipped: the window and sparse terms
    belong to a few models, and the charts evaluate these formulas thousands of times a second)."""
    return x == 0.0 if isinstance(x, float) else not np.any(x)


def _some(coef: ArrayLike, x: ArrayLike) -> ArrayLike:
    return 0.0 if _zero(coef) else coef * x


def _capped(coef: ArrayLike, x: ArrayLike, cap: ArrayLike) -> ArrayLike:
    """``coef · min(x, cap)``: a window or a top-k bounds what a step reads and attends to."""
    return 0.0 if _zero(coef) else coef * np.minimum(x, cap)


def _pairs(p: ArrayLike, cap: ArrayLike) -> np.ndarray:
    """Causal (query, key) pairs of a ``p``-token prompt when a query sees at most ``cap`` keys:
    query i sees min(i, cap)."""
    m = np.minimum(p, cap)
    return m * m / 2.0 + (p - m) * m


def prefill_parts(t: SpeedTerms, prompt: ArrayLike, batch: ArrayLike, link, latency,
                  cached: ArrayLike = 0.0) -> StepParts:
    """The prefill of ``batch`` prompts of ``prompt`` tokens, in passes of the engine's chunk
    (pipeline stages work on their share of the prompts at once: one prompt takes its pass
    through every stage).

    ``cached``: tokens of each sequence already in the KV cache (an earlier turn of a chat, a
    prefix the engine kept; llama-bench's ``-d``).  The new tokens attend to them as well: a
    query at position i sees i keys, so the pairs are ``p · cached + p² / 2``; and each pass
    that holds a sequence's new tokens reads that sequence's cached keys and values once (a
    1-token prompt then costs what a decode step at that context does).  A pass holding no
    sequence's last prompt token skips the output layer where the engine runs it on that token
    only (``head_bytes``): memory-bound passes of a few tokens read less."""
    p = np.maximum(np.asarray(prompt, dtype=np.float64), 1.0)
    c = np.asarray(cached, dtype=np.float64)
    b = _micro_batch(t, batch)
    tokens = p * b
    passes = np.ceil(tokens / t.chunk) if t.chunk else np.ones_like(tokens)
    touched = np.minimum(tokens, t.chunk) if t.chunk else tokens
    causal = tokens * (c + p / 2.0)     # every query sees the cached keys and those before it (the causal half)
    attention = (t.attention_flops + t.index_flops) * causal
    if not _zero(t.window_flops):
        attention = attention + t.window_flops * (_pairs(c + p, t.window) - _pairs(c, t.window)) * b
    if not _zero(t.sparse_flops):
        attention = attention + t.sparse_flops * (_pairs(c + p, t.sparse_tokens) - _pairs(c, t.sparse_tokens)) * b
    several = _several_rows(t, touched, passes)
    read = _weights_read(t, touched) * passes - several.get("dequant_bytes", 0.0)
    if not _zero(t.head_bytes):   # (the passes holding a sequence's last token: one per sequence at most)
        read = read - t.head_bytes * (passes - np.minimum(passes, b))
    if np.any(c):   # every sequence's cache, once per pass its prompt spans (once where a pass holds several)
        spans = np.ceil(p / t.chunk) if t.chunk else 1.0
        read = read + ((t.kv_full * c + _capped(t.kv_windowed, c, t.window)) * t.kv_reads
                       + _capped(t.kv_sparse, c, t.sparse_tokens)) * b * spans
    scores = 0.0
    if not (_zero(t.score_bytes) and _zero(t.window_score_bytes)):
        # eager attention scores every key of a pass's cache for each query, the masked ones too: a pass of u of
        # the prompt's tokens sees the cached ones and the prompt up to its own end
        u = np.minimum(p, t.chunk) if t.chunk else p
        scores = t.score_bytes * tokens * (c + (p + u) / 2.0)
        if not _zero(t.window_score_bytes):
            scores = scores + t.window_score_bytes * (_pairs(c + p, t.window) - _pairs(c, t.window)) * b
    return StepParts(bytes_moved=read, matmul_flops=t.matmul_flops * tokens, attention_flops=attention,
                     allreduce_s=_allreduce(t, tokens, link, latency), passes=passes,
                     slow_flops=_slow_expert_flops(t, touched, passes, tokens),
                     score_bytes=scores, pass_extra_s=t.pass_extra * passes, **_kernels(t, touched, passes),
                     **several)


def _slow_expert_flops(t: SpeedTerms, touched: ArrayLike, passes: ArrayLike, tokens: ArrayLike) -> ArrayLike:
    """FLOPs the routed experts' small GEMMs take beyond their count in ``passes`` passes of ``touched`` tokens
    (``tokens`` in all): at ``m / (m + half)`` of the large-GEMM rate (:data:`MOE_GEMM_HALF`); or (llama.cpp's
    kernels, :data:`MOE_GEMM_TOKENS`) each expert a pass touches costs as if it had ``sat`` tokens, where a pass
    of few tokens touches fewer experts than there are (:func:`expert_union`)."""
    if _zero(t.expert_flops):
        return 0.0
    sat = np.asarray(t.moe_gemm_tokens, dtype=np.float64)
    general = None if np.all(sat > 0) else t.expert_flops * tokens * (1.0 / expert_gemm_efficiency(t, touched) - 1.0)
    if not np.any(sat > 0):
        return general
    n = np.asarray(touched, dtype=np.float64)
    per_expert = t.expert_flops / t.experts_per_token      # FLOPs a token takes in one expert
    saturating = per_expert * np.maximum(0.0, expert_union(t, n) * sat - n * t.experts_per_token) * passes
    return saturating if general is None else np.where(sat > 0, saturating, general)


def expert_gemm_efficiency(t: SpeedTerms, tokens: ArrayLike) -> np.ndarray:
    """Share of the large-GEMM efficiency that the routed experts' GEMMs reach with ``tokens``
    per pass: each expert gets ``m = tokens · k / E`` of them; ``m / (m + half)`` on the rows of
    :data:`MOE_GEMM_HALF`, ``min(1, m / sat)`` on those of :data:`MOE_GEMM_TOKENS`, 1 on an engine
    without either figure (a dense model's ``expert_flops`` are 0: the share slows nothing)."""
    per_expert = np.asarray(tokens, dtype=np.float64) * t.experts_per_token / t.num_experts
    sat = np.asarray(t.moe_gemm_tokens, dtype=np.float64)
    half = np.asarray(t.moe_gemm_half, dtype=np.float64)
    linear = np.where(sat > 0, np.minimum(1.0, per_expert / np.where(sat > 0, sat, 1.0)), 1.0)
    return np.where(half > 0, per_expert / (per_expert + half), linear)


def _device_times(t: SpeedTerms, parts: StepParts, card: tuple, efficient: bool):
    """(memory, matmul, attention) times [s] of ``parts`` on ``card``, at the engine's efficiencies or (speed of
    light) at 1 on the peak its matmuls run on."""
    bw, peak = (np.asarray(x, dtype=np.float64) for x in card[:2])
    eb = t.bw_efficiency if efficient else 1.0
    ef = t.flops_efficiency if efficient else t.sol_flops
    ea = t.attention_efficiency if efficient else 1.0
    slow = parts.slow_flops if efficient else 0.0
    moved = parts.bytes_moved if efficient else parts.bytes_moved + parts.dequant_bytes
    return (moved / (bw * eb), (parts.matmul_flops + slow) / (peak * ef),
            parts.attention_flops / (peak * t.attention_peak * ea))


def _kernel_times(parts: StepParts, t_mem, t_matmul, t_attention, plain):
    """(MMVQ, MMQ) times [s] of llama.cpp's quantized kernels (:func:`_kernels`): the roofline plus MMVQ's cost per
    column, and MMQ's math after the longest of the read, the attention and its conversion of the weights."""
    return (plain + parts.column_s,
            np.maximum(np.maximum(t_mem, t_attention), parts.load_s) + t_matmul + parts.allreduce_s)


def _roofline(t: SpeedTerms, parts: StepParts, card: tuple, efficient: bool):
    """(time [s], compute-bound flag): the slower of memory and compute, plus the all-reduces;
    with ``efficient`` the engine's efficiencies, host floor and per-step cost."""
    t_mem, t_matmul, t_attention = _device_times(t, parts, card, efficient)
    t_comp = t_matmul + t_attention
    time = np.maximum(t_mem, t_comp) + parts.allreduce_s
    if efficient and not _zero(t.exposed):     # (llama.cpp's 16-bit matmuls)
        time = time + _exposed(t, t_mem, t_comp)
    if efficient and not _zero(parts.kernel):   # llama.cpp's quantized kernels at several sequences
        mmvq, mmq = _kernel_times(parts, t_mem, t_matmul, t_attention, time)
        time = np.where(parts.kernel == 2.0, mmq, np.where(parts.kernel == 1.0, np.minimum(mmvq, mmq), time))
    if not _zero(parts.score_bytes):     # (eager attention only: the charts evaluate this thousands of times)
        time = time + parts.score_bytes / (np.asarray(card[0], dtype=np.float64)
                                           * (t.bw_efficiency if efficient else 1.0))
    if efficient:
        time = time + dequant_time(t, parts, card[0])
        time = engine_time(time, t.host_floor * parts.passes + parts.host_extra,
                           t.step_overhead * parts.passes + parts.pass_extra_s + parts.sample_s)
    return time, t_comp >= t_mem


def _exposed(t: SpeedTerms, t_mem, t_comp):
    return t.exposed * np.minimum(t_mem, t_comp)


def exposed_time(t: SpeedTerms, parts: StepParts, card: tuple) -> float:
    """The part of a step's read or math that the engine's kernels leave exposed beside the other
    (:func:`exposed_share`) [s], as the estimate of ``parts`` (one scenario) adds it; 0 where it has none."""
    if _zero(t.exposed):
        return 0.0
    t_mem, t_matmul, t_attention = _device_times(t, parts, card, True)
    return float(_exposed(t, t_mem, t_matmul + t_attention))


def kernel_used(t: SpeedTerms, parts: StepParts, card: tuple) -> str | None:
    """Which of llama.cpp's quantized kernels the estimate of ``parts`` (one scenario) takes: "mmvq", "mmq",
    or None where :func:`_kernels` gives none (the plain roofline)."""
    kernel = float(parts.kernel)
    if kernel == 0.0:
        return None
    if kernel == 2.0:
        return "mmq"
    t_mem, t_matmul, t_attention = _device_times(t, parts, card, True)
    mmvq, mmq = _kernel_times(parts, t_mem, t_matmul, t_attention,
                              np.maximum(t_mem, t_matmul + t_attention) + parts.allreduce_s)
    return "mmvq" if float(mmvq) <= float(mmq) else "mmq"


def engine_time(device_s: ArrayLike, host_floor: ArrayLike, step_overhead: ArrayLike) -> np.ndarray:
    """A step's time from the devices' time: the host's launch loop (:func:`host_floor_s`)
    bounds it from below, then the engine's fixed cost (:func:`fixed_step_s`) is added."""
    return np.maximum(device_s, host_floor) + step_overhead


def decode_from_terms(t: SpeedTerms, batch: ArrayLike, context: ArrayLike, card: tuple, efficient: bool = True):
    """(step time [s], compute-bound flag) of one decode step from the coefficients.
    ``card`` = (bandwidth bytes/s, peak FLOP/s, link bytes/s, all-reduce latency s).  The speed of light
    (``efficient`` False) reads each expert the batch touches once, whatever the engine's kernels do."""
    link, lat = (np.asarray(x, dtype=np.float64) for x in card[2:])
    t = t if efficient else _hardware_reads(t)
    return _roofline(t, decode_parts(t, batch, context, link, lat if efficient else 0.0), card, efficient)


def _hardware_reads(t: SpeedTerms) -> SpeedTerms:
    """``t`` reading each touched expert once, the speed of light's way (the engine's per-token reads and gathered
    copies aside)."""
    if _zero(t.expert_token_reads) and _zero(t.expert_gather):
        return t
    return replace(t, expert_token_reads=0.0, expert_gather=0.0)


def prefill_from_terms(t: SpeedTerms, prompt: ArrayLike, batch: ArrayLike, card: tuple,
                       efficient: bool = True, cached: ArrayLike = 0.0) -> np.ndarray:
    """Time to first token [s] for ``batch`` prompts of ``prompt`` tokens after ``cached``
    tokens already in the cache (:func:`prefill_parts`), from the coefficients (the speed of light reads each
    touched expert once, as :func:`decode_from_terms`'s)."""
    link, lat = (np.asarray(x, dtype=np.float64) for x in card[2:])
    t = t if efficient else _hardware_reads(t)
    parts = prefill_parts(t, prompt, batch, link, lat if efficient else 0.0, cached)
    return _roofline(prompt_terms(t) if efficient else t, parts, card, efficient)[0] * overlap_factor(t, parts.passes)


def prompt_terms(t: SpeedTerms) -> SpeedTerms:
    """``t`` with the bandwidth share a prompt's passes read at (:func:`prompt_bandwidth_efficiency`: a step's
    mat-vec may be capped where a prompt's GEMMs are not)."""
    if _zero(t.prompt_bw_efficiency):
        return t
    return replace(t, bw_efficiency=np.where(np.asarray(t.prompt_bw_efficiency) > 0, t.prompt_bw_efficiency,
                                             t.bw_efficiency))


#: Prompt passes (micro-batches) that one call of llama.cpp's decode holds: its default logical batch of
#: 2,048 tokens over micro-batches of 512 (common.h: n_batch 2048, n_ubatch 512).  The pipeline of a layer
#: split fills and drains within a call.
PIPELINE_PASSES_PER_CALL = 4


def overlap_factor(t: SpeedTerms, passes: ArrayLike) -> ArrayLike:
    """The share of its passes' sequential time a prompt takes where a layer split's cards work on
    several passes at once (:func:`pipeline_overlap`): in each call of q passes the first crosses
    every card and each next one finishes a card's share later: ``(1 + (q - 1) / m) / q`` with ``m``
    in flight and q at most :data:`PIPELINE_PASSES_PER_CALL`."""
    if _zero(t.pipeline_overlap - 1.0):
        return 1.0
    q = np.minimum(np.asarray(passes, dtype=np.float64), PIPELINE_PASSES_PER_CALL)
    return (1.0 + (q - 1.0) / t.pipeline_overlap) / q


def pipeline_overlap(s: Scenario) -> float:
    """Prompt passes a layer split's cards work on at once: llama.cpp's pipeline parallelism keeps
    ``pipeline_copies`` of a pass's inputs, so up to that many passes are in flight, one on each card
    (ggml-org/llama.cpp PR #6017); 1 for one card and for other engines."""
    p = s.profile
    return float(min(s.n_gpus, p.pipeline_copies)) if p.parallel == "layer" and s.n_gpus > 1 else 1.0


# --- the scenario's own card ---------------------------------------------------------------------

def link_of(gpu) -> tuple[float, float]:
    """(bytes/s per direction, all-reduce latency s) of the card's interconnect."""
    link = (gpu.interconnect_gb_s or DEFAULT_LINK_GB_S) * 1e9
    kind = "nvlink" if gpu.interconnect and "nvlink" in gpu.interconnect.lower() else "pcie"
    return link, ALLREDUCE_LATENCY_S[kind]


def peak_flops(gpu, fmt: WeightFormat) -> float:
    """Peak FLOP/s for the format's math; inf when the card has no sourced figure, so the
    compute term drops out (results say ``compute_known=False``)."""
    return gpu.peak_flops(fmt.kernel) or float("inf")


#: Weight math that runs faster than the 16-bit tensor rate attention keeps to (:func:`attention_peak`): fp4 where the
#: card has FP4 tensor cores (:func:`low_bit_math`).
LOW_BIT_KERNELS = ("fp8", "int8", "fp4")


def fp4_math(gpu, fmt: WeightFormat | None) -> bool:
    """Whether ``fmt``'s matmuls run on ``gpu``'s FP4 tensor cores: NVFP4 weights (kernel "fp4") on a card with an
    FP4 figure (Blackwell); elsewhere they run weight-only, at the 16-bit rate."""
    return fmt is not None and fmt.kernel == "fp4" and bool(gpu.fp4_tensor_tflops)


def low_bit_math(gpu, fmt: WeightFormat | None) -> bool:
    """Whether ``fmt``'s matmuls run on a math below 16 bits on ``gpu``: fp8 or int8 weights (W8A8), NVFP4's where
    the card multiplies them in FP4 (:func:`fp4_math`)."""
    return fmt is not None and fmt.kernel in LOW_BIT_KERNELS and (fmt.kernel != "fp4" or fp4_math(gpu, fmt))


def attention_peak(gpu, fmt: WeightFormat) -> float:
    """The peak of the math attention runs on as a share of the weight format's (:func:`peak_flops`).
    Attention multiplies activations by the cached keys and values, not by weights: FlashAttention's
    kernels run in fp16 / bf16 whatever the weights' format (an fp32 model's in fp32), so an fp8 or
    int8 model's attention runs at the 16-bit tensor rate, half its matmuls' on most cards (1 where
    the card gives one figure for both, or none); on a card whose matmuls run on dp4a (:func:`dp4a_peak`) it runs
    in fp32 on the CUDA cores, a quarter of that rate (:data:`DP4A_OPS_PER_FP32_OP`)."""
    if dp4a_peak(gpu, fmt):
        return 1 / DP4A_OPS_PER_FP32_OP
    if not low_bit_math(gpu, fmt):
        return 1.0
    weights, sixteen = gpu.peak_flops(fmt.kernel), gpu.peak_flops("fp16")
    return sixteen / weights if weights and sixteen else 1.0


#: dp4a does four int8 multiply-adds a core a clock (8 operations), an fp32 fused multiply-add one (2): on a card
#: whose peak for the weights is its dp4a rate (no tensor cores), attention's fp32 math runs at a quarter of it.
DP4A_OPS_PER_FP32_OP = 4


def dp4a_peak(gpu, fmt: WeightFormat) -> bool:
    """Whether the card's peak for ``fmt``'s weights (:func:`peak_flops`) is its dp4a rate (the preset's
    ``int8_dp4a_tops``): GGUF weights on a card with no 16-bit tensor figure, as ``GPU.peak_flops`` falls back."""
    return fmt is not None and fmt.kernel == "gguf" and bool(gpu.int8_dp4a_tops) and gpu.peak_flops("fp16") is None


def card_of(s: Scenario) -> tuple[float, float, float, float]:
    """(bandwidth bytes/s, peak FLOP/s, link bytes/s, all-reduce latency s) of ``s``'s card."""
    return (s.gpu.bandwidth_bytes_per_s, peak_flops(s.gpu, s.weight_format), *link_of(s.gpu))


def decode_step(s: Scenario, batch: ArrayLike, context: ArrayLike, efficient: bool = True,
                card: tuple | None = None):
    """(step time [s], compute-bound flag) for one decode step.

    ``card`` = (bandwidth bytes/s, peak FLOP/s, link bytes/s, all-reduce latency s) as
    scalars or per-card arrays, to evaluate many cards in one call (default: the
    scenario's card)."""
    return decode_from_terms(speed_terms(s), batch, context, card or card_of(s), efficient)


def prompt_split(prompt: ArrayLike, cached: float) -> tuple[np.ndarray, np.ndarray]:
    """(tokens to prefill, tokens already in the cache) of ``prompt``-token prompts whose first
    ``cached`` tokens the cache holds (:attr:`Scenario.cached_tokens`): the last token is always
    prefilled, its logits start the output."""
    p = np.asarray(prompt, dtype=np.float64)
    c = np.minimum(float(cached), np.maximum(p - 1.0, 0.0))
    return p - c, c


def prefill_time(s: Scenario, prompt: ArrayLike, batch: ArrayLike, efficient: bool = True) -> np.ndarray:
    """Time to first token [s] for ``batch`` prompts of ``prompt`` tokens, of which the first
    :attr:`Scenario.cached_tokens` are already in the KV cache (:func:`prompt_split`)."""
    new, cached = prompt_split(prompt, s.cached_tokens)
    return prefill_from_terms(speed_terms(s), new, batch, card_of(s), efficient, cached)


@lru_cache(maxsize=64)
def log_sweep(lo: float, hi: float, points: int) -> np.ndarray:
    """Integers from ``lo`` to ``hi`` spread evenly on a log scale (``points`` of them, fewer
    where they round to the same), read-only: kept, the charts sweep the same few ranges."""
    out = np.unique(np.geomspace(lo, hi, points).round())
    out.setflags(write=False)
    return out


def knee_batch(s: Scenario, context: float | None = None, terms: SpeedTerms | None = None,
               efficient: bool = True) -> float:
    """Smallest batch at which decode turns compute bound (inf if it never does below 2^20).

    Searched on the expected roofline (the engine's shares of bandwidth and FLOP/s), where
    the solid curves bend and where :attr:`SpeedResult.decode_bound` says "compute"; with
    ``efficient=False`` on the speed of light's, where the ridge is a property of the card
    (peak FLOP/s ÷ bandwidth) and the model alone.  The two differ by the ratio of the
    shares: at long contexts, where each sequence adds nearly as many bytes to read as
    math to do, the expected decode can turn compute bound where the speed of light never
    does.  ``terms``: the scenario's :func:`speed_terms`, if known."""
    c = float(s.context_tokens if context is None else context)
    t, card = terms or speed_terms(s), card_of(s)
    grid = log_sweep(1, 2**20, 512)
    _, bound = decode_from_terms(t, grid, c, card, efficient=efficient)
    if not bound.any():
        return float("inf")
    i = int(np.argmax(bound))
    lo = 1.0 if i == 0 else grid[i - 1]
    fine = np.arange(lo, grid[i] + 1)
    _, b2 = decode_from_terms(t, fine, c, card, efficient=efficient)
    return float(fine[int(np.argmax(b2))])


def estimate_speed(s: Scenario, batch: ArrayLike | None = None, context: ArrayLike | None = None,
                   prompt: ArrayLike | None = None, memory_max_batch: int | None = None,
                   with_knee: bool = True, with_prefill: bool = True) -> SpeedResult:
    """Decode and prefill speed for ``s``, swept over any of batch, context, prompt.

    ``context`` is the KV length a decode step attends to (default prompt + output, the
    end of generation); ``prompt`` the prefill length (default the scenario's).  Without
    ``with_prefill`` the prefill times are NaN (a decode-only sweep skips them)."""
    b = np.asarray(s.batch if batch is None else batch, dtype=np.float64)
    c = np.asarray(s.context_tokens if context is None else context, dtype=np.float64)
    p = np.asarray(s.prompt_tokens if prompt is None else prompt, dtype=np.float64)
    t, card = speed_terms(s), card_of(s)
    step, bound = decode_from_terms(t, b, c, card)
    sol, _ = decode_from_terms(t, b, c, card, efficient=False)
    shape = np.broadcast(b, c, p).shape
    if with_prefill:
        new, cached = prompt_split(p, s.cached_tokens)
        prefill, sol_prefill = (prefill_from_terms(t, new, b, card, efficient=e, cached=cached) for e in (True, False))
    else:
        prefill = sol_prefill = np.full(shape, np.nan)
    return SpeedResult(
        decode_step_s=np.broadcast_to(step, shape), sol_decode_step_s=np.broadcast_to(sol, shape),
        prefill_s=np.broadcast_to(prefill, shape), sol_prefill_s=np.broadcast_to(sol_prefill, shape),
        compute_bound=np.broadcast_to(bound, shape), batch=np.broadcast_to(b, shape),
        knee_batch=knee_batch(s, terms=t) if with_knee else float("nan"), memory_max_batch=memory_max_batch,
        bw_efficiency=float(t.bw_efficiency), flops_efficiency=float(t.flops_efficiency),
        compute_known=s.gpu.peak_flops(s.weight_format.kernel) is not None,
    )


# --- serving: requests that come and go --------------------------------------------------------

#: Slices of the output over which a served request's decode steps are averaged (a step is
#: piecewise linear in the context, so a few midpoints give its mean).
OUTPUT_SLICES = 8


@dataclass(frozen=True)
class Served:
    """``batch`` requests served at once with continuous batching, in steady state: each
    request's prompt is prefilled once, then it decodes its output one step at a time
    while the others do, and when it ends a new request takes its place.

    Over one request's output every other slot turns over once, so its time per output
    token holds the decode step (averaged over the output's contexts) plus the other
    ``b − 1`` prompts' prefill spread over its output: what a serving benchmark reports as
    TPOT.  The cards' time per ``b · output`` generated tokens holds all ``b`` prompts."""

    batch: np.ndarray
    decode_step_s: np.ndarray            # a decode step, averaged over the output
    prefill_s: np.ndarray                # the prefill of the batch's prompts (0 when not timed)
    others_prefill_s: np.ndarray         # ... of the other b - 1 prompts, while one request decodes
    tpot_s: np.ndarray                   # a request's mean time per output token
    throughput_tokens_per_s: np.ndarray  # generated tokens per second, the prompts' processing included
    prefill_share: np.ndarray            # share of the cards' time that the prompts take
    compute_known: bool = True           # False: no FLOP/s figure, so the prompts' time is not counted


def served(s: Scenario, batch: ArrayLike | None = None, terms: SpeedTerms | None = None) -> Served:
    """Steady serving of ``batch`` requests of ``s``'s prompt and output lengths (default: the
    scenario's batch), broadcast over ``batch``.  On a card without a FLOP/s figure the
    prompts' prefill cannot be timed and is left out (``compute_known`` False)."""
    b = np.asarray(s.batch if batch is None else batch, dtype=np.float64)
    t, card = terms or speed_terms(s), card_of(s)
    out, prompt = max(s.output_tokens, 1), s.prompt_tokens
    contexts = prompt + (np.arange(OUTPUT_SLICES) + 0.5) / OUTPUT_SLICES * out
    step = decode_from_terms(t, b[..., None], contexts, card)[0].mean(axis=-1)
    known = s.gpu.peak_flops(s.weight_format.kernel) is not None
    if known:     # (a prefix the cache keeps is prefilled once for all requests: not each time)
        new, cached = prompt_split(prompt, s.cached_tokens)
        prompts = prefill_from_terms(t, new, b, card, cached=cached)
        others = np.where(b > 1, prefill_from_terms(t, new, np.maximum(b - 1, 1), card, cached=cached), 0.0)
    else:
        prompts = others = np.zeros_like(b)
    busy = out * step + prompts
    return Served(batch=b, decode_step_s=step, prefill_s=prompts, others_prefill_s=others, tpot_s=step + others / out,
                  throughput_tokens_per_s=b * out / busy, prefill_share=prompts / busy, compute_known=known)


def cost_per_million_tokens(tokens_per_s: ArrayLike, n_gpus: int, price_per_card_hour: float) -> ArrayLike:
    """Price of a million generated tokens at ``tokens_per_s``, from the user's price."""
    return price_per_card_hour * n_gpus / 3600.0 / tokens_per_s * 1e6


def cheapest_batch(s: Scenario, max_batch: int, price_per_card_hour: float,
                   terms: SpeedTerms | None = None) -> tuple[int, float]:
    """(batch, cost per million generated tokens) minimising the served cost among batches
    1..max_batch."""
    if max_batch < 1:
        raise ValueError("not even one sequence fits; no cost can be given")
    b = log_sweep(1, max_batch, min(max_batch, 512))
    cost = cost_per_million_tokens(served(s, b, terms).throughput_tokens_per_s, s.n_gpus, price_per_card_hour)
    i = int(np.argmin(cost))
    return int(b[i]), float(cost[i])


@dataclass(frozen=True)
class Costs:
    """The cost of generated tokens at the user's price per card-hour, served (:class:`Served`):
    the cards' time for the prompts counts, where the card's FLOP/s are known."""

    price_per_card_hour: float
    tokens_per_s: float                  # the batch's served throughput
    per_million: float                   # at the scenario's batch
    cheapest_batch: int | None           # among 1..the largest batch that fits (None: not one fits)
    cheapest_per_million: float | None
    prompts_counted: bool = True         # False: the card has no FLOP/s figure, decode time only


def costs(s: Scenario, price_per_card_hour: float, max_batch: int) -> Costs:
    """Cost per million generated tokens at ``s``'s batch and the cheapest batch up to
    ``max_batch``, both served (prompts included)."""
    t = speed_terms(s)
    sv = served(s, terms=t)
    best = cheapest_batch(s, max_batch, price_per_card_hour, t) if max_batch >= 1 else (None, None)
    thr = float(sv.throughput_tokens_per_s)
    return Costs(price_per_card_hour, thr, float(cost_per_million_tokens(thr, s.n_gpus, price_per_card_hour)), *best,
                 prompts_counted=sv.compute_known)


__all__ = ["SpeedResult", "estimate_speed", "decode_step", "prefill_time", "prompt_split", "knee_batch", "served",
           "Served", "cost_per_million_tokens", "cheapest_batch", "costs", "Costs", "bandwidth_efficiency", "GGUF_BITS"]
