"""The fine-tuning corpus (tests/data/measured/training.jsonl) through ``vramgui-cli validate``: each point's
run in vramgui's terms (its ``setup``) or why it is not modelled (``setup_skip``), compared by the counter it
measured (core/validation.py, TRAINING_QUANTITIES)."""

import json
import statistics
from pathlib import Path

import pytest

from vramgui.cli import main

TRAINING = Path(__file__).parent / "data" / "measured" / "training.jsonl"


@pytest.fixture(scope="module")
def results(validated):
    return {p["id"]: p for p in validated(TRAINING)["points"]}


def test_every_point_is_compared_or_says_why(results):
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]
    assert set(results) == {r["id"] for r in records}
    for r in records:
        p = results[r["id"]]
        assert (p["skipped"] is None) == ("setup" in r and r["quantity"] != "used_per_gpu"), r["id"]
        assert p["skipped"] is None or len(p["skipped"]) > 20
    # every own run is compared by its allocated peak and, where capped, by what it needed; the device's used
    # memory on the roomy card is not (the pool keeps what it reserved)
    own = {i: p for i, p in results.items() if i.startswith("own-")}
    assert sum(p["quantity"] == "peak_allocated_per_gpu" for p in own.values()) == 41
    assert sum(p["quantity"] == "needed_per_gpu" for p in own.values()) == 15
    assert all(p["skipped"].startswith("the device's used memory") for p in own.values()
               if p["quantity"] == "used_per_gpu")


def test_own_runs(results):
    # vramgui's own H200 runs (16 setups of four models): torch's allocated peak within -1.1 to +0.5 %; what a job
    # needed (the smallest cap of torch's pool that completed, + the context) within -3.9 to +1.1 % but for Qwen3 4B
    # full fine-tuning with checkpointing under the caching allocator (-14 and -18 %: its loss's and step's phases
    # alike in size, tests/test_own_measurements.py) and Qwen2.5 7B full without checkpointing in round 12 (-6.3 %:
    # round 13's rerun completed at 78.3 GiB, -1.9 %: the caps' steps are coarse)
    alloc = [p["error_pct"] for i, p in results.items() if i.startswith("own-") and p["quantity"] ==
             "peak_allocated_per_gpu"]
    assert all(-1.2 < e < 0.6 for e in alloc) and statistics.median(map(abs, alloc)) < 0.5
    needed = {i: p["error_pct"] for i, p in results.items() if p["quantity"] == "needed_per_gpu"}
    stated = {i: e for i, e in needed.items() if "qwen3-4b-full-ckptfull" in i and "expandable" not in i}
    assert len(stated) == 2 and all(-19 < e < -14 for e in stated.values())
    coarse = needed.pop("own-h200-2026-12-04-qwen2.5-7b-full-ckptnone-s2048-b2-r12-foreach-needed")
    assert -7 < coarse < -6
    assert all(-4 < e < 1.2 for i, e in needed.items() if i not in stated), needed


def test_torchtune_runs(results):
    # torchtune's READMEs, the runs whose settings are stated and modelled: Llama 3.2 3B full fine-tuning of packed
    # 4,096-token sequences (its 0.5 memory-lever table, "Peak Memory Active") -3.8 %; its v0.2 table (the counter
    # not named: compared with the pool the job needs) Llama 2 7B LoRA on an RTX 4090 -9.8 %, QLoRA -21 % (torchao's
    # NF4 layers dequantize each weight for its matmuls: transients not modelled), full fine-tuning under FSDP on
    # four RTX 4090s -33 % (as ZeRO-3: FSDP's unsharded layers and buffers are not modelled). The other rows use
    # levers the estimate does not model (optimizer in the backward pass, chunked cross-entropy, torch.compile,
    # activation offloading, unpacked datasets) and are kept, not compared
    tt = {i: p["error_pct"] for i, p in results.items() if p["engine"] == "torchtune" and not p["skipped"]}
    assert {i: round(e) for i, e in tt.items()} == {"tt32-l32-3b-packed": -4, "tt2m-l2-7b-lora-4090": -10,
                                                    "tt2m-l2-7b-qlora-4090": -21, "tt2m-l2-7b-full-4x4090": -33}


@pytest.mark.parametrize("setup, says", [([1, 2], "not an object"), ({"method": "dora", "gpu_ref": "h200"}, "method"),
                                         ({"seq": 0, "gpu_ref": "h200"}, "seq")])
def test_a_bad_setup_names_the_point_and_the_field(tmp_path, capsys, setup, says):
    point = {"id": "mine-1", "quantity": "peak_allocated_per_gpu", "value": 10.0, "value_gib": 10.0,
             "model_ref": "llama3.2-1b", "method": "full", "setup": setup}
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps(point) + "\n", encoding="utf-8")
    assert main(["validate", str(path)]) != 0
    err = capsys.readouterr().err
    assert "mine-1" in err and "setup" in err and says in err
