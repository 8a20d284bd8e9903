// @flowlens/l7-contract: what the collector's L7 supervisor and the L7 proxy (its own process) share —
// the config file, the event stream, the pid file, fl_l7_socks keys and the proxy's command line.
// Both sides import it; neither imports the other.

export {
  L7_CONFIG_VERSION,
  L7ConfigError,
  type L7EndpointConfig,
  type L7Paths,
  type L7ProxyConfig,
  l7Paths,
  parseL7Config,
  writeL7Config,
} from "./config-file.js";
export { type L7HttpEvent, type L7LostNotice, type L7Message, type L7Verdict, parseL7Message } from "./event.js";
export { isL7Proxy, readPid, removePid, writePid } from "./pidfile.js";
export { L7PROXY_CAPABILITIES, proxyCommand } from "./privileges.js";
export { L7_SOCK_V6, sockKey } from "./sock-key.js";
