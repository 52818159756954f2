"""Which plans a person may see and act on: those their own stored token reaches.

A provider account is known here by the servers its tokens list (`SeenServer`, noted from
every list a token fetches). A person reaches a plan when:
- they own it and have a token stored (the plan acts with that very token);
- for chosen servers: their token has shown every chosen server (an id no token has ever
  shown, a typo or a server without backups yet, does not count against them when they are
  of the owner's account);
- for every server, or a name pattern: their token and the owner's have shown a server in
  common (the same account). The owner's account is what their latest token showed, so a
  plan whose owner removed their token is still found by the people of its account.
A person with no token stored reaches no plan. Deciding reads the database only: nothing is
sent to the API with anyone's token, except the person's own list once when their token has
never shown a server (`learn`)."""

from django.db.models import Max
from django.http import Http404
from django.utils.translation import gettext as _

from backupsui.accounts.models import ApiToken
from backupsui.backups.models import SeenServer
from backupsui.upstream import UpstreamError

from .models import Plan


def servers_shown(user) -> set[int] | None:
    """The servers the person's current token has shown; None without a token."""
    token = ApiToken.objects.filter(user=user).only("saved_at").first()
    if token is None:
        return None
    rows = SeenServer.objects.filter(user=user, token_saved_at=token.saved_at)
    return set(rows.values_list("server_id", flat=True))


def chosen_servers(user, plan: Plan) -> list[tuple[int, str | None]]:
    """A plan's chosen servers as (id, name), the name as the person's token showed it; None
    for one their token has not shown (a typo, a server gone since)."""
    if plan.servers != Plan.Servers.CHOSEN:
        return []
    token = ApiToken.objects.filter(user=user).only("saved_at").first()
    names = {}
    if token is not None:
        rows = SeenServer.objects.filter(
            user=user, token_saved_at=token.saved_at, server_id__in=plan.server_ids
        )
        names = dict(rows.values_list("server_id", "name"))
    return [(server_id, names.get(server_id)) for server_id in plan.server_ids]


def learn(account, fresh: bool = False) -> set[int]:
    """The servers the person's token has shown, fetching their own list first when it has
    shown none yet (a token just stored), or when `fresh` (a list at most
    BACKUPS_CACHE_SECONDS old: a server's first backup, taken a moment ago, counts)."""
    shown = servers_shown(account.user) or set()
    if fresh or not shown:
        try:
            account.backups()
        except UpstreamError:
            return shown
        shown = servers_shown(account.user) or set()
    return shown


def accounts_of(owner_ids) -> dict[int, set[int]]:
    """Each owner's account: the servers their current token showed (their latest one when
    they have none stored now)."""
    owner_ids = set(owner_ids)
    tokens = dict(ApiToken.objects.filter(user_id__in=owner_ids).values_list("user_id", "saved_at"))
    latest = dict(
        SeenServer.objects.filter(user_id__in=owner_ids - set(tokens))
        .values("user")
        .annotate(newest=Max("token_saved_at"))
        .values_list("user", "newest")
    )
    which = {**latest, **tokens}
    found: dict[int, set[int]] = {owner: set() for owner in owner_ids}
    rows = SeenServer.objects.filter(user_id__in=which).values_list(
        "user_id", "token_saved_at", "server_id"
    )
    for owner, saved_at, server_id in rows:
        if which.get(owner) == saved_at:
            found[owner].add(server_id)
    return found


def reaches(user, plan: Plan, mine: set[int] | None, owners: dict[int, set[int]]) -> bool:
    """Whether the person (whose token has shown `mine`; None without a token) reaches the
    plan (`owners`: the accounts of its owner, from accounts_of)."""
    if mine is None:
        return False
    if plan.owner_id == user.pk:
        return True
    same_account = bool(mine & owners.get(plan.owner_id, set()))
    if plan.servers != Plan.Servers.CHOSEN:
        return same_account
    unseen = set(plan.server_ids) - mine
    if not unseen:
        return bool(plan.server_ids)
    # A chosen server another token has shown is another account's.
    return same_account and not SeenServer.objects.filter(server_id__in=unseen).exists()


def plans_of(user, mine: set[int] | None) -> list[Plan]:
    """The plans the person (whose token has shown `mine`) reaches."""
    if mine is None:
        return []
    plans = list(Plan.objects.select_related("owner"))
    owners = accounts_of(plan.owner_id for plan in plans)
    return [plan for plan in plans if reaches(user, plan, mine, owners)]


def plan_or_404(account, plan_id: int) -> Plan:
    """The plan, when the person of this account (their own token) reaches it; else 404."""
    plan = Plan.objects.select_related("owner").filter(pk=plan_id).first()
    if plan is None:
        raise Http404(_("No such plan."))
    mine = learn(account)
    if not reaches(account.user, plan, mine, accounts_of([plan.owner_id])):
        raise Http404(_("No such plan."))
    return plan
