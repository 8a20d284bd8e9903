// Tiny HTTP server for pods: `node http-server.mjs PORT` answers every request with 200 and a short body, v4+v6.
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? 8080);
createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`flowlens test server: ${req.method} ${req.url}\n`);
}).listen(port, "::", () => console.log(`http listening on ${port}`));
