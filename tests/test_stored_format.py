"""A checkpoint's config.json names the format its weights are stored in (its quantization_config, with the
keys transformers' quantization configs write, transformers/utils/quantization_config.py): an imported
config.json's estimate starts from it."""

import json

import pytest

from vramgui.cli import main
from vramgui.core import default_catalog
from vramgui.core.formats import WEIGHT_FORMATS, stored_format

BNB_4BIT = {"quant_method": "bitsandbytes", "load_in_4bit": True, "load_in_8bit": False,
            "bnb_4bit_quant_type": "nf4", "bnb_4bit_use_double_quant": True, "bnb_4bit_compute_dtype": "bfloat16",
            "llm_int8_threshold": 6.0}
KIMI_INT4 = {"quant_method": "compressed-tensors", "format": "pack-quantized", "quantization_status": "compressed",
             "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
                 "num_bits": 4, "type": "int", "symmetric": True, "strategy": "group", "group_size": 32,
                 "dynamic": False, "observer": "minmax"}}},
             "ignore": ["lm_head", "re:.*self_attn.*", "re:.*shared_experts.*",
                        "re:.*mlp\\.(gate|up|gate_up|down)_proj.*"]}


@pytest.mark.parametrize("qc, fmt", [
    (BNB_4BIT, "nf4"),
    ({**BNB_4BIT, "bnb_4bit_use_double_quant": False}, "nf4-nodq"),
    ({**BNB_4BIT, "bnb_4bit_quant_type": "fp4"}, None),             # bitsandbytes' FP4: no such format here
    ({"quant_method": "bitsandbytes", "load_in_8bit": True, "load_in_4bit": False}, "bnb-int8"),
    ({"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True, "version": "gemm"}, "awq-int4"),
    ({"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": False, "sym": True}, "gptq-int4"),
    ({"quant_method": "gptq", "bits": 8, "group_size": 128}, "int8"),
    ({"quant_method": "gptq", "bits": 3, "group_size": 128}, None),
    ({"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [128, 128]}, "fp8"),
    ({"quant_method": "mxfp4", "modules_to_not_convert": ["lm_head"]}, "mxfp4"),
    # NVIDIA Model Optimizer's exports (nvidia/*-FP8, *-NVFP4 on the Hub; vLLM's modelopt.py reads quant_algo): FP8,
    # NVFP4 and its weight-only variant (the same bytes); a mixed-precision export names a quant_algo a layer
    ({"quant_method": "modelopt", "quant_algo": "FP8", "kv_cache_scheme": None, "ignore": ["lm_head"]}, "fp8"),
    ({"quant_method": "modelopt", "quant_algo": "NVFP4", "group_size": 16, "ignore": ["lm_head"]}, "nvfp4"),
    ({"quant_method": "modelopt", "quant_algo": "W4A16_NVFP4", "group_size": 16}, "nvfp4"),
    ({"quant_method": "modelopt", "quant_algo": "MIXED_PRECISION", "quantized_layers": {}}, None),
    ({"quant_method": "compressed-tensors", "config_groups": {"group_0": {
        "weights": {"num_bits": 8, "type": "float", "strategy": "channel", "symmetric": True}}}}, "fp8"),
    ({"quant_method": "compressed-tensors", "config_groups": {"group_0": {
        "weights": {"num_bits": 4, "type": "int", "group_size": 128, "symmetric": True}}}}, "int4"),
    ({"quant_method": "compressed-tensors", "config_groups": {"group_0": {
        "weights": {"num_bits": 4, "type": "int", "group_size": 128, "symmetric": False}}}}, "gptq-int4"),
    ({"quant_method": "compressed-tensors", "config_groups": {"group_0": {
        "weights": {"num_bits": 4, "type": "float", "group_size": 16}}}}, "nvfp4"),
    # Kimi K2 Thinking's, K2.5's and K2.6's INT4 (their config.json): groups of 32, and the ignore list keeps attention,
    # the shared experts, the dense layer's MLP and lm_head in bf16: the routed experts alone are 4-bit
    (KIMI_INT4, "int4-experts"),
    ({**KIMI_INT4, "ignore": ["lm_head"]}, "int4"),                  # every linear layer 4-bit: the plain format
    ({**KIMI_INT4, "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
        **KIMI_INT4["config_groups"]["group_0"]["weights"], "group_size": 128}}}}, "int4"),   # (groups of 128)
    # compressed-tensors' 8-bit integers: with int8 inputs (llm-compressor's W8A8 recipe: dynamic per-token
    # activations, vLLM's CompressedTensorsW8A8Int8 scheme) the matmuls run in int8; with none (its W8A16, packed
    # into int32 words) the weights are dequantized for 16-bit activations (the WNA16 scheme)
    ({"quant_method": "compressed-tensors", "format": "int-quantized", "config_groups": {"group_0": {
        "targets": ["Linear"],
        "input_activations": {"num_bits": 8, "type": "int", "strategy": "token", "dynamic": True, "symmetric": True},
        "weights": {"num_bits": 8, "type": "int", "strategy": "channel", "dynamic": False, "symmetric": True}}}},
     "int8-w8a8"),
    ({"quant_method": "compressed-tensors", "format": "pack-quantized", "config_groups": {"group_0": {
        "targets": ["Linear"], "input_activations": None,
        "weights": {"num_bits": 8, "type": "int", "strategy": "channel", "symmetric": True}}}}, "int8"),
    ({"quant_method": "compressed-tensors", "config_groups": {"group_0": {       # FP8 inputs to int8 weights:
        "input_activations": {"num_bits": 8, "type": "float"},                 # not the int8 matmuls' scheme
        "weights": {"num_bits": 8, "type": "int", "strategy": "channel"}}}}, "int8"),
    ({"quant_method": "compressed-tensors", "config_groups": {       # two kinds of group: no one format
        "group_0": {"weights": {"num_bits": 4, "type": "int"}},
        "group_1": {"weights": {"num_bits": 8, "type": "int"}}}}, None),
    ({"quant_method": "hqq", "nbits": 4}, None),
    (None, None),
])
def test_a_configs_quantization_names_its_format(qc, fmt):
    config = {"model_type": "llama", **({"quantization_config": qc} if qc is not None else {})}
    assert stored_format(config) == fmt
    assert fmt is None or fmt in WEIGHT_FORMATS


#: Model Optimizer 0.19's hf_quant_config.json for an FP8 checkpoint (the layout llm-compressor's modelopt converter
#: documents, compressed_tensors/.../modelopt.py; ModelOpt up to 0.29 wrote it beside config.json)
MODELOPT_019 = {"producer": {"name": "modelopt", "version": "0.19.0"},
                "quantization": {"quant_algo": "FP8", "kv_cache_quant_algo": "FP8", "exclude_modules": ["lm_head"]}}
#: llm-compressor's NVFP4 (W4A4) scheme as config.json writes it: 4-bit float weights and inputs, groups of 16
CT_NVFP4 = {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized", "config_groups": {"group_0": {
    "targets": ["Linear"],
    "weights": {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16, "symmetric": True},
    "input_activations": {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16,
                          "dynamic": "local", "symmetric": True}}}}


@pytest.mark.parametrize("qc, fmt, kernel, kv", [
    # the older layout (hf_quant_config.json, read as the quantization_config): its inner quant_algo; vLLM's
    # modelopt.py reads "quantization" so, and its kv_cache_quant_algo FP8 makes vLLM's and SGLang's default cache FP8
    (MODELOPT_019, "fp8", None, "fp8"),
    ({**MODELOPT_019, "quantization": {"quant_algo": "NVFP4", "kv_cache_quant_algo": None, "group_size": 16}},
     "nvfp4", "fp4", None),
    ({**MODELOPT_019, "quantization": {"quant_algo": "W4A16_NVFP4", "group_size": 16}}, "nvfp4", "w4a16", None),
    ({**MODELOPT_019, "quantization": {"quant_algo": "MIXED_PRECISION", "kv_cache_quant_algo": "FP8"}},
     None, None, "fp8"),
    ({"producer": {"name": "other"}, "quantization": {"quant_algo": "FP8"}}, None, None, None),
    # config.json's layout (ModelOpt 0.31 on): the quant_algo beside quant_method; a kv_cache_scheme of static 8-bit
    # floats asks for FP8 too (vLLM's get_kv_cache_quant_algo_string), a dynamic one does not
    ({"quant_method": "modelopt", "quant_algo": "FP8_PER_CHANNEL_PER_TOKEN"}, "fp8", None, None),
    ({"quant_method": "modelopt", "quant_algo": "NVFP4", "group_size": 16,
      "kv_cache_scheme": {"num_bits": 8, "type": "float", "dynamic": False}}, "nvfp4", "fp4", "fp8"),
    ({"quant_method": "modelopt", "quant_algo": "NVFP4",
      "kv_cache_scheme": {"num_bits": 8, "type": "float", "dynamic": True}}, "nvfp4", "fp4", None),
    ({"quant_method": "modelopt", "quant_algo": "FP8_PB_WO"}, None, None, None),     # FP8 weights, 16-bit math
    # llm-compressor's NVFP4 multiplies in FP4 (W4A4); its NVFP4A16 (no input quantization) weight-only
    (CT_NVFP4, "nvfp4", "fp4", None),
    ({**CT_NVFP4, "config_groups": {"group_0": {**CT_NVFP4["config_groups"]["group_0"], "input_activations": None}}},
     "nvfp4", "w4a16", None),
    # another method's kv_cache_scheme is not read for the default (vLLM reads Model Optimizer's alone)
    ({"quant_method": "fp8", "activation_scheme": "dynamic",
      "kv_cache_scheme": {"num_bits": 8, "type": "float", "dynamic": False}}, "fp8", None, None),
])
def test_model_optimizers_layouts_name_the_format_its_kernel_and_cache(qc, fmt, kernel, kv):
    from vramgui.core.formats import stored_kernel, stored_kv
    config = {"model_type": "llama", "quantization_config": qc}
    assert (stored_format(config), stored_kernel(config), stored_kv(config)) == (fmt, kernel, kv)


def test_the_catalogs_quantized_releases():
    # the presets that keep their release's quantization_config: gpt-oss's MXFP4 experts, DeepSeek V4's FP8,
    # Mistral Small 4's FP8 (static activation scales, the vision tower and LM head left in BF16)
    found = {m.id: stored_format(m.config) for m in default_catalog().models.values() if stored_format(m.config)}
    assert found == {"gpt-oss-20b": "mxfp4", "gpt-oss-120b": "mxfp4", "deepseek-v4-flash": "fp8",
                     "deepseek-v4-pro": "fp8", "mistral-small-4-119b": "fp8",
                     # (Moonshot's INT4 routed experts, group 32: the block the released config.json carries)
                     "kimi-k2.5": "int4-experts", "kimi-k2.6": "int4-experts",
                     # (Mistral's FP8 releases: Large 3's compressed-tensors block as its params.json reads; Devstral
                     # 2's params.json quantization, fp8_e4m3; Devstral Small 2, "an Instruct model in FP8")
                     **dict.fromkeys(("mistral-large-3", "devstral2-123b", "devstral-small2-24b"), "fp8"),
                     # (released in FP8 e4m3, 128 x 128 blocks: the keys that name it, as each preset's note says)
                     **dict.fromkeys(("deepseek-v3", "deepseek-r1", "kimi-k2", "minimax-m2", "mimo-v2.5",
                                      "mimo-v2.5-pro"), "fp8"),
                     # (their notes' evidence: MiniMax M2.5's 128 x 128 block scales in its parameter count, Mistral
                     # Medium 3.5 "ships natively in FP8"; M2.1 and M2.7: sglang-jax's "Official checkpoint is FP8
                     # block-wise 128x128" for M2 to M2.7, and SGLang's one guide for the four, below)
                     **dict.fromkeys(("minimax-m2.1", "minimax-m2.5", "minimax-m2.7"), "fp8"),
                     "mistral-medium-3.5-128b": "fp8",
                     # (DeepSeek's official inference config for V3.2: "dtype": "fp8", "scale_fmt": "ue8m0")
                     "deepseek-v3.2": "fp8"}


def test_an_imported_config_starts_from_its_stored_format(capsys, tmp_path):
    cat = default_catalog()
    (tmp_path / "config.json").write_text(json.dumps({**cat.model("llama3.1-8b").config,
                                                      "quantization_config": BNB_4BIT}))
    assert main(["estimate", "--model-file", str(tmp_path), "--gpu", "rtx4090", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenario"]["weights"] == "nf4"
    assert main(["estimate", "--model-file", str(tmp_path), "--gpu", "rtx4090", "--weights", "bf16", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenario"]["weights"] == "bf16"
    # a built-in preset released quantized starts from its release format too (its config.json's quantization_config
    # is kept for it); one released in 16 bits from fp16
    assert main(["estimate", "--model", "gpt-oss-20b", "--gpu", "rtx4090", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenario"]["weights"] == "mxfp4"
    assert main(["estimate", "--model", "llama3.1-8b", "--gpu", "rtx4090", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenario"]["weights"] == "fp16"


def test_a_model_released_quantized_starts_from_its_release_format(capsys):
    from vramgui.core.formats import release_format
    from vramgui.core.units import GIB
    cat = default_catalog()
    oss, v4 = cat.model("gpt-oss-120b").config, cat.model("deepseek-v4-flash").config
    # as released: gpt-oss's routed experts MXFP4, the rest bf16; in llama.cpp's GGUF the rest Q8_0 (ggml-org's
    # gpt-oss GGUFs); DeepSeek V4's FP8 checkpoint, which no GGUF keeps (converted to 16 bits, quantized anew)
    assert (release_format(oss), release_format(oss, gguf=True)) == ("mxfp4", "gguf-mxfp4")
    assert (release_format(v4), release_format(v4, gguf=True)) == ("fp8", None)
    assert release_format(cat.model("llama3.1-8b").config) is None and release_format(None) is None

    def weights(*args):
        assert main(["estimate", "--model", "gpt-oss-120b", "--gpu", "h200", *args, "--json"]) == 0
        d = json.loads(capsys.readouterr().out)
        return d["scenario"]["weights"], d["memory"]["weights"] / GIB
    # gpt-oss-120b as released, 60.77 GiB of weights (tests/test_machine.py counts them); under llama.cpp its GGUF,
    # 59.02 GiB as llama-bench prints it, less the token embedding llama.cpp keeps on the host (201,088 x 2,880
    # Q8_0 values at 34 bytes a 32: 0.573 GiB); --weights still chooses
    name, gib = weights()
    assert name == "mxfp4" and gib == pytest.approx(60.77, abs=0.005)
    name, gib = weights("--engine", "llamacpp")
    assert name == "gguf-mxfp4" and gib == pytest.approx(59.02 - 201088 * 2880 * 34 / 32 / GIB, abs=0.005)
    assert weights("--weights", "bf16")[0] == "bf16"


def test_kimi_k2_5_as_released_holds_its_experts_in_4_5_bits(capsys):
    from vramgui.core.units import GB, GIB
    # Kimi K2.5's routed experts: 60 MoE layers x 384 experts x (gate, up, down of 7,168 x 2,048) at 4 bits with one
    # bf16 scale per 32 (4.5 bits); the other 11.72 B weights (attention, the shared experts, the dense layer's MLP,
    # routers, norms, the embedding and the output layer) in bf16
    experts = 60 * 384 * 3 * 7168 * 2048
    assert experts == 1_014_686_023_680
    rest = 1_026_408_232_448 - experts            # (the preset's count, the Kimi K2 Instruct one)
    by_hand = experts * 4.5 / 8 + rest * 2
    assert by_hand / GB == pytest.approx(594.21, abs=0.005)

    def estimate(*args):
        assert main(["estimate", "--model", "kimi-k2.5", "--gpu", "h200", *args, "--json"]) == 0
        return json.loads(capsys.readouterr().out)
    d = estimate()
    assert d["scenario"]["weights"] == "int4-experts" and d["memory"]["weights"] == pytest.approx(by_hand, rel=1e-12)
    # "~600GB for model weights" (KTransformers' guide to the same INT4 layout, github.com/kvcache-ai/ktransformers
    # doc/en/kt-kernel/Kimi-K2-Thinking-Native.md): within 2 %
    assert by_hand / GB == pytest.approx(600, rel=0.02)
    # vLLM's recipe launches it on 8 x H200 (its Kimi-K2-Thinking guide: "You can use 8x H200/H20 to launch this
    # model"): 74.6 GB of weights a card fits its 141 GB; the same model in bf16 (2.05 TB, 256 GB a card) does not
    eight = estimate("--gpus", "8", "--engine", "vllm")
    assert eight["fit"]["fits"] and eight["memory"]["weights"] / GIB < 70
    assert not estimate("--gpus", "8", "--engine", "vllm", "--weights", "bf16")["fit"]["fits"]


def test_mistrals_fp8_releases_start_in_fp8(capsys):
    from vramgui.core.units import GIB

    def estimate(model, *args):
        assert main(["estimate", "--model", model, *args, "--json"]) == 0
        return json.loads(capsys.readouterr().out)
    # Devstral 2 123B as released: Ollama's devstral-2:123b, 128,249,391,520 bytes (tests/test_params.py counts it by
    # hand), less the one float32 scale of each of its 88 x 7 weight matrices, which vramgui's FP8 leaves out
    d = estimate("devstral2-123b", "--gpu", "h200")
    assert d["scenario"]["weights"] == "fp8" and d["memory"]["weights"] == 128_249_391_520 - 88 * 7 * 4
    assert estimate("devstral-small2-24b", "--gpu", "h200")["scenario"]["weights"] == "fp8"
    # Mistral Large 3 (vLLM's recipe: "The Mistral-Large-3-Instruct FP8 format can be used on one 8xH200 node";
    # Mistral's collection: FP8 "can be deployed on a node of B200s or H200s", NVFP4 "on a node of H100s or A100s"): as
    # released it fits 8 x H200 (78.8 GiB of weights a card) and not 8 x H100; in bf16 not even the H200s; in NVFP4 the
    # H100s
    vllm = ("--gpus", "8", "--engine", "vllm")
    h200 = estimate("mistral-large-3", "--gpu", "h200", *vllm)
    assert h200["scenario"]["weights"] == "fp8" and h200["fit"]["fits"] and h200["memory"]["weights"] / GIB < 80
    assert not estimate("mistral-large-3", "--gpu", "h200", *vllm, "--weights", "bf16")["fit"]["fits"]
    assert not estimate("mistral-large-3", "--gpu", "h100-sxm", *vllm)["fit"]["fits"]
    assert estimate("mistral-large-3", "--gpu", "h100-sxm", *vllm, "--weights", "nvfp4")["fit"]["fits"]


@pytest.mark.parametrize("model", ["minimax-m2", "minimax-m2.1", "minimax-m2.5", "minimax-m2.7"])
def test_minimax_m2_series_as_released_holds_sglangs_400k_tokens_on_four_96gb_cards(model):
    """SGLang's MiniMax M2.7/M2.5/M2.1/M2 guide (docs/basic_usage/minimax_m2.md, one guide for the four): "4x 96GB
    GPUs: Supported context length of up to 400K tokens", launched with --tp-size 4 --mem-fraction-static 0.85.  As
    released (FP8, 128 x 128 blocks) the four RTX PRO 6000s' cache holds 400K tokens and at most 15 % more (the
    guide's figure a round one below what fits); in 16 bits the 228.7 B parameters (457 GB) do not fit at all."""
    from vramgui.core.fit import fit
    from vramgui.core.scenario import Scenario
    cat = default_catalog()
    m = cat.model(model)
    s = Scenario(model=m, gpu=cat.gpu("rtx-pro-6000-blackwell"), n_gpus=4, weights=stored_format(m.config),
                 engine="sglang", gpu_util=0.85, prompt_tokens=1000)
    assert s.weights == "fp8" and 400_000 <= fit(s).kv_capacity_tokens <= 1.15 * 400_000
    assert not fit(s.with_(weights="bf16")).fits
