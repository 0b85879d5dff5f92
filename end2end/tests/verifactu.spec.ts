import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { addCustomer, adminUrl, pdfText, signUp, uniqueAddress, waitForHydration } from "./support";

// The stand-in for the AEAT that the stack starts: its control port says
// what it received and switches its availability; it wrote the merchant's
// certificate as the FNMT hands it over (a .p12 and its password).
// Its own NIF: the stand-in serves every journey of the run, and a number
// another journey's store registered under the same NIF would be a duplicate.
const NIF = "B12345674";
const control = () => process.env.STACK_AEAT_CONTROL_URL!;
const certificate = () => readFileSync(path.join(process.env.STACK_STATE_DIR!, "aeat", `merchant-${NIF}.p12`));
// A NIF the stand-in does not find in the census: the AEAT rejects the record (1193).
const UNKNOWN_NIF = "99999910G";

type Received = { number: string; operation: string; subsanacion: string; rechazo_previo: string; incident: boolean };

async function aeat(page: Page, command: string) {
  const answer = await page.request.post(`${control()}/${command}`);
  expect(answer.ok(), `stand-in AEAT: ${command}`).toBeTruthy();
}

async function received(page: Page): Promise<Received[]> {
  const answer = await page.request.get(`${control()}/records`);
  return (await answer.text())
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Received);
}

// `exempt`: a second line, without VAT, exempt under art. 20 LIVA (E1).
async function issueFor(page: Page, customer: string, description: string, price: string, exempt?: string) {
  await page.goto(`${adminUrl()}/invoices/new`);
  await waitForHydration(page);
  const option = page.locator('select[name="draft[customer_id]"] option', { hasText: customer });
  await page.getByLabel("Customer", { exact: true }).selectOption((await option.getAttribute("value"))!);
  // A Spanish store's new line starts at Spain's 21 %.
  await expect(page.getByLabel("Tax % 1")).toHaveValue("21");
  await page.getByLabel("Description 1").fill(description);
  await page.getByLabel("Unit price 1").fill(price);
  if (exempt) {
    await page.getByRole("button", { name: "Add line" }).click();
    await page.getByLabel("Description 2").fill(exempt);
    await page.getByLabel("Unit price 2").fill("60");
    await page.getByLabel("Tax % 2").fill("0");
    await page.getByLabel("VAT treatment (Spain) 2").selectOption("E1");
  }
  await page.getByRole("button", { name: "Save and issue" }).click();
  const heading = page.getByRole("heading", { name: /^Invoice \d{4}-\d{4}$/ });
  await expect(heading).toBeVisible();
  await waitForHydration(page);
  return { number: (await heading.textContent())!.replace("Invoice ", "").trim(), url: page.url().split("?")[0] };
}

// The invoice's history, read again until it says `text` (the sender works in the background).
async function historySays(page: Page, url: string, text: string | RegExp) {
  await expect
    .poll(
      async () => {
        await page.goto(url);
        return (await page.locator("#history").textContent()) ?? "";
      },
      { timeout: 120_000, intervals: [1_000, 2_000, 5_000] },
    )
    .toMatch(text);
}

// What the customer gets shows the AEAT's QR code with its legends: the page and the PDF.
async function showsQrCode(page: Page, document: { number: string; url: string }, layout: "a4" | "receipt", name: string) {
  await page.goto(`${document.url}/preview`);
  await expect(page.getByText("QR tributario:")).toBeVisible();
  await expect(page.getByText("VERI*FACTU", { exact: true })).toBeVisible();
  const check = page.locator(`a[href^="https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR?nif=${NIF}&numserie="]`);
  await expect(check).toBeVisible();
  expect(await check.getAttribute("href")).toContain(`numserie=${encodeURIComponent(document.number)}`);
  await expect(check.locator("svg")).toBeVisible();
  await page.screenshot({ path: test.info().outputPath(`${name}-page.png`), fullPage: true });
  const pdf = await page.request.get(`${document.url}/pdf?layout=${layout}`);
  expect(pdf.ok()).toBeTruthy();
  const text = pdfText(await pdf.body());
  expect(text).toContain("QR tributario:");
  expect(text).toContain("VERI*FACTU");
  const pdfPath = test.info().outputPath(`${name}.pdf`);
  writeFileSync(pdfPath, await pdf.body());
  execFileSync("pdftoppm", ["-png", "-r", "60", "-singlefile", pdfPath, test.info().outputPath(`${name}-pdf`)]);
}

test("a Spanish merchant issues an invoice, a simplified receipt and a credit note, each with the AEAT's QR code, and their records reach the AEAT in order through an outage and a rejection", async ({ page }) => {
  test.setTimeout(300_000);
  await aeat(page, "availability/up");
  await aeat(page, "wait/1");
  // This journey runs alone (its own project); what earlier journeys sent stays before it.
  const before = (await received(page)).length;
  const ours = async () => (await received(page)).slice(before);
  await signUp(page);

  // The store keeps VERI*FACTU records: its NIF, its legal name, the euro.
  await page.goto(`${adminUrl()}/stores`);
  await waitForHydration(page);
  await page.locator(".plain-list a").first().click();
  await expect(page.getByRole("heading", { name: "Store settings" })).toBeVisible();
  await waitForHydration(page);
  const storeUrl = page.url().split("?")[0];
  await page.getByLabel("Tax ID").fill("12345678A");
  await page.getByLabel("Currency").selectOption("EUR");
  await page.getByLabel("Keep VERI*FACTU records and send them to the AEAT").check();
  await page.getByLabel("Legal name (nombre o razón social)").fill("Taller Ruiz S.L.");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("This NIF's letter does not match its number.")).toBeVisible();
  await page.getByLabel("Tax ID").fill(NIF);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();

  // Its certificate, with which Invio presents the records to the AEAT.
  await page.goto(storeUrl);
  await waitForHydration(page);
  const card = page.locator("section.verifactu");
  await card.getByLabel("Certificate file (.p12, .pfx or PEM)").setInputFiles({ name: "certificado.p12", mimeType: "application/x-pkcs12", buffer: certificate() });
  await card.getByLabel("The file's password").fill("invio-e2e");
  await card.getByRole("button", { name: "Upload the certificate" }).click();
  await expect(card.getByText("Certificate saved: the waiting records are sent now.")).toBeVisible();

  // A company with its NIF, a counter customer without one, one the AEAT does not know.
  await addCustomer(page, "Construcciones Ruiz S.L.", uniqueAddress("ruiz", "example.es"), "es");
  await page.getByLabel("Tax ID").fill("A58818501");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await addCustomer(page, "Cliente de mostrador", uniqueAddress("mostrador", "example.es"), "es");
  await addCustomer(page, "Desconocido S.L.", uniqueAddress("desconocido", "example.es"), "es");
  await page.getByLabel("Tax ID").fill(UNKNOWN_NIF);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();

  // An invoice, a simplified invoice (no customer tax ID) and a credit note.
  const invoice = await issueFor(page, "Construcciones Ruiz S.L.", "Reparación de caldera", "400", "Revisión médica de empresa");
  await expect(page.locator("#history")).toContainText("VERI*FACTU");
  const receipt = await issueFor(page, "Cliente de mostrador", "Filtro de agua", "25");
  await page.goto(invoice.url);
  await waitForHydration(page);
  await page.getByRole("link", { name: "Issue credit note" }).click();
  await waitForHydration(page);
  await page.getByLabel("Reason").fill("Descuento acordado");
  // The legal ground: a debt not collected (art. 80.Cuatro LIVA), R3.
  await page.getByLabel("Legal ground of the correction (VERI*FACTU)").selectOption("R3");
  await page.screenshot({ path: test.info().outputPath("credit-note-form.png"), fullPage: true });
  await page.getByRole("button", { name: "Issue credit note" }).click();
  const noteHeading = page.getByRole("heading", { name: /^Credit note NC-\d{4}-0001$/ });
  await expect(noteHeading).toBeVisible();
  const note = { number: (await noteHeading.textContent())!.replace("Credit note ", "").trim(), url: page.url().split("?")[0] };

  await showsQrCode(page, invoice, "a4", "invoice");
  await showsQrCode(page, receipt, "receipt", "receipt");
  await showsQrCode(page, note, "a4", "credit-note");
  // The exempt line says why on the invoice; the receipt is titled a simplified invoice.
  expect(pdfText(await (await page.request.get(`${invoice.url}/pdf?layout=a4`)).body())).toContain("Exenta art. 20 LIVA");
  expect(pdfText(await (await page.request.get(`${receipt.url}/pdf?layout=receipt`)).body())).toContain("Factura simplificada");
  // The stand-in lists numbers, not types: the credit note's history names its record's R3.
  await historySays(page, note.url, "registration, R3");

  // The records reach the AEAT in the chain's order, and each history says so.
  await expect
    .poll(async () => (await ours()).map((record) => record.number), { timeout: 60_000 })
    .toEqual([invoice.number, receipt.number, note.number]);
  for (const document of [invoice, receipt, note]) await historySays(page, document.url, "Registered at the AEAT");

  // The AEAT down: the record waits, the history says why; back up, it arrives once, flagged as late.
  await aeat(page, "availability/unavailable");
  const late = await issueFor(page, "Construcciones Ruiz S.L.", "Revisión anual", "120");
  await historySays(page, late.url, /AEAT unreachable: .*Invio will retry\./);
  await aeat(page, "availability/up");
  await historySays(page, late.url, "Registered at the AEAT");
  const afterOutage = (await ours()).filter((record) => record.number === late.number);
  expect(afterOutage).toHaveLength(1);
  expect(afterOutage[0].incident).toBe(true);

  // A customer the AEAT does not know: the rejection and what to fix, in the history.
  const refused = await issueFor(page, "Desconocido S.L.", "Instalación", "80");
  await historySays(page, refused.url, /Rejected by the AEAT: 1193/);
  await expect(page.getByTestId("status")).toHaveText("Rejected by the AEAT");
  await page.screenshot({ path: test.info().outputPath("invoice-rejected-by-aeat.png"), fullPage: true });
  expect((await ours()).map((record) => record.number)).toEqual([invoice.number, receipt.number, note.number, late.number, refused.number]);
  await page.goto(`${adminUrl()}/invoices`);
  await expect(page.locator(`tr[data-invoice="${refused.number}"] .pill.status-aeat_rejected`)).toHaveText("Rejected by the AEAT");

  // The merchant corrects the customer's NIF on the invoice's page: a correction record
  // («alta por rechazo»: Subsanacion S, RechazoPrevio X) goes to the AEAT, which registers it.
  await page.goto(refused.url);
  await waitForHydration(page);
  const correction = page.getByTestId("aeat-correction");
  const nif = correction.getByLabel("Customer's NIF or EU VAT number");
  await expect(nif).toHaveValue(UNKNOWN_NIF);
  await expect(correction.getByLabel("Customer's name")).toHaveValue("Desconocido S.L.");
  await nif.fill("12345678A");
  await correction.getByRole("button", { name: "Correct and resend" }).click();
  await expect(correction.locator("#tax_id-error")).not.toBeEmpty();
  await nif.fill("12345678Z");
  await correction.getByRole("button", { name: "Correct and resend" }).click();
  await historySays(page, refused.url, /Correction sent to the AEAT: customer Desconocido S\.L\. \(12345678Z\)/);
  await historySays(page, refused.url, /Registered at the AEAT \(correction\)/);
  await expect(page.getByTestId("status")).toHaveText("Issued");
  await expect(page.getByTestId("aeat-correction")).toHaveCount(0);
  const sent = (await ours()).filter((record) => record.number === refused.number);
  expect(sent.map((record) => [record.operation, record.subsanacion, record.rechazo_previo])).toEqual([
    ["Alta", "", ""],
    ["Alta", "S", "X"],
  ]);
});
