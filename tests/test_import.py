"""Importing real model files (written here with the formats' own writer libraries)."""

import json

import numpy as np
import pytest
from filemakers import CFG, PRE_MLA_DEEPSEEK_GGUF, hf_tensors, write_gguf, write_safetensors

from vramgui.cli import main
from vramgui.core import Scenario, architecture_from_hf_config, count_params, default_catalog, estimate_memory
from vramgui.core.model_files import GGML_TYPES, ImportError_, model_from_path, read_gguf

PARAMS = count_params(architecture_from_hf_config(CFG)).total
# hand count: 2 layers × (64·64·2 + 64·32·2 + 3·64·96 + 2·64) + 2 · 320·64 + 64
assert PARAMS == 2 * (64 * 64 * 2 + 64 * 32 * 2 + 3 * 64 * 96 + 2 * 64) + 2 * 320 * 64 + 64 == 102_720


def test_safetensors_exact_bytes_and_params(tmp_path):
    f = write_safetensors(tmp_path / "st", np.float16)
    m = model_from_path(f)
    fw = m.file_weights
    assert fw.kind == "safetensors" and fw.n_elements == PARAMS
    assert fw.total_bytes == PARAMS * 2
    assert fw.embedding_bytes == 320 * 64 * 2 and fw.lm_head_bytes == 320 * 64 * 2
    assert fw.other_bytes == (2 * 2 + 1) * 64 * 2
    assert m.source.startswith("from header of") and m.name == "llama-test"
    s = Scenario(model=m, gpu=default_catalog().gpu("rtx4090"), weights="file")
    assert float(estimate_memory(s).weights) == pytest.approx(PARAMS * 2, rel=1e-12)


def test_float32_and_sharded_index(tmp_path):
    f = write_safetensors(tmp_path / "sh", np.float32, shards=3)
    assert f.name == "model.safetensors.index.json"
    fw = model_from_path(f).file_weights
    assert fw.total_bytes == PARAMS * 4 and fw.n_tensors == 21
    assert model_from_path(tmp_path / "sh").file_weights == fw          # the folder finds the index


def _quantized_checkpoint(folder, scheme: str):
    """The tiny Llama's linear layers as Model Optimizer writes them: FP8 (an F8_E4M3 weight beside fp32 scalar
    weight_scale and input_scale) or NVFP4 (two 4-bit values a byte, an F8_E4M3 scale per 16, fp32 scalar
    weight_scale_2 and input_scale); the rest bf16. Written with safetensors' own (torch) writer."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(CFG))
    out = {}
    for name, a in hf_tensors(np.float32).items():
        t = torch.from_numpy(a)
        if a.ndim == 2 and "layers." in name:         # a linear layer's weight, o x i
            o, i = a.shape
            stem = name[:-len(".weight")]
            if scheme == "fp8":
                out[name] = t.to(torch.float8_e4m3fn)
                out[stem + ".weight_scale"] = torch.tensor(0.01)
            else:
                out[name] = torch.zeros(o, i // 2, dtype=torch.uint8)
                out[stem + ".weight_scale"] = torch.zeros(o, i // 16).to(torch.float8_e4m3fn)
                out[stem + ".weight_scale_2"] = torch.tensor(0.01)
            out[stem + ".input_scale"] = torch.tensor(0.02)
        else:
            out[name] = t.to(torch.bfloat16)
    save_file(out, str(folder / "model.safetensors"))
    return folder


def _peak_math(model, gpu: str) -> str:
    """The explanation's "Peak math" line for the imported ``model``'s own bytes under vLLM on ``gpu``."""
    from vramgui.core.explain import explain_items
    s = Scenario(model=model, gpu=default_catalog().gpu(gpu), weights="file", engine="vllm")
    return next(a.value for item in explain_items(s) for a in item.assumptions if a.name == "Peak math")


def test_fp8_and_nvfp4_files_are_timed_by_their_weights_not_their_scalar_scales(tmp_path):
    from vramgui.core.weights import file_weight_format
    # 14 linear layers (2 x 7) of 64 x 64, 32 x 64 or 64 x 96 and 96 x 64: 61,440 weights in all. FP8: a byte
    # each (8 bits; the fp32 scalars count with the small tensors); NVFP4: half a byte and a byte per 16 (4.5 bits).
    # Either file holds more fp32 tensors (28, two scalars a layer) than weights (14): they were read as fp32
    # weights, timed at half the 16-bit rate
    linear = 2 * (64 * 64 * 2 + 32 * 64 * 2 + 3 * 64 * 96)
    assert linear == 61_440
    fp8 = model_from_path(_quantized_checkpoint(tmp_path / "fp8", "fp8"))
    nv = model_from_path(_quantized_checkpoint(tmp_path / "nvfp4", "nvfp4"))
    assert fp8.file_weights.dtypes["F32"] == 28 > fp8.file_weights.dtypes["F8_E4M3"] == 14
    assert nv.file_weights.dtypes["F32"] == 28 and nv.file_weights.dtypes["F8_E4M3"] == 14
    f8, f4 = file_weight_format(fp8), file_weight_format(nv)
    assert f8.linear_bits == pytest.approx(8.0, rel=1e-12)
    assert f4.linear_bits == pytest.approx((linear / 2 + linear / 16) * 8 / linear, rel=1e-12) == 4.5
    assert (f8.kernel, f4.kernel) == ("fp8", "w4a16")
    # by bytes the tiny model's bf16 embeddings outweigh its linear layers (320 x 64 x 2 twice)
    assert fp8.file_weights.main_dtype == nv.file_weights.main_dtype == "BF16"
    # an H100 multiplies the FP8 file's weights in fp8 (1,978.9 TFLOP/s dense), as the named format fp8
    assert _peak_math(fp8, "h100-sxm") == "1,978.9 TFLOP/s (fp8 dense tensor)"


@pytest.mark.parametrize("algo, kernel", [("NVFP4", "fp4"), ("W4A16_NVFP4", "w4a16")])
def test_an_nvfp4_file_multiplies_as_its_model_optimizer_config_says(tmp_path, algo, kernel):
    from vramgui.core.weights import file_weight_format
    # Model Optimizer up to 0.29 wrote its quantization into hf_quant_config.json beside config.json (vLLM reads it
    # where config.json has none); NVFP4 quantizes the activations too (W4A4: FP4 tensor cores on Blackwell),
    # W4A16_NVFP4 does not: the same packed bytes, which the tensor table alone cannot tell apart
    folder = _quantized_checkpoint(tmp_path / algo, "nvfp4")
    (folder / "hf_quant_config.json").write_text(json.dumps({
        "producer": {"name": "modelopt", "version": "0.23.0"},
        "quantization": {"quant_algo": algo, "kv_cache_quant_algo": None, "group_size": 16,
                         "exclude_modules": ["lm_head"]}}))
    m = model_from_path(folder)
    f = file_weight_format(m)
    assert f.linear_bits == 4.5 and f.kernel == kernel
    # a B200 multiplies the W4A4 file at its dense FP4 peak (9 PFLOP/s: NVIDIA's 18 "with sparsity" halved), the
    # weight-only one at its dense 16-bit peak (2.25 PFLOP/s, 4.5 "with sparsity" halved); an H100 has no FP4 tensor
    # cores: both at its 16-bit peak (989.4 TFLOP/s dense)
    assert _peak_math(m, "b200") == ("9,000.0 TFLOP/s (fp4 dense tensor)" if kernel == "fp4" else
                                     "2,250.0 TFLOP/s (fp16 dense tensor)")
    assert _peak_math(m, "h100-sxm") == "989.4 TFLOP/s (fp16 dense tensor)"


@pytest.mark.parametrize("qc, kernel", [
    ({"quant_method": "modelopt", "quant_algo": "NVFP4", "group_size": 16}, "fp4"),
    ({"quant_method": "modelopt", "quant_algo": "W4A16_NVFP4", "group_size": 16}, "w4a16"),
    # llm-compressor's NVFP4A16: its groups quantize the weights alone (input_activations null)
    ({"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized", "config_groups": {"group_0": {
        "targets": ["Linear"], "input_activations": None,
        "weights": {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16}}}}, "w4a16"),
])
def test_a_config_json_alone_that_marks_nvfp4_weight_only_is_timed_weight_only(tmp_path, qc, kernel):
    from vramgui.core.explain import explain_items
    # imported without its tensors, the checkpoint gets the named format "nvfp4" (4.5 bits), and multiplies as its
    # config says: in FP4 on a B200 where the activations are quantized too (9 PFLOP/s dense: NVIDIA's 18 "with
    # sparsity" halved), at the 16-bit peak where they are not (2.25 PFLOP/s dense, 4.5 "with sparsity" halved)
    (tmp_path / "config.json").write_text(json.dumps({**CFG, "quantization_config": qc}))
    m = model_from_path(tmp_path / "config.json")
    assert m.fp4_weight_only == (kernel == "w4a16")
    s = Scenario(model=m, gpu=default_catalog().gpu("b200"), weights="nvfp4", engine="vllm")
    assert s.weight_format.kernel == kernel and s.weight_format.linear_bits == 4.5
    assert s.weight_format.name == ("NVFP4 (FP4, group 16)" if kernel == "fp4" else
                                    "NVFP4 weight-only (W4A16, group 16)")
    peak = next(a.value for item in explain_items(s) for a in item.assumptions if a.name == "Peak math")
    assert peak == ("9,000.0 TFLOP/s (fp4 dense tensor)" if kernel == "fp4" else "2,250.0 TFLOP/s (fp16 dense tensor)")
    # the same config without a quantization_config, NVFP4 picked: the named format, W4A4
    plain = model_from_path(_write_config(tmp_path / "plain", CFG))
    assert not plain.fp4_weight_only
    assert Scenario(model=plain, gpu=s.gpu, weights="nvfp4", engine="vllm").weight_format.kernel == "fp4"


def _write_config(folder, cfg) -> object:
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(cfg))
    return folder / "config.json"


def test_hf_quant_config_json_beside_a_config_json(tmp_path, capsys):
    # a config.json imported alone: its weights as Model Optimizer 0.19's hf_quant_config.json names them (the layout
    # llm-compressor's modelopt converter documents)
    (tmp_path / "config.json").write_text(json.dumps(CFG))
    side = {"producer": {"name": "modelopt", "version": "0.19.0"},
            "quantization": {"quant_algo": "FP8", "kv_cache_quant_algo": "FP8", "exclude_modules": ["lm_head"]}}
    (tmp_path / "hf_quant_config.json").write_text(json.dumps(side))
    assert model_from_path(tmp_path / "config.json").config["quantization_config"] == side
    assert main(["estimate", "--model-file", str(tmp_path / "config.json"), "--gpu", "h100-sxm", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenario"]["weights"] == "fp8"
    # its kv_cache_quant_algo FP8: vLLM's and SGLang's default cache type (core.engines.CHECKPOINT_KV), one byte an
    # element: the tiny Llama's 2 layers x 2 KV heads x 16 x 2 (K and V) = 128 bytes a token, 4,096 for the 32
    # tokens asked; llama.cpp's and the generic profile's stay 16-bit, and --kv-dtype still chooses
    def kv(*args):
        assert main(["estimate", "--model-file", str(tmp_path), "--gpu", "h100-sxm", "--prompt", "24", "--output",
                     "8", *args, "--json"]) == 0
        d = json.loads(capsys.readouterr().out)
        return d["scenario"]["kv_dtype"], d["memory"]["kv_cache"]
    assert kv("--engine", "vllm") == kv("--engine", "sglang") == ("fp8", 2 * 2 * 16 * 2 * 1 * 32)
    assert kv("--engine", "llamacpp")[0] == kv()[0] == kv("--engine", "vllm", "--kv-dtype", "fp16")[0] == "fp16"
    # config.json's own quantization_config wins (vLLM opens the older file only where config.json has none)
    (tmp_path / "config.json").write_text(json.dumps({**CFG, "quantization_config": {
        "quant_method": "awq", "bits": 4, "group_size": 128}}))
    assert model_from_path(tmp_path).config["quantization_config"]["quant_method"] == "awq"
    # a broken one is refused naming the file and what is wrong, not skipped
    (tmp_path / "config.json").write_text(json.dumps(CFG))
    for text, says in (("{not json", "not valid JSON"), ('["FP8"]', "JSON object"),
                       ('{"quantization": "FP8"}', "field 'quantization' must be an object")):
        (tmp_path / "hf_quant_config.json").write_text(text)
        with pytest.raises(ImportError_) as err:
            model_from_path(tmp_path)
        assert "hf_quant_config.json" in str(err.value) and says in str(err.value)


@pytest.mark.parametrize("qtype, d, f", [("Q8_0", 64, 96), ("Q4_0", 64, 96), ("Q4_K", 256, 512),
                                         ("Q6_K", 256, 512)])
def test_gguf_exact_bytes_per_type(tmp_path, qtype, d, f):
    path = write_gguf(tmp_path / f"tiny-{qtype}.gguf", qtype, d, f)
    m = model_from_path(path)
    import gguf
    block, per_block = gguf.GGML_QUANT_SIZES[getattr(gguf.GGMLQuantizationType, qtype)]
    # hand count: 2 layers × (2·d² + 2·d·(d/2) + 3·d·f + 2·d) + 2·320·d + d
    params = 2 * (2 * d * d + 2 * d * (d // 2) + 3 * d * f + 2 * d) + 2 * 320 * d + d
    quantized = params - 5 * d                        # all but the five F32 norm vectors
    fw = m.file_weights
    assert fw.kind == "gguf" and fw.n_elements == params == count_params(m.architecture).total
    assert fw.total_bytes == quantized // block * per_block + 5 * d * 4
    assert fw.dtypes[qtype] == 16 and fw.dtypes["F32"] == 5
    a = m.architecture
    assert (a.hidden_size, a.num_layers, a.num_heads, a.num_kv_heads, a.intermediate_size, a.vocab_size) == \
        (d, 2, 4, 2, f, 320)
    assert m.name == "tiny-gguf"
    # llama.cpp keeps token_embd in host memory: the card holds the rest
    s = Scenario(model=m, gpu=default_catalog().gpu("rtx4090"), weights="file", engine="llamacpp")
    assert float(estimate_memory(s).weights) == pytest.approx(fw.total_bytes - fw.embedding_bytes, rel=1e-12)


def test_our_ggml_type_table_matches_gguf():
    import gguf
    for code, (name, block, per_block) in GGML_TYPES.items():
        t = gguf.GGMLQuantizationType(code)
        assert t.name == name and gguf.GGML_QUANT_SIZES[t] == (block, per_block)


def test_gguf_metadata_values(tmp_path):
    meta, tensors = read_gguf(write_gguf(tmp_path / "m.gguf"))
    assert meta["general.architecture"] == "llama" and meta["llama.block_count"] == 2
    assert meta["tokenizer.ggml.tokens"] == 320            # only the vocabulary's length is kept
    assert len(tensors) == 21


def test_gpt_oss_gguf_metadata_gives_its_architecture(tmp_path):
    # llama.cpp writes gpt-oss under the architecture "gpt-oss" with no per-layer window
    # list; the window (128) is on every other layer, starting with the first
    from vramgui.core import architecture_from_hf_config, count_params
    from vramgui.core.model_files import gguf_config
    meta = {"general.architecture": "gpt-oss", "gpt-oss.embedding_length": 2880, "gpt-oss.block_count": 24,
            "gpt-oss.feed_forward_length": 2880, "gpt-oss.attention.head_count": 64,
            "gpt-oss.attention.head_count_kv": 8, "gpt-oss.context_length": 131072,
            "gpt-oss.attention.key_length": 64, "gpt-oss.expert_count": 32, "gpt-oss.expert_used_count": 4,
            "gpt-oss.expert_feed_forward_length": 2880, "gpt-oss.attention.sliding_window": 128,
            "tokenizer.ggml.tokens": 201088}
    a = architecture_from_hf_config(gguf_config(meta, tmp_path / "gpt-oss-20b.gguf"))
    assert (a.sliding_window, a.sliding_window_layers, a.attention_sinks) == (128, 12, True)
    assert count_params(a).total / 1e9 == pytest.approx(20.91, abs=0.005)   # model card Table 1


def test_cli_model_file_uses_the_file_bytes(tmp_path, capsys):
    path = write_gguf(tmp_path / "q.gguf", "Q4_K", 256, 512)
    rc = main(["estimate", "--model-file", str(path), "--gpu", "rtx4090", "--engine", "llamacpp", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["scenario"]["weights"] == "file"
    fw = model_from_path(path).file_weights
    assert d["memory"]["weights"] == pytest.approx(fw.total_bytes - fw.embedding_bytes)


def test_safetensors_needs_config(tmp_path):
    f = write_safetensors(tmp_path / "nc")
    (tmp_path / "nc" / "config.json").unlink()
    with pytest.raises(ImportError_, match=r"needs a config.json \(or Mistral.s params.json\) beside it"):
        model_from_path(f)


def _siglip_tensors(dv: int, fv: int, layers: int, patch: int, image: int, d_text: int) -> dict[str, tuple]:
    """A Gemma 3 image encoder's tensors as transformers names and shapes them (SiglipVisionModel:
    patch convolution, position table, blocks of q/k/v/out with biases, two LayerNorms and a
    biased fc1/fc2, a post-LayerNorm; Gemma3MultiModalProjector: an RMSNorm and one matrix)."""
    v = "vision_tower.vision_model."
    t = {v + "embeddings.patch_embedding.weight": (dv, 3, patch, patch), v + "embeddings.patch_embedding.bias": (dv,),
         v + "embeddings.position_embedding.weight": ((image // patch) ** 2, dv),
         v + "post_layernorm.weight": (dv,), v + "post_layernorm.bias": (dv,),
         "multi_modal_projector.mm_soft_emb_norm.weight": (dv,),
         "multi_modal_projector.mm_input_projection_weight": (dv, d_text)}
    for i in range(layers):
        p = f"{v}encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            t.update({p + f"self_attn.{proj}.weight": (dv, dv), p + f"self_attn.{proj}.bias": (dv,)})
        t.update({p + "mlp.fc1.weight": (fv, dv), p + "mlp.fc1.bias": (fv,), p + "mlp.fc2.weight": (dv, fv),
                  p + "mlp.fc2.bias": (dv,), p + "layer_norm1.weight": (dv,), p + "layer_norm1.bias": (dv,),
                  p + "layer_norm2.weight": (dv,), p + "layer_norm2.bias": (dv,)})
    return t


def test_vision_language_checkpoint_counts_its_image_encoder_apart(tmp_path):
    from safetensors.numpy import save_file
    vision_cfg = {"model_type": "siglip_vision_model", "hidden_size": 16, "intermediate_size": 24,
                  "num_hidden_layers": 2, "num_attention_heads": 2, "patch_size": 4, "image_size": 16,
                  "vision_use_head": False}
    text = {k: v for k, v in CFG.items() if k != "_name_or_path"}
    cfg = {"model_type": "gemma3", "text_config": dict(text, model_type="gemma3_text"), "vision_config": vision_cfg,
           "_name_or_path": "tiny/gemma3-vl-test"}
    shapes = _siglip_tensors(16, 24, 2, 4, 16, 64)
    tensors = {**{k.replace("model.", "language_model.model.", 1) if k.startswith("model.") else
                  "language_model." + k: a for k, a in hf_tensors().items()},
               **{k: np.zeros(s, np.float16) for k, s in shapes.items()}}
    folder = tmp_path / "vl"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(cfg))
    save_file(tensors, str(folder / "model.safetensors"))
    m = model_from_path(folder)
    vision = sum(int(np.prod(s)) for s in shapes.values())
    # hand count of the layout above: 2 blocks × (4·(16² + 16) + 2·16·24 + 24 + 16 + 4·16) + 3·4²·16 + 16
    # + (16/4)²·16 + 2·16 + 16 + 16·64
    assert vision == 2 * (4 * (16 * 16 + 16) + 2 * 16 * 24 + 24 + 16 + 4 * 16) + 3 * 16 * 16 + 16 + 16 * 16 \
        + 2 * 16 + 16 + 16 * 64 == 6_032
    p = count_params(m.architecture)
    assert p.vision == vision and m.architecture.vision.exact
    text_only = architecture_from_hf_config(dict(text, model_type="gemma3_text"))
    assert p.total == count_params(text_only).total        # the language model alone
    fw = m.file_weights
    assert fw.vision_bytes == vision * 2 and fw.total_bytes == (PARAMS + vision) * 2
    gpu = default_catalog().gpu("rtx4090")
    hf = Scenario(model=m, gpu=gpu, weights="file", engine="hf")
    assert float(estimate_memory(hf).weights) == pytest.approx((PARAMS + vision) * 2, rel=1e-12)
    # llama.cpp loads the language model only (the encoder is a separate mmproj file), token table in RAM
    cpp = Scenario(model=m, gpu=gpu, weights="file", engine="llamacpp")
    assert float(estimate_memory(cpp).weights) == pytest.approx((PARAMS - 320 * 64) * 2, rel=1e-12)


def test_gemma4_gguf_gives_each_layer_kind_its_heads(tmp_path):
    from filemakers import write_gemma4_gguf
    m = model_from_path(write_gemma4_gguf(tmp_path / "g4.gguf"))
    a = m.architecture
    assert (a.model_type, a.num_layers, a.head_dim, a.num_kv_heads, a.sliding_window, a.sliding_window_layers) == \
        ("gemma4_text", 6, 32, 2, 16, 5)
    g = a.global_attention
    assert (g.head_dim, g.num_kv_heads, g.k_eq_v) == (64, 1, True)     # no blk.5.attn_v.weight in the file
    # every tensor written is one the architecture counts: tied embedding, final norm, per layer q/k(/v)/o,
    # q/k norms, a GeGLU MLP, four norms and the layer's output scale
    assert m.file_weights.n_elements == count_params(a).total
    # a token's KV: 5 windowed layers × 2 × 2 × 32 + 1 full layer × 2 × 1 × 64 elements, f16
    s = Scenario(model=m, gpu=default_catalog().gpu("rtx4090"), weights="file", engine="llamacpp")
    assert estimate_memory(s).kv_bytes_per_token == (5 * 2 * 2 * 32 + 2 * 1 * 64) * 2


def test_gemma3_gguf_keeps_one_full_attention_layer_in_six():
    # Gemma 3 27B as llama.cpp's converter writes its keys: the 1,024-token window applies to five layers in
    # six (52 of 62), not to all (the file names no pattern; Gemma 3's is fixed)
    from pathlib import Path

    from vramgui.core.model_files import gguf_config
    meta = {"general.architecture": "gemma3", "gemma3.block_count": 62, "gemma3.embedding_length": 5376,
            "gemma3.feed_forward_length": 21504, "gemma3.attention.head_count": 32,
            "gemma3.attention.head_count_kv": 16,
            "gemma3.attention.key_length": 128, "gemma3.context_length": 131072,
            "gemma3.attention.sliding_window": 1024, "tokenizer.ggml.tokens": 262208}
    a = architecture_from_hf_config(gguf_config(meta, Path("gemma-3-27b.gguf")))
    assert (a.sliding_window, a.sliding_window_layers, a.head_dim, a.norms_per_layer) == (1024, 52, 128, 4)


def test_deepseek_v3_gguf_metadata_gives_its_count():
    # the keys llama.cpp's converter writes for DeepSeek-V3-0324 (values from a llama_model_loader listing of
    # an unsloth Q2_K file): the MLA cache's latent widths in key_length / value_length, the heads' in the _mla
    # keys, 3 leading dense blocks, 1 shared expert, sigmoid routing (with its score-correction bias). llama.cpp
    # printed "model params = 671.026 B"; the preset (from the Hugging Face config) counts 671,026,419,200
    from pathlib import Path

    from vramgui.core import architecture_from_hf_config, count_params, default_catalog
    from vramgui.core.model_files import gguf_config
    k = {"block_count": 61, "context_length": 163840, "embedding_length": 7168, "feed_forward_length": 18432,
         "attention.head_count": 128, "attention.head_count_kv": 1, "expert_used_count": 8,
         "leading_dense_block_count": 3, "vocab_size": 129280, "attention.q_lora_rank": 1536,
         "attention.kv_lora_rank": 512, "attention.key_length": 576, "attention.value_length": 512,
         "attention.key_length_mla": 192, "attention.value_length_mla": 128, "expert_feed_forward_length": 2048,
         "expert_count": 256, "expert_shared_count": 1, "expert_gating_func": 2, "rope.dimension_count": 64,
         "attention.layer_norm_rms_epsilon": 1e-6}
    meta = {"general.architecture": "deepseek2", **{f"deepseek2.{key}": v for key, v in k.items()}}
    a = architecture_from_hf_config(gguf_config(meta, Path("DeepSeek-V3-0324-Q2_K.gguf")))
    preset = default_catalog().model("deepseek-v3").architecture
    assert count_params(a).total == count_params(preset).total == 671_026_419_200
    assert count_params(a).total / 1e9 == pytest.approx(671.026, abs=0.0005)
    assert (a.mla.qk_nope_head_dim, a.mla.v_head_dim, a.moe.dense_layers) == (128, 128, 3)
    # the older layout (key_length 192, value_length 128, no _mla keys) reads the same
    old = {**meta, "deepseek2.attention.key_length": 192, "deepseek2.attention.value_length": 128,
           "deepseek2.attention.head_count_kv": 128}
    del old["deepseek2.attention.key_length_mla"], old["deepseek2.attention.value_length_mla"]
    assert count_params(architecture_from_hf_config(gguf_config(old, Path("old.gguf")))).total == 671_026_419_200


def test_a_deepseek_gguf_before_the_mla_tensors_caches_every_heads_keys_and_values(tmp_path, monkeypatch):
    # DeepSeek-V2-Lite's keys as llama.cpp's converter wrote them before its MLA tensors (2024: key_length 192 =
    # 128 + 64 rope, value_length 128, no _mla keys).  llama.cpp runs such a file on its non-MLA path
    # (hparams.is_mla() needs the _mla keys): 16 heads of 192-wide keys and 128-wide values cached in each of 27
    # layers, 16 x (192 + 128) x 2 bytes x 27 = 276,480 bytes a token in fp16, where a file converted since caches
    # the latent, (512 + 64) x 2 x 27 = 31,104; and its heads attend up-projected.  Other engines keep their own
    # cache (the flag describes how llama.cpp runs the file)
    from pathlib import Path

    from vramgui.core import Scenario, architecture_from_hf_config, default_catalog, estimate_memory
    from vramgui.core.explain import explain_items
    from vramgui.core.model_files import gguf_config
    from vramgui.core.presets import ModelPreset
    from vramgui.core.speed import speed_terms
    old = PRE_MLA_DEEPSEEK_GGUF
    new = {**old, "deepseek2.attention.key_length": 576, "deepseek2.attention.value_length": 512,
           "deepseek2.attention.key_length_mla": 192, "deepseek2.attention.value_length_mla": 128,
           "deepseek2.attention.head_count_kv": 1}
    cat = default_catalog()
    a_old = architecture_from_hf_config(gguf_config(old, Path("old.gguf")))
    a_new = architecture_from_hf_config(gguf_config(new, Path("new.gguf")))
    assert a_old.mla.gguf_up_projected and not a_new.mla.gguf_up_projected

    def scenario(a, engine):
        cfg = gguf_config(old if a is a_old else new, Path("f.gguf"))
        model = ModelPreset(id="imported", name="imported", family="Imported", source="test", config=cfg)
        assert model.architecture == a
        return Scenario(model=model, gpu=cat.gpu("rtx4090"), engine=engine, weights="q4_0", prompt_tokens=4096)
    assert estimate_memory(scenario(a_old, "llamacpp")).kv_bytes_per_token == 16 * (192 + 128) * 2 * 27 == 276_480
    assert estimate_memory(scenario(a_new, "llamacpp")).kv_bytes_per_token == (512 + 64) * 2 * 27 == 31_104
    assert estimate_memory(scenario(a_old, "vllm")).kv_bytes_per_token == 31_104
    up, latent = 2 * 16 * 27 * (192 + 128), 2 * 16 * 27 * (2 * 512 + 64)
    t_old, t_new = speed_terms(scenario(a_old, "llamacpp")), speed_terms(scenario(a_new, "llamacpp"))
    assert (float(t_old.attention_flops), float(t_old.decode_attention_scale)) == (up, 1.0)
    assert (float(t_new.attention_flops), float(t_new.decode_attention_scale)) == (latent, 1.0)
    mla = {a.name: a for e in explain_items(scenario(a_old, "llamacpp")) for a in e.assumptions}["MLA attention"]
    assert mla.value.startswith("up-projected") and "predates llama.cpp's MLA tensors" in mla.source
    # the import says so in the model's note (the header read, tensors aside)
    import vramgui.core.model_files as mf
    monkeypatch.setattr(mf, "read_gguf", lambda path: (old, []))
    note = mf.model_from_path(tmp_path / "DeepSeek-V2-Lite-Chat.Q4_0.gguf").source_note
    assert note.startswith("converted before llama.cpp's MLA tensors (no deepseek2.attention.key_length_mla)")
    monkeypatch.setattr(mf, "read_gguf", lambda path: (new, []))
    assert mf.model_from_path(tmp_path / "new.gguf").source_note is None
    # estimate --json carries it as scenario.gguf_note under llama.cpp only (the CLI prints it as a note)
    import contextlib
    import io
    import json

    from vramgui.cli import main
    monkeypatch.setattr(mf, "read_gguf", lambda path: (old, []))
    for engine, noted, per_token in (("llamacpp", True, 276_480), ("vllm", False, 31_104)):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(["estimate", "--model-file", str(tmp_path / "old.gguf"), "--gpu", "rtx4090", "--engine",
                         engine, "--prompt", "4096", "--json"]) == 0
        d = json.loads(buf.getvalue())
        assert (d["scenario"]["gguf_note"] is not None) == noted and d["memory"]["kv_bytes_per_token"] == per_token


def test_qwen3_moe_gguf_reads_as_the_checked_qwen3_moe_type():
    # llama.cpp names Qwen3-30B-A3B's architecture "qwen3moe": read as transformers' qwen3_moe (q/k norms, a
    # checked type, no caution), with the Hugging Face config's count
    from pathlib import Path

    from vramgui.core import architecture_from_hf_config, count_params, default_catalog
    from vramgui.core.architecture import layout_note
    from vramgui.core.model_files import gguf_config
    k = {"block_count": 48, "context_length": 40960, "embedding_length": 2048, "feed_forward_length": 6144,
         "attention.head_count": 32, "attention.head_count_kv": 4, "attention.key_length": 128,
         "attention.value_length": 128, "expert_count": 128, "expert_used_count": 8,
         "expert_feed_forward_length": 768, "attention.layer_norm_rms_epsilon": 1e-6}
    meta = {"general.architecture": "qwen3moe", **{f"qwen3moe.{key}": v for key, v in k.items()},
            "tokenizer.ggml.tokens": 151936}
    a = architecture_from_hf_config(gguf_config(meta, Path("Qwen3-30B-A3B-Q4_K_M.gguf")))
    assert a.model_type == "qwen3_moe" and a.qk_norm and layout_note(a) is None
    assert count_params(a).total == count_params(default_catalog().model("qwen3-30b-a3b").architecture).total


def test_phi2_gguf_reads_as_transformers_phi_with_layer_norms():
    # llama.cpp's "phi2" with its LayerNorm epsilon key: transformers' phi (biases everywhere, one LayerNorm a
    # layer with weight and bias, an LM-head bias); Phi-2's 2,779,683,840 parameters (transformers' PhiForCausalLM
    # from microsoft/phi-2's config: 2560 wide, 32 layers, 32 heads, MLP 10,240, vocabulary 51,200)
    from pathlib import Path

    from vramgui.core import architecture_from_hf_config, count_params
    from vramgui.core.architecture import layout_note
    from vramgui.core.model_files import gguf_config
    k = {"block_count": 32, "context_length": 2048, "embedding_length": 2560, "feed_forward_length": 10240,
         "attention.head_count": 32, "attention.head_count_kv": 32, "attention.layer_norm_epsilon": 1e-5,
         "rope.dimension_count": 32}
    meta = {"general.architecture": "phi2", **{f"phi2.{key}": v for key, v in k.items()},
            "tokenizer.ggml.tokens": 51200}
    a = architecture_from_hf_config(gguf_config(meta, Path("phi-2.Q4_K_M.gguf")))
    assert (a.model_type, a.norm_kind, a.norms_per_layer, a.lm_head_bias) == ("phi", "layer", 1, True)
    assert layout_note(a) is None
    d, f, V, L = 2560, 10240, 51200, 32
    layer = 4 * (d * d + d) + (d * f + f) + (f * d + d) + 2 * d
    assert count_params(a).total == V * d + L * layer + 2 * d + V * d + V == 2_779_683_840


@pytest.mark.parametrize("layout, dtypes, kernel, peak", [
    # compressed-tensors W8A8 (int-quantized): int8 weights beside a 16-bit scale a row: int8 matmuls (A100: 624 TOPS)
    ("w8a8", {"I8": 14, "F16": 21}, "int8", 624e12),
    # GPTQ 8-bit: four weights packed into each int32 word, dequantized for 16-bit activations (A100: 312 TFLOP/s)
    ("gptq", {"I32": 14, "F16": 21}, "w8a16", 312e12)])
def test_8_bit_files_multiply_as_their_tensors_say(tmp_path, layout, dtypes, kernel, peak):
    from safetensors.numpy import save_file

    from vramgui.core.speed import peak_flops
    from vramgui.core.weights import file_weight_format
    folder = tmp_path / layout
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(CFG))
    tensors = {}
    for name, w in hf_tensors().items():
        out, inp = w.shape if w.ndim == 2 else (0, 0)
        if not name.endswith("proj.weight"):
            tensors[name] = w
        elif layout == "w8a8":
            tensors[name] = w.astype(np.int8)
            tensors[name.removesuffix("weight") + "weight_scale"] = np.ones((out, 1), np.float16)
        else:
            tensors[name.removesuffix("weight") + "qweight"] = np.zeros((inp // 4, out), np.int32)
            tensors[name.removesuffix("weight") + "scales"] = np.ones((1, out), np.float16)
    save_file(tensors, str(folder / "model.safetensors"))
    m = model_from_path(folder / "model.safetensors")
    assert m.file_weights.dtypes == dtypes
    f = file_weight_format(m)
    # 8 bits a weight and one 16-bit scale per output row (q 64, k 32, v 32, o 64, gate 96, up 96, down 64 rows a
    # layer): 8 + 16 x 2 x 448 / (2 x (2 x 64 x 64 + 2 x 32 x 64 + 3 x 64 x 96)) = 8.2333
    assert f.linear_bits == pytest.approx(8 + 16 * 2 * 448 / (2 * (2 * 4096 + 2 * 2048 + 3 * 6144)), rel=1e-9)
    assert f.kernel == kernel
    assert peak_flops(default_catalog().gpu("a100-80gb"), f) == peak
