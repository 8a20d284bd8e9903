// Kafka client security shared by the relay (producer) and the ingester (consumer): TLS toward the
// brokers (CA, client certificate, server name) and SASL (PLAIN, SCRAM-SHA-256/512), as flags that
// turn into kafkajs' `ssl` and `sasl` client options. The SASL password comes from a file or the
// environment, never argv.
import { type Command, InvalidArgumentError, Option } from "commander";
import { argvPasswordRefusal, readFlagFile, resolveSecret, type SecretSource } from "./secret.js";

export const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** One member per mechanism, as kafkajs types its SASLOptions. */
export type SaslCredentials = { [M in SaslMechanism]: { mechanism: M; username: string; password: string } }[SaslMechanism];

/** Spread into kafkajs' `new Kafka({...})`. */
export interface KafkaAuth {
  ssl?: true | { ca?: string[]; cert?: string; key?: string; servername?: string };
  sasl?: SaslCredentials;
}

export const KAFKA_SASL_PASSWORD_ENV = "FLOWLENS_KAFKA_SASL_PASSWORD";

function mechanism(v: string): SaslMechanism {
  const m = v.toLowerCase();
  if (!(SASL_MECHANISMS as readonly string[]).includes(m))
    throw new InvalidArgumentError(`--kafka-sasl-mechanism must be one of ${SASL_MECHANISMS.join(", ")}, got "${v}"`);
  return m as SaslMechanism;
}

/** Adds the --kafka-tls* and --kafka-sasl-* flags to a service's command. */
export function addKafkaAuthOptions(cmd: Command): Command {
  return cmd
    .option("--kafka-tls", "TLS to the Kafka brokers (the system's CAs unless --kafka-tls-ca-file)")
    .option("--kafka-tls-ca-file <file>", "CA certificates (PEM) the brokers' certificates chain to; implies --kafka-tls")
    .option("--kafka-tls-cert-file <file>", "client certificate (PEM) for brokers that require one; with --kafka-tls-key-file")
    .option("--kafka-tls-key-file <file>", "client private key (PEM)")
    .option("--kafka-tls-server-name <name>", "name the brokers' certificates carry, when not their address")
    .option("--kafka-sasl-mechanism <name>", `SASL authentication: ${SASL_MECHANISMS.join(", ")}`, mechanism)
    .option("--kafka-sasl-username <name>", "SASL user")
    .option("--kafka-sasl-password-file <file>", `file holding the SASL password (or set ${KAFKA_SASL_PASSWORD_ENV})`)
    .addOption(new Option("--kafka-sasl-password <password>").hideHelp());
}

/** kafkajs security options from the parsed flags (files are read here: errors come at start, in one line). */
export function kafkaAuthFrom(o: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): KafkaAuth {
  const src: SecretSource = {
    fileFlag: "--kafka-sasl-password-file",
    file: o.kafkaSaslPasswordFile as string | undefined,
    envName: KAFKA_SASL_PASSWORD_ENV,
  };
  if (o.kafkaSaslPassword !== undefined) throw argvPasswordRefusal("--kafka-sasl-password", src);
  const auth: KafkaAuth = {};
  const [ca, cert, key, name] = [o.kafkaTlsCaFile, o.kafkaTlsCertFile, o.kafkaTlsKeyFile, o.kafkaTlsServerName] as (string | undefined)[];
  if ((cert === undefined) !== (key === undefined))
    throw new Error("--kafka-tls-cert-file and --kafka-tls-key-file go together: give both or neither");
  if (o.kafkaTls === true || ca || cert || name) {
    const ssl: Exclude<KafkaAuth["ssl"], true | undefined> = {};
    if (ca) ssl.ca = [readFlagFile(ca, "--kafka-tls-ca-file")];
    if (cert && key) {
      ssl.cert = readFlagFile(cert, "--kafka-tls-cert-file");
      ssl.key = readFlagFile(key, "--kafka-tls-key-file");
    }
    if (name) ssl.servername = name;
    auth.ssl = Object.keys(ssl).length ? ssl : true;
  }
  const mech = o.kafkaSaslMechanism as SaslMechanism | undefined;
  const username = o.kafkaSaslUsername as string | undefined;
  const password = resolveSecret(src, env);
  if (mech === undefined) {
    if (username !== undefined || src.file !== undefined)
      throw new Error(
        "--kafka-sasl-username and --kafka-sasl-password-file need --kafka-sasl-mechanism (plain, scram-sha-256 or scram-sha-512)",
      );
    return auth;
  }
  if (!username) throw new Error(`--kafka-sasl-mechanism ${mech} needs --kafka-sasl-username`);
  if (password === undefined)
    throw new Error(`--kafka-sasl-mechanism ${mech} needs a password: --kafka-sasl-password-file FILE or ${KAFKA_SASL_PASSWORD_ENV}`);
  auth.sasl = { mechanism: mech, username, password } as SaslCredentials;
  return auth;
}

/** "TLS, SASL/PLAIN as alice" for start-up logs (never the password). */
export function describeKafkaAuth(a: KafkaAuth): string {
  const parts = [a.ssl ? "TLS" : "plaintext"];
  if (a.sasl) parts.push(`SASL/${a.sasl.mechanism.toUpperCase()} as ${a.sasl.username}`);
  return parts.join(", ");
}
