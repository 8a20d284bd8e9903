// @flowlens/cli: `main` for the bin, plus the pieces other packages and tests use.
import { processIO, run } from "./main.js";

export type { CliIO } from "./io.js";
export { processIO, run } from "./main.js";
export { FILTER_FLAGS, FilterFlags } from "./observe-filters.js";
export { buildGetFlowsRequest, DEFAULT_LAST } from "./observe-request.js";
export { createProgram } from "./program.js";

/** Runs the CLI against the real process and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const io = processIO();
  try {
    return await run(argv, io);
  } finally {
    io.dispose();
  }
}
