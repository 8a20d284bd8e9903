// Types of args.mjs for the TypeScript benches.
export function parseFlags<T extends Record<string, string | number | boolean>>(defaults: T, argv?: string[]): T;
export function result(metric: string, measured: string, target: string, pass: boolean): void;
export function fmt(n: number, digits?: number): string;
