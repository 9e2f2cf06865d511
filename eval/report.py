"""Reports: results.json (everything), summary.md (the tables), PNG plots, and the console table.

One section per gold set (``results["datasets"]``), each with the systems side by side and the
reading measures per language; then the SQuAD-format benchmark. ``outcomes.png`` shows, for the
product on every set and language, how its replies split into right answers, wrong answers,
closest-sentence replies and refusals.

Plots use matplotlib's Agg backend, imported lazily, so a headless CI box needs no display and
importing ``eval`` stays cheap.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from eval.metrics import OUTCOMES, SLICE_ORDER

PRODUCT = "hybrid"
TARGETS = {  # issue 3's answer-quality targets, checked against the product
    "accuracy (overall)": ("accuracy", 0.90, ">="),
    "refusal accuracy": ("refusal_accuracy", 0.95, ">="),
    "false refusals": ("false_refusal_rate", 0.05, "<="),
    "citation support": ("citation_support", 0.98, ">="),
}
SLICE_TARGET = 0.85  # each of vi, vi_unaccented, en, followup
READING_TARGETS = {  # issue 11's, on every set
    "confidently wrong": ("confidently_wrong", 0.03, "<="),
    "unanswerable / noise refused": ("unanswerable_refused", 0.95, ">="),
}


def default_out_dir(root: Path | None = None) -> Path:
    return (root or Path("reports")) / datetime.now().strftime("%Y%m%d-%H%M%S")


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def _ratio(v: float | None, ref: float | None) -> str:
    if v is None or not ref:
        return "–"
    return f"{v / ref:.2f}×"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


GOLD_COLUMNS = [  # (header, retrieval key)
    ("art. hit@1", "article_hit@1"), ("art. hit@5", "article_hit@5"), ("art. MRR@10", "article_mrr@10"),
    ("pass. hit@1", "passage_hit@1"), ("pass. hit@5", "passage_hit@5"), ("pass. MRR@10", "passage_mrr@10"),
]


def gold_table(summaries: dict[str, dict]) -> list[str]:
    """One row per system; the product's row is the reference for the ratio columns."""
    ref = summaries.get(PRODUCT, {})
    ref_p50 = ref.get("latency_ms", {}).get("total", {}).get("p50")
    header = ["system", "accuracy", "vs product", "refusal acc.", "false refusals", "citation support"]
    header += [h for h, _ in GOLD_COLUMNS] + ["total p50 ms", "vs product", "total p95 ms"]
    rows = []
    for name, s in summaries.items():
        r, lat = s.get("retrieval", {}), s.get("latency_ms", {}).get("total", {})
        rows.append(
            [name, _pct(s["accuracy"]), _ratio(s["accuracy"], ref.get("accuracy")),
             _pct(s["refusal_accuracy"]), _pct(s["false_refusal_rate"]), _pct(s["citation_support"])]
            + [_pct(r.get(k)) for _, k in GOLD_COLUMNS]
            + [_ms(lat.get("p50")), _ratio(lat.get("p50"), ref_p50), _ms(lat.get("p95"))]
        )
    return _table(header, rows)


def slice_table(summaries: dict[str, dict]) -> list[str]:
    slices = [s for s in SLICE_ORDER if any(s in v["per_slice"] for v in summaries.values())]
    slices += sorted({s for v in summaries.values() for s in v["per_slice"]} - set(slices))
    rows = [[name] + [_pct(s["per_slice"].get(sl, {}).get("accuracy")) for sl in slices]
            for name, s in summaries.items()]
    n = next(iter(summaries.values()))["per_slice"] if summaries else {}
    rows.append(["n"] + [str(n.get(sl, {}).get("n", "–")) for sl in slices])
    return _table(["system"] + slices, rows)


def type_table(summaries: dict[str, dict]) -> list[str]:
    types = sorted({t for v in summaries.values() for t in v.get("per_type", {})})
    rows = [[name] + [_pct(s.get("per_type", {}).get(t, {}).get("accuracy")) for t in types]
            for name, s in summaries.items()]
    n = next(iter(summaries.values())).get("per_type", {}) if summaries else {}
    rows.append(["n"] + [str(n.get(t, {}).get("n", "–")) for t in types])
    return _table(["system"] + types, rows)


def latency_table(summaries: dict[str, dict]) -> list[str]:
    stages = [(st, q) for st in ("retrieve", "answer", "total") for q in ("p50", "p95")]
    rows = []
    for name, s in summaries.items():
        lat = s.get("latency_ms", {})
        rows.append([name] + [_ms(lat.get(st, {}).get(q)) for st, q in stages]
                    + [f"{s.get('peak_rss_mb', 0):.0f}"])
    return _table(["system"] + [f"{st} {q}" for st, q in stages] + ["peak RSS MB"], rows)


def _target_row(label: str, got: float | None, want: float, op: str) -> list[str]:
    met = got is not None and (got >= want if op == ">=" else got <= want)
    return [label, f"{op} {100 * want:.0f}%", f"{_pct(got)}%", "yes" if met else "no"]


def targets_table(product: dict) -> list[str]:
    rows = [_target_row(label, product.get(key), want, op) for label, (key, want, op) in TARGETS.items()]
    overall = product.get("reading", {}).get("all", {})
    rows += [_target_row(label + " (issue 11)", overall.get(key), want, op)
             for label, (key, want, op) in READING_TARGETS.items()]
    for sl in ("vi", "vi_unaccented", "en", "followup"):
        got = product.get("per_slice", {}).get(sl, {}).get("accuracy")
        met = got is not None and got >= SLICE_TARGET
        want = f">= {100 * SLICE_TARGET:.0f}%"
        rows.append([f"accuracy, slice {sl}", want, f"{_pct(got)}%", "yes" if met else "no"])
    return _table(["target", "wanted", "measured", "met"], rows)


def _outcome_cells(m: dict) -> list[str]:
    cells = []
    for kind in OUTCOMES:
        o = m.get("outcomes", {}).get(kind, {})
        cells += [_pct(o.get("share")), _pct(o.get("right"))]
    return cells


OUTCOME_HEADERS = ["answer", "answer right", "closest", "closest right", "refused", "refused right"]
READING_COLUMNS = [("accuracy", "accuracy"), ("strict acc.", "strict_accuracy"), ("lenient acc.", "lenient_accuracy"),
                   ("answer-sentence hit", "sentence_hit"), ("EM", "em"), ("F1", "f1")]


def reading_table(summaries: dict[str, dict], systems: list[str] | None = None) -> list[str]:
    """One row per system and language (all, vi, vi_unaccented, en): the reading measures (%)."""
    rows = []
    for name in systems or list(summaries):
        for lang, m in summaries.get(name, {}).get("reading", {}).items():
            rows.append([name, lang, str(m["n"])] + [_pct(m.get(k)) for _, k in READING_COLUMNS]
                        + _outcome_cells(m) + [_pct(m.get("confidently_wrong")), _pct(m.get("unanswerable_refused"))])
    header = ["system", "language", "n"] + [h for h, _ in READING_COLUMNS] + OUTCOME_HEADERS
    return _table(header + ["confidently wrong", "unanswerable refused"], rows)


SQUAD_COLUMNS = [("para hit@1", "hit@1"), ("para hit@5", "hit@5"), ("para MRR@10", "mrr@10"),
                 ("answer-sentence hit", "sentence_hit"), ("EM", "em"), ("F1", "f1")]


def squad_table(squad: dict) -> list[str]:
    rows = []
    llm = "llm" in squad.get("systems", {})
    for name, by_lang in squad.get("systems", {}).items():
        for lang, s in by_lang.items():
            reading = [_pct(s.get("lenient_accuracy"))] + _outcome_cells(s) + [_pct(s.get("confidently_wrong"))]
            if "outcomes" not in s:
                reading = ["–"] * len(reading)
            rows.append([name, lang, str(s["n"])] + [_pct(s.get(k)) for _, k in SQUAD_COLUMNS] + reading
                        + [_ms(s.get("p50_ms")), _ms(s.get("p95_ms"))]
                        + ([_pct(s.get("by_llm"))] if llm else []))
    header = ["system", "questions", "n"] + [h for h, _ in SQUAD_COLUMNS] + ["lenient acc."] + OUTCOME_HEADERS
    return _table(header + ["confidently wrong", "p50 ms", "p95 ms"] + (["written by the LLM"] if llm else []), rows)


def split_label(squad: dict) -> str:
    split, half, n = squad.get("split", "all"), squad.get("train_articles"), squad.get("articles")
    if split == "train" and half:
        return f"train (articles 0–{half - 1} in file order)"
    if split == "test" and half and n:
        return f"test (articles {half}–{n - 1} in file order)"
    return "all questions"


def wrong_list(outcomes: list[dict], system: str = PRODUCT, limit: int = 200) -> list[str]:
    bad = [o for o in outcomes if o["system"] == system and not o["correct"]]
    rows = []
    for o in bad[:limit]:
        kind = o.get("outcome") or ("refused" if o["refused"] else "answer")
        got = "" if kind == "answer" else f"({kind}) "
        got += o["answer"].replace("\n", " ").replace("|", "/")[:160]
        exp = o["expected"] if isinstance(o["expected"], str) else " + ".join(o["expected"])
        exp = exp.replace("|", "/")
        q = o["question"].replace("|", "/")
        rows.append([o["id"], q, got, exp])
    return [f"{len(bad)} wrong for `{system}`:", ""] + _table(["id", "question", "got", "expected"], rows)


def sections(results: dict) -> list[dict]:
    """The gold-set sections of a run (``datasets``; ``gold`` in reports from before several sets)."""
    return results.get("datasets") or ([results["gold"]] if results.get("gold") else [])


def markdown(results: dict) -> str:
    out = [f"# hoidap eval — {results['started']}", "", f"Command: `{results['command']}`", ""]
    meta = results.get("machine", {})
    if meta:
        out += [f"Machine: {meta.get('cpu', '?')} ({meta.get('cores', '?')} cores), "
                f"Python {meta.get('python')}", ""]
    for gold in sections(results):
        s = gold["summaries"]
        where = f", run on {gold['index_used']}" if gold.get("index_used") else ""
        out += [f"## Gold set: {gold['dataset']} ({gold['n']} questions{where})", ""]
        out += gold_table(s) + ["", "Accuracy per slice (%):", ""] + slice_table(s)
        out += ["", "Accuracy per question type (%):", ""] + type_table(s)
        out += ["", "Reading measures per language (%; definitions in eval/README.md):", ""] + reading_table(s)
        out += ["", "Latency (ms) and peak memory:", ""] + latency_table(s)
        if PRODUCT in s:
            out += ["", "Product against the answer-quality targets:", ""] + targets_table(s[PRODUCT])
        out += ["", "Notes: " + gold.get("notes", ""), ""]
        out += ["### Questions the product gets wrong", ""] + wrong_list(gold["outcomes"]) + [""]
    squad = results.get("squad")
    if squad:
        out += [f"## SQuAD-format benchmark: {squad['dataset']} — split: {split_label(squad)}", "",
                f"{squad['paragraphs']} paragraphs indexed in {squad['ingest_seconds']:.0f} s; "
                f"questions: {squad['questions']}.", ""]
        out += squad_table(squad) + ["", squad.get("notes", ""), ""]
    return "\n".join(out)


def plots(results: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []
    names = [gold.get("name", "gold") for gold in sections(results)]
    for i, gold in enumerate(sections(results)):
        s = gold["summaries"]
        # one set: the plain names; several: suffixed by the set's name (and its place, if two share one)
        tag = "" if len(names) == 1 else f"_{names[i]}" + (f"{i + 1}" if names.count(names[i]) > 1 else "")
        systems = list(s)
        slices = [sl for sl in SLICE_ORDER if any(sl in v["per_slice"] for v in s.values())]
        fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(slices) + 2), 4.5))
        width = 0.8 / max(1, len(systems))
        for i, name in enumerate(systems):
            vals = [100 * (s[name]["per_slice"].get(sl, {}).get("accuracy") or 0) for sl in slices]
            ax.bar([x + i * width for x in range(len(slices))], vals, width, label=name)
        ax.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(slices))], slices, rotation=20)
        ax.set_ylabel("accuracy (%)")
        ax.set_ylim(0, 105)
        ax.set_title(f"{gold.get('name', 'Gold set')}: accuracy per slice")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(systems), frameon=False)
        fig.tight_layout()
        written.append(out / f"accuracy_per_slice{tag}.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)

        data = [[o["timings"].get("total", 0) for o in gold["outcomes"] if o["system"] == n and o["timings"]]
                for n in systems]
        if not any(v > 0 for d in data for v in d):  # every question failed: no latency to plot
            continue
        fig, ax = plt.subplots(figsize=(7, 4.5))
        ax.boxplot(data, showfliers=True)
        ax.set_xticks(range(1, len(systems) + 1), systems)
        ax.set_yscale("log")
        ax.set_ylabel("total latency per question (ms, log scale)")
        ax.set_title(f"Latency distribution ({gold.get('name', 'gold set')})")
        fig.tight_layout()
        written.append(out / f"latency{tag}.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)
    squad = results.get("squad")
    if squad and squad.get("systems"):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        labels, vals = [], []
        for name, by_lang in squad["systems"].items():
            for lang, m in by_lang.items():
                labels.append(f"{name}\n{lang}")
                vals.append(100 * m["hit@1"])
        ax.bar(range(len(vals)), vals, color="tab:green")
        ax.set_xticks(range(len(vals)), labels, fontsize=8)
        ax.set_ylabel("paragraph hit@1 (%)")
        ax.set_ylim(0, 105)
        ax.set_title("SQuAD-format benchmark: paragraph retrieval")
        fig.tight_layout()
        written.append(out / "squad_retrieval.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)
    rows = outcome_rows(results)
    if rows:
        written.append(outcome_plot(rows, out / "outcomes.png", plt))
    return written


OUTCOME_PARTS = [("answer right", "tab:green"), ("answer wrong", "tab:red"), ("closest", "tab:orange"),
                 ("refused", "tab:gray")]


def outcome_parts(m: dict) -> list[float]:
    """Shares (%) of all questions: answer right, answer wrong, closest, refused."""
    o = m.get("outcomes", {})
    answer = o.get("answer", {})
    share, right = answer.get("share") or 0.0, answer.get("right") or 0.0
    return [100 * share * right, 100 * share * (1 - right),
            100 * (o.get("closest", {}).get("share") or 0.0), 100 * (o.get("refused", {}).get("share") or 0.0)]


def outcome_rows(results: dict) -> list[tuple[str, list[float]]]:
    """(label, parts) for the product on every set and language, then on SQuAD per language; the
    ``llm`` system's rows (labelled "llm · ...") after the product's when it ran."""
    rows = []
    for gold in sections(results):
        for name in (PRODUCT, "llm"):
            for lang, m in gold["summaries"].get(name, {}).get("reading", {}).items():
                if m.get("n"):
                    who = "" if name == PRODUCT else "llm · "
                    rows.append((f"{who}{gold.get('name', 'gold')} · {lang} (n={m['n']})", outcome_parts(m)))
    squad = results.get("squad") or {}
    for name in (PRODUCT, "llm"):
        for lang, m in squad.get("systems", {}).get(name, {}).items():
            if "outcomes" in m:
                who = "" if name == PRODUCT else "llm · "
                rows.append((f"{who}squad {squad.get('split', 'all')} · {lang} (n={m['n']})", outcome_parts(m)))
    return rows


def outcome_plot(rows: list[tuple[str, list[float]]], path: Path, plt) -> Path:
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.4 * len(rows)))
    ys = range(len(rows))  # positions, not category labels: two sets may share a label
    left = [0.0] * len(rows)
    for i, (name, color) in enumerate(OUTCOME_PARTS):
        vals = [parts[i] for _, parts in rows][::-1]
        ax.barh(ys, vals, left=left, color=color, label=name)
        left = [a + b for a, b in zip(left, vals)]
    ax.set_yticks(ys, [label for label, _ in rows][::-1])
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of questions (%)")
    ax.set_title("Replies by outcome, per set and language (llm: the LLM system)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / len(rows)), ncol=4, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(results: dict, out: Path) -> list[Path]:
    """Write results.json, summary.md and the plots into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "results.json", out / "summary.md"]
    files[0].write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    files[1].write_text(markdown(results), encoding="utf-8")
    return files + plots(results, out)


def console(results: dict) -> str:
    """The short table printed at the end of a run."""
    lines: list[str] = []
    for gold in sections(results):
        s = gold["summaries"]
        lines += [f"{gold['dataset']} ({gold['n']} questions)", ""]
        lines += gold_table(s) + [""] + slice_table(s) + [""]
        lines += reading_table(s, [PRODUCT] if PRODUCT in s else None) + [""]
    if results.get("squad"):
        lines += [f"{results['squad']['dataset']}, split: {split_label(results['squad'])}", ""]
        lines += squad_table(results["squad"]) + [""]
    return "\n".join(lines)
