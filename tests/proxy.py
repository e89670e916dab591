"""A TCP proxy in front of the test cluster that a test can cut and restore: the database going down and back.

Stopping the shared test cluster would break every other test of the session; this proxy gives
one app its own way to the database, on a loopback port, and :meth:`Proxy.cut` closes the port
and every connection through it (what a crashed or restarting server looks like to the app),
:meth:`Proxy.restore` opens it again on the same port.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from sqlalchemy.engine import URL, make_url

CHUNK = 1 << 16


class Proxy:
    """Forwards loopback TCP connections to a PostgreSQL server (unix socket or TCP)."""

    def __init__(self, server_url: str) -> None:
        url = make_url(server_url)
        host, port = str(url.query.get("host") or url.host or "127.0.0.1"), int(str(url.query.get("port") or url.port))
        self.upstream: str | tuple[str, int] = f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port)
        self.url = url
        self.port = 0
        self.listener: socket.socket | None = None
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.restore()

    def database_url(self, database: str) -> URL:
        """The URL of ``database`` through the proxy."""
        return URL.create("postgresql+psycopg", username=self.url.username, password=self.url.password,
                          host="127.0.0.1", port=self.port, database=database)  # fmt: skip

    def restore(self) -> None:
        """Listen again (on the same port once one was chosen)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Close the port and every connection through it."""
        with self.lock:
            listener, self.listener = self.listener, None
            sockets, self.sockets = self.sockets, set()
        for sock in (listener, *sockets):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            family = socket.AF_UNIX if isinstance(self.upstream, str) else socket.AF_INET
            server = socket.socket(family)
            try:
                server.connect(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                if self.listener is not listener:
                    client.close()
                    server.close()
                    return
                self.sockets |= {client, server}
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(CHUNK):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
