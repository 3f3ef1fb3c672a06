"""The coefficient functions are memoised per scenario without its load (prompt, output,
batch): that is only right while they do not depend on the load, which this checks for every
catalog model under every engine profile."""

import dataclasses

import numpy as np
import pytest

from vramgui.core import Scenario
from vramgui.core.engines import ENGINES
from vramgui.core.memory import memory_terms
from vramgui.core.speed import speed_terms

LOADS = [dict(prompt_tokens=0, output_tokens=0, batch=1), dict(prompt_tokens=100_000, output_tokens=4096, batch=256)]


def fields(t) -> dict:
    return {f.name: getattr(t, f.name) for f in dataclasses.fields(t)}


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_coefficients_do_not_depend_on_the_load(cat, engine):
    gpu = cat.gpu("h100-sxm")
    for model in cat.models.values():
        for n in (1, 8):
            try:
                base = Scenario(model=model, gpu=gpu, engine=engine, n_gpus=n)
            except ValueError:
                continue
            terms = [(memory_terms.__wrapped__(base.with_(**load)), speed_terms.__wrapped__(base.with_(**load)))
                     for load in LOADS]
            for (m0, s0), (m1, s1) in zip(terms, terms[1:], strict=False):
                np.testing.assert_equal(fields(m0), fields(m1), err_msg=f"{model.id} {engine} x{n}: memory")
                np.testing.assert_equal(fields(s0), fields(s1), err_msg=f"{model.id} {engine} x{n}: speed")


def test_memo_serves_a_scenario_of_another_load_and_recomputes_for_other_objects(scenario, cat):
    s = scenario("llama3.1-8b", "rtx4090", engine="vllm")
    assert memory_terms(s) is memory_terms(s.with_(batch=64, prompt_tokens=30_000))
    assert speed_terms(s) is speed_terms(s.with_(output_tokens=2048))
    other = s.with_(n_gpus=2)
    assert memory_terms(other) is not memory_terms(s)
    assert memory_terms(other).weights == pytest.approx(memory_terms.__wrapped__(other).weights, rel=1e-12)
    # a preset of the same id loaded again (a user edit) is another object: computed afresh
    copy = s.model.model_copy(update={"name": "Llama 3.1 8B (edited)"})
    fresh = s.with_(model=copy)
    assert memory_terms(fresh) is not memory_terms(s)
    # an explicit argument bypasses the memo
    from vramgui.core.weights import weight_bytes
    explicit = memory_terms(s, weight_bytes(s.model.architecture, s.weight_format))
    assert explicit is not memory_terms(s) and explicit.weights == memory_terms(s).weights
