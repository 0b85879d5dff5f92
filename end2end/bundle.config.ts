import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The admin's bundle and time-to-interactive benchmark of `make bench`
// (`node end2end/bench-admin.mjs`): the same stack and browser as the
// end-to-end tests, its own folder, more time.
export default defineConfig({
  ...base,
  testDir: "./bundle",
  timeout: 1_200_000,
  projects: undefined,
});
