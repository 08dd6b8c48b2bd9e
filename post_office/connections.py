"""Per-thread backend connections by alias (``from post_office.connections import connections``)."""

from __future__ import annotations

import threading

from django.core.mail import get_connection

from .conf import post_office_settings


class ConnectionHandler:
    """``connections['default']`` opens one connection per alias per thread and reuses it."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _pool(self) -> dict:
        if not hasattr(self._local, "connections"):
            self._local.connections = {}
        return self._local.connections

    def __getitem__(self, alias: str):
        pool = self._pool()
        if alias not in pool:
            connection = get_connection(post_office_settings.backend_path(alias))
            connection.open()
            pool[alias] = connection
        return pool[alias]

    def all(self) -> list:
        return list(self._pool().values())

    def close(self) -> None:
        pool = self._pool()
        for connection in pool.values():
            connection.close()
        pool.clear()


connections = ConnectionHandler()
