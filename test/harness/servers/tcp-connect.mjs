// TCP connect probe for pods: `node tcp-connect.mjs HOST PORT` prints "connected" or the error code (e.g. ECONNREFUSED).
import { connect } from "node:net";

const [host, port] = [process.argv[2], Number(process.argv[3])];
const sock = connect({ host, port, timeout: 3000 });
sock.on("connect", () => {
  console.log("connected");
  sock.destroy();
});
sock.on("timeout", () => {
  console.log("ETIMEDOUT");
  sock.destroy();
});
sock.on("error", (err) => console.log(err.code ?? err.message));
