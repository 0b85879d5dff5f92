import { expect, test } from "@playwright/test";
import { addCustomer, adminUrl, issueInvoice, signUp, uniqueAddress, waitForHydration } from "./support";

// The admin's Content-Security-Policy allows only the scripts Leptos renders
// with the response's nonce and the wasm they load: every page must still
// hydrate and work, with no violation reported by the browser.
test("the admin hydrates and works under its Content-Security-Policy, and nothing breaks it", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`Content-Security-Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });

  const response = await page.goto(`${adminUrl()}/login`);
  const headers = response!.headers();
  expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
  // Served over plain http here: no HSTS.
  expect(headers["strict-transport-security"]).toBeUndefined();

  await signUp(page);
  const email = uniqueAddress("carla");
  await addCustomer(page, "Carla Neri", email, "it");
  await issueInvoice(page, "Carla Neri", "Consulenza", "90");
  // The send dialog, with the email's preview in its sandboxed frame.
  await page.getByRole("link", { name: "Send via email" }).click();
  await waitForHydration(page);
  await page.getByLabel("Message").fill("Grazie!");
  for (const path of ["/invoices", "/customers", "/stores", "/team", "/account"]) {
    await page.goto(`${adminUrl()}${path}`);
    await waitForHydration(page);
  }
  expect(violations).toEqual([]);
});
