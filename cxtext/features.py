"""Feature extraction for the models. Every function here is module-level so that fitted
pipelines pickle (a lambda or closure in a fitted pipeline breaks joblib.dump)."""

from __future__ import annotations

import re
from functools import partial
from itertools import repeat
from typing import NamedTuple, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

try:  # what sklearn's own _count_vocab returns through (csr_matrix or csr_array, per config)
    from sklearn.utils._sparse import _align_api_if_sparse
except ImportError:  # pragma: no cover - older scikit-learn returns csr_matrix
    def _align_api_if_sparse(matrix):
        return matrix

from .lexicon import NEGATED_IS_NEGATIVE, NEGATIVE, POSITIVE
from .normalize import normalize_comment
from .tokens import CONTRAST, MARKERS, NEG, SENTENCE_END


class MappedTfidfVectorizer(TfidfVectorizer):
    """TfidfVectorizer whose transform maps all features of a batch to columns in one pass of
    ``map(dict.get)``, instead of sklearn's per-feature Python loop (half of all scoring time).
    Fitting is sklearn's own; the transformed matrix is identical."""

    def _count_vocab(self, raw_documents, fixed_vocab):
        if not fixed_vocab:
            return super()._count_vocab(raw_documents, fixed_vocab)
        vocabulary = self.vocabulary_
        analyze = self.build_analyzer()
        features: list[str] = []
        lengths: list[int] = []
        for doc in raw_documents:
            doc_features = analyze(doc)
            features.extend(doc_features)
            lengths.append(len(doc_features))
        columns = np.fromiter(map(vocabulary.get, features, repeat(-1)), dtype=np.int64, count=len(features))
        rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        known = columns >= 0
        counts = sp.csr_matrix((np.ones(int(known.sum()), dtype=self.dtype), (rows[known], columns[known])),
                               shape=(len(lengths), len(vocabulary)))  # duplicates are summed
        counts.sort_indices()
        return vocabulary, _align_api_if_sparse(counts)

    # joblib loads with the pure-Python unpickler, which took seconds over the vocabularies'
    # hundreds of thousands of small strings. Stored as one string of terms in column order,
    # a vocabulary unpickles as a single object and is rebuilt by dict(zip(...)) in C.
    _TERM_SEPARATOR = "\x00"

    def __getstate__(self):
        state = super().__getstate__()
        vocabulary = state.get("vocabulary_")
        if isinstance(vocabulary, dict):
            terms = sorted(vocabulary, key=vocabulary.__getitem__)
            packed = self._TERM_SEPARATOR.join(terms)
            if len(terms) == len(vocabulary) and packed.count(self._TERM_SEPARATOR) == max(len(terms) - 1, 0) \
                    and [vocabulary[t] for t in terms] == list(range(len(terms))) and all(terms):
                state = dict(state)
                state["vocabulary_"] = None
                state["_packed_vocabulary"] = packed
        return state

    def __setstate__(self, state):
        state = dict(state)
        packed = state.pop("_packed_vocabulary", None)
        if packed is not None:
            terms = packed.split(self._TERM_SEPARATOR) if packed else []
            state["vocabulary_"] = dict(zip(terms, range(len(terms))))
        super().__setstate__(state)


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


def _plain_lemmas(tokens: Sequence[str]) -> str:
    return "".join(t[: -len(NEG)] if t.endswith(NEG) else t for t in tokens if t not in MARKERS)


class ThemeCues(BaseEstimator, TransformerMixin):
    """One feature per theme: how many of the theme's keywords (taxonomy.csv) occur in the
    text or in its lemma string (so 高かった matches 高い). A keyword never seen in the labelled
    data still pushes toward its theme, and an analyst can seed a new theme with keywords."""

    def __init__(self, cues: tuple[tuple[str, tuple[str, ...]], ...] = (), weight: float = 0.5):
        self.cues = cues
        self.weight = weight

    def fit(self, docs, y=None):
        self.cue_sets_ = [tuple(sorted({normalize_comment(c) for c in words if c.strip()})) for _, words in self.cues]
        return self

    def _patterns(self) -> list[re.Pattern | None]:
        # Compiled lazily and not pickled: one alternation per theme scans a text in C,
        # where testing each keyword with `in` cost a sixth of all scoring time.
        patterns = self.__dict__.get("_compiled")
        if patterns is None:
            patterns = [re.compile("|".join(map(re.escape, sorted(cues, key=len, reverse=True)))) if cues else None
                        for cues in self.cue_sets_]
            self._compiled = patterns
        return patterns

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_compiled"}

    def transform(self, docs):
        patterns = self._patterns()
        rows = []
        for doc in docs:
            lemmas = _plain_lemmas(doc.tokens)
            rows.append([len(set(p.findall(doc.text)) | set(p.findall(lemmas))) if p is not None else 0
                         for p in patterns])
        counts = np.asarray(rows, dtype=float).reshape(len(rows), len(patterns))
        return sp.csr_matrix(np.log1p(counts) * self.weight)

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"cue:{theme}" for theme, _ in self.cues], dtype=object)


# A polar noun followed by a negated light verb is itself negated: 満足できない, 安心しない.
_LIGHT_VERBS_NEGATED = frozenset(f"{v}{NEG}" for v in ("出来る", "為る", "得る"))


def polarity_counts(tokens: Sequence[str]) -> tuple[int, int]:
    """(positive, negative) lexicon hits, with negation flipping the word (悪い+NEG is positive)."""
    pos = neg = 0
    tokens = list(tokens)
    skip_next = False
    for i, tok in enumerate(tokens):
        if skip_next:
            skip_next = False
            continue
        negated = tok.endswith(NEG)
        word = tok[: -len(NEG)] if negated else tok
        if not negated and i + 1 < len(tokens) and tokens[i + 1] in _LIGHT_VERBS_NEGATED and (word in POSITIVE or word in NEGATIVE):
            negated, skip_next = True, True
        if negated:
            if word in POSITIVE or word in NEGATED_IS_NEGATIVE:
                neg += 1
            elif word in NEGATIVE:
                pos += 1
        elif word in POSITIVE:
            pos += 1
        elif word in NEGATIVE:
            neg += 1
    return pos, neg


class LexiconPolarity(BaseEstimator, TransformerMixin):
    """Polarity-lexicon counts over the whole comment and over its last clause (after けど etc.)."""

    FEATURES = ("pos", "neg", "last_pos", "last_neg", "more_pos", "more_neg", "no_polar_word")

    def __init__(self, weight: float = 0.5):
        self.weight = weight

    def fit(self, docs, y=None):
        return self

    def transform(self, docs):
        rows = []
        for doc in docs:
            clauses = split_clauses(doc.tokens)
            pos, neg = polarity_counts(doc.tokens)
            last_pos, last_neg = polarity_counts(clauses[-1]) if clauses else (0, 0)
            rows.append([np.log1p(pos), np.log1p(neg), np.log1p(last_pos), np.log1p(last_neg),
                         float(pos > neg), float(neg > pos), float(pos == neg == 0)])
        return sp.csr_matrix(np.asarray(rows, dtype=float).reshape(len(rows), 7) * self.weight)

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"lexicon:{f}" for f in self.FEATURES], dtype=object)


def build_vectorizer(kind: str, cues: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> FeatureUnion:
    """kind: 'theme' or 'sentiment'. Word TF-IDF over our tokens plus character n-grams, plus
    taxonomy keyword cues (themes) or the polarity lexicon (sentiment)."""
    words = theme_word_features if kind == "theme" else sentiment_word_features
    parts = [
        ("words", MappedTfidfVectorizer(analyzer=words, sublinear_tf=True, min_df=1, lowercase=False)),
        ("chars", MappedTfidfVectorizer(analyzer=partial(char_ngrams, low=2, high=3), sublinear_tf=True,
                                  min_df=2, lowercase=False)),
    ]
    if kind == "theme":
        if cues:
            parts.append(("cues", ThemeCues(cues)))
    else:
        parts.append(("lexicon", LexiconPolarity()))
    return FeatureUnion(parts)
