"""Keep the window's translations in step with the code.

    python packaging/translations.py           # extract new strings into the .ts, compile the .qm
    python packaging/translations.py --check   # exit 1 if a string is new, gone or untranslated

Extraction is Qt's ``lupdate`` over ``vramgui/ui/*.py`` (the only code that shows text),
without source locations, so the ``.ts`` changes only when a text does, not when a line
moves.  New strings arrive ``type="unfinished"``: translate them in Qt Linguist
(``pyside6-linguist resources/translations/vramgui_zh_CN.ts``) or by hand, then run this
again to compile the ``.qm`` the app loads.  ``tests/ui/test_i18n.py`` fails while any
string is untranslated or the ``.ts`` does not match the code.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import PySide6

ROOT = Path(__file__).resolve().parent.parent
TS_FILES = sorted((ROOT / "resources" / "translations").glob("vramgui_*.ts"))
EXE = ".exe" if sys.platform == "win32" else ""


def tool(name: str) -> str:
    """``lupdate`` / ``lrelease`` as shipped inside the PySide6 wheel."""
    return str(Path(PySide6.__file__).parent / f"{name}{EXE}")


def ui_sources() -> list[str]:
    return [str(p) for p in sorted((ROOT / "vramgui" / "ui").glob("*.py"))]


def extract(ts: Path) -> None:
    """Merge the code's strings into ``ts`` (kept translations stay; vanished ones go)."""
    subprocess.run([tool("lupdate"), *ui_sources(), "-locations", "none", "-no-obsolete", "-silent",
                    "-source-language", "en", "-ts", str(ts)], check=True)


def messages(ts: Path) -> dict[tuple[str, str, str], str | None]:
    """(context, source, comment) → translation, None where unfinished or empty."""
    out = {}
    for ctx in ET.parse(ts).getroot().iter("context"):
        name = ctx.findtext("name") or ""
        for m in ctx.iter("message"):
            tr = m.find("translation")
            done = tr is not None and tr.get("type") not in ("unfinished", "vanished", "obsolete") and (tr.text or "")
            out[(name, m.findtext("source") or "", m.findtext("comment") or "")] = tr.text if done else None
    return out


def check(ts: Path) -> list[str]:
    """What is wrong with ``ts``: strings the code has and it lacks, the reverse, untranslated ones."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / ts.name
        extract(fresh)
        code = set(messages(fresh))
    have = messages(ts)
    problems = [f"not in {ts.name}: {k}" for k in sorted(code - set(have))]
    problems += [f"no longer in the code: {k}" for k in sorted(set(have) - code)]
    problems += [f"untranslated: {k}" for k, v in sorted(have.items()) if v is None]
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="report problems instead of updating")
    args = ap.parse_args()
    status = 0
    for ts in TS_FILES:
        if args.check:
            problems = check(ts)
            print("\n".join(problems) or f"{ts.name}: complete")
            status |= bool(problems)
            continue
        extract(ts)
        subprocess.run([tool("lrelease"), "-silent", str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)
        left = sum(v is None for v in messages(ts).values())
        print(f"{ts.name}: {len(messages(ts))} strings, {left} untranslated; {ts.with_suffix('.qm').name} compiled")
    return status


if __name__ == "__main__":
    sys.exit(main())
