// The customer's page under workerd, side by side with a static asset of the
// same size served by the same `wrangler dev`, with autocannon. Rounds
// alternate which goes first; prints medians and their ratio, and the
// worker's wasm size, as Markdown table rows for `make bench`.
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

async function publish(edgeUrl) {
  const fixture = JSON.parse(
    execFileSync(
      "cargo",
      ["run", "-q", "-p", "invoice", "--features", "pdf", "--example", "edge_fixture", "--", linkSigningKeys, edgeSharedSecret, String(Math.floor(Date.now() / 1000))],
      { cwd: root },
    ).toString(),
  );
  const response = await fetch(`${edgeUrl}${fixture.path}`, {
    method: "PUT",
    headers: { "x-invio-timestamp": fixture.timestamp, "x-invio-signature": fixture.signature, "content-type": "application/json" },
    body: fixture.body,
  });
  if (response.status !== 204) throw new Error(`publishing answered ${response.status}`);
  return `/i/${fixture.token}`;
}

function load(url) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, connections: CONNECTIONS, duration: SECONDS, headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0 Safari/537.36" } },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

try {
  // First the page's size, to make a static file of the same size.
  const pagePath = await withEdge(async (edgeUrl) => {
    const pagePath = await publish(edgeUrl);
    const page = await (await fetch(`${edgeUrl}${pagePath}`)).arrayBuffer();
    writeFileSync(path.join(assetsDir, "same-size.txt"), Buffer.alloc(page.byteLength, "x"));
    return pagePath;
  });

  const results = await withEdge(async (edgeUrl) => {
    const page = { rps: [], p50: [], errors: 0 };
    const asset = { rps: [], p50: [], errors: 0 };
    const record = (into, result) => {
      into.rps.push(result.requests.average);
      into.p50.push(result.latency.p50);
      into.errors += result.errors + result.non2xx;
    };
    for (let round = 0; round < ROUNDS; round++) {
      const pageFirst = round % 2 === 0;
      for (const target of pageFirst ? ["page", "asset"] : ["asset", "page"]) {
        const result = await load(`${edgeUrl}${target === "page" ? pagePath : "/same-size.txt"}`);
        record(target === "page" ? page : asset, result);
      }
    }
    return { page, asset };
  });

  const pageRps = median(results.page.rps);
  const assetRps = median(results.asset.rps);
  const wasm = readFileSync(path.join(root, "edge", "build", "index_bg.wasm"));
  const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
  console.log(
    `| customer page /i/{token} under workerd (wrangler dev), ${CONNECTIONS} connections | ${pageRps.toFixed(0)} req/s, median latency ${median(results.page.p50)} ms vs same-size static asset ${assetRps.toFixed(0)} req/s, ${median(results.asset.p50)} ms (medians of ${ROUNDS} rounds of ${SECONDS} s; errors ${results.page.errors} / ${results.asset.errors}) | ratio ${(pageRps / assetRps).toFixed(2)}, goal ≥ 0.5 |`,
  );
  console.log(
    `| worker wasm size | ${kib(wasm.length)} raw, ${kib(gzipSync(wasm, { level: 9 }).length)} gzip | goal ≤ 1024 KiB gzip |`,
  );
} finally {
  events.close();
  rmSync(stateDir, { recursive: true, force: true });
}
