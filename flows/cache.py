"""Result cache: a document whose bytes, code, models and settings are unchanged is not redone.

Owns the on-disk cache of per-document results (the cleaned document with its segments, and
the document's entities and keyphrases before corpus-level merging). An entry's key is the
SHA-256 of the document's raw bytes combined with the *pipeline fingerprint*: a hash of every
source, model and data file of the ``flows`` package, the spaCy model's name and version, and
the settings that change results (normalize, cleaning, nlp). Change any of them and every entry
misses; nothing needs invalidating by hand.

Entries are small JSON files (``<cache>/<key[:2]>/<key>.json``) written to a temporary name and
renamed into place, so concurrent workers and a crash never leave a torn entry; an unreadable
entry counts as a miss. Quarantined documents are not cached (they are cheap to redo and their
reason may depend on the rest of the run). The cache is not pruned automatically; deleting the
folder is always safe.

The same folder holds the *validation memo* (``<cache>/validation``, used by
:mod:`flows.validate`): a suite part's Great Expectations result for exactly the same tables,
suite part and code, so a re-run on an unchanged corpus does not validate again. Both are
:class:`JsonStore` s: content-addressed, atomic JSON entries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flows
from flows.config import Settings
from flows.records import CleanedDocument, Entity, Keyphrase, Segment

# Bumped when the entry layout below changes.
CACHE_FORMAT = 1
PACKAGE_DIR = Path(flows.__file__).resolve().parent
# Files whose content decides results: code, shipped models, data tables.
FINGERPRINT_SUFFIXES: tuple[str, ...] = (".py", ".json", ".txt", ".joblib")
# Settings sections that change a document's results (run and quality do not: quality only
# decides publication, and it runs on cached documents too).
RESULT_SECTIONS: tuple[str, ...] = ("normalize", "cleaning", "nlp")
# Folder under the output root that holds the cache by default.
CACHE_DIR_NAME = "cache"
# Folder under the cache root that holds the validation memo.
VALIDATION_MEMO_DIR = "validation"


@dataclass(frozen=True, slots=True)
class CachedResult:
    """What the pipeline computed for one document."""

    cleaned: CleanedDocument
    entities: list[Entity]
    keyphrases: list[Keyphrase]


@functools.lru_cache(maxsize=1)
def package_digest() -> str:
    """Hash of every source, model and data file of the ``flows`` package."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if (
            path.is_file()
            and path.suffix in FINGERPRINT_SUFFIXES
            and "__pycache__" not in path.parts
        ):
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _spacy_model_id(model_name: str) -> str:
    """Name and version of the installed spaCy model, read from its metadata (no load)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return f"{model_name}=={version(model_name.replace('_', '-'))}"
    except (ImportError, PackageNotFoundError, ValueError):
        return model_name


def pipeline_fingerprint(settings: Settings) -> str:
    """Hash of everything besides a document's bytes that decides its results."""
    parts = {
        "format": CACHE_FORMAT,
        "version": flows.__version__,
        "package": package_digest(),
        "model": _spacy_model_id(settings.nlp.spacy_model),
        "settings": {name: dataclasses.asdict(getattr(settings, name)) for name in RESULT_SECTIONS},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _encode(result: CachedResult) -> dict[str, Any]:
    c = result.cleaned
    return {
        "text": c.text,
        "title": c.title,
        "authors": list(c.authors),
        "published": c.published.isoformat() if c.published else None,
        "publisher": c.publisher,
        "language": c.language,
        "segments": [[s.seq, s.start, s.end, s.kind, s.kept, s.reason, s.text] for s in c.segments],
        "entities": [[e.start, e.end, e.text, e.label, e.canonical] for e in result.entities],
        "keyphrases": [[k.phrase, k.score, k.rank] for k in result.keyphrases],
    }


def _decode(data: dict[str, Any]) -> CachedResult:
    cleaned = CleanedDocument(
        text=data["text"],
        title=data["title"],
        authors=list(data["authors"]),
        published=dt.date.fromisoformat(data["published"]) if data["published"] else None,
        publisher=data["publisher"],
        segments=[Segment(*row) for row in data["segments"]],
        language=data["language"],
    )
    return CachedResult(
        cleaned=cleaned,
        entities=[Entity(*row) for row in data["entities"]],
        keyphrases=[Keyphrase(*row) for row in data["keyphrases"]],
    )


def cache_root(settings: Settings) -> Path | None:
    """The run's cache folder (``run.cache_dir``, else ``<output>/cache``), or None when the
    cache is off or the output is remote (no local folder to cache in)."""
    if not settings.run.cache:
        return None
    if settings.run.cache_dir:
        return Path(settings.run.cache_dir)
    output = settings.run.output
    if "://" in output and not output.startswith("file://"):
        return None
    return Path(output.removeprefix("file://")) / CACHE_DIR_NAME


def result_entry_count(root: Path) -> int:
    """How many per-document entries ``root`` holds (any fingerprint); 0 when there is none.

    Listing only, no reading: a run uses it to guess whether it has new documents to analyse.
    """
    count = 0
    try:
        shards = [e for e in os.scandir(root) if e.is_dir() and len(e.name) == 2]
    except OSError:
        return 0
    for shard in shards:
        try:
            count += sum(1 for e in os.scandir(shard.path) if e.name.endswith(".json"))
        except OSError:
            continue
    return count


class JsonStore:
    """JSON values under ``root``, one file per key (a hex digest): ``<key[:2]>/<key>.json``.

    Writes go to a temporary name and are renamed into place, so concurrent writers and a crash
    never leave a torn entry; an unreadable entry reads as missing. Failing to write is not
    fatal: it costs speed next time, not correctness.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Any | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: Any) -> None:
        path = self._path(key)
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(value, handle, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except (OSError, TypeError, ValueError):
            # A read-only or full disk (or a value JSON cannot hold) is a miss next time.
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)


class ResultCache:
    """Per-document results under ``root``, for one pipeline fingerprint."""

    def __init__(self, root: Path, fingerprint: str) -> None:
        self.root = root
        self.fingerprint = fingerprint
        self._store = JsonStore(root)

    @classmethod
    def for_settings(cls, settings: Settings) -> ResultCache | None:
        """The run's cache (see :func:`cache_root`), or None when off."""
        root = cache_root(settings)
        return None if root is None else cls(root, pipeline_fingerprint(settings))

    def _key(self, sha256: str) -> str:
        return hashlib.sha256(f"{self.fingerprint}:{sha256}".encode()).hexdigest()

    def get(self, sha256: str) -> CachedResult | None:
        """The cached result of the document with these raw bytes, or None."""
        data = self._store.get(self._key(sha256))
        if data is None:
            return None
        try:
            return _decode(data)
        except (ValueError, KeyError, TypeError):
            return None  # an entry of another layout: recompute

    def put(self, sha256: str, result: CachedResult) -> None:
        """Store atomically; a failure to write is not fatal."""
        self._store.put(self._key(sha256), _encode(result))
