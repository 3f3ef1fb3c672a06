"""Users' own measured points, to overlay on the charts beside the estimate.

A CSV (with a header row) or JSON-lines file; one point per row:

==========  =============================================================================
column      meaning
==========  =============================================================================
axis        ``context`` (prompt tokens; memory chart) or ``batch`` (speed chart)
x           the prompt length or batch size (> 0)
quantity    ``memory_gib``, ``memory_gb``, ``memory_bytes`` (memory chart);
            ``step_ms`` or ``tokens_per_s`` (speed chart; tokens/s of all sequences)
value       the measured number, in the quantity's unit (> 0)
label       free text shown on hover (optional)
source      where the number comes from (optional)
==========  =============================================================================

Errors name the file, the line and the field; nothing is loaded from a bad file.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .jsonfile import json_lines

AXES = {"context", "batch"}
QUANTITIES = {"memory_gib": "context", "memory_gb": "context", "memory_bytes": "context",
              "step_ms": "batch", "tokens_per_s": "batch"}
MAX_BYTES = 16 * 2**20
MAX_POINTS = 100_000


@dataclass(frozen=True)
class MeasuredPoint:
    axis: str
    x: float
    quantity: str
    value: float
    label: str = ""
    source: str = ""

    @property
    def bytes(self) -> float:
        """Memory points in bytes."""
        scale = {"memory_gib": 2**30, "memory_gb": 1e9, "memory_bytes": 1.0}[self.quantity]
        return self.value * scale


def _number(raw, path: Path, line: int, field: str) -> float:
    try:
        v = float(raw)
    except (TypeError, ValueError):
        raise InputError(f"line {line}: expected a number, got {raw!r}", source=str(path), field=field) from None
    if not math.isfinite(v) or v <= 0:
        raise InputError(f"line {line}: must be a positive finite number, got {raw!r}", source=str(path),
                         field=field)
    return v


def _point(row: dict, path: Path, line: int) -> MeasuredPoint:
    for key in ("axis", "x", "quantity", "value"):
        if row.get(key) in (None, ""):
            raise InputError(f"line {line}: missing", source=str(path), field=key)
    axis = str(row["axis"]).strip().lower()
    quantity = str(row["quantity"]).strip().lower()
    if axis not in AXES:
        raise InputError(f"line {line}: must be 'context' or 'batch', got {row['axis']!r}", source=str(path),
                         field="axis")
    if quantity not in QUANTITIES:
        raise InputError(f"line {line}: must be one of {', '.join(QUANTITIES)}, got {row['quantity']!r}",
                         source=str(path), field="quantity")
    if QUANTITIES[quantity] != axis:
        raise InputError(f"line {line}: {quantity} belongs on the {QUANTITIES[quantity]} axis", source=str(path),
                         field="axis")
    return MeasuredPoint(axis=axis, x=_number(row["x"], path, line, "x"), quantity=quantity,
                         value=_number(row["value"], path, line, "value"), label=str(row.get("label") or "")[:200],
                         source=str(row.get("source") or "")[:500])


def load_measured(path: str | Path) -> list[MeasuredPoint]:
    """Points of a ``.csv`` or ``.jsonl`` file (JSON lines also for any other suffix)."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise InputError("larger than 16 MiB, not a file of measured points", source=str(p))
        text = p.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=str(p)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", source=str(p)) from None
    rows: list[tuple[int, dict]] = []
    if p.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not {"axis", "x", "quantity", "value"} <= {f.strip() for f in reader.fieldnames}:
            raise InputError("the header row must name axis, x, quantity and value", source=str(p))
        for row in reader:
            rows.append((reader.line_num, {(k or "").strip(): v for k, v in row.items()}))
    else:
        rows = json_lines(text, str(p))
    if not rows:
        raise InputError("holds no measured points", source=str(p))
    if len(rows) > MAX_POINTS:
        raise InputError(f"more than {MAX_POINTS:,} points", source=str(p))
    return [_point(row, p, n) for n, row in rows]
