"""The built-in catalog, user presets, schemas and config.json import."""

import json
import math
import shutil

import pytest

from vramgui.core import ConfigError, architecture_from_hf_config, load_catalog, load_hf_config
from vramgui.core.catalog import data_dir
from vramgui.core.model_files import model_from_path
from vramgui.core.schema import schema_texts

REQUIRED_MODELS = ["llama2-7b", "llama2-13b", "llama2-70b", "llama3.1-8b", "llama3.1-70b", "llama3.1-405b",
                   "llama3.2-1b", "llama3.2-3b", "mistral-7b", "mixtral-8x7b", "mixtral-8x22b", "qwen2.5-0.5b",
                   "qwen2.5-72b", "gemma2-9b", "phi3-mini", "deepseek-v2-lite", "chatglm3-6b", "qwen-7b", "yi-34b"]
REQUIRED_GPUS = ["a100-80gb", "a100-40gb", "h100-sxm", "h100-pcie", "h200", "l40s", "l4", "a10", "t4", "v100-32gb",
                 "v100-16gb", "a6000", "rtx6000-ada", "rtx4090", "rtx4080", "rtx3090", "rtx3090ti", "rtx5090",
                 "rtx4060ti-16gb", "a100-80gb-pcie", "mi300x", "m1-max-64gb", "m3-max-64gb", "m2-ultra-192gb"]


def test_builtin_catalog_is_complete_and_clean(cat):
    assert cat.problems == []
    assert len(cat.models) >= 25 and len(cat.gpus) >= 35
    assert set(REQUIRED_MODELS) <= set(cat.models)
    assert set(REQUIRED_GPUS) <= set(cat.gpus)


def test_every_preset_has_sources(cat):
    for m in cat.models.values():
        assert m.source.startswith("http"), m.id
    for g in cat.gpus.values():
        assert g.sources, g.id


# Published sizes that are names rather than counts.
NOMINAL_SIZES = {"qwen-7b": "'70亿' (7 B) on the card; its config counts 7.72 B",
                 "starcoder2-15b": "'15B parameter model' on the card; its config counts 15.96 B",
                 "phi4-14b": "'a 14-billion parameter language model'; the bf16 checkpoint holds 14.66 B",
                 "gemma4-e2b": "'5.1B with Per-Layer Embeddings' counts the image and audio encoders too (see "
                               "test_params for the language model's exact count)",
                 "gemma4-e4b": "'8B total' counts the image and audio encoders too (see test_params)",
                 "ernie4.5-21b-a3b": "'21B total parameters' on the card; its config counts 21.83 B",
                 "devstral2-123b": "'123' B in its card's table; its config counts 125.03 B (Mistral Large 2's "
                                   "body with a 131,072-token vocabulary; its FP8 checkpoint's size agrees)"}


def _rounding(published: float) -> float:
    """Half a unit of the published figure's last digit, relative: '7.61B' ±0.005 B."""
    digits = f"{published:.6e}".split("e")[0].rstrip("0").rstrip(".").replace(".", "")
    return 0.5 * 10 ** (math.floor(math.log10(published)) - len(digits) + 1) / published


def test_counted_parameters_match_the_published_ones(cat):
    # Every preset that states its published size: the count from its config agrees within the
    # figure's rounding + 1 % (norms, biases and vision towers that a card may count or not).  A
    # wrong layer count or width in a config is off by 3 % or more.  Active counts: vendors differ
    # on whether the embedding lookup is active (gpt-oss, DeepSeek leave it out; Qwen counts it),
    # and GLM-4.5 leaves out the LM head too (12.2 B of its 12.8 B without the lookup: "12B").
    from vramgui.core.params import count_params
    checked = 0
    for m in cat.models.values():
        p = count_params(m.architecture)
        if m.published_params and m.id not in NOMINAL_SIZES:
            tol = _rounding(m.published_params) + 0.01
            # a card counts the image encoder or not (Llama 3.2 11B Vision's "10.6B": 9.78 B + 0.90 B)
            totals = (p.total, p.total + p.vision)
            assert min(abs(t / m.published_params - 1) for t in totals) <= tol, (m.id, p.total, m.published_params)
            checked += 1
        if m.published_params_active:
            tol = _rounding(m.published_params_active) + 0.01
            counts = (p.active, p.active - p.embedding, p.active - p.embedding - p.lm_head)
            assert min(abs(c / m.published_params_active - 1) for c in counts) <= tol, (m.id, p.active)
    assert checked >= 50


@pytest.mark.parametrize("gpu, mib, gb_s", [
    ("a100-80gb", 81920, 2039),      # nvidia-smi "81920MiB"; NVIDIA A100 datasheet 2,039 GB/s (SXM4 80GB)
    ("h100-sxm", 81559, 3350),       # nvidia-smi "81559MiB"; H100 SXM5 datasheet 3.35 TB/s
    ("rtx4090", 24564, 1008),        # nvidia-smi "24564MiB"; Ada whitepaper 1,008 GB/s
    ("t4", 15360, 320),              # nvidia-smi "15360MiB"; T4 datasheet 320 GB/s
    ("rtx-pro-6000-blackwell", 97887, 1792),  # nvidia-smi "97887MiB"; NVIDIA datasheet 1,792 GB/s
    ("h20", 97871, 4000),            # nvidia-smi "97871MiB"; 4.0 TB/s
    ("rx7900xtx", 24560, 960),       # "VRAM Size: 24560 MiB"; AMD 960 GB/s
])
def test_gpu_facts(cat, gpu, mib, gb_s):
    g = cat.gpu(gpu)
    assert g.memory_mib == mib and g.memory_bandwidth_gb_s == gb_s


# Pascal's dp4a rates (int8_dp4a_tops): NVIDIA's figures for the Tesla P40 (47 TOPS) and P4 (22), and for the cards
# NVIDIA gives none, CUDA cores x boost clock x 8 (dp4a's four multiply-adds), as NVIDIA's P40 figure counts them
# (3,840 x 1.531 GHz x 8 = 47.0)
@pytest.mark.parametrize("gpu, tops", [
    ("tesla-p40", 47.0), ("tesla-p4", 22.0), ("gtx1080ti", 3584 * 1.582 * 8 / 1000),
    ("gtx1080", 2560 * 1.733 * 8 / 1000), ("gtx1070", 1920 * 1.683 * 8 / 1000),
    ("gtx1060-6gb", 1280 * 1.708 * 8 / 1000), ("titan-xp", 3840 * 1.582 * 8 / 1000),
    ("quadro-p6000", 3840 * 1.560 * 8 / 1000),
])
def test_pascal_dp4a_rates(cat, gpu, tops):
    g = cat.gpu(gpu)
    assert g.int8_dp4a_tops == pytest.approx(tops, abs=0.05)
    assert g.compute_capability == (6, 1) and g.peak_flops("gguf") == pytest.approx(tops * 1e12, abs=0.05e12)
    assert g.peak_flops("fp16") is None         # (no tensor cores: 16-bit math is not estimated on these cards)


def test_only_cards_without_tensor_figures_carry_a_dp4a_rate(cat):
    with_dp4a = {g.id for g in cat.gpus.values() if g.int8_dp4a_tops}
    assert with_dp4a == {"tesla-p40", "tesla-p4", "gtx1080ti", "gtx1080", "gtx1070", "gtx1060-6gb", "titan-xp",
                         "quadro-p6000"}
    assert not [i for i in with_dp4a if cat.gpu(i).fp16_tensor_tflops or cat.gpu(i).int8_tensor_tops]


# Compute capabilities as NVIDIA's tables list them (developer.nvidia.com/cuda-gpus and cuda-legacy-gpus) and
# AMD's LLVM targets as ROCm's GPU specifications list them.
@pytest.mark.parametrize("gpu, arch, cc", [
    ("tesla-p40", "sm_61", (6, 1)), ("p100-16gb", "sm_60", (6, 0)), ("v100-32gb", "sm_70", (7, 0)),
    ("t4", "sm_75", (7, 5)), ("a100-80gb", "sm_80", (8, 0)), ("rtx3090", "sm_86", (8, 6)),
    ("jetson-agx-orin-64gb", "sm_87", (8, 7)), ("rtx4090", "sm_89", (8, 9)), ("h100-sxm", "sm_90", (9, 0)),
    ("b200", "sm_100", (10, 0)), ("b300", "sm_103", (10, 3)), ("jetson-agx-thor", "sm_110", (11, 0)),
    ("rtx5090", "sm_120", (12, 0)), ("dgx-spark", "sm_121", (12, 1)),
    ("mi50-32gb", "gfx906", None), ("mi250x", "gfx90a", None), ("mi300x", "gfx942", None),
    ("mi355x", "gfx950", None), ("rx6800xt", "gfx1030", None), ("rx7900xtx", "gfx1100", None),
    ("rx9070xt", "gfx1201", None), ("ryzen-ai-max-395-128gb", "gfx1151", None),
])
def test_gpu_architectures(cat, gpu, arch, cc):
    g = cat.gpu(gpu)
    assert (g.arch, g.compute_capability) == (arch, cc)


def test_every_nvidia_and_amd_card_names_its_architecture(cat):
    """The engines' support cautions read it (core.engines.support_caution); Apple and Intel chips have none."""
    for g in cat.gpus.values():
        assert (g.arch is not None) == (g.vendor in ("NVIDIA", "AMD")), g.id
        assert g.arch is None or g.sources["arch"], g.id


def test_an_architecture_of_the_wrong_vendor_is_refused(tmp_path):
    g = json.loads((data_dir("presets") / "gpus" / "rtx4090.json").read_text())
    (tmp_path / "gpus").mkdir()
    (tmp_path / "gpus" / "wrong.json").write_text(json.dumps(dict(g, id="wrong", arch="gfx1100")))
    (tmp_path / "gpus" / "nosrc.json").write_text(json.dumps(dict(g, id="nosrc", sources={
        k: v for k, v in g["sources"].items() if k != "arch"})))
    cat = load_catalog(user_dir=tmp_path)
    text = "\n".join(cat.problems)
    assert "wrong.json" in text and "arch 'gfx1100' is not a target of a NVIDIA chip" in text
    assert "nosrc.json" in text and "sources lacks arch" in text


def test_user_presets_override_and_broken_files_are_skipped(tmp_path):
    builtin = data_dir("presets")
    (tmp_path / "gpus").mkdir()
    (tmp_path / "models").mkdir()
    g = json.loads((builtin / "gpus" / "rtx4090.json").read_text())
    g["memory_mib"] = 12345
    (tmp_path / "gpus" / "rtx4090.json").write_text(json.dumps(g))
    (tmp_path / "gpus" / "broken.json").write_text("{not json")
    bad = dict(g, id="bad-card", memory_bandwidth_gb_s=-5)
    (tmp_path / "gpus" / "bad.json").write_text(json.dumps(bad))
    (tmp_path / "models" / "latin1.json").write_bytes(b'{"id": "caf\xe9"}')
    cat = load_catalog(user_dir=tmp_path)
    assert cat.gpu("rtx4090").memory_mib == 12345 and "rtx4090" in cat.user_ids
    assert "bad-card" not in cat.gpus
    text = "\n".join(cat.problems)
    assert "broken.json: not valid JSON" in text
    assert "bad.json: field 'memory_bandwidth_gb_s'" in text
    assert "latin1.json: not UTF-8" in text
    assert len(cat.models) >= 25          # the built-ins survive


def test_gpu_without_sources_is_refused(tmp_path):
    g = json.loads((data_dir("presets") / "gpus" / "rtx4090.json").read_text())
    g["sources"] = {"memory": "x"}
    (tmp_path / "gpus").mkdir()
    (tmp_path / "gpus" / "nosrc.json").write_text(json.dumps(dict(g, id="nosrc")))
    cat = load_catalog(user_dir=tmp_path)
    assert any("every number needs a source" in p for p in cat.problems)


def test_committed_schemas_match_the_models():
    folder = data_dir("presets") / "schema"
    for name, text in schema_texts().items():
        assert (folder / name).read_text(encoding="utf-8") == text, f"regenerate {name}"


def test_config_json_import_equals_preset(cat, tmp_path):
    preset = cat.model("mixtral-8x7b")
    (tmp_path / "config.json").write_text(json.dumps(preset.config))
    assert load_hf_config(tmp_path / "config.json") == preset.architecture
    assert model_from_path(tmp_path).architecture == preset.architecture


def test_unknown_model_type_with_standard_keys():
    a = architecture_from_hf_config({"model_type": "brand_new_lm", "vocab_size": 1000, "hidden_size": 256,
                                     "intermediate_size": 1024, "num_hidden_layers": 4, "num_attention_heads": 8,
                                     "num_key_value_heads": 2, "rms_norm_eps": 1e-6})
    assert (a.num_layers, a.num_kv_heads, a.head_dim, a.gated_mlp) == (4, 2, 32, True)


@pytest.mark.parametrize("content, message", [
    (b"", "not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"hidden_size": 64}', "field 'num_hidden_layers': missing"),
    (b'{"hidden_size": "big", "num_hidden_layers": 2, "num_attention_heads": 2, "vocab_size": 9}',
     "field 'hidden_size': expected a whole number"),
    (b'{"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 3, "vocab_size": 9,'
     b' "intermediate_size": 9}', "field 'head_dim'"),
    (b'{"hidden_size": 64, "num_hidden_layers": -2, "num_attention_heads": 2, "vocab_size": 9,'
     b' "intermediate_size": 9}', "field 'num_hidden_layers': must be at least 1"),
])
def test_bad_config_names_file_and_field(tmp_path, content, message):
    p = tmp_path / "config.json"
    p.write_bytes(content)
    with pytest.raises(ConfigError) as exc:
        load_hf_config(p)
    assert str(p) in str(exc.value) and message in str(exc.value)


def test_installed_package_finds_its_data(tmp_path):
    # Run from a folder outside the repository: the presets must come with the package.
    import subprocess
    import sys
    code = ("import vramgui.core.catalog as c; cat = c.load_catalog(); "
            "print(len(cat.models), len(cat.gpus), c.data_dir('presets'), c.data_dir('resources'))")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    n_models, n_gpus, *_ = r.stdout.split()
    assert int(n_models) >= 25 and int(n_gpus) >= 35
    shutil.rmtree(tmp_path, ignore_errors=True)
