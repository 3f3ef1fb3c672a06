"""Fine-tuning memory per card: weights, gradients, optimizer states, activations,
logits, overhead — full fine-tuning, LoRA and QLoRA, with ZeRO across data-parallel cards.

Bytes per trainable parameter (weights + gradients + optimizer, ZeRO paper §3 /
Rajbhandari et al., 2020 for the mixed-precision case):

=============  ==========================================================  ===========
optimizer      what is stored                                              bytes/param
=============  ==========================================================  ===========
adamw          bf16 weights 2 + bf16 grads 2 + fp32 master 4 + m 4 + v 4   16
adamw-bf16     bf16 weights 2 + grads 2 + m 2 + v 2 (pure bf16)            8
adamw-8bit     bf16 weights 2 + grads 2 + m 1 + v 1 (bitsandbytes blocks)  6
adafactor      bf16 weights 2 + grads 2 + factored second moment           4 + 4·(r+c)/(r·c)
sgd-momentum   bf16 weights 2 + grads 2 + momentum 2                       6
sgd            bf16 weights 2 + grads 2                                    4
=============  ==========================================================  ===========

LoRA and QLoRA adapters are peft's default fp32 adapters: fp32 weights and gradients, the
optimizer's states without a master copy (``adamw``: 16 bytes per trainable parameter);
with ``adamw-bf16`` bf16 adapters and moments (8).

The popular "8 bytes per parameter" rule is the pure-bf16 AdamW row (weights, grads and
two bf16 moments); the 16-byte figure adds the fp32 master copy and fp32 moments that
mixed-precision training keeps.

Activations per layer without recomputation: the terms of Korthikanti et al. (2022), "Reducing
Activation Recomputation in Large Transformer Models", §4.1, written for the actual architecture
(GQA's smaller K/V, a gated MLP of width f) and for what HF transformers' layers keep for the
backward pass, counted with saved-tensor hooks (``benchmarks/count_hf_activations.py``): no
dropout masks unless the config asks for dropout (:func:`layer_activation_bytes`); an RMSNorm keeps its fp32
input; what a weight's gradient needs (a norm's normalized input, a projection's input) is kept only when that
weight trains, so full fine-tuning keeps more a layer than a frozen base with LoRA.  Flash / SDPA attention
drops the scores eager attention keeps (``6·h·s²·b`` bytes: :func:`eager_attention_bytes`); full recomputation
keeps each layer's ``2·s·b·d`` input and recomputes one layer at a time.

The peak is the largest of a step's three phases (:func:`training_memory`): the loss at the
backward pass's start (every stored activation and the logits; PyTorch's ``zero_grad`` has set
the gradients to None), the backward pass (the gradients grow as the activations are freed) and
the optimizer's step (the gradients and the step's own temporaries); the weights and optimizer
states are alive throughout.  With gradient accumulation the gradients are alive through every
micro-batch after the first.  PyTorch's caching allocator adds what its pool cannot reuse
(:data:`ALLOCATOR_FRACTION`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .architecture import Architecture
from .engines import HF_NO_SDPA, HF_NO_SDPA_WHY, SDPA_MATH_WHY, hf_flash_refusal, hf_resident_extras, sdpa_math_path
from .formats import WEIGHT_FORMATS, wide_experts
from .params import count_params
from .presets import GPU, ModelPreset
from .units import GIB, MIB
from .weights import weight_bytes

Method = Literal["full", "lora", "qlora"]
Optimizer = Literal["adamw", "adamw-bf16", "adamw-8bit", "adafactor", "sgd-momentum", "sgd"]
Checkpointing = Literal["none", "full", "selective"]
TARGETS = ("q", "k", "v", "o", "gate", "up", "down", "in_proj", "out_proj")
TARGET_ALIASES = {"q_proj": "q", "k_proj": "k", "v_proj": "v", "o_proj": "o", "output_proj": "o",
                  "gate_proj": "gate", "up_proj": "up", "down_proj": "down", "w1": "gate", "w3": "up", "w2": "down",
                  "in_proj_qkvz": "in_proj", "in_proj_ba": "in_proj", "in_proj_qkv": "in_proj", "in_proj_z": "in_proj",
                  "in_proj_a": "in_proj", "in_proj_b": "in_proj", "dense_h_to_4h": "up", "dense_4h_to_h": "down",
                  "output_linear": "down"}
#: Module names of fused projections (:data:`FUSED_PROJECTIONS`), each standing for all its roles.
TARGET_GROUP_ALIASES = {"qkv_proj": ("q", "k", "v"), "query_key_value": ("q", "k", "v"), "Wqkv": ("q", "k", "v"),
                        "gate_up_proj": ("gate", "up"), "input_linear": ("gate", "up"),
                        "q_a_proj": ("q",), "q_b_proj": ("q",), "kv_a_proj_with_mqa": ("k", "v"),
                        "kv_b_proj": ("k", "v")}

#: Projections transformers builds as one linear module (their modeling files, transformers 5.24): Phi-3's qkv_proj
#: and gate_up_proj, Falcon's, GPT-NeoX's, BLOOM's and Persimmon's query_key_value, CodeGen's qkv_proj, GPT-2's and
#: StarCoder's c_attn (GPT-2's a Conv1D, which peft adapts alike), MPT's Wqkv, GLM's and GLM-4's gate_up_proj,
#: Granite 4's and GraniteMoeShared's shared_mlp.input_linear (gate and up).
#: peft adapts such a module as one matrix: targeting any of its roles adapts it, r·(d_in + its outputs summed)
#: once, and the adapter keeps its input once (counted with saved-tensor hooks on a narrow Phi-3:
#: benchmarks/count_hf_activations.py --lora, exact).
FUSED_PROJECTIONS = {"phi3": (("q", "k", "v"), ("gate", "up")), "falcon": (("q", "k", "v"),),
                     "gpt_neox": (("q", "k", "v"),), "bloom": (("q", "k", "v"),), "codegen": (("q", "k", "v"),),
                     "gpt2": (("q", "k", "v"),), "gpt-sw3": (("q", "k", "v"),), "gpt_bigcode": (("q", "k", "v"),),
                     "mpt": (("q", "k", "v"),), "persimmon": (("q", "k", "v"),),
                     "glm": (("gate", "up"),), "glm4": (("gate", "up"),), "glm4v_text": (("gate", "up"),),
                     "granitemoehybrid": (("gate", "up"),), "granitemoeshared": (("gate", "up"),)}
#: Fused q, k and v projections whose output stays alive whole through the values SDPA keeps, which are a view of it,
#: while the rotary embedding builds the queries and keys anew: GPT-NeoX's query_key_value and Phi-3's qkv_proj keep
#: ``2·(d_q + d_kv)`` a token beyond the values (as HF's Trainer runs them, ``use_cache=False``; a DynamicCache copies
#: the keys and values and frees it): counted with saved-tensor hooks on narrow layers of both
FUSED_QKV_KEPT = frozenset({"gpt_neox", "phi3"})


def fused_qkv_kept(a: Architecture) -> bool:
    """The values are a view of a fused q/k/v projection's output (:data:`FUSED_QKV_KEPT`; Falcon's multi-head layers,
    :attr:`~vramgui.core.architecture.Architecture.falcon_layout`): what keeps them keeps that output whole."""
    return a.model_type in FUSED_QKV_KEPT or a.falcon_layout == "multi_head"


def fused_qkv_whole(a: Architecture, attention: str, b):
    """Whether the fused q/k/v output is kept whole (:func:`fused_qkv_kept`) with ``attention`` for micro-batches of
    ``b``: eager's matmul copies the values of more than one sequence, and repeat_kv grouped ones, whose view then goes
    (counted on narrow Phi-3 and Falcon layers)."""
    if not fused_qkv_kept(a):
        return False
    if attention != "eager":
        return True
    return (np.asarray(b) == 1) & (a.num_kv_heads in (1, a.num_heads))
#: Vision towers (their config's model_type) whose linear modules transformers 5.24 names as the language model's
#: LoRA targets, so that peft adapts them too (a target name matches every module ending in it): SigLIP (Gemma 3)
#: and CLIP q_proj, k_proj, v_proj and out_proj (their attention's output: the out_proj role's name); Llama 3.2
#: Vision's and Llama 4's q/k/v/o_proj; Pixtral's q/k/v/o_proj and gate/up/down_proj; Qwen2.5-VL's gate/up/down_proj
#: (its attention a fused qkv).  peft's own counts on Mistral Small 3.1, Gemma 3 4B and 12B, Llama 3.2 11B Vision,
#: Llama 4 Scout and Qwen2.5-VL 7B built from their config.json, one target at a time, equal them; Qwen3-VL's and
#: Qwen3.5's towers take none
VISION_LORA_ROLES = {"siglip_vision_model": ("q", "k", "v", "out_proj"),
                     "clip_vision_model": ("q", "k", "v", "out_proj"),
                     "mllama_vision_model": ("q", "k", "v", "o"), "llama4_vision_model": ("q", "k", "v", "o"),
                     "pixtral": ("q", "k", "v", "o", "gate", "up", "down"), "qwen2_5_vl_vision": ("gate", "up", "down")}

#: Vision towers (their config's model_type) whose projections transformers 5.24 builds as layers peft 0.21 cannot
#: adapt under the language model's names: Gemma 4's Gemma4ClippableLinear q_proj ... down_proj (modeling_gemma4.py);
#: peft refuses the plain names on such a checkpoint (its own error on Gemma 4 31B and E2B built from their
#: config.json, every one of the seven names), and a regular expression naming the language model's adapts them.
PEFT_CLASHING_TOWERS = frozenset({"gemma4_vision"})

#: Model types whose Mamba mixers' out_proj peft 0.21 refuses to adapt (tuners_utils.py,
#: _check_lora_target_modules_mamba: "Module 'out_proj' is incompatible with Mamba-based models", conv1d too; its
#: all-linear includes them, so it fails alike): a target on it is refused, and a model without attention takes the
#: mixers' in_proj alone by default.
PEFT_MAMBA_TYPES = frozenset({"falcon_h1", "mamba", "mamba2", "falcon_mamba", "nemotron_h"})
#: Roles whose modules a model names alike, so that a target on either adapts both (LFM2: its attention's output
#: projection and its short convolutions' are both out_proj, modeling_lfm2.py).
SHARED_NAMES = {"lfm2": (("o", "out_proj"),)}

#: Multi-head latent attention's keys and values both come out of kv_a_proj_with_mqa and kv_b_proj
#: (modeling_deepseek_v3.py): a target on either adapts the two, which :func:`linear_shapes` lists under this role.
MLA_KV = "kv"

#: HF model types whose MoE MLP names peft maps onto transformers 5's fused routed experts (peft 0.21.2
#: utils/transformers_weight_conversion.py: the types its _MODEL_TO_CONVERSION_PATTERN leads to the "mixtral" or
#: "qwen2_moe" pattern, converted by _convert_peft_config_moe): a LoRA target naming the MLP's gate, up or down
#: projections (gate_proj / up_proj / down_proj; Mixtral's and MiniMax's w1 / w3 / w2) becomes a target parameter,
#: gate_up_proj (gate and up together, at twice the rank: its rank_pattern) or down_proj, which adapts every routed
#: expert (peft's ParamWrapper: r·E rows for E experts); the names leave target_modules, so the shared experts' and
#: the dense layers' MLPs, linear modules of those names, take no adapter.  Gate without up, or up without gate,
#: peft refuses ("Cannot convert PEFT target(s) ... because they are fused into gate_up_proj").  Other MoE types
#: keep their experts' names unconverted: their fused experts take none (SOURCES["lora_routed"]).
PEFT_FUSED_EXPERTS = frozenset({
    "mixtral", "minimax", "minimax_m2",                        # the "mixtral" pattern: w1, w3 (fused), w2
    "afmoe", "beam", "cohere2_moe", "deepseek_v2", "deepseek_v3", "deepseek_v32", "dots1", "ernie4_5_moe",
    "exaone_moe", "flex_olmo", "glm4_moe", "glm4_moe_lite", "glm4v_moe", "glm_moe_dsa", "hunyuan_v1_moe",
    "longcat_flash", "mellum", "olmoe", "qwen3_moe", "qwen3_next", "qwen3_omni_moe", "qwen3_omni_moe_text",
    "qwen3_omni_moe_thinker", "sarvam_mla", "solar_open"})    # "qwen2_moe": gate_proj, up_proj (fused), down_proj
MLP_TARGETS = ("gate", "up", "down")

#: peft's "all-linear": every torch.nn.Linear of the model but the output layer (tuners_utils.py,
#: _maybe_include_all_linear_layers), which the validator keeps beside the nine roles it covers, for the linear modules
#: no role names (:func:`all_linear_shapes`, :attr:`~vramgui.core.architecture.VisionEncoder.adapter_width`).
ALL_LINEAR = "all-linear"
#: MoE model types whose router peft 0.21 adapts under all-linear, r·(d + E) a MoE layer: an nn.Linear router in
#: transformers 5.24 (LINEAR_ROUTER_MODULES: Phi-3.5-MoE's mlp.router, Gemma 4's router.proj, Llama 4's Llama4Router,
#: HunYuan's gate.wg), or, where it converts the MLP's names (:data:`PEFT_FUSED_EXPERTS`), the router module's weight
#: by its v4 name (utils/transformers_weight_conversion.py: _MOE_TARGET_MODULE_MAPPING's "gate": "gate.weight", added
#: by _resolve_string_target_modules for all-linear).  Elsewhere the router is a bare parameter peft's all-linear
#: passes by (gpt-oss, Jamba, Qwen3.5's, Kimi Linear's, Mistral 4's, DeepSeek-V4's, Granite 4's, Nemotron-H's).
LINEAR_ROUTER_MODULES = frozenset({"phimoe", "gemma4_text", "llama4_text", "hunyuan_v1_moe"})
LINEAR_ROUTERS = PEFT_FUSED_EXPERTS | LINEAR_ROUTER_MODULES
#: Of those, the routers whose module is torch.nn.Linear itself, which HF's bitsandbytes quantization replaces (it
#: takes ``type(module) is nn.Linear``): Gemma 4's router.proj and HunYuan's gate.wg; Phi-3.5-MoE's PhimoeTopKRouter
#: and Llama 4's Llama4Router are subclasses and stay 16-bit.
BNB_ROUTERS = frozenset({"gemma4_text", "hunyuan_v1_moe"})


#: Families whose query reaches attention laid out by head (their rotary embedding's cat after the transpose; Qwen3-
#: Next's and Qwen3.5's even with every dimension rotated), so that attention's output keeps that layout and what
#: reads it reads a transposed copy: o_proj, which keeps it when it trains, or the output gate, which keeps it always
#: (2·d_o a token; counted with saved-tensor hooks on narrow layers of each, on the CPU's flash attention; CUDA's
#: allocates its output empty_like the transposed query, its strides kept, alike)
QUERY_BY_HEAD = frozenset({"phi3", "phi", "gpt_neox", "glm", "glm4", "glm4_moe", "stablelm", "nemotron", "persimmon",
                           "minimax_m2", "sarvam_moe", "qwen3_next", "qwen3_5", "qwen3_5_text", "qwen3_5_moe",
                           "qwen3_5_moe_text"})
#: Model types whose attention output gate is a module of its own named gate_proj, not a second half of q_proj
#: (AFMoE, modeling_afmoe.py; Beam, modeling_beam.py): the "gate" role's; where peft converts the MLP's names
#: (:data:`PEFT_FUSED_EXPERTS`, both among them) the name goes to the experts and the attention's gate takes no
#: adapter, by name or all-linear.
ATTENTION_GATE_PROJ = frozenset({"afmoe", "beam"})


def in_proj_widths(a: Architecture, g) -> tuple[int, ...]:
    """The outputs of each linear module a recurrent mixer ``g`` of ``a`` has for its input projections, as
    transformers builds them (each with its own adapter; ``in_proj`` targets them all): Qwen3-Next in_proj_qkvz (q, k,
    v, z) and in_proj_ba (b and a, one per value head); Qwen3.5 and Lara-4-Mini in_proj_qkv, in_proj_z, in_proj_b and
    in_proj_a; MiniMax-Text-01's lightning layers qkv_proj and output_gate (modeling_qwen3_next.py,
    modeling_qwen3_5.py, modeling_lara_mini.py, modeling_minimax.py); one module elsewhere (Mamba-2's in_proj,
    Nemotron-H's too)."""
    mt = a.model_type
    if g is a.linear_attention and mt == "qwen3_next":
        return 2 * g.key_dim + 2 * g.value_dim, 2 * g.num_value_heads
    if g is a.linear_attention and (mt.startswith("qwen3_5") or mt == "lara_mini"):
        return 2 * g.key_dim + g.value_dim, g.value_dim, g.num_value_heads, g.num_value_heads
    if g is a.lightning and mt == "minimax":
        return 3 * g.width, g.width
    return (g.in_proj_width,)


# bytes per trainable parameter: (weights, gradients, optimizer states incl. master copy)
OPTIMIZER_BYTES = {
    "adamw": (2.0, 2.0, 12.0), "adamw-bf16": (2.0, 2.0, 4.0), "adamw-8bit": (2.0, 2.0, 2.0),
    "adafactor": (2.0, 2.0, 0.0), "sgd-momentum": (2.0, 2.0, 2.0), "sgd": (2.0, 2.0, 0.0),
}
# LoRA/QLoRA adapters are the trainable weights themselves, with no separate master copy: as peft builds
# them by default, in fp32 (get_peft_model's autocast_adapter_dtype) with fp32 gradients and the optimizer's
# states in their dtype (8-bit AdamW's one byte a moment); "adamw-bf16" is bf16 adapters and moments
# (torchtune's, or peft's cast to bf16). The weights' bytes say which (:func:`fp32_adapters`).
ADAPTER_BYTES = {"adamw": (4.0, 4.0, 8.0), "adamw-bf16": (2.0, 2.0, 4.0), "adamw-8bit": (4.0, 4.0, 2.0),
                 "adafactor": (4.0, 4.0, 0.0), "sgd-momentum": (4.0, 4.0, 4.0), "sgd": (4.0, 4.0, 0.0)}
#: Bytes per trainable parameter that PyTorch's foreach AdamW (``torch.optim.AdamW``'s default on CUDA) allocates
#: at its step: the square root of every second moment in a new tensor, in the moments' dtype
#: (``torch._foreach_sqrt(exp_avg_sqs)`` in torch/optim/adam.py's multi-tensor path), alive with the weights,
#: gradients and states once the backward pass has freed the activations. Fused steps (``fused=True``; HF's
#: Trainer default ``adamw_torch_fused``) and bitsandbytes' 8-bit AdamW update in place.
FOREACH_STEP_BYTES = {"adamw": 4.0, "adamw-bf16": 2.0}
OptimizerStep = Literal["fused", "foreach"]
#: Bytes an element of an adapted matrix's input (and of lora_A's output) that fp32 adapters keep (bf16
#: adapters read the token's bf16 input the formula already counts)
ADAPTER_ACT_BYTES = 4.0
#: Bytes per logit at the backward pass's start: the loss keeps its fp32 log-probabilities (4), its gradient
#: is a dense fp32 tensor (4) and log_softmax's input gradient another (4); the bf16 logits and their fp32
#: copy are gone by then (transformers' ForCausalLMLoss; fits vramgui's measured peaks, SOURCES["phases"])
LOGIT_BYTES = 12.0
#: Bytes more per logit where the model soft-caps its logits (tanh(x / c)·c, :attr:`~vramgui.core.architecture.
#: Architecture.logit_softcap`): the tanh's bf16 output, which its backward reads, is alive beside the loss's
#: (measured with PyTorch's memory profiler: benchmarks/count_hf_activations.py's logit_bytes)
SOFTCAP_LOGIT_BYTES = 2.0
CUDA_CONTEXT_BYTES = 0.75 * GIB     # measured: a training process's memory beside torch's pool (H200, torch 2.11)
DATA_PARALLEL_BYTES = 256 * MIB   # NCCL buffers and DDP/FSDP communication buckets per card
#: What PyTorch's allocator needs beyond the allocated peak, as a share of the step's transient memory (the
#: largest phase beyond the weights and optimizer states): the default caching allocator, and expandable
#: segments (``PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True``), measured (SOURCES["ALLOCATOR_FRACTION"])
ALLOCATOR_FRACTION = {"caching": 0.08, "expandable": 0.02}
Allocator = Literal["caching", "expandable"]

#: Where the figures above come from, shown in the explain panel ("assumption": a round
#: figure no measurement pins down).
SOURCES = {
    "OPTIMIZER_BYTES": "ZeRO paper §3 (Rajbhandari et al., 2020) for mixed-precision AdamW (16 bytes per "
                       "parameter); the other optimizers count the states they keep",
    "ADAPTER_BYTES": "peft's get_peft_model keeps adapters in fp32 by default (autocast_adapter_dtype=True, "
                     "peft 0.21), so mixed-precision AdamW holds fp32 weights, gradients and moments and needs no "
                     "master copy; 'adamw-bf16' is bf16 adapters and moments (torchtune's LoRA recipes; the QLoRA "
                     "recipe, Dettmers et al., 2023, kept bf16 adapters beside 32-bit paged AdamW)",
    "activations": "Korthikanti et al., 2022, \"Reducing Activation Recomputation in Large Transformer "
                   "Models\", §4.1, written for the actual architecture and for what HF transformers' layers keep "
                   "(counted with saved-tensor hooks, benchmarks/count_hf_activations.py: a Llama layer keeps "
                   "16d + 8 + 2·d_q + 4·d_kv + 2·d_o + 4h + 8f bytes a token when every weight trains, "
                   "8d + 8 + 2·d_q + 4·d_kv + 2·d_o + 4h + 6f with a frozen base)",
    "phases": "measured by vramgui on an H200 (torch 2.11, transformers 5.17): the allocated peaks of 41 "
              "fine-tuning runs of 16 setups (Llama 3.2 1B, Llama 2 7B, Qwen2.5 7B, Qwen3 4B; full and LoRA, with "
              "and without checkpointing, foreach and fused steps, one and two micro-batches a step, the latter "
              "estimated before they ran) meet the largest phase within -1.1 to +0.5 % "
              "(tests/data/measured/training.jsonl own- points)",
    "ALLOCATOR_FRACTION": "measured by vramgui on an H200 (torch 2.11): torch's pool capped at multiples of "
                          "the allocated peak until the run completes (benchmarks/measure_training.py --caps); "
                          "the caching allocator needed 2-10 % above the allocated peak in six of seven setups, "
                          "4-12 % of the peak phase (Qwen3 4B full fine-tuning with checkpointing 15-20 % of the "
                          "allocated peak, its logits' and step's phases alike in size), expandable segments 0-2 % "
                          "in all three (tests/data/measured/training.jsonl own- 'needed' points)",
    "lora": "LoRA (Hu et al., 2021): rank r adapters add r · (d_in + d_out) parameters per matrix",
    "lora_routed": "peft's LoRA adapts the modules its target_modules name where they are torch.nn.Linear (or its "
                   "other supported layers); transformers 5 keeps an MoE model's routed experts as fused 3-D "
                   "parameters (gate_up_proj, down_proj), no such module. For the model types of "
                   "PEFT_FUSED_EXPERTS peft 0.21.2 converts the MLP's names into target_parameters "
                   "(utils/transformers_weight_conversion.py, _convert_peft_config_moe): every routed expert is "
                   "adapted, gate_up_proj at twice the rank (2r·E·(d + 2f) a layer, d the experts' width and f "
                   "theirs), down_proj at the rank (r·E·(f + d)), and the shared experts and dense MLPs, whose "
                   "linear modules the converted names no longer reach, take none: peft's own count on Qwen3-30B-A3B "
                   "built from its config.json, r16 on q, k, v, o, gate_proj, up_proj and down_proj, is 994,836,480. "
                   "Other MoE types (Qwen2-MoE, Qwen3.5, Llama 4, gpt-oss, Phi-3.5-MoE, Nemotron-H...) keep the "
                   "names: their routed experts take no adapter, their shared experts and dense MLPs do",
    "lora_fused_act": "peft 0.21.2's ParamWrapper folds a fused parameter's adapters into it for the forward pass "
                      "(_LoraFactorsProxy: torch.baddbmm(W, lhs, rhs), a new tensor the size of the layer's expert "
                      "stack), which the experts' grouped matmul keeps for the backward pass with its input, now that "
                      "the weight needs a gradient, and baddbmm keeps the two factors cast to the weight's dtype; the "
                      "weight's gradient, the stack's size again, is made in the backward pass. Counted with "
                      "saved-tensor hooks on a narrow Qwen3-MoE (benchmarks/count_hf_activations.py --lora): exact",
    "kbit_upcast": "peft's prepare_model_for_kbit_training (peft 0.21, utils/other.py: 'cast all non INT8 "
                   "parameters to fp32', every float16 / bfloat16 parameter that is not a bitsandbytes Params4bit), "
                   "which the QLoRA paper's qlora.py, TRL's SFTTrainer given a 4-bit model and Axolotl call; "
                   "torchtune, Unsloth and a plain peft loop without it keep them in 16 bits. Counted from the "
                   "source, not measured: the fp32 norms' effect on the activations (their outputs in fp32) and "
                   "autocast's 16-bit copy of an fp32 LM head are not added",
    "mamba_kernels": "mamba-ssm's fused kernel, which transformers' Mamba-2 mixers call in training where "
                     "mamba-ssm and causal-conv1d are installed (mamba2_split_conv1d_scan_combined, transformers "
                     "5.24): MambaSplitConv1dScanCombinedFn.forward (mamba_ssm/ops/triton/ssd_combined.py) keeps the "
                     "input projection's output, the scan's output before the gated norm in the input's dtype and "
                     "the norm's fp32 inverse RMS per group and token, and recomputes the convolution, the scan's "
                     "states and out_proj's input in the backward pass. Read from the source, not measured on a GPU; "
                     "what transformers keeps around the call counted with saved-tensor hooks, the kernel stood in "
                     "for (benchmarks/count_hf_activations.py's mamba_ssm_kernel): exact",
    "padded": "transformers 5.24's sdpa_attention_forward (integrations/sdpa_attention.py: use_gqa_in_sdpa hands "
              "SDPA unrepeated keys and values only without a mask; with one, repeat_kv copies them to every query "
              "head) and create_causal_mask (masking_utils.py: a 4-D mask where the attention_mask a collator pads "
              "has zeros, none where it is all ones); PyTorch's SDPA converts a boolean mask to the queries' dtype "
              "in every call (convert_boolean_attn_mask) and the memory-efficient kernel keeps it for its backward "
              "pass. Counted with saved-tensor hooks on narrow layers, the last sequence of a micro-batch a quarter "
              "shorter (benchmarks/count_hf_activations.py, padded): exact. Flash attention (flash_attention_2) "
              "unpads the batch instead, counted as without padding",
    "FOREACH_STEP_BYTES": "PyTorch's multi-tensor AdamW step (torch/optim/adam.py: torch._foreach_sqrt of the second "
                          "moments into new tensors); measured by vramgui on an H200 (torch 2.11): Llama 2 7B full "
                          "fine-tuning with bf16 moments peaked at 62.82 GiB allocated, 6,738,415,616 parameters x 10 "
                          "bytes = 62.76 GiB (weights, gradients, two moments and the copy; tests/data/measured/"
                          "training.jsonl own- points)",
    "overhead": "CUDA context and libraries' handles 0.75 GiB per card, measured by vramgui (the device's used "
                "memory less torch's reserved pool after training steps on an H200, torch 2.11: 0.749 GiB in all "
                "14 runs, tests/data/measured/training.jsonl own- points; inference processes hold 0.69), plus "
                "≈ 0.25 GiB of NCCL and DDP/FSDP buckets when data parallel (an assumption)",
}


class TrainingSetup(BaseModel):
    """A fine-tuning job on ``n_gpus`` data-parallel cards."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    model: ModelPreset
    gpu: GPU
    n_gpus: int = Field(1, ge=1, le=4096, description="data-parallel cards")
    method: Method = "full"
    optimizer: Optimizer = "adamw"
    optimizer_step: OptimizerStep = Field("fused", description="AdamW's step: fused (in place) or foreach (a "
                                                                "copy of the second moments, FOREACH_STEP_BYTES)")
    lora_rank: int = Field(16, ge=1, le=4096)
    lora_targets: tuple[str, ...] = ("q", "v")
    checkpointing: Checkpointing = "none"
    grad_accum: int = Field(1, ge=1, le=65536, description="micro-batches a step: with more than one the "
                                                            "gradients are alive through every forward pass")
    allocator: Allocator = Field("caching", description="PyTorch's allocator: the default caching one, or "
                                                        "expandable segments (PYTORCH_CUDA_ALLOC_CONF)")
    attention: Literal["eager", "sdpa", "flash"] = "flash"
    kbit_upcast: bool = Field(True, description="QLoRA: peft's prepare_model_for_kbit_training casts the weights "
                                                "kept in 16 bits (embeddings, LM head, norms) to fp32")
    mamba_kernels: bool = Field(False, description="Mamba-2 layers run mamba-ssm's fused kernel (mamba-ssm and "
                                                   "causal-conv1d installed), not transformers' torch path")
    padded: bool = Field(False, description="micro-batches of several sequences padded to their longest (a padding "
                                            "mask: transformers' SDPA keeps it in every layer and repeats the keys "
                                            "and values), not packed or of one length")
    zero: int = Field(0, ge=0, le=3, description="ZeRO stage")
    seq: int = Field(2048, ge=1, le=10_000_000, description="tokens per sequence")
    batch: int = Field(1, ge=1, le=1_000_000, description="micro-batch per card")

    @field_validator("lora_targets", mode="before")
    @classmethod
    def _targets(cls, v) -> tuple[str, ...]:
        if isinstance(v, str):
            v = [t for t in v.replace(" ", "").split(",") if t]
        out = []
        for t in v:
            t = TARGET_ALIASES.get(t, t)
            if t in ("all", ALL_LINEAR):
                out.extend((*TARGETS, ALL_LINEAR))
            elif t in TARGET_GROUP_ALIASES:
                out.extend(TARGET_GROUP_ALIASES[t])
            elif t in TARGETS:
                out.append(t)
            else:
                raise ValueError(f"unknown LoRA target '{t}'; use {', '.join(TARGETS)} or all-linear")
        if not out:
            raise ValueError("at least one LoRA target is needed")
        return tuple(dict.fromkeys(out))

    def with_(self, **change) -> TrainingSetup:
        return TrainingSetup.model_validate({**dict(self), **change})

    @property
    def adapted_targets(self) -> tuple[str, ...]:
        """The LoRA targets the adapters go on: those asked for, except in a model without attention (Mamba
        blocks alone) where none of them exists: there the mixers' input and output projections, the
        blocks' own large matrices (the default q, v would adapt nothing)."""
        a = self.model.architecture
        if not a.attention_layers and a.recurrent_mixers and not adapted_layers(a, self.lora_targets):
            return ("in_proj",) if a.model_type in PEFT_MAMBA_TYPES else ("in_proj", "out_proj")
        return self.lora_targets


def linear_shapes(a: Architecture, passed: bool = False, routed: bool = True) -> dict[str, list[tuple[int, int, int]]]:
    """Per role, the (d_in, d_out, count in the model) of the linear layers; MoE layers list their experts' and shared
    experts' matrices (with ``passed``, the experts a token passes: its top-k; without ``routed``, the shared experts
    alone: the matrices LoRA adapts, :func:`lora_params`); a recurrent mixer's input projections each as
    transformers builds them (:func:`in_proj_widths`)."""
    d = a.hidden_size
    q_out = a.num_heads * a.q_head_dim * (2 if a.attn_output_gate else 1)
    n_moe, n_attn = a.moe_layers, a.attention_layers
    widths = [(f, c, d) for f, c in a.dense_mlp_widths]
    if a.moe and routed:
        widths.append((a.moe.expert_intermediate_size,
                       n_moe * (a.moe.experts_per_token if passed else a.moe.num_experts), a.expert_width))
    if a.moe and a.moe.shared_intermediate_size:
        widths.append((a.moe.shared_intermediate_size, n_moe, d))
    widths = [(f, c, w) for f, c, w in widths if c]
    c = a.compressed
    if c:   # DeepSeek-V4: q_a / q_b (the query latent), one K=V projection, the grouped output projection's two
        hv = a.num_heads * a.head_dim   # steps (o_a: each group of heads to o_lora_rank, o_b: all groups to d)
        shapes = {"q": [(d, c.q_lora_rank, n_attn), (c.q_lora_rank, hv, n_attn)], "k": [(d, a.head_dim, n_attn)],
                  "v": [], "o": [(hv // c.o_groups, c.o_groups * c.o_lora_rank, n_attn),
                                 (c.o_groups * c.o_lora_rank, d, n_attn)]}
    elif a.mla:   # q_a and q_b (or one q_proj), kv_a_proj_with_mqa (the latent and the shared rotary key) and kv_b_proj
        m = a.mla     # (every head's key and value from the latent): k and v both in kv_a and kv_b ("kv": MLA_KV)
        ql = m.q_lora_rank
        shapes = {"q": [(d, ql, n_attn), (ql, q_out, n_attn)] if ql else [(d, q_out, n_attn)], "k": [], "v": [],
                  MLA_KV: [(d, m.kv_lora_rank + m.qk_rope_head_dim, n_attn),
                           (m.kv_lora_rank, a.num_heads * (m.qk_nope_head_dim + m.v_head_dim), n_attn)],
                  "o": [(a.num_heads * a.v_head_dim, d, n_attn)]}
    else:   # each kind of attention layer with its heads; layers reusing another's cache have no k or v
        gate = 2 if a.attn_output_gate and a.model_type not in ATTENTION_GATE_PROJ else 1
        groups = a.attention_groups
        shapes = {"q": [(d, a.num_heads * hd * gate, n) for n, hd, _, _, _ in groups],
                  "k": [(d, kv * hd, n) for n, hd, kv, has_k, _ in groups if has_k],
                  "v": [(d, kv * a.value_width(hd), n) for n, hd, kv, _, has_v in groups if has_v],
                  "o": [(a.num_heads * a.value_width(hd), d, n) for n, hd, _, _, _ in groups]}
    shapes.update({"up": [(w, f, c) for f, c, w in widths], "down": [(f, w, c) for f, c, w in widths]})
    if a.gated_mlp:
        shapes["gate"] = [(w, f, c) for f, c, w in widths]
    if c:   # DeepSeek-V4's compressors and the CSA layers' indexer, named as peft matches them (a name matches
        #     every module ending in it): kv_proj beside attention's, gate_proj beside the MLP's, the indexer's
        #     q_b_proj beside the query's (2·head_dim wide in a CSA layer, whose windows overlap; head_dim in an HCA
        #     layer)
        comp = [(d, 2 * a.head_dim, c.csa_layers), (d, a.head_dim, c.hca_layers), (d, 2 * c.index_head_dim,
                                                                                     c.csa_layers)]
        shapes["k"] = [*shapes["k"], *comp]
        shapes["gate"] = [*shapes.get("gate", []), *comp]
        shapes["q"] = [*shapes["q"], (c.q_lora_rank, c.index_heads * c.index_head_dim, c.csa_layers)]
    if a.attn_output_gate and a.model_type in ATTENTION_GATE_PROJ and not (a.mla or c):
        shapes["gate"] = [*shapes.get("gate", []), *((d, a.num_heads * hd, n) for n, hd, _, _, _ in a.attention_groups)]
    mixers = [g for g in a.recurrent_mixers if g is not a.kimi_delta]
    shapes["in_proj"] = [(d, w, g.layers) for g in mixers for w in in_proj_widths(a, g)]
    shapes["out_proj"] = [(g.out_width, d, g.layers) for g in mixers]
    kd = a.kimi_delta
    if kd:   # Kimi Delta Attention names its projections q_proj, k_proj, v_proj and o_proj, as attention does
        for role, shape in (("q", (d, kd.width)), ("k", (d, kd.width)), ("v", (d, kd.width)), ("o", (kd.width, d))):
            shapes[role] = [*shapes[role], (*shape, kd.layers)]
    return shapes


def shown_targets(targets: tuple[str, ...]) -> tuple[str, ...]:
    """LoRA's ``targets`` as a user names them: all-linear alone where it is among them (the nine roles it covers are
    kept beside it, :data:`ALL_LINEAR`)."""
    return (ALL_LINEAR,) if ALL_LINEAR in targets else targets


def adapted_layers(a: Architecture, targets: tuple[str, ...]) -> int:
    """Matrices with an adapter that a token passes, summed over the layers: each target
    counted in the layers that have it (attention, recurrent mixer or MLP)."""
    with_k = sum(n for n, _, _, has_k, _ in a.attention_groups) if not a.mla else a.attention_layers
    with_v = sum(n for n, _, _, _, has_v in a.attention_groups) if not a.mla else a.attention_layers
    two = 2 if a.compressed else 1   # DeepSeek-V4: two query and two output matrices a layer, K=V one
    if a.compressed:
        with_v = 0
    kda = a.kimi_delta.layers if a.kimi_delta else 0    # (its q, k, v and o projections are named as attention's)
    per = {"q": two * a.attention_layers + kda, "k": with_k + kda, "v": with_v + kda,
           "o": two * a.attention_layers + kda,
           "gate": a.ffn_layers if a.gated_mlp else 0, "up": a.ffn_layers, "down": a.ffn_layers,
           "in_proj": a.recurrent_layers - kda, "out_proj": a.recurrent_layers - kda}
    return sum(per.get(t, 0) for t in targets)     # (all-linear's own modules: :func:`all_linear_shapes`)


def lora_params(a: Architecture, rank: int, targets: tuple[str, ...]) -> int:
    """Trainable adapter parameters: ``r · (d_in + d_out)`` for every targeted matrix: peft's target_modules adapt
    torch.nn.Linear layers, which an MoE model's routed experts are not in transformers 5 (fused 3-D parameters,
    SOURCES["lora_routed"]): its attention, dense and shared-expert MLPs; where peft converts the MLP's names
    (:func:`fused_expert_targets`), the routed experts' fused parameters instead, ``r'·E·(d_in + d_out)`` each
    (r' twice the rank for gate_up_proj), and no shared or dense MLP."""
    fused = fused_expert_targets(a, targets)
    count = sum(rank * (x + y) * c for x, y, c in adapted_shapes(a, targets))
    return count + sum(r * a.moe.num_experts * (x + y) * a.moe_layers for r, x, y in _fused_shapes(a, fused, rank))


@lru_cache(maxsize=512)
def adapted_shapes(a: Architecture, targets: tuple[str, ...], passed: bool = False) -> tuple[tuple[int, int, int], ...]:
    """(d_in, d_out, count) of the linear modules LoRA's ``targets`` adapt (:func:`linear_shapes`; with ``passed``,
    those a token passes): the routed experts' aside (:func:`fused_expert_targets`), none of the MLP's where peft
    converts its names (:data:`PEFT_FUSED_EXPERTS`), and a fused projection (:data:`FUSED_PROJECTIONS`) one module,
    its roles' outputs side by side, where any of its roles is targeted.  (Memoized: the fine-tuning charts ask it
    at every redraw of the same model.)"""
    shapes = linear_shapes(a, passed=passed, routed=False)
    modules = [t for t in targets if t not in MLP_TARGETS] if converts_mlp_names(a) else list(targets)
    if MLA_KV in shapes and ("k" in modules or "v" in modules):
        modules.append(MLA_KV)
    for group in SHARED_NAMES.get(a.model_type, ()):
        if any(t in modules for t in group):
            modules += [t for t in group if t not in modules]
    out = _as_modules(a, shapes, modules)
    if ALL_LINEAR in targets:
        out += all_linear_shapes(a)
    if not passed:      # (a vision tower's adapters: a text token passes none of them)
        out += vision_shapes(a, tuple(modules))     # (the names peft keeps: it converts an MoE's MLP names)
    return tuple(out)


def _as_modules(a: Architecture, shapes: dict[str, list[tuple[int, int, int]]],
                roles: list[str]) -> list[tuple[int, int, int]]:
    """The (d_in, d_out, count) of ``roles``' matrices in ``shapes`` (:func:`linear_shapes`) as the modules that hold
    them: a fused projection (:data:`FUSED_PROJECTIONS`) one module of its roles' outputs side by side, where any of
    its roles is among ``roles``."""
    out, done = [], set()
    for group in FUSED_PROJECTIONS.get(a.model_type, ()):
        members = [shapes.get(t, []) for t in group if shapes.get(t)]
        if not any(t in roles for t in group) or not members:
            continue
        first = members[0]
        if all(len(m) == len(first) and all(s[0] == f[0] and s[2] == f[2] for s, f in zip(m, first, strict=True))
               for m in members):
            out += [(x, sum(m[i][1] for m in members), c) for i, (x, _, c) in enumerate(first)]
            done |= set(group)
    return out + [s for t in roles if t not in done for s in shapes.get(t, [])]


@lru_cache(maxsize=256)
def bnb_module_shapes(a: Architecture, passed: bool = True) -> tuple[tuple[int, int, int], ...]:
    """(d_in, d_out, count) of the language model's modules HF's bitsandbytes quantization replaces (those a token
    passes with ``passed``): the torch.nn.Linear modules but the output layer as transformers builds them, every
    role's (:func:`linear_shapes`, a fused projection one module) and those no role names (:func:`all_linear_shapes`,
    the routers of :data:`BNB_ROUTERS` only), without the routed experts (fused parameters in transformers 5) and
    without DeepSeek-V4's o_a_proj (a DeepseekV4GroupedLinear, an nn.Linear subclass, which replace_with_bnb_linear
    passes by).  On the catalog's models built on the meta device, the Linear4bit modules it makes
    (tests/test_hf_expert_gather.py)."""
    shapes = linear_shapes(a, passed=passed, routed=False)
    if a.compressed:
        shapes = {**shapes, "o": shapes["o"][1:]}       # (o_b_proj alone: o_a_proj is the grouped one)
    return tuple(_as_modules(a, shapes, list(shapes)) + all_linear_shapes(a, routers=BNB_ROUTERS))


def all_linear_shapes(a: Architecture, routers: frozenset[str] = LINEAR_ROUTERS) -> list[tuple[int, int, int]]:
    """(d_in, d_out, count) of the language model's linear modules that peft's all-linear adapts beyond the nine roles
    (:data:`ALL_LINEAR`), as transformers 5.24 builds them: the MoE router (d -> E) where the model type is among
    ``routers`` (:data:`LINEAR_ROUTERS`; bitsandbytes' :data:`BNB_ROUTERS`), Nemotron 3 Super's latent projections
    (d -> latent and back) and the shared expert's d -> 1 gate (Qwen3-Next, Qwen3.5); a Mamba mixer's x_proj and
    dt_proj and Kimi Delta Attention's b_proj (d -> h), f_a_proj and g_a_proj (d -> d_h) and their f_b / g_b halves
    (:attr:`inner_linears`); the lightning indexer's wq_b, wk and weights_proj (DeepSeek-V3.2, GLM-5); DeepSeek-V4's
    CSA indexer's scorer (weights_proj: its compressors' kv_proj and gate_proj and the indexer's q_b_proj are the k,
    gate and q roles', as peft's names match them, :func:`linear_shapes`); Gemma 4's per-layer inputs
    (per_layer_model_projection d -> L·p once, each layer's per_layer_input_gate d -> p and per_layer_projection
    p -> d); LFM3's per-head gate (d -> h).  peft's own all-linear counts, on the catalog's models built from their
    config.json and on transformers' default configs, equal :func:`lora_params` with these (tests/test_peft_counts.py).
    Not in transformers, not checked: remote-code models (Kimi K2, MiMo, MiniMax-M1)."""
    d, out = a.hidden_size, []
    m = a.moe
    if m and a.model_type in routers:
        out.append((d, m.num_experts, a.moe_layers))
    if m and m.latent_size:     # (Nemotron 3 Super's LatentMoE: d -> latent before the experts, back after)
        out += [(d, m.latent_size, a.moe_layers), (m.latent_size, d, a.moe_layers)]
    if m and m.shared_expert_gate:
        out.append((d, 1, a.moe_layers))
    for g in a.recurrent_mixers:
        out += [(x, y, g.layers) for x, y in g.inner_linears]
    kd = a.kimi_delta
    if kd:
        out += [(d, kd.num_heads, kd.layers), (d, kd.head_dim, kd.layers), (d, kd.head_dim, kd.layers)]
    ix = a.indexer
    if ix:
        n = a.attention_layers if ix.layers is None else ix.layers
        q_rank = a.mla.q_lora_rank if a.mla and a.mla.q_lora_rank else d
        out += [(q_rank, ix.heads * ix.head_dim, n), (d, ix.head_dim, n), (d, ix.heads, n)]
    c = a.compressed
    if c:   # (the CSA indexer's scorer; its and the compressors' other projections are the q, k and gate roles')
        out.append((d, c.index_heads, c.csa_layers))
    if a.head_gate:     # (LFM3's g_proj: a gate per head)
        out.append((d, a.num_heads, a.attention_layers))
    if a.per_layer_input:
        p = a.per_layer_input
        out += [(d, a.num_layers * p, 1), (d, p, a.num_layers), (p, d, a.num_layers)]
    return [s for s in out if s[2]]


def vision_shapes(a: Architecture, targets: tuple[str, ...]) -> list[tuple[int, int, int]]:
    """(d_in, d_out, count) of the vision tower's linear modules LoRA's ``targets`` reach by name
    (:data:`VISION_LORA_ROLES`)."""
    v = a.vision
    if v is not None and ALL_LINEAR in targets:    # (every Linear of the tower and projector: its summed widths)
        return [(v.adapter_width, 0, 1)] if v.adapter_width else []
    roles = VISION_LORA_ROLES.get(v.kind, ()) if v is not None else ()
    d, f, n = (v.hidden_size, v.intermediate_size, v.layers) if v is not None else (0, 0, 0)
    shapes = {"q": (d, d), "k": (d, d), "v": (d, d), "o": (d, d), "out_proj": (d, d), "gate": (d, f), "up": (d, f),
              "down": (f, d)}
    return [(*shapes[t], n) for t in roles if t in targets and min(shapes[t]) > 0]


def converts_mlp_names(a: Architecture) -> bool:
    """Whether peft turns LoRA targets on this MoE model's MLP into its fused experts' parameters
    (:data:`PEFT_FUSED_EXPERTS`)."""
    return a.moe is not None and a.model_type in PEFT_FUSED_EXPERTS


def fused_expert_targets(a: Architecture, targets: tuple[str, ...]) -> tuple[str, ...]:
    """The routed experts' fused parameters LoRA adapts for ``targets`` (:data:`PEFT_FUSED_EXPERTS`): "gate_up"
    (gate and up both targeted; either alone peft refuses, :func:`lora_refusal`) and "down"; none for other
    models."""
    if not converts_mlp_names(a):
        return ()
    both = "gate" in targets and "up" in targets
    return (("gate_up",) if both else ()) + (("down",) if "down" in targets else ())


def refuses_out_proj(a: Architecture, targets: tuple[str, ...]) -> bool:
    """Whether ``targets`` name a Mamba mixer's out_proj, which peft refuses (:data:`PEFT_MAMBA_TYPES`)."""
    return "out_proj" in targets and a.model_type in PEFT_MAMBA_TYPES and bool(a.recurrent_mixers)


def lora_refusal(a: Architecture, targets: tuple[str, ...]) -> str | None:
    """Why peft refuses LoRA on ``targets`` of this model, or None: a Mamba mixer's out_proj
    (:data:`PEFT_MAMBA_TYPES`), or where it fuses the routed experts' gate and up projections into one parameter
    (:data:`PEFT_FUSED_EXPERTS`), one of them targeted without the other."""
    if refuses_out_proj(a, targets):
        return (f"peft refuses LoRA on out_proj in {a.model_type} models ('Module 'out_proj' is incompatible with "
                f"Mamba-based models', peft 0.21; its all-linear includes it): target in_proj and the others")
    if not converts_mlp_names(a) or ("gate" in targets) == ("up" in targets):
        return None
    one, other = ("gate", "up") if "gate" in targets else ("up", "gate")
    return (f"peft refuses LoRA on {one} without {other} here: transformers 5 fuses the routed experts' gate and up "
            f"projections into one parameter, gate_up_proj (peft 0.21: 'Cannot convert PEFT target(s) ... because "
            f"they are fused'); target both or neither")


def lora_names_note(a: Architecture, targets: tuple[str, ...] = ()) -> str | None:
    """Where peft refuses the plain module names of LoRA's ``targets`` for this model (:data:`PEFT_CLASHING_TOWERS`),
    how to name them so that it adapts what the estimate counts; None elsewhere, and for all-linear (which names
    the tower's inner Linear layers, which peft adapts)."""
    if a.vision is None or a.vision.kind not in PEFT_CLASHING_TOWERS or ALL_LINEAR in targets:
        return None
    return (f"peft refuses the plain module names (q_proj, v_proj, ...) here: the {a.vision.kind} tower names its "
            "projections alike as Gemma4ClippableLinear layers, which peft 0.21 cannot adapt ('Target module "
            "Gemma4ClippableLinear(...) is not supported'); name the language model's with a regular expression, "
            r"e.g. target_modules=r'.*language_model.*\.(q_proj|v_proj)', which adapts what is counted here")


def routed_lora_text(t: TrainingSetup) -> str:
    """What LoRA does to an MoE model's routed experts under ``t``'s targets, in words (the explain panel's line)."""
    a = t.model.architecture
    if not converts_mlp_names(a):
        return "no adapters: fused parameters, no linear layers peft's target_modules reach"
    refusal = lora_refusal(a, t.adapted_targets)
    if refusal:
        return refusal
    fused = fused_expert_targets(a, t.adapted_targets)
    if not fused:
        return "no adapters: no gate, up or down target"
    names = " and ".join({"gate_up": f"gate_up_proj (rank {2 * t.lora_rank})",
                          "down": f"down_proj (rank {t.lora_rank})"}[p] for p in fused)
    return (f"all {a.moe.num_experts} of each layer adapted through their fused {names}: peft converts the MLP's "
            f"names, so shared experts and dense MLPs take none; its wrapper of such a parameter refuses "
            f"lora_dropout above 0 ('does not work with lora_dropout != 0')")


def _fused_shapes(a: Architecture, fused: tuple[str, ...], rank: int) -> list[tuple[int, int, int]]:
    """(rank, d_in, d_out) of one expert's adapted matrix, per fused parameter in ``fused``."""
    d, f = a.expert_width, a.moe.expert_intermediate_size if a.moe else 0
    shapes = {"gate_up": (2 * rank, d, 2 * f), "down": (rank, f, d)}
    return [shapes[p] for p in fused]


def fused_lora_bytes(a: Architecture, targets: tuple[str, ...], rank: int, param_bytes: float) -> tuple[float, float,
                                                                                                       float]:
    """(kept a layer, kept a token a layer, the backward's gradient) [bytes] of one MoE layer whose fused experts
    LoRA adapts (:func:`fused_expert_targets`; zeros elsewhere), the weights ``param_bytes`` each (SOURCES[
    "lora_fused_act"]): for the backward pass each adapted parameter's folded copy (E·d_in·d_out) and its two
    factors cast to the weight's dtype (E·r'·(d_in + d_out)), and the grouped matmul's input, each token's copy for
    each of its k experts (k·d_in); in the backward pass the largest parameter's gradient, E·d_in·d_out."""
    fused = fused_expert_targets(a, targets)
    if not fused:
        return 0.0, 0.0, 0.0
    e, k = a.moe.num_experts, a.moe.experts_per_token
    shapes = _fused_shapes(a, fused, rank)
    kept = sum(e * (x * y + r * (x + y)) for r, x, y in shapes) * param_bytes
    per_token = sum(k * x for _, x, _ in shapes) * param_bytes
    return kept, per_token, max(e * x * y for _, x, y in shapes) * param_bytes


def _adafactor_bytes(a: Architecture) -> float:
    """Factored second moment: one fp32 row and one column vector per matrix (Shazeer &
    Stern, 2018), plus full fp32 moments for vectors (norms)."""
    matrices = sum(4.0 * (x + y) * c for shapes in linear_shapes(a).values() for x, y, c in shapes)
    p = count_params(a)
    v = a.vision       # (a vision tower's matrices counted as square ones of its width, its other weights whole)
    tower = 4.0 * (2.0 * v.linear / v.hidden_size + v.other) if v is not None else 0.0
    return matrices + 4.0 * (a.vocab_size + a.hidden_size) * (1 if a.tie_embeddings else 2) + 4.0 * p.norms + tower


@dataclass(frozen=True)
class TrainingMemory:
    """Bytes per card at a step's peak; arrays broadcast over swept sequence length and micro-batch.

    ``weights`` + ``optimizer`` (its states and the step's temporaries) + ``gradients`` +
    ``activations`` + ``overhead`` is the peak: ``activations`` is what the largest phase needs
    beyond the gradients and the step's temporaries, which are made once the activations it
    stored are freed (zero when the step is the peak); ``overhead`` holds the CUDA context, the
    data-parallel buffers and ``fragmentation``, what PyTorch's allocator cannot reuse.  The three
    phases beyond the weights and optimizer states: ``loss_phase`` (the backward pass's start:
    every stored activation and the logits), ``backward_phase`` and ``step_phase``."""

    weights: np.ndarray
    gradients: np.ndarray
    optimizer: np.ndarray
    activations: np.ndarray
    overhead: np.ndarray
    trainable_params: int
    loss_phase: np.ndarray
    backward_phase: np.ndarray
    step_phase: np.ndarray
    fragmentation: np.ndarray
    stored: np.ndarray          # what the layers keep for the backward pass (part of loss_phase)
    logits: np.ndarray          # the logits' bytes at the loss (part of loss_phase)

    @property
    def total(self) -> np.ndarray:
        return self.weights + self.gradients + self.optimizer + self.activations + self.overhead

    @property
    def peak_phase(self) -> str:
        """The phase that sets the peak (of the first element when swept): loss, backward or step."""
        phases = {"loss": self.loss_phase, "backward": self.backward_phase, "step": self.step_phase}
        return max(phases, key=lambda k: float(np.ravel(phases[k])[0]))


#: Bytes an element of the h·s² attention scores eager attention keeps (transformers 5.24's eager_attention_forward,
#: counted with saved-tensor hooks on narrow layers of every family transformers builds: benchmarks/
#: count_hf_activations.py): the softmax's fp32 output and its bf16 copy that multiplies V, 4 + 2; where the attention
#: drops weights (:attr:`~vramgui.core.architecture.Architecture.attention_dropout`) the dropout's one-byte mask too
#: (its output takes the copy's place); soft-capped logits (Gemma 2) the tanh's bf16 output, 2 more.
EAGER_SCORE_BYTES = 6
#: Families whose eager softmax runs in the model's dtype: its bf16 output alone, 2 bytes an element, and with
#: dropout the mask and the dropout's output, 1 + 2 more (GPT-2 then keeps Korthikanti et al.'s 5): GPT-2's and
#: GPT-SW3's, Llama 4's, Falcon's, and those that add sink logits (gpt-oss, MiMo-V2-Flash, DeepSeek-V4)
BF16_EAGER_SOFTMAX = frozenset({"gpt2", "gpt-sw3", "llama4_text", "falcon", "gpt_oss", "mimo_v2_flash",
                                "deepseek_v4"})
#: Families whose eager attention multiplies q·kᵀ in fp32 (GPT-J, CodeGen, GPT-Neo; Flint, its sink logits beside
#: them): q and the keys, repeated to every head, kept in fp32, 2·(d_q + h·d_h) more
FP32_EAGER_QK = frozenset({"gptj", "codegen", "gpt_neo", "flint"})

#: Families whose eager attention applies its sink as a scale after attention (Granite's windowed models,
#: modeling_granite_swa.py: sigmoid(logsumexp(scores) - sink)): the logsumexp keeps the bf16 scores, 2 bytes an element
#: more, and the output the sink scales, 2·h·d_v a token (counted with saved-tensor hooks)
SINK_SCALED_EAGER = frozenset({"granite_swa", "granitemoe_swa"})


def attention_cautions(a: Architecture, attention: str, mamba_kernels: bool = False) -> tuple[tuple[str, str], ...]:
    """(kind, text) of what the job's attention assumes: "no_sdpa" where it assumes flash / SDPA attention that
    transformers does not run this model with (:data:`HF_NO_SDPA`), what it runs instead; "no_flash" where flash
    attention is assumed for a model whose class transformers refuses it for (:func:`hf_flash_refusal`), "wide_heads"
    for heads wider than flash-attn takes (Gemma 4's 512); "sdpa_math" where SDPA
    takes PyTorch's math path (Falcon's multi-query layers: :func:`falcon_attention_bytes`); "gdn_torch" and
    "mamba2_torch", "mamba1_torch" where its Gated DeltaNet, Mamba-2 or Mamba layers are counted as transformers'
    torch path runs them (:func:`recurrent_layer_counts`), "mamba2_kernels" where its Mamba-2 layers are counted
    through mamba-ssm's fused kernel (``mamba_kernels``); "as_attention" where its other recurrent layers (Kimi
    Delta Attention's, lightning attention's) are counted as attention layers."""
    notes = []
    if attention != "eager" and a.model_type in HF_NO_SDPA:
        notes.append(("no_sdpa", f"{HF_NO_SDPA_WHY} and runs it with eager attention unless it is loaded with a "
                      "flash-attention implementation (attn_implementation=\"flash_attention_2\" or a kernel); these "
                      "figures assume one, 'eager' gives transformers' default" if HF_NO_SDPA[a.model_type] else
                      "transformers 5.24 runs this model with eager attention only (no SDPA or flash-attention path): "
                      "'eager' gives its figures"))
    widest = max(a.head_dim, a.v_head_dim, a.global_attention.head_dim if a.global_attention else 0)
    refusal = hf_flash_refusal(a)
    if attention == "flash" and refusal:
        notes.append(("no_flash", f"transformers 5.24 refuses flash_attention_2 for this model's class ({refusal}): "
                      "it runs SDPA or eager attention ('sdpa' gives SDPA's figures; these assume flash attention's)"))
    elif attention == "flash" and widest > FLASH_ATTN_HEAD_DIM and not a.mla and a.model_type not in HF_NO_SDPA:
        notes.append(("wide_heads", f"flash-attn takes heads up to {FLASH_ATTN_HEAD_DIM} wide and this model's are "
                      f"{widest}: transformers runs it with SDPA or eager attention ('sdpa' gives SDPA's figures; "
                      "these assume flash attention's)"))
    if sdpa_math_path(a, attention):
        notes.append(("sdpa_math", f"{SDPA_MATH_WHY}: its math path runs, in fp32, and keeps h·s² fp32 scores a "
                      "layer (counted here); flash attention (attn_implementation=\"flash_attention_2\") keeps "
                      "none"))
    if gdn_torch_layers(a):
        notes.append(("gdn_torch", f"its {gdn_torch_layers(a)} Gated DeltaNet layers are counted as transformers runs "
                      "them without flash-linear-attention installed (its torch path: fp32 copies and a state every "
                      "64 tokens); with the fla package they keep far less, which these figures do not model"))
    if mamba2_torch_layers(a) and mamba_kernels:
        notes.append(("mamba2_kernels", f"its {mamba2_torch_layers(a)} Mamba-2 layers are counted as mamba-ssm's "
                      "fused kernel keeps them (the input projection's output, the scan's output and the norm's "
                      "inverse RMS; the rest recomputed in the backward pass): read from mamba-ssm's source, not "
                      "measured on a GPU; without mamba-ssm and causal-conv1d installed transformers takes its torch "
                      "path, which keeps ten times as much or more"))
    elif mamba2_torch_layers(a):
        chunk = a.mamba.chunk_size
        notes.append(("mamba2_torch", f"its {mamba2_torch_layers(a)} Mamba-2 layers are counted as transformers runs "
                      f"them without mamba-ssm installed (its torch chunk scan: fp32 copies, {chunk} × {chunk} blocks "
                      f"a head and a state every {chunk} tokens); with the mamba-ssm and causal-conv1d kernels they "
                      "keep far less (the 'mamba-ssm kernels' choice)"))
    if mamba1_torch_layers(a):
        notes.append(("mamba1_torch", f"its {mamba1_torch_layers(a)} Mamba layers are counted as transformers runs "
                      "them without mamba-ssm installed (its torch scan, a loop over the tokens: fp32 states of "
                      "every token); with the mamba-ssm and causal-conv1d kernels they keep far less, which these "
                      "figures do not model"))
    # (what narrow layers keep in transformers' torch paths over what is counted for them: the whole-layer sweep,
    # benchmarks/sweep_hf_activations.py: Kimi-Linear 150, MiniMax-Text-01 1.23; the package whose kernels replace
    # the torch path)
    uncounted = [(what, g.layers, times, kernels) for what, g, times, kernels in (
        ("Kimi Delta Attention", a.kimi_delta, "150 times", "fla's"),
        ("lightning attention", a.lightning, "1.2 times", None)) if g is not None]
    for what, n, times, kernels in uncounted:
        notes.append(("as_attention", f"its {n} {what} layers are counted as attention layers: transformers' torch "
                      f"path keeps more for them (on narrow layers counted on the CPU, {times} what these figures "
                      "count)" + (f" and {kernels} kernels another amount; these figures model neither"
                                  if kernels else "; these figures do not model it")))
    return tuple(notes)


def attention_note(a: Architecture, attention: str, mamba_kernels: bool = False) -> str | None:
    """The texts of :func:`attention_cautions` as one note (None: none)."""
    return "; ".join(text for _, text in attention_cautions(a, attention, mamba_kernels)) or None


def eager_score_bytes(a: Architecture) -> int:
    """Bytes eager attention keeps an element of its h·s² scores (:data:`EAGER_SCORE_BYTES`,
    :data:`BF16_EAGER_SOFTMAX`)."""
    if a.model_type in BF16_EAGER_SOFTMAX:
        score = 2 + (3 if a.attention_dropout else 0)
    else:
        score = EAGER_SCORE_BYTES + (1 if a.attention_dropout else 0)
    return score + (2 if a.attention_softcap else 0) + (2 if a.model_type in SINK_SCALED_EAGER else 0)


def eager_attention_bytes(a: Architecture, s, b=1) -> np.ndarray:
    """What eager attention keeps a token beyond SDPA's, for ``b`` sequences of ``s``: the scores, ``c·h·s``
    (:func:`eager_score_bytes`), and the keys and values repeated to every query head (transformers' ``repeat_kv``:
    the matmuls keep the copies, ``2·(h − h_kv)·(d_h + d_v)`` more; of one key/value head only where there is more
    than one sequence: one sequence's expanded head reshapes into a view, as Falcon's broadcast one folds; Falcon's new
    decoder's copies are the layer's, whatever the attention, :func:`falcon_attention_bytes`), less SDPA's fp32
    log-sum-exp (``4h``)."""
    s = np.asarray(s, dtype=np.float64)
    h = a.num_heads
    score = eager_score_bytes(a)
    # (MiMo-V2-Flash's values wider than its keys)
    repeated = 2 * (h - a.num_kv_heads) * (a.head_dim + a.v_head_dim)
    if a.num_kv_heads == 1:
        repeated = repeated * (np.asarray(b, dtype=np.float64) > 1)
    if a.falcon_layout == "new_decoder":
        repeated = 0
    qk = 4 * h * a.head_dim if a.model_type in FP32_EAGER_QK else 0   # (the keys repeated to every head first)
    scaled = 2 * h * a.v_head_dim if a.model_type in SINK_SCALED_EAGER else 0   # (the output the sink scales)
    return score * h * s + repeated + qk + scaled - 4 * h


def falcon_attention_bytes(a: Architecture, s, b, attention: str) -> np.ndarray:
    """What transformers 5.24's Falcon attention keeps a token beyond :func:`layer_activation_bytes`' SDPA terms
    (:attr:`~vramgui.core.architecture.Architecture.falcon_layout`; 0 for other families). Its model builds the
    causal mask whatever the padding (``allow_is_causal_skip=False``) and each layer's SDPA converts it to bf16, which
    the memory-efficient kernel keeps: ``2s`` a token (flash attention and eager take no such copy). Multi-query
    layers hand SDPA their one key/value head unrepeated, which PyTorch's fused kernels refuse (the same number of
    heads or ``enable_gqa``), so its math path runs, upcast to fp32 (``allow_fp16_bf16_reduction_math_sdp`` off):
    it keeps the queries, keys and values in fp32 (the keys and values broadcast to every head where there is more
    than one sequence, copies; one folds into a view) and the fp32 softmax, ``4·h·s``, in place of the bf16 queries,
    keys and values and the log-sum-exp: ``4·d_q + 4·n·(d_h + d_v) + 4·h·s − 2·d_q − 4·d_kv − 4h``, ``n`` h or h_kv.
    Multi-head layers' values are a view of the fused projection's output, kept whole (:func:`fused_qkv_kept`).
    The new decoder copies its grouped keys and values to every query head, ``2·(h − h_kv)·(d_h + d_v)`` (its two
    norms read one input: :attr:`~vramgui.core.architecture.Architecture.norms_share_input`). Counted with saved-tensor
    hooks on narrow Falcon layers of each layout, SDPA and eager, one to three sequences
    (``benchmarks/count_hf_activations.py``)."""
    layout = a.falcon_layout
    s = np.asarray(s, dtype=np.float64)
    if not layout:
        return np.zeros_like(s)
    h, d_h, d_v = a.num_heads, a.head_dim, a.v_head_dim
    d_q, d_kv = h * d_h, a.num_kv_heads * d_h
    if layout == "multi_query":
        if not sdpa_math_path(a, attention):
            return np.zeros_like(s)
        heads = np.where(np.asarray(b, dtype=np.float64) > 1, h, a.num_kv_heads)
        return 4 * d_q + 4 * heads * (d_h + d_v) + 4 * h * s - 2 * d_q - 4 * d_kv - 4 * h
    mask = 2 * s if attention == "sdpa" else 0 * s
    if layout == "multi_head":   # (its values a view of the fused output: fused_qkv_kept)
        return mask
    return mask + 2 * (h - a.num_kv_heads) * (d_h + d_v)


#: Families whose RMSNorm raises the mean square to the power -0.5 (``torch.pow(mean_squared, -0.5)``, Gemma 4's
#: Gemma4RMSNorm): the power keeps its input and the product its output, two fp32 scalars a row where an rsqrt keeps
#: one (counted with saved-tensor hooks on narrow Gemma 4 layers)
POW_RMS_NORM = frozenset({"gemma4_text"})
#: Families that normalize the values with a weightless RMSNorm before attention (Gemma 4's v_norm, on the value
#: projection's output or, where the keys are the values, the key projection's): its fp32 input and a row's scalars,
#: ``4·d_kv`` and ``8·h_kv`` a token
VALUE_NORM = frozenset({"gemma4_text"})


#: The widest heads flash-attn 2 takes (its kernels' head dimensions: up to 256)
FLASH_ATTN_HEAD_DIM = 256
#: The widest heads transformers hands SDPA unrepeated, its grouped-query path (``use_gqa_in_sdpa``: keys and values
#: as wide, no wider than this, and no mask; CUDA's flash kernel's limit)
SDPA_GQA_HEAD_DIM = 256


def sdpa_wide_heads(head_dim: int, v_head_dim: int) -> bool:
    """Heads transformers' SDPA attention repeats whatever the mask: wider than :data:`SDPA_GQA_HEAD_DIM`, or values not
    as wide as the keys (``use_gqa_in_sdpa``)."""
    return max(head_dim, v_head_dim) > SDPA_GQA_HEAD_DIM or head_dim != v_head_dim


def sdpa_repeat_bytes(a: Architecture, s, b=1, padded: bool = False) -> np.ndarray:
    """What transformers 5.24's SDPA attention keeps a token beyond the fused kernel's queries, keys, values and output,
    in a layer's mean: without its grouped-query path (``use_gqa_in_sdpa``: a mask, or heads wider than
    :data:`SDPA_GQA_HEAD_DIM`, or values not as wide as the keys) it repeats the keys and values to every query head
    (``repeat_kv``: copies the kernel keeps, ``2·(h − h_kv)·(d_h + d_v)``; one head repeats into a view; where the
    values were a view of a fused projection's output, :data:`FUSED_QKV_KEPT`, that output is no longer kept whole).
    A windowed layer of a sequence longer than its window takes a mask (causality alone no longer says it), and every
    layer does where ``padded`` micro-batches of more than one sequence pad the shorter ones: each layer's SDPA
    converts it to bf16 and the memory-efficient kernel keeps it, ``2s``, and the keys and values are repeated.
    Counted with saved-tensor hooks on narrow Llama, Qwen3, Gemma 3, Gemma 4, Phi-3 and GPT-NeoX layers (windows of 32
    against 64 and 96 tokens, heads of 512, a padded sequence)."""
    s = np.asarray(s, dtype=np.float64)
    h, h_kv = a.num_heads, a.num_kv_heads
    fused = 2.0 * (h * a.head_dim + h_kv * a.head_dim) if fused_qkv_kept(a) else 0.0
    repeat = 2.0 * (h - h_kv) * (a.head_dim + a.v_head_dim) - fused if h_kv > 1 else 0.0
    wide = sdpa_wide_heads(a.head_dim, a.v_head_dim)
    out = np.zeros_like(s) + (repeat if wide else 0.0)
    masked = 0.0 * s
    if a.sliding_window_layers and a.sliding_window:
        masked = (s > a.sliding_window) * a.sliding_window_layers / max(a.attention_layers, 1)
    if padded:      # (one sequence has nothing to pad)
        masked = np.where(np.asarray(b, dtype=np.float64) > 1, 1.0, masked)
    return out + masked * (2 * s + (0.0 if wide else repeat))


#: MoE model types whose router multiplies an fp32 copy of its input (transformers 5.24: ``F.linear(hidden_states.
#: type(torch.float32), self.weight.type(torch.float32))`` in DeepSeek-V2/V3's family and its kin, HunYuan's fp32
#: ``wg`` of ``hidden_states.float()``, ERNIE 4.5's ``F.linear(hidden_states.float(), ...)``): when the router trains
#: (full fine-tuning) its weight's gradient keeps that copy, 4·d a token and MoE layer (counted with saved-tensor
#: hooks on narrow GLM-4.5 layers: benchmarks/count_hf_activations.py's glm4_moe kind).
FP32_ROUTER_INPUT = frozenset({"deepseek_v2", "deepseek_v3", "deepseek_v32", "dots1", "exaone_moe", "glm4_moe",
                               "glm4_moe_lite", "glm4v_moe", "glm_moe_dsa", "kimi_linear", "longcat_flash",
                               "mimo_v2_flash", "nemotron_h", "solar_open", "hunyuan_v1_moe", "ernie4_5_moe",
                               "axk1", "axk2", "hy_v3", "beam", "flint", "sarvam_moe", "sarvam_mla", "kolibri1",
                               "lara_mini"})


#: What transformers' activation functions (``ACT2FN``, transformers 5.24) keep for the backward pass of one f-wide
#: input: (its input, more bytes an element when its own parameters are frozen, and when they train, its output).
#: Counted with saved-tensor hooks on narrow Llama (gated) and GPT-NeoX (plain) layers
#: (``benchmarks/count_hf_activations.py``).  The fused ones keep their input only (SiLU, GELU, tanh-GELU in
#: PyTorch, Mish, ReLU6); ReLU², which keeps the ReLU's output instead, and Laplace, which keeps erf's input,
#: count alike.  Written in Python, each operation keeps its own: tanh-GELU (``gelu_new``, ``gelu_accurate``,
#: ``gelu_python_tanh``: Phi-2, GPT-2, GPT-J, CodeGen) keeps the tanh's output, half the input and one plus the
#: tanh, 3 × 2 bytes; ``gelu_fast`` six; ``quick_gelu`` the sigmoid's output; ``gelu_10`` the clip's input;
#: ``gelu_python`` erf's input and the two factors, not the input itself.  ReLU, tanh and sigmoid keep their
#: output.  Apertus' xIELU in Python (transformers' fallback without its CUDA wheel) keeps α_p·x, expm1's output
#: and the x > 0 mask, 5 bytes an element, and when its α's train the factor (expm1(min(x, ε)) − x) too, 7.
ACTIVATION_KEEPS = {"silu": (True, 0, 0, False), "swish": (True, 0, 0, False), "gelu": (True, 0, 0, False),
                    "gelu_pytorch_tanh": (True, 0, 0, False), "mish": (True, 0, 0, False),
                    "relu6": (True, 0, 0, False), "leaky_relu": (True, 0, 0, False),
                    "relu": (False, 0, 0, True), "tanh": (False, 0, 0, True),
                    "sigmoid": (False, 0, 0, True), "linear": (False, 0, 0, False),
                    "relu2": (False, 2, 2, False), "laplace": (False, 2, 2, False),
                    "gelu_new": (True, 6, 6, False), "gelu_accurate": (True, 6, 6, False),
                    "gelu_python_tanh": (True, 6, 6, False), "gelu_fast": (True, 12, 12, False),
                    "quick_gelu": (True, 2, 2, False), "gelu_10": (True, 2, 2, False),
                    "gelu_python": (False, 6, 6, False), "xielu": (True, 5, 7, False)}


#: Gated MLPs (and routed experts) that keep more than their activation's entry says, in bytes a token per element of
#: their width f (a frozen MLP, a trained one; counted with saved-tensor hooks on narrow layers, where SiLU's keeps 6
#: and 8): gpt-oss's clamp gate and up, multiply the gate by sigmoid(1.702 · gate) and the product by up + 1, keeping
#: gate_up's output (2 · 2), the clamped gate's, sigmoid's, the scaled gate's and up + 1's (2 each) and, when down
#: trains, its input; Beam's SwiGLU upcasts gate and up to fp32 (modeling_beam.py: "Beam evaluates the SwiGLU
#: activation and product in FP32"): SiluBackward's fp32 input, up's fp32 copy and the activation's fp32 output
#: (4 each) and down's bf16 input
GATED_MLP_KEEPS = {"gpt_oss": (12.0, 14.0), "beam": (12.0, 14.0)}


def mlp_kept_widths(a: Architecture, trained: bool = False) -> float:
    """Bytes an MLP keeps a token for the backward pass, in units of its width f (:data:`ACTIVATION_KEEPS`).
    Gated: the activation's input where it keeps it (2), what it keeps itself, its output and up's (the product's
    factors, 2 + 2) and, when the weights train, down's input (2): SiLU 6, trained 8.  Plain: the input, what the
    activation keeps, and its output where it keeps it or the second matrix's weight trains: GELU 2, trained 4;
    ReLU 2 either way (its output is the second matrix's input)."""
    if a.model_type in GATED_MLP_KEEPS:
        return GATED_MLP_KEEPS[a.model_type][1 if trained else 0]
    # (a name transformers does not know, or one it does not list here: as SiLU)
    keeps_input, own, own_trained, keeps_output = ACTIVATION_KEEPS.get(a.mlp_activation, ACTIVATION_KEEPS["silu"])
    kept = (2 if keeps_input else 0) + (own_trained if trained else own)
    if a.gated_mlp:
        return kept + 4 + (2 if trained else 0)
    return kept + (2 if keeps_output or trained else 0)


#: Model types whose Gated DeltaNet layers are Qwen3.5's (transformers 5.24: Qwen3-Next's and Lara-4-Mini's too), which
#: :func:`gdn_layer_bytes` counts as transformers runs them without flash-linear-attention (``fla``), its default
#: install: ``torch_chunk_gated_delta_rule`` and the torch ``causal_conv1d_fn``; other recurrent mixers (Mamba-2, LFM2's
#: short convolutions, MiniMax's lightning and Kimi's KDA layers) are still counted as attention layers
GDN_TORCH_LAYERS = frozenset({"qwen3_next", "qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text",
                              "lara_mini"})
#: Gated DeltaNet layers whose gated RMSNorm multiplies by its weight and its gate in fp32 (Lara-4-Mini's, GLM-5-Next's
#: norm): its fp32 product kept where Qwen3.5's keeps a bf16 one, and the fp32 normalized input when the weight trains
FP32_GATED_NORM = frozenset({"lara_mini"})
GDN_CHUNK = 64     # torch_chunk_gated_delta_rule's chunk_size


def gdn_torch_layers(a: Architecture) -> int:
    """Gated DeltaNet layers counted apart from the attention layers (:data:`GDN_TORCH_LAYERS`; 0 elsewhere)."""
    return a.linear_attention.layers if a.linear_attention is not None and a.model_type in GDN_TORCH_LAYERS else 0


def gdn_layer_bytes(a: Architecture, seq, batch, trained: bool = False) -> np.ndarray:
    """What one Gated DeltaNet layer's mixer keeps for the backward pass (its input norm's output aside: the layer's
    ``feed`` term), as transformers 5.24's torch path runs it (:data:`GDN_TORCH_LAYERS`). With ``h`` value heads, keys
    of ``k``, values of ``v``, the convolution's ``c = 2·h_k·k + h·v`` channels, ``P`` the sequence padded to the
    64-token chunks, ``N = P / 64`` of them, per token: the convolution's bf16 input and its output padded by the kernel
    less one (the SiLU's), ``2c·(1 + (s + kernel - 1) / s)``; beta's sigmoid and the softplus's fp32 input, ``6h``
    (its output too, ``4h``, when A_log trains); the fp32 queries and keys repeated to the value heads before their l2
    norms, with an inverse norm each, ``8h·(k + 1)``; over the padded sequence, six fp32 key-wide tensors (the
    normalized keys, beta's keys, the scaled queries, the triangular solve's decayed keys, the decayed queries and
    keys; five where the sequence is one chunk, the solve's keys meeting only the initial state, which takes no
    gradient), three value-wide (values, the solve's new values, each chunk's corrected values) and five 64-wide (the
    pairwise decays, the two products of q and k and their decayed forms) and four vectors, ``(24hk + 12hv + 1,280h +
    16h)·P / s``; a fp32 state of ``h·k·v`` per chunk and its decay, ``4h·(k·v + 1)·N / s``; the gated RMSNorm's fp32
    input, inverse RMS, the gate's fp32 copy and the products, ``14h·v + 4h`` (``16h·v`` when the weight trains;
    ``2h·v`` and ``4h·v`` more where they are fp32, :data:`FP32_GATED_NORM`) and out_proj's input when it trains,
    ``2h·v``. Besides, each layer keeps the chunk's 64 × 64 mask and A_log's fp32 exponent, 4,096 + 4h bytes (8h when
    A_log trains; Lara's fp32 norm weight, 4v). Counted with saved-tensor hooks on narrow layers of each type,
    sequences of 64 to 256 tokens, padded and not: exact."""
    g = a.linear_attention
    s = np.maximum(np.asarray(seq, dtype=np.float64), 1.0)
    b = np.asarray(batch, dtype=np.float64)
    h, k, v = g.num_value_heads, g.key_head_dim, g.value_head_dim
    c = 2 * g.num_key_heads * k + h * v
    t = 1.0 if trained else 0.0
    padded = np.ceil(s / GDN_CHUNK) * GDN_CHUNK
    fp32_norm = a.model_type in FP32_GATED_NORM
    per_token = (2 * c * (1 + (s + g.conv_kernel - 1) / s) + (6 + 4 * t) * h + 8 * h * (k + 1)
                 + (24 * h * k - (padded <= GDN_CHUNK) * 4 * h * k + 12 * h * v + 20 * h * GDN_CHUNK + 16 * h)
                 * padded / s
                 + 4 * h * (k * v + 1) * padded / GDN_CHUNK / s
                 + (14 + 2 * t + (2 + 2 * t if fp32_norm else 0)) * h * v + 4 * h + 2 * t * h * v)
    return s * b * per_token + 4096 + (4 + 4 * t) * h + (4 * v if fp32_norm else 0)


#: Model types whose Mamba-2 layers :func:`mamba2_layer_bytes` counts as transformers 5.24 runs them without the
#: mamba-ssm and causal-conv1d packages, its default install (``mamba2_chunk_scan``'s torch path and the torch
#: ``causal_conv1d_fn``; with mamba-ssm, training takes its fused ``mamba_split_conv1d_scan_combined``)
MAMBA2_TORCH_LAYERS = frozenset({"mamba2", "nemotron_h", "granitemoehybrid", "bamba", "falcon_h1"})


def mamba2_torch_layers(a: Architecture) -> int:
    """Mamba-2 layers counted apart from the attention layers (:data:`MAMBA2_TORCH_LAYERS`; 0 elsewhere)."""
    return a.mamba.layers if a.mamba is not None and a.model_type in MAMBA2_TORCH_LAYERS else 0


#: Model types whose Mamba (S6) layers :func:`mamba1_layer_bytes` counts as transformers 5.24 runs them without the
#: mamba-ssm and causal-conv1d packages, its default install: ``mamba_selective_scan``'s recurrent loop, token by
#: token (its associative scan runs only under torch.compile, mambapy's scan only where that package is installed;
#: with mamba-ssm, training takes its fused ``mamba_inner_fn``, Jamba its ``selective_scan_fn``)
MAMBA1_TORCH_LAYERS = frozenset({"mamba", "falcon_mamba", "jamba"})


def mamba1_torch_layers(a: Architecture) -> int:
    """Mamba (S6) layers counted apart from the attention layers (:data:`MAMBA1_TORCH_LAYERS`; 0 elsewhere)."""
    return a.mamba1.layers if a.mamba1 is not None and a.model_type in MAMBA1_TORCH_LAYERS else 0


def recurrent_layer_counts(a: Architecture) -> dict[str, int]:
    """The layers whose recurrent mixers are counted apart from attention, by kind ("gdn": Gated DeltaNet,
    "mamba2", "mamba1": Mamba's S6); those of other recurrent mixers are still counted as attention layers."""
    counts = {"gdn": gdn_torch_layers(a), "mamba2": mamba2_torch_layers(a), "mamba1": mamba1_torch_layers(a)}
    return {kind: n for kind, n in counts.items() if n}


def recurrent_beside_attention(a: Architecture) -> bool:
    """Whether the recurrent mixers counted apart run beside attention in the same layers (Falcon-H1's Mamba-2 in
    every layer) rather than in layers of their own (Qwen3.5's, Granite 4.0-H's, Nemotron-H's blocks)."""
    return a.attention_layers + sum(recurrent_layer_counts(a).values()) > a.num_layers


def mamba1_layer_bytes(a: Architecture, seq, batch, trained: bool = False) -> np.ndarray:
    """What one Mamba (S6) layer's mixer keeps for the backward pass (its input norm's output aside: the layer's
    ``feed`` term), as transformers 5.24's torch path runs it (:data:`MAMBA1_TORCH_LAYERS`): a loop over the tokens
    that keeps every token's state. With ``e`` channels, a state of ``n`` per channel and a time step of rank ``r``,
    per token: the input projection's output whole (x and the gate z, the convolution reading a view), ``4e``; the
    convolution's output padded by the kernel less one (the SiLU's input), ``2e·(s + kernel - 1) / s``; the SiLU's
    output when x_proj and D train, ``2e`` (and x_proj's copy of it laid out by token, ``2e`` more, where the batch
    holds more than one sequence); x_proj's output (dt, B and C, which the loop reads), ``2·(r + 2n)``; the time
    step's biased input to its softplus and the softplus's output, ``4e``; the discretized A and B, fp32, ``8e·n``;
    B and x in fp32, ``4n + 4e``; each token's fp32 state and its bf16 copy, ``6e·n``; the fp32 output with D's
    term, ``4e``, and the gate's SiLU output, ``2e``; out_proj's input when it trains, ``2e``. Falcon Mamba's
    norms on the time step, B and C (no weights) keep their fp32 inputs and inverse RMS, ``4·(r + 2n) + 12``, and
    C's output, ``2n``, in place of x_proj's output (and the time step's output when dt_proj trains, ``2r``);
    Jamba's weighted norms besides their normalized inputs when their weights train, ``2·(r + 2n)``. A sequence
    keeps its first state (zeros, bf16) but not its last fp32 one, ``-2e·n``; a layer A's exponent and its
    negation, ``4e·n`` each (one when A_log is frozen), and D in fp32, ``4e``. Counted with saved-tensor hooks on
    narrow Mamba, Falcon Mamba and Jamba mixers, 7 to 33 tokens, one to three sequences, trained and frozen:
    exact (a sequence of one token keeps x_proj's input without the copy)."""
    m = a.mamba1
    s = np.maximum(np.asarray(seq, dtype=np.float64), 1.0)
    b = np.asarray(batch, dtype=np.float64)
    e, n, r = m.d_inner, m.state_size, m.dt_rank
    t = 1.0 if trained else 0.0
    per_token = (4 * e + 2 * e * (s + m.conv_kernel - 1) / s + 2 * t * e * (1 + ((b > 1) & (s > 1)))
                 + 2 * (r + 2 * n) + 4 * e + 8 * e * n + 4 * n + 4 * e + 6 * e * n + 4 * e + 2 * e + 2 * t * e)
    if m.dt_norms or a.model_type == "falcon_mamba":   # (Falcon Mamba's norms have no weights)
        per_token = per_token + 2 * (r + 2 * n) + 12 + 2 * n + 2 * t * r + (2 * t * (r + 2 * n) if m.dt_norms else 0)
    return s * b * per_token - b * 2 * e * n + (4 + 4 * t) * e * n + 4 * e


def mamba2_layer_bytes(a: Architecture, seq, batch, trained: bool = False, kernels: bool = False) -> np.ndarray:
    """What one Mamba-2 layer's mixer keeps for the backward pass (its input norm's output aside: the layer's ``feed``
    term), as transformers 5.24's torch path runs it (:data:`MAMBA2_TORCH_LAYERS`). With ``h`` heads of ``p``
    channels (``e = h·p``), a state of ``n`` per channel in ``g`` groups, the convolution's ``c = e + 2gn``
    channels, the input projection's ``w = e + c + h`` outputs, chunks of ``C`` tokens, ``P`` the sequence padded to
    them and ``N = P / C`` chunks, per token: the input projection's output whole (the convolution reads a view of
    it), ``2w``; the convolution's output padded by the kernel less one (the SiLU's input), ``2c·(s + kernel - 1) /
    s``; the time step's bias sum and softplus output, ``4h``; the fp32 x, ``4e``, and the time step's fp32 copies,
    ``4h`` (``8h`` when A_log trains); over the padded sequence the padded x that D multiplies when D trains
    (``4e``), the chunks' decays, scores and masked scores, ``12h·C``, five copies of B and C laid out for the
    einsums, ``20h·n``, three of the discretized x and its off-diagonal output, ``12e``, two decay vectors, ``8h``,
    and the scan's padded fp32 output, ``4e``; the gated RMSNorm's fp32 gate, SiLU output and product, ``12e``, its
    inverse RMS per group, ``4g``, and its normalized input when the weight trains, ``4e`` (Falcon-H1 without
    ``mamba_rms_norm``: the gate's SiLU output alone, ``2e``); out_proj's bf16 input when it trains, ``2e``. A
    sequence keeps the states at the chunks' ends twice, ``4h·p·n·(2N + 1)``, and their decays, ``4h·(N + 1)²``;
    where the sequence is one chunk, the einsums read views instead of copying: ``4e`` less over the padded tokens
    (``4e + 8h·n`` at a batch of one) and a state more. Each layer keeps A's fp32 exponent and its negation, ``4h``
    (``8h`` when A_log trains) and the two masks, ``2C² + 2(N + 1)²`` bytes. Counted with saved-tensor hooks on
    narrow Mamba-2, Nemotron-H, Granite 4.0-H, Bamba and Falcon-H1 mixers, 16 to 200 tokens, one to three
    sequences, padded and not, trained and frozen: exact (``benchmarks/count_hf_activations.py``).

    ``kernels``: through mamba-ssm's fused kernel instead (SOURCES["mamba_kernels"]), which keeps the input
    projection's output, ``2w``, the scan's output before the gated norm, ``2e``, and the norm's inverse RMS per
    group, ``4g`` (none without the norm: Falcon-H1 without ``mamba_rms_norm``), and recomputes the rest; a layer
    A's exponent and its negation as before."""
    m = a.mamba
    s = np.maximum(np.asarray(seq, dtype=np.float64), 1.0)
    b = np.asarray(batch, dtype=np.float64)
    h, p, n, g, chunk = m.num_heads, m.head_dim, m.state_size, m.n_groups, m.chunk_size
    e, c = m.d_inner, m.conv_dim
    t = 1.0 if trained else 0.0
    if kernels:
        return s * b * (2 * m.in_proj_width + 2 * e + (4 * g if m.gated_norm else 0)) + (4 + 4 * t) * h
    padded = np.ceil(s / chunk) * chunk
    chunks = padded / chunk
    one = chunks == 1
    norm = (12 * e + 4 * g + 4 * t * e) if m.gated_norm else 2 * e
    per_token = (2 * m.in_proj_width + 2 * c * (s + m.conv_kernel - 1) / s + 4 * h + 4 * e + (4 + 4 * t) * h
                 + (4 * t * e + 12 * h * chunk + 20 * h * n + 16 * e + 8 * h
                    - one * (4 * e + (b == 1) * 8 * h * n)) * padded / s
                 + norm + 2 * t * e)
    per_sequence = 4 * h * p * n * (2 * chunks + 1 + one) + 4 * h * (chunks + 1) ** 2
    return s * b * per_token + b * per_sequence + (4 + 4 * t) * h + 2 * chunk ** 2 + 2 * (chunks + 1) ** 2


#: Families whose rotary embedding builds its cos and sin tables anew in every layer (``apply_rotary_pos_emb``
#: repeat-interleaves them over the head, transformers 5.24) and keeps them for the backward pass: bytes a position
#: and attention layer per head dimension, the batch's sequences sharing them (positions ``(1, s)``). ERNIE 4.5
#: multiplies in fp32 (``q.float() * cos``), Helium in bf16. Counted with saved-tensor hooks on narrow layers at one
#: sequence and two (benchmarks/count_hf_activations.py).
ROTARY_TABLES_PER_LAYER = {"ernie4_5": 8, "ernie4_5_moe": 8, "helium": 4}


def layer_activation_bytes(a: Architecture, seq, batch, attention: str = "eager", trained: bool = False,
                           mixer: str | None = None, mamba_kernels: bool = False,
                           shared: float | None = None, padded: bool = False) -> np.ndarray:
    """What one layer keeps for the backward pass, 16-bit activations, no recomputation.

    Per token, as HF transformers' layers keep it (saved-tensor hooks:
    ``benchmarks/count_hf_activations.py``): the attention's ``2·d_q + 4·d_kv + 2·d_o`` (the roped
    queries, ``d_q = h·d_h``, keys and values, and the output, ``d_o = h·d_v``: Qwen3 4B's 4,096
    against its d of 2,560) + ``4h`` (SDPA's fp32 log-sum-exp; eager attention keeps ``6·h·s``
    of scores instead, and the keys and values repeated to every head: :func:`eager_attention_bytes`); the MLP's
    ``6f`` (gated: gate, up and the activation's output) or ``2f``
    (plain: the activation's input), more where its activation keeps more (:func:`mlp_kept_widths`); every
    RMSNorm its fp32 input and inverse RMS, ``4d + 4``
    (a LayerNorm its bf16 input, mean and rstd, ``2d + 8``; Cohere's, in fp32 in Python, its centred input twice,
    ``8d + 4``, :attr:`~vramgui.core.architecture.Architecture.centred_fp32_norm`); q/k norms likewise on
    ``d_q + d_kv``.
    When the weights train (``trained``: full fine-tuning) their gradients need their inputs as
    well: each RMSNorm's normalized input (``2d``; ``4d`` where the weight multiplies in fp32,
    :attr:`~vramgui.core.architecture.Architecture.fp32_norm_weight`: Gemma's, OLMo 2's, Cohere's; counted), each
    input norm's output (``2d``, the projections' input) and the
    down projection's input (``2f``; a plain MLP's second matrix's).  An MoE layer (transformers'
    grouped experts) keeps its router's fp32 probabilities (``4E``) and each routed expert's
    output for its routing weight's gradient (``2d·k``), and when the experts train the token's
    copy each expert reads (``2d·k`` more) and, where the router multiplies in fp32, its input's fp32 copy (``4d``,
    :data:`FP32_ROUTER_INPUT`); a shared expert under a sigmoid gate (Qwen2-MoE, Qwen3-Next, Qwen3.5) keeps its
    output for the gate's gradient (``2d``).  Each dropout on the attention's or MLP's output
    (:attr:`~vramgui.core.architecture.Architecture.residual_dropouts`: GPT-2's, Phi-2's, OPT's) keeps its mask, ``d``
    (the attention's own dropout is SDPA's, which keeps only its random state).  Nemotron-NAS's empty sub-blocks
    keep nothing: each part (and its norm) in the share of the layers that have it.  Gated DeltaNet layers
    (:data:`GDN_TORCH_LAYERS`) keep :func:`gdn_layer_bytes` and Mamba-2 layers (:data:`MAMBA2_TORCH_LAYERS`)
    :func:`mamba2_layer_bytes` instead of attention's, in their share of the layers, and the MLPs in theirs
    (Nemotron-H's blocks hold a mixer or an MLP; ``mixer`` "attention", "gdn" or "mamba2": one kind of layer alone;
    ``mamba_kernels``: the Mamba-2 mixers through mamba-ssm's fused kernel);
    Falcon-H1's Mamba-2 beside attention reads its own scaled copy of the norm's output; ERNIE 4.5's and Helium's
    attention layers keep the rotary tables they rebuild, ``8·d_h`` and ``4·d_h`` a position whatever the batch
    (:data:`ROTARY_TABLES_PER_LAYER`); a fused qkv projection whose
    output outlives it through the values (:data:`FUSED_QKV_KEPT`) ``2·(d_q + d_kv)`` more.  Gemma 4: its windowed
    and full-attention layers each with their own heads (``mixer`` "windowed" or "global": one kind alone), its
    kv-shared layers (``shared``: their share of the layers, the architecture's by default) without keys and values,
    key norms and value norms of their own, and its per-layer inputs ``p`` wide (each layer's norm on its gated
    per-layer input, the gate's activation input and the layer's slice of the inputs, ``4p``; when the weights train
    the gate's input, the activation's output and the projection's input, ``2d + 4p``, and the model's norm over
    the per-layer inputs, a layer's share)."""
    s = np.asarray(seq, dtype=np.float64)
    b = np.asarray(batch, dtype=np.float64)
    g = a.global_attention
    if g is not None:   # Gemma 4: the windowed layers' heads and the full-attention layers' own, each layer's in its
        #                 share (``mixer`` "windowed" or "global": one kind alone, one with keys and values of its own),
        #                 the kv-shared layers among each kind
        windowed = a.model_copy(update={"global_attention": None, "sliding_window_layers": a.attention_layers})
        wide = a.model_copy(update={"global_attention": None, "head_dim": g.head_dim, "num_kv_heads": g.num_kv_heads,
                                    "sliding_window_layers": 0})
        args = (s, b, attention, trained, None, mamba_kernels)
        kw = {"padded": padded}
        n_windowed = a.sliding_window_layers
        n_global = a.attention_layers - n_windowed
        shared_global = a.kv_shared_layers - a.kv_shared_windowed
        if mixer == "windowed" or (mixer is None and not n_global):
            return layer_activation_bytes(windowed, *args, shared=0.0 if mixer else None, **kw)
        if mixer == "global" or (mixer is None and not n_windowed):
            return layer_activation_bytes(wide, *args, shared=0.0 if mixer else None, **kw)
        return (n_windowed * layer_activation_bytes(windowed, *args, shared=a.kv_shared_windowed / n_windowed, **kw)
                + n_global * layer_activation_bytes(wide, *args, shared=shared_global / n_global, **kw)
                ) / a.attention_layers
    d = a.hidden_size
    d_kv = a.num_kv_heads * a.head_dim
    f = a.intermediate_size
    if a.moe is not None:   # the MLP layers' mean: the routed ones' experts a token uses and shared experts, and the
        #                     dense ones' (DeepSeek-V3's first three, Llama 4 Maverick's every other)
        routed = a.moe.experts_per_token * a.moe.expert_intermediate_size + a.moe.shared_intermediate_size
        f = (a.moe_layers * routed + a.dense_ffn_layers * a.intermediate_size) / max(a.ffn_layers, 1)
    attn_share = ffn_share = 1.0     # of the layers, those with attention / an MLP
    if a.noop_blocks:   # Nemotron-NAS: an empty sub-block stores nothing, each MLP its own width (their mean here)
        attn_share, ffn_share = a.attention_layers / a.num_layers, a.ffn_layers / a.num_layers
        f = sum(w * n for w, n in a.dense_mlp_widths) / a.ffn_layers
    d_q, d_o = a.num_heads * a.head_dim, a.num_heads * a.value_width(a.head_dim)
    rms = a.norm_kind == "rms"
    centred = a.centred_fp32_norm
    # (a norm's weight needs its normalized input for its gradient; a weightless one keeps none)
    normalized = (4 if a.fp32_norm_weight or centred else 2) if trained and rms and not a.norm_weightless else 0

    row = 8 if a.model_type in POW_RMS_NORM else 4     # (an fp32 scalar a row, or two)

    def norm(width, rows=1):    # one norm over `width` a token (`rows` inverse RMS / mean-and-rstd rows)
        kept = (8 if centred else 4) * width + row * rows if rms else 2 * width + 8 * rows
        if a.norm_kind == "none":   # OLMo's LayerNorm without parameters, run on an fp32 copy of its input
            kept = 4 * width + 8 * rows
        return kept + normalized * width

    attn = 2 * d_q + 4 * d_kv + 2 * d_o + 4 * a.num_heads
    by_head = a.model_type in QUERY_BY_HEAD     # attention's output laid out by head: read through a transposed copy
    if a.mla:   # MLA (transformers' DeepSeek-V2/V3 family): the latents' norms (and the up-projections' inputs when
        # they train), the query and key built whole, the key up-projection's output (the values a view of it), the
        # attention's output and log-sum-exp
        m, h = a.mla, a.num_heads
        qk = m.qk_nope_head_dim + m.qk_rope_head_dim
        attn = 4 * h * qk + 2 * h * (m.qk_nope_head_dim + m.v_head_dim) + 2 * h * m.v_head_dim + 4 * h
        for rank in (m.kv_lora_rank, m.q_lora_rank or 0):
            attn += (norm(rank) + (2 * rank if trained else 0)) if rank else 0
        # (values as wide as the keys take flash attention, whose output follows the query built whole; DeepSeek's
        # narrower values the memory-efficient kernel's, laid out by token)
        by_head = m.v_head_dim == qk
    if a.attn_output_gate and not a.mla:   # a sigmoid gate on the attention's output: the sigmoid's output and, when
        # o_proj trains, the gated product it reads (and the copy it multiplies, where the output is laid out by head)
        attn = attn + (2 + (2 if trained else 0) + (2 if by_head else 0)) * d_o
    elif trained and by_head:   # o_proj's input, the transposed copy
        attn = attn + 2 * d_o
    attn = attn + 2 * (d_q + d_kv) * fused_qkv_whole(a, attention, b)   # (the fused output, the values a view of it)
    # the shares of the layers whose recurrent mixers are counted apart (recurrent_layer_counts), of the attention
    # layers and of the MLPs (Nemotron-H's blocks hold one of them); `mixer`: one kind of layer alone
    counted = recurrent_layer_counts(a)
    shares = {kind: n / a.num_layers for kind, n in counted.items()}
    parallel = recurrent_beside_attention(a)    # (Falcon-H1: both mixers read one norm's output)
    if counted:
        attn_share, ffn_share = a.attention_layers / a.num_layers, a.ffn_layers / a.num_layers
        if mixer is not None:
            shares = {kind: float(kind == mixer) for kind in shares}
            attn_share = float(mixer == "attention")
    if a.falcon_layout:     # (transformers' Falcon: its mask, the math path of its one head, its views and copies)
        attn = attn + falcon_attention_bytes(a, s, b, attention)
    if attention == "sdpa" and not a.falcon_layout:   # (transformers' sdpa_attention_forward)
        attn = attn + sdpa_repeat_bytes(a, s, b, padded)
    matmuls = attention == "eager" or sdpa_math_path(a, attention)
    if matmuls and (by_head or (not trained and not a.attn_output_gate)) and not a.mla:
        attn = attn - 2 * d_o   # (SDPA's kernels keep their output; a matmul's, only what reads its copy laid out
        #                        by token: o_proj's weight gradient, an output gate; the by-head term's copy there)
    if attention == "eager":   # (in the layers with softmax attention: MiniMax-Text-01's one in eight)
        attn = attn + eager_attention_bytes(a, s, b) * (1.0 if counted or a.noop_blocks
                                                     else a.attention_layers / a.num_layers)
    if a.has_qk_norms:
        attn = attn + norm(d_q + d_kv, 2 if a.qk_norm_full else a.num_heads + a.num_kv_heads)
    value_norm = 4 * d_kv + row * a.num_kv_heads if a.model_type in VALUE_NORM else 0   # (weightless: its fp32 input
    attn = attn + value_norm                                                            # and a row's scalars)
    if shared is None:
        shared = a.kv_shared_layers / max(a.attention_layers, 1)
    if shared:   # (Gemma 4's kv-shared layers read an earlier layer's keys and values: none of their own, no k/v norms)
        attn = attn - shared * (4 * d_kv + value_norm + (norm(d_kv, a.num_kv_heads) if a.has_qk_norms else 0))
    mlp = mlp_kept_widths(a, trained) * f
    inputs = min(a.norms_per_layer, 2)      # the norms before attention and MLP (one before both: parallel)
    feed = norm(d) + (2 * d if trained else 0)     # an input norm and, when the projections train, its output
    if a.moe is not None:   # (counted on narrow Qwen3-MoE and Mixtral layers: 70-90 bytes of indices left out)
        mlp = mlp + a.moe_layers / max(a.ffn_layers, 1) * (4 * a.moe.num_experts
                                                   + (4 if trained else 2) * d * a.moe.experts_per_token
                                                   + (4 * d if trained and a.model_type in FP32_ROUTER_INPUT else 0)
                                                   # (Qwen's sigmoid gate on the shared expert keeps its output)
                                                   + (2 * d if a.moe.shared_expert_gate else 0))
    per_token = attn_share * attn + ffn_share * mlp + (a.norms_per_layer - inputs) * norm(d) \
        + a.residual_dropouts * d      # (CUDA's fused dropout keeps a mask of one byte an element)
    if a.moe_post_norm:   # A.X K1's norm on each MoE layer's output
        per_token = per_token + a.moe_layers / a.num_layers * norm(d)
    if inputs == 2:     # (a recurrent mixer alone in its layer has an input norm of its own)
        per_token = per_token + (attn_share + ffn_share + (0.0 if parallel else sum(shares.values()))) * feed
    elif inputs == 1:
        per_token = per_token + feed
    if a.per_layer_input:   # (Gemma 4 E2B / E4B: each layer's gate on its per-layer input, and its norm)
        p = a.per_layer_input
        per_token = per_token + norm(d) + 4 * p + ((2 * d + 4 * p + norm(p)) if trained else 0)
    if a.norms_share_input and a.norm_kind == "layer":   # (two LayerNorms on one bf16 input: kept once)
        per_token = per_token - 2 * d
    if parallel and trained:   # (Falcon-H1's mixer scales its input by ssm_in_multiplier: a copy in_proj keeps)
        per_token = per_token + shares.get("mamba2", 0.0) * 2 * d
    kept = {"gdn": gdn_layer_bytes, "mamba1": mamba1_layer_bytes,
            "mamba2": lambda *args: mamba2_layer_bytes(*args, kernels=mamba_kernels)}
    # (the rotary tables some families rebuild in each attention layer, one set a position whatever the batch)
    tables = s * ROTARY_TABLES_PER_LAYER.get(a.model_type, 0) * a.head_dim * attn_share
    return s * b * per_token + tables + sum(share * kept[kind](a, s, b, trained) for kind, share in shares.items()
                                            if share)


def training_memory(t: TrainingSetup, seq=None, batch=None) -> TrainingMemory:
    """Memory per card of the fine-tuning job ``t`` at its peak, swept over ``seq`` and ``batch``.

    The weights and the optimizer's states are alive throughout; beyond them the peak is the
    largest of three phases: the loss (the backward pass's start: every stored activation and the
    logits, :data:`LOGIT_BYTES`; PyTorch's ``zero_grad`` has set the gradients to None), the
    backward pass (the gradients grow as the stored activations are freed: the larger of the two,
    plus the layer being recomputed under checkpointing) and the optimizer's step (the gradients
    and the step's own temporaries, :func:`optimizer_step_bytes`).  With gradient accumulation
    (``grad_accum`` > 1) the gradients are alive through every phase.  PyTorch's allocator needs
    :data:`ALLOCATOR_FRACTION` of that phase on top."""
    a = t.model.architecture
    p = count_params(a)
    s = np.asarray(t.seq if seq is None else seq, dtype=np.float64)
    b = np.asarray(t.batch if batch is None else batch, dtype=np.float64)
    ones = np.ones(np.broadcast(s, b).shape)
    w_b, g_b, o_b = (OPTIMIZER_BYTES if t.method == "full" else ADAPTER_BYTES)[t.optimizer]
    if t.method == "full":    # (a vision-language checkpoint's tower as well: transformers builds it and trains it)
        trainable = p.total + p.vision
        opt = trainable * o_b if t.optimizer != "adafactor" else _adafactor_bytes(a)
        weights = trainable * w_b
    else:
        trainable = lora_params(a, t.lora_rank, t.adapted_targets)
        wb = weight_bytes(a, frozen_format(t), p)
        frozen_bytes = wb.total + wb.vision + kbit_upcast_bytes(t, wb)
        # adapters A (r × d_in) and B (d_out × r): factored moments are r + d per matrix
        opt = trainable * o_b if t.optimizer != "adafactor" else 4.0 * trainable * 2 / max(t.lora_rank, 1)
        weights = frozen_bytes + trainable * w_b
    grads = trainable * g_b
    n = t.n_gpus
    if t.zero >= 1:
        opt /= n
    if t.zero >= 2:
        grads /= n
    if t.zero >= 3:
        weights /= n
    weights = weights + resident_extra_bytes(t)
    stored, work, logits = activation_parts(t, a, s, b)
    step = optimizer_step_bytes(t, trainable)
    if t.grad_accum > 1:
        loss, backward = grads + stored + logits, grads + stored + work
    else:
        loss, backward = stored + logits, np.maximum(stored, grads) + work
    step_phase = (grads + step) * ones
    transient = np.maximum(np.maximum(loss, backward), step_phase)
    fragmentation = ALLOCATOR_FRACTION[t.allocator] * transient
    overhead = CUDA_CONTEXT_BYTES + (DATA_PARALLEL_BYTES if n > 1 else 0.0) + fragmentation
    return TrainingMemory(weights=weights * ones, gradients=grads * ones, optimizer=(opt + step) * ones,
                          activations=(transient - grads - step) * ones, overhead=overhead * ones,
                          trainable_params=int(trainable), loss_phase=loss * ones, backward_phase=backward * ones,
                          step_phase=step_phase, fragmentation=fragmentation * ones, stored=stored * ones,
                          logits=logits * ones)


def frozen_format(t: TrainingSetup):
    """The frozen base's weight format under LoRA (bf16) and QLoRA (NF4, as HF transformers loads it: an MoE model's
    routed experts stay 16-bit, engines.HF_BNB_EXPERTS)."""
    from .scenario import named_format
    return named_format("nf4", t.model, "hf") if t.method == "qlora" else WEIGHT_FORMATS["bf16"]


def resident_extras(t: TrainingSetup) -> tuple[tuple[str, float, bool], ...]:
    """What transformers keeps beside the weights of the model it trains, on every card
    (:func:`~vramgui.core.engines.hf_resident_extras`): its classes' buffers, GPT-Neo's causal masks among them, which
    ZeRO does not shard, and the routers it keeps in fp32, 2 bytes more each than the 16-bit weights counted (none
    where QLoRA's upcast made them fp32 already, or where bitsandbytes quantizes the router, :data:`BNB_ROUTERS`)."""
    a = t.model.architecture
    fp32 = t.method == "qlora" and (t.kbit_upcast or a.model_type in BNB_ROUTERS)
    return hf_resident_extras(a, 32.0 if fp32 else 16.0)


def resident_extra_bytes(t: TrainingSetup) -> float:
    """The bytes of :func:`resident_extras`."""
    return sum(b for _, b, _ in resident_extras(t))


def kbit_upcast_bytes(t: TrainingSetup, wb) -> float:
    """What QLoRA's frozen weights gain from peft's ``prepare_model_for_kbit_training`` (``t.kbit_upcast``; the
    QLoRA scripts, TRL's SFTTrainer with a 4-bit model and Axolotl call it): every parameter that is not 4-bit
    (the embeddings, the LM head, norms and biases, 16-bit in ``wb``; an MoE model's routed experts, which
    bitsandbytes leaves 16-bit under transformers 5) cast to fp32, two bytes more each (SOURCES["kbit_upcast"]); 0
    for other methods or without it."""
    if t.method != "qlora" or not t.kbit_upcast:
        return 0.0
    a = t.model.architecture
    fmt = frozen_format(t)
    p = count_params(a)
    # (a vision tower's weights that stay 16-bit: all but its quantized linear layers, engines.HF_BNB_VISION)
    tower = 2.0 * (a.vision.other if fmt.vision_linear_bits and a.vision else p.vision)
    if fmt.linear_bits >= 16:           # (bitsandbytes replaced none of its layers: engines.HF_BNB_UNCONVERTED)
        return wb.total + tower
    experts = 2.0 * p.experts if wide_experts(fmt) else 0.0
    return wb.embedding + wb.lm_head + wb.other + experts + tower


def optimizer_step_bytes(t: TrainingSetup, trainable: float) -> float:
    """The transient memory of the optimizer's step per card: foreach AdamW's square roots of the second moments
    (sharded with them under ZeRO); none for a fused step or another optimizer."""
    if t.optimizer_step != "foreach":
        return 0.0
    step = trainable * FOREACH_STEP_BYTES.get(t.optimizer, 0.0)
    return step / t.n_gpus if t.zero >= 1 else step


def adapter_activation_bytes(a: Architecture, targets: tuple[str, ...], rank: int, seq, batch,
                             fp32: bool = True) -> np.ndarray:
    """What LoRA's adapters keep for the backward pass, per layer (the model's mean). fp32
    adapters (peft's default: ``get_peft_model``'s ``autocast_adapter_dtype``) make each adapted
    matrix a token passes cast the token's input to fp32 and keep it for lora_A's gradient, and
    lora_A's fp32 output for lora_B's: ``ADAPTER_ACT_BYTES·(d_in + r)`` each (counted with
    saved-tensor hooks: ``benchmarks/count_hf_activations.py --lora``); bf16 adapters read the
    bf16 input the layer keeps anyway and add lora_A's output, ``2·r``."""
    per = (lambda x: ADAPTER_ACT_BYTES * (x + rank)) if fp32 else (lambda x: 2.0 * rank)
    # (the routed experts' fused parameters: fused_lora_bytes)
    per_token = sum(c * per(x) for x, _, c in adapted_shapes(a, targets, passed=True))
    return np.asarray(seq, dtype=np.float64) * np.asarray(batch, dtype=np.float64) * per_token / a.num_layers


def fp32_adapters(t: TrainingSetup) -> bool:
    """LoRA's adapters in fp32 (peft's default) unless the optimizer keeps everything in bf16."""
    return ADAPTER_BYTES[t.optimizer][0] == 4.0


def activation_parts(t: TrainingSetup, a: Architecture, s, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(stored, work, logits)``: what the layers keep for the backward pass, what recomputing one
    layer adds in it (full checkpointing), and the logits' bytes at the loss."""
    trained = t.method == "full"
    adapters = (adapter_activation_bytes(a, t.adapted_targets, t.lora_rank, s, b, fp32_adapters(t))
                if t.method != "full" else 0.0)
    layer = layer_activation_bytes(a, s, b, t.attention, trained, mamba_kernels=t.mamba_kernels,
                                   padded=t.padded) + adapters
    # LoRA on fused experts: each MoE layer keeps its folded expert stack and the experts' inputs, and the backward
    # pass makes a layer's weight gradient (fused_lora_bytes)
    kept, per_token, grad = fused_lora_bytes(a, t.adapted_targets, t.lora_rank, fused_param_bytes(t)) \
        if t.method != "full" else (0.0, 0.0, 0.0)
    fused = kept + per_token * s * b
    work = np.zeros_like(layer) + grad
    if t.checkpointing == "none":
        stored = a.num_layers * layer + a.moe_layers * fused
    elif t.checkpointing == "selective":   # recompute the attention core (scores) only
        stored = a.num_layers * (layer_activation_bytes(a, s, b, "flash", trained, mamba_kernels=t.mamba_kernels,
                                                        padded=t.padded)
                                 + adapters) + a.moe_layers * fused
    else:                                   # layer inputs kept, one layer recomputed at a time
        kinds = recurrent_layer_counts(a)
        if a.global_attention is not None:   # (Gemma 4's layers with wider heads, or its windowed ones)
            kinds = {"windowed": a.sliding_window_layers, "global": a.attention_layers - a.sliding_window_layers}
            kinds = {kind: n for kind, n in kinds.items() if n}
            layer = np.maximum.reduce([layer_activation_bytes(a, s, b, t.attention, trained, kind, t.mamba_kernels,
                                                              padded=t.padded)
                                       for kind in kinds]) + adapters
        elif kinds and not recurrent_beside_attention(a):   # (the largest kind of layer)
            layer = np.maximum.reduce([layer_activation_bytes(a, s, b, t.attention, trained, kind, t.mamba_kernels,
                                                              padded=t.padded)
                                       for kind in ("attention", *kinds)])
            layer = layer + adapters
        stored, work = a.num_layers * 2 * s * b * a.hidden_size, layer + fused + grad
    return stored, work, s * b * a.vocab_size * logit_bytes(a)


def logit_bytes(a: Architecture) -> float:
    """Bytes a logit holds at the loss's backward pass (:data:`LOGIT_BYTES`, :data:`SOFTCAP_LOGIT_BYTES`)."""
    return LOGIT_BYTES + (SOFTCAP_LOGIT_BYTES if a.logit_softcap else 0.0)


def fused_param_bytes(t: TrainingSetup) -> float:
    """Bytes of a routed expert's weight under LoRA or QLoRA (the folded copies' dtype, :func:`fused_lora_bytes`):
    16 bits, or 32 where QLoRA's k-bit preparation casts the 16-bit experts bitsandbytes leaves (kbit_upcast)."""
    return 4.0 if t.method == "qlora" and t.kbit_upcast and wide_experts(frozen_format(t)) else 2.0


@dataclass(frozen=True)
class TrainingFit:
    budget_bytes: float
    needed_bytes: float
    fits: bool
    max_batch: int
    max_seq: int


def training_budget(t: TrainingSetup) -> float:
    """Training uses the whole card as the driver reports it (no engine cap)."""
    return t.gpu.memory_bytes


MAX_SEQ, MAX_BATCH = 2**24, 2**20     # the searches' ends


def _guesses(t: TrainingSetup, budget: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form answers to :func:`largest_fits` (the largest sequence at the setup's micro-batch, the largest
    micro-batch at its sequence, for each of ``budget``), for the search to confirm.  The peak is the fixed bytes
    plus (1 + the allocator's share) times the largest phase (:func:`training_memory`); each phase is a constant
    (the gradients, the step's temporaries) and activations of the form b·(c1·s + c2·s²), eager attention's
    scores squaring the sequence: each phase's bound solved, the least of them, floored."""
    a = t.model.architecture
    m = training_memory(t)
    frac = ALLOCATOR_FRACTION[t.allocator]
    transient = max(float(m.loss_phase), float(m.backward_phase), float(m.step_phase))
    room = (np.asarray(budget, dtype=np.float64) - (float(m.total) - (1 + frac) * transient)) / (1 + frac)
    grads = float(m.gradients)
    stored, work, logits = (np.broadcast_to(np.asarray(x, dtype=np.float64), (2,))
                            for x in activation_parts(t, a, np.array([1.0, 2.0]), 1.0))

    def coefficients(v):        # v at s = 1 and 2 (b = 1): c1 + c2, 2 c1 + 4 c2
        c2 = (v[1] - 2 * v[0]) / 2
        return v[0] - c2, c2
    phases = ([(stored + logits, grads), (stored + work, grads)] if t.grad_accum > 1 else
              [(stored + logits, 0.0), (stored + work, 0.0), (work, grads)])   # (backward: max(stored, grads) + work)
    seq, batch = float(t.seq), float(t.batch)
    most_seq = np.full(room.shape, np.inf)
    most_batch = np.full(room.shape, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        for v, const in phases:
            c1, c2 = coefficients(v)
            left = room - const
            per = c1 * seq + c2 * seq * seq
            if per > 0:
                most_batch = np.minimum(most_batch, left / per)
            if c2 > 0:
                most_seq = np.minimum(most_seq, (-c1 + np.sqrt(c1 * c1 + 4 * c2 * np.maximum(left, 0) / batch))
                                      / (2 * c2) - np.where(left < 0, np.inf, 0.0))
            elif c1 > 0:
                most_seq = np.minimum(most_seq, left / (c1 * batch))
    short = room < float(m.step_phase)          # (the step alone does not fit: nothing does)

    def whole(x, hi):
        return np.where(short, 0, np.clip(np.floor(np.nan_to_num(x, nan=0.0, posinf=hi, neginf=0.0)), 0, hi)
                        ).astype(np.int64)
    return whole(most_seq, MAX_SEQ), whole(most_batch, MAX_BATCH)


def largest_fits(t: TrainingSetup, budget) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``budget``: the largest sequence (at the setup's micro-batch) and micro-batch (at its
    sequence) whose peak fits, exact to one (0 where none does): the closed form of :func:`_guesses`, each answer
    confirmed by the totals at it and one above (the peak grows with either), searched where they do not."""
    from .fit import largest_within_guessed  # local: fit imports memory, which imports scenario and engines

    budget = np.asarray(budget, dtype=np.float64)
    seq, batch = _guesses(t, budget)
    ms = largest_within_guessed(lambda x: training_memory(t, seq=x).total, budget, 1, MAX_SEQ, seq)
    mb = largest_within_guessed(lambda x: training_memory(t, batch=x).total, budget, 1, MAX_BATCH, batch)
    return np.maximum(ms, 0), np.maximum(mb, 0)


def training_fit(t: TrainingSetup) -> TrainingFit:
    """Verdict, largest micro-batch (at the setup's sequence length) and largest sequence
    length (at its micro-batch) that fit, exact to one."""
    budget = np.array([training_budget(t)])
    needed = float(training_memory(t).total)
    ms, mb = largest_fits(t, budget)
    return TrainingFit(budget_bytes=float(budget[0]), needed_bytes=needed, fits=bool(needed <= budget[0]),
                       max_batch=int(mb[0]), max_seq=int(ms[0]))


def rule_of_thumb_bytes(params: float) -> dict[str, float]:
    """The two rules users meet: 16 B/param (mixed-precision AdamW states, ZeRO paper) and
    8 B/param (pure bf16 AdamW, popular guides); neither counts activations."""
    return {"mixed_precision_adamw": 16.0 * params, "bf16_adamw": 8.0 * params}


__all__ = ["TrainingSetup", "TrainingMemory", "TrainingFit", "training_memory", "training_fit", "lora_params",
           "layer_activation_bytes", "activation_parts", "rule_of_thumb_bytes", "GIB"]


def training_card_table(t: TrainingSetup, gpus: list[GPU]):
    """The fine-tuning job on every card: verdict, fewest data-parallel cards (with the
    setup's ZeRO stage; without ZeRO more cards do not lower per-card memory), largest
    sequence and micro-batch.  Returned as a :class:`~vramgui.core.cards.CardTable` whose
    ``max_prompt_tokens`` holds the largest sequence and whose speed column is NaN."""
    from .cards import CardTable

    budget = np.array([g.memory_bytes for g in gpus])
    needed = float(training_memory(t).total)
    min_gpus = np.zeros(len(gpus), dtype=np.int64)
    counts = (1, 2, 4, 8, 16, 32, 64) if t.zero else (1,)
    for n in counts:
        left = min_gpus == 0
        if not left.any():
            break
        need_n = needed if n == t.n_gpus else float(training_memory(t.with_(n_gpus=n)).total)
        min_gpus = np.where(left & (need_n <= budget), n, min_gpus)
    # ZeRO shards over any number of cards: below each first count that fits, the counts since the last that did
    # not (the need falls as the count grows, from two cards on)
    gaps = sorted({c for n in set(min_gpus[min_gpus > 2].tolist()) for c in range(n // 2 + 1, n)})
    if gaps:
        need = np.array([needed if c == t.n_gpus else float(training_memory(t.model_copy(update={"n_gpus": c})).total)
                         for c in gaps])
        between = np.array(gaps)
        for i in np.nonzero(min_gpus > 2)[0]:
            n = min_gpus[i]
            ok = (between > n // 2) & (between < n) & (need <= budget[i])
            if ok.any():
                min_gpus[i] = between[np.argmax(ok)]
    each, back = np.unique(budget, return_inverse=True)     # (cards of one size: one answer)
    max_seq, max_batch = (x[back] for x in largest_fits(t, each))
    return CardTable(gpus=list(gpus), needed_bytes=needed, budget_bytes=budget, fits=needed <= budget,
                     min_gpus=min_gpus, max_prompt_tokens=np.where(max_seq < 1, -1, max_seq), max_batch=max_batch,
                     decode_tokens_per_s=np.full(len(gpus), np.nan), compute_known=np.ones(len(gpus), dtype=bool),
                     engine_runs=np.ones(len(gpus), dtype=bool),     # (training names no inference engine)
                     most_cards=max(counts))
