// semgrep test target for tls-verification-disabled (plain JavaScript)
const tls = require("tls");
const request = require("request");

// ruleid: tls-verification-disabled
process.env["NODE_TLS_REJECT_UNAUTHORIZED"] = 0;

function connect(host) {
  // ruleid: tls-verification-disabled
  return tls.connect({ host, port: 443, rejectUnauthorized: false });
}

function legacy(url, cb) {
  // ruleid: tls-verification-disabled
  request({ url, strictSSL: false }, cb);
}

function connectOk(host, ca) {
  // ok: tls-verification-disabled
  return tls.connect({ host, port: 443, ca, servername: host });
}

module.exports = { connect, legacy, connectOk };
