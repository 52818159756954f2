"""The Backups API on /metrics, from what every process counted in the database (never by
calling it): its calls by call and outcome and their durations, when each call last went
well, the breakers' openings and whether the newest thing known is an opening, when each
stored token was last accepted, and the tokens no key decrypts any more."""

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from backupsui.accounts.models import ApiToken
from backupsui.upstream.ledger import ANSWERED, BUCKETS
from backupsui.upstream.models import BreakerOpening, CallCount


def _seconds(moment) -> float:
    return moment.timestamp() if moment is not None else 0.0


def upstream_families():
    rows = list(CallCount.objects.order_by("call", "outcome"))
    requests = CounterMetricFamily(
        "backupsui_upstream_requests",
        "Calls to the Backups API by call and outcome (ok, or why not), from every process.",
        labels=["call", "outcome"],
    )
    durations = HistogramMetricFamily(
        "backupsui_upstream_request_duration_seconds",
        "How long the calls to the Backups API took (retries and further pages included).",
        labels=["call"],
    )
    succeeded = GaugeMetricFamily(
        "backupsui_upstream_last_success_timestamp_seconds",
        "When a call of this kind last went well (0: never).",
        labels=["call"],
    )
    by_call: dict[str, list] = {}
    for row in rows:
        requests.add_metric([row.call, row.outcome], row.count)
        by_call.setdefault(row.call, []).append(row)
    for call, mine in by_call.items():
        buckets = [sum(column) for column in zip(*(row.buckets for row in mine), strict=True)]
        count = sum(row.count for row in mine)
        durations.add_metric(
            [call],
            [(f"{bound:g}", n) for bound, n in zip(BUCKETS, buckets, strict=True)]
            + [("+Inf", count)],
            sum_value=sum(row.seconds for row in mine),
        )
        ok = [row.last_at for row in mine if row.outcome == "ok" and row.last_at]
        succeeded.add_metric([call], _seconds(max(ok) if ok else None))
    yield requests
    yield durations
    yield succeeded
    yield from breaker_families(rows)
    yield from token_families()


def breaker_families(rows):
    opening = BreakerOpening.objects.first()
    answered = [row.last_at for row in rows if row.outcome in ANSWERED and row.last_at]
    last_answer = max(answered) if answered else None
    opened_at = opening.last_at if opening else None
    still_open = opened_at is not None and (last_answer is None or opened_at > last_answer)
    yield CounterMetricFamily(
        "backupsui_upstream_breaker_openings",
        "Times a process's breaker opened: the API failed several times in a row, so that "
        "process held its calls back for a few seconds.",
        value=opening.count if opening else 0,
    )
    yield GaugeMetricFamily(
        "backupsui_upstream_breaker_open",
        "1 while the newest thing known of the API is that a breaker opened (no answer from "
        "it since), else 0.",
        value=1 if still_open else 0,
    )


def token_families():
    accepted = GaugeMetricFamily(
        "backupsui_token_last_accepted_timestamp_seconds",
        "When the API last accepted a call with an active person's stored token (a list, "
        "every round; written at most once a minute; 0: never).",
        labels=["token_id", "user"],
    )
    # The active people's: the round lists with each of them, and only with them.
    tokens = (
        ApiToken.objects.filter(user__is_active=True)
        .order_by("pk")
        .values_list("pk", "user__username", "last_accepted_at")
    )
    for pk, username, last_accepted in tokens:
        accepted.add_metric([str(pk), username], _seconds(last_accepted))
    yield accepted
    unreadable = ApiToken.objects.filter(unreadable_since__isnull=False).count()
    yield GaugeMetricFamily(
        "backupsui_tokens_unreadable",
        "Stored API tokens no configured key decrypts (the keys changed): their owners must "
        "store them again.",
        value=unreadable,
    )
