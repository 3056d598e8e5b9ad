"""Soak: 20,000 documents, good and bad mixed, through the whole flow; nothing may be lost.

    python benchmarks/soak.py [--docs 20000] [--real N] [--keep DIR]

The input folder holds every distinct real text the throughput benchmark uses (../shared/corpus,
the dev benchmarks, the seeds; about 3,600), then hostile files up to ``--docs``, cycling
through the kinds of issue 7's catalogue: empty, whitespace only, binary, NUL bytes, invalid
UTF-8, Latin-1, cp1252, UTF-16 and UTF-8 with BOM, CRLF and lone CR, only boilerplate, tiny,
Chinese, Japanese, mixed script, very long "words", zero-width and bidi controls, the same
bytes under a second name, files over ``ingest.max_bytes`` (sparse), symlink loops and dangling
links, and odd file names. Text variants are built from paragraphs of the real texts, so many
are real articles in a hostile encoding (processed), others the same article again (duplicate).

Printed: inputs, published documents, quarantine rows by stage, **lost = inputs - published -
quarantined** (must be 0), wall time, documents/s and peak RSS of the run's process and of its
NLP workers. Every input is one directory entry the run lists; the benchmark counts them itself.
"""

from __future__ import annotations

import argparse
import codecs
import collections
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import _peak_mib, distinct_texts  # noqa: E402

DEFAULT_DOCS = 20_000
SEED = 20261122
BOILERPLATE = (
    "Home | News | World | Business | Opinion | Sport",
    "Subscribe to our newsletter",
    "Share this article on Facebook Twitter Email",
    "© 2026 The Daily Example. All rights reserved.",
    "You may also be interested in:",
    "Advertisement",
    "Sign in | Register",
    "Cookie settings",
)
CHINESE = (
    "台湾与日本的安全合作近年来不断加深。双方官员在东京举行会谈，讨论台湾海峡的局势以及"
    "地区稳定问题。分析人士指出，这种合作对东亚的和平具有重要意义。"
)
JAPANESE = (
    "日本と台湾の安全保障協力は近年深まっている。東京で行われた会談では、台湾海峡の情勢と"
    "地域の安定について意見が交わされた。専門家は、この協力が東アジアの平和にとって重要だと"
    "指摘している。"
)
MIXED = (
    "Officials from Москва and Αθήνα met in 東京 with delegates from القاهرة. 🚀 "
    "The talks covered trade, security and the Taiwan Strait, and ended with a joint statement."
)
ZERO_WIDTH_AND_BIDI = "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2069"


def _paragraphs(texts: list[str]) -> list[str]:
    out = []
    for text in texts:
        out.extend(p.strip() for p in text.split("\n\n") if len(p.split()) >= 40)
    return out


class HostileFiles:
    """Writes hostile inputs, one kind after another, built from real paragraphs."""

    def __init__(self, folder: Path, paragraphs: list[str], real: list[Path], max_bytes: int):
        self.folder = folder
        self.paragraphs = paragraphs
        self.real = real
        self.max_bytes = max_bytes
        self.random = random.Random(SEED)
        self.kinds: list[tuple[str, Callable[[Path], None]]] = [
            ("empty", lambda p: p.write_bytes(b"")),
            ("whitespace", lambda p: p.write_bytes(b" \n\t\r\n  \n")),
            ("binary", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + self.random.randbytes(4096))),
            ("nul", lambda p: p.write_bytes(self._article().replace(" ", " \x00", 3).encode())),
            ("invalid-utf8", lambda p: p.write_bytes(self._invalid_utf8())),
            (
                "latin-1",
                lambda p: p.write_bytes(self._article("café Zürich").encode("latin-1", "replace")),
            ),
            (
                "cp1252",
                lambda p: p.write_bytes(self._article("“€5” – naïve").encode("cp1252", "replace")),
            ),
            ("utf-16-bom", lambda p: p.write_bytes(self._article().encode("utf-16"))),
            ("utf-8-bom", lambda p: p.write_bytes(codecs.BOM_UTF8 + self._article().encode())),
            ("crlf", lambda p: p.write_bytes(self._article().replace("\n", "\r\n").encode())),
            ("lone-cr", lambda p: p.write_bytes(self._article().replace("\n", "\r").encode())),
            ("boilerplate", lambda p: p.write_text("\n\n".join(BOILERPLATE), encoding="utf-8")),
            ("tiny", lambda p: p.write_text("Breaking news.", encoding="utf-8")),
            ("chinese", lambda p: p.write_text(CHINESE * 3, encoding="utf-8")),
            ("japanese", lambda p: p.write_text(JAPANESE * 3, encoding="utf-8")),
            ("mixed-script", lambda p: p.write_text(MIXED + "\n\n" + self._article(), "utf-8")),
            ("long-word", lambda p: p.write_text(self._long_word(), encoding="utf-8")),
            ("zero-width-bidi", lambda p: p.write_text(self._zero_width(), encoding="utf-8")),
            ("same-bytes", self._same_bytes),
            ("over-max-bytes", self._oversized),
            ("symlink-loop", self._symlink_loop),
            ("dangling-link", lambda p: p.symlink_to(p.with_name(p.name + ".missing"))),
            ("odd-name", self._odd_name),
        ]
        self.written: collections.Counter[str] = collections.Counter()
        self.number = 0

    def _article(self, extra: str = "") -> str:
        picked = self.random.sample(self.paragraphs, 3)
        title = " ".join(picked[0].split()[:8]).rstrip(".,;:")
        return "\n\n".join([title, *picked[:2], f"{picked[2]} {extra}".strip()]) + "\n"

    def _invalid_utf8(self) -> bytes:
        data = bytearray(self._article().encode())
        for _ in range(5):
            data[self.random.randrange(len(data))] = self.random.randrange(0x80, 0x100)
        return bytes(data)

    def _long_word(self) -> str:
        word = "".join(self.random.choices("abcdefghijklmnopqrstuvwxyz0123456789+/", k=100_000))
        article = self._article().split("\n\n")
        return "\n\n".join([*article[:2], word, *article[2:]])

    def _zero_width(self) -> str:
        text = self._article()
        chars = list(text)
        for _ in range(20):
            chars.insert(self.random.randrange(len(chars)), self.random.choice(ZERO_WIDTH_AND_BIDI))
        return "".join(chars)

    def _same_bytes(self, path: Path) -> None:
        path.write_bytes(self.random.choice(self.real).read_bytes())

    def _oversized(self, path: Path) -> None:
        with path.open("wb") as handle:  # sparse: no disk or time spent on the zeros
            handle.truncate(self.max_bytes + 1)

    def _symlink_loop(self, path: Path) -> None:
        other = path.with_name(path.stem + "-other.txt")
        path.symlink_to(other.name)
        other.symlink_to(path.name)
        self.written["symlink-loop (second link)"] += 1

    def _odd_name(self, path: Path) -> None:
        odd = path.with_name(f"{path.stem} ;$(x) `y` 'q' \"d\" &|<> Zürich – 東京.txt")
        odd.write_text(self._article(), encoding="utf-8")

    def write(self, count: int) -> None:
        for _ in range(count):
            kind, make = self.kinds[self.number % len(self.kinds)]
            make(self.folder / f"h{self.number:05d}-{kind}.txt")
            self.written[kind] += 1
            self.number += 1


def build_inputs(
    folder: Path, docs: int, real_docs: int | None, max_bytes: int
) -> tuple[int, collections.Counter]:
    """Real texts (links) plus hostile files up to ``docs`` entries; returns the entry count."""
    folder.mkdir(parents=True)
    real = distinct_texts()[: min(docs, real_docs) if real_docs is not None else docs]
    for number, path in enumerate(real):
        (folder / f"r{number:05d}_{path.name}").symlink_to(path.resolve())
    texts = [p.read_bytes().decode("utf-8", "replace") for p in real[:500]]
    hostile = HostileFiles(folder, _paragraphs(texts), real, max_bytes)
    # A symlink loop is two entries: stop one short rather than overshoot.
    while len(real) + hostile.number + hostile.written["symlink-loop (second link)"] < docs:
        hostile.write(1)
    entries = sum(1 for _ in folder.iterdir())
    return entries, hostile.written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS)
    parser.add_argument("--real", type=int, help="at most this many real texts (default: all)")
    parser.add_argument("--keep", type=Path, help="build and keep the run here (else a temp dir)")
    args = parser.parse_args(argv)

    from flows.config import IngestSettings

    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        corpus, output = base / "inputs", base / "out"
        entries, kinds = build_inputs(corpus, args.docs, args.real, IngestSettings().max_bytes)
        print(f"{entries:,} inputs: {entries - sum(kinds.values()):,} real texts, hostile kinds:")
        print("  " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())))

        from flows.pipeline import run

        started = time.perf_counter()
        summary = run(input=str(corpus), output=str(output))
        wall = time.perf_counter() - started

        import pyarrow.parquet as pq

        documents = pq.read_table(output / "latest" / "documents").num_rows
        quarantine = pq.read_table(output / "latest" / "quarantine", columns=["stage"])
        stages = collections.Counter(quarantine.column("stage").to_pylist())
        lost = entries - documents - quarantine.num_rows
        own, workers = _peak_mib()
        print(
            f"published {documents:,}, quarantined {quarantine.num_rows:,} "
            f"({', '.join(f'{s} {n:,}' for s, n in stages.most_common())}); "
            f"lost {lost} (inputs - published - quarantined)"
        )
        print(
            f"run reported {summary.documents_in:,} inputs; validation: {summary.validation}; "
            f"published snapshot: {summary.published}"
        )
        print(
            f"wall {wall:,.1f} s, {entries / wall:,.1f} inputs/s; peak RSS {own:,.0f} MiB "
            f"(NLP workers {workers:,.0f} MiB)"
        )
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
