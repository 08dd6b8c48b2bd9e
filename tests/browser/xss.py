"""The shared XSS corpus (tests/data/xss/) and a watcher of what a hostile page did in Chromium.

Used by every console page that shows stored HTML: the email console (test_xss_corpus.py) and
the template studio (tests/studio/test_browser_studio.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

CORPUS = sorted((Path(__file__).resolve().parents[1] / "data" / "xss").glob("*.html"))
CORPUS_ATTACKER = "127.0.0.2:9"  # the loopback "attacker" the payloads are written against


def payloads(attacker: str = CORPUS_ATTACKER) -> list[tuple[str, str]]:
    """(name, html) of every payload, its attacker host:port replaced by ``attacker``."""
    return [(path.stem, path.read_text().replace(CORPUS_ATTACKER, attacker)) for path in CORPUS]


class Watch:
    """What a page (and its frames) did that it must not: dialogs, ``XSS`` console markers,
    navigations, requests off the server, ``window.__xss`` set in any frame."""

    def __init__(self, page, base_url: str) -> None:
        self.page, self.base_url = page, base_url
        self.dialogs: list[str] = []
        self.markers: list[str] = []
        self.navigations: list[str] = []
        self.requests: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda msg: "XSS" in msg.text and self.markers.append(msg.text))
        page.on("framenavigated", lambda frame: self.navigations.append(frame.url))
        # On the context: requests of popups and service workers count as well.
        page.context.on("request", lambda request: self.requests.append(request.url))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def reset(self) -> None:
        for seen in (self.dialogs, self.markers, self.navigations, self.requests):
            seen.clear()

    def foreign_requests(self) -> list[str]:
        origin = urlsplit(self.base_url).netloc
        return [url for url in self.requests
                if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != origin]

    def problems(self, url: str, allowed_frame: Callable[[str], bool]) -> list[str]:
        """Every violation seen since :meth:`reset`, for a page that should still be at ``url``;
        ``allowed_frame(url)`` says which frame navigations (the preview iframe's) are expected."""
        found = [f"dialog {d}" for d in self.dialogs] + [f"console {m}" for m in self.markers]
        found += [f"navigated to {u}" for u in self.navigations
                  if u not in (url, "about:blank") and not allowed_frame(u)]
        if self.page.url != url:
            found.append(f"left the page for {self.page.url}")
        found += [f"request to {u}" for u in self.foreign_requests()]
        for frame in self.page.frames:
            try:
                flag = frame.evaluate("() => window.__xss === undefined ? null : String(window.__xss)")
            except Exception:  # noqa: BLE001 - a frame without script access ran nothing either
                flag = None
            if flag is not None:
                found.append(f"window.__xss={flag} in {frame.url}")
        return found
