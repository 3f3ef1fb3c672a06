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
        close = close_ids(ident, known)
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        ValueError.__init__(self, f"unknown {kind} '{ident}'{hint}; `vramgui-cli {kind}s` lists them")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def _folded(text: str) -> str:
    """Lower case, letters and digits only: 'Llama-2 7B' and 'llama2-7b' fold alike."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def close_ids(ident: str, known: list[str], n: int = 5) -> list[str]:
    """The known ids a mistyped one most likely meant, best first: those equal to it but for
    case, spaces and dashes ('RTX 4090', 'llama-2-7b'), then those holding it ('h100' in
    'h100-sxm'), then those it holds ('mixtral-8x7b' in 'mixtral-8x7b-instruct'), then near
    spellings ('lama2-7b')."""
    import difflib

    want = _folded(ident)
    if not want:
        return []
    folded = {k: _folded(k) for k in known}
    tiers = ([k for k, f in folded.items() if f == want],
             sorted((k for k, f in folded.items() if want in f and f != want), key=lambda k: len(folded[k])),
             sorted((k for k, f in folded.items() if f and f in want and f != want), key=lambda k: -len(folded[k])))
    out = [k for tier in tiers for k in tier]
    if not out:
        by_fold = {f: k for k, f in folded.items()}
        out = [by_fold[f] for f in difflib.get_close_matches(want, list(by_fold), n=n, cutoff=0.75)]
    return out[:n]


def pydantic_message(exc, source: str | None = None) -> str:
    """One readable line per pydantic validation error: ``file: field 'a.b': reason``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        msg = err.get("msg", "invalid").removeprefix("Value error, ")   # (pydantic's prefix on our own messages)
        where = f"{source}: " if source else ""
        lines.append(f"{where}field '{loc}': {msg}" if loc else f"{where}{msg}")
    return "; ".join(lines)
