"""Names and descriptions from the API, as pages show them: they cannot lie, nor swamp a page.

- Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) are shown
  visibly, as "[U+202E]": "invoice[U+202E]gpj.exe", never "invoiceexe.jpg". The marks (LRM,
  RLM, ALM) stay, as names in Arabic or Hebrew need them.
- In HTML each is isolated in a <bdi>: what it holds cannot reorder the text around it.
- A long one is cut (NAME_SHOWN, DESCRIPTION_SHOWN characters, then "…") and its whole text,
  up to TITLE_MOST characters, is in the title: a 3,000-character name is not drawn fifty
  times a page.

The same names come back on every row of a page and page after page: what is made of each is
kept (a bounded cache, per process)."""

from functools import lru_cache

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from backupsui.bidi import EMBEDDINGS_AND_ISOLATES, visible_reordering

BIDI_CONTROLS = EMBEDDINGS_AND_ISOLATES  # written out on pages (the marks stay in the <bdi>)

NAME_SHOWN = 60
DESCRIPTION_SHOWN = 255
TITLE_MOST = 300


def visible(text: str) -> str:
    """The text with its bidirectional controls written out."""
    return visible_reordering(text)


def cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


@lru_cache(maxsize=4096)
def shown(text: str, most: int = NAME_SHOWN) -> tuple[str, str]:
    """Plain text, for attributes and option labels: (what is shown, the title: the whole
    text when it was cut, else empty)."""
    whole = visible(text)
    if len(whole) <= most:
        return whole, ""
    return cut(whole, most), cut(whole, TITLE_MOST)


@lru_cache(maxsize=4096)
def isolated(text: str, most: int = NAME_SHOWN):
    """HTML: the text in a <bdi>, cut, with the whole text in its title when it was cut."""
    short, title = shown(text, most)
    if title:
        return format_html('<bdi title="{}">{}</bdi>', title, short)
    return format_html("<bdi>{}</bdi>", short)


def name(text: str) -> str:
    """A name shown as plain text: in an aria-label, a page's title, an option."""
    return shown(text)[0]


def name_html(text: str):
    return isolated(text, NAME_SHOWN)


def description_html(text: str):
    return isolated(text, DESCRIPTION_SHOWN)


def sentence_html(words: str, **values):
    """A translated sentence with %(name)s placeholders as HTML: its words escaped, each value
    escaped unless it is HTML already (a name from name_html, in its <bdi>). For messages
    that name a server or a backup."""
    escaped = {name: conditional_escape(value) for name, value in values.items()}
    return mark_safe(conditional_escape(words) % escaped)  # noqa: S308 - every part escaped
