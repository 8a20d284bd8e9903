// TCP client for pods: `node tcp-send.mjs HOST PORT BYTES` sends BYTES bytes, half-closes, waits for the reply.
import { connect } from "node:net";

const [host, port, bytes] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 1024)];
const sock = connect({ host, port }, () => {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const part = chunk.subarray(0, Math.min(left, chunk.length));
      left -= part.length;
      if (!sock.write(part)) return void sock.once("drain", pump);
    }
    sock.end();
  };
  pump();
});
sock.setTimeout(10_000, () => {
  console.error(`tcp-send: timeout talking to ${host}:${port}`);
  process.exit(2);
});
sock.on("data", () => {});
sock.on("close", () => console.log(`sent ${bytes}`));
sock.on("error", (err) => {
  console.error(`tcp-send: ${host}:${port}: ${err.code ?? err.message}`);
  process.exit(1);
});
