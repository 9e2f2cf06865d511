"""What each vector's Chroma metadata holds, and the catalog rebuilt from it.

Chroma is the source of truth: every chunk's metadata carries its article's catalog fields
(hash, key, write time, ...) and the chunk's annotations, so a missing or damaged catalog,
or a server-mode replica, is rebuilt from the collection alone (``Store.pull``).
"""

from __future__ import annotations

import base64
import json

from index.catalog import pack_vectors
from ingest.models import split_places


def chunk_meta(c, article_meta: dict, svecs=None) -> dict:
    """Chroma metadata of chunk ``c``: its article's, its offsets and annotations (sentences,
    tags, and the sentence vectors as float16 bytes in base64)."""
    ann = {"s": c.sentences, "t": c.tags}
    if svecs is not None:
        ann |= {"d": int(svecs.shape[1]), "v": base64.b64encode(pack_vectors(svecs)).decode("ascii")}
    return {**article_meta, "start": c.start, "end": c.end, "ann": json.dumps(ann, ensure_ascii=False)}


def catalog_rows(rows: dict[str, dict]) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Catalog (articles, chunks, sentence vectors) rows from {chunk id: {text, **metadata}}.
    A writer killed mid-update leaves two versions of an article: only the newest is kept."""
    by_doc: dict[str, list[tuple[str, dict]]] = {}
    for cid, m in rows.items():
        if m.get("doc_id"):
            by_doc.setdefault(m["doc_id"], []).append((cid, m))
    articles, chunks, vectors = [], [], []
    for doc_id, items in by_doc.items():
        newest = max(items, key=lambda it: float(it[1].get("ts") or 0))[1]
        items = [it for it in items if it[1].get("hash", "") == newest.get("hash", "")]
        items.sort(key=lambda it: (int(it[1].get("start", 0)), int(it[1].get("end", 0))))
        m = newest
        provinces = split_places(m.get("provinces"))
        articles.append((
            doc_id, m.get("key") or m.get("path", ""), m.get("path", ""), m.get("hash", ""), m.get("title", ""),
            m.get("source") or None, m.get("published") or None, m.get("event_date") or None,
            m.get("event_date_text") or None, json.dumps(provinces, ensure_ascii=False), m.get("url") or None,
            int(m.get("n_chars") or 0),
        ))
        for ordinal, (cid, cm) in enumerate(items):
            ann = json.loads(cm.get("ann") or "{}")
            chunks.append((
                cid, doc_id, ordinal, int(cm.get("start", 0)), int(cm.get("end", 0)), cm["text"],
                json.dumps(ann.get("s", [])), json.dumps(ann.get("t", []), ensure_ascii=False),
            ))
            if ann.get("v"):
                vectors.append((cid, int(ann.get("d") or 0), base64.b64decode(ann["v"])))
    return articles, chunks, vectors
