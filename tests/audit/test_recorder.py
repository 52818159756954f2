"""The audit trail: one complete event per attempted change, append-only, logged, searchable."""

import csv
import io
import json
import logging

import pytest
import requests
import responses
from django.test import override_settings

from backupsui.audit.models import SIGN_INS, AppendOnlyError, AuditEvent, Outcome
from backupsui.audit.recorder import note, record
from backupsui.upstream import BackupsClient
from tests.conftest import OPERATOR_TOKEN, SUPPORT_TOKEN
from tests.helpers import FormClient, body_of, completed_backup, events, text

API = "http://backups.test/api/v1"
BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (audit test)", "REMOTE_ADDR": "203.0.113.9"}


def test_it_records_a_restore_with_every_field(sandbox, operator_client):
    backup = completed_backup(sandbox)
    operator_client.post(
        "/servers/12345/restore/",
        {"backup_id": backup.id, "confirm": "web-server-01"},
        headers={"X-Request-ID": "req-restore-0001"},
        **BROWSER,
    )
    [event] = events("restore_requested")
    assert event.actor.username == "olivia" and event.actor_username == "olivia"
    assert event.remote_addr == "203.0.113.9"
    assert event.user_agent == "Mozilla/5.0 (audit test)"
    # The panel's own request id, never the client's, and the same one the response carried.
    assert event.request_id != "req-restore-0001" and len(event.request_id) == 32
    assert (event.server_id, event.server_name, event.backup_id) == (
        12345,
        "web-server-01",
        backup.id,
    )
    assert event.outcome == Outcome.ACCEPTED and event.upstream_status == 202
    assert "being restored" in event.message
    assert event.created_at.utcoffset().total_seconds() == 0
    assert event.finished_at >= event.created_at


def test_it_records_create_and_delete_once_each(sandbox, operator_client):
    operator_client.post("/backups/new/", {"server_id": 12346, "description": "d"}, **BROWSER)
    [created] = events("backup_requested")
    assert (created.server_id, created.server_name, created.upstream_status) == (
        12346,
        "db-server-02",
        201,
    )
    assert created.backup_id == max(sandbox.state.backups)
    backup = completed_backup(sandbox)
    operator_client.post(f"/backups/{backup.id}/delete/", {"server_id": 12345}, **BROWSER)
    [deleted] = events("backup_deleted")
    assert (deleted.backup_id, deleted.upstream_status, deleted.outcome) == (
        backup.id,
        204,
        Outcome.ACCEPTED,
    )
    assert AuditEvent.objects.exclude(action="sign_in").count() == 2


FAILURES = [
    (401, b"", "refused", Outcome.REFUSED),
    (404, b'{"detail": "Server not found."}', "not found", Outcome.REFUSED),
    (400, b'{"backup_id": ["Not restorable."]}', "Not restorable", Outcome.REFUSED),
    (500, b"<html>oops</html>", "unavailable", Outcome.UNKNOWN),
]


@pytest.mark.parametrize(("status", "body", "says", "outcome"), FAILURES)
@override_settings(BACKUPS_API_URL=API)
@responses.activate
def test_it_records_each_failure_of_each_action(
    operator_client, monkeypatch, status, body, says, outcome
):
    from backupsui.backups import account as account_module
    from backupsui.upstream import Backup, Server

    stored = Backup(
        id=9,
        server=Server(id=12345, name="web-server-01"),
        backup_type="manual",
        status="completed",
        size_mb=1,
        created_at=__import__("datetime").datetime(2025, 1, 1, tzinfo=__import__("datetime").UTC),
    )
    monkeypatch.setattr(account_module.Account, "find", lambda self, *a: stored)
    responses.post(API + "/backups/", status=status, body=body)
    responses.delete(API + "/backups/9/", status=status, body=body)
    responses.post(API + "/servers/12345/restore/", status=status, body=body)
    operator_client.post("/backups/new/", {"server_id": 12345})
    operator_client.post("/backups/9/delete/", {"server_id": 12345})
    operator_client.post("/servers/12345/restore/", {"backup_id": 9, "confirm": "web-server-01"})
    changes = [e for e in events() if e.action != "sign_in"]
    assert [e.action for e in changes] == [
        "backup_requested",
        "backup_deleted",
        "restore_requested",
    ]
    for event in changes:
        assert event.outcome == outcome and event.upstream_status == status
        assert says.lower() in event.message.lower()
        assert event.finished_at is not None


@override_settings(BACKUPS_API_URL=API)
@responses.activate
def test_it_records_a_timeout_as_unknown_for_a_change(operator_client):
    responses.post(API + "/backups/", body=requests.exceptions.ReadTimeout("slow"))
    operator_client.post("/backups/new/", {"server_id": 12345})
    [event] = events("backup_requested")
    assert event.outcome == Outcome.UNKNOWN and event.upstream_status is None
    assert "in time" in event.message


def test_it_leaves_an_event_pending_when_the_process_fails_mid_call(
    sandbox, operator_client, monkeypatch
):
    def crash(self, *args):
        raise RuntimeError("worker killed mid-call")

    monkeypatch.setattr(BackupsClient, "create_backup", crash)
    operator_client.raise_request_exception = False
    response = operator_client.post("/backups/new/", {"server_id": 12345})
    assert response.status_code == 500
    [event] = events("backup_requested")
    assert event.outcome == Outcome.PENDING and event.finished_at is None


def test_it_never_changes_a_finished_event_nor_deletes_any(operator):
    with pytest.raises(ZeroDivisionError), record(None, "backup_requested", server_id=1) as pending:
        raise ZeroDivisionError
    pending.refresh_from_db()
    assert pending.outcome == Outcome.PENDING
    finished = note(None, "token_removed")
    finished.message = "rewritten"
    with pytest.raises(AppendOnlyError):
        finished.save()
    with pytest.raises(AppendOnlyError):
        finished.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(message="x")
    assert AuditEvent.objects.count() == 2


def test_it_logs_each_event_as_one_json_line_without_line_breaks(sandbox, operator_client, caplog):
    caplog.set_level(logging.INFO, logger="backupsui.audit")
    operator_client.post(
        "/backups/new/",
        {"server_id": 12345, "description": "line one\r\nline two"},
        HTTP_USER_AGENT="evil\nagent",
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "backupsui.audit"]
    assert len(lines) == 2  # written, then finished
    final = json.loads(lines[-1])
    assert final["action"] == "backup_requested" and final["outcome"] == "accepted"
    assert final["server_name"] == "web-server-01" and final["actor_username"] == "olivia"
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert final["user_agent"] == "evil agent"


def test_it_keeps_the_username_when_the_user_is_deleted(sandbox, operator_client, operator):
    operator_client.post("/backups/new/", {"server_id": 12345})
    operator.delete()
    [event] = events("backup_requested")
    assert event.actor is None and event.actor_username == "olivia"


def test_it_records_sign_in_and_failed_sign_in(client, operator):
    client.post("/accounts/login/", {"username": "olivia", "password": "wrong"}, **BROWSER)
    client.post(
        "/accounts/login/",
        {"username": "olivia", "password": "correct horse battery staple"},
        **BROWSER,
    )
    failed, signed_in = events("sign_in_failed"), events("sign_in")
    assert failed[0].actor_username == "olivia" and failed[0].outcome == Outcome.REFUSED
    assert failed[0].remote_addr == "203.0.113.9"
    assert signed_in[0].actor == operator


def test_it_never_writes_the_token_in_events_logs_or_csv(sandbox, operator_client, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    operator_client.post("/account/token/", {"token": OPERATOR_TOKEN})
    operator_client.post("/account/token/", {"token": "wrong-token-xyz1"})
    operator_client.post("/backups/new/", {"server_id": 12345})
    operator_client.post("/backups/new/", {"server_id": 999})
    export = body_of(operator_client.get("/audit/export.csv"))
    rows = json.dumps(list(AuditEvent.objects.values()), default=str)
    captured = capsys.readouterr()
    for secret in (OPERATOR_TOKEN, SUPPORT_TOKEN, "wrong-token-xyz1"):
        assert secret not in rows and secret not in export
        assert secret not in caplog.text and secret not in captured.out + captured.err


# The audit page and its export -----------------------------------------------------------


@pytest.fixture
def trail(sandbox, operator, support):
    as_operator, as_support = FormClient(), FormClient()
    as_operator.force_login(operator)
    as_support.force_login(support)
    backup = completed_backup(sandbox)
    as_operator.post("/backups/new/", {"server_id": 12345})
    as_support.post("/backups/new/", {"server_id": 12346})
    as_support.post("/servers/12345/restore/", {"backup_id": backup.id, "confirm": "web-server-01"})
    as_support.post("/backups/new/", {"server_id": 999})
    return as_operator, as_support


def audit_rows(response):
    return text(response).count('<tr id="event-')


def test_it_shows_operators_everything_and_support_their_own(trail):
    as_operator, as_support = trail
    changes = AuditEvent.objects.exclude(action__in=SIGN_INS)
    assert audit_rows(as_operator.get("/audit/")) == changes.count() == 4
    assert audit_rows(as_operator.get("/audit/", {"signins": "on"})) == AuditEvent.objects.count()
    own = changes.filter(actor_username="sam").count()
    assert audit_rows(as_support.get("/audit/")) == own
    assert "olivia" not in text(as_support.get("/audit/")).split("</form>", 1)[1]


def test_it_filters_by_user_action_outcome_server_and_date(trail):
    as_operator, _ = trail
    assert (
        audit_rows(as_operator.get("/audit/", {"user": "sam", "action": "backup_requested"})) == 2
    )
    assert audit_rows(as_operator.get("/audit/", {"outcome": "refused"})) == 1
    assert (
        audit_rows(as_operator.get("/audit/", {"server_id": 12345, "action": "restore_requested"}))
        == 1
    )
    today = AuditEvent.objects.first().created_at.date()
    assert (
        audit_rows(as_operator.get("/audit/", {"since": today, "until": today, "signins": "on"}))
        == AuditEvent.objects.count()
    )
    assert audit_rows(as_operator.get("/audit/", {"until": "2000-01-01"})) == 0
    restore = AuditEvent.objects.get(action="restore_requested")
    page = text(as_operator.get("/audit/", {"event": restore.pk}))
    assert audit_rows(as_operator.get("/audit/", {"event": restore.pk})) == 1
    assert 'href="/servers/12345/"' in page  # the server's story


def test_it_exports_the_filtered_trail_as_streamed_csv(trail):
    as_operator, as_support = trail
    response = as_operator.get("/audit/export.csv", {"action": "backup_requested"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body_of(response))))
    assert len(rows) == 3 and {r["action"] for r in rows} == {"backup_requested"}
    assert {r["user"] for r in rows} == {"olivia", "sam"}
    own = list(csv.DictReader(io.StringIO(body_of(as_support.get("/audit/export.csv")))))
    assert {r["user"] for r in own} == {"sam"}


def test_it_defuses_spreadsheet_formulas_in_the_export(sandbox, operator_client):
    FormClient().post("/accounts/login/", {"username": "=HYPERLINK(1)", "password": "x"})
    body = body_of(operator_client.get("/audit/export.csv", {"signins": "on"}))
    assert "'=HYPERLINK(1)" in body


# The audit tells the story on its own --------------------------------------------------------


def test_it_names_what_the_panel_did_and_what_the_api_said_everywhere(
    sandbox, operator_client, caplog
):
    caplog.set_level(logging.INFO, logger="backupsui.audit")
    backup = completed_backup(sandbox)
    operator_client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": "web-server-01"}
    )
    operator_client.post("/backups/new/", {"server_id": 424242})  # no such server: refused
    page = text(operator_client.get("/audit/"))
    assert "Restore requested" in page and "Accepted" in page
    assert "Backup requested" in page and "Refused" in page
    assert "Server restored" not in page and "Succeeded" not in page
    rows = list(csv.DictReader(io.StringIO(body_of(operator_client.get("/audit/export.csv")))))
    assert {(r["action"], r["outcome"]) for r in rows} == {
        ("restore_requested", "accepted"),
        ("backup_requested", "refused"),
    }
    finals = [json.loads(r.getMessage()) for r in caplog.records if r.name == "backupsui.audit"]
    assert ("restore_requested", "accepted") in {(f["action"], f["outcome"]) for f in finals}


def test_it_records_the_backup_as_it_was_shown(sandbox, operator_client):
    backup = completed_backup(sandbox)
    operator_client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": "web-server-01"}
    )
    operator_client.post("/backups/new/", {"server_id": 12345, "description": "before the upgrade"})
    [restore] = events("restore_requested")
    assert restore.backup_created_at == backup.created_at
    assert (restore.backup_type, restore.backup_status) == ("automatic", "completed")
    assert restore.backup_size_mb == backup.size_mb
    assert restore.backup_description == "Automatic daily backup"
    [create] = events("backup_requested")
    assert (create.backup_type, create.backup_description) == ("manual", "before the upgrade")
    page = text(operator_client.get("/audit/"))
    assert f"taken {backup.created_at:%Y-%m-%d %H:%M} UTC" in page and "before the upgrade" in page
    rows = list(csv.DictReader(io.StringIO(body_of(operator_client.get("/audit/export.csv")))))
    shown = next(r for r in rows if r["action"] == "restore_requested")
    assert shown["backup status"] == "completed" and shown["backup type"] == "automatic"
    assert float(shown["backup size (MB)"]) == backup.size_mb


def test_it_hides_sign_ins_until_asked_for(operator_client):
    FormClient().post("/accounts/login/", {"username": "olivia", "password": "wrong"})

    def results(response):
        return text(response).split('id="audit-results"', 1)[1]

    assert "Sign-in failed" not in results(operator_client.get("/audit/"))
    assert "Sign-in failed" in results(operator_client.get("/audit/", {"signins": "on"}))
    assert "Sign-in failed" in text(operator_client.get("/audit/", {"action": "sign_in_failed"}))


def test_it_lets_auditors_read_everything_and_change_nothing(sandbox, support, auditor):
    as_support, as_auditor = FormClient(), FormClient()
    as_support.force_login(support)
    as_auditor.force_login(auditor)
    as_support.post("/backups/new/", {"server_id": 12345, "description": "by sam"})
    assert "by sam" in text(as_auditor.get("/audit/"))
    assert "sam" in body_of(as_auditor.get("/audit/export.csv"))
    listed = as_auditor.get("/backups/")
    assert listed.status_code == 200
    assert "New backup" not in text(listed) and ">Restore</a>" not in text(listed)
    backup = completed_backup(sandbox)
    before = len(sandbox.state.backups)
    assert as_auditor.post("/backups/new/", {"server_id": 12345}).status_code == 403
    assert as_auditor.post(f"/backups/{backup.id}/delete/").status_code == 403
    restore = {"backup_id": backup.id, "confirm": "web-server-01"}
    assert as_auditor.post("/servers/12345/restore/", restore).status_code == 403
    assert len(sandbox.state.backups) == before


def test_it_records_changes_made_in_the_admin(admin_client, operator, support):
    from django.contrib.auth.models import Group

    auditors = Group.objects.get(name="Auditors")
    form = admin_client.get(f"/admin/auth/user/{support.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        groups=[auditors.pk],
        user_permissions=[],
        is_active="",
        last_login_0="",
        last_login_1="",
        date_joined_0=support.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=support.date_joined.strftime("%H:%M:%S"),
    )
    response = admin_client.post(f"/admin/auth/user/{support.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    [roles] = events("roles_changed")
    assert "sam" in roles.message and "Support → Auditors" in roles.message
    assert roles.actor_username == "admin"
    [deactivated] = events("user_deactivated")
    assert "sam" in deactivated.message
    token = operator.api_token
    admin_client.post(f"/admin/accounts/apitoken/{token.pk}/delete/", {"post": "yes"})
    removed = events("token_removed")
    assert len(removed) == 1 and "olivia" in removed[0].message


@pytest.mark.parametrize("breaker", ["\u2028", "\u2029", "\u0085"])
def test_it_escapes_what_log_collectors_take_for_line_ends(
    sandbox, operator_client, caplog, breaker
):
    caplog.set_level(logging.INFO, logger="backupsui.audit")
    operator_client.post("/backups/new/", {"server_id": 12345, "description": f"one{breaker}two"})
    lines = [r.getMessage() for r in caplog.records if r.name == "backupsui.audit"]
    assert lines and all(breaker not in line for line in lines)
    assert all(len(line.splitlines()) == 1 for line in lines)
    assert json.loads(lines[-1])["backup_description"] == f"one{breaker}two"


@pytest.mark.parametrize(
    "typed",
    [
        "=1+1",
        " =1+1",
        "\n=1+1",
        "\t=1",
        "\r=1",
        "＝1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "　=1",
        "\u200b=2+2",
        "\ufeff=4+4",
    ],
)
def test_it_defuses_every_formula_like_cell(typed):
    from backupsui.csv_export import cell

    assert cell(typed).startswith("'")


def test_it_leaves_plain_cells_alone():
    from backupsui.csv_export import cell

    assert cell("web-server-01") == "web-server-01" and cell("a=b") == "a=b"
