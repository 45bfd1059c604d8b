// semgrep test target for jwt-secret-fallback (TypeScript)
import jwt from "jsonwebtoken";

// --- bad --------------------------------------------------------------------

// ruleid: jwt-secret-fallback
const JWT_SECRET = process.env.JWT_SECRET || "dev-secret";
// ruleid: jwt-secret-fallback
const sessionSecret = process.env.SESSION_SECRET ?? "keyboard cat";
// ruleid: jwt-secret-fallback
const webhookSecret = process.env["STRIPE_WEBHOOK_SECRET"] || "whsec_test";

export function sign(userId: string): string {
  // ruleid: jwt-secret-fallback
  return jwt.sign({ sub: userId }, process.env.JWT_SECRET || "x", { expiresIn: "1h" });
}

// --- ok ---------------------------------------------------------------------

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

// ok: jwt-secret-fallback
const secret = requireEnv("JWT_SECRET");
// ok: jwt-secret-fallback
const algorithm = process.env.JWT_ALGORITHM || "HS256";
// ok: jwt-secret-fallback
const expiresIn = process.env.JWT_EXPIRES_IN ?? "1h";
// ok: jwt-secret-fallback
const port = Number(process.env.PORT || "3000");

export { JWT_SECRET, sessionSecret, webhookSecret, secret, algorithm, expiresIn, port };
