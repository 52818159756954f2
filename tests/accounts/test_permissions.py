"""A person's permissions in one query a request (backupsui/accounts/permissions.py): the same
set Django's ModelBackend works out in two, for every role and for a permission given to a
person directly, and a change seen on the very next request."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backupsui.accounts.permissions import permissions_of
from tests.conftest import make_user


def test_it_finds_what_djangos_backend_finds_for_every_role(
    operator, support, auditor, outsider, django_user_model
):
    direct = make_user(django_user_model, "dora", "Support")
    direct.user_permissions.add(Permission.objects.get(codename="delete_backup"))
    for person in (operator, support, auditor, outsider, direct):
        fresh = django_user_model.objects.get(pk=person.pk)
        assert permissions_of(person) == ModelBackend().get_all_permissions(fresh), person
    assert "backups.delete_backup" in permissions_of(direct)
    assert permissions_of(outsider) == set()


def test_it_asks_once_a_page_and_sees_a_change_on_the_next(sandbox, operator, operator_client):
    with CaptureQueriesContext(connection) as captured:
        assert operator_client.get("/backups/").status_code == 200
    asked = [q["sql"] for q in captured.captured_queries if "auth_permission" in q["sql"]]
    assert len(asked) == 1
    body = operator_client.get("/backups/").content.decode()
    assert 'id="delete-' in body
    operators = Group.objects.get(name="Operators")
    operators.permissions.remove(Permission.objects.get(codename="delete_backup"))
    body = operator_client.get("/backups/").content.decode()
    assert 'id="delete-' not in body and 'id="restore-' in body
