/**
 * The `preprocessing` object of the model card: every parameter of `featurize`
 * (algorithm `hashed-ngrams-v1`, described in featurize.ts and docs/model.md).
 *
 * Strict: an unknown field is an error, since a knob `featurize` does not know would make
 * the served features differ from the ones the model was trained on.
 */
import Type, { type Static } from 'typebox';
import { ContractError, type Expected, type Problem, schemaProblems } from './problems.js';

/** The only algorithm `featurize` implements. */
export const PREPROCESSING_ALGORITHM = 'hashed-ngrams-v1';
/** The feature id that pads a batch row; its weight is 0, so it adds nothing. */
export const PADDING_ID = 0;
/** Characters `symbols` may hold: printable ASCII punctuation. */
const SYMBOLS = '^[\\x21-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7e]*$';

const expected = (text: string): Expected => ({ expected: text });

export const PreprocessingSchema = Type.Object(
  {
    /** Algorithm identifier; only `hashed-ngrams-v1` exists. */
    algorithm: Type.Literal(PREPROCESSING_ALGORITHM),
    /** Lowercase ASCII letters before hashing. */
    lowercase: Type.Boolean(),
    /** ASCII punctuation characters that are one-character tokens of their own (e.g. `"$!"`). */
    symbols: Type.String({ pattern: SYMBOLS, ...expected('a string of ASCII punctuation characters') }),
    /** Longest n-gram: 1 = unigrams only, 2 = unigrams + bigrams. */
    ngramMax: Type.Enum([1, 2]),
    /** Hash function: FNV-1a 32-bit over UTF-16 code units. */
    hash: Type.Literal('fnv1a32'),
    /** Size of the feature space (the model's weight vector); ids are 1..buckets−1. */
    buckets: Type.Integer({ minimum: 2, maximum: 2 ** 31, ...expected('an integer in 2..2^31') }),
    /** The id used for padding a batch (always 0; its weight is 0). */
    paddingId: Type.Literal(PADDING_ID),
    /** Number of tokens read at most; the rest of the text is ignored. */
    maxTokens: Type.Integer({ minimum: 1, maximum: 1e6, ...expected('an integer in 1..1000000') }),
    /** Term-frequency transform: `log` = 1 + ln(count), `raw` = count, `binary` = 1. */
    tf: Type.Enum(['log', 'raw', 'binary']),
    /** Vector normalisation: `l2` = unit Euclidean length, `none` = as is. */
    norm: Type.Enum(['l2', 'none']),
  },
  { additionalProperties: false },
);

/** The `preprocessing` object of `model/model.json`. */
export type PreprocessingParams = Static<typeof PreprocessingSchema>;

/** The problems of a `preprocessing` object, with paths under `basePath` (the card's `/preprocessing`). */
export function preprocessingProblems(value: unknown, basePath = '/preprocessing'): Problem[] {
  return schemaProblems(PreprocessingSchema, value, basePath);
}

/**
 * Checks that `value` is a complete, supported `PreprocessingParams` object and returns it
 * (the same object). Throws a `ContractError` listing every problem with its path.
 */
export function validatePreprocessingParams(value: unknown): PreprocessingParams {
  const problems = preprocessingProblems(value);
  if (problems.length > 0) throw new ContractError('preprocessing parameters', problems);
  return value as PreprocessingParams;
}
