import { expect, test } from "@playwright/test";
import { recordedEvents, sentInvoiceLink, settledEvents, startServer, stopServer } from "./support";

// The fault suite's edge case: the link from the edge to the server is down
// (the server killed) while customers open an invoice, then back. Every page
// view and every open must reach the server once: the count of what was lost
// and doubled is printed as a Markdown row. `make test` runs a short version;
// `make faults` (FAULTS_FULL=1) a longer one.

const VISITS = process.env.FAULTS_FULL ? 200 : 20;
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

test("customers who open an invoice while the server is unreachable are all recorded, once, when it is back", async ({ page }) => {
  test.setTimeout(300_000);
  const { link, linkId } = await sentInvoiceLink(page, "Guasto Srl");
  const fetchedBefore = recordedEvents(linkId, "link_fetched");
  const openedBefore = recordedEvents(linkId, "opened");

  await stopServer();
  try {
    for (let visit = 0; visit < VISITS; visit++) {
      // The record is at the edge: the page is served with the server down.
      const page = await fetch(link, { headers: { "user-agent": CHROME } });
      expect(page.status).toBe(200);
      // The page view the edge signed into the page: the open reports it.
      const view = (await page.text()).match(/data-view="([^"]+)"/)?.[1];
      expect(view).toBeTruthy();
      const open = await fetch(`${link}/presence`, {
        method: "POST",
        headers: { "user-agent": CHROME, "content-type": "application/json" },
        body: JSON.stringify({ view, visible_ms: 3_000, interacted: true, webdriver: false }),
      });
      expect(open.status).toBe(204);
    }
  } finally {
    await startServer();
  }

  const fetched = (await settledEvents(linkId, "link_fetched", fetchedBefore + VISITS)) - fetchedBefore;
  const opened = (await settledEvents(linkId, "opened", openedBefore + VISITS)) - openedBefore;
  const lost = Math.max(0, VISITS - fetched) + Math.max(0, VISITS - opened);
  const doubled = Math.max(0, fetched - VISITS) + Math.max(0, opened - VISITS);
  console.log(`| edge → server link down while ${VISITS} customers view and open an invoice | lost ${lost} of ${2 * VISITS} events | doubled ${doubled} |`);
  expect(lost).toBe(0);
  expect(doubled).toBe(0);
});
