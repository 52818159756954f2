"""One exception family for everything that can go wrong talking to the Backups API."""

from django.utils.translation import gettext_lazy as _

from backupsui.words import english


class UpstreamError(Exception):
    """The upstream call did not succeed. `message` is safe to show to the user;
    `token_refused` tells a page to offer the token page."""

    token_refused = False
    default_message = _("The backups service answered unexpectedly.")

    def __init__(
        self,
        message=None,
        *,
        status: int | None = None,
        fields=None,
        outcome_unknown: bool = False,
        cause: str | None = None,
    ):
        # Shown in the reader's language, recorded in English (see backupsui.words).
        self.message = message or self.default_message
        self.status = status
        # For the log line, when the status does not say it: timeout, refused, lost, ...
        self.cause = cause
        self.fields: dict[str, list[str]] = fields or {}
        self.outcome_unknown = outcome_unknown
        super().__init__(english(self.message))


class Unauthorized(UpstreamError):
    token_refused = True
    default_message = _("Your API token was refused by the backups service.")


class NotFound(UpstreamError):
    default_message = _("No such server or backup.")


class BadRequest(UpstreamError):
    default_message = _("The backups service refused the request.")


class Unavailable(UpstreamError):
    default_message = _("The backups service is unavailable; nothing was changed.")


class BadResponse(UpstreamError):
    default_message = _("The backups service sent an answer the panel cannot read.")
