"""Ingest: listing, reading, hashing, encoding detection and quarantine of bad files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flows.config import IngestSettings
from flows.records import DecodedDocument, Quarantined, RawDocument
from flows.steps.ingest import decode, detect_encoding, iter_raw_documents, list_inputs, read_file

SETTINGS = IngestSettings()


def _raw(data: bytes, name: str = "x.txt") -> RawDocument:
    return RawDocument(name, data, hashlib.sha256(data).hexdigest())


def test_utf8_is_decoded_and_hashed(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Hello “world”", encoding="utf-8")
    raw = read_file(path, tmp_path, SETTINGS)
    assert isinstance(raw, RawDocument)
    assert raw.source_name == "a.txt"
    assert raw.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    decoded = decode(raw, SETTINGS)
    assert isinstance(decoded, DecodedDocument)
    assert decoded.encoding == "utf-8"
    assert decoded.text == "Hello “world”"


def test_legacy_encodings_are_detected() -> None:
    text = "Le café de la gare était fermé à cause de la grève générale des cheminots français."
    decoded = decode(_raw(text.encode("cp1252")), SETTINGS)
    assert isinstance(decoded, DecodedDocument)
    assert decoded.text == text
    utf16 = decode(_raw(text.encode("utf-16")), SETTINGS)
    assert isinstance(utf16, DecodedDocument) and utf16.text == text


def test_bom_is_not_part_of_the_text() -> None:
    assert detect_encoding(b"\xef\xbb\xbfabc") == "utf-8-sig"
    decoded = decode(_raw(b"\xef\xbb\xbfabc"), SETTINGS)
    assert isinstance(decoded, DecodedDocument) and decoded.text == "abc"


def test_empty_whitespace_and_binary_files_are_quarantined() -> None:
    empty = decode(_raw(b""), SETTINGS)
    assert isinstance(empty, Quarantined) and empty.stage == "decode" and "empty" in empty.reason
    blank = decode(_raw(b"  \n\n \t"), SETTINGS)
    assert isinstance(blank, Quarantined) and "whitespace" in blank.reason
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    binary = decode(_raw(png), SETTINGS)
    assert isinstance(binary, Quarantined) and "binary" in binary.reason


def test_too_large_files_are_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 100)
    result = read_file(path, tmp_path, IngestSettings(max_bytes=10))
    assert isinstance(result, Quarantined) and "max_bytes" in result.reason


def test_listing_is_recursive_sorted_and_filtered(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.txt", "1.txt", "skip.bin"):
        (tmp_path / name).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in list_inputs(tmp_path, SETTINGS)] == [
        "1.txt",
        "b/2.txt",
    ]


def test_missing_input_is_reported(tmp_path: Path) -> None:
    [result] = list(iter_raw_documents(str(tmp_path / "nope"), SETTINGS))
    assert isinstance(result, Quarantined) and "does not exist" in result.reason


def test_garbage_characters_are_exactly_the_controls_and_the_replacement_char() -> None:
    import sys
    import unicodedata

    from flows.steps.ingest import _garbage_share

    every = "".join(map(chr, range(sys.maxunicode + 1))).encode("utf-8", "surrogatepass")
    text = every.decode("utf-8", "ignore")  # every scalar value but the surrogates
    expected = sum(
        1
        for ch in text
        if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    )
    assert round(_garbage_share(text) * len(text)) == expected


def test_url_credentials_go_in_a_header_never_in_the_name() -> None:
    import base64

    from flows.steps.ingest import _request

    request = _request("https://reader:p%40ss@example.org:8443/a.txt?x=1")
    assert request.full_url == "https://example.org:8443/a.txt?x=1"
    token = base64.b64encode(b"reader:p@ss").decode()
    assert request.get_header("Authorization") == f"Basic {token}"
    assert _request("https://example.org/a.txt").get_header("Authorization") is None
