"""Parameter counts against transformers' own models, built from a config on the meta device.

transformers is an independent implementation of every model family vramgui reads: built on the
meta device (shapes only, no memory, no weights, no network) it says exactly which tensors a
checkpoint of that config holds.  The expected value of each case is that model's count: its
parameters (a tied embedding once) plus its persistent buffers, which checkpoints store too (DeepSeek's
expert-score correction biases, Gemma 4's layer scalars).  Exact: no tolerance.

Checked this way: every preset whose model type transformers knows, and the library's default
config of every other type in ``CHECKED_MODEL_TYPES`` (the types whose estimates carry no caution).
CI pins the transformers release these counts were taken against (.ci/run).
"""

from __future__ import annotations

import json
import warnings

import pytest

from vramgui.core.architecture import CHECKED_MODEL_TYPES, architecture_from_hf_config, layout_note
from vramgui.core.catalog import default_catalog
from vramgui.core.params import count_params

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from transformers import AutoModelForCausalLM, AutoModelForImageTextToText  # noqa: E402
from transformers.models.auto.configuration_auto import CONFIG_MAPPING  # noqa: E402

# remote-code families (their modelling code is not in transformers): tests/test_params.py counts them by
# hand or against the published checkpoint
HAND_COUNTED = {"chatglm", "qwen", "kimi_k2", "nemotron-nas"}
# checked through presets only: the library's default config is not a released model's
PRESET_ONLY = {
    "deepseek_v2": "the default sets no num_experts_per_tok (transformers still builds experts)",
    "glm4_moe": "the default has 96 heads over a width of 4,096 and no head_dim (vramgui asks for one)",
    "gemma4_text": "the default describes full layers through per_layer_config, which vramgui does not read",
    "nemotron_h": "the default names its blocks in a key vramgui reads from released configs only",
    "mistral4": "transformers builds it only as Mistral 3's language model (no causal-LM class of its own)",
}
# vision-language wrappers: their language model's type (checked through the wrapper's default config)
VLM_TEXT = {"qwen2_vl_text": "qwen2_vl", "qwen2_5_vl_text": "qwen2_5_vl", "qwen3_vl_text": "qwen3_vl",
            "qwen3_vl_moe_text": "qwen3_vl_moe", "glm4v_text": "glm4v", "mllama_text_model": "mllama"}
CAT = default_catalog()


def _raw(model_id: str) -> dict:
    return CAT.model(model_id).config


def hf_count(config, vision: bool = False) -> int:
    """Parameters (each shared tensor once) + persistent buffers of transformers' model for ``config``."""
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        model = (AutoModelForImageTextToText if vision else AutoModelForCausalLM).from_config(config)
    names = {n for n, _ in model.named_parameters(remove_duplicate=False)}
    buffers = sum(t.numel() for n, t in model.state_dict().items()
                  if n not in names and n.rsplit(".", 1)[-1] not in DERIVED_BUFFERS)
    return sum(p.numel() for p in model.parameters()) + buffers


# buffers that are constants of the config, not weights: MiniMax's lightning attention decay tables (slopes by
# head and layer, powers of them over a 256-token block), which MiniMax's own code and vLLM compute at start-up
DERIVED_BUFFERS = {"slope_rate", "query_decay", "key_decay", "diagonal_decay"}


PRESETS = sorted(m for m in CAT.models if _raw(m)["model_type"] in CONFIG_MAPPING)


@pytest.mark.parametrize("model_id", PRESETS)
def test_preset_counts_equal_transformers(model_id):
    raw = _raw(model_id)
    config = CONFIG_MAPPING[raw["model_type"]](**{k: v for k, v in raw.items() if k != "model_type"})
    p = count_params(CAT.model(model_id).architecture)
    # a vision-language checkpoint: the whole model, language model and image encoder with its projector
    assert p.total + p.vision == hf_count(config, vision="vision_config" in raw)


DEFAULTS = sorted(CHECKED_MODEL_TYPES - HAND_COUNTED - set(PRESET_ONLY) - set(VLM_TEXT))
# defaults that leave a width unset, from which transformers' own model cannot be built: set as the
# released models have them (Ministral 8B's and Hunyuan-7B's heads of 128, Minitron's 8 KV heads)
OVERRIDES = {"ministral": {"head_dim": 128}, "hunyuan_v1_dense": {"head_dim": 128},
             # the shared MLP beside the experts (the default has none: vramgui left it out, 12.6 M a layer short)
             "granitemoeshared": {"shared_intermediate_size": 1024},
             # Granite 4.0-H's mix (the default has only Mamba layers): every fourth layer attention
             # (time_step_limit unset: transformers saves its default (0, inf) as {"__float__": "Infinity"} and
             # cannot read that back)
             "granitemoehybrid": {"layer_types": ["mamba", "mamba", "mamba", "attention"] * 8, "time_step_limit": None},
             # Bamba: its default has no attention layer; three here (at 9, 18 and 27 of 32)
             "bamba": {"attn_layer_indices": [9, 18, 27], "time_step_limit": None},
             "falcon_h1": {"time_step_limit": None},
             "mamba2": {"time_step_limit": [0.0, 1e9]},     # (its type allows no None; a finite bound saves)
             # LFM2's MoE: its default names no layer kinds (transformers cannot build it): LFM2's pattern
             "lfm2_moe": {"layer_types": ["conv", "conv", "full_attention", "conv"] * 8},
             "nemotron": {"num_key_value_heads": 8},
             # Hunyuan-A13B's shape (its default has one expert): 64 experts, top 8 given per layer as its
             # config.json does, 3,072 wide; 80.9 B ("80 billion total" on its model card)
             "hunyuan_v1_moe": {"head_dim": 128, "num_experts": 64, "moe_topk": [8] * 32, "intermediate_size": 3072,
                                "num_key_value_heads": 8, "vocab_size": 128167}}


@pytest.mark.parametrize("model_type", DEFAULTS)
def test_default_config_counts_equal_transformers(model_type):
    config = CONFIG_MAPPING[model_type](**OVERRIDES.get(model_type, {}))
    a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)), source=f"{model_type} default")
    p = count_params(a)
    assert p.total + p.vision == hf_count(config, vision=p.vision > 0)


@pytest.mark.parametrize("model_type", DEFAULTS)
def test_a_saved_config_without_its_defaults_counts_the_same(model_type):
    """A config.json as transformers saves it leaves out what equals the defaults (SmolLM3-3B's has
    no tie_word_embeddings: tied); vramgui must read the omissions as transformers does."""
    config = CONFIG_MAPPING[model_type](**OVERRIDES.get(model_type, {}))
    saved = json.loads(config.to_json_string(use_diff=True))
    if saved.get("tie_word_embeddings") is True:    # transformers 4 left out a value equal to its base default
        del saved["tie_word_embeddings"]
    a = architecture_from_hf_config({"model_type": model_type, **saved}, source=f"{model_type} saved")
    p = count_params(a)
    read_back = CONFIG_MAPPING[model_type].from_dict(saved)      # as transformers reads that file
    assert p.total + p.vision == hf_count(read_back, vision=p.vision > 0)


@pytest.mark.parametrize("wrapper", ["gemma3", "qwen3_5", "qwen3_5_moe", "qwen3_vl", "qwen3_vl_moe", "llama4",
                                     "mistral3", "llava", "llava_next", "mllama", "qwen2_vl", "qwen2_5_vl",
                                     *VLM_TEXT.values()])
def test_vision_language_defaults(wrapper):
    # the whole checkpoint where vramgui counts the image encoder from its modules; the language model alone
    # (transformers' parameters under language_model and the LM head) where it estimates the encoder
    config = CONFIG_MAPPING[wrapper]()
    a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)), source=f"{wrapper} default")
    p = count_params(a)
    if a.vision.exact:
        assert p.total + p.vision == hf_count(config, vision=True)
        return
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")
        model = AutoModelForImageTextToText.from_config(config)
    language = sum(t.numel() for n, t in model.named_parameters() if "language_model" in n or n.startswith("lm_head"))
    assert p.total == language
    assert "estimated as a generic ViT" in layout_note(a)


def test_qwen2_5_vl_as_released_reads_as_transformers_nests_it():
    # Qwen2.5-VL's released config.json keeps the language model's keys at the top level and names no vision type;
    # transformers moves them into text_config.  Both layouts count the same (q/k/v biases, the encoder counted
    # from its modules), and the released sliding_window 32768 under use_sliding_window false windows no layer
    flat = CAT.model("qwen2.5-vl-7b").config
    vision = flat["vision_config"]
    text = {k: v for k, v in flat.items() if k not in ("vision_config", "architectures", "model_type")}
    nested = {"model_type": "qwen2_5_vl", "tie_word_embeddings": False,
              "text_config": {**text, "model_type": "qwen2_5_vl_text"},
              "vision_config": {**vision, "model_type": "qwen2_5_vl_vision"}}
    a, b = (architecture_from_hf_config(c, source="test") for c in (flat, nested))
    assert count_params(a) == count_params(b) and a.vision.exact and a.vision.kind == "qwen2_5_vl_vision"
    assert a.sliding_window is None and flat["sliding_window"] == 32768 and flat["use_sliding_window"] is False
    assert count_params(a).total + count_params(a).vision == 8_292_166_656    # transformers; the card: 8.29 B


@pytest.mark.parametrize("wrapper", ["qwen2_vl", "qwen2_5_vl"])
def test_flat_qwen_vl_configs_count_as_transformers_builds_them(wrapper):
    # the layout Qwen released (text keys at the top level, no vision model_type), from transformers' defaults
    config = json.loads(CONFIG_MAPPING[wrapper]().to_json_string(use_diff=False))
    text = {k: v for k, v in config.pop("text_config").items() if k != "model_type"}
    config["vision_config"].pop("model_type", None)
    flat = {**text, **config}
    a = architecture_from_hf_config(flat, source=f"{wrapper} flat")
    assert a.vision.exact and a.vision.kind == f"{wrapper}_vision"
    assert count_params(a).total + count_params(a).vision == hf_count(CONFIG_MAPPING[wrapper](), vision=True)


def test_llama_3_2_vision_cross_attention_layers_hold_no_context_cache():
    # Llama 3.2 Vision 11B's language model: 40 layers, 8 of them (3, 8, ... 38) attend to the image's states; the
    # cache that grows with the context is the other 32 layers' K and V: 32 × 2 × 8 heads × 128 × 2 bytes a token
    from vramgui.core import Scenario
    from vramgui.core.presets import ModelPreset
    config = json.loads(CONFIG_MAPPING["mllama"]().to_json_string(use_diff=False))
    a = architecture_from_hf_config(config)
    assert (a.cross_attention_layers, a.cache_layers, a.extra_token_rows) == (8, (0, 32), 8)
    model = ModelPreset(id="llama3.2-vision-11b", name="Llama 3.2 Vision 11B (default config)", family="Test",
                        source="transformers MllamaConfig()", config=config)
    s = Scenario(model=model, gpu=CAT.gpu("a100-80gb"), engine="generic")
    from vramgui.core import estimate_memory
    assert estimate_memory(s).kv_bytes_per_token == 32 * 2 * 8 * 128 * 2


def test_mpt_reads_its_own_keys():
    """MPT's config names its sizes d_model, n_heads, n_layers, expansion_ratio and max_seq_len, and its LayerNorms
    learn no bias (transformers' MptBlock): MPT-7B's shape (mosaicml/mpt-7b's config.json: d_model 4,096, 32 heads,
    32 layers, vocabulary 50,432, 2,048 tokens; "6.7B parameters" on its model card) counts 6,649,286,656 as
    transformers builds it (it was refused: no num_hidden_layers). With HF transformers and no attention picked it runs
    eager (its own attention: engines.HF_NO_SDPA)."""
    from vramgui.core import Scenario
    from vramgui.core.presets import ModelPreset
    config = CONFIG_MAPPING["mpt"](d_model=4096, n_heads=32, n_layers=32, vocab_size=50432, max_seq_len=2048)
    raw = json.loads(config.to_json_string(use_diff=False))
    a = architecture_from_hf_config(raw, source="mpt-7b")
    assert count_params(a).total == hf_count(config) == 6_649_286_656
    assert a.max_context == 2048 and a.intermediate_size == 4 * 4096 and not a.norm_bias and layout_note(a) is None
    model = ModelPreset(id="mpt-7b", name="MPT-7B", family="MPT", source="test", config=raw)
    assert Scenario(model=model, gpu=CAT.gpu("a100-80gb"), engine="hf").attention_impl == "eager"


def test_gpt_neo_counts_as_transformers_builds_it():
    """GPT-Neo (its MLP 4 x the width where intermediate_size is null, learned positions, no q/k/v biases, tied
    output): its default config is GPT-Neo 1.3B's shape (EleutherAI/gpt-neo-1.3B: width 2,048, 24 layers, 16 heads,
    2,048 positions), 1,315,575,808 as transformers builds it (it was refused: no intermediate_size). It multiplies
    in gelu_new; with HF transformers and no attention picked it runs eager (its own attention)."""
    from vramgui.core import Scenario
    from vramgui.core.presets import ModelPreset
    config = CONFIG_MAPPING["gpt_neo"]()
    raw = json.loads(config.to_json_string(use_diff=False))
    a = architecture_from_hf_config(raw, source="gpt-neo-1.3B")
    assert count_params(a).total == hf_count(config) == 1_315_575_808
    assert a.mlp_activation == "gelu_new" and a.learned_positions == 2048 and layout_note(a) is None
    model = ModelPreset(id="gpt-neo-1.3b", name="GPT-Neo 1.3B", family="GPT-Neo", source="test", config=raw)
    assert Scenario(model=model, gpu=CAT.gpu("rtx4090"), engine="hf").attention_impl == "eager"


def test_persimmon_counts_its_biases_and_per_head_layernorms():
    """Persimmon (adept/persimmon-8b-base's shape is its default config: width 4,096, 36 layers, 64 heads of 64,
    vocabulary 262,144): biases on every linear layer (query_key_value 12,288, dense 4,096, the MLP's 16,384 and
    4,096: 9 x 4,096 a layer) and a LayerNorm with weight and bias on each query and key head (qk_layernorm,
    4 x 64): 9,397,175,296 as transformers builds it (it read 1,336,320 short: 36 x (9 x 4,096 + 256))."""
    config = CONFIG_MAPPING["persimmon"]()
    a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)), source="persimmon-8b")
    assert a.qkv_bias and a.o_bias and a.mlp_bias and a.qk_norm and a.norm_vectors == 2
    assert count_params(a).total == hf_count(config) == 9_397_175_296
    assert 36 * (9 * 4096 + 4 * 64) == 1_336_320      # (what it read short, by hand)
    assert layout_note(a) is None


def test_dots_llm1_counts_as_transformers_builds_it():
    """dots.llm1 (dots1, not a checked type: its default config names no experts) normalizes each query and key head
    (Dots1Attention's q_norm and k_norm, d_h weights each a layer) and biases its router's choice per expert
    (e_score_correction_bias, a buffer of one per routed expert): with 8 experts and with 128 (top 6, 2 shared, the
    first layer dense), vramgui's count is transformers' (it was 8 and 256 short, and the q/k norms' weights too)."""
    for kw in ({"n_routed_experts": 8, "num_experts_per_tok": 2, "n_shared_experts": 2, "num_hidden_layers": 4},
               {"n_routed_experts": 128, "num_experts_per_tok": 6, "n_shared_experts": 2, "num_hidden_layers": 3}):
        config = CONFIG_MAPPING["dots1"](first_k_dense_replace=1, n_group=1, topk_group=1, **kw)
        a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)), source="dots1")
        assert a.qk_norm and a.moe.router_bias
        assert count_params(a).total == hf_count(config, vision=False)


def test_shared_sparse_attention_indexers():
    # GLM-5.2's indexer_types: the first 3 layers and every 4th after them own an indexer (21 of 78), the
    # others reuse its choice and hold none (transformers builds it so); the index key is cached only there
    config = CONFIG_MAPPING["glm_moe_dsa"](
        indexer_types=["full" if i < 3 or (i + 1 - 3) % 4 == 0 else "shared" for i in range(78)])
    a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)))
    assert a.indexer.layers == 21
    assert count_params(a).total == hf_count(config)
    from vramgui.core import Scenario
    from vramgui.core.memory import kv_elements_per_token_layer
    s = Scenario(model=CAT.model("deepseek-v3"), gpu=CAT.gpu("h200"), engine="vllm")
    # the latent 512 + rope 64, and 128 × 21 / 78 of a key, which vLLM keeps in FP8 with a scale per 128 values
    # (1.03125 bytes a value: in 2-byte cache elements, × 1.03125 / 2)
    per_layer = kv_elements_per_token_layer(a, s)
    assert per_layer == pytest.approx(512 + 64 + 128 * 21 / 78 * 1.03125 / 2, rel=1e-12)


def test_every_checked_type_is_tested():
    preset_types = {CAT.model(m).architecture.model_type for m in CAT.models}
    assert HAND_COUNTED | set(PRESET_ONLY) <= preset_types     # each of them has a preset checked above or by hand
    assert HAND_COUNTED <= CHECKED_MODEL_TYPES and set(PRESET_ONLY) <= CHECKED_MODEL_TYPES
    assert not set(DEFAULTS) - set(CONFIG_MAPPING) and set(VLM_TEXT) <= CHECKED_MODEL_TYPES
    # and every preset's type is one the estimates call checked
    assert preset_types <= CHECKED_MODEL_TYPES


def test_an_unchecked_type_is_counted_with_a_caution():
    # Meituan's LongCat-Flash (two attention blocks a layer, zero-computation experts) read generically
    # counted 10.5 B of transformers' 741 B: refused by name now
    from vramgui.core.errors import ConfigError
    with pytest.raises(ConfigError, match="longcat_flash.*does not count yet"):
        architecture_from_hf_config(json.loads(CONFIG_MAPPING["longcat_flash"]().to_json_string(use_diff=False)))
    # a type vramgui has not checked is read with the generic layout, and the estimate says so
    a = architecture_from_hf_config(json.loads(CONFIG_MAPPING["diffllama"]().to_json_string()))
    assert "'diffllama' is not a model type vramgui has checked" in layout_note(a)
    assert layout_note(CAT.model("llama2-7b").architecture) is None


def test_unchecked_types_read_with_their_own_mlp_or_refused():
    """Importing the library's default config of every causal-LM type and counting it as transformers builds it
    found types read far off: Persimmon's and Apertus 1.5's MLPs are two matrices (read with three, +25.7 % and
    +23.2 %: Apertus 1.5 now within 0.2 %, its norms aside; Persimmon, its biases and per-head LayerNorms counted, is a
    checked type); HRM-Text reuses its stacks' weights over cycles (+182 %) and Dory's nGPT layers read +64 %:
    refused by name."""
    from vramgui.core.errors import ConfigError
    for model_type in ("apertus1p5_text",):
        config = CONFIG_MAPPING[model_type]()
        a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)), source=model_type)
        assert count_params(a).total == pytest.approx(hf_count(config), rel=0.002)
        assert not a.gated_mlp and "is not a model type vramgui has checked" in layout_note(a)
    # BERT's family (encoders transformers also builds as decoders): two matrices too (+24.8 % read with three; now
    # within 1.1 %, its position and token-type embeddings and the LM head's transform left out)
    for model_type in ("bert", "roberta", "megatron-bert", "biogpt"):
        config = CONFIG_MAPPING[model_type]()
        a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)), source=model_type)
        assert count_params(a).total == pytest.approx(hf_count(config), rel=0.011), model_type
    for model_type in ("hrm_text", "dory"):
        with pytest.raises(ConfigError, match=f"'{model_type}' has a layout vramgui does not count yet"):
            architecture_from_hf_config(json.loads(CONFIG_MAPPING[model_type]().to_json_string(use_diff=False)))


def test_the_readme_says_how_many_types_are_counted():
    # the README's figure is the checked types less the remote-code families counted by hand (it stayed at 91 while
    # twelve types were added)
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    said = int(re.search(r"(\d+) model types are counted exactly as transformers builds them", text).group(1))
    assert said == len(CHECKED_MODEL_TYPES - HAND_COUNTED)


def test_cohere2_moe_reads_its_dense_prefix_and_window_pattern():
    """Cohere 2 MoE (transformers' Cohere2MoeConfig): one norm a layer before attention and experts side by side; the
    first first_k_dense_replace layers a dense MLP of prefix_dense_intermediate_size (intermediate_size is the
    experts'), and global attention every prefix_dense_sliding_window_pattern-th of them, then every
    sliding_window_pattern-th of the rest. The shape a public repository pins for a released cohere2_moe checkpoint
    (find_string id 70142688610: 49 layers of width 2,048, 32 heads and 4 KV heads of 128, 128 experts of 768, top 8,
    one dense layer of 3,072, vocabulary 262,144, rms_norm_eps given, layer i global where i % 4 == 0): 13 global
    layers, 36 windowed at 4,096, and the count transformers builds. Its norms are RMSNorms there; without
    rms_norm_eps a LayerNorm without bias whose centred input training keeps twice."""
    keys = dict(hidden_size=2048, head_dim=128, num_hidden_layers=49, intermediate_size=768,
                prefix_dense_intermediate_size=3072, num_attention_heads=32, num_key_value_heads=4, vocab_size=262144,
                num_experts=128, num_experts_per_tok=8, num_shared_experts=0, first_k_dense_replace=1,
                prefix_dense_sliding_window_pattern=1, expert_selection_fn="sigmoid", sliding_window=4096,
                max_position_embeddings=500000, norm_topk_prob=False, rms_norm_eps=1e-6, layer_norm_eps=1e-5)
    config = CONFIG_MAPPING["cohere2_moe"](**keys)
    assert [t == "full_attention" for t in config.layer_types] == [i % 4 == 0 for i in range(49)]
    released = {"model_type": "cohere2_moe", **keys}         # (no layer_types: vramgui works them out)
    a = architecture_from_hf_config(released, source="cohere2_moe 49 layers")
    assert (a.sliding_window, a.sliding_window_layers, a.moe.dense_layers, a.intermediate_size) == (4096, 36, 1, 3072)
    assert count_params(a).total == hf_count(config) and layout_note(a) is None and not a.centred_fp32_norm
    assert architecture_from_hf_config({**released, "rms_norm_eps": None}).centred_fp32_norm


def test_olmo_hybrid_counts_its_attention_layers_qk_norms():
    """OLMo Hybrid (olmo_hybrid): Gated DeltaNet layers with every fourth layer OLMo 2's attention, whose q and k
    norms span all heads (3,840 each on the default's 8 attention layers: 61,440, which vramgui left out). Its
    parameter count is transformers'; the type stays unchecked (peft's modules in its delta-rule layers, q_proj,
    k_proj, v_proj, g_proj, a_proj, b_proj and o_proj, are not laid out for LoRA)."""
    config = CONFIG_MAPPING["olmo_hybrid"]()
    a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)), source="olmo_hybrid default")
    assert count_params(a).total == hf_count(config) == 7_430_870_688 and a.qk_norm_full


def test_the_models_transformers_runs_without_sdpa_are_those_it_declares():
    """engines.HF_NO_SDPA names the checked types whose transformers class declares no SDPA path (``_supports_sdpa =
    False``: soft-capped or sink logits, ALiBi, their own attention code; Flint's sinks), and whether it takes a
    flash-attention implementation (``_supports_flash_attn``); the pure state-space models (no attention) apart."""
    import transformers as tf
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    from vramgui.core.engines import HF_NO_SDPA
    declared = {}
    for mt in CHECKED_MODEL_TYPES:
        cls = getattr(tf, MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.get(mt, ""), None)
        if cls is not None and cls._supports_sdpa is False and mt not in ("mamba", "mamba2", "falcon_mamba"):
            declared[mt] = bool(cls._supports_flash_attn)
    assert declared == HF_NO_SDPA


def test_beam_reads_what_its_config_leaves_to_defaults():
    """Beam (BeamConfig): without layer_types every sixth layer and the last attend to everything (52 layers: 9, the
    other 43 windowed at 512); without mlp_layer_types the first three layers are dense; without
    final_logit_softcapping its logits are soft-capped at 30 (training keeps the tanh: training.logit_bytes 14). Each
    attention layer gates its output through a gate_proj of its own with a bias a head (48): the default's count is
    transformers'."""
    from vramgui.core.training import logit_bytes
    config = CONFIG_MAPPING["beam"]()
    bare = {k: v for k, v in json.loads(config.to_json_string(use_diff=False)).items()
            if k not in ("layer_types", "mlp_layer_types", "final_logit_softcapping")}
    a = architecture_from_hf_config(bare, source="beam without its defaults")
    assert (a.sliding_window_layers, a.moe.dense_layers, a.logit_softcap, logit_bytes(a)) == (43, 3, True, 14.0)
    assert a.attn_output_gate and a.attn_gate_bias and count_params(a).total == hf_count(config)


def test_axk1_reads_its_legacy_dense_layer_keys():
    """A.X K1's released config.json names its dense layers as DeepSeek's did (first_k_dense_replace, moe_layer_freq),
    which AXK1Config turns into mlp_layer_types: experts where i >= first_k_dense_replace and i % moe_layer_freq == 0
    (here 2 and 2: 30 MoE layers of 61), each MoE layer's output normed once more (post_mlp_layernorm), the router's
    score-correction bias a buffer; the count is transformers'."""
    legacy = {"first_k_dense_replace": 2, "moe_layer_freq": 2}
    config = CONFIG_MAPPING["axk1"](**legacy)
    assert config.mlp_layer_types.count("sparse") == 30
    released = {k: v for k, v in json.loads(config.to_json_string(use_diff=False)).items() if k != "mlp_layer_types"}
    a = architecture_from_hf_config({**released, **legacy}, source="axk1 released keys")
    assert (a.moe.dense_layers, a.moe_post_norm, a.moe.router_bias) == (31, True, True)
    assert count_params(a).total == hf_count(config)


def test_sarvam_moe_without_use_qk_norm_has_its_qk_norms():
    """SarvamMoeConfig's use_qk_norm defaults to True, so a config.json that leaves it out has per-head q and k norms
    (as transformers builds them); vramgui read none."""
    config = CONFIG_MAPPING["sarvam_moe"]()
    raw = {k: v for k, v in json.loads(config.to_json_string(use_diff=False)).items() if k != "use_qk_norm"}
    a = architecture_from_hf_config(raw, source="sarvam_moe without use_qk_norm")
    assert a.qk_norm and count_params(a).total == hf_count(config)


@pytest.mark.parametrize("model_type", ["qwen2_moe", "qwen3_moe", "flint"])
def test_dense_layers_off_the_sparse_step(model_type):
    """Qwen2-MoE's rule, which Qwen3-MoE, Qwen3-Next and Flint share: a layer has experts where it is not in
    mlp_only_layers and (i + 1) % decoder_sparse_step == 0, a dense MLP elsewhere. Every second layer here, and the
    first with mlp_only_layers [0]: 2 of 4 layers routed, as transformers builds them."""
    config = CONFIG_MAPPING[model_type](num_hidden_layers=4, decoder_sparse_step=2, mlp_only_layers=[0])
    a = architecture_from_hf_config(json.loads(config.to_json_string(use_diff=False)), source=f"{model_type} step 2")
    assert a.moe_layers == 2 and count_params(a).total == hf_count(config)


def test_lara_mini_without_layer_types_takes_the_released_pattern():
    """LaraMiniConfig's layers repeat Gated DeltaNet, window, Gated DeltaNet, full attention, window: of its 34, six
    periods of five and four more (the first four kinds) hold 6·2 + 2 = 14 Gated DeltaNet layers, 6·2 + 1 = 13 windowed
    and 6 + 1 = 7 full ones. A config.json without layer_types reads so, as transformers builds it."""
    config = CONFIG_MAPPING["lara_mini"]()
    raw = {k: v for k, v in json.loads(config.to_json_string(use_diff=False)).items() if k != "layer_types"}
    a = architecture_from_hf_config(raw, source="lara_mini without layer_types")
    assert (a.linear_attention.layers, a.sliding_window_layers, a.attention_layers) == (14, 13, 20)
    assert count_params(a).total == hf_count(config)


def test_kolibri1_without_layer_types_windows_four_layers_in_five():
    """Kolibri1Config: full attention where (i + 1) % 5 == 0, a 513-token window elsewhere: 40 of its 50 layers."""
    config = CONFIG_MAPPING["kolibri1"]()
    raw = {k: v for k, v in json.loads(config.to_json_string(use_diff=False)).items() if k != "layer_types"}
    a = architecture_from_hf_config(raw, source="kolibri1 without layer_types")
    assert (a.sliding_window, a.sliding_window_layers) == (513, 50 - 50 // 5)
