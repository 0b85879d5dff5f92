// `make bench`'s admin rows: the wasm and JavaScript each admin page loads
// on first load, and the time to interactive of the invoice list under
// Chrome's "Slow 4G", each beside the admin before islands (the baseline
// build, BENCH_BASELINE_DIR: its `server` and `site/`, made by
// .ci/bench-baseline.sh). Printed as Markdown rows; the measuring is in
// bundle/admin.spec.ts.
//
// `cargo leptos build --release --precompress --split && .ci/bench-baseline.sh &&
//  INVIO_SERVER_PROFILE=release BENCH_BASELINE_DIR=… node end2end/bench-admin.mjs`
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const run = spawnSync(path.join(here, "node_modules", ".bin", "playwright"), ["test", "--config", "bundle.config.ts"], {
  cwd: here,
  stdio: "inherit",
});
process.exit(run.status ?? 1);
