// Rows kept as their TabSeparated line from the moment they are consumed: one string per flow waits for
// its batch instead of a row object graph (the ingester's time went to garbage collection), and the
// insert sends the lines as they are. Same columns and text as the store's own insertRows.
import { Readable } from "node:stream";
import {
  FLOW_COLUMN_NAMES,
  type FlowRow,
  type FlowStore,
  qualified,
  repairRollup,
  rowsToTsv,
  storedUuidsSql,
  timeRange,
} from "@flowlens/clickhouse";

export interface TsvRow {
  /** The row's TabSeparated line, newline included. */
  line: string;
  uuid: string;
  /** 'YYYY-MM-DD hh:mm:ss' (UTC), for the stored-uuid lookup of a replay. */
  time: string;
  /** The Kafka record value, for the dead-letter topic if ClickHouse refuses the row. */
  value: Buffer;
}

export function tsvRow(row: FlowRow, value: Buffer): TsvRow {
  return { line: rowsToTsv([row]), uuid: row.uuid, time: row.time, value };
}

function wrap(what: string, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  return new Error(`clickhouse ${what}: ${msg.split("\n")[0]}`, { cause: err });
}

/** Inserts TSV rows into the store's flows table; skipExisting leaves out uuids already stored. */
export function tsvInserter(store: Pick<FlowStore, "client" | "database">) {
  const table = qualified(store.database, "flows").text;
  const columns = [...FLOW_COLUMN_NAMES] as [string, ...string[]];
  return async (rows: readonly TsvRow[], skipExisting: boolean): Promise<number> => {
    if (rows.length === 0) return 0;
    let batch = rows;
    if (skipExisting) {
      const { min, max } = timeRange(rows);
      let have: Set<string>;
      try {
        const rs = await store.client.query({ query: storedUuidsSql(store.database, min, max).text, format: "JSONEachRow" });
        have = new Set((await rs.json<{ uuid: string }>()).map((r) => r.uuid));
      } catch (err) {
        throw wrap(`look up stored uuids for ${rows.length} rows in ${table}`, err);
      }
      if (have.size > 0) batch = rows.filter((r) => !have.has(r.uuid));
      if (batch.length < rows.length) {
        // Stored rows may lack their rollup contribution (an earlier attempt stopped between flows and flows_minute).
        const range = timeRange(rows.filter((r) => have.has(r.uuid)));
        try {
          await repairRollup(store.client, store.database, range.min, range.max);
        } catch (err) {
          throw wrap(`repair the rollup of ${rows.length - batch.length} stored rows in ${table}`, err);
        }
      }
    }
    if (batch.length === 0) return 0;
    const text = new Array<string>(batch.length);
    for (let i = 0; i < batch.length; i++) text[i] = batch[i].line;
    try {
      await store.client.insert({
        table,
        values: Readable.from([Buffer.from(text.join(""))], { objectMode: false }),
        format: "TabSeparated",
        columns,
      });
    } catch (err) {
      throw wrap(`insert ${batch.length} rows into ${table}`, err);
    }
    return batch.length;
  };
}
