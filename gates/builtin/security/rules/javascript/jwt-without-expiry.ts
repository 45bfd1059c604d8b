// semgrep test target for jwt-without-expiry (TypeScript)
import { SignJWT } from "jose";
import jwt from "jsonwebtoken";

const secret = process.env.JWT_SECRET as string;
const key = new TextEncoder().encode(secret);

// --- bad --------------------------------------------------------------------

export function issue(userId: string): string {
  // ruleid: jwt-without-expiry
  return jwt.sign({ sub: userId, role: "user" }, secret);
}

export function issueHs(userId: string): string {
  // ruleid: jwt-without-expiry
  return jwt.sign({ sub: userId }, secret, { algorithm: "HS256" });
}

export async function issueJose(userId: string): Promise<string> {
  // ruleid: jwt-without-expiry
  return new SignJWT({ sub: userId }).setProtectedHeader({ alg: "HS256" }).sign(key);
}

// --- ok ---------------------------------------------------------------------

export function issueOk(userId: string): string {
  // ok: jwt-without-expiry
  return jwt.sign({ sub: userId }, secret, { algorithm: "HS256", expiresIn: "15m" });
}

export function issueExp(userId: string): string {
  // ok: jwt-without-expiry
  return jwt.sign({ sub: userId, exp: Math.floor(Date.now() / 1000) + 900 }, secret);
}

export async function issueJoseOk(userId: string): Promise<string> {
  // ok: jwt-without-expiry
  return new SignJWT({ sub: userId })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime("15m")
    .sign(key);
}

export function resign(payload: object, options: jwt.SignOptions): string {
  // ok: jwt-without-expiry
  return jwt.sign(payload, secret, options);
}
