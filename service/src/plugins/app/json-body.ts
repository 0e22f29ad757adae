/**
 * The only body parser: `application/json` (any charset parameter), UTF-8 checked before it is
 * decoded (Node would silently turn bad bytes into U+FFFD), its nesting depth and value count
 * bounded before any parse work is spent, then Fastify's own JSON parser (secure-json-parse:
 * rejects __proto__/constructor poisoning). Any other content type: 415.
 */
import { isUtf8 } from 'node:buffer';
import fp from 'fastify-plugin';
import { ApiError } from '../../error-codes.js';

/**
 * The deepest nesting any accepted body has is 5 (`{"inputs": [{"data": [["text"]]}]}`); the
 * bound leaves room for clients that wrap, and is still nowhere near what hurts.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Most structural tokens (strings, commas, opening brackets) in a body: an accepted body has
 * at most ~3 per batch item plus the KServe `parameters` (bounded by the schema), far under this.
 */
export function maxJsonTokens(maxBatchItems: number): number {
  return 2048 + 8 * maxBatchItems;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * One pass over the raw bytes, stopping at the first limit crossed. Why: JSON.parse of 1 MB of
 * `[[[[...` builds ~500k arrays, blocks the event loop for 100-400 ms and holds tens of MB per
 * request (issue 13, point 7), all before the schema gets a chance to say no. Strings are
 * skipped with the native indexOf, so a large legitimate text costs next to nothing. Invalid
 * JSON is not this function's business: the parser that follows rejects it.
 */
export function exceedsJsonLimits(
  bytes: Buffer,
  limits: { maxDepth: number; maxTokens: number },
): 'depth' | 'tokens' | undefined {
  let depth = 0;
  let tokens = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      // Find the closing quote: one preceded by an even number of backslashes.
      let j = i + 1;
      for (;;) {
        j = bytes.indexOf(QUOTE, j);
        if (j === -1) return undefined;
        let backslashes = 0;
        for (let k = j - 1; bytes[k] === BACKSLASH; k--) backslashes++;
        if (backslashes % 2 === 0) break;
        j++;
      }
      i = j;
      if (++tokens > limits.maxTokens) return 'tokens';
    } else if (c === 0x5b || c === 0x7b) {
      // [ or {
      if (++depth > limits.maxDepth) return 'depth';
      if (++tokens > limits.maxTokens) return 'tokens';
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    } else if (c === 0x2c) {
      // , (one more value or member)
      if (++tokens > limits.maxTokens) return 'tokens';
    }
  }
  return undefined;
}

export default fp(
  async (fastify) => {
    const parseJson = fastify.getDefaultJsonParser('error', 'error');
    const limits = { maxDepth: MAX_JSON_DEPTH, maxTokens: maxJsonTokens(fastify.config.maxBatchItems) };
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: fastify.config.bodyLimitBytes },
      (request, body, done) => {
        const bytes = body as Buffer;
        if (!isUtf8(bytes)) {
          done(new ApiError('INVALID_UTF8'), undefined);
          return;
        }
        if (bytes.length === 0) {
          done(
            new ApiError('INVALID_JSON', 'The body is empty; send a JSON object such as {"input": "text"}.'),
          );
          return;
        }
        const exceeded = exceedsJsonLimits(bytes, limits);
        if (exceeded !== undefined) {
          done(
            new ApiError(
              'JSON_TOO_COMPLEX',
              exceeded === 'depth'
                ? `The JSON is nested deeper than ${limits.maxDepth} levels; send a flat request such as {"input": "text"}.`
                : `The JSON has more than ${limits.maxTokens} values; split the request into smaller ones.`,
            ),
          );
          return;
        }
        parseJson(request, bytes.toString('utf8'), done);
      },
    );
  },
  { name: 'json-body', dependencies: ['config'] },
);
