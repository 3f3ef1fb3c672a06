"""Preset schemas: a GPU card and a model, as stored in ``presets/*/<id>.json``.

Files are validated by frozen pydantic models with ``extra="forbid"``; every number in
a preset has a source (a datasheet, a model card, a config.json).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from .architecture import Architecture, architecture_from_hf_config
from .formats import stored_kernel
from .units import GB, MIB, TERA

ID_PATTERN = r"^[a-z0-9][a-z0-9.\-_]{0,63}$"
#: Share of unified memory a macOS GPU may wire by default, and where that comes from.
UNIFIED_GPU_SHARE = 0.75
UNIFIED_GPU_SHARE_SOURCE = ("macOS default: Metal's recommendedMaxWorkingSetSize is three quarters of RAM on large "
                            "machines (147,456 MB of a 192 GB M2 Ultra in XiongjieDai's "
                            "GPU-Benchmarks-on-LLM-Inference notebooks); `sudo sysctl iogpu.wired_limit_mb` raises it")
SCHEMA_VERSION = 1
#: Cards one node joins with their own links where a preset does not say (``GPU.node_cards``):
#: the NVLink domain of an HGX / DGX board, and the usual count of a PCIe GPU server.
NODE_CARDS = 8
NODE_CARDS_SOURCE = ("NVIDIA's HGX H100 8-GPU board: eight H100s fully connected by four NVSwitches (NVIDIA "
                     "technical blog 'Introducing NVIDIA HGX H100', reproduced at dynasys.com.hk); DGX H100 / H200 "
                     "/ B200 systems hold eight GPUs each (supercluster.blog, 'NVIDIA DGX H100 hardware'); eight "
                     "for PCIe servers is an assumption")
#: Cards a unified-memory machine holds where its preset does not say: one chip's GPU (a Mac, a DGX Spark, a Jetson,
#: a Ryzen AI Max system); several such machines join over the network (Thunderbolt or Ethernet).
UNIFIED_NODE_CARDS = 1
UNIFIED_NODE_CARDS_SOURCE = ("one SoC a machine, its GPU sharing the machine's memory; MLX's distributed docs "
                             "(ml-explore.github.io/mlx, 'Distributed Communication' and 'Launching Distributed "
                             "Programs': several Macs over TCP/IP on Thunderbolt or Ethernet, RDMA over Thunderbolt "
                             "for tensor parallelism); llama.cpp's tools/rpc/README.md (rpc-server on each host over "
                             "TCP)")


class GPU(BaseModel):
    """One GPU (or unified-memory machine) as its vendor specifies it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: Literal[1] = 1
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=120)
    vendor: str = Field(min_length=1, max_length=40)
    category: Literal["datacenter", "workstation", "consumer", "apple", "custom"]
    memory_mib: float = Field(gt=0, le=16 * 2**20, description="total memory as the driver reports it [MiB]")
    memory_mib_basis: Literal["driver", "marketed"] = Field(
        description="driver: a printed nvidia-smi/rocm-smi/log figure; marketed: the advertised size")
    memory_type: str | None = None
    memory_bandwidth_gb_s: float = Field(gt=0, le=100_000, description="peak memory bandwidth [GB/s, decimal]")
    fp16_tensor_tflops: float | None = Field(None, gt=0, le=100_000, description="dense fp16 tensor [TFLOP/s]")
    bf16_tensor_tflops: float | None = Field(None, gt=0, le=100_000)
    fp8_tensor_tflops: float | None = Field(None, gt=0, le=100_000)
    int8_tensor_tops: float | None = Field(None, gt=0, le=100_000)
    fp4_tensor_tflops: float | None = Field(
        None, gt=0, le=100_000, description="dense FP4 tensor [TFLOP/s]: block-scaled NVFP4 / MXFP4 matmuls on "
                                            "Blackwell's tensor cores (NVIDIA quotes it with sparsity, twice this)")
    int8_dp4a_tops: float | None = Field(
        None, gt=0, le=100_000, description="dense int8 dot products on the CUDA cores (dp4a) [TOPS], for NVIDIA "
                                            "chips without int8 tensor cores (Pascal's GP102 / GP104): llama.cpp's "
                                            "quantized kernels multiply with them")
    interconnect: str | None = None
    interconnect_gb_s: float | None = Field(None, gt=0, le=100_000, description="per direction [GB/s]")
    host_link_gb_s: float | None = Field(
        None, gt=0, le=100_000, description="the card's link to the host CPU and its RAM, per direction [GB/s], where "
                                            "`interconnect` names a link between cards (an SXM or OAM module's PCIe, a "
                                            "Grace superchip's NVLink-C2C); None: the PCIe link `interconnect` names, "
                                            "else PCIe 3.0 x16's")
    node_cards: int | None = Field(
        None, ge=1, le=4096, description="cards one node joins with the card's own links (an NVLink domain); "
                                         "None: NODE_CARDS")
    unified_memory: bool = False
    gpu_memory_share: float | None = Field(
        None, gt=0, le=1, description="unified memory: the share the GPU may use by default "
                                      "(None: 0.75, macOS's default wired limit)")
    release_year: int | None = Field(None, ge=1990, le=2100)
    arch: str | None = Field(None, pattern=r"^(sm_[1-9][0-9]{1,2}|gfx[0-9]{2,3}[0-9a-f])$",
                             description="the chip's compiler target: NVIDIA's sm_<compute capability> (sm_86 is "
                                         "8.6, sm_100 is 10.0), AMD's LLVM target (gfx942); None for others")
    sources: dict[str, str]
    notes: str | None = None

    @model_validator(mode="after")
    def _every_number_sourced(self) -> GPU:
        need = {"memory", "bandwidth"}
        if any(v is not None for v in (self.fp16_tensor_tflops, self.bf16_tensor_tflops,
                                       self.fp8_tensor_tflops, self.int8_tensor_tops, self.int8_dp4a_tops,
                                       self.fp4_tensor_tflops)):
            need.add("compute")
        if self.interconnect_gb_s is not None:
            need.add("interconnect")
        if self.host_link_gb_s is not None:
            need.add("host_link")
        if self.gpu_memory_share is not None:
            need.add("gpu_share")
        if self.node_cards is not None:
            need.add("node")
        if self.arch is not None:
            need.add("arch")
            if self.arch.startswith("sm_") != (self.vendor == "NVIDIA") or \
                    self.arch.startswith("gfx") != (self.vendor == "AMD"):
                raise ValueError(f"arch {self.arch!r} is not a target of a {self.vendor} chip (NVIDIA: sm_XY, "
                                 "AMD: gfxNNN)")
        missing = sorted(k for k in need if not self.sources.get(k, "").strip())
        if missing and not self.sources.get("all", "").strip():
            raise ValueError(f"sources lacks {', '.join(missing)} (every number needs a source)")
        return self

    # Convenience in core units ----------------------------------------------------
    @property
    def memory_bytes(self) -> float:
        return self.memory_mib * MIB

    @property
    def gpu_share(self) -> float:
        """Share of the memory the GPU may use: all of a discrete card's; of unified
        memory what the platform lets the GPU wire by default."""
        if not self.unified_memory:
            return 1.0
        return UNIFIED_GPU_SHARE if self.gpu_memory_share is None else self.gpu_memory_share

    @property
    def compute_capability(self) -> tuple[int, int] | None:
        """An NVIDIA chip's compute capability from its ``arch`` ((8, 6) for sm_86, (10, 3) for sm_103);
        None for other vendors or where the preset does not say."""
        if self.arch is None or not self.arch.startswith("sm_"):
            return None
        digits = self.arch[3:]
        return int(digits[:-1]), int(digits[-1])

    @property
    def cards_per_node(self) -> int:
        """Cards one node joins with the card's own links (:data:`NODE_CARDS` unless the preset says; a unified-memory
        machine's one chip: :data:`UNIFIED_NODE_CARDS`)."""
        return self.node_cards or (UNIFIED_NODE_CARDS if self.unified_memory else NODE_CARDS)

    @property
    def apple(self) -> bool:
        """An Apple chip (which engines run on its GPU: :data:`~vramgui.core.engines.NO_APPLE_GPU`)."""
        return self.vendor.strip().lower() == "apple"

    @property
    def bandwidth_bytes_per_s(self) -> float:
        return self.memory_bandwidth_gb_s * GB

    @property
    def interconnect_bytes_per_s(self) -> float | None:
        return None if self.interconnect_gb_s is None else self.interconnect_gb_s * GB

    def peak_flops(self, kernel: str) -> float | None:
        """Dense peak FLOP/s of the math a weight format runs on (fp16 tensor as fallback; GGUF weights on a card
        with no tensor figure, its dp4a rate); None when the preset has no sourced figure."""
        f16 = self.fp16_tensor_tflops or self.bf16_tensor_tflops
        value = self._low_bit_figure(kernel) or f16 or (self.int8_dp4a_tops if kernel == "gguf" else None)
        if value is None:
            return None
        if kernel == "fp32":
            value = value / 2  # TF32/FP32 paths run at best half the fp16 tensor rate
        return value * TERA

    def math_of(self, kernel: str) -> str:
        """The math whose figure :meth:`peak_flops` gives for ``kernel``: fp8, int8 or fp4 where the card has that
        figure (an A100's fp8 weights multiply at its 16-bit rate: it has no fp8 tensor cores; an H100's NVFP4 ones
        too, weight-only, as before Blackwell none has FP4 tensor cores), tf32/fp32 for fp32 weights, fp16
        otherwise."""
        if kernel == "fp32":
            return "tf32/fp32"
        return kernel if self._low_bit_figure(kernel) else "fp16"

    def _low_bit_figure(self, kernel: str) -> float | None:
        """The card's own figure for a math below 16 bits (fp8, int8 or fp4 tensor), where ``kernel`` is one and it
        has one."""
        return {"fp8": self.fp8_tensor_tflops, "int8": self.int8_tensor_tops, "fp4": self.fp4_tensor_tflops}.get(kernel)


class FileWeights(BaseModel):
    """Exact weight bytes read from a file's tensor table, by group."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: str = Field(description="safetensors or gguf")
    path: str
    total_bytes: float = Field(ge=0)
    embedding_bytes: float = Field(ge=0)
    lm_head_bytes: float = Field(ge=0)
    linear_bytes: float = Field(ge=0)
    other_bytes: float = Field(ge=0)
    vision_bytes: float = Field(0.0, ge=0, description="image encoder and projector of a vision-language model")
    n_tensors: int = Field(ge=0)
    n_elements: int = Field(ge=0, description="sum of tensor elements (packed quantized tensors count as stored)")
    dtypes: dict[str, int] = Field(default_factory=dict, description="tensors per storage type")
    dtype_bytes: dict[str, float] = Field(default_factory=dict, description="bytes per storage type")

    @property
    def main_dtype(self) -> str:
        """The storage type holding the most bytes (by the tensors' count where the bytes are not known: an FP8 or
        NVFP4 checkpoint holds more scalar fp32 scales than weights, so its weights' type wins by bytes only)."""
        by = self.dtype_bytes or self.dtypes
        return max(by, key=by.get) if by else "?"


class QualityFigure(BaseModel):
    """A published quality measurement of the model in one weight format.  vramgui scores
    no quality itself: only figures like these, each with its source, are shown."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    weights: str = Field(min_length=1, description="weight format id the figure was measured in")
    perplexity: float = Field(gt=0, description="perplexity (lower is better)")
    dataset: str = Field(min_length=1, description="what it was measured on (text, context per chunk)")
    note: str | None = Field(None, description="how the format was made (e.g. with an importance matrix)")
    source: str = Field(min_length=1, description="where the figure was published (URL)")


class ModelPreset(BaseModel):
    """A model: its name, where its numbers come from, and its HF config keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: Literal[1] = 1
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=120)
    family: str = Field(min_length=1, max_length=60)
    hf_repo: str | None = None
    source: str = Field(min_length=1, description="where the config values were read (URL)")
    source_note: str | None = None
    published_params: float | None = Field(None, gt=0)
    published_params_active: float | None = Field(None, gt=0)
    published_params_source: str | None = None
    config: dict[str, Any] = Field(description="the model's config.json keys, verbatim")
    file_weights: FileWeights | None = Field(None, description="exact weight bytes from an imported file")
    quality: tuple[QualityFigure, ...] = Field((), description="published perplexity per weight format, "
                                                                "with sources (shown beside the format, never "
                                                                "invented)")

    @model_validator(mode="after")
    def _config_parses(self) -> ModelPreset:
        # Raises ConfigError (a ValueError) naming the key; pydantic reports it under 'config'.
        # pydantic runs this again on an instance passed to another model (every Scenario
        # edit); a frozen preset that parsed once still parses.
        if self.__pydantic_private__.get("_arch") is not None:
            return self
        self._arch = architecture_from_hf_config(self.config, source=f"model '{self.id}' config")
        self._fp4_weight_only = stored_kernel(self.config) == "w4a16"
        if self.published_params is not None and not self.published_params_source:
            raise ValueError("published_params needs published_params_source")
        return self

    _arch: Architecture | None = PrivateAttr(None)
    _fp4_weight_only: bool = PrivateAttr(False)

    @property
    def architecture(self) -> Architecture:
        return self.__pydantic_private__["_arch"]   # (direct: the attribute fallback is slow in hot loops)

    @property
    def fp4_weight_only(self) -> bool:
        """Whether the config marks the model's NVFP4 checkpoint weight-only (formats.stored_kernel "w4a16": its
        "nvfp4" weights multiply as 16-bit math, formats.NVFP4_WEIGHT_ONLY)."""
        return self.__pydantic_private__["_fp4_weight_only"]

    def quality_for(self, weights: str) -> QualityFigure | None:
        """The published figure for ``weights``, if the preset carries one."""
        return next((q for q in self.quality if q.weights == weights), None)
