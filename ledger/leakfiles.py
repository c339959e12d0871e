"""Where text hides in a file's bytes, for the leak check: every encoding a researcher's files come in, the text of
PDFs, what compressed files and archives hold, and the runs of text inside binary files.

Nothing here knows a name: it turns bytes into pieces of text for `leaks` to search, and says what it could not
search. Every step is bounded: decompressed bytes (a zip bomb stops at the bound), archive members, nesting, PDF
pages and time; a damaged file is a warning, never an exception.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pypdf import PdfReader

MAX_NESTING = 4  # archives within archives (a .tar.gz is two): deeper ones are a warning
MAX_MEMBERS = 10_000  # files in one archive
MEDIA_EDGE = 256 << 10  # bytes at each end of a photo, recording or video: where their formats keep text metadata
PDF_PAGES = 2_000
PDF_TEXT = 32 << 20  # characters of text taken from one PDF
PDF_SECONDS = 10.0
# Single-byte encodings a file that is not UTF-8 is read in, each in turn: Russian documents (Windows, KOI8-R,
# DOS) and Western European ones. Text that is mostly UTF-8 with a stray byte is read as UTF-8 too.
SINGLE_BYTE = ("cp1251", "koi8_r", "cp866", "cp1252")
# High bytes of UTF-16 code units that text is made of: ASCII and Latin-1, Latin Extended, Greek, Cyrillic,
# punctuation (dashes, quotes).
_UTF16_HIGH = (0x00, 0x01, 0x03, 0x04, 0x20)
# Runs of text in binary data: letters and punctuation of the scripts names are written in.
_RUN = re.compile("[\t\x20-\x7e\u00a0-\u024f\u0370-\u03ff\u0400-\u052f\u2010-\u201f]{5,}")
_ZEROS = re.compile(rb"\x00{64,}")
_MEDIA = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"\x1aE\xdf\xa3", b"RIFF", b"ID3", b"OggS", b"fLaC", b"II*\x00",
          b"MM\x00*", b"\xff\xfb", b"\xff\xf3", b"FORM")


@dataclass(frozen=True)
class Piece:
    """Text to search, and how a finding in it names the place."""

    text: str
    where: str = ""  # "" for the file's own text, else e.g. " (in `notes.txt` inside this archive)"
    numbered: bool = True  # its lines are the file's lines
    yaml: bool = True  # worth reading as YAML too (escapes resolved, folds joined)
    fallback: bool = False  # searched for the names the other pieces did not find (a PDF's raw bytes)


@dataclass(frozen=True)
class Skipped:
    """A part of the file that was not searched, and why (a warning's message)."""

    message: str


class _Budget:
    """The decompressed bytes one file may still yield: shared by every archive within it."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.limit = limit

    def over(self) -> Skipped:
        return Skipped(f"what this file holds comes to over {self.limit >> 20} MiB once decompressed: only the first "
                       f"{self.limit >> 20} MiB were searched for real names (a zip bomb?)")


def pieces(raw: bytes, limit: int) -> Iterator[Piece | Skipped]:
    """The texts `raw` holds (at most `limit` bytes decompressed in all), and what was not searched."""
    yield from _pieces(raw, _Budget(limit), 0, "", "")


def edge_pieces(head: bytes, tail: bytes) -> list[Piece] | None:
    """For a file too large to read whole: the text at its ends when it is a photo, a recording or a video (all
    that is searched in one of any size); None for any other file."""
    if _sniff(head) != "media":
        return None
    return [Piece(_strings(head + b"\n" + tail), " (in the text of this binary file)", numbered=False, yaml=False)]


def printable(name: str, limit: int = 200) -> str:
    """A name from inside a file (an archive member's), safe to put between backticks in a message: no control or
    bidi characters, no backticks, bounded."""
    text = "".join(c if c.isprintable() and c != "`" else "?" for c in name[:limit])
    return text + ("…" if len(name) > limit else "")


def _member(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def _in(path: str) -> str:
    return f" (in `{printable(path, 400)}` inside this archive)"


def _names_where(path: str) -> str:
    return f" (in the name of a file inside `{printable(path, 400)}`, inside this archive)" if path else \
        " (in the name of a file inside this archive)"


def _pieces(raw: bytes, budget: _Budget, depth: int, path: str, where: str) -> Iterator[Piece | Skipped]:
    """`path`: the archive member `raw` is ("" for the file itself); `where`: how a finding in it names the place
    ("" for the file's own text, whose line numbers are the file's)."""
    kind = _sniff(raw)
    if kind in ("gzip", "bz2", "xz", "zip", "tar") and depth >= MAX_NESTING:
        yield Skipped(f"archives nested more than {MAX_NESTING} deep: the innermost were not searched")
        return
    if kind in ("gzip", "bz2", "xz"):
        data, problem = _decompress(kind, raw, budget)
        if problem is not None:
            yield problem
        yield from _pieces(data, budget, depth + 1, path, where or " (in its decompressed content)")
        return
    if kind == "zip":
        yield from _guarded(_zip(raw, budget, depth, path, where), "a zip archive")
        return
    if kind == "tar":
        yield from _guarded(_tar(raw, budget, depth, path, where), "a tar archive")
        return
    if kind == "pdf":
        yield from _pdf(raw, where)
        yield Piece(_strings(raw), where or " (in the PDF's raw bytes)", numbered=False, yaml=False, fallback=True)
        return
    texts = None if kind == "media" else _decodings(raw)
    if texts is None:
        data = raw if kind != "media" or len(raw) <= 2 * MEDIA_EDGE else raw[:MEDIA_EDGE] + b"\n" + raw[-MEDIA_EDGE:]
        yield Piece(_strings(data), where or " (in the text of this binary file)", numbered=False, yaml=False)
        return
    for text in texts:
        yield Piece(text, where, numbered=not where)


def _guarded(found: Iterator[Piece | Skipped], what: str) -> Iterator[Piece | Skipped]:
    """`found`, ended by a warning rather than an exception: zipfile and tarfile raise more on crafted archives
    than they document (an IndexError for a member with an empty name)."""
    try:
        yield from found
    except Exception:  # noqa: BLE001 - a damaged archive is a warning, never a crash of the leak check
        yield Skipped(f"{what} that cannot be read to its end (damaged?): the rest was not searched for real names")


def _sniff(raw: bytes) -> str:
    head = raw[:8]
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if b"%PDF-" in raw[:1024]:
        return "pdf"
    if raw[257:262] == b"ustar":
        return "tar"
    if head.startswith(_MEDIA) or raw[4:8] == b"ftyp":
        return "media"
    return "text"


def _decodings(raw: bytes) -> list[str] | None:
    """The text of `raw` in each encoding it may be in; None for binary data."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return [raw[3:].decode("utf-8", "replace")]
    if raw[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return [raw.decode("utf-32", "replace")]
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return [raw.decode("utf-16", "replace")]
    wide = _utf16_without_bom(raw)
    if wide is not None:
        return [raw.decode(wide, "replace")]
    if b"\x00" in raw:
        return None
    try:
        return [raw.decode("utf-8")]
    except UnicodeDecodeError:
        pass
    sample = raw[:65536]
    controls = sum(sample.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if controls > len(sample) // 20:
        return None  # binary data that happens to hold no NUL
    return [raw.decode("utf-8", "replace"), *(raw.decode(encoding, "replace") for encoding in SINGLE_BYTE)]


def _utf16_without_bom(raw: bytes) -> str | None:
    """`utf-16-le` or `-be` when the bytes have UTF-16's shape: one byte of each pair (the high one) is nearly always
    0 (ASCII), 4 (Cyrillic) or another of a few values, and the other nearly never."""
    sample = raw[:65536]
    size = len(sample) - len(sample) % 2
    if size < 8 or (b"\x00" not in sample and b"\x04" not in sample):
        return None
    half = size // 2
    even, odd = sample[0:size:2], sample[1:size:2]
    high_even = sum(even.count(bytes([b])) for b in _UTF16_HIGH)
    high_odd = sum(odd.count(bytes([b])) for b in _UTF16_HIGH)
    if high_odd >= 0.9 * half and high_even <= 0.2 * half:
        return "utf-16-le"
    if high_even >= 0.9 * half and high_odd <= 0.2 * half:
        return "utf-16-be"
    return None


def _strings(raw: bytes) -> str:
    """The runs of text in binary data, one a line: in UTF-8 (and so ASCII), and in UTF-16 either way round."""
    runs: list[str] = []
    for chunk in _ZEROS.split(raw):  # padding, empty space, a zip bomb's zeros: no text, and skipped fast
        for encoding, data in (("utf-8", chunk), ("utf-16-le", chunk), ("utf-16-le", chunk[1:]),
                               ("utf-16-be", chunk), ("utf-16-be", chunk[1:])):
            runs += _RUN.findall(data.decode(encoding, "replace"))
    return "\n".join(runs)


def _decompress(kind: str, raw: bytes, budget: _Budget) -> tuple[bytes, Skipped | None]:
    """What a gzip, bzip2 or xz file holds (every stream of it), at most the budget; a damaged or truncated file
    gives what came out before the damage."""
    import bz2
    import lzma
    import zlib

    out: list[bytes] = []
    size = 0
    data = raw
    problem: Skipped | None = None
    try:
        while data:
            decompressor: zlib._Decompress | bz2.BZ2Decompressor | lzma.LZMADecompressor
            if kind == "gzip":
                decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif kind == "bz2":
                decompressor = bz2.BZ2Decompressor()
            else:
                decompressor = lzma.LZMADecompressor()
            chunk = decompressor.decompress(data, budget.left + 1 - size)
            out.append(chunk)
            size += len(chunk)
            if size > budget.left:
                problem = budget.over()
                break
            if not decompressor.eof:
                break  # truncated: what came out is searched
            data = decompressor.unused_data
            if _sniff(data) != kind:
                break  # trailing bytes that are not another stream
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError):
        problem = Skipped(f"this {kind} file is damaged: only what could be decompressed was searched for real names")
    joined = b"".join(out)[:max(budget.left, 0)]
    budget.left -= len(joined)
    return joined, problem


def _zip(raw: bytes, budget: _Budget, depth: int, path: str, where: str) -> Iterator[Piece | Skipped]:
    import zipfile
    import zlib

    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError, IndexError,
            RuntimeError, NotImplementedError):
        yield Skipped("a zip archive that cannot be opened (damaged?): its files were not searched for real names")
        yield Piece(_strings(raw), where or " (in the raw bytes of this archive)", numbered=False, yaml=False)
        return
    if len(infos) > MAX_MEMBERS:
        yield Skipped(f"an archive of more than {MAX_MEMBERS:,} files: only the first {MAX_MEMBERS:,} were searched")
        infos = infos[:MAX_MEMBERS]
    yield Piece("\n".join(info.filename for info in infos), _names_where(path), numbered=False, yaml=False)
    for info in infos:
        if info.filename.endswith("/"):  # a folder (is_dir() fails on an empty name)
            continue
        inner = _member(path, info.filename)
        if info.flag_bits & 0x1:
            yield Skipped(f"`{printable(inner, 400)}` inside this archive is encrypted: it was not searched for real "
                          "names")
            continue
        if budget.left <= 0:
            yield budget.over()
            return
        try:
            with archive.open(info) as member:
                data = member.read(budget.left + 1)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, zlib.error, RuntimeError, ValueError):
            yield Skipped(f"`{printable(inner, 400)}` inside this archive cannot be read (damaged, or compressed in a "
                          "way Python cannot open): it was not searched for real names")
            continue
        if len(data) > budget.left:
            yield budget.over()
            data = data[:budget.left]
        budget.left -= len(data)
        yield from _pieces(data, budget, depth + 1, inner, _in(inner))


def _tar(raw: bytes, budget: _Budget, depth: int, path: str, where: str) -> Iterator[Piece | Skipped]:
    import tarfile

    names: list[str] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as archive:
            for count, member in enumerate(archive):
                if count >= MAX_MEMBERS:
                    yield Skipped(f"an archive of more than {MAX_MEMBERS:,} files: only the first {MAX_MEMBERS:,} "
                                  "were searched")
                    break
                names.append(member.name)
                if not member.isfile():
                    continue
                if budget.left <= 0:
                    yield budget.over()
                    break
                handle = archive.extractfile(member)
                data = handle.read(budget.left + 1) if handle is not None else b""
                if len(data) > budget.left:
                    yield budget.over()
                    data = data[:budget.left]
                budget.left -= len(data)
                inner = _member(path, member.name)
                yield from _pieces(data, budget, depth + 1, inner, _in(inner))
    except (tarfile.TarError, OSError, EOFError, ValueError):
        yield Skipped("a tar archive that cannot be read to its end (damaged?): the rest was not searched for real "
                      "names")
        yield Piece(_strings(raw), where or " (in the raw bytes of this archive)", numbered=False, yaml=False)
    yield Piece("\n".join(names), _names_where(path), numbered=False, yaml=False)


def _pdf(raw: bytes, where: str) -> Iterator[Piece | Skipped]:
    """The text of a PDF's pages and its metadata (pypdf, imported only when a PDF is met)."""
    import logging
    import warnings

    try:
        from pypdf import PdfReader
    except ImportError:
        yield Skipped("pypdf is not installed: the text of this PDF was not searched for real names")
        return
    # pypdf reports what it repairs through logging and warnings, which may quote the file: none of it is shown.
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    found: list[Piece | Skipped] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = _pdf_texts(PdfReader, raw, where)
    finally:
        logger.setLevel(level)
    yield from found


def _pdf_texts(reader_class: type[PdfReader], raw: bytes, where: str) -> list[Piece | Skipped]:
    found: list[Piece | Skipped] = []
    deadline = time.monotonic() + PDF_SECONDS
    try:
        reader = reader_class(io.BytesIO(raw), strict=False)
        if reader.is_encrypted:
            try:
                opened = bool(reader.decrypt(""))  # many PDFs are encrypted with an empty password, against editing
            except Exception:  # noqa: BLE001 - a missing AES library, a damaged dictionary: not opened
                opened = False
            if not opened:
                return [Skipped("an encrypted PDF: its text was not searched for real names")]
        metadata = reader.metadata
        values = [str(value) for value in metadata.values() if isinstance(value, str)] if metadata else []
        if values:
            found.append(Piece("\n".join(values), where or " (in the PDF's metadata)", numbered=False, yaml=False))
        size = 0
        for number, page in enumerate(reader.pages, 1):
            if number > PDF_PAGES or time.monotonic() > deadline:
                found.append(Skipped(f"a PDF too long to read whole: its text after page {number - 1} was not "
                                     "searched for real names"))
                break
            text = page.extract_text() or ""
            size += len(text)
            found.append(Piece(text[:PDF_TEXT], where or f" (in the PDF's text, page {number})", numbered=False,
                               yaml=False))
            if size > PDF_TEXT:
                found.append(Skipped(f"a PDF of more than {PDF_TEXT >> 20} MiB of text: its text after page "
                                     f"{number} was not searched for real names"))
                break
    except Exception:  # noqa: BLE001 - whatever a damaged PDF makes pypdf raise is a warning, never a crash
        found.append(Skipped("a PDF that cannot be read (damaged?): its text was not searched for real names, only "
                             "its raw bytes"))
    return found
