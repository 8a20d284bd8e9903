// gRPC server set-up the Observer daemons share: mTLS credentials from flag files, binding, health.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/** A PEM file named by a flag; a one-line error names the flag when it cannot be read. */
export function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`read ${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

/** mTLS when files are given (clients must present a certificate signed by the CA), else plaintext. */
export function serverCredentials(tls: TlsFiles | undefined, flag = "--tls"): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    readPem(tls.ca, `${flag}-ca`),
    [{ cert_chain: readPem(tls.cert, `${flag}-cert`), private_key: readPem(tls.key, `${flag}-key`) }],
    true,
  );
}

export function bindServer(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<void> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, creds, (err) =>
      err ? reject(new Error(`listen on ${address}: ${err.message}`, { cause: err })) : resolve(),
    ),
  );
}

/** Health of an Observer server; hubble status checks "hubble.server.Observer" before ServerStatus. */
export function observerHealth(): HealthImplementation {
  return new HealthImplementation({ "": "SERVING", "observer.Observer": "SERVING", "hubble.server.Observer": "SERVING" });
}

/** Binds the server to --listen-address with the credentials --tls-* ask for. */
export function listenGrpc(server: grpc.Server, address: string, tls: TlsFiles | undefined): Promise<void> {
  return bindServer(server, address, serverCredentials(tls));
}

/** Resolves when a server stream can take more (drain) or its client is gone. */
export function drainedOrCancelled(call: NodeJS.EventEmitter, cancelled: () => boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    if (cancelled()) return resolve();
    const done = () => {
      call.off("drain", done);
      call.off("cancelled", done);
      resolve();
    };
    call.once("drain", done);
    call.once("cancelled", done);
  });
}
