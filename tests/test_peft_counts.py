"""LoRA's trainable count against peft's own, on models transformers builds from the presets' config.json (on the
meta device: no weights).  Each case names the targets as a peft user would for that model and as vramgui's roles;
together they cover peft's conversion of fused MoE experts (PEFT_FUSED_EXPERTS), fused projections
(FUSED_PROJECTIONS), multi-head latent attention's own projections and a vision tower reached by name
(VISION_LORA_ROLES).  CI pins transformers 5.24 and peft 0.21.2 (.ci/run): an upgrade that changes what peft adapts
fails here.  Without torch, transformers and peft it skips."""

from __future__ import annotations

import warnings

import pytest

from vramgui.core import default_catalog
from vramgui.core.training import lora_params

CASES = [   # (model, peft's target_modules, vramgui's roles, peft's count at r16 when the case was written)
    ("qwen3-30b-a3b", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
     ("q", "k", "v", "o", "gate", "up", "down"), 994_836_480),
    # DeepSeek-V2-Lite (width 2,048, 27 layers, 16 heads; KV rank 512, rope 64, nope and v 128; 26 MoE layers of 64
    # experts of 1,408): q_proj, kv_a and kv_b 27 x 16 x ((2,048 + 3,072) + (2,048 + 576) + (512 + 4,096)) =
    # 5,336,064; the experts 26 x (32 x 64 x (2,048 + 2,816) + 16 x 64 x (1,408 + 2,048)) = 351,010,816
    ("deepseek-v2-lite", ["q_proj", "kv_a_proj_with_mqa", "kv_b_proj", "gate_proj", "up_proj", "down_proj"],
     ("q", "v", "gate", "up", "down"), 356_346_880),
    ("phi3-mini", ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"], ("q", "k", "v", "o", "gate", "up", "down"),
     25_165_824),
    # Falcon 7B (width 4,544, 32 layers, query_key_value to 4,672, MLP 18,176): 32 x 16 x ((4,544 + 4,672) +
    # (4,544 + 4,544) + 2 x (4,544 + 18,176)) = 32,636,928
    ("falcon-7b", ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"], ("q", "k", "v", "o", "up", "down"),
     32_636_928),
    ("gemma3-4b", ["q_proj", "v_proj"], ("q", "v"), 6_447_104),
    # Mixtral's MLP named as transformers 4 had it (w1, w3, w2): its 8 experts of 14,336 adapted through the fused
    # parameters, 32 x (32 x 8 x (4,096 + 28,672) + 16 x 8 x (14,336 + 4,096)) = 343,932,928 beside q and v's
    # 32 x 16 x ((4,096 + 4,096) + (4,096 + 1,024)) = 6,815,744
    ("mixtral-8x7b", ["q_proj", "v_proj", "w1", "w3", "w2"], ("q", "v", "gate", "up", "down"), 350_748_672),
    # a Mamba-2 mixer's in_proj (4,096 -> 18,560, 64 layers): 16 x 22,656 x 64; peft refuses its out_proj (below)
    ("mamba-codestral-7b", ["in_proj"], ("in_proj",), 23_199_744),
    # LFM2 names its attention's output and its convolutions' out_proj alike (training.SHARED_NAMES): all 16 layers'
    # (6 attention, 10 convolution) 2,048 -> 2,048, 16 x 16 x 4,096 = 1,048,576
    ("lfm2-1.2b", ["out_proj"], ("o",), 1_048_576),
]


@pytest.mark.parametrize(("ident", "names", "roles", "want"), CASES, ids=[c[0] for c in CASES])
def test_peft_counts_what_vramgui_counts(ident, names, roles, want):
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("peft")
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM

    m = default_catalog().model(ident)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # (peft 0.21 asks transformers 5 deprecated questions, and warns of the
        with torch.device("meta"):          # doubled rank it gives a fused gate_up_proj; the meta device of no data)
            model = AutoModelForCausalLM.from_config(AutoConfig.for_model(**dict(m.config)), dtype=torch.bfloat16)
        model = get_peft_model(model, LoraConfig(r=16, target_modules=names), low_cpu_mem_usage=True)
    theirs = sum(p.numel() for n, p in model.named_parameters() if "lora_" in n)
    assert lora_params(m.architecture, 16, roles) == theirs == want


def test_peft_refuses_a_mamba_mixers_out_proj():
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("peft")
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM

    from vramgui.core.training import lora_refusal
    m = default_catalog().model("nemotron3-nano-30b-a3b")
    assert lora_refusal(m.architecture, ("q", "out_proj"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(AutoConfig.for_model(**dict(m.config)), dtype=torch.bfloat16)
        with pytest.raises(ValueError, match="incompatible with Mamba-based models"):
            get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "out_proj"]), low_cpu_mem_usage=True)
