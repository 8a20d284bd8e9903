// Refused control-plane calls: counted by method for /metrics, and logged at most once per interval
// (a local user cannot flood the log by retrying).
import { Counter, type Registry } from "prom-client";

export class AdminDenials {
  readonly byMethod = new Map<string, number>();
  private lastLogMs = Number.NEGATIVE_INFINITY;
  private unlogged = 0;

  constructor(
    private readonly log: (msg: string) => void,
    private readonly logIntervalMs = 10_000,
    private readonly nowMs: () => number = Date.now,
  ) {}

  denied(method: string, reason: string): void {
    this.byMethod.set(method, (this.byMethod.get(method) ?? 0) + 1);
    this.unlogged++;
    const now = this.nowMs();
    if (now - this.lastLogMs < this.logIntervalMs) return;
    const more = this.unlogged > 1 ? ` (${this.unlogged - 1} more refused since the last report)` : "";
    this.log(`control plane: refused ${method}: ${reason}${more}`);
    this.lastLogMs = now;
    this.unlogged = 0;
  }

  /** flowlens_admin_calls_denied_total{method} on the collector's registry. */
  register(registry: Registry): void {
    const byMethod = this.byMethod;
    new Counter({
      name: "flowlens_admin_calls_denied_total",
      help: "Policy and endpoint changes refused on the TCP listener (no allow-listed mTLS client certificate), by method",
      labelNames: ["method"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [method, n] of byMethod) this.inc({ method }, n);
      },
    });
  }
}
