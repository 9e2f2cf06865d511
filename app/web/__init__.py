"""The web front end: one FastAPI app with the Gradio chat page, the REST API and the
OpenAI-compatible API, all answering through one ``WebService`` (``service``).

``service`` (WebService, serve) · ``chat_ui`` (the Gradio page) · ``chat_text`` (its wording, CSS,
script) · ``api`` (REST + OpenAI routes) · ``format`` (answers as Markdown / OpenAI content) ·
``server`` (the HTTP server: limits, timeouts, error shape).
"""
