"""Prompt templates for the optional LLM answerer, one file per (language, role).

Templates are ``string.Template`` text (``${name}`` placeholders, ``$$`` for a literal dollar)
because that syntax leaves the braces and brackets common in prompts alone. Rendering is
strict on both sides: a file must use exactly the placeholders its role declares in
``VARIABLES`` (checked when it is loaded, so ``validate_all()`` at start-up catches an edited
template), and ``render`` refuses a missing or an unknown value instead of leaving ``${x}`` in
a prompt mid-answer.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ingest.errors import HoidapError

LANGUAGES = ("vi", "en")

# role -> the placeholders its template must use, no more and no fewer
VARIABLES: dict[str, frozenset[str]] = {
    "system": frozenset({"no_answer"}),
    "passage": frozenset({"n", "title", "source", "published", "text"}),
    "answer": frozenset({"passages", "question", "no_answer"}),
}


class PromptError(HoidapError):
    """A prompt template is missing, malformed, or rendered with the wrong values."""


def placeholders(text: str, where: str = "template") -> frozenset[str]:
    """The placeholder names used in ``text``; a stray ``$`` raises ``PromptError``."""
    names = set()
    for match in string.Template.pattern.finditer(text):
        if match.group("invalid") is not None:
            line = text.count("\n", 0, match.start("invalid")) + 1
            raise PromptError(f"{where}: stray '$' on line {line} (write $$ for a literal dollar)")
        name = match.group("named") or match.group("braced")
        if name:
            names.add(name)
    return frozenset(names)


@dataclass(frozen=True)
class Prompt:
    role: str
    language: str
    text: str

    @property
    def variables(self) -> frozenset[str]:
        return VARIABLES[self.role]

    def render(self, **values: str) -> str:
        """Fill every placeholder; missing, unknown or non-string values raise ``PromptError``."""
        where = f"prompts/{self.language}/{self.role}.txt"
        missing = sorted(self.variables - values.keys())
        unknown = sorted(values.keys() - self.variables)
        if missing or unknown:
            raise PromptError(f"{where}: missing values {missing}, unknown values {unknown}")
        wrong = sorted(k for k, v in values.items() if not isinstance(v, str))
        if wrong:
            raise PromptError(f"{where}: values must be strings: {wrong}")
        return string.Template(self.text).substitute(values)


@lru_cache(maxsize=None)
def load(role: str, language: str) -> Prompt:
    """Read and check ``prompts/<language>/<role>.txt``."""
    if role not in VARIABLES:
        raise PromptError(f"unknown prompt role {role!r}; known: {sorted(VARIABLES)}")
    if language not in LANGUAGES:
        raise PromptError(f"no prompts for language {language!r}; known: {list(LANGUAGES)}")
    where = f"prompts/{language}/{role}.txt"
    try:
        text = (
            resources.files(__name__).joinpath(language).joinpath(f"{role}.txt").read_text(encoding="utf-8")
        )
    except FileNotFoundError as e:
        raise PromptError(f"{where} is missing") from e
    used = placeholders(text, where)
    if used != VARIABLES[role]:
        raise PromptError(
            f"{where}: placeholders {sorted(used)} do not match the expected {sorted(VARIABLES[role])}"
        )
    return Prompt(role, language, text)


def validate_all() -> None:
    """Load every template once so a broken one fails at start-up, not mid-answer."""
    for language in LANGUAGES:
        for role in VARIABLES:
            load(role, language)
