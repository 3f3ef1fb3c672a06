"""Model architecture: the numbers that decide memory and speed, and their HF import.

Field names follow the concepts of DESIGN §2 (V, d, f, L, h, h_kv, d_h ...).  A
Hugging Face ``config.json`` is mapped onto them by :func:`architecture_from_hf_config`,
which is also what the built-in presets use: a preset stores the model's config keys
verbatim, so a preset and an imported ``config.json`` give the same object.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ConfigError, pydantic_message
from .jsonfile import read_json

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class MoE(BaseModel):
    """Mixture-of-experts feed-forward layers."""

    model_config = _FROZEN
    num_experts: int = Field(ge=1, le=4096, description="routed experts per MoE layer (E)")
    experts_per_token: int = Field(ge=1, le=256, description="routed experts active per token (k)")
    expert_intermediate_size: int = Field(ge=1, description="intermediate width of one expert")
    shared_intermediate_size: int = Field(
        0, ge=0, description="total intermediate width of the always-active shared expert(s)"
    )
    shared_expert_gate: bool = Field(False, description="a d->1 gate on the shared expert (Qwen MoE)")
    dense_layers: int = Field(0, ge=0, description="layers that use a dense MLP instead (first_k_dense_replace)")
    router_bias: bool = Field(False, description="per-expert score bias (DeepSeek-V3 e_score_correction_bias)")
    expert_bias: bool = Field(False, description="biases on each expert's matrices (gpt-oss)")
    latent_size: int | None = Field(
        None, ge=1, description="the width the routed experts work in (Nemotron 3 Super's LatentMoE, moe_latent_size): "
                                "each MoE layer projects the hidden state down to it before the experts and back up "
                                "after; None: the hidden size")

    @model_validator(mode="after")
    def _k_le_e(self) -> MoE:
        if self.experts_per_token > self.num_experts:
            raise ValueError("experts_per_token cannot exceed num_experts")
        return self


class MLA(BaseModel):
    """Multi-head latent attention (DeepSeek-V2/V3): K and V come from a shared latent."""

    model_config = _FROZEN
    kv_lora_rank: int = Field(ge=1, description="latent width cached per token per layer")
    q_lora_rank: int | None = Field(None, ge=1, description="query low-rank width, None = full q_proj")
    qk_rope_head_dim: int = Field(ge=0, description="rotary part of each query/key head")
    qk_nope_head_dim: int = Field(ge=1, description="non-rotary part of each query/key head")
    v_head_dim: int = Field(ge=1, description="value head width")
    gguf_up_projected: bool = Field(False, description=(
        "a GGUF converted before llama.cpp's MLA tensors (no attention.key_length_mla): llama.cpp runs it with "
        "up-projected heads and caches every head's keys and values (its non-MLA path), not the latent"))


#: The config key a GGUF import sets for :attr:`MLA.gguf_up_projected` (not a Hugging Face key).
GGUF_UP_PROJECTED_MLA = "vramgui_gguf_up_projected_mla"


class SparseIndexer(BaseModel):
    """DeepSeek sparse attention's lightning indexer (DeepSeek-V3.2, GLM-5): small heads that score
    every cached token so that attention reads only the best ``topk``; it caches one key per token."""

    model_config = _FROZEN
    heads: int = Field(ge=1, le=10_000, description="index_n_heads")
    head_dim: int = Field(ge=1, le=100_000, description="index_head_dim: the key it caches per token and layer")
    topk: int = Field(ge=1, description="index_topk: tokens each query attends to")
    layers: int | None = Field(None, ge=0, description=(
        "layers with an indexer of their own (GLM-5.2's indexer_types 'full'; the 'shared' ones reuse the "
        "last one's choice); None: every attention layer"))


class CompressedAttention(BaseModel):
    """DeepSeek-V4's hybrid attention.  One 512-wide entry a token serves as key and value (one KV
    head, queries from a low-rank latent, a grouped low-rank output projection, a sink per head); every
    layer attends to its last ``window`` tokens, and beside them a compressed layer caches one entry per
    ``rate`` tokens: CSA layers (rate 4) pick the ``index_topk`` best of theirs with a lightning indexer
    that caches its own compressed key, HCA layers (rate 128) attend to all of theirs.  The residual is
    ``hc_mult`` streams mixed by hyper-connections; the first ``hash_layers`` MoE layers route by a
    token-id table."""

    model_config = _FROZEN
    window: int = Field(ge=1, description="sliding_window: the last tokens every layer attends to")
    csa_layers: int = Field(ge=0, description="compressed sparse attention layers (compress ratio csa_rate)")
    csa_rate: int = Field(4, ge=2, description="tokens per compressed entry in a CSA layer")
    hca_layers: int = Field(ge=0, description="heavily compressed attention layers (compress ratio hca_rate)")
    hca_rate: int = Field(128, ge=2, description="tokens per compressed entry in an HCA layer")
    q_lora_rank: int = Field(ge=1, description="the query latent's width")
    o_groups: int = Field(ge=1, description="head groups of the grouped output projection")
    o_lora_rank: int = Field(ge=1, description="each group's intermediate width")
    index_heads: int = Field(ge=1, description="index_n_heads of the CSA layers' indexer")
    index_head_dim: int = Field(ge=1, description="index_head_dim: its compressed key per entry")
    index_topk: int = Field(ge=1, description="compressed entries a CSA query attends to")
    rope_dim: int = Field(64, ge=0, description="qk_rope_head_dim: the rotary share of an entry's values")
    hc_mult: int = Field(1, ge=1, le=64, description="residual streams mixed by hyper-connections")
    hash_layers: int = Field(0, ge=0, description="first MoE layers routed by a token-id -> expert table")

    @property
    def compressed_layers(self) -> int:
        return self.csa_layers + self.hca_layers


class _RecurrentMixer(BaseModel):
    """Layers whose mixer keeps a fixed state per sequence instead of a KV cache: a short
    causal convolution (its last ``kernel - 1`` inputs kept) and a state matrix per head."""

    model_config = _FROZEN
    layers: int = Field(ge=1, description="layers with this mixer")
    conv_kernel: int = Field(4, ge=1, le=64, description="causal convolution width")
    state_bytes: int | None = Field(None, ge=1, le=8, description=(
        "bytes per element of the state matrices the config asks for (mamba_ssm_dtype, "
        "mamba_ssm_cache_dtype); None: the engine's activation dtype"))

    @property
    def conv_state_elements(self) -> int:
        """The convolution's last ``kernel - 1`` inputs (of ``conv_dim`` channels), kept per
        sequence and layer."""
        return self.conv_dim * (self.conv_kernel - 1)

    @property
    def inner_linears(self) -> tuple[tuple[int, int], ...]:
        """(inputs, outputs) of the mixer's matrices other than its input and output projections."""
        return ()


class LinearAttention(_RecurrentMixer):
    """Gated DeltaNet mixer layers (Qwen3-Next, Qwen3.5): in place of attention, a short
    causal convolution and a recurrent state of ``h_v · d_k · d_v`` per sequence that does not
    grow with the context, so these layers hold no KV cache."""

    num_key_heads: int = Field(ge=1, le=10_000, description="query/key heads of the delta rule")
    num_value_heads: int = Field(ge=1, le=10_000, description="value heads; one state matrix each")
    key_head_dim: int = Field(ge=1, le=100_000)
    value_head_dim: int = Field(ge=1, le=100_000)

    @model_validator(mode="after")
    def _heads(self) -> LinearAttention:
        if self.num_value_heads % self.num_key_heads:
            raise ValueError("linear_num_value_heads must be a multiple of linear_num_key_heads")
        return self

    @property
    def key_dim(self) -> int:
        return self.num_key_heads * self.key_head_dim

    @property
    def value_dim(self) -> int:
        return self.num_value_heads * self.value_head_dim

    @property
    def conv_dim(self) -> int:
        """Channels of the convolution: q, k and v side by side."""
        return 2 * self.key_dim + self.value_dim

    @property
    def in_proj_width(self) -> int:
        """Outputs of the input projections from d: q, k, v, the output gate z, and b, a per value head."""
        return 2 * self.key_dim + 2 * self.value_dim + 2 * self.num_value_heads

    @property
    def out_width(self) -> int:
        """Inputs of the output projection back to d."""
        return self.value_dim

    @property
    def state_elements(self) -> int:
        """Recurrent state of one sequence in one layer: one d_k × d_v matrix per value head."""
        return self.num_value_heads * self.key_head_dim * self.value_head_dim


class _Mamba(_RecurrentMixer):
    """What Mamba and Mamba-2 mixers share: ``d_inner`` channels (a field or the heads' product) with
    a state of ``d_state`` values each, and the output projection from them back to d."""

    state_size: int = Field(ge=1, le=100_000, description="d_state")
    conv_bias: bool = True
    proj_bias: bool = False
    out_proj_bias: bool | None = Field(None, description=(
        "a bias on the output projection; None: as proj_bias (Falcon-H1 sets it apart: projectors_bias)"))

    @property
    def out_bias(self) -> bool:
        return self.proj_bias if self.out_proj_bias is None else self.out_proj_bias

    @property
    def out_width(self) -> int:
        """Inputs of the output projection back to d."""
        return self.d_inner

    @property
    def state_elements(self) -> int:
        return self.d_inner * self.state_size


class Mamba2(_Mamba):
    """Mamba-2 mixer layers (Nemotron-H): an input projection to x, z, B, C and a time step per
    head, a short causal convolution over x, B and C, and a state of ``h · d_head · d_state``
    per sequence that does not grow with the context: no KV cache."""

    num_heads: int = Field(ge=1, le=10_000, description="SSM heads (h)")
    head_dim: int = Field(ge=1, le=100_000, description="channels per head (d_head)")
    n_groups: int = Field(1, ge=1, le=10_000, description="groups sharing B and C")
    gated_norm: bool = Field(True, description=(
        "a gated RMSNorm over the heads' channels before the output projection (Falcon-H1: mamba_rms_norm)"))
    chunk_size: int = Field(256, ge=1, le=65_536, description=(
        "tokens per chunk of the scan (chunk_size, mamba_chunk_size): what transformers' torch path keeps for the "
        "backward pass grows with it"))

    @property
    def d_inner(self) -> int:
        return self.num_heads * self.head_dim

    @property
    def conv_dim(self) -> int:
        """Channels of the convolution: x, B and C."""
        return self.d_inner + 2 * self.n_groups * self.state_size

    @property
    def in_proj_width(self) -> int:
        """Outputs of the input projection from d: z, x, B, C and a time step per head."""
        return 2 * self.d_inner + 2 * self.n_groups * self.state_size + self.num_heads


class Mamba1(_Mamba):
    """Mamba (S6) mixer layers (Mamba, Falcon Mamba, Jamba): an input projection to x and a gate z,
    a short causal convolution over x, a projection of x to a low-rank time step and to B and C,
    the time step's projection back to every channel, and a state of ``d_inner · d_state`` per
    sequence that does not grow with the context: no KV cache."""

    d_inner: int = Field(ge=1, le=1_000_000, description="channels of the mixer (expand × hidden size)")
    dt_rank: int = Field(ge=1, le=1_000_000, description="width of the time step's low-rank projection")
    dt_norms: bool = Field(False, description="RMSNorm weights on the time step, B and C (Jamba)")

    @property
    def conv_dim(self) -> int:
        return self.d_inner

    @property
    def in_proj_width(self) -> int:
        """Outputs of the input projection from d: x and z."""
        return 2 * self.d_inner

    @property
    def inner_linears(self) -> tuple[tuple[int, int], ...]:
        """x_proj (x to the time step's rank, B and C) and dt_proj (the rank back to every channel)."""
        return (self.d_inner, self.dt_rank + 2 * self.state_size), (self.dt_rank, self.d_inner)


class _HeadStates(_RecurrentMixer):
    """Linear-attention mixers that keep a ``d_h × d_h`` state per head (Kimi Delta Attention, MiniMax's
    lightning attention), their heads ``h · d_h`` wide in all."""

    num_heads: int = Field(ge=1, le=10_000)
    head_dim: int = Field(ge=1, le=100_000)

    @property
    def width(self) -> int:
        return self.num_heads * self.head_dim

    @property
    def out_width(self) -> int:
        return self.width

    @property
    def state_elements(self) -> int:
        return self.num_heads * self.head_dim * self.head_dim


class KimiDelta(_HeadStates):
    """Kimi Delta Attention layers (Kimi Linear): q, k and v projections to ``h · d_h`` each through a short
    causal convolution, a gate per head (b), a low-rank forget gate per channel (d -> d_h -> h · d_h) and a
    low-rank output gate the same shape, a gated norm over each head and the output projection; a state of
    ``d_h × d_h`` per head that does not grow with the context: no KV cache."""

    @property
    def conv_dim(self) -> int:
        """Channels of the convolution: q, k and v."""
        return 3 * self.width

    @property
    def in_proj_width(self) -> int:
        """Outputs of the projections from d: q, k, v, a gate per head, and the two gates' low-rank inputs."""
        return 3 * self.width + self.num_heads + 2 * self.head_dim

    @property
    def inner_linears(self) -> tuple[tuple[int, int], ...]:
        """The forget and output gates' low-rank second halves (d_h -> h · d_h)."""
        return (self.head_dim, self.width), (self.head_dim, self.width)


class Lightning(_HeadStates):
    """MiniMax's lightning attention layers (MiniMax-Text-01, MiniMax-M1): a fused q, k, v projection and an
    output gate from d (``h · d_h`` each), an RMSNorm over the heads and the output projection; a state of
    ``d_h × d_h`` per head (the running sum of kᵀv) that does not grow with the context, no convolution: no KV
    cache."""

    conv_kernel: int = Field(1, ge=1, le=1, description="no convolution")

    @property
    def conv_dim(self) -> int:
        return 0

    @property
    def in_proj_width(self) -> int:
        """Outputs of the projections from d: q, k and v, and the output gate."""
        return 4 * self.width


class ShortConv(_RecurrentMixer):
    """LFM2's short-convolution layers: an input projection to three d-wide parts (two gates and the
    input), a depthwise causal convolution over the gated input and an output projection; the state is
    the convolution's last ``kernel - 1`` inputs, no KV cache and no state matrix."""

    channels: int = Field(ge=1, le=1_000_000, description="channels of the convolution (the hidden size)")
    bias: bool = Field(False, description="biases on the projections and the convolution (conv_bias)")

    @property
    def conv_dim(self) -> int:
        return self.channels

    @property
    def in_proj_width(self) -> int:
        return 3 * self.channels

    @property
    def out_width(self) -> int:
        return self.channels

    @property
    def state_elements(self) -> int:
        return 0


class GlobalAttention(BaseModel):
    """The full-attention layers' own head geometry where it differs from the windowed layers'
    (Gemma 4): wider heads, fewer KV heads, and with ``k_eq_v`` no value projection (the key
    projection's output serves as V; the cache still holds K and V apart, each normed its way)."""

    model_config = _FROZEN
    head_dim: int = Field(ge=1, le=100_000, description="head width of the full-attention layers")
    num_kv_heads: int = Field(ge=1, le=10_000, description="their KV heads")
    k_eq_v: bool = Field(False, description="no v_proj: V is the key projection's output")


class VisionEncoder(BaseModel):
    """The image encoder of a vision-language checkpoint and its projector into the language
    model.  HF transformers and vLLM load it with the language model; llama.cpp keeps it in a
    separate file (``--mmproj``).  Only its weights are counted: a decode step never runs it."""

    model_config = _FROZEN
    kind: str = Field(max_length=64, description="the vision_config's model_type")
    layers: int = Field(ge=0, le=10_000)
    hidden_size: int = Field(ge=1, le=1_000_000)
    intermediate_size: int = Field(0, ge=0, description="its MLP's width where LoRA's gate/up/down reach it "
                                                           "(Pixtral, Qwen2.5-VL; 0: not kept)")
    linear: int = Field(ge=0, description="weights of its matrices (attention, MLP, projector)")
    other: int = Field(ge=0, description="patch convolution, position table, norms, biases")
    adapter_width: int = Field(0, ge=0, description=(
        "inputs plus outputs summed over its torch.nn.Linear modules, projector included, as transformers builds "
        "them (a convolution or a bare weight matrix is none): what LoRA's all-linear adds at rank 1"))
    exact: bool = Field(description="counted from the family's module layout; False: a generic ViT estimate")

    @property
    def params(self) -> int:
        return self.linear + self.other


class Architecture(BaseModel):
    """Transformer decoder architecture.

    Counts are per model; sizes are element counts (not bytes).
    """

    model_config = _FROZEN
    model_type: str = Field("llama", max_length=64)
    vocab_size: int = Field(ge=1, le=10_000_000, description="V")
    hidden_size: int = Field(ge=1, le=1_000_000, description="d")
    intermediate_size: int = Field(ge=1, le=10_000_000, description="f, dense MLP width")
    num_layers: int = Field(ge=1, le=10_000, description="L")
    num_heads: int = Field(ge=1, le=10_000, description="h, query heads")
    num_kv_heads: int = Field(ge=1, le=10_000, description="h_kv, key/value heads (GQA/MQA)")
    head_dim: int = Field(ge=1, le=100_000, description="d_h")
    max_context: int = Field(4096, ge=1, le=100_000_000, description="trained context limit (tokens)")
    tie_embeddings: bool = False
    gated_mlp: bool = Field(True, description="three MLP matrices (SwiGLU/GeGLU) or two")
    mlp_activation: str = Field("silu", max_length=64, description=(
        "the MLP's activation as transformers names it (hidden_act): what fine-tuning's backward pass keeps of it"))
    attention_dropout: bool = Field(False, description=(
        "the attention drops some of its weights in training (attention_dropout or attn_pdrop above 0): eager "
        "attention keeps the dropout's mask"))
    centred_fp32_norm: bool = Field(False, description=(
        "its norms subtract the mean in fp32, in Python, with a weight and no bias (Cohere's CohereLayerNorm: "
        "_CENTRED_FP32_NORM): counted as RMSNorms' weights, they keep the centred input twice in fp32 for the "
        "backward pass (the variance's and the normalization's)"))
    falcon_layout: Literal["", "multi_query", "multi_head", "new_decoder"] = Field("", description=(
        "how transformers' Falcon code splits its fused q/k/v projection (rotary Falcons; \"\" for other "
        "families and ALiBi's): multi_query, one key/value head handed to attention unrepeated (SDPA's fused "
        "kernels refuse it and PyTorch's math path runs, in fp32); multi_head, the keys and values views of the "
        "fused output (which stays alive whole); new_decoder, grouped keys and values copied to every query head "
        "(new_decoder_architecture)"))
    norms_share_input: bool = Field(False, description=(
        "its two input LayerNorms read the same hidden state (attention and MLP side by side, a norm each: "
        "GPT-NeoX's use_parallel_residual, Falcon's new decoder with two norms): fine-tuning keeps that input once"))
    attention_softcap: bool = Field(False, description=(
        "the attention's logits are soft-capped, tanh(x / c)·c (Gemma 2's attn_logit_softcapping)"))
    logit_softcap: bool = Field(False, description=(
        "the output logits are soft-capped, tanh(x / c)·c (Gemma 2's and Gemma 4's final_logit_softcapping): "
        "fine-tuning keeps the tanh's output to the loss's backward pass"))
    residual_dropouts: int = Field(0, ge=0, le=8, description=(
        "dropouts a layer applies to its attention's and MLP's outputs with a probability above 0 (GPT-2's "
        "resid_pdrop): fine-tuning keeps each one's mask"))
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    norm_kind: Literal["rms", "layer", "none"] = Field("rms", description=(
        "rms: a weight per channel; layer: a weight and a bias; none: no learned weights (OLMo 1)"))
    norm_bias: bool = Field(True, description="a LayerNorm learns a bias beside its weight (not MPT's)")
    norm_weightless: bool = Field(False, description="its RMSNorms learn no weight (nanochat's)")
    norms_per_layer: int = Field(2, ge=0, le=8)
    moe_post_norm: bool = Field(False, description=(
        "an MoE layer norms the experts' output once more (A.X K1's post_mlp_layernorm), its dense layers not"))
    embedding_norm: bool = Field(False, description="a norm right after the token embedding (BLOOM)")
    qk_norm: bool = Field(False, description="per-head RMSNorm on q and k (Qwen3)")
    qk_norm_full: bool = Field(False, description=(
        "the q and k norms span all heads at once (OLMo 2, MiniMax-M2): h·d_h and h_kv·d_h weights"))
    lm_head_bias: bool = Field(False, description="the output projection has a bias (Phi-2, GPT-J)")
    scalars_per_layer: int = Field(0, ge=0, le=64, description=(
        "single learned numbers each layer stores (Gemma 4's layer scale, Apertus' activation parameters)"))
    attention_sinks: bool = Field(False, description="one learned sink logit per query head and layer (gpt-oss)")
    sinks_windowed_only: bool = Field(False, description="only the windowed layers have sinks (MiMo-V2-Flash)")
    value_head_dim: int | None = Field(None, ge=1, le=100_000, description=(
        "width of a value head where it differs from head_dim, the query/key width (MiMo-V2-Flash: 128 vs 192)"))
    learned_positions: int = Field(0, ge=0, description="rows of a learned absolute position table")
    sliding_window: int | None = Field(None, ge=1, description="attention window of the windowed layers")
    sliding_window_layers: int = Field(0, ge=0, description="how many layers use the window")
    attn_output_gate: bool = Field(False, description="q_proj also yields a sigmoid gate on the attention output")
    attn_gate_bias: bool = Field(False, description="the output gate has a learned bias a head (Beam's gate_bias)")
    head_gate: bool = Field(False, description="a d -> h projection gates each head's output (LFM3's g_proj)")
    moe: MoE | None = None
    mla: MLA | None = None
    indexer: SparseIndexer | None = None
    compressed: CompressedAttention | None = Field(None, description=(
        "DeepSeek-V4's compressed attention: with it every attention layer is windowed (sliding_window, "
        "sliding_window_layers), one K=V head of head_dim"))
    linear_attention: LinearAttention | None = None
    mamba: Mamba2 | None = None
    mamba1: Mamba1 | None = Field(None, description="Mamba (S6) mixer layers (Jamba, pure Mamba models)")
    short_conv: ShortConv | None = Field(None, description="short-convolution mixer layers (LFM2)")
    kimi_delta: KimiDelta | None = Field(None, description="Kimi Delta Attention layers (Kimi Linear)")
    lightning: Lightning | None = Field(None, description="lightning attention layers (MiniMax-Text-01, M1)")
    parallel_mamba: bool = Field(False, description=(
        "every layer runs its attention and a Mamba-2 mixer side by side on the same input and adds their "
        "outputs (Falcon-H1): each layer keeps a KV cache and a Mamba state"))
    mixerless_layers: int = Field(0, ge=0, description="blocks with only an MLP or MoE (Nemotron-H's '-', 'E')")
    ffnless_layers: int = Field(0, ge=0, description="blocks with only a mixer (Nemotron-H's 'M', '*')")
    global_attention: GlobalAttention | None = Field(
        None, description="the full-attention layers' head geometry, where it differs (Gemma 4)")
    kv_shared_layers: int = Field(0, ge=0, description=(
        "last attention layers that reuse an earlier layer's KV cache: no k/v projections, no cache "
        "of their own (Gemma 4 E2B / E4B)"))
    kv_shared_windowed: int = Field(0, ge=0, description="how many of those are windowed layers")
    cross_attention_layers: int = Field(0, ge=0, description=(
        "attention layers that attend to the image encoder's states instead of the text (Llama 3.2 Vision): "
        "the same q/k/v/o, their own q/k norms and two gates; no cache growing with the context"))
    extra_token_rows: int = Field(0, ge=0, le=1_000_000, description=(
        "rows the token table has beyond vocab_size (Llama 3.2 Vision: 8); the LM head has vocab_size"))
    wide_mlp_layers: int = Field(0, ge=0, description="layers whose dense MLP is twice intermediate_size wide")
    mlp_widths: tuple[tuple[int, int], ...] = Field((), description=(
        "(width, layers) of each width of dense MLP where the layers' MLPs differ (Nemotron-NAS's ffn_mult per "
        "layer); empty: intermediate_size (twice that in the wide layers)"))
    empty_sub_blocks: bool = Field(False, description=(
        "each layer is an attention and an MLP sub-block, each with its norm, and the mixerless / ffnless "
        "layers' missing one is the identity (Nemotron-NAS's no_op): no weights, no norm, nothing stored for "
        "the backward pass"))
    per_layer_input: int = Field(0, ge=0, le=1_000_000, description=(
        "width of the per-layer embeddings (Gemma 4 E2B / E4B): a second token table with this many "
        "values per layer, a projection of the hidden state to them, and a gate and projection per layer"))
    per_layer_vocab: int = Field(0, ge=0, le=10_000_000, description="rows of the per-layer token table")
    vision: VisionEncoder | None = Field(None, description="image encoder of a vision-language checkpoint")
    rope_table_elements: int = Field(0, ge=0, description=(
        "cos/sin table entries for every position the config allows, summed over the model's rotary "
        "embeddings (what a serving engine precomputes at load)"))

    @model_validator(mode="after")
    def _consistent(self) -> Architecture:
        if self.num_kv_heads > self.num_heads:
            raise ValueError("num_kv_heads cannot exceed num_heads")
        if self.num_heads % self.num_kv_heads:
            raise ValueError("num_heads must be a multiple of num_kv_heads")
        if self.sliding_window_layers > self.num_layers:
            raise ValueError("sliding_window_layers cannot exceed num_layers")
        if self.ffnless_layers > self.num_layers:
            raise ValueError("ffnless_layers cannot exceed num_layers")
        if self.moe and self.moe.dense_layers > self.ffn_layers:
            raise ValueError("moe.dense_layers cannot exceed the layers with an MLP")
        if self.attention_layers < 0:
            raise ValueError("linear-attention, Mamba and MLP-only layers cannot exceed num_layers")
        if self.parallel_mamba and (self.mamba is None or self.mamba.layers != self.num_layers
                                    or self.linear_attention or self.mamba1 or self.mixerless_layers):
            raise ValueError("parallel Mamba layers need a Mamba-2 mixer in every layer, beside attention only")
        if self.sliding_window_layers > self.attention_layers:
            raise ValueError("sliding_window_layers cannot exceed the attention layers")
        if self.global_attention and self.num_heads % self.global_attention.num_kv_heads:
            raise ValueError("num_heads must be a multiple of the full-attention layers' KV heads")
        if self.kv_shared_layers >= max(self.attention_layers, 1) and self.kv_shared_layers:
            raise ValueError("at least one attention layer must keep its own KV cache")
        if self.kv_shared_windowed > min(self.kv_shared_layers, self.sliding_window_layers):
            raise ValueError("kv_shared_windowed cannot exceed the shared or the windowed layers")
        if self.wide_mlp_layers > self.dense_ffn_layers:
            raise ValueError("wide_mlp_layers cannot exceed the layers with a dense MLP")
        if self.mlp_widths and (sum(n for _, n in self.mlp_widths) != self.dense_ffn_layers or self.wide_mlp_layers
                                or any(w < 1 or n < 1 for w, n in self.mlp_widths)
                                or self.intermediate_size != max(w for w, _ in self.mlp_widths)):
            raise ValueError("mlp_widths must give every dense MLP layer a width, intermediate_size the largest")
        if self.cross_attention_layers and (self.cross_attention_layers + self.kv_shared_layers >= self.attention_layers
                                            or self.sliding_window_layers or self.global_attention):
            raise ValueError("cross_attention_layers leave too few self-attention layers, or meet windows")
        c = self.compressed
        if c and (c.compressed_layers > self.attention_layers or self.num_kv_heads != 1 or self.mla
                  or self.indexer or self.sliding_window != c.window
                  or self.sliding_window_layers != self.attention_layers):
            raise ValueError("compressed attention needs one KV head, no MLA or DSA indexer, and every attention "
                             "layer windowed to its window; its compressed layers cannot exceed the attention layers")
        return self

    @property
    def attention_groups(self) -> tuple[tuple[int, int, int, bool, bool], ...]:
        """(layers, head width, KV heads, has k_proj, has v_proj) of each kind of attention layer:
        windowed and full layers apart where :attr:`global_attention` shapes the full ones, and the
        layers that reuse another layer's cache (no k or v projection) apart from those that own one."""
        g = self.global_attention
        full = self.global_layers
        windowed = self.attention_layers - full
        shared_w = self.kv_shared_windowed if g else self.kv_shared_layers
        shared_f = self.kv_shared_layers - shared_w
        groups = [(windowed - shared_w, self.head_dim, self.num_kv_heads, True, True),
                  (shared_w, self.head_dim, self.num_kv_heads, False, False)]
        if g:
            groups += [(full - shared_f, g.head_dim, g.num_kv_heads, True, not g.k_eq_v),
                       (shared_f, g.head_dim, g.num_kv_heads, False, False)]
        return tuple(x for x in groups if x[0])

    @property
    def global_layers(self) -> int:
        """Attention layers with :attr:`global_attention`'s geometry: the ones not windowed."""
        return self.attention_layers - self.sliding_window_layers if self.global_attention else 0

    @property
    def cache_layers(self) -> tuple[int, int]:
        """(windowed, not windowed) attention layers that keep a KV cache of their own (Gemma 4
        E2B / E4B: the last ones reuse an earlier layer's)."""
        windowed = self.sliding_window_layers - self.kv_shared_windowed
        return windowed, self.attention_layers - self.kv_shared_layers - self.cross_attention_layers - windowed

    @property
    def indexer_layers(self) -> int:
        """Attention layers with a sparse-attention indexer of their own (0 without one)."""
        if self.indexer is None:
            return 0
        return self.attention_layers if self.indexer.layers is None else self.indexer.layers

    @property
    def attention_head_dims(self) -> int:
        """Sum over the attention layers of a head's query and value widths (the attention FLOPs
        per head, query and key)."""
        if self.mla:
            return self.attention_layers * (self.q_head_dim + self.v_head_dim)
        # cross-attention layers attend to the image's states, not to the context
        return sum(n * (head + self.value_width(head)) for n, head, _, _, _ in self.attention_groups) \
            - self.cross_attention_layers * 2 * self.head_dim

    @property
    def absorbed_head_dims(self) -> int:
        """:attr:`attention_head_dims` of an MLA model whose heads attend over the cached latent (the query
        absorbing the key up-projection): keys of ``kv_lora_rank + qk_rope_head_dim``, values of ``kv_lora_rank``
        (the up-projected heads' where the model has no MLA)."""
        if not self.mla:
            return self.attention_head_dims
        return self.attention_layers * (2 * self.mla.kv_lora_rank + self.mla.qk_rope_head_dim)

    def value_width(self, head: int) -> int:
        """The value width of a layer whose query/key heads are ``head`` wide (the same, or value_head_dim)."""
        return self.value_head_dim or head

    @property
    def recurrent_mixers(self) -> tuple[_RecurrentMixer, ...]:
        """The mixers that keep a fixed state instead of a KV cache (Gated DeltaNet, Mamba-2, Mamba, LFM2's
        short convolutions)."""
        return tuple(m for m in (self.linear_attention, self.mamba, self.mamba1, self.short_conv, self.kimi_delta,
                                 self.lightning) if m is not None)

    @property
    def gated_deltanet_layers(self) -> int:
        return self.linear_attention.layers if self.linear_attention else 0

    @property
    def recurrent_layers(self) -> int:
        """Layers whose mixer keeps a fixed state instead of a KV cache."""
        return sum(m.layers for m in self.recurrent_mixers)

    @property
    def attention_layers(self) -> int:
        """Layers with softmax attention (and so a KV cache): all but the recurrent and MLP-only ones
        (every layer where the Mamba mixers run beside attention)."""
        if self.parallel_mamba:
            return self.num_layers
        return self.num_layers - self.recurrent_layers - self.mixerless_layers

    @property
    def ffn_layers(self) -> int:
        """Layers with an MLP or MoE (all but Nemotron-H's mixer-only blocks)."""
        return self.num_layers - self.ffnless_layers

    @property
    def expert_width(self) -> int:
        """The width a routed expert's matrices read and write: the MoE's latent width, else the hidden size."""
        return self.moe.latent_size if self.moe is not None and self.moe.latent_size else self.hidden_size

    @property
    def moe_layers(self) -> int:
        """Layers with routed experts."""
        return 0 if self.moe is None else self.ffn_layers - self.moe.dense_layers

    @property
    def dense_ffn_layers(self) -> int:
        """Layers with a dense MLP."""
        return self.ffn_layers - self.moe_layers

    @property
    def norm_vectors(self) -> int:
        """Learned vectors a norm has: RMSNorm's weight, LayerNorm's weight and (where it has one) bias, none."""
        return {"rms": 0 if self.norm_weightless else 1, "layer": 2 if self.norm_bias else 1, "none": 0}[self.norm_kind]

    @property
    def noop_blocks(self) -> int:
        """Empty sub-blocks (:attr:`empty_sub_blocks`): the layers without attention and those without an MLP."""
        return self.mixerless_layers + self.ffnless_layers if self.empty_sub_blocks else 0

    @property
    def extra_rms_norms(self) -> int:
        """RMSNorms a layer has beyond the usual two (Gemma 2 / 3's post-attention and post-MLP norms; q/k norms
        apart: :attr:`has_qk_norms`)."""
        return max(self.norms_per_layer - 2, 0) if self.norm_kind == "rms" else 0

    @property
    def fp32_norm_weight(self) -> bool:
        """Its RMSNorms multiply by their weight in fp32 (:data:`_FP32_NORM_WEIGHT`): the weight's gradient
        needs the normalized input in fp32."""
        return self.norm_kind == "rms" and self.model_type in _FP32_NORM_WEIGHT

    @property
    def has_qk_norms(self) -> bool:
        """A norm on the queries and one on the keys, per head (Qwen3) or over all heads (OLMo 2)."""
        return self.qk_norm or self.qk_norm_full

    @property
    def compute_layers(self) -> float:
        """Layers whose work a step runs, for the per-layer costs of a step (kernel launches, all-reduces):
        every layer, less half a layer for each empty sub-block (Nemotron-NAS: Ultra's 162 layers run 145
        attention and MLP blocks, 72.5 layers' worth)."""
        return self.num_layers - self.noop_blocks / 2

    @property
    def dense_mlp_widths(self) -> tuple[tuple[int, int], ...]:
        """(width, layers) of the dense MLPs: :attr:`mlp_widths`, else intermediate_size (twice it in the
        wide layers)."""
        if self.mlp_widths:
            return self.mlp_widths
        return tuple((f, n) for f, n in ((self.intermediate_size, self.dense_ffn_layers - self.wide_mlp_layers),
                                         (2 * self.intermediate_size, self.wide_mlp_layers)) if n)

    @property
    def is_moe(self) -> bool:
        return self.moe is not None

    @property
    def q_head_dim(self) -> int:
        """Width of one query/key head as seen by the score product."""
        if self.mla:
            return self.mla.qk_nope_head_dim + self.mla.qk_rope_head_dim
        return self.head_dim

    @property
    def v_head_dim(self) -> int:
        return self.mla.v_head_dim if self.mla else self.value_width(self.head_dim)

    @property
    def sink_layers(self) -> int:
        """Layers with a learned sink logit per head."""
        if not self.attention_sinks:
            return 0
        return self.sliding_window_layers if self.sinks_windowed_only else self.attention_layers


# --- Hugging Face config.json -------------------------------------------------------

# vision-language types whose released config.json keeps the language model's keys at the top level
_FLAT_VL = {"qwen2_vl", "qwen2_5_vl"}
# LLaVA-style wrappers whose projector is two matrices over a CLIP tower's features
_LLAVA = {"llava", "llava_next", "llava_next_video"}
# Model types whose MLP has two matrices (up, down) rather than three.
# (BERT's family among them: encoders transformers can also build as decoders)
_UNGATED = {"gpt_bigcode", "gpt2", "falcon", "starcoder2", "opt", "gpt_neox", "bloom", "phi", "mpt", "gpt_neo",
            "gptj", "codegen", "nemotron_h", "nemotron", "apertus", "arcee", "nanochat", "jais2", "persimmon",
            "apertus1p5", "apertus1p5_text", "bert", "roberta", "camembert", "data2vec-text", "ernie", "xlm-roberta",
            "xlm-roberta-xl", "roberta-prelayernorm", "big_bird", "xmod", "roc_bert", "roformer", "rembert",
            "megatron-bert", "electra", "biogpt", "bert-generation"}
# Model types with attention q/k/v biases hard-coded in their modelling code.
_QKV_BIAS_BUILTIN = {"qwen2", "qwen2_moe", "qwen", "gpt_bigcode", "gpt2", "starcoder2", "phi", "qwen2_vl_text",
                     "qwen2_5_vl_text", "glm4v_text"}
# ``attention_bias`` gives q/k/v a bias but never the output projection (transformers' GLM code)
_NO_O_BIAS = {"glm", "glm4", "glm4_moe", "glm4v_text"}
# MoE routers with a per-expert score-correction bias whatever ``topk_method`` says
_ROUTER_BIAS = {"deepseek_v3", "deepseek_v32", "deepseek_v4", "glm_moe_dsa", "gpt_oss", "glm4_moe", "glm4_moe_lite",
                "nemotron_h", "kimi_linear", "minimax_m2", "mimo_v2_flash", "ernie4_5_moe", "exaone_moe", "afmoe",
                "sarvam_mla", "sarvam_moe", "solar_open", "dots1", "hy_v3", "beam", "axk1", "axk2", "kolibri1"}
# a shared expert of shared_expert_intermediate_size added in full, without Qwen2-MoE's sigmoid gate
_UNGATED_SHARED_EXPERT = {"flint", "kolibri1", "lara_mini"}
# Gated DeltaNet hybrids: their attention layers gate the output from a doubled q_proj
# (transformers' modelling code, whether or not the config says ``attn_output_gate``)
_GATED_DELTANET = {"qwen3_next", "qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text"}
_QK_NORM = {"lfm2", "lfm2_moe", "lfm3", "qwen3", "qwen3_moe", "gemma3_text", "gemma4_text", "apertus", "exaone4",
            "exaone_moe", "afmoe", "mellum", "hunyuan_v1_dense", "hunyuan_v1_moe", "hy_v3", "qwen3_vl_text",
            "qwen3_vl_moe_text", "dots1", "nanochat", "flint", "beam", "kolibri1", "lara_mini"} | _GATED_DELTANET
# q/k norms spanning all heads at once (one vector of h·d_h, one of h_kv·d_h); Cohere's when use_qk_norm
_QK_NORM_FULL = {"olmo2", "olmo3", "olmoe", "flex_olmo", "olmo_hybrid", "minimax_m2"}
# q/k norms without learned weights (Llama 4's L2 norm), whatever use_qk_norm says
_QK_NORM_WEIGHTLESS = {"llama4_text"}
# RMSNorms without a learned weight (transformers' NanoChatRMSNorm: x·rsqrt(mean(x²) + ε) in fp32), its per-head q/k
# norms too: no parameters (norm_vectors 0), their fp32 inputs kept in training as a weighted norm's
_WEIGHTLESS_RMS_NORM = {"nanochat"}
# single numbers stored per layer: Gemma 4's layer scale; Apertus' xIELU alpha_p, alpha_n, beta, eps
_SCALARS_PER_LAYER = {"gemma4_text": 1, "apertus": 4}
# LayerNorm (weight and bias) whatever the epsilon's key says
_LAYER_NORM = {"starcoder2", "phimoe", "nemotron"}
# one norm per layer: attention and MLP read the same normed input (parallel blocks)
_ONE_NORM = {"cohere", "cohere2", "cohere2_moe", "phi", "gptj", "codegen", "nemotron_h"}
# four norms per layer: before and after both the attention and the MLP
_FOUR_NORMS = {"gemma2", "gemma3_text", "gemma4_text", "glm4", "glm4v_text", "afmoe", "beam", "kolibri1"}
# RMSNorms that multiply by their weight in fp32 before casting back (Gemma's 1 + weight, OLMo 2's
# (weight * x).to(dtype)): transformers' modeling_gemma*.py, modeling_qwen3_next.py, modeling_qwen3_5*.py,
# modeling_olmo2.py, modeling_olmo3.py, modeling_gpt_oss.py, modeling_nemotron_h.py (the weight's fp32 copy)
_FP32_NORM_WEIGHT = {"gemma", "gemma2", "gemma3", "gemma3_text", "recurrent_gemma", "vaultgemma", "qwen3_next",
                     "qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text", "olmo2", "olmo3", "flex_olmo",
                     "olmo_hybrid", "gpt_oss", "afmoe", "beam", "helium", "flint", "lara_mini", "nemotron_h",
                     "gemma4_text"}
# families whose norms are a Python LayerNorm without bias, in fp32: (x - mean) computed twice (the variance's and the
# normalization's), then the weight in fp32 (modeling_cohere.py CohereLayerNorm, modeling_cohere2.py Cohere2LayerNorm,
# transformers 5.24)
_CENTRED_FP32_NORM = {"cohere", "cohere2"}    # (and Cohere 2 MoE's without rms_norm_eps: Cohere2MoeLayerNorm)
# LayerNorms without a bias (transformers' MptBlock sets norm_1.bias = None, norm_2's and norm_f's alike)
_NORM_WITHOUT_BIAS = {"mpt"}
# Dropouts on the attention's and MLP's outputs, by family (transformers 5.24's modeling code): (config key, the
# config class's default, how many a layer applies). GPT-2, StarCoder, GPT-J, CodeGen, Phi-2, Phi-3: resid_pdrop
# after the attention and after the MLP; OPT: dropout likewise; GPT-NeoX, BLOOM: hidden_dropout likewise; StarCoder
# 2 and Seed-OSS: residual_dropout likewise; Emu3: attention_dropout likewise; StableLM, Persimmon: hidden_dropout
# after the MLP; Falcon: hidden_dropout after both (the parallel layout) or attention_dropout after the attention
# and hidden_dropout after the MLP
_RESIDUAL_DROPOUTS = {"gpt2": (("resid_pdrop", 0.1, 2),), "gpt-sw3": (("resid_pdrop", 0.1, 2),),
                      "gpt_bigcode": (("resid_pdrop", 0.1, 2),), "seed_oss": (("residual_dropout", 0.1, 2),),
                      "emu3": (("attention_dropout", 0.1, 2),), "gpt_neo": (("resid_dropout", 0.0, 2),),
                      "gptj": (("resid_pdrop", 0.0, 2),), "codegen": (("resid_pdrop", 0.0, 2),),
                      "phi": (("resid_pdrop", 0.0, 2),), "phi3": (("resid_pdrop", 0.0, 2),),
                      "opt": (("dropout", 0.1, 2),), "gpt_neox": (("hidden_dropout", 0.0, 2),),
                      "bloom": (("hidden_dropout", 0.0, 2),), "starcoder2": (("residual_dropout", 0.0, 2),),
                      "stablelm": (("hidden_dropout", 0.0, 1),), "persimmon": (("hidden_dropout", 0.0, 1),),
                      "falcon": (("hidden_dropout", 0.0, 1),)}
# The context where config.json gives none: the family's config default (transformers 5.24's KimiLinearConfig, and
# FalconConfig's max_position_embeddings, Falcon-7B's 2,048-token context on its model card)
_CONTEXT_DEFAULTS = {"kimi_linear": 1_048_576, "falcon": 2048}
# The MLP's activation where a config without the key gets one other than SiLU (transformers 5.24's config classes'
# defaults: FalconConfig's activation, "gelu")
_ACTIVATION_DEFAULTS = {"gpt2": "gelu_new", "gpt-sw3": "gelu_new", "gpt_neo": "gelu_new", "gptj": "gelu_new",
                        "codegen": "gelu_new", "phi": "gelu_new", "opt": "relu", "apertus": "xielu",
                        "apertus1p5": "xielu", "apertus1p5_text": "xielu", "arcee": "relu2", "bitnet": "relu2",
                        "jais2": "relu2", "nanochat": "relu2", "nemotron": "relu2", "nemotron_h": "relu2",
                        "persimmon": "relu2", "falcon": "gelu"}
# The attention's own dropout where its key or default is not attention_dropout's 0.0 (transformers 5.24's config
# classes): GPT-2's, StarCoder's, GPT-J's and CodeGen's attn_pdrop
_ATTENTION_DROPOUT = {"gpt2": ("attn_pdrop", 0.1), "gpt-sw3": ("attn_pdrop", 0.1), "gpt_bigcode": ("attn_pdrop", 0.1),
                      "gptj": ("attn_pdrop", 0.0), "codegen": ("attn_pdrop", 0.0)}
# Families whose modeling code fixes the MLP's activation whatever the config says (BLOOM's own GELU, MPT's
# nn.GELU, ChatGLM's and Qwen 1's SwiGLU)
_OWN_ACTIVATION = {"bloom", "mpt", "chatglm", "qwen"}
# Recurrent / state-space families whose layers vramgui does not count yet (Zamba's shared blocks, RWKV,
# xLSTM): refused by name rather than estimated as a plain transformer
_UNSUPPORTED = {"zamba", "zamba2", "plamo2", "rwkv", "rwkv5", "rwkv6", "rwkv7",
                "recurrent_gemma", "xlstm", "mamba_ssm"}
# Layouts vramgui would count far off (two attention blocks and zero-computation experts per layer,
# attention experts): refused by name until they are counted
_UNCOUNTED_LAYOUTS = {"longcat_flash": "two attention blocks per layer and zero-computation experts",
                      "jetmoe": "mixture-of-attention-heads experts",
                      "hrm_text": "an H and an L stack of layers run in cycles, each stack's weights reused: counted "
                                  "as a plain transformer it read 2.8 times transformers' parameters",
                      "dory": "nGPT layers on the unit sphere with gated attention and shared caches: counted as a "
                              "plain transformer it read 1.6 times transformers' parameters"}
# LFM2 and LFM3: short-convolution layers beside attention
_SHORT_CONV = ("lfm2", "lfm2_moe", "lfm3")
# Models of Mamba blocks alone (a norm and a mixer a layer: no attention, no MLP)
_PURE_SSM = {"mamba", "falcon_mamba", "mamba2"}
#: The context limit of a model without positions or a trained length in its config (pure Mamba): what
#: llama.cpp's converter writes for Mamba models ("arbitrary", convert_hf_to_gguf.py), vramgui too
NO_POSITION_LIMIT = 2**20
# Mamba-2 hybrids whose every layer keeps its MLP or MoE beside a Mamba-2 or an attention mixer (Falcon-H1:
# beside both, side by side)
_MAMBA_PER_LAYER = ("granitemoehybrid", "bamba", "falcon_h1")
# transformers' GraniteMoeHybridConfig: a shared MLP 1,024 wide unless the config says (GraniteMoeShared's: none)
_GRANITE_SHARED_DEFAULT = 1024
_SSM_KEYS = ("hybrid_override_pattern", "layers_block_type", "mamba_num_heads", "mamba_d_state", "ssm_state_size",
             "attn_layer_indices", "mamba_expand", "linear_attn_config")
_STATE_DTYPE_BYTES = {"float32": 4, "float": 4, "bfloat16": 2, "float16": 2, "half": 2}


# Model types whose parameter count tests/test_transformers_counts.py checks, tensor by tensor, against
# transformers' own model built from a config (a preset's or the library's default; a vision-language
# wrapper's language model through the wrapper's), and the
# remote-code families tests/test_params.py checks by hand (ChatGLM, Qwen v1, Kimi K2, Nemotron-NAS).  Any other
# model type is read with the generic decoder layout and the estimate says so (:func:`layout_note`).
CHECKED_MODEL_TYPES = frozenset({
    "afmoe", "apertus", "arcee", "axk1", "bamba", "beam", "bloom", "chatglm", "codegen", "cohere", "cohere2",
    "cohere2_moe", "cwm", "deepseek_v2", "deepseek_v3", "deepseek_v32", "deepseek_v4", "emu3", "ernie4_5",
    "ernie4_5_moe", "exaone", "exaone4", "exaone_moe", "falcon", "falcon_h1", "falcon_mamba", "flex_olmo", "flint",
    "gemma", "gemma2", "gemma3_text", "gemma4_text", "glm", "glm4", "glm4_moe", "glm4_moe_lite", "glm4v_text",
    "glm_moe_dsa", "gpt-sw3", "gpt2", "gpt_bigcode", "gpt_neo", "gpt_neox", "gpt_oss", "gptj", "granite", "granite_swa",
    "granitemoe", "granitemoe_swa", "granitemoehybrid", "granitemoeshared", "helium", "hunyuan_v1_dense",
    "hunyuan_v1_moe", "hy_v3", "hyperclovax", "internlm3", "iquestcoder", "jais2", "jamba", "kimi_k2", "kimi_linear",
    "kolibri1", "lara_mini",
    "lfm2", "lfm2_moe", "lfm3", "llama", "llama4_text", "mamba", "mamba2", "mellum", "mimo_v2_flash", "minicpm3",
    "minimax", "minimax_m2", "ministral", "ministral3", "mistral", "mistral4", "mixtral", "mllama_text_model", "mpt",
    "nanochat", "nemotron", "nemotron-nas", "nemotron_h", "olmo", "olmo2", "olmo3", "olmoe", "opt", "persimmon", "phi",
    "phi3", "phimoe", "qwen", "qwen2", "qwen2_5_vl_text", "qwen2_moe", "qwen2_vl_text", "qwen3", "qwen3_5_moe_text",
    "qwen3_5_text", "qwen3_moe", "qwen3_next", "qwen3_vl_moe_text", "qwen3_vl_text", "sarvam_mla", "sarvam_moe",
    "seed_oss", "smollm3", "solar_open", "stablelm", "starcoder2", "vaultgemma", "youtu",
})


#: Model types whose config ties the embeddings when ``tie_word_embeddings`` is absent (transformers'
#: defaults; ``tests/test_transformers_counts.py`` compares every checked type's).
TIED_BY_DEFAULT = frozenset({
    "bloom", "cohere", "cohere2", "cohere2_moe", "ernie4_5", "ernie4_5_moe", "falcon", "gemma", "gemma2", "gemma3_text",
    "gemma4_text", "gpt-sw3", "gpt2", "gpt_bigcode", "granite_swa", "minicpm3", "opt", "qwen3_vl_moe_text",
    "lfm2", "lfm2_moe", "lfm3", "mpt", "gpt_neo", "smollm3", "starcoder2", "vaultgemma", "youtu", "lara_mini",
})


def layout_note(a: Architecture, encoder: bool = True) -> str | None:
    """A caution for a model type vramgui has not checked, or (with ``encoder``) an image encoder it only
    estimates; None when the whole count is checked."""
    notes = []
    if a.model_type not in CHECKED_MODEL_TYPES:
        notes.append(f"'{a.model_type}' is not a model type vramgui has checked: its parameters are counted with the "
                     "generic decoder layout (attention, MLP or experts, norms, embeddings), which can miss or misread "
                     "this family's own tensors. Compare the parameter count with the model card; an imported "
                     ".safetensors or .gguf file's own tensor bytes are exact whatever the type.")
    if encoder and a.vision is not None and not a.vision.exact:
        notes.append(f"Its image encoder ('{a.vision.kind}', {a.vision.params / 1e6:,.0f} M) is estimated as a "
                     "generic ViT from its depth and widths, not counted from its modules.")
    return " ".join(notes) or None


def _first(cfg: dict, *keys: str, default: Any = None) -> Any:
    for k in keys:
        if k in cfg and cfg[k] is not None:
            return cfg[k]
    return default


def _need(cfg: dict, source: str, *keys: str) -> Any:
    value = _first(cfg, *keys)
    if value is None:
        raise ConfigError(f"missing (also looked for: {', '.join(keys[1:]) or '-'})",
                          source=source, field=keys[0])
    return value


def _need_int(cfg: dict, source: str, key: str) -> int:
    """The whole number under ``key``; missing or not whole raises naming ``source`` and ``key``."""
    return _int(_need(cfg, source, key), source, key)


def _int(value: Any, source: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ConfigError(f"expected a whole number, got {value!r}", source=source, field=field)
    if isinstance(value, float) and not value.is_integer():
        raise ConfigError(f"expected a whole number, got {value!r}", source=source, field=field)
    return int(value)


def _every(value: Any, source: str, field: str) -> int:
    """A layer interval (MoE every n-th layer): a whole number of at least 1."""
    n = _int(value, source, field)
    if n < 1:
        raise ConfigError(f"expected an interval of 1 layer or more, got {value!r}", source=source, field=field)
    return n


def architecture_from_hf_config(cfg: dict, source: str = "config.json") -> Architecture:
    """Map a Hugging Face ``config.json`` (as a dict) to an :class:`Architecture`.

    Standard keys (``hidden_size``, ``num_hidden_layers`` ...) work for any
    ``model_type``; the known non-standard families (ChatGLM, Qwen v1, GPT-BigCode,
    DeepSeek MLA/MoE, Mixtral, Qwen MoE, Gemma 2/3, gpt-oss, Llama 4) are mapped from their
    own keys.

    Raises
    ------
    ConfigError
        naming ``source`` and the missing or bad key.
    """
    if not isinstance(cfg, dict):
        raise ConfigError("expected a JSON object at the top level", source=source)
    top, vision_cfg = cfg, cfg.get("vision_config")
    if isinstance(cfg.get("text_config"), dict):  # multimodal wrappers keep the LM inside
        cfg = {**cfg["text_config"], "model_type": cfg["text_config"].get("model_type", cfg.get("model_type"))}
        if isinstance(top.get("tie_word_embeddings"), bool):   # the wrapper builds the LM head: its word wins
            cfg["tie_word_embeddings"] = top["tie_word_embeddings"]
    elif str(cfg.get("model_type") or "").lower() in _FLAT_VL:
        # Qwen2-VL / Qwen2.5-VL as released: the language model's keys at the top level beside vision_config
        # (transformers moves them into text_config when it loads the file)
        cfg = {**cfg, "model_type": str(cfg["model_type"]).lower() + "_text"}
    mt = str(cfg.get("model_type") or "unknown").lower()
    if mt == "mimo_v2":   # Xiaomi's releases after MiMo-V2-Flash name the same layout so
        mt = "mimo_v2_flash"
    if mt == "minimax_m1":   # MiniMax-M1's own code: transformers' MiniMax layout, its layer kinds as attn_type_list
        mt = "minimax"
    if mt == "gemma4_unified_text":   # Gemma 4 12B ("Unified"): transformers' Gemma4UnifiedTextConfig is a
        mt = "gemma4_text"           # Gemma4TextConfig under another name, its text model a dense Gemma 4 one
    get = lambda *k, default=None: _first(cfg, *k, default=default)  # noqa: E731
    if mt in _PURE_SSM:
        return _pure_ssm_from_hf(cfg, mt, source)
    ssm_key = next((k for k in _SSM_KEYS if k in cfg), None)
    if mt in _UNSUPPORTED or (ssm_key and mt not in _GATED_DELTANET
                              and mt not in ("nemotron_h", "jamba", "kimi_linear", *_MAMBA_PER_LAYER)):
        raise ConfigError(f"'{mt}' is a state-space or recurrent hybrid (Mamba, RWKV or similar layers"
                          + (f", '{ssm_key}'" if ssm_key else "") + "): vramgui does not count those layers yet, "
                          "and estimating it as a plain transformer would be wrong. Gated DeltaNet hybrids "
                          "(Qwen3-Next, Qwen3.5), Kimi Linear, MiniMax-Text-01 / M1, Nemotron-H, Granite 4.0-H, Bamba, "
                          "Falcon-H1, Jamba, LFM2 (and its MoE), LFM3 and pure Mamba / Mamba-2 models are supported.",
                          source=source, field="model_type")
    if mt in _UNCOUNTED_LAYOUTS:
        raise ConfigError(f"'{mt}' has a layout vramgui does not count yet ({_UNCOUNTED_LAYOUTS[mt]}); estimating "
                          "it as a plain transformer would be far off", source=source, field="model_type")
    blocks = _nemotron_blocks(cfg, source) if mt == "nemotron_h" else None   # Nemotron-H's layer kinds

    d = _int(_need(cfg, source, "hidden_size", "n_embd", "d_model"), source, "hidden_size")
    L = _int(_need(cfg, source, "num_hidden_layers", "num_layers", "n_layer", "n_layers"), source,
             "num_hidden_layers")
    if blocks:
        L = len(blocks)   # transformers: the pattern decides, num_hidden_layers is legacy
    if mt == "lara_mini" and not isinstance(cfg.get("layer_types"), list):   # LaraMiniConfig: the released period of
        # five (Gated DeltaNet, window, Gated DeltaNet, full attention, window)
        kinds = ("linear_attention", "sliding_attention", "linear_attention", "full_attention", "sliding_attention")
        cfg = {**cfg, "layer_types": [kinds[i % 5] for i in range(L)]}
    h = _int(_need(cfg, source, "num_attention_heads", "n_head", "num_heads", "n_heads"), source,
             "num_attention_heads")
    V = _int(_need(cfg, source, "vocab_size", "padded_vocab_size"), source, "vocab_size")
    for value, field in ((d, "hidden_size"), (L, "num_hidden_layers"), (h, "num_attention_heads"), (V, "vocab_size")):
        if value < 1:
            raise ConfigError(f"must be at least 1, got {value}", source=source, field=field)
    if mt == "chatglm":
        V = _int(get("padded_vocab_size", "vocab_size"), source, "padded_vocab_size")

    # key/value heads
    if mt == "chatglm":
        h_kv = _int(get("multi_query_group_num", default=h), source, "multi_query_group_num") \
            if get("multi_query_attention", default=False) else h
    elif mt in ("gpt_bigcode",) and get("multi_query", default=True):
        h_kv = 1
    elif mt == "falcon" and not get("new_decoder_architecture", default=False):
        h_kv = 1 if get("multi_query", default=True) else h
    else:
        h_kv = _int(get("num_key_value_heads", "num_kv_heads", "n_head_kv", default=h), source, "num_key_value_heads")

    head_dim = get("head_dim", "kv_channels", default=128 if mt == "lfm3" else None)   # (Lfm3Config's default)
    d_h = _int(head_dim, source, "head_dim") if head_dim is not None else d // h
    if head_dim is None and d % h and get("kv_lora_rank") is None:   # (MLA's heads take their widths from it)
        raise ConfigError(f"hidden_size {d} is not a multiple of num_attention_heads {h}; give head_dim",
                          source=source, field="head_dim")

    # MLP width
    f = get("intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim")
    if mt == "qwen":  # Qwen v1 splits intermediate_size over its two branches (w1, w2)
        f = None if f is None else _int(f, source, "intermediate_size") // 2
    if mt == "llama4_text":  # intermediate_size is the experts' width; the dense layers' is its own key
        f = get("intermediate_size_mlp", default=f)
    if mt == "cohere2_moe":   # likewise: the first layers' dense MLP (Cohere2MoeMLP) is prefix_dense_intermediate_size
        f = get("prefix_dense_intermediate_size", default=f)
    if mt == "mpt":   # MPT's MLP: expansion_ratio times the width (transformers' MptMLP: 4, its released ratio)
        f = _int(get("expansion_ratio", default=4), source, "expansion_ratio") * d
    if f is None and mt in _UNGATED:
        f = 4 * d
    moe = _moe_from_hf(cfg, mt, source, L, blocks)
    if mt == "granitemoehybrid" and moe is None:   # no experts: every layer's MLP is the shared one
        f = cfg.get("shared_intermediate_size", _GRANITE_SHARED_DEFAULT)
    if f is None and moe is not None:
        f = moe.expert_intermediate_size
    if mt == "lfm2":
        f = _lfm2_mlp_width(cfg, source)
    nas = _nas_from_hf(cfg, source, L, d, h) if mt == "nemotron-nas" else {}
    if nas:
        f, h_kv = max(w for w, _ in nas["mlp_widths"]), nas["num_kv_heads"]
    if f is None:
        raise ConfigError("missing (also looked for: ffn_hidden_size, n_inner)", source=source,
                          field="intermediate_size")
    f = _int(f, source, "intermediate_size")

    max_ctx = get("max_position_embeddings", "seq_length", "n_positions", "max_sequence_length", "max_seq_len",
                  default=_CONTEXT_DEFAULTS.get(mt, 4096))
    if mt == "chatglm":
        max_ctx = get("seq_length", "max_position_embeddings", default=max_ctx)

    # the types whose transformers config ties the output layer to the token table when config.json does not
    # say (a saved config omits a key equal to the default: SmolLM3-3B's has no tie_word_embeddings)
    tie_default = mt in TIED_BY_DEFAULT
    tie = bool(get("tie_word_embeddings", "tie_embedding", default=tie_default))
    if mt == "chatglm":
        tie = False  # separate output_layer

    layer_norm = ("rms_norm_eps" not in cfg and ("layer_norm_eps" in cfg or "layer_norm_epsilon" in cfg
                                                 or mt in _UNGATED))
    if mt == "chatglm":
        layer_norm = not get("rmsnorm", default=True)
    if mt == "nemotron_h":
        layer_norm = False   # RMSNorm, though its config names the epsilon layer_norm_epsilon
    norm_kind = "layer" if layer_norm or mt in _LAYER_NORM else "rms"
    if mt in ("cohere", "cohere2", "cohere2_moe"):
        norm_kind = "rms"    # a LayerNorm without a bias: one learned vector, as RMSNorm has
    if mt == "olmo":
        norm_kind = "none"   # OLMo 1's LayerNorm learns nothing
    norm_bias = mt not in _NORM_WITHOUT_BIAS

    norms_per_layer = 4 if mt in _FOUR_NORMS else 1 if mt in _ONE_NORM else 2
    if mt == "lfm3" and cfg.get("use_sandwich_norm", True):
        norms_per_layer = 4     # a norm after the mixer and after the MLP too
    if mt == "hyperclovax" and get("use_post_norm", default=False):
        norms_per_layer = 4
    if mt == "gemma4_text" and moe is not None:
        norms_per_layer = 8   # + the expert branch's own pre/post norms, the sum's, the router's scale
    if mt == "falcon" and get("parallel_attn", default=True) and (
            not get("new_decoder_architecture", default=False) or get("num_ln_in_parallel_attn", default=2) == 1):
        norms_per_layer = 1     # (one norm before both; the new decoder's ln_attn and ln_mlp where it asks for two)

    falcon_layout = _falcon_layout(cfg, mt, h, h_kv)
    qkv_bias, o_bias, mlp_bias = _biases(cfg, mt)
    # (use_qk_norm: SarvamMoeConfig's default is True, which a saved config.json leaves out)
    qk_norm = mt in _QK_NORM or cfg.get("use_qk_norm", mt == "sarvam_moe") is True \
        or (mt == "persimmon" and cfg.get("qk_layernorm", True) is True)   # (Persimmon's per-head LayerNorms)
    qk_full = mt in _QK_NORM_FULL or (mt in ("cohere", "cohere2") and qk_norm)

    sw = get("sliding_window", default=256 if mt == "lfm3" else None)     # (Lfm3Config's default)
    if mt == "llama4_text":   # chunked local attention: a layer attends within its chunk, never further back
        sw = get("attention_chunk_size")
    sw_layers = 0
    if mt in ("qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "qwen2_vl_text", "qwen2_5_vl_text") \
            and not get("use_sliding_window", default=False):
        sw = None
    if sw is not None:
        sw = _int(sw, source, "sliding_window")
        if isinstance(cfg.get("layer_types"), list):
            sw_layers = sum(1 for t in cfg["layer_types"] if "sliding" in str(t))
        elif mt == "lfm3":
            sw_layers = _lfm3_layer_types(L).count("sliding_attention")
        elif mt in ("gemma2", "gpt_oss"):
            sw_layers = math.ceil(L / 2)  # even-numbered layers use the local window
        elif mt in ("gemma3_text", "cohere2"):   # every pattern-th layer global (transformers' defaults: 6, 4)
            pattern = _int(get("sliding_window_pattern", default=6 if mt == "gemma3_text" else 4), source,
                           "sliding_window_pattern")
            sw_layers = L - L // pattern
        elif mt == "llama4_text":
            sw_layers = _llama4_chunked_layers(cfg, L, source)
        elif mt == "beam":    # BeamConfig: every sixth layer full attention, and the last
            sw_layers = sum(1 for i in range(L - 1) if (i + 1) % 6)
        elif mt == "kolibri1":   # Kolibri1Config: every fifth layer full attention (without RoPE)
            sw_layers = sum(1 for i in range(L) if (i + 1) % 5)
        elif mt == "flint":   # FlintConfig: full attention on the first two layers, every fourth from 1, and the last
            sw_layers = sum(1 for i in range(L) if not (i < 2 or i % 4 == 1 or i == L - 1))
        elif mt == "cohere2_moe":   # Cohere2MoeConfig: the first_k_dense_replace dense layers global every
            #                         prefix_dense_sliding_window_pattern-th, the rest every sliding_window_pattern-th
            k = min(_int(get("first_k_dense_replace", default=0), source, "first_k_dense_replace"), L)
            first = _every(get("prefix_dense_sliding_window_pattern", default=1), source,
                           "prefix_dense_sliding_window_pattern")
            rest = _every(get("sliding_window_pattern", default=4), source, "sliding_window_pattern")
            sw_layers = k - k // first + (L - k) - (L - k) // rest
        elif "global_attn_every_n_layers" in cfg:   # AFMoE: every n-th layer attends to everything
            sw_layers = L - L // max(_int(cfg["global_attn_every_n_layers"], source, "global_attn_every_n_layers"), 1)
        else:
            sw_layers = L
        if sw >= _int(max_ctx, source, "max_position_embeddings"):
            sw, sw_layers = None, 0  # a window as long as the context changes nothing
    mimo = _mimo_from_hf(cfg, L, h_kv, d_h, source) if mt == "mimo_v2_flash" else {}
    if mimo:
        sw, sw_layers, h_kv = mimo.pop("sliding_window"), mimo.pop("sliding_window_layers"), mimo.pop("num_kv_heads")
    compressed = _compressed_from_hf(cfg, L, source) if mt == "deepseek_v4" else None
    if compressed:
        sw, sw_layers = compressed.window, L   # every layer attends to its window beside its compressed entries

    learned_positions = 0
    if mt in ("gpt_bigcode", "gpt2", "opt", "gpt_neo"):
        learned_positions = _int(get("n_positions", "max_position_embeddings", default=max_ctx), source,
                                 "n_positions")
        if mt == "opt":
            learned_positions += 2   # OPT's table starts two rows in (its padding offset)

    mla = None
    if get("kv_lora_rank") is not None:
        mla = MLA(kv_lora_rank=_int(get("kv_lora_rank"), source, "kv_lora_rank"),
                  q_lora_rank=get("q_lora_rank"),
                  qk_rope_head_dim=_int(get("qk_rope_head_dim", default=64), source, "qk_rope_head_dim"),
                  qk_nope_head_dim=_int(get("qk_nope_head_dim", default=128), source, "qk_nope_head_dim"),
                  v_head_dim=_int(get("v_head_dim", default=128), source, "v_head_dim"),
                  gguf_up_projected=bool(cfg.get(GGUF_UP_PROJECTED_MLA, False)))
        h_kv = h  # MLA expands to full heads; the cache holds the latent instead (see kvcache)
        d_h = mla.v_head_dim
    indexer = None
    if mla and "index_n_heads" in cfg:   # DeepSeek sparse attention (DeepSeek-V3.2, GLM-5)
        types = cfg.get("indexer_types")
        indexer = SparseIndexer(heads=_need_int(cfg, source, "index_n_heads"),
                                head_dim=_need_int(cfg, source, "index_head_dim"),
                                topk=_need_int(cfg, source, "index_topk"),
                                layers=sum(1 for t in types if t == "full") if isinstance(types, list) else None)

    try:
        return Architecture(
            model_type=mt, vocab_size=V, hidden_size=d, intermediate_size=f, num_layers=L, num_heads=h,
            num_kv_heads=h_kv, head_dim=d_h, max_context=_int(max_ctx, source, "max_position_embeddings"),
            tie_embeddings=tie, gated_mlp=mt not in _UNGATED, mlp_activation=_mlp_activation(cfg, mt),
            residual_dropouts=_residual_dropouts(cfg, mt),
            attention_dropout=_above_zero(cfg.get(*_ATTENTION_DROPOUT.get(mt, ("attention_dropout", 0.0)))),
            attention_softcap=_above_zero(cfg.get("attn_logit_softcapping")),
            falcon_layout=falcon_layout,
            norms_share_input=norms_per_layer == 2 and (
                (mt == "gpt_neox" and cfg.get("use_parallel_residual", True) is not False)
                or falcon_layout == "new_decoder"),
            centred_fp32_norm=mt in _CENTRED_FP32_NORM or (mt == "cohere2_moe" and cfg.get("rms_norm_eps") is None),
            logit_softcap=_above_zero(cfg.get("final_logit_softcapping", 30.0 if mt == "beam" else None)),
            qkv_bias=qkv_bias, o_bias=o_bias,
            mlp_bias=mlp_bias, norm_kind=norm_kind, norm_bias=norm_bias,
            norm_weightless=mt in _WEIGHTLESS_RMS_NORM, norms_per_layer=norms_per_layer,
            embedding_norm=mt == "bloom", scalars_per_layer=_SCALARS_PER_LAYER.get(mt, 0),
            lm_head_bias=mt in ("phi", "gptj", "codegen") or cfg.get("lm_head_bias") is True,
            qk_norm=qk_norm and not qk_full and mt not in _QK_NORM_WEIGHTLESS, qk_norm_full=qk_full,
            attention_sinks=mt in ("gpt_oss", "granite_swa", "granitemoe_swa", "deepseek_v4", "flint")
            or mimo.get("attention_sinks", False), sinks_windowed_only=mimo.get("sinks_windowed_only", False),
            value_head_dim=mimo.get("value_head_dim"),
            learned_positions=learned_positions,
            sliding_window=sw, sliding_window_layers=sw_layers, moe=moe, mla=mla,
            indexer=indexer, compressed=compressed,
            attn_output_gate=bool(get("attn_output_gate", default=mt in _GATED_DELTANET or mt in ("afmoe", "beam"))),
            attn_gate_bias=mt == "beam", moe_post_norm=mt == "axk1",
            head_gate=mt == "lfm3" and bool(cfg.get("use_attention_gate", True)),
            linear_attention=None if blocks or mt in _MAMBA_PER_LAYER or mt in ("kimi_linear", "minimax")
            else _linear_attention_from_hf(cfg, source, L),
            lightning=_lightning_from_hf(cfg, source, L, h, d_h) if mt == "minimax" else None,
            kimi_delta=_kimi_delta_from_hf(cfg, source, L) if mt == "kimi_linear" else None,
            mamba=_mamba_from_hf(cfg, source, blocks) if blocks else
            _mamba_per_layer_from_hf(cfg, mt, source, L, d) if mt in _MAMBA_PER_LAYER else None,
            mamba1=_jamba_mamba_from_hf(cfg, source, L, d) if mt == "jamba" else None,
            short_conv=_lfm2_conv_from_hf(cfg, source, L, d, mt) if mt in _SHORT_CONV else None,
            parallel_mamba=mt == "falcon_h1",
            mixerless_layers=sum(1 for b in blocks if b in "-E") if blocks else nas.get("mixerless_layers", 0),
            ffnless_layers=sum(1 for b in blocks if b in "M*") if blocks else nas.get("ffnless_layers", 0),
            mlp_widths=nas.get("mlp_widths", ()), empty_sub_blocks=bool(nas),
            global_attention=mimo.get("global_attention") if mimo else
            _global_attention(cfg, d_h, h_kv, source) if sw_layers else None,
            **_shared_kv_and_per_layer_inputs(cfg, mt, L, V, source),
            cross_attention_layers=len(cfg["cross_attention_layers"]) if mt == "mllama_text_model"
            and isinstance(cfg.get("cross_attention_layers"), list) else 0,
            extra_token_rows=8 if mt == "mllama_text_model" else 0,   # transformers: nn.Embedding(vocab_size + 8, ...)
            vision=_vision_from_hf(vision_cfg, top, d, source) if isinstance(vision_cfg, dict) else None,
            rope_table_elements=_rope_table_elements(cfg, mt, max_ctx, d_h, mla, learned_positions, source,
                                                     compressed),
        )
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None


def _mlp_activation(cfg: dict, mt: str) -> str:
    """The MLP's activation function as transformers' ``ACT2FN`` names it, from the first key the family's
    modeling code reads: Nemotron-H's ``mlp_hidden_act``, Gemma's ``hidden_activation``, ``hidden_act``,
    GPT-2's / GPT-J's / OPT's ``activation_function``, Falcon's ``activation``; without one, the family's config
    default (:data:`_ACTIVATION_DEFAULTS`).  Families whose code fixes its own (BLOOM's GELU, MPT's, ChatGLM's and
    Qwen 1's SwiGLU) and the rest: ``silu``, whose backward pass keeps what theirs does (the activation's input)."""
    keys = ("mlp_hidden_act", "hidden_activation", "hidden_act", "activation_function") \
        + (("activation",) if mt == "falcon" else ())
    if mt in _OWN_ACTIVATION:
        return "silu"
    name = next((v for k in keys if isinstance(v := cfg.get(k), str) and v), _ACTIVATION_DEFAULTS.get(mt, "silu"))
    return name.strip().lower()[:64]


def _above_zero(value) -> bool:
    """A config number above 0 (not a bool, not null)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _falcon_layout(cfg: dict, mt: str, h: int, h_kv: int) -> str:
    """:attr:`Architecture.falcon_layout` of a config: transformers 5.24's ``FalconAttention._split_heads``
    (ALiBi's models, whose mask carries the bias, left out: "")."""
    if mt != "falcon" or cfg.get("alibi", False):
        return ""
    if cfg.get("new_decoder_architecture", False):
        return "new_decoder"
    return "multi_query" if h_kv < h else "multi_head"


def _residual_dropouts(cfg: dict, mt: str) -> int:
    """How many dropouts a layer applies to its attention's and MLP's outputs (:data:`_RESIDUAL_DROPOUTS`), counting
    those whose probability is above 0 (absent keys: the family's config default)."""
    sites = _RESIDUAL_DROPOUTS.get(mt, ())
    if mt == "falcon" and not cfg.get("parallel_attn", True) and not cfg.get("new_decoder_architecture", False):
        sites = (*sites, ("attention_dropout", 0.0, 1))   # (Falcon's sequential layout: after the attention)
    n = 0
    for key, default, count in sites:
        if _above_zero(cfg.get(key, default)):
            n += count
    return n


def _mimo_from_hf(cfg: dict, L: int, h_kv: int, d_h: int, source: str) -> dict:  # noqa: N803
    """MiMo-V2-Flash's attention, from transformers' keys or the release's own: which layers are windowed
    (``layer_types``, or ``hybrid_layer_pattern`` with 1 for a windowed layer; default the first and every
    sixth layer full), their KV heads (``swa_num_key_value_heads``, transformers: twice the full layers'),
    the window (transformers' ``sliding_window``, or ``sliding_window_size`` + the query), the value heads'
    width (``v_head_dim``, narrower than the query/key heads) and the windowed layers' sinks."""
    kinds = cfg.get("layer_types")
    pattern = cfg.get("hybrid_layer_pattern")
    release = _mimo_release_keys(cfg)
    if isinstance(kinds, list):
        windowed = sum(1 for t in kinds[:L] if "sliding" in str(t))
    elif isinstance(pattern, list):
        if len(pattern) < L or any(t not in (0, 1) for t in pattern[:L]):
            raise ConfigError(f"expected {L} entries of 0 (full attention) or 1 (windowed)", source=source,
                              field="hybrid_layer_pattern")
        windowed = sum(pattern[:L])
    else:   # transformers' default: the first and every sixth layer full; the release's code: every layer full
        windowed = 0 if release else sum(1 for i in range(L) if i and (i + 1) % 6)
    window = cfg.get("sliding_window")
    if window is None and cfg.get("sliding_window_size") is not None:
        window = _int(cfg["sliding_window_size"], source, "sliding_window_size") + 1
    window = _int(129 if window is None else window, source, "sliding_window")   # transformers' default
    swa_kv = _int(cfg.get("swa_num_key_value_heads", h_kv if release else 2 * h_kv), source,
                  "swa_num_key_value_heads")
    swa_head = _int(cfg.get("swa_head_dim", d_h), source, "swa_head_dim")
    v = _int(cfg.get("v_head_dim", d_h if release else 128), source, "v_head_dim")
    swa_v = cfg.get("swa_v_head_dim", swa_head if release else v)   # the release's code: the SWA head width
    if swa_head != d_h or _int(swa_v, source, "swa_v_head_dim") != v:
        raise ConfigError("windowed heads wider or narrower than the full layers' are not counted yet",
                          source=source, field="swa_head_dim")
    sinks = cfg.get("add_swa_attention_sink_bias", True)
    if cfg.get("add_full_attention_sink_bias"):
        raise ConfigError("sinks in the full-attention layers are not counted yet", source=source,
                          field="add_full_attention_sink_bias")
    try:
        wide = GlobalAttention(head_dim=d_h, num_kv_heads=h_kv) if windowed and swa_kv != h_kv else None
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None
    return {"sliding_window": window if windowed else None, "sliding_window_layers": windowed,
            "num_kv_heads": swa_kv if windowed else h_kv, "global_attention": wide, "value_head_dim": v,
            "attention_sinks": bool(sinks and windowed), "sinks_windowed_only": True}


def _mimo_release_keys(cfg: dict) -> bool:
    """A config in the form Xiaomi's own code reads (``hybrid_layer_pattern``, ``swa_*`` keys), whose absent keys
    mean other things than transformers' defaults do."""
    return any(k in cfg for k in ("hybrid_layer_pattern", "moe_layer_freq", "swa_num_key_value_heads",
                                   "swa_head_dim", "add_swa_attention_sink_bias"))


_CSA, _HCA = "compressed_sparse_attention", "heavily_compressed_attention"


def _compressed_from_hf(cfg: dict, L: int, source: str) -> CompressedAttention:  # noqa: N803
    """DeepSeek-V4's attention from ``compress_ratios`` (one per layer, the MTP layer's after them: 0 a
    window only, else the layer's compression rate) or transformers' ``layer_types``; without either,
    transformers' default (two HCA layers, then CSA and HCA in turn)."""
    rates = cfg.get("compress_rates") if isinstance(cfg.get("compress_rates"), dict) else {}
    csa_rate = _int(rates.get(_CSA, 4), source, "compress_rates")
    hca_rate = _int(rates.get(_HCA, 128), source, "compress_rates")
    kinds = cfg.get("layer_types")
    ratios = cfg.get("compress_ratios")
    if isinstance(ratios, list):
        if len(ratios) < L:
            raise ConfigError(f"lists {len(ratios)} layers, the model has {L}", source=source, field="compress_ratios")
        names = {0: "window", 1: "window", csa_rate: _CSA, hca_rate: _HCA}
        bad = sorted({r for r in ratios[:L] if r not in names}, key=str)
        if bad:
            raise ConfigError(f"rates {bad} are neither 0 (window only), {csa_rate} (CSA) nor {hca_rate} (HCA)",
                              source=source, field="compress_ratios")
        kinds = [names[r] for r in ratios[:L]]
    elif not isinstance(kinds, list):
        kinds = [_HCA] * min(L, 2) + [_CSA if i % 2 else _HCA for i in range(max(L - 2, 0))]
    rope = cfg.get("qk_rope_head_dim")
    if rope is None and isinstance(cfg.get("partial_rotary_factor"), (int, float)):
        rope = int(_need_int(cfg, source, "head_dim") * cfg["partial_rotary_factor"])
    rope = _int(64 if rope is None else rope, source, "qk_rope_head_dim")
    hash_layers = cfg.get("mlp_layer_types")
    hash_layers = sum(1 for t in hash_layers[:L] if t == "hash_moe") if isinstance(hash_layers, list) else \
        min(L, _int(cfg.get("num_hash_layers", 3), source, "num_hash_layers"))
    try:
        return CompressedAttention(
            window=_need_int(cfg, source, "sliding_window"), csa_layers=kinds[:L].count(_CSA), csa_rate=csa_rate,
            hca_layers=kinds[:L].count(_HCA), hca_rate=hca_rate, q_lora_rank=_need_int(cfg, source, "q_lora_rank"),
            o_groups=_int(cfg.get("o_groups", 8), source, "o_groups"),
            o_lora_rank=_int(cfg.get("o_lora_rank", 1024), source, "o_lora_rank"),
            index_heads=_int(cfg.get("index_n_heads", 64), source, "index_n_heads"),
            index_head_dim=_int(cfg.get("index_head_dim", 128), source, "index_head_dim"),
            index_topk=_int(cfg.get("index_topk", 512), source, "index_topk"),
            hc_mult=_int(cfg.get("hc_mult", 4), source, "hc_mult"), hash_layers=hash_layers, rope_dim=rope)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None


def _shared_kv_and_per_layer_inputs(cfg: dict, mt: str, L: int, V: int, source: str) -> dict:  # noqa: N803
    """Gemma 4 E2B / E4B: the last ``num_kv_shared_layers`` layers reuse an earlier layer's cache
    (how many of them are windowed, from ``layer_types``), their MLP twice as wide with
    ``use_double_wide_mlp``; per-layer embeddings ``hidden_size_per_layer_input`` wide."""
    if mt != "gemma4_text":
        return {}
    shared = _int(cfg.get("num_kv_shared_layers") or 0, source, "num_kv_shared_layers")
    types = cfg.get("layer_types")
    windowed = 0
    if shared:
        if not isinstance(types, list) or len(types) != L:
            raise ConfigError("needs layer_types (one per layer) to know which shared layers are windowed",
                              source=source, field="num_kv_shared_layers")
        windowed = sum(1 for t in types[L - shared:] if "sliding" in str(t))
    width = _int(cfg.get("hidden_size_per_layer_input") or 0, source, "hidden_size_per_layer_input")
    vocab = _int(cfg.get("vocab_size_per_layer_input") or V, source, "vocab_size_per_layer_input") if width else 0
    return {"kv_shared_layers": shared, "kv_shared_windowed": windowed,
            "wide_mlp_layers": shared if cfg.get("use_double_wide_mlp") else 0,
            "per_layer_input": width, "per_layer_vocab": vocab}


def _global_attention(cfg: dict, d_h: int, h_kv: int, source: str) -> GlobalAttention | None:
    """Gemma 4's full-attention layers: ``global_head_dim`` wide heads and, with
    ``attention_k_eq_v``, ``num_global_key_value_heads`` of them and no value projection.  A config
    transformers 5.24 wrote gives them as ``per_layer_config`` instead: each full-attention layer's
    ``head_dim`` and ``num_key_value_heads``."""
    width = cfg.get("global_head_dim")
    k_eq_v = bool(cfg.get("attention_k_eq_v", False))
    kv = cfg.get("num_global_key_value_heads") if k_eq_v else None
    per = cfg.get("per_layer_config")
    if width is None and kv is None and isinstance(per, dict) and per:
        if not all(isinstance(v, dict) for v in per.values()):
            raise ConfigError("each layer's entry must be an object (head_dim, num_key_value_heads)",
                              source=source, field="per_layer_config")
        widths = {v.get("head_dim", d_h) for v in per.values()}
        kvs = {v.get("num_key_value_heads", h_kv) for v in per.values()}
        if len(widths) > 1 or len(kvs) > 1:
            raise ConfigError(f"its layers' head_dim ({sorted(widths)}) or num_key_value_heads ({sorted(kvs)}) "
                              "differ: one geometry for the full-attention layers is modelled",
                              source=source, field="per_layer_config")
        width, kv = widths.pop(), kvs.pop()
    if width is None and kv is None and not k_eq_v:
        return None
    width = d_h if width is None else _int(width, source, "global_head_dim")
    kv = h_kv if kv is None else _int(kv, source, "num_global_key_value_heads")
    if (width, kv, k_eq_v) == (d_h, h_kv, False):
        return None
    try:
        return GlobalAttention(head_dim=width, num_kv_heads=kv, k_eq_v=k_eq_v)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None


_NO_ROPE = {"gpt2", "gpt_bigcode", "opt", "bloom", "mpt", "nemotron_h", "jamba"}   # learned, ALiBi or no positions


def _rope_table_elements(cfg: dict, mt: str, max_ctx: Any, d_h: int, mla: MLA | None, learned_positions: int,
                         source: str, compressed: CompressedAttention | None = None) -> int:
    """Entries of the cos/sin tables vLLM's rotary embeddings precompute at load (``get_rope``):
    one row of ``rotary_dim`` values per position up to ``max_position_embeddings``, times the
    factor of linear / dynamic scaling, ``original_max_position_embeddings`` times the factor for
    YaRN, the short and the long table for LongRoPE; Gemma 3 adds its local layers' unscaled
    table.  0 for models without rotary positions."""
    if mt in _NO_ROPE or learned_positions or cfg.get("alibi"):
        return 0
    if mt == "granitemoehybrid" and cfg.get("position_embedding_type") != "rope":   # ("nope": no positions)
        return 0
    max_ctx = _int(max_ctx, source, "max_position_embeddings")
    scaling = _first(cfg, "rope_scaling", "rope_parameters")
    if compressed and isinstance(scaling, dict) and isinstance(scaling.get("compress"), dict):
        scaling = scaling["compress"]   # transformers' rope_parameters: the compressed layers' YaRN table
    if isinstance(scaling, dict) and scaling and all(isinstance(x, dict) for x in scaling.values()):
        # one rotary embedding per layer type (Gemma 4), each tabled over its layers' whole head width
        # (vLLM PR #44738: clamping Gemma 4's tables from 262,144 to 32,768 positions saves 336 MiB, 768
        # bf16 values a position: its 256-wide local and 512-wide global heads)
        wide = _int(_first(cfg, "global_head_dim", default=d_h), source, "global_head_dim")
        if mt == "mimo_v2_flash":   # a table per layer type over the rotary share of its heads (partial_rotary_factor)
            return max_ctx * sum(int(d_h * float(p.get("partial_rotary_factor", 1.0))) for p in scaling.values())
        return max_ctx * sum(wide if "full" in str(t) else d_h for t in scaling)
    nested = scaling if isinstance(scaling, dict) else {}
    if compressed:   # DeepSeek-V4: RoPE on the last rope_dim of each entry's values
        rotary = compressed.rope_dim
    elif mla is not None:
        rotary = mla.qk_rope_head_dim
    elif isinstance(cfg.get("rotary_dim"), int) and not isinstance(cfg.get("rotary_dim"), bool):
        rotary = _int(cfg["rotary_dim"], source, "rotary_dim")
    else:   # transformers 5 keeps the factor inside rope_parameters
        factor = _first(cfg, "partial_rotary_factor", "rotary_pct", "rope_pct")
        factor = _first(nested, "partial_rotary_factor", default=0.5 if mt == "chatglm" else 1.0) \
            if factor is None else factor
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor <= 1:
            raise ConfigError(f"expected a fraction in (0, 1], got {factor!r}", source=source,
                              field="partial_rotary_factor")
        rotary = int(d_h * factor)
    kind, scale, original = "default", 1.0, max_ctx
    if isinstance(scaling, dict):
        kind = str(scaling.get("rope_type") or scaling.get("type") or "default").lower()
        raw = scaling.get("factor", 1.0)
        scale = float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw > 0 else 1.0
        orig = _first(scaling, "original_max_position_embeddings") or cfg.get("original_max_position_embeddings")
        original = _int(orig, source, "rope_scaling.original_max_position_embeddings") if orig else max_ctx
    if kind in ("linear", "dynamic"):
        positions = int(max_ctx * scale)
    elif kind in ("yarn", "deepseek_yarn"):
        positions = int(original * scale)
    elif kind in ("longrope", "su"):
        positions = original + max_ctx
    else:
        positions = max_ctx
    elements = positions * rotary
    if mt == "gemma3_text":   # the sliding-window layers' own rotary embedding, unscaled
        elements += max_ctx * rotary
    return elements


def _gemma4_unified_embedders(v: dict, top: dict, text_hidden: int, source: str) -> VisionEncoder:
    """Gemma 4 12B ("Unified", encoder-free): no vision tower, an image's pixels embedded directly - a LayerNorm
    over each model patch's pixels (``model_patch_size``^2 x 3), a dense layer to ``mm_embed_dim`` and a
    LayerNorm, a learned table of ``mm_posemb_size`` x 2 positions with its LayerNorm, a projection from
    ``output_proj_dims`` to the language model - and the audio frames' projection from the audio config's
    ``output_proj_dims`` (transformers 5.24's Gemma4UnifiedForConditionalGeneration: embed_vision, embed_audio)."""
    def num(cfg: dict, key: str, default: int, where: str) -> int:
        value = cfg.get(key)
        return default if value is None else _int(value, source, f"{where}.{key}")
    e = num(v, "mm_embed_dim", text_hidden, "vision_config")
    out = num(v, "output_proj_dims", e, "vision_config")
    patch = num(v, "model_patch_size", 48, "vision_config") ** 2 * 3
    positions = num(v, "mm_posemb_size", 1120, "vision_config")
    audio = top.get("audio_config") if isinstance(top.get("audio_config"), dict) else {}
    audio_out = num(audio, "output_proj_dims", 0, "audio_config") if audio else 0
    return VisionEncoder(kind="gemma4_unified_vision", layers=0, hidden_size=e,
                         linear=patch * e + out * text_hidden + audio_out * text_hidden,
                         adapter_width=patch + e + out + text_hidden + (audio_out + text_hidden if audio_out else 0),
                         # the position table, the patch LayerNorm, the dense layer's bias, two LayerNorms of e
                         other=positions * 2 * e + 2 * patch + e + 2 * 2 * e, exact=True)


def _vision_from_hf(v: dict, top: dict, text_hidden: int, source: str) -> VisionEncoder | None:
    """The image encoder of ``vision_config`` (``top``: the whole config, whose keys shape some projectors):
    SigLIP (Gemma 3), the Qwen3-VL / Qwen3.5 encoder, Qwen2-VL / Qwen2.5-VL's, GLM-4V's, Gemma 4's, Llama 4's,
    Llama 3.2 Vision's, Pixtral (Mistral 3) and CLIP under a LLaVA projector counted from their modules as
    transformers builds them; any other ViT from its depth and
    widths (attention and a plain MLP with biases, two LayerNorms a block, a patch convolution,
    a position table and one projector matrix into the language model): an estimate, marked as
    such.  None when the block has no depth or width (a stub such as a processor's settings)."""
    def num(field: str, *keys: str, default: int | None = None) -> int | None:
        value = _first(v, *keys)
        if isinstance(value, (list, tuple)) and len(value) == 2 and value[0] == value[1]:
            value = value[0]   # InternVL's square [14, 14] patches and [448, 448] images
        return default if value is None else _int(value, source, f"vision_config.{field}")

    kind = str(v.get("model_type") or "vision").lower()[:64]
    top_type = str(top.get("model_type") or "").lower()
    if top_type in _FLAT_VL and kind in ("vision", top_type):   # the released files name no vision type
        kind = f"{top_type}_vision"
    if kind == "gemma4_unified_vision":   # Gemma 4 12B's encoder-free embedders, as transformers builds them
        return _gemma4_unified_embedders(v, top, text_hidden, source)
    layers = num("num_hidden_layers", "num_hidden_layers", "depth", "num_layers")
    d = num("hidden_size", "embed_dim", "hidden_size", "width")   # Qwen2-VL: embed_dim; its hidden_size is the LM's
    if not layers or not d:
        return None
    f = num("intermediate_size", "intermediate_size", "mlp_dim", default=4 * d)
    patch = num("patch_size", "patch_size", default=0)
    channels = num("num_channels", "num_channels", "in_channels", "in_chans", default=3)
    out = num("out_hidden_size", "out_hidden_size", "projector_output_dim", default=text_hidden)
    # the plain ViT block (CLIP, Llama 4, the generic estimate): biased q/k/v/o, a two-matrix MLP with biases,
    # two LayerNorms
    block_linear, block_other = 4 * d * d + 2 * d * f, 4 * d + f + d + 2 * 2 * d
    block_adapter = 4 * 2 * d + 2 * (d + f)      # (its q, k, v, o and the MLP's two, each d_in + d_out)
    if kind == "pixtral" and top_type in ("mistral3", "llava"):
        # Pixtral: a bias-free patch convolution, an RMSNorm before; blocks of bias-free q/k/v/o, a gated MLP and
        # two RMSNorms. The projector: two matrices into the language model (biases if multimodal_projector_bias,
        # LLaVA's default); Mistral 3's adds an RMSNorm and the patch merger (merge² patches -> d) before them
        merger = top_type == "mistral3"
        merge = _int(top.get("spatial_merge_size", 2), source, "spatial_merge_size") if merger else 1
        bias = bool(top.get("multimodal_projector_bias", not merger))
        linear = layers * (4 * d * d + 3 * d * f) + channels * patch * patch * d \
            + (d * merge * merge * d if merger else 0) + d * text_hidden + text_hidden * text_hidden
        other = layers * 2 * d + d + (d if merger else 0) + (2 * text_hidden if bias else 0)
        adapter = layers * (4 * 2 * d + 3 * (d + f)) + (d * merge * merge + d if merger else 0) \
            + d + text_hidden + 2 * text_hidden
        return VisionEncoder(kind=kind, layers=layers, hidden_size=d, intermediate_size=f, linear=linear, other=other,
                             adapter_width=adapter, exact=True)
    if kind == "clip_vision_model" and top_type in _LLAVA:
        # CLIP: class token, bias-free patch convolution, (image / patch)² + 1 positions, LayerNorms before and
        # after; blocks of biased q/k/v/o, a two-matrix MLP with biases and two LayerNorms. LLaVA's projector: two
        # matrices (the selected layers' features concatenated -> the LM's width -> the same), biased by default;
        # LLaVA-NeXT adds the image-newline vector
        layer_sel = top.get("vision_feature_layer", -2)
        feats = len(layer_sel) if isinstance(layer_sel, list) else 1
        bias = bool(top.get("multimodal_projector_bias", True))
        positions = (num("image_size", "image_size", default=0) // max(patch, 1)) ** 2 + 1
        linear = layers * block_linear + channels * patch * patch * d + feats * d * text_hidden \
            + text_hidden * text_hidden
        other = layers * block_other + d + positions * d + 4 * d + (2 * text_hidden if bias else 0) \
            + (text_hidden if top_type in ("llava_next", "llava_next_video") else 0)
        adapter = layers * block_adapter + feats * d + text_hidden + 2 * text_hidden
        return VisionEncoder(kind=kind, layers=layers, hidden_size=d, linear=linear, other=other,
                             adapter_width=adapter, exact=True)
    if kind in ("qwen2_vl_vision", "qwen2_5_vl_vision"):
        # Qwen2-VL / Qwen2.5-VL: a bias-free 3-D patch convolution; blocks of a fused biased qkv and projection, an MLP
        # with biases (Qwen2-VL: two matrices embed_dim x mlp_ratio wide, LayerNorms; Qwen2.5-VL: gated, RMSNorms);
        # the merger: a norm and two biased matrices over merge² patches into the language model
        v2 = kind == "qwen2_vl_vision"
        if v2:
            f = d * num("mlp_ratio", "mlp_ratio", default=4)
        merge = num("spatial_merge_size", "spatial_merge_size", default=2)
        temporal = num("temporal_patch_size", "temporal_patch_size", default=2)
        out = num("out_hidden_size", "hidden_size" if v2 else "out_hidden_size", default=text_hidden)
        wide = d * merge * merge
        norm = 2 * d if v2 else d
        mlp_w, mlp_b = (2 * d * f, f + d) if v2 else (3 * d * f, 2 * f + d)
        linear = layers * (4 * d * d + mlp_w) + channels * temporal * patch * patch * d + wide * wide + wide * out
        other = layers * (2 * norm + 4 * d + mlp_b) + norm + wide + out
        adapter = layers * ((d + 3 * d) + 2 * d + (2 if v2 else 3) * (d + f)) + 2 * wide + wide + out
        return VisionEncoder(kind=kind, layers=layers, hidden_size=d, intermediate_size=0 if v2 else f, linear=linear,
                             other=other, adapter_width=adapter, exact=True)
    if kind == "glm4v_vision":
        # GLM-4V: a (image / patch)² position table, a biased 3-D patch convolution; blocks of a fused qkv (biased if
        # attention_bias), a bias-free projection, a gated MLP out_hidden_size wide and two RMSNorms; then an RMSNorm,
        # the biased merge² downsampling convolution into out_hidden_size, and the merger: a projection, a LayerNorm
        # and a gated MLP intermediate_size wide
        temporal = num("temporal_patch_size", "temporal_patch_size", default=2)
        merge = num("spatial_merge_size", "spatial_merge_size", default=2)
        out = num("out_hidden_size", "out_hidden_size", default=text_hidden)
        positions = (num("image_size", "image_size", default=0) // max(patch, 1)) ** 2
        qkv_bias = 3 * d if v.get("attention_bias") else 0
        linear = (layers * (4 * d * d + 3 * d * out) + channels * temporal * patch * patch * d
                  + d * merge * merge * out + out * out + 3 * out * f)
        other = layers * (2 * d + qkv_bias) + positions * d + d + d + out + 2 * out + d
        adapter = layers * ((d + 3 * d) + 2 * d + 3 * (d + out)) + 2 * out + 3 * (out + f)
        return VisionEncoder(kind=kind, layers=layers, hidden_size=d, linear=linear, other=other,
                             adapter_width=adapter, exact=True)
    if kind == "llama4_vision_model":
        # Llama 4: a class token and (image / patch)² + 1 positions, a bias-free linear patch embedding, LayerNorms
        # before and after; blocks with biased q/k/v/o, a two-matrix GELU MLP and two LayerNorms; the pixel-shuffle
        # adapter (as transformers shapes it: intermediate_size -> projector_input_dim -> projector_output_dim; the
        # released d / ratio² equals intermediate_size) and one matrix from vision_output_dim into the language model
        p_in, p_out = num("projector_input_dim", "projector_input_dim", default=d), \
            num("projector_output_dim", "projector_output_dim", default=d)
        v_out = num("vision_output_dim", "vision_output_dim", default=d)
        positions = (num("image_size", "image_size", default=0) // max(patch, 1)) ** 2 + 1
        linear = layers * block_linear + channels * patch * patch * d + f * p_in + p_in * p_out + v_out * text_hidden
        other = layers * block_other + d + positions * d + 4 * d
        adapter = layers * block_adapter + channels * patch * patch + d + f + p_in + p_in + p_out + v_out + text_hidden
        return VisionEncoder(kind=kind, layers=layers, hidden_size=d, linear=linear, other=other,
                             adapter_width=adapter, exact=True)
    if kind == "mllama_vision_model":
        # Llama 3.2 Vision: a bias-free patch convolution, a class token, a gated (image / patch)² + 1 position
        # table with a per-tile copy for every aspect ratio, gated pre- and post-tile embeddings, LayerNorms
        # before and after; bias-free q/k/v/o, a two-matrix MLP with biases and two LayerNorms a block, in the
        # local encoder and in the global one (whose blocks add two gates); one biased matrix from
        # vision_output_dim into the language model
        tiles = num("max_num_tiles", "max_num_tiles", default=4)
        ratio_rows = len(v.get("supported_aspect_ratios") or []) + 1      # max_aspect_ratio_id + 1
        global_layers = num("num_global_layers", "num_global_layers", default=8)
        positions = (num("image_size", "image_size", default=0) // max(patch, 1)) ** 2 + 1
        picked = v.get("intermediate_layers_indices") or []
        v_out = num("vision_output_dim", "vision_output_dim", default=d * (len(picked) + 1))
        blocks = layers + global_layers
        linear = blocks * (4 * d * d + 2 * d * f) + channels * patch * patch * d + v_out * text_hidden
        other = (blocks * (f + d + 2 * 2 * d) + 2 * global_layers + d + 1 + positions * d
                 + ratio_rows * tiles * positions * d + 2 * (ratio_rows * tiles * d + 1) + 2 * 2 * d + text_hidden)
        adapter = blocks * block_adapter + v_out + text_hidden
        return VisionEncoder(kind=kind, layers=blocks, hidden_size=d, linear=linear, other=other,
                             adapter_width=adapter, exact=True)
    if kind == "gemma4_vision":
        # Gemma 4: bias-free q/k/v/o and a gated MLP, four RMSNorms and q/k norms a block, a linear patch
        # embedding, a 2 x position_embedding_size position table, the standardizing scale and bias, and
        # one matrix into the language model
        head = num("head_dim", "head_dim", default=d // max(num("num_attention_heads", "num_attention_heads",
                                                                 default=1) or 1, 1))
        table = num("position_embedding_size", "position_embedding_size", default=10 * 1024)  # transformers default
        linear = layers * (4 * d * d + 3 * d * f) + channels * patch * patch * d + d * out
        other = layers * (4 * d + 2 * head) + 2 * table * d + (2 * d if v.get("standardize") else 0)
        if v.get("use_clipped_linears"):   # E2B / E4B: input and output bounds on each of a block's 7 matrices
            other += layers * 7 * 4
        adapter = layers * (4 * 2 * d + 3 * (d + f)) + channels * patch * patch + d + d + out
        return VisionEncoder(kind=kind, layers=layers, hidden_size=d, linear=linear, other=other,
                             adapter_width=adapter, exact=True)
    temporal = num("temporal_patch_size", "temporal_patch_size", default=1)
    positions = num("num_position_embeddings", "num_position_embeddings", default=None)
    if positions is None and patch:
        positions = (num("image_size", "image_size", default=0) // patch) ** 2
    linear = layers * block_linear
    other = layers * block_other + channels * temporal * patch * patch * d + (d if patch else 0) \
        + (positions or 0) * d + 2 * d                                          # post-LayerNorm
    exact = kind == "siglip_vision_model" and top_type == "gemma3"
    adapter = layers * block_adapter
    if kind == "siglip_vision_model" and v.get("vision_use_head", True):   # attention-pooling head
        linear += block_linear
        other += d + 4 * d + f + d + 2 * d
        adapter += 2 * d + 2 * (d + f)      # (torch's MultiheadAttention: its q/k/v a bare matrix, out_proj a Linear)
    merge = num("spatial_merge_size", "spatial_merge_size", default=0)
    if kind.startswith(("qwen3_5", "qwen3_vl")) and merge:
        # Qwen3-VL / Qwen3.5: the patch merger (LayerNorm, counted above as the post-norm, then
        # fc1 over 2x2 merged patches and fc2 into the language model, with biases) and, in Qwen3-VL,
        # one more merger with its own LayerNorm per deepstack index (Qwen3.5 has none)
        wide = d * merge * merge
        deepstack = v.get("deepstack_visual_indexes") or []
        mergers = 1 + (len(deepstack) if isinstance(deepstack, list) else 0)
        linear += mergers * (wide * wide + wide * out)
        other += mergers * (wide + out) + (mergers - 1) * 2 * wide
        adapter += layers * ((d + 3 * d) - 3 * 2 * d) + mergers * (2 * wide + wide + out)   # (one fused qkv)
        exact = True
    else:
        linear += d * out                   # projector into the language model's width
        if not (exact and kind == "siglip_vision_model"):
            adapter += d + out              # (Gemma 3's is a bare weight matrix, mm_input_projection_weight)
    if exact and kind == "siglip_vision_model":
        other += d                          # Gemma 3: RMSNorm of the soft image tokens before it
    return VisionEncoder(kind=kind, layers=layers, hidden_size=d, linear=linear, other=other, adapter_width=adapter,
                         exact=exact)


# (q/k/v, output projection, MLP) biases fixed by a family's modelling code, whatever its config says
_FIXED_BIASES = {"gpt_bigcode": (True, True, True), "gpt2": (True, True, True), "phi": (True, True, True),
                 "bloom": (True, True, True), "gptj": (False, False, True), "codegen": (False, False, True),
                 "gpt_neo": (False, True, True), "persimmon": (True, True, True)}
# families with one switch for every bias: (its key, its default)
_ONE_BIAS_SWITCH = {"starcoder2": ("use_bias", True), "falcon": ("bias", False), "opt": ("enable_bias", True)}


def _biases(cfg: dict, mt: str) -> tuple[bool, bool, bool]:
    """(q/k/v bias, output-projection bias, MLP bias) as each family's modelling code has them."""
    if mt in _FIXED_BIASES:
        return _FIXED_BIASES[mt]
    if mt in _ONE_BIAS_SWITCH:
        key, default = _ONE_BIAS_SWITCH[mt]
        b = bool(cfg.get(key, default))
        return b, b, b
    if mt == "chatglm":
        linear = bool(cfg.get("add_bias_linear", False))
        return bool(cfg.get("add_qkv_bias", False)) or linear, linear, linear
    if mt == "gpt_neox":   # attention_bias switches q/k/v and the output projection; the MLP always has them
        b = bool(cfg.get("attention_bias", True))
        return b, b, True
    attn = bool(cfg.get("attention_bias", False))
    o_bias = bool(cfg["attention_out_bias"]) if "attention_out_bias" in cfg else attn and mt not in _NO_O_BIAS
    return attn or mt in _QKV_BIAS_BUILTIN, o_bias, bool(cfg.get("mlp_bias", False))


def _uniform(value: Any, source: str, field: str) -> Any:
    """A per-layer list whose entries are all equal (Hunyuan's moe_topk, num_experts) as that one value."""
    if not isinstance(value, list):
        return value
    if not value or any(v != value[0] for v in value):
        raise ConfigError(f"per-layer values that differ ({value[:4]}...) are not read yet", source=source,
                          field=field)
    return value[0]


def _moe_from_hf(cfg: dict, mt: str, source: str, L: int,  # noqa: N803 (L as in the papers)
                 blocks: str | None = None) -> MoE | None:
    get = lambda *k, default=None: _uniform(_first(cfg, *k, default=default), source, k[0])  # noqa: E731
    E = get("num_local_experts", "n_routed_experts", "num_experts", "moe_num_experts")
    k = get("num_experts_per_tok", "num_experts_per_token", "moe_top_k", "top_k_experts", "moe_k", "moe_topk")
    if not E or int(E) <= 1 or (mt == "gemma4_text" and not cfg.get("enable_moe_block")):
        return None
    if blocks is not None and "E" not in blocks:
        return None      # Nemotron-H's expert keys at their defaults in a model without MoE blocks
    if not k:       # (transformers still builds the experts: read as a dense model, DeepSeek-V2's read 83 % low)
        raise ConfigError(f"missing: {int(E)} routed experts are named, but not how many a token uses", source=source,
                          field="num_experts_per_tok")
    expert_f = get("moe_intermediate_size", "expert_intermediate_size", "intermediate_size")
    if expert_f is None:
        raise ConfigError("missing for a mixture-of-experts model", source=source, field="moe_intermediate_size")
    shared = 0
    gate = False
    n_shared = get("n_shared_experts", "num_shared_experts", "moe_num_shared_experts")
    if n_shared:
        shared = int(n_shared) * int(get("moe_shared_expert_intermediate_size", default=expert_f))
    elif get("shared_expert_intermediate_size"):    # (Qwen2-MoE's under a sigmoid gate; Flint's added in full)
        shared, gate = int(get("shared_expert_intermediate_size")), mt not in _UNGATED_SHARED_EXPERT
    elif mt in ("granitemoeshared", "granitemoehybrid"):   # a shared MLP beside the experts, without a gate
        shared = int(get("shared_intermediate_size",
                         default=_GRANITE_SHARED_DEFAULT if mt == "granitemoehybrid" else 0))
    # (transformers builds every layer dense where the count reaches past the last)
    dense_layers = min(int(get("first_k_dense_replace", "num_dense_layers", default=0)), L)
    if mt == "ernie4_5_moe":   # experts in every interval-th layer from the start index to the end index
        start, end = int(get("moe_layer_start_index", default=0)), int(get("moe_layer_end_index", default=L - 1))
        step = _every(get("moe_layer_interval", default=1), source, "moe_layer_interval")
        dense_layers = L - sum(1 for i in range(L) if (i + 1) % step == 0 and start <= i <= end)
    if mt == "gemma4_text":   # every layer keeps its dense MLP beside the experts: an always-active shared expert
        shared = int(get("intermediate_size", default=0))
    if mt == "hunyuan_v1_moe":   # transformers: experts and the one shared MLP are intermediate_size wide
        expert_f = shared = get("intermediate_size")
    if mt == "llama4_text":   # one shared expert as wide as a routed one; MoE every ``step``-th layer
        shared = int(expert_f)
        moe_layers = cfg.get("moe_layers")
        if not isinstance(moe_layers, list):
            step = _every(get("interleave_moe_layer_step", default=1), source, "interleave_moe_layer_step")
            moe_layers = list(range(step - 1, L, step))
        dense_layers = L - len(moe_layers)
    if mt == "jamba":   # experts where i % expert_layer_period == expert_layer_offset, a dense MLP elsewhere
        period, offset = _jamba_period(cfg, source, "expert_layer_period", 2, "expert_layer_offset", 1)
        dense_layers = L - sum(1 for i in range(L) if i % period == offset)
    if mt in ("qwen2_moe", "qwen3_moe", "flint") or mt in _GATED_DELTANET:   # Qwen2-MoE's rule: a dense MLP in
        # mlp_only_layers (FlintConfig's default: the first two) and off every decoder_sparse_step-th layer
        only = cfg.get("mlp_only_layers")
        only = set(only) if isinstance(only, list) else {0, 1} if mt == "flint" else set()
        step = _every(get("decoder_sparse_step", default=1), source, "decoder_sparse_step")
        dense_layers = sum(1 for i in range(L) if i in only or (i + 1) % step)
    if blocks is not None:
        dense_layers = blocks.count("-")
    if mt in ("kimi_linear", "glm4_moe_lite", "cohere2_moe", "hy_v3", "beam", "axk1", "axk2"):   # mlp_layer_types
        # ("dense" / "sparse"), else the first first_k_dense_replace dense (transformers' default: the first; Cohere 2
        # MoE's none, Beam's three), and A.X's off every moe_layer_freq-th layer beyond them
        kinds = cfg.get("mlp_layer_types")
        first = min(int(get("first_k_dense_replace", default={"cohere2_moe": 0, "beam": 3}.get(mt, 1))), L)
        freq = _every(get("moe_layer_freq", default=1), source, "moe_layer_freq") if mt in ("axk1", "axk2") else 1
        dense_layers = sum(1 for t in kinds[:L] if t == "dense") if isinstance(kinds, list) else \
            sum(1 for i in range(L) if i < first or i % freq)
    if mt == "mimo_v2_flash":   # transformers' mlp_layer_types ("dense" / "sparse"), the release's moe_layer_freq
        kinds, freq = cfg.get("mlp_layer_types"), cfg.get("moe_layer_freq")
        if isinstance(kinds, list):
            dense_layers = sum(1 for t in kinds[:L] if t == "dense")
        elif isinstance(freq, list):
            dense_layers = sum(1 for t in freq[:L] if not t)
        elif isinstance(freq, int) and not isinstance(freq, bool):   # a period: experts where i % freq == 0
            dense_layers = L - (len(range(0, L, freq)) if freq > 0 else 0)
        else:   # transformers: the first layer dense; the release's code without the key: every layer dense
            dense_layers = L if _mimo_release_keys(cfg) else 1
    try:
        return MoE(num_experts=_int(E, source, "num_experts"),
                   experts_per_token=_int(k, source, "num_experts_per_tok"),
                   expert_intermediate_size=_int(expert_f, source, "moe_intermediate_size"),
                   shared_intermediate_size=shared, shared_expert_gate=gate, dense_layers=dense_layers,
                   router_bias=mt in _ROUTER_BIAS or cfg.get("topk_method") == "noaux_tc"
                   or (mt == "lfm2_moe" and bool(cfg.get("use_expert_bias", True)))
                   or mt == "gemma4_text",   # Gemma 4: a learned scale per expert
                   expert_bias=mt == "gpt_oss",
                   latent_size=_int(cfg["moe_latent_size"], source, "moe_latent_size")
                   if blocks is not None and cfg.get("moe_latent_size") else None)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None


_NEMOTRON_BLOCKS = {"mamba": "M", "linear_attention": "M", "attention": "*", "full_attention": "*", "mlp": "-",
                    "moe": "E"}


def _nemotron_blocks(cfg: dict, source: str) -> str:
    """Nemotron-H's blocks, one character each: M (Mamba-2), * (attention), - (MLP), E (MoE),
    from ``hybrid_override_pattern`` or a ``layers_block_type`` / ``layer_types`` list."""
    pattern = cfg.get("hybrid_override_pattern")
    field = "hybrid_override_pattern"
    if pattern is None:
        field = "layers_block_type" if "layers_block_type" in cfg else "layer_types"
        types = cfg.get(field)
        if not isinstance(types, list):
            raise ConfigError("missing (also looked for: layers_block_type, layer_types)", source=source,
                              field="hybrid_override_pattern")
        unknown = sorted({str(t) for t in types} - set(_NEMOTRON_BLOCKS))
        if unknown:
            raise ConfigError(f"unknown block types {unknown}", source=source, field=field)
        pattern = "".join(_NEMOTRON_BLOCKS[t] for t in types)
    if not isinstance(pattern, str) or not pattern or set(pattern) - set("M*-E"):
        raise ConfigError(f"expected a string of M, *, - and E, got {pattern!r}", source=source, field=field)
    return pattern


def _mamba_from_hf(cfg: dict, source: str, blocks: str) -> Mamba2 | None:
    layers = blocks.count("M")
    if layers == 0:
        return None
    get = lambda *k, default=None: _first(cfg, *k, default=default)  # noqa: E731
    state_bytes = _state_dtype_bytes(cfg, source, "mamba_ssm_cache_dtype")
    try:
        return Mamba2(
            layers=layers,
            num_heads=_need_int(cfg, source, "mamba_num_heads"),
            head_dim=_need_int(cfg, source, "mamba_head_dim"),
            state_size=_need_int(cfg, source, "ssm_state_size"),
            n_groups=_int(get("n_groups", "mamba_n_groups", default=1), source, "n_groups"),
            conv_kernel=_int(get("conv_kernel", "mamba_d_conv", default=4), source, "conv_kernel"),
            conv_bias=bool(get("use_conv_bias", "mamba_conv_bias", default=True)),
            proj_bias=bool(get("mamba_proj_bias", default=False)),
            chunk_size=_int(get("chunk_size", default=128), source, "chunk_size"),   # (NemotronHConfig's default)
            state_bytes=state_bytes)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None


# a Granite 4.0-H layer's mixer, from the names Nemotron-H's blocks use too: Mamba-2 or attention
_GRANITE_MIXERS = {kind: block == "M" for kind, block in _NEMOTRON_BLOCKS.items() if block in "M*"}


def _mamba_kinds(cfg: dict, mt: str, source: str, L: int) -> list[bool]:  # noqa: N803
    """Which layers' mixer is Mamba-2.  Granite 4.0-H names each layer's mixer in ``layer_types``
    ("mamba" / "attention"; transformers 5 writes "linear_attention" / "full_attention"); Bamba
    lists its attention layers in ``attn_layer_indices``.  Without the key every layer is Mamba."""
    if mt == "falcon_h1":    # every layer runs both mixers ("hybrid")
        return [True] * L
    if mt == "bamba":
        indices = cfg.get("attn_layer_indices") or []
        if not isinstance(indices, list) or any(not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < L
                                                for i in indices):
            raise ConfigError(f"expected layer numbers from 0 to {L - 1}", source=source, field="attn_layer_indices")
        return [i not in indices for i in range(L)]
    field = "layer_types" if "layer_types" in cfg else "layers_block_type"
    types = cfg.get(field)
    if types is None:
        return [True] * L
    if not isinstance(types, list) or len(types) != L:
        raise ConfigError(f"expected a list of {L} layer kinds", source=source, field=field)
    unknown = sorted({str(t) for t in types} - set(_GRANITE_MIXERS))
    if unknown:
        raise ConfigError(f"unknown layer kinds {unknown} (expected mamba or attention)", source=source, field=field)
    return [_GRANITE_MIXERS[t] for t in types]


def _mamba_per_layer_from_hf(cfg: dict, mt: str, source: str, L: int, d: int) -> Mamba2 | None:  # noqa: N803
    """The Mamba-2 layers of Granite 4.0-H, Bamba and Falcon-H1, where each layer keeps its MLP (or
    MoE) whichever its mixer (unlike Nemotron-H's blocks).  The heads' width ``mamba_d_head`` may be
    "auto": the mixer's width over the heads, as transformers reads it; that width is ``mamba_expand``
    × hidden_size, or Falcon-H1's ``mamba_d_ssm`` (transformers' default 1,024 where the key is absent,
    the expanded width where it is null)."""
    layers = sum(_mamba_kinds(cfg, mt, source, L))
    if layers == 0:
        return None
    falcon = mt == "falcon_h1"
    heads = _int(cfg.get("mamba_n_heads", 128), source, "mamba_n_heads")
    expand = _int(cfg.get("mamba_expand", 2), source, "mamba_expand")
    width, width_key = expand * d, "mamba_expand × hidden_size"
    if falcon and cfg.get("mamba_d_ssm", 1024) is not None:
        width, width_key = _int(cfg.get("mamba_d_ssm", 1024), source, "mamba_d_ssm"), "mamba_d_ssm"
    head_dim = cfg.get("mamba_d_head", "auto")
    if head_dim == "auto":
        if heads < 1 or width % heads:
            raise ConfigError(f"must divide {width_key} = {width}", source=source, field="mamba_n_heads")
        head_dim = width // heads
    elif falcon and _int(head_dim, source, "mamba_d_head") * heads != width:
        raise ConfigError(f"mamba_d_head × mamba_n_heads = {_int(head_dim, source, 'mamba_d_head') * heads} must be "
                          f"{width_key} = {width}", source=source, field="mamba_d_head")
    try:
        return Mamba2(layers=layers, num_heads=heads, head_dim=_int(head_dim, source, "mamba_d_head"),
                      state_size=_int(cfg.get("mamba_d_state", 256), source, "mamba_d_state"),
                      n_groups=_int(cfg.get("mamba_n_groups", 1), source, "mamba_n_groups"),
                      conv_kernel=_int(cfg.get("mamba_d_conv", 4), source, "mamba_d_conv"),
                      conv_bias=bool(cfg.get("mamba_conv_bias", True)),
                      proj_bias=bool(cfg.get("mamba_proj_bias", False)),
                      out_proj_bias=bool(cfg.get("projectors_bias", False)) if falcon else None,
                      gated_norm=bool(cfg.get("mamba_rms_norm", False)) if falcon else True,
                      chunk_size=_int(cfg.get("mamba_chunk_size", 256), source, "mamba_chunk_size"),
                      state_bytes=_state_dtype_bytes(cfg, source, "mamba_ssm_cache_dtype"))
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None


def _jamba_period(cfg: dict, source: str, period_key: str, period: int, offset_key: str, offset: int
                  ) -> tuple[int, int]:
    """Jamba's (period, offset) of a kind of layer: layer i is of that kind where i % period == offset."""
    p, o = _int(cfg.get(period_key, period), source, period_key), _int(cfg.get(offset_key, offset), source, offset_key)
    if p < 1 or not 0 <= o < p:
        raise ConfigError(f"must be below {period_key} ({p})", source=source, field=offset_key)
    return p, o


#: The Mamba mixer's keys: Mamba's and Falcon Mamba's config, Jamba's
_MAMBA1_KEYS = {False: ("expand", "state_size", "conv_kernel", "time_step_rank", "use_bias", "use_conv_bias"),
                True: ("mamba_expand", "mamba_d_state", "mamba_d_conv", "mamba_dt_rank", "mamba_proj_bias",
                       "mamba_conv_bias")}


def _mamba1_from_hf(cfg: dict, source: str, layers: int, d: int, jamba: bool) -> Mamba1:
    """A Mamba (S6) mixer from transformers' keys (:data:`_MAMBA1_KEYS`): the width a saved
    ``intermediate_size`` (Mamba, Falcon Mamba: transformers reads it over ``expand``; Falcon Mamba 7B's file
    says expand 16 and intermediate_size 8,192, the width its weights have), else ``expand`` × hidden_size
    (Jamba: always); the time step's rank ("auto": hidden_size / 16 rounded up); Jamba's RMSNorms on the
    time step, B and C."""
    expand, state, conv, rank_key, bias, conv_bias = _MAMBA1_KEYS[jamba]
    width = _int(cfg.get(expand, 2), source, expand) * d
    if not jamba and cfg.get("intermediate_size") is not None:
        width = _int(cfg["intermediate_size"], source, "intermediate_size")
    rank = cfg.get(rank_key, "auto")
    try:
        return Mamba1(layers=layers, d_inner=width, state_size=_int(cfg.get(state, 16), source, state),
                      dt_rank=math.ceil(d / 16) if rank == "auto" else _int(rank, source, rank_key),
                      conv_kernel=_int(cfg.get(conv, 4), source, conv), conv_bias=bool(cfg.get(conv_bias, True)),
                      proj_bias=bool(cfg.get(bias, False)), dt_norms=jamba)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None


def _jamba_mamba_from_hf(cfg: dict, source: str, L: int, d: int) -> Mamba1 | None:  # noqa: N803
    """Jamba's Mamba layers: every layer but those where i % attn_layer_period == attn_layer_offset."""
    period, offset = _jamba_period(cfg, source, "attn_layer_period", 8, "attn_layer_offset", 4)
    layers = sum(1 for i in range(L) if i % period != offset)
    return _mamba1_from_hf(cfg, source, layers, d, jamba=True) if layers else None


#: Nemotron-NAS block options vramgui does not count (each would change a block's weights or cache)
_NAS_UNCOUNTED = ("replace_with_linear", "sparsify", "window_length", "num_sink_tokens", "mamba", "moe", "llama4",
                  "parallel_blocks")


def _nas_from_hf(cfg: dict, source: str, L: int, d: int, h: int) -> dict:  # noqa: N803
    """Nemotron-NAS (DeciLM: Llama-3.3-Nemotron-Super-49B, Llama-3.1-Nemotron-Ultra-253B) from its
    ``block_configs``, one per layer: an attention sub-block with ``num_attention_heads //
    n_heads_in_group`` KV heads or ``no_op`` (no attention, no norm before it), and an MLP sub-block
    ``ffn_mult`` wide or ``no_op``.  The MLP's width as modeling_decilm.py builds it: two thirds of
    ``ffn_mult × hidden_size``, truncated, rounded up to a multiple of 256 (or ``intermediate_size``
    where a block gives the width itself, as vLLM reads it).  Blocks replaced by a linear
    layer (Nemotron-51B), windowed, sparse or Mamba / MoE blocks are refused, as are attention layers with
    different KV heads."""
    blocks = cfg.get("block_configs")
    if not isinstance(blocks, list) or len(blocks) != L:
        raise ConfigError(f"expected a list of one block per layer ({L})", source=source, field="block_configs")
    groups, widths, no_attn, no_ffn = set(), {}, 0, 0
    for i, b in enumerate(blocks):
        where = f"block_configs[{i}]"
        attn, ffn = (b.get(k) if isinstance(b, dict) else None for k in ("attention", "ffn"))
        if not isinstance(attn, dict) or not isinstance(ffn, dict):
            raise ConfigError("expected an object with 'attention' and 'ffn' objects", source=source, field=where)
        for part, sub in (("attention", attn), ("ffn", ffn)):
            odd = next((k for k in _NAS_UNCOUNTED if sub.get(k) not in (None, False)), None)
            if odd:
                raise ConfigError(f"'{odd}' blocks are not counted yet; estimating them as plain layers would be "
                                  "wrong", source=source, field=f"{where}.{part}.{odd}")
        if attn.get("no_op"):
            no_attn += 1
        else:
            g = _int(attn.get("n_heads_in_group"), source, f"{where}.attention.n_heads_in_group")
            if g < 1 or h % g:
                raise ConfigError(f"must divide num_attention_heads ({h}), got {g}", source=source,
                                  field=f"{where}.attention.n_heads_in_group")
            groups.add(g)
        if ffn.get("no_op"):
            no_ffn += 1
            continue
        mult = ffn.get("ffn_mult")
        if mult is None and ffn.get("intermediate_size") is not None:    # the width itself (a GGUF's, say)
            w = _int(ffn["intermediate_size"], source, f"{where}.ffn.intermediate_size")
            if w < 1:
                raise ConfigError(f"must be at least 1, got {w}", source=source, field=f"{where}.ffn.intermediate_size")
        elif isinstance(mult, bool) or not isinstance(mult, (int, float)) or not 0 < mult < 1e4:
            raise ConfigError(f"expected a positive number, got {mult!r}", source=source, field=f"{where}.ffn.ffn_mult")
        else:
            w = int(2 * mult * d / 3)
            w += -w % 256
        widths[w] = widths.get(w, 0) + 1
    if len(groups) > 1:
        raise ConfigError(f"attention layers with different KV heads ({sorted(h // g for g in groups)}) are not "
                          "counted yet", source=source, field="block_configs")
    if not widths or not groups:
        raise ConfigError("at least one layer needs attention and one an MLP", source=source, field="block_configs")
    return {"num_kv_heads": h // groups.pop(), "mlp_widths": tuple(sorted(widths.items())),
            "mixerless_layers": no_attn, "ffnless_layers": no_ffn}


def _lfm2_mlp_width(cfg: dict, source: str) -> int:
    """LFM2's MLP width as transformers builds it: ``block_ff_dim`` (or intermediate_size), with
    block_auto_adjust_ff_dim two thirds of it, times block_ffn_dim_multiplier, rounded up to a multiple
    of block_multiple_of."""
    f = _int(_first(cfg, "block_ff_dim", "intermediate_size", default=12288), source, "block_ff_dim")
    if cfg.get("block_auto_adjust_ff_dim", True):
        f = int(2 * f / 3)
        mult = cfg.get("block_ffn_dim_multiplier", 1.0)
        if mult is not None:
            step = _int(cfg.get("block_multiple_of", 256), source, "block_multiple_of")
            f = step * -(-int(float(mult) * f) // step)
    return f


def _kimi_layer_types(cfg: dict, source: str, L: int) -> list[str]:  # noqa: N803
    """Kimi Linear's layer kinds as transformers reads them: ``layer_types``, else the checkpoint's
    ``linear_attn_config`` lists (``full_attn_layers`` and ``kda_layers``, numbered from 1), else full
    attention in every fourth layer from the fifth (i % 4 == 0, i > 0)."""
    types = cfg.get("layer_types")
    nested = cfg.get("linear_attn_config") if isinstance(cfg.get("linear_attn_config"), dict) else {}
    if types is None and "full_attn_layers" in nested and "kda_layers" in nested:
        types = [None] * L
        for key, kind in (("full_attn_layers", "full_attention"), ("kda_layers", "linear_attention")):
            for i in nested[key]:
                if not isinstance(i, int) or not 1 <= i <= L:
                    raise ConfigError(f"expected layer numbers from 1 to {L}", source=source,
                                      field=f"linear_attn_config.{key}")
                types[i - 1] = kind
    if types is None:
        types = ["full_attention" if i and i % 4 == 0 else "linear_attention" for i in range(L)]
    if not isinstance(types, list) or len(types) != L or set(types) - {"full_attention", "linear_attention"}:
        raise ConfigError(f"expected {L} entries of full_attention or linear_attention", source=source,
                          field="layer_types")
    return types


def _kimi_delta_from_hf(cfg: dict, source: str, L: int) -> KimiDelta | None:  # noqa: N803
    """Kimi Linear's KDA layers: their heads, width and convolution from ``linear_*`` keys or the checkpoint's
    ``linear_attn_config`` (num_heads, head_dim, short_conv_kernel_size)."""
    layers = _kimi_layer_types(cfg, source, L).count("linear_attention")
    if not layers:
        return None
    nested = cfg.get("linear_attn_config") if isinstance(cfg.get("linear_attn_config"), dict) else {}
    try:
        return KimiDelta(layers=layers,
                         num_heads=_int(nested.get("num_heads", cfg.get("linear_num_heads", 32)), source,
                                        "linear_num_heads"),
                         head_dim=_int(nested.get("head_dim", cfg.get("linear_head_dim", 128)), source,
                                       "linear_head_dim"),
                         conv_kernel=_int(nested.get("short_conv_kernel_size", cfg.get("linear_conv_kernel_dim", 4)),
                                          source, "linear_conv_kernel_dim"),
                         state_bytes=4)     # (the recurrent state in fp32, as the FLA kernels keep it)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None


def _lightning_from_hf(cfg: dict, source: str, L: int, h: int, d_h: int) -> Lightning | None:  # noqa: N803
    """MiniMax's lightning attention layers, as many as ``layer_types`` says 'linear_attention' (transformers)
    or ``attn_type_list`` says 0 (MiniMax's own code: 1 for softmax attention); transformers' default
    alternates full and linear layers.  Their heads are the attention's."""
    types = cfg.get("layer_types")
    if types is None and cfg.get("attn_type_list") is not None:
        kinds = cfg["attn_type_list"]
        if not isinstance(kinds, list) or len(kinds) != L or any(k not in (0, 1) for k in kinds):
            raise ConfigError(f"expected {L} entries of 0 (lightning) or 1 (softmax attention)", source=source,
                              field="attn_type_list")
        layers = kinds.count(0)
    elif types is None:
        layers = L // 2      # (MiniMaxConfig: full attention in the even layers)
    else:
        if not isinstance(types, list) or len(types) != L or any(t not in ("full_attention", "linear_attention")
                                                                 for t in types):
            raise ConfigError(f"expected {L} entries of full_attention or linear_attention", source=source,
                              field="layer_types")
        layers = types.count("linear_attention")
    return Lightning(layers=layers, num_heads=h, head_dim=d_h) if layers else None


def _lfm3_layer_types(L: int) -> list[str]:  # noqa: N803
    """transformers' Lfm3Config default: full attention where i % 4 == 2, a window where i % 4 == 0 (not the
    first layer), a short convolution elsewhere."""
    return ["full_attention" if i % 4 == 2 else "sliding_attention" if i % 4 == 0 and i > 0 else "conv"
            for i in range(L)]


def _lfm2_conv_from_hf(cfg: dict, source: str, L: int, d: int, mt: str = "lfm2") -> ShortConv | None:  # noqa: N803
    """LFM2's short-convolution layers: those ``layer_types`` names "conv", or without it every layer
    not in ``full_attn_idxs`` (transformers: without either, every layer attends; LFM3: its pattern)."""
    types = cfg.get("layer_types")
    if types is None and mt == "lfm3":
        types = _lfm3_layer_types(L)
    kinds = {"conv", "full_attention"} | ({"sliding_attention"} if mt == "lfm3" else set())
    if types is not None:
        if not isinstance(types, list) or len(types) != L or set(types) - kinds:
            raise ConfigError(f"expected {L} entries of {', '.join(sorted(kinds))}", source=source,
                              field="layer_types")
        layers = types.count("conv")
    else:
        idxs = cfg.get("full_attn_idxs")
        if idxs is None:
            return None
        if not isinstance(idxs, list) or any(not isinstance(i, int) or not 0 <= i < L for i in idxs):
            raise ConfigError(f"expected layer numbers from 0 to {L - 1}", source=source, field="full_attn_idxs")
        layers = L - len(set(idxs))
    if not layers:
        return None
    try:
        return ShortConv(layers=layers, channels=d, conv_kernel=_int(cfg.get("conv_L_cache", 7 if mt == "lfm3" else 3),
                                                                     source, "conv_L_cache"),
                         bias=bool(cfg.get("conv_bias", False)))
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None


def _pure_ssm_from_hf(cfg: dict, mt: str, source: str) -> Architecture:
    """Mamba, Falcon Mamba and Mamba-2 models: each layer a norm and a mixer, no attention, no MLP; no
    positions (the context limit :data:`NO_POSITION_LIMIT` unless the config names one).  Defaults as
    transformers' MambaConfig / FalconMambaConfig (tied embeddings) and Mamba2Config (untied)."""
    d = _int(_need(cfg, source, "hidden_size", "d_model"), source, "hidden_size")
    L = _int(_need(cfg, source, "num_hidden_layers", "n_layer"), source, "num_hidden_layers")  # noqa: N806
    V = _int(_need(cfg, source, "vocab_size"), source, "vocab_size")  # noqa: N806
    expand = _int(cfg.get("expand", 2), source, "expand")
    mamba1 = mamba2 = None      # (Mamba-2's width is expand × hidden_size whatever intermediate_size says)
    if mt == "mamba2":
        heads, head_dim = _int(cfg.get("num_heads", 128), source, "num_heads"), _int(cfg.get("head_dim", 64), source,
                                                                                     "head_dim")
        if heads * head_dim != expand * d:
            raise ConfigError(f"num_heads × head_dim = {heads * head_dim} must be hidden_size × expand = {expand * d}",
                              source=source, field="head_dim")
        try:
            mamba2 = Mamba2(layers=L, num_heads=heads, head_dim=head_dim,
                            state_size=_int(cfg.get("state_size", 128), source, "state_size"),
                            n_groups=_int(cfg.get("n_groups", 8), source, "n_groups"),
                            conv_kernel=_int(cfg.get("conv_kernel", 4), source, "conv_kernel"),
                            conv_bias=bool(cfg.get("use_conv_bias", True)), proj_bias=bool(cfg.get("use_bias", False)),
                            chunk_size=_int(cfg.get("chunk_size", 256), source, "chunk_size"))
        except ValidationError as exc:
            raise ConfigError(pydantic_message(exc), source=source) from None
    else:   # (Falcon Mamba's norms on the time step, B and C have no weights)
        mamba1 = _mamba1_from_hf(cfg, source, L, d, jamba=False)
    try:
        return Architecture(
            model_type=mt, vocab_size=V, hidden_size=d,
            intermediate_size=mamba1.d_inner if mamba1 else expand * d, num_layers=L, num_heads=1,
            num_kv_heads=1, head_dim=1,
            max_context=_int(cfg.get("max_position_embeddings") or NO_POSITION_LIMIT, source,
                             "max_position_embeddings"),
            tie_embeddings=bool(cfg.get("tie_word_embeddings", mt != "mamba2")), gated_mlp=False, norms_per_layer=1,
            mamba=mamba2, mamba1=mamba1, ffnless_layers=L)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None


def _state_dtype_bytes(cfg: dict, source: str, key: str) -> int | None:
    """Bytes per element of the recurrent state the config asks for under ``key`` (None: not said)."""
    dtype = cfg.get(key)
    if dtype is None:
        return None
    name = str(dtype).removeprefix("torch.")
    if name not in _STATE_DTYPE_BYTES:
        raise ConfigError(f"unknown dtype {dtype!r} (expected float32, bfloat16 or float16)", source=source,
                          field=key)
    return _STATE_DTYPE_BYTES[name]


def _linear_attention_from_hf(cfg: dict, source: str, L: int) -> LinearAttention | None:  # noqa: N803
    """Gated DeltaNet layers from ``linear_*`` keys: which layers from ``layer_types`` (or
    every layer but each ``full_attention_interval``-th, transformers' default of 4)."""
    if cfg.get("linear_num_value_heads") is None and not (
            isinstance(cfg.get("layer_types"), list) and "linear_attention" in cfg["layer_types"]):
        return None
    types = cfg.get("layer_types")
    if isinstance(types, list):
        if len(types) != L:
            raise ConfigError(f"has {len(types)} entries for {L} layers", source=source, field="layer_types")
        layers = sum(1 for t in types if t == "linear_attention")
    else:
        every = _int(cfg.get("full_attention_interval", 4), source, "full_attention_interval")
        if every < 1:
            raise ConfigError(f"must be at least 1, got {every}", source=source, field="full_attention_interval")
        layers = L - L // every
    if layers == 0:
        return None
    state_bytes = _state_dtype_bytes(cfg, source, "mamba_ssm_dtype")
    try:
        return LinearAttention(
            layers=layers,
            num_key_heads=_need_int(cfg, source, "linear_num_key_heads"),
            num_value_heads=_need_int(cfg, source, "linear_num_value_heads"),
            key_head_dim=_need_int(cfg, source, "linear_key_head_dim"),
            value_head_dim=_need_int(cfg, source, "linear_value_head_dim"),
            conv_kernel=_int(cfg.get("linear_conv_kernel_dim", 4), source, "linear_conv_kernel_dim"),
            state_bytes=state_bytes)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=source) from None


def _llama4_chunked_layers(cfg: dict, L: int, source: str) -> int:
    """Llama 4: the layers with rotary positions use chunked attention (``no_rope_layers``
    marks them 1; transformers' default gives every fourth layer NoPE global attention)."""
    flags = cfg.get("no_rope_layers")
    if isinstance(flags, list) and flags:
        if len(flags) != L:
            raise ConfigError(f"has {len(flags)} entries for {L} layers", source=source, field="no_rope_layers")
        return sum(1 for v in flags if v)
    every = _every(cfg.get("no_rope_layer_interval", 4), source, "no_rope_layer_interval")
    return sum(1 for i in range(L) if (i + 1) % every)


def load_hf_config(path: str | Path) -> Architecture:
    """Read a ``config.json`` from disk.  Bad files raise :class:`ConfigError` naming the file."""
    cfg = read_json(Path(path), ConfigError, what="a config.json")
    return architecture_from_hf_config(cfg, source=str(path))
