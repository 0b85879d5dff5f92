import { execFileSync } from "node:child_process";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { expect, test, type Browser, type Download, type Page } from "@playwright/test";

export const adminUrl = () => process.env.ADMIN_URL!;
export const edgeUrl = () => process.env.EDGE_URL!;
export const inboxUrl = () => process.env.INBOX_URL!;

export type CaughtEmail = {
  id: string;
  subject: string;
  text: string;
  html: string;
  to: { address: string }[];
  from: { address: string; name: string }[];
  headers: Record<string, string>;
  attachments?: { filename: string; contentType: string }[];
};

// Waits for an email to `address` (whose subject matches `subject`, when
// given) to reach the catcher.
export async function waitForEmailTo(address: string, subject?: RegExp): Promise<CaughtEmail> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${inboxUrl()}/api/email`);
    const emails = (await response.json()) as CaughtEmail[];
    const found = emails.find(
      (email) => email.to.some((to) => to.address === address) && (!subject || subject.test(email.subject)),
    );
    if (found) return found;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`no email${subject ? ` matching ${subject}` : ""} reached ${address}`);
}

// Every email the catcher holds for `address`.
export async function emailsTo(address: string): Promise<CaughtEmail[]> {
  const response = await fetch(`${inboxUrl()}/api/email`);
  const emails = (await response.json()) as CaughtEmail[];
  return emails.filter((email) => email.to.some((to) => to.address === address));
}

// The message as it was sent, headers and all (the catcher's JSON leaves
// out address headers such as Reply-To).
export async function sourceOf(email: CaughtEmail): Promise<string> {
  const response = await fetch(`${inboxUrl()}/api/email/${email.id}/source`);
  return response.text();
}

// The customer's link in an email's text part.
export function linkIn(email: CaughtEmail): string {
  const link = email.text.match(/https?:\/\/\S+\/i\/[A-Za-z0-9_-]{44}/)?.[0];
  if (!link) throw new Error(`no link in: ${email.text}`);
  return link;
}

// A customer's browser, not an automated one: real customers never report
// navigator.webdriver, and the edge would rightly not count such an open.
export async function customerPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({
    userAgent:
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
    acceptDownloads: true,
  });
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, "webdriver", { get: () => false });
  });
  return context.newPage();
}

export function pdfText(bytes: Buffer): string {
  return execFileSync("pdftotext", ["-layout", "-", "-"], { input: bytes }).toString();
}

export async function downloadedText(download: Download): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await download.createReadStream())!) chunks.push(chunk as Buffer);
  return pdfText(Buffer.concat(chunks));
}

// The admin marks its body once hydrated; the forms need it.
export async function waitForHydration(page: Page) {
  await page.locator("body[data-hydrated]").waitFor({ state: "attached" });
}

// Signs a new merchant up in English and lands on the invoice list.
export async function signUp(page: Page, email = `owner.${Date.now()}.${Math.random().toString(36).slice(2)}@bottega.it`) {
  await page.goto(`${adminUrl()}/signup`);
  await waitForHydration(page);
  await page.getByLabel("Language").selectOption("en");
  await page.getByLabel("Business name").fill("Bottega Rossi");
  await page.getByLabel("Your name").fill("Giulia Rossi");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  // Sign-up answers every address alike; the account is proven by its email.
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  const confirmation = await waitForEmailTo(email, /^Confirm your email address for Invio$/);
  const token = confirmation.text.match(/\/confirm-email\?token=([A-Za-z0-9_-]{43})/)?.[1];
  if (!token) throw new Error(`no confirmation link in: ${confirmation.text}`);
  await page.goto(`${adminUrl()}/confirm-email?token=${token}`);
  await waitForHydration(page);
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(page.getByText("Your address is confirmed")).toBeVisible();
  await signIn(page, email);
  return email;
}

// Signs in with the password every test account has, lands on the home
// page (what to chase today), and goes on to the invoice list.
export async function signIn(page: Page, email: string) {
  await page.goto(`${adminUrl()}/login`);
  await waitForHydration(page);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "What to chase today" })).toBeVisible();
  await page.goto(`${adminUrl()}/invoices`);
  await expect(page.getByRole("heading", { name: "Customer invoices" })).toBeVisible();
  await waitForHydration(page);
}

// Adds a customer through the form.
export async function addCustomer(page: Page, name: string, email: string, language: "it" | "es" | "en") {
  await page.goto(`${adminUrl()}/customers/new`);
  await waitForHydration(page);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Customer's language").selectOption(language);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Edit customer" })).toBeVisible();
  // The saved customer's page is a fresh load: its form takes typing once hydrated.
  await waitForHydration(page);
}

// Writes a one-line invoice for `customer` and issues it; returns its number.
export async function issueInvoice(page: Page, customer: string, description: string, price: string, quantity = "1") {
  await page.goto(`${adminUrl()}/invoices/new`);
  await waitForHydration(page);
  const option = page.locator('select[name="draft[customer_id]"] option', { hasText: customer });
  await page.getByLabel("Customer", { exact: true }).selectOption((await option.getAttribute("value"))!);
  await page.getByLabel("Description 1").fill(description);
  await page.getByLabel("Quantity 1").fill(quantity);
  await page.getByLabel("Unit price 1").fill(price);
  await page.getByRole("button", { name: "Save and issue" }).click();
  const heading = page.getByRole("heading", { name: /^Invoice \d{4}-\d{4}$/ });
  await expect(heading).toBeVisible();
  return (await heading.textContent())!.replace("Invoice ", "").trim();
}

// A unique address at `domain`, so each run reads only its own email.
export function uniqueAddress(name: string, domain = "example.it") {
  return `${name}.${Date.now()}.${Math.random().toString(36).slice(2, 7)}@${domain}`;
}

// Opens the send dialog of invoice `number` from the list's ⋯ menu.
export async function openSendDialogFromList(page: Page, number: string) {
  await page.goto(`${adminUrl()}/invoices`);
  await waitForHydration(page);
  const row = page.locator("tr", { hasText: number });
  await row.locator("summary").click();
  await row.getByRole("link", { name: /Send via email|Send again/ }).click();
  await expect(page.getByRole("heading", { name: `Send invoice ${number}` })).toBeVisible();
  await waitForHydration(page);
}

// Kills the server as a crash would (the edge and the mail catcher stay up).
export async function stopServer() {
  const response = await fetch(`${process.env.STACK_CONTROL_URL}/server/stop`, { method: "POST" });
  expect(response.status).toBe(204);
}

// Starts the server again on the same database; resolves once it answers.
export async function startServer() {
  const response = await fetch(`${process.env.STACK_CONTROL_URL}/server/start`, { method: "POST" });
  expect(response.status).toBe(204);
}

// Signs up, writes and issues an invoice for a new customer and sends it;
// returns the link from the email and the link's public id (hex).
export async function sentInvoiceLink(page: Page, customer: string): Promise<{ link: string; linkId: string }> {
  await signUp(page);
  const email = uniqueAddress(customer.toLowerCase().replace(/\W+/g, "."));
  await addCustomer(page, customer, email, "it");
  await issueInvoice(page, customer, "Consulenza", "120");
  await page.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const link = linkIn(await waitForEmailTo(email));
  return { link, linkId: Buffer.from(link.split("/i/")[1], "base64url").subarray(0, 16).toString("hex") };
}

// How many events of `kind` the server has recorded for a link, read from the
// stack's SQLite database; with `byPerson`, only those judged a person's.
export function recordedEvents(linkId: string, kind: string, { byPerson = false } = {}): number {
  const database = new DatabaseSync(path.join(process.env.STACK_STATE_DIR!, "invio.db"), { readOnly: true });
  try {
    // Repeats through one link are one row with their count (invoice::repeats).
    const row = database
      .prepare(
        `SELECT COALESCE(SUM(repeat_count), 0) AS n FROM events WHERE link_id = ? AND kind = ?${byPerson ? " AND automated = 0" : ""}`,
      )
      .get(linkId, kind) as { n: number };
    return Number(row.n);
  } finally {
    database.close();
  }
}

// Waits until the server has recorded at least `expected` events of `kind`
// (they leave the edge in batches, after the responses, or from its queue),
// then a moment more, so a doubled one would show; returns the count.
export async function settledEvents(linkId: string, kind: string, expected: number, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (recordedEvents(linkId, kind) < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  await new Promise((r) => setTimeout(r, 3_000));
  return recordedEvents(linkId, kind);
}

// Screenshots of the page at a desktop's and a phone's width, kept with the
// run's results for a person to look at.
export async function looks(page: Page, name: string) {
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: test.info().outputPath(`${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 720 });
}
