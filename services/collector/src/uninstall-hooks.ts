// Steps `flowlens-collector uninstall` runs before it removes filters, links and pins: parts of
// Flowlens that run beside the collector add theirs here (the L7 proxy stops here).
import type { UninstallStep } from "./datapath/uninstall.js";
import { uninstallL7 } from "./policy/l7/l7-supervisor.js";

export const uninstallHooks: UninstallStep[] = [uninstallL7];
