"""The rows of the servers table as HTML, put together in Python as row_html.py does for the
backups table (`format_html`, each value escaped as it goes in): through the template language
the fifty rows of some thirty values each were three quarters of the servers page's time.
Sentences that take a value are translated once a page (row_html.sentence) and filled per
row."""

from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import names
from .presenters import url_maker
from .row_html import SPINNER, expires_html, sentence

WHEN = "Y-m-d H:i T"


def words_for_servers(can_create: bool, can_mute: bool) -> dict:
    """What every row of a page shares: what the reader may do, the columns' words, and the
    URLs of a server, a plan and muting."""
    return {
        "can_create": can_create,
        "can_mute": can_mute,
        "labels": {
            "server": format_html("{}", _("Server")),
            "health": format_html("{}", _("Health")),
            "newest": format_html("{}", _("Newest completed backup")),
            "failures": format_html("{}", _("Failures, 7 days")),
            "backups": format_html("{}", _("Backups")),
            "size": format_html("{}", _("Total size")),
            "expiry": format_html("{}", _("Next expiry")),
        },
        "running": format_html(
            '<span class="badge badge-running" role="img" aria-label="{}">{}{}</span>',
            _("A backup is running now"),
            SPINNER,
            _("running"),
        ),
        "none": _("none"),
        "new_backup": _("New backup"),
        "backups": _("Backups"),
        "mute": _("Mute"),
        "choose": sentence(_("Choose %(name)s")),
        "muted_until": sentence(_("muted until %(until)s")),
        "plan": sentence(_("plan %(name)s")),
        "next": sentence(_("next %(when)s")),
        "new_backup_of": sentence(_("New backup: %(name)s")),
        "backups_of": sentence(_("Backups of %(name)s")),
        "mute_of": sentence(_("Mute: %(name)s")),
        "server_url": url_maker("backups:server", "server_id"),
        "plan_url": url_maker("plans:detail", "plan_id"),
        "mute_url": url_maker("backups:mute", "server_id"),
    }


def _when(moment) -> str:
    return dateformat.format(timezone.localtime(moment), WHEN)


def _health(row, server, covering: list, words: dict) -> SafeString:
    done = [
        format_html(
            '<span class="badge badge-health-{}">{}</span>', server.health, row.health_label
        )
    ]
    if row.muted_until:
        until = format_html(words["muted_until"], until=_when(row.muted_until))
        done.append(format_html(' <span class="badge badge-muted">{}</span>', until))
    if server.running:
        done.append(format_html(" {}", words["running"]))
    if row.plan_reason and server.health != "good":
        done.append(format_html('<br><span class="plan-reason">{}</span>', row.plan_reason))
    for cover in covering:
        done.append(
            format_html(
                '<br><a class="muted" href="{}">{}</a>',
                words["plan_url"](cover.plan_id),
                format_html(words["plan"], name=names.visible(cover.plan_name)),
            )
        )
        if cover.next:
            done.append(format_html(", " + words["next"], when=_when(cover.next)))
    return format_html_join("", "{}", ((part,) for part in done))


def _newest(row, server, words: dict) -> SafeString | str:
    if not server.newest:
        return words["none"]
    return format_html(
        '<a href="{}">{}</a> <span class="muted">{}</span>',
        row.newest_url,
        row.newest_ago,
        row.newest_type,
    )


def _expiry(row, server) -> SafeString | str:
    done = expires_html(row)  # "—" when nothing expires
    if server.never_expire:
        n = server.never_expire
        said = ngettext("%(n)s manual, never expires", "%(n)s manual, never expire", n)
        done = format_html(
            '{}<br><span class="muted">{}</span>', done, format_html(sentence(said), n=n)
        )
    return done


def _actions(row, server, name: str, words: dict) -> SafeString:
    done = []
    if words["can_create"]:
        done.append(
            format_html(
                '<a href="{}" aria-label="{}">{}</a>',
                row.create_url,
                format_html(words["new_backup_of"], name=name),
                words["new_backup"],
            )
        )
    done.append(
        format_html(
            '<a href="{}" aria-label="{}">{}</a>',
            row.list_url,
            format_html(words["backups_of"], name=name),
            words["backups"],
        )
    )
    if words["can_mute"]:
        done.append(
            format_html(
                '<a href="{}" aria-label="{}">{}</a>',
                words["mute_url"](server.id),
                format_html(words["mute_of"], name=name),
                words["mute"],
            )
        )
    return format_html_join(" ", "{}", ((part,) for part in done))


def server_row_html(row, covering: list, words: dict) -> SafeString:
    """One row. `covering`: the plans covering the server (plan_facts.Cover, shortest period
    first); `words`: words_for_servers()."""
    server, label = row.server, words["labels"]
    sid = int(server.id)
    name = names.name(server.name) if server.name else "—"
    check = ""
    if words["can_create"]:
        check = format_html(
            '<td class="check"><input type="checkbox" name="server_id" value="{}" '
            'id="choose-{}" aria-label="{}"></td>',
            sid,
            sid,
            format_html(words["choose"], name=name),
        )
    failures = "0"
    if server.failures:
        failures = format_html(
            '<a class="danger" href="{}">{}</a>', row.failures_url, server.failures
        )
    return format_html(
        '<tr id="server-{}">\n'
        "  {}\n"
        '  <td class="server" data-label="{}"><a href="{}">{}</a> '
        '<span class="muted">#{}</span></td>\n'
        '  <td data-label="{}">{}</td>\n'
        '  <td data-label="{}">{}</td>\n'
        '  <td class="num" data-label="{}">{}</td>\n'
        '  <td class="num" data-label="{}">{}</td>\n'
        '  <td class="num" data-label="{}">{}</td>\n'
        '  <td data-label="{}">{}</td>\n'
        '  <td class="actions">{}</td>\n'
        "</tr>\n",
        sid,
        check,
        label["server"],
        words["server_url"](sid),
        names.name_html(server.name) if server.name else "—",
        sid,
        label["health"],
        _health(row, server, covering, words),
        label["newest"],
        _newest(row, server, words),
        label["failures"],
        failures,
        label["backups"],
        server.count,
        label["size"],
        row.size,
        label["expiry"],
        _expiry(row, server),
        _actions(row, server, name, words),
    )


def server_rows_html(rows, covering: dict, words: dict) -> SafeString:
    """The table's rows: `covering` server id → the plans covering it."""
    made = (server_row_html(row, covering.get(row.server.id, ()), words) for row in rows)
    return format_html_join("", "{}", ((html,) for html in made))
