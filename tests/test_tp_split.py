"""Tensor parallel splits a layer's attention heads evenly or not at all: vLLM refuses a group whose size does not
divide the heads at start ("Total number of attention heads (h) must be divisible by tensor parallel size (n)",
ModelConfig.verify_with_parallel_config), and its and SGLang's attention layers assert that the KV heads split
evenly, or where fewer than the cards, that an equal number of cards copies each (Phi-3 Medium's and Phi-4's 10 KV
heads on 4 cards: vLLM issues 5951 and 16021, 2 cards run).  vramgui estimated such groups as if they ran."""

import json

import pytest

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog
from vramgui.core.fit import valid_gpu_counts
from vramgui.core.layouts import layouts
from vramgui.core.report import estimate_dict, tp_split_note
from vramgui.core.scenario import splits_heads

CAT = default_catalog()


def scenario(model="phi4-14b", gpu="rtx4090", **kw) -> Scenario:
    kw = {"weights": "bf16", "engine": "vllm", "prompt_tokens": 1024, "output_tokens": 128, **kw}
    return Scenario(model=CAT.model(model), gpu=CAT.gpu(gpu), **kw)


@pytest.mark.parametrize("heads, kv, tp, ok", [
    (40, 10, 2, True),      # Phi-4 on 2 cards: 20 heads and 5 KV heads each (runs, issue 5951)
    (40, 10, 4, False),     # ... on 4: 10 heads each, but 10 KV heads over 4 cards (the assertion of issue 16021)
    (40, 10, 5, True),      # ... on 5: 8 heads and 2 KV heads each
    (40, 10, 20, True),     # ... on 20: 2 heads each, every KV head copied to 2 cards
    (64, 8, 3, False),      # Llama 2 70B on 3: 64 heads do not split (the ModelConfig check)
    (64, 8, 16, True),      # ... on 16: 4 heads each, each of the 8 KV heads on 2 cards
    (4, 1, 8, False),       # Gemma 3 1B on 8: 4 heads
    (32, 8, 1, True),       # one card: nothing to split
])
def test_a_group_splits_the_heads_and_the_kv_heads_evenly(heads, kv, tp, ok):
    assert splits_heads(heads, kv, tp) is ok


def test_the_counts_a_tensor_parallel_engine_can_split_a_model_over():
    # Phi-4: 40 heads, 10 KV heads (config.json num_attention_heads, num_key_value_heads).  A count n splits them where
    # n divides 40 and either divides 10 (n <= 10) or is a multiple of 10: 1, 2, 5, 10, 20, 40 (not 4 nor 8)
    a = CAT.model("phi4-14b").architecture
    assert (a.num_heads, a.num_kv_heads) == (40, 10)
    assert valid_gpu_counts(scenario()) == [1, 2, 5, 10, 20, 40]
    # a layer split (llama.cpp) takes any count up to a layer a card
    assert valid_gpu_counts(scenario(engine="llamacpp", weights="q4_k_m"))[:5] == [1, 2, 3, 4, 5]
    # the layouts of 4 cards (cards a replica, its stages): no tensor-parallel group of 4; 2 stages of 2 cards, or
    # two replicas of 2, do
    splits = {(r.cards, r.stages) for r in layouts(scenario(n_gpus=4), 4)}
    assert (4, 1) not in splits and {(4, 2), (2, 1)} <= splits


def test_the_estimate_says_the_engine_refuses_the_group():
    s = scenario(n_gpus=4)
    assert not s.splits_attention
    assert s.split_sizes() == [1, 2, 5] and s.split_stages == 2
    note = tp_split_note(s)
    assert note.startswith("vLLM refuses a tensor-parallel group of 4 cards for this model")
    assert "40 attention heads and 10 KV heads" in note and "Groups of 1, 2 or 5 cards split them" in note
    assert note.endswith("4 cards as --pipeline 2 do")
    assert estimate_dict(s)["scenario"]["tp_split_note"] == note
    # two cards split it; the layer-split engines split layers, not heads; one card has nothing to split
    assert tp_split_note(scenario(n_gpus=2)) is None
    assert tp_split_note(scenario(n_gpus=4, engine="llamacpp", weights="q4_k_m")) is None
    assert tp_split_note(scenario(n_gpus=4, engine="vllm", pipeline=2)) is None     # 2 stages of 2 cards
    # the generic profile is tensor parallel too: the engines that run so refuse it
    assert tp_split_note(scenario(n_gpus=4, engine="generic")).startswith("vLLM and SGLang refuse")
    # Gemma 3 1B (4 heads, 1 KV head) on 8 H100s: groups of 1, 2 or 4 split it; 8 cards as 2 stages of 4
    g = scenario("gemma3-1b", "h100-sxm", n_gpus=8)
    assert "4 attention heads and 1 KV head " in tp_split_note(g) and g.split_sizes() == [1, 2, 4]
    assert g.split_stages == 2


def test_the_cli_prints_the_note_and_keeps_it_in_the_json(capsys):
    assert main(["estimate", "--model", "llama2-70b", "--gpu", "a100-80gb", "--gpus", "3", "--engine", "vllm"]) == 0
    out = capsys.readouterr().out
    assert "note: vLLM refuses a tensor-parallel group of 3 cards" in out and "--pipeline 3 do" in out
    assert main(["estimate", "--model", "llama2-70b", "--gpu", "a100-80gb", "--gpus", "4", "--engine", "vllm",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenario"]["tp_split_note"] is None
    # fit: the note above the table (every card alike), tp_refused in each JSON row
    assert main(["fit", "--model", "phi4-14b", "--gpus", "4", "--engine", "vllm"]) == 0
    assert capsys.readouterr().out.startswith("note: vLLM refuses a tensor-parallel group of 4 cards")
    assert main(["fit", "--model", "phi4-14b", "--gpus", "4", "--engine", "vllm", "--json"]) == 0
    assert all(r["tp_refused"] for r in json.loads(capsys.readouterr().out))
    assert main(["fit", "--model", "phi4-14b", "--gpus", "2", "--engine", "vllm", "--json"]) == 0
    assert not any(r["tp_refused"] for r in json.loads(capsys.readouterr().out))


def test_my_machine_marks_the_rows_its_engine_refuses_and_picks_none_of_them(capsys):
    # 4 x RTX 4090 under vLLM: Phi-4's 16-bit row is vLLM's, on a tensor-parallel group of 4: refused; its GGUF rows
    # run on llama.cpp, which splits layers; 2 cards split it
    from vramgui.core.machine import Machine, best_format, machine_table, option_dict
    m = Machine(gpu=CAT.gpu("rtx4090"), n_gpus=4, engine="vllm", context=4096)
    rows = {(o.model.id, o.weights): o for o in machine_table(m, CAT, family="Phi")}
    vllm, gguf = rows["phi4-14b", "bf16"], rows["phi4-14b", "q8_0"]
    assert (vllm.engine, vllm.tensor_parallel, vllm.tp_refused) == ("vllm", 4, True)
    assert (gguf.engine, gguf.tensor_parallel, gguf.tp_refused) == ("llamacpp", 1, False)
    assert option_dict(vllm)["tp_refused"] is True and option_dict(gguf)["tp_refused"] is False
    assert not any(o.tp_refused for o in machine_table(Machine(gpu=m.gpu, n_gpus=2, engine="vllm", context=4096),
                                                       CAT, family="Phi"))
    # best-format picks among the rows that start: BF16 is refused, Q8_0 (llama.cpp) is the highest precision
    r = best_format(m, CAT.model("phi4-14b"))
    assert r["highest_precision"].weights == "q8_0" and not r["fastest"].tp_refused
    assert main(["machine", "--gpu", "rtx4090", "--gpus", "4", "--engine", "vllm", "--family", "Phi"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("phi4-14b") and " bf16 " in ln)
    assert "TP 4 refused" in line and out.splitlines()[-1].startswith("TP 4 refused: 4 cards do not split")
