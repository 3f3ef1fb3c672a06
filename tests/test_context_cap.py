"""vLLM checks at start that one sequence of its context length fits in the cache left beside the weights, and
refuses to start where it does not ('To serve at least one request with the models's max seq len (...) ... Based on
the available memory, the estimated maximum model length is N', vllm/v1/core/kv_cache_utils.py); its context length
is the model's own unless --max-model-len says otherwise (--max-model-len auto: the longest that fits, pull 29431).
Llama 3.1 8B's 131,072 tokens on a 24 GB card are the usual case: the estimate said it fits at 4,096.  SGLang
starts and caps each request at the cache's tokens instead (scheduler.py: max_req_input_len = min(context_len - 1,
max_total_num_tokens - 1))."""

import json

from vramgui.cli import main
from vramgui.core import Scenario, default_catalog, fit
from vramgui.core.fit import budget_bytes, context_cap
from vramgui.core.memory import memory_terms, total_from_terms
from vramgui.core.report import context_cap_note, estimate_dict

CAT = default_catalog()


def scenario(model="llama3.1-8b", gpu="rtx4090", **kw) -> Scenario:
    kw = {"weights": "bf16", "engine": "vllm", "prompt_tokens": 4096, "output_tokens": 256, **kw}
    return Scenario(model=CAT.model(model), gpu=CAT.gpu(gpu), **kw)


def test_the_longest_context_vllm_starts_with():
    s = scenario()
    limit = s.model.architecture.max_context
    tokens = context_cap(s)
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
    assert context_cap(s.with_(prompt_tokens=100, output_tokens=10, batch=8)) == tokens
    # where the model's own fits, that; llama.cpp allocates its -c whatever the cache (its own notes), HF grows it
    assert context_cap(scenario("llama2-7b")) == 4096
    assert context_cap(scenario(engine="llamacpp")) is None and context_cap(scenario(engine="hf")) is None
    # SGLang: its cache's tokens too (max_total_num_tokens, its pool of single-token pages), the request cap
    sg = scenario(engine="sglang")
    assert context_cap(sg) == fit(sg).kv_capacity_tokens < 131_072


def test_the_note_names_the_flag_and_the_longest_context():
    s = scenario()
    tokens = context_cap(s)
    note = context_cap_note(s)
    assert note.startswith("vLLM without --max-model-len takes the model's 131,072 tokens and refuses to start")
    assert f"--max-model-len {tokens:,} or less starts it" in note
    d = estimate_dict(s)
    assert d["scenario"]["context_cap_note"] == note and d["fit"]["context_cap_tokens"] == tokens
    assert context_cap_note(scenario("llama2-7b")) is None and context_cap_note(scenario(engine="llamacpp")) is None
    sg = scenario(engine="sglang")
    assert context_cap_note(sg) == (f"SGLang serves requests up to {context_cap(sg):,} tokens, the cache beside the "
                                    "weights, not the model's 131,072: a longer prompt and output are refused "
                                    "(max_req_input_len, the smaller of --context-length and the cache's tokens)")
    # an 80 GB card holds the model's own context: no note
    assert context_cap_note(scenario(gpu="a100-80gb")) is None


def test_the_cli_prints_it(capsys):
    assert main(["estimate", "--model", "llama3.1-8b", "--gpu", "rtx4090", "--engine", "vllm", "--weights", "bf16"]) \
        == 0
    assert "note: vLLM without --max-model-len takes the model's 131,072 tokens" in capsys.readouterr().out
    assert main(["estimate", "--model", "llama2-7b", "--gpu", "rtx4090", "--engine", "vllm", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["scenario"]["context_cap_note"] is None and d["fit"]["context_cap_tokens"] == 4096
