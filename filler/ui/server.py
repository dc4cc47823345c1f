"""`filler ui`: serve the app on 127.0.0.1, behind a token made for this run, until Ctrl-C.

The socket is bound (and listening) before the URL is printed or the browser opened, so the
port is known and the first request waits in the backlog instead of being refused. On the way
out, a fill still running is stopped as Ctrl-C stops `filler fill`, and waited for.
"""

from __future__ import annotations

import secrets
import socket
import webbrowser
from collections.abc import Callable, Mapping
from pathlib import Path

from filler.errors import UserError

__all__ = ["HOST", "UiServer", "serve"]

HOST = "127.0.0.1"
_STOP_WAIT_S = 120.0  # a fill being stopped kills its test runs; that is quick


class UiServer:
    """The app on a bound loopback socket: `url` (with the token) is known before `run`."""

    def __init__(
        self, root: Path, *, port: int = 0, environ: Mapping[str, str] | None = None
    ) -> None:
        import uvicorn

        from filler.ui.routes import create_app

        self.token = secrets.token_urlsafe(24)
        self._listener = _listen(port)
        self.app = create_app(root, self.token, environ)
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                # An open event stream would otherwise hold the shutdown up.
                timeout_graceful_shutdown=1,
            )
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._listener.getsockname()[1]}/?token={self.token}"

    @property
    def started(self) -> bool:
        return self._server.started

    def run(self) -> None:
        """Serve until `stop` or Ctrl-C (in the main thread); then stop a running fill."""
        try:
            self._server.run(sockets=[self._listener])
        finally:
            self.app.state.jobs.stop()
            self.app.state.jobs.join(_STOP_WAIT_S)
            self._listener.close()

    def stop(self) -> None:
        self._server.should_exit = True


def serve(
    root: Path,
    *,
    port: int = 0,
    open_browser: bool = True,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the folder `root` until interrupted; `announce` gets the URL with its token."""
    server = UiServer(root, port=port)
    announce(server.url)
    if open_browser:
        webbrowser.open(server.url)
    server.run()


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((HOST, port))
    except OSError as exc:
        listener.close()
        raise UserError(
            f"--port {port}: {exc.strerror}; choose another port or leave --port out"
        ) from None
    listener.listen(128)
    return listener
