"""Scenario panel: pickers, sliders with linked spin boxes.  Edits go to the state;
the panel re-reads the state on every change (echo blocked with QSignalBlocker)."""

from __future__ import annotations

import functools
import math
import re

from PySide6 import QtCore, QtGui, QtWidgets

from ..core import ENGINES, KV_DTYPES, WEIGHT_FORMATS
from ..core.architecture import layout_note
from ..core.engines import (
    APPLE_ONLY,
    BITSANDBYTES,
    CACHE_CAPS_CONTEXT,
    COPIED_OFFLOAD,
    HF_BNB_EXPERTS,
    HF_BNB_OFFLOAD,
    HF_NO_MPS,
    HF_NO_SDPA,
    LLAMACPP,
    NO_APPLE_GPU,
    NO_EAGER_ATTENTION,
    OFFLOAD_ON_FIRST_CARD,
    OLLAMA,
    READS_IN_PLACE,
    STAGES_OFFLOADED,
    converts_first,
    default_context,
    default_share,
    no_offload,
    offloads_experts_only,
    offloads_to_ram,
    one_card,
    seen_memory,
    takes_cpu_moe,
    takes_cpu_offload_gb,
    takes_kv,
    unlisted_card,
)
from ..core.fit import auto_fit_headroom, context_cap, server_context
from ..core.memory import replicates_latent
from ..core.offload import COPIED_SHARE, PCIE_COPY_EFFICIENCY, PINNED_COPY_EFFICIENCY, staging_bytes
from ..core.report import (
    attention_default_note,
    batched_decode_note,
    context_cap_note,
    engine_note,
    experts_note,
    machines_note,
    pre_mla_gguf_note,
    sdpa_math_note,
    tp_refusers,
    tp_split_note,
)
from ..core.scenario import HOSTS, MAX_SCENARIO_BATCH, MAX_STAGES, named_format
from ..core.speed import (
    BW_EFFICIENCY,
    CROSS_NODE_RUN,
    DATA_PARALLEL_MLA,
    HF_HOST_ROWS,
    HOST_S_PER_LAYER,
    LLAMACPP_BATCHED,
    card_host,
    prompt_split,
)
from ..core.training import (
    ALLOCATOR_FRACTION,
    FOREACH_STEP_BYTES,
    attention_cautions,
    fused_expert_targets,
    lora_names_note,
    lora_refusal,
    mamba2_torch_layers,
    refuses_out_proj,
    routed_lora_text,
    shown_targets,
)
from ..core.training import SOURCES as TRAINING_SOURCES
from ..core.units import GIB, MIB
from .i18n import Retranslates, integer, num, translate
from .state import MAX_CPU_OFFLOAD_GIB, MAX_PRICE, MAX_RAM_BANDWIDTH_GB_S, ScenarioState
from .wording import CATEGORIES, card_entry, card_target, core_name, fit_margin_tip, fitted_card, fitted_text

_STEPS = 1000


def two_lines(text: str, fm: QtGui.QFontMetrics, width: int) -> tuple[str, ...]:
    """``text`` in at most two lines of ``width`` pixels: whole where it fits on one; else the
    first line broken after the last space, slash or middle dot that fits (at the last character
    that fits where none does; a dot at the break is left out) and the rest on the second,
    elided in the middle where too long (an address keeps its start and its file name)."""
    if width <= 0 or fm.horizontalAdvance(text) <= width:
        return (text,)
    lo, hi = 1, len(text)                      # the longest prefix that fits: text[:lo]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fm.horizontalAdvance(text[:mid]) <= width:
            lo = mid
        else:
            hi = mid - 1
    cut = max(text.rfind(sep, 0, lo) for sep in (" ", "/", "·"))
    k = cut + 1 if cut > 0 else lo
    first, rest = text[:k].rstrip(), text[k:].lstrip()
    first, rest = first.removesuffix("·").rstrip(), rest.removeprefix("·").lstrip()   # (the break separates)
    return (first, fm.elidedText(rest, QtCore.Qt.TextElideMode.ElideMiddle, width))


_REVISION = re.compile(r"/(?:blob|blame|resolve|raw|tree)/[^/\s]+/")


def short_source(text: str) -> str:
    """A source as the note under the model picker shows it: addresses without their scheme,
    and a repository file's branch or commit left out (``huggingface.co/Qwen/Qwen-7B ·
    config.json`` for ``https://huggingface.co/Qwen/Qwen-7B/blob/d4efd21…/config.json``); the
    tooltip keeps the whole address."""
    return _REVISION.sub(" · ", re.sub(r"\bhttps?://", "", text))


class MenuButton(QtWidgets.QToolButton):
    """A tool button that opens its menu, as wide as its text plus the menu's arrow: the style
    draws the arrow in the button's bottom right corner, over the text's last letters ("Compare
    with…" ended under it) when the button is only as wide as its text."""

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt's name)
        hint = super().sizeHint()
        arrow = self.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_MenuButtonIndicator, None, self)
        return QtCore.QSize(hint.width() + arrow, hint.height())


class SourceNote(QtWidgets.QWidget):
    """Where the chosen model's figures come from, under the model picker: small faint text
    in two lines at most (:func:`short_source`, :func:`two_lines`), always two lines high, the
    whole text in the tooltip.  A word-wrapped QLabel took two to four lines for the catalog's
    sources (a config.json address at a commit took four), so the rows below moved up and down as the
    user went through the models, and each new text asked the window for a new layout (see
    ``breakdown.ValueLabel``); this one only repaints itself."""

    LINES = 2

    def __init__(self, parent=None):
        super().__init__(parent)
        font = self.font()
        font.setPointSizeF(8.0)
        self.setFont(font)
        self._text = ""
        self._lines: tuple[int, tuple[str, ...]] = (-1, ())     # (width, the lines shown at that width)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self._fix_height()

    def _fix_height(self) -> None:
        self.setFixedHeight(self.LINES * self.fontMetrics().lineSpacing() + 2)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt's name)
        return QtCore.QSize(120, self.height())

    def text(self) -> str:
        """The whole text (the lines shown may be shortened)."""
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        if text != self._text:
            self._text = text
            self._lines = (-1, ())
            self.setAccessibleName(text)
            self.update()

    def lines(self) -> tuple[str, ...]:
        """The lines shown at the current width."""
        width = self.contentsRect().width()
        if self._lines[0] != width:
            self._lines = (width, two_lines(short_source(self._text), self.fontMetrics(), width))
        return self._lines[1]

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QtCore.QEvent.Type.FontChange:
            self._lines = (-1, ())
            self._fix_height()
        super().changeEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        p = QtGui.QPainter(self)
        p.setPen(self.palette().color(QtGui.QPalette.ColorRole.Mid))
        r = self.contentsRect()
        step = self.fontMetrics().lineSpacing()
        for i, line in enumerate(self.lines()):
            p.drawText(QtCore.QRect(r.left(), r.top() + i * step, r.width(), step),
                       int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter), line)


@functools.cache
def _number_box_size() -> QtCore.QSize:
    """The sliders' number boxes' size: as wide as the widest value any range here can hold (eight
    digits: Llama 4 Scout's 10 M context, swept four times over), and fixed: a new range (the
    prompt's, on every model change) then re-lays out nothing; with a width from its size hint,
    each one had the whole panel laid out again.  Measured once, on a probe box."""
    probe = QtWidgets.QSpinBox()
    probe.setGroupSeparatorShown(True)
    probe.setRange(0, 99_999_999)
    hint = probe.sizeHint()
    return QtCore.QSize(max(92, hint.width()), hint.height())


class LogSliderSpin(QtWidgets.QWidget):
    """A log-scale slider and a spin box showing one integer, kept in step."""

    valueChanged = QtCore.Signal(int)

    def __init__(self, minimum: int, maximum: int, tip: str = "", parent=None):
        super().__init__(parent)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, _STEPS)
        self.spin = QtWidgets.QSpinBox()
        self.spin.setGroupSeparatorShown(True)
        self.spin.setFixedSize(_number_box_size())
        self.slider.setMinimumWidth(90)
        self.spin.setKeyboardTracking(False)
        for w in (self.slider, self.spin):
            w.setToolTip(tip)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.spin)
        self._min = self._max = None
        self.setRange(minimum, maximum)
        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)

    def setToolTip(self, tip: str) -> None:  # noqa: N802 (Qt's name)
        """The tip belongs on the slider and the box, which take the hover and the focus."""
        super().setToolTip(tip)
        for w in (self.slider, self.spin):
            w.setToolTip(tip)

    def setRange(self, minimum: int, maximum: int) -> None:
        """(Nothing happens for the range it has: setting it again re-lays out the window.)"""
        if (minimum, max(maximum, minimum + 1)) == (self._min, self._max):
            return
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


def _beside(field: QtWidgets.QWidget, *others: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """One form field with ``others`` after it on its row (the field takes the room left)."""
    row = QtWidgets.QWidget()
    lay = QtWidgets.QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(field, 1)
    for w in others:
        lay.addWidget(w)
    return row


class MoeLayersSpin(QtWidgets.QSpinBox):
    """Where an MoE model's routed experts live beside the card(s): ``AUTO`` as llama-server's --fit places them (the
    fewest layers' in RAM with which the rest fits), 0 none, N the first N layers' (--n-cpu-moe N), the model's layer
    count, :attr:`layers`, every layer's (--cpu-moe).  The range stays put and the steps stop at :attr:`layers`: a new
    range would have the window laid out, and repainted whole, at every change of model."""

    AUTO = -1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layers = 1
        self.setRange(self.AUTO, 100_000)

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt's name)
        self.setValue(max(self.AUTO, min(self.value() + steps, self.layers)))

    def stepEnabled(self):  # noqa: N802 (Qt's name)
        up = QtWidgets.QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        down = QtWidgets.QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return (up if self.value() < self.layers else QtWidgets.QAbstractSpinBox.StepEnabledFlag.StepNone) | \
            (down if self.value() > self.AUTO else QtWidgets.QAbstractSpinBox.StepEnabledFlag.StepNone)

    def textFromValue(self, v: int) -> str:  # noqa: N802 (Qt's name)
        if v == self.AUTO:
            #: Where the MoE experts are: as llama-server's --fit places them (the experts of as few layers as needed
            #: in RAM); "all" is --cpu-moe, "first N" --n-cpu-moe N.
            return translate("ScenarioPanel", "auto (--fit)")
        if v == 0:
            return translate("ScenarioPanel", "none")
        if v >= self.layers:
            return translate("ScenarioPanel", "all {n} layers").format(n=integer(self.layers))
        return translate("ScenarioPanel", "first {n} layers").format(n=integer(v))

    def valueFromText(self, text: str) -> int:  # noqa: N802 (Qt's name)
        if text == self.textFromValue(0):
            return 0
        digits = re.sub(r"\D", "", text)
        return min(int(digits), self.layers) if digits else self.AUTO

    def validate(self, text: str, pos: int):
        # (a number typed, or any of the texts above: typing replaces them)
        return QtGui.QValidator.State.Acceptable, text, pos


class WeightsInRamSpin(QtWidgets.QDoubleSpinBox):
    """The GiB of weights each card keeps in RAM under vLLM or SGLang (their --cpu-offload-gb, which takes tenths
    too): ``AUTO`` the least that lets the rest fit (what the plans take unless told), else that many GiB; the arrows
    step whole GiB."""

    AUTO = -1.0

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(1)
        self.setRange(self.AUTO, MAX_CPU_OFFLOAD_GIB)

    def textFromValue(self, v: float) -> str:  # noqa: N802 (Qt's name)
        if v < 0:
            #: vLLM's --cpu-offload-gb left to the plan: the least a card keeps in RAM for the rest to fit
            return translate("ScenarioPanel", "auto (the least)")
        return translate("ScenarioPanel", "{n} GiB").format(n=num(v, 0 if v == int(v) else 1))

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt's name)
        found = re.search(r"\d+(?:[.,]\d+)?", text)
        return min(float(found.group().replace(",", ".")), MAX_CPU_OFFLOAD_GIB) if found else self.AUTO

    def validate(self, text: str, pos: int):
        return QtGui.QValidator.State.Acceptable, text, pos


class FittingCombo(QtWidgets.QComboBox):
    """A picker whose chosen entry is drawn to fit its box: a card (an entry with its parts under
    ``CARD_ROLE``) by :func:`fitted_card` ("GeForce RTX 4090  (24 GiB)"), any other text elided at
    its end.  Qt's Fusion cut it off mid-word ("NVIDIA GeForce RTX 4090  (24 Gi" at 1366 px); the
    list that drops down keeps the whole names."""

    def _label_room(self, opt: QtWidgets.QStyleOptionComboBox) -> int:
        rect = self.style().subControlRect(QtWidgets.QStyle.ComplexControl.CC_ComboBox, opt,
                                           QtWidgets.QStyle.SubControl.SC_ComboBoxEditField, self)
        icon = opt.iconSize.width() + 4 if not opt.currentIcon.isNull() else 0
        return rect.width() - 2 - icon          # (the style draws the text a pixel in from each side)

    # Item role of a card's (name, memory size, mark): the parts :func:`fitted_card` fits.
    CARD_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1

    def _option(self) -> tuple[QtWidgets.QStyleOptionComboBox, str]:
        """The box's style option, and its chosen entry fitted to the box."""
        opt = QtWidgets.QStyleOptionComboBox()
        self.initStyleOption(opt)
        room, fm = self._label_room(opt), self.fontMetrics()
        parts = self.itemData(self.currentIndex(), self.CARD_ROLE)
        if parts:
            name, size, mark = parts
            return opt, fitted_card(name, size, room, fm, mark)
        return opt, fitted_text(opt.currentText, room, fm)

    def shown_text(self) -> str:
        """The chosen entry as the box draws it now."""
        return self._option()[1]

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        p = QtWidgets.QStylePainter(self)
        p.setPen(self.palette().color(QtGui.QPalette.ColorRole.Text))
        opt, text = self._option()
        p.drawComplexControl(QtWidgets.QStyle.ComplexControl.CC_ComboBox, opt)
        opt.currentText = text
        p.drawControl(QtWidgets.QStyle.ControlElement.CE_ComboBoxLabel, opt)


def verdict_entry(name: str, verdict: tuple) -> tuple[str, str, QtGui.QIcon]:
    """A picker's entry with its verdict (:class:`VerdictCombo`, :class:`VerdictMenu`): (its text, after ``name`` the
    memory the scenario needs a card with it, of the usable, and the fit table's verdict; its tooltip; a swatch in the
    verdict's colour) from ``verdict``, (bytes needed a card, usable, verdict, colour)."""
    need, usable, words, colour = verdict
    figures = dict(need=num(need / GIB, 1), usable=num(usable / GIB, 1), verdict=words)
    #: an entry of a picker's list (card, weights, KV cache, engine), after its name: the memory the scenario needs a
    #: card with it, of the usable, and the fit table's verdict
    text = f"{name}  —  " + translate("ScenarioPanel", "{need} of {usable} GiB, {verdict}").format(**figures)
    #: an entry's tooltip in a picker's list (card, weights, KV cache, engine)
    tip = translate("ScenarioPanel", "The scenario needs {need} GiB a card of the {usable} GiB usable: {verdict}"
                    ).format(**figures)
    key = colour.name()
    icon = _SWATCHES.get(key)
    if icon is None:
        pix = QtGui.QPixmap(12, 12)
        pix.fill(colour)
        icon = _SWATCHES[key] = QtGui.QIcon(pix)
    return text, tip, icon


_SWATCHES: dict[str, QtGui.QIcon] = {}     # (verdict_entry's, by colour)


class VerdictCombo(FittingCombo):
    """A picker whose list, when it drops down, says how the scenario as it is would fare with each entry
    (:func:`verdict_entry`: the memory it needs a card, of the usable, and the fit table's verdict, beside a swatch in
    the table's colours, with a tooltip); worked out then (``verdicts``: entry ids -> {id: (bytes needed a card,
    usable, verdict, colour)}), and the names alone again once it closes.  The weight format, KV cache and engine
    pickers (:func:`scenario_verdicts`) and the card picker (the fit table's rows) are such."""

    def __init__(self, verdicts=None, parent=None):
        super().__init__(parent)
        self.verdicts = verdicts
        self._names: dict[int, str] = {}      # the entries' names while the list shows the verdicts

    def showPopup(self) -> None:  # noqa: N802 (Qt's name)
        if self.verdicts is not None:
            self.mark(self.verdicts([self.itemData(i) for i in range(self.count())]))
        super().showPopup()

    def hidePopup(self) -> None:  # noqa: N802 (Qt's name)
        super().hidePopup()
        self.unmark()

    def mark(self, verdicts: dict) -> None:
        """Each entry's name with its verdict, its swatch and a tooltip (``verdicts`` as above)."""
        self.unmark()
        for i in range(self.count()):
            got = verdicts.get(self.itemData(i))
            if got is None:
                continue
            text, tip, icon = verdict_entry(self._names.setdefault(i, self.itemText(i)), got)
            self.setItemText(i, text)
            self.setItemIcon(i, icon)
            self.setItemData(i, tip, QtCore.Qt.ItemDataRole.ToolTipRole)

    def unmark(self) -> None:
        """The entries' names alone again, without swatches or tooltips."""
        for i, name in self._names.items():
            if i < self.count():
                self.setItemText(i, name)
                self.setItemIcon(i, QtGui.QIcon())
                self.setItemData(i, None, QtCore.Qt.ItemDataRole.ToolTipRole)
        self._names = {}


class VerdictMenu(QtWidgets.QMenu):
    """The compare cards' menu: while it shows, each card's action has the swatch of its row in the fit table and, as
    its tooltip, the row as the card picker gives it (:func:`verdict_entry`; ``verdicts``: card ids -> {id: (bytes
    needed a card, usable, verdict, colour)}); the names keep their width (the menu runs to several columns: the
    picker's longer entries took it past a 1,366-pixel screen).  Plain again once it hides."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.verdicts = None
        self.setToolTipsVisible(True)
        self._marked: list[QtGui.QAction] = []
        self.aboutToShow.connect(self.mark)
        self.aboutToHide.connect(self.unmark)

    def mark(self) -> None:
        self.unmark()
        verdicts = {} if self.verdicts is None else self.verdicts([a.data() for a in self.actions()])
        for act in self.actions():
            got = verdicts.get(act.data())
            if got is not None:
                text, _, icon = verdict_entry(act.text(), got)
                act.setToolTip(text)
                act.setIcon(icon)
                self._marked.append(act)

    def unmark(self) -> None:
        for act in self._marked:
            act.setToolTip("")
            act.setIcon(QtGui.QIcon())
        self._marked = []


def scenario_verdicts(state: ScenarioState, field: str, values: list) -> dict:
    """A picker's verdicts (:class:`VerdictCombo`: the weight format's, the KV cache's, the engine's): each value of
    ``field`` the scenario takes, as the fit table's row of the chosen card would read with it
    (ScenarioState.verdicts): fits, its offload plan with System RAM, or the cards it needs; grey where the engine
    does not run the weights on the card's GPU, or does not start with the cards' tensor-parallel group."""
    from .fit_table import ELSEWHERE, FIT, NOFIT, SPLIT
    from .wording import blocked_verdict, fit_verdict, plan_cell
    out = {}
    for value, (r, plan, s) in state.verdicts(field, [v for v in values if v is not None]).items():
        blocked = blocked_verdict(s)
        if blocked is not None:
            verdict, colour = blocked, ELSEWHERE
        elif r.fits:
            verdict, colour = fit_verdict(True, 1), FIT
        elif plan is not None:           # (as the fit table's row with the RAM: its plan, "none" too)
            verdict, colour = plan_cell(plan), SPLIT if plan.level == "partial" else NOFIT
        else:
            verdict, colour = fit_verdict(False, r.min_gpus), SPLIT if r.min_gpus else NOFIT
        out[value] = (r.needed_bytes, r.budget_bytes, verdict, colour)
    return out


def _narrow(c: QtWidgets.QComboBox) -> QtWidgets.QComboBox:
    """Let a combo box with long entries shrink to the panel (the popup stays wide)."""
    c.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    c.setMinimumContentsLength(14)
    return c


def _host_ms() -> dict[str, str]:
    """HF transformers' host cost a Llama layer [ms] by host (core.speed.HOST_S_PER_LAYER), for the tooltips:
    ``desktop``, ``server``, ``older``."""
    return {h.replace("older-server", "older"): num(HOST_S_PER_LAYER[row] * 1e3, 2) for h, row in HF_HOST_ROWS.items()}


def _combo(idents, combo: FittingCombo | None = None) -> QtWidgets.QComboBox:
    """A combo box of choices by id (``combo``, or a :class:`FittingCombo`); :meth:`ScenarioPanel.retranslate` writes
    their names."""
    c = _narrow(combo or FittingCombo())
    for ident in idents:
        c.addItem("", ident)
    return c


def _name(combo: QtWidgets.QComboBox, names: dict) -> None:
    """Write the names of a combo box's choices (by id), e.g. after a language change."""
    for i in range(combo.count()):
        if combo.itemData(i) in names:
            combo.setItemText(i, names[combo.itemData(i)])


def _select(combo: QtWidgets.QComboBox, ident) -> None:
    if combo.currentData() == ident:     # (most calls: one look-up instead of a search of the items)
        return
    i = combo.findData(ident)
    if i >= 0 and combo.currentIndex() != i:
        with QtCore.QSignalBlocker(combo):
            combo.setCurrentIndex(i)


class ScenarioPanel(Retranslates, QtWidgets.QWidget):
    """Left-hand panel editing :class:`ScenarioState`."""

    def __init__(self, state: ScenarioState, parent=None):
        super().__init__(parent)
        self.state = state
        self._rows_for: bool | None = None     # the mode the form's rows are shown for (sync)
        self._mamba_row: bool | None = None    # whether the mamba-ssm kernels row is shown (sync)
        self._padded_row: bool | None = None   # whether the padding row is shown (sync)
        cat = state.catalog
        form = QtWidgets.QFormLayout(self)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form = form
        self.labels: dict[object, QtWidgets.QLabel] = {}
        self.mode = _combo(("inference", "training"))
        self._row(self.mode)

        self.model_filter = QtWidgets.QLineEdit()
        self.model_filter.setClearButtonEnabled(True)
        self.model = _narrow(FittingCombo())
        self.model.setMaxVisibleItems(24)
        self._fill_models("")
        self.import_button = QtWidgets.QPushButton()
        filter_row = QtWidgets.QHBoxLayout()
        filter_row.setContentsMargins(0, 0, 0, 0)
        filter_row.addWidget(self.model_filter, 1)
        filter_row.addWidget(self.import_button)
        self._row(filter_row, "model")
        form.addRow("", self.model)
        self.provenance = SourceNote()
        form.addRow("", self.provenance)
        # a count vramgui has not fully checked: in the text colour, not the provenance's faint one
        self.caution = QtWidgets.QLabel()
        self.caution.setWordWrap(True)
        self.caution.setStyleSheet("font-size: 8pt; font-weight: bold;")
        self.caution.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.caution.hide()
        form.addRow("", self.caution)

        self.gpu = _narrow(VerdictCombo())     # (its verdicts: the fit table's rows, main_window)
        self.gpu.setMaxVisibleItems(24)
        self._fill_gpus()
        self._row(self.gpu)

        self.compare = MenuButton()
        self.compare.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = VerdictMenu(self.compare)     # (its verdicts: the fit table's rows, main_window)
        for g in sorted(cat.gpus.values(), key=lambda g: (g.category, -g.memory_mib)):
            act = menu.addAction(g.name)
            act.setCheckable(True)
            act.setData(g.id)
            act.toggled.connect(self._compare_changed)
        self.compare.setMenu(menu)
        form.addRow("", self.compare)

        self.gpus = QtWidgets.QSpinBox()
        self.gpus.setRange(1, 64)
        # pipeline stages beside the card count (a row of its own would not fit a 768-pixel screen)
        self.pipeline = QtWidgets.QSpinBox()
        self.pipeline.setRange(1, MAX_STAGES)
        self.pipeline_label = QtWidgets.QLabel()
        self._row(_beside(self.gpus, self.pipeline_label, self.pipeline), key=self.gpus)
        # what the estimate leaves out for this split of the cards (a group across nodes, an MLA latent on
        # every card): shown only then
        self._caution_shown: dict[QtWidgets.QLabel, bool] = {}
        self.parallel_caution = self._caution_row()

        def verdicts(field):    # (a picker whose list gives each entry's verdict: VerdictCombo)
            return VerdictCombo(functools.partial(scenario_verdicts, state, field))
        self.weights = _combo([*WEIGHT_FORMATS, "file"], verdicts("weights"))
        self._named_for = False      # whether the NVFP4 entry is named weight-only (the model's config says so)
        self._row(self.weights)
        self.kv = _combo(KV_DTYPES, verdicts("kv_dtype"))
        self._row(self.kv)
        self.engine = _combo(ENGINES, verdicts("engine"))
        self._row(self.engine)
        # an engine, or its weights, that do not run on the card's GPU (vLLM, SGLang, or HF with FP8 / AWQ on an
        # Apple chip): shown only then
        self.engine_caution = self._caution_row()
        self.attention = _combo(("", "eager", "sdpa", "flash"))
        self._row(self.attention)
        # the CPU HF transformers' Python loop launches its kernels from (its decode floor); greyed for the other
        # engines
        self.host = _combo(("", *HOSTS))
        self._row(self.host)

        self.prompt = LogSliderSpin(0, 1_048_576)
        self._row(self.prompt)
        # of the prompt, a prefix already in the cache (an earlier turn of a chat): only the rest is prefilled
        self.cached = QtWidgets.QSpinBox()
        self.cached.setRange(0, 1_048_575)
        self.cached.setSingleStep(1024)
        self.cached.setGroupSeparatorShown(True)
        self._row(self.cached)
        self.output = LogSliderSpin(0, 131_072)
        self._row(self.output)
        self.batch = LogSliderSpin(1, 1024)
        self.batch.spin.setRange(1, MAX_SCENARIO_BATCH)
        self._row(self.batch)
        # what the speeds leave out at this batch (llama.cpp's kernels per sequence): shown only then
        self.batch_caution = self._caution_row()

        self.util = QtWidgets.QDoubleSpinBox()
        self.util.setDecimals(3)        # (SGLang picks three: 0.835)
        self.util.setRange(0.0, 1.0)
        self.util.setSingleStep(0.01)
        self._row(self.util)
        self.reserved = QtWidgets.QSpinBox()
        self.reserved.setRange(0, 1_000_000)
        self.reserved.setSingleStep(256)
        self.reserved.setSuffix(" MiB")
        self.reserved.setGroupSeparatorShown(True)
        self._row(self.reserved)

        # --- fine-tuning rows (shown in fine-tuning mode) ---
        self.method = _combo(("full", "lora", "qlora"))
        self.optimizer = _combo(("adamw", "adamw-bf16", "adamw-8bit", "adafactor", "sgd-momentum", "sgd"))
        self.optimizer_step = _combo(("fused", "foreach"))
        self.lora_rank = QtWidgets.QSpinBox()
        self.lora_rank.setRange(1, 1024)
        self.lora_targets = QtWidgets.QLineEdit()
        self.kbit_upcast = QtWidgets.QCheckBox()
        self.checkpointing = _combo(("none", "selective", "full"))
        self.train_attention = _combo(("flash", "sdpa", "eager"))
        self.mamba_kernels = QtWidgets.QCheckBox()
        self.zero = _combo((0, 1, 2, 3))
        self.seq = LogSliderSpin(16, 1_048_576)
        self.micro_batch = LogSliderSpin(1, 1024)
        self.padded = QtWidgets.QCheckBox()
        self.grad_accum = QtWidgets.QSpinBox()
        self.grad_accum.setRange(1, 65536)
        self.allocator = _combo(("caching", "expandable"))
        self.training_rows = [self.method, self.optimizer, self.optimizer_step, self.lora_rank, self.lora_targets,
                              self.kbit_upcast, self.checkpointing, self.train_attention, self.mamba_kernels,
                              self.zero, self.seq, self.micro_batch, self.padded, self.grad_accum, self.allocator]
        for w in self.training_rows:
            self._row(w)
            if w is self.lora_targets:
                # what peft does with these targets where it is not the plain count: refuses them (Gemma 4's plain
                # names, a Mamba mixer's out_proj, gate without up) or adapts every routed expert: shown only then
                self.lora_caution = self._caution_row()
            if w is self.mamba_kernels:
                # a model transformers runs without SDPA (soft-capped or sink logits): what it runs instead; its
                # recurrent layers as counted
                self.attention_caution = self._caution_row()
        self.inference_rows = [self.weights, self.kv, self.engine, self.attention, self.host, self.prompt,
                               self.cached,
                               self.output,
                               self.batch, self.util, self.reserved]

        self.ram = QtWidgets.QDoubleSpinBox()
        self.ram.setRange(0, 8192)
        self.ram.setDecimals(0)
        self.ram.setSuffix(" GB")
        self.moe_in_ram = MoeLayersSpin()
        self.ram_bw = QtWidgets.QDoubleSpinBox()
        self.ram_bw.setRange(0, MAX_RAM_BANDWIDTH_GB_S)
        self.ram_bw.setDecimals(1)
        self.ram_bw.setSuffix(" GB/s")
        # whether the weights in RAM are pinned (--no-mmap) beside the RAM's size (a row of its own would not fit a
        # 768-pixel screen)
        # ... or, under vLLM and SGLang, whether only an MoE model's routed experts go there (vLLM's
        # --cpu-offload-params): one box whose words follow the engine, of one fixed size (the wider text's), so an
        # engine change lays nothing out (a stack of two boxes asked for a layout at every switch)
        self.ram_flag = QtWidgets.QCheckBox()
        ram_row = _beside(self.ram, self.ram_flag)
        self._row(ram_row, key=self.ram)
        self._row(self.ram_bw)
        # one row for where the weights in RAM go: llama.cpp's experts, or under vLLM and SGLang the GiB a card keeps
        # there (--cpu-offload-gb); the row's label, of a fixed size, changes with the engine without a new layout
        self.weights_in_ram = WeightsInRamSpin()
        self.in_ram = QtWidgets.QStackedWidget()
        self.in_ram.addWidget(self.moe_in_ram)
        self.in_ram.addWidget(self.weights_in_ram)
        self.in_ram.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
        self._row(self.in_ram, key=self.moe_in_ram)
        self.price = QtWidgets.QDoubleSpinBox()
        self.price.setRange(0, MAX_PRICE)
        self.price.setDecimals(2)
        self.price.setSingleStep(0.1)
        self._row(self.price)
        self.cost = QtWidgets.QLabel()      # what a million tokens cost at that price (the window fills it)
        self.cost.setWordWrap(True)
        form.addRow("", self.cost)
        self.inference_rows += [ram_row, self.ram_bw, self.in_ram, self.price, self.cost]
        self.price.valueChanged.connect(self.state.set_price)
        self.ram_bw.valueChanged.connect(lambda v: self.state.set_offload(ram_bandwidth_gb_s=v))
        self.ram.valueChanged.connect(lambda v: self.state.set_offload(ram_gb=v))
        self.moe_in_ram.valueChanged.connect(lambda v: self.state.set_offload(n_cpu_moe=v))
        self.weights_in_ram.valueChanged.connect(lambda v: self.state.set_offload(cpu_offload_gib=v))
        self.ram_flag.toggled.connect(self._ram_flag_toggled)

        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b35806;")
        form.addRow(self.message)
        form.setRowVisible(self.message, False)    # (shown while it says something: the panel fits 768 pixels)

        self.mode.currentIndexChanged.connect(lambda: self.state.set_mode(self.mode.currentData()))
        self.method.currentIndexChanged.connect(lambda: self._train(method=self.method.currentData()))
        self.optimizer.currentIndexChanged.connect(lambda: self._train(optimizer=self.optimizer.currentData()))
        self.optimizer_step.currentIndexChanged.connect(
            lambda: self._train(optimizer_step=self.optimizer_step.currentData()))
        self.lora_rank.valueChanged.connect(lambda v: self._train(lora_rank=v))
        self.lora_targets.editingFinished.connect(lambda: self._train(lora_targets=self.lora_targets.text()))
        self.kbit_upcast.toggled.connect(lambda v: self._train(kbit_upcast=v))
        self.mamba_kernels.toggled.connect(lambda v: self._train(mamba_kernels=v))
        self.padded.toggled.connect(lambda v: self._train(padded=v))
        self.checkpointing.currentIndexChanged.connect(
            lambda: self._train(checkpointing=self.checkpointing.currentData()))
        self.train_attention.currentIndexChanged.connect(
            lambda: self._train(attention=self.train_attention.currentData()))
        self.zero.currentIndexChanged.connect(lambda: self._train(zero=self.zero.currentData()))
        self.seq.valueChanged.connect(lambda v: self._train(seq=v))
        self.micro_batch.valueChanged.connect(lambda v: self._train(batch=v))
        self.grad_accum.valueChanged.connect(lambda v: self._train(grad_accum=v))
        self.allocator.currentIndexChanged.connect(lambda: self._train(allocator=self.allocator.currentData()))
        self.model_filter.textChanged.connect(self._fill_models)
        self.model.currentIndexChanged.connect(lambda: self._edit(self.state.set_model, self.model.currentData()))
        self.gpu.currentIndexChanged.connect(lambda: self._edit(self.state.set_gpu, self.gpu.currentData()))
        self.gpus.valueChanged.connect(self._gpus_changed)
        self.pipeline.valueChanged.connect(lambda v: self._update(pipeline=v))
        self.weights.currentIndexChanged.connect(lambda: self._update(weights=self.weights.currentData()))
        self.kv.currentIndexChanged.connect(lambda: self._update(kv_dtype=self.kv.currentData()))
        self.engine.currentIndexChanged.connect(lambda: self._update(engine=self.engine.currentData()))
        self.attention.currentIndexChanged.connect(
            lambda: self._update(attention=self.attention.currentData() or None))
        self.host.currentIndexChanged.connect(lambda: self._update(host=self.host.currentData() or None))
        self.prompt.valueChanged.connect(lambda v: self._update(prompt_tokens=v))
        self.cached.valueChanged.connect(lambda v: self._update(cached_tokens=v))
        self.output.valueChanged.connect(lambda v: self._update(output_tokens=v))
        self.batch.valueChanged.connect(lambda v: self._update(batch=v))
        self.util.valueChanged.connect(lambda v: self._update(gpu_util=v or None))
        self.reserved.valueChanged.connect(lambda v: self._update(reserved_mib=float(v)))
        state.changed.connect(self.sync)
        state.catalog_changed.connect(self.refill)
        state.refused.connect(self._say)
        self.retranslate()

    # --- texts ---------------------------------------------------------------------------
    def _row(self, field, key=None) -> None:
        """A form row whose label :meth:`retranslate` writes (keyed by its field, or ``key``)."""
        label = QtWidgets.QLabel()
        self.labels[key or field] = label
        self.form.addRow(label, field)

    def retranslate(self) -> None:
        """Every text of the panel in the current language (again on Qt's ``LanguageChange``)."""
        self._label_rows()
        self._name_choices()
        self._set_tips()
        self.pipeline_label.setText(self.tr("stages"))
        self._ram_flag_texts = {False: self.tr("pinned"), True: self.tr("experts only")}
        size = QtCore.QSize()
        for text in self._ram_flag_texts.values():        # (the wider of the two: the box keeps one size)
            self.ram_flag.setText(text)
            size = size.expandedTo(self.ram_flag.sizeHint())
        self.ram_flag.setFixedSize(size)
        self.ram_flag.setText("")             # (sync() writes the engine's, and its tip)
        self.model_filter.setPlaceholderText(self.tr("Filter models…"))
        self.import_button.setText(self.tr("Import…"))
        self._show_default_share(self.state.scenario)
        self.ram.setSpecialValueText(self.tr("no offload"))
        self.ram_bw.setSpecialValueText(self.tr("platform default"))
        self.price.setSpecialValueText(self.tr("not set"))
        self.cached.setSpecialValueText(self.tr("none"))
        self.kbit_upcast.setText(self.tr("16-bit weights in fp32"))
        self.mamba_kernels.setText(self.tr("mamba-ssm kernels"))
        self.padded.setText(self.tr("padded micro-batches"))
        self._compare_text()
        self._fill_gpus()
        self.sync()
        self.name_controls()
        for w, name in ((self.model, self.tr("Model")), (self.model_filter, self.tr("Filter models")),
                        (self.compare, self.tr("Compare cards")), (self.prompt.slider, self.tr("Prompt tokens")),
                        (self.output.slider, self.tr("Output tokens")), (self.batch.slider, self.tr("Batch size")),
                        (self.seq.slider, self.tr("Sequence length")),
                        (self.micro_batch.slider, self.tr("Micro-batch"))):
            w.setAccessibleName(name)

    def show_cost(self, text: str, tip: str) -> None:
        """The cost read-out under the price (empty without a price)."""
        if text != self.cost.text():
            self.cost.setText(text)
        if tip != self.cost.toolTip():
            self.cost.setToolTip(tip)

    def _label_rows(self) -> None:
        for key, text in (
                (self.mode, self.tr("Mode")), ("model", self.tr("Model")), (self.gpu, self.tr("GPU")),
                (self.gpus, self.tr("Number of GPUs")), (self.weights, self.tr("Weights")),
                (self.kv, self.tr("KV cache")), (self.engine, self.tr("Engine")),
                (self.attention, self.tr("Attention")), (self.host, self.tr("Host CPU")),
                (self.prompt, self.tr("Prompt tokens")),
                (self.cached, self.tr("Of them cached")),
                (self.output, self.tr("Output tokens")), (self.batch, self.tr("Batch size")),
                (self.util, self.tr("Memory cap")), (self.reserved, self.tr("Already used")),
                (self.method, self.tr("Method")), (self.optimizer, self.tr("Optimizer")),
                (self.optimizer_step, self.tr("Optimizer step")),
                (self.lora_rank, self.tr("LoRA rank")), (self.lora_targets, self.tr("LoRA targets")),
                (self.kbit_upcast, self.tr("QLoRA upcast")),
                (self.checkpointing, self.tr("Checkpointing")), (self.train_attention, self.tr("Attention")),
                (self.mamba_kernels, self.tr("Mamba-2 layers")),
                (self.zero, self.tr("ZeRO")), (self.seq, self.tr("Sequence length")),
                (self.micro_batch, self.tr("Micro-batch")), (self.padded, self.tr("Padding")),
                (self.grad_accum, self.tr("Gradient accumulation")), (self.allocator, self.tr("PyTorch allocator")),
                (self.ram, self.tr("System RAM")),
                (self.ram_bw, self.tr("RAM bandwidth")),
                (self.price, self.tr("Price / card-hour"))):
            self.labels[key].setText(text)
        # the weights-in-RAM row: llama.cpp's experts, or vLLM's and SGLang's GiB; its label as wide as the wider
        # text, so that the engine changes it without a new layout
        label = self.labels[self.moe_in_ram]
        self._in_ram_texts = (self.tr("Experts in RAM"), self.tr("Weights in RAM"))
        label.setMinimumSize(0, 0)
        label.setMaximumSize(16_777_215, 16_777_215)      # (QWIDGETSIZE_MAX)
        widths = []
        for text in self._in_ram_texts:
            label.setText(text)
            widths.append(label.sizeHint().width())
        # (as high as its field, centred on it as the other rows' labels are)
        label.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
        label.setFixedSize(max(widths), max(label.sizeHint().height(), self.in_ram.sizeHint().height()))
        label.setText(self._in_ram_texts[takes_cpu_offload_gb(self.state.scenario.engine)])

    def _name_choices(self) -> None:
        _name(self.mode, {"inference": self.tr("Inference"), "training": self.tr("Fine-tuning")})
        model = self.state.scenario.model
        _name(self.weights, {**{f: core_name(named_format(f, model).name) for f in WEIGHT_FORMATS},
                             "file": self.tr("As stored in the imported file")})
        self._named_for = model.fp4_weight_only
        _name(self.kv, {k.id: core_name(k.name) for k in KV_DTYPES.values()})
        _name(self.engine, {e.id: core_name(e.name) for e in ENGINES.values()})
        rocm = self.tr(". On AMD cards (ROCm) its decode draws {share} % of the bandwidth (measured on an "
                       "MI300X)").format(share=num(BW_EFFICIENCY["vllm-rocm"] * 100, 0))
        engine_tips = {
            "generic": self.tr("Textbook estimate: no engine's allocations or overheads"),
            "hf": self.tr("model.generate() in PyTorch: the cache grows with the tokens; Python launches every "
                          "kernel (about {desktop} ms a layer on a desktop, {server} ms on a data-centre card's "
                          "server)").format(**_host_ms()),
            "vllm": self.tr("Serving engine: 92 % of the card (90 % before 2026), the rest after weights becomes KV "
                            "blocks; steps run as CUDA graphs") + rocm,
            "sglang": self.tr("Serving engine: a static share of the free memory (mem_fraction_static, by default "
                              "from the card's size) holds the weights and the KV pool; activations and CUDA graphs "
                              "run in the rest") + rocm,
            "llamacpp": self.tr("Current builds (llama-server, llama-cli): the whole context's cache at load, flash "
                                "attention on, logits for one token a sequence; decode measured per backend (CUDA "
                                "graphs on NVIDIA, Metal on Apple, ROCm on AMD)"),
            "llamacpp-2023": self.tr("Builds before May 2024 (Dec 2023 measurements): the host launches every op, "
                                     "about 0.2 ms a layer; logits for every token of a batch, as llama-bench still "
                                     "reserves"),
            "ollama": self.tr("Ollama as installed: llama.cpp's llama-server with the whole context Ollama picks by "
                              "the GPU memory it sees (4K tokens under 23 GiB, 32K under 47 GiB, else 256K, at most "
                              "the model's own), 1 GiB left free on each card, and about 0.9 ms a token of sampling "
                              "on the CPU"),
            "ollama-num-ctx": self.tr("Ollama with num_ctx set (a request's options, a Modelfile, "
                                      "OLLAMA_CONTEXT_LENGTH; Open WebUI sends 2,048 by default): the context is "
                                      "prompt + output"),
            "llamacpp-vulkan": self.tr("The Vulkan build (any vendor's card, AMD on Windows): the same memory; decode "
                                       "measured on 2025-2026 builds, Intel cards apart"),
        }
        for i in range(self.engine.count()):
            self.engine.setItemData(i, engine_tips.get(self.engine.itemData(i), ""), QtCore.Qt.ItemDataRole.ToolTipRole)
        _name(self.attention, {"": self.tr("engine default"), "eager": "eager", "sdpa": "sdpa", "flash": "flash"})
        self._host_names = {"": self.tr("auto ({host})"), "desktop": self.tr("desktop"),
                            "server": self.tr("server"), "older-server": self.tr("older server")}
        _name(self.host, {k: v.format(host=self.tr("server")) if not k else v for k, v in self._host_names.items()})
        _name(self.method, {"full": self.tr("Full fine-tuning"), "lora": "LoRA",
                            "qlora": self.tr("QLoRA (NF4 base)")})
        _name(self.optimizer, {"adamw": self.tr("AdamW (mixed precision)"), "adamw-bf16": self.tr("AdamW (pure bf16)"),
                               "adamw-8bit": self.tr("AdamW 8-bit"), "adafactor": "Adafactor",
                               "sgd-momentum": self.tr("SGD + momentum"), "sgd": "SGD"})
        _name(self.optimizer_step, {"fused": self.tr("fused (in place)"),
                                    "foreach": self.tr("foreach (PyTorch's default)")})
        _name(self.checkpointing, {"none": self.tr("off"), "selective": self.tr("selective"),
                                   "full": self.tr("full")})
        _name(self.train_attention, {"flash": "flash", "sdpa": "sdpa", "eager": "eager"})
        _name(self.zero, {0: self.tr("off"), 1: "ZeRO-1", 2: "ZeRO-2", 3: "ZeRO-3 / FSDP"})
        _name(self.allocator, {"caching": self.tr("caching (default)"), "expandable": self.tr("expandable segments")})

    def _set_tips(self) -> None:
        # the box beside System RAM: llama.cpp's pinned RAM, or under vLLM and SGLang the experts alone (sync() shows
        # the engine's text and tip)
        self._ram_flag_tips = {
            False: self.tr("The weights in RAM are in pinned host memory (llama.cpp --no-mmap, or "
                           "GGML_CUDA_REGISTER_HOST=1): a prompt's passes copy them to the card at "
                           "{pinned} % of its link, not {mapped} % (measured). Under vLLM and SGLang, which pin them "
                           "anyway, the box reads experts only").format(
                pinned=num(PINNED_COPY_EFFICIENCY * 100, 0), mapped=num(PCIE_COPY_EFFICIENCY * 100, 0)),
            True: self.tr("vLLM, an MoE model: only the routed experts' weights go to RAM "
                          "(--cpu-offload-params with their names, e.g. w13_weight w2_weight), "
                          "and a step reads there only the experts its tokens use; without it the "
                          "offloader takes every weight of the first layers, attention and router "
                          "too, which every token reads (vLLM issue 54593: 4.26 tokens/s, with "
                          "the experts only 9.46). Greyed under SGLang and HF transformers and for dense models; "
                          "llama.cpp's pinned RAM under the engines that split layers")}
        for w, tip in (
                (self.mode, self.tr("Plan serving (memory and speed) or fine-tuning (weights, gradients, "
                                    "optimizer states, activations)")),
                (self.model_filter, self.tr("Type part of a model's name or family to shorten the list")),
                (self.model, self.tr("Model preset (built-in presets grouped by family, then your own)")),
                (self.import_button, self.tr("Import a config.json, .safetensors, model.safetensors.index.json or "
                                             ".gguf (only headers are read); you can also drop files on the window")),
                (self.gpu, self.tr("The card to plan for; choosing a row in the fit table does the same")),
                (self.compare, self.tr("Draw up to four more cards' capacity and usable memory on the memory chart")),
                (self.weights, self.tr("Weight format: effective bits include group scales and zeros; 'as stored' "
                                       "uses the exact bytes of an imported .safetensors or .gguf file")),
                (self.kv, self.tr("Element type of the KV cache; the types the engine has no flag for are greyed "
                                  "(vLLM and SGLang: 16-bit and FP8; llama.cpp and MLX: no FP8; Ollama: FP16, Q8_0, "
                                  "Q4_0; llama.cpp's builds of 2023: FP16, FP32), and Q8_0 and Q4_0 under llama.cpp "
                                  "and Ollama with eager attention, which need flash attention")),
                (self.engine, self.tr("Engine profile: what the engine allocates and when (hover the breakdown "
                                      "for details)")),
                (self.attention, self.tr("Eager attention materialises the score matrix (quadratic in the prompt); "
                                         "sdpa/flash do not. Eager is greyed under vLLM, SGLang and MLX, whose "
                                         "attention is always fused, and under llama.cpp and Ollama with a Q8_0 or "
                                         "Q4_0 cache, which needs flash attention")),
                (self.host, self.tr("HF transformers launches every kernel from Python on one CPU core, which "
                                    "bounds its decode from below: about {desktop} ms a layer on a desktop, {server} "
                                    "on a server, {older} on an older server (those of the cards before 2020: V100, "
                                    "T4). Auto goes by the card: data-centre cards sit in servers of their years, the "
                                    "others in desktops. The other engines launch a step at once: no effect")
                 .format(**_host_ms())),
                (self.prompt, self.tr("Prompt tokens per sequence (log scale)")),
                (self.cached, self.tr("Tokens at the start of the prompt already in the KV cache (a chat's earlier "
                                      "turns, a system prompt the engine's prefix cache kept): only the rest is "
                                      "prefilled, so the time to first token falls; the memory holds the whole "
                                      "prompt either way. At most the prompt less one token")),
                (self.output, self.tr("Generated tokens per sequence (log scale)")),
                (self.batch, self.tr("Concurrent sequences (log scale, 1-1024; type more in the box)")),
                (self.pipeline, self.tr("Pipeline-parallel stages the cards form: each stage holds a share of "
                                        "the layers on cards / stages cards (tensor parallel within it); a step "
                                        "passes every stage, the batch is split into one micro-batch per stage. "
                                        "vLLM, SGLang and the generic engine; HF and llama.cpp split the layers "
                                        "over the cards already")),
                (self.util, self.tr("Share of the card the engine may use (vLLM gpu_memory_utilization; SGLang "
                                    "mem_fraction_static, a share of the free memory)")),
                (self.reserved, self.tr("Memory other programs already hold on each card (desktop, other jobs)")),
                (self.method, self.tr("Which weights train: all of them, or low-rank adapters on a 16-bit or "
                                      "4-bit base")),
                (self.optimizer, self.tr("Optimizer states per trainable parameter: 12 bytes for mixed-precision "
                                         "AdamW down to none for plain SGD")),
                (self.optimizer_step, self.tr("AdamW's step: fused updates in place (fused=True, HF's Trainer); "
                                              "torch.optim.AdamW's default (foreach) takes the square root of "
                                              "every second moment into a new tensor once the activations are "
                                              "freed: one more moment's bytes a parameter, when that exceeds "
                                              "them")),
                (self.lora_rank, self.tr("LoRA rank r: each adapted matrix gains r × (d_in + d_out) parameters")),
                (self.lora_targets, self.tr("Adapted matrices, comma-separated: q, k, v, o, gate, up, down, in_proj, "
                                            "out_proj (the recurrent mixers of hybrid models) or all-linear; a "
                                            "module that holds several (Phi-3's qkv_proj, gate_up_proj) is adapted "
                                            "whole where any of them is named")),
                (self.kbit_upcast, self.tr("QLoRA: peft's prepare_model_for_kbit_training casts the weights left "
                                           "in 16 bits (embeddings, LM head, norms) to fp32, two bytes more each; "
                                           "TRL's SFTTrainer, Axolotl and the QLoRA scripts call it, torchtune and "
                                           "Unsloth do not")),
                (self.checkpointing, self.tr("Gradient checkpointing: recompute activations in the backward pass")),
                (self.train_attention, self.tr("flash: flash attention (attn_implementation=\"flash_attention_2\"); "
                                               "sdpa: PyTorch's SDPA, the same figures for most models (Falcon's "
                                               "one key/value head takes its math path, fp32 scores); eager stores "
                                               "the s² score matrix per layer")),
                (self.padded, self.tr("Micro-batches of several sequences padded to their longest, as a collator "
                                      "pads them (an attention mask with zeros): transformers' SDPA then keeps the "
                                      "mask in every layer and repeats the keys and values to every head; unchecked, "
                                      "packed sequences or sequences of one length (no mask)")),
                (self.mamba_kernels, self.tr("Mamba-2 layers through mamba-ssm's fused kernel (mamba-ssm and "
                                             "causal-conv1d installed), which keeps the input projection's output "
                                             "and the scan's output and recomputes the rest; unchecked, "
                                             "transformers' torch path, ten times as much or more (read from "
                                             "mamba-ssm's source, not measured on a GPU)")),
                (self.zero, self.tr("Shard optimizer states (1), gradients (2) and weights (3) across the "
                                    "data-parallel cards")),
                (self.seq, self.tr("Tokens per training sequence (log scale)")),
                (self.micro_batch, self.tr("Sequences per card per step (log scale)")),
                (self.grad_accum, self.tr("Micro-batches summed into one optimizer step: from the second on, the "
                                          "gradients stay in memory through the forward pass")),
                (self.allocator, self.tr("PyTorch's allocator: its default caching pool needs about {caching} % of a "
                                         "step's transient memory on top of what it allocates; expandable segments "
                                         "(PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True) about {expandable} %")
                 .format(**{k: num(100 * v) for k, v in ALLOCATOR_FRACTION.items()})),
                (self.ram, self.tr("System RAM (GB): plan a partial offload — llama.cpp runs the layers that do "
                                   "not fit on the card from RAM; vLLM, SGLang and HF transformers keep the weights "
                                   "that do not fit there and move them to the card for every pass")),
                (self.moe_in_ram, self.tr("Where an MoE model's expert tensors live, attention and the rest staying "
                                          "on the GPU: auto, as current llama-server's --fit places them (the "
                                          "experts of as few layers as needed in RAM); the first N layers' "
                                          "(--n-cpu-moe N, every layer on the GPU: -ngl 99); or all layers' "
                                          "(--cpu-moe). llama.cpp's: greyed under vLLM, SGLang and HF "
                                          "transformers, which keep whole weights in RAM, under Ollama, which "
                                          "takes no such flag (whole layers move), under 2023's builds and MLX")),
                (self.weights_in_ram, self.tr("vLLM and SGLang: the GiB of weights each card keeps in RAM and "
                                              "moves to the card for every pass (their --cpu-offload-gb): auto, the "
                                              "least that lets the rest fit; more leaves room for the cache and "
                                              "reads more every step; less than the rest needs does not run")),
                (self.ram_bw, self.tr("System RAM bandwidth for the offloaded layers (default: dual-channel "
                                      "DDR5-4800, 76.8 GB/s; unified memory: the chip's). Greyed under vLLM, "
                                      "SGLang and HF transformers: no layer runs from RAM, the card's link bounds "
                                      "them")),
                (self.price, self.tr("What one card costs you per hour (cloud price or your own amortised cost, "
                                     "any currency): the cost of a million generated tokens is shown below it. "
                                     "vramgui ships no prices"))):
            w.setToolTip(tip)

    # --- building --------------------------------------------------------------------
    @staticmethod
    def _header(combo: QtWidgets.QComboBox, text: str) -> None:
        combo.addItem(text, None)
        item = combo.model().item(combo.count() - 1)
        item.setFlags(QtCore.Qt.ItemFlag.NoItemFlags)
        font = item.font()
        font.setBold(True)
        item.setFont(font)

    def _fill_gpus(self) -> None:
        cat = self.state.catalog
        with QtCore.QSignalBlocker(self.gpu):
            self.gpu.clear()
            for category in ("datacenter", "workstation", "consumer", "apple", "custom"):
                gpus = sorted((g for g in cat.gpus.values() if g.category == category),
                              key=lambda g: (-g.memory_mib, g.name))
                if not gpus:
                    continue
                self._header(self.gpu, translate("Formats", CATEGORIES[category]))
                for g in gpus:
                    mark = "  ★" if g.id in cat.user_ids else ""
                    size = f"({num(g.memory_mib * 2**20 / GIB)} GiB)"
                    self.gpu.addItem(card_entry(g.name, size, mark), g.id)
                    self.gpu.setItemData(self.gpu.count() - 1, (g.name, size, mark), FittingCombo.CARD_ROLE)
        _select(self.gpu, self.state.scenario.gpu.id)

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

    def refill(self) -> None:
        """The catalog changed (an import, a user preset): rebuild the pickers."""
        self._fill_models(self.model_filter.text())
        self._fill_gpus()
        self.sync()

    # --- editing -------------------------------------------------------------------------
    def _gpus_changed(self, v: int) -> None:
        if self.state.mode == "training":
            self._train(n_gpus=v)
        else:
            self._update(n_gpus=v)

    def _train(self, **change) -> None:
        if self.state.update_training(**change):
            self._clear_message()

    def _show_host(self, s) -> None:
        """The host picker: the scenario's, its first entry naming the card's kind; greyed for other engines than
        HF transformers (their host does not bound the step)."""
        _select(self.host, s.host or "")
        hf = s.engine == "hf"
        if self.host.isEnabled() != hf:
            self.host.setEnabled(hf)
        text = self._host_names[""].format(host=self._host_names[card_host(s.gpu)])
        if self.host.itemText(0) != text:
            self.host.setItemText(0, text)

    def _update(self, **change) -> None:
        if self.state.update(**change):
            self._clear_message()

    def _edit(self, setter, ident) -> None:
        if ident and setter(ident):
            self._clear_message()

    def _clear_message(self) -> None:
        """(QLabel.clear re-lays out the window even when there is nothing to clear.)"""
        if self.message.text():
            self.message.clear()
            self.form.setRowVisible(self.message, False)

    def _say(self, text: str) -> None:
        """Why an edit was refused, under the controls."""
        self.message.setText(text)
        self.form.setRowVisible(self.message, bool(text))

    def _compare_changed(self) -> None:
        ids = [a.data() for a in self.compare.menu().actions() if a.isChecked()]
        if len(ids) > 4:
            sender = self.sender()
            with QtCore.QSignalBlocker(sender):
                sender.setChecked(False)
            self._say(self.tr("At most four cards can be compared at once."))
            return
        self._compare_text()
        self.state.set_compare(ids)

    def _compare_text(self) -> None:
        n = sum(a.isChecked() for a in self.compare.menu().actions())
        self.compare.setText(self.tr("Compare with… ({n})").format(n=n) if n else self.tr("Compare with…"))

    def name_controls(self) -> None:
        """Accessible names for screen readers: each control is named after its form label
        (again after a language change)."""
        for row in range(self.form.rowCount()):
            label = self.form.itemAt(row, QtWidgets.QFormLayout.ItemRole.LabelRole)
            field = self.form.itemAt(row, QtWidgets.QFormLayout.ItemRole.FieldRole)
            widget = field.widget() if field else None
            text = label.widget().text() if label and label.widget() else ""
            if widget is not None and text:
                widget.setAccessibleName(text)
                widget.setAccessibleDescription(widget.toolTip())

    def _ram_flag_toggled(self, checked: bool) -> None:
        """The box beside System RAM: under vLLM and SGLang the experts alone in RAM, else llama.cpp's pinned RAM."""
        if self.state.scenario.engine in COPIED_OFFLOAD:
            self.state.set_offload(experts_only=checked)
        else:
            self.state.set_offload(pinned=checked)

    def sync(self) -> None:
        """Show the state's scenario in every control, without echoing edits back."""
        training = self.state.mode == "training"
        _select(self.mode, self.state.mode)
        # Each call below that changes nothing would still ask the window for a new layout
        # (and so repaint all of it) on every edit: only real changes are made.
        if self._rows_for != training:
            self._rows_for = training
            for w in self.inference_rows:
                self.form.setRowVisible(w, not training)
            for w in self.training_rows:
                if w is not self.mamba_kernels and w is not self.padded:
                    self.form.setRowVisible(w, training)
        # (the mamba-ssm kernels box only for a model with Mamba-2 layers, in fine-tuning)
        mamba_row = training and mamba2_torch_layers(self.state.training.model.architecture) > 0
        if self._mamba_row != mamba_row:
            self._mamba_row = mamba_row
            self.form.setRowVisible(self.mamba_kernels, mamba_row)
        # (the padding box only where it changes the figures: transformers' SDPA, in fine-tuning)
        padded_row = training and self.state.training.attention == "sdpa"
        if self._padded_row != padded_row:
            self._padded_row = padded_row
            self.form.setRowVisible(self.padded, padded_row)
        self.gpus.setToolTip(self.tr("Data-parallel cards (ZeRO shards states across them)") if training else
                             self.tr("Cards the model is split over (tensor parallel for vLLM/generic, layer split "
                                     "for HF and llama.cpp)"))
        t = self.state.training
        for combo, value in ((self.method, t.method), (self.optimizer, t.optimizer),
                             (self.optimizer_step, t.optimizer_step),
                             (self.checkpointing, t.checkpointing), (self.train_attention, t.attention),
                             (self.zero, t.zero), (self.allocator, t.allocator)):
            _select(combo, value)
        if self.grad_accum.value() != t.grad_accum:
            with QtCore.QSignalBlocker(self.grad_accum):
                self.grad_accum.setValue(t.grad_accum)
        if self.lora_rank.value() != t.lora_rank:
            with QtCore.QSignalBlocker(self.lora_rank):
                self.lora_rank.setValue(t.lora_rank)
        targets = ",".join(shown_targets(t.lora_targets))
        if not self.lora_targets.hasFocus() and self.lora_targets.text() != targets:
            self.lora_targets.setText(targets)
        for w in (self.lora_rank, self.lora_targets):
            w.setEnabled(t.method != "full")
        if self.kbit_upcast.isChecked() != t.kbit_upcast:
            with QtCore.QSignalBlocker(self.kbit_upcast):
                self.kbit_upcast.setChecked(t.kbit_upcast)
        self.kbit_upcast.setEnabled(t.method == "qlora")
        for box, value in ((self.mamba_kernels, t.mamba_kernels), (self.padded, t.padded)):
            if box.isChecked() != value:
                with QtCore.QSignalBlocker(box):
                    box.setChecked(value)
        self.optimizer_step.setEnabled(t.optimizer in FOREACH_STEP_BYTES)
        for w, v in ((self.seq, t.seq), (self.micro_batch, t.batch)):
            if w.value() != v:
                w.setValue(v)
        s = self.state.scenario
        fw = s.model.file_weights
        self.provenance.setText(s.model.source if fw is None else
                                self.tr("{source} · {size} GiB in {n} tensors ({dtype})").format(
                                    source=s.model.source, size=num(fw.total_bytes / GIB, 2),
                                    n=integer(fw.n_tensors), dtype=fw.main_dtype))
        note = s.model.source_note
        self.provenance.setToolTip(s.model.source if not note or note == s.model.source else
                                   f"{s.model.source}\n\n{note}")
        note = layout_note(s.model.architecture)   # stays beside the picker while the model is chosen
        up_projected = pre_mla_gguf_note(s.model)
        lines = ([self.tr("Not fully checked: part of the count is estimated (see the tooltip).")] if note else []) + \
            ([self.tr("Pre-MLA GGUF: llama.cpp caches full keys and values (see the tooltip).")] if up_projected
             else [])
        self.caution.setText("\n".join(lines))
        self.caution.setToolTip("\n\n".join(t for t in (note, up_projected) if t))
        self.caution.setVisible(bool(lines))
        if s.model.fp4_weight_only != self._named_for:       # (NVFP4 as the model's config says it multiplies)
            _name(self.weights, {"nvfp4": core_name(named_format("nvfp4", s.model).name)})
            self._named_for = s.model.fp4_weight_only
        item = self.weights.model().item(self.weights.findData("file"))
        if item.isEnabled() != (fw is not None):
            item.setEnabled(fw is not None)
        _select(self.model, s.model.id)
        _select(self.gpu, s.gpu.id)
        _select(self.weights, s.weights)
        _select(self.kv, s.kv_dtype)
        _select(self.engine, s.engine)
        _select(self.attention, s.attention or "")
        eager = self.attention.model().item(self.attention.findData("eager"))      # (core.engines.NO_EAGER_ATTENTION,
        has_eager = s.engine not in NO_EAGER_ATTENTION and takes_kv(s.engine, s.kv_dtype, "eager")   # KV_NEEDS_FLASH)
        if eager.isEnabled() != has_eager:
            eager.setEnabled(has_eager)
        kv_items = self.kv.model()                                                  # (core.engines.KV_TYPES)
        for i in range(self.kv.count()):
            takes = takes_kv(s.engine, self.kv.itemData(i), s.attention_impl)
            if kv_items.item(i).isEnabled() != takes:
                kv_items.item(i).setEnabled(takes)
        self._show_host(s)
        limit = max(4 * s.model.architecture.max_context, 1024)
        self.prompt.setRange(0, limit)
        for w, v in ((self.prompt, s.prompt_tokens), (self.output, s.output_tokens), (self.batch, s.batch)):
            if w.value() != v or w.slider.value() != w._to_pos(v):
                w.setValue(v)
        n = t.n_gpus if training else s.n_gpus
        if self.ram.value() != self.state.ram_gb:
            with QtCore.QSignalBlocker(self.ram):
                self.ram.setValue(self.state.ram_gb)
        bw = self.state.ram_bandwidth_gb_s or 0.0       # (0: the box's "platform default")
        if self.ram_bw.value() != bw:
            with QtCore.QSignalBlocker(self.ram_bw):
                self.ram_bw.setValue(bw)
        if self.price.value() != self.state.price_per_card_hour:
            with QtCore.QSignalBlocker(self.price):
                self.price.setValue(self.state.price_per_card_hour)
        layers = s.model.architecture.num_layers
        moe = layers if self.state.experts_on_cpu else self.state.n_cpu_moe
        moe = MoeLayersSpin.AUTO if moe is None else min(moe, layers)
        if self.moe_in_ram.layers != layers or self.moe_in_ram.value() != moe:
            with QtCore.QSignalBlocker(self.moe_in_ram):
                same = self.moe_in_ram.value() == moe
                self.moe_in_ram.layers = layers
                self.moe_in_ram.setValue(moe)
                if same:        # (the same value, whose words may name the new model's layers)
                    self.moe_in_ram.lineEdit().setText(self.moe_in_ram.textFromValue(moe))
        # llama.cpp's offload settings: an engine that keeps whole weights in RAM for every pass runs no layer there
        # (core.engines.COPIED_OFFLOAD: vLLM and SGLang pin them, HF does not; the card's link bounds them); the row
        # of the experts in RAM gives vLLM and SGLang the GiB a card keeps there instead (--cpu-offload-gb)
        copies = s.engine in COPIED_OFFLOAD
        # (an engine that places nothing in RAM, MLX, or HF transformers with NVFP4 weights: every offload setting
        # greyed, kept for the next engine and format)
        offloads = offloads_to_ram(s.engine, s.weights)
        if self.ram.isEnabled() != offloads:
            self.ram.setEnabled(offloads)
        # (the experts' own flags: llama.cpp's current builds, not Ollama's nor 2023's, core.engines.NO_CPU_MOE)
        self.moe_in_ram.setEnabled(takes_cpu_moe(s.engine) and s.model.architecture.moe is not None)
        self.ram_bw.setEnabled(offloads and not copies)
        # the box beside System RAM: llama.cpp's pinned, or under vLLM and SGLang the experts alone (vLLM's, an MoE's)
        flag = self.ram_flag
        if flag.text() != self._ram_flag_texts[copies]:
            flag.setText(self._ram_flag_texts[copies])
            flag.setToolTip(self._ram_flag_tips[copies])
        checked = self.state.experts_only if copies else self.state.pinned
        if flag.isChecked() != checked:
            with QtCore.QSignalBlocker(flag):
                flag.setChecked(checked)
        flag.setEnabled(offloads_experts_only(s.engine, s.model) if copies else offloads)
        gib = takes_cpu_offload_gb(s.engine)
        shown = self.weights_in_ram if gib else self.moe_in_ram
        if self.in_ram.currentWidget() is not shown:
            self.in_ram.setCurrentWidget(shown)
        label = self.labels[self.moe_in_ram]
        if label.text() != self._in_ram_texts[gib]:
            label.setText(self._in_ram_texts[gib])
        want = WeightsInRamSpin.AUTO if self.state.cpu_offload_gib is None else round(self.state.cpu_offload_gib, 1)
        if self.weights_in_ram.value() != want:
            with QtCore.QSignalBlocker(self.weights_in_ram):
                self.weights_in_ram.setValue(want)
        # stages with a tensor-parallel engine only, greyed (not hidden) with another: hiding them widened the
        # card count's box and laid the whole panel out again on every such engine change; none in fine-tuning
        staged = s.profile.parallel == "tensor"
        for w in (self.pipeline, self.pipeline_label):
            if w.isVisibleTo(self) == training:
                w.setVisible(not training)
            if w.isEnabled() != staged:
                w.setEnabled(staged)
        # the prefix the estimate keeps (core.speed.prompt_split): a larger one is shown clamped, and the scenario
        # keeps it for a longer prompt again.  (The box's range stays: a new maximum would change its width hint
        # and lay the whole window out again on every prompt edit.)
        kept = int(prompt_split(s.prompt_tokens, s.cached_tokens)[1])
        for w, v in ((self.gpus, n), (self.pipeline, s.pipeline), (self.util, s.gpu_util or 0.0),
                     (self.reserved, int(s.reserved_mib)), (self.cached, kept)):
            if w.value() != v:
                with QtCore.QSignalBlocker(w):
                    w.setValue(v)
        self._show_default_share(s)
        self._show_parallel_caution(s, training)
        self._show_batch_caution(s, training)
        self._show_engine_caution(s, training)
        self._show_lora_caution(training)
        self._show_attention_caution(training)

    def _show_attention_caution(self, training: bool) -> None:
        """Below the fine-tuning attention: a model transformers has no SDPA path for runs eager unless a
        flash-attention implementation is asked for, or eager only; SDPA's math path (Falcon's one key/value head);
        Gated DeltaNet, Mamba-2 and Mamba layers counted as
        transformers' torch path runs them; other recurrent layers counted as attention layers
        (core.training.attention_cautions)."""
        t = self.state.training
        cautions = attention_cautions(t.model.architecture, t.attention, t.mamba_kernels) if training else ()
        lines = {"sdpa_math": self.tr("SDPA takes PyTorch's math path here: fp32 scores (see the tooltip)."),
                 "wide_heads": self.tr("Heads wider than flash-attn takes: choose sdpa (see the tooltip)."),
                 "no_flash": self.tr("transformers has no flash attention for this model: choose sdpa (see the "
                                     "tooltip)."),
                 "gdn_torch": self.tr("Gated DeltaNet layers: transformers' torch path, without fla (see the "
                                      "tooltip)."),
                 "mamba2_torch": self.tr("Mamba-2 layers: transformers' torch path, without mamba-ssm (see the "
                                         "tooltip)."),
                 "mamba2_kernels": self.tr("Mamba-2 layers: mamba-ssm's kernel, read from its source (see the "
                                           "tooltip)."),
                 "mamba1_torch": self.tr("Mamba layers: transformers' torch path, without mamba-ssm (see the "
                                         "tooltip)."),
                 "as_attention": self.tr("Recurrent layers counted as attention layers: not modelled (see the "
                                         "tooltip).")}
        lines = [self._no_sdpa_line(t.model.architecture.model_type) if kind == "no_sdpa" else lines[kind]
                 for kind, _ in cautions]
        self._show_caution(self.attention_caution, lines, [text for _, text in cautions])

    def _no_sdpa_line(self, model_type: str) -> str:
        """A caution's line for a model HF transformers has no SDPA path for (core.engines.HF_NO_SDPA): eager unless
        asked for flash attention, or eager only."""
        return (self.tr("transformers runs this model eager unless asked for flash attention.")
                if HF_NO_SDPA[model_type] else self.tr("transformers runs this model with eager attention only."))

    def _show_lora_caution(self, training: bool) -> None:
        """Below the LoRA targets: peft refusing the plain module names on a checkpoint whose vision tower takes them
        (core.training.lora_names_note), refusing gate without up where the routed experts fuse them, or adapting
        every routed expert through their fused parameters (lora_refusal, fused_expert_targets); the tooltip says
        how and gives the source."""
        lines, tips = [], []
        t = self.state.training
        a = t.model.architecture
        lora = training and t.method != "full"
        names = lora_names_note(a, t.lora_targets) if lora else None
        if names:
            lines.append(self.tr("peft refuses the plain module names on this checkpoint: name the language "
                                 "model's."))
            tips.append(names)
        refusal = lora_refusal(a, t.adapted_targets) if lora else None
        if refusal and refuses_out_proj(a, t.adapted_targets):
            lines.append(self.tr("peft refuses out_proj on this model's Mamba layers."))
            tips.append(refusal)
        elif lora and a.moe is not None:
            if refusal:
                lines.append(self.tr("peft refuses gate without up (or up without gate) on this model."))
                tips += [refusal, TRAINING_SOURCES["lora_routed"]]
            elif fused_expert_targets(a, t.adapted_targets):
                lines.append(self.tr("LoRA adapts every routed expert here, and each layer keeps a copy of its "
                                     "experts for the backward pass."))
                tips += [routed_lora_text(t), TRAINING_SOURCES["lora_routed"], TRAINING_SOURCES["lora_fused_act"]]
        self._show_caution(self.lora_caution, lines, tips)

    def _show_parallel_caution(self, s, training: bool) -> None:
        """Below the card count: where one tensor-parallel group spans nodes (its speeds assume the
        card's own links) and where an MLA model's latent is held on every card of the group
        (data-parallel attention would hold more sequences); the tooltip says more."""
        lines, tips = [], []
        k = 1 if training else s.tp_nodes
        if k > 1:
            run = CROSS_NODE_RUN
            lines.append(self.tr("TP {n} spans {k} nodes: decode likely slower than shown.").format(
                n=integer(s.tensor_parallel), k=integer(k)))
            tip = self.tr("A node joins {m} of these cards with their own links; a tensor-parallel group of {n} "
                          "sends its all-reduces over the network between nodes, which the speeds here do not "
                          "model. One measured run (DeepSeek R1 with SGLang on 2 nodes of 8 H100) took {ms} ms a "
                          "token, {x} times this model's figure.").format(m=integer(s.cards_per_node),
                                                                        n=integer(s.tensor_parallel),
                                                                        ms=num(run["tpot_ms"], 1),
                                                                        x=num(run["times_estimate"], 1))
            if s.node_stages:
                tip += " " + self.tr("Set stages to {stages} to keep each group within a node.").format(
                    stages=integer(s.node_stages))
            tips.append(tip)
        if not training and machines_note(s):          # (core.report.machines_note: a layer split over machines)
            k = s.nodes
            lines.append(self.tr("{n} cards are {k} machines: the network between them is not modelled.").format(
                n=integer(s.n_gpus), k=integer(k)))
            tips.append((self.tr("A machine holds {m} of these cards. llama.cpp joins several over the network with "
                                 "its RPC backend (rpc-server on each, --rpc host:port), whose round trips each token "
                                 "the speeds here do not model: they take the card's own link.")
                         if s.engine in LLAMACPP and s.engine not in OLLAMA else
                         self.tr("A machine holds {m} of these cards. {engine} runs on one machine and does not join "
                                 "several: the figures are as if one machine held them.")).format(
                m=integer(s.cards_per_node), engine=core_name(s.profile.name)))
        if not training and tp_split_note(s):          # (core.scenario.splits_heads)
            a = s.model.architecture
            lines.append(self.tr("TP {n} does not split the {h} heads: {engine} will not start.").format(
                n=integer(s.tensor_parallel), h=integer(a.num_heads),
                engine=tp_refusers(s)))
            sizes = s.split_sizes()
            tip = self.tr("Tensor parallel gives each card of a group an equal share of a layer's {h} attention "
                          "heads and {kv} KV heads (where the KV heads are fewer than the cards, an equal number of "
                          "cards holds a copy of each); {n} cards do not split them, and vLLM and SGLang refuse to "
                          "start. The memory and speed shown are as if it ran. Groups of {sizes} cards split them."
                          ).format(h=integer(a.num_heads), kv=integer(a.num_kv_heads), n=integer(s.tensor_parallel),
                                   sizes=", ".join(integer(n) for n in sizes))
            if s.split_stages:
                tip += " " + self.tr("Set stages to {stages} to split these cards so.").format(
                    stages=integer(s.split_stages))
            tips.append(tip)
        if not training and replicates_latent(s):
            d = DATA_PARALLEL_MLA
            lines.append(self.tr("Every card caches all sequences: DP attention holds up to {n}×.").format(
                n=integer(s.tensor_parallel)))
            tips.append(self.tr("This model's attention caches one latent per token (one KV head), which tensor "
                                "parallel cannot split: every card of the group holds every sequence's cache, so the "
                                "group caches what one card holds. Data-parallel attention (vLLM "
                                "--data-parallel-size {n} --enable-expert-parallel, SGLang --enable-dp-attention) "
                                "gives each card its own sequences: up to {n} times as many ({x} times in one "
                                "measured pair of start-ups: DeepSeek-V4-Flash on 8 B200, vLLM). vramgui does "
                                "not model it.").format(n=integer(s.tensor_parallel), x=num(d["times"], 1)))
        self._show_caution(self.parallel_caution, lines, tips)

    def _show_batch_caution(self, s, training: bool) -> None:
        """Below the batch size: llama.cpp decoding several sequences of quantized weights where the speed
        model does not follow its kernels (core.report.batched_decode_note); the tooltip quotes the measurements."""
        lines, tips = [], []
        if not training and batched_decode_note(s):
            lines.append(self.tr("llama.cpp with {n} sequences: decode likely slower than shown.").format(
                n=integer(s.batch)))
            runs = self.tr(" and ").join(self.tr("{b} sequences {x} times").format(x=num(r["speedup"], 2),
                                                                                 b=integer(r["batch"]))
                                         for r in LLAMACPP_BATCHED)
            tips.append(self.tr("llama.cpp's quantized matrix kernels pay for every sequence in a step, so a step "
                                "grows with the batch long before the roofline turns compute bound; vramgui models "
                                "it on NVIDIA cards with an int8 figure only. Measured with llama-bench (Llama 3 8B "
                                "Q4_0 on an {card}): {runs} one sequence's throughput.").format(
                                    card=LLAMACPP_BATCHED[0]["card"], runs=runs))
        self._show_caution(self.batch_caution, lines, tips)

    def _show_engine_caution(self, s, training: bool) -> None:
        """Below the engine: vLLM or SGLang on an Apple chip, whose GPU their modelled builds do not run on, HF
        transformers there with FP8 or AWQ weights, MLX on another card (core.report.engine_note); weights MLX
        converts before it loads them (core.report.format_note); Ollama's default context where it is longer than
        prompt + output (core.report.default_context_note); with System RAM entered, an engine that copies its
        offloaded weights for every pass (core.report.offload_note); a card the engine's builds, or HF transformers'
        FlashAttention-2, do not list (core.report.card_note); where the model's own context does not fit the cache:
        vLLM does not start, SGLang caps requests (core.report.context_cap_note); weights the engine loads on one card
        (HF transformers' NVFP4), with several cards (core.report.one_card_note) or System RAM entered; HF
        transformers' eager attention by default for a model it has no SDPA path for
        (core.report.attention_default_note); SDPA's math path (core.report.sdpa_math_note)."""
        lines, tips = [], []
        noted = not training and engine_note(s) is not None
        if noted and s.engine == "hf":      # (its weights are among HF_NO_MPS)
            why, source = HF_NO_MPS[s.weights]
            lines.append(self.tr("{format} weights do not run on this chip's GPU with {engine}.").format(
                format=core_name(s.weight_format.name), engine=core_name(s.profile.name)))
            tips.append(core_name(why) + ". " + self.tr("The figures time these weights as they run on NVIDIA and AMD "
                                                        "cards. On a Mac, 16-bit weights with HF transformers and "
                                                        "llama.cpp's GGUF formats run on the GPU.") + f"\n({source})")
        elif noted and s.engine in APPLE_ONLY:
            why, source = APPLE_ONLY[s.engine]
            lines.append(self.tr("{engine} does not run on this card's GPU as modelled.").format(
                engine=core_name(s.profile.name)))
            tips.append(self.tr("{engine}: {why}.").format(engine=core_name(s.profile.name), why=core_name(why)) + " "
                        + self.tr("The figures time the engine as it runs on Apple chips.") + f"\n({source})")
        elif noted:
            why, source = NO_APPLE_GPU[s.engine]
            lines.append(self.tr("{engine} does not run on this chip's GPU.").format(engine=core_name(s.profile.name)))
            tips.append(self.tr("{engine}: {why}.").format(engine=core_name(s.profile.name), why=core_name(why)) + " "
                        + self.tr("The figures time the engine as it runs on NVIDIA and AMD cards. On a Mac, llama.cpp "
                                  "(GGUF formats), MLX (its own formats) and HF transformers (PyTorch's MPS device) "
                                  "run on the GPU.")
                        + f"\n({source})")
        converts = None if training else converts_first(s.engine, s.weights, s.gpu)
        if converts is not None:                # (core.report.format_note)
            why, source = converts
            lines.append(self.tr("{engine} does not load {format} weights as stored.").format(
                engine=core_name(s.profile.name), format=core_name(s.weight_format.name)))
            tips.append(core_name(why) + f".\n({source})")
        eager = None if training else attention_default_note(s)
        if eager:                               # (HF transformers has no SDPA path for the model: eager by default)
            lines.append(self._no_sdpa_line(s.model.architecture.model_type))
            tips.append(eager)
        math = None if training else sdpa_math_note(s)
        if math:                                # (Falcon's one key/value head: PyTorch's SDPA math path)
            lines.append(self.tr("SDPA takes PyTorch's math path here: fp32 scores (see the tooltip)."))
            tips.append(math)
        if not training and experts_note(s):    # (HF transformers' bitsandbytes leaves an MoE model's experts 16-bit)
            lines.append(self.tr("{engine} leaves this model's routed experts in 16 bits.").format(
                engine=core_name(s.profile.name)))
            tips.append(core_name(HF_BNB_EXPERTS[0]) + f".\n({HF_BNB_EXPERTS[1]})")
        floor = 0 if training else default_context(s.profile, s.gpu, s.n_gpus, s.model.architecture.max_context)
        if floor > s.context_tokens:            # (core.report.default_context_note)
            lines.append(self.tr("{engine} allocates {tokens} tokens of context a sequence.").format(
                engine=core_name(s.profile.name), tokens=integer(floor)))
            tips.append(self.tr("Its default context on {gib} GiB of GPU memory, whatever the prompt: the KV cache and "
                                "the largest batch count it. With num_ctx set (a request's options, a Modelfile, "
                                "OLLAMA_CONTEXT_LENGTH) it allocates that instead: pick Ollama (num_ctx set) and set "
                                "the prompt to it.").format(
                            gib=num(seen_memory(s.gpu, s.n_gpus) / GIB, 1))
                        + "\n(" + self.tr("Ollama's server/routes.go since v0.15.5, PR #13946") + ")")
        spare = None if training else auto_fit_headroom(s)
        if spare is not None:                   # (core.report.fit_margin_note)
            margin = integer(round(s.profile.auto_fit_margin_bytes / MIB))
            lines.append(self.tr("Under {margin} MiB to spare: llama-server would move layers to RAM.").format(
                margin=margin))
            auto = server_context(s)                # (core.report.server_context_note)
            more = self.tr("Started without -c, llama-server would instead allocate {tokens} tokens of context, the "
                           "most that fit with that much free.").format(tokens=integer(auto[0])) \
                if auto is not None and auto[1] and auto[0] < s.context_tokens else ""
            tips.append(fit_margin_tip(spare, s.profile.auto_fit_margin_bytes, more))
        one = None if training else one_card(s.engine, s.weights)     # (HF transformers' NVFP4)
        if not training and self.state.ram_gb > 0 and not offloads_to_ram(s.engine, s.weights):     # (MLX; one card)
            why, source = no_offload(s.engine, s.weights)
            lines.append((self.tr("{engine} loads {format} weights on one card: System RAM is not used.") if one else
                          self.tr("{engine} keeps every layer on the GPU: System RAM is not used.")).format(
                engine=core_name(s.profile.name), format=core_name(s.weight_format.name)))
            tips.append((core_name(why) + "." if one else
                         self.tr("{engine}: {why}.").format(engine=core_name(s.profile.name), why=core_name(why)))
                        + f"\n({source})")
        if one is not None and s.n_gpus > 1:        # (core.report.one_card_note)
            why, source = one
            lines.append(self.tr("{engine} loads {format} weights on one card, not {n}.").format(
                engine=core_name(s.profile.name), format=core_name(s.weight_format.name), n=integer(s.n_gpus)))
            tips.append(core_name(why) + ". " + self.tr("The memory and speed shown are as if it split the model over "
                                                        "{n} cards.").format(n=integer(s.n_gpus)) + f"\n({source})")
        copied = None if training or not self.state.offload_asked else COPIED_OFFLOAD.get(s.engine)
        if copied is not None:                  # (core.report.offload_note)
            how, source = copied
            if s.engine in READS_IN_PLACE:      # (vLLM's UVA: its kernels read them in RAM)
                line = self.tr("{engine} reads its weights in RAM every pass: an assumed link share.")
                tip = self.tr("{engine} runs no layer on the CPU: its offload ({how}) keeps the weights that do not "
                              "fit in pinned RAM, where the card's kernels read them for every forward pass, so each "
                              "decode step and each prompt chunk moves them over the card's link; of an MoE's "
                              "routed experts only those its tokens use. The figures with System RAM count those "
                              "reads at an assumed {share} of the link (not measured for this engine), where "
                              "llama.cpp would run the layers in RAM on the CPU. A long prompt's matrix products may "
                              "read them more than once, which the first token shown does not count.")
                source = READS_IN_PLACE[s.engine]
            else:
                line = self.tr("{engine} copies its weights in RAM every pass: an assumed link share.")
                tip = self.tr("{engine} runs no layer on the CPU: its offload ({how}) keeps the weights that do not "
                              "fit in RAM and copies them to the card for every forward pass, so each decode step "
                              "and each prompt chunk also moves them over the card's link. The figures with System "
                              "RAM count those copies at an assumed {share} of the link (not measured for this "
                              "engine), where llama.cpp would run the layers in RAM on the CPU.")
            engine = core_name(s.profile.name)
            lines.append(line.format(engine=engine))
            stage = staging_bytes(s)        # (HF transformers: the first card's room for the module it brings)
            room = ("\n\n" + (self.tr("{engine} brings each module kept in RAM to the card for its forward pass: the "
                                       "card keeps {gib} GiB free for the largest, as many more bytes in RAM, and the "
                                       "RAM keeps as much free.") if s.n_gpus == 1 else
                               self.tr("{engine} brings each module kept in RAM to the first card for its forward "
                                       "pass: that card keeps {gib} GiB free for the largest, as many more bytes in "
                                       "RAM, and the RAM keeps as much free.")).format(
                engine=engine, gib=num(stage / GIB, 2)) + f"\n({STAGES_OFFLOADED[s.engine][1]})") if stage else ""
            first = ("\n\n" + self.tr("{engine} runs every layer kept in RAM on the first card: each pass copies "
                                       "every card's share over that card's link in turn.").format(engine=engine)
                     + f"\n({OFFLOAD_ON_FIRST_CARD[s.engine][1]})") if s.n_gpus > 1 and \
                s.engine in OFFLOAD_ON_FIRST_CARD else ""
            tips.append(tip.format(engine=engine, how=how, share=f"{COPIED_SHARE[s.engine]:.0%}") + f"\n({source})"
                        + first + room
                        + (f"\n\n{core_name(HF_BNB_OFFLOAD[0])}.\n({HF_BNB_OFFLOAD[1]})"
                           if s.engine == "hf" and s.weights in BITSANDBYTES else ""))     # (core.report.offload_note)
        rule = None if training else unlisted_card(s.engine, s.attention_impl, s.gpu, s.weights)
        if rule is not None:           # (core.report.card_note)
            cc, target, what = s.gpu.compute_capability, card_target(s.gpu), core_name(rule.what)
            lines.append(self.tr("{what} does not list this card ({target}).").format(what=what, target=target))
            if s.gpu.apple:
                listed = self.tr("{what} runs on no Apple chip's GPU.").format(what=what)
            elif cc and rule.below_cc is not None:
                listed = self.tr("{what} lists NVIDIA compute capability {cc} or newer, below {below}.").format(
                    what=what, cc=f"{rule.min_cc[0]}.{rule.min_cc[1]}", below=f"{rule.below_cc[0]}.{rule.below_cc[1]}")
            elif cc:
                listed = self.tr("{what} lists NVIDIA compute capability {cc} or newer.").format(
                    what=what, cc=f"{rule.min_cc[0]}.{rule.min_cc[1]}")
            elif not rule.rocm:
                listed = self.tr("{what} lists no AMD card.").format(what=what)
            else:
                listed = self.tr("{what} lists AMD's {targets}.").format(what=what, targets=", ".join(rule.rocm))
            tips.append(listed + " " + self.tr("This card is {target}: {otherwise}.").format(
                target=target, otherwise=core_name(rule.otherwise)) + f"\n({rule.source})")
        if not training and context_cap_note(s):       # (the model's own context does not fit the cache)
            cap, limit = context_cap(s), s.model.architecture.max_context
            does, flag, source = CACHE_CAPS_CONTEXT[s.engine]
            engine = core_name(s.profile.name)
            if does == "caps":
                lines.append(self.tr("{engine} serves requests up to {tokens} tokens.").format(
                    engine=engine, tokens=integer(cap)))
                tips.append(self.tr("{engine} takes the model's {limit} tokens of context but caps each request at "
                                    "the cache left beside the weights, {tokens} tokens: a longer prompt and output "
                                    "are refused. The figures here are for the prompt and output set.").format(
                    engine=engine, limit=integer(limit), tokens=integer(cap)) + f"\n({source})")
            else:
                lines.append(self.tr("{engine} needs {flag} {tokens} or less to start.").format(
                    engine=engine, flag=flag, tokens=integer(cap)))
                tips.append(self.tr("Started without {flag}, {engine} takes the model's {limit} tokens of context and "
                                    "checks that one sequence of them fits in the cache left beside the weights: it "
                                    "does not, so it refuses to start. {tokens} tokens is the longest that fits "
                                    "(vLLM's {flag} auto picks it, since Nov 2025). The figures here are for the "
                                    "prompt and output set.").format(flag=flag, engine=engine, limit=integer(limit),
                                                                     tokens=integer(cap)) + f"\n({source})")
        self._show_caution(self.engine_caution, lines, tips)

    def _caution_row(self) -> QtWidgets.QLabel:
        """A small bold line under the control above it, hidden until it has something to say."""
        label = QtWidgets.QLabel()
        label.setWordWrap(True)
        label.setStyleSheet("font-size: 8pt; font-weight: bold;")
        label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.form.addRow("", label)
        self.form.setRowVisible(label, False)
        self._caution_shown[label] = False
        return label

    def _show_caution(self, label: QtWidgets.QLabel, lines: list[str], tips: list[str]) -> None:
        """Set a caution row's text and tooltip and show it where it has lines (written only on change)."""
        text = "\n".join(lines) + (" " + self.tr("(Hover for more.)") if lines else "")
        tip = "\n\n".join(tips)
        if label.text() != text:
            label.setText(text)
        if label.toolTip() != tip:
            label.setToolTip(tip)
        if self._caution_shown[label] != bool(lines):
            self._caution_shown[label] = bool(lines)
            self.form.setRowVisible(label, bool(lines))

    def _show_default_share(self, s) -> None:
        """The memory cap's "engine default" names the share it stands for (SGLang's depends on
        the card and the tensor-parallel size)."""
        share = float(default_share(s, s.gpu.memory_bytes))
        text = self.tr("engine default ({share})").format(share=num(share, 3 if s.profile.util_rule != "fixed" else 2))
        if self.util.specialValueText() != text:
            self.util.setSpecialValueText(text)

