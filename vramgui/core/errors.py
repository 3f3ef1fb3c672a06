"""Error types that name the file and the field.

Every class also derives from ``ValueError`` so callers that only know the standard
library can still catch them.
"""

from __future__ import annotations


class VramguiError(ValueError):
    """Base class of every error the core raises on bad input."""


class InputError(VramguiError):
    """A value is wrong.  ``source`` names the file (or "scenario"), ``field`` the key."""

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.source = source
        self.field = field
        self.reason = message
        where = []
        if source:
            where.append(str(source))
        if field:
            where.append(f"field '{field}'")
        prefix = ": ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class PresetError(InputError):
    """A preset file (built-in or user) could not be read or validated."""


class ConfigError(InputError):
    """A Hugging Face ``config.json`` could not be turned into an architecture."""


class UnknownIdError(VramguiError, KeyError):
    """An id (model, GPU, format, engine) is not in the catalog."""

    def __init__(self, kind: str, ident: str, known: list[str]):
        self.kind = kind
        self.ident = ident
        close = [k for k in known if ident.lower() in k.lower() or k.lower() in ident.lower()][:5]
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        ValueError.__init__(self, f"unknown {kind} '{ident}'{hint}; `vramgui-cli {kind}s` lists them")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def pydantic_message(exc, source: str | None = None) -> str:
    """One readable line per pydantic validation error: ``file: field 'a.b': reason``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        msg = err.get("msg", "invalid").removeprefix("Value error, ")   # (pydantic's prefix on our own messages)
        where = f"{source}: " if source else ""
        lines.append(f"{where}field '{loc}': {msg}" if loc else f"{where}{msg}")
    return "; ".join(lines)
