"""Remembering the last session (QSettings), and keeping the app alive on errors.

The scenario is stored by ids and numbers, validated again on the way back in: a value
that no longer makes sense (a removed preset, a corrupt file) is dropped with a notice,
never a crash.  Uncaught exceptions show a dialog with the details, are logged to the
user's log folder, and the app goes on.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import traceback
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ..core.user_presets import user_dir
from .i18n import CODES, translate
from .state import MAX_CPU_OFFLOAD_GIB, MAX_RAM_BANDWIDTH_GB_S

SCENARIO_KEYS = ("n_gpus", "pipeline", "weights", "kv_dtype", "engine", "attention", "host", "prompt_tokens",
                 "cached_tokens", "output_tokens", "batch", "gpu_util", "reserved_mib")
TRAINING_KEYS = ("n_gpus", "method", "optimizer", "optimizer_step", "lora_rank", "lora_targets", "checkpointing",
                 "attention", "zero", "seq", "batch", "grad_accum", "allocator", "kbit_upcast", "mamba_kernels",
                 "padded")


def settings_store() -> QtCore.QSettings:
    """``$VRAMGUI_SETTINGS`` (an INI file) if set, else the platform's settings location."""
    path = os.environ.get("VRAMGUI_SETTINGS")
    if path:
        return QtCore.QSettings(path, QtCore.QSettings.Format.IniFormat)
    return QtCore.QSettings(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, "vramgui", "vramgui")


LANGUAGE_KEY = "ui/language"
RECENT_KEY = "files/recent_imports"
MAX_RECENT = 8


def save_language(choice: str, store: QtCore.QSettings | None = None) -> None:
    """Remember the language chosen in the menu (``""``: follow the system)."""
    store = store or settings_store()
    store.setValue(LANGUAGE_KEY, choice)
    store.sync()


def load_language(store: QtCore.QSettings | None = None) -> str:
    """The remembered language; anything unknown (an edited file, a language a later
    version dropped) reads as ``""``, following the system."""
    value = (store or settings_store()).value(LANGUAGE_KEY, "")
    return value if isinstance(value, str) and value in CODES else ""


THEME_KEY = "ui/theme"
EXPLAIN_KEY = "ui/explain_open"
THEMES = ("system", "light", "dark")   # as vramgui.ui.theme.THEMES (not imported: no pyqtgraph here)


def save_theme(name: str, store: QtCore.QSettings | None = None) -> None:
    """Remember View → Theme (system, light or dark)."""
    store = store or settings_store()
    store.setValue(THEME_KEY, name)
    store.sync()


def load_theme(store: QtCore.QSettings | None = None) -> str:
    """The remembered theme; anything else (an edited file) reads as "system"."""
    value = (store or settings_store()).value(THEME_KEY, "system")
    return value if isinstance(value, str) and value in THEMES else "system"


def save_recent_imports(paths, store: QtCore.QSettings | None = None) -> None:
    """Remember File → Recent imports (as a JSON list, newest first)."""
    store = store or settings_store()
    store.setValue(RECENT_KEY, json.dumps([str(p) for p in paths][:MAX_RECENT]))
    store.sync()


def load_recent_imports(store: QtCore.QSettings | None = None) -> list[Path]:
    """The remembered imports; a corrupt entry yields an empty list, never an error.  Paths
    that no longer exist are kept (the menu shows them greyed out)."""
    raw = (store or settings_store()).value(RECENT_KEY, "")
    try:
        data = json.loads(str(raw or "[]"))
    except ValueError:
        return []
    return [Path(p) for p in data if isinstance(p, str) and p][:MAX_RECENT] if isinstance(data, list) else []


def save_session(win, store: QtCore.QSettings | None = None) -> None:
    store = store or settings_store()
    st = win.state
    s, t = st.scenario, st.training
    data = {"model": s.model.id, "gpu": s.gpu.id, "scenario": {k: getattr(s, k) for k in SCENARIO_KEYS},
            "training": {k: (list(v) if isinstance(v := getattr(t, k), tuple) else v) for k in TRAINING_KEYS},
            "mode": st.mode, "ram_gb": st.ram_gb, "experts_on_cpu": st.experts_on_cpu, "n_cpu_moe": st.n_cpu_moe,
            "pinned": st.pinned, "ram_bandwidth_gb_s": st.ram_bandwidth_gb_s, "cpu_offload_gib": st.cpu_offload_gib,
            "experts_only": st.experts_only,
            "price_per_card_hour": st.price_per_card_hour,
            "compare": [g.id for g in st.compare],
            "pins": [{"model": p.model.id, "gpu": p.gpu.id, **{k: getattr(p, k) for k in SCENARIO_KEYS}}
                     for p in st.pins]}
    if win.machine_tab.described:       # (else the tab follows the plan next time too)
        data["machine"] = win.machine_tab.description()
    store.setValue("session/scenario", json.dumps(data))
    store.setValue("window/geometry", win.saveGeometry())
    store.setValue("window/state", win.saveState())
    store.setValue(THEME_KEY, win.theme.setting)
    store.setValue(EXPLAIN_KEY, win.explain_action.isChecked())
    store.setValue("window/splitters", json.dumps([sp.sizes() for sp in win.findChildren(QtWidgets.QSplitter)]))
    store.sync()


def restore_session(win, store: QtCore.QSettings | None = None) -> list[str]:
    """Restore what can be restored; returns the notices for what could not."""
    store = store or settings_store()
    notes: list[str] = []
    if store.status() != QtCore.QSettings.Status.NoError:
        return [translate("Session", "the settings file {file} could not be read and was reset").format(
            file=store.fileName())]
    raw = store.value("session/scenario")
    if raw:
        try:
            data = json.loads(str(raw))
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except (ValueError, TypeError):
            store.remove("session/scenario")
            return [translate("Session", "the saved session in {file} was corrupt and was reset").format(
                file=store.fileName())]
        notes += _apply(win.state, data)
        if data.get("machine") is not None and not win.machine_tab.describe(data["machine"]):
            notes.append(translate("Session", "the machine described in the last session was not valid and was "
                                              "reset"))
    geometry = store.value("window/geometry")
    if isinstance(geometry, QtCore.QByteArray) and not geometry.isEmpty():
        win.restoreGeometry(geometry)
    win.show_explain(store.value(EXPLAIN_KEY, False) in (True, "true"))
    try:
        sizes = json.loads(str(store.value("window/splitters") or "[]"))
        for sp, sz in zip(win.findChildren(QtWidgets.QSplitter), sizes, strict=False):
            if isinstance(sz, list) and len(sz) == sp.count() and all(isinstance(v, int) and v >= 0 for v in sz):
                sp.setSizes(sz)
    except ValueError:
        notes.append(translate("Session", "the saved window layout was corrupt and was reset"))
    return notes


def _apply(state, data: dict) -> list[str]:
    notes = []
    cat = state.catalog
    if data.get("model") in cat.models:
        state.set_model(data["model"])
    elif data.get("model"):
        notes.append(translate("Session", "the model '{id}' of the last session is no longer available").format(
            id=data["model"]))
    if data.get("gpu") in cat.gpus:
        state.set_gpu(data["gpu"])
    change = {k: v for k, v in (data.get("scenario") or {}).items() if k in SCENARIO_KEYS}
    if change and not state.update(**change) and not _quiet_equal(state.scenario, change):
        left = dict(change)     # one by one: a value the others do not take loses only itself (a second pass takes
        for _ in range(2):      # a value valid only beside one taken later in the first: stages after the cards)
            left = {k: v for k, v in left.items() if not state.update(**{k: v})
                    and not _quiet_equal(state.scenario, {k: v})}
        notes.append(translate("Session", "some settings of the last session were not valid and were skipped"))
    tchange = {k: v for k, v in (data.get("training") or {}).items() if k in TRAINING_KEYS}
    if tchange and not state.update_training(**tchange) and not _quiet_equal(state.training, tchange):
        for k, v in tchange.items():     # one by one: a value that does not validate loses only itself
            state.update_training(**{k: v})
        notes.append(translate("Session", "some settings of the last session were not valid and were skipped"))
    state.compare = [cat.gpus[i] for i in data.get("compare") or [] if isinstance(i, str) and i in cat.gpus][:4]
    state.pins = []
    for pin in (data.get("pins") or [])[:4]:
        try:
            values = {k: v for k, v in pin.items() if k in SCENARIO_KEYS}
            state.pins.append(state.scenario.with_(model=cat.models[pin["model"]], gpu=cat.gpus[pin["gpu"]], **values))
        except (KeyError, TypeError, ValueError, AttributeError):
            notes.append(translate("Session", "a pinned scenario of the last session could not be restored"))
    try:
        state.set_offload(ram_gb=float(data.get("ram_gb") or 0), experts_on_cpu=bool(data.get("experts_on_cpu")))
    except (TypeError, ValueError):
        notes.append(translate("Session", "the saved system RAM was not a number and was reset"))
    if data.get("pinned") is True:
        state.set_offload(pinned=True)
    bw = data.get("ram_bandwidth_gb_s")
    if bw is not None:
        if isinstance(bw, int | float) and not isinstance(bw, bool) and 0 < bw <= MAX_RAM_BANDWIDTH_GB_S:
            state.set_offload(ram_bandwidth_gb_s=float(bw))
        else:
            notes.append(translate("Session", "the saved RAM bandwidth was not a number of GB/s and was reset"))
    moe = data.get("n_cpu_moe")
    if moe is not None:
        if isinstance(moe, int) and not isinstance(moe, bool) and 0 <= moe <= 100_000:
            state.set_offload(n_cpu_moe=moe)
        else:
            notes.append(translate("Session", "the saved place of the MoE experts was not a number of layers and "
                                              "was reset"))
    gib = data.get("cpu_offload_gib")
    if gib is not None:
        if isinstance(gib, int | float) and not isinstance(gib, bool) and 0 <= gib <= MAX_CPU_OFFLOAD_GIB:
            state.set_offload(cpu_offload_gib=float(gib))
        else:
            notes.append(translate("Session", "the saved GiB of weights in RAM (--cpu-offload-gb) was not a number "
                                              "and was reset"))
    only = data.get("experts_only", False)
    if isinstance(only, bool):
        state.set_offload(experts_only=only)
    else:
        notes.append(translate("Session", "the saved choice of the experts alone in RAM was not true or false and "
                                          "was reset"))
    try:
        state.set_price(float(data.get("price_per_card_hour") or 0))
    except (TypeError, ValueError):
        notes.append(translate("Session", "the saved price per card-hour was not a number and was reset"))
    state.set_mode(data.get("mode") if data.get("mode") in ("inference", "training") else "inference")
    return notes


def _quiet_equal(setup, change: dict) -> bool:
    """Whether ``setup`` (a scenario or a fine-tuning job) already holds ``change`` (lists as saved, tuples as held)."""
    return all(getattr(setup, k, None) == (tuple(v) if isinstance(v, list) else v) for k, v in change.items())


# --- crash safety ---------------------------------------------------------------------------

def log_dir() -> Path:
    return user_dir() / "logs"


def write_crash_log(text: str) -> Path | None:
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "vramgui.log"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"--- {_dt.datetime.now().isoformat(timespec='seconds')}\n{text}\n")
        return path
    except OSError:
        return None


def show_error(details: str, log: Path | None) -> None:
    """A dialog with the error, where it was logged, and a button that copies the details."""
    text = translate("Session", "Something went wrong; vramgui keeps running.")
    if log:
        text += "\n" + translate("Session", "The details were written to {file}.").format(file=log)
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Critical, translate("Session", "vramgui: unexpected error"),
                                text)
    box.setDetailedText(details)
    copy = box.addButton(translate("Session", "Copy details"), QtWidgets.QMessageBox.ButtonRole.ActionRole)
    box.addButton(QtWidgets.QMessageBox.StandardButton.Close)
    copy.clicked.connect(lambda: QtWidgets.QApplication.clipboard().setText(details))
    box.exec()


def handle_exception(exc_type, exc, tb) -> None:
    """sys.excepthook for the window: log, tell the user, keep the event loop running."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    log = write_crash_log(details)
    print(details, file=sys.stderr)
    if QtWidgets.QApplication.instance() is not None:
        show_error(details, log)


def install_exception_hook() -> None:
    sys.excepthook = handle_exception
