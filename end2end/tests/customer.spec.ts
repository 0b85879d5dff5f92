import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import {
  addCustomer,
  customerPage,
  edgeUrl,
  issueInvoice,
  linkIn,
  signUp,
  uniqueAddress,
  waitForEmailTo,
  waitForHydration,
} from "./support";

async function expectNoAccessibilityViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);
}

test("the customer's page is accessible on a desktop and a phone and asks nothing of third parties", async ({
  page,
  browser,
}) => {
  await signUp(page);
  const email = uniqueAddress("giorgio");
  await addCustomer(page, "Giorgio Bianchi", email, "it");
  const number = await issueInvoice(page, "Giorgio Bianchi", "Riparazione caldaia", "180");
  await page.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
  const link = linkIn(await waitForEmailTo(email));
  // The history reaches the edge moments after the email leaves; check it too.
  await expect
    .poll(async () => (await (await fetch(link, { method: "GET" })).text()).includes("Cronologia"), {
      timeout: 30_000,
    })
    .toBe(true);

  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    const customer = await customerPage(browser);
    await customer.setViewportSize(viewport);
    const origins = new Set<string>();
    customer.on("request", (request) => origins.add(new URL(request.url()).origin));
    await customer.goto(link);
    await expect(customer.getByRole("heading", { name: `Fattura ${number}` })).toBeVisible();
    await customer.mouse.wheel(0, 200);
    await expect(customer.locator(".history")).toContainText("Inviata");
    await expectNoAccessibilityViolations(customer);
    // Nothing leaves for anyone else: no fonts, analytics or trackers.
    expect([...origins]).toEqual([new URL(edgeUrl()).origin]);
    // The layout fits the screen: nothing scrolls sideways.
    const overflow = await customer.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await customer.context().close();
  }

  const lost = await customerPage(browser);
  await lost.goto(`${edgeUrl()}/i/${"B".repeat(44)}`);
  await expectNoAccessibilityViolations(lost);
});
