"""What an id is, here and upstream: a positive 64-bit integer written in ASCII digits.

The URL converter, the forms, the live-status parser and the upstream models all use this
one rule; anything else is not an id (a 404 in a path, a field error in a form)."""

import re
from typing import Annotated

import msgspec
from django import forms
from django.core.validators import MaxValueValidator
from django.urls import register_converter

ID_LIMIT = 2**63  # the audit table stores ids as signed 64-bit integers
ID_MAX = ID_LIMIT - 1
PATTERN = "[1-9][0-9]{0,18}"
_ID = re.compile(PATTERN)
_NUMBER = re.compile("[+-]?[0-9]{1,40}")

# An id in an upstream answer: msgspec refuses anything else while it decodes.
UpstreamId = Annotated[int, msgspec.Meta(ge=1, le=ID_MAX)]


def parse_id(value) -> int | None:
    """An id from user input, or None when it is not one (never an exception)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value < ID_LIMIT else None
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if number < ID_LIMIT else None


class IdField(forms.IntegerField):
    """A form field for an id: ASCII digits, 1 up to the 64-bit limit (a number out of range
    is told so; anything else is not a whole number)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)
        self.validators.append(MaxValueValidator(ID_MAX))

    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if text in self.empty_values:
            return None
        if not _NUMBER.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


class IdConverter:
    regex = PATTERN

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError("not an id")
        return number

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")
