"""The panel in Samoan and English: a complete Samoan catalogue (regenerated from the code here
and compared, so a new English string cannot land without its Samoan), every page and
fragment free of the English catalogue's sentences in Samoan, the language chosen on the
first visit, by the switcher, and carried by the person's account to any browser."""

import html
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polib
import pytest
from django.utils import timezone, translation

from backupsui.accounts.models import Preference
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import finish, note, start
from backupsui.backups.presenters import ago
from backupsui.jobs.models import Job
from backupsui.words import Sentence
from tests.helpers import FormClient, completed_backup, text

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "sm" / "LC_MESSAGES" / "django.po"
CATALOGUES = sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[-0-9.]*[sdf]|\{\{\s*\w+\s*\}\}|<[^>]+>|%s|%d")


def problems(catalogue: polib.POFile) -> list[str]:
    found = [f"untranslated: {e.msgid!r}" for e in catalogue.untranslated_entries()]
    found += [f"fuzzy: {e.msgid!r}" for e in catalogue.fuzzy_entries()]
    return found


def test_it_has_a_samoan_catalogue_with_samoan_plurals():
    catalogue = polib.pofile(str(CATALOGUE))
    assert "nplurals=1; plural=0;" in catalogue.metadata["Plural-Forms"]
    assert catalogue.metadata["Language"] == "sm"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_it_has_every_string_translated_and_none_fuzzy(path):
    catalogue = polib.pofile(str(path))
    assert problems(catalogue) == []
    for entry in catalogue.translated_entries():
        said = entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr
        assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(said)), (
            entry.msgid
        )


def test_it_writes_the_glottal_stop_one_way():
    catalogue = polib.pofile(str(CATALOGUE))
    text_only = re.compile(r"<[^>]+>|%\([a-z_]+\)[-0-9.]*[sdf]|\{\{[^}]*\}\}")
    for entry in catalogue.translated_entries():
        said = text_only.sub("", entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr)
        assert "’" not in said and "‘" not in said, entry.msgid
        assert not re.search(r"[a-zA-Z]'[a-zA-Z]", said), (entry.msgid, said)


def test_it_has_a_translation_for_every_string_in_the_code(tmp_path):
    """makemessages over a copy of the code, merged into a copy of the catalogue: a string
    added or changed in the code shows up as untranslated or fuzzy."""
    for name in ("backupsui", "templates", "locale"):
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.pyc", "*.mo")
        )
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "sm", "--no-location", "--no-obsolete"],
        cwd=tmp_path,
        env={
            "DJANGO_DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "backupsui.settings",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    regenerated = polib.pofile(str(tmp_path / "locale" / "sm" / "LC_MESSAGES" / "django.po"))
    assert problems(regenerated) == []
    assert len(regenerated.translated_entries()) == len(
        polib.pofile(str(CATALOGUE)).translated_entries()
    )


# Every page in Samoan ------------------------------------------------------------------------


def english_sentences() -> list[re.Pattern]:
    """The catalogue's English, in pieces between placeholders and tags, where Samoan says
    it differently: none of these may show on a Samoan page."""
    catalogue = polib.pofile(str(CATALOGUE))
    pieces = set()
    for entry in catalogue.translated_entries():
        said = entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr
        for english in filter(None, [entry.msgid, entry.msgid_plural]):
            if english == said:
                continue
            for piece in PLACEHOLDER.split(english):
                piece = piece.strip(" .,:;()·—–-…\n\xa0")
                wordy = re.search(r"[A-Za-z]{2,}", piece) and len(piece) >= 4
                if wordy and piece not in said:
                    pieces.add(piece)
    # The API's own words (types, statuses) are shown through their labels, never raw.
    pieces |= {"manual", "automatic", "completed", "in_progress", "failed"}
    return [re.compile(r"(?<![\w-])" + re.escape(piece) + r"(?![\w-])") for piece in pieces]


def visible(body: str, data: list[str]) -> str:
    """What a reader sees: no tags, no entities, and the server data (names, descriptions,
    what the API said) taken out, as it is not the panel's to translate."""
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", body, flags=re.S)
    body = re.sub(r'<(?:[^>"]|"[^"]*")*>', " ", body)
    body = html.unescape(body)
    for value in sorted(data, key=len, reverse=True):
        body = body.replace(value, " ")
    return body


@pytest.fixture
def samoan_world(sandbox, operator, support, auditor):
    for user in (operator, support, auditor):
        Preference.objects.create(user=user, language="sm")
    state = sandbox.state
    state.config.completion_delay = 3600
    state.create_backup("acme", 12345, "kept for the test")
    state.fail_backup(completed_backup(sandbox, 12346).id)
    event = start(
        Actor.of(operator),
        Action.RESTORE_REQUESTED,
        server_id=12345,
        backup_type="automatic",
        backup_status="completed",
    )
    finish(event, Outcome.UNKNOWN, message="The backups service did not answer in time.")
    note(None, Action.SIGN_IN_FAILED, Outcome.REFUSED, actor_username="olivia")
    job = Job.objects.create(
        user=operator,
        server_id=12345,
        server_name="web-server-01",
        backup_id=completed_backup(sandbox).id,
        state=Job.State.FAILED,
        detail=Sentence("The safety backup failed, so the restore was not sent.").dumps(),
    )
    data = [
        "web-server-01",
        "db-server-02",
        "cache-server-03",
        "Automatic daily backup",
        "kept for the test",
        "Pre-update backup 1",
        "Pre-update backup 2",
        "olivia",
        "sam",
        "ada",
        "The backups service did not answer in time.",
        "Backup is being created. This may take several minutes depending on server size.",
    ]
    return sandbox, job, data


def pages_for(role, sandbox, job):
    backup = completed_backup(sandbox).id
    running = max(sandbox.state.backups)
    results = {"HX-Request": "true", "HX-Target": "results"}
    pages = [
        ("/backups/", {}),
        ("/backups/?server_id=12345&status=completed&q=x", {}),
        ("/backups/?backup_type=manual", results),
        (f"/backups/poll/?watch=12345:{running}", {"HX-Request": "true"}),
        ("/servers/", {}),
        ("/servers/?health=bad", {"HX-Request": "true", "HX-Target": "servers-results"}),
        ("/audit/?signins=on", {}),
        ("/audit/?action=restore_requested", {"HX-Request": "true", "HX-Target": "audit-results"}),
        ("/account/token/", {}),
        ("/account/token/remove/", {}),
        ("/account/alerts/", {}),
        ("/nowhere/", {}),
        ("/accounts/2fa/", {}),
        ("/accounts/2fa/totp/activate/", {}),
        ("/accounts/2fa/webauthn/", {}),
        ("/accounts/2fa/webauthn/add/", {}),
        ("/accounts/2fa/recovery-codes/generate/", {}),
        ("/accounts/reauthenticate/", {}),
        ("/accounts/sso/cancelled/", {}),
        ("/accounts/sso/error/", {}),
    ]
    if role != "auditor":
        pages += [
            ("/backups/new/?server_id=12345", {}),
            (f"/servers/12345/restore/?backup_id={backup}", {}),
            (f"/servers/12345/restore/?backup_id={running}", {}),
        ]
    if role == "operator":
        pages += [
            (f"/backups/{backup}/delete/", {}),
            (f"/backups/{running}/delete/", {}),
            (f"/jobs/{job.pk}/", {}),
        ]
    else:
        pages += [(f"/backups/{backup}/delete/", {})]  # refused: the 403 page
    return pages


@pytest.mark.parametrize("role", ["operator", "support", "auditor"])
def test_it_shows_no_english_sentence_on_any_page_in_samoan(samoan_world, role, request):
    sandbox, job, data = samoan_world
    client = FormClient()
    client.force_login(request.getfixturevalue(role))
    sentences = english_sentences()
    left = {}
    for url, headers in pages_for(role, sandbox, job):
        response = client.get(url, headers=headers)
        assert response.status_code < 500, url
        seen = visible(text(response), data)
        found = sorted({p.pattern for p in sentences if p.search(seen)})
        if found:
            left[url] = found
    # And what a changed form says, and the sign-in page of someone signed out.
    response = client.post("/backups/new/", {"server_id": "x"})
    seen = visible(text(response), data)
    if found := sorted({p.pattern for p in sentences if p.search(seen)}):
        left["POST /backups/new/"] = found
    assert left == {}


def test_it_shows_the_signed_out_and_error_pages_in_samoan(operator, settings):
    from django.template.loader import render_to_string

    client = FormClient(headers={"Accept-Language": "sm"})
    sentences = english_sentences()

    def english_in(body: str) -> list[str]:
        return [p.pattern for p in sentences if p.search(visible(body, ["olivia", "nobody"]))]

    body = text(client.get("/accounts/login/"))
    assert '<html lang="sm">' in body and english_in(body) == []
    wrong = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    assert english_in(text(wrong)) == []
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post("/accounts/login/", {"username": "olivia", "password": "wrong"})
    assert locked.status_code == 429 and english_in(text(locked)) == []
    stale = FormClient(enforce_csrf_checks=True, headers={"Accept-Language": "sm"})
    expired = stale.post("/account/language/", {"language": "en"})
    assert expired.status_code == 403 and english_in(text(expired)) == []
    with translation.override("sm"):
        crashed = render_to_string("500.html")
    assert '<html lang="sm">' in crashed and english_in(crashed) == []


# Choosing the language ---------------------------------------------------------------------


def test_it_follows_the_browser_on_a_first_visit(db):
    assert '<html lang="sm">' in text(
        FormClient(headers={"Accept-Language": "sm"}).get("/accounts/login/")
    )
    assert '<html lang="en">' in text(
        FormClient(headers={"Accept-Language": "de"}).get("/accounts/login/")
    )


def test_it_switches_without_javascript_and_remembers_it_on_the_account(operator):
    here = FormClient()
    here.force_login(operator)
    response = here.post("/account/language/", {"language": "sm", "next": "/audit/"})
    assert response.status_code == 302 and response["Location"] == "/audit/"
    assert '<html lang="sm">' in text(here.get("/audit/"))
    elsewhere = FormClient(headers={"Accept-Language": "en"})  # another browser, another replica
    elsewhere.force_login(operator)
    assert '<html lang="sm">' in text(elsewhere.get("/audit/"))
    elsewhere.post("/account/language/", {"language": "en", "next": "/audit/"})
    assert '<html lang="en">' in text(here.get("/audit/"))


def test_it_ignores_a_language_it_does_not_have(operator_client):
    operator_client.post("/account/language/", {"language": "xx", "next": "https://evil.example/"})
    page = operator_client.get("/audit/")
    assert '<html lang="en">' in text(page)


def test_it_says_relative_times_in_samoan():
    now = datetime(2025, 1, 16, 12, tzinfo=UTC)
    with translation.override("sm"):
        assert ago(now - timedelta(hours=3), now) == "3\xa0itula ua mavae"
        assert timezone.localtime(now).strftime("%Y") == "2025"


def test_it_keeps_the_typed_name_as_it_is_in_samoan(sandbox, operator, operator_client):
    Preference.objects.create(user=operator, language="sm")
    backup = completed_backup(sandbox)
    page = text(operator_client.get(f"/servers/12345/restore/?backup_id={backup.id}"))
    assert '<code class="copy"><bdi>web-server-01</bdi></code>' in page
    response = operator_client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": "web-server-01"}
    )
    assert response.status_code == 302


def test_it_records_audit_messages_in_english_whatever_the_language(
    operator, operator_client, settings
):
    Preference.objects.create(user=operator, language="sm")
    settings.BACKUPS_API_URL = "http://127.0.0.1:9/api/v1"  # nothing listens there
    page = text(operator_client.post("/backups/new/", {"server_id": 12345}))
    from backupsui.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="backup_requested")
    assert event.message == "The backups service could not be reached. Nothing was changed."
    assert "could not be reached" not in page  # the person read it in Samoan


def test_it_marks_the_providers_words_and_explains_the_safety_backup_in_samoan(
    sandbox, operator, operator_client
):
    Preference.objects.create(user=operator, language="sm")
    safety = sandbox.state.create_backup(
        "acme", 12345, "Safety backup before restoring from backup 7 (requested by olivia)"
    )
    page = text(operator_client.get("/backups/?server_id=12345"))
    said = "Safety backup before restoring from backup 7 (requested by olivia)"
    assert f'<span lang="en"><bdi>{said}</bdi></span>' in page
    assert "Na faia e le polokalame aʻo leʻi faia se toe faʻafoʻisi mai le faʻaleoleo 7" in page
    # The live status announces a status through its Samoan label, never the API's word.
    sandbox.state.backups[safety["id"]].completes_at = datetime.now(UTC) - timedelta(seconds=1)
    from backupsui.backups.lists import memory

    memory.clear()
    polled = text(operator_client.get(f"/backups/poll/?watch=12345:{safety['id']}"))
    live = polled.split('id="live"')[1].split("</div>")[0]
    assert "Ua maeʻa" in live and "completed" not in live
    # What the API answers a restore is shown as its words: quoted, in English.
    backup = completed_backup(sandbox)
    done = operator_client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": "web-server-01"}
    )
    shown = text(operator_client.get(done["Location"]))
    assert f'<q lang="en">Server web-server-01 is being restored from backup {backup.id}.</q>' in (
        shown
    )
    assert "Na fai mai le kamupani:" in shown
