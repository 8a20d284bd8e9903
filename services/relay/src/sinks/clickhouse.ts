// Direct mode: the relay writes its batches straight to ClickHouse (no Kafka). A batch retried after
// an error asks the store to skip uuids already stored, so a half-done insert is not counted twice.
import { createFlowStore, type FlowStore } from "@flowlens/clickhouse";
import { decodedFlow, type RelayFlow } from "../merge/relay-flow.js";
import type { Delivery } from "./sink.js";

export interface ClickHouseOptions {
  url: string;
  database?: string;
  username?: string;
  password?: string;
}

export function clickhouseDelivery(
  opts: ClickHouseOptions,
  store: FlowStore = createFlowStore(opts),
): Delivery & { migrate(): Promise<unknown> } {
  let retrying = false;
  return {
    migrate: () => store.migrate(),
    async deliver(batch: RelayFlow[]) {
      try {
        await store.insertFlows(
          batch.map((f) => decodedFlow(f)),
          { skipExisting: retrying },
        );
        retrying = false;
      } catch (e) {
        retrying = true;
        throw new Error(`insert into ClickHouse ${opts.url}: ${(e as Error).message}`, { cause: e });
      }
    },
    close: () => store.close(),
  };
}
