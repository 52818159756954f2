"""The rows of the backups table as HTML, put together in Python as Django's admin writes its
result rows: `format_html`, each value escaped as it goes in. Through the template language
the fifty rows of some forty values would be most of the list page's time (docs/bench.md).

Escaping is what costs here, so it is done once for what repeats: what every row of a page
shares (the columns' words, the links' beginnings, the Keep form's hidden fields) goes into
the page's row formats, escaped once a page (`Literal`); what repeats from row to row (a
server's cell, the status badges, the times of backups taken on a schedule) is made once a
page; ids are digits. A row is then one `format_html` of its own values. The words come from
presenters.table() and presenters.rows(), translated once a page; the markup is the one the
list, a server's page and the live status share. Names and descriptions from the API go
through names.py (isolated, cut, their whole text in the title)."""

import itertools
import re
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import names
from .plan_facts import UNMARKED, Mark
from .presenters import url_maker

SPINNER = mark_safe('<span class="spinner" aria-hidden="true"></span>')
OOB = mark_safe(' hx-swap-oob="true"')
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def sentence(words: str, **renamed: str) -> SafeString:
    """A translated sentence with %(name)s placeholders, made a format for `format_html`: its
    words escaped here, once a page (braces doubled), each placeholder a {name} (or the name
    `renamed` gives it) whose value is escaped as it goes in, at each use (as blocktranslate
    does)."""
    parts = _PLACEHOLDER.split(words)
    return SafeString(
        "".join(
            f"{{{renamed.get(part, part)}}}" if odd else literal(part)
            for odd, part in zip(itertools.cycle((False, True)), parts)
        )
    )


def literal(value) -> SafeString:
    """A value that goes into a row format rather than into a row: escaped here, its braces
    doubled so the row's own formatting leaves it as it is."""
    return SafeString(conditional_escape(value).replace("{", "{{").replace("}", "}}"))


def field(name: str) -> SafeString:
    """A row's own value in a row format: the {name} its formatting fills."""
    return SafeString(f"{{{name}}}")


def digits(number: int) -> SafeString:
    """An id as HTML: digits need no escaping (and would cost it at every use)."""
    return SafeString(f"{int(number):d}")


def kept_words(expires: str | None) -> str:
    """What a mark "kept" means, in words: the panel's plans and bulk deletes skip the
    backup; the provider still expires it when it has an expiry (`expires`: when)."""
    if expires is None:
        return _("Kept by the panel (plans and bulk deletes skip it).")
    return _(
        "Kept by the panel (plans and bulk deletes skip it); the provider still expires it "
        "on %(date)s."
    ) % {"date": expires}


def expires_html(row) -> SafeString | str:
    """When a backup expires, "soon" marked, its exact time written under it (the servers
    table's next expiry too): seen without a mouse, not only in a title."""
    if not row.expires_title:
        return row.expires_text
    return format_html(
        '<span{}>{}</span><br><span class="muted exact">{}</span>',
        SOON if row.expires_soon else "",
        row.expires_text,
        row.expires_title,
    )


SOON = mark_safe(' class="soon"')


ROW = (
    '<tr id="backup-{id}"{oob}>\n'
    '  <td class="server" data-label="{w_server}"><a href="{server_url}" id="server-of-{id}">'
    '{server_name}</a> <span class="muted">#{server_id}</span></td>\n'
    '  <td data-label="{w_type}">{type}</td>\n'
    '  <td data-label="{w_status}">{status}</td>\n'
    '  <td class="num" data-label="{w_size}">{size}</td>\n'
    '  <td data-label="{w_created}">{created}</td>\n'
    '  <td data-label="{w_expires}">{expires}</td>\n'
    '  <td class="desc" data-label="{w_description}">{description}</td>\n'
    '  <td class="actions">{actions}</td>\n'
    "{check}</tr>\n"
)
RESTORE = '<a href="{restore_url}" id="restore-{id}" aria-label="{restore_label}">{w_restore}</a>'
DELETE = (
    '<a class="danger" href="{delete_url}" id="delete-{id}" aria-label="{delete_label}">'
    "{w_delete}</a>"
)
KEEP = (
    '<form method="post" action="{kept_url}" class="inline">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<input type="hidden" name="next" value="{back}">{button}</form>'
)
CHECKBOX = (
    '  <td class="check"><input type="checkbox" name="backup_id" value="{id}" id="choose-{id}" '
    'form="bulk-delete" aria-label="{choose_label}"></td>\n'
)
EMPTY_CHECK = '  <td class="check"></td>\n'


class RowWriter:
    """Writes the rows of one page. `table`: presenters.table() (what the reader may do, the
    columns' words); Restore and Delete come back to `back` (the list as filtered, sorted and
    paged), the Keep and Release forms carry `csrf_token` and come back to `here`."""

    def __init__(self, table: dict, csrf_token: str, here: str, back: str = ""):
        words = table["words"]
        self.can_restore, self.can_delete = table["can_restore"], table["can_delete"]
        self.can_keep = table["can_keep"]
        also = urlencode({"back": back}) if back else ""
        restore_head, restore_tail = url_maker("backups:restore", "server_id").parts
        delete_head, delete_tail = url_maker("backups:delete", "backup_id").parts
        kept_head, kept_tail = url_maker("plans:kept", "backup_id").parts
        id_ = field("id")
        self.page = {
            **{f"w_{key}": literal(word) for key, word in words.items()},
            "restore_url": format_html(
                "{}{}{}?backup_id={}{}",
                literal(restore_head),
                field("server_id"),
                literal(restore_tail),
                id_,
                literal(f"&{also}" if also else ""),
            ),
            "delete_url": format_html(
                "{}{}{}{}",
                literal(delete_head),
                id_,
                literal(delete_tail),
                literal(f"?{also}" if also else ""),
            ),
            "kept_url": format_html("{}{}{}", literal(kept_head), id_, literal(kept_tail)),
            "restore_label": sentence(
                _("Restore %(server)s from backup %(id)s"), server="server_label"
            ),
            "delete_label": sentence(_("Delete backup %(id)s")),
            "choose_label": sentence(_("Choose backup %(id)s")),
            "csrf": literal(csrf_token),
            "back": literal(here),
        }
        self.page["keep"] = format_html(
            '<button type="submit" class="link">{}</button>', words["keep"]
        )
        self.page["release"] = format_html(
            '<button type="submit" name="release" value="1" class="link">{}</button>',
            words["release"],
        )
        self.words = {key: conditional_escape(word) for key, word in words.items()}
        self.server_list = reverse("backups:list") + "?server_id="
        self.plan_url = url_maker("plans:detail", "plan_id")
        self.plan = sentence(_("plan %(name)s"))
        self.kept = format_html('<span class="badge badge-kept">{}</span>', _("kept"))
        # What "kept" means, beside the mark: the panel skips it, the provider does not.
        self.kept_forever = format_html('<span class="kept-note muted">{}</span>', kept_words(None))
        self.kept_until = format_html(
            '<span class="kept-note muted">{}</span>', sentence(kept_words("%(date)s"))
        )
        self._formats: dict[tuple, str] = {}
        self._servers: dict[int, tuple] = {}
        self._statuses: dict[str, SafeString] = {}
        self._createds: dict[str, SafeString] = {}
        self._expiries: dict[tuple, SafeString] = {}
        self._texts: dict[str, SafeString] = {}

    def _format(self, restore: bool, delete: bool, keep: str, check: str) -> str:
        """The format of a row that offers these actions: the page's words and links in it,
        escaped, its own values left as {fields}."""
        key = (restore, delete, keep, check)
        made = self._formats.get(key)
        if made is None:
            page = self.page
            actions = []
            if restore:
                actions.append(self._piece(RESTORE))
            if delete:
                actions.append(self._piece(DELETE))
            if keep:
                actions.append(self._piece(KEEP, button=literal(page[keep])))
            fields = {"actions": SafeString(" ".join(actions)), "check": self._piece(check)}
            made = self._formats[key] = str(self._piece(ROW, **fields))
        return made

    def _piece(self, form: str, **given) -> SafeString:
        """A piece of a row format: for each {name} of `form`, what is `given`, or the
        page's value (escaped), or the row's own {name}."""
        fields = {
            name: given[name] if name in given else self.page.get(name, field(name))
            for name in re.findall(r"\{(\w+)\}", form)
        }
        return format_html(form, **fields) if fields else SafeString(form)

    # What a row shows (what repeats, made once a page) ------------------------------------

    def _server(self, server) -> tuple:
        """Its link, its name and its id, and the name as labels say it."""
        made = self._servers.get(server.id)
        if made is None or made[0] != server.name:
            made = self._servers[server.id] = (
                server.name,
                conditional_escape(f"{self.server_list}{int(server.id):d}"),
                names.name_html(server.name),
                digits(server.id),
                conditional_escape(names.name(server.name)),
            )
        return made

    def _status(self, row) -> SafeString:
        if row.backup.in_progress:
            return format_html(
                '<span class="badge badge-{}" role="img" aria-label="{}">{}{} '
                '<time class="elapsed" data-since="{}">{}</time></span>',
                row.badge_kind,
                row.badge_aria,
                SPINNER,
                row.badge_label,
                row.created_iso,
                row.created_ago,
            )
        made = self._statuses.get(row.badge_aria)
        if made is None:
            made = self._statuses[row.badge_aria] = format_html(
                '<span class="badge badge-{}" role="img" aria-label="{}">{}</span>',
                row.badge_kind,
                row.badge_aria,
                row.badge_label,
            )
        return made

    def _size(self, row) -> SafeString:
        if row.odd_text:
            return format_html(
                '{} <span class="badge badge-odd" title="{}">{}'
                '<span class="visually-hidden">: {}</span></span>',
                row.size,
                row.odd_text,
                self.words["odd"],
                row.odd_text,
            )
        return self._escaped(row.size)

    def _created(self, row) -> SafeString:
        made = self._createds.get(row.created_iso)
        if made is None:
            made = self._createds[row.created_iso] = format_html(
                '<time datetime="{}" title="{}">{}</time><br>\n    <span class="muted">{}</span>',
                row.created_iso,
                row.created_title,
                row.created_text,
                row.created_ago,
            )
        return made

    def _expires(self, row) -> SafeString:
        key = (row.expires_title, row.expires_text)
        made = self._expiries.get(key)
        if made is None:
            made = self._expiries[key] = conditional_escape(expires_html(row))
        return made

    def _escaped(self, text: str) -> SafeString:
        made = self._texts.get(text)
        if made is None:
            made = self._texts[text] = conditional_escape(text)
        return made

    def _description(self, row, mark: Mark) -> SafeString:
        description = names.description_html(row.backup.description)
        if row.description_note:
            description = format_html(
                '<span lang="en">{}</span><br><span class="muted">{}</span>',
                description,
                row.description_note,
            )
        if mark.plan_id is not None:
            description = format_html(
                '{}<br><a class="muted" href="{}">{}</a>',
                description,
                self.plan_url(mark.plan_id),
                format_html(self.plan, name=names.visible(mark.plan_name)),
            )
        if mark.kept:
            note = (
                format_html(self.kept_until, date=row.expires_title)
                if row.expires_title
                else self.kept_forever
            )
            description = format_html("{} {}<br>{}", description, self.kept, note)
        return description

    # The rows -----------------------------------------------------------------------------

    def row(self, row, mark: Mark = UNMARKED, oob: bool = False) -> SafeString:
        """One row; `mark`: the plan that made the backup and whether it is kept."""
        backup = row.backup
        running = backup.in_progress
        form = self._format(
            restore=self.can_restore and backup.completed,
            delete=self.can_delete and not running and not mark.kept,
            keep=("release" if mark.kept else "keep") if self.can_keep and not running else "",
            check=(EMPTY_CHECK if running or mark.kept else CHECKBOX) if self.can_delete else "",
        )
        _name, server_url, server_name, server_id, server_label = self._server(backup.server)
        return format_html(
            form,
            id=digits(backup.id),
            oob=OOB if oob else "",
            server_url=server_url,
            server_name=server_name,
            server_id=server_id,
            server_label=server_label,
            type=self._escaped(row.type_label),
            status=self._status(row),
            size=self._size(row),
            created=self._created(row),
            expires=self._expires(row),
            description=self._description(row, mark),
        )

    def rows(self, rows, marks: dict, *, oob: bool = False, each_in_template: bool = False):
        """The table's rows: `marks` backup id → plan_facts.Mark; `oob` for the live status's
        out-of-band swaps, each row then `each_in_template` (a <template> apiece)."""
        made = ((self.row(row, marks.get(row.backup.id, UNMARKED), oob),) for row in rows)
        return format_html_join("", "<template>{}</template>\n" if each_in_template else "{}", made)
