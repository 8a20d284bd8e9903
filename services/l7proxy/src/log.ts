// The proxy's logger: the daemons' structured log under the name flowlens-l7proxy. Its stderr is the
// log file the collector opens for it (DIR/l7/proxy.log), or the terminal when started by hand.
import { createLog as createDaemonLog, type Log, type LogLevel } from "@flowlens/runtime";

export function createLog(write?: (line: string) => void, level?: LogLevel): Log {
  return createDaemonLog({ service: "flowlens-l7proxy", level, write });
}
