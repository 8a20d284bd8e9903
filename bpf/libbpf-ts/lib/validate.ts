// Argument checks for the facade: each throws a TypeError/RangeError naming the call and the argument.

export function requireString(where: string, name: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(`${where}: ${name} must be a non-empty string, got ${describe(value)}`);
  }
  if (value.includes("\0")) throw new TypeError(`${where}: ${name} must not contain NUL bytes`);
  return value;
}

export function requireUint(where: string, name: string, value: unknown, max = 0xffff_ffff, min = 0): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${where}: ${name} must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${where}: ${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

export function requireBytes(where: string, name: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${where}: ${name} must be a Uint8Array or Buffer, got ${describe(value)}`);
  }
  if (length !== undefined && value.byteLength !== length) {
    throw new RangeError(`${where}: ${name} must be ${length} bytes, got ${value.byteLength}`);
  }
  return value;
}

export function requireFunction<T extends (...args: never[]) => unknown>(where: string, name: string, value: unknown): T {
  if (typeof value !== "function") throw new TypeError(`${where}: ${name} must be a function, got ${describe(value)}`);
  return value as T;
}

export function requireOneOf<T extends string>(where: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !allowed.includes(value as T)) {
    throw new TypeError(`${where}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(", ")}, got ${describe(value)}`);
  }
  return value as T;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.byteLength})`;
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}
