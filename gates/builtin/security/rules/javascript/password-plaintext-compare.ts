// semgrep test target for password-plaintext-compare (TypeScript)
import bcrypt from "bcrypt";
import express, { Request, Response } from "express";

const app = express();

interface User {
  email: string;
  password: string;
  passwordHash: string;
}

declare function findUser(email: string): Promise<User>;

// --- bad --------------------------------------------------------------------

app.post("/login", async (req: Request, res: Response) => {
  const user = await findUser(req.body.email);
  // ruleid: password-plaintext-compare
  if (user.password === req.body.password) {
    res.json({ ok: true });
    return;
  }
  res.sendStatus(401);
});

app.post("/register", async (req: Request, res: Response) => {
  const user = await findUser(req.body.email);
  // ruleid: password-plaintext-compare
  user.password = req.body.password;
  res.sendStatus(201);
});

export function check(user: User, password: string): boolean {
  // ruleid: password-plaintext-compare
  return password == user.password;
}

// --- ok ---------------------------------------------------------------------

app.post("/login-ok", async (req: Request, res: Response) => {
  const user = await findUser(req.body.email);
  // ok: password-plaintext-compare
  if (user && (await bcrypt.compare(req.body.password, user.passwordHash))) {
    res.json({ ok: true });
    return;
  }
  res.sendStatus(401);
});

app.post("/register-ok", async (req: Request, res: Response) => {
  const { password, confirmPassword } = req.body;
  // ok: password-plaintext-compare
  if (password !== confirmPassword) {
    res.status(400).json({ error: "passwords do not match" });
    return;
  }
  const user = await findUser(req.body.email);
  // ok: password-plaintext-compare
  user.passwordHash = await bcrypt.hash(password, 12);
  res.sendStatus(201);
});

export class MailClient {
  password: string;
  constructor(password: string) {
    // ok: password-plaintext-compare
    this.password = password;
  }
}
