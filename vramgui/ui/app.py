"""Application entry point: ``vramgui`` / ``python -m vramgui``.

``--screenshot PATH`` renders the window for a scenario offscreen and saves it;
``--self-test`` opens the window, drives every control once, exports a PNG to a temp
dir, checks it, and exits 0 or 1 (used on the frozen app)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..core import ENGINES, KV_DTYPES, WEIGHT_FORMATS, Scenario, VramguiError
from ..core.catalog import data_dir


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="vramgui", description="Will this LLM run on this GPU, and how fast?")
    ap.add_argument("--model", default="llama2-7b")
    ap.add_argument("--gpu", default="rtx4090")
    ap.add_argument("--gpus", type=int, default=1)
    ap.add_argument("--weights", default="fp16", choices=list(WEIGHT_FORMATS))
    ap.add_argument("--kv-dtype", default="fp16", choices=list(KV_DTYPES))
    ap.add_argument("--engine", default="generic", choices=list(ENGINES))
    ap.add_argument("--attention", choices=["eager", "sdpa", "flash"], default=None)
    ap.add_argument("--prompt", type=int, default=4096)
    ap.add_argument("--output", type=int, default=256)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--mode", choices=["inference", "training"], default="inference")
    ap.add_argument("--measured", metavar="PATH", help="overlay a CSV/JSONL of measured points")
    ap.add_argument("--screenshot", metavar="PATH", help="save a screenshot of the window and exit")
    ap.add_argument("--size", default="1600x960", help="window size for --screenshot, WIDTHxHEIGHT")
    ap.add_argument("--self-test", action="store_true", help="drive every control, export, check, exit 0/1")
    return ap.parse_args(argv)


def app_catalog():
    """Built-in presets and the user's (problems are shown in the window's status bar)."""
    global _CATALOG
    if _CATALOG is None:
        from ..core import load_catalog
        from ..core.user_presets import user_dir
        _CATALOG = load_catalog(user_dir=user_dir())
    return _CATALOG


_CATALOG = None


def initial_scenario(args: argparse.Namespace) -> Scenario:
    cat = app_catalog()
    return Scenario(model=cat.model(args.model), gpu=cat.gpu(args.gpu), n_gpus=args.gpus, weights=args.weights,
                    kv_dtype=args.kv_dtype, engine=args.engine, attention=args.attention,
                    prompt_tokens=args.prompt, output_tokens=args.output, batch=args.batch)


def make_window(scenario: Scenario):
    from .main_window import MainWindow
    from .state import ScenarioState
    win = MainWindow(ScenarioState(app_catalog(), scenario))
    if app_catalog().problems:
        win.statusBar().showMessage(f"Skipped {len(app_catalog().problems)} broken preset(s): "
                                    + "; ".join(app_catalog().problems), 20000)
    return win


def screenshot(win, path: Path, size: str) -> Path:
    from PySide6 import QtWidgets
    w, h = (int(v) for v in size.lower().split("x"))
    win.resize(w, h)
    win.show()
    for _ in range(5):
        QtWidgets.QApplication.processEvents()
    win.grab().save(str(path))
    return path


def self_test(win) -> int:
    """Drive each control once through its widget, export a PNG and check it."""
    from PySide6 import QtGui, QtWidgets
    p = win.panel
    steps = [lambda: p.model_filter.setText("qwen"), lambda: p.model_filter.setText(""),
             lambda: p.gpu.setCurrentIndex(p.gpu.findData("a100-80gb")),
             lambda: p.model.setCurrentIndex(p.model.findData("llama2-13b")),
             lambda: p.weights.setCurrentIndex(p.weights.findData("q4_k_m")),
             lambda: p.kv.setCurrentIndex(p.kv.findData("q8_0")),
             lambda: p.engine.setCurrentIndex(p.engine.findData("llamacpp")),
             lambda: p.attention.setCurrentIndex(p.attention.findData("flash")),
             lambda: p.prompt.spin.setValue(8000), lambda: p.output.spin.setValue(500),
             lambda: p.batch.spin.setValue(4), lambda: p.gpus.setValue(2), lambda: p.util.setValue(0.8),
             lambda: p.reserved.setValue(512)]
    for step in steps:
        step()
        win.redraw()
        QtWidgets.QApplication.processEvents()
    with tempfile.TemporaryDirectory() as tmp:
        out = win.export_chart("memory", "png", Path(tmp) / "memory.png", width=1200)
        img = QtGui.QImage(str(out))
        ok = not img.isNull() and img.width() == 1200 and len({img.pixel(x, img.height() // 2)
                                                                for x in range(0, 1200, 7)}) > 3
    s = win.state.scenario
    ok = ok and s.model.id.startswith("llama2-13b") and s.weights == "q4_k_m" and s.n_gpus == 2
    print("self-test:", "ok" if ok else "FAILED")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if (args.screenshot or args.self_test) and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6 import QtGui, QtWidgets
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("vramgui")
    app.setWindowIcon(QtGui.QIcon(str(data_dir("resources") / "icons" / "vramgui.svg")))
    try:
        win = make_window(initial_scenario(args))
        win.state.set_mode(args.mode)
        if args.measured and not win.load_measured(Path(args.measured)):
            return 2
    except VramguiError as exc:
        print(f"vramgui: error: {exc}", file=sys.stderr)
        return 2
    if args.screenshot:
        screenshot(win, Path(args.screenshot), args.size)
        return 0
    if args.self_test:
        return self_test(win)
    win.resize(1440, 900)
    win.show()
    return app.exec()
