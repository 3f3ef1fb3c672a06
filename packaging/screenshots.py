"""Render the documentation screenshots (offscreen): python packaging/screenshots.py

The Simplified Chinese shot needs a CJK font on the machine (Debian/Ubuntu:
``apt-get install fonts-wqy-microhei``); without one it is skipped with a notice rather
than saved with empty boxes for glyphs."""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    from PySide6 import QtWidgets
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    from vramgui.ui.app import initial_scenario, make_window, parse_args
    from vramgui.ui.app import main as app_main

    def settle(w):
        for _ in range(5):
            app.processEvents()
        w.redraw()
        w.redraw_table()
        w.settle()                  # (what waits for the edits to pause: the offloaded rows' contexts with RAM)
        for _ in range(5):
            app.processEvents()

    shots = [
        ([], "window-llama2-7b-rtx4090"),
        (["--model", "llama2-70b", "--gpu", "a100-80gb", "--weights", "gptq-int4", "--engine", "hf", "--attention",
          "eager", "--prompt", "4096"], "window-llama2-70b-int4-a100"),
        (["--model", "llama3.1-405b", "--gpu", "h100-sxm", "--gpus", "8", "--weights", "fp8", "--engine", "vllm",
          "--prompt", "8192", "--output", "1024", "--batch", "16"], "window-llama3.1-405b-8xh100"),
    ]
    for args, name in shots:
        for size in ("1366x768", "2560x1440"):
            app_main(["--screenshot", f"docs/{name}-{size}.png", "--size", size, *args])
    app_main(["--screenshot", "docs/window-mlx-qwen3-30b-a3b-m4max-1366x768.png", "--model", "qwen3-30b-a3b", "--gpu",
              "m4-max-64gb", "--weights", "mlx-4bit", "--engine", "mlx", "--prompt", "8192", "--size", "1366x768"])
    app_main(["--screenshot", "docs/window-ollama-qwen3-14b-rtx4090-1366x768.png", "--model", "qwen3-14b", "--gpu",
              "rtx4090", "--weights", "q4_k_m", "--engine", "ollama", "--size", "1366x768"])
    app_main(["--screenshot", "docs/window-finetuning-llama2-7b-rtx4090-1366x768.png", "--mode", "training",
              "--size", "1366x768"])
    app_main(["--screenshot", "docs/overlay-lmdeploy-llama2-7b-a100-1366x768.png", "--model", "llama2-7b", "--gpu",
              "a100-80gb", "--engine", "vllm", "--prompt", "128", "--output", "2048", "--batch", "16", "--measured",
              "presets/measured/lmdeploy-llama2-7b-a100-p128-g2048-step-ms.csv", "--size", "1366x768"])
    # partial offload: the window, and the fit panel tall enough for all three fit levels
    w = make_window(initial_scenario(parse_args(["--model", "llama2-70b", "--gpu", "rtx4090", "--weights", "q4_k_m",
                                                 "--engine", "llamacpp", "--prompt", "4000", "--output", "96"])))
    w.state.set_offload(ram_gb=32)
    w.resize(1366, 768)
    w.show()
    settle(w)
    w.grab().save("docs/window-offload-llama2-70b-rtx4090-1366x768.png")
    # the weight picker's list, dropped down: each format's memory a card and verdict beside the card and the RAM
    w.panel.weights.showPopup()
    app.processEvents()
    w.panel.weights.view().window().grab().save("docs/weights-picker-llama2-70b-rtx4090-32gb-ram.png")
    w.panel.weights.hidePopup()
    view = w.fit_panel.view
    w.fit_panel.setFixedSize(1100, view.verticalHeader().defaultSectionSize() * (view.model().rowCount() + 1) + 70)
    w.fit_panel.setParent(None)
    w.fit_panel.show()
    settle(w)
    w.fit_panel.grab().save("docs/fit-levels-llama2-70b-q4km-32gb-ram.png")
    # the machine tab: a 24 GB card and 64 GB of RAM
    w2 = make_window(initial_scenario(parse_args([])))
    w2.resize(1366, 768)
    w2.show()
    mt = w2.machine_tab
    w2.tabs.setCurrentIndex(1)
    mt.gpu.setCurrentIndex(mt.gpu.findData("rtx4090"))
    mt.ram.setValue(64)
    mt.context.setValue(4096)     # (the tab starts from the plan's prompt + output: 4,352)
    mt.engine.setCurrentIndex(mt.engine.findData("vllm"))
    mt.recompute()
    for _ in range(5):
        app.processEvents()
    w2.grab().save("docs/machine-tab-rtx4090-64gb-1366x768.png")
    # two pinned scenarios drawn beside the live one, and the side-by-side table
    w3 = make_window(initial_scenario(parse_args(["--model", "llama2-13b", "--gpu", "rtx4090", "--weights", "q8_0",
                                                  "--engine", "llamacpp"])))
    w3.resize(1366, 768)
    w3.show()
    w3.state.pin()
    w3.state.update(weights="q4_k_m")
    w3.state.pin()
    w3.state.set_model("llama2-7b")
    w3.state.update(weights="fp16", engine="vllm")
    settle(w3)
    w3.grab().save("docs/pinned-scenarios-1366x768.png")
    w3.tabs.setCurrentWidget(w3.compare_tab)
    settle(w3)
    w3.grab().save("docs/compare-pinned-1366x768.png")
    def layouts_shot(args, path, price=None):
        w = make_window(initial_scenario(parse_args(args)))
        w.resize(1366, 768)
        w.show()
        if price is not None:
            w.state.set_price(price)
        w.bottom_tabs.setCurrentWidget(w.layouts_panel)
        settle(w)
        w.layouts_panel.rebuild()
        settle(w)
        w.grab().save(path)

    # the layouts tab: 8 x H100 split every way for Llama 3.1 70B, at 64 sequences and a price per card-hour
    layouts_shot(["--model", "llama3.1-70b", "--gpu", "h100-sxm", "--gpus", "8", "--weights", "bf16", "--engine",
                  "vllm", "--batch", "64", "--prompt", "2048", "--output", "512"],
                 "docs/layouts-llama3.1-70b-8xh100-1366x768.png", price=2.5)
    # two HGX boards: tensor parallel 16 spans both nodes (flagged, and marked in the layouts), and
    # DeepSeek R1's latent is cached on every card of a group
    layouts_shot(["--model", "deepseek-r1", "--gpu", "h100-sxm", "--gpus", "16", "--weights", "fp8", "--engine",
                  "sglang", "--batch", "32", "--prompt", "1024", "--output", "1024"],
                 "docs/layouts-deepseek-r1-16xh100-1366x768.png")
    # fine-tuning an MoE model with LoRA on all-linear: peft adapts every routed expert, as the caution says
    w4 = make_window(initial_scenario(parse_args(["--model", "qwen3-30b-a3b", "--gpu", "h100-sxm"])))
    w4.resize(1366, 768)
    w4.show()
    w4.state.set_mode("training")
    w4.state.update_training(method="lora", lora_targets="all-linear", lora_rank=16, checkpointing="full")
    settle(w4)
    w4.grab().save("docs/window-finetuning-lora-qwen3-30b-a3b-h100-1366x768.png")
    app_main(["--screenshot", "docs/window-dark-1366x768.png", "--size", "1366x768", "--theme", "dark"])
    app_main(["--screenshot", "docs/explain-panel-1366x768.png", "--size", "1366x768", "--explain"])
    chinese_window(app_main)
    print("screenshots written to docs/")
    return 0


def chinese_window(app_main) -> None:
    """The main window in Simplified Chinese (the language switched back afterwards)."""
    from PySide6 import QtGui

    from vramgui.ui import i18n
    if not any(QtGui.QFontDatabase.WritingSystem.SimplifiedChinese in QtGui.QFontDatabase.writingSystems(f)
               for f in QtGui.QFontDatabase.families()):
        print("no CJK font installed (apt-get install fonts-wqy-microhei): Chinese screenshot skipped")
        return
    app_main(["--screenshot", "docs/window-zh_CN-1366x768.png", "--size", "1366x768", "--lang", "zh_CN"])
    i18n.set_language("")


if __name__ == "__main__":
    sys.exit(main())
