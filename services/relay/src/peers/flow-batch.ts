// Client side of flowlens.FlowStream/GetFlowBatches (proto/flowlens/flow_stream.proto): the flows
// of GetFlows, many encoded responses per gRPC message. Collectors serve it; Hubble agents do not.
import { toBinary } from "@bufbuild/protobuf";
import { type GetFlowsRequest, GetFlowsRequestSchema } from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";

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
