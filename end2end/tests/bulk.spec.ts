import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import {
  addCustomer,
  adminUrl,
  emailsTo,
  issueInvoice,
  looks,
  signUp,
  uniqueAddress,
  waitForEmailTo,
  waitForHydration,
} from "./support";

// Ticks the rows of `numbers` in the list, by their checkboxes' labels.
async function tick(page: import("@playwright/test").Page, numbers: string[]) {
  await page.goto(`${adminUrl()}/invoices`);
  await waitForHydration(page);
  for (const number of numbers) {
    await page.getByLabel(`Select ${number}`, { exact: true }).check();
  }
}

test("a merchant sends three invoices at once, clicks twice, zips their PDFs and exports a CSV", async ({ page }) => {
  await signUp(page);
  const customers = ["Anna Verdi", "Bruno Neri", "Carla Blu"].map((name) => ({
    name,
    email: uniqueAddress(name.split(" ")[0].toLowerCase()),
  }));
  const numbers: string[] = [];
  for (const customer of customers) {
    await addCustomer(page, customer.name, customer.email, "it");
    numbers.push(await issueInvoice(page, customer.name, "Consulenza", "100"));
  }

  // Select the three and press Send twice, as an impatient merchant does.
  await tick(page, numbers);
  await looks(page, "list-with-selection");
  const key = await page.locator('#bulk-actions input[name="key"]').inputValue();
  await page.locator("#bulk-actions").getByRole("button", { name: "Send", exact: true }).dblclick();
  await expect(page.getByRole("heading", { name: "Sending the selected invoices" })).toBeVisible();
  for (const number of numbers) {
    await expect(page.locator("li.bulk-item", { hasText: number })).toHaveAttribute("data-outcome", "sent");
  }
  await expect(page.locator("#bulk-outcome-summary")).toHaveText("3 of 3 done.");
  await looks(page, "outcome");

  // The same form posted once more (a reload that resubmits) sends nothing either.
  const form = new URLSearchParams({ key, action: "send" });
  const ids = await page.locator("li.bulk-item").evaluateAll((items) => items.map((item) => item.getAttribute("data-invoice")!));
  for (const id of ids) form.append("invoice", id);
  const again = await page.request.post(`${adminUrl()}/invoices/bulk`, {
    form: undefined,
    data: form.toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", origin: adminUrl() },
    maxRedirects: 0,
  });
  expect(again.status()).toBe(303);
  expect(again.headers()["location"]).toBe(new URL(page.url()).pathname);

  for (const customer of customers) await waitForEmailTo(customer.email);
  // Give a second send every chance to arrive before counting.
  await page.waitForTimeout(3_000);
  for (const customer of customers) expect(await emailsTo(customer.email)).toHaveLength(1);

  // The PDFs of the three as one ZIP, each named after its number.
  await tick(page, numbers);
  const [zip] = await Promise.all([
    page.waitForEvent("download"),
    page.locator("#bulk-actions").getByRole("button", { name: "Download PDFs (ZIP)" }).click(),
  ]);
  expect(zip.suggestedFilename()).toBe("invoices.zip");
  const zipPath = await zip.path();
  const entries = execFileSync("unzip", ["-Z1", zipPath]).toString().trim().split("\n").sort();
  expect(entries).toEqual(numbers.map((number) => `${number}.pdf`).sort());
  for (const entry of entries) {
    expect(execFileSync("unzip", ["-p", zipPath, entry]).subarray(0, 5).toString()).toBe("%PDF-");
  }

  // The accountant's CSV, from the list.
  await page.goto(`${adminUrl()}/invoices`);
  await waitForHydration(page);
  await page.getByRole("link", { name: "Export for the accountant" }).click();
  await expect(page.getByRole("heading", { name: "Export for the accountant" })).toBeVisible();
  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel("What").selectOption("invoices");
  await page.getByLabel("From").fill(today);
  await page.getByLabel("To", { exact: true }).fill(today);
  await page.getByLabel("Column names in").selectOption("it");
  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  expect(csv.suggestedFilename()).toBe(`fatture_${today}_${today}.csv`);
  const bytes = readFileSync(await csv.path());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const lines = bytes.subarray(3).toString("utf8").split("\r\n");
  expect(lines[0]).toMatch(/^Numero;Documento;Data emissione;/);
  for (const number of numbers) {
    const line = lines.find((line) => line.startsWith(`${number};`));
    expect(line, number).toBeDefined();
    expect(line!).toMatch(/;EUR;100,00;\d+,\d{2};\d+,\d{2};0,00;\d+,\d{2}$/);
  }
});
