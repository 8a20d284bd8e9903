// Test server for pods: `node echo-server.mjs PORT` answers every request with JSON describing what
// arrived (method, url, raw headers, body length and sha256, peer address), on IPv4 and IPv6.
import { createHash } from "node:crypto";
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? 80);
createServer((req, res) => {
  const hash = createHash("sha256");
  let length = 0;
  req.on("data", (d) => {
    hash.update(d);
    length += d.length;
  });
  req.on("end", () => {
    const body = JSON.stringify({
      method: req.method,
      url: req.url,
      rawHeaders: req.rawHeaders,
      bodyLength: length,
      bodySha256: hash.digest("hex"),
      remote: req.socket.remoteAddress,
    });
    res.writeHead(200, { "content-type": "application/json", "X-Served-By": "echo" });
    res.end(body);
  });
}).listen(port, "::", () => console.log(`echo listening on ${port}`));
