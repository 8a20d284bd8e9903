// Kubernetes label syntax: the one check for every place labels enter (policy selectors, endpoint
// declarations from the endpoints file or the API). Key: an optional DNS-subdomain prefix of at most
// 253 characters and "/", then a name; name and value: up to 63 of [A-Za-z0-9-_.], starting and
// ending alphanumeric (a value may be empty).
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a Kubernetes label key; undefined when it is one. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)))) return undefined;
  return `"${key}" is not a valid label key (optional DNS prefix of at most 253 characters and "/", then up to 63 of [A-Za-z0-9-_.] starting and ending alphanumeric)`;
}

/** Why `value` is not a Kubernetes label value; undefined when it is one. */
export function labelValueError(value: string): string | undefined {
  if (value === "" || NAME.test(value)) return undefined;
  return `"${value}" is not a valid label value (empty, or up to 63 of [A-Za-z0-9-_.] starting and ending alphanumeric)`;
}
