from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.views.decorators.http import require_GET

from backupsui.csv_export import csv_response
from backupsui.http import PAGE_SIZE, HtmxHttpRequest, page_or_part

from . import export
from .forms import AuditFilterForm
from .models import AuditEvent, Outcome

OPEN_SHOWN = 20


def _events(request: HtmxHttpRequest, form):
    return form.apply(AuditEvent.objects.visible_to(request.user))


@require_GET
@login_required
def audit_list(request: HtmxHttpRequest):
    form = AuditFilterForm(request.GET)
    events = _events(request, form)
    page = Paginator(events, PAGE_SIZE).get_page(form.cleaned_data.get("page") or 1)
    sees_all = request.user.has_perm("audit.view_all_events")
    context = {"form": form, "page": page, "sees_all": sees_all}
    if sees_all:
        # What nobody can say yet how it ended comes first, for someone to look at.
        context["open_events"] = AuditEvent.objects.filter(
            outcome__in=(Outcome.PENDING, Outcome.UNKNOWN)
        )[:OPEN_SHOWN]
    return page_or_part(request, "audit/list.html", "audit-results", context)


@require_GET
@login_required
def audit_export(request: HtmxHttpRequest):
    form = AuditFilterForm(request.GET)
    events = _events(request, form)
    return csv_response("audit", export.HEADINGS, export.rows(events))
