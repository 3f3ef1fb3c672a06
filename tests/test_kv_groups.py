"""vLLM's hybrid KV cache manager caches windowed and full attention layers in groups of one
size, padding each kind with empty layers to whole groups (vllm/v1/core/kv_cache_utils.py,
_get_kv_cache_groups_uniform_page_size): the padding layers hold memory, and the "GPU KV cache
size" line counts them, but a decode step does not read them.  Checked against vLLM 0.19.0's
start-up logs of Gemma 3 12B and 27B on an H100 (measured corpus: 27B "Add 8 padding layers",
36,560 tokens in 19.53 GiB)."""

import pytest

from vramgui.core import Scenario, default_catalog
from vramgui.core.memory import kv_bytes_per_token, kv_group_slots, memory_terms
from vramgui.core.speed import speed_terms

CAT = default_catalog()


def scenario(model, engine="vllm", **kw) -> Scenario:
    return Scenario(model=CAT.model(model), gpu=CAT.gpu("h100-sxm"), engine=engine, weights="bf16", **kw)


@pytest.mark.parametrize(("model", "layers", "slots"), [
    ("gemma3-27b", (52, 10), (60, 10)),   # 62 layers, every 6th full: groups of 10, 8 padding layers
    ("gemma3-12b", (40, 8), (40, 8)),     # 48 = 40 + 8: groups of 8, none
    ("gemma3-4b", (29, 5), (30, 5)),      # 34 = 29 + 5: one padding layer
    ("gemma3-1b", (22, 4), (24, 4)),      # 26 = 22 + 4: two
    ("gpt-oss-20b", (12, 12), (12, 12)),  # alternating: groups of 12
])
def test_groups_of_the_smaller_kinds_size(model, layers, slots):
    s = scenario(model)
    assert s.model.architecture.cache_layers == layers
    assert kv_group_slots(s) == slots


def test_groups_of_the_larger_kinds_size_when_it_is_under_one_and_a_half_times():
    # vLLM's own example: 12 windowed + 13 full layers are padded to 13 + 13, not to 12 + 24
    from vramgui.core import memory
    class Arch:          # the two counts the rule reads
        sliding_window, global_attention, compressed, cache_layers = 128, None, None, (12, 13)
    class Model:
        architecture = Arch()
    class Prof:
        kv_group_padding = honors_sliding_window = True
    class S:
        model, profile = Model(), Prof()
    assert memory.kv_group_slots(S()) == (13, 13)


def test_only_vllm_pads_and_only_two_kinds_of_one_size():
    assert kv_group_slots(scenario("gemma3-27b", engine="sglang")) is None       # SGLang's own SWA pool
    assert kv_group_slots(scenario("gemma3-27b", engine="generic")) is None
    assert kv_group_slots(scenario("llama3.1-8b")) is None                       # one kind
    assert kv_group_slots(scenario("gemma4-31b")) is None                        # full layers of their own size


def test_padding_holds_memory_and_counts_in_the_tokens_but_is_not_read():
    s = scenario("gemma3-27b")
    # one layer, one token: 16 KV heads x 128 x (K, V) x 2 bytes
    per_layer = 16 * 128 * 2 * 2
    mt = memory_terms(s)
    assert float(mt.kv_windowed) == 60 * per_layer and float(mt.kv_full) == 10 * per_layer
    assert kv_bytes_per_token(s) == 70 * per_layer          # vLLM: 19.53 GiB / 573,440 B = 36,569 tokens
    assert 19.53 * 2**30 / kv_bytes_per_token(s) == pytest.approx(36_560, rel=0.001)
    t = speed_terms(s)                                       # a step reads the 52 + 10 real layers
    assert float(t.kv_windowed) == 52 * per_layer and float(t.kv_full) == 10 * per_layer


def test_moe_workspaces_stay_beside_the_samplers_warm_up():
    # Mixtral 8x7B on two H100s (vLLM 0.19.0 measured 1.21 GiB): the sampler's 1,024 x 32,000 logits x
    # 16 bytes, plus 8,192 tokens x [2 experts x (max(7,168, 4,096) + max(14,336, 4,096)) + 4,096 output]
    # x 2 bytes of fused-expert workspaces (each card holds half of every expert's 14,336-wide layer)
    from vramgui.core.memory import estimate_memory, moe_workspace_bytes
    s = Scenario(model=CAT.model("mixtral-8x7b"), gpu=CAT.gpu("h100-sxm"), engine="vllm", weights="bf16",
                 n_gpus=2, prompt_tokens=512)
    per_token = (2 * (7168 + 14336) + 4096) * 2
    assert moe_workspace_bytes(s) == per_token
    expected = 1024 * 32_000 * 16 + 8192 * per_token
    assert float(estimate_memory(s).activations) == pytest.approx(expected, rel=1e-12)
    assert expected / 2**30 == pytest.approx(1.21, abs=0.01)
    # gpt-oss's MXFP4 experts run through vLLM's own kernels; dense models and other engines have none
    assert moe_workspace_bytes(scenario("gpt-oss-20b").with_(weights="mxfp4")) == 0.0
    assert moe_workspace_bytes(scenario("llama3.1-8b")) == 0.0
    assert moe_workspace_bytes(s.with_(engine="sglang")) == 0.0
