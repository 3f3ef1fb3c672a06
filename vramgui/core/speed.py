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

from dataclasses import dataclass

import numpy as np

from .engines import EngineProfile
from .formats import GGUF_BITS, WeightFormat
from .memory import kv_cache_bytes, layer_share
from .params import count_params
from .scenario import Scenario
from .weights import active_weight_bytes

ArrayLike = float | int | np.ndarray

# --- efficiency defaults ---------------------------------------------------------------------

#: Share of peak bandwidth 16-bit decode reaches, per engine.  llama.cpp: 82 % on an RTX 4090
#: (Mistral 7B F16, 17.1 ms/token, llama.cpp CUDA benchmarks); vLLM / well-tuned CUDA kernels
#: 80-90 % (DESIGN §2, calm's README: 7B fp16 at ~900 GB/s of 1008 on an RTX 4090).
BW_EFFICIENCY = {"generic": 0.85, "hf": 0.80, "vllm": 0.85, "llamacpp": 0.82}

#: llama.cpp decode share of peak bandwidth against bits per weight (RTX 4090, Mistral 7B:
#: F16 82 %, Q8_0 71 %, Q4_0 58 %): dequantization work per byte grows as bits shrink.
GGUF_BW_CURVE = ((2.625, 0.48), (4.5, 0.58), (8.5, 0.71), (16.0, 0.82))

#: 4-bit weight-only kernels (GPTQ / AWQ / NF4) relative to 16-bit ones: dequantization in
#: the GEMV inner loop.  AutoAWQ's fused GEMM reaches ~45 % of a T4's bandwidth at batch 1
#: (Mistral 7B, 33.9 tokens/s); Marlin-class kernels in vLLM reach ~80 % of fp16's.
W4_FACTOR = {"generic": 0.80, "hf": 0.55, "vllm": 0.80, "llamacpp": 0.70}

#: Share of dense tensor peak that prefill GEMMs sustain, per engine.
FLOPS_EFFICIENCY = {"generic": 0.60, "hf": 0.45, "vllm": 0.55, "llamacpp": 0.40}

#: Fixed cost of a decode step (scheduling, sampling, launch of a captured graph) [s].
STEP_OVERHEAD_S = {"generic": 0.0, "hf": 0.0, "vllm": 0.5e-3, "llamacpp": 0.2e-3}

#: Host time per layer per step [s]: the launch loop that bounds the step from below.
#: HF eager launches ~25 kernels per decoder layer from Python at ~20 µs each; llama.cpp
#: builds without CUDA graphs (before mid-2024) spend ~0.2 ms per layer launching its ops
#: (Llama 2 7B Q4_0: 7.35 ms/token on an A100 PCIe and 6.66 ms on an RTX 4090, Dec 2023).
HOST_S_PER_LAYER = {"generic": 0.0, "hf": 0.5e-3, "vllm": 0.0, "llamacpp": 0.2e-3}

#: One all-reduce's latency [s] by link (NCCL small-message latency, NVLink vs PCIe).
ALLREDUCE_LATENCY_S = {"nvlink": 10e-6, "pcie": 25e-6}
DEFAULT_LINK_GB_S = 16.0   # when a preset names no interconnect: PCIe 3.0 x16, per direction


def bandwidth_efficiency(profile: EngineProfile, fmt: WeightFormat) -> float:
    """Expected share of peak memory bandwidth for decode with this engine and format."""
    base = BW_EFFICIENCY.get(profile.id, 0.8)
    if fmt.kernel == "gguf":
        xs, ys = zip(*GGUF_BW_CURVE, strict=False)
        return float(np.interp(fmt.linear_bits, xs, ys)) * base / GGUF_BW_CURVE[-1][1]
    if fmt.kernel == "w4a16":
        return base * W4_FACTOR.get(profile.id, 0.8)
    if fmt.kernel in ("int8", "fp8"):
        return base * 0.9
    return base


def compute_efficiency(profile: EngineProfile) -> float:
    return FLOPS_EFFICIENCY.get(profile.id, 0.5)


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


# --- pieces --------------------------------------------------------------------------------------

def _experts_touched(s: Scenario, batch: np.ndarray) -> np.ndarray | None:
    """Expected distinct routed experts per MoE layer that ``batch`` tokens touch, with
    uniform routing: ``E·(1 − (1 − k/E)^b)``."""
    m = s.model.architecture.moe
    if m is None:
        return None
    return m.num_experts * (1.0 - (1.0 - m.experts_per_token / m.num_experts) ** batch)


def weight_bytes_read(s: Scenario, batch: ArrayLike) -> np.ndarray:
    """Weight bytes one step reads on one card (layer split: the sum over the cards, which
    run in turn, so the whole model)."""
    a = s.model.architecture
    b = np.asarray(batch, dtype=np.float64)
    touched = _experts_touched(s, b)
    if touched is None:
        total = np.full(b.shape, active_weight_bytes(a, s.weight_format))
    else:
        lo = active_weight_bytes(a, s.weight_format, 0.0)
        per_expert = active_weight_bytes(a, s.weight_format, 1.0) - lo
        total = lo + per_expert * touched
    return total / s.n_gpus if s.profile.parallel == "tensor" else total


def matmul_flops_per_token(s: Scenario) -> float:
    """``2 · P_active`` without the embedding lookup, per card (tensor parallel splits it)."""
    p = count_params(s.model.architecture)
    flops = 2.0 * (p.active - p.embedding)
    return flops / s.n_gpus if s.profile.parallel == "tensor" else flops


def attention_flops(s: Scenario, q_tokens: ArrayLike, kv_tokens: ArrayLike) -> np.ndarray:
    """Score and value products: ``4 · L · h · d_h`` per (query, key) pair, per card."""
    a = s.model.architecture
    per_pair = 2.0 * a.num_layers * a.num_heads * (a.q_head_dim + a.v_head_dim)
    share = 1.0 / s.n_gpus if s.profile.parallel == "tensor" else 1.0
    return per_pair * np.asarray(q_tokens, dtype=np.float64) * np.asarray(kv_tokens, dtype=np.float64) * share


def link_of(gpu) -> tuple[float, float]:
    """(bytes/s per direction, all-reduce latency s) of the card's interconnect."""
    link = (gpu.interconnect_gb_s or DEFAULT_LINK_GB_S) * 1e9
    kind = "nvlink" if gpu.interconnect and "nvlink" in gpu.interconnect.lower() else "pcie"
    return link, ALLREDUCE_LATENCY_S[kind]


def allreduce_s(s: Scenario, tokens: ArrayLike, with_latency: bool = True, link=None) -> np.ndarray:
    """Two ring all-reduces per layer of ``tokens × d`` fp16 activations (tensor parallel).
    ``link`` = (bytes/s, latency s), scalars or per-card arrays; default the scenario's card."""
    n = s.n_gpus
    t = np.asarray(tokens, dtype=np.float64)
    if n == 1 or s.profile.parallel != "tensor":
        return np.zeros(t.shape)
    bw, lat = link if link is not None else link_of(s.gpu)
    a = s.model.architecture
    per = 2.0 * (n - 1) / n * t * a.hidden_size * 2.0 / np.asarray(bw)
    return 2.0 * a.num_layers * (per + (np.asarray(lat) if with_latency else 0.0))


def _peak(s: Scenario) -> float:
    """Peak FLOP/s for the format's math; inf when the card has no sourced figure, so the
    compute term drops out (the result says ``compute_known=False``)."""
    return s.gpu.peak_flops(s.weight_format.kernel) or float("inf")


def _host_floor(s: Scenario) -> float:
    return HOST_S_PER_LAYER.get(s.profile.id, 0.0) * s.model.architecture.num_layers


# --- decode and prefill --------------------------------------------------------------------------

def decode_step(s: Scenario, batch: ArrayLike, context: ArrayLike, efficient: bool = True,
                card: tuple | None = None):
    """(step time [s], compute-bound flag) for one decode step.

    ``card`` = (bandwidth bytes/s, peak FLOP/s, link bytes/s, all-reduce latency s) as
    scalars or per-card arrays, to evaluate many cards in one call (default: the
    scenario's card)."""
    b = np.asarray(batch, dtype=np.float64)
    c = np.asarray(context, dtype=np.float64)
    eb = bandwidth_efficiency(s.profile, s.weight_format) if efficient else 1.0
    ef = compute_efficiency(s.profile) if efficient else 1.0
    if card is None:
        card = (s.gpu.bandwidth_bytes_per_s, _peak(s), *link_of(s.gpu))
    bw, peak, link, lat = (np.asarray(x, dtype=np.float64) for x in card)
    t_mem = (weight_bytes_read(s, b) + _kv_read_bytes(s, c, b)) / (bw * eb)
    t_comp = (matmul_flops_per_token(s) * b + attention_flops(s, b, c)) / (peak * ef)
    gpu = np.maximum(t_mem, t_comp) + allreduce_s(s, b, with_latency=efficient, link=(link, lat))
    if not efficient:
        return gpu, t_comp >= t_mem
    step = np.maximum(gpu, _host_floor(s)) + STEP_OVERHEAD_S.get(s.profile.id, 0.0)
    return step, t_comp >= t_mem


def _kv_read_bytes(s: Scenario, context: np.ndarray, batch: np.ndarray) -> np.ndarray:
    """KV bytes one decode step reads: the cache actually filled, not what is reserved;
    with a layer split the cards read their shares in turn, so the whole cache."""
    kv = kv_cache_bytes(s, context, batch, allocated=False)
    if s.profile.parallel == "layer":
        kv = kv / layer_share(s.model.architecture, s.n_gpus, s.profile)
    return kv


def prefill_time(s: Scenario, prompt: ArrayLike, batch: ArrayLike, efficient: bool = True) -> np.ndarray:
    """Time to first token [s] for ``batch`` prompts of ``prompt`` tokens."""
    p = np.maximum(np.asarray(prompt, dtype=np.float64), 1.0)
    b = np.asarray(batch, dtype=np.float64)
    eb = bandwidth_efficiency(s.profile, s.weight_format) if efficient else 1.0
    ef = compute_efficiency(s.profile) if efficient else 1.0
    tokens = p * b
    chunk = s.profile.prefill_chunk_tokens
    passes = np.ceil(tokens / chunk) if chunk else np.ones_like(tokens)
    touched = np.minimum(tokens, chunk) if chunk else tokens
    weights = weight_bytes_read(s, touched) * passes
    flops = matmul_flops_per_token(s) * tokens + attention_flops(s, p * b, p) / 2.0  # causal half
    t = np.maximum(weights / (s.gpu.bandwidth_bytes_per_s * eb),
                   flops / (_peak(s) * ef))
    t = t + allreduce_s(s, tokens, with_latency=efficient)
    if efficient:
        t = np.maximum(t, _host_floor(s) * passes) + STEP_OVERHEAD_S.get(s.profile.id, 0.0)
    return t


def knee_batch(s: Scenario, context: float | None = None) -> float:
    """Smallest batch at which decode turns compute bound (inf if it never does below 2^20).

    Searched on the speed-of-light roofline, where the ridge is a property of the card
    (peak FLOP/s ÷ bandwidth) and the model, not of efficiency factors."""
    c = float(s.context_tokens if context is None else context)
    grid = np.unique(np.geomspace(1, 2**20, 512).round())
    _, bound = decode_step(s, grid, c, efficient=False)
    if not bound.any():
        return float("inf")
    i = int(np.argmax(bound))
    lo = 1.0 if i == 0 else grid[i - 1]
    fine = np.arange(lo, grid[i] + 1)
    _, b2 = decode_step(s, fine, c, efficient=False)
    return float(fine[int(np.argmax(b2))])


def estimate_speed(s: Scenario, batch: ArrayLike | None = None, context: ArrayLike | None = None,
                   prompt: ArrayLike | None = None, memory_max_batch: int | None = None,
                   with_knee: bool = True) -> SpeedResult:
    """Decode and prefill speed for ``s``, swept over any of batch, context, prompt.

    ``context`` is the KV length a decode step attends to (default prompt + output, the
    end of generation); ``prompt`` the prefill length (default the scenario's)."""
    b = np.asarray(s.batch if batch is None else batch, dtype=np.float64)
    c = np.asarray(s.context_tokens if context is None else context, dtype=np.float64)
    p = np.asarray(s.prompt_tokens if prompt is None else prompt, dtype=np.float64)
    step, bound = decode_step(s, b, c)
    sol, _ = decode_step(s, b, c, efficient=False)
    shape = np.broadcast(b, c, p).shape
    return SpeedResult(
        decode_step_s=np.broadcast_to(step, shape), sol_decode_step_s=np.broadcast_to(sol, shape),
        prefill_s=np.broadcast_to(prefill_time(s, p, b), shape),
        sol_prefill_s=np.broadcast_to(prefill_time(s, p, b, efficient=False), shape),
        compute_bound=np.broadcast_to(bound, shape), batch=np.broadcast_to(b, shape),
        knee_batch=knee_batch(s) if with_knee else float("nan"), memory_max_batch=memory_max_batch,
        bw_efficiency=bandwidth_efficiency(s.profile, s.weight_format),
        flops_efficiency=compute_efficiency(s.profile),
        compute_known=s.gpu.peak_flops(s.weight_format.kernel) is not None,
    )


def cost_per_million_tokens(sp: SpeedResult, n_gpus: int, price_per_card_hour: float) -> float:
    """Price of a million generated tokens at the result's batch, from the user's price."""
    per_s = price_per_card_hour * n_gpus / 3600.0
    return float(per_s / np.asarray(sp.throughput_tokens_per_s).reshape(-1)[0] * 1e6)


def cheapest_batch(s: Scenario, max_batch: int, price_per_card_hour: float) -> tuple[int, float]:
    """(batch, cost per million tokens) minimising cost among batches 1..max_batch."""
    if max_batch < 1:
        raise ValueError("not even one sequence fits; no cost can be given")
    b = np.unique(np.geomspace(1, max_batch, min(max_batch, 512)).round())
    step, _ = decode_step(s, b, s.context_tokens)
    cost = price_per_card_hour * s.n_gpus / 3600.0 / (b / step) * 1e6
    i = int(np.argmin(cost))
    return int(b[i]), float(cost[i])


__all__ = ["SpeedResult", "estimate_speed", "decode_step", "prefill_time", "knee_batch",
           "cost_per_million_tokens", "cheapest_batch", "bandwidth_efficiency", "GGUF_BITS"]
