"""SQuAD-format data for the public benchmark: loading, sampling, and the official EM / F1.

XQuAD ships one file per language with the same question ids, so English questions can be
asked over the Vietnamese paragraphs and scored against the Vietnamese answers: a file named
``<name>.vi.json`` picks up ``<name>.en.json`` beside it as a cross-lingual question set.
"""

from __future__ import annotations

import json
import random
import re
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import BadInput


@dataclass
class Paragraph:
    pid: str  # "<article index>-<paragraph index>"
    title: str
    context: str


@dataclass
class Question:
    qid: str
    pid: str
    question: str
    answers: list[str]  # gold answers in the paragraphs' language
    language: str  # language of the question text


def _read(path: Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        articles = data["data"]
        for a in articles:
            for p in a["paragraphs"]:
                p["context"], p["qas"]  # noqa: B018 - shape check
    except FileNotFoundError as e:
        raise BadInput(f"SQuAD file not found: {path}") from e
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise BadInput(f"{path} is not SQuAD-format JSON ({type(e).__name__}: {e})") from e
    return articles


def companion(path: Path) -> Path | None:
    """``xquad.vi.json`` -> ``xquad.en.json`` when it exists (same ids, English questions)."""
    m = re.match(r"(.*)\.([a-z]{2})\.json$", path.name)
    if not m or m.group(2) == "en":
        return None
    other = path.with_name(f"{m.group(1)}.en.json")
    return other if other.is_file() else None


def language_of(path: Path) -> str:
    m = re.match(r".*\.([a-z]{2})\.json$", Path(path).name)
    return m.group(1) if m else "vi"


def load_squad(path: Path) -> tuple[list[Paragraph], list[Question]]:
    """Paragraphs and questions of ``path``, plus the English companion's questions if present."""
    path = Path(path)
    articles = _read(path)
    lang = language_of(path)
    paragraphs: list[Paragraph] = []
    questions: list[Question] = []
    gold: dict[str, tuple[str, list[str]]] = {}
    for ai, art in enumerate(articles):
        for pi, p in enumerate(art["paragraphs"]):
            pid = f"{ai:02d}-{pi:02d}"
            paragraphs.append(Paragraph(pid, str(art.get("title", pid)).replace("_", " "), p["context"]))
            for qa in p["qas"]:
                answers = [a["text"] for a in qa.get("answers", []) if a.get("text")]
                if not answers:  # SQuAD 2.0 unanswerables are out of scope here
                    continue
                gold[qa["id"]] = (pid, answers)
                questions.append(Question(qa["id"], pid, qa["question"], answers, lang))
    other = companion(path)
    if other is not None:
        for art in _read(other):
            for p in art["paragraphs"]:
                for qa in p["qas"]:
                    if qa["id"] in gold:
                        pid, answers = gold[qa["id"]]
                        questions.append(Question(qa["id"], pid, qa["question"], answers, "en"))
    if not paragraphs or not questions:
        raise BadInput(f"{path}: no paragraphs with answerable questions")
    return paragraphs, questions


SPLITS = ("all", "train", "test")


def article_of(pid: str) -> int:
    """The article index (file order) of a paragraph id ``"AA-PP"``."""
    return int(pid.split("-", 1)[0])


def split_questions(questions: list[Question], paragraphs: list[Paragraph], split: str) -> list[Question]:
    """The questions of one split, by article in file order: ``train`` = the first half of the
    articles (XQuAD: 0-23), ``test`` = the rest (XQuAD: 24-47), ``all`` = every question."""
    if split not in SPLITS:
        raise BadInput(f"unknown split {split!r}: choose from {', '.join(SPLITS)}")
    if split == "all":
        return questions
    half = train_articles(paragraphs)
    return [q for q in questions if (article_of(q.pid) < half) == (split == "train")]


def train_articles(paragraphs: list[Paragraph]) -> int:
    """How many articles (from the first, in file order) make the training half."""
    return (len({article_of(p.pid) for p in paragraphs}) + 1) // 2


def sample(questions: list[Question], limit: int | None, seed: int = 0) -> list[Question]:
    """At most ``limit`` questions per language, the same ids in every language (fixed seed)."""
    if not limit:
        return questions
    ids = sorted({q.qid for q in questions})
    keep = set(random.Random(seed).sample(ids, min(limit, len(ids))))
    return [q for q in questions if q.qid in keep]


def sample_paragraphs(paragraphs: list[Paragraph], questions: list[Question], limit: int | None,
                      seed: int = 0) -> tuple[list[Paragraph], list[Question]]:
    """At most ``limit`` paragraphs (fixed seed) and only their questions: a small, fast corpus."""
    if not limit or limit >= len(paragraphs):
        return paragraphs, questions
    keep = set(random.Random(seed).sample([p.pid for p in paragraphs], limit))
    return [p for p in paragraphs if p.pid in keep], [q for q in questions if q.pid in keep]


# -- the official SQuAD v1.1 scoring, with English article removal only for English text ----
_PUNCT = set(string.punctuation) | {"“", "”", "‘", "’", "–", "—", "…", "«", "»"}


def normalize_answer(s: str, lang: str = "vi") -> str:
    s = unicodedata.normalize("NFC", s).lower()
    s = "".join(ch for ch in s if ch not in _PUNCT)
    if lang == "en":
        s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def f1_score(prediction: str, truth: str, lang: str = "vi") -> float:
    pred, gold = normalize_answer(prediction, lang).split(), normalize_answer(truth, lang).split()
    common = Counter(pred) & Counter(gold)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, truth: str, lang: str = "vi") -> float:
    return float(normalize_answer(prediction, lang) == normalize_answer(truth, lang))


def best(metric, prediction: str, truths: list[str], lang: str = "vi") -> float:
    return max(metric(prediction, t, lang) for t in truths)
