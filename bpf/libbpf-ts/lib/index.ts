// libbpf-ts: typed facade over the system libbpf (objects, programs, links, maps, ring buffers).
import { type NativeBinding, nativeBinding } from "./native.js";

export {
  CAPABILITY_NUMBERS,
  type Capability,
  missingCapabilities,
  type ProcessCapabilities,
  parseCapabilities,
  processCapabilities,
} from "./capabilities.js";
export { errnoCode, LibbpfError } from "./errors.js";
export { closeAll } from "./lifecycle.js";
export { Link, type LinkInfo, type UpdatableProgram } from "./link.js";
export { BpfMap, type MapOptions, type UpdateFlag } from "./map.js";
export type { NativeBinding } from "./native.js";
export { type NetnsListenOptions, netnsTcpListen, netnsTcpSocket } from "./netns.js";
export { BpfObject, type OpenOptions } from "./object.js";
export { BpfProgram, type TcOptions } from "./program.js";
export { type BatchHandler, RingBufferReader } from "./ringbuf.js";

/** Number of possible CPUs (libbpf_num_possible_cpus): the slot count of per-CPU map values. */
export function possibleCpus(binding: NativeBinding = nativeBinding()): number {
  return binding.possibleCpus();
}
