// A small Express-style router: handlers take a request and a response.
export interface Request {
  method: string;
  path: string;
  params: Record<string, string>;
  body: unknown;
}

export interface Response {
  status(code: number): Response;
  json(body: unknown): void;
}

export type Handler = (req: Request, res: Response) => void;

export class Router {
  private routes: { method: string; path: string; handler: Handler }[] = [];

  get(path: string, handler: Handler): void {
    this.routes.push({ method: "GET", path, handler });
  }

  post(path: string, handler: Handler): void {
    this.routes.push({ method: "POST", path, handler });
  }

  handle(req: Request, res: Response): boolean {
    const route = this.routes.find((r) => r.method === req.method && r.path === req.path);
    if (!route) {
      return false;
    }
    route.handler(req, res);
    return true;
  }
}
