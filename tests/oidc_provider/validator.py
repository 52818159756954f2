import json
import os

from oauth2_provider.oauth2_validators import OAuth2Validator


def claims_of(username: str) -> dict:
    """Each person's claims, from the file the test writes (and rewrites between sign-ins):
    a list of groups, or a dict of the claims that differ from the defaults below."""
    with open(os.environ["OIDC_TEST_GROUPS"]) as people:
        found = json.load(people).get(username, [])
    claims = {
        "preferred_username": username,
        "email": f"{username}@example.test",
        "email_verified": True,
        "groups": [],
    }
    claims.update(found if isinstance(found, dict) else {"groups": found})
    return claims


class GroupsValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim, whatever the scopes

    def get_additional_claims(self, request):
        return claims_of(request.user.username)
