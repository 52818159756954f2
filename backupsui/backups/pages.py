"""What each page of the read path shows, gathered by one function per page: the list, the
servers, a server's story and the live status. The view hands over the request and the list;
the function reads what else the page needs (the plans' marks, the restores under way, the
servers muted) in as few queries as it can, and returns the whole context. Templates only
show it: no tag of theirs asks the database anything."""

from datetime import timedelta

from django.core.paginator import Paginator
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import gettext as _

from backupsui.audit.models import Action, AuditEvent
from backupsui.http import PAGE_SIZE

from . import names, plan_facts, presenters, restores, story
from .account import watch_param
from .forms import CreateBackupForm, OpenServerForm
from .health import summary
from .models import FormKey
from .mutes import muted_until
from .row_html import RowWriter
from .server_row_html import ServerRowWriter

STORY_ROWS = 50
STORY_ACTIONS = (
    Action.RESTORE_REQUESTED,
    Action.SAFE_RESTORE_REQUESTED,
    Action.RESTORE_CANCELLED,
    Action.BACKUP_DELETED,
)
STORY_EVENTS = 20


def backups_table(request, rows, back: str = "", **options) -> dict:
    """The backups table of a page (the list, a server's story, the live status): its rows
    as HTML, with the plans' marks (one query), and what the reader may do; its Restore and
    Delete links come back to `back`."""
    table = presenters.table(request.user)
    marks = plan_facts.marks([row.backup.id for row in rows])
    writer = RowWriter(table, get_token(request), request.get_full_path(), back)
    return {**table, "rows": rows, "rows_html": writer.rows(rows, marks, **options)}


def list_page(request, listed, form, filters: dict) -> dict:
    """The backups list: one page of the list as filtered and sorted, its summary of the
    servers' health, the restores under way, how old the list is."""
    back = request.get_full_path()
    context = _list_frame(request, form, filters)
    page = Paginator(selected(listed, filters), PAGE_SIZE).get_page(filters["page"])
    # Every server of the account in the picker, those whose backups are all gone included.
    servers = listed.all_servers()
    form.offer(servers, listed.statuses())
    rows = presenters.rows(page, odd=listed.odd_among(page))
    server_name = dict(servers).get(filters["server_id"])
    context.update(
        backups_table(request, rows, back),
        as_of=presenters.freshness(listed, request.account.token),
        page=page,
        health=summary(listed.health(timezone.now())),
        watch=watch_param(page),
        server_name=names.name(server_name) if server_name is not None else None,
        server_heading=names.name_html(server_name) if server_name else "",
        short=listed.short and (len(listed.backups), listed.counted),
        restoring=restores.running(server for server, _name in servers).values(),
    )
    return context


def list_failed(request, form, filters: dict, error) -> dict:
    """The backups list when no list could be had: the filters, and why."""
    form.offer([], [])
    return {**_list_frame(request, form, filters), "error": error}


def _list_frame(request, form, filters: dict) -> dict:
    return {
        "form": form,
        "filters": filters,
        "server_name": None,
        "idempotency_key": FormKey.issue(request.user, CreateBackupForm.purpose),  # Back up now
        "back": request.get_full_path(),
        "open_form": OpenServerForm(initial={"server_id": filters["server_id"]}, auto_id="open_%s"),
    }


def selected(listed, filters: dict) -> list:
    """The backups the list's filters select, in its order (the page and the CSV alike)."""
    within = filters["within"]
    return listed.select(
        server_id=filters["server_id"],
        backup_type=filters["backup_type"],
        status=filters["status"],
        q=filters["q"],
        sort=filters["sort"],
        since=timezone.now() - timedelta(days=within) if within else None,
    )


def servers_page(request, listed, form, filters: dict) -> dict:
    """Backup health across servers, worst first: one page of them, each with the plans
    covering it (worked out with the list's health, no query here) and its mute."""
    now = timezone.now()
    everyone = listed.health(now)
    page = Paginator(form.select(everyone, listed), PAGE_SIZE).get_page(filters["page"])
    rows = presenters.server_rows(page, now)
    muted = muted_until(row.server.id for row in rows)
    for row in rows:
        row.muted_until = muted.get(row.server.id)
    can_create = request.user.has_perm("backups.create_backup")
    writer = ServerRowWriter(
        can_create, request.user.has_perm("backups.mute_server"), request.get_full_path()
    )
    return {
        "as_of": presenters.freshness(listed, request.account.token),
        "page": page,
        "rows": rows,
        "rows_html": writer.rows(rows, listed.covering(now)),
        "server_ids": ",".join(str(row.server.id) for row in rows),
        "health": summary(everyone),
        "restoring": restores.running(server.id for server in everyone).values(),
        "can_create": can_create,
    }


def server_story(request, listed, server) -> dict:
    """One server's story: its health and why, the last 90 days, its sizes over time, odd
    backups, restores and deletions, and its newest backups."""
    now = timezone.now()
    mine = story.of_server(listed.backups, server.id)
    zone = timezone.get_current_timezone()
    odd = story.odd_backups(mine)
    chart = story.size_chart(mine, now - timedelta(days=story.CALENDAR_DAYS), now, zone)
    newest_first = mine[::-1]
    events = (
        AuditEvent.objects.visible_to(request.user)
        .filter(server_id=server.id, action__in=STORY_ACTIONS)
        .order_by("-created_at")[:STORY_EVENTS]
    )
    rows = presenters.rows(newest_first[:STORY_ROWS], now, odd)
    return {
        "server": server,
        "server_name": names.name(server.name) if server.name else "",
        "server_heading": names.name_html(server.name) if server.name else "",
        "health_row": presenters.server_rows([server], now)[0],
        "days": story.calendar(mine, now.astimezone(zone).date(), zone),
        "chart": chart,
        "chart_lines": [(series_class(kind), points) for kind, points in chart.lines().items()],
        "chart_points": sorted(
            (
                (kind, x, y, backup)
                for kind, points in chart.series.items()
                for x, y, backup in points
            ),
            key=lambda point: (point[3].created_at, point[3].id),
        ),
        "chart_marks": chart_marks(chart, odd),
        "chart_x": [(x, day.isoformat()) for x, day in chart.x_ticks],
        "chart_y": [(y, presenters.size_text(round(mb))) for y, mb in chart.y_ticks],
        "odd": [(odd[b.id], presenters.odd_words(odd[b.id])) for b in newest_first if b.id in odd],
        "odd_ids": set(odd),
        "events": list(events),
        "more": max(0, len(mine) - STORY_ROWS),
        "can_create": request.user.has_perm("backups.create_backup"),
        **backups_table(request, rows),
    }


# Each type's points have a shape of their own, and odd ones another, so that the chart
# reads without its colours: automatic backups squares, manual ones circles, other types
# triangles; an odd size a diamond around its point.
SHAPES = {"automatic": "square", "manual": "circle"}


def series_class(kind: str) -> str:
    """A type's class on the chart (a type the panel does not know is "other")."""
    return f"series-{kind}" if kind in SHAPES else "series-other"


def shape_path(shape: str, x: float, y: float) -> str:
    """An SVG path's `d` drawing a mark of this shape centred on (x, y)."""
    if shape == "square":
        return f"M{x - 3.5:.1f} {y - 3.5:.1f}h7v7h-7z"
    if shape == "circle":
        return f"M{x - 4:.1f} {y:.1f}a4 4 0 1 0 8 0a4 4 0 1 0 -8 0z"
    if shape == "diamond":
        return f"M{x:.1f} {y - 8:.1f}l8 8l-8 8l-8 -8z"
    return f"M{x:.1f} {y - 4.5:.1f}l4.5 8h-9z"  # a triangle


def chart_marks(chart, odd: dict) -> list[tuple[str, str, str]]:
    """The chart's marks: (class, shape's path, the backup's words for a tooltip)."""
    marks = []
    for kind, points in chart.series.items():
        shape = SHAPES.get(kind, "triangle")
        drawn = f"point {series_class(kind)} shape-{shape}"
        for x, y, backup in points:
            when = timezone.localtime(backup.created_at)
            said = f"{when:%Y-%m-%d %H:%M}: {presenters.size_text(backup.size_mb)}"
            marks.append((drawn, shape_path(shape, x, y), said))
            if backup.id in odd:
                marks.append(("point odd", shape_path("diamond", x, y), said))
    return marks


def poll_update(request, result) -> dict:
    """The live status: the rows that changed (swapped out of band), those gone, and the
    words for screen readers."""
    rows = presenters.rows(result.changed)
    said = [
        _("Backup %(id)s of %(server)s is now %(status)s.")
        % {
            "id": row.backup.id,
            "server": names.name(row.backup.server.name),
            "status": row.badge_label,
        }
        for row in rows
    ]
    return {
        "changed": result.changed,
        "gone": result.gone,
        "watch": result.watch,
        "error": result.error,
        "said": said,
        **backups_table(request, rows, oob=True, each_in_template=True),
    }
