import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { BundleError } from '../src/card.js';
import { DEFAULT_MODEL_DIR, DEFAULT_THRESHOLDS, REPO_ROOT } from '../src/config.js';
import { runGate } from '../src/gate.js';
import { exportOnnx } from '../src/onnx.js';
import { sha256 } from '../src/pipeline.js';

const run = promisify(execFile);
// biome-ignore lint/suspicious/noExplicitAny: the fixtures edit arbitrary JSON documents
type Json = Record<string, any>;
const work = mkdtempSync(join(tmpdir(), 'model-gate-'));
after(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/**
 * A copy of the bundled model/ with optional changes: `onnx` replaces the model (and, unless
 * `staleSha`, the card's files.sha256 follows it), `card` edits the card, `cardText` replaces it.
 */
function bundle(edit?: {
  card?: (c: Json) => void;
  onnx?: Uint8Array | null;
  staleSha?: boolean;
  cardText?: string;
}) {
  const dir = join(work, `bundle-${n++}`);
  cpSync(DEFAULT_MODEL_DIR, dir, { recursive: true });
  const card = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  if (edit?.onnx === null) rmSync(join(dir, 'model.onnx'));
  else if (edit?.onnx) {
    writeFileSync(join(dir, 'model.onnx'), edit.onnx);
    if (!edit.staleSha) card.files.sha256 = sha256(edit.onnx);
  }
  edit?.card?.(card);
  writeFileSync(join(dir, 'model.json'), edit?.cardText ?? JSON.stringify(card));
  return dir;
}

function thresholds(edit: (t: Json) => void) {
  const t = JSON.parse(readFileSync(DEFAULT_THRESHOLDS, 'utf8'));
  edit(t);
  const path = join(work, `thresholds-${n++}.json`);
  writeFileSync(path, JSON.stringify(t));
  return path;
}

const gate = (modelDir: string, thresholdsPath = DEFAULT_THRESHOLDS) => runGate({ modelDir, thresholdsPath });

describe('model quality gate', () => {
  it('passes on the bundled model with the committed thresholds', async () => {
    const r = await gate(DEFAULT_MODEL_DIR);
    assert.deepEqual(r.failures, []);
    assert.ok(r.ok);
    const card = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));
    for (const k of ['accuracy', 'precision', 'recall', 'f1', 'rocAuc'] as const) {
      assert.ok(Math.abs(r.measured[k] - card.metrics[k]) < 1e-4, `${k} re-measured like the card says`);
    }
    assert.equal(r.measured.testSize, card.metrics.testSize);
  });

  it('thresholds are set just below the measured metrics', async () => {
    const t = JSON.parse(readFileSync(DEFAULT_THRESHOLDS, 'utf8'));
    const card = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));
    for (const [k, min] of Object.entries(t.metrics) as [string, number][]) {
      assert.ok(min <= card.metrics[k] && card.metrics[k] - min < 0.02, `${k}: ${min} vs ${card.metrics[k]}`);
    }
  });

  it('fails on a raised threshold, naming the metric, the measured value and the threshold', async () => {
    const r = await gate(
      DEFAULT_MODEL_DIR,
      thresholds((t) => {
        t.metrics.recall = 0.999;
      }),
    );
    assert.equal(r.ok, false);
    assert.equal(r.failures.length, 1);
    assert.match(r.failures[0]!, /^recall 0\.\d{6} is below the threshold 0\.999 /);
  });

  it('fails on a bad model (all-zero weights) and on a card whose metrics lie', async () => {
    const card = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));
    const zero = exportOnnx(
      { weights: new Float32Array(card.preprocessing.buckets), bias: -1 },
      { name: card.name, version: card.version, labels: card.labels },
    );
    const r = await gate(bundle({ onnx: zero }));
    assert.equal(r.ok, false);
    for (const metric of ['accuracy', 'recall', 'f1', 'rocAuc']) {
      assert.ok(
        r.failures.some((f) => f.startsWith(`${metric} `)),
        `${metric} named in ${r.failures.join('\n')}`,
      );
    }
    assert.ok(r.failures.some((f) => f.startsWith('golden example')));

    const lying = await gate(
      bundle({
        card: (c) => {
          c.metrics.accuracy = 0.9999;
        },
      }),
    );
    assert.equal(lying.ok, false);
    assert.match(lying.failures.join('\n'), /accuracy: the card claims 0\.9999/);
  });

  it('rejects ONNX bytes that do not match the card; fails on a wrong golden label', async () => {
    const other = exportOnnx(
      { weights: new Float32Array(8), bias: 0 },
      { name: 'x', version: '0.0.1', labels: ['ham', 'spam'] },
    );
    await assert.rejects(gate(bundle({ onnx: other, staleSha: true })), /sha256 .* but the card records/);

    const golden = await gate(
      bundle({
        card: (c) => {
          c.golden[0].label = c.golden[0].label === 'ham' ? 'spam' : 'ham';
        },
      }),
    );
    assert.equal(golden.ok, false);
    assert.match(golden.failures.join('\n'), /golden example ".*" expected/);
  });

  it('rejects bad input with a clear BundleError', async () => {
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['missing dir', () => gate(join(work, 'nope')), /cannot read the model card .*ENOENT/],
      ['non-JSON card', () => gate(bundle({ cardText: '{ not json' })), /model\.json: \/ is not valid JSON/],
      [
        'card not an object',
        () => gate(bundle({ cardText: '[1, 2]' })),
        /model\.json: \/ must be an object \(got \[1,2\]\)/,
      ],
      [
        'bad version',
        () =>
          gate(
            bundle({
              card: (c) => {
                c.version = 'v1';
              },
            }),
          ),
        /\/version must be a semantic version like 1\.2\.3 \(got "v1"\)/,
      ],
      [
        'bad preprocessing',
        () =>
          gate(
            bundle({
              card: (c) => {
                c.preprocessing.tf = 'sqrt';
              },
            }),
          ),
        /\/preprocessing\/tf must be one of/,
      ],
      ['missing onnx', () => gate(bundle({ onnx: null })), /cannot read the model .*model\.onnx: ENOENT/],
      [
        'garbage onnx',
        () => gate(bundle({ onnx: new TextEncoder().encode('this is not onnx') })),
        /not a loadable ONNX model/,
      ],
      [
        'wrong input name',
        () =>
          gate(
            bundle({
              card: (c) => {
                c.inputs.ids = 'input_ids';
              },
            }),
          ),
        /has no input "input_ids"/,
      ],
      [
        'wrong dataset',
        () =>
          gate(
            bundle({
              card: (c) => {
                c.dataset.digest = 'sha256:00';
              },
            }),
          ),
        /dataset digest mismatch/,
      ],
      [
        'missing thresholds',
        () => gate(DEFAULT_MODEL_DIR, join(work, 'none.json')),
        /cannot read the thresholds .*ENOENT/,
      ],
      [
        'bad thresholds',
        () =>
          gate(
            DEFAULT_MODEL_DIR,
            thresholds((t) => {
              t.metrics.f1 = 'high';
            }),
          ),
        /metrics\.f1 must be a number/,
      ],
    ];
    for (const [name, check, message] of cases) {
      await assert.rejects(check(), (e: unknown) => {
        assert.ok(e instanceof BundleError, `${name}: ${e}`);
        assert.match(e.message, message, name);
        return true;
      });
    }
  });

  it('CLI: exit 1 with the failing metric and no stack trace; --model-dir/--thresholds honoured', async () => {
    const cli = (args: string[]) =>
      run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'training/src/check.ts'), ...args], {
        cwd: REPO_ROOT,
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const high = await cli([
      '--thresholds',
      thresholds((t) => {
        t.metrics.accuracy = 0.9999;
      }),
    ]);
    assert.equal(high.code, 1);
    assert.match(high.stderr, /accuracy 0\.\d+ is below the threshold 0\.9999/);
    assert.doesNotMatch(high.stderr, /\n\s+at /);

    const broken = await cli(['--model-dir', bundle({ cardText: 'nope' })]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /model gate FAILED: model card .*model\.json: \/ is not valid JSON/);
    assert.doesNotMatch(broken.stderr, /\n\s+at /);
  });
});
