"""With DEBUG logging on every logger (requests and urllib3 included), the main flows never
write the token anywhere: logs, standard output, pages, audit rows."""

import json
import logging

import pytest
import responses
from django.test import override_settings

from backupsui.audit.models import AuditEvent
from tests.conftest import OPERATOR_TOKEN
from tests.helpers import body_of, completed_backup

LOGGERS = [
    "",
    "django",
    "django.request",
    "django.db.backends",
    "requests",
    "urllib3",
    "backupsui",
    "backupsui.audit",
    "axes",
]


@pytest.fixture
def everything_logged(caplog):
    previous = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield caplog
    for name, level in previous.items():
        logging.getLogger(name).setLevel(level)


def test_it_never_writes_the_token_anywhere(
    sandbox, operator_client, everything_logged, capfd, settings
):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    pages = []
    pages.append(operator_client.post("/account/token/", {"token": OPERATOR_TOKEN}, follow=True))
    pages.append(operator_client.get("/backups/"))
    pages.append(operator_client.post("/backups/new/", {"server_id": 12345}, follow=True))
    backup = completed_backup(sandbox)
    pages.append(
        operator_client.post(
            "/servers/12345/restore/",
            {"backup_id": backup.id, "confirm": "web-server-01"},
            follow=True,
        )
    )
    pages.append(
        operator_client.post(f"/backups/{backup.id}/delete/", {"server_id": 12345}, follow=True)
    )
    pages.append(operator_client.get("/backups/poll/?watch=12345:1"))
    pages.append(operator_client.get("/audit/"))
    pages.append(operator_client.get("/audit/export.csv"))
    pages.append(operator_client.post("/account/token/", {"token": OPERATOR_TOKEN + "x"}))
    with (
        override_settings(BACKUPS_API_URL="http://backups.test/api/v1", BACKUPS_CACHE_SECONDS=0),
        responses.RequestsMock() as mock,
    ):
        mock.get("http://backups.test/api/v1/backups/", status=401)
        pages.append(operator_client.get("/backups/?server_id=7"))
    assert [page.status_code for page in pages] == [
        200,
        200,
        200,
        200,
        200,
        200,
        200,
        200,
        400,
        502,
    ]
    assert "GET /api/v1/backups/" in everything_logged.text  # the loggers did speak
    captured = capfd.readouterr()
    rows = json.dumps(list(AuditEvent.objects.values()), default=str)
    for where, content in {
        "logs": everything_logged.text,
        "output": captured.out + captured.err,
        "pages": "".join(body_of(page) + str(page.headers) for page in pages),
        "audit": rows,
    }.items():
        assert OPERATOR_TOKEN not in content, where
        assert OPERATOR_TOKEN[:-4] not in content, where
