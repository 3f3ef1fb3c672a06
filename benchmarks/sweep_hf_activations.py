"""Every checked model type's layer, as transformers keeps it for the backward pass, against the estimate.

For each type of ``architecture.CHECKED_MODEL_TYPES`` that transformers builds, takes the library's default config,
narrows it (width 256, 8 heads of 32, an MLP of 608, 8 experts of 96, top 2, where the config has those keys; MLA
latents of 64 and 96 with heads of 32 + 16 and values of 48; every dropout 0), builds bf16 models of 2 and 4 layers on
the CPU and counts what one layer keeps a token with saved-tensor hooks (``count_hf_activations._saved_bytes``), every
weight trained, with transformers' attention for the type (eager where it runs no SDPA: ``engines.HF_NO_SDPA``).
Prints the count, ``training.layer_activation_bytes`` of the same config and the difference. Each type runs in a
process of its own, under 8 GiB (a default too large for that, or one transformers cannot narrow, prints why and the
sweep goes on)::

    python benchmarks/sweep_hf_activations.py                # every checked type (a few minutes)
    python benchmarks/sweep_hf_activations.py phi3 glm4      # some

Hybrid models whose layers are not all attention (Qwen3-Next, Jamba, ...) and those whose default cannot be narrowed
this way report an error: their kinds in ``count_hf_activations.py`` say what they keep.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NARROW = {"hidden_size": 256, "intermediate_size": 608, "num_attention_heads": 8, "num_key_value_heads": 2,
          "head_dim": 32, "vocab_size": 1000, "moe_intermediate_size": 96, "num_experts": 8, "n_routed_experts": 8,
          "num_local_experts": 8, "num_experts_per_tok": 2, "max_position_embeddings": 4096,
          "tie_word_embeddings": False, "n_group": 1, "topk_group": 1, "shared_expert_intermediate_size": 96}
# Mamba-2 mixers narrowed with the width: 8 heads of 64 (its expand of 2 over 256), a state of 16 in one group, chunks
# of 32 (so the sweep's 64 tokens are two); the pure Mamba-2's own names for them
MAMBA2 = {"mamba_n_heads": 8, "mamba_d_head": 64, "mamba_d_state": 16, "mamba_n_groups": 1, "mamba_chunk_size": 32,
          "mamba_num_heads": 8, "mamba_head_dim": 64, "ssm_state_size": 16, "n_groups": 1, "chunk_size": 32}
PURE_MAMBA2 = {"num_heads": 8, "head_dim": 64, "state_size": 16, "n_groups": 1, "chunk_size": 32}
MLA = {"kv_lora_rank": 64, "qk_rope_head_dim": 16, "qk_nope_head_dim": 32, "v_head_dim": 48}
NO_ATTENTION = {"mamba", "mamba2", "falcon_mamba"}
DROPPED = ("layer_types", "mlp_layer_types", "architectures", "model_type", "transformers_version", "rope_scaling",
           "per_layer_config")


def narrow_config(model_type: str, layers: int) -> dict:
    """The library's default config of ``model_type`` narrowed (the keys it has), for ``layers`` layers."""
    from transformers import CONFIG_MAPPING
    # (JSON writes an infinite float as {"__float__": "Infinity"}: Mamba-2's time_step_limit)
    base = json.loads(CONFIG_MAPPING[model_type]().to_json_string(use_diff=False),
                      object_hook=lambda o: float(o["__float__"]) if set(o) == {"__float__"} else o)
    keys = {k: v for k, v in base.items() if k not in DROPPED}
    mla = "kv_lora_rank" in keys
    keys.update({k: v for k, v in NARROW.items() if k in keys and not (mla and k == "head_dim")})
    keys.update(pad_token_id=0, num_hidden_layers=layers)
    if mla:
        keys.update(MLA, q_lora_rank=96 if keys.get("q_lora_rank") else None)
        if "head_dim" in keys:
            keys["head_dim"] = MLA["qk_rope_head_dim"]
    if model_type != "falcon_h1":   # (Falcon-H1's default, 128 heads of 8 over mamba_d_ssm, needs no narrowing)
        keys.update({k: v for k, v in MAMBA2.items() if k in keys})
    if model_type == "mamba2":
        keys.update(PURE_MAMBA2)
    if model_type == "nemotron_h":   # (its default is four kinds of block whatever the layers: Mamba-2 blocks here)
        keys["layers_block_type"] = ["mamba"] * layers
    if "first_k_dense_replace" in keys:
        keys["first_k_dense_replace"] = 0
    for k, v in list(keys.items()):   # (dropout on the CPU's SDPA takes its math path, unlike CUDA's kernels)
        if ("dropout" in k or k.endswith("pdrop")) and isinstance(v, float | int) and not isinstance(v, bool):
            keys[k] = 0.0
    return keys


def one(model_type: str) -> str:
    """The line of ``model_type``: its count, the estimate and their difference, or why there is none."""
    import torch
    import transformers
    from transformers import CONFIG_MAPPING

    from vramgui.core.architecture import architecture_from_hf_config
    from vramgui.core.engines import HF_NO_SDPA
    from vramgui.core.training import layer_activation_bytes
    spec = importlib.util.spec_from_file_location("count_hf_activations", HERE / "count_hf_activations.py")
    count = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(count)
    transformers.logging.set_verbosity_error()
    # (transformers refuses SDPA for models without attention: the pure state-space ones)
    attention = "eager" if model_type in HF_NO_SDPA or model_type in NO_ATTENTION else "sdpa"
    seq, batch = count.TOKENS
    counted, estimated = [], []
    for layers in (2, 4):
        config = CONFIG_MAPPING[model_type](**narrow_config(model_type, layers))
        config._attn_implementation = attention
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).train()
        counted.append(count._saved_bytes(torch, model))
        raw = dict(json.loads(config.to_json_string(use_diff=False)), model_type=model_type)
        raw.setdefault("num_hidden_layers", layers)    # (Nemotron-H's config drops it for its block list)
        a = architecture_from_hf_config(raw, source=f"{model_type} narrowed")
        estimated.append(float(layer_activation_bytes(a, seq, batch, attention, True)) * layers)
    c = (counted[1] - counted[0]) / 2 / (seq * batch)
    e = (estimated[1] - estimated[0]) / 2 / (seq * batch)
    return f"{model_type:22s} {attention:5s} count {c:9.0f}  estimate {e:9.0f}  {(e - c) / c * 100:+6.1f} %"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        import resource  # (a default too large for the machine fails here, not the machine)
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))
        try:
            line = one(argv[1])
        except Exception as exc:    # noqa: BLE001 (a type that cannot be narrowed: say why, go on)
            line = f"{argv[1]:22s} not counted: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
        sys.stdout.write(line + "\n")
        return 0
    from transformers import CONFIG_MAPPING

    from vramgui.core.architecture import CHECKED_MODEL_TYPES
    for model_type in argv or sorted(t for t in CHECKED_MODEL_TYPES if t in CONFIG_MAPPING):
        try:
            out = subprocess.run([sys.executable, __file__, "--one", model_type], capture_output=True, text=True,
                                 timeout=300)
            line = out.stdout.strip() or f"{model_type:22s} not counted: exit {out.returncode} (memory?)"
        except subprocess.TimeoutExpired:
            line = f"{model_type:22s} not counted: over 300 s"
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
