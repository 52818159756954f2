"""How a sign-in was proved and how a locked address is told apart, for the sign-in events on
the audit trail (read by audit.signals; the accounts floor sets the request attribute)."""

# Set on a request refused because its address failed too often across usernames.
ADDRESS_LOCKED = "backupsui_address_locked"
ADDRESS_LOCKED_OUT = "Address locked out after repeated failures across usernames."


def how_signed_in(request, user) -> str:
    """How the sign-in was proved, for the audit trail: the provider and subject of a single
    sign-on, a passkey, or a password with or without a second factor."""
    from allauth.account.authentication import get_authentication_records

    records = get_authentication_records(request, user)
    methods = [record.get("method") for record in records]
    for record in records:
        if record.get("method") == "socialaccount":
            return (
                f"Single sign-on through {record.get('provider', '?')}, "
                f"subject {record.get('uid', '?')}."
            )
    if "mfa" in methods:
        used = [r for r in records if r.get("method") == "mfa"][-1]
        if used.get("passwordless"):
            return "Signed in with a passkey."
        return f"Password and second factor ({used.get('type', '?')})."
    if "password" in methods:
        return "Password."
    return ""
