import re
import threading
import unicodedata
from collections import OrderedDict
from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from backupsui.audit.forms import DayField
from backupsui.ids import IdField, parse_id
from backupsui.upstream import TYPES, UpstreamError

from . import names
from .account import MAX_WATCHED
from .health import HEALTHS, ordered
from .health import SORTS as SERVER_SORTS
from .lists import DEFAULT_SORT, SORTS
from .models import FormKey
from .presenters import badge

DESCRIPTION_MAX = 255


class UpstreamErrorsForm(forms.Form):
    def add_upstream_errors(self, error: UpstreamError) -> None:
        """The API's field errors beside their fields (or above the form), else its message."""
        for field, errors in error.fields.items():
            target = field if field in self.fields else None
            for text in errors:
                self.add_error(target, text)
        if not error.fields:
            self.add_error(None, error.message)


class KeyedForm(UpstreamErrorsForm):
    """A change form with its one-time key (see FormKey): the first POST with the key does
    the change, any other shows what the first one did."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    purpose = ""  # the kind of change the key is for: "create", "delete", "restore"

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not self.is_bound:
            self.initial["idempotency_key"] = FormKey.issue(user, self.purpose)

    def claim(self) -> FormKey:
        """Raises StaleForm (no valid key: nothing is done) or AlreadySent."""
        return FormKey.claim(self.user, self.cleaned_data.get("idempotency_key", ""), self.purpose)

    def renew_key(self) -> None:
        """A new key for the form shown again after this one was claimed or refused."""
        data = self.data.copy()
        data["idempotency_key"] = FormKey.issue(self.user, self.purpose)
        self.data = data

    def refused(self, error: UpstreamError) -> None:
        """The API refused the change: the form is shown again, with a new key (this one
        is spent) and the page shows why."""
        self.renew_key()


def _option(value, label, selected: bool = False, title: str = "") -> SafeString:
    """One <option>, as Django's Select writes it."""
    return format_html(
        '<option value="{}"{}{}>{}</option>',
        "" if value is None else value,
        SELECTED if selected else "",
        format_html(' title="{}"', title) if title else "",
        label,
    )


SELECTED = mark_safe(" selected")


def _attributes(attrs: dict) -> SafeString:
    """Attributes in their order, as Django's widget template writes them: True gives the
    name alone, False leaves the attribute out."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def _options(choices, chosen: list[str]) -> SafeString:
    """The <option>s of flat choices, the first whose value is among `chosen` selected."""
    found, written = False, []
    for value, label in choices:
        selected = not found and ("" if value is None else str(value)) in chosen
        found = found or selected
        written.append((_option(value, label, selected),))
    return format_html_join("", "{}", written)


class QuickSelect(forms.Select):
    """A select written in one pass with format_html, as Django's Select writes it (flat
    choices only): Django's templates for each option and its attributes cost milliseconds
    on every list and servers page."""

    def options_html(self, value) -> SafeString:
        return _options(self.choices, self.format_value(value))

    def render(self, name, value, attrs=None, renderer=None):
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            _attributes(self.build_attrs(self.attrs, attrs)),
            self.options_html(value),
        )


class QuickInput(forms.widgets.Input):
    """An input written with format_html as Django's input template writes it: the filters'
    search box and the server id take that template's time on every list and servers page."""

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            self.input_type,
            name,
            format_html(' value="{}"', value) if value is not None else "",
            _attributes(self.build_attrs(self.attrs, attrs)),
        )


class QuickSearch(QuickInput, forms.SearchInput):
    pass


class QuickNumber(QuickInput, forms.NumberInput):
    pass


class ServerSelect(QuickSelect):
    """The server picker: an account may have hundreds of servers; one not in the list but
    asked for is offered by its id. Each server's option is made once per list (the list's
    servers are one object as long as the list lives), names as names.py shows them."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.servers: list[tuple[int, str]] = []

    def options_html(self, value) -> SafeString:
        selected = parse_id(value) if value not in (None, "") else None
        made = _server_options(self.servers)
        options = [_option("", _("All servers"), selected is None)]
        if selected is None:
            options += made.values()
        elif selected in made:
            options += [
                _option_of(sid, name, True) if sid == selected else made[sid]
                for sid, name in self.servers
            ]
        else:
            options += [*made.values(), _option(selected, f"#{selected:d}", True)]
        return mark_safe("".join(options))  # noqa: S308 - each option made by format_html


def _option_of(server_id: int, name: str, selected: bool = False) -> SafeString:
    shown, whole = names.shown(name)
    return _option(server_id, f"{shown} (#{server_id:d})", selected, whole)


_made_for: OrderedDict[int, tuple[list, dict[int, SafeString]]] = OrderedDict()
_made_lock = threading.Lock()


def _server_options(servers: list[tuple[int, str]]) -> dict[int, SafeString]:
    """server id → its <option>, for a list's servers (BackupList.servers()), kept for the
    last few lists of this process."""
    with _made_lock:
        found = _made_for.get(id(servers))
        if found is not None and found[0] is servers:
            return found[1]
    made = {sid: _option_of(sid, name) for sid, name in servers}
    with _made_lock:
        _made_for[id(servers)] = (servers, made)
        while len(_made_for) > 32:
            _made_for.popitem(last=False)
    return made


class PagedFilterForm(forms.Form):
    """The filters of a paged table, and its page."""

    page = forms.IntegerField(
        required=False, min_value=1, max_value=10**6, widget=forms.HiddenInput
    )

    def filters(self) -> dict:
        """The valid filters; an invalid one is dropped (its error shows beside it)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {**self.chosen(data), "page": data.get("page") or 1}

    def chosen(self, data: dict) -> dict:
        """Each filter's value from the cleaned data, or what it is when not given."""
        raise NotImplementedError


class FilterForm(PagedFilterForm):
    server_id = IdField(label=_("Server"), required=False, widget=ServerSelect)
    backup_type = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("Any type")), *TYPES.items()],
        widget=QuickSelect,
    )
    status = forms.CharField(label=_("Status"), required=False, max_length=40, widget=QuickSelect)
    within = forms.ChoiceField(
        label=_("Taken"),
        required=False,
        choices=[
            ("", _("Any time")),
            ("1", _("In the last day")),
            ("7", _("In the last 7 days")),
            ("30", _("In the last 30 days")),
        ],
        widget=QuickSelect,
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=QuickSearch(attrs={"placeholder": _("Description or server name")}),
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[(key, label) for key, (label, *_rest) in SORTS.items()],
        widget=QuickSelect,
    )

    def chosen(self, data: dict) -> dict:
        return {
            "server_id": data.get("server_id"),
            "backup_type": data.get("backup_type") or None,
            "status": data.get("status") or "",
            "q": data.get("q") or "",
            "sort": data.get("sort") or DEFAULT_SORT,
            "within": int(data["within"]) if data.get("within") else None,
        }

    def offer(self, servers: list[tuple[int, str]], statuses: list[str]) -> None:
        """The choices the list itself holds: its servers and its statuses."""
        self.fields["server_id"].widget.servers = servers
        self.fields["status"].widget.choices = [("", _("Any status"))] + [
            (value, badge(value)[1]) for value in statuses
        ]


class ServerFilterForm(PagedFilterForm):
    health = forms.ChoiceField(
        label=_("Health"),
        required=False,
        choices=[("", _("Any health")), *((k, capfirst(v)) for k, v in HEALTHS.items())],
        widget=QuickSelect,
    )
    q = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=200,
        widget=QuickSearch(attrs={"placeholder": _("Text in the server's name")}),
    )
    sort = forms.ChoiceField(
        label=_("Sort"), required=False, choices=SERVER_SORTS.items(), widget=QuickSelect
    )
    odd = forms.BooleanField(label=_("Newest backup of an odd size"), required=False)

    def chosen(self, data: dict) -> dict:
        return {
            "health": data.get("health") or "",
            "q": data.get("q") or "",
            "sort": data.get("sort") or "health",
            "odd": bool(data.get("odd")),
        }

    def select(self, servers: list, listed=None) -> list:
        """The servers the filters choose; `listed` (the BackupList) judges odd sizes."""
        found = self.filters()
        if found["health"]:
            servers = [s for s in servers if s.health == found["health"]]
        if found["odd"] and listed is not None:
            odd = listed.odd_among([s.newest for s in servers if s.newest is not None])
            servers = [s for s in servers if s.newest is not None and s.newest.id in odd]
        if found["q"]:
            needle = found["q"].casefold()
            servers = [s for s in servers if needle in s.name.casefold()]
        return ordered(servers, found["sort"])


class OpenServerForm(forms.Form):
    """The list's second form: open a server by its id, seen in the list or not."""

    server_id = IdField(
        label=_("Server id"),
        required=False,
        widget=QuickNumber(attrs={"inputmode": "numeric"}),
    )


class ServerIdField(IdField):
    """A server: its id typed, chosen from the suggestions ("name (#id)"), or its name typed
    (then the text, for the form to find among the person's servers)."""

    CHOSEN = re.compile(r"\(#(\d+)\)\s*$")
    NUMBER = re.compile(r"[+-]?[0-9]+")

    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        found = self.CHOSEN.search(text)
        if found or not text or self.NUMBER.fullmatch(text):
            return super().to_python(found[1] if found else text)
        return text

    def validate(self, value):
        if isinstance(value, str):  # a name: CreateBackupForm finds it
            return forms.Field.validate(self, value)
        return super().validate(value)

    def run_validators(self, value):
        if not isinstance(value, str):
            super().run_validators(value)


def as_chosen(server_id: int, name: str) -> str:
    """How a server shows in the create form's searchable field: its name, its id beside."""
    return f"{name} (#{server_id})" if name else str(server_id)


def named(typed: str, servers) -> tuple[list, list]:
    """The servers (id, name) whose name is the typed text (as people can type it: case,
    apostrophes and outer spaces aside), and those whose name holds it."""
    wanted = as_typed(typed).casefold()
    exact, partial = [], []
    for server_id, name in servers:
        written = as_typed(name).casefold()
        if written == wanted:
            exact.append((server_id, name))
        elif wanted in written:
            partial.append((server_id, name))
    return exact, partial


class CreateBackupForm(KeyedForm):
    purpose = "create"
    server_id = ServerIdField(
        label=_("Server"),
        help_text=_("Type part of its name or its id, and choose it from the list."),
        widget=forms.TextInput(
            attrs={"list": "known-servers", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    # A server chosen among those a typed name matched (a button each, under the field).
    pick = IdField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=DESCRIPTION_MAX
    )
    # The panel's forms ask first when a backup of the server is running already ("ask"),
    # and say "again" once the person confirmed it.
    ask = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)
    again = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, servers=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The person's servers (id, name), or what gives them: where a typed name is found.
        self.servers = servers
        self.matches: list[tuple[int, str]] = []  # those a typed name matched, to choose from

    @property
    def asks_if_running(self) -> bool:
        return self.cleaned_data.get("ask") == "running" and not self.cleaned_data["again"]

    def clean(self):
        data = super().clean()
        picked = data.get("pick")
        if picked is not None:  # one of the servers a typed name matched, chosen by its button
            self.errors.pop("server_id", None)
            self.matches = []
            data["server_id"] = picked
        return data

    def clean_server_id(self):
        value = self.cleaned_data["server_id"]
        if not isinstance(value, str):
            return value
        servers = self.servers() if callable(self.servers) else self.servers
        exact, partial = named(value, servers)
        if len(exact) == 1:
            return exact[0][0]
        self.matches = exact or partial
        if not self.matches:
            raise forms.ValidationError(
                _(
                    "None of your servers is named %(name)s: type part of its name or its "
                    "id, and choose it from the list."
                ),
                params={"name": names.name(value)},
                code="no_server",
            )
        count = len(self.matches)
        raise forms.ValidationError(
            ngettext(
                "%(count)d server is named or holds %(name)s in its name: choose it below.",
                "%(count)d servers are named or hold %(name)s in their names: choose one below.",
                count,
            ),
            params={"count": count, "name": names.name(value)},
            code="several",
        )

    def refused(self, error: UpstreamError) -> None:
        self.add_upstream_errors(error)  # beside the fields the API named
        super().refused(error)


# Apostrophes people type for the ones in names: ' ’ ‘ ʻ (the Samoan ʻokina) ʼ `.
APOSTROPHES = str.maketrans(dict.fromkeys("’‘ʻʼ`", "'"))


def as_typed(name: str) -> str:
    """A name as people can type it: Unicode NFC, apostrophe-like marks alike, no outer
    spaces, bidirectional controls written out as the page shows them ("[U+202E]", see
    names.py; pasted controls read the same). The typed confirmation compares these."""
    return names.visible(unicodedata.normalize("NFC", name).translate(APOSTROPHES).strip())


class DeleteForm(KeyedForm):
    """Nothing to fill in: the confirmation is the button, the key makes it count once."""

    purpose = "delete"


class RestoreForm(KeyedForm):
    purpose = "restore"
    backup_id = IdField(widget=forms.HiddenInput)
    safety = forms.BooleanField(
        label=_("Take a safety backup of the server's current state first"),
        help_text=_(
            "The restore is sent once the safety backup has completed, so it can be undone."
        ),
        required=False,
        initial=True,
    )
    confirm = forms.CharField(
        label=_("Type the server's name to confirm"), max_length=255, strip=True
    )
    anyway = forms.BooleanField(
        label=_("Restore anyway, while the other restore is under way"),
        help_text=_("The audit trail will say that this restore was sent over the other one."),
        required=False,
    )

    def __init__(self, *args, server_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.server_name = server_name

    def clean_confirm(self):
        typed = self.cleaned_data["confirm"]
        if as_typed(typed) != as_typed(self.server_name):
            raise forms.ValidationError(
                _("That is not the server's name. Type %(name)s exactly."),
                params={"name": names.visible(self.server_name)},
                code="mismatch",
            )
        return typed


class PollForm(forms.Form):
    """The live status's watch list: 'server:backup' id pairs separated by commas."""

    watch = forms.CharField(required=False, max_length=MAX_WATCHED * 40)

    def clean_watch(self) -> dict[int, int]:
        """backup id → server id; a pair that is not two ids is ignored."""
        pairs = {}
        items = [item for item in self.cleaned_data["watch"].split(",") if item]
        if len(items) > MAX_WATCHED:
            raise forms.ValidationError(
                ngettext_lazy(
                    "At most %(count)d backup can be watched at once.",
                    "At most %(count)d backups can be watched at once.",
                    "count",
                ),
                params={"count": MAX_WATCHED},
                code="too_many",
            )
        for item in items:
            server, _sep, backup = item.partition(":")
            server_id, backup_id = parse_id(server), parse_id(backup)
            if server_id is not None and backup_id is not None:
                pairs[backup_id] = server_id
        return pairs


class ReportForm(forms.Form):
    """A report's period: whole days in the panel's time zone, at most a year; the last seven
    days unless chosen."""

    MAX_DAYS = 366

    since = DayField(label=_("From"), required=False)
    until = DayField(label=_("Until"), required=False)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The period ends before it begins."))
        if since and until and (until - since).days >= self.MAX_DAYS:
            raise forms.ValidationError(
                ngettext_lazy(
                    "A report covers at most %(days)s day.",
                    "A report covers at most %(days)s days.",
                    "days",
                ),
                params={"days": self.MAX_DAYS},
            )
        return data

    def days(self, now) -> tuple:
        """The first and last day of the period (both included): those asked for, the last
        seven days up to today unless chosen."""
        today = now.astimezone(timezone.get_current_timezone()).date()
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("until") or today
        since = data.get("since") or until - timedelta(days=6)
        return since, until

    def period(self, now) -> tuple:
        """The period as aware times: from the first day's start to the day after the last."""
        zone = timezone.get_current_timezone()
        since, until = self.days(now)
        start = datetime.combine(since, time.min, tzinfo=zone)
        end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
        return start, end

    def shown(self, now) -> "ReportForm":
        """The form as the page shows it: the period's days in its fields (the default one
        too), or, when a date cannot be read, what was typed with the errors."""
        if not self.is_valid():
            return self
        since, until = self.days(now)
        return type(self)({"since": since.isoformat(), "until": until.isoformat()})


class WeeklyReportForm(forms.Form):
    """Asking for the report of the last seven days by email every week, or stopping it."""

    weekly = forms.ChoiceField(
        choices=[("on", _("Email me this report every week")), ("off", _("Stop the weekly email"))]
    )

    @property
    def wanted(self) -> bool:
        return self.cleaned_data["weekly"] == "on"


class BulkBackupForm(KeyedForm):
    """Back up the chosen servers now: one description for all of them."""

    purpose = "bulk-create"
    server_id = forms.TypedMultipleChoiceField(coerce=int, widget=forms.MultipleHiddenInput)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=DESCRIPTION_MAX
    )

    def __init__(self, *args, servers: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["server_id"].choices = [(sid, name) for sid, name in servers]


class BulkDeleteForm(KeyedForm):
    """Delete the chosen backups: the person types how many will go. The page says how many
    it showed, and whether "the newest too" was ticked then: ticking it since changes the
    count, and the form, sent to see the new count, asks for it without an error."""

    purpose = "bulk-delete"
    backup_id = forms.TypedMultipleChoiceField(coerce=int, widget=forms.MultipleHiddenInput)
    allow_newest = forms.BooleanField(
        label=_("Also delete a server's newest completed backup"), required=False
    )
    confirm = forms.CharField(
        label=_("Type how many backups to delete"), max_length=12, required=False
    )
    # What the page showed: how many would go, and whether "the newest too" was ticked.
    shown = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    shown_newest = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, chosen: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["backup_id"].choices = [(bid, bid) for bid in chosen]
        self.asks = ""  # the new count to type, once "the newest too" was ticked

    def ticked_since(self) -> bool:
        """Whether "the newest too" was ticked, or unticked, after the page was drawn."""
        data = self.cleaned_data
        return "shown" in self.data and data["allow_newest"] != data["shown_newest"]

    def check_count(self, count: int) -> bool:
        """Whether the typed number is the count that will be deleted (an error saying why
        if not; nothing typed after ticking "the newest too" only asks for the new count)."""
        typed = (self.cleaned_data.get("confirm") or "").strip()
        if typed == str(count):
            return True
        shown = self.cleaned_data.get("shown")
        values = {"count": count, "shown": shown}
        if self.ticked_since():
            if not typed:  # sent to see the new count: ask for it, without an error
                self.asks = (
                    ngettext(
                        "You chose %(count)s backup now: type %(count)s to delete it.",
                        "You chose %(count)s backups now: type %(count)s to delete them.",
                        count,
                    )
                    % values
                )
                return False
            said = ngettext(
                "You chose %(count)s backup now, with the tick on the newest; type %(count)s.",
                "You chose %(count)s backups now, with the tick on the newest; type %(count)s.",
                count,
            )
        elif typed and shown is not None and typed == str(shown):
            said = ngettext(
                "The list changed since this page was drawn: %(count)s backup goes now, not "
                "%(shown)s; type %(count)s.",
                "The list changed since this page was drawn: %(count)s backups go now, not "
                "%(shown)s; type %(count)s.",
                count,
            )
        else:
            said = _("Type %(count)s: the number of backups that will be deleted.")
        self.add_error("confirm", said % values)
        return False

    def drawn(self, count: int, newest: bool) -> None:
        """The form shown again for `count` backups, "the newest too" as it is now: what it
        says it showed follows, and a count typed for the page before is not kept."""
        data = self.data.copy()
        data["shown"] = str(count)
        data["shown_newest"] = "on" if newest else ""
        data["confirm"] = ""
        self.data = data


class MuteForm(forms.Form):
    """How long a server's alerts stay muted (0: unmute now)."""

    HOURS = [
        (1, _("1 hour")),
        (4, _("4 hours")),
        (12, _("12 hours")),
        (24, _("1 day")),
        (72, _("3 days")),
        (168, _("1 week")),
        (0, _("Unmute now")),
    ]
    hours = forms.TypedChoiceField(label=_("Mute for"), choices=HOURS, coerce=int, initial=4)
