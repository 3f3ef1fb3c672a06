"""User presets: the platform's user-data folder, atomic saves, removal.

Layout: ``<user dir>/models/<id>.json`` and ``<user dir>/gpus/<id>.json``, the same
schema as the built-in presets; user presets override built-ins by id.  A save writes
a temporary file in the same folder, flushes it to disk and renames it over the old
file, so a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from .errors import InputError
from .presets import GPU, ModelPreset

APP = "vramgui"


def user_dir() -> Path:
    """``VRAMGUI_USER_DIR`` if set; else the platform's user-data folder for vramgui."""
    override = os.environ.get("VRAMGUI_USER_DIR")
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming") / APP
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / APP
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / APP


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _folder(preset) -> str:
    return "gpus" if isinstance(preset, GPU) else "models"


def save_preset(preset: GPU | ModelPreset, folder: Path | None = None) -> Path:
    """Save a model or GPU preset as ``<id>.json`` in the user folder (atomically)."""
    base = folder or user_dir()
    path = base / _folder(preset) / f"{preset.id}.json"
    data = preset.model_dump(mode="json", exclude_none=True)
    try:
        atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise InputError(f"cannot save: {exc.strerror or exc}", source=str(path)) from None
    return path


def remove_preset(kind: str, ident: str, folder: Path | None = None) -> bool:
    """Delete a user preset (``kind`` is ``models`` or ``gpus``); False if there was none."""
    if kind not in ("models", "gpus") or "/" in ident or "\\" in ident or ident.startswith("."):
        raise InputError(f"not a preset id: {ident!r}", field="id")
    path = (folder or user_dir()) / kind / f"{ident}.json"
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise InputError(f"cannot remove: {exc.strerror or exc}", source=str(path)) from None
