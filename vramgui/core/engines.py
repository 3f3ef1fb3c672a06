"""Engine profiles: what each inference engine allocates, when, and how fast it runs.

Each default below stands for a mechanism, named in the field's description and in the
profile's ``sources`` (one entry per topic: what the engine does and the evidence); none
is a fudge factor fitted to one data point.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .formats import MLX_FORMATS, WEIGHT_FORMATS, WeightFormat, stored_kv
from .units import GIB, MIB

Attention = Literal["eager", "sdpa", "flash"]
SOURCE_TOPICS = ("weights", "kv_cache", "activations", "overhead", "budget", "parallel")


class EngineProfile(BaseModel):
    """How an engine spends GPU memory and time."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    name: str
    notes: str
    sources: dict[str, str] = Field(
        description="where each group of defaults comes from (the mechanism and its evidence), one entry "
                    "per topic in SOURCE_TOPICS; the explain panel shows them")

    # --- KV cache -----------------------------------------------------------------
    kv_allocation: Literal["grow", "context", "pool"] = Field(
        description="grow: cache holds the tokens seen so far (HF); context: the whole n_ctx per sequence "
                    "up front (llama.cpp); pool: every byte left after weights, activation peak and "
                    "overhead becomes KV blocks (vLLM)")
    kv_block_tokens: int = Field(1, ge=1, description="allocation granularity of the cache, tokens")
    default_context: tuple[tuple[float, int], ...] | None = Field(None, description=(
        "(GiB, tokens) tiers, largest first: the context per sequence the engine allocates where the request asks "
        "for less, by the memory of every card it sees together (the first tier whose GiB that reaches), at most "
        "the model's trained context (Ollama's default num_ctx); None: the request's own context"))
    honors_sliding_window: bool = Field(True, description="windowed layers cache only the window")
    window_keeps_prompt: bool = Field(False, description=(
        "windowed layers hold the whole prompt's keys and values after the prompt's pass, until the first "
        "generated token replaces them: the peak counts them at the prompt's length where that exceeds the window"))
    mla_latent_cache: bool = Field(True, description="MLA models cache the latent, not expanded K/V")
    mla_expands_cache: bool = Field(False, description=(
        "every pass expands the whole cached latent into every head's keys and values (HF transformers 5.24's "
        "expand_kv: kv_b_proj over each cached token, the keys copied whole, then attention over them): a step "
        "moves those bytes and does that matmul's FLOPs for each cached token (mla_expansion)"))
    sparse_attention: bool = Field(False, description=(
        "with DeepSeek sparse attention (a lightning indexer) each query reads only the indexer's top-k "
        "tokens of the cache; False: the top-k applied as a mask over the whole cache, or not cited"))
    index_key_bytes: float | None = Field(None, gt=0, description=(
        "bytes per value of the indexer's cached keys when the engine keeps them in its own format (fp8 with "
        "a scale per 128 values: 1 + 4/128); None: the KV cache's dtype. Set together with FP8 indexer math, "
        "which runs at twice the 16-bit tensor rate"))
    packed_fp8_latent: bool = Field(False, description=(
        "with an fp8 KV cache a sparse-attention model's MLA latent is packed as FlashMLA's record (vLLM's "
        "fp8_ds_mla): the latent in FP8 with an fp32 scale per 128 values, the RoPE dimensions in bf16 (656 "
        "bytes for 512 + 64); DeepSeek-V4's entries as its own (FP8 with a UE8M0 scale per 64, RoPE in bf16, "
        "a pad byte: 584 for 448 + 64); False: at the cache's dtype"))
    mla_absorbed: Literal["never", "decode", "always"] = Field("never", description=(
        "where an MLA model's attention runs over the cached latent: each head's query absorbs the key "
        "up-projection, so its keys are the latent with the RoPE dimensions and its values the latent, one KV "
        "head for all (2 x (2 x kv_lora_rank + rope) FLOPs a query-key pair and head, where the up-projected "
        "heads take 2 x (query head + value head); DeepSeek-V3's 1,088 against 320): 'decode' in decode steps, "
        "prompts up-projected; 'always' in every pass; 'never' up-projected throughout. The source names the "
        "code (sources['mla_attention'])"))

    # --- budget -------------------------------------------------------------------
    util_fraction: float = Field(1.0, gt=0, le=1, description="share of the card's memory the engine may use")
    free_margin_bytes: float = Field(0.0, ge=0, description=(
        "memory the engine leaves free on each card when it places the model there (llama-server's --fit target, "
        "which Ollama relies on): a model that needs more moves layers to the CPU"))
    auto_fit_margin_bytes: float = Field(0.0, ge=0, description=(
        "memory the engine's automatic placement keeps free where the command line leaves the layers unset "
        "(llama-server's and llama-cli's --fit, on by default): a model that fits with less headroom has layers "
        "moved to the CPU unless they are given (-ngl); 0: none, or already in the budget (free_margin_bytes)"))
    static_fraction: bool = Field(False, description=(
        "the share caps the weights and the KV pool only, as a share of the memory free once the CUDA context "
        "and communication buffers exist (SGLang's mem_fraction_static); the engine runs its activations and "
        "CUDA graphs in the rest, outside the budget. False: the share is of the whole card and holds "
        "everything (vLLM's gpu_memory_utilization)"))
    util_rule: Literal["fixed", "sglang"] = Field("fixed", description=(
        "the default share: fixed (util_fraction), or SGLang's rule from the card's memory and the "
        "tensor-parallel size (:func:`sglang_static_fraction`)"))
    swa_pool_ratio: float | None = Field(None, gt=0, le=1, description=(
        "windowed layers get a pool of this share of the full layers' tokens (SGLang's hybrid SWA pool, "
        "swa_full_tokens_ratio) instead of keeping only their window; None: the window"))
    kv_group_padding: bool = Field(False, description=(
        "windowed and full attention layers are cached in groups of one size, each kind padded with empty "
        "layers to a whole number of groups (vLLM's hybrid KV cache manager: kv_group_slots)"))
    state_blocks: int = Field(0, ge=0, le=8, description=(
        "where a model has recurrent layers (Gated DeltaNet, Mamba-2, Mamba) beside attention, the engine pages "
        "their state in the cache's blocks (vLLM's hybrid allocator): the attention block grows to a multiple of "
        "kv_block_tokens whose bytes hold one layer's state, each state is padded to that page, the layers are "
        "grouped as kv_group_padding groups them, and each sequence holds this many state blocks per state group "
        "(1: no prefix caching, vLLM's default for hybrid models in its 0.19 logs; prefix caching's 'align' mode, "
        "the default of its 0.17 logs for Qwen3.5, holds 2); 0: states apart, each its own size"))
    parallel: Literal["tensor", "layer"] = Field(description="what several cards do")
    embedding_on_host: bool = Field(False, description="token-embedding table stays in system RAM")
    pipeline_copies: int = Field(1, ge=1, description=(
        "copies of each card's compute-graph inputs when several cards split the layers and every layer is on a "
        "card (llama.cpp's pipeline parallelism: n_copies = 4, GGML_SCHED_MAX_COPIES); 1: none"))
    split_output_as_layer: bool = Field(False, description=(
        "a layer split shares the layers and the output layer out as n_layer + 1 equal units, in order, the "
        "output layer last (llama.cpp); otherwise the busiest card is taken to hold ceil(n_layer / cards) layers "
        "and the larger edge (the embedding's or the output layer's)"))
    rope_table: bool = Field(False, description="rotary cos/sin tables precomputed for every position the config "
                                                "allows, in the model's dtype (vLLM's get_rope)")
    loads_vision: bool = Field(True, description="a vision-language checkpoint's image encoder is loaded with "
                                                 "the language model")
    module_buffers: bool = Field(False, description=(
        "transformers' own model classes: the buffers they register (GPT-Neo's causal masks, ...) and the routers "
        "they keep in fp32 are on the card beside the weights (:func:`hf_resident_extras`)"))

    # --- activations (transient peaks) --------------------------------------------
    default_attention: Attention = "sdpa"
    prefill_chunk_tokens: int | None = Field(None, ge=1, description="tokens per prefill step; None = all")
    profile_tokens: int | None = Field(
        None, ge=1, description="tokens of the start-up profiling pass whose peak the engine reserves "
                                "(vLLM max_num_batched_tokens); None = the scenario's own prompt")
    activation_bytes: float = Field(2.0, gt=0, description="bytes per activation element")
    kv_written_to_cache: bool = Field(False, description="K and V go straight into the cache; only Q is "
                                                         "a transient")
    hidden_copies: float = Field(3.0, ge=0, description="b·s·d tensors alive at the peak (residual, "
                                                        "normed input, block output)")
    mlp_copies: float = Field(3.0, ge=0, description="b·s·f tensors alive in a gated MLP (gate, up, "
                                                     "product); two thirds of it for a plain MLP")
    eager_score_bytes: float = Field(4.0, ge=0, description="bytes per attention-score element in eager "
                                                            "attention, all copies alive at the peak")
    eager_score_bytes_bf16: float | None = Field(None, ge=0, description=(
        "the same where the model runs in bf16 (its cache's dtype), if that differs; None: eager_score_bytes"))
    mask_bytes: float = Field(0.0, ge=0, description="bytes per (query, key) pair of the attention mask")
    flash_mask_bytes: float = Field(0.0, ge=0, description="the same with flash attention (sdpa / flash), where "
                                                           "the engine still builds a mask for the kernel")
    output_layer_first: bool = Field(False, description="layers offloaded to a GPU (-ngl N) begin with the output "
                                                        "layer, then the repeating layers from the last; else the "
                                                        "repeating layers first and the output layer only with all")
    op_offload_copies: bool = Field(False, description=(
        "with part of the model in system RAM, a prompt's pass runs the RAM-resident layers' work on the GPU and "
        "copies its inputs there, into the GPU's compute buffer (llama.cpp's scheduler, op offload): the largest "
        "of one layer's weight tensors or of one attention layer's K and V (core.offload.op_offload_copy_bytes)"))
    kv_streams: bool = Field(False, description="each parallel sequence's cache is a stream of its own (llama.cpp's "
                                                "non-unified KV cache): a batch's tokens attend their own "
                                                "sequence's cells, not every sequence's")
    attention_hidden_copies: float = Field(0.0, ge=0, description="b·s·d tensors alive beside the attention "
                                                                  "block's own (its input, residual and output), "
                                                                  "where they outlast the other phases' peak")
    logits_all_positions: bool = Field(False, description="prefill computes logits for every prompt token")
    prompt_logits_last: bool = Field(False, description=(
        "prefill runs the output layer on each prompt's last token only (the one the sampler draws from): a "
        "prompt's pass without such a token does not read it (speed; False: every pass reads it)"))
    logits_bytes: float = Field(4.0, ge=0, description="bytes per logit (fp32 upcast + copies)")
    sampler_seqs: int = Field(0, ge=0, description="sequences the sampler's warm-up holds logits for")
    small_card_batch: tuple[int, int] | None = Field(None, description=(
        "(tokens per pass, sequences) the engine defaults to on cards of under 70 GiB and on A100s, in place of "
        "profile_tokens / prefill_chunk_tokens and sampler_seqs (vLLM's get_batch_defaults); None: the same on "
        "every card"))
    sampler_bytes_per_logit: float = Field(0.0, ge=0)
    moe_workspace: bool = Field(False, description=(
        "an MoE model's fused-expert workspaces, sized for the start-up pass's tokens, are still allocated "
        "during the sampler's warm-up (vLLM's modular fused-MoE kernels): memory.moe_workspace_bytes"))
    allocator_fraction: float = Field(0.0, ge=0, le=1, description="caching-allocator fragmentation, as a "
                                                                   "share of the transient peak")

    # --- runtime overhead -----------------------------------------------------------
    cuda_context_bytes: float = Field(description="driver context, kernels and library handles per card")
    framework_bytes: float = Field(0.0, ge=0, description="engine buffers outside the tensor allocator")
    multi_gpu_bytes: float = Field(0.0, ge=0, description="communication buffers per card when N > 1")
    cuda_graph_bytes: float = Field(0.0, ge=0, description="captured CUDA graphs' private pools")

    @model_validator(mode="after")
    def _every_topic_sourced(self) -> EngineProfile:
        missing = [t for t in SOURCE_TOPICS if not self.sources.get(t, "").strip()]
        if missing:
            raise ValueError(f"engine '{self.id}': sources lacks {', '.join(missing)}")
        return self


#: SGLang's default mem_fraction_static (python/sglang/srt/server_args.py, _handle_gpu_memory_settings,
#: v0.5.x): by the card's memory in MiB (below each bound), the prefill chunk and the largest CUDA-graph
#: batch it picks (below 4 tensor-parallel ranks / from 4).
SGLANG_TIERS = ((20 * 1024, 2048, 8, 8), (35 * 1024, 2048, 24, 80), (60 * 1024, 4096, 32, 160),
                (90 * 1024, 8192, 256, 512), (160 * 1024, 8192, 256, 512), (float("inf"), 16384, 512, 512))


def _sglang_tier(mib) -> np.ndarray:
    """Rows of :data:`SGLANG_TIERS` for cards of ``mib`` MiB (the first bound above each)."""
    return np.searchsorted(np.array([t[0] for t in SGLANG_TIERS]), mib, side="right")


def sglang_static_fraction(card_mib, tp: int, cards: int | None = None) -> np.ndarray:
    """SGLang's default ``mem_fraction_static`` for cards of ``card_mib`` MiB (a number or an
    array) at tensor-parallel size ``tp`` over ``cards`` cards in all (tp × pipeline stages;
    default ``tp``): it holds back, in MiB, 512 (the attention backend's metadata) + 1.5 ×
    max(chunk, 2048) (a prefill chunk's activations) + 2 × the largest CUDA-graph batch +
    1024 × cards / 8, and at least 10 GiB on cards over 60 GiB, and keeps the rest of the
    card, rounded to three decimals."""
    mib = np.asarray(card_mib, dtype=np.float64)
    tier = _sglang_tier(mib)
    chunk = np.array([t[1] for t in SGLANG_TIERS])[tier]
    graphs = np.array([t[2] if tp < 4 else t[3] for t in SGLANG_TIERS])[tier]
    held = 512.0 + 1.5 * np.maximum(chunk, 2048) + 2.0 * graphs + 1024.0 * (cards or tp) / 8
    held = np.where(mib > 60 * 1024, np.maximum(held, 10 * 1024), held)
    return np.round((mib - held) / mib, 3)


def engine_share(s, card_bytes) -> float | np.ndarray:
    """The utilization share the engine applies on cards of ``card_bytes`` (a number or an
    array): the user's memory cap, else the profile's default (SGLang's depends on the card)."""
    if s.gpu_util is not None:
        return float(s.gpu_util)
    return default_share(s, card_bytes)


def default_share(s, card_bytes) -> float | np.ndarray:
    """The engine's own utilization share for ``s`` on cards of ``card_bytes`` (SGLang's from
    the card's memory, its tensor-parallel size and its count of cards)."""
    p = s.profile
    if p.util_rule == "sglang":
        return sglang_static_fraction(np.asarray(card_bytes, dtype=np.float64) / MIB, s.tensor_parallel, s.n_gpus)
    return p.util_fraction


def seen_memory(gpu, n_gpus: int = 1) -> float:
    """Bytes of GPU memory an engine sees on ``n_gpus`` of ``gpu`` together: on an Apple chip the share its GPU may
    use (what Metal reports as the device's memory), elsewhere the card's."""
    return gpu.memory_bytes * gpu.gpu_share * n_gpus


def default_context(p: EngineProfile, gpu, n_gpus: int, model_max: int) -> int:
    """Tokens per sequence the engine allocates at the least on ``n_gpus`` of ``gpu`` (:attr:`EngineProfile.
    default_context`: Ollama's tier by the memory of every card together, :func:`seen_memory`, at most the model's
    ``model_max``); 0 where the request's own context is what it allocates."""
    return context_for(p, seen_memory(gpu, n_gpus), model_max)


def context_for(p: EngineProfile, seen_bytes: float, model_max: int) -> int:
    """:func:`default_context` where the engine sees ``seen_bytes`` of GPU memory in all."""
    if not p.default_context:
        return 0
    tokens = next((t for gib, t in p.default_context if seen_bytes >= gib * GIB), p.default_context[-1][1])
    return min(tokens, model_max)


def batch_defaults(p: EngineProfile, gpu) -> tuple[int | None, int | None, int]:
    """(tokens of the start-up profiling pass, prefill chunk, sequences of the sampler's
    warm-up) the engine uses on ``gpu``: vLLM picks its larger batch only on cards of 70 GiB
    or more that are not A100s; SGLang its chunk by the card's memory (:data:`SGLANG_TIERS`)."""
    if p.small_card_batch and (gpu.memory_bytes < 70 * GIB or "a100" in gpu.name.lower()):
        tokens, seqs = p.small_card_batch
        return tokens, tokens, seqs
    if p.util_rule == "sglang":
        return p.profile_tokens, SGLANG_TIERS[int(_sglang_tier(gpu.memory_bytes / MIB))][1], p.sampler_seqs
    return p.profile_tokens, p.prefill_chunk_tokens, p.sampler_seqs


#: A PyTorch process's memory beside its caching allocator once it has run a model: the CUDA context, cuBLAS's
#: and the other libraries' handles and workspaces.  Measured by vramgui on an H200 (torch 2.11.0+cu130, driver
#: 580): 0.67-0.69 GiB after generate() of 16 models on seven machine starts (0.61 GiB before the first
#: matmul).  Only that card was measured; the driver's share grows with the card's threads, so smaller cards
#: presumably hold less (read on the safe side).
TORCH_CONTEXT_BYTES = 0.69 * GIB

FP8_SCALED_BYTES = 1.0 + 4.0 / 128   # an FP8 value and an fp32 scale per 128 (indexer keys, FlashMLA's fp8 latent)

#: llama-server's and llama-cli's --fit target (--fit-target, LLAMA_ARG_FIT_TARGET): the memory their automatic
#: placement leaves free on each card (ggml-org/llama.cpp PR #16653, Dec 2025; logs: 'will leave 1670 >= 1024 MiB of
#: free device memory, no changes needed').
FIT_TARGET_BYTES = 1024 * MIB
#: ... and the least context it sets where the user gave none (--fit-ctx, LLAMA_ARG_FIT_CTX; common/common.h
#: fit_params_min_ctx = 4096): without -c, llama-server starts from the model's training context and, where that does
#: not fit with the margin free, takes the largest that does, rounded down to 256 tokens, before it moves any layer to
#: the CPU (PR #16653's 'the code first tries reducing the context size and then starts moving weights').
FIT_MIN_CONTEXT = 4096

ENGINES: dict[str, EngineProfile] = {e.id: e for e in [
    EngineProfile(
        id="generic", name="Generic (theory)", parallel="tensor", kv_allocation="grow",
        default_attention="sdpa", eager_score_bytes=4.0, cuda_context_bytes=TORCH_CONTEXT_BYTES, sparse_attention=True,
        index_key_bytes=FP8_SCALED_BYTES, mla_absorbed="always",
        notes="Textbook estimate: weights + KV cache for the tokens held + the transient peak of one "
              "forward pass + a CUDA context.",
        sources={
            "weights": "Textbook: every tensor of the checkpoint on the card(s), a vision-language model's image "
                       "encoder included.",
            "kv_cache": "Transformer arithmetic: K and V of every layer and KV head for each token held; no "
                        "engine-specific allocation.",
            "activations": "Textbook peak of one forward pass; eager attention keeps the fp16 scores and their "
                           "softmax (4 bytes per score).",
            "overhead": "A CUDA context with cuBLAS handles, 0.69 GiB per card: the HF transformers figure.",
            "budget": "Assumption: the whole card is usable.",
            "parallel": "Tensor parallel over N cards (every layer split, as in Megatron-LM); with pipeline stages "
                        "each stage's cards hold its share of the layers, the batch passing them as one micro-batch "
                        "per stage.",
            "sparse_attention": "The model's design: with a lightning indexer (DeepSeek-V3.2, GLM-5; DeepSeek-V4's "
                                "CSA layers over their compressed entries) each query attends to index_topk of "
                                "them; the indexer scores them all, in FP8 with its keys "
                                "cached in FP8 and a scale per 128 values, as DeepSeek's reference inference code "
                                "runs it.",
            "mla_attention": "DeepSeek's reference inference code (github.com/deepseek-ai/DeepSeek-V3, inference/"
                             "model.py: attn_impl 'absorb' by default, 'naive' the alternative) caches the latent and "
                             "the RoPE key and attends over them in every pass, the query multiplied by the key "
                             "up-projection first and the output by the value's after.",
        },
    ),
    EngineProfile(
        id="hf", name="HF transformers", parallel="layer", kv_allocation="grow", default_attention="sdpa",
        eager_score_bytes=8.0, eager_score_bytes_bf16=10.0, mask_bytes=4.0, logits_all_positions=False,
        logits_bytes=6.0, prompt_logits_last=True, mla_expands_cache=True, window_keeps_prompt=True,
        allocator_fraction=0.10, cuda_context_bytes=TORCH_CONTEXT_BYTES, module_buffers=True,
        notes="model.generate() on PyTorch: the cache grows as tokens are generated.",
        sources={
            "weights": "Every tensor on the GPU (device_map places them); a vision-language checkpoint loads as "
                       "its ...ForConditionalGeneration class, image encoder included (on the first card). The "
                       "buffers transformers 5.24's classes register move with their modules: GPT-Neo's boolean "
                       "causal mask of max_position_embeddings² in every attention layer, GPT-BigCode's one, GPT-J's "
                       "and CodeGen's fp32 sin/cos table; from_pretrained keeps the routers its "
                       "_keep_in_fp32_modules_strict names in fp32 for bf16 and fp16 alike (DeepSeek-V2/V3, GLM-4.5, "
                       "ERNIE 4.5 MoE, ...; Hunyuan-MoE builds its router in fp32). vramgui loaded small models of "
                       "each family so and summed their parameters and buffers (tests/test_hf_resident.py).",
            "kv_cache": "model.generate(): the cache grows by one token per step (DynamicCache). A sliding-window "
                        "layer (DynamicSlidingWindowLayer; transformers 5.24's source as 5.17's) keeps its last "
                        "window - 1 tokens as a slice of the prompt's concatenated keys and values, a view that holds "
                        "the whole prompt's storage until the first generated token's concatenation replaces it: at "
                        "the peak every windowed layer holds the prompt. Measured by vramgui on an H200 (5.17): "
                        "Gemma 3 4B's generate() peaks 0.87 GiB above the windowed estimate at 8,000 tokens and "
                        "1.45 GiB at 4 x 4,096, Mistral 7B v0.1's (4,096-token window) 0.55 GiB at 8,000 - each "
                        "within 0.1 GiB of its windowed layers holding the whole prompt (measured corpus, own- "
                        "points). An MLA model (transformers' DeepSeek-V2 / V3 family code) caches its latent and "
                        "RoPE key ('Cache read / write is performed while latent KV is still compressed') and every "
                        "pass expands each cached token into every head's keys and values (expand_kv), which a "
                        "step's bytes and FLOPs count; Kimi K2's remote code caches the expanded heads. vramgui's "
                        "H200 run of DeepSeek-V2-Lite (5.17) peaked 0.78 GiB above the weights at 4,128 tokens, "
                        "under the 1.06 GiB expanded keys and values alone would take.",
            "activations": "Eager attention materialises b·h·s·s scores: the fp16 product, its fp32 softmax and "
                           "the fp16 copy are alive together (8 bytes per score, four times the fp16 matrix); in "
                           "bf16 10 bytes: softmax(..., dtype=float32) fuses the upcast for fp16 inputs on CUDA only "
                           "and first copies a bf16 input to fp32 (ATen SoftMax.cpp), so the bf16 scores, that copy "
                           "and the fp32 result are alive together (vramgui's own H200 runs: Llama 3 8B at "
                           "2,048-8,192 tokens and Llama 2 7B at 1 x 4,096 and 4 x 2,048 peak 9.6-10.4 bytes a "
                           "score above the weights and cache; measured corpus, own- points), "
                           "plus a b·1·s·s fp16 causal mask and its expanded copy (4 bytes per pair).  sdpa/flash "
                           "never hold the matrix.  Recent versions compute prompt logits for the last token "
                           "only (logits_to_keep); they are upcast to fp32 (6 bytes per logit with the fp16 "
                           "original).  The PyTorch caching allocator fragments large transient blocks (about "
                           "10 % of the transient peak).",
            "overhead": "CUDA context + cuBLAS handles: 0.69 GiB per card, measured by vramgui on an H200 "
                        "(torch 2.11.0+cu130: the device's used memory less torch's reserved pool after generate() "
                        "of 16 models on seven machine starts, 0.67-0.69 GiB; measured corpus, own- points).",
            "budget": "PyTorch may allocate the whole card.",
            "parallel": "device_map='auto' places whole layers per card (pipeline, one card busy at a time).",
            "sparse_attention": "DeepSeek-V3.2 / GLM-5 in its default sdpa (and eager) attention: the indexer's "
                                "top-k becomes an additive mask over every cached token (modeling_deepseek_v32.py: "
                                "'The eager / SDPA paths turn these into an additive sparse mask'), so a step "
                                "reads and scores the whole cache. DeepSeek-V4's CSA layers likewise: the top-k "
                                "indices become a bias over every compressed entry (modeling_deepseek_v4.py's "
                                "block_bias).",
        },
    ),
    EngineProfile(
        id="vllm", name="vLLM", parallel="tensor", kv_allocation="pool", kv_block_tokens=16, kv_group_padding=True,
        state_blocks=1, moe_workspace=True, prompt_logits_last=True,
        util_fraction=0.92, default_attention="flash", prefill_chunk_tokens=8192, profile_tokens=8192,
        sampler_seqs=1024, small_card_batch=(2048, 256), sampler_bytes_per_logit=16.0, cuda_context_bytes=0.0,
        rope_table=True,
        sparse_attention=True, index_key_bytes=FP8_SCALED_BYTES, packed_fp8_latent=True, mla_absorbed="decode",
        framework_bytes=0.25 * GIB, multi_gpu_bytes=1.8 * GIB, cuda_graph_bytes=0.9 * GIB,
        notes="Serving engine: a share of the card is profiled at start-up and what is left becomes "
              "KV-cache blocks.",
        sources={
            "weights": "Every weight on the GPU; embeddings and LM head are split across tensor-parallel "
                       "ranks.  A vision-language model's image encoder is loaded too, split like the language "
                       "model's layers.  Each rank also holds the rotary embeddings' cos/sin tables for every "
                       "position max_position_embeddings allows (times a linear or YaRN scaling factor), in the "
                       "model's dtype, whatever --max-model-len says (get_rope; vLLM PR #44738 measures what "
                       "clamping them would save): the llm-d logs of Llama 3.1 8B (131,072 positions × 128) show "
                       "the 0.03 GiB at bf16, 0.06 GiB at fp32, on every tensor-parallel rank; Llama 4 Scout's "
                       "10,485,760 positions × 128 make 2.5 GiB (loading it on two H100 NVL, vLLM issue #16712, ran "
                       "out of memory allocating 1.25 GiB: 10,485,760 × 64 bf16 values, half that table).",
            "kv_cache": "What is left of the budget becomes KV blocks of 16 tokens (vLLM V1 logs, llm-d "
                        "benchmark on H100); MLA caches the latent.  A hybrid model, its Gated DeltaNet (Qwen3-Next, "
                        "Qwen3.5) or Mamba layers (Nemotron-H, Granite 4.0-H, Falcon-H1, Jamba) beside attention "
                        "(hybrid allocator, vllm/model_executor/models/config.py HybridAttentionMambaModelConfig): "
                        "the attention block grows to 16 × ceil(one layer's state / (16 × one layer's bytes a "
                        "token)) tokens and each state is padded to that page; the layers are grouped as for sliding "
                        "windows (10 full + 30 linear layers: four groups of ten); the blocks are the budget / (page "
                        "× layers a group), a sequence takes ceil(context / block) blocks for its attention and one "
                        "per state group (prefix caching is off for hybrid models unless asked: 'Hybrid models do "
                        "not support prefix caching since the feature is still experimental', "
                        "ModelConfig.is_prefix_caching_supported; 'enable_prefix_caching=False' in the engine config "
                        "of the 0.19 logs below), and the log's 'GPU KV cache size' is blocks / groups × block "
                        "tokens.  Checked on vLLM 0.19.0 serving Qwen3.5-9B (528-token blocks, 'Padding mamba page "
                        "size by 0.76%', 20.27 GiB: 'GPU KV cache size: 165,792 tokens', 'Maximum concurrency for "
                        "262,144 tokens per request: 2.52x'), Nemotron-Cascade-2-30B-A3B on an H100 (0.19.1: 4,176, "
                        "4,819,104 tokens, '86.16x'), Nemotron 3 Nano 4B (0.13.0: 992, 208,320, '98.20x'), Granite "
                        "4.0-H 1B (0.19.0: 400, 53,200, '66.95x'), the blocks of Granite 4.0-H Small and Falcon-H1 3B "
                        "(528, 2,080), and a vLLM 0.17.0 log of a 40-layer Gated DeltaNet hybrid (2,096-token blocks, "
                        "'GPU KV cache size: 159,296 tokens'; its prefix caching in 'align' mode, two state blocks a "
                        "group, gives its '8.00x').  From vLLM 0.20.1 the log's token figure is the concurrency × "
                        "max_model_len instead; vramgui gives the earlier figure.  Prefix caching asked for is not "
                        "modelled ('align': two state blocks a group; 'all': a state cached every block).",
            "activations": "At start-up a dummy forward pass of max_num_batched_tokens (8192, chunked "
                           "prefill) and a sampler warm-up for max_num_seqs (1024) sequences × vocabulary "
                           "(fp32 logits, probabilities and sort buffers, ≈ 16 bytes per logit) set the "
                           "activation peak, the larger of the two (they run one after the other: Llama 3.3 70B at "
                           "TP 2 and 4 and Llama 3.1 8B peak at the sampler's 1.96 GiB, Qwen2.5 72B at 2.29 against "
                           "2.32, Gemma 3 at 3.94-3.99 against 4.00; an MoE model's fused-expert workspaces stay "
                           "beside the sampler: Mixtral 8x7B at TP 2 1.21 GiB; vLLM 0.19.0 on H100s, measured "
                           "corpus); on "
                           "cards of under 70 GiB and on A100s the server defaults to 2048 "
                           "tokens and 256 sequences (vllm/engine/arg_utils.py, get_batch_defaults: 'For GPUs like "
                           "H100 and MI300x, use larger default values', A100s left out for their throughput).  "
                           "Flash attention always.",
            "overhead": "Non-torch memory (≈ 0.25 GiB; ≈ 2 GiB per card with NCCL and custom all-reduce "
                        "buffers when tensor parallel) is measured at start-up; CUDA graphs take ≈ 0.9 GiB "
                        "beyond the budget (vLLM V1 logs).",
            "budget": "gpu_memory_utilization × card memory is the budget, a limit per instance: 0.92 by default "
                      "(docs.vllm.ai/en/stable/cli/serve: 'If unspecified, will use the default value of 0.92'; the "
                      "vLLM 0.27.1 log of the measured corpus runs at it), 0.9 in the releases before "
                      "(docs v0.6.4 to 2025): set that as the memory cap for them.",
            "parallel": "Tensor parallel (--tensor-parallel-size), pipeline stages (--pipeline-parallel-size).",
            "sparse_attention": "DeepSeek-V3.2 and GLM-5 run FlashMLA's sparse attention kernel over the lightning "
                                "indexer's top-k tokens, the indexer on DeepGEMM's FP8 kernels (vLLM blog, "
                                "https://blog.vllm.ai/2025/09/29/deepseek-v3-2.html; the same model code serves "
                                "glm_moe_dsa, docs.vllm.ai vllm.models.deepseek_v32). Its Indexer is replicated on "
                                "every tensor-parallel rank ('no tensor parallel, just replicated') and logs 'Using "
                                "FP8 indexer cache': keys in FP8 with a scale per 128 values (quant_block_size 128). "
                                "With an fp8 KV cache (the default vLLM picks for DeepSeek-V3.2) the sparse backend "
                                "stores each token's latent as its fp8_ds_mla record, 656 bytes: 512 FP8 values, "
                                "four fp32 scales and the 64 RoPE dimensions in bf16 "
                                "(FlashMLASparseBackend.get_kv_cache_shape). DeepSeek-V4's CSA layers run on the "
                                "same sparse backend (the only one vLLM's DeepseekV4 attention accepts, with an fp8 "
                                "cache) over the indexer's top-k compressed entries; each entry of its window and "
                                "compressed caches is 584 bytes (448 FP8 values, 7 UE8M0 scales, 64 bf16 RoPE "
                                "values, a pad byte: DeepseekV4 attention's head_bytes).",
            "mla_attention": "vLLM's MLA backends (vllm/v1/attention/backends/mla/common.py, 'MLA Common "
                             "Components'): prompts take the compute-friendly path, the latent up-projected into "
                             "per-head keys and values for flash attention; decode steps the data-movement "
                             "friendly one, the query absorbing the key up-projection so that every head attends "
                             "over the cached latent ('the compute is similar to multi-query attention').",
        },
    ),
    EngineProfile(
        id="sglang", name="SGLang", parallel="tensor", kv_allocation="pool", kv_block_tokens=1, prompt_logits_last=True,
        static_fraction=True, util_rule="sglang", swa_pool_ratio=0.8,
        default_attention="flash", prefill_chunk_tokens=8192, rope_table=True,
        sparse_attention=True, index_key_bytes=FP8_SCALED_BYTES, packed_fp8_latent=True, mla_absorbed="decode",
        cuda_context_bytes=1.0 * GIB, framework_bytes=0.15 * GIB,
        notes="Serving engine: a static share of the free memory holds the weights and a KV pool of token "
              "slots; activations and CUDA graphs run in the rest. Decode speed: vLLM's rows (the same design: "
              "steps as CUDA graphs, a paged cache).",
        sources={
            "weights": "Every weight on the GPU; embeddings and LM head split across tensor-parallel ranks "
                       "(vocabulary-parallel), a vision-language model's image encoder loaded too. Each rank holds "
                       "the rotary cos/sin tables for every position max_position_embeddings allows, in the "
                       "model's dtype (SGLang's rotary_embedding.py, vLLM's get_rope lineage).",
            "kv_cache": "After loading, the KV pool takes what is left of the static share: mem_fraction_static × "
                        "the memory free before loading − what loading used (model_runner: profile_max_num_token, "
                        "rest_memory = available after load − total × (1 − mem_fraction_static); the log's 'KV "
                        "Cache is allocated. #tokens: N'). One slot per token (page size 1). MLA caches the latent. "
                        "Models with sliding-window layers get a hybrid pool: the windowed layers hold "
                        "swa_full_tokens_ratio (0.8) × the full layers' tokens (set_num_token_hybrid), not just "
                        "their window (Llama 4's chunked layers have a rule of their own there, from the chunk "
                        "and the context length; read with the same 0.8 here).",
            "activations": "Not in the budget: SGLang runs its activations (chunked prefill of up to 2,048-16,384 "
                           "tokens, by the card's memory) and CUDA graphs in the memory mem_fraction_static leaves "
                           "out (server_args.py's reserved_mem is sized for them).",
            "overhead": "What the card holds before SGLang measures the free memory its share applies to: the CUDA "
                        "context and the memory the driver keeps from CUDA, ≈ 1 GiB (card − the free memory at 'Load "
                        "weight begin' in four logs: 0.84 and 1.17 GiB on H100s, 1.24 on an RTX 3090 under WSL2, 0.86 "
                        "on L4s at tensor parallel 4, whose NCCL set-up took 0.13 GiB: no separate communication "
                        "buffers); and what loading takes beyond the weights, ≈ 0.15 GiB ('mem usage' at 'Load "
                        "weight end' 0.10-0.25 GiB above the weights in four logs). Measured corpus.",
            "budget": "mem_fraction_static × (the card's free memory − the CUDA context and what loading adds) + "
                      "those: by default "
                      "SGLang holds back 512 MiB + 1.5 × the prefill chunk + 2 × the largest CUDA-graph batch + "
                      "1 GiB × cards / 8 (tensor × pipeline; at least 10 GiB on cards over 60 GiB) of the card's MiB "
                      "(server_args.py, _handle_gpu_memory_settings, v0.5.x): 0.835 on an H100 80GB (as SGLang's "
                      "Offline Engine API notebook prints on its Hopper runner, Feb 2026: mem_fraction_static=0.835, "
                      "chunked_prefill_size=8192; and 0.86 on an H100 NVL, as SGLang 0.5.10.post1 printed it, "
                      "github.com/willxxy/sglang-play README), 0.847 on an RTX 4090. A June 2026 report gives 0.828 "
                      "on an H100 (sgl-project/sglang issue #29092): later builds may hold back about 0.6 GiB more. "
                      "Builds before v0.5 (early 2025) took 0.88 at tensor parallel 1, 0.87 at 2, 0.85 at 4, 0.81 at "
                      "8: set those as the memory cap.",
            "parallel": "Tensor parallel (--tp), pipeline stages (--pp-size).",
            "sparse_attention": "DeepSeek-V3.2 and GLM-5 run the NSA backend over the lightning indexer's top-k "
                                "tokens on FlashMLA's sparse kernels (the indexer keys in FP8 with a scale per 128 "
                                "values; with an fp8 cache, the latent as FlashMLA's 656-byte record), as vLLM does.",
            "mla_attention": "SGLang's DeepSeek attention (python/sglang/srt/models/deepseek_common/"
                             "attention_backend_handler.py): a prompt's extend without a cached prefix (or one "
                             "beyond chunked_prefix_cache_threshold) runs multi-head attention over the up-projected "
                             "latent (AttnForwardMethod.MHA_ONE_SHOT / MHA_CHUNKED_KV); decode steps the absorbed "
                             "MLA path over the cached latent.",
        },
    ),
    EngineProfile(
        id="llamacpp", name="llama.cpp", parallel="layer", kv_allocation="context", kv_block_tokens=256,
        embedding_on_host=True, loads_vision=False, default_attention="flash", prefill_chunk_tokens=512,
        split_output_as_layer=True, pipeline_copies=4, activation_bytes=4.0,
        kv_written_to_cache=True, mla_absorbed="always",
        hidden_copies=1.0, mlp_copies=2.0, eager_score_bytes=4.0, mask_bytes=4.0, flash_mask_bytes=6.0,
        attention_hidden_copies=3.0, kv_streams=True, output_layer_first=True, auto_fit_margin_bytes=FIT_TARGET_BYTES,
        op_offload_copies=True,
        logits_bytes=4.0, logits_all_positions=False, prompt_logits_last=True,
        cuda_context_bytes=300 * MIB,
        notes="Everything is allocated at load: weights, the KV cache for the whole context and a "
              "worst-case compute buffer, as llama-server and llama-cli reserve it (programs embedding the "
              "library with its defaults, such as llama-cpp-python, also reserve logits for all 512 tokens of a "
              "batch: 512 x vocabulary x 4 bytes more).  Decode speed: current builds, which launch each "
              "step as a CUDA graph on NVIDIA cards (calibrated on b6413, Sep 2025); on Apple chips the Metal backend "
              "and on AMD cards the ROCm backend (b4011 and b4008; ROCm's per-layer cost from 2025-2026 "
              "HIP builds); on Intel cards the step runs as builds "
              "without graphs did.",
        sources={
            "weights": "The token-embedding table stays in host memory (get_rows runs on the CPU).  A "
                       "vision-language model's image encoder is a separate file (--mmproj), not counted here.",
            "kv_cache": "The KV cache for the whole n_ctx (padded to 256 tokens) is allocated at load, for "
                        "every parallel sequence; sliding-window layers get their own cache of the window plus "
                        "the n_ubatch (512) tokens being evaluated, padded to 256 (llama-kv-cache-iswa.cpp: "
                        "Gemma's 1,024-token window takes 1,536 cells).",
            "activations": "The compute buffer is sized for a worst-case batch of n_ubatch (512) tokens "
                           "against the full n_ctx: without flash attention it holds one f32 score matrix per "
                           "head (4 bytes a score: the softmax does not keep a second copy) and the f32 mask "
                           "(4 bytes per query-key pair) beside Q and three f32 hidden states (input, residual, "
                           "attention output); at the logits only the normed hidden state is left.  llama.cpp "
                           "logs: 70.5 MiB for Llama 2 7B (the logits' peak) and 145 MiB for 70B at n_ctx 512 "
                           "(Dec 2023 builds); 560 MiB for Llama 3 8B at n_ctx 8192 (May 2024 builds, the "
                           "same on 18 machines), where 8 bytes a score would give 1,042.  Flash attention is on "
                           "by default since Aug 2025 (-fa auto, ggml-org/llama.cpp PR #15434); builds "
                           "before it ran without.  With it the kernel still takes a mask: the f32 input and its "
                           "f16 copy (llama-graph.cpp: self_kq_mask_cnv = ggml_cast(self_kq_mask, F16)), 6 bytes a "
                           "query-key pair, both alive at the attention's peak: at n_ctx 32,768 they make Llama 3.1 "
                           "8B's peak 136 MiB, where an Ollama llama-server of June 2026 projected 140 for every "
                           "layer of Hermes 3 Llama 3.1 8B Q4_0 on an RTX 2060 (its --fit log).  Since July 2025 "
                           "(PR #14363) each sequence of -np N has a cache stream of its own (llama-server's "
                           "--kv-unified is off where -np is given): a batch's tokens attend their own sequence's "
                           "cells, so the masks and scores span one sequence's context, not all of them.  The "
                           "worst-case graph also holds f32 logits: llama-server and "
                           "llama-cli (built on the server's code since Dec 2025) reserve one row a parallel "
                           "sequence since June 2026 (ggml-org/llama.cpp PR #23861, 'only reserves logits space "
                           "for n_seqs when possible': n_outputs_max = n_parallel without speculative decoding); "
                           "llama-bench, llama-completion and earlier builds reserve a row for every token of the "
                           "batch (graph_reserve(n_tokens, n_seqs, n_tokens)): 250 MiB more for Llama 3's 128K "
                           "vocabulary, 512 MiB for Gemma 3's 262K (the 'no CUDA graphs' profile reserves them, as "
                           "builds of 2023-2024 did).",
            "overhead": "The CUDA context (≈ 0.3 GiB, an assumption) is not part of llama.cpp's own totals.",
            "budget": "llama.cpp allocates until the card is full; no utilization cap.  Since Dec 2025 "
                      "llama-server and llama-cli fit what the command line leaves unset to the free memory "
                      "(--fit on, ggml-org/llama.cpp PR #16653): they keep 1,024 MiB free (--fit-target), moving "
                      "layers to the CPU, so a model that fits with less headroom runs partly offloaded unless "
                      "-ngl is given ('will leave 1670 >= 1024 MiB of free device memory, no changes needed').  "
                      "Without -c (its default 0: the model's training context since the same PR) llama-server "
                      "first shrinks the context to the most that fits with that margin, in steps of 256 tokens and "
                      "not below --fit-ctx's 4,096, then moves layers ('the code first tries reducing the context "
                      "size and then starts moving weights'; logs: 'context size reduced from 131072 to 31488', "
                      "'entire model can be fit by reducing context'); its four default slots share one unified "
                      "cache of that many cells ('n_parallel is set to auto, using n_parallel = 4 and kv_unified = "
                      "true', PR #16736): core.fit.server_context.",
            "parallel": "Several cards: layer split (-sm layer), cards work in turn.  The layers and the output "
                        "layer are shared out as n_layer + 1 units in order, in proportion to the cards "
                        "(llama-model.cpp, load_tensors: a layer's device is where il / (n_layer + 1) falls among "
                        "the cumulative splits, the output layer being il = n_layer): on two equal cards Llama 3 "
                        "8B's 32 layers go 17 to the first card and 15 with the output layer to the second, as "
                        "the May 2024 two-card logs print (2,113 and 2,290 MiB of Q4_K_M weights).  Equal cards "
                        "are assumed (the default split follows each card's free memory).  With every layer "
                        "on the cards, builds since March 2024 run the cards as a pipeline (the log prints "
                        "'pipeline parallelism enabled (n_copies=4)'): the scheduler keeps four copies of each "
                        "card's graph inputs, so each card's compute buffer holds three more copies of the f32 "
                        "attention mask (n_kv × 512 × 4 bytes) and four of the f32 hidden state it receives (512 "
                        "× hidden × 4 bytes; ggml-backend's scheduler, 'create a copy of the input in the split's "
                        "backend').  The May 2024 two-card logs: 640.0 MiB on both cards where one card takes "
                        "560 (Llama 3 8B, n_ctx 8192: 3 × 16 + 4 × 8 = 80 MiB).  Part of a model on the GPU "
                        "(-ngl N, or --fit's choice): since Dec 2025 the output layer goes first, then the "
                        "repeating layers from the last (ggml-org/llama.cpp PR #18148, 'offload output layer to "
                        "GPU first'; llama-model.cpp: i_gpu_start = n_layer + 1 - n_gpu_layers, the output layer "
                        "being il = n_layer): -ngl 15 puts Llama 3.1 8B's output layer and its last 14 layers on "
                        "the card, as an Ollama llama-server of June 2026 logged ('offloading output layer to GPU', "
                        "'offloading 14 repeating layers to GPU', 2,049.43 MiB of Q4_0 and Q6_K weights).",
            "op_offload": "With layers (or -ot exps=CPU's experts) in system RAM, a pass of 32 tokens or more runs "
                          "their work on the GPU: the scheduler moves an op whose weight is in host memory to the "
                          "GPU where the backend asks for it (ggml-backend.cpp, 'check if a backend with higher "
                          "prio wants to offload the op'; the CUDA backend's offload_op: a batch of at least 32) "
                          "and copies the weight, and the layer's K and V where its cache is in RAM, into that "
                          "GPU's compute buffer, one op's at a time ('by starting a new split, the memory of the "
                          "previously offloaded weights can be reused').  'The weights are now copied to VRAM in "
                          "the compute buffer ... the size of the compute buffers will increase significantly when "
                          "offloading a model partially' (slaren, ggml-org/llama.cpp PR #6083, March 2024).  "
                          "Estimated as the larger of the largest weight tensor and one attention layer's K and V "
                          "at the allocated context, on the first card, not on Apple chips (Metal reads host "
                          "memory).  Logs: Hermes 3 Llama 3.1 8B Q4_0 at n_ctx 32,768 with 14 of 32 layers on an RTX "
                          "2060 (Ollama llama-server, June 2026): 248 MiB where every layer on the card took 140 "
                          "(the estimate 264: K and V of one layer, 128 MiB); Ollama 0.33 with 30 of "
                          "qwen2.5-coder:14b Q3_K_S's 49 at 16,384 on an RTX 5070 Laptop GPU, 164.02 MiB (a public "
                          "diagnostic note; the estimate 162.08: 98.08 and one layer's K and V, 64); Qwen3.5-9B "
                          "UD-Q4_K_XL at n_ctx 8,192 "
                          "on Vulkan (build 9849, llama-server's --fit breakdown, HilbertraumAI/HilbertRaum issues "
                          "#318 and #391): 416 MiB with every layer, 447 with 31 of 33, 498 with 20, and 392 / 424 "
                          "/ 481 / 427 at 33 / 18 / 19 / 21 with four separate cache streams: one run's figures "
                          "move by 50 MiB with the layer count, which the estimate (one tensor's copy) does "
                          "not follow.  The copies go to the first card: Ollama 0.12 (Sept 2025) with 25 of "
                          "gpt-oss-120b's layers on three cards printed 933 MiB of compute buffer on the first and "
                          "166.5 on each of the others (ollama/ollama issue #12403), 767 more, of which the "
                          "estimate's copy, one stacked MXFP4 expert tensor, is 538.",
            "mla_attention": "llama.cpp's deepseek2 graph (src/models/deepseek2.cpp, used by DeepSeek-V2/V3, Kimi "
                             "K2 and GLM-4.7-Flash GGUFs): with the MLA tensors (wk_b, wv_b) the query absorbs wk_b "
                             "and attention runs over the cached latent and RoPE key, multi-query attention with one "
                             "KV head (the graph's own comment), in prompts and decode alike, wv_b applied after. "
                             "GGUFs converted before those tensors existed run up-projected heads "
                             "(MLA.gguf_up_projected).",
        },
    ),
    EngineProfile(
        id="mlx", name="MLX (mlx-lm)", parallel="tensor", kv_allocation="grow", kv_block_tokens=256,
        loads_vision=False, default_attention="flash", prefill_chunk_tokens=2048, prompt_logits_last=True,
        cuda_context_bytes=0.0,
        notes="Apple's array framework on the chip's GPU (Metal), through mlx-lm's generate(): the cache grows in "
              "steps of 256 tokens, prompts run in passes of 2,048 tokens. Apple chips only. Several sequences at "
              "once (mlx-lm's BatchGenerator, its server) follow the same rows, not measured.",
        sources={
            "weights": "Every weight in unified memory; mlx-lm's quantized checkpoints quantize the token embedding "
                       "and the output layer too (the MLX formats). A vision-language checkpoint's image encoder is "
                       "not loaded: mlx-lm runs the language model (mlx-vlm is another package).",
            "kv_cache": "mlx-lm's KVCache (mlx_lm/models/cache.py): each layer's keys and values grow in steps of 256 "
                        "tokens ('step = 256'; a pass of n tokens adds ceil(n / 256) steps), in the model's 16-bit "
                        "dtype; sliding-window layers keep a RotatingKVCache of their window (the models' "
                        "make_cache). --kv-bits 8 or 4 quantizes it (QuantizedKVCache: a 16-bit scale and bias per 64 "
                        "values, 8.5 or 4.5 bits a value: the bytes of the Q8_0 and Q4_0 cache types, which stand "
                        "for it) once the cache holds --quantized-kv-start tokens (mlx_lm.generate: 5,000; before "
                        "that, 16-bit: not modelled).",
            "activations": "generate_step (mlx_lm/generate.py) runs all but the prompt's last token in passes of "
                           "prefill_step_size = 2,048 tokens, evaluating only the cache after each (the passes' "
                           "logits are never computed: MLX evaluates lazily), then the last token alone for the first "
                           "logits; attention is mx.fast.scaled_dot_product_attention with a causal mask given by "
                           "name, fused (no score matrix). The peak MLX reports (mx.get_peak_memory: its active "
                           "allocations, not the buffers it keeps for reuse) is the weights, the cache and one pass's "
                           "transients.",
            "overhead": "None counted: mx.get_peak_memory counts MLX's own allocations; the process's Python, "
                        "tokenizer and Metal set-up live in the rest of the unified memory.",
            "budget": "macOS lets the GPU wire up to the chip's recommended working set (Metal's "
                      "recommendedMaxWorkingSetSize: the card's usable share); mlx-lm's generate sets MLX's wired "
                      "limit to it (mx.set_wired_limit(max_recommended_working_set_size), wired_limit in "
                      "mlx_lm/generate.py) and warns above 0.9 of it that generation 'can be slow'.",
            "parallel": "Several Macs: mlx-lm's sharded generation (mlx_lm/examples/sharded_generate.py, 'LLM model "
                        "parallel inference', sharded_load over mx.distributed) splits every layer across the "
                        "machines.",
        },
    ),
]}

#: The Ollama profiles: its default context, and num_ctx as set (both run llama.cpp's llama-server).
OLLAMA = ("ollama", "ollama-num-ctx")
#: The llama.cpp profiles (one engine: allocations alike, speed by build; Ollama runs its llama-server).
LLAMACPP = frozenset({"llamacpp", "llamacpp-2023", "llamacpp-vulkan", *OLLAMA})


def up_projected_gguf(s) -> bool:
    """llama.cpp running an MLA model from a GGUF converted before its MLA tensors (:attr:`MLA.gguf_up_projected`):
    its non-MLA path, up-projected heads throughout."""
    mla = s.model.architecture.mla
    return mla is not None and mla.gguf_up_projected and s.engine in LLAMACPP


#: MLA models HF transformers runs with their own (remote) code, which caches every head's keys and values: Kimi K2's
#: modeling_deepseek.py (DeepSeek-V3's Hub code) builds the up-projected keys and values and then updates the cache
#: with them; transformers' own DeepSeek-V2/V3 family caches the latent (:attr:`EngineProfile.mla_expands_cache`)
HF_REMOTE_MLA = frozenset({"kimi_k2"})


#: Model types whose MoE routers transformers 5.24 keeps in fp32 whatever dtype it loads the rest in: their
#: ``_keep_in_fp32_modules_strict`` names the router's weight ("gate.weight") and DeepSeek's expert-score correction
#: bias, which ``from_pretrained`` upcasts for bf16 and fp16 alike; Hunyuan-MoE builds its router (wg) in fp32
HF_FP32_ROUTERS = frozenset({"axk1", "beam", "deepseek_v2", "deepseek_v3", "deepseek_v32", "ernie4_5_moe",
                             "exaone_moe", "flint", "glm4_moe", "glm4_moe_lite", "glm_moe_dsa", "hunyuan_v1_moe",
                             "hy_v3", "kimi_linear", "mimo_v2_flash", "nemotron_h", "sarvam_mla", "sarvam_moe",
                             "solar_open"})


@lru_cache(maxsize=1024)
def hf_resident_extras(a, other_bits: float) -> tuple[tuple[str, float, bool], ...]:
    """(what, bytes, per layer) of what transformers 5.24's class of ``a`` keeps on the card beside the weights
    vramgui counts (norms, biases and routers at ``other_bits``): the buffers its modules register, moved with
    them (GPT-Neo's boolean causal mask in every attention layer, max_position_embeddings squared, local layers
    too; GPT-BigCode's one mask of the model; GPT-J's and CodeGen's one fp32 sin/cos table of every position over
    the rotary dimensions), and the routers it keeps in fp32 (:data:`HF_FP32_ROUTERS`).  Per layer: shared out with the
    layers under a layer split; else whole on the card holding the model's own modules.  Rotary inverse
    frequencies and other buffers of a few kilobytes are left out."""
    mt, n, out = a.model_type, a.num_layers, []
    if mt == "gpt_neo":
        out.append((f"causal masks: {n} layers × {a.max_context:,}² booleans", float(n) * a.max_context ** 2, True))
    elif mt == "gpt_bigcode":
        out.append((f"causal mask: {a.max_context:,}² booleans", float(a.max_context) ** 2, False))
    elif mt in ("gptj", "codegen"):
        out.append((f"sin/cos table: {a.rope_table_elements:,} fp32 values", 4.0 * a.rope_table_elements, False))
    if mt in HF_FP32_ROUTERS and a.moe is not None and other_bits < 32:
        m = a.moe
        weights = a.moe_layers * (a.hidden_size * m.num_experts + (m.num_experts if m.router_bias else 0))
        out.append((f"routers in fp32: {weights:,} weights × {(32 - other_bits) / 8:g} more bytes",
                    weights * (32 - other_bits) / 8, True))
    return tuple(out)


def latent_cache(s) -> bool:
    """Whether the scenario's engine caches an MLA model's latent (:attr:`EngineProfile.mla_latent_cache`), not
    every head's keys and values (HF transformers runs :data:`HF_REMOTE_MLA` with their remote code)."""
    a = s.model.architecture
    return (a.mla is not None and s.profile.mla_latent_cache and not up_projected_gguf(s)
            and not (s.profile.mla_expands_cache and a.model_type in HF_REMOTE_MLA))


def mla_expansion(s) -> tuple[float, float]:
    """(elements moved, FLOPs) per cached token, layer and head where every pass expands the cached MLA latent
    (:attr:`EngineProfile.mla_expands_cache`; (0, 0) elsewhere): kv_b_proj writes the token's no-RoPE key and value
    (n + v) from its latent (2·kv_lora_rank·(n + v) FLOPs), the keys are copied whole (n read, n + r written), and
    attention reads keys and values (n + r + v): 4n + 2r + 2v elements beside the latent's one read."""
    m = s.model.architecture.mla
    if m is None or not s.profile.mla_expands_cache or not latent_cache(s):
        return 0.0, 0.0
    n, r, v = m.qk_nope_head_dim, m.qk_rope_head_dim, m.v_head_dim
    return float(4 * n + 2 * r + 2 * v), float(2 * m.kv_lora_rank * (n + v))


def mla_expansion_reads(s) -> float:
    """Times a step moves the cached latent's bytes where every pass expands it (:func:`mla_expansion`): its one read
    and each head's expansion on the card, over the latent's width (1 elsewhere)."""
    moved, _ = mla_expansion(s)
    if not moved:
        return 1.0
    m = s.model.architecture.mla
    latent = m.kv_lora_rank + m.qk_rope_head_dim
    return (latent + moved * s.model.architecture.num_heads / s.tensor_parallel) / latent


def mla_absorbed(s) -> str:
    """Where the scenario's engine attends over an MLA model's latent (:attr:`EngineProfile.mla_absorbed`)."""
    return "never" if up_projected_gguf(s) else s.profile.mla_absorbed
#: Engines whose builds vramgui models have no GPU backend on Apple chips: (why, source).  llama.cpp
#: runs there on Metal, MLX (mlx-lm) on Metal too, HF transformers on PyTorch's MPS device (16-bit weights).  The
#: MLX paths named here run other code on MLX (a vLLM plugin, SGLang's backend), which the MLX profile does not
#: describe: it times mlx-lm's own generate().
NO_APPLE_GPU = {
    "vllm": ("its macOS build runs on the CPU only; on the GPU, the community vLLM-Metal plugin runs models "
             "through MLX (the MLX engine profile times mlx-lm's own generate, not the plugin)",
             "docs.vllm.ai, installation: CPU, Apple silicon ('the CPU implementation for macOS supports FP32 and "
             "FP16 datatypes'); GPU, Apple Silicon ('use vLLM-Metal, a community-maintained hardware plugin that "
             "uses MLX as the compute backend')"),
    "sglang": ("its CUDA and ROCm kernels do not run there; its experimental MLX backend (built from source, "
               "SGLANG_USE_MLX=1) runs models through mlx-lm (the MLX engine profile times mlx-lm's own generate, not "
               "SGLang's scheduler)",
               "github.com/sgl-project/sglang pull request 20342 ('Add native MLX execution backend for Apple "
               "Silicon Mac', merged March 2026); docs.sglang.io, hardware platforms, Apple Metal (install from "
               "source)"),
}

#: Weight formats HF transformers cannot run on PyTorch's MPS device (an Apple chip's GPU): (why, source).  (GPTQ
#: and bitsandbytes are left out: their Apple support is changing and no source here says either way.)
HF_NO_MPS = {
    "fp8": ("PyTorch's MPS device has no float8 dtypes",
            "github.com/pytorch/pytorch issues 132624 and 148420, open: 'Trying to convert Float8_e4m3fn to the MPS "
            "backend but it does not have support for that dtype'"),
    "awq-int4": ("AutoAWQ's kernels are built for NVIDIA and AMD cards only",
                 "its maintainer in github.com/casper-hansen/AutoAWQ issue 476: 'Mac's M-series is not supported. You "
                 "need an Nvidia or AMD GPU.'"),
}



#: Engines vramgui models on Apple chips only: (why, source).  Elsewhere the fit table marks them as not running.
APPLE_ONLY = {
    "mlx": ("vramgui models its Metal backend on Apple chips; MLX's CUDA backend (Linux, NVIDIA SM 7.5 or newer) "
            "is not modelled, and it has none for AMD or Intel cards",
            "ml-explore.github.io/mlx, Build and Install: 'pip install mlx' for Apple silicon; 'MLX has a CUDA "
            "backend which you can install with: pip install mlx[cuda12]', 'Nvidia architecture >= SM 7.5'"),
}


#: The weight formats mlx-lm loads as they are stored: its own, 16- and 32-bit weights, and (transformed as it loads
#: them, mlx_lm/utils.py's load_model) AutoAWQ / GPTQ 4-bit and MXFP4 checkpoints.  Others it converts first: (why,
#: source) of the caution (report.format_note).
MLX_LOADS = MLX_FORMATS | {"bf16", "fp16", "fp32", "awq-int4", "gptq-int4", "mxfp4"}
MLX_CONVERTS = ("mlx-lm loads MLX's own formats, 16- and 32-bit weights and, transformed as it loads them, AWQ, GPTQ "
                "4-bit and MXFP4 checkpoints; others are converted first (mlx_lm.convert, -q for MLX 4-bit): these "
                "figures count this format's bytes at MLX's speeds",
                "pypi.org/project/mlx-lm ('To quantize a model from the command line run: python -m mlx_lm.convert "
                "--hf-path mistralai/Mistral-7B-v0.1 -q'); github.com/ml-explore/mlx-lm, mlx_lm/utils.py (load_model: "
                "quant_method awq, gptq, mxfp4)")


#: The caution where llama.cpp is given weights that are not a GGUF type (report.format_note): (why, source).
LLAMACPP_CONVERTS = ("llama.cpp loads GGUF files only: a checkpoint in this format is converted first "
                     "(convert_hf_to_gguf.py, then llama-quantize to a GGUF type, whose bytes are that type's: pick "
                     "it); these figures count this format's bytes at llama.cpp's speeds",
                     "github.com/ggml-org/llama.cpp, README ('llama.cpp requires the model to be stored in the GGUF "
                     "file format'; models in other formats are converted with the convert_*.py scripts)")
#: ... where another engine is given one of MLX's own formats.
MLX_FORMATS_ONLY = ("MLX's formats are mlx-lm's own group-wise quantization (mlx_lm.convert -q), which only MLX "
                    "loads: this engine runs the checkpoint it was converted from, or another quantization of it; "
                    "these figures count the MLX format's bytes at this engine's speeds",
                    "github.com/ml-explore/mlx-lm, mlx_lm/utils.py (quantize_model, the config's quantization "
                    "group_size and bits); docs.vllm.ai, quantization: the methods vLLM loads, MLX's not among them")
#: ... where HF transformers is given a GGUF type.
HF_DEQUANTIZES_GGUF = ("HF transformers dequantizes a GGUF file as it loads it, to 32-bit weights or the dtype given, "
                       "so the card holds 16- or 32-bit weights, not this type's bytes: pick BF16 or FP16 for its "
                       "memory",
                       "huggingface.co/docs/transformers/gguf ('The GGUF checkpoint is dequantized to fp32 where the "
                       "full model weights are available and compatible with PyTorch')")
#: ... where HF transformers is given one of the formats only compressed-tensors writes (llm-compressor's INT8 W8A8,
#: Kimi's INT4 experts): compressed-tensors' modules decompress them on the first forward pass and keep the result.
HF_DECOMPRESSES = frozenset({"int8-w8a8", "int4-experts"})
HF_DECOMPRESSES_WHY = (
    "HF transformers runs compressed-tensors checkpoints through compressed-tensors' CompressedLinear, which "
    "decompresses each layer's weights to 16 bits on its first forward pass and keeps them: the card holds 16-bit "
    "weights, not this format's bytes: pick BF16 for its memory",
    "github.com/vllm-project/compressed-tensors, src/compressed_tensors/linear/compressed_linear.py "
    "(CompressedLinear.forward: 'Decompresses the weight, then runs the wrapped forward pass', the decompressed weight "
    "registered and the module marked FROZEN); transformers' quantizer_compressed_tensors.py ('dequantize=False leaves "
    "them compressed and lets compressed-tensors decompress them on the first forward pass')")
#: ... where HF transformers is given weights its quantizer runs on NVIDIA cards of a least compute capability only,
#: dequantizing them to BF16 as it loads them on older ones (and, MXFP4, on an Apple chip): (least, why, source).
HF_DEQUANTIZES = {
    "mxfp4": ((7, 5), "HF transformers runs MXFP4 experts with its Triton kernels on cards of compute capability 7.5 "
                      "or newer only; on an older card or an Apple chip it dequantizes them to BF16 as it loads them, "
                      "so the card holds 16-bit experts, not MXFP4's bytes: pick BF16 for its memory",
              "github.com/huggingface/transformers, src/transformers/quantizers/quantizer_mxfp4.py "
              "(validate_environment: 'MXFP4 quantization is only supported on GPUs with compute capability >= 7.5 "
              "(e.g T4, A100, L4, H100, or B200) or XPUs ... We will default to dequantizing the model to bf16'; on "
              "another accelerator 'we will default to dequantizing the model to bf16')"),
    "fp8": ((8, 9), "HF transformers runs FP8 checkpoints (quant_method fp8) on cards of compute capability 8.9 or "
                    "newer only; on an older card (an A100, an RTX 3090) it dequantizes them to BF16 as it loads them, "
                    "so the card holds 16-bit weights, not FP8's bytes: pick BF16 for its memory",
            "github.com/huggingface/transformers, src/transformers/quantizers/quantizer_finegrained_fp8.py "
            "(validate_environment: 'FP8 quantized models is only supported on GPUs with compute capability >= 8.9 "
            "(e.g 4090/H100) ... We will default to dequantizing the model to bf16')"),
}


#: The weight formats beside its own GGUF quantizations that llama.cpp runs: 16-bit weights, in the F16 and BF16 GGUF
#: files its converter writes from a 16-bit checkpoint (convert_hf_to_gguf.py --outtype f16 / bf16; llama-quantize
#: starts from them).  A machine whose engine is a llama.cpp profile runs these rows on it (core.machine), not on vLLM.
LLAMACPP_LOADS = frozenset({"fp16", "bf16"})


#: Engines whose own CPU offload keeps weights in RAM and copies them to the card for every forward pass, where
#: llama.cpp runs whole layers in RAM on the CPU (what the offload plans of core.offload are): how a user asks for it,
#: and the source.  Not modelled: with System RAM entered their figures are llama.cpp's split (report.offload_note).
COPIED_OFFLOAD = {
    "vllm": ("--cpu-offload-gb", "github.com/vllm-project/vllm issue 3563, the weight offload's design: pinned in "
                                 "RAM, 'streamed into the GPU as required' as each layer computes; docs.vllm.ai, "
                                 "vllm.model_executor.offloader: its UVA and prefetch offloaders"),
    "sglang": ("--cpu-offload-gb", "github.com/sgl-project/sglang, python/sglang/srt/server_args.py: cpu_offload_gb, "
                                   "the RAM reserved for the offloaded weights"),
    "hf": ("device_map=\"auto\" with a CPU share", "huggingface.co/docs/accelerate, Big Model Inference: "
                                                 "device_map=\"auto\" fills the GPUs, then the CPU's RAM; the layers "
                                                 "placed there are moved to the GPU for their forward pass by "
                                                 "accelerate's hooks (accelerate.cpu_offload)"),
}


#: Engines whose MoE decode gathers each token's routed experts into copies before multiplying them: (what, source).
#: HF transformers' generate runs its decode steps with the experts' batched_mm kernels where grouped_mm is set (the
#: default since 5.0) and the model is not on the CPU: ``gate_up_proj[expert_ids]`` and ``down_proj[expert_ids]`` copy
#: one expert per token and expert it picks, then a batched matmul multiplies each copy.  Its 16-bit and fp32 experts
#: (:func:`gathers_experts`; quantized experts run their own kernels).  Prompts run grouped_mm, nothing gathered.
GATHERS_EXPERTS = {
    "hf": ("HF transformers' decode steps gather a copy of each routed expert every token picks (batched_mm)",
           "github.com/huggingface/transformers, src/transformers/generation/utils.py (_optimize_model_for_decode: "
           "'We will be switching to batched_mm for the decoding stage', on non-CPU devices, pull 43126) and "
           "integrations/moe.py (batched_mm_experts_forward: gate_up_proj[expert_ids], down_proj[expert_ids], one "
           "copy per token and expert, multiplied by torch.bmm), transformers 5.24"),
}


def gathers_experts(engine: str, fmt: WeightFormat) -> bool:
    """Whether the engine's MoE decode gathers copies of the experts each token picks (:data:`GATHERS_EXPERTS`)
    for weights in ``fmt``: routed experts stored in 16 or 32 bits (the 16-bit formats; bitsandbytes' under HF
    transformers, :data:`HF_BNB_EXPERTS`), as batched_mm indexes them."""
    return engine in GATHERS_EXPERTS and fmt.kernel != "gguf" and (fmt.expert_bits or fmt.linear_bits) >= 16


#: Engines that run every layer kept in RAM on the first card, whichever card's share of the model it is: their
#: copies go over that card's link one after another, the cards' shares in turn: (what, source).
OFFLOAD_ON_FIRST_CARD = {
    "hf": ("accelerate runs every module its device map places in RAM on the first card",
           "github.com/huggingface/accelerate, src/accelerate/big_modeling.py (dispatch_model: execution_device is "
           "main_device, the first device of the map that is not cpu or disk, for every module mapped to cpu), "
           "accelerate 1.16; transformers' from_pretrained dispatches so (integrations/accelerate.py)"),
}


#: Engines whose offload brings each module kept in RAM to the card for its forward pass: on one card the card keeps
#: room for the largest such module beside what stays there (offload.staging_bytes): (what, source).
STAGES_OFFLOADED = {
    "hf": ("accelerate's hooks move an offloaded module's weights to the card for its forward pass, and "
           "transformers' device_map keeps room for the largest module still to place on the first card and in "
           "RAM",
           "github.com/huggingface/transformers, src/transformers/integrations/accelerate.py (infer_auto_device_map: "
           "'Reduce max size available by the largest layer' on the main devices, the first GPU and the CPU; "
           "get_max_layer_size over the modules still to place: a decoder layer, or a leaf such as lm_head), "
           "transformers 5.24, accelerate 1.16"),
}


#: bitsandbytes' weight formats (NF4 with and without double quantization, LLM.int8()).
BITSANDBYTES = frozenset({"nf4", "nf4-nodq", "bnb-int8"})
#: HF transformers' bitsandbytes quantization of an MoE model: its routed experts stay 16-bit (why, source).
HF_BNB_EXPERTS = (
    "HF transformers' bitsandbytes quantization replaces torch.nn.Linear layers only: an MoE model's routed experts, "
    "fused 3-D parameters in transformers 5, stay in 16 bits (its attention, shared experts and dense layers are "
    "quantized)",
    "github.com/huggingface/transformers, src/transformers/integrations/bitsandbytes.py (replace_with_bnb_linear: "
    "'isinstance(module, Conv1D) or type(module) is nn.Linear'); models/mixtral/modeling_mixtral.py (MixtralExperts: "
    "gate_up_proj and down_proj nn.Parameters of num_experts x ...), transformers 5.24")
#: HF transformers' bitsandbytes quantization of a vision-language checkpoint: its vision tower's linear layers are
#: quantized with the language model's (why, source).
HF_BNB_VISION = (
    "HF transformers' bitsandbytes quantization replaces every torch.nn.Linear but the output layer, a vision "
    "tower's too: its convolutions, norms and position tables stay in 16 bits",
    "github.com/huggingface/transformers, src/transformers/quantizers/base.py (get_keys_to_not_convert: tied "
    "weights, the last module, the output embeddings) and integrations/bitsandbytes.py (replace_with_bnb_linear), "
    "transformers 5.24: on the 35 vision-language models of vramgui's catalog so converted on the meta device, the "
    "towers' 4-bit weights are the linear layers it counts, within 1 % (Gemma 4 12B's encoder-free embedders 6 %)")
#: HF model types whose linear layers are a subclass of torch.nn.Linear, which HF transformers' bitsandbytes
#: quantization does not replace (it takes ``type(module) is nn.Linear``): their weights load in 16 bits whatever
#: bitsandbytes format is asked for (why, source).
HF_BNB_UNCONVERTED = {
    "falcon": ("HF transformers' bitsandbytes quantization replaces modules whose type is torch.nn.Linear itself; "
               "Falcon builds its layers as FalconLinear, a subclass, so they stay in 16 bits",
               "github.com/huggingface/transformers, src/transformers/integrations/bitsandbytes.py "
               "(replace_with_bnb_linear: 'type(module) is nn.Linear'); models/falcon/modeling_falcon.py (class "
               "FalconLinear(nn.Linear)), transformers 5.24: no Params4bit in a Falcon 7B so converted"),
}
#: What HF transformers asks of bitsandbytes weights placed partly in system RAM (its device_map offload): (why,
#: source).  The plans count the quantized bytes there.
HF_BNB_OFFLOAD = (
    "HF transformers refuses bitsandbytes weights placed partly in RAM ('Some modules are dispatched on the CPU or the "
    "disk. Make sure you have enough GPU RAM to fit the quantized model') unless the BitsAndBytesConfig sets "
    "llm_int8_enable_fp32_cpu_offload=True. With device_map='auto' the layers are quantized before the map is "
    "inferred, so those it places in RAM stay quantized, as the plan counts; the modules a device_map of one's own "
    "places in RAM are not quantized but kept in the dtype loaded, more bytes than the plan counts",
    "github.com/huggingface/transformers, src/transformers/quantizers/quantizer_bnb_4bit.py and quantizer_bnb_8bit.py "
    "(validate_environment, run on the device_map as inferred; _process_model_before_weight_loading: the modules a "
    "device_map dict puts on cpu or disk join modules_to_not_convert), modeling_utils.py (from_pretrained: the "
    "quantizer's preprocess_model runs while device_map is still the name 'auto', _get_device_map infers the dict "
    "after it), transformers 5.24")


#: Engines that keep every layer on the GPU and place nothing in system RAM of their own accord: (why, source).  What
#: the card (a Mac's wired share of its unified memory) cannot hold is not offloaded but does not run as modelled.
NO_OFFLOAD = {
    "mlx": ("mlx-lm places no layer in system RAM: its generate() wires the chip's recommended working set "
            "(mx.set_wired_limit) and warns above 0.9 of it that generation can be slow; past it the model's arrays "
            "are not wired and macOS may page or compress them (100 GB models on a 128 GB M4 Max decoded about 40 "
            "times slower unwired); raise the limit with sudo sysctl iogpu.wired_limit_mb",
            "github.com/ml-explore/mlx-lm, mlx_lm/generate.py (wired_limit); github.com/osaurus-ai/vmlx-swift issue "
            "418 (the unwired runs)"),
}


#: Engine and weight format pairs whose loader takes one card and nothing in system RAM: (why, source).  Several
#: cards are not split between (the figures are as if they were, with a caution), and no offload is planned.
ONE_CARD = {
    ("hf", "nvfp4"): (
        "HF transformers' NVFP4 quantizer loads the model on one CUDA device: it refuses a device_map over several "
        "('NVFP4 quantization currently supports one CUDA device. Tensor parallelism and multi-device `device_map` "
        "configurations are not supported yet') and one with CPU or disk entries ('NVFP4 quantization does not "
        "support CPU or disk offload')",
        "github.com/huggingface/transformers, src/transformers/quantizers/quantizer_nvfp4.py (validate_environment, "
        "transformers 5.24); huggingface.co/docs/transformers/quantization/nvfp4 ('Pass NVFP4Config to "
        "from_pretrained() with a single CUDA device')"),
}


def one_card(engine: str, weights: str | None) -> tuple[str, str] | None:
    """(why, source) where the engine loads ``weights`` on one card only, nothing in system RAM (:data:`ONE_CARD`:
    HF transformers' NVFP4); None elsewhere."""
    return ONE_CARD.get((engine, weights))


#: The llama.cpp profiles whose runs take no flag to keep an MoE model's routed experts in RAM (llama.cpp's --cpu-moe
#: and --n-cpu-moe, August 2025): (why, source).  Their layer split moves whole layers, experts with them.
NO_CPU_MOE = {
    "ollama": ("Ollama passes no such flag to its llama-server: its placement moves whole layers (a request for it, "
               "ollama issue 11772, is open; pull 16688, a num_cpu_moe option, was closed unmerged)",
               "github.com/ollama/ollama issue 11772, pull 16688"),
    "llamacpp-2023": ("builds of 2023 predate the flags (--cpu-moe and --n-cpu-moe, llama.cpp pulls 14992 and 15077, "
                      "August 2025)", "github.com/ggml-org/llama.cpp pulls 14992 and 15077"),
}
NO_CPU_MOE["ollama-num-ctx"] = NO_CPU_MOE["ollama"]


def splits_layers(engine: str) -> bool:
    """Whether the engine's offload places whole layers in RAM and has the CPU run them (llama.cpp's split, and the
    generic profile's theory of it): not the engines that keep weights in RAM for every pass
    (:data:`COPIED_OFFLOAD`) nor those that offload nothing (:data:`NO_OFFLOAD`)."""
    return engine not in COPIED_OFFLOAD and engine not in NO_OFFLOAD


def takes_cpu_moe(engine: str) -> bool:
    """Whether the engine splits layers (:func:`splits_layers`) and can keep an MoE model's routed experts in RAM
    apart from them (llama.cpp's --cpu-moe / --n-cpu-moe): not :data:`NO_CPU_MOE`."""
    return splits_layers(engine) and engine not in NO_CPU_MOE


def no_offload(engine: str, weights: str | None = None) -> tuple[str, str] | None:
    """(why, source) where the engine keeps nothing of the model in system RAM: MLX (:data:`NO_OFFLOAD`), and with
    ``weights`` an engine that loads them on one card (:func:`one_card`: HF transformers' NVFP4); None elsewhere."""
    return NO_OFFLOAD.get(engine) or one_card(engine, weights)


def offloads_to_ram(engine: str, weights: str | None = None) -> bool:
    """Whether the engine can keep part of a model in system RAM (:func:`no_offload`: not MLX, nor HF transformers
    with NVFP4 weights where ``weights`` is given)."""
    return no_offload(engine, weights) is None


def takes_cpu_offload_gb(engine: str) -> bool:
    """Whether the engine's offload takes a number of GiB a card keeps in RAM (vLLM's and SGLang's --cpu-offload-gb;
    HF transformers' device_map has no such figure)."""
    return COPIED_OFFLOAD.get(engine, ("",))[0] == "--cpu-offload-gb"


#: Engines of :data:`COPIED_OFFLOAD` that leave the offloaded weights in pinned RAM and let the card's kernels read
#: them there (unified virtual addressing, no copy): an MoE layer's fused expert kernel reads only the routed experts
#: a token goes to, so a decode step moves those and the layer's other weights over the link, not every expert.
#: SGLang's --cpu-offload-gb (its OffloaderV1) and accelerate's hooks copy a module's whole state to the card.
READS_IN_PLACE = {
    "vllm": "github.com/vllm-project/vllm, vllm/model_executor/offloader/base.py (create_offloader: --cpu-offload-gb "
            "picks the UVA offloader) and uva.py (UVAOffloader: 'the GPU can then directly access the CPU memory "
            "without explicit transfers'); PR 34535: Kimi K2 NVFP4 on one GB300 with 350 GiB offloaded decoding "
            "15 tokens/s, which reading every offloaded expert each step could not",
}


#: Families transformers runs without SDPA (their classes' ``_supports_sdpa`` is False, transformers 5.24): Gemma 2's
#: and VaultGemma's soft-capped logits, the sink logits of gpt-oss, MiMo-V2-Flash, Flint and Granite's windowed models,
#: GPT-Neo's own attention, BLOOM's and MPT's ALiBi, DeepSeek-V4's compressed attention.  Unless a flash-attention
#: implementation is asked for, they run eager (inference with the engine's default attention too:
#: Scenario.attention_impl); the value says whether one takes them (``_supports_flash_attn``: not BLOOM's, MPT's or
#: DeepSeek-V4's).  (Not so in every release: transformers 5.17 ran Gemma 2 with SDPA when asked, as the H200
#: measurements of 2026-12-04 did.)
#: How the notes (training.attention_note, report.attention_default_note) begin for those models
HF_NO_SDPA_WHY = ("transformers 5.24 has no SDPA path for this model (its soft-capped or sink logits, ALiBi or own "
                  "attention code)")
HF_NO_SDPA = {"gemma2": True, "vaultgemma": True, "gpt_oss": True, "mimo_v2_flash": True, "granite_swa": True,
           "granitemoe_swa": True, "gpt_neo": True, "flint": True, "bloom": False, "mpt": False, "deepseek_v4": False}


#: Why transformers' SDPA takes PyTorch's math path for Falcon's multi-query layers (:func:`sdpa_math_path`): how the
#: notes (training.attention_cautions, report.sdpa_math_note) begin
SDPA_MATH_WHY = ("transformers hands SDPA this model's one key/value head unrepeated, which PyTorch's fused kernels "
                 "refuse")


def sdpa_math_path(a, attention: str) -> bool:
    """Whether transformers 5.24 runs ``attention`` "sdpa" through PyTorch's math path for this architecture: Falcon's
    multi-query layers hand SDPA one key/value head beside every query head, and PyTorch's fused kernels take equal
    heads only (``check_batch_size_and_num_heads_dense`` without ``enable_gqa``), the math path upcast to fp32
    (:attr:`~vramgui.core.architecture.Architecture.falcon_layout` "multi_query")."""
    return attention == "sdpa" and a.falcon_layout == "multi_query"


#: Model types whose transformers 5.24 classes refuse flash_attention_2 (``_supports_flash_attn = False``), why; the
#: vision-language checkpoints' classes alone for Gemma 3 and Gemma 4 (their text-only classes take it)
HF_NO_FLASH = {"llama4_text": ("Llama4PreTrainedModel", False),
               "mllama_text_model": ("MllamaPreTrainedModel: it constructs 4-D masks", False),
               "deepseek_v32": ("DeepseekV32PreTrainedModel: flash-mla kernels not yet enabled", False),
               "glm_moe_dsa": ("GlmMoeDsaPreTrainedModel: flash-mla kernels not yet enabled", False),
               "gemma3_text": ("Gemma3ForConditionalGeneration: flash attention drops the bidirectional mask over "
                               "image tokens", True),
               "gemma4_text": ("Gemma4ForConditionalGeneration: flash attention drops the bidirectional mask over "
                               "image tokens", True)}


def hf_flash_refusal(a) -> str | None:
    """Why transformers 5.24 refuses flash_attention_2 for this model's class (:data:`HF_NO_FLASH`; a vision-language
    checkpoint loads as its ...ForConditionalGeneration class), or None where it takes it."""
    why, vision_only = HF_NO_FLASH.get(a.model_type, (None, False))
    return why if why is not None and (not vision_only or a.vision is not None) else None


#: Engines with no attention that materialises the score matrix (HF transformers' eager, llama.cpp without flash
#: attention): every backend they run fuses it, so "eager" is not theirs to pick (why, source).
NO_EAGER_ATTENTION = {
    "vllm": ("its attention backends (FlashAttention, FlashInfer, Triton, FlexAttention, ROCm's) never hold a "
             "prompt's score matrix; --enforce-eager turns off CUDA graphs, not this",
             "docs.vllm.ai, vllm.v1.attention.backends and 'Attention Backend Feature Support'"),
    "sglang": ("its attention backends (FlashInfer, FlashAttention 3, Triton, torch_native on PyTorch's SDPA) never "
               "hold a prompt's score matrix", "github.com/sgl-project/sglang, server_args.py: --attention-backend"),
    "mlx": ("mlx-lm's models run attention through mx.fast.scaled_dot_product_attention, fused",
            "github.com/ml-explore/mlx-lm, mlx_lm/models/base.py: scaled_dot_product_attention"),
}


#: The KV-cache types an engine's own flag takes, where it lacks some of vramgui's (why, source); the others take
#: them all (the generic profile; HF transformers, whose QuantizedCache the Q8_0 and Q4_0 bytes stand for; MLX's
#: --kv-bits 8 / 4 likewise, but no FP8).
KV_TYPES = {
    "llamacpp": (frozenset({"fp32", "fp16", "bf16", "q8_0", "q4_0"}),
                 "llama.cpp's --cache-type-k / -v take f32, f16, bf16 and its block types (q8_0, q4_0, q4_1, iq4_nl, "
                 "q5_0, q5_1), no FP8",
                 "github.com/ggml-org/llama.cpp, tools/server/README.md (--cache-type-k)"),
    "vllm": (frozenset({"fp32", "fp16", "bf16", "fp8"}),
             "vLLM's --kv-cache-dtype takes auto (the model's dtype) and FP8 (fp8, fp8_e4m3, fp8_e5m2), not "
             "llama.cpp's block types", "docs.vllm.ai, engine arguments (--kv-cache-dtype)"),
    "sglang": (frozenset({"fp32", "fp16", "bf16", "fp8"}),
               "SGLang's --kv-cache-dtype takes auto (the model's dtype), fp8_e5m2 and fp8_e4m3, not llama.cpp's "
               "block types", "docs.sglang.ai, server arguments (--kv-cache-dtype)"),
    "ollama": (frozenset({"fp16", "q8_0", "q4_0"}),
               "Ollama's OLLAMA_KV_CACHE_TYPE takes f16 (the default), q8_0 and q4_0",
               "github.com/ollama/ollama, docs/faq.md (How can I set the quantization type for the K/V cache?)"),
    "mlx": (frozenset({"fp32", "fp16", "bf16", "q8_0", "q4_0"}),
            "mlx-lm's cache is in the model's dtype, or with --kv-bits 8 / 4 quantized (the Q8_0 and Q4_0 bytes stand "
            "for it); it has no FP8 cache", "github.com/ml-explore/mlx-lm, mlx_lm/models/cache.py (QuantizedKVCache)"),
}
KV_TYPES["llamacpp-2023"] = (frozenset({"fp32", "fp16"}),
                             "builds of 2023 quantize the K cache only (-ctk; 'V cache quantization is not yet "
                             "supported') and have no BF16 cache, so a cache of one type is F16 or F32",
                             "github.com/ggml-org/llama.cpp pulls 4309 and 4312 (Dec 2023)")
for _twin, _of in (("llamacpp-vulkan", "llamacpp"), ("ollama-num-ctx", "ollama")):
    KV_TYPES[_twin] = KV_TYPES[_of]

#: llama.cpp's block types of cache (the V cache among them needs flash attention: :data:`KV_NEEDS_FLASH`).
BLOCK_KV = frozenset({"q8_0", "q4_0"})

#: Engines whose quantized cache (:data:`BLOCK_KV`) needs flash attention, where "eager" is theirs to pick: (why,
#: source).
KV_NEEDS_FLASH = {
    "llamacpp": ("llama.cpp refuses a quantized V cache with flash attention off (-fa off): 'V cache quantization "
                 "requires flash_attn'; without flash attention its attention reads V transposed, which block types "
                 "cannot store",
                 "github.com/ggml-org/llama.cpp, src/llama-context.cpp (llama_init_from_model)"),
    "ollama": ("Ollama runs an F16 cache where flash attention is off, whatever OLLAMA_KV_CACHE_TYPE asks ('quantized "
               "kv cache requested but flash attention disabled')", "github.com/ollama/ollama, llm/server.go"),
}
for _twin, _of in (("llamacpp-vulkan", "llamacpp"), ("ollama-num-ctx", "ollama")):
    KV_NEEDS_FLASH[_twin] = KV_NEEDS_FLASH[_of]


def takes_kv(engine: str, kv: str, attention: str | None = None) -> bool:
    """Whether the engine's cache can be of type ``kv`` (:data:`KV_TYPES`) with ``attention`` (the implementation
    it runs; a quantized cache needs flash attention in llama.cpp and Ollama: :data:`KV_NEEDS_FLASH`)."""
    if engine in KV_TYPES and kv not in KV_TYPES[engine][0]:
        return False
    return not (attention == "eager" and kv in BLOCK_KV and engine in KV_NEEDS_FLASH)


#: Engines whose default cache type (``--kv-cache-dtype auto``) is the one a checkpoint's Model Optimizer
#: quantization asks for (formats.stored_kv: FP8), not the model's 16 bits, and the source.
CHECKPOINT_KV = {
    "vllm": "github.com/vllm-project/vllm, vllm/utils/torch_utils.py (resolve_kv_cache_dtype_string: 'auto' becomes "
            "the checkpoint's kv_cache_quant_algo, get_kv_cache_quant_algo_string: FP8 -> fp8_e4m3); pull 29980 "
            "('Load kv-cache dtype from hf_quant_config.json automatically', merged Dec 2025)",
    "sglang": "github.com/sgl-project/sglang, python/sglang/srt/model_executor/model_runner.py "
              "(configure_kv_cache_dtype: with 'auto', float8_e4m3fn where the quant config's kv_cache_quant_algo "
              "is 'FP8')",
}


def release_kv(config: dict | None, engine: str) -> str | None:
    """The cache type ``engine`` runs a checkpoint in by default where the checkpoint asks for one (its Model
    Optimizer quantization's FP8 KV cache, :data:`CHECKPOINT_KV`), else None (the model's 16 bits)."""
    kv = stored_kv(config) if engine in CHECKPOINT_KV and isinstance(config, dict) else None
    return kv if kv is not None and takes_kv(engine, kv) else None


def kv_for(engine: str, kv: str, attention: str | None = None) -> str:
    """The cache type ``engine`` runs where ``kv`` is asked: that one where it takes it (:func:`takes_kv`), else
    16-bit (every engine's): the window's engine switch, the My machine grid's rows."""
    return kv if takes_kv(engine, kv, attention) else "fp16"


#: Engines whose context length (by default the model's own) meets the cache left beside the weights at start, and
#: what they do where one sequence of it does not fit: "refuses" to start (naming the longest that fits), or "caps"
#: each request at the cache's tokens; their flag for a shorter context, and the source.
CACHE_CAPS_CONTEXT = {
    "vllm": ("refuses", "--max-model-len",
             "github.com/vllm-project/vllm, vllm/v1/core/kv_cache_utils.py (check_enough_kv_cache_memory: 'To serve "
             "at least one request with the models's max seq len (...), (... GiB KV cache is needed, which is larger "
             "than the available KV cache memory (... GiB). Based on the available memory, the estimated maximum "
             "model length is ...'); pull 29431 (--max-model-len auto, Nov 2025: the longest that fits instead)"),
    "sglang": ("caps", "--context-length",
               "github.com/sgl-project/sglang, python/sglang/srt/managers/scheduler.py (max_req_input_len = "
               "min(context_len - 1, max_total_num_tokens - 1)); pull 30326 (open, Jul 2026: 'Current behavior treats "
               "the context length as an upper bound and reduces the request limit to the usable KV capacity')"),
}


#: Engines whose OpenAI-compatible server refuses (400 Bad Request) a request whose prompt and asked output together
#: pass the model's context length (its max_model_len / context length, by default the model's own), where llama.cpp
#: and HF transformers run it (on positions the model was not trained on).
REFUSES_PAST_CONTEXT = {
    "vllm": "github.com/vllm-project/vllm issue 20409 (vLLM 0.9, serving_engine.py: the model's maximum context "
            "length is 16,384 tokens, the request asked for 122,946: 112,946 in the messages and 10,000 in the "
            "completion; a ValueError answered as a BadRequestError)",
    "sglang": "github.com/anomalyco/opencode pull 25230 (May 2026: SGLang's 400 answer, the requested token count "
              "exceeds the model's maximum context length, 170,941 tokens of input messages and 32,000 for the "
              "completion against 202,752)",
}


#: Engines that can keep only an MoE model's routed experts in RAM (vLLM's --cpu-offload-params with the experts'
#: parameter names, beside --cpu-offload-gb), whose kernels then read from RAM only the experts a pass's tokens use;
#: without it the offloader takes every parameter of the first layers in turn, attention and router too, which every
#: token reads.
OFFLOADS_EXPERTS_ONLY = {
    "vllm": "github.com/vllm-project/vllm pull 34535 (--cpu-offload-params, 'to only offload experts weights for MoE "
            "weights, which is useful for low-concurrency settings': --cpu-offload-params w13_weight w2_weight); "
            "issue 54593 (without it the UVA offloader walks named_parameters in declaration order: one card with "
            "--cpu-offload-gb 47 read 4.5 GiB a token over PCIe and decoded 4.26 tokens/s, with the experts only "
            "0.93 GiB and 9.46 tokens/s)",
}


def offloads_experts_only(engine: str, model) -> bool:
    """Whether ``engine`` can keep only ``model``'s routed experts in RAM (:data:`OFFLOADS_EXPERTS_ONLY`; an MoE
    model)."""
    return engine in OFFLOADS_EXPERTS_ONLY and model.architecture.moe is not None


def converts_first(engine: str, weights: str, gpu=None) -> tuple[str, str] | None:
    """(why, source) where the engine does not load ``weights`` as stored: MLX outside :data:`MLX_LOADS`
    (:data:`MLX_CONVERTS`), llama.cpp outside GGUF and :data:`LLAMACPP_LOADS` (:data:`LLAMACPP_CONVERTS`), MLX's own
    formats anywhere but MLX (:data:`MLX_FORMATS_ONLY`), a GGUF file under HF transformers, which dequantizes it
    (:data:`HF_DEQUANTIZES_GGUF`), the formats only compressed-tensors writes under HF transformers, which
    decompresses them (:data:`HF_DECOMPRESSES`), and on ``gpu`` (where given) FP8 or MXFP4 weights under HF
    transformers on an NVIDIA card below its quantizer's compute capability, MXFP4 on an Apple chip too
    (:data:`HF_DEQUANTIZES`); the bytes imported as stored, "file", and the generic profile aside; None where it loads
    them as stored."""
    if weights == "file" or engine == "generic":
        return None
    if engine == "mlx":
        return None if weights in MLX_LOADS else MLX_CONVERTS
    if weights in MLX_FORMATS:
        return MLX_FORMATS_ONLY
    gguf = WEIGHT_FORMATS[weights].gguf is not None
    if engine in LLAMACPP:
        return None if gguf or weights in LLAMACPP_LOADS or weights == "fp32" else LLAMACPP_CONVERTS
    if engine == "hf" and weights in HF_DECOMPRESSES:
        return HF_DECOMPRESSES_WHY
    if engine == "hf" and weights in HF_DEQUANTIZES and gpu is not None:
        least, why, source = HF_DEQUANTIZES[weights]
        cc = gpu.compute_capability
        if (gpu.apple and weights not in HF_NO_MPS) or (cc is not None and cc < least):
            return why, source
    return HF_DEQUANTIZES_GGUF if engine == "hf" and gguf else None


def runs_on_gpu(engine: str, weights: str, gpu) -> bool:
    """Whether the engine runs ``weights`` on the card's GPU: not vLLM or SGLang on an Apple chip
    (:data:`NO_APPLE_GPU`), nor HF transformers there with weights PyTorch's MPS device cannot run
    (:data:`HF_NO_MPS`), nor MLX on any other card (:data:`APPLE_ONLY`); everywhere else it does."""
    if not gpu.apple:
        return engine not in APPLE_ONLY
    return engine not in NO_APPLE_GPU and not (engine == "hf" and weights in HF_NO_MPS)


class CardSupport(BaseModel):
    """The cards a serving engine's own builds (or an attention kernel) list, by the card's compiler target
    (:attr:`~vramgui.core.presets.GPU.arch`); a card outside the list gets a caution, not a refusal: community
    and self-made builds run some of them."""

    model_config = ConfigDict(frozen=True)
    what: str
    min_cc: tuple[int, int] = Field(description="NVIDIA: the least compute capability listed")
    below_cc: tuple[int, int] | None = Field(default=None, description="NVIDIA: the least compute capability past "
                                                                       "the list (None: every later one is listed)")
    rocm: tuple[str, ...] | None = Field(description="AMD: the targets listed (None: the rule says nothing of AMD)")
    apple: bool | None = Field(default=None, description="Apple: whether it runs on their chips' GPUs (None: the "
                                                         "rule says nothing of Apple)")
    source: str
    otherwise: str = Field(description="what a user of an unlisted card can do, or expect")


UNLISTED = ("it may run from a build of one's own, or not at all; these figures time it as it runs on the cards "
            "it lists")
#: What the serving engines' builds list (Intel's cards and Apple's chips are not judged here).
ENGINE_CARDS = {
    "vllm": CardSupport(
        what="vLLM", min_cc=(7, 5),
        rocm=("gfx90a", "gfx942", "gfx950", "gfx1100", "gfx1101", "gfx1200", "gfx1201", "gfx1150", "gfx1151"),
        source="docs.vllm.ai, installation, GPU requirements: 'compute capability 7.5 or higher (e.g., T4, RTX20xx, "
               "A100, L4, H100, B200, etc.)' (v0.14.0's docs said 7.0, the V100 included); 'MI200s (gfx90a), MI300 "
               "(gfx942), MI350 (gfx950), Radeon RX 7900 series (gfx1100/1101), Radeon RX 9000 series "
               "(gfx1200/1201), Ryzen AI MAX / AI 300 Series (gfx1151/1150)'",
        otherwise=UNLISTED),
    "sglang": CardSupport(
        what="SGLang", min_cc=(8, 0), rocm=("gfx942", "gfx950"),
        source="github.com/sgl-project/sglang, sgl-kernel: CMakeLists.txt compiles its CUDA kernels for sm_80, "
               "sm_89, sm_90, sm_100 and sm_120 (sm_103 with CUDA 13; sm_110 and sm_121 on aarch64); setup_rocm.py "
               "stops on any target but gfx942 and gfx950 ('Expected gfx942 or gfx950') unless AMDGPU_TARGET forces "
               "one",
        otherwise=UNLISTED),
}
#: FlashAttention-2, which HF transformers runs for attention "flash" (attn_implementation="flash_attention_2").
FLASH_ATTENTION_2 = CardSupport(
    what="FlashAttention-2", min_cc=(8, 0), rocm=None, apple=False,
    source="github.com/Dao-AILab/flash-attention README: 'Requirements: CUDA toolkit or ROCm toolkit'; "
           "'FlashAttention-2 with CUDA currently supports: Ampere, Ada, or Hopper GPUs (e.g., A100, RTX 3090, "
           "RTX 4090, H100). For Turing GPUs (T4, RTX 2080), see the separate flash-attention-turing repo, which "
           "supports a core subset'; its kernels stop older cards with 'FlashAttention only supports Ampere GPUs or "
           "newer'; HF transformers 5.24 (modeling_flash_attention_utils.py, FLASH_ATTENTION_COMPATIBILITY_MATRIX) "
           "runs flash_attention_2 on cuda, mlu, musa, npu and xpu devices, not on PyTorch's mps device",
    otherwise="pick sdpa attention, which runs there and which vramgui counts alike")
#: vLLM with BF16 weights: its dtype check refuses cards without bfloat16 arithmetic.
VLLM_BF16 = CardSupport(
    what="vLLM with BF16 weights", min_cc=(8, 0), rocm=None,
    source="vLLM's dtype check: 'Bfloat16 is only supported on GPUs with compute capability of at least 8.0. Your "
           "Tesla T4 GPU has compute capability 7.5. You can use float16 instead by explicitly setting the dtype "
           "flag in CLI, for example: --dtype=half' (github.com/vllm-project/vllm issues 946 and 1157, "
           "pull request 2374)",
    otherwise="choose FP16 weights (--dtype half), the same bytes, which it runs there")
#: vLLM with INT8 W8A8 weights: its int8 matmul kernels' cards.
VLLM_INT8_W8A8 = CardSupport(
    what="vLLM with INT8 W8A8 weights", min_cc=(7, 5), below_cc=(10, 0), rocm=None,
    source="docs.vllm.ai, quantization, INT8 W8A8: 'INT8 computation is supported on NVIDIA GPUs with compute "
           "capability > 7.5 (Turing, Ampere, Ada Lovelace, Hopper)', 'Blackwell GPU Limitation: INT8 is not "
           "supported on compute capability >= 10.0 (e.g., RTX 6000 Blackwell). Use FP8 quantization instead'. (Its "
           "supported-hardware table marks AMD GPUs out too, but its ROCm builds run these layers through "
           "TritonScaledMMLinearKernel, 'ROCm or CUDA': AMD cards are not judged)",
    otherwise="choose FP8 weights where the card multiplies them (Ada, Hopper, Blackwell), or INT8 W8A16, whose "
              "kernels run on it")
#: vLLM with MXFP4 experts (gpt-oss): its quantization method's least compute capability.
VLLM_MXFP4 = CardSupport(
    what="vLLM with MXFP4 experts", min_cc=(8, 0), rocm=None,
    source="github.com/vllm-project/vllm, vllm/model_executor/layers/quantization/mxfp4.py: Mxfp4Config."
           "get_min_capability() returns 80 and its activations are bfloat16 only; the model loader refuses a card "
           "below a method's minimum ('The quantization method mxfp4 is not supported for the current GPU. Minimum "
           "capability: 80')",
    otherwise="run a GGUF of the model on llama.cpp, or a 16-bit checkpoint")
#: vLLM with NVFP4 weights: FP4 tensor cores on Blackwell, its Marlin FP4 kernel (weight-only) before, from Turing on.
VLLM_NVFP4 = CardSupport(
    what="vLLM with NVFP4 weights", min_cc=(7, 5), rocm=None,
    source="github.com/vllm-project/vllm, vllm/model_executor/layers/quantization/modelopt.py: ModelOptNvFp4Config."
           "get_min_capability() returns 75; utils/marlin_utils_fp4.py: is_fp4_marlin_supported() is "
           "has_device_capability(75) ('For GPUs that lack FP4 hardware support, we can leverage the Marlin kernel for "
           "fast weight-only FP4 quantization'); the model loader refuses a card below a method's minimum. (AMD cards "
           "are not judged: no source says how its ROCm builds run NVFP4)",
    otherwise="run a GGUF of the model on llama.cpp, or pick FP16 weights")
#: HF transformers with NVFP4 weights: its quantizer's cards.
HF_NVFP4 = CardSupport(
    what="HF transformers with NVFP4 weights", min_cc=(10, 0), rocm=(), apple=False,
    source="github.com/huggingface/transformers, src/transformers/quantizers/quantizer_nvfp4.py (validate_environment: "
           "'NVFP4 requires Blackwell (sm100+) block-scaled tensor cores', 'NVFP4 quantization requires a CUDA GPU', "
           "'currently supports one CUDA device'; it quantizes a 16-bit checkpoint as it loads it: 'Loading "
           "pre-quantized NVFP4 checkpoints is not supported yet')",
    otherwise="vLLM runs NVFP4 checkpoints on it (weight-only before Blackwell), or pick BF16")
#: SGLang with NVFP4 weights: ModelOpt's FP4 kernels on NVIDIA's cards, Petit's on AMD's.
SGLANG_NVFP4 = CardSupport(
    what="SGLang with NVFP4 weights", min_cc=(10, 0), rocm=("gfx90a", "gfx942"),
    source="docs.sglang.io, quantization, Platform Compatibility: 'modelopt_fp4 | Yes (Blackwell/SM100+) | No', "
           "'petit_nvfp4 | No | Yes (MI250/MI300X/MI325X) | Enables NVFP4 on ROCm via Petit ... Auto-selected when "
           "loading NVFP4 models on AMD'",
    otherwise="vLLM runs NVFP4 checkpoints on it (weight-only before Blackwell), or pick FP8")
#: SGLang with GGUF weights: its GGUF kernels are CUDA-only.
SGLANG_GGUF = CardSupport(
    what="SGLang with GGUF weights", min_cc=(8, 0), rocm=(),
    source="docs.sglang.io, quantization, Platform Compatibility: 'gguf | Yes | No | WIP | CUDA-only kernels in "
           "sgl-kernel' (NVIDIA GPUs, AMD GPUs, Ascend NPUs)",
    otherwise="run the GGUF on llama.cpp's ROCm or Vulkan build, or give SGLang an AWQ, GPTQ or FP8 checkpoint, "
              "which its ROCm builds run")
#: vLLM with bitsandbytes weights: its ROCm builds leave the method out on gfx9 (the Instinct cards).
VLLM_BNB = CardSupport(
    what="vLLM with bitsandbytes weights", min_cc=(7, 5),
    rocm=("gfx1100", "gfx1101", "gfx1200", "gfx1201", "gfx1150", "gfx1151"),
    source="github.com/vllm-project/vllm, vllm/platforms/rocm.py (supported_quantization: '# bitsandbytes not "
           "supported on gfx9 (warp size 64 limitation)'; the Radeon targets vLLM lists add it), a method outside the "
           "list refused ('... quantization is currently not supported in ROCm')",
    otherwise="pick AWQ or GPTQ int4, which its ROCm builds run, or FP8")
#: The card lists an engine adds for some weight formats, by engine and format (:func:`card_rules`).
FORMAT_CARDS = {"vllm": {"bf16": VLLM_BF16, "int8-w8a8": VLLM_INT8_W8A8, "mxfp4": VLLM_MXFP4, "nvfp4": VLLM_NVFP4,
                         **dict.fromkeys(BITSANDBYTES, VLLM_BNB)},
                "sglang": {"nvfp4": SGLANG_NVFP4,
                           **{f.id: SGLANG_GGUF for f in WEIGHT_FORMATS.values() if f.gguf is not None}},
                "hf": {"nvfp4": HF_NVFP4}}


def format_card_rule(engine: str, weights: str | None) -> CardSupport | None:
    """The card list the engine adds for ``weights`` (:data:`FORMAT_CARDS`), or None."""
    return FORMAT_CARDS.get(engine, {}).get(weights)


def card_rules(engine: str, attention: str | None = None, weights: str | None = None) -> list[CardSupport]:
    """The card lists that apply: the serving engine's (:data:`ENGINE_CARDS`), the engine's for some weight formats
    (:func:`format_card_rule`: vLLM's BF16, INT8 W8A8, MXFP4 and bitsandbytes, SGLang's NVFP4 and GGUF, HF
    transformers' NVFP4), FlashAttention-2's where HF transformers runs attention "flash"
    (:data:`FLASH_ATTENTION_2`)."""
    rules = [ENGINE_CARDS[engine]] if engine in ENGINE_CARDS else []
    by_format = format_card_rule(engine, weights)
    if by_format is not None:
        rules.append(by_format)
    if engine == "hf" and attention == "flash":
        rules.append(FLASH_ATTENTION_2)
    return rules


def outside(rule: CardSupport, gpu) -> bool:
    """Whether ``gpu`` falls outside ``rule``'s list: an NVIDIA card below its compute capability, an AMD card whose
    target it does not name (where it names AMD's), an Apple chip where it runs on none; another card with no
    ``arch`` never does."""
    if gpu.apple:
        return rule.apple is False
    cc = gpu.compute_capability
    if cc is not None:
        return cc < rule.min_cc or (rule.below_cc is not None and cc >= rule.below_cc)
    return bool(gpu.arch) and gpu.arch.startswith("gfx") and rule.rocm is not None and gpu.arch not in rule.rocm


def unlisted_card(engine: str, attention: str, gpu, weights: str | None = None) -> CardSupport | None:
    """The first rule of :func:`card_rules` the card falls outside of; None where it is listed, the engine lists no
    cards (llama.cpp, HF transformers' own kernels) or the card names no ``arch``."""
    return next((rule for rule in card_rules(engine, attention, weights) if outside(rule, gpu)), None)


def card_target(gpu) -> str:
    """The card's compiler target in words: 'compute capability 6.1 (sm_61)', 'gfx906' or 'an Apple chip'."""
    if gpu.apple:
        return "an Apple chip (Metal; PyTorch's mps device)"
    cc = gpu.compute_capability
    return f"compute capability {cc[0]}.{cc[1]} ({gpu.arch})" if cc else str(gpu.arch)


def listed_cards(rule: CardSupport, gpu) -> str:
    """What a rule lists of the card's vendor, in words: 'NVIDIA compute capability 7.5 or newer', "AMD's gfx942 and
    gfx950" or, for an Apple chip, 'no Apple chip'."""
    if gpu.apple:
        return "no Apple chip"
    if gpu.compute_capability is not None:
        since = f"NVIDIA compute capability {rule.min_cc[0]}.{rule.min_cc[1]}"
        return f"{since} or newer" if rule.below_cc is None else \
            f"{since} or newer, below {rule.below_cc[0]}.{rule.below_cc[1]}"
    if not rule.rocm:
        return "no AMD card"
    *first, last = rule.rocm
    return "AMD's " + (f"{', '.join(first)} and {last}" if first else last)


# The same engine as builds without CUDA graphs ran it (Dec 2023, the figures the speed issue
# quotes): every allocation as above; only its speed differs (core/speed.py's tables).
ENGINES["llamacpp-2023"] = ENGINES["llamacpp"].model_copy(update=dict(
    id="llamacpp-2023", name="llama.cpp (no CUDA graphs)", default_attention="eager", prompt_logits_last=False,
    logits_all_positions=True, kv_streams=False, output_layer_first=False, auto_fit_margin_bytes=0.0,
    op_offload_copies=False,
    notes="llama.cpp as builds before May 2024 ran on every card (the host launches each op: about 0.2 ms "
          "a layer); the llama.cpp profile also runs this way on Intel cards (SYCL). Decode speed "
          "calibrated on Dec 2023 CUDA builds; on Apple chips, which never had CUDA graphs, the Metal "
          "backend's (as the llama.cpp profile there). Memory as the llama.cpp profile, without flash "
          "attention (those builds' default), with a logits row for every token of a batch (as llama-bench "
          "and llama-completion still reserve) and one cache for every parallel sequence."))

# The same engine built with its Vulkan backend (any vendor's card: AMD on Windows, Intel, NVIDIA):
# every allocation as above; its speed has its own rows (core/speed.py).
ENGINES["llamacpp-vulkan"] = ENGINES["llamacpp"].model_copy(update=dict(
    id="llamacpp-vulkan", name="llama.cpp (Vulkan)",
    sources={**ENGINES["llamacpp"].sources,
             "overhead": "The Vulkan driver's own context, taken as the CUDA context's ≈ 0.3 GiB (an assumption), "
                         "is not part of llama.cpp's own totals.",
             "parallel": ENGINES["llamacpp"].sources["parallel"] + "  A Vulkan build runs the pipeline too: "
                         "llama-context.cpp enables it only where every card's backend reports async compute and "
                         "events, and ggml-vulkan.cpp's ggml_backend_vk_device_get_props reports both (async = "
                         "true, events = true; current builds' source, not a measured log)."},
    notes="llama.cpp built with its Vulkan backend (GGML_VULKAN): the same allocations as the llama.cpp profile; "
          "decode speed calibrated on 2025-2026 builds (b6111-b8163) on NVIDIA and AMD cards, and on Intel's "
          "Arc A770 apart (its driver issues each op far more slowly)."))

#: Ollama's default context per sequence by the GPU memory of every card it sees together (server/routes.go since
#: v0.15.5, Feb 2026: thresholds of 47 and 23 GiB, "slightly lower ... to account for small differences in the exact
#: value" of 48 and 24).
OLLAMA_CONTEXT_TIERS = ((47.0, 262_144), (23.0, 32_768), (0.0, 4_096))

# Ollama (0.34, Sep 2026) runs a GGUF model through a bundled llama-server: llama.cpp's allocations, at the context
# Ollama picks when the request names none, with the margin llama-server's --fit keeps free.
ENGINES["ollama"] = ENGINES["llamacpp"].model_copy(update=dict(
    id="ollama", name="Ollama",
    default_context=OLLAMA_CONTEXT_TIERS, free_margin_bytes=FIT_TARGET_BYTES, auto_fit_margin_bytes=0.0,
    loads_vision=True,
    sources={**ENGINES["llamacpp"].sources,
             "weights": ENGINES["llamacpp"].sources["weights"].replace(
                 "  A vision-language model's image encoder is a separate file (--mmproj), not counted here.",
                 "  A vision-language model's projector (its mmproj, 16-bit) is loaded with it: Ollama passes it to "
                 "llama-server and raises --fit's target by its size (homelabpostmortem.com, 2026-09-28, reading "
                 "Ollama 0.34.4's llm/llama_server.go)."),
             "kv_cache": "Ollama starts llama-server with -c num_ctx -np OLLAMA_NUM_PARALLEL (1 by default) -b 512 "
                         "-ub 512 --flash-attn auto, f16 cache unless OLLAMA_KV_CACHE_TYPE (logged command lines, "
                         "Ollama 0.34). Where neither the request, a Modelfile nor OLLAMA_CONTEXT_LENGTH sets num_ctx, "
                         "it is picked by the GPU memory of every card together (server/routes.go, PR #13946, v0.15.5, "
                         "Feb 2026: totalVRAM += gpu.TotalMemory - OLLAMA_GPU_OVERHEAD; 262,144 tokens from 47 GiB, "
                         "32,768 from 23 GiB, else 4,096; logs: 'vram-based default context total_vram=\"23.5 GiB\" "
                         "default_num_ctx=32768'), at most the model's trained context (qwen2.5:3b's 262,144 tier "
                         "loaded 32,768 cells, its limit). Each parallel sequence gets that context. Then as "
                         "llama.cpp: " + ENGINES["llamacpp"].sources["kv_cache"],
             "activations": ENGINES["llamacpp"].sources["activations"] + "  Ollama 0.32.13's llama-server printed "
                            "104.27 MiB of compute buffer for DeepSeek-Coder-V2-Lite at n_ctx 2,048, under the 200 MiB "
                            "a 512-row logits reserve of its 102,400-token vocabulary alone would take.",
             "budget": "Ollama passes no -ngl by default: llama-server's --fit places the layers so that 1,024 MiB "
                       "(LLAMA_ARG_FIT_TARGET) stay free on each card ('common_params_fit_impl: will leave 5084 >= "
                       "1024 MiB of free device memory, no changes needed'); a model that needs more runs some "
                       "layers on the CPU ('58%/42% CPU/GPU' in ollama ps). OLLAMA_GPU_OVERHEAD does not reach it "
                       "(homelabpostmortem.com, 2026-09-28: Ollama 0.34.4, RTX 2070 and qwen2.5:3b)."},
    notes="Ollama as installed: its bundled llama-server runs the model (llama.cpp's allocations and speed, by "
          "backend as the llama.cpp profile), with the whole context Ollama picks by the GPU memory it sees (4,096 "
          "tokens under 23 GiB, 32,768 under 47 GiB, else 262,144, at most the model's own) even for a shorter "
          "prompt and 1 GiB left free on each card. With num_ctx set (a "
          "request's options, a Modelfile, OLLAMA_CONTEXT_LENGTH) it allocates that instead: the 'Ollama (num_ctx "
          "set)' profile."))
# The same with num_ctx set by the request, a Modelfile or OLLAMA_CONTEXT_LENGTH (Open WebUI sends its own, 2,048 by
# default): the context is the prompt + output the scenario names.
ENGINES["ollama-num-ctx"] = ENGINES["ollama"].model_copy(update=dict(
    id="ollama-num-ctx", name="Ollama (num_ctx set)", default_context=None,
    notes="Ollama with num_ctx set (a request's options, a Modelfile, OLLAMA_CONTEXT_LENGTH; Open WebUI sends its own, "
          "2,048 by default): its llama-server allocates that context, prompt + output here, with the Ollama "
          "profile's margin, projector and logits reserve.",
    sources={**ENGINES["ollama"].sources,
             "kv_cache": "num_ctx as set (-c num_ctx -np OLLAMA_NUM_PARALLEL on llama-server's command line; Ollama "
                         "clamps it to the model's trained context), for every parallel sequence; then as llama.cpp: "
                         + ENGINES["llamacpp"].sources["kv_cache"]}))
