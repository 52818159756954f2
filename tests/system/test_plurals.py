"""Counts read right in both languages: every message that holds a count goes through
ngettext or {% blocktranslate count %} (no "1 backups were requested"), and each is shown
with 1 and with 2, in English and in Samoan (which has one form for every number)."""

import html
import re
import time

import polib
import pytest
from django.utils import translation

from backupsui.accounts.identity import CONFIRMED_AT
from backupsui.accounts.models import Preference
from backupsui.audit.models import Action
from backupsui.audit.recorder import note
from backupsui.backups.forms import PollForm, ReportForm
from tests.helpers import text
from tests.system.test_languages import CATALOGUE

# A number followed by what it counts: such a message needs its plural form.
COUNTED = re.compile(
    r"(%\(\w+\)[sd]|\{\{\s*\w+\s*\}\})\s+(backups?|servers?|minutes?|hours?|days?|seconds?|"
    r"codes?|passkeys?|problems?|jobs?|events?|URLs?|times|weeks?|months?|years?)\b"
)
# A stored sentence (words.Sentence) has one form for every number; this one is in the
# restore jobs' core (jobs/runner.py), rewritten on its own branch.
NOT_YET = {
    "The safety backup did not complete within %(minutes)s minutes, so the restore was not sent."
}


def test_it_has_a_plural_form_for_every_message_that_counts():
    catalogue = polib.pofile(str(CATALOGUE))
    single = [e.msgid for e in catalogue if not e.msgid_plural and COUNTED.search(e.msgid)]
    assert [msgid for msgid in single if msgid not in NOT_YET] == []


def test_it_says_each_plural_message_with_one_and_two_in_both_languages():
    catalogue = polib.pofile(str(CATALOGUE))
    plurals = [entry for entry in catalogue if entry.msgid_plural]
    assert len(plurals) > 20
    for entry in plurals:
        with translation.override("en"):
            assert translation.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgid
            assert translation.ngettext(entry.msgid, entry.msgid_plural, 2) == entry.msgid_plural
        with translation.override("sm"):
            said = entry.msgstr_plural[0]
            assert translation.ngettext(entry.msgid, entry.msgid_plural, 1) == said
            assert translation.ngettext(entry.msgid, entry.msgid_plural, 2) == said


def in_language(client, user, language: str) -> None:
    Preference.objects.update_or_create(user=user, defaults={"language": language})
    session = client.session
    session[CONFIRMED_AT] = time.time()
    session.save()


@pytest.mark.parametrize("language", ["en", "sm"])
def test_it_says_how_many_backups_were_requested_and_deleted(
    sandbox, operator, operator_client, language
):
    in_language(operator_client, operator, language)
    said = {}
    for count in (1, 2):
        servers = [12345, 12346][:count]
        page = text(operator_client.get("/servers/backup/", {"server_id": servers}))
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page)[1]
        sent = operator_client.post(
            "/servers/backup/",
            {"server_id": servers, "idempotency_key": key, "description": "counted"},
        )
        said[("create", count)] = messages_of(text(operator_client.get(sent["Location"])))
        backups = sorted(
            b.id
            for b in sandbox.state.backups.values()
            if b.server.id == 12347 and b.backup_type == "automatic"
        )[:count]
        page = text(operator_client.get("/backups/delete/", {"backup_id": backups}))
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page)[1]
        form = {"backup_id": backups, "idempotency_key": key, "confirm": str(count)}
        sent = operator_client.post("/backups/delete/", form)
        assert sent.status_code == 302, text(sent)
        said[("delete", count)] = messages_of(text(operator_client.get(sent["Location"])))
    samoan_words = {
        "create": samoan("%(count)s backup was requested; its outcome follows below."),
        "delete": samoan("The deletion of %(count)s backup was requested; its outcome follows."),
    }
    expected = {
        "en": {
            ("create", 1): "1 backup was requested; its outcome follows below.",
            ("create", 2): "2 backups were requested; each one's outcome follows below.",
            ("delete", 1): "The deletion of 1 backup was requested; its outcome follows.",
            ("delete", 2): ("The deletion of 2 backups was requested; each one's outcome follows."),
        },
        "sm": {
            ("create", 1): samoan_words["create"] % {"count": 1},
            ("create", 2): samoan_words["create"] % {"count": 2},
            ("delete", 1): samoan_words["delete"] % {"count": 1},
            ("delete", 2): samoan_words["delete"] % {"count": 2},
        },
    }[language]
    assert said == {key: [words] for key, words in expected.items()}


def messages_of(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<li class="msg msg-\w+">(.*?)</li>', page)]


def samoan(msgid: str) -> str:
    entry = polib.pofile(str(CATALOGUE)).find(msgid)
    return entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr


@pytest.mark.parametrize("language", ["en", "sm"])
def test_it_counts_settings_and_limits_in_words(
    sandbox, operator, operator_client, settings, language, monkeypatch
):
    """The quiet time on a restore, the alerts' round, the health thresholds, the live
    status's limit and a report's length, each with 1 and 2."""
    from tests.helpers import completed_backup

    in_language(operator_client, operator, language)
    backup = completed_backup(sandbox)
    note(None, Action.RESTORE_REQUESTED, actor_username="sam", server_id=12345)
    found = {}
    for count in (1, 2):
        settings.BACKUPSUI_RESTORE_QUIET_MINUTES = count
        settings.BACKUPSUI_WATCH_MINUTES = count
        settings.BACKUPSUI_HEALTH_LATE_HOURS = count
        settings.BACKUPSUI_HEALTH_BAD_HOURS = count + 1
        restore = text(operator_client.get(f"/servers/12345/restore/?backup_id={backup.id}"))
        alerts = text(operator_client.get("/account/alerts/"))
        servers = text(operator_client.get("/servers/"))
        monkeypatch.setattr("backupsui.backups.forms.MAX_WATCHED", count)
        watch = ",".join(f"12345:{n}" for n in range(1, count + 3))
        poll = PollForm({"watch": watch})
        monkeypatch.setattr(ReportForm, "MAX_DAYS", count)
        report = ReportForm({"since": "2026-01-01", "until": "2026-02-01"})
        with translation.override(language):
            found[count] = (
                restore,
                alerts,
                servers,
                poll.errors["watch"][0],
                report.errors["__all__"][0],
            )
    words = {
        "en": {
            1: ("1 minute after", "once every 1 minute", "younger than 1 hour, late until 2 hours"),
            2: ("2 minutes after", "once every 2 minutes", "younger than 2 hours, late until 3"),
        },
    }
    if language == "en":
        for count in (1, 2):
            restore, alerts, servers, poll, report = found[count]
            quiet, every, health = words["en"][count]
            assert quiet in restore and every in alerts and health in servers
            noun = "backup" if count == 1 else "backups"
            assert poll == f"At most {count} {noun} can be watched at once."
            assert report == f"A report covers at most {count} {'day' if count == 1 else 'days'}."
    else:
        for count in (1, 2):
            restore, alerts, servers, poll, report = found[count]
            minutes = samoan("%(n)s minute") % {"n": count}
            assert minutes in restore and minutes in alerts
            assert samoan("%(n)s hour") % {"n": count} in servers
            assert poll == samoan("At most %(count)d backup can be watched at once.") % {
                "count": count
            }
            assert report == samoan("A report covers at most %(days)s day.") % {"days": count}
