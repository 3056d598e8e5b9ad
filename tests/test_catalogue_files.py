"""Issue 7's catalogue of bad inputs, the file-level part: what a run does with each kind of file.

Every kind gets exactly one documented outcome: published (perhaps repaired: decoded from a
legacy encoding, BOM dropped) or one quarantine row with its stage and reason; the run completes
and publishes every good document, and inputs = published + quarantined. One real flow run
(module fixture) covers the catalogue folder; huge files (memory), a folder of 20,000 tiny files
and unreadable files (file permissions, which root ignores) have tests of their own.
"""

from __future__ import annotations

import codecs
import os
import pickle
import random
import socket
import stat
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pytest

from flows.config import IngestSettings, Settings
from flows.records import Quarantined, RawDocument
from flows.stages import ingest_batch, list_sources
from flows.steps import ingest

from .conftest import SEEDS

T = TypeVar("T")
SETTINGS = IngestSettings()
NO_CACHE = Settings().with_overrides("run", cache=False)
MB = 1024 * 1024
NOBODY = 65534  # uid and gid of "nobody"
SEED_FILES = sorted(SEEDS.glob("*.txt"))
# Non-UTF-8 names: what a scraper on another system may write. Python carries the byte as a
# lone surrogate; the run names the file with a \xNN escape.
BAD_BYTES_NAME = b"bad-\xff-name.txt"
ODD_NAMES = {
    "spaces": "name with  spaces .txt",
    "unicode": "Zürich – 東京.txt",
    "shell": "a;b $(x) `y` 'q' \"d\" &|<>.txt",
    "newline": "line\nbreak\ttab.txt",
    "dashes": "-rf --help.txt",
    "dots": "..%2F..%2Fetc%2Fpasswd..txt",
}


def article(place: str, topic: str, amount: str, day: str) -> str:
    """A short English article (passes the quality checks); distinct arguments, distinct text."""
    return (
        f"{place} council approves plan for {topic}\n\n"
        f"The council in {place} approved a new plan for {topic} on {day}, officials said after "
        f"a long meeting that ran late into the evening and drew a large crowd of residents.\n\n"
        f"The plan sets aside {amount} for {topic} over the next five years, and the mayor "
        f"said people would see the first changes before the end of the year.\n\n"
        f"Critics said the council had moved too quickly and asked for a public hearing on "
        f"{topic} before any contracts are signed.\n"
    )


LATIN1_TEXT = article("Zürich", "café terraces and the Bahnhofstraße", "£12 million", "Monday")
CP1252_TEXT = article("Lyon", "“smart” bus lanes – and naïve cyclists", "€12 million", "Tuesday")
UTF16_TEXT = article("Leeds", "school roofs", "40 million pounds", "Wednesday")
UTF8_BOM_TEXT = article("Perth", "harbour lights", "3 million dollars", "Thursday")
OUTSIDE_TEXT = article("Hobart", "ferry timetables", "2 million dollars", "Friday")
DUPLICATE_TEXT = article("Cork", "river walls", "9 million euros", "Saturday")
ODD_NAME_TEXTS = {
    kind: article(place, topic, "1 million", "Sunday")
    for kind, place, topic in (
        ("spaces", "Bergen", "fish markets"),
        ("unicode", "Basel", "tram depots"),
        ("shell", "Ghent", "canal bridges"),
        ("newline", "Turku", "ice rinks"),
        ("dashes", "Split", "ferry ports"),
        ("dots", "Varna", "sea walls"),
        ("bad-bytes", "Porto", "hill lifts"),
    )
}


def invalid_utf8(text: str, count: int = 5, seed: int = 7) -> bytes:
    """``text`` as UTF-8 with ``count`` characters replaced by random bytes 0x80-0xff."""
    rng = random.Random(seed)
    data = bytearray(text.encode("utf-8"))
    for _ in range(count):
        data[rng.randrange(len(data))] = rng.randrange(0x80, 0x100)
    return bytes(data)


INVALID_UTF8_TEXT = article("Derby", "street lamps", "7 million pounds", "Monday")
UNDEFINED_CP1252_TEXT = article("Luton", "bus shelters", "4 million pounds", "Tuesday")
DAMAGED_UTF8_TEXT = article("Nîmes", "“smart” lanes – and naïve cyclists", "€3 million", "Friday")


def damaged_utf8(text: str) -> bytes:
    """``text`` as UTF-8 with two bytes overwritten by 0xff (never valid in UTF-8)."""
    data = bytearray(text.encode("utf-8"))
    for at in (len(data) // 3, 2 * len(data) // 3):
        data[at] = 0xFF
    return bytes(data)


def png(width: int = 24, height: int = 16) -> bytes:
    """A real (valid) PNG image: an RGB gradient."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + bytes((x * 7 + y * 13) % 256 for x in range(width * 3)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def sparse(path: Path, size: int) -> None:
    """A file of ``size`` bytes that takes no disk space and no time (a hole of zeros)."""
    with path.open("wb") as handle:
        handle.truncate(size)


class FifoUnblocker:
    """Should anything open the FIFO for reading (a regression), open its other end so the read
    ends at once (and the outcome assertion fails) instead of hanging the run forever."""

    def __init__(self, fifo: Path) -> None:
        self.fifo = fifo
        self.stop = threading.Event()
        self.opened = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.stop.wait(0.2):
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue  # ENXIO: nobody is reading it, as it should be
            self.opened += 1
            os.close(fd)

    def __enter__(self) -> FifoUnblocker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def build_catalogue(folder: Path, outside: Path) -> dict[str, str]:
    """Every file-level kind under ``folder``; returns kind -> source name (relative path)."""
    names: dict[str, str] = {}

    def put(kind: str, name: str, data: bytes | None = None) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if data is not None:
            path.write_bytes(data)
        names[kind] = name
        return path

    for number, seed in enumerate(SEED_FILES[:3], start=1):
        put(f"good-{number}", f"good/article-{number}.txt", seed.read_bytes())
    put("empty", "bad/empty.txt", b"")
    put("whitespace", "bad/whitespace.txt", b" \n\t\r\n   \n\n\t ")
    put("png", "bad/image.txt", png())
    # Random bytes 0x80-0xff in ASCII text: too little for charset detection, read as cp1252
    # (with seed 1, bytes cp1252 leaves undefined are among them: replaced by U+FFFD).
    put("invalid-utf8", "encodings/invalid-utf8.txt", invalid_utf8(INVALID_UTF8_TEXT, seed=7))
    undefined = invalid_utf8(UNDEFINED_CP1252_TEXT, seed=1)
    put("invalid-utf8-undefined-in-cp1252", "encodings/invalid-utf8-2.txt", undefined)
    put("damaged-utf8", "encodings/damaged-utf8.txt", damaged_utf8(DAMAGED_UTF8_TEXT))
    put("latin-1", "encodings/latin-1.txt", LATIN1_TEXT.encode("latin-1"))
    put("cp1252", "encodings/cp1252.txt", CP1252_TEXT.encode("cp1252"))
    put("utf-16-bom", "encodings/utf-16-bom.txt", UTF16_TEXT.encode("utf-16"))
    put("utf-8-bom", "encodings/utf-8-bom.txt", codecs.BOM_UTF8 + UTF8_BOM_TEXT.encode())
    # Over ingest.max_bytes (20 MB): sparse here, quarantined on size before any byte is read.
    sparse(put("50mb", "big/50mb.txt"), 50 * MB)
    sparse(put("200mb", "big/200mb.txt"), 200 * MB)
    # Links: a loop of two file links, a link to the folder's parent, a dangling link.
    put("loop-a", "links/loop-a.txt").symlink_to("loop-b.txt")
    put("loop-b", "links/loop-b.txt").symlink_to("loop-a.txt")
    put("dir-link-to-parent", "links/up").symlink_to("..")
    put("dangling", "links/dangling.txt").symlink_to("missing-target.txt")
    put("link-to-good", "links/to-good.txt").symlink_to("../good/article-1.txt")
    (outside / "elsewhere.txt").write_text(OUTSIDE_TEXT, encoding="utf-8")
    put("link-outside", "links/outside.txt").symlink_to(outside / "elsewhere.txt")
    # Special files: never opened (a FIFO has no writer: reading it would block forever).
    os.mkfifo(put("fifo", "special/x.txt"))
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(put("socket", "special/socket.txt")))
    sock.close()
    for kind, name in ODD_NAMES.items():
        put(f"name-{kind}", f"names/{name}", ODD_NAME_TEXTS[kind].encode())
    bad_name = os.fsencode(folder / "names") + b"/" + BAD_BYTES_NAME
    with open(bad_name, "wb") as handle:
        handle.write(ODD_NAME_TEXTS["bad-bytes"].encode())
    names["name-bad-bytes"] = "names/bad-\\xff-name.txt"
    put("same-bytes-first", "dup/original.txt", DUPLICATE_TEXT.encode())
    put("same-bytes-second", "dup/zz-copy.txt", DUPLICATE_TEXT.encode())
    # A broken link is reported whatever its name: it may have been a link to a folder.
    put("loop-c", "links/loop-c").symlink_to("loop-d")
    put("loop-d", "links/loop-d").symlink_to("loop-c")
    # Not inputs (their names match no ingest pattern): never read, never reported.
    (folder / "bad" / "photo.png").write_bytes(png())
    (folder / "bad" / "notes.pdf").write_bytes(b"%PDF-1.4\n")
    return names


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from flows.pipeline import run

    base = tmp_path_factory.mktemp("catalogue")
    folder, outside, output = base / "in", base / "outside", base / "out"
    outside.mkdir()
    names = build_catalogue(folder, outside)
    started = time.perf_counter()
    with FifoUnblocker(folder / "special" / "x.txt") as unblocker:
        summary = run(input=str(folder), output=str(output))
    seconds = time.perf_counter() - started
    yield {
        "names": names,
        "summary": summary,
        "seconds": seconds,
        "fifo_opened": unblocker.opened,
        "documents": pd.read_parquet(output / "latest" / "documents").set_index("source_name"),
        "quarantine": pd.read_parquet(output / "latest" / "quarantine").set_index("source_name"),
        "output": output,
    }
    for big in folder.glob("big/*.txt"):
        big.unlink()


# kind -> (stage, reason pattern) of its quarantine row.
QUARANTINED: dict[str, tuple[str, str]] = {
    "empty": ("decode", r"^empty file \(0 bytes\)$"),
    "whitespace": ("decode", r"^no text \(only whitespace\)$"),
    "png": ("decode", r"^binary or undecodable content$"),
    "50mb": ("ingest", rf"^file is {50 * MB} bytes, over max_bytes=20000000$"),
    "200mb": ("ingest", rf"^file is {200 * MB} bytes, over max_bytes=20000000$"),
    "loop-a": ("ingest", r"^symlink loop: the link never reaches a file$"),
    "loop-b": ("ingest", r"^symlink loop: the link never reaches a file$"),
    "loop-c": ("ingest", r"^symlink loop: the link never reaches a file$"),
    "loop-d": ("ingest", r"^symlink loop: the link never reaches a file$"),
    "dir-link-to-parent": ("ingest", r"^symlink to a directory: not followed"),
    "dangling": ("ingest", r"^dangling symlink: its target 'missing-target.txt' is missing$"),
    "link-to-good": ("ingest", r"^duplicate content of good/article-1.txt$"),
    "fifo": ("ingest", r"^a FIFO \(named pipe\), not a regular file: not read$"),
    "socket": ("ingest", r"^a socket, not a regular file: not read$"),
    "same-bytes-second": ("ingest", r"^duplicate content of dup/original.txt$"),
}
# kind -> (encoding, a passage the published text holds).
PUBLISHED: dict[str, tuple[str, str]] = {
    "good-1": ("utf-8", ""),
    "good-2": ("utf-8", ""),
    "good-3": ("utf-8", ""),
    "invalid-utf8": ("cp1252", "The council in Derby approved"),
    "invalid-utf8-undefined-in-cp1252": ("cp1252" + ingest.REPLACED, "The council in Luton"),
    "damaged-utf8": ("utf-8" + ingest.REPLACED, "The plan sets aside €3 million"),
    "latin-1": ("cp1252", "The council in Zürich approved a new plan for café terraces"),
    "cp1252": ("cp1252", "The plan sets aside €12 million"),
    "utf-16-bom": ("utf-16", "The council in Leeds approved"),
    "utf-8-bom": ("utf-8-sig", "The council in Perth approved"),
    "link-outside": ("utf-8", "The council in Hobart approved"),
    "same-bytes-first": ("utf-8", "The council in Cork approved"),
    **{f"name-{kind}": ("utf-8", "approved a new plan") for kind in ODD_NAMES},
    "name-bad-bytes": ("utf-8", "The council in Porto approved"),
}


def test_every_input_has_exactly_one_outcome(catalogue: dict[str, Any]) -> None:
    names = catalogue["names"]
    documents, quarantine = catalogue["documents"], catalogue["quarantine"]
    assert not documents.index.duplicated().any() and not quarantine.index.duplicated().any()
    assert set(documents.index).isdisjoint(quarantine.index)
    assert set(documents.index) | set(quarantine.index) == set(names.values())
    summary = catalogue["summary"]
    assert summary.documents_in == len(names) == len(documents) + len(quarantine)
    assert summary.validation_passed and summary.published


def test_every_kind_has_its_documented_outcome(catalogue: dict[str, Any]) -> None:
    names = catalogue["names"]
    documents, quarantine = catalogue["documents"], catalogue["quarantine"]
    assert set(QUARANTINED) | set(PUBLISHED) == set(names)
    for kind, (stage, pattern) in QUARANTINED.items():
        row = quarantine.loc[names[kind]]
        assert (row["stage"], kind) == (stage, kind)
        assert pd.Series([row["reason"]]).str.contains(pattern).all(), (kind, row["reason"])
    for kind, (encoding, passage) in PUBLISHED.items():
        row = documents.loc[names[kind]]
        assert (row["encoding"], kind) == (encoding, kind)
        assert passage in row["text"], kind
        assert "\ufeff" not in row["text"], kind
        # Only a decoding that says so replaced bytes (by U+FFFD).
        assert ("\ufffd" in row["text"]) == encoding.endswith(ingest.REPLACED), kind


def test_the_fifo_was_never_opened(catalogue: dict[str, Any]) -> None:
    assert catalogue["fifo_opened"] == 0


def test_odd_file_names_are_kept_as_they_are(catalogue: dict[str, Any]) -> None:
    documents = catalogue["documents"]
    for name in ODD_NAMES.values():
        assert f"names/{name}" in documents.index
    # Bytes that are not UTF-8 in a name become a visible escape (Parquet holds only UTF-8).
    assert "names/bad-\\xff-name.txt" in documents.index


def test_no_output_path_comes_from_an_input_name(catalogue: dict[str, Any]) -> None:
    """Output paths are built from fixed names, run ids and hashes (the cache), never from an
    input's name: whatever a file is called, nothing lands outside the output folder."""
    output = catalogue["output"]
    names = catalogue["names"]
    odd = [Path(names[kind]).stem for kind in names if kind.startswith("name-")]
    stems = [*odd, "article-1", "zz-copy", "loop-a", "missing-target", "dangling", "50mb"]
    for folder, dirs, files in os.walk(output):
        for name in dirs + files:
            path = Path(folder) / name
            assert not any(stem in name for stem in stems), path
            assert path.resolve().is_relative_to(output.resolve()), path


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "x.txt"
    os.mkfifo(fifo)
    results: list[RawDocument | Quarantined] = []
    reader = threading.Thread(
        target=lambda: results.append(ingest.read_file(fifo, tmp_path, IngestSettings())),
        daemon=True,
    )
    with FifoUnblocker(fifo) as unblocker:
        reader.start()
        reader.join(30)
    assert unblocker.opened == 0, "read_file opened the FIFO"
    [result] = results
    assert isinstance(result, Quarantined) and result.stage == "ingest"
    assert result.reason == "a FIFO (named pipe), not a regular file: not read"


def test_the_listing_names_what_it_will_not_walk(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.md").write_text("x")
    (tmp_path / "a" / "skip.bin").write_text("x")
    (tmp_path / "a" / "UPPER.TXT").write_text("x")  # patterns are case-sensitive
    (tmp_path / "a" / "b" / "self").symlink_to(".")
    (tmp_path / "a" / "b" / "root").symlink_to(tmp_path)
    (tmp_path / "a" / "gone").symlink_to("nowhere")  # broken: listed whatever its name
    (tmp_path / "a" / "to-bin.txt").symlink_to("skip.bin")  # a link is named by its own name
    (tmp_path / "a" / "bin-link").symlink_to("skip.bin")
    listed = [p.relative_to(tmp_path).as_posix() for p in ingest.list_inputs(tmp_path, SETTINGS)]
    assert listed == ["a/b/deep.md", "a/b/root", "a/b/self", "a/gone", "a/to-bin.txt"]
    reasons = [ingest.read_file(tmp_path / p, tmp_path, SETTINGS) for p in listed]
    assert [getattr(r, "reason", "read") for r in reasons] == [
        "read",
        "symlink to a directory: not followed (directory links are not walked)",
        "symlink to a directory: not followed (directory links are not walked)",
        "dangling symlink: its target 'nowhere' is missing",
        "read",
    ]


def test_a_single_file_input_is_read_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text("hello")
    assert ingest.list_inputs(path, SETTINGS) == [path]
    raw = ingest.read_file(path, path, SETTINGS)
    assert isinstance(raw, RawDocument) and (raw.source_name, raw.data) == ("one.txt", b"hello")


def test_a_file_larger_than_its_size_is_read_no_further_than_max_bytes() -> None:
    # /proc files are regular files that report size 0: the read is bounded by max_bytes, not
    # by what stat says.
    proc = Path("/proc/self/status")
    if not proc.exists():
        pytest.skip("no /proc on this system")
    assert stat.S_ISREG(proc.stat().st_mode) and proc.stat().st_size == 0
    small = ingest.read_file(proc, proc, IngestSettings(max_bytes=64))
    assert isinstance(small, Quarantined) and small.stage == "ingest"
    assert small.reason == (
        "file holds more than 64 bytes (max_bytes), more than its size 0 said: not read further"
    )
    whole = ingest.read_file(proc, proc, IngestSettings())
    assert isinstance(whole, RawDocument) and whole.data.startswith(b"Name:")


def test_huge_files_are_quarantined_without_being_read(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    line, hole = folder / "50mb-one-line.txt", folder / "200mb.txt"
    try:
        with line.open("wb") as handle:  # a real 50 MB line, written 1 MB at a time
            block = b"a" * MB
            for _ in range(50):
                handle.write(block)
        sparse(hole, 200 * MB)
        settings = NO_CACHE
        sources, root = list_sources(str(folder), settings)
        tracemalloc.start()
        try:
            batch, quarantined = ingest_batch(sources, root, settings, {})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        line.unlink(missing_ok=True)
        hole.unlink(missing_ok=True)
    assert batch == []
    assert [(q.source_name, q.stage, q.reason) for q in quarantined] == [
        ("200mb.txt", "ingest", f"file is {200 * MB} bytes, over max_bytes=20000000"),
        ("50mb-one-line.txt", "ingest", f"file is {50 * MB} bytes, over max_bytes=20000000"),
    ]
    assert peak < MB, f"ingest allocated {peak} bytes for two files over max_bytes"


def unprivileged(work: Callable[[], T]) -> T:
    """``work()`` in a process that file permissions apply to: this one, or (as root, whom they
    do not stop: CI runs as root) a forked child that drops to nobody. The child runs only code
    already imported, so it needs no access to the interpreter's or the repo's files."""
    if os.geteuid() != 0:
        return work()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_end)
            try:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            except OSError as exc:
                payload = pickle.dumps(("no-drop", str(exc)))
            else:
                try:
                    payload = pickle.dumps(("ok", work()))
                except BaseException as exc:
                    payload = pickle.dumps(("error", repr(exc)))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    os.waitpid(pid, 0)
    status, value = pickle.loads(payload)
    if status == "no-drop":
        pytest.skip(f"running as root and cannot drop privileges to nobody: {value}")
    assert status == "ok", value
    return value


def test_unreadable_files_and_folders_are_quarantined() -> None:
    import shutil
    import tempfile

    # Under /tmp, open to all: nobody must reach it (pytest's tmp_path is private to root).
    base = Path(tempfile.mkdtemp(prefix="broadsheet-unreadable-", dir="/tmp"))
    folder = base / "in"
    try:
        folder.mkdir()
        (folder / "ok.txt").write_text(article("Leeds", "bins", "1 million", "Monday"))
        (folder / "locked.txt").write_text(article("Hull", "docks", "2 million", "Monday"))
        (folder / "locked-dir").mkdir()
        (folder / "locked-dir" / "inside.txt").write_text("never listed")
        os.chmod(folder / "locked.txt", 0)
        os.chmod(folder / "locked-dir", 0)
        os.chmod(base, 0o755)
        os.chmod(folder, 0o755)

        def outcome() -> tuple[list[str], list[tuple[str, str, str]]]:
            sources, root = list_sources(str(folder), NO_CACHE)
            batch, quarantined = ingest_batch(sources, root, NO_CACHE, {})
            return [i.source_name for i in batch], [
                (q.source_name, q.stage, q.reason) for q in quarantined
            ]

        published, quarantined = unprivileged(outcome)
    finally:
        for path in (folder / "locked.txt", folder / "locked-dir"):
            if path.exists():
                os.chmod(path, 0o700)
        shutil.rmtree(base)
    assert published == ["ok.txt"]
    assert quarantined == [
        ("locked-dir", "ingest", "cannot list directory: Permission denied"),
        ("locked.txt", "ingest", "cannot read file: Permission denied"),
    ]


TINY_FILES = 20_000


def test_twenty_thousand_tiny_files_are_all_accounted_for(tmp_path: Path) -> None:
    from flows.pipeline import run

    folder, output = tmp_path / "in", tmp_path / "out"
    names = set()
    for number, seed in enumerate(SEED_FILES[:2]):
        (folder / "good").mkdir(parents=True, exist_ok=True)
        (folder / "good" / f"{number}.txt").write_bytes(seed.read_bytes())
        names.add(f"good/{number}.txt")
    (folder / "tiny").mkdir()
    for number in range(TINY_FILES):  # one flat folder
        name = f"tiny/{number:05d}.txt"
        path = folder / name
        path.write_text(f"Note {number}: the office opens at {number % 12 + 1} o'clock.\n")
        names.add(name)
    started = time.perf_counter()
    summary = run(input=str(folder), output=str(output))
    seconds = time.perf_counter() - started
    documents = pd.read_parquet(output / "latest" / "documents")
    quarantine = pd.read_parquet(output / "latest" / "quarantine")
    print(f"{TINY_FILES + 2} inputs: run {seconds:.1f} s, stages {summary.stage_seconds}")
    assert summary.published and summary.documents_in == TINY_FILES + 2
    assert set(documents["source_name"]) == {"good/0.txt", "good/1.txt"}
    assert len(quarantine) == TINY_FILES
    assert set(documents["source_name"]) | set(quarantine["source_name"]) == names
    # A few words are not an article: the cleaner finds no body, or quality calls it too short.
    reasons = quarantine["stage"] + ": " + quarantine["reason"]
    expected = r"^(?:clean: no article text found|quality: too short to be an article)"
    assert reasons.str.contains(expected).all(), reasons[~reasons.str.contains(expected)].head()


def test_decoding_rules_for_damaged_and_stray_bytes() -> None:
    damaged = damaged_utf8(DAMAGED_UTF8_TEXT)
    assert ingest.detect_encoding(damaged) == "utf-8" + ingest.REPLACED
    # Without the repair the valid UTF-8 sequences are non-ASCII evidence: charset detection.
    assert not (
        ingest.detect_encoding(damaged, IngestSettings(repair_utf8=False)) or ""
    ).startswith("utf-8")
    stray = invalid_utf8(INVALID_UTF8_TEXT, seed=7)
    assert ingest.detect_encoding(stray) == "cp1252"
    assert ingest.detect_encoding(stray, IngestSettings(legacy_encoding="latin-1")) == "latin-1"
    # Random bytes (no NUL) are neither damaged UTF-8 nor nearly ASCII: still binary.
    noise = random.Random(3).randbytes(20_000).replace(b"\x00", b"\x01")
    result = ingest.decode(RawDocument("noise.txt", noise, "0" * 64), SETTINGS)
    assert isinstance(result, Quarantined) and result.stage == "decode"
    assert "binary" in result.reason
