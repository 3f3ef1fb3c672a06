"""What HF transformers keeps on the card beside the weights: its classes' buffers and the routers it keeps in fp32.

Each case builds a small model of one family with transformers 5.24 (random weights, no network), saves it and loads
it back with ``from_pretrained(dtype=torch.bfloat16)`` as a user does, and sums the bytes of every parameter (a tied
one once) and every buffer, non-persistent ones included: those move to the GPU with their modules.  The estimate is
vramgui's bf16 weights plus :func:`~vramgui.core.engines.hf_resident_extras`.  Tolerance: 4 KiB, the rotary inverse
frequencies and scalar buffers vramgui leaves out (two fp32 vectors of head_dim / 2 per rotary embedding); each
family's buffers here are 32 KiB or more, so a model without them fails.
"""

from __future__ import annotations

import json
import warnings

import pytest

from vramgui.core.architecture import architecture_from_hf_config
from vramgui.core.engines import HF_FP32_ROUTERS, hf_resident_extras
from vramgui.core.formats import WEIGHT_FORMATS
from vramgui.core.memory import weights_per_card
from vramgui.core.scenario import Scenario
from vramgui.core.weights import weight_bytes

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from transformers import CONFIG_MAPPING, AutoModelForCausalLM  # noqa: E402

BF16 = WEIGHT_FORMATS["bf16"]
SMALL = {"vocab_size": 512, "hidden_size": 128, "num_attention_heads": 4, "num_key_value_heads": 2,
         "intermediate_size": 256, "num_hidden_layers": 2, "max_position_embeddings": 1024, "pad_token_id": 0}
MOE = {"moe_intermediate_size": 64, "n_routed_experts": 64, "num_experts_per_tok": 2, "n_group": 1, "topk_group": 1,
       "first_k_dense_replace": 0, "n_shared_experts": 1}
CASES = {
    # masks of 1,024² booleans in each of 2 layers (a local layer's too), 2 MiB
    "gpt_neo": {"vocab_size": 512, "hidden_size": 128, "num_heads": 4, "num_layers": 2, "max_position_embeddings": 1024,
                "attention_types": [[["global", "local"], 1]], "window_size": 256},
    # one 1,024² mask, 1 MiB
    "gpt_bigcode": {"vocab_size": 512, "n_embd": 128, "n_head": 4, "n_layer": 2, "n_positions": 1024},
    # one fp32 sin/cos table of 1,024 positions x 32 rotary dims, 128 KiB
    "gptj": {"vocab_size": 512, "n_embd": 128, "n_head": 4, "n_layer": 2, "n_positions": 1024, "rotary_dim": 32},
    "codegen": {"vocab_size": 512, "n_embd": 128, "n_head": 4, "n_layer": 2, "n_positions": 1024, "n_ctx": 1024,
                "rotary_dim": 32},
    # 2 MoE layers of 64 routers' 128 weights (and DeepSeek-V3's 64 correction biases) in fp32: 32 KiB more
    "deepseek_v2": {**SMALL, **MOE, "kv_lora_rank": 32, "q_lora_rank": None, "qk_rope_head_dim": 16,
                    "qk_nope_head_dim": 32, "v_head_dim": 32, "head_dim": 16},
    "deepseek_v3": {**SMALL, **MOE, "kv_lora_rank": 32, "q_lora_rank": 48, "qk_rope_head_dim": 16,
                    "qk_nope_head_dim": 32, "v_head_dim": 32, "head_dim": 16},
    "glm4_moe": {**SMALL, **MOE, "head_dim": 32},
    "hunyuan_v1_moe": {**SMALL, "num_experts": 64, "moe_topk": 2, "head_dim": 32},
    "llama": SMALL,   # nothing beyond its rotary frequencies
}
TOLERANCE = 4096


def _loaded_bytes(model_type: str, tmp_path) -> tuple[int, dict]:
    """(bytes of the parameters and buffers, the saved config) of ``model_type``'s small model as
    ``from_pretrained`` loads it in bf16."""
    transformers.logging.set_verbosity_error()
    config = CONFIG_MAPPING[model_type](**CASES[model_type])
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        AutoModelForCausalLM.from_config(config).save_pretrained(tmp_path)
        model = AutoModelForCausalLM.from_pretrained(tmp_path, dtype=torch.bfloat16)
    seen, total = set(), 0
    for t in [*model.parameters(), *model.buffers()]:
        if t.data_ptr() not in seen:
            seen.add(t.data_ptr())
            total += t.numel() * t.element_size()
    return total, json.loads((tmp_path / "config.json").read_text())


@pytest.mark.parametrize("model_type", sorted(CASES))
def test_what_transformers_keeps_beside_the_weights(model_type, tmp_path):
    loaded, raw = _loaded_bytes(model_type, tmp_path)
    a = architecture_from_hf_config(raw, source=f"{model_type} small")
    extras = sum(b for _, b, _ in hf_resident_extras(a, BF16.other_bits))
    assert (extras > TOLERANCE) == (model_type != "llama")
    assert weight_bytes(a, BF16).total + extras == pytest.approx(loaded, abs=TOLERANCE)


def test_gpt_neo_masks_by_hand():
    """GPT-Neo 1.3B's 24 layers of 2,048² boolean masks: 96 MiB, with the layers."""
    neo = architecture_from_hf_config({"model_type": "gpt_neo", "vocab_size": 50257, "hidden_size": 2048,
                                       "num_heads": 16, "num_layers": 24, "max_position_embeddings": 2048,
                                       "attention_types": [[["global", "local"], 12]], "window_size": 256},
                                      source="GPT-Neo 1.3B")
    assert hf_resident_extras(neo, 16.0)[0][1:] == (24 * 2048 ** 2, True)
    assert 24 * 2048 ** 2 == 96 * 2 ** 20


def test_hf_weights_per_card_hold_the_extras(scenario):
    routers = 58 * (7168 * 256 + 256)
    hf = scenario("deepseek-v3", "h200", engine="hf", weights="bf16", n_gpus=16)
    vllm = scenario("deepseek-v3", "h200", engine="vllm", weights="bf16", n_gpus=16)
    assert "deepseek_v3" in HF_FP32_ROUTERS
    assert sum(b for _, b, _ in hf_resident_extras(hf.model.architecture, 16.0)) == routers * 2
    # HF splits the 61 layers over 16 cards, 4 on the fullest: its share of the routers' extra bytes
    wb = weight_bytes(hf.model.architecture, BF16)
    assert weights_per_card(hf) == pytest.approx((wb.linear + wb.other + routers * 2) * 4 / 61
                                                 + max(wb.embedding, wb.lm_head), rel=1e-12)
    assert weights_per_card(vllm) == pytest.approx(wb.linear / 16 + wb.other
                                                   + (wb.embedding + wb.lm_head) / 16
                                                   + vllm.model.architecture.rope_table_elements * 2, rel=1e-12)
    # an fp32 model's routers are fp32 already
    assert hf_resident_extras(hf.model.architecture, 32.0) == ()


NEO_125M = {"model_type": "gpt_neo", "vocab_size": 50257, "hidden_size": 768, "num_heads": 12, "num_layers": 12,
            "max_position_embeddings": 2048, "attention_types": [[["global", "local"], 6]], "window_size": 256}


def test_gpt_neo_on_hf_and_vllm(scenario, cat):
    """GPT-Neo 125M's 12 layers each hold a 2,048² boolean mask under HF transformers, 48 MiB beside 250 MB of
    weights; vLLM's own GPT-Neo code holds none, and HF's Llama 2 nothing beyond its rotary frequencies."""
    from vramgui.core.presets import ModelPreset
    neo = ModelPreset(id="gpt-neo-125m", name="GPT-Neo 125M", family="GPT-Neo", source="test", config=NEO_125M)
    hf = Scenario(model=neo, gpu=cat.gpu("rtx4090"), engine="hf", weights="bf16")
    wb = weight_bytes(neo.architecture, BF16)
    assert weights_per_card(hf) == pytest.approx(wb.total + 12 * 2048 ** 2, rel=1e-12)
    assert 12 * 2048 ** 2 == 48 * 2 ** 20
    vllm = Scenario(model=neo, gpu=cat.gpu("rtx4090"), engine="vllm", weights="bf16")
    assert weights_per_card(vllm) == pytest.approx(wb.total, rel=1e-12)   # (learned positions: no rotary tables)
    llama = Scenario(model=cat.model("llama2-7b"), gpu=cat.gpu("rtx4090"), engine="hf", weights="bf16")
    assert weights_per_card(llama) == pytest.approx(weight_bytes(llama.model.architecture, BF16).total, rel=1e-12)


def test_fine_tuning_holds_them_too(cat):
    """transformers trains the model it builds: LoRA's frozen GPT-Neo keeps its masks (48 MiB) and GLM-4.5-Air's
    routers stay fp32 (45 MoE layers, the first of its 46 dense, x 128 x 4,096 router weights and 128 correction
    biases, 2 bytes more each), except where QLoRA's upcast has made every 16-bit tensor fp32 already."""
    from vramgui.core.presets import ModelPreset
    from vramgui.core.training import TrainingSetup, resident_extra_bytes
    neo = ModelPreset(id="gpt-neo-125m", name="GPT-Neo 125M", family="GPT-Neo", source="test", config=NEO_125M)
    assert resident_extra_bytes(TrainingSetup(model=neo, gpu=cat.gpu("rtx4090"), method="lora")) == 12 * 2048 ** 2
    air = cat.model("glm4.5-air")
    routers = 45 * (128 * 4096 + 128)
    assert (air.architecture.moe_layers, air.architecture.moe.num_experts, air.architecture.hidden_size) == \
        (45, 128, 4096)
    for method, kbit, extra in (("lora", True, 2 * routers), ("full", True, 2 * routers),
                                ("qlora", False, 2 * routers), ("qlora", True, 0)):
        t = TrainingSetup(model=air, gpu=cat.gpu("h200"), method=method, kbit_upcast=kbit)
        assert resident_extra_bytes(t) == extra


def test_a_router_bitsandbytes_quantizes_has_no_fp32_copy(cat):
    """Hunyuan-A13B builds its router (gate.wg) as an fp32 nn.Linear: 32 MoE layers x 64 experts x 4,096 weights at 4
    bytes, 2 more than the 16-bit formats count; bitsandbytes replaces that nn.Linear with the layers' (training.
    BNB_ROUTERS), so its NF4 model holds no fp32 copy."""
    from vramgui.core.memory import module_extras
    a = cat.model("hunyuan-a13b").architecture
    assert (a.moe_layers, a.moe.num_experts, a.hidden_size) == (32, 64, 4096)
    for fmt, extra in (("bf16", 2 * 32 * 64 * 4096), ("nf4", 0)):
        s = Scenario(model=cat.model("hunyuan-a13b"), gpu=cat.gpu("h200"), engine="hf", weights=fmt)
        assert module_extras(a, s.weight_format, s.profile) == (extra, 0)


def test_qlora_keeps_no_fp32_copy_of_a_router_bitsandbytes_quantizes(cat):
    """Hunyuan-A13B under QLoRA without peft's upcast: bitsandbytes quantizes its nn.Linear router, so none of the
    2 x 32 x 64 x 4,096 bytes LoRA's bf16 base keeps more."""
    from vramgui.core.training import TrainingSetup, resident_extra_bytes
    model = cat.model("hunyuan-a13b")
    assert resident_extra_bytes(TrainingSetup(model=model, gpu=cat.gpu("h200"), method="lora")) == 2 * 32 * 64 * 4096
    assert resident_extra_bytes(TrainingSetup(model=model, gpu=cat.gpu("h200"), method="qlora",
                                              kbit_upcast=False)) == 0
