// Secrets come from a file or an environment variable, never from the command line: argv is readable
// by every local user (ps, /proc/PID/cmdline) and ends up in shell history and unit files.
import { readFileSync } from "node:fs";

/** Reads a whole file for a flag, with a one-line error naming the flag and the reason. */
export function readFlagFile(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : code;
    throw new Error(`${flag} ${path}: ${why ?? (e as Error).message}`, { cause: e });
  }
}

/** A password file holds the password; one trailing newline (as editors and `echo` write) is not part of it. */
export function readSecretFile(path: string, flag: string): string {
  const secret = readFlagFile(path, flag).replace(/\r?\n$/, "");
  if (secret === "") throw new Error(`${flag} ${path}: the file is empty`);
  return secret;
}

export interface SecretSource {
  /** The --…-password-file flag, for messages. */
  fileFlag: string;
  /** Its value, if given. */
  file?: string;
  /** The environment variable that may hold the secret instead. */
  envName: string;
}

/** The secret from the file or the environment (one of them; an empty variable counts as unset). */
export function resolveSecret(src: SecretSource, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env[src.envName] || undefined;
  if (src.file !== undefined && fromEnv !== undefined)
    throw new Error(`${src.fileFlag} and ${src.envName} are both set: give the password one way`);
  return src.file !== undefined ? readSecretFile(src.file, src.fileFlag) : fromEnv;
}

/** The one-line refusal of a password given on the command line (the value is never repeated). */
export function argvPasswordRefusal(flag: string, src: SecretSource): Error {
  return new Error(
    `${flag} would put the password on the command line, where every local user can read it; use ${src.fileFlag} FILE or the ${src.envName} environment variable`,
  );
}
