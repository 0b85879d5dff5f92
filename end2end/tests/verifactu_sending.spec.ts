import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { addCustomer, adminUrl, issueInvoice, signUp, waitForHydration } from "./support";

// The stand-in for the AEAT (started by the stack) writes the certificates
// its test CA issued, as the FNMT hands them over: a .p12 and its password.
const certificate = () => readFileSync(path.join(process.env.STACK_STATE_DIR!, "aeat", "merchant-89890001K.p12"));
const PASSWORD = "invio-e2e";

// Signs a merchant up and makes their store a Spanish one keeping
// VERI*FACTU records; returns the store's page.
async function spanishStore(page: Page): Promise<string> {
  await signUp(page);
  await page.goto(`${adminUrl()}/stores`);
  await waitForHydration(page);
  await page.locator(".plain-list a").first().click();
  await expect(page.getByRole("heading", { name: "Store settings" })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel("Tax ID").fill("89890001K");
  await page.getByLabel("Currency").selectOption("EUR");
  await page.getByLabel("Keep VERI*FACTU records and send them to the AEAT").check();
  await page.getByLabel("Legal name (nombre o razón social)").fill("Taller Ruiz S.L.");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  return page.url().split("?")[0];
}

async function uploadCertificate(page: Page, storeUrl: string) {
  await page.goto(storeUrl);
  await waitForHydration(page);
  const card = page.locator("section.verifactu");
  await card.getByLabel("Certificate file (.p12, .pfx or PEM)").setInputFiles({ name: "certificado.p12", mimeType: "application/x-pkcs12", buffer: certificate() });
  await card.getByLabel("The file's password").fill(PASSWORD);
  await card.getByRole("button", { name: /^(Upload|Replace) the certificate$/ }).click();
  await expect(card.getByText("Certificate saved: the waiting records are sent now.")).toBeVisible();
}

async function customerWithNif(page: Page, name: string, nif: string) {
  await addCustomer(page, name, `${nif.toLowerCase()}.${Date.now()}@example.es`, "es");
  await waitForHydration(page);
  await page.getByLabel("Tax ID").fill(nif);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
}

// Reloads the invoice's page until its history says `text`: the sender
// sends every few seconds.
async function untilHistorySays(page: Page, text: RegExp) {
  await expect(async () => {
    await page.reload();
    await expect(page.getByText(text)).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 45_000 });
}

test("a Spanish merchant uploads the store's certificate for the AEAT, is told what is wrong with a bad one, and can replace and remove it", async ({ page }) => {
  const storeUrl = await spanishStore(page);

  await page.goto(storeUrl);
  await waitForHydration(page);
  const card = page.locator("section.verifactu");
  await expect(card.getByRole("heading", { name: "VERI*FACTU: certificate for the AEAT" })).toBeVisible();
  await expect(card.getByText("No certificate: the records wait until you upload one.")).toBeVisible();

  // The wrong password: said beside the password, nothing kept.
  await card.getByLabel("Certificate file (.p12, .pfx or PEM)").setInputFiles({ name: "certificado.p12", mimeType: "application/x-pkcs12", buffer: certificate() });
  await card.getByLabel("The file's password").fill("not the password");
  await card.getByRole("button", { name: "Upload the certificate" }).click();
  await expect(card.getByRole("alert").filter({ hasText: "The password does not open this file." })).toBeVisible();
  await expect(card.getByText("No certificate: the records wait until you upload one.")).toBeVisible();

  // Not a certificate at all: said beside the file.
  await card.getByLabel("Certificate file (.p12, .pfx or PEM)").setInputFiles({ name: "factura.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.7 not a certificate") });
  await card.getByRole("button", { name: "Upload the certificate" }).click();
  await expect(card.getByRole("alert").filter({ hasText: "This is not a certificate" })).toBeVisible();

  await card.getByLabel("Certificate file (.p12, .pfx or PEM)").setInputFiles({ name: "certificado.p12", mimeType: "application/x-pkcs12", buffer: certificate() });
  await card.getByLabel("The file's password").fill(PASSWORD);
  await card.getByRole("button", { name: "Upload the certificate" }).click();
  await expect(card.getByText("Certificate saved: the waiting records are sent now.")).toBeVisible();
  await expect(card.getByText("COMERCIO 89890001K")).toBeVisible();
  await expect(card.locator("dd", { hasText: /^89890001K$/ })).toBeVisible();
  await expect(card.locator("dd", { hasText: "2099" })).toBeVisible();
  await expect(card.getByText("Every record has been sent to the AEAT.")).toBeVisible();

  // Replacing keeps one certificate; removing leaves none.
  await expect(card.getByRole("button", { name: "Replace the certificate" })).toBeVisible();
  await waitForHydration(page);
  await card.getByRole("button", { name: "Remove the certificate" }).click();
  await expect(card.getByText("No certificate: the records wait until you upload one.")).toBeVisible();
});

test("a Spanish merchant's invoices reach the AEAT: one registered with its CSV, one rejected with what to fix, and the store says nothing waits", async ({ page }) => {
  test.setTimeout(120_000);
  // Answers that ask for a 1 s wait, so the second invoice need not wait a minute.
  await fetch(`${process.env.STACK_AEAT_CONTROL_URL}/wait/1`, { method: "POST" });
  const storeUrl = await spanishStore(page);
  await uploadCertificate(page, storeUrl);
  await customerWithNif(page, "Construcciones García S.A.", "12345678Z");
  // A NIF the stand-in's census does not know.
  await customerWithNif(page, "Cliente Desconocido S.L.", "99999910G");

  await issueInvoice(page, "Construcciones García S.A.", "Reparación de tejado", "250");
  await untilHistorySays(page, /Registered at the AEAT \(CSV A-\d+\)/);

  await issueInvoice(page, "Cliente Desconocido S.L.", "Pintura", "90");
  await untilHistorySays(page, /Rejected by the AEAT: 1193/);
  await expect(page.getByText(/check it on the customer's record/)).toBeVisible();

  const records = await (await fetch(`${process.env.STACK_AEAT_CONTROL_URL}/records`)).text();
  expect(records).toContain('"operation":"Alta"');
  await page.goto(storeUrl);
  const card = page.locator("section.verifactu");
  await expect(card.getByText("Every record has been sent to the AEAT.")).toBeVisible();
  await expect(card.getByText(/Records rejected by the AEAT .*: 1$/)).toBeVisible();
});
