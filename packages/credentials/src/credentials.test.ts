import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addClickHouseAuthOptions, addKafkaAuthOptions, clickhouseAuthFrom, kafkaAuthFrom, resolveSecret } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "flowlens-cred-"));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text, { mode: 0o600 });
  return p;
}

function parsed(add: (c: Command) => Command, argv: string[]): Record<string, unknown> {
  const cmd = add(new Command("t"))
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  cmd.parse(argv, { from: "user" });
  return cmd.opts();
}

const kafka = (argv: string[], env: NodeJS.ProcessEnv = {}) => kafkaAuthFrom(parsed(addKafkaAuthOptions, argv), env);
const clickhouse = (argv: string[], url?: string, env: NodeJS.ProcessEnv = {}) =>
  clickhouseAuthFrom(parsed(addClickHouseAuthOptions, argv), url, env);

describe("secrets", () => {
  it("reads a password file without its trailing newline, or the environment", () => {
    const src = { fileFlag: "--x-password-file", envName: "X_PASSWORD" };
    expect(resolveSecret({ ...src, file: file("p1", "s3cret\n") }, {})).toBe("s3cret");
    expect(resolveSecret({ ...src, file: file("p2", "two words\r\n") }, {})).toBe("two words");
    expect(resolveSecret(src, { X_PASSWORD: "fromenv" })).toBe("fromenv");
    expect(resolveSecret(src, { X_PASSWORD: "" })).toBeUndefined();
  });

  it("refuses an empty, missing or unreadable file and both sources at once, in one line", () => {
    const src = { fileFlag: "--x-password-file", envName: "X_PASSWORD" };
    expect(() => resolveSecret({ ...src, file: file("empty", "\n") }, {})).toThrow(/^--x-password-file .*empty: the file is empty$/);
    expect(() => resolveSecret({ ...src, file: join(dir, "none") }, {})).toThrow(/^--x-password-file .*none: no such file$/);
    expect(() => resolveSecret({ ...src, file: dir }, {})).toThrow(/is a directory$/);
    expect(() => resolveSecret({ ...src, file: file("p3", "a") }, { X_PASSWORD: "b" })).toThrow(
      "--x-password-file and X_PASSWORD are both set: give the password one way",
    );
  });
});

describe("ClickHouse login", () => {
  it("takes the user by flag and the password from a file or FLOWLENS_CLICKHOUSE_PASSWORD", () => {
    expect(clickhouse([])).toEqual({ username: "default", password: "" });
    expect(clickhouse(["--clickhouse-user", "writer", "--clickhouse-password-file", file("ch", "pw\n")])).toEqual({
      username: "writer",
      password: "pw",
    });
    expect(clickhouse([], "http://127.0.0.1:8123", { FLOWLENS_CLICKHOUSE_PASSWORD: "envpw" })).toEqual({
      username: "default",
      password: "envpw",
    });
  });

  it("refuses a password on the command line, as a flag or in the URL, without repeating it", () => {
    for (const [argv, url] of [
      [["--clickhouse-password", "hunter2"], undefined],
      [["--clickhouse-password=hunter2"], undefined],
      [[], "http://default:hunter2@127.0.0.1:8123"],
    ] as [string[], string | undefined][]) {
      let msg = "";
      try {
        clickhouse(argv, url);
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(
        /would put the password on the command line, where every local user can read it; use --clickhouse-password-file FILE or the FLOWLENS_CLICKHOUSE_PASSWORD environment variable$/,
      );
      expect(msg).not.toContain("hunter2");
    }
  });
});

describe("Kafka TLS and SASL", () => {
  it("is plaintext without flags", () => {
    expect(kafka([])).toEqual({});
  });

  it("turns the TLS flags into kafkajs' ssl option with the files' contents", () => {
    expect(kafka(["--kafka-tls"])).toEqual({ ssl: true });
    const ca = file("ca.pem", "CA PEM");
    const cert = file("cert.pem", "CERT PEM");
    const key = file("key.pem", "KEY PEM");
    expect(
      kafka([
        "--kafka-tls-ca-file",
        ca,
        "--kafka-tls-cert-file",
        cert,
        "--kafka-tls-key-file",
        key,
        "--kafka-tls-server-name",
        "kafka.internal",
      ]),
    ).toEqual({
      ssl: { ca: ["CA PEM"], cert: "CERT PEM", key: "KEY PEM", servername: "kafka.internal" },
    });
    expect(() => kafka(["--kafka-tls-cert-file", cert])).toThrow(
      "--kafka-tls-cert-file and --kafka-tls-key-file go together: give both or neither",
    );
    expect(() => kafka(["--kafka-tls-ca-file", join(dir, "nope.pem")])).toThrow(/^--kafka-tls-ca-file .*nope\.pem: no such file$/);
  });

  it("turns the SASL flags into kafkajs' sasl option for each mechanism", () => {
    const pw = file("sasl", "kpw\n");
    for (const m of ["plain", "scram-sha-256", "SCRAM-SHA-512"])
      expect(kafka(["--kafka-sasl-mechanism", m, "--kafka-sasl-username", "alice", "--kafka-sasl-password-file", pw])).toEqual({
        sasl: { mechanism: m.toLowerCase(), username: "alice", password: "kpw" },
      });
    expect(
      kafka(["--kafka-tls", "--kafka-sasl-mechanism", "plain", "--kafka-sasl-username", "bob"], { FLOWLENS_KAFKA_SASL_PASSWORD: "e" }),
    ).toEqual({
      ssl: true,
      sasl: { mechanism: "plain", username: "bob", password: "e" },
    });
  });

  it("says what is missing or wrong in one line", () => {
    const pw = file("sasl2", "x");
    expect(() => kafka(["--kafka-sasl-mechanism", "gssapi"])).toThrow(
      /--kafka-sasl-mechanism must be one of plain, scram-sha-256, scram-sha-512, got "gssapi"/,
    );
    expect(() => kafka(["--kafka-sasl-mechanism", "plain", "--kafka-sasl-password-file", pw])).toThrow(
      "--kafka-sasl-mechanism plain needs --kafka-sasl-username",
    );
    expect(() => kafka(["--kafka-sasl-mechanism", "plain", "--kafka-sasl-username", "a"])).toThrow(
      "--kafka-sasl-mechanism plain needs a password: --kafka-sasl-password-file FILE or FLOWLENS_KAFKA_SASL_PASSWORD",
    );
    expect(() => kafka(["--kafka-sasl-username", "a"])).toThrow(/need --kafka-sasl-mechanism/);
    let msg = "";
    try {
      kafka(["--kafka-sasl-mechanism", "plain", "--kafka-sasl-username", "a", "--kafka-sasl-password", "hunter2"]);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toBe(
      "--kafka-sasl-password would put the password on the command line, where every local user can read it; use --kafka-sasl-password-file FILE or the FLOWLENS_KAFKA_SASL_PASSWORD environment variable",
    );
  });
});
