"""The app says what to install when Qt's xcb plugin cannot start, instead of aborting."""

import subprocess
import sys

import pytest

from vramgui.ui.app import platform_problem

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xcb is Linux's")


def test_missing_xcb_libraries_are_named():
    msg = platform_problem({"DISPLAY": ":0"}, loadable=lambda lib: lib != "libxcb-cursor.so.0")
    assert msg and "sudo apt-get install libxcb-cursor0" in msg


def test_no_display():
    assert "DISPLAY is not set" in platform_problem({}, loadable=lambda lib: True)


def test_offscreen_and_wayland_need_nothing():
    assert platform_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert platform_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert platform_problem({"DISPLAY": ":0"}, loadable=lambda lib: True) is None


def test_start_without_display_prints_one_line():
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    r = subprocess.run([sys.executable, "-m", "vramgui"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "DISPLAY is not set" in r.stderr and "Traceback" not in r.stderr
