"""Cut an article into overlapping, sentence-aligned chunks with offsets into the cleaned text.

Sentences come from underthesea's Vietnamese sentence splitter, so "TP. Thái Nguyên" or
"TS. Nguyễn" do not end a sentence. Chunks are a few sentences (about ``target`` characters)
and repeat the previous chunk's last sentence, so an answer that straddles a boundary is
still whole in one passage. Each chunk carries its sentence spans and the POS tags of every
sentence: answering then needs no NLP at query time, which keeps ``ask`` within milliseconds.
"""

from __future__ import annotations

import re
from collections import Counter

from ingest.models import Article, Chunk, content_hash

TARGET = 700  # characters; ~200 e5 tokens of Vietnamese, well under the 512-token window
OVERLAP_MAX = 300  # a longer last sentence is not repeated


def _nlp():
    # underthesea imports slowly (it pulls torch for its translate pipeline): only ingest pays.
    from underthesea import pos_tag, sent_tokenize

    return sent_tokenize, pos_tag


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) in ``text``; paragraphs never share a sentence."""
    sent_tokenize, _ = _nlp()
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text):
        cursor = para.start()
        for sent in sent_tokenize(para.group()):
            sent = sent.strip()
            if not sent:
                continue
            at = text.find(sent, cursor, para.end())
            if at < 0:  # the splitter normalised something: fall back to the rest of the paragraph
                spans.append((cursor, para.end()))
                cursor = para.end()
                break
            spans.append((at, at + len(sent)))
            cursor = at + len(sent)
        if cursor < para.end() and text[cursor : para.end()].strip():
            rest = text[cursor : para.end()]
            spans.append((cursor + len(rest) - len(rest.lstrip()), para.end()))
    return _join_initials(text, [piece for a, b in spans for piece in _cut_after_units(text, a, b)])


# "… cách vị trí gặp nạn khoảng 300 m. Thi thể …": the splitter takes "m." for an abbreviation
_UNIT_END = re.compile(r"(?<=\d)\s?[a-zđ]{1,3}\.\s+(?=[A-ZĐÀ-Ỹ][a-zà-ỹđ])")


def _cut_after_units(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """The span cut where a sentence ends with a number's short unit ("300 m.", "12 kg.")."""
    out = []
    for m in _UNIT_END.finditer(text, a, b):
        end = m.start() + m.group().index(".") + 1
        out.append((a, end))
        a = m.end()
    return out + [(a, b)]


_INITIAL_END = re.compile(r"(?:^|[\s(])(?:[^\W\d_]\.)+$")  # "… em P.T." : a name's initials


def _join_initials(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences the splitter cut at a name's initials joined again: news writes minors and
    suspects as "em P.T.Q. (13 tuổi) được tìm thấy …", which underthesea cuts after "P.T." and
    "Q.". A piece goes on the previous one (in one paragraph) when it starts with a small letter
    (no sentence does), or when the previous ends with an initial and the piece starts with
    another initial, a bracket or a digit."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out:
            pa, pb = out[-1]
            head = text[a : a + 2]
            goes_on = bool(re.match(r"[^\W\d_]\.", head)) or head[:1] in "([" or head[:1].isdigit()
            if "\n" not in text[pb:a] and (head[:1].islower() or goes_on and _INITIAL_END.search(text[pa:pb])):
                out[-1] = (pa, b)
                continue
        out.append((a, b))
    return out


def tag(sentence: str) -> list[tuple[str, str]]:
    """(word, POS) pairs; tag ``Np`` marks proper nouns."""
    _, pos_tag = _nlp()
    try:
        return [(w, t) for w, t in pos_tag(sentence)]
    except Exception:  # a tagger failure must not lose the article: answer without tags
        return []


def chunk(article: Article, target: int = TARGET, with_tags: bool = True) -> list[Chunk]:
    """Chunks of ``article`` with stable content-hash ids."""
    text = article.text
    sents = split_sentences(text)
    groups: list[list[tuple[int, int]]] = []
    cur: list[tuple[int, int]] = []
    for s in sents:
        if cur and s[1] - cur[0][0] > target:
            groups.append(cur)
            last = cur[-1]
            cur = [last] if last[1] - last[0] <= OVERLAP_MAX and len(cur) > 1 else []
        cur.append(s)
    if cur and (not groups or cur != groups[-1][-len(cur):]):
        groups.append(cur)

    seen: Counter = Counter()
    chunks = []
    for g in groups:
        start, end = g[0][0], g[-1][1]
        body = text[start:end]
        seen[body] += 1
        tags = [tag(text[a:b]) for a, b in g] if with_tags else []
        chunks.append(
            Chunk(
                chunk_id=content_hash(article.doc_id, body, str(seen[body]), size=20),
                doc_id=article.doc_id,
                text=body,
                start=start,
                end=end,
                sentences=[(a - start, b - start) for a, b in g],
                tags=tags,
            )
        )
    return chunks
