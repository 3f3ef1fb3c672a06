"""Models from files on disk: a Hugging Face ``config.json``, or a folder holding one."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import ValidationError

from .errors import ConfigError, pydantic_message
from .jsonfile import read_json
from .presets import ModelPreset

MAX_CONFIG_BYTES = 16 * 2**20


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9.\-_]+", "-", text.lower()).strip("-._")
    return (s or "imported")[:64]


def model_from_path(path: Path) -> ModelPreset:
    """A :class:`ModelPreset` from a ``config.json`` (or a folder holding one).

    The preset's ``source`` is the file, so the provenance stays visible."""
    p = Path(path)
    if p.is_dir():
        p = p / "config.json"
        if not p.is_file():
            raise ConfigError("folder holds no config.json", source=str(path))
    cfg = read_json(p, ConfigError, max_bytes=MAX_CONFIG_BYTES, what="a config.json")
    name = str(cfg.get("_name_or_path") or p.parent.name or "imported model")
    try:
        return ModelPreset(id=_slug(p.parent.name or name), name=name.split("/")[-1] or name,
                           family="Imported", source=f"from {p.resolve()}", config=cfg)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc), source=str(p)) from None
