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

from pydantic import ValidationError

from ..core import ENGINES, KV_DTYPES, WEIGHT_FORMATS, Scenario, VramguiError
from ..core.catalog import GPU_FILE_SUFFIXES, MODEL_FILE_SUFFIXES, data_dir, names_a_file
from ..core.errors import pydantic_message
from ..core.scenario import DEFAULT_OUTPUT_TOKENS, DEFAULT_PROMPT_TOKENS, HOSTS
from ..flags import add_offload_flags


def parse_args(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def build_parser() -> argparse.ArgumentParser:
    """The window's flags: the scenario it opens with (as vramgui-cli's), and what to do with it."""
    ap = argparse.ArgumentParser(prog="vramgui", description="Will this LLM run on this GPU, and how fast?")
    ap.add_argument("--model", default="llama2-7b", metavar="ID|PATH",
                    help="a model preset id, or a model file to import (config.json, *.safetensors, "
                         "model.safetensors.index.json, *.gguf, or a folder holding one)")
    ap.add_argument("--gpu", default="rtx4090", metavar="ID|PATH",
                    help="a GPU preset id, or a GPU preset file (JSON, as presets/gpus/ or vramgui-cli --gpu-file "
                         "read) for this session")
    ap.add_argument("--gpus", type=int, default=1, metavar="N", help="cards to split the model over (default 1)")
    ap.add_argument("--pipeline", type=int, default=1, metavar="STAGES", help="pipeline-parallel stages the cards form")
    ap.add_argument("--weights", default=None, choices=list(WEIGHT_FORMATS),
                    help="weight format (default: the model's release format where it is released quantized, "
                         "gpt-oss's MXFP4 experts say, as the model picker sets it; else fp16)")
    ap.add_argument("--kv-dtype", default=None, choices=list(KV_DTYPES),
                    help="KV-cache dtype (default fp16; under vllm and sglang an imported checkpoint's FP8 cache where "
                         "its Model Optimizer config asks for one, as they do)")
    ap.add_argument("--engine", default="generic", choices=list(ENGINES), help="engine profile (default generic)")
    ap.add_argument("--attention", choices=["eager", "sdpa", "flash"], default=None,
                    help="attention implementation (default: the engine's)")
    ap.add_argument("--host", choices=HOSTS, default=None,
                    help="the CPU HF transformers launches its kernels from (default: by the card)")
    ap.add_argument("--prompt", type=int, default=DEFAULT_PROMPT_TOKENS, metavar="TOKENS",
                    help=f"prompt tokens (default {DEFAULT_PROMPT_TOKENS})")
    ap.add_argument("--cached", type=int, default=0, metavar="TOKENS",
                    help="of the prompt, tokens already in the KV cache")
    ap.add_argument("--output", type=int, default=DEFAULT_OUTPUT_TOKENS, metavar="TOKENS",
                    help=f"generated tokens (default {DEFAULT_OUTPUT_TOKENS})")
    ap.add_argument("--batch", type=int, default=1, metavar="N", help="concurrent sequences (default 1)")
    add_offload_flags(ap, ngl=False)
    ap.add_argument("--mode", choices=["inference", "training"], default="inference",
                    help="open on inference (the default) or fine-tuning")
    ap.add_argument("--measured", metavar="PATH", help="overlay a CSV/JSONL of measured points")
    ap.add_argument("--screenshot", metavar="PATH", help="save a screenshot of the window and exit")
    ap.add_argument("--size", default="1600x960", metavar="WIDTHxHEIGHT",
                    help="window size for --screenshot (default 1600x960)")
    ap.add_argument("--lang", choices=["system", "en", "zh_CN"], default=None,
                    help="language of the window (default: the one chosen in View > Language, else the system's)")
    ap.add_argument("--theme", choices=["system", "light", "dark"], default=None,
                    help="colour theme (default: the one chosen in View > Theme, else the system's; "
                         "light for --screenshot and --self-test)")
    ap.add_argument("--explain", action="store_true", help="open the explain panel (formulas and sources)")
    ap.add_argument("--self-test", action="store_true", help="drive every control, export, check, exit 0/1")
    return ap


def app_catalog():
    """Built-in presets and the user's (problems are shown in the window's status bar)."""
    global _CATALOG
    if _CATALOG is None:
        from ..core import load_catalog
        from ..core.user_presets import user_dir
        _CATALOG = load_catalog(user_dir=user_dir())
    return _CATALOG


_CATALOG = None


def model_file_arg(args: argparse.Namespace) -> Path | None:
    """The file ``--model`` names, where it names a file or folder rather than a preset id."""
    named = args.model not in app_catalog().models and names_a_file(args.model, MODEL_FILE_SUFFIXES)
    return Path(args.model) if named else None


def gpu_file_arg(args: argparse.Namespace) -> Path | None:
    """The preset file ``--gpu`` names, where it names one rather than a preset id."""
    named = args.gpu not in app_catalog().gpus and names_a_file(args.gpu, GPU_FILE_SUFFIXES)
    return Path(args.gpu) if named else None


def initial_scenario(args: argparse.Namespace) -> Scenario:
    """The scenario the command line asks for (with ``--model PATH`` or ``--gpu PATH``, the default
    model or card: the window then takes the file's, see :func:`main`)."""
    cat = app_catalog()
    model = cat.model("llama2-7b" if model_file_arg(args) else args.model)
    gpu = cat.gpu("rtx4090" if gpu_file_arg(args) else args.gpu)
    return Scenario(model=model, gpu=gpu, n_gpus=args.gpus, pipeline=args.pipeline,
                    weights=args.weights or "fp16",
                    kv_dtype=args.kv_dtype or "fp16", engine=args.engine, attention=args.attention, host=args.host,
                    prompt_tokens=args.prompt, cached_tokens=args.cached, output_tokens=args.output,
                    batch=args.batch)


def startup_language(args: argparse.Namespace) -> str:
    """The language setting to start with: ``--lang``, else the one chosen in the menu last
    time, else the system's (``""``).  A screenshot or a self-test shows what the command line
    asks, never the user's settings."""
    if args.lang is not None:
        return "" if args.lang == "system" else args.lang
    if args.screenshot or args.self_test:
        return ""
    from .session import load_language
    return load_language()


def make_window(scenario: Scenario):
    from .main_window import MainWindow
    from .state import ScenarioState
    win = MainWindow(ScenarioState(app_catalog(), scenario))
    if app_catalog().problems:
        from .i18n import translate
        win.statusBar().showMessage(translate("App", "Skipped {n} broken preset(s): {problems}").format(
            n=len(app_catalog().problems), problems="; ".join(app_catalog().problems)), 20000)
    return win


def freeze_startup_objects() -> int:
    """Set the objects of the start-up (Qt's and numpy's modules, the catalog, the window:
    about 90,000) aside from Python's garbage collector, which otherwise walks them all in
    each full collection: a 30 ms pause in the middle of an edit every few hundred edits,
    2 ms once they are set aside (gc.freeze).  Called once the window is up; returns how
    many objects were set aside."""
    import gc

    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def screenshot(win, path: Path, size: str) -> Path:
    from PySide6 import QtWidgets
    w, h = (int(v) for v in size.lower().split("x"))
    win.resize(w, h)
    win.show()
    for _ in range(5):
        QtWidgets.QApplication.processEvents()
    win.settle()
    for _ in range(2):
        QtWidgets.QApplication.processEvents()
    win.grab().save(str(path))
    return path


def self_test(win) -> int:
    """Drive each control once through its widget, export a PNG and an SVG of the charts, the speed sweep's CSV and
    the two tables', and check them (in the frozen app this also proves the bundled image and SVG code)."""
    from PySide6 import QtGui, QtWidgets
    p = win.panel
    steps = [lambda: p.model_filter.setText("qwen"), lambda: p.model_filter.setText(""),
             lambda: p.gpu.setCurrentIndex(p.gpu.findData("a100-80gb")),
             lambda: p.model.setCurrentIndex(p.model.findData("llama2-13b")),
             lambda: p.weights.setCurrentIndex(p.weights.findData("q4_k_m")),
             lambda: p.kv.setCurrentIndex(p.kv.findData("q8_0")),
             lambda: p.engine.setCurrentIndex(p.engine.findData("llamacpp")),
             lambda: p.attention.setCurrentIndex(p.attention.findData("flash")),
             lambda: p.host.setCurrentIndex(p.host.findData("server")),
             lambda: p.prompt.spin.setValue(8000), lambda: p.cached.setValue(4000),
             lambda: p.output.spin.setValue(500),
             lambda: p.batch.spin.setValue(4), lambda: p.gpus.setValue(2), lambda: p.util.setValue(0.8),
             lambda: p.reserved.setValue(512), lambda: p.ram.setValue(64), lambda: p.ram_bw.setValue(100),
             lambda: p.price.setValue(2.5)]
    for step in steps:
        step()
        win.redraw()
        QtWidgets.QApplication.processEvents()
    with tempfile.TemporaryDirectory() as tmp:
        out = win.export_chart("memory", "png", Path(tmp) / "memory.png", width=1200)
        img = QtGui.QImage(str(out))
        ok = not img.isNull() and img.width() == 1200 and len({img.pixel(x, img.height() // 2)
                                                                for x in range(0, 1200, 7)}) > 3
        svg = Path(win.export_chart("speed", "svg", Path(tmp) / "speed.svg")).read_text(encoding="utf-8")
        ok = ok and "<svg" in svg and svg.count("<path") >= 4     # at least the four speed curves
        # the speed sweep's CSV (core.sweeps), with the System RAM entered above each batch's offload plan
        rows = Path(win.export_speed_data(Path(tmp) / "speed.csv")).read_text(encoding="utf-8").splitlines()
        ok = ok and rows[0].startswith("batch,") and rows[0].endswith(",offload_prefill_seconds") and len(rows) > 20
        # the two tables' CSVs: a row a card shown, and the My machine tab's rows (core.machine's grid)
        rows = Path(win.export_card_table(Path(tmp) / "cards.csv")).read_text(encoding="utf-8").splitlines()
        ok = ok and rows[0].startswith("gpu,card,verdict,") and len(rows) == 1 + win.fit_panel.model.rowCount() > 20
        rows = Path(win.export_machine_table(Path(tmp) / "machine.csv")).read_text(encoding="utf-8").splitlines()
        ok = ok and rows[0].startswith("model,name,weights,engine,") and len(rows) > 100
    win.layouts_panel.rebuild(force=True)        # two cards, llama.cpp: two replicas of one, or one of two
    ok = ok and [win.layouts_panel.table.item(r, 0).text() for r in range(win.layouts_panel.table.rowCount())] == [
        "2 × 1", "1 × 2"]
    s = win.state.scenario
    ok = ok and s.model.id.startswith("llama2-13b") and s.weights == "q4_k_m" and s.n_gpus == 2
    ok = ok and s.cached_tokens == 4000
    ok = ok and win.state.ram_gb == 64 and win.state.price == 2.5 and bool(p.cost.text())
    print("self-test:", "ok" if ok else "FAILED")
    return 0 if ok else 1


# Libraries Qt's xcb platform plugin loads (Qt 6.5+), and the Debian/Ubuntu packages that hold them.
XCB_LIBRARIES = {"libxcb-cursor.so.0": "libxcb-cursor0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
                 "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-keysyms.so.1": "libxcb-keysyms1",
                 "libxcb-image.so.0": "libxcb-image0", "libxcb-render-util.so.0": "libxcb-render-util0",
                 "libxcb-shape.so.0": "libxcb-shape0", "libxcb-xkb.so.1": "libxcb-xkb1",
                 "libxcb-randr.so.0": "libxcb-randr0", "libxcb-sync.so.1": "libxcb-sync1",
                 "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-shm.so.0": "libxcb-shm0",
                 "libxcb-util.so.1": "libxcb-util1", "libX11-xcb.so.1": "libx11-xcb1",
                 "libEGL.so.1": "libegl1", "libfontconfig.so.1": "libfontconfig1"}


def platform_problem(environ=os.environ, loadable=None) -> str | None:
    """On Linux with the xcb platform: why Qt's window cannot start, in words that say what
    to install (instead of Qt's bare abort), or None."""
    if not sys.platform.startswith("linux"):
        return None
    plat = environ.get("QT_QPA_PLATFORM", "")
    if (plat and not plat.startswith("xcb")) or (not plat and environ.get("WAYLAND_DISPLAY")):
        return None
    if not environ.get("DISPLAY"):
        return ("no display: DISPLAY is not set. Start vramgui from a desktop session, or use "
                "`vramgui --screenshot out.png` / `vramgui-cli` on a headless machine.")
    loadable = loadable or _loadable
    missing = sorted({pkg for lib, pkg in XCB_LIBRARIES.items() if not loadable(lib)})
    if missing:
        return ("Qt's xcb platform plugin needs system libraries that are missing. Install them with: "
                f"sudo apt-get install {' '.join(missing)}")
    return None


def _loadable(name: str) -> bool:
    import ctypes
    try:
        ctypes.CDLL(name)
        return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if (args.screenshot or args.self_test) and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    problem = platform_problem()
    if problem:
        print(f"vramgui: {problem}", file=sys.stderr)
        return 1
    from PySide6 import QtCore, QtGui, QtWidgets
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("vramgui")
    app.setWindowIcon(QtGui.QIcon(str(data_dir("resources") / "icons" / "vramgui.svg")))
    from . import i18n, session
    interactive = not (args.screenshot or args.self_test)
    i18n.set_language(startup_language(args))
    from .theme import apply_theme
    apply_theme(app, args.theme or (session.load_theme() if interactive else "light"))
    try:
        from ..core.catalog import read_preset
        from ..core.model_files import model_from_path
        from ..core.presets import GPU
        from .state import MAX_CPU_OFFLOAD_GIB, MAX_RAM_BANDWIDTH_GB_S
        model_file, gpu_file = model_file_arg(args), gpu_file_arg(args)
        imported = model_from_path(model_file) if model_file else None   # (a bad file: an error line, no window)
        card = read_preset(gpu_file, GPU) if gpu_file else None
        win = make_window(initial_scenario(args))
        if imported is not None:
            win.use_imported(imported, model_file, kv_chosen=args.kv_dtype is not None)   # (--kv-dtype over the
            #                                                                  cache type the checkpoint asks for)
        elif args.weights is None:         # a model released quantized: in its release format, as the picker sets it
            win.state.set_model(win.state.scenario.model.id)
        if card is not None:                # (for this session: File → Add a custom GPU… saves one)
            win.state.add_gpu(card)
            win.state.set_gpu(card.id)
        win.state.set_mode(args.mode)
        if args.no_mmap:
            win.state.set_offload(pinned=True)
        if args.ram is not None or args.ram_bandwidth is not None or args.experts_on_cpu or args.n_cpu_moe is not None:
            if (args.ram is not None and not 0 <= args.ram <= 8192) or \
                    (args.ram_bandwidth is not None and not 0 < args.ram_bandwidth <= MAX_RAM_BANDWIDTH_GB_S):
                raise VramguiError("--ram must be 0 to 8,192 GB and --ram-bandwidth above 0, at most "
                                   f"{MAX_RAM_BANDWIDTH_GB_S:,.0f} GB/s")
            if args.n_cpu_moe is not None and (args.n_cpu_moe < 0 or args.experts_on_cpu):
                raise VramguiError("--n-cpu-moe takes a number of layers, 0 or more, and not with --experts-on-cpu")
            win.state.set_offload(ram_gb=args.ram, experts_on_cpu=args.experts_on_cpu or None,
                                  ram_bandwidth_gb_s=args.ram_bandwidth, n_cpu_moe=args.n_cpu_moe)
        if args.cpu_offload_gb is not None:     # (vLLM's and SGLang's: the Weights in RAM box shows it under them)
            if not 0 <= args.cpu_offload_gb <= MAX_CPU_OFFLOAD_GIB:
                raise VramguiError(f"--cpu-offload-gb must be 0 to {MAX_CPU_OFFLOAD_GIB:,} GiB a card, got "
                                   f"{args.cpu_offload_gb:g}")
            win.state.set_offload(cpu_offload_gib=args.cpu_offload_gb)
        if args.cpu_offload_experts:            # (vLLM's --cpu-offload-params: the box beside System RAM under it)
            win.state.set_offload(experts_only=True)
        if args.measured and not win.load_measured(Path(args.measured)):
            return 2
    except VramguiError as exc:
        print(f"vramgui: error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:          # (a scenario the flags ask for that cannot be: vLLM with eager attention)
        print(f"vramgui: error: {pydantic_message(exc)}", file=sys.stderr)
        return 2
    if args.explain:
        win.show_explain()
    if args.screenshot:
        screenshot(win, Path(args.screenshot), args.size)
        return 0
    if args.self_test:
        return self_test(win)
    session.install_exception_hook()
    win.resize(1440, 900)
    argv_given = sys.argv[1:] if argv is None else argv
    # no scenario on the command line (a language or theme alone is none): the last one
    if not any(a.startswith("--") and not a.startswith(("--lang", "--theme")) for a in argv_given):
        notes = session.restore_session(win)
        if notes:
            win.statusBar().showMessage(i18n.translate("App", "Last session: {notes}").format(notes="; ".join(notes)),
                                        15000)
    win.set_recent_imports(session.load_recent_imports())
    win.remember_session = True
    if model_file is not None:           # (a file opened from the command line joins File → Recent imports)
        win.add_recent_import(model_file)
    win.show()
    QtCore.QTimer.singleShot(500, freeze_startup_objects)      # (once the window has painted)
    if os.environ.get("VRAMGUI_EXIT_AFTER_SHOW"):   # start-up timing (packaging/measure_start.py)
        app.processEvents()
        print("shown", flush=True)
        return 0
    return app.exec()
