// A Hubble-style `GetFlows --follow` client (grpc-js + protobuf-es, like the flowlens CLI) that counts
// flows and LostEvents. Run as its own process so its CPU time is its own:
//   node bench/lib/follow-client.mjs ADDRESS SECONDS   -> one JSON line {flows, lostMessages, lostEvents, seconds}
import { create } from "@bufbuild/protobuf";
import { GetFlowsRequestSchema, LostEventSource, observerServiceDefinition } from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";

/** Follows `address` for `seconds`, counting from the first message on; resolves with the tallies. */
export function follow(address, seconds, onReady = () => {}) {
  const Client = grpc.makeGenericClientConstructor(observerServiceDefinition, "Observer");
  const client = new Client(address, grpc.credentials.createInsecure());
  const tally = { flows: 0, lostMessages: 0, lostEvents: 0, lostBySource: {}, seconds };
  return new Promise((resolve, reject) => {
    const call = client.GetFlows(create(GetFlowsRequestSchema, { follow: true }));
    const done = () => {
      call.cancel();
      client.close();
      resolve(tally);
    };
    call.on("metadata", () => {
      onReady();
      setTimeout(done, seconds * 1000);
    });
    call.on("data", (resp) => {
      const r = resp.responseTypes;
      if (r.case === "flow") tally.flows++;
      else if (r.case === "lostEvents") {
        tally.lostMessages++;
        tally.lostEvents += Number(r.value.numEventsLost);
        const src = LostEventSource[r.value.source] ?? String(r.value.source);
        tally.lostBySource[src] = (tally.lostBySource[src] ?? 0) + Number(r.value.numEventsLost);
      }
    });
    call.on("error", (e) => {
      if (e.code !== grpc.status.CANCELLED) reject(new Error(`GetFlows on ${address}: ${e.details || e.message}`));
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [address, seconds] = [process.argv[2], Number(process.argv[3] ?? 10)];
  follow(address, seconds, () => process.stderr.write("ready\n")).then(
    (t) => {
      const u = process.cpuUsage();
      console.log(JSON.stringify({ ...t, cpuSeconds: (u.user + u.system) / 1e6 }));
      process.exit(0);
    },
    (e) => {
      console.error(`follow-client: ${e.message}`);
      process.exit(1);
    },
  );
}
