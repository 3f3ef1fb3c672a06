"""Words the window shows for the core's values, in the window's language: verdicts,
card classes, and the names in the core's tables that hold words.

The core says the verdicts in English (``FitResult.verdict``, ``OffloadPlan.describe``)
for the command line and the reports; the window writes them from the same numbers so
they can be translated.  The English wording here is the core's, word for word.
"""

from __future__ import annotations

import re

from PySide6 import QtCore
from PySide6.QtCore import QT_TRANSLATE_NOOP

from ..core.units import GIB, MIB
from .i18n import integer, num, translate

# Names from the core's tables that hold words, listed for translation (the others are
# symbols such as FP16 or GGUF Q4_K_M and stay as they are).
CORE_NAMES = (QT_TRANSLATE_NOOP("Formats", "Generic (theory)"),
              QT_TRANSLATE_NOOP("Formats", "llama.cpp (no CUDA graphs)"),
              QT_TRANSLATE_NOOP("Formats", "Ollama (num_ctx set)"),
              QT_TRANSLATE_NOOP("Formats", "FP8 (E4M3, per-tensor scale)"),
              QT_TRANSLATE_NOOP("Formats", "INT8 (W8A16, per-row scale)"),
              QT_TRANSLATE_NOOP("Formats", "INT8 (W8A8, per-row scale)"),
              QT_TRANSLATE_NOOP("Formats", "bitsandbytes 8-bit (LLM.int8)"),
              QT_TRANSLATE_NOOP("Formats", "INT4 (symmetric, group 128)"),
              QT_TRANSLATE_NOOP("Formats", "GPTQ int4 (group 128)"),
              QT_TRANSLATE_NOOP("Formats", "AWQ int4 (group 128)"),
              QT_TRANSLATE_NOOP("Formats", "bitsandbytes NF4 (double quant)"),
              QT_TRANSLATE_NOOP("Formats", "bitsandbytes 4-bit (no double quant)"),
              QT_TRANSLATE_NOOP("Formats", "NVFP4 (FP4, group 16)"),
              QT_TRANSLATE_NOOP("Formats", "NVFP4 weight-only (W4A16, group 16)"),
              QT_TRANSLATE_NOOP("Formats", "MXFP4 experts (gpt-oss)"),
              QT_TRANSLATE_NOOP("Formats", "GGUF MXFP4 experts, Q8_0 rest (gpt-oss)"),
              QT_TRANSLATE_NOOP("Formats", "INT4 experts, group 32 (Kimi)"),
              QT_TRANSLATE_NOOP("Formats", "MLX 4-bit (group 64)"),
              QT_TRANSLATE_NOOP("Formats", "MLX 6-bit (group 64)"),
              QT_TRANSLATE_NOOP("Formats", "MLX 8-bit (group 64)"),
              # why a format does not run with HF transformers on an Apple chip (core.engines.HF_NO_MPS)
              QT_TRANSLATE_NOOP("Formats", "PyTorch's MPS device has no float8 dtypes"),
              QT_TRANSLATE_NOOP("Formats", "AutoAWQ's kernels are built for NVIDIA and AMD cards only"),
              # why vLLM and SGLang do not run on an Apple chip's GPU as modelled (core.engines.NO_APPLE_GPU)
              QT_TRANSLATE_NOOP("Formats", "its macOS build runs on the CPU only; on the GPU, the community "
                                           "vLLM-Metal plugin runs models through MLX (the MLX engine profile times "
                                           "mlx-lm's own generate, not the plugin)"),
              QT_TRANSLATE_NOOP("Formats", "its CUDA and ROCm kernels do not run there; its experimental MLX backend "
                                           "(built from source, SGLANG_USE_MLX=1) runs models through mlx-lm (the MLX "
                                           "engine profile times mlx-lm's own generate, not SGLang's scheduler)"),
              # why MLX is not timed on other cards (core.engines.APPLE_ONLY)
              QT_TRANSLATE_NOOP("Formats", "vramgui models its Metal backend on Apple chips; MLX's CUDA backend "
                                           "(Linux, NVIDIA SM 7.5 or newer) is not modelled, and it has none for AMD "
                                           "or Intel cards"),
              # why MLX offloads nothing to system RAM (core.engines.NO_OFFLOAD)
              QT_TRANSLATE_NOOP("Formats", "mlx-lm places no layer in system RAM: its generate() wires the chip's "
                                           "recommended working set (mx.set_wired_limit) and warns above 0.9 of it "
                                           "that generation can be slow; past it the model's arrays are not wired and "
                                           "macOS may page or compress them (100 GB models on a 128 GB M4 Max decoded "
                                           "about 40 times slower unwired); raise the limit with sudo sysctl "
                                           "iogpu.wired_limit_mb"),
              # what HF transformers asks of bitsandbytes weights partly in RAM (core.engines.HF_BNB_OFFLOAD)
              QT_TRANSLATE_NOOP("Formats", "HF transformers refuses bitsandbytes weights placed partly in RAM ('Some "
                                           "modules are dispatched on the CPU or the disk. Make sure you have enough "
                                           "GPU RAM to fit the quantized model') unless the BitsAndBytesConfig sets "
                                           "llm_int8_enable_fp32_cpu_offload=True. With device_map='auto' the layers "
                                           "are quantized before the map is inferred, so those it places in RAM stay "
                                           "quantized, as the plan counts; the modules a device_map of one's own "
                                           "places in RAM are not quantized but kept in the dtype loaded, more bytes "
                                           "than the plan counts"),
              # why HF transformers loads NVFP4 weights on one card, nothing in system RAM (core.engines.ONE_CARD)
              QT_TRANSLATE_NOOP("Formats", "HF transformers' NVFP4 quantizer loads the model on one CUDA device: it "
                                           "refuses a device_map over several ('NVFP4 quantization currently supports "
                                           "one CUDA device. Tensor parallelism and multi-device `device_map` "
                                           "configurations are not supported yet') and one with CPU or disk entries "
                                           "('NVFP4 quantization does not support CPU or disk offload')"),
              # which formats mlx-lm loads as stored (core.engines.MLX_CONVERTS)
              QT_TRANSLATE_NOOP("Formats", "mlx-lm loads MLX's own formats, 16- and 32-bit weights and, transformed as "
                                           "it loads them, AWQ, GPTQ 4-bit and MXFP4 checkpoints; others are converted "
                                           "first (mlx_lm.convert, -q for MLX 4-bit): these figures count this "
                                           "format's bytes at MLX's speeds"),
              # why llama.cpp, the others with MLX's formats and HF with a GGUF type do not load the weights as stored
              # (core.engines.LLAMACPP_CONVERTS, MLX_FORMATS_ONLY, HF_DEQUANTIZES_GGUF, HF_DECOMPRESSES_WHY,
              # HF_DEQUANTIZES)
              QT_TRANSLATE_NOOP("Formats", "llama.cpp loads GGUF files only: a checkpoint in this format is converted "
                                           "first (convert_hf_to_gguf.py, then llama-quantize to a GGUF type, whose "
                                           "bytes are that type's: pick it); these figures count this format's bytes "
                                           "at llama.cpp's speeds"),
              QT_TRANSLATE_NOOP("Formats", "MLX's formats are mlx-lm's own group-wise quantization (mlx_lm.convert "
                                           "-q), which only MLX loads: this engine runs the checkpoint it was "
                                           "converted from, or another quantization of it; these figures count the "
                                           "MLX format's bytes at this engine's speeds"),
              QT_TRANSLATE_NOOP("Formats", "HF transformers dequantizes a GGUF file as it loads it, to 32-bit weights "
                                           "or the dtype given, so the card holds 16- or 32-bit weights, not this "
                                           "type's bytes: pick BF16 or FP16 for its memory"),
              QT_TRANSLATE_NOOP("Formats", "HF transformers runs MXFP4 experts with its Triton kernels on cards of "
                                           "compute capability 7.5 or newer only; on an older card or an Apple chip it "
                                           "dequantizes them to BF16 as it loads them, so the card holds 16-bit "
                                           "experts, not MXFP4's bytes: pick BF16 for its memory"),
              QT_TRANSLATE_NOOP("Formats", "HF transformers runs compressed-tensors checkpoints through "
                                           "compressed-tensors' CompressedLinear, which decompresses each layer's "
                                           "weights to 16 bits on its first forward pass and keeps them: the card "
                                           "holds 16-bit weights, not this format's bytes: pick BF16 for its memory"),
              QT_TRANSLATE_NOOP("Formats", "HF transformers runs FP8 checkpoints (quant_method fp8) on cards of "
                                           "compute capability 8.9 or newer only; on an older card (an A100, an RTX "
                                           "3090) it dequantizes them to BF16 as it loads them, so the card holds "
                                           "16-bit weights, not FP8's bytes: pick BF16 for its memory"),
              # what a card outside an engine's list can expect (core.engines.CardSupport.otherwise)
              QT_TRANSLATE_NOOP("Formats", "it may run from a build of one's own, or not at all; these figures time "
                                           "it as it runs on the cards it lists"),
              QT_TRANSLATE_NOOP("Formats", "pick sdpa attention, which runs there and which vramgui counts alike"),
              QT_TRANSLATE_NOOP("Formats", "choose FP16 weights (--dtype half), the same bytes, which it runs there"),
              QT_TRANSLATE_NOOP("Formats", "vLLM with BF16 weights"),
              QT_TRANSLATE_NOOP("Formats", "vLLM with INT8 W8A8 weights"),
              QT_TRANSLATE_NOOP("Formats", "vLLM with MXFP4 experts"),
              QT_TRANSLATE_NOOP("Formats", "vLLM with NVFP4 weights"),
              QT_TRANSLATE_NOOP("Formats", "HF transformers' bitsandbytes quantization replaces torch.nn.Linear "
                                           "layers only: an MoE model's routed experts, fused 3-D parameters in "
                                           "transformers 5, stay in 16 bits (its attention, shared experts and dense "
                                           "layers are quantized)"),
              QT_TRANSLATE_NOOP("Formats", "HF transformers with NVFP4 weights"),
              QT_TRANSLATE_NOOP("Formats", "SGLang with NVFP4 weights"),
              QT_TRANSLATE_NOOP("Formats", "SGLang with GGUF weights"),
              QT_TRANSLATE_NOOP("Formats", "vLLM with bitsandbytes weights"),
              QT_TRANSLATE_NOOP("Formats", "pick AWQ or GPTQ int4, which its ROCm builds run, or FP8"),
              QT_TRANSLATE_NOOP("Formats", "run the GGUF on llama.cpp's ROCm or Vulkan build, or give SGLang an AWQ, "
                                           "GPTQ or FP8 checkpoint, which its ROCm builds run"),
              QT_TRANSLATE_NOOP("Formats", "vLLM runs NVFP4 checkpoints on it (weight-only before Blackwell), or pick "
                                           "FP8"),
              QT_TRANSLATE_NOOP("Formats", "vLLM runs NVFP4 checkpoints on it (weight-only before Blackwell), or pick "
                                           "BF16"),
              QT_TRANSLATE_NOOP("Formats", "run a GGUF of the model on llama.cpp, or a 16-bit checkpoint"),
              QT_TRANSLATE_NOOP("Formats", "run a GGUF of the model on llama.cpp, or pick FP16 weights"),
              QT_TRANSLATE_NOOP("Formats", "choose FP8 weights where the card multiplies them (Ada, Hopper, "
                                           "Blackwell), or INT8 W8A16, whose kernels run on it"))
CATEGORIES = {"datacenter": QT_TRANSLATE_NOOP("Formats", "Data centre"),
              "workstation": QT_TRANSLATE_NOOP("Formats", "Workstation"),
              "consumer": QT_TRANSLATE_NOOP("Formats", "Consumer"), "apple": QT_TRANSLATE_NOOP("Formats", "Apple"),
              "custom": QT_TRANSLATE_NOOP("Formats", "Custom")}

# how a card's memory figure was obtained (GPU.memory_mib_basis)
MEMORY_BASIS = {"driver": QT_TRANSLATE_NOOP("Formats", "as the driver reports it"),
                "marketed": QT_TRANSLATE_NOOP("Formats", "as marketed")}


def core_name(name: str) -> str:
    """A name from the core's tables (an engine, a weight format) in the window's language."""
    return translate("Formats", name)


def fit_verdict(fits: bool, min_gpus: int | None) -> str:
    """"fits", "needs N cards" or "does not fit"."""
    if fits:
        return translate("Verdict", "fits")
    if min_gpus:
        return translate("Verdict", "needs {n} cards").format(n=integer(min_gpus))
    return translate("Verdict", "does not fit")


def card_target(gpu) -> str:
    """A card's compiler target in words: 'compute capability 6.1' (NVIDIA), its AMD target ('gfx1100') or 'an Apple
    chip'."""
    if gpu.apple:
        return translate("Formats", "an Apple chip")
    cc = gpu.compute_capability
    return translate("Formats", "compute capability {cc}").format(cc=f"{cc[0]}.{cc[1]}") if cc else str(gpu.arch)


def no_gpu_backend() -> str:
    """The verdict of a card whose GPU the engine does not run on (vLLM on an Apple chip)."""
    return translate("Verdict", "no backend")


def tp_refused(tp: int) -> str:
    """The verdict of a tensor-parallel group that does not split the model's heads (core.scenario.splits_heads)."""
    return translate("Verdict", "TP {n} refused").format(n=tp)


def blocked_verdict(s) -> str | None:
    """The verdict where the scenario's engine does not run as estimated whatever the memory: not on the card's GPU
    (core.engines.runs_on_gpu), or not with its tensor-parallel group (core.scenario.Scenario.splits_attention);
    None where it does."""
    from ..core.engines import runs_on_gpu
    if not runs_on_gpu(s.engine, s.weights, s.gpu):
        return no_gpu_backend()
    if not s.splits_attention:
        return tp_refused(s.tensor_parallel)
    return None


def plan_description(plan) -> str:
    """An offload plan (:class:`~vramgui.core.offload.OffloadPlan`) in words."""
    if plan.level == "gpu":
        return translate("Verdict", "fits on GPU")
    if plan.level == "partial" and plan.copied_bytes and plan.experts_only:     # (vLLM's --cpu-offload-params)
        return translate("Verdict", "partly offloaded ({gib} GiB of routed experts a card in RAM, read from there "
                                    "each pass)").format(gib=num(plan.copied_bytes / GIB, 1))
    if plan.level == "partial" and plan.copied_bytes and plan.read_in_place:     # (vLLM: engines.READS_IN_PLACE)
        return translate("Verdict", "partly offloaded ({gib} GiB of weights a card in RAM, read from there each "
                                    "pass)").format(gib=num(plan.copied_bytes / GIB, 1))
    if plan.level == "partial" and plan.copied_bytes:      # (core.offload.plan_copied)
        return translate("Verdict", "partly offloaded ({gib} GiB of weights a card in RAM, copied each pass)").format(
            gib=num(plan.copied_bytes / GIB, 1))
    if plan.level == "partial":
        if plan.experts_on_cpu and plan.cpu_layers == 0:
            if plan.cpu_moe_layers < plan.n_layers:     # (llama.cpp's --n-cpu-moe N)
                return translate("Verdict", "partly offloaded (experts of {cpu} of {n} layers on CPU)").format(
                    cpu=plan.cpu_moe_layers, n=plan.n_layers)
            return translate("Verdict", "partly offloaded (experts on CPU)")
        if plan.output_only:            # (the llama.cpp of 2023: -ngl n_layer leaves the output layer on the CPU)
            return translate("Verdict", "partly offloaded (all {n} layers on GPU, the output layer on CPU)").format(
                n=plan.n_layers)
        return layers_on_gpu(plan.gpu_layers, plan.n_layers, plan.output_on_gpu)
    if plan.level == "cpu":
        return translate("Verdict", "CPU only")
    return translate("Verdict", "does not fit in RAM either")


def layers_on_gpu(gpu_layers: int, n_layers: int, output: bool = False) -> str:
    """A partial offload in words; ``output``: the output layer is on the card too (current llama.cpp's -ngl)."""
    if output:
        return translate("Verdict", "partly offloaded ({gpu} of {n} layers and the output layer on GPU)").format(
            gpu=gpu_layers, n=n_layers)
    return translate("Verdict", "partly offloaded ({gpu} of {n} layers on GPU)").format(gpu=gpu_layers, n=n_layers)


def plan_cell(plan) -> str:
    """An offload plan in a table's verdict column: a layer split in short, so the column
    leaves the card names room at 1366 pixels; other levels as :func:`plan_description`."""
    if plan.level == "partial" and plan.copied_bytes:      # (core.offload.plan_copied)
        return copied_cell(plan.copied_bytes, plan.read_in_place)
    if plan.level == "partial" and plan.cpu_layers:
        return layer_split_cell(plan.gpu_layers, plan.n_layers)
    if plan.output_only:
        return output_only_cell()
    if plan.level == "partial" and 0 < plan.cpu_moe_layers < plan.n_layers:    # (--n-cpu-moe N)
        return experts_cell(plan.cpu_moe_layers, plan.n_layers)
    return plan_description(plan)


def experts_cell(layers: int, n_layers: int) -> str:
    """A table's cell for a partial offload with the routed experts of ``layers`` of the ``n_layers`` layers in RAM
    (every layer's: "partly offloaded (experts on CPU)", as the plan says it)."""
    if layers >= n_layers:
        return translate("Verdict", "partly offloaded (experts on CPU)")
    return translate("Verdict", "offloaded: {cpu}/{n} layers' experts on CPU").format(cpu=layers, n=n_layers)


def output_only_cell() -> str:
    """A table's cell for a partial offload with every layer on the card(s) and the output layer in RAM."""
    return translate("Verdict", "offloaded: output layer on CPU")


def copied_cell(copied_bytes: float, in_place: bool) -> str:
    """A table's cell for an offload that keeps ``copied_bytes`` of a card's weights in RAM and copies them to it for
    every pass (core.offload.plan_copied), or where ``in_place`` has the card read them there (vLLM)."""
    if in_place:
        return translate("Verdict", "offloaded: {gib} GiB read from RAM").format(gib=num(copied_bytes / GIB, 1))
    return translate("Verdict", "offloaded: {gib} GiB copied each pass").format(gib=num(copied_bytes / GIB, 1))


def layer_split_cell(gpu_layers: int, n_layers: int) -> str:
    return translate("Verdict", "offloaded: {gpu}/{n} layers on GPU").format(gpu=gpu_layers, n=n_layers)


def fit_margin_tip(spare: float, margin: float, more: str = "") -> str:
    """Where a model fits with less to spare (bytes) than llama-server's automatic placement keeps free (``margin``,
    core.fit.auto_fit_headroom): what it would do, ``more`` to say, and the source."""
    return (translate("Verdict", "{spare} MiB to spare, under the {margin} MiB llama-server and llama-cli keep free "
                                 "when they place the layers themselves (--fit, on by default since Dec 2025): they "
                                 "would move layers to the CPU. Give -ngl all to keep every layer on the card.").format(
                spare=integer(round(spare / MIB)), margin=integer(round(margin / MIB)))
            + (" " + more if more else "") + "\n(" + translate("Verdict", "llama.cpp PR #16653") + ")")


def plan_badge(plan) -> str:
    """The short form on the breakdown's badge."""
    if plan.level == "partial" and plan.copied_bytes:      # (core.offload.plan_copied)
        return translate("Verdict", "offload {gib} GiB").format(gib=num(plan.copied_bytes / GIB, 1))
    if plan.level == "partial":
        if plan.cpu_layers:
            return translate("Verdict", "offload {gpu}/{n}").format(gpu=plan.gpu_layers, n=plan.n_layers)
        if plan.output_only:
            return translate("Verdict", "output on CPU")
        return translate("Verdict", "experts on CPU")
    return {"cpu": translate("Verdict", "CPU only"), "none": translate("Verdict", "does not fit"),
            "gpu": translate("Verdict", "fits")}[plan.level]


def context_cell(tokens: int | None, limit: int | None, short: bool = False) -> str:
    """A table's largest context: "-" where nothing fits; where memory allows more than the
    model's own limit, the limit, said so (``short``: in a narrow column)."""
    if tokens is None:
        return "-"
    if limit is not None and tokens > limit:
        text = translate("FitTable", "{n} (limit)") if short else translate("MachineTab", "{n} (model limit)")
        return text.format(n=integer(limit))
    return integer(tokens)


def ram_context_cell(tokens: int | None, limit: int | None, short: bool = True) -> str:
    """An offloaded row's largest context in a table (the cards and the System RAM together): "(RAM)" after it, or
    the model's limit where memory allows more (``short``: as :func:`context_cell`); "…" while it is being worked
    out (``tokens`` is ``...``)."""
    if tokens is ...:
        return "…"
    if tokens is None or (limit is not None and tokens > limit):
        return context_cell(tokens, limit, short=short)
    return translate("FitTable", "{n} (RAM)").format(n=integer(tokens))


def ram_count_cell(n) -> str:
    """An offloaded row's most sequences in a table (the cards and the System RAM together): "(RAM)" after it; "0"
    where not one fits; "…" while it is being worked out (``n`` is ``...``)."""
    if n is ...:
        return "…"
    return translate("FitTable", "{n} (RAM)").format(n=integer(n)) if n > 0 else integer(0)


def money(x: float) -> str:
    """A cost: two decimals, more below 1 (0.0274) so a cheap token does not read 0.00."""
    return num(x, 2 if x >= 1 else 3 if x >= 0.1 else 4)


#: Words a card's name can do without in a narrow column, dropped in turn: the maker, then the
#: product line ("NVIDIA GeForce RTX 4090" -> "GeForce RTX 4090" -> "RTX 4090").
MAKERS = ("NVIDIA ", "AMD ", "Apple ", "Intel ")
LINES = ("GeForce ", "Radeon Instinct ", "Radeon ", "Instinct ", "Tesla ", "Ryzen ", "Jetson ")


def name_forms(name: str) -> tuple[str, ...]:
    """A card's name, then shorter: without its maker, then without its product line; the
    model ("RTX 4090", "MI300X", "H100 80GB HBM3 (SXM5)") is what tells rows apart, and an
    elided middle cut it out ("NVIDIA …TX 4090", "AMD Ins…t MI100", "NVIDIA … (SXM5)" twice)."""
    forms = [name]
    rest = next((name[len(m):] for m in MAKERS if name.startswith(m)), name)
    if rest != name:
        forms.append(rest)
    line = next((rest[len(w):] for w in LINES if rest.startswith(w)), rest)
    if line != rest and line:
        forms.append(line)
    return tuple(forms)


def fitted_text(text: str, room: int, fm, card: bool = False) -> str:
    """``text`` as a table cell or a picker ``room`` pixels wide shows it (``fm``: its font's
    metrics): whole where it fits, else (a card's name) its first shorter form that fits
    (:func:`name_forms`), else its shortest elided: at the end where the maker was dropped (the
    model then leads: "AI PRO R9700 (3…") or where another text's remark in brackets can give
    way (below), in the middle otherwise (the start and the end tell apart names of one maker)."""
    forms = name_forms(text) if card else (text,)
    for form in forms:
        if fm.horizontalAdvance(form) <= room:
            return form
    if not card and _REMARK.search(text):       # (a card's brackets hold its memory or form factor: kept)
        # a trailing remark gives way first, then the name's end: "Granite 4.0 H Small (MoE, Ma…", not
        # "Granite 4.0 H … Mamba hybrid)", and "Llama 4 Scout 17B-16E Ins…", not "Llama 4 Scout 1… Instruct (MoE)"
        # (a model's name leads with what tells it apart: family, size); "131,072 (li…" keeps the number
        return fm.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, room)
    mode = QtCore.Qt.TextElideMode.ElideRight if len(forms) > 1 else QtCore.Qt.TextElideMode.ElideMiddle
    return fm.elidedText(forms[-1], mode, room)


#: A text ending in a remark in brackets ("Qwen3-Next 80B-A3B (MoE, hybrid)", "4,096 (limit)").
_REMARK = re.compile(r"\S \([^()]*\)$")


#: A memory size in a card's name ("H100 80GB HBM3 (SXM5)", "M3 Ultra (80-core GPU, 512GB)").
_SIZE_IN_NAME = re.compile(r"\d\s?[GT]B\b")


def card_entry(name: str, size: str, mark: str = "") -> str:
    """A card as the GPU picker lists it: "NVIDIA GeForce RTX 4090  (24 GiB)", a user preset's star last."""
    return f"{name}  {size}{mark}"


def fitted_card(name: str, size: str, room: int, fm, mark: str = "") -> str:
    """A card picker's chosen entry in ``room`` pixels: its name (:func:`name_forms`, longest
    first) and its memory ``size`` ("(80 GiB)"), then, where the name states its memory
    ("H100 80GB HBM3 (SXM5)"), the name alone; else the name elided at its end before the
    size ("RTX 6000 Ada Gen…  (48 GiB)"): the size is what a sizing tool's user reads, and an
    elided end cut it ("H100 80GB HBM3 (SXM5)  (80 …").  ``mark`` (a user preset's star)
    stays at the end."""
    def whole(form: str) -> str:
        return card_entry(form, size, mark)

    forms = name_forms(name)
    for form in forms:
        if fm.horizontalAdvance(whole(form)) <= room:
            return whole(form)
    if _SIZE_IN_NAME.search(name):
        for form in forms:
            if fm.horizontalAdvance(form + mark) <= room:
                return form + mark
    left = room - fm.horizontalAdvance(whole(""))
    if left >= fm.horizontalAdvance(forms[-1][:3] + "…"):
        return fm.elidedText(forms[-1], QtCore.Qt.TextElideMode.ElideRight, left) + whole("")
    return fm.elidedText(whole(forms[-1]), QtCore.Qt.TextElideMode.ElideRight, room)
