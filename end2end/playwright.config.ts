import { defineConfig } from "@playwright/test";

// Debian's Chromium, never a downloaded browser. The flags keep it quiet on a
// closed network and let it run as root.
export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  // Journeys that share nothing run two files at a time; the two that stop
  // the server (tracking, faults) and the one that takes the stand-in AEAT
  // down (verifactu) run after them, one at a time, alone.
  workers: 2,
  projects: [
    { name: "journeys", testIgnore: /(tracking|faults|verifactu)\.spec\.ts/ },
    { name: "tracking", testMatch: /tracking\.spec\.ts/, dependencies: ["journeys"] },
    { name: "aeat", testMatch: /verifactu\.spec\.ts/, dependencies: ["tracking"] },
    { name: "faults", testMatch: /faults\.spec\.ts/, dependencies: ["aeat"] },
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
