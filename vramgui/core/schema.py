"""JSON Schemas of the preset files, generated from the pydantic models.

``python -m vramgui.core.schema OUTDIR`` writes ``gpu.schema.json`` and
``model.schema.json``; the repository keeps them under ``presets/schema/`` so users can
edit presets with validation in their editor.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .presets import GPU, ModelPreset

SCHEMAS = {"gpu.schema.json": GPU, "model.schema.json": ModelPreset}


def schema_texts() -> dict[str, str]:
    return {name: json.dumps(kind.model_json_schema(), indent=2, sort_keys=True) + "\n"
            for name, kind in SCHEMAS.items()}


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "presets/schema")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in schema_texts().items():
        (out / name).write_text(text, encoding="utf-8")
