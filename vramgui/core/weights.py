"""Weight memory per tensor group for a format."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .architecture import Architecture
from .formats import WeightFormat
from .params import ParamGroups, count_params, mlp_params


@dataclass(frozen=True)
class WeightBytes:
    """Bytes of the weights per group, for the whole model (no parallel split)."""

    embedding: float
    lm_head: float
    linear: float
    other: float        # norms, biases, routers

    @property
    def total(self) -> float:
        return self.embedding + self.lm_head + self.linear + self.other


def _linear_role_counts(a: Architecture, p: ParamGroups, with_experts: bool = True) -> tuple[int, int, int]:
    """(attn_v, attn_output, ffn_down) weight counts: the tensors K-quant mixes treat apart
    (``ffn_down`` without the routed experts' when the format stores those apart)."""
    if a.mla:
        v = o = 0
    else:
        v = a.attention_layers * a.hidden_size * a.num_kv_heads * a.head_dim
        o = a.attention_layers * a.num_heads * a.head_dim * a.hidden_size
    mats = 3 if a.gated_mlp else 2
    down = (p.mlp + (p.experts if with_experts else 0) + p.shared_experts) // mats
    return v, o, down


@lru_cache(maxsize=512)
def weight_bytes(a: Architecture, fmt: WeightFormat, params: ParamGroups | None = None) -> WeightBytes:
    """Weight bytes of ``a`` stored as ``fmt``.

    Linear layers at the format's effective bits (with K-mix exceptions for ``attn_v``,
    ``attn_output`` and ``ffn_down``), routed experts at ``expert_bits`` where the format
    stores them apart (MXFP4); embeddings and LM head at the format's own bits for them;
    norms, biases and routers at ``other_bits``.
    """
    p = params or count_params(a)
    apart = fmt.expert_bits is not None
    v, o, down = _linear_role_counts(a, p, with_experts=not apart)
    experts = p.experts if apart else 0
    rest = p.linear - experts - v - o - down
    bits = fmt.linear_bits
    linear_bits_total = (rest * bits + v * (fmt.attn_v_bits or bits) + o * (fmt.attn_output_bits or bits)
                         + down * (fmt.ffn_down_bits or bits) + experts * (fmt.expert_bits or 0.0))
    return WeightBytes(
        embedding=p.embedding * fmt.embedding_bits / 8.0,
        lm_head=p.lm_head * fmt.lm_head_bits / 8.0,
        linear=linear_bits_total / 8.0,
        other=p.small * fmt.other_bits / 8.0,
    )


@lru_cache(maxsize=1024)
def active_weight_bytes(a: Architecture, fmt: WeightFormat, experts_touched: float | None = None) -> float:
    """Bytes of weights read for one decode step when ``experts_touched`` experts per MoE
    layer are used (default: the experts one token uses).  Dense models: all weights but
    the embedding table (a lookup reads one row per token)."""
    p = count_params(a)
    w = weight_bytes(a, fmt, p)
    if a.moe is None or p.experts == 0:
        return w.total - w.embedding
    n_moe = a.moe_layers
    one_expert, one_bias = mlp_params(a.hidden_size, a.moe.expert_intermediate_size, a.gated_mlp,
                                      a.moe.expert_bias)
    touched = a.moe.experts_per_token if experts_touched is None else experts_touched
    unused = n_moe * (a.moe.num_experts - touched) * (one_expert * expert_bits(a, fmt) + one_bias * fmt.other_bits) / 8
    return w.total - w.embedding - unused


def expert_bits(a: Architecture, fmt: WeightFormat) -> float:
    """Effective bits of a routed expert's weights in ``fmt``."""
    if fmt.expert_bits is not None:
        return fmt.expert_bits
    mats = 3 if a.gated_mlp else 2
    down = fmt.ffn_down_bits or fmt.linear_bits
    return ((mats - 1) * fmt.linear_bits + down) / mats


FILE_FORMAT = "file"   # the weight format id meaning "as stored in the imported file"


def file_weight_format(model) -> WeightFormat:
    """The effective bits of each tensor group of an imported file, as a WeightFormat, so
    that ``weight_bytes`` returns the file's exact bytes per group."""
    fw = model.file_weights
    p = count_params(model.architecture)

    def bits(nbytes: float, params: int, fallback: float) -> float:
        return min(max(8.0 * nbytes / params, 0.01), 32.0) if params and nbytes else fallback

    main = fw.main_dtype.upper()
    linear = bits(fw.linear_bytes, p.linear, 16.0)
    if fw.kind == "gguf":
        kernel = "gguf"
    elif main in ("F32", "F64"):
        kernel = "fp32"
    elif main.startswith("F8"):
        kernel = "fp8"
    elif linear > 12:
        kernel = "fp16"
    elif linear > 6:
        kernel = "int8"
    else:
        kernel = "w4a16"
    embedding = bits(fw.embedding_bytes, p.embedding, 16.0)
    return WeightFormat(
        id=FILE_FORMAT, name=f"as stored ({fw.kind}, {fw.main_dtype})", linear_bits=linear,
        embedding_bits=embedding, lm_head_bits=bits(fw.lm_head_bytes, p.lm_head, embedding),
        other_bits=bits(fw.other_bytes, p.small, 16.0), kernel=kernel,
        source=f"tensor table of {fw.path}: {fw.n_tensors} tensors, {fw.total_bytes:,.0f} bytes")
