// Whether the policies in force are what every policy source says: each source that failed to
// read, parse or compile (a persisted policy file, a --policies path, the compilation) is an entry
// until a good version replaces it. Serves the policy health status and the load-error metrics.
export interface PolicyProblem {
  /** The file (or path) that failed. */
  source: string;
  /** The first error, one line. */
  message: string;
  /** Errors in that source. */
  count: number;
}

export class PolicyHealth {
  private readonly problems = new Map<string, PolicyProblem>();
  private readonly listeners: ((ok: boolean) => void)[] = [];

  get ok(): boolean {
    return this.problems.size === 0;
  }

  /** Sorted by source. */
  list(): PolicyProblem[] {
    return [...this.problems.values()].sort((a, b) => a.source.localeCompare(b.source));
  }

  keys(): string[] {
    return [...this.problems.keys()];
  }

  get(key: string): PolicyProblem | undefined {
    return this.problems.get(key);
  }

  has(key: string): boolean {
    return this.problems.has(key);
  }

  /** `key` names what clears it (see PolicyStore); source is what a user fixes. */
  fail(key: string, problem: PolicyProblem): void {
    const was = this.ok;
    this.problems.set(key, problem);
    if (was) this.emit();
  }

  clear(key: string): void {
    if (!this.problems.delete(key)) return;
    if (this.ok) this.emit();
  }

  /** Called with the new state when it turns from healthy to failing or back. */
  onChange(fn: (ok: boolean) => void): void {
    this.listeners.push(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn(this.ok);
  }
}
