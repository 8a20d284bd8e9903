// Shared shapes for flow filters: the predicate, the per-dimension builder, the error and test-case data.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Flow, FlowFilter, FlowFilterSchema, FlowSchema } from "@flowlens/proto";

export type FlowPredicate = (flow: Flow) => boolean;

/** A FlowFilter field name as generated (camelCase), e.g. "sourceIp". */
export type FilterField = Exclude<keyof FlowFilter, "$typeName" | "$unknown">;

/** One filter dimension: reads some FlowFilter fields, returns one predicate per set field (ANDed). */
export interface FilterBuilder {
  /** Short name of the dimension, e.g. "ip". */
  readonly name: string;
  /** FlowFilter fields this builder consumes. */
  readonly fields: readonly FilterField[];
  /** Validates and compiles; throws FilterError on a bad value. Returns [] when none of its fields are set. */
  build(filter: FlowFilter): FlowPredicate[];
}

/** A filter that cannot be compiled; the message names the field and the bad value. */
export class FilterError extends Error {
  override readonly name = "FilterError";
  constructor(
    readonly field: string,
    readonly value: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`invalid ${field} filter ${JSON.stringify(value)}: ${reason}`, options);
  }
}

/** Table-test row shared by the live evaluator and (later) the SQL compiler. */
export interface FilterCase {
  name: string;
  filter: MessageInitShape<typeof FlowFilterSchema>;
  flow: MessageInitShape<typeof FlowSchema>;
  match: boolean;
}

/** A filter that must be rejected when built; `error` is a substring of the message. */
export interface InvalidFilterCase {
  name: string;
  filter: MessageInitShape<typeof FlowFilterSchema>;
  error: string;
}

export interface FilterCaseTable {
  builder: FilterBuilder;
  cases: FilterCase[];
  invalid: InvalidFilterCase[];
}
