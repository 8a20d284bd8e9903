// TCP sink for pods: `node tcp-sink.mjs PORT` reads and discards; prints "received N" per closed connection.
import { createServer } from "node:net";

const port = Number(process.argv[2] ?? 5432);
createServer((sock) => {
  let n = 0;
  sock.on("data", (d) => {
    n += d.length;
  });
  sock.on("error", () => {});
  sock.on("end", () => {
    console.log(`received ${n}`);
    sock.end("ok\n");
  });
}).listen(port, "::", () => console.log(`tcp sink on ${port}`));
