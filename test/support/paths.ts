// Where things are, for every suite: tests, benches and test scripts start from here
// instead of counting `..` from their own folder.
import path from 'node:path';

/** The repository root (no trailing slash). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The model bundle the repository ships (model.onnx, model.json). */
export const BUNDLED_MODEL_DIR = path.join(REPO_ROOT, 'model');

/** The service workspace, where its server runs from. */
export const SERVICE_DIR = path.join(REPO_ROOT, 'service');
