"""The scenario report: one JSON-ready dict (bytes, seconds) shared by the CLI's
``estimate --json`` and the window's report export, and its Markdown rendering; the same
for a fine-tuning job (``train --json``, the window's report in fine-tuning mode)."""

from __future__ import annotations

import math

import numpy as np

from .. import __version__
from .architecture import layout_note
from .engines import (
    APPLE_ONLY,
    BITSANDBYTES,
    CACHE_CAPS_CONTEXT,
    COPIED_OFFLOAD,
    HF_BNB_EXPERTS,
    HF_BNB_OFFLOAD,
    HF_NO_MPS,
    HF_NO_SDPA,
    HF_NO_SDPA_WHY,
    LLAMACPP,
    NO_APPLE_GPU,
    OFFLOAD_ON_FIRST_CARD,
    OLLAMA,
    READS_IN_PLACE,
    REFUSES_PAST_CONTEXT,
    SDPA_MATH_WHY,
    STAGES_OFFLOADED,
    card_target,
    converts_first,
    default_context,
    listed_cards,
    one_card,
    runs_on_gpu,
    seen_memory,
    unlisted_card,
    up_projected_gguf,
)
from .fit import auto_fit_headroom, context_cap, fit, server_context
from .formats import wide_experts
from .layouts import layout_dicts, layouts
from .memory import estimate_memory, replicates_latent
from .offload import (
    COPIED_SHARE,
    MOE_CPU_LAYER_S,
    PINNED_COPY_EFFICIENCY,
    max_memory_bytes,
    max_memory_cpu_bytes,
    offloads,
    plan_costs,
    served_tokens_per_s,
    staging_bytes,
)
from .params import count_params
from .scenario import Scenario
from .speed import (
    CROSS_NODE_RUN,
    DATA_PARALLEL_MLA,
    EXPERT_TOKEN_READS,
    LLAMACPP_BATCHED,
    SpeedResult,
    cost_per_million_tokens,
    costs,
    estimate_speed,
    host_of,
    knee_batch,
    prompt_split,
    served,
    small_batch_kernels,
    speed_key,
)
from .units import GIB, MIB, duration_text


def offload_dict(plan) -> dict:
    """``offload`` keys of the JSON output (bytes per device)."""
    return {"level": plan.level, "description": plan.describe(), "gpu_layers": plan.gpu_layers,
            "cpu_layers": plan.cpu_layers, "n_layers": plan.n_layers, "experts_on_cpu": plan.experts_on_cpu,
            "output_on_gpu": plan.output_on_gpu, "ngl": plan.ngl if plan.splits_layers else None,
            "copy_bytes": plan.copy_bytes,
            "prefill_seconds": None if plan.prefill_s != plan.prefill_s else plan.prefill_s,
            "prompt_copy_bytes": plan.prompt_copy_bytes, "link_bytes_per_s": plan.link_bytes_per_s,
            "step_copy_bytes": plan.step_copy_bytes, "copied_bytes": plan.copied_bytes,
            "read_in_place": plan.read_in_place, "forced": plan.forced, "experts_only": plan.experts_only,
            "cpu_moe_layers": plan.cpu_moe_layers,
            "copy_share": plan.copy_share, "cpu_math_seconds": plan.cpu_math_s,
            "cpu_prompt_seconds": plan.cpu_prompt_s, "cpu_flops_per_second": plan.cpu_flops_per_s,
            "max_prompt_tokens": plan.max_prompt_tokens if plan.max_context is not None else None,
            "max_context": plan.max_context, "max_batch": plan.max_batch,
            "per_device": [{"device": d.name, "bytes": d.used_bytes, "budget_bytes": d.budget_bytes,
                            "layers": d.layers} for d in plan.devices],
            "decode_tokens_per_second": plan.tokens_per_s}


def _share(o: dict) -> str:
    """The share of the link an offload dict's copies run at, in words (pinned host memory says so)."""
    share = o["copy_share"]
    return f"{share:.0%}" + (" (pinned host memory)" if share == PINNED_COPY_EFFICIENCY else "")


def cached_text(prompt: int, cached: int) -> str:
    """`` (1,000 of them cached)`` after a prompt's length, where the scenario keeps a prefix (as the estimate
    keeps it: at most the prompt less one token, :func:`~vramgui.core.speed.prompt_split`)."""
    kept = int(prompt_split(prompt, cached)[1])
    return f" ({kept:,} of them cached)" if kept else ""


def max_memory_text(card: float, ram: float, cards: int = 1) -> str:
    """``from_pretrained``'s max_memory for ``cards`` cards each holding ``card`` bytes and ``ram`` bytes of RAM, as
    accelerate reads it: GiB strings, rounded up to the hundredth (a figure rounded down could leave a module that the
    plan's bytes hold off the card)."""
    each = "".join(f'{i}: "{_gib_up(card)}GiB", ' for i in range(cards))
    return f'max_memory={{{each}"cpu": "{_gib_up(ram)}GiB"}}'


def _gib_up(x: float) -> str:
    return f"{math.ceil(x / GIB * 100 - 1e-9) / 100:.2f}"


def offload_lines(o: dict, limit: int | None = None) -> list[str]:
    """The offload plan of :func:`offload_dict` in words: where the model lives and how fast it decodes, then (indented)
    what op offload adds to the first card's compute buffer and to the time to first token, and the largest prompt
    and the most sequences the cards and the RAM hold (where worked out: :func:`~vramgui.core.offload.
    with_max_prompt`, :func:`~vramgui.core.offload.with_max_batch`), what the plan serves and the sequences it
    serves most at (:func:`_offload_served`).  The CLI's
    ``estimate`` prints them, the Markdown report lists them.  ``limit``: the model's context limit (a larger context
    is said to pass it)."""
    g = lambda x: f"{x / GIB:,.2f} GiB"  # noqa: E731
    where = ", ".join(f"{x['device']} {g(x['bytes'])} of {g(x['budget_bytes'])}" for x in o["per_device"])
    lines = [f"offload: {o['description']} - {where}; decode {o['decode_tokens_per_second']:,.2f} tokens/s"]
    if o.get("engine_note"):
        lines.append(f"  note: {o['engine_note']}")
    if o.get("max_memory_bytes"):
        lines.append("  HF transformers places so with "
                     f"{max_memory_text(o['max_memory_bytes'], o['max_memory_cpu_bytes'], len(o['per_device']) - 1)}")
    if o["cpu_moe_layers"] and not o["cpu_layers"]:
        lines.append(f"  the routed experts of {o['cpu_moe_layers']} layers in RAM (llama.cpp: -ngl {o['ngl']} "
                     f"--n-cpu-moe {o['cpu_moe_layers']})" + ("" if o["step_copy_bytes"] else
                     f"; the CPU runs them, and each such layer hands its activations to the CPU and back, "
                     f"{MOE_CPU_LAYER_S * 1e3:.2f} ms a step"))
    if o["copy_bytes"]:
        lines.append(f"  the first card's compute buffer holds {o['copy_bytes'] / MIB:,.0f} MiB more: a prompt's pass "
                     "copies tensors of the part in RAM there (llama.cpp's op offload)")
    if o["copied_bytes"] and o["step_copy_bytes"] < o["copied_bytes"]:     # (read in place: an MoE's used experts)
        what = ("routed experts a card keeps in RAM over its link, in place: those its tokens use" if
                o.get("experts_only") else "weights a card keeps in RAM over its link, in place: the routed experts "
                                           "its tokens use and the layers' other weights")
        lines.append(f"  decode: each step reads {o['step_copy_bytes'] / 1e9:,.1f} GB of the "
                     f"{o['copied_bytes'] / 1e9:,.1f} GB of {what} (at an assumed {_share(o)} of its "
                     f"{o['link_bytes_per_s'] / 1e9:,.0f} GB/s link)")
    elif o["copied_bytes"] and o["step_copy_bytes"] > o["copied_bytes"]:   # (HF transformers, several cards)
        lines.append(f"  decode: each step copies the {o['step_copy_bytes'] / 1e9:,.1f} GB of weights the cards keep "
                     f"in RAM ({o['copied_bytes'] / 1e9:,.1f} GB each) to the first card, which runs every layer kept "
                     f"there (at an assumed {_share(o)} of its {o['link_bytes_per_s'] / 1e9:,.0f} GB/s link)")
    elif o["copied_bytes"]:
        verb = "reads" if o.get("read_in_place") else "copies"
        where = "over its link, in place" if o.get("read_in_place") else "to it"
        lines.append(f"  decode: each step {verb} the {o['copied_bytes'] / 1e9:,.1f} GB of weights a card keeps in "
                     f"RAM {where} (at an assumed {_share(o)} of its {o['link_bytes_per_s'] / 1e9:,.0f} GB/s link)")
    elif o["step_copy_bytes"]:
        lines.append(f"  decode: each step of 32 sequences or more copies {o['step_copy_bytes'] / 1e9:,.1f} GB of the "
                     f"part in RAM to the card (op offload, at an assumed {_share(o)} of its "
                     f"{o['link_bytes_per_s'] / 1e9:,.0f} GB/s link) instead of the CPU reading it")
    if o["cpu_math_seconds"]:
        lines.append(f"  decode: the CPU's arithmetic for the sequences past the first adds "
                     f"{o['cpu_math_seconds'] * 1e3:,.1f} ms a step (at an assumed "
                     f"{o['cpu_flops_per_second'] / 1e12:,.2f} TFLOP/s, from the RAM's bandwidth)")
    if o["prompt_copy_bytes"] and o["prefill_seconds"] is not None:
        verb, where = ("read", "over its link") if o.get("read_in_place") else ("copy", "to the card")
        lines.append(f"  first token {duration_text(o['prefill_seconds'])}: the prompt's passes {verb} "
                     f"{o['prompt_copy_bytes'] / 1e9:,.1f} GB of the part in RAM {where} (at an assumed "
                     f"{_share(o)} of its {o['link_bytes_per_s'] / 1e9:,.0f} GB/s link)")
    if o["cpu_prompt_seconds"] and o["prefill_seconds"] is not None:
        lines.append(f"  first token {duration_text(o['prefill_seconds'])}: the CPU runs the prompt's passes on the "
                     f"part in RAM, {duration_text(o['cpu_prompt_seconds'])} of it at an assumed "
                     f"{o['cpu_flops_per_second'] / 1e12:,.2f} TFLOP/s (no pass copied to the card: under 32 tokens, "
                     "unified memory, or builds before op offload)")
    most = o["max_context"]
    if most is not None:       # (worked out, and placed at all: the first line says where it is not)
        cards = "card" if len(o["per_device"]) == 2 else "cards"
        ram = o["per_device"][-1]["budget_bytes"]
        past = f", past the model's {limit:,}" if limit is not None and most > limit else ""
        lines.append(f"  largest prompt on the {cards} and in {ram / GIB:,.2f} GiB of system RAM: "
                     f"{o['max_prompt_tokens']:,} tokens (context {most:,}{past})")
    if o["max_batch"]:
        lines.append(f"  most sequences of this prompt and output there: {o['max_batch']:,}")
    if "served_throughput_tokens_per_second" in o:
        cost = (f"; cost {o['cost_per_million_tokens']:,.4f} per million generated tokens"
                if "cost_per_million_tokens" in o else "")
        lines.append(f"  served as planned (prompts included): {o['served_throughput_tokens_per_second']:,.2f} "
                     f"generated tokens/s in all{cost}")
    if "best_batch" in o:
        cost = (f"; cost {o['best_cost_per_million_tokens']:,.4f} per million generated tokens"
                if "best_cost_per_million_tokens" in o else "")
        first = "" if o["best_prefill_seconds"] is None else \
            f", the first tokens after {duration_text(o['best_prefill_seconds'])}"
        lines.append(f"  the most served: {o['best_served_tokens_per_second']:,.2f} generated tokens/s in all at "
                     f"{o['best_batch']:,} sequences of this prompt and output{first}{cost}")
    return lines


def estimate_dict(s: Scenario, price_per_hour: float | None = None, offload=None) -> dict:
    """The JSON object of ``estimate --json`` (bytes, seconds, tokens).  ``offload`` is an
    :class:`~vramgui.core.offload.OffloadPlan` to report under ``offload``."""
    a = s.model.architecture
    p, note = count_params(a), layout_note(a)
    m = estimate_memory(s)
    f = fit(s)
    sp = estimate_speed(s)
    speed = _speed_dict(sp)
    sol_knee = knee_batch(s, efficient=False)
    speed["speed_of_light_knee_batch"] = sol_knee if sp.compute_known and np.isfinite(sol_knee) else None
    sv = served(s)
    speed.update({"served_seconds_per_token": float(sv.tpot_s),
                  "served_throughput_tokens_per_second": float(sv.throughput_tokens_per_s),
                  "served_prefill_share": float(sv.prefill_share) if sv.compute_known else None})
    speed["memory_max_batch"] = f.max_batch
    if price_per_hour is not None:
        c = costs(s, price_per_hour, f.max_batch)
        speed["cost_per_million_tokens"] = c.per_million
        speed["price_per_hour"] = price_per_hour
        if c.cheapest_batch is not None:
            speed["cheapest_batch"] = c.cheapest_batch
            speed["cheapest_cost_per_million_tokens"] = c.cheapest_per_million
    return {
        "version": __version__,
        "scenario": {"model": s.model.id, "gpu": s.gpu.id, "gpus": s.n_gpus, "pipeline": s.stages, "weights": s.weights,
                     "kv_dtype": s.kv_dtype, "engine": s.engine, "attention": s.attention_impl,
                     "host": host_of(s), "host_from_card": s.host is None,
                     "prompt_tokens": s.prompt_tokens, "cached_tokens": s.cached_tokens,
                     "output_tokens": s.output_tokens, "batch": s.batch,
                     "gpu_util": s.gpu_util, "reserved_mib": s.reserved_mib, "context_note": context_note(s),
                     "node_cards": s.cards_per_node, "tp_nodes": s.tp_nodes, "nodes_note": nodes_note(s),
                     "tp_split_note": tp_split_note(s), "machines_note": machines_note(s),
                     "data_parallel_note": data_parallel_note(s), "batched_decode_note": batched_decode_note(s),
                     "engine_note": engine_note(s), "card_note": card_note(s), "gguf_note": gguf_note(s),
                     "format_note": format_note(s), "default_context_note": default_context_note(s),
                     "fit_margin_note": fit_margin_note(s), "server_context_note": server_context_note(s),
                     "context_cap_note": context_cap_note(s), "one_card_note": one_card_note(s),
                     "experts_note": experts_note(s), "attention_default_note": attention_default_note(s),
                     "sdpa_math_note": sdpa_math_note(s)},
        "model": {"id": s.model.id, "name": s.model.name, "params_total": p.total, "params_active": p.active,
                  "params_vision": p.vision, "layout_checked": note is None, "layout_note": note,
                  "architecture": a.model_dump(), "source": s.model.source},
        "gpu": {"id": s.gpu.id, "name": s.gpu.name, "memory_bytes": s.gpu.memory_bytes,
                "bandwidth_bytes_per_s": s.gpu.bandwidth_bytes_per_s},
        "memory": {"per_card": True, "weights": float(m.weights), "kv_cache": float(m.kv_cache),
                   "activations": float(m.activations), "overhead": float(m.overhead),
                   "total": float(m.total), "kv_bytes_per_token": m.kv_bytes_per_token},
        "fit": {"fits": f.fits, "verdict": f.verdict, "budget_bytes": f.budget_bytes,
                "needed_bytes": f.needed_bytes, "headroom_bytes": f.headroom_bytes,
                "max_prompt_tokens": f.max_prompt_tokens, "max_context": f.max_context,
                "max_batch": f.max_batch, "min_gpus": f.min_gpus, "kv_capacity_tokens": f.kv_capacity_tokens,
                "max_concurrency": f.max_concurrency, "server_context_tokens": _first(server_context(s)),
                "context_cap_tokens": context_cap(s)},
        "speed": speed,
        "offload": None if offload is None else _offload_served(offload_dict(offload), offload, s, f.fits,
                                                                 price_per_hour),
        # the same cards split every other way the engine allows, at the same load (several cards only)
        "layouts": layout_dicts(layouts(s, s.n_gpus, price_per_card_hour=price_per_hour)) if s.n_gpus > 1 else None,
    }


def _offload_served(o: dict, plan, s: Scenario, fits: bool, price_per_hour: float | None) -> dict:
    """``o`` (:func:`offload_dict`) with :func:`offload_note` (``engine_note``), the plan's served throughput and,
    with a price, its cost, where it runs the model (:func:`~vramgui.core.offload.offloads`: the speed block keeps
    every layer on the card); and where the sequences it serves most at were searched
    (:func:`~vramgui.core.offload.with_best_batch`: estimate), those."""
    o["engine_note"] = offload_note(s)
    o["max_memory_bytes"] = max_memory_bytes(s, plan)     # (HF transformers: its device map's figure for each card)
    o["max_memory_cpu_bytes"] = max_memory_cpu_bytes(s, plan)
    if offloads(plan.level, fits, plan.forced):
        o["served_throughput_tokens_per_second"] = served_tokens_per_s(plan, s)
        if price_per_hour is not None:
            o["cost_per_million_tokens"] = plan_costs(plan, s, price_per_hour).per_million
        if plan.best_batch:
            o["best_batch"] = plan.best_batch
            o["best_served_tokens_per_second"] = plan.best_served_tokens_per_s
            o["best_prefill_seconds"] = None if plan.best_prefill_s != plan.best_prefill_s else plan.best_prefill_s
            if price_per_hour is not None:
                o["best_cost_per_million_tokens"] = float(cost_per_million_tokens(plan.best_served_tokens_per_s,
                                                                                  s.n_gpus, price_per_hour))
    return o


def offload_note(s) -> str | None:
    """Where the engine of ``s`` offloads by copying its weights in RAM to the card (:data:`engines.COPIED_OFFLOAD`:
    vLLM, SGLang, HF transformers; :func:`~vramgui.core.offload.plan_copied`), how and with what assumption; None
    elsewhere (llama.cpp's split)."""
    got = COPIED_OFFLOAD.get(s.engine)
    if got is None:
        return None
    how, source = got
    share = f"{COPIED_SHARE[s.engine]:.0%}"
    if s.engine in READS_IN_PLACE:
        return (f"{s.profile.name} keeps the weights that do not fit on the card in pinned RAM, where the card's "
                f"kernels read them for every forward pass ({how}; {READS_IN_PLACE[s.engine]}), not llama.cpp's "
                "split with the CPU running layers: each decode step and each prompt chunk here reads them over the "
                f"card's host link at an assumed {share} of it (not measured for this engine; three published vLLM "
                "runs at their own --cpu-offload-gb decode within 20 % of their plans), of an MoE's routed experts "
                "only those its tokens use; a long prompt's matrix products may read them more than once, which the "
                "first token here does not count")
    bnb = f"; {HF_BNB_OFFLOAD[0]} ({HF_BNB_OFFLOAD[1]})" if s.engine == "hf" and s.weights in BITSANDBYTES else ""
    stage = staging_bytes(s)
    first = (f"; {OFFLOAD_ON_FIRST_CARD[s.engine][0]}, so each pass copies every card's share over that card's "
             f"link in turn ({OFFLOAD_ON_FIRST_CARD[s.engine][1]})") if s.n_gpus > 1 and \
        s.engine in OFFLOAD_ON_FIRST_CARD else ""
    card = "the card" if s.n_gpus == 1 else "the first card"
    room = (f"; {STAGES_OFFLOADED[s.engine][0]}: {card} keeps {stage / GIB:,.2f} GiB free for it, as many more "
            f"bytes in RAM, and the RAM keeps as much free ({STAGES_OFFLOADED[s.engine][1]})") if stage else ""
    return (f"{s.profile.name} keeps the weights that do not fit in RAM and copies them to the card for every forward "
            f"pass ({how}; {source}), not llama.cpp's split with the CPU running layers: each decode step and each "
            f"prompt chunk here copies them at an assumed {share} of the card's host link (not measured for this "
            f"engine){first}{room}{bnb}")


def _first(pair: tuple | None):
    return None if pair is None else pair[0]


def _speed_dict(sp: SpeedResult) -> dict:
    known = sp.compute_known
    return {
        "compute_known": known,
        "prefill_seconds": float(sp.prefill_s) if known else None,
        "decode_seconds_per_token": float(sp.decode_step_s),
        "decode_tokens_per_second": float(sp.decode_tokens_per_s),
        "throughput_tokens_per_second": float(sp.throughput_tokens_per_s),
        "speed_of_light_decode_seconds_per_token": float(sp.sol_decode_step_s),
        "speed_of_light_prefill_seconds": float(sp.sol_prefill_s) if known else None,
        "decode_bound": sp.decode_bound,
        "knee_batch": float(sp.knee_batch) if known and np.isfinite(sp.knee_batch) else None,
        "bandwidth_efficiency": sp.bw_efficiency,
        "compute_efficiency": sp.flops_efficiency,
    }




def context_note(s) -> str | None:
    """A warning where prompt + output run past the model's context length (None within it)."""
    limit = s.model.architecture.max_context
    if not s.past_context:
        return None
    if s.engine in REFUSES_PAST_CONTEXT:
        return (f"prompt + output = {s.context_tokens:,} tokens, beyond the model's {limit:,}-token context: "
                f"{s.profile.name} refuses such a request (estimated as if it ran)")
    return (f"prompt + output = {s.context_tokens:,} tokens, beyond the model's {limit:,}-token context: it was "
            "not trained on positions past it (estimated as if it ran)")


#: The scenario's cautions in ``estimate_dict``, in the order the CLI and the report print them
NOTE_KEYS = ("context_note", "default_context_note", "fit_margin_note", "server_context_note", "context_cap_note",
             "tp_split_note", "nodes_note", "machines_note", "data_parallel_note", "batched_decode_note", "engine_note",
             "card_note", "gguf_note", "format_note", "experts_note", "one_card_note", "attention_default_note",
             "sdpa_math_note")


def default_context_note(s) -> str | None:
    """Where the engine allocates a longer context than prompt + output (Ollama's default num_ctx by the GPU memory it
    sees: :func:`engines.default_context`); None elsewhere."""
    floor = default_context(s.profile, s.gpu, s.n_gpus, s.model.architecture.max_context)
    if floor <= s.context_tokens:
        return None
    seen = seen_memory(s.gpu, s.n_gpus) / GIB
    return (f"{s.profile.name} allocates its default context, {floor:,} tokens a sequence on {seen:.1f} GiB of GPU "
            f"memory, not the {s.context_tokens:,} of prompt + output: the KV cache and the largest batch count it. "
            "With num_ctx set (a request's options, a Modelfile, OLLAMA_CONTEXT_LENGTH) it allocates that instead, "
            "as the 'Ollama (num_ctx set)' profile estimates")


def fit_margin_note(s) -> str | None:
    """Where the model fits with less headroom than llama-server's automatic placement keeps free
    (:func:`fit.auto_fit_headroom`); None elsewhere."""
    headroom = auto_fit_headroom(s)
    if headroom is None:
        return None
    return f"{headroom / MIB:,.0f} MiB to spare, under the {fit_margin_why(s.profile.auto_fit_margin_bytes)}"


def server_context_note(s) -> str | None:
    """Where llama-server started without -c would allocate less than the model's training context
    (:func:`fit.server_context`); None elsewhere."""
    found = server_context(s)
    limit = s.model.architecture.max_context
    if found is None or found[0] >= limit:
        return None
    tokens, on_card = found
    margin = s.profile.auto_fit_margin_bytes / MIB
    if not on_card:
        return (f"llama-server without -c: {tokens:,} tokens of context (--fit's least), with layers moved to the CPU: "
                f"the model's {limit:,} do not fit with the {margin:,.0f} MiB it keeps free, nor do {tokens:,}")
    return (f"llama-server without -c: {tokens:,} tokens of context, the most that fit with the {margin:,.0f} MiB its "
            f"--fit keeps free (the model's own {limit:,} do not; on by default since Dec 2025)")


def context_cap_note(s) -> str | None:
    """Where the engine's context meets its cache (:func:`fit.context_cap`): vLLM without --max-model-len refuses
    to start, SGLang caps each request; None elsewhere, and where not even one token's sequence fits."""
    tokens = context_cap(s)
    limit = s.model.architecture.max_context
    if tokens is None or tokens >= limit or tokens <= 0:
        return None
    does, flag, _ = CACHE_CAPS_CONTEXT[s.engine]
    if does == "caps":
        return (f"{s.profile.name} serves requests up to {tokens:,} tokens, the cache beside the weights, not the "
                f"model's {limit:,}: a longer prompt and output are refused (max_req_input_len, the smaller of {flag} "
                "and the cache's tokens)")
    return (f"{s.profile.name} without {flag} takes the model's {limit:,} tokens and refuses to start: one sequence of "
            f"them needs more cache than the cards hold beside the weights (its check at start); {flag} {tokens:,} "
            f"or less starts it (the longest one sequence fits; vLLM's --max-model-len auto picks it, since Nov 2025)")


def fit_margin_why(margin_bytes: float) -> str:
    """What llama-server's automatic placement keeps free and does where a model leaves less (the CLI's notes)."""
    return (f"{margin_bytes / MIB:,.0f} MiB llama-server and llama-cli keep free when they place the layers "
            "themselves (--fit, on by default since Dec 2025): they would move layers to the CPU; give -ngl all to "
            "keep every layer on the card")


def nodes_note(s) -> str | None:
    """A warning where one tensor-parallel group spans nodes (None within one node)."""
    k = s.tp_nodes
    if k <= 1:
        return None
    run = CROSS_NODE_RUN
    return (f"the tensor-parallel group of {s.tensor_parallel} cards spans {k} nodes of {s.cards_per_node}: its "
            "all-reduces cross the network between nodes, which the speeds here do not model (they assume the "
            f"card's own links); one measured run (DeepSeek R1, SGLang, 2 nodes of 8 H100) took {run['tpot_ms']} ms "
            f"a token, {run['times_estimate']} times this model's figure. Keep tensor parallel within a node and "
            "put pipeline stages across nodes" + (f" (--pipeline {s.node_stages})" if s.node_stages else ""))


def machines_note(s) -> str | None:
    """Where an engine that splits layers (llama.cpp, HF transformers) has more cards than one machine holds
    (:attr:`~vramgui.core.scenario.Scenario.nodes`: two Macs, nine discrete cards); None elsewhere (a tensor-parallel
    group across machines: :func:`nodes_note`)."""
    k = s.nodes
    if k <= 1 or s.profile.parallel == "tensor":
        return None
    machines = f"{s.n_gpus} cards are {k} machines of {s.cards_per_node}"
    if s.engine in LLAMACPP and s.engine not in OLLAMA:
        return (f"{machines}: llama.cpp joins them over the network with its RPC backend (rpc-server on each, "
                "--rpc), whose round trips each token the speeds here do not model (they take the card's own link)")
    return (f"{machines}: {s.profile.name} runs on one machine and does not join them (the figures are as if one "
            "machine held the cards)")


#: The serving engines that split each layer over a tensor-parallel group and refuse one that does not split the heads
#: (:func:`tp_split_note`).
TP_SERVERS = ("vllm", "sglang")


def tp_refusers(s) -> str:
    """Who refuses ``s``'s tensor-parallel group where it does not split the heads: its engine, or for the generic
    profile's theory the serving engines that run so."""
    return s.profile.name if s.engine in TP_SERVERS else "vLLM and SGLang"


def tp_split_note(s) -> str | None:
    """A warning where the tensor-parallel group does not split the model's attention heads evenly
    (:attr:`~vramgui.core.scenario.Scenario.splits_attention`): vLLM and SGLang refuse to start (None elsewhere)."""
    if s.splits_attention:          # (a layer split's group is one card)
        return None
    a = s.model.architecture
    tp = s.tensor_parallel
    who = tp_refusers(s) + (" refuses" if s.engine in TP_SERVERS else " refuse")
    sizes = s.split_sizes()
    fix = ", ".join(str(n) for n in sizes[:-1]) + (" or " if len(sizes) > 1 else "") + str(sizes[-1])
    stages = s.split_stages
    kv = f"{a.num_kv_heads} KV head" + ("s" if a.num_kv_heads > 1 else "")
    return (f"{who} a tensor-parallel group of {tp} cards for this model: each card takes an equal share of its "
            f"{a.num_heads} attention heads and {kv} (copies where the KV heads are fewer than the cards), and "
            f"{tp} does not split them (vLLM checks it at start, SGLang's attention layers assert it); estimated as "
            f"if it ran. Groups of {fix} cards split them"
            + (f"; {s.n_gpus} cards as --pipeline {stages} do" if stages else ""))


def data_parallel_note(s) -> str | None:
    """Where data-parallel attention would hold more sequences than the tensor parallel estimated
    (None elsewhere)."""
    if not replicates_latent(s):
        return None
    d = DATA_PARALLEL_MLA
    return (f"every one of the {s.tensor_parallel} cards holds every sequence's cache (an MLA latent or DeepSeek-V4 "
            "entry: one KV head does not split), so the group caches what one card holds; data-parallel attention "
            f"(vLLM --data-parallel-size {s.tensor_parallel} --enable-expert-parallel, SGLang --enable-dp-attention) "
            f"gives each card its own sequences, up to {s.tensor_parallel} times as many ({d['times']} times measured "
            f"on {d['cards']} B200 with DeepSeek-V4-Flash), which vramgui does not model")


def batched_decode_note(s) -> str | None:
    """Where llama.cpp decodes several sequences at once with quantized weights and the speed model does not
    follow its kernels there (other backends than CUDA and Metal, cards without an int8 figure; on Metal, a MoE
    model's experts from 32 sequences on); None at batch 1, for 16-bit weights, for other engines and where it
    does (:func:`speed.small_batch_kernels`)."""
    if s.engine not in LLAMACPP or s.batch <= 1 or s.weight_format.kernel in ("fp16", "fp32"):
        return None
    key = speed_key(s.profile, s.gpu, s.host)
    if small_batch_kernels(key, s.weight_format, s.gpu)[0] > 0:
        if s.model.architecture.moe and s.batch >= EXPERT_TOKEN_READS.get(key, np.inf):
            return (f"llama.cpp's Metal build multiplies {s.batch} sequences' routed experts with its tile kernel "
                    "(mul_mm_id from 32 tokens), which vramgui does not model: on an M2 Ultra it decoded 32 sequences "
                    "of gpt-oss-20b, gpt-oss-120b and Qwen3-Coder-30B-A3B 1.4 to 2.1 times slower than this estimate "
                    "gives")
        return None
    runs = " and ".join(f"{r['batch']} sequences {r['speedup']:.2f} times" for r in LLAMACPP_BATCHED)
    return (f"llama.cpp likely decodes {s.batch} sequences at once slower than this estimate: its quantized matrix "
            "kernels pay for every sequence in a step, which vramgui models on NVIDIA cards with an int8 figure "
            f"and on Apple chips only (llama-bench with Llama 3 8B Q4_0 on an {LLAMACPP_BATCHED[0]['card']}: {runs} "
            "one sequence's throughput)")


def engine_note(s) -> str | None:
    """Where the engine does not run on the card's GPU: vLLM or SGLang on an Apple chip, HF transformers
    there with weights PyTorch's MPS device cannot run (:data:`engines.HF_NO_MPS`), MLX on any other card
    (:data:`engines.APPLE_ONLY`); None elsewhere."""
    if runs_on_gpu(s.engine, s.weights, s.gpu):
        return None
    if s.engine in APPLE_ONLY:
        why, source = APPLE_ONLY[s.engine]
        return (f"{s.profile.name} does not run on this card's GPU as modelled ({why}; {source}): these figures time "
                "it as it runs on Apple chips")
    if s.engine == "hf":
        return (f"{s.weight_format.name} weights do not run on an Apple chip's GPU with {s.profile.name} "
                f"({'; '.join(HF_NO_MPS[s.weights])}): these figures time them as they run on NVIDIA and AMD "
                "cards; on a Mac, 16-bit weights with HF transformers and llama.cpp's GGUF formats run on the GPU")
    why, source = NO_APPLE_GPU[s.engine]
    return (f"{s.profile.name} does not run on an Apple chip's GPU ({why}; {source}): these figures time it as it "
            "runs on NVIDIA and AMD cards; on a Mac, llama.cpp (GGUF), MLX (its own formats) and HF transformers "
            "(PyTorch's MPS device) run on the GPU")


def attention_default_note(s) -> str | None:
    """Where HF transformers runs the model eager for want of an SDPA path (:data:`engines.HF_NO_SDPA`) and no
    attention is picked; None elsewhere."""
    if s.attention or s.engine != "hf" or s.model.architecture.model_type not in HF_NO_SDPA:
        return None
    flash = ("; with attn_implementation=\"flash_attention_2\" (or a kernel) it does not: pick flash"
             if HF_NO_SDPA[s.model.architecture.model_type] else "; it has no flash-attention path either")
    return f"{HF_NO_SDPA_WHY}: asked for no attention, it runs eager and holds each prompt's scores{flash}"


def sdpa_math_note(s) -> str | None:
    """Where HF transformers' SDPA takes PyTorch's math path (:attr:`~vramgui.core.scenario.Scenario.sdpa_math`:
    Falcon's one key/value head); None elsewhere."""
    if not s.sdpa_math:
        return None
    return (f"{SDPA_MATH_WHY}: its math path holds each prompt's scores in fp32, 8 bytes a score (counted here); with "
            "attn_implementation=\"flash_attention_2\" it does not: pick flash")


def pre_mla_gguf_note(model) -> str | None:
    """For an MLA model read from a GGUF converted before llama.cpp's MLA tensors
    (:attr:`~vramgui.core.architecture.MLA.gguf_up_projected`), what llama.cpp does with it (the import's note);
    None for other models."""
    mla = model.architecture.mla
    if mla is None or not mla.gguf_up_projected:
        return None
    return model.source_note or ("a GGUF converted before llama.cpp's MLA tensors: llama.cpp caches every head's keys "
                                 "and values, not the latent")


def format_note(s) -> str | None:
    """Where the engine does not load the weights as stored (:func:`engines.converts_first`); None elsewhere."""
    converts = converts_first(s.engine, s.weights, s.gpu)
    if converts is None:
        return None
    why, source = converts
    return f"{s.profile.name} does not load {s.weight_format.name} weights as stored ({why}; {source})"


def experts_note(s) -> str | None:
    """Where the engine leaves an MoE model's routed experts 16-bit beside quantized layers (HF transformers'
    bitsandbytes: :data:`engines.HF_BNB_EXPERTS`); None elsewhere."""
    if s.weights not in BITSANDBYTES or not wide_experts(s.weight_format):
        return None
    return (f"{HF_BNB_EXPERTS[0]}: the estimate counts {s.model.name}'s routed experts at 16 bits "
            f"({HF_BNB_EXPERTS[1]})")


def one_card_note(s) -> str | None:
    """Where the engine loads the weights on one card (:func:`engines.one_card`: HF transformers' NVFP4) and the
    scenario has several; None elsewhere."""
    one = one_card(s.engine, s.weights)
    if one is None or s.n_gpus <= 1:
        return None
    why, source = one
    return (f"{s.profile.name} loads {s.weight_format.name} weights on one card, not {s.n_gpus} ({why}; {source}): "
            f"estimated as if it split the model over {s.n_gpus}")


def gguf_note(s) -> str | None:
    """:func:`pre_mla_gguf_note` where the scenario's engine is llama.cpp (the cache it holds)."""
    return pre_mla_gguf_note(s.model) if up_projected_gguf(s) else None


def card_note(s) -> str | None:
    """Where the card is not among those the engine's builds (or HF transformers' FlashAttention-2) list
    (:func:`engines.unlisted_card`): a caution, since community and self-made builds run some; None elsewhere."""
    rule = unlisted_card(s.engine, s.attention_impl, s.gpu, s.weights)
    if rule is None:
        return None
    return (f"{rule.what} lists {listed_cards(rule, s.gpu)}, and the {s.gpu.name} is {card_target(s.gpu)} "
            f"({rule.source}): {rule.otherwise}")


def largest_context_text(tokens: int | None, limit: int) -> str:
    """The largest context in words: capped at the model's own limit, saying what memory allows."""
    if tokens is None:
        return "none"
    return f"{limit:,} tokens (the model's limit; memory allows {tokens:,})" if tokens > limit else f"{tokens:,} tokens"


def kv_capacity_text(d: dict) -> str:
    """The KV capacity of :func:`estimate_dict`'s output in words: tokens, or none where nothing is cached per
    token (a model of Mamba blocks alone)."""
    if not d["memory"]["kv_bytes_per_token"]:
        return "none (no attention: a fixed state per sequence)"
    return f"{d['fit']['kv_capacity_tokens']:,} tokens"


def host_text(sc: dict) -> str:
    """HF transformers' host after its attention (:func:`estimate_dict`'s scenario): '; host: server, by the
    card'; '' for the other engines."""
    if sc["host"] is None:
        return ""
    return f"; host: {sc['host'].replace('-', ' ')}" + (", by the card" if sc["host_from_card"] else "")


def report_markdown(d: dict) -> str:
    """A human report of :func:`estimate_dict`'s output (GiB = 2^30 bytes)."""
    sc, m, f, sp = d["scenario"], d["memory"], d["fit"], d["speed"]
    g = lambda x: f"{x / GIB:,.2f} GiB"  # noqa: E731
    ctx = largest_context_text(f["max_context"], d["model"]["architecture"]["max_context"])
    lines = [
        f"# {d['model']['name']} on {sc['gpus']} × {d['gpu']['name']}",
        "",
        f"{sc['weights']} weights, {sc['kv_dtype']} KV cache, {sc['engine']} engine "
        f"({sc['attention']} attention{host_text(sc)}), "
        f"prompt {sc['prompt_tokens']:,}{cached_text(sc['prompt_tokens'], sc['cached_tokens'])} + output "
        f"{sc['output_tokens']:,} tokens, batch {sc['batch']}."
        + "".join(f" Note: {sc[k]}." for k in NOTE_KEYS if sc[k]),
        "",
        "| memory per card | GiB |", "| --- | ---: |",
        f"| weights | {g(m['weights'])} |", f"| KV cache | {g(m['kv_cache'])} |",
        f"| activations | {g(m['activations'])} |", f"| overhead | {g(m['overhead'])} |",
        f"| **total** | **{g(m['total'])}** |", f"| usable | {g(f['budget_bytes'])} |",
        "",
        f"**Verdict: {f['verdict']}.** Largest context {ctx}; largest batch {f['max_batch']:,}; "
        f"fewest cards {f['min_gpus'] or 'more than 64'}; KV capacity {kv_capacity_text(d)}.",
        "",
        f"Decode {sp['decode_seconds_per_token'] * 1e3:,.2f} ms/token ({sp['decode_tokens_per_second']:,.1f} "
        f"tokens/s per sequence, {sp['throughput_tokens_per_second']:,.0f} tokens/s in all); speed of light "
        f"{sp['speed_of_light_decode_seconds_per_token'] * 1e3:,.2f} ms/token.",
        f"Served (continuous batching, each request's prompt prefilled once): "
        f"{sp['served_seconds_per_token'] * 1e3:,.2f} ms per output token, "
        f"{sp['served_throughput_tokens_per_second']:,.0f} generated tokens/s in all"
        + (f", {sp['served_prefill_share']:.0%} of the time on prompts." if sp["served_prefill_share"] is not None
           else " (prompts not counted: no FLOP/s figure for this card)."),
    ]
    if sp["prefill_seconds"] is not None:
        lines.append(f"Time to first token {duration_text(sp['prefill_seconds'])}.")
    if d.get("offload"):        # (the figures above keep every layer on the card)
        o = d["offload"]
        lines += ["", "Offload to system RAM, as planned (the figures above keep every layer on the card):", "",
                  *(f"- {line.strip()}" for line in offload_lines(o, d["model"]["architecture"]["max_context"]))]
    if "cost_per_million_tokens" in sp:
        cheapest = (f"; cheapest at batch {sp['cheapest_batch']:,} ({sp['cheapest_cost_per_million_tokens']:,.4g})"
                    if "cheapest_batch" in sp else "")
        kept = " with every layer on the card (offloaded as planned: above)" if d.get("offload") and \
            "served_throughput_tokens_per_second" in d["offload"] else ""
        lines.append(f"Cost {sp['cost_per_million_tokens']:,.4g} per million generated tokens (served){kept} at "
                     f"{sp['price_per_hour']:,.4g} per card-hour{cheapest}.")
    if d.get("layouts"):
        lines += ["", f"Layouts of the {sc['gpus']} cards at the same load ({sc['batch']:,} sequences spread over "
                      "the replicas):", "",
                  "| replicas × cards | at this load | needed/card | max sequences | ms/token | tokens/s | "
                  "tokens/s at most |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
        def num(x, fmt):
            return "-" if x is None else format(x, fmt)
        for r in d["layouts"]:
            verdict = "fits" if r["load_fits"] else "one sequence fits" if r["fits"] else "does not fit"
            lines.append(f"| {r['name']} | {verdict} | {g(r['needed_bytes'])} | "
                         f"{r['max_sequences']:,} | {num(r['tpot_s'] and r['tpot_s'] * 1e3, ',.1f')} | "
                         f"{num(r['tokens_per_s'], ',.0f')} | {num(r['peak_tokens_per_s'], ',.0f')} |")
    lines += ["", f"Model source: {d['model']['source']}", f"vramgui {d['version']}"]
    return "\n".join(lines) + "\n"


def training_dict(t) -> dict:
    """The JSON object of ``train --json`` for the fine-tuning job ``t`` (bytes per card)."""
    from .training import (
        attention_note,
        lora_names_note,
        lora_refusal,
        routed_lora_text,
        rule_of_thumb_bytes,
        shown_targets,
        training_fit,
        training_memory,
    )

    m, f = training_memory(t), training_fit(t)
    a = t.model.architecture
    p = count_params(a)
    lora = t.method != "full"
    return {"scenario": {"model": t.model.id, "gpu": t.gpu.id, "gpus": t.n_gpus, "method": t.method,
                         "optimizer": t.optimizer, "optimizer_step": t.optimizer_step, "lora_rank": t.lora_rank,
                         "lora_targets": list(shown_targets(t.lora_targets)),
                         "checkpointing": t.checkpointing, "attention": t.attention, "zero": t.zero, "seq": t.seq,
                         "batch": t.batch, "grad_accum": t.grad_accum, "allocator": t.allocator,
                         "kbit_upcast": t.kbit_upcast, "mamba_kernels": t.mamba_kernels, "padded": t.padded},
            "model": {"params_total": p.total, "params_trainable": m.trainable_params,
                      "lora_routed_experts": routed_lora_text(t) if lora and a.moe else None,
                      "lora_refused": lora_refusal(a, t.adapted_targets) if lora else None,
                      "lora_names_note": lora_names_note(a, t.lora_targets) if lora else None,
                      "attention_note": attention_note(a, t.attention, t.mamba_kernels)},
            "memory": {"per_card": True, **{k: float(getattr(m, k)) for k in
                                            ("weights", "gradients", "optimizer", "activations", "overhead",
                                             "total")},
                       "peak_phase": m.peak_phase, "fragmentation": float(m.fragmentation),
                       "phases": {k: float(getattr(m, f"{k}_phase")) for k in ("loss", "backward", "step")}},
            "fit": {"fits": f.fits, "budget_bytes": f.budget_bytes, "headroom_bytes": f.budget_bytes - f.needed_bytes,
                    "max_batch": f.max_batch, "max_seq": f.max_seq},
            "rules_of_thumb": rule_of_thumb_bytes(p.total)}


def training_markdown(d: dict, model_name: str, gpu_name: str, source: str) -> str:
    """A human report of :func:`training_dict`'s output (GiB = 2^30 bytes)."""
    sc, m, f = d["scenario"], d["memory"], d["fit"]
    g = lambda x: f"{x / GIB:,.2f} GiB"  # noqa: E731
    method = {"full": "Full fine-tuning", "lora": "LoRA", "qlora": "QLoRA (NF4 base)"}[sc["method"]]
    if sc["method"] == "qlora" and sc["kbit_upcast"]:
        method += ", its 16-bit weights in fp32 (prepare_model_for_kbit_training)"
    adapters = (f", rank {sc['lora_rank']} on {', '.join(sc['lora_targets'])}" if sc["method"] != "full" else "")
    zero = f", ZeRO-{sc['zero']}" if sc["zero"] else ""
    lines = [
        f"# Fine-tuning {model_name} on {sc['gpus']} × {gpu_name}",
        "",
        f"{method}{adapters}; optimizer {sc['optimizer']} ({sc['optimizer_step']} step); checkpointing "
        f"{sc['checkpointing']}; {sc['attention']} attention"
        + ("; the Mamba-2 layers through mamba-ssm's fused kernel" if sc.get("mamba_kernels") else "")
        + ("; micro-batches padded to their longest sequence" if sc.get("padded") else "")
        + f"{zero}; sequence {sc['seq']:,} × micro-batch "
        f"{sc['batch']}" + (f" × {sc['grad_accum']} accumulated" if sc["grad_accum"] > 1 else "")
        + f"; PyTorch's {sc['allocator']} allocator. Trainable parameters {d['model']['params_trainable']:,} of "
        f"{d['model']['params_total']:,}.",
        "",
        "| memory per card | GiB |", "| --- | ---: |",
        *(f"| {k} | {g(m[k])} |" for k in ("weights", "gradients", "optimizer", "activations", "overhead")),
        f"| **total** | **{g(m['total'])}** |", f"| card | {g(f['budget_bytes'])} |",
        "",
        f"Peak: the {m['peak_phase']} phase (beyond the weights and optimizer states: loss "
        f"{g(m['phases']['loss'])}, backward {g(m['phases']['backward'])}, step {g(m['phases']['step'])}); the "
        f"allocator's share of the overhead {g(m['fragmentation'])}.",
        "",
        f"**Verdict: {'fits' if f['fits'] else 'does not fit'}** (headroom {g(f['headroom_bytes'])}). Largest "
        f"micro-batch {f['max_batch']:,} at this sequence length; largest sequence {f['max_seq']:,} tokens at "
        "this micro-batch.",
        "",
        f"Model source: {source}", f"vramgui {__version__}",
    ]
    return "\n".join(lines) + "\n"
