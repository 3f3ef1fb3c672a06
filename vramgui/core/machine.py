"""The other way round: for one machine, which models run, in which format, how fast.

For a machine (a card × N, system RAM, engine, target context and batch), every catalog
model × weight format gets its fit level (on the GPU, partly offloaded, CPU only, does not
fit), headroom, largest context, decode tokens/s and time to first token.  No quality is
scored.  ``best_format`` picks, for one model, the highest-precision format that fits
and the fastest one, with the trade-off in numbers.

The whole catalog is one grid: every model's memory and speed coefficients
(:class:`~vramgui.core.memory.MemoryTerms`, :class:`~vramgui.core.speed.SpeedTerms`) are
stacked into arrays of models × formats once per (catalog, engine, cards, KV dtype), and
each machine is then a handful of numpy calls — the same formulas as for one scenario,
with the largest-context search run on every entry at once (for the entries partly offloaded or on the CPU, the
largest context the cards and the RAM hold together, searched over those entries alone).  Between a change of the
machine and the table no number is computed per model in Python; only the result rows are
built one by one (``benchmarks/bench_machine.py``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from .catalog import Catalog
from .engines import (
    APPLE_ONLY,
    COPIED_OFFLOAD,
    LLAMACPP,
    LLAMACPP_LOADS,
    MLX_LOADS,
    NO_APPLE_GPU,
    OFFLOAD_ON_FIRST_CARD,
    OFFLOADS_EXPERTS_ONLY,
    READS_IN_PLACE,
    STAGES_OFFLOADED,
    converts_first,
    format_card_rule,
    kv_for,
    offloads_to_ram,
    one_card,
    outside,
    splits_layers,
)
from .fit import MAX_TOKENS, budget_bytes, largest_fitting, max_prompt_tokens_from_terms, short_of_margin
from .formats import MLX_FORMATS, WEIGHT_FORMATS, release_format
from .memory import (
    MemoryTerms,
    activations_from_terms,
    allocated_tokens,
    decode_gather_for,
    kv_from_terms,
    layer_weight_bytes,
    memory_terms,
    moe_workspace_for,
    stack_terms,
    total_from_terms,
    weights_per_card,
)
from .offload import (
    COPIED_SHARE,
    DEFAULT_RAM_BANDWIDTH_GB_S,
    MOE_CPU_LAYER_S,
    OP_OFFLOAD_MIN_BATCH,
    PCIE_COPY_EFFICIENCY,
    PINNED_COPY_EFFICIENCY,
    apple_cpu,
    card_pool,
    copied_passes,
    copied_placed,
    cpu_bandwidth_share,
    cpu_flops_per_s,
    cpu_math_s,
    cpu_prompt,
    cpu_runs_prompt,
    experts_layer_bytes,
    gpu_budget,
    head_flops,
    host_link_bytes_per_s,
    in_place_read_share,
    kv_copy_per_cell,
    layers_behind_head,
    passes_copy_bytes,
    staging_layer_bytes,
    unified_ram,
    unused_experts_share,
    used_experts_share,
)
from .params import count_params
from .presets import GPU, ModelPreset
from .scenario import Scenario, named_format, splits_heads
from .speed import (
    attention_peak,
    bandwidth_efficiency,
    compute_efficiency,
    decode_attention_flops,
    decode_from_terms,
    dequantized,
    engine_time,
    expert_gather,
    experts_touched,
    exposed_share,
    host_extra_rows_s,
    host_floor_s,
    link_of,
    peak_flops,
    prefill_from_terms,
    prompt_bandwidth_efficiency,
    prompt_head_bytes,
    small_batch_kernels,
    sol_compute_factor,
    speed_key,
    speed_terms,
    stack_speed_terms,
    weights_read_terms,
)
from .units import GB
from .weights import largest_tensor_bytes, output_layer_bytes, weight_bytes

# Formats the machine view compares (16-bit, 8-bit, 4-bit families of the three worlds).
MACHINE_FORMATS = ("bf16", "fp8", "int8", "mxfp4", "nvfp4", "awq-int4", "nf4", "q8_0", "q6_k", "q5_k_m", "q4_k_m",
                   "q3_k_m", "q2_k", "gguf-mxfp4", "mlx-8bit", "mlx-6bit", "mlx-4bit")
GGUF = {"q8_0", "q6_k", "q5_k_m", "q5_0", "q4_k_m", "q4_0", "q3_k_m", "q2_k", "gguf-mxfp4"}
_SEARCH_PROBES = 64     # points per round of the whole-grid context search (27 bits: 5 rounds)
_OFFLOAD_PROBES = 12    # ... of the offloaded entries' (a placement costs more: 12 took 10.5 ms, 8 11.6, 64 21.9)


@dataclass(frozen=True)
class Machine:
    gpu: GPU
    n_gpus: int = 1
    ram_gb: float = 0.0
    engine: str = "llamacpp"
    context: int = 4096
    batch: int = 1
    kv_dtype: str = "fp16"
    host: str | None = None     # HF transformers' host CPU (Scenario.host); None: by the card
    gguf_engine: str = "llamacpp"   # what runs the GGUF rows where ``engine`` is not a llama.cpp profile (Ollama)
    pinned: bool = False        # the weights in RAM in pinned host memory (--no-mmap): op offload copies faster
    ram_bandwidth_gb_s: float | None = None   # the RAM's peak [GB/s]; None: the platform's default (a unified
    #                                           memory's own bandwidth, else dual-channel DDR5), as plan_offload's
    experts_only: bool = False  # vLLM: only an MoE model's routed experts in RAM (--cpu-offload-params), as
    #                             plan_offload's; other engines and dense models: ignored


@dataclass(frozen=True)
class Option:
    """One model in one format on the machine."""

    model: ModelPreset
    weights: str
    bits: float             # all weights' average: the file's bits per weight (llama.cpp prints it as BPW)
    linear_bits: float      # the linear layers' effective bits (the precision ranking's key)
    level: str              # gpu | partial | cpu | none
    needed_bytes: float
    budget_bytes: float
    max_context: int | None
    decode_tokens_per_s: float
    ttft_s: float | None
    gpu_layers: int
    n_layers: int
    engine: str             # the engine profile that runs it (:func:`_engine_for`: GGUF on llama.cpp or Ollama)
    fit_margin_bytes: float = 0.0   # what the row's engine keeps free when it places the layers itself (llama-server)
    tensor_parallel: int = 1        # the cards that split each layer (the machine's, under a tensor-parallel engine)
    experts_in_ram: int = 0         # layers on the cards whose routed experts are in RAM (OffloadPlan.cpu_moe_layers)

    @property
    def headroom_bytes(self) -> float:
        return self.budget_bytes - self.needed_bytes

    @property
    def output_only(self) -> bool:
        """Partly offloaded with every layer on the cards, none's experts in RAM: only the output layer is there
        (:attr:`~vramgui.core.offload.OffloadPlan.output_only`: the llama.cpp of 2023, the generic profile)."""
        return (self.level == "partial" and self.gpu_layers >= self.n_layers and not self.experts_in_ram
                and not self.copied_bytes)

    @property
    def short_of_fit_margin(self) -> bool:
        """On the GPU with less to spare than the engine's automatic placement keeps free (llama-server's --fit
        would move layers to the CPU unless -ngl is given): :func:`~vramgui.core.fit.auto_fit_headroom`'s test."""
        return self.level == "gpu" and short_of_margin(self.headroom_bytes, self.fit_margin_bytes)

    @property
    def tp_refused(self) -> bool:
        """The engine splits each layer over the machine's cards and they do not split the model's attention heads
        evenly (:func:`~vramgui.core.scenario.splits_heads`): vLLM and SGLang refuse to start so
        (:func:`~vramgui.core.report.tp_split_note`); the row's figures are as if it ran."""
        a = self.model.architecture
        return not splits_heads(a.num_heads, a.num_kv_heads, self.tensor_parallel)

    @property
    def params(self) -> int:
        return count_params(self.model.architecture).total

    @property
    def copied_bytes(self) -> float:
        """Partly offloaded by an engine that keeps in RAM the weights that do not fit and moves them to the card for
        every pass (vLLM, SGLang, HF transformers: :func:`_copied`): what a card keeps there; 0 elsewhere."""
        if self.level != "partial" or self.engine not in COPIED_OFFLOAD:
            return 0.0
        return max(self.needed_bytes - self.budget_bytes, 0.0)


def runs_on(engine: str, fmt: str, gpu: GPU, gguf_engine: str = "llamacpp") -> bool:
    """Whether the machine runs ``fmt`` on its card: everywhere, but on an Apple chip only what
    runs on its GPU there (:data:`~vramgui.core.engines.NO_APPLE_GPU`): llama.cpp's GGUF formats, MLX's,
    HF transformers' 16-bit ones and, in the generic theory profile, any; MLX's formats on Apple chips only
    (:data:`~vramgui.core.engines.APPLE_ONLY`); and not a format the engine refuses on the card (:func:`~vramgui.core.
    engines.format_card_rule`: vLLM's BF16 below compute capability 8.0, which its dtype check refuses; its MXFP4 there,
    below its method's minimum), nor one the engine does not load as stored on the card
    (:func:`~vramgui.core.engines.converts_first`: HF transformers' FP8 before compute capability 8.9, dequantized to
    BF16, whose row is what runs), nor one the engine loads on one card alone, nothing in RAM (:func:`~vramgui.core.
    engines.one_card`: HF transformers' NVFP4, which quantizes a 16-bit checkpoint as it loads it: the grid's cards
    and RAM would not be its)."""
    eng = _engine_for(engine, fmt, gguf_engine)
    if one_card(eng, fmt) is not None:
        return False
    rule = format_card_rule(eng, fmt)
    if rule is not None and outside(rule, gpu):
        return False
    if converts_first(eng, fmt, gpu) is not None:
        return False
    if not gpu.apple:
        return eng not in APPLE_ONLY
    if eng in LLAMACPP:
        return True
    return eng not in NO_APPLE_GPU and (eng != "hf" or WEIGHT_FORMATS[fmt].kernel == "fp16")


def _engine_for(engine: str, fmt: str, gguf_engine: str = "llamacpp") -> str:
    """GGUF formats run on llama.cpp (the machine's llama.cpp profile, if it names one; else its GGUF runner,
    ``gguf_engine``: llama.cpp or Ollama), MLX's on
    MLX (and with MLX the machine's engine, what it loads as stored: 16-bit, AWQ, GPTQ, MXFP4), the others on
    the machine's engine (with a llama.cpp profile its 16-bit GGUF files, :data:`~vramgui.core.engines.LLAMACPP_LOADS`;
    the rest on vLLM)."""
    if fmt in GGUF or (engine in LLAMACPP and fmt in LLAMACPP_LOADS):
        return engine if engine in LLAMACPP else gguf_engine
    if fmt in MLX_FORMATS or (engine == "mlx" and fmt in MLX_LOADS):
        return "mlx"
    return engine if engine not in LLAMACPP | {"mlx"} else "vllm"


# --- the stacked catalog --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Group:
    """The formats one engine runs, with every model's coefficients stacked (models × formats)."""

    engine: str
    columns: list[int]              # positions in the table's format list
    formats: tuple[str, ...]
    probe: Scenario                 # one scenario of the group (for the engine's budget and profile)
    mem: MemoryTerms                # on the machine's N cards
    mem1: MemoryTerms               # on one card (the layer-offload plan counts per card)
    speed: object                   # SpeedTerms
    speed1: object                  # SpeedTerms of one card (a layer split's decode; ``speed`` but for generic's N)
    layers: np.ndarray              # (M, 1)
    layer_bytes: np.ndarray         # linear + norms/biases per layer, whole model / L
    lm_head: np.ndarray             # the output layer's bytes (a tied table's rows: llama.cpp copies them)
    tied: np.ndarray                # (M, 1): the output layer is the embedding table (no copy of it in RAM)
    embedding: np.ndarray
    copy_weight: np.ndarray         # the largest weight tensor of a layer (op offload's copy, llama.cpp)
    kv_copy: np.ndarray             # (M, 1): one full-attention layer's K and V a token of a sequence (the same)
    cpu_share: np.ndarray           # (1, F): the share of the RAM's bandwidth the CPU reads each format at
    expert_layer: np.ndarray        # a layer's routed experts (offload.experts_layer_bytes; 0: a dense model)
    moe_share: np.ndarray           # (M, 1): the share of the layers that are MoE layers (0: a dense model)
    head_flops: np.ndarray          # (M, 1): the output layer's FLOPs a token (for the CPU's, offload.cpu_math_s)
    copy_experts: np.ndarray        # the experts' largest stacked tensor (op offload's copy with only they in RAM)
    bits: list[list[tuple[float, float] | None]]   # format_bits of each model x format
    peaks: np.ndarray               # (1 or M, F): the card's peak FLOP/s for each format as the models load it


_GROUPS: OrderedDict = OrderedDict()   # a few stacked catalogs, most recent last
#: How many :data:`_GROUPS` holds: a machine's table builds two (the catalog's grid, the release-format rows), and a
#: user comparing a handful of cards finds each card's kept (at 8, five cards' 10 evicted one another: 148 ms a table
#: instead of 61 on bench_machine.py)
KEPT_GROUPS = 16


def _scenario(model: ModelPreset, gpu: GPU, fmt: str, engine: str, n: int, kv: str,
              host: str | None = None) -> Scenario:
    # ids come from the format and engine tables and the catalog: nothing to re-validate (the machine's cache type
    # where the row's engine takes it, else 16-bit: FP8 for vLLM's rows, F16 for the GGUF rows' llama.cpp)
    return Scenario.model_construct(model=model, gpu=gpu, n_gpus=n, weights=fmt, kv_dtype=kv_for(engine, kv),
                                    engine=engine,
                                    attention=None, prompt_tokens=0, output_tokens=0, batch=1, gpu_util=None,
                                    reserved_mib=0.0, host=host)


def _stacked_speed(scenarios: list[Scenario], terms: list[MemoryTerms], wf_of, heads: np.ndarray, by_format: dict):
    """The speed terms of one scenario per model stacked as models x formats ``wf_of`` (each model's row of format
    objects; ``heads``: the output layer's bytes of each; ``by_format``: the fields that depend on the format and the
    card alone)."""
    shape = heads.shape
    read = np.array([weights_read_terms(s, w) for s, wfs in zip(scenarios, wf_of, strict=True)
                     for w in wfs]).reshape(shape + (4,))
    return replace(stack_speed_terms([speed_terms(s, t) for s, t in zip(scenarios, terms, strict=True)],
                                     (shape[0], 1)),
                   dense_bytes=read[..., 0], expert_bytes=read[..., 1], num_experts=read[..., 2],
                   experts_per_token=read[..., 3],
                   head_bytes=np.array([[prompt_head_bytes(s, w, heads[i, j]) for j, w in enumerate(wf_of[i])]
                                        for i, s in enumerate(scenarios)]),
                   **by_format,
                   **{f: np.array([[dequantized(s, w).get(f, 0.0) for w in wfs] for s, wfs in
                                   zip(scenarios, wf_of, strict=True)])
                      for f in ("dequant_weights", "dequant_bytes")},
                   expert_gather=np.array([[expert_gather(s.engine, w, read[i, j, 1]) for j, w in enumerate(wf_of[i])]
                                           for i, s in enumerate(scenarios)]))


def _per_format(rows: list[list], fn, key: str, *card) -> np.ndarray:
    """``fn(key, format, *card)`` for each format object of ``rows`` (one row for every model, or a row of each)."""
    return np.array([[fn(key, w, *card) for w in r] for r in rows])


def _groups(models: list[ModelPreset], formats: tuple[str, ...], engine: str, n: int, kv: str,
            gpu: GPU, host: str | None = None, gguf_engine: str = "llamacpp") -> list[_Group]:
    """The stacked coefficients, built once per (models, formats, engines, cards, KV dtype, card
    model, host): they do not depend on the RAM, the context or the batch."""
    key = (tuple(id(m) for m in models), formats, engine, n, kv, id(gpu), host, gguf_engine)
    hit = _GROUPS.get(key)
    if hit is not None and hit[0] == (*models, gpu):
        _GROUPS.move_to_end(key)
        return hit[1]
    groups = []
    for eng in dict.fromkeys(_engine_for(engine, f, gguf_engine) for f in formats):
        cols = [i for i, f in enumerate(formats) if _engine_for(engine, f, gguf_engine) == eng]
        fmts = tuple(formats[i] for i in cols)
        shape = (len(models), len(fmts))
        # the memory and speed terms depend on the format only through the weights: one set per
        # model (columns of one), the weight-dependent fields as models x formats
        base = [_scenario(m, gpu, fmts[0], eng, n, kv, host) for m in models]
        archs = [m.architecture for m in models]
        wfs = [WEIGHT_FORMATS[f] for f in fmts]
        # (each model's formats as its engine loads them: HF transformers' bitsandbytes leaves an MoE model's experts
        # 16-bit, scenario.named_format)
        wf_of = [[named_format(f, m, eng) for f in fmts] for m in models]
        uniform = all(w is wfs[j] for r in wf_of for j, w in enumerate(r))
        wbs = [weight_bytes(a, w) for a, row in zip(archs, wf_of, strict=True) for w in row]
        per_model = [memory_terms(s) for s in base]
        weights = [weights_per_card(s, wbs[i * len(wfs) + j], wf_of[i][j]) for i, s in enumerate(base)
                   for j in range(len(wfs))]
        # (the fused-expert workspaces depend on the format too: none for MXFP4 experts)
        workspaces = [moe_workspace_for(s.model.architecture, s.profile, s.tensor_parallel, f) for s in base
                      for f in fmts]
        # (and HF transformers' decode copies of the experts: of 16-bit ones only)
        gathers = [decode_gather_for(s.model.architecture, s.profile, w) for s, row in zip(base, wf_of, strict=True)
                   for w in row]
        mem = replace(stack_terms(per_model), weights=np.array(weights).reshape(shape),
                      moe_workspace=np.array(workspaces).reshape(shape),
                      decode_gather=np.array(gathers).reshape(shape))
        mem1 = mem   # the layer split counts one card (llama.cpp's group, generic's); the copying engines' do not
        ones = base
        if n > 1 and splits_layers(eng):
            ones = [_scenario(m, gpu, fmts[0], eng, 1, kv, host) for m in models]
            # (Ollama's default context is the whole machine's: the N cards' terms hold it)
            mem1 = replace(stack_terms([memory_terms(s) for s in ones]), weights=np.array(
                [weights_per_card(s, wbs[i * len(wfs) + j], wf_of[i][j]) for i, s in enumerate(ones)
                 for j in range(len(wfs))]
            ).reshape(shape), context_floor=mem.context_floor, moe_workspace=mem.moe_workspace,
                decode_gather=mem.decode_gather)
        heads = np.array([output_layer_bytes(archs[i], wbs[i * len(wfs) + j]) for i in range(len(archs))
                          for j in range(len(wfs))], dtype=np.float64).reshape(shape)
        row = speed_key(base[0].profile, gpu, base[0].host)
        rows = [wfs] if uniform else wf_of     # (by the format and the card: one row for every model where alike)
        kernels = _per_format(rows, small_batch_kernels, row, gpu)   # (1 or models, formats, 2)
        by_format = dict(
            bw_efficiency=_per_format(rows, bandwidth_efficiency, row, gpu),
            prompt_bw_efficiency=_per_format(rows, prompt_bandwidth_efficiency, row, gpu),
            mmvq_rate=kernels[..., 0], mmq_load=kernels[..., 1],
            exposed=_per_format(rows, exposed_share, row),
            # (a llama.cpp machine's 16-bit rows: cuBLAS's rate, its GGUF rows' tile kernels')
            flops_efficiency=_per_format(rows, compute_efficiency, row, gpu),
            sol_flops=_per_format(rows, sol_compute_factor, row, gpu),
            attention_peak=np.array([[attention_peak(gpu, w) for w in r] for r in rows]),
            # (bitsandbytes' layers in HF transformers: their host cost and dequantization)
            host_floor=np.array([[host_floor_s(row, a, w) for w in r] for a, r in zip(archs, wf_of, strict=True)]),
            host_extra_rows=np.array([[host_extra_rows_s(row, a, w) for w in r]
                                      for a, r in zip(archs, wf_of, strict=True)]))

        speed = _stacked_speed(base, per_model, wf_of, heads, by_format)
        # a layer split's decode reads each card's layers in turn: one card's terms (the N cards' where the engine's
        # own parallelism is a layer split, llama.cpp's; generic's N cards are tensor parallel on the GPU alone)
        speed1 = speed if ones is base or base[0].profile.parallel == "layer" \
            else _stacked_speed(ones, [memory_terms(s) for s in ones], wf_of, heads, by_format)

        def arr(values, shape=shape):
            return np.array(values, dtype=np.float64).reshape(shape)

        layers = arr([a.num_layers for a in archs], (len(models), 1))
        groups.append(_Group(
            engine=eng, columns=cols, formats=fmts, probe=base[0], mem=mem, mem1=mem1, speed=speed, speed1=speed1,
            layers=layers,
            layer_bytes=arr([layer_weight_bytes(a, w, base[i].profile, wbs[i * len(wfs) + j])
                             for i, (a, row) in enumerate(zip(archs, wf_of, strict=True))
                             for j, w in enumerate(row)]),
            lm_head=heads, tied=np.array([[a.tie_embeddings] for a in archs]),
            embedding=arr([w.embedding for w in wbs]),
            bits=[[_bits(a, wf, wbs[i * len(wfs) + j]) for j, wf in enumerate(wf_of[i])] for i, a in enumerate(archs)],
            # (HF transformers' bitsandbytes on Falcon's layers is no bitsandbytes at all: scenario.named_format)
            peaks=np.array([[peak_flops(gpu, w) for w in r] for r in rows]),
            copy_weight=arr([largest_tensor_bytes(a, w) for a, r in zip(archs, wf_of, strict=True) for w in r]),
            cpu_share=np.array([[cpu_bandwidth_share(w) for w in wfs]]),
            expert_layer=arr([experts_layer_bytes(a, w) for a, r in zip(archs, wf_of, strict=True) for w in r]),
            moe_share=arr([a.moe_layers / a.num_layers for a in archs], (len(models), 1)),
            head_flops=arr([head_flops(a) for a in archs], (len(models), 1)),
            copy_experts=arr([largest_tensor_bytes(a, w, experts_only=True) if a.moe else 0.0
                              for a, r in zip(archs, wf_of, strict=True) for w in r]),
            kv_copy=arr([kv_copy_per_cell(s) for s in base], (len(models), 1)),
        ))
    _GROUPS[key] = ((*models, gpu), groups)
    while len(_GROUPS) > KEPT_GROUPS:
        _GROUPS.popitem(last=False)
    return groups


# --- one machine ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Columns:
    """The table's numbers for one group, arrays of models × the group's formats."""

    level: np.ndarray
    needed: np.ndarray
    budget: float
    max_context: np.ndarray         # -1: not computed / does not fit
    tokens_per_s: np.ndarray
    ttft: np.ndarray                # nan: unknown
    gpu_layers: np.ndarray
    experts_in_ram: np.ndarray      # layers on the cards whose routed experts are in RAM


@dataclass(frozen=True)
class _Placement:
    """Where :func:`_placement` puts each entry's layers (arrays broadcast over the grid, and over the contexts
    tried where a context search asks for several)."""

    level: np.ndarray               # gpu | partial | cpu | none
    n_gpu: np.ndarray               # layers on the cards
    output_on_gpu: np.ndarray
    moe_in_ram: np.ndarray | float  # layers on the cards whose routed experts are in RAM (--fit)
    copies_on: np.ndarray           # a prompt's passes copy the part in RAM to the card (op offload)
    kv_layer: np.ndarray            # a layer's cache on one card
    ram_bw: float                   # GB/s the CPU reads the part in RAM at


def _placement(g: _Group, m: Machine, context) -> _Placement:
    """The layer split over ``m.n_gpus`` identical cards and system RAM for every entry at ``context`` tokens (a
    number, or an array that broadcasts against the grid's models x formats: one context a leading row): the
    closed form of :func:`~vramgui.core.offload.plan_offload` for equal cards, whole layers, the output layer on the
    last card, first where the engine offloads it first (current llama.cpp), else only when every layer fits too."""
    one = g.probe.with_(n_gpus=1)
    prof = one.profile
    L = g.layers
    kv_layer = kv_from_terms(g.mem1, prof, context, m.batch) / L
    act = activations_from_terms(g.mem1, prof, context, m.batch)
    fixed = g.mem1.overhead + act + (0.0 if prof.embedding_on_host else g.embedding)
    budget = gpu_budget(one, m.gpu)
    gpu_layer = g.layer_bytes + kv_layer
    free = budget - fixed
    per_card = np.maximum(np.floor(free / gpu_layer), 0.0)
    # with layers in RAM, the first card's copies of their tensors (offload.op_offload_copy_bytes)
    copy = 0.0
    if prof.op_offload_copies and not m.gpu.unified_memory:
        cells = allocated_tokens(prof, np.maximum(context, g.mem1.context_floor), g.mem1.block)
        copy = np.maximum(g.copy_weight, g.kv_copy * cells * m.batch)
    # every layer and the output on several cards: llama.cpp's pipeline copies (in the N-card terms)
    piped = (activations_from_terms(g.mem, prof, context, m.batch) - act) if m.n_gpus > 1 else 0.0
    per_card_piped = np.maximum(np.floor((free - piped) / gpu_layer), 0.0)
    first_with_head = np.maximum(np.floor((free - piped - g.lm_head) / gpu_layer), 0.0)
    every = np.minimum(first_with_head + (m.n_gpus - 1) * per_card_piped, L) == L
    # the first card's layers beside the copies, the others' (on one card: the same card)
    first_card = np.maximum(np.floor((free - copy) / gpu_layer), 0.0)
    if prof.output_layer_first:     # the output layer on the last card, then what room is left (not every layer)
        if m.n_gpus == 1:
            head_fits = free - copy >= g.lm_head
            some = np.maximum(np.floor((free - copy - g.lm_head) / gpu_layer), 0.0)
        else:
            head_fits = free >= g.lm_head
            some = first_card + (m.n_gpus - 2) * per_card + np.maximum(np.floor((free - g.lm_head) / gpu_layer), 0.0)
        some = np.where(head_fits, np.minimum(some, L - 1), 0.0)
        output_on_gpu = every | head_fits
    else:                           # the output layer in RAM unless every layer fits
        some = np.minimum(first_card + (m.n_gpus - 1) * per_card, L)
        output_on_gpu = every
    n_gpu = np.where(every, L, some)
    moe_in_ram, copies_on = 0.0, np.asarray(copy) > 0
    if prof.auto_fit_margin_bytes > 0 and np.any(g.expert_layer > 0):
        n_gpu, output_on_gpu, moe_in_ram, copies_on = _fit_moe(g, m, L, free, budget, fixed, kv_layer, copy, piped,
                                                               n_gpu, output_on_gpu)
    n_cpu = L - n_gpu
    ram_used = (np.where(prof.embedding_on_host | (n_gpu == 0), g.embedding, 0.0)
                + n_cpu * (g.layer_bytes + kv_layer) + np.where(output_on_gpu | g.tied, 0.0, g.lm_head)
                + g.expert_layer * moe_in_ram + np.where(n_cpu > 0, act, 0.0))
    ram_budget = unified_ram(m.ram_gb, card_pool(m.gpu, m.n_gpus, budget))     # (one pool on a Mac)
    ram_bw = DEFAULT_RAM_BANDWIDTH_GB_S
    if m.gpu.unified_memory:          # (the CPU reads the same memory as the GPU)
        ram_bw = m.gpu.memory_bandwidth_gb_s
    if m.ram_bandwidth_gb_s is not None:    # (the user's figure, over either default, as plan_offload takes it)
        ram_bw = float(m.ram_bandwidth_gb_s)
    over_gpu = output_on_gpu & (g.lm_head > free)
    if m.n_gpus > 1:    # a card that holds no layer still holds the buffers, the copies or the output: over its budget
        #                 where they are more than its room (only at long contexts: plan_offload's test of each card)
        piped0 = np.where(n_cpu == 0, piped, 0.0)
        copy0 = np.where(copies_on, np.where(n_cpu > 0, copy, g.copy_experts), 0.0)
        over_gpu = over_gpu | (output_on_gpu & ((free - piped0 - copy0 < 0) | (free - piped0 - g.lm_head < 0)))
    level = np.select([(ram_used > ram_budget) | over_gpu, (n_cpu == 0) & output_on_gpu & (moe_in_ram == 0),
                       (n_gpu == 0) & ~output_on_gpu], ["none", "gpu", "cpu"], "partial")
    return _Placement(level=level, n_gpu=n_gpu, output_on_gpu=output_on_gpu, moe_in_ram=moe_in_ram,
                      copies_on=copies_on, kv_layer=kv_layer, ram_bw=ram_bw)


def _offload(g: _Group, m: Machine) -> tuple[np.ndarray, ...]:
    """Every entry's :func:`_placement` at the machine's context and its decode.  Returns (level, GPU layers, decode
    seconds, the seconds a prompt of the context's length adds copying the part in RAM to the card
    (:func:`~vramgui.core.offload.prompt_copy_bytes`) or the CPU's for that part where it runs it, the share of the
    cards' time for the prompt left to them: :func:`~vramgui.core.offload.cpu_prompt`, and the layers on the cards
    whose routed experts are in RAM)."""
    at = _placement(g, m, m.context)
    prof = g.probe.profile
    L = g.layers
    level, n_gpu, output_on_gpu, moe_in_ram, copies_on, kv_layer = (
        at.level, at.n_gpu, at.output_on_gpu, at.moe_in_ram, at.copies_on, at.kv_layer)
    n_cpu = L - n_gpu
    gpu_bw = m.gpu.bandwidth_bytes_per_s * g.speed1.bw_efficiency
    # the active weights per layer, less the output layer: of a MoE's routed experts, those the batch touches
    sp = g.speed1
    touched = experts_touched(sp.num_experts, sp.experts_per_token, m.batch)
    per_layer = (sp.dense_bytes + sp.expert_bytes * touched - g.lm_head) / L + kv_layer
    active_experts = g.expert_layer * touched / sp.num_experts * moe_in_ram    # read from RAM, not from the card
    link = host_link_bytes_per_s(m.gpu) * (PINNED_COPY_EFFICIENCY if m.pinned else PCIE_COPY_EFFICIENCY)
    # the CPU's arithmetic for the sequences past the first (offload.cpu_math_s), a sequence's FLOPs a layer
    layer_matmul = (sp.matmul_flops - g.head_flops) / L
    layer_flops = layer_matmul + decode_attention_flops(sp, float(m.context)) / L
    rate = cpu_flops_per_s(at.ram_bw, apple_cpu([m.gpu]))
    math = cpu_math_s(n_cpu * layer_flops + moe_in_ram * (sp.expert_flops / L)
                      + np.where(output_on_gpu, 0.0, g.head_flops), m.batch, rate)
    in_ram = (n_cpu * per_layer + np.where(output_on_gpu, 0.0, g.lm_head) + active_experts) \
        / (at.ram_bw * GB * g.cpu_share) + moe_in_ram * MOE_CPU_LAYER_S + math
    experts_in_ram = (n_cpu + moe_in_ram) * g.expert_layer        # (the routed experts in RAM: op offload copies
    #                                                                only those a pass uses, unused_experts_share)
    if m.batch >= OP_OFFLOAD_MIN_BATCH and np.any(copies_on):   # a step of 32 sequences or more: op offload copies
        #                                                          the part in RAM to the card instead (plan_offload)
        step_copy = n_cpu * (g.layer_bytes + kv_layer) + g.expert_layer * moe_in_ram \
            + np.where(output_on_gpu, 0.0, g.lm_head) \
            - experts_in_ram * unused_experts_share(sp.num_experts, sp.experts_per_token, m.batch)
        in_ram = np.where(copies_on, step_copy / link, in_ram)
    decode = (n_gpu * per_layer - active_experts) / gpu_bw + np.where(output_on_gpu, g.lm_head / gpu_bw, 0.0) + in_ram
    decode = engine_time(decode, sp.host_floor, sp.step_overhead + sp.sample_s * m.batch)
    # a prompt of the context's length: its passes copy the layers in RAM and their cache so far
    copied = passes_copy_bytes(prof, float(m.context * m.batch), 0.0, n_cpu * g.layer_bytes
                               + g.expert_layer * moe_in_ram, n_cpu * g.mem1.kv_full / L, experts_in_ram,
                               sp.num_experts, sp.experts_per_token) if np.any(copies_on) else 0.0
    copies = np.where(copies_on, copied, 0.0) / link
    # where the CPU runs its part of that prompt instead (no copies, or passes under 32 tokens): the cards' share of
    # their time, and the CPU's (offload.cpu_prompt)
    tokens = float(m.context * m.batch)
    cards = np.ones_like(decode)
    runs = cpu_runs_prompt(prof, tokens, copies_on) & ((n_cpu > 0) | (moe_in_ram > 0))
    if np.any(runs):
        attention = decode_attention_flops(sp, m.context / 2)
        share, on_cpu = cpu_prompt(prof, tokens, n_cpu * (layer_matmul + attention / L)
                                   + moe_in_ram * (sp.expert_flops / L), sp.matmul_flops + attention,
                                   n_cpu * g.layer_bytes + moe_in_ram * g.expert_layer, at.ram_bw, g.cpu_share, rate)
        cards, copies = np.where(runs, share, 1.0), np.where(runs, on_cpu, copies)
    experts = np.where(level == "partial", np.broadcast_to(moe_in_ram, np.shape(level)), 0).astype(np.int64)
    return level, n_gpu.astype(np.int64), np.where(level == "none", np.inf, decode), copies, cards, experts


def _copied(g: _Group, m: Machine, needed, budget: float, step):
    """:func:`~vramgui.core.offload.plan_copied` of every entry whose engine keeps the weights that do not fit in RAM
    for every pass (vLLM, SGLang, HF transformers: :data:`~vramgui.core.engines.COPIED_OFFLOAD`), each card keeping
    there the least of its weights that lets the rest fit, every step and prompt chunk moving them over its link
    (vLLM: of an MoE's routed experts those the tokens use; with the machine's ``experts_only`` the routed experts
    alone go to RAM, at most all of them, and a pass reads those its tokens use).  ``step``: the decode step with
    every layer on the card.  Returns (level, GPU layers, decode seconds, the seconds the prompt's passes add, and per
    entry the most a card's needed bytes may be for it to be placed)."""
    n, L, weights = m.n_gpus, g.layers, g.mem.weights
    sp = g.speed
    routed = sp.num_experts * sp.expert_bytes        # a card's routed experts (0: a dense model)
    only = np.asarray(routed > 0) & (m.experts_only and g.engine in OFFLOADS_EXPERTS_ONLY)
    # (HF transformers: the first card's room for the largest module brought from RAM, that much more there, and as
    # much kept free in RAM: offload.staging_bytes, _copied_split)
    room = staging_layer_bytes(g.layer_bytes, g.expert_layer, g.moe_share, g.lm_head, g.tied) \
        if g.engine in STAGES_OFFLOADED else 0.0
    stage = room / n               # (on the first card: each card's figures a share of it)
    copied = np.maximum(needed - budget, 0.0)
    copied = np.where(copied > 0, copied + stage, 0.0)
    ram = unified_ram(m.ram_gb, card_pool(m.gpu, n, budget))     # (on a Mac, the part of its pool the GPU may not wire)
    ram_each = ram / n
    placed = copied_placed(copied, weights, n, ram - room) & (~only | (copied <= routed))
    level = np.where((copied > 0) & placed, "partial", "none").astype(object)
    if g.engine in STAGES_OFFLOADED:    # (HF transformers' device map: the output layer, then whole layers from the
        in_ram = layers_behind_head(copied * n, np.where(g.tied, 0.0, g.lm_head), g.layer_bytes, L)  # last)
    else:
        in_ram = np.minimum(L, np.ceil(copied / (weights / L)))
    link = host_link_bytes_per_s(m.gpu) * COPIED_SHARE[g.engine]

    def read(tokens):
        if g.engine not in READS_IN_PLACE:
            return 1.0
        mixed = in_place_read_share(sp.dense_bytes, sp.expert_bytes, sp.num_experts, sp.experts_per_token,
                                    g.lm_head / g.probe.tensor_parallel, tokens)
        return np.where(only, used_experts_share(sp.num_experts, sp.experts_per_token, tokens), mixed)
    # (HF transformers runs every card's share kept in RAM on the first card: each pass copies all of them there)
    over = n if g.engine in OFFLOAD_ON_FIRST_CARD else 1
    decode = np.where(level == "partial", step + copied * over * read(m.batch) / link, np.inf)
    tokens, passes = copied_passes(g.probe.profile, m.gpu, float(m.context * m.batch))   # (none of it cached)
    copies = passes * copied * over * (read(tokens) if passes else 1.0) / link
    cap = budget - stage + np.minimum(np.where(only, routed, np.nextafter(weights, 0.0)), ram_each - room / n)
    return level, (L - in_ram).astype(np.int64), decode, copies, cap


def _offloaded_context(g: _Group, m: Machine, searched: np.ndarray) -> np.ndarray:
    """The largest context the cards and the RAM hold together (:func:`_placement` places it and not one token
    more), for the ``searched`` entries (placed at the machine's context), -1 elsewhere: what
    :func:`~vramgui.core.offload.max_prompt_offloaded` searches with an empty output, for those entries at once,
    :data:`~vramgui.core.fit.MAX_TOKENS` at most.  The bytes on the cards and in RAM grow with the context; the
    split of the cards' layers and experts rounds to whole ones, so a few entries are placed again a little past
    where they first are not (2 x RTX 3090, 128 GB: Mixtral 8x22B Q8_0 up to 97,280 tokens and from 97,793 to
    98,560): the answer is a context placed with the next one not, as the one-scenario search's is."""
    found = np.full(searched.shape, -1, dtype=np.int64)
    if not searched.any():
        return found
    sub = _entries(g, searched)

    def placed(xs: np.ndarray) -> np.ndarray:     # xs: (entries, n); the contexts a leading axis inside
        return (_placement(sub, m, xs.T.astype(np.float64)).level != "none").T

    # first contexts spread evenly on a log scale from the machine's to the largest (a factor of 3.3 apart), then
    # that bracket in evenly spread ones
    xs = np.geomspace(m.context, MAX_TOKENS, _OFFLOAD_PROBES).astype(np.int64)
    ok = placed(np.broadcast_to(xs, (int(searched.sum()), xs.size)))
    ok[:, 0] = True                 # (placed at the machine's context: searched for that)
    bad = np.argmin(ok, axis=1)     # the first not placed (0: none)
    top = ok.all(axis=1)
    lo, hi = xs[np.maximum(bad - 1, 0)], xs[bad]
    found[searched] = np.where(top, MAX_TOKENS, largest_fitting(placed, np.where(top, 0, lo), np.where(top, 1, hi),
                                                                probes=_OFFLOAD_PROBES))
    return found


def _entries(g: _Group, mask: np.ndarray) -> _Group:
    """``g`` for the entries of the models x formats ``mask`` only, each array a row of them (the memory terms' too;
    not the speed's, which the placement does not read)."""
    shape = mask.shape

    def pick(v):
        return np.broadcast_to(v, shape)[mask] if isinstance(v, np.ndarray) else v

    def terms(t: MemoryTerms) -> MemoryTerms:
        return MemoryTerms(**{f: pick(getattr(t, f)) for f in MemoryTerms.__dataclass_fields__})

    return replace(g, mem=terms(g.mem), mem1=terms(g.mem1), speed=None, speed1=None, bits=[],
                   **{f: pick(getattr(g, f)) for f in ("layers", "layer_bytes", "lm_head", "tied", "embedding",
                                                        "copy_weight", "kv_copy", "cpu_share", "expert_layer",
                                                        "copy_experts")})


def _fit_moe(g: _Group, m: Machine, L, free, budget, fixed, kv_layer, copy, piped, n_gpu, output_on_gpu):
    """For the MoE entries, llama-server's --fit placement (offload.plan_offload's fit_moe) on the machine's equal
    cards: every layer's dense part on the cards where they all fit (shared as llama.cpp's tensor split shares them,
    offload._split), then on each card the experts of as many of its layers as its room left holds; else layers
    split as -ngl with every expert in RAM.  Returns (GPU layers, output layer on the cards, layers on the cards whose
    experts are in RAM, whether a prompt's pass copies to the card), the other entries' unchanged."""
    prof = g.probe.profile
    n = m.n_gpus
    moe = g.expert_layer > 0
    own = prof.op_offload_copies and not m.gpu.unified_memory
    copy_e = g.copy_experts if own else 0.0
    dense = g.layer_bytes - g.expert_layer + kv_layer        # a layer's dense part and cache
    fp = free - piped
    # every dense part on the cards, the output layer on the last, the experts' copy on the first
    room = [fp - copy_e - g.lm_head] if n == 1 else [fp - copy_e] + [fp] * (n - 2) + [fp - g.lm_head]
    cap = np.stack([np.broadcast_to(np.maximum(np.floor(r / dense), 0.0), np.shape(dense)) for r in room])
    all_dense = cap.sum(axis=0) >= L
    first_card = np.maximum(np.floor((free - copy) / dense), 0.0)      # (not every layer: the copies, no pipeline)
    if prof.output_layer_first:
        head_fits = (free - copy if n == 1 else free) >= g.lm_head
        rest = np.maximum(np.floor((free - copy - g.lm_head) / dense), 0.0) if n == 1 else \
            first_card + (n - 2) * np.maximum(np.floor(free / dense), 0.0) \
            + np.maximum(np.floor((free - g.lm_head) / dense), 0.0)
        some = np.where(head_fits, np.minimum(rest, L - 1), 0.0)
        out = all_dense | head_fits
    else:
        some = np.minimum(first_card + (n - 1) * np.maximum(np.floor(free / dense), 0.0), L)
        out = all_dense
    n_dense = np.where(all_dense, L, some)
    # where every dense part is on the cards: each card's layers (offload._split: in proportion to the room, at most
    # what each holds, the rest to the cards with the most to spare), then the experts its room left holds
    total = np.where(all_dense, L, 0.0)
    if n == 1:                      # (one card: every layer where every dense part fits)
        k = total[None]
    else:
        weight = np.stack([np.broadcast_to(np.maximum(r, 0.0), np.shape(dense)) for r in room])
        share = np.minimum(np.floor(total * weight / np.where(weight.sum(axis=0) > 0, weight.sum(axis=0), 1.0)),
                           cap)
        spare = cap - share
        order = np.argsort(-spare, axis=0, kind="stable")
        spare_sorted = np.take_along_axis(spare, order, axis=0)
        before = np.cumsum(spare_sorted, axis=0) - spare_sorted
        add = np.zeros_like(spare)
        np.put_along_axis(add, order, np.clip(total - share.sum(axis=0) - before, 0.0, spare_sorted), axis=0)
        k = share + add
    used = fixed + piped + k * dense
    used[-1] += g.lm_head                                            # (the output layer on the last card)
    whole = np.all(used + k * g.expert_layer <= budget, axis=0)      # every expert fits too
    left = budget - used
    left[0] -= copy_e                                                # (the experts' copy on the first)
    back = np.minimum(np.maximum(np.floor(left / np.where(moe, g.expert_layer, 1.0)), 0.0), k).sum(axis=0)
    back = np.where(all_dense & out, np.where(whole, L, back), 0.0)
    in_ram = np.where(moe, n_dense - back, 0.0)
    n_cpu = L - np.where(moe, n_dense, n_gpu)
    copies = np.where(moe, own & ((n_cpu > 0) | (in_ram > 0)), np.asarray(copy) > 0)
    return np.where(moe, n_dense, n_gpu), np.where(moe, out, output_on_gpu), in_ram, copies


def _evaluate_group(g: _Group, m: Machine) -> _Columns:
    prof = g.probe.profile
    budget = budget_bytes(g.probe.with_(gpu=m.gpu))
    needed = total_from_terms(g.mem, prof, m.context, m.batch)
    fits = needed <= budget
    peaks = g.peaks
    card = (m.gpu.bandwidth_bytes_per_s, peaks, *link_of(m.gpu))
    step, _ = decode_from_terms(g.speed, m.batch, m.context, card)
    level = np.where(fits, "gpu", "none").astype(object)
    layers = np.where(fits, g.layers, 0).astype(np.int64)
    tok_s = np.where(fits, 1.0 / step, 0.0)
    copies, cards = 0.0, 1.0
    copied_cap = None
    experts_in_ram = np.zeros(np.shape(level), dtype=np.int64)
    if m.ram_gb > 0 and offloads_to_ram(g.engine):
        if splits_layers(g.engine):
            off_level, off_layers, off_decode, copies, cards, off_experts = _offload(g, m)
            experts_in_ram = np.where(fits, 0, off_experts)
        else:
            off_level, off_layers, off_decode, copies, copied_cap = _copied(g, m, needed, budget, step)
        level = np.where(fits, level, off_level)
        layers = np.where(fits, layers, off_layers)
        tok_s = np.where(fits, tok_s, np.where(np.isfinite(off_decode), 1.0 / off_decode, 0.0))
    on_gpu = level == "gpu"
    offloaded = (level == "partial") | (level == "cpu")
    # the largest context where the model runs on the GPU (elsewhere an empty bracket); partly offloaded or on the
    # CPU, the largest the cards and the RAM hold together
    mp = max_prompt_tokens_from_terms(g.mem, prof, np.where(on_gpu, budget, 0.0), m.batch, probes=_SEARCH_PROBES)
    if offloaded.any() and copied_cap is not None:      # (the most the card may keep in RAM on top of its budget)
        mp = np.where(offloaded, max_prompt_tokens_from_terms(g.mem, prof, np.where(offloaded, copied_cap, 0.0),
                                                              m.batch, probes=_SEARCH_PROBES), mp)
    elif offloaded.any():
        mp = np.where(offloaded, _offloaded_context(g, m, offloaded), mp)
    ttft = prefill_from_terms(g.speed, m.context, m.batch, card)
    # (partly offloaded, or computed by the CPU with the card idle: the prompt's passes copy the part in RAM to it, or
    # the CPU runs that part, the cards their share)
    ttft = np.where(np.isfinite(peaks) & (on_gpu | offloaded),
                    np.where(offloaded, ttft * cards + copies, ttft), np.nan)
    return _Columns(level=level, needed=needed, budget=budget, max_context=np.where(on_gpu | offloaded, mp, -1),
                    tokens_per_s=tok_s, ttft=ttft, gpu_layers=layers, experts_in_ram=experts_in_ram)


def machine_grid(m: Machine, models: list[ModelPreset], formats=MACHINE_FORMATS) -> list[Option]:
    """Every model × format that runs on the machine (:func:`runs_on`), models outer, formats inner.  With
    HF transformers, 8-bit weights are bitsandbytes' LLM.int8() (``load_in_8bit``, its way to 8 bits)."""
    if m.engine == "hf":
        formats = tuple("bnb-int8" if f == "int8" else f for f in formats)
    formats = tuple(f for f in formats if runs_on(m.engine, f, m.gpu, m.gguf_engine))
    if not models:
        return []
    cells: list[list] = [[None] * len(formats) for _ in models]
    n_layers = [model.architecture.num_layers for model in models]
    for g in _groups(models, formats, m.engine, m.n_gpus, m.kv_dtype, m.gpu, m.host, m.gguf_engine):
        c = _evaluate_group(g, m)
        margin = g.probe.profile.auto_fit_margin_bytes
        for j, col in enumerate(g.columns):
            fmt = formats[col]
            for i, model in enumerate(models):
                both = g.bits[i][j]
                if both is None:
                    continue
                bits, linear_bits = both
                mc = int(c.max_context[i, j])
                ttft = float(c.ttft[i, j])
                cells[i][col] = Option(
                    model=model, weights=fmt, bits=bits, linear_bits=linear_bits, level=str(c.level[i, j]),
                    needed_bytes=float(c.needed[i, j]),
                    budget_bytes=c.budget, max_context=mc if mc >= 0 else None,
                    decode_tokens_per_s=float(c.tokens_per_s[i, j]), ttft_s=None if np.isnan(ttft) else ttft,
                    gpu_layers=int(c.gpu_layers[i, j]), n_layers=n_layers[i], engine=g.engine,
                    fit_margin_bytes=margin, tensor_parallel=g.probe.tensor_parallel,
                    experts_in_ram=int(c.experts_in_ram[i, j]))
    return [o for row in cells for o in row if o is not None]


#: The keys of a row as ``vramgui-cli machine --json`` gives it (:func:`option_dict`).
OPTION_KEYS = ("model", "name", "weights", "engine", "bits_per_weight", "params", "level", "needed_bytes",
               "budget_bytes", "headroom_bytes", "max_context", "gpu_layers", "n_layers", "decode_tokens_per_second",
               "time_to_first_token_seconds", "short_of_fit_margin", "tp_refused", "output_only", "experts_in_ram",
               "quality")


def option_dict(o: Option) -> dict:
    """One row as ``vramgui-cli machine --json`` gives it (:data:`OPTION_KEYS`; the window's CSV of the My machine
    tab too, the published perplexity's figure, dataset and source in place of ``quality``)."""
    q = o.model.quality_for(o.weights)
    return dict(zip(OPTION_KEYS, (
        o.model.id, o.model.name, o.weights, o.engine, o.bits, o.params, o.level, o.needed_bytes, o.budget_bytes,
        o.headroom_bytes, o.max_context, o.gpu_layers, o.n_layers, o.decode_tokens_per_s, o.ttft_s,
        o.short_of_fit_margin, o.tp_refused, o.output_only, o.experts_in_ram, None if q is None else q.model_dump()),
        strict=True))


def format_bits(a, fmt: str) -> tuple[float, float] | None:
    """(all weights' average bits, the linear layers' effective bits) of ``a`` in ``fmt``: the
    first is the file's size in bits over its parameters (what llama.cpp prints as BPW, with
    16-bit embeddings and K-quant mixes and fallback types counted: Llama 3.1 8B Q4_K_M 4.89),
    the second ranks precision (a small model's 16-bit embedding does not make its 4-bit
    layers more precise).  None where a format that stores the routed experts apart (MXFP4)
    would only repeat 16-bit (a model without experts)."""
    return _bits(a, WEIGHT_FORMATS[fmt])


def _bits(a, f, w=None) -> tuple[float, float] | None:
    """:func:`format_bits` with the format object (and its weight bytes, where known)."""
    p = count_params(a)
    if f.expert_bits is not None and not p.experts:
        return None
    w = w or weight_bytes(a, f, p)
    return w.total * 8.0 / p.total, w.linear * 8.0 / p.linear


def evaluate(m: Machine, model: ModelPreset, fmt: str) -> Option:
    """One model in one format on the machine."""
    options = machine_grid(m, [model], (fmt,))
    if not options and not runs_on(m.engine, fmt, m.gpu, m.gguf_engine):
        raise ValueError(f"{fmt} does not run on {m.gpu.name} with the {m.engine} engine")
    if not options:
        raise ValueError(f"{fmt} stores routed experts apart; {model.name} has none (it would be 16-bit)")
    return options[0]


def machine_table(m: Machine, catalog: Catalog, formats=MACHINE_FORMATS, family: str | None = None,
                  min_params: float = 0, max_params: float = float("inf"), min_context: int = 0,
                  min_tokens_per_s: float = 0.0) -> list[Option]:
    """Every catalog model × format on the machine, filtered, in catalog order.  ``min_context``
    keeps only entries that run with at least that largest context (on the GPU, or partly
    offloaded or on the CPU with the RAM)."""
    models = [model for model in catalog.models.values()
              if (not family or family.lower() in model.family.lower())
              and min_params <= count_params(model.architecture).total <= max_params]
    options, released = machine_grid(m, models, formats), _release_rows(m, models, formats)
    if released:                # (into catalog order, stable: each model's formats stay in order, its own last)
        order = {id(model): i for i, model in enumerate(models)}
        options = sorted(options + released, key=lambda o: order[id(o.model)])
    return [o for o in options
            if not (min_context and (o.max_context or 0) < min_context)
            and o.decode_tokens_per_s >= min_tokens_per_s]


def _release_rows(m: Machine, models: list[ModelPreset], formats) -> list[Option]:
    """The rows of the models released in a format the grid does not compare (:func:`~vramgui.core.formats.
    release_format`: Kimi K2.5's and K2.6's INT4 experts), in that format."""
    by_format: dict[str, list[ModelPreset]] = {}
    for model in models:
        released = release_format(model.config)
        if released is not None and released not in formats:
            by_format.setdefault(released, []).append(model)
    return [o for fmt, some in by_format.items() for o in machine_grid(m, some, (fmt,))]


def runs_order(o: Option) -> float:
    """The default order of a machine's rows (:data:`SORT_KEYS` "runs"): on the GPU, partly offloaded, on the CPU, not
    at all; within each the most parameters first, then the most bits a weight.  A number, as the window's table
    sorts by one: millions of parameters, so that a hundredth of a bit stays apart from them in a double."""
    return ("gpu", "partial", "cpu", "none").index(o.level) * 1e9 - round(o.params / 1e6) - o.bits / 100


#: Columns the table sorts by, each with its natural order (largest first where more is better; "runs", the default:
#: :func:`runs_order`).
SORT_KEYS = {
    "runs": (runs_order, False),
    "tokens_per_s": (lambda o: o.decode_tokens_per_s, True),
    "ttft": (lambda o: float("inf") if o.ttft_s is None else o.ttft_s, False),
    "max_context": (lambda o: o.max_context or -1, True),
    "headroom": (lambda o: o.headroom_bytes, True),
    "needed": (lambda o: o.needed_bytes, False),
    "params": (lambda o: o.params, True),
    "bits": (lambda o: o.bits, True),
    "model": (lambda o: (o.model.family, o.model.name, o.weights), False),
}


def sort_options(options: list[Option], by: str = "runs", reverse: bool = False) -> list[Option]:
    """``options`` ordered by one column (:data:`SORT_KEYS`), in its natural order (``reverse``
    flips it); ties keep the catalog order."""
    if by not in SORT_KEYS:
        raise ValueError(f"unknown sort column '{by}'; known: {', '.join(SORT_KEYS)}")
    key, descending = SORT_KEYS[by]
    return sorted(options, key=key, reverse=descending != reverse)


def best_format(m: Machine, model: ModelPreset, formats=tuple(WEIGHT_FORMATS)) -> dict:
    """The highest-precision format that fits on the GPU at the machine's context, and the
    fastest one, with every candidate's numbers for the trade-off; with the machine's RAM, the same two among the
    formats that run at all (on the GPU, partly offloaded or on the CPU: ``*_with_ram``; None without RAM).  Rows
    whose engine refuses to split the model over the machine's cards (:attr:`Option.tp_refused`) are not picked."""
    options = machine_grid(m, [model], tuple(f for f in formats if f != "fp32"))

    def two(rows):
        if not rows:
            return None, None
        return (max(rows, key=lambda o: (o.linear_bits, o.weights in GGUF)),
                max(rows, key=lambda o: o.decode_tokens_per_s))
    started = [o for o in options if not o.tp_refused]     # (not those whose engine refuses the cards' split)
    best, fastest = two([o for o in started if o.level == "gpu"])
    with_ram = two([o for o in started if o.level != "none"]) if m.ram_gb > 0 else (None, None)
    return {"highest_precision": best, "fastest": fastest, "highest_precision_with_ram": with_ram[0],
            "fastest_with_ram": with_ram[1], "options": options}


__all__ = ["MACHINE_FORMATS", "GGUF", "MLX_FORMATS", "MAX_TOKENS", "SORT_KEYS", "Machine", "Option", "machine_grid",
           "machine_table", "evaluate", "sort_options", "best_format", "runs_on", "OPTION_KEYS", "option_dict"]
