// Reports to the edge that a person is reading the invoice: the page was
// visible and focused for a moment, or someone scrolled, pointed, touched or
// typed. A bare page load proves nothing (mail scanners load pages too).
(() => {
  "use strict";
  // The page comes with its times in the store's zone, labelled; the reader
  // gets them in their own, in the page's language. Without this script (or
  // Intl) they stay as they are, still right.
  try {
    // The page's own conventions for its dates: 2 Dec 2026 in English,
    // 02/12/2026 in Italian and Spanish.
    const english = document.documentElement.lang === "en";
    const format = new Intl.DateTimeFormat(english ? "en-GB" : document.documentElement.lang || undefined, {
      day: english ? "numeric" : "2-digit",
      month: english ? "short" : "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    });
    for (const time of document.querySelectorAll("time[datetime]")) {
      const instant = new Date(time.getAttribute("datetime"));
      if (!Number.isNaN(instant.getTime())) time.textContent = format.format(instant);
    }
  } catch (_) {
    // An old browser without these Intl options keeps the store's times.
  }

  const sheet = document.querySelector("main[data-token]");
  if (!sheet) return;
  const base = "/i/" + encodeURIComponent(sheet.dataset.token);
  // The page view the edge signed into this page: every report carries it,
  // and a report without one is refused.
  const view = sheet.dataset.view;
  const webdriver = navigator.webdriver === true;
  // A browser driven by automation that follows the download link is
  // recorded as a machine's download.
  const download = document.getElementById("download-pdf");
  if (download && webdriver) download.href += "&webdriver=1";
  const MIN_VISIBLE_MS = 1500;
  // How long a page seen but not touched waits for a scroll, a pointer, a
  // touch or a key before it reports anyway: reading without touching,
  // right after the email arrived, is also what a hidden scanner does, so
  // input is worth waiting for. One report per page view, so one view is
  // one open.
  const WAIT_FOR_INPUT_MS = 30000;
  const TICK_MS = 250;
  let visibleMs = 0;
  let interacted = false;
  let reported = false;

  const post = (path, body) =>
    fetch(base + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      keepalive: true,
      credentials: "omit",
    }).catch(() => {});

  const report = () => {
    if (reported) return;
    reported = true;
    clearInterval(timer);
    post("/presence", {
      view,
      visible_ms: Math.round(visibleMs),
      interacted,
      webdriver,
    });
  };

  const timer = setInterval(() => {
    if (document.visibilityState === "visible" && document.hasFocus()) {
      visibleMs += TICK_MS;
      if (visibleMs >= MIN_VISIBLE_MS + WAIT_FOR_INPUT_MS) report();
    }
  }, TICK_MS);

  for (const type of ["scroll", "pointerdown", "pointermove", "touchstart", "keydown"]) {
    addEventListener(type, () => { interacted = true; report(); }, { passive: true, once: true });
  }
  // Leaving a page that was read: report what was seen.
  const leaving = () => { if (visibleMs >= MIN_VISIBLE_MS) report(); };
  addEventListener("pagehide", leaving);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") leaving();
  });

  // The Print button and the browser's own print (Ctrl+P) both end up here;
  // one request to print is one event, however the browser reports it.
  let lastPrint = 0;
  const printed = () => {
    const now = Date.now();
    if (now - lastPrint > 2000) post("/printed", { view, webdriver });
    lastPrint = now;
  };
  addEventListener("beforeprint", printed);
  const printButton = document.getElementById("print-invoice");
  if (printButton) {
    printButton.addEventListener("click", () => {
      printed();
      window.print();
    });
  }
})();
