import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ContractError,
  formatProblem,
  type ModelCard,
  ModelCardError,
  parseModelCard,
  validateModelCard,
  validatePreprocessingParams,
} from '@mlops/model-contract';
import { CARD_FIXTURES, expectedMessage, validCard } from '@mlops/model-contract/fixtures';

describe('validateModelCard', () => {
  for (const fixture of CARD_FIXTURES) {
    const verdict = fixture.problems.length === 0 ? 'accepts' : 'rejects';
    test(`${verdict} ${fixture.name}`, () => {
      if (fixture.problems.length === 0) {
        // the same object back, untouched (training serializes it byte for byte)
        const before = JSON.stringify(fixture.card);
        assert.equal(validateModelCard(fixture.card, 'fixture.json'), fixture.card);
        assert.equal(JSON.stringify(fixture.card), before);
        return;
      }
      assert.throws(
        () => validateModelCard(fixture.card, 'fixture.json'),
        (error: unknown) => {
          assert.ok(error instanceof ModelCardError);
          assert.ok(error instanceof ContractError);
          assert.deepEqual(error.problems.map(formatProblem), fixture.problems);
          assert.equal(error.message, expectedMessage(fixture, 'fixture.json'));
          assert.equal(error.source, 'fixture.json');
          return true;
        },
      );
    });
  }

  test('lists every problem on one line with its JSON path: missing and unknown fields first, then wrong values, then labels', () => {
    const card = validCard();
    card.version = 'latest';
    card.labels = ['ham'];
    card.preprocessing.tf = 'sqrt';
    delete card.files;
    assert.throws(
      () => validateModelCard(card, 'model/model.json'),
      new ModelCardError('model/model.json', [
        { path: '/files', message: 'is required' },
        { path: '/version', message: 'must be a semantic version like 1.2.3 (got "latest")' },
        { path: '/labels', message: 'must be an array of two different labels (got ["ham"])' },
        { path: '/preprocessing/tf', message: 'must be one of "log", "raw", "binary" (got "sqrt")' },
        { path: '/positiveLabel', message: 'must be one of /labels ("ham") (got "spam")' },
        { path: '/golden/1/label', message: 'must be one of /labels ("ham") (got "spam")' },
      ]),
    );
  });

  test('shows long values shortened', () => {
    const card = validCard();
    card.version = 'x'.repeat(200);
    assert.throws(() => validateModelCard(card), /\/version must be .* \(got "x{56}\.\.\.\)$/);
  });

  test('types the card for its readers', () => {
    const card: ModelCard = validateModelCard(validCard());
    const [ham, spam] = card.labels;
    assert.deepEqual(
      [ham, spam, card.preprocessing.buckets, card.golden[0]?.label],
      ['ham', 'spam', 262144, 'ham'],
    );
  });
});

describe('parseModelCard', () => {
  test('parses and validates the JSON text of a card', () => {
    assert.deepEqual(parseModelCard(JSON.stringify(validCard()), 'a.json'), validCard());
    assert.throws(
      () => parseModelCard(JSON.stringify({ ...validCard(), version: 'v1' }), 'a.json'),
      /^ModelCardError: model card a\.json: \/version must be a semantic version like 1\.2\.3 \(got "v1"\)$/,
    );
  });

  test('text that is not JSON is a problem at /', () => {
    assert.throws(
      () => parseModelCard('{ not json', 'dir/model.json'),
      (error: unknown) => {
        assert.ok(error instanceof ModelCardError);
        assert.match(error.message, /^model card dir\/model\.json: \/ is not valid JSON \(.+\)$/);
        assert.ok(error.cause instanceof SyntaxError);
        return true;
      },
    );
  });
});

describe('validatePreprocessingParams', () => {
  test('returns the same params object, or lists every problem under /preprocessing', () => {
    const params = validCard().preprocessing;
    assert.equal(validatePreprocessingParams(params), params);
    assert.throws(
      () => validatePreprocessingParams({ ...params, ngramMax: 3, paddingId: 1, extra: 1 }),
      new ContractError('preprocessing parameters', [
        { path: '/preprocessing/extra', message: 'is not a known field' },
        { path: '/preprocessing/ngramMax', message: 'must be one of 1, 2 (got 3)' },
        { path: '/preprocessing/paddingId', message: 'must be 0 (got 1)' },
      ]),
    );
    assert.throws(
      () => validatePreprocessingParams(null),
      /^ContractError: preprocessing parameters: \/preprocessing must be an object \(got null\)$/,
    );
  });
});
