"""A prompt's passes and the output layer: engines that want a prompt's logits for its last token only
run the output layer in the pass that holds that token, so the other passes do not read it."""

from dataclasses import replace

import pytest

from vramgui.core import Scenario, default_catalog
from vramgui.core.speed import (
    card_of,
    decode_parts,
    prefill_from_terms,
    prefill_parts,
    prompt_head_bytes,
    speed_terms,
)

CAT = default_catalog()
# Llama 3 8B: its untied output layer, 128,256 x 4,096, in Q6_K (6.5625 bits a weight, what llama.cpp's Q4_0 files
# keep it in) and in 16 bits
HEAD_Q6_K = 128_256 * 4_096 * 6.5625 / 8          # 430,940,160 bytes
HEAD_BF16 = 128_256 * 4_096 * 2                   # 1,050,673,152 bytes


def scenario(**kw) -> Scenario:
    kw = {"weights": "q4_0", "engine": "llamacpp", "prompt_tokens": 512, "output_tokens": 0, **kw}
    return Scenario(model=CAT.model(kw.pop("model", "llama3-8b")), gpu=CAT.gpu(kw.pop("gpu", "rtx3090")), **kw)


def _parts(s: Scenario, prompt: int, batch: int, chunk: int):
    t = replace(speed_terms(s), chunk=chunk)
    return t, prefill_parts(t, prompt, batch, *card_of(s)[2:])


def test_passes_without_a_last_token_skip_the_output_layer():
    s = scenario()
    assert HEAD_Q6_K == 430_940_160
    t, parts = _parts(s, 512, 1, 1)          # llama-bench pp512 -ub 1: 512 passes of one token
    assert float(t.head_bytes) == pytest.approx(HEAD_Q6_K, rel=1e-12)
    # 512 passes read the rest of the weights, one of them the output layer too
    assert float(parts.bytes_moved) == pytest.approx(512 * float(t.dense_bytes) - 511 * HEAD_Q6_K, rel=1e-12)
    # one pass holding the whole prompt reads everything once; a 1-token prompt reads what a decode step does
    _, whole = _parts(s, 512, 1, 512)
    assert float(whole.bytes_moved) == pytest.approx(float(t.dense_bytes), rel=1e-12)
    one = prefill_parts(speed_terms(s), 1, 1, *card_of(s)[2:])
    step = decode_parts(speed_terms(s), 1, 0, *card_of(s)[2:])
    assert float(one.bytes_moved) == pytest.approx(float(step.bytes_moved), rel=1e-12)
    # four prompts of 64 tokens in passes of 16: 16 passes, four of them hold a prompt's last token
    _, four = _parts(s, 64, 4, 16)
    assert float(four.bytes_moved) == pytest.approx(16 * float(t.dense_bytes) - 12 * HEAD_Q6_K, rel=1e-12)
    # the FLOPs stay 2 P a token (the count the prompt efficiencies were fitted to)
    assert float(parts.matmul_flops) == pytest.approx(512 * float(t.matmul_flops), rel=1e-12)


def test_which_engines_skip_it_and_how_cards_share_it():
    # 16 bits: the output layer whole; tensor parallel splits its vocabulary
    assert float(speed_terms(scenario(weights="bf16")).head_bytes) == pytest.approx(HEAD_BF16, rel=1e-12)
    for engine in ("vllm", "sglang", "hf"):
        assert float(speed_terms(scenario(weights="bf16", engine=engine)).head_bytes) == pytest.approx(
            HEAD_BF16, rel=1e-12)
    assert float(speed_terms(scenario(weights="bf16", engine="vllm", n_gpus=2)).head_bytes) == pytest.approx(
        HEAD_BF16 / 2, rel=1e-12)
    # builds of 2023 ran it on every prompt token, and the generic profile keeps the textbook count
    assert float(speed_terms(scenario(engine="llamacpp-2023")).head_bytes) == 0.0
    assert float(speed_terms(scenario(weights="bf16", engine="generic")).head_bytes) == 0.0
    # a tied output layer (Llama 3.2 1B) is the embedding table's rows: 128,256 x 2,048 in 16 bits
    tied = speed_terms(scenario(model="llama3.2-1b", weights="bf16"))
    assert float(tied.head_bytes) == pytest.approx(128_256 * 2_048 * 2, rel=1e-12)


def test_a_memory_bound_pass_is_that_much_shorter():
    # Llama 3 8B BF16 on an RTX 4090, one token a pass: each pass but the last reads 1.05 GB less, at 89 % of
    # 1,008 GB/s 1.171 ms less (of 17.9)
    s = scenario(weights="bf16", gpu="rtx4090")
    t, _ = _parts(s, 512, 1, 1)
    with_head = prefill_from_terms(replace(t, head_bytes=0.0), 512, 1, card_of(s))
    without = prefill_from_terms(t, 512, 1, card_of(s))
    saved = 511 * HEAD_BF16 / (1008e9 * 0.89)
    assert saved / 511 == pytest.approx(1.171e-3, rel=1e-3)
    assert float(with_head - without) == pytest.approx(saved, rel=1e-9)
    # a compute-bound prompt (512 tokens in one pass) is timed as before
    assert float(prefill_from_terms(replace(t, chunk=512), 512, 1, card_of(s))) == pytest.approx(
        float(prefill_from_terms(replace(t, chunk=512, head_bytes=0.0), 512, 1, card_of(s))), rel=1e-12)


def test_the_machine_view_reads_it_per_format():
    # the machine table stacks its speed terms by model x format (GGUF formats and 16-bit files on llama.cpp, the
    # others on vLLM): each entry holds the output layer in its own format
    from vramgui.core.machine import _groups
    models, gpu = [CAT.model("llama3-8b"), CAT.model("llama3.2-1b")], CAT.gpu("rtx3090")
    groups = {g.engine: g for g in _groups(models, ("q4_0", "q8_0", "fp16", "fp8"), "llamacpp", 1, "fp16", gpu)}
    assert sorted(groups) == ["llamacpp", "vllm"]
    for g in groups.values():
        for i, m in enumerate(models):
            for j, f in enumerate(g.formats):
                s = Scenario(model=m, gpu=gpu, weights=f, engine=g.engine, prompt_tokens=512, output_tokens=0)
                assert float(g.speed.head_bytes[i, j]) == pytest.approx(prompt_head_bytes(s), rel=1e-12)
    # Q4_0 keeps the 8B's output layer in Q6_K, Q8_0 in Q8_0 (8.5 bits a weight), the F16 file and vLLM's fp8 in 16
    # bits
    assert float(groups["llamacpp"].speed.head_bytes[0, 0]) == pytest.approx(HEAD_Q6_K, rel=1e-12)
    assert float(groups["llamacpp"].speed.head_bytes[0, 1]) == pytest.approx(128_256 * 4_096 * 8.5 / 8, rel=1e-12)
    assert float(groups["llamacpp"].speed.head_bytes[0, 2]) == pytest.approx(HEAD_BF16, rel=1e-12)
    assert float(groups["vllm"].speed.head_bytes[0, 0]) == pytest.approx(HEAD_BF16, rel=1e-12)


def test_explain_says_which_passes_read_it():
    from vramgui.core.explain import explain_items
    s = scenario(gpu="rtx4090", prompt_tokens=4096)       # 8 passes of 512 tokens, the output layer in one
    (e,) = [e for e in explain_items(s) if e.key == "prefill"]
    assert f"of the 8 passes only those holding one read its {HEAD_Q6_K / 2**30:.2f} GiB" in e.formula
    assert "0.40 GiB" in e.formula
    # one pass, or an engine that runs it on every token: nothing to say
    for other in (scenario(prompt_tokens=512), scenario(prompt_tokens=4096, engine="llamacpp-2023")):
        assert "output layer" not in next(e for e in explain_items(other) if e.key == "prefill").formula
