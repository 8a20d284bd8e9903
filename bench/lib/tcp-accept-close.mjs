// TCP server for the connection-rate bench: `node tcp-accept-close.mjs PORT` accepts and closes at once
// (the server sends the first FIN; connect-rate.mjs answers it with a reset), v4 and v6.
import { createServer } from "node:net";

const port = Number(process.argv[2] ?? 7000);
createServer((s) => {
  s.on("error", () => {});
  s.end();
})
  .listen({ port, host: "::", backlog: 4096 }, () => console.log(`accept-close listening on ${port}`))
  .on("error", (e) => {
    console.error(`tcp-accept-close: ${e.message}`);
    process.exit(1);
  });
