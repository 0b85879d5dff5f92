import { expect, test, type Browser, type Page } from "@playwright/test";
import { adminUrl, signUp } from "./support";

// The admin's forms post as plain HTML: a merchant whose browser runs no
// JavaScript saves a customer, a store and a draft, is told what is wrong
// beside the field, and issues the draft.
test.use({ javaScriptEnabled: false });

// Signs a merchant up (with JavaScript, as the helpers do) and opens the
// admin in a browser that runs none, signed in as them.
async function signedInWithoutJavaScript(browser: Browser): Promise<Page> {
  // Contexts inherit test.use's options: this one runs JavaScript on purpose.
  const withScript = await browser.newContext({ javaScriptEnabled: true });
  await signUp(await withScript.newPage());
  const session = await withScript.storageState();
  await withScript.close();
  const context = await browser.newContext({ javaScriptEnabled: false, storageState: session });
  return context.newPage();
}

test("without JavaScript a customer, a store and a draft are saved, each refusal shown beside its field", async ({ browser }) => {
  const page = await signedInWithoutJavaScript(browser);

  // A customer: refused without a name, then saved.
  await page.goto(`${adminUrl()}/customers/new`);
  await page.getByLabel("Email", { exact: true }).fill("rossi@example.it");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.locator("#name-error")).toHaveText("Fill in this field.");
  await expect(page.getByLabel("Name", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Name", { exact: true }).fill("Rossi Srl");
  await page.getByLabel("Email", { exact: true }).fill("rossi@example.it");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Edit customer" })).toBeVisible();
  await expect(page.getByText("Saved.")).toBeVisible();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Rossi Srl");

  // A store: refused without a name (a new store's form suggests one), then saved.
  await page.goto(`${adminUrl()}/stores/new`);
  await page.getByLabel("Name", { exact: true }).fill("");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.locator("#name-error")).toHaveText("Fill in this field.");
  await page.getByLabel("Name", { exact: true }).fill("Bottega Due");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Store settings" })).toBeVisible();
  await expect(page.getByText("Saved.")).toBeVisible();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Bottega Due");

  // A draft: refused with a price that is no amount, then saved, then issued.
  await page.goto(`${adminUrl()}/invoices/new`);
  const option = page.locator('select[name="draft[customer_id]"] option', { hasText: "Rossi Srl" });
  await page.getByLabel("Customer", { exact: true }).selectOption((await option.getAttribute("value"))!);
  await page.getByLabel("Description 1").fill("Consulenza");
  await page.getByLabel("Quantity 1").fill("2");
  await page.getByLabel("Unit price 1").fill("cento");
  await page.getByRole("button", { name: "Save draft" }).click();
  await expect(page.locator("#lines-0-unit_price-error")).not.toBeEmpty();
  await expect(page.getByLabel("Unit price 1")).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Customer", { exact: true }).selectOption((await option.getAttribute("value"))!);
  await page.getByLabel("Description 1").fill("Consulenza");
  await page.getByLabel("Quantity 1").fill("2");
  await page.getByLabel("Unit price 1").fill("100");
  await page.getByRole("button", { name: "Save draft" }).click();
  await expect(page.getByRole("heading", { name: "Edit draft" })).toBeVisible();
  await expect(page.getByLabel("Description 1")).toHaveValue("Consulenza");
  await page.getByRole("button", { name: "Save and issue" }).click();
  await expect(page.getByRole("heading", { name: /^Invoice \d{4}-\d{4}$/ })).toBeVisible();
  await expect(page.getByTestId("total")).toHaveText("€244.00");
});
