// ClickHouse login shared by the ingester and the relay's direct mode: user by flag, password from a
// file or FLOWLENS_CLICKHOUSE_PASSWORD (the variable infra/clickhouse/clickhouse.sh sets the server's
// writer password from), never argv — neither as a flag nor inside --clickhouse-url.
import { type Command, Option } from "commander";
import { argvPasswordRefusal, resolveSecret, type SecretSource } from "./secret.js";

export const CLICKHOUSE_PASSWORD_ENV = "FLOWLENS_CLICKHOUSE_PASSWORD";

export interface ClickHouseAuth {
  username: string;
  password: string;
}

/** Adds --clickhouse-user and --clickhouse-password-file to a service's command. */
export function addClickHouseAuthOptions(cmd: Command): Command {
  return cmd
    .option("--clickhouse-user <name>", "ClickHouse user", "default")
    .option("--clickhouse-password-file <file>", `file holding the ClickHouse password (or set ${CLICKHOUSE_PASSWORD_ENV}; default: none)`)
    .addOption(new Option("--clickhouse-password <password>").hideHelp());
}

/** User and password from the parsed flags; url is checked for a password in it too. */
export function clickhouseAuthFrom(
  o: Record<string, unknown>,
  url: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ClickHouseAuth {
  const src: SecretSource = {
    fileFlag: "--clickhouse-password-file",
    file: o.clickhousePasswordFile as string | undefined,
    envName: CLICKHOUSE_PASSWORD_ENV,
  };
  if (o.clickhousePassword !== undefined) throw argvPasswordRefusal("--clickhouse-password", src);
  if (url !== undefined && URL.canParse(url) && new URL(url).password !== "")
    throw argvPasswordRefusal("a password in --clickhouse-url", src);
  return { username: (o.clickhouseUser as string | undefined) ?? "default", password: resolveSecret(src, env) ?? "" };
}
