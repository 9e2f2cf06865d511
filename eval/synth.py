"""Synthetic Vietnamese-like news articles for scale and crash tests.

Articles are stitched from the bundled sample corpus: its sentences, with the people and the
partner province swapped for ones drawn at random (a fixed seed makes a corpus reproducible).
They read like the real articles to every stage that matters here (cleaner, sentence
splitter, tagger, embedder, BM25) while being numerous and distinct, so chunk ids do not
collide and BM25 statistics look like a real archive's. They are not true statements: use
them to measure, never to evaluate answer quality.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.settings import SAMPLE_CORPUS

_SENT = re.compile(r"[^.!?]+[.!?]+(?:\s+|$)")
_NAME = re.compile(r"\b[A-ZĐ][^\W\d_]*(?:\s+[A-ZĐ][^\W\d_]*){1,7}")
OUTLETS = ("HNMO", "ĐCSVN", "TTTĐ", "ANTD.VN", "VOV", "TTXVN")
PARTS_OF_DAY = ("Sáng", "Chiều", "Ngày", "Tối")
# the partner provinces of the sample articles: swapped for the synthetic article's province
SAMPLE_PARTNERS = ("Thái Nguyên", "Hải Dương", "Hưng Yên", "Thanh Hóa", "Hà Tĩnh")


@dataclass
class Pool:
    sentences: list[str]
    surnames: list[str]
    middles: list[str]
    givens: list[str]
    provinces: list[str]
    names: list[str]  # the sample's people, replaced wherever they appear


@lru_cache(maxsize=2)
def pool(sample: Path = SAMPLE_CORPUS) -> Pool:
    """Sentences and name parts of the sample corpus (cleaned the way ingest cleans it)."""
    from app.reader.spans import surnames
    from ingest.load import load
    from ingest.metadata import build_article, find_provinces, provinces

    known = surnames()
    sentences: list[str] = []
    names: set[str] = set()
    for doc in load([sample]):
        if not hasattr(doc, "text"):
            continue
        text = build_article(doc).text
        for para in text.split("\n"):
            for m in _SENT.finditer(para):
                s = m.group().strip()
                if 40 <= len(s) <= 600:
                    sentences.append(s)
        for m in _NAME.finditer(text):
            # "Chủ tịch HĐND tỉnh Thái Nguyên Bùi Xuân Hòa": the name is the tail after the titles
            parts = m.group().split()
            for i in range(max(0, len(parts) - 4), len(parts) - 2):
                name = " ".join(parts[i:])
                if parts[i] in known and not find_provinces(name):
                    names.add(name)
                    break
    parts = [n.split() for n in sorted(names)]
    return Pool(
        sentences=sentences,
        surnames=sorted({p[0] for p in parts}),
        middles=sorted({m for p in parts for m in p[1:-1]}),
        givens=sorted({p[-1] for p in parts}),
        provinces=[name for name, _ in provinces() if name not in ("Hà Nội", "Hồ Chí Minh")],
        names=sorted(names, key=len, reverse=True),
    )


def _person(rng: random.Random, p: Pool) -> str:
    return " ".join([rng.choice(p.surnames), *rng.sample(p.middles, rng.randint(1, 2)), rng.choice(p.givens)])


def article(rng: random.Random, p: Pool, n_sentences: tuple[int, int] = (8, 16)) -> tuple[str, str]:
    """(slug, text) of one synthetic article in the shape of a scraped news page."""
    province = rng.choice(p.provinces)
    year = rng.randint(2015, 2024)
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    cast = {n: _person(rng, p) for n in p.names}
    body = []
    for s in rng.sample(p.sentences, min(len(p.sentences), rng.randint(*n_sentences))):
        for partner in SAMPLE_PARTNERS:
            s = s.replace(partner, province)
        for old, new in cast.items():
            if old in s:
                s = s.replace(old, new)
        body.append(s)
    chair_a, chair_b = _person(rng, p), _person(rng, p)
    title = f"Hà Nội và {province} {rng.choice(['hợp tác', 'trao đổi kinh nghiệm', 'ký kết'])} năm {year}"
    lead = (
        f"({rng.choice(OUTLETS)}) - {rng.choice(PARTS_OF_DAY)} {day}-{month}, tại {province}, "
        f"Ban Thường vụ Thành ủy Hà Nội và Ban Thường vụ Tỉnh ủy {province} tổ chức hội nghị hợp tác, "
        f"do {chair_a} và {chair_b} đồng chủ trì."
    )
    paras = [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)]
    text = "\n\n".join([title, f"Đăng ngày: {day:02d}/{month:02d}/{year}", lead, *paras]) + "\n"
    slug = f"{year}-{month:02d}-{day:02d}-{re.sub(r'[^a-z0-9]+', '-', _ascii(province))}"
    return slug, text


def _ascii(s: str) -> str:
    from ingest.textutil import fold

    return fold(s)


def articles(n: int, seed: int = 0, n_sentences: tuple[int, int] = (8, 16)) -> Iterator[tuple[str, str]]:
    """``n`` synthetic articles, the same ones for the same seed."""
    rng = random.Random(seed)
    p = pool()
    for i in range(n):
        slug, text = article(rng, p, n_sentences)
        yield f"{i:07d}-{slug}", text


def write_corpus(folder: Path, n: int, seed: int = 0, n_sentences: tuple[int, int] = (8, 16)) -> list[Path]:
    """Write ``n`` articles as .txt files into ``folder`` (in subfolders of 1,000: big flat folders are slow)."""
    folder = Path(folder)
    out = []
    for name, text in articles(n, seed, n_sentences):
        f = folder / name[:4] / f"{name}.txt"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text, "utf-8")
        out.append(f)
    return out


def main() -> None:  # python -m eval.synth FOLDER N [SEED]
    import sys

    folder, n = Path(sys.argv[1]), int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    print(f"wrote {len(write_corpus(folder, n, seed))} articles to {folder}")


if __name__ == "__main__":
    main()
