// semgrep test target for jwt-unverified-decode (plain JavaScript, jose)
const jose = require("jose");

async function userFromToken(token) {
  // ruleid: jwt-unverified-decode
  const claims = jose.decodeJwt(token);
  return claims.sub;
}

async function userFromTokenOk(token, key) {
  // ok: jwt-unverified-decode
  const { payload } = await jose.jwtVerify(token, key, { algorithms: ["ES256"] });
  return payload.sub;
}

module.exports = { userFromToken, userFromTokenOk };
