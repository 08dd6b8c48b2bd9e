"""The exceptions post_office raises.

Every error derives from :class:`PostOfficeError`; each leaf also derives from the builtin it
resembles, so ``except ValueError`` written against django-post_office keeps working.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured, ValidationError


class PostOfficeError(Exception):
    """Root of every error raised by post_office."""


class ConfigurationError(PostOfficeError, ImproperlyConfigured):
    """A ``POST_OFFICE`` setting has a value post_office cannot use; the message names the key."""


class InvalidEmailError(PostOfficeError, ValidationError, ValueError):
    """An argument of ``mail.send()`` (an address, a priority, ...) is not acceptable.

    ``field`` names the argument so callers and the console can point at it. It is a
    ``ValidationError`` (as django-post_office raised for bad addresses) and a ``ValueError``
    (as it raised for a bad priority).
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}", code="invalid")

    def __str__(self) -> str:
        return self.message


class InvalidTemplateError(PostOfficeError, ValueError):
    """A template cannot be found or compiled."""


class MissingTranslationError(InvalidTemplateError):
    """A template has no translation in the requested language and ``STRICT_TRANSLATIONS`` is on."""


class AttachmentError(PostOfficeError, ValueError):
    """An attachment cannot be read or is malformed."""


class UnknownBackendError(PostOfficeError, ValueError):
    """A backend alias is not configured in ``POST_OFFICE['BACKENDS']``."""


class InvalidAttachmentError(InvalidEmailError, AttachmentError):
    """The ``attachments`` argument of ``mail.send()`` holds something unreadable or malformed."""

    def __init__(self, message: str) -> None:
        super().__init__("attachments", message)


class SuppressedRecipientError(PostOfficeError, ValueError):
    """A recipient hard-bounced or complained before and ``SUPPRESS_BOUNCED`` is on: the email
    fails without being sent (see :mod:`post_office.suppression`). ``addresses`` names them."""

    def __init__(self, addresses: list[str], message: str) -> None:
        self.addresses = addresses
        super().__init__(message)
