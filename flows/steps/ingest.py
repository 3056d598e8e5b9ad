"""Ingest: find inputs, read their bytes, hash them, and decide their text encoding.

Anything that cannot become text (missing, empty, too large, binary, undecodable) becomes a
``Quarantined`` record with a reason instead of an exception, so one bad file never stops a run.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from flows.config import IngestSettings
from flows.records import DecodedDocument, Quarantined, RawDocument

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_PREFERRED_ON_TIE = ("cp1252", "iso8859_15", "latin_1")
_TIE = 0.01


def is_url(location: str) -> bool:
    return urllib.parse.urlparse(location).scheme in {"http", "https", "file"}


def list_inputs(root: Path, settings: IngestSettings) -> list[Path]:
    """Files under ``root`` (or ``root`` itself) matching the configured patterns, sorted."""
    if root.is_file():
        return [root]
    found: set[Path] = set()
    for pattern in settings.patterns:
        found.update(p for p in root.rglob(pattern) if p.is_file())
    return sorted(found)


def read_file(path: Path, root: Path, settings: IngestSettings) -> RawDocument | Quarantined:
    """Read one file's bytes; too-large or unreadable files are quarantined."""
    source_name = path.name if root.is_file() else path.relative_to(root).as_posix()
    try:
        size = path.stat().st_size
        if size > settings.max_bytes:
            return Quarantined(
                source_name, "ingest", f"file is {size} bytes, over max_bytes={settings.max_bytes}"
            )
        data = path.read_bytes()
    except OSError as exc:
        return Quarantined(source_name, "ingest", f"cannot read file: {exc.strerror or exc}")
    return RawDocument(source_name, data, hashlib.sha256(data).hexdigest())


def read_url(url: str, settings: IngestSettings) -> RawDocument | Quarantined:
    """Fetch one URL's body; HTTP and network errors are quarantined."""
    try:
        with urllib.request.urlopen(url, timeout=settings.url_timeout_s) as response:
            data = response.read(settings.max_bytes + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Quarantined(url, "ingest", f"cannot fetch URL: {exc}")
    if len(data) > settings.max_bytes:
        return Quarantined(url, "ingest", f"body over max_bytes={settings.max_bytes}")
    return RawDocument(url, data, hashlib.sha256(data).hexdigest())


def iter_raw_documents(
    location: str, settings: IngestSettings
) -> Iterator[RawDocument | Quarantined]:
    """Every input at ``location`` (folder, file or URL) as raw bytes or a quarantine record."""
    if is_url(location) and not location.startswith("file:"):
        yield read_url(location, settings)
        return
    root = Path(urllib.parse.urlparse(location).path if location.startswith("file:") else location)
    if not root.exists():
        yield Quarantined(location, "ingest", "input path does not exist")
        return
    for path in list_inputs(root, settings):
        yield read_file(path, root, settings)


# Control characters (Unicode category Cc, fixed by the standard: U+0000-001F and U+007F-009F)
# other than \t \n \v \f \r, and U+FFFD. One regex scan instead of a category lookup per
# character (which was most of a warm run's ingest time); a test checks it against unicodedata.
_GARBAGE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]+")


def _garbage_share(text: str) -> float:
    """Share of characters that no text file should contain: controls and U+FFFD."""
    if not text:
        return 0.0
    bad = sum(len(run) for run in _GARBAGE.findall(text))
    return bad / len(text)


def detect_encoding(data: bytes) -> str | None:
    """The encoding to decode ``data`` with: BOM, then strict UTF-8, then charset detection."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        return None  # NUL bytes without a UTF-16/32 BOM: binary, not text
    matches = list(from_bytes(data))
    if not matches:
        return None
    # Several code pages often decode equally cleanly (coherence is noise on mostly-ASCII text):
    # among the cleanest, prefer the ones Western web text uses most.
    least_chaos = min(m.chaos for m in matches)
    tied = [m.encoding for m in matches if m.chaos <= least_chaos + _TIE]
    return next((enc for enc in _PREFERRED_ON_TIE if enc in tied), tied[0])


def decode(raw: RawDocument, settings: IngestSettings) -> DecodedDocument | Quarantined:
    """Decode bytes to text, quarantining empty, binary and undecodable inputs."""
    if len(raw.data) == 0:
        return Quarantined(raw.source_name, "decode", "empty file (0 bytes)")
    encoding = detect_encoding(raw.data)
    if encoding is None:
        return Quarantined(raw.source_name, "decode", "binary or undecodable content")
    try:
        text = raw.data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        return Quarantined(raw.source_name, "decode", f"cannot decode as {encoding}: {exc}")
    share = _garbage_share(text)
    if share > settings.max_garbage_share:
        return Quarantined(
            raw.source_name,
            "decode",
            f"binary content: {share:.1%} control or replacement characters as {encoding}",
        )
    if len(text.strip()) < settings.min_chars:
        return Quarantined(raw.source_name, "decode", "no text (only whitespace)")
    return DecodedDocument(raw.source_name, raw.sha256, encoding, text)
