import { UnbundledError } from '../../core/index.ts';

/** The Standard Schema v1 interface (zod 4, valibot, arktype implement it), minimal slice. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardIssue[] };

interface StandardIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/** The output type of a Standard Schema. */
export type InferOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : never;

/** One validation problem with its field path, e.g. `items.0.qty`. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Validate `value`; on failure throw VALIDATION_FAILED (HTTP 400) listing each field path.
 * `where` names the value in the message (e.g. 'event 2 of stream "orders"').
 */
export async function validateOrThrow<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  where: string,
): Promise<InferOutput<S>> {
  const result = await schema['~standard'].validate(value);
  if (result.issues === undefined) return result.value as InferOutput<S>;
  const issues = result.issues.map(toFieldIssue);
  const list = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
  throw new UnbundledError('VALIDATION_FAILED', `${where} does not match its schema: ${list}`, {
    details: { status: 400, issues },
  });
}

function toFieldIssue(issue: StandardIssue): FieldIssue {
  const path = (issue.path ?? [])
    .map((p) => String(typeof p === 'object' && p !== null ? p.key : p))
    .join('.');
  return { path, message: issue.message };
}
