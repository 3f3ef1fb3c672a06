"""Tensor parallel across nodes: a group of more cards than one node joins (8 on an HGX / DGX
board or a PCIe server, 72 in a GB200 NVL72 rack) sends its all-reduces over the network.  The
speed model does not add that; the estimate says so wherever its speeds are shown, quoting the
one measured run of the corpus (DeepSeek R1 with SGLang on 2 nodes of 8 H100)."""

import json
from pathlib import Path

import pytest

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog
from vramgui.core.layouts import layout_dicts, layouts
from vramgui.core.presets import GPU, NODE_CARDS
from vramgui.core.report import estimate_dict, nodes_note
from vramgui.core.speed import CROSS_NODE_RUN, served
from vramgui.core.validation import _models_table, _scenario, load_corpus, run_corpus

CAT = default_catalog()
CORPUS = Path(__file__).parent / "data" / "measured" / "corpus.jsonl"


def scenario(model="deepseek-r1", gpu="h100-sxm", **kw) -> Scenario:
    kw = {"weights": "fp8", "engine": "sglang", "prompt_tokens": 128, "output_tokens": 128, **kw}
    return Scenario(model=CAT.model(model), gpu=CAT.gpu(gpu), **kw)


def test_a_node_holds_eight_cards_unless_the_preset_says():
    assert NODE_CARDS == 8
    assert CAT.gpu("h100-sxm").cards_per_node == 8
    assert CAT.gpu("rtx4090").cards_per_node == 8
    assert CAT.gpu("gb200").cards_per_node == 72          # one NVLink domain of 72 GPUs


@pytest.mark.parametrize(("gpu", "n", "stages", "engine", "nodes"), [
    ("h100-sxm", 8, 1, "sglang", 1),       # one HGX board
    ("h100-sxm", 16, 1, "sglang", 2),      # TP 16 over two boards
    ("h100-sxm", 16, 2, "sglang", 1),      # TP 8 in each of two stages: the stages cross, the groups do not
    ("h100-sxm", 32, 1, "vllm", 4),
    ("h100-sxm", 32, 2, "vllm", 2),
    ("gb200", 64, 1, "sglang", 1),         # within the 72-GPU NVLink domain
    ("h100-sxm", 16, 1, "llamacpp", 1),    # a layer split passes a token between cards, no all-reduces
])
def test_nodes_one_tensor_parallel_group_spans(gpu, n, stages, engine, nodes):
    weights = "q4_k_m" if engine == "llamacpp" else "fp8"
    s = scenario(gpu=gpu, n_gpus=n, pipeline=stages if engine != "llamacpp" else 1, engine=engine,
                 weights=weights)
    assert s.tp_nodes == nodes
    assert (nodes_note(s) is None) == (nodes == 1)


def test_the_note_names_the_group_the_nodes_and_the_stages_that_avoid_them():
    note = nodes_note(scenario(n_gpus=32, engine="vllm"))
    assert "group of 32 cards spans 4 nodes of 8" in note
    assert "--pipeline 4" in note       # 4 stages of TP 8: each group within a node
    assert "23.1 ms" in note and "3.5 times" in note


def test_a_custom_card_may_say_how_many_cards_its_node_joins():
    base = CAT.gpu("h100-sxm").model_dump()
    four = GPU.model_validate({**base, "id": "h100-4", "node_cards": 4, "sources": {**base["sources"], "node": "x"}})
    s = scenario(n_gpus=8).with_(gpu=four)
    assert s.tp_nodes == 2
    with pytest.raises(ValueError, match="node"):       # a number without its source is refused
        GPU.model_validate({**base, "id": "h100-4", "node_cards": 4})


def test_the_quoted_run_is_that_many_times_the_estimate():
    """The caution's figures are the corpus point's: measured 23.1 ms against this model's
    served time per token for the same scenario (the validation skips the point for the reason
    the caution gives)."""
    point = next(p for p in load_corpus(CORPUS) if p["id"] == CROSS_NODE_RUN["id"])
    assert point["value"] == CROSS_NODE_RUN["tpot_ms"]
    s, why = _scenario(point, _models_table(CORPUS.parent / "models.json"), CAT)
    assert why is None and s.tp_nodes == 2
    estimate_ms = float(served(s.with_(output_tokens=point["extra"]["generated_tokens"])).tpot_s) * 1e3
    # by hand, one token at batch 1 (the vLLM / SGLang rows of core.speed): DeepSeek R1's 37.55 B active
    # weights in fp8 over 16 cards at 3.35 TB/s x 0.765 = 0.916 ms; 61 layers x 40 us = 2.44 ms; 58 MoE
    # layers x 25 us = 1.45 ms; 0.5 ms a step; 2 all-reduces a layer x 61 x 10 us (NVLink) = 1.22 ms
    by_hand = 37.55e9 / 16 / (3.35e12 * 0.765) * 1e3 + 61 * 0.040 + 58 * 0.025 + 0.5 + 122 * 0.010
    assert estimate_ms == pytest.approx(by_hand, abs=0.15)      # (the cache and the prompt's share: small)
    assert point["value"] / estimate_ms == pytest.approx(CROSS_NODE_RUN["times_estimate"], abs=0.1)
    result = next(r for r in run_corpus([point], CAT, corpus_dir=CORPUS.parent))
    assert "across nodes" in result.skipped


def test_json_cli_and_report_carry_the_note(capsys):
    d = estimate_dict(scenario(n_gpus=16))
    assert d["scenario"]["tp_nodes"] == 2 and "spans 2 nodes of 8" in d["scenario"]["nodes_note"]
    assert estimate_dict(scenario(n_gpus=16, pipeline=2))["scenario"]["nodes_note"] is None
    assert main(["estimate", "--model", "deepseek-r1", "--gpu", "h100-sxm", "--gpus", "16", "--weights", "fp8",
                 "--engine", "sglang"]) == 0
    out = capsys.readouterr().out
    assert "note: the tensor-parallel group of 16 cards spans 2 nodes of 8" in out


def test_layouts_mark_the_groups_that_span_nodes(capsys):
    rows = layouts(scenario(n_gpus=16, batch=32), 16)
    spans = {r.name: r.tp_nodes for r in rows}
    assert spans["1 × 16"] == 2                 # TP 16
    assert spans["1 × 16 (2 stages)"] == 1      # TP 8 a stage
    assert spans["2 × 8"] == 1
    assert all(d["tp_nodes"] == spans[d["name"]] for d in layout_dicts(rows))
    assert main(["layouts", "--model", "deepseek-r1", "--gpu", "h100-sxm", "--gpus", "16", "--weights", "fp8",
                 "--engine", "sglang", "--batch", "32"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("1 x 16 "))
    assert "*" in line                          # marked, and the mark explained below the table
    assert "* the tensor-parallel group spans nodes" in out
    assert main(["layouts", "--model", "deepseek-r1", "--gpu", "h100-sxm", "--gpus", "16", "--weights", "fp8",
                 "--engine", "sglang", "--batch", "32", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["name"]: r["tp_nodes"] for r in data}["1 × 16"] == 2


@pytest.mark.parametrize(("n", "stages", "expected"), [
    (16, 1, 2), (24, 1, 3), (64, 1, 8),
    (12, 1, 3),      # 2 stages of 6 cards: 6 does not divide 64 heads; 3 stages of 4 do
    (20, 1, 5),      # 3 stages do not divide 20 cards, 4 stages of 5 do not split 64 heads: 5 stages of 4
    (16, 4, 4),      # already within a node: no fewer stages than now
])
def test_the_stages_that_keep_each_group_within_a_node(n, stages, expected):
    # Llama 3.1 70B: 64 query heads, 80 layers, on HGX boards of 8
    s = scenario(model="llama3.1-70b", n_gpus=n, pipeline=stages, weights="bf16", engine="vllm")
    assert s.node_stages == expected
    assert s.with_(pipeline=expected).tp_nodes == 1


def test_stages_for_a_model_whose_heads_do_not_split_eight_ways():
    # Qwen2.5 7B: 28 query heads: groups of 8 do not split them, groups of 4 do
    assert scenario(model="qwen2.5-7b", n_gpus=64, weights="bf16", engine="vllm").node_stages == 16
    assert scenario(model="qwen2.5-7b", n_gpus=48, weights="bf16", engine="vllm").node_stages == 12
    # a node of one card and 32 cards: 32 stages would be needed, past the 16 the window offers
    base = CAT.gpu("h100-sxm").model_dump()
    one = GPU.model_validate({**base, "id": "solo", "node_cards": 1, "sources": {**base["sources"], "node": "x"}})
    s = scenario(model="llama3.1-70b", n_gpus=32, weights="bf16", engine="vllm").with_(gpu=one)
    assert s.node_stages is None
    assert "--pipeline" not in nodes_note(s)


def test_the_explain_panels_decode_item_carries_the_note():
    from vramgui.core.explain import explain_items
    decode = {e.key: e for e in explain_items(scenario(n_gpus=16))}["decode"]
    assert "The tensor-parallel group of 16 cards spans 2 nodes of 8" in decode.note
    decode = {e.key: e for e in explain_items(scenario(n_gpus=16, pipeline=2))}["decode"]
    assert "spans" not in decode.note


def test_the_scenario_may_say_how_many_cards_a_node_holds(capsys):
    # a PCIe server of 4 L40S: tensor parallel over 8 spans two of them
    s = scenario(model="llama3.1-70b", gpu="l40s", n_gpus=8, weights="bf16", engine="vllm")
    assert s.tp_nodes == 1 and s.with_(node_cards=4).tp_nodes == 2
    assert s.with_(node_cards=4).node_stages == 2
    assert main(["estimate", "--model", "llama3.1-70b", "--gpu", "l40s", "--gpus", "8", "--engine", "vllm",
                 "--node-cards", "4", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)["scenario"]
    assert (d["node_cards"], d["tp_nodes"]) == (4, 2) and "spans 2 nodes of 4" in d["nodes_note"]
    assert main(["estimate", "--model", "llama3.1-70b", "--gpu", "l40s", "--node-cards", "0"]) != 0
    assert "--node-cards must be at least 1" in capsys.readouterr().err


def test_a_unified_memory_machine_holds_one_chip():
    # a Mac, a DGX Spark, a Jetson, a Ryzen AI Max system: one SoC whose GPU shares the machine's memory; several
    # join over the network (MLX's distributed launch over Thunderbolt or Ethernet, llama.cpp's rpc-server)
    from vramgui.core.presets import UNIFIED_NODE_CARDS
    assert UNIFIED_NODE_CARDS == 1
    for gpu in CAT.gpus.values():
        assert gpu.cards_per_node == (1 if gpu.unified_memory else gpu.node_cards or NODE_CARDS), gpu.id
    assert [CAT.gpu(g).cards_per_node for g in ("m3-ultra-512gb", "dgx-spark", "h100-sxm", "gb200")] == [1, 1, 8, 72]


def test_a_layer_split_over_machines_is_flagged():
    from vramgui.core.report import machines_note
    # two M3 Ultras with llama.cpp: two machines, joined by its RPC backend over the network
    s = scenario(gpu="m3-ultra-512gb", n_gpus=2, engine="llamacpp", weights="q4_k_m")
    assert s.nodes == 2 and s.tp_nodes == 1 and nodes_note(s) is None
    assert machines_note(s).startswith("2 cards are 2 machines of 1: llama.cpp joins them over the network with its "
                                       "RPC backend")
    assert estimate_dict(s)["scenario"]["machines_note"] == machines_note(s)
    # HF transformers runs on one machine: it does not join them
    assert "HF transformers runs on one machine and does not join them" in machines_note(
        s.with_(engine="hf", weights="bf16"))
    # twelve RTX 3090s are two machines of eight; eight are one
    big = scenario("llama3.1-405b", gpu="rtx3090", n_gpus=12, engine="llamacpp", weights="q4_k_m")
    assert machines_note(big).startswith("12 cards are 2 machines of 8") and machines_note(big.with_(n_gpus=8)) is None
    # a tensor-parallel engine over two Macs (MLX's distributed launch): the group spans nodes (nodes_note), two
    # stages keep each on one Mac
    m = scenario(gpu="m3-ultra-512gb", n_gpus=2, engine="mlx", weights="mlx-4bit")
    assert machines_note(m) is None and m.tp_nodes == 2 and "spans 2 nodes of 1" in nodes_note(m)
    assert m.node_stages == 2
