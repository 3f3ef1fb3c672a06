"""Models from files on disk: ``config.json`` (or Mistral's ``params.json``), ``*.safetensors`` (single or
sharded via ``model.safetensors.index.json``), ``*.gguf``, or a folder holding them.

Only headers are read, never tensor data: a 140 GB checkpoint imports in milliseconds.
The tensor table gives exact bytes per tensor group, so the estimate uses the file's own
weights instead of a format's average (weight format ``file``).

The readers are written for hostile input: every length and count is checked against
the file's size before anything is allocated, and every problem raises
:class:`~vramgui.core.errors.ImportError_` naming the file and the field.  (The ``gguf``
package that llama.cpp publishes is the reference writer and is used by the tests; the
app reads GGUF itself so that a hostile count is refused before any allocation and no
tensor is ever mapped.)
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from collections import Counter
from pathlib import Path

from pydantic import ValidationError

from .architecture import GGUF_UP_PROJECTED_MLA, architecture_from_hf_config
from .errors import ConfigError, pydantic_message
from .jsonfile import read_json
from .presets import FileWeights, ModelPreset

MAX_CONFIG_BYTES = 16 * 2**20
MAX_SAFETENSORS_HEADER = 100 * 2**20      # the safetensors format's own limit
MAX_GGUF_STRING = 64 * 2**20
MAX_JSON_DEPTH = 64

# safetensors dtypes -> bytes per element
ST_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4,
             "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "F4": 0.5, "F6_E2M3": 0.75,
             "F6_E3M2": 0.75}
# ggml types -> (block size in elements, bytes per block); ggml-common.h
GGML_TYPES = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
}
GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class ImportError_(ConfigError):  # noqa: N801 - the builtin name is taken
    """A model file could not be imported."""


# --- grouping tensors ------------------------------------------------------------------

_EMBED = ("embed_tokens", "tok_embeddings", "wte.", "word_embeddings", "token_embd", "wpe.", "position_embeddings",
          "embedding.word")
_HEAD = ("lm_head", "embed_out", "output_layer")
# a vision-language checkpoint's image encoder and projector (Gemma 3, LLaVA, Mistral 3: vision_tower and
# multi_modal_projector; Qwen-VL and Qwen3.5: visual; Llama 4, InternVL, Idefics: vision_model)
_VISION = ("vision_tower", "vision_model", "visual.", "multi_modal_projector", "mm_projector", "image_newline",
           "embed_vision",   # Gemma 4's projector
           # Mistral's own format (consolidated*.safetensors): Pixtral's encoder, adapter, patch merger and norm
           "vision_encoder.", "vision_language_adapter.", "patch_merger.", "pre_mm_projector_norm")
_OTHER = ("norm", "ln_", ".ln", "ffn_gate_inp", "mlp.gate.weight", "router", "rope", "rotary", "e_score_correction",
          "shared_expert_gate", "conv1d")   # (and the routers named '<block>.gate.weight': Mixtral, Mistral's format)


def tensor_group(name: str, shape: list[int]) -> str:
    """vision / embedding / lm_head / other (norms, biases, routers) / linear, by tensor name."""
    n = name.lower()
    if any(k in n for k in _VISION):
        return "vision"
    if any(k in n for k in _EMBED):
        return "embedding"
    if any(k in n for k in _HEAD) or n in ("output.weight",):
        return "lm_head"
    if len(shape) <= 1 or n.endswith((".bias", ".gate.weight")) or any(k in n for k in _OTHER):
        return "other"
    return "linear"


def _weights(kind: str, path: Path, tensors: list[tuple[str, list[int], str, float]]) -> FileWeights:
    by = Counter()
    dtypes = Counter()
    dtype_bytes = Counter()
    elements = 0
    for name, shape, dtype, nbytes in tensors:
        by[tensor_group(name, shape)] += nbytes
        dtypes[dtype] += 1
        dtype_bytes[dtype] += nbytes
        elements += math.prod(shape) if shape else 1
    return FileWeights(kind=kind, path=str(path), total_bytes=float(sum(by.values())),
                       embedding_bytes=float(by["embedding"]), lm_head_bytes=float(by["lm_head"]),
                       linear_bytes=float(by["linear"]), other_bytes=float(by["other"]),
                       vision_bytes=float(by["vision"]), n_tensors=len(tensors),
                       n_elements=int(elements), dtypes=dict(dtypes),
                       dtype_bytes={k: float(v) for k, v in dtype_bytes.items()})


# --- safe file access ---------------------------------------------------------------------

def _open_regular(path: Path, what: str):
    """Open ``path`` for reading after checking it is a regular, readable file."""
    try:
        st = path.stat()  # follows symlinks; a loop raises OSError (ELOOP)
    except FileNotFoundError:
        raise ImportError_("no such file", source=str(path)) from None
    except OSError as exc:
        raise ImportError_(f"cannot be read: {exc.strerror or exc}", source=str(path)) from None
    except RuntimeError:  # symlink loop on some Python versions
        raise ImportError_("symbolic link loop", source=str(path)) from None
    if path.is_dir():
        raise ImportError_(f"is a folder, expected {what}", source=str(path))
    if not path.is_file():
        raise ImportError_(f"is not a regular file, expected {what}", source=str(path))
    try:
        return open(path, "rb"), st.st_size
    except OSError as exc:
        raise ImportError_(f"cannot be read: {exc.strerror or exc}", source=str(path)) from None


def _check_depth(obj, path: Path, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise ImportError_(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", source=str(path))
    if isinstance(obj, dict):
        for v in obj.values():
            _check_depth(v, path, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            _check_depth(v, path, depth + 1)


def _loads(raw: bytes, path: Path, what: str):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportError_(f"{what} is not UTF-8 text (byte {exc.start})", source=str(path)) from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportError_(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                           source=str(path)) from None
    except RecursionError:
        raise ImportError_(f"{what}: JSON nested too deeply", source=str(path)) from None
    _check_depth(obj, path)
    return obj


# --- safetensors ---------------------------------------------------------------------------

def read_safetensors_header(path: Path) -> list[tuple[str, list[int], str, float]]:
    """(name, shape, dtype, bytes) of every tensor, from the header alone.

    Layout: an 8-byte little-endian header length N, N bytes of JSON, then the data.  N is
    checked against the file's size before it is read."""
    path = Path(path)
    fh, size = _open_regular(path, "a .safetensors file")
    with fh:
        if size < 8:
            raise ImportError_(f"truncated: {size} bytes, shorter than the 8-byte header length", source=str(path),
                               field="header length")
        (n,) = struct.unpack("<Q", fh.read(8))
        if n > size - 8:
            raise ImportError_(f"header length {n:,} bytes is larger than the file ({size:,} bytes)",
                               source=str(path), field="header length")
        if n > MAX_SAFETENSORS_HEADER:
            raise ImportError_(f"header length {n:,} bytes exceeds the format's 100 MiB limit", source=str(path),
                               field="header length")
        raw = fh.read(n)
    header = _loads(raw, path, "header")
    if not isinstance(header, dict):
        raise ImportError_("header is not a JSON object", source=str(path), field="header")
    data_size = size - 8 - n
    tensors = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        tensors.append(_st_tensor(path, name, info, data_size))
    if not tensors:
        raise ImportError_("holds no tensors", source=str(path), field="header")
    return tensors


def _st_tensor(path: Path, name: str, info, data_size: int) -> tuple[str, list[int], str, float]:
    field = f"{name[:80]}"
    if not isinstance(info, dict):
        raise ImportError_("tensor entry is not an object", source=str(path), field=field)
    dtype = info.get("dtype")
    if not isinstance(dtype, str) or dtype not in ST_DTYPES:
        raise ImportError_(f"unknown dtype {str(dtype)[:20]!r}", source=str(path), field=f"{field}.dtype")
    shape = info.get("shape")
    if not isinstance(shape, list) or len(shape) > 16 or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**48 for d in shape):
        raise ImportError_("shape must be a list of at most 16 non-negative whole numbers", source=str(path),
                           field=f"{field}.shape")
    offsets = info.get("data_offsets")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
        raise ImportError_("data_offsets must be [begin, end]", source=str(path), field=f"{field}.data_offsets")
    begin, end = offsets
    nbytes = math.prod(shape) * ST_DTYPES[dtype] if shape else ST_DTYPES[dtype]
    if not 0 <= begin <= end:
        raise ImportError_(f"data_offsets [{begin}, {end}] are not increasing", source=str(path),
                           field=f"{field}.data_offsets")
    if end - begin != nbytes:
        raise ImportError_(f"data_offsets span {end - begin:,} bytes but shape × dtype is {nbytes:,.0f}",
                           source=str(path), field=f"{field}.data_offsets")
    if end > data_size:
        raise ImportError_(f"data ends at byte {end:,}, past the end of the file's data ({data_size:,} bytes): "
                           "truncated file", source=str(path), field=f"{field}.data_offsets")
    return name, shape, dtype, float(nbytes)


def read_safetensors_index(path: Path) -> list[tuple[str, list[int], str, float]]:
    """All tensors of a sharded checkpoint: the index's weight map and each shard's header."""
    path = Path(path)
    fh, size = _open_regular(path, "a model.safetensors.index.json")
    with fh:
        if size > MAX_CONFIG_BYTES:
            raise ImportError_("larger than 16 MiB, not an index", source=str(path))
        index = _loads(fh.read(), path, "index")
    wmap = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(wmap, dict) or not wmap:
        raise ImportError_("missing or empty", source=str(path), field="weight_map")
    shards = sorted({v for v in wmap.values()} if all(isinstance(v, str) for v in wmap.values()) else set())
    if not shards:
        raise ImportError_("shard names must be strings", source=str(path), field="weight_map")
    tensors = []
    for shard in shards:
        if "/" in shard or "\\" in shard or shard in (".", "..") or not shard.endswith(".safetensors"):
            raise ImportError_(f"shard name {shard[:80]!r} must be a .safetensors file beside the index",
                               source=str(path), field="weight_map")
        tensors += read_safetensors_header(path.parent / shard)
    return tensors


# --- GGUF --------------------------------------------------------------------------------------

class _Reader:
    """Bounds-checked little-endian reads from an open file."""

    def __init__(self, fh, size: int, path: Path):
        self.fh, self.size, self.path, self.pos = fh, size, path, 0

    def take(self, n: int, field: str) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise ImportError_(f"truncated: needs {n:,} more bytes at offset {self.pos:,} of {self.size:,}",
                               source=str(self.path), field=field)
        data = self.fh.read(n)
        self.pos += n
        return data

    def skip(self, n: int, field: str) -> None:
        if n < 0 or self.pos + n > self.size:
            raise ImportError_(f"truncated: needs {n:,} more bytes at offset {self.pos:,} of {self.size:,}",
                               source=str(self.path), field=field)
        self.fh.seek(n, os.SEEK_CUR)
        self.pos += n

    def unpack(self, fmt: str, field: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), field))[0]

    def string(self, field: str, keep: bool = True) -> str:
        n = self.unpack("<Q", field)
        if n > MAX_GGUF_STRING:
            raise ImportError_(f"string of {n:,} bytes is absurd", source=str(self.path), field=field)
        if not keep:
            self.skip(n, field)
            return ""
        raw = self.take(n, field)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportError_("string is not UTF-8", source=str(self.path), field=field) from None


def _gguf_value(r: _Reader, vtype: int, key: str, keep: bool):
    if vtype in GGUF_SCALARS:
        return r.unpack(GGUF_SCALARS[vtype], key)
    if vtype == 8:
        return r.string(key, keep)
    if vtype == 9:
        etype = r.unpack("<I", key)
        count = r.unpack("<Q", key)
        if count > r.size - r.pos:   # every element takes at least one byte
            raise ImportError_(f"array of {count:,} elements cannot fit in the file", source=str(r.path), field=key)
        if etype in GGUF_SCALARS:
            width = struct.calcsize(GGUF_SCALARS[etype])
            if not keep:
                r.skip(count * width, key)
                return count
            if count > 4096:
                r.skip(count * width, key)
                return count
            return [r.unpack(GGUF_SCALARS[etype], key) for _ in range(count)]
        if etype == 8:
            for _ in range(count):
                r.string(key, keep=False)
            return count   # arrays of strings (the vocabulary): only their length matters here
        raise ImportError_(f"array of unsupported type {etype}", source=str(r.path), field=key)
    raise ImportError_(f"unknown value type {vtype}", source=str(r.path), field=key)


def read_gguf(path: Path) -> tuple[dict, list[tuple[str, list[int], str, float]]]:
    """(metadata, tensors) of a GGUF file, from its header and tensor table alone."""
    path = Path(path)
    fh, size = _open_regular(path, "a .gguf file")
    with fh:
        r = _Reader(fh, size, path)
        if r.take(4, "magic") != b"GGUF":
            raise ImportError_("not a GGUF file (the magic bytes are not 'GGUF')", source=str(path), field="magic")
        version = r.unpack("<I", "version")
        if version not in (2, 3):
            raise ImportError_(f"GGUF version {version} is not supported (2 and 3 are)", source=str(path),
                               field="version")
        n_tensors = r.unpack("<Q", "tensor_count")
        n_kv = r.unpack("<Q", "metadata_kv_count")
        # each tensor info takes at least 28 bytes, each key/value at least 13: refuse absurd counts now
        if n_tensors * 28 > size or n_kv * 13 > size:
            raise ImportError_(f"{n_tensors:,} tensors and {n_kv:,} metadata keys cannot fit in {size:,} bytes",
                               source=str(path), field="tensor_count")
        meta: dict = {}
        for i in range(n_kv):
            key = r.string(f"metadata key #{i}")
            vtype = r.unpack("<I", key)
            keep = not key.startswith("tokenizer.ggml.") or key == "tokenizer.ggml.model"
            meta[key] = _gguf_value(r, vtype, key, keep)
        tensors = []
        for i in range(n_tensors):
            name = r.string(f"tensor #{i} name")
            n_dims = r.unpack("<I", name)
            if n_dims > 8:
                raise ImportError_(f"{n_dims} dimensions", source=str(path), field=name)
            dims = [r.unpack("<Q", name) for _ in range(n_dims)]
            ttype = r.unpack("<I", name)
            r.unpack("<Q", name)  # offset into the data section
            if ttype not in GGML_TYPES:
                raise ImportError_(f"unknown ggml type {ttype}", source=str(path), field=name)
            tname, block, per_block = GGML_TYPES[ttype]
            if any(d >= 2**48 for d in dims):
                raise ImportError_("absurd dimension", source=str(path), field=name)
            n = math.prod(dims) if dims else 1
            if dims and dims[0] % block:
                raise ImportError_(f"first dimension {dims[0]} is not a multiple of the {tname} block ({block})",
                                   source=str(path), field=name)
            tensors.append((name, dims, tname, float(n // block * per_block)))
        total = sum(t[3] for t in tensors)
        if total > size:
            raise ImportError_(f"tensors need {total:,.0f} bytes but the file has {size:,}: truncated",
                               source=str(path), field="tensor data")
    return meta, tensors


# llama.cpp's architecture names for the Hugging Face model types they convert from (the others match)
_GGUF_MODEL_TYPES = {"gemma3": "gemma3_text", "deepseek2": "deepseek_v2", "gpt-oss": "gpt_oss",
                     "qwen2moe": "qwen2_moe", "qwen3moe": "qwen3_moe", "qwen3next": "qwen3_next",
                     "qwen35": "qwen3_5_text", "qwen35moe": "qwen3_5_moe_text", "glm4moe": "glm4_moe",
                     "command-r": "cohere", "ernie4_5-moe": "ernie4_5_moe", "minimax-m2": "minimax_m2",
                     "gptneox": "gpt_neox", "phi2": "phi", "starcoder": "gpt_bigcode",
                     "hunyuan-dense": "hunyuan_v1_dense", "qwen3vl": "qwen3", "qwen3vlmoe": "qwen3_moe"}


def gguf_config(meta: dict, path: Path, tensor_names: set[str] | None = None) -> dict:
    """A Hugging Face style config dict from GGUF metadata keys (``tensor_names``: the file's
    tensors, where a layout shows only in which tensors exist)."""
    arch = meta.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise ImportError_("missing", source=str(path), field="general.architecture")

    def get(key, default=None):
        return meta.get(f"{arch}.{key}", default)

    if arch == "gemma4":
        return _gemma4_gguf_config(meta, path, tensor_names or set())
    if arch in ("nemotron_h", "nemotron_h_moe"):
        return _nemotron_gguf_config(meta, path, arch)
    if arch == "granitehybrid":
        return _granitehybrid_gguf_config(meta, path, tensor_names)
    if arch == "falcon-h1":
        return _falconh1_gguf_config(meta, path, tensor_names)
    if arch in ("mamba", "mamba2"):
        return _mamba_gguf_config(meta, path, arch, tensor_names)
    if arch == "jamba":
        return _jamba_gguf_config(meta, path, tensor_names)
    if arch == "lfm2":
        return _lfm2_gguf_config(meta, path, tensor_names)
    if arch == "mimo2":
        return _mimo2_gguf_config(meta, path)
    if arch == "deepseek4":
        return _deepseek4_gguf_config(meta, path)
    if arch == "deci":
        return _deci_gguf_config(meta, path)

    cfg = {"model_type": _GGUF_MODEL_TYPES.get(arch, arch),
           "hidden_size": get("embedding_length"), "num_hidden_layers": get("block_count"),
           "intermediate_size": get("feed_forward_length"), "num_attention_heads": get("attention.head_count"),
           "num_key_value_heads": get("attention.head_count_kv"), "max_position_embeddings": get("context_length")}
    if get("attention.layer_norm_epsilon") is not None and get("attention.layer_norm_rms_epsilon") is None:
        cfg["layer_norm_eps"] = get("attention.layer_norm_epsilon")     # LayerNorm: a bias beside each weight
    else:
        cfg["rms_norm_eps"] = get("attention.layer_norm_rms_epsilon", 1e-6)
    vocab = get("vocab_size") or meta.get("tokenizer.ggml.tokens")
    cfg["vocab_size"] = vocab
    if get("attention.key_length"):
        cfg["head_dim"] = get("attention.key_length")
    if get("expert_count"):
        cfg.update(num_local_experts=get("expert_count"), num_experts_per_tok=get("expert_used_count"),
                   moe_intermediate_size=get("expert_feed_forward_length") or get("feed_forward_length"))
    if get("expert_shared_feed_forward_length"):
        cfg["shared_expert_intermediate_size"] = get("expert_shared_feed_forward_length")
    elif get("expert_shared_count"):   # DeepSeek, GLM-4.5: shared experts as wide as a routed one
        cfg["n_shared_experts"] = get("expert_shared_count")
    if get("leading_dense_block_count"):
        cfg["first_k_dense_replace"] = get("leading_dense_block_count")
    if get("expert_gating_func") == 2:   # sigmoid routing with a score-correction bias (DeepSeek-V3's exp_probs_b)
        cfg["topk_method"] = "noaux_tc"
    if get("nextn_predict_layers") and cfg["num_hidden_layers"]:   # GLM-4.5 stores its MTP layer as a block
        cfg["num_hidden_layers"] -= get("nextn_predict_layers")
    if arch not in ("qwen3next", "qwen35", "qwen35moe") and get("ssm.state_size"):
        cfg["ssm_state_size"] = get("ssm.state_size")   # Mamba / RWKV-style layers: refused by name
    elif get("ssm.time_step_rank") and get("ssm.group_count"):   # Gated DeltaNet (llama.cpp's converter)
        cfg.update(linear_num_value_heads=get("ssm.time_step_rank"), linear_num_key_heads=get("ssm.group_count"),
                   linear_key_head_dim=get("ssm.state_size"), linear_value_head_dim=get("ssm.state_size"),
                   linear_conv_kernel_dim=get("ssm.conv_kernel"),
                   full_attention_interval=get("full_attention_interval", 4))
    if get("attention.sliding_window"):
        cfg["sliding_window"] = get("attention.sliding_window")
    if get("attention.kv_lora_rank"):
        rope = get("rope.dimension_count")
        # since llama.cpp's MLA cache (2025) key_length / value_length describe the cached latent (576 / 512)
        # and the heads' widths moved to key_length_mla / value_length_mla (192 / 128)
        mla = "_mla" if get("attention.key_length_mla") else ""
        key, value = get(f"attention.key_length{mla}"), get(f"attention.value_length{mla}")
        cfg.update(kv_lora_rank=get("attention.kv_lora_rank"), q_lora_rank=get("attention.q_lora_rank"),
                   qk_rope_head_dim=rope, v_head_dim=value)
        if not mla:   # a file converted before the MLA tensors: llama.cpp runs it with up-projected heads
            cfg[GGUF_UP_PROJECTED_MLA] = True
        if isinstance(key, int) and isinstance(rope, int):
            cfg.update(qk_nope_head_dim=key - rope, head_dim=key)
    for key, value in cfg.items():
        if isinstance(value, list):
            raise ImportError_("expected a number, found an array", source=str(path), field=f"{arch}.{key}")
    return {k: v for k, v in cfg.items() if v is not None}


def _gguf_layers(meta: dict, arch: str, path: Path) -> int:
    """The model's layers: ``block_count`` less the MTP blocks exported after them (``nextn_predict_layers``)."""
    blocks = meta.get(f"{arch}.block_count")
    if not isinstance(blocks, int) or blocks < 1:
        raise ImportError_("expected a whole number of layers", source=str(path), field=f"{arch}.block_count")
    return blocks - (meta.get(f"{arch}.nextn_predict_layers", 0) or 0)


def _gguf_per_layer(meta: dict, arch: str, key: str, layers: int, path: Path, scalar: bool = False) -> list[int]:
    """A per-layer array's first ``layers`` whole numbers (an MTP block's entries after them left out); with
    ``scalar`` a single number (or none: 0) stands for every layer."""
    value = meta.get(f"{arch}.{key}", 0 if scalar else None)
    values = [value] * layers if scalar and not isinstance(value, list) else value
    if not isinstance(values, list) or len(values) < layers or not all(isinstance(v, int) for v in values[:layers]):
        raise ImportError_(f"expected {layers} whole numbers, one per layer", source=str(path), field=f"{arch}.{key}")
    return values[:layers]


def _nemotron_gguf_config(meta: dict, path: Path, arch: str) -> dict:
    """Nemotron-H's GGUF keys (llama.cpp's converter): a layer's kind shows in its per-layer arrays (KV heads
    for an attention layer, an MLP / MoE width for a feed-forward one, neither for a Mamba-2 layer); the Mamba
    mixer's heads as ``ssm.time_step_rank`` and its width as ``ssm.inner_size``; an MTP block, when exported,
    after the ``block_count - nextn_predict_layers`` layers."""
    def get(key, default=None):
        return meta.get(f"{arch}.{key}", default)

    L = _gguf_layers(meta, arch, path)   # noqa: N806
    kv = _gguf_per_layer(meta, arch, "attention.head_count_kv", L, path, scalar=True)
    ff = _gguf_per_layer(meta, arch, "feed_forward_length", L, path, scalar=True)
    moe = arch == "nemotron_h_moe"
    blocks = "".join("*" if k else ("E" if moe else "-") if f else "M" for k, f in zip(kv, ff, strict=True))
    heads, inner = get("ssm.time_step_rank"), get("ssm.inner_size")
    if "M" in blocks and not (isinstance(heads, int) and isinstance(inner, int) and heads > 0 and inner % heads == 0):
        raise ImportError_("the Mamba-2 heads must divide ssm.inner_size", source=str(path),
                           field=f"{arch}.ssm.time_step_rank")
    q_heads = get("attention.head_count")
    cfg = {"model_type": "nemotron_h", "hidden_size": get("embedding_length"), "num_hidden_layers": L,
           "hybrid_override_pattern": blocks,
           "num_attention_heads": max(q_heads[:L]) if isinstance(q_heads, list) else q_heads,
           "num_key_value_heads": max(kv) or None, "head_dim": get("attention.key_length"),
           "intermediate_size": max(ff) or None, "max_position_embeddings": get("context_length"),
           "rms_norm_eps": get("attention.layer_norm_rms_epsilon", 1e-5),
           "vocab_size": get("vocab_size") or meta.get("tokenizer.ggml.tokens"),
           "mamba_num_heads": heads, "mamba_head_dim": inner // heads if heads and inner else None,
           "ssm_state_size": get("ssm.state_size"), "n_groups": get("ssm.group_count"),
           "conv_kernel": get("ssm.conv_kernel")}
    if moe:
        cfg.update(n_routed_experts=get("expert_count"), num_experts_per_tok=get("expert_used_count"),
                   moe_intermediate_size=get("expert_feed_forward_length"),
                   moe_shared_expert_intermediate_size=get("expert_shared_feed_forward_length"),
                   n_shared_experts=get("expert_shared_count", 1 if get("expert_shared_feed_forward_length") else 0),
                   moe_latent_size=get("moe_latent_size"))   # (Nemotron 3 Super's LatentMoE: llama.cpp's key)
    return {k: v for k, v in cfg.items() if v is not None}


def _deci_gguf_config(meta: dict, path: Path) -> dict:
    """Nemotron-NAS (llama.cpp's ``deci``: Llama-3.3-Nemotron-Super-49B, Llama-3.1-Nemotron-Ultra-253B) as
    the ``block_configs`` of its config.json: per layer, no query heads for a layer without attention, no KV
    heads beside query heads for one replaced by a linear layer (Nemotron-51B's: refused on reading), and no
    MLP width for one without an MLP."""
    L = _gguf_layers(meta, "deci", path)    # noqa: N806
    heads = _gguf_per_layer(meta, "deci", "attention.head_count", L, path, scalar=True)
    kv = _gguf_per_layer(meta, "deci", "attention.head_count_kv", L, path, scalar=True)
    ff = _gguf_per_layer(meta, "deci", "feed_forward_length", L, path, scalar=True)
    blocks = []
    for n, k, f in zip(heads, kv, ff, strict=True):
        attn = {"no_op": True} if n == 0 else {"replace_with_linear": True} if k == 0 else \
            {"n_heads_in_group": n // k if n % k == 0 else n / k}
        blocks.append({"attention": attn, "ffn": {"no_op": True} if f == 0 else {"intermediate_size": f}})
    cfg = {"model_type": "nemotron-nas", "hidden_size": meta.get("deci.embedding_length"), "num_hidden_layers": L,
           "num_attention_heads": max(heads), "head_dim": meta.get("deci.attention.key_length"),
           "max_position_embeddings": meta.get("deci.context_length"),
           "rms_norm_eps": meta.get("deci.attention.layer_norm_rms_epsilon", 1e-5),
           "vocab_size": meta.get("deci.vocab_size") or meta.get("tokenizer.ggml.tokens"), "block_configs": blocks}
    return {k: v for k, v in cfg.items() if v is not None}


def _granitehybrid_gguf_config(meta: dict, path: Path, tensor_names: set[str] | None) -> dict:
    """Granite 4.0-H's and Bamba's GGUF keys (llama.cpp's granitehybrid): a layer's mixer shows in the
    per-layer ``attention.head_count_kv`` (0 for a Mamba-2 layer); the mixer's heads as ``ssm.time_step_rank``
    and its width as ``ssm.inner_size``; experts with a shared MLP (``expert_shared_feed_forward_length``)
    for Granite's MoE models, the shared MLP alone for its dense ones, a plain MLP (neither key) for Bamba.
    A model without RoPE is written with a context of 2^20 (``rope.scaling.finetuned`` false).  The output
    layer shares the token table where the file holds no ``output.weight`` (Granite 4.0's are tied)."""
    arch = "granitehybrid"

    def get(key, default=None):
        return meta.get(f"{arch}.{key}", default)

    L = _gguf_layers(meta, arch, path)   # noqa: N806
    kv = _gguf_per_layer(meta, arch, "attention.head_count_kv", L, path, scalar=True)
    heads, inner = get("ssm.time_step_rank"), get("ssm.inner_size")
    if 0 in kv and not (isinstance(heads, int) and isinstance(inner, int) and heads > 0 and inner % heads == 0):
        raise ImportError_("the Mamba-2 heads must divide ssm.inner_size", source=str(path),
                           field=f"{arch}.ssm.time_step_rank")
    experts, shared = get("expert_count") or 0, get("expert_shared_feed_forward_length")
    bamba = not experts and shared is None
    cfg = {"model_type": "bamba" if bamba else "granitemoehybrid", "hidden_size": get("embedding_length"),
           "num_hidden_layers": L, "num_attention_heads": get("attention.head_count"),
           "num_key_value_heads": max(kv) or None, "intermediate_size": get("feed_forward_length"),
           "max_position_embeddings": get("context_length"),
           "rms_norm_eps": get("attention.layer_norm_rms_epsilon", 1e-5),
           "vocab_size": get("vocab_size") or meta.get("tokenizer.ggml.tokens"),
           "mamba_n_heads": heads, "mamba_d_head": inner // heads if heads and inner else None,
           "mamba_d_state": get("ssm.state_size"), "mamba_n_groups": get("ssm.group_count"),
           "mamba_d_conv": get("ssm.conv_kernel"),
           "tie_word_embeddings": None if tensor_names is None else "output.weight" not in tensor_names}
    if bamba:
        cfg["attn_layer_indices"] = [i for i, k in enumerate(kv) if k]
    else:
        cfg.update(layer_types=["attention" if k else "mamba" for k in kv], num_local_experts=experts,
                   num_experts_per_tok=get("expert_used_count"), shared_intermediate_size=shared,
                   position_embedding_type="rope" if get("rope.scaling.finetuned") else "nope")
    return {k: v for k, v in cfg.items() if v is not None}


def _ssm_width(meta: dict, arch: str, path: Path) -> tuple[int, int]:
    """(hidden size, the Mamba mixer's width ``ssm.inner_size``): a whole multiple of it (transformers'
    ``expand``), else refused naming the key."""
    d, inner = meta.get(f"{arch}.embedding_length"), meta.get(f"{arch}.ssm.inner_size")
    if not (isinstance(d, int) and isinstance(inner, int) and d > 0 and inner % d == 0):
        raise ImportError_("expected a whole multiple of embedding_length", source=str(path),
                           field=f"{arch}.ssm.inner_size")
    return d, inner


def _mamba_gguf_config(meta: dict, path: Path, arch: str, tensor_names: set[str] | None) -> dict:
    """Pure Mamba models' GGUF keys (llama.cpp's mamba, which Falcon Mamba's converter writes too, and
    mamba2): the mixer's width ``ssm.inner_size`` (a whole multiple of the hidden size), the time step's rank
    (Mamba-2: its heads) as ``ssm.time_step_rank``; tied where the file holds no ``output.weight``."""
    def get(key, default=None):
        return meta.get(f"{arch}.{key}", default)

    d, inner = _ssm_width(meta, arch, path)
    rank = get("ssm.time_step_rank")
    if not (isinstance(rank, int) and rank > 0 and (arch == "mamba" or inner % rank == 0)):
        raise ImportError_("expected a positive number" + (" dividing ssm.inner_size" if arch == "mamba2" else ""),
                           source=str(path), field=f"{arch}.ssm.time_step_rank")
    cfg = {"model_type": arch, "hidden_size": d, "num_hidden_layers": _gguf_layers(meta, arch, path),
           "expand": inner // d, "state_size": get("ssm.state_size"), "conv_kernel": get("ssm.conv_kernel"),
           "max_position_embeddings": get("context_length"),
           "vocab_size": get("vocab_size") or meta.get("tokenizer.ggml.tokens"),
           "tie_word_embeddings": None if tensor_names is None else "output.weight" not in tensor_names}
    if arch == "mamba":
        cfg["time_step_rank"] = rank
    else:
        cfg.update(num_heads=rank, head_dim=inner // rank, n_groups=get("ssm.group_count"))
    return {k: v for k, v in cfg.items() if v is not None}


def _every(layers: list[int], L: int, path: Path, field: str) -> tuple[int, int]:  # noqa: N803
    """(period, offset) such that exactly ``layers`` of ``L`` have i % period == offset (Jamba's way of
    placing its attention layers and experts); a placement not of that form is refused naming ``field``."""
    if not layers:
        return L + 1, L
    period = layers[1] - layers[0] if len(layers) > 1 else L
    offset = layers[0]
    if offset >= period or layers != list(range(offset, L, period)):
        raise ImportError_(f"layers {layers[:6]}... are not every n-th layer from one offset (Jamba's "
                           "period and offset)", source=str(path), field=field)
    return period, offset


def _jamba_gguf_config(meta: dict, path: Path, tensor_names: set[str] | None) -> dict:
    """Jamba's GGUF keys (llama.cpp's jamba): attention where the per-layer ``attention.head_count_kv`` is not
    0, a Mamba mixer elsewhere (``ssm.inner_size`` wide, a whole multiple of the hidden size; the time step's
    rank ``ssm.time_step_rank``); experts in the layers whose router (``blk.N.ffn_gate_inp``) the file holds,
    without the tensors' names every other layer from the second (transformers' default); tied where the file
    holds no ``output.weight``."""
    def get(key, default=None):
        return meta.get(f"jamba.{key}", default)

    L = _gguf_layers(meta, "jamba", path)   # noqa: N806
    kv = _gguf_per_layer(meta, "jamba", "attention.head_count_kv", L, path, scalar=True)
    attn_period, attn_offset = _every([i for i, k in enumerate(kv) if k], L, path, "jamba.attention.head_count_kv")
    d, inner = _ssm_width(meta, "jamba", path)
    experts = get("expert_count") or 0
    moe_period, moe_offset = 2, 1
    if tensor_names is not None and experts > 1:
        moe_period, moe_offset = _every([i for i in range(L) if f"blk.{i}.ffn_gate_inp.weight" in tensor_names], L,
                                        path, "blk.N.ffn_gate_inp.weight")
    cfg = {"model_type": "jamba", "hidden_size": d, "num_hidden_layers": L,
           "num_attention_heads": get("attention.head_count"), "num_key_value_heads": max(kv) or None,
           "intermediate_size": get("feed_forward_length"), "max_position_embeddings": get("context_length"),
           "rms_norm_eps": get("attention.layer_norm_rms_epsilon", 1e-6),
           "vocab_size": get("vocab_size") or meta.get("tokenizer.ggml.tokens"),
           "attn_layer_period": attn_period, "attn_layer_offset": attn_offset,
           "expert_layer_period": moe_period, "expert_layer_offset": moe_offset,
           "num_experts": experts or 1, "num_experts_per_tok": get("expert_used_count") or 1,
           "mamba_expand": inner // d, "mamba_d_state": get("ssm.state_size"), "mamba_d_conv": get("ssm.conv_kernel"),
           "mamba_dt_rank": get("ssm.time_step_rank"),
           "tie_word_embeddings": None if tensor_names is None else "output.weight" not in tensor_names}
    return {k: v for k, v in cfg.items() if v is not None}


def _lfm2_gguf_config(meta: dict, path: Path, tensor_names: set[str] | None) -> dict:
    """LFM2's GGUF keys (llama.cpp's lfm2): attention where the per-layer ``attention.head_count_kv`` is not 0, a
    short convolution elsewhere (its width ``shortconv.l_cache``); ``feed_forward_length`` is the MLP's width as
    the weights have it (no adjustment left to make); tied where the file holds no ``output.weight``."""
    def get(key, default=None):
        return meta.get(f"lfm2.{key}", default)

    L = _gguf_layers(meta, "lfm2", path)   # noqa: N806
    kv = _gguf_per_layer(meta, "lfm2", "attention.head_count_kv", L, path, scalar=True)
    cfg = {"model_type": "lfm2", "hidden_size": get("embedding_length"), "num_hidden_layers": L,
           "num_attention_heads": get("attention.head_count"), "num_key_value_heads": max(kv) or None,
           "block_ff_dim": get("feed_forward_length"), "block_auto_adjust_ff_dim": False,
           "max_position_embeddings": get("context_length"), "conv_L_cache": get("shortconv.l_cache"),
           "layer_types": ["full_attention" if k else "conv" for k in kv],
           "vocab_size": get("vocab_size") or meta.get("tokenizer.ggml.tokens"),
           "tie_word_embeddings": None if tensor_names is None else "output.weight" not in tensor_names}
    return {k: v for k, v in cfg.items() if v is not None}


def _falconh1_gguf_config(meta: dict, path: Path, tensor_names: set[str] | None) -> dict:
    """Falcon-H1's GGUF keys (llama.cpp's falcon-h1): attention and a Mamba-2 mixer in every layer, the
    mixer's heads as ``ssm.time_step_rank``, its width as ``ssm.inner_size``, the attention heads' width as
    ``attention.key_length``; the mixer's gated norm where the file holds its ``ssm_norm`` tensors, the output
    layer shared with the token table where it holds no ``output.weight``."""
    def get(key, default=None):
        return meta.get(f"falcon-h1.{key}", default)

    heads, inner = get("ssm.time_step_rank"), get("ssm.inner_size")
    if not (isinstance(heads, int) and isinstance(inner, int) and heads > 0 and inner % heads == 0):
        raise ImportError_("the Mamba-2 heads must divide ssm.inner_size", source=str(path),
                           field="falcon-h1.ssm.time_step_rank")
    names = tensor_names or set()
    cfg = {"model_type": "falcon_h1", "hidden_size": get("embedding_length"),
           "num_hidden_layers": _gguf_layers(meta, "falcon-h1", path),
           "num_attention_heads": get("attention.head_count"), "num_key_value_heads": get("attention.head_count_kv"),
           "head_dim": get("attention.key_length"), "intermediate_size": get("feed_forward_length"),
           "max_position_embeddings": get("context_length"),
           "rms_norm_eps": get("attention.layer_norm_rms_epsilon", 1e-5),
           "vocab_size": get("vocab_size") or meta.get("tokenizer.ggml.tokens"),
           "mamba_n_heads": heads, "mamba_d_ssm": inner, "mamba_d_head": inner // heads,
           "mamba_d_state": get("ssm.state_size"), "mamba_n_groups": get("ssm.group_count"),
           "mamba_d_conv": get("ssm.conv_kernel"),
           "mamba_rms_norm": None if tensor_names is None else "blk.0.ssm_norm.weight" in names,
           "tie_word_embeddings": None if tensor_names is None else "output.weight" not in names}
    return {k: v for k, v in cfg.items() if v is not None}


def _deepseek4_gguf_config(meta: dict, path: Path) -> dict:
    """DeepSeek-V4's GGUF keys (deepseek4): the per-layer ``attention.compress_ratios``, the query and output
    projections' ranks and groups, the indexer's heads, key width and top-k, the hyper-connections' streams and
    the hash-routed layers, read as its config.json names them."""
    def get(key, default=None):
        return meta.get(f"deepseek4.{key}", default)

    L = get("block_count")   # noqa: N806
    ratios = get("attention.compress_ratios")
    if not isinstance(L, int) or not isinstance(ratios, list) or len(ratios) < L:
        raise ImportError_(f"expected one compression rate per layer ({L} of them)", source=str(path),
                           field="deepseek4.attention.compress_ratios")
    return {k: v for k, v in {
        "model_type": "deepseek_v4", "hidden_size": get("embedding_length"), "num_hidden_layers": L,
        "num_attention_heads": get("attention.head_count"), "num_key_value_heads": get("attention.head_count_kv", 1),
        "head_dim": get("attention.key_length"), "q_lora_rank": get("attention.q_lora_rank"),
        "o_lora_rank": get("attention.output_lora_rank"), "o_groups": get("attention.output_group_count"),
        "qk_rope_head_dim": get("rope.dimension_count"), "sliding_window": get("attention.sliding_window"),
        "index_n_heads": get("attention.indexer.head_count"), "index_head_dim": get("attention.indexer.key_length"),
        "index_topk": get("attention.indexer.top_k"), "compress_ratios": ratios[:L],
        "n_routed_experts": get("expert_count"), "num_experts_per_tok": get("expert_used_count"),
        "moe_intermediate_size": get("expert_feed_forward_length"), "n_shared_experts": get("expert_shared_count"),
        "num_hash_layers": get("hash_layer_count"), "hc_mult": get("hyper_connection.count"),
        "max_position_embeddings": get("context_length"),
        "vocab_size": get("vocab_size") or meta.get("tokenizer.ggml.tokens")}.items() if v is not None}


def _mimo2_gguf_config(meta: dict, path: Path) -> dict:
    """MiMo-V2-Flash's GGUF keys (llama.cpp's mimo2): which layers are windowed (``sliding_window_pattern``, 1 for
    a windowed layer) and their KV heads (``head_count_kv``, one per layer: more in the windowed ones), keys and
    values of their own widths, the leading dense layers before the experts; MTP blocks after the layers.  Read
    in the form Xiaomi's config.json has (``hybrid_layer_pattern``, ``swa_*`` keys)."""
    def get(key, default=None):
        return meta.get(f"mimo2.{key}", default)

    L = _gguf_layers(meta, "mimo2", path)   # noqa: N806
    pattern = [int(bool(v)) for v in _gguf_per_layer(meta, "mimo2", "attention.sliding_window_pattern", L, path)]
    kv = _gguf_per_layer(meta, "mimo2", "attention.head_count_kv", L, path)
    full = {k for k, w in zip(kv, pattern, strict=True) if not w}
    windowed = {k for k, w in zip(kv, pattern, strict=True) if w}
    if len(full) > 1 or len(windowed) > 1:
        raise ImportError_("expected one KV head count for the full layers and one for the windowed",
                           source=str(path), field="mimo2.attention.head_count_kv")
    full_kv = full.pop() if full else max(windowed)
    dense = get("leading_dense_block_count", 0) or 0
    return {k: v for k, v in {
        "model_type": "mimo_v2_flash", "hidden_size": get("embedding_length"), "num_hidden_layers": L,
        "num_attention_heads": get("attention.head_count"), "num_key_value_heads": full_kv,
        "swa_num_key_value_heads": windowed.pop() if windowed else full_kv,
        "head_dim": get("attention.key_length"), "v_head_dim": get("attention.value_length"),
        "swa_head_dim": get("attention.key_length"), "swa_v_head_dim": get("attention.value_length"),
        "sliding_window": get("attention.sliding_window"), "hybrid_layer_pattern": pattern,
        "add_swa_attention_sink_bias": True, "intermediate_size": get("feed_forward_length"),
        "moe_intermediate_size": get("expert_feed_forward_length"), "n_routed_experts": get("expert_count"),
        "num_experts_per_tok": get("expert_used_count"), "moe_layer_freq": [0] * dense + [1] * (L - dense),
        "max_position_embeddings": get("context_length"),
        "rms_norm_eps": get("attention.layer_norm_rms_epsilon", 1e-6),
        "vocab_size": get("vocab_size") or meta.get("tokenizer.ggml.tokens")}.items() if v is not None}


def _gemma4_gguf_config(meta: dict, path: Path, tensor_names: set[str]) -> dict:
    """Gemma 4's GGUF keys: a sliding-window pattern and KV heads per layer, the windowed
    layers' head width (``key_length_swa``) apart from the full layers' (``key_length``), and
    full layers without an ``attn_v`` tensor where the key serves as value."""
    def get(key, default=None):
        return meta.get(f"gemma4.{key}", default)

    L = get("block_count")
    pattern = get("attention.sliding_window_pattern")
    if not isinstance(L, int) or not isinstance(pattern, list) or len(pattern) != L:
        raise ImportError_("expected one true/false per layer (block_count of them)", source=str(path),
                           field="gemma4.attention.sliding_window_pattern")
    full = [i for i, swa in enumerate(pattern) if not swa]
    local = [i for i, swa in enumerate(pattern) if swa]

    def per_layer(key, layers):
        value = get(key)
        if isinstance(value, list):
            if len(value) != L:
                raise ImportError_(f"expected {L} values, one per layer", source=str(path), field=f"gemma4.{key}")
            return value[layers[0]] if layers else value[0]
        return value

    k_eq_v = bool(full) and f"blk.{full[0]}.attn_v.weight" not in tensor_names
    cfg = {"model_type": "gemma4_text", "hidden_size": get("embedding_length"), "num_hidden_layers": L,
           "num_attention_heads": per_layer("attention.head_count", local or full),
           "num_key_value_heads": per_layer("attention.head_count_kv", local or full),
           "head_dim": get("attention.key_length_swa", get("attention.key_length")),
           "global_head_dim": get("attention.key_length"), "attention_k_eq_v": k_eq_v,
           "intermediate_size": per_layer("feed_forward_length", local or full),
           "max_position_embeddings": get("context_length"), "sliding_window": get("attention.sliding_window"),
           "layer_types": ["sliding_attention" if swa else "full_attention" for swa in pattern],
           "hidden_size_per_layer_input": get("embedding_length_per_layer_input", 0),
           "num_kv_shared_layers": get("attention.shared_kv_layers", 0), "rms_norm_eps": 1e-6,
           "vocab_size": get("vocab_size") or meta.get("tokenizer.ggml.tokens")}
    if k_eq_v:
        cfg["num_global_key_value_heads"] = per_layer("attention.head_count_kv", full)
    ff = get("feed_forward_length")
    if isinstance(ff, list) and ff and max(ff) == 2 * min(ff):   # E2B: the layers sharing a cache have twice the MLP
        cfg.update(intermediate_size=min(ff), use_double_wide_mlp=True)
    if get("expert_count"):
        cfg.update(enable_moe_block=True, num_experts=get("expert_count"), top_k_experts=get("expert_used_count"),
                   moe_intermediate_size=get("expert_feed_forward_length"))
    return {k: v for k, v in cfg.items() if v is not None}


# --- Mistral's own format (params.json) ----------------------------------------------------------

#: The context vLLM assumes for a params.json that names none (its Mistral config parser, without a config.json
#: beside the file): Mistral 7B's and Mixtral's first releases name no limit.
MISTRAL_DEFAULT_CONTEXT = 128_000
_MISTRAL_RENAMES = {"dim": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
                    "n_kv_heads": "num_key_value_heads", "hidden_dim": "intermediate_size", "norm_eps": "rms_norm_eps",
                    "head_dim": "head_dim", "vocab_size": "vocab_size", "rope_theta": "rope_theta",
                    "tied_embeddings": "tie_word_embeddings", "max_position_embeddings": "max_position_embeddings"}
_MISTRAL_MLA = ("q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")
# a Large-3-style MoE block (shared experts, dense first layers) -> DeepSeek-V3's keys, as vLLM lifts them
_MISTRAL_MOE = {"num_experts": "n_routed_experts", "num_experts_per_tok": "num_experts_per_tok",
                "expert_hidden_dim": "moe_intermediate_size", "num_shared_experts": "n_shared_experts",
                "first_k_dense_replace": "first_k_dense_replace", "route_every_n": "moe_layer_freq",
                "routed_scale": "routed_scaling_factor", "num_expert_groups": "n_group",
                "num_expert_groups_per_tok": "topk_group"}


def mistral_params_config(params: dict, path: Path) -> tuple[dict, str | None]:
    """A Hugging Face config for the checkpoint a Mistral ``params.json`` describes (the file Mistral ships with
    ``consolidated*.safetensors``; Mistral Large 3 ships nothing else), keyed as transformers' Mistral, Mixtral,
    DeepSeek-V3 (Large 3: latent attention and shared experts) and LLaVA / Mistral 3 (a Pixtral
    ``vision_encoder``) configs are, the way vLLM's loader reads the file; and a note where the file leaves the
    context limit out (``MISTRAL_DEFAULT_CONTEXT`` then, as vLLM).  Missing or bad keys raise
    :class:`ImportError_` naming ``params.json``'s own key."""
    src = str(path)

    def whole(key: str, where: dict = params, prefix: str = "", optional: bool = False) -> int | None:
        value = where.get(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ImportError_("missing" if value is None else f"expected a whole number >= 1, got {value!r:.40}",
                               source=src, field=prefix + key)
        return value

    if params.get("model_type") == "mamba" or "n_groups" in params:
        raise ImportError_("a Mamba-2 checkpoint (Mamba-Codestral) in Mistral's format: import the config.json "
                           "of its Hugging Face release instead", source=src, field="model_type")
    for key in ("dim", "n_layers", "n_heads", "hidden_dim", "vocab_size"):
        whole(key)
    for key in ("n_kv_heads", "head_dim", "max_position_embeddings", "max_seq_len"):
        whole(key, optional=True)
    if not isinstance(params.get("tied_embeddings", False), bool):
        raise ImportError_(f"expected true or false, got {params['tied_embeddings']!r:.40}", source=src,
                           field="tied_embeddings")
    text = {_MISTRAL_RENAMES[k]: v for k, v in params.items() if k in _MISTRAL_RENAMES and v is not None}
    text.setdefault("num_key_value_heads", params["n_heads"])
    text.setdefault("tie_word_embeddings", False)
    note = None
    if "max_position_embeddings" not in text:
        limit = params.get("max_seq_len")
        if limit is None:
            limit = MISTRAL_DEFAULT_CONTEXT
            note = (f"params.json names no context limit: {MISTRAL_DEFAULT_CONTEXT:,} tokens assumed, as vLLM "
                    "does for such a file")
        text["max_position_embeddings"] = limit
    window = params.get("sliding_window")
    if isinstance(window, list):    # one entry a layer: null for the layers attending to the whole context
        sizes = {w for w in window if w is not None}
        if len(sizes) > 1 or any(isinstance(w, bool) or not isinstance(w, int) for w in sizes):
            raise ImportError_("expected one window size (null for the full layers)", source=src,
                               field="sliding_window")
        if sizes:
            n = params["n_layers"]
            text["sliding_window"] = sizes.pop()
            text["layer_types"] = ["full_attention" if window[i % len(window)] is None else "sliding_attention"
                                   for i in range(n)]
    elif window is not None:
        text["sliding_window"] = window
    yarn = params.get("yarn")
    if isinstance(yarn, dict):
        text["rope_scaling"] = {"rope_type": "yarn", "factor": yarn.get("factor"),
                                "original_max_position_embeddings": yarn.get("original_max_position_embeddings")}
    mla = any(params.get(k) is not None for k in _MISTRAL_MLA)
    if mla:
        for key in _MISTRAL_MLA:
            if key != "q_lora_rank" or params.get(key) is not None:
                whole(key)
            text[key] = params.get(key)
    moe = params.get("moe")
    if moe is not None and not isinstance(moe, dict):
        raise ImportError_("expected an object", source=src, field="moe")
    if moe:
        whole("num_experts", moe, "moe.")
        whole("num_experts_per_tok", moe, "moe.")
        if mla or moe.get("num_shared_experts"):
            if not mla:
                raise ImportError_("shared experts without latent attention: a layout vramgui does not read from "
                                   "params.json", source=src, field="moe.num_shared_experts")
            whole("expert_hidden_dim", moe, "moe.")
            text.update({hf: moe[k] for k, hf in _MISTRAL_MOE.items() if moe.get(k) is not None})
            text.update(model_type="deepseek_v3", scoring_func="softmax", norm_topk_prob=True)
        else:   # Mixtral: every layer's feed-forward is the experts, hidden_dim wide
            text.update(model_type="mixtral", num_local_experts=moe["num_experts"],
                        num_experts_per_tok=moe["num_experts_per_tok"])
    elif mla:   # latent attention over dense layers: DeepSeek-V3's keys with every layer dense
        text.update(model_type="deepseek_v3", first_k_dense_replace=params["n_layers"], n_routed_experts=1,
                    num_experts_per_tok=1, moe_intermediate_size=params["hidden_dim"])
    else:
        text["model_type"] = "mistral"
    cfg = text
    vision = params.get("vision_encoder")
    if vision is not None:
        if not isinstance(vision, dict):
            raise ImportError_("expected an object", source=src, field="vision_encoder")
        for key in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "patch_size"):
            whole(key, vision, "vision_encoder.")
        merge = whole("spatial_merge_size", vision, "vision_encoder.", optional=True) or 1
        merger = merge > 1 or vision.get("mm_projector_id") == "patch_merge"
        keep = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "patch_size",
                "image_size", "num_channels", "rope_theta", "head_dim")
        cfg = {"model_type": "mistral3" if merger else "llava", "text_config": text,
               "vision_config": {"model_type": "pixtral", **{k: vision[k] for k in keep if k in vision}},
               "multimodal_projector_bias": bool(vision.get("adapter_bias", True)),
               "tie_word_embeddings": text["tie_word_embeddings"]}   # (the wrapper builds the LM head)
        if merger:
            cfg["spatial_merge_size"] = merge
    quant = params.get("quantization_config") or params.get("quantization")
    if isinstance(quant, dict):
        if str(quant.get("qformat_weight", "")).lower().startswith("fp8"):
            quant = {"quant_method": "fp8"}
        cfg["quantization_config"] = quant
    return cfg, note


# --- entry point ---------------------------------------------------------------------------------

def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9.\-_]+", "-", text.lower()).strip("-._")
    return (s or "imported")[:64]


def _preset(cfg: dict, name: str, source: str, path: Path, weights: FileWeights | None,
            note: str | None = None) -> ModelPreset:
    architecture_from_hf_config(cfg, source=str(path))   # errors name the file, not the preset
    try:
        return ModelPreset(id=_slug(name), name=name, family="Imported", source=source, source_note=note,
                           config=cfg, file_weights=weights)
    except ValidationError as exc:
        raise ImportError_(pydantic_message(exc), source=str(path)) from None


def _architecture_beside(folder: Path, for_path: Path) -> tuple[dict, Path, str | None]:
    """The config describing the weights in ``folder``: its config.json, else Mistral's params.json (translated,
    with its note)."""
    cfg_path = folder / "config.json"
    if cfg_path.is_file():
        cfg = read_json(cfg_path, ImportError_, max_bytes=MAX_CONFIG_BYTES, what="a config.json")
        return _with_quant_config(cfg, folder), cfg_path, None
    params = folder / "params.json"
    if params.is_file():
        raw = read_json(params, ImportError_, max_bytes=MAX_CONFIG_BYTES, what="Mistral's params.json")
        cfg, note = mistral_params_config(raw, params)
        return cfg, params, note
    raise ImportError_("needs a config.json (or Mistral's params.json) beside it for the architecture",
                       source=str(for_path))


def _with_quant_config(cfg: dict, folder: Path) -> dict:
    """A config.json with no ``quantization_config``, given Model Optimizer's older ``hf_quant_config.json`` beside
    it as its quantization_config, as vLLM reads the two (core.formats.quantization_config); config.json's own
    otherwise (vLLM opens the older file only where config.json has none)."""
    path = folder / "hf_quant_config.json"
    if "quantization_config" in cfg or not path.is_file():
        return cfg
    qc = read_json(path, ImportError_, max_bytes=MAX_CONFIG_BYTES, what="Model Optimizer's hf_quant_config.json")
    if "quantization" in qc and not isinstance(qc["quantization"], dict):
        raise ImportError_("field 'quantization' must be an object (its quant_algo, kv_cache_quant_algo, ...)",
                           source=str(path))
    return {**cfg, "quantization_config": qc}


def _title(cfg: dict, fallback: str) -> str:
    return str(cfg.get("_name_or_path") or fallback or "imported model").split("/")[-1][:120]


def model_from_path(path: Path) -> ModelPreset:
    """A :class:`ModelPreset` from a file or folder; provenance in ``source``.

    - ``config.json``: the architecture;
    - Mistral's ``params.json``: the same, translated (:func:`mistral_params_config`);
    - ``*.safetensors`` / ``model.safetensors.index.json`` (+ a ``config.json`` or ``params.json`` beside
      it): the architecture and the exact bytes of every tensor;
    - ``*.gguf``: architecture keys and every tensor's quantization type and bytes;
    - a folder: whichever of these it holds (GGUF first, then safetensors)."""
    p = Path(path)
    try:
        is_dir = p.is_dir()
    except OSError as exc:
        raise ImportError_(f"cannot be read: {exc.strerror or exc}", source=str(p)) from None
    if is_dir:
        return _from_folder(p)
    name = p.name.lower()
    if name.endswith(".gguf"):
        meta, tensors = read_gguf(p)
        cfg = gguf_config(meta, p, {t[0] for t in tensors})
        title = str(meta.get("general.name") or p.stem)[:120]
        note = (f"converted before llama.cpp's MLA tensors (no {meta.get('general.architecture')}.attention."
                "key_length_mla): llama.cpp runs it with up-projected heads and caches every head's keys and values, "
                "not the latent; a file converted since (2025) caches the latent"
                if cfg.get(GGUF_UP_PROJECTED_MLA) else None)
        return _preset(cfg, title, f"from header of {p.resolve()}", p, _weights("gguf", p, tensors), note)
    if name.endswith(".safetensors") or name.endswith(".index.json"):
        tensors = read_safetensors_index(p) if name.endswith(".index.json") else read_safetensors_header(p)
        cfg, cfg_path, note = _architecture_beside(p.parent, p)
        return _preset(cfg, _title(cfg, p.parent.name or p.stem), f"from header of {p.resolve()}", cfg_path,
                       _weights("safetensors", p, tensors), note)
    cfg = read_json(p, ImportError_, max_bytes=MAX_CONFIG_BYTES, what="a config.json")
    if name == "params.json" or ("dim" in cfg and "n_layers" in cfg and "hidden_size" not in cfg):
        cfg, note = mistral_params_config(cfg, p)     # Mistral's keys (a renamed params.json too)
        return _preset(cfg, _title({}, p.parent.name), f"from {p.resolve()}", p, None, note)
    cfg = _with_quant_config(cfg, p.parent)
    return _preset(cfg, _title(cfg, p.parent.name), f"from {p.resolve()}", p, None)


def _from_folder(folder: Path) -> ModelPreset:
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise ImportError_(f"cannot be listed: {exc.strerror or exc}", source=str(folder)) from None
    ggufs = [e for e in entries if e.name.lower().endswith(".gguf")]
    if ggufs:
        return model_from_path(ggufs[0])
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        return model_from_path(index)
    # Mistral's repositories often hold one checkpoint twice: consolidated*.safetensors (its own format, described
    # by params.json) beside the Hugging Face shards (config.json): take the set the chosen config describes
    shards = [e for e in entries if e.name.endswith(".safetensors")]
    mistral = [e for e in shards if e.name.startswith("consolidated")]
    hf = [e for e in shards if not e.name.startswith("consolidated")]
    shards = (hf or mistral) if (folder / "config.json").is_file() else (mistral or hf)
    if len(shards) == 1:
        return model_from_path(shards[0])
    if len(shards) > 1:
        tensors = [t for s in shards for t in read_safetensors_header(s)]
        cfg, cfg_path, note = _architecture_beside(folder, folder)
        return _preset(cfg, _title(cfg, folder.name), f"from headers of {folder.resolve()}", cfg_path,
                       _weights("safetensors", folder, tensors), note)
    for name in ("config.json", "params.json"):
        if (folder / name).is_file():
            return model_from_path(folder / name)
    raise ImportError_("holds no config.json, params.json, .safetensors or .gguf file", source=str(folder))
