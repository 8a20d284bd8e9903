// Servers for policy tests: `node servers.mjs TCP_PORTS UDP_PORTS` (comma lists, "-" for none).
// Every TCP port answers HTTP 200 naming method and path (plain connects work too); every UDP port
// echoes. Prints "ready" once all listen.
import { createSocket } from "node:dgram";
import { createServer } from "node:http";

const list = (s) => (s && s !== "-" ? s.split(",").map(Number) : []);
const [tcpPorts, udpPorts] = [list(process.argv[2]), list(process.argv[3])];

const listening = [];
for (const port of tcpPorts) {
  const srv = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`ok ${req.method} ${req.url}\n`);
    });
  });
  listening.push(new Promise((ok) => srv.listen(port, "::", ok)));
}
for (const port of udpPorts) {
  const s = createSocket("udp4");
  s.on("message", (msg, from) => s.send(msg, from.port, from.address));
  listening.push(new Promise((ok) => s.bind(port, ok)));
}
await Promise.all(listening);
console.log("ready");
