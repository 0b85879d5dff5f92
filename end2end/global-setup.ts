import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
  process.env.ADMIN_URL = stack.adminUrl;
  process.env.EDGE_URL = stack.edgeUrl;
  process.env.INBOX_URL = stack.inboxUrl;
  writeFileSync(path.join(stateDir, "urls.json"), JSON.stringify(stack));
  return async () => {
    stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
}
