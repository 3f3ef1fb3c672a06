"""Count the bytes a decoder layer keeps for the backward pass in HF transformers, by kind of layer.

Builds narrow bf16 models (SDPA, random weights) of a kind at 2 and 4 layers, runs one forward pass
with labels and without a cache (``use_cache=False``, as HF's Trainer sets it: a DynamicCache would copy the keys and
values) under ``torch.autograd.graph.saved_tensors_hooks`` and sums the distinct storages the
autograd graph keeps (parameters excluded); the difference over two layers is one layer's bytes,
printed per token; dropout runs as CUDA runs it (a mask of one byte an element). ``--adapted q,v``
trains only those projections' weights (the frozen layers save no inputs for their weights' gradients);
``--lora q,v`` puts peft's LoRA adapters (r16, its defaults: fp32 adapters) on them instead; the default trains
all. Runs on the CPU in seconds::

    python benchmarks/count_hf_activations.py                  # Llama, Qwen3, Gemma 3: all weights trained
    python benchmarks/count_hf_activations.py --adapted q,v    # only q_proj and v_proj
    python benchmarks/count_hf_activations.py --lora q,k,v,o,gate,up,down   # peft LoRA (needs peft)

Kinds: the families of ``KINDS``, each with what sets it apart (norms, MoE routers, MLP activations, MLA, output
gates, sinks); those of ``EAGER_ONLY`` and ``EAGER_KINDS`` with ``--attention eager``. ``--logits`` gives instead the
peak bytes a logit holds in a training step, with Gemma 2's final soft-cap and without. The shape keeps Qwen3 4B's
ratios (width 2,560, queries 4,096, keys and values 1,024, MLP 9,728) divided by 16, so the terms of
``training.layer_activation_bytes`` can be told apart.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

SHAPE = {"hidden_size": 160, "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 32,
         "intermediate_size": 608, "vocab_size": 1000, "max_position_embeddings": 4096, "tie_word_embeddings": False}
KINDS = {"llama": {"model_type": "llama"}, "qwen3": {"model_type": "qwen3"},
         "gemma3": {"model_type": "gemma3_text", "query_pre_attn_scalar": 32, "sliding_window": 4096},
         # OLMo 2: post-norms only, q/k norms over all heads, the norms' weights multiplied in fp32
         "olmo2": {"model_type": "olmo2"},
         # MoE layers with transformers' grouped experts: 8 experts, top 2 (Qwen3-MoE's of width 96, Mixtral's 608)
         "qwen3_moe": {"model_type": "qwen3_moe", "num_experts": 8, "num_experts_per_tok": 2,
                       "moe_intermediate_size": 96, "decoder_sparse_step": 1, "mlp_only_layers": []},
         "mixtral": {"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2},
         # LayerNorm (bf16 input, fp32 mean and rstd), a plain MLP, fused QKV, parallel attention and MLP
         "gpt_neox": {"model_type": "gpt_neox", "rotary_pct": 0.25, "_drop": ("num_key_value_heads", "head_dim")},
         # Phi-3: q, k and v one matrix (qkv_proj), gate and up one (gate_up_proj); its heads are the width over
         # the heads, so a width of 256 for heads of 32
         "phi3": {"model_type": "phi3", "hidden_size": 256, "pad_token_id": 0},
         # Command R7B: one norm before attention and MLP side by side, a LayerNorm without bias written in fp32 in
         # Python (its centred input kept twice); a width of 256 for heads of 32
         "cohere2": {"model_type": "cohere2", "hidden_size": 256, "pad_token_id": 0},
         # GLM-4.5's MoE layers: a shared expert beside 8 routed ones (top 2, width 96), the router in fp32
         "glm4_moe": {"model_type": "glm4_moe", "hidden_size": 256, "pad_token_id": 0, "n_routed_experts": 8,
                      "n_shared_experts": 1, "first_k_dense_replace": 0, "n_group": 1, "topk_group": 1,
                      "num_experts_per_tok": 2, "moe_intermediate_size": 96, "partial_rotary_factor": 1.0},
         # dots.llm1's layers (dots1): Qwen3's per-head q/k norms, a DeepSeek-V3 router in fp32, a shared expert of 96
         # beside 8 routed ones (top 2, width 96)
         "dots1": {"model_type": "dots1", "hidden_size": 256, "pad_token_id": 0, "n_routed_experts": 8,
                   "n_shared_experts": 1, "first_k_dense_replace": 0, "n_group": 1, "topk_group": 1,
                   "num_experts_per_tok": 2, "moe_intermediate_size": 96},
         # Qwen2-MoE's layers: a shared expert of 96 under a sigmoid gate beside 8 routed ones (top 2, width 96)
         "qwen2_moe": {"model_type": "qwen2_moe", "num_experts": 8, "num_experts_per_tok": 2,
                       "moe_intermediate_size": 96, "shared_expert_intermediate_size": 96, "decoder_sparse_step": 1,
                       "mlp_only_layers": []},
         # MLP activations written in Python (training.ACTIVATION_KEEPS), in their families' layouts with their
         # released configs' activation keys; no GQA in GPT-J's, OPT's or Phi-2's (8 KV heads), dropout 0 (counted
         # apart). Phi-2: tanh-GELU (gelu_new), one LayerNorm before attention and MLP side by side, partial rotary
         "phi": {"model_type": "phi", "hidden_act": "gelu_new", "hidden_size": 256, "num_key_value_heads": 8,
                 "resid_pdrop": 0.0, "embd_pdrop": 0.0},
         # GPT-J: the same tanh-GELU (activation_function), its MLP fc_in / fc_out
         "gptj": {"model_type": "gptj", "activation_function": "gelu_new", "hidden_size": 256, "n_inner": 608,
                  "num_key_value_heads": 8, "rotary_dim": 16, "n_positions": 4096, "resid_pdrop": 0.0,
                  "embd_pdrop": 0.0, "attn_pdrop": 0.0},
         # OPT: ReLU (it keeps its output, which fc2 reads), two LayerNorms
         "opt": {"model_type": "opt", "activation_function": "relu", "hidden_size": 256, "ffn_dim": 608,
                 "word_embed_proj_dim": 256, "num_key_value_heads": 8, "dropout": 0.0, "attention_dropout": 0.0},
         # Apertus: xIELU in Python (transformers' fallback without its CUDA wheel), a plain MLP, RMSNorms, q/k norms
         "apertus": {"model_type": "apertus", "hidden_act": "xielu", "rms_norm_eps": 1e-5},
         # nanochat: RMSNorms and per-head q/k norms without weights (in fp32), a plain relu² MLP
         "nanochat": {"model_type": "nanochat", "hidden_size": 256, "rms_norm_eps": 1e-6,
                      "final_logit_softcapping": None},
         # DeepSeek-V3's multi-head latent attention (MLA): 8 heads of 32 + 16 RoPE dimensions over a key latent of 64
         # and a query latent of 96, values as wide as the keys (48: the CPU's flash attention takes them, as CUDA's
         # kernels take DeepSeek's narrower values), dense MLPs
         "deepseek_v3": {"model_type": "deepseek_v3", "hidden_size": 256, "num_key_value_heads": 8, "head_dim": 16,
                         "kv_lora_rank": 64, "q_lora_rank": 96, "qk_rope_head_dim": 16, "qk_nope_head_dim": 32,
                         "v_head_dim": 48, "first_k_dense_replace": 4, "n_routed_experts": 8, "num_experts_per_tok": 2,
                         "n_group": 1, "topk_group": 1, "pad_token_id": 0},
         # GLM-4: post-norms beside the pre-norms (four a layer), half the head's dimensions rotated (a cat), its fused
         # gate_up_proj
         "glm4": {"model_type": "glm4", "hidden_size": 256, "pad_token_id": 0, "partial_rotary_factor": 0.5},
         # Helium: RMSNorms multiplying an fp32 copy of their weight; OLMo (1): LayerNorms without parameters, on an
         # fp32 copy of their input (no GQA: 8 KV heads); Sarvam-MoE: its router in fp32 (8 experts of 96, top 2, a
         # shared one of 96)
         "helium": {"model_type": "helium", "hidden_size": 256, "pad_token_id": 0},
         "olmo": {"model_type": "olmo", "hidden_size": 256, "num_key_value_heads": 8, "pad_token_id": 0},
         "sarvam_moe": {"model_type": "sarvam_moe", "hidden_size": 256, "pad_token_id": 0, "num_experts": 8,
                        "num_experts_per_tok": 2, "moe_intermediate_size": 96, "num_shared_experts": 1,
                        "first_k_dense_replace": 0, "n_group": 1, "topk_group": 1},
         # Flint's attention (eager: its sink logits; q·kᵀ and the softmax in fp32), q/k norms with fp32 weights,
         # dense MLPs (mlp_only_layers), every layer global
         "flint": {"model_type": "flint", "hidden_size": 256, "pad_token_id": 0, "layer_types_all": "full_attention",
                   "mlp_only_layers": [0, 1, 2, 3], "num_experts": 8, "num_experts_per_tok": 2,
                   "moe_intermediate_size": 96, "shared_expert_intermediate_size": 96},
         # gpt-oss: sink logits (eager), its experts' clamped SwiGLU (8 experts as wide as the MLP, top 2), every layer
         # global
         "gpt_oss": {"model_type": "gpt_oss", "hidden_size": 256, "pad_token_id": 0, "num_local_experts": 8,
                     "num_experts_per_tok": 2, "layer_types_all": "full_attention", "sliding_window": 4096},
         # Granite's windowed attention (eager): its sink a scale after attention, sigmoid(logsumexp(scores) - sink)
         "granite_swa": {"model_type": "granite_swa", "hidden_size": 256, "pad_token_id": 0, "sliding_window": 4096},
         # Qwen3.5's attention layers (every layer one here): q_proj doubled into the query and a sigmoid gate on the
         # attention's output, per-head q/k norms, the rotary embedding's cat building the query whole
         "qwen3_5": {"model_type": "qwen3_5_text", "full_attention_interval": 1, "hidden_size": 256,
                     "linear_num_key_heads": 4, "linear_num_value_heads": 8, "linear_key_head_dim": 32,
                     "linear_value_head_dim": 32, "pad_token_id": 0},
         # Qwen3.5's Gated DeltaNet layers (every layer one here), as transformers runs them without
         # flash-linear-attention: its torch chunked delta rule (64-token chunks) and convolution; 4 key heads of 32
         # repeated to 8 value heads of 48
         "qwen3_5_gdn": {"model_type": "qwen3_5_text", "layer_types_all": "linear_attention", "hidden_size": 256,
                         "linear_num_key_heads": 4, "linear_num_value_heads": 8, "linear_key_head_dim": 32,
                         "linear_value_head_dim": 48, "pad_token_id": 0},
         # Lara-4-Mini's: Qwen3.5's layer with GLM-5-Next's gated RMSNorm (weight and gate multiplied in fp32); one
         # expert (its mixer is what --mixer counts)
         "lara_mini_gdn": {"model_type": "lara_mini", "layer_types_all": "linear_attention", "hidden_size": 256,
                           "linear_num_key_heads": 4, "linear_num_value_heads": 8, "linear_key_head_dim": 32,
                           "linear_value_head_dim": 48, "pad_token_id": 0, "num_experts": 1, "num_experts_per_tok": 1,
                           "moe_intermediate_size": 96, "shared_expert_intermediate_size": 96},
         # Mamba-2 mixers (every layer one here), as transformers runs them without mamba-ssm: its torch chunk scan
         # (32-token chunks) and convolution; 8 heads of 32, a state of 16 in 2 groups. Mamba-2 alone (a norm and a
         # mixer a layer), Nemotron-H's mixer blocks alike, Granite 4.0-H's and Bamba's layers with their MLP,
         # Falcon-H1's beside attention and its gated norm (mamba_rms_norm)
         "mamba2": {"model_type": "mamba2", "hidden_size": 128, "num_heads": 8, "head_dim": 32, "state_size": 16,
                    "n_groups": 2, "chunk_size": 32, "expand": 2},
         "nemotron_h_mamba": {"model_type": "nemotron_h", "hidden_size": 128, "mamba_num_heads": 8,
                              "mamba_head_dim": 32, "ssm_state_size": 16, "n_groups": 2, "chunk_size": 32,
                              "layers_block_type_all": "mamba"},
         "granite_mamba": {"model_type": "granitemoehybrid", "hidden_size": 128, "mamba_n_heads": 8,
                           "mamba_d_head": 32, "mamba_d_state": 16, "mamba_n_groups": 2, "mamba_chunk_size": 32,
                           "layer_types_all": "mamba", "num_local_experts": 0, "shared_intermediate_size": 608},
         "bamba": {"model_type": "bamba", "hidden_size": 128, "mamba_n_heads": 8, "mamba_d_head": 32,
                   "mamba_d_state": 16, "mamba_n_groups": 2, "mamba_chunk_size": 32, "attn_layer_indices": []},
         "falcon_h1": {"model_type": "falcon_h1", "hidden_size": 128, "mamba_n_heads": 8, "mamba_d_head": 32,
                       "mamba_d_ssm": 256, "mamba_d_state": 16, "mamba_n_groups": 2, "mamba_chunk_size": 32,
                       "mamba_rms_norm": True},
         # Mamba (S6) mixers (every layer one here), as transformers runs them without mamba-ssm: its torch scan, a
         # loop over the tokens; 128 channels, a state of 16, a time step of rank 8. Mamba alone, Falcon Mamba's
         # (weightless norms on the time step, B and C), Jamba's layers with their MLP (weighted norms; no attention
         # layer among the first four, no experts)
         "mamba": {"model_type": "mamba", "hidden_size": 64, "state_size": 16, "expand": 2, "intermediate_size": 128,
                   "time_step_rank": 8, "conv_kernel": 4},
         "falcon_mamba": {"model_type": "falcon_mamba", "hidden_size": 64, "state_size": 16, "expand": 2,
                          "intermediate_size": 128, "time_step_rank": 8, "conv_kernel": 4},
         "jamba_mamba": {"model_type": "jamba", "hidden_size": 64, "mamba_d_state": 16, "mamba_expand": 2,
                         "mamba_dt_rank": 8, "mamba_d_conv": 4, "num_experts": 1, "pad_token_id": 0},
         # Nemotron-H's blocks in turn: a Mamba-2 block and an attention block, a Mamba-2 block and an MLP block
         # (each block one norm and one mixer or MLP)
         "nemotron_h_attention": {"model_type": "nemotron_h", "hidden_size": 128, "mamba_num_heads": 8,
                                  "mamba_head_dim": 32, "ssm_state_size": 16, "n_groups": 2, "chunk_size": 32,
                                  "layers_block_type_cycle": ["linear_attention", "full_attention"]},
         "nemotron_h_mlp": {"model_type": "nemotron_h", "hidden_size": 128, "mamba_num_heads": 8,
                            "mamba_head_dim": 32, "ssm_state_size": 16, "n_groups": 2, "chunk_size": 32,
                            "layers_block_type_cycle": ["linear_attention", "mlp"]},
         # ERNIE 4.5: its rotary embedding in fp32 over the whole head, the cos and sin tables repeat-interleaved anew
         # in every layer
         "ernie4_5": {"model_type": "ernie4_5", "hidden_size": 256, "pad_token_id": 0},
         # Beam's dense layers under full attention: a gate_proj of its own on the attention's output, four norms,
         # SwiGLU in fp32
         "beam": {"model_type": "beam", "hidden_size": 256, "pad_token_id": 0, "final_logit_softcapping": None,
                  "layer_types_all": "full_attention", "mlp_layer_types_all": "dense", "num_experts": 8,
                  "num_experts_per_tok": 2, "moe_intermediate_size": 96,
                  "rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 10000.0}}},
         # eager attention's scores (--attention eager): GPT-2's softmax in bf16 with its attention's dropout
         # (attn_pdrop 0.1, Korthikanti et al.'s layer); Gemma 2's soft-capped logits (transformers runs it eager only)
         "gpt2": {"model_type": "gpt2", "hidden_size": 256, "n_inner": 608, "num_key_value_heads": 8,
                  "n_positions": 4096, "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.1},
         "gemma2": {"model_type": "gemma2", "query_pre_attn_scalar": 32, "sliding_window": 4096,
                    "attn_logit_softcapping": 50.0, "final_logit_softcapping": None},
         # MPT: its own attention in Python (ALiBi, fused Wqkv, no GQA: 8 heads of 20), LayerNorms without biases
         "mpt": {"model_type": "mpt", "n_heads": 8, "num_key_value_heads": 8, "head_dim": 20, "expansion_ratio": 4}}
# (transformers refuses SDPA for soft-capped or sink logits; MPT's attention is its own; the state-space models have
# no attention)
# transformers' Falcon (rotary, parallel attention and MLP, one LayerNorm, bias-free), 8 heads of 32 (its heads are the
# width over the heads) and a plain GELU MLP of 608, in each way its attention splits the fused q/k/v projection
# (Architecture.falcon_layout): Falcon-7B's one key/value head (multi_query), a head each (multi_query off: views of the
# fused output), and the new decoder's 2 groups copied to every head, its two norms on one input or one norm
FALCON = {"model_type": "falcon", "hidden_size": 256, "ffn_hidden_size": 608,
          "_drop": ("head_dim", "num_key_value_heads", "intermediate_size")}   # (not Falcon's keys)
KINDS.update({"falcon": FALCON, "falcon_mha": dict(FALCON, multi_query=False, num_kv_heads=8),
              "falcon_new": dict(FALCON, new_decoder_architecture=True, num_kv_heads=2),
              "falcon_new_one_norm": dict(FALCON, new_decoder_architecture=True, num_kv_heads=2,
                                          num_ln_in_parallel_attn=1)})
# Gemma 4's layers (transformers forces the last layer to full attention: a model of windowed layers differs from one
# of twice as many by windowed layers alone): windowed heads of 32 over 2 key/value heads, the full-attention layers'
# of 64, as Gemma 4 31B's over one key/value head that is also the values (attention_k_eq_v), or as E4B's over 2 with
# a value projection and per-layer inputs of 32 (hidden_size_per_layer_input); a window of 4,096
GEMMA4 = {"model_type": "gemma4_text", "hidden_size": 256, "global_head_dim": 64, "num_global_key_value_heads": 1,
          "attention_k_eq_v": True, "hidden_size_per_layer_input": 0, "vocab_size_per_layer_input": 1000,
          "max_position_embeddings": 8192, "sliding_window": 4096, "final_logit_softcapping": None, "pad_token_id": 0}
GEMMA4_E = dict(GEMMA4, attention_k_eq_v=False, hidden_size_per_layer_input=32)
KINDS.update({"gemma4_windowed": dict(GEMMA4, layer_types_all="sliding_attention"),
              "gemma4_global": dict(GEMMA4, layer_types_all="full_attention"),
              "gemma4_mixed": dict(GEMMA4, layer_types_cycle=["sliding_attention", "full_attention"]),
              "gemma4_e_windowed": dict(GEMMA4_E, layer_types_all="sliding_attention"),
              "gemma4_e_global": dict(GEMMA4_E, layer_types_all="full_attention"),
              "gemma4_e_mixed": dict(GEMMA4_E, layer_types_cycle=["sliding_attention", "full_attention"]),
              # the last two of four layers reading the first two's keys and values (num_kv_shared_layers)
              "gemma4_e_shared": dict(GEMMA4_E, layer_types_cycle=["sliding_attention", "full_attention"],
                                      num_kv_shared_layers=2)})
EAGER_ONLY = {"gemma2", "mpt", "flint", "gpt_oss", "granite_swa", "mamba2", "mamba", "falcon_mamba"}
# (their SDPA on the CPU takes the math path where the attention drops weights, unlike CUDA's kernels)
EAGER_KINDS = {"gpt2"}
FUSED_QKV = {"gpt_neox"}     # no q_proj / v_proj for --adapted or --lora: counted with every weight trained only
# Mixtral's MLP names for peft as transformers 4 had them (peft converts them into its fused experts' parameters)
LORA_NAMES = {"mixtral": {"gate": "w1", "up": "w3", "down": "w2"},
              # (fused matrices: any of their roles names the one module)
              "phi3": {"q": "qkv_proj", "k": "qkv_proj", "v": "qkv_proj", "gate": "gate_up_proj", "up": "gate_up_proj"},
              "gptj": {"up": "fc_in", "down": "fc_out"}, "opt": {"o": "out_proj", "up": "fc1", "down": "fc2"},
              "phi": {"o": "dense", "up": "fc1", "down": "fc2"}}
TOKENS = (64, 2)   # sequence, batch
LORA_RANK = 16


def kind_config(kind: str, layers: int) -> dict:
    """The config of a model of ``kind`` with ``layers`` layers (a ``_all`` key: a per-layer list, one value for
    every layer; a ``_cycle`` key: a per-layer list repeating the values in turn; ``_drop``: the keys of
    :data:`SHAPE` the family's config does not take)."""
    keys = dict(SHAPE, num_hidden_layers=layers, **KINDS[kind])
    for key in keys.pop("_drop", ()):
        del keys[key]
    for key in [k for k in keys if k.endswith("_all")]:
        keys[key.removesuffix("_all")] = [keys.pop(key)] * layers
    for key in [k for k in keys if k.endswith("_cycle")]:
        cycle = keys.pop(key)
        keys[key.removesuffix("_cycle")] = [cycle[i % len(cycle)] for i in range(layers)]
    return keys


def _model(torch, transformers, kind: str, layers: int, adapted: tuple[str, ...], lora: tuple[str, ...] = (),
           attention: str = "sdpa"):
    keys = kind_config(kind, layers)
    config = transformers.AutoConfig.for_model(keys.pop("model_type"), **keys)
    config._attn_implementation = attention
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).train()
    if adapted:
        for name, p in model.named_parameters():
            p.requires_grad_(any(f"{t}_proj.weight" in name for t in adapted))
    if lora:
        import warnings

        import peft
        with warnings.catch_warnings():     # (peft 0.21 asks transformers 5 a deprecated question)
            warnings.simplefilter("ignore", FutureWarning)
            # (peft checks the doubled rank it gives a fused gate_up_proj against target_modules alone, and warns
            # that it matched none; the parameter takes it: its adapters' shapes)
            warnings.filterwarnings("ignore", "The following (rank|alpha)_pattern keys", RuntimeWarning)
            names = LORA_NAMES.get(kind, {})
            model = peft.get_peft_model(model, peft.LoraConfig(r=LORA_RANK, lora_dropout=0.0, target_modules=list(
                dict.fromkeys(names.get(t, f"{t}_proj") for t in lora))))
    return model


def _saved_bytes(torch, model, tokens: tuple[int, int] = TOKENS, padded: bool = False) -> int:
    # (parameters and buffers are the model's, not activations: GPT-Neo's attention saves a slice of its causal-mask
    # buffer, whose storage is the whole 4,096 x 4,096 table)
    params = {p.untyped_storage().data_ptr() for p in (*model.parameters(), *model.buffers())}
    storages: dict[int, int] = {}

    def pack(t):
        st = t.untyped_storage()
        if st.data_ptr() not in params:
            storages[st.data_ptr()] = max(storages.get(st.data_ptr(), 0), st.nbytes())
        return t

    ids = torch.randint(0, SHAPE["vocab_size"], tokens[::-1])
    # (padded: the last sequence a quarter shorter, its end padding, as a collator pads a micro-batch to its longest)
    mask = torch.ones_like(ids)
    if padded:
        mask[-1, tokens[0] - tokens[0] // 4:] = 0
    labels = ids.masked_fill(mask == 0, -100)
    functional = torch.nn.functional
    cpu_dropout = functional.dropout

    def cuda_dropout(input, p=0.5, training=True, inplace=False):   # noqa: A002 (torch's names)
        """Dropout as it runs on CUDA: PyTorch's fused native_dropout, which keeps a mask of one byte an element (on
        the CPU ``dropout`` multiplies by a noise tensor of the input's type, 2 bytes an element in bf16)."""
        if training and 0 < p < 1:
            return torch.native_dropout(input, p, True)[0]
        return cpu_dropout(input, p, training, inplace)

    functional.dropout = cuda_dropout
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            model(input_ids=ids, labels=labels, use_cache=False, **({"attention_mask": mask} if padded else {}))
    finally:
        functional.dropout = cpu_dropout
    return sum(storages.values())


# the modules whose Mamba-2 mixers training runs through mamba-ssm's fused kernel where it is installed
MAMBA2_MODULES = ("mamba2", "nemotron_h", "granitemoehybrid", "bamba", "falcon_h1")


class mamba_ssm_kernel:  # noqa: N801 (a context manager, named as the package it stands in for)
    """Stands in for mamba-ssm's fused kernel where transformers' Mamba-2 mixers call it in training
    (``mamba2_split_conv1d_scan_combined``): an autograd function that keeps what mamba-ssm's
    ``MambaSplitConv1dScanCombinedFn.forward`` passes to ``save_for_backward`` (mamba_ssm/ops/triton/ssd_combined.py:
    the input projection's output ``zxbcdt``, the convolution's weights, the scan's output before the gated norm
    ``out_x`` in the input's dtype, A, D, dt_bias, the norm's weight and its fp32 inverse RMS per group and token
    ``rstd``, out_proj's weights), its output zeros of out_proj's shape (the values do not change what the rest
    keeps). The kernel's own list is read from its source, not run: this counts what transformers keeps around it."""

    def __enter__(self):
        import importlib

        import torch

        class Fused(torch.autograd.Function):
            @staticmethod
            def forward(ctx, zxbcdt, conv_weight, conv_bias, dt_bias, a, d, norm_weight, out_weight, out_bias, heads,
                        head_dim, groups):
                batch, seq, _ = zxbcdt.shape
                out_x = zxbcdt.new_empty(batch, seq, heads, head_dim)
                rstd = zxbcdt.new_empty(batch * seq * groups, dtype=torch.float32) if norm_weight is not None else None
                ctx.save_for_backward(zxbcdt, conv_weight, conv_bias, out_x, a, d, dt_bias, norm_weight, rstd,
                                      out_weight, out_bias)
                return zxbcdt.new_zeros(batch, seq, out_weight.shape[0])

        def fused(zxbcdt, conv1d_weight, conv1d_bias, dt_bias, A, D, chunk_size, rmsnorm_weight=None,  # noqa: N803
                  outproj_weight=None, outproj_bias=None, headdim=None, ngroups=1, **_):
            return Fused.apply(zxbcdt, conv1d_weight, conv1d_bias, dt_bias, A, D, rmsnorm_weight, outproj_weight,
                               outproj_bias, D.shape[0], headdim, ngroups)

        self.modules = [importlib.import_module(f"transformers.models.{m}.modeling_{m}") for m in MAMBA2_MODULES]
        self.saved = [m.mamba2_split_conv1d_scan_combined for m in self.modules]
        for m in self.modules:
            m.mamba2_split_conv1d_scan_combined = fused
        return self

    def __exit__(self, *exc):
        for m, f in zip(self.modules, self.saved, strict=True):
            m.mamba2_split_conv1d_scan_combined = f
        return False


def layer_bytes_per_token(kind: str, adapted: tuple[str, ...] = (), lora: tuple[str, ...] = (),
                          attention: str = "sdpa", tokens: tuple[int, int] = TOKENS, mamba_ssm: bool = False,
                          padded: bool = False) -> float:
    """One layer's saved bytes per token for ``kind`` (all weights trained, only ``adapted``, or peft LoRA
    adapters on ``lora``), with transformers' ``attention`` implementation (sdpa or eager); ``mamba_ssm``: its
    Mamba-2 mixers through mamba-ssm's fused kernel (:class:`mamba_ssm_kernel`); ``padded``: the last sequence a
    quarter shorter, padded (an attention mask with zeros)."""
    import torch
    import transformers
    transformers.logging.set_verbosity_error()
    with mamba_ssm_kernel() if mamba_ssm else contextlib.nullcontext():
        two, four = (_saved_bytes(torch, _model(torch, transformers, kind, n, adapted, lora, attention), tokens,
                                  padded) for n in (2, 4))
    return (four - two) / 2 / (tokens[0] * tokens[1])


LOGIT_SHAPE = {"hidden_size": 64, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 32,
               "intermediate_size": 128, "vocab_size": 32000, "num_hidden_layers": 1, "query_pre_attn_scalar": 32,
               "sliding_window": 4096, "attn_logit_softcapping": None, "tie_word_embeddings": False}


# the recurrent mixer's module in a layer of each kind (a Gated DeltaNet's ``linear_attn`` elsewhere)
MIXERS = {"mamba2": "mixer", "nemotron_h_mamba": "mixer", "granite_mamba": "mamba", "bamba": "mamba",
          "falcon_h1": "mamba", "mamba": "mixer", "falcon_mamba": "mixer", "jamba_mamba": "mamba"}


def mixer_bytes_per_token(kind: str, tokens: tuple[int, int] = TOKENS, trained: bool = True,
                          mamba_ssm: bool = False) -> float:
    """What the second layer's recurrent mixer (a Gated DeltaNet's ``linear_attn``, a Mamba-2 mixer: :data:`MIXERS`)
    of a 2-layer model of ``kind`` keeps a token:
    the storages its operations save that nothing before them saved (its input norm's output among them, which its
    input projections save when they train), every weight trained or (``trained`` False) only the embedding and the
    output layer."""
    import torch
    import transformers
    transformers.logging.set_verbosity_error()
    model = _model(torch, transformers, kind, 2, (), attention="eager" if kind in EAGER_ONLY else "sdpa")
    if not trained:
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith(("lm_head", "model.embed_tokens", "model.embeddings",
                                              "backbone.embeddings")))
    params = {p.untyped_storage().data_ptr() for p in (*model.parameters(), *model.buffers())}
    seen, inside, kept = set(), [False], {}
    layers = model.backbone.layers if hasattr(model, "backbone") else model.model.layers
    mixer = getattr(layers[1], MIXERS.get(kind, "linear_attn"))
    mixer.register_forward_pre_hook(lambda *_: inside.__setitem__(0, True))
    mixer.register_forward_hook(lambda *_: inside.__setitem__(0, False))

    def pack(t):
        st = t.untyped_storage()
        if st.data_ptr() not in params:
            if inside[0] and st.data_ptr() not in seen:
                kept[st.data_ptr()] = max(kept.get(st.data_ptr(), 0), st.nbytes())
            seen.add(st.data_ptr())
        return t

    ids = torch.randint(0, SHAPE["vocab_size"], tokens[::-1])
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), \
            mamba_ssm_kernel() if mamba_ssm else contextlib.nullcontext():
        model(input_ids=ids, labels=ids, use_cache=False)
    return sum(kept.values()) / (tokens[0] * tokens[1])


def logit_bytes(softcap: float | None) -> float:
    """The peak bytes a logit holds in a training step (forward, loss, backward) of a one-layer Gemma 2 whose
    vocabulary of 32,000 outweighs its width of 64 (so the logits set the peak), its final logits soft-capped at
    ``softcap`` or not: the most memory alive at once, from PyTorch's memory profiler's timeline of the tensors the
    step creates and destroys (the weights' gradients, made by a first step, excluded), over the logits' count."""
    import torch
    import transformers
    from torch.profiler import ProfilerActivity, profile
    from torch.profiler._memory_profiler import Action
    transformers.logging.set_verbosity_error()
    config = transformers.AutoConfig.for_model("gemma2", final_logit_softcapping=softcap, **LOGIT_SHAPE)
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).train()
    ids = torch.randint(0, LOGIT_SHAPE["vocab_size"], TOKENS[::-1])

    def step():
        loss = model(input_ids=ids, labels=ids).loss     # (the outputs' logits go, as in HF's Trainer)
        loss.backward()

    step()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True, record_shapes=True, with_stack=True) as p:
        step()
    alive = peak = 0
    for _, action, _, size in p._memory_profile().timeline:
        alive += size if action == Action.CREATE else -size if action == Action.DESTROY else 0
        peak = max(peak, alive)
    return peak / (TOKENS[0] * TOKENS[1] * LOGIT_SHAPE["vocab_size"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--adapted", default="", help="comma list of projections whose weights train (default: all)")
    ap.add_argument("--lora", default="", help="comma list of projections with peft LoRA adapters (r16)")
    ap.add_argument("--attention", default="sdpa", choices=("sdpa", "eager"), help="transformers' attention")
    ap.add_argument("--logits", action="store_true", help="a logit's peak bytes, soft-capped or not, instead")
    args = ap.parse_args(argv)
    if args.logits:
        for softcap in (None, 30.0):
            sys.stdout.write(json.dumps({"final_logit_softcapping": softcap, "logit_bytes": logit_bytes(softcap)})
                             + "\n")
        return 0
    adapted = tuple(t for t in args.adapted.split(",") if t)
    lora = tuple(t for t in args.lora.split(",") if t)
    for kind in KINDS:
        if (adapted or lora) and kind in FUSED_QKV or args.attention != "eager" and kind in EAGER_ONLY | EAGER_KINDS:
            continue
        trained = list(adapted) or ("adapters" if lora else "all")
        sys.stdout.write(json.dumps({"kind": kind, "trained": trained, "lora": list(lora), "shape": SHAPE,
                                     "attention": args.attention,
                                     "layer_bytes_per_token": layer_bytes_per_token(kind, adapted, lora,
                                                                                    args.attention)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
