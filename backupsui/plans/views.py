"""The plans' pages: the list, a plan with its runs, the form with its previews, Run now,
delete; and the kept mark on a backup."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note
from backupsui.backups.account import NoToken, account_for
from backupsui.http import HtmxHttpRequest
from backupsui.ids import parse_id
from backupsui.upstream import UpstreamError

from . import kept, preview
from .forms import PlanForm
from .models import Plan
from .schedule import run_now

RUNS_SHOWN = 50


@require_GET
@login_required
@permission_required("plans.view_plan", raise_exception=True)
def plan_list(request: HtmxHttpRequest):
    plans = Plan.objects.select_related("owner")
    now = timezone.now()
    rows = [
        (plan, (preview.upcoming(plan.schedule, plan.zone, now) or [None])[0]) for plan in plans
    ]
    return render(request, "plans/list.html", {"rows": rows})


@require_GET
@login_required
@permission_required("plans.view_plan", raise_exception=True)
def plan_detail(request: HtmxHttpRequest, plan_id: int):
    plan = get_object_or_404(Plan.objects.select_related("owner"), pk=plan_id)
    context = {
        "plan": plan,
        "runs": plan.runs.all()[:RUNS_SHOWN],
        "next": preview.upcoming(plan.schedule, plan.zone, timezone.now()),
    }
    return render(request, "plans/plan.html", context)


def _on_the_list(request, plan: Plan | None, form: PlanForm) -> dict:
    """The previews for what the form says: next runs, the current list, twelve weeks."""
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
            listed = account_for(plan.owner).backups()
        except (NoToken, UpstreamError):
            context["list_unavailable"] = True
        else:
            held = kept.kept_ids(listed.backups)
            context["decisions"] = preview.on_the_list(
                listed.backups, made, held, probe.rules, zone
            )
    return context


def preview_fields():
    return ("keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")


def _form_page(request, plan: Plan | None):
    instance = plan or Plan(owner=request.user)
    form = PlanForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        context = _on_the_list(request, plan, form)
        going = [d for d in context.get("decisions", []) if not d.keep]
        total = len(context.get("decisions", []))
        asked = form.cleaned_data.get("confirm_deletes")
        if total and len(going) * 2 > total and asked != len(going):
            data = request.POST.copy()
            data["confirm_deletes"] = len(going)
            form = PlanForm(data, instance=instance)
            form.is_valid()
            context.update(form=form, plan=plan, confirm_count=len(going), total=total)
            return render(request, "plans/form.html", context)
        taken_over = (
            plan is not None and plan.owner_id != request.user.pk and "take_over" in request.POST
        )
        saved = form.save(commit=False)
        if taken_over:
            saved.owner = request.user
        saved.save()
        note(
            Actor.from_request(request),
            Action.PLAN_CHANGED,
            plan_id=saved.pk,
            plan_name=saved.name,
            message=("taken over; " if taken_over else "")
            + f"{saved.schedule} {saved.zone}; {saved.rules}",
        )
        messages.success(request, _("The plan %(name)s was saved.") % {"name": saved.name})
        return redirect("plans:detail", plan_id=saved.pk)
    if form.is_bound:
        form.is_valid()
    context = {"form": form, "plan": plan, **_on_the_list(request, plan, form)}
    if request.htmx and request.htmx.target == "plan-previews":
        return render(request, "plans/form.html#previews", context)
    return render(request, "plans/form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("plans.add_plan", raise_exception=True)
def plan_new(request: HtmxHttpRequest):
    return _form_page(request, None)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("plans.change_plan", raise_exception=True)
def plan_edit(request: HtmxHttpRequest, plan_id: int):
    return _form_page(request, get_object_or_404(Plan.objects.select_related("owner"), pk=plan_id))


@require_GET
@login_required
@permission_required("plans.view_plan", raise_exception=True)
def plan_previews(request: HtmxHttpRequest):
    """The form's previews for what is typed so far (htmx, as one types)."""
    plan_id = parse_id(request.GET.get("plan"))
    plan = Plan.objects.filter(pk=plan_id).select_related("owner").first() if plan_id else None
    form = PlanForm(request.GET, instance=plan or Plan(owner=request.user))
    form.is_valid()
    context = {"form": form, "plan": plan, **_on_the_list(request, plan, form)}
    return render(request, "plans/form.html#previews", context)


@require_POST
@login_required
@permission_required("plans.change_plan", raise_exception=True)
def plan_run_now(request: HtmxHttpRequest, plan_id: int):
    plan = get_object_or_404(Plan, pk=plan_id)
    if plan.mode == Plan.Mode.PAUSED:
        messages.warning(request, _("The plan is paused: take it up again first."))
    else:
        run_now(plan)
        messages.success(request, _("The plan will run in a moment."))
    return redirect("plans:detail", plan_id=plan.pk)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("plans.delete_plan", raise_exception=True)
def plan_delete(request: HtmxHttpRequest, plan_id: int):
    plan = get_object_or_404(Plan, pk=plan_id)
    if request.method == "POST":
        note(
            Actor.from_request(request),
            Action.PLAN_CHANGED,
            plan_id=plan.pk,
            plan_name=plan.name,
            message="deleted",
        )
        plan.delete()
        messages.success(request, _("The plan was deleted; its backups stay."))
        return redirect("plans:list")
    return render(request, "plans/delete.html", {"plan": plan})


@require_POST
@login_required
@permission_required("plans.mark_kept", raise_exception=True)
def backup_kept(request: HtmxHttpRequest, backup_id: int):
    """Marks a backup kept, or releases it (`release` posted), then goes back."""
    try:
        backup = account_for(request.user).find(backup_id)
    except (NoToken, UpstreamError):
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
