// Test server for pods that resolves paths the lenient way many servers do: %-escapes decoded
// (%2e, %2F, %5C too), "\" read as "/", slashes merged, dot segments resolved, absolute-form
// targets reduced to their path. `node normalizing-server.mjs PORT` answers /restricted with
// RESTRICTED-BODY and anything else with JSON {method, url (as received), path (as resolved), bodyLength}.
import { createServer } from "node:http";
import { posix } from "node:path";

const port = Number(process.argv[2] ?? 80);

function resolvePath(url) {
  let p = url.replace(/^[a-z]+:\/\/[^/]*/i, "").split("?")[0];
  try {
    p = decodeURIComponent(p);
  } catch {
    // a malformed escape stays as it is
  }
  return posix.normalize(p.replace(/\\/g, "/").replace(/\/+/g, "/"));
}

createServer((req, res) => {
  let length = 0;
  req.on("data", (d) => {
    length += d.length;
  });
  req.on("end", () => {
    const path = resolvePath(req.url ?? "");
    if (path === "/restricted") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("RESTRICTED-BODY");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ method: req.method, url: req.url, path, bodyLength: length }));
  });
}).listen(port, "::", () => console.log(`normalizing server listening on ${port}`));
