"""The reader's small learned models and their thresholds.

Over named features (``app.reader.evidence``): a logistic regression for how likely a sentence
is to hold the answer, and a softmax over one question's sentences that orders them (``order``);
a logistic regression for how likely a candidate span is the answer, each judged alone
(used where several answers may stand together: lists across articles, the closest quote); and
a softmax over one question's candidates and "none of them" (``Listwise``), which decides the
single answer: a candidate's share is the probability that it, and not one of its rivals nor
nothing, is the answer, so two near-equal rivals halve each other's share. Their weights are
fitted by ``python -m eval.fit_reader`` on training splits only and ship as
``data/weights.json``; a feature the file does not know weighs nothing, so old weights keep
working while features are added. ``fit`` is plain Newton's method with an L2 penalty: the data
are a few thousand rows and sixty columns, not worth a dependency; ``fit_listwise`` uses SciPy's
L-BFGS (the fitting tool's dependency only; answering needs numpy). (Tried and not kept, see
``eval.fit_reader``: boosted trees, and a third model for the answer-or-not decision.)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

import numpy as np


@dataclass
class Logistic:
    names: list[str]
    weights: list[float]
    bias: float = 0.0
    mean: list[float] = field(default_factory=list)  # standardisation fitted with the weights
    scale: list[float] = field(default_factory=list)

    def logit(self, feats: dict[str, float]) -> float:
        z = self.bias
        for i, (n, w) in enumerate(zip(self.names, self.weights)):
            x = feats.get(n, 0.0)
            if self.mean:
                x = (x - self.mean[i]) / self.scale[i]
            z += w * x
        return z

    def prob(self, feats: dict[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, self.logit(feats)))))

    def to_json(self) -> dict:
        return {"names": self.names, "weights": [round(w, 5) for w in self.weights], "bias": round(self.bias, 5),
                "mean": [round(m, 5) for m in self.mean], "scale": [round(s, 5) for s in self.scale]}


    def logits(self, rows: list[dict[str, float]]) -> np.ndarray:
        return np.array([self.logit(r) for r in rows], dtype=float)

    def probs(self, rows: list[dict[str, float]]) -> list[float]:
        return [self.prob(r) for r in rows]


@dataclass
class Listwise:
    """Scores over one question's candidates, turned into shares by a softmax that also holds
    "none of them" (scored ``null``): the shares of a question's candidates sum to less than 1."""

    names: list[str]
    weights: list[float]
    null: float = 0.0
    mean: list[float] = field(default_factory=list)
    scale: list[float] = field(default_factory=list)

    def scores(self, rows: list[dict[str, float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        x = np.array([[r.get(n, 0.0) for n in self.names] for r in rows], dtype=float)
        if self.mean:
            x = (x - np.array(self.mean)) / np.array(self.scale)
        return x @ np.array(self.weights, dtype=float)

    def shares(self, rows: list[dict[str, float]]) -> list[float]:
        """Each row's probability of being the answer, the rows being all of one question's candidates."""
        s = self.scores(rows)
        if not len(s):
            return []
        top = max(float(s.max()), self.null)
        e = np.exp(s - top)
        return (e / (e.sum() + math.exp(self.null - top))).tolist()

    def to_json(self) -> dict:
        return {"names": self.names, "weights": [round(w, 5) for w in self.weights], "null": round(self.null, 5),
                "mean": [round(m, 5) for m in self.mean], "scale": [round(s, 5) for s in self.scale]}


@dataclass
class ReaderModel:
    sentence: Logistic
    span: Logistic
    answer_threshold: float = 0.5  # a candidate at least this likely is given as the short answer
    answer_threshold_en: float | None = None  # the same for English questions (None: the same bar)
    closest_threshold: float = 0.3  # a sentence at least this likely is quoted as the closest the articles come
    meta: dict = field(default_factory=dict)
    choice: Listwise | None = None  # the single answer's model (None: ``span`` with ``confidence`` decides)
    choice_threshold: float = 0.5  # a single answer (or one list) whose share is at least this is given
    choice_threshold_en: float | None = None
    # the order of a question's sentences (None: by ``sentence``): a softmax over them, fitted to
    # put an answer's sentence first rather than to judge each alone (``sentence`` still says how
    # likely the one put first is to hold it)
    order: Listwise | None = None

    def to_json(self) -> dict:
        out = {"sentence": self.sentence.to_json(), "span": self.span.to_json(),
               "answer_threshold": self.answer_threshold, "answer_threshold_en": self.answer_threshold_en,
               "closest_threshold": self.closest_threshold}
        if self.choice is not None:
            out |= {"choice": self.choice.to_json(), "choice_threshold": self.choice_threshold,
                    "choice_threshold_en": self.choice_threshold_en}
        if self.order is not None:
            out |= {"order": self.order.to_json()}
        return out | {"meta": self.meta}

    def bar(self, language: str) -> float:
        """The answer threshold for questions in ``language`` (candidates judged alone)."""
        if language == "en" and self.answer_threshold_en is not None:
            return self.answer_threshold_en
        return self.answer_threshold

    def choice_bar(self, language: str) -> float:
        """The share a single answer needs, for questions in ``language``."""
        if language == "en" and self.choice_threshold_en is not None:
            return self.choice_threshold_en
        return self.choice_threshold


VALUES = frozenset({"amount", "date", "score"})  # kinds whose different values exclude each other


def confidence(ranked: list[tuple[float, str, str]]) -> float:
    """How sure the best of ``ranked`` (probability, kind, folded text; most likely first) is.
    Two different amounts (dates, scores) cannot both answer one question: if one of the two is
    the answer, the best is it with probability p1 / (p1 + p2), so "3.400 tỷ đồng" at 0.89 beside
    "215 tỷ đồng" at 0.88 is a coin toss, not a sure answer. People and names may be listed
    together ("A và B đồng chủ trì") and are not rivals."""
    if not ranked:
        return 0.0
    p1, kind, text = ranked[0]
    if kind not in VALUES:
        return p1
    rival = next((p for p, k, t in ranked[1:] if k == kind and t != text and t not in text and text not in t), 0.0)
    return min(p1, p1 / (p1 + rival)) if p1 + rival > 0 else 0.0


def _logistic(d: dict) -> Logistic:
    return Logistic(d["names"], d["weights"], d.get("bias", 0.0), d.get("mean", []), d.get("scale", []))


def _listwise(d: dict | None) -> Listwise | None:
    return Listwise(d["names"], d["weights"], d.get("null", 0.0), d.get("mean", []), d.get("scale", [])) if d else None


def from_json(d: dict) -> ReaderModel:
    return ReaderModel(_logistic(d["sentence"]), _logistic(d["span"]), d.get("answer_threshold", 0.5),
                       d.get("answer_threshold_en"), d.get("closest_threshold", 0.3), d.get("meta", {}),
                       _listwise(d.get("choice")), d.get("choice_threshold", 0.5), d.get("choice_threshold_en"),
                       _listwise(d.get("order")))


@lru_cache(maxsize=1)
def load() -> ReaderModel:
    return from_json(json.loads(files("app.reader").joinpath("data/weights.json").read_text("utf-8")))


def fit(rows: list[dict[str, float]], labels: list[int], names: list[str], l2: float = 1.0,
        weights: list[float] | None = None) -> Logistic:
    """Fit a standardised logistic regression by Newton's method (``weights``: per-row weights)."""
    x = np.array([[r.get(n, 0.0) for n in names] for r in rows], dtype=float)
    y = np.array(labels, dtype=float)
    sw = np.array(weights if weights is not None else [1.0] * len(rows), dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -30, 30)))
        grad = z.T @ (sw * (p - y)) + penalty * w
        hess = (z * (sw * p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Logistic(list(names), w[1:].tolist(), float(w[0]), mean.tolist(), scale.tolist())


def fit_listwise(rows: list[dict[str, float]], labels: list[int], groups: list[int], names: list[str],
                 l2: float = 10.0, weights: list[float] | None = None) -> Listwise:
    """Fit a ``Listwise`` model: ``groups`` says which question each row (candidate) belongs to,
    ``labels`` which rows are the answer (several may be: "A và B"), ``weights`` per row (a
    question weighs the sum of its rows'). A question with answers among its rows adds
    -log(share of its answers); one without, -log(share of "none of them")."""
    from scipy.optimize import minimize

    x = np.array([[r.get(n, 0.0) for n in names] for r in rows], dtype=float)
    y = np.array(labels, dtype=bool)
    ids = {g: k for k, g in enumerate(dict.fromkeys(groups))}
    g = np.array([ids[v] for v in groups], dtype=int)
    n_groups = len(ids)
    rw = np.array(weights if weights is not None else [1.0] * len(rows), dtype=float)
    qw = np.bincount(g, rw, n_groups)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    answered = np.bincount(g, y.astype(float), n_groups) > 0
    d = z.shape[1]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, null = theta[:d], theta[d]
        s = z @ w
        top = max(float(s.max()), null)
        e = np.exp(s - top)
        e_null = math.exp(null - top)
        den = e_null + np.bincount(g, e, n_groups)
        num = np.where(answered, np.bincount(g, e * y, n_groups), e_null)
        value = -(qw * (np.log(num) - np.log(den))).sum() + 0.5 * l2 * (w @ w)
        share = e / den[g]
        share_of_answers = np.where(y & answered[g], e / num[g], 0.0)
        grad_w = z.T @ (qw[g] * (share - share_of_answers)) + l2 * w
        grad_null = (qw * (e_null / den - (~answered))).sum()
        return float(value), np.concatenate([grad_w, [grad_null]])

    res = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    return Listwise(list(names), res.x[:d].tolist(), float(res.x[d]), mean.tolist(), scale.tolist())
