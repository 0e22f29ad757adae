import type { PreprocessingParams } from '../../service/src/model/preprocess.js';

/** The preprocessing the bundled model is trained with (written into model/model.json). */
export const DEFAULT_PREPROCESSING: PreprocessingParams = {
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
};
