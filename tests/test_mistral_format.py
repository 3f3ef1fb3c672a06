"""Mistral's own checkpoint format: ``params.json`` beside ``consolidated*.safetensors``.

The released files (tests/data/mistral_params, sources in its SOURCES.md) must read as the same models the
catalog holds from their Hugging Face configs (or, for Mistral Large 3, which ships params.json only, from the
preset translated the way vLLM's loader reads it), and a folder in this format imports with its tensors grouped.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from vramgui.core.architecture import architecture_from_hf_config
from vramgui.core.catalog import default_catalog
from vramgui.core.formats import stored_format
from vramgui.core.model_files import ImportError_, mistral_params_config, model_from_path
from vramgui.core.params import count_params

DATA = Path(__file__).parent / "data" / "mistral_params"
CAT = default_catalog()


def _read(name: str) -> tuple[dict, str | None]:
    return mistral_params_config(json.loads((DATA / f"{name}.json").read_text()), DATA / f"{name}.json")


@pytest.mark.parametrize(("fixture", "preset"), [
    ("mistral-7b-v0.1", "mistral-7b"),
    ("mixtral-8x7b-32kseqlen", "mixtral-8x7b"),
    ("devstral-2-123b-instruct-2512", "devstral2-123b"),
    ("mistral-large-3-675b-instruct-2512", "mistral-large-3"),
])
def test_released_params_json_reads_as_the_catalogs_model(fixture, preset):
    cfg, _ = _read(fixture)
    got, want = architecture_from_hf_config(cfg), CAT.model(preset).architecture
    p, q = count_params(got), count_params(want)
    assert (p.total, p.active, p.embedding, p.lm_head) == (q.total, q.active, q.embedding, q.lm_head)
    assert (got.num_layers, got.num_kv_heads, got.head_dim, got.attention_layers) == \
        (want.num_layers, want.num_kv_heads, want.head_dim, want.attention_layers)
    assert got.mla == want.mla and (got.moe is None) == (want.moe is None)


def test_mistral_large_3_is_latent_attention_with_shared_experts():
    # params.json: 61 layers, the first 3 dense (hidden_dim 16,384), then 128 experts of 4,096 with 4 chosen and
    # one shared; latent attention caching 512 + 64 values a layer: 61 x 576 x 2 bytes = 70,272 bytes a token
    cfg, note = _read("mistral-large-3-675b-instruct-2512")
    a = architecture_from_hf_config(cfg)
    assert note is None and a.max_context == 294_912
    assert cfg["model_type"] == "deepseek_v3" and cfg["n_shared_experts"] == 1 and cfg["first_k_dense_replace"] == 3
    assert a.num_layers * (a.mla.kv_lora_rank + a.mla.qk_rope_head_dim) * 2 == 70_272
    assert stored_format(cfg) == "fp8"          # its compressed-tensors FP8 block quantization, as released
    # a params.json under another name is known by its keys (dim, n_layers and no hidden_size)
    assert model_from_path(DATA / "mistral-large-3-675b-instruct-2512.json").config == cfg


def test_a_file_without_a_context_limit_says_what_was_assumed():
    # Mistral 7B v0.3's params.json names no limit: vLLM's parser takes 128,000 tokens then (the window-free v0.3)
    cfg, note = _read("mistral-7b-instruct-v0.3")
    a = architecture_from_hf_config(cfg)
    assert a.max_context == 128_000 and "128,000" in note and "vLLM" in note
    # v0.3 is v0.1 (sliding window of 4,096, vocabulary 32,000) with 768 more tokens in the table and the head
    v01 = count_params(architecture_from_hf_config(_read("mistral-7b-v0.1")[0])).total
    assert count_params(a).total == v01 + 2 * 768 * 4096 == 7_248_023_552
    assert architecture_from_hf_config(_read("mistral-7b-v0.1")[0]).sliding_window == 4096


def test_devstral2_params_json_names_its_fp8_weights():
    cfg, note = _read("devstral-2-123b-instruct-2512")
    assert note is None and stored_format(cfg) == "fp8"       # "quantization": {"qformat_weight": "fp8_e4m3"}
    assert cfg["model_type"] == "mistral" and architecture_from_hf_config(cfg).max_context == 262_144


def test_pixtral_large_counts_its_encoder_by_hand():
    # vision_encoder: 40 blocks of 1,408 (bias-free q/k/v/o, a gated MLP of 6,144, two RMSNorms), a bias-free
    # 16 x 16 patch convolution over 3 channels and an RMSNorm before the blocks; no patch merger, so the
    # adapter is two matrices into the 12,288-wide language model, without biases (adapter_bias false)
    cfg, _ = _read("pixtral-large-instruct-2411")
    d, f, text = 1408, 6144, 12288
    by_hand = 40 * (4 * d * d + 3 * d * f + 2 * d) + 3 * 16 * 16 * d + d + d * text + text * text
    p = count_params(architecture_from_hf_config(cfg))
    assert cfg["model_type"] == "llava" and not cfg["multimodal_projector_bias"]
    assert p.vision == by_hand == 1_524_776_320
    # the language model: Mistral Large 2's 88 layers over a 32,768-token vocabulary, untied
    layer = 2 * text * text + 2 * text * 1024 + 3 * text * 28672 + 2 * text
    assert p.total == 88 * layer + 2 * 32768 * text + text


def test_pixtral_encoders_equal_transformers_models():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    cfg, _ = _read("pixtral-large-instruct-2411")
    small = {"dim": 64, "n_layers": 2, "head_dim": 16, "hidden_dim": 96, "n_heads": 4, "n_kv_heads": 2,
             "norm_eps": 1e-5, "vocab_size": 320, "max_position_embeddings": 1024}
    vision = {"hidden_size": 32, "num_channels": 3, "image_size": 64, "patch_size": 8, "intermediate_size": 48,
              "num_hidden_layers": 2, "num_attention_heads": 2}
    for extra in ({"adapter_bias": False}, {"adapter_bias": True},
                  {"adapter_bias": False, "spatial_merge_size": 2, "mm_projector_id": "patch_merge"}):
        cfg, _ = mistral_params_config(dict(small, vision_encoder=dict(vision, **extra)), Path("params.json"))
        ours = count_params(architecture_from_hf_config(cfg))
        with warnings.catch_warnings(), torch.device("meta"):
            warnings.simplefilter("ignore")
            hf = transformers.AutoConfig.for_model(**cfg)
            model = transformers.AutoModelForImageTextToText.from_config(hf)
        assert ours.total + ours.vision == sum(t.numel() for t in model.parameters()), extra


def _consolidated(folder: Path, vision: bool = False) -> dict[str, tuple]:
    """A tiny checkpoint in Mistral's format: params.json and consolidated.safetensors (its tensor names)."""
    from safetensors.numpy import save_file
    d, f, V, L, kv = 64, 96, 320, 2, 32
    params = {"dim": d, "n_layers": L, "head_dim": 16, "hidden_dim": f, "n_heads": 4, "n_kv_heads": 2,
              "norm_eps": 1e-5, "vocab_size": V, "rope_theta": 1e6, "max_position_embeddings": 1024}
    t = {"tok_embeddings.weight": (V, d), "norm.weight": (d,), "output.weight": (V, d)}
    for i in range(L):
        p = f"layers.{i}."
        t.update({p + "attention.wq.weight": (d, d), p + "attention.wk.weight": (kv, d),
                  p + "attention.wv.weight": (kv, d), p + "attention.wo.weight": (d, d),
                  p + "feed_forward.w1.weight": (f, d), p + "feed_forward.w2.weight": (d, f),
                  p + "feed_forward.w3.weight": (f, d), p + "attention_norm.weight": (d,),
                  p + "ffn_norm.weight": (d,)})
    if vision:
        dv, fv = 16, 24
        params["vision_encoder"] = {"hidden_size": dv, "num_channels": 3, "image_size": 32, "patch_size": 4,
                                    "intermediate_size": fv, "num_hidden_layers": 1, "num_attention_heads": 2,
                                    "adapter_bias": True}
        v = "vision_encoder."
        t.update({v + "patch_conv.weight": (dv, 3, 4, 4), v + "ln_pre.weight": (dv,),
                  "vision_language_adapter.w_in.weight": (d, dv), "vision_language_adapter.w_in.bias": (d,),
                  "vision_language_adapter.w_out.weight": (d, d), "vision_language_adapter.w_out.bias": (d,)})
        for w in ("wq", "wk", "wv", "wo"):
            t[f"{v}transformer.layers.0.attention.{w}.weight"] = (dv, dv)
        t.update({f"{v}transformer.layers.0.feed_forward.w1.weight": (fv, dv),
                  f"{v}transformer.layers.0.feed_forward.w2.weight": (dv, fv),
                  f"{v}transformer.layers.0.feed_forward.w3.weight": (fv, dv),
                  f"{v}transformer.layers.0.attention_norm.weight": (dv,),
                  f"{v}transformer.layers.0.ffn_norm.weight": (dv,)})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "params.json").write_text(json.dumps(params))
    save_file({k: np.zeros(s, np.float16) for k, s in t.items()}, str(folder / "consolidated.safetensors"))
    return t


def test_a_mistral_format_folder_imports_with_its_tensors_grouped(tmp_path):
    shapes = _consolidated(tmp_path / "m", vision=True)
    m = model_from_path(tmp_path / "m")
    fw = m.file_weights
    size = {k: int(np.prod(s)) * 2 for k, s in shapes.items()}
    vision = sum(b for k, b in size.items() if k.startswith(("vision_encoder.", "vision_language_adapter.")))
    assert fw.embedding_bytes == size["tok_embeddings.weight"] and fw.lm_head_bytes == size["output.weight"]
    assert fw.vision_bytes == vision and fw.total_bytes == sum(size.values())
    norms = sum(b for k, b in size.items() if "norm" in k and not k.startswith("vision"))
    assert fw.other_bytes == norms
    p = count_params(m.architecture)
    assert (p.total + p.vision) * 2 == fw.total_bytes        # the translated config counts every tensor
    assert m.architecture.vision.exact and m.source_note is None and m.source.endswith("consolidated.safetensors")
    assert model_from_path(tmp_path / "m" / "params.json").config == m.config


def test_a_folder_holding_both_formats_counts_one_copy(tmp_path):
    # Mistral's repositories hold the checkpoint twice (consolidated.safetensors beside the Hugging Face shards):
    # with a config.json the Hugging Face shards are read, without one Mistral's
    from filemakers import write_safetensors
    folder = tmp_path / "both"
    hf = model_from_path(write_safetensors(folder))
    _consolidated(folder)
    both = model_from_path(folder)
    assert both.file_weights.total_bytes == hf.file_weights.total_bytes
    assert both.file_weights.path.endswith("model.safetensors")
    (folder / "config.json").unlink()
    mistral = model_from_path(folder)
    assert mistral.file_weights.path.endswith("consolidated.safetensors")


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"dim": None}, "dim", "missing"),
    ({"n_layers": "32"}, "n_layers", "whole number"),
    ({"max_seq_len": -5}, "max_seq_len", "whole number"),
    ({"tied_embeddings": "yes"}, "tied_embeddings", "true or false"),
    ({"moe": [8, 2]}, "moe", "object"),
    ({"moe": {"num_experts": 8}}, "moe.num_experts_per_tok", "missing"),
    ({"moe": {"num_experts": 8, "num_experts_per_tok": 2, "num_shared_experts": 1}}, "moe.num_shared_experts",
     "latent attention"),
    ({"sliding_window": [None, 4096, 2048]}, "sliding_window", "one window size"),
    ({"vision_encoder": {"hidden_size": 16}}, "vision_encoder.num_hidden_layers", "missing"),
    ({"model_type": "mamba", "n_groups": 8}, "model_type", "Mamba-2"),
])
def test_a_bad_params_json_names_the_file_and_its_key(tmp_path, change, field, words):
    params = json.loads((DATA / "mistral-7b-v0.1.json").read_text())
    params.update(change)
    params = {k: v for k, v in params.items() if v is not None}
    path = tmp_path / "params.json"
    path.write_text(json.dumps(params))
    with pytest.raises(ImportError_) as e:
        model_from_path(path)
    assert e.value.field == field and words in str(e.value) and str(path) in str(e.value)


def test_latent_attention_without_experts_reads_as_dense_layers():
    # a params.json with MLA keys and no moe block: every layer dense (vLLM synthesizes the same).  By hand, per
    # layer: q down 64x32 + its norm 32 + q up 32x(4 x 24) + kv down 64x(16 + 8) + its norm 16 + kv up 16x(4 x 32)
    # + out 64x64 = 12,848; MLP 3 x 64 x 96; two norms of 64; a final norm, untied 320 x 64 table and head
    params = {"dim": 64, "n_layers": 2, "n_heads": 4, "hidden_dim": 96, "vocab_size": 320, "norm_eps": 1e-6,
              "q_lora_rank": 32, "kv_lora_rank": 16, "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16,
              "max_position_embeddings": 1024}
    cfg, _ = mistral_params_config(params, Path("params.json"))
    a = architecture_from_hf_config(cfg)
    layer = 64 * 32 + 32 + 32 * 96 + 64 * 24 + 16 + 16 * 128 + 64 * 64
    assert layer == 12_848 and a.moe is None and a.mla.kv_lora_rank == 16
    assert count_params(a).total == 2 * (layer + 3 * 64 * 96 + 2 * 64) + 64 + 2 * 320 * 64
