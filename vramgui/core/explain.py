"""Explanations of each number: the formula, the formula with the scenario's numbers
substituted, and the assumptions behind it with their sources.

The window shows them as tooltips on the breakdown strip (:func:`explain`, plain text)
and in the explain panel (:func:`explain_items`, structured).  They are built here so the
formulas live in one place, next to the code that evaluates them; every result shown is
the value the estimate itself returns, and every source is data the presets, the engine
profiles (``EngineProfile.sources``) and the speed model (``speed.SOURCES``) carry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .architecture import layout_note
from .engines import (
    GATHERS_EXPERTS,
    batch_defaults,
    engine_share,
    latent_cache,
    mla_absorbed,
    mla_expansion,
    mla_expansion_reads,
    sdpa_math_path,
    up_projected_gguf,
)
from .fit import budget_bytes
from .formats import K_FALLBACK, wide_experts
from .memory import (
    MATH_SDPA_SCORE_BYTES,
    communication_bytes,
    compressed_entry_elements,
    eager_score_bytes,
    estimate_memory,
    heads_per_card,
    kv_elements_per_token_layer,
    kv_group_slots,
    layer_share,
    memory_terms,
    module_extra_items,
    moe_workspace_bytes,
    packed_latent_bytes,
    rope_table_bytes,
    split_layers,
    state_paging,
    window_cells,
)
from .params import count_params
from .presets import UNIFIED_GPU_SHARE_SOURCE
from .report import batched_decode_note, card_note, data_parallel_note, engine_note, nodes_note, tp_split_note
from .scenario import Scenario
from .speed import (
    BNB_DEQUANT_WEIGHTS_PER_S,
    BNB_LINEAR_KERNELS,
    BW_EFFICIENCY,
    DEFAULT_LINK_GB_S,
    EAGER_KV_READS_PER_HEAD,
    EXPERT_GATHER_READS,
    EXPERT_TOKEN_READ_COST,
    EXPOSED_16BIT_SHARE,
    GDN_LAYER_S,
    GDN_PROMPT_LAYER_S,
    GGUF_BW_CURVES,
    HF_LAYER_KERNELS,
    HOST_S_PER_LAYER,
    LAYER_S,
    MMQ_WEIGHTS_PER_SM_CLOCK,
    MMVQ_MAX_COLUMNS,
    MMVQ_OPS_PER_SM_CLOCK,
    MOE_LAYER_S,
    PRE_AMPERE_DECODE_FACTOR,
    SOURCES,
    STEP_OVERHEAD_S,
    W8_FACTOR_BY_ROW,
    Costs,
    bandwidth_efficiency,
    bandwidth_efficiency_sources,
    bnb_linears,
    card_of,
    compute_efficiency_sources,
    decode_parts,
    dequant_time,
    dp4a_peak,
    estimate_speed,
    expert_gemm_efficiency,
    expert_union,
    exposed_time,
    host_layers,
    kernel_used,
    overlap_factor,
    own_attention_rate,
    prefill_parts,
    prompt_split,
    prompt_terms,
    served,
    speed_key,
    speed_terms,
)
from .units import GIB, MIB, duration_parts, duration_text
from .weights import linear_roles, weight_bytes


@dataclass(frozen=True)
class Assumption:
    """A number the estimate takes as given: what it is, its value here, where it comes from."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class Explanation:
    """One number of the breakdown.

    ``formula`` is the rule in words, ``substituted`` the same rule with the scenario's
    numbers and the result, ``note`` what the engine does differently, if anything."""

    key: str
    title: str
    result: str
    formula: str
    substituted: str
    note: str = ""
    assumptions: tuple[Assumption, ...] = ()

    @property
    def text(self) -> str:
        """Plain text for a tooltip: formula, numbers, note."""
        return "\n".join(x for x in (self.formula, self.substituted, self.note) if x)


def _g(x: float) -> str:
    return f"{x / GIB:,.2f} GiB"


def _share(x: float) -> str:
    """An efficiency (a share of a peak) in a substitution: two decimals, or two significant figures under 0.1
    (llama.cpp's FP8 matmuls at 0.064 of the FP8 peak read "0.06", and the line's terms no longer gave its
    result)."""
    return f"{x:.2f}" if x >= 0.1 or x == 0 else f"{x:.2g}"


def _mib(x: float) -> str:
    return f"{x / 2**20:,.1f} MiB"


def _ms(x: float) -> str:
    return f"{x * 1e3:,.2f} ms"


def _time(x: float) -> str:
    """A time in ms with two decimals where people read it in ms, else as they read it (s, min,
    h: :func:`~vramgui.core.units.duration_parts`)."""
    return _ms(x) if duration_parts(x)[2] == "ms" else duration_text(x)


def _gpu_source(gpu, key: str) -> str:
    return gpu.sources.get(key) or gpu.sources.get("all") or "not given in the preset"


def explain(s: Scenario) -> dict[str, str]:
    """Keys: weights, kv_cache, activations, overhead, total, decode, prefill, served."""
    return {e.key: e.text for e in explain_items(s)}


def explain_items(s: Scenario) -> tuple[Explanation, ...]:
    """Weights, KV cache, activations, overhead, total, decode, prefill, served, in that order."""
    m = estimate_memory(s)
    sp = estimate_speed(s, with_knee=False)
    return (_weights(s, m), _kv(s, m), _activations(s, m), _overhead(s, m), _total(s, m),
            _decode(s, sp), _prefill(s, sp), _served(s))


def explain_cost(s: Scenario, c: Costs) -> Explanation:
    """Cost per million generated tokens at the scenario's batch, served (:func:`_served`),
    from the user's price per card-hour (vramgui ships no prices), and the batch that fits
    and costs least."""
    note = "" if c.prompts_counted else "The prompts' time is not counted: this card has no FLOP/s figure. "
    if c.cheapest_batch is not None and c.cheapest_batch != s.batch:
        note += f"Cheapest batch that fits in memory: {c.cheapest_batch:,} at {c.cheapest_per_million:,.4g} per " \
                "million tokens."
    return Explanation(
        "cost", "Cost per million tokens", f"{c.per_million:,.4g}",
        "Cost per million generated tokens = price per card-hour × cards ÷ 3,600 s ÷ served tokens/s × 10⁶ "
        "(served tokens/s: the batch's generated tokens over the decode steps and the prompts' prefill; "
        "in the currency of your price)",
        f"= {c.price_per_card_hour:,.4g} × {s.n_gpus} ÷ 3,600 ÷ {c.tokens_per_s:,.1f} × 10⁶ = {c.per_million:,.4g}",
        note.strip())


def _served(s: Scenario) -> Explanation:
    """Steady serving of the batch (:class:`~vramgui.core.speed.Served`) with the numbers."""
    sv = served(s)
    b, out = s.batch, max(s.output_tokens, 1)
    step, tpot, thr = float(sv.decode_step_s), float(sv.tpot_s), float(sv.throughput_tokens_per_s)
    if sv.compute_known:
        prompts, others = float(sv.prefill_s), float(sv.others_prefill_s)
        substituted = (f"= {b:,} × {out:,} ÷ ({out:,} × {_ms(step)} + {_ms(prompts)}) = {thr:,.1f} tokens/s; "
                       f"per output token {_ms(step)} + {_ms(others)} ÷ {out:,} = {_ms(tpot)}.")
        note = f"The prompts take {float(sv.prefill_share):.0%} of the cards' time."
    else:
        substituted = (f"= {b:,} ÷ {_ms(step)} = {thr:,.1f} tokens/s, decode only: this card has no FLOP/s "
                       "figure to time the prompts.")
        note = ""
    return Explanation(
        "served", "Served (continuous batching)", f"{_ms(tpot)} per token · {thr:,.0f} tokens/s",
        "Serving the batch's requests, each new one taking a finished one's place: generated tokens/s = batch × "
        "output ÷ (output × mean decode step + prefill of the batch's prompts); a request's time per output "
        "token = mean decode step + the other requests' prefill spread over its output (a serving benchmark's "
        "TPOT). The mean decode step is taken over the output's growing context.",
        substituted, note,
        (Assumption("Served requests", "every finished request replaced at once (a busy server)", SOURCES["served"]),
         *_efficiency_assumptions(s, speed_terms(s))))


def _weights(s: Scenario, m) -> Explanation:
    a, p, fmt = s.model.architecture, s.profile, s.weight_format
    params = count_params(a)
    wb = weight_bytes(a, fmt, params)
    unchecked = layout_note(a, encoder=False)   # the image encoder's own caution is in _vision_note
    head = params.embedding + params.lm_head
    other = params.total - params.linear - head

    def bits(nbytes: float, n: int) -> str:
        return f"{nbytes * 8 / n:.3g} bits" if n else "-"

    split = f"split over {s.n_gpus} cards ({p.parallel} parallel)" if s.n_gpus > 1 else "one card"
    if s.stages > 1:
        split = (f"split over {s.n_gpus} cards: {s.stages} pipeline stages of {s.tensor_parallel} (a stage's share "
                 "of the layers, the token table on the first, the output layer on the last)")
    assumptions = [Assumption("Weight format", f"{fmt.name}: {fmt.linear_bits:.3g} bits per linear weight",
                              fmt.source),
                   Assumption("Parameters", f"{params.total / 1e9:,.2f} B counted from the architecture"
                              + (" with the generic decoder layout (model type not checked)" if unchecked
                                 else ""), s.model.source)]
    if p.embedding_on_host or s.n_gpus > 1 or a.vision:
        assumptions.append(Assumption(f"{p.name}: where weights live", p.parallel + " split" if s.n_gpus > 1
                                      else "embedding table in system RAM" if p.embedding_on_host
                                      else "every tensor on the card", p.sources["weights"]
                                      + (" " + p.sources["parallel"] if s.n_gpus > 1 else "")))
    vision, loaded = "", a.vision is not None and p.loads_vision
    if loaded:
        vision = f" + image encoder {params.vision / 1e6:,.0f} M × {bits(wb.vision, params.vision)}"
    return Explanation(
        "weights", "Weights", f"{_g(float(m.weights))} per card",
        "Weights = linear params × their bits + embedding/LM head params × their bits + norms, biases, "
        "routers × their bits (÷ 8 bits per byte)" + (" + the image encoder's params × their bits" if loaded else ""),
        f"= {params.linear / 1e9:,.2f} B × {bits(wb.linear, params.linear)} + {head / 1e9:,.2f} B × "
        f"{bits(wb.embedding + wb.lm_head, head)} + {other / 1e6:,.2f} M × {bits(wb.other, other)}{vision} = "
        f"{_g(wb.total + (wb.vision if loaded else 0.0))} in all; {split}: {_rope_part(s, float(m.weights))}"
        f"{_g(float(m.weights))} per card"
        + ("; the token-embedding table stays in system RAM" if p.embedding_on_host else "") + ".",
        f"Format: {fmt.name} — {fmt.source}." + _fallback_note(a, fmt) + _vision_note(a, p)
        + (" " + unchecked if unchecked else ""),
        tuple(assumptions))


def _rope_part(s: Scenario, per_card: float) -> str:
    """What an engine keeps beside the weights on each card, as a sum's first terms: its rotary tables (vLLM,
    SGLang), or the buffers and fp32 routers of transformers' model classes (HF transformers)."""
    a = s.model.architecture
    n, rope = a.rope_table_elements, rope_table_bytes(s)
    extras = module_extra_items(a, s.weight_format, s.profile)
    layered = sum(b for _, b, per_layer in extras if per_layer)
    whole = sum(b for _, b, per_layer in extras if not per_layer)
    if not rope and not extras:
        return ""
    terms = [f"rotary cos/sin tables {n:,} values × {rope / n:g} bytes = {_g(rope)} (every position the config "
             "allows)"] if rope else []
    share = layer_share(s)
    terms += [f"transformers' {what} = {_g(b)}" + (f" × {share:.3g} (this card's share of the layers)"
                                                   if per_layer and share < 1 else "")
              for what, b, per_layer in extras]
    return f"{_g(per_card - rope - layered * share - whole)} + " + " + ".join(terms) + " = "


def _vision_note(a, p) -> str:
    """What the weights say about a vision-language checkpoint's image encoder."""
    v = a.vision
    if v is None:
        return ""
    how = ("counted from its modules" if v.exact else "estimated as a generic ViT from its depth and widths")
    what = (f" The checkpoint's image encoder ({v.kind}, {v.layers} layers of {v.hidden_size:,}, with its projector: "
            f"{v.params / 1e6:,.0f} M parameters, {how}) ")
    if not p.loads_vision:
        return what + f"is not loaded by {p.name}: it ships as a separate mmproj file (add it with --mmproj)."
    return (what + "is loaded with the language model and kept in 16 bits by quantized formats; decode never runs "
            "it, and the memory an image's encoding takes is not counted.")


def _fallback_note(a, fmt) -> str:
    """Where a llama.cpp K-quant mix cannot use its types: the rows its block does not divide."""
    if fmt.gguf is None:
        return ""
    rows = sorted({row for _, _, row in linear_roles(a) if row % 256} | ({a.hidden_size} if a.hidden_size % 256
                                                                           else set()))
    if not rows or not any(t in K_FALLBACK for t in (fmt.gguf.base, fmt.gguf.v, fmt.gguf.down, fmt.gguf.out)):
        return ""
    return (f" Rows of {', '.join(f'{r:,}' for r in rows)} weights are not a multiple of a K-quant's 256-weight "
            "block: llama.cpp stores those tensors in its fallback types (Q4_K as Q5_0, Q6_K as Q8_0, Q2_K and "
            "Q3_K as IQ4_NL), as counted here.")


def _kv_heads(a, layers: int, kv: float, head: int) -> str:
    """Cache elements per token of ``layers`` layers of ``kv`` heads in words: K and V as wide (2 × ...), or
    each its own width (MiMo-V2-Flash's 192-wide keys, 128-wide values)."""
    v = a.value_width(head)
    return f"2 × {layers} × {kv:g} × {head}" if v == head else f"{layers} × {kv:g} × ({head} + {v})"


def _kv(s: Scenario, m) -> Explanation:
    a, p, kv = s.model.architecture, s.profile, s.kv
    h_q, h_kv = heads_per_card(a, s.tensor_parallel, p)
    tokens = int(float(m.kv_tokens_per_seq))
    share = layer_share(s)
    latent = latent_cache(s)
    slots = kv_group_slots(s)        # the engine's padding layers hold cache too
    # (the layers that keep a cache of their own: not Llama 3.2 Vision's cross-attention ones, nor Gemma 4's shared)
    own = sum(slots) if slots else sum(a.cache_layers)
    if latent:
        chain = f"{a.mla.kv_lora_rank + a.mla.qk_rope_head_dim} latent × {a.attention_layers}"
    elif a.mla:         # up-projected: each head's key of the no-RoPE and RoPE dimensions, its value
        chain = f"{a.attention_layers} × {h_q:g} × ({a.q_head_dim} + {a.v_head_dim})"
    else:
        chain = _kv_heads(a, own, h_kv, a.head_dim)
    # an indexer's keys in the engine's own format, as a share of the cache dtype's elements
    in_own_format = f" × {p.index_key_bytes:.4g}/{kv.bytes_per_element:.4g}" if p.index_key_bytes else ""
    x = a.indexer
    if x is not None:   # MLA's cache plus the indexer's key, in the layers that own an indexer
        packed = packed_latent_bytes(a, s)
        per_layer = (f"{packed:g} packed latent" if packed else
                     f"{a.mla.kv_lora_rank + a.mla.qk_rope_head_dim} latent" if latent
                     else f"{h_kv:g} × ({a.q_head_dim} + {a.v_head_dim})")
        chain = f"({per_layer} × {a.attention_layers} + {x.head_dim} index key × {a.indexer_layers}{in_own_format})"
    wide = a.global_attention
    own_windowed, own_full = a.cache_layers
    if wide is not None and not latent:
        g_kv = kv_elements_per_token_layer(a, s, full=True) / (wide.head_dim + a.value_width(wide.head_dim))
        chain = (f"({_kv_heads(a, own_windowed, h_kv, a.head_dim)} + "
                 f"{_kv_heads(a, own_full, g_kv, wide.head_dim)})")
    elif a.kv_shared_layers and not latent:
        chain = _kv_heads(a, own_windowed + own_full, h_kv, a.head_dim)
    state = float(m.state_bytes_per_seq)
    g = a.linear_attention
    paging = state_paging(s)
    notes = [f"{p.name} reserves {tokens:,} tokens per sequence ({p.kv_allocation} allocation"
             + (f", blocks of {paging.block:,}" if paging else
                f", blocks of {p.kv_block_tokens}" if p.kv_block_tokens > 1 else "") + ")."]
    if paging:
        notes.append(f"{p.name} pages the recurrent states in its KV blocks: a block is {paging.block:,} tokens, "
                     f"whose bytes in one attention layer ({_mib(paging.page)}) hold one layer's state; the layers "
                     f"go in groups of {paging.group} ({paging.attention_groups} of attention, {paging.state_groups} "
                     f"of state) and a sequence holds {p.state_blocks} state block"
                     + ("s a group (prefix caching's 'align' mode)" if p.state_blocks > 1 else
                        " a group (no prefix caching)")
                     + f". Its log's 'GPU KV cache size' is the blocks over the {paging.groups} groups × "
                       f"{paging.block:,} tokens.")
    if latent:
        notes.append("MLA caches one latent vector per token and layer instead of expanded K and V.")
    moved, flops = mla_expansion(s)
    if moved:
        latent_width = a.mla.kv_lora_rank + a.mla.qk_rope_head_dim
        notes.append(f"{p.name} expands the cached latent into every head's keys and values at each pass "
                     f"(expand_kv): a step moves ({latent_width} + {a.num_heads / s.tensor_parallel:g} × {moved:g}) / "
                     f"{latent_width} = {mla_expansion_reads(s):.1f} times the latent's bytes and "
                     f"multiplies kv_b_proj over every cached token ({flops:,.0f} FLOP a head and layer).")
    if data_parallel_note(s):
        notes.append(_sentence(data_parallel_note(s)).strip())
    if x is not None and packed_latent_bytes(a, s):
        notes.append(f"With an fp8 cache {p.name}'s sparse backend packs each latent as FlashMLA's record: "
                     f"{a.mla.kv_lora_rank} FP8 values with an fp32 scale per 128 and the {a.mla.qk_rope_head_dim} "
                     f"RoPE dimensions in bf16, {packed_latent_bytes(a, s):g} bytes.")
    if x is not None:
        notes.append(f"DeepSeek sparse attention: the lightning indexer caches a {x.head_dim}-wide key per token "
                     + (f"({p.index_key_bytes:.4g} bytes a value: FP8 with a scale per 128) " if p.index_key_bytes
                        else "") + f"and scores every cached token; each query attends to the best {x.topk:,}.")
    windowed = bool(a.sliding_window and p.honors_sliding_window)
    # (HF: the windowed layers still hold a prompt longer than their window at the peak)
    holds_prompt = windowed and bool(memory_terms(s).keeps_prompt) and s.prompt_tokens > window_cells(a, p)
    if windowed and not a.compressed:
        cells = window_cells(a, p)
        notes.append(f"{a.sliding_window_layers} windowed layers hold at most {cells:,.0f} tokens"
                     + (f" (the {a.sliding_window:,}-token window and the {p.prefill_chunk_tokens}-token batch being "
                        f"evaluated, in cells of {p.kv_block_tokens})" if cells != a.sliding_window else "") + ".")
        if holds_prompt:
            notes.append(f"{p.name} keeps each windowed layer's whole prompt until the first generated token "
                         f"replaces it (the window is a view of the prompt's keys and values): at the peak they "
                         f"hold the {s.prompt_tokens:,}-token prompt.")
    if slots and sum(slots) > sum(a.cache_layers):
        notes.append(f"{p.name} caches the windowed and full layers in groups of {min(slots)}: "
                     f"{sum(slots) - sum(a.cache_layers)} empty padding layers hold cache too (its log: "
                     f"\"Add {sum(slots) - sum(a.cache_layers)} padding layers\"), and its token count divides "
                     f"by {sum(slots)} layers.")
    if a.kv_shared_layers:
        notes.append(f"The last {a.kv_shared_layers} layers reuse an earlier layer's cache and keep none of their own.")
    if a.cross_attention_layers:
        notes.append(f"{a.cross_attention_layers} of the {a.attention_layers} attention layers attend to the image "
                     "encoder's states, not the text: no cache growing with the context there.")
    if wide is not None:
        notes.append(f"The {a.global_layers} full-attention layers have their own heads: {wide.num_kv_heads} KV heads "
                     f"of {wide.head_dim}" + (" (K serves as V: no value projection, but the cache holds both)"
                                               if wide.k_eq_v else "") + ".")
    if g is not None:
        notes.append(f"{g.layers} of the {a.num_layers} layers are Gated DeltaNet (linear attention): no KV cache, "
                     f"but a fixed state per sequence, {g.num_value_heads} × {g.key_head_dim} × {g.value_head_dim} "
                     f"+ the convolution's last {g.conv_kernel - 1} inputs per layer = {_mib(state)} per sequence "
                     "per card, whatever the context.")
    mb = a.mamba
    if mb is not None and a.parallel_mamba:
        notes.append(f"Each of the {a.num_layers} layers runs attention and a Mamba-2 mixer side by side: the KV cache "
                     f"above for every layer, and beside it a fixed Mamba state per sequence, {mb.num_heads} heads × "
                     f"{mb.head_dim} × {mb.state_size} + the convolution's last {mb.conv_kernel - 1} inputs per layer: "
                     f"{_mib(state)} per sequence per card, whatever the context.")
    elif mb is not None and not a.attention_layers:
        notes.append(f"Every one of the {a.num_layers} layers is a Mamba-2 block (no attention, no position limit: "
                     f"{a.max_context:,} tokens assumed): no KV cache, but a fixed state per sequence, {mb.num_heads} "
                     f"heads × {mb.head_dim} × {mb.state_size} + the convolution's last {mb.conv_kernel - 1} inputs "
                     f"per layer: {_mib(state)} per sequence per card, whatever the context.")
    elif mb is not None:
        notes.append(f"{mb.layers} of the {a.num_layers} layers are Mamba-2: no KV cache, but a fixed state per "
                     f"sequence, {mb.num_heads} heads × {mb.head_dim} × {mb.state_size} + the convolution's last "
                     f"{mb.conv_kernel - 1} inputs per layer"
                     + (f"; {a.mixerless_layers} more are MLP or MoE blocks without a mixer" if a.mixerless_layers
                        else "")
                     + f": {_mib(state)} per sequence per card, whatever the context.")
    m1 = a.mamba1
    if m1 is not None:
        notes.append((f"Every one of the {a.num_layers} layers is a Mamba block (no attention, no position limit: "
                      f"{a.max_context:,} tokens assumed)" if m1.layers == a.num_layers else
                      f"{m1.layers} of the {a.num_layers} layers are Mamba")
                     + f": no KV cache, but a fixed state per sequence, {m1.d_inner:,} channels × {m1.state_size} "
                     f"+ the convolution's last {m1.conv_kernel - 1} inputs per layer: {_mib(state)} per sequence per "
                     "card, whatever the context.")
    kd = a.kimi_delta
    if kd is not None:
        notes.append(f"{kd.layers} of the {a.num_layers} layers are Kimi Delta Attention (linear attention): no KV "
                     f"cache, but a fixed state per sequence, {kd.num_heads} heads × {kd.head_dim} × {kd.head_dim} in "
                     f"fp32 + the convolution's last {kd.conv_kernel - 1} inputs of q, k and v per layer: "
                     f"{_mib(state)} per sequence per card, whatever the context.")
    lt = a.lightning
    if lt is not None:
        notes.append(f"{lt.layers} of the {a.num_layers} layers are lightning attention (linear attention): no KV "
                     f"cache, but a fixed state per sequence, {lt.num_heads} heads × {lt.head_dim} × {lt.head_dim} "
                     f"per layer: {_mib(state)} per sequence per card, whatever the context.")
    sc = a.short_conv
    if sc is not None:
        notes.append(f"{sc.layers} of the {a.num_layers} layers are short convolutions (LFM2): no KV cache, only the "
                     f"convolution's last {sc.conv_kernel - 1} inputs of {sc.channels:,} channels per layer: "
                     f"{_mib(state)} per sequence per card, whatever the context.")
    if a.noop_blocks and a.mixerless_layers:
        notes.append(f"{a.mixerless_layers} of the {a.num_layers} layers skip attention (Nemotron-NAS, pruned by "
                     "architecture search): no KV cache there, only in the other "
                     f"{a.attention_layers}.")
    held = round(share * a.num_layers)
    if share < 1:
        notes.append(f"Layer split: the fullest card holds {held} of the {a.num_layers} layers"
                     + (f" (llama.cpp shares the layers and the output layer out in order: "
                        f"{' + '.join(map(str, split_layers(a.num_layers, s.n_gpus)))} layers, the output layer "
                        "with the last card's)." if p.parallel == "layer" and p.split_output_as_layer else "."))
    scale = (f" × {held}/{a.num_layers} of the layers" if share < 1 else "") + \
        ("" if not windowed else ", windowed layers holding the prompt" if holds_prompt else ", windowed layers capped")
    if windowed and not a.compressed and not a.mla:
        # the full layers' cache over every token, the windowed layers' over the cells they hold (as kv_from_terms:
        # SGLang's pool a share of the tokens; at least the prompt where the engine keeps it until the first token)
        own_w, own_f = slots or a.cache_layers
        cells = min(tokens, int(window_cells(a, p)))
        if holds_prompt:
            cells = max(cells, min(s.prompt_tokens, tokens))
        kept_w = f"{p.swa_pool_ratio:g} × {tokens:,}" if p.swa_pool_ratio else f"{cells:,}"
        full = (_kv_heads(a, own_f, kv_elements_per_token_layer(a, s, full=True)
                          / (wide.head_dim + a.value_width(wide.head_dim)), wide.head_dim) if wide is not None
                else _kv_heads(a, own_f, h_kv, a.head_dim))
        parts = ([f"{full} × {tokens:,} tokens"] if own_f else []) + \
            [f"{_kv_heads(a, own_w, h_kv, a.head_dim)} × {kept_w} tokens"]
        chain, tokens_text = f"({' + '.join(parts)})", ""
        scale = f" × {held}/{a.num_layers} of the layers" if share < 1 else ""
    else:
        tokens_text = f" × {tokens:,} tokens"
    c = a.compressed
    if c is not None:
        notes.append(f"DeepSeek-V4: one {a.head_dim}-wide entry per token serves as key and value, and every layer "
                     f"keeps its last {c.window} tokens; the {c.csa_layers} CSA layers add an entry per {c.csa_rate} "
                     f"tokens with the lightning indexer's {c.index_head_dim}-wide key for it (a query attends to the "
                     f"best {c.index_topk:,}), the {c.hca_layers} HCA layers one per {c.hca_rate} tokens (all "
                     "attended). The compressors' pending tokens (fewer than a rate) are left out."
                     + (f" {p.name} runs DeepSeek-V4 with an fp8 cache only." if p.packed_fp8_latent
                        and s.kv_dtype != "fp8" else ""))
        formula = ("KV cache = (layers × entry width × min(tokens, window) + compressed entries' widths per token × "
                   "tokens) × bytes per element × batch")
        entry = compressed_entry_elements(a, s)
        if entry != a.head_dim:
            notes.append(f"With an fp8 cache {p.name} stores each entry as {entry:g} bytes: the "
                         f"{a.head_dim - c.rope_dim} non-rotary values in FP8 with a scale per 64, the {c.rope_dim} "
                         "rotary ones in bf16 and a pad byte.")
        # (the window's cells: what the engine keeps of it, window_cells; SGLang's pool holds a share of the tokens)
        held = (f"{p.swa_pool_ratio:g} × {tokens:,}" if p.swa_pool_ratio else
                f"{min(tokens, int(window_cells(a, p))):,}")
        substituted = (f"= ({a.attention_layers} × {entry:g} × {held} + ({c.csa_layers} × "
                       f"({entry:g} + {c.index_head_dim}{in_own_format}) / {c.csa_rate} + {c.hca_layers} × {entry:g} / "
                       f"{c.hca_rate}) × {tokens:,}) × {kv.bytes_per_element:.4g} bytes × {s.batch}"
                       f"{scale.replace(', windowed layers capped', '')} = {_g(float(m.kv_cache))} per card")
    elif not a.attention_layers:      # (Mamba blocks alone: nothing grows with the context)
        formula = "KV cache = recurrent state × batch"
        substituted = f"= {_mib(state)} × {s.batch} = {_g(float(m.kv_cache))} per card"
    elif not a.recurrent_mixers:
        formula = "KV cache = 2 × layers × KV heads × head dim × bytes per element × tokens × batch"
        substituted = (f"= {chain} × {kv.bytes_per_element:.4g} bytes{tokens_text} × "
                       f"{s.batch}{scale} = {_g(float(m.kv_cache))} per card")
    else:
        formula = ("KV cache = (2 × attention layers × KV heads × head dim × bytes per element × tokens "
                   "+ recurrent state) × batch")
        substituted = (f"= ({chain} × {kv.bytes_per_element:.4g} bytes{tokens_text}{scale} + {_mib(state)}) "
                       f"× {s.batch} = {_g(float(m.kv_cache))} per card")
    return Explanation(
        "kv_cache", "KV cache", f"{_g(float(m.kv_cache))} per card", formula, substituted,
        " ".join(notes),
        (Assumption("KV-cache element", f"{kv.name}: {kv.bytes_per_element:.4g} bytes", kv.source),
         Assumption("Architecture", f"{a.num_layers} layers, {a.num_heads} attention heads ({a.num_kv_heads} KV), "
                    f"head dim {a.head_dim}" if a.attention_layers else f"{a.num_layers} layers, no attention",
                   s.model.source),
         Assumption(f"{p.name}: cache allocation", p.kv_allocation, p.sources["kv_cache"])))


def _activations(s: Scenario, m) -> Explanation:
    p = s.profile
    eager = s.attention_impl == "eager"
    chosen = "your choice" if s.attention else f"{p.name} default"
    assumptions = [Assumption("Attention implementation", f"{s.attention_impl} ({chosen})", p.sources["activations"])]
    if p.static_fraction:
        card = s.gpu.memory_bytes
        held = card - budget_bytes(s) - min(s.reserved_mib * MIB, card)
        return Explanation(
            "activations", "Activations", f"{_g(float(m.activations))} per card",
            f"Activations: outside {p.name}'s budget, in what the usable share leaves of the card",
            f"= 0 in the budget; {_g(held)} per card held back for them and the CUDA graphs "
            f"(card − already taken − usable).",
            "", tuple(assumptions))
    profile_tokens, chunk, _ = batch_defaults(p, s.gpu)
    if chunk or profile_tokens:
        tokens = profile_tokens or chunk
        assumptions.append(Assumption("Tokens per forward pass", f"{tokens:,} ({p.name})", p.sources["activations"]))
    gather = memory_terms(s).decode_gather
    if gather:
        assumptions.append(Assumption(
            "Decode steps' expert copies", f"{s.batch:,} sequences × {s.model.architecture.moe.experts_per_token} "
            f"experts × {_g(gather / s.model.architecture.moe.experts_per_token)} = {_g(s.batch * gather)}",
            GATHERS_EXPERTS[s.engine][1]))
    return Explanation(
        "activations", "Activations", f"{_g(float(m.activations))} per card",
        ("Activation peak = the larger of one forward pass (hidden states + the largest of attention transients, "
         "MLP intermediates, logits) and the sampler's warm-up after it"
         + (", beside the fused-expert workspaces" if moe_workspace_bytes(s) else "") if p.sampler_seqs else
         "Activation peak of one forward pass = hidden states + the largest of attention transients, MLP "
         "intermediates, logits")
        + (", or a decode step's copies of the experts each sequence picks, where larger" if gather else "")
        + (f"; + {p.allocator_fraction:.0%} allocator fragmentation" if p.allocator_fraction else ""),
        f"= {_g(float(m.activations))} with {s.attention_impl} attention, prompt {s.prompt_tokens:,} × batch "
        f"{s.batch}.",
        (f"Eager attention holds batch × heads × prompt × prompt scores ({eager_score_bytes(s):g} bytes each): "
         "quadratic in the prompt." if eager else
         f"SDPA's math path (this model's one key/value head, which PyTorch's fused kernels refuse) holds batch × "
         f"heads × prompt × prompt fp32 scores ({MATH_SDPA_SCORE_BYTES:g} bytes each: the product and the softmax's "
         "output): quadratic in the prompt." if s.sdpa_math else
         "sdpa/flash attention never holds the score matrix: linear in the prompt."),
        tuple(assumptions))


def _overhead(s: Scenario, m) -> Explanation:
    p = s.profile
    parts = [("CUDA context", p.cuda_context_bytes), ("engine buffers", p.framework_bytes),
             ("communication buffers", communication_bytes(s)),
             ("CUDA graphs", p.cuda_graph_bytes)]
    parts = [(name, v) for name, v in parts if v] or parts[:1]
    return Explanation(
        "overhead", "Runtime overhead", f"{_g(float(m.overhead))} per card",
        "Runtime overhead = " + " + ".join(name for name, _ in parts),
        "= " + " + ".join(_g(v) for _, v in parts) + f" = {_g(float(m.overhead))} per card.",
        "",
        (Assumption(f"{p.name}: fixed memory", ", ".join(f"{name} {v / MIB:,.0f} MiB" for name, v in parts),
                    p.sources["overhead"]),))


def _total(s: Scenario, m) -> Explanation:
    p, gpu = s.profile, s.gpu
    budget = budget_bytes(s)
    util = float(engine_share(s, gpu.memory_bytes))
    verdict = "fits" if float(m.total) <= budget else "does not fit"
    assumptions = [Assumption("Card memory", f"{gpu.name}: {gpu.memory_mib:,.0f} MiB ({gpu.memory_mib_basis})",
                              _gpu_source(gpu, "memory")),
                   Assumption("Usable share", f"{util:.1%}" if p.util_rule != "fixed" else f"{util:.0%}",
                              "your setting" if s.gpu_util is not None else p.sources["budget"])]
    if s.reserved_mib:
        assumptions.append(Assumption("Already taken", f"{s.reserved_mib:,.0f} MiB", "your setting"))
    unified = ""
    if gpu.unified_memory:
        unified = ", GPU share × memory"
        assumptions.append(Assumption(
            "GPU share of unified memory", f"{gpu.gpu_share:.0%}",
            _gpu_source(gpu, "gpu_share") if gpu.gpu_memory_share is not None else UNIFIED_GPU_SHARE_SOURCE))
    margin = ""
    if p.free_margin_bytes:
        margin = " − margin left free"
        assumptions.append(Assumption(f"{p.name}: margin left free", f"{p.free_margin_bytes / MIB:,.0f} MiB a card",
                                      p.sources["budget"]))
    return Explanation(
        "total", "Total", f"{_g(float(m.total))} of {_g(budget)} usable per card",
        "Total = weights + KV cache + activations + overhead; usable = min(card − already taken"
        + (f"{unified}, usable share × (that − overhead) + overhead)" if p.static_fraction else
           f"{unified}{margin}, usable share × card + CUDA graphs)"),
        f"= {_g(float(m.weights))} + {_g(float(m.kv_cache))} + {_g(float(m.activations))} + "
        f"{_g(float(m.overhead))} = {_g(float(m.total))} per card; usable {_g(budget)}: {verdict}.",
        "GiB = 2^30 bytes.",
        tuple(assumptions))


def _cache_reads(t, s: Scenario) -> str:
    """How the decode formula counts the cache's bytes where not once at the weights' share."""
    reads = float(t.kv_reads)
    if reads == 1.0:
        return ""
    if _reads_per_head(speed_key(s.profile, s.gpu, s.host), s):
        return f" (read {reads:.1f} times: once per query head)"
    return f" (its bytes {reads:.2f} times: the engine's attention reads them slower than the weights)"


def _reads_per_head(key: str, s: Scenario) -> bool:
    """Whether the cache is read once per query head (:data:`EAGER_KV_READS_PER_HEAD`), not at a row's own factor."""
    return key in EAGER_KV_READS_PER_HEAD and s.attention_impl == "eager"


def _efficiency_assumptions(s: Scenario, t) -> list[Assumption]:
    p, fmt, gpu = s.profile, s.weight_format, s.gpu
    key = speed_key(p, gpu, s.host)
    bw_source = SOURCES["BW_EFFICIENCY"]
    factor = "GGUF_BW_CURVES" if fmt.kernel == "gguf" or key in GGUF_BW_CURVES else \
        {"w4a16": "W4_FACTOR", "fp4": "W4_FACTOR", "int8": "W8_FACTOR", "w8a16": "W8_FACTOR",
         "fp8": "W8_FACTOR"}.get(fmt.kernel)
    if factor == "W8_FACTOR" and key in W8_FACTOR_BY_ROW:
        factor = "W8_FACTOR_BY_ROW"
    if factor:
        bw_source += "; " + SOURCES[factor]
    names = bandwidth_efficiency_sources(key, fmt, gpu)      # (the pre-Ampere factor, llama.cpp's CUDA caps) ...
    if float(t.bw_efficiency) > bandwidth_efficiency(key, fmt, gpu) * (1 + 1e-9):   # ... a cap but not in ``t``
        names = tuple(n for n in names if n == "PRE_AMPERE_DECODE_FACTOR")
    for name in names:
        bw_source += "; " + SOURCES[name]
    row = f"{_row_name(p, key)} {BW_EFFICIENCY.get(key, 0.8):.2f}"
    if "PRE_AMPERE_DECODE_FACTOR" in names:     # (these builds ran no CUDA graphs on the card: the row's name aside)
        row = f" on CUDA {BW_EFFICIENCY[key]:.2f} × {PRE_AMPERE_DECODE_FACTOR[key]:.2f} before Ampere"
    peak = card_of(s)[1]
    out = [Assumption("Memory bandwidth", f"{gpu.memory_bandwidth_gb_s:,.0f} GB/s", _gpu_source(gpu, "bandwidth")),
           Assumption("Bandwidth efficiency η_bw", f"{_share(float(t.bw_efficiency))} ({p.name}{row}, {fmt.name})",
                      bw_source),
           Assumption("Peak math", f"{peak / 1e12:,.1f} TOPS (int8 dp4a on the CUDA cores: no tensor cores)"
                      if dp4a_peak(gpu, fmt) else
                      f"{peak / 1e12:,.1f} TFLOP/s ({gpu.math_of(fmt.kernel)} dense tensor)" if np.isfinite(peak)
                      else "unknown: the preset has no FLOP/s figure", _gpu_source(gpu, "compute")),
           Assumption("Compute efficiency η_flops", f"{_share(float(t.flops_efficiency))} ({p.name})",
                      "; ".join(SOURCES[n] for n in compute_efficiency_sources(key, fmt, gpu)))]
    if own_attention_rate(key, gpu):
        out.append(Assumption("Attention efficiency η_attention", f"{_share(float(t.attention_efficiency))} ({p.name}"
                              f"{_row_name(p, key)})", SOURCES["ATTENTION_EFFICIENCY"]))
    a = s.model.architecture
    step, moe = STEP_OVERHEAD_S.get(key, 0.0), MOE_LAYER_S.get(key, 0.0) * a.moe_layers
    layers = LAYER_S.get(key, 0.0) * a.num_layers
    if step:
        out.append(Assumption("Per-step cost", _ms(step), SOURCES["STEP_OVERHEAD_S"]))
    if float(t.sample_s):
        out.append(Assumption("Sampling", f"{_ms(float(t.sample_s))} a sequence a step ({p.name})",
                              SOURCES["SAMPLE_S"]))
    if layers:
        out.append(Assumption("Layers' fixed cost", f"{_ms(layers)} ({a.num_layers} layers × "
                              f"{LAYER_S[key] * 1e6:.0f} µs)", SOURCES["LAYER_S"]))
    if moe:
        out.append(Assumption("MoE layers' fixed cost", f"{_ms(moe)} ({a.moe_layers} layers × "
                              f"{MOE_LAYER_S[key] * 1e6:.0f} µs)", SOURCES["MOE_LAYER_S"]))
    if float(t.exposed):
        out.append(Assumption("Read and math overlap", f"{EXPOSED_16BIT_SHARE[key]:.0%} of the shorter exposed "
                              f"({p.name}{_row_name(p, key)}, {fmt.name})", SOURCES["EXPOSED_16BIT_SHARE"]))
    if float(t.kv_reads) != 1.0 and not _reads_per_head(key, s):
        out.append(Assumption("Cache read", f"{float(t.kv_reads):.2f} times the weights' time a byte ({p.name}'s "
                              "decode attention)", SOURCES["KV_READ_FACTOR"]))
    elif float(t.kv_reads) != 1.0:
        out.append(Assumption("Cache reads without flash attention", f"{float(t.kv_reads):.1f} a step "
                              f"({EAGER_KV_READS_PER_HEAD[key]:.1f} per query head × {a.num_heads // a.num_kv_heads} "
                              f"query heads per KV head{_row_name(p, key)})", SOURCES["EAGER_KV_READS_PER_HEAD"]))
    gdn = GDN_LAYER_S.get(key, 0.0) * a.gated_deltanet_layers
    if gdn:
        out.append(Assumption("Linear-attention layers' fixed cost", f"{_ms(gdn)} ({a.gated_deltanet_layers} layers × "
                              f"{GDN_LAYER_S[key] * 1e6:.0f} µs)", SOURCES["GDN_LAYER_S"]))
    gdn_pass = GDN_PROMPT_LAYER_S.get(key, 0.0) * a.gated_deltanet_layers
    if gdn_pass:
        out.append(Assumption("Linear-attention layers in a prompt pass", f"{_ms(gdn_pass)} a pass "
                              f"({a.gated_deltanet_layers} layers × {GDN_PROMPT_LAYER_S[key] * 1e6:.0f} µs)",
                              SOURCES["GDN_PROMPT_LAYER_S"]))
    if float(t.mmvq_rate):
        unit = _kernel_names(key)[2]
        if 1 < s.batch <= MMVQ_MAX_COLUMNS:
            out.append(Assumption("Mat-vec kernel per sequence", f"{MMVQ_OPS_PER_SM_CLOCK[key]:g} operations per "
                                  f"{unit} per clock ({float(t.mmvq_rate) / 1e12:,.1f} TOPS on this card) for each "
                                  f"sequence past the first, up to {MMVQ_MAX_COLUMNS}",
                                  SOURCES["MMVQ_OPS_PER_SM_CLOCK"] + "; " + SOURCES["MMVQ_MAX_COLUMNS"]))
        out.append(Assumption("Tile kernel at a few sequences", f"math after the weights' load, converting "
                              f"{MMQ_WEIGHTS_PER_SM_CLOCK[key]:g} weights per {unit} per clock",
                              SOURCES["MMQ_WEIGHTS_PER_SM_CLOCK"] + "; " + SOURCES["MMVQ_MAX_COLUMNS"]))
    if float(t.expert_token_reads) and a.moe_layers and 1 < s.batch < float(t.expert_token_reads):
        out.append(Assumption("Routed experts a token at a time", f"below {float(t.expert_token_reads):.0f} "
                              f"sequences each token reads its {a.moe.experts_per_token} experts apart, at "
                              f"{EXPERT_TOKEN_READ_COST:g} times one token's cost",
                              SOURCES["EXPERT_TOKEN_READS"] + "; " + SOURCES["EXPERT_TOKEN_READ_COST"]))
    if float(t.expert_gather) and a.moe_layers:
        k = a.moe.experts_per_token
        out.append(Assumption("Routed experts gathered", f"each decode step copies the {k} experts each sequence "
                              f"picks and multiplies the copies: {k} × {s.batch:,} = {k * s.batch:,} experts a "
                              f"layer read {EXPERT_GATHER_READS:g} times (read, copied, read), not the experts "
                              f"touched once", GATHERS_EXPERTS[s.engine][1] + "; " + SOURCES["EXPERT_GATHER_READS"]))
    if float(t.host_floor):
        ratio = host_layers(key, a) / a.compute_layers
        kernels = "" if ratio == 1 else (f" × {ratio:.2f}: {ratio * HF_LAYER_KERNELS:.0f} kernels a layer"
                                         + (", its MoE block's included," if a.moe else "")
                                         + f" against a Llama layer's {HF_LAYER_KERNELS}")
        bnb = " + bitsandbytes' layers, below" if bnb_linears(key, a, fmt) else ""
        out.append(Assumption("Host launch floor", f"{_ms(float(t.host_floor))} per step ({a.compute_layers:g} "
                              f"layers × {HOST_S_PER_LAYER[key] * 1e3:.2f} ms{kernels}{_row_name(p, key)}{bnb})",
                              SOURCES["HOST_S_PER_LAYER"] + ("; " + SOURCES["HF_LAYER_KERNELS"] if kernels else "")))
    linears = bnb_linears(key, a, fmt)
    if linears:
        one, several = BNB_LINEAR_KERNELS[fmt.id]
        out.append(Assumption("bitsandbytes layers on the host", f"{linears} quantized layers × {one:g} kernels' "
                              f"worth each at one sequence, {several:g} at several ({fmt.name}), at "
                              f"{HOST_S_PER_LAYER[key] / HF_LAYER_KERNELS * 1e6:.1f} µs a kernel{_row_name(p, key)}",
                              SOURCES["BNB_LINEAR_KERNELS"]))
    if float(t.dequant_weights):
        out.append(Assumption("4-bit dequantization", f"{float(t.dequant_weights) / 1e9:,.2f} G weights in a pass of "
                              f"several rows, at most {BNB_DEQUANT_WEIGHTS_PER_S / 1e9:,.0f} G a second, then "
                              "read again in 16 bits by the matmuls", SOURCES["BNB_DEQUANT_WEIGHTS_PER_S"]))
    if float(t.allreduces):
        link = gpu.interconnect_gb_s or DEFAULT_LINK_GB_S
        out.append(Assumption("Interconnect", f"{link:,.0f} GB/s per direction ({gpu.interconnect or 'PCIe'})",
                              _gpu_source(gpu, "interconnect") if gpu.interconnect_gb_s
                              else SOURCES["DEFAULT_LINK_GB_S"]))
        out.append(Assumption("All-reduce latency", f"{card_of(s)[3] * 1e6:,.0f} µs", SOURCES["ALLREDUCE_LATENCY_S"]))
    return out


# which of llama.cpp's measured rows the card gets (speed_key)
def _row_name(p, key: str) -> str:
    """The card's row of the speed tables, for the profiles whose row depends on the card."""
    return BACKEND_NAMES.get(key, "") if p.id in ("llamacpp", "llamacpp-vulkan", "hf") or key != p.id else ""


BACKEND_NAMES = {"llamacpp": " with CUDA graphs", "llamacpp-metal": " on Metal", "llamacpp-rocm": " on ROCm",
                 "vllm-rocm": " on ROCm",
                 "llamacpp-2023": " without CUDA graphs", "hf": " on a desktop host", "hf-server": " on a server host",
                 "hf-server-old": " on an older server host (the cards before 2020 sit in them)",
                 "llamacpp-vulkan": " on NVIDIA and AMD cards", "llamacpp-vulkan-intel": " on Intel cards"}


def _extras(t, allreduce_s: float, passes: float = 1.0, scores_s: float = 0.0, overlap: float = 1.0,
            exposed_s: float = 0.0, parts=None, bandwidth: float = 0.0) -> str:
    """The terms added to the roofline's max(), in words, with their values (``parts``: the step's
    :class:`~vramgui.core.speed.StepParts`, for bitsandbytes' terms, on a card of ``bandwidth``)."""
    out = (f" + {float(t.exposed):.0%} of the shorter of read and math, not hidden under the longer "
           f"{_ms(exposed_s)}" if exposed_s else "")
    out += f" + eager attention's scores through memory {_ms(scores_s)}" if scores_s else ""
    dequant = float(dequant_time(t, parts, bandwidth)) if parts is not None else 0.0
    if dequant:
        out += (f" + bitsandbytes dequantizing {float(parts.dequant_weights) / 1e9:,.2f} G weights to 16 bits "
                f"and its matmuls reading them {_ms(dequant)}")
    host = float(t.host_floor) * passes + (float(parts.host_extra) if parts is not None else 0.0)
    if allreduce_s:
        out += (" + all-reduces and sends between stages " if float(t.stages) > 1 else " + all-reduces ") \
            + _ms(allreduce_s)
    if host:
        out += f", at least the host floor {_ms(host)}"
    if float(t.step_overhead):
        out += f" + per-step cost {_ms(float(t.step_overhead))}" + (
            f" × {passes:,.0f} passes = {_ms(float(t.step_overhead) * passes)}" if passes > 1 else "")
    sample = float(parts.sample_s) if parts is not None else 0.0
    if sample:
        out += f" + the host sampling each sequence's token {_ms(float(t.sample_s))}" + (
            f" × {sample / float(t.sample_s):,.0f} sequences = {_ms(sample)}" if sample > float(t.sample_s) else "")
    pass_extra = float(parts.pass_extra_s) if parts is not None else 0.0
    if pass_extra:
        out += f" + the passes' linear-attention scans {_ms(pass_extra)}"
    if overlap != 1.0:
        out += (f"; × {overlap:.3f}, the cards working on {float(t.pipeline_overlap):.0f} passes at once "
                "(llama.cpp's pipeline)")
    return out


def _decode(s: Scenario, sp) -> Explanation:
    t = speed_terms(s)
    bw, peak, link, lat = card_of(s)
    parts = decode_parts(t, s.batch, s.context_tokens, link, lat)     # what the estimate weighs
    moved = float(parts.bytes_moved)
    eb = float(t.bw_efficiency)
    allreduce = float(parts.allreduce_s)
    step = float(sp.decode_step_s)
    compute = _compute(t, parts, peak, 1e9, "GFLOP") if np.isfinite(peak) else "no FLOP/s figure"
    memory = f"{moved / GIB:,.2f} GiB ÷ ({bw / 1e9:,.0f} GB/s × {_share(eb)})"
    exposed = exposed_time(t, parts, (bw, peak, link, lat)) if np.isfinite(peak) else 0.0
    kernel = kernel_used(t, parts, (bw, peak, link, lat))
    mmq, column = kernel == "mmq", float(parts.column_s) if kernel == "mmvq" else 0.0
    roofline = _tile_kernel(t, parts, memory, peak, 1e9, "GFLOP") if mmq else f"max({memory}, {compute})"
    kernels = (f" + llama.cpp's mat-vec kernel on {s.batch - 1} more sequences {_ms(column)}" if column else "")
    names = _kernel_names(speed_key(s.profile, s.gpu, s.host))
    return Explanation(
        "decode", "Decode step", f"{_ms(step)} per token · {s.batch / step:,.0f} tokens/s",
        "Decode step = max(bytes moved ÷ (bandwidth × η_bw), FLOPs ÷ (peak × η_flops)) + per-step costs; "
        "bytes moved = active weights + the KV cache of every sequence"
        + (" (each sequence's routed experts copied and read three times: a decode step's gathered copies)"
           if float(t.expert_gather) and s.model.architecture.moe_layers else "")
        + _cache_reads(t, s)
        + (" + its recurrent state, read and written" if float(t.state) else "")
        + "; FLOPs = 2 × active params × batch + attention" + _attention_rate(t, s)
        + (f"; llama.cpp's quantized kernels at 2-8 sequences ({names[0]}) pay for each one past the first"
           if column else "")
        + (f"; llama.cpp's tile kernel ({names[1]}, above 8 sequences or where faster) does its matmuls' math after "
           "loading and converting the weights, so that adds to the memory time" if mmq else ""),
        f"= {roofline}{kernels}"
        f"{_extras(t, allreduce, 1.0, float(parts.score_bytes) / (bw * eb), 1.0, exposed, parts, bw)}"
        f" = {_ms(step)} per token; "
        f"{1 / step:,.1f} tokens/s per sequence, "
        f"{s.batch / step:,.1f} tokens/s for the batch of {s.batch}.",
        f"{sp.decode_bound.capitalize()}-bound at batch {s.batch} and context {s.context_tokens:,}; speed of "
        f"light (η = 1, no per-step costs) {_ms(float(sp.sol_decode_step_s))}." + _sparse_note(s, t)
        + _sentence(tp_split_note(s)) + _sentence(nodes_note(s)) + _sentence(batched_decode_note(s))
        + _sentence(engine_note(s))
        + _sentence(card_note(s)),
        tuple(_efficiency_assumptions(s, t) + _mla_assumption(s, "decode")))


def _mla_assumption(s: Scenario, phase: str) -> list[Assumption]:
    """How the engine's heads attend in an MLA model's ``phase`` ("decode" or "prefill"): over the cached
    latent, or up-projected (the FLOPs of each query-key pair the estimate counts)."""
    a = s.model.architecture
    if a.mla is None or a.compressed is not None:
        return []
    mode = mla_absorbed(s)
    latent = mode == "always" or (mode == "decode" and phase == "decode")
    m = a.mla
    value = (f"over the cached latent: {a.num_heads} heads × ({m.kv_lora_rank + m.qk_rope_head_dim} + "
             f"{m.kv_lora_rank}) a query-key pair and layer" if latent else
             f"up-projected: {a.num_heads} heads × ({a.q_head_dim} + {a.v_head_dim}) a query-key pair and layer")
    source = s.profile.sources.get("mla_attention", f"{s.profile.name} runs up-projected heads (no latent "
                                                    "attention of it is cited)")
    if up_projected_gguf(s):
        source = (f"the model's GGUF predates llama.cpp's MLA tensors: its non-MLA path runs up-projected heads "
                  f"(src/models/deepseek2.cpp without wk_b); {source}")
    return [Assumption("MLA attention", value, source)]


def _tile_kernel(t, parts, memory: str, peak: float, unit: float, name: str, slow: float = 0.0) -> str:
    """llama.cpp's MMQ in numbers: its matmuls' math after the longest of the weights' read, the attention
    and their conversion (:data:`~vramgui.core.speed.MMQ_WEIGHTS_PER_SM_CLOCK`)."""
    attention = float(parts.attention_flops) / unit
    matmuls = f"{float(parts.matmul_flops) / unit:,.2f}"
    if slow:
        matmuls = f"({matmuls} + small expert GEMMs {slow / unit:,.2f})"
    return (f"max({memory}, attention {attention:,.2f} {name} ÷ ({peak * float(t.attention_peak) / 1e12:,.1f}"
            f" TFLOP/s × {_share(float(t.attention_efficiency))}), converting the weights {_ms(float(parts.load_s))})"
            f" + matmuls {matmuls} {name} ÷ ({peak / 1e12:,.1f} TFLOP/s × {_share(float(t.flops_efficiency))})")


def _sentence(note: str | None) -> str:
    """`` Note.`` from a report note (lower-case, no full stop), or nothing."""
    return f" {note[0].upper()}{note[1:]}." if note else ""


def _one_rate(t) -> bool:
    """Attention runs at the matmuls' rate (16-bit weights): the compute side needs one division."""
    return float(t.attention_peak) == 1.0 and float(t.attention_efficiency) == float(t.flops_efficiency)


def _compute(t, parts, peak: float, unit: float, name: str, slow: float = 0.0) -> str:
    """The compute side of the roofline in numbers: matmuls (and small expert GEMMs) and attention at one
    rate, or attention at its own (:func:`~vramgui.core.speed.attention_peak`) where it differs."""
    matmul, attention, ef = float(parts.matmul_flops), float(parts.attention_flops), float(t.flops_efficiency)
    rate = f"({peak / 1e12:,.1f} TFLOP/s × {_share(ef)})"
    expert = f" + small expert GEMMs {slow / unit:,.2f}" if slow else ""
    if _one_rate(t):
        return f"({matmul / unit:,.2f} + {attention / unit:,.2f}{expert}) {name} ÷ {rate}"
    head = f"({matmul / unit:,.2f}{expert})" if slow else f"{matmul / unit:,.2f}"
    return (f"{head} {name} ÷ {rate} + attention {attention / unit:,.2f} {name} ÷ "
            f"({peak * float(t.attention_peak) / 1e12:,.1f} TFLOP/s × {_share(float(t.attention_efficiency))})")


def _kernel_names(key: str) -> tuple[str, str, str]:
    """(mat-vec kernel, tile kernel, the unit their rates count in) of llama.cpp's row ``key``."""
    return ("mul_mv_ext", "mul_mm", "GPU core") if key == "llamacpp-metal" else ("MMVQ", "MMQ", "SM")


def _attention_rate(t, s: Scenario) -> str:
    """Where attention's rate differs from the matmuls', why."""
    why = []
    if dp4a_peak(s.gpu, s.weight_format):
        why.append("attention in fp32 on the CUDA cores, a quarter of their dp4a rate (no tensor cores)")
    elif float(t.attention_peak) != 1.0:
        why.append("attention on the 16-bit tensor rate: it multiplies activations by the cache, not weights")
    if own_attention_rate(speed_key(s.profile, s.gpu, s.host), s.gpu):
        why.append("attention at its own share of the peak, η_attention: the engine's flash-attention kernels "
                   "reach another share of it than its GEMMs on this card")
    return f" ({'; '.join(why)})" if why else ""


def _sparse_note(s: Scenario, t) -> str:
    """How a decode step reads a sparse-attention model's cache under this engine."""
    a = s.model.architecture
    x, c = a.indexer, a.compressed
    if x is None and c is None:
        return ""
    if np.isfinite(t.sparse_tokens):
        chosen = (f"the latent of only the indexer's {x.topk:,} chosen tokens per sequence" if x else
                  f"in each CSA layer only the indexer's {c.index_topk:,} chosen entries per sequence")
        return (f" Sparse attention: a step reads every index key but {chosen}, and attends to those "
                f"({s.profile.sources['sparse_attention'].rstrip('.')}).")
    if "sparse_attention" in s.profile.sources:
        return (f" Sparse attention is applied as a mask by {s.profile.name}: a step reads and scores the whole cache "
                f"({s.profile.sources['sparse_attention'].rstrip('.')}).")
    return (f" Sparse attention: no sparse kernel of {s.profile.name} is cited, so a step is taken to read and "
            "score the whole cache (an upper bound on the step).")


def _prefill(s: Scenario, sp) -> Explanation:
    t = prompt_terms(speed_terms(s))
    bw, peak, link, lat = card_of(s)
    new, cached = (float(x) for x in prompt_split(s.prompt_tokens, s.cached_tokens))
    parts = prefill_parts(t, new, s.batch, link, lat, cached)     # what the estimate weighs
    passes, read = float(parts.passes), float(parts.bytes_moved)
    slow = float(parts.slow_flops)
    eb = float(t.bw_efficiency)
    allreduce = float(parts.allreduce_s)
    known = sp.compute_known
    # the heading as the breakdown shows it (a long prefill in s, min or h), the sum in ms with that beside it
    result = _time(float(sp.prefill_s)) if known else "unknown"
    total = _ms(float(sp.prefill_s)) + ("" if result.endswith(" ms") else f" ({result})")
    chunked = f" in {passes:,.0f} passes of {t.chunk:,} tokens" if t.chunk and passes > 1 else ""
    memory = f"{read / GIB:,.2f} GiB ÷ ({bw / 1e9:,.0f} GB/s × {_share(eb)})"
    mmq = float(parts.kernel) == 2.0     # (llama.cpp's tile kernel, pass by pass)
    exposed = exposed_time(t, parts, (bw, peak, link, lat)) if known else 0.0
    overlap = float(overlap_factor(t, passes))
    # (in GFLOP under a TFLOP in all: a short prompt's 0.06 TFLOP read back 6 % off the line's result)
    unit, name = (1e12, "TFLOP") if float(parts.matmul_flops + parts.attention_flops) + slow >= 1e12 else \
        (1e9, "GFLOP")
    roofline = (_tile_kernel(t, parts, memory, peak, unit, name, slow) if mmq else
                f"max({_compute(t, parts, peak, unit, name, slow)}, {memory})")
    return Explanation(
        "prefill", "Time to first token", result,
        "Time to first token = max(FLOPs ÷ (peak × η_flops), weight reads ÷ (bandwidth × η_bw)) + per-step "
        "costs; FLOPs = 2 × active params × prompt tokens × batch + causal attention" + _attention_rate(t, s)
        + ("; a cached prefix is not prefilled again: the new tokens attend to it, and each pass reads it"
           if cached else "")
        + (f"; {s.profile.name} runs the output layer on each prompt's last token only, so of the {passes:,.0f} "
           f"passes only those holding one read its {float(t.head_bytes) / GIB:,.2f} GiB"
           if float(t.head_bytes) and passes > s.batch else "")
        + (f"; llama.cpp's tile kernel ({_kernel_names(speed_key(s.profile, s.gpu, s.host))[1]}) does each "
           "pass's matmuls after loading and converting the weights, so their math adds to that" if mmq else ""),
        (f"= {roofline}"
         f"{_extras(t, allreduce, passes, float(parts.score_bytes) / (bw * eb), overlap, exposed, parts, bw)}"
         f" = {total}"
         f" for {s.batch} × {new:,.0f} tokens{_after(cached)}{chunked}." if known else
         "= unknown: this card has no sourced FLOP/s figure."),
        "Prefill is compute bound except for tiny prompts; speed of light "
        + (_time(float(sp.sol_prefill_s)) if known else "unknown") + ".",
        tuple(_efficiency_assumptions(s, t) + _expert_gemm_assumption(s, t) + _mla_assumption(s, "prefill")))


def _after(cached: float) -> str:
    return f" after {cached:,.0f} cached" if cached else ""


def _expert_gemm_assumption(s: Scenario, t) -> list[Assumption]:
    """The routed experts' GEMMs at a few tokens each, where the engine's figure applies."""
    half = float(t.moe_gemm_half)
    if not float(t.expert_flops) or not (float(t.moe_gemm_tokens) or half):
        return []
    tokens = float(prompt_split(s.prompt_tokens, s.cached_tokens)[0]) * s.batch
    touched = min(tokens, t.chunk or tokens)
    if touched <= 0:            # (an empty prompt: no pass, no expert touched)
        return []
    k, e = float(t.experts_per_token), float(t.num_experts)
    per_expert = touched * k / e
    if half:
        eff = float(expert_gemm_efficiency(t, touched))
        return [Assumption("Expert GEMMs in prefill", f"{per_expert:,.0f} tokens per expert per pass → {eff:.2f} of "
                           f"the large-GEMM rate (half of it at {half:,.0f})", SOURCES["MOE_GEMM_HALF"])]
    sat = float(t.moe_gemm_tokens)
    union = float(expert_union(t, touched))
    return [Assumption("Expert GEMMs in prefill", f"a pass of {touched:,.0f} tokens touches {union:,.0f} of the "
                       f"{e:,.0f} experts, {touched * k / union:,.1f} tokens each; each runs as if it had "
                       f"{max(sat, touched * k / union):,.0f}", SOURCES["MOE_GEMM_TOKENS"])]


def explain_training_items(t) -> tuple[Explanation, ...]:
    """The fine-tuning breakdown as :class:`Explanation` items, with the sources of the
    bytes-per-parameter table, the activation model and the card's memory."""
    from .training import (
        ADAPTER_BYTES,
        OPTIMIZER_BYTES,
        fused_expert_targets,
        mamba2_torch_layers,
        routed_lora_text,
        training_memory,
    )
    from .training import SOURCES as TRAINING_SOURCES

    m = training_memory(t)
    texts = explain_training(t)
    fused = t.method != "full" and fused_expert_targets(t.model.architecture, t.adapted_targets)
    w_b, g_b, o_b = (OPTIMIZER_BYTES if t.method == "full" else ADAPTER_BYTES)[t.optimizer]
    per_param = Assumption("Bytes per trainable parameter",
                           f"weights {w_b:g} + gradients {g_b:g} + optimizer {o_b:g} ({t.optimizer}, {t.method})",
                           TRAINING_SOURCES["OPTIMIZER_BYTES" if t.method == "full" else "ADAPTER_BYTES"])
    card = Assumption("Card memory", f"{t.gpu.name}: {t.gpu.memory_mib:,.0f} MiB ({t.gpu.memory_mib_basis})",
                      _gpu_source(t.gpu, "memory"))
    step = (Assumption("Optimizer step", "foreach: a copy of the second moments at the step",
                       TRAINING_SOURCES["FOREACH_STEP_BYTES"]),) if t.optimizer_step == "foreach" else ()
    upcast = (Assumption("QLoRA's 16-bit weights", "fp32: peft's prepare_model_for_kbit_training",
                         TRAINING_SOURCES["kbit_upcast"]),) if t.method == "qlora" and t.kbit_upcast else ()
    extra = {"weights": (per_param, *upcast), "gradients": (per_param,), "optimizer": (per_param, *step),
             "activations": (Assumption("Activations per layer", f"{t.attention} attention, checkpointing "
                                        f"'{t.checkpointing}'", TRAINING_SOURCES["activations"]),
                             *((Assumption("Adapted expert stacks", "each MoE layer keeps its experts' weights with "
                                           "the adapters folded in, for the backward pass",
                                           TRAINING_SOURCES["lora_fused_act"]),) if fused else ()),
                             *((Assumption("Mamba-2 layers", "through mamba-ssm's fused kernel",
                                           TRAINING_SOURCES["mamba_kernels"]),)
                               if t.mamba_kernels and mamba2_torch_layers(t.model.architecture) else ()),
                             *((Assumption("Micro-batches", "padded to their longest sequence (a padding mask)",
                                           TRAINING_SOURCES["padded"]),) if t.padded else ()),
                             Assumption("Peak phase", f"{m.peak_phase}, {t.grad_accum} micro-batch"
                                        f"{'es' if t.grad_accum > 1 else ''} a step", TRAINING_SOURCES["phases"])),
             "overhead": (Assumption("Fixed memory", _g(float(m.overhead - m.fragmentation)),
                                     TRAINING_SOURCES["overhead"]),
                          Assumption("Allocator", f"{t.allocator}: {_g(float(m.fragmentation))}",
                                     TRAINING_SOURCES["ALLOCATOR_FRACTION"])),
             "total": (card,),
             "trainable": (Assumption("Adapters", f"rank {t.lora_rank}", TRAINING_SOURCES["lora"]),
                           *((Assumption("Routed experts", routed_lora_text(t),
                                         TRAINING_SOURCES["lora_routed"]),) if t.model.architecture.moe else ()))
             if t.method != "full" else ()}
    titles = {"weights": "Weights", "gradients": "Gradients", "optimizer": "Optimizer states",
              "activations": "Activations", "overhead": "Overhead", "total": "Total",
              "trainable": "Trainable parameters"}
    results = {k: f"{_g(float(getattr(m, k)))} per card" for k in titles if k != "trainable"}
    results["trainable"] = f"{m.trainable_params:,}"
    return tuple(Explanation(k, titles[k], results[k], texts[k], "", "", extra[k]) for k in titles)


def _eager_scores_text(a) -> str:
    """What eager attention keeps of its scores (training.eager_score_bytes), in words."""
    from .training import BF16_EAGER_SOFTMAX, SINK_SCALED_EAGER

    kept = ["the softmax's bf16 output" if a.model_type in BF16_EAGER_SOFTMAX
            else "the softmax's fp32 output and its bf16 copy"]
    if a.attention_dropout:
        kept.append("the dropout's mask" + (" and output" if a.model_type in BF16_EAGER_SOFTMAX else ""))
    if a.attention_softcap:
        kept.append("the soft-cap's tanh")
    if a.model_type in SINK_SCALED_EAGER:
        kept.append("the bf16 scores the sink's logsumexp reads")
    return ", ".join(kept)


def _falcon_text(a, attention: str, batch: int) -> str:
    """Transformers' Falcon attention's own terms (training.falcon_attention_bytes), in words: "" for other
    families."""
    layout = a.falcon_layout
    if layout == "multi_query":
        if not sdpa_math_path(a, attention):
            return ""
        n = "h" if batch > 1 else "h_kv"
        return (f" + 4·d_q + 4·{n}·(d_h + d_v) + 4·h·s − 2·d_q − 4·d_kv − 4h (transformers hands SDPA Falcon's one "
                "key/value head unrepeated, which PyTorch's fused kernels refuse: its math path keeps the queries, "
                + ("the keys and values copied to every head" if batch > 1 else "the keys and values")
                + " and the softmax's output in fp32, in place of the bf16 ones and the log-sum-exp)")
    text = " + 2·s (the causal mask Falcon builds, which each layer's SDPA converts to bf16 and keeps)" \
        if attention == "sdpa" and layout else ""
    if layout == "new_decoder":
        text += " + 2·(h − h_kv)·(d_h + d_v) (the grouped keys and values copied to every query head)"
    return text


def _sdpa_repeat_text(a, t) -> str:
    """What transformers' SDPA attention adds without its grouped-query path (training.sdpa_repeat_bytes), in words:
    "" where it adds nothing."""
    from .training import SDPA_GQA_HEAD_DIM, sdpa_wide_heads
    if t.attention != "sdpa" or a.mla or a.falcon_layout:
        return ""
    g = a.global_attention
    wide = sdpa_wide_heads(a.head_dim, a.v_head_dim) or (g is not None and sdpa_wide_heads(g.head_dim, g.head_dim))
    past = bool(a.sliding_window_layers and a.sliding_window and t.seq > a.sliding_window)
    if t.padded and t.batch > 1:   # (every layer masked: the windowed layers' case is part of it)
        return (" + in every layer (the micro-batch padded) the mask SDPA converts to bf16 and keeps, 2·s"
                + (", and the keys and values repeated to every head" if max(a.num_kv_heads, g.num_kv_heads if g
                                                                             else 0) > 1 else ""))
    parts = []
    if wide and max(a.num_kv_heads, g.num_kv_heads if g else 0) > 1:
        parts.append(f"the keys and values repeated to every head where the heads are wider than {SDPA_GQA_HEAD_DIM} "
                     "(transformers' SDPA without its grouped-query path)")
    if past:
        parts.append(f"in the windowed layers (the sequence longer than their window of {a.sliding_window:,}) the "
                     "mask SDPA converts to bf16 and keeps, 2·s" + (", and the keys and values repeated to every head"
                                                                    if a.num_kv_heads > 1 else ""))
    return "".join(f" + {p}" for p in parts)


def _activation_text(a) -> str:
    """Names the MLP's activation where what it keeps differs from SiLU's (training.ACTIVATION_KEEPS)."""
    from .training import ACTIVATION_KEEPS

    keeps = ACTIVATION_KEEPS.get(a.mlp_activation)
    return f" (the MLP's {a.mlp_activation} in transformers)" if keeps and keeps != ACTIVATION_KEEPS["silu"] else ""


def _adapters_text(t) -> str:
    """How LoRA's trainable count of ``t`` is made: the matrices its targets adapt (peft's all-linear: every linear
    layer but the output layer) and, where peft converts an MoE model's MLP names, the routed experts' fused
    parameters."""
    from .training import ALL_LINEAR, LINEAR_ROUTERS, fused_expert_targets

    a = t.model.architecture
    if ALL_LINEAR in t.adapted_targets:
        what = ("every linear layer but the output layer (peft's all-linear"
                + (": the MoE routers too" if a.moe is not None and a.model_type in LINEAR_ROUTERS else "")
                + (", the image encoder's and its projector's too" if a.vision is not None else "") + ")")
    else:
        what = f"{', '.join(t.adapted_targets)} in every layer" + (
            f" (no attention: {', '.join(t.lora_targets)} would adapt nothing)"
            if t.adapted_targets != t.lora_targets else "")
    fused = (f", the routed experts' through their fused parameters, rank × experts × (d_in + d_out) each "
             f"(gate_up_proj at rank {2 * t.lora_rank})" if fused_expert_targets(a, t.adapted_targets) else "")
    return f" = rank {t.lora_rank} × (d_in + d_out) over {what}{fused}"


def _recurrent_texts(mamba_kernels: bool = False) -> dict:
    """By kind of recurrent layer counted apart (training.recurrent_layer_counts): its name, the bytes its mixer keeps
    and how transformers runs it (``mamba_kernels``: the Mamba-2 mixers through mamba-ssm's fused kernel)."""
    from .training import gdn_layer_bytes, mamba1_layer_bytes, mamba2_layer_bytes
    return {"gdn": ("Gated DeltaNet", gdn_layer_bytes,
                    lambda a: "without flash-linear-attention (its torch chunked delta rule: fp32 copies, 64 × 64 "
                              "blocks and a state of every 64-token chunk; the fla kernels, when installed, keep far "
                              "less)"),
            "mamba2": ("Mamba-2", lambda *args: mamba2_layer_bytes(*args, kernels=True),
                       lambda a: "with mamba-ssm's fused kernel (the input projection's output, the scan's output "
                                 "and the norm's inverse RMS kept, the rest recomputed; read from mamba-ssm's "
                                 "source)") if mamba_kernels else
                      ("Mamba-2", mamba2_layer_bytes,
                       lambda a: f"without mamba-ssm (its torch chunk scan: fp32 copies, {a.mamba.chunk_size} × "
                                 f"{a.mamba.chunk_size} blocks a head and a state of every {a.mamba.chunk_size}-token "
                                 "chunk; the mamba-ssm kernels, when installed, keep far less)"),
            "mamba1": ("Mamba", mamba1_layer_bytes,
                       lambda a: "without mamba-ssm (its torch scan, a loop over the tokens: an fp32 state of "
                                 "every token; the mamba-ssm kernels, when installed, keep far less)")}


def explain_training(t) -> dict[str, str]:
    """Keys: weights, gradients, optimizer, activations, overhead, total, trainable."""
    from .training import (
        ADAPTER_BYTES,
        ALLOCATOR_FRACTION,
        CUDA_CONTEXT_BYTES,
        DATA_PARALLEL_BYTES,
        LOGIT_BYTES,
        OPTIMIZER_BYTES,
        QUERY_BY_HEAD,
        ROTARY_TABLES_PER_LAYER,
        SOFTCAP_LOGIT_BYTES,
        VALUE_NORM,
        adapter_activation_bytes,
        eager_score_bytes,
        fp32_adapters,
        frozen_format,
        fused_lora_bytes,
        fused_param_bytes,
        fused_qkv_whole,
        kbit_upcast_bytes,
        layer_activation_bytes,
        logit_bytes,
        mlp_kept_widths,
        optimizer_step_bytes,
        recurrent_layer_counts,
        resident_extras,
        training_memory,
    )

    a = t.model.architecture
    m = training_memory(t)
    by_head = a.model_type in QUERY_BY_HEAD and not a.mla
    recurrent, texts = recurrent_layer_counts(a), _recurrent_texts(t.mamba_kernels)
    w_b, g_b, o_b = (OPTIMIZER_BYTES if t.method == "full" else ADAPTER_BYTES)[t.optimizer]
    n = m.trainable_params
    step = optimizer_step_bytes(t, n)
    zero = f" ÷ {t.n_gpus} cards (ZeRO-{t.zero})" if t.zero and t.n_gpus > 1 else ""
    upcast = kbit_upcast_bytes(t, weight_bytes(a, frozen_format(t)))
    fwb = weight_bytes(a, frozen_format(t))
    frozen = fwb.total + fwb.vision        # (a vision-language checkpoint's tower with the base: training_memory)
    experts16 = t.method == "qlora" and wide_experts(frozen_format(t))
    tower = f", its image encoder's {_g(fwb.vision)} with it" if fwb.vision else ""
    base = {"full": "", "lora": f"frozen bf16 base {_g(frozen)}{tower} + ",
            "qlora": f"frozen NF4 base {_g(frozen)}{tower} ("
            + ("its routed experts 16-bit, as bitsandbytes leaves them" if experts16 else "4.13 bits") + ") + "
            + (f"its embeddings, LM head{', routed experts' if experts16 else ''}"
               f"{', the rest of its encoder' if fwb.vision else ''} and norms cast to fp32 "
               f"(+{_g(upcast)}) + " if upcast else "")}[t.method]
    trained = t.method == "full"
    layer = float(layer_activation_bytes(a, t.seq, t.batch, t.attention, trained, mamba_kernels=t.mamba_kernels,
                                         padded=t.padded))
    fp32 = fp32_adapters(t)
    adapters = float(adapter_activation_bytes(a, t.adapted_targets, t.lora_rank, t.seq, t.batch, fp32)) \
        if t.method != "full" else 0.0     # (full fine-tuning has no adapters, whatever targets the setup names)
    kept, per_token, _ = fused_lora_bytes(a, t.adapted_targets, t.lora_rank, fused_param_bytes(t)) \
        if t.method != "full" else (0.0, 0.0, 0.0)
    fused = kept + per_token * t.seq * t.batch
    stacks = (f" + {a.moe_layers} MoE layers × {_g(fused)}" if t.checkpointing != "full" else
              f" (an MoE layer with {_g(fused)} more)") if fused else ""
    stored = {"none": f"{a.num_layers} layers × {_g(layer + adapters)}{stacks}",
              "selective": f"{a.num_layers} layers without the attention's scores{stacks}",
              "full": f"each layer's input, {a.num_layers} × 2·s·b·d, one layer recomputed at a time{stacks}"
              }[t.checkpointing]
    phases = {"loss": f"the loss ({'the gradients of earlier micro-batches + ' if t.grad_accum > 1 else ''}"
                      f"stored {_g(float(m.stored))} + logits {_g(float(m.logits))}) {_g(float(m.loss_phase))}",
              "backward": f"the backward pass {_g(float(m.backward_phase))}",
              "step": f"the step (gradients{' + its temporaries' if step else ''}) {_g(float(m.step_phase))}"}
    frag = float(m.fragmentation)
    dp = DATA_PARALLEL_BYTES if t.n_gpus > 1 else 0.0
    # (the attention layers' terms; a model without attention, Mamba's alone: none)
    attn_text = (("4·h·(n + r) (MLA's query and key, each built whole) + 2·h·(n + v) (the key up-projection's "
                  "output, the values a view of it) + "
                  + ("4·h·v (attention's output and o_proj's copy)"
                     if trained and a.mla.v_head_dim == a.q_head_dim else "2·h·v (attention's output)")
                  + " + 4h + the latents' norms"
                  + (f" + {eager_score_bytes(a)}·h·s (eager's scores: {_eager_scores_text(a)})"
                     if t.attention == "eager" else "") if a.mla else "2·d_q + ")
                 + ("" if a.mla else
                    ("4·d_kv (keys and values" + (": one head of one sequence repeats into a view)"
                                                   if a.num_kv_heads == 1 else ")")
                     if a.falcon_layout == "new_decoder" or (a.num_kv_heads == 1 and t.batch == 1)
                     else "4·h·d_h (keys and values repeated to every head)")
                    + ("" if by_head else " + 2·d_o" if trained or a.attn_output_gate else
                       " (its output kept only for o_proj's weight: none, frozen)")
                    + f" + {eager_score_bytes(a)}·h·s (eager's scores: {_eager_scores_text(a)})"
                    if t.attention == "eager" else "4·d_kv + 2·d_o + 4h")
                 + _falcon_text(a, t.attention, t.batch)
                 + (" + 4·d_kv + 8·h_kv (the values' weightless norm)" if a.model_type in VALUE_NORM else "")
                 + _sdpa_repeat_text(a, t)
                 + (" + the output gate's sigmoid" + (", the gated product" if trained else "")
                    + (" and the output's copy it multiplies" if by_head else "") + " (2·d_o each)"
                    if a.attn_output_gate and not a.mla else
                    " + 2·d_o (o_proj's copy of the output, laid out by head)" if trained and by_head else "")
                 + (" + q/k norms" if a.has_qk_norms else "")
                 + (" + 2·(d_q + d_kv) (the fused qkv projection's output, alive whole through the values, "
                    "a view of it)" if fused_qkv_whole(a, t.attention, t.batch) else "")) if a.attention_layers \
        else ""
    if a.per_layer_input:   # (Gemma 4 E2B / E4B)
        trained_ple = (", the gate's input 2d, 4p (the activation's output, the projection's input) and the model's "
                       "norm over the inputs, 8p + 8") if trained else ""
        attn_text += (" + the per-layer input's gate: its norm, 2p (the activation's input) and 2p (the layer's "
                      f"slice of the inputs){trained_ple} (p = {a.per_layer_input})")
    g = a.global_attention
    kinds_text = ""     # (Gemma 4: the layers' mean over its kinds of layer)
    if g is not None:
        kinds_text += (f", the mean over its {a.sliding_window_layers} windowed layers with heads of {a.head_dim} over "
                       f"{a.num_kv_heads} key/value heads and its {a.attention_layers - a.sliding_window_layers} "
                       f"full-attention layers with their own, {g.head_dim} over {g.num_kv_heads}"
                       + (" that are also the values" if g.k_eq_v else ""))
    if a.kv_shared_layers:
        kinds_text += (f"{',' if g is not None else ', the mean over its layers,'} its {a.kv_shared_layers} kv-shared "
                       "layers without keys, values and their norms of their own (an earlier layer's)")
    tables = ROTARY_TABLES_PER_LAYER.get(a.model_type, 0)    # (once a position, the batch's sequences sharing them)
    tables_text = (f" + s·{tables}·d_h (the cos and sin tables each attention layer rebuilds, one set a position)"
                   if tables else "")
    return {
        "weights": f"Weights = {base}{n:,} trainable × {w_b:g} bytes{zero if t.zero >= 3 else ''}"
                   + "".join(f" + transformers' {what} = {_g(b)}" for what, b, _ in resident_extras(t))
                   + f" = {_g(float(m.weights))} per card.",
        "gradients": f"Gradients = {n:,} trainable × {g_b:g} bytes{zero if t.zero >= 2 else ''} = "
                     f"{_g(float(m.gradients))}.",
        "optimizer": f"Optimizer states ({t.optimizer}) = {n:,} × {o_b:g} bytes{zero if t.zero >= 1 else ''} = "
                     f"{_g(float(m.optimizer) - step)}"
                     + (" (fp32 master copy + two fp32 moments)" if t.optimizer == "adamw" and t.method == "full"
                        else "") + "."
                     + (f" The foreach step adds the square roots of the second moments, {_g(step)}, once the "
                        f"activations are freed." if step > 0 else ""),
        "activations": ("Activations: one layer keeps s·b·("
                        + attn_text
                        + ((f", in its {a.attention_layers} attention layers" if a.attention_layers else
                            "no attention")
                           + "".join(f"; its {n} {texts[kind][0]} layers' mixers "
                                     f"{_g(float(texts[kind][1](a, t.seq, t.batch, trained)))} each as "
                                     f"transformers runs them {texts[kind][2](a)}"
                                     for kind, n in recurrent.items())
                           + ("; every layer" if a.ffn_layers == a.num_layers else
                              f"; its {a.ffn_layers} MLP layers" if a.ffn_layers else "; no MLP")
                           if recurrent else "")
                        + (f" + {mlp_kept_widths(a, trained):g}f{_activation_text(a)}" if a.ffn_layers else "")
                        + (f" + {a.residual_dropouts}·d (dropout masks)" if a.residual_dropouts else "")
                        + (" + each norm's input, normalized input and output (every weight trains)"
                           if trained else " + each norm's fp32 input (a frozen base)")
                        + (" − 2d (its two LayerNorms read one input, kept once)"
                           if a.norms_share_input and a.norm_kind == "layer" else "")
                        + ")" + tables_text + kinds_text + f" = {_g(layer)}, as HF transformers' layers keep it"
                        + ((", and its adapters' inputs in fp32 (peft's fp32 adapters: 4·(d_in + r) a matrix) "
                            if fp32 else ", and its bf16 adapters' outputs (2·r a matrix) ") + _g(adapters)
                           if t.method != "full" else "")
                        + ("; an MoE layer whose routed experts LoRA adapts keeps their stack with the adapters "
                           "folded in, E·d_in·d_out a parameter, the two factors and the experts' inputs, "
                           f"k·d_in a token, in {fused_param_bytes(t):g} bytes: {_g(fused)}" if fused else "")
                        + f"; checkpointing '{t.checkpointing}': {stored}; logits {t.seq:,} × {t.batch} × "
                        f"{a.vocab_size:,} × {logit_bytes(a):g} bytes at the loss"
                        + (f" ({LOGIT_BYTES:g} + {SOFTCAP_LOGIT_BYTES:g} for the soft-cap's tanh)"
                           if a.logit_softcap else "")
                        + ". The peak is the largest phase "
                        f"beyond the weights and optimizer states: {'; '.join(phases.values())}"
                        f" — here {m.peak_phase}. Counted here: what it needs beyond the gradients and the "
                        f"step's temporaries = {_g(float(m.activations))}."),
        "overhead": f"CUDA context {_g(CUDA_CONTEXT_BYTES)}"
                    + (f" + communication buffers {_g(dp)}" if dp > 0 else "")
                    + f" + PyTorch's {t.allocator} allocator, {ALLOCATOR_FRACTION[t.allocator]:.0%} of the peak "
                    f"phase {_g(frag)} = {_g(float(m.overhead))} per card.",
        "total": f"Total = weights + gradients + optimizer + activations + overhead = {_g(float(m.total))} per card.",
        "trainable": f"Trainable parameters: {n:,}{_adapters_text(t) if t.method != 'full' else ' (every parameter)'}.",
    }
