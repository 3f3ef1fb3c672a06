"""Plain-text explanations of each number, with the scenario's values substituted.

The window shows these as tooltips on the breakdown strip; they are built here so the
formulas live in one place, next to the code that evaluates them.
"""

from __future__ import annotations

from .memory import estimate_memory, heads_per_card, layer_share
from .params import count_params
from .scenario import Scenario
from .speed import bandwidth_efficiency, estimate_speed
from .units import GIB
from .weights import weight_bytes


def _g(x: float) -> str:
    return f"{x / GIB:,.2f} GiB"


def explain(s: Scenario) -> dict[str, str]:
    """Keys: weights, kv_cache, activations, overhead, total, decode, prefill."""
    a, p = s.model.architecture, s.profile
    params = count_params(a)
    wb = weight_bytes(a, s.weight_format, params)
    m = estimate_memory(s)
    sp = estimate_speed(s)
    fmt = s.weight_format
    _, h_kv = heads_per_card(a, s.n_gpus, p)
    kv_dtype = s.kv
    tokens = int(float(m.kv_tokens_per_seq))
    split = ("split over " + str(s.n_gpus) + " cards (" + p.parallel + " parallel)") if s.n_gpus > 1 else "one card"
    out = {
        "weights": (
            f"Weights = linear layers × {fmt.linear_bits:.3g} bits + embeddings/LM head × "
            f"{fmt.embedding_bits:.3g}/{fmt.lm_head_bits:.3g} bits + norms/biases × {fmt.other_bits:.3g} bits\n"
            f"= {params.linear / 1e9:,.2f} B linear + {(params.embedding + params.lm_head) / 1e9:,.2f} B "
            f"embedding/head → {_g(wb.total)} in all; {split}: {_g(float(m.weights))} per card"
            + ("; the token-embedding table stays in system RAM (llama.cpp)" if p.embedding_on_host else "")
            + f".\nFormat: {fmt.name} — {fmt.source}."),
        "kv_cache": (
            f"KV cache = 2 × layers × KV heads × head dim × bytes × tokens × batch\n"
            f"= 2 × {a.num_layers} × {h_kv:g} × {a.head_dim} × {kv_dtype.bytes_per_element:.4g} × {tokens:,} × "
            f"{s.batch} = {_g(float(m.kv_cache))} per card"
            + (f" (MLA caches a {a.mla.kv_lora_rank + a.mla.qk_rope_head_dim}-wide latent per layer instead)"
               if a.mla and p.mla_latent_cache else "")
            + (f" ({a.sliding_window_layers} windowed layers hold at most {a.sliding_window:,} tokens)"
               if a.sliding_window and p.honors_sliding_window else "")
            + f".\n{p.name} reserves {tokens:,} tokens per sequence ({p.kv_allocation} allocation)."),
        "activations": (
            f"Activation peak of one forward pass = hidden states + the largest of attention "
            f"({s.attention_impl}), MLP intermediates, logits"
            + (", sampler warm-up" if p.sampler_seqs else "")
            + f" = {_g(float(m.activations))}.\n"
            + ("Eager attention holds batch × heads × prompt × prompt scores "
               f"({p.eager_score_bytes:g} bytes each): quadratic in the prompt."
               if s.attention_impl == "eager" else "sdpa/flash attention never holds the score matrix: linear in "
                                                   "the prompt.")),
        "overhead": (
            f"Runtime overhead = CUDA context {_g(p.cuda_context_bytes)} + engine buffers {_g(p.framework_bytes)}"
            + (f" + communication buffers {_g(p.multi_gpu_bytes)}" if s.n_gpus > 1 else "")
            + f" + CUDA graphs {_g(p.cuda_graph_bytes)} = {_g(float(m.overhead))} per card."),
        "total": (
            f"Total = weights + KV cache + activations + overhead = {_g(float(m.weights))} + "
            f"{_g(float(m.kv_cache))} + {_g(float(m.activations))} + {_g(float(m.overhead))} = "
            f"{_g(float(m.total))} per card (GiB = 2^30 bytes)."),
        "decode": (
            f"Decode step = max(bytes moved ÷ (bandwidth × {bandwidth_efficiency(p, fmt):.2f}), "
            f"FLOPs ÷ (peak × efficiency)) + per-step cost = {float(sp.decode_step_s) * 1e3:,.2f} ms "
            f"(speed of light {float(sp.sol_decode_step_s) * 1e3:,.2f} ms).\n"
            f"Bandwidth {s.gpu.memory_bandwidth_gb_s:,.0f} GB/s; bytes moved = active weights + the KV cache of "
            f"every sequence; {sp.decode_bound}-bound at batch {s.batch}."),
        "prefill": (
            f"Time to first token = max(2 × {params.active / 1e9:,.2f} B params × {s.prompt_tokens:,} tokens + "
            f"attention FLOPs ÷ (peak × efficiency), weights ÷ bandwidth) = "
            + (f"{float(sp.prefill_s) * 1e3:,.1f} ms." if sp.compute_known
               else "unknown: this card has no sourced FLOP/s figure.")),
    }
    if layer_share(a, s.n_gpus, p) < 1:
        out["kv_cache"] += f"\nLayer split: the fullest card holds {layer_share(a, s.n_gpus, p):.0%} of the layers."
    return out


def explain_training(t) -> dict[str, str]:
    """Keys: weights, gradients, optimizer, activations, overhead, total, trainable."""
    from .training import ADAPTER_BYTES, LOGIT_BYTES, OPTIMIZER_BYTES, layer_activation_bytes, training_memory

    a = t.model.architecture
    m = training_memory(t)
    w_b, g_b, o_b = (OPTIMIZER_BYTES if t.method == "full" else ADAPTER_BYTES)[t.optimizer]
    n = m.trainable_params
    zero = f" ÷ {t.n_gpus} cards (ZeRO-{t.zero})" if t.zero and t.n_gpus > 1 else ""
    base = {"full": "", "lora": "frozen bf16 base + ", "qlora": "frozen NF4 base (4.13 bits) + "}[t.method]
    layer = float(layer_activation_bytes(a, t.seq, t.batch, t.attention))
    return {
        "weights": f"Weights = {base}{n:,} trainable × {w_b:g} bytes{zero if t.zero >= 3 else ''} = "
                   f"{_g(float(m.weights))} per card.",
        "gradients": f"Gradients = {n:,} trainable × {g_b:g} bytes{zero if t.zero >= 2 else ''} = "
                     f"{_g(float(m.gradients))}.",
        "optimizer": f"Optimizer states ({t.optimizer}) = {n:,} × {o_b:g} bytes{zero if t.zero >= 1 else ''} = "
                     f"{_g(float(m.optimizer))}"
                     + (" (fp32 master copy + two fp32 moments)" if t.optimizer == "adamw" and t.method == "full"
                        else "") + ".",
        "activations": ("Activations: one layer stores s·b·(7d + 4·d_kv + 3d + 4d) + MLP terms"
                        + (" + 5·h·s²·b (eager scores)" if t.attention == "eager" else "")
                        + f" = {_g(layer)} (Korthikanti et al., 2022); checkpointing '{t.checkpointing}'; logits "
                        f"{t.seq:,} × {t.batch} × {a.vocab_size:,} × {LOGIT_BYTES:g} bytes; +10 % allocator → "
                        f"{_g(float(m.activations))}."),
        "overhead": f"CUDA context and communication buffers: {_g(float(m.overhead))} per card.",
        "total": f"Total = weights + gradients + optimizer + activations + overhead = {_g(float(m.total))} per card.",
        "trainable": (f"Trainable parameters: {n:,}"
                      + (f" = rank {t.lora_rank} × (d_in + d_out) over {', '.join(t.lora_targets)} in every layer"
                         if t.method != "full" else " (every parameter)") + "."),
    }
