"""``python -m app.web [--host H] [--port P]``: the chat page and the APIs, as ``hoidap chat`` serves them."""

import runpy

runpy.run_module("app.web.service", run_name="__main__", alter_sys=True)
