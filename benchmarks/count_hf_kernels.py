"""Count the kernels HF transformers launches for a decode step, by kind of decoder layer.

HF's ``generate()`` at one sequence is bound by its host: Python issues every kernel of every
layer one after another, so the step's time grows with the kernels a layer launches. This
script builds narrow models (hidden 256, random weights, bf16, SDPA) of the kinds
``gpu_session.sh``'s rounds 6 and 7 timed on a GPU, runs ``generate()`` for 1 and for 9 new
tokens under a ``TorchDispatchMode`` that sees every ATen operation, and prints, per decode
step, the operations that launch a kernel (views, ``empty`` and scalar reads excluded), per
layer (from 2- and 4-layer models) and per step beside the layers. It runs on the CPU in
seconds (the count is the model code's, not the device's)::

    python benchmarks/count_hf_kernels.py            # one JSON line per kind
    python benchmarks/count_hf_kernels.py --ops      # and each layer's operations by name

``speed.HF_LAYER_KERNELS`` and its neighbours are these counts (transformers 5.24, torch 2.13);
``tests/test_hf_kernels.py`` counts again when torch and transformers are installed.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys

BASE = {"hidden_size": 256, "intermediate_size": 512, "num_attention_heads": 4, "num_key_value_heads": 4,
        "vocab_size": 32000, "max_position_embeddings": 4096}
KINDS = {   # gpu_session.sh's narrow_kinds, the same config keys
    "llama": {"model_type": "llama"},
    "qwen3": {"model_type": "qwen3", "head_dim": 64},
    "gemma3": {"model_type": "gemma3_text", "head_dim": 64, "sliding_window": 1024, "query_pre_attn_scalar": 64},
    "qwen3moe": {"model_type": "qwen3_moe", "head_dim": 64, "num_experts": 128, "num_experts_per_tok": 8,
                 "moe_intermediate_size": 64},
    "mixtral": {"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2},
}
#: operations that launch no kernel: allocation, metadata, reading a scalar back (counted apart: a sync)
NO_KERNEL = {"empty.memory_format", "empty_strided.default", "empty_like.default", "_unsafe_view.default",
             "lift_fresh.default", "_local_scalar_dense.default", "sym_size.int", "sym_stride.int", "sym_numel.default",
             "is_nonzero.default"}
SYNC = {"_local_scalar_dense.default", "is_nonzero.default", "nonzero.default"}


def _model(torch, transformers, kind: str, layers: int):
    keys = dict(BASE, num_hidden_layers=layers, **KINDS[kind])
    config = transformers.AutoConfig.for_model(keys.pop("model_type"), **keys)
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    return transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).eval()


def _step_ops(torch, model) -> collections.Counter:
    """ATen operations of one decode step (9 new tokens' minus 1's, over 8), by name."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops = collections.Counter()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if not func.is_view:
                self.ops[func.__name__] += 1
            return func(*args, **(kwargs or {}))

    prompt = torch.randint(0, BASE["vocab_size"], (1, 32))
    runs = {}
    for new in (1, 9):
        with torch.no_grad(), Count() as c:
            model.generate(prompt, max_new_tokens=new, min_new_tokens=new, do_sample=False)
        runs[new] = c.ops
    names = set(runs[1]) | set(runs[9])
    return collections.Counter({n: (runs[9][n] - runs[1][n]) / 8 for n in names})


def count(kind: str) -> dict:
    """Kernels a decode step launches per layer and beside the layers, and host syncs, for one kind."""
    import torch
    import transformers
    transformers.logging.set_verbosity_error()
    two, four = (_step_ops(torch, _model(torch, transformers, kind, n)) for n in (2, 4))
    layer = {n: (four[n] - two[n]) / 2 for n in set(two) | set(four)}
    step = {n: two[n] - 2 * layer.get(n, 0.0) for n in two}

    def kernels(ops):
        return sum(v for n, v in ops.items() if n not in NO_KERNEL)

    def syncs(ops):
        return sum(v for n, v in ops.items() if n in SYNC)

    return {"kind": kind, "layer_kernels": kernels(layer), "step_kernels": kernels(step),
            "layer_syncs": syncs(layer), "step_syncs": syncs(step),
            "layer_ops": {n: v for n, v in sorted(layer.items()) if v and n not in NO_KERNEL}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", action="append", choices=sorted(KINDS), help="default: all")
    ap.add_argument("--ops", action="store_true", help="print each layer's operations by name")
    args = ap.parse_args(argv)
    for kind in args.kind or KINDS:
        row = count(kind)
        if not args.ops:
            row.pop("layer_ops")
        sys.stdout.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
