"""Feature extraction for the models. Every function here is module-level so that fitted
pipelines pickle (a lambda or closure in a fitted pipeline breaks joblib.dump)."""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from .tokens import CONTRAST, MARKERS, NEG, SENTENCE_END


class Doc(NamedTuple):
    """A comment as the models see it: normalized text and its tokens."""

    text: str
    tokens: tuple[str, ...]
    theme: str = ""  # set for per-theme polarity contexts


def split_clauses(tokens: tuple[str, ...] | list[str]) -> list[tuple[str, ...]]:
    """Cut a token list at sentence ends and contrast markers (the marker starts the new clause)."""
    clauses: list[list[str]] = [[]]
    for tok in tokens:
        if tok == SENTENCE_END:
            if clauses[-1]:
                clauses.append([])
        elif tok == CONTRAST:
            if clauses[-1]:
                clauses.append([tok])
            else:
                clauses[-1].append(tok)
        else:
            clauses[-1].append(tok)
    return [tuple(c) for c in clauses if c and c != [CONTRAST]]


def _ngrams(tokens: list[str], out: list[str]) -> None:
    out.extend(tokens)
    out.extend(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))


def theme_word_features(doc: Doc) -> list[str]:
    """Lemma unigrams and bigrams per clause; a negated word also counts as the plain word,
    because a theme is mentioned whether it is praised or criticised."""
    out: list[str] = []
    for clause in split_clauses(doc.tokens):
        words = [t for t in clause if t not in MARKERS]
        _ngrams(words, out)
        out.extend(t[: -len(NEG)] for t in words if t.endswith(NEG))
    return out


def sentiment_word_features(doc: Doc) -> list[str]:
    """Unigrams and bigrams with negation kept; the clause after the last contrast marker is
    repeated with a 末: prefix, because 〜けど, … usually puts the point at the end."""
    out: list[str] = []
    clauses = split_clauses(doc.tokens)
    for clause in clauses:
        _ngrams([t for t in clause if t != SENTENCE_END], out)
    if len(clauses) > 1:
        out.extend("末:" + t for t in clauses[-1] if t not in MARKERS)
        out.append("<複数節>")
    if doc.theme:  # per-theme polarity: the same word can mean opposite things per theme (高い)
        out.extend(f"{doc.theme}:{t}" for t in doc.tokens if t not in MARKERS)
    return out


def char_ngrams(doc: Doc, low: int = 2, high: int = 3) -> list[str]:
    """Character n-grams of the normalized text: robust to typos, unknown words and variants."""
    text = doc.text
    return [text[i : i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1)]


def build_vectorizer(kind: str) -> FeatureUnion:
    """kind: 'theme' or 'sentiment'. Word TF-IDF over our tokens plus character n-grams."""
    words = theme_word_features if kind == "theme" else sentiment_word_features
    return FeatureUnion([
        ("words", TfidfVectorizer(analyzer=words, sublinear_tf=True, min_df=1, lowercase=False)),
        ("chars", TfidfVectorizer(analyzer=partial(char_ngrams, low=2, high=3), sublinear_tf=True,
                                  min_df=2, lowercase=False)),
    ])
