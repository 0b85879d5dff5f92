// Starts Invio's three local services: a mail catcher (maildev) behind a
// small SMTP front, the server (admin + API) and the edge worker under
// `wrangler dev`, and a stand-in for the AEAT (VERI*FACTU). `make run` runs
// this file; the Playwright suite imports
// startStack() to get its own stack on free ports.
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";

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

export async function waitFor(url, what, child, timeoutMs = 90_000) {
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

export function stopAll(children) {
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
 * Starts the built worker under `wrangler dev` (local workerd, KV and Queue)
 * without waiting for it; `assetsDir`, when given, is served as static assets.
 */
export function startEdge({ port, inspectorPort, stateDir, serverUrl, linkSigningKeys, edgeSharedSecret, assetsDir, log = () => {} }) {
  const args = [
    "dev",
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--inspector-port", String(inspectorPort),
    "--persist-to", path.join(stateDir, "wrangler"),
    "--var", `SERVER_URL:${serverUrl}`,
    "--var", `LINK_SIGNING_KEYS:${linkSigningKeys}`,
    "--var", `EDGE_SHARED_SECRET:${edgeSharedSecret}`,
    "--log-level", "warn",
  ];
  if (assetsDir) args.push("--assets", assetsDir);
  return start("edge", bin("wrangler"), args, {
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
  }, log);
}

// Mailboxes at this domain are refused with 550, as a real server refuses an
// unknown mailbox: send to one to see a failed email and its notices.
export const REFUSED_DOMAIN = "refused.example";

// The SMTP server the Invio server talks to: it refuses REFUSED_DOMAIN at
// RCPT TO and hands everything else to the catcher, answering only once the
// catcher has it.
function startMailFront(port, catcherPort) {
  const catcher = nodemailer.createTransport({ host: "127.0.0.1", port: catcherPort, ignoreTLS: true, pool: true });
  const server = new SMTPServer({
    banner: "Invio local mail",
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.toLowerCase().endsWith(`@${REFUSED_DOMAIN}`)) {
        const error = new Error(`5.1.1 <${address.address}>: mailbox unavailable`);
        error.responseCode = 550;
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks = [];
      stream.on("data", (chunk) => chunks.push(chunk));
      stream.on("end", () => {
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
        };
        catcher.sendMail({ envelope, raw: Buffer.concat(chunks) }).then(
          () => callback(),
          () => {
            const error = new Error("4.4.1 the mail catcher is not answering; try again later");
            error.responseCode = 451;
            callback(error);
          },
        );
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
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
  let mailFront;
  let aeat;
  let startServer;
  let serverStarting;
  try {
    const catcherPort = await freePort();
    services.mail = start(
      "mail",
      bin("maildev"),
      ["--ip", "127.0.0.1", "--smtp", String(catcherPort), "--web", String(inboxPort), "--silent"],
      { cwd: root },
      log,
    );
    children.push(services.mail);
    mailFront = await startMailFront(smtpPort, catcherPort);

    // The stand-in for the AEAT (server/examples/aeat_stand_in.rs): HTTPS
    // requiring a certificate of its own test CA, which the server trusts
    // and whose merchant certificates it writes into stateDir/aeat.
    const aeatBinary = path.join(targetDir, "debug", "examples", "aeat_stand_in");
    if (!existsSync(aeatBinary)) throw new Error(`${aeatBinary} is missing: run \`make build\` first`);
    const aeatPort = await freePort();
    const aeatControlPort = await freePort();
    const aeatDir = path.join(stateDir, "aeat");
    services.aeat = start("aeat", aeatBinary, [String(aeatPort), String(aeatControlPort), aeatDir], { cwd: root }, log);
    children.push(services.aeat);
    const aeatControlUrl = `http://127.0.0.1:${aeatControlPort}`;
    await waitFor(`${aeatControlUrl}/records`, "the AEAT stand-in", services.aeat);
    aeat = { controlUrl: aeatControlUrl, dir: aeatDir };

    // `make bench` runs the release build (INVIO_SERVER_PROFILE=release).
    const builtBinary = path.join(targetDir, process.env.INVIO_SERVER_PROFILE || "debug", "server");
    if (!existsSync(builtBinary)) throw new Error(`${builtBinary} is missing: run \`make build\` first`);
    // The stack runs its own copy: any cargo build in the shared target
    // directory (a test run, another checkout) replaces the built binary, and
    // a server restarted mid-run must be the one the run started with.
    const serverBinary = path.join(stateDir, "server");
    copyFileSync(builtBinary, serverBinary);
    chmodSync(serverBinary, 0o755);
    const serverEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      EDGE_URL: edgeUrl,
      ADMIN_URL: adminUrl,
      LINK_SIGNING_KEYS: linkSigningKeys,
      EDGE_SHARED_SECRET: edgeSharedSecret,
      LEPTOS_OUTPUT_NAME: "invio",
      LEPTOS_SITE_ROOT: path.join(root, "target", "site"),
      LEPTOS_SITE_PKG_DIR: "pkg",
      LEPTOS_SITE_ADDR: `127.0.0.1:${adminPort}`,
      LEPTOS_RELOAD_PORT: String(await freePort()),
      VERIFACTU_ENDPOINT: `https://127.0.0.1:${aeatPort}/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP`,
      VERIFACTU_ROOT_CERTIFICATES: path.join(aeatDir, "aeat-ca.pem"),
      // The producer a Spanish store's records declare; an operator sets its own.
      VERIFACTU_PRODUCER_NAME: process.env.VERIFACTU_PRODUCER_NAME || "Invio (local)",
      VERIFACTU_PRODUCER_NIF: process.env.VERIFACTU_PRODUCER_NIF || "B10000008",
    };
    startServer = async () => {
      services.server = start("server", serverBinary, [], { cwd: root, env: serverEnv }, log);
      children.push(services.server);
      await waitFor(`${adminUrl}/`, "the server", services.server);
    };
    serverStarting = startServer();

    services.edge = startEdge({
      port: edgePort,
      inspectorPort: await freePort(),
      stateDir,
      serverUrl: adminUrl,
      linkSigningKeys,
      edgeSharedSecret,
      log,
    });
    children.push(services.edge);

    await Promise.all([
      waitFor(inboxUrl, "the mail catcher", services.mail),
      serverStarting,
      waitFor(`${edgeUrl}/assets/customer.css`, "the edge", services.edge),
    ]);
  } catch (error) {
    mailFront?.close();
    stopAll(children);
    throw error;
  }
  const stop = () => {
    mailFront.close();
    stopAll(children);
  };
  // For fault tests: the server killed as a crash would, then started again
  // on the same database.
  const stopServer = () =>
    new Promise((resolve) => {
      if (services.server.exitCode !== null) return resolve();
      services.server.once("exit", () => resolve());
      process.kill(-services.server.pid, "SIGKILL");
    });
  return { adminUrl, edgeUrl, inboxUrl, smtpPort, aeat, services, stop, stopServer, startServer };
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
  Mail inbox  ${stack.inboxUrl}   (addresses @${REFUSED_DOMAIN} are refused, to try failures)
  AEAT        a stand-in; certificates to upload in ${stack.aeat.dir} (password invio-e2e)
Press Ctrl-C to stop them all.
`);
  const shutdown = () => {
    stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
