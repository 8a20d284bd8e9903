// The admin socket's gRPC server: every Policies and Endpoints call, for whoever may open the
// socket file (root: directory 0700, socket 0600); the file goes when the collector exits.
import { rmSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { prepareAdminDir, removeStaleSocket, restrictSocket } from "./admin-socket.js";

export interface AdminService {
  definition: grpc.ServiceDefinition;
  handlers: grpc.UntypedServiceImplementation;
}

/** Binds `unix:<path>` with the given services (and the health service when given). */
export async function serveAdminSocket(
  path: string,
  services: AdminService[],
  health?: { addToServer(s: grpc.Server): void },
): Promise<grpc.Server> {
  prepareAdminDir(path);
  await removeStaleSocket(path);
  const server = new grpc.Server();
  for (const s of services) server.addService(s.definition, s.handlers);
  health?.addToServer(server);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${path}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(new Error(`--admin-socket ${path}: ${err.message}`, { cause: err })) : resolve(),
    ),
  );
  restrictSocket(path);
  process.on("exit", () => rmSync(path, { force: true }));
  return server;
}
