import { execFileSync } from "node:child_process";
import path from "node:path";
import { expect, test } from "@playwright/test";
import {
  addCustomer,
  customerPage,
  issueInvoice,
  linkIn,
  recordedEvents,
  sentInvoiceLink,
  settledEvents,
  signUp,
  startServer,
  stopServer,
  uniqueAddress,
  waitForEmailTo,
  waitForHydration,
} from "./support";

const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

test("machines fetching the link are shown apart; the merchant sees a person's open live", async ({
  page,
  browser,
  request,
}) => {
  await signUp(page);
  const email = uniqueAddress("lucia", "example.es");
  await addCustomer(page, "Lucía Gómez", email, "es");
  const number = await issueInvoice(page, "Lucía Gómez", "Traducción", "80");
  await page.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
  await waitForHydration(page);
  const link = linkIn(await waitForEmailTo(email));

  // A mail scanner: a HEAD, then a plain GET without a browser.
  expect((await request.head(link)).status()).toBe(200);
  expect((await request.get(link, { headers: { "user-agent": "Mozilla/5.0 (compatible; Barracuda Sentinel)" } })).status()).toBe(200);
  const history = page.locator("ol.history");
  // Both fetches, through one link within minutes, are one entry that counts them.
  await expect(history.locator("li.automated")).toHaveCount(1, { timeout: 30_000 });
  await expect(history.locator("li.automated")).toContainText("(×2)", { timeout: 30_000 });
  // Said as it is: a machine's fetch, never a person's open.
  await expect(history.locator("li.automated")).toContainText("Link fetched by a machine");
  await expect(history).not.toContainText("Opened by the customer");

  // The merchant is typing a payment, with the history narrowed to what the customer did…
  const show = page.getByLabel("Show");
  await show.selectOption("customer");
  await expect(page.getByText("Nothing of this kind yet.")).toBeVisible();
  await page.getByLabel("Amount", { exact: true }).fill("55");

  // …when the customer reads it in a real browser: the page updates by itself,
  // and keeps what the merchant typed and chose.
  const customer = await customerPage(browser);
  await customer.goto(link);
  await expect(customer.getByRole("heading", { name: `Factura ${number}` })).toBeVisible();
  await customer.mouse.wheel(0, 300);
  await expect(history).toContainText("Opened by the customer", { timeout: 30_000 });
  await expect(history.locator("li", { hasText: "Opened by the customer" })).toContainText("computer, Chrome");
  // Newest first: the open is on top.
  await expect(history.locator("li").first()).toContainText("Opened by the customer");
  await expect(show).toHaveValue("customer");
  await expect(page.getByLabel("Amount", { exact: true })).toHaveValue("55");

  // The filter narrows the history to what the customer did, or to the machines.
  await expect(history.locator("li")).not.toHaveCount(0);
  for (const item of await history.locator("li").allTextContents()) {
    expect(item).not.toContain("automated");
  }
  await expect(history).toContainText("Opened by the customer");
  await show.selectOption("automated");
  // Only the machines' one entry is left, once the history is read again.
  await expect(history).not.toContainText("Opened by the customer");
  await expect(history.locator("li")).toHaveCount(1);
  await expect(history.locator("li.automated")).toHaveCount(1);
  await show.selectOption("payments");
  await expect(page.getByText("Nothing of this kind yet.")).toBeVisible();

  // The list's ⋯ menu leads to the same history.
  await page.goto(page.url().replace(/\/invoices\/.*$/, "/invoices"));
  await waitForHydration(page);
  const row = page.locator("tr", { hasText: number });
  await expect(row.locator('[data-column="opened"]')).toContainText(/\d{2}:\d{2} (GMT|BST)/);
  await row.locator("summary").click();
  await row.getByRole("link", { name: "History" }).click();
  await expect(page.locator("#history")).toBeInViewport();
});

test("a customer who opens and downloads while the server is down is recorded exactly once when it is back", async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  await signUp(page);
  const email = uniqueAddress("pablo", "example.es");
  await addCustomer(page, "Pablo Ruiz", email, "es");
  const number = await issueInvoice(page, "Pablo Ruiz", "Reparación", "60");
  const invoicePage = page.url();
  await page.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
  const link = linkIn(await waitForEmailTo(email));

  await stopServer();
  try {
    // The edge serves the invoice from its store; the events wait in the queue.
    const customer = await customerPage(browser);
    await customer.goto(link);
    await expect(customer.getByRole("heading", { name: `Factura ${number}` })).toBeVisible();
    await customer.mouse.wheel(0, 300);
    const download = customer.waitForEvent("download");
    await customer.getByRole("link", { name: "Descargar PDF" }).click();
    await download;
    await customer.waitForTimeout(1_000);
  } finally {
    await startServer();
  }

  await page.goto(invoicePage);
  await waitForHydration(page);
  await page.getByLabel("Show").selectOption("customer");
  const history = page.locator("ol.history");
  await expect(history).toContainText("PDF downloaded", { timeout: 90_000 });
  await expect(history).toContainText("Opened by the customer", { timeout: 30_000 });
  // Retried batches are never recorded twice.
  await page.waitForTimeout(3_000);
  await page.reload();
  await waitForHydration(page);
  await page.getByLabel("Show").selectOption("customer");
  await expect(history.locator("li", { hasText: "Opened by the customer" })).toHaveCount(1);
  await expect(history.locator("li", { hasText: "PDF downloaded" })).toHaveCount(1);
});

test("a link missing from the edge's store is fetched from the server, served and kept; with the server down the customer is asked to retry", async ({ page, browser }) => {
  await signUp(page);
  const email = uniqueAddress("elena");
  await addCustomer(page, "Elena Conti", email, "it");
  const number = await issueInvoice(page, "Elena Conti", "Lezione", "45");
  await page.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
  const link = linkIn(await waitForEmailTo(email));

  // The edge loses the link's record (as a KV purge would).
  const token = link.split("/i/")[1];
  const linkId = Buffer.from(token, "base64url").subarray(0, 16).toString("hex");
  const kv = (...args: string[]) =>
    execFileSync(
      path.resolve("node_modules/.bin/wrangler"),
      ["kv", "key", ...args, "--binding", "INVOICES", "--local", "--persist-to", path.join(process.env.STACK_STATE_DIR!, "wrangler")],
      {
        cwd: path.resolve("../edge"),
        env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      },
    ).toString();
  kv("delete", `link:${linkId}`);
  expect(kv("get", `link:${linkId}`)).not.toContain(number);

  // While the server is down the customer is asked to come back; nothing is cached.
  const customer = await customerPage(browser);
  await stopServer();
  try {
    const unavailable = await customer.goto(link);
    expect(unavailable!.status()).toBe(503);
    // The page speaks the browser's language: the invoice itself is out of reach.
    await expect(customer.getByText("the link stays valid")).toBeVisible();
  } finally {
    await startServer();
  }

  const response = await customer.goto(link);
  expect(response!.status()).toBe(200);
  await expect(customer.getByRole("heading", { name: `Fattura ${number}` })).toBeVisible();
  expect(kv("get", `link:${linkId}`)).toContain(number);
});

test("a sandbox browser that clicks Download and Print is recorded as a machine, and a forged print is refused", async ({
  page,
  browser,
  request,
}) => {
  const { link, linkId } = await sentInvoiceLink(page, "Sandbox Srl");
  const downloadsBefore = recordedEvents(linkId, "pdf_downloaded");
  const printsBefore = recordedEvents(linkId, "printed");

  // The attack of the issue: prints posted by hand with a browser's agent,
  // in a loop. No page view the edge made: refused, recorded nowhere.
  for (let attempt = 0; attempt < 20; attempt++) {
    const forged = await request.post(`${link}/printed`, {
      headers: { "user-agent": CHROME, "content-type": "application/json" },
      data: { webdriver: false },
    });
    expect(forged.status()).toBe(403);
  }

  // A mail-security sandbox: a real browser driven by automation (it says
  // so in navigator.webdriver) that clicks every link and button.
  const sandbox = await browser.newContext({ userAgent: CHROME, acceptDownloads: true });
  const detonation = await sandbox.newPage();
  await detonation.goto(link);
  await detonation.mouse.wheel(0, 300);
  const download = detonation.waitForEvent("download");
  await detonation.getByRole("link", { name: "Scarica PDF" }).click();
  await download;
  await detonation.getByRole("button", { name: "Stampa" }).click();
  await sandbox.close();

  expect(await settledEvents(linkId, "pdf_downloaded", downloadsBefore + 1)).toBe(downloadsBefore + 1);
  expect(await settledEvents(linkId, "printed", printsBefore + 1)).toBe(printsBefore + 1);
  // Every event of that view is a machine's, and none is the customer's.
  expect(recordedEvents(linkId, "pdf_downloaded", { byPerson: true })).toBe(0);
  expect(recordedEvents(linkId, "printed", { byPerson: true })).toBe(0);
  expect(recordedEvents(linkId, "opened", { byPerson: true })).toBe(0);
});

test("the merchant previews the customer's page from the invoice, and their own look is recorded nowhere", async ({ page }) => {
  await signUp(page);
  await addCustomer(page, "Anna Verdi", uniqueAddress("anna"), "it");
  const number = await issueInvoice(page, "Anna Verdi", "Restauro", "300");
  const historyBefore = await page.locator("ol.history li").count();

  const [preview] = await Promise.all([
    page.waitForEvent("popup"),
    page.getByRole("link", { name: "Preview as the customer" }).click(),
  ]);
  await expect(preview.getByRole("heading", { name: `Fattura ${number}` })).toBeVisible();
  await expect(preview.getByRole("note")).toContainText("Preview: this is what your customer sees");
  await expect(preview.getByRole("link", { name: "Scarica PDF" })).toHaveAttribute("href", /\/invoices\/\d+\/pdf$/);
  await preview.mouse.wheel(0, 300);
  await preview.screenshot({ path: test.info().outputPath("preview-desktop.png"), fullPage: true });
  await preview.setViewportSize({ width: 390, height: 844 });
  await preview.screenshot({ path: test.info().outputPath("preview-phone.png"), fullPage: true });
  await preview.close();

  await page.reload();
  await waitForHydration(page);
  await expect(page.locator("ol.history li")).toHaveCount(historyBefore);
  await expect(page.locator("ol.history")).not.toContainText("Link fetched");
});

test("a busy invoice's history reads at a glance: machines' visits folded with their reasons, the customer's open standing out", async ({
  page,
  browser,
  request,
}) => {
  const { link, linkId } = await sentInvoiceLink(page, "Busy Srl");
  const opensBefore = recordedEvents(linkId, "opened");

  // On delivery: a gateway's HEAD, then a sandbox that runs the page in a
  // driven browser and fetches the PDF.
  expect((await request.head(link)).status()).toBe(200);
  const sandbox = await browser.newContext({ userAgent: CHROME, acceptDownloads: true });
  const detonation = await sandbox.newPage();
  await detonation.goto(link);
  await detonation.mouse.wheel(0, 300);
  const download = detonation.waitForEvent("download");
  await detonation.getByRole("link", { name: "Scarica PDF" }).click();
  await download;
  await sandbox.close();
  expect(await settledEvents(linkId, "pdf_downloaded", 1)).toBe(1);

  // Then the customer, for real: reads and scrolls.
  const customer = await customerPage(browser);
  await customer.goto(link);
  await customer.mouse.move(120, 200);
  await customer.mouse.wheel(0, 300);
  await settledEvents(linkId, "opened", opensBefore + 2);
  expect(recordedEvents(linkId, "opened", { byPerson: true })).toBe(1);

  await page.reload();
  await waitForHydration(page);
  const history = page.locator("ol.history").first();
  // The machines' view and PDF fetch are one line, with why.
  const folded = history.locator("li.folded");
  await expect(folded).toHaveCount(1);
  await expect(folded).toContainText("Checked by machines 2 times, never by a person");
  await expect(folded).toContainText("browser driven by automation");
  await expect(folded).toContainText("s after sending");
  // What the customer did stands out, said as it is.
  const opened = history.locator(":scope > li.by-person", { hasText: "Opened by the customer" });
  await expect(opened).toHaveCount(1);
  await expect(history.locator(":scope > li").first()).toContainText("Opened by the customer");
  // Each of the folded visits is a click (or Enter) away.
  await folded.locator("summary").focus();
  await page.keyboard.press("Enter");
  await expect(folded.locator("details li")).toHaveCount(2);
  await expect(folded.locator("details li").first()).toContainText("PDF fetched by a machine");
  await page.locator("#history").screenshot({ path: test.info().outputPath("history-desktop.png") });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator("#history").screenshot({ path: test.info().outputPath("history-phone.png") });
});
