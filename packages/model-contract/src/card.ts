/**
 * The model card (`model/model.json`, docs/contracts.md): its schema, its type, and the one
 * validation every part runs (the service at boot, training when it writes and when the gate
 * reads a bundle, deployctl before `verify`), so all three accept and reject the same cards
 * with the same message.
 *
 * Required is what some part relies on; objects other than `preprocessing` may carry more
 * fields (training records its hyper-parameters and dataset counts), which pass untouched.
 */
import Type, { type Static } from 'typebox';
import { PreprocessingSchema } from './preprocessing.js';
import { ContractError, type Expected, type Problem, schemaProblems, show } from './problems.js';

// semver.org's grammar, loosely on pre-release and build identifiers.
const SEMVER = '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?$';

const expected = (text: string): Expected => ({ expected: text });
const Name = () => Type.String({ minLength: 1 });
const Fraction = () => Type.Number({ minimum: 0, maximum: 1, ...expected('a number in [0, 1]') });

export const GoldenExampleSchema = Type.Object({ input: Type.String(), label: Type.String() });

export const ModelCardSchema = Type.Object({
  name: Name(),
  /** Reported by the service (`/version`, responses); bump it for every model you ship. */
  version: Type.String({ pattern: SEMVER, ...expected('a semantic version like 1.2.3') }),
  description: Type.Optional(Type.String()),
  /** The classes, in the order of the model's output columns. */
  labels: Type.Array(Name(), {
    minItems: 2,
    maxItems: 2,
    uniqueItems: true,
    ...expected('an array of two different labels'),
  }),
  /** One of `labels`: the class precision, recall and F1 are measured for. */
  positiveLabel: Type.String(),
  /** ONNX input names: the feature ids (int32 [N, L]) and their values (float32 [N, L]). */
  inputs: Type.Object({ ids: Name(), weights: Name() }),
  /** ONNX output name: probabilities float32 [N, 2], ordered like `labels`. */
  outputs: Type.Object({ probabilities: Name() }),
  preprocessing: PreprocessingSchema,
  /** Measured on the held-out split; the quality gate re-measures and compares them. */
  metrics: Type.Object({
    accuracy: Fraction(),
    precision: Fraction(),
    recall: Fraction(),
    f1: Fraction(),
    rocAuc: Fraction(),
    testSize: Type.Integer({ minimum: 1 }),
  }),
  /** The training data; the gate checks `digest` against the installed dataset. */
  dataset: Type.Object({ name: Name(), version: Type.String(), digest: Name() }),
  /** How the held-out split is rebuilt (the gate's `heldOutSplit`). */
  training: Type.Object({
    seed: Type.Integer(),
    testFraction: Type.Number({
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      ...expected('a number in (0, 1)'),
    }),
  }),
  /** Texts with their expected labels: the readiness warm-up and `deployctl verify` run them. */
  golden: Type.Array(GoldenExampleSchema, { minItems: 1 }),
  files: Type.Object({
    onnx: Name(),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', ...expected('64 lowercase hex digits') }),
  }),
});

export type ModelCard = Static<typeof ModelCardSchema>;
export type GoldenExample = Static<typeof GoldenExampleSchema>;

/** A card that breaks the contract; `.problems` has every problem with its JSON path. */
export class ModelCardError extends ContractError {
  override readonly name = 'ModelCardError';
  /** Where the card came from, e.g. its path. */
  readonly source: string;

  constructor(source: string, problems: readonly Problem[], options?: ErrorOptions) {
    super(`model card ${source}`, problems, options);
    this.source = source;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a schema cannot say: `positiveLabel` and every golden label are one of `labels`. */
function labelProblems(card: unknown): Problem[] {
  if (!isObject(card)) return [];
  const { labels, positiveLabel, golden } = card;
  // A broken `labels` is reported by the schema; nothing to compare with then.
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) return [];
  const oneOf = (got: string) =>
    `must be one of /labels (${labels.map((l) => JSON.stringify(l)).join(', ')}) (got ${show(got)})`;
  const problems: Problem[] = [];
  if (typeof positiveLabel === 'string' && !labels.includes(positiveLabel)) {
    problems.push({ path: '/positiveLabel', message: oneOf(positiveLabel) });
  }
  if (Array.isArray(golden)) {
    golden.forEach((example: unknown, i) => {
      if (isObject(example) && typeof example.label === 'string' && !labels.includes(example.label)) {
        problems.push({ path: `/golden/${i}/label`, message: oneOf(example.label) });
      }
    });
  }
  return problems;
}

/** Every problem of a would-be card (none: it is a valid card). */
export function modelCardProblems(value: unknown): Problem[] {
  return [...schemaProblems(ModelCardSchema, value), ...labelProblems(value)];
}

/**
 * Returns `value` (the same object, unchanged) typed as a card, or throws a `ModelCardError`
 * listing every problem with its JSON path. `source` names the card in the message.
 */
export function validateModelCard(value: unknown, source = 'model.json'): ModelCard {
  const problems = modelCardProblems(value);
  if (problems.length > 0) throw new ModelCardError(source, problems);
  return value as ModelCard;
}

/** `validateModelCard` of a card's JSON text; text that is not JSON is a problem at `/`. */
export function parseModelCard(text: string, source = 'model.json'): ModelCard {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ModelCardError(
      source,
      [{ path: '', message: `is not valid JSON (${(cause as Error).message})` }],
      {
        cause,
      },
    );
  }
  return validateModelCard(value, source);
}
