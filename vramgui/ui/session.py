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

SCENARIO_KEYS = ("n_gpus", "weights", "kv_dtype", "engine", "attention", "prompt_tokens", "output_tokens", "batch",
                 "gpu_util", "reserved_mib")
TRAINING_KEYS = ("n_gpus", "method", "optimizer", "lora_rank", "lora_targets", "checkpointing", "attention", "zero",
                 "seq", "batch")


def settings_store() -> QtCore.QSettings:
    """``$VRAMGUI_SETTINGS`` (an INI file) if set, else the platform's settings location."""
    path = os.environ.get("VRAMGUI_SETTINGS")
    if path:
        return QtCore.QSettings(path, QtCore.QSettings.Format.IniFormat)
    return QtCore.QSettings(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, "vramgui", "vramgui")


def save_session(win, store: QtCore.QSettings | None = None) -> None:
    store = store or settings_store()
    st = win.state
    s, t = st.scenario, st.training
    data = {"model": s.model.id, "gpu": s.gpu.id, "scenario": {k: getattr(s, k) for k in SCENARIO_KEYS},
            "training": {k: (list(v) if isinstance(v := getattr(t, k), tuple) else v) for k in TRAINING_KEYS},
            "mode": st.mode, "ram_gb": st.ram_gb, "experts_on_cpu": st.experts_on_cpu,
            "compare": [g.id for g in st.compare],
            "pins": [{"model": p.model.id, "gpu": p.gpu.id, **{k: getattr(p, k) for k in SCENARIO_KEYS}}
                     for p in st.pins]}
    store.setValue("session/scenario", json.dumps(data))
    store.setValue("window/geometry", win.saveGeometry())
    store.setValue("window/state", win.saveState())
    store.setValue("window/splitters", json.dumps([sp.sizes() for sp in win.findChildren(QtWidgets.QSplitter)]))
    store.sync()


def restore_session(win, store: QtCore.QSettings | None = None) -> list[str]:
    """Restore what can be restored; returns the notices for what could not."""
    store = store or settings_store()
    notes: list[str] = []
    if store.status() != QtCore.QSettings.Status.NoError:
        return [f"the settings file {store.fileName()} could not be read and was reset"]
    raw = store.value("session/scenario")
    if raw:
        try:
            data = json.loads(str(raw))
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except (ValueError, TypeError):
            store.remove("session/scenario")
            return [f"the saved session in {store.fileName()} was corrupt and was reset"]
        notes += _apply(win.state, data)
    geometry = store.value("window/geometry")
    if isinstance(geometry, QtCore.QByteArray) and not geometry.isEmpty():
        win.restoreGeometry(geometry)
    try:
        sizes = json.loads(str(store.value("window/splitters") or "[]"))
        for sp, sz in zip(win.findChildren(QtWidgets.QSplitter), sizes, strict=False):
            if isinstance(sz, list) and len(sz) == sp.count() and all(isinstance(v, int) and v >= 0 for v in sz):
                sp.setSizes(sz)
    except ValueError:
        notes.append("the saved window layout was corrupt and was reset")
    return notes


def _apply(state, data: dict) -> list[str]:
    notes = []
    cat = state.catalog
    if data.get("model") in cat.models:
        state.set_model(data["model"])
    elif data.get("model"):
        notes.append(f"the model '{data['model']}' of the last session is no longer available")
    if data.get("gpu") in cat.gpus:
        state.set_gpu(data["gpu"])
    change = {k: v for k, v in (data.get("scenario") or {}).items() if k in SCENARIO_KEYS}
    if change and not state.update(**change):
        if not _quiet_equal(state.scenario, change):
            notes.append("some settings of the last session were not valid and were skipped")
    tchange = {k: v for k, v in (data.get("training") or {}).items() if k in TRAINING_KEYS}
    if tchange:
        state.update_training(**tchange)
    state.compare = [cat.gpus[i] for i in data.get("compare") or [] if isinstance(i, str) and i in cat.gpus][:4]
    state.pins = []
    for pin in (data.get("pins") or [])[:4]:
        try:
            values = {k: v for k, v in pin.items() if k in SCENARIO_KEYS}
            state.pins.append(state.scenario.with_(model=cat.models[pin["model"]], gpu=cat.gpus[pin["gpu"]], **values))
        except (KeyError, TypeError, ValueError, AttributeError):
            notes.append("a pinned scenario of the last session could not be restored")
    try:
        state.set_offload(ram_gb=float(data.get("ram_gb") or 0), experts_on_cpu=bool(data.get("experts_on_cpu")))
    except (TypeError, ValueError):
        notes.append("the saved system RAM was not a number and was reset")
    state.set_mode(data.get("mode") if data.get("mode") in ("inference", "training") else "inference")
    return notes


def _quiet_equal(scenario, change: dict) -> bool:
    return all(getattr(scenario, k, None) == v for k, v in change.items())


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
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Critical, "vramgui: unexpected error",
                                "Something went wrong; vramgui keeps running."
                                + (f"\nThe details were written to {log}." if log else ""))
    box.setDetailedText(details)
    copy = box.addButton("Copy details", QtWidgets.QMessageBox.ButtonRole.ActionRole)
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
