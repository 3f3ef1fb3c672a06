"""The window's language and number format, with Qt's own translation system.

The strings in the code are English, the source language, and need no file.  Simplified
Chinese comes from ``resources/translations/vramgui_zh_CN.qm`` (compiled with
``pyside6-lrelease`` from the ``.ts`` that ``pyside6-lupdate`` extracts from ``vramgui/ui``),
found through :func:`~vramgui.core.catalog.data_dir` so the installed package, a checkout
and the frozen app all load the same file.  Qt's own ``qtbase_zh_CN.qm`` translates the
standard buttons (Close, Cancel, Yes…) and the line edits' context menus.

Installing or removing a translator makes Qt send ``QEvent.LanguageChange`` to every
widget; each widget that shows text re-sets it in a ``retranslate()`` method, so a switch
applies at once, without a restart.  Only the UI is translated: the command line and the
core's explanations stay English.

Numbers follow the locale (thousands separator, decimal mark) through one cached
:class:`QLocale`: the system's when the language follows the system, else the chosen
language's.  The POSIX "C" locale (a bare container, CI) is read as US English, so
numbers keep their separators there.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from ..core.catalog import data_dir
from ..core.units import duration_parts

translate = QtCore.QCoreApplication.translate

# (setting value, name shown in the menu).  "" follows the system; each language names
# itself in its own script, so the menu stays readable whatever language is on.
LANGUAGES = (("", QtCore.QT_TRANSLATE_NOOP("Language", "System default")), ("en", "English"),
             ("zh_CN", "简体中文"))
CODES = tuple(code for code, _ in LANGUAGES)
DOMAIN = "vramgui"

_translators: list[QtCore.QTranslator] = []
_state = {"choice": None, "language": "en"}
_locale: list[QtCore.QLocale] = []
# True when the locale writes numbers as Python's "," format does (en, zh, …).  Then Python
# formats them: three times faster (the fit table writes a few hundred numbers a redraw),
# and rounding as the CLI and the reports do (half to even; QLocale rounds halves up).
_python_format = [True]


def translations_dir() -> Path:
    """The folder with the compiled ``.qm`` files (inside the package's resources)."""
    return data_dir("resources") / "translations"


def _qt_translations() -> list[str]:
    """Where Qt's own .qm files may be: Qt's configured folder, else the PySide6 package's
    (a frozen app's Qt may not be configured with its bundle's path)."""
    import PySide6
    return [QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.TranslationsPath),
            str(Path(PySide6.__file__).parent / "Qt" / "translations")]


def resolve(choice: str, system: QtCore.QLocale | None = None) -> str:
    """The language to show for a setting: ``"en"`` or ``"zh_CN"`` as chosen, or for ``""``
    the first of the system's preferred UI languages the app has (Traditional Chinese is not
    Simplified: such a user gets English), English when none matches."""
    if choice in CODES and choice:
        return choice
    L = QtCore.QLocale
    for tag in (system or L.system()).uiLanguages():
        loc = L(tag)
        if loc.language() == L.Language.English:
            return "en"
        if loc.language() == L.Language.Chinese and loc.script() != L.Script.TraditionalChineseScript:
            return "zh_CN"
    return "en"


def _number_locale(choice: str, language: str, system: QtCore.QLocale | None = None) -> QtCore.QLocale:
    L = QtCore.QLocale
    if not choice:
        system = system or L.system()
        if system.language() not in (L.Language.C, L.Language.AnyLanguage):
            return system
    return L(L.Language.Chinese, L.Country.China) if language == "zh_CN" else \
        L(L.Language.English, L.Country.UnitedStates)


def current_language() -> str:
    """The language the window shows now (``"en"`` or ``"zh_CN"``)."""
    return _state["language"]


def current_choice() -> str:
    """The setting in force: ``""`` (system), ``"en"`` or ``"zh_CN"``."""
    return _state["choice"] or ""


def set_language(choice: str, system: QtCore.QLocale | None = None) -> str:
    """Show the window in ``choice`` (``""``: follow the system, ``system`` standing in for
    the system's locale in tests): swap the translators and the number locale.  Qt then
    tells every widget (``LanguageChange``).  Returns the language shown: English if the
    translation file cannot be loaded."""
    app = QtCore.QCoreApplication.instance()
    choice = choice if choice in CODES else ""
    language = resolve(choice, system)
    loc = _number_locale(choice, language, system)
    if (_state["choice"], _state["language"]) == (choice, language) and _locale == [loc] and app is not None:
        return language
    for old in _translators:
        app.removeTranslator(old)
    _translators.clear()
    if language != "en":
        ours = QtCore.QTranslator(app)
        if app is not None and ours.load(f"{DOMAIN}_{language}", str(translations_dir())):
            qt = QtCore.QTranslator(app)
            if any(qt.load(f"qtbase_{language}", folder) for folder in _qt_translations()):
                app.installTranslator(qt)
                _translators.append(qt)
            app.installTranslator(ours)
            _translators.append(ours)
        else:
            language = "en"
    _state.update(choice=choice, language=language)
    _use(loc)
    QtCore.QLocale.setDefault(loc)
    return language


def _use(loc: QtCore.QLocale) -> None:
    _locale[:] = [loc]
    _python_format[0] = loc.toString(-1234567.25, "f", 2) == "-1,234,567.25"


def locale() -> QtCore.QLocale:
    """The locale numbers are written in."""
    if not _locale:
        _use(_number_locale("", "en"))
    return _locale[0]


def num(value: float, decimals: int = 0) -> str:
    """``value`` with the locale's thousands separator and decimal mark (``1,234.5``)."""
    loc = locale()
    if _python_format[0]:
        return format(float(value), f",.{decimals}f")
    return loc.toString(float(value), "f", decimals)


def rate(tokens_per_s: float) -> str:
    """A speed in tokens/s: one decimal under 10 (an offload's 2.6, not 3), whole above."""
    return num(tokens_per_s, 1 if tokens_per_s < 10 else 0)


def duration(seconds: float) -> str:
    """A time as people read it (``590 ms``, ``18.8 s``, ``17 min``, ``4.4 h``: see
    :func:`~vramgui.core.units.duration_parts`), in the locale's figures."""
    value, decimals, unit = duration_parts(seconds)
    return f"{num(value, decimals)} {unit}"


def signed(value: float, decimals: int = 0) -> str:
    """Like :func:`num`, with a plus sign on positive values (headroom)."""
    loc = locale()
    if _python_format[0]:
        return format(float(value), f"+,.{decimals}f")
    text = loc.toString(float(value), "f", decimals)
    return text if text.startswith(loc.negativeSign()) else loc.positiveSign() + text


def integer(value: int) -> str:
    """A count with the locale's thousands separator."""
    loc = locale()
    return format(int(value), ",") if _python_format[0] else loc.toString(int(value))


class Retranslates:
    """Mixin for widgets with a ``retranslate()`` that sets every text they show: Qt sends
    ``LanguageChange`` to each widget when a translator is installed or removed."""

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QtCore.QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
