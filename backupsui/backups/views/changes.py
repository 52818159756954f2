"""The confirmed changes: request a backup, delete one, restore a server (at once, or as a job
that takes a safety backup first). Each confirms first (a GET changes nothing), then goes
through the one pipeline (pipeline.carry_out) to its command."""

from contextlib import suppress
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from backupsui.http import redirect_for
from backupsui.ids import parse_id
from backupsui.jobs.commands import start_safe_restore
from backupsui.plans import kept
from backupsui.upstream import UpstreamError

from .. import commands, presenters, restores
from ..decorators import AccountRequest, account_view
from ..forms import CreateBackupForm, DeleteForm, RestoreForm, as_chosen
from ..models import FormKey
from ..names import name_html, sentence_html
from ..pipeline import carry_out


def _list_of(server_id: int) -> str:
    return reverse("backups:list") + f"?server_id={server_id}"


LISTS = ("/backups/", "/servers/")


def back_to(request: AccountRequest) -> str:
    """The list a change started from (filters, sort and page kept), to return to after it
    and on its Cancel: a path of this site's lists only, or nothing."""
    back = (request.POST.get("back") if request.method == "POST" else None) or request.GET.get(
        "back", ""
    )
    path = urlsplit(back).path
    if (
        back.startswith("/")
        and not back.startswith("//")
        and path in LISTS
        and url_has_allowed_host_and_scheme(back, {request.get_host()})
    ):
        return back
    return ""


def provider_words(said: str):
    """The API's free text, marked as the provider's words (in English, quoted)."""
    if not said:
        return ""
    return format_html('{} <q lang="en">{}</q>', _("The provider said:"), said)


def gone(request: AccountRequest, why: str, server_id: int | None = None):
    """A backup a page (or an older tab) still names, but the list no longer holds."""
    context = {"why": why, "server_id": server_id}
    return render(request, "backups/gone.html", context, status=404)


@account_view("backups.create_backup", methods=("GET", "POST"))
def backup_create(request: AccountRequest):
    if request.method == "GET":
        return _create_page(request, CreateBackupForm(user=request.user))
    form = CreateBackupForm(request.POST, user=request.user, servers=partial(_servers, request))
    if not form.is_valid():
        return _create_page(request, form, 400)
    running = form.asks_if_running and _running_backup(request, form.cleaned_data["server_id"])
    sent_before = FormKey.claimed(form.cleaned_data.get("idempotency_key", ""))  # says what it did
    if running and not sent_before:
        # One is running already: asked once more, nothing sent (the key is not spent).
        return _create_page(request, form, 409, running=running)

    def change(actor, key):
        server_id = form.cleaned_data["server_id"]
        created = commands.request_backup(
            request.account, actor, server_id, form.cleaned_data["description"], key
        )
        messages.success(
            request,
            sentence_html(
                _("Backup %(id)s of %(server)s was requested at %(time)s."),
                id=created.backup.id,
                server=name_html(created.backup.server.name),
                time=presenters.clock(),
            ),
        )
        return back_to(request) or _list_of(server_id)

    return carry_out(request, form, change, partial(_create_page, request, form))


def _running_backup(request: AccountRequest, server_id: int):
    """A backup of the server being taken now, as the (cached) list shows it."""
    with suppress(UpstreamError):  # the API will say what it thinks of a second one
        for backup in request.account.backups().select(server_id=server_id):
            if backup.in_progress:
                return backup
    return None


def _servers(request: AccountRequest, fetch: bool = True) -> list[tuple[int, str]]:
    """The person's servers (id, name), those without backups any more included: from the
    cached list, else fetched (unless not `fetch`); none when the API does not answer."""
    servers = request.account.known_servers()
    if fetch and not servers:
        with suppress(UpstreamError):  # suggestions and names only: ids work without them
            servers = request.account.backups().all_servers()
    return servers


def _create_page(request: AccountRequest, form, status: int = 200, **extra):
    """The create form, with the servers of the person's list offered as suggestions (fetched
    for a new form; after a failed request, only what is cached), searchable by name with
    the id beside it; the chosen server's name shows before anything is created."""
    servers = _servers(request, fetch=request.method == "GET")
    names = dict(servers)
    chosen = parse_id(request.GET.get("server_id")) if request.method == "GET" else None
    if not form.is_bound and chosen is not None:
        form.initial["server_id"] = as_chosen(chosen, names.get(chosen, ""))
    if extra.get("running") is not None:  # the same form, this time saying "again"
        data = form.data.copy()
        data["again"] = "on"
        sid = form.cleaned_data["server_id"]
        data["server_id"] = as_chosen(sid, names.get(sid, ""))
        form.data = data
    suggestions = [(sid, as_chosen(sid, name)) for sid, name in servers]
    context = {"form": form, "servers": suggestions, "back": back_to(request), **extra}
    return render(request, "backups/create.html", context, status=status)


def _page(request: AccountRequest, template: str, context: dict, status: int = 200, **extra):
    return render(request, template, {**context, **extra}, status=status)


@account_view("backups.delete_backup", methods=("GET", "POST"))
def backup_delete(request: AccountRequest, backup_id: int):
    try:
        backup = request.account.find(backup_id)
    except UpstreamError as error:
        return render(request, "backups/delete.html", {"error": error}, status=502)
    if backup is None:
        return gone(
            request,
            _(
                "Backup %(id)s is not in the list (any more): it may have been deleted "
                "already, here or elsewhere. Nothing was sent."
            )
            % {"id": backup_id},
        )
    form = DeleteForm(request.POST or None, user=request.user)
    context = {**presenters.facts(backup), "form": form, "back": back_to(request)}
    page = partial(_page, request, "backups/delete.html", context)
    if backup.in_progress:
        context["refusal"] = _(
            "This backup is still in progress; it can be deleted once it has finished."
        )
        return page(409 if request.method == "POST" else 200)
    if kept.is_kept(backup):
        context["is_kept"] = True
        context["refusal"] = _("This backup is marked kept: release it first.")
        return page(409 if request.method == "POST" else 200)
    if request.method == "GET" or not form.is_valid():
        return page()

    def change(actor, key):
        commands.delete_backup(request.account, actor, backup, key)
        messages.success(
            request,
            sentence_html(
                _("Backup %(id)s of %(server)s was deleted at %(time)s."),
                id=backup.id,
                server=name_html(backup.server.name),
                time=presenters.clock(),
            ),
        )
        return back_to(request) or _list_of(backup.server.id)

    return carry_out(request, form, change, page)


@account_view("backups.restore_server", methods=("GET", "POST"))
def server_restore(request: AccountRequest, server_id: int):
    data = request.POST if request.method == "POST" else None
    backup_id = parse_id((data or request.GET).get("backup_id"))
    if backup_id is None:  # an address cut short, or a sign-in that came back without it
        messages.info(request, _("Choose a backup to restore from."))
        return redirect_for(request, _list_of(server_id))
    try:
        backup = request.account.find(backup_id)
    except UpstreamError as error:
        return render(request, "backups/restore.html", {"error": error}, status=502)
    if backup is None or backup.server.id != server_id:
        return gone(
            request,
            _("Backup %(id)s of server %(server)s is not in the list (any more); nothing was sent.")
            % {"id": backup_id, "server": server_id},
            server_id,
        )
    # A server with no name is confirmed by typing its id.
    expected = backup.server.name if backup.server.name.strip() else str(backup.server.id)
    form = RestoreForm(
        data, initial={"backup_id": backup.id}, server_name=expected, user=request.user
    )
    context = {**presenters.facts(backup), "form": form, "expected": expected}
    context["back"] = back_to(request)
    # The backup's place among the server's backups, on every answer of the confirmation
    # (200, 400, 409, and after confirming who one is): the page that restores warns as much
    # as the first one did. From the list the backup was just found in, as it is kept: the
    # API is asked nothing more (a change must not wait for, or trip over, a second list).
    listed = request.account.cached()
    if listed is not None:
        server_backups = listed.select(server_id=backup.server.id)
        context.update(presenters.before_restore(backup, server_backups))
    # A restore under way refuses this one (409) unless ticked "anyway", or unless this one
    # undoes it: the safety backup of a finished restore job, nobody having restored since.
    holder = restores.holder_of(backup.server.id)
    context["undoes"] = restores.undone_by(holder, backup.id)
    context["busy"] = None if context["undoes"] else holder
    context["quiet_minutes"] = presenters.minutes_text(settings.BACKUPSUI_RESTORE_QUIET_MINUTES)
    page = partial(_page, request, "backups/restore.html", context)
    if not backup.completed:
        context["refusal"] = _(
            "Only a completed backup can restore a server; this one is %(status)s."
        ) % {"status": presenters.badge(backup.status)[1]}
        return page(409 if request.method == "POST" else 200)
    if request.method == "GET":
        return page()
    if not form.is_valid():
        return page(400)
    anyway = form.cleaned_data["anyway"]

    def change(actor, key):
        if form.cleaned_data["safety"]:
            job = start_safe_restore(actor, backup, key, anyway)
            messages.success(
                request,
                sentence_html(
                    _(
                        "Restore job %(job)s for %(server)s was started at %(time)s: a safety "
                        "backup first, then the restore from backup %(id)s."
                    ),
                    job=job.pk,
                    server=name_html(backup.server.name),
                    id=backup.id,
                    time=presenters.clock(job.created_at),
                ),
            )
            return reverse("jobs:detail", args=[job.pk])
        event = commands.restore_server(request.account, actor, backup, key, anyway)
        messages.success(
            request,
            format_html(
                '{} {} <a href="{}">{}</a>',
                sentence_html(
                    _(
                        "The restore of %(server)s from backup %(id)s was sent at %(time)s and "
                        "accepted. The provider does not report when a restore finishes."
                    ),
                    server=name_html(backup.server.name),
                    id=backup.id,
                    time=presenters.clock(),
                ),
                provider_words(event.message),
                reverse("audit:list") + f"?event={event.pk}",
                _("See it in the audit trail."),
            ),
        )
        return back_to(request) or _list_of(server_id)

    return carry_out(request, form, change, page)
