"""Render resources/icons/vramgui.svg to PNG sizes, a Windows .ico and a macOS .icns.

Qt renders the SVG; the .ico and .icns containers are written here (both hold PNG
images), so no image library beyond Qt is needed.  Run: python packaging/make_icons.py"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)


def render(size: int) -> bytes:
    from PySide6 import QtCore, QtGui, QtSvg
    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    QtSvg.QSvgRenderer(str(ICONS / "vramgui.svg")).render(painter)
    painter.end()
    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return bytes(buf.data())


def write_ico(pngs: dict[int, bytes], path: Path) -> None:
    """ICO with PNG-compressed entries (Windows Vista and later)."""
    sizes = [s for s in (16, 24, 32, 48, 64, 128, 256) if s in pngs]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, blobs = b"", b""
    for s in sizes:
        data = pngs[s]
        entries += struct.pack("<BBBBHHII", s % 256, s % 256, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    path.write_bytes(header + entries + blobs)


def write_icns(pngs: dict[int, bytes], path: Path) -> None:
    """ICNS with PNG entries: icp4 16, icp5 32, icp6 64, ic07 128, ic08 256, ic09 512, ic10 1024."""
    types = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}
    body = b"".join(t + struct.pack(">I", 8 + len(pngs[s])) + pngs[s] for s, t in types.items())
    path.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)


def main() -> int:
    from PySide6 import QtWidgets
    QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    pngs = {s: render(s) for s in SIZES}
    for s, data in pngs.items():
        if s <= 512:
            (ICONS / f"vramgui-{s}.png").write_bytes(data)
    write_ico(pngs, ICONS / "vramgui.ico")
    write_icns(pngs, ICONS / "vramgui.icns")
    print(f"wrote {len(pngs)} sizes, vramgui.ico and vramgui.icns to {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
