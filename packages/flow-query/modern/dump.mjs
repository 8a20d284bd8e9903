// Prints, as JSON, the flows table's schema, the equivalence flows as the TabSeparated text the store inserts,
// and every equivalence query's WHERE fragment with the uuids the live evaluator expects (check.py replays them).
import { FLOW_COLUMN_NAMES, FLOW_COLUMNS, flowToRow, MIGRATIONS, rowsToTsv } from "@flowlens/clickhouse";
import { allFlows, equivalenceQueries } from "../dist/equivalence.js";

console.log(
  JSON.stringify({
    flowsTable: MIGRATIONS[0].statements("flowlens").map((s) => s.text),
    columns: FLOW_COLUMNS,
    columnNames: FLOW_COLUMN_NAMES,
    tsv: rowsToTsv(allFlows.map((f) => flowToRow(f))),
    queries: equivalenceQueries(),
  }),
);
