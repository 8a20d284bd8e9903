// The one error a bad filter raises: a one-line message that names the problem and where it is.

export interface FilterPosition {
  offset: number;
  line?: number;
  column?: number;
}

/** Line and column (both 1-based) of an offset in a text. */
export function positionIn(text: string, offset: number): FilterPosition {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      column = 1;
    } else column++;
  }
  return { offset, line, column };
}

/** " at 1:5" for a position in filter text; nothing for one without a line (a query parameter, a FlowFilter). */
export function describePosition(p: FilterPosition): string {
  return p.line !== undefined ? ` at ${p.line}:${p.column}` : "";
}

export class FilterSyntaxError extends Error {
  override readonly name = "FilterSyntaxError";
  /** problem: the message without the position ("unknown field 'x'"); hint: an optional "(did you mean …)". */
  constructor(
    readonly problem: string,
    readonly position: FilterPosition,
    hint?: string,
    options?: ErrorOptions,
  ) {
    super(`${problem}${describePosition(position)}${hint ? ` ${hint}` : ""}`, options);
  }
}
