"""Unit tests of the keyphrase extractor (flows/steps/keyphrases.py) beyond the NLP step's own.

Dedupe of case, plural and sub-phrase variants, the shipped model, and bounded cost. The spaCy
model loads once per session (``load_model`` is cached); no test reads ../shared.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from spacy.language import Language

from flows.config import NlpSettings
from flows.steps.keyphrases import (
    ALL_FEATURE_NAMES,
    DOC_FEATURE_NAMES,
    MODEL_PATH,
    CandidateTable,
    candidate_features,
    collect_candidates,
    keyphrases_from_doc,
    load_document_frequencies,
    load_keyphrase_model,
    table_from_doc,
)
from flows.steps.nlp import analyse_batch, load_model

VARIANTS = (
    "Neural networks learn fast. A neural network is trained on images. NEURAL NETWORKS "
    "outperform older neural networks on image recognition. Deep neural networks need data."
)
NESTED = (
    "Independent money managers use web platforms. The platforms help independent money "
    "managers. Advisers pick independent money managers from lists."
)
ARTICLE = (
    "Officials in Lisbon said on Tuesday that the city's new tram line would open next spring. "
    "The tram line, which cost 40 million euros, links the airport with the old town. "
    "Residents complained about noise during construction, but shop owners expect more "
    "visitors. The mayor said the tram line was the biggest transport project in a decade."
)


@pytest.fixture(scope="session")
def nlp() -> Language:
    return load_model(NlpSettings().spacy_model)


def _folded(phrase: str) -> str:
    """Case- and plural-insensitive form, for checking that variants were merged."""
    return " ".join(w.rstrip("s") for w in phrase.casefold().split())


def test_case_and_plural_variants_are_one_keyphrase(nlp: Language) -> None:
    phrases = [k.phrase for k in keyphrases_from_doc(nlp(VARIANTS), 15, 4)]
    folded = [_folded(p) for p in phrases]
    assert len(folded) == len(set(folded)), phrases
    assert "neural network" in folded
    # Running-text case wins over the shouted variant.
    assert all(not p.isupper() for p in phrases if _folded(p) == "neural network")


def test_sub_phrase_without_own_mentions_is_dropped(nlp: Language) -> None:
    phrases = {k.phrase for k in keyphrases_from_doc(nlp(NESTED), 15, 4)}
    assert "independent money managers" in phrases
    # Every "money managers" is inside "independent money managers": a near-duplicate.
    assert "money managers" not in phrases
    assert "independent money" not in phrases


def test_output_is_ranked_and_normalised(nlp: Language) -> None:
    keyphrases = keyphrases_from_doc(nlp(ARTICLE), 10, 4)
    assert 0 < len(keyphrases) <= 10
    assert keyphrases[0].score == 1.0
    scores = [k.score for k in keyphrases]
    assert scores == sorted(scores, reverse=True)
    assert [k.rank for k in keyphrases] == list(range(1, len(keyphrases) + 1))
    phrases = {k.phrase for k in keyphrases}
    assert {"tram line", "Lisbon"} & phrases
    assert "Tuesday" not in phrases


def test_chunked_text_pools_candidates(nlp: Language) -> None:
    """Two chunks collected into one table count like the text parsed whole."""
    first, second = ARTICLE[:120], ARTICLE[120:]
    table = CandidateTable()
    dfs = load_document_frequencies()
    collect_candidates(nlp(first), 0, len(ARTICLE), 4, dfs, table)
    collect_candidates(nlp(second), len(first), len(ARTICLE), 4, dfs, table)
    whole = table_from_doc(nlp(ARTICLE), 4)
    key = ("tram", "line")
    assert table.by_key[key].count == whole.by_key[key].count == 3
    assert 0.0 <= table.by_key[key].first < table.by_key[key].last <= 1.0


def test_feature_rows_match_the_shipped_model(nlp: Language) -> None:
    candidates, features, doc_row = candidate_features(table_from_doc(nlp(ARTICLE), 4))
    assert features.shape == (len(candidates), len(ALL_FEATURE_NAMES))
    assert doc_row.shape == (len(DOC_FEATURE_NAMES),)
    assert np.isfinite(features).all()
    model = load_keyphrase_model()
    probabilities = model.predict_proba(features, doc_row)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert 0.0 <= model.gate(doc_row) <= 1.0
    assert MODEL_PATH.stat().st_size < 2_000_000


def test_genres_route_to_their_experts(nlp: Language) -> None:
    """News leans on the news expert, an abstract on the abstracts expert."""
    model = load_keyphrase_model()
    abstract = (
        "A robust model predictive control algorithm is proposed for linear systems with "
        "polytopic uncertainty. The controller design procedure uses linear matrix "
        "inequalities, and closed-loop stability is guaranteed by an invariant ellipsoid."
    )
    _, _, news_row = candidate_features(table_from_doc(nlp(ARTICLE), 4))
    _, _, abstract_row = candidate_features(table_from_doc(nlp(abstract), 4))
    assert model.names == ("kpcrowd-dev", "inspec-dev")
    assert model.gate(news_row) < model.gate(abstract_row)


def test_empty_inputs() -> None:
    assert analyse_batch([""], NlpSettings())[0][1] == []
    assert analyse_batch(["?! ..."], NlpSettings())[0][1] == []


def test_keyphrase_cost_is_bounded_on_a_long_text(nlp: Language) -> None:
    """Budget: 50 ms for a 2,000-word text on one core; the test allows 4x for CI machines."""
    doc = nlp(" ".join([ARTICLE] * 30))  # about 2,000 words
    keyphrases_from_doc(doc, 10, 4)  # warm the DF table and model caches
    start = time.perf_counter()
    keyphrases = keyphrases_from_doc(doc, 10, 4)
    elapsed_ms = (time.perf_counter() - start) * 1000
    assert len(keyphrases) == 10
    assert elapsed_ms < 200
