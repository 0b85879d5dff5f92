// Starts Invio's three local services: a mail catcher (maildev), the server
// (admin + API) and the edge worker under `wrangler dev`. `make run` runs this
// file; the Playwright suite imports startStack() to get its own stack on
// free ports.
import { spawn } from "node:child_process";
import { mkdirSync, existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "end2end", "node_modules", ".bin", name);
const targetDir = process.env.CARGO_TARGET_DIR || path.join(process.env.HOME, ".cache", "invio", "target");

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url, what, child, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

function start(what, command, args, options, log) {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const prefix = `[${what}] `;
  for (const stream of [child.stdout, child.stderr]) {
    stream.on("data", (chunk) => {
      if (log) for (const line of chunk.toString().split("\n")) if (line.trim()) log(prefix + line);
    });
  }
  return child;
}

function stopAll(children) {
  for (const child of children) {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Starts the stack and resolves once every service answers.
 * @returns {{ adminUrl, edgeUrl, inboxUrl, smtpPort, stop: () => void, services }}
 */
export async function startStack({
  adminPort,
  edgePort,
  smtpPort,
  inboxPort,
  databaseUrl,
  stateDir,
  linkSigningKeys,
  edgeSharedSecret,
  log = () => {},
} = {}) {
  adminPort ??= await freePort();
  edgePort ??= await freePort();
  smtpPort ??= await freePort();
  inboxPort ??= await freePort();
  mkdirSync(stateDir, { recursive: true });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const edgeUrl = `http://127.0.0.1:${edgePort}`;
  const inboxUrl = `http://127.0.0.1:${inboxPort}`;
  const children = [];
  const services = {};
  try {
    services.mail = start(
      "mail",
      bin("maildev"),
      ["--ip", "127.0.0.1", "--smtp", String(smtpPort), "--web", String(inboxPort), "--silent"],
      { cwd: root },
      log,
    );
    children.push(services.mail);

    const serverBinary = path.join(targetDir, "debug", "server");
    if (!existsSync(serverBinary)) throw new Error(`${serverBinary} is missing: run \`make build\` first`);
    services.server = start(
      "server",
      serverBinary,
      [],
      {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
          EDGE_URL: edgeUrl,
          LINK_SIGNING_KEYS: linkSigningKeys,
          EDGE_SHARED_SECRET: edgeSharedSecret,
          LEPTOS_OUTPUT_NAME: "invio",
          LEPTOS_SITE_ROOT: path.join(root, "target", "site"),
          LEPTOS_SITE_PKG_DIR: "pkg",
          LEPTOS_SITE_ADDR: `127.0.0.1:${adminPort}`,
          LEPTOS_RELOAD_PORT: String(await freePort()),
        },
      },
      log,
    );
    children.push(services.server);

    services.edge = start(
      "edge",
      bin("wrangler"),
      [
        "dev",
        "--ip", "127.0.0.1",
        "--port", String(edgePort),
        "--inspector-port", String(await freePort()),
        "--persist-to", path.join(stateDir, "wrangler"),
        "--var", `SERVER_URL:${adminUrl}`,
        "--var", `LINK_SIGNING_KEYS:${linkSigningKeys}`,
        "--var", `EDGE_SHARED_SECRET:${edgeSharedSecret}`,
        "--log-level", "warn",
      ],
      {
        cwd: path.join(root, "edge"),
        // Offline: no metrics, no error reports, no fetch of the `cf` object.
        env: {
          ...process.env,
          CI: "true",
          WRANGLER_SEND_METRICS: "false",
          WRANGLER_SEND_ERROR_REPORTS: "false",
          WRANGLER_HIDE_BANNER: "true",
          CLOUDFLARE_CF_FETCH_ENABLED: "false",
        },
      },
      log,
    );
    children.push(services.edge);

    await Promise.all([
      waitFor(inboxUrl, "the mail catcher", services.mail),
      waitFor(`${adminUrl}/`, "the server", services.server),
      waitFor(`${edgeUrl}/assets/customer.css`, "the edge", services.edge),
    ]);
  } catch (error) {
    stopAll(children);
    throw error;
  }
  return { adminUrl, edgeUrl, inboxUrl, smtpPort, services, stop: () => stopAll(children) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = (name, fallback) => Number(process.env[name] || fallback);
  const stack = await startStack({
    adminPort: port("ADMIN_PORT", 3000),
    edgePort: port("EDGE_PORT", 8787),
    smtpPort: port("SMTP_PORT", 1025),
    inboxPort: port("INBOX_PORT", 1080),
    databaseUrl: process.env.DATABASE_URL || "sqlite://data/invio.db",
    stateDir: path.join(root, "data"),
    linkSigningKeys: process.env.LINK_SIGNING_KEYS,
    edgeSharedSecret: process.env.EDGE_SHARED_SECRET,
    log: (line) => console.log(line),
  });
  console.log(`
Invio is running:
  Admin       ${stack.adminUrl}
  Edge        ${stack.edgeUrl}   (customer links: ${stack.edgeUrl}/i/…)
  Mail inbox  ${stack.inboxUrl}
Press Ctrl-C to stop all three.
`);
  const shutdown = () => {
    stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
