"""Taking a paused plan up again: by a person (the Resume button, with the rights and the
account that editing asks for), or by itself when it paused because its owner had no API
token and the owner stores one. Each resume is on the audit trail. A plan paused for any other
reason (by a person, its owner's rights, a refused token) waits for a person."""

import logging

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from backupsui.accounts.models import ApiToken
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note
from backupsui.words import Sentence

from .models import Plan
from .runner import owner_cannot

logger = logging.getLogger("backupsui.plans")


def cannot_resume(plan: Plan) -> Sentence | None:
    """Why the plan would only pause again at its next run, if it would."""
    why = owner_cannot(plan)
    if why is not None:
        return why
    if not ApiToken.objects.filter(user_id=plan.owner_id).exists():
        return Sentence(
            _(
                "The plan's owner has no API token: the plan resumes by itself when they "
                "store one, or someone may take it over (Edit) to run it with their own."
            )
        )
    return None


def resume(plan: Plan, actor: Actor, said: str) -> bool:
    """Takes the plan up in the mode it had before it paused; the slots it missed are not
    due. False when it was not paused (another person or process resumed it first)."""
    mode = plan.resumed_mode
    moved = Plan.objects.filter(pk=plan.pk, mode=Plan.Mode.PAUSED).update(
        mode=mode, paused_reason="", paused_for="", resumes_as="", last_slot=timezone.now()
    )
    if moved:
        note(
            actor,
            Action.PLAN_RESUMED,
            plan_id=plan.pk,
            plan_name=plan.name,
            message=f"{said}; owner {plan.owner.get_username()}; {mode}",
        )
        plan.refresh_from_db()
    return bool(moved)


def resume_for_token(user) -> list[Plan]:
    """The plans of `user` that paused for the lack of their token (none stored, or one no key
    reads any more), taken up again now that one is stored (those the owner may run)."""
    waiting = Plan.objects.filter(
        owner=user,
        mode=Plan.Mode.PAUSED,
        paused_for__in=(Plan.NO_TOKEN, Plan.TOKEN_UNREADABLE),
    )
    resumed = []
    for plan in waiting.select_related("owner"):
        if owner_cannot(plan) is None and resume(
            plan, Actor.for_plan(plan), "resumed by itself: its owner's API token is stored again"
        ):
            resumed.append(plan)
    return resumed


@receiver(post_save, sender=ApiToken, dispatch_uid="plans-resume-for-token")
def on_token_stored(sender, instance: ApiToken, **kwargs) -> None:
    try:
        for plan in resume_for_token(instance.user):
            logger.info("plan %s resumed: its owner's API token is stored again", plan.pk)
    except Exception:  # noqa: BLE001 - storing the token stands; the plan waits for a person
        logger.exception("user %s's plans: resuming them after a token failed", instance.user_id)
