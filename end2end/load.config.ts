import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The load test of `make bench` (`node end2end/bench-load.mjs`): the same
// stack and browser as the end-to-end tests, its own folder, more time.
export default defineConfig({
  ...base,
  testDir: "./load",
  timeout: 600_000,
});
