"""Stage 2: embed chunks into Chroma, keep a folded BM25 index beside it, retrieve with hybrid fusion."""
