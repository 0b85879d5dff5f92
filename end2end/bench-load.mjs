// `make bench`'s load test: wrk against the real stack (release server,
// the built worker under wrangler dev, SQLite), printed as Markdown rows.
// The journey and the counting are in load/load.spec.ts.
//
// `make build && node end2end/bench-load.mjs` (the release server:
// `cargo leptos build --release` and INVIO_SERVER_PROFILE=release).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const run = spawnSync(path.join(here, "node_modules", ".bin", "playwright"), ["test", "--config", "load.config.ts"], {
  cwd: here,
  stdio: "inherit",
});
process.exit(run.status ?? 1);
