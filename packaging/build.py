"""Build the frozen app from a clean virtual environment.

    python packaging/build.py [--onefile] [--venv .build-venv]

Creates the venv, installs vramgui (non-editable) and PyInstaller, renders the icons and
runs the spec; the app lands in dist/vramgui/ (dist/vramgui.app on macOS)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYINSTALLER = "pyinstaller==6.22.3"


def run(cmd: list[str], **kw) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def strip_python(dist: Path) -> None:
    """Drop the debug sections of the bundled libpython (pyenv builds carry ~18 MB of them);
    other libraries are left alone (stripping manylinux libraries can break them)."""
    if sys.platform != "linux" or not shutil.which("strip"):
        return
    for lib in dist.glob("**/_internal/libpython3*.so*"):
        if lib.is_file() and not lib.is_symlink():
            run(["strip", "--strip-debug", str(lib)])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--onefile", action="store_true")
    ap.add_argument("--venv", default=str(ROOT / ".build-venv"))
    ap.add_argument("--reuse", action="store_true", help="use the venv as it is (no fresh install)")
    args = ap.parse_args()
    env_dir = Path(args.venv)
    py = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if not args.reuse:
        venv.EnvBuilder(clear=True, with_pip=True).create(env_dir)
        run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"])
        run([str(py), "-m", "pip", "install", "-q", ".", PYINSTALLER])
    else:
        run([str(py), "-m", "pip", "install", "-q", PYINSTALLER])
    run([str(py), "packaging/make_icons.py"])
    env = dict(os.environ, VRAMGUI_ONEFILE="1" if args.onefile else "0")
    run([str(py), "-m", "PyInstaller", "--noconfirm", "--clean", "--distpath", "dist",
         "--workpath", "build/pyinstaller", "packaging/vramgui.spec"], env=env)
    strip_python(ROOT / "dist")
    folder = ROOT / "dist" / "vramgui"
    if folder.is_dir():  # issue #7: the folder app should stay under 150 MB
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())
        print(f"folder app: {size / 1e6:.1f} MB")
    print(f"built: {ROOT / 'dist'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
