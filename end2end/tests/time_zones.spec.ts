import { expect, test, type Browser } from "@playwright/test";
import { addCustomer, adminUrl, issueInvoice, linkIn, signUp, uniqueAddress, waitForEmailTo, waitForHydration } from "./support";

const CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

// A customer's browser (not reporting automation) in Tokyo.
async function customerInTokyo(browser: Browser) {
  const context = await browser.newContext({ userAgent: CHROME, timezoneId: "Asia/Tokyo", locale: "ja-JP" });
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, "webdriver", { get: () => false });
  });
  return context.newPage();
}

// "HH:MM" of a UTC instant in Tokyo (UTC+9 all year).
function tokyoTime(datetime: string): string {
  const tokyo = new Date(new Date(datetime).getTime() + 9 * 3_600_000);
  return `${String(tokyo.getUTCHours()).padStart(2, "0")}:${String(tokyo.getUTCMinutes()).padStart(2, "0")}`;
}

test("the merchant reads times in the store's zone and the customer in their own, their views folded", async ({
  page,
  browser,
}) => {
  await signUp(page);

  // The store of an English sign-up starts in London; the merchant moves it.
  await page.goto(`${adminUrl()}/stores`);
  await page.getByRole("link", { name: "Bottega Rossi", exact: true }).click();
  await waitForHydration(page);
  const zone = page.getByLabel("Time zone");
  await expect(zone).toHaveValue("Europe/London");
  await zone.selectOption("America/New_York");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByLabel("Time zone")).toHaveValue("America/New_York");
  await page.screenshot({ path: test.info().outputPath("store-desktop.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath("store-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  // A new store's zone follows its language until the merchant picks one.
  await page.goto(`${adminUrl()}/stores/new`);
  await waitForHydration(page);
  await expect(page.getByLabel("Time zone")).toHaveValue("Europe/London");
  await page.getByLabel("Default language").selectOption("it");
  await expect(page.getByLabel("Time zone")).toHaveValue("Europe/Rome");
  await page.getByLabel("Time zone").selectOption("America/Lima");
  await page.getByLabel("Default language").selectOption("es");
  await expect(page.getByLabel("Time zone")).toHaveValue("America/Lima");

  const email = uniqueAddress("grace", "example.com");
  await addCustomer(page, "Grace Hopper", email, "en");
  const number = await issueInvoice(page, "Grace Hopper", "Compiler review", "250");
  await page.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}`, exact: true })).toBeVisible();
  const link = linkIn(await waitForEmailTo(email));

  // New York's time, with its abbreviation (EST in winter, EDT in summer).
  const newYork = /\d{2}:\d{2} E[SD]T/;
  await expect(page.locator("ol.history time").first()).toHaveText(newYork);
  await expect(page.locator("table.links td").nth(1)).toHaveText(newYork);
  await page.locator("#history").screenshot({ path: test.info().outputPath("merchant-history.png") });
  await page.goto(`${adminUrl()}/invoices`);
  await expect(page.locator(`tr[data-invoice="${number}"] time.sent`)).toHaveText(newYork, { timeout: 30_000 });

  // Without its script the customer's page shows the store's zone, and
  // carries the instant in UTC.
  await expect
    .poll(async () => (await (await fetch(link)).text()).match(/<time datetime="[^"]+Z">[^<]+E[SD]T<\/time>/) !== null, {
      timeout: 30_000,
    })
    .toBe(true);

  // Two visits, each by a person who scrolls: one line, "Opened 2 times".
  for (let visit = 0; visit < 2; visit++) {
    const customer = await customerInTokyo(browser);
    await customer.goto(link);
    await customer.mouse.wheel(0, 300);
    await expect(customer.getByRole("heading", { name: `Invoice ${number}` })).toBeVisible();
    await customer.waitForTimeout(2_000);
    await customer.context().close();
  }
  await expect
    .poll(async () => (await (await fetch(link)).text()).includes("Opened 2 times, last on"), { timeout: 60_000 })
    .toBe(true);

  // In Tokyo, the page's script shows the times in Tokyo's time.
  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    const customer = await customerInTokyo(browser);
    await customer.setViewportSize(viewport);
    await customer.goto(link);
    const history = customer.locator(".history");
    await expect(history).toContainText(/Opened \d+ times, last on/);
    const times = history.locator("time[datetime]");
    expect(await times.count()).toBeGreaterThanOrEqual(3);
    for (const time of await times.all()) {
      const datetime = (await time.getAttribute("datetime"))!;
      await expect(time).toContainText(tokyoTime(datetime));
      await expect(time).toContainText(/GMT\+9|JST/);
    }
    await customer.screenshot({ path: test.info().outputPath(`customer-${viewport.width}.png`), fullPage: true });
    await customer.context().close();
  }
});
