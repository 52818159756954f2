"""One server's story from a known history: the calendar's cells, the chart's points, and the
odd-size flags at, just inside and just outside each bound, and the same-size rule."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backupsui.backups import story
from backupsui.upstream import Backup, Server
from tests.helpers import text

WEB = Server(id=12345, name="web-server-01")
START = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


def made(n, size, *, status="completed", kind="automatic", when=None, server=WEB):
    return Backup(
        id=n,
        server=server,
        backup_type=kind,
        status=status,
        size_mb=size,
        created_at=when or START + timedelta(days=n),
    )


def test_it_colours_each_of_ninety_days_by_its_outcome():
    backups = [
        made(1, 100),
        made(2, None, status="failed"),
        made(3, None, status="failed"),
        made(3 + 100, 100, when=START + timedelta(days=3, hours=2)),  # day 3 also completed
        made(5, None, status="in_progress"),
    ]
    today = (START + timedelta(days=10)).date()
    days = story.calendar(backups, today, ZoneInfo("UTC"))
    assert len(days) == 90 and days[-1].day == today and days[0].day == today - timedelta(89)
    by_day = {d.day: d.state for d in days}
    assert by_day[date(2026, 6, 2)] == story.COMPLETED
    assert by_day[date(2026, 6, 3)] == story.FAILED
    assert by_day[date(2026, 6, 4)] == story.COMPLETED
    assert by_day[date(2026, 6, 6)] == story.RUNNING
    assert by_day[date(2026, 6, 7)] == story.NOTHING


def test_it_counts_days_in_the_panels_time_zone():
    late_evening = made(1, 100, when=datetime(2026, 6, 2, 23, 30, tzinfo=UTC))
    days = story.calendar([late_evening], date(2026, 6, 3), ZoneInfo("Pacific/Apia"))  # +13
    assert {d.day for d in days if d.state == story.COMPLETED} == {date(2026, 6, 3)}


@pytest.mark.parametrize(
    ("size", "odd"),
    [(50, True), (51, False), (199, False), (200, True), (49, True), (201, True)],
)
def test_it_flags_a_size_at_half_or_double_the_usual(settings, size, odd):
    settings.BACKUPSUI_SIZE_LOW, settings.BACKUPSUI_SIZE_HIGH = 0.5, 2.0
    usual = [made(n, 100 + (n % 2) * 0) for n in range(1, 11)]  # ten of 100 MB
    usual[0] = made(1, 101)  # not all the same: the stuck rule stays out of it
    latest = made(11, size)
    found = story.odd_backups([*usual, latest])
    assert (latest.id in found) is odd
    if odd:
        assert found[latest.id].usual_mb == 100


def test_it_compares_with_the_median_of_the_ten_before_of_the_same_type():
    older = [made(n, 1000) for n in range(1, 4)]  # outside the last ten by number 15
    recent = [made(n, 400 + n) for n in range(4, 14)]  # 404 … 413: median 408.5
    manual = made(14, 5, kind="manual")  # another type: its own usual (none yet)
    latest = made(15, 204)  # 0.4994 of 408.5
    found = story.odd_backups([latest, manual, *reversed(recent), *older])  # any order
    # 4, 5 and 6 were odd against the 1000 MB before them; 7 had 404–406 among its ten.
    assert set(found) == {4, 5, 6, 15}
    assert found[15].usual_mb == 408.5 and found[15].percent == 50 and found[15].smaller


def test_it_flags_a_size_the_same_as_the_five_before_as_stuck():
    same = [made(n, 300) for n in range(1, 6)]
    sixth = made(6, 300)
    found = story.odd_backups([*same, sixth])
    assert set(found) == {6} and found[6].stuck
    assert 5 not in story.odd_backups(same)  # four before it: not yet


def test_it_places_completed_sizes_on_the_chart_by_type():
    backups = [made(1, 100), made(2, 200, kind="manual"), made(3, None, status="failed")]
    chart = story.size_chart(backups, START, START + timedelta(days=4))
    assert chart.top_mb == 200
    # Across: the days that have backups (June 2 and 3), not the whole window.
    assert chart.start == datetime(2026, 6, 2, tzinfo=UTC)
    assert chart.end == datetime(2026, 6, 4, tzinfo=UTC)
    # Up: from a round number below the smallest to one above the largest.
    assert (chart.low_mb, chart.high_mb) == (50, 250)
    assert [(round(x, 1), round(y)) for x, y, _b in chart.series["automatic"]] == [(37.5, 135)]
    assert [(round(x, 1), round(y)) for x, y, _b in chart.series["manual"]] == [(337.5, 45)]
    assert [mb for _y, mb in chart.y_ticks] == [50, 100, 150, 200, 250]
    assert [day for _x, day in chart.x_ticks] == [
        date(2026, 6, 2),
        date(2026, 6, 3),
        date(2026, 6, 4),
    ]


def test_it_scales_the_size_axis_to_the_data_and_the_time_axis_to_the_days_with_backups():
    """The issue's server: 7.8 to 9.5 GB over the last 30 of 90 days."""
    now = START + timedelta(days=90)
    backups = [
        made(n, 7800 + (n * 57) % 1700, when=now - timedelta(days=30 - n)) for n in range(30)
    ]
    chart = story.size_chart(backups, now - timedelta(days=90), now)
    assert chart.start.date() == (now - timedelta(days=30)).date()
    sizes = [b.size_mb for b in backups]
    assert 7000 <= chart.low_mb < min(sizes) and max(sizes) < chart.high_mb <= 10000
    ys = [y for _x, y, _b in chart.series["automatic"]]
    assert min(ys) < story.Chart.HEIGHT * 0.2 and max(ys) > story.Chart.HEIGHT * 0.8  # all of it
    xs = [x for x, _y, _b in chart.series["automatic"]]
    assert xs[0] < story.Chart.WIDTH * 0.05  # not in the right third
    labels = [mb for _y, mb in chart.y_ticks]
    assert all(mb % 100 == 0 for mb in labels) and len(labels) <= 7  # "7.8 GB", never twice
    assert 3 <= len(chart.x_ticks) <= 6


def test_it_shows_a_servers_story_page(sandbox, operator_client):
    page = operator_client.get("/servers/12345/")
    body = text(page)
    assert page.status_code == 200
    assert body.count('<li class="day day-') == 90
    assert "The sizes as a table" in body and "web-server-01" in body
    assert operator_client.get("/servers/999999/").status_code == 404


def test_it_flags_the_same_backups_on_the_list_as_on_the_servers_page():
    """The list judges only the backups it shows, from one grouping per list; the verdicts
    are those of the whole server's story."""
    import random

    from backupsui.backups.lists import BackupList
    from backupsui.upstream import Listing

    pick = random.Random(7)
    servers = [Server(id=n, name=f"s{n}") for n in range(1, 5)]
    backups = [
        made(
            n,
            pick.choice([100, 100, 100, 40, 250, None]),
            status=pick.choice(["completed", "completed", "failed"]),
            kind=pick.choice(["manual", "automatic"]),
            when=START + timedelta(hours=pick.randrange(2000)),
            server=pick.choice(servers),
        )
        for n in range(1, 400)
    ]
    whole = {}
    for server in servers:
        whole.update(story.odd_backups(story.of_server(backups, server.id)))
    listed = BackupList(Listing(backups))
    shown = {k: (v.usual_mb, v.stuck) for k, v in listed.odd_among(backups).items()}
    assert shown == {k: (v.usual_mb, v.stuck) for k, v in whole.items()}
    assert len(shown) > 10


def _judged_one_by_one(backups) -> dict:
    """What judge() says of each completed backup, given every size before it: the rule as
    written, to hold odd_backups' one pass to."""
    found, before = {}, {}
    for backup in sorted(backups, key=lambda b: (b.created_at, b.id)):
        if backup.status != "completed" or backup.size_mb is None:
            continue
        sizes = before.setdefault(backup.backup_type, [])
        odd = story.judge(backup, sizes)
        if odd is not None:
            found[backup.id] = (odd.usual_mb, odd.stuck)
        sizes.append(backup.size_mb)
    return found


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["manual", "automatic"]),
            st.sampled_from(["completed", "completed", "failed", "in_progress"]),
            st.one_of(st.none(), st.sampled_from([40, 100, 100, 100, 250]), st.integers(1, 500)),
            st.integers(0, 48),  # hours: equal times happen
        ),
        max_size=40,
    ),
    st.randoms(),
)
def test_it_finds_in_one_pass_what_judging_each_backup_finds(made, random):
    start = datetime(2026, 3, 1, tzinfo=UTC)
    backups = [
        Backup(
            id=number + 1,
            server=Server(id=1, name="db-1"),
            backup_type=kind,
            status=status,
            size_mb=size,
            created_at=start + timedelta(hours=hours),
        )
        for number, (kind, status, size, hours) in enumerate(made)
    ]
    random.shuffle(backups)
    found = {k: (odd.usual_mb, odd.stuck) for k, odd in story.odd_backups(backups).items()}
    assert found == _judged_one_by_one(backups)
