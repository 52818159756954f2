"""Sentences for people that are shown in the reader's language but recorded in English.

An error met in one person's request is shown to them in their language, written to the
audit trail and the logs in English (those stay English and stable), and may be shown later
to someone reading in another language. So such a sentence keeps its English templates and
values, and is translated each time it is turned into text."""

import json

from django.utils import translation
from django.utils.translation import gettext


class Sentence:
    """English templates with their values (translated when shown), and text taken as it is
    (what the API said: data, never translated)."""

    def __init__(self, template: str = "", **values):
        self.parts: list[tuple[str, dict | None]] = [(template, values)] if template else []

    @classmethod
    def verbatim(cls, text: str) -> "Sentence":
        made = cls()
        made.parts.append((text, None))
        return made

    def __add__(self, other) -> "Sentence":
        joined = Sentence()
        joined.parts = self.parts + (
            other.parts if isinstance(other, Sentence) else [(other, None)]
        )
        return joined

    def __str__(self) -> str:
        return " ".join(
            text if values is None else gettext(text) % values if values else gettext(text)
            for text, values in self.parts
        )

    def dumps(self) -> str:
        """For a text column: the templates and values, to be translated when shown."""
        return json.dumps(self.parts, ensure_ascii=False, default=str)

    @classmethod
    def loads(cls, raw: str) -> "Sentence":
        made = cls()
        try:
            made.parts = [(text, values) for text, values in json.loads(raw)]
        except (ValueError, TypeError):
            made.parts = [(raw, None)] if raw else []  # plain text, kept as it is
        return made

    def __bool__(self) -> bool:
        return bool(self.parts)

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def english(text) -> str:
    """What is recorded (the audit trail, the logs): the text in English."""
    with translation.override("en"):
        return str(text)


def untranslated(text) -> str:
    """The English text of a Sentence without Django's translation machinery: for a process
    that has no settings (the alerts' sending child, alerts/sender.py)."""
    if not isinstance(text, Sentence):
        return str(text)
    return " ".join(
        words if values is None else words % values if values else words
        for words, values in text.parts
    )
