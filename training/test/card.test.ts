/**
 * Training's side of the model contract: its card writer and the quality gate's bundle
 * reader accept exactly @mlops/model-contract's valid fixtures and reject the others with
 * the same message as the service and deployctl.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CARD_FIXTURES, expectedMessage } from '@mlops/model-contract/fixtures';
import { BundleError, formatCardJson, readBundle, type TrainedModelCard } from '../src/card.js';

const work = mkdtempSync(join(tmpdir(), 'training-card-'));
after(() => rmSync(work, { recursive: true, force: true }));

const rejectedWith = (message: string) => (error: unknown) => {
  assert.ok(error instanceof BundleError, `a BundleError: ${error}`);
  assert.equal(error.message, message);
  return true;
};

describe('model card contract: training', () => {
  CARD_FIXTURES.forEach((fixture, i) => {
    const valid = fixture.problems.length === 0;
    const verdict = valid ? 'accepts' : 'rejects';

    test(`the card writer ${verdict} ${fixture.name}`, () => {
      // The fixtures are JSON values; the writer's type is what training builds.
      const card = fixture.card as TrainedModelCard;
      if (valid) {
        assert.deepEqual(JSON.parse(formatCardJson(card, 'new.json')), fixture.card);
      } else {
        assert.throws(
          () => formatCardJson(card, 'new.json'),
          rejectedWith(expectedMessage(fixture, 'new.json')),
        );
      }
    });

    test(`the bundle reader ${verdict} ${fixture.name}`, () => {
      const dir = join(work, `bundle-${i}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(fixture.card));
      writeFileSync(join(dir, 'model.onnx'), 'not read as ONNX here');
      if (valid) {
        assert.deepEqual(readBundle(dir).card, fixture.card);
      } else {
        assert.throws(() => readBundle(dir), rejectedWith(expectedMessage(fixture, join(dir, 'model.json'))));
      }
    });
  });
});
