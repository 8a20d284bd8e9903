// Batching, commit-after-insert, retries, pause/resume and bisecting refused rows, with fake Kafka and ClickHouse.
import { describe, expect, it, vi } from "vitest";
import { BatchPipeline, type Chunk, type PartitionOffset, type PipelineDeps } from "./pipeline.js";

function chunk(partition: number, first: number, n: number, bad = new Set<number>()): Chunk<string> {
  const rows: string[] = [];
  const offsets: string[] = [];
  for (let i = 0; i < n; i++) {
    rows.push(bad.has(first + i) ? "bad" : `p${partition}-${first + i}`);
    offsets.push(String(first + i));
  }
  return { partition, firstOffset: String(first), lastOffset: String(first + n - 1), rows, offsets };
}

class DataError extends Error {}

function fakes(over: Partial<PipelineDeps<string>> = {}) {
  const log: string[] = [];
  const inserted: string[][] = [];
  const commits: PartitionOffset[][] = [];
  const dead: string[] = [];
  const events: string[] = [];
  const maybeStored: boolean[] = [];
  const marks: string[] = [];
  const deps: PipelineDeps<string> = {
    batchRows: 10,
    maxWaitMs: 50,
    maxPendingRows: 40,
    backoff: { baseMs: 5, maxMs: 20 },
    async insert(rows, replay) {
      if (rows.includes("bad")) throw new DataError("Cannot parse input");
      inserted.push(rows);
      maybeStored.push(replay);
      events.push(`insert ${rows.length}`);
    },
    isDataError: (e) => e instanceof DataError,
    async deadLetter(_row, partition, offset, reason) {
      dead.push(`${partition}/${offset} ${reason}`);
    },
    async markInflight(m) {
      marks.push(m.map((x) => `${x.partition}:${x.from}-${x.through}`).join(","));
      events.push("mark");
    },
    async commit(offsets) {
      commits.push(offsets);
      events.push(`commit ${offsets.map((o) => `${o.partition}:${o.offset}`).join(",")}`);
    },
    pause: () => events.push("pause"),
    resume: () => events.push("resume"),
    observer: {
      batchStored() {},
      insertFailed() {},
      retried() {},
      committed() {},
      commitFailed() {},
      paused() {},
    },
    log: (m) => log.push(m),
    ...over,
  };
  return { deps, log, inserted, commits, dead, events, maybeStored, marks };
}

const until = (cond: () => boolean, ms = 2000) =>
  vi.waitFor(
    () => {
      if (!cond()) throw new Error("condition not met in time");
    },
    { timeout: ms, interval: 2 },
  );

describe("BatchPipeline", () => {
  it("inserts whole chunks up to batchRows across partitions and commits last+1 per partition after the insert", async () => {
    const f = fakes();
    const p = new BatchPipeline(f.deps);
    p.add(chunk(0, 0, 4));
    p.add(chunk(1, 100, 4));
    expect(f.inserted).toEqual([]);
    p.add(chunk(0, 4, 4)); // 12 rows pending: the first 8 (two chunks) fit one batch of <= 10
    await until(() => f.commits.length >= 1);
    expect(f.inserted[0]).toHaveLength(8);
    expect(f.commits[0]).toEqual([
      { partition: 0, offset: "4" },
      { partition: 1, offset: "104" },
    ]);
    expect(f.maybeStored[0]).toBe(false);
    // Before the insert, the offsets it covers are marked (so a crash before the commit is known as a replay).
    expect(f.marks[0]).toBe("0:0-3,1:100-103");
    // The rest goes when maxWait has passed.
    await until(() => f.commits.length >= 2);
    expect(f.inserted[1]).toEqual(["p0-4", "p0-5", "p0-6", "p0-7"]);
    expect(f.commits[1]).toEqual([{ partition: 0, offset: "8" }]);
    expect(p.pendingRows).toBe(0);
  });

  it("splits a chunk larger than batchRows, committing each part up to its own last row", async () => {
    const f = fakes({ batchRows: 4, maxWaitMs: 10 });
    const p = new BatchPipeline(f.deps);
    // rows at offsets 0..9, then a dead letter at 10 that ends the chunk
    p.add({ ...chunk(0, 0, 10), lastOffset: "10" });
    await until(() => f.commits.length === 3);
    expect(f.inserted.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(f.commits.flat().map((c) => c.offset)).toEqual(["4", "8", "11"]);
    expect(f.marks).toEqual(["0:0-3", "0:4-7", "0:8-10"]);
  });

  it("flushes a small batch when maxWait has passed", async () => {
    const f = fakes({ maxWaitMs: 30 });
    vi.useFakeTimers();
    try {
      const p = new BatchPipeline(f.deps);
      p.add(chunk(2, 7, 1));
      await vi.advanceTimersByTimeAsync(29);
      expect(f.commits).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      vi.useRealTimers();
      await until(() => f.commits.length === 1);
      expect(f.commits[0]).toEqual([{ partition: 2, offset: "8" }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not commit while the insert is unacknowledged", async () => {
    let release!: () => void;
    const f = fakes({
      batchRows: 2,
      insert: () => new Promise<void>((r) => (release = r)),
    });
    const p = new BatchPipeline(f.deps);
    p.add(chunk(0, 0, 2));
    await until(() => release !== undefined); // the insert is in flight
    expect(f.commits).toEqual([]);
    release();
    await until(() => f.commits.length === 1);
    expect(f.commits[0]).toEqual([{ partition: 0, offset: "2" }]);
  });

  it("pauses on a transient failure, retries with backoff, resumes, and commits once stored", async () => {
    let failures = 3;
    const f = fakes({ batchRows: 2 });
    const realInsert = f.deps.insert;
    f.deps.insert = async (rows, replay) => {
      if (failures-- > 0) throw new Error("connect ECONNREFUSED 127.0.0.1:8123");
      await realInsert(rows, replay);
    };
    const p = new BatchPipeline(f.deps);
    p.add(chunk(0, 0, 2));
    await until(() => f.commits.length === 1);
    expect(f.events).toEqual(["mark", "pause", "insert 2", "resume", "commit 0:2"]);
    expect(f.log.filter((l) => l.includes("retry"))).toHaveLength(3);
    // A retry may repeat rows a timed-out attempt stored: the store is asked to skip those.
    expect(f.maybeStored).toEqual([true]);
  });

  it("splits a batch ClickHouse refuses and dead-letters only the refused rows", async () => {
    const f = fakes({ batchRows: 8 });
    const p = new BatchPipeline(f.deps);
    p.add(chunk(0, 0, 8, new Set([5])));
    await until(() => f.commits.length === 1);
    expect(f.inserted.flat().sort()).toEqual(["p0-0", "p0-1", "p0-2", "p0-3", "p0-4", "p0-6", "p0-7"]);
    expect(f.dead).toEqual(["0/5 ClickHouse refused the row: Cannot parse input"]);
    expect(f.commits[0]).toEqual([{ partition: 0, offset: "8" }]);
  });

  it("retries the whole batch when the dead letter cannot be written, committing nothing meanwhile", async () => {
    let dlqDown = 2;
    const f = fakes({ batchRows: 2 });
    const realDead = f.deps.deadLetter;
    f.deps.deadLetter = async (...a) => {
      if (dlqDown-- > 0) throw new Error("Kafka unreachable");
      await realDead(...a);
    };
    const p = new BatchPipeline(f.deps);
    p.add(chunk(0, 0, 2, new Set([1])));
    await until(() => f.commits.length === 1);
    expect(f.dead).toHaveLength(1);
    // p0-0 was stored on each attempt: a duplicate the store's dedup hides.
    expect(f.inserted.flat()).toEqual(["p0-0", "p0-0", "p0-0"]);
    expect(f.commits).toEqual([[{ partition: 0, offset: "2" }]]);
  });

  it("holds consumption while too many rows are pending, heartbeating, and lets it go after a flush", async () => {
    let release!: () => void;
    let first = true;
    const f = fakes({ batchRows: 5, maxPendingRows: 10 });
    f.deps.insert = () => {
      if (!first) return Promise.resolve();
      first = false;
      return new Promise<void>((r) => {
        release = r;
      });
    };
    const p = new BatchPipeline(f.deps);
    p.add(chunk(0, 0, 5));
    p.add(chunk(0, 5, 5));
    let beats = 0;
    let free = false;
    const waiting = p.waitForRoom(async () => void beats++, 10).then(() => (free = true));
    await until(() => beats > 2);
    expect(free).toBe(false);
    release();
    await waiting;
    expect(p.pendingRows).toBeLessThan(10);
  });

  it("drain gives up at its deadline while ClickHouse is down and commits nothing", async () => {
    const f = fakes({
      insert: async () => {
        throw new Error("connect ECONNREFUSED");
      },
    });
    const p = new BatchPipeline(f.deps);
    p.add(chunk(0, 0, 3));
    expect(await p.drain(100)).toBe(false);
    expect(f.commits).toEqual([]);
  });

  it("drain stores and commits a partial batch at once", async () => {
    const f = fakes({ maxWaitMs: 60_000 });
    const p = new BatchPipeline(f.deps);
    p.add(chunk(3, 10, 2));
    expect(await p.drain(1000)).toBe(true);
    expect(f.commits).toEqual([[{ partition: 3, offset: "12" }]]);
  });

  it("asks the store to skip stored rows when a batch holds records that may be replays", async () => {
    const f = fakes({ batchRows: 4 });
    const p = new BatchPipeline(f.deps);
    p.add({ ...chunk(0, 0, 2), maybeStored: true });
    p.add(chunk(1, 0, 2));
    await until(() => f.commits.length === 1);
    expect(f.maybeStored).toEqual([true]);
  });

  it("holds the insert back while the in-flight mark cannot be written", async () => {
    let down = 2;
    const f = fakes({ batchRows: 2 });
    const realMark = f.deps.markInflight;
    f.deps.markInflight = async (m) => {
      if (down-- > 0) throw new Error("coordinator not available");
      await realMark(m);
    };
    const p = new BatchPipeline(f.deps);
    p.add(chunk(0, 0, 2));
    await until(() => f.commits.length === 1);
    expect(f.inserted).toEqual([["p0-0", "p0-1"]]);
  });

  it("drops pending chunks of partitions this member no longer owns", async () => {
    const owned = new Set([0, 1]);
    const f = fakes({ batchRows: 100, maxWaitMs: 20, owns: (p) => owned.has(p) });
    const p = new BatchPipeline(f.deps);
    p.add(chunk(0, 0, 2));
    p.add(chunk(1, 0, 2));
    owned.delete(1); // a rebalance moved partition 1 away
    await until(() => f.commits.length === 1);
    expect(f.inserted).toEqual([["p0-0", "p0-1"]]);
    expect(f.commits[0]).toEqual([{ partition: 0, offset: "2" }]);
    expect(p.pendingRows).toBe(0);
  });

  it("commits progress through a batch that held only dead letters", async () => {
    const f = fakes({ maxWaitMs: 10 });
    const p = new BatchPipeline(f.deps);
    p.add({ partition: 1, firstOffset: "40", lastOffset: "41", rows: [], offsets: [] });
    await until(() => f.commits.length === 1);
    expect(f.inserted).toEqual([]);
    expect(f.commits[0]).toEqual([{ partition: 1, offset: "42" }]);
  });
});
