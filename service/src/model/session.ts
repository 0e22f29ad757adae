/**
 * The ONNX Runtime session: one per process, sized to the CPUs this container may use.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';

/** ONNX names fixed by docs/contracts.md. */
export const INPUT_IDS = 'token_ids';
export const INPUT_WEIGHTS = 'token_weights';
export const OUTPUT_PROBABILITIES = 'probabilities';

export interface Session {
  /** Runs one padded batch; returns `probabilities`, row-major [n, 2]. */
  run(ids: Int32Array, weights: Float32Array, n: number, width: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function createSession(path: string): Promise<Session> {
  // availableParallelism() honours the CPU affinity/cgroup limits the container really has,
  // unlike os.cpus().length, which reports the host's cores.
  const threads = availableParallelism();
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Idle intra-op threads must not spin: the event loop needs that CPU between batches.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  for (const name of [INPUT_IDS, INPUT_WEIGHTS]) {
    if (!session.inputNames.includes(name)) {
      throw new Error(`${path}: input "${name}" is missing (inputs: ${session.inputNames.join(', ')})`);
    }
  }
  if (!session.outputNames.includes(OUTPUT_PROBABILITIES)) {
    throw new Error(
      `${path}: output "${OUTPUT_PROBABILITIES}" is missing (outputs: ${session.outputNames.join(', ')})`,
    );
  }
  const fetches = [OUTPUT_PROBABILITIES];
  return {
    async run(ids, weights, n, width) {
      const feeds = {
        [INPUT_IDS]: new ort.Tensor('int32', ids, [n, width]),
        [INPUT_WEIGHTS]: new ort.Tensor('float32', weights, [n, width]),
      };
      const out = await session.run(feeds, fetches);
      const probabilities = out[OUTPUT_PROBABILITIES];
      if (probabilities === undefined || probabilities.type !== 'float32' || probabilities.size !== n * 2) {
        throw new Error(`model output "${OUTPUT_PROBABILITIES}" is not float32 [${n}, 2]`);
      }
      return probabilities.data as Float32Array;
    },
    release: () => session.release(),
  };
}
