"""Scenario panel: pickers, sliders with linked spin boxes.  Edits go to the state;
the panel re-reads the state on every change (echo blocked with QSignalBlocker)."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtWidgets

from ..core import ENGINES, KV_DTYPES, WEIGHT_FORMATS
from ..core.units import GIB
from .state import ScenarioState

_STEPS = 1000


class LogSliderSpin(QtWidgets.QWidget):
    """A log-scale slider and a spin box showing one integer, kept in step."""

    valueChanged = QtCore.Signal(int)

    def __init__(self, minimum: int, maximum: int, tip: str, parent=None):
        super().__init__(parent)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, _STEPS)
        self.spin = QtWidgets.QSpinBox()
        self.spin.setGroupSeparatorShown(True)
        self.spin.setMinimumWidth(92)
        self.slider.setMinimumWidth(90)
        self.spin.setKeyboardTracking(False)
        for w in (self.slider, self.spin):
            w.setToolTip(tip)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.spin)
        self.setRange(minimum, maximum)
        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)

    def setRange(self, minimum: int, maximum: int) -> None:
        self._min, self._max = minimum, max(maximum, minimum + 1)
        with QtCore.QSignalBlocker(self.spin):
            self.spin.setRange(minimum, self._max)

    def _to_value(self, pos: int) -> int:
        lo, hi = math.log1p(self._min), math.log1p(self._max)
        return int(round(math.expm1(lo + (hi - lo) * pos / _STEPS)))

    def _to_pos(self, value: int) -> int:
        lo, hi = math.log1p(self._min), math.log1p(self._max)
        return int(round((math.log1p(max(value, self._min)) - lo) / (hi - lo) * _STEPS))

    def value(self) -> int:
        return self.spin.value()

    def setValue(self, value: int) -> None:
        with QtCore.QSignalBlocker(self.spin), QtCore.QSignalBlocker(self.slider):
            if value > self._max:
                self.setRange(self._min, value)
            self.spin.setValue(value)
            self.slider.setValue(self._to_pos(value))

    def _from_slider(self, pos: int) -> None:
        value = self._to_value(pos)
        with QtCore.QSignalBlocker(self.spin):
            self.spin.setValue(value)
        self.valueChanged.emit(value)

    def _from_spin(self, value: int) -> None:
        with QtCore.QSignalBlocker(self.slider):
            self.slider.setValue(self._to_pos(value))
        self.valueChanged.emit(value)


def _narrow(c: QtWidgets.QComboBox) -> QtWidgets.QComboBox:
    """Let a combo box with long entries shrink to the panel (the popup stays wide)."""
    c.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    c.setMinimumContentsLength(14)
    return c


def _combo(items: list[tuple[str, str]], tip: str) -> QtWidgets.QComboBox:
    c = _narrow(QtWidgets.QComboBox())
    for ident, label in items:
        c.addItem(label, ident)
    c.setToolTip(tip)
    return c


def _select(combo: QtWidgets.QComboBox, ident) -> None:
    i = combo.findData(ident)
    if i >= 0 and combo.currentIndex() != i:
        with QtCore.QSignalBlocker(combo):
            combo.setCurrentIndex(i)


class ScenarioPanel(QtWidgets.QWidget):
    """Left-hand panel editing :class:`ScenarioState`."""

    def __init__(self, state: ScenarioState, parent=None):
        super().__init__(parent)
        self.state = state
        cat = state.catalog
        form = QtWidgets.QFormLayout(self)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.model_filter = QtWidgets.QLineEdit()
        self.model_filter.setPlaceholderText("Filter models…")
        self.model_filter.setClearButtonEnabled(True)
        self.model_filter.setToolTip("Type part of a model's name or family to shorten the list")
        self.model = _narrow(QtWidgets.QComboBox())
        self.model.setToolTip("Model preset (built-in presets grouped by family, then your own)")
        self.model.setMaxVisibleItems(24)
        self._fill_models("")
        form.addRow("Model", self.model_filter)
        form.addRow("", self.model)

        self.gpu = _narrow(QtWidgets.QComboBox())
        self.gpu.setToolTip("The card to plan for; choosing a row in the fit table does the same")
        self.gpu.setMaxVisibleItems(24)
        for category in ("datacenter", "workstation", "consumer", "apple", "custom"):
            gpus = sorted((g for g in cat.gpus.values() if g.category == category),
                          key=lambda g: (-g.memory_mib, g.name))
            if not gpus:
                continue
            self._header(self.gpu, category.capitalize())
            for g in gpus:
                self.gpu.addItem(f"{g.name}  ({g.memory_mib * 2**20 / GIB:,.0f} GiB)", g.id)
        form.addRow("GPU", self.gpu)

        self.compare = QtWidgets.QToolButton()
        self.compare.setText("Compare with…")
        self.compare.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.compare.setToolTip("Draw up to four more cards' capacity lines on the memory chart")
        menu = QtWidgets.QMenu(self.compare)
        for g in sorted(cat.gpus.values(), key=lambda g: (g.category, -g.memory_mib)):
            act = menu.addAction(g.name)
            act.setCheckable(True)
            act.setData(g.id)
            act.toggled.connect(self._compare_changed)
        self.compare.setMenu(menu)
        form.addRow("", self.compare)

        self.gpus = QtWidgets.QSpinBox()
        self.gpus.setRange(1, 64)
        self.gpus.setToolTip("Cards the model is split over (tensor parallel for vLLM/generic, layer split for "
                             "HF and llama.cpp)")
        form.addRow("Number of GPUs", self.gpus)

        self.weights = _combo([(f.id, f.name) for f in WEIGHT_FORMATS.values()],
                              "Weight format: effective bits include group scales and zeros")
        form.addRow("Weights", self.weights)
        self.kv = _combo([(k.id, k.name) for k in KV_DTYPES.values()], "Element type of the KV cache")
        form.addRow("KV cache", self.kv)
        self.engine = _combo([(e.id, e.name) for e in ENGINES.values()],
                             "Engine profile: what the engine allocates and when (hover the breakdown for details)")
        form.addRow("Engine", self.engine)
        self.attention = _combo([("", "engine default"), ("eager", "eager"), ("sdpa", "sdpa"), ("flash", "flash")],
                                "Eager attention materialises the score matrix (quadratic in the prompt); "
                                "sdpa/flash do not")
        form.addRow("Attention", self.attention)

        self.prompt = LogSliderSpin(0, 1_048_576, "Prompt tokens per sequence (log scale)")
        form.addRow("Prompt tokens", self.prompt)
        self.output = LogSliderSpin(0, 131_072, "Generated tokens per sequence (log scale)")
        form.addRow("Output tokens", self.output)
        self.batch = LogSliderSpin(1, 1024, "Concurrent sequences (log scale, 1-1024; type more in the box)")
        self.batch.spin.setRange(1, 1_000_000)
        form.addRow("Batch size", self.batch)

        self.util = QtWidgets.QDoubleSpinBox()
        self.util.setRange(0.0, 1.0)
        self.util.setSingleStep(0.01)
        self.util.setSpecialValueText("engine default")
        self.util.setToolTip("Share of the card the engine may use (vLLM gpu_memory_utilization)")
        form.addRow("Memory cap", self.util)
        self.reserved = QtWidgets.QSpinBox()
        self.reserved.setRange(0, 1_000_000)
        self.reserved.setSingleStep(256)
        self.reserved.setSuffix(" MiB")
        self.reserved.setGroupSeparatorShown(True)
        self.reserved.setToolTip("Memory other programs already hold on each card (desktop, other jobs)")
        form.addRow("Already used", self.reserved)

        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b35806;")
        form.addRow(self.message)

        self.model_filter.textChanged.connect(self._fill_models)
        self.model.currentIndexChanged.connect(lambda: self._edit(self.state.set_model, self.model.currentData()))
        self.gpu.currentIndexChanged.connect(lambda: self._edit(self.state.set_gpu, self.gpu.currentData()))
        self.gpus.valueChanged.connect(lambda v: self._update(n_gpus=v))
        self.weights.currentIndexChanged.connect(lambda: self._update(weights=self.weights.currentData()))
        self.kv.currentIndexChanged.connect(lambda: self._update(kv_dtype=self.kv.currentData()))
        self.engine.currentIndexChanged.connect(lambda: self._update(engine=self.engine.currentData()))
        self.attention.currentIndexChanged.connect(
            lambda: self._update(attention=self.attention.currentData() or None))
        self.prompt.valueChanged.connect(lambda v: self._update(prompt_tokens=v))
        self.output.valueChanged.connect(lambda v: self._update(output_tokens=v))
        self.batch.valueChanged.connect(lambda v: self._update(batch=v))
        self.util.valueChanged.connect(lambda v: self._update(gpu_util=v or None))
        self.reserved.valueChanged.connect(lambda v: self._update(reserved_mib=float(v)))
        state.changed.connect(self.sync)
        state.refused.connect(self.message.setText)
        self.sync()

    # --- building --------------------------------------------------------------------
    @staticmethod
    def _header(combo: QtWidgets.QComboBox, text: str) -> None:
        combo.addItem(text, None)
        item = combo.model().item(combo.count() - 1)
        item.setFlags(QtCore.Qt.ItemFlag.NoItemFlags)
        font = item.font()
        font.setBold(True)
        item.setFont(font)

    def _fill_models(self, text: str) -> None:
        needle = text.strip().lower()
        cat = self.state.catalog
        with QtCore.QSignalBlocker(self.model):
            self.model.clear()
            for family, models in cat.families().items():
                shown = [m for m in models if not needle or needle in m.name.lower() or needle in family.lower()
                         or needle in m.id]
                if not shown:
                    continue
                self._header(self.model, family)
                for m in shown:
                    mark = "  ★" if m.id in cat.user_ids else ""
                    self.model.addItem(f"{m.name}{mark}", m.id)
        _select(self.model, self.state.scenario.model.id)
        if needle and self.model.currentData() is None:
            first = next((i for i in range(self.model.count()) if self.model.itemData(i)), None)
            if first is not None:
                self.model.setCurrentIndex(first)

    # --- editing -------------------------------------------------------------------------
    def _update(self, **change) -> None:
        if self.state.update(**change):
            self.message.clear()

    def _edit(self, setter, ident) -> None:
        if ident and setter(ident):
            self.message.clear()

    def _compare_changed(self) -> None:
        ids = [a.data() for a in self.compare.menu().actions() if a.isChecked()]
        if len(ids) > 4:
            sender = self.sender()
            with QtCore.QSignalBlocker(sender):
                sender.setChecked(False)
            self.message.setText("At most four cards can be compared at once.")
            return
        self.compare.setText(f"Compare with… ({len(ids)})" if ids else "Compare with…")
        self.state.set_compare(ids)

    def sync(self) -> None:
        """Show the state's scenario in every control, without echoing edits back."""
        s = self.state.scenario
        _select(self.model, s.model.id)
        _select(self.gpu, s.gpu.id)
        _select(self.weights, s.weights)
        _select(self.kv, s.kv_dtype)
        _select(self.engine, s.engine)
        _select(self.attention, s.attention or "")
        limit = max(4 * s.model.architecture.max_context, 1024)
        self.prompt.setRange(0, limit)
        for w, v in ((self.prompt, s.prompt_tokens), (self.output, s.output_tokens), (self.batch, s.batch)):
            if w.value() != v or w.slider.value() != w._to_pos(v):
                w.setValue(v)
        for w, v in ((self.gpus, s.n_gpus), (self.util, s.gpu_util or 0.0), (self.reserved, int(s.reserved_mib))):
            if w.value() != v:
                with QtCore.QSignalBlocker(w):
                    w.setValue(v)

