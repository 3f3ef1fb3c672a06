"""Exact parameter counts from an architecture, by tensor group.

Per Llama-style layer (DESIGN §2): ``d·h·d_h + 2·d·h_kv·d_h + h·d_h·d + 3·d·f + 2·d``;
plus embeddings ``V·d``, the final norm ``d`` and an LM head ``V·d`` unless tied.
Llama 2 7B gives 6,738,415,616 (the paper's "7B", model card 6.74 B).

Groups matter because quantized formats treat them differently: linear layers are
quantized, embeddings / LM head / norms / biases / routers usually stay in 16 bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .architecture import Architecture, KimiDelta, Lightning, LinearAttention, Mamba2, ShortConv, _RecurrentMixer


@dataclass(frozen=True)
class ParamGroups:
    """Parameter counts (elements) per tensor group, for the whole model."""

    embedding: int          # token embedding (+ learned position table)
    lm_head: int            # 0 when tied to the embedding
    attention: int          # linear weights of q, k, v, o (MLA: all its projections), and the
                            # in/out projections of Gated DeltaNet and Mamba-2 mixers
    mlp: int                # dense MLP linear weights (all dense layers)
    experts: int            # routed experts' linear weights (all of them)
    shared_experts: int     # shared experts' linear weights
    router: int             # router / gate weights (kept in 16 bits by every format)
    norms: int              # norm weights (and their biases)
    biases: int             # linear-layer biases
    experts_active: int     # routed expert weights a single token uses
    expert_biases: int = 0          # biases of all routed experts (gpt-oss)
    expert_biases_active: int = 0   # those of the experts a single token uses
    recurrent: int = 0              # Gated DeltaNet / Mamba-2 convolution kernels, decays, dt biases
    hyper: int = 0                  # hyper-connections' stream-mixing weights (DeepSeek-V4, kept in fp32)
    per_layer_table: int = 0        # Gemma 4 E2B / E4B's per-layer token table: part of ``embedding``
    tied_output: int = 0            # a tied embedding's token rows, which the output layer multiplies by: part of
                                    # ``embedding``, read whole by every decode step (V·d; 0 when untied)
    vision: int = 0                 # a vision-language checkpoint's image encoder and projector: not
                                    # part of ``total`` (the language model a decode step runs)

    @property
    def linear(self) -> int:
        """Weights of the matrices that quantized formats compress."""
        return self.attention + self.mlp + self.experts + self.shared_experts

    @property
    def total(self) -> int:
        return (self.embedding + self.lm_head + self.linear + self.router + self.norms + self.biases
                + self.expert_biases + self.recurrent + self.hyper)

    @property
    def small(self) -> int:
        """Norms, biases, routers, the recurrent mixers' small tensors and hyper-connections: what
        every format keeps at its ``other_bits``."""
        return self.norms + self.biases + self.router + self.expert_biases + self.recurrent + self.hyper

    @property
    def active(self) -> int:
        """Parameters one token touches: everything but the experts it is not routed to."""
        return (self.total - self.experts + self.experts_active - self.expert_biases
                + self.expert_biases_active)


def mla_params_per_layer(a: Architecture) -> tuple[int, int]:
    """(linear weights, biases) of one multi-head latent attention block (DeepSeek-V2/V3)."""
    d, h, m = a.hidden_size, a.num_heads, a.mla
    qk = m.qk_nope_head_dim + m.qk_rope_head_dim
    q = d * h * qk if m.q_lora_rank is None else d * m.q_lora_rank + m.q_lora_rank * h * qk
    kv_a = d * (m.kv_lora_rank + m.qk_rope_head_dim)
    kv_b = m.kv_lora_rank * h * (m.qk_nope_head_dim + m.v_head_dim)
    o = h * m.v_head_dim * d
    return q + kv_a + kv_b + o, (d if a.o_bias else 0)


def compressed_attention_params(a: Architecture) -> tuple[int, int, int]:
    """(linear weights, biases and other small tensors, norms) of DeepSeek-V4's attention layers (as
    transformers builds them): the query from a low-rank latent (normed), one K=V projection (normed), the
    grouped output projection (each group of heads to ``o_lora_rank``, then all groups to d) and a sink per
    head; a compressed layer's compressor (kv and gate projections, one pair for each of CSA's two
    overlapping series, a position bias per slot of its window, a norm); a CSA layer's indexer (the same
    at its own width, its queries from the query latent, a weight per head)."""
    c, d, h, hd = a.compressed, a.hidden_size, a.num_heads, a.head_dim
    L, ql, ih, ihd = a.attention_layers, c.q_lora_rank, c.index_heads, c.index_head_dim  # noqa: N806
    weights = L * (d * ql + ql * h * hd + d * hd + h * hd * c.o_lora_rank + c.o_groups * c.o_lora_rank * d)
    weights += c.csa_layers * (2 * d * 2 * hd + 2 * d * 2 * ihd + ql * ih * ihd + d * ih) + c.hca_layers * 2 * d * hd
    small = L * h + c.csa_layers * c.csa_rate * 2 * (hd + ihd) + c.hca_layers * c.hca_rate * hd
    norms = L * (ql + hd) + c.compressed_layers * hd + c.csa_layers * ihd
    return weights, small, norms


def hyper_connection_params(a: Architecture) -> int:
    """DeepSeek-V4's hyper-connections: before the attention and the MoE of each layer a projection of the
    ``n`` streams (n·d wide) to the pre, post and mixing weights (2n + n²) with a bias each and three scales;
    at the end one to n weights, a bias each and a scale."""
    n, d = a.compressed.hc_mult, a.hidden_size
    out = (2 + n) * n
    return a.num_layers * 2 * (out * n * d + out + 3) + n * n * d + n + 1


def attention_params(a: Architecture) -> tuple[int, int]:
    """(linear weights, biases) of all attention layers, each kind of layer with its own geometry
    (:attr:`Architecture.attention_groups`: Gemma 4's full layers, layers without k/v projections)."""
    if a.compressed:
        w, b, _ = compressed_attention_params(a)
        return w, b
    if a.mla:
        w, b = mla_params_per_layer(a)
        return a.attention_layers * w, a.attention_layers * b
    d, h = a.hidden_size, a.num_heads
    weights = biases = 0
    for n, head, kv, has_k, has_v in a.attention_groups:
        v = a.value_width(head)
        q_out, k_out, v_out = h * head, kv * head * int(has_k), kv * v * int(has_v)
        weights += n * (d * query_outputs(a, head) + d * (k_out + v_out) + h * v * d)
        biases += n * ((q_out + k_out + v_out if a.qkv_bias else 0) + (d if a.o_bias else 0)
                       + (h if a.attn_gate_bias else 0))
    return weights, biases + a.sink_layers * h   # a sink logit per head: a bias of the softmax


def query_outputs(a: Architecture, head: int) -> int:
    """Outputs of an attention layer's query projection with heads of width ``head``: the queries, and with them
    the output gate's values (Qwen3-Next's q_proj holds both) and a gate a head (``head_gate``)."""
    h = a.num_heads
    return h * head * (2 if a.attn_output_gate else 1) + (h if a.head_gate else 0)


def mixer_params(g: _RecurrentMixer, d: int) -> tuple[int, int]:
    """(linear weights, small tensors) of one layer of a recurrent mixer: its input projections from d
    (:attr:`in_proj_width` outputs, however many modules), its inner matrices, the output projection back
    to d; its depthwise convolution, and what each kind keeps besides:

    - Gated DeltaNet: a decay and a dt bias per value head;
    - Mamba-2 and Mamba: the convolution's bias, the projections' biases (``proj_bias``, the output's
      apart where set), and per head A_log, D and dt_bias (Mamba-2) or per channel dt_proj's bias, D and a
      row of d_state in A_log (Mamba);
    - LFM2's short convolution: with ``bias`` a bias on each projection and on the convolution;
    - Kimi Delta Attention: a dt bias per channel, a decay per head and the gated norm over a head."""
    weights = d * g.in_proj_width + sum(i * o for i, o in g.inner_linears) + g.out_width * d
    small = g.conv_dim * g.conv_kernel
    if isinstance(g, LinearAttention):
        small += 2 * g.num_value_heads
    elif isinstance(g, KimiDelta):
        small += g.width + g.num_heads + g.head_dim
    elif isinstance(g, ShortConv):
        small += (g.in_proj_width + g.conv_dim + d) if g.bias else 0
    elif isinstance(g, Lightning):
        pass        # (its decay rates are buffers, not weights; its norm is counted with the norms)
    else:   # Mamba-2, Mamba
        small += (g.conv_dim if g.conv_bias else 0) + (g.in_proj_width if g.proj_bias else 0) \
            + (d if g.out_bias else 0)
        small += 3 * g.num_heads if isinstance(g, Mamba2) else g.d_inner * (2 + g.state_size)
    return weights, small


def mlp_params(d: int, f: int, gated: bool, bias: bool) -> tuple[int, int]:
    """(weights, biases) of one MLP of width ``f``: 3·d·f gated, 2·d·f plain."""
    mats = 3 if gated else 2
    biases = ((2 * f if gated else f) + d) if bias else 0
    return mats * d * f, biases


def norm_params_per_layer(a: Architecture) -> int:
    """Norms of one layer, the q/k norms and MLA's latent norms apart (see :func:`norm_params`)."""
    return a.norms_per_layer * a.hidden_size * a.norm_vectors


def norm_params(a: Architecture) -> int:
    """Every layer's norms: q/k norms only where attention is, a gated norm over the value
    head width in each Gated DeltaNet layer."""
    n = a.num_layers * (norm_params_per_layer(a) + a.scalars_per_layer)
    n -= a.noop_blocks * a.hidden_size * a.norm_vectors    # an empty sub-block has no norm before it
    if a.moe_post_norm:     # a norm on each MoE layer's output (A.X K1)
        n += a.moe_layers * a.hidden_size * a.norm_vectors
    if a.mla:   # the latent's norms, in the attention layers only (Kimi Linear's KDA layers have none)
        n += a.attention_layers * (a.mla.kv_lora_rank + (a.mla.q_lora_rank or 0))
    # (q/k norms: a weight, and a bias where they are LayerNorms with one: Persimmon's)
    if a.qk_norm and a.mla:
        n += a.attention_layers * 2 * a.head_dim * a.norm_vectors
    elif a.qk_norm_full:   # one norm over all query heads, one over all key heads
        n += a.norm_vectors * sum(layers * head * (a.num_heads + kv * int(has_k))
                                  for layers, head, kv, has_k, _ in a.attention_groups)
    elif a.qk_norm:   # a q norm and (where the layer projects keys) a k norm as wide as its heads
        n += a.norm_vectors * sum(layers * head * (1 + int(has_k)) for layers, head, _, has_k, _ in a.attention_groups)
    if a.cross_attention_layers:   # Llama 3.2 Vision's cross-attention layers: q and k norms and two gates each
        n += a.cross_attention_layers * (2 * a.head_dim + 2)
    if a.per_layer_input:   # the per-layer inputs' norm, and one after each layer's per-layer projection
        n += a.per_layer_input + a.num_layers * a.hidden_size
    if a.linear_attention:
        n += a.linear_attention.layers * a.linear_attention.value_head_dim
    if a.lightning:      # an RMSNorm over all heads before the output gate
        n += a.lightning.layers * a.lightning.width
    if a.mamba and a.mamba.gated_norm:
        n += a.mamba.layers * a.mamba.d_inner          # the gated RMSNorm before out_proj
    if a.mamba1 and a.mamba1.dt_norms:                 # Jamba: RMSNorms on the time step, B and C
        n += a.mamba1.layers * (a.mamba1.dt_rank + 2 * a.mamba1.state_size)
    if a.compressed:
        n += compressed_attention_params(a)[2]
    return n


@lru_cache(maxsize=256)
def count_params(a: Architecture) -> ParamGroups:
    """Exact parameter counts of ``a`` by group (cached: architectures are frozen)."""
    d = a.hidden_size
    attn_w, attn_b = attention_params(a)
    mixers = [(g.layers, *mixer_params(g, d)) for g in a.recurrent_mixers]
    n_moe = a.moe_layers
    dense = [(n, *mlp_params(d, f, a.gated_mlp, a.mlp_bias)) for f, n in a.dense_mlp_widths]
    experts = experts_active = shared = router = expert_b = expert_b_active = 0
    if a.moe:
        m = a.moe
        one_expert, one_bias = mlp_params(a.expert_width, m.expert_intermediate_size, a.gated_mlp, m.expert_bias)
        experts = n_moe * m.num_experts * one_expert
        experts_active = n_moe * m.experts_per_token * one_expert
        expert_b, expert_b_active = n_moe * m.num_experts * one_bias, n_moe * m.experts_per_token * one_bias
        if m.shared_intermediate_size:
            shared = n_moe * mlp_params(d, m.shared_intermediate_size, a.gated_mlp, False)[0]
        if m.latent_size:    # LatentMoE: down to the experts' width and back up, every token (with the shared ones)
            shared += n_moe * 2 * d * m.latent_size
        router = n_moe * (d * m.num_experts + (d if m.shared_expert_gate else 0)
                          + (m.num_experts if m.router_bias else 0))
        if a.compressed and a.compressed.hash_layers:   # hash-routed layers: a token -> k experts table, no bias
            hashed = a.compressed.hash_layers
            router += hashed * (a.vocab_size * m.experts_per_token - (m.num_experts if m.router_bias else 0))
    per_layer = 0
    if a.per_layer_input:   # projection to every layer's input, and each layer's gate and projection back
        per_layer = d * a.num_layers * a.per_layer_input + a.num_layers * 2 * d * a.per_layer_input
    per_layer_table = a.per_layer_vocab * a.num_layers * a.per_layer_input
    embedding = (a.vocab_size + a.extra_token_rows) * d + a.learned_positions * d + per_layer_table
    final_norm = d * a.norm_vectors * (2 if a.embedding_norm else 1)
    index_w = index_norm = 0
    if a.indexer:   # its query from the query latent, one key head, a weight per head; a LayerNorm on the key
        x = a.indexer
        q_in = a.mla.q_lora_rank if a.mla and a.mla.q_lora_rank else d
        index_w = a.indexer_layers * (x.heads * x.head_dim * q_in + x.head_dim * d + x.heads * d)
        index_norm = a.indexer_layers * 2 * x.head_dim
    return ParamGroups(
        embedding=embedding,
        lm_head=0 if a.tie_embeddings else a.vocab_size * d,
        attention=attn_w + sum(n * w for n, w, _ in mixers) + index_w,
        mlp=sum(n * w for n, w, _ in dense) + per_layer,
        experts=experts,
        shared_experts=shared,
        router=router,
        norms=norm_params(a) + final_norm + index_norm,
        biases=attn_b + sum(n * b for n, _, b in dense) + (a.vocab_size if a.lm_head_bias else 0),
        experts_active=experts_active,
        expert_biases=expert_b,
        expert_biases_active=expert_b_active,
        recurrent=sum(n * small for n, _, small in mixers),
        hyper=hyper_connection_params(a) if a.compressed else 0,
        per_layer_table=per_layer_table,
        tied_output=a.vocab_size * d if a.tie_embeddings else 0,
        vision=a.vision.params if a.vision else 0,
    )
