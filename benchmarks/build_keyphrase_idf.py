"""Build the document-frequency table that keyphrase scoring uses for IDF.

Owns ``flows/data/keyphrase_df.txt``. The table is built reproducibly from the unlabelled
``shared/corpus`` texts (none of them is a dev or test benchmark document):

    python benchmarks/build_keyphrase_idf.py [--corpus PATH] [--out PATH]

Every distinct text is one document (cutting long theses into abstract-sized windows was tried
and changed dev F1@10 by less than 0.5 either way, so the simpler count stays). Words are
lowercased letter runs (no digits or underscores), the same keys the extractor looks up. Only
words seen in at least ``MIN_DF`` documents are kept (the rest get the unseen-word IDF), which
keeps the file small.

File format: a header line ``# n_docs=<N>`` then ``word<TAB>df`` lines sorted by word.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
DEFAULT_OUT = REPO / "flows" / "data" / "keyphrase_df.txt"

# Words seen in fewer documents are dropped from the file (they get the unseen-word IDF).
MIN_DF = 3
# Keep the shipped table well under its 2 MB budget.
MAX_WORDS = 120_000

_WORD = re.compile(r"[^\W\d_]+")


def build(corpus: Path) -> tuple[int, Counter[str]]:
    """(number of distinct documents, document frequency per word) over every ``*.txt``."""
    df: Counter[str] = Counter()
    seen_texts: set[str] = set()
    for path in sorted(corpus.rglob("*.txt")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest in seen_texts:  # the corpus repeats a few texts across collections
            continue
        seen_texts.add(digest)
        df.update(set(_WORD.findall(text.lower())))
    return len(seen_texts), df


def write(n_docs: int, df: Counter[str], out: Path) -> int:
    # Most frequent first, ties by word, so the cut (and the file) is deterministic.
    frequent = sorted(
        ((w, c) for w, c in df.items() if c >= MIN_DF), key=lambda wc: (-wc[1], wc[0])
    )
    kept = sorted(frequent[:MAX_WORDS])
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# n_docs={n_docs}"] + [f"{w}\t{c}" for w, c in kept]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    n_docs, df = build(args.corpus)
    n_words = write(n_docs, df, args.out)
    size_kb = args.out.stat().st_size / 1024
    print(f"{n_docs} documents, {n_words} words kept -> {args.out} ({size_kb:.0f} KiB)")


if __name__ == "__main__":
    main()
