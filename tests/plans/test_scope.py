"""Who reaches a plan, from the servers each token has shown: the owner with a token; for
every server or a pattern, the people whose token is of the owner's account (even after the
owner removed theirs); for chosen servers, whoever's token shows them all (an id no token
ever showed does not shut out the owner's account); nobody without a token."""

import pytest
from django.utils import timezone

from backupsui.accounts.models import ApiToken
from backupsui.backups.health import note_servers
from backupsui.plans import scope
from backupsui.plans.models import Plan
from tests.conftest import OTHER_TOKEN, SUPPORT_TOKEN, make_user

ACME = [(12345, "web-server-01"), (12346, "db-server-02"), (12347, "cache-server-03")]
GLOBEX = [(12348, "web-server-01"), (12349, "db-server-02")]


def shows(user, servers) -> None:
    """The person's current token has listed these servers."""
    note_servers(user, ApiToken.objects.get(user=user).saved_at, servers)


def reached(user, plan) -> bool:
    plan = Plan.objects.get(pk=plan.pk)
    return scope.reaches(user, plan, scope.servers_shown(user), scope.accounts_of([plan.owner_id]))


@pytest.fixture
def people(operator, django_user_model):
    colleague = make_user(django_user_model, "opal", "Operators", SUPPORT_TOKEN)
    stranger = make_user(django_user_model, "oscar", "Operators", OTHER_TOKEN)
    tokenless = make_user(django_user_model, "nina", "Operators")
    # Opal's token listed one server before Olivia's listed three: it has shown her that one
    # only (a token takes over what its account's other tokens showed before it).
    shows(colleague, ACME[:1])
    shows(operator, ACME)
    shows(stranger, GLOBEX)
    return operator, colleague, stranger, tokenless


def test_it_lets_the_owners_account_reach_a_plan_over_every_server_or_a_pattern(people):
    owner, colleague, stranger, tokenless = people
    for plan in (
        Plan.objects.create(owner=owner, name="All"),
        Plan.objects.create(owner=owner, name="Pattern", servers="pattern", pattern="db-*"),
    ):
        found = {p.username: reached(p, plan) for p in (owner, colleague, stranger, tokenless)}
        assert found == {"olivia": True, "opal": True, "oscar": False, "nina": False}


def test_it_lets_whoever_sees_all_chosen_servers_reach_a_chosen_servers_plan(people):
    owner, colleague, stranger, _tokenless = people

    def chosen(*ids):
        return Plan.objects.create(owner=owner, name="Chosen", servers="chosen", server_ids=ids)

    assert [reached(p, chosen(12345)) for p in people] == [True, True, False, False]
    # Opal's token has not shown 12346: she does not reach a plan of it.
    assert [reached(p, chosen(12345, 12346)) for p in people] == [True, False, False, False]
    # An id no token has ever shown (a typo) does not shut out the owner's account ...
    assert [reached(p, chosen(12345, 99999)) for p in people] == [True, True, False, False]
    # ... but a server another account's token has shown does.
    assert [reached(p, chosen(12345, 12348)) for p in people] == [True, False, False, False]
    # A plan of the other account's owner naming this account's servers is reached by their
    # people (their token shows the servers), not by the owner's account.
    theirs = Plan.objects.create(owner=stranger, name="Odd", servers="chosen", server_ids=[12345])
    assert [reached(p, theirs) for p in people] == [True, True, True, False]


def test_it_finds_the_owners_account_after_the_owner_removed_their_token(people):
    owner, colleague, stranger, _tokenless = people
    plan = Plan.objects.create(owner=owner, name="Orphan")
    ApiToken.objects.filter(user=owner).delete()
    assert (reached(owner, plan), reached(colleague, plan), reached(stranger, plan)) == (
        False,
        True,
        False,
    )


def test_it_follows_the_owners_current_token_to_its_account(people):
    owner, colleague, stranger, _tokenless = people
    plan = Plan.objects.create(owner=owner, name="Moved")
    ApiToken.objects.filter(user=owner).update(saved_at=timezone.now())  # a token of globex
    shows(owner, GLOBEX)
    assert (reached(colleague, plan), reached(stranger, plan)) == (False, True)


def test_it_lists_only_the_plans_a_person_reaches(people):
    owner, colleague, stranger, tokenless = people
    Plan.objects.create(owner=owner, name="Acme")
    Plan.objects.create(owner=stranger, name="Globex")
    names = {
        p.username: [plan.name for plan in scope.plans_of(p, scope.servers_shown(p))]
        for p in people
    }
    assert names == {"olivia": ["Acme"], "opal": ["Acme"], "oscar": ["Globex"], "nina": []}
