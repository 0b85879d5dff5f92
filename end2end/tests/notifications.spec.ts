import { expect, test } from "@playwright/test";
import {
  addCustomer,
  adminUrl,
  customerPage,
  emailsTo,
  issueInvoice,
  linkIn,
  signUp,
  uniqueAddress,
  waitForEmailTo,
  waitForHydration,
} from "./support";

test("the merchant who chose to be told at once sees a live notice and gets one email when the customer first opens", async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  const owner = await signUp(page);

  // The account page: a daily summary until the merchant chooses otherwise.
  await page.goto(`${adminUrl()}/account`);
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: "When a customer opens an invoice" })).toBeVisible();
  await expect(page.getByLabel(/^Once a day \(the default\)/)).toBeChecked();
  const live = page.getByLabel(/^Show a notice on the admin pages I have open/);
  await expect(live).toBeChecked();
  await page.getByLabel(/^At once: one short email per invoice/).check();
  const settings = page.locator("section", { has: page.getByRole("heading", { name: "When a customer opens an invoice" }) });
  await settings.screenshot({ path: test.info().outputPath("settings-desktop.png") });
  await page.setViewportSize({ width: 390, height: 844 });
  await settings.screenshot({ path: test.info().outputPath("settings-phone.png") });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.getByRole("button", { name: "Save notification settings" }).click();
  await expect(page.getByText("Notification settings saved.")).toBeVisible();
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByLabel(/^At once: one short email per invoice/)).toBeChecked();

  const email = uniqueAddress("chiara");
  await addCustomer(page, "Chiara Neri", email, "it");
  const number = await issueInvoice(page, "Chiara Neri", "Consulenza", "150");
  await page.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
  const link = linkIn(await waitForEmailTo(email));

  // The merchant works on another page, with nothing about this invoice on it.
  await page.goto(`${adminUrl()}/customers`);
  await waitForHydration(page);
  const notices = page.getByTestId("live-notices");
  await expect(notices).toHaveAttribute("role", "status");
  await expect(page.getByTestId("live-notice")).toHaveCount(0);

  // The customer reads the invoice in a real browser.
  const customer = await customerPage(browser);
  await customer.goto(link);
  await expect(customer.getByRole("heading", { name: `Fattura ${number}` })).toBeVisible();
  await customer.mouse.wheel(0, 300);

  const notice = page.getByTestId("live-notice");
  await expect(notice).toHaveCount(1, { timeout: 30_000 });
  await expect(notice).toContainText(`Chiara Neri opened invoice ${number} on`);
  await expect(notice.getByRole("link", { name: "Open the invoice" })).toHaveAttribute("href", /^\/invoices\/\d+$/);
  await page.screenshot({ path: test.info().outputPath("notice-desktop.png") });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath("notice-phone.png") });
  await page.setViewportSize({ width: 1280, height: 720 });

  // And by email, once, in the merchant's language, with the way to the invoice.
  const told = await waitForEmailTo(owner, new RegExp(`^Invoice ${number} opened by Chiara Neri$`));
  expect(told.text).toContain(`Chiara Neri opened invoice ${number} on`);
  expect(told.text).toMatch(/\/invoices\/\d+/);

  // Escape dismisses the notice.
  await page.keyboard.press("Escape");
  await expect(notice).toHaveCount(0);

  // The customer comes back: no second notice, no second email.
  await customer.reload();
  await expect(customer.getByRole("heading", { name: `Fattura ${number}` })).toBeVisible();
  await customer.mouse.wheel(0, 300);
  await customer.waitForTimeout(5_000);
  await expect(notice).toHaveCount(0);
  const toldAbout = (await emailsTo(owner)).filter((message) => message.subject.includes(`Invoice ${number} opened`));
  expect(toldAbout).toHaveLength(1);
});
