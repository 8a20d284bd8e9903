// Hubble's client TLS flags, for every gRPC command: --tls, --tls-allow-insecure,
// --tls-ca-cert-files, --tls-client-cert-file, --tls-client-key-file, --tls-server-name.
import { readFileSync } from "node:fs";
import { type ChannelCredentials, type ChannelOptions, credentials } from "@grpc/grpc-js";
import { type Command, Option } from "commander";
import { UsageError } from "./errors.js";

export interface TlsOpts {
  tls?: boolean;
  tlsAllowInsecure?: boolean;
  tlsCaCertFiles?: string[];
  tlsClientCertFile?: string;
  tlsClientKeyFile?: string;
  tlsServerName?: string;
}

/** What a connection needs: credentials, and the channel options that go with them. */
export interface Transport {
  credentials: ChannelCredentials;
  channelOptions: ChannelOptions;
  tls: boolean;
}

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(",").filter(Boolean)];

export function addTlsOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--tls", "connect with TLS (also implied by tls:// in --server and by the other --tls-* flags)"))
    .addOption(new Option("--tls-allow-insecure", "with TLS, do not verify the server's certificate chain and name (open to interception)"))
    .addOption(
      new Option(
        "--tls-ca-cert-files <files>",
        "PEM CA certificates the server's certificate must chain to (comma-separated, repeatable; default: the system's)",
      ).argParser(list),
    )
    .addOption(new Option("--tls-client-cert-file <file>", "PEM client certificate, for servers that require one (mTLS)"))
    .addOption(new Option("--tls-client-key-file <file>", "PEM private key of --tls-client-cert-file"))
    .addOption(new Option("--tls-server-name <name>", "name to verify on the server's certificate, when it is not the --server host"));
}

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

/** Plain HTTP/2 unless TLS was asked for; then the CA, client certificate and name checks the flags give. */
export function transportFor(opts: TlsOpts, tlsScheme = false): Transport {
  const implied =
    opts.tlsAllowInsecure || opts.tlsCaCertFiles?.length || opts.tlsClientCertFile || opts.tlsClientKeyFile || opts.tlsServerName;
  if (!opts.tls && !tlsScheme && !implied) return { credentials: credentials.createInsecure(), channelOptions: {}, tls: false };
  if (!opts.tlsClientCertFile !== !opts.tlsClientKeyFile)
    throw new UsageError("--tls-client-cert-file and --tls-client-key-file go together: give both or neither");
  const ca = opts.tlsCaCertFiles?.length ? Buffer.concat(opts.tlsCaCertFiles.map((f) => readPem("--tls-ca-cert-files", f))) : null;
  const cert = opts.tlsClientCertFile ? readPem("--tls-client-cert-file", opts.tlsClientCertFile) : null;
  const key = opts.tlsClientKeyFile ? readPem("--tls-client-key-file", opts.tlsClientKeyFile) : null;
  const verify = opts.tlsAllowInsecure ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {};
  let creds: ChannelCredentials;
  try {
    creds = credentials.createSsl(ca, key, cert, verify);
  } catch (e) {
    throw new UsageError(`invalid TLS files: ${(e as Error).message}`, { cause: e });
  }
  const channelOptions: ChannelOptions = opts.tlsServerName ? { "grpc.ssl_target_name_override": opts.tlsServerName } : {};
  return { credentials: creds, channelOptions, tls: true };
}
