// A real grpc-js client of the Observer API for end-to-end tests.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type Flow,
  flowExtensionsRequest,
  GetFlowsRequestSchema,
  type GetFlowsResponse,
  getFlowExtension,
  observerServiceDefinition,
  ServerStatusRequestSchema,
  type ServerStatusResponse,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";

const Client = grpc.makeGenericClientConstructor(observerServiceDefinition, "Observer");

type Req = MessageInitShape<typeof GetFlowsRequestSchema>;

export function observerClient(address: string) {
  const c = new Client(address, grpc.credentials.createInsecure()) as unknown as Record<string, Function> & grpc.Client;
  return {
    /** GetFlows without follow: every response until the server ends the stream. */
    getFlows(req: Req): Promise<GetFlowsResponse[]> {
      return new Promise((resolve, reject) => {
        const out: GetFlowsResponse[] = [];
        const s = c.GetFlows(
          create(GetFlowsRequestSchema, { extensions: flowExtensionsRequest(), ...req }),
        ) as grpc.ClientReadableStream<GetFlowsResponse>;
        s.on("data", (r: GetFlowsResponse) => out.push(r));
        s.on("end", () => resolve(out));
        s.on("error", reject);
      });
    },
    /** A follow stream; onData sees each response; cancel() ends it. */
    follow(req: Req, onData: (r: GetFlowsResponse) => void): { cancel(): void; pause(): void; resume(): void; done: Promise<void> } {
      const s = c.GetFlows(
        create(GetFlowsRequestSchema, { extensions: flowExtensionsRequest(), ...req, follow: true }),
      ) as grpc.ClientReadableStream<GetFlowsResponse>;
      s.on("data", onData);
      const done = new Promise<void>((resolve) => {
        s.on("end", () => resolve());
        s.on("error", () => resolve());
      });
      return { cancel: () => s.cancel(), pause: () => s.pause(), resume: () => s.resume(), done };
    },
    status(): Promise<ServerStatusResponse> {
      return new Promise((resolve, reject) =>
        c.ServerStatus(create(ServerStatusRequestSchema, {}), (err: Error | null, r: ServerStatusResponse) =>
          err ? reject(err) : resolve(r),
        ),
      );
    },
    close: () => c.close(),
  };
}

export const flowsOf = (rs: GetFlowsResponse[]): Flow[] =>
  rs.flatMap((r) => (r.responseTypes.case === "flow" ? [r.responseTypes.value] : []));

export const ports = (f: Flow): [number, number] | undefined => {
  const p = f.l4?.protocol;
  if (p?.case === "TCP" || p?.case === "UDP") return [p.value.sourcePort, p.value.destinationPort];
  return undefined;
};

export const ext = getFlowExtension;

/** Flows matching `req` and `pred`, polling until at least `min` exist (records reach the ring in batches). */
export async function waitForFlows(
  client: ReturnType<typeof observerClient>,
  req: Req,
  pred: (f: Flow) => boolean = () => true,
  min = 1,
  timeoutMs = 5000,
): Promise<Flow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = flowsOf(await client.getFlows(req)).filter(pred);
    if (found.length >= min) return found;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${min} flows matching ${JSON.stringify(req, (_k, v) => (typeof v === "bigint" ? String(v) : v))}; found ${found.length}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
