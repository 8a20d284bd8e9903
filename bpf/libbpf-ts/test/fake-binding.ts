// A NativeBinding stand-in for unit tests of the facade: in-memory maps, recorded calls, scriptable failures.
import type { LinkHandle, NativeBinding, NativeMapInfo, ObjectHandle, RingHandle } from "../lib/native.js";

export interface FakeBinding extends NativeBinding {
  calls: string[];
  /** Makes the next call to `method` throw like the addon does. */
  failNext(method: keyof NativeBinding, errno: number, message?: string, libbpfLog?: string): void;
  store: Map<number, Map<string, Buffer>>;
}

export function nativeError(errno: number, message = "op: Operation failed", libbpfLog = ""): Error {
  return Object.assign(new Error(message), { errno, libbpfLog });
}

export function fakeBinding(opts: { cpus?: number } = {}): FakeBinding {
  const maps: NativeMapInfo[] = [
    { name: "counts", type: "hash", keySize: 4, valueSize: 8, maxEntries: 16, fd: 10 },
    { name: "per_cpu", type: "percpu_array", keySize: 4, valueSize: 4, maxEntries: 4, fd: 11 },
    { name: "events", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096, fd: 12 },
  ];
  const store = new Map<number, Map<string, Buffer>>(maps.map((m) => [m.fd, new Map()]));
  const failures = new Map<string, Error>();
  const calls: string[] = [];
  /** Records a call, throws a scripted failure, else returns `result`. */
  const hit = <T = void>(name: string, result?: T): T => {
    calls.push(name);
    const failure = failures.get(name);
    if (failure) {
      failures.delete(name);
      throw failure;
    }
    return result as T;
  };
  const handle = <T>(kind: string) => ({ kind }) as unknown as T;

  const fake: FakeBinding = {
    calls,
    store,
    failNext(method, errno, message, libbpfLog) {
      failures.set(method, nativeError(errno, message, libbpfLog));
    },
    objectOpen: () => hit("objectOpen", handle<ObjectHandle>("object")),
    objectSetRodata: () => hit("objectSetRodata"),
    objectSetMapMaxEntries: () => hit("objectSetMapMaxEntries"),
    objectReusePinnedMap: () => hit("objectReusePinnedMap", true),
    objectLoad: () => hit("objectLoad"),
    objectPrograms: () => [
      { name: "on_tc", type: "sched_cls", section: "tc" },
      { name: "on_tp", type: "tracepoint", section: "tracepoint/sched/sched_switch" },
    ],
    objectMaps: () => maps.map((m) => ({ ...m })),
    objectClose: () => hit("objectClose"),
    programAttachTc: () => hit("programAttachTc", handle<LinkHandle>("link")),
    programAttachTracepoint: () => hit("programAttachTracepoint", handle<LinkHandle>("link")),
    programAttachCgroup: () => hit("programAttachCgroup", handle<LinkHandle>("link")),
    programTestRun: () => hit("programTestRun", { retval: 0, durationNs: 5 }),
    linkClose: () => hit("linkClose"),
    linkDetach: () => hit("linkDetach"),
    linkPin: () => hit("linkPin"),
    linkUnpin: () => hit("linkUnpin"),
    linkOpenPinned: () => hit("linkOpenPinned", handle<LinkHandle>("link")),
    linkUpdate: () => hit("linkUpdate"),
    tcDetach: () => hit("tcDetach", true),
    programAttachNetns: () => hit("programAttachNetns", handle<LinkHandle>("link")),
    netnsTcpListen: () => hit("netnsTcpListen", 100),
    netnsTcpSocket: () => hit("netnsTcpSocket", 101),
    mapLookup: (fd, key, bytes) => {
      hit("mapLookup");
      const v = store.get(fd)?.get(Buffer.from(key).toString("hex"));
      if (v && v.length !== bytes) throw new Error(`fake: value is ${v.length} bytes, asked ${bytes}`);
      return v ? Buffer.from(v) : undefined;
    },
    mapUpdate: (fd, key, value) => {
      hit("mapUpdate");
      store.get(fd)?.set(Buffer.from(key).toString("hex"), Buffer.from(value));
    },
    mapDelete: (fd, key) => hit("mapDelete", store.get(fd)?.delete(Buffer.from(key).toString("hex")) ?? false),
    mapNextKey: (fd, key) => {
      hit("mapNextKey");
      const keys = [...(store.get(fd)?.keys() ?? [])];
      const next = key === null ? keys[0] : keys[keys.indexOf(Buffer.from(key).toString("hex")) + 1];
      return next === undefined ? undefined : Buffer.from(next, "hex");
    },
    mapLookupBatch: () => hit("mapLookupBatch", undefined),
    mapPin: () => hit("mapPin"),
    // A pin named like one of the maps ("/sys/fs/bpf/x/counts") has that map's definition.
    mapOpenPinned: (path) =>
      hit("mapOpenPinned", {
        ...(maps.find((m) => path.endsWith(`/${m.name}`)) ?? { name: "pinned", type: "hash", keySize: 4, valueSize: 4, maxEntries: 8 }),
        fd: 20,
      }),
    mapInfo: (fd) => maps.find((m) => m.fd === fd) ?? maps[0],
    mapClose: () => hit("mapClose"),
    possibleCpus: () => opts.cpus ?? 4,
    ringbufOpen: () => hit("ringbufOpen", handle<RingHandle>("ring")),
    ringbufConsume: () => hit("ringbufConsume", 0),
    ringbufClose: () => hit("ringbufClose"),
  };
  return fake;
}
