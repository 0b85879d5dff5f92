import { expect, test } from "@playwright/test";
import {
  addCustomer,
  customerPage,
  downloadedText,
  edgeUrl,
  issueInvoice,
  linkIn,
  openSendDialogFromList,
  signUp,
  waitForEmailTo,
  waitForHydration,
} from "./support";

test("a merchant sends an invoice and sees the customer open and download it", async ({ page, browser }) => {
  await signUp(page);
  const email = `maria.${Date.now()}@example.it`;
  await addCustomer(page, "Maria Rossi", email, "it");
  const number = await issueInvoice(page, "Maria Rossi", "Consulenza — novembre", "122", "2,5");
  await expect(page.getByTestId("total")).toHaveText("€372.10");

  await page.getByRole("link", { name: "← Customer invoices" }).click();
  const row = page.locator("tr", { hasText: number });
  await expect(row.locator('[data-column="email-sent"]')).toHaveText("—");
  await openSendDialogFromList(page, number);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.getByRole("link", { name: "← Customer invoices" }).click();
  // In the store's zone: an English sign-up's store is in London.
  await expect(row.locator('[data-column="email-sent"] time')).toHaveText(/\d{2}:\d{2} (GMT|BST)$/, { timeout: 30_000 });

  // The email, as the customer receives it.
  const message = await waitForEmailTo(email);
  expect(message.subject).toMatch(new RegExp(`^Fattura ${number} da `));
  const link = linkIn(message);
  expect(link.startsWith(edgeUrl())).toBe(true);
  expect(message.html).toContain(`href="${link}"`);

  // The customer opens the link at the edge and reads it.
  const customer = await customerPage(browser);
  const response = await customer.goto(link);
  expect(response!.status()).toBe(200);
  expect(response!.headers()["referrer-policy"]).toBe("no-referrer");
  expect(response!.headers()["cache-control"]).toBe("private, no-store");
  await expect(customer.getByRole("heading", { name: `Fattura ${number}` })).toBeVisible();
  await expect(customer.getByText("372,10 €").first()).toBeVisible();
  await customer.mouse.move(200, 200);
  await customer.mouse.wheel(0, 300);

  // …and downloads the PDF, a real one whose text says what the page says.
  const downloadPromise = customer.waitForEvent("download");
  await customer.getByRole("link", { name: "Scarica PDF" }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toBe(`Fattura-${number}.pdf`);
  const text = await downloadedText(download);
  expect(text).toContain("Fattura");
  expect(text).toContain("Maria Rossi");
  expect(text).toContain("Consulenza — novembre");
  expect(text).toMatch(/Totale\s+372,10 €/);

  // …and prints it, with the page's Print button.
  await customer.getByRole("button", { name: "Stampa" }).click();

  // The merchant's list shows the open, forwarded by the edge.
  await expect(row.locator('[data-column="opened"] time')).toHaveText(/\d{2}:\d{2} (GMT|BST)$/, { timeout: 30_000 });

  // The merchant records a payment; the customer's page follows, with its history.
  await row.getByRole("link", { name: number }).click();
  await waitForHydration(page);
  await page.getByLabel("Amount", { exact: true }).fill("100");
  await page.getByRole("button", { name: "Record payment" }).click();
  await expect(page.getByTestId("paid")).toHaveText("€100.00");
  await expect
    .poll(
      async () => {
        await customer.reload();
        return customer.locator(".status").textContent();
      },
      { timeout: 30_000 },
    )
    .toBe("Parzialmente pagata");
  await expect(customer.locator(".due-amount")).toHaveText("272,10 €");
  const history = customer.locator(".history");
  await expect(history).toContainText("Inviata");
  await expect(history).toContainText("Aperta");
  await expect(history).toContainText("PDF scaricato");
  await expect(history).toContainText("Stampata");
  await expect(history).toContainText("Pagamento registrato: 100,00 €");
  await expect(history).not.toContainText("Copia");
});

test("a tampered link gets a clear 404 page from the edge", async ({ request }) => {
  const response = await request.get(`${edgeUrl()}/i/${"A".repeat(44)}`, {
    headers: { "accept-language": "es-ES,es;q=0.9" },
  });
  expect(response.status()).toBe(404);
  expect(await response.text()).toContain("Enlace no válido");
  expect(response.headers()["x-robots-tag"]).toBe("noindex");
});
