"""Reading a JSON file the one careful way: size cap, UTF-8, errors naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import InputError


def read_json(path: Path, error: type[InputError] = InputError, max_bytes: int = 16 * 2**20,
              what: str = "a JSON file", want_object: bool = True) -> Any:
    """Parse ``path``; any problem raises ``error`` naming the file (and the line for bad
    JSON).  Files larger than ``max_bytes`` are refused before they are read."""
    p = Path(path)
    try:
        if p.stat().st_size > max_bytes:
            raise error(f"larger than {max_bytes // 2**20} MiB, not {what}", source=str(p))
        raw = p.read_bytes()
    except IsADirectoryError:
        raise error(f"is a folder, expected {what}", source=str(p)) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", source=str(p)) from None
    except RuntimeError:  # a symbolic-link loop on some Python versions
        raise error("symbolic link loop", source=str(p)) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text (byte {exc.start})", source=str(p)) from None
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source=str(p)) from None
    except RecursionError:
        raise error("JSON nested too deeply", source=str(p)) from None
    if want_object and not isinstance(data, dict):
        raise error("expected a JSON object at the top level", source=str(p))
    return data


def json_lines(text: str, source: str, error: type[InputError] = InputError) -> list[tuple[int, dict]]:
    """(line number, object) of every non-blank line of a JSON-lines text; a bad line raises
    naming the source and the line."""
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"line {n}: not valid JSON ({exc.msg})", source=source) from None
        if not isinstance(obj, dict):
            raise error(f"line {n}: expected a JSON object", source=source)
        rows.append((n, obj))
    return rows
