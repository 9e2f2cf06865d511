"""Reports: results.json (everything), summary.md (the tables), PNG plots, and the console table.

Plots use matplotlib's Agg backend, imported lazily, so a headless CI box needs no display and
importing ``eval`` stays cheap.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from eval.metrics import SLICE_ORDER

PRODUCT = "hybrid"
TARGETS = {  # issue 3's answer-quality targets, checked against the product
    "accuracy (overall)": ("accuracy", 0.90, ">="),
    "refusal accuracy": ("refusal_accuracy", 0.95, ">="),
    "false refusals": ("false_refusal_rate", 0.05, "<="),
    "citation support": ("citation_support", 0.98, ">="),
}
SLICE_TARGET = 0.85  # each of vi, vi_unaccented, en, followup


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


def targets_table(product: dict) -> list[str]:
    rows = []
    for label, (key, want, op) in TARGETS.items():
        got = product.get(key)
        met = got is not None and (got >= want if op == ">=" else got <= want)
        rows.append([label, f"{op} {100 * want:.0f}%", f"{_pct(got)}%", "yes" if met else "no"])
    for sl in ("vi", "vi_unaccented", "en", "followup"):
        got = product.get("per_slice", {}).get(sl, {}).get("accuracy")
        met = got is not None and got >= SLICE_TARGET
        want = f">= {100 * SLICE_TARGET:.0f}%"
        rows.append([f"accuracy, slice {sl}", want, f"{_pct(got)}%", "yes" if met else "no"])
    return _table(["target (issue 3)", "wanted", "measured", "met"], rows)


SQUAD_COLUMNS = [("para hit@1", "hit@1"), ("para hit@5", "hit@5"), ("para MRR@10", "mrr@10"),
                 ("answer-sentence hit", "sentence_hit"), ("EM", "em"), ("F1", "f1"), ("refused", "refused")]


def squad_table(squad: dict) -> list[str]:
    rows = []
    for name, by_lang in squad.get("systems", {}).items():
        for lang, s in by_lang.items():
            rows.append([name, lang, str(s["n"])] + [_pct(s.get(k)) for _, k in SQUAD_COLUMNS]
                        + [_ms(s.get("p50_ms"))])
    return _table(["system", "questions", "n"] + [h for h, _ in SQUAD_COLUMNS] + ["p50 ms"], rows)


def wrong_list(outcomes: list[dict], system: str = PRODUCT, limit: int = 200) -> list[str]:
    bad = [o for o in outcomes if o["system"] == system and not o["correct"]]
    rows = []
    for o in bad[:limit]:
        got = "(refused) " if o["refused"] else ""
        got += o["answer"].replace("\n", " ").replace("|", "/")[:160]
        exp = o["expected"] if isinstance(o["expected"], str) else " + ".join(o["expected"])
        exp = exp.replace("|", "/")
        q = o["question"].replace("|", "/")
        rows.append([o["id"], q, got, exp])
    return [f"{len(bad)} wrong for `{system}`:", ""] + _table(["id", "question", "got", "expected"], rows)


def markdown(results: dict) -> str:
    out = [f"# hoidap eval — {results['started']}", "", f"Command: `{results['command']}`", ""]
    meta = results.get("machine", {})
    if meta:
        out += [f"Machine: {meta.get('cpu', '?')} ({meta.get('cores', '?')} cores), "
                f"Python {meta.get('python')}", ""]
    gold = results.get("gold")
    if gold:
        s = gold["summaries"]
        out += [f"## Gold set: {gold['dataset']} ({gold['n']} questions)", ""]
        out += gold_table(s) + ["", "Accuracy per slice (%):", ""] + slice_table(s)
        out += ["", "Accuracy per question type (%):", ""] + type_table(s)
        out += ["", "Latency (ms) and peak memory:", ""] + latency_table(s)
        if PRODUCT in s:
            out += ["", "Product against the answer-quality targets:", ""] + targets_table(s[PRODUCT])
        out += ["", "Notes: " + gold.get("notes", ""), ""]
        out += ["## Questions the product gets wrong", ""] + wrong_list(gold["outcomes"]) + [""]
    squad = results.get("squad")
    if squad:
        out += [f"## SQuAD-format benchmark: {squad['dataset']}", "",
                f"{squad['paragraphs']} paragraphs indexed in {squad['ingest_seconds']:.0f} s; "
                f"questions: {squad['questions']}.", ""]
        out += squad_table(squad) + ["", squad.get("notes", ""), ""]
    return "\n".join(out)


def plots(results: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []
    gold = results.get("gold")
    if gold:
        s = gold["summaries"]
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
        ax.set_title("Gold set accuracy per slice")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(systems), frameon=False)
        fig.tight_layout()
        written.append(out / "accuracy_per_slice.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(7, 4.5))
        data = [[o["timings"].get("total", 0) for o in gold["outcomes"] if o["system"] == n and o["timings"]]
                for n in systems]
        ax.boxplot(data, showfliers=True)
        ax.set_xticks(range(1, len(systems) + 1), systems)
        ax.set_yscale("log")
        ax.set_ylabel("total latency per question (ms, log scale)")
        ax.set_title("Latency distribution (gold set)")
        fig.tight_layout()
        written.append(out / "latency.png")
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
    return written


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
    gold = results.get("gold")
    if gold:
        lines += gold_table(gold["summaries"]) + [""] + slice_table(gold["summaries"]) + [""]
    if results.get("squad"):
        lines += squad_table(results["squad"]) + [""]
    return "\n".join(lines)
