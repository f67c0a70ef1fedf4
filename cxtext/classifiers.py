"""The model bundle: one tokenizer feeding a theme model, an overall sentiment model and a
per-theme polarity model. Everything that scores text (the nightly run, evaluate, train's
test-split check) goes through ModelBundle.predict, so training and scoring tokenize alike.

The import path ``cxtext.classifiers.ModelBundle`` is part of every shipped model pickle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .features import Doc, split_clauses
from .normalize import normalize_comment
from .taxonomy import Taxonomy
from .tokens import JapaneseTokenizer

ProgressCallback = Callable[[int], None]


def theme_contexts(doc: Doc, themes: Sequence[str], clause_probs: np.ndarray | None, theme_ids: Sequence[str]) -> dict[str, Doc]:
    """For each theme of a comment, the clauses that talk about it.

    A clause goes to the theme (among the comment's themes) that the theme model finds most
    likely in it; a theme that wins no clause gets the clause where it is most likely. With
    one clause, or one theme, the context is the whole comment.
    """
    clauses = split_clauses(doc.tokens)
    if len(themes) == 0:
        return {}
    if len(clauses) <= 1 or clause_probs is None:
        return {t: doc._replace(theme=t) for t in themes}
    cols = [theme_ids.index(t) for t in themes]
    sub = clause_probs[:, cols]  # clauses × comment themes
    winners = sub.argmax(axis=1)
    contexts = {}
    for k, theme in enumerate(themes):
        chosen = [i for i in range(len(clauses)) if winners[i] == k]
        if not chosen:
            chosen = [int(sub[:, k].argmax())]
        tokens = tuple(tok for i in chosen for tok in clauses[i])
        contexts[theme] = Doc(doc.text, tokens, theme)
    return contexts


def clause_docs(doc: Doc) -> list[Doc]:
    return [Doc("".join(c), c) for c in split_clauses(doc.tokens)]


@dataclass
class ModelBundle:
    name: str
    version: str
    taxonomy: Taxonomy
    tokenizer: JapaneseTokenizer
    theme_model: Any  # Pipeline: vectorizer + OneVsRest(LogisticRegression); None if untrained
    theme_thresholds: np.ndarray | None
    sentiment_model: Any  # Pipeline: vectorizer + LogisticRegression; None if untrained
    polarity_model: Any  # Pipeline for per-theme polarity; None falls back to sentiment_model
    max_comment_chars: int = 5000
    info: dict[str, Any] = field(default_factory=dict)
    # A theme's score is the max of the comment's and each clause's probability, so an aspect
    # mentioned in one short clause (…だけど、配送が遅い) is not drowned by the rest.
    clause_pooling: bool = False

    @property
    def theme_ids(self) -> tuple[str, ...]:
        return self.taxonomy.ids

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def analyze(self, texts: Sequence[str]) -> list[Doc]:
        docs = []
        for text in texts:
            norm = normalize_comment(text or "")[: self.max_comment_chars]
            docs.append(Doc(norm, tuple(self.tokenizer(norm))))
        return docs

    def theme_probabilities(self, docs: Sequence[Doc]) -> np.ndarray:
        if self.theme_model is None or not docs:
            return np.zeros((len(docs), len(self.theme_ids)))
        return np.asarray(self.theme_model.predict_proba(list(docs)))

    def theme_scores(self, docs: Sequence[Doc]) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """Theme probabilities per comment (clause-pooled when enabled) and, for comments with
        several clauses, the per-clause probabilities (reused to find each theme's context)."""
        probs = self.theme_probabilities(docs)
        per_clause: list[np.ndarray | None] = [None] * len(docs)
        if not self.clause_pooling or self.theme_model is None:
            return probs, per_clause
        pieces: list[Doc] = []
        spans: dict[int, tuple[int, int]] = {}
        for i, doc in enumerate(docs):
            cds = clause_docs(doc)
            if len(cds) > 1:
                spans[i] = (len(pieces), len(pieces) + len(cds))
                pieces.extend(cds)
        if pieces:
            clause_probs = self.theme_probabilities(pieces)
            probs = probs.copy()
            for i, (a, b) in spans.items():
                per_clause[i] = clause_probs[a:b]
                probs[i] = np.maximum(probs[i], clause_probs[a:b].max(axis=0))
        return probs, per_clause

    def predict(self, texts: Sequence[str], progress: ProgressCallback | None = None, batch_size: int = 2000) -> pd.DataFrame:
        """Score comments. One row per text with: sentiment, sentiment_confidence, themes
        (';'-joined), theme_sentiments ('theme:polarity;…'), and p_<theme> per theme."""
        frames = []
        for start in range(0, len(texts), batch_size):
            batch = list(texts[start : start + batch_size])
            frames.append(self._predict_batch(batch))
            if progress:
                progress(len(batch))
        if not frames:
            return self._predict_batch([])
        return pd.concat(frames, ignore_index=True)

    def _predict_batch(self, texts: list[str]) -> pd.DataFrame:
        docs = self.analyze(texts)
        n = len(docs)
        probs, per_clause = self.theme_scores(docs)
        empty = np.array([len(d.tokens) == 0 for d in docs], dtype=bool)
        if self.theme_thresholds is not None:
            chosen = probs >= self.theme_thresholds[None, :]
        else:
            chosen = np.zeros_like(probs, dtype=bool)
        chosen[empty] = False
        if self.sentiment_model is not None and n:
            sent_probs = np.asarray(self.sentiment_model.predict_proba(list(docs)))
            classes = list(self.sentiment_model.classes_)
            sentiment = [classes[i] for i in sent_probs.argmax(axis=1)]
            confidence = sent_probs.max(axis=1)
        else:
            sentiment, confidence = [""] * n, np.zeros(n)
        sentiment = ["" if e else s for s, e in zip(sentiment, empty)]
        theme_lists = [[self.theme_ids[j] for j in np.flatnonzero(chosen[i])] for i in range(n)]
        polarities = self._theme_polarities(docs, theme_lists, sentiment, per_clause)
        out = pd.DataFrame({
            "sentiment": sentiment,
            "sentiment_confidence": np.round(confidence, 4),
            "themes": [";".join(t) for t in theme_lists],
            "theme_sentiments": [";".join(f"{t}:{p}" for t, p in pol.items()) for pol in polarities],
        })
        for j, theme in enumerate(self.theme_ids):
            out[f"p_{theme}"] = np.round(probs[:, j], 4)
        return out

    def contexts_for(self, docs: Sequence[Doc], theme_lists: Sequence[Sequence[str]],
                     known_clause_probs: Sequence[np.ndarray | None] | None = None) -> list[dict[str, Doc]]:
        """Per comment, the per-theme polarity contexts (used by predict and by training)."""
        known = list(known_clause_probs) if known_clause_probs is not None else [None] * len(docs)
        # Only comments with several themes and several clauses need clause-level probabilities.
        need = [i for i, (d, t) in enumerate(zip(docs, theme_lists))
                if len(t) > 1 and known[i] is None and len(split_clauses(d.tokens)) > 1]
        pieces: list[Doc] = []
        spans: dict[int, tuple[int, int]] = {}
        for i in need:
            cds = clause_docs(docs[i])
            spans[i] = (len(pieces), len(pieces) + len(cds))
            pieces.extend(cds)
        piece_probs = self.theme_probabilities(pieces) if pieces else None
        result = []
        for i, (doc, themes) in enumerate(zip(docs, theme_lists)):
            cp = piece_probs[spans[i][0] : spans[i][1]] if i in spans else known[i]
            result.append(theme_contexts(doc, list(themes), cp, self.theme_ids))
        return result

    def _theme_polarities(self, docs: Sequence[Doc], theme_lists: list[list[str]], sentiment: list[str],
                          clause_probs: Sequence[np.ndarray | None] | None = None) -> list[dict[str, str]]:
        contexts = self.contexts_for(docs, theme_lists, clause_probs)
        flat = [(i, t, c) for i, ctx in enumerate(contexts) for t, c in ctx.items()]
        model = self.polarity_model or self.sentiment_model
        out: list[dict[str, str]] = [dict() for _ in docs]
        if not flat:
            return out
        if model is None:
            for i, t, _ in flat:
                out[i][t] = sentiment[i] or "neutral"
            return out
        labels = model.predict([c for _, _, c in flat])
        for (i, t, _), label in zip(flat, labels):
            out[i][t] = str(label)
        return out
