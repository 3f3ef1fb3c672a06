"""When it does not fit: layers split between GPU(s) and system RAM, MoE experts kept on
the CPU, cards of different sizes, unified memory.

llama.cpp-style engines place whole layers: current llama.cpp (since Dec 2025) gives ``-ngl N``
the output layer first, then the last N - 1 repeating layers (with their KV cache), and leaves
the rest and the token embedding in system RAM; its builds before that put N repeating layers
on the GPU(s) and the output layer only when every layer was there
(:attr:`~vramgui.core.engines.EngineProfile.output_layer_first`).  Several cards of different
sizes share the GPU layers in proportion to their free memory (``--tensor-split``);
they are never treated as one pool.  ``-ot exps=CPU`` style expert offload keeps every
MoE expert tensor in RAM while attention, shared parts and the KV cache stay on the GPU.

A decode step reads each device's share of the weights and KV cache over that device's
own bandwidth, in turn: GPU bytes over the card's bandwidth, CPU bytes over the system
RAM's.  The slower part dominates.  A step of several sequences adds the CPU's arithmetic
for the part it runs (:func:`cpu_math_s`); from 32 llama.cpp copies that part to the card
instead.  The engine's host floor and per-step costs apply as in :mod:`~vramgui.core.speed`.

How long a prompt the cards and the RAM hold together is the longest whose plan is placed
(:func:`max_prompt_offloaded`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .engines import (
    BITSANDBYTES,
    COPIED_OFFLOAD,
    OFFLOAD_ON_FIRST_CARD,
    READS_IN_PLACE,
    STAGES_OFFLOADED,
    batch_defaults,
    no_offload,
    offloads_experts_only,
    offloads_to_ram,
    takes_cpu_moe,
    takes_cpu_offload_gb,
)
from .formats import WeightFormat
from .memory import (
    MemoryTerms,
    activations_from_terms,
    allocated_tokens,
    estimate_memory,
    kv_elements_per_token_layer,
    kv_from_terms,
    layer_weight_bytes,
    memory_terms,
)
from .params import count_params, mlp_params
from .presets import GPU
from .scenario import MAX_SCENARIO_BATCH, MAX_SCENARIO_TOKENS, Scenario, kept
from .speed import (
    DEFAULT_LINK_GB_S,
    SAMPLE_S,
    Costs,
    bandwidth_efficiency,
    cost_per_million_tokens,
    decode_attention_flops,
    engine_time,
    experts_touched,
    fixed_step_s,
    host_floor_s,
    prefill_time,
    prompt_split,
    speed_key,
    speed_terms,
    weights_read_terms,
)
from .units import GB, GIB
from .weights import (
    WeightBytes,
    active_weight_bytes,
    expert_bits,
    largest_tensor_bytes,
    output_layer_bytes,
    weight_bytes,
)

#: Default system-RAM bandwidth [GB/s]: dual-channel DDR5-4800, 4800 MT/s × 8 bytes × 2
#: channels = 76.8 GB/s peak (JEDEC DDR5 data rate; a hand calculation).
DEFAULT_RAM_BANDWIDTH_GB_S = 76.8
#: Share of the system RAM's peak bandwidth at which llama.cpp's CPU decode reads weights in RAM, by their bits a
#: weight (up to, share): measured CPU-only decode (tests/data/measured/cpu_decode.json, weights read as the model
#: counts them), the share rising with the bits as the CPU's dot products of low-bit blocks cost more per byte.
#: Below 6 bits 0.54: seven points on two machines at 0.51-0.59 (an i7-8700 with dual-channel DDR4-2400: Qwen2.5
#: 1.5B / 3B / 7B, Llama 3.1 8B and Qwen3-30B-A3B at Q4_K_M; an EPYC 9554 with 12 channels of DDR5-4800: Phi-4 at
#: Q4_K_M and Q5_0), median 0.54; Q6_K 0.585 and Q8_0 0.63 (the EPYC's Phi-4).  Wider weights take Q8_0's (not
#: measured).
CPU_BW_SHARES = ((6.0, 0.54), (8.0, 0.585), (float("inf"), 0.63))
LEVELS = ("gpu", "partial", "cpu", "none")
#: Share of the card's host link (its PCIe, per direction) at which a prompt's passes copy the part in RAM to it (op
#: offload, :func:`prompt_copy_bytes`) -- an assumption from four llama-bench -ngl sweeps, in each of which the time a
#: pass takes beyond the full offload's grows in proportion to the bytes left in RAM (a copy rate per machine;
#: tests/data/measured/partial_offload_sweeps.json): Mistral 7B Q4_K_M on an RTX 5050 Laptop GPU, 7.0-8.3 GB/s (ngl 0,
#: 10, 20: 22-26 % of the card's PCIe 5.0 x8, twice that if the laptop runs it at PCIe 4.0, which its source does not
#: say); PR #6083's RTX 3090 Ti under WSL, 5.6 GB/s for Llama 2 7B Q4_0 and 15.9 for Mixtral Q3_K_L (ngl 0 against 6 at
#: 1,024-token passes: 17 and 50 % of PCIe 4.0 x16); Qwen2.5 7B Q4_K_M on a Tesla P4, 1.59-1.71 GB/s (ngl 0-28: 10 % of
#: PCIe 3.0 x16).  Machines differ by 2-3x either way (pinned or pageable host memory, the CPU's copy rate, a VM); the
#: speed of light copies at the link's full rate.  Two runs with MoE experts in mmap'ed RAM agree (tests/data/measured/
#: moe_offload.json's copy runs: gpt-oss-120b beside an RTX 5090 at 0.30 and 0.35 of PCIe 5.0 x16).  This is llama.cpp's
#: default, the weights in the model file's mapped pages; from pinned memory they copy faster (PINNED_COPY_EFFICIENCY).
PCIE_COPY_EFFICIENCY = 0.3
#: The same share where the weights in RAM are in pinned host memory (llama.cpp's --no-mmap, which loads them into the
#: CUDA backend's host buffer, or GGML_CUDA_REGISTER_HOST=1, which pins the mapped file): the mean of three published
#: runs' (tests/data/measured/moe_offload.json), each a pass's time less the plan's for the pass on the card: an RTX
#: A6000 copying Qwen3-235B-A22B's experts, 0.90 of PCIe 4.0 x16 (Linux, --no-mmap); an RTX 5090 copying
#: gpt-oss-120b's, 0.74 and 0.88 of PCIe 5.0 x16 (Windows, the mapped file pinned; without flash attention and with).
PINNED_COPY_EFFICIENCY = 0.84
#: Seconds a decode step spends, beyond the CPU's reads, on each layer on the card(s) whose routed experts the CPU runs
#: (llama.cpp's --n-cpu-moe, --cpu-moe, -ot exps=CPU): the graph splits there twice a layer, handing the layer's
#: activations to the CPU and back.  Fitted where a published hybrid run states its RAM and gives the generation rate
#: alone, as the measured step time less the plan's without it, over those layers: Qwen3-235B-A22B Q8_0 on an RTX
#: A6000 beside 8 x DDR5-4800, 80 layers' experts in RAM, 141 us; gpt-oss-20b on an RX 7900 XT beside dual-channel
#: DDR4-3200 (a Ryzen 9 5900X), every layer's, 145 us; the mean (tests/data/measured/moe_offload.json holds the
#: sources and three more runs).  Whole layers in RAM (-ngl) hand off once a step, not once a layer: not counted.
MOE_CPU_LAYER_S = 143e-6
#: The CPU's arithmetic rate [FLOP/s] per byte/s of the system RAM's peak bandwidth, for the part of a decode step or
#: a prompt's pass it runs (layers in RAM, routed experts in RAM): a machine's cores grow with its memory channels (a
#: desktop's two, a server's eight or twelve), so the RAM's bandwidth, which the user gives, stands for its CPU too.
#: The median of three published llama.cpp CPU prompt rates on machines whose RAM is stated (a 512-token pass's matmul
#: and attention FLOPs a token x tokens/s, over the RAM's peak; tests/data/measured/cpu_batch.json): an Intel Core
#: i5-4278U with dual-channel DDR3L-1600, 4.5; an i9-13900K with dual-channel DDR5-6400, 7.2; an AMD EPYC 9655 with 12
#: channels of DDR5 (460 GB/s as its source gives it), 18.0.  Machines differ by 2-3x either way (cores per channel,
#: the format's kernels, the build).
CPU_FLOPS_PER_RAM_BYTE = 7.2
#: The same where the CPU shares an Apple chip's memory, whose bandwidth is its GPU's: an M2 Max's CPU prompt rate
#: (the same file: Llama 3.1 8B Q4_0 at 65.45 tokens/s, mainline build 3660 as ik_llama.cpp PR #37 quotes it), 2.5
#: FLOP a byte of its 400 GB/s.  An M4 Max's (Q4_K at 98.37 tokens/s on 8 threads, llama.cpp PR #16739's repacked
#: kernels) gives 2.7 or 3.6, by which M4 Max it was (546 or 410 GB/s; the PR does not say).
APPLE_CPU_FLOPS_PER_BYTE = 2.5
#: The fewest tokens of a pass for which the CUDA backend runs an op whose weight is in RAM on the GPU (ggml-cuda.cu:
#: offload_op, get_op_batch_size(op) >= op_offload_min_batch_size, 32 unless GGML_OP_OFFLOAD_MIN_BATCH says otherwise).
OP_OFFLOAD_MIN_BATCH = 32


@dataclass(frozen=True)
class Device:
    name: str
    used_bytes: float
    budget_bytes: float
    layers: int


@dataclass(frozen=True)
class OffloadPlan:
    """Where the model lives and how fast it decodes."""

    level: str                       # gpu | partial | cpu | none
    n_layers: int
    gpu_layers: int
    cpu_layers: int
    output_on_gpu: bool
    devices: list[Device] = field(default_factory=list)   # the GPUs, then "system RAM"
    decode_s: float = float("inf")
    copy_bytes: float = 0.0          # of the first card's use: what a prompt's pass copies there (op offload)
    prefill_s: float = float("nan")  # time to first token, the passes' copies counted (nan: no FLOP/s figure)
    prompt_copy_bytes: float = 0.0   # what the prompt's passes copy to the card in all
    link_bytes_per_s: float = 0.0    # the first card's host link (its PCIe), per direction
    step_copy_bytes: float = 0.0     # what a decode step of 32 sequences or more copies to the card (op offload)
    cpu_moe_layers: int = 0          # layers on the cards whose routed experts are in RAM (llama.cpp's --n-cpu-moe)
    copy_share: float = PCIE_COPY_EFFICIENCY   # the share of the host link op offload's copies run at (pinned or not)
    max_prompt_tokens: int | None = None   # the largest prompt the cards and RAM hold (with_max_prompt; -1: none)
    max_context: int | None = None         # ... with the scenario's output tokens (None: none, or not worked out)
    max_batch: int | None = None           # the most sequences of the prompt and output they hold (with_max_batch;
    #                                        0: not one; None: not worked out)
    cpu_math_s: float = 0.0          # of ``decode_s``: the CPU's arithmetic for the sequences past the first
    cpu_prompt_s: float = 0.0        # of ``prefill_s``: the CPU's time on its part of the prompt (cpu_prompt)
    cpu_flops_per_s: float = 0.0     # the CPU's assumed arithmetic rate for those two (cpu_flops_per_s)
    best_batch: int | None = None    # the sequences at which the plans serve the most tokens a second (with_best_batch)
    best_served_tokens_per_s: float | None = None   # ... that rate, in all
    best_prefill_s: float | None = None   # ... the batch's time to first token there (nan: no FLOP/s figure)
    copied_bytes: float = 0.0        # an engine that copies its offloaded weights for every pass (plan_copied): a
    #                                  card's bytes of them in RAM (0: llama.cpp's split, the CPU running its part)
    read_in_place: bool = False      # ... whose card reads them in RAM (vLLM's UVA: engines.READS_IN_PLACE), a
    #                                  step moving ``step_copy_bytes`` of them (an MoE's used experts), not copying all
    forced: bool = False             # the user's flags keep weights in RAM that the cards could hold (vLLM's and
    #                                  SGLang's --cpu-offload-gb, llama.cpp's --cpu-moe and --n-cpu-moe N), System RAM
    #                                  given: the plan is the scenario's even where the cards alone hold the model
    #                                  (:func:`offloads`; without RAM, no offload: the flags are not taken as asked)
    layers_fixed: bool = False       # the layers in RAM are given (-ngl N, -ngl 99 with --n-cpu-moe; an engine that
    #                                  copies its weights splits no layers): a longer prompt moves none there
    experts_only: bool = False       # ``copied_bytes`` are routed experts' alone (vLLM's --cpu-offload-params with
    #                                  the experts' names: engines.OFFLOADS_EXPERTS_ONLY)
    splits_layers: bool = True       # the engine splits whole layers between the cards and the CPU (llama.cpp: -ngl
    #                                  says how); False where it keeps weights in RAM for every pass (plan_copied)

    @property
    def experts_on_cpu(self) -> bool:
        """Routed experts of layers on the cards are in RAM (-ot exps=CPU, --cpu-moe, --n-cpu-moe)."""
        return self.cpu_moe_layers > 0

    @property
    def output_only(self) -> bool:
        """Partly offloaded with every layer on the cards and only the output layer in RAM (the llama.cpp of 2023
        offloads that layer last: ``-ngl`` of n_layer leaves it on the CPU)."""
        return (self.level == "partial" and not self.copied_bytes and self.cpu_layers == 0
                and not self.experts_on_cpu and not self.output_on_gpu)

    @property
    def tokens_per_s(self) -> float:
        return 0.0 if self.decode_s == float("inf") else 1.0 / self.decode_s

    @property
    def ngl(self) -> int:
        """llama.cpp's ``-ngl`` for this split: the layers on the GPU(s), the output layer counted."""
        return self.gpu_layers + int(self.output_on_gpu)

    @property
    def ram_bytes(self) -> float:
        return self.devices[-1].used_bytes if self.devices else 0.0

    def kept_bytes(self, needed: float) -> float:
        """Of a card's ``needed`` bytes (every layer on it), those a :attr:`forced` plan keeps in RAM whatever the
        prompt: --cpu-offload-gb's bytes, or with llama.cpp's experts in RAM and every layer on the cards what the
        fullest card holds less (a longer prompt may move layers there too, unless :attr:`layers_fixed`); 0 where the
        plan is not forced, places nothing, or also splits layers (how many then depends on the prompt)."""
        if not self.forced or self.level != "partial":
            return 0.0
        if self.copied_bytes:
            return self.copied_bytes
        if self.cpu_layers:
            return 0.0
        return max(needed - max(d.used_bytes for d in self.devices[:-1]), 0.0)

    def describe(self) -> str:
        if self.level == "gpu":
            return "fits on GPU"
        if self.level == "partial" and self.copied_bytes:
            how = "read from there" if self.read_in_place else "copied"
            what = "routed experts" if self.experts_only else "weights"
            return f"partly offloaded ({self.copied_bytes / GIB:,.1f} GiB of {what} a card in RAM, {how} each pass)"
        if self.level == "partial":
            if self.experts_on_cpu and self.cpu_layers == 0:
                return "partly offloaded (experts on CPU)" if self.cpu_moe_layers >= self.n_layers else \
                    f"partly offloaded (experts of {self.cpu_moe_layers} of {self.n_layers} layers on CPU)"
            if self.output_only:
                return f"partly offloaded (all {self.n_layers} layers on GPU, the output layer on CPU)"
            head = " and the output layer" if self.output_on_gpu else ""
            return f"partly offloaded ({self.gpu_layers} of {self.n_layers} layers{head} on GPU)"
        if self.level == "cpu":
            return "CPU only"
        return "does not fit in RAM either"


def offloads(level: str, fits: bool, forced: bool = False) -> bool:
    """Whether a plan of ``level`` runs a model the card(s) alone cannot hold (``fits`` False) with part or all of it
    in system RAM, or one they can where the user's flags keep weights there all the same (``forced``,
    :attr:`OffloadPlan.forced`: vLLM's and SGLang's --cpu-offload-gb, llama.cpp's --cpu-moe or --n-cpu-moe N, which
    these engines honour whatever the card holds): there its decode and time to first token are the scenario's, not
    the all-on-GPU figures."""
    return (not fits or forced) and level in ("partial", "cpu")


def flags_force(s: Scenario, ram_gb: float, experts_on_cpu: bool = False, n_cpu_moe: int | None = None,
                cpu_offload_gib: float | None = None) -> bool:
    """Whether these offload flags keep weights of ``s`` in ``ram_gb`` of RAM whatever its cards hold
    (:attr:`OffloadPlan.forced` where they place any): vLLM's and SGLang's --cpu-offload-gb, or an MoE model's experts
    under an engine that splits layers (--cpu-moe, --n-cpu-moe N with N > 0); a table then plans every card, those
    that hold the model too.  Not without RAM (no offload: the flags are not taken as asked)."""
    if ram_gb <= 0 or not offloads_to_ram(s.engine, s.weights):
        return False
    if s.engine in COPIED_OFFLOAD:
        return _forced_bytes(s, cpu_offload_gib) is not None
    return takes_cpu_moe(s.engine) and s.model.architecture.moe is not None and (experts_on_cpu or (n_cpu_moe or 0) > 0)


def _check_offloads(s: Scenario) -> None:
    """ValueError where the scenario's engine places nothing in system RAM (:func:`~vramgui.core.engines.no_offload`:
    MLX, HF transformers with NVFP4 weights), saying why."""
    why = no_offload(s.engine, s.weights)
    if why is not None:
        raise ValueError(f"no offload plan under {s.profile.name}: {why[0]}")


def _forced_bytes(s: Scenario, cpu_offload_gib: float | None) -> float | None:
    """The bytes a card keeps in RAM as --cpu-offload-gb gives them, where the engine takes that flag (vLLM, SGLang);
    None: the least that lets the rest fit."""
    return None if cpu_offload_gib is None or not takes_cpu_offload_gb(s.engine) else cpu_offload_gib * GIB


def offloading(plan: OffloadPlan | None, fits: bool) -> OffloadPlan | None:
    """``plan`` where it :func:`offloads` (the window's strip and charts show its figures), None otherwise."""
    return plan if plan is not None and offloads(plan.level, fits, plan.forced) else None


def served_tokens_per_s(plan: OffloadPlan, s: Scenario) -> float:
    """Generated tokens a second in all where ``plan`` serves ``s``'s batch steadily, as
    :func:`~vramgui.core.speed.served` times the cards alone: the batch's outputs at the plan's decode step (at the
    whole context, a little slower than the steps' mean) and its prompts at the plan's time to first token (left out
    where the card has no FLOP/s figure)."""
    out = max(s.output_tokens, 1)
    prompts = plan.prefill_s if plan.prefill_s == plan.prefill_s else 0.0
    return s.batch * out / (out * plan.decode_s + prompts)


def plan_costs(plan: OffloadPlan, s: Scenario, price_per_card_hour: float) -> Costs:
    """The cost of a million generated tokens where ``plan`` serves ``s`` (:func:`served_tokens_per_s`), from the
    user's price; no cheapest batch (each batch takes a plan of its own: :func:`sweep_offloaded`'s best is it)."""
    thr = served_tokens_per_s(plan, s)
    return Costs(price_per_card_hour, thr, float(cost_per_million_tokens(thr, s.n_gpus, price_per_card_hour)), None,
                 None, prompts_counted=plan.prefill_s == plan.prefill_s)


def cpu_flops_per_s(ram_bw_gb_s, apple=False):
    """The CPU's arithmetic rate beside RAM of ``ram_bw_gb_s`` peak (:data:`CPU_FLOPS_PER_RAM_BYTE`; ``apple``: an
    Apple chip's unified memory, :data:`APPLE_CPU_FLOPS_PER_BYTE`; numbers or arrays)."""
    return np.where(apple, APPLE_CPU_FLOPS_PER_BYTE, CPU_FLOPS_PER_RAM_BYTE) * ram_bw_gb_s * 1e9


def head_flops(a) -> float:
    """The output layer's FLOPs a token (2 a weight; a tied table's rows where it is the embedding)."""
    p = count_params(a)
    return 2.0 * (p.lm_head + p.tied_output)


def apple_cpu(gpus) -> bool:
    """Whether the CPU beside ``gpus`` shares an Apple chip's memory (:func:`cpu_flops_per_s`)."""
    return all(g.unified_memory and g.vendor == "Apple" for g in gpus)


def cpu_math_s(flops_per_token, batch, rate):
    """Seconds a decode step of ``batch`` sequences spends on the CPU's arithmetic for the part of the model it runs,
    ``flops_per_token`` a sequence, beyond one sequence's, at the CPU's ``rate`` (:func:`cpu_flops_per_s`).  Each
    sequence past the first adds its FLOPs to the CPU's reads: the share of the bandwidth those run at
    (:data:`CPU_BW_SHARES`) is measured with one sequence, its arithmetic inside it, and on the CPU the arithmetic
    does not hide under the reads.  An EPYC 9655's passes of Qwen2.5-Coder-32B Q4_K_M (tests/data/measured/
    cpu_batch.json) take 142 ms for one token, 298 for 16 and 530 for 32: 10.4 and 12.5 ms a token more, where its
    own prompt rate (129 tokens/s: 7.7 ms a token) falls short of both; the rate from its 460 GB/s gives it 19.4."""
    return (batch - 1) * flops_per_token / rate


def pass_tokens(profile, tokens):
    """The tokens of each of the engine's passes over a prompt of ``tokens`` (all sequences' new ones): its prompt
    batch, or the whole prompt where that is shorter (numbers or arrays)."""
    return np.minimum(profile.prefill_chunk_tokens or tokens, tokens)


def cpu_prompt(profile, tokens, cpu_flops, whole_flops, cpu_bytes, ram_bw_gb_s, share, rate):
    """Where the CPU runs its part of a prompt's passes (no op offload: a unified memory's CPU, builds before it, or
    passes under 32 tokens): (the share of the cards' time for the prompt left to them, the CPU's seconds).  The
    cards keep the share of a token's FLOPs on them.  Each pass of the engine's prompt batch reads the CPU's part
    once, ``cpu_bytes`` at ``share`` of the RAM's peak, and adds the arithmetic of each of its tokens past the first,
    ``cpu_flops`` a token, at ``rate``, as a decode step of as many sequences does (:func:`cpu_math_s`); ``tokens``:
    all sequences' new ones; ``whole_flops``: a token's over the whole model (numbers or arrays: the My machine grid
    passes one per model and format).  The cache's reads and the output layer, which runs for each sequence's last
    token, are left out."""
    passes = np.ceil(tokens / np.maximum(pass_tokens(profile, tokens), 1))
    return 1.0 - cpu_flops / whole_flops, passes * cpu_bytes / (ram_bw_gb_s * GB * share) + cpu_math_s(
        cpu_flops, tokens - passes + 1, rate)


def cpu_runs_prompt(profile, tokens, copies: bool):
    """Whether the CPU runs its part of a prompt of ``tokens`` (all sequences' new ones): where op offload does not
    copy it to the card (``copies`` False), or the engine's passes are under 32 tokens."""
    return ~np.asarray(copies) | (pass_tokens(profile, tokens) < OP_OFFLOAD_MIN_BATCH)


def cpu_bandwidth_share(fmt: WeightFormat) -> float:
    """The share of the RAM's peak bandwidth the CPU reads ``fmt``'s weights at in decode (:data:`CPU_BW_SHARES`)."""
    return next(share for bits, share in CPU_BW_SHARES if fmt.linear_bits < bits)


def gpu_budget(s: Scenario, gpu: GPU) -> float:
    """Usable bytes on one card (unified memory: the share the GPU may use, see
    :attr:`GPU.gpu_share`)."""
    from .fit import usable_bytes
    return float(usable_bytes(s, gpu.memory_bytes, gpu.gpu_share))     # (fit.budget_bytes of s on that card)


def op_offload_copy_bytes(s: Scenario, layers_in_ram: bool, experts_in_ram: bool = False,
                          terms: MemoryTerms | None = None) -> float:
    """What a prompt's pass copies into the first GPU's compute buffer where part of the model stays in system RAM
    (:attr:`~vramgui.core.engines.EngineProfile.op_offload_copies`: llama.cpp runs that part's work on the GPU,
    one op at a time): the larger of the largest weight tensor of a layer in RAM (``experts_in_ram`` alone: of the
    routed experts' stacked tensors) and, with layers in RAM, one attention layer's K and V at the allocated
    context, every sequence's.  0 where nothing is in RAM, for other engines, and on unified memory (Metal reads
    host memory).  ``terms``: the card's :func:`memory_terms` where known (its context floor: Ollama's)."""
    if s.gpu.unified_memory:
        return 0.0
    return _copy_bytes(s, layers_in_ram, experts_in_ram, terms)


def _copy_bytes(s: Scenario, layers_in_ram: bool, experts_in_ram: bool, terms: MemoryTerms | None) -> float:
    """:func:`op_offload_copy_bytes` on a card with memory of its own (whichever: the same for every such card)."""
    if not s.profile.op_offload_copies or not (layers_in_ram or experts_in_ram):
        return 0.0
    one = _one_card(s)
    a = s.model.architecture
    copy = largest_tensor_bytes(a, one.weight_format, experts_only=not layers_in_ram)
    if layers_in_ram and a.attention_layers:
        t = terms or memory_terms(one)
        cells = float(allocated_tokens(one.profile, max(s.context_tokens, float(t.context_floor)), t.block))
        copy = max(copy, kv_copy_per_cell(one) * cells * s.batch)
    return copy


def _split(free: list[float], per_layer: float, n: int) -> list[int]:
    """Layers per card: as many as fit, at most ``n``, shared in proportion to free memory
    (llama.cpp's tensor split)."""
    capacity = [max(int(f // per_layer), 0) if per_layer > 0 else n for f in free]
    total = min(sum(capacity), n)
    if total == 0:
        return [0] * len(free)
    weights = [max(f, 0.0) for f in free]
    share = [int(total * w / sum(weights)) for w in weights]
    share = [min(a, c) for a, c in zip(share, capacity, strict=True)]
    left = total - sum(share)
    for i in sorted(range(len(free)), key=lambda k: -(capacity[k] - share[k])):
        add = min(left, capacity[i] - share[i])
        share[i] += add
        left -= add
    return share


def _one_card(s: Scenario) -> Scenario:
    """One card of ``s``'s, as a plan counts each: one pipeline stage.  (A validated copy costs 30 us: only where it
    differs, and none where no check can fail: a layer split.)"""
    if s.n_gpus == 1:
        return s
    return s.model_copy(update={"n_gpus": 1}) if s.profile.parallel == "layer" else s.with_(n_gpus=1, pipeline=1)


def _experts_placement(one: Scenario, experts_on_cpu: bool, n_cpu_moe: int | None,
                       gpu_layers: int | None) -> tuple[int, int | None, bool]:
    """(how many layers from the first keep their routed experts in RAM, ``-ngl`` as llama.cpp counts it, whether
    llama-server's --fit places the experts) for a plan's MoE flags: ``experts_on_cpu`` every layer's (--cpu-moe),
    ``n_cpu_moe`` the first N's (--n-cpu-moe N, every layer then on the cards unless ``gpu_layers`` says otherwise:
    -ngl 99).  --fit (current llama.cpp, on by default where -ngl is not given) places an MoE model that does not fit
    whole on its cards with the experts in RAM first; a dense model has none of this, and an engine without the
    experts' flags (:data:`~vramgui.core.engines.NO_CPU_MOE`: Ollama, 2023's builds) ignores them."""
    a = one.model.architecture
    L = a.num_layers
    if not takes_cpu_moe(one.engine):       # (Ollama, 2023's builds: no such flags; whole layers move)
        experts_on_cpu, n_cpu_moe = False, None
    first_moe = L if experts_on_cpu else min(max(n_cpu_moe or 0, 0), L) if a.moe is not None else 0
    if n_cpu_moe is not None and gpu_layers is None and a.moe is not None:
        gpu_layers = L + 1
    fit_moe = a.moe is not None and gpu_layers is None and first_moe == 0 and one.profile.auto_fit_margin_bytes > 0
    return first_moe, gpu_layers, fit_moe


def plan_offload(s: Scenario, ram_gb: float, gpus: list[GPU] | None = None, gpu_layers: int | None = None,
                 experts_on_cpu: bool = False, ram_bandwidth_gb_s: float | None = None,
                 with_prefill: bool = True, n_cpu_moe: int | None = None, pinned: bool = False,
                 cpu_offload_gib: float | None = None, experts_only: bool = False) -> OffloadPlan:
    """Best layer split of ``s`` over ``gpus`` (default: ``s.n_gpus`` × ``s.gpu``) and ``ram_gb``
    of system RAM; ``gpu_layers`` forces ``-ngl`` as llama.cpp counts it, the output layer one of the
    n_layer + 1 (None: as many as fit).  ``experts_on_cpu`` keeps every layer's routed experts in RAM (--cpu-moe);
    ``n_cpu_moe`` those of the first N layers (--n-cpu-moe N), the others with their layers, and then every layer
    goes on the cards unless ``gpu_layers`` says otherwise (-ngl 99, as it is run; a dense model: no effect).
    ``with_prefill=False`` leaves the time to first token unset (nan): a third of a plan's time, which a table of
    every card's plan does not show.  ``pinned``: the weights in RAM are in pinned host memory (--no-mmap), which op
    offload copies to the card faster (:data:`PINNED_COPY_EFFICIENCY`).  ``cpu_offload_gib``: vLLM's or SGLang's
    --cpu-offload-gb, the GiB of weights each card keeps in RAM (None: the least that lets the rest fit; ignored by
    the engines that split layers); ``experts_only``: those GiB are routed experts' alone (vLLM's
    --cpu-offload-params with their names: :func:`plan_copied`).  An engine that places nothing in RAM
    (:func:`~vramgui.core.engines.no_offload`: MLX, HF transformers with NVFP4 weights) has no plan: ValueError."""
    _check_offloads(s)
    if s.engine in COPIED_OFFLOAD:      # (its cards are of one kind: tensor parallel)
        return plan_copied(s.with_(gpu=gpus[0]) if gpus else s, ram_gb, with_prefill, cpu_offload_gib, experts_only)
    gpus = gpus or [s.gpu] * s.n_gpus
    if ram_bandwidth_gb_s is None:   # unified memory: the CPU reads the same memory as the GPU
        ram_bandwidth_gb_s = (gpus[0].memory_bandwidth_gb_s if all(g.unified_memory for g in gpus)
                              else DEFAULT_RAM_BANDWIDTH_GB_S)
    one = _one_card(s)
    a = s.model.architecture
    L = a.num_layers
    first_moe, gpu_layers, fit_moe = _experts_placement(one, experts_on_cpu, n_cpu_moe, gpu_layers)
    experts_on_cpu = first_moe > 0        # (some layer's experts in RAM: the split places the dense parts)
    sh = _shared(s, one, experts_on_cpu or fit_moe)
    wb, t1, act1, kv_layer, layer_w, expert_layer = sh.wb, sh.t1, sh.act1, sh.kv_layer, sh.layer_w, sh.expert_layer
    gpu_layer, head, fixed = sh.gpu_layer, sh.head, sh.fixed
    each = {id(g): gpu_budget(one, g) for g in {id(g): g for g in gpus}.values()}   # (n times the one card)
    budgets = [each[id(g)] for g in gpus]
    free_all = [b - fixed for b in budgets]
    # every layer and the output on several cards: llama.cpp runs them as a pipeline, whose copies of each
    # card's inputs take room in its compute buffer (EngineProfile.pipeline_copies)
    piped = 0.0
    if len(gpus) > 1:
        piped = sh.piped if len(gpus) == s.n_gpus else float(estimate_memory(one.with_(n_gpus=len(gpus))).activations) \
            - act1
    first = one.profile.output_layer_first
    # with layers in RAM, the first card's compute buffer also holds what a prompt's pass copies of them
    # (EngineProfile.op_offload_copies); with -ot exps=CPU alone, a copy of the experts' largest tensor
    own_memory = not gpus[0].unified_memory           # (Metal reads host memory: no copies)
    copy = sh.copy_layers if own_memory else 0.0
    if gpu_layers is not None:                       # -ngl N: its layers, shared by free memory
        ngl = max(gpu_layers, 0)
        n_gpu = min(ngl - 1, L) if first and ngl else min(ngl, L)
        split = _proportional([max(f, 1.0) for f in free_all], n_gpu)
        output_on_gpu = ngl >= 1 if first else ngl > L
    else:
        free_piped = [f - piped for f in free_all]
        with_head = free_piped[:-1] + [free_piped[-1] - head]  # everything on the GPUs, the output on the last
        with_head[0] -= sh.copy_experts if own_memory else 0.0
        split = _split(with_head, gpu_layer, L)
        output_on_gpu = sum(split) == L
        free_rest = [free_all[0] - copy] + free_all[1:]   # (not every layer: the copies, and no pipeline)
        if not output_on_gpu and first:              # the output layer on the last card, then what room is left
            output_on_gpu = free_rest[-1] >= head
            split = _split(free_rest[:-1] + [free_rest[-1] - head], gpu_layer, L - 1) if output_on_gpu \
                else [0] * len(gpus)
        elif not output_on_gpu:                      # the output layer stays in RAM: room for more layers
            split = _split(free_rest, gpu_layer, L)
        n_gpu = sum(split)
    n_cpu = L - n_gpu
    copy = 0.0 if not own_memory else sh.copy_layers if n_cpu > 0 else sh.copy_experts
    fixed_each = fixed + (piped if output_on_gpu and n_cpu == 0 else 0.0)   # (a pipeline: every layer on the cards)
    used = [(fixed_each if k or output_on_gpu else 0.0) + k * gpu_layer
            + (head if output_on_gpu and i == len(gpus) - 1 else 0.0) for i, k in enumerate(split)]
    # --fit with every layer's dense part on the card: the experts of as many layers as the room left holds go back
    # to it, the rest stay in RAM (llama.cpp's --n-cpu-moe N with the fewest N: common/fit.cpp converts dense-only
    # layers to full ones while they fit); where not every dense part fits, every expert stays in RAM
    back = [0] * len(gpus)
    if 0 < first_moe < L and expert_layer:    # --n-cpu-moe N: each card's layers from the N-th on keep their experts
        starts = [n_cpu + sum(split[:i]) for i in range(len(gpus))]
        back = [k - min(max(first_moe - start, 0), k) for start, k in zip(starts, split, strict=True)]
        used = [u + k * expert_layer for u, k in zip(used, back, strict=True)]
    elif fit_moe and expert_layer and n_cpu == 0 and output_on_gpu:
        if all(u + k * expert_layer <= b for u, k, b in zip(used, split, budgets, strict=True)):
            back, copy = list(split), 0.0            # every expert fits too: nothing in RAM, nothing to copy
        else:
            back = [min(max(int((b - u - (copy if i == 0 else 0.0)) // expert_layer), 0), k)
                    for i, (u, k, b) in enumerate(zip(used, split, budgets, strict=True))]
        used = [u + k * expert_layer for u, k in zip(used, back, strict=True)]
    moe_in_ram = n_gpu - sum(back) if expert_layer else 0   # layers on the cards whose experts are in RAM
    devices = [Device(g.name, u + (copy if i == 0 and (k or output_on_gpu) else 0.0), b, k)
               for i, (g, u, b, k) in enumerate(zip(gpus, used, budgets, split, strict=True))]
    ram_used = (wb.embedding if one.profile.embedding_on_host or n_gpu == 0 else 0.0) \
        + n_cpu * (layer_w + kv_layer) + (0.0 if output_on_gpu or a.tie_embeddings else head) \
        + expert_layer * moe_in_ram \
        + (act1 if n_cpu else 0.0)
    ram_budget = unified_ram(ram_gb, sum(g.memory_bytes for g in gpus) - sum(budgets)
                             if all(g.unified_memory for g in gpus) else None)
    devices.append(Device("system RAM", ram_used, ram_budget, n_cpu))
    over_gpu = any(d.used_bytes > d.budget_bytes for d in devices[:-1])
    if ram_used > ram_budget or over_gpu:
        level = "none"
    elif n_cpu == 0 and output_on_gpu and not moe_in_ram:
        level = "gpu"
    elif n_gpu == 0 and not output_on_gpu:
        level = "cpu"
    else:
        level = "partial"
    link = host_link_bytes_per_s(gpus[0])
    share = PINNED_COPY_EFFICIENCY if pinned else PCIE_COPY_EFFICIENCY
    # a decode step of 32 sequences or more is a pass of as many tokens: op offload runs the part in RAM on the card,
    # copying it there for the step (its weights, its layers' cache, the output layer where that is in RAM), as for
    # a prompt's pass, where fewer sequences have the CPU read it
    # (of the routed experts in RAM, the whole layers' and those of layers on the cards, only those the step's tokens
    # are routed to: unused_experts_share)
    experts_in_ram = (n_cpu + moe_in_ram) * sh.layer_experts
    moe = (a.moe.num_experts, a.moe.experts_per_token) if a.moe else (1, 1)
    step_copy = n_cpu * (layer_w + kv_layer) + expert_layer * moe_in_ram + (0.0 if output_on_gpu else head) \
        - experts_in_ram * float(unused_experts_share(*moe, s.batch)) if copy and s.batch >= OP_OFFLOAD_MIN_BATCH \
        else 0.0
    rate = float(cpu_flops_per_s(ram_bandwidth_gb_s, apple_cpu(gpus)))
    decode, math = _decode_s(s, one, gpus, split, back, n_cpu, output_on_gpu, sh, ram_bandwidth_gb_s, rate,
                             step_copy / (link * share))
    # a prompt's passes: as on the card, and the part in RAM copied to it for each (its weights, its layers' cache)
    # (the cache a layer holds a token, over the layers: a hybrid's recurrent layers hold none)
    copied = prompt_copy_bytes(s, n_cpu * layer_w + expert_layer * moe_in_ram, n_cpu * float(t1.kv_full) / L,
                               experts_in_ram, *moe) if copy else 0.0
    prefill = float(prefill_time(s, s.prompt_tokens, s.batch)) \
        if with_prefill and s.gpu.peak_flops(one.weight_format.kernel) else float("nan")
    new, cached = prompt_split(s.prompt_tokens, s.cached_tokens)
    tokens = float(new) * s.batch
    if prefill == prefill and (n_cpu or moe_in_ram) and cpu_runs_prompt(s.profile, tokens, bool(copy)):
        st = speed_terms(one)
        attention = float(decode_attention_flops(st, float(cached) + float(new) / 2))   # (a token's mean keys)
        cards, on_cpu = cpu_prompt(s.profile, tokens, n_cpu * (sh.layer_matmul + attention / L)
                                   + moe_in_ram * sh.expert_flops, float(st.matmul_flops) + attention,
                                   n_cpu * layer_w + moe_in_ram * expert_layer, ram_bandwidth_gb_s,
                                   cpu_bandwidth_share(one.weight_format), rate)
        prefill, on_cpu = prefill * cards + float(on_cpu), float(on_cpu)
    else:
        on_cpu = 0.0
    return OffloadPlan(level=level, n_layers=L, gpu_layers=n_gpu, cpu_layers=n_cpu,
                       output_on_gpu=output_on_gpu, devices=devices, cpu_moe_layers=moe_in_ram,
                       decode_s=decode if level != "none" else float("inf"),
                       copy_bytes=copy if devices[0].layers or output_on_gpu else 0.0,
                       prefill_s=prefill + copied / (link * share) if level != "none" else float("nan"),
                       prompt_copy_bytes=copied, link_bytes_per_s=link, step_copy_bytes=step_copy, copy_share=share,
                       cpu_math_s=math, cpu_prompt_s=on_cpu if level != "none" else 0.0, cpu_flops_per_s=rate,
                       forced=moe_in_ram > 0 and first_moe > 0 and ram_gb > 0,
                       layers_fixed=gpu_layers is not None)


#: The share of a card's host link that an engine copying its offloaded weights for every pass (plan_copied) reaches:
#: vLLM and SGLang pin them (vLLM issue 3563: 'pins the entire weight onto the CPU'), at llama.cpp's pinned copies'
#: measured share; HF transformers' accelerate moves them from ordinary (pageable) memory, assumed at llama.cpp's
#: share from mapped pages (neither measured for these engines).
COPIED_SHARE = {"vllm": PINNED_COPY_EFFICIENCY, "sglang": PINNED_COPY_EFFICIENCY, "hf": PCIE_COPY_EFFICIENCY}


def plan_copied(s: Scenario, ram_gb: float, with_prefill: bool = True,
                cpu_offload_gib: float | None = None, experts_only: bool = False) -> OffloadPlan:
    """The offload of an engine that keeps part of the weights in RAM and copies them to the card for every forward
    pass (:data:`~vramgui.core.engines.COPIED_OFFLOAD`: vLLM's and SGLang's --cpu-offload-gb, HF transformers'
    device_map offload), where llama.cpp runs whole layers on the CPU (:func:`plan_offload`).  Each of the
    scenario's cards keeps in RAM the least of its weights that lets the rest,
    every layer's cache and the engine's buffers fit its budget; every decode step and every prompt pass copies them
    over its host link at :data:`COPIED_SHARE` of it, on top of the step and the passes with every layer on the
    card.  Placed where those bytes are less than the card's weights and the cards' bytes fit ``ram_gb``; the layers
    shown in RAM are the whole layers' weights those bytes cover.  ``cpu_offload_gib``: as many GiB a card as
    --cpu-offload-gb says instead (per card, as vLLM and SGLang count it), at most its decoder layers' weights
    (their offloaders wrap the layers, not the embedding or the output layer): placed where the rest fits the card,
    which keeps every one of them there when it is 0 (HF transformers has no such figure: ignored there).
    ``experts_only``: an MoE model's routed experts alone go to RAM, at most all of them (vLLM's --cpu-offload-params
    with the experts' names, :data:`~vramgui.core.engines.OFFLOADS_EXPERTS_ONLY`; other engines and dense models:
    ignored), and a pass reads only those its tokens use (:func:`copied_read_share`)."""
    plan = _copied_cards(s, ram_gb, [s.gpu], forced=_forced_bytes(s, cpu_offload_gib), experts_only=experts_only)[0]
    if not with_prefill or plan.level == "none" or not s.gpu.peak_flops(s.weight_format.kernel):
        return plan
    prefill = float(prefill_time(s, s.prompt_tokens, s.batch))
    return replace(plan, prefill_s=prefill + plan.prompt_copy_bytes / (plan.link_bytes_per_s * plan.copy_share))


def _copied_split(needed: float, budget: float, weights: float, layers: int, cards: int,
                  ram_budget: float, forced: float | None = None, layer_bytes: float = 0.0,
                  experts: float | None = None, stage: float = 0.0, reserve: float = 0.0) -> tuple[float, int, str]:
    """(bytes a card keeps in RAM, the whole layers' weights they cover, the level) of :func:`plan_copied`;
    ``forced``: the bytes --cpu-offload-gb gives, at most ``layer_bytes`` (the card's decoder layers'); ``experts``:
    the card's routed experts' bytes where only they may go to RAM (at most all of them; None: any weights);
    ``stage``: the card's share of the room the first card keeps for a module brought from RAM (:func:`staging_bytes`
    over the cards), that many bytes more in RAM where any are; ``reserve``: what the RAM keeps free (HF transformers'
    device map reserves the largest module still to place on the CPU as well, its other main device), so the cards'
    bytes are placed within ``ram_budget`` less it."""
    if forced is not None:
        copied = min(max(forced, 0.0), layer_bytes if experts is None else experts)
        if not copied:
            return 0.0, 0, "gpu" if needed <= budget else "none"
        in_ram = min(layers, int(np.ceil(copied / (weights / layers))))
        return copied, in_ram, "partial" if needed - copied <= budget and copied * cards <= ram_budget else "none"
    copied = max(0.0, needed - budget)
    if not copied:
        return 0.0, 0, "gpu"
    copied += stage
    in_ram = min(layers, int(np.ceil(copied / (weights / layers))))
    placed = copied_placed(copied, weights, cards, ram_budget - reserve) and (experts is None or copied <= experts)
    return copied, in_ram, "partial" if placed else "none"


def unified_ram(ram_gb: float, pool=None):
    """The bytes of system RAM an offload may use: the ``ram_gb`` entered, but on unified memory (an Apple chip) one
    pool, of which ``pool`` is the part the GPU(s) may not wire (their memory less their budgets; None: not unified):
    at most that, and that where no RAM is entered (numbers or arrays: every card's plan, the My machine grid's).
    (The CPU's share is the same physical memory as the GPU's: counted beside it, a 64 GB Mac held 48 GiB on its GPU
    and 59.6 in "RAM".)"""
    ram = ram_gb * GB
    if pool is None:
        return ram
    return np.minimum(ram, pool) if ram_gb else pool


def card_pool(g: GPU, cards: int, budget):
    """:func:`unified_ram`'s ``pool`` for ``cards`` of ``g`` with ``budget`` usable bytes each (None: not unified)."""
    return cards * (g.memory_bytes - budget) if g.unified_memory else None


def copied_placed(copied, weights, cards: int, ram_budget: float):
    """Whether a card keeping ``copied`` bytes of its ``weights`` in RAM (:func:`plan_copied`, the least that lets the
    rest fit) is placed: less than all of them, and the cards' bytes within ``ram_budget`` (numbers or arrays: the My
    machine grid's)."""
    return (copied < weights) & (copied * cards <= ram_budget)


def copied_passes(profile, gpu: GPU, new: float) -> tuple[float, float]:
    """(tokens a pass, passes) of a prompt of ``new`` tokens (all sequences') under an engine that keeps weights in
    RAM for every pass (:func:`plan_copied`): its prompt chunk on this card (HF transformers: the whole prompt)."""
    chunk = batch_defaults(profile, gpu)[1] or new
    tokens = min(chunk, new)
    return tokens, float(np.ceil(new / max(tokens, 1.0))) if new else 0.0


def _copied_cards(s: Scenario, ram_gb: float, gpus: list[GPU], table=None, forced: float | None = None,
                  experts_only: bool = False) -> list[OffloadPlan]:
    """:func:`plan_copied` of ``s`` on each card of ``gpus`` (``s.n_gpus`` of it), without the first token, from the
    fit table's figures of every card at once (:func:`~vramgui.core.cards.card_table`, or ``table``, the window's of
    the same scenario over these cards and others: the needed and usable bytes and the step with every layer on the
    card; a card at a time took 58 ms a table here, 4 ms so).  A card's plan alone is this of one card, so the two
    agree to the last bit.  ``forced``: the bytes a card keeps in RAM, as --cpu-offload-gb gives them (None: the
    least that lets the rest fit); ``experts_only``: routed experts' bytes alone (:func:`plan_copied`)."""
    from .cards import card_table
    row = {} if table is None else {id(g): i for i, g in enumerate(table.gpus)}
    if table is None or any(id(g) not in row for g in gpus):
        table, row = card_table(s, gpus), {id(g): i for i, g in enumerate(gpus)}
    at = [row[id(g)] for g in gpus]
    needed_each, budgets, rates = (np.asarray(a)[at].tolist() for a in (
        table.needed_each, table.budget_bytes, table.decode_tokens_per_s))
    weights, L, n = float(estimate_memory(s).weights), s.model.architecture.num_layers, s.n_gpus
    share = COPIED_SHARE[s.engine]
    new = float(prompt_split(s.prompt_tokens, s.cached_tokens)[0]) * s.batch     # (the prompt's new tokens, all)
    experts_only = experts_only and offloads_experts_only(s.engine, s.model)
    read = copied_read_share(s, experts_only)
    step_share = read(s.batch)
    layer_bytes = decoder_layer_bytes(s) if forced is not None else 0.0
    experts = routed_expert_bytes(s) if experts_only else None
    # (HF transformers' room for the module it brings from RAM: on the first card, each card's figures a share of it;
    # as much kept free in RAM)
    room = staging_bytes(s) if forced is None else 0.0
    stage = room / n
    # (HF transformers runs every card's share kept in RAM on the first card: each pass copies all of them there)
    over = n if s.engine in OFFLOAD_ON_FIRST_CARD else 1
    out = []
    for g, needed, budget, rate in zip(gpus, needed_each, budgets, rates, strict=True):
        ram = unified_ram(ram_gb, card_pool(g, n, budget))
        copied, in_ram, level = _copied_split(needed, budget, weights, L, n, ram, forced, layer_bytes, experts, stage,
                                              room)
        link = host_link_bytes_per_s(g)
        step = 1.0 / rate if rate > 0 else float("inf")
        tokens, passes = copied_passes(s.profile, g, new)
        moved = copied * over * step_share
        used, head_on = needed - copied + (stage if copied else 0.0), True
        if s.engine in STAGES_OFFLOADED:    # (HF transformers' layer split: its device map's order, the tail in RAM)
            in_ram, head_on = hf_layers_in_ram(s, copied * n)
            on = [(L - in_ram) // n + (1 if i < (L - in_ram) % n else 0) for i in range(n)]
            devices = [Device(g.name, used, budget, k) for k in on]
        else:                               # (tensor parallel: each card a slice of every layer, the same ones in RAM)
            devices = [Device(g.name, used, budget, L - in_ram)] * n
        out.append(OffloadPlan(level=level, n_layers=L, gpu_layers=L - in_ram, cpu_layers=in_ram,
                               output_on_gpu=head_on, devices=[*devices, Device("system RAM", copied * n, ram, in_ram)],
                               decode_s=step + moved / (link * share) if level != "none" else float("inf"),
                               prompt_copy_bytes=passes * copied * over * (read(tokens) if passes else 1.0),
                               link_bytes_per_s=link, step_copy_bytes=moved, copy_share=share, copied_bytes=copied,
                               read_in_place=s.engine in READS_IN_PLACE,
                               forced=forced is not None and copied > 0 and ram_gb > 0,
                               layers_fixed=True, experts_only=experts_only, splits_layers=False))
    return out


def hf_layers_in_ram(s: Scenario, in_ram_bytes: float) -> tuple[int, bool]:
    """(decoder layers in RAM, whether the output layer stays on a card) where HF transformers keeps
    ``in_ram_bytes`` of the weights in RAM: its device map places the modules in order (embeddings, decoder layers,
    final norm, output layer) on the cards until they are full, the rest in RAM, so an untied output layer goes
    there first and then whole decoder layers from the last (accelerate's infer_auto_device_map; the layers'
    mean bytes)."""
    if in_ram_bytes <= 0:
        return 0, True
    a = s.model.architecture
    wb = weight_bytes(a, s.weight_format, count_params(a))
    head = 0.0 if a.tie_embeddings else output_layer_bytes(a, wb)
    layer = layer_weight_bytes(a, s.weight_format, s.profile, wb)
    return int(layers_behind_head(in_ram_bytes, head, layer, a.num_layers)), \
        bool(a.tie_embeddings)


def layers_behind_head(in_ram_bytes, head, layer, layers):
    """:func:`hf_layers_in_ram`'s count from its terms (numbers or arrays: the My machine grid's): of
    ``in_ram_bytes`` in RAM, what the output layer's ``head`` bytes leave, in whole ``layer``-byte decoder layers,
    at most ``layers``; 0 where nothing is in RAM."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.ceil(np.maximum(np.asarray(in_ram_bytes, dtype=np.float64) - head, 0.0) / layer - 1e-9)
    return np.where(np.asarray(in_ram_bytes) > 0, np.minimum(np.nan_to_num(n), layers), 0.0)


def staging_bytes(s: Scenario) -> float:
    """The room the first card keeps for the module its engine brings from RAM for a forward pass
    (:data:`~vramgui.core.engines.STAGES_OFFLOADED`: HF transformers' device_map offload, which runs every module kept
    in RAM on the first card; 0 elsewhere): the largest module, a decoder layer (an MoE one where the model has them)
    or an untied output layer.  The plans give each of the cards a share of it (:func:`staging_share`)."""
    if s.engine not in STAGES_OFFLOADED:
        return 0.0
    a = s.model.architecture
    wb = weight_bytes(a, s.weight_format, count_params(a))
    return float(staging_layer_bytes(layer_weight_bytes(a, s.weight_format, s.profile, wb),
                                     experts_layer_bytes(a, s.weight_format),
                                     a.moe_layers / a.num_layers, output_layer_bytes(a, wb), a.tie_embeddings))


def staging_share(s: Scenario) -> float:
    """Each card's share of :func:`staging_bytes` in the plans' per-card figures (all of it on one card)."""
    return staging_bytes(s) / s.n_gpus


#: bitsandbytes' quantizers give the device map 90 % of each device's max_memory ("need more space for buffers that
#: are created during quantization": adjust_max_memory in transformers 5.24's quantizer_bnb_4bit.py and _8bit.py)
BNB_MAX_MEMORY_SHARE = 0.90


def max_memory_bytes(s: Scenario, plan: OffloadPlan) -> float | None:
    """HF transformers' ``max_memory`` for each card that places the weights as ``plan`` does (partly offloaded; None
    elsewhere): its device map places weights on a card up to its max_memory, less the largest module still to place
    (:func:`staging_bytes`) on the first card alone (accelerate's infer_auto_device_map reserves it on its main
    devices: the first card and the CPU), so the weights the plan keeps on a card and its share of that room
    (:func:`staging_share`: all of it on one card), over :data:`BNB_MAX_MEMORY_SHARE` for bitsandbytes' formats.
    The same figure for every card: the first places the room less, each other its share more, all of them together
    what the plan keeps on the cards."""
    if s.engine != "hf" or plan.level != "partial" or not plan.copied_bytes:
        return None
    on_card = float(estimate_memory(s).weights) - plan.copied_bytes + staging_share(s)
    return on_card / _max_memory_share(s)


def max_memory_cpu_bytes(s: Scenario, plan: OffloadPlan) -> float | None:
    """The ``"cpu"`` entry of :func:`max_memory_bytes`' ``max_memory``: the plan's RAM budget, over
    :data:`BNB_MAX_MEMORY_SHARE` for bitsandbytes' formats too (their quantizers cut every entry, "cpu" as well, so
    the RAM holds what the plan puts there: given the RAM itself, a plan using more than 90 % of it would not place);
    None where :func:`max_memory_bytes` is."""
    if max_memory_bytes(s, plan) is None:
        return None
    return plan.devices[-1].budget_bytes / _max_memory_share(s)


def _max_memory_share(s: Scenario) -> float:
    return BNB_MAX_MEMORY_SHARE if s.weights in BITSANDBYTES else 1.0


def staging_layer_bytes(layer_bytes, expert_layer, moe_share, head, tied):
    """:func:`staging_bytes` from a model's terms (numbers or arrays: the My machine grid's): ``layer_bytes`` its
    decoder layers' weights over the layers, ``expert_layer`` its routed experts' over the layers, ``moe_share`` the
    share of its layers that are MoE layers, ``head`` its output layer's bytes, ``tied`` whether that is the embedding
    table (kept with it on the card).  An MoE layer holds its routed experts, the others none (the dense layers' wider
    MLPs, DeepSeek's first three, are averaged in)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        moe = np.where(moe_share > 0, expert_layer / np.where(moe_share > 0, moe_share, 1.0) - expert_layer, 0.0)
    return np.maximum(layer_bytes + moe, np.where(tied, 0.0, head))


def routed_expert_bytes(s: Scenario) -> float:
    """A card's bytes of an MoE model's routed experts, every MoE layer's (0 for a dense model)."""
    _, expert, e, _ = weights_read_terms(s)
    return e * expert


def decoder_layer_bytes(s: Scenario) -> float:
    """A card's bytes of the decoder layers' weights: its weights less its share of the embedding table and of an
    untied output layer (what vLLM's and SGLang's offloaders, wrapping the layers, can keep in RAM)."""
    a = s.model.architecture
    wb = weight_bytes(a, s.weight_format, count_params(a))
    head = 0.0 if a.tie_embeddings else output_layer_bytes(a, wb)
    return max(float(estimate_memory(s).weights) - (wb.embedding + head) / s.tensor_parallel, 0.0)


def copied_read_share(s: Scenario, experts_only: bool = False):
    """The share of a card's offloaded weights (:func:`plan_copied`) a pass of ``tokens`` tokens moves over the host
    link, as a function of ``tokens``: all of them where the engine copies a module's whole state; where it reads them
    in place (:data:`~vramgui.core.engines.READS_IN_PLACE`: vLLM) an MoE model's routed experts only as far as the
    pass's tokens use them (:func:`~vramgui.core.speed.experts_touched`, E (1 - (1 - k/E)^tokens) of E), the rest of
    the layers (attention, shared experts, router) whole.  The offloaded bytes are taken as the decoder layers'
    mix of routed experts and the rest (the output layer is not offloaded: vLLM's offloader takes the parameters of
    the first layers in turn), or with ``experts_only`` the routed experts' alone (--cpu-offload-params)."""
    dense, expert, e, k = weights_read_terms(s)
    if s.engine not in READS_IN_PLACE or not expert:
        return lambda tokens: 1.0
    if experts_only:
        return lambda tokens: float(used_experts_share(e, k, tokens))
    a = s.model.architecture
    fmt = s.weight_format
    head = output_layer_bytes(a, weight_bytes(a, fmt, count_params(a))) / s.tensor_parallel
    return lambda tokens: float(in_place_read_share(dense, expert, e, k, head, tokens))


def in_place_read_share(dense, expert, num_experts, experts_per_token, head, tokens):
    """:func:`copied_read_share` of a card's terms (numbers or arrays: the My machine grid's): ``dense`` and ``expert``
    as :func:`~vramgui.core.speed.weights_read_terms` gives them, ``head`` the output layer's bytes on the card.  The
    routed experts' share of the decoder layers' bytes, x, is read as far as ``tokens`` tokens use them; 1 for a
    dense model (no expert bytes)."""
    routed = num_experts * expert
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(routed > 0, routed / (dense - head + routed), 0.0)   # (the experts' share of the layers' bytes)
    return 1.0 - x + x * used_experts_share(num_experts, experts_per_token, tokens)


def plan_offload_cards(s: Scenario, ram_gb: float, gpus: list[GPU], experts_on_cpu: bool = False,
                       ram_bandwidth_gb_s: float | None = None, n_cpu_moe: int | None = None,
                       pinned: bool = False, table=None, cpu_offload_gib: float | None = None,
                       experts_only: bool = False) -> list[OffloadPlan]:
    """:func:`plan_offload` of ``s`` on each card of ``gpus`` in turn (``s.n_gpus`` of it, as the fit table plans every
    card that does not fit), without the time to first token (``with_prefill=False``): the same plans, worked out for
    all the cards at once, in numpy rows of ``s.n_gpus`` cards (a plan a card took 70-140 us here, a table of ~120 such
    cards 38 % of a change; ``tests/test_offload.py`` holds the two equal over the catalog).  The cards whose engine
    defaults differ (:func:`~vramgui.core.cards.card_defaults`) are planned a group at a time.  ``table``: the fit
    table of ``s`` over these cards (and others), whose figures an engine copying its offloaded weights takes
    (:func:`_copied_cards`) instead of working them out again; ``cpu_offload_gib`` and ``experts_only``: its
    --cpu-offload-gb and --cpu-offload-params, as :func:`plan_offload` takes them."""
    from .cards import cards_by_defaults
    _check_offloads(s)
    if not gpus:
        return []
    if s.engine in COPIED_OFFLOAD:       # (an engine copying its offloaded weights)
        return _copied_cards(s, ram_gb, gpus, table, _forced_bytes(s, cpu_offload_gib), experts_only)
    out: list[OffloadPlan | None] = [None] * len(gpus)
    for idx in cards_by_defaults(s, gpus) or [list(range(len(gpus)))]:
        sub = [gpus[i] for i in idx]
        plans = _plan_rows(s.model_copy(update={"gpu": sub[0]}), ram_gb, sub, experts_on_cpu, ram_bandwidth_gb_s,
                           n_cpu_moe, pinned)
        for i, plan in zip(idx, plans, strict=True):
            out[i] = plan
    return out


def _row_split(free: np.ndarray, per_layer: float, n: int) -> np.ndarray:
    """:func:`_split` of each row of ``free`` (cards x the cards of a row), at most ``n`` layers a row, in the same
    float operations."""
    capacity = np.maximum(np.floor_divide(free, per_layer), 0.0) if per_layer > 0 else np.full(free.shape, float(n))
    total = np.minimum(_seq_sum(capacity), n)
    weights = np.maximum(free, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.trunc(total[:, None] * weights / _seq_sum(weights)[:, None])
    share = np.where(total[:, None] > 0, np.minimum(share, capacity), 0.0)
    left = total - _seq_sum(share)
    room = capacity - share
    order = np.argsort(-room, axis=1, kind="stable")          # (sorted(): ties keep their order)
    ordered = np.take_along_axis(room, order, axis=1)
    before = np.cumsum(ordered, axis=1) - ordered              # room of the cards served first
    add = np.clip(left[:, None] - before, 0.0, ordered)
    np.put_along_axis(share, order, np.take_along_axis(share, order, axis=1) + add, axis=1)
    return share


def _seq_sum(a: np.ndarray) -> np.ndarray:
    """Each row's sum, added left to right as Python's ``sum`` adds a list (numpy's pairwise sum may round apart)."""
    total = np.zeros(a.shape[0])
    for j in range(a.shape[1]):
        total = total + a[:, j]
    return total


_CARD_SPEED: list[tuple[tuple, tuple]] = []   # ((engine, host, format, model's and cards' ids), (figures, objects))


def _card_speed(s: Scenario, one: Scenario, gpus: list[GPU]) -> dict[str, np.ndarray]:
    """The per-card figures :func:`_decode_s` and a plan's copies read (kept for the last few settings: a prompt,
    output or batch edit finds them)."""
    a, fmt = s.model.architecture, one.weight_format

    def make():
        keys = [speed_key(s.profile, g, s.host) for g in gpus]
        rows = {k: (host_floor_s(k, a, fmt), fixed_step_s(k, a)) for k in set(keys)}
        return {"rate": np.array([g.bandwidth_bytes_per_s * bandwidth_efficiency(k, fmt, g)
                                  for k, g in zip(keys, gpus, strict=True)]),
                "floor": np.array([rows[k][0] for k in keys]), "fixed": np.array([rows[k][1] for k in keys]),
                "link": np.array([host_link_bytes_per_s(g) for g in gpus]),
                "memory": np.array([g.memory_bytes for g in gpus], dtype=np.float64),
                "share": np.array([g.gpu_share for g in gpus], dtype=np.float64),
                "unified": np.array([g.unified_memory for g in gpus], dtype=bool),
                "apple": np.array([apple_cpu([g]) for g in gpus], dtype=bool),
                "bandwidth_gb_s": np.array([g.memory_bandwidth_gb_s for g in gpus], dtype=np.float64)}, \
            (s.model, list(gpus))      # (the objects kept with their ids: no id is reused while they are kept)
    key = (s.profile.id, s.host, one.weight_format.id, id(s.model), tuple(id(g) for g in gpus))
    return kept(_CARD_SPEED, key, make, 8)[0]


def _plan_rows(s: Scenario, ram_gb: float, gpus: list[GPU], experts_on_cpu: bool, ram_bandwidth_gb_s: float | None,
               n_cpu_moe: int | None, pinned: bool) -> list[OffloadPlan]:
    """:func:`plan_offload_cards` for cards the engine gives the same defaults (``s`` on the first of them): each step
    of :func:`plan_offload`, for ``s.n_gpus`` copies of each card, as arrays (cards x copies)."""
    from .fit import usable_bytes
    n = s.n_gpus
    one = _one_card(s)
    a = s.model.architecture
    L = a.num_layers
    first_moe, gpu_layers, fit_moe = _experts_placement(one, experts_on_cpu, n_cpu_moe, None)
    experts_on_cpu = first_moe > 0
    sh = _shared(s, one, experts_on_cpu or fit_moe)
    c = _card_speed(s, one, gpus)
    C, last = len(gpus), n - 1
    unified = c["unified"]
    ram_bw_gb_s = np.where(unified, c["bandwidth_gb_s"], DEFAULT_RAM_BANDWIDTH_GB_S) if ram_bandwidth_gb_s is None \
        else np.full(C, float(ram_bandwidth_gb_s))
    budget = np.asarray(usable_bytes(one, c["memory"], c["share"]), dtype=np.float64)
    budgets = np.repeat(budget[:, None], n, axis=1)
    free_all = budgets - sh.fixed
    piped = sh.piped if n > 1 else 0.0
    first = one.profile.output_layer_first
    own = ~unified
    copy0 = np.where(own, sh.copy_layers, 0.0)
    if gpu_layers is not None:                   # -ngl N (L + 1 here): its layers, shared by free memory
        ngl = gpu_layers
        n_gpu_forced = min(ngl - 1, L) if first and ngl else min(ngl, L)
        b = np.maximum(free_all, 1.0)
        split = np.trunc(n_gpu_forced * b / _seq_sum(b)[:, None])
        split[:, 0] += n_gpu_forced - _seq_sum(split)
        output_on_gpu = np.full(C, ngl >= 1 if first else ngl > L)
    else:
        with_head = free_all - piped
        with_head[:, last] -= sh.head
        with_head[:, 0] -= np.where(own, sh.copy_experts, 0.0)
        split = _row_split(with_head, sh.gpu_layer, L)
        output_on_gpu = _seq_sum(split) == L
        free_rest = free_all.copy()
        free_rest[:, 0] -= copy0
        rest = ~output_on_gpu
        if first:                                # the output layer on the last card, then what room is left
            head_fits = free_rest[:, last] >= sh.head
            tail = free_rest.copy()
            tail[:, last] -= sh.head
            again = _row_split(tail, sh.gpu_layer, L - 1)
            split = np.where(rest[:, None], np.where(head_fits[:, None], again, 0.0), split)
            output_on_gpu = output_on_gpu | (rest & head_fits)
        else:                                    # the output layer stays in RAM: room for more layers
            split = np.where(rest[:, None], _row_split(free_rest, sh.gpu_layer, L), split)
    n_gpu = _seq_sum(split)
    n_cpu = L - n_gpu
    copy = np.where(own, np.where(n_cpu > 0, sh.copy_layers, sh.copy_experts), 0.0)
    fixed_each = sh.fixed + np.where(output_on_gpu & (n_cpu == 0), piped, 0.0)
    used = np.where((split > 0) | output_on_gpu[:, None], fixed_each[:, None], 0.0) + split * sh.gpu_layer
    used[:, last] += np.where(output_on_gpu, sh.head, 0.0)
    E = sh.expert_layer
    back = np.zeros_like(split)
    if 0 < first_moe < L and E:                  # --n-cpu-moe N: each card's layers from the N-th on keep experts
        starts = n_cpu[:, None] + np.cumsum(split, axis=1) - split
        back = split - np.minimum(np.maximum(first_moe - starts, 0.0), split)
        used = used + back * E
    elif fit_moe and E:                          # --fit: the experts of as many layers as the room left holds
        on = (n_cpu == 0) & output_on_gpu
        all_fit = np.all(used + split * E <= budgets, axis=1)
        room = budgets - used
        room[:, 0] -= copy
        fill = np.minimum(np.maximum(np.floor_divide(room, E), 0.0), split)
        back = np.where(on[:, None], np.where(all_fit[:, None], split, fill), 0.0)
        copy = np.where(on & all_fit, 0.0, copy)
        used = used + back * E
    moe_in_ram = n_gpu - _seq_sum(back) if E else np.zeros(C)
    dev_used = used.copy()
    dev_used[:, 0] += np.where((split[:, 0] > 0) | output_on_gpu, copy, 0.0)
    wb = sh.wb
    ram_used = np.where((n_gpu == 0) | bool(one.profile.embedding_on_host), wb.embedding, 0.0) \
        + n_cpu * (sh.layer_w + sh.kv_layer) + np.where(output_on_gpu | a.tie_embeddings, 0.0, sh.head) \
        + E * moe_in_ram + np.where(n_cpu > 0, sh.act1, 0.0)
    pool = _seq_sum(np.repeat(c["memory"][:, None], n, axis=1)) - _seq_sum(budgets)
    ram_budget = np.where(unified, unified_ram(ram_gb, pool), ram_gb * GB)
    over_gpu = np.any(dev_used > budgets, axis=1)
    level = np.where((ram_used > ram_budget) | over_gpu, 3,
                     np.where((n_cpu == 0) & output_on_gpu & (moe_in_ram == 0), 0,
                              np.where((n_gpu == 0) & ~output_on_gpu, 2, 1)))
    link, share = c["link"], PINNED_COPY_EFFICIENCY if pinned else PCIE_COPY_EFFICIENCY
    experts_in_ram = (n_cpu + moe_in_ram) * sh.layer_experts
    moe = (a.moe.num_experts, a.moe.experts_per_token) if a.moe else (1, 1)
    step_copy = np.where((copy != 0) & (s.batch >= OP_OFFLOAD_MIN_BATCH),
                         n_cpu * (sh.layer_w + sh.kv_layer) + E * moe_in_ram + np.where(output_on_gpu, 0.0, sh.head)
                         - experts_in_ram * float(unused_experts_share(*moe, s.batch)), 0.0)
    decode, math, rate = _row_decode(s, one, sh, c, split, back, n_cpu, output_on_gpu, ram_bw_gb_s,
                                     step_copy / (link * share))
    copied = np.where(copy != 0, prompt_copy_bytes(s, n_cpu * sh.layer_w + E * moe_in_ram,
                                                   n_cpu * float(sh.t1.kv_full) / L, experts_in_ram, *moe), 0.0)
    plans = []
    rows = zip(gpus, level.tolist(), split.tolist(), dev_used.tolist(), budgets.tolist(), n_gpu.tolist(),
               n_cpu.tolist(), output_on_gpu.tolist(), moe_in_ram.tolist(), ram_used.tolist(), ram_budget.tolist(),
               decode.tolist(), copy.tolist(), copied.tolist(), link.tolist(), step_copy.tolist(), math.tolist(),
               np.broadcast_to(rate, math.shape).tolist(), strict=True)
    for g, lv, ks, us, bs, ng, nc, out, mr, ru, rb, dec, cp, cd, lk, sc, mt, rt in rows:
        devices = [Device(g.name, u, b, int(k)) for u, b, k in zip(us, bs, ks, strict=True)]
        devices.append(Device("system RAM", ru, rb, int(nc)))
        none = lv == 3
        plans.append(OffloadPlan(level=LEVELS[lv], n_layers=L, gpu_layers=int(ng), cpu_layers=int(nc),
                                 output_on_gpu=out, devices=devices, cpu_moe_layers=int(mr),
                                 decode_s=float("inf") if none else dec,
                                 copy_bytes=cp if ks[0] or out else 0.0, prefill_s=float("nan"),
                                 prompt_copy_bytes=cd, link_bytes_per_s=lk, step_copy_bytes=sc, copy_share=share,
                                 cpu_math_s=mt, cpu_flops_per_s=rt, forced=int(mr) > 0 and first_moe > 0 and ram_gb > 0,
                                 layers_fixed=gpu_layers is not None))
    return plans


def _row_decode(s, one, sh: _Shared, c: dict, split, back, n_cpu, output_on_gpu, ram_bw_gb_s,
                copy_s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_decode_s` of each row (cards x copies of the card), in the same float operations, and each row's
    CPU rate (:func:`cpu_flops_per_s`)."""
    a = s.model.architecture
    L = a.num_layers
    rate = c["rate"]
    t = np.zeros(len(rate))
    for j in range(split.shape[1]):
        k, kb = split[:, j], back[:, j]
        t = t + (k * (sh.read_layer + sh.kv_layer) - (k - kb) * sh.active_expert_layer) / rate
    t = np.where(output_on_gpu, t + sh.head / rate, t)
    ram_bw = ram_bw_gb_s * GB * cpu_bandwidth_share(one.weight_format)
    moe_in_ram = L - n_cpu - _seq_sum(back) if sh.active_expert_layer else np.zeros(len(rate))
    cpu_bytes = n_cpu * (sh.read_layer + sh.kv_layer) + np.where(output_on_gpu, 0.0, sh.head) \
        + sh.active_expert_layer * moe_in_ram
    rate = cpu_flops_per_s(ram_bw_gb_s, c["apple"])
    math = np.where(copy_s != 0, 0.0, cpu_math_s(n_cpu * sh.layer_flops + moe_in_ram * sh.expert_flops
                                                 + np.where(output_on_gpu, 0.0, sh.head_flops), s.batch, rate))
    t = np.where(copy_s != 0, t + copy_s, t + (cpu_bytes / ram_bw + moe_in_ram * MOE_CPU_LAYER_S + math))
    return engine_time(t, c["floor"], c["fixed"] + SAMPLE_S.get(s.profile.id, 0.0) * s.batch), math, rate


def max_prompt_offloaded(s: Scenario, ram_gb: float, guess: int | None = None, **plan) -> int:
    """The largest prompt (tokens, with the scenario's output tokens and sequences) that :func:`plan_offload` places
    on the cards and in ``ram_gb`` of system RAM, with the same ``plan`` arguments (-1: not even an empty one;
    :data:`~vramgui.core.scenario.MAX_SCENARIO_TOKENS` at most).  Exact to one token: a plan's bytes on the cards
    and in RAM grow with the prompt (the cache of every layer, and on the cards fewer layers), so whether it is
    placed changes once along the prompt, but for the rounding of whole layers and experts between several cards:
    there an MoE can be placed again a little past where it first is not (2 x RTX 3090 with 128 GB, Mixtral 8x22B
    Q8_0: its 56 layers 27 + 29 up to 97,280 tokens, not placed from 97,281 to 97,792, then 28 + 28 to 98,560), and
    the answer is one such edge.

    One plan a prompt tried (10-20 in all).  The engine's cache comes in blocks (llama.cpp's context in 256 cells):
    the search first tries only prompts whose context fills whole blocks, from the prompt whose memory fills the
    cards and the RAM as one pool (:func:`pool_guess`; whole layers fall a few per cent short of it) in steps that
    double, then halving what is left; the last such prompt placed is the answer where one token more is not (the
    next block), else the tokens up to the next such prompt are halved too.  ``guess``: a likely answer (the window's
    last, moved by the change of output tokens), tried first: two plans where it is right, two more where not."""
    top = MAX_SCENARIO_TOKENS
    block, out = max(s.profile.kv_block_tokens, 1), s.output_tokens

    def placed(p: int) -> bool:
        # (an unvalidated copy: only the prompt changes, and no prompt is too long to plan; a cache holds the whole
        # prompt whatever part of it was kept)
        one = s.model_copy(update={"prompt_tokens": p, "cached_tokens": 0})
        return plan_offload(one, ram_gb, with_prefill=False, **plan).level != "none"

    if guess is not None and 0 <= guess < top and placed(guess) and not placed(guess + 1):
        return guess

    def grid(k: int) -> int:                 # the prompt whose context fills k blocks
        return min(max(k * block - out, 0), top)

    def bracket() -> tuple[int, int] | int:
        """(a placed prompt, the next one on the grid, not placed), or the answer itself."""
        first, last = -(-out // block), (top + out) // block      # the blocks of the prompts 0 ... top
        k = min(max(-(-(pool_guess(s, ram_gb, plan.get("gpus")) + out) // block), first), last)
        step = max(1, k // 128)
        if placed(grid(k)):                  # step up until a prompt is not placed
            while True:
                if k == last:                # (every prompt of the grid is)
                    return top if placed(top) else (grid(last), top)
                high = min(k + step, last)
                if not placed(grid(high)):
                    break
                k, step = high, step * 2
        else:                                # step down until one is
            high = k
            while True:
                if high == first:            # (none of the grid is)
                    return -1 if grid(first) == 0 or not placed(0) else (0, grid(first))
                k = max(high - step, first)
                if placed(grid(k)):
                    break
                high, step = k, step * 2
        k = _halve(lambda j: placed(grid(j)), k, high)
        return grid(k), grid(k + 1)

    found = bracket()
    if isinstance(found, int):
        return found
    low, high = found
    if high - low <= 1 or not placed(low + 1):    # (one token more needs the next block)
        return low
    return _halve(placed, low + 1, high)          # (the cache is not all that grows with the prompt)


def pool_guess(s: Scenario, ram_gb: float, gpus: list[GPU] | None = None) -> int:
    """The largest prompt whose memory per card (:func:`~vramgui.core.fit.max_prompt_tokens_from_terms`) fits a card's
    usable memory and its share of ``ram_gb``, as if each card and its share were one pool: where
    :func:`max_prompt_offloaded` starts (the plan, which places whole layers and keeps a compute buffer on each side,
    holds a few per cent less); 0 where not even an empty prompt fits."""
    from .fit import max_prompt_tokens_from_terms
    return max(int(max_prompt_tokens_from_terms(memory_terms(s), s.profile, _pool(s, ram_gb, gpus), s.batch,
                                                s.output_tokens)), 0)


def _pool(s: Scenario, ram_gb: float, gpus: list[GPU] | None) -> float:
    """A card's usable bytes and its share of ``ram_gb``, as one pool (:func:`pool_guess`)."""
    cards = gpus or [s.gpu] * s.n_gpus
    return (sum(gpu_budget(s, g) for g in cards) + ram_gb * GB) / len(cards)


def max_batch_offloaded(s: Scenario, ram_gb: float, guess: int | None = None, **plan) -> int:
    """The most sequences (each of the scenario's prompt and output tokens) that :func:`plan_offload` places on the
    cards and in ``ram_gb`` of system RAM, with the same ``plan`` arguments (0: not one; :data:`~vramgui.core.
    scenario.MAX_SCENARIO_BATCH` at most).  Exact: a plan's bytes grow with the sequences (every layer's cache, and
    on the cards fewer layers), the edge found as :func:`max_prompt_offloaded` finds one where the rounding of whole
    layers between several cards makes it come back.

    One plan a number of sequences tried: one sequence first (none placed: 0), then from ``guess`` (a likely answer;
    else the number whose memory fills each card and its share of the RAM as one pool, :func:`pool_guess`'s pool:
    whole layers fall short of it) in steps of 1/64 of it that double, away from it until the answer is bracketed,
    then halving the bracket."""
    from .fit import max_batch_from_terms
    top = MAX_SCENARIO_BATCH

    def placed(b: int) -> bool:
        return plan_offload(s.model_copy(update={"batch": b}), ram_gb, with_prefill=False, **plan).level != "none"

    if not placed(1):
        return 0
    if guess is None:
        guess = int(max_batch_from_terms(memory_terms(s), s.profile, _pool(s, ram_gb, plan.get("gpus")),
                                         s.prompt_tokens, s.output_tokens))
    start = min(max(guess, 2), top)
    step = max(start // 64, 1)
    if placed(start):                        # up until a number is not
        low = start
        while True:
            if low == top:
                return top
            high = min(low + step, top)
            if not placed(high):
                break
            low, step = high, step * 2
    else:                                    # down until one is (one sequence is)
        high = start
        while True:
            low = max(high - step, 1)
            if low == 1 or placed(low):
                break
            high, step = low, step * 2
    return _halve(placed, low, high)


def _halve(placed, low: int, high: int) -> int:
    """The last k from ``low`` (placed) to ``high`` (not) that ``placed`` holds for, halving the bracket."""
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if placed(mid) else (low, mid)
    return low


@dataclass(frozen=True, eq=False)        # (compared by identity: a window redraws where it is another)
class BatchSweep:
    """Offload plans of one scenario over the numbers of sequences the cards and the RAM hold
    (:func:`sweep_offloaded`): what the window's speed chart draws and where the plans serve the most."""

    most: int                            # the most sequences placed (max_batch_offloaded), the counts' end
    batches: list[int]
    plans: list[OffloadPlan]
    served_tokens_per_s: list[float]     # generated tokens a second in all, prompts included (served_tokens_per_s)

    def best(self) -> tuple[int, float, float]:
        """(sequences, generated tokens a second in all, the batch's time to first token) where the plans serve the
        most; (0, 0.0, nan) where not one sequence is placed."""
        if not self.batches:
            return 0, 0.0, float("nan")
        i = int(np.argmax(self.served_tokens_per_s))      # (the first of equals: the fewest sequences)
        return self.batches[i], float(self.served_tokens_per_s[i]), float(self.plans[i].prefill_s)


def sweep_offloaded(s: Scenario, ram_gb: float, most: int, **plan) -> BatchSweep:
    """The plans of ``s``'s prompt and output at 16 numbers of sequences from 1 to ``most``
    (:func:`max_batch_offloaded`; every one up to 16, else as evenly spread on a log scale as whole numbers go:
    :func:`log_counts`), and at 31 and 32 within it (where op offload starts copying the part in RAM to the card for
    each step), one plan each; none where ``most`` is 0.  A count not placed (none should be, up to ``most``) is left
    out."""
    counts = sorted(set(log_counts(most, 16)) | ({31, 32} & set(range(1, most + 1))))
    batches, plans, served = [], [], []
    for b in counts:
        one = s.model_copy(update={"batch": b})
        p = plan_offload(one, ram_gb, **plan)
        if p.level != "none":
            batches.append(b)
            plans.append(p)
            served.append(float(served_tokens_per_s(p, one)))
    return BatchSweep(most, batches, plans, served)


def log_counts(most: int, k: int) -> list[int]:
    """``k`` whole numbers from 1 to ``most`` (all of them where ``most`` <= ``k``; none where it is 0), each step
    the ratio that spreads the ones left evenly on a log scale to ``most``, and at least one."""
    out = [1] if most >= 1 else []
    while out and out[-1] < most and len(out) < k:
        last = out[-1]
        out.append(min(most, max(last + 1, round(last * (most / last) ** (1 / (k - len(out)))))))
    return out


def best_batch_offloaded(s: Scenario, ram_gb: float, most: int, **plan) -> tuple[int, float, float]:
    """(sequences, generated tokens a second in all, the batch's time to first token) where the plans of ``s``'s
    prompt and output, up to ``most`` sequences (:func:`max_batch_offloaded`), serve the most
    (:func:`served_tokens_per_s`, prompts included), over :func:`sweep_offloaded`'s counts (about 18 plans);
    (0, 0.0, nan) where not one sequence is placed."""
    return sweep_offloaded(s, ram_gb, most, **plan).best()


def with_best_batch(plan: OffloadPlan, found: tuple[int, float, float]) -> OffloadPlan:
    """``plan`` with the sequences, rate and first token :func:`best_batch_offloaded` ``found`` for it."""
    return replace(plan, best_batch=found[0], best_served_tokens_per_s=found[1], best_prefill_s=found[2])


def with_max_batch(plan: OffloadPlan, found: int) -> OffloadPlan:
    """``plan`` with the most sequences :func:`max_batch_offloaded` ``found`` for it."""
    return replace(plan, max_batch=found)


def reported(plan: OffloadPlan, s: Scenario, ram_gb: float, max_prompt: int, batch: bool = True,
             best: bool = False, sweep: BatchSweep | None = None, **settings) -> OffloadPlan:
    """``plan`` (of scenario ``s``, with the plan ``settings``) as estimate and the report give it: with the largest
    prompt ``max_prompt`` (:func:`max_prompt_offloaded`'s answer), with ``batch`` the most sequences
    (:func:`max_batch_offloaded`), and with ``best``, where the plan runs the model (the cards alone hold too
    little), the sequences it serves most at (:func:`best_batch_offloaded`, about 18 plans); ``sweep``: those
    already worked out for ``s`` (:func:`sweep_offloaded`: the window's), taken instead."""
    from .fit import fit
    plan = with_max_prompt(plan, s, max_prompt)
    if not batch:
        return plan
    plan = with_max_batch(plan, sweep.most if sweep is not None else max_batch_offloaded(s, ram_gb, **settings))
    if best and plan.max_batch and offloads(plan.level, fit(s).fits, plan.forced):
        plan = with_best_batch(plan, (sweep or sweep_offloaded(s, ram_gb, plan.max_batch, **settings)).best())
    return plan


def with_max_prompt(plan: OffloadPlan, s: Scenario, found: int) -> OffloadPlan:
    """``plan`` (of scenario ``s``) with the largest prompt :func:`max_prompt_offloaded` ``found`` for it, and with
    the scenario's output the largest context."""
    return replace(plan, max_prompt_tokens=found, max_context=found + s.output_tokens if found >= 0 else None)


@dataclass(frozen=True)
class _Shared:
    """What a plan works out before it looks at the cards: the same for every card of the fit table's to which the
    engine gives the same defaults (:func:`_shared`)."""

    wb: WeightBytes
    t1: MemoryTerms
    act1: float
    kv_layer: float
    layer_w: float
    expert_layer: float
    gpu_layer: float
    head: float
    fixed: float
    copy_layers: float      # op offload's copy with layers in RAM (on a card with memory of its own)
    copy_experts: float     # ... with only -ot exps=CPU's experts there
    read_layer: float       # the active weights a decode step reads a layer (of a MoE's experts: the batch's touched)
    active_expert_layer: float   # ... of them experts in RAM (-ot exps=CPU), a layer
    piped: float            # on the scenario's cards, every layer there: the pipeline's copies (else 0)
    layer_experts: float    # a layer's routed experts, in RAM or not (experts_layer_bytes; 0: a dense model)
    layer_flops: float = 0.0    # a decode step's FLOPs a sequence, a layer: its matmuls and attention at the context
    layer_matmul: float = 0.0   # ... of them the matmuls'
    expert_flops: float = 0.0   # ... of them the routed experts a token uses, a layer (where experts are in RAM)
    head_flops: float = 0.0     # ... the output layer's


_SHARED: list[tuple[tuple, _Shared]] = []      # (the scenario's key without its card, the shared part), the last


def _shared(s: Scenario, one: Scenario, experts_on_cpu: bool) -> _Shared:
    """:class:`_Shared` for ``s``, kept for the next plans of the same scenario on other cards (the fit table plans
    every card in turn): the terms depend on the card only through what the engine picks by it (vLLM's batch
    defaults, Ollama's context: :func:`~vramgui.core.cards.card_defaults`), which is in the key."""
    from .cards import card_defaults
    by_card = card_defaults(s, s.gpu) if s.profile.small_card_batch or s.profile.default_context else None
    return kept(_SHARED, (s.key(gpu=None), experts_on_cpu, by_card), lambda: _work_out(s, one, experts_on_cpu), 8)


def _work_out(s: Scenario, one: Scenario, experts_on_cpu: bool) -> _Shared:
    a = s.model.architecture
    L = a.num_layers
    params = count_params(a)
    wb = weight_bytes(a, one.weight_format, params)
    # one card's terms, with the context the engine allocates on all of them (Ollama's default is the machine's)
    t1 = replace(memory_terms(one), context_floor=memory_terms(s).context_floor)
    act1 = float(activations_from_terms(t1, one.profile, s.prompt_tokens, s.batch, s.output_tokens))
    kv_layer = float(kv_from_terms(t1, one.profile, s.context_tokens, s.batch)) / L
    layer_w = layer_weight_bytes(a, one.weight_format, one.profile, wb)
    expert_layer = experts_layer_bytes(a, one.weight_format) if experts_on_cpu else 0.0
    head = output_layer_bytes(a, wb, params)   # (a tied table's rows: llama.cpp copies them to the output's card)
    embed_gpu = 0.0 if one.profile.embedding_on_host else wb.embedding
    # the active weights per layer: of a MoE's routed experts, those the batch's tokens touch (k at one sequence)
    touched = float(experts_touched(a.moe.num_experts, a.moe.experts_per_token, s.batch)) if a.moe else None
    read_layer = (active_weight_bytes(a, one.weight_format, touched) - head) / L
    active_expert_layer = expert_layer * touched / a.moe.num_experts if expert_layer and a.moe else 0.0
    # the FLOPs a sequence's step takes, for the CPU's share of them (cpu_math_s)
    st = speed_terms(one)
    out_flops = head_flops(a)
    layer_matmul = (float(st.matmul_flops) - out_flops) / L
    layer_flops = layer_matmul + float(decode_attention_flops(st, s.context_tokens)) / L
    return _Shared(wb=wb, t1=t1, act1=act1, kv_layer=kv_layer, layer_w=layer_w, expert_layer=expert_layer,
                   read_layer=read_layer, active_expert_layer=active_expert_layer,
                   gpu_layer=layer_w - expert_layer + kv_layer, head=head,
                   fixed=float(t1.overhead) + act1 + embed_gpu,
                   copy_layers=_copy_bytes(s, True, bool(expert_layer), t1),
                   copy_experts=_copy_bytes(s, False, bool(expert_layer), t1),
                   piped=float(estimate_memory(s).activations) - act1 if s.n_gpus > 1 else 0.0,
                   layer_experts=experts_layer_bytes(a, one.weight_format), layer_flops=layer_flops,
                   layer_matmul=layer_matmul,
                   expert_flops=float(st.expert_flops) / L, head_flops=out_flops)


def experts_layer_bytes(a, fmt: WeightFormat) -> float:
    """A layer's routed experts' weights in ``fmt``, averaged over the layers (what -ot exps=CPU keeps in RAM of
    each; 0 for a dense model)."""
    if a.moe is None:
        return 0.0
    one_expert = mlp_params(a.expert_width, a.moe.expert_intermediate_size, a.gated_mlp, False)[0]
    return a.moe_layers * a.moe.num_experts * one_expert * expert_bits(a, fmt) / 8 / a.num_layers


def host_link_bytes_per_s(g: GPU) -> float:
    """The card's link to the host [bytes/s per direction]: the preset's host link where it names one (an SXM or OAM
    module's PCIe, a Grace superchip's NVLink-C2C: :attr:`~vramgui.core.presets.GPU.host_link_gb_s`), else its PCIe
    link where that is its interconnect, else :data:`~vramgui.core.speed.DEFAULT_LINK_GB_S`."""
    if g.host_link_gb_s:
        return g.host_link_gb_s * 1e9
    pcie = g.interconnect and "pcie" in g.interconnect.lower() and g.interconnect_gb_s
    return (g.interconnect_gb_s if pcie else DEFAULT_LINK_GB_S) * 1e9


def prompt_copy_bytes(s: Scenario, weights: float, kv_per_cell: float, experts: float = 0.0, num_experts: float = 1,
                      experts_per_token: float = 1) -> float:
    """What a prompt's passes copy to the card in all where part of the model is in RAM (op offload: each pass of
    the engine's prompt batch, 32 tokens or more, copies ``weights``, of the routed experts among them, ``experts``
    bytes, only those its tokens use (:func:`unused_experts_share`, of ``num_experts``, ``experts_per_token`` a
    token), and the K and V of the cells filled so far, ``kv_per_cell`` bytes a cell over the layers in RAM; the
    batch's prompts share the passes).  A pass under 32 tokens copies nothing: the CPU computes its part in RAM."""
    new, cached = (float(x) * s.batch for x in prompt_split(s.prompt_tokens, s.cached_tokens))
    return passes_copy_bytes(s.profile, new, cached, weights, kv_per_cell, experts, num_experts, experts_per_token)


def passes_copy_bytes(profile, new: float, cached: float, weights, kv_per_cell, experts=0.0, num_experts=1,
                      experts_per_token=1):
    """:func:`prompt_copy_bytes` for ``new`` prompt tokens after ``cached`` ones, all sequences' together
    (``weights``, ``kv_per_cell``, ``experts`` and the MoE's counts numbers or arrays: the My machine grid passes
    one per model and format).  Each pass is counted as a full one's."""
    chunk = pass_tokens(profile, new)
    if chunk < OP_OFFLOAD_MIN_BATCH:
        return 0.0
    passes = -(-new // chunk)
    # the cells pass i attends: the cached ones and i chunks of the prompts (the last pass: all of them)
    cells = cached * passes + chunk * passes * (passes - 1) / 2 + new
    return passes * (weights - experts * unused_experts_share(num_experts, experts_per_token, chunk)) \
        + kv_per_cell * cells


def unused_experts_share(num_experts, experts_per_token, tokens):
    """The share of a layer's routed experts in RAM that a pass of ``tokens`` tokens (a prompt's, or a decode step
    of as many sequences) routes none of its tokens to, which op offload leaves uncopied: current llama.cpp's
    scheduler copies only the experts a pass uses to the card (PR #15346, Aug 2025), (1 - k/E)^tokens of them
    expected unused (:func:`~vramgui.core.speed.experts_touched`): 12.7 % of Qwen3-30B-A3B's 128 (8 a token) at a
    step of 32 sequences, next to none at a 512-token pass (numbers or arrays; 0 for a dense model, E = k = 1)."""
    return 1.0 - used_experts_share(num_experts, experts_per_token, tokens)


def used_experts_share(num_experts, experts_per_token, tokens):
    """The share of ``num_experts`` routed experts a pass of ``tokens`` tokens uses, ``experts_per_token`` a token
    (:func:`~vramgui.core.speed.experts_touched` of E, over E; numbers or arrays)."""
    return experts_touched(num_experts, experts_per_token, tokens) / num_experts


def kv_copy_per_cell(one: Scenario) -> float:
    """Bytes of one full-attention layer's K and V a cell on one card (what op offload copies of a layer in RAM)."""
    a = one.model.architecture
    if not a.attention_layers:
        return 0.0
    return kv_elements_per_token_layer(a, one, full=a.global_attention is not None) * one.kv.bytes_per_element


def _proportional(budgets: list[float], n: int) -> list[int]:
    total = sum(budgets)
    share = [int(n * b / total) for b in budgets]
    share[0] += n - sum(share)
    return share


def _decode_s(s, one, gpus, split, back, n_cpu, output_on_gpu, sh: _Shared, ram_bw_gb_s, cpu_rate: float,
              copy_s: float = 0.0) -> tuple[float, float]:
    """Per-token time, and of it the CPU's arithmetic for the sequences past the first at ``cpu_rate`` (FLOP/s,
    :func:`cpu_math_s`): each
    device reads its share in turn (``back``: of each card's layers, those whose experts are on the card too, where
    experts are kept in RAM); ``copy_s``, where op offload copies the part in RAM to the card for the step instead
    (32 sequences or more), the copy's time in place of the CPU's reads, arithmetic and hand-offs
    (:data:`MOE_CPU_LAYER_S`)."""
    a = s.model.architecture
    L = a.num_layers
    read_layer, active_expert_layer, kv_layer, head = sh.read_layer, sh.active_expert_layer, sh.kv_layer, sh.head
    key = speed_key(s.profile, gpus[0], s.host)
    rate = {id(g): g.bandwidth_bytes_per_s * bandwidth_efficiency(key, one.weight_format, g)
            for g in {id(g): g for g in gpus}.values()}
    t = 0.0
    for g, k, kb in zip(gpus, split, back, strict=True):
        t += (k * (read_layer + kv_layer) - (k - kb) * active_expert_layer) / rate[id(g)]
    if output_on_gpu:
        t += head / rate[id(gpus[-1])]
    math = 0.0
    if copy_s:
        t += copy_s
    else:
        ram_bw = ram_bw_gb_s * GB * cpu_bandwidth_share(one.weight_format)
        moe_in_ram = L - n_cpu - sum(back) if active_expert_layer else 0
        cpu_bytes = n_cpu * (read_layer + kv_layer) + (0.0 if output_on_gpu else head) \
            + active_expert_layer * moe_in_ram
        math = cpu_math_s(n_cpu * sh.layer_flops + moe_in_ram * sh.expert_flops
                          + (0.0 if output_on_gpu else sh.head_flops), s.batch, cpu_rate)
        t += cpu_bytes / ram_bw + moe_in_ram * MOE_CPU_LAYER_S + math
    return float(engine_time(t, host_floor_s(key, a, one.weight_format),
                             fixed_step_s(key, a) + SAMPLE_S.get(s.profile.id, 0.0) * s.batch)), float(math)
