"""Restores: at once, or as a job that takes a safety backup first; and a job's page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backupsui.audit.models import Action
from backupsui.audit.recorder import note
from backupsui.backups import presenters
from backupsui.backups.decorators import panel_required
from backupsui.backups.forms import RestoreForm
from backupsui.backups.models import FormKey
from backupsui.backups.views import PanelRequest, claim_or_answer, gone, refused
from backupsui.http import HtmxHttpRequest, redirect_for
from backupsui.ids import parse_id
from backupsui.upstream import UpstreamError
from backupsui.words import Sentence

from . import runner, tasks
from .models import Job


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("backups.restore_server", raise_exception=True)
@panel_required
def server_restore(request: PanelRequest, server_id: int):
    data = request.POST if request.method == "POST" else None
    backup_id = parse_id((data or request.GET).get("backup_id"))
    if backup_id is None:
        raise Http404(_("Choose a backup to restore from."))
    try:
        backup = request.panel.find(backup_id)
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
    if not backup.completed:
        context["refusal"] = _(
            "Only a completed backup can restore a server; this one is %(status)s."
        ) % {"status": presenters.badge(backup.status)[1]}
        status = 409 if request.method == "POST" else 200
        return render(request, "backups/restore.html", context, status=status)
    if request.method == "GET":
        return render(request, "backups/restore.html", context)
    if not form.is_valid():
        return render(request, "backups/restore.html", context, status=400)
    claim = claim_or_answer(request, form, "backups/restore.html", context)
    if not isinstance(claim, FormKey):
        return claim
    if form.cleaned_data["safety"]:
        job = _start_job(request, backup, claim)
        messages.success(
            request,
            _(
                "A safety backup of %(server)s is being taken; the restore from backup %(id)s "
                "is sent once it has completed."
            )
            % {"server": backup.server.name, "id": backup.id},
        )
        return redirect_for(request, reverse("jobs:detail", args=[job.pk]))
    try:
        message, event = request.panel.restore(request, backup, claim=claim)
    except UpstreamError as error:
        return refused(request, form, "backups/restore.html", context, error)
    messages.success(
        request,
        format_html(
            '{} {} <a href="{}">{}</a>',
            _("Restore of %(server)s from backup %(id)s was accepted.")
            % {"server": backup.server.name, "id": backup.id},
            message,
            reverse("audit:list") + f"?event={event.pk}",
            _("See it in the audit trail."),
        ),
    )
    return redirect_for(request, reverse("backups:list") + f"?server_id={server_id}")


def _start_job(request: PanelRequest, backup, claim) -> Job:
    job = Job.objects.create(
        user=request.user,
        server_id=backup.server.id,
        server_name=backup.server.name[:255],
        backup_id=backup.id,
        backup_created_at=backup.created_at,
        safety_description=runner.safety_description(backup.id, request.user.get_username()),
    )
    event = note(
        request,
        Action.SAFE_RESTORE_REQUESTED,
        server_id=backup.server.id,
        server_name=backup.server.name,
        backup_id=backup.id,
        backup_created_at=backup.created_at,
        backup_type=backup.backup_type,
        backup_size_mb=backup.size_mb,
        backup_status=backup.status,
        backup_description=backup.description,
        job_id=job.pk,
        message=job.safety_description,
    )
    claim.attach(event)
    tasks.start(job)
    tasks.keep_ticking()
    return job


def _job(request: HtmxHttpRequest, job_id: int) -> Job:
    job = Job.objects.select_related("safety_event", "restore_event").filter(pk=job_id).first()
    if job is None or not job.visible_to(request.user):
        raise Http404(_("No such job."))
    return job


@require_GET
@login_required
def job_detail(request: HtmxHttpRequest, job_id: int):
    """A job's steps, live while it runs (the steps poll themselves, one request a page)."""
    job = _job(request, job_id)
    if job.running and runner.stalled().filter(pk=job.pk).exists():
        tasks.advance_job.enqueue(job.pk)  # its worker died mid-step: pick it up again
    partial = request.htmx and request.htmx.target == "job-steps"
    template = "jobs/job.html#steps" if partial else "jobs/job.html"
    can_cancel = job.user_id == request.user.pk
    return render(request, template, {"job": job, "can_cancel": can_cancel})


@require_POST
@login_required
@permission_required("backups.restore_server", raise_exception=True)
def job_cancel(request: HtmxHttpRequest, job_id: int):
    """Cancels a job until its restore is sent; after that, nothing can call it back. Only
    the person who asked for it may: operators see everyone's jobs, of other accounts too."""
    job = _job(request, job_id)
    if job.user_id != request.user.pk:
        raise PermissionDenied
    cancelled = Job.objects.filter(pk=job.pk, state__in=Job.CANCELLABLE).update(
        state=Job.State.CANCELLED,
        detail=Sentence(
            gettext_noop("Cancelled by %(user)s."), user=request.user.get_username()
        ).dumps(),
        finished_at=timezone.now(),
    )
    if cancelled:
        note(
            request,
            Action.RESTORE_CANCELLED,
            server_id=job.server_id,
            server_name=job.server_name,
            backup_id=job.backup_id,
            job_id=job.pk,
        )
        messages.success(request, _("The job was cancelled; the restore will not be sent."))
    else:
        messages.warning(request, _("Too late to cancel: the restore was already sent."))
    return redirect("jobs:detail", job_id=job.pk)
