// The canary's "other model" (issue 16): trained by the training code from the same dataset
// with other hyper-parameters, never a hand-edited file. Training takes minutes on a loaded
// machine, so the bundle is cached under the hash of its config (and the dataset's digest).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { formatCardJson } from '../../training/src/card.js';
import { TRAIN_CONFIG } from '../../training/src/config.js';
import { loadDataset } from '../../training/src/data.js';
import { type TrainConfig, trainModel } from '../../training/src/pipeline.js';

/**
 * Strong L2 regularisation (1e-2 instead of 1e-6) pulls every weight towards 0, so the model
 * leans on its bias: it labels 6.6% of the held-out split spam where the bundled model labels
 * 29.3%, and gets 3 of the 4 spam golden examples wrong (p = 0.48). 20 epochs instead of 200:
 * the same behaviour in ~20 s of training instead of ~4 minutes on a loaded machine. Same name
 * and version as the bundled model: a retrain that shipped under the version the release's
 * model card names.
 */
export const OTHER_MODEL_CONFIG: TrainConfig = {
  ...TRAIN_CONFIG,
  optimizer: { ...TRAIN_CONFIG.optimizer, l2: 1e-2, epochs: 20 },
};

const cacheRoot = () =>
  path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'mlops-inference-chain', 'models');

/**
 * The bundle's directory (model.onnx + model.json). Its card keeps the golden examples this
 * model gets right (the service's warm-up refuses a model that fails its own card), so the
 * service serves it; the release's card (model/model.json) still lists them all.
 */
export async function otherModelDir(log: (message: string) => void = () => {}): Promise<string> {
  const dataset = loadDataset();
  const key = createHash('sha256')
    .update(JSON.stringify({ config: OTHER_MODEL_CONFIG, dataset: dataset.digest }))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(cacheRoot(), key);
  if (existsSync(path.join(dir, 'model.json'))) return dir;
  const started = Date.now();
  const result = await trainModel(dataset, OTHER_MODEL_CONFIG);
  const golden = OTHER_MODEL_CONFIG.golden.filter((example, i) => {
    const spam = (result.goldenScores[i] ?? 0.5) >= 0.5;
    return spam === (example.label === 'spam');
  });
  if (golden.length === 0)
    throw new Error('the other model gets no golden example right; pick other hyper-parameters');
  const partial = `${dir}.partial-${process.pid}`;
  mkdirSync(partial, { recursive: true });
  writeFileSync(path.join(partial, 'model.onnx'), result.onnx);
  writeFileSync(path.join(partial, 'model.json'), formatCardJson({ ...result.card, golden }));
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  log(
    `trained the other model in ${((Date.now() - started) / 1000).toFixed(0)} s (l2 ${OTHER_MODEL_CONFIG.optimizer.l2}); ${golden.length}/${OTHER_MODEL_CONFIG.golden.length} golden examples right; cached in ${dir}`,
  );
  return dir;
}

/** Short texts of the dataset's messages, as test traffic (the service's MAX_INPUT_CHARS is 20000). */
export function trafficTexts(limit = 400): string[] {
  const texts = loadDataset()
    .examples.map((example) => example.text)
    .filter((text) => text.length > 20 && text.length <= 4000);
  // Every k-th, so ham and spam keep the dataset's proportions.
  const step = Math.max(1, Math.floor(texts.length / limit));
  return texts.filter((_, i) => i % step === 0).slice(0, limit);
}
