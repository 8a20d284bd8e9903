// Applies the schema idempotently: CREATE … IF NOT EXISTS statements plus a schema_migrations record per version.
import type { ClickHouseClient } from "@clickhouse/client";
import { DEFAULT_DATABASE, MIGRATIONS, type Migration, migrationsTableSql } from "./schema.js";
import { ident, qualified, sql } from "./sql.js";

/** What migrate() did. */
export interface MigrateResult {
  applied: number[];
  current: number;
}

/**
 * Creates the database, then applies each migration whose version is not recorded yet, in order.
 * Every statement is IF NOT EXISTS, so a migration interrupted half-way is simply applied again.
 */
export async function migrate(
  client: ClickHouseClient,
  database: string = DEFAULT_DATABASE,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrateResult> {
  const db = ident(database).text;
  await run(client, `CREATE DATABASE IF NOT EXISTS ${db}`, "create database");
  await run(client, migrationsTableSql(db).text, "create schema_migrations");
  const done = new Set(await appliedVersions(client, db));
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    for (const stmt of m.statements(db)) await run(client, stmt.text, `migration ${m.version} (${m.name})`);
    if (m.after) {
      try {
        await m.after(client, db);
      } catch (err) {
        throw new Error(`clickhouse migration ${m.version} (${m.name}): ${(err as Error).message.split("\n")[0]}`, { cause: err });
      }
    }
    const now = new Date();
    await run(
      client,
      sql`INSERT INTO ${qualified(db, "schema_migrations")} (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${now})`.text,
      `record migration ${m.version}`,
    );
    applied.push(m.version);
  }
  const current = Math.max(0, ...done, ...applied);
  return { applied, current };
}

/** Versions recorded in schema_migrations. */
export async function appliedVersions(client: ClickHouseClient, database: string = DEFAULT_DATABASE): Promise<number[]> {
  const rs = await client.query({
    query: `SELECT DISTINCT version FROM ${qualified(database, "schema_migrations")} ORDER BY version`,
    format: "JSONEachRow",
  });
  const rows = await rs.json<{ version: number | string }>();
  return rows.map((r) => Number(r.version));
}

async function run(client: ClickHouseClient, query: string, what: string): Promise<void> {
  try {
    await client.command({ query });
  } catch (err) {
    throw new Error(`clickhouse ${what}: ${(err as Error).message}`, { cause: err });
  }
}
