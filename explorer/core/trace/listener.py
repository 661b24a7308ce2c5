"""The explorer's end of a traced job's channel: a Unix socket that every process of the job
(each rank, each DataLoader worker) connects to, each sending length-prefixed pickled lists
of plain messages (dicts of numbers, strings, bytes). They are read on a thread of the
listener's own and handed to ``on_messages``; nothing the job sends can run code here (the
unpickler refuses every class)."""

from __future__ import annotations

import io
import logging
import os
import pickle
import selectors
import socket
import struct
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_FRAME = 64 << 20


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"a trace message may not hold {module}.{name}")


def loads(data: bytes) -> Any:
    return _PlainUnpickler(io.BytesIO(data)).load()


class Listener:
    def __init__(self, on_messages: Callable[[list[dict[str, Any]]], None]) -> None:
        self._on_messages = on_messages
        self._dir = tempfile.mkdtemp(prefix="dle-trace-")
        self.path = str(Path(self._dir) / "events.sock")
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.path)
        self._server.listen(64)
        self._server.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._server, selectors.EVENT_READ, None)
        self._buffers: dict[socket.socket, bytearray] = {}
        self._stop = threading.Event()
        self.connections = 0
        self.refused = 0  # frames that were not plain messages
        self._thread = threading.Thread(target=self._run, name="trace-listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):
                if key.fileobj is self._server:
                    self._accept()
                else:
                    self._read(key.fileobj)  # type: ignore[arg-type]

    def _accept(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        conn.setblocking(False)
        self._buffers[conn] = bytearray()
        self._selector.register(conn, selectors.EVENT_READ, None)
        self.connections += 1

    def _read(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(1 << 20)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        buffer = self._buffers[conn]
        buffer += data
        while len(buffer) >= 4:
            (size,) = struct.unpack("!I", buffer[:4])
            if size > MAX_FRAME:
                self._drop(conn)
                return
            if len(buffer) < 4 + size:
                break
            frame = bytes(buffer[4 : 4 + size])
            del buffer[: 4 + size]
            try:
                messages = loads(frame)
            except Exception:  # a frame that is not plain data: refused, counted
                self.refused += 1
                continue
            if isinstance(messages, list):
                try:
                    self._on_messages([m for m in messages if isinstance(m, dict)])
                except Exception:
                    log.exception("a trace message could not be taken")

    def _drop(self, conn: socket.socket) -> None:
        self._selector.unregister(conn)
        self._buffers.pop(conn, None)
        conn.close()

    def close(self, drain_s: float = 0.3) -> None:
        """Read what is still in flight (up to ``drain_s``), then close everything."""
        self._stop.wait(drain_s)
        self._stop.set()
        self._thread.join(5)
        for conn in list(self._buffers):
            self._drop(conn)
        self._selector.close()
        self._server.close()
        try:
            os.unlink(self.path)
            os.rmdir(self._dir)
        except OSError:
            pass
