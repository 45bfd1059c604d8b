// A page with one button, served on the port given as the first argument.
const http = require("http");
const fs = require("fs");
const path = require("path");

const port = Number(process.argv[2] || 47391);
const page = fs.readFileSync(path.join(__dirname, "public", "index.html"));

http.createServer((req, res) => {
  if (req.url === "/" || req.url === "/index.html") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(page);
  } else {
    res.writeHead(404);
    res.end("not found");
  }
}).listen(port, "127.0.0.1");
