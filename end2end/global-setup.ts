import { randomBytes } from "node:crypto";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
// @ts-expect-error: a plain ES module without type declarations
import { startStack } from "./stack.mjs";

// One stack for the whole run, on free ports, with fresh secrets and an empty
// database; its URLs reach the tests through environment variables.
export default async function globalSetup() {
  const stateDir = mkdtempSync(path.join(tmpdir(), "invio-e2e-"));
  const stack = await startStack({
    databaseUrl: `sqlite://${stateDir}/invio.db`,
    stateDir,
    linkSigningKeys: `1:${randomBytes(32).toString("base64url")}`,
    edgeSharedSecret: randomBytes(32).toString("hex"),
    log: (line: string) => {
      if (process.env.E2E_VERBOSE) console.log(line);
    },
  });
  // Tests run in other processes: they stop and start the server through
  // this small control endpoint (POST /server/stop, POST /server/start).
  const control = http.createServer((request, response) => {
    const action = request.method === "POST" ? { "/server/stop": stack.stopServer, "/server/start": stack.startServer }[request.url ?? ""] : undefined;
    if (!action) {
      response.writeHead(404).end();
      return;
    }
    action().then(
      () => response.writeHead(204).end(),
      (error: Error) => response.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", () => resolve()));
  const address = control.address() as { port: number };
  process.env.ADMIN_URL = stack.adminUrl;
  process.env.EDGE_URL = stack.edgeUrl;
  process.env.INBOX_URL = stack.inboxUrl;
  // The catcher's SMTP port, for a store's PEC mailbox to send through.
  process.env.STACK_SMTP_URL = `smtp://127.0.0.1:${stack.smtpPort}`;
  process.env.STACK_CONTROL_URL = `http://127.0.0.1:${address.port}`;
  process.env.STACK_STATE_DIR = stateDir;
  // The AEAT stand-in's control port (POST /availability/…, POST /wait/…, GET /records).
  process.env.STACK_AEAT_CONTROL_URL = stack.aeat.controlUrl;
  return async () => {
    control.close();
    stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
}
