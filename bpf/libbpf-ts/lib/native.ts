// The native addon's surface (build/Release/bpf_addon.node) and its loader; tests inject fakes of this shape.
import { createRequire } from "node:module";

/** Opaque native handles; only the binding that made them can use them. */
export type ObjectHandle = { readonly __brand: "object" };
export type LinkHandle = { readonly __brand: "link" };
export type RingHandle = { readonly __brand: "ring" };

export interface NativeProgramInfo {
  name: string;
  type: string;
  section: string;
}

export interface NativeMapInfo {
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** -1 before load */
  fd: number;
}

/**
 * Errors thrown by the binding carry `errno` (positive) and `libbpfLog` (the last lines libbpf printed).
 * Argument checking is the facade's job: the binding trusts its callers.
 */
export interface NativeBinding {
  objectOpen(path: string): ObjectHandle;
  objectSetRodata(obj: ObjectHandle, varName: string, value: Uint8Array): void;
  objectSetMapMaxEntries(obj: ObjectHandle, mapName: string, n: number): void;
  objectReusePinnedMap(obj: ObjectHandle, mapName: string, pinPath: string): boolean;
  objectLoad(obj: ObjectHandle): void;
  objectPrograms(obj: ObjectHandle): NativeProgramInfo[];
  objectMaps(obj: ObjectHandle): NativeMapInfo[];
  objectClose(obj: ObjectHandle): void;

  /** keep: closing the link (or process exit) forgets the filter instead of detaching it. */
  programAttachTc(
    obj: ObjectHandle,
    prog: string,
    ifindex: number,
    ingress: boolean,
    priority: number,
    handle: number,
    keep: boolean,
  ): LinkHandle;
  programAttachTracepoint(obj: ObjectHandle, prog: string, category: string, name: string): LinkHandle;
  programAttachCgroup(obj: ObjectHandle, prog: string, cgroupPath: string): LinkHandle;
  programTestRun(obj: ObjectHandle, prog: string, data: Uint8Array, repeat: number): { retval: number; durationNs: number };
  linkClose(link: LinkHandle): void;
  /** Removes the attachment now (kept tc filter; bpf_link via BPF_LINK_DETACH, even when pinned) and closes the handle. */
  linkDetach(link: LinkHandle): void;
  linkPin(link: LinkHandle, path: string): void;
  linkUnpin(link: LinkHandle): void;
  linkOpenPinned(path: string): LinkHandle;
  linkUpdate(link: LinkHandle, obj: ObjectHandle, prog: string): void;
  /** Removes the tc filter at (ifindex, direction, handle, priority); false when none was there. */
  tcDetach(ifindex: number, ingress: boolean, handle: number, priority: number): boolean;
  programAttachNetns(obj: ObjectHandle, prog: string, netnsPath: string): LinkHandle;
  /** A listening TCP socket created inside the netns at netnsPath; returns its fd (non-blocking). */
  netnsTcpListen(netnsPath: string, host: string, port: number, backlog: number): number;
  /** An unconnected non-blocking TCP socket created inside that netns (AF_INET6 dual-stack when ipv6). */
  netnsTcpSocket(netnsPath: string, ipv6: boolean): number;

  mapLookup(fd: number, key: Uint8Array, valueBytes: number): Buffer | undefined;
  mapUpdate(fd: number, key: Uint8Array, value: Uint8Array, flags: number): void;
  mapDelete(fd: number, key: Uint8Array): boolean;
  mapNextKey(fd: number, key: Uint8Array | null, keySize: number): Buffer | undefined;
  mapLookupBatch(
    fd: number,
    keySize: number,
    valueStride: number,
    maxEntries: number,
  ): { keys: Buffer; values: Buffer; count: number } | undefined;
  mapPin(fd: number, path: string): void;
  mapOpenPinned(path: string): NativeMapInfo;
  mapInfo(fd: number): NativeMapInfo;
  mapClose(fd: number): void;
  possibleCpus(): number;

  /** onBatch gets count + 1 offsets: record i spans offsets[i] .. offsets[i + 1] of data. */
  ringbufOpen(mapFd: number, onBatch: (data: Buffer, offsets: Uint32Array, count: number) => void): RingHandle;
  ringbufConsume(ring: RingHandle): number;
  ringbufClose(ring: RingHandle): void;
}

let loaded: NativeBinding | undefined;

/** The real addon, loaded on first use so that importing the facade never requires a build. */
export function nativeBinding(): NativeBinding {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    try {
      loaded = require("../build/Release/bpf_addon.node") as NativeBinding;
    } catch (err) {
      const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
      throw new Error(`load libbpf-ts native addon: ${reason} — build it with "npm run build -w libbpf-ts"`, { cause: err });
    }
  }
  return loaded;
}
