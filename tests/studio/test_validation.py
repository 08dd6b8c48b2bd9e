"""The family rules of post_office.templates_service.validation, without the admin."""

from __future__ import annotations

import pytest

from post_office.models import EmailTemplate
from post_office.templates_service.sources import MAX_SOURCE_CHARS, source_error, template_variables
from post_office.templates_service.validation import parse_sample_context, validate_family


def draft(language: str = "", subject: str = "", content: str = "", html_content: str = "") -> EmailTemplate:
    return EmailTemplate(language=language, subject=subject, content=content, html_content=html_content)


def test_unclosed_if_is_reported_with_its_line():
    message = source_error("Hello\n\n{% if vip %}\nGold", "content")
    assert message.startswith("Line 3:")
    assert "endif" in message


def test_oversized_source_is_refused_before_compiling():
    message = source_error("x" * (MAX_SOURCE_CHARS + 1), "html_content")
    assert "Too long" in message and "1,000,001" in message


def test_variables_ignore_names_bound_by_for_and_with():
    source = "{% for item in items %}{{ item.title }}{{ forloop.counter }}{% endfor %}" \
             "{% with total=order.total %}{{ total }}{% endwith %}{{ user.name|default:fallback }}" \
             "{% if vip and points > 3 %}x{% endif %}"
    assert template_variables(source) == {"items", "order", "user", "fallback", "vip", "points"}


def test_every_language_is_checked_and_errors_name_language_and_field():
    report = validate_family(
        draft(subject="Hi {{ name }}", content="ok"),
        [draft("id", subject="Halo", html_content="<p>{% if x %}</p>"), draft("de", content="{{ name|nosuchfilter }}")],
    )
    assert [(p.language, p.field) for p in report.errors] == [("id", "html_content"), ("de", "content")]
    assert report.errors[0].message.startswith("Line 1:")
    assert "nosuchfilter" in report.errors[1].message


def test_variable_drift_between_languages_is_a_warning_not_an_error():
    report = validate_family(
        draft(subject="Hi {{ name }}", content="Code {{ code }}"),
        [draft("id", subject="Halo {{ name }}", content="Kupon {{ coupon }}")],
    )
    assert report.ok
    assert [(w.language, w.message) for w in report.warnings] == [
        ("id", "uses {{ coupon }}, which the default template does not use."),
        ("id", "does not use {{ code }}, which the default template uses."),
    ]


def test_duplicate_and_unknown_languages_are_refused():
    report = validate_family(draft(), [draft("id"), draft("id"), draft("xx")])
    assert [(p.language, p.field) for p in report.errors] == [("id", "language"), ("xx", "language")]
    assert "settings.LANGUAGES" in report.errors[1].message


@pytest.mark.parametrize("raw, expected", [("", {}), (None, {}), ('{"a": [1, 2]}', {"a": [1, 2]})])
def test_sample_context_accepts_json_objects(raw, expected):
    assert parse_sample_context(raw) == expected


@pytest.mark.parametrize("raw, fragment", [
    ('{"name": "Ada",\n "code": }', "line 2, column"), ("[1, 2]", "JSON object"),
])
def test_sample_context_errors_say_where(raw, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_sample_context(raw)
