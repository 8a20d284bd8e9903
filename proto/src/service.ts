// grpc-js service definitions derived from protobuf-es service descriptors, so every service's
// paths and codecs come from the .proto files.
import { type DescService, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const m of service.methods) {
    def[m.name] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
      responseStream: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
      originalName: m.localName,
      requestSerialize: (v) => Buffer.from(toBinary(m.input, v as never)),
      requestDeserialize: (b) => fromBinary(m.input, b),
      responseSerialize: (v) =>
        v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.from(toBinary(m.output, v as never)),
      responseDeserialize: (b) => fromBinary(m.output, b),
    };
  }
  return def as ServiceDefinition;
}
