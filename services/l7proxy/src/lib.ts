// @flowlens/l7proxy as a library: the files and messages shared with the collector's L7 supervisor.
// The proxy process itself starts from index.js (bin flowlens-l7proxy).

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
export { L7_SOCK_V6, sockKey } from "./endpoint-server.js";
export { type L7HttpEvent, type L7LostNotice, type L7Message, type L7Verdict, parseL7Message } from "./event.js";
export { isL7Proxy, readPid, writePid } from "./pidfile.js";
export { L7PROXY_CAPABILITIES, proxyCommand } from "./privileges.js";
