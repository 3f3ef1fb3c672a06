"""The one piece of state: the current scenario, edited by the controls.

Every edit re-validates through the core's :class:`Scenario`; a refused edit leaves the
scenario as it was and emits ``refused`` with the reason, so the window can show it.
"""

from __future__ import annotations

import math

from pydantic import ValidationError
from PySide6 import QtCore

from ..core import Catalog, Scenario
from ..core.engines import CHECKPOINT_KV, ENGINES, LLAMACPP, NO_EAGER_ATTENTION, kv_for, offloads_to_ram, release_kv
from ..core.errors import pydantic_message
from ..core.formats import UNQUANTIZED, release_format
from ..core.offload import flags_force
from ..core.presets import GPU
from ..core.scenario import kept
from ..core.training import TrainingSetup

MAX_PRICE = 100_000.0      # per card-hour, in the user's currency
MAX_RAM_BANDWIDTH_GB_S = 2000.0   # the RAM bandwidth box's top (two sockets of 12 DDR5-6000 channels: 1,152)
MAX_CPU_OFFLOAD_GIB = 8192      # the Weights in RAM box's top, GiB a card (the System RAM box's top is 8,192 GB)


class ScenarioState(QtCore.QObject):
    changed = QtCore.Signal()
    refused = QtCore.Signal(str)
    catalog_changed = QtCore.Signal()
    released = QtCore.Signal(str)     # a model was chosen in its release format (set_model): the format's id

    def __init__(self, catalog: Catalog, scenario: Scenario, parent=None):
        super().__init__(parent)
        self.catalog = catalog
        self._scenario = scenario
        self.compare: list[GPU] = []
        self.pins: list[Scenario] = []
        self.mode = "inference"
        self.ram_gb = 0.0             # system RAM for partial offload; 0: do not plan offload
        self.experts_on_cpu = False   # every layer's routed experts in RAM (llama.cpp --cpu-moe)
        self.n_cpu_moe: int | None = None   # the first N layers' there (--n-cpu-moe N); None: as --fit places them
        self.pinned = False           # the weights in RAM in pinned host memory (--no-mmap): op offload copies faster
        self.cpu_offload_gib: float | None = None   # vLLM's and SGLang's --cpu-offload-gb; None: the least that fits
        self.experts_only = False     # vLLM: an MoE model's routed experts alone in RAM (--cpu-offload-params)
        self.ram_bandwidth_gb_s: float | None = None   # None: the platform default
        self.price_per_card_hour = 0.0   # the user's price, for the cost per million tokens; 0: not set
        self._pinned_plans: list = []    # (a pinned scenario and the RAM's settings, its reported_plan_for), last first
        self._max_prompt: tuple = (None, None, None)  # (what it was worked out for, max_offload_prompt's answer, its
        #                                               guess_basis)
        self._sweep: tuple = (None, None)   # (what it was worked out for, offload_sweep's answer)
        self._released: tuple[str, str] | None = None   # (the weights before, the model's release format) set_model set
        self._training = TrainingSetup(model=scenario.model, gpu=scenario.gpu, method="lora", optimizer="adamw",
                                       lora_rank=16, lora_targets="q,k,v,o", checkpointing="full", seq=2048)

    @property
    def training(self) -> TrainingSetup:
        return self._training

    def set_offload(self, ram_gb: float | None = None, experts_on_cpu: bool | None = None,
                    ram_bandwidth_gb_s: float | None = None, n_cpu_moe: int | None = None,
                    pinned: bool | None = None, cpu_offload_gib: float | None = None,
                    experts_only: bool | None = None) -> None:
        """``n_cpu_moe``: the first N layers' routed experts in RAM, at or above the model's layers every layer's
        (--cpu-moe, ``experts_on_cpu``), a negative number as llama-server's --fit places them (None: unchanged).
        ``cpu_offload_gib``: the GiB of weights each card keeps in RAM under vLLM or SGLang (--cpu-offload-gb), a
        negative number the least that lets the rest fit (None: unchanged); ``experts_only``: those GiB are an MoE
        model's routed experts alone (vLLM's --cpu-offload-params; other engines and dense models ignore it)."""
        if experts_only is not None:
            self.experts_only = bool(experts_only)
        if cpu_offload_gib is not None:
            self.cpu_offload_gib = None if cpu_offload_gib < 0 else float(cpu_offload_gib)
        if ram_bandwidth_gb_s is not None:
            self.ram_bandwidth_gb_s = ram_bandwidth_gb_s or None
        if ram_gb is not None:
            self.ram_gb = max(0.0, float(ram_gb))
        if experts_on_cpu is not None:
            self.experts_on_cpu = bool(experts_on_cpu)
        if n_cpu_moe is not None:
            every = n_cpu_moe >= self._scenario.model.architecture.num_layers
            self.experts_on_cpu = every
            self.n_cpu_moe = None if n_cpu_moe < 0 or every else int(n_cpu_moe)
        if pinned is not None:
            self.pinned = bool(pinned)
        self.changed.emit()

    @property
    def offload_asked(self) -> bool:
        """Whether System RAM or a place for the MoE experts is set, under an engine that can keep weights there
        (core.engines.offloads_to_ram: not MLX, nor HF transformers with NVFP4 weights): the plans are drawn."""
        return self._offload_asked_for(self._scenario)

    def _offload_asked_for(self, s: Scenario) -> bool:
        """:attr:`offload_asked` for scenario ``s`` (a pinned one, another engine's in a picker's list)."""
        return (self.ram_gb > 0 or self.experts_on_cpu or self.n_cpu_moe is not None) and \
            offloads_to_ram(s.engine, s.weights)

    @property
    def forced_offload(self) -> bool:
        """Whether the offload settings keep weights in System RAM that a card holding the model keeps there all the
        same (core.offload.flags_force: vLLM's or SGLang's --cpu-offload-gb, an MoE model's Experts in RAM under
        llama.cpp): every card of the fit table is then planned.  Not without System RAM entered (no offload: a
        card that holds the model reads "fits", not "does not fit in RAM either")."""
        return flags_force(self._scenario, self.ram_gb, self.experts_on_cpu, self.n_cpu_moe, self.cpu_offload_gib)

    def set_price(self, price_per_card_hour: float) -> None:
        """The user's price per card-hour (vramgui ships no prices); 0 or less, or not a finite
        number: none.  At most ``MAX_PRICE`` (the price field's range)."""
        price = float(price_per_card_hour)
        price = min(price, MAX_PRICE) if math.isfinite(price) and price > 0 else 0.0
        if price != self.price_per_card_hour:
            self.price_per_card_hour = price
            self.changed.emit()

    @property
    def price(self) -> float | None:
        """The price per card-hour, or None when not set."""
        return self.price_per_card_hour or None

    def offload_plan(self):
        """The offload plan for the current scenario on its card(s), or None when no system RAM is set."""
        return self.plan_for(self._scenario)

    def offload_plans(self, gpus: list, table=None) -> dict | None:
        """The offload plans of the current scenario on each card of ``gpus`` by card id (the fit table's rows that do
        not fit: core.offload.plan_offload_cards, each :meth:`offload_plan` without its time to first token, all at
        once; ``table``: the fit table they come from, whose figures some engines' plans take), or None when no
        System RAM is set."""
        if not self.offload_asked:
            return None
        from ..core.offload import plan_offload_cards
        plans = plan_offload_cards(self._scenario, self.ram_gb, gpus, table=table, **self._plan_settings())
        return {g.id: plan for g, plan in zip(gpus, plans, strict=True)}

    def plan_for(self, s: Scenario):
        """The offload plan of scenario ``s`` (a pinned one too) with this machine's System RAM, or None when none is
        set."""
        if not self._offload_asked_for(s):
            return None
        from ..core.offload import plan_offload
        return plan_offload(s, self.ram_gb, **self._plan_settings())

    def verdicts(self, field: str, values) -> dict:
        """The current scenario with each of ``values`` as its ``field`` (weights, kv_dtype, engine: the entries of a
        picker's list when it drops down): by value (core.fit.FitResult, the offload plan where it does not fit and
        System RAM is entered (without its first token), or None; the scenario with that value, whose engine may not
        run on the card or with its cards: wording.blocked_verdict); the values the scenario refuses (another model's
        own bytes, a cache format the engine lacks) are left out."""
        from ..core.fit import fit
        from ..core.offload import plan_offload
        out = {}
        for v in values:
            try:
                s = self._scenario.with_(**self._fused({field: v}))
            except ValidationError:
                continue
            r = fit(s)
            plan = None if r.fits or not self._offload_asked_for(s) else plan_offload(
                s, self.ram_gb, with_prefill=False, **self._plan_settings())
            out[v] = (r, plan, s)
        return out

    def offload_settings(self) -> tuple[float, dict] | None:
        """(the System RAM in GB, core.offload.plan_offload's other arguments) where offload is asked, else None."""
        return (self.ram_gb, self._plan_settings()) if self.offload_asked else None

    def _plan_settings(self) -> dict:
        return dict(experts_on_cpu=self.experts_on_cpu, n_cpu_moe=None if self.experts_on_cpu else self.n_cpu_moe,
                    ram_bandwidth_gb_s=self.ram_bandwidth_gb_s, pinned=self.pinned,
                    cpu_offload_gib=self.cpu_offload_gib, experts_only=self.experts_only)

    def max_offload_prompt(self) -> int | None:
        """The largest prompt the primary card(s) and the System RAM hold (core.offload.max_prompt_offloaded; -1:
        none), or None when no offload is asked.  Kept while only the prompt changes (10-20 plans, 2-5 ms here)."""
        key = self.ram_prompt_key(self._scenario.gpu)
        if key is None:
            return None
        if self._max_prompt[0] != key:
            last, then = self._max_prompt[1], self._max_prompt[2]
            gpu = self._scenario.gpu
            self._max_prompt = (key, self._search(self._scenario, self.moved_guess(then, last, gpu)),
                                self.guess_basis(gpu))
        return self._max_prompt[1]

    def ram_prompt_key(self, gpu=None) -> tuple | None:
        """What the largest prompt with the System RAM depends on: the scenario but its prompt (and its card, unless
        ``gpu`` is given), and the RAM's settings; None when no offload is asked."""
        return self._ram_basis(gpu) if self.offload_asked else None

    def guess_basis(self, gpu=None) -> tuple:
        """(:meth:`ram_prompt_key` but the output, the output tokens): what :meth:`moved_guess` compares."""
        return self._ram_basis(gpu, output_tokens=0), self._scenario.output_tokens

    def ram_batch_key(self, gpu=None) -> tuple | None:
        """What the most sequences with the System RAM depend on: the scenario but its batch (and its card, unless
        ``gpu`` is given), and the RAM's settings; None when no offload is asked."""
        return self._ram_basis(gpu, prompt_tokens=self._scenario.prompt_tokens, batch=1) if self.offload_asked \
            else None

    def _ram_basis(self, gpu, **change) -> tuple:
        return self._scenario.key(**{"prompt_tokens": 0, "cached_tokens": 0, "gpu": gpu, **change}), \
            *self._ram_settings()

    def _ram_settings(self) -> tuple:
        """The System RAM and the plans' settings, as a key's part."""
        return self.ram_gb, tuple(self._plan_settings().items())

    def moved_guess(self, then: tuple | None, last: int | None, gpu=None) -> int | None:
        """A likely largest prompt with the System RAM: ``last``, found for the scenario of ``then`` (its
        :meth:`guess_basis`), moved by as many tokens as the output changed, the other way, where nothing but the
        output changed and the engine's cache comes in blocks beside pass buffers that do not grow with the prompt
        (llama.cpp: a drag of the output); else None.  core.offload.max_prompt_offloaded tries it first: two plans
        where it holds, two more than its search where not."""
        if then is None or last is None or last < 0 or not self._scenario.profile.prefill_chunk_tokens:
            return None
        basis, out = self.guess_basis(gpu)
        return last + then[1] - out if then[0] == basis else None

    def _search(self, s: Scenario, guess: int | None) -> int:
        from ..core.offload import max_prompt_offloaded
        return max_prompt_offloaded(s, self.ram_gb, guess, **self._plan_settings())

    def max_offload_prompt_on(self, gpu, guess: int | None = None) -> int:
        """:meth:`max_offload_prompt` with ``gpu`` in place of the primary card (the fit table's offloaded rows), with
        a likely answer to try first (:meth:`moved_guess`)."""
        return self._search(self._scenario.model_copy(update={"gpu": gpu}), guess)

    def max_offload_batch_on(self, gpu) -> int:
        """The most sequences of the scenario's prompt and output that ``gpu`` (in place of the primary card) and the
        System RAM hold (core.offload.max_batch_offloaded, about 7 plans)."""
        return self._search_batch(self._scenario.model_copy(update={"gpu": gpu}))

    def _search_batch(self, s: Scenario) -> int:
        from ..core.offload import max_batch_offloaded
        return max_batch_offloaded(s, self.ram_gb, **self._plan_settings())

    def offload_sweep(self, work_out: bool = True):
        """The primary card's offload plans over the sequences it and the System RAM hold
        (core.offload.sweep_offloaded, after max_batch_offloaded: about 25 plans, 5-15 ms here), kept while only the
        batch changes; None when no offload is asked, or, without ``work_out``, until it is worked out."""
        key = self.ram_batch_key(self._scenario.gpu)
        if key is None:
            return None
        key = key, self._scenario.cached_tokens     # (the most sequences' key has none: the first tokens do)
        if self._sweep[0] != key:
            if not work_out:
                return None
            from ..core.offload import sweep_offloaded
            most = self._search_batch(self._scenario)
            self._sweep = (key, sweep_offloaded(self._scenario, self.ram_gb, most, **self._plan_settings()))
        return self._sweep[1]

    def reported_plan(self, batch: bool = False):
        """The primary card's offload plan with its largest prompt (:meth:`max_offload_prompt`), and with ``batch``
        the most sequences and, where the plan runs the model, the sequences it serves most at, both from the plans
        the speed chart draws (:meth:`offload_sweep`, worked out here if the pause has not yet): the report's, as the
        CLI gives them; None when no offload is asked."""
        plan = self.offload_plan()
        if plan is None:
            return None
        from ..core.offload import reported
        return reported(plan, self._scenario, self.ram_gb, self.max_offload_prompt(), batch=batch, best=batch,
                        sweep=self.offload_sweep() if batch else None,
                        **self._plan_settings())

    def reported_plan_for(self, s: Scenario):
        """:meth:`reported_plan` of scenario ``s``, the live one or a pinned one (the Compare tab's columns, the
        report's pins); a pinned one's with its most sequences, and kept (a pin does not change, the RAM's settings
        may).  None when no System RAM is set."""
        if s is self._scenario:
            return self.reported_plan()
        if not self._offload_asked_for(s):
            return None
        from ..core.offload import reported

        def worked_out():
            return reported(self.plan_for(s), s, self.ram_gb, self._search(s, None), **self._plan_settings())
        return kept(self._pinned_plans, (s, *self._ram_settings()), worked_out, 8)

    def set_mode(self, mode: str) -> None:
        if mode not in ("inference", "training") or mode == self.mode:
            return
        self.mode = mode
        self.changed.emit()

    def update_training(self, **change) -> bool:
        """Apply ``change`` to the fine-tuning setup if it validates."""
        try:
            new = self._training.with_(**change)
        except ValidationError as exc:
            self.refused.emit(pydantic_message(exc))
            return False
        if new == self._training:
            return False
        self._training = new
        self.changed.emit()
        return True

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    def update(self, **change) -> bool:
        """Apply ``change`` if the result validates; True when the scenario changed.  A change of engine takes the
        engine's default attention and a 16-bit cache where the ones picked are not the engine's (:meth:`_fused`)."""
        change = self._fused(change)
        try:
            new = self._scenario.with_(**change)
        except ValidationError as exc:
            new = self._one_stage(change)
            if new is None:
                self.refused.emit(pydantic_message(exc))
                return False
        if new == self._scenario:
            return False
        self._scenario = new
        self.changed.emit()
        return True

    def _fused(self, change: dict) -> dict:
        """``change`` with the engine's default attention where it switches from eager to an engine without it, and a
        16-bit cache where it switches to an engine whose cache cannot be of the type picked (core.engines.KV_TYPES:
        llama.cpp's Q8_0 under vLLM, vLLM's FP8 under llama.cpp; KV_NEEDS_FLASH: Q8_0 under llama.cpp with eager
        attention, its 2023 builds' default); the pickers grey those entries.  A switch into vLLM or SGLang with a
        16-bit cache takes the cache the checkpoint asks for (core.engines.release_kv); between the two the cache
        picked stays."""
        engine = change.get("engine")
        if engine is None:
            return change
        if engine in NO_EAGER_ATTENTION and "attention" not in change and self._scenario.attention == "eager":
            change = {**change, "attention": None}
        attention = change["attention"] if "attention" in change else self._scenario.attention
        kv = self._scenario.kv_dtype
        if engine in CHECKPOINT_KV and self._scenario.engine not in CHECKPOINT_KV and kv in UNQUANTIZED:
            # into vLLM or SGLang from an engine whose default cache does not follow the checkpoint: the cache type
            # the checkpoint asks for (its FP8), as theirs does
            kv = release_kv(change.get("model", self._scenario.model).config, engine) or kv
        kv = kv_for(engine, kv, attention or ENGINES[engine].default_attention)
        if "kv_dtype" not in change and kv != self._scenario.kv_dtype:
            change = {**change, "kv_dtype": kv}
        return change

    def _one_stage(self, change: dict):
        """A change of engine or model that the scenario's pipeline stages no longer fit (a
        layer-split engine ignored them meanwhile, or the new model has fewer layers): the
        scenario in one stage, or None.  A change of the card or stage count is refused instead."""
        if self._scenario.pipeline == 1 or {"n_gpus", "pipeline"} & change.keys():
            return None
        try:
            return self._scenario.with_(**change, pipeline=1)
        except ValidationError:
            return None

    def set_model(self, model_id: str) -> bool:
        """The model is shared by both modes.  An imported file's weights are its own bytes; a model released quantized
        (gpt-oss's MXFP4 experts, an FP8 checkpoint: core.formats.release_format) comes in its release format where
        the weights were 16- or 32-bit, and ``released`` says so; the next model gets the weights back as they were."""
        model = self.catalog.models.get(model_id)
        if model is None:
            return False
        self._training = self._training.with_(model=model)
        weights = self._scenario.weights
        if self._released is not None and weights == self._released[1]:
            weights = self._released[0]          # (the format the last model's release replaced)
        self._released = None
        if model.file_weights is not None:
            weights = "file"                     # an imported file: its own bytes by default
        elif weights == "file":
            weights = "fp16"
        elif weights in UNQUANTIZED:
            released = release_format(model.config, self._scenario.engine in LLAMACPP)
            if released:
                self._released, weights = (weights, released), released
        changed = self.update(model=model, weights=weights)
        if self._released is not None and self._scenario.weights == weights:
            self.released.emit(weights)
        return changed

    def add_model(self, model) -> None:
        """Put an imported or user model into the catalog (replacing one with its id)."""
        self.catalog.models[model.id] = model
        self.catalog_changed.emit()

    def add_gpu(self, gpu) -> None:
        self.catalog.gpus[gpu.id] = gpu
        self.catalog.user_ids.add(gpu.id)
        self.catalog_changed.emit()

    def set_gpu(self, gpu_id: str) -> bool:
        """The primary card is shared by both modes."""
        gpu = self.catalog.gpus.get(gpu_id)
        if gpu is None:
            return False
        self._training = self._training.with_(gpu=gpu)
        return self.update(gpu=gpu)

    MAX_PINS = 4

    def pin(self) -> bool:
        """Pin the current scenario (at most four; the same scenario once)."""
        if len(self.pins) >= self.MAX_PINS or self._scenario in self.pins:
            self.refused.emit(self.tr("at most {n} different scenarios can be pinned").format(n=self.MAX_PINS))
            return False
        self.pins.append(self._scenario)
        self.changed.emit()
        return True

    def clear_pins(self) -> None:
        self.pins = []
        self.changed.emit()

    def set_compare(self, gpu_ids: list[str]) -> None:
        self.compare = [self.catalog.gpus[i] for i in gpu_ids if i in self.catalog.gpus][:4]
        self.changed.emit()
