"""``vramgui-cli``: the estimation core, headless.

Subcommands: ``estimate``, ``fit``, ``sweep context|batch``, ``models``, ``gpus``,
``validate``.  JSON output uses bytes and seconds, never rounded strings; the flags and
JSON keys are a public interface (README, "Command line").
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from . import __version__
from .core import (
    ENGINES,
    KV_DTYPES,
    WEIGHT_FORMATS,
    Scenario,
    VramguiError,
    count_params,
    default_catalog,
    fit,
)
from .core.catalog import GPU_FILE_SUFFIXES, MODEL_FILE_SUFFIXES, Catalog, names_a_file, read_preset
from .core.engines import (
    LLAMACPP,
    NO_CPU_MOE,
    converts_first,
    no_offload,
    offloads_experts_only,
    one_card,
    release_kv,
    runs_on_gpu,
    takes_cpu_offload_gb,
    unlisted_card,
)
from .core.errors import InputError, pydantic_message
from .core.formats import release_format
from .core.machine import SORT_KEYS
from .core.model_files import model_from_path
from .core.offload import offloads
from .core.presets import GPU, ModelPreset
from .core.report import (
    NOTE_KEYS,
    cached_text,
    estimate_dict,
    host_text,
    kv_capacity_text,
    largest_context_text,
    offload_dict,
    offload_lines,
    tp_split_note,
)
from .core.scenario import DEFAULT_OUTPUT_TOKENS, DEFAULT_PROMPT_TOKENS, HOSTS
from .core.speed import HF_HOST_ROWS, HOST_S_PER_LAYER, estimate_speed
from .core.units import GIB, duration_text
from .flags import add_offload_flags, add_ram_bandwidth_flag


class CliError(Exception):
    """A usage problem reported as one line, exit status 2."""


# --- scenario flags ------------------------------------------------------------------------

def _add_scenario_flags(p: argparse.ArgumentParser, with_gpu: bool = True) -> None:
    g = p.add_argument_group("scenario")
    m = g.add_mutually_exclusive_group(required=True)
    m.add_argument("--model", metavar="ID", help="built-in or user model preset id (see `models`)")
    m.add_argument("--model-file", metavar="PATH", help="a Hugging Face config.json, Mistral's params.json, a "
                   ".safetensors or .gguf file, or a folder holding them")
    if with_gpu:   # `fit` evaluates every card, so it takes none
        c = g.add_mutually_exclusive_group(required=True)
        c.add_argument("--gpu", metavar="ID", help="GPU preset id (see `gpus`)")
        c.add_argument("--gpu-file", metavar="PATH", help="a GPU preset JSON file")
    g.add_argument("--gpus", type=int, default=1, metavar="N", help="cards to split the model over (default 1)")
    g.add_argument("--pipeline", type=int, default=1, metavar="STAGES",
                   help="pipeline-parallel stages the cards form (vLLM, SGLang, generic: --gpus / STAGES cards "
                        "per stage, tensor parallel within it; default 1)")
    g.add_argument("--node-cards", type=int, default=None, metavar="N",
                   help="cards one node joins with their own links (NVLink domain or server; default: the card's, "
                        "8 for most, 72 for GB200 NVL72): a tensor-parallel group of more spans nodes")
    g.add_argument("--weights", default=None, choices=[*WEIGHT_FORMATS, "file"], metavar="FORMAT",
                   help=f"weight format: {' '.join(WEIGHT_FORMATS)}, or file (as stored in an imported "
                        ".safetensors/.gguf; the default for those); default: the format the model is released in "
                        "where its config.json's quantization_config names one (gpt-oss: mxfp4, for llama.cpp "
                        "gguf-mxfp4; Kimi K2.5 and K2.6: int4-experts; FP8 checkpoints: fp8), else fp16")
    g.add_argument("--kv-dtype", default=None, choices=list(KV_DTYPES), metavar="DTYPE",
                   help=f"KV-cache dtype: {' '.join(KV_DTYPES)} (default fp16; under vllm and sglang fp8 where the "
                        "checkpoint's Model Optimizer config asks for an FP8 cache, as they do)")
    g.add_argument("--engine", default="generic", choices=list(ENGINES), metavar="PROFILE",
                   help=f"engine profile: {' '.join(ENGINES)} (default generic)")
    g.add_argument("--attention", choices=["eager", "sdpa", "flash"], default=None,
                   help="attention implementation (default: the engine's)")
    g.add_argument("--host", choices=HOSTS, default=None,
                   help="the CPU HF transformers launches its kernels from, which bounds its decode from below: "
                        + ", ".join(f"{h} ({HOST_S_PER_LAYER[r] * 1e3:g} ms a layer)" for h, r in HF_HOST_ROWS.items())
                        + "; default: by the card (data-centre cards a server of their years, the cards before "
                          "2020 an older one's, others a desktop)")
    g.add_argument("--prompt", type=int, default=DEFAULT_PROMPT_TOKENS, metavar="TOKENS",
                   help=f"prompt tokens (default {DEFAULT_PROMPT_TOKENS}, as the window)")
    g.add_argument("--cached", type=int, default=0, metavar="TOKENS",
                   help="of the prompt, tokens already in the KV cache (a chat's earlier turns, a kept system "
                        "prompt): only the rest is prefilled (default 0; at most the prompt less one)")
    g.add_argument("--output", type=int, default=DEFAULT_OUTPUT_TOKENS, metavar="TOKENS",
                   help=f"generated tokens (default {DEFAULT_OUTPUT_TOKENS}, as the window)")
    g.add_argument("--batch", type=int, default=1, metavar="N", help="concurrent sequences (default 1)")
    g.add_argument("--gpu-util", type=float, default=None, metavar="FRACTION",
                   help="engine memory cap (vLLM gpu_memory_utilization, SGLang mem_fraction_static; "
                        "default: the engine's)")
    g.add_argument("--reserved-mib", type=float, default=0.0, metavar="MIB",
                   help="memory already taken on each card by other programs (default 0)")
    add_offload_flags(g, ngl=True)
    g.add_argument("--price-per-hour", type=float, default=None, metavar="PRICE",
                   help="your price per card-hour, for cost per million tokens (no prices are shipped)")


def _model(args, cat: Catalog) -> ModelPreset:
    if args.model_file:
        return model_from_path(Path(args.model_file))
    if args.model not in cat.models and names_a_file(args.model, MODEL_FILE_SUFFIXES):
        raise CliError(f"--model takes a preset id; to read the file {args.model!r}, use --model-file PATH")
    return cat.model(args.model)


def _gpu(args, cat: Catalog) -> GPU | None:
    if getattr(args, "gpu_file", None):
        return read_preset(Path(args.gpu_file), GPU)
    if getattr(args, "gpu", None):
        if args.gpu not in cat.gpus and names_a_file(args.gpu, GPU_FILE_SUFFIXES):
            raise CliError(f"--gpu takes a preset id; to read the file {args.gpu!r}, use --gpu-file PATH")
        return cat.gpu(args.gpu)
    return None


def _scenario(args, cat: Catalog, gpu: GPU | None = None) -> Scenario:
    model = _model(args, cat)
    gpu = gpu or _gpu(args, cat)
    for name, value, low in (("--gpus", args.gpus, 1), ("--pipeline", args.pipeline, 1), ("--batch", args.batch, 1),
                             ("--prompt", args.prompt, 0), ("--output", args.output, 0), ("--cached", args.cached, 0),
                             ("--node-cards", 1 if args.node_cards is None else args.node_cards, 1)):
        if value < low:
            raise CliError(f"{name} must be at least {low}, got {value}")
    if args.cached and args.cached >= args.prompt:
        raise CliError(f"--cached must be below --prompt ({args.prompt:,}): the prompt's last token is always "
                       f"prefilled, got {args.cached:,}")
    if args.gpu_util is not None and not 0 < args.gpu_util <= 1:
        raise CliError(f"--gpu-util must be in (0, 1], got {args.gpu_util}")
    if args.price_per_hour is not None and args.price_per_hour < 0:
        raise CliError(f"--price-per-hour must not be negative, got {args.price_per_hour}")
    # an imported file's own bytes; else the format the model is released in (a preset's or an imported
    # config.json's quantization_config), else 16 bits
    weights = args.weights or ("file" if model.file_weights is not None else
                               release_format(model.config, args.engine in LLAMACPP) or "fp16")
    return Scenario(model=model, gpu=gpu, n_gpus=args.gpus, pipeline=args.pipeline, weights=weights,
                    kv_dtype=args.kv_dtype or release_kv(model.config, args.engine) or "fp16",
                    engine=args.engine, attention=args.attention, prompt_tokens=args.prompt,
                    cached_tokens=args.cached, output_tokens=args.output, batch=args.batch, gpu_util=args.gpu_util,
                    reserved_mib=args.reserved_mib, node_cards=args.node_cards, host=args.host)


# --- formatting ---------------------------------------------------------------------------

def _gib(x: float) -> str:
    return f"{x / GIB:,.2f} GiB"


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...] | None = None) -> str:
    all_rows = ([header] if header else []) + rows
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(all_rows[0]))]
    lines = []
    for k, r in enumerate(all_rows):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=False)]
        lines.append("  ".join(cells).rstrip())
        if header and k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _print_estimate(d: dict) -> None:
    m, f, sp, sc = d["memory"], d["fit"], d["speed"], d["scenario"]
    head = (f"{d['model']['name']} on {sc['gpus']} x {d['gpu']['name']} - {sc['weights']} weights, "
            f"{sc['kv_dtype']} KV, {sc['engine']} ({sc['attention']}{host_text(sc)}), prompt {sc['prompt_tokens']:,}"
            f"{cached_text(sc['prompt_tokens'], sc['cached_tokens'])} + output {sc['output_tokens']:,} tokens, "
            f"batch {sc['batch']}")
    print(head)
    vision = d["model"]["params_vision"]
    loaded = " (loaded)" if ENGINES[sc["engine"]].loads_vision else " (not loaded by this engine: a separate file)"
    print(f"parameters: {d['model']['params_total'] / 1e9:,.2f} B total, "
          f"{d['model']['params_active'] / 1e9:,.2f} B active"
          + (f"; image encoder {vision / 1e9:,.2f} B{loaded}" if vision else ""))
    for note in (d["model"]["layout_note"], *(d["scenario"][k] for k in NOTE_KEYS)):
        if note:
            print("note: " + note)
    rows = [("weights", _gib(m["weights"])), ("KV cache", _gib(m["kv_cache"])),
            ("activations", _gib(m["activations"])), ("overhead", _gib(m["overhead"])),
            ("total per card", _gib(m["total"])), ("usable per card", _gib(f["budget_bytes"])),
            ("headroom", _gib(f["headroom_bytes"]))]
    print(_table(rows, ("memory", "GiB = 2^30 bytes")))
    ctx = largest_context_text(f["max_context"], d["model"]["architecture"]["max_context"])
    print(f"verdict: {f['verdict'].upper()} | largest context {ctx} | largest batch {f['max_batch']:,} | "
          f"fewest cards {f['min_gpus'] or '> 64'} | KV capacity {kv_capacity_text(d)}")
    prefill = "unknown (no FLOP/s figure for this card)" if sp["prefill_seconds"] is None else \
        duration_text(sp["prefill_seconds"])
    knee = (f"knee at batch {sp['knee_batch']:,.0f}" if sp["knee_batch"] is not None else
            "no knee at any batch" if sp["compute_known"] else "knee unknown (no FLOP/s figure)")
    o = d.get("offload")
    kept = " (all on the card: see offload)" if o and offloads(o["level"], f["fits"], o["forced"]) else ""
    line = (f"speed{kept}: prefill {prefill}, decode "
            f"{sp['decode_seconds_per_token'] * 1e3:,.2f} ms/token ({sp['decode_tokens_per_second']:,.1f} "
            f"tokens/s per sequence, {sp['throughput_tokens_per_second']:,.0f} tokens/s total; speed of "
            f"light {sp['speed_of_light_decode_seconds_per_token'] * 1e3:,.2f} ms), {sp['decode_bound']}-"
            f"bound, {knee}")
    print(line)
    prompts = (f"{sp['served_prefill_share']:.0%} of the time on prompts" if sp["served_prefill_share"] is not None
               else "prompts not counted: no FLOP/s figure for this card")
    print(f"served{kept} (continuous batching, prompts included): {sp['served_seconds_per_token'] * 1e3:,.2f} ms per "
          f"output token, {sp['served_throughput_tokens_per_second']:,.0f} generated tokens/s total ({prompts})")
    if o:
        print("\n".join(offload_lines(o, d["model"]["architecture"]["max_context"])))
    if "cost_per_million_tokens" in sp:
        print(f"cost{kept}: {sp['cost_per_million_tokens']:,.4f} per million generated tokens (served) "
              f"at {sp['price_per_hour']} per card-hour", end="")
        if "cheapest_batch" in sp:
            print(f"; cheapest at batch {sp['cheapest_batch']:,} ({sp['cheapest_cost_per_million_tokens']:,.4f})")
        else:
            print()


# --- subcommands ---------------------------------------------------------------------------

def _offload(args, s: Scenario, best: bool = False):
    """The offload plan the flags ask for, with the largest prompt the cards and the RAM hold and the most sequences,
    and with ``best`` the sequences it serves most at (:func:`~vramgui.core.offload.reported`), or None."""
    from .core.offload import max_prompt_offloaded, plan_offload, reported
    if not _offload_asked(args):
        return None
    ram, kw = _offload_kw(args, s)
    return reported(plan_offload(s, ram, **kw), s, ram, max_prompt_offloaded(s, ram, **kw), best=best, **kw)


def _offload_asked(args) -> bool:
    """Whether any offload flag is given (--ram, --offload, --experts-on-cpu, --n-cpu-moe, --no-mmap,
    --cpu-offload-gb, --cpu-offload-experts)."""
    return args.ram is not None or args.offload is not None or args.experts_on_cpu or args.n_cpu_moe is not None \
        or args.no_mmap or args.cpu_offload_gb is not None or args.cpu_offload_experts


def _offload_kw(args, s: Scenario) -> tuple[float, dict]:
    """(the RAM in GB, the plan's arguments) from the offload flags, checked."""
    why = no_offload(s.engine, s.weights)
    if why is not None:
        under = s.profile.name + (f" with {s.weight_format.name} weights" if one_card(s.engine, s.weights) else "")
        raise CliError(f"the offload flags (--ram etc.) do not apply to {under}: {why[0]} ({why[1]})")
    if args.n_cpu_moe is not None and (args.n_cpu_moe < 0 or args.experts_on_cpu):
        raise CliError("--n-cpu-moe takes a number of layers, 0 or more, and not with --experts-on-cpu (which keeps "
                       f"every layer's experts in RAM), got {args.n_cpu_moe}")
    if (args.experts_on_cpu or args.n_cpu_moe is not None) and s.engine in NO_CPU_MOE:
        why, source = NO_CPU_MOE[s.engine]
        raise CliError(f"--experts-on-cpu and --n-cpu-moe are llama.cpp's --cpu-moe and --n-cpu-moe, which "
                       f"{s.profile.name} does not take: {why} ({source})")
    if args.n_cpu_moe is not None and s.model.architecture.moe is None:
        raise CliError(f"--n-cpu-moe: {s.model.name} has no routed experts (a dense model); --offload N keeps whole "
                       "layers in RAM instead")
    mode = args.offload or "auto"
    if mode == "none":
        layers = s.model.architecture.num_layers + 1      # every layer and the output layer (-ngl n_layer + 1)
    elif mode == "auto":
        layers = None
    else:
        try:
            layers = int(mode)
        except ValueError:
            raise CliError(f"--offload must be auto, none or a number of layers, got {mode!r}") from None
        if layers < 0:
            raise CliError(f"--offload must not be negative, got {layers}")
    ram = args.ram if args.ram is not None else 0.0
    if ram < 0 or (args.ram_bandwidth is not None and args.ram_bandwidth <= 0):
        raise CliError("--ram and --ram-bandwidth must be positive")
    kw = dict(gpu_layers=layers, experts_on_cpu=args.experts_on_cpu, ram_bandwidth_gb_s=args.ram_bandwidth,
              n_cpu_moe=args.n_cpu_moe, pinned=args.no_mmap)
    if args.cpu_offload_gb is not None:
        if not takes_cpu_offload_gb(s.engine):
            raise CliError(f"--cpu-offload-gb is vLLM's and SGLang's flag; the {s.engine} engine offloads otherwise "
                           "(llama.cpp: --offload N layers, --n-cpu-moe)")
        if args.cpu_offload_gb < 0 or args.ram is None:
            raise CliError("--cpu-offload-gb takes the GiB each card keeps in RAM, 0 or more, with --ram GB (the RAM "
                           f"that holds them), got {args.cpu_offload_gb:g}" + ("" if args.ram else " without --ram"))
        kw["cpu_offload_gib"] = args.cpu_offload_gb
    if args.cpu_offload_experts:
        if not offloads_experts_only(s.engine, s.model) or args.ram is None:
            raise CliError("--cpu-offload-experts is vLLM's --cpu-offload-params with an MoE model's experts, with "
                           f"--ram GB; got the {s.engine} engine, {s.model.name}"
                           + (" (a dense model)" if s.model.architecture.moe is None else "")
                           + ("" if args.ram is not None else ", no --ram"))
        kw["experts_only"] = True
    return ram, kw


def cmd_estimate(args, cat: Catalog) -> int:
    s = _scenario(args, cat)
    d = estimate_dict(s, args.price_per_hour, _offload(args, s, best=True))
    if args.json:
        print(json.dumps(d, indent=2))
    else:
        _print_estimate(d)
    return 0


def fit_rows(base_args, cat: Catalog) -> list[dict]:
    """One row per card of the catalog for the scenario in ``base_args``."""
    rows = []
    for gpu in cat.gpus.values():
        s = _scenario(base_args, cat, gpu=gpu)
        f = fit(s)
        sp = estimate_speed(s)
        plan = _offload(base_args, s)
        runs = runs_on_gpu(s.engine, s.weights, gpu)
        rule = unlisted_card(s.engine, s.attention_impl, gpu, s.weights)
        rows.append({"gpu": gpu.id, "name": gpu.name, "vendor": gpu.vendor, "category": gpu.category,
                     "gpus": s.n_gpus, "fits": f.fits, "engine_runs": runs, "tp_refused": not s.splits_attention,
                     "card_listed_by": None if rule is None else rule.what,
                     "loaded_as_stored": converts_first(s.engine, s.weights, gpu) is None,
                     "verdict": f.verdict if runs else "no backend", "needed_bytes": f.needed_bytes,
                     "budget_bytes": f.budget_bytes, "headroom_bytes": f.headroom_bytes,
                     "min_gpus": f.min_gpus, "max_context": f.max_context,
                     "model_context_limit": s.model.architecture.max_context, "max_batch": f.max_batch,
                     "kv_capacity_tokens": f.kv_capacity_tokens,
                     "decode_tokens_per_second": float(sp.decode_tokens_per_s),
                     "offload": None if plan is None else offload_dict(plan)})
    level = {"gpu": 0, "partial": 1, "cpu": 2, "none": 3}
    rows.sort(key=lambda r: (not r["engine_runs"], not r["fits"], level[r["offload"]["level"]] if r["offload"] else 0,
                             r["min_gpus"] or 10**6, -r["headroom_bytes"]))
    return rows


def _context_text(tokens: int | None, limit: int) -> str:
    """Largest context memory allows, capped at the model's own limit (said so)."""
    if tokens is None:
        return "-"
    return f"{limit:,} (model limit)" if tokens > limit else f"{tokens:,}"


def cmd_fit(args, cat: Catalog) -> int:
    rows = fit_rows(args, cat)
    if args.category:
        rows = [r for r in rows if r["category"] == args.category]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if rows and rows[0]["tp_refused"]:     # (the model's heads and the cards: the same on every card)
        print("note: " + tp_split_note(_scenario(args, cat, gpu=cat.gpus[rows[0]["gpu"]])))

    def speed(r):
        if not r["engine_runs"]:
            return "-"
        if r["offload"] and r["offload"]["level"] != "gpu":
            return f"{r['offload']['decode_tokens_per_second']:,.1f}"
        return f"{r['decode_tokens_per_second']:,.1f}"
    def planned(r) -> bool:             # the row's verdict is its offload plan's (a card that holds the model too,
        #                                     where --cpu-offload-gb, --cpu-moe or --n-cpu-moe keep weights in RAM)
        o = r["offload"]
        return bool(o) and r["engine_runs"] and (not r["fits"] or offloads(o["level"], True, o["forced"]))

    def context(r) -> str:              # (an offloaded row: the largest context the card and the RAM hold)
        if planned(r) and r["offload"]["max_context"] is not None:
            return _context_text(r["offload"]["max_context"], r["model_context_limit"]) + " with RAM"
        return _context_text(r["max_context"], r["model_context_limit"])

    def batch(r) -> str:                # (... and the most sequences they hold)
        if planned(r) and r["offload"]["max_batch"] is not None:
            return f"{r['offload']['max_batch']:,} with RAM"
        return f"{r['max_batch']:,}"
    table = [(r["gpu"] + (" *" if r["card_listed_by"] else "") + ("" if r["loaded_as_stored"] else " +"),
              r["offload"]["description"] if planned(r) else r["verdict"],
              _gib(r["needed_bytes"]), _gib(r["budget_bytes"]), _gib(r["headroom_bytes"]),
              context(r), batch(r), speed(r))
             for r in rows]
    print(_table(table, ("gpu", "verdict", "needed", "usable", "headroom", "max context", "max batch",
                         "decode tok/s")))
    unlisted = sorted({r["card_listed_by"] for r in rows if r["card_listed_by"]})
    if unlisted:
        print(f"* not among the cards {' or '.join(unlisted)} lists: it may not run there "
              "(`estimate --gpu ID` gives the note)")
    if not all(r["loaded_as_stored"] for r in rows):
        print("+ the engine does not load these weights as stored there: the card holds other bytes than these "
              "(`estimate --gpu ID` gives the note)")
    return 0


def cmd_layouts(args, cat: Catalog) -> int:
    from .core.layouts import layout_dicts, layouts

    s = _scenario(args, cat)
    rows = layouts(s.with_(n_gpus=1, pipeline=1), args.gpus, load=args.batch, price_per_card_hour=args.price_per_hour)
    if args.json:
        print(json.dumps(layout_dicts(rows), indent=2))
        return 0
    def ms(x: float) -> str:
        return "-" if x != x else f"{x * 1e3:,.1f} ms"
    def rate(x: float) -> str:
        return "-" if x != x else f"{x:,.0f}"
    def cost(r) -> tuple[str]:
        return (f"{r.cost_per_million:,.3f}" if r.cost_per_million is not None else "-",)
    table = [(r.name.replace("×", "x") + (" *" if r.tp_nodes > 1 else ""),
              "fits" if r.load_fits else "one fits" if r.fits else "does not fit",
              _gib(r.needed_bytes), _gib(r.budget_bytes), f"{r.max_sequences:,}", f"{r.batch:,}", ms(r.tpot_s),
              rate(r.tokens_per_s), rate(r.peak_tokens_per_s), "-" if r.ttft_s != r.ttft_s else duration_text(r.ttft_s))
             + (cost(r) if args.price_per_hour else ()) for r in rows]
    load = "one sequence" if args.batch == 1 else f"{args.batch:,} concurrent sequences"
    print(f"{s.model.name} on {args.gpus} x {s.gpu.name}, {load} of "
          f"{s.prompt_tokens:,}{cached_text(s.prompt_tokens, s.cached_tokens)} + {s.output_tokens:,} tokens, "
          f"{s.profile.name}")
    print(_table(table, ("replicas x cards", "at this load", "needed/card", "usable/card", "max sequences",
                         "per replica", "ms/token", "tok/s", "tok/s at most", "first token, 1 prompt")
                 + (("cost/M tokens",) if args.price_per_hour else ())))
    if any(r.tp_nodes > 1 for r in rows):
        print(f"* the tensor-parallel group spans nodes ({s.cards_per_node} cards a node): its all-reduces "
              "cross the network, which these speeds do not model (see `estimate` for such a layout)")
    return 0


#: The most values ``sweep`` prints (each a row; with the offload flags a plan each).
MAX_SWEEP_POINTS = 10_000


def cmd_sweep(args, cat: Catalog) -> int:
    from .core.scenario import MAX_SCENARIO_BATCH, MAX_SCENARIO_TOKENS
    from .core.sweeps import batch_table, context_table, log_values
    s = _scenario(args, cat)
    if not 1 <= args.points <= MAX_SWEEP_POINTS:
        raise CliError(f"--points must be from 1 to {MAX_SWEEP_POINTS:,}, got {args.points}")
    most = MAX_SCENARIO_TOKENS if args.axis == "context" else MAX_SCENARIO_BATCH
    if args.to is not None and not 1 <= args.to <= most:
        raise CliError(f"--to must be from 1 to {most:,} ({'prompt tokens' if args.axis == 'context' else 'sequences'})"
                       f", got {args.to}")
    offload = _offload_kw(args, s) if _offload_asked(args) else None
    if args.axis == "context":
        top = args.to or max(2 * s.model.architecture.max_context, s.prompt_tokens)
        columns, rows = context_table(s, log_values(top, args.points), offload)
    else:
        columns, rows = batch_table(s, log_values(args.to or 1024, args.points), offload)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return 0


def cmd_train(args, cat: Catalog) -> int:
    from .core.report import training_dict
    from .core.training import FOREACH_STEP_BYTES, TrainingSetup

    model = _model(args, cat)
    for name, value in (("--gpus", args.gpus), ("--seq", args.seq), ("--batch", args.batch),
                        ("--lora-rank", args.lora_rank), ("--grad-accum", args.grad_accum)):
        if value < 1:
            raise CliError(f"{name} must be at least 1, got {value}")
    t = TrainingSetup(model=model, gpu=_gpu(args, cat), n_gpus=args.gpus, method=args.method,
                      optimizer=args.optimizer, optimizer_step=args.optimizer_step, lora_rank=args.lora_rank,
                      lora_targets=args.lora_targets,
                      checkpointing=args.checkpointing, attention=args.attention, zero=args.zero, seq=args.seq,
                      batch=args.batch, grad_accum=args.grad_accum, allocator=args.allocator,
                      kbit_upcast=args.kbit_upcast, mamba_kernels=args.mamba_ssm, padded=args.padded)
    d = training_dict(t)      # (the text below reads the same figures)
    if d["model"]["lora_refused"]:
        raise CliError(f"--lora-targets: {d['model']['lora_refused']}")
    if args.json:
        print(json.dumps(d, indent=2))
        return 0
    mem, f, params = d["memory"], d["fit"], d["model"]
    step = f" ({t.optimizer_step} step)" if t.optimizer in FOREACH_STEP_BYTES else ""
    print(f"{model.name}: {t.method} fine-tuning with {t.optimizer}{step} on {t.n_gpus} x {t.gpu.name}, "
          f"seq {t.seq:,} x micro-batch {t.batch}"
          + (f" x {t.grad_accum} accumulated" if t.grad_accum > 1 else "")
          + f", checkpointing {t.checkpointing}, ZeRO-{t.zero}, {t.allocator} allocator"
          + (", 16-bit weights upcast to fp32 (prepare_model_for_kbit_training)" if t.method == "qlora"
             and t.kbit_upcast else "")
          + (", Mamba-2 layers through mamba-ssm's fused kernel" if t.mamba_kernels else "")
          + (", micro-batches padded to their longest sequence" if t.padded else ""))
    print(f"trainable parameters: {params['params_trainable']:,} of {params['params_total']:,}"
          + (f"; routed experts: {params['lora_routed_experts']}" if params["lora_routed_experts"] else ""))
    for note in ("lora_names_note", "attention_note"):
        if params[note]:
            print(f"note: {params[note]}")
    rows = [(k, _gib(mem[k])) for k in ("weights", "gradients", "optimizer", "activations", "overhead")]
    rows += [("total per card", _gib(mem["total"])), ("card memory", _gib(f["budget_bytes"]))]
    print(_table(rows, ("memory", "GiB = 2^30 bytes")))
    ph = mem["phases"]
    print(f"peak: the {mem['peak_phase']} phase (beyond weights and optimizer states: loss {_gib(ph['loss'])}, "
          f"backward {_gib(ph['backward'])}, step {_gib(ph['step'])}); {t.allocator} allocator "
          f"{_gib(mem['fragmentation'])} in overhead")
    print(f"verdict: {'FITS' if f['fits'] else 'DOES NOT FIT'} | largest micro-batch {f['max_batch']:,} | "
          f"largest sequence {f['max_seq']:,} tokens")
    r = d["rules_of_thumb"]
    print(f"rules of thumb (weights+grads+optimizer only): 16 B/param {_gib(r['mixed_precision_adamw'])}, "
          f"8 B/param {_gib(r['bf16_adamw'])}")
    return 0


def _machine(args, cat: Catalog):
    from .core.machine import Machine
    if args.gpus < 1 or args.context < 1 or args.batch < 1 or args.ram < 0:
        raise CliError("--gpus, --context and --batch must be at least 1, --ram not negative")
    if args.ram_bandwidth is not None and args.ram_bandwidth <= 0:
        raise CliError(f"--ram-bandwidth must be positive, got {args.ram_bandwidth:g}")
    return Machine(gpu=_gpu(args, cat), n_gpus=args.gpus, ram_gb=args.ram, engine=args.engine,
                   context=args.context, batch=args.batch, host=args.host, pinned=args.no_mmap,
                   ram_bandwidth_gb_s=args.ram_bandwidth, experts_only=args.cpu_offload_experts)


def _level_text(o) -> str:
    if o.tp_refused:            # (core.machine.Option.tp_refused: the engine does not start so)
        return f"TP {o.tensor_parallel} refused"
    if o.copied_bytes:          # (vLLM, SGLang, HF transformers: the GiB a card keeps in RAM, core.machine._copied)
        return f"offload {o.copied_bytes / GIB:,.1f} GiB"
    if o.output_only:           # (every layer on the cards, the output layer in RAM: the llama.cpp of 2023)
        return "offload output"
    if o.level == "partial" and o.experts_in_ram and o.gpu_layers >= o.n_layers:   # (--fit: experts in RAM alone)
        return f"offload experts {o.experts_in_ram}/{o.n_layers}"
    return {"gpu": "fits (-ngl all)" if o.short_of_fit_margin else "fits",
            "partial": f"offload {o.gpu_layers}/{o.n_layers}", "cpu": "CPU only", "none": "no"}[o.level]


def _fit_margin_footnote(rows) -> None:
    """Under a table of machine rows: what '(-ngl all)' and 'TP n refused' mean, where a row has them."""
    short = next((o for o in rows if o.short_of_fit_margin), None)
    if short is not None:
        from .core.report import fit_margin_why
        print(f"(-ngl all): fits with less to spare than the {fit_margin_why(short.fit_margin_bytes)}")
    refused = next((o for o in rows if o.tp_refused), None)
    if refused is not None:
        print(f"TP {refused.tensor_parallel} refused: {refused.tensor_parallel} cards do not split the model's "
              "attention heads evenly and vLLM and SGLang refuse to start so (the row's figures are as if it ran; "
              "`vramgui-cli estimate --pipeline N` splits the cards into stages)")


def _machine_context(o) -> str:
    """A machine row's largest context; offloaded or on the CPU, the cards' and the RAM's together (said so)."""
    text = _context_text(o.max_context, o.model.architecture.max_context)
    return text + " with RAM" if o.level in ("partial", "cpu") and o.max_context is not None else text


def cmd_machine(args, cat: Catalog) -> int:
    from .core.machine import machine_table, option_dict, sort_options
    rows = machine_table(_machine(args, cat), cat, family=args.family, min_tokens_per_s=args.min_tokens_per_s,
                         min_params=args.min_params * 1e9, max_params=args.max_params * 1e9,
                         min_context=args.min_context)
    if not args.all:
        rows = [o for o in rows if o.level != "none"]
    rows = sort_options(rows, args.sort, args.reverse)
    if args.json:
        print(json.dumps([option_dict(o) for o in rows], indent=2))
        return 0
    print(_table([(o.model.id, o.weights, o.engine, f"{o.bits:.2f}", _level_text(o), _gib(o.needed_bytes),
                   _machine_context(o), f"{o.decode_tokens_per_s:,.1f}",
                   "-" if o.ttft_s is None else duration_text(o.ttft_s)) for o in rows],
                 ("model", "format", "engine", "bits", "runs", "needed", "max context", "tok/s", "first token")))
    _fit_margin_footnote(rows)
    return 0


def cmd_best_format(args, cat: Catalog) -> int:
    from .core.machine import best_format, option_dict
    model = _model(args, cat)
    r = best_format(_machine(args, cat), model)
    keys = ("highest_precision", "fastest") + (("highest_precision_with_ram", "fastest_with_ram") if args.ram > 0
                                                else ())
    out = {k: (None if r[k] is None else option_dict(r[k])) for k in keys}
    out["options"] = [option_dict(o) for o in r["options"]]
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    hp, fast = r["highest_precision"], r["fastest"]

    def said(o) -> str:
        runs = "" if o.level == "gpu" else f", {_level_text(o)}"
        return (f"{o.weights} ({o.bits:.2f} bits/weight, {_gib(o.needed_bytes)}, {o.decode_tokens_per_s:,.1f} "
                f"tok/s{runs})")
    if hp is None:
        print(f"{model.name}: no format fits on {args.gpus} x {args.gpu} at {args.context:,} tokens")
    else:
        print(f"{model.name} on {args.gpus} x {args.gpu} at {args.context:,} tokens:")
        print(f"  highest precision that fits: {said(hp)}")
        print(f"  fastest: {said(fast)}")
    hp_ram, fast_ram = r["highest_precision_with_ram"], r["fastest_with_ram"]
    if hp_ram is not None and (hp_ram, fast_ram) != (hp, fast):     # (the RAM changes the answer)
        print(f"  with {args.ram:g} GB of RAM, the highest precision that runs: {said(hp_ram)}")
        print(f"  with {args.ram:g} GB of RAM, the fastest: {said(fast_ram)}")
    def ppl(o) -> str:
        q = o.model.quality_for(o.weights)
        return "-" if q is None else f"{q.perplexity:.4f}" + ("*" if q.note else "")

    print(_table([(o.weights, o.engine, f"{o.bits:.2f}", _level_text(o), _gib(o.needed_bytes),
                   f"{o.decode_tokens_per_s:,.1f}", ppl(o)) for o in sorted(r["options"], key=lambda o: -o.bits)],
                 ("format", "engine", "bits", "runs", "needed", "tok/s", "perplexity")))
    _fit_margin_footnote(r["options"])
    sources = {(q.dataset, q.source) for q in model.quality}
    if sources:
        print("perplexity (published, not estimated): " + "; ".join(f"{d}, {src}" for d, src in sorted(sources)))
        for q in model.quality:
            if q.note:
                print(f"  * {q.weights}: {q.note}")
    else:
        print("quality: no published perplexity is attached to this preset, so none is shown")
    return 0


def cmd_models(args, cat: Catalog) -> int:
    items = []
    for fam, models in cat.families().items():
        for m in models:
            p = count_params(m.architecture)
            items.append({"id": m.id, "name": m.name, "family": fam, "params_total": p.total,
                          "params_active": p.active, "max_context": m.architecture.max_context,
                          "release_format": release_format(m.config), "user": m.id in cat.user_ids,
                          "source": m.source})
    if args.json:
        print(json.dumps(items, indent=2))
    else:
        print(_table([(i["id"], i["family"], f"{i['params_total'] / 1e9:,.2f} B",
                       f"{i['params_active'] / 1e9:,.2f} B", f"{i['max_context']:,}", i["release_format"] or "-")
                      for i in items], ("id", "family", "params", "active", "context", "released in")))
    _report_problems(cat)
    return 0


def cmd_gpus(args, cat: Catalog) -> int:
    gpus = sorted(cat.gpus.values(), key=lambda g: (g.category, g.vendor, -g.memory_mib))
    if args.json:
        print(json.dumps([g.model_dump() | {"user": g.id in cat.user_ids} for g in gpus], indent=2))
    else:
        print(_table([(g.id, g.category, f"{g.memory_mib * 2**20 / GIB:,.1f} GiB", f"{g.memory_bandwidth_gb_s:,.0f}",
                       "-" if g.fp16_tensor_tflops is None else f"{g.fp16_tensor_tflops:,.1f}", g.arch or "-", g.name)
                      for g in gpus], ("id", "category", "memory", "GB/s", "fp16 TFLOP/s", "arch", "name")))
    _report_problems(cat)
    return 0


def cmd_validate(args, cat: Catalog) -> int:
    from .core.validation import load_corpus, run_corpus, summary

    corpus_path = Path(args.corpus)
    points = load_corpus(corpus_path)
    results = run_corpus(points, cat, models_path=args.models, corpus_dir=corpus_path.parent)
    summ = summary(results)
    if args.json:
        print(json.dumps({"points": [r.as_dict() for r in results], "summary": summ}, indent=2))
        return 0
    rows = [(r.id, r.quantity, _num(r.measured), _num(r.estimated), f"{r.error_pct:+.1f} %")
            for r in results if r.skipped is None]
    print(_table(rows, ("id", "quantity", "measured", "estimated", "error")))
    print()
    print(_table([(k, str(v["n"]), f"{v['median_abs_pct']:.1f} %", f"{v['worst_abs_pct']:.1f} %")
                  for k, v in summ["by_quantity"].items()], ("quantity", "n", "median |error|", "worst |error|")))
    print()
    print(_table([(k, str(v["n"]), f"{v['median_abs_pct']:.1f} %", f"{v['worst_abs_pct']:.1f} %")
                  for k, v in summ["by_engine"].items()], ("engine", "n", "median |error|", "worst |error|")))
    skipped = [r for r in results if r.skipped is not None]
    if skipped:
        print(f"\nskipped ({len(skipped)}):")
        for r in skipped:
            print(f"  {r.id}: {r.skipped}")
    return 0


def _num(x: float) -> str:
    return f"{x:,.4g}" if abs(x) < 1e5 else f"{x:,.0f}"


def _report_problems(cat: Catalog) -> None:
    for p in cat.problems:
        print(f"warning: skipped {p}", file=sys.stderr)


# --- entry point ----------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="vramgui-cli", description="Will this LLM run on this GPU, and how fast? "
                                 "Memory in bytes (GiB = 2^30 bytes in tables), time in seconds.")
    ap.add_argument("--version", action="version", version=f"vramgui {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    e = sub.add_parser("estimate", help="one scenario: memory, fit, speed")
    _add_scenario_flags(e)
    e.add_argument("--json", action="store_true", help="print one JSON object (bytes, seconds)")
    f = sub.add_parser("fit", help="the scenario on every card of the catalog")
    _add_scenario_flags(f, with_gpu=False)
    f.add_argument("--category", choices=["datacenter", "workstation", "consumer", "apple", "custom"])
    f.add_argument("--json", action="store_true")
    lay = sub.add_parser("layouts", help="every way to split the model over a machine's cards: groups of n cards "
                                         "(tensor parallel or layer split) side by side, at the same load")
    _add_scenario_flags(lay)
    lay.add_argument("--json", action="store_true")
    lay.description = ("--gpus is the machine's card count, --batch the concurrent sequences on the whole machine "
                       "(spread evenly over the replicas).")
    s = sub.add_parser("sweep", help="CSV of memory and speed over context or batch")
    s.add_argument("axis", choices=["context", "batch"])
    _add_scenario_flags(s)
    s.add_argument("--points", type=int, default=64, help="values on the axis (log-spaced, default 64)")
    s.add_argument("--to", type=int, default=None,
                   help="last value, 1 or more (default: 2 x model context / batch 1024)")
    t = sub.add_parser("train", help="fine-tuning memory per card: full, LoRA, QLoRA")
    tm = t.add_mutually_exclusive_group(required=True)
    tm.add_argument("--model", metavar="ID")
    tm.add_argument("--model-file", metavar="PATH")
    tg = t.add_mutually_exclusive_group(required=True)
    tg.add_argument("--gpu", metavar="ID")
    tg.add_argument("--gpu-file", metavar="PATH")
    t.add_argument("--gpus", type=int, default=1, metavar="N", help="data-parallel cards (default 1)")
    t.add_argument("--method", choices=["full", "lora", "qlora"], default="full")
    t.add_argument("--optimizer", choices=["adamw", "adamw-bf16", "adamw-8bit", "adafactor", "sgd-momentum", "sgd"],
                   default="adamw", help="adamw = mixed precision with fp32 master weights (default)")
    t.add_argument("--optimizer-step", choices=["fused", "foreach"], default="fused",
                   help="AdamW's step: fused (in place; HF's Trainer, default) or foreach (torch.optim.AdamW's "
                        "default: a copy of the second moments at the step)")
    t.add_argument("--lora-rank", type=int, default=16)
    t.add_argument("--lora-targets", default="q,v",
                   help="comma list of q,k,v,o,gate,up,down,in_proj,out_proj (in_proj/out_proj: the recurrent "
                        "mixers of Qwen3-Next, Qwen3.5, Nemotron-H) or all-linear")
    t.add_argument("--checkpointing", choices=["none", "full", "selective"], default="none")
    t.add_argument("--attention", choices=["eager", "sdpa", "flash"], default="flash")
    t.add_argument("--zero", type=int, choices=[0, 1, 2, 3], default=0)
    t.add_argument("--seq", type=int, default=2048, help="tokens per sequence (default 2048)")
    t.add_argument("--batch", type=int, default=1, help="micro-batch per card (default 1)")
    t.add_argument("--grad-accum", type=int, default=1,
                   help="micro-batches a step (default 1; more keep the gradients through the forward passes)")
    t.add_argument("--allocator", choices=["caching", "expandable"], default="caching",
                   help="PyTorch's allocator: the default caching pool, or expandable segments "
                        "(PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True)")
    t.add_argument("--no-kbit-upcast", dest="kbit_upcast", action="store_false",
                   help="QLoRA: keep the embeddings, LM head and norms in 16 bits (torchtune, Unsloth, a plain "
                        "peft loop); by default they are fp32, as peft's prepare_model_for_kbit_training casts them "
                        "(TRL's SFTTrainer, Axolotl, the QLoRA scripts)")
    t.add_argument("--mamba-ssm", action="store_true",
                   help="Mamba-2 layers through mamba-ssm's fused kernel (mamba-ssm and causal-conv1d installed); "
                        "by default transformers' torch path, which keeps ten times as much or more")
    t.add_argument("--padded", action="store_true",
                   help="micro-batches of several sequences padded to their longest (a collator's padding): "
                        "transformers' SDPA then keeps a mask in every layer and repeats the keys and values; by "
                        "default packed or of one length")
    t.add_argument("--json", action="store_true")
    mc = sub.add_parser("machine", help="which catalog models run on this machine, in which format, how fast")
    bf = sub.add_parser("best-format", help="the best weight format of one model for this machine")
    for p in (mc, bf):
        mg = p.add_mutually_exclusive_group(required=True)
        mg.add_argument("--gpu", metavar="ID")
        mg.add_argument("--gpu-file", metavar="PATH")
        p.add_argument("--gpus", type=int, default=1, metavar="N")
        p.add_argument("--ram", type=float, default=0.0, metavar="GB", help="system RAM for partial offload")
        add_ram_bandwidth_flag(p)
        p.add_argument("--no-mmap", action="store_true",
                       help="the weights in RAM in pinned host memory (llama.cpp --no-mmap): the first token's copies "
                            "of them to the card run faster")
        p.add_argument("--cpu-offload-experts", action="store_true",
                       help="vLLM, an MoE model offloaded: keep only the routed experts' weights in RAM (as "
                            "estimate's --cpu-offload-experts), which a step reads only as its tokens use them")
        p.add_argument("--engine", default="llamacpp", choices=list(ENGINES),
                       help="engine for non-GGUF formats (GGUF formats use llama.cpp, or llamacpp-2023 if "
                            "named here; a llama.cpp profile runs the 16-bit formats too, as F16/BF16 GGUF files, "
                            "and leaves the others to vllm; on an Apple chip only hf's 16-bit formats, or generic's, "
                            "run beside GGUF)")
        p.add_argument("--context", type=int, default=4096, metavar="N", help="target context (default 4096)")
        p.add_argument("--batch", type=int, default=1, metavar="N")
        p.add_argument("--host", choices=HOSTS, default=None,
                       help="the CPU HF transformers launches its kernels from (as estimate's --host; default: by "
                            "the card)")
        p.add_argument("--json", action="store_true")
    mc.add_argument("--family", default=None, help="only models whose family contains this text")
    mc.add_argument("--min-tokens-per-s", type=float, default=0.0)
    mc.add_argument("--min-params", type=float, default=0.0, metavar="B", help="smallest model, billions of parameters")
    mc.add_argument("--max-params", type=float, default=float("inf"), metavar="B", help="largest model, billions")
    mc.add_argument("--min-context", type=int, default=0, metavar="N",
                    help="only entries whose largest context (on the GPU, or with the RAM) reaches N tokens")
    mc.add_argument("--all", action="store_true", help="also list what does not run")
    mc.add_argument("--sort", default="runs",
                    choices=list(SORT_KEYS),
                    help="column to rank by, in its natural order (default runs: on the GPU, then offloaded, then on "
                         "the CPU, the largest models and most bits first; tokens_per_s: fastest first; "
                         "max_context: largest first; ...)")
    mc.add_argument("--reverse", action="store_true", help="flip the order of --sort")
    bm = bf.add_mutually_exclusive_group(required=True)
    bm.add_argument("--model", metavar="ID")
    bm.add_argument("--model-file", metavar="PATH")
    for name, fn_help in (("models", "list model presets"), ("gpus", "list GPU presets")):
        p = sub.add_parser(name, help=fn_help)
        p.add_argument("--json", action="store_true")
    v = sub.add_parser("validate", help="estimated vs measured for a corpus of measured points")
    v.add_argument("corpus", metavar="CORPUS.jsonl")
    v.add_argument("--models", default=None, help="models.json beside the corpus (default: same folder)")
    v.add_argument("--json", action="store_true")
    return ap


COMMANDS = {"estimate": cmd_estimate, "fit": cmd_fit, "layouts": cmd_layouts, "sweep": cmd_sweep, "train": cmd_train,
            "machine": cmd_machine,
            "best-format": cmd_best_format, "models": cmd_models,
            "gpus": cmd_gpus, "validate": cmd_validate}


def main(argv: Sequence[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        return COMMANDS[args.command](args, default_catalog())
    except ValidationError as exc:
        print(f"vramgui-cli: error: {pydantic_message(exc)}", file=sys.stderr)
        return 2
    except (CliError, VramguiError, InputError) as exc:
        print(f"vramgui-cli: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
