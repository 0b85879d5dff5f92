import { defineConfig } from "@playwright/test";

// Debian's Chromium, never a downloaded browser. The flags keep it quiet on a
// closed network and let it run as root.
export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  // Journeys that share nothing run two files at a time; the two that stop
  // the server (tracking, faults) run after them, one at a time, alone.
  workers: 2,
  projects: [
    { name: "journeys", testIgnore: /(tracking|faults)\.spec\.ts/ },
    { name: "tracking", testMatch: /tracking\.spec\.ts/, dependencies: ["journeys"] },
    { name: "faults", testMatch: /faults\.spec\.ts/, dependencies: ["tracking"] },
  ],
  retries: 0,
  reporter: process.env.CI ? [["list"]] : [["list"]],
  globalSetup: "./global-setup.ts",
  use: {
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
});
