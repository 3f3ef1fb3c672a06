"""Fine-tuning memory against published figures and hand counts."""

import json

import numpy as np
import pytest

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog
from vramgui.core.formats import WEIGHT_FORMATS
from vramgui.core.presets import ModelPreset
from vramgui.core.training import TrainingSetup, layer_activation_bytes, lora_params, training_fit, training_memory
from vramgui.core.units import GB


def llama1(name: str, d: int, f: int, layers: int, heads: int) -> ModelPreset:
    # LLaMA paper (Touvron et al., 2023) Table 2 (dimension, heads, layers); intermediate sizes
    # from the huggyllama/llama-33b and -65b config.json files (17920, 22016); vocabulary 32,000.
    return ModelPreset(id=name, name=name, family="LLaMA", source="https://arxiv.org/abs/2302.13971",
                       config=dict(model_type="llama", vocab_size=32000, hidden_size=d, intermediate_size=f,
                                   num_hidden_layers=layers, num_attention_heads=heads, rms_norm_eps=1e-6))


def setup(model, gpu="a100-80gb", **kw) -> TrainingSetup:
    cat = default_catalog()
    m = cat.model(model) if isinstance(model, str) else model
    return TrainingSetup(model=m, gpu=cat.gpu(gpu), **kw)


def states(t: TrainingSetup) -> float:
    m = training_memory(t)
    return float(m.weights + m.gradients + m.optimizer)


def test_full_finetuning_16_vs_8_bytes_per_param():
    # Mixed-precision AdamW: bf16 weights 2 + bf16 grads 2 + fp32 master 4 + fp32 m 4 + fp32 v 4 = 16 B/param
    # (ZeRO paper §3): a 7 B model needs 7e9 × 16 = 112 GB before any activation.  The "8 bytes per
    # parameter" rule of popular guides is pure bf16 AdamW: weights, grads and two bf16 moments.
    seven_b = llama1("llama-7b", 4096, 11008, 32, 32)
    n = 6_738_415_616
    assert states(setup(seven_b, optimizer="adamw")) == 16 * n
    assert states(setup(seven_b, optimizer="adamw-bf16")) == 8 * n
    assert 16 * 7e9 == pytest.approx(112 * GB)
    assert states(setup(seven_b, optimizer="adamw-8bit")) == 6 * n
    assert states(setup(seven_b, optimizer="sgd")) == 4 * n


def test_korthikanti_layer_activations():
    # Korthikanti et al. (2022) Table 2: s·b·h·(34 + 5·a·s/h) bytes per layer, GPT layer with a 4h MLP, a GeLU that
    # keeps its input and two dropout masks (1 byte each: after the attention's and the MLP's output), to which
    # LayerNorm adds its fp32 mean and rstd, 8 bytes a row each norm: full fine-tuning (every weight trains) keeps
    # s·b·(34·d + 16) + 5·a·s²·b (the scores, their softmax's dropout mask and output)
    gpt = ModelPreset(id="gpt", name="gpt", family="GPT", source="https://arxiv.org/abs/2205.05198",
                      config=dict(model_type="gpt2", n_embd=4096, n_layer=2, n_head=32, vocab_size=50257,
                                  layer_norm_epsilon=1e-5, activation_function="gelu", resid_pdrop=0.1)).architecture
    s, b, d, h = 2048, 4, 4096, 32
    assert float(layer_activation_bytes(gpt, s, b, "eager", trained=True)) == s * b * (34 * d + 16) + 5 * h * s * s * b
    # flash attention keeps no s² scores (one fp32 log-sum-exp per row and head instead)
    assert float(layer_activation_bytes(gpt, s, b, "flash", trained=True)) == s * b * (34 * d + 16) + 4 * h * s * b
    # a frozen base keeps neither the norms' outputs (2 x 2d) nor the second matrix's input (4d x 2): 12d less
    assert float(layer_activation_bytes(gpt, s, b, "flash")) == s * b * (22 * d + 16) + 4 * h * s * b
    # without dropout (HF's usual fine-tuning configs), the two masks' 2d less
    no_dropout = gpt.model_copy(update={"residual_dropouts": 0})
    assert float(layer_activation_bytes(no_dropout, s, b, "flash")) == s * b * (20 * d + 16) + 4 * h * s * b


def test_queries_wider_than_the_model_and_qk_norms():
    # Qwen3 4B: width 2,560, 32 query heads x 128 = 4,096 (wider than the model), 8 KV heads x 128 = 1,024, MLP
    # 9,728, q/k norms. Per token with a frozen base (LoRA), fused attention: 2 x 4,096 + 4 x 1,024 + 2 x 4,096 +
    # 4 x 32 = 20,608; the q/k norms' fp32 inputs and a scale a head 4 x (4,096 + 1,024) + 4 x (32 + 8) = 20,640;
    # MLP 6 x 9,728 = 58,368; two norms 2 x (4 x 2,560 + 4) = 20,488: 120,104
    a = default_catalog().model("qwen3-4b").architecture
    assert float(layer_activation_bytes(a, 2048, 4, "flash")) == 2048 * 4 * (20_608 + 20_640 + 58_368 + 20_488)
    # full fine-tuning adds the q/k norms' normalized inputs 2 x 5,120, down's input 2 x 9,728 and each norm's
    # normalized input and output 2 x (2 x 2,560 + 2 x 2,560): 170,280
    assert float(layer_activation_bytes(a, 1, 1, "flash", trained=True)) == 120_104 + 10_240 + 19_456 + 20_480
    # Gemma 3 4B: 8 query heads x 256 = 2,048 (narrower than the model's 2,560), 4 KV heads x 256, MLP 10,240, q/k
    # norms, and four RMSNorms a layer. Frozen: attention 2 x 2,048 + 4 x 1,024 + 2 x 2,048 + 4 x 8 = 12,320, q/k
    # norms 4 x 3,072 + 4 x 12 = 12,336, MLP 61,440, norms 4 x (4 x 2,560 + 4) = 40,976: 127,072
    gemma = default_catalog().model("gemma3-4b").architecture
    assert float(layer_activation_bytes(gemma, 1, 1, "flash")) == 12_320 + 12_336 + 61_440 + 40_976 == 127_072
    # trained: Gemma's norms multiply by (1 + weight) in fp32, their normalized inputs 4 bytes (q/k 4 x 3,072, the
    # four norms 4 x 4 x 2,560), down's input 2 x 10,240 and the two input norms' outputs 2 x 2 x 2,560
    assert float(layer_activation_bytes(gemma, 1, 1, "flash", trained=True)) == \
        127_072 + 12_288 + 40_960 + 20_480 + 10_240 == 211_040
    # Llama 2 7B (queries as wide as the model, MHA, gated MLP 11,008): 8d + 4 x 32 + 6f + 2 x (4d + 4)
    llama = default_catalog().model("llama2-7b").architecture
    d, f = 4096, 11008
    assert float(layer_activation_bytes(llama, 1, 1, "flash")) == 8 * d + 4 * 32 + 6 * f + 2 * (4 * d + 4)


def test_lora_adapters_are_fp32_but_with_pure_bf16_adamw():
    # peft's adapters are fp32 whatever the optimizer (Llama 2 7B, q and v at r16: 32 layers x 2 x 16 x (4,096 +
    # 4,096) = 8,388,608 parameters): 8-bit AdamW keeps 4 + 4 bytes and 2 of moments a parameter, and each adapted
    # matrix keeps the token's input in fp32; pure-bf16 AdamW's adapters are bf16 (2 + 2 + 4) and keep 2·r
    n = 32 * 2 * 16 * (4096 + 4096)
    eight = setup("llama2-7b", method="lora", optimizer="adamw-8bit", lora_rank=16, lora_targets="q,v", seq=1024,
                  batch=1)
    bf16 = eight.with_(optimizer="adamw-bf16")
    m8, m16 = training_memory(eight), training_memory(bf16)
    assert m8.trainable_params == n
    assert float(m8.gradients) == 4 * n and float(m16.gradients) == 2 * n
    assert float(m8.optimizer) == 2 * n and float(m16.optimizer) == 4 * n
    # what the layers keep differs by the adapters' inputs: 64 matrices x 1,024 tokens x (4 x (4,096 + 16) - 2 x 16)
    assert float(m8.stored - m16.stored) == 64 * 1024 * (4 * (4096 + 16) - 2 * 16)

def test_recomputation_keeps_only_layer_inputs():
    t = setup("llama2-7b", seq=4096, batch=1, checkpointing="none", attention="eager")
    full = setup("llama2-7b", seq=4096, batch=1, checkpointing="full", attention="eager")
    a = t.model.architecture
    logits = 4096 * 32000 * 12          # at the loss: fp32 log-probabilities, their gradient and its input's
    layer = float(layer_activation_bytes(a, 4096, 1, "eager", trained=True))
    m, mf = training_memory(t), training_memory(full)
    assert float(m.stored) == 32 * layer and float(m.logits) == logits
    assert float(mf.stored) == 32 * 2 * 4096 * 4096
    assert float(mf.loss_phase) == 32 * 2 * 4096 * 4096 + logits
    # the backward pass recomputes one layer while the gradients (2 bytes a parameter, adamw's) grow
    assert float(mf.backward_phase) == 6_738_415_616 * 2 + layer
    assert float(mf.stored) < float(m.stored) / 30


def test_the_peak_is_the_largest_phase():
    # Llama 2 7B full fine-tuning in pure bf16 (8 bytes a parameter), no checkpointing, foreach step. At 2 x 2,048
    # tokens the loss's phase (32 layers x 4,096 tokens x 186,504 bytes + the logits, 4,096 x 32,000 x 12: 26.02 GB
    # beyond the weights and moments) is smaller than the step's (the gradients and the moments' square roots, 4
    # bytes a parameter: 26.95 GB): the step is the peak; at 8 x 2,048 the loss is
    n = 6_738_415_616
    t = setup("llama2-7b", gpu="h200", optimizer="adamw-bf16", optimizer_step="foreach", seq=2048, batch=2)
    m = training_memory(t)
    assert float(m.loss_phase) == 32 * 4096 * 186_504 + 4096 * 32000 * 12
    assert float(m.step_phase) == 4 * n and m.peak_phase == "step"
    assert float(m.total - m.overhead) == pytest.approx(10 * n)   # weights, moments, gradients, square roots
    big = training_memory(t.with_(batch=8))
    assert big.peak_phase == "loss"
    assert float(big.total - big.overhead) == pytest.approx(6 * n + 4 * (32 * 4096 * 186_504 + 4096 * 32000 * 12))
    # the breakdown adds up to the peak: activations are what the loss needs beyond the gradients and the step
    assert float(big.activations) == pytest.approx(float(big.loss_phase) - 4 * n)
    # with gradient accumulation the gradients are alive through the forward passes after the first: + 2 bytes a
    # parameter on the loss's phase
    acc = training_memory(t.with_(batch=8, grad_accum=4))
    assert float(acc.loss_phase - big.loss_phase) == 2 * n
    # PyTorch's caching allocator needs 8 % of the phase on top, expandable segments 2 %
    assert float(big.fragmentation) == pytest.approx(0.08 * float(big.loss_phase))
    exp = training_memory(t.with_(batch=8, allocator="expandable"))
    assert float(big.total - exp.total) == pytest.approx(0.06 * float(big.loss_phase))


def test_lora_adapter_counts_by_hand():
    a = default_catalog().model("llama2-7b").architecture
    # r · (d_in + d_out) per matrix, 32 layers: q and v are 4096 → 4096
    assert lora_params(a, 8, ("q", "v")) == 8 * (4096 + 4096) * 2 * 32 == 4_194_304
    # all linear: q,k,v,o (4096+4096 each) + gate, up (4096+11008) + down (11008+4096)
    assert lora_params(a, 16, ("q", "k", "v", "o", "gate", "up", "down")) == 16 * 32 * (4 * 8192 + 3 * 15104)
    g = default_catalog().model("llama3.1-8b").architecture   # GQA: k and v are 4096 → 1024
    assert lora_params(g, 8, ("k",)) == 8 * (4096 + 1024) * 32
    t = setup("llama2-7b", method="lora", lora_rank=8, lora_targets="q_proj,v_proj")
    assert training_memory(t).trainable_params == 4_194_304


def test_lora_on_qwen3_moe_adapts_every_routed_expert():
    """peft 0.21 converts LoRA targets on Qwen3-MoE's MLP into its fused experts' parameters (PEFT_FUSED_EXPERTS):
    every routed expert takes adapters, gate_up_proj at twice the rank.  Qwen3-30B-A3B (config.json: width 2,048,
    48 layers of 128 experts of width 768, top 8; 32 query heads and 4 KV heads of 128), r16 on the seven usual
    targets: attention 16 x (2 x (2,048 + 4,096) + 2 x (2,048 + 512)) = 278,528 a layer; the experts 32 x 128 x
    (2,048 + 1,536) + 16 x 128 x (768 + 2,048) = 20,447,232 a layer: 994,836,480 in all, peft's own count on the
    model transformers builds from that config.json.  Without gradient checkpointing each layer keeps its folded
    expert stacks (128 x (2,048 x 1,536 + 768 x 2,048) x 2 bytes), the factors (128 x (32 x 3,584 + 16 x 2,816) x 2)
    and the experts' input for each token's 8 experts (8 x (2,048 + 768) x 2): 2,048 tokens add 48 x (1,248,854,016 +
    92,274,688) bytes, 59.95 GiB, against LoRA on attention alone."""
    all7 = setup("qwen3-30b-a3b", method="lora", lora_rank=16, lora_targets="q,k,v,o,gate,up,down", seq=2048)
    attention = all7.with_(lora_targets="q,k,v,o")
    assert training_memory(all7).trainable_params == 48 * (278_528 + 20_447_232) == 994_836_480
    assert training_memory(attention).trainable_params == 48 * 278_528
    kept = 128 * (2048 * 1536 + 768 * 2048 + 32 * 3584 + 16 * 2816) * 2
    assert kept == 1_248_854_016
    added = 48 * (kept + 8 * (2048 + 768) * 2 * 2048)
    assert float(training_memory(all7).stored - training_memory(attention).stored) == added
    assert added / 2**30 == pytest.approx(59.95, abs=0.005)
    from vramgui.core.explain import explain_training
    text = explain_training(all7)
    assert "checkpointing 'none': 48 layers × 0.31 GiB + 48 MoE layers × 1.25 GiB" in text["activations"]
    assert f"{added / 48 / 2**30:.2f}" == "1.25" and "(gate_up_proj at rank 32)" in text["trainable"]
    # full checkpointing keeps the layers' inputs alone: one layer's stacks while it is recomputed, and its weight
    # gradient (the larger stack, 128 x 1,536 x 2,048 x 2 bytes) in the backward pass
    ck = all7.with_(checkpointing="full")
    assert float(training_memory(ck).stored) == float(training_memory(ck.with_(lora_targets="q,k,v,o")).stored)
    grad = 128 * 1536 * 2048 * 2
    m, m0 = training_memory(ck), training_memory(ck.with_(lora_targets="q,k,v,o"))
    rise = max(float(m.stored), float(m.gradients)) - max(float(m0.stored), float(m0.gradients))  # (the adapters')
    assert float(m.backward_phase - m0.backward_phase) == pytest.approx(rise + added / 48 + grad, rel=1e-12)
    # QLoRA's k-bit preparation casts the 16-bit experts to fp32: the stacks and inputs in 4 bytes
    q = all7.with_(method="qlora")
    assert float(training_memory(q).stored - training_memory(q.with_(lora_targets="q,k,v,o")).stored) == 2 * added
    assert float(training_memory(q.with_(kbit_upcast=False)).stored - training_memory(
        q.with_(kbit_upcast=False, lora_targets="q,k,v,o")).stored) == added


def test_train_refuses_what_peft_refuses_and_says_what_lora_does_to_the_experts(capsys):
    # gate without up on Qwen3-30B-A3B: peft refuses (they are one fused parameter), and so does `train`
    assert main(["train", "--model", "qwen3-30b-a3b", "--gpu", "h100-sxm", "--method", "lora",
                 "--lora-targets", "q,gate"]) == 2
    assert "--lora-targets: peft refuses LoRA on gate without up here" in capsys.readouterr().err
    assert main(["train", "--model", "qwen3-30b-a3b", "--gpu", "h100-sxm", "--method", "lora",
                 "--lora-targets", "q,k,v,o,gate,up,down", "--json"]) == 0
    m = json.loads(capsys.readouterr().out)["model"]
    assert m["params_trainable"] == 994_836_480 and m["lora_refused"] is None
    assert m["lora_routed_experts"].startswith("all 128 of each layer adapted through their fused gate_up_proj")
    assert "refuses lora_dropout above 0" in m["lora_routed_experts"]     # (peft's ParamWrapper: its own ValueError)
    # Mixtral with attention targets: none adapted, said; a dense model: nothing to say
    assert main(["train", "--model", "mixtral-8x7b", "--gpu", "h100-sxm", "--method", "lora", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["lora_routed_experts"] == \
        "no adapters: no gate, up or down target"
    assert main(["train", "--model", "llama3.1-8b", "--gpu", "h100-sxm", "--method", "lora", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["lora_routed_experts"] is None


def test_lora_on_fused_projections_adapts_each_as_one():
    """transformers builds some projections as one linear module (training.FUSED_PROJECTIONS), which peft adapts as
    one matrix: targeting any of their roles adapts it, r·(d_in + its outputs summed).  Phi-3 Mini (width 3,072, 32
    layers, 32 heads of 96 and as many KV heads, MLP 8,192): qkv_proj 3,072 -> 9,216 and gate_up_proj 3,072 ->
    16,384; r16 on all seven: 32 x 16 x ((3,072 + 9,216) + (3,072 + 3,072) + (3,072 + 16,384) + (8,192 + 3,072)) =
    25,165,824, peft's own count on the model built from its config.json; q alone adapts the whole qkv_proj.  Falcon
    7B (width 4,544, 71 heads of 64, one KV head): query_key_value 4,544 -> 4,672."""
    cat = default_catalog()
    phi3 = cat.model("phi3-mini").architecture
    assert lora_params(phi3, 16, ("q", "k", "v", "o", "gate", "up", "down")) == \
        32 * 16 * ((3072 + 9216) + (3072 + 3072) + (3072 + 16384) + (8192 + 3072)) == 25_165_824
    assert lora_params(phi3, 16, ("q",)) == lora_params(phi3, 16, ("q", "k", "v")) == 32 * 16 * (3072 + 9216)
    falcon = cat.model("falcon-7b").architecture
    assert lora_params(falcon, 8, ("v",)) == 32 * 8 * (4544 + 4544 + 2 * 64)
    # the modules' own names stand for their roles
    t = setup("phi3-mini", method="lora", lora_targets="qkv_proj,gate_up_proj")
    assert t.lora_targets == ("q", "k", "v", "gate", "up")
    assert setup("falcon-7b", method="lora", lora_targets="query_key_value,dense_h_to_4h,dense_4h_to_h"
                 ).lora_targets == ("q", "k", "v", "up", "down")
    assert setup("granite4.0-micro", method="lora", lora_targets="input_linear,output_linear").lora_targets == \
        ("gate", "up", "down")


def test_gemma4_lora_names_the_language_model(capsys):
    # Gemma 4's vision tower builds q_proj ... down_proj as Gemma4ClippableLinear, which peft 0.21 refuses: every one
    # of the seven plain names fails on the 31B and E2B built from their config.json, and a regular expression on the
    # language model's adapts what the count holds (21,913,600 and 2,678,784 for q and v at r16, peft's own count)
    from vramgui.core.training import lora_names_note
    cat = default_catalog()
    for ident, want in (("gemma4-31b", 21_913_600), ("gemma4-e2b", 2_678_784)):
        a = cat.model(ident).architecture
        assert "Gemma4ClippableLinear" in lora_names_note(a) and lora_params(a, 16, ("q", "v")) == want
    # the 12B's unified tower builds plain linear layers; other models have nothing to say
    assert lora_names_note(cat.model("gemma4-12b").architecture) is None
    assert lora_names_note(cat.model("gemma3-27b").architecture) is None
    assert main(["train", "--model", "gemma4-31b", "--gpu", "h100-sxm", "--method", "lora"]) == 0
    assert "note: peft refuses the plain module names (q_proj, v_proj, ...) here" in capsys.readouterr().out
    assert main(["train", "--model", "gemma4-31b", "--gpu", "h100-sxm", "--method", "full", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["lora_names_note"] is None


def test_lora_reaches_the_vision_tower_by_name():
    """A target name adapts every module ending in it, a vision tower's too (training.VISION_LORA_ROLES).  Gemma 3
    4B's SigLIP (27 layers of width 1,152) names q_proj, k_proj and v_proj as its language model does: q and v at
    r16 add 27 x 2 x 16 x (1,152 + 1,152) = 1,990,656 to the language model's 4,456,448; Pixtral (Mistral Small 3.1:
    24 layers of 1,024, MLP 4,096) takes o and its gated MLP's names as well, 24 x 16 x (4 x 2,048 + 3 x 5,120) =
    9,043,968 for all seven; Qwen2.5-VL's tower its MLP's alone (32 layers of 1,280, MLP 3,420); Qwen3.5's none.
    peft's own counts on the models built from their config.json equal the totals."""
    cat = default_catalog()
    gemma = cat.model("gemma3-4b").architecture
    assert lora_params(gemma, 16, ("q", "v")) == 4_456_448 + 27 * 2 * 16 * 2304 == 6_447_104
    mistral = cat.model("mistral-small-3.1-24b").architecture
    seven = ("q", "k", "v", "o", "gate", "up", "down")
    assert mistral.vision.intermediate_size == 4096
    assert lora_params(mistral, 16, seven) == 101_449_728 and 24 * 16 * (4 * 2048 + 3 * 5120) == 9_043_968
    qwen25 = cat.model("qwen2.5-vl-7b").architecture
    assert lora_params(qwen25, 16, ("q", "v")) == 5_046_272           # (its tower's attention is a fused qkv)
    assert lora_params(qwen25, 16, seven) == 47_589_376
    assert lora_params(cat.model("qwen3.5-9b").architecture, 16, ("q", "v")) == 2_228_224
    # a text token passes none of the tower's adapters: the activations count the language model's alone
    from vramgui.core.training import adapted_shapes
    assert sum(c for _, _, c in adapted_shapes(gemma, ("q", "v"), passed=True)) == 2 * 34


def test_lora_on_recurrent_mixers_by_hand():
    cat = default_catalog()
    # Qwen3.5 9B (config.json: hidden 4096, 24 Gated DeltaNet layers, 16 key / 32 value heads of 128):
    # transformers builds in_proj_qkv (4096 -> 2 x 2048 + 4096), in_proj_z (-> 4096), in_proj_b and
    # in_proj_a (-> 32 each) and out_proj (4096 -> 4096); r = 16 adapts each: r (d_in + d_out)
    a = cat.model("qwen3.5-9b").architecture
    in_proj = 16 * ((4096 + 8192) + (4096 + 4096) + 2 * (4096 + 32)) * 24
    out_proj = 16 * (4096 + 4096) * 24
    assert lora_params(a, 16, ("in_proj",)) == in_proj == 11_034_624
    named = setup("qwen3.5-9b", method="lora", lora_rank=16, lora_targets="in_proj_z, out_proj")
    assert named.lora_targets == ("in_proj", "out_proj")     # any input projection's name adapts them all
    assert training_memory(named).trainable_params == in_proj + out_proj
    # the 8 attention layers' q (with its output gate: 4096 -> 2 x 16 x 256) are the only q's
    assert lora_params(a, 16, ("q",)) == 16 * (4096 + 8192) * 8
    # Qwen3-Next 80B-A3B: in_proj_qkvz (2048 -> 12,288) and in_proj_ba (2048 -> 64) in 36 layers
    n = cat.model("qwen3-next-80b-a3b").architecture
    assert lora_params(n, 16, ("in_proj",)) == 16 * ((2048 + 12288) + (2048 + 64)) * 36
    # Nemotron 3 Nano: one Mamba-2 in_proj (2688 -> 2 x 4096 + 2 x 8 x 128 + 64 heads) in 23 layers
    m = cat.model("nemotron3-nano-30b-a3b").architecture
    assert lora_params(m, 16, ("in_proj", "out_proj")) == 16 * ((2688 + 10304) + (4096 + 2688)) * 23
    # a transformer has none; "all-linear" takes them where they exist
    assert lora_params(cat.model("llama2-7b").architecture, 16, ("in_proj", "out_proj")) == 0
    t = setup("qwen3.5-9b", method="lora", lora_rank=16, lora_targets="all-linear")
    assert {"in_proj", "out_proj"} <= set(t.lora_targets)
    assert training_memory(t).trainable_params == lora_params(a, 16, t.lora_targets)
    # the Explain line names all-linear as peft's; full fine-tuning trains every parameter, whatever targets the
    # setup keeps for LoRA (Qwen3.5 9B: 9,409,813,744, transformers' count of the checkpoint, image encoder included)
    from vramgui.core.explain import explain_training
    assert "over every linear layer but the output layer (peft's all-linear, the image encoder's" in \
        explain_training(t)["trainable"]
    full = t.with_(method="full")
    assert explain_training(full)["trainable"] == "Trainable parameters: 9,409,813,744 (every parameter)."


@pytest.mark.parametrize("name, dims, gpu", [
    ("llama-65b", (8192, 22016, 80, 64), "a6000"),      # QLoRA paper: 65B on one 48 GB card
    ("llama-33b", (6656, 17920, 60, 52), "rtx4090"),    # QLoRA paper: 33B on one 24 GB card
])
def test_qlora_fits_as_the_paper_reports(name, dims, gpu):
    # Dettmers et al. (2023): NF4 base with double quantization, LoRA r = 64 on every linear
    # layer, bf16 adapters with 32-bit paged AdamW (paged: its moments leave the card under pressure),
    # gradient checkpointing, micro-batch 1: vramgui's adamw-bf16 (bf16 adapters and moments)
    t = setup(llama1(name, *dims), gpu=gpu, method="qlora", optimizer="adamw-bf16", lora_rank=64,
              lora_targets="all-linear", checkpointing="full", seq=512, batch=1)
    f = training_fit(t)
    assert f.fits and f.max_batch >= 1
    # the same job with 16-bit LoRA does not fit
    assert not training_fit(t.with_(method="lora")).fits
    # peft's default fp32 adapters (4 + 4 bytes and fp32 moments a parameter, the adapters' inputs kept in fp32):
    # the 33B job no longer fits a 24 GB card at this rank on every linear layer
    if name == "llama-33b":
        assert not training_fit(t.with_(optimizer="adamw")).fits


def test_zero3_over_8_divides_states_by_8():
    one = training_memory(setup("llama2-13b", optimizer="adamw"))
    eight = training_memory(setup("llama2-13b", optimizer="adamw", n_gpus=8, zero=3))
    for key in ("weights", "gradients", "optimizer"):
        assert float(getattr(eight, key)) == pytest.approx(float(getattr(one, key)) / 8)
    # data parallel: what the layers keep stays
    assert float(eight.stored) == float(one.stored) and float(eight.logits) == float(one.logits)
    z1 = training_memory(setup("llama2-13b", optimizer="adamw", n_gpus=8, zero=1))
    assert float(z1.optimizer) == pytest.approx(float(one.optimizer) / 8)
    assert float(z1.gradients) == float(one.gradients)


def test_training_fit_is_exact():
    t = setup("llama2-7b", gpu="rtx4090", method="lora", optimizer="adamw-bf16", lora_rank=8,
              checkpointing="full", seq=2048, batch=1)
    f = training_fit(t)
    assert float(training_memory(t, batch=f.max_batch).total) <= f.budget_bytes
    assert float(training_memory(t, batch=f.max_batch + 1).total) > f.budget_bytes
    assert float(training_memory(t, seq=f.max_seq).total) <= f.budget_bytes
    assert float(training_memory(t, seq=f.max_seq + 1).total) > f.budget_bytes


def test_sweeps_are_vectorised_and_monotone():
    t = setup("llama3.1-8b", method="lora")
    m = training_memory(t, seq=np.arange(256, 65536, 256))
    assert m.total.shape == (255,) and np.all(np.diff(m.total) > 0)


def test_qlora_16bit_weights_upcast_by_kbit_preparation():
    # peft's prepare_model_for_kbit_training casts every 16-bit parameter that is not 4-bit to fp32: Llama 3.1 8B's
    # embedding and untied LM head (2 x 128,256 x 4,096 = 1,050,673,152) and its 65 RMSNorm weights (65 x 4,096 =
    # 266,240) gain 2 bytes each: 2,101,878,784 bytes (1.96 GiB), persistent
    t = setup("llama3.1-8b", gpu="rtx4090", method="qlora", lora_targets="all-linear", checkpointing="full",
              seq=2048, batch=2)
    assert t.kbit_upcast       # (the default: TRL's SFTTrainer, Axolotl and the QLoRA scripts call it)
    up, kept = training_memory(t), training_memory(t.with_(kbit_upcast=False))
    assert float(up.weights - kept.weights) == pytest.approx(2 * (1_050_673_152 + 266_240), rel=1e-12)
    assert float(up.total - kept.total) == pytest.approx(float(up.weights - kept.weights), rel=1e-12)
    # under ZeRO-3 the cast weights are sharded with the rest; LoRA and full fine-tuning have nothing to cast
    z3 = t.with_(n_gpus=4, zero=3)
    assert float(training_memory(z3).weights - training_memory(z3.with_(kbit_upcast=False)).weights) == \
        pytest.approx(2 * (1_050_673_152 + 266_240) / 4, rel=1e-12)
    for method in ("lora", "full"):
        other = t.with_(method=method)
        assert float(training_memory(other).total) == float(training_memory(other.with_(kbit_upcast=False)).total)


def test_torchtune_lora_measurement():
    # torchtune README (llama2 7B LoRA, RTX 4090): r 8 on q/v, bf16 everywhere, full activation
    # checkpointing, seq 2048 × batch 4: peak 19.837 GiB.  Within 10 %.
    t = setup("llama2-7b", gpu="rtx4090", method="lora", optimizer="adamw-bf16", lora_rank=8,
              lora_targets="q,v", checkpointing="full", seq=2048, batch=4)
    assert float(training_memory(t).total) / 2**30 == pytest.approx(19.837, rel=0.10)


def test_torchtune_packed_full_finetuning():
    # torchtune's README (0.5.0, its memory-lever table): Llama 3.2 3B fully fine-tuned with bf16 AdamW, packed
    # sequences of 4,096 tokens x 2, no activation checkpointing, no compile, the plain loss over every logit:
    # "Peak Memory Active" 60.0 GiB (torch.cuda.memory_stats' active bytes, what is allocated). torchtune's own
    # layers keep what HF's do (an RMSNorm's fp32 input, bf16 normalized copy). The estimate without the
    # allocator's share and the context: the loss's phase, 57.7 GiB, 3.8 % under (tests/data/measured/
    # training.jsonl, tt32-l32-3b-packed)
    from vramgui.core.training import CUDA_CONTEXT_BYTES
    t = setup("llama3.2-3b", optimizer="adamw-bf16", attention="sdpa", seq=4096, batch=2)
    m = training_memory(t)
    allocated = float(m.total - m.fragmentation) - CUDA_CONTEXT_BYTES
    assert m.peak_phase == "loss" and allocated / 2**30 == pytest.approx(60.0, rel=0.05)


def test_cli_train_json(capsys):
    rc = main(["train", "--model", "llama2-7b", "--gpu", "a100-80gb", "--method", "qlora", "--optimizer", "adamw",
               "--lora-rank", "8", "--lora-targets", "q,v", "--checkpointing", "full", "--zero", "0", "--gpus", "1",
               "--seq", "2048", "--batch", "2", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0
    m = d["memory"]
    assert m["total"] == pytest.approx(sum(m[k] for k in ("weights", "gradients", "optimizer", "activations",
                                                          "overhead")))
    assert d["model"]["params_trainable"] == 4_194_304
    assert d["fit"]["fits"] and d["fit"]["max_batch"] >= 2 and d["fit"]["max_seq"] >= 2048


def test_cli_train_kbit_upcast(capsys):
    args = ["train", "--model", "llama3.1-8b", "--gpu", "rtx4090", "--method", "qlora", "--json"]
    assert main(args) == 0
    up = json.loads(capsys.readouterr().out)
    assert main([*args, "--no-kbit-upcast"]) == 0
    kept = json.loads(capsys.readouterr().out)
    assert (up["scenario"]["kbit_upcast"], kept["scenario"]["kbit_upcast"]) == (True, False)
    assert up["memory"]["weights"] - kept["memory"]["weights"] == pytest.approx(2 * (1_050_673_152 + 266_240))
    assert main(args[:-1]) == 0
    assert "16-bit weights upcast to fp32" in capsys.readouterr().out


def test_cli_train_optimizer_step(capsys):
    # the foreach step's copy of the bf16 second moments, beyond the activations: 6,738,415,616 x 2 B - act
    args = ["train", "--model", "llama2-7b", "--gpu", "h200", "--optimizer", "adamw-bf16", "--checkpointing", "full",
            "--seq", "2048", "--batch", "2", "--json"]
    assert main(args) == 0
    fused = json.loads(capsys.readouterr().out)
    assert main([*args, "--optimizer-step", "foreach"]) == 0
    foreach = json.loads(capsys.readouterr().out)
    assert (fused["scenario"]["optimizer_step"], foreach["scenario"]["optimizer_step"]) == ("fused", "foreach")
    act = foreach["memory"]["activations"]
    assert foreach["memory"]["optimizer"] - fused["memory"]["optimizer"] == pytest.approx(6_738_415_616 * 2 - act)
    assert main(args[:-1]) == 0 and "adamw-bf16 (fused step)" in capsys.readouterr().out


def test_cli_train_accumulation_and_allocator(capsys):
    # two micro-batches a step keep the gradients (2 bytes a parameter, pure bf16) through the second forward pass:
    # the loss's phase grows by them; expandable segments need 2 % of the peak phase where the caching pool needs 8 %
    args = ["train", "--model", "llama2-7b", "--gpu", "h200", "--optimizer", "adamw-bf16", "--seq", "4096",
            "--batch", "4", "--json"]
    assert main(args) == 0
    one = json.loads(capsys.readouterr().out)
    assert main([*args, "--grad-accum", "2", "--allocator", "expandable"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert (two["scenario"]["grad_accum"], two["scenario"]["allocator"]) == (2, "expandable")
    assert two["memory"]["phases"]["loss"] - one["memory"]["phases"]["loss"] == 6_738_415_616 * 2
    assert one["memory"]["peak_phase"] == two["memory"]["peak_phase"] == "loss"
    assert one["memory"]["fragmentation"] == pytest.approx(0.08 * one["memory"]["phases"]["loss"])
    assert two["memory"]["fragmentation"] == pytest.approx(0.02 * two["memory"]["phases"]["loss"])
    assert main([*args[:-1], "--grad-accum", "2"]) == 0
    text = capsys.readouterr().out
    assert "x 2 accumulated" in text and "peak: the loss phase" in text
    assert main([*args, "--grad-accum", "0"]) == 2
    assert "--grad-accum must be at least 1, got 0" in capsys.readouterr().err


def test_cli_train_bad_target(capsys):
    rc = main(["train", "--model", "llama2-7b", "--gpu", "a100-80gb", "--method", "lora", "--lora-targets", "qq"])
    err = capsys.readouterr().err
    assert rc == 2 and "unknown LoRA target 'qq'" in err and err.count("\n") == 1


def test_lora_on_gemma4_value_projections_skips_the_layers_without_one():
    # Gemma 4 31B's full-attention layers reuse K as V: v_proj exists in its 50 windowed layers only,
    # each 5,376 -> 16 × 256; r = 16: 16 × (5,376 + 4,096) × 50
    a = default_catalog().model("gemma4-31b").architecture
    assert lora_params(a, 16, ("v",)) == 16 * (5376 + 4096) * 50 == 7_577_600
    # q: 50 layers 5,376 -> 8,192 and 10 layers 5,376 -> 16,384
    assert lora_params(a, 16, ("q",)) == 16 * ((5376 + 8192) * 50 + (5376 + 16384) * 10)


def test_lora_on_a_model_without_attention_adapts_the_mixers():
    # Falcon Mamba 7B: 64 Mamba blocks of width 4,096 with 8,192 channels and no attention; LoRA's default q, v would
    # adapt nothing (0 trainable parameters); the adapters go on each mixer's in_proj (4,096 -> 16,384), peft refusing
    # a Mamba mixer's out_proj (PEFT_MAMBA_TYPES): rank 16 × (4,096 + 16,384) × 64 = 20,971,520, peft's own count
    from vramgui.core.explain import explain_training_items
    from vramgui.core.training import lora_refusal
    cat = default_catalog()
    t = TrainingSetup(model=cat.model("falcon-mamba-7b"), gpu=cat.gpu("rtx4090"), method="lora", lora_rank=16)
    assert t.lora_targets == ("q", "v") and t.adapted_targets == ("in_proj",)
    assert training_memory(t).trainable_params == 16 * (4096 + 16384) * 64 == 20_971_520
    text = " ".join(i.text for i in explain_training_items(t))
    assert "over in_proj in every layer (no attention: q, v would adapt nothing)" in text
    # out_proj named (or all-linear, which includes it) is what peft refuses; Jamba's Mamba mixers take it
    a = cat.model("falcon-mamba-7b").architecture
    assert "incompatible with Mamba-based models" in lora_refusal(a, ("in_proj", "out_proj"))
    assert "incompatible" in lora_refusal(cat.model("nemotron3-nano-30b-a3b").architecture,
                                          t.with_(lora_targets="all-linear").lora_targets)
    assert lora_refusal(cat.model("jamba-1.5-mini").architecture, ("in_proj", "out_proj")) is None
    # a model of two state-space kinds, Mamba-2 (Mamba Codestral), alike: its in_proj (4,096 -> 18,560) alone
    m2 = t.with_(model=cat.model("mamba-codestral-7b"))
    assert m2.adapted_targets == ("in_proj",) and lora_refusal(m2.model.architecture, m2.adapted_targets) is None
    # a model with attention keeps what was asked for, even where it has mixers too (Jamba)
    j = t.with_(model=cat.model("jamba-1.5-mini"))
    assert j.adapted_targets == ("q", "v") and training_memory(j).trainable_params == 16 * 4 * (
        (4096 + 32 * 128) + (4096 + 8 * 128))


def test_lora_on_kimi_linear_adapts_the_delta_attention_projections_too():
    # Kimi Linear's KDA layers name their projections q_proj, k_proj, v_proj and o_proj (4,096 wide: 32 heads of
    # 128), so q and v adapt those of its 20 KDA layers as well as its 7 MLA layers' (q_proj 2,304 -> 32 × 192 =
    # 6,144; v, whose values come out of the latent, kv_a_proj_with_mqa 2,304 -> 512 + 64 and kv_b_proj 512 -> 32 ×
    # (128 + 128)): 6,339,584 at r16, peft's own count on the model built from its config.json with q_proj, v_proj,
    # kv_a_proj_with_mqa and kv_b_proj; in_proj / out_proj name nothing in it
    cat = default_catalog()
    a = cat.model("kimi-linear-48b-a3b").architecture
    assert lora_params(a, 16, ("q", "v")) == 16 * (
        7 * ((2304 + 6144) + (2304 + 576) + (512 + 8192)) + 20 * 2 * (2304 + 4096)) == 6_339_584
    assert lora_params(a, 16, ("in_proj", "out_proj")) == 0


def test_lora_on_mla_adapts_its_own_projections():
    # multi-head latent attention's projections as transformers builds them (modeling_deepseek_v3.py): q_a_proj and
    # q_b_proj (or one q_proj), kv_a_proj_with_mqa and kv_b_proj (keys and values both: k or v adapts the two), o_proj.
    # DeepSeek-V3 (width 7,168, 61 layers, 128 heads; q rank 1,536, KV rank 512, rope 64, nope 128, v 128), r16:
    # q 16 x ((7,168 + 1,536) + (1,536 + 128 x 192)) x 61 = 33,980,416; k or v 16 x ((7,168 + 576) + (512 + 128 x
    # 256)) x 61 = 40,039,424, peft's own counts on the model built from its config.json
    a = default_catalog().model("deepseek-v3").architecture
    assert lora_params(a, 16, ("q",)) == 16 * ((7168 + 1536) + (1536 + 128 * 192)) * 61 == 33_980_416
    assert lora_params(a, 16, ("k",)) == lora_params(a, 16, ("v",)) == lora_params(a, 16, ("k", "v")) == \
        16 * ((7168 + 576) + (512 + 128 * 256)) * 61 == 40_039_424
    assert setup("deepseek-v2-lite", method="lora", lora_targets="q_proj,kv_b_proj").lora_targets == ("q", "k", "v")


def test_foreach_adamw_steps_with_a_copy_of_the_second_moments():
    # Llama 2 7B, full fine-tuning in pure bf16 (8 bytes a parameter), checkpointed, 2 x 2,048 tokens.
    # torch.optim.AdamW's foreach step takes the square root of every bf16 second moment into a new tensor:
    # 6,738,415,616 x 2 B = 12.55 GiB beside the gradients, once the activations are freed: the step is the peak,
    # 10 bytes a parameter (vramgui's H200 run: 62.82 GiB allocated; 6,738,415,616 x 10 B = 62.76 GiB)
    n = 6_738_415_616
    fused = setup("llama2-7b", gpu="h200", optimizer="adamw-bf16", checkpointing="full", seq=2048, batch=2)
    foreach = fused.with_(optimizer_step="foreach")
    mf, mg = training_memory(fused), training_memory(foreach)
    assert float(mg.optimizer - mf.optimizer) == n * 2 and mg.peak_phase == "step"
    assert float(mg.weights + mg.gradients + mg.optimizer + mg.activations) == pytest.approx(n * 10, rel=1e-9)
    # fused, the peak is the backward pass: the gradients and the layer being recomputed
    assert mf.peak_phase == "backward" and float(mf.activations) == float(mf.backward_phase) - 2 * n
    # mixed precision: fp32 moments, a 4-byte copy; sharded with the states under ZeRO-1 over 4 cards
    mixed = foreach.with_(optimizer="adamw")
    assert float(training_memory(mixed).optimizer - training_memory(mixed.with_(optimizer_step="fused")).optimizer) \
        == pytest.approx(n * 4, rel=1e-9)
    z1 = mixed.with_(n_gpus=4, zero=1)
    assert float(training_memory(z1).optimizer) == pytest.approx(n * 12 / 4 + n * 4 / 4, rel=1e-9)
    # a step smaller than the phase it follows adds nothing: LoRA's adapters, or no checkpointing at 4 x 2,048
    for t in (foreach.with_(method="lora"), foreach.with_(checkpointing="none", batch=4)):
        assert float(training_memory(t).total) == pytest.approx(float(training_memory(
            t.with_(optimizer_step="fused")).total), rel=1e-12)
    # 8-bit AdamW, Adafactor and SGD update in place
    for opt in ("adamw-8bit", "adafactor", "sgd-momentum", "sgd"):
        assert float(training_memory(foreach.with_(optimizer=opt)).total) == pytest.approx(float(training_memory(
            fused.with_(optimizer=opt)).total), rel=1e-12)


@pytest.mark.parametrize("model, method, optimizer, checkpointing, attention, zero, n, seq, batch, accum", [
    ("llama2-7b", "full", "adamw", "none", "eager", 0, 1, 2048, 1, 1),        # eager scores: the peak square in s
    ("llama3.1-8b", "lora", "adamw", "full", "flash", 0, 1, 8192, 4, 1),      # a layer recomputed at a time
    ("qwen3-30b-a3b", "qlora", "adamw-8bit", "selective", "sdpa", 0, 1, 4096, 2, 4),   # accumulated gradients
    ("llama3.1-70b", "full", "adamw", "full", "flash", 3, 8, 4096, 1, 1),     # ZeRO-3 over 8 cards
    ("gemma3-27b", "lora", "sgd", "none", "eager", 2, 4, 1024, 8, 2),
    ("mixtral-8x7b", "full", "adafactor", "selective", "flash", 1, 2, 2048, 1, 1),
])
def test_largest_fits_equals_the_search(cat, model, method, optimizer, checkpointing, attention, zero, n, seq, batch,
                                         accum):
    """The largest sequence and micro-batch on every memory size of the catalog's cards, as the closed form
    (training._guesses, confirmed by the totals at each answer and one above it) gives them: the plain search's
    answers (fit.largest_within over the whole range), and the closed form's alone on each of these setups (the
    search only confirms).  The table took 47 ms a slider step with the search (now about 1)."""
    from vramgui.core.fit import largest_within
    from vramgui.core.training import MAX_BATCH, MAX_SEQ, _guesses, largest_fits
    t = TrainingSetup(model=cat.model(model), gpu=cat.gpu("h100-sxm"), method=method, optimizer=optimizer,
                      checkpointing=checkpointing, attention=attention, zero=zero, n_gpus=n, seq=seq, batch=batch,
                      grad_accum=accum)
    budget = np.unique([g.memory_bytes for g in cat.gpus.values()]).astype(float)
    seq_found = np.maximum(largest_within(lambda x: training_memory(t, seq=x).total, budget, 1, MAX_SEQ), 0)
    batch_found = np.maximum(largest_within(lambda x: training_memory(t, batch=x).total, budget, 1, MAX_BATCH), 0)
    ms, mb = largest_fits(t, budget)
    assert (ms == seq_found).all() and (mb == batch_found).all()
    guess_seq, guess_batch = _guesses(t, budget)
    assert (guess_seq == seq_found).all() and (guess_batch == batch_found).all()
    assert (seq_found > 0).any() and (batch_found > 0).any()


@pytest.mark.parametrize("model, method, zero, seq", [
    ("llama3.1-70b", "full", 3, 4096), ("llama3.1-8b", "full", 1, 2048), ("qwen2.5-32b", "full", 2, 1024),
    ("llama2-13b", "lora", 3, 4096)])
def test_fewest_cards_under_zero_is_any_count(cat, model, method, zero, seq):
    """ZeRO shards the states over any number of data-parallel cards: the table's fewest cards is the smallest count
    from 1 to 64 whose need per card fits the card (it tried 1, 2, 4, ..., 64 only: a card that three hold read 4),
    worked out here count by count."""
    from vramgui.core.training import training_card_table
    t = TrainingSetup(model=cat.model(model), gpu=cat.gpu("h100-sxm"), method=method, zero=zero, n_gpus=8, seq=seq)
    gpus = list(cat.gpus.values())
    need = [float(training_memory(t.with_(n_gpus=n)).total) for n in range(1, 65)]
    expected = [next((n for n in range(1, 65) if need[n - 1] <= g.memory_bytes), 0) for g in gpus]
    table = training_card_table(t, gpus)
    assert table.min_gpus.tolist() == expected
    assert any(n not in (0, 1, 2, 4, 8, 16, 32, 64) for n in expected)     # (a count between the powers of two)


def test_full_fine_tuning_explains_its_stored_layers_without_adapters(cat):
    """Full fine-tuning of Llama 3.1 70B without checkpointing stores 80 layers of what one layer keeps (the
    estimate's own layer_activation_bytes): the explanation read "80 layers × 1.77 GiB" where 80 x 1.52 GiB are
    stored, counting the LoRA adapters' inputs the setup's default targets name though nothing is adapted."""
    from vramgui.core.explain import explain_training
    t = TrainingSetup(model=cat.model("llama3.1-70b"), gpu=cat.gpu("h100-sxm"), method="full", seq=4096, batch=1,
                      zero=3, n_gpus=8)
    layer = float(layer_activation_bytes(cat.model("llama3.1-70b").architecture, 4096, 1, "flash", trained=True))
    assert float(training_memory(t).stored) == pytest.approx(80 * layer, rel=1e-12)
    text = explain_training(t)["activations"]
    assert f"checkpointing 'none': 80 layers × {layer / 2**30:,.2f} GiB;" in text and "1.52 GiB;" in text


def test_qlora_weights_line_names_the_frozen_base(cat):
    """The weights line gives the frozen base's bytes, so its terms add up: Llama 3.1 8B in NF4 (double
    quantization: 4 + 8/64 + 32/(64 x 256) bits a weight in its 6,979,321,856 linear weights) with its two 128,256 x
    4,096 embedding tables and 266,240 norm weights in 16 bits."""
    from vramgui.core.explain import explain_training
    t = TrainingSetup(model=cat.model("llama3.1-8b"), gpu=cat.gpu("h100-sxm"), method="qlora", seq=2048, batch=4,
                      checkpointing="full")
    base = 6_979_321_856 * (4 + 8 / 64 + 32 / (64 * 256)) / 8 + (2 * 128_256 * 4_096 + 266_240) * 2
    assert base / 2**30 == pytest.approx(5.31, abs=0.005)
    assert explain_training(t)["weights"].startswith("Weights = frozen NF4 base 5.31 GiB (4.13 bits) + ")


def test_a_vision_language_checkpoint_trains_and_quantizes_its_tower():
    """transformers builds Gemma 3 4B with its SigLIP tower (Gemma3ForConditionalGeneration, from the causal-LM
    auto class too): full fine-tuning trains all 4,300,079,472 parameters (the language model's 3,880,263,168 and
    the tower's 419,816,304), LoRA keeps the frozen tower beside the base; HF's bitsandbytes quantizes the tower's
    linear layers with the language model's (engines.HF_BNB_VISION): NF4 414,019,584 of them at 4.127 bits, its
    other 5,796,720 weights in 16, and QLoRA's k-bit preparation casts those 16-bit ones to fp32."""
    from vramgui.core.params import count_params
    from vramgui.core.weights import weight_bytes
    cat = default_catalog()
    m = cat.model("gemma3-4b")
    a, p = m.architecture, count_params(m.architecture)
    assert (p.total, p.vision, a.vision.linear, a.vision.other) == (3_880_263_168, 419_816_304, 414_019_584,
                                                                    5_796_720)
    full = TrainingSetup(model=m, gpu=cat.gpu("h100-sxm"), method="full")
    assert training_memory(full).trainable_params == 4_300_079_472
    lora = full.with_(method="lora")
    wb = weight_bytes(a, WEIGHT_FORMATS["bf16"])
    assert float(training_memory(lora).weights) == pytest.approx(
        wb.total + 419_816_304 * 2 + training_memory(lora).trainable_params * 4, rel=1e-12)
    nf4 = Scenario(model=m, gpu=cat.gpu("rtx4090"), weights="nf4", engine="hf").weight_format
    assert weight_bytes(a, nf4).vision == pytest.approx((414_019_584 * nf4.linear_bits + 5_796_720 * 16) / 8,
                                                        rel=1e-12)
    vllm = Scenario(model=m, gpu=cat.gpu("rtx4090"), weights="nf4", engine="vllm").weight_format
    assert weight_bytes(a, vllm).vision == 419_816_304 * 2       # (vLLM's loader: the tower stays 16-bit)
    from vramgui.core.explain import explain_training
    assert "frozen bf16 base 8.01 GiB, its image encoder's 0.78 GiB with it" in explain_training(lora)["weights"]
    q = full.with_(method="qlora")
    from vramgui.core.training import kbit_upcast_bytes
    wq = weight_bytes(a, nf4)
    assert kbit_upcast_bytes(q, wq) == wq.embedding + wq.lm_head + wq.other + 5_796_720 * 2
    # transformers' own: the meta model's parameters, and the tower's 4-bit ones after its conversion
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("bitsandbytes")
    from transformers import AutoConfig, AutoModelForCausalLM, BitsAndBytesConfig
    from transformers.integrations.bitsandbytes import replace_with_bnb_linear
    from transformers.quantizers.base import get_keys_to_not_convert
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.for_model(**dict(m.config)), dtype=torch.bfloat16)
    assert sum(x.numel() for x in model.parameters()) == 4_300_079_472
    model = replace_with_bnb_linear(model, get_keys_to_not_convert(model), BitsAndBytesConfig(load_in_4bit=True))
    tower4 = sum(x.numel() for n, x in model.named_parameters() if "vision" in n and type(x).__name__ == "Params4bit")
    assert tower4 == pytest.approx(414_019_584, rel=0.01)      # (its projector's matrix a plain parameter: 411 M)


def test_the_mlp_activation_is_read_as_its_family_reads_it():
    # GPT-J 6B's config.json (EleutherAI/gpt-j-6b: activation_function gelu_new, n_embd 4,096, 16 heads, 28 layers,
    # n_inner null: 4 x 4,096). A frozen layer (LoRA) with flash attention keeps, per token: attention 2 x 4,096 +
    # 4 x 4,096 + 2 x 4,096 + 4 x 16 = 32,832; its one LayerNorm's bf16 input, mean and rstd 2 x 4,096 + 8 = 8,200;
    # the MLP's input and what the tanh-GELU written in Python keeps, the tanh's output, half the input and one plus
    # the tanh (benchmarks/count_hf_activations.py): 2 x 16,384 + 3 x 2 x 16,384 = 131,072. Read as SiLU (its input
    # only) the layer was 73,800 bytes
    gptj = ModelPreset(id="gpt-j-6b", name="GPT-J 6B", family="GPT-J", source="test", config={
        "model_type": "gptj", "activation_function": "gelu_new", "n_embd": 4096, "n_head": 16, "n_layer": 28,
        "n_positions": 2048, "rotary_dim": 64, "vocab_size": 50400, "n_inner": None}).architecture
    assert gptj.mlp_activation == "gelu_new"
    assert float(layer_activation_bytes(gptj, 1, 1, "flash")) == 32_832 + 8_200 + 131_072 == 172_104
    # each family's key: Gemma 2 reads hidden_activation (not hidden_act), Nemotron-H mlp_hidden_act, Falcon
    # activation; BLOOM's own GELU whatever a config says
    cat = default_catalog()
    assert cat.model("gemma2-9b").architecture.mlp_activation == "gelu_pytorch_tanh"
    assert cat.model("nemotron3-nano-30b-a3b").architecture.mlp_activation == "relu2"
    gemma2 = dict(cat.model("gemma2-9b").config, hidden_act="gelu_new")
    assert ModelPreset(id="g", name="g", family="g", source="test", config=gemma2).architecture.mlp_activation \
        == "gelu_pytorch_tanh"
    falcon = dict(cat.model("falcon-7b").config, activation="gelu_fast")
    assert ModelPreset(id="f", name="f", family="f", source="test", config=falcon).architecture.mlp_activation \
        == "gelu_fast"
    bloom = {"model_type": "bloom", "hidden_size": 1024, "n_head": 16, "n_layer": 24, "vocab_size": 250880,
             "hidden_act": "gelu_new"}
    assert ModelPreset(id="b", name="b", family="b", source="test", config=bloom).architecture.mlp_activation \
        == "silu"


def test_dropout_on_the_layers_outputs_is_read_from_the_config():
    # GPT-2's config.json (openai-community/gpt2: n_embd 768, 12 heads, 12 layers, activation_function gelu_new,
    # resid_pdrop 0.1): a frozen layer with flash attention keeps, per token, attention 2 x 768 + 4 x 768 + 2 x 768 +
    # 4 x 12 = 6,192, two LayerNorms' inputs, means and rstds 2 x (2 x 768 + 8) = 3,088, the MLP's input and what
    # gelu_new keeps 8 x 3,072 = 24,576 and the two dropouts' masks, one byte an element, 2 x 768 = 1,536
    config = {"model_type": "gpt2", "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024,
              "vocab_size": 50257, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
              "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1}
    gpt2 = ModelPreset(id="gpt2", name="GPT-2", family="GPT-2", source="test", config=config).architecture
    assert gpt2.residual_dropouts == 2
    assert float(layer_activation_bytes(gpt2, 1, 1, "flash")) == 6_192 + 3_088 + 24_576 + 1_536 == 35_392

    def dropouts(cfg):
        return ModelPreset(id="m", name="m", family="m", source="test", config=cfg).architecture.residual_dropouts

    # without the key, GPT2Config's default (0.1); at 0, none; Falcon's sequential layout drops the attention's
    # output by attention_dropout and the MLP's by hidden_dropout, its parallel one only the sum, by hidden_dropout
    assert dropouts({k: v for k, v in config.items() if k != "resid_pdrop"}) == 2
    assert dropouts(dict(config, resid_pdrop=0.0)) == 0
    falcon = dict(default_catalog().model("falcon-7b").config)
    assert dropouts(falcon) == 0 and dropouts(dict(falcon, hidden_dropout=0.1)) == 1
    assert dropouts(dict(falcon, parallel_attn=False, attention_dropout=0.1)) == 1
    assert dropouts(dict(falcon, parallel_attn=False, attention_dropout=0.1, hidden_dropout=0.1)) == 2
    assert dropouts(dict(default_catalog().model("llama2-7b").config, resid_pdrop=0.1)) == 0   # (Llama has none)


def test_the_activation_defaults_to_the_familys():
    # configs without the key: GPT2Config's, PhiConfig's gelu_new, OPTConfig's relu, ApertusConfig's xielu; Llama's
    # silu (transformers 5.24's config classes)
    def act(cfg):
        return ModelPreset(id="m", name="m", family="m", source="test", config=cfg).architecture.mlp_activation

    shape = {"hidden_size": 256, "num_attention_heads": 8, "num_hidden_layers": 2, "intermediate_size": 608,
             "vocab_size": 1000, "max_position_embeddings": 4096}
    assert [act(dict(shape, model_type=m)) for m in ("gpt2", "phi", "opt", "apertus", "llama")] == \
        ["gelu_new", "gelu_new", "relu", "xielu", "silu"]


def test_train_says_where_transformers_has_no_sdpa_path(capsys):
    # Gemma 2 (soft-capped logits: Gemma2PreTrainedModel._supports_sdpa = False) with flash attention assumed: the note
    # says transformers runs it eager unless a flash-attention implementation is asked for; eager assumed, none;
    # BLOOM (neither SDPA nor flash attention in transformers) eager only; Llama: none
    assert main(["train", "--model", "gemma2-9b", "--gpu", "h100-sxm", "--method", "lora"]) == 0
    assert "note: transformers 5.24 has no SDPA path for this model" in capsys.readouterr().out
    assert main(["train", "--model", "gemma2-9b", "--gpu", "h100-sxm", "--attention", "eager", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["attention_note"] is None
    bloom = ModelPreset(id="bloom", name="BLOOM", family="BLOOM", source="test", config={
        "model_type": "bloom", "hidden_size": 1024, "n_head": 16, "n_layer": 24, "vocab_size": 250880}).architecture
    from vramgui.core.training import attention_note
    assert attention_note(bloom, "flash").startswith("transformers 5.24 runs this model with eager attention only")
    assert main(["train", "--model", "llama3.1-8b", "--gpu", "h100-sxm", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["attention_note"] is None
    # Qwen3.5 9B: its 24 Gated DeltaNet layers (of 32) counted as transformers' torch path runs them, whatever attention
    assert main(["train", "--model", "qwen3.5-9b", "--gpu", "h100-sxm", "--attention", "eager", "--json"]) == 0
    note = json.loads(capsys.readouterr().out)["model"]["attention_note"]
    assert note.startswith("its 24 Gated DeltaNet layers are counted as transformers runs them without "
                           "flash-linear-attention")
    # Granite 4.0 H Small: its 36 Mamba-2 layers through transformers' torch path, or with --mamba-ssm mamba-ssm's
    # fused kernel, which the JSON's scenario and note and the text say, and which keeps less
    assert main(["train", "--model", "granite4.0-h-small", "--gpu", "h100-sxm", "--method", "lora", "--json"]) == 0
    torch_path = json.loads(capsys.readouterr().out)
    assert torch_path["scenario"]["mamba_kernels"] is False
    assert torch_path["model"]["attention_note"].startswith("its 36 Mamba-2 layers are counted as transformers runs "
                                                            "them without mamba-ssm")
    assert main(["train", "--model", "granite4.0-h-small", "--gpu", "h100-sxm", "--method", "lora", "--mamba-ssm",
                 "--json"]) == 0
    kernel = json.loads(capsys.readouterr().out)
    assert kernel["scenario"]["mamba_kernels"] is True
    assert kernel["model"]["attention_note"].startswith("its 36 Mamba-2 layers are counted as mamba-ssm's fused "
                                                        "kernel keeps them")
    assert kernel["memory"]["activations"] < torch_path["memory"]["activations"] / 3
    assert main(["train", "--model", "granite4.0-h-small", "--gpu", "h100-sxm", "--method", "lora",
                 "--mamba-ssm"]) == 0
    assert "Mamba-2 layers through mamba-ssm's fused kernel" in capsys.readouterr().out


def test_eager_attention_repeats_values_at_their_own_width():
    # MiMo-V2-Flash's values are wider than its keys: eager attention's repeat_kv copies each to every query head at
    # its own width, 2 x (h - h_kv) x (d_h + d_v) bytes a token beyond the cached heads. 8 query heads over 2 KV heads,
    # keys of 32 and values of 128: 2 x 6 x (32 + 128) = 1,920 (at the keys' width for both, 768, as counted before)
    from vramgui.core.architecture import architecture_from_hf_config
    from vramgui.core.training import eager_attention_bytes, eager_score_bytes
    base = {"model_type": "llama", "hidden_size": 256, "num_attention_heads": 8, "num_key_value_heads": 2,
            "head_dim": 32, "intermediate_size": 608, "vocab_size": 1000, "num_hidden_layers": 2}
    a = architecture_from_hf_config(base)
    assert float(eager_attention_bytes(a, 64)) == eager_score_bytes(a) * 8 * 64 + 2 * 6 * (32 + 32) - 4 * 8
    mimo = architecture_from_hf_config(dict(base, model_type="mimo_v2_flash", v_head_dim=128, swa_v_head_dim=128,
                                            hybrid_layer_pattern=[0, 0]))
    assert mimo.v_head_dim == 128
    assert float(eager_attention_bytes(mimo, 64)) - eager_score_bytes(mimo) * 8 * 64 + 4 * 8 == 2 * 6 * (32 + 128)


def test_full_checkpointing_recomputes_the_larger_kind_of_layer(cat):
    """Qwen3.5 9B: 24 Gated DeltaNet layers and 8 attention layers. Under full checkpointing the backward pass
    recomputes one layer at a time, and the largest is a Gated DeltaNet one (transformers' torch path, every weight
    trained: 2,048 tokens keep about twice an attention layer's in such a layer), not the layers' mean."""
    from vramgui.core.training import TrainingSetup, activation_parts, layer_activation_bytes
    t = TrainingSetup(model=cat.model("qwen3.5-9b"), gpu=cat.gpu("h100-sxm"), method="full", checkpointing="full",
                      seq=2048, batch=1)
    a = t.model.architecture
    gdn, attn = (float(layer_activation_bytes(a, 2048, 1, t.attention, True, kind)) for kind in ("gdn", "attention"))
    mean = float(layer_activation_bytes(a, 2048, 1, t.attention, True))
    assert mean == pytest.approx((24 * gdn + 8 * attn) / 32, rel=1e-12)
    assert gdn > 1.5 * attn
    _, work, _ = activation_parts(t, a, 2048, 1)
    plain = TrainingSetup(model=cat.model("qwen3.5-9b"), gpu=cat.gpu("h100-sxm"), method="full", checkpointing="none",
                          seq=2048, batch=1)
    grad = float(work) - gdn      # (the work beside the recomputed layer: its weights' gradients, as without it)
    assert float(activation_parts(plain, a, 2048, 1)[1]) == pytest.approx(grad, rel=1e-12)


def test_eager_scores_only_in_the_attention_layers_of_nemotron_nas(cat):
    """Llama 3.3 Nemotron Super 49B: 49 of its 80 layers have attention (the others' attention is an empty
    sub-block). Eager attention's scores are kept in those 49: 49 / 80 of a full layer's, once (they had been scaled
    by the share twice, (49 / 80)², 0.375). A frozen base (LoRA): eager's output, which SDPA keeps, is kept by no one
    (o_proj's weight takes no gradient), 2 x 64 x 128 less a token in those layers."""
    from vramgui.core.training import eager_attention_bytes, layer_activation_bytes
    a = cat.model("llama3.3-nemotron-super-49b").architecture
    assert (a.attention_layers, a.num_layers) == (49, 80)
    eager = float(layer_activation_bytes(a, 4096, 1, "eager") - layer_activation_bytes(a, 4096, 1, "sdpa"))
    assert eager == pytest.approx(4096 * (float(eager_attention_bytes(a, 4096)) - 2 * 64 * 128) * 49 / 80, rel=1e-12)


def test_mamba_ssm_kernels_count_what_the_fused_kernel_keeps(cat):
    """Granite 4.0 H Small under LoRA at 2,048 tokens: its 36 Mamba-2 layers (128 heads of 64, e = 8,192, a state of
    128 in one group) through mamba-ssm's fused kernel keep the input projection's output, 2 x (2 x 8,192 + 2 x 128
    + 128) = 33,536 bytes a token, the scan's output, 2 x 8,192, and the norm's inverse RMS, 4: 49,924 a token, and
    A's negated exponent a layer, 4 x 128 (A_log frozen). The layers' stored activations fall by 36 times the
    difference from the torch path; the caution says which is counted; a model without Mamba-2 layers is unchanged."""
    from vramgui.core.training import (
        TrainingSetup,
        activation_parts,
        attention_cautions,
        mamba2_layer_bytes,
        training_memory,
    )
    t = TrainingSetup(model=cat.model("granite4.0-h-small"), gpu=cat.gpu("h100-sxm"), method="lora",
                      checkpointing="none", seq=2048, batch=1)
    k = t.with_(mamba_kernels=True)
    a = t.model.architecture
    kernel = float(mamba2_layer_bytes(a, 2048, 1, False, kernels=True))
    assert kernel == 2048 * (2 * (2 * 8192 + 2 * 128 + 128) + 2 * 8192 + 4) + 4 * 128
    torch_path = float(mamba2_layer_bytes(a, 2048, 1, False))
    assert torch_path > 20 * kernel
    stored, kstored = (float(activation_parts(x, a, 2048, 1)[0]) for x in (t, k))
    assert stored - kstored == pytest.approx(36 * (torch_path - kernel), rel=1e-12)
    assert float(training_memory(k).total) < float(training_memory(t).total)
    assert [kind for kind, _ in attention_cautions(a, "flash")] == ["mamba2_torch"]
    assert [kind for kind, _ in attention_cautions(a, "flash", True)] == ["mamba2_kernels"]
    llama = TrainingSetup(model=cat.model("llama3.1-8b"), gpu=cat.gpu("h100-sxm"), method="lora")
    assert float(training_memory(llama.with_(mamba_kernels=True)).total) == float(training_memory(llama).total)


def test_the_explanation_names_ernies_rotary_tables(cat):
    """ERNIE 4.5's layer figure holds the rotary tables each attention layer rebuilds (training.ROTARY_TABLES_PER_LAYER,
    8·d_h bytes a position, not multiplied by the batch), and the explanation's formula says so; Llama's has none."""
    from vramgui.core.explain import explain_training
    from vramgui.core.training import TrainingSetup
    t = TrainingSetup(model=cat.model("ernie4.5-21b-a3b"), gpu=cat.gpu("h100-sxm"), method="lora")
    assert "+ s·8·d_h (the cos and sin tables each attention layer rebuilds" in explain_training(t)["activations"]
    llama = t.with_(model=cat.model("llama3.1-8b"))
    assert "cos and sin tables" not in explain_training(llama)["activations"]


def test_falcon_7b_under_sdpa_keeps_fp32_scores(capsys):
    """Falcon-7B (71 heads of 64, one key/value head, 32 layers) fine-tuned with LoRA under SDPA: transformers hands
    SDPA the one key/value head unrepeated, PyTorch's fused kernels refuse it, and its math path runs in fp32, keeping
    the h·s² softmax a layer (tests/test_hf_activations.py counts it). Beyond flash attention's layers, a token and
    layer at 2,048 tokens, one sequence: fp32 queries 4 x 4,544, keys and values 4 x (64 + 64) and scores
    4 x 71 x 2,048, less the bf16 queries 2 x 4,544, keys and values 4 x 64 and the log-sum-exp 4 x 71, and less the
    output flash attention keeps and the math path's matmul does not (the dense projection frozen), 2 x 4,544:
    581,604 bytes, 38.1 GB over the 32 layers. The caution says so; flash attention has none."""
    from vramgui.core.explain import explain_training
    from vramgui.core.training import activation_parts, attention_cautions
    flash = setup("falcon-7b", method="lora", attention="flash", seq=2048, batch=1)
    sdpa = flash.model_copy(update={"attention": "sdpa"})
    a = flash.model.architecture
    assert (a.falcon_layout, a.num_heads, a.num_kv_heads, a.head_dim) == ("multi_query", 71, 1, 64)
    extra = 4 * 4544 + 4 * (64 + 64) + 4 * 71 * 2048 - 2 * 4544 - 4 * 64 - 4 * 71 - 2 * 4544
    assert extra == 581604
    stored = [float(activation_parts(t, a, 2048, 1)[0]) for t in (flash, sdpa)]
    assert stored[1] - stored[0] == pytest.approx(32 * 2048 * extra, rel=1e-12)
    assert float(training_memory(sdpa).activations) - float(training_memory(flash).activations) > 38e9
    assert [kind for kind, _ in attention_cautions(a, "sdpa")] == ["sdpa_math"]
    assert attention_cautions(a, "flash") == () == attention_cautions(a, "eager")
    assert "its math path keeps the queries, the keys and values and the softmax's output in fp32" in \
        explain_training(sdpa)["activations"]
    assert main(["train", "--model", "falcon-7b", "--gpu", "h100-sxm", "--method", "lora", "--attention", "sdpa",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["attention_note"].startswith(
        "transformers hands SDPA this model's one key/value head unrepeated")


def test_gemma4_heads_are_wider_than_flash_attn_takes(capsys):
    """Gemma 4's full-attention heads are 512 wide; flash-attn takes heads up to 256, so with flash attention assumed a
    caution says transformers runs a text-only Gemma 4 with SDPA or eager (SDPA, chosen, has none). The presets are
    vision-language checkpoints, whose class (Gemma4ForConditionalGeneration) transformers 5.24 refuses
    flash_attention_2 for, as Llama 4's, Llama 3.2 Vision's, DeepSeek-V3.2's and GLM-5's, and Gemma 3's vision-language
    ones (Gemma 3 1B, text-only, takes it): that caution first. DeepSeek-V4's heads of 512 run eager only, which its
    own caution says; Llama's heads of 128, none."""
    from vramgui.core.training import attention_cautions
    cat = default_catalog()
    a = cat.model("gemma4-31b").architecture
    text_only = a.model_copy(update={"vision": None})
    assert [kind for kind, _ in attention_cautions(text_only, "flash")] == ["wide_heads"]
    assert attention_cautions(text_only, "flash")[0][1].startswith("flash-attn takes heads up to 256 wide and this "
                                                                   "model's are 512")
    assert attention_cautions(a, "sdpa") == () == attention_cautions(text_only, "sdpa")
    for model in ("gemma4-31b", "gemma3-27b", "llama4-scout", "llama3.2-11b-vision", "deepseek-v3.2", "glm5"):
        (kind, text), = attention_cautions(cat.model(model).architecture, "flash")
        assert kind == "no_flash" and text.startswith("transformers 5.24 refuses flash_attention_2 for this model's "
                                                      "class"), model
    assert attention_cautions(cat.model("gemma3-1b").architecture, "flash") == ()
    assert [kind for kind, _ in attention_cautions(cat.model("deepseek-v4-flash").architecture, "flash")] == \
        ["no_sdpa"]
    assert attention_cautions(cat.model("llama3.1-8b").architecture, "flash") == ()
    assert main(["train", "--model", "gemma4-e4b", "--gpu", "h100-sxm", "--method", "lora", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["attention_note"].startswith(
        "transformers 5.24 refuses flash_attention_2 for this model's class (Gemma4ForConditionalGeneration")
