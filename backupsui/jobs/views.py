"""A restore job's page, live while it runs, and its Cancel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note
from backupsui.backups.presenters import clock
from backupsui.backups.restores import sees_server
from backupsui.http import PAGE_SIZE, HtmxHttpRequest, page_or_part
from backupsui.words import Sentence

from .forms import JobFilterForm
from .models import Job


def _job(request: HtmxHttpRequest, job_id: int) -> Job:
    job = Job.objects.select_related("safety_event", "restore_event").filter(pk=job_id).first()
    if job is None or not job.visible_to(request.user):
        raise Http404(_("No such job."))
    return job


def elapsed(since, until) -> str:
    """How long a job has run, or ran: "less than a minute", then "3 minutes", "1 hour, 4
    minutes" (never "0 minutes")."""
    if (until - since).total_seconds() < 60:
        return _("less than a minute")
    return timesince(since, until, depth=2)


@require_GET
@login_required
@permission_required("backups.view_backups", raise_exception=True)
def job_list(request: HtmxHttpRequest):
    """Running and past restore jobs that the person may see: who, which server, when, how
    it stands; filtered by state, server and person."""
    form = JobFilterForm(request.GET)
    jobs = form.select(Job.objects.visible_to(request.user).select_related("user"))
    page = Paginator(jobs, PAGE_SIZE).get_page(form.cleaned_data.get("page") or 1)
    context = {
        "form": form,
        "page": page,
        # Auditors and Operators read every job, of every account: the page says so.
        "sees_all": request.user.has_perm("audit.view_all_events"),
    }
    return page_or_part(request, "jobs/list.html", "jobs-results", context)


@require_GET
@login_required
def job_detail(request: HtmxHttpRequest, job_id: int):
    """A job's steps, live while it runs (the steps poll themselves, one request a page).
    Reading it changes nothing: a job whose worker died is picked up by the periodic round."""
    job = _job(request, job_id)
    partial = request.htmx and request.htmx.target == "job-steps"
    template = "jobs/job.html#steps" if partial else "jobs/job.html"
    ours = job.user_id == request.user.pk or sees_server(request.user, job.server_id)
    context = {
        "job": job,
        "can_cancel": job.user_id == request.user.pk,
        # Offered only to the people of the server's account (others read the job's story).
        "can_restore": ours and request.user.has_perm("backups.restore_server"),
        "can_delete": ours and request.user.has_perm("backups.delete_backup"),
        "elapsed": elapsed(job.created_at, job.finished_at or timezone.now()),
        "gives_up_at": job.gives_up_at if job.state in Job.WAITS else None,
    }
    return render(request, template, context)


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
        messages.success(
            request,
            _("Job %(id)s was cancelled at %(time)s; the restore was not sent.")
            % {"id": job.pk, "time": clock()},
        )
    else:
        messages.warning(request, _("Too late to cancel: the restore was already sent."))
    return redirect("jobs:detail", job_id=job.pk)
