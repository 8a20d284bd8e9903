// Tracks everything the facade opened so it is closed on process exit, SIGINT/SIGTERM, or closeAll().

export interface Closeable {
  close(): void;
}

const open = new Set<Closeable>();
let installed = false;

export function track(resource: Closeable): void {
  open.add(resource);
  if (!installed) installHandlers();
}

export function untrack(resource: Closeable): void {
  open.delete(resource);
}

/**
 * Closes every reader, link, object and pinned map that is still open, newest first, so tc filters and
 * clsact qdiscs we created do not outlive the process (kept tc filters and pinned links do: by design). Applications with their own SIGINT/SIGTERM
 * handlers must call this from them; without such handlers the facade does it itself.
 */
export function closeAll(): void {
  for (const resource of [...open].reverse()) {
    try {
      resource.close();
    } catch {
      // keep closing the rest: a failed detach must not leave other links attached
    }
  }
  open.clear();
}

export function openCount(): number {
  return open.size;
}

function installHandlers(): void {
  installed = true;
  process.once("exit", closeAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    // Installing a listener disables Node's default "exit on signal"; only do it when nobody else decided.
    if (process.listenerCount(signal) > 0) continue;
    process.once(signal, () => {
      closeAll();
      // Re-raise so the process dies of the signal as it would have, unless the app added its own handler.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
