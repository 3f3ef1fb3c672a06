"""Engine profiles: what each inference engine allocates, when, and how fast it runs.

Each default below stands for a mechanism, named in the field's description and the
profile's ``notes``; none is a fudge factor fitted to one data point.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .units import GIB, MIB

Attention = Literal["eager", "sdpa", "flash"]


class EngineProfile(BaseModel):
    """How an engine spends GPU memory and time."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    name: str
    notes: str

    # --- KV cache -----------------------------------------------------------------
    kv_allocation: Literal["grow", "context", "pool"] = Field(
        description="grow: cache holds the tokens seen so far (HF); context: the whole n_ctx per sequence "
                    "up front (llama.cpp); pool: every byte left after weights, activation peak and "
                    "overhead becomes KV blocks (vLLM)")
    kv_block_tokens: int = Field(1, ge=1, description="allocation granularity of the cache, tokens")
    honors_sliding_window: bool = Field(True, description="windowed layers cache only the window")
    mla_latent_cache: bool = Field(True, description="MLA models cache the latent, not expanded K/V")

    # --- budget -------------------------------------------------------------------
    util_fraction: float = Field(1.0, gt=0, le=1, description="share of the card's memory the engine may use")
    parallel: Literal["tensor", "layer"] = Field(description="what several cards do")
    embedding_on_host: bool = Field(False, description="token-embedding table stays in system RAM")

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
    mask_bytes: float = Field(0.0, ge=0, description="bytes per (query, key) pair of the attention mask")
    logits_all_positions: bool = Field(False, description="prefill computes logits for every prompt token")
    logits_bytes: float = Field(4.0, ge=0, description="bytes per logit (fp32 upcast + copies)")
    sampler_seqs: int = Field(0, ge=0, description="sequences the sampler's warm-up holds logits for")
    sampler_bytes_per_logit: float = Field(0.0, ge=0)
    allocator_fraction: float = Field(0.0, ge=0, le=1, description="caching-allocator fragmentation, as a "
                                                                   "share of the transient peak")

    # --- runtime overhead -----------------------------------------------------------
    cuda_context_bytes: float = Field(description="driver context, kernels and library handles per card")
    framework_bytes: float = Field(0.0, ge=0, description="engine buffers outside the tensor allocator")
    multi_gpu_bytes: float = Field(0.0, ge=0, description="communication buffers per card when N > 1")
    cuda_graph_bytes: float = Field(0.0, ge=0, description="captured CUDA graphs' private pools")


ENGINES: dict[str, EngineProfile] = {e.id: e for e in [
    EngineProfile(
        id="generic", name="Generic (theory)", parallel="tensor", kv_allocation="grow",
        default_attention="sdpa", eager_score_bytes=4.0, cuda_context_bytes=512 * MIB,
        notes="Textbook estimate: weights + KV cache for the tokens held + the transient peak of one "
              "forward pass + a CUDA context.  Eager attention keeps the fp16 scores and their softmax "
              "(4 bytes per score).  Tensor parallel over N cards.",
    ),
    EngineProfile(
        id="hf", name="HF transformers", parallel="layer", kv_allocation="grow", default_attention="sdpa",
        eager_score_bytes=8.0, mask_bytes=4.0, logits_all_positions=False, logits_bytes=6.0,
        mla_latent_cache=False,
        allocator_fraction=0.10, cuda_context_bytes=512 * MIB,
        notes="model.generate(): the cache grows by one token per step (DynamicCache).  Eager attention "
              "materialises b·h·s·s scores: the fp16 product, its fp32 softmax and the fp16 copy are alive "
              "together (8 bytes per score, four times the fp16 matrix), plus a b·1·s·s fp16 causal mask "
              "and its expanded copy (4 bytes per pair).  sdpa/flash never hold the matrix.  Recent "
              "versions compute prompt logits for the last token only (logits_to_keep); they are upcast "
              "to fp32 (6 bytes per logit with the fp16 original).  The PyTorch caching allocator "
              "fragments large transient blocks (about 10 % of the transient peak).  Several cards: "
              "device_map='auto' places whole layers per card (pipeline, one card busy at a time).  "
              "CUDA context + cuBLAS handles ≈ 0.5 GiB per card.",
    ),
    EngineProfile(
        id="vllm", name="vLLM", parallel="tensor", kv_allocation="pool", kv_block_tokens=16,
        util_fraction=0.90, default_attention="flash", prefill_chunk_tokens=8192, profile_tokens=8192,
        sampler_seqs=1024, sampler_bytes_per_logit=16.0, cuda_context_bytes=0.0,
        framework_bytes=0.25 * GIB, multi_gpu_bytes=1.8 * GIB, cuda_graph_bytes=0.9 * GIB,
        notes="gpu_memory_utilization (default 0.9) × card memory is the budget.  At start-up a dummy "
              "forward pass of max_num_batched_tokens (8192, chunked prefill) and a sampler warm-up for "
              "max_num_seqs (1024) sequences × vocabulary (fp32 logits, probabilities and sort buffers, "
              "≈ 16 bytes per logit) set the activation peak; non-torch memory (≈ 0.25 GiB; ≈ 2 GiB "
              "per card with NCCL and custom all-reduce buffers when tensor parallel) is measured; what "
              "is left becomes KV blocks of 16 tokens (vLLM V1 logs, llm-d benchmark on H100).  CUDA "
              "graphs take ≈ 0.9 GiB beyond the budget.  Flash attention always; embeddings and LM head "
              "are split across tensor-parallel ranks; MLA caches the latent.",
    ),
    EngineProfile(
        id="llamacpp", name="llama.cpp", parallel="layer", kv_allocation="context", kv_block_tokens=256,
        embedding_on_host=True, default_attention="eager", prefill_chunk_tokens=512, activation_bytes=4.0,
        kv_written_to_cache=True,
        hidden_copies=1.0, mlp_copies=2.0, eager_score_bytes=8.0, logits_bytes=4.0,
        cuda_context_bytes=300 * MIB,
        notes="The KV cache for the whole n_ctx (padded to 256 tokens) is allocated at load, for every "
              "parallel sequence.  The compute buffer is sized for a worst-case batch of n_ubatch (512) "
              "tokens against the full n_ctx: without flash attention it holds the f32 KQ product and "
              "its softmax (8 bytes per score) next to an f32 hidden state (llama.cpp logs: 70.5 MiB for "
              "Llama 2 7B, 145 MiB for 70B at n_ctx 512).  The token-embedding table stays in host memory "
              "(get_rows runs on the CPU).  Several cards: layer split (-sm layer), cards work in turn.  "
              "The CUDA context (≈ 0.3 GiB) is not part of llama.cpp's own totals.",
    ),
]}
