from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from backupsui.http import HtmxHttpRequest

from .export import csv_rows
from .forms import AuditFilterForm
from .models import AuditEvent, Outcome

PAGE_SIZE = 50
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
    partial = request.htmx and request.htmx.target == "audit-results"
    return render(request, "audit/list.html#results" if partial else "audit/list.html", context)


@require_GET
@login_required
def audit_export(request: HtmxHttpRequest):
    form = AuditFilterForm(request.GET)
    events = _events(request, form)
    response = StreamingHttpResponse(csv_rows(events), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
