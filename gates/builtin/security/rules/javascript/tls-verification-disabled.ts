// semgrep test target for tls-verification-disabled (TypeScript)
import fs from "node:fs";
import https from "node:https";
import axios from "axios";

// --- bad --------------------------------------------------------------------

// ruleid: tls-verification-disabled
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";

const insecureAgent = new https.Agent({
  keepAlive: true,
  // ruleid: tls-verification-disabled
  rejectUnauthorized: false,
});

export const api = axios.create({
  baseURL: "https://api.example",
  // ruleid: tls-verification-disabled
  httpsAgent: new https.Agent({ rejectUnauthorized: false }),
});

export function patchGlobal() {
  // ruleid: tls-verification-disabled
  https.globalAgent.options.rejectUnauthorized = false;
}

// --- ok ---------------------------------------------------------------------

const agent = new https.Agent({
  // ok: tls-verification-disabled
  ca: fs.readFileSync("/etc/ssl/internal-ca.pem"),
  // ok: tls-verification-disabled
  rejectUnauthorized: true,
});

export const safeApi = axios.create({ baseURL: "https://api.example", httpsAgent: agent });

// ok: tls-verification-disabled
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "1";

export { insecureAgent };
