// semgrep test target for jwt-unverified-decode (TypeScript)
import { NextFunction, Request, Response } from "express";
import jwt from "jsonwebtoken";

const secret = process.env.JWT_SECRET as string;

// --- bad --------------------------------------------------------------------

export function requireUser(req: Request, res: Response, next: NextFunction) {
  const token = (req.headers.authorization ?? "").replace("Bearer ", "");
  // ruleid: jwt-unverified-decode
  const claims = jwt.decode(token) as { sub: string } | null;
  if (!claims) {
    res.sendStatus(401);
    return;
  }
  (req as any).userId = claims.sub;
  next();
}

export function requireAdmin(req: Request, res: Response, next: NextFunction) {
  const token = (req.headers.authorization ?? "").replace("Bearer ", "");
  // ruleid: jwt-unverified-decode
  const claims = jwt.verify(token, secret, { algorithms: ["HS256", "none"] }) as jwt.JwtPayload;
  if (claims.role !== "admin") {
    res.sendStatus(403);
    return;
  }
  next();
}

// --- ok ---------------------------------------------------------------------

export function requireUserOk(req: Request, res: Response, next: NextFunction) {
  const token = (req.headers.authorization ?? "").replace("Bearer ", "");
  try {
    // ok: jwt-unverified-decode
    const claims = jwt.verify(token, secret, { algorithms: ["HS256"] }) as jwt.JwtPayload;
    (req as any).userId = claims.sub;
    next();
  } catch {
    res.sendStatus(401);
  }
}

export function verifyWithKid(token: string, keys: Record<string, string>) {
  // ok: jwt-unverified-decode
  const header = jwt.decode(token, { complete: true })?.header;
  const key = keys[header?.kid ?? ""];
  return jwt.verify(token, key, { algorithms: ["RS256"] });
}
