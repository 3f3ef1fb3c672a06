"""The scenario: one model on one kind of card, with the user's settings."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .engines import (
    BITSANDBYTES,
    ENGINES,
    HF_BNB_EXPERTS,
    HF_BNB_UNCONVERTED,
    HF_BNB_VISION,
    HF_NO_SDPA,
    KV_NEEDS_FLASH,
    KV_TYPES,
    NO_EAGER_ATTENTION,
    EngineProfile,
    sdpa_math_path,
    takes_kv,
)
from .formats import KV_DTYPES, NVFP4_WEIGHT_ONLY, WEIGHT_FORMATS, KVDtype, WeightFormat
from .presets import GPU, ModelPreset
from .weights import FILE_FORMAT, file_weight_format

#: The prompt and output the window and the CLI start from: a long chat turn that fills a 4,096-token context, the
#: default model's (Llama 2 7B): at 4,096 + 256 the first screen opened past its limit, veiled and noted so.
DEFAULT_PROMPT_TOKENS = 3840
DEFAULT_OUTPUT_TOKENS = 256


#: The longest prompt (and output) a scenario takes, tokens.
MAX_SCENARIO_TOKENS = 100_000_000
MAX_SCENARIO_BATCH = 1_000_000

#: Pipeline stages the window offers (its stages box) and the most the cross-node caution suggests.
MAX_STAGES = 16
#: The host CPUs a scenario can name for HF transformers' launch loop (:attr:`Scenario.host`).
HOSTS = ("desktop", "server", "older-server")


def splits_heads(num_heads: int, num_kv_heads: int, tp: int) -> bool:
    """Whether a tensor-parallel group of ``tp`` cards splits a layer's attention: each card takes an equal share of
    the heads, and of the KV heads (where they are fewer than the cards, an equal number of cards copies each).  vLLM
    refuses other sizes at start ("Total number of attention heads (h) must be divisible by tensor parallel size",
    ModelConfig.verify_with_parallel_config) and its and SGLang's attention layers assert the KV heads' rule (Phi-3
    Medium's 10 KV heads on 4 cards: vLLM issues 5951 and 16021)."""
    if tp <= 1:
        return True
    kv_ok = num_kv_heads % tp == 0 if num_kv_heads >= tp else tp % num_kv_heads == 0
    return num_heads % tp == 0 and kv_ok


def named_format(weights: str, model: ModelPreset, engine: str | None = None) -> WeightFormat:
    """The named weight format ``weights`` for ``model`` (under ``engine``, where given): "nvfp4" as the model's config
    says its checkpoint multiplies (weight-only where it marks it so: formats.NVFP4_WEIGHT_ONLY); bitsandbytes' formats
    as HF transformers loads them: not at all on layers it does not replace (Falcon's: engines.HF_BNB_UNCONVERTED), an
    MoE model's routed experts in 16 bits (HF_BNB_EXPERTS), a vision tower's linear layers quantized (HF_BNB_VISION);
    else the table's."""
    if weights == "nvfp4" and model.fp4_weight_only:
        return NVFP4_WEIGHT_ONLY
    if engine == "hf" and weights in BITSANDBYTES:
        a = model.architecture
        if a.model_type in HF_BNB_UNCONVERTED:
            return _bnb_unconverted(weights, a.model_type)
        if (a.moe is not None and a.moe_layers) or a.vision is not None:
            return _bnb_hf(weights, a.moe is not None and a.moe_layers > 0, a.vision is not None)
    return WEIGHT_FORMATS[weights]


@cache
def _bnb_unconverted(weights: str, model_type: str) -> WeightFormat:
    """bitsandbytes' ``weights`` asked of a model whose layers it does not replace (engines.HF_BNB_UNCONVERTED):
    the 16-bit format, named for what was asked."""
    why, source = HF_BNB_UNCONVERTED[model_type]
    return WEIGHT_FORMATS["bf16"].model_copy(update={
        "name": f"{WEIGHT_FORMATS[weights].name}, not applied (16-bit layers)", "source": f"{why} ({source})"})


@cache
def _bnb_hf(weights: str, experts: bool, vision: bool) -> WeightFormat:
    """bitsandbytes' ``weights`` as HF transformers loads them: an MoE model's routed experts 16-bit
    (engines.HF_BNB_EXPERTS), a vision tower's linear layers quantized with the language model's (HF_BNB_VISION)."""
    fmt = WEIGHT_FORMATS[weights]
    update = {"source": fmt.source, "bnb_modules": True}
    if experts:
        update |= {"expert_bits": 16.0, "source": f"{update['source']}. {HF_BNB_EXPERTS[0]} ({HF_BNB_EXPERTS[1]})"}
    if vision:
        update |= {"vision_linear_bits": fmt.linear_bits,
                   "source": f"{update['source']}. {HF_BNB_VISION[0]} ({HF_BNB_VISION[1]})"}
    return fmt.model_copy(update=update)


class Scenario(BaseModel):
    """Everything an estimate depends on.  Edits re-validate:
    ``Scenario.model_validate({**s.model_dump(), **change})`` or :meth:`with_`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    model: ModelPreset
    gpu: GPU
    n_gpus: int = Field(1, ge=1, le=1024, description="cards the model is split over")
    pipeline: int = Field(1, ge=1, le=64, description=(
        "pipeline-parallel stages the cards form (tensor-parallel engines): each stage holds a share of the "
        "layers on n_gpus / pipeline cards; layer-split engines (llama.cpp, HF) split the layers already"))
    weights: str = Field("fp16", description="weight format id")
    kv_dtype: str = Field("fp16", description="KV-cache dtype id")
    engine: str = Field("generic", description="engine profile id")
    attention: Literal["eager", "sdpa", "flash"] | None = Field(None, description="None: engine default")
    prompt_tokens: int = Field(512, ge=0, le=MAX_SCENARIO_TOKENS)
    cached_tokens: int = Field(0, ge=0, le=MAX_SCENARIO_TOKENS, description=(
        "tokens at the start of the prompt already in the KV cache (a chat's earlier turns, a system prompt the "
        "engine's prefix cache kept): only the rest is prefilled, attending to them; the cache holds the whole "
        "prompt either way.  At most the prompt less its last token (the one whose logits start the output)"))
    output_tokens: int = Field(0, ge=0, le=MAX_SCENARIO_TOKENS)
    batch: int = Field(1, ge=1, le=MAX_SCENARIO_BATCH, description="concurrent sequences")
    gpu_util: float | None = Field(None, gt=0, le=1, description="engine memory cap, None: engine default")
    reserved_mib: float = Field(0.0, ge=0, description="memory already taken on each card (desktop, others)")
    node_cards: int | None = Field(None, ge=1, le=4096, description=(
        "cards one node joins with their own links, None: the card's (GPU.cards_per_node)"))
    host: Literal[HOSTS] | None = Field(None, description=(
        "the host CPU HF transformers' Python loop launches its kernels from (its decode floor, "
        "speed.HOST_S_PER_LAYER): a desktop's, a current server's or a server of the cards before 2020; "
        "None: by the card (data-centre cards a server's of their years, others a desktop's)"))

    @field_validator("weights", "kv_dtype", "engine")
    @classmethod
    def _known_id(cls, v: str, info) -> str:
        if info.field_name == "weights" and v == FILE_FORMAT:
            return v
        table, kind = {"weights": (WEIGHT_FORMATS, "weight format"), "kv_dtype": (KV_DTYPES, "KV dtype"),
                       "engine": (ENGINES, "engine profile")}[info.field_name]
        if v not in table:
            raise ValueError(f"unknown {kind} '{v}'; known: {', '.join(table)}")
        return v

    @model_validator(mode="after")
    def _stages_split_the_cards(self) -> Scenario:
        if self.pipeline > 1 and self.profile.parallel == "tensor":
            if self.n_gpus % self.pipeline:
                cards = "1 card does" if self.n_gpus == 1 else f"{self.n_gpus} cards do"
                raise ValueError(f"{cards} not form {self.pipeline} pipeline stages of equal size")
            if self.pipeline > self.model.architecture.num_layers:
                raise ValueError(f"{self.pipeline} pipeline stages for {self.model.architecture.num_layers} layers")
        return self

    @model_validator(mode="after")
    def _cache_the_engine_takes(self) -> Scenario:
        if not takes_kv(self.engine, self.kv_dtype):
            _, why, _ = KV_TYPES[self.engine]
            raise ValueError(f"{self.profile.name} has no {self.kv.name} KV cache: {why}")
        if not takes_kv(self.engine, self.kv_dtype, self.attention_impl):
            raise ValueError(f"{self.profile.name} has no {self.kv.name} KV cache without flash attention: "
                             f"{KV_NEEDS_FLASH[self.engine][0]} (pick flash attention, or an F16 cache)")
        return self

    @model_validator(mode="after")
    def _eager_where_the_engine_has_it(self) -> Scenario:
        if self.attention == "eager" and self.engine in NO_EAGER_ATTENTION:
            raise ValueError(f"{self.profile.name} has no eager attention: {NO_EAGER_ATTENTION[self.engine][0]} "
                             "(pick sdpa or flash, or the engine's default)")
        return self

    @model_validator(mode="after")
    def _file_weights_need_a_file(self) -> Scenario:
        if self.weights == FILE_FORMAT and self.model.file_weights is None:
            raise ValueError("weight format 'file' needs a model imported from a .safetensors or .gguf file")
        return self

    # Resolved objects ------------------------------------------------------------
    @property
    def weight_format(self) -> WeightFormat:
        if self.weights == FILE_FORMAT:
            return file_weight_format(self.model)
        return named_format(self.weights, self.model, self.engine)

    @property
    def kv(self) -> KVDtype:
        return KV_DTYPES[self.kv_dtype]

    @property
    def profile(self) -> EngineProfile:
        return ENGINES[self.engine]

    @property
    def past_context(self) -> bool:
        """Whether prompt + output run past the model's context length (report.context_note says what engines do)."""
        return self.context_tokens > self.model.architecture.max_context

    @property
    def attention_impl(self) -> str:
        """The attention picked, else the engine's default: HF transformers' SDPA, but eager for a model it has no
        SDPA path for (:data:`~vramgui.core.engines.HF_NO_SDPA`: it falls back to eager when none is asked for)."""
        if self.attention:
            return self.attention
        if self.engine == "hf" and self.model.architecture.model_type in HF_NO_SDPA:
            return "eager"
        return self.profile.default_attention

    @property
    def sdpa_math(self) -> bool:
        """HF transformers hands PyTorch's SDPA Falcon's one key/value head unrepeated
        (:attr:`~vramgui.core.architecture.Architecture.falcon_layout` "multi_query"): its fused kernels refuse keys
        with fewer heads than the queries, so its math path runs and holds the scores, in fp32."""
        return self.engine == "hf" and sdpa_math_path(self.model.architecture, self.attention_impl)

    @property
    def stages(self) -> int:
        """Pipeline stages (1 for the layer-split engines, whose cards are stages already)."""
        return self.pipeline if self.profile.parallel == "tensor" else 1

    @property
    def tensor_parallel(self) -> int:
        """Cards that split each layer: the cards of one stage (1 for the layer-split engines)."""
        return self.n_gpus // self.stages if self.profile.parallel == "tensor" else 1

    @property
    def tp_nodes(self) -> int:
        """Nodes one tensor-parallel group spans (:attr:`cards_per_node` cards a node): more
        than one sends the group's all-reduces over the network between nodes, which the speed
        estimate does not model (:func:`~vramgui.core.report.nodes_note`)."""
        return -(-self.tensor_parallel // self.cards_per_node)

    @property
    def nodes(self) -> int:
        """Machines the scenario's cards take (:attr:`cards_per_node` a machine): more than one joins them over the
        network (:func:`~vramgui.core.report.machines_note`, :func:`~vramgui.core.report.nodes_note`)."""
        return -(-self.n_gpus // self.cards_per_node)

    @property
    def splits_attention(self) -> bool:
        """Whether the tensor-parallel group splits the model's attention heads evenly (:func:`splits_heads`): the
        engines that split each layer refuse a group that does not (:func:`~vramgui.core.report.tp_split_note`)."""
        a = self.model.architecture
        return splits_heads(a.num_heads, a.num_kv_heads, self.tensor_parallel)

    @property
    def cards_per_node(self) -> int:
        """Cards one node joins with their own links: the scenario's ``node_cards``, else the card's."""
        return self.node_cards or self.gpu.cards_per_node

    @property
    def node_stages(self) -> int | None:
        """The fewest pipeline stages (no fewer than now) whose tensor-parallel groups each stay
        within one node and split the heads evenly; None where no count does (at most one
        stage a layer, and :data:`MAX_STAGES`)."""
        return self._fewest_stages(within_node=True)

    @property
    def split_stages(self) -> int | None:
        """The fewest pipeline stages (no fewer than now) whose tensor-parallel groups split the model's attention
        heads evenly (:func:`splits_heads`); None where no count does (at most one stage a layer, and
        :data:`MAX_STAGES`)."""
        return self._fewest_stages(within_node=False)

    def _fewest_stages(self, within_node: bool) -> int | None:
        a = self.model.architecture
        for p in range(self.stages, min(MAX_STAGES, a.num_layers, self.n_gpus) + 1):
            tp = self.n_gpus // p
            if self.n_gpus % p == 0 and (tp <= self.cards_per_node or not within_node) \
                    and splits_heads(a.num_heads, a.num_kv_heads, tp):
                return p
        return None

    def split_sizes(self) -> list[int]:
        """The tensor-parallel group sizes that split the model's attention heads evenly (:func:`splits_heads`):
        those below the scenario's and the next one above it."""
        a = self.model.architecture
        below = [n for n in range(1, self.tensor_parallel) if splits_heads(a.num_heads, a.num_kv_heads, n)]
        above = next((n for n in range(self.tensor_parallel + 1, a.num_heads + 1)
                      if splits_heads(a.num_heads, a.num_kv_heads, n)), None)
        return below + ([above] if above else [])

    @property
    def context_tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens

    def with_(self, **change) -> Scenario:
        """A validated copy with ``change`` applied."""
        data = {**dict(self), **change}
        return Scenario.model_validate(data)

    def key(self, **change) -> tuple:
        """The settings as a tuple with ``change`` applied, unvalidated: a cache key (a
        validated copy, :meth:`with_`, costs about 15 times as much: 33 against 2 us here).
        Equal keys mean equal scenarios; the model and card compare by identity first."""
        values = self.__dict__
        return tuple(change[name] if name in change else values[name] for name in _FIELDS)


_FIELDS = tuple(Scenario.model_fields)


def kept(cache: list, key, make, size: int):
    """The value kept in ``cache`` (a short list of (key, value), the last used first) under ``key``,
    moved to the front, else ``make()``'s, kept there with the ``size - 1`` last used others.  Keys
    compare by equality: they hold scenario settings, whose models are unhashable (a key found deep
    in the list costs a compare of every key before it, whole model presets among them: a hit is
    moved to the front, where the next ask for it finds it first)."""
    for i, (k, hit) in enumerate(cache):
        if k == key:
            if i:
                cache.insert(0, cache.pop(i))
            return hit
    hit = make()
    cache.insert(0, (key, hit))
    del cache[size:]
    return hit


def memo_terms(fn):
    """Memoise a function of a scenario's coefficients (``memory_terms``, ``speed_terms``):
    they depend on the model, card, split, formats and engine but not on the load (prompt,
    output, batch), which the coefficients are evaluated at afterwards (the fit searches rely
    on the same).  A window redraw asks for them ~20 times for a few scenarios.  Only calls
    without the optional argument are memoised; the last 32 results are kept, each with the
    model and card objects it was computed for (an entry whose objects are not the caller's,
    a replaced preset, is recomputed)."""
    from collections import OrderedDict
    from functools import wraps

    cache: OrderedDict = OrderedDict()

    @wraps(fn)
    def wrapper(s: Scenario, *args, **kw):
        if any(a is not None for a in args) or any(v is not None for v in kw.values()):
            return fn(s, *args, **kw)
        key = (id(s.model), id(s.gpu), s.n_gpus, s.pipeline, s.weights, s.kv_dtype, s.engine, s.attention,
               s.gpu_util, s.reserved_mib, s.node_cards, s.host)
        hit = cache.get(key)
        if hit is not None and hit[0] is s.model and hit[1] is s.gpu:
            cache.move_to_end(key)
            return hit[2]
        out = fn(s)
        cache[key] = (s.model, s.gpu, out)
        if len(cache) > 32:
            cache.popitem(last=False)
        return out

    wrapper.cache = cache
    return wrapper
