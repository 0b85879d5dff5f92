import { expect, test } from "@playwright/test";
import {
  addCustomer,
  adminUrl,
  customerPage,
  emailsTo,
  issueInvoice,
  linkIn,
  openSendDialogFromList,
  signUp,
  sourceOf,
  uniqueAddress,
  waitForEmailTo,
  waitForHydration,
} from "./support";

test("a merchant sends with a personal message, checked as typed, and sees the Email sent column fill in", async ({
  page,
}) => {
  await signUp(page);
  const email = uniqueAddress("maria");
  await addCustomer(page, "Maria Rossi", email, "it");
  const number = await issueInvoice(page, "Maria Rossi", "Consulenza", "100");

  await openSendDialogFromList(page, number);
  const to = page.getByLabel("To", { exact: true });
  await expect(to).toHaveValue(email);
  await expect(page.getByLabel("Subject")).toHaveValue(new RegExp(`^Fattura ${number} da Bottega Rossi`));
  await expect(page.getByLabel("Message")).toHaveValue(/Gentile Maria Rossi/);

  // A typo of a common domain gets a suggestion; a bad address is named at once.
  await to.fill("maria@gmial.com");
  await page.getByRole("button", { name: "maria@gmail.com" }).click();
  await expect(to).toHaveValue("maria@gmail.com");
  await to.fill(`${email}; maria@`);
  await expect(page.locator("#to-error")).toContainText("maria@");
  await to.fill(email);
  await expect(page.locator("#to-error")).toBeEmpty();

  // The merchant personalises the message; the preview shows the email as sent.
  const personal = "Ciao Maria,\necco la fattura della consulenza di novembre.\nGiulia";
  await page.getByLabel("Message").fill(personal);
  const preview = page.frameLocator('[data-testid="preview"]');
  await expect(preview.getByText("ecco la fattura della consulenza di novembre.")).toBeVisible();
  await expect(preview.getByRole("link", { name: "Visualizza la fattura" })).toBeVisible();

  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
  await page.getByRole("link", { name: "← Customer invoices" }).click();
  const row = page.locator("tr", { hasText: number });
  await expect(row.locator('[data-column="email-sent"] time')).toHaveText(/\d{2}:\d{2} (GMT|BST)$/, { timeout: 30_000 });

  const message = await waitForEmailTo(email);
  expect(message.text).toContain("ecco la fattura della consulenza di novembre.");
  expect(message.html).toContain("ecco la fattura della consulenza di novembre.");
  expect(message.from[0].name).toBe("Bottega Rossi");
  expect(message.html).toContain(`href="${linkIn(message)}"`);
  expect(message.headers["message-id"]).toMatch(/^<invio-outbox-\d+@/);

  // The history says when, and to whom.
  await row.getByRole("link", { name: number }).click();
  await expect(page.locator(".history")).toContainText("Email sent");
  await expect(page.locator(".history")).toContainText(email);
  await expect(page.locator(`[data-link="${email}"]`)).toHaveCount(1);
});

test("the send form works before the admin has hydrated", async ({ page, browser }) => {
  await signUp(page);
  const email = uniqueAddress("luca");
  await addCustomer(page, "Luca Bianchi", email, "en");
  const number = await issueInvoice(page, "Luca Bianchi", "Repair", "80");
  const invoiceUrl = page.url();

  // The admin's wasm never arrives: the page stays server-rendered HTML.
  const context = await browser.newContext();
  await context.addCookies(await page.context().cookies());
  await context.route("**/pkg/**", (route) => route.abort());
  const before = await context.newPage();
  await before.goto(invoiceUrl);
  await before.getByRole("link", { name: "Send via email" }).click();
  await expect(before.getByLabel("To", { exact: true })).toHaveValue(email);
  await before.getByLabel("Message").fill("Sent before hydration.");
  await before.getByRole("button", { name: "Send", exact: true }).click();
  await expect(before.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
  expect(await before.locator("body[data-hydrated]").count()).toBe(0);
  const message = await waitForEmailTo(email);
  expect(message.text).toContain("Sent before hydration.");
  await context.close();
});

test("a refused address shows as failed and the merchant receives a failure notice", async ({ page }) => {
  const owner = await signUp(page);
  const refused = uniqueAddress("nobody", "refused.example");
  await addCustomer(page, "Ana López", refused, "es");
  const number = await issueInvoice(page, "Ana López", "Diseño", "150");

  await page.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();

  const notice = await waitForEmailTo(owner, /not delivered/);
  expect(notice.subject).toBe(`Email not delivered: invoice ${number} to ${refused}`);
  expect(notice.text).toContain("550");
  expect(notice.text).toContain(`${adminUrl()}/invoices/`);

  await page.goto(`${adminUrl()}/invoices`);
  const cell = page.locator("tr", { hasText: number }).locator('[data-column="email-sent"]');
  await expect(cell).toContainText("Failed");
  await expect(cell.locator("[title]")).toHaveAttribute("title", /550/);
  await page.locator("tr", { hasText: number }).getByRole("link", { name: number }).click();
  await expect(page.locator(".history")).toContainText("Email failed");
  await expect(page.locator(".history")).toContainText("Failure notice sent");
});

test("automatic sending, copies, reply-to and reminders arrive as the store is configured", async ({ page, browser }) => {
  await signUp(page);
  const copy = uniqueAddress("archivio", "bottega.it");
  const replyTo = uniqueAddress("ufficio", "bottega.it");
  await page.getByRole("link", { name: "Stores" }).click();
  await page.getByRole("link", { name: "Bottega Rossi", exact: true }).click();
  await waitForHydration(page);
  await page.getByLabel("Send copies to", { exact: true }).fill(copy);
  await page.getByLabel("Reply-to address").fill(replyTo);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(page.getByText("waiting for confirmation")).toBeVisible();

  // The copy address confirms first, in a browser of its own (not signed in).
  const request = await waitForEmailTo(copy, /^Confirm that /);
  const confirmLink = request.text.match(/https?:\/\/\S+\/confirm-recipient\/[A-Za-z0-9_-]+/)?.[0];
  if (!confirmLink) throw new Error(`no confirmation link in: ${request.text}`);
  const archive = await browser.newPage();
  await archive.goto(confirmLink);
  await waitForHydration(archive);
  await archive.getByRole("button", { name: "Confirm" }).click();
  await expect(archive.getByRole("status")).toHaveText("Thank you: this address is confirmed.");
  await archive.close();

  const email = uniqueAddress("juan", "example.es");
  await addCustomer(page, "Juan García", email, "es");
  await page.getByLabel("Send invoices by email automatically").check();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();

  // Issuing sends it, with no further click.
  await page.goto(`${adminUrl()}/invoices/new`);
  await waitForHydration(page);
  const option = page.locator('select[name="draft[customer_id]"] option', { hasText: "Juan García" });
  await page.getByLabel("Customer", { exact: true }).selectOption((await option.getAttribute("value"))!);
  await page.getByLabel("Due date").fill("2099-12-31");
  await page.getByLabel("Description 1").fill("Mantenimiento");
  await page.getByLabel("Unit price 1").fill("120");
  await page.getByRole("button", { name: "Save and issue" }).click();
  const heading = page.getByRole("heading", { name: /^Invoice \d{4}-\d{4}$/ });
  await expect(heading).toBeVisible();
  const number = (await heading.textContent())!.replace("Invoice ", "").trim();

  const invoice = await waitForEmailTo(email, /^Factura/);
  expect(invoice.subject).toContain(number);
  expect(await sourceOf(invoice)).toMatch(new RegExp(`^Reply-To: ${replyTo}\\r?$`, "m"));
  const copyMessage = await waitForEmailTo(copy, /^\[Copy\]/);
  expect(copyMessage.subject).toMatch(/^\[Copy\] Factura/);
  expect(copyMessage.text).toContain("Juan García");
  expect(linkIn(copyMessage)).not.toBe(linkIn(invoice));

  // A reminder from the invoice page, in the customer's language, with what is due.
  await page.reload();
  await waitForHydration(page);
  await page.getByRole("link", { name: "Send reminder" }).click();
  await expect(page.getByRole("heading", { name: `Send a reminder for invoice ${number}` })).toBeVisible();
  await waitForHydration(page);
  await expect(page.getByLabel("Subject")).toHaveValue(/^Recordatorio: factura/);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
  const reminder = await waitForEmailTo(email, /^Recordatorio/);
  expect(reminder.subject).toContain("146,40");
  expect(reminder.text).toContain("31/12/2099");
  await expect(page.locator(".history")).toContainText("Reminder sent", { timeout: 30_000 });
  expect((await emailsTo(email)).length).toBe(2);
});

test("a store with sending turned off says so and points to its settings", async ({ page }) => {
  await signUp(page);
  await page.getByRole("link", { name: "Stores" }).click();
  await page.getByRole("link", { name: "Bottega Rossi", exact: true }).click();
  await waitForHydration(page);
  await page.getByLabel("Send invoices by email from this store").uncheck();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();

  await addCustomer(page, "Marco Verdi", uniqueAddress("marco"), "it");
  await issueInvoice(page, "Marco Verdi", "Lezione", "40");
  await page.getByRole("link", { name: "Send via email" }).click();
  const alert = page.getByTestId("sending-disabled");
  await expect(alert).toBeVisible();
  await alert.getByRole("link").click();
  await expect(page.getByLabel("Send invoices by email from this store")).not.toBeChecked();
});

test("sending again makes a new link; the merchant revokes one, and the links sent to a customer's old address", async ({
  page,
  browser,
  request,
}) => {
  await signUp(page);
  const oldAddress = uniqueAddress("sofia", "example.com");
  await addCustomer(page, "Sofia Neri", oldAddress, "en");
  const customerUrl = page.url();
  const number = await issueInvoice(page, "Sofia Neri", "Workshop", "300");
  const invoicePage = page.url();

  for (const label of ["Send via email", "Send again"]) {
    await page.getByRole("link", { name: label }).click();
    await waitForHydration(page);
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
  }
  await expect.poll(async () => (await emailsTo(oldAddress)).length, { timeout: 30_000 }).toBe(2);
  const [first, second] = (await emailsTo(oldAddress)).map(linkIn);
  expect(first).not.toBe(second);
  expect((await request.get(first)).status()).toBe(200);

  // Newest first: the second row is the first send's link.
  await page.goto(invoicePage);
  await waitForHydration(page);
  const rows = page.locator("table.links tbody tr");
  await expect(rows).toHaveCount(2);
  await rows.nth(1).getByRole("button", { name: "Revoke" }).click();
  await expect(rows.nth(1)).toContainText("Revoked");
  const revoked = await request.get(first);
  expect(revoked.status()).toBe(410);
  expect((await request.get(second)).status()).toBe(200);
  await expect(page.locator(".history")).toContainText("Link revoked");

  // The customer, on the revoked link's page, asks for a fresh one: it comes by email.
  const customer = await customerPage(browser);
  const gone = await customer.goto(first);
  expect(gone!.status()).toBe(410);
  await customer.getByRole("button", { name: "Send me a fresh link" }).click();
  await expect(customer.getByRole("heading", { name: "Request sent" })).toBeVisible();
  await expect.poll(async () => (await emailsTo(oldAddress)).length, { timeout: 30_000 }).toBe(3);
  const fresh = (await emailsTo(oldAddress)).map(linkIn).find((link) => link !== first && link !== second)!;
  expect((await request.get(fresh)).status()).toBe(200);
  await page.reload();
  await expect(page.locator(".history")).toContainText("asked for a fresh link");

  // The customer moves to a new address: the admin offers to revoke the old one's links.
  await page.goto(customerUrl);
  await waitForHydration(page);
  await page.getByLabel("Email", { exact: true }).fill(uniqueAddress("sofia.neri", "example.com"));
  await page.getByRole("button", { name: "Save", exact: true }).click();
  const oldLinks = page.getByTestId("old-links");
  await expect(oldLinks).toContainText(oldAddress);
  await oldLinks.getByRole("button", { name: "Revoke these links" }).click();
  await expect(oldLinks).toHaveCount(0);
  expect((await request.get(second)).status()).toBe(410);
});
