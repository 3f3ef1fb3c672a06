"""Pipeline parallel: the cards form stages, each holding a share of the layers on
n_gpus / stages cards (tensor parallel within it); a token passes every stage and the
batch is split into one micro-batch per stage.

Checked against vLLM's own figures for Llama 3.1 8B in two stages on H100s (the llm-d
logs in the measured corpus: test_validation_corpus.py) and by hand below."""

import json

import pytest

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog
from vramgui.core.errors import pydantic_message
from vramgui.core.fit import fit, valid_gpu_counts
from vramgui.core.memory import estimate_memory, kv_bytes_per_token
from vramgui.core.speed import decode_step, link_of, prefill_time

CAT = default_catalog()


def scenario(model="llama3.1-8b", **kw) -> Scenario:
    kw = {"weights": "bf16", "engine": "vllm", "gpu": CAT.gpu("h100-sxm"), **kw}
    return Scenario(model=CAT.model(model), **kw)


def test_two_stages_hold_half_the_layers_and_one_edge_each():
    # Llama 3.1 8B: a layer is 4096 x (4096 + 1024 + 1024 + 4096) + 3 x 4096 x 14336 = 218,103,808 weights;
    # a stage holds 16 of them, the first also the 128,256 x 4096 token table (the last the output layer of
    # the same size), half the norms (33 x 4096 x 2 weights... 2 a layer and the final one) and the whole
    # rotary table (131,072 x 128 values); all in bf16.  vLLM logged 7.51 GiB for its first stage.
    s = scenario(n_gpus=2, pipeline=2)
    layers = 16 * 218_103_808 * 2
    edge = 128_256 * 4096 * 2
    norms = (32 * 2 + 1) * 4096 * 2 / 2
    rope = 131_072 * 128 * 2
    assert float(estimate_memory(s).weights) == pytest.approx(layers + edge + norms + rope, rel=1e-9)
    assert float(estimate_memory(s).weights) / 2**30 == pytest.approx(7.51, abs=0.005)
    # a token's cache on a card: 16 layers x 8 KV heads x 128 x 2 (K, V) x 2 bytes
    assert kv_bytes_per_token(s) == 16 * 8 * 128 * 2 * 2


def test_stages_split_layers_tensor_parallel_splits_heads():
    # Llama 3.1 405B: 8 KV heads.  Sixteen tensor-parallel ranks hold one head each, twice over; two stages of
    # eight hold one head each of half the layers: half the cache per card.
    tp16 = scenario("llama3.1-405b", n_gpus=16)
    tp8_pp2 = scenario("llama3.1-405b", n_gpus=16, pipeline=2)
    assert kv_bytes_per_token(tp8_pp2) == pytest.approx(kv_bytes_per_token(tp16) / 2)
    assert fit(tp8_pp2).kv_capacity_tokens > 1.9 * fit(tp16).kv_capacity_tokens


def test_a_step_passes_every_stage_with_one_micro_batch():
    one = scenario()                                   # the whole model on one card
    staged = scenario(n_gpus=2, pipeline=2)            # half of it on each of two
    link, latency = link_of(staged.gpu)

    def send(tokens):   # the first stage hands its hidden states (4,096 x 2 bytes a token) to the second
        return tokens * 4096 * 2 / link + latency

    # one sequence: its token passes both stages in turn, as on one card, plus the send between them
    assert float(decode_step(staged, 1, 4096)[0]) == pytest.approx(float(decode_step(one, 1, 4096)[0]) + send(1),
                                                                   rel=1e-9)
    # 64 sequences: two micro-batches of 32 in flight, each stage busy with one of them
    assert float(decode_step(staged, 64, 4096)[0]) == pytest.approx(
        float(decode_step(one, 32, 4096)[0]) + send(32), rel=1e-9)
    # a prompt passes both stages; 64 prompts fill both at once
    assert float(prefill_time(staged, 2048, 1)) == pytest.approx(float(prefill_time(one, 2048, 1)) + send(2048),
                                                                 rel=1e-9)
    assert float(prefill_time(staged, 2048, 64)) == pytest.approx(
        float(prefill_time(one, 2048, 32)) + send(2048 * 32), rel=1e-9)


def test_stage_counts_and_refusals():
    s = scenario(n_gpus=8, pipeline=2)
    assert (s.stages, s.tensor_parallel) == (2, 4)
    assert valid_gpu_counts(s)[:4] == [2, 4, 8, 16]     # two stages of 1, 2, 4, 8 cards (32 heads divide by those)
    with pytest.raises(ValueError) as exc:
        scenario(n_gpus=3, pipeline=2)
    assert pydantic_message(exc.value) == "3 cards do not form 2 pipeline stages of equal size"
    with pytest.raises(ValueError, match="64 pipeline stages for 32 layers"):
        scenario(n_gpus=64, pipeline=64)
    # llama.cpp and HF split layers over their cards already: a stage count changes nothing there
    cpp = scenario(weights="q4_k_m", engine="llamacpp", n_gpus=2, pipeline=2)
    assert (cpp.stages, cpp.tensor_parallel) == (1, 1)
    assert float(estimate_memory(cpp).total) == float(estimate_memory(cpp.with_(pipeline=1)).total)


def test_cli_pipeline_flag(capsys):
    assert main(["estimate", "--model", "llama3.1-8b", "--gpu", "h100-sxm", "--gpus", "2", "--pipeline", "2",
                 "--weights", "bf16", "--engine", "vllm", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["scenario"]["pipeline"] == 2
    assert d["memory"]["kv_bytes_per_token"] == 65_536
    assert main(["estimate", "--model", "llama3.1-8b", "--gpu", "h100-sxm", "--gpus", "3", "--pipeline", "2",
                 "--engine", "vllm"]) == 2
    assert "3 cards do not form 2 pipeline stages" in capsys.readouterr().err
