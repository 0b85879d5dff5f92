import { expect, test } from "@playwright/test";
import {
  addCustomer,
  adminUrl,
  customerPage,
  downloadedText,
  issueInvoice,
  linkIn,
  looks,
  recordedEvents,
  signUp,
  uniqueAddress,
  waitForEmailTo,
  waitForHydration,
} from "./support";

// Sends the invoice on screen as the send dialog prefills it.
async function sendShownInvoice(page: import("@playwright/test").Page, number: string) {
  await page.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
}

// A date `days` from today (UTC), as the date field takes it.
function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

test("a merchant's morning: what to chase is on the home page, each figure leads to its invoices, a customer's page has the facts and the statement", async ({
  page,
  browser,
}) => {
  const owner = await signUp(page);
  const reader = uniqueAddress("lucia", "example.es");
  const wrong = uniqueAddress("nobody", "refused.example");
  await addCustomer(page, "Lucía Gómez", reader, "es");
  await addCustomer(page, "Ana López", wrong, "es");
  await addCustomer(page, "Marco Bianchi", uniqueAddress("marco"), "it");

  // Sent and read by the customer, a person in a real browser.
  const read = await issueInvoice(page, "Lucía Gómez", "Traducción", "80");
  await sendShownInvoice(page, read);
  const link = linkIn(await waitForEmailTo(reader));
  const linkId = Buffer.from(link.split("/i/")[1], "base64url").subarray(0, 16).toString("hex");
  const customer = await customerPage(browser);
  await customer.goto(link);
  await expect(customer.getByRole("heading", { name: `Factura ${read}` })).toBeVisible();
  await customer.mouse.wheel(0, 300);
  await expect.poll(() => recordedEvents(linkId, "opened", { byPerson: true }), { timeout: 60_000 }).toBeGreaterThan(0);

  // Sent to an address whose mail server refuses it.
  const bounced = await issueInvoice(page, "Ana López", "Revisión", "40");
  await sendShownInvoice(page, bounced);
  await waitForEmailTo(owner, /not delivered/);

  // Due in three days, not sent yet.
  await page.goto(`${adminUrl()}/invoices/new`);
  await waitForHydration(page);
  const option = page.locator('select[name="draft[customer_id]"] option', { hasText: "Marco Bianchi" });
  await page.getByLabel("Customer", { exact: true }).selectOption((await option.getAttribute("value"))!);
  await page.getByLabel("Due date").fill(inDays(3));
  await page.getByLabel("Description 1").fill("Consulenza");
  await page.getByLabel("Quantity 1").fill("1");
  await page.getByLabel("Unit price 1").fill("150");
  await page.getByRole("button", { name: "Save and issue" }).click();
  const heading = page.getByRole("heading", { name: /^Invoice \d{4}-\d{4}$/ });
  await expect(heading).toBeVisible();
  const dueSoon = (await heading.textContent())!.replace("Invoice ", "").trim();

  // The morning: the admin opens on what to chase.
  await page.goto(`${adminUrl()}/`);
  await expect(page.getByRole("heading", { name: "What to chase today" })).toBeVisible();
  const openedList = page.locator('[data-list="opened-unpaid"]');
  await expect(openedList.locator(`[data-invoice="${read}"]`)).toBeVisible();
  await expect(openedList.getByRole("link", { name: "Send reminder" })).toBeVisible();
  const failedList = page.locator('[data-list="email-failed"]');
  const failedRow = failedList.locator(`[data-invoice="${bounced}"]`);
  await expect(failedRow).toContainText(wrong);
  await expect(failedRow).toContainText("550");
  await expect(failedRow.getByRole("link", { name: "Check the address" })).toHaveAttribute("href", /\/send$/);
  await expect(page.locator('[data-list="due-soon"]').locator(`[data-invoice="${dueSoon}"]`)).toBeVisible();
  // Nothing was sent three days ago: the list says so.
  await expect(page.locator('[data-list="unopened"]')).toContainText("Every invoice sent was opened.");
  await looks(page, "home");

  // A figure leads to exactly the invoices it adds up.
  const outstanding = page.locator('[data-figure="outstanding"] a.figure[data-currency="EUR"]');
  await expect(outstanding).toContainText("3 invoices");
  const figureCount = await outstanding.getAttribute("data-count");
  await outstanding.click();
  await expect(page).toHaveURL(/\/invoices\?due=open&currency=EUR/);
  const listCount = page.getByTestId("invoice-count");
  await expect(listCount).toHaveAttribute("data-count", figureCount!);
  await expect(page.locator("table.invoices tbody tr")).toHaveCount(Number(figureCount));

  // So does a list's header.
  await page.goto(`${adminUrl()}/`);
  const failedHeader = failedList.getByRole("heading").getByRole("link");
  const failedCount = await failedHeader.getAttribute("data-count");
  await failedHeader.click();
  await expect(page.getByTestId("invoice-count")).toHaveAttribute("data-count", failedCount!);
  await expect(page.locator("table.invoices tbody tr")).toHaveCount(1);
  await expect(page.locator("table.invoices tbody tr")).toContainText(bounced);

  // The customer's page, from the home page's row: the facts a call starts with.
  await page.goto(`${adminUrl()}/`);
  await openedList.getByRole("link", { name: "Lucía Gómez" }).click();
  const facts = page.getByTestId("customer-facts");
  await expect(page.getByRole("heading", { level: 1, name: "Lucía Gómez" })).toBeVisible();
  await expect(facts.locator('[data-figure="balance"]')).toContainText("€97.60");
  await expect(facts.getByTestId("customer-activity")).toContainText(read);
  await expect(facts.getByTestId("customer-activity")).toContainText("Opened by the customer");
  await looks(page, "customer");

  // The statement of open items, in the customer's language.
  const downloading = page.waitForEvent("download");
  await facts.getByRole("link", { name: "Statement of open items (PDF)" }).click();
  const statement = await downloadedText(await downloading);
  expect(statement).toContain("Estado de cuenta");
  expect(statement).toContain("Lucía Gómez");
  expect(statement).toContain(read);
  expect(statement).toContain("Total adeudado (EUR)");
  expect(statement).toContain("97,60 €");
});
