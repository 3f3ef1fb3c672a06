"""Writes the malformed-input corpus in this folder and expected.json (file -> loader,
message).  Re-run after changing it: python tests/data/bad/make_bad.py"""

import json
import struct
from pathlib import Path

HERE = Path(__file__).parent
EXPECTED: dict[str, list[str]] = {}


def st(name: str, header: bytes | None = None, *, length: int | None = None, data: bytes = b"",
       raw: bytes | None = None, message: str):
    """A .safetensors file: 8-byte length, header bytes, data."""
    if raw is None:
        raw = struct.pack("<Q", len(header) if length is None else length) + header + data
    (HERE / name).write_bytes(raw)
    EXPECTED[name] = ["model", message]


def sth(name: str, header: dict | list, data_len: int = 0, message: str = ""):
    st(name, json.dumps(header).encode(), data=b"\0" * data_len, message=message)


def gguf(name: str, *, magic=b"GGUF", version=3, n_tensors=0, n_kv=0, body=b"", message: str):
    (HERE / name).write_bytes(magic + struct.pack("<IQQ", version, n_tensors, n_kv) + body)
    EXPECTED[name] = ["model", message]


def gstr(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def kv_str(key: str, value: str) -> bytes:
    return gstr(key) + struct.pack("<I", 8) + gstr(value)


def kv_u32(key: str, value: int) -> bytes:
    return gstr(key) + struct.pack("<II", 4, value)


def tinfo(name: str, dims: list[int], ttype: int, offset: int = 0) -> bytes:
    return gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + \
        struct.pack("<IQ", ttype, offset)


def cfg(name: str, content: bytes | str, message: str, loader: str = "model"):
    (HERE / name).write_bytes(content.encode() if isinstance(content, str) else content)
    EXPECTED[name] = [loader, message]


OK = {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]}
ARCH = kv_str("general.architecture", "llama")

# --- safetensors ---------------------------------------------------------------------------
st("st-empty.safetensors", raw=b"", message="truncated: 0 bytes")
st("st-short.safetensors", raw=b"\x01\x02\x03\x04\x05", message="truncated: 5 bytes")
st("st-header-2pow63.safetensors", b"{}", length=2**63, message="larger than the file")
st("st-header-longer-than-file.safetensors", b"{}", length=1000, message="larger than the file")
st("st-not-json.safetensors", b"{this is not json", message="not valid JSON")
st("st-non-utf8.safetensors", b'{"\xff\xfe": 1}', message="not UTF-8")
sth("st-header-array.safetensors", [1, 2, 3], message="not a JSON object")
sth("st-no-tensors.safetensors", {"__metadata__": {"format": "pt"}}, message="holds no tensors")
sth("st-bad-dtype.safetensors", {"w": {**OK, "dtype": "F128"}}, 8, message="unknown dtype")
sth("st-negative-dim.safetensors", {"w": {**OK, "shape": [2, -2]}}, 8, message="shape must be")
sth("st-string-dim.safetensors", {"w": {**OK, "shape": ["2", 2]}}, 8, message="shape must be")
sth("st-bool-dim.safetensors", {"w": {**OK, "shape": [True, 2]}}, 8, message="shape must be")
sth("st-17-dims.safetensors", {"w": {**OK, "shape": [1] * 17}}, 8, message="shape must be")
sth("st-absurd-dim.safetensors", {"w": {**OK, "shape": [2**60, 2]}}, 8, message="shape must be")
sth("st-no-offsets.safetensors", {"w": {"dtype": "F16", "shape": [2, 2]}}, 8, message="data_offsets must be")
sth("st-offsets-decreasing.safetensors", {"w": {**OK, "data_offsets": [8, 0]}}, 8, message="not increasing")
sth("st-offsets-mismatch.safetensors", {"w": {**OK, "data_offsets": [0, 6]}}, 8, message="span 6 bytes")
sth("st-truncated-data.safetensors", {"w": OK}, 4, message="past the end")
sth("st-entry-not-object.safetensors", {"w": [1, 2]}, 8, message="tensor entry is not an object")
st("st-deep-nesting.safetensors", b"[" * 100_000 + b"]" * 100_000, message="nested")
sth("st-float-offsets.safetensors", {"w": {**OK, "data_offsets": [0.0, 8.0]}}, 8, message="data_offsets must be")

# --- GGUF ------------------------------------------------------------------------------------
cfg("gguf-empty.gguf", b"", "truncated")
gguf("gguf-bad-magic.gguf", magic=b"GGML", message="magic")
gguf("gguf-version-9.gguf", version=9, message="version 9")
gguf("gguf-2pow63-tensors.gguf", n_tensors=2**63, message="cannot fit")
gguf("gguf-2pow60-keys.gguf", n_kv=2**60, message="cannot fit")
gguf("gguf-truncated-kv.gguf", n_kv=1, body=gstr("general.architecture")[:10], message="truncated")
gguf("gguf-absurd-string.gguf", n_kv=1, body=struct.pack("<Q", 2**62) + b"x" * 64, message="absurd")
gguf("gguf-non-utf8-key.gguf", n_kv=1, body=gstr(b"\xff\xfe\xfd") + struct.pack("<II", 4, 1), message="not UTF-8")
gguf("gguf-unknown-value-type.gguf", n_kv=1, body=gstr("a.b") + struct.pack("<I", 99) + b"\0" * 16,
     message="unknown value type")
gguf("gguf-huge-array.gguf", n_kv=1, body=gstr("a.b") + struct.pack("<IIQ", 9, 4, 2**40) + b"\0" * 16,
     message="cannot fit in the file")
gguf("gguf-unknown-ggml-type.gguf", n_tensors=1, n_kv=1, body=ARCH + tinfo("w", [32], 77) + b"\0" * 64,
     message="unknown ggml type")
gguf("gguf-too-many-dims.gguf", n_tensors=1, n_kv=1, body=ARCH + tinfo("w", [1] * 9, 0) + b"\0" * 64,
     message="dimensions")
gguf("gguf-bad-block.gguf", n_tensors=1, n_kv=1, body=ARCH + tinfo("w", [10, 2], 8) + b"\0" * 64,
     message="not a multiple of the Q8_0 block")
gguf("gguf-missing-arch.gguf", n_tensors=1, n_kv=1,
     body=kv_str("general.name", "x") + tinfo("w", [32], 0) + b"\0" * 200, message="general.architecture")
gguf("gguf-truncated-data.gguf", n_tensors=1, n_kv=1, body=ARCH + tinfo("w", [1024, 1024], 0) + b"\0" * 64,
     message="truncated")
gguf("gguf-array-hyperparam.gguf", n_tensors=1, n_kv=2,
     body=ARCH + gstr("llama.block_count") + struct.pack("<IIQ", 9, 4, 2) + struct.pack("<II", 1, 2)
     + tinfo("w", [32], 0) + b"\0" * 200, message="found an array")
gguf("gguf-absurd-dim.gguf", n_tensors=1, n_kv=1, body=ARCH + tinfo("w", [2**60], 0) + b"\0" * 64,
     message="absurd dimension")

# --- config.json -------------------------------------------------------------------------------
GOOD = {"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4}
cfg("config-empty.json", b"", "not valid JSON")
cfg("config-non-utf8.json", b'{"model_type": "\xff"}', "not UTF-8")
cfg("config-array.json", "[1, 2, 3]", "expected a JSON object")
cfg("config-no-layers.json", json.dumps({k: v for k, v in GOOD.items() if k != "num_hidden_layers"}),
    "field 'num_hidden_layers': missing")
cfg("config-negative-layers.json", json.dumps({**GOOD, "num_hidden_layers": -3}),
    "field 'num_hidden_layers': must be at least 1")
cfg("config-1e30-layers.json", json.dumps({**GOOD, "num_hidden_layers": 1e30}), "num_layers")
cfg("config-nan-hidden.json", json.dumps({**GOOD, "hidden_size": float("nan")}), "field 'hidden_size'")
cfg("config-string-heads.json", json.dumps({**GOOD, "num_attention_heads": "four"}), "field 'num_attention_heads'")
cfg("config-zero-heads.json", json.dumps({**GOOD, "num_attention_heads": 0}), "field 'num_attention_heads'")
cfg("config-deep.json", "[" * 100_000 + "]" * 100_000, "nested")
cfg("config-truncated.json", json.dumps(GOOD)[:40], "not valid JSON")
cfg("config-kv-gt-heads.json", json.dumps({**GOOD, "num_key_value_heads": 8}), "num_kv_heads cannot exceed")
# routed experts without how many a token uses (read as a dense model, it was 83 % low on DeepSeek-V2's default)
cfg("config-experts-no-topk.json", json.dumps({"model_type": "mixtral", "vocab_size": 100, "hidden_size": 64,
                                              "intermediate_size": 128, "num_hidden_layers": 2,
                                              "num_attention_heads": 4, "num_key_value_heads": 2,
                                              "num_local_experts": 8}),
    "field 'num_experts_per_tok': missing: 8 routed experts are named, but not how many a token uses")
# Llama 4's MoE every 0th layer (transformers' own range() fails on it)
cfg("config-moe-every-0-layers.json", json.dumps({**GOOD, "model_type": "llama4_text", "num_local_experts": 4,
                                                 "num_experts_per_tok": 1, "intermediate_size_mlp": 64,
                                                 "interleave_moe_layer_step": 0}),
    "field 'interleave_moe_layer_step': expected an interval of 1 layer or more")

# --- presets and measured points ------------------------------------------------------------------
cfg("preset-gpu-negative-memory.json", json.dumps({"id": "x", "name": "x", "vendor": "v", "category": "custom",
                                                    "memory_mib": -1, "memory_mib_basis": "marketed",
                                                    "memory_bandwidth_gb_s": 100, "sources": {"all": "me"}}),
    "field 'memory_mib'", loader="gpu")
cfg("preset-gpu-extra-key.json", json.dumps({"id": "x", "name": "x", "vendor": "v", "category": "custom",
                                              "memory_mib": 1024, "memory_mib_basis": "marketed",
                                              "memory_bandwidth_gb_s": 100, "sources": {"all": "me"},
                                              "colour": "red"}), "field 'colour'", loader="gpu")
cfg("preset-model-bad-id.json", json.dumps({"id": "Bad Id!", "name": "x", "family": "f", "source": "s",
                                             "config": GOOD}), "field 'id'", loader="modelpreset")
cfg("measured-bad-axis.csv", "axis,x,quantity,value\ntime,1,step_ms,3\n", "field 'axis'", loader="measured")

(HERE / "expected.json").write_text(json.dumps(EXPECTED, indent=1, sort_keys=True) + "\n")
print(f"{len(EXPECTED)} malformed inputs")
