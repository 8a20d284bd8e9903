// Throwaway X.509 certificates made with the openssl CLI in a temp dir: a CA, a server certificate
// for 127.0.0.1/localhost, and client certificates with the names a test chooses.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./run.js";

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** The CA certificate (PEM) that signs every certificate below. */
  ca: string;
  server: KeyPair;
  /** A client certificate with this CN (and subjectAltName, when given), signed by the CA. */
  client(cn: string, subjectAltName?: string): Promise<KeyPair>;
  remove(): void;
}

export async function makePki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), "flowlens-pki-"));
  const p = (n: string) => join(dir, n);
  const ssl = (args: string[]) => run(["openssl", ...args]);
  const leaf = async (name: string, cn: string, ext: string): Promise<KeyPair> => {
    await ssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-keyout", p(`${name}.key`), "-out", p(`${name}.csr`)]);
    writeFileSync(p(`${name}.ext`), ext);
    const sign = ["-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", p(`${name}.ext`)];
    await ssl(["x509", "-req", "-in", p(`${name}.csr`), ...sign, "-out", p(`${name}.pem`)]);
    return { cert: p(`${name}.pem`), key: p(`${name}.key`) };
  };
  try {
    await ssl([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=flowlens-test-ca",
      "-keyout",
      p("ca.key"),
      "-out",
      p("ca.pem"),
    ]);
    const server = await leaf("server", "collector", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    let seq = 0;
    return {
      dir,
      ca: p("ca.pem"),
      server,
      client: (cn, san) => leaf(`client-${++seq}`, cn, `${san ? `subjectAltName=${san}\n` : ""}extendedKeyUsage=clientAuth\n`),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
