"""Retrieval filters read through per-generation lookups must allow exactly what a scan of
every article allows (the lookups exist for speed on a large archive, never to change results)."""

from __future__ import annotations

import numpy as np
import pytest

from index.hybrid import HybridRetriever
from index.types import Filters
from ingest.models import join_places


def _scan(store, filters: Filters) -> set[str]:
    out = set()
    for a in store.catalog.articles():
        if filters.accepts({**a, "provinces": join_places(a["provinces"])}):
            out.add(a["doc_id"])
    return out


def _filters(store) -> list[Filters]:
    places = sorted({p for a in store.catalog.articles() for p in a["provinces"]})
    assert places, "the sample corpus names provinces"
    out = [Filters(province=p) for p in places]
    out += [Filters(province=places[0].upper()), Filters(province=places[0].casefold()), Filters(province="Atlantis")]
    out += [Filters(province="|".join(places[:2])), Filters(province=f"{places[0]}|")]  # bars span provinces
    out += [Filters(event_year=y, event_month=m) for y in (None, 2019, 2024) for m in (None, 3, 6) if y or m]
    out += [Filters(province=places[0], event_month=6), Filters(source="o"), Filters(date_from="2019-06-01")]
    return out


def test_filters_allow_what_a_full_scan_allows(sample_store):
    retriever = HybridRetriever(sample_store)
    for f in _filters(sample_store):
        want = _scan(sample_store, f)
        assert retriever.allowed(f).docs == want, f
        if want:
            ids = sorted(sample_store.catalog.chunk_ids_of(want))
            assert retriever.allowed_ids(retriever.allowed(f)) == ids
            assert np.array_equal(retriever.allowed_mask(retriever.allowed(f)), sample_store.lexical.mask(set(ids)))
    assert retriever.allowed(Filters()) is None


@pytest.mark.parametrize("with_filter", [False, True])
def test_filtered_retrieval_is_repeatable(sample_store, with_filter):
    """The second question with a filter reads the cached allowed set: same passages as the first."""
    f = Filters(province=sorted({p for a in sample_store.catalog.articles() for p in a["provinces"]})[0])
    retriever = HybridRetriever(sample_store)
    first = [h.chunk_id for h in retriever.retrieve("hội nghị hợp tác", k=5, filters=f if with_filter else None)]
    again = [h.chunk_id for h in retriever.retrieve("hội nghị hợp tác", k=5, filters=f if with_filter else None)]
    fresh = [h.chunk_id for h in HybridRetriever(sample_store).retrieve("hội nghị hợp tác", k=5,
                                                                         filters=f if with_filter else None)]
    assert first == again == fresh and first


def test_mask_ignores_unknown_ids(sample_store):
    lex = sample_store.lexical
    m = lex.mask([lex.ids[0], "no-such-chunk", lex.ids[-1]])
    assert m.dtype == np.float32 and m.sum() == (1.0 if len(lex) == 1 else 2.0)
    assert m[0] == m[-1] == 1.0 and not lex.mask([]).any()


def test_filter_cache_follows_an_index_replaced_by_another_process(sample_store, monkeypatch):
    """A reset + rebuild elsewhere starts generations again; the store's epoch tells them apart."""
    f = Filters(province=sorted({p for a in sample_store.catalog.articles() for p in a["provinces"]})[0])
    retriever = HybridRetriever(sample_store)
    first = retriever.allowed(f)
    assert retriever.allowed(f) is first
    monkeypatch.setattr(sample_store, "epoch", sample_store.epoch + 1)
    again = retriever.allowed(f)
    assert again is not first and again.docs == first.docs
