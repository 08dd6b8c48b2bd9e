"""The console in dark mode (the browser prefers a dark color scheme, as unfold follows it):
every text the console shows is readable on what is behind it, and email previews keep the
light page the email was written for."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from post_office import mail
from post_office.models import STATUS, Email, EmailTemplate, Log
from tests.browser.conftest import PASSWORD, log_in

pytestmark = pytest.mark.browser

# WCAG contrast of each visible text under ``root`` against the first mostly opaque background
# behind it, below ``minimum`` (icons, Material Symbols ligatures, below ``iconMinimum``). Colors
# go through a canvas, which reads any CSS color syntax (rgb(), oklch(), color-mix() ...).
UNREADABLE_TEXTS = """
({root, minimum, iconMinimum}) => {
  const canvas = document.createElement('canvas'); canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = (css) => {
    ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = '#000'; ctx.fillStyle = css; ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data; return {r, g, b, a: a / 255};
  };
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const luminance = ({r, g, b}) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const color = getComputedStyle(e).backgroundColor;
      if (color && color !== 'transparent' && rgba(color).a > 0.5) return rgba(color);
    }
    return rgba(getComputedStyle(document.documentElement).backgroundColor || '#fff');
  };
  const unreadable = [];
  const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const element = walker.currentNode.parentElement;
    if (!text || !element || element.closest('script, style, noscript, template')) continue;
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    if (!box.width || !box.height || style.visibility === 'hidden' || +style.opacity === 0) continue;
    const [fg, bg] = [luminance(rgba(style.color)), luminance(background(element))];
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const icon = element.closest('.material-symbols-outlined');
    if (ratio < (icon ? iconMinimum : minimum)) unreadable.push(`${text.slice(0, 40)} (${ratio.toFixed(2)}:1)`);
  }
  return unreadable;
}
"""


OURS = {"root": "#content", "minimum": 4.5, "iconMinimum": 3}
EVERYTHING = {"root": "body", "minimum": 3, "iconMinimum": 3}


@pytest.fixture
def dark_page(browser, live_server, transactional_db):
    # A superuser: every page at its fullest (the studio's editor, the backends' test buttons).
    admin = User.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    context = browser.new_context(color_scheme="dark", viewport={"width": 1360, "height": 900})
    page = context.new_page()
    log_in(page, live_server.url, admin.username)
    yield page
    context.close()


def page_background(page) -> float:
    """Relative luminance of the page's own background (0 black .. 1 white)."""
    return page.evaluate("""() => {
      const c = document.createElement('canvas').getContext('2d');
      c.fillStyle = getComputedStyle(document.body).backgroundColor; c.fillRect(0, 0, 1, 1);
      const [r, g, b] = c.getImageData(0, 0, 1, 1).data;
      return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    }""")


def test_every_console_page_is_readable_in_dark_mode(dark_page, live_server):
    sent = mail.send(recipients=["customer@example.com"], sender="shop@example.com", subject="Your order",
                     message="Thanks", html_message="<h1>Thanks</h1><p>Your order is on its way.</p>")
    Email.objects.filter(pk=sent.pk).update(status=STATUS.sent)
    failed = mail.send(recipients=["bounce@example.com"], sender="shop@example.com", subject="Oops", message="x")
    Email.objects.filter(pk=failed.pk).update(status=STATUS.failed)
    Log.objects.create(email=failed, status=STATUS.failed, exception_type="SMTPRecipientsRefused",
                       message="550 no such user")
    template = EmailTemplate.objects.create(name="welcome", subject="Hi {{ name }}", content="Hello {{ name }}",
                                            html_content="<p>Hello {{ name }}</p>")
    EmailTemplate.objects.create(name="welcome", language="de", default_template=template, subject="Hallo",
                                 content="Hallo {{ name }}")
    pages = {
        "dashboard": "/admin/",
        "email list": "/admin/post_office/email/",
        "failed emails": f"/admin/post_office/email/?status={STATUS.failed}",
        "email detail": f"/admin/post_office/email/{sent.pk}/change/",
        "failed email detail": f"/admin/post_office/email/{failed.pk}/change/",
        "logs": "/admin/post_office/log/",
        "backends": "/admin/post_office/deliverystat/",
        "templates": "/admin/post_office/emailtemplate/",
        "template studio": f"/admin/post_office/emailtemplate/{template.pk}/change/",
    }
    for name, path in pages.items():
        assert dark_page.goto(live_server.url + path).status == 200, name
        dark_page.wait_for_load_state("networkidle")
        assert page_background(dark_page) < 0.25, f"{name}: not dark"
        # What this package draws (the page's content): WCAG AA, 4.5:1 for text, 3:1 for icons.
        assert dark_page.evaluate(UNREADABLE_TEXTS, OURS) == [], name
        # unfold's own frame (its sidebar's current item is 4.3:1): at least 3:1.
        assert dark_page.evaluate(UNREADABLE_TEXTS, EVERYTHING) == [], name

    # The email itself keeps the light page its HTML was written for.
    dark_page.goto(f"{live_server.url}/admin/post_office/email/{sent.pk}/change/")
    frame = dark_page.frame_locator("iframe[data-testid=po-preview]")
    frame.locator("h1").wait_for()
    in_the_email = {"root": "body", "minimum": 4.5, "iconMinimum": 3}
    assert frame.locator("body").evaluate(f"(body, options) => ({UNREADABLE_TEXTS})(options)", in_the_email) == []
    assert frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(255, 255, 255)"
