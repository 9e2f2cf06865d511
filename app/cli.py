"""The ``hoidap`` command line: noun/verb groups, env-var fallbacks (via Settings), ``--json`` for machines.

Every ``HoidapError`` becomes one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from app.settings import SAMPLE_CORPUS, get_settings
from ingest.errors import BadInput, HoidapError


def friendly(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except HoidapError as e:
            click.echo(f"hoidap: {e}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("hoidap: interrupted", err=True)
            sys.exit(130)

    return wrapper


@click.group()
@click.version_option(package_name="hoidap")
def cli() -> None:
    """Questions and answers over Vietnamese news articles, with cited passages."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Remove indexed articles under PATHS that are no longer there.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--follow-links", is_flag=True, help="Follow links to files and folders outside the folders given.")
@friendly
def ingest(paths: tuple[Path, ...], prune: bool, quiet: bool, follow_links: bool) -> None:
    """Add articles (files or folders of .txt .md .html .json .jsonl) to the index.

    With no PATHS, the bundled sample corpus."""
    from app.factory import ingest_paths
    from ingest.load import find_files
    from ingest.progress import progress

    paths = paths or (SAMPLE_CORPUS,)
    files = find_files(paths, follow_links)
    if not files:
        raise BadInput(f"no files found in {', '.join(map(str, paths))}")
    with progress(total=len(files), unit="file", disable=quiet, desc="ingest", file=sys.stderr) as bar:
        report = ingest_paths(get_settings(), paths, prune=prune, progress=bar.update, follow_links=follow_links)
    for s in report.skipped:
        click.echo(f"skipped {s.path}: {s.reason}", err=True)
    click.echo(report.summary())


def _print_answer(ans, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(ans.to_json(), ensure_ascii=False))
        return
    click.echo(ans.answer)
    if ans.citations:
        click.echo("")
        for c in ans.citations:
            meta = ", ".join(x for x in (c.source, c.published) if x)
            click.echo(f"[{c.marker}] {c.title}" + (f" ({meta})" if meta else "") + f" — {c.path}")
    for w in ans.warnings:
        click.echo(f"warning: {w}", err=True)


@cli.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per answer.")
@click.option("--k", type=click.IntRange(1, 50), default=None, help="Passages to retrieve (HOIDAP_TOP_K).")
@click.option("--batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='JSONL file of {"question": ..., "history": [...]} lines.')
@click.option("--mode", type=click.Choice(["extractive", "llm"]), default=None, help="Answer mode.")
@friendly
def ask(question: str | None, as_json: bool, k: int | None, batch: Path | None, mode: str | None) -> None:
    """Ask one question (or a --batch of them)."""
    from app.factory import build_assistant

    if batch is None and question is None:
        raise click.UsageError("give a QUESTION or --batch FILE.jsonl")
    assistant = build_assistant(get_settings())
    if mode == "llm" and assistant.llm is None:
        raise BadInput("--mode llm: no LLM is configured (set HOIDAP_LLM); use --mode extractive or leave it out")
    if batch is None:
        _print_answer(assistant.answer(question, k=k, mode=mode), as_json)
        return
    for n, line in enumerate(batch.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            ans = assistant.answer(item["question"], item.get("history") or [], k=k, mode=mode)
            _print_answer(ans, as_json)
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            err = {"line": n, "error": f"bad batch line: {e}"}
            click.echo(json.dumps(err, ensure_ascii=False) if as_json else f"line {n}: {err['error']}")
        except HoidapError as e:
            err = {"line": n, "error": str(e)}
            click.echo(json.dumps(err, ensure_ascii=False) if as_json else f"line {n}: {e}")


@cli.group()
def index() -> None:
    """Inspect or reset the index."""


@index.command()
@click.option("--json", "as_json", is_flag=True)
@friendly
def stats(as_json: bool) -> None:
    """What the index holds."""
    from app.factory import open_store

    st = open_store(get_settings()).stats()
    if as_json:
        click.echo(json.dumps(st, ensure_ascii=False))
    else:
        for k, v in st.items():
            click.echo(f"{k:>14}: {v}")


@index.command()
@click.option("--yes", is_flag=True, help="Don't ask.")
@friendly
def reset(yes: bool) -> None:
    """Delete the index (articles must be ingested again)."""
    import shutil

    s = get_settings()
    if not yes:
        click.confirm(f"Delete the index in {s.home}?", abort=True)
    from app.factory import open_store

    try:
        open_store(s).reset()
    except HoidapError as e:  # a damaged index can still be removed
        click.echo(f"hoidap: {e}; removing the files", err=True)
        if s.chroma_url:
            raise
        for p in ("chroma", "lexical", "catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"):
            target = s.home / p
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
    click.echo("index reset")


@cli.command()
@click.option("--scale", type=int, default=None, help="Synthetic corpus of N articles instead of the sample.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write the results as JSON here.")
@click.option("--repeat", type=int, default=20, help="Times each question is asked.")
@click.option("--corpus", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="With --scale: build the synthetic articles from this folder instead of the sample.")
@click.option("--web", is_flag=True, help="Time the chat server instead: start-up and /api/ask with 1 and 8 clients.")
@friendly
def bench(scale: int | None, out: Path | None, repeat: int, corpus: Path | None, web: bool) -> None:
    """Measure ingest time, re-ingest, ask latency and memory on this machine."""
    if web:
        from eval.web_bench import run_web_bench

        result = run_web_bench(get_settings())
    elif scale:
        from eval.scale import run_scale

        result = run_scale(get_settings(), scale, out, corpus=corpus)
    else:
        from eval.bench import run_bench

        result = run_bench(get_settings(), repeat=repeat)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")


@cli.command("eval")
@click.option("--dataset", type=click.Path(path_type=Path), multiple=True,
              help="Gold set JSONL (see eval/datasets/README.md); 'gold' = the bundled one. Repeat for "
                   "several sets, each reported on its own. Default: bundled.")
@click.option("--squad", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A SQuAD-format JSON file (e.g. xquad.vi.json) to benchmark on.")
@click.option("--split", type=click.Choice(["all", "train", "test"]), default="all", show_default=True,
              help="SQuAD questions of the first half of the articles (train), the rest (test), or all.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Report folder (default reports/<time>).")
@click.option("--systems", default=None, help="hybrid,dense,bm25,llamaindex,llm (default: all but llm).")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most N questions (SQuAD: seeded sample).")
@click.option("--feedback", "feedback_export", type=click.Path(path_type=Path), default=None,
              help="Only export the chat/Slack feedback as a gold-set JSONL to this file.")
@friendly
def eval_cmd(dataset, squad, out, systems, limit, feedback_export, split) -> None:
    """Score answers and retrieval on gold sets (and SQuAD), side by side with baselines."""
    from eval.runner import main as run_eval

    names = [n.strip() for n in systems.split(",") if n.strip()] if systems else None
    sys.exit(run_eval(get_settings(), list(dataset), squad, out, names, limit, feedback_export, split=split))


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=3000, show_default=True,
              help="HTTP port for Slack's Events API (ignored in Socket Mode).")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@friendly
def slack(port: int, host: str) -> None:
    """Run the Slack bot: Socket Mode if SLACK_APP_TOKEN is set, else HTTP at /slack/events."""
    from app.factory import build_assistant
    from app.slack.bot import check_settings, serve

    s = get_settings()
    check_settings(s)  # before loading the index: a missing token is the likelier mistake
    serve(s, build_assistant(s), port=port, host=host)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="HTTP port.")
@friendly
def chat(host: str, port: int) -> None:
    """Serve the chat page and its API (ingests the sample articles first if the index is empty)."""
    from app.web.service import serve

    serve(get_settings(), host=host, port=port)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
