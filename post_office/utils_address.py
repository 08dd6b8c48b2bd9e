"""Parsing of ``Name <user@example.com>`` addresses, shared by validators and the mail API."""

from __future__ import annotations

from email.utils import parseaddr


def split_address(value: str) -> str | None:
    """Return the bare address of ``value``, or None when it is not a single well-formed address."""
    value = value.strip()
    if not value or "\n" in value or "\r" in value:
        return None
    name, address = parseaddr(value)
    if not address or "@" not in address:
        return None
    # parseaddr silently drops text after a second address; refuse lists here.
    if value.count("@") > 1 and "<" not in value:
        return None
    return address
