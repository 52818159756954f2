"""The rows of the servers table as HTML, put together in Python as row_html.py does for the
backups table: `format_html`, what every row of a page shares escaped once into the page's row
formats, a row one `format_html` of its own values. Through the template language the fifty
rows of some thirty values each would be most of the servers page's time."""

import re
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import names
from .presenters import url_maker
from .row_html import SPINNER, digits, expires_html, field, literal, sentence

WHEN = "Y-m-d H:i T"
_FIELD = re.compile(r"\{(\w+)\}")

ROW = (
    '<tr id="server-{id}">\n'
    "  {check}\n"
    '  <td class="server" data-label="{w_server}"><a href="{server_url}">{name}</a> '
    '<span class="muted">#{id}</span></td>\n'
    '  <td data-label="{w_health}">{health}</td>\n'
    '  <td data-label="{w_newest}">{newest}</td>\n'
    '  <td class="num" data-label="{w_failures}">{failures}</td>\n'
    '  <td class="num" data-label="{w_backups}">{count}</td>\n'
    '  <td class="num" data-label="{w_size}">{size}</td>\n'
    '  <td data-label="{w_expiry}">{expiry}</td>\n'
    '  <td class="actions">{actions}</td>\n'
    "</tr>\n"
)
CHECK = (
    '<td class="check"><input type="checkbox" name="server_id" value="{id}" id="choose-{id}" '
    'aria-label="{choose_label}"></td>'
)
NEWEST = '<a href="{newest_url}">{newest_ago}</a> <span class="muted">{newest_type}</span>'
FAILURES = '<a class="danger" href="{failures_url}">{failures_count}</a>'
CREATE = '<a href="{create_url}" aria-label="{new_backup_label}">{w_new_backup}</a> '
LIST = '<a href="{list_url}" aria-label="{backups_label}">{w_backups}</a>'
MUTE = ' <a href="{mute_url}" aria-label="{mute_label}">{w_mute}</a>'


class ServerRowWriter:
    """Writes the rows of one servers page: `can_create` offers "New backup" and the
    checkboxes, `can_mute` the mute link; "New backup" comes back to `back`."""

    def __init__(self, can_create: bool, can_mute: bool, back: str = ""):
        self.can_create, self.can_mute = can_create, can_mute
        words = {
            "server": _("Server"),
            "health": _("Health"),
            "newest": _("Newest completed backup"),
            "failures": _("Failures, 7 days"),
            "backups": _("Backups"),
            "size": _("Total size"),
            "expiry": _("Next expiry"),
            "new_backup": _("New backup"),
            "mute": _("Mute"),
        }
        listed = reverse("backups:list")
        create = _create_url(back)
        id_ = field("id")
        self.page = {
            **{f"w_{key}": literal(word) for key, word in words.items()},
            "server_url": _link(url_maker("backups:server", "server_id"), id_),
            "mute_url": _link(url_maker("backups:mute", "server_id"), id_),
            "list_url": format_html("{}?server_id={}", literal(listed), id_),
            "newest_url": format_html(
                "{}?server_id={}#backup-{}", literal(listed), id_, field("newest_id")
            ),
            "failures_url": format_html(
                "{}?server_id={}{}", literal(listed), id_, literal("&status=failed&within=7")
            ),
            "create_url": format_html("{}{}{}", literal(create[0]), id_, literal(create[1])),
            "choose_label": sentence(_("Choose %(name)s"), name="label"),
            "new_backup_label": sentence(_("New backup: %(name)s"), name="label"),
            "backups_label": sentence(_("Backups of %(name)s"), name="label"),
            "mute_label": sentence(_("Mute: %(name)s"), name="label"),
        }
        self.running = format_html(
            ' <span class="badge badge-running" role="img" aria-label="{}">{}{}</span>',
            _("A backup is running now"),
            SPINNER,
            _("running"),
        )
        self.none = conditional_escape(_("none"))
        self.muted = sentence(_("muted until %(until)s"))
        self.plan = sentence(_("plan %(name)s"))
        self.next = sentence(_("next %(when)s"))
        self.plan_url = url_maker("plans:detail", "plan_id")
        self._formats: dict[tuple, str] = {}
        self._made: dict[tuple, SafeString] = {}

    def _format(self, newest: bool, failures: bool) -> str:
        key = (newest, failures)
        made = self._formats.get(key)
        if made is None:
            actions = [self._piece(LIST)]
            if self.can_create:
                actions.insert(0, self._piece(CREATE))
            if self.can_mute:
                actions.append(self._piece(MUTE))
            fields = {
                "check": self._piece(CHECK) if self.can_create else SafeString(""),
                "newest": self._piece(NEWEST) if newest else literal(self.none),
                "failures": self._piece(FAILURES) if failures else SafeString("0"),
                "actions": SafeString("".join(actions)),
            }
            made = self._formats[key] = str(self._piece(ROW, **fields))
        return made

    def _piece(self, form: str, **given) -> SafeString:
        """A piece of a row format: for each {name} of `form`, what is `given`, or the
        page's value (escaped), or the row's own {name}."""
        fields = {
            name: given[name] if name in given else self.page.get(name, field(name))
            for name in _names(form)
        }
        return format_html(form, **fields) if fields else SafeString(form)

    def _once(self, key: tuple, make) -> SafeString:
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = make()
        return made

    def _health(self, row, server, covering) -> SafeString:
        badge = self._once(
            ("health", server.health, row.health_label),
            lambda: format_html(
                '<span class="badge badge-health-{}">{}</span>', server.health, row.health_label
            ),
        )
        done = [badge]
        if row.muted_until:
            until = format_html(self.muted, until=_when(row.muted_until))
            done.append(format_html(' <span class="badge badge-muted">{}</span>', until))
        if server.running:
            done.append(self.running)
        if row.plan_reason and server.health != "good":
            done.append(format_html('<br><span class="plan-reason">{}</span>', row.plan_reason))
        for cover in covering:
            done.append(
                format_html(
                    '<br><a class="muted" href="{}">{}</a>',
                    self.plan_url(cover.plan_id),
                    format_html(self.plan, name=names.visible(cover.plan_name)),
                )
            )
            if cover.next:
                done.append(format_html(", " + self.next, when=_when(cover.next)))
        if len(done) == 1:
            return badge
        return format_html_join("", "{}", ((part,) for part in done))

    def _expiry(self, row, server) -> SafeString:
        done = self._once(
            ("expiry", row.expires_title, row.expires_text, row.expires_soon),
            lambda: conditional_escape(expires_html(row)),  # "—" when nothing expires
        )
        if server.never_expire:
            n = server.never_expire
            said = ngettext("%(n)s manual, never expires", "%(n)s manual, never expire", n)
            done = format_html(
                '{}<br><span class="muted">{}</span>', done, format_html(sentence(said), n=n)
            )
        return done

    def row(self, row, covering=()) -> SafeString:
        """One row; `covering`: the plans covering the server (plan_facts.Cover, shortest
        period first)."""
        server = row.server
        newest = server.newest
        form = self._format(newest=newest is not None, failures=bool(server.failures))
        return format_html(
            form,
            id=digits(server.id),
            name=names.name_html(server.name) if server.name else "—",
            label=names.name(server.name) if server.name else "—",
            health=self._health(row, server, covering),
            newest_id=digits(newest.id) if newest else "",
            newest_ago=self._once(
                ("ago", row.newest_ago), lambda: conditional_escape(row.newest_ago)
            ),
            newest_type=self._once(
                ("type", row.newest_type), lambda: conditional_escape(row.newest_type)
            ),
            failures_count=digits(server.failures),
            count=digits(server.count),
            size=self._once(("size", row.size), lambda: conditional_escape(row.size)),
            expiry=self._expiry(row, server),
        )

    def rows(self, rows, covering: dict) -> SafeString:
        """The table's rows: `covering` server id → the plans covering it."""
        made = ((self.row(row, covering.get(row.server.id, ())),) for row in rows)
        return format_html_join("", "{}", made)


def _create_url(back: str) -> tuple[str, str]:
    """ "New backup" of a server: what comes before its id and after it."""
    also = f"&{urlencode({'back': back})}" if back else ""
    return f"{reverse('backups:create')}?server_id=", also


def _link(maker, id_) -> SafeString:
    head, tail = maker.parts
    return format_html("{}{}{}", literal(head), id_, literal(tail))


def _names(form: str) -> list[str]:
    return _FIELD.findall(form)


def _when(moment) -> str:
    return dateformat.format(timezone.localtime(moment), WHEN)
