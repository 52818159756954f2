"""Reads the pages make on every request, compiled by the ORM once per process and run again
with new values: Django compiles a queryset's SQL each time it runs it, and for the small reads
of a page (the person's permissions, the plans' marks of fifty backups, the restores under way)
compiling costs ten to twenty times what running costs (docs/bench.md).

`Compiled(build)`: `build(*values)` makes the queryset (a `values_list`, or whole rows of one
model) from the read's values;
it is built once per database and shape of values (a list's length counts) with stand-ins for
the values, and its SQL kept; each `rows(*values)` then runs that SQL with the values in the
stand-ins' places. Values are whole numbers, lists of them, or aware datetimes."""

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

# Stand-ins nobody's data holds: negative ids far below any real one, days of the year 1902.
_FIRST_ID = -7_000_000_000_001
_FIRST_MOMENT = datetime(1902, 2, 3, tzinfo=UTC)


class Compiled:
    def __init__(self, build: Callable[..., QuerySet], using: str = "default"):
        self.build = build
        self.using = using
        self._made: dict[tuple, tuple[str | None, list]] = {}
        self._lock = threading.Lock()

    def rows(self, *values) -> list[tuple]:
        """The rows of a `values_list` read."""
        sql, params = self._sql(values)
        if sql is None:
            return []
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def instances(self, model, *values) -> list:
        """The model instances of a read of whole rows of `model`."""
        sql, params = self._sql(values)
        if sql is None:
            return []
        return list(model.objects.using(self.using).raw(sql, params))

    def _sql(self, values: tuple) -> tuple[str | None, list]:
        connection = connections[self.using]
        shape = (connection.vendor, *(_shape(value) for value in values))
        made = self._made.get(shape)
        if made is None:
            made = self._compile(shape, values)
        sql, picks = made
        return sql, [pick(values) for pick in picks]

    def _compile(self, shape: tuple, values: tuple) -> tuple[str | None, list]:
        connection = connections[self.using]
        ids, moments = itertools.count(), itertools.count()
        places: dict = {}  # what a stand-in is sent as → how to find the value it stands for
        stand_ins = []
        for number, value in enumerate(values):
            if isinstance(value, datetime):
                stand_in = _FIRST_MOMENT + timedelta(seconds=next(moments))
                sent = connection.ops.adapt_datetimefield_value(stand_in)
                places[sent] = _moment(number, connection)
            elif isinstance(value, list | tuple):
                stand_in = [_FIRST_ID - next(ids) for _ in value]
                for place, each in enumerate(stand_in):
                    places[each] = _item(number, place)
            else:
                stand_in = _FIRST_ID - next(ids)
                places[stand_in] = _whole(number)
            stand_ins.append(stand_in)
        queryset = self.build(*stand_ins).using(self.using)
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:  # the ORM answers such a read without asking the database
            with self._lock:
                self._made[shape] = (None, [])
            return None, []
        if set(places) - set(params):
            raise ValueError("a value of the read is not among its SQL's parameters")
        picks = [places.get(param, _constant(param)) for param in params]
        with self._lock:
            self._made[shape] = (sql, picks)
        return sql, picks


def _shape(value):
    if isinstance(value, list | tuple):
        return len(value)
    return type(value).__name__


def _whole(number: int):
    return lambda values: int(values[number])


def _item(number: int, place: int):
    return lambda values: int(values[number][place])


def _moment(number: int, connection):
    return lambda values: connection.ops.adapt_datetimefield_value(values[number])


def _constant(param):
    return lambda values: param
