"""vLLM checks at start that one sequence of its context length fits in the cache left beside the weights, and
refuses to start where it does not ('To serve at least one request with the models's max seq len (...) ... Based on
the available memory, the estimated maximum model length is N', vllm/v1/core/kv_cache_utils.py); its context length
is the model's own unless --max-model-len says otherwise (--max-model-len auto: the longest that fits, pull 29431).
Llama 3.1 8B's 131,072 tokens on a 24 GB card are the usual case: the estimate said it fits at 4,096."""

import json

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog, fit
from vramgui.core.fit import budget_bytes, start_context
from vramgui.core.memory import memory_terms, total_from_terms
from vramgui.core.report import estimate_dict, start_context_note

CAT = default_catalog()


def scenario(model="llama3.1-8b", gpu="rtx4090", **kw) -> Scenario:
    kw = {"weights": "bf16", "engine": "vllm", "prompt_tokens": 4096, "output_tokens": 256, **kw}
    return Scenario(model=CAT.model(model), gpu=CAT.gpu(gpu), **kw)


def test_the_longest_context_vllm_starts_with():
    s = scenario()
    limit = s.model.architecture.max_context
    tokens = start_context(s)
    assert limit == 131_072 and 0 < tokens < limit
    # one sequence of it fits beside the weights, one more block of 16 tokens does not (vLLM's estimate searches the
    # longest that fits), and the model's own context does not
    t, budget = memory_terms(s), budget_bytes(s)
    assert float(total_from_terms(t, s.profile, tokens, 1)) <= budget
    assert float(total_from_terms(t, s.profile, tokens + 16, 1)) > budget
    assert float(total_from_terms(t, s.profile, limit, 1)) > budget
    # a dense model with one kind of attention: the cache's tokens (vLLM's 'GPU KV cache size'; its issue 16118:
    # block size x blocks, before sliding windows made the estimate a search), whatever the prompt, output and batch
    assert tokens == fit(s).kv_capacity_tokens
    assert start_context(s.with_(prompt_tokens=100, output_tokens=10, batch=8)) == tokens
    # where the model's own fits, that; other engines make no such check
    assert start_context(scenario("llama2-7b")) == 4096
    assert start_context(scenario(engine="sglang")) is None and start_context(scenario(engine="llamacpp")) is None


def test_the_note_names_the_flag_and_the_longest_context():
    s = scenario()
    tokens = start_context(s)
    note = start_context_note(s)
    assert note.startswith("vLLM without --max-model-len takes the model's 131,072 tokens and refuses to start")
    assert f"--max-model-len {tokens:,} or less starts it" in note
    d = estimate_dict(s)
    assert d["scenario"]["start_context_note"] == note and d["fit"]["start_context_tokens"] == tokens
    assert start_context_note(scenario("llama2-7b")) is None and start_context_note(scenario(engine="sglang")) is None
    # an 80 GB card holds the model's own context: no note
    assert start_context_note(scenario(gpu="a100-80gb")) is None


def test_the_cli_prints_it(capsys):
    assert main(["estimate", "--model", "llama3.1-8b", "--gpu", "rtx4090", "--engine", "vllm", "--weights", "bf16"]) \
        == 0
    assert "note: vLLM without --max-model-len takes the model's 131,072 tokens" in capsys.readouterr().out
    assert main(["estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--engine", "vllm", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["scenario"]["start_context_note"] is None and d["fit"]["start_context_tokens"] == 4096
