"""The catalog: built-in presets shipped with the package, overridden by user presets.

Presets are data found the same way installed, editable, from a source checkout or
frozen.  A broken file is reported (file and field) and skipped, never fatal.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import PresetError, UnknownIdError, pydantic_message
from .jsonfile import read_json
from .presets import GPU, ModelPreset

T = TypeVar("T", bound=BaseModel)
MAX_PRESET_BYTES = 4 * 2**20


def data_dir(name: str) -> Path:
    """Folder of shipped data (``presets`` or ``resources``): inside the installed package,
    beside a source checkout's package, or in a frozen app's bundle."""
    here = Path(__file__).resolve().parent.parent          # .../vramgui
    candidates = [here / name, here.parent / name]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.insert(0, Path(bundle) / "vramgui" / name)
    for c in candidates:
        if c.is_dir():
            return c
    raise FileNotFoundError(f"vramgui data folder '{name}' not found (looked in "
                            f"{', '.join(str(c) for c in candidates)})")


#: Endings of the files a model argument may name (config.json, index, safetensors, GGUF), and a card's.
MODEL_FILE_SUFFIXES = (".json", ".gguf", ".safetensors")
GPU_FILE_SUFFIXES = (".json",)


def names_a_file(ident: str, suffixes: tuple[str, ...]) -> bool:
    """Whether an argument given where a preset id goes names a file or folder instead: a path
    separator, one of ``suffixes``, or a path that exists (the caller checks the catalog first)."""
    return "/" in ident or "\\" in ident or ident.lower().endswith(suffixes) or Path(ident).exists()


def read_preset(path: Path, kind: type[T]) -> T:
    """Read and validate one preset file; errors name the file and the field."""
    data = read_json(path, PresetError, max_bytes=MAX_PRESET_BYTES, what="a preset", want_object=False)
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        raise PresetError(pydantic_message(exc), source=str(path)) from None


@dataclass
class Catalog:
    """Models and GPUs by id, and the problems met while loading them."""

    models: dict[str, ModelPreset] = field(default_factory=dict)
    gpus: dict[str, GPU] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    user_ids: set[str] = field(default_factory=set)

    def model(self, ident: str) -> ModelPreset:
        try:
            return self.models[ident]
        except KeyError:
            raise UnknownIdError("model", ident, list(self.models)) from None

    def gpu(self, ident: str) -> GPU:
        try:
            return self.gpus[ident]
        except KeyError:
            raise UnknownIdError("gpu", ident, list(self.gpus)) from None

    def families(self) -> dict[str, list[ModelPreset]]:
        out: dict[str, list[ModelPreset]] = {}
        for m in sorted(self.models.values(), key=_model_order):
            out.setdefault(m.family, []).append(m)
        return out


def _model_order(m: ModelPreset) -> tuple:
    return (m.family.lower(), m.published_params or m.architecture.num_layers * m.architecture.hidden_size**2,
            m.id)


def _load_dir(folder: Path, kind: type[T], into: dict[str, T], problems: list[str]) -> set[str]:
    loaded: set[str] = set()
    if not folder.is_dir():
        return loaded
    for path in sorted(folder.glob("*.json")):
        try:
            item = read_preset(path, kind)
        except PresetError as exc:
            problems.append(str(exc))
            continue
        into[item.id] = item
        loaded.add(item.id)
    return loaded


def load_catalog(user_dir: Path | None = None, builtin_dir: Path | None = None) -> Catalog:
    """Built-in presets, then user presets from ``user_dir`` (same layout: ``models/``,
    ``gpus/``) overriding them by id."""
    cat = Catalog()
    base = builtin_dir or data_dir("presets")
    _load_dir(base / "models", ModelPreset, cat.models, cat.problems)
    _load_dir(base / "gpus", GPU, cat.gpus, cat.problems)
    if user_dir is not None:
        cat.user_ids |= _load_dir(Path(user_dir) / "models", ModelPreset, cat.models, cat.problems)
        cat.user_ids |= _load_dir(Path(user_dir) / "gpus", GPU, cat.gpus, cat.problems)
    return cat


_DEFAULT: Catalog | None = None


def default_catalog() -> Catalog:
    """The built-in catalog, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_catalog()
    return _DEFAULT
