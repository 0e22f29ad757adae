/**
 * Every problem of a value against a TypeBox schema, each with its JSON path (RFC 6901, as
 * in `/golden/1/label`) and a message that says what is expected and shows what was found.
 * TypeBox's own messages ("must match pattern ...") name neither, so they are rewritten here.
 */
import type { TSchema } from 'typebox';
import Value from 'typebox/value';

export interface Problem {
  /** JSON pointer to the offending value; `''` is the whole document. */
  readonly path: string;
  /** What is wrong there, e.g. `must be a semantic version like 1.2.3 (got "v1")`. */
  readonly message: string;
}

/** `/version must be …`; the whole document is shown as `/`. */
export function formatProblem(problem: Problem): string {
  return `${problem.path || '/'} ${problem.message}`;
}

/**
 * A schema may carry `expected: 'a semantic version like 1.2.3'`: any failed keyword of that
 * schema (type, pattern, minimum, …) is then reported as `must be <expected> (got …)`, once.
 */
export interface Expected {
  expected?: string;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** A short rendering of a found value for messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function escapeToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The value or sub-schema at a JSON pointer (`#/properties/x` for schema paths). */
function at(root: unknown, pointer: string): unknown {
  let node = root;
  for (const token of pointer.replace(/^#/, '').split('/').slice(1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[unescapeToken(token)];
  }
  return node;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** TypeBox's error for one keyword, said with the expected and the found value. */
function describe(
  keyword: string,
  params: Record<string, unknown>,
  found: unknown,
  fallback: string,
): string {
  const got = `(got ${show(found)})`;
  switch (keyword) {
    case 'type':
      return `must be ${TYPE_NAMES[params.type as string] ?? params.type} ${got}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} ${got}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)} ${got}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${params.comparison} ${params.limit} ${got}`;
    case 'minItems':
      return `must have at least ${plural(params.limit as number, 'item')} (got ${(found as unknown[]).length})`;
    case 'maxItems':
      return `must have at most ${plural(params.limit as number, 'item')} (got ${(found as unknown[]).length})`;
    case 'minLength':
      return params.limit === 1
        ? 'must not be empty'
        : `must be at least ${plural(params.limit as number, 'character')} long ${got}`;
    case 'uniqueItems':
      return `must not repeat an item ${got}`;
    default:
      return `${fallback} ${got}`;
  }
}

/**
 * The problems of `value` against `schema`, each reported once, in TypeBox's order: an
 * object's missing and unknown fields first, then its fields' values in schema order.
 */
export function schemaProblems(schema: TSchema, value: unknown, basePath = ''): Problem[] {
  if (Value.Check(schema, value)) return [];
  const problems: Problem[] = [];
  for (const error of Value.Errors(schema, value)) {
    const path = `${basePath}${error.instancePath}`;
    const found = at(value, error.instancePath);
    const params = error.params as Record<string, unknown>;
    const expected = (at(schema, error.schemaPath) as Expected | undefined)?.expected;
    switch (error.keyword) {
      case 'required':
        for (const key of params.requiredProperties as string[]) {
          if (typeof found === 'object' && found !== null && key in found) continue;
          problems.push({ path: `${path}/${escapeToken(key)}`, message: 'is required' });
        }
        break;
      case 'additionalProperties':
        for (const key of params.additionalProperties as string[]) {
          problems.push({ path: `${path}/${escapeToken(key)}`, message: 'is not a known field' });
        }
        break;
      // `additionalProperties: false` also reports each extra key as "schema is false":
      // already said above.
      case 'boolean':
        break;
      default:
        problems.push({
          path,
          message: expected
            ? `must be ${expected} (got ${show(found)})`
            : describe(error.keyword, params, found, error.message),
        });
    }
  }
  // One failed schema can fail several keywords with the same `expected` message.
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = formatProblem(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A value that breaks the contract: `.problems` lists every problem, and the message says
 * them all on one line: `model card model/model.json: /version must be …; /labels is required`.
 */
export class ContractError extends Error {
  override readonly name: string = 'ContractError';
  readonly problems: readonly Problem[];

  /** `subject` names what was checked, e.g. `model card model/model.json`. */
  constructor(subject: string, problems: readonly Problem[], options?: ErrorOptions) {
    super(`${subject}: ${problems.map(formatProblem).join('; ')}`, options);
    this.problems = problems;
  }
}
