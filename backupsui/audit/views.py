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
    response = page_or_part(request, "audit/list.html", "audit-results", context)
    if form.refused and not context["partial"]:
        response.status_code = 400  # a fragment stays 200, or htmx would not show why
    return response


@require_GET
@login_required
def audit_export(request: HtmxHttpRequest):
    """The filtered events as CSV; a filter that cannot be read gets the page saying why."""
    form = AuditFilterForm(request.GET)
    if form.refused:
        return audit_list(request)
    events = _events(request, form)
    return csv_response("audit", export.HEADINGS, export.rows(events))
