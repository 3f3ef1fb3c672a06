"""The SGLang profile: a static share of the free memory holds the weights and the KV pool.

SGLang sizes its pool at start-up (model_runner.profile_max_num_token): after loading,
``rest = free after load − free before load × (1 − mem_fraction_static)`` bytes become
token slots.  Measured pools (tests/data/measured, SGLang rows) are checked by
test_validation_corpus.py; the hand calculations here pin the formula and the defaults.
"""

import pytest

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog
from vramgui.core.engines import ENGINES, sglang_static_fraction
from vramgui.core.fit import budget_bytes, fit, kv_capacity_tokens
from vramgui.core.memory import estimate_memory, kv_bytes_per_token
from vramgui.core.units import GIB, MIB

CAT = default_catalog()


def scenario(model="llama3.1-8b", gpu="h100-sxm", **kw) -> Scenario:
    kw.setdefault("weights", "bf16")
    return Scenario(model=CAT.model(model), gpu=CAT.gpu(gpu), engine="sglang", **kw)


@pytest.mark.parametrize("card_mib, tp, expected", [
    # held back (MiB) = 512 + 1.5 x max(chunk, 2048) + 2 x CUDA-graph batch + 1024 x tp / 8, >= 10 GiB above 60 GiB
    # H100: 512 + 12288 + 512 + 128 = 13440 (SGLang's docs notebook prints 0.835 on its Hopper runner)
    (81559, 1, 0.835),
    # H100 NVL: 13440 of 95830 (SGLang 0.5.10.post1 printed mem_fraction_static=0.86 on one:
    # github.com/willxxy/sglang-play README @add5bc85)
    (95830, 1, 0.86),
    (81559, 8, 0.818),   # 512 + 12288 + 1024 + 1024 = 14848
    (24564, 1, 0.847),   # RTX 4090: 512 + 3072 + 48 + 128 = 3760
    (24564, 4, 0.827),   # graphs up to 80 from tp 4: 512 + 3072 + 160 + 512 = 4256
    (15360, 1, 0.757),   # T4: 512 + 3072 + 16 + 128 = 3728
    (143771, 8, 0.897),  # H200: 14848 of 143771
    (183359, 1, 0.857),  # B200: chunk 16384 -> 512 + 24576 + 1024 + 128 = 26240
    (46068, 1, 0.851),   # A40 / A6000: chunk 4096, graphs 32 -> 512 + 6144 + 64 + 128 = 6848
])
def test_default_static_fraction(card_mib, tp, expected):
    assert float(sglang_static_fraction(card_mib, tp)) == pytest.approx(expected, abs=1e-9)


def test_budget_is_the_share_of_the_free_memory_plus_what_was_there():
    s = scenario()
    card = 81559 * MIB
    before = 1.15 * GIB            # CUDA context (1 GiB) + what loading takes beside the weights (0.15 GiB)
    assert budget_bytes(s) == pytest.approx(0.835 * (card - before) + before, rel=1e-12)
    # the memory cap is mem_fraction_static, of the free memory
    assert budget_bytes(s.with_(gpu_util=0.88)) == pytest.approx(0.88 * (card - before) + before, rel=1e-12)
    # memory other programs hold is not free: the share applies to what is
    held = scenario(reserved_mib=4096)
    assert budget_bytes(held) == pytest.approx(0.835 * (card - 4096 * MIB - before) + before, rel=1e-12)


def test_pool_holds_what_the_share_leaves_after_the_weights():
    # Llama 3.1 8B in bf16: 8,030,261,248 parameters x 2 bytes + the rotary table (131,072 positions x
    # 128 x 2 bytes); a token: 32 layers x 8 KV heads x 128 x 2 (K, V) x 2 bytes = 131,072 bytes.
    s = scenario(gpu_util=0.88)
    weights = 8_030_261_248 * 2 + 131_072 * 128 * 2
    assert float(estimate_memory(s).weights) == pytest.approx(weights, rel=1e-9)
    assert kv_bytes_per_token(s) == 131_072
    free = 81559 * MIB - 1.15 * GIB
    assert kv_capacity_tokens(s) == int((0.88 * free - weights) // 131_072)
    # ... which the SGLang docs' 80 GB run measured as 444,500 tokens (corpus; the card unnamed there)
    assert kv_capacity_tokens(s) == pytest.approx(444_500, rel=0.01)


def test_activations_and_graphs_live_outside_the_budget():
    s = scenario(prompt_tokens=8192, batch=4)
    m = estimate_memory(s)
    assert float(m.activations) == 0.0
    assert float(m.overhead) == pytest.approx(1.15 * GIB)
    f = fit(s)
    assert f.needed_bytes == pytest.approx(float(m.weights + m.kv_cache + m.overhead))
    # the explain panel says how much SGLang holds back for them: (1 - 0.835) x (card - 1.15 GiB)
    from vramgui.core.explain import explain_items
    held = (1 - 0.835) * (81559 * MIB - 1.15 * GIB) / GIB
    act = next(e for e in explain_items(s) if e.key == "activations")
    assert f"{held:.2f} GiB per card held back" in act.substituted
    # vLLM, for the same scenario, counts its profiled activation peak inside its 92 %
    v = estimate_memory(s.with_(engine="vllm"))
    assert float(v.activations) > 1 * GIB


def test_sliding_window_layers_share_the_pool_by_ratio():
    # Gemma 3 27B: 62 layers, 10 global and 52 windowed (1,024 tokens), 16 KV heads x 128: 8,192 bytes
    # a layer and token.  SGLang's hybrid pool gives the windowed layers 0.8 x the full layers' tokens
    # (swa_full_tokens_ratio), so a token of capacity costs (10 + 0.8 x 52) x 8,192 bytes.  (SGLang's log for
    # gpt-oss-120b: "full_layer_tokens=318715, swa_layer_tokens=254972", 0.8 to six digits; measured corpus.)
    s = scenario("gemma3-27b", prompt_tokens=8192, output_tokens=0)
    assert ENGINES["sglang"].swa_pool_ratio == 0.8
    assert kv_bytes_per_token(s) == pytest.approx((10 + 0.8 * 52) * 8192)
    assert float(estimate_memory(s).kv_cache) == pytest.approx(8192 * (10 + 0.8 * 52) * 8192)
    # vLLM keeps only the window in those layers, in groups of 10: the 52 windowed layers take 60 slots
    # (8 padding layers, tests/test_kv_groups.py)
    v = s.with_(engine="vllm")
    assert float(estimate_memory(v).kv_cache) == pytest.approx((10 * 8192 + 60 * 1024) * 8192)


def test_tensor_parallel_splits_weights_and_heads():
    one, four = scenario("llama3.1-70b", gpu="h100-sxm"), scenario("llama3.1-70b", gpu="h100-sxm", n_gpus=4)
    assert float(sglang_static_fraction(81559, 4)) == 0.824   # 512 + 12288 + 1024 + 512 = 14336 held back
    assert budget_bytes(four) < budget_bytes(one)              # a larger share held back at tp 4
    assert kv_bytes_per_token(four) == kv_bytes_per_token(one) / 4
    assert not fit(one).fits and fit(four).fits


def test_cli_estimate_with_sglang(capsys):
    import json
    assert main(["estimate", "--model", "llama3.1-8b", "--gpu", "h100-sxm", "--engine", "sglang",
                 "--weights", "bf16", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    s = scenario()
    assert out["fit"]["budget_bytes"] == pytest.approx(budget_bytes(s))
    assert out["memory"]["activations"] == 0.0


def test_prefill_chunk_follows_the_card():
    # SGLang's chunked_prefill_size by the card's memory (server_args.py): 2048 below 35 GiB, 4096 below
    # 60, 8192 below 160, 16384 above; a 4096-token prompt on an RTX 4090 takes two passes, each reading
    # the weights again
    from vramgui.core.engines import batch_defaults
    from vramgui.core.speed import prefill_parts, speed_terms
    p = ENGINES["sglang"]
    chunks = {g: batch_defaults(p, CAT.gpu(g))[1] for g in ("rtx4090", "l40s", "h100-sxm", "b200")}
    assert chunks == {"rtx4090": 2048, "l40s": 4096, "h100-sxm": 8192, "b200": 16384}
    s = scenario(gpu="rtx4090", prompt_tokens=4096)
    parts = prefill_parts(speed_terms(s), 4096, 1, 1.0, 0.0)
    assert float(parts.passes) == 2


def test_default_share_with_pipeline_stages():
    # two stages of four H100s: the graph batch follows the stage's tensor-parallel size (4: up to 512),
    # the parallel term all eight cards: 512 + 12288 + 2 x 512 + 1024 x 8 / 8 = 14848 MiB held back
    s = scenario(n_gpus=8, pipeline=2)
    assert budget_bytes(s) == pytest.approx(0.818 * (81559 * MIB - 1.15 * GIB) + 1.15 * GIB, rel=1e-12)
