"""GET /privacy and GET /terms: the privacy policy and terms of use the store listing links to.

Amazon wants both URLs for a published skill; serving them from content (content/en-US/policies.yaml)
keeps the privacy page beside the code whose storage it describes, and lets an operator point the
manifest at their own host. Each page is one self-contained HTML document: no script, font,
image or stylesheet from anywhere else (the Content-Security-Policy says so to the browser), and
every text escaped, so content cannot inject markup. `backtwitch package` writes the same pages
to files for a host of the operator's choice (a Lambda skill has no web origin of its own).

The default locale's pages are /privacy and /terms, and every locale of its language (en-GB,
en-AU...) links those. A locale of another language has its own, in its words, under its name:
/es-US/privacy, /es-MX/terms (``page_path``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape

from flask import Blueprint, Response

from ..conversation.content import Content, LocaleContent
from ..conversation.locales import DEFAULT_LOCALE, language_of

PAGES = ("privacy", "terms")
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_STYLE = ("body{font:1.05rem/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;"
          "color:#1b1b1b;background:#fff}h1{font-size:1.6rem;line-height:1.3}p.skill{color:#555;margin:0}")


def policy_html(content: LocaleContent, page: str) -> str:
    """One policy page (`privacy` or `terms`) in `content`'s locale, as a whole HTML document."""
    text = content.policies[page]
    title, skill = _text(content.say(text["title"])), _text(content.say(content.store["name"]))
    paragraphs = "\n".join(f"<p>{_text(content.say(paragraph))}</p>" for paragraph in text["paragraphs"])
    return (f'<!DOCTYPE html>\n<html lang="{escape(content.locale)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}: {skill}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            f'<p class="skill">{skill}</p>\n<h1>{title}</h1>\n{paragraphs}\n</body>\n</html>\n')


def _text(text: str) -> str:
    """Escaped for an element's text (quotes stay as typed: no attribute holds content)."""
    return escape(text, quote=False)


def page_path(locale: str, page: str) -> str:
    """Where a locale's page is served (and written, plus ".html"): "privacy" for the default
    locale's language, "es-US/privacy" for a locale of any other language."""
    return page if language_of(locale) == language_of(DEFAULT_LOCALE) else f"{locale}/{page}"


def page_locales(locales: Iterable[str]) -> list[str]:
    """The locales with pages of their own: the default, then every locale of another language."""
    default_language = language_of(DEFAULT_LOCALE)
    return [DEFAULT_LOCALE, *sorted(locale for locale in set(locales) if language_of(locale) != default_language)]


def policy_blueprint(content: Content) -> Blueprint:
    """The two pages in the default locale at /privacy and /terms, and in each locale of another
    language under its name; rendered once: content never changes while serving."""
    blueprint = Blueprint("policies", __name__)
    for locale in page_locales(content.locales):
        for page in PAGES:
            path = page_path(locale, page)
            body = policy_html(content.for_locale(locale), page)
            blueprint.add_url_rule(f"/{path}", path.replace("/", "_"), _page(body), methods=["GET"])
    return blueprint


def _page(body: str) -> Callable[[], Response]:
    """A view function per page (add_url_rule takes a callable)."""
    def view() -> Response:
        return Response(body, mimetype="text/html", headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY,
                                                             "X-Content-Type-Options": "nosniff"})
    return view
