"""The lexical side of retrieval: BM25 (bm25s) over diacritic-folded Vietnamese syllables.

Tokens are folded syllables plus adjacent-syllable bigrams. Vietnamese words are mostly
one or two syllables ("hội nghị", "chủ trì"), so bigrams stand in for a word segmenter, and
unlike underthesea's segmenter they work the same on text typed without diacritics:
"ai chu tri hoi nghi thai nguyen" and "Ai chủ trì hội nghị ở Thái Nguyên?" give the same
tokens. Chroma has no sparse index in local mode, so this one lives beside it, as files
under the index home, stamped with the catalog generation it was built from.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
import uuid
from array import array
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ingest.textutil import fold

log = logging.getLogger(__name__)
DEBRIS_AGE = 3600.0  # seconds after which a save's temporary folder is debris whoever left it


def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG when imported; its progress notes are noise here
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s

_CLAUSE = re.compile(r"[^\W_]+(?:[ \t]+[^\W_]+)*", re.UNICODE)
# Question words and particles: they say what is asked, not what the answer is about.
QUERY_STOP = set(
    "ai gi nao dau sao the bao nhieu may khi hay khong chua co phai la nhu va cua o tai thi "
    "who what which when where why how many much is are was were the a an of in on at to did do does "
    "for and with by from".split()
)


def tokenize(text: str, drop: set[str] | None = None) -> list[str]:
    """Folded syllables and syllable bigrams of ``text`` (bigrams only inside a clause)."""
    out: list[str] = []
    for clause in _CLAUSE.findall(fold(text)):
        syl = [s for s in clause.split() if not drop or s not in drop]
        out.extend(syl)
        out.extend(f"{a}_{b}" for a, b in zip(syl, syl[1:]))
    return out


def query_tokens(text: str) -> list[str]:
    return tokenize(text, drop=QUERY_STOP) or tokenize(text)


class LexicalIndex:
    """BM25 over chunk texts; ``search`` returns (chunk_id, score) best first."""

    def __init__(self, ids: list[str], retriever, generation: int) -> None:
        self.ids = ids
        self.generation = generation
        self._bm25 = retriever
        self._row = {cid: i for i, cid in enumerate(ids)}

    @classmethod
    def build(cls, ids: list[str], texts: list[str], generation: int) -> LexicalIndex:
        bm25s = _bm25s()

        bm = bm25s.BM25()
        if ids:
            # Token ids, not token strings: a list of string lists for 100,000 chunks took 2.3 GB
            # (bm25s keeps them all before converting); compact int arrays take ~120 MB.
            vocab: dict[str, int] = {}
            corpus = [array("i", [vocab.setdefault(tok, len(vocab)) for tok in tokenize(t)]) for t in texts]
            bm.index((corpus, vocab), show_progress=False)
        return cls(list(ids), bm, generation)

    def __len__(self) -> int:
        return len(self.ids)

    def doc_freq(self, tokens: list[str]) -> dict[str, int]:
        """How many chunks contain each token (0 for tokens the index never saw)."""
        vocab = self.vocabulary()
        if not vocab:
            return {}
        indptr = self._bm25.scores["indptr"]
        return {t: int(indptr[vocab[t] + 1] - indptr[vocab[t]]) if t in vocab else 0 for t in tokens}

    def vocabulary(self) -> dict[str, int]:
        return getattr(self._bm25, "vocab_dict", None) or {}

    def search(self, query: str | list[str], k: int = 50, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        toks = query_tokens(query) if isinstance(query, str) else query
        tok_ids = self._bm25.get_tokens_ids(toks)
        if not tok_ids:
            return []
        scores = self._bm25.get_scores_from_ids(tok_ids)
        if allowed is not None:
            scores = scores * allowed
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def mask(self, chunk_ids: Iterable[str]) -> np.ndarray:
        """1.0 at the rows of ``chunk_ids`` (ids the index does not hold are ignored), else 0.0."""
        m = np.zeros(len(self.ids), dtype=np.float32)
        m[[row for row in map(self._row.get, chunk_ids) if row is not None]] = 1.0
        return m

    # persistence: write a fresh folder, then swap it in, so a crash leaves the old one or none.
    # Several processes (app replicas, an ingest) may save and load the same folder at once:
    # temp names are unique, a lost swap race is harmless (the winner's index is as fresh),
    # and each save carries a build token that ``load`` checks before and after reading, so a
    # reader never pairs one build's id list with another build's matrices.
    def save(self, folder: Path) -> None:
        folder = Path(folder)
        token = f"{os.getpid()}-{uuid.uuid4().hex}"  # the pid says whose it is (``clean_debris``)
        tmp = folder.with_name(f"{folder.name}.tmp-{token}")
        tmp.mkdir(parents=True)
        try:
            if self.ids:
                self._bm25.save(str(tmp), show_progress=False)
            meta = {"generation": self.generation, "build": token, "ids": self.ids}
            (tmp / "ids.json").write_text(json.dumps(meta), "utf-8")
            old = folder.with_name(f"{folder.name}.old-{token}")
            if folder.exists():
                os.replace(folder, old)
            os.replace(tmp, folder)
        except OSError:
            if not folder.exists():
                raise
            # another process swapped its build in between our two renames: keep theirs
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(folder.with_name(f"{folder.name}.old-{token}"), ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Load a saved index; raises ValueError/OSError if it is missing or damaged, and
        ``LexicalChanged`` if another process replaced it while it was being read."""
        bm25s = _bm25s()

        folder = Path(folder)
        meta = json.loads((folder / "ids.json").read_text("utf-8"))
        ids = meta["ids"]
        try:
            bm = bm25s.BM25.load(str(folder), show_progress=False) if ids else bm25s.BM25()
            after = json.loads((folder / "ids.json").read_text("utf-8")).get("build")
        except (OSError, ValueError) as e:
            if _build_of(folder) != meta.get("build"):
                raise LexicalChanged(str(folder)) from e
            raise
        if after != meta.get("build"):
            raise LexicalChanged(str(folder))
        if ids and bm.scores["num_docs"] != len(ids):
            raise ValueError("lexical index does not match its id list")
        return cls(ids, bm, int(meta["generation"]))


def clean_debris(folder: Path, max_age: float = DEBRIS_AGE) -> list[Path]:
    """Remove ``<folder>.tmp-*`` / ``<folder>.old-*`` left by a save that was killed between its
    renames: those of a process that is gone, and any older than ``max_age`` seconds (another
    host's, or from before names carried a pid). A live process's save in progress is kept."""
    folder = Path(folder)
    removed = []
    now = time.time()
    for p in folder.parent.glob(f"{folder.name}.*-*"):
        kind, _, token = p.name[len(folder.name) + 1 :].partition("-")
        if kind not in ("tmp", "old") or not p.is_dir():
            continue
        pid = token.split("-", 1)[0]
        gone = pid.isdigit() and "-" in token and not _alive(int(pid))
        try:
            old = now - p.stat().st_mtime > max_age
        except FileNotFoundError:
            continue  # its save finished meanwhile
        if gone or old:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    if removed:
        log.info("removed %d folders left by interrupted lexical index saves: %s", len(removed),
                 ", ".join(p.name for p in removed))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LexicalChanged(Exception):
    """The index folder was replaced by a newer build while being read: read it again."""


def _build_of(folder: Path) -> str | None:
    try:
        return json.loads((folder / "ids.json").read_text("utf-8")).get("build")
    except (OSError, ValueError):
        return None
