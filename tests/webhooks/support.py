"""Test stand-ins for Amazon: a loopback HTTP server on 127.0.0.2 and an SNS message signer.

The signer builds the string to sign from AWS's published description of SNS signatures, on
its own (not with the code under test), and signs with a self-signed certificate it serves.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

DATA = Path(__file__).resolve().parent.parent / "data" / "webhooks"
HOST = "127.0.0.2"


def load(name: str, **replace: str) -> str:
    """A payload fixture's text, with placeholders (e.g. MESSAGE_ID) replaced."""
    text = (DATA / name).read_text()
    for placeholder, value in replace.items():
        text = text.replace(placeholder, value)
    return text


class LoopbackServer:
    """Serves fixed bodies at fixed paths and counts the requests per path."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.hits: Counter[str] = Counter()
        routes, hits = self.routes, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's API
                hits[self.path] += 1
                status, body = routes.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def netloc(self) -> str:
        return f"{HOST}:{self.server.server_port}"

    def url(self, path: str) -> str:
        return f"http://{self.netloc}{path}"

    def start(self) -> LoopbackServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# The keys SNS signs per message type, from AWS's documentation of SNS message signatures.
_NOTIFICATION_KEYS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
_SUBSCRIPTION_KEYS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]


class SnsSigner:
    """Signs SNS messages with a fresh key whose self-signed certificate ``server`` serves."""

    def __init__(self, server: LoopbackServer, cert_path: str = "/SimpleNotificationService-test.pem") -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.us-east-1.amazonaws.com")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        server.routes[cert_path] = (200, certificate.public_bytes(serialization.Encoding.PEM))
        self.cert_path = cert_path
        self.cert_url = server.url(cert_path)

    def sign(self, message: dict, version: str = "1", cert_url: str | None = None) -> dict:
        message = dict(message, SignatureVersion=version, SigningCertURL=cert_url or self.cert_url)
        keys = _NOTIFICATION_KEYS if message["Type"] == "Notification" else _SUBSCRIPTION_KEYS
        text = "".join(f"{key}\n{message[key]}\n" for key in keys if key in message)
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), algorithm)
        message["Signature"] = base64.b64encode(signature).decode()
        return message


def sns_notification(ses_fixture: str, message_id: str) -> dict:
    """An unsigned SNS notification carrying an SES event fixture for ``message_id``."""
    envelope = json.loads(load("sns_notification.json"))
    envelope["Message"] = load(ses_fixture, MESSAGE_ID=message_id)
    return envelope
