"""The breakdown strip: the numbers behind the current point, each with a tooltip that
shows its formula with the scenario's numbers (built on hover from ``core.explain``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from ..core import MemoryBreakdown, Scenario
from ..core.engines import APPLE_ONLY, LLAMACPP, REFUSES_PAST_CONTEXT, runs_on_gpu
from ..core.explain import explain
from ..core.fit import FitResult
from ..core.offload import MOE_CPU_LAYER_S, max_memory_bytes, max_memory_cpu_bytes, offloading
from ..core.report import max_memory_text
from ..core.speed import SpeedResult
from ..core.units import GIB, MIB
from .fit_table import ELSEWHERE
from .i18n import duration, integer, num, rate, signed
from .wording import blocked_verdict, core_name, fit_verdict, plan_badge, plan_description

SLOTS = 7
# a wide text of each slot (inference / fine-tuning): the slots share the strip's width in
# proportion, so their widths never change with the numbers
WIDEST = ("000.00 GiB", "000.00 GiB", "000.00 GiB", "000.00 GiB", "000.00 GiB",
          "000.00 / 000.00 GiB", "000.0 ms · 0,000 tok/s")


class ValueLabel(QtWidgets.QWidget):
    """One number of the strip: a line of text drawn in the palette's ink.

    A QLabel asks its parents for a new layout on every ``setText`` (whatever its size
    policy), and that request climbs to the main window, which then repaints all of itself:
    twice the painting of a change.  This one only repaints itself; its size is fixed by
    the widest text it is meant to show.

    The slots share the strip's width, so on a narrow window (1,280 px, or the window's
    minimum) a long value can be wider than its slot: it then shows the first of its
    shorter forms that fits (``setText(text, *shorter)``), and elides the last one only if
    none does.  :meth:`text` stays the whole value (it is the accessible name too)."""

    def __init__(self, font: QtGui.QFont, widest: str, parent=None):
        super().__init__(parent)
        self.setFont(font)
        self._text = ""
        self._forms: tuple[str, ...] = ("",)
        self._shown: tuple[tuple[str, ...], int, str] | None = None     # (forms, width) -> the form drawn
        fm = self.fontMetrics()
        self._hint = QtCore.QSize(fm.horizontalAdvance(widest), fm.height())
        self.setMinimumWidth(fm.horizontalAdvance("000.00 GiB"))
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setFixedHeight(fm.height() + 2)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt's name)
        return self._hint

    def text(self) -> str:
        return self._text

    def setText(self, text: str, *shorter: str) -> None:  # noqa: N802
        forms = (text, *shorter)
        if forms != self._forms:
            self._text, self._forms = text, forms
            self.setAccessibleName(text)
            self.update()

    def shown_text(self) -> str:
        """The form of the value that fits the label's width now (what it draws)."""
        room = self.width()
        if self._shown is None or self._shown[:2] != (self._forms, room):
            fm = self.fontMetrics()
            shown = next((f for f in self._forms if fm.horizontalAdvance(f) <= room), None)
            if shown is None:
                shown = fm.elidedText(self._forms[-1], QtCore.Qt.TextElideMode.ElideRight, room)
            self._shown = (self._forms, room, shown)
        return self._shown[2]

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QtGui.QPainter(self)
        p.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        p.drawText(self.rect(), int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter),
                   self.shown_text())


class Badge(ValueLabel):
    """The verdict: white bold text centred on a rounded patch of its colour (drawn here
    rather than by a style sheet on a QLabel, for the reason :class:`ValueLabel` gives)."""

    def __init__(self, font: QtGui.QFont, widest: str, parent=None):
        super().__init__(font, widest, parent)
        self.colour = QtGui.QColor("#009E73")
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setFixedSize(self.fontMetrics().horizontalAdvance(widest) + 28, self.fontMetrics().height() + 14)

    def set_colour(self, colour: str) -> None:
        if QtGui.QColor(colour) != self.colour:
            self.colour = QtGui.QColor(colour)
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(self.colour)
        p.drawRoundedRect(QtCore.QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        p.setPen(QtGui.QColor("white"))
        p.drawText(self.rect(), int(QtCore.Qt.AlignmentFlag.AlignCenter), self.text())


class BreakdownStrip(QtWidgets.QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        # the strip fills its own background (the window's colour) before its frame: a changed number
        # then repaints the number and the strip under it, not the window, the tabs, the stacked page
        # and both splitters as well (seven paint events an edit for each number, two now)
        self.setAutoFillBackground(True)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(6, 3, 6, 3)
        lay.setSpacing(4)
        self.heads: list[QtWidgets.QLabel] = []
        self.slots: list[ValueLabel] = []
        self.values: dict[str, ValueLabel] = {}
        self._explain: Callable[[], dict[str, str]] | None = None
        for slot in range(SLOTS):
            box = QtWidgets.QVBoxLayout()
            head = QtWidgets.QLabel()
            head.setFont(_font(9))
            # the slots share the width in proportion to the widest text each shows (their texts
            # are not selectable: File → Copy summary copies them)
            val = ValueLabel(_font(10.5, bold=True), WIDEST[slot])
            val.setText("-")
            head.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
            val.installEventFilter(self)
            box.addWidget(head)
            box.addWidget(val)
            lay.addLayout(box, val.fontMetrics().horizontalAdvance(WIDEST[slot]))
            self.heads.append(head)
            self.slots.append(val)
        self.verdict = Badge(_font(11, bold=True), "NEEDS 64 CARDS")
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
                QtWidgets.QToolTip.showText(event.globalPos(), self._tip(key), obj)
                return True
        return False

    def _tip(self, key: str) -> str:
        """The explanations of a value's keys (space-separated), one paragraph each."""
        texts = self._explain()
        return "\n\n".join(texts[k] for k in key.split() if k in texts)

    def tooltip(self, key: str) -> str:
        """The explanation a hover on the value of ``key`` shows now."""
        val = self.values.get(key)
        return self._tip(val.property("explain_key")) if self._explain and val is not None else ""

    # --- content -------------------------------------------------------------------------
    def _set(self, items: list[tuple[str, str | tuple[str, ...], str]], explain_fn, verdict: str, colour: str,
             verdict_tip: str):
        """``items``: (heading, value, explanation keys) per slot; a value is its text, or its
        text and shorter forms for a narrow slot (see :class:`ValueLabel`)."""
        self.values = {}
        for i, (head, val) in enumerate(zip(self.heads, self.slots, strict=True)):
            visible = i < len(items)
            head.setVisible(visible)
            val.setVisible(visible)
            if visible:
                title, text, keys = items[i]
                head.setText(title)
                val.setText(*((text,) if isinstance(text, str) else text))
                if val.property("explain_key") != keys:   # (a property or style sheet set again, even
                    val.setProperty("explain_key", keys)  # to the same value, re-polishes and repaints)
                self.values[keys.split()[0]] = val
        self._explain = explain_fn
        self.verdict.setText(verdict.upper())
        self.verdict.set_colour(colour)
        self.verdict.setToolTip(verdict_tip)

    def update_from(self, s: Scenario, m: MemoryBreakdown, f: FitResult, sp: SpeedResult, plan=None) -> None:
        """``plan``: the offload plan where System RAM is entered; where it offloads (the card alone holds too
        little, or the offload settings keep weights in RAM all the same: OffloadPlan.forced), *First token* and
        *Decode* are its figures, as the fit table's row and the badge give them."""
        offloaded = offloading(plan, f.fits) is not None
        step = plan.decode_s if offloaded else float(sp.decode_step_s)
        first_s = plan.prefill_s if offloaded else float(sp.prefill_s) if sp.compute_known else float("nan")
        first = duration(first_s) if first_s == first_s else self.tr("unknown")
        speed = rate(s.batch / step)
        items = [(self.tr("Weights"), _g(m.weights), "weights"), (self.tr("KV cache"), _g(m.kv_cache), "kv_cache"),
                 (self.tr("Activations"), _g(m.activations), "activations"),
                 (self.tr("Overhead"), _g(m.overhead), "overhead"), (self.tr("First token"), first, "prefill"),
                 (self.tr("Total / usable"), _of(self.tr("{used} / {usable} GiB"), float(m.total) / GIB,
                                                 f.budget_bytes / GIB), "total"),
                 (self.tr("Decode"), (self.tr("{ms} ms · {rate} tok/s").format(ms=num(step * 1e3, 1), rate=speed),
                                      self.tr("{ms} ms · {rate}/s").format(ms=num(step * 1e3, 1), rate=speed),
                                      self.tr("{ms} ms").format(ms=num(step * 1e3, 1))), "decode served")]
        colour = "#009E73" if f.fits else "#E69F00" if f.min_gpus else "#D55E00"
        verdict = fit_verdict(f.fits, f.min_gpus)
        # with System RAM entered, the largest prompt the card and the RAM hold (core.offload.max_prompt_offloaded)
        ram = "" if plan is None or plan.max_context is None else "\n" + self.tr(
            "With the System RAM, prompts of up to {n} tokens fit (a context of {ctx}).").format(
            n=integer(plan.max_prompt_tokens), ctx=integer(plan.max_context))
        tip = self.tr("Needs {needed} GiB of {usable} GiB usable per card; headroom {headroom} GiB").format(
            needed=num(f.needed_bytes / GIB, 2), usable=num(f.budget_bytes / GIB, 2),
            headroom=signed(f.headroom_bytes / GIB, 2)) + ram
        if plan is not None and (not f.fits or plan.forced):   # (where it fits too: OffloadPlan.forced, its badge
            #                                                      the fit table's row's, placed or not)
            verdict = plan_badge(plan)
            colour = {"partial": "#E69F00", "cpu": "#D55E00", "none": "#D55E00", "gpu": "#009E73"}[plan.level]
            tip = self.tr("{plan}: {devices}; about {rate} tokens/s").format(
                plan=plan_description(plan), rate=num(plan.tokens_per_s, 1),
                devices=", ".join(self.tr("{device} {used} of {usable} GiB").format(
                    device=d.name, used=num(d.used_bytes / GIB, 1), usable=num(d.budget_bytes / GIB, 1))
                    for d in plan.devices)) + ram
            if plan.level == "partial" and (plan.cpu_layers or plan.output_only) and s.engine in LLAMACPP:
                tip += "\n" + self.tr("llama.cpp's -ngl for this split: {ngl}").format(ngl=plan.ngl)
            elif plan.level == "partial" and plan.cpu_moe_layers and s.engine in LLAMACPP:
                tip += "\n" + self.tr("llama.cpp's flags for this split: -ngl {ngl} --n-cpu-moe {n}").format(
                    ngl=plan.ngl, n=plan.cpu_moe_layers)
            if plan.copied_bytes:          # (core.offload.plan_copied)
                tip += "\n" + self._step_reads(plan)
            most = max_memory_bytes(s, plan)   # (HF transformers: its device map's figure for each card)
            if most:
                tip += "\n" + self.tr("HF transformers places the weights so with {flag}").format(
                    flag=max_memory_text(most, max_memory_cpu_bytes(s, plan), s.n_gpus))
            if plan.prompt_copy_bytes and plan.prefill_s == plan.prefill_s:     # (core.offload.prompt_copy_bytes)
                tip += "\n" + (self.tr("First token about {time}: the prompt's passes read {gb} GB of the part in RAM "
                                        "over the card's link (at an assumed {share} of its {link} GB/s).")
                                if plan.read_in_place else
                                self.tr("First token about {time}: the prompt's passes copy {gb} GB of the part in RAM "
                                        "to the card (at an assumed {share} of its {link} GB/s link).")).format(
                    time=duration(plan.prefill_s), gb=num(plan.prompt_copy_bytes / 1e9, 1),
                    share=f"{plan.copy_share:.0%}", link=num(plan.link_bytes_per_s / 1e9))
            if plan.copy_bytes:          # (core.offload.op_offload_copy_bytes)
                tip += "\n" + self.tr("The first card's compute buffer holds {mib} MiB more: a prompt's pass copies "
                                       "tensors of the part in RAM there.").format(mib=integer(round(plan.copy_bytes
                                                                                                    / MIB)))
        blocked = blocked_verdict(s)
        if blocked is not None:
            verdict, colour = blocked, ELSEWHERE.name()
        if not runs_on_gpu(s.engine, s.weights, s.gpu):    # (as the fit table's row says: core.report.engine_note)
            tip = (self.tr("The chosen engine does not run on this GPU as modelled: the figures time it as it runs on "
                           "Apple chips") if s.engine in APPLE_ONLY else
                   self.tr("The chosen engine does not run on this GPU: the figures time it as it runs on NVIDIA and "
                           "AMD cards")) + "\n" + tip
        elif blocked is not None:               # (the group does not split the heads: core.report.tp_split_note)
            tip = self.tr("{n} cards of a tensor-parallel group do not split this model's attention heads evenly: "
                          "vLLM and SGLang refuse to start (the figures are as if it ran; the caution under the "
                          "card count says which counts do)").format(n=integer(s.tensor_parallel)) + "\n" + tip
        limit = s.model.architecture.max_context
        if s.past_context:                      # (core.report.context_note)
            tip += "\n" + (self.tr("Prompt + output, {n} tokens, run past the model's context of {limit}: {engine} "
                                   "refuses such a request (the figures are as if it ran).")
                           if s.engine in REFUSES_PAST_CONTEXT else
                           self.tr("Prompt + output, {n} tokens, run past the model's context of {limit}: it was "
                                   "not trained on positions past it (the figures are as if it ran).")).format(
                n=integer(s.context_tokens), limit=integer(limit), engine=core_name(s.profile.name))
        notes = {}
        if offloaded:       # (the formulas explain() substitutes keep every layer on the card: what they give, after)
            gpu_first = duration(float(sp.prefill_s)) if sp.compute_known else self.tr("unknown")
            ms, badge = num(step * 1e3, 1), plan_badge(plan)
            if plan.copied_bytes:           # (core.offload.plan_copied: vLLM, SGLang, HF transformers)
                how = self.tr("{ms} ms a step as the offload plans it ({plan}): every layer runs on the card.").format(
                    ms=ms, plan=badge) + " " + self._step_reads(plan)
            elif plan.step_copy_bytes:      # (core.offload: op offload at 32 sequences or more)
                how = self.tr("{ms} ms a step as the offload plans it ({plan}): at {n} sequences llama.cpp runs the "
                              "part in RAM on the card, copying its {gb} GB there every step (at an assumed {share} "
                              "of its {link} GB/s link).").format(
                    ms=ms, plan=badge, n=integer(s.batch), gb=num(plan.step_copy_bytes / 1e9, 1),
                    share=f"{plan.copy_share:.0%}", link=num(plan.link_bytes_per_s / 1e9))
            else:
                how = self.tr("{ms} ms a step as the offload plans it ({plan}): the layers on the card read at its "
                              "bandwidth and the rest at system RAM's, in turn.").format(ms=ms, plan=badge)
                if plan.cpu_moe_layers:         # (core.offload.MOE_CPU_LAYER_S)
                    how += " " + self.tr("Each of the {n} layers whose experts the CPU runs adds {hand} ms, handing "
                                         "its activations to the CPU and back.").format(
                        n=integer(plan.cpu_moe_layers), hand=num(MOE_CPU_LAYER_S * 1e3, 2))
                if plan.cpu_math_s:             # (core.offload.cpu_math_s)
                    how += " " + self.tr("The CPU's arithmetic for the {n} sequences past the first adds {ms} ms (at "
                                         "an assumed {tflops} TFLOP/s, from the RAM's bandwidth).").format(
                        n=integer(s.batch - 1), ms=num(plan.cpu_math_s * 1e3, 1),
                        tflops=num(plan.cpu_flops_per_s / 1e12, 2))
            notes["decode"] = how + " " + self.tr("With every layer on the card, as below: {gpu_ms} ms.").format(
                gpu_ms=num(float(sp.decode_step_s) * 1e3, 1))
            if plan.prompt_copy_bytes:
                why = (self.tr("About {time} as the offload plans it ({plan}): the prompt's passes read {gb} GB of "
                               "the part in RAM over the card's link (at an assumed {share} of its {link} GB/s).")
                       if plan.read_in_place else
                       self.tr("About {time} as the offload plans it ({plan}): the prompt's passes copy {gb} GB of "
                               "the part in RAM to the card (at an assumed {share} of its {link} GB/s link).")).format(
                    time=first, plan=plan_badge(plan), gb=num(plan.prompt_copy_bytes / 1e9, 1),
                    share=f"{plan.copy_share:.0%}", link=num(plan.link_bytes_per_s / 1e9))
            elif plan.cpu_prompt_s:         # (core.offload.cpu_prompt)
                why = self.tr("About {time} as the offload plans it ({plan}): the CPU runs the prompt's passes on the "
                              "part in RAM, {cpu} of it at an assumed {tflops} TFLOP/s (no pass is copied to the card: "
                              "under 32 tokens, unified memory, or builds before op offload).").format(
                    time=first, plan=plan_badge(plan), cpu=duration(plan.cpu_prompt_s),
                    tflops=num(plan.cpu_flops_per_s / 1e12, 2))
            else:
                why = self.tr("As the offload plans it ({plan}): {time}.").format(time=first, plan=plan_badge(plan))
            notes["prefill"] = why + " " + self.tr("With every layer on the card, as below: {time}.").format(
                time=gpu_first)

        def explain_fn():
            return {k: notes[k] + "\n\n" + v if k in notes else v for k, v in explain(s).items()}
        self._set(items, explain_fn, verdict, colour, tip)

    def _step_reads(self, plan) -> str:
        """What a decode step of a plan whose engine keeps weights in RAM for every pass moves over the card's link
        (core.offload.plan_copied): all of them copied, or read where they are (vLLM), of an MoE the used experts."""
        ms = num(plan.step_copy_bytes / (plan.link_bytes_per_s * plan.copy_share) * 1e3, 0)
        gib, share, link = num(plan.copied_bytes / GIB, 1), f"{plan.copy_share:.0%}", num(plan.link_bytes_per_s / 1e9)
        if plan.step_copy_bytes < plan.copied_bytes and plan.experts_only:     # (vLLM's --cpu-offload-params)
            return self.tr("Each decode step reads {step} GiB of the {gib} GiB of routed experts a card keeps in RAM "
                           "over its link, where they stay: those its tokens use, {ms} ms at an assumed {share} of "
                           "its {link} GB/s.").format(step=num(plan.step_copy_bytes / GIB, 1), gib=gib, ms=ms,
                                                      share=share, link=link)
        if plan.step_copy_bytes < plan.copied_bytes:
            return self.tr("Each decode step reads {step} GiB of the {gib} GiB of weights a card keeps in RAM over its "
                           "link, where they stay: the routed experts its tokens use and the layers' other weights, "
                           "{ms} ms at an assumed {share} of its {link} GB/s.").format(
                step=num(plan.step_copy_bytes / GIB, 1), gib=gib, ms=ms, share=share, link=link)
        if plan.step_copy_bytes > plan.copied_bytes:       # (HF transformers: every card's share on the first card)
            return self.tr("Each decode step copies the {gib} GiB of weights the cards keep in RAM ({each} GiB each) "
                           "to the first card, which runs every layer kept there: {ms} ms at an assumed {share} of its "
                           "{link} GB/s link.").format(gib=num(plan.step_copy_bytes / GIB, 1), each=gib, ms=ms,
                                                       share=share, link=link)
        if plan.read_in_place:
            return self.tr("Each decode step reads the {gib} GiB of weights a card keeps in RAM over its link, where "
                           "they stay: {ms} ms at an assumed {share} of its {link} GB/s.").format(
                gib=gib, ms=ms, share=share, link=link)
        return self.tr("Each decode step copies the {gib} GiB of weights a card keeps in RAM to it: {ms} ms at an "
                       "assumed {share} of its {link} GB/s link.").format(gib=gib, ms=ms, share=share, link=link)

    def update_training(self, t, m, f) -> None:
        from ..core.explain import explain_training

        items = [(self.tr("Weights"), _g(m.weights), "weights"),
                 (self.tr("Gradients"), _g(m.gradients), "gradients"),
                 (self.tr("Optimizer"), _g(m.optimizer), "optimizer"),
                 (self.tr("Activations"), _g(m.activations), "activations"),
                 (self.tr("Overhead"), _g(m.overhead), "overhead"),
                 (self.tr("Total / card"), _of(self.tr("{used} / {usable} GiB"), float(m.total) / GIB,
                                               f.budget_bytes / GIB), "total"),
                 (self.tr("Trainable"), tuple(
                     form.format(trainable=num(m.trainable_params / 1e6, 1), total=num(_params(t) / 1e9, 2))
                     for form in (self.tr("{trainable} M of {total} B"), self.tr("{trainable} M / {total} B"),
                                  self.tr("{trainable} M"))),
                  "trainable")]
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


def _g(x) -> tuple[str, str]:
    """Bytes in GiB, with two decimals and (for a narrow slot) one."""
    return f"{num(float(x) / GIB, 2)} GiB", f"{num(float(x) / GIB, 1)} GiB"


def _of(form: str, used: float, usable: float) -> tuple[str, ...]:
    """"used / usable GiB" in ``form`` (translated) with two decimals, and shorter: one
    decimal, then without the unit and spaces."""
    two, one = (form.format(used=num(used, d), usable=num(usable, d)) for d in (2, 1))
    return two, one, f"{num(used, 1)}/{num(usable, 1)}"
