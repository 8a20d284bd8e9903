// RingBufferReader: delivers a BPF ring buffer's records to JS in batches, driven by libuv (no polling thread).
import { call } from "./errors.js";
import { type Closeable, track, untrack } from "./lifecycle.js";
import type { BpfMap } from "./map.js";
import type { NativeBinding, RingHandle } from "./native.js";
import { nativeBinding } from "./native.js";
import { requireFunction } from "./validate.js";

/**
 * Receives every record pending at one wakeup: `data` holds the records back to back, and `offsets` has
 * count + 1 entries — record i is data.subarray(offsets[i], offsets[i + 1]).
 */
export type BatchHandler = (data: Buffer, offsets: Uint32Array, count: number) => void;

/**
 * Like a socket, an open reader keeps the process alive; close it (or its map's object, or closeAll()).
 * BPF programs that submit with BPF_RB_NO_WAKEUP need a user-space timer calling consume().
 */
export class RingBufferReader implements Closeable {
  readonly #binding: NativeBinding;
  readonly #handle: RingHandle;
  readonly #mapName: string;
  readonly #release: () => void;
  #closed = false;

  constructor(map: BpfMap, onBatch: BatchHandler, opts: { binding?: NativeBinding } = {}) {
    const where = "new RingBufferReader";
    if (!map || typeof map !== "object" || typeof map.type !== "string") throw new TypeError(`${where}: map must be a BpfMap`);
    if (map.type !== "ringbuf") throw new TypeError(`${where}: map ${map.name} is a ${map.type} map, not a ringbuf`);
    requireFunction(where, "onBatch", onBatch);
    this.#binding = opts.binding ?? nativeBinding();
    this.#mapName = map.name;
    const fd = map.fd;
    this.#handle = call(`open ring buffer ${map.name}`, () => this.#binding.ringbufOpen(fd, onBatch));
    this.#release = map.dependent(this);
    track(this);
  }

  /** Delivers every pending record now (records submitted with BPF_RB_NO_WAKEUP wait for this). */
  consume(): number {
    if (this.#closed) throw new Error(`RingBufferReader(${this.#mapName}).consume: the reader is closed`);
    return call(`consume ring buffer ${this.#mapName}`, () => this.#binding.ringbufConsume(this.#handle));
  }

  /** Stops watching and frees the ring buffer; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    untrack(this);
    this.#release();
    this.#binding.ringbufClose(this.#handle);
  }
}
