/**
 * @mlops/model-contract: what the service, training and deployctl agree on about a model
 * bundle (docs/contracts.md): the model card's schema, type and validation, and `featurize`,
 * the one implementation of text → features.
 */
export {
  type GoldenExample,
  GoldenExampleSchema,
  type ModelCard,
  ModelCardError,
  ModelCardSchema,
  modelCardProblems,
  parseModelCard,
  validateModelCard,
} from './card.js';
export { type Features, featurize } from './featurize.js';
export {
  PADDING_ID,
  PREPROCESSING_ALGORITHM,
  type PreprocessingParams,
  PreprocessingSchema,
  preprocessingProblems,
  validatePreprocessingParams,
} from './preprocessing.js';
export { ContractError, formatProblem, type Problem } from './problems.js';
