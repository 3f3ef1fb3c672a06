"""An MLA latent (DeepSeek V2/V3/R1, Kimi K2, GLM-5) or a DeepSeek-V4 entry is one KV head:
tensor parallel cannot split it, so every card of the group caches every sequence, and the
estimate says that data-parallel attention would hold more (not modelled), quoting the one
measured pair of start-ups (DeepSeek-V4-Flash on 8 B200, vLLM 0.25.0)."""

import pytest

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog
from vramgui.core.memory import kv_bytes_per_token, replicates_latent
from vramgui.core.report import data_parallel_note, estimate_dict
from vramgui.core.speed import DATA_PARALLEL_MLA

CAT = default_catalog()


def scenario(model, engine="sglang", n=8, **kw) -> Scenario:
    return Scenario(model=CAT.model(model), gpu=CAT.gpu("h200"), engine=engine, n_gpus=n, **kw)


def test_the_quoted_ratio_is_the_logs():
    # TP 8 + EP 8: "Maximum concurrency for 1,048,576 tokens per request: 20.43x"; DP 8 + EP 8: 156.9x
    assert DATA_PARALLEL_MLA["times"] == pytest.approx(156.9 / 20.43, abs=0.05)
    assert DATA_PARALLEL_MLA["cards"] == 8


@pytest.mark.parametrize(("model", "engine"), [("deepseek-r1", "sglang"), ("deepseek-r1", "vllm"),
                                               ("kimi-k2", "vllm"), ("deepseek-v4-flash", "vllm")])
def test_every_card_caches_every_token_so_the_note_is_shown(model, engine):
    one, eight = scenario(model, engine, n=1), scenario(model, engine, n=8)
    # the cache per token on one card does not shrink with the cards: the latent is replicated
    assert kv_bytes_per_token(eight) == pytest.approx(kv_bytes_per_token(one), rel=1e-12)
    assert replicates_latent(eight) and not replicates_latent(one)
    note = data_parallel_note(eight)
    assert "every one of the 8 cards holds every sequence's cache" in note
    assert "--data-parallel-size 8 --enable-expert-parallel" in note and "7.7 times" in note
    assert data_parallel_note(one) is None


@pytest.mark.parametrize(("model", "engine"), [("llama3.1-70b", "vllm"),     # 8 KV heads: one a card
                                               ("deepseek-r1", "hf"),          # HF expands the latent, layers split
                                               ("deepseek-r1", "llamacpp")])   # layer split: no group
def test_no_note_where_the_cache_splits_or_no_group_shares_it(model, engine):
    s = scenario(model, engine, n=8, weights="q4_k_m" if engine == "llamacpp" else "fp16")
    assert not replicates_latent(s) and data_parallel_note(s) is None
    if model == "llama3.1-70b":    # the KV heads split: an eighth of one card's cache per token
        assert kv_bytes_per_token(s) == pytest.approx(kv_bytes_per_token(s.with_(n_gpus=1)) / 8, rel=1e-12)


def test_json_and_cli(capsys):
    assert "data-parallel attention" in estimate_dict(scenario("deepseek-r1", weights="fp8"))["scenario"][
        "data_parallel_note"]
    assert main(["estimate", "--model", "deepseek-r1", "--gpu", "h200", "--gpus", "8", "--weights", "fp8",
                 "--engine", "sglang"]) == 0
    assert "note: every one of the 8 cards holds every sequence's cache" in capsys.readouterr().out


def test_the_explain_panels_kv_item_carries_the_note():
    from vramgui.core.explain import explain_items
    kv = {e.key: e for e in explain_items(scenario("deepseek-r1", weights="fp8"))}["kv_cache"]
    assert "Every one of the 8 cards holds every sequence's cache" in kv.note
    kv = {e.key: e for e in explain_items(scenario("deepseek-r1", n=1, weights="fp8"))}["kv_cache"]
    assert "data-parallel" not in kv.note
