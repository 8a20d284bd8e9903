// Link: one attachment (tc filter, tracepoint, cgroup hook); close() detaches it and is idempotent.
import { type Closeable, track, untrack } from "./lifecycle.js";
import type { LinkHandle, NativeBinding } from "./native.js";

export class Link implements Closeable {
  readonly #binding: NativeBinding;
  readonly #handle: LinkHandle;
  readonly #onClose: (link: Link) => void;
  #closed = false;
  /** What this link attaches, e.g. "tc ingress on ifindex 12 (veth-web)". */
  readonly description: string;

  /** @internal created by BpfProgram */
  constructor(binding: NativeBinding, handle: LinkHandle, description: string, onClose: (link: Link) => void) {
    this.#binding = binding;
    this.#handle = handle;
    this.description = description;
    this.#onClose = onClose;
    track(this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    untrack(this);
    this.#onClose(this);
    this.#binding.linkClose(this.#handle);
  }
}
