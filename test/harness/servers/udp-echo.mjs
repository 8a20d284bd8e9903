// DNS-like UDP server for pods: `node udp-echo.mjs PORT` sends every datagram back to its sender, v4+v6.
import { createSocket } from "node:dgram";

const port = Number(process.argv[2] ?? 5353);
const sock = createSocket({ type: "udp6", ipv6Only: false });
sock.on("message", (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
sock.bind(port, "::", () => console.log(`udp echo on ${port}`));
