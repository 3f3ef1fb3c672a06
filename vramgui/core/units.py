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
