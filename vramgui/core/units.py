"""Unit constants, defined once.  Everything in the core is bytes, seconds, FLOP."""

KIB = 2**10
MIB = 2**20
GIB = 2**30
KB = 10**3
MB = 10**6
GB = 10**9
TB = 10**12
TERA = 1e12


def bits_to_bytes(bits: float) -> float:
    """Bits to bytes as a float (never integer division: 4 bits is 0.5 bytes)."""
    return bits / 8.0


def duration_parts(seconds: float) -> tuple[float, int, str]:
    """A time as people read it, as (value, decimals, unit): milliseconds below ten seconds (a
    decimal below 10 ms), seconds below a thousand (a decimal below 100 s), minutes below a
    hundred, then hours (a decimal below 100 h).  A 188,276 ms prefill reads as 188 s, a
    15,711 s one as 4.4 h.  The window formats these in the user's locale
    (``ui.i18n.duration``); :func:`duration_text` in plain figures."""
    s = float(seconds)
    if s < 10:
        return s * 1e3, 1 if s < 0.01 else 0, "ms"
    if s < 1000:
        return s, 1 if s < 100 else 0, "s"
    if s < 6000:
        return s / 60, 0, "min"
    return s / 3600, 1 if s < 360_000 else 0, "h"


def duration_text(seconds: float) -> str:
    """:func:`duration_parts` as text with thousands separators: ``4,724 ms``, ``26.5 s``, ``17 min``."""
    value, decimals, unit = duration_parts(seconds)
    return f"{value:,.{decimals}f} {unit}"
