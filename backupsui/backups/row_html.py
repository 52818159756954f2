"""The rows of the backups table as HTML, put together in Python.

The list page draws fifty rows of some forty values each: through the template language that
was about 2,000 variable lookups a page, two thirds of the page's time (make bench: a page
within the cache went from 18 ms to 60 ms when the rows gained Keep, Release, the plan and the
bulk checkbox). Here a row is a few f-strings, every value escaped (`esc`, the escaping the
template applied). The words come from presenters.table() and presenters.rows(), translated
once a page; the markup is the one the list, a server's page and the live status all share."""

from html import escape as esc

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _


def _status(row) -> str:
    label = esc(row.badge_label)
    if row.backup.in_progress:
        label = (
            f'<span class="spinner" aria-hidden="true"></span>{label} '
            f'<time class="elapsed" data-since="{esc(row.created_iso)}">'
            f"{esc(row.created_ago)}</time>"
        )
    return (
        f'<span class="badge badge-{esc(row.badge_kind)}" role="img" '
        f'aria-label="{esc(row.badge_aria)}">{label}</span>'
    )


def _size(row, words) -> str:
    if not row.odd_text:
        return esc(row.size)
    odd = esc(row.odd_text)
    return (
        f'{esc(row.size)} <span class="badge badge-odd" title="{odd}">{esc(words["odd"])}'
        f'<span class="visually-hidden">: {odd}</span></span>'
    )


def expires_html(row) -> str:
    """When a backup expires, "soon" marked, its exact time in the title (the servers table's
    next expiry too)."""
    if not row.expires_title:
        return esc(row.expires_text)
    soon = ' class="soon"' if row.expires_soon else ""
    return f'<span{soon} title="{esc(row.expires_title)}">{esc(row.expires_text)}</span>'


def _description(row, mark, said) -> str:
    description = esc(row.backup.description)
    if row.description_note:
        description = (
            f'<span lang="en">{description}</span><br>'
            f'<span class="muted">{esc(row.description_note)}</span>'
        )
    if mark.get("plan"):
        name = said["plan"] % {"name": mark["plan"]}
        description += (
            f'<br><a class="muted" href="{esc(said["plan_url"](mark["plan_id"]))}">{esc(name)}</a>'
        )
    if mark.get("kept"):
        description += f' <span class="badge badge-kept">{esc(said["kept"])}</span>'
    return description


def _actions(row, mark, table, said) -> str:
    backup, words = row.backup, table["words"]
    done = ""
    if table["can_restore"] and row.restore_url:
        done += (
            f'<a href="{esc(row.restore_url)}" id="restore-{backup.id}" '
            f'aria-label="{esc(row.restore_label)}">{esc(words["restore"])}</a>'
        )
    if table["can_delete"] and not backup.in_progress and not mark.get("kept"):
        done += (
            f' <a class="danger" href="{esc(row.delete_url)}" id="delete-{backup.id}" '
            f'aria-label="{esc(row.delete_label)}">{esc(words["delete"])}</a>'
        )
    if table["can_keep"] and not backup.in_progress:
        if mark.get("kept"):
            button = (
                '<button type="submit" name="release" value="1" class="link">'
                f"{esc(words['release'])}</button>"
            )
        else:
            button = f'<button type="submit" class="link">{esc(words["keep"])}</button>'
        done += (
            f' <form method="post" action="{esc(row.kept_url)}" class="inline">'
            f"{said['form_bits']}{button}</form>"
        )
    return done


def _check(row, mark) -> str:
    backup = row.backup
    if backup.in_progress or mark.get("kept"):
        return '<td class="check"></td>'
    return (
        f'<td class="check"><input type="checkbox" name="backup_id" value="{backup.id}" '
        f'id="choose-{backup.id}" form="bulk-delete" aria-label="{esc(row.choose_label)}"></td>'
    )


def words_for_rows(csrf_token: str, back_to: str, plan_url) -> dict:
    """What every row of a page shares: the Keep and Release form's hidden fields (the CSRF
    token, the page to come back to), the link to a plan, and two words."""
    return {
        "form_bits": (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(csrf_token)}">'
            f'<input type="hidden" name="next" value="{esc(back_to)}">'
        ),
        "plan_url": plan_url,
        "plan": _("plan %(name)s"),
        "kept": _("kept"),
    }


def row_html(row, mark: dict, table: dict, said: dict, oob: bool = False) -> SafeString:
    """One row. `mark`: the plan that made the backup and whether it is kept (plans' marks);
    `table`: presenters.table() (what the reader may do, the columns' words); `said`:
    words_for_rows()."""
    backup, words = row.backup, table["words"]
    server = backup.server
    check = f"  {_check(row, mark)}\n" if table["can_delete"] else ""
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<tr id="backup-{backup.id}"{' hx-swap-oob="true"' if oob else ""}>\n'
        f'  <td class="server" data-label="{esc(words["server"])}">'
        f'<a href="{esc(row.server_url)}" id="server-of-{backup.id}">{esc(server.name)}</a> '
        f'<span class="muted">#{server.id}</span></td>\n'
        f'  <td data-label="{esc(words["type"])}">{esc(row.type_label)}</td>\n'
        f'  <td data-label="{esc(words["status"])}">{_status(row)}</td>\n'
        f'  <td class="num" data-label="{esc(words["size"])}">{_size(row, words)}</td>\n'
        f'  <td data-label="{esc(words["created"])}"><time datetime="{esc(row.created_iso)}" '
        f'title="{esc(row.created_title)}">{esc(row.created_text)}</time><br>\n'
        f'    <span class="muted">{esc(row.created_ago)}</span></td>\n'
        f'  <td data-label="{esc(words["expires"])}">{expires_html(row)}</td>\n'
        f'  <td class="desc" data-label="{esc(words["description"])}">'
        f"{_description(row, mark, said)}</td>\n"
        f'  <td class="actions">{_actions(row, mark, table, said)}</td>\n'
        f"{check}</tr>\n"
    )
