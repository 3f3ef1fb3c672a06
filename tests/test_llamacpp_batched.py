"""llama.cpp decoding several sequences: slower than the roofline, flagged with what was measured."""

from pathlib import Path

import pytest

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog
from vramgui.core.explain import explain
from vramgui.core.memory import estimate_memory
from vramgui.core.report import batched_decode_note, estimate_dict, report_markdown
from vramgui.core.speed import LLAMACPP_BATCHED, decode_parts, speed_terms
from vramgui.core.validation import load_corpus, run_corpus

CAT = default_catalog()
CORPUS = Path(__file__).parent / "data" / "measured" / "corpus.jsonl"


def scenario(**kw) -> Scenario:
    kw = {"weights": "q4_0", "engine": "llamacpp", "prompt_tokens": 512, "output_tokens": 128, **kw}
    return Scenario(model=CAT.model("llama3-8b"), gpu=CAT.gpu("rtx3090"), **kw)


def test_the_cautions_ratios_are_the_corpus_points():
    # each quoted ratio = measured / estimated throughput of the named llama-bench points (their mean where
    # several), recomputed here through the validation
    points = {p["id"]: p for p in load_corpus(CORPUS)}
    for run in LLAMACPP_BATCHED:
        got = run_corpus([points[i] for i in run["ids"]], CAT, corpus_dir=CORPUS.parent)
        ratios = [r.measured / r.estimated for r in got]
        assert all(r.skipped is None for r in got)
        assert sum(ratios) / len(ratios) == pytest.approx(run["ratio"], abs=0.01), run


def test_a_microbatch_reads_one_sequences_cache():
    # pp512 at -ub 8: a step of 8 tokens of one sequence reads its cache once, on average 256 tokens deep
    # (Llama 3 8B: 32 layers x 2 x 8 KV heads x 128 x 2 bytes = 128 KiB a token), not 8 sequences' caches;
    # the validation estimates it as a step of 8 sequences at 256 / 8 = 32 tokens each
    s = scenario(batch=8)
    assert estimate_memory(s).kv_bytes_per_token == 32 * 2 * 8 * 128 * 2
    t = speed_terms(s)
    kv_read = float(decode_parts(t, 8, 32, 1e12, 0).bytes_moved - decode_parts(t, 8, 0, 1e12, 0).bytes_moved)
    assert kv_read == pytest.approx(256 * 131_072, rel=1e-9)


@pytest.mark.parametrize(("kw", "flagged"), [
    ({"batch": 1}, False),                                 # one sequence: the calibrated case
    ({"batch": 2}, True), ({"batch": 64, "weights": "q4_k_m"}, True),
    ({"batch": 4, "engine": "llamacpp-vulkan"}, True),     # (the same kernels' design on every backend)
    ({"batch": 4, "weights": "fp16"}, False),              # 16-bit weights: other kernels, not measured here
    ({"batch": 4, "engine": "vllm", "weights": "fp16"}, False),
])
def test_the_note_is_there_only_for_llamacpp_batches_of_quantized_weights(kw, flagged):
    assert (batched_decode_note(scenario(**kw)) is not None) is flagged


def test_json_cli_report_and_explain_carry_the_note(capsys):
    s = scenario(batch=8)
    d = estimate_dict(s)
    note = d["scenario"]["batched_decode_note"]
    assert note.startswith("llama.cpp decodes 8 sequences at once slower than this estimate")
    assert "0.76 with 4 and 0.47 with 8 on an RTX 3090; 0.74 with 10-16 on an RTX 4090" in note
    assert estimate_dict(scenario())["scenario"]["batched_decode_note"] is None
    assert note in report_markdown(d)
    assert "Llama 3 8B Q4_0" in explain(s)["decode"]
    assert main(["estimate", "--model", "llama3-8b", "--gpu", "rtx3090", "--weights", "q4_0", "--engine",
                 "llamacpp", "--batch", "8"]) == 0
    assert "note: llama.cpp decodes 8 sequences" in capsys.readouterr().out
