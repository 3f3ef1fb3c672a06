"""Weight memory per tensor group for a format."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .architecture import Architecture
from .formats import WeightFormat, gguf_type_bits, stored_kernel
from .params import ParamGroups, count_params, mlp_params, query_outputs


@dataclass(frozen=True)
class WeightBytes:
    """Bytes of the weights per group, for the whole model (no parallel split)."""

    embedding: float
    lm_head: float
    linear: float
    other: float        # norms, biases, routers
    per_layer_table: float = 0.0  # the per-layer token table (Gemma 4 E2B / E4B), part of ``embedding``
    vision: float = 0.0  # image encoder of a vision-language checkpoint: loaded or not by the
                         # engine, so not part of ``total`` (see memory.weights_per_card)

    @property
    def total(self) -> float:
        """The language model's weights."""
        return self.embedding + self.lm_head + self.linear + self.other


@lru_cache(maxsize=1024)
def linear_roles(a: Architecture) -> tuple[tuple[str, int, int], ...]:
    """(role, weights, row length) of every group of linear tensors: the roles K-quant mixes
    treat apart ("v" attn_v, "o" attn_output, "down" ffn_down, "expert" and "expert_down" the
    routed experts', "base" the rest), and the row length a block must divide (the tensor's
    input width).  The weights add up to :attr:`ParamGroups.linear`."""
    d, h = a.hidden_size, a.num_heads
    n_attn, mats = a.attention_layers, (3 if a.gated_mlp else 2)
    roles: list[tuple[str, int, int]] = []
    c = a.compressed
    if c:   # DeepSeek-V4: query latent and heads, the K=V projection, the grouped output projection's two steps
        ql, hd, ihd = c.q_lora_rank, a.head_dim, c.index_head_dim
        roles += [("base", n_attn * d * ql, d), ("base", n_attn * ql * h * hd, ql), ("base", n_attn * d * hd, d),
                  ("o", n_attn * h * hd * c.o_lora_rank, h * hd // c.o_groups),
                  ("o", n_attn * c.o_groups * c.o_lora_rank * d, c.o_groups * c.o_lora_rank),
                  # the compressors' kv and gate projections; the CSA indexers' own, their queries, head weights
                  ("base", c.csa_layers * 2 * d * 2 * (hd + ihd) + c.hca_layers * 2 * d * hd, d),
                  ("base", c.csa_layers * ql * c.index_heads * ihd, ql),
                  ("base", c.csa_layers * d * c.index_heads, d)]
    elif a.mla:
        m = a.mla
        qk = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank is None:
            roles.append(("base", n_attn * d * h * qk, d))
        else:
            roles += [("base", n_attn * d * m.q_lora_rank, d), ("base", n_attn * m.q_lora_rank * h * qk, m.q_lora_rank)]
        roles += [("base", n_attn * d * (m.kv_lora_rank + m.qk_rope_head_dim), d),
                  ("base", n_attn * m.kv_lora_rank * h * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank),
                  ("base", n_attn * h * m.v_head_dim * d, h * m.v_head_dim)]
    else:
        for n, head, kv, has_k, has_v in a.attention_groups:
            kv_out, v = kv * head, a.value_width(head)
            roles += [("base", n * d * query_outputs(a, head), d),
                      ("base", n * d * kv_out if has_k else 0, d),
                      ("v", n * d * kv * v if has_v else 0, d), ("o", n * h * v * d, h * v)]
    if a.indexer:   # DeepSeek sparse attention's indexer: queries from the query latent, one key, a weight per head
        x, q_in = a.indexer, (a.mla.q_lora_rank if a.mla and a.mla.q_lora_rank else d)
        roles += [("base", a.indexer_layers * x.heads * x.head_dim * q_in, q_in),
                  ("base", a.indexer_layers * (x.head_dim + x.heads) * d, d)]
    for g in a.recurrent_mixers:
        roles += [("base", g.layers * d * g.in_proj_width, d), ("base", g.layers * g.out_width * d, g.out_width)]
        roles += [("base", g.layers * rows * cols, rows) for rows, cols in g.inner_linears]
    if a.per_layer_input:   # Gemma 4 E2B / E4B: to every layer's input, each layer's gate and projection back
        w = a.per_layer_input
        roles += [("base", a.num_layers * d * w * 2, d), ("base", a.num_layers * w * d, w)]
    ffns = [(n, f, "", d) for f, n in a.dense_mlp_widths]
    if a.moe:
        ffns.append((a.moe_layers * a.moe.num_experts, a.moe.expert_intermediate_size, "expert", a.expert_width))
        if a.moe.shared_intermediate_size:
            ffns.append((a.moe_layers, a.moe.shared_intermediate_size, "", d))
        if a.moe.latent_size:   # LatentMoE's projections to the experts' width and back
            w = a.moe.latent_size
            roles += [("base", a.moe_layers * d * w, d), ("base", a.moe_layers * w * d, w)]
    for count, f, kind, width in ffns:
        if count:
            roles += [(kind or "base", count * (mats - 1) * width * f, width),
                      ((kind + "_down") if kind else "down", count * f * width, f)]
    return tuple(roles)


@lru_cache(maxsize=4096)     # (the machine view asks for every catalog model in 16 formats)
def largest_tensor_bytes(a: Architecture, fmt: WeightFormat, experts_only: bool = False) -> float:
    """Bytes of the largest single weight tensor of one layer in ``fmt`` (``experts_only``: of the routed experts'
    stacked tensors, num_experts x width x intermediate each): what llama.cpp copies to the GPU for a prompt's
    pass where that tensor stays in RAM (:attr:`~vramgui.core.engines.EngineProfile.op_offload_copies`).  The
    attention's query and output projections (MLA's and DeepSeek-V4's are smaller than their layers' MLPs and
    are not listed), a recurrent mixer's input and output projections, each MLP's matrices."""
    d, h = a.hidden_size, a.num_heads
    tensors: list[tuple[str, int, int]] = []     # (role, weights, row length) of one tensor
    if a.moe:
        m = a.moe
        tensors += [("expert", m.num_experts * a.expert_width * m.expert_intermediate_size, a.expert_width),
                    ("expert_down", m.num_experts * m.expert_intermediate_size * a.expert_width,
                     m.expert_intermediate_size)]
    if not experts_only:
        widths = [f for f, _ in a.dense_mlp_widths]
        if a.moe and a.moe.shared_intermediate_size:
            widths.append(a.moe.shared_intermediate_size)
        for f in widths:
            tensors += [("base", d * f, d), ("down", f * d, f)]
        if not (a.mla or a.compressed):
            for _, head, _, _, _ in a.attention_groups:
                v = a.value_width(head)
                tensors += [("base", d * query_outputs(a, head), d), ("o", h * v * d, h * v)]
        for g in a.recurrent_mixers:
            tensors += [("base", d * g.in_proj_width, d), ("base", g.out_width * d, g.out_width)]
    return max((n * _role_bits(fmt, role, row) / 8 for role, n, row in tensors), default=0.0)


def _role_bits(fmt: WeightFormat, role: str, row: int) -> float:
    """Effective bits of one role's tensors in ``fmt`` (a llama.cpp mix: with its fallback
    types for rows a K-quant's block does not divide)."""
    g = fmt.gguf
    if role.startswith("expert") and fmt.expert_bits is not None:   # (stored apart: MXFP4, in a GGUF too)
        return fmt.expert_bits
    if g is None:
        return fmt.linear_bits
    base = gguf_type_bits(g.base, row)
    if role == "v":
        return (1 - g.v_share) * base + g.v_share * gguf_type_bits(g.v, row)
    if role == "o" and g.o:
        return gguf_type_bits(g.o, row)
    if role in ("down", "expert_down"):
        return (1 - g.down_share) * base + g.down_share * gguf_type_bits(g.down, row)
    return base


@lru_cache(maxsize=4096)     # (the machine view asks for every catalog model in 13 formats: 1,469 of them)
def weight_bytes(a: Architecture, fmt: WeightFormat, params: ParamGroups | None = None) -> WeightBytes:
    """Weight bytes of ``a`` stored as ``fmt``.

    Linear layers at the format's effective bits (with K-mix exceptions for ``attn_v``,
    ``attn_output`` and ``ffn_down``, and llama.cpp's fallback types for rows a K-quant's
    block does not divide), routed experts at ``expert_bits`` where the format stores them
    apart (MXFP4); embeddings and LM head at the format's own bits for them; norms, biases
    and routers at ``other_bits``.
    """
    p = params or count_params(a)
    roles = linear_roles(a)
    linear_bits_total = sum(n * _role_bits(fmt, role, row) for role, n, row in roles)
    small_bits = p.small * fmt.other_bits
    if fmt.bnb_modules:     # HF's bitsandbytes: the modules replace_with_bnb_linear replaces, the routed experts apart
        from .training import bnb_module_shapes  # (here: training reads this module)
        replaced = float(sum(x * y * c for x, y, c in bnb_module_shapes(a, passed=False)))
        rest = sum(n for role, n, _ in roles if not role.startswith("expert")) - replaced
        # the linear weights of a module it passes by (DeepSeek-V4's grouped o_a_proj) in 16 bits; a small
        # nn.Linear counted with the norms (a router, a shared expert's gate) quantized
        linear_bits_total += max(rest, 0.0) * (16.0 - fmt.linear_bits) - min(rest, 0.0) * fmt.linear_bits
        small_bits += min(rest, 0.0) * fmt.other_bits
    d = a.hidden_size
    g = fmt.gguf
    embedding_bits, lm_head_bits = fmt.embedding_bits, fmt.lm_head_bits
    if g:   # the output layer at the mix's output type (Q8_0 for Falcon), and so a tied embedding too
        lm_head_bits = gguf_type_bits("q8_0" if a.model_type == "falcon" else g.out, d)
        embedding_bits = lm_head_bits if a.tie_embeddings else gguf_type_bits(g.base, d)
    return WeightBytes(
        embedding=p.embedding * embedding_bits / 8.0,
        lm_head=p.lm_head * lm_head_bits / 8.0,
        linear=linear_bits_total / 8.0,
        other=small_bits / 8.0,
        per_layer_table=p.per_layer_table * embedding_bits / 8.0,
        vision=(p.vision * vision_bits(fmt) if fmt.vision_linear_bits is None or a.vision is None else
                a.vision.linear * fmt.vision_linear_bits + a.vision.other * 16.0) / 8.0,
    )


def vision_bits(fmt: WeightFormat) -> float:
    """Bits of an image encoder's weights in ``fmt``: its own where an imported file stored it,
    else 16 (quantized checkpoints leave the encoder in 16 bits; GGUF keeps it in a separate
    16-bit mmproj file), 32 when the whole model is fp32."""
    if fmt.vision_bits is not None:
        return fmt.vision_bits
    return 32.0 if fmt.linear_bits >= 32 else 16.0


def output_layer_bytes(a: Architecture, wb: WeightBytes, p: ParamGroups | None = None) -> float:
    """Bytes of the output layer: the model's own LM head, or where the embedding is tied to it,
    the table's token rows (which the output layer multiplies by, and which llama.cpp, keeping
    the table in system RAM, copies to the card holding the output layer)."""
    if not a.tie_embeddings:
        return wb.lm_head
    p = p or count_params(a)
    return wb.embedding * p.tied_output / p.embedding if p.embedding else 0.0


@lru_cache(maxsize=8192)     # (the machine view: two per model and format)
def active_weight_bytes(a: Architecture, fmt: WeightFormat, experts_touched: float | None = None) -> float:
    """Bytes of weights read for one decode step when ``experts_touched`` experts per MoE
    layer are used (default: the experts one token uses).  Dense models: all weights but
    the embedding table (a lookup reads one row per token), except where the table is tied to
    the output layer, which multiplies by all its token rows (Gemma, Llama 3.2 1B / 3B: a
    fifth of the 4B's bytes)."""
    p = count_params(a)
    w = weight_bytes(a, fmt, p)
    read = w.total - w.embedding + (output_layer_bytes(a, w, p) if a.tie_embeddings else 0.0)
    if a.moe is None or p.experts == 0:
        return read
    n_moe = a.moe_layers
    one_expert, one_bias = mlp_params(a.expert_width, a.moe.expert_intermediate_size, a.gated_mlp,
                                      a.moe.expert_bias)
    touched = a.moe.experts_per_token if experts_touched is None else experts_touched
    unused = n_moe * (a.moe.num_experts - touched) * (one_expert * expert_bits(a, fmt) + one_bias * fmt.other_bits) / 8
    return read - unused


@lru_cache(maxsize=4096)
def expert_bits(a: Architecture, fmt: WeightFormat) -> float:
    """Effective bits of a routed expert's weights in ``fmt``."""
    if a.moe is None:
        return fmt.expert_bits or fmt.linear_bits
    roles = [(role, n, row) for role, n, row in linear_roles(a) if role.startswith("expert")]
    return sum(n * _role_bits(fmt, role, row) for role, n, row in roles) / sum(n for _, n, _ in roles)


FILE_FORMAT = "file"   # the weight format id meaning "as stored in the imported file"


def file_weight_format(model) -> WeightFormat:
    """The effective bits of each tensor group of an imported file, as a WeightFormat, so
    that ``weight_bytes`` returns the file's exact bytes per group."""
    fw = model.file_weights
    p = count_params(model.architecture)

    def bits(nbytes: float, params: int, fallback: float) -> float:
        return min(max(8.0 * nbytes / params, 0.01), 32.0) if params and nbytes else fallback

    kinds = {d.upper() for d in fw.dtypes}
    # an image encoder the config does not describe stays with the linear layers (the total is exact)
    linear = bits(fw.linear_bytes + (0.0 if p.vision else fw.vision_bytes), p.linear, 16.0)
    # by the linear layers' bits, not the storage type most tensors have: an FP8 or NVFP4 checkpoint holds more
    # scalar fp32 scales (weight_scale, input_scale) than weights, and was read as fp32
    if fw.kind == "gguf":
        kernel = "gguf"
    elif linear > 24:
        kernel = "fp32"
    elif linear > 12:
        kernel = "fp16"
    elif linear > 6:
        # fp8 weights (F8_E4M3 tensors) multiply in fp8; int8 tensors (I8) as W8A8 checkpoints (compressed-tensors'
        # int-quantized) and bitsandbytes' LLM.int8() store their weights: int8 matmuls; 8-bit weights packed into
        # I32 words (GPTQ, compressed-tensors W8A16) are dequantized to multiply 16-bit activations
        kernel = "fp8" if any(d.startswith("F8") for d in kinds) else "int8" if "I8" in kinds else "w8a16"
    else:
        # NVFP4's packed weights multiply in FP4 where the checkpoint's config quantizes the activations too (W4A4);
        # the tensor table does not say (formats.stored_kernel)
        kernel = stored_kernel(model.config) or "w4a16"
    embedding = bits(fw.embedding_bytes, p.embedding, 16.0)
    return WeightFormat(
        id=FILE_FORMAT, name=f"as stored ({fw.kind}, {fw.main_dtype})", linear_bits=linear,
        embedding_bits=embedding, lm_head_bits=bits(fw.lm_head_bytes, p.lm_head, embedding),
        other_bits=bits(fw.other_bytes, p.small, 16.0), kernel=kernel,
        vision_bits=bits(fw.vision_bytes, p.vision, 16.0) if p.vision else None,
        source=f"tensor table of {fw.path}: {fw.n_tensors} tensors, {fw.total_bytes:,.0f} bytes")
