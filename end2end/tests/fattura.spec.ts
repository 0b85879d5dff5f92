import { expect, test } from "@playwright/test";
import { adminUrl, signUp, waitForHydration } from "./support";

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
  await page.screenshot({ path: test.info().outputPath("customer-sdi-errors.png"), fullPage: true });

  await page.getByLabel("Partita IVA / C.F.").fill("IT01234567897");
  await page.getByLabel("Indirizzo PEC").fill("");
  await page.getByRole("button", { name: "Salva" }).click();
  await expect(page.getByRole("heading", { name: "Modifica cliente" })).toBeVisible();
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByLabel("Codice destinatario (SdI)")).toHaveValue("M5UXCR1");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath("customer-sdi-phone.png"), fullPage: true });
});
