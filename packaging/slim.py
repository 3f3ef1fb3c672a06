"""Build-time trimming of the frozen app's Linux libraries, used by ``vramgui.spec``.

Two steps, both printed as they run, both skipped (with a line saying why) where they do not
apply, so a build never fails because of them:

* :func:`drop_unreferenced` leaves out shared libraries that nothing kept links to any more
  (the system libraries of plugins and Qt modules the spec drops: GTK's GIO stack, QtNetwork's
  Kerberos, Pango's HarfBuzz, …), and the symlinks that pointed at anything left out.
* :func:`trim_icu` replaces Qt's ICU data library (``libicudata.so.NN``, 32 MB, every
  language's locale data) with one rebuilt from a smaller ICU data package: root, English and
  Chinese locales, the Unicode tables, and the code pages listed below.  It needs ICU's
  ``icupkg`` (Debian: icu-devtools) and binutils' ``as`` and ``ld``; the result is checked
  against the original through Qt itself (collation, case mapping, codecs, time-zone names)
  before it replaces anything.

Only the standard library is used: the spec runs inside PyInstaller's Python."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path


def log(msg: str) -> None:
    print(f"vramgui slim: {msg}", flush=True)


# ----------------------------------------------------------------------------- ELF reading
class Elf:
    """Just enough of a little-endian 64-bit ELF file: its DT_NEEDED names and its dynamic
    symbols (name -> file offset and size)."""

    def __init__(self, path: str | os.PathLike):
        self.data = Path(path).read_bytes()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 2 or d[5] != 1:
            raise ValueError(f"{path}: not a little-endian 64-bit ELF file")
        phoff, shoff = struct.unpack_from("<QQ", d, 0x20)
        phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", d, 0x36)
        self.segments = [struct.unpack_from("<IIQQQQQQ", d, phoff + i * phentsize) for i in range(phnum)]
        self.sections = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize) for i in range(shnum)]

    def _offset(self, vaddr: int) -> int:
        for p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz, _memsz, _align in self.segments:
            if p_type == 1 and p_vaddr <= vaddr < p_vaddr + p_filesz:  # PT_LOAD
                return vaddr - p_vaddr + p_offset
        raise ValueError(f"address {vaddr:#x} is in no loaded segment")

    def _cstr(self, offset: int) -> str:
        return self.data[offset:self.data.index(b"\0", offset)].decode()

    def needed(self) -> list[str]:
        dyn = [s for s in self.segments if s[0] == 2]  # PT_DYNAMIC
        if not dyn:
            return []
        entries, strtab = [], None
        off, size = dyn[0][2], dyn[0][5]
        for i in range(0, size, 16):
            tag, val = struct.unpack_from("<qQ", self.data, off + i)
            if tag == 0:
                break
            if tag == 5:  # DT_STRTAB
                strtab = self._offset(val)
            entries.append((tag, val))
        return [self._cstr(strtab + val) for tag, val in entries if tag == 1] if strtab is not None else []

    def symbols(self) -> dict[str, tuple[int, int]]:
        out = {}
        for _name, sh_type, _flags, _addr, sh_offset, sh_size, sh_link, _info, _align, sh_entsize in self.sections:
            if sh_type != 11:  # SHT_DYNSYM
                continue
            stroff = self.sections[sh_link][4]
            for i in range(0, sh_size, sh_entsize or 24):
                st_name, _st_info, _other, st_shndx, st_value, st_size = struct.unpack_from("<IBBHQQ", self.data,
                                                                                           sh_offset + i)
                if st_name and st_shndx:
                    out[self._cstr(stroff + st_name)] = (self._offset(st_value), st_size)
        return out


def _is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


# ------------------------------------------------------------------ unreferenced libraries
def drop_unreferenced(binaries: list, datas: list) -> tuple[list, list]:
    """Leave out the system libraries PyInstaller pulled in (those in the bundle's top folder)
    that no kept file links to, repeated until nothing changes; libraries a package ships
    (Qt's, numpy's) and libpython always stay.  Also drops SYMLINK entries (PyInstaller puts
    some in ``datas``) whose target is no longer collected."""
    if not sys.platform.startswith("linux"):
        log("unreferenced libraries: not Linux, nothing left out")
        return binaries, datas
    files = {dest: src for dest, src, kind in binaries if kind in ("BINARY", "EXTENSION") and _is_elf(src)}
    try:
        needs = {dest: set(Elf(src).needed()) for dest, src in files.items()}
    except (OSError, ValueError, struct.error) as exc:
        log(f"unreferenced libraries: skipped ({exc})")
        return binaries, datas

    def is_root(dest: str, kind: str) -> bool:
        d = dest.replace("\\", "/")
        return kind != "BINARY" or "/" in d or d.startswith("libpython")

    kinds = {dest: kind for dest, _src, kind in binaries}
    kept = set(files)
    while True:
        wanted = set().union(*(needs[d] for d in kept)) if kept else set()
        unused = {d for d in kept if not is_root(d, kinds[d]) and Path(d).name not in wanted}
        if not unused:
            break
        kept -= unused
    dropped = sorted(set(files) - kept)
    if dropped:
        size = sum(os.path.getsize(files[d]) for d in dropped)
        log(f"left out {len(dropped)} libraries nothing links to ({size / 1e6:.1f} MB): "
            + ", ".join(Path(d).name for d in dropped))
    binaries = [b for b in binaries if b[0] not in dropped]
    present = {b[0].replace("\\", "/") for b in binaries} | {d[0].replace("\\", "/") for d in datas}

    def live(entry) -> bool:
        dest, src, kind = entry
        if kind != "SYMLINK":
            return True
        target = os.path.normpath(os.path.join(os.path.dirname(dest), src)).replace("\\", "/")
        return target in present

    dangling = [e[0] for e in binaries + datas if not live(e)]
    if dangling:
        log("left out symlinks to libraries that are not collected: " + ", ".join(dangling))
    return [b for b in binaries if live(b)], [d for d in datas if live(d)]


# ------------------------------------------------------------------------------- ICU data
# What Qt Core 6 asks of ICU (its imported ICU functions): case mapping (u_strToUpper/Lower),
# collation (ucol_*: QCollator, the file dialog's sorting), code-page converters (ucnv_*:
# QStringConverter beyond UTF-8/16/32 and Latin-1) and time-zone names (ucal_*).  The trimmed
# data keeps for these: the Unicode property and normalisation tables, the collation root and
# its English and Chinese tailorings, the locale data of root, English and Chinese (zh, zh_Hans,
# zh_Hant and their regions) in every locale tree, the time-zone rules and names, and:
KEEP_LANGUAGES = ("en", "zh")
# every single-byte code page (Windows, ISO-8859, DOS, Mac, EBCDIC: ~450 kB together) and the
# multi-byte ones for Chinese: GB18030, GBK (windows-936), GB2312 / EUC-CN (ibm-1383), the tables
# ISO-2022-CN and HZ open (ibm-5478, iso-ir-165, cns-11643-1992) and Big5 (windows-950).  Base
# tables these extend are added back by icupkg's dependency check (see _icupkg_remove).
KEEP_MULTIBYTE_CODEPAGES = ("gb18030", "windows-936-2000", "ibm-1383_P110-1999", "ibm-5478_P100-1995",
                            "iso-ir-165", "cns-11643-1992", "windows-950-2000")
# Whole trees Qt never reaches: transliteration, break iteration (with its Thai/Lao/Khmer/
# Burmese/CJK dictionaries), spelled-out numbers.  And single items: stringprep profiles
# (*.spp), IDNA (uts46.nrm: Qt has its own), spoof checking, Unicode character names.
DROP_TREES = ("translit", "brkitr", "rbnf")
DROP_ITEMS = ("uts46.nrm", "confusables.cfu", "unames.icu")
_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]*)*$")  # af, yue_Hant_HK, de__PHONEBOOK; not root/pool

# Run with the build's Python and PySide6, once with the original ICU data and once with the
# trimmed one first on the library path: the printed lines must be the same.
_CHECK = r"""
from PySide6 import QtCore
print(next((line.split()[-1] for line in open("/proc/self/maps") if "libicudata" in line), "no libicudata loaded"))
L = QtCore.QLocale
zh, en = L(L.Language.Chinese, L.Country.China), L(L.Language.English, L.Country.UnitedStates)
words = ["张三", "李四", "王五", "赵六", "阿", "bob", "Alice", "file10", "file2", "Ärger", "zebra", "éclair"]
for loc in (zh, en, L(L.Language.Chinese, L.Country.Taiwan), L(L.Language.English, L.Country.UnitedKingdom)):
    c = QtCore.QCollator(loc)
    c.setNumericMode(True)
    print(loc.name(), sorted(words, key=c.sortKey))
print(L(L.Language.Turkish).toUpper("istanbul"), en.toUpper("straße"), zh.toLower("ÀÉÎ ΣΑΣ"))
for name, codec, text in (("GB18030", "gb18030", "中文 €"), ("GBK", "gbk", "中文"), ("GB2312", "gb2312", "中文"),
                          ("HZ-GB-2312", "hz", "中文"), ("Big5", "big5", "中文"),
                          ("windows-1252", "cp1252", "café €"), ("ISO-8859-15", "iso8859_15", "€ œ"),
                          ("KOI8-R", "koi8_r", "привет"), ("IBM437", "cp437", "░▒")):
    buf = QtCore.QBuffer()  # QXmlStreamReader decodes through QStringDecoder(name), i.e. ICU
    buf.setData(f'<?xml version="1.0" encoding="{name}"?><a>'.encode() + text.encode(codec) + b"</a>")
    buf.open(QtCore.QIODevice.OpenModeFlag.ReadOnly)
    xml, got = QtCore.QXmlStreamReader(buf), None
    while not xml.atEnd():
        if xml.readNext() == QtCore.QXmlStreamReader.TokenType.StartElement:
            got = xml.readElementText()
    print(name, got == text, xml.errorString())
print([QtCore.QStringDecoder(name).isValid() for name in ("EUC-CN", "ISO-2022-CN", "ISO-2022-CN-EXT", "UTF-7")])
tz = QtCore.QTimeZone(b"Asia/Shanghai")
for loc in (zh, en):
    for kind in (QtCore.QTimeZone.NameType.LongName, QtCore.QTimeZone.NameType.ShortName):
        print(loc.name(), tz.displayName(QtCore.QTimeZone.TimeType.StandardTime, kind, loc))
"""


def _toc(blob: bytes) -> tuple[str, dict[str, bytes]]:
    """An ICU common data package (``CmnD``): its name (``icudt73l``) and items (name -> bytes)."""
    header = struct.unpack_from("<H", blob, 0)[0]
    if blob[2:4] != b"\xda\x27" or blob[12:16] != b"CmnD":
        raise ValueError("not an ICU common data package")
    count = struct.unpack_from("<I", blob, header)[0]
    entries = [struct.unpack_from("<II", blob, header + 4 + 8 * i) for i in range(count)]
    items, packages = {}, set()
    for i, (name_off, data_off) in enumerate(entries):
        start = header + name_off
        package, _, name = blob[start:blob.index(b"\0", start)].decode().partition("/")
        end = header + entries[i + 1][1] if i + 1 < count else len(blob)
        items[name] = blob[header + data_off:end]
        packages.add(package)
    if len(packages) != 1:
        raise ValueError(f"ICU data with items of {len(packages)} packages")
    return packages.pop(), items


def _codepage_bytes(item: bytes) -> int:
    """The most bytes a character takes in a converter table (.cnv): 1 for single-byte."""
    header = struct.unpack_from("<H", item, 0)[0]
    return item[header + 4 + 60 + 4 + 3]  # UConverterStaticData: size, name[60], codepage, …, maxBytesPerChar


def _unwanted(items: dict[str, bytes]) -> list[str]:
    out = []
    for name, item in items.items():
        tree, _, leaf = name.rpartition("/")
        stem, _, ext = leaf.rpartition(".")
        if tree.split("/")[0] in DROP_TREES or (not tree and (ext == "spp" or leaf in DROP_ITEMS)):
            out.append(name)
        elif (ext == "res" and _LOCALE.match(stem) and stem != "res_index"
              and stem.split("_")[0] not in KEEP_LANGUAGES):
            out.append(name)
        elif ext == "cnv" and _codepage_bytes(item) > 1 and stem not in KEEP_MULTIBYTE_CODEPAGES:
            out.append(name)
    return out


def _icupkg_remove(icupkg: str, src: Path, dest: Path, remove: list[str]) -> list[str]:
    """``icupkg -r``; when a kept item depends on a removed one (a converter's base table, a
    locale's parent), keep that one too and try again.  Returns what was removed."""
    remove = list(remove)
    for _ in range(20):
        listing = dest.parent / "remove.txt"
        listing.write_text("\n".join(remove) + "\n")
        dest.unlink(missing_ok=True)
        res = subprocess.run([icupkg, "-r", str(listing), str(src), str(dest)], capture_output=True, text=True)
        if res.returncode == 0 and dest.is_file():
            return remove
        missing = set(re.findall(r"depends on missing item (\S+)", res.stdout + res.stderr))
        if not missing or not missing & set(remove):
            raise RuntimeError(f"icupkg failed: {(res.stdout + res.stderr).strip()[-500:]}")
        log(f"ICU: keeping {', '.join(sorted(missing))} (needed by kept items)")
        remove = [r for r in remove if r not in missing]
    raise RuntimeError("icupkg: dependencies did not settle")


def _check_output(lib_dir: str) -> tuple[str, str]:
    """Run the check with ``lib_dir`` first on the library path: (the libicudata file Qt
    loaded, what the check printed)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["LD_LIBRARY_PATH"] = lib_dir + os.pathsep + env.get("LD_LIBRARY_PATH", "")
    res = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True, env=env, timeout=120)
    if res.returncode != 0:
        raise RuntimeError(f"the Qt check failed: {res.stderr.strip()[-400:]}")
    loaded, _, printed = res.stdout.partition("\n")
    return loaded, printed


def trim_icu(binaries: list, workdir: str | os.PathLike) -> list:
    """Swap the bundled ``libicudata.so.NN`` for a trimmed rebuild (see the module's
    docstring); anything missing or failing leaves the original in place, with a line why."""
    entry = next((b for b in binaries if b[2] == "BINARY" and re.fullmatch(r"libicudata\.so\.\d+", Path(b[0]).name)),
                 None)
    if entry is None:
        log("ICU: no bundled libicudata.so (not Linux, or Qt built without ICU): nothing to trim")
        return binaries
    tools = {t: shutil.which(t) for t in ("icupkg", "as", "ld")}
    if not all(tools.values()):
        missing = ", ".join(t for t, p in tools.items() if not p)
        log(f"ICU: skipped, {missing} not found (icupkg: Debian/Ubuntu package icu-devtools; as, ld: binutils); "
            f"the full {os.path.getsize(entry[1]) / 1e6:.0f} MB data library is bundled")
        return binaries
    try:
        new = _build_trimmed(entry[1], Path(workdir), tools)
    except (OSError, ValueError, RuntimeError, struct.error, subprocess.SubprocessError) as exc:
        log(f"ICU: skipped ({exc}); the full data library is bundled")
        return binaries
    return [(dest, str(new), kind) if (dest, src, kind) == entry else (dest, src, kind)
            for dest, src, kind in binaries]


def _build_trimmed(lib: str, workdir: Path, tools: dict[str, str]) -> Path:
    elf = Elf(lib)
    syms = {name: where for name, where in elf.symbols().items() if re.fullmatch(r"icudt\d+_dat", name)}
    if len(syms) != 1:
        raise ValueError(f"{lib}: expected one icudtNN_dat symbol, found {sorted(syms) or 'none'}")
    (symbol, (offset, size)), = syms.items()
    blob = elf.data[offset:offset + size]
    pkg, items = _toc(blob)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    # icupkg names the items after the output file: it must be the package's own name
    (workdir / "full").mkdir()
    (workdir / "trimmed").mkdir()
    src, dest = workdir / "full" / f"{pkg}.dat", workdir / "trimmed" / f"{pkg}.dat"
    src.write_bytes(blob)
    removed = _icupkg_remove(tools["icupkg"], src, dest, _unwanted(items))
    kept_pkg, kept = _toc(dest.read_bytes())
    if kept_pkg != pkg or set(kept) != set(items) - set(removed) or any(kept[k] != items[k] for k in kept):
        raise RuntimeError("icupkg's package does not hold the original items unchanged")
    # The data as the library's one exported symbol, as ICU's own build links it
    asm = workdir / "icudata.s"
    asm.write_text(f"""\t.section .rodata
\t.balign 16
\t.globl {symbol}
\t.type {symbol}, @object
{symbol}:
\t.incbin "{dest.name}"
\t.size {symbol}, . - {symbol}
\t.section .note.GNU-stack,"",@progbits
""")
    out_dir = workdir / "lib"
    out_dir.mkdir()
    out = out_dir / Path(lib).name
    subprocess.run([tools["as"], "-o", "icudata.o", str(asm)], cwd=dest.parent, check=True, capture_output=True)
    subprocess.run([tools["ld"], "-shared", "-z", "noexecstack", "-soname", out.name, "-o", str(out),
                    str(dest.parent / "icudata.o")], check=True, capture_output=True)
    new_elf = Elf(out)
    n_off, n_size = new_elf.symbols().get(symbol, (0, 0))
    if new_elf.data[n_off:n_off + n_size] != dest.read_bytes():
        raise RuntimeError("the rebuilt library does not hold the trimmed data")
    printed = []
    for path in (Path(lib), out):
        loaded, text = _check_output(str(path.parent))
        if Path(loaded).resolve() != path.resolve():
            raise RuntimeError(f"the Qt check loaded {loaded}, not {path}")
        printed.append(text)
    before, after = printed
    if before != after:
        diff = [f"  {a!r} -> {b!r}" for a, b in zip(before.splitlines(), after.splitlines(), strict=False)
                if a != b]
        raise RuntimeError("Qt behaves differently with the trimmed data:\n" + "\n".join(diff[:5]))
    log(f"ICU: {Path(lib).name} {size / 1e6:.1f} MB -> {os.path.getsize(out) / 1e6:.1f} MB "
        f"({len(kept)} of {len(items)} items kept; Qt's collation, case mapping, codecs and zone names checked)")
    return out
