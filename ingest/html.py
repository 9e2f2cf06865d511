"""Visible text and metadata of an HTML page (BeautifulSoup with the stdlib parser)."""

from __future__ import annotations

from bs4 import BeautifulSoup

DROP = ["script", "style", "noscript", "nav", "footer", "header", "aside", "form", "iframe", "svg", "button"]
BLOCKS = ["p", "div", "h1", "h2", "h3", "h4", "li", "br", "tr", "figcaption", "blockquote", "section", "article"]


def html_to_text(html: str) -> tuple[str, dict]:
    """(text with one line per block element, {title, published, source, url})."""
    soup = BeautifulSoup(html, "html.parser")
    meta: dict = {}

    def prop(*names: str) -> str | None:
        for n in names:
            tag = soup.find("meta", attrs={"property": n}) or soup.find("meta", attrs={"name": n})
            if tag and tag.get("content"):
                return tag["content"].strip()
        return None

    h1 = soup.find("h1")
    meta["title"] = prop("og:title") or (h1.get_text(" ", strip=True) if h1 else None) or (
        soup.title.get_text(strip=True) if soup.title else None
    )
    meta["published"] = prop("article:published_time", "pubdate", "date", "dc.date")
    meta["source"] = prop("og:site_name")
    meta["url"] = prop("og:url")
    for tag in soup(DROP):
        tag.decompose()
    root = soup.find("article") or soup.body or soup
    for tag in root.find_all(BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = root.get_text("")
    return text, {k: v for k, v in meta.items() if v}
