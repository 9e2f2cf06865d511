"""CI gate: the product on eight question sets, with floors just under today's results.

- The fast gold subset (31 questions on the bundled articles, flagged ``ci``).
- The test split of the multi-topic news set (``eval/datasets/news_test.jsonl``, 85 questions on
  5 articles nobody fitted or tuned on: football, a court case, durian exports, a fire, a
  start-up), on its own index of ``eval/datasets/news/`` (all 15 articles, as distractors).
- The second news set, test only (``eval/datasets/news2_test.jsonl``, 120 questions on 9 articles:
  a flood, dengue, a traffic decree, a marathon, wages, a museum, a bank, a drug seizure, an
  airport), on its own index of ``eval/datasets/news2/``.
- The test split of the third news set (``eval/datasets/news3_test.jsonl``, 63 questions on 4
  articles: a satellite launch, a volleyball final, a ransomware attack, a river fish kill), on its
  own index of ``eval/datasets/news3/`` (all 14 articles).
- The test split of the fourth (``eval/datasets/news4_test.jsonl``, 60 questions on 4 articles: a
  wind farm, youth chess, car sales, a heritage restoration), on its own index of
  ``eval/datasets/news4/``.
- The test split of the fifth (``eval/datasets/news5_test.jsonl``, 60 questions on 4 articles: an
  e-commerce company's results, a karaoke bar fire, a swimming championship, a ca trù festival), on
  its own index of ``eval/datasets/news5/``.
- The test split of the sixth (``eval/datasets/news6_test.jsonl``, 56 questions on 4 articles: a
  fishing boat sinking, a flash flood, a heat wave, a wildlife seizure), on its own index of
  ``eval/datasets/news6/``.
- The test split of the seventh (``eval/datasets/news7_test.jsonl``, 63 questions on 4 articles: a
  tornado and hail, a bank robbery, a new air route, a music festival), on its own index of
  ``eval/datasets/news7/``.

If a change makes answers, refusals, citations or retrieval worse, this fails and lists the
questions that went wrong. Raise the floors when the product improves; lowering them needs a
reason in the commit message. The reader answers in three ways (a short answer; the closest
sentence quoted, which counts as not answering; a refusal): "lenient accuracy" counts a closest
quote as right when it holds the answer (or the question has none), "confidently wrong" is the
share of short answers that are wrong, the worst outcome.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.dataset import load
from eval.runner import run_gold
from eval.systems import System, product_ranking

ROOT = Path(__file__).resolve().parents[1]

# Measured with the fitted reader (app/reader/data/weights.json of this commit) and the judge that
# reads what a reply says, not the sentences it quotes; each floor allows about one more miss than
# that, each ceiling about one more wrong answer.
# 2026-12-03, sixth session's refits (English typing by the earliest asking word, titles, periods'
# ends, ranks): news 0.412 / wrong 0.035, news2 0.425 / lenient 0.850 / wrong 0.033, news3 0.540 /
# 0.016, news4 0.450 / 0.017, news5 0.467 / 0; the five test splits 170 right -> 175, wrong 9 -> 9.
# 2026-12-03, fourth refit (labels as the judge counts; sentences not cut at initials): news 0.400 /
# wrong 0.035, news2 0.408 / lenient 0.842 / wrong 0.033, news3 0.524 / 0.016, news4 0.450 / 0.017, news5
# 0.450 / 0; the five test splits 162 right -> 170, wrong 7 -> 9. news2's lenient floor 0.85 -> 0.83 (one
# closest quote fewer: a short answer instead), accuracy floors raised.
# 2026-12-03, second refit (a reason and the clause holding it are one answer; the cause before "nên"):
# news test split: accuracy 0.376, lenient 0.800, sentence hit 0.787, confidently wrong 0.024, refused 1.0
# news2 (all test): accuracy 0.383, lenient 0.850, sentence hit 0.838, confidently wrong 0.025, refused 1.0
# news3 test split: accuracy 0.524, lenient 0.825, sentence hit 0.821, confidently wrong 0.016, refused 1.0
# news4 test split: accuracy 0.417, lenient 0.833, sentence hit 0.815, confidently wrong 0.017, refused 1.0
# news5 test split: accuracy 0.433, lenient 0.783, sentence hit 0.759, confidently wrong 0, refused 1.0
# news and news2 lost what the first refit of the day had won (0.400 / wrong 0, 0.392 / 0.025: their floors
# went 0.38 -> 0.36, 0.39 -> 0.37, news' wrong ceiling 0.012 -> 0.036: two wrong answers of 85) while news3-5
# and, out of fold, the training splits gained; the five test splits: 161 right -> 162, wrong 5 -> 7.
# 2026-12-03, first refit (an amount's counted noun is its unit; runs stop at "và"): news 0.400 / wrong 0,
# news2 0.392 / 0.025, news3 0.508 / 0.016, news4 0.400 / 0.017, news5 0.400 / 0.
# 2026-12-02, the weights before: gold ci subset accuracy 0.742, lenient 0.968, sentence hit 0.92, wrong 0;
# news 0.376 / wrong 0, news2 0.400 / 0.025, news3 0.492 / 0.016, news4 0.367 / 0.017, news5 0.383 / 0
GOLD_FLOORS = {"accuracy": 0.70, "lenient_accuracy": 0.93, "sentence_hit": 0.89, "unanswerable_refused": 0.83}
GOLD_MAX_CONFIDENTLY_WRONG = 0.04
GOLD_RETRIEVAL_FLOORS = {"article_hit@1": 0.96, "article_hit@5": 0.96, "passage_hit@1": 0.84,
                         "passage_hit@5": 0.92}
NEWS_FLOORS = {"accuracy": 0.40, "lenient_accuracy": 0.80, "sentence_hit": 0.77, "unanswerable_refused": 0.9}
NEWS_MAX_CONFIDENTLY_WRONG = 0.036
NEWS2_FLOORS = {"accuracy": 0.41, "lenient_accuracy": 0.83, "sentence_hit": 0.83, "unanswerable_refused": 0.88}
NEWS2_MAX_CONFIDENTLY_WRONG = 0.034
NEWS3_FLOORS = {"accuracy": 0.52, "lenient_accuracy": 0.81, "sentence_hit": 0.80, "unanswerable_refused": 0.9}
NEWS3_MAX_CONFIDENTLY_WRONG = 0.032
NEWS4_FLOORS = {"accuracy": 0.43, "lenient_accuracy": 0.81, "sentence_hit": 0.79, "unanswerable_refused": 0.9}
NEWS4_MAX_CONFIDENTLY_WRONG = 0.034
NEWS5_FLOORS = {"accuracy": 0.45, "lenient_accuracy": 0.76, "sentence_hit": 0.74, "unanswerable_refused": 0.9}
NEWS5_MAX_CONFIDENTLY_WRONG = 0.017
# news6 (added 2026-12-03, measured with the weights of that day, which were fitted before the set was
# written): accuracy 0.464, lenient 0.857, sentence hit 0.840, confidently wrong 0.018, refused 1.0
NEWS6_FLOORS = {"accuracy": 0.44, "lenient_accuracy": 0.83, "sentence_hit": 0.82, "unanswerable_refused": 0.9}
NEWS6_MAX_CONFIDENTLY_WRONG = 0.036
# news7 (added 2026-12-03, measured with weights fitted before the set was written, and the spans of that
# day: "m3", a time with its day, days of one month): accuracy 0.397, lenient 0.794, sentence hit 0.804,
# confidently wrong 0.048 (3 of 63: above the 3 % target), refused 1.0
NEWS7_FLOORS = {"accuracy": 0.38, "lenient_accuracy": 0.77, "sentence_hit": 0.78, "unanswerable_refused": 0.9}
NEWS7_MAX_CONFIDENTLY_WRONG = 0.064

def _check(res: dict, floors: dict, max_wrong: float) -> dict:
    s = res["summaries"]["hybrid"]
    r = s["reading"]["all"]
    wrong = [f"{o['id']}: {o['question']} -> {o.get('outcome') or ''} {o['answer'][:100]!r}"
             for o in res["outcomes"] if not o["correct"]]
    detail = "\n".join(wrong)
    assert s["errors"] == 0, detail
    print({k: round(r[k], 3) for k in ("accuracy", "lenient_accuracy", "sentence_hit", "confidently_wrong",
                                       "unanswerable_refused")})
    for key, floor in floors.items():
        assert r[key] >= floor, f"{key} {r[key]:.3f} < {floor}; wrong:\n{detail}"
    assert r["confidently_wrong"] <= max_wrong, f"confidently wrong {r['confidently_wrong']:.3f}; wrong:\n{detail}"
    return s


def test_ci_subset_does_not_regress(assistant):
    items = load(ci_only=True)
    product = System("hybrid", assistant, product_ranking(assistant))
    s = _check(run_gold(items, {"hybrid": product}, progress=False), GOLD_FLOORS, GOLD_MAX_CONFIDENTLY_WRONG)
    for key, floor in GOLD_RETRIEVAL_FLOORS.items():
        assert s["retrieval"][key] >= floor, f"{key} {s['retrieval'][key]:.3f} < {floor}"


def _news_assistant(tmp_path_factory, corpus: str):
    from app.factory import build_assistant, ingest_paths, open_store
    from app.settings import Settings

    settings = Settings(home=tmp_path_factory.mktemp(f"{corpus}-gate") / "home")
    store = open_store(settings)
    ingest_paths(settings, [ROOT / "eval" / "datasets" / corpus], store=store)
    return build_assistant(settings, store=store)


def test_news_test_split_does_not_regress(tmp_path_factory):
    assistant = _news_assistant(tmp_path_factory, "news")
    items = load(ROOT / "eval" / "datasets" / "news_test.jsonl")
    product = System("hybrid", assistant, product_ranking(assistant))
    _check(run_gold(items, {"hybrid": product}, progress=False), NEWS_FLOORS, NEWS_MAX_CONFIDENTLY_WRONG)


def test_second_news_set_does_not_regress(tmp_path_factory):
    assistant = _news_assistant(tmp_path_factory, "news2")
    items = load(ROOT / "eval" / "datasets" / "news2_test.jsonl")
    product = System("hybrid", assistant, product_ranking(assistant))
    _check(run_gold(items, {"hybrid": product}, progress=False), NEWS2_FLOORS, NEWS2_MAX_CONFIDENTLY_WRONG)


@pytest.mark.parametrize("corpus, floors, max_wrong", [("news3", NEWS3_FLOORS, NEWS3_MAX_CONFIDENTLY_WRONG),
                                                      ("news4", NEWS4_FLOORS, NEWS4_MAX_CONFIDENTLY_WRONG),
                                                      ("news5", NEWS5_FLOORS, NEWS5_MAX_CONFIDENTLY_WRONG),
                                                      ("news6", NEWS6_FLOORS, NEWS6_MAX_CONFIDENTLY_WRONG),
                                                      ("news7", NEWS7_FLOORS, NEWS7_MAX_CONFIDENTLY_WRONG)])
def test_later_news_sets_do_not_regress(tmp_path_factory, corpus, floors, max_wrong):
    assistant = _news_assistant(tmp_path_factory, corpus)
    items = load(ROOT / "eval" / "datasets" / f"{corpus}_test.jsonl")
    product = System("hybrid", assistant, product_ranking(assistant))
    _check(run_gold(items, {"hybrid": product}, progress=False), floors, max_wrong)
