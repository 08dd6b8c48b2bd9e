"""What one template source says: does it compile (and where not), how big, which variables."""

from __future__ import annotations

from functools import lru_cache

from django.template import Engine, TemplateSyntaxError, engines
from django.template.base import FilterExpression, Node, Variable
from django.template.defaulttags import ForNode, WithNode
from django.template.smartif import TokenBase
from django.template.utils import InvalidTemplateEngineError
from django.utils.translation import gettext as _

from ..conf import post_office_settings
from ..errors import InvalidTemplateError
from ..rendering.templates import check_template_source

SOURCE_FIELDS = ("subject", "content", "html_content")
# Gmail clips messages over ~100 KB; a million characters is far beyond any real template and
# keeps a pasted (or imported) monster from being compiled on every request.
MAX_SOURCE_CHARS = 1_000_000
MAX_SUBJECT_CHARS = 255
# Names that a template can use without the context providing them.
_IMPLICIT_NAMES = frozenset({"forloop", "block", "True", "False", "None"})


def source_error(source: str, field: str = "content") -> str | None:
    """Why ``source`` cannot be used as ``field`` of a template (size, then syntax), or None."""
    source = source or ""
    limit = MAX_SUBJECT_CHARS if field == "subject" else MAX_SOURCE_CHARS
    if len(source) > limit:
        return _("Too long: %(length)s characters, at most %(limit)s are allowed.") % {
            "length": f"{len(source):,}", "limit": f"{limit:,}"}
    try:
        check_template_source(source)
    except InvalidTemplateError as exc:
        return str(exc)
    return None


def _engine() -> Engine:
    try:
        return engines[post_office_settings.template_engine].engine
    except (InvalidTemplateEngineError, AttributeError):
        return Engine.get_default()


def template_variables(source: str) -> set[str]:
    """Top-level context names ``source`` reads (``{{ user.name }}`` -> ``user``).

    Names bound inside the template (``{% for x in ... %}``, ``{% with y=... %}``) are left out.
    A source that does not compile uses no variables as far as this is concerned.
    """
    if not source:
        return set()
    try:
        compiled = _engine().from_string(source)
    except (TemplateSyntaxError, InvalidTemplateError):
        return set()
    used: set[str] = set()
    bound: set[str] = set()
    _walk(compiled.nodelist, used, bound, set())
    return used - bound - _IMPLICIT_NAMES


def _walk(obj: object, used: set[str], bound: set[str], seen: set[int]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, FilterExpression):
        _walk(obj.var, used, bound, seen)
        for _func, args in obj.filters:
            for is_lookup, arg in args:
                if is_lookup:
                    _walk(arg, used, bound, seen)
    elif isinstance(obj, Variable):
        if obj.lookups:
            used.add(obj.lookups[0])
    elif isinstance(obj, (Node, TokenBase)):
        if isinstance(obj, ForNode):
            bound.update(obj.loopvars)
        elif isinstance(obj, WithNode):
            bound.update(obj.extra_context)
        for value in vars(obj).values():
            _walk(value, used, bound, seen)
    elif isinstance(obj, dict):
        for value in obj.values():
            _walk(value, used, bound, seen)
    elif isinstance(obj, (list, tuple)):  # NodeList, conditions, args
        for value in obj:
            _walk(value, used, bound, seen)


@lru_cache(maxsize=4)
def _debug_twin(libraries: tuple, builtins: tuple) -> Engine:
    return Engine(debug=True, libraries=dict(libraries), builtins=list(builtins))


def debug_engine() -> Engine:
    """The configured engine's twin with ``debug=True``: only debug engines say where an error is."""
    configured = _engine()
    extra = tuple(b for b in configured.builtins if b not in Engine.default_builtins)
    return _debug_twin(tuple(sorted(configured.libraries.items())), extra)
