"""Amazon SNS message authenticity: which hosts we trust, the string SNS signs, the signature.

SNS signs each message with a key whose X.509 certificate it publishes at ``SigningCertURL``
(SignatureVersion 1: RSA PKCS#1 v1.5 over SHA1, version 2: over SHA256). A certificate or a
``SubscribeURL`` is only ever fetched from ``https://sns.<region>.amazonaws.com[.cn]``, so a forged
message cannot make us fetch, or trust, anything else. ``TEST_SNS_HOSTS`` (a list of
``host:port``, plain HTTP allowed) exists for test suites, which stand a loopback server in.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
import urllib.error
import urllib.request
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigurationError

logger = logging.getLogger("post_office.webhooks")

# sns.us-east-1.amazonaws.com, sns.us-gov-west-1.amazonaws.com, sns.cn-north-1.amazonaws.com.cn
SNS_HOST = re.compile(r"^sns\.[a-z]{2}(-[a-z]+)+-\d{1,2}\.amazonaws\.com(\.cn)?$")

# The keys SNS signs, in the order it signs them (alphabetical), per message type.
SIGNED_KEYS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
FETCH_TIMEOUT = 5.0
_CACHE_SIZE = 32


def is_trusted_url(url: str, test_hosts: list[str] | tuple[str, ...] = ()) -> bool:
    """True for ``https://sns.<region>.amazonaws.com/...``, or any URL on a ``TEST_SNS_HOSTS`` entry."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.username or parts.password:
        return False
    host = (parts.hostname or "").lower()
    if parts.netloc.lower() in {h.lower() for h in test_hosts}:
        return parts.scheme in ("http", "https")
    return parts.scheme == "https" and port in (None, 443) and bool(SNS_HOST.match(host))


def string_to_sign(payload: dict[str, Any]) -> str | None:
    """What SNS signed: ``key\\nvalue\\n`` for each signed key present. None for unknown types."""
    keys = SIGNED_KEYS.get(payload.get("Type", ""))
    if keys is None:
        return None
    return "".join(f"{key}\n{payload[key]}\n" for key in keys if payload.get(key) is not None)


def verify(payload: dict[str, Any], test_hosts: list[str] | tuple[str, ...] = ()) -> bool:
    """True if ``payload`` carries a valid SNS signature. Never raises for bad input."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError:
        raise ConfigurationError(
            "POST_OFFICE['WEBHOOKS']['SES']['VERIFY_SIGNATURE'] needs the 'cryptography' package "
            "(pip install 'post_office[ses]')."
        ) from None

    algorithm = {"1": hashes.SHA1, "2": hashes.SHA256}.get(str(payload.get("SignatureVersion", "")))
    cert_url, signed = payload.get("SigningCertURL"), string_to_sign(payload)
    if algorithm is None or not isinstance(cert_url, str) or signed is None:
        logger.warning("SNS message without a usable SignatureVersion, SigningCertURL or Type.")
        return False
    if not is_trusted_url(cert_url, test_hosts) or not urlsplit(cert_url).path.endswith(".pem"):
        logger.warning("SNS SigningCertURL %r is not an Amazon SNS certificate URL.", cert_url)
        return False
    try:
        signature = base64.b64decode(payload.get("Signature") or "", validate=True)
    except (binascii.Error, ValueError):
        return False
    key = _certificate_key(cert_url)
    if not isinstance(key, rsa.RSAPublicKey) or not signature:
        return False
    try:
        key.verify(signature, signed.encode(), padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        return False
    return True


def fetch(url: str) -> bytes:
    """GET ``url`` without following redirects (a redirect could leave the trusted host)."""
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(url, timeout=FETCH_TIMEOUT) as response:
        return response.read(1_000_000)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's API
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {newurl} refused", headers, fp)


_certificates: OrderedDict[str, Any] = OrderedDict()
_lock = threading.Lock()


def _certificate_key(url: str):
    """The public key of the certificate at ``url``; fetched once per process, then cached.

    SNS rotates certificates by publishing them under a new URL, so a URL's content never changes.
    Failures are not cached: the next message tries again.
    """
    with _lock:
        if url in _certificates:
            _certificates.move_to_end(url)
            return _certificates[url]
    from cryptography import x509

    try:
        certificate = x509.load_pem_x509_certificate(fetch(url))
    except (OSError, ValueError) as exc:
        logger.warning("Could not load the SNS signing certificate %s: %s", url, exc)
        return None
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        logger.warning("The SNS signing certificate %s is not valid now.", url)
        return None
    key = certificate.public_key()
    with _lock:
        _certificates[url] = key
        while len(_certificates) > _CACHE_SIZE:
            _certificates.popitem(last=False)
    return key


def clear_certificate_cache() -> None:
    """Forget fetched certificates (tests; or after a key compromise)."""
    with _lock:
        _certificates.clear()
