import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startService } from '../../test/support/service-process.js';
import { loadConfig } from '../src/config.js';
import { MODEL_DIR } from './helpers.js';

describe('configuration from the environment', () => {
  test('defaults follow docs/contracts.md', () => {
    const config = loadConfig({ MODEL_DIR });
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 8000);
    assert.equal(config.metricsPort, 9464);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.shutdownDrainDelaySeconds, 5);
    assert.equal(config.shutdownTimeoutSeconds, 10);
    assert.equal(config.maxBatchItems, 64);
    assert.equal(config.maxInputChars, 20000);
    assert.equal(config.bodyLimitBytes, 1048576);
    assert.match(config.instanceId, /-\d+$/);
  });

  test('the default MODEL_DIR is the repository model/ (so npm start serves the bundle)', () => {
    assert.match(loadConfig({}).modelDir, /\/model\/?$/);
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ PORT: 'abc' }, /PORT="abc" is invalid: expected an integer in 0\.\.65535/],
    [{ PORT: '70000' }, /PORT="70000" is invalid/],
    [{ PORT: '80.5' }, /PORT="80\.5" is invalid/],
    [{ METRICS_PORT: 'x' }, /METRICS_PORT="x" is invalid: expected an integer in 0\.\.65535/],
    [
      { PORT: '9000', METRICS_PORT: '9000' },
      /METRICS_PORT=9000 is invalid: expected a port other than PORT=9000/,
    ],
    [{ METRICS_PORT: '8000' }, /METRICS_PORT=8000 is invalid: expected a port other than PORT=8000/],
    [
      { LOG_LEVEL: 'loud' },
      /LOG_LEVEL="loud" is invalid: expected one of fatal, error, warn, info, debug, trace, silent/,
    ],
    [{ MAX_BATCH_ITEMS: '0' }, /MAX_BATCH_ITEMS="0" is invalid: expected an integer in 1\.\.10000/],
    [{ SHUTDOWN_TIMEOUT_SECONDS: '-1' }, /SHUTDOWN_TIMEOUT_SECONDS="-1" is invalid/],
    [{ BATCH_MAX_WAIT_MS: 'soon' }, /BATCH_MAX_WAIT_MS="soon" is invalid: expected a number of milliseconds/],
    [
      { SHUTDOWN_DRAIN_DELAY_SECONDS: '10', SHUTDOWN_TIMEOUT_SECONDS: '10' },
      /SHUTDOWN_DRAIN_DELAY_SECONDS=10 is invalid: expected less than SHUTDOWN_TIMEOUT_SECONDS=10/,
    ],
    [
      { MAX_BATCH_ITEMS: '100', MAX_QUEUE: '50' },
      /MAX_BATCH_ITEMS=100 is invalid: expected at most MAX_QUEUE=50/,
    ],
    [{ MODEL_DIR: '/nonexistent' }, /MODEL_DIR="\/nonexistent" is invalid: model\.onnx is missing there/],
  ];
  for (const [env, message] of bad) {
    test(`rejects ${JSON.stringify(env)} naming the variable, the value and what is allowed`, () => {
      assert.throws(() => loadConfig({ MODEL_DIR, ...env }), message);
    });
  }

  test('lists every bad variable at once', () => {
    assert.throws(
      () => loadConfig({ MODEL_DIR, PORT: 'x', LOG_LEVEL: 'y' }),
      (error: Error) => {
        assert.match(error.message, /PORT="x"/);
        assert.match(error.message, /LOG_LEVEL="y"/);
        return true;
      },
    );
  });

  test('the server process exits 1 at boot with the message on stderr', async () => {
    await assert.rejects(startService({ env: { PORT: 'eighty' } }), (error: Error) => {
      assert.match(error.message, /exited with 1/);
      assert.match(error.message, /PORT="eighty" is invalid: expected an integer in 0\.\.65535/);
      return true;
    });
  });
});
