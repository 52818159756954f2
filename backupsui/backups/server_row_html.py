"""The rows of the servers table as HTML, put together in Python, as row_html.py does for the
backups table: through the template language the fifty rows of some thirty values each were
three quarters of the servers page's time (make bench: the page took twice the list page).
Every value is escaped as the template escaped it (`esc`); words that take a value are
translated once a page and filled in per row, their values escaped, as blocktranslate did."""

from html import escape as esc

from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .presenters import url_maker
from .row_html import expires_html

WHEN = "Y-m-d H:i T"


def words_for_servers(can_create: bool, can_mute: bool) -> dict:
    """What every row of a page shares: what the reader may do, the columns' words, and the
    URLs of a server, a plan and muting."""
    return {
        "can_create": can_create,
        "can_mute": can_mute,
        "server": esc(_("Server")),
        "health": esc(_("Health")),
        "newest": esc(_("Newest completed backup")),
        "failures": esc(_("Failures, 7 days")),
        "backups": esc(_("Backups")),
        "size": esc(_("Total size")),
        "expiry": esc(_("Next expiry")),
        "running_aria": esc(_("A backup is running now")),
        "running": esc(_("running")),
        "none": esc(_("none")),
        "new_backup": esc(_("New backup")),
        "mute": esc(_("Mute")),
        "choose": _("Choose %(name)s"),
        "muted_until": _("muted until %(until)s"),
        "plan": _("plan %(name)s"),
        "next": _("next %(when)s"),
        "new_backup_of": _("New backup: %(name)s"),
        "backups_of": _("Backups of %(name)s"),
        "mute_of": _("Mute: %(name)s"),
        "server_url": url_maker("backups:server", "server_id"),
        "plan_url": url_maker("plans:detail", "plan_id"),
        "mute_url": url_maker("backups:mute", "server_id"),
    }


def _when(moment) -> str:
    return esc(dateformat.format(timezone.localtime(moment), WHEN))


def _health(row, server, planned: list, words: dict) -> str:
    done = (
        f'<span class="badge badge-health-{esc(str(server.health))}">'
        f"{esc(str(row.health_label))}</span>"
    )
    if row.muted_until:
        until = words["muted_until"] % {"until": _when(row.muted_until)}
        done += f' <span class="badge badge-muted">{until}</span>'
    if server.running:
        done += (
            f' <span class="badge badge-running" role="img" aria-label="{words["running_aria"]}">'
            f'<span class="spinner" aria-hidden="true"></span>{words["running"]}</span>'
        )
    if row.plan_reason and server.health != "good":
        done += f'<br><span class="plan-reason">{esc(row.plan_reason)}</span>'
    for p in planned:
        name = words["plan"] % {"name": esc(p["plan"].name)}
        done += f'<br><a class="muted" href="{esc(words["plan_url"](p["plan"].pk))}">{name}</a>'
        if p["next"]:
            done += ", " + words["next"] % {"when": _when(p["next"])}
    return done


def _newest(row, server, words: dict) -> str:
    if not server.newest:
        return words["none"]
    return (
        f'<a href="{esc(row.newest_url)}">{esc(row.newest_ago)}</a> '
        f'<span class="muted">{esc(row.newest_type)}</span>'
    )


def _expiry(row, server) -> str:
    done = expires_html(row)  # "—" when nothing expires
    if server.never_expire:
        n = server.never_expire
        said = ngettext("%(n)s manual, never expires", "%(n)s manual, never expire", n)
        done += f'<br><span class="muted">{said % {"n": esc(str(n))}}</span>'
    return done


def _actions(row, server, words: dict) -> str:
    name = {"name": esc(server.name)}
    done = ""
    if words["can_create"]:
        done += (
            f'<a href="{esc(row.create_url)}" aria-label="{words["new_backup_of"] % name}">'
            f"{words['new_backup']}</a> "
        )
    done += f'<a href="{esc(row.list_url)}" aria-label="{words["backups_of"] % name}">'
    done += f"{words['backups']}</a>"
    if words["can_mute"]:
        mute = esc(words["mute_url"](server.id))
        done += f' <a href="{mute}" aria-label="{words["mute_of"] % name}">{words["mute"]}</a>'
    return done


def server_row_html(row, planned: list, words: dict) -> SafeString:
    """One row. `planned`: the plans covering the server (plans' server_plans); `words`:
    words_for_servers()."""
    server = row.server
    sid = int(server.id)
    check = ""
    if words["can_create"]:
        label = words["choose"] % {"name": esc(server.name)}
        check = (
            f'<td class="check"><input type="checkbox" name="server_id" value="{sid}" '
            f'id="choose-{sid}" aria-label="{label}"></td>'
        )
    failures = "0"
    if server.failures:
        failures = (
            f'<a class="danger" href="{esc(row.failures_url)}">{esc(str(server.failures))}</a>'
        )
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<tr id="server-{sid}">\n'
        f"  {check}\n"
        f'  <td class="server" data-label="{words["server"]}">'
        f'<a href="{esc(words["server_url"](sid))}">{esc(server.name or "—")}</a> '
        f'<span class="muted">#{sid}</span></td>\n'
        f'  <td data-label="{words["health"]}">{_health(row, server, planned, words)}</td>\n'
        f'  <td data-label="{words["newest"]}">{_newest(row, server, words)}</td>\n'
        f'  <td class="num" data-label="{words["failures"]}">{failures}</td>\n'
        f'  <td class="num" data-label="{words["backups"]}">{esc(str(server.count))}</td>\n'
        f'  <td class="num" data-label="{words["size"]}">{esc(str(row.size))}</td>\n'
        f'  <td data-label="{words["expiry"]}">{_expiry(row, server)}</td>\n'
        f'  <td class="actions">{_actions(row, server, words)}</td>\n'
        f"</tr>\n"
    )
