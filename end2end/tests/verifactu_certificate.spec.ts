import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { adminUrl, signUp, waitForHydration } from "./support";

// The stand-in for the AEAT (started by the stack) writes the certificates
// its test CA issued, as the FNMT hands them over: a .p12 and its password.
const certificate = () => readFileSync(path.join(process.env.STACK_STATE_DIR!, "aeat", "merchant-89890001K.p12"));
const PASSWORD = "invio-e2e";

test("a Spanish merchant uploads the store's certificate for the AEAT, is told what is wrong with a bad one, and can replace and remove it", async ({ page }) => {
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
  const storeUrl = page.url().split("?")[0];

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
