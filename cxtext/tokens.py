"""Japanese tokenization with fugashi + unidic-lite, keeping what feedback needs.

Output is a list of plain strings:
- content words as lemmas (surface where the dictionary has none: emoji, new words);
- a word under negation carries ``+NEG`` (悪くない → ``悪い+NEG``, 使いません → ``使う+NEG``);
- ``二度と`` is kept as one token; contrast connectives become ``<逆接>`` (けど, が, のに, でも,
  ただ, しかし); sentence ends become ``<文>`` so clauses can be recovered downstream.

The import path ``cxtext.tokens.JapaneseTokenizer`` is part of every shipped model pickle:
moving the class breaks loading them.
"""

from __future__ import annotations

import csv
from typing import Any

from .errors import ModelError

NEG = "+NEG"
CONTRAST = "<逆接>"
SENTENCE_END = "<文>"
MARKERS = frozenset({CONTRAST, SENTENCE_END})

_NEGATOR_LEMMAS = frozenset({"ない", "無い", "ず", "ぬ", "無し"})
_CONTRAST_PARTICLES = frozenset({"けれど", "けれども", "けど", "が", "のに", "ども", "くせに"})
_CONTRAST_CONJUNCTIONS = frozenset({"でも", "然し", "唯", "但し", "だが", "けれど", "けれども", "ですが", "なのに", "だけど", "しかし", "ただ"})
_SENTENCE_PUNCT = frozenset("。．.!?！？…")
_DROP_PUNCT = frozenset("、,，・「」『』()（）[]［］【】〔〕<>＜＞\"'“”‘’:：;；/／")
# Light verbs and auxiliaries that negation looks through to reach the word it negates:
# 対応してくれない → 対応+NEG.
_LIGHT_VERBS = frozenset({"為る", "過ぎる", "呉れる", "居る", "貰う", "頂く", "下さる", "仕舞う", "置く", "有る", "見る", "行く", "来る"})
_FUNCTION_POS = frozenset({"助詞", "助動詞"})


def _pos_and_lemma(feature_raw: str) -> tuple[str, str | None, str | None]:
    """(pos1, pos2, lemma) from a unidic feature string. Splitting the raw string is three
    times cheaper than fugashi's parsed ``node.feature``; a field in quotes (a comma inside
    it) among the first eight takes the csv module."""
    fields = feature_raw.split(",", 8)
    if '"' in feature_raw and any('"' in f for f in fields[:8]):
        fields = next(csv.reader([feature_raw]))
    return (fields[0], fields[1] if len(fields) > 1 else None,
            fields[7] if len(fields) > 7 and fields[7] != "" else None)


def _lemma(surface: str, lemma: str | None) -> str:
    if not lemma or lemma == "*":
        return surface.lower()
    # unidic spells loanword lemmas as 'スタッフ-staff'; the katakana part is the word.
    head, sep, tail = lemma.partition("-")
    if sep and head and tail.isascii():
        return head.lower()
    return lemma.lower()


class JapaneseTokenizer:
    """Callable text → list[str]. Holds only settings; the MeCab tagger is built lazily
    per process, because a fugashi Tagger wraps a C pointer and cannot be pickled."""

    def __init__(self, mark_negation: bool = True, mark_contrast: bool = True):
        self.mark_negation = mark_negation
        self.mark_contrast = mark_contrast

    # sklearn-style parameter access, so the settings appear in model cards.
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"mark_negation": self.mark_negation, "mark_contrast": self.mark_contrast}

    def __repr__(self) -> str:
        return f"JapaneseTokenizer(mark_negation={self.mark_negation}, mark_contrast={self.mark_contrast})"

    def _get_tagger(self):
        tagger = self.__dict__.get("_tagger")
        if tagger is None:
            try:
                import fugashi
                import unidic_lite

                tagger = fugashi.Tagger(f'-d "{unidic_lite.DICDIR}"')
            except (ImportError, RuntimeError) as exc:
                raise ModelError(
                    f"cannot start the fugashi tokenizer with unidic-lite ({exc}); "
                    "reinstall with: pip install 'fugashi>=1.3' 'unidic-lite==1.0.8'"
                ) from None
            self._tagger = tagger
        return tagger

    def __getstate__(self) -> dict[str, Any]:
        # joblib, deepcopy and clone() drop the C object; it is rebuilt on first use.
        return {k: v for k, v in self.__dict__.items() if k != "_tagger"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @staticmethod
    def dictionary_info() -> dict[str, Any]:
        import fugashi
        import unidic_lite

        info = fugashi.Tagger(f'-d "{unidic_lite.DICDIR}"').dictionary_info[0]
        return {"fugashi": fugashi.__version__ if hasattr(fugashi, "__version__") else _dist_version("fugashi"),
                "unidic_lite": _dist_version("unidic-lite"), "dictionary_version": info.get("version")}

    def __call__(self, text: str) -> list[str]:
        if not text:
            return []
        nodes = [(n.surface, _pos_and_lemma(n.feature_raw)) for n in self._get_tagger()(text)]
        out: list[str] = []
        kinds: list[str] = []  # 'c' content, 'f' function word, 'm' marker
        i = 0
        n_nodes = len(nodes)
        while i < n_nodes:
            surface, (pos1, pos2, raw_lemma) = nodes[i]
            lemma = _lemma(surface, raw_lemma)
            # 二度と…ない: the strongest "never again" signal, kept whole.
            if surface == "二" and i + 2 < n_nodes and nodes[i + 1][0] == "度" and nodes[i + 2][0] == "と":
                out.append("二度と"), kinds.append("c")
                i += 3
                continue
            if pos1 == "補助記号" or (pos1 == "記号" and surface in _DROP_PUNCT):
                if surface in _SENTENCE_PUNCT:
                    if surface in "!?！？":
                        out.append("!" if surface in "!！" else "?"), kinds.append("c")
                    if not out or out[-1] != SENTENCE_END:
                        out.append(SENTENCE_END), kinds.append("m")
                elif surface not in _DROP_PUNCT and not surface.isspace():
                    out.append(surface), kinds.append("c")  # emoji, ♪, ★ …
                i += 1
                continue
            if self.mark_contrast and self._is_contrast(nodes, i, out):
                out.append(CONTRAST), kinds.append("m")
                i += 2 if surface in ("で", "の") else 1
                continue
            if self.mark_negation and lemma in _NEGATOR_LEMMAS and pos1 in ("助動詞", "形容詞", "名詞"):
                if self._negate_previous(out, kinds):
                    i += 1
                    continue
                out.append("ない"), kinds.append("c")
                i += 1
                continue
            out.append(lemma)
            is_function = pos1 in _FUNCTION_POS or (pos1 == "接尾辞" and pos2 != "形容詞的") or (
                pos1 == "動詞" and pos2 == "非自立可能" and lemma in _LIGHT_VERBS and kinds and kinds[-1] != "m"
            )
            kinds.append("f" if is_function else "c")
            i += 1
        while out and out[-1] == SENTENCE_END:
            out.pop()
        return out

    @staticmethod
    def _is_contrast(nodes, i: int, out: list[str]) -> bool:
        surface, (pos1, pos2, lemma) = nodes[i]
        lemma = lemma or surface
        at_start = not out or out[-1] in MARKERS
        if pos1 == "助詞" and pos2 == "接続助詞" and (lemma in _CONTRAST_PARTICLES or surface in _CONTRAST_PARTICLES):
            return True
        if pos1 == "接続詞" and (lemma in _CONTRAST_CONJUNCTIONS or surface in _CONTRAST_CONJUNCTIONS):
            return True
        nxt = nodes[i + 1][0] if i + 1 < len(nodes) else None
        # でも at the start of a clause is parsed as で + も.
        if at_start and surface == "で" and nxt == "も":
            return True
        # 〜のに at a clause end is parsed as の + に.
        if surface == "の" and pos2 == "準体助詞" and nxt == "に":
            after = nodes[i + 2][0] if i + 2 < len(nodes) else None
            return after is None or after in _SENTENCE_PUNCT or after in "、,"
        return False

    @staticmethod
    def _negate_previous(out: list[str], kinds: list[str]) -> bool:
        j = len(out) - 1
        while j >= 0 and kinds[j] == "f":
            j -= 1
        if j < 0 or kinds[j] != "c" or out[j] in ("!", "?"):
            return False
        if not out[j].endswith(NEG):
            out[j] += NEG
        else:  # double negation (ないわけではない): the second one cancels
            out[j] = out[j][: -len(NEG)]
        return True


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None
