/** What the bundled model is trained with. Change here, then `npm run model:train`. */
import { resolve } from 'node:path';
import type { TrainConfig } from './pipeline.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const DEFAULT_MODEL_DIR = resolve(REPO_ROOT, 'model');
export const DEFAULT_THRESHOLDS = resolve(REPO_ROOT, 'training', 'thresholds.json');

export const TRAIN_CONFIG: TrainConfig = {
  name: 'spam-classifier',
  version: '1.0.0',
  seed: 42,
  testFraction: 0.2,
  // hashed-ngrams-v1 (featurize in @mlops/model-contract), written into model/model.json
  preprocessing: {
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
  },
  optimizer: { epochs: 200, learningRate: 0.05, l2: 1e-6, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  goldenMinMargin: 0.3,
  golden: [
    {
      input: 'Hi Tom, are we still on for lunch tomorrow? I can book a table near the office.',
      label: 'ham',
    },
    {
      input: 'I pushed a fix for the build failure. Can you review the patch before the release on Monday?',
      label: 'ham',
    },
    {
      input: 'I tried the new version of the script and it still crashes when the config file is missing.',
      label: 'ham',
    },
    {
      input: 'The kernel update broke my network driver again. Does anyone on the list know a workaround?',
      label: 'ham',
    },
    {
      input:
        'Congratulations! You have been selected to receive a FREE $1000 gift card. Click here now to claim your prize!',
      label: 'spam',
    },
    {
      input:
        'Make money fast working from home! Earn $5000 a week, no experience needed. Order now, limited time offer!',
      label: 'spam',
    },
    {
      input:
        'Lowest mortgage rates guaranteed! Refinance today and save thousands. Act now, this offer expires soon!',
      label: 'spam',
    },
    {
      input: 'Lose 30 pounds in 30 days with our amazing diet pills! Order today and get a free bottle!',
      label: 'spam',
    },
  ],
};
