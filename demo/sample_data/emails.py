"""Create the demo's emails through post_office's public API, as an application would.

Everything is queued here; :mod:`demo.sample_data.history` then spreads the emails over the
last 30 days and gives them their statuses and logs.
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.template.loader import get_template

from post_office import mail
from post_office.conf import post_office_settings
from post_office.models import Email

from .people import Person, person
from .templates import template_languages

# Every demo email carries this header: it is how the loader recognises (and resets) its rows.
DEMO_HEADER = "X-Post-Office-Demo"
SITE = "Post Office Demo"
STATIC_DIR = Path(__file__).resolve().parents[2] / "static" / "post_office_demo"
PRODUCTS = [("Espresso beans 1 kg", Decimal("24.90")), ("Ceramic mug", Decimal("12.50")),
            ("Pour-over kettle", Decimal("49.00")), ("Paper filters (100)", Decimal("4.20")),
            ("Hand grinder", Decimal("69.00")), ("Gift card", Decimal("25.00"))]
ARTICLES = [
    {"title": "Faster delivery in your region", "summary": "Orders now ship from three new warehouses."},
    {"title": "Meet the roasters", "summary": "Five small roasters we work with, and what they brew at home."},
    {"title": "Descaling, done right", "summary": "A two-minute routine that keeps your kettle going for years."},
    {"title": "Winter blend is back", "summary": "Dark chocolate, orange peel and a long finish."},
]


def _aliases() -> list[str]:
    return sorted(post_office_settings.backends)


def _alias(rng: random.Random, preferred: str) -> str:
    aliases = _aliases()
    if preferred in aliases:
        return preferred
    return rng.choice(aliases)


def _language(rng: random.Random, template: str) -> str:
    """'' (the default template, English) or one of the template's enabled translations."""
    return rng.choice(["", "", *template_languages(template)])


def _headers(kind: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {DEMO_HEADER: kind, **(extra or {})}


def _context(kind: str, who: Person, rng: random.Random, number: int) -> dict:
    base = {"name": who.first_name, "site_name": SITE}
    if kind == "welcome":
        return {**base, "login_url": "https://shop.example.com/login/"}
    if kind == "password_reset":
        token = f"{rng.getrandbits(64):016x}"
        return {**base, "reset_url": f"https://shop.example.com/reset/{token}/", "valid_hours": 24}
    if kind == "order_confirmation":
        lines = [{"name": name, "qty": rng.randint(1, 3), "price": str(price)}
                 for name, price in rng.sample(PRODUCTS, rng.randint(1, 3))]
        total = sum(Decimal(line["price"]) * line["qty"] for line in lines)
        return {**base, "order_number": f"A-{10400 + number}", "items": lines, "total": str(total),
                "currency": "EUR"}
    issue = rng.randint(40, 44)
    return {**base, "issue": issue, "headline": "The Post Office Demo monthly",
            "articles": [{**a, "url": f"https://shop.example.com/blog/{issue}/{i}/"} for i, a in enumerate(ARTICLES)],
            "unsubscribe_url": f"https://shop.example.com/unsubscribe/{rng.getrandbits(48):012x}/"}


def transactional(rng: random.Random, count: int) -> list[Email]:
    """Welcome, password reset and order confirmations, queued with one ``send_many()``."""
    kinds = ["welcome", "password_reset", "order_confirmation"]
    batch = []
    for number in range(count):
        kind = rng.choice(kinds)
        language = _language(rng, kind)
        who = person(rng, language or "en")
        kwargs = {
            "recipients": [who.recipient(with_name=rng.random() < 0.5)],
            "sender": f"{SITE} <{'orders' if kind == 'order_confirmation' else 'hello'}@example.com>",
            "template": kind, "language": language, "context": _context(kind, who, rng, number),
            "priority": rng.choice(["high", "medium", "medium"]),
            "backend": _alias(rng, "transactional"), "headers": _headers(kind),
            # Some store only the context and render when delivered (render_on_delivery).
            "render_on_delivery": rng.random() < 0.15,
        }
        if kind == "order_confirmation" and rng.random() < 0.3:
            kwargs["bcc"] = ["archive@example.com"]
        batch.append(kwargs)
    return mail.send_many(batch)


def orders_with_attachments(rng: random.Random, count: int) -> list[Email]:
    """Order confirmations with attachments in all three forms of ``mail.send(attachments=...)``."""
    emails = []
    for number in range(count):
        language = _language(rng, "order_confirmation")
        who = person(rng, language or "en")
        context = _context("order_confirmation", who, rng, 500 + number)
        invoice = f"INV-{context['order_number']}"
        emails.append(mail.send(
            who.recipient(with_name=True), f"{SITE} <orders@example.com>", template="order_confirmation",
            language=language, context=context, backend=_alias(rng, "transactional"),
            headers=_headers("order_confirmation", {"Reply-To": "Customer care <care@example.com>"}),
            attachments={
                # The dict form: mimetype and headers of the MIME part.
                f"{invoice}.pdf": {"file": ContentFile(_invoice_pdf(invoice, context["total"])),
                                   "mimetype": "application/pdf",
                                   "headers": {"X-Invoice-Number": invoice}},
                "receipt.txt": ContentFile(f"{invoice}: {context['total']} EUR paid by card.\n"),
                "logo.png": str(STATIC_DIR / "logo.png"),  # a path on disk
            },
        ))
    return emails


def newsletters(rng: random.Random, count: int) -> list[Email]:
    """The newsletter uses {% inline_image %}: each one carries the logo and banner as cid: parts."""
    emails = []
    for number in range(count):
        language = _language(rng, "newsletter")
        who = person(rng, language or "en")
        emails.append(mail.send(
            who.address, f"{SITE} <news@example.com>", template="newsletter", language=language,
            context=_context("newsletter", who, rng, number), priority="low",
            backend=_alias(rng, "bulk"),
            headers=_headers("newsletter", {"List-Unsubscribe": "<mailto:unsubscribe@example.com>"}),
        ))
    return emails


def through_django(rng: random.Random, count: int) -> list[Email]:
    """Django's own mail API with ``post_office.EmailBackend``: a file template with inline images
    (``template.attach_related``) and plain messages with Reply-To and cc.
    """
    before = set(Email.objects.filter(headers__has_key=DEMO_HEADER).values_list("pk", flat=True))
    connection = get_connection("post_office.EmailBackend")
    for number in range(count):
        who = person(rng, "en")
        if number % 2 == 0:
            template = get_template("post_office_demo/security_alert.html", using="post_office")
            html = template.render({
                "name": who.first_name, "device": rng.choice(["Firefox on Linux", "Safari on iPhone"]),
                "city": rng.choice(["Jakarta", "Berlin", "Leeds"]), "when": "Monday 09:12",
            })
            message = EmailMultiAlternatives(
                "New sign-in to your account", f"Hi {who.first_name}, we noticed a new sign-in.",
                f"{SITE} <security@example.com>", [who.address], connection=connection,
                headers=_headers("security_alert"), reply_to=["support@example.com"],
            )
            message.attach_alternative(html, "text/html")
            template.attach_related(message)
        else:
            message = EmailMessage(
                "Your data export is ready", f"Hi {who.first_name},\n\nyour export is attached.\n",
                f"{SITE} <hello@example.com>", [who.address], cc=["team-lead@example.org"],
                connection=connection, headers=_headers("data_export"), reply_to=["support@example.com"],
            )
            message.attach("export.csv", "date,orders,total\n2024-05-01,3,86.60\n2024-05-02,1,24.90\n", "text/csv")
        message.send()
    return list(Email.objects.filter(headers__has_key=DEMO_HEADER).exclude(pk__in=before))


def delivered_now(rng: random.Random, count: int) -> list[Email]:
    """priority='now': delivered inline by the configured backend (demo/mail/ in the demo)."""
    emails = []
    for _number in range(count):
        who = person(rng, "en")
        emails.append(mail.send(
            who.address, f"{SITE} <hello@example.com>", template="welcome",
            context=_context("welcome", who, rng, 0), priority="now", headers=_headers("welcome"),
        ))
    return emails


def _invoice_pdf(title: str, total: str) -> bytes:
    """A one-page PDF, written by hand so the demo needs no PDF library."""
    text = f"BT /F1 18 Tf 72 720 Td ({title}) Tj 0 -28 Td /F1 12 Tf (Total: {total} EUR) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
