"""Ollama as installed: its default context by the GPU memory it sees, llama-server's free margin, llama.cpp's
allocations and speed rows otherwise, and the fit table grouping the cards by the context they get."""

import json

import numpy as np
import pytest

from vramgui.core.cards import card_table
from vramgui.core.engines import ENGINES, LLAMACPP, default_context
from vramgui.core.fit import budget_bytes, fit
from vramgui.core.memory import estimate_memory
from vramgui.core.report import default_context_note, estimate_dict
from vramgui.core.speed import decode_step, speed_key
from vramgui.core.units import GIB, MIB

# Llama 3.1 8B (config.json: 32 layers, 8 KV heads of 128): 32 x 2 x 8 x 128 x 2 bytes of f16 keys and values a token
LLAMA31_KV = 32 * 2 * 8 * 128 * 2                # 131,072
# Qwen2.5 3B (36 layers, 2 KV heads of 128)
QWEN25_3B_KV = 36 * 2 * 2 * 128 * 2              # 36,864


def test_the_default_context_follows_the_memory_of_every_card_together(cat):
    # server/routes.go (v0.15.5 on): totalVRAM summed over the cards; 262,144 from 47 GiB, 32,768 from 23, else 4,096,
    # at most the model's trained context (llm/server.go clamps num_ctx to it)
    p, llama = ENGINES["ollama"], cat.model("llama3.1-8b").architecture.max_context     # 131,072
    cases = [("rtx3060-12gb", 1, 4096),           # 12 GiB
             ("rtx4080", 1, 4096),                # 16,376 MiB
             ("rtx4090", 1, 32768),               # 24,564 MiB = 23.99 GiB: at least 23
             ("rtx5090", 1, 32768),               # 31.8 GiB
             ("rtx4080", 2, 32768),               # 32.0 GiB together
             ("rtx4090", 2, 131072),              # 47.98 GiB: the 262,144 tier, capped at Llama 3.1's 131,072
             ("a100-80gb", 1, 131072),
             ("m4-pro-24gb", 1, 4096),            # 24 GiB x 0.75 the GPU may wire = 18 GiB (Ollama logged 17.8 on one)
             ("m4-max-64gb", 1, 131072)]          # 48 GiB
    for gpu, n, tokens in cases:
        assert default_context(p, cat.gpu(gpu), n, llama) == tokens, (gpu, n)
    # qwen2.5:3b's own limit caps the top tier (a 262,144 tier loaded 32,768 cells: 1,152 MiB, homelabpostmortem.com)
    assert default_context(p, cat.gpu("a100-80gb"), 1, 32768) == 32768
    assert 32768 * QWEN25_3B_KV == 1152 * MIB
    # the other profiles allocate the request's own context
    assert all(default_context(e, cat.gpu("rtx4090"), 1, llama) == 0 for k, e in ENGINES.items() if k != "ollama")


def test_ollama_holds_its_default_context_whatever_the_prompt(scenario):
    s = scenario("llama3.1-8b", "rtx4090", weights="q4_k_m", engine="ollama", prompt_tokens=1000, output_tokens=200)
    m, cpp = estimate_memory(s), estimate_memory(s.with_(engine="llamacpp"))
    # 32,768 tokens on a 24 GB card: 32,768 x 131,072 bytes = 4 GiB, where llama.cpp at -c 1,280 holds 1,280 x 131,072
    assert float(m.kv_cache) == 32768 * LLAMA31_KV == 4 * GIB
    assert float(cpp.kv_cache) == 1280 * LLAMA31_KV
    assert float(m.kv_tokens_per_seq) == 32768
    # the weights and the overhead are llama.cpp's; the compute buffer is sized against the whole context
    assert float(m.weights) == float(cpp.weights) and float(m.overhead) == float(cpp.overhead)
    assert float(m.activations) == float(estimate_memory(s.with_(engine="ollama-num-ctx", prompt_tokens=32768 - 200)
                                                         ).activations)
    # with num_ctx set, the request's context: Ollama's other profile holds llama.cpp's cache at 1,280 tokens
    assert float(estimate_memory(s.with_(engine="ollama-num-ctx")).kv_cache) == float(cpp.kv_cache)
    # a longer prompt than the default: the context it needs (rounded to 256 cells, as llama.cpp pads)
    long = estimate_memory(s.with_(prompt_tokens=40000))
    assert float(long.kv_cache) == 40448 * LLAMA31_KV         # 40,200 padded to 158 x 256
    # each parallel sequence (OLLAMA_NUM_PARALLEL, the batch) gets the default context
    assert float(estimate_memory(s.with_(batch=3)).kv_cache) == 3 * 4 * GIB
    # a 16 GB card gets 4,096 tokens
    assert float(estimate_memory(s.with_(gpu=s.gpu.model_copy(update={"memory_mib": 16376.0}))).kv_cache) == \
        4096 * LLAMA31_KV


def test_llama_server_reserves_one_logits_row_a_sequence(scenario):
    # llama-bench and the builds before PR #23861 (June 2026) reserve f32 logits for all 512 tokens of a batch beside
    # the normed hidden state: Llama 3.1 8B, 512 x 128,256 x 4 + 512 x 4,096 x 4 bytes = 258.5 MiB (its logs' figure
    # with flash attention); Ollama's llama-server reserves one row a sequence, as the llama.cpp profile (current
    # llama-server and llama-cli) does, so the peak is the MLP's two f32 intermediates of 14,336 (512 x 14,336 x 2
    # x 4) beside the hidden state: 64 MiB
    s = scenario("llama3.1-8b", "rtx4090", weights="q4_k_m", engine="ollama-num-ctx", prompt_tokens=4096,
                 output_tokens=0)
    assert float(estimate_memory(s.with_(engine="llamacpp-2023", attention="flash")).activations) == \
        512 * 128256 * 4 + 512 * 4096 * 4
    assert (512 * 128256 * 4 + 512 * 4096 * 4) / MIB == 258.5
    assert float(estimate_memory(s).activations) == 512 * 14336 * 2 * 4 + 512 * 4096 * 4 == 64 * MIB
    assert float(estimate_memory(s.with_(engine="llamacpp")).activations) == 64 * MIB


def test_llama_server_fit_keeps_a_gib_free(scenario):
    # Ollama passes no -ngl: llama-server's --fit places the layers so that 1,024 MiB stay free on each card
    s = scenario("llama3.1-8b", "rtx4090", weights="q4_k_m", engine="ollama")
    assert budget_bytes(s) == 24564 * MIB - 1024 * MIB
    assert budget_bytes(s.with_(engine="llamacpp")) == 24564 * MIB


def test_ollama_largest_context_and_batch_on_a_24gb_card(scenario):
    s = scenario("qwen3-8b", "rtx4090", weights="q4_k_m", engine="ollama", prompt_tokens=2000, output_tokens=256)
    f = fit(s)
    # every sequence holds 32,768 tokens: the largest batch is what those caches leave room for (by hand from the
    # estimate's own terms: budget less weights, compute buffer and overhead, over one sequence's cache)
    m = estimate_memory(s)
    one = float(m.kv_cache)
    assert one == 32768 * 36 * 2 * 8 * 128 * 2       # Qwen3-8B: 36 layers, 8 KV heads of 128
    room = budget_bytes(s) - float(m.weights) - float(m.overhead)
    b = f.max_batch
    assert float(estimate_memory(s.with_(batch=b)).total) <= budget_bytes(s) < float(
        estimate_memory(s.with_(batch=b + 1)).total)
    assert b == pytest.approx(room / one, abs=1.5)
    # the largest prompt memory allows: past the default context, the cache grows with it (in 256-cell steps)
    mp = f.max_prompt_tokens
    assert mp > 32768
    assert float(estimate_memory(s.with_(prompt_tokens=mp)).total) <= budget_bytes(s) < float(
        estimate_memory(s.with_(prompt_tokens=mp + 256)).total)


def test_ollama_runs_llama_cpp_speed_rows(scenario, cat):
    s = scenario("llama3.1-8b", "rtx4090", weights="q4_k_m", engine="ollama", prompt_tokens=512)
    for gpu in ("rtx4090", "mi300x", "m4-max-64gb", "arc-a770-16gb"):
        g = cat.gpu(gpu)
        assert speed_key(ENGINES["ollama"], g) == speed_key(ENGINES["llamacpp"], g)
    # the same step at the same context (the cache it reads is the tokens held, not the allocated default), plus
    # llama-server's sampling of each sequence's token on the CPU, which llama-bench (the rows' source) leaves out:
    # 0.9 ms a sequence (SAMPLE_S)
    cpp = s.with_(engine="llamacpp")
    assert float(decode_step(s, 1, 600)[0]) == pytest.approx(float(decode_step(cpp, 1, 600)[0]) + 0.9e-3, rel=1e-12)
    assert float(decode_step(s, 4, 600)[0]) == pytest.approx(float(decode_step(cpp, 4, 600)[0]) + 4 * 0.9e-3,
                                                             rel=1e-12)
    assert "ollama" in LLAMACPP


def test_the_fit_table_gives_each_card_its_own_default(scenario, cat):
    # the table groups the cards by the context Ollama picks on them; every row must equal that card's own estimate
    s = scenario("llama3.1-8b", "rtx4090", weights="q4_k_m", engine="ollama", prompt_tokens=1000, output_tokens=200)
    gpus = [cat.gpu(g) for g in ("rtx3060-12gb", "rtx4080", "rtx4090", "rtx5090", "a100-80gb", "h100-sxm",
                                 "m4-pro-24gb", "m4-max-64gb", "l4", "a6000")]
    t = card_table(s, gpus)
    for i, g in enumerate(gpus):
        own = s.with_(gpu=g)
        f = fit(own)
        assert float(t.needed_each[i]) == pytest.approx(float(estimate_memory(own).total), rel=1e-12), g.id
        assert float(t.budget_bytes[i]) == pytest.approx(budget_bytes(own), rel=1e-12), g.id
        assert int(t.max_batch[i]) == f.max_batch, g.id
        assert int(t.max_prompt_tokens[i]) == f.max_prompt_tokens, g.id
        assert int(t.min_gpus[i] or 0) == (f.min_gpus or 0), g.id
    # the window's kept tables: the same rows whichever card is the primary (a 16 GB or a 24 GB one), and after a
    # prompt drag that keeps the largest-prompt column
    from vramgui.core.cards import CardTables
    tables = CardTables()
    for primary, prompt in (("rtx4090", 1000), ("rtx4080", 1000), ("rtx4080", 1500), ("a100-80gb", 1500)):
        kept = tables.table(s.with_(gpu=cat.gpu(primary), prompt_tokens=prompt), gpus)
        fresh = card_table(s.with_(gpu=cat.gpu("rtx4090"), prompt_tokens=prompt), gpus)
        for name in ("needed_each", "budget_bytes", "min_gpus", "max_prompt_tokens", "max_batch"):
            np.testing.assert_array_equal(getattr(kept, name), getattr(fresh, name), err_msg=f"{primary} {name}")
    needed = dict(zip([g.id for g in gpus], t.needed_each, strict=True))
    # 4 GiB of cache on the 24 GB cards, 0.5 GiB under 23 GiB, 16 GiB (131,072 tokens) on the 48+ GiB ones; the
    # compute buffer's flash-attention masks (f32 and its f16 copy, 6 bytes per query-key pair) grow with it: at
    # 32,768 cells 512 x 32,768 x 6 (96 MiB) + Q and three f32 hidden states with the heads' log-sum-exp (512 x
    # 65,664) + the hidden state (8 MiB) = 136.06 MiB, at 4,096 the MLP's 56 + 8 = 64 MiB
    compute = 512 * 32768 * 6 + 512 * 65664 + 512 * 4096 * 4 - 64 * MIB
    assert needed["rtx4090"] - needed["rtx4080"] == (32768 - 4096) * LLAMA31_KV + compute
    assert needed["a100-80gb"] - needed["rtx4090"] == pytest.approx((131072 - 32768) * LLAMA31_KV, rel=0.05)


def test_the_estimate_says_what_ollama_allocates(scenario, capsys):
    s = scenario("llama3.1-8b", "rtx4090", weights="q4_k_m", engine="ollama", prompt_tokens=1000, output_tokens=200)
    note = default_context_note(s)
    assert "32,768 tokens a sequence on 24.0 GiB" in note and "1,200 of prompt + output" in note
    assert estimate_dict(s)["scenario"]["default_context_note"] == note
    assert default_context_note(s.with_(prompt_tokens=40000)) is None       # a longer context is the request's
    assert default_context_note(s.with_(engine="llamacpp")) is None
    from vramgui.cli import main
    assert main(["estimate", "--model", "llama3.1-8b", "--gpu", "rtx4090", "--engine", "ollama", "--weights",
                 "q4_k_m", "--prompt", "1000", "--output", "200", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["scenario"]["engine"] == "ollama" and d["memory"]["kv_cache"] == 4 * GIB


def test_ollama_loads_a_vision_model_projector(scenario):
    # Ollama hands llama-server the model's mmproj (16-bit) with it; the llama.cpp profile counts the text model only
    s = scenario("qwen3-vl-8b", "rtx4090", weights="q4_k_m", engine="ollama")
    a = s.model.architecture
    extra = float(estimate_memory(s).weights) - float(estimate_memory(s.with_(engine="llamacpp")).weights)
    assert extra == pytest.approx(a.vision.params * 2, rel=1e-9)
    assert np.isfinite(extra) and extra > 0
