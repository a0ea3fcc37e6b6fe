"""Build the server from the feature list and run it (``specpilot serve``)."""

from __future__ import annotations

import logging
import os
import sys

from specpilot.core.memory import freeze_heap
from specpilot.server.app import SpecPilotServer
from specpilot.server.features import FEATURES
from specpilot.server.logs import configure

log = logging.getLogger("specpilot.server")


def create_server() -> SpecPilotServer:
    server = SpecPilotServer()
    for feature in FEATURES:
        feature.register(server)
    return server


def _protocol_stdout() -> object:
    """The real stdout for the protocol; file descriptor 1 then points at stderr, so a
    stray print (ours, a library's, a worker process's) cannot corrupt the stream."""
    protocol_fd = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "wb", buffering=0)


def serve(tcp: tuple[str, int] | None = None) -> int:
    configure("info", None, None)
    server = create_server()
    freeze_heap()  # the imports are done: keep their objects out of every later collection
    try:
        if tcp is not None:
            log.warning("listening on %s:%d (for debugging; one client)", *tcp)
            server.start_tcp(*tcp)
        else:
            server.start_io(sys.stdin.buffer, _protocol_stdout())  # type: ignore[arg-type]
    finally:
        server.close()
    return 0
