"""The explanations: substituted numbers are the estimate's own, every assumption names a
source.  Expected values are worked out by hand from the model card and the datasheet."""

import itertools

import pytest

from vramgui.core import estimate_memory
from vramgui.core.engines import ENGINES, EngineProfile
from vramgui.core.explain import explain, explain_items, explain_training_items
from vramgui.core.speed import SOURCES, estimate_speed
from vramgui.core.training import TrainingSetup
from vramgui.core.units import GIB


def by_key(s):
    return {e.key: e for e in explain_items(s)}


def test_llama2_7b_kv_line_is_the_hand_calculation(scenario):
    # Llama 2 7B config.json: 32 layers, 32 KV heads, head dim 4096/32 = 128; fp16 = 2 bytes.
    s = scenario("llama2-7b", "rtx4090", prompt_tokens=4096, output_tokens=256)
    kv = by_key(s)["kv_cache"]
    hand = 2 * 32 * 32 * 128 * 2 * (4096 + 256)       # 2,281,701,376 bytes = 2.125 GiB
    assert "2 × 32 × 32 × 128 × 2 bytes × 4,352 tokens × 1" in kv.substituted
    assert f"{hand / GIB:,.2f} GiB" in kv.substituted
    assert float(estimate_memory(s).kv_cache) == hand
    assert kv.result == "2.12 GiB per card"


def test_hf_windowed_layers_holding_the_prompt_are_explained(scenario):
    # Gemma 3 4B in HF transformers with a prompt longer than its 1,024-token window: the 29 windowed layers hold
    # the 8,000-token prompt at the peak; with a short prompt they are capped as in every engine
    s = scenario("gemma3-4b", "h200", engine="hf", weights="bf16", kv_dtype="bf16", prompt_tokens=8000,
                 output_tokens=32)
    kv = by_key(s)["kv_cache"]
    assert "at the peak they hold the 8,000-token prompt" in kv.note
    assert kv.substituted.startswith("= (2 × 5 × 4 × 256 × 8,032 tokens + 2 × 29 × 4 × 256 × 8,000 tokens) × 2 bytes")
    hand = 2 * 4 * 256 * 2 * (5 * 8032 + 29 * 8000)    # 1,114,767,360 bytes
    assert kv.result == f"{hand / GIB:,.2f} GiB per card" == "1.04 GiB per card"
    short = by_key(s.with_(prompt_tokens=512))["kv_cache"]      # (544 tokens, under the window: every layer all)
    assert "hold the" not in short.note
    assert short.substituted.startswith("= (2 × 5 × 4 × 256 × 544 tokens + 2 × 29 × 4 × 256 × 544 tokens) × 2 bytes")
    # under vLLM the windowed layers keep the window, whatever the prompt, in groups of 5 layers (the full ones'
    # count): 29 windowed and a padding layer
    vllm = by_key(s.with_(engine="vllm"))["kv_cache"]
    assert vllm.substituted.startswith("= (2 × 5 × 4 × 256 × 8,032 tokens + 2 × 30 × 4 × 256 × 1,024 tokens) × 2 "
                                       "bytes")


def test_llama2_7b_weights_and_decode_lines(scenario):
    s = scenario("llama2-7b", "rtx4090", prompt_tokens=4096, output_tokens=256)
    items = by_key(s)
    params = 6_738_415_616                              # Llama 2 7B, counted from config.json
    assert f"{params * 2 / GIB:,.2f} GiB per card" == items["weights"].result == "12.55 GiB per card"
    # decode at batch 1: weights without the embedding lookup (32,000 × 4,096) + the filled cache,
    # over the RTX 4090's 1,008 GB/s (Ada whitepaper) at the generic profile's 85 %
    moved = (params - 32_000 * 4096) * 2 + 2 * 32 * 32 * 128 * 2 * 4352
    step_ms = moved / (1008e9 * 0.85) * 1e3              # 18.086 ms
    assert f"{moved / GIB:,.2f} GiB ÷ (1,008 GB/s × 0.85)" in items["decode"].substituted
    assert f"= {step_ms:,.2f} ms per token" in items["decode"].substituted
    assert float(estimate_speed(s).decode_step_s) * 1e3 == pytest.approx(step_ms, rel=1e-9)
    assert "165.2 TFLOP/s" in items["decode"].substituted


def test_70b_gqa_on_tensor_parallel_cards_counts_kv_heads_per_card(scenario):
    # Llama 2 70B: 80 layers, 8 KV heads; vLLM tensor parallel over 2 cards keeps 4 per card
    s = scenario("llama2-70b", "a100-80gb", engine="vllm", n_gpus=2, prompt_tokens=1000, output_tokens=24)
    kv = by_key(s)["kv_cache"]
    assert "2 × 80 × 4 × 128 × 2 bytes × 1,024 tokens × 1" in kv.substituted
    assert kv.result == f"{2 * 80 * 4 * 128 * 2 * 1024 / GIB:,.2f} GiB per card"


def test_layer_split_names_the_share_in_the_product(scenario):
    s = scenario("llama2-7b", "rtx4090", engine="llamacpp", weights="q4_0", n_gpus=2, prompt_tokens=4096,
                 output_tokens=0)
    kv = by_key(s)["kv_cache"]
    # llama.cpp shares 32 layers + the output layer out as 33 units: layers 0-16 on the first card, 17-31 and
    # the output on the second; n_ctx 4096 (a multiple of 256) × 17 layers on the card with the most
    assert "× 17/32 of the layers" in kv.substituted
    assert "holds 17 of the 32 layers" in kv.note and "17 + 15 layers" in kv.note
    assert kv.result == f"{2 * 17 * 32 * 128 * 2 * 4096 / GIB:,.2f} GiB per card"


SCENARIOS = list(itertools.product(
    ["llama2-7b", "llama2-70b"], ["rtx4090", "h100-sxm"], ["generic", "hf", "vllm", "llamacpp"],
    ["fp16", "awq-int4", "q4_k_m", "fp8"], [1, 4]))


@pytest.mark.parametrize("model,gpu,engine,weights,n", SCENARIOS[::5])
def test_results_are_the_estimates_and_every_assumption_has_a_source(scenario, model, gpu, engine, weights, n):
    s = scenario(model, gpu, engine=engine, weights=weights, n_gpus=n, prompt_tokens=2048, output_tokens=128,
                 batch=2)
    items = by_key(s)
    assert list(items) == ["weights", "kv_cache", "activations", "overhead", "total", "decode", "prefill", "served"]
    m, sp = estimate_memory(s), estimate_speed(s, with_knee=False)
    for key in ("weights", "kv_cache", "activations", "overhead"):
        value = f"{float(getattr(m, key)) / GIB:,.2f} GiB"
        assert items[key].result == f"{value} per card"
        assert value in items[key].substituted
    assert f"{float(m.total) / GIB:,.2f} GiB" in items["total"].substituted
    assert f"{float(sp.decode_step_s) * 1e3:,.2f} ms per token" in items["decode"].substituted
    for e in items.values():
        assert e.formula and e.substituted and e.assumptions, e.key
        for a in e.assumptions:
            assert a.name.strip() and a.value.strip() and a.source.strip(), (e.key, a)


def test_tooltips_are_the_items_text(scenario):
    s = scenario("llama2-7b", "rtx4090", prompt_tokens=512)
    tips = explain(s)
    for e in explain_items(s):
        assert tips[e.key] == e.text
        assert e.formula in tips[e.key] and e.substituted in tips[e.key]


def test_speed_sources_are_named_after_existing_constants():
    import vramgui.core.speed as speed
    for name, text in SOURCES.items():
        assert hasattr(speed, name) and text.strip(), name


def test_engine_profiles_source_every_topic():
    for p in ENGINES.values():
        assert all(p.sources[t].strip() for t in ("weights", "kv_cache", "activations", "overhead", "budget",
                                                   "parallel")), p.id
    data = ENGINES["generic"].model_dump()
    data["sources"] = {k: v for k, v in data["sources"].items() if k != "overhead"}
    with pytest.raises(ValueError, match="sources lacks overhead"):
        EngineProfile.model_validate(data)


def test_training_items_carry_results_and_sources(cat):
    t = TrainingSetup(model=cat.model("llama2-7b"), gpu=cat.gpu("rtx4090"), method="lora", lora_rank=8)
    items = {e.key: e for e in explain_training_items(t)}
    # LoRA r = 8 on q and v of 32 layers: 8 × (4096 + 4096) × 2 × 32 = 4,194,304 (Hu et al., 2021)
    assert items["trainable"].result == "4,194,304"
    assert all(a.source.strip() for e in items.values() for a in e.assumptions)
    assert "QLoRA" in items["optimizer"].assumptions[0].source      # LoRA adapters: the QLoRA recipe


def test_cost_of_a_million_tokens_by_hand():
    # 3.20 per card-hour on 8 cards: 25.6 an hour = 0.0071 a second; at the batch's served tokens/s
    # the cost of 10⁶ tokens is 0.0071 / (tokens/s) × 10⁶.  Served: 16 requests generate 16 × 500
    # tokens in 500 decode steps (context 2,000 → 2,500) plus the prefill of their 16 prompts.
    import numpy as np

    from vramgui.core import Scenario, default_catalog
    from vramgui.core.explain import explain_cost
    from vramgui.core.speed import costs, decode_step, prefill_time
    cat = default_catalog()
    s = Scenario(model=cat.model("llama3.1-405b"), gpu=cat.gpu("h100-sxm"), n_gpus=8, weights="fp8", engine="vllm",
                 prompt_tokens=2000, output_tokens=500, batch=16)
    steps = decode_step(s, 16, np.arange(2000, 2500) + 0.5)[0].sum()
    rate = 16 * 500 / (steps + float(prefill_time(s, 2000, 16)))
    assert rate < 16 / float(estimate_speed(s).decode_step_s)       # below the decode steps' alone
    e = explain_cost(s, costs(s, 3.2, 64))
    assert float(e.result.replace(",", "")) == pytest.approx(3.2 * 8 / 3600 / rate * 1e6, rel=1e-3)
    assert e.substituted.startswith(f"= 3.2 × 8 ÷ 3,600 ÷ {rate:,.1f} × 10⁶")
    assert "Cheapest batch that fits in memory: 64" in e.note


@pytest.mark.parametrize("gpu, backend, layer_us", [("m4-max-128gb", "on Metal", 148), ("mi300x", "on ROCm", 130),
                                                    ("rtx4090", "with CUDA graphs", 38)])
def test_llamacpp_names_the_backend_row_the_card_gets(scenario, gpu, backend, layer_us):
    # Llama 3.1 8B has 32 layers: the layers' fixed cost is 32 × the backend's measured cost
    s = scenario("llama3.1-8b", gpu, weights="q4_k_m", engine="llamacpp")
    decode = by_key(s)["decode"]
    values = {a.name: a.value for a in decode.assumptions}
    assert f"llama.cpp {backend}" in values["Bandwidth efficiency η_bw"]
    assert values["Layers' fixed cost"] == f"{32 * layer_us / 1000:.2f} ms (32 layers × {layer_us} µs)"


def test_hf_names_the_host_its_launch_loop_runs_on(scenario):
    # a data-centre card sits in a server: 32 layers × 0.83 ms; a V100 in a server of its years: × 1.14 ms; an RTX
    # 4090 in a desktop: × 0.5 ms
    for gpu, host, per_layer in (("a100-80gb", " on a server host", "0.83"),
                                 ("v100-32gb", " on an older server host (the cards before 2020 sit in them)",
                                  "1.14"), ("rtx4090", " on a desktop host", "0.50")):
        decode = by_key(scenario("llama2-7b", gpu, weights="fp16", engine="hf"))["decode"]
        floor = {a.name: a.value for a in decode.assumptions}["Host launch floor"]
        assert floor.endswith(f"(32 layers × {per_layer} ms{host})")


def test_hf_host_floor_counts_the_kernels_a_layer_launches(scenario):
    # HF's launch loop per layer is a Llama layer's 40 kernels (benchmarks/count_hf_kernels.py); each RMSNorm beyond
    # two launches 8 more, an MoE block 16 more. Gemma 3 4B: 34 layers of four norms + q/k norms (4 more): 72
    # kernels, x 1.80: 34 x 0.83 x 1.8 = 50.796 ms on a server host (vramgui's own H200 runs stepped in 40-47 ms)
    gemma = scenario("gemma3-4b", "h200", weights="bf16", kv_dtype="bf16", engine="hf", prompt_tokens=2048,
                     output_tokens=32)
    values = {a.name: a.value for a in by_key(gemma)["decode"].assumptions}
    assert values["Host launch floor"] == ("50.80 ms per step (34 layers × 0.83 ms × 1.80: 72 kernels a layer against "
                                           "a Llama layer's 40 on a server host)")
    assert float(estimate_speed(gemma).decode_step_s) * 1e3 == pytest.approx(34 * 0.83 * 72 / 40, rel=1e-9)
    # Qwen3-30B-A3B: 48 layers with q/k norms (56 kernels) and an MoE block each (16 more): 48 x 0.83 x 72 / 40 =
    # 71.71 ms (own runs: 60.4-63.2 ms at 1-16 sequences); its roofline (~6 GB in ~1.5 ms) is under the floor
    s = scenario("qwen3-30b-a3b", "h200", weights="bf16", kv_dtype="bf16", engine="hf", prompt_tokens=512,
                 output_tokens=32)
    values = {a.name: a.value for a in by_key(s)["decode"].assumptions}
    assert values["Host launch floor"] == ("71.71 ms per step (48 layers × 0.83 ms × 1.80: 72 kernels a layer, its "
                                           "MoE block's included, against a Llama layer's 40 on a server host)")
    assert "MoE layers' fixed cost" not in values
    assert float(estimate_speed(s).decode_step_s) * 1e3 == pytest.approx(48 * 0.83 * 72 / 40, rel=1e-9)
    # Mixtral 8x7B: two norms, 32 MoE blocks: 32 x 0.83 x 56 / 40 = 37.18 ms; Llama 3 8B as counted, 26.56 ms
    mixtral = scenario("mixtral-8x7b", "h200", weights="bf16", kv_dtype="bf16", engine="hf", prompt_tokens=512)
    assert float(estimate_speed(mixtral).decode_step_s) * 1e3 == pytest.approx(32 * 0.83 * 56 / 40, rel=1e-9)
    llama = scenario("llama3-8b", "h200", weights="bf16", kv_dtype="bf16", engine="hf", prompt_tokens=512)
    assert float(estimate_speed(llama).decode_step_s) * 1e3 == pytest.approx(32 * 0.83, rel=1e-9)
    assert {a.name: a.value for a in by_key(llama)["decode"].assumptions}["Host launch floor"] == \
        "26.56 ms per step (32 layers × 0.83 ms on a server host)"
    # vLLM launches its steps as CUDA graphs: no host floor
    assert "Host launch floor" not in {a.name for a in by_key(s.with_(engine="vllm"))["decode"].assumptions}


def test_weights_note_names_the_rows_a_k_quant_cannot_take(scenario):
    note = by_key(scenario("nemotron3-nano-30b-a3b", "rtx4090", engine="llamacpp", weights="q4_k_m"))["weights"].note
    assert "Rows of 1,856, 2,688, 3,712 weights" in note and "Q4_K as Q5_0" in note
    llama = by_key(scenario("llama2-7b", "rtx4090", engine="llamacpp", weights="q4_k_m"))
    assert "Rows of" not in llama["weights"].note


def test_weights_line_names_the_image_encoder_and_vllms_rotary_tables(scenario):
    # Gemma 3 4B: 9 × 131,072 positions × 256 (its global table stretched 8× by linear scaling, plus the
    # local layers' own) = 301,989,888 values, 2 bytes each; SigLIP and its projector 419.8 M
    e = {x.key: x for x in explain_items(scenario("gemma3-4b", "rtx4060ti-16gb", engine="vllm", weights="bf16"))}
    w = e["weights"]
    assert "image encoder 420 M × 16 bits" in w.substituted
    assert "rotary cos/sin tables 301,989,888 values × 2 bytes = 0.56 GiB" in w.substituted
    assert "siglip_vision_model, 27 layers of 1,152" in w.note and "counted from its modules" in w.note
    cpp = {x.key: x for x in explain_items(scenario("gemma3-4b", "rtx4060ti-16gb", engine="llamacpp"))}["weights"]
    assert "rotary" not in cpp.substituted and "mmproj" in cpp.note


def test_sparse_attention_is_explained_per_engine(scenario):
    vllm = explain(scenario("deepseek-v3.2", "h200", engine="vllm", weights="fp8", n_gpus=8))
    assert "latent of only the indexer's 2,048 chosen tokens" in vllm["decode"] and "blog.vllm.ai" in vllm["decode"]
    assert "(576 latent × 61 + 128 index key × 61 × 1.031/2) × 2 bytes" in vllm["kv_cache"]
    hf = explain(scenario("deepseek-v3.2", "h200", engine="hf", weights="bf16", n_gpus=8))
    assert "applied as a mask by HF transformers" in hf["decode"]
    cpp = explain(scenario("deepseek-v3.2", "h200", engine="llamacpp", weights="q4_k_m", n_gpus=8))
    assert "no sparse kernel of llama.cpp is cited" in cpp["decode"]
    assert "Sparse attention" not in explain(scenario("deepseek-v3", "h200", engine="vllm", n_gpus=8))["decode"]


def test_an_estimated_image_encoder_is_not_called_an_unchecked_model_type(cat):
    # a checked language model (Qwen2.5 7B's config) under a SigLIP tower vramgui only estimates: the weights line
    # says the encoder is estimated, once, and does not call the model type unchecked
    from vramgui.core import Scenario
    from vramgui.core.architecture import layout_note
    from vramgui.core.presets import ModelPreset
    config = {"model_type": "llava_onevision", "text_config": dict(cat.model("qwen2.5-7b").config),
              "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 1152, "num_hidden_layers": 26,
                                "intermediate_size": 4304, "patch_size": 14, "image_size": 384}}
    model = ModelPreset(id="vl-test", name="VL test", family="Test", source="test", config=config)
    weights = explain(Scenario(model=model, gpu=cat.gpu("a100-80gb"), engine="hf"))["weights"]
    assert weights.count("estimated as a generic ViT") == 1 and "model type not checked" not in weights
    assert "estimated as a generic ViT" in layout_note(model.architecture)     # the window's and CLI's caution


def test_attention_shows_its_own_rate_where_it_differs(scenario):
    # fp8 weights on an H100 SXM: the matmuls at the fp8 1,978.9 TFLOP/s and at vLLM's 0.55 × the Hopper factor 0.7
    # = 0.385, attention at bf16's 989.4 and 0.55; a 4,096-token prompt of Llama 3.1 8B holds
    # 2 × 7,504,924,672 × 4,096 = 61.48 TFLOP of matmuls and 4 × 32 × 32 × 128 × 4,096² / 2 = 4.40 TFLOP of attention
    items = {e.key: e for e in explain_items(scenario("llama3.1-8b", "h100-sxm", engine="vllm", weights="fp8",
                                                      prompt_tokens=4096))}
    text = items["prefill"].substituted
    assert "61.48 TFLOP ÷ (1,978.9 TFLOP/s × 0.39) + attention 4.40 TFLOP ÷ (989.4 TFLOP/s × 0.55)" in text
    assert "16-bit tensor rate" in items["prefill"].formula
    # 16-bit weights on an A100 (no Hopper factor): one rate for both, as before
    bf16 = {e.key: e for e in explain_items(scenario("llama3.1-8b", "a100-80gb", engine="vllm", weights="bf16",
                                                     prompt_tokens=4096))}
    assert "(61.48 + 4.40) TFLOP ÷ (312.0 TFLOP/s × 0.55)" in bf16["prefill"].substituted
    assert "16-bit tensor rate" not in bf16["prefill"].formula



def test_llamacpp_compute_share_names_what_sets_it(scenario):
    # η_flops of a llama.cpp prompt on NVIDIA cards: quantized weights on an H100 at 25.5 % of a quarter of its
    # int8 peak (0.255 × 0.25 × 1,978.9 / 989.4 = 0.13 of fp16), sourced to both rows; on a GeForce card 35 % of it
    # (0.35 × 660.6 / 165.2 = 1.40); 16-bit weights through cuBLAS (0.70)
    def eta(s):
        a = next(a for a in by_key(s)["prefill"].assumptions if a.name == "Compute efficiency η_flops")
        return a.value.split()[0], a.source
    value, source = eta(scenario("llama2-7b", "h100-sxm", weights="q4_0", engine="llamacpp"))
    assert value == "0.13" and source == SOURCES["INT8_RATE_EFFICIENCY"] + "; " + SOURCES["MMQ_INT8_RATE"]
    value, source = eta(scenario("llama2-7b", "rtx4090", weights="q4_0", engine="llamacpp"))
    assert value == "1.40" and source == SOURCES["CONSUMER_INT8_RATE_EFFICIENCY"]
    value, source = eta(scenario("llama2-7b", "rtx4090", weights="bf16", engine="llamacpp"))
    assert value == "0.70" and source == SOURCES["CUBLAS_16BIT_EFFICIENCY"]


def test_llamacpp_decode_cap_is_sourced_where_it_binds(scenario):
    # an H100's η_bw under llama.cpp's CUDA row is its 7 bytes per SM per clock (0.50), sourced; an RTX 4090's is
    # its curve's 0.89 with no cap named
    def eta(s):
        a = next(a for a in by_key(s)["decode"].assumptions if a.name == "Bandwidth efficiency η_bw")
        return a.value.split()[0], a.source
    value, source = eta(scenario("llama2-7b", "h100-sxm", weights="q4_0", engine="llamacpp"))
    assert value == "0.50" and source.endswith(SOURCES["MMVQ_BYTES_PER_SM_CLOCK"])
    value, source = eta(scenario("llama2-7b", "rtx4090", weights="q4_0", engine="llamacpp"))
    assert value == "0.89" and SOURCES["MMVQ_BYTES_PER_SM_CLOCK"] not in source


def test_llamacpp_rocm_attention_shows_its_measured_rate(scenario):
    # llama.cpp on an RX 7800 XT (74.6 TFLOP/s fp16): its GEMMs at 0.40 of that, flash attention at 0.07
    # (measured on a Radeon 8060S, speed.ATTENTION_EFFICIENCY); on an RX 7900 XTX (122.8) at Navi 31's 0.25.
    # Llama 3.1 8B, a 4,096-token prompt: 4 × 32 × 32 × 128 × 4,096² / 2 = 4.40 TFLOP of attention,
    # 2 × 7,504,924,672 × 4,096 = 61.48 TFLOP of matmuls
    for gpu, peak, eta in (("rx7800xt", "74.6", "0.07"), ("rx7900xtx", "122.8", "0.25")):
        items = {e.key: e for e in explain_items(scenario("llama3.1-8b", gpu, engine="llamacpp", weights="q4_k_m",
                                                          prompt_tokens=4096))}
        pre = items["prefill"]
        assert (f"61.48 TFLOP ÷ ({peak} TFLOP/s × 0.40) + attention 4.40 TFLOP ÷ ({peak} TFLOP/s × {eta})"
                in pre.substituted)
        assert "flash-attention kernels reach another share of it" in pre.formula
        assert "16-bit tensor rate" not in pre.formula
        assumed = {a.name: a for a in pre.assumptions}
        assert assumed["Attention efficiency η_attention"].value.startswith(eta)
        assert "Radeon 8060S" in assumed["Attention efficiency η_attention"].source
        assert "RX 7900 XTX" in assumed["Attention efficiency η_attention"].source
    # CUDA: attention at the GEMMs' share, no such row
    cuda = {e.key: e for e in explain_items(scenario("llama3.1-8b", "rtx4090", engine="llamacpp", weights="q4_k_m",
                                                     prompt_tokens=4096))}["prefill"]
    assert "η_attention" not in cuda.formula
    assert "Attention efficiency η_attention" not in {a.name for a in cuda.assumptions}

def test_packed_fp8_latent_is_spelled_out(scenario):
    # DeepSeek-V3.2 on vLLM with an fp8 cache: 656 bytes a latent (512 FP8 + 4 fp32 scales + 64 bf16 RoPE values)
    s = scenario("deepseek-v3.2", "h200", engine="vllm", weights="fp8", kv_dtype="fp8", n_gpus=8, prompt_tokens=1000)
    kv = {e.key: e for e in explain_items(s)}["kv_cache"]
    assert "(656 packed latent × 61 + 128 index key × 61 × 1.031/1) × 1 bytes" in kv.substituted
    assert "FlashMLA's record" in kv.note
    plain = {e.key: e for e in explain_items(s.with_(kv_dtype="bf16"))}["kv_cache"]
    assert "576 latent × 61" in plain.substituted and "FlashMLA" not in plain.note


def test_a_long_prefill_reads_in_seconds_as_the_window_shows_it(scenario):
    """Llama 3.1 8B fp16 on an RTX 4090 (165.2 TFLOP/s, the generic profile's 0.60), four
    100,000-token prompts: 6,003.94 TFLOP of matmuls (its 7,504,924,672 linear parameters) and
    10,485.76 of causal attention, 16,489.70 ÷ (165.2 × 0.60) = 166.4 s.  The explanation's heading said
    "166,360.97 ms" where the breakdown shows "166 s"; it now reads as the breakdown, the sum
    keeping the milliseconds with the seconds beside them (and the CLI and the report the same)."""
    from vramgui.core.units import duration_text

    s = scenario("llama3.1-8b", "rtx4090", prompt_tokens=100_000, batch=4)
    prefill = {e.key: e for e in explain_items(s)}["prefill"]
    seconds = float(estimate_speed(s).prefill_s)
    matmul = 2 * 7_504_924_672 * 100_000 * 4              # 2 × linear params × tokens × prompts (FLOP)
    attention = 4 * 32 * 32 * 128 * 100_000**2 / 2 * 4     # 4 × layers × heads × head dim × causal half
    assert seconds == pytest.approx((matmul + attention) / (165.2e12 * 0.60), rel=0.005)
    assert prefill.result == f"{seconds:,.0f} s" == "166 s"
    assert f"= {seconds * 1e3:,.2f} ms (166 s) for 4 × 100,000 tokens" in prefill.substituted
    # a short one stays in milliseconds with two decimals: 1,000 tokens, compute bound, ~0.1 s
    short = {e.key: e for e in explain_items(s.with_(prompt_tokens=1000, batch=1))}["prefill"]
    assert short.result.endswith(" ms") and "(" not in short.substituted.split(" = ")[-1]
    assert [duration_text(t) for t in (0.0042, 4.72412, 41.6, 188.276, 1000, 15711, 400_000)] == \
        ["4.2 ms", "4,724 ms", "41.6 s", "188 s", "17 min", "4.4 h", "111 h"]


def test_every_moe_model_is_explained_at_an_empty_prompt():
    # an empty prompt has no pass to explain: its experts' GEMMs are not (a division by the experts it touches, none,
    # raised in the Explain panel for Kimi K2.6 under llama.cpp at prompt 0); one token's pass touches k of them
    from vramgui.core import Scenario, default_catalog
    cat = default_catalog()
    moe = [m for m in cat.models.values() if m.architecture.moe is not None]
    assert len(moe) > 20
    for m in moe:
        for engine in ("llamacpp", "vllm", "sglang"):
            for prompt in (0, 1):
                s = Scenario(model=m, gpu=cat.gpu("h100-sxm"), weights="q4_k_m" if engine == "llamacpp" else "bf16",
                             engine=engine, prompt_tokens=prompt, output_tokens=16)
                items = explain_items(s)
                assert all(i.text for i in items), (m.id, engine, prompt)


def _worked(text: str) -> float:
    """The arithmetic of a KV cache line's substitution, worked out: its numbers and operators, the words (bytes,
    tokens, latent, index key, of the layers) left out, MiB counted as 2^20 bytes."""
    import re
    expr = re.sub(r"(?<=\d),(?=\d{3})", "", text).replace("×", "*").replace("÷", "/").replace("MiB", "* 1048576")
    expr = re.sub(r"[A-Za-z][A-Za-z' ]*[A-Za-z]", " ", expr)
    assert re.fullmatch(r"[\d.+*/() ]+", expr), expr
    return float(eval(expr))     # (digits, operators and parentheses only: checked above)


KV_LINES = [   # an architecture or an engine's allocation each
    ("llama2-70b", "rtx4090", "llamacpp", "q4_k_m", 3),    # a layer split: the fullest card's share of the layers
    ("gemma3-27b", "h100-sxm", "vllm", "bf16", 1),         # windowed and full layers, vLLM's padding layers
    ("gemma2-9b", "rtx4090", "llamacpp", "q8_0", 1),       # the windowed layers' cells: the window and a batch
    ("gemma2-9b", "a100-80gb", "hf", "bf16", 1),           # HF's windowed layers holding the prompt at the peak
    ("command-r7b", "h100-sxm", "sglang", "bf16", 1),      # SGLang's pool: the windowed layers a share of the tokens
    ("gpt-oss-20b", "h100-sxm", "vllm", "mxfp4", 1),       # every other layer windowed
    ("gemma4-e4b", "rtx4090", "llamacpp", "q8_0", 1),      # shared caches, the full layers' own heads
    ("mistral-large-3", "h200", "hf", "bf16", 8),          # MLA up-projected: keys of 128 + 64, values of 128
    ("deepseek-v3", "h200", "vllm", "fp8", 8),             # MLA's latent
    ("deepseek-v3.2", "h200", "vllm", "fp8", 8),           # ... and the indexer's keys
    ("deepseek-v4-flash", "h200", "llamacpp", "q8_0", 2),  # compressed entries beside the window
    ("deepseek-v4-flash", "h200", "sglang", "fp8", 4),     # ... SGLang's pool
    ("llama3.2-11b-vision", "rtx4090", "vllm", "bf16", 1),   # cross-attention layers: no cache of the text
    ("qwen3.6-27b", "h100-sxm", "vllm", "bf16", 1),        # Gated DeltaNet states paged in vLLM's blocks
    ("nemotron3-nano-30b-a3b", "h100-sxm", "vllm", "bf16", 1),   # Mamba-2 states, the groups padded
    ("falcon-h1-34b", "h100-sxm", "llamacpp", "q8_0", 1),  # attention and Mamba side by side
    ("lfm2-1.2b", "rtx4090", "llamacpp", "q8_0", 1),       # short convolutions
    ("kimi-linear-48b-a3b", "h100-sxm", "hf", "bf16", 1),  # Kimi Delta Attention
]


@pytest.mark.parametrize("model, gpu, engine, weights, n", KV_LINES)
@pytest.mark.parametrize("prompt, batch", [(100, 2), (20_000, 8)])
def test_the_kv_lines_arithmetic_gives_its_result(scenario, model, gpu, engine, weights, n, prompt, batch):
    """Worked out, the substituted numbers give the line's result (to its rounding: 0.005 GiB, and the figures'
    own, 1 %).  A sweep of random scenarios found lines that did not: a hybrid's tokens under vLLM shown as the
    profile's 16-token blocks where its blocks hold 784 (Qwen3.6-27B: 0.29 GiB worked out, 0.38 stated), MLA's
    up-projected keys shown 128 wide (192: 3.10 against 3.87 GiB), Llama 3.2 Vision's cross-attention layers counted
    (32 of its 40 layers hold a cache), DeepSeek-V4's window as 128 cells where llama.cpp keeps 768 and SGLang a
    share of the tokens, and windowed layers' cache as every layer's over every token, "windowed layers capped"."""
    s = scenario(model, gpu, engine=engine, weights=weights, n_gpus=n, prompt_tokens=prompt, output_tokens=64,
                 batch=batch)
    kv = by_key(s)["kv_cache"]
    worked, stated = kv.substituted.removeprefix("= ").rsplit(" = ", 1)
    assert stated == f"{float(estimate_memory(s).kv_cache) / GIB:,.2f} GiB per card"
    assert _worked(worked) / GIB == pytest.approx(float(estimate_memory(s).kv_cache) / GIB, rel=0.01, abs=0.005)


def test_kv_lines_by_hand(scenario):
    # Mistral Large 3 under HF transformers: its 576-wide latent (512 + 64 RoPE) of 61 layers, 2 bytes each
    s = scenario("mistral-large-3", "h200", engine="hf", weights="bf16", prompt_tokens=1000, output_tokens=24)
    kv = by_key(s)["kv_cache"]
    assert kv.substituted.startswith("= 576 latent × 61 × 2 bytes × 1,024 tokens × 1 = ")
    assert float(estimate_memory(s).kv_cache) == 576 * 61 * 2 * 1024
    # ... and every pass expands it: DeepSeek-V2-Lite's 16 heads move 4 x 128 + 2 x 64 + 2 x 128 = 896 values each a
    # cached token beside the latent's 576, and kv_b_proj does 2 x 512 x (128 + 128) = 262,144 FLOP a head
    note = by_key(scenario("deepseek-v2-lite", "h200", engine="hf", prompt_tokens=1024))["kv_cache"].note
    assert "a step moves (576 + 16 × 896) / 576 = 25.9 times the latent's bytes" in note
    assert "(262,144 FLOP a head and layer)" in note
    # Kimi K2 under HF transformers (its remote code caches every head): 61 layers of 64 heads, each a 192-wide key
    # (128 + 64 RoPE) and a 128-wide value, 2 bytes each; 8 layers on the fullest of 8 cards
    s = scenario("kimi-k2", "h200", engine="hf", weights="fp8", n_gpus=8, prompt_tokens=1000, output_tokens=24)
    kv = by_key(s)["kv_cache"]
    assert kv.substituted.startswith("= 61 × 64 × (192 + 128) × 2 bytes × 1,024 tokens × 1 × 8/61 of the layers = ")
    assert float(estimate_memory(s).kv_cache) == pytest.approx(8 * 64 * 320 * 2 * 1024, rel=1e-12)
    # Llama 3.2 11B Vision: 8 of its 40 layers attend to the image's states: 32 layers of 8 KV heads of 128
    s = scenario("llama3.2-11b-vision", "rtx4090", engine="vllm", weights="bf16", prompt_tokens=1000,
                 output_tokens=24)
    kv = by_key(s)["kv_cache"]
    assert kv.substituted.startswith("= 2 × 32 × 8 × 128 × 2 bytes × 1,024 tokens × 1 = ")
    assert "8 of the 40 attention layers attend to the image encoder's states" in kv.note
    assert float(estimate_memory(s).kv_cache) == 2 * 32 * 8 * 128 * 2 * 1024
    # Gemma 2 9B under llama.cpp: 21 full and 21 windowed layers of 8 KV heads of 256; llama.cpp pads the context to
    # 256 cells (20,000 + 64 tokens: 20,224), and the windowed layers keep the 4,096-token window and a 512-token
    # batch (4,608, a multiple of 256)
    s = scenario("gemma2-9b", "rtx4090", engine="llamacpp", weights="q8_0", prompt_tokens=20_000, output_tokens=64)
    kv = by_key(s)["kv_cache"]
    assert kv.substituted.startswith("= (2 × 21 × 8 × 256 × 20,224 tokens + 2 × 21 × 8 × 256 × 4,608 tokens) × 2 "
                                     "bytes × 1 = ")
    assert float(estimate_memory(s).kv_cache) == 2 * 21 * 8 * 256 * 2 * (20_224 + 4_608)


def test_a_small_share_keeps_two_figures(scenario):
    # llama.cpp's matmuls of FP8 weights (it converts them; a caution says so) at batch 64 on two H800s run at 0.064
    # of the FP8 peak: shown "0.06", the decode line's terms gave 50.61 ms against its 49.15.  Worked out from the
    # line's own figures now: max(read, attention, converting) + matmuls + per-step cost
    import re
    s = scenario("mistral-small-3.2-24b", "h800-sxm", engine="llamacpp", weights="fp8", n_gpus=2, prompt_tokens=75,
                 output_tokens=64, batch=64)
    line = by_key(s)["decode"].substituted
    m = re.match(r"= max\(([\d.]+) GiB ÷ \(([\d,]+) GB/s × ([\d.]+)\), attention ([\d.]+) GFLOP ÷ "
                 r"\(([\d.,]+) TFLOP/s × ([\d.]+)\), converting the weights ([\d.]+) ms\) \+ matmuls "
                 r"([\d.,]+) GFLOP ÷ \(([\d.,]+) TFLOP/s × (0\.064)\) \+ per-step cost ([\d.]+) ms = "
                 r"([\d.]+) ms per token", line)
    assert m, line
    f = [float(x.replace(",", "")) for x in m.groups()]
    worked = max(f[0] * GIB / (f[1] * 1e9 * f[2]), f[3] * 1e9 / (f[4] * 1e12 * f[5]), f[6] * 1e-3) \
        + f[7] * 1e9 / (f[8] * 1e12 * f[9]) + f[10] * 1e-3
    assert worked * 1e3 == pytest.approx(f[11], rel=0.005)
    assert float(estimate_speed(s).decode_step_s) * 1e3 == pytest.approx(f[11], abs=0.005)


def test_a_short_prompts_flops_read_in_gflop(scenario):
    # Llama 2 7B, a 16-token prompt: its linear layers, 32 x (4 x 4,096^2 + 3 x 4,096 x 11,008) = 6,476,005,376
    # weights, and the 32,000 x 4,096 output layer, twice each per token: 211.43 GFLOP.  Written "0.21 TFLOP" (two
    # decimals of TFLOP) the line's terms came back up to 6 % off its result
    s = scenario("llama2-7b", "h100-sxm", engine="vllm", weights="fp16", prompt_tokens=16, output_tokens=16)
    linear = 32 * (4 * 4096**2 + 3 * 4096 * 11008)
    assert linear == 6_476_005_376
    line = by_key(s)["prefill"].substituted
    assert line.startswith(f"= max({2 * 16 * (linear + 32000 * 4096) / 1e9:,.2f} GFLOP ÷ (989.4 TFLOP/s × 0.39)")
    assert "211.43 GFLOP" in line


def test_training_activations_name_an_activation_that_keeps_more(cat):
    # Llama 2 7B's SiLU MLP, frozen (LoRA): 6f (gate, up, the activation's output), no name; GPT-J's gelu_new, plain:
    # its input and the three its Python keeps, 8f; every weight trained 10f (fc_out's input too)
    from vramgui.core.presets import ModelPreset
    llama = TrainingSetup(model=cat.model("llama2-7b"), gpu=cat.gpu("a100-80gb"), method="lora")
    text = {e.key: e for e in explain_training_items(llama)}["activations"].formula
    assert " + 6f + each norm's fp32 input" in text and "gelu" not in text
    gptj = ModelPreset(id="gpt-j-6b", name="GPT-J 6B", family="GPT-J", source="test", config={
        "model_type": "gptj", "activation_function": "gelu_new", "n_embd": 4096, "n_head": 16, "n_layer": 28,
        "n_positions": 2048, "rotary_dim": 64, "vocab_size": 50400, "n_inner": None})
    for method, kept in (("lora", "8f"), ("full", "10f")):
        t = TrainingSetup(model=gptj, gpu=cat.gpu("a100-80gb"), method=method)
        text = {e.key: e for e in explain_training_items(t)}["activations"].formula
        assert f" + {kept} (the MLP's gelu_new in transformers) + each norm" in text
    # GPT-2's dropouts after its attention and MLP (resid_pdrop 0.1) keep their masks, one byte an element
    gpt2 = ModelPreset(id="gpt2", name="GPT-2", family="GPT-2", source="test", config={
        "model_type": "gpt2", "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024, "vocab_size": 50257,
        "activation_function": "gelu_new", "resid_pdrop": 0.1})
    t = TrainingSetup(model=gpt2, gpu=cat.gpu("a100-80gb"), method="lora")
    text = {e.key: e for e in explain_training_items(t)}["activations"].formula
    assert " + 8f (the MLP's gelu_new in transformers) + 2·d (dropout masks) + each norm" in text


def test_training_activations_spell_out_eager_scores(cat):
    # Gemma 2 9B eager: the softmax's fp32 output and its bf16 copy (6) and the soft-cap's tanh (2) an element of the
    # scores, and the keys and values repeated to all 16 heads; Hunyuan-A13B's attention drops 10 % (its mask, 7)
    for model, text in (("gemma2-9b", "8·h·s (eager's scores: the softmax's fp32 output and its bf16 copy, the "
                                      "soft-cap's tanh)"),
                        ("hunyuan-a13b", "7·h·s (eager's scores: the softmax's fp32 output and its bf16 copy, the "
                                         "dropout's mask)")):
        t = TrainingSetup(model=cat.model(model), gpu=cat.gpu("h100-sxm"), method="lora", attention="eager")
        formula = {e.key: e for e in explain_training_items(t)}["activations"].formula
        assert "4·h·d_h (keys and values repeated to every head)" in formula and text in formula
