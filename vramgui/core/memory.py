"""Inference memory per card: weights, KV cache, activation peak, runtime overhead.

Every function takes scalars or numpy arrays for the token counts and the batch and
broadcasts them, so a chart of 1,000 context values is one call.

The total is the plain sum of the four bands.  The prefill transient and the KV of the
tokens generated afterwards never coexist, so the sum overstates the true peak by at
most the KV of the output tokens: a deliberate, visible margin rather than a hidden one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .architecture import Architecture
from .engines import (
    FP8_SCALED_BYTES,
    EngineProfile,
    batch_defaults,
    default_context,
    gathers_experts,
    hf_resident_extras,
    latent_cache,
)
from .formats import WeightFormat
from .params import mlp_params
from .scenario import Scenario, memo_terms
from .training import BNB_ROUTERS
from .weights import WeightBytes, expert_bits, output_layer_bytes, weight_bytes

ArrayLike = float | int | np.ndarray


@dataclass(frozen=True)
class MemoryBreakdown:
    """Bytes per card.  Fields broadcast to the shape of the swept inputs."""

    weights: np.ndarray
    kv_cache: np.ndarray
    activations: np.ndarray
    overhead: np.ndarray
    kv_tokens_per_seq: np.ndarray   # tokens the engine allocates per sequence
    kv_bytes_per_token: float        # per card, one sequence, all layers (no window cap)
    state_bytes_per_seq: float = 0.0  # per card: recurrent state of one sequence (part of kv_cache)

    @property
    def total(self) -> np.ndarray:
        return self.weights + self.kv_cache + self.activations + self.overhead


# --- parallel split -----------------------------------------------------------------

def heads_per_card(a: Architecture, n: int, profile: EngineProfile) -> tuple[float, float]:
    """(query heads, KV heads) one card holds.  KV heads replicate when h_kv < N."""
    if profile.parallel == "layer" or n == 1:
        return float(a.num_heads), float(a.num_kv_heads)
    return float(np.ceil(a.num_heads / n)), float(np.ceil(a.num_kv_heads / n))


def layer_share(s: Scenario) -> float:
    """Share of the layers on the busiest card: a layer split's card, or a pipeline stage's
    (1 for tensor parallel alone)."""
    k = s.stages if s.profile.parallel == "tensor" else s.n_gpus
    if k == 1:
        return 1.0
    a = s.model.architecture
    if s.profile.parallel == "layer" and s.profile.split_output_as_layer:
        return max(split_layers(a.num_layers, k)) / a.num_layers
    return float(np.ceil(a.num_layers / k)) / a.num_layers


def split_layers(n_layers: int, cards: int) -> list[int]:
    """Layers per card when the layers and the output layer are shared out as ``n_layers + 1``
    units in order over equal cards, the output layer last (llama.cpp's layer split:
    :attr:`EngineProfile.split_output_as_layer`): layer i goes to card ``i * cards // (n_layers + 1)``.
    32 layers on 2 cards: 17 and 15 (the second card also holds the output layer)."""
    counts = [0] * cards
    for i in range(n_layers):
        counts[i * cards // (n_layers + 1)] += 1
    return counts


def weights_per_card(s: Scenario, wb: WeightBytes | None = None, fmt: WeightFormat | None = None) -> float:
    """Weight bytes on the fullest card (an image encoder the engine loads: split like the
    layers under tensor parallel, on the first card with the embedding under a layer split).
    Under llama.cpp's layer split the memory estimate takes this card's weights and the card
    with the most layers' KV cache: at most the busiest card's total, by a layer or two.  ``wb`` and ``fmt``: the
    weights of another format than the scenario's (the My machine grid's columns)."""
    a, p, n = s.model.architecture, s.profile, s.n_gpus
    fmt = fmt or s.weight_format
    wb = wb or weight_bytes(a, fmt)
    embedding = 0.0 if p.embedding_on_host else wb.embedding
    vision = wb.vision if p.loads_vision else 0.0
    lm_head = wb.lm_head
    if a.tie_embeddings and p.embedding_on_host:   # the tied table is duplicated as the output layer on the GPU
        lm_head = output_layer_bytes(a, wb)
    rope = rope_table_bytes(s)
    layered, whole = module_extras(a, fmt, p)
    if p.parallel == "tensor" and s.stages == 1:
        return (wb.linear + embedding + lm_head + vision) / n + wb.other + rope + layered + whole
    share = layer_share(s)
    if p.parallel == "tensor":   # pipeline stages: the first holds the embedding, the last the output layer
        return ((wb.linear * share + max(embedding + vision, lm_head)) / s.tensor_parallel
                + (wb.other + layered) * share + whole + rope)
    if n > 1 and p.split_output_as_layer:    # each card its layers; the embedding on the first, the output on the last
        per_layer = (wb.linear + wb.other + layered) / a.num_layers
        cards = split_layers(a.num_layers, n)
        return max(k * per_layer + (embedding + vision + whole if d == 0 else 0.0) + (lm_head if d == n - 1 else 0.0)
                   for d, k in enumerate(cards)) + rope
    edge = max(embedding + vision, lm_head) if n > 1 else embedding + vision + lm_head
    return (wb.linear + wb.other + layered) * share + edge + whole + rope


def module_extra_items(a: Architecture, fmt: WeightFormat, profile: EngineProfile) -> tuple[tuple[str, float, bool],
                                                                                             ...]:
    """(what, bytes, per layer) an engine running transformers' model classes keeps beside the weights
    (:attr:`~vramgui.core.engines.EngineProfile.module_buffers`: their buffers and fp32 routers,
    :func:`~vramgui.core.engines.hf_resident_extras`); none elsewhere."""
    if not profile.module_buffers:
        return ()
    # (a router that bitsandbytes replaces, HunYuan's nn.Linear gate.wg, is quantized with the layers: no fp32 copy)
    return hf_resident_extras(a, 32.0 if fmt.bnb_modules and a.model_type in BNB_ROUTERS else fmt.other_bits)


def module_extras(a: Architecture, fmt: WeightFormat, profile: EngineProfile) -> tuple[float, float]:
    """(with the layers, with the model's own modules) bytes of :func:`module_extra_items`."""
    extras = module_extra_items(a, fmt, profile)
    return (sum(b for _, b, layered in extras if layered), sum(b for _, b, layered in extras if not layered))


def layer_weight_bytes(a: Architecture, fmt: WeightFormat, profile: EngineProfile, wb: WeightBytes) -> float:
    """A decoder layer's mean bytes as an engine places it (a device map's or a layer split's unit): its weights
    and what the engine keeps with them (:func:`module_extras`)."""
    return (wb.linear + wb.other + module_extras(a, fmt, profile)[0]) / a.num_layers


def rope_table_bytes(s: Scenario) -> float:
    """The rotary cos/sin tables an engine precomputes on each card (vLLM), in the model's dtype."""
    if not s.profile.rope_table:
        return 0.0
    return s.model.architecture.rope_table_elements * (4.0 if s.weight_format.kernel == "fp32" else 2.0)


# --- per-card coefficients -----------------------------------------------------------

@dataclass(frozen=True)
class MemoryTerms:
    """Per-card coefficients of the memory model for one (model, format, engine, cards, KV
    dtype, attention).  Each field is a float for one scenario, or an array with one row
    per model for a stacked catalog (:func:`stack_terms`): the formulas below serve both,
    so the whole-catalog machine view evaluates every model in one numpy call."""

    weights: ArrayLike        # bytes on the fullest card
    kv_full: ArrayLike        # KV bytes per token per sequence, full-attention layers
    kv_windowed: ArrayLike    # the same for the windowed layers (capped at ``window``)
    window: ArrayLike         # tokens a windowed layer keeps (inf: none)
    state: ArrayLike          # bytes per sequence that do not grow with it: Gated DeltaNet / Mamba-2 state
    hidden: ArrayLike         # activation bytes per token in flight: hidden states alive at the peak
    attention: ArrayLike      # ... q/k/v transients (and flash/sdpa's fp32 log-sum-exp)
    scores: ArrayLike         # bytes per (query, key) pair: eager scores + mask; sdpa/flash: the mask, if any
    mlp: ArrayLike            # ... MLP intermediates
    logits: ArrayLike         # bytes per row of logits
    sampler: ArrayLike        # the sampler's warm-up, bytes
    overhead: ArrayLike       # CUDA context, engine buffers, graphs
    profile_tokens: ArrayLike = 0.0   # tokens of the engine's start-up profiling pass on this card (0: none)
    moe_workspace: ArrayLike = 0.0    # bytes per token of the fused-expert workspaces kept beside the sampler
    decode_gather: ArrayLike = 0.0    # bytes per sequence of a decode step's gathered expert copies (decode_gather_for)
    copy_hidden: ArrayLike = 0.0      # pipeline input copies: bytes per token of the batch (the hidden state's)
    copy_mask: ArrayLike = 0.0        # ... and bytes per (token, KV cell) (the attention mask's)
    block: ArrayLike = 0.0            # tokens of a KV block where the engine pages recurrent states with the cache
    block_bytes: ArrayLike = 0.0      # ... the bytes of one such block over a group's layers
    groups: ArrayLike = 0.0           # ... and the number of layer groups (0: the profile's blocks, states apart)
    keeps_prompt: ArrayLike = 0.0     # 1: the windowed layers hold the prompt at the peak (window_keeps_prompt)
    context_floor: ArrayLike = 0.0    # tokens per sequence the engine allocates at the least (Ollama's default)


@dataclass(frozen=True)
class StatePaging:
    """How an engine that pages recurrent states in the cache's blocks lays out a hybrid model on a card
    (:attr:`EngineProfile.state_blocks`, vLLM): the attention block in tokens, the page (one layer's block)
    in bytes, the layers a group holds, and the attention and state groups."""

    block: int
    page: float
    group: int
    attention_groups: int
    state_groups: int

    @property
    def groups(self) -> int:
        return self.attention_groups + self.state_groups


def state_paging(s: Scenario) -> StatePaging | None:
    """vLLM's layout of a model with recurrent layers beside attention (None otherwise, or for an engine
    that keeps states apart): one attention layer's bytes a token ``b`` and one recurrent layer's state
    ``m`` on a card give the block, 16 × ceil(m / (16 b)) tokens, and the page, block × b bytes (the state
    padded to it); the layers group as :func:`kv_group_slots` groups windowed and full ones
    (vllm/model_executor/models/config.py HybridAttentionMambaModelConfig, vllm/v1/core/kv_cache_utils.py).
    Gated DeltaNet (Qwen3-Next, Qwen3.5), Mamba-2 and Mamba hybrids (Nemotron-H, Granite 4.0-H, Falcon-H1,
    Jamba) alike, each sequence holding :attr:`EngineProfile.state_blocks` state blocks a group (vLLM serves
    hybrids without prefix caching unless asked: one).  Not with windowed or wider full-attention layers, MLA
    or shared caches too (no such model is read), nor Kimi Delta Attention or LFM2's convolutions (no log)."""
    a, p = s.model.architecture, s.profile
    mixers = (a.linear_attention, a.mamba, a.mamba1)
    if not p.state_blocks or sum(m is not None for m in mixers) != 1 or a.kimi_delta or a.short_conv \
            or not a.attention_layers or a.sliding_window_layers or a.global_attention or a.compressed \
            or a.kv_shared_layers or a.mla:
        return None
    per_token = kv_elements_per_token_layer(a, s) * s.kv.bytes_per_element
    state = recurrent_state_bytes(a, p.activation_bytes) / a.recurrent_layers / s.tensor_parallel
    align = p.kv_block_tokens
    block = max(align * int(np.ceil(state / (align * per_token))), align)
    n_attn, n_rec = a.attention_layers, a.recurrent_layers
    group = min(n_attn, n_rec)
    if max(n_attn, n_rec) < 1.5 * group:
        group = max(n_attn, n_rec)
    return StatePaging(block=block, page=block * per_token, group=group, attention_groups=-(-n_attn // group),
                       state_groups=-(-n_rec // group))


def kv_group_slots(s: Scenario) -> tuple[int, int] | None:
    """(windowed, full) layer slots the engine allocates where it caches both kinds in groups of
    one size (:attr:`EngineProfile.kv_group_padding`, vLLM): the group holds as many layers as the
    smaller kind has (the larger kind's count if that is under 1.5 times it), and each kind is
    padded with empty layers to whole groups.  Gemma 3 27B's 52 windowed and 10 full layers take
    60 + 10 slots ("Add 8 padding layers" in vLLM's log; vllm/v1/core/kv_cache_utils.py).  None
    where not applicable: one kind only, or layers of two sizes (their own heads, DeepSeek-V4)."""
    a, p = s.model.architecture, s.profile
    if not (p.kv_group_padding and a.sliding_window and p.honors_sliding_window) or a.global_attention \
            or a.compressed:
        return None
    windowed, full = a.cache_layers
    if not windowed or not full:
        return None
    group = min(windowed, full)
    if max(windowed, full) < 1.5 * group:
        group = max(windowed, full)
    return -(-windowed // group) * group, -(-full // group) * group


@memo_terms
def memory_terms(s: Scenario, wb: WeightBytes | None = None) -> MemoryTerms:
    """The coefficients of ``s`` (see :class:`MemoryTerms`); the KV terms are what the engine
    allocates (padding layers included: :func:`kv_group_slots`)."""
    a, p = s.model.architecture, s.profile
    share = layer_share(s)
    per_layer = kv_elements_per_token_layer(a, s) * s.kv.bytes_per_element * share
    per_global = kv_elements_per_token_layer(a, s, full=True) * s.kv.bytes_per_element * share
    windowed = a.sliding_window_layers if (a.sliding_window and p.honors_sliding_window) else 0
    own_windowed, own_full = kv_group_slots(s) or a.cache_layers
    full_each = per_global if a.global_attention else per_layer
    kv_windowed = own_windowed * per_layer if windowed else 0.0
    kv_full = own_full * full_each + (0.0 if windowed else own_windowed * per_layer)
    kv_full += compressed_kv_elements(a, s) * s.kv.bytes_per_element * share
    tp = s.tensor_parallel
    paging = state_paging(s)
    if paging:      # the attention layers padded to whole groups; each state group's blocks, a page a layer
        kv_full = paging.attention_groups * paging.group * per_layer
        state = paging.state_groups * paging.group * paging.page * p.state_blocks * share
    else:
        state = state_bytes(s)
    h, h_kv = heads_per_card(a, tp, p)
    act = p.activation_bytes
    eager = s.attention_impl == "eager"
    math = s.sdpa_math      # (PyTorch's SDPA math path: the scores in fp32, no log-sum-exp)
    kv_heads_live = 0.0 if p.kv_written_to_cache else (h if eager else h_kv)   # eager HF repeats K/V to h heads
    widest = max(a.q_head_dim, a.global_attention.head_dim if a.global_attention else 0)
    f_widest = _mlp_width(a) * (2 if a.wide_mlp_layers else 1)
    attention = (h * widest + 2 * kv_heads_live * max(a.v_head_dim, widest)
                 + a.hidden_size * p.attention_hidden_copies) * act
    if not eager and not math:
        attention += h * 4.0          # flash/sdpa keep one fp32 log-sum-exp per row and head
    profile_tokens, _, sampler_seqs = batch_defaults(p, s.gpu)
    copies = p.pipeline_copies if (p.parallel == "layer" and s.n_gpus > 1) else 1
    return MemoryTerms(
        weights=weights_per_card(s, wb),
        kv_full=kv_full,
        kv_windowed=kv_windowed,
        window=window_cells(a, p) if windowed else float("inf"),
        state=state,
        hidden=a.hidden_size * p.hidden_copies * act,
        attention=attention,
        scores=(h * eager_score_bytes(s) + p.mask_bytes) if eager else
        (h * MATH_SDPA_SCORE_BYTES + p.mask_bytes) if math else p.flash_mask_bytes,
        mlp=f_widest / tp * p.mlp_copies * (1.0 if a.gated_mlp else 2.0 / 3.0) * act,
        logits=a.vocab_size * p.logits_bytes,
        sampler=float(sampler_seqs) * a.vocab_size * p.sampler_bytes_per_logit,
        overhead=overhead_bytes(s),
        profile_tokens=float(profile_tokens or 0),
        moe_workspace=moe_workspace_bytes(s),
        decode_gather=decode_gather_for(a, s.profile, s.weight_format),
        copy_hidden=copies * a.hidden_size * act if copies > 1 else 0.0,     # the hidden state, in its dtype
        copy_mask=(copies - 1) * p.mask_bytes,
        block=float(paging.block) if paging else 0.0,
        block_bytes=paging.page * paging.group * share if paging else 0.0,
        groups=float(paging.groups) if paging else 0.0,
        keeps_prompt=1.0 if (windowed and p.window_keeps_prompt and not a.compressed) else 0.0,
        context_floor=float(default_context(p, s.gpu, s.n_gpus, a.max_context)),
    )


#: Bytes a score element of PyTorch's SDPA math path holds at its peak: the fp32 product of the queries and keys (the
#: mask added in place) and the softmax's fp32 output beside it (the inputs upcast: allow_fp16_bf16_reduction_math_sdp
#: off by default; aten's _scaled_dot_product_attention_math)
MATH_SDPA_SCORE_BYTES = 8.0


def eager_score_bytes(s: Scenario) -> float:
    """Bytes of one eager-attention score alive at the peak in the scenario's engine and dtype (the model
    runs in its cache's dtype: :attr:`EngineProfile.eager_score_bytes_bf16` where that is bf16)."""
    p = s.profile
    return p.eager_score_bytes_bf16 if (s.kv_dtype == "bf16" and p.eager_score_bytes_bf16) else p.eager_score_bytes


def moe_workspace_bytes(s: Scenario) -> float:
    """Bytes per token of an MoE layer's fused-expert workspaces where the engine keeps them through the
    sampler's warm-up (:attr:`EngineProfile.moe_workspace`): vLLM's modular kernels take (tokens, top-k,
    max(I, K)) and (tokens, top-k, max(2I, K)) activations and a (tokens, K) output, I the experts' width
    on the card and K the hidden size (vllm/model_executor/layers/fused_moe, ``workspace_shapes``).
    Not for MXFP4 experts, which vLLM runs through its own kernels (gpt-oss)."""
    return moe_workspace_for(s.model.architecture, s.profile, s.tensor_parallel, s.weights)


def moe_workspace_for(a: Architecture, p: EngineProfile, tp: int, weights: str) -> float:
    """:func:`moe_workspace_bytes` from its parts (the machine view's grid varies the format alone)."""
    if not (p.moe_workspace and a.moe) or weights == "mxfp4":
        return 0.0
    i, k = a.moe.expert_intermediate_size / tp, a.expert_width
    return (a.moe.experts_per_token * (max(i, k) + max(2 * i, k)) + k) * p.activation_bytes


def decode_gather_for(a: Architecture, p: EngineProfile, fmt: WeightFormat) -> float:
    """Bytes per sequence of the expert copies a decode step gathers in one MoE layer where the engine does
    (:func:`~vramgui.core.engines.gathers_experts`: HF transformers' batched_mm): a copy of each of the k experts a
    token picks, its gate/up and down matrices at once (the down projection's copies are made while the gate/up
    ones are still held); 0 elsewhere.  The copies of b sequences' step are its transient peak when they outweigh
    the prompt's pass."""
    if a.moe is None or not a.moe_layers or not gathers_experts(p.id, fmt):
        return 0.0
    one = mlp_params(a.expert_width, a.moe.expert_intermediate_size, a.gated_mlp, False)[0]
    return a.moe.experts_per_token * one * expert_bits(a, fmt) / 8.0


def window_cells(a: Architecture, p: EngineProfile) -> float:
    """Tokens a windowed layer's cache holds per sequence: the window, and in an engine that
    allocates the whole context up front (llama.cpp) also the prefill batch being evaluated,
    padded to its cells (llama-kv-cache-iswa.cpp: PAD(n_swa + n_ubatch, 256), with one sequence)."""
    if p.kv_allocation != "context" or not p.prefill_chunk_tokens:
        return float(a.sliding_window)
    blk = p.kv_block_tokens
    return float(np.ceil((a.sliding_window + p.prefill_chunk_tokens) / blk) * blk)


def stack_terms(terms: list[MemoryTerms]) -> MemoryTerms:
    """One :class:`MemoryTerms` whose fields are column vectors, one row per entry."""
    return MemoryTerms(**{f: np.array([getattr(t, f) for t in terms], dtype=np.float64)[:, None]
                          for f in MemoryTerms.__dataclass_fields__})


# --- KV cache -----------------------------------------------------------------------

def replicates_latent(s: Scenario) -> bool:
    """Every card of a tensor-parallel group holds every token's cache: an MLA latent (where the
    engine caches it: :attr:`EngineProfile.mla_latent_cache`) or a DeepSeek-V4 entry, one KV head
    that does not split across cards."""
    a = s.model.architecture
    return s.tensor_parallel > 1 and (a.compressed is not None or latent_cache(s))


def kv_elements_per_token_layer(a: Architecture, s: Scenario, full: bool = False) -> float:
    """KV elements one token adds to one layer on one card (``full``: to one of the
    full-attention layers that :attr:`Architecture.global_attention` shapes)."""
    p = s.profile
    g = a.global_attention
    if full and g is not None:
        tp = s.tensor_parallel
        kv = g.num_kv_heads if tp == 1 else float(np.ceil(g.num_kv_heads / tp))
        return kv * (g.head_dim + a.value_width(g.head_dim))
    if a.compressed:   # DeepSeek-V4: one entry per token serves as key and value (the window's cache)
        return compressed_entry_elements(a, s)
    if a.mla:
        index = index_key_elements(a, s)
        if latent_cache(s):   # replicated on every rank
            packed = packed_latent_bytes(a, s)
            if packed:                     # 1-byte elements
                return packed + index
            return float(a.mla.kv_lora_rank + a.mla.qk_rope_head_dim + index)
        h, _ = heads_per_card(a, s.tensor_parallel, p)
        return h * (a.q_head_dim + a.v_head_dim) + index
    _, h_kv = heads_per_card(a, s.tensor_parallel, p)
    return h_kv * (a.head_dim + a.v_head_dim)


def compressed_entry_elements(a: Architecture, s: Scenario) -> float:
    """Cache elements of one DeepSeek-V4 entry (the window's and the compressed layers'): ``head_dim`` values,
    or where the engine packs an fp8 cache its own record, in bytes (vLLM: the non-rotary values in FP8 with a
    UE8M0 scale per 64, the rotary ones in bf16 and a pad byte: 448 + 128 + 7 + 1 = 584)."""
    c = a.compressed
    if not _packs_fp8(s):
        return float(a.head_dim)
    nope = a.head_dim - c.rope_dim
    return nope + 2.0 * c.rope_dim + nope / 64 + 1.0


def compressed_kv_elements(a: Architecture, s: Scenario, sparse: bool = False) -> float:
    """Cache elements one token adds over DeepSeek-V4's compressed layers (0 for other models): in each
    CSA layer an entry per ``csa_rate`` tokens and the indexer's key for it (in the engine's own format for
    those keys, converted to the cache dtype's elements), in each HCA layer one per ``hca_rate`` tokens.
    ``sparse``: the CSA layers' entries only (what a sparse kernel reads at most ``index_topk`` of)."""
    c = a.compressed
    if c is None:
        return 0.0
    entry = compressed_entry_elements(a, s)
    csa = c.csa_layers * entry / c.csa_rate
    if sparse:
        return csa
    index = c.index_head_dim * index_key_scale(s)
    return csa + c.csa_layers * index / c.csa_rate + c.hca_layers * entry / c.hca_rate


def _packs_fp8(s: Scenario) -> bool:
    """The engine stores an fp8 cache of DeepSeek's sparse-attention models in records of its own."""
    return s.profile.packed_fp8_latent and s.kv_dtype == "fp8"


def index_key_scale(s: Scenario) -> float:
    """Cache elements per value of a lightning indexer's key: the engine's own format for those keys (FP8 with a
    scale per 128) in the cache dtype's elements, or 1 where it keeps them at the cache dtype."""
    own = s.profile.index_key_bytes
    return own / s.kv.bytes_per_element if own else 1.0


def packed_latent_bytes(a: Architecture, s: Scenario) -> float | None:
    """Bytes of one token's MLA latent in one layer where the engine packs a sparse-attention model's fp8 cache
    in FlashMLA's record (:attr:`EngineProfile.packed_fp8_latent`): the latent in FP8 with an fp32 scale per
    128 values, the RoPE dimensions in bf16 (656 for 512 + 64); None elsewhere."""
    if not (a.mla and a.indexer and latent_cache(s) and _packs_fp8(s)):
        return None
    return a.mla.kv_lora_rank * FP8_SCALED_BYTES + 2.0 * a.mla.qk_rope_head_dim


def index_key_elements(a: Architecture, s: Scenario) -> float:
    """The key a sparse-attention indexer caches per token, per attention layer, in the cache's elements
    (on every rank; averaged over the layers, as only those that own an indexer cache one; in the engine's
    own format for the keys where it has one, converted to the cache dtype's elements)."""
    if a.indexer is None:
        return 0.0
    return a.indexer.head_dim * a.indexer_layers / a.attention_layers * index_key_scale(s)


def recurrent_state_bytes(a: Architecture, act_bytes: float) -> float:
    """Bytes of one sequence's fixed-size state over all Gated DeltaNet and Mamba-2 layers (0
    without them): a ``d_k × d_v`` matrix per value head (Mamba-2: ``d_head × d_state`` per
    head), and the convolution's last ``kernel - 1`` inputs, both at the engine's activation
    dtype ``act_bytes``, the matrix at the config's ``mamba_ssm_dtype`` where that is wider
    (vLLM keeps Qwen3.5's in float32 and Qwen3-Next's in bf16; llama.cpp keeps both in f32,
    its activation dtype)."""
    return float(sum(g.layers * (g.state_elements * max(g.state_bytes or 0, act_bytes)
                                 + g.conv_state_elements * act_bytes) for g in a.recurrent_mixers))


def state_bytes(s: Scenario) -> float:
    """One sequence's recurrent state on a card at its size: what a decode step reads and writes (an
    engine that pages states in its KV blocks holds more of them: :func:`state_paging`)."""
    return recurrent_state_bytes(s.model.architecture, s.profile.activation_bytes) * layer_share(s) / s.tensor_parallel


def allocated_tokens(profile: EngineProfile, tokens: ArrayLike, block: ArrayLike = 0.0) -> np.ndarray:
    """Tokens per sequence the engine reserves for ``tokens`` of context (``block``: the terms' own block
    where the engine pages recurrent states with the cache, 0: the profile's)."""
    t = np.asarray(tokens, dtype=np.float64)
    if np.ndim(block) == 0:     # (one scenario's terms, or none paged: the common case, kept cheap)
        blk = block or profile.kv_block_tokens
        return np.maximum(np.ceil(t / blk), 1.0) * blk if blk > 1 else t
    blk = np.where(np.asarray(block) > 0, block, profile.kv_block_tokens)
    return np.where(blk > 1, np.maximum(np.ceil(t / blk), 1.0) * blk, t)


def kv_from_terms(t: MemoryTerms, profile: EngineProfile, tokens: ArrayLike, batch: ArrayLike,
                  allocated: bool = True, prompt: ArrayLike | None = None) -> np.ndarray:
    """KV-cache bytes per card for ``batch`` sequences of ``tokens`` each (windowed layers
    capped at their window, or in SGLang's hybrid pool holding a fixed share of the tokens; in an
    engine whose sliding-window layers keep the prompt (:attr:`EngineProfile.window_keeps_prompt`;
    not DeepSeek-V4's compressed ones), at least its ``prompt`` tokens, all ``tokens`` where the
    prompt is not given)."""
    n = allocated_tokens(profile, np.maximum(tokens, t.context_floor), t.block) if allocated \
        else np.asarray(tokens, dtype=np.float64)
    held = profile.swa_pool_ratio * n if profile.swa_pool_ratio else np.minimum(n, t.window)
    if np.any(t.keeps_prompt):
        held = np.where(np.asarray(t.keeps_prompt) > 0,
                        np.maximum(held, n if prompt is None else np.minimum(prompt, n)), held)
    cells = t.kv_full * n + t.kv_windowed * held + t.state
    return cells * np.asarray(batch, dtype=np.float64)


def kv_cache_bytes(s: Scenario, tokens: ArrayLike, batch: ArrayLike, allocated: bool = True) -> np.ndarray:
    """KV-cache bytes per card for ``batch`` sequences of ``tokens`` each.

    ``2 · L · h_kv · d_h · bytes`` per token (MLA: the latent), windowed layers capped at
    the window, times the engine's allocated tokens (``allocated=False``: the tokens
    actually filled, without block rounding), plus the fixed state of Gated DeltaNet and
    Mamba-2 layers, times the batch.
    """
    return kv_from_terms(memory_terms(s), s.profile, tokens, batch, allocated)


def kv_bytes_per_token(s: Scenario) -> float:
    """Per-card bytes of one token of one sequence in every layer (no window cap; SGLang's
    hybrid pool: the windowed layers' share of it)."""
    return per_token_bytes(memory_terms(s), s.profile)


def per_token_bytes(t: MemoryTerms, profile: EngineProfile) -> float:
    """:func:`kv_bytes_per_token` from the coefficients."""
    return float(t.kv_full + t.kv_windowed * (profile.swa_pool_ratio or 1.0))


# --- activations ----------------------------------------------------------------------

def activations_from_terms(t: MemoryTerms, profile: EngineProfile, prompt: ArrayLike, batch: ArrayLike,
                           output: ArrayLike = 0) -> np.ndarray:
    """Transient peak of one forward pass (prefill), per card.

    Peak = the larger of the forward pass (hidden states alive throughout + the largest of:
    the attention block (q/k/v, and in eager mode the ``b·h·s_q·s_kv`` score matrix), the
    MLP intermediates, the logits) and the sampler's warm-up, which runs after it (vLLM's
    start-up profile: where the sampler dominates, its peak is the sampler's alone: Llama 3.x's
    1,024 × 128,256 × 16 bytes = 1.96 GiB, measured 1.96 GiB for Llama 3.3 70B at TP 2 and 4).
    Scaled by the allocator's fragmentation share.
    """
    p = profile
    prompt = np.asarray(prompt, dtype=np.float64)
    b = np.asarray(batch, dtype=np.float64)
    if p.static_fraction:                     # SGLang runs them in the memory its share leaves out
        return np.zeros(np.broadcast(prompt, b, output).shape)
    copies = 0.0
    if p.profile_tokens is not None:          # engine reserves its start-up profile's peak
        tokens = np.full(np.broadcast(prompt, b).shape, 1.0) * t.profile_tokens
        rows_q, s_kv, n_seq = tokens, tokens, 1.0
        outputs = n_seq
    elif p.kv_allocation == "context":         # worst-case graph: n_ubatch tokens vs the full n_ctx
        per_seq = allocated_tokens(p, np.maximum(prompt + output, t.context_floor))
        n_ctx = per_seq * b
        tokens = np.minimum(float(p.prefill_chunk_tokens or 512), n_ctx)
        # the batch's tokens attend every cell of one cache, or with a stream a sequence, their own sequence's
        seen = per_seq if p.kv_streams else n_ctx
        rows_q, s_kv, n_seq = tokens, seen, 1.0
        outputs = np.minimum(tokens, b)         # llama-server's n_outputs_max: a logits row for each sequence
        # a pipeline of cards: more copies of the inputs each card receives (the hidden state, the f32 mask
        # over every cell, its rows padded to a multiple of GGML_KQ_MASK_PAD, taken as 64: an assumption that
        # only matters below 512 tokens, the batch being a multiple of it; a windowed cache has a mask of its own)
        cells = seen + np.where(np.asarray(t.kv_windowed) > 0, np.minimum(t.window * (1 if p.kv_streams else b),
                                                                         seen), 0.0)
        copies = tokens * t.copy_hidden + np.ceil(tokens / 64.0) * 64.0 * cells * t.copy_mask
    else:
        chunk = p.prefill_chunk_tokens
        q = np.minimum(prompt, chunk) if chunk else prompt
        q = np.maximum(q, 1.0)
        tokens = q * b
        rows_q, s_kv, n_seq = q, np.maximum(prompt, 1.0), b
        outputs = n_seq
    attn = tokens * t.attention + (n_seq * rows_q * s_kv) * t.scores
    logit_rows = tokens if p.logits_all_positions else outputs
    forward = tokens * t.hidden + np.maximum(np.maximum(attn, tokens * t.mlp), logit_rows * t.logits)
    # the sampler's warm-up runs once the forward pass is done, beside the fused-expert workspaces it keeps; a
    # decode step's gathered expert copies (HF transformers' batched_mm), one row a sequence
    peak = np.maximum(forward, t.sampler + tokens * t.moe_workspace) + copies
    if np.any(t.decode_gather):
        peak = np.maximum(peak, b * t.decode_gather)
    return peak * (1.0 + p.allocator_fraction)


def _mlp_width(a: Architecture) -> float:
    """Intermediate width one token activates (MoE: its experts plus the shared ones)."""
    if a.moe is None:
        return float(a.intermediate_size)
    moe_width = a.moe.experts_per_token * a.moe.expert_intermediate_size + a.moe.shared_intermediate_size
    return float(max(moe_width, a.intermediate_size if a.moe.dense_layers else 0))


# --- overhead and the whole breakdown ------------------------------------------------------

def overhead_bytes(s: Scenario) -> float:
    """CUDA context, engine buffers, communication buffers, CUDA graphs: per card."""
    p = s.profile
    return (p.cuda_context_bytes + p.framework_bytes + p.cuda_graph_bytes
            + communication_bytes(s))


def communication_bytes(s: Scenario) -> float:
    """The engine's buffers for splitting layers across cards (tensor parallel: NCCL and
    custom all-reduce); pipeline stages alone pass activations with small sends (vLLM's
    llm-d logs: PP 2 leaves the non-torch memory at the single card's)."""
    return s.profile.multi_gpu_bytes if s.tensor_parallel > 1 else 0.0


def estimate_memory(s: Scenario, prompt: ArrayLike | None = None, batch: ArrayLike | None = None,
                    output: ArrayLike | None = None) -> MemoryBreakdown:
    """Memory per card for ``s``, swept over any of prompt tokens, batch, output tokens."""
    prompt = np.asarray(s.prompt_tokens if prompt is None else prompt, dtype=np.float64)
    batch = np.asarray(s.batch if batch is None else batch, dtype=np.float64)
    output = np.asarray(s.output_tokens if output is None else output, dtype=np.float64)
    shape = np.broadcast(prompt, batch, output).shape
    ones = np.ones(shape)
    t = memory_terms(s)
    context = prompt + output
    return MemoryBreakdown(
        weights=t.weights * ones,
        kv_cache=kv_from_terms(t, s.profile, context, batch, prompt=prompt) * ones,
        activations=activations_from_terms(t, s.profile, prompt, batch, output) * ones,
        overhead=t.overhead * ones,
        kv_tokens_per_seq=allocated_tokens(s.profile, np.maximum(context, t.context_floor), t.block) * ones,
        kv_bytes_per_token=per_token_bytes(t, s.profile),
        state_bytes_per_seq=float(t.state),
    )


def total_from_terms(t: MemoryTerms, profile: EngineProfile, prompt: ArrayLike, batch: ArrayLike,
                     output: ArrayLike = 0) -> np.ndarray:
    """The four bands' sum, from the coefficients (what the fit searches evaluate)."""
    prompt = np.asarray(prompt, dtype=np.float64)
    return (t.weights + kv_from_terms(t, profile, prompt + output, batch, prompt=prompt)
            + activations_from_terms(t, profile, prompt, batch, output) + t.overhead)
