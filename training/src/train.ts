/**
 * `npm run model:train`: trains the bundled spam classifier and writes model/model.onnx and
 * model/model.json. Deterministic: the same dataset and config give the same bytes.
 *
 *   --out-dir DIR   where to write the bundle (default: the repository's model/)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_DIR, TRAIN_CONFIG } from './config.js';
import { loadDataset } from './data.js';
import { goldenFailures, trainModel } from './pipeline.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'out-dir': { type: 'string', default: DEFAULT_MODEL_DIR } } });
  // relative paths are relative to where npm was invoked (npm runs the script in training/)
  const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), values['out-dir']!);
  const start = performance.now();
  const dataset = loadDataset();
  const s = dataset.stats;
  console.log(
    `dataset ${dataset.name}@${dataset.version}: ${s.messages} messages → ${dataset.examples.length} examples ` +
      `(${s.ham} ham, ${s.spam} spam; dropped ${s.duplicates} duplicates, ${s.conflicting} conflicting, ${s.empty} empty) ` +
      `${dataset.digest} in ${((performance.now() - start) / 1000).toFixed(1)} s`,
  );
  const result = await trainModel(dataset, TRAIN_CONFIG, (m) => console.log(m));
  const m = result.metrics;
  console.log(
    `held-out (${m.testSize}): accuracy ${m.accuracy} precision ${m.precision} recall ${m.recall} f1 ${m.f1} rocAuc ${m.rocAuc}`,
  );
  console.log(`ONNX vs JS reference: max |Δp| = ${result.onnxMaxAbsDiff.toExponential(2)}`);
  if (result.onnxMaxAbsDiff > 1e-5) {
    console.error('error: the exported ONNX graph does not match the reference scorer');
    return 1;
  }
  const failures = goldenFailures(TRAIN_CONFIG.golden, result.goldenScores, TRAIN_CONFIG.goldenMinMargin);
  TRAIN_CONFIG.golden.forEach((g, i) => {
    console.log(`golden ${g.label.padEnd(4)} p(spam)=${result.goldenScores[i]!.toFixed(4)}  ${g.input}`);
  });
  if (failures.length > 0) {
    console.error(`error: golden examples not classified with a clear margin:\n  ${failures.join('\n  ')}`);
    return 1;
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'model.onnx'), result.onnx);
  writeFileSync(join(outDir, 'model.json'), result.cardJson);
  console.log(
    `wrote ${join(outDir, 'model.onnx')} (${result.onnx.length} bytes, sha256 ${result.card.files.sha256}) and model.json; ` +
      `training ${result.seconds.training.toFixed(1)} s, total ${((performance.now() - start) / 1000).toFixed(1)} s`,
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
