// What moves through the relay: a flow as the bytes its node sent (flow.Flow, extensions included),
// plus the few fields scanned from them; the decoded message is built only when a filter or the
// ClickHouse sink needs it, and not kept (the ring holds bytes: a decoded Flow is several times larger).
import { fromBinary } from "@bufbuild/protobuf";
import { type Flow, FlowSchema } from "@flowlens/proto";

export interface RelayFlow {
  kind: "flow";
  node: string;
  uuid: string;
  /** Wall-clock ns since the epoch (the flow's own time). */
  timeNs: number;
  /** Encoded flow.Flow. */
  bytes: Uint8Array;
  /** Encoded GetFlowsResponse with and without Flow.extensions, built on first use. */
  withExt?: Uint8Array;
  withoutExt?: Uint8Array;
}

export function decodedFlow(f: RelayFlow): Flow {
  return fromBinary(FlowSchema, f.bytes);
}
