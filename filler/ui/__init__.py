"""`filler ui`: a local web page over `filler.api`, from an idea to a filled package.

    server.py     serve(): the per-run token, a free port on 127.0.0.1, the browser, Ctrl-C
    routes.py     the Starlette app: the pages and their JSON endpoints, the token check
    jobs.py       one fill or update at a time in a thread; its progress as events; stop
    watch.py      the fill's provider, telling what each unit's calls are doing meanwhile
    review.py     per unit: the body as a diff against its stub, with the lock and the run
    workspace.py  paths the page names, kept inside the folder `filler ui` serves; the zip

Everything here is imported by `filler ui` alone: `filler --help` loads none of it.
"""

from __future__ import annotations

__all__: list[str] = []
