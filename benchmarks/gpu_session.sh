#!/usr/bin/env bash
# One lent GPU session's measurements (run from the repository root on the GPU machine):
# HF transformers inference (tools/measure_gpu.py) and fine-tuning memory
# (benchmarks/measure_training.py) of randomly initialised models built from presets'
# configs (the round, 1-18, the first argument). Writes infer.jsonl, host.jsonl, train.jsonl and env.txt under $OUT (default ./gpu_out);
# each point is written as soon as it is measured, so a run cut short keeps what it took.
set -u
OUT=${OUT:-gpu_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD
GPU_REF=${GPU_REF:-h200}
{
  date -u; nvidia-smi; nvidia-smi -q -d CLOCK,POWER | grep -E "Max|Limit|Graphics|Memory" | head -20
  lscpu | grep -E "Model name|^CPU\(s\)"; python3 -c "import torch, transformers, sys; print(sys.version); \
print('torch', torch.__version__, 'transformers', transformers.__version__)"
} > "$OUT/env.txt" 2>&1

config() {   # presets/models/<id>.json's config -> /tmp/cfg/<id>/config.json
  mkdir -p "/tmp/cfg/$1"
  python3 -c "import json; print(json.dumps(json.load(open('presets/models/$1.json'))['config']))" \
    > "/tmp/cfg/$1/config.json"
}

infer() {    # infer <preset id> <prompts> <generate cases>
  config "$1"
  echo "== $1 $(date -u +%T)" | tee -a "$OUT/log.txt"
  python3 -m vramgui.tools.measure_gpu --config "/tmp/cfg/$1/config.json" --out "$OUT/infer.jsonl" \
    --dtype "${DTYPE:-bfloat16}" --attention "${ATT:-sdpa}" --prompts "$2" --generate "$3" --repeats "${R:-2}" \
    --name "$1" --model-ref "$1" --gpu-ref "$GPU_REF" ${EXPERTS:+--experts "$EXPERTS"} ${BNB:+--bnb "$BNB"} \
    >> "$OUT/log.txt" 2>&1 || echo "FAILED $1" >> "$OUT/log.txt"
}

train() {    # train <preset id> <case> [<case> ...]
  local id=$1; shift
  echo "== train $id $(date -u +%T)" | tee -a "$OUT/log.txt"
  local cases=()
  for c in "$@"; do cases+=(--case "$c"); done
  python3 benchmarks/measure_training.py --model "$id" "${cases[@]}" --out "$OUT/train.jsonl" ${CAPS:+--caps "$CAPS"} \
    ${ACCUM:+--grad-accum "$ACCUM"} \
    >> "$OUT/log.txt" 2>&1 || echo "FAILED train $id" >> "$OUT/log.txt"
}

narrow() {   # narrow <name> <layers> <new tokens> <config keys>: a narrow model (hidden 256: GPU work ~0) of that
             # kind and depth, whose generate() steps are HF's host cost
  mkdir -p "/tmp/cfg/$1"
  echo "{\"hidden_size\": 256, \"intermediate_size\": 512, \"num_attention_heads\": 4, \"num_key_value_heads\": 4, \
\"num_hidden_layers\": $2, \"vocab_size\": 32000, \"max_position_embeddings\": 4096, $4}" > "/tmp/cfg/$1/config.json"
  echo "== $1 $(date -u +%T)" | tee -a "$OUT/log.txt"
  python3 -m vramgui.tools.measure_gpu --config "/tmp/cfg/$1/config.json" --out "$OUT/host.jsonl" \
    --dtype bfloat16 --attention sdpa --prompts 128 --generate "1:128:$3" --repeats 3 --name "$1" \
    >> "$OUT/log.txt" 2>&1 || echo "FAILED $1" >> "$OUT/log.txt"
}


narrow_kinds() {   # round 6's narrow models: five kinds of layer at 16 and 48 layers
  for n in 16 48; do
    narrow "narrow-llama-$n" $n 32 '"model_type": "llama"'
    narrow "narrow-qwen3-$n" $n 32 '"model_type": "qwen3", "head_dim": 64'
    narrow "narrow-gemma3-$n" $n 32 \
      '"model_type": "gemma3_text", "head_dim": 64, "sliding_window": 1024, "query_pre_attn_scalar": 64'
    narrow "narrow-qwen3moe-$n" $n 32 \
      '"model_type": "qwen3_moe", "head_dim": 64, "num_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 64'
    narrow "narrow-mixtral-$n" $n 32 '"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2'
  done
}

case "${1:-1}" in
1)  # 2026-12-04, first round: memory and speed of seven models, fine-tuning memory
infer llama3-8b 512,2048,8192 1:512:128,16:512:64,8:2048:64,1:8000:32
infer llama2-7b 512,2048,4000 1:512:128,16:512:64,8:2048:64,1:4000:32
train llama3.2-1b full:none:2048:4 full:full:2048:4 lora:none:2048:4
infer qwen2.5-7b 512,2048,8192 1:512:128,16:512:64,8:2048:64,1:8000:32
infer mixtral-8x7b 512,2048 1:512:64,16:512:32
infer qwen3-32b 512,2048 1:512:64,16:512:32
train llama2-7b full:full:2048:2 lora:full:2048:4 lora:none:2048:2
infer llama2-13b 512,2048 1:512:64,16:512:32,8:2048:32
;;
2)  # the second round: HF's host cost per layer; prompts at 512-16k tokens, each shape warmed up once
for n in 16 32 64; do narrow "host$n" $n 64 '"model_type": "llama"'; done
R=5
infer llama3-8b 512,1024,2048,4096,8192,16384 1:512:64
infer qwen2.5-7b 512,1024,2048,4096,8192,16384 1:512:64
infer qwen3-32b 512,1024,2048,4096,8192 1:512:32
infer llama2-13b 512,1024,2048,4096 1:512:64
infer mixtral-8x7b 512,1024,2048,4096 1:512:32,4:512:32
;;
3)  # the third round: batched decode with warm-up, eager attention's score matrices, sliding-window and MLA
    # caches in HF, a 128-expert MoE, and AdamW's fused step beside the foreach one
R=3
infer llama3-8b 512 4:512:64,16:512:64,64:512:32
ATT=eager infer llama3-8b 1024,2048 1:1024:8,1:2048:8,1:4096:8
infer gemma3-4b 512,4096 1:8000:32,4:4096:32
infer mistral-7b 512 1:8000:32
infer deepseek-v2-lite 512 1:4096:32
infer qwen3-30b-a3b 512,2048 1:512:32
train llama2-7b full:full:2048:2:fused full:full:2048:2:foreach
train llama3.2-1b full:none:2048:4:fused
;;
4)  # the fourth: Gemma 3's windowed layers at more lengths (HF keeps the prompt's whole cache as a view until the
    # first step), eager attention's score bytes at 8k and with MHA, HF's MoE decode over the batch with its
    # default experts kernel and with the per-expert loop
R=3
infer gemma3-4b 2048 1:2048:32,1:16000:16,2:8000:16
infer qwen3-30b-a3b 4096 4:512:32,16:512:32,64:512:16
EXPERTS=eager infer qwen3-30b-a3b 512 1:512:32,4:512:32
ATT=eager infer llama3-8b 512 1:8192:4
ATT=eager infer llama2-7b 512 1:4096:8,4:2048:8
EXPERTS=eager infer mixtral-8x7b 512 1:512:32,4:512:32
;;
5)  # the fifth: fp16's eager attention (its softmax fuses the upcast: 8 bytes a score held, 24 moved, against
    # bf16's 10 and 32), beside SDPA's prompts at the same lengths
R=3
DTYPE=float16 infer llama3-8b 1024,2048,4096 1:4096:8
DTYPE=float16 ATT=eager infer llama3-8b 1024,2048,4096 1:4096:8,1:2048:8
;;
6)  # the sixth: HF's host cost a decode step by the kind of layer, from narrow models of 16 and 48 layers (next to
    # no GPU work): Llama's two norms a layer, Qwen3's q/k norms, Gemma 3's four norms, q/k norms and windowed
    # mask, and the experts' dispatch of Qwen3-MoE (top-8 of 128) and Mixtral (top-2 of 8)
narrow_kinds
;;
7)  # the seventh: the sixth whole on a fresh machine start (the sixth was cut short), then Llama 3 8B's SDPA decode
    # in fp16 and bf16 on that start, at 512 and 4,096 tokens with 32 new tokens (round 5's one fp16 SDPA decode,
    # 8 tokens after a 4,096-token prompt, stepped 9-13 ms slower than bf16's)
narrow_kinds
R=3
DTYPE=float16 infer llama3-8b 512 1:512:32,1:4096:32
infer llama3-8b 512 1:512:32,1:4096:32
;;
8)  # the eighth: HF's host floor by kernels (speed.host_layers), out of sample: real models whose layers launch
    # more kernels than Llama's (Qwen3 8B: q/k norms; Gemma 2 9B: four norms; OLMo 3 7B: post-norms and q/k norms
    # over all heads) at one sequence, Llama 3 8B first and last (the host drifts within a run)
R=3
for m in llama3-8b qwen3-8b gemma2-9b olmo3-7b llama3-8b; do infer $m 512 1:512:32; done
;;
9)  # the ninth: the same out of sample for an MoE model and layers launching no more kernels than Llama's (the
    # rule's 1.0): Phi-3.5-MoE (LayerNorm, 16 experts, top-2: 56 by the rule, 59 counted), Falcon 7B (one LayerNorm,
    # fused QKV, parallel attention and MLP: 36 counted), Phi-3 mini (fused QKV and gate-up: 39 counted)
R=3
for m in llama3-8b phi3.5-moe falcon-7b phi3-mini llama3-8b; do infer $m 512 1:512:32; done
;;
10) # the tenth: fine-tuning memory out of the Llama family (the training estimate's runs so far are Llama's):
    # Qwen2.5 7B (a 152k vocabulary: large logits) full without and with checkpointing and LoRA, Qwen3 4B (q/k norms)
train qwen2.5-7b full:none:2048:2 full:full:2048:4 lora:none:2048:4
train qwen3-4b lora:none:2048:4 full:full:2048:4
;;
11) # the eleventh: what fine-tuning *needs* against what a roomy card's pool holds (round 10's checkpointed Qwen
    # runs reserved 16 GiB above their allocated peaks). First PyTorch's expandable segments (no pool of
    # fixed-size blocks to fragment), then the default allocator with its pool capped at multiples of the
    # allocated peak, smallest first, until a run completes (benchmarks/measure_training.py --caps)
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
train qwen2.5-7b full:full:2048:4 full:none:2048:2 lora:none:2048:4
train qwen3-4b full:full:2048:4
train llama2-7b full:full:2048:2
unset PYTORCH_CUDA_ALLOC_CONF
CAPS=1.0,1.03,1.1,1.25    # (round 11's caps failed at set_per_process_memory_fraction: it wants the device's index)
;&
12) # the twelfth: round 11's capped pools alone, the script fixed
CAPS=1.0,1.03,1.1,1.25
train qwen2.5-7b full:full:2048:4 full:none:2048:2
train qwen3-4b full:full:2048:4
train llama2-7b full:full:2048:2
train llama3.2-1b full:none:2048:4
;;
13) # the thirteenth: round 12's brackets narrowed (each case's caps start above its last failing one), and LoRA's
CAPS=1.01,1.02,1.03 train qwen2.5-7b full:full:2048:4
CAPS=1.01,1.02,1.03 train llama2-7b full:full:2048:2
CAPS=1.05,1.07,1.1 train qwen2.5-7b full:none:2048:2
CAPS=1.05,1.07,1.1 train llama3.2-1b full:none:2048:4
CAPS=1.15,1.2,1.25 train qwen3-4b full:full:2048:4
CAPS=1.0,1.02,1.05,1.1,1.2 train qwen2.5-7b lora:none:2048:4
CAPS=1.0,1.02,1.05,1.1,1.2 train qwen3-4b lora:none:2048:4
;;
14) # the fourteenth: the capped pools with expandable segments (does mapping pages on demand lower the need?)
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
CAPS=1.0,1.02,1.05,1.1,1.15,1.2 train qwen3-4b full:full:2048:4
CAPS=1.0,1.02,1.05 train qwen2.5-7b full:none:2048:2
CAPS=1.0,1.02,1.05,1.1 train qwen3-4b lora:none:2048:4
;;
15) # the fifteenth: gradient accumulation (two micro-batches a step): the gradients stay through the second
    # forward pass, so the loss's phase holds them too (training_memory's rule for grad_accum > 1)
ACCUM=2 train qwen3-4b full:full:2048:4
ACCUM=2 train llama3.2-1b full:none:2048:4 full:full:2048:4
;;
16) # the sixteenth: the activation rules out of sample, estimated before the run: an MoE model's LoRA (Qwen3-30B-A3B,
    # 128 experts, top 8: the router's probabilities and the routed outputs) and OLMo 3 7B (post-norms, q/k norms
    # over all heads, the norms' weights multiplied in fp32) with LoRA and fully trained
train qwen3-30b-a3b lora:none:2048:2
train olmo3-7b lora:none:2048:4 full:none:2048:2
;;
17) # the seventeenth: when does the caching pool need more? Qwen3 4B's checkpointed full fine-tuning needed 15-20 %
    # above its allocated peak at 4 x 2,048 tokens, where its loss's phase (the logits' large blocks) and its step's
    # are alike in size (15.3 and 15.0 GiB); at 2, 6 and 8 sequences they are not. Gemma 2 2B: a 256k vocabulary
CAPS=1.02,1.05,1.1,1.15,1.2,1.3
for b in 2 6 8; do train qwen3-4b full:full:2048:$b; done
train gemma2-2b full:full:2048:4
;;
18) # the eighteenth: bitsandbytes in HF transformers on another host (BNB_LINEAR_KERNELS and BNB_DEQUANT_WEIGHTS_PER_S
    # were fitted on bitsandbytes' own H100 benchmark) and QLoRA's k-bit preparation (TrainingSetup.kbit_upcast,
    # counted from peft's source). Needs bitsandbytes: where the machine lacks it, the wheel carried in .wheels/
    # (here: `pip download bitsandbytes==0.50.2 --no-deps -d .wheels`, `echo /.wheels/ >> .git/info/exclude`, then
    # run with carry [".wheels"]). Estimated before the run (commit of this round): Llama 3.1 8B at 64 + 32 tokens,
    # one sequence's tokens/s at 1, 8 and 32 sequences: bf16 37.65 (all three), NF4 27.89 / 20.56 / 20.56, NF4 with
    # double quantization 23.10 / 17.33 / 17.33, LLM.int8() 11.94 / 11.56 / 11.56 (the server's host cost, 0.83 ms a
    # layer: this VM's host ran Llama layers faster, 0.51 ms + 6.4 ms a step, so the ratios to bf16 are the test);
    # QLoRA r16 on q/v with checkpointing, 2 x 1,024 tokens, under bf16 autocast (as HF's Trainer with bf16=True):
    # allocated 10.78 GiB with the k-bit preparation and 8.82 without (weights 7.29 / 5.34 GiB; the fp32 weights'
    # effect on the activations and autocast's 16-bit copies are not in the estimate: the gap measures them)
python3 -c "import bitsandbytes" 2>/dev/null || pip install --no-deps --quiet .wheels/bitsandbytes-*.whl \
  >> "$OUT/log.txt" 2>&1 || echo "FAILED bitsandbytes install" >> "$OUT/log.txt"
R=2
infer llama3.1-8b 64 1:64:32,8:64:32,32:64:32
for f in nf4-nodq nf4; do BNB=$f infer llama3.1-8b 64 1:64:32,8:64:32,32:64:32; done
DTYPE=float16 BNB=bnb-int8 infer llama3.1-8b 64 1:64:32,8:64:32,32:64:32
train llama3.1-8b qlora:full:1024:2 qlora-raw:full:1024:2
;;
esac
echo "== done $(date -u +%T)" | tee -a "$OUT/log.txt"
