import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";

const adminUrl = () => process.env.ADMIN_URL!;
const edgeUrl = () => process.env.EDGE_URL!;
const inboxUrl = () => process.env.INBOX_URL!;

type CaughtEmail = { subject: string; text: string; html: string; to: { address: string }[] };

async function waitForEmailTo(address: string): Promise<CaughtEmail> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${inboxUrl()}/api/email`);
    const emails = (await response.json()) as CaughtEmail[];
    const found = emails.find((email) => email.to.some((to) => to.address === address));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`no email reached ${address}`);
}

// A customer's browser, not an automated one: real customers never report
// navigator.webdriver, and the edge would rightly not count such an open.
async function customerPage(browser: Browser): Promise<Page> {
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

function pdfText(bytes: Buffer): string {
  const dir = mkdtempSync(path.join(tmpdir(), "invio-pdf-"));
  const file = path.join(dir, "invoice.pdf");
  writeFileSync(file, bytes);
  return execFileSync("pdftotext", ["-layout", file, "-"]).toString();
}

test("a merchant sends an invoice and sees the customer open and download it", async ({ page, browser }) => {
  const email = `maria.${Date.now()}@example.it`;
  await page.goto(adminUrl());
  await expect(page.getByRole("heading", { name: "Customer invoices" })).toBeVisible();

  // The live total is computed in the browser: it changes only once the page is hydrated.
  await page.getByLabel("Unit price").fill("100");
  await page.getByLabel("Quantity").fill("2,5");
  await expect(page.getByTestId("live-total")).toHaveText("€305.00");

  // Bad input gets a message beside its field, and nothing is created.
  await page.getByLabel("Customer name").fill("Maria Rossi");
  await page.getByLabel("Customer email").fill("maria@example");
  await page.getByLabel("Description").fill("Consulenza — novembre");
  await page.getByLabel("Customer language").selectOption("it");
  await page.getByRole("button", { name: "Create invoice" }).click();
  await expect(page.locator("#customer_email-error")).toContainText("is not a valid email address");
  await expect(page.getByText("No invoices yet")).toBeVisible();

  await page.getByLabel("Customer email").fill(email);
  await page.getByRole("button", { name: "Create invoice" }).click();
  const row = page.locator("tr", { hasText: email });
  await expect(row).toBeVisible();
  await expect(row).toContainText("€305.00");
  await expect(row.locator('[data-column="email-sent"]')).toHaveText("—");

  await row.getByRole("button", { name: /^Send invoice/ }).click();
  await expect(row.locator('[data-column="email-sent"] time')).toHaveText(/UTC/, { timeout: 30_000 });

  // The email, as the customer receives it.
  const message = await waitForEmailTo(email);
  expect(message.subject).toMatch(/^Fattura \d{4}-\d{4} da /);
  const link = message.text.match(/https?:\/\/\S+\/i\/[A-Za-z0-9_-]{44}/)?.[0];
  expect(link, "the text part carries the link").toBeTruthy();
  expect(link!.startsWith(edgeUrl())).toBe(true);
  expect(message.html).toContain(`href="${link}"`);

  // The customer opens the link at the edge and reads it.
  const customer = await customerPage(browser);
  const response = await customer.goto(link!);
  expect(response!.status()).toBe(200);
  expect(response!.headers()["referrer-policy"]).toBe("no-referrer");
  expect(response!.headers()["cache-control"]).toBe("private, no-store");
  await expect(customer.getByRole("heading", { name: /^Fattura \d{4}-\d{4}$/ })).toBeVisible();
  await expect(customer.getByText("305,00 €").first()).toBeVisible();
  await customer.mouse.move(200, 200);
  await customer.mouse.wheel(0, 300);

  // …and downloads the PDF, a real one whose text says what the page says.
  const downloadPromise = customer.waitForEvent("download");
  await customer.getByRole("link", { name: "Scarica PDF" }).click();
  const download = await downloadPromise;
  const chunks: Buffer[] = [];
  for await (const chunk of (await download.createReadStream())!) chunks.push(chunk as Buffer);
  const text = pdfText(Buffer.concat(chunks));
  expect(text).toContain("Fattura");
  expect(text).toContain("Maria Rossi");
  expect(text).toContain("Consulenza — novembre");
  expect(text).toMatch(/Totale\s+305,00 €/);

  // The merchant's list shows the open, forwarded by the edge.
  await expect(row.locator('[data-column="opened"] time')).toHaveText(/UTC/, { timeout: 30_000 });
});

test("a tampered link gets a clear 404 page from the edge", async ({ request }) => {
  const response = await request.get(`${edgeUrl()}/i/${"A".repeat(44)}`, {
    headers: { "accept-language": "es-ES,es;q=0.9" },
  });
  expect(response.status()).toBe(404);
  expect(await response.text()).toContain("Enlace no válido");
  expect(response.headers()["x-robots-tag"]).toBe("noindex");
});
