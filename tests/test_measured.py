"""Users' measured points: the sample files and bad input."""

import pytest

from vramgui.core.catalog import data_dir
from vramgui.core.errors import InputError
from vramgui.core.measured import load_measured


def test_sample_files_load():
    folder = data_dir("presets") / "measured"
    pts = load_measured(folder / "lmdeploy-llama2-7b-a100-p128-g2048-step-ms.csv")
    # LMDeploy profile_generation.md: 10, 15, 21, 30 ms at batch 1, 16, 32, 64 (prompt 128, 2048 generated)
    assert [(p.x, p.value) for p in pts] == [(1, 10.0), (16, 15.0), (32, 21.0), (64, 30.0)]
    assert all(p.axis == "batch" and p.quantity == "step_ms" and "lmdeploy" in p.source for p in pts)


def test_jsonl_and_units(tmp_path):
    f = tmp_path / "m.jsonl"
    f.write_text('{"axis": "context", "x": 4096, "quantity": "memory_gib", "value": 15.5, "label": "mine"}\n\n'
                 '{"axis": "context", "x": 8192, "quantity": "memory_gb", "value": 20}\n')
    a, b = load_measured(f)
    assert a.bytes == 15.5 * 2**30 and b.bytes == 20e9 and a.label == "mine"


@pytest.mark.parametrize("content, message", [
    ("axis,x,quantity\nbatch,1,step_ms\n", "header row must name"),
    ("axis,x,quantity,value\nbatch,one,step_ms,3\n", "field 'x': line 2: expected a number"),
    ("axis,x,quantity,value\nbatch,4,step_ms,-3\n", "field 'value': line 2: must be a positive"),
    ("axis,x,quantity,value\nbatch,4,step_ms,nan\n", "must be a positive finite"),
    ("axis,x,quantity,value\ntime,4,step_ms,3\n", "field 'axis'"),
    ("axis,x,quantity,value\nbatch,4,memory_gib,3\n", "memory_gib belongs on the context axis"),
    ("axis,x,quantity,value\nbatch,4,watts,3\n", "field 'quantity'"),
    ("axis,x,quantity,value\n", "holds no measured points"),
    ("axis,x,quantity,value\nbatch,,step_ms,3\n", "field 'x': line 2: missing"),
])
def test_bad_csv_names_file_line_and_field(tmp_path, content, message):
    f = tmp_path / "bad.csv"
    f.write_text(content)
    with pytest.raises(InputError) as exc:
        load_measured(f)
    assert str(f) in str(exc.value) and message in str(exc.value)


@pytest.mark.parametrize("content, message", [
    (b"{not json}\n", "line 1: not valid JSON"), (b"[1, 2]\n", "line 1: expected a JSON object"),
    (b"\xff\xfe\x00", "not UTF-8"),
])
def test_bad_jsonl(tmp_path, content, message):
    f = tmp_path / "bad.jsonl"
    f.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_measured(f)
