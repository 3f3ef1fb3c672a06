"""Estimation core: pure Python + numpy + pydantic.  Never imports Qt, prints, logs,
writes files or opens sockets."""

from .architecture import MLA, Architecture, MoE, architecture_from_hf_config, load_hf_config
from .catalog import Catalog, default_catalog, load_catalog
from .engines import ENGINES, EngineProfile
from .errors import ConfigError, InputError, PresetError, UnknownIdError, VramguiError
from .fit import FitResult, budget_bytes, fit, max_batch, max_prompt_tokens, min_gpus
from .formats import KV_DTYPES, WEIGHT_FORMATS, KVDtype, WeightFormat
from .memory import MemoryBreakdown, estimate_memory
from .params import ParamGroups, count_params
from .presets import GPU, ModelPreset
from .scenario import Scenario
from .weights import WeightBytes, weight_bytes

__all__ = [
    "MLA", "Architecture", "MoE", "architecture_from_hf_config", "load_hf_config", "Catalog",
    "default_catalog", "load_catalog", "ENGINES", "EngineProfile", "ConfigError", "InputError",
    "PresetError", "UnknownIdError", "VramguiError", "FitResult", "budget_bytes", "fit", "max_batch",
    "max_prompt_tokens", "min_gpus", "KV_DTYPES", "WEIGHT_FORMATS", "KVDtype", "WeightFormat",
    "MemoryBreakdown", "estimate_memory", "ParamGroups", "count_params", "GPU", "ModelPreset",
    "Scenario", "WeightBytes", "weight_bytes",
]
