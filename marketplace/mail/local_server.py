"""The embedded SMTP server: a real SMTP server on loopback that keeps every message it receives as a file.

With SMTP_URL unset, `make run` starts one (aiosmtpd, in a thread of the
launcher) and points the app's jobs at it; each message lands in
`<VAR_DIR>/mail/<UTC timestamp>-<id>.eml`, readable by any mail client or a
text editor. The tests start one on a temporary folder and read the files.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timezone
from pathlib import Path

from aiosmtpd.controller import Controller

LOOPBACK = "127.0.0.1"

# aiosmtpd logs every line of a conversation at DEBUG, message bodies included; the bodies hold
# one-time tokens, so nothing below a warning leaves this server.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class _KeepAsFiles:
    """aiosmtpd handler: each message becomes one .eml file, written whole before the 250 reply."""

    def __init__(self, folder: Path):
        self.folder = folder

    async def handle_DATA(self, server, session, envelope) -> str:
        name = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S.%fZ}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(envelope.original_content or envelope.content)
        # A rename is atomic: a reader never sees half a message.
        os.replace(partial, self.folder / name)
        return "250 Message accepted for delivery"


class LocalMailServer:
    """An SMTP server on a free loopback port, keeping messages under `folder`."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder).resolve()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        if self._controller is None:
            raise RuntimeError("the local mail server is not running")
        return f"smtp://{LOOPBACK}:{self._controller.port}"

    def start(self) -> str:
        """Start serving; return the SMTP_URL that reaches this server."""
        self._controller = Controller(_KeepAsFiles(self.folder), hostname=LOOPBACK, port=_free_loopback_port())
        self._controller.start()
        return self.url

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_loopback_port() -> int:
    # aiosmtpd's controller cannot listen on port 0 (it connects to its own port to check it is up).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]
