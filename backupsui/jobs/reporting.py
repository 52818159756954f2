"""How restore jobs ended, for the report (backups.report asks here): a job is one restore,
whatever events its steps wrote."""

from backupsui.audit.models import Outcome
from backupsui.backups import report

from .models import Job


@report.job_outcomes_from
def restore_endings(job_ids) -> dict[int, str]:
    endings = {}
    jobs = Job.objects.filter(pk__in=list(job_ids)).select_related("restore_event", "safety_event")
    for job in jobs:
        sent = job.restore_event
        if job.state == Job.State.CANCELLED:
            endings[job.pk] = report.CANCELLED
        elif job.state == Job.State.DONE:
            # Done means the restore was sent; how it ended may be unknown.
            accepted = sent is not None and sent.outcome == Outcome.ACCEPTED
            endings[job.pk] = report.DONE if accepted else report.UNKNOWN
        elif job.state == Job.State.FAILED:
            said_no = [e for e in (sent, job.safety_event) if e is not None]
            refused = any(e.outcome == Outcome.REFUSED for e in said_no)
            endings[job.pk] = report.REFUSED if refused else report.FAILED
        else:
            endings[job.pk] = report.RUNNING
    return endings
