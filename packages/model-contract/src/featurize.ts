/**
 * Text → features: the ONE implementation shared by training (`training/`) and serving
 * (`service/`), so the trained model and the served model can never drift apart.
 *
 * Pure TypeScript, no I/O; it sits on the service's hot path (params are validated once per
 * params object, not per call).
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
import { type PreprocessingParams, validatePreprocessingParams } from './preprocessing.js';

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
