import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { recordedEvents, sentInvoiceLink, settledEvents } from "../tests/support";

// A load test with wrk (Debian's) of the customer page and of event ingest,
// through the whole stack: wrk → the worker under wrangler dev → event
// batches → the server → SQLite. Errors are counted, and so are the events
// the server recorded against the requests wrk saw answered: none may be
// lost. Printed as Markdown rows for `make bench`.

const SECONDS = 10;
const CONNECTIONS = 10;
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

type WrkResult = { requests: number; rps: number; p50: string; non2xx: number; socketErrors: number };

function wrk(url: string, script?: string): WrkResult {
  const args = ["-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "-H", `User-Agent: ${CHROME}`];
  if (script) args.push("-s", script);
  const output = execFileSync("wrk", [...args, url]).toString();
  console.error(output);
  const number = (pattern: RegExp) => Number(output.match(pattern)?.[1] ?? 0);
  const socket = output.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  return {
    requests: number(/(\d+) requests in/),
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50: output.match(/50%\s+([\d.]+\w+)/)?.[1] ?? "?",
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

function row(what: string, result: WrkResult, expected: number, got: number) {
  // Requests still in flight when wrk stops are answered and recorded but
  // not counted by wrk: up to one per connection.
  const lost = Math.max(0, expected - got);
  const beyond = got - expected;
  console.log(
    `| load test: ${what} (wrk, ${CONNECTIONS} connections, ${SECONDS} s) | ${result.rps.toFixed(0)} req/s, median latency ${result.p50}; errors: ${result.non2xx} non-2xx, ${result.socketErrors} socket | events recorded ${got} of ${expected} answered: lost ${lost}, in flight at the stop ${beyond} (≤ ${CONNECTIONS}) |`,
  );
  expect(result.non2xx).toBe(0);
  expect(result.socketErrors).toBe(0);
  expect(lost).toBe(0);
  expect(beyond).toBeLessThanOrEqual(CONNECTIONS);
}

test("the customer page and event ingest under load: no errors, no event lost", async ({ page }) => {
  const { link, linkId } = await sentInvoiceLink(page, "Carico Srl");

  const fetchedBefore = recordedEvents(linkId, "link_fetched");
  const pages = wrk(link);
  row("customer page /i/{token}", pages, fetchedBefore + pages.requests, await settledEvents(linkId, "link_fetched", fetchedBefore + pages.requests));

  // Each presence report is an open with its own event id: event ingest.
  const dir = mkdtempSync(path.join(tmpdir(), "invio-load-"));
  try {
    const script = path.join(dir, "presence.lua");
    writeFileSync(
      script,
      ['wrk.method = "POST"', `wrk.body = '{"visible_ms":3000,"interacted":true,"webdriver":false}'`, 'wrk.headers["Content-Type"] = "application/json"'].join("\n"),
    );
    const openedBefore = recordedEvents(linkId, "opened");
    const opens = wrk(`${link}/presence`, script);
    row("event ingest, presence reports through the edge", opens, openedBefore + opens.requests, await settledEvents(linkId, "opened", openedBefore + opens.requests));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
