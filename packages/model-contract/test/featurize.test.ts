import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { featurize, type PreprocessingParams, validatePreprocessingParams } from '@mlops/model-contract';
import fc from 'fast-check';

/** The bundled model's preprocessing (training/src/config.ts). */
const P: PreprocessingParams = {
  algorithm: 'hashed-ngrams-v1',
  lowercase: true,
  symbols: '$!',
  ngramMax: 2,
  hash: 'fnv1a32',
  buckets: 262144,
  paddingId: 0,
  maxTokens: 2000,
  tf: 'log',
  norm: 'l2',
};

/** FNV-1a 32 over UTF-16 code units, straightforward reference. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
const bucket = (s: string, params: PreprocessingParams = P) => 1 + (fnv(s) % (params.buckets - 1));

/** Slow, obviously-correct reference implementation of hashed-ngrams-v1. */
function reference(text: string, params: PreprocessingParams): Map<number, number> {
  const tokens: string[] = [];
  const re = new RegExp(`[a-zA-Z0-9\\u0080-\\uffff]+|[${params.symbols.replace(/[\]\\^-]/g, '\\$&')}]`, 'g');
  const src = params.lowercase ? text.replace(/[A-Z]/g, (c) => c.toLowerCase()) : text;
  for (const m of params.symbols.length > 0 ? src.matchAll(re) : src.matchAll(/[a-zA-Z0-9\u0080-\uffff]+/g)) {
    if (tokens.length >= params.maxTokens) break;
    tokens.push(m[0]);
  }
  const counts = new Map<number, number>();
  const add = (f: string) => {
    const id = bucket(f, params);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  };
  tokens.forEach((t, i) => {
    add(t);
    if (params.ngramMax === 2 && i > 0) add(`${tokens[i - 1]} ${t}`);
  });
  let sum = 0;
  const values = new Map<number, number>();
  for (const [id, c] of counts) {
    const v = params.tf === 'log' ? 1 + Math.log(c) : params.tf === 'raw' ? c : 1;
    values.set(id, v);
    sum += v * v;
  }
  if (params.norm === 'l2') for (const [id, v] of values) values.set(id, v / Math.sqrt(sum));
  return values;
}

function assertWellFormed(text: string, params: PreprocessingParams) {
  const { ids, weights } = featurize(text, params);
  assert.ok(ids instanceof Int32Array);
  assert.ok(weights instanceof Float32Array);
  assert.equal(ids.length, weights.length);
  let sum = 0;
  for (let i = 0; i < ids.length; i++) {
    assert.ok(ids[i]! >= 1 && ids[i]! < params.buckets, `id ${ids[i]} in 1..buckets-1`);
    if (i > 0) assert.ok(ids[i]! > ids[i - 1]!, 'ids strictly ascending (so unique)');
    assert.ok(Number.isFinite(weights[i]!) && weights[i]! > 0, 'weight finite and positive');
    sum += weights[i]! * weights[i]!;
  }
  if (ids.length > 0 && params.norm === 'l2') assert.ok(Math.abs(Math.sqrt(sum) - 1) < 1e-5, `norm ${sum}`);
  return { ids, weights };
}

describe('featurize (hashed-ngrams-v1)', () => {
  it('matches the hand-computed features of a tiny text', () => {
    const { ids, weights } = featurize('Win $ win', { ...P, norm: 'none' });
    const expected = new Map<number, number>();
    for (const f of ['win', '$', 'win $', '$ win'])
      expected.set(bucket(f), (expected.get(bucket(f)) ?? 0) + 1);
    // "win" occurs twice → 1 + ln 2
    assert.deepEqual(
      [...ids],
      [...expected.keys()].sort((a, b) => a - b),
    );
    const w = new Map([...ids].map((id, i) => [id, weights[i]!]));
    assert.ok(Math.abs(w.get(bucket('win'))! - (1 + Math.log(2))) < 1e-6);
    assert.equal(w.get(bucket('$')), 1);
  });

  it('hashes ASCII exactly like FNV-1a over bytes (known test vectors)', () => {
    assert.equal(fnv(''), 0x811c9dc5);
    assert.equal(fnv('a'), 0xe40c292c);
    assert.equal(fnv('foobar'), 0xbf9cf968);
    const { ids } = featurize('foobar', { ...P, ngramMax: 1 });
    assert.deepEqual([...ids], [1 + (0xbf9cf968 % (P.buckets - 1))]);
  });

  it('lowercases ASCII, splits on punctuation and whitespace, keeps $ and ! as tokens', () => {
    const a = featurize('FREE money!!!', P);
    const b = featurize('free,   MONEY ! ! !', P);
    assert.deepEqual(a, b);
    assert.notDeepEqual(featurize('free money', P).ids, a.ids);
  });

  it('is deterministic and independent of earlier calls / other params objects', () => {
    const t = 'Congratulations! You have WON a $1000 gift card. Click here now.';
    const first = featurize(t, P);
    featurize('something else entirely', { ...P, ngramMax: 1, buckets: 16 });
    featurize('x '.repeat(5000), P);
    assert.deepEqual(featurize(t, { ...P }), first);
  });

  it('empty, whitespace-only and punctuation-only text give no features', () => {
    for (const t of ['', ' ', '\n\t  \r\n', '...,,;;--', '\u0000']) {
      const { ids, weights } = featurize(t, P);
      assert.equal(ids.length, 0);
      assert.equal(weights.length, 0);
    }
  });

  it('emoji, non-ASCII and invalid surrogates do not throw', () => {
    for (const t of ['🎉🎉 win', 'héllo wörld 你好', '\ud800', 'a\udc00b\ud83d', '\uffff\ufffe']) {
      const { ids } = assertWellFormed(t, P);
      assert.ok(ids.length > 0);
    }
  });

  it('reads at most maxTokens tokens', () => {
    const params = { ...P, maxTokens: 3 };
    assert.deepEqual(featurize('a b c d e f', params), featurize('a b c', params));
    assert.deepEqual(featurize('a b $ d e f', params), featurize('a b $', params));
    // a huge input stays cheap
    const huge = 'spam '.repeat(400_000);
    const start = performance.now();
    featurize(huge, P);
    assert.ok(performance.now() - start < 200);
  });

  it('supports unigram-only, raw/binary tf and no normalisation', () => {
    const u = featurize('a a b', { ...P, ngramMax: 1, tf: 'raw', norm: 'none' });
    assert.deepEqual(
      new Map([...u.ids].map((id, i) => [id, u.weights[i]])),
      new Map([
        [bucket('a'), 2],
        [bucket('b'), 1],
      ]),
    );
    const bin = featurize('a a b', { ...P, ngramMax: 1, tf: 'binary', norm: 'none' });
    assert.deepEqual([...bin.weights], [1, 1]);
  });

  it('rejects invalid params with a message naming the field', () => {
    assert.throws(
      () => featurize('x', { ...P, algorithm: 'other' as 'hashed-ngrams-v1' }),
      /\/preprocessing\/algorithm must be "hashed-ngrams-v1" \(got "other"\)/,
    );
    assert.throws(() => validatePreprocessingParams({ ...P, buckets: 1.5 }), /\/preprocessing\/buckets/);
    assert.throws(() => validatePreprocessingParams({ ...P, symbols: 'a' }), /\/preprocessing\/symbols/);
    assert.throws(() => validatePreprocessingParams(null), /\/preprocessing must be an object/);
    assert.equal(validatePreprocessingParams(JSON.parse(JSON.stringify(P))).buckets, P.buckets);
  });

  it('property: well-formed for any string (ids in range, unique, unit L2 norm)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })),
        (t) => {
          assertWellFormed(t, P);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: agrees with a slow reference implementation', () => {
    const params = fc.record({
      lowercase: fc.boolean(),
      symbols: fc.constantFrom('', '$!', '$!%?'),
      ngramMax: fc.constantFrom(1 as const, 2 as const),
      buckets: fc.constantFrom(2, 3, 17, 1024, 262144),
      maxTokens: fc.integer({ min: 1, max: 50 }),
      tf: fc.constantFrom('log' as const, 'raw' as const, 'binary' as const),
      norm: fc.constantFrom('l2' as const, 'none' as const),
    });
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'aB1 $!?%.é🎉\n'.split('')), maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
    );
    fc.assert(
      fc.property(params, text, (partial, t) => {
        const p: PreprocessingParams = { ...P, ...partial };
        const { ids, weights } = assertWellFormed(t, p);
        const ref = reference(t, p);
        assert.deepEqual(
          [...ids],
          [...ref.keys()].sort((a, b) => a - b),
        );
        ids.forEach((id, i) => {
          assert.ok(Math.abs(weights[i]! - ref.get(id)!) < 1e-5);
        });
        // deterministic
        assert.deepEqual(featurize(t, p), { ids, weights });
      }),
      { numRuns: 1000 },
    );
  });
});
