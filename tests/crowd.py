"""People browsing at once, and the list fetches the sandbox sees: a small load script for the
shared-list tests (and the bench's crowd row)."""

import itertools
import re
import statistics
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

import requests

# What a person does, over and over: the list, its second page, another order, a filter,
# the servers page.
CLICKS = [
    "/backups/",
    "/backups/?page=2",
    "/backups/?sort=size",
    "/backups/?status=completed&page=3",
    "/servers/",
]


class ListFetches:
    """Counts the list fetches the sandbox answers (a fetch is its first page), per token,
    with when each began; `hold()` keeps them waiting until `release()`."""

    def __init__(self, server):
        self.app = server.httpd.get_app()
        self.original = self.app.list_backups
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.arrived = threading.Condition(self.lock)
        self.gate = threading.Event()
        self.gate.set()
        self.app.list_backups = self._counted

    def _counted(self, account, environ):
        if parse_qs(environ.get("QUERY_STRING", "")).get("page", ["1"])[-1] == "1":
            token = environ.get("HTTP_AUTHORIZATION", "")[-4:]  # enough to tell them apart
            with self.arrived:
                self.times[token].append(time.monotonic())
                self.arrived.notify_all()
        self.gate.wait(30)
        return self.original(account, environ)

    @property
    def count(self) -> int:
        with self.lock:
            return sum(len(times) for times in self.times.values())

    def wait_for(self, count: int, seconds: float) -> bool:
        """Whether `count` fetches in all have begun within `seconds`."""
        with self.arrived:
            return self.arrived.wait_for(lambda: self._total() >= count, timeout=seconds)

    def _total(self) -> int:
        return sum(len(times) for times in self.times.values())

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def most_in_window(self, seconds: float) -> int:
        """The most fetches of one token that began within any `seconds`."""
        most = 0
        with self.lock:
            for times in self.times.values():
                for n, began in enumerate(times):
                    most = max(most, sum(1 for t in times[n:] if t - began < seconds))
        return most


def browse(people, seconds: float, think: float = 1.0, arrive: float = 0.25) -> dict:
    """Each person (a signed-in stack.Browser and the replica URLs to use in turn) arrives
    `arrive` seconds after the one before and clicks through CLICKS until `seconds` are over,
    reading each page `think` seconds. Returns the latencies (ms) at p50 and p95, the number
    of answers, and the errors (anything but a 200 for the page asked for)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.monotonic()
    stop = start + seconds

    def person(number, browser, urls):
        time.sleep(number * arrive)
        for turn in itertools.count(number):
            if time.monotonic() >= stop:
                return
            url = urls[turn % len(urls)] + CLICKS[turn % len(CLICKS)]
            began = time.monotonic()
            try:
                try:
                    answer = browser.get(url)
                except requests.ConnectionError:
                    # A keep-alive connection the replica closed as we reused it: a browser
                    # sends the GET again on a new one, once.
                    answer = browser.get(url)
                status = answer.status_code
                if answer.history:  # sent elsewhere (to sign in, say): not the page asked for
                    status = f"{answer.history[0].status_code} to {answer.url}"
                elif status != 200:
                    why = re.search(r'role="alert"[^>]*>\s*(?:<[^>]+>\s*)*([^<]+)', answer.text)
                    status = f"{status} {why[1].strip() if why else ''}"
            except Exception as error:  # noqa: BLE001 - every failure is counted
                status = type(error).__name__
            took = (time.monotonic() - began) * 1000
            with lock:
                latencies.append(took)
                if status != 200:
                    errors.append(f"{began - start:.1f} s {url}: {status}")
            time.sleep(think)  # a person reading the page

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        for future in [
            pool.submit(person, number, browser, urls)
            for number, (browser, urls) in enumerate(people)
        ]:
            future.result()
    cuts = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    return {
        "answers": len(latencies),
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p95": cuts[18] if cuts else 0.0,
        "errors": errors,
    }
