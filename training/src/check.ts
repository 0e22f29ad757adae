/**
 * `npm run model:check`: the model quality gate. Re-evaluates model/model.onnx on the
 * held-out split (rebuilt from the dataset and the seed/split in model/model.json), checks the
 * dataset digest and the golden examples, and exits 1 when a metric is below
 * training/thresholds.json.
 *
 *   --model-dir DIR      the bundle to check (default: the repository's model/)
 *   --thresholds FILE    the thresholds (default: training/thresholds.json)
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BundleError } from './card.js';
import { DEFAULT_MODEL_DIR, DEFAULT_THRESHOLDS } from './config.js';
import { runGate } from './gate.js';

async function main(): Promise<number> {
  let values: { 'model-dir'?: string; thresholds?: string };
  try {
    ({ values } = parseArgs({
      options: {
        'model-dir': { type: 'string', default: DEFAULT_MODEL_DIR },
        thresholds: { type: 'string', default: DEFAULT_THRESHOLDS },
      },
    }));
  } catch (e) {
    console.error(`model gate: ${(e as Error).message}\nusage: check [--model-dir DIR] [--thresholds FILE]`);
    return 2;
  }
  // relative paths are relative to where npm was invoked (npm runs the script in training/)
  const base = process.env.INIT_CWD ?? process.cwd();
  const modelDir = resolve(base, values['model-dir']!);
  const thresholdsPath = resolve(base, values.thresholds!);
  console.log(`model gate: ${modelDir} against ${thresholdsPath}`);
  const result = await runGate({ modelDir, thresholdsPath });
  for (const line of result.lines) console.log(`  ${line}`);
  if (!result.ok) {
    console.error(`model gate FAILED (${result.failures.length}):`);
    for (const f of result.failures) console.error(`  - ${f}`);
    return 1;
  }
  console.log('model gate passed');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // bad input (missing files, non-JSON card, unloadable ONNX, …): a message, not a stack trace
    const message = e instanceof BundleError ? e.message : e instanceof Error ? e.message : String(e);
    console.error(`model gate FAILED: ${message}`);
    process.exitCode = 1;
  },
);
