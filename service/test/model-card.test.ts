/**
 * The service's side of the model contract: booting on a model dir whose card is each of
 * @mlops/model-contract's fixtures, it accepts exactly the valid cards and refuses the others
 * at boot with the same message as training and deployctl.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CARD_FIXTURES, expectedMessage } from '@mlops/model-contract/fixtures';
import { buildApp, MODEL_DIR } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'service-card-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('model card contract: the service booting on a model dir', () => {
  CARD_FIXTURES.forEach((fixture, i) => {
    const valid = fixture.problems.length === 0;
    test(`${valid ? 'accepts' : 'refuses at boot'} ${fixture.name}`, async () => {
      // The bundled ONNX file with the fixture's card (whether the model then warms up with
      // the fixture's golden examples is not what this test is about).
      const dir = join(work, `model-${i}`);
      const cardPath = join(dir, 'model.json');
      mkdirSync(dir);
      copyFileSync(join(MODEL_DIR, 'model.onnx'), join(dir, 'model.onnx'));
      writeFileSync(cardPath, JSON.stringify(fixture.card));
      if (valid) {
        const app = await buildApp({ MODEL_DIR: dir });
        try {
          assert.deepEqual(app.model.card, fixture.card);
        } finally {
          await app.close();
        }
      } else {
        await assert.rejects(buildApp({ MODEL_DIR: dir }, false), {
          message: expectedMessage(fixture, cardPath),
        });
      }
    });
  });
});
