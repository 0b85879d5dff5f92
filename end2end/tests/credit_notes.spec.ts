import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import {
  addCustomer,
  adminUrl,
  customerPage,
  linkIn,
  pdfText,
  signUp,
  uniqueAddress,
  waitForEmailTo,
  waitForHydration,
} from "./support";

const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };

// Screenshots of the page at desktop and phone widths, named after `name`.
async function screenshots(page: Page, name: string) {
  for (const [size, viewport] of [["1280", desktop], ["390", phone]] as const) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: test.info().outputPath(`${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(desktop);
}

test("a merchant corrects an invoice with a partial credit note that the customer reads as one", async ({ page, browser }) => {
  await page.setViewportSize(desktop);
  await signUp(page);
  const email = uniqueAddress("lucia");
  await addCustomer(page, "Lucia Bianchi", email, "it");

  // An invoice of two lines: 4 chairs at €50 and a table at €300, 22 % VAT.
  await page.goto(`${adminUrl()}/invoices/new`);
  await waitForHydration(page);
  const option = page.locator('select[name="draft[customer_id]"] option', { hasText: "Lucia Bianchi" });
  await page.getByLabel("Customer", { exact: true }).selectOption((await option.getAttribute("value"))!);
  await page.getByLabel("Description 1").fill("Sedia");
  await page.getByLabel("Quantity 1").fill("4");
  await page.getByLabel("Unit price 1").fill("50");
  await page.getByRole("button", { name: "Add line" }).click();
  await page.getByLabel("Description 2").fill("Tavolo");
  await page.getByLabel("Quantity 2").fill("1");
  await page.getByLabel("Unit price 2").fill("300");
  await page.getByRole("button", { name: "Save and issue" }).click();
  const heading = page.getByRole("heading", { name: /^Invoice \d{4}-\d{4}$/ });
  await expect(heading).toBeVisible();
  const number = (await heading.textContent())!.replace("Invoice ", "").trim();
  const invoiceUrl = page.url().split("?")[0];
  await expect(page.getByTestId("due")).toHaveText("€610.00");

  // From the list's ⋯ menu.
  await page.goto(`${adminUrl()}/invoices`);
  await waitForHydration(page);
  const row = page.locator("tr", { hasText: number });
  await row.locator("summary").click();
  await row.getByRole("link", { name: "Issue credit note" }).click();
  await expect(page.getByRole("heading", { name: `Credit note for invoice ${number}` })).toBeVisible();
  await waitForHydration(page);
  // Nothing credited yet: the whole invoice is offered first.
  await expect(page.getByLabel("The whole invoice (all that is not yet credited)")).toBeChecked();
  await expect(page.getByTestId("credit-total")).toHaveText("€610.00");
  await screenshots(page, "credit-note-form");

  // Too many chairs and no reason: each problem beside its field.
  await page.getByLabel("To credit — Sedia").fill("5");
  await expect(page.getByLabel("Chosen lines and quantities")).toBeChecked();
  await page.getByLabel("To credit — Tavolo").fill("0");
  await page.getByRole("button", { name: "Issue credit note" }).click();
  await expect(page.locator("#quantity-0-error")).toHaveText("Only 4 of this line is left to credit.");
  await expect(page.locator("#reason-error")).toHaveText("Fill in this field.");
  await screenshots(page, "credit-note-form-errors");

  // One chair back, with the reason: €50 + 22 %.
  await page.getByLabel("To credit — Sedia").fill("1");
  await page.getByLabel("Reason").fill("Una sedia resa");
  await expect(page.getByTestId("credit-total")).toHaveText("€61.00");
  await page.getByRole("button", { name: "Issue credit note" }).click();
  const noteHeading = page.getByRole("heading", { name: /^Credit note NC-\d{4}-0001$/ });
  await expect(noteHeading).toBeVisible();
  const noteNumber = (await noteHeading.textContent())!.replace("Credit note ", "").trim();
  await expect(page.getByTestId("corrects")).toHaveText(number);
  await expect(page.getByTestId("total")).toHaveText("€61.00");
  await expect(page.getByTestId("reason")).toHaveText("Una sedia resa");
  await waitForHydration(page);
  await screenshots(page, "credit-note-page");

  // Sent exactly as an invoice is.
  await page.getByRole("link", { name: "Send via email" }).click();
  await expect(page.getByRole("heading", { name: `Send credit note ${noteNumber}` })).toBeVisible();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const message = await waitForEmailTo(email, /^Nota di credito NC-/);
  expect(message.subject).toBe(`Nota di credito ${noteNumber} da Bottega Rossi`);
  expect(message.text).toContain(`rettifica la fattura ${number}`);

  // The customer's link shows a credit note, what it corrects and gives back.
  const customer = await customerPage(browser);
  await customer.setViewportSize(desktop);
  await customer.goto(linkIn(message));
  await expect(customer.getByRole("heading", { name: `Nota di credito ${noteNumber}` })).toBeVisible();
  await expect(customer.locator(".corrects")).toHaveText(new RegExp(`^Rettifica la fattura ${number} del \\d{2}/\\d{2}/\\d{4}$`));
  await expect(customer.locator(".due-label")).toHaveText("Importo accreditato");
  await expect(customer.locator(".due-amount")).toHaveText("61,00 €");
  await expect(customer.getByText("Motivo: Una sedia resa")).toBeVisible();
  await screenshots(customer, "credit-note-customer");

  // Its PDF, rendered to an image to look at.
  const pdf = await customer.request.get(await customer.locator("#download-pdf").evaluate((a) => (a as HTMLAnchorElement).href));
  expect(pdf.status()).toBe(200);
  const bytes = await pdf.body();
  const text = pdfText(bytes);
  expect(text).toContain("Nota di credito");
  expect(text).toContain(`Rettifica la fattura ${number} del`);
  expect(text).toContain("Motivo: Una sedia resa");
  const pdfPath = test.info().outputPath("credit-note.pdf");
  writeFileSync(pdfPath, bytes);
  execFileSync("pdftoppm", ["-png", "-r", "80", "-singlefile", pdfPath, test.info().outputPath("credit-note-pdf")]);
  expect(readFileSync(test.info().outputPath("credit-note-pdf.png")).length).toBeGreaterThan(0);

  // The invoice owes what the credit note left, and lists it.
  await page.getByTestId("corrects").getByRole("link").click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
  await expect(page.getByTestId("credited")).toHaveText("€61.00");
  await expect(page.getByTestId("due")).toHaveText("€549.00");
  await expect(page.getByTestId("credit-notes").getByRole("link", { name: noteNumber })).toBeVisible();
  await expect(page.locator("#history")).toContainText(`Credit note ${noteNumber} issued for €61.00`);
  await screenshots(page, "invoice-credited");
  // What the customer sees of the invoice now, and its PDF.
  await page.goto(`${invoiceUrl}/preview`);
  await expect(page.locator(".paid.credited")).toHaveText("Accreditato: 61,00 €");
  await expect(page.locator(".due-amount")).toHaveText("549,00 €");
  await expect(page.locator(".history")).toContainText(`Nota di credito ${noteNumber} emessa per 61,00 €`);
  await screenshots(page, "invoice-credited-customer");
  const invoicePdf = await page.request.get(`${invoiceUrl}/pdf?layout=a4`);
  const invoicePdfPath = test.info().outputPath("invoice-credited.pdf");
  writeFileSync(invoicePdfPath, await invoicePdf.body());
  expect(pdfText(await invoicePdf.body())).toMatch(/Accreditato\s+61,00 €/);
  execFileSync("pdftoppm", ["-png", "-r", "80", "-singlefile", invoicePdfPath, test.info().outputPath("invoice-credited-pdf")]);

  // The list tells credit notes apart, and shows them alone on request.
  await page.goto(`${adminUrl()}/invoices?kind=credit_note`);
  await waitForHydration(page);
  const noteRow = page.locator("tr", { hasText: noteNumber });
  await expect(noteRow.locator(".pill.credit-note")).toHaveText("Credit note");
  await expect(noteRow.locator("td.credit")).toHaveText("-€61.00");
  await expect(page.locator("tbody tr")).toHaveCount(1);
  await screenshots(page, "list-credit-notes");

  // The form works without JavaScript too: a plain post lands on the new
  // credit note, the next of the series.
  const plain = await browser.newContext({ javaScriptEnabled: false, storageState: await page.context().storageState() });
  const noScript = await plain.newPage();
  await noScript.goto(`${invoiceUrl}/credit`);
  // Without a reason the form comes back with the problem beside the field.
  await noScript.getByLabel("Chosen lines and quantities").check();
  await noScript.getByLabel("To credit — Sedia").fill("0");
  await noScript.getByRole("button", { name: "Issue credit note" }).click();
  await expect(noScript.locator("#reason-error")).toHaveText("Fill in this field.");
  await noScript.getByLabel("Chosen lines and quantities").check();
  await noScript.getByLabel("To credit — Sedia").fill("0");
  await noScript.getByLabel("To credit — Tavolo").fill("1");
  await noScript.getByLabel("Reason").fill("Tavolo non consegnato");
  await noScript.getByRole("button", { name: "Issue credit note" }).click();
  await expect(noScript.getByRole("heading", { name: noteNumber.replace(/0001$/, "0002") })).toBeVisible();
  await plain.close();
  await page.goto(invoiceUrl);
  await expect(page.getByTestId("due")).toHaveText("€183.00");
});
