/**
 * deployctl's side of the model contract: `verify` reads the model card before it polls, and
 * accepts exactly @mlops/model-contract's valid fixtures, refusing the others (exit 2,
 * `input`) with the same message as the service and training.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CARD_FIXTURES, expectedMessage } from '@mlops/model-contract/fixtures';
import { verify } from '../src/commands/verify.js';
import { DeployctlError, EXIT_CODES, getExitCode } from '../src/exit-codes.js';

const work = mkdtempSync(join(tmpdir(), 'deployctl-card-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A URL nothing listens on: a card that passes makes verify poll it and time out at once. */
let deadUrl: string;
before(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  deadUrl = `http://127.0.0.1:${port}`;
});

describe('model card contract: deployctl verify', () => {
  CARD_FIXTURES.forEach((fixture, i) => {
    const valid = fixture.problems.length === 0;
    test(`${valid ? 'accepts' : 'refuses'} ${fixture.name}`, async () => {
      const modelCard = join(work, `model-${i}.json`);
      writeFileSync(modelCard, JSON.stringify(fixture.card));
      const run = verify({
        url: deadUrl,
        commit: 'a'.repeat(40),
        timeoutS: 0.01,
        intervalS: 0.01,
        requestsPerRound: 1,
        modelCard,
        cwd: work,
        eventsFile: join(work, 'events.jsonl'),
      });
      await assert.rejects(run, (error: unknown) => {
        assert.ok(error instanceof DeployctlError, String(error));
        if (valid) {
          // past the card: it polled and nothing answered
          assert.equal(error.kind, 'timeout', error.message);
        } else {
          assert.equal(error.kind, 'input');
          assert.equal(getExitCode(error), EXIT_CODES.input);
          assert.equal(error.message, expectedMessage(fixture, modelCard));
        }
        return true;
      });
    });
  });
});
