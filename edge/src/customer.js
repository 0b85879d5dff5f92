// Reports to the edge that a person is reading the invoice: the page was
// visible and focused for a moment, or someone scrolled, pointed, touched or
// typed. A bare page load proves nothing (mail scanners load pages too).
(() => {
  "use strict";
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
  const TICK_MS = 250;
  let visibleMs = 0;
  let interacted = false;
  // At most two reports a view: the first when the page has been seen, and
  // one more when someone then touches it (reading without touching, right
  // after the email arrived, is what a hidden scanner also does).
  let reports = 0;
  let reportedInput = false;

  const post = (path, body) =>
    fetch(base + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      keepalive: true,
      credentials: "omit",
    }).catch(() => {});

  const report = () => {
    if (reportedInput || reports >= 2 || (reports === 1 && !interacted)) return;
    reports += 1;
    reportedInput = interacted;
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
      if (visibleMs >= MIN_VISIBLE_MS) report();
    }
  }, TICK_MS);

  for (const type of ["scroll", "pointerdown", "pointermove", "touchstart", "keydown"]) {
    addEventListener(type, () => { interacted = true; report(); }, { passive: true, once: true });
  }

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
