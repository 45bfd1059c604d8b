// The tool-library API: list the tools, lend one.
import { Router } from "./http";

export interface Tool {
  id: number;
  name: string;
  lentTo: string | null;
}

const tools: Tool[] = [
  { id: 1, name: "drill", lentTo: null },
  { id: 2, name: "ladder", lentTo: null },
];

export const router = new Router();

router.get("/tools", (_req, res) => {
  res.status(200).json(tools);
});

router.post("/tools/lend", (req, res) => {
  const { id, who } = req.body as { id: number; who: string };
  const tool = tools.find((t) => t.id === id);
  if (!tool || tool.lentTo !== null) {
    res.status(409).json({ error: "not available" });
    return;
  }
  tool.lentTo = who;
  res.status(200).json(tool);
});
