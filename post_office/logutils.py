"""``setup_loghandlers``: a console handler on the ``post_office`` logger (compatibility helper)."""

from __future__ import annotations

import logging


def setup_loghandlers(level: str | None = None) -> logging.Logger:
    logger = logging.getLogger("post_office")
    if not any(getattr(h, "_post_office", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(levelname)s]%(asctime)s PID %(process)d: %(message)s",
                                               "%Y-%m-%d %H:%M:%S"))
        handler._post_office = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level or "DEBUG")
    return logger
