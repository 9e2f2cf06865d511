"""The two places hoidap relies on chromadb internals, kept here so a chromadb upgrade that
moves them breaks one module (and ``tests/test_index.py::test_chromadb_internals_still_exist``)."""

from __future__ import annotations

from pathlib import Path


def forget_client(path: Path) -> bool:
    """Drop chromadb's shared client system for ``path`` so the next client opens the files afresh.

    chromadb keeps one system per path for the whole process (``SharedSystemClient``), and a
    new ``PersistentClient`` would reuse the stale one; chromadb has no public way to drop one
    path's. Threads mid-query keep the old handle until they finish. Returns False when the
    internals were not where expected and every cached system was dropped instead.
    """
    from chromadb.api.client import SharedSystemClient

    systems = getattr(SharedSystemClient, "_identifier_to_system", None)
    if isinstance(systems, dict):
        systems.pop(str(path), None)
        getattr(SharedSystemClient, "_identifier_to_refcount", {}).pop(str(path), None)
        return True
    SharedSystemClient.clear_system_cache()
    return False


def set_http_timeout(client, seconds: float = 120.0, connect: float = 5.0) -> bool:
    """Give an ``HttpClient`` a timeout: chromadb's HTTP session never times out, so a hung
    server would hang every request, and it has no setting for it. Returns whether it was set."""
    session = getattr(getattr(client, "_server", None), "_session", None)
    if session is None:
        return False
    import httpx

    session.timeout = httpx.Timeout(seconds, connect=connect)
    return True
