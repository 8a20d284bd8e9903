// `flowlens sql "SELECT …"`: one read-only query through flowlens-api's POST /api/v1/sql.
import { Command, Option } from "commander";
import { apiRequest } from "../api-client.js";
import { type ApiOpts, addApiOptions, resolveApi } from "../api-options.js";
import type { CommandContext } from "../context.js";
import { UsageError } from "../errors.js";
import { formatSqlResult, SQL_FORMATS, type SqlFormat, type SqlResult } from "../sql-output.js";

/** The API's own cap on max_rows (it may be configured lower; then its cap applies). */
const MAX_ROWS = 10_000;

interface SqlOpts extends ApiOpts {
  output: SqlFormat;
  maxRows?: number;
}

function sqlFormat(v: string): SqlFormat {
  if (!(SQL_FORMATS as readonly string[]).includes(v))
    throw new UsageError(`unknown --output "${v}": use one of ${SQL_FORMATS.join(", ")}`);
  return v as SqlFormat;
}

function maxRows(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > MAX_ROWS)
    throw new UsageError(`invalid --max-rows "${v}": a whole number from 1 to ${MAX_ROWS}`);
  return n;
}

export function sqlCommand(ctx: CommandContext): Command {
  const cmd = new Command("sql")
    .description("run one read-only SELECT on the flow history (flowlens-api POST /api/v1/sql)")
    .argument("<query>", 'the SELECT, e.g. "SELECT verdict, count() AS n FROM flowlens.flows_dedup GROUP BY verdict"')
    .addOption(new Option("-o, --output <format>", `output format: ${SQL_FORMATS.join(", ")}`).default("table").argParser(sqlFormat))
    .option("--max-rows <n>", `most rows to return (1–${MAX_ROWS}; the API's --sql-max-rows caps it)`, maxRows);
  addApiOptions(cmd);
  cmd.action(async (query: string, opts: SqlOpts) => {
    if (query.trim() === "") throw new UsageError("the query is empty");
    const api = resolveApi(opts, ctx.io.env);
    const res = await apiRequest(api, "/api/v1/sql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, ...(opts.maxRows ? { max_rows: opts.maxRows } : {}) }),
      signal: ctx.signal,
      rejected: "runtime",
    });
    const result = (await res.json()) as SqlResult;
    ctx.out.write(formatSqlResult(result, opts.output));
    // json carries limitReached itself; the other formats say it on stderr so the data stays clean
    if (result.limitReached && opts.output !== "json") {
      ctx.err.line(`flowlens sql: limit reached: only the first ${result.rowCount} rows were returned (add LIMIT or --max-rows)`);
    }
    await ctx.out.drain();
  });
  return cmd;
}
