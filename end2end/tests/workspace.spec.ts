import { expect, test } from "@playwright/test";
import { addCustomer, adminUrl, downloadedText, issueInvoice, signIn, signUp, waitForEmailTo, waitForHydration } from "./support";

test("a new merchant signs up, sets up the store and is told exactly what is wrong", async ({ page }) => {
  const email = await signUp(page);
  await expect(page.getByText("No invoices yet")).toBeVisible();

  await page.getByRole("link", { name: "Stores" }).click();
  await page.getByRole("link", { name: "Bottega Rossi", exact: true }).click();
  await waitForHydration(page);
  await page.getByLabel("Send copies to", { exact: true }).fill("books@bottega.it; not-an-address");
  await page.getByLabel("Tax ID").fill("IT01234567890");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.locator("#copies_to-error")).toContainText("not-an-address");
  await page.getByLabel("Send copies to", { exact: true }).fill("books@bottega.it; boss@bottega.it");
  await page.getByLabel("Numbering").fill("FT/{YY}/{NNN}");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Send copies to", { exact: true })).toHaveValue(/books@bottega.it; boss@bottega.it/);

  // Signing out and back in; a wrong password says so without saying which part was wrong.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in to Invio" })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("wrong password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#password-error")).not.toBeEmpty();
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "What to chase today" })).toBeVisible();
});

test("a merchant writes, issues, is paid in parts, voids and duplicates invoices", async ({ page }) => {
  await signUp(page);
  await addCustomer(page, "Juan García", `juan.${Date.now()}@example.es`, "es");

  await page.goto(`${adminUrl()}/invoices/new`);
  await waitForHydration(page);
  const option = page.locator('select[name="draft[customer_id]"] option', { hasText: "Juan García" });
  await page.getByLabel("Customer", { exact: true }).selectOption((await option.getAttribute("value"))!);
  await page.getByLabel("Description 1").fill("Diseño web");
  await page.getByLabel("Quantity 1").fill("1.5");
  await page.getByLabel("Unit price 1").fill("200");
  // Totals follow what is typed, line by line, with tax per rate.
  await expect(page.getByTestId("live-total")).toHaveText("€366.00");
  await page.getByRole("button", { name: "Add line" }).click();
  await page.getByLabel("Description 2").fill("Hosting");
  await page.getByLabel("Unit price 2").fill("50");
  await page.getByLabel("Tax % 2").fill("10");
  await expect(page.getByTestId("live-total")).toHaveText("€421.00");
  await page.getByLabel("Quantity 2").fill("-1");
  await page.getByRole("button", { name: "Save draft" }).click();
  await expect(page.locator("#lines-1-quantity-error")).not.toBeEmpty();
  await page.getByLabel("Quantity 2").fill("1");
  await page.getByRole("button", { name: "Save and issue" }).click();
  await expect(page.getByRole("heading", { name: /^Invoice \d{4}-\d{4}$/ })).toBeVisible();
  await expect(page.getByTestId("status")).toHaveText("Issued");

  // A partial payment, then the rest.
  await page.getByLabel("Amount", { exact: true }).fill("100");
  await page.getByRole("button", { name: "Record payment" }).click();
  await expect(page.getByTestId("status")).toHaveText("Partially paid");
  await expect(page.getByTestId("due")).toHaveText("€321.00");
  await expect(page.getByLabel("Amount", { exact: true })).toHaveValue("321.00");
  await page.getByRole("button", { name: "Record payment" }).click();
  await expect(page.getByTestId("status")).toHaveText("Paid");
  // The history tells each payment with its amount and method, under Payments.
  await page.getByLabel("Show").selectOption("payments");
  // Newest first.
  await expect(page.locator(".history li")).toHaveText([
    /Payment recorded: €321\.00 \(Bank transfer\)/,
    /Payment recorded: €100\.00 \(Bank transfer\)/,
  ]);
  await page.getByLabel("Show").selectOption("all");

  // The PDF is in the customer's language (Spanish), with what was paid.
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download PDF" }).click();
  const text = await downloadedText(await download);
  expect(text).toContain("Factura");
  expect(text).toContain("Juan García");
  expect(text).toMatch(/Total\s+421,00 €/);
  expect(text).toMatch(/Pagado\s+421,00 €/);

  // Duplicate into a new draft; void a second issued invoice.
  await page.getByRole("button", { name: "Duplicate" }).click();
  await expect(page.getByRole("heading", { name: "Edit draft" })).toBeVisible();
  await expect(page.getByLabel("Description 2")).toHaveValue("Hosting");
  const second = await issueInvoice(page, "Juan García", "Mantenimiento", "80");
  await page.getByRole("button", { name: "Void" }).click();
  await expect(page.getByTestId("status")).toHaveText("Void");

  // The list filters by status and finds by text.
  await page.goto(`${adminUrl()}/invoices?status=void`);
  await expect(page.locator("tbody tr")).toHaveCount(1);
  await expect(page.locator("tbody tr")).toContainText(second);
  await page.goto(`${adminUrl()}/invoices?q=garc%C3%ADa`);
  await expect(page.locator("tbody tr")).toHaveCount(3);
});

test("the admin speaks Italian and Spanish, and remembers the choice", async ({ page }) => {
  await signUp(page);
  await page.getByLabel("Language").selectOption("it");
  await expect(page.getByRole("heading", { name: "Fatture clienti" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Fatture clienti" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Nuova fattura" }).first()).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel("Lingua").selectOption("es");
  await expect(page.getByRole("heading", { name: "Facturas de clientes" })).toBeVisible();
  await page.goto(`${adminUrl()}/customers/new`);
  await waitForHydration(page);
  await page.getByRole("button", { name: "Guardar" }).click();
  await expect(page.locator("#name-error")).not.toBeEmpty();
  await expect(page.getByRole("alert")).toHaveText("Corrige los campos resaltados.");
});

test("PDFs and receipts speak the customer's language", async ({ page }) => {
  await signUp(page);
  for (const [name, language, expected] of [
    ["Lucia Bianchi", "it", [/Fattura/, /Totale\s+122,00 €/, /Da pagare\s+122,00 €/]],
    ["John Smith", "en", [/Invoice/, /Total\s+€122\.00/, /Amount due\s+€122\.00/]],
  ] as const) {
    await addCustomer(page, name, `${language}.${Date.now()}@example.com`, language);
    await issueInvoice(page, name, "Servizio — è così", "100");
    for (const link of ["Download PDF", "Download receipt (80 mm)"]) {
      const download = page.waitForEvent("download");
      await page.getByRole("link", { name: link }).click();
      const text = await downloadedText(await download);
      for (const pattern of expected) expect(text).toMatch(pattern);
      expect(text).toContain("Servizio — è così");
      expect(text).toContain(name);
    }
  }
});

test("a merchant who forgot the password sets a new one from the emailed link, which works once", async ({ page, browser }) => {
  const email = await signUp(page);
  // A second browser stays signed in: resetting the password ends its session.
  const other = await browser.newPage();
  await signIn(other, email);

  await page.getByRole("button", { name: "Sign out" }).click();
  await waitForHydration(page);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await waitForHydration(page);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByRole("button", { name: "Send me the link" }).click();
  await expect(page.getByRole("status")).toContainText("If this address has an Invio account");

  const reset = await waitForEmailTo(email, /^Reset your Invio password$/);
  const link = reset.text.match(/https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/)?.[0];
  if (!link) throw new Error(`no reset link in: ${reset.text}`);
  await page.goto(link);
  await waitForHydration(page);
  await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
  await page.getByRole("button", { name: "Save the new password" }).click();
  await expect(page.getByRole("status")).toContainText("Your password is changed");

  // The link is used up, and the old password no longer opens the account.
  await page.goto(link);
  await waitForHydration(page);
  await page.getByLabel("New password", { exact: true }).fill("yet another passphrase");
  await page.getByRole("button", { name: "Save the new password" }).click();
  await expect(page.locator("#password-error")).not.toBeEmpty();
  await page.goto(`${adminUrl()}/login`);
  await waitForHydration(page);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#password-error")).not.toBeEmpty();
  await page.getByLabel("Password", { exact: true }).fill("a brand new passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "What to chase today" })).toBeVisible();

  await other.reload();
  await expect(other.getByRole("heading", { name: "Sign in to Invio" })).toBeVisible();
});
