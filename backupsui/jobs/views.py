"""A restore job's page, live while it runs, and its Cancel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note
from backupsui.http import HtmxHttpRequest
from backupsui.words import Sentence

from .models import Job


def _job(request: HtmxHttpRequest, job_id: int) -> Job:
    job = Job.objects.select_related("safety_event", "restore_event").filter(pk=job_id).first()
    if job is None or not job.visible_to(request.user):
        raise Http404(_("No such job."))
    return job


@require_GET
@login_required
def job_detail(request: HtmxHttpRequest, job_id: int):
    """A job's steps, live while it runs (the steps poll themselves, one request a page).
    Reading it changes nothing: a job whose worker died is picked up by the periodic round."""
    job = _job(request, job_id)
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
            Actor.from_request(request),
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
