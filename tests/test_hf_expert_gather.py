"""HF transformers' MoE decode gathers a copy of each expert every token picks (batched_mm), as the estimate counts
it (memory.decode_gather_for, speed.EXPERT_GATHER_READS): checked against transformers' own code on the CPU (a
narrow Mixtral), and the estimate's bytes against hand counts. Without torch and transformers the first test skips."""

from __future__ import annotations

import inspect
import warnings

import pytest

from vramgui.core import Scenario, default_catalog, estimate_memory
from vramgui.core.architecture import architecture_from_hf_config
from vramgui.core.engines import ENGINES
from vramgui.core.formats import WEIGHT_FORMATS
from vramgui.core.memory import decode_gather_for, memory_terms
from vramgui.core.speed import EXPERT_GATHER_READS, card_of, decode_parts, speed_terms, weights_read_terms


def test_transformers_decode_kernel_copies_each_picked_expert():
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from torch.utils._python_dispatch import TorchDispatchMode
    from transformers import MixtralConfig, MixtralForCausalLM
    from transformers.generation.utils import GenerationMixin

    # generate() runs its decode steps with batched_mm where grouped_mm (the default) is set, off the CPU
    src = inspect.getsource(GenerationMixin._optimize_model_for_decode)
    assert '"batched_mm" if v == "grouped_mm"' in src and 'self.device.type != "cpu"' in src
    cfg = MixtralConfig(hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=2, num_local_experts=8, num_experts_per_tok=2, vocab_size=128)
    model = MixtralForCausalLM(cfg).to(torch.bfloat16).eval()
    assert set(model.get_experts_implementation().values()) == {"grouped_mm"}
    model.set_experts_implementation("batched_mm")

    class Copies(TorchDispatchMode):
        """The bytes of the tensors indexing makes (the gathered expert weights)."""

        def __init__(self):
            super().__init__()
            self.bytes = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if func is torch.ops.aten.index.Tensor and out.dim() == 3:
                self.bytes += out.numel() * out.element_size()
            return out

    b = 3                                       # a decode step of 3 sequences, one token each
    with torch.no_grad(), Copies() as copies:
        model(input_ids=torch.randint(0, 128, (b, 1)))
    # 2 layers x 3 sequences x 2 experts, each a (2 x 96) x 64 gate/up and a 64 x 96 down matrix in bf16
    assert copies.bytes == 2 * b * 2 * (2 * 96 * 64 + 64 * 96) * 2
    a = architecture_from_hf_config(cfg.to_dict())
    assert copies.bytes == a.moe_layers * b * decode_gather_for(a, ENGINES["hf"], WEIGHT_FORMATS["bf16"])


#: Narrow MoE configs (config.json keys) whose counts are compared with transformers' and peft's own
MIXTRAL = {"model_type": "mixtral", "architectures": ["MixtralForCausalLM"], "hidden_size": 64,
           "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
           "num_local_experts": 4, "num_experts_per_tok": 2, "vocab_size": 128, "max_position_embeddings": 4096}
DEEPSEEK_V2 = {"model_type": "deepseek_v2", "architectures": ["DeepseekV2ForCausalLM"], "hidden_size": 64,
               "intermediate_size": 96, "moe_intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
               "num_key_value_heads": 4, "n_routed_experts": 4, "num_experts_per_tok": 2, "n_shared_experts": 1,
               "first_k_dense_replace": 1, "kv_lora_rank": 16, "q_lora_rank": None, "qk_rope_head_dim": 8,
               "qk_nope_head_dim": 8, "v_head_dim": 16, "vocab_size": 128, "max_position_embeddings": 4096}
QWEN2_MOE = {"model_type": "qwen2_moe", "architectures": ["Qwen2MoeForCausalLM"], "hidden_size": 64,
             "intermediate_size": 128, "moe_intermediate_size": 32, "shared_expert_intermediate_size": 80,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "num_experts": 4,
             "num_experts_per_tok": 2, "vocab_size": 128, "max_position_embeddings": 4096}


@pytest.fixture
def mixtral():
    cat = default_catalog()
    return Scenario(model=cat.model("mixtral-8x7b"), gpu=cat.gpu("h200"), weights="bf16", engine="hf",
                    prompt_tokens=512, output_tokens=32, batch=16)


def test_the_decode_copies_are_the_peak_they_outweigh(mixtral):
    # Mixtral 8x7B: an expert is 3 x 4,096 x 14,336 weights, 352,321,536 B in bf16; a sequence's 2 of them 0.66 GiB;
    # 16 sequences' 10.5 GiB outweigh the 512-token prompts' pass, with HF's 10 % allocator share on top
    expert = 3 * 4096 * 14336 * 2
    assert memory_terms(mixtral).decode_gather == 2 * expert == 704_643_072
    assert float(estimate_memory(mixtral).activations) == pytest.approx(16 * 2 * expert * 1.1, rel=1e-9)
    # not vLLM's fused kernels, nor FP8 experts (their own kernel), nor a dense model; NF4's experts stay 16-bit under
    # HF transformers (below): gathered as BF16's
    assert memory_terms(mixtral.with_(engine="vllm")).decode_gather == 0
    assert memory_terms(mixtral.with_(weights="nf4")).decode_gather == 2 * expert
    assert memory_terms(mixtral.with_(weights="nf4", engine="vllm")).decode_gather == 0
    assert memory_terms(mixtral.with_(weights="fp8")).decode_gather == 0
    assert memory_terms(mixtral.with_(model=default_catalog().model("llama3.1-8b"))).decode_gather == 0


def test_a_decode_step_reads_the_copies_three_times(mixtral):
    # at 4 sequences: 4 x 2 = 8 copies a layer, each read, written and read again: 24 experts' reads of one
    # expert's 32 layers (11,274,289,152 B), where vLLM reads the experts the 8 tokens touch once (8 (1 - (6/8)^4)
    # = 5.47 of 8)
    s = mixtral.with_(batch=4)
    dense, expert, e, k = weights_read_terms(s)
    assert expert == 32 * 3 * 4096 * 14336 * 2 == 11_274_289_152 and (e, k) == (8, 2)
    t = speed_terms(s)
    assert t.expert_gather == EXPERT_GATHER_READS == 3.0
    kv = 4 * 544 * 32 * 8 * 128 * 2 * 2           # the cache filled: 4 sequences x 544 tokens x 128 KiB
    _, _, link, lat = card_of(s)
    moved = float(decode_parts(t, 4, 544, link, lat).bytes_moved)
    assert moved == pytest.approx(dense + 24 * expert + kv, rel=1e-9)
    tv = speed_terms(s.with_(engine="vllm"))
    assert tv.expert_gather == 0
    assert float(decode_parts(tv, 4, 544, link, lat).bytes_moved) == pytest.approx(
        weights_read_terms(s.with_(engine="vllm"))[0] + 8 * (1 - 0.75 ** 4) * expert + kv, rel=1e-9)


def test_bitsandbytes_leaves_an_moe_models_experts_16_bit_under_hf(mixtral):
    # transformers' replace_with_bnb_linear converts torch.nn.Linear (and Conv1D) modules only; its MoE models keep the
    # routed experts as fused 3-D parameters (MixtralExperts.gate_up_proj, down_proj), which stay BF16. Mixtral 8x7B
    # NF4 under HF: 32 layers x 8 experts x 3 x 4,096 x 14,336 = 45,097,156,608 expert weights at 2 bytes (84.0 GiB)
    # beside its other weights in NF4; under vLLM (its bitsandbytes MoE method) the experts are 4-bit too
    from vramgui.core.params import count_params
    from vramgui.core.weights import weight_bytes
    a = mixtral.model.architecture
    experts = 32 * 8 * 3 * 4096 * 14336
    assert count_params(a).experts == experts == 45_097_156_608
    nf4 = mixtral.with_(weights="nf4")
    assert nf4.weight_format.expert_bits == 16.0 and nf4.with_(engine="vllm").weight_format.expert_bits is None
    hf, vllm = weight_bytes(a, nf4.weight_format), weight_bytes(a, nf4.with_(engine="vllm").weight_format)
    assert hf.total - vllm.total == pytest.approx(experts * (2 - nf4.with_(engine="vllm").weight_format.linear_bits
                                                             / 8), rel=1e-6)
    # a dense model's NF4 is the same under either engine
    llama = mixtral.with_(model=default_catalog().model("llama3.1-8b"), weights="nf4")
    assert llama.weight_format is llama.with_(engine="vllm").weight_format
    # this transformers: the experts are no bitsandbytes layer
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("bitsandbytes")
    import torch
    from transformers import BitsAndBytesConfig, MixtralConfig, MixtralForCausalLM
    from transformers.integrations.bitsandbytes import replace_with_bnb_linear
    cfg = MixtralConfig(hidden_size=64, intermediate_size=96, num_hidden_layers=1, num_attention_heads=4,
                        num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2, vocab_size=128)
    with torch.device("meta"):
        model = MixtralForCausalLM(cfg)
    model = replace_with_bnb_linear(model, ["lm_head"], BitsAndBytesConfig(load_in_4bit=True))
    kinds = {n: type(p).__name__ for n, p in model.named_parameters()}
    assert kinds["model.layers.0.self_attn.q_proj.weight"] == "Params4bit"
    assert kinds["model.layers.0.mlp.experts.gate_up_proj"] == kinds["model.layers.0.mlp.experts.down_proj"] == \
        "Parameter"


def test_bitsandbytes_leaves_falcons_layers_in_16_bits():
    """HF transformers' bitsandbytes quantization replaces modules whose type is torch.nn.Linear itself; Falcon's
    FalconLinear is a subclass (engines.HF_BNB_UNCONVERTED): its NF4 and LLM.int8() load as BF16 under HF (vLLM's
    count stays 4-bit), and QLoRA's k-bit preparation casts every one of those 16-bit weights to fp32: Falcon 7B's
    6,921,720,704 parameters in 4 bytes."""
    from vramgui.core.params import count_params
    from vramgui.core.training import TrainingSetup, training_memory
    cat = default_catalog()
    s = Scenario(model=cat.model("falcon-7b"), gpu=cat.gpu("rtx4090"), weights="nf4", engine="hf")
    bf16 = float(estimate_memory(s.with_(weights="bf16")).weights)
    assert float(estimate_memory(s).weights) == bf16 == float(estimate_memory(s.with_(weights="bnb-int8")).weights)
    assert s.weight_format.name.endswith("not applied (16-bit layers)") and "FalconLinear" in s.weight_format.source
    assert float(estimate_memory(s.with_(engine="vllm")).weights) < bf16 / 3
    t = TrainingSetup(model=s.model, gpu=s.gpu, method="qlora")
    assert count_params(s.model.architecture).total == 6_921_720_704
    assert float(training_memory(t).weights) == pytest.approx(6_921_720_704 * 4 + training_memory(t).trainable_params
                                                              * 4, rel=1e-9)
    # and transformers' own replacement on a narrow Falcon and a narrow Llama
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("bitsandbytes")
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, BitsAndBytesConfig
    from transformers.integrations.bitsandbytes import replace_with_bnb_linear
    for model_type, converted in (("falcon", False), ("llama", True)):
        cfg = AutoConfig.for_model(model_type, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                                   num_attention_heads=4, vocab_size=128)
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(cfg)
        model = replace_with_bnb_linear(model, ["lm_head"], BitsAndBytesConfig(load_in_4bit=True))
        kinds = {type(p).__name__ for p in model.parameters()}
        assert ("Params4bit" in kinds) == converted, model_type


def test_qlora_of_an_moe_model_casts_its_16_bit_experts_to_fp32(mixtral):
    # QLoRA loads the base as HF transformers does (its experts 16-bit), and peft's prepare_model_for_kbit_training
    # casts every 16-bit parameter that is no Params4bit to fp32: the experts too, 2 bytes more each
    from vramgui.core.training import TrainingSetup, frozen_format, kbit_upcast_bytes, training_memory
    from vramgui.core.weights import weight_bytes
    t = TrainingSetup(model=mixtral.model, gpu=mixtral.gpu, method="qlora")
    assert t.kbit_upcast and frozen_format(t).expert_bits == 16.0
    a = mixtral.model.architecture
    wb = weight_bytes(a, frozen_format(t))
    assert kbit_upcast_bytes(t, wb) == wb.embedding + wb.lm_head + wb.other + 2 * 45_097_156_608
    off = t.model_copy(update={"kbit_upcast": False})
    assert float(training_memory(t).weights) - float(training_memory(off).weights) == pytest.approx(
        kbit_upcast_bytes(t, wb), rel=1e-9)
    # a dense model's QLoRA keeps its 4-bit linear layers: only its embeddings, LM head and norms are cast
    dense = t.model_copy(update={"model": default_catalog().model("llama3.1-8b")})
    wd = weight_bytes(dense.model.architecture, frozen_format(dense))
    assert frozen_format(dense).expert_bits is None
    assert kbit_upcast_bytes(dense, wd) == wd.embedding + wd.lm_head + wd.other


def test_lora_adapts_the_routed_experts_where_peft_converts_their_names():
    # peft's LoRA adapts the torch.nn.Linear modules its target_modules name; transformers 5's routed experts are fused
    # parameters, no such module. For the MoE types of PEFT_FUSED_EXPERTS peft 0.21 converts the MLP's names into
    # target parameters: gate and up (Mixtral's w1 and w3) into gate_up_proj at twice the rank, down (w2) into
    # down_proj, r'·E rows each. Narrow Mixtral (hidden 64, 2 layers, 4 KV-grouped heads of 16, KV width 32, 4
    # experts of width 96), r 4: attention 2 x 4 x (2 x (64 + 64) + 2 x (64 + 32)) = 3,584; each layer's experts
    # 8 x 4 x (64 + 192) + 4 x 4 x (96 + 64) = 10,752
    from vramgui.core.training import PEFT_FUSED_EXPERTS, lora_params, lora_refusal
    targets = ("q", "k", "v", "o", "gate", "up", "down")
    mixtral, qwen2_moe = architecture_from_hf_config(MIXTRAL), architecture_from_hf_config(QWEN2_MOE)
    assert lora_params(mixtral, 4, targets) == 3584 + 2 * (8 * 4 * 256 + 4 * 4 * 160) == 25_088
    assert lora_params(mixtral, 4, ("q", "k", "v", "o")) == 3584
    # Qwen2-MoE keeps its names (no conversion): attention and its shared expert (width 80) alone,
    # + 2 x 3 x 4 x (64 + 80) = 7,040
    assert "qwen2_moe" not in PEFT_FUSED_EXPERTS
    assert lora_params(qwen2_moe, 4, targets) == 3584 + 2 * 3 * 4 * 144 == 7040
    # DeepSeek-V2 (converted): its first layer dense (width 96), the second routed experts (4 of 32) beside a shared
    # one (32): o (4 heads x 16 -> 64) and the routed experts, 2 x 4 x (64 + 64) + 4 x 8 x (64 + 64) + 4 x 4 x (32 + 64)
    # = 1,024 + 4,096 + 1,536; the dense MLP and the shared expert, whose names peft converted away, none
    deepseek = architecture_from_hf_config(DEEPSEEK_V2)
    assert lora_params(deepseek, 4, ("o", "gate", "up", "down")) == 1024 + 4096 + 1536 == 6656
    # gate without up (or up without gate) peft refuses where they are fused; elsewhere it is no question
    assert "gate without up" in lora_refusal(deepseek, ("q", "gate")) and lora_refusal(deepseek, targets) is None
    assert lora_refusal(qwen2_moe, ("q", "gate")) is None
    # and peft counts the same on transformers' own models (Mixtral's MLP named as transformers 4 had it)
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("peft")
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM
    names = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

    def peft_count(cfg, target_modules, dropout=0.0):
        model = AutoModelForCausalLM.from_config(AutoConfig.for_model(**cfg))
        with warnings.catch_warnings():     # (peft 0.21 asks transformers 5 a deprecated question; it checks the
            warnings.simplefilter("ignore", FutureWarning)    # doubled rank against target_modules alone)
            warnings.filterwarnings("ignore", "The following (rank|alpha)_pattern keys", RuntimeWarning)
            model = get_peft_model(model, LoraConfig(r=4, target_modules=target_modules, lora_dropout=dropout))
        return sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert peft_count(MIXTRAL, ["q_proj", "k_proj", "v_proj", "o_proj", "w1", "w3", "w2"]) == 25_088
    assert peft_count(MIXTRAL, names) == 3584        # (the names transformers 5 gives them reach nothing)
    assert peft_count(QWEN2_MOE, names) == 7040
    assert peft_count(DEEPSEEK_V2, ["o_proj", "gate_proj", "up_proj", "down_proj"]) == 6656
    with pytest.raises(ValueError, match="without also targeting up_proj"):
        peft_count(DEEPSEEK_V2, ["o_proj", "gate_proj"])
    # and its wrapper of a fused parameter refuses dropout (the routed experts' line says so)
    with pytest.raises(ValueError, match="does not work with lora_dropout != 0"):
        peft_count(DEEPSEEK_V2, ["o_proj", "gate_proj", "up_proj", "down_proj"], dropout=0.05)



@pytest.mark.parametrize("ident", ["qwen3.5-9b", "llama3.1-8b", "phi3-mini", "granite4.0-h-tiny", "jamba-1.5-mini",
                                   "kimi-linear-48b-a3b", "deepseek-v3.2", "deepseek-v4-flash", "gemma4-e2b",
                                   "gemma4-26b-a4b", "llama4-scout", "phi3.5-moe", "hunyuan-a13b", "qwen3-next-80b-a3b",
                                   "nemotron3-super-120b-a12b"])
def test_bitsandbytes_layers_and_weights_as_transformers_replaces_them(ident):
    """The linear layers HF's bitsandbytes runs a token through and the weights a pass of several rows dequantizes
    (speed.bnb_linears, speed_terms' dequant_weights) are transformers' own Linear4bit modules: Qwen3.5's Gated
    DeltaNet layers have four input projections (in_proj_qkv, in_proj_z, in_proj_b, in_proj_a), each a layer of its
    own with d inputs (Qwen3.5 9B: 24 of them, 4,096 -> 8,192, 4,096, 32 and 32; counted before as one matrix of 4 x
    4,096 inputs: its in_proj weights four times over); Phi-3's fused qkv_proj and gate_up_proj and Granite 4's
    input_linear are one layer each; the layers no role names are replaced too (Jamba's x_proj and dt_proj, Kimi
    Delta Attention's gates, the sparse-attention indexers, DeepSeek-V4's compressors, Gemma 4's per-layer inputs,
    Qwen3-Next's shared-expert gates, Nemotron 3 Super's latent projections, Gemma 4's and HunYuan's routers), while
    nn.Linear subclasses are not (Phi-3.5-MoE's and Llama 4's routers, DeepSeek-V4's grouped o_a_proj), nor the
    routed experts (fused parameters)."""
    from vramgui.core.speed import _linear_matrices
    a = default_catalog().model(ident).architecture
    n, w = _linear_matrices(a, routed_apart=True)
    if ident == "qwen3.5-9b":
        # 24 DeltaNet layers (4 input projections and out_proj 4,096 -> 4,096), 8 attention layers (q 4,096 -> 2 x
        # 16 x 256 with its gate, k and v -> 4 x 256, o 16 x 256 -> 4,096), 32 MLPs (3 x 4,096 x 12,288)
        assert n == 24 * 5 + 8 * 4 + 32 * 3 == 248
        assert w == 24 * 4096 * (8192 + 4096 + 32 + 32 + 4096) + 8 * (4096 * 8192 + 2 * 4096 * 1024 + 4096 * 4096) \
            + 32 * 3 * 4096 * 12288
    if ident == "phi3-mini":    # 32 layers of qkv_proj, o_proj, gate_up_proj and down_proj
        assert n == 32 * 4
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("bitsandbytes")
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, BitsAndBytesConfig
    from transformers.integrations.bitsandbytes import replace_with_bnb_linear
    config = dict(default_catalog().model(ident).config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = AutoConfig.for_model(**config)
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(getattr(cfg, "text_config", None) or cfg)
        model = replace_with_bnb_linear(model, ["lm_head"], BitsAndBytesConfig(load_in_4bit=True))
    layers = [m for name, m in model.named_modules() if type(m).__name__ == "Linear4bit"]
    assert (len(layers), float(sum(m.in_features * m.out_features for m in layers))) == (n, w)


@pytest.mark.parametrize("ident", ["deepseek-v4-flash", "gemma4-26b-a4b", "hunyuan-a13b", "qwen3-next-80b-a3b",
                                   "phi3.5-moe", "qwen3-30b-a3b", "llama3.1-8b"])
def test_bitsandbytes_weights_as_transformers_replaces_them(ident):
    """HF's NF4 weights: the modules replace_with_bnb_linear replaces at NF4's bits, every other weight in 16 bits
    (formats.WeightFormat.bnb_modules). DeepSeek-V4-Flash's grouped o_a_proj, an nn.Linear subclass, stays 16-bit: 43
    layers x 4,096 x 8,192 weights at 2 bytes, not 0.53 (+2.0 GiB; the estimate read 521.09 GiB against transformers'
    523.08); Gemma 4 26B-A4B's routers (30 x 2,816 x 128, nn.Linear) are quantized. Within 0.001 % (what remains:
    buffers the checkpoint stores that transformers' model makes otherwise)."""
    from vramgui.core.scenario import named_format
    from vramgui.core.weights import weight_bytes
    m = default_catalog().model(ident)
    fmt = named_format("nf4", m, "hf")
    ours = weight_bytes(m.architecture, fmt).total
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("bitsandbytes")
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, BitsAndBytesConfig
    from transformers.integrations.bitsandbytes import replace_with_bnb_linear
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = AutoConfig.for_model(**dict(m.config))
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(getattr(cfg, "text_config", None) or cfg)
        model = replace_with_bnb_linear(model, ["lm_head"], BitsAndBytesConfig(load_in_4bit=True))
    four = [mod for mod in model.modules() if type(mod).__name__ == "Linear4bit"]
    quantized = {id(mod.weight) for mod in four}
    rest = sum(p.numel() for p in model.parameters() if id(p) not in quantized)
    theirs = sum(mod.in_features * mod.out_features for mod in four) * fmt.linear_bits / 8 + rest * 2
    assert ours == pytest.approx(theirs, rel=1e-5)
