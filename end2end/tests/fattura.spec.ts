import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { addCustomer, adminUrl, customerPage, linkIn, signUp, uniqueAddress, waitForEmailTo, waitForHydration } from "./support";

test("an Italian merchant records how SdI reaches a customer and is told, beside each field, what SdI would refuse", async ({ page }) => {
  await signUp(page);
  await page.getByLabel("Language").selectOption("it");
  await expect(page.getByRole("heading", { name: "Fatture clienti" })).toBeVisible();
  await page.goto(`${adminUrl()}/customers/new`);
  await waitForHydration(page);
  await page.getByLabel("Nome", { exact: true }).fill("Officina Bianchi");
  await page.getByLabel("Lingua del cliente").selectOption("it");
  await page.getByLabel("Partita IVA / C.F.").fill("01234567898");
  await page.getByLabel("Codice destinatario (SdI)").fill("m5uxcr1");
  await page.getByLabel("Indirizzo PEC").fill("bianchi@pec.it");
  await page.getByRole("button", { name: "Salva" }).click();
  // Each mistake beside its field, in the merchant's language; nothing saved.
  await expect(page.locator("#tax_id-error")).toContainText("cifra di controllo");
  await expect(page.locator("#pec-error")).toContainText("non entrambi");
  await expect(page.locator("#address-error")).toContainText("CAP Comune Provincia");
  await page.screenshot({ path: test.info().outputPath("customer-sdi-errors.png"), fullPage: true });

  await page.getByLabel("Partita IVA / C.F.").fill("IT01234567897");
  await page.getByLabel("Indirizzo PEC").fill("");
  await page.getByLabel("Indirizzo", { exact: true }).fill("Corso Italia 3\n20122 Milano MI");
  await page.getByRole("button", { name: "Salva" }).click();
  await expect(page.getByRole("heading", { name: "Modifica cliente" })).toBeVisible();
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByLabel("Codice destinatario (SdI)")).toHaveValue("M5UXCR1");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath("customer-sdi-phone.png"), fullPage: true });
});

test("an Italian flat-rate merchant fills in the fiscal data, issues an electronic invoice with its natura, downloads its FatturaPA file, and the customer reads a courtesy copy", async ({ page, browser }) => {
  await signUp(page);
  await page.goto(`${adminUrl()}/stores`);
  await waitForHydration(page);
  await page.locator(".plain-list a").first().click();
  await expect(page.getByRole("heading", { name: "Store settings" })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel("Name", { exact: true }).fill("Studio Verdi");
  await page.getByLabel("Tax ID").fill("06363391009");
  await page.getByLabel("Address", { exact: true }).fill("Via Roma 12\nRoma");
  await page.getByLabel("Currency").selectOption("EUR");
  await page.getByLabel("Issue Italian electronic invoices (FatturaPA through SdI)").check();
  await page.getByLabel("Tax regime (regime fiscale)").selectOption("RF19");
  await page.getByLabel("IBAN for payments").fill("IT60 X054 2811 1010 0000 0123 456");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  // The Agenzia's checks, each beside its field: the check digit, the registered office.
  await expect(page.locator("#tax_id-error")).toContainText("check digit");
  await expect(page.locator("#address-error")).toContainText("00184 Roma RM");
  await page.screenshot({ path: test.info().outputPath("store-fiscal-errors.png"), fullPage: true });
  await page.getByLabel("Tax ID").fill("IT06363391001");
  await page.getByLabel("Address", { exact: true }).fill("Via Roma 12\n00184 Roma RM");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();

  const email = uniqueAddress("amministrazione");
  await addCustomer(page, "Officina Bianchi", email, "it");
  await page.getByLabel("Tax ID").fill("01234567897");
  await page.getByLabel("Address", { exact: true }).fill("Corso Italia 3\n20122 Milano MI");
  await page.getByLabel("Codice destinatario (SdI)").fill("M5UXCR1");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();

  await page.goto(`${adminUrl()}/invoices/new`);
  await waitForHydration(page);
  const option = page.locator('select[name="draft[customer_id]"] option', { hasText: "Officina Bianchi" });
  await page.getByLabel("Customer", { exact: true }).selectOption((await option.getAttribute("value"))!);
  await page.getByLabel("Description 1").fill("Consulenza di giugno");
  await page.getByLabel("Unit price 1").fill("500");
  await page.getByLabel("Tax % 1").fill("0");
  await page.getByRole("button", { name: "Save and issue" }).click();
  // A line without VAT needs its natura before SdI would take the file.
  await expect(page.locator("#lines-0-natura-error")).toContainText("natura");
  await page.getByLabel("Natura (0 % VAT) 1").selectOption("N2.2");
  await page.screenshot({ path: test.info().outputPath("invoice-natura.png"), fullPage: true });
  await page.getByRole("button", { name: "Save and issue" }).click();
  await expect(page.getByRole("heading", { name: /^Invoice \d{4}-0001$/ })).toBeVisible();
  await waitForHydration(page);

  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download FatturaPA (XML)" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^IT06363391001_[0-9A-Z]{5}\.xml$/);
  const xml = readFileSync(await download.path(), "utf8");
  expect(xml).toContain("<CodiceDestinatario>M5UXCR1</CodiceDestinatario>");
  expect(xml).toContain("<Natura>N2.2</Natura>");
  expect(xml).toContain("<RegimeFiscale>RF19</RegimeFiscale>");

  // Without a PEC mailbox the file cannot leave for SdI yet, and the merchant is told where to set one up.
  await page.getByRole("button", { name: "Send to SdI" }).click();
  await expect(page.getByRole("alert")).toContainText("set up the store's PEC mailbox");

  // The list's ⋯ menu offers the same file.
  await page.goto(`${adminUrl()}/invoices`);
  await waitForHydration(page);
  const row = page.locator("tr", { hasText: "Officina Bianchi" });
  await row.locator("summary").click();
  await expect(row.getByRole("link", { name: "Download FatturaPA (XML)" })).toBeVisible();
  await row.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const sent = await waitForEmailTo(email);
  expect(sent.text).toContain("Sistema di Interscambio");

  const customer = await customerPage(browser);
  await customer.goto(linkIn(sent));
  await expect(customer.locator(".courtesy-notice")).toContainText("Copia di cortesia");
  await customer.screenshot({ path: test.info().outputPath("customer-courtesy-copy.png"), fullPage: true });
  await customer.setViewportSize({ width: 390, height: 844 });
  await customer.screenshot({ path: test.info().outputPath("customer-courtesy-copy-phone.png"), fullPage: true });
});
