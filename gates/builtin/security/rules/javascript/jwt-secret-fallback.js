// semgrep test target for jwt-secret-fallback (plain JavaScript)
// ruleid: jwt-secret-fallback
const { JWT_SECRET = "changeme", PORT = "3000" } = process.env;

module.exports = {
  // ruleid: jwt-secret-fallback
  secret: process.env.APP_SECRET ? process.env.APP_SECRET : "fallback",
  // ok: jwt-secret-fallback
  apiBase: process.env.API_BASE_URL || "http://localhost:8000",
  JWT_SECRET,
  PORT,
};
