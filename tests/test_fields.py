"""CommaSeparatedEmailField's splitting: the fast path for plain lists gives what the full parser gives."""

from __future__ import annotations

import random

import pytest

from post_office.fields import split_addresses


def _parse_fully(value: str) -> list[str]:
    # Force the quote- and bracket-aware parser by hiding a '"' check from the fast path.
    class Quoted(str):
        def __contains__(self, item):
            return item == '"' or str.__contains__(self, item)

    return split_addresses(Quoted(value))


@pytest.mark.parametrize("value, expected", [
    ("", []), ("a@x.com", ["a@x.com"]), (" a@x.com , b@y.org,", ["a@x.com", "b@y.org"]),
    ('"Doe, John" <j@x.com>, b@y.org', ['"Doe, John" <j@x.com>', "b@y.org"]),
    ("Jo <j@x.com>, <k,l@y.org>", ["Jo <j@x.com>", "<k,l@y.org>"]),
])
def test_split_addresses(value, expected):
    assert split_addresses(value) == expected


def test_the_fast_path_agrees_with_the_parser_on_plain_lists():
    rnd = random.Random(3)
    alphabet = "abc@.,  xyz-_+'\\"
    for _ in range(3000):
        value = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 30)))
        assert split_addresses(value) == _parse_fully(value), value
