// Flow generator for a pod: UDP datagrams to HOST at RATE per second for SECONDS, each to a new
// (source port, destination port) pair so every datagram opens new flow directions.
//   node bench/lib/udp-flood.mjs HOST RATE SECONDS [SOCKETS]   -> prints "sent N"
import { createSocket } from "node:dgram";

const [host, rate, seconds, nsock] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5] ?? 16)];
const payload = Buffer.alloc(32, 0x61);
const socks = [];
for (let i = 0; i < nsock; i++) {
  const s = createSocket("udp4");
  s.on("error", () => {}); // ICMP port unreachable comes back as ECONNREFUSED on some sends
  s.bind(0);
  socks.push(s);
}
let sent = 0;
let port = 1024;
let sock = 0;
const start = Date.now();
const tick = setInterval(() => {
  const due = Math.min(rate * ((Date.now() - start) / 1000), rate * seconds);
  while (sent < due) {
    // Walk every destination port for one socket, then move to the next socket.
    socks[sock].send(payload, port, host);
    sent++;
    if (++port > 65535) {
      port = 1024;
      sock = (sock + 1) % socks.length;
    }
  }
  if (Date.now() - start >= seconds * 1000) {
    clearInterval(tick);
    setTimeout(() => {
      console.log(`sent ${sent}`);
      process.exit(0);
    }, 200);
  }
}, 5);
