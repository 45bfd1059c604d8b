import { defineConfig, devices } from "@playwright/test";

// the tests give each copy of this project a free port in place of this one
const PORT = 47391;

export default defineConfig({
  testDir: "./tests",
  retries: 1,
  use: { baseURL: `http://127.0.0.1:${PORT}`, actionTimeout: 5000 },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: {
    command: `node server.js ${PORT}`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
  },
});
