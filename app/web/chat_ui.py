"""The Gradio chat page: conversation on the left, numbered source cards on the right.

The conversation lives in a ``gr.State`` list of turns ({question, answer dict | None, error})
and the chat is re-drawn from it, rather than read back from the Chatbot: the Chatbot holds
escaped, linked markup, while follow-up questions need the raw answer text. Formatting is in
``app.web.format``; this module only wires components to ``WebService``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import gradio as gr

from app.assistant import Quick
from app.schema import Answer
from app.web.chat_text import UI, summary
from app.web.format import (
    answer_markdown,
    escape_markdown,
    iso_date,
    pieces,
    question_markdown,
    refining_markdown,
    sources_panel,
)
from index.types import Filters
from ingest.errors import HoidapError


def indexing_text(busy: dict | None, lang: str) -> str:
    return f"⏳ {UI[lang]['indexing'].format(**busy)}" if busy else ""


def theme() -> gr.themes.Base:
    # system fonts: the default theme fetches Google Fonts, which an offline machine cannot reach
    return gr.themes.Soft(
        font=["system-ui", "Segoe UI", "Roboto", "sans-serif"], font_mono=["ui-monospace", "monospace"]
    )


def render_chat(turns: list[dict], lang: str) -> list[dict]:
    msgs = []
    for n, t in enumerate(turns, 1):
        msgs.append({"role": "user", "content": question_markdown(t["question"])})
        if t.get("answer"):
            msgs.append({"role": "assistant", "content": answer_markdown(t["answer"], n, lang)})
        else:
            msgs.append({"role": "assistant", "content": f"⚠ {escape_markdown(t.get('error') or '')}"})
    return msgs


def panel(turns: list[dict], lang: str) -> str:
    return sources_panel([t.get("answer") for t in turns], lang)


def history_of(turns: list[dict]) -> list[dict]:
    out = []
    for t in turns:
        if t.get("answer"):
            out += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]["answer"]}]
    return out


def date_bound(value: str, end: bool, lang: str) -> str | None:
    """ISO date (or year / year-month) from a text box; a partial end date covers its whole period."""
    v = (value or "").strip()
    if not v:
        return None
    try:
        return iso_date(v, end)
    except ValueError as e:
        raise HoidapError(UI[lang]["bad_date"].format(v=v)) from e


def make_filters(province: str, source: str, date_from: str, date_to: str, lang: str) -> Filters | None:
    f = Filters(province=province or None, source=source or None,
                date_from=date_bound(date_from, False, lang), date_to=date_bound(date_to, True, lang))
    return None if f.empty() else f


def build_blocks(service) -> gr.Blocks:
    """The page; ``service`` is an ``app.web.WebService``."""
    ui = UI["vi"]
    facets = service.facets()

    def choices(values: list[str], lang: str) -> list[tuple[str, str]]:
        return [(UI[lang]["all"], "")] + [(v, v) for v in values]

    with gr.Blocks(title="hoidap", fill_height=True) as demo:
        turns = gr.State([])
        busy = service.indexing
        banner = gr.Markdown(indexing_text(busy, "vi"), visible=busy is not None, elem_id="indexing")
        # polls the first start's progress; the page is served before the index is ready
        ticker = gr.Timer(1.0, active=busy is not None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=4, min_width=320):  # a min width lets the row wrap on phones
                title = gr.Markdown(f"{ui['title']}\n\n{ui['intro']}")
            lang = gr.Radio([("Tiếng Việt", "vi"), ("English", "en")], value="vi", show_label=False,
                            container=False, scale=0, min_width=240, elem_id="lang")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                # no visible label: Gradio floats it over the messages, which scroll under it
                chatbot = gr.Chatbot(label=ui["chat"], show_label=False, height=560, elem_id="chat", buttons=["copy"],
                                     feedback_options=("Like", "Dislike"), sanitize_html=True)
                with gr.Row():
                    box = gr.Textbox(placeholder=ui["placeholder"], show_label=False, scale=8, autofocus=True,
                                     max_lines=6, elem_id="question")
                    send = gr.Button(ui["send"], variant="primary", scale=1, min_width=80)
                    new = gr.Button(ui["new"], scale=2, min_width=190, elem_id="new-chat")
                shown = service.examples()
                examples = gr.Examples([[q] for q in shown] or [[""]], inputs=[box], label="Câu hỏi mẫu · Examples")
                examples.dataset.visible = bool(shown)
            with gr.Column(scale=2):
                sources = gr.HTML(panel([], "vi"), elem_id="sources")
                with gr.Accordion(ui["options"], open=False) as options:
                    province = gr.Dropdown(choices(facets["provinces"], "vi"), value="", label=ui["province"])
                    source = gr.Dropdown(choices(facets["sources"], "vi"), value="", label=ui["source"])
                    with gr.Row():
                        date_from = gr.Textbox(label=ui["date_from"], placeholder=facets["date_min"] or "")
                        date_to = gr.Textbox(label=ui["date_to"], placeholder=facets["date_max"] or "")
                    k = gr.Slider(1, 12, value=service.settings.top_k, step=1, label=ui["k"])
                    mode = gr.Radio([(ui["extractive"], "extractive"), (ui["llm"], "llm")],
                                    value="llm" if service.llm_available else "extractive", label=ui["mode"],
                                    interactive=service.llm_available,
                                    info=None if service.llm_available else ui["no_llm"])
                with gr.Accordion(ui["upload"], open=False) as upload:
                    files = gr.File(label=ui["files"], file_count="multiple", type="filepath",
                                    file_types=[".txt", ".md", ".html", ".htm", ".json", ".jsonl"])
                    ingest_btn = gr.Button(ui["ingest"])
                    status = gr.Markdown()

        def respond(message, state, lg, prov, src, dfrom, dto, kk, md):
            text = message or ""
            if not text.strip():
                gr.Warning(UI[lg]["empty_q"])
                yield render_chat(state, lg), text, state, panel(state, lg)
                return
            busy = service.indexing  # a question asked during the first start waits for the index
            live = render_chat(state, lg) + [
                {"role": "user", "content": question_markdown(text)},
                {"role": "assistant", "content": indexing_text(busy, lg) if busy else UI[lg]["searching"]},
            ]
            yield live, "", state, gr.skip()
            shown, turn, quick = "", None, None
            try:
                filters = make_filters(prov, src, dfrom, dto, lg)
                asked = service.stream(text, history_of(state), filters, int(kk) if kk else None, md, quick=True)
                for piece in asked:
                    if isinstance(piece, Answer):
                        turn = {"question": text, "answer": piece.to_json()}
                        continue
                    if isinstance(piece, Quick):
                        # an LLM is asked: the extractive answer and its cards at once, marked as quick;
                        # the LLM's checked answer replaces both when it is written
                        quick = (piece.answer.to_json(), piece.refining)
                        live[-1] = {"role": "assistant",
                                    "content": answer_markdown(quick[0], len(state) + 1, lg, refining=quick[1])}
                        yield live, "", state, panel(state + [{"question": text, "answer": quick[0]}], lg)
                        continue
                    # provisional text: an LLM's tokens, or the extractive answer revealed a little at a
                    # time; the final render replaces it with the checked text and linked markers
                    parts = pieces(piece)
                    for part in parts:
                        shown += part
                        content = (refining_markdown(quick[0], len(state) + 1, lg, quick[1], shown) if quick
                                   else escape_markdown(shown))
                        live[-1] = {"role": "assistant", "content": content}
                        yield live, "", state, gr.skip()
                        if len(parts) > 1:
                            time.sleep(0.02)
            except HoidapError as e:
                turn = {"question": text if len(text) <= 500 else text[:500] + "…", "answer": None, "error": str(e)}
            state = state + [turn or {"question": text, "answer": None, "error": UI[lg]["error"]}]
            yield render_chat(state, lg), "", state, panel(state, lg)

        def clear(lg):
            return [], "", [], panel([], lg)

        def on_like(state, lg, data: gr.LikeData, request: gr.Request):
            idx = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
            n = int(idx) // 2
            if not isinstance(data.liked, bool) or n >= len(state) or not state[n].get("answer"):
                return gr.skip()  # un-clicking a thumb, or a turn that failed: nothing to store
            t = dict(state[n])
            # remembered on the first click, so a changed vote updates its row instead of adding one
            t["feedback_id"] = t.get("feedback_id") or service.feedback.remember("web", t["question"], t["answer"])
            service.feedback.rate(t["feedback_id"], 1 if data.liked else -1,
                                  user=getattr(request, "session_hash", None), extra={"turn": n + 1})
            gr.Info(UI[lg]["thanks"])
            return state[:n] + [t] + state[n + 1:]

        def on_upload(paths, lg, progress=gr.Progress()):
            u = UI[lg]
            if not paths:
                return u["no_files"], gr.skip(), gr.skip(), gr.skip(), gr.skip()
            total = len(paths)
            done = [0]

            def step(n: int) -> None:
                done[0] += n
                progress((min(done[0], total), total), desc=u["ingesting"])

            try:
                report = service.add_uploads(paths, progress=step)
            except HoidapError as e:
                return f"⚠ {u['refused_upload']}: {escape_markdown(str(e))}", gr.skip(), gr.skip(), None, gr.skip()
            lines = [f"✓ {u['ingested']}: {escape_markdown(summary(report, lg))}"]
            lines += [
                f"- ⚠ {u['skipped']} {escape_markdown(Path(s.path).name)}: {escape_markdown(s.reason)}"
                for s in report.skipped
            ]
            f = service.facets()
            return ("\n".join(lines), gr.update(choices=choices(f["provinces"], lg)),
                    gr.update(choices=choices(f["sources"], lg)), None, example_update())

        def relabel(lg, state):
            u = UI[lg]
            f = service.facets()
            return (
                f"{u['title']}\n\n{u['intro']}", gr.update(placeholder=u["placeholder"]), gr.update(value=u["send"]),
                gr.update(value=u["new"]), gr.update(label=u["options"]), gr.update(label=u["upload"]),
                gr.update(label=u["province"], choices=choices(f["provinces"], lg)),
                gr.update(label=u["source"], choices=choices(f["sources"], lg)),
                gr.update(label=u["date_from"]), gr.update(label=u["date_to"]), gr.update(label=u["k"]),
                gr.update(label=u["mode"], choices=[(u["extractive"], "extractive"), (u["llm"], "llm")],
                          info=None if service.llm_available else u["no_llm"]),
                gr.update(label=u["files"]), gr.update(value=u["ingest"]),
                gr.update(label=u["chat"], value=render_chat(state, lg)), panel(state, lg),
            )

        def tick(lg):
            busy = service.indexing
            if busy is not None:
                shown = gr.update(value=indexing_text(busy, lg), visible=True)
                return shown, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return (gr.update(visible=False), *refresh_facets(lg), gr.Timer(active=False))

        def example_update():
            shown = service.examples()
            return gr.update(samples=[[q] for q in shown], visible=bool(shown))

        def refresh_facets(lg):
            f = service.facets()
            return (gr.update(choices=choices(f["provinces"], lg)), gr.update(choices=choices(f["sources"], lg)),
                    example_update())

        inputs = [box, turns, lang, province, source, date_from, date_to, k, mode]
        outputs = [chatbot, box, turns, sources]
        box.submit(respond, inputs, outputs, api_name="chat", concurrency_limit=16)
        # a clicked example is asked at once, not just copied into the box
        examples.load_input_event.then(respond, inputs, outputs, api_visibility="private", concurrency_limit=16)
        send.click(respond, inputs, outputs, api_visibility="private", concurrency_limit=16)
        new.click(clear, [lang], outputs, api_visibility="private")
        chatbot.clear(clear, [lang], outputs, api_visibility="private")
        chatbot.like(on_like, [turns, lang], [turns], api_visibility="private")
        ingest_btn.click(on_upload, [files, lang], [status, province, source, files, examples.dataset],
                         api_name="upload")
        lang.change(relabel, [lang, turns], [
            title, box, send, new, options, upload, province, source, date_from, date_to, k, mode, files,
            ingest_btn, chatbot, sources,
        ], api_visibility="private")
        demo.load(refresh_facets, [lang], [province, source, examples.dataset], api_visibility="private")
        ticker.tick(tick, [lang], [banner, province, source, examples.dataset, ticker], api_visibility="private",
                    show_progress="hidden")

        def ask(question: str, province: str = "", source: str = "", k: int = 0) -> str:
            """One question, no conversation; returns the answer JSON text (same as POST /api/ask).

            Text, not a dict: gradio_client takes any dict with a "path" key for a file to download.
            """
            try:
                f = make_filters(province, source, "", "", "en")
                return json.dumps(service.ask(question, None, f, int(k) or None).to_json(), ensure_ascii=False)
            except HoidapError as e:
                raise gr.Error(str(e)) from e

        gr.api(ask, api_name="ask")
    return demo
