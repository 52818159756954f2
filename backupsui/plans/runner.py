"""One run of a plan, in a background worker: one list call with the owner's token, one
backup asked for on each server it covers (unless one is running there already), then its
retention rules over that list and the backups it just asked for (those the API says are
completed already count), deleting at most BACKUPSUI_PLAN_DELETES_PER_RUN backups. A
chosen server the list does not show, or a pattern no name in it matches, ends the run
"needs attention" instead of done, its owner told (attention.py).

Each upstream call is noted as a step before it is made, and the step points at the call's
audit event as soon as that is written: a run resumed after its worker died finds the step
and never makes the call again (a create whose answer was lost is found in the list by its
description). The owner's rights are looked at on every run; a plan whose owner may no
longer act stops (paused, with the reason) and says so."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from backupsui.accounts.roles import OPERATORS
from backupsui.alerts.delivery import Alert, deliver
from backupsui.alerts.models import Subscription
from backupsui.audit.actors import Actor
from backupsui.audit.models import Outcome
from backupsui.backups import commands
from backupsui.backups.account import NoToken, UnreadableToken, account_for
from backupsui.upstream import Backup, UpstreamError
from backupsui.words import Sentence

from . import attention
from .models import KeptBackup, Plan, PlanBackup, PlanRun, PlanStep
from .retention import decide, to_delete

logger = logging.getLogger("backupsui.plans")
Result = PlanRun.Outcome


def lease_for() -> timedelta:
    """Longer than one call can take, so a live worker is never overtaken; renewed before
    each call."""
    return timedelta(seconds=2 * settings.BACKUPS_API_TIMEOUT + 5)


def lease(run_id: int) -> PlanRun | None:
    """The run, held by this worker; None when it is finished or another worker has it."""
    now = timezone.now()
    free = Q(held_until__isnull=True) | Q(held_until__lt=now)
    taken = PlanRun.objects.filter(free, pk=run_id, finished__isnull=True).update(
        held_until=now + lease_for(), outcome=Result.RUNNING
    )
    if not taken:
        return None
    PlanRun.objects.filter(pk=run_id, started__isnull=True).update(started=now)
    return PlanRun.objects.select_related("plan", "plan__owner", "asked_by").get(pk=run_id)


def _renew(run: PlanRun) -> None:
    PlanRun.objects.filter(pk=run.pk).update(held_until=timezone.now() + lease_for())


def carry_out(run_id: int) -> PlanRun | None:
    run = lease(run_id)
    if run is None:
        return None
    try:
        _run(run)
    finally:
        PlanRun.objects.filter(pk=run.pk).update(held_until=None)
    run.refresh_from_db()
    return run


def _finish(run: PlanRun, outcome: str, detail: Sentence | None = None, **values) -> None:
    steps = run.steps.select_related("event")
    values["created"] = sum(
        1 for s in steps if s.kind == PlanStep.CREATE and s.backup_id is not None
    )
    values["deleted"] = sum(
        1
        for s in steps
        if s.kind == PlanStep.DELETE and s.event and s.event.outcome == Outcome.ACCEPTED
    )
    if detail is not None:
        values["detail"] = detail.dumps()
    PlanRun.objects.filter(pk=run.pk).update(outcome=outcome, finished=timezone.now(), **values)


def owner_cannot(plan: Plan) -> Sentence | None:
    """Why the owner may not run this plan now, if they may not."""
    owner = type(plan.owner).objects.get(pk=plan.owner_id)
    if not owner.is_active:
        return Sentence(_("The plan's owner was deactivated, so the plan was paused."))
    if not owner.has_perm("backups.create_backup"):
        return Sentence(_("The plan's owner may no longer create backups, so it was paused."))
    if plan.rules.given() and not owner.has_perm("backups.delete_backup"):
        return Sentence(_("The plan's owner may no longer delete backups, so it was paused."))
    return None


def pause(plan: Plan, why: Sentence, cause: str = Plan.OWNER_MAY_NOT) -> None:
    """Stops the plan by itself, saying why (`cause`: the kind of reason, Plan.NO_TOKEN...),
    keeping the mode it takes up again, and tells its owner and the operators who asked for
    alerts."""
    was = plan.resumes_as if plan.mode == Plan.Mode.PAUSED else plan.mode
    Plan.objects.filter(pk=plan.pk).update(
        mode=Plan.Mode.PAUSED, paused_reason=why.dumps(), paused_for=cause, resumes_as=was
    )
    logger.warning("plan %s paused: %s", plan.pk, why.parts[0][0] if why.parts else "")
    try:
        _tell(plan, why)
    except Exception:  # noqa: BLE001 - the plan is paused whether or not the alert goes out
        logger.exception("plan %s: telling about the pause failed", plan.pk)


def _tell(plan: Plan, why: Sentence) -> None:
    operators = Group.objects.filter(name=OPERATORS).values_list("user", flat=True)
    told = Subscription.objects.filter(
        Q(user_id=plan.owner_id) | Q(user_id__in=operators), user__is_active=True
    ).select_related("user")
    alert = Alert(
        kind="plan_paused",
        subject=Sentence(_("Backup plan %(name)s was paused"), name=plan.name),
        lines=[why],
        items=[{"plan": plan.pk, "name": plan.name}],
    )
    for subscription in told:
        if subscription.by_email or subscription.webhook_url:
            deliver(subscription, alert)


def _run(run: PlanRun) -> None:
    plan = run.plan
    if plan.mode == Plan.Mode.PAUSED:
        return _finish(run, Result.STOPPED, Sentence(_("The plan is paused.")))
    why, cause = owner_cannot(plan), Plan.OWNER_MAY_NOT
    if why is None:
        try:
            account = account_for(plan.owner)
        except UnreadableToken:
            why = Sentence(
                _(
                    "The plan's owner's stored token can no longer be read (the keys "
                    "changed), so the plan was paused; the owner must store it again."
                )
            )
            cause = Plan.TOKEN_UNREADABLE
        except NoToken:
            why = Sentence(_("The plan's owner has no API token, so the plan was paused."))
            cause = Plan.NO_TOKEN
    if why is not None:
        pause(plan, why, cause)
        return _finish(run, Result.STOPPED, why)
    try:
        listed = account.backups()
    except UpstreamError as error:
        return _refused_or_failed(run, error)
    actor = Actor.for_plan(plan, run)
    steps = {(s.kind, s.target): s for s in run.steps.select_related("event")}
    skipped, fresh = [], []
    running = {b.server.id for b in listed.backups if b.in_progress}
    description = plan.description_for(run.slot)
    servers = dict(listed.servers())
    # A chosen server the owner's list does not show, or a pattern no name matches: what
    # can be done is done, and the run ends needing attention, its owner told.
    missing = attention.missing(plan, servers)
    for server_id, server_name in servers.items():
        if not plan.covers(server_id, server_name):
            continue
        step = steps.get((PlanStep.CREATE, server_id))
        if step is not None:
            _resume_create(run, step, listed, description)
        elif server_id in running:
            skipped.append(_skip(server_id, server_name, _("a backup is running already")))
        else:
            try:
                made_now = _create(run, account, actor, server_id, server_name, description)
            except UpstreamError as error:
                if error.token_refused:
                    return _refused_or_failed(run, error, skipped=skipped)
                skipped.append(_skip(server_id, server_name, error.message, verbatim=True))
            else:
                if made_now is not None:
                    fresh.append(made_now)
    made = set(plan.backups.values_list("backup_id", flat=True))
    kept = set(KeptBackup.objects.values_list("backup_id", flat=True))
    # The backups this run asked for count as the API answered for them: one already
    # completed is among the plan's completed backups (one still running never is).
    going = to_delete(decide([*listed.backups, *fresh], made, kept, plan.rules, plan.zone))
    if plan.mode == Plan.Mode.PREVIEW:
        would = [_shown(d) for d in going]
        return _ended(run, Result.PREVIEWED, missing, skipped=skipped, would_delete=would)
    allowed = settings.BACKUPSUI_PLAN_DELETES_PER_RUN
    sent = sum(1 for kind, _target in steps if kind == PlanStep.DELETE)
    for decision in going:
        if (PlanStep.DELETE, decision.backup.id) in steps:
            continue  # asked for before this worker began: never again
        if sent >= allowed:
            break
        sent += 1
        try:
            _delete(run, account, actor, decision)
        except UpstreamError as error:
            if error.token_refused:
                return _refused_or_failed(run, error, skipped=skipped)
    left = [_shown(d) for d in going[sent:]] if len(going) > allowed else []
    _ended(run, Result.DONE, missing, skipped=skipped, would_delete=left)


def _ended(run: PlanRun, outcome: str, missing: Sentence | None, **values) -> None:
    """Finishes a run that went through: `outcome`, or needing attention (then its owner is
    told, from the alerts' queue)."""
    if missing is None:
        return _finish(run, outcome, **values)
    _finish(run, Result.ATTENTION, missing, **values)
    attention.tell_later(run)


def _skip(server_id, server_name, why, verbatim=False) -> dict:
    said = Sentence.verbatim(why) if verbatim else Sentence(why)
    return {"server_id": server_id, "server_name": server_name, "why": said.dumps()}


def _shown(decision) -> dict:
    backup = decision.backup
    return {
        "backup_id": backup.id,
        "server_id": backup.server.id,
        "server_name": backup.server.name,
        "created_at": backup.created_at.isoformat(),
        "said": decision.said,
    }


def _refused_or_failed(run: PlanRun, error: UpstreamError, **values) -> None:
    if error.token_refused:
        why = Sentence(_("The plan's owner's API token was refused, so the plan was paused."))
        pause(run.plan, why, Plan.TOKEN_REFUSED)
        return _finish(run, Result.STOPPED, why, **values)
    return _finish(run, Result.FAILED, Sentence.verbatim(error.message), **values)


class _Step:
    """Points the step at its audit event as soon as it is written (before the call)."""

    def __init__(self, step: PlanStep):
        self.step = step

    def attach(self, event) -> None:
        self.step.event = event
        PlanStep.objects.filter(pk=self.step.pk).update(event=event)


def _note(run: PlanRun, kind: str, target: int, **values) -> PlanStep | None:
    """The step, on record before its call; None if another worker noted it first."""
    _renew(run)
    try:
        return PlanStep.objects.create(run=run, kind=kind, target=target, **values)
    except IntegrityError:
        return None


def _create(run, account, actor, server_id, server_name, description) -> Backup | None:
    """The backup asked for, as the API answered (None when another worker noted it first)."""
    step = _note(run, PlanStep.CREATE, server_id, server_name=server_name[:255])
    if step is None:
        return None
    created = commands.request_backup(account, actor, server_id, description, _Step(step))
    _made(run, step, created.backup.id)
    return created.backup


def _made(run: PlanRun, step: PlanStep, backup_id: int) -> None:
    PlanStep.objects.filter(pk=step.pk).update(backup_id=backup_id)
    step.backup_id = backup_id
    PlanBackup.objects.get_or_create(
        plan_id=run.plan_id,
        backup_id=backup_id,
        defaults={"server_id": step.target, "slot": run.slot},
    )


def _resume_create(run, step: PlanStep, listed, description) -> None:
    """A create asked for before this worker began: what it made is found from its event or
    from the list (the same server, this run's description, made since the step was noted);
    it is never asked for again."""
    if step.backup_id is not None:
        return
    if step.event is not None and step.event.backup_id:
        return _made(run, step, step.event.backup_id)
    since = step.created_at - timedelta(minutes=5)
    for backup in listed.backups:
        if (
            backup.server.id == step.target
            and backup.description == description
            and backup.created_at >= since
        ):
            return _made(run, step, backup.id)


def _delete(run, account, actor, decision) -> None:
    backup = decision.backup
    step = _note(
        run, PlanStep.DELETE, backup.id, server_name=backup.server.name[:255], said=decision.said
    )
    if step is None:
        return
    commands.delete_backup(account, actor, backup, _Step(step), why=decision.said)
