// One protobuf registry holding every Flowlens/Hubble type, so JSON can resolve google.protobuf.Any.
import { createRegistry } from "@bufbuild/protobuf";
import { file_flow_flow } from "../gen/flow/flow_pb.js";
import { file_flowlens_endpoints } from "../gen/flowlens/endpoints_pb.js";
import { file_flowlens_flow_extension } from "../gen/flowlens/flow_extension_pb.js";
import { file_observer_observer } from "../gen/observer/observer_pb.js";
import { file_relay_relay } from "../gen/relay/relay_pb.js";

export const registry = createRegistry(
  file_flow_flow,
  file_relay_relay,
  file_observer_observer,
  file_flowlens_flow_extension,
  file_flowlens_endpoints,
);

/** Type URL of flowlens.FlowExtension inside flow.Flow.extensions. */
export const FLOW_EXTENSION_TYPE_URL = "type.googleapis.com/flowlens.FlowExtension";
