/**
 * Text → features: the ONE implementation shared by training (`training/`) and serving
 * (`service/`), so the trained model and the served model can never drift apart.
 *
 * Pure TypeScript, no dependencies, no I/O; it sits on the service's hot path.
 *
 * Algorithm `hashed-ngrams-v1` (every knob is a field of `PreprocessingParams`, which is the
 * `preprocessing` object of `model/model.json`):
 *  1. Scan the string once, UTF-16 code unit by code unit (no decoding, so lone surrogates
 *     and emoji are just code units and never throw).
 *  2. Tokens: maximal runs of word characters — ASCII letters and digits and every code unit
 *     ≥ 0x80 (accented letters, CJK, emoji halves, …). Each character of `symbols`
 *     (e.g. `$!`) is a one-character token of its own. Everything else separates tokens.
 *     With `lowercase`, ASCII A–Z are lowercased (non-ASCII is left as is).
 *  3. At most `maxTokens` tokens are read; the rest of the text is ignored (huge inputs stay cheap).
 *  4. Features: every token (unigram) and, with `ngramMax: 2`, every pair of adjacent tokens
 *     (bigram, hashed as the string `"<a> <b>"`).
 *  5. Hash: FNV-1a 32-bit over UTF-16 code units (`h = (h ^ unit) * 16777619`, offset basis
 *     2166136261; for ASCII this equals FNV-1a over the bytes), then
 *     `id = 1 + (h mod (buckets − 1))`, so ids are in 1..buckets−1 and id 0 stays the padding id.
 *  6. Values: counts per id (colliding features add up), then `tf`: `log` = 1 + ln(count),
 *     `raw` = count, `binary` = 1; then `norm`: `l2` scales the vector to unit Euclidean length.
 *  7. Output: unique ids in ascending order, with their values. Empty text → empty arrays.
 */

/** The `preprocessing` object of `model/model.json`. */
export interface PreprocessingParams {
  /** Algorithm identifier; only `hashed-ngrams-v1` exists. */
  algorithm: 'hashed-ngrams-v1';
  /** Lowercase ASCII letters before hashing. */
  lowercase: boolean;
  /** ASCII punctuation characters that are one-character tokens of their own (e.g. `"$!"`). */
  symbols: string;
  /** Longest n-gram: 1 = unigrams only, 2 = unigrams + bigrams. */
  ngramMax: 1 | 2;
  /** Hash function: FNV-1a 32-bit over UTF-16 code units. */
  hash: 'fnv1a32';
  /** Size of the feature space (the model's weight vector); ids are 1..buckets−1. */
  buckets: number;
  /** The id used for padding a batch (always 0; its weight is 0). */
  paddingId: 0;
  /** Number of tokens read at most; the rest of the text is ignored. */
  maxTokens: number;
  /** Term-frequency transform: `log` = 1 + ln(count), `raw` = count, `binary` = 1. */
  tf: 'log' | 'raw' | 'binary';
  /** Vector normalisation: `l2` = unit Euclidean length, `none` = as is. */
  norm: 'l2' | 'none';
}

/** The features of one text: unique ids (ascending) and their values. */
export interface Features {
  ids: Int32Array;
  weights: Float32Array;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;
const SPACE = 0x20;

// Character classes (0 = separator).
const WORD = 1;
const SYMBOL = 2;

interface Compiled {
  classes: Uint8Array; // class of each ASCII code unit
  lowercase: boolean;
  bigrams: boolean;
  modulus: number; // buckets - 1
  maxTokens: number;
  tf: 0 | 1 | 2; // log, raw, binary
  l2: boolean;
}

/**
 * Checks that `value` is a complete, supported `PreprocessingParams` object (e.g. the
 * `preprocessing` object of a model card) and returns it typed. Throws an `Error` whose
 * message names the offending field and what is allowed.
 */
export function validatePreprocessingParams(value: unknown): PreprocessingParams {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('preprocessing: expected an object');
  }
  const p = value as Record<string, unknown>;
  const fail = (field: string, allowed: string): never => {
    throw new Error(`preprocessing.${field}: got ${JSON.stringify(p[field])}, expected ${allowed}`);
  };
  if (p.algorithm !== 'hashed-ngrams-v1') fail('algorithm', '"hashed-ngrams-v1"');
  if (typeof p.lowercase !== 'boolean') fail('lowercase', 'a boolean');
  if (typeof p.symbols !== 'string' || !/^[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]*$/.test(p.symbols)) {
    fail('symbols', 'a string of ASCII punctuation characters');
  }
  if (p.ngramMax !== 1 && p.ngramMax !== 2) fail('ngramMax', '1 or 2');
  if (p.hash !== 'fnv1a32') fail('hash', '"fnv1a32"');
  if (typeof p.buckets !== 'number' || !Number.isInteger(p.buckets) || p.buckets < 2 || p.buckets > 2 ** 31) {
    fail('buckets', 'an integer in 2..2^31');
  }
  if (p.paddingId !== 0) fail('paddingId', '0');
  if (
    typeof p.maxTokens !== 'number' ||
    !Number.isInteger(p.maxTokens) ||
    p.maxTokens < 1 ||
    p.maxTokens > 1e6
  ) {
    fail('maxTokens', 'an integer in 1..1000000');
  }
  if (p.tf !== 'log' && p.tf !== 'raw' && p.tf !== 'binary') fail('tf', '"log", "raw" or "binary"');
  if (p.norm !== 'l2' && p.norm !== 'none') fail('norm', '"l2" or "none"');
  return p as unknown as PreprocessingParams;
}

function compile(params: PreprocessingParams): Compiled {
  validatePreprocessingParams(params);
  const classes = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) classes[c] = WORD;
  for (let c = 0x41; c <= 0x5a; c++) classes[c] = WORD;
  for (let c = 0x61; c <= 0x7a; c++) classes[c] = WORD;
  for (let i = 0; i < params.symbols.length; i++) classes[params.symbols.charCodeAt(i)] = SYMBOL;
  return {
    classes,
    lowercase: params.lowercase,
    bigrams: params.ngramMax === 2,
    modulus: params.buckets - 1,
    maxTokens: params.maxTokens,
    tf: params.tf === 'log' ? 0 : params.tf === 'raw' ? 1 : 2,
    l2: params.norm === 'l2',
  };
}

// The last params object seen and its compiled form: the service always passes the same
// object, so validation and table building happen once. Params are treated as immutable.
let lastParams: PreprocessingParams | undefined;
let lastCompiled: Compiled | undefined;
// Scratch space for the raw (unsorted, repeated) feature ids; grows when needed, never shrinks.
let scratch = new Int32Array(1024);
let valueScratch = new Float64Array(1024);

/**
 * Turns one text into hashed n-gram features: unique ids in 1..buckets−1 (ascending) and
 * their values (`tf`, then `norm`). Never throws for any string; throws only for invalid params.
 */
export function featurize(text: string, params: PreprocessingParams): Features {
  let cfg = lastCompiled;
  if (params !== lastParams || cfg === undefined) {
    cfg = compile(params);
    lastParams = params;
    lastCompiled = cfg;
  }
  const { classes, lowercase, bigrams, modulus, maxTokens } = cfg;
  const need = bigrams ? 2 * maxTokens : maxTokens;
  if (scratch.length < need) scratch = new Int32Array(need);
  const buf = scratch;

  let n = 0; // raw feature ids in buf
  let tokens = 0; // tokens emitted
  let inWord = false;
  let havePrev = false;
  let prev = 0; // unigram hash of the previous token
  let uni = 0; // running unigram hash of the current token
  let bi = 0; // running bigram hash "<prev> <current>"
  const len = text.length;

  for (let i = 0; i < len; i++) {
    let c = text.charCodeAt(i);
    const cls = c < 128 ? classes[c]! : WORD;
    if (cls === WORD) {
      if (!inWord) {
        if (tokens >= maxTokens) break;
        inWord = true;
        uni = FNV_OFFSET;
        bi = Math.imul(prev ^ SPACE, FNV_PRIME);
      }
      if (lowercase && c >= 0x41 && c <= 0x5a) c += 0x20;
      uni = Math.imul(uni ^ c, FNV_PRIME);
      bi = Math.imul(bi ^ c, FNV_PRIME);
      continue;
    }
    if (inWord) {
      // end of a word token
      inWord = false;
      buf[n++] = 1 + ((uni >>> 0) % modulus);
      if (bigrams && havePrev) buf[n++] = 1 + ((bi >>> 0) % modulus);
      prev = uni;
      havePrev = true;
      tokens++;
    }
    if (cls === SYMBOL) {
      if (tokens >= maxTokens) break;
      uni = Math.imul(FNV_OFFSET ^ c, FNV_PRIME);
      buf[n++] = 1 + ((uni >>> 0) % modulus);
      if (bigrams && havePrev) {
        bi = Math.imul(Math.imul(prev ^ SPACE, FNV_PRIME) ^ c, FNV_PRIME);
        buf[n++] = 1 + ((bi >>> 0) % modulus);
      }
      prev = uni;
      havePrev = true;
      tokens++;
    }
  }
  if (inWord) {
    buf[n++] = 1 + ((uni >>> 0) % modulus);
    if (bigrams && havePrev) buf[n++] = 1 + ((bi >>> 0) % modulus);
  }

  if (n === 0) return { ids: new Int32Array(0), weights: new Float32Array(0) };
  const raw = buf.subarray(0, n);
  if (n <= 64) {
    // insertion sort: cheaper than TypedArray#sort for the short texts of the hot path
    for (let i = 1; i < n; i++) {
      const v = raw[i]!;
      let j = i - 1;
      while (j >= 0 && raw[j]! > v) {
        raw[j + 1] = raw[j]!;
        j--;
      }
      raw[j + 1] = v;
    }
  } else {
    raw.sort();
  }

  let unique = 1;
  for (let i = 1; i < n; i++) if (raw[i] !== raw[i - 1]) unique++;
  const ids = new Int32Array(unique);
  if (valueScratch.length < unique) valueScratch = new Float64Array(scratch.length);
  const values = valueScratch;
  const tf = cfg.tf;
  let k = 0;
  let count = 1;
  let sumSquares = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && raw[i] === raw[i - 1]) {
      count++;
      continue;
    }
    const v = count === 1 || tf === 2 ? 1 : tf === 0 ? 1 + Math.log(count) : count;
    ids[k] = raw[i - 1]!;
    values[k] = v;
    sumSquares += v * v;
    k++;
    count = 1;
  }
  const scale = cfg.l2 ? 1 / Math.sqrt(sumSquares) : 1;
  const weights = new Float32Array(unique);
  for (let i = 0; i < unique; i++) weights[i] = values[i]! * scale;
  return { ids, weights };
}
