"""Who acts: a person through a request, a background job on a person's behalf, or the panel
itself (a management command). Every command that changes something upstream takes one, and
the audit trail records it as it is: it is decided here and nowhere else."""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Actor:
    user: object | None = None  # the person, when there is one
    username: str = ""
    remote_addr: str | None = None
    user_agent: str = ""
    request_id: str = ""
    job_id: int | None = None
    plan_id: int | None = None
    plan_name: str = ""
    plan_run_id: int | None = None
    run_now_by: str = ""  # who pressed "Run now", when a run acts as the plan's owner

    @classmethod
    def from_request(cls, request, user=None) -> "Actor":
        """The person signed in on this request (or `user`, for a sign-in or a failed one),
        from the address the trusted proxies gave."""
        if user is None:
            user = getattr(request, "user", None)
            if user is not None and not user.is_authenticated:
                user = None
        return cls(
            user=user,
            username=user.get_username() if user is not None else "",
            remote_addr=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.headers.get("User-Agent", "")[:300],
            request_id=getattr(request, "request_id", ""),
        )

    @classmethod
    def for_job(cls, user, job_id: int) -> "Actor":
        """A restore job, acting for the person who asked for it."""
        return cls(
            user=user, username=user.get_username(), user_agent="backupsui job", job_id=job_id
        )

    @classmethod
    def for_plan(cls, plan, run=None) -> "Actor":
        """A backup plan's run, acting as the plan's owner and naming the plan, the run and
        the person who pressed "Run now" (when one did)."""
        owner = plan.owner
        asked_by = getattr(run, "asked_by", None) if run is not None else None
        return cls(
            user=owner,
            username=owner.get_username(),
            user_agent="backupsui plan",
            plan_id=plan.pk,
            plan_name=plan.name,
            plan_run_id=run.pk if run is not None else None,
            run_now_by=asked_by.get_username() if asked_by is not None else "",
        )

    @classmethod
    def of(cls, user) -> "Actor":
        """A person acting without a request (a management command on their behalf)."""
        return cls(user=user, username=user.get_username(), user_agent="manage.py")

    @classmethod
    def named(cls, username: str, request=None) -> "Actor":
        """Someone who is not (or not yet) signed in: a failed sign-in names who was tried."""
        if request is None:
            return cls(username=username, user_agent="manage.py")
        return replace(cls.from_request(request), username=username)

    def facts(self) -> dict:
        """The audit event's fields that say who acted."""
        return {
            "actor": self.user,
            "actor_username": self.username[:150],
            "remote_addr": self.remote_addr,
            "user_agent": self.user_agent[:300],
            "request_id": self.request_id,
            "job_id": self.job_id,
            "plan_id": self.plan_id,
            "plan_name": self.plan_name[:100],
            "plan_run_id": self.plan_run_id,
            "run_now_by": self.run_now_by[:150],
        }


# The panel itself: a management command, a periodic round.
SYSTEM = Actor(user_agent="manage.py")
