"""Path converters: an upstream id is a positive 64-bit integer, anything else is a 404."""

from django.urls import register_converter

ID_LIMIT = 2**63  # ids are positive 64-bit integers, here and in the audit table


def positive_id(value) -> int | None:
    """An id from user input, or None when it is not one."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < ID_LIMIT else None


class IdConverter:
    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number >= ID_LIMIT:
            raise ValueError("out of range")
        return number

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")
