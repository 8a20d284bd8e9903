// DNS-like UDP client for pods: `node udp-query.mjs HOST PORT [PAYLOAD]` sends one datagram, prints the reply.
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";

const [host, port, payload] = [process.argv[2], Number(process.argv[3]), process.argv[4] ?? "query example.flowlens A"];
const sock = createSocket(isIPv6(host) ? "udp6" : "udp4");
const timer = setTimeout(() => {
  console.error(`udp-query: no reply from ${host}:${port} within 2 s`);
  process.exit(2);
}, 2000);
sock.on("message", (msg) => {
  clearTimeout(timer);
  console.log(msg.toString());
  sock.close();
});
sock.send(payload, port, host);
