// Client side of flowlens.FlowStream/GetFlowBatches (proto/flowlens/flow_stream.proto): the flows
// of GetFlows, many encoded responses per gRPC message. Collectors serve it; Hubble agents do not.
import { toBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { type GetFlowsRequest, GetFlowsRequestSchema } from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";

/** FlowBatch.responses (field 1, repeated bytes). */
const F_RESPONSES = 1;

/** The encoded GetFlowsResponses of a FlowBatch (views into its bytes). */
export function decodeFlowBatch(bytes: Uint8Array): Uint8Array[] {
  const r = new BinaryReader(bytes);
  const out: Uint8Array[] = [];
  while (r.pos < r.len) {
    const [field, wt] = r.tag();
    if (field === F_RESPONSES && wt === WireType.LengthDelimited) out.push(r.bytes());
    else r.skip(wt, field);
  }
  return out;
}

const definition = {
  GetFlowBatches: {
    path: "/flowlens.FlowStream/GetFlowBatches",
    requestStream: false,
    responseStream: true,
    originalName: "getFlowBatches",
    requestSerialize: (m: GetFlowsRequest) => Buffer.from(toBinary(GetFlowsRequestSchema, m)),
    requestDeserialize: () => {
      throw new Error("client only");
    },
    responseSerialize: () => {
      throw new Error("client only");
    },
    responseDeserialize: (b: Buffer) => b,
  },
} satisfies grpc.ServiceDefinition;

const FlowStreamClient = grpc.makeGenericClientConstructor(definition, "FlowStream");

export type BatchClient = grpc.Client & { GetFlowBatches(req: GetFlowsRequest): grpc.ClientReadableStream<Buffer> };

/** A FlowStream client on an existing client's channel (same connection, same credentials). */
export function batchClientOn(client: grpc.Client): BatchClient {
  return new FlowStreamClient("unused", grpc.credentials.createInsecure(), {
    channelOverride: client.getChannel(),
  }) as unknown as BatchClient;
}
