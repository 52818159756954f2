import json
import os

from oauth2_provider.oauth2_validators import OAuth2Validator


def groups_of(username: str) -> list[str]:
    """Each person's groups, from the file the test writes (and rewrites between sign-ins)."""
    with open(os.environ["OIDC_TEST_GROUPS"]) as groups:
        return json.load(groups).get(username, [])


class GroupsValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim, whatever the scopes

    def get_additional_claims(self, request):
        user = request.user
        return {
            "preferred_username": user.username,
            "email": f"{user.username}@example.test",
            "email_verified": True,
            "groups": groups_of(user.username),
        }
