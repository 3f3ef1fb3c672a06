"""The window in Simplified Chinese: a live switch from the menu, every visible text
translated, the .ts in step with the code, the choice remembered, numbers in the
locale's format."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import PySide6
import pytest
from PySide6 import QtCore, QtWidgets
from support import settle

from vramgui.core.catalog import data_dir
from vramgui.ui import i18n, session

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "translations" / "vramgui_zh_CN.ts"


@pytest.fixture(autouse=True)
def english_afterwards(qapp):
    """Every other test reads English: leave the app as it was found."""
    yield
    i18n.set_language("en")


def choose_language(qtbot, win, code: str) -> None:
    """Through the menu, as a user does: View → Language → the entry."""
    act = next(a for a in win.language_menu.actions() if a.data() == code)
    act.trigger()
    QtWidgets.QApplication.processEvents()     # Qt posts LanguageChange to the windows
    settle(qtbot, win)


def ts_messages(path: Path) -> dict[tuple[str, str, str], str | None]:
    """(context, source, comment) → translation (None where unfinished or empty)."""
    out = {}
    for ctx in ET.parse(path).getroot().iter("context"):
        for m in ctx.iter("message"):
            tr = m.find("translation")
            done = tr is not None and tr.get("type") is None and bool(tr.text)
            out[(ctx.findtext("name") or "", m.findtext("source"), m.findtext("comment") or "")] = \
                tr.text if done else None
    return out


def visible_texts(win) -> set[str]:
    """Every text the window shows or tells on hover: labels, buttons, fields, combo entries,
    tooltips, menus, tabs, table headers, chart titles, axes and legends."""
    out: set[str] = {win.windowTitle()}
    for w in [win, *win.findChildren(QtWidgets.QWidget)]:
        out.add(w.toolTip())
        if isinstance(w, (QtWidgets.QLabel, QtWidgets.QAbstractButton)):
            out.add(w.text())
        if isinstance(w, QtWidgets.QLineEdit):
            out.add(w.placeholderText())
        if isinstance(w, QtWidgets.QAbstractSpinBox):
            out.add(w.specialValueText())
        if isinstance(w, QtWidgets.QComboBox):
            out.update(w.itemText(i) for i in range(w.count()))
            out.update(str(w.itemData(i, QtCore.Qt.ItemDataRole.ToolTipRole) or "") for i in range(w.count()))
        if isinstance(w, QtWidgets.QTabWidget):
            out.update(w.tabText(i) for i in range(w.count()))
        if isinstance(w, QtWidgets.QAbstractItemView) and w.model() is not None:
            m = w.model()
            for orient, n in ((QtCore.Qt.Orientation.Horizontal, m.columnCount()),
                              (QtCore.Qt.Orientation.Vertical, m.rowCount())):
                for i in range(n):
                    for role in (QtCore.Qt.ItemDataRole.DisplayRole, QtCore.Qt.ItemDataRole.ToolTipRole):
                        out.add(str(m.headerData(i, orient, role) or ""))
            for r in range(min(m.rowCount(), 5)):
                out.add(str(m.index(r, 0).data() or ""))
    for menu in win.menuBar().findChildren(QtWidgets.QMenu):
        out.add(menu.title())
        out.update(a.text() for a in menu.actions())
    import pyqtgraph as pg
    for plot in win.findChildren(pg.PlotWidget) + [it for g in win.findChildren(pg.GraphicsLayoutWidget)
                                                   for it in g.ci.items if isinstance(it, pg.PlotItem)]:
        item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
        out.add(item.titleLabel.text)
        out.update(item.getAxis(a).labelText for a in ("left", "bottom"))
        if item.legend is not None:
            out.update(label.text for _, label in item.legend.items)
    out.add(win.breakdown.verdict.text().lower())
    out.update(h.text() for h in win.breakdown.heads)
    return {t for t in out if t}


def test_the_menu_switches_the_language_at_once_and_back(qtbot, win):
    assert win.tabs.tabText(0) == "Plan" and win.menus["file"].title() == "&File"
    choose_language(qtbot, win, "zh_CN")
    assert i18n.current_language() == "zh_CN"
    assert [win.tabs.tabText(i) for i in range(3)] == ["规划", "我的机器", "对比固定的场景"]
    assert [a.text() for a in win.menuBar().actions()][:4] == ["文件(&F)", "场景(&S)", "视图(&V)", "帮助(&H)"]
    assert win.actions_by_key["export_memory_png"].text() == "将显存图导出为 PNG…"
    assert win.language_menu.title() == "语言(&L)"
    assert win.panel.labels[win.panel.batch].text() == "批大小"
    assert win.panel.labels[win.panel.kv].text() == "KV 缓存"
    assert win.panel.mode.itemText(1) == "微调"
    assert win.fit_panel.model.headerData(1, QtCore.Qt.Orientation.Horizontal) == "显卡"
    assert win.breakdown.verdict.text() == "放得下"                  # Llama 2 7B fp16 on a 24 GB card
    assert win.memory_chart.getPlotItem().titleLabel.text == "每卡显存随提示词长度的变化"
    assert win.speed_chart.thr.getAxis("left").labelText == "吞吐量 (tokens/s)"
    assert win.fit_panel.row_texts()[0][1] == "放得下"
    assert next(a for a in win.language_menu.actions() if a.data() == "zh_CN").isChecked()
    assert QtCore.QCoreApplication.translate("QPlatformTheme", "Close") == "关闭"   # Qt's own buttons too

    choose_language(qtbot, win, "en")
    assert win.tabs.tabText(0) == "Plan" and win.menus["file"].title() == "&File"
    assert win.panel.labels[win.panel.batch].text() == "Batch size"
    assert win.breakdown.verdict.text() == "FITS"
    assert win.memory_chart.getPlotItem().titleLabel.text == "Memory per card vs prompt length"


def test_no_english_text_is_left_after_the_switch(qtbot, win):
    """Whatever the window shows in Chinese holds none of the English texts the .ts
    translates: a widget that forgot to retranslate shows its English source."""
    english = {src for (_, src, _), tr in ts_messages(TS).items() if tr and tr != src}
    for mode in ("inference", "training"):
        win.state.set_mode(mode)
        settle(qtbot, win)
        choose_language(qtbot, win, "zh_CN")
        left = sorted(t for t in visible_texts(win) if t in english)
        assert left == [], f"{mode}: still English after the switch: {left}"
        choose_language(qtbot, win, "en")
        assert "Plan" in visible_texts(win)


# The core's names that stay as they are in every language: symbols (FP16, GGUF Q4_K_M) and products.
KEPT_NAMES = {"FP32", "FP16", "BF16", "GGUF Q8_0", "GGUF Q6_K", "GGUF Q5_K_M",
              "GGUF Q5_0", "GGUF Q4_K_M", "GGUF Q4_0", "GGUF Q3_K_M", "GGUF Q2_K", "HF transformers", "vLLM",
              "SGLang", "llama.cpp", "llama.cpp (Vulkan)", "FlashAttention-2", "FP8 (E4M3/E5M2)", "Q8_0 (llama.cpp)",
              "Q4_0 (llama.cpp)", "MLX (mlx-lm)", "Ollama"}


def test_every_core_name_is_translated_or_kept():
    """A weight format, engine or cache type the core adds shows its name in the pickers: one with
    words must be listed for translation (wording.CORE_NAMES, which lupdate reads), one that is a
    symbol or a product's name in KEPT_NAMES.  (A new format's name went untranslated, silently:
    the .ts check only sees the strings the UI code lists.)"""
    from vramgui.core import ENGINES, KV_DTYPES, WEIGHT_FORMATS
    from vramgui.core.engines import (
        APPLE_ONLY,
        ENGINE_CARDS,
        FLASH_ATTENTION_2,
        FORMAT_CARDS,
        HF_BNB_OFFLOAD,
        HF_DECOMPRESSES_WHY,
        HF_DEQUANTIZES,
        HF_DEQUANTIZES_GGUF,
        HF_NO_MPS,
        LLAMACPP_CONVERTS,
        MLX_CONVERTS,
        MLX_FORMATS_ONLY,
        NO_APPLE_GPU,
        NO_OFFLOAD,
        ONE_CARD,
    )
    from vramgui.ui.wording import CORE_NAMES
    names = {x.name for table in (WEIGHT_FORMATS, ENGINES, KV_DTYPES) for x in table.values()}
    names |= {why for why, _ in (*HF_NO_MPS.values(), *NO_APPLE_GPU.values(), *APPLE_ONLY.values(), MLX_CONVERTS,
                                 *NO_OFFLOAD.values(), LLAMACPP_CONVERTS, MLX_FORMATS_ONLY, HF_DEQUANTIZES_GGUF,
                                 HF_DECOMPRESSES_WHY, *ONE_CARD.values(), HF_BNB_OFFLOAD)}
    names |= {why for _, why, _ in HF_DEQUANTIZES.values()}
    rules = (*ENGINE_CARDS.values(), FLASH_ATTENTION_2, *(r for by in FORMAT_CARDS.values() for r in by.values()))
    names |= {rule.otherwise for rule in rules} | {rule.what for rule in rules}
    assert sorted(names - set(CORE_NAMES) - KEPT_NAMES) == []
    assert set(CORE_NAMES) & KEPT_NAMES == set()


def test_the_translation_file_matches_the_code_and_is_complete(tmp_path):
    """Extract the strings of vramgui/ui again: a new or changed string that the committed
    .ts lacks, a string it still holds that the code dropped, or any untranslated entry
    fails here (run packaging/translations.py, then translate)."""
    lupdate = Path(PySide6.__file__).parent / ("lupdate.exe" if sys.platform == "win32" else "lupdate")
    if not lupdate.exists():
        pytest.skip("this PySide6 has no lupdate")
    fresh = tmp_path / "vramgui_zh_CN.ts"
    sources = sorted(str(p) for p in (ROOT / "vramgui" / "ui").glob("*.py"))
    subprocess.run([str(lupdate), *sources, "-locations", "none", "-no-obsolete", "-silent", "-ts", str(fresh)],
                   check=True)
    code, committed = set(ts_messages(fresh)), ts_messages(TS)
    assert sorted(code - set(committed)) == [], "strings missing from the .ts"
    assert sorted(set(committed) - code) == [], "strings in the .ts the code no longer has"
    assert [k for k, v in committed.items() if v is None] == [], "untranslated strings"
    assert len(code) > 300


def test_the_shipped_qm_is_compiled_from_the_ts():
    """The .qm the app loads (found like the app finds it) answers every entry of the .ts
    with its translation: it was compiled after the last edit."""
    assert (i18n.translations_dir() / "vramgui_zh_CN.qm") == data_dir("resources") / "translations" / \
        "vramgui_zh_CN.qm"
    qm = QtCore.QTranslator()
    assert qm.load("vramgui_zh_CN", str(i18n.translations_dir()))
    stale = [(ctx, src) for (ctx, src, comment), tr in ts_messages(TS).items()
             if qm.translate(ctx, src, comment or None) != tr]
    assert stale == []


def test_the_language_choice_round_trips_through_the_settings(qtbot, win, tmp_path, monkeypatch):
    store = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    assert session.load_language(store) == ""                     # nothing stored: follow the system
    session.save_language("zh_CN", store)
    again = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    assert session.load_language(again) == "zh_CN"
    again.setValue(session.LANGUAGE_KEY, "klingon")                # an edited file: back to the system's
    assert session.load_language(again) == ""
    # the menu stores the choice in the app's settings (VRAMGUI_SETTINGS in the tests)
    monkeypatch.setenv("VRAMGUI_SETTINGS", str(tmp_path / "app.ini"))
    win.remember_session = True
    choose_language(qtbot, win, "zh_CN")
    assert session.load_language() == "zh_CN"
    choose_language(qtbot, win, "")
    assert session.load_language() == ""
    win.remember_session = False


def test_startup_takes_the_command_line_then_the_settings(tmp_path, monkeypatch):
    from vramgui.ui.app import parse_args, startup_language
    monkeypatch.setenv("VRAMGUI_SETTINGS", str(tmp_path / "app.ini"))
    session.save_language("zh_CN")
    assert startup_language(parse_args([])) == "zh_CN"
    assert startup_language(parse_args(["--lang", "en"])) == "en"
    assert startup_language(parse_args(["--lang", "system"])) == ""
    assert startup_language(parse_args(["--screenshot", "x.png"])) == ""      # never the user's settings
    assert startup_language(parse_args(["--screenshot", "x.png", "--lang", "zh_CN"])) == "zh_CN"


@pytest.mark.parametrize(("tags", "expected"), [
    (["zh-CN"], "zh_CN"), (["zh-Hans-SG"], "zh_CN"), (["zh"], "zh_CN"), (["zh-TW"], "en"), (["zh-Hant-HK"], "en"),
    (["de-DE"], "en"), (["de-DE", "zh-CN"], "zh_CN"), (["en-GB", "zh-CN"], "en"), (["C"], "en")])
def test_system_default_follows_the_preferred_ui_languages(tags, expected, monkeypatch):
    class System:
        def uiLanguages(self):  # noqa: N802 (Qt's name)
            return tags
    assert i18n.resolve("", System()) == expected
    assert i18n.resolve("en", System()) == "en"


def test_numbers_follow_the_locale(qtbot, win):
    i18n.set_language("", system=QtCore.QLocale("de_DE"))
    win.setLocale(i18n.locale())
    settle(qtbot, win)
    assert i18n.current_language() == "en"                        # no German translation: English words
    assert i18n.num(1234567.891, 2) == "1.234.567,89" and i18n.signed(2.5, 1) == "+2,5"
    assert win.breakdown.values["weights"].text() == "12,55 GiB"  # 6.74 B × 2 bytes
    assert win.fit_panel.row_texts()                              # the table is written in it too
    i18n.set_language("en")
    win.setLocale(i18n.locale())
    settle(qtbot, win)
    assert i18n.num(1234567.891, 2) == "1,234,567.89"
    assert i18n.num(0.125, 2) == f"{0.125:,.2f}" == "0.12"            # rounded as the CLI and the reports do
    assert [i18n.signed(v, 1) for v in (3.0, 0.0, -0.0, -2.5)] == ["+3.0", "+0.0", "-0.0", "-2.5"]
    assert win.breakdown.values["weights"].text() == "12.55 GiB"


def test_durations_read_in_ms_then_seconds_minutes_hours(qtbot, win):
    # 3,600 s = 60 min; 15,711 s = 261.85 min, past a hundred: 15,711 / 3,600 = 4.36 h
    assert [i18n.duration(t) for t in (0.0042, 0.5901, 9.4, 25.04, 188.276, 999, 3600, 15711)] == \
        ["4.2 ms", "590 ms", "9,400 ms", "25.0 s", "188 s", "999 s", "60 min", "4.4 h"]
    # Llama 2 7B fp16, 4,096-token prompt x 64 on the RTX 4090: 2 x 6.74 G x 262,144 tokens
    # = 3.5 PFLOP of matmuls alone at 165 TFLOP/s x 0.6 -> tens of seconds: shown in seconds
    win.panel.batch.spin.setValue(64)
    settle(qtbot, win)
    text = win.breakdown.values["prefill"].text()
    assert text.endswith(" s") and 20 < float(text[:-2].replace(",", "")) < 200
    assert win.speed_chart.ttft.toPlainText().endswith(text)


def test_the_posix_c_locale_reads_as_us_english():
    i18n.set_language("", system=QtCore.QLocale.c())
    assert i18n.integer(1048576) == "1,048,576" and i18n.current_language() == "en"


def test_a_dialog_opened_before_the_switch_follows_it(qtbot, win):
    from vramgui.ui.dialogs import CustomGpuDialog
    dialog = CustomGpuDialog(win)
    qtbot.addWidget(dialog)
    choose_language(qtbot, win, "zh_CN")
    assert dialog.windowTitle() == "添加自定义 GPU"
    assert dialog.layout().labelForField(dialog.memory).text() == "显存"



def test_the_offload_marks_tooltips_follow_the_language(qtbot, win):
    """The offload plan's point and line keep their tooltips while the scenario stands (a batch drag moves only the
    point); a language switch writes them again (the plan's badge, part of what they are drawn for, changes with
    it), in the chart's word for the batch (批大小: the line's first said 批量)."""
    p = win.panel
    for combo, ident in ((p.model, "llama2-70b"), (p.weights, "q4_k_m"), (p.engine, "llamacpp")):
        combo.setCurrentIndex(combo.findData(ident))
    p.ram.setValue(32)
    settle(qtbot, win)
    qtbot.waitUntil(lambda: not win._sweep_missing(), timeout=60_000)
    chart = win.speed_chart

    def tips():
        return [pt.data() for item in (chart.offload_thr, chart.offload_thr_curve) for pt in item.scatter.points()]
    assert tips() and all("batch" in t for t in tips())
    choose_language(qtbot, win, "zh_CN")
    assert tips() and all("批大小" in t and "batch" not in t for t in tips())
    choose_language(qtbot, win, "en")
    assert all("batch" in t for t in tips())


def test_the_tables_ram_and_limit_cells_show_whole(qtbot, win):
    """The fit table's largest-context and most-sequences cells show whole, "(RAM)" and "(limit)" too: with every
    layer's experts of Qwen3 30B-A3B in RAM each card is planned with them, an M3 Ultra's 512 GB holding "1,047
    (RAM)" sequences, which the column's usual 76 pixels cut to "1,047 (R…"; in Simplified Chinese "101 (内存)"
    (full-width brackets cut even three digits).  Back to three digits, the column is as narrow as before."""
    p = win.panel
    view, model = win.fit_panel.view, win.fit_panel.model
    header = view.horizontalHeader()
    assert header.sectionSize(7) == 76
    for combo, ident in ((p.model, "qwen3-30b-a3b"), (p.weights, "q4_k_m"), (p.engine, "llamacpp")):
        combo.setCurrentIndex(combo.findData(ident))
    p.ram.setValue(64)
    p.moe_in_ram.setValue(48)
    settle(qtbot, win)
    qtbot.waitUntil(lambda: not win._rows_missing(), timeout=120_000)
    settle(qtbot, win)

    def whole():
        return all(view.shown_text(r, c) == model.row_cells(r)[c] for r in range(model.rowCount()) for c in (6, 7))
    batches = [model.row_cells(r)[7] for r in range(model.rowCount())]
    assert "1,047 (RAM)" in batches and whole() and header.sectionSize(7) > 76
    choose_language(qtbot, win, "zh_CN")
    assert "1,047 (内存)" in [model.row_cells(r)[7] for r in range(model.rowCount())] and whole()
    p.moe_in_ram.setValue(30)
    settle(qtbot, win)
    qtbot.waitUntil(lambda: not win._rows_missing(), timeout=120_000)
    settle(qtbot, win)
    batches = [model.row_cells(r)[7] for r in range(model.rowCount())]
    assert max(len(b.split()[0]) for b in batches) == 3 and whole() and header.sectionSize(7) == 76
