import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { addCustomer, adminUrl, customerPage, linkIn, signUp, uniqueAddress, waitForEmailTo, waitForHydration } from "./support";

const SDI = "sdi01@pec.fatturapa.it";

// SdI's own example messages (invoice/sdi/examples, valid for SdI's schema),
// told about another invoice file and SdI identifier, as invoice::sdi::samples
// tells them to the server's tests.
function officialExample(kind: "RC" | "NS", file: string, sdiId: string): string {
  return readFileSync(path.resolve("../invoice/sdi/examples", `IT01234567890_11111_${kind}_001.xml`), "utf8")
    .replace("<IdentificativoSdI>111</IdentificativoSdI>", `<IdentificativoSdI>${sdiId}</IdentificativoSdI>`)
    .replace("<NomeFile>IT01234567890_11111.xml.p7m</NomeFile>", `<NomeFile>${file}</NomeFile>`);
}
const delivered = (file: string, sdiId: string) => officialExample("RC", file, sdiId);
// The example's error (00100, an expired signature) becomes the one a wrong Codice Destinatario gets.
const rejected = (file: string, sdiId: string) =>
  officialExample("NS", file, sdiId).replace(
    "<Codice>00100</Codice>\r\n      <Descrizione>Certificato di firma scaduto</Descrizione>",
    "<Codice>00311</Codice>\r\n      <Descrizione>1.1.4 &lt;CodiceDestinatario&gt; non valido</Descrizione>",
  );

async function issueFor(page: Page, customer: string, description: string) {
  await page.goto(`${adminUrl()}/invoices/new`);
  await waitForHydration(page);
  const option = page.locator('select[name="draft[customer_id]"] option', { hasText: customer });
  await page.getByLabel("Customer", { exact: true }).selectOption((await option.getAttribute("value"))!);
  await page.getByLabel("Description 1").fill(description);
  await page.getByLabel("Unit price 1").fill("400");
  await page.getByRole("button", { name: "Save and issue" }).click();
  const heading = page.getByRole("heading", { name: /^Invoice \d{4}-\d{4}$/ });
  await expect(heading).toBeVisible();
  await waitForHydration(page);
  const fileName = await page.getByRole("link", { name: "Download FatturaPA (XML)" }).getAttribute("download");
  return { url: page.url().split("?")[0], fileName: fileName! };
}

async function upload(page: Page, storeUrl: string, name: string, xml: string) {
  await page.goto(storeUrl);
  await waitForHydration(page);
  await page.locator("#sdi-receipt-file").setInputFiles({ name, mimeType: "application/xml", buffer: Buffer.from(xml) });
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await expect(page.getByText("Receipt recorded in its invoice's history.")).toBeVisible();
}

test("an Italian merchant sends a company's and a consumer's invoices through SdI by PEC, reads the receipts in the history, and corrects the rejected one with a credit note", async ({ page, browser }) => {
  await signUp(page);
  await page.goto(`${adminUrl()}/stores`);
  await waitForHydration(page);
  await page.locator(".plain-list a").first().click();
  await expect(page.getByRole("heading", { name: "Store settings" })).toBeVisible();
  await waitForHydration(page);
  const storeUrl = page.url();
  await page.getByLabel("Tax ID").fill("IT06363391001");
  await page.getByLabel("Address", { exact: true }).fill("Via Roma 12\n00184 Roma RM");
  await page.getByLabel("Currency").selectOption("EUR");
  await page.getByLabel("Issue Italian electronic invoices (FatturaPA through SdI)").check();
  await page.getByLabel("Tax regime (regime fiscale)").selectOption("RF01");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();

  // The store's PEC mailbox: files leave through it (here the catcher), and
  // its receipts would be read from it (here nothing answers: reported).
  await page.getByLabel("PEC address").fill("bottega@pec.example.it");
  await page.getByLabel("SMTP server").fill(process.env.STACK_SMTP_URL!);
  await page.getByLabel("IMAP server").fill("127.0.0.1");
  await page.getByLabel("IMAP port").fill("1");
  await page.getByLabel("User name").fill("bottega@pec.example.it");
  await page.getByLabel("Password", { exact: true }).fill("s3cret-pec");
  await page.getByRole("button", { name: "Save the PEC mailbox" }).click();
  await expect(page.getByText("PEC mailbox saved.")).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("store-pec.png"), fullPage: true });

  const companyEmail = uniqueAddress("officina");
  await addCustomer(page, "Officina Bianchi", companyEmail, "it");
  await page.getByLabel("Tax ID").fill("01234567897");
  await page.getByLabel("Address", { exact: true }).fill("Corso Italia 3\n20122 Milano MI");
  await page.getByLabel("Codice destinatario (SdI)").fill("M5UXCR1");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await addCustomer(page, "Mario Rossi", uniqueAddress("mario.rossi"), "it");
  await page.getByLabel("Codice fiscale").fill("RSSMRA80A01H501U");
  await page.getByLabel("Address", { exact: true }).fill("Via dei Mille 1\n80121 Napoli NA");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();

  // Each issued invoice leaves for SdI from the store's PEC address, its file attached.
  const company = await issueFor(page, "Officina Bianchi", "Manutenzione impianto");
  const consumer = await issueFor(page, "Mario Rossi", "Riparazione caldaia");
  for (const fileName of [company.fileName, consumer.fileName]) {
    const sent = await waitForEmailTo(SDI, new RegExp(`^${fileName.replace(".", "\\.")}$`));
    expect(sent.from[0].address).toBe("bottega@pec.example.it");
    expect(sent.attachments?.map((attachment) => attachment.filename)).toEqual([fileName]);
  }
  await page.goto(company.url);
  await expect(page.locator("#history")).toContainText(`Electronic invoice ${company.fileName} sent to SdI by PEC`);

  // SdI's receipts, uploaded as they came: delivered for one, rejected for the other.
  await upload(page, storeUrl, company.fileName.replace(".xml", "_RC_001.xml"), delivered(company.fileName, "111222333"));
  await upload(page, storeUrl, consumer.fileName.replace(".xml", "_NS_001.xml"), rejected(consumer.fileName, "111222334"));
  await page.goto(company.url);
  await expect(page.locator("#history")).toContainText("Delivered through SdI");
  await page.goto(consumer.url);
  await waitForHydration(page);
  await expect(page.locator("#history")).toContainText("Rejected by SdI: the invoice is not issued.");
  await expect(page.locator("#history")).toContainText("00311");
  await expect(page.getByTestId("status"), "SdI's last word is a rejection").toHaveText("Rejected by SdI");
  await expect(page.getByRole("button", { name: "Void" }), "a transmitted invoice is never voided").toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath("invoice-rejected.png"), fullPage: true });

  // The rejected invoice is corrected by a credit note, which goes to SdI too; it is never voided.
  await page.getByRole("link", { name: "Issue credit note" }).click();
  await waitForHydration(page);
  await page.getByLabel("Reason").fill("Scartata dallo SdI: codice destinatario");
  await page.getByRole("button", { name: "Issue credit note" }).click();
  await expect(page.getByRole("heading", { name: /^Credit note NC-\d{4}-0001$/ })).toBeVisible();
  await waitForHydration(page);
  const noteFile = await page.getByRole("link", { name: "Download FatturaPA (XML)" }).getAttribute("download");
  await waitForEmailTo(SDI, new RegExp(`^${noteFile!.replace(".", "\\.")}$`));

  // The customer's page says the legal invoice was delivered through SdI.
  await page.goto(company.url);
  await waitForHydration(page);
  await page.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const courtesy = await waitForEmailTo(companyEmail);
  const reader = await customerPage(browser);
  await reader.goto(linkIn(courtesy));
  await expect(reader.locator(".courtesy-notice")).toBeVisible();
  await expect(reader.getByText("Fattura elettronica consegnata tramite SdI")).toBeVisible();
  await reader.screenshot({ path: test.info().outputPath("customer-sdi-delivered.png"), fullPage: true });
});
