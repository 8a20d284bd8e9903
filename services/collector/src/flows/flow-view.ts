// Each datapath event as Hubble sees it: its flow.Flow bytes (encoded once, shared by every
// client), its GetFlowsResponse bytes, and — only for clients with filters — a Flow object.
import { fromBinary } from "@bufbuild/protobuf";
import { type Flow, FlowSchema } from "@flowlens/proto";
import { ProtoWriter } from "../wire/writer.js";
import { RESPONSE, writeExtensionField, writeFlowFields, writeTimestamp } from "./encode.js";
import type { FlowEntry } from "./entry.js";
import type { FlowFactsBuilder } from "./facts-builder.js";

export interface EncodedFlow {
  /** flow.Flow fields without extensions. */
  flow: Buffer;
  /** The extensions field (Any with a FlowExtension). */
  ext: Buffer;
  timeNs: number;
}

export class FlowView {
  private readonly w = new ProtoWriter(4096);

  constructor(
    private readonly facts: FlowFactsBuilder,
    private readonly nodeName: string,
  ) {}

  encoded(ev: FlowEntry): EncodedFlow {
    if (ev.encoded === undefined) {
      const f = this.facts.facts(ev);
      const w = this.w.reset();
      writeFlowFields(w, f, crypto.randomUUID());
      const flow = w.finish();
      writeExtensionField(w.reset(), f.ext);
      ev.encoded = { flow, ext: w.finish(), timeNs: f.timeNs };
    }
    return ev.encoded as EncodedFlow;
  }

  /** The Flow as an object (filters, tests); decoded from the same bytes clients get. */
  object(ev: FlowEntry): Flow {
    if (ev.built === undefined) {
      const e = this.encoded(ev);
      ev.built = fromBinary(FlowSchema, Buffer.concat([e.flow, e.ext]));
    }
    return ev.built as Flow;
  }

  /** GetFlowsResponse{flow, node_name, time} as bytes. */
  response(ev: FlowEntry, withExtensions: boolean): Uint8Array {
    const e = this.encoded(ev);
    const w = this.w.reset();
    const at = w.begin(RESPONSE.flow);
    w.raw(e.flow);
    if (withExtensions) w.raw(e.ext);
    w.end(at);
    w.string(RESPONSE.nodeName, this.nodeName);
    writeTimestamp(w, RESPONSE.time, e.timeNs);
    return w.finish();
  }
}
