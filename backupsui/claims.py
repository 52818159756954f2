"""Claiming a piece of work once, however many workers race for it: the row is made under a
unique constraint, and the database says who made it first."""

from django.db import IntegrityError, transaction


def claim(model, **fields) -> bool:
    """Makes the row; False when a unique constraint says it was made already (by another
    worker, or an earlier round)."""
    try:
        with transaction.atomic():
            model.objects.create(**fields)
    except IntegrityError:
        return False
    return True
