"""The core never imports Qt (DESIGN: pure Python + numpy)."""

import re
import subprocess
import sys
from pathlib import Path

import vramgui.core


def test_importing_core_loads_no_qt():
    code = ("import sys, vramgui.core, vramgui.core.speed, vramgui.core.catalog, vramgui.cli; "
            "bad = [m for m in ('PySide6', 'pyqtgraph', 'shiboken6') if m in sys.modules]; "
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, f"core pulled in Qt: {r.stdout} {r.stderr}"


def test_no_qt_import_statement_under_core():
    pattern = re.compile(r"^\s*(from|import)\s+(PySide6|pyqtgraph|shiboken6)", re.M)
    core = Path(vramgui.core.__file__).parent
    offenders = [p.name for p in core.glob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
