"""llama.cpp's layer split over several cards: the layers and the output layer shared out as
n_layer + 1 units in order, the output layer on the last card (llama-model.cpp, load_tensors).
Checked against the May 2024 two-card logs (XiongjieDai's notebooks, in the measured corpus):
Llama 3 8B Q4_K_M, 2,113 MiB of weights on the first card and 2,290 on the second."""

import json
from pathlib import Path

import pytest

from vramgui.core import estimate_memory
from vramgui.core.memory import layer_share, split_layers, weights_per_card
from vramgui.core.offload import plan_offload
from vramgui.core.units import MIB
from vramgui.core.weights import weight_bytes

CORPUS = Path(__file__).parent / "data" / "measured" / "corpus.jsonl"


def test_split_by_hand():
    # layer i goes to card i * n // (L + 1): 32 layers + the output as 33 units
    assert split_layers(32, 1) == [32]
    assert split_layers(32, 2) == [17, 15]             # layers 0-16 | 17-31 and the output (unit 32)
    assert split_layers(32, 3) == [11, 11, 10]         # units 0-10 | 11-21 | 22-31 + output
    assert split_layers(32, 4) == [9, 8, 8, 7]         # 0-8 | 9-16 | 17-24 | 25-31 + output
    assert split_layers(80, 2) == [41, 39]             # Llama 2 70B: 81 units, the first card takes 0-40
    assert all(sum(split_layers(n_layers, n)) == n_layers for n_layers in (1, 2, 28, 61, 126) for n in (1, 2, 3, 8))


def test_two_cards_weights_and_kv_against_the_logs(scenario):
    s = scenario("llama3-8b", "rtx4090", engine="llamacpp", weights="q4_k_m", n_gpus=2, prompt_tokens=8192)
    wb = weight_bytes(s.model.architecture, s.weight_format)
    per_layer = (wb.linear + wb.other) / 32
    first, second = 17 * per_layer, 15 * per_layer + wb.lm_head      # the token table stays in host memory
    assert weights_per_card(s) == pytest.approx(max(first, second), rel=1e-12)
    with CORPUS.open() as f:
        measured = {json.loads(line)["id"]: json.loads(line)["value"] for line in f if "rtx4090-2x-mem-weights" in line}
    assert first / MIB == pytest.approx(measured["xd-l3-8b-q4_k_m-rtx4090-2x-mem-weights-cuda0"], rel=0.005)
    assert second / MIB == pytest.approx(measured["xd-l3-8b-q4_k_m-rtx4090-2x-mem-weights-cuda1"], rel=0.005)
    # the KV cache of the card holding the most layers (17 of 32): 8,192 cells x 17 x 2 x 8 heads x 128 x 2 bytes
    assert layer_share(s) == 17 / 32
    assert float(estimate_memory(s).kv_cache) == pytest.approx(8192 * 17 * 2 * 8 * 128 * 2, rel=1e-12)
    # other engines that split by layers keep the ceiling share (HF accelerate balances differently)
    assert layer_share(s.with_(engine="hf")) == 16 / 32


def test_offload_puts_the_output_layer_on_the_last_card(scenario):
    from vramgui.core.memory import kv_cache_bytes
    s = scenario("llama3-8b", "rtx4090", engine="llamacpp", weights="q4_k_m", n_gpus=2, prompt_tokens=8192)
    plan = plan_offload(s, ram_gb=64)
    first, second, ram = plan.devices
    assert plan.level == "gpu" and plan.output_on_gpu and ram.layers == 0 and first.layers + second.layers == 32
    one = s.with_(n_gpus=1)
    wb = weight_bytes(s.model.architecture, s.weight_format)
    m = estimate_memory(one)
    # each card: the compute buffer and overhead, its layers with their KV; the output layer on the second;
    # every layer on the cards makes a pipeline: 3 more masks and 4 hidden states each (80 MiB at n_ctx 8,192)
    per_layer = (wb.linear + wb.other) / 32 + float(kv_cache_bytes(one, s.context_tokens, s.batch)) / 32
    fixed = float(m.overhead + m.activations) + 3 * 8192 * 512 * 4 + 4 * 512 * 4096 * 4
    assert first.used_bytes == pytest.approx(fixed + first.layers * per_layer, rel=1e-9)
    assert second.used_bytes == pytest.approx(fixed + second.layers * per_layer + wb.lm_head, rel=1e-9)


def test_pipeline_copies_of_each_cards_inputs(scenario):
    # Llama 3 8B Q4_K_M, n_ctx 8,192, no flash attention (as the May 2024 logs ran): one card's compute buffer
    # plus, on each of two cards, 3 more copies of the f32 mask (8,192 cells x 512 rows x 4 bytes) and 4 of the
    # f32 hidden state it receives (512 x 4,096 x 4 bytes): 48 + 32 = 80 MiB (logs: 560 MiB on one card,
    # 640.0 on each of two)
    one = scenario("llama3-8b", "rtx4090", engine="llamacpp", weights="q4_k_m", attention="eager",
                   prompt_tokens=8192)
    two = one.with_(n_gpus=2)
    extra = 3 * 8192 * 512 * 4 + 4 * 512 * 4096 * 4
    assert float(estimate_memory(two).activations - estimate_memory(one).activations) == pytest.approx(extra,
                                                                                                       rel=1e-12)
    assert extra / MIB == 80
    # at 131,072 tokens the masks dominate: 3 x 131,072 x 512 x 4 = 768 MiB more on each card
    long1, long2 = one.with_(prompt_tokens=131_072), two.with_(prompt_tokens=131_072)
    assert float(estimate_memory(long2).activations - estimate_memory(long1).activations) == pytest.approx(
        3 * 131_072 * 512 * 4 + 4 * 512 * 4096 * 4, rel=1e-12)
    # the Vulkan build too: its backend reports async compute and events, which the pipeline needs
    vk = two.with_(engine="llamacpp-vulkan")
    assert float(estimate_memory(vk).activations - estimate_memory(one.with_(engine="llamacpp-vulkan")).activations
                 ) == pytest.approx(extra, rel=1e-12)
    # engines without llama.cpp's scheduler: nothing of the kind
    hf = one.with_(engine="hf", weights="fp16")
    assert float(estimate_memory(hf.with_(n_gpus=2)).activations) == float(estimate_memory(hf).activations)
