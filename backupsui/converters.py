"""Path converters: an upstream id is a positive 64-bit integer, anything else is a 404."""

from django.urls import register_converter


class IdConverter:
    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number >= 2**63:
            raise ValueError("out of range")
        return number

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")
