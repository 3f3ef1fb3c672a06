"""What a decoder layer keeps for the backward pass, counted from transformers' own code.

``benchmarks/count_hf_activations.py`` sums the storages autograd saves in one forward pass of
narrow Llama and Qwen3 models (Qwen3 4B's ratios: queries wider than the model, q/k norms) and
this test compares them with ``training.layer_activation_bytes``. CI pins the transformers release
(.ci/run); without torch and transformers it skips.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from vramgui.core.architecture import architecture_from_hf_config
from vramgui.core.training import (
    ACTIVATION_KEEPS,
    LOGIT_BYTES,
    QUERY_BY_HEAD,
    SOFTCAP_LOGIT_BYTES,
    adapter_activation_bytes,
    fused_lora_bytes,
    gdn_layer_bytes,
    layer_activation_bytes,
    logit_bytes,
    mamba1_layer_bytes,
    mamba2_layer_bytes,
)

pytest.importorskip("torch")
pytest.importorskip("transformers")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def count():
    spec = importlib.util.spec_from_file_location("count_hf_activations",
                                                  ROOT / "benchmarks" / "count_hf_activations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def estimate(count, kind: str, lora: tuple[str, ...] = (), trained: bool = False) -> float:
    """A layer's bytes a token, as the count gives them: LoRA on fused experts keeps bytes a layer too (its folded
    expert stack), spread over the count's tokens."""
    a = architecture_from_hf_config(count.kind_config(kind, 2))
    kept, per_token, _ = fused_lora_bytes(a, lora, count.LORA_RANK, 2.0)
    fused = (kept / (count.TOKENS[0] * count.TOKENS[1]) + per_token) * a.moe_layers / a.num_layers
    return float(layer_activation_bytes(a, 1, 1, "sdpa", trained)
                 + adapter_activation_bytes(a, lora, count.LORA_RANK, 1, 1)) + fused


def test_full_fine_tuning_keeps_what_the_formula_counts(count):
    # every weight trained. Per token, width d 160, queries 8 x 32 = 256, keys and values 2 x 32 = 64, MLP f 608,
    # 8 heads: attention 2 x 256 (roped queries) + 4 x 64 (keys, values) + 2 x 256 (output) + 4 x 8 (SDPA's fp32
    # log-sum-exp) = 1,312; MLP 8 x 608 (gate, up, the activation's output, down's input) = 4,864; two RMSNorms,
    # each its fp32 input and inverse RMS 4 x 160 + 4, its bf16 normalized input 2 x 160 (the weight's gradient)
    # and its output 2 x 160 (the projections'): 2 x 1,284 = 2,568. Llama 8,744 bytes, as counted
    assert estimate(count, "llama", trained=True) == 1312 + 4864 + 2568 == 8744
    assert count.layer_bytes_per_token("llama") == 8744
    # Qwen3's q/k norms: their fp32 inputs and a scale a head, 4 x (256 + 64) + 4 x (8 + 2), and the normalized
    # bf16 copies, 2 x (256 + 64): 1,960 more, as counted
    assert estimate(count, "qwen3", trained=True) == 8744 + 1960 == count.layer_bytes_per_token("qwen3")
    # Gemma 3: four RMSNorms multiplying by (1 + weight) in fp32 (their normalized inputs 4 bytes), q/k norms alike:
    # 14,552 against 14,574 counted (-0.15 %)
    assert estimate(count, "gemma3", trained=True) == 14552
    assert count.layer_bytes_per_token("gemma3") == pytest.approx(14552, rel=0.002)


def test_a_frozen_base_keeps_less(count):
    # q and v adapted by peft (below) or trained (--adapted): the frozen weights' gradients are never asked for, so
    # neither the norms' normalized inputs nor the projections' inputs are kept: Llama 1,312 + 6 x 608 + 2 x (4 x 160
    # + 4) = 6,248 bytes; training q's and v's weights keeps their input, the first norm's output (2 x 160): 6,568
    assert estimate(count, "llama") == 1312 + 6 * 608 + 2 * (4 * 160 + 4) == 6248
    assert count.layer_bytes_per_token("llama", ("q", "v")) == 6248 + 2 * 160


def test_other_kinds_of_layer(count):
    # OLMo 2: post-norms (the projections read the residual stream), q/k norms over all heads, every norm's weight
    # multiplied in fp32 (its normalized input kept in 4 bytes): exact, full and LoRA on q and v
    assert estimate(count, "olmo2", trained=True) == count.layer_bytes_per_token("olmo2") == 11952
    assert estimate(count, "olmo2") + 2 * 4 * (160 + 16) == 8944
    # GPT-NeoX (8 heads of 20, each its own): two LayerNorms (their bf16 input and fp32 mean and rstd, 2d + 8, and
    # their outputs) on the layer's one input, kept once, 2 x 328 + 2 x 320 - 320 = 976; attention 2 x 160 (roped
    # queries) + 4 x 160 (keys, values) + 2 x 160 (output) + 4 x 8 (log-sum-exp), o_proj's copy of the output laid out
    # by head, 2 x 160, the fused qkv output whole through the values' view, 2 x 320: 2,272; a plain MLP 4 x 608:
    # 5,680, the count's but for the norms' mean and rstd, in bf16 on the CPU, 8 bytes (it read 0.2 % over, its shape
    # as a grouped-query layer's, its two norms' input counted twice and its output's copy not at all)
    assert estimate(count, "gpt_neox", trained=True) == 976 + 2272 + 4 * 608 == 5680
    assert count.layer_bytes_per_token("gpt_neox") == 5680 - 8
    assert count.layer_bytes_per_token("gpt_neox", attention="eager") == pytest.approx(
        float(layer_activation_bytes(architecture_from_hf_config(count.kind_config("gpt_neox", 2)), 64, 2, "eager",
                                     True)) / 128 - 8, abs=1e-9)
    # MoE layers (8 experts, top 2; transformers' grouped experts): the router's fp32 probabilities 4 x 8, each
    # routed expert's output 2 x 160 x 2 (for its routing weight's gradient) and, trained, each expert's copy of
    # the token 2 x 160 x 2; 70-90 bytes of sort indices a token left out: within 1 % under
    for kind in ("qwen3_moe", "mixtral"):
        assert 0.99 < estimate(count, kind, trained=True) / count.layer_bytes_per_token(kind) < 1.0


def test_lora_on_a_fused_projection_keeps_its_input_once(count):
    # Phi-3 builds q, k and v as one matrix (qkv_proj) and gate and up as one (gate_up_proj): peft adapts each as one
    # module, its input cast to fp32 and kept once. Phi-3 kind (width 256, queries 8 x 32, keys and values 2 x 32,
    # MLP 608), r16: the frozen layer 7,656 bytes a token (its fused qkv_proj output kept whole through the values, a
    # view of it: 2 x (256 + 64) beyond them); q and v adapt qkv_proj, 4 x (256 + 16) = 1,088; all seven
    # qkv_proj, o_proj and gate_up_proj 1,088 each and down_proj 4 x (608 + 16) = 2,496: 13,416, as counted (three
    # matrices' inputs where q, k and v were apart: 2,176 more)
    pytest.importorskip("peft")
    import torch
    import transformers

    from vramgui.core.training import lora_params
    a = architecture_from_hf_config(count.kind_config("phi3", 2))
    for lora, want in ((("q", "v"), 7656 + 1088), (("q", "k", "v", "o", "gate", "up", "down"), 7656 + 3 * 1088 + 2496),
                       (("o", "down"), 7656 + 1088 + 2496)):
        assert estimate(count, "phi3", lora) == want == count.layer_bytes_per_token("phi3", lora=lora), lora
        # and the adapters peft builds: 2 layers x 16 x (256 + 384) for qkv_proj alone
        model = count._model(torch, transformers, "phi3", 2, (), lora)
        assert sum(p.numel() for p in model.parameters() if p.requires_grad) == lora_params(a, 16, lora), lora
    assert lora_params(a, 16, ("q", "v")) == 2 * 16 * (256 + 384)


def test_lora_on_fused_experts_keeps_the_folded_stack(count):
    # peft folds the adapters of a fused expert parameter into it for the forward pass (a new tensor the size of
    # the layer's expert stack, which the grouped matmul keeps with its input) and keeps the two factors in the
    # weight's dtype. Qwen3-MoE kind (8 experts of width 96, top 2, width 160), r16, down alone: the stack
    # 8 x 96 x 160 x 2 = 245,760 bytes and the factors 8 x 16 x (96 + 160) x 2 = 65,536 a layer, the experts'
    # input 2 x 96 x 2 = 384 a token; with gate and up too (gate_up_proj, rank 32), 8 x 192 x 160 x 2 = 491,520 and
    # 8 x 32 x (160 + 192) x 2 = 180,224 a layer more, 2 x 160 x 2 = 640 a token
    pytest.importorskip("peft")
    a = architecture_from_hf_config(count.kind_config("qwen3_moe", 2))
    assert fused_lora_bytes(a, ("q", "v", "down"), 16, 2.0) == (245_760 + 65_536, 384, 245_760)
    assert fused_lora_bytes(a, ("q", "gate", "up", "down"), 16, 2.0) == (
        245_760 + 65_536 + 491_520 + 180_224, 384 + 640, 491_520)
    assert fused_lora_bytes(a, ("q", "v"), 16, 2.0) == (0.0, 0.0, 0.0)
    # against the count: within 1 % under, as the MoE layers' other terms
    for lora in (("q", "v", "down"), ("q", "k", "v", "o", "gate", "up", "down")):
        counted = count.layer_bytes_per_token("qwen3_moe", lora=lora)
        assert 0.99 < estimate(count, "qwen3_moe", lora) / counted <= 1.0, lora


@pytest.mark.parametrize("targets", [("q", "v"), ("q", "k", "v", "o", "gate", "up", "down")])
def test_peft_adapters_keep_their_inputs_in_fp32(count, targets):
    # peft's LoRA (its defaults: fp32 adapters, r16, no dropout): each adapted matrix casts the token's input to
    # fp32 and keeps it for lora_A's gradient, 4 bytes an element, and lora_A's fp32 output, 4 x 16. Llama, q and v:
    # 6,248 + 2 x 4 x (160 + 16) = 7,656 bytes a token, as counted; all seven matrices 13,352, as counted. Gemma 3
    # 22 bytes short of the count (0.2 %). The former rank-only term (2 bytes x r a matrix) read these 12-49 % short
    pytest.importorskip("peft")
    for kind in ("llama", "qwen3", "gemma3", "olmo2", "qwen3_moe", "mixtral"):
        counted = count.layer_bytes_per_token(kind, lora=targets)
        assert estimate(count, kind, targets) == pytest.approx(counted, rel=0.01 if "moe" in kind or kind ==
                                                               "mixtral" else 0.003), kind
    if targets == ("q", "v"):
        assert estimate(count, "llama", targets) == 6248 + 2 * 4 * (160 + 16) == 7656


def test_cohere_norms_keep_their_centred_input_twice(count):
    # Command R7B's (cohere2) one norm a layer, before attention and MLP side by side, a LayerNorm without bias in fp32
    # in Python: x - mean twice (the variance's and the normalization's) 2 x 4 x 256 and its inverse deviation 4,
    # the fp32 normalized input for the weight's gradient 4 x 256 and the bf16 output 2 x 256 = 3,588; attention
    # 2 x 256 + 4 x 64 + 2 x 256 + 4 x 8 = 1,312 and MLP 8 x 608 = 4,864 as Llama's: 9,764 against 9,772 counted
    # (the weight's fp32 copy, 1,024 bytes once a layer, spread over the count's 128 tokens); taken as an RMSNorm's
    # 4 x 256 + 4, it was 8,228 (-16 %)
    assert estimate(count, "cohere2", trained=True) == 1312 + 4864 + (2 * 4 * 256 + 4 + 4 * 256 + 2 * 256) == 9764
    assert count.layer_bytes_per_token("cohere2") == 9772
    # with peft's LoRA on all seven (fp32 adapters): within 0.1 %
    seven = ("q", "k", "v", "o", "gate", "up", "down")
    assert estimate(count, "cohere2", lora=seven) == pytest.approx(count.layer_bytes_per_token("cohere2", lora=seven),
                                                                    rel=0.001)


def test_an_fp32_router_keeps_its_input_in_fp32(count):
    # GLM-4.5's MoE layer (8 experts of 96, top 2, a shared one of 96) multiplies its router in fp32: when it trains
    # its weight's gradient keeps the fp32 copy of the token, 4 x 256 (training.FP32_ROUTER_INPUT). Per token:
    # attention 1,312 and two RMSNorms 2 x (4 x 256 + 4 + 2 x 256 + 2 x 256) = 4,104 as Llama's; the MLP's gated
    # 8 x (2 x 96 + 96) = 2,304, the router's fp32 probabilities 4 x 8, the routed outputs and the token's copies
    # 4 x 256 x 2, the fp32 input 4 x 256: 10,824; and o_proj's input, a transposed copy of attention's output (2 x
    # 256: the output follows the layout of a query made by cat, GLM's partial rotary; training.QUERY_BY_HEAD).  The
    # count adds the routing's indices, about 110 bytes with the experts the random tokens pick (left out)
    assert estimate(count, "glm4_moe", trained=True) == 1312 + 4104 + 2304 + 32 + 2048 + 1024 + 512 == 11336
    assert count.layer_bytes_per_token("glm4_moe") == pytest.approx(11336 + 110, abs=40)


def test_a_gated_shared_expert_keeps_its_output(count):
    # Qwen2-MoE's layer (the shared expert of Qwen3-Next and Qwen3.5): sigmoid(shared_expert_gate(x)) times the
    # shared expert's output, which the gate's gradient needs, 2 x 160 a token. Per token: attention 1,312 and two
    # RMSNorms 2 x 1,284 as Llama's (width 160); the gated MLPs 8 x (2 x 96 + 96) = 2,304; the router's fp32
    # probabilities 4 x 8, the routed outputs and the token's copies 4 x 160 x 2; the shared output 2 x 160: 7,816,
    # within 1 % of the count (the routing's indices, about 70 bytes, left out; 7,496 before)
    assert estimate(count, "qwen2_moe", trained=True) == 1312 + 2 * 1284 + 2304 + 32 + 1280 + 320 == 7816
    assert count.layer_bytes_per_token("qwen2_moe") == pytest.approx(7816, rel=0.015)


@pytest.mark.parametrize("act", sorted(ACTIVATION_KEEPS))
def test_each_activation_keeps_what_transformers_keeps(count, act):
    # transformers' ACT2FN by name in a gated (Llama) and a plain (GPT-NeoX) MLP, every weight trained, and the gated
    # one with only q_proj's weight trained: the estimate equals the count (GPT-NeoX's within 8 bytes: its LayerNorms'
    # mean and rstd, kept in bf16 on the CPU). SiLU's gated MLP keeps 8 x 608
    # trained (gate, up, the activation's output, down's input) and 6 x 608 frozen; tanh-GELU in Python (gelu_new) 6 x
    # 608 more (the tanh's output, half the input, one plus the tanh), ReLU 2 x 608 less (it keeps its output, which
    # the product keeps anyway, not its input); the rest of the layer as in the first test (SiLU: 8,744 and 6,568)
    extra = {"silu": 0, "gelu_new": 6 * 608, "relu": -2 * 608}
    for kind, adapted in (("llama", ()), ("llama", ("q",)), ("gpt_neox", ())):
        name = f"{kind}-{act}"
        count.KINDS[name] = dict(count.KINDS[kind], hidden_act=act)
        try:
            kept = estimate(count, name, trained=not adapted) + (2 * 160 if adapted else 0)   # (q's input, trained)
            assert kept == pytest.approx(count.layer_bytes_per_token(name, adapted), abs=8), (kind, adapted)
            if kind == "llama" and act in extra:
                assert kept == (6568 if adapted else 8744) + extra[act]
        finally:
            del count.KINDS[name]


def test_activations_in_their_families_layouts(count):
    # Shapes of 256 wide, 8 heads of 32 (no GQA: keys and values 256), MLP 608. Attention 2 x 256 + 4 x 256 + 2 x 256
    # + 4 x 8 = 2,080; a LayerNorm keeps its bf16 input and its mean and rstd, 2 x 256 + 8 = 520, and when the weights
    # train its output, 2 x 256 more.
    # GPT-J (one LayerNorm before attention and MLP side by side, a plain MLP in gelu_new): the MLP keeps its input, the
    # three the tanh-GELU keeps and fc_out's input, 10 x 608 = 6,080: 9,192, within 1 % of the count (the rotary's
    # cos and sin tables, about 60 bytes); counted as SiLU's it was 5,544 (-40 %)
    assert estimate(count, "gptj", trained=True) == 2080 + 10 * 608 + (520 + 512) == 9192
    assert count.layer_bytes_per_token("gptj") == pytest.approx(9192, rel=0.01)
    # Phi-2's layer, with peft's LoRA on q and v: the frozen MLP keeps 8 x 608 = 4,864, its norm 520, the adapters
    # their fp32 inputs 2 x 4 x (256 + 16) = 2,176: 9,640 against 9,636 counted. (Every weight trained, the count
    # adds the CPU's separate SDPA output for a query made by cat, 2 x 256: partial rotary, as Phi-3's)
    assert estimate(count, "phi", lora=("q", "v")) == 2080 + 8 * 608 + 520 + 2 * 4 * (256 + 16) == 9640
    assert count.layer_bytes_per_token("phi", lora=("q", "v")) == pytest.approx(9640, abs=8)
    # OPT (two LayerNorms, ReLU): the MLP keeps the ReLU's output only, fc2's input too, 2 x 608: 5,360 against
    # 5,352 counted (the norms' mean and rstd in bf16 on the CPU); counted as SiLU's it was 6,576 (+23 %)
    assert estimate(count, "opt", trained=True) == 2080 + 2 * 608 + 2 * (520 + 512) == 5360
    assert count.layer_bytes_per_token("opt") == pytest.approx(5360, abs=8)
    # Apertus (width 160, 8 query and 2 KV heads, q/k norms as Qwen3's, RMSNorms): xIELU in Python keeps the input,
    # alpha_p x, expm1's output, (expm1 - x) for alpha_n's gradient and the x > 0 mask, 2 + 7 bytes an element, and
    # down's input 2: 11 x 608 = 6,688; attention 1,312, q/k norms 1,960 and two RMSNorms 2 x 1,284 as Qwen3's:
    # 12,528, the count's (its alphas and scalars a sixteenth of a byte); with SiLU's 4 x 608 it was 8,272 (-34 %).
    # With LoRA on q and v the alphas are frozen, (expm1 - x) is not kept: 7 x 608, the norms' fp32 inputs
    # 4 x 320 + 4 x 10 and 2 x (4 x 160 + 4), the adapters' 2 x 4 x (160 + 16): 9,584, the count's
    assert estimate(count, "apertus", trained=True) == 1312 + 1960 + 11 * 608 + 2 * 1284 == 12528
    assert count.layer_bytes_per_token("apertus") == pytest.approx(12528, abs=0.1)
    assert estimate(count, "apertus", lora=("q", "v")) == 1312 + 1320 + 7 * 608 + 1288 + 1408 == 9584
    assert count.layer_bytes_per_token("apertus", lora=("q", "v")) == pytest.approx(9584, abs=0.1)


def test_dropout_on_the_layers_outputs_keeps_its_masks(count):
    # Phi-2's released config drops 10 % of the attention's and the MLP's outputs (resid_pdrop 0.1); OPT's does
    # (dropout 0.1). CUDA's fused dropout keeps a mask of one byte an element (the count runs dropout so): 2 x 256
    # a token a layer over the layouts above, Phi-2 with LoRA on q and v 9,640 + 512, OPT trained 5,360 + 512
    for kind, lora, kept in (("phi", ("q", "v"), 9640 + 512), ("opt", (), 5360 + 512)):
        name = f"{kind}-dropout"
        count.KINDS[name] = dict(count.KINDS[kind], **{"resid_pdrop" if kind == "phi" else "dropout": 0.1})
        count.LORA_NAMES[name] = count.LORA_NAMES[kind]
        try:
            assert estimate(count, name, lora=lora, trained=not lora) == kept
            assert count.layer_bytes_per_token(name, lora=lora) == pytest.approx(kept, abs=8)
        finally:
            del count.KINDS[name], count.LORA_NAMES[name]


def eager(count, kind: str) -> float:
    """A layer's bytes a token with eager attention, every weight trained, at the count's sequence."""
    a = architecture_from_hf_config(count.kind_config(kind, 2))
    s = count.TOKENS[0]
    return float(layer_activation_bytes(a, s, 1, "eager", trained=True)) / s


def test_eager_attention_keeps_its_scores_and_the_repeated_heads(count):
    # transformers' eager attention (s = 64, 8 heads): the softmax's fp32 output and its bf16 copy that multiplies V,
    # 6 x 8 x 64 = 3,072 a token, for SDPA's log-sum-exp 4 x 8; the keys and values repeated from 2 heads to 8 for the
    # matmuls, 4 x 6 x 32 = 768: Llama 8,744 - 32 + 3,072 + 768 = 12,552, the count's (5 x h x s, Korthikanti's
    # figure with a dropout, read 15 % under)
    assert eager(count, "llama") == 8744 - 32 + 3072 + 768 == 12552
    assert count.layer_bytes_per_token("llama", attention="eager") == 12552
    # the attention's dropout (attention_dropout 0.1): its one-byte mask too, 8 x 64 more
    count.KINDS["llama-dropout"] = dict(count.KINDS["llama"], attention_dropout=0.1)
    try:
        assert eager(count, "llama-dropout") == 12552 + 512
        assert count.layer_bytes_per_token("llama-dropout", attention="eager") == 12552 + 512
    finally:
        del count.KINDS["llama-dropout"]
    # Gemma 2's soft-capped logits keep the tanh's bf16 output, 2 x 8 x 64 more: within 0.2 % of the count
    assert eager(count, "gemma2") == pytest.approx(count.layer_bytes_per_token("gemma2", attention="eager"), rel=0.002)
    # Flint multiplies q·kᵀ in fp32, the keys repeated to every head first (4 x 8 x 32 more than bf16's), its softmax
    # in fp32 over the sink logit too and a bf16 copy (6 x 8 x 64), q/k norms and norms with fp32 weights: within
    # 0.2 % of the count (the sink column, 6 x 8 a token, left out)
    assert eager(count, "flint") == pytest.approx(count.layer_bytes_per_token("flint", attention="eager"), rel=0.003)
    # gpt-oss: its softmax in bf16 over the sink logit too, and its experts' clamped SwiGLU, 14 bytes an element of
    # their width where SiLU's keeps 8 (training.GATED_MLP_KEEPS; 12 against 6 frozen): the count less the routing's
    # indices and the max's (about 140 bytes, which follow the experts the random tokens pick), left out
    assert eager(count, "gpt_oss") == pytest.approx(count.layer_bytes_per_token("gpt_oss", attention="eager") - 140,
                                                    abs=40)
    # Granite's windowed models scale attention's output by sigmoid(logsumexp(scores) - sink): the logsumexp keeps the
    # bf16 scores (2 x 8 x 64 more) and the scaled output is kept too (2 x 256): within 0.5 % of the count
    assert eager(count, "granite_swa") == pytest.approx(count.layer_bytes_per_token("granite_swa", attention="eager"),
                                                        rel=0.005)
    # GPT-2's softmax in bf16 (2 bytes) and its attention's dropout, the mask and the dropout's output (1 + 2):
    # Korthikanti et al.'s 5 x h x s, within 0.1 % of the count
    assert eager(count, "gpt2") == pytest.approx(count.layer_bytes_per_token("gpt2", attention="eager"), rel=0.001)


def test_dots_llm1_has_qwen3s_qk_norms(count):
    # dots.llm1 (dots1) normalizes each query and key head as Qwen3 does (Dots1Attention's q_norm / k_norm over the
    # head's 32): 4 x (256 + 64) + 4 x (8 + 2) fp32 and 2 x (256 + 64) normalized, 1,960 a token. Its MoE layer as
    # GLM-4.5's (test above, fp32 router): 10,824 + 1,960 = 12,784, within 1 % of the count (the routing's indices,
    # about 90 bytes); without the norms it read 16 % under
    assert estimate(count, "dots1", trained=True) == 10824 + 1960 == 12784
    assert count.layer_bytes_per_token("dots1") == pytest.approx(12784, rel=0.01)


def test_mpt_runs_its_own_eager_attention(count):
    # MPT (transformers runs its own attention, eager only: engines.HF_NO_SDPA), width 160, 8 heads of 20, no GQA,
    # MLP 640, two LayerNorms without biases, every weight trained, s = 64: attention 2 x 160 + 4 x 160 + 2 x 160 and
    # the softmax's fp32 output and bf16 copy 6 x 8 x 64 = 4,352; the GELU MLP's input and fc2's 4 x 640 = 2,560; each
    # LayerNorm's bf16 input, mean and rstd and its output 2 x (2 x 160 + 8 + 2 x 160) = 1,296: 8,208, the count's
    # within 8 bytes (its means and rstds in bf16 on the CPU)
    assert eager(count, "mpt") == 1280 + 3072 + 2560 + 1296 == 8208
    assert count.layer_bytes_per_token("mpt", attention="eager") == pytest.approx(8208, abs=8)


def test_gpt_neo_multiplies_its_queries_and_keys_in_fp32(count):
    # GPT-Neo's own attention (transformers runs no SDPA for it: engines.HF_NO_SDPA) multiplies q·kᵀ in fp32, as
    # GPT-J's: a narrow layer (width 256, 8 heads of 32, MLP 608 in gelu_new, global and local layers alternating,
    # every weight trained, s = 64) keeps SDPA's terms but the log-sum-exp, 2 x 256 + 4 x 256 + 2 x 256, the fp32
    # copies of q and k 2 x (256 + 256), the softmax's fp32 output and bf16 copy 6 x 8 x 64, the MLP's 10 x 608 and two
    # LayerNorms 2 x (2 x 256 + 8 + 2 x 256): 14,288, the count's within 8 bytes (its causal-mask buffer, which
    # the attention saves a slice of, is the model's, not an activation)
    import json

    import torch
    import transformers

    def per_layer(layers: int):
        config = transformers.AutoConfig.for_model(
            "gpt_neo", hidden_size=256, num_heads=8, num_layers=layers, intermediate_size=608, vocab_size=1000,
            max_position_embeddings=4096, attention_types=[[["global", "local"], layers // 2]], window_size=16)
        config._attn_implementation = "eager"
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).train()
        return count._saved_bytes(torch, model), config

    (two, config), (four, _) = per_layer(2), per_layer(4)
    counted = (four - two) / 2 / (count.TOKENS[0] * count.TOKENS[1])
    a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)))
    s = count.TOKENS[0]
    kept = float(layer_activation_bytes(a, s, 1, "eager", trained=True)) / s
    assert kept == 2048 + 1024 + 3072 + 10 * 608 + 2 * (2 * 256 + 8 + 2 * 256) == 14288
    assert counted == pytest.approx(kept, abs=8)


def test_nanochats_norms_learn_nothing_but_keep_their_input(count):
    # nanochat's RMSNorms (and its per-head q/k norms) have no weight: no parameters (transformers' count, CI's
    # defaults), nothing kept for a weight's gradient, but their fp32 input and inverse RMS as a weighted one's.
    # Width 256, 8 query heads and 2 KV heads of 32, a plain relu² MLP of 608, every weight trained: attention
    # 2 x 256 + 4 x 64 + 2 x 256 + 4 x 8 = 1,312; q/k norms 4 x (256 + 64) + 4 x (8 + 2) = 1,320; the MLP the ReLU's
    # output and fc2's input 4 x 608 = 2,432; two norms 4 x 256 + 4 and their outputs 2 x 256: 3,080. 8,144, the count
    assert estimate(count, "nanochat", trained=True) == 1312 + 1320 + 2432 + 3080 == 8144
    assert count.layer_bytes_per_token("nanochat") == 8144


def test_soft_capped_logits_keep_the_tanh_to_the_backward_pass(count):
    # A one-layer Gemma 2 with a vocabulary of 32,000 over a width of 64: the logits set the step's peak. At the
    # loss's backward pass a logit holds LOGIT_BYTES, 12 (the fp32 log-probabilities, the loss's gradient and
    # log_softmax's input gradient); soft-capped (tanh(x / 30)·30, Gemma 2's and Gemma 4's final_logit_softcapping)
    # the tanh's bf16 output, which its backward reads, is alive beside them: 2 more. The layer, the hidden states
    # and the ids add 1-2 % to the profiler's peak; the soft-cap's share is exact.
    plain, capped = count.logit_bytes(None), count.logit_bytes(30.0)
    assert plain == pytest.approx(LOGIT_BYTES, rel=0.02)
    assert capped - plain == pytest.approx(SOFTCAP_LOGIT_BYTES, abs=0.01)
    shape = {k: v for k, v in count.LOGIT_SHAPE.items() if v is not None}
    for cap, bytes_ in ((None, 12.0), (30.0, 14.0)):
        a = architecture_from_hf_config(dict(shape, model_type="gemma2", final_logit_softcapping=cap))
        assert logit_bytes(a) == bytes_


def test_multi_head_latent_attention_keeps_its_latents_and_whole_heads(count):
    # DeepSeek-V3's MLA (transformers' DeepseekV3Attention), every weight trained: width 256, 8 heads of 32 + 16 RoPE
    # dimensions (keys and queries 48; values 48), a key latent of 64, a query latent of 96. Per token: the query and
    # the key, each built whole (a cat, a copy into new_empty), 2 x 8 x 48 twice = 1,536; kv_b_proj's output (keys
    # without RoPE and the values, which are a view of it) 2 x 8 x (32 + 48) = 1,280; attention's output and its
    # transposed copy that o_proj reads, 2 x 8 x 48 twice = 1,536; the log-sum-exp 4 x 8 = 32; each latent's RMSNorm
    # (fp32 input, inverse RMS, normalized input) and the up-projection's input: 4 x 64 + 4 + 2 x 64 + 2 x 64 = 516
    # and 4 x 96 + 4 + 2 x 96 + 2 x 96 = 772: attention 5,672. A dense MLP of 608, 8 x 608 = 4,864, and two norms with
    # their outputs 2 x (4 x 256 + 4 + 2 x 256 + 2 x 256) = 4,104: 14,640 (vramgui read 8,488 before it knew MLA)
    assert estimate(count, "deepseek_v3", trained=True) == 5672 + 4864 + 4104 == 14640
    assert count.layer_bytes_per_token("deepseek_v3") == 14640
    # a frozen base (LoRA's) keeps no input of a frozen weight: not the up-projections', o_proj's or the MLP's, nor
    # the norms' normalized inputs; training o_proj alone keeps its input again, 2 x 8 x 48
    frozen = estimate(count, "deepseek_v3")
    assert frozen == 14640 - (128 + 128) - (192 + 192) - 768 - 2 * (2 * 256 + 2 * 256) - 2 * 608
    assert count.layer_bytes_per_token("deepseek_v3", ("o",)) == frozen + 2 * 8 * 48


def test_a_gate_on_the_attentions_output_keeps_the_sigmoid_and_the_product(count):
    # Qwen3.5's attention layers, every weight trained: q_proj yields the query and a gate; the sigmoid's output and
    # the gated product o_proj reads are kept, 2 x 256 each, and the rotary embedding's cat builds the query whole,
    # so attention's output keeps its heads' layout and the gate multiplies a transposed copy, 2 x 256 more: 1,536
    # over the same layer without the gate. Per token: attention 2 x 256 + 4 x 64 + 2 x 256 + 4 x 8 = 1,312 and the
    # gate's 1,536; q/k norms (Gemma-style, in fp32) 4 x (256 + 64) + 4 x (8 + 2) + 4 x (256 + 64) = 2,600; the MLP
    # 8 x 608 = 4,864; two norms with fp32 weights and their outputs 2 x (4 x 256 + 4 + 4 x 256 + 2 x 256) = 5,128:
    # 15,440, the count less the fp32 (1 + weight) vectors a layer's norms keep, constants of the sequence left out:
    # two of 256 and two of 32, 4 bytes each, over the count's 128 tokens, 18 bytes a token
    ones = (2 * 256 + 2 * 32) * 4 / 128
    assert estimate(count, "qwen3_5", trained=True) == 1312 + 1536 + 2600 + 4864 + 5128 == 15440
    assert count.layer_bytes_per_token("qwen3_5") == 15440 + ones
    # o_proj frozen: no product kept (peft's LoRA on q and v: their input, 2 x 256, as the adapters count it)
    assert count.layer_bytes_per_token("qwen3_5", ("q", "v")) == estimate(count, "qwen3_5") + 2 * 256 + ones
    # Beam: a gate_proj of its own on attention's output (the sigmoid's output and the product, no copy: its query
    # keeps the projection's layout) and SwiGLU in fp32 (gate and up upcast, the activation's fp32 output, down's
    # bf16 input: 14 x 608 = 8,512 where a bf16 SwiGLU keeps 8 x 608); four norms with fp32 weights
    assert estimate(count, "beam", trained=True) == count.layer_bytes_per_token("beam") == 22680


def test_a_query_laid_out_by_head_makes_o_proj_read_a_copy(count):
    # Phi-3's and GLM-4's rotary embedding concatenates the rotated and passed dimensions after the transpose: the
    # query reaches attention laid out by head, attention's output keeps that layout, and o_proj reads a transposed
    # copy, which it keeps when its weight trains: 2 x 256 a token more than a Llama-like layer (training.QUERY_BY_HEAD)
    for kind in ("phi3", "glm4"):
        a = architecture_from_hf_config(count.kind_config(kind, 2))
        assert a.model_type in QUERY_BY_HEAD
    # (and Phi-3's fused qkv_proj output stays alive whole through the values, a view of it, 2 x (256 + 64) beyond
    # them: training.FUSED_QKV_KEPT)
    assert estimate(count, "phi3", trained=True) == count.layer_bytes_per_token("phi3") == 10280 + 512 + 640
    # GLM-4: four norms (2 x 2,052 more) and the same copy; the cos and sin its layers slice anew for their 16 rotated
    # dimensions, 2 x 64 x 16 x 2 bytes over the count's 128 tokens (a constant of the sequence, left out)
    assert estimate(count, "glm4", trained=True) + 2 * 64 * 16 * 2 / 128 == count.layer_bytes_per_token("glm4")
    # the copy is o_proj's input: a frozen base keeps none, and training o_proj alone keeps it
    assert count.layer_bytes_per_token("phi3", ("o",)) == estimate(count, "phi3") + 2 * 256


def test_norms_and_routers_that_run_in_fp32(count):
    # Helium's RMSNorms multiply an fp32 copy of their weight: the normalized input kept in 4 bytes, as Gemma's (two
    # norms' 2 x 256 more than Llama's 10,280 here; a constant of the layer left out: those fp32 weight copies, 2 x
    # 256 x 4 bytes, over the count's 128 tokens), and the cos and sin each layer repeat-interleaves, 2 x 32 x 2 a
    # position (training.ROTARY_TABLES_PER_LAYER: at one position in `estimate`, over the count's 64 positions of two
    # sequences here); OLMo's LayerNorms without parameters run on an fp32 copy of their input, 4 x 256 and a mean
    # and an inverse deviation each (8) where a bf16 LayerNorm keeps 2 x 256; Sarvam-MoE's router multiplies an fp32
    # copy of the token (4 x 256, training.FP32_ROUTER_INPUT) beside the routing's indices (about 110 bytes, left out)
    weights = 2 * 256 * 4 / 128
    helium = count.layer_bytes_per_token("helium")
    assert estimate(count, "helium", trained=True) == 10280 + 2 * 512 + 2 * 32 * 2
    assert helium - weights == 10280 + 2 * 512 + 2 * 32 * 2 * 64 / 128
    assert estimate(count, "olmo", trained=True) == count.layer_bytes_per_token("olmo")
    # (the indices' bytes follow which experts the random tokens pick: 100-120 here, by the machine's kernels)
    assert estimate(count, "sarvam_moe", trained=True) == pytest.approx(count.layer_bytes_per_token("sarvam_moe") - 110,
                                                                       abs=40)


def test_gated_deltanet_layers_as_transformers_torch_path_keeps_them(count):
    """Qwen3.5's Gated DeltaNet layers without flash-linear-attention (transformers' torch chunked delta rule): 4 key
    heads of 32 repeated to 8 value heads of 48, the convolution's 2 x 4 x 32 + 8 x 48 = 640 channels (kernel 4), 100
    tokens padded to 128, two 64-token chunks. Per token, every weight trained: the convolution's input and its output
    3 tokens longer, 2 x 640 x (1 + 103 / 100); beta's sigmoid, the softplus's input and output, 10 x 8; the queries'
    and keys' fp32 inputs and inverse norms, 8 x 8 x (32 + 1); over the padded sequence six key-wide, three value-wide
    and five chunk-wide fp32 tensors and four vectors, (24 x 8 x 32 + 12 x 8 x 48 + 20 x 8 x 64 + 16 x 8) x 128 / 100;
    a state of 8 x 32 x 48 and its decay a chunk, 4 x 8 x (32 x 48 + 1) x 2 / 100; the gated norm's, 16 x 8 x 48 + 4
    x 8, and out_proj's input, 2 x 8 x 48. Once a layer: the chunk's 64 x 64 mask and A_log's exponents, 4,096 + 8 x
    8."""
    a = architecture_from_hf_config(count.kind_config("qwen3_5_gdn", 2))
    per_token = (2 * 640 * (1 + 103 / 100) + 10 * 8 + 8 * 8 * 33 + (24 * 8 * 32 + 12 * 8 * 48 + 20 * 8 * 64 + 16 * 8)
                 * 128 / 100 + 4 * 8 * (32 * 48 + 1) * 2 / 100 + 16 * 8 * 48 + 4 * 8 + 2 * 8 * 48)
    assert float(gdn_layer_bytes(a, 100, 1, True)) == pytest.approx(100 * per_token + 4096 + 8 * 8, rel=1e-12)
    # the mixer as counted, its input projections' input (the norm's output, 2 x 256) with it
    assert count.mixer_bytes_per_token("qwen3_5_gdn", (100, 1)) == pytest.approx(per_token + (4096 + 64) / 100
                                                                                 + 2 * 256, rel=1e-12)
    # frozen weights: no input projections', out_proj's or the norm weight's inputs, no softplus output (A_log's
    # gradient), 4 x 8 + 4 x 8 x 48 less a token and one exponent, 4 x 8, less a layer
    frozen = per_token - 4 * 8 - 4 * 8 * 48
    assert count.mixer_bytes_per_token("qwen3_5_gdn", (100, 1), trained=False) == pytest.approx(
        frozen + (4096 + 32) / 100, rel=1e-12)
    assert float(gdn_layer_bytes(a, 100, 1)) == pytest.approx(100 * frozen + 4096 + 32, rel=1e-12)


@pytest.mark.parametrize("kind", ["qwen3_5_gdn", "lara_mini_gdn"])
@pytest.mark.parametrize("tokens", [(64, 1), (200, 2)])
@pytest.mark.parametrize("trained", [True, False])
def test_gated_deltanet_mixers_count_exactly(count, kind, tokens, trained):
    """One chunk and four (200 tokens padded to 256), trained and frozen; Lara-4-Mini's gated norm multiplies by its
    weight and gate in fp32 (training.FP32_GATED_NORM). Exact."""
    a = architecture_from_hf_config(count.kind_config(kind, 2))
    n = tokens[0] * tokens[1]
    expected = float(gdn_layer_bytes(a, *tokens, trained)) / n + (2 * 256 if trained else 0)
    assert count.mixer_bytes_per_token(kind, tokens, trained) == pytest.approx(expected, rel=1e-12)


def test_gated_deltanet_layers_whole(count):
    """Whole layers of Gated DeltaNet, as the layer's estimate counts them (their MLP and norms as any layer's): the
    count over two layers at 200 tokens of 2 sequences, the two norms' fp32 weight vectors (2 x 256 x 4 bytes a layer)
    left out as for Qwen3.5's attention layers."""
    a = architecture_from_hf_config(count.kind_config("qwen3_5_gdn", 2))
    estimate = float(layer_activation_bytes(a, 200, 2, "sdpa", True)) / 400
    assert count.layer_bytes_per_token("qwen3_5_gdn", tokens=(200, 2)) == pytest.approx(
        estimate + 2 * 256 * 4 / 400, rel=1e-12)


def test_mamba2_layers_as_transformers_torch_path_keeps_them(count):
    """Mamba-2's mixer without mamba-ssm (transformers' torch chunk scan and convolution): 8 heads of 32 (256
    channels), a state of 16 in 2 groups, the convolution's 256 + 2 x 2 x 16 = 320 channels (kernel 4), the input
    projection's 256 + 320 + 8 = 584 outputs, chunks of 32: 100 tokens padded to 128, four chunks. Per token, every
    weight trained: the projection's output whole and the convolution's output 3 tokens longer, 2 x 584 + 2 x 320 x
    103 / 100; the time step's bias sum and softplus output, 4 x 8; the fp32 x, 4 x 256, and the time step's two fp32
    copies, 8 x 8; over the padded sequence D's padded x, the chunks' decays, scores and masked scores (3 x 4 x 8 x
    32), five copies of B and C (5 x 4 x 8 x 16), three of the discretized x and its off-diagonal output and the scan's
    output (4 x 4 x 256) and two decay vectors (8 x 8); the gated norm's fp32 gate, SiLU output and product, its
    inverse RMS per group and its normalized input, 12 x 256 + 4 x 2 + 4 x 256; out_proj's input, 2 x 256. A sequence:
    the chunks' states twice, 4 x 8 x 32 x 16 x (2 x 4 + 1), and their decays, 4 x 8 x 5 x 5. Once a layer: A's
    exponent and its negation, 8 x 8, and the masks, 2 x 32 x 32 + 2 x 5 x 5."""
    a = architecture_from_hf_config(count.kind_config("mamba2", 2))
    per_token = (2 * 584 + 2 * 320 * 103 / 100 + 4 * 8 + 4 * 256 + 8 * 8
                 + (4 * 256 + 12 * 8 * 32 + 20 * 8 * 16 + 16 * 256 + 8 * 8) * 128 / 100
                 + 12 * 256 + 4 * 2 + 4 * 256 + 2 * 256)
    per_sequence = 4 * 8 * 32 * 16 * 9 + 4 * 8 * 25
    once = 8 * 8 + 2 * 32 * 32 + 2 * 5 * 5
    assert float(mamba2_layer_bytes(a, 100, 1, True)) == pytest.approx(100 * per_token + per_sequence + once,
                                                                      rel=1e-12)
    # the mixer as counted, its input projection's input (the norm's output, 2 x 128) with it
    assert count.mixer_bytes_per_token("mamba2", (100, 1)) == pytest.approx(
        per_token + (per_sequence + once) / 100 + 2 * 128, rel=1e-12)
    # frozen weights: no fp32 copy of the time step for A_log's gradient, no padded x for D's, no normalized input or
    # out_proj's input: 4 x 8 + 4 x 256 x 128 / 100 + 4 x 256 + 2 x 256 less a token; A's exponent, 4 x 8, a layer
    frozen = per_token - 4 * 8 - 4 * 256 * 128 / 100 - 4 * 256 - 2 * 256
    assert count.mixer_bytes_per_token("mamba2", (100, 1), trained=False) == pytest.approx(
        frozen + (per_sequence + once - 4 * 8) / 100, rel=1e-12)
    assert float(mamba2_layer_bytes(a, 100, 1)) == pytest.approx(100 * frozen + per_sequence + once - 4 * 8,
                                                                 rel=1e-12)


def test_mamba2_over_one_chunk_reads_views(count):
    """A sequence of one chunk (31 tokens padded to 32): the einsums read B, C and the discretized x as views, so
    over the padded tokens 4 x 256 less (and 8 x 8 x 16 more at a batch of one, B's and C's copies), and the chunk's
    state is kept whole, one state more a sequence (4 x 8 x 32 x 16)."""
    a = architecture_from_hf_config(count.kind_config("mamba2", 2))
    several = float(mamba2_layer_bytes(a, 31, 1, True))
    # (the formula for several chunks, taken at N = 1: what the views spare)
    base = (2 * 584 + 2 * 320 * 34 / 31 + 4 * 8 + 4 * 256 + 8 * 8
            + (4 * 256 + 12 * 8 * 32 + 20 * 8 * 16 + 16 * 256 + 8 * 8) * 32 / 31
            + 12 * 256 + 4 * 2 + 4 * 256 + 2 * 256) * 31 + 4 * 8 * 32 * 16 * 3 + 4 * 8 * 4 + 8 * 8 + 2 * 32 * 32 + 2 * 4
    assert several == pytest.approx(base - (4 * 256 + 8 * 8 * 16) * 32 + 4 * 8 * 32 * 16, rel=1e-12)
    assert count.mixer_bytes_per_token("mamba2", (31, 1)) == pytest.approx(several / 31 + 2 * 128, rel=1e-12)
    two = float(mamba2_layer_bytes(a, 31, 2, True))
    assert two == pytest.approx(2 * base - 2 * 4 * 256 * 32 + 2 * 4 * 8 * 32 * 16 - (8 * 8 + 2 * 32 * 32 + 2 * 4),
                                rel=1e-12)
    assert count.mixer_bytes_per_token("mamba2", (31, 2)) == pytest.approx(two / 62 + 2 * 128, rel=1e-12)


@pytest.mark.parametrize("kind", ["mamba2", "nemotron_h_mamba", "granite_mamba", "bamba", "falcon_h1"])
@pytest.mark.parametrize("tokens", [(16, 3), (100, 2)])
@pytest.mark.parametrize("trained", [True, False])
def test_mamba2_mixers_count_exactly(count, kind, tokens, trained):
    """Mamba-2 alone, Nemotron-H's, Granite 4.0-H's, Bamba's and Falcon-H1's mixers (its gated norm normalizing before
    the gate): one chunk of three sequences, four of two (100 tokens padded to 128), trained and frozen. Exact."""
    a = architecture_from_hf_config(count.kind_config(kind, 2))
    n = tokens[0] * tokens[1]
    expected = float(mamba2_layer_bytes(a, *tokens, trained)) / n + (2 * 128 if trained else 0)
    assert count.mixer_bytes_per_token(kind, tokens, trained) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("kind", ["mamba2", "granite_mamba", "bamba", "falcon_h1", "nemotron_h_mamba",
                                  "nemotron_h_attention", "nemotron_h_mlp"])
def test_mamba2_layers_whole(count, kind):
    """Whole layers, every weight trained, 100 tokens of 2 sequences, as the layer's estimate counts them: Mamba-2's
    (a norm and the mixer), Granite 4.0-H's and Bamba's (with their MLP), Falcon-H1's (the mixer beside attention,
    each reading its own scaled copy of the norm's output) and Nemotron-H's blocks, a Mamba-2 block beside an
    attention block or an MLP block (each a norm and one mixer or MLP: the estimate's shares of them), its RMSNorm
    multiplying by an fp32 copy of its weight (4 x 128 bytes a block, left out as for the other such norms)."""
    a = architecture_from_hf_config(count.kind_config(kind, 2))
    estimate = float(layer_activation_bytes(a, 100, 2, "sdpa", True)) / 200
    weight = 4 * 128 / 200 if kind.startswith("nemotron_h") else 0
    attention = "eager" if kind == "mamba2" else "sdpa"     # (transformers refuses SDPA for a model without attention)
    assert count.layer_bytes_per_token(kind, tokens=(100, 2), attention=attention) == pytest.approx(
        estimate + weight, rel=1e-12)


def test_mamba_layers_as_transformers_torch_path_keeps_them(count):
    """Mamba's (S6) mixer without mamba-ssm (transformers' torch scan, a loop over the tokens): 128 channels, a state
    of 16, a time step of rank 8, a convolution 4 wide; 20 tokens. Per token, every weight trained: the input
    projection's output whole (x and z), 4 x 128, and the convolution's output 3 tokens longer, 2 x 128 x 23 / 20;
    the SiLU's output (x_proj's and D's input), 2 x 128; x_proj's output (dt, B, C), 2 x (8 + 2 x 16); the time
    step's biased softplus input and its output, 4 x 128; the discretized A and B, 8 x 128 x 16; B and x in fp32, 4
    x 16 + 4 x 128; each token's fp32 state and its bf16 copy, 6 x 128 x 16; the fp32 output with D's term, 4 x 128,
    the gate's SiLU output, 2 x 128, and out_proj's input, 2 x 128. A sequence: the first (zero) state kept, not the
    last, -2 x 128 x 16. A layer: A's exponent and its negation, 2 x 4 x 128 x 16, and D in fp32, 4 x 128."""
    a = architecture_from_hf_config(count.kind_config("mamba", 2))
    per_token = (4 * 128 + 2 * 128 * 23 / 20 + 2 * 128 + 2 * (8 + 32) + 4 * 128 + 8 * 128 * 16 + 4 * 16 + 4 * 128
                 + 6 * 128 * 16 + 4 * 128 + 2 * 128 + 2 * 128)
    once = -2 * 128 * 16 + 2 * 4 * 128 * 16 + 4 * 128
    assert float(mamba1_layer_bytes(a, 20, 1, True)) == pytest.approx(20 * per_token + once, rel=1e-12)
    # the mixer as counted, its input projection's input (the norm's output, 2 x 64) with it
    assert count.mixer_bytes_per_token("mamba", (20, 1)) == pytest.approx(per_token + once / 20 + 2 * 64, rel=1e-12)
    # frozen: no SiLU output for x_proj and D, no out_proj input, one exponent of A less
    frozen = per_token - 2 * 128 - 2 * 128
    assert count.mixer_bytes_per_token("mamba", (20, 1), trained=False) == pytest.approx(
        frozen + (once - 4 * 128 * 16) / 20, rel=1e-12)
    # a batch of two: x_proj reads a copy of the SiLU's output laid out by token, 2 x 128 more a token
    assert float(mamba1_layer_bytes(a, 20, 2, True)) == pytest.approx(
        2 * 20 * (per_token + 2 * 128) + 2 * (-2 * 128 * 16) + 2 * 4 * 128 * 16 + 4 * 128, rel=1e-12)


@pytest.mark.parametrize("kind", ["mamba", "falcon_mamba", "jamba_mamba"])
@pytest.mark.parametrize("tokens", [(7, 3), (33, 2)])
@pytest.mark.parametrize("trained", [True, False])
def test_mamba_mixers_count_exactly(count, kind, tokens, trained):
    """Mamba alone, Falcon Mamba's mixer (weightless norms on the time step, B and C: their fp32 inputs and inverse
    RMS, 4 x (8 + 32) + 12, and C's output, 2 x 16, in place of x_proj's output) and Jamba's (the norms weighted:
    their normalized inputs too when they train), trained and frozen. Exact."""
    a = architecture_from_hf_config(count.kind_config(kind, 2))
    n = tokens[0] * tokens[1]
    expected = float(mamba1_layer_bytes(a, *tokens, trained)) / n + (2 * 64 if trained else 0)
    assert count.mixer_bytes_per_token(kind, tokens, trained) == pytest.approx(expected, rel=1e-12)
    if kind != "mamba":
        plain = architecture_from_hf_config(count.kind_config("mamba", 2))
        norms = 2 * (8 + 32) + 12 + 2 * 16 + (2 * 8 if trained else 0) + (2 * 40 if trained and kind == "jamba_mamba"
                                                                           else 0)
        assert float(mamba1_layer_bytes(a, *tokens, trained) - mamba1_layer_bytes(plain, *tokens, trained)) == \
            pytest.approx(n * norms, rel=1e-12)


@pytest.mark.parametrize("kind", ["mamba", "falcon_mamba", "jamba_mamba"])
def test_mamba_layers_whole(count, kind):
    """Whole layers, every weight trained, 33 tokens of 2 sequences: Mamba's and Falcon Mamba's (a norm and the
    mixer), Jamba's (the mixer and its MLP, two norms)."""
    a = architecture_from_hf_config(count.kind_config(kind, 2))
    estimate = float(layer_activation_bytes(a, 33, 2, "sdpa", True)) / 66
    attention = "eager" if kind in count.EAGER_ONLY else "sdpa"
    assert count.layer_bytes_per_token(kind, tokens=(33, 2), attention=attention) == pytest.approx(estimate,
                                                                                                   rel=1e-12)


@pytest.mark.parametrize("kind", ["mamba2", "nemotron_h_mamba", "granite_mamba", "bamba", "falcon_h1"])
@pytest.mark.parametrize("trained", [True, False])
def test_mamba2_mixers_through_mamba_ssm_kernel(count, kind, trained):
    """With mamba-ssm installed transformers' Mamba-2 mixers train through its fused kernel
    (mamba2_split_conv1d_scan_combined), which keeps the input projection's output (584 wide here), the scan's
    output before the gated norm (256) in bf16 and the norm's fp32 inverse RMS per group (2): 2 x 584 + 2 x 256 + 4 x
    2 a token, 1,688, against the torch path's 19,800 or so; a layer A's exponent and its negation, 8 x 8 (4 x 8 when
    A_log is frozen). The kernel's own list is read from its source and stood in for (count.mamba_ssm_kernel); what
    transformers keeps around the call (Falcon-H1's scaled input and µP vector, A's exponent) is counted: exact."""
    a = architecture_from_hf_config(count.kind_config(kind, 2))
    per_token = 2 * 584 + 2 * 256 + 4 * 2
    once = (8 if trained else 4) * 8
    assert float(mamba2_layer_bytes(a, 100, 2, trained, kernels=True)) == pytest.approx(200 * per_token + once,
                                                                                        rel=1e-12)
    expected = per_token + once / 200 + (2 * 128 if trained else 0)     # (the norm's output in_proj keeps)
    assert count.mixer_bytes_per_token(kind, (100, 2), trained, mamba_ssm=True) == pytest.approx(expected, rel=1e-12)
    assert float(mamba2_layer_bytes(a, 100, 2, trained)) > 10 * float(mamba2_layer_bytes(a, 100, 2, trained, True))


@pytest.mark.parametrize("kind", ["granite_mamba", "falcon_h1", "nemotron_h_mamba"])
def test_mamba2_layers_whole_through_mamba_ssm_kernel(count, kind):
    """Whole layers through mamba-ssm's fused kernel, every weight trained, as the estimate counts them with
    mamba_kernels (Nemotron-H's norm's fp32 weight copy left out as before)."""
    a = architecture_from_hf_config(count.kind_config(kind, 2))
    estimate = float(layer_activation_bytes(a, 100, 2, "sdpa", True, mamba_kernels=True)) / 200
    weight = 4 * 128 / 200 if kind.startswith("nemotron_h") else 0
    assert count.layer_bytes_per_token(kind, tokens=(100, 2), mamba_ssm=True) == pytest.approx(estimate + weight,
                                                                                              rel=1e-12)


@pytest.mark.parametrize("tokens", [(64, 1), (64, 2), (100, 3)])
def test_ernie_keeps_the_rotary_tables_each_layer_rebuilds(count, tokens):
    """ERNIE 4.5 applies its rotary embedding in fp32 and repeat-interleaves the cos and sin tables in every layer,
    which keeps them: 2 x 4 x 32 bytes a position and layer (heads of 32), whatever the batch (the sequences share
    the positions), beside a Llama-like layer's per token (width 256: every weight trained). Exact at one sequence,
    two and three: the per-token bytes fall with the batch as the tables spread over more tokens."""
    a = architecture_from_hf_config(count.kind_config("ernie4_5", 2))
    s, b = tokens
    plain = float(layer_activation_bytes(a.model_copy(update={"model_type": "llama"}), s, b, "sdpa", True))
    assert float(layer_activation_bytes(a, s, b, "sdpa", True)) == plain + s * 2 * 4 * 32
    assert count.layer_bytes_per_token("ernie4_5", tokens=tokens) == pytest.approx((plain + s * 2 * 4 * 32) / (s * b),
                                                                                   rel=1e-12)


def _falcon_expected(kind: str, attention: str, s: int, b: int) -> float:
    """A narrow Falcon layer's bytes a token (width 256, 8 heads of 32, a plain GELU MLP of 608, every weight trained),
    worked out by hand from transformers 5.24's FalconAttention and PyTorch's SDPA."""
    norm = 2 * 256 + 8 + 2 * 256          # one LayerNorm: its bf16 input, fp32 mean and rstd, its output
    mlp = 2 * 608 + 2 * 608               # GELU's input, the down projection's input
    if kind == "falcon":                  # one key/value head (Falcon-7B's multi_query)
        heads = 8 if b > 1 else 1         # (broadcast to every head: a copy for more than one sequence)
        attn = (4 * 256 + 4 * heads * (32 + 32) + 4 * 8 * s + 2 * 256 if attention == "sdpa" else
                # eager: bf16 queries, keys and values, the bf16 softmax's output, the output
                2 * 256 + 2 * heads * (32 + 32) + 2 * 8 * s + 2 * 256)
    elif kind == "falcon_mha":            # the values a view of the fused q/k/v output (3 x 256 wide)
        values = 2 * 768 if attention == "sdpa" or b == 1 else 2 * 256   # (eager copies more than one sequence's)
        attn = 2 * 256 + 2 * 256 + values + (2 * s + 4 * 8 if attention == "sdpa" else 2 * 8 * s) + 2 * 256
    else:                                 # the new decoder: keys and values copied to every head
        attn = 2 * 256 * 3 + (2 * s + 4 * 8 if attention == "sdpa" else 2 * 8 * s) + 2 * 256
        if kind == "falcon_new":          # two norms on one input, kept once: 2 means and rstds, two outputs
            norm = 2 * 256 + 2 * 8 + 2 * 2 * 256
    return norm + attn + mlp


@pytest.mark.parametrize("tokens", [(64, 1), (64, 2), (100, 3)])
@pytest.mark.parametrize("attention", ["sdpa", "eager"])
@pytest.mark.parametrize("kind", ["falcon", "falcon_mha", "falcon_new", "falcon_new_one_norm"])
def test_falcon_attention_as_transformers_splits_its_heads(count, kind, attention, tokens):
    """Transformers' Falcon attention in each of its layouts (Architecture.falcon_layout), every weight trained, one to
    three sequences. Falcon-7B's one key/value head reaches SDPA unrepeated, which PyTorch's fused kernels refuse: its
    math path keeps fp32 queries, keys and values and the fp32 softmax, 4 x 8 x s a token (under the sweep's -5.6 %
    before); eager broadcasts the head, copying it for more than one sequence. Falcon builds its causal mask whatever
    the padding, which each layer's SDPA converts to bf16 and keeps (2s). Multi-head Falcon's values are a view of the
    fused output, kept whole; the new decoder copies its grouped keys and values to every head. The count reads 4
    bytes a norm less (the CPU keeps LayerNorm's mean and rstd in bf16, CUDA in fp32) and, where the keys and values
    are picked by index, 16 bytes a layer more: the two int64 indices."""
    s, b = tokens
    a = architecture_from_hf_config(count.kind_config(kind, 2))
    expected = _falcon_expected(kind, attention, s, b)
    assert float(layer_activation_bytes(a, s, b, attention, True)) / (s * b) == expected
    indexed = 16 if kind != "falcon_mha" else 0
    assert count.layer_bytes_per_token(kind, attention=attention, tokens=tokens) == pytest.approx(
        expected - 4 * a.norms_per_layer + indexed / (s * b), abs=1e-9)


def _gemma4_expected(layout: str, kind: str, trained: bool, attention: str, s: int, b: int) -> float:
    """A narrow Gemma 4 layer's bytes a token (width 256, 8 query heads, a GELU-tanh gated MLP of 608), worked out by
    hand from transformers 5.24's Gemma4TextDecoderLayer: every weight trained, or (``trained`` False) q_proj's alone
    (a frozen base; q_proj's input, the first norm's output, kept for its weight)."""
    d, f, h = 256, 608, 8
    d_h, h_kv = (32, 2) if kind == "windowed" else (64, 1 if layout == "31b" else 2)   # (31B's one key/value head)
    d_q, d_kv = h * d_h, h_kv * d_h
    w = 4 if trained else 0                # the normalized fp32 input the norm's fp32 weight multiplies
    kept = 4 * (4 * d + 8 + w * d)         # four norms: the fp32 input, mean square and its -0.5 power a row
    kept += 2 * 2 * d if trained else 2 * d   # the input norms' bf16 outputs (q_proj's alone, frozen)
    kept += (4 + w) * d_q + 8 * h + (4 + w) * d_kv + 8 * h_kv   # the q and k norms a head
    kept += 4 * d_kv + 8 * h_kv            # the values' weightless norm
    if attention == "sdpa":                # roped queries, keys, values, the output, the log-sum-exp
        kept += 2 * d_q + 4 * d_kv + 2 * d_q + 4 * h
    else:                                  # the keys and values repeated to every head (one of one sequence: a view),
        repeated = 4 * h * d_h if h_kv > 1 or b > 1 else 4 * d_kv   # the softmax's fp32 output and bf16 copy, and the
        kept += 2 * d_q + repeated + 6 * h * s + (2 * d_q if trained else 0)   # output's copy o_proj's weight reads
    kept += 8 * f if trained else 6 * f    # gate and up outputs, the activation's output, down's input
    if layout == "e":                      # per-layer inputs of 32: the norm on the gated input, the activation's
        p = 32                             # input, the layer's slice of the inputs; trained, the gate's input, the
        kept += 4 * d + 8 + w * d + 4 * p + ((2 * d + 4 * p + 8 * p + 8) if trained else 0)   # activation's output,
    return kept                            # the projection's input and the model's norm over the inputs, its share


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
@pytest.mark.parametrize("trained", [True, False])
@pytest.mark.parametrize("layout,kind", [("31b", "windowed"), ("31b", "global"), ("e", "windowed"), ("e", "global")])
def test_gemma4_layers_as_transformers_keeps_them(count, layout, kind, trained, attention):
    """Gemma 4's windowed and full-attention layers, each with its own heads (31B's full-attention layers: one
    key/value head of 64 that is also the values; E4B's: 2 heads of 64 with values of their own and per-layer
    inputs), as transformers keeps them: its RMSNorms raise the mean square to the -0.5 power (two fp32 scalars a row)
    and multiply by their weight in fp32, a weightless norm on the values. They read -17 % (windowed) and -29 %
    (full attention) before. Exact but for the fp32 copies of the norms' weights, a few KB a layer whatever the
    tokens (4 x 4 x 256 + 4 x 2 x d_h, and 4 x 256 for the per-layer inputs' norm), at one and three sequences."""
    prefix = "gemma4" if layout == "31b" else "gemma4_e"
    a = architecture_from_hf_config(count.kind_config(f"{prefix}_mixed", 2))
    assert (a.global_attention.head_dim, a.global_attention.num_kv_heads) == (64, 1 if layout == "31b" else 2)
    for s, b in ((64, 1), (48, 3)):
        expected = _gemma4_expected(layout, kind, trained, attention, s, b)
        frozen = 0 if trained else 2 * 256    # (q_proj's input, its weight trained)
        assert float(layer_activation_bytes(a, s, b, attention, trained, kind)) / (s * b) + frozen == expected
        weights = 4 * 4 * 256 + 4 * 2 * (32 if kind == "windowed" else 64) + (4 * 256 if layout == "e" else 0)
        counted = count.layer_bytes_per_token(f"{prefix}_{kind}", () if trained else ("q",), attention=attention,
                                              tokens=(s, b))
        assert counted == pytest.approx(expected + weights / (s * b), abs=1e-9)


@pytest.mark.parametrize("trained", [True, False])
def test_gemma4_kv_shared_layers_keep_no_keys_of_their_own(count, trained):
    """Gemma 4 E4B's last layers read an earlier layer's keys and values (num_kv_shared_layers): no keys and values of
    their own for SDPA, no key norm, no value norm. Two of four layers shared (a windowed one, heads of 32 over 2, and
    a full-attention one, 64 over 2) keep, a token, the key norms' (4 + 4) x d_kv + 8 x h_kv (4 x d_kv frozen), the
    value norms' 4 x d_kv + 8 x h_kv and SDPA's 4 x d_kv less: 16 x (64 + 128) + 2 x 16 x 2 = 3,136 trained, 12 x 192
    + 64 = 2,368 frozen; a layer's figure averages it over the four (the count: the two keys norms' weights, 4 x (32 +
    64) bytes, less too)."""
    import torch
    import transformers
    a = architecture_from_hf_config(count.kind_config("gemma4_e_shared", 4))
    assert (a.kv_shared_layers, a.kv_shared_windowed) == (2, 1)
    plain = a.model_copy(update={"kv_shared_layers": 0, "kv_shared_windowed": 0})
    saving = (16 * (64 + 128) + 2 * 16 * 2) if trained else 12 * (64 + 128) + 2 * 16 * 2
    assert saving == (3136 if trained else 2368)
    s, b = 64, 2
    per_layer = float(layer_activation_bytes(plain, s, b, "sdpa", trained) - layer_activation_bytes(a, s, b, "sdpa",
                                                                                                    trained))
    assert per_layer * 4 / (s * b) == pytest.approx(saving, rel=1e-12)
    kept = []
    for kind in ("gemma4_e_mixed", "gemma4_e_shared"):
        model = count._model(torch, transformers, kind, 4, () if trained else ("q",))
        kept.append(count._saved_bytes(torch, model, (s, b)))
    assert (kept[0] - kept[1]) / (s * b) == pytest.approx(saving + 4 * (32 + 64) / (s * b), abs=1e-9)


def test_eager_attention_under_a_frozen_base_keeps_no_output(count):
    """SDPA's kernels keep their output for their backward pass; eager attention's last matmul keeps nothing of its
    output, which only o_proj's weight gradient reads (from its transposed copy). With q_proj alone trained (a frozen
    base, as under LoRA) the layer keeps the estimate's frozen figure and q_proj's input, 2 x 160: Llama's 9,864 a
    token (s = 64, two sequences), 256 x 2 less than the SDPA-like figure read before; with o_proj's weight trained
    too its input is kept again, 2 x 256 more."""
    a = architecture_from_hf_config(count.kind_config("llama", 2))
    frozen = float(layer_activation_bytes(a, 64, 2, "eager", False)) / 128
    sdpa = float(layer_activation_bytes(a, 64, 2, "sdpa", False)) / 128
    # the scores, the repeated heads, no log-sum-exp, no output
    assert frozen - sdpa == 6 * 8 * 64 + 2 * 6 * (32 + 32) - 4 * 8 - 2 * 256
    assert count.layer_bytes_per_token("llama", ("q",), attention="eager") == frozen + 2 * 160 == 9864
    assert count.layer_bytes_per_token("llama", ("q", "o"), attention="eager") == frozen + 2 * 160 + 2 * 256


def test_sdpa_without_its_grouped_query_path_repeats_the_heads(count):
    """transformers' SDPA hands the kernel unrepeated keys and values only without a mask and for heads no wider than
    256 (use_gqa_in_sdpa). A windowed layer of a sequence longer than its window takes a mask: each layer's SDPA
    converts it to bf16 and keeps it (2s a token) and the keys and values are repeated to every head, copies the
    kernel keeps, 2 x (8 - 2) x (32 + 32) = 768. Gemma 3's layers (window 32): 14,552 + 768 + 2 x 64 at 64 tokens,
    unchanged at 24; Gemma 4's full-attention layers with heads of 512 over 2 key/value heads repeat them whatever
    the sequence, 2 x 6 x 1,024 = 12,288 more, over one head none (a view). The count adds the norms' fp32 weight
    copies, bytes a layer."""
    count.KINDS["gemma3_w32"] = dict(count.KINDS["gemma3"], sliding_window=32)
    count.KINDS["gemma4_wide"] = dict(count.GEMMA4, global_head_dim=512, num_global_key_value_heads=2,
                                      layer_types_all="full_attention")
    count.KINDS["gemma4_wide_one"] = dict(count.GEMMA4, global_head_dim=512, layer_types_all="full_attention")
    try:
        a = architecture_from_hf_config(count.kind_config("gemma3_w32", 2))
        assert (a.sliding_window, a.sliding_window_layers) == (32, 2)
        weights = 4 * 4 * 160 + 4 * 2 * 32     # (the four norms' and the q and k norms' fp32 weights)
        for (s, b), expected in (((64, 2), 14552 + 768 + 2 * 64), ((24, 1), 14552)):
            assert float(layer_activation_bytes(a, s, b, "sdpa", True)) / (s * b) == expected
            assert count.layer_bytes_per_token("gemma3_w32", tokens=(s, b)) == pytest.approx(
                expected + weights / (s * b), abs=1e-9)
        for kind, kv in (("gemma4_wide", 2), ("gemma4_wide_one", 1)):
            mixed = dict(count.KINDS[kind], layer_types_cycle=["sliding_attention", "full_attention"])
            del mixed["layer_types_all"]
            count.KINDS["gemma4_wide_mixed"] = mixed
            g = architecture_from_hf_config(count.kind_config("gemma4_wide_mixed", 2))
            repeated = 2 * (8 - kv) * (512 + 512) if kv > 1 else 0
            sdpa = float(layer_activation_bytes(g, 64, 2, "sdpa", True, "global")) / 128
            assert sdpa - float(layer_activation_bytes(g, 64, 2, "flash", True, "global")) / 128 == repeated
            weights = 4 * 4 * 256 + 4 * 2 * 512
            assert count.layer_bytes_per_token(kind, tokens=(64, 2)) == pytest.approx(sdpa + weights / 128, abs=1e-9)
    finally:
        for kind in ("gemma3_w32", "gemma4_wide", "gemma4_wide_one", "gemma4_wide_mixed"):
            count.KINDS.pop(kind, None)


def test_padded_micro_batches_under_sdpa_keep_a_mask_and_repeated_heads(count):
    """A micro-batch whose last sequence is a quarter shorter, padded (an attention mask with zeros): transformers
    builds a 4-D mask and, with one, repeats the keys and values for SDPA (no grouped-query path). Each layer's SDPA
    keeps the mask in bf16, 2 x 64 a token, and the copies, 2 x (8 - 2) x (32 + 32) = 768: Llama 8,744 + 896. Phi-3's
    values were a view of its fused qkv output, kept whole (2 x (256 + 64)): repeated, the output goes, 640 less.
    DeepSeek-V3's MLA builds every head whole: the mask alone. One sequence has nothing to pad; eager attention adds
    the mask in place and keeps nothing more. Exact (Gemma 3 but for its norms' fp32 weights, bytes a layer)."""
    for kind, base, more in (("llama", 8744, 768 + 128), ("phi3", 11432, 768 - 2 * (256 + 64) + 128),
                             ("deepseek_v3", None, 128), ("gemma3", 14552, 768 + 128)):
        a = architecture_from_hf_config(count.kind_config(kind, 2))
        plain = float(layer_activation_bytes(a, 64, 2, "sdpa", True)) / 128
        if base is not None:
            assert plain == base
        assert float(layer_activation_bytes(a, 64, 2, "sdpa", True, padded=True)) / 128 == plain + more
        assert float(layer_activation_bytes(a, 64, 1, "sdpa", True, padded=True)) == \
            float(layer_activation_bytes(a, 64, 1, "sdpa", True))
        assert float(layer_activation_bytes(a, 64, 2, "eager", True, padded=True)) == \
            float(layer_activation_bytes(a, 64, 2, "eager", True))
        weights = (4 * 4 * 160 + 4 * 2 * 32) / 128 if kind == "gemma3" else 0.0
        assert count.layer_bytes_per_token(kind, padded=True) == pytest.approx(plain + more + weights, abs=1e-9)
    assert count.layer_bytes_per_token("llama", attention="eager", padded=True) == \
        count.layer_bytes_per_token("llama", attention="eager")


@pytest.mark.parametrize("tokens", [(64, 1), (64, 2)])
def test_eager_attention_laid_out_by_head_keeps_the_output_once(count, tokens):
    """Phi-3's attention output is laid out by head (its query read from a fused projection) and o_proj keeps a
    transposed copy; under eager attention there is no SDPA output beside it, 2 x 256 less than SDPA's figure. Its
    values are a view of the fused qkv output, which SDPA keeps whole (2 x (256 + 64) over the values' own): eager's
    repeat_kv copies grouped values (8 query heads over 2), and with every head its own its matmul copies the values of
    more than one sequence, the output then freed. Every weight trained: Phi-3 (8 over 2) 11,432 - 640 - 512 - 32 +
    6 x 8 x 64 (scores) + 2 x 6 x 64 (repeated keys and values) = 14,088 at one and two sequences; over 8 heads
    12,584 - 512 - 32 + 3,072 = 15,112 at one, 1,024 less at two (estimates 512 and 1,152-1,536 over before)."""
    s, b = tokens
    count.KINDS["phi3_mha"] = dict(count.KINDS["phi3"], num_key_value_heads=8)
    try:
        for kind, sdpa, eager in (("phi3", 11432, 11432 - 640 - 512 - 32 + 3072 + 768),
                                  ("phi3_mha", 12584, 12584 - 512 - 32 + 3072 - (1024 if b > 1 else 0))):
            a = architecture_from_hf_config(count.kind_config(kind, 2))
            assert float(layer_activation_bytes(a, s, b, "sdpa", True)) / (s * b) == sdpa
            assert float(layer_activation_bytes(a, s, b, "eager", True)) / (s * b) == eager
            assert count.layer_bytes_per_token(kind, attention="eager", tokens=tokens) == eager
        # Qwen3.5's attention layers: laid out by head, an output gate multiplying o_proj's copy, no SDPA output
        # beside it (512 over before): within 0.3 % of the count (its norms' fp32 weight copies, bytes a layer)
        a = architecture_from_hf_config(count.kind_config("qwen3_5", 2))
        assert float(layer_activation_bytes(a, s, b, "eager", True)) / (s * b) == pytest.approx(
            count.layer_bytes_per_token("qwen3_5", attention="eager", tokens=tokens), rel=0.003)
    finally:
        del count.KINDS["phi3_mha"]
