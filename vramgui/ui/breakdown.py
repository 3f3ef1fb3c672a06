"""The breakdown strip: the numbers behind the current point, each with a tooltip that
shows its formula with the scenario's numbers (built on hover from ``core.explain``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from ..core import MemoryBreakdown, Scenario
from ..core.explain import explain
from ..core.fit import FitResult
from ..core.speed import SpeedResult
from ..core.units import GIB
from .i18n import num, signed
from .wording import fit_verdict, plan_badge, plan_description

SLOTS = 7
# widest text each slot shows (inference / fine-tuning), so its width never changes
WIDEST = ("0,000.00 GiB", "0,000.00 GiB", "0,000.00 GiB", "0,000.00 GiB", "0,000.00 GiB",
          "0,000.00 / 0,000.00 GiB", "00,000.0 ms · 000,000 tok/s")


class BreakdownStrip(QtWidgets.QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(6, 3, 6, 3)
        lay.setSpacing(4)
        self.heads: list[QtWidgets.QLabel] = []
        self.slots: list[QtWidgets.QLabel] = []
        self.values: dict[str, QtWidgets.QLabel] = {}
        self._explain: Callable[[], dict[str, str]] | None = None
        for slot in range(SLOTS):
            box = QtWidgets.QVBoxLayout()
            head = QtWidgets.QLabel()
            head.setFont(_font(9))
            val = QtWidgets.QLabel("-")
            val.setFont(_font(10.5, bold=True))
            # An ignored size hint keeps the window's layout still while numbers change (a changing
            # hint re-lays out and repaints the whole window on every update); the slots share the
            # width in proportion to the widest text each shows.
            val.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
            head.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
            val.setMinimumWidth(val.fontMetrics().horizontalAdvance("0,000.00 GiB"))
            val.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            val.installEventFilter(self)
            box.addWidget(head)
            box.addWidget(val)
            lay.addLayout(box, val.fontMetrics().horizontalAdvance(WIDEST[slot]))
            self.heads.append(head)
            self.slots.append(val)
        self.verdict = QtWidgets.QLabel()
        self.verdict.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.verdict.setFont(_font(11, bold=True))
        self.verdict.setFixedWidth(self.verdict.fontMetrics().horizontalAdvance("NEEDS 64 CARDS") + 28)
        lay.addWidget(self.verdict)
        self._style_heads()

    def _style_heads(self) -> None:
        """Headings in a muted ink: the text colour two thirds of the way from the background,
        which keeps about 4.5:1 contrast on light and dark palettes (``palette(mid)`` gave 2.5:1
        on a light one)."""
        pal = self.palette()
        ink, paper = pal.color(QtGui.QPalette.ColorRole.WindowText), pal.color(QtGui.QPalette.ColorRole.Window)
        mix = QtGui.QColor(*(round(a * 0.7 + b * 0.3) for a, b in zip(ink.getRgb()[:3], paper.getRgb()[:3],
                                                                         strict=True)))
        for head in self.heads:
            head.setStyleSheet(f"color: {mix.name()};")

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QtCore.QEvent.Type.PaletteChange:
            self._style_heads()
        super().changeEvent(event)

    # --- tooltips on demand ----------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if event.type() == QtCore.QEvent.Type.ToolTip and self._explain is not None:
            key = obj.property("explain_key")
            if key:
                QtWidgets.QToolTip.showText(event.globalPos(), self._explain().get(key, ""), obj)
                return True
        return False

    def tooltip(self, key: str) -> str:
        """The explanation a hover on ``key`` shows now."""
        return self._explain()[key] if self._explain else ""

    # --- content -------------------------------------------------------------------------
    def _set(self, items: list[tuple[str, str, str]], explain_fn, verdict: str, colour: str, verdict_tip: str):
        self.values = {}
        for i, (head, val) in enumerate(zip(self.heads, self.slots, strict=True)):
            visible = i < len(items)
            head.setVisible(visible)
            val.setVisible(visible)
            if visible:
                title, text, key = items[i]
                head.setText(title)
                val.setText(text)
                val.setProperty("explain_key", key)
                self.values[key] = val
        self._explain = explain_fn
        self.verdict.setText(verdict.upper())
        self.verdict.setStyleSheet(f"padding: 2px 6px; border-radius: 4px; background: {colour}; color: white;")
        self.verdict.setToolTip(verdict_tip)

    def update_from(self, s: Scenario, m: MemoryBreakdown, f: FitResult, sp: SpeedResult, plan=None) -> None:
        step = float(sp.decode_step_s)
        first = (self.tr("{ms} ms").format(ms=num(float(sp.prefill_s) * 1e3)) if sp.compute_known
                 else self.tr("unknown"))
        items = [(self.tr("Weights"), _g(m.weights), "weights"), (self.tr("KV cache"), _g(m.kv_cache), "kv_cache"),
                 (self.tr("Activations"), _g(m.activations), "activations"),
                 (self.tr("Overhead"), _g(m.overhead), "overhead"), (self.tr("First token"), first, "prefill"),
                 (self.tr("Total / usable"), self.tr("{used} / {usable} GiB").format(
                     used=num(float(m.total) / GIB, 2), usable=num(f.budget_bytes / GIB, 2)), "total"),
                 (self.tr("Decode"), self.tr("{ms} ms · {rate} tok/s").format(
                     ms=num(step * 1e3, 1), rate=num(s.batch / step)), "decode")]
        colour = "#009E73" if f.fits else "#E69F00" if f.min_gpus else "#D55E00"
        verdict = fit_verdict(f.fits, f.min_gpus)
        tip = self.tr("Needs {needed} GiB of {usable} GiB usable per card; headroom {headroom} GiB").format(
            needed=num(f.needed_bytes / GIB, 2), usable=num(f.budget_bytes / GIB, 2),
            headroom=signed(f.headroom_bytes / GIB, 2))
        if plan is not None and not f.fits:
            verdict = plan_badge(plan)
            colour = {"partial": "#E69F00", "cpu": "#D55E00", "none": "#D55E00", "gpu": "#009E73"}[plan.level]
            tip = self.tr("{plan}: {devices}; about {rate} tokens/s").format(
                plan=plan_description(plan), rate=num(plan.tokens_per_s, 1),
                devices=", ".join(self.tr("{device} {used} of {usable} GiB").format(
                    device=d.name, used=num(d.used_bytes / GIB, 1), usable=num(d.budget_bytes / GIB, 1))
                    for d in plan.devices))
        self._set(items, lambda: explain(s), verdict, colour, tip)

    def update_training(self, t, m, f) -> None:
        from ..core.explain import explain_training

        items = [(self.tr("Weights"), _g(m.weights), "weights"),
                 (self.tr("Gradients"), _g(m.gradients), "gradients"),
                 (self.tr("Optimizer states"), _g(m.optimizer), "optimizer"),
                 (self.tr("Activations"), _g(m.activations), "activations"),
                 (self.tr("Overhead"), _g(m.overhead), "overhead"),
                 (self.tr("Total / card"), self.tr("{used} / {usable} GiB").format(
                     used=num(float(m.total) / GIB, 2), usable=num(f.budget_bytes / GIB, 2)), "total"),
                 (self.tr("Trainable parameters"), self.tr("{trainable} M of {total} B").format(
                     trainable=num(m.trainable_params / 1e6, 1), total=num(_params(t) / 1e9, 2)), "trainable")]
        verdict = fit_verdict(f.fits, None)
        self._set(items, lambda: explain_training(t), verdict, "#009E73" if f.fits else "#D55E00",
                  self.tr("Needs {needed} GiB of {usable} GiB per card").format(needed=num(f.needed_bytes / GIB, 2),
                                                                          usable=num(f.budget_bytes / GIB, 2)))


def _font(points: float, bold: bool = False) -> QtGui.QFont:
    f = QtGui.QFont()
    f.setPointSizeF(points)
    f.setBold(bold)
    return f


def _params(t) -> float:
    from ..core import count_params
    return count_params(t.model.architecture).total


def _g(x) -> str:
    return f"{num(float(x) / GIB, 2)} GiB"
