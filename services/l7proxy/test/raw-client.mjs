// Raw HTTP/1.x test client for pods: `node raw-client.mjs SPEC_JSON` sends, for each case of
// SPEC.cases, the bytes of `payload` (base64) on a new connection from `localPort`, reads the
// responses (Content-Length, chunked, or until close) and prints one JSON line per case:
// {responses: [{status, headers, body}], closed, timedOut}. It stops reading `expect` responses
// and 200 ms later (so an extra, unexpected response is still seen), or at close, or after 5 s.
import { connect } from "node:net";

const spec = JSON.parse(process.argv[2]);

/** Complete responses at the start of buf; `closed` lets a response without length end at EOF. */
function parse(buf, closed) {
  const out = [];
  let off = 0;
  while (off < buf.length) {
    const end = buf.indexOf("\r\n\r\n", off);
    if (end < 0) break;
    const [statusLine, ...lines] = buf.subarray(off, end).toString("latin1").split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!m) {
      out.push({ garbage: buf.subarray(off).toString("latin1") });
      break;
    }
    const headers = {};
    for (const l of lines) headers[l.slice(0, l.indexOf(":")).trim().toLowerCase()] = l.slice(l.indexOf(":") + 1).trim();
    let p = end + 4;
    let body = "";
    if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
      for (;;) {
        const le = buf.indexOf("\r\n", p);
        if (le < 0) return out;
        const size = Number.parseInt(buf.subarray(p, le).toString(), 16);
        p = le + 2;
        if (size === 0) {
          if (buf.length < p + 2) return out;
          p += 2;
          break;
        }
        if (buf.length < p + size + 2) return out;
        body += buf.subarray(p, p + size).toString();
        p += size + 2;
      }
    } else if (headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      if (buf.length < p + n) return out;
      body = buf.subarray(p, p + n).toString();
      p += n;
    } else {
      if (!closed) return out;
      body = buf.subarray(p).toString();
      p = buf.length;
    }
    out.push({ status: Number(m[1]), headers, body });
    off = p;
  }
  return out;
}

function run(c) {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let closed = false;
    let done = false;
    let grace;
    const finish = (timedOut) => {
      if (done) return;
      done = true;
      clearTimeout(grace);
      clearTimeout(deadline);
      sock.destroy();
      resolve({ responses: parse(buf, closed), closed, timedOut });
    };
    const deadline = setTimeout(() => finish(true), 5000);
    const sock = connect({ host: spec.host, port: spec.port, localPort: c.localPort }, () => sock.write(Buffer.from(c.payload, "base64")));
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (!grace && parse(buf, false).length >= c.expect) grace = setTimeout(() => finish(false), 200);
    });
    sock.on("end", () => {
      closed = true;
      finish(false);
    });
    sock.on("error", (e) => {
      closed = true;
      if (!done) {
        done = true;
        clearTimeout(deadline);
        resolve({ responses: parse(buf, true), closed, error: e.code ?? e.message });
      }
    });
  });
}

for (const c of spec.cases) console.log(JSON.stringify(await run(c)));
