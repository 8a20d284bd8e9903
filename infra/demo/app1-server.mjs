// app1 of the founding example: `node app1-server.mjs [PORT]` serves GET/POST /public and /restricted
// over HTTP/1.1 keep-alive (v4 and v6), 404 for anything else.
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? 80);
const pages = { "/public": "public data\n", "/restricted": "restricted data: only for trusted callers\n" };
createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    const body = pages[req.url ?? ""];
    res.writeHead(body ? 200 : 404, { "content-type": "text/plain" });
    res.end(body ?? "not found\n");
  });
})
  .listen(port, "::", () => console.log(`app1 listening on ${port}`))
  .on("error", (e) => {
    console.error(`app1-server: ${e.message}`);
    process.exit(1);
  });
