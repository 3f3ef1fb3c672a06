"""Tiny real model files written with the formats' own writer libraries (for tests)."""

import json
from pathlib import Path

import numpy as np

CFG = {"model_type": "llama", "vocab_size": 320, "hidden_size": 64, "intermediate_size": 96,
       "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
       "max_position_embeddings": 1024, "rms_norm_eps": 1e-6, "tie_word_embeddings": False,
       "_name_or_path": "tiny/llama-test"}

#: DeepSeek-V2-Lite's GGUF header keys as llama.cpp's converter wrote them before its MLA tensors (2024: key_length
#: 192 = 128 + 64 RoPE, value_length 128, no key_length_mla / value_length_mla)
PRE_MLA_DEEPSEEK_GGUF = {"general.architecture": "deepseek2", **{f"deepseek2.{key}": v for key, v in {
    "block_count": 27, "context_length": 163840, "embedding_length": 2048, "feed_forward_length": 10944,
    "attention.head_count": 16, "attention.head_count_kv": 16, "expert_used_count": 6, "leading_dense_block_count": 1,
    "vocab_size": 102400, "attention.kv_lora_rank": 512, "attention.key_length": 192, "attention.value_length": 128,
    "expert_feed_forward_length": 1408, "expert_count": 64, "expert_shared_count": 2, "rope.dimension_count": 64,
    "attention.layer_norm_rms_epsilon": 1e-6}.items()}}


def hf_tensors(dtype=np.float16) -> dict[str, np.ndarray]:
    d, f, V, L, kv = 64, 96, 320, 2, 2 * 16
    rng = np.random.default_rng(0)
    t = {"model.embed_tokens.weight": (V, d), "model.norm.weight": (d,), "lm_head.weight": (V, d)}
    for i in range(L):
        p = f"model.layers.{i}."
        t.update({p + "self_attn.q_proj.weight": (d, d), p + "self_attn.k_proj.weight": (kv, d),
                  p + "self_attn.v_proj.weight": (kv, d), p + "self_attn.o_proj.weight": (d, d),
                  p + "mlp.gate_proj.weight": (f, d), p + "mlp.up_proj.weight": (f, d),
                  p + "mlp.down_proj.weight": (d, f), p + "input_layernorm.weight": (d,),
                  p + "post_attention_layernorm.weight": (d,)})
    return {k: rng.standard_normal(s).astype(dtype) for k, s in t.items()}


def write_safetensors(folder: Path, dtype=np.float16, shards: int = 1) -> Path:
    from safetensors.numpy import save_file
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(CFG))
    tensors = hf_tensors(dtype)
    if shards == 1:
        save_file(tensors, str(folder / "model.safetensors"))
        return folder / "model.safetensors"
    names = sorted(tensors)
    weight_map = {}
    for s in range(shards):
        part = names[s::shards]
        fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        save_file({k: tensors[k] for k in part}, str(folder / fname))
        weight_map.update({k: fname for k in part})
    index = folder / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map}))
    return index


def write_gguf(path: Path, qtype_name: str = "Q8_0", d: int = 64, f: int = 96) -> Path:
    """A 2-layer Llama-style GGUF (4 heads, 2 KV heads, vocabulary 320); K-quants need
    d and f multiples of 256."""
    import gguf
    qtype = getattr(gguf.GGMLQuantizationType, qtype_name)
    V, L, kv = 320, 2, d // 2
    rng = np.random.default_rng(1)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("tiny-gguf")
    w.add_context_length(1024)
    w.add_embedding_length(d)
    w.add_block_count(L)
    w.add_feed_forward_length(f)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_token_list([f"tok{i}" for i in range(V)])

    def add(name, shape, quant=True):
        data = rng.standard_normal(shape).astype(np.float32)
        if quant:
            try:
                q = gguf.quants.quantize(data, qtype)
            except NotImplementedError:   # no Python quantizer for K-quants: right-sized raw blocks
                q = np.zeros(gguf.quant_shape_to_byte_shape(shape, qtype), dtype=np.uint8)
            w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qtype)
        else:
            w.add_tensor(name, data)

    add("token_embd.weight", (V, d))
    add("output_norm.weight", (d,), quant=False)
    add("output.weight", (V, d))
    for i in range(L):
        p = f"blk.{i}."
        for n, s in (("attn_q", (d, d)), ("attn_k", (kv, d)), ("attn_v", (kv, d)), ("attn_output", (d, d)),
                     ("ffn_gate", (f, d)), ("ffn_up", (f, d)), ("ffn_down", (d, f))):
            add(p + n + ".weight", s)
        add(p + "attn_norm.weight", (d,), quant=False)
        add(p + "ffn_norm.weight", (d,), quant=False)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def write_gemma4_gguf(path: Path) -> Path:
    """A 6-layer Gemma 4-style GGUF in F16: five windowed layers (4 query heads, 2 KV heads of 32) and a
    full-attention layer (4 query heads of 64, 1 KV head whose key serves as value: no attn_v tensor);
    the pattern and the KV heads as per-layer arrays, as llama.cpp's converter writes them."""
    import gguf
    d, f, V, L, pattern = 64, 96, 320, 6, [True] * 5 + [False]
    w = gguf.GGUFWriter(str(path), "gemma4")
    w.add_name("tiny-gemma4")
    w.add_context_length(1024)
    w.add_embedding_length(d)
    w.add_block_count(L)
    w.add_feed_forward_length(f)
    w.add_head_count(4)
    w.add_array("gemma4.attention.head_count_kv", [2] * 5 + [1])
    w.add_key_length(64)
    w.add_uint32("gemma4.attention.key_length_swa", 32)
    w.add_sliding_window(16)
    w.add_array("gemma4.attention.sliding_window_pattern", pattern)
    w.add_token_list([f"tok{i}" for i in range(V)])
    rng = np.random.default_rng(2)

    def add(name, shape):
        w.add_tensor(name, rng.standard_normal(shape).astype(np.float16))

    add("token_embd.weight", (V, d))
    add("output_norm.weight", (d,))
    for i, swa in enumerate(pattern):
        p, head, kv = f"blk.{i}.", (32 if swa else 64), (2 if swa else 1)
        add(p + "attn_q.weight", (4 * head, d))
        add(p + "attn_k.weight", (kv * head, d))
        if swa:
            add(p + "attn_v.weight", (kv * head, d))
        add(p + "attn_output.weight", (d, 4 * head))
        add(p + "attn_q_norm.weight", (head,))
        add(p + "attn_k_norm.weight", (head,))
        for n, s in (("ffn_gate", (f, d)), ("ffn_up", (f, d)), ("ffn_down", (d, f))):
            add(p + n + ".weight", s)
        for n in ("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm"):
            add(p + n + ".weight", (d,))
        add(p + "layer_output_scale.weight", (1,))    # the layer's scalar (transformers' layer_scalar)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
