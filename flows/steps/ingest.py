"""Ingest: find inputs, read their bytes, hash them, and decide their text encoding.

Anything that cannot become text becomes a ``Quarantined`` record with a reason instead of an
exception, so one bad input never stops a run and none is lost silently.

What counts as an input under a folder (:func:`list_inputs`): every directory entry whose *name*
matches one of ``ingest.patterns`` (case-sensitive), wherever it lies below the folder, plus every
entry that may hold inputs but will not be walked: a symlink to a directory (directory links are
never followed, so link loops cannot recurse), a broken symlink (dangling, or a loop: it may have
been a link to a folder of inputs) and a directory that cannot be listed. Symlinks to files are
followed, wherever they point. :func:`read_file` gives each listed entry exactly one outcome: its
bytes, or a quarantine row (stage ``ingest``) saying why not. It never opens anything but a
regular file (a FIFO would block the run forever, a device could be endless) and never reads
more than ``ingest.max_bytes + 1`` bytes of one, whatever its size claims to be. An input is
named by its path relative to the folder; bytes of a name that are not UTF-8 become ``\\xNN``.
Names are only ever data: nothing Broadsheet writes is named after an input (the result cache
is keyed by content hashes).

:func:`decode` then decides the text encoding (:func:`detect_encoding`): a BOM, strict UTF-8,
UTF-8 with a few damaged bytes (repaired: U+FFFD), nearly-ASCII bytes as ``legacy_encoding``,
else charset detection; empty, whitespace-only and binary content is quarantined (stage
``decode``).
"""

from __future__ import annotations

import base64
import codecs
import errno
import fnmatch
import hashlib
import os
import re
import stat
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from flows.config import IngestSettings
from flows.records import DecodedDocument, Quarantined, RawDocument
from flows.redact import redact

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_PREFERRED_ON_TIE = ("cp1252", "iso8859_15", "latin_1")
_TIE = 0.01
INGEST_STAGE = "ingest"
# Names of the file types read_file refuses, by stat's type bits.
_SPECIAL_FILES: tuple[tuple[int, str], ...] = (
    (stat.S_IFIFO, "a FIFO (named pipe)"),
    (stat.S_IFSOCK, "a socket"),
    (stat.S_IFCHR, "a character device"),
    (stat.S_IFBLK, "a block device"),
    (stat.S_IFDIR, "a directory"),
)


def is_url(location: str) -> bool:
    return urllib.parse.urlparse(location).scheme in {"http", "https", "file"}


def printable(name: str) -> str:
    """``name`` as valid Unicode: bytes of a file name that are not UTF-8 (which Python carries
    as lone surrogates, and Parquet cannot store) become ``\\xNN`` escapes."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def source_name_for(path: Path, root: Path) -> str:
    """The name an input is known by: its path relative to the input folder (POSIX), or its
    file name when the input is that one file."""
    name = path.name if path == root else path.relative_to(root).as_posix()
    return printable(name)


def _name_matcher(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns) or r"(?!)")


def list_inputs(root: Path, settings: IngestSettings) -> list[Path]:
    """Every entry under ``root`` that the run gives an outcome to (see the module docstring),
    sorted; ``root`` itself when it is not a directory."""
    if not root.is_dir():
        return [root]
    matches = _name_matcher(settings.patterns).match
    found: list[Path] = []
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError:
            found.append(folder)  # read_file says why it cannot be listed
            continue
        for entry in entries:
            path = folder / entry.name
            try:
                if entry.is_symlink():
                    try:
                        target = os.stat(entry.path)
                    except OSError:
                        found.append(path)  # broken: maybe it was a link to a folder of inputs
                        continue
                    if stat.S_ISDIR(target.st_mode) or matches(entry.name):
                        found.append(path)  # a directory link is reported, never walked
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                elif matches(entry.name):
                    found.append(path)
            except OSError:
                found.append(path)  # vanished or unreadable while listed: read_file says why
    return sorted(found)


def _quarantine(source_name: str, reason: str) -> Quarantined:
    return Quarantined(source_name, INGEST_STAGE, printable(reason))


def _kind(mode: int) -> str:
    kind = stat.S_IFMT(mode)
    return next((name for bits, name in _SPECIAL_FILES if kind == bits), "an unknown file type")


def _refusal(path: Path, source_name: str, exc: OSError | None, mode: int | None) -> Quarantined:
    """Why ``path`` is not read: it cannot be stat'ed (``exc``) or is not a regular file."""
    is_link = path.is_symlink()
    if exc is not None:
        if is_link and exc.errno == errno.ELOOP:
            return _quarantine(source_name, "symlink loop: the link never reaches a file")
        if is_link and exc.errno == errno.ENOENT:
            try:
                target = f" {os.readlink(path)!r}"
            except OSError:
                target = ""
            return _quarantine(source_name, f"dangling symlink: its target{target} is missing")
        return _quarantine(source_name, f"cannot read file: {exc.strerror or exc}")
    assert mode is not None
    if stat.S_ISDIR(mode):
        if is_link:
            return _quarantine(
                source_name, "symlink to a directory: not followed (directory links are not walked)"
            )
        try:
            os.close(os.open(path, os.O_RDONLY | os.O_DIRECTORY))
        except OSError as err:
            return _quarantine(source_name, f"cannot list directory: {err.strerror or err}")
        return _quarantine(source_name, "directory could not be listed when the run started")
    return _quarantine(source_name, f"{_kind(mode)}, not a regular file: not read")


def _too_large(source_name: str, size: int, settings: IngestSettings) -> Quarantined:
    return _quarantine(source_name, f"file is {size} bytes, over max_bytes={settings.max_bytes}")


def read_file(path: Path, root: Path, settings: IngestSettings) -> RawDocument | Quarantined:
    """Read one regular file's bytes (at most ``max_bytes``); everything else is quarantined."""
    source_name = source_name_for(path, root)
    try:
        info = os.stat(path)
    except OSError as exc:
        return _refusal(path, source_name, exc, None)
    if not stat.S_ISREG(info.st_mode):
        return _refusal(path, source_name, None, info.st_mode)
    if info.st_size > settings.max_bytes:
        return _too_large(source_name, info.st_size, settings)
    try:
        # Non-blocking: should a FIFO replace the file after the stat, opening it cannot hang.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with open(fd, "rb") as handle:
            now = os.fstat(fd)
            if not stat.S_ISREG(now.st_mode):
                return _refusal(path, source_name, None, now.st_mode)
            if now.st_size > settings.max_bytes:
                return _too_large(source_name, now.st_size, settings)
            # Never more than max_bytes + 1 bytes, whatever the size says (a file may grow while
            # read; some report size 0): one byte past the size shows whether there is more.
            data = handle.read(now.st_size + 1)
            if len(data) > now.st_size:
                data += handle.read(settings.max_bytes + 1 - len(data))
    except OSError as exc:
        return _quarantine(source_name, f"cannot read file: {exc.strerror or exc}")
    if len(data) > settings.max_bytes:
        return _quarantine(
            source_name,
            f"file holds more than {settings.max_bytes} bytes (max_bytes), more than its size "
            f"{now.st_size} said: not read further",
        )
    return RawDocument(source_name, data, hashlib.sha256(data).hexdigest())


def _request(url: str) -> urllib.request.Request:
    """A request for ``url``; credentials in the URL (``user:pass@host``) become a Basic
    ``Authorization`` header (urllib would take them for part of the host name and send the
    password to the DNS resolver)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return urllib.request.Request(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    bare = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    user = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return urllib.request.Request(bare, headers={"Authorization": f"Basic {token}"})


def read_url(url: str, settings: IngestSettings) -> RawDocument | Quarantined:
    """Fetch one URL's body; HTTP and network errors are quarantined. The document is named by
    the URL without its credentials (``flows.redact``), and no error message repeats them."""
    name = redact(url)
    try:
        with urllib.request.urlopen(_request(url), timeout=settings.url_timeout_s) as response:
            data = response.read(settings.max_bytes + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Quarantined(name, "ingest", redact(f"cannot fetch URL: {exc}"))
    if len(data) > settings.max_bytes:
        return Quarantined(name, "ingest", f"body over max_bytes={settings.max_bytes}")
    return RawDocument(name, data, hashlib.sha256(data).hexdigest())


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


# Appended to an encoding's name when bytes it cannot decode were replaced by U+FFFD.
REPLACED = " (invalid bytes replaced)"
_ASCII = bytes(range(0x80))


def detect_encoding(data: bytes, settings: IngestSettings | None = None) -> str | None:
    """The encoding to decode ``data`` with, or None for binary. In order: a BOM, strict UTF-8,
    damaged UTF-8 (``repair_utf8``), nearly-ASCII bytes (``legacy_encoding``), then charset
    detection. A name ending in ``REPLACED`` decodes with invalid bytes replaced by U+FFFD."""
    settings = settings or IngestSettings()
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
    if settings.repair_utf8:
        lenient = data.decode("utf-8", "replace")
        invalid = lenient.count("\ufffd") - data.count("\ufffd".encode())
        non_ascii = len(lenient) - len(lenient.encode("ascii", "ignore"))
        if non_ascii - invalid >= invalid:  # more valid multi-byte characters than damage
            return "utf-8" + REPLACED
    if len(data.translate(None, _ASCII)) <= settings.legacy_max_non_ascii_share * len(data):
        try:
            data.decode(settings.legacy_encoding)
        except UnicodeDecodeError:
            return settings.legacy_encoding + REPLACED
        except LookupError:
            return settings.legacy_encoding  # decode names the unknown encoding
        return settings.legacy_encoding
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
    encoding = detect_encoding(raw.data, settings)
    if encoding is None:
        return Quarantined(raw.source_name, "decode", "binary or undecodable content")
    codec = encoding.removesuffix(REPLACED)
    try:
        text = raw.data.decode(codec, "strict" if codec == encoding else "replace")
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
