"""Text-encoding detection and decode-error location for source files (private helpers).

Detection order (see :func:`detect`): a byte-order mark; UTF-16 without a BOM (NUL-byte pattern);
strict UTF-8 on samples from the head, middle and tail of the file; then ``charset_normalizer`` on the
non-ASCII lines of those samples, trusted only for Chinese (-> ``gb18030``, a superset of GB2312/GBK),
other CJK and Cyrillic text it is confident about; anything else is Western single-byte text:
``cp1252`` when every sampled byte is defined in cp1252, else ``latin-1`` (which decodes every byte).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

__all__ = [
    "DecodeErrorLocation",
    "detect",
    "guess_legacy",
    "is_ascii_compatible",
    "locate_decode_error",
]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CHINESE = {"gb2312", "gbk", "gb18030", "hz"}
_OTHER_CJK = {
    "big5": "big5",
    "big5hkscs": "big5hkscs",
    "cp950": "cp950",
    "shift_jis": "cp932",
    "cp932": "cp932",
    "euc_jp": "euc_jp",
    "euc_kr": "cp949",
    "cp949": "cp949",
}
_CYRILLIC = {"cp1251", "koi8_r", "koi8_u", "cp866", "iso8859_5", "mac_cyrillic"}
_CYRILLIC_LANGUAGES = {"Russian", "Ukrainian", "Bulgarian", "Serbian", "Macedonian", "Belarusian", "Kazakh"}
_LEGACY_SAMPLE = 256 << 10
_SCAN_CHUNK = 1 << 20
_MIN_CJK = 2  # fewer CJK characters than this is no evidence (any two high bytes decode as one)


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x3000 <= cp <= 0x303F  # CJK punctuation
        or 0x3040 <= cp <= 0x30FF  # kana
        or 0x3400 <= cp <= 0x9FFF  # ideographs
        or 0xAC00 <= cp <= 0xD7AF  # hangul
        or 0xF900 <= cp <= 0xFAFF
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms
        or 0x20000 <= cp <= 0x3FFFF
    )


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def is_ascii_compatible(encoding: str) -> bool:
    r"""Whether ``encoding`` writes ASCII (in particular ``\n``) as the same single bytes."""
    try:
        return "a,\n".encode(encoding) == b"a,\n"
    except (LookupError, UnicodeError):
        return False


def _bom(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """Spot BOM-less UTF-16 by its NUL bytes (ASCII text has a NUL in every other byte)."""
    sample = head[: 64 << 10]
    half = len(sample) // 2
    if half < 4:
        return None
    even_nul = sample[0::2].count(0) / half
    odd_nul = sample[1::2].count(0) / half
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _read_samples(path: Path, size: int, sample_bytes: int) -> tuple[bytes, list[bytes]]:
    """The head of the file plus, for big files, whole lines from its middle and its tail."""
    sample_bytes = max(sample_bytes, 4096)
    with path.open("rb") as f:
        head = f.read(sample_bytes)
        others: list[bytes] = []
        if size > sample_bytes:
            piece = max(sample_bytes // 4, 4096)
            for start in (size // 2, max(size - piece, sample_bytes)):
                f.seek(start)
                chunk = f.read(piece)
                first, last = chunk.find(b"\n"), chunk.rfind(b"\n")
                if 0 <= first < last:
                    others.append(chunk[first + 1 : last + 1])
    return head, others


def _head_is_utf8(head: bytes, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _non_ascii_lines(data: bytes, limit: int = _LEGACY_SAMPLE) -> bytes:
    """The lines of ``data`` that hold non-ASCII bytes (where the evidence of an encoding is)."""
    out: list[bytes] = []
    total = 0
    for line in data.split(b"\n"):
        if max(line, default=0) >= 0x80:
            out.append(line)
            total += len(line) + 1
            if total >= limit:
                break
    return b"\n".join(out) if out else data[:limit]


def guess_legacy(data: bytes) -> str:
    """Guess the non-UTF encoding of ``data`` (whole lines, ideally).

    Returns ``'gb18030'`` for Chinese text, another CJK or Cyrillic codec when ``charset_normalizer``
    is confident and the text decodes, else ``'cp1252'`` or ``'latin-1'``.
    """
    evidence = _non_ascii_lines(data)
    # A sample may end inside a multi-byte character: judge whole lines only.
    cut = evidence.rfind(b"\n")
    whole = evidence if cut < 0 or len(evidence) < _LEGACY_SAMPLE else evidence[:cut]
    match = from_bytes(whole).best()
    if match is not None:
        name = match.encoding
        candidate: str | None = None
        if name in _CHINESE:
            candidate = "gb18030"
        elif name in _OTHER_CJK:
            candidate = _OTHER_CJK[name]
        elif name in _CYRILLIC and match.language in _CYRILLIC_LANGUAGES and _decodes(whole, name):
            return name
        if candidate is not None and _decodes(whole, candidate):
            text = whole.decode(candidate)
            non_ascii = [ch for ch in text if ord(ch) >= 0x80]
            cjk = sum(map(_is_cjk, non_ascii))
            if cjk >= _MIN_CJK and cjk >= 0.5 * len(non_ascii):
                return candidate
    return "cp1252" if _decodes(whole, "cp1252") else "latin-1"


def detect(path: Path, size: int, sample_bytes: int) -> str:
    """Detect the text encoding of the file at ``path`` (``size`` bytes long); see the module doc."""
    head, others = _read_samples(path, size, sample_bytes)
    bom = _bom(head)
    if bom is not None:
        return bom
    utf16 = _utf16_without_bom(head)
    if utf16 is not None:
        return utf16
    complete = size <= len(head)
    if _head_is_utf8(head, complete) and all(_decodes(p, "utf-8") for p in others):
        return "utf-8"
    if not complete:  # drop a possibly cut last line of the head
        cut = head.rfind(b"\n")
        if cut > 0:
            head = head[: cut + 1]
    return guess_legacy(b"".join([head, *others]))


@dataclass(frozen=True)
class DecodeErrorLocation:
    """Where a file first fails to decode."""

    byte_offset: int
    line: int | None  # 1-based line number (None when the encoding is not ASCII-compatible)
    reason: str
    context: bytes  # whole lines around the bad bytes, to guess the real encoding from


def locate_decode_error(path: Path, encoding: str) -> DecodeErrorLocation | None:
    """Stream ``path`` through ``encoding`` and report the first undecodable byte, if any."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    ascii_compatible = is_ascii_compatible(encoding)
    offset = 0  # file offset of the next chunk
    newlines = 0
    with path.open("rb") as f:
        while True:
            chunk = f.read(_SCAN_CHUNK)
            final = not chunk
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                bad = max(offset - pending + exc.start, 0)
                line = None
                if ascii_compatible:
                    before = bad - offset  # may be negative when the bad bytes began in the previous chunk
                    line = newlines + 1 + (chunk[: max(before, 0)].count(b"\n"))
                start = max(bad - 32_768, 0)
                f.seek(start)
                window = f.read(65_536)
                first, last = window.find(b"\n"), window.rfind(b"\n")
                if start > 0 and 0 <= first < last:
                    window = window[first + 1 : last]
                return DecodeErrorLocation(bad, line, exc.reason, window)
            if final:
                return None
            newlines += chunk.count(b"\n")
            offset += len(chunk)
