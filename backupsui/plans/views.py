"""The plans' pages: the list, a plan with its runs, the form with its previews, Run now,
delete; and the kept mark on a backup.

Every page acts with the person's own stored token (`account_view`) and shows only the
plans that token reaches (scope.py): a plan of another account is a 404, and nothing is sent
to the API for it. Saving, taking over, Run now, resume and delete ask to confirm who one is
when the person last did longer than BACKUPSUI_REAUTH_MINUTES ago, and each is on the audit
trail."""

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from backupsui.accounts.guards import reauthentication_required
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note
from backupsui.backups.decorators import AccountRequest, account_view
from backupsui.ids import parse_id
from backupsui.upstream import UpstreamError

from . import kept, pausing, preview, scope
from .forms import PlanForm
from .models import Plan, PlanRun
from .schedule import run_now

RUNS_SHOWN = 50


def reached_plan(view):
    """The plan of the URL, when the person's own token reaches it (404 otherwise)."""

    @wraps(view)
    def with_plan(request: AccountRequest, plan_id: int):
        return view(request, scope.plan_or_404(request.account, plan_id))

    return with_plan


@account_view("plans.view_plan")
def plan_list(request: AccountRequest):
    """The plans of the person's account (their token's), with each one's next run (none
    while paused) and how its newest run ended."""
    plans = scope.plans_of(request.user, scope.learn(request.account))
    now = timezone.now()
    last = PlanRun.newest_finished(plans)
    rows = [
        (
            plan,
            None if plan.paused else (preview.upcoming(plan.schedule, plan.zone, now) or [None])[0],
            last.get(plan.pk),
        )
        for plan in plans
    ]
    return render(request, "plans/list.html", {"rows": rows})


@account_view("plans.view_plan")
@reached_plan
def plan_detail(request: AccountRequest, plan: Plan):
    context = {
        "plan": plan,
        "runs": plan.runs.select_related("asked_by")[:RUNS_SHOWN],
        # A paused plan has no next runs to show: it runs again once resumed.
        "next": None if plan.paused else preview.upcoming(plan.schedule, plan.zone, timezone.now()),
        "chosen": scope.chosen_servers(request.user, plan),
        "last_run": PlanRun.newest_finished([plan]).get(plan.pk),
    }
    return render(request, "plans/plan.html", context)


def _on_the_list(request: AccountRequest, plan: Plan | None, form: PlanForm) -> dict:
    """The previews for what the form says: next runs, the current list, twelve weeks. The
    list is the person's own (their token reaches the plan: the same account's backups)."""
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    instance = form.instance
    schedule = data.get("schedule") or instance.schedule
    zone = data.get("zone") or instance.zone
    probe = Plan(**{name: data.get(name, getattr(instance, name)) for name in preview_fields()})
    now = timezone.now()
    context = {
        "next": preview.upcoming(schedule, zone, now),
        "simulation": preview.simulate(schedule, zone, probe.rules, now),
        "zone_shown": zone,
    }
    if plan is not None and plan.pk:
        made = set(plan.backups.values_list("backup_id", flat=True))
        try:
            listed = request.account.backups()
        except UpstreamError:
            context["list_unavailable"] = True
        else:
            held = kept.kept_ids(listed.backups)
            context["decisions"] = preview.on_the_list(
                listed.backups, made, held, probe.rules, zone
            )
    return context


def preview_fields():
    return ("keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")


def _form_page(request: AccountRequest, plan: Plan | None):
    instance = plan or Plan(owner=request.user)
    shown = scope.learn(request.account, fresh=request.method == "POST")
    form = PlanForm(request.POST or None, instance=instance, shown=shown)
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        context = _on_the_list(request, plan, form)
        going = [d for d in context.get("decisions", []) if not d.keep]
        total = len(context.get("decisions", []))
        asked = form.cleaned_data.get("confirm_deletes")
        if total and len(going) * 2 > total and asked != len(going):
            data = request.POST.copy()
            data["confirm_deletes"] = len(going)
            form = PlanForm(data, instance=instance, shown=shown)
            form.is_valid()
            context.update(form=form, plan=plan, confirm_count=len(going), total=total)
            return render(request, "plans/form.html", context)
        return _save(request, plan, form)
    if form.is_bound:
        form.is_valid()
    context = {"form": form, "plan": plan, **_on_the_list(request, plan, form)}
    if request.htmx and request.htmx.target == "plan-previews":
        return render(request, "plans/form.html#previews", context)
    return render(request, "plans/form.html", context)


def _save(request: AccountRequest, plan: Plan | None, form: PlanForm):
    """Saves the plan (taken over when asked) and puts it on the audit trail."""
    taken_over = (
        plan is not None and plan.owner_id != request.user.pk and "take_over" in request.POST
    )
    saved = form.save(commit=False, by=request.user)
    if taken_over:
        saved.owner = request.user
    saved.save()
    action = (
        Action.PLAN_CREATED
        if plan is None
        else Action.PLAN_TAKEN_OVER
        if taken_over
        else Action.PLAN_CHANGED
    )
    said = f"servers {saved.servers} {saved.server_ids or saved.pattern or ''}".rstrip() + "; "
    if taken_over:
        said = f"taken over from {plan.owner.get_username()}; " + said
    note(
        Actor.from_request(request),
        action,
        plan_id=saved.pk,
        plan_name=saved.name,
        message=said + f"{saved.schedule} {saved.zone}; {saved.rules or 'keeps all'}; {saved.mode}",
    )
    messages.success(request, _("The plan %(name)s was saved.") % {"name": saved.name})
    return redirect("plans:detail", plan_id=saved.pk)


@account_view("plans.add_plan", methods=("GET", "POST"))
@reauthentication_required
def plan_new(request: AccountRequest):
    return _form_page(request, None)


@account_view("plans.change_plan", methods=("GET", "POST"))
@reached_plan
@reauthentication_required
def plan_edit(request: AccountRequest, plan: Plan):
    return _form_page(request, plan)


@account_view("plans.view_plan")
def plan_previews(request: AccountRequest):
    """The form's previews for what is typed so far (htmx, as one types); for a plan, only
    one the person's token reaches."""
    plan = None
    if request.GET.get("plan"):
        plan_id = parse_id(request.GET["plan"])
        if plan_id is None:
            raise Http404(_("No such plan."))
        plan = scope.plan_or_404(request.account, plan_id)
    form = PlanForm(request.GET, instance=plan or Plan(owner=request.user))
    form.is_valid()
    context = {"form": form, "plan": plan, **_on_the_list(request, plan, form)}
    return render(request, "plans/form.html#previews", context)


@account_view("plans.change_plan", methods=("POST",))
@reached_plan
@reauthentication_required
def plan_run_now(request: AccountRequest, plan: Plan):
    """A run at once, with the owner's token as every run; on the audit trail, and each call
    the run makes names who pressed the button."""
    if plan.paused:
        messages.warning(request, _("The plan is paused: resume it first."))
    else:
        run = run_now(plan, by=request.user)
        note(
            Actor.from_request(request),
            Action.PLAN_RUN_REQUESTED,
            plan_id=plan.pk,
            plan_name=plan.name,
            plan_run_id=run.pk,
            message=f"owner {plan.owner.get_username()}",
        )
        messages.success(request, _("The plan will run in a moment."))
    return redirect("plans:detail", plan_id=plan.pk)


@account_view("plans.change_plan", methods=("POST",))
@reached_plan
@reauthentication_required
def plan_resume(request: AccountRequest, plan: Plan):
    """Takes a paused plan up again, in the mode it had (as editing it would: the same
    rights, the same account), on the audit trail; refused, saying why, when its owner could
    not run it."""
    if not plan.paused:
        messages.info(request, _("The plan is not paused."))
        return redirect("plans:detail", plan_id=plan.pk)
    why = pausing.cannot_resume(plan)
    if why is not None:
        messages.warning(request, _("The plan cannot resume: %(why)s") % {"why": why})
    elif pausing.resume(plan, Actor.from_request(request), "resumed"):
        messages.success(
            request,
            _("The plan %(name)s was resumed: %(mode)s.")
            % {"name": plan.name, "mode": plan.get_mode_display()},
        )
    return redirect("plans:detail", plan_id=plan.pk)


@account_view("plans.delete_plan", methods=("GET", "POST"))
@reached_plan
@reauthentication_required
def plan_delete(request: AccountRequest, plan: Plan):
    if request.method == "POST":
        note(
            Actor.from_request(request),
            Action.PLAN_DELETED,
            plan_id=plan.pk,
            plan_name=plan.name,
            message=f"owner {plan.owner.get_username()}",
        )
        plan.delete()
        messages.success(request, _("The plan was deleted; its backups stay."))
        return redirect("plans:list")
    return render(request, "plans/delete.html", {"plan": plan})


@account_view("plans.mark_kept", methods=("POST",))
def backup_kept(request: AccountRequest, backup_id: int):
    """Marks a backup kept, or releases it (`release` posted), then goes back."""
    try:
        backup = request.account.find(backup_id)
    except UpstreamError:
        backup = None
    if backup is None:
        raise Http404(_("No such backup."))
    actor = Actor.from_request(request)
    if "release" in request.POST:
        kept.release(actor, backup)
        messages.success(request, _("Backup %(id)s was released.") % {"id": backup.id})
    else:
        kept.mark(actor, backup)
        messages.success(request, _("Backup %(id)s is kept.") % {"id": backup.id})
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("backups:list")
    return HttpResponseRedirect(back)
