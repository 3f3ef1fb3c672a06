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
    # out_proj names SigLIP's attention output: its 27 blocks' 16 x (1,152 + 1,152)
    ("gemma3-4b", ["out_proj"], ("out_proj",), 27 * 16 * 2_304),
    # Mixtral's MLP named as transformers 4 had it (w1, w3, w2): its 8 experts of 14,336 adapted through the fused
    # parameters, 32 x (32 x 8 x (4,096 + 28,672) + 16 x 8 x (14,336 + 4,096)) = 343,932,928 beside q and v's
    # 32 x 16 x ((4,096 + 4,096) + (4,096 + 1,024)) = 6,815,744
    ("mixtral-8x7b", ["q_proj", "v_proj", "w1", "w3", "w2"], ("q", "v", "gate", "up", "down"), 350_748_672),
    # DeepSeek-V4-Flash (d 4,096, 43 layers, 21 CSA and 20 HCA): a name adapts every module ending in it, so kv_proj
    # takes the compressors' (16 x (4,096 + 1,024) in a CSA layer, 16 x (4,096 + 512) in an HCA one) and the CSA
    # indexer's (16 x (4,096 + 256)) beside attention's 43 x 16 x (4,096 + 512) = 3,170,304, gate_proj the same
    # compressors' and indexer's beside the shared experts' 4,227,072, q_b_proj the indexer's 21 x 16 x (1,024 + 8,192)
    # beside the query's 26,771,456; o_a_proj and o_b_proj 16,908,288, up and down 2 x 4,227,072 (routed experts none:
    # peft converts no names for deepseek_v4)
    ("deepseek-v4-flash", ["q_a_proj", "q_b_proj", "kv_proj", "o_a_proj", "o_b_proj", "gate_proj", "up_proj",
                           "down_proj"], ("q", "k", "o", "gate", "up", "down"),
     26_771_456 + 21 * 16 * (1_024 + 8_192) + 3_170_304 + 2 * (21 * 16 * 5_120 + 20 * 16 * 4_608 + 21 * 16 * 4_352)
     + 16_908_288 + 3 * 4_227_072),
    # a Mamba-2 mixer's in_proj (4,096 -> 18,560, 64 layers): 16 x 22,656 x 64; peft refuses its out_proj (below)
    ("mamba-codestral-7b", ["in_proj"], ("in_proj",), 23_199_744),
    # LFM2 names its attention's output and its convolutions' out_proj alike (training.SHARED_NAMES): all 16 layers'
    # (6 attention, 10 convolution) 2,048 -> 2,048, 16 x 16 x 4,096 = 1,048,576
    ("lfm2-1.2b", ["out_proj"], ("o",), 1_048_576),
]


@pytest.mark.parametrize(("ident", "names", "roles", "want"), CASES, ids=[f"{c[0]}-{'-'.join(c[2])}" for c in CASES])
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


def _peft_count(config, targets, vision: bool = False) -> int:
    """peft's trainable count at rank 16 on transformers' model of ``config`` (a transformers config), built on the
    meta device: the vision-language class where ``vision`` (the tower and projector with the language model)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("peft")
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.device("meta"):
            model = (AutoModelForImageTextToText if vision else AutoModelForCausalLM).from_config(
                config, dtype=torch.bfloat16)
        model = get_peft_model(model, LoraConfig(r=16, target_modules=targets), low_cpu_mem_usage=True)
    return sum(p.numel() for n, p in model.named_parameters() if "lora_" in n)


ALL_LINEAR_CASES = [   # (model, peft's all-linear count at r16 when the case was written; in the comments, the
    # modules it adapts beyond the nine roles, worked out by hand from the config.json)
    # the seven names' 994,836,480 (CASES, peft's own count) and each MoE layer's router, 48 x 16 x (2,048 + 128)
    ("qwen3-30b-a3b", 994_836_480 + 48 * 16 * (2_048 + 128)),
    # Phi-3.5-MoE: its experts take none (peft converts no names there), its routers 32 x 16 x (4,096 + 16) =
    # 2,105,344 do
    ("phi3.5-moe", 15_736_832),
    # Qwen3-Next: routers 48 x 16 x (2,048 + 512) = 1,966,080 and the shared experts' gates 48 x 16 x (2,048 + 1) =
    # 1,573,632
    ("qwen3-next-80b-a3b", 3_443_233_536),
    # Jamba 1.5 Mini's Mamba layers: x_proj 28 x 16 x (8,192 + 256 + 2 x 16) = 3,799,040, dt_proj
    # 28 x 16 x (256 + 8,192) = 3,784,704
    ("jamba-1.5-mini", 38_123_520),
    # Kimi Delta Attention's b_proj 20 x 16 x (2,304 + 32), f_a / g_a 20 x 16 x (2,304 + 128), f_b / g_b
    # 20 x 16 x (128 + 4,096) each: 5,007,360
    ("kimi-linear-48b-a3b", 20_866_048),
    # DeepSeek-V3.2: routers 58 x 16 x (7,168 + 256); the lightning indexer's wq_b 61 x 16 x (1,536 + 64 x 128),
    # wk 61 x 16 x (7,168 + 128), weights_proj 61 x 16 x (7,168 + 64): 30,563,328
    ("deepseek-v3.2", 7_668_928_512),
    # DeepSeek-V4-Flash: 21 CSA layers' compressor kv_proj and gate_proj 16 x (4,096 + 1,024) each and indexer (kv_proj
    # and gate_proj 16 x (4,096 + 256), q_b_proj 16 x (1,024 + 64 x 128), weights_proj 16 x (4,096 + 64)); 20 HCA
    # layers' compressor 16 x (4,096 + 512) twice: 13,808,640
    ("deepseek-v4-flash", 73_339_904),
    ("gemma4-e2b", 30_916_608), ("gemma4-26b-a4b", 31_145_216), ("gemma4-12b", 65_935_360),
    # Gemma 3 4B: the language model's 34 layers, q 16 x (2,560 + 2,048), k and v 16 x (2,560 + 1,024), o 16 x
    # (2,048 + 2,560), gate, up and down 16 x (2,560 + 10,240); SigLIP's 27 blocks, q, k, v and out 16 x 2 x 1,152
    # each, fc1 and fc2 16 x (1,152 + 4,304) (its projector a bare weight matrix)
    ("gemma3-4b", 34 * 16 * (2 * 4_608 + 2 * 3_584 + 3 * 12_800) + 27 * 16 * (4 * 2_304 + 2 * 5_456)),
    ("llama3.2-11b-vision", 67_362_816), ("llama4-scout", 74_034_368), ("qwen2.5-vl-7b", 51_824_640),
    ("qwen3-vl-8b", 52_493_824), ("qwen3.5-35b-a3b", 30_431_360), ("ministral3-3b", 33_996_800),
]


@pytest.mark.parametrize(("ident", "want"), ALL_LINEAR_CASES, ids=[c[0] for c in ALL_LINEAR_CASES])
def test_all_linear_counts_what_peft_counts(ident, want):
    # every Linear but the output layer: the routers, gates, mixers' and indexers' inner projections, Gemma 4's
    # per-layer inputs and a vision-language checkpoint's tower and projector (transformers' vision-language class)
    pytest.importorskip("transformers")
    from transformers import AutoConfig

    from vramgui.core.training import TrainingSetup
    cat = default_catalog()
    m = cat.model(ident)
    t = TrainingSetup(model=m, gpu=cat.gpu("h100-sxm"), method="lora", lora_rank=16, lora_targets="all-linear")
    theirs = _peft_count(AutoConfig.for_model(**dict(m.config)), "all-linear", vision=m.architecture.vision is not None)
    assert lora_params(m.architecture, 16, t.lora_targets) == theirs == want


def _default_types():
    try:
        from test_transformers_counts import DEFAULTS, OVERRIDES
    except pytest.skip.Exception:
        return [], {}
    return DEFAULTS, OVERRIDES


@pytest.mark.parametrize("model_type", _default_types()[0])
def test_all_linear_on_transformers_defaults(model_type):
    # the library's default config of every type whose parameters are checked (test_transformers_counts.py):
    # BLOOM's, CodeGen's, GPT-2's and StarCoder's fused q/k/v and GLM's fused gate and up count once, LFM3's head
    # gate, MiniMax-Text-01's two input projections, AFMoE's attention gate (a gate_proj peft gives the experts)
    import json

    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    from vramgui.core.architecture import architecture_from_hf_config
    from vramgui.core.training import ALL_LINEAR, PEFT_MAMBA_TYPES, TARGETS, lora_refusal
    config = CONFIG_MAPPING[model_type](**_default_types()[1].get(model_type, {}))
    a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)), source=f"{model_type} default")
    targets = (*TARGETS, ALL_LINEAR)            # (what the setup's validator makes of "all-linear")
    if model_type in PEFT_MAMBA_TYPES:
        assert lora_refusal(a, targets)             # (peft: "Module 'out_proj' is incompatible ...")
        return
    assert lora_params(a, 16, targets) == _peft_count(config, "all-linear")


@pytest.mark.parametrize("wrapper", ["llava", "llava_next", "mistral3", "mllama", "llama4", "qwen2_vl", "qwen2_5_vl",
                                     "qwen3_vl", "qwen3_vl_moe", "qwen3_5", "qwen3_5_moe", "glm4v", "gemma3"])
def test_all_linear_on_vision_language_defaults(wrapper):
    # each image encoder counted from its modules: its every Linear and its projector's (GLM-4V's fused gate and up
    # in the language model once)
    import json

    pytest.importorskip("transformers")
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    from vramgui.core.architecture import architecture_from_hf_config
    from vramgui.core.training import ALL_LINEAR, TARGETS
    config = CONFIG_MAPPING[wrapper]()
    a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)), source=f"{wrapper} default")
    assert a.vision.exact
    assert lora_params(a, 16, (*TARGETS, ALL_LINEAR)) == _peft_count(config, "all-linear", vision=True)
