"""The kernel counts behind HF transformers' host floor, counted again from transformers' own code.

``speed.HF_LAYER_KERNELS`` (a Llama layer's kernels per decode step), ``HF_NORM_KERNELS`` (each
RMSNorm's) and ``HF_MOE_KERNELS`` (an MoE block's beyond the gated MLP's) come from
``benchmarks/count_hf_kernels.py``; this test runs it on the CPU (narrow 2- and 4-layer models,
a few seconds) and compares. CI pins the transformers release they were counted against (.ci/run);
without torch and transformers it skips.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from vramgui.core.speed import HF_LAYER_KERNELS, HF_MOE_KERNELS, HF_NORM_KERNELS

pytest.importorskip("torch")
pytest.importorskip("transformers")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def counts():
    spec = importlib.util.spec_from_file_location("count_hf_kernels", ROOT / "benchmarks" / "count_hf_kernels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {kind: module.count(kind) for kind in module.KINDS}


def test_a_llama_layer_launches_forty_kernels_two_norms_of_eight(counts):
    llama = counts["llama"]
    assert llama["layer_kernels"] == HF_LAYER_KERNELS == 40
    ops = llama["layer_ops"]
    # 7 matmuls (q, k, v, o, gate, up, down); each RMSNorm: fp32 upcast, square, mean, + eps, rsqrt, scale,
    # downcast, weight: one pow, one mean, one rsqrt each
    assert ops["mm.default"] == 7 and ops["pow.Tensor_Scalar"] == ops["mean.dim"] == ops["rsqrt.default"] == 2
    # no layer reads a value back to the host (a sync would stall the launch loop)
    assert all(c["layer_syncs"] == 0 for c in counts.values())


def test_more_norms_launch_eight_kernels_each(counts):
    # Qwen3's q/k norms: two more RMSNorms a layer
    assert counts["qwen3"]["layer_kernels"] - counts["llama"]["layer_kernels"] == 2 * HF_NORM_KERNELS == 16
    # Gemma 3: six norms of 10 (the weight applied as 1 + w, in fp32: two more each) where the rule counts 8:
    # 40 - 16 + 6 x 10 = 84 kernels, 12 above the rule's 72
    gemma = counts["gemma3"]
    assert gemma["layer_ops"]["rsqrt.default"] == 6
    assert gemma["layer_kernels"] == 40 - 2 * 8 + 6 * 10 == HF_LAYER_KERNELS + 4 * HF_NORM_KERNELS + 12


def test_an_moe_block_launches_about_sixteen_more(counts):
    # the router (softmax, top-k, sort, histogram, offsets, gathers, scatter) and two grouped GEMMs for the MLP's
    # three matmuls: Qwen3-MoE 16 above Qwen3, Mixtral 18 above Llama (it also renormalises the top-k weights)
    assert counts["qwen3moe"]["layer_kernels"] - counts["qwen3"]["layer_kernels"] == HF_MOE_KERNELS == 16
    assert counts["mixtral"]["layer_kernels"] - counts["llama"]["layer_kernels"] == HF_MOE_KERNELS + 2
    assert counts["mixtral"]["layer_ops"]["_grouped_mm.default"] == 2
