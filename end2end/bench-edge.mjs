// The customer's page under workerd, side by side with a static asset of the
// same size served by the same `wrangler dev`, with autocannon. Rounds
// alternate which goes first; prints medians and their ratio, and the
// worker's wasm size, as Markdown table rows for `make bench`.
//
// The page is measured twice: one link opened again and again (a visit's
// reloads and downloads: the isolate has the link's record), and many links
// each opened once in turn, more than the isolate keeps within its cache
// time, so every view reads KV.
//
// `node end2end/bench-edge.mjs` after `make build-edge`.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import autocannon from "autocannon";
import { freePort, startEdge, stopAll, waitFor } from "./stack.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROUNDS = 5;
const SECONDS = 5;
const CONNECTIONS = 10;
// Each cold round views ~1,500 links and continues where the last stopped, so
// a link comes back only after more than the isolate's 10 s cache time.
const COLD_LINKS = 5_000;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// The server's side of the events: a sink that accepts every batch, so the
// worker's work per view is what it is in production.
const events = http.createServer((request, response) => {
  request.resume();
  request.on("end", () => response.writeHead(204).end());
});
await new Promise((resolve) => events.listen(0, "127.0.0.1", resolve));
const serverUrl = `http://127.0.0.1:${events.address().port}`;

const stateDir = mkdtempSync(path.join(tmpdir(), "invio-bench-edge-"));
const assetsDir = path.join(stateDir, "assets");
mkdirSync(assetsDir);
const linkSigningKeys = `1:${randomBytes(32).toString("base64url")}`;
const edgeSharedSecret = randomBytes(32).toString("hex");

async function withEdge(run) {
  const port = await freePort();
  const edge = startEdge({
    port,
    inspectorPort: await freePort(),
    stateDir,
    serverUrl,
    linkSigningKeys,
    edgeSharedSecret,
    assetsDir,
  });
  try {
    const edgeUrl = `http://127.0.0.1:${port}`;
    await waitFor(`${edgeUrl}/assets/customer.css`, "the edge", edge);
    return await run(edgeUrl);
  } finally {
    stopAll([edge]);
    await new Promise((resolve) => (edge.exitCode !== null ? resolve() : edge.once("exit", resolve)));
  }
}

async function publish(edgeUrl, links) {
  const fixture = JSON.parse(
    execFileSync(
      "cargo",
      ["run", "-q", "-p", "invoice", "--features", "pdf", "--example", "edge_fixture", "--", linkSigningKeys, edgeSharedSecret, String(Math.floor(Date.now() / 1000)), String(links)],
      { cwd: root, maxBuffer: 64 * 1024 * 1024 },
    ).toString(),
  );
  const response = await fetch(`${edgeUrl}${fixture.path}`, {
    method: "PUT",
    headers: { "x-invio-timestamp": fixture.timestamp, "x-invio-signature": fixture.signature, "content-type": "application/json" },
    body: fixture.body,
  });
  if (response.status !== 204) throw new Error(`publishing answered ${response.status}`);
  return fixture.tokens.map((token) => `/i/${token}`);
}

// Loads the paths in turn, from `start` on; returns the result and where the
// next run should start, so no path is repeated within the cache time.
function load(edgeUrl, paths, start = 0) {
  let next = start;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: edgeUrl,
        connections: CONNECTIONS,
        duration: SECONDS,
        headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0 Safari/537.36" },
        requests: [{ setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] }) }],
      },
      (error, result) => (error ? reject(error) : resolve({ result, next })),
    );
  });
}

try {
  // First the page's size, to make a static file of the same size.
  const { hotPaths, coldPaths } = await withEdge(async (edgeUrl) => {
    const hotPaths = await publish(edgeUrl, 1);
    const coldPaths = await publish(edgeUrl, COLD_LINKS);
    const page = await (await fetch(`${edgeUrl}${hotPaths[0]}`)).arrayBuffer();
    writeFileSync(path.join(assetsDir, "same-size.txt"), Buffer.alloc(page.byteLength, "x"));
    return { hotPaths, coldPaths };
  });

  const results = await withEdge(async (edgeUrl) => {
    const targets = {
      hot: { paths: hotPaths, rps: [], p50: [], errors: 0, next: 0 },
      cold: { paths: coldPaths, rps: [], p50: [], errors: 0, next: 0 },
      asset: { paths: ["/same-size.txt"], rps: [], p50: [], errors: 0, next: 0 },
    };
    const order = Object.keys(targets);
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with a different target, so none always runs first.
      for (const name of [...order.slice(round % 3), ...order.slice(0, round % 3)]) {
        const target = targets[name];
        const { result, next } = await load(edgeUrl, target.paths, target.next);
        target.next = next;
        target.rps.push(result.requests.average);
        target.p50.push(result.latency.p50);
        target.errors += result.errors + result.non2xx;
      }
    }
    return targets;
  });

  const assetRps = median(results.asset.rps);
  const row = (label, target) => {
    const rps = median(target.rps);
    console.log(
      `| customer page /i/{token} under workerd (wrangler dev), ${CONNECTIONS} connections, ${label} | ${rps.toFixed(0)} req/s, median latency ${median(target.p50)} ms vs same-size static asset ${assetRps.toFixed(0)} req/s, ${median(results.asset.p50)} ms (medians of ${ROUNDS} rounds of ${SECONDS} s; errors ${target.errors} / ${results.asset.errors}) | ratio ${(rps / assetRps).toFixed(2)}, goal ≥ 0.5 |`,
    );
  };
  row("one link viewed again and again (record in the isolate)", results.hot);
  row(`${COLD_LINKS.toLocaleString("en")} links in turn (every view reads KV)`, results.cold);
  const wasm = readFileSync(path.join(root, "edge", "build", "index_bg.wasm"));
  const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
  console.log(
    `| worker wasm size | ${kib(wasm.length)} raw, ${kib(gzipSync(wasm, { level: 9 }).length)} gzip | goal ≤ 1024 KiB gzip |`,
  );
} finally {
  events.close();
  rmSync(stateDir, { recursive: true, force: true });
}
