// GetFlows on the live server: the oldest flow its ring holds, and a stream of responses until the end, Ctrl-C or a closed pipe.

import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  type GetFlowsRequest,
  GetFlowsRequestSchema,
  type GetFlowsResponse,
  ServerStatusRequestSchema,
  type ServerStatusResponse,
} from "@flowlens/proto";
import { type ServiceError, status } from "@grpc/grpc-js";
import type { CommandContext } from "./context.js";
import { type Connection, rpcError, serverStream, unary } from "./transport.js";

/** Streams the request's responses to `onData`; resolves at the end of the stream or when the command stops. */
export function streamFlows(
  ctx: CommandContext,
  conn: Connection,
  req: GetFlowsRequest,
  onData: (res: GetFlowsResponse) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const call = serverStream<GetFlowsRequest, GetFlowsResponse>(conn, "GetFlows", req);
    const stop = () => call.cancel();
    ctx.signal.addEventListener("abort", stop, { once: true });
    call.on("data", (res: GetFlowsResponse) => {
      onData(res);
      if (ctx.out.closed) stop();
    });
    call.on("end", resolve);
    call.on("error", (err: ServiceError) => {
      ctx.signal.removeEventListener("abort", stop);
      // Cancelled by us (Ctrl-C or a closed pipe) is a normal way to stop.
      if (err.code === status.CANCELLED && (ctx.signal.aborted || ctx.out.closed)) resolve();
      else reject(rpcError(err, conn.server, "GetFlows"));
    });
    call.on("close", () => ctx.signal.removeEventListener("abort", stop));
  });
}

/** The time of the oldest flow in the live server's ring, or undefined when it holds none. */
export function liveOldestTime(conn: Connection): Promise<Timestamp | undefined> {
  const req = create(GetFlowsRequestSchema, { number: 1n, first: true });
  return new Promise((resolve, reject) => {
    const call = serverStream<GetFlowsRequest, GetFlowsResponse>(conn, "GetFlows", req);
    let found: Timestamp | undefined;
    call.on("data", (res: GetFlowsResponse) => {
      if (found || res.responseTypes.case !== "flow") return;
      found = res.responseTypes.value.time ?? res.time;
      call.cancel();
      resolve(found);
    });
    call.on("end", () => resolve(found));
    call.on("error", (err: ServiceError) =>
      err.code === status.CANCELLED && found ? resolve(found) : reject(rpcError(err, conn.server, "GetFlows")),
    );
  });
}

/** The live ring: how many flows it holds now, and whether it still holds every flow it ever saw. */
export interface LiveRing {
  numFlows: bigint;
  /** Nothing was overwritten yet (ServerStatus seen_flows ≤ num_flows): the ring answers any range. */
  complete: boolean;
}

/** ServerStatus of the live server (a relay sums its nodes). */
export async function liveRing(conn: Connection): Promise<LiveRing> {
  const s = await unary<unknown, ServerStatusResponse>(conn, "ServerStatus", create(ServerStatusRequestSchema));
  return { numFlows: s.numFlows, complete: s.seenFlows <= s.numFlows };
}
