// What htmx cannot do by itself: pause polling in hidden tabs, tick elapsed times,
// disable a form's buttons once it is sent so a double click sends it once, keep a poll
// from replacing what did not change, and after a swap set the tab's title and take the
// keyboard to the new results.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute("data-poll") && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });

  document.addEventListener("visibilitychange", function () {
    var poller = document.querySelector("[data-poll]");
    if (poller && document.visibilityState === "visible" && window.htmx) {
      window.htmx.trigger(poller, "poll-now");
    }
  });

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.elapsed[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (isNaN(since)) { return; }
      var s = Math.max(0, Math.floor((now - since) / 1000));
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
      el.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s % 60);
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-submit-once")) { return; }
    if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.disabled = true;
        b.setAttribute("aria-busy", "true");
      });
    }, 0);
  });

  // The language switcher comes back to the address shown now: filters set through htmx
  // changed it after the page was drawn.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("language")) { return; }
    var next = form.querySelector("input[name=next]");
    if (next) { next.value = window.location.pathname + window.location.search; }
  }, true);

  // A page restored from the back/forward cache gets its buttons back, and a form that
  // must be shown as drawn (the restore's safety box ticked) is drawn again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[data-fresh]").forEach(function (form) { form.reset(); });
    }
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.disabled = false;
        b.removeAttribute("aria-busy");
      });
    });
  });

  // A poll whose answer shows the same version as the page swaps nothing: the focused
  // control (Cancel on a running job) stays the very same element.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.hasAttribute("data-version") || !event.detail.shouldSwap) { return; }
    var answer = document.createElement("template");
    answer.innerHTML = event.detail.serverResponse;
    var fresh = answer.content.querySelector("[data-version]");
    if (fresh && fresh.id === elt.id &&
        fresh.getAttribute("data-version") === elt.getAttribute("data-version")) {
      event.detail.shouldSwap = false;
    }
  });

  // After results are swapped in: the tab's title follows them; a pager link or a sent
  // form takes focus to the results' heading (which says the range shown); a filter
  // changed as one types or picks keeps focus where it is, and the range is announced.
  document.addEventListener("htmx:afterSettle", function (event) {
    var results = document.querySelector("main [data-title]");
    if (!results) { return; }
    document.title = results.getAttribute("data-title");
    var config = event.detail.requestConfig || {};
    if (!config.elt || config.elt.hasAttribute("data-poll")) { return; }
    var heading = results.querySelector(".count[tabindex]") || results;
    var trigger = config.triggeringEvent;
    if (config.elt.closest(".pager") || (trigger && trigger.type === "submit")) {
      heading.focus();
    } else {
      var announce = document.getElementById("announce");
      if (announce) { announce.textContent = heading.textContent; }
    }
  });
})();
