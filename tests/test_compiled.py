"""Reads compiled once and run again with new values (backupsui/compiled.py): the same rows as
the ORM's own query, for whole numbers, lists of every length and aware datetimes, on SQLite
and PostgreSQL alike."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backupsui.audit.models import AuditEvent
from backupsui.compiled import Compiled


def by_ids(ids):
    return User.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "username")


def since(user_id, moment):
    return (
        AuditEvent.objects.filter(actor_id=user_id, created_at__gte=moment, action="sign_in")
        .order_by("pk")
        .values_list("pk", "action")
    )


@pytest.fixture
def people(db):
    return [User.objects.create_user(f"person{n}") for n in range(6)]


def test_it_reads_what_the_orm_reads_for_lists_of_any_length(people):
    read = Compiled(by_ids)
    for ids in ([], [people[0].pk], [p.pk for p in people[1:4]], [p.pk for p in people], [-5]):
        assert read.rows(ids) == list(by_ids(ids))
    assert read.rows([people[2].pk, people[1].pk]) == list(by_ids([people[1].pk, people[2].pk]))


def test_it_reads_what_the_orm_reads_for_numbers_and_moments(people):
    read = Compiled(since)
    now = datetime.now(UTC)
    AuditEvent.objects.create(
        actor=people[0], action="sign_in", created_at=now - timedelta(hours=2)
    )
    new = AuditEvent.objects.create(actor=people[0], action="sign_in")
    AuditEvent.objects.create(actor=people[1], action="sign_in")
    for moment in (now - timedelta(hours=3), now - timedelta(hours=1), now + timedelta(hours=1)):
        assert read.rows(people[0].pk, moment) == list(since(people[0].pk, moment))
    assert read.rows(people[0].pk, now - timedelta(hours=1)) == [(new.pk, "sign_in")]


def test_it_compiles_once_and_runs_one_query(people):
    read = Compiled(by_ids)
    read.rows([people[0].pk])
    with CaptureQueriesContext(connection) as captured:
        assert read.rows([people[1].pk]) == [(people[1].pk, "person1")]
    assert len(captured.captured_queries) == 1


def test_it_refuses_a_read_whose_values_do_not_reach_its_sql(people):
    read = Compiled(lambda user_id: Group.objects.values_list("pk"))
    with pytest.raises(ValueError):
        read.rows(people[0].pk)
