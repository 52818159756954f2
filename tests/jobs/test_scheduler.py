"""What the scheduler says when it starts: each round with how often it is queued (the plans
every minute, the weekly reports every quarter of an hour), not one interval for all."""

from backupsui.jobs import scheduler


def test_it_names_each_rounds_own_interval_when_it_starts(settings):
    settings.BACKUPSUI_WATCH_MINUTES = 10
    assert scheduler.start_line() == (
        "scheduler: rounds alerts every 10 minutes, housekeeping every 10 minutes, "
        "plans every minute, weekly_reports every 15 minutes"
    )
    settings.BACKUPSUI_WATCH_MINUTES = 0.5
    assert scheduler.start_line().startswith("scheduler: rounds alerts every 30 seconds,")


def test_it_writes_that_line_when_the_command_starts(db, caplog, monkeypatch):
    from backupsui.jobs.management.commands import scheduler as command

    def stop_at_once():
        raise KeyboardInterrupt

    monkeypatch.setattr(command.scheduler, "run_due", stop_at_once)
    with caplog.at_level("INFO", logger="backupsui.scheduler"):
        command.Command().handle(interval=0)
    said = [record.getMessage() for record in caplog.records]
    assert said[0] == scheduler.start_line() and "0:10:00" not in said[0]
