/**
 * The ONNX Runtime session: one per process, sized to the CPUs this container may use.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';

/** ONNX tensor names: docs/contracts.md's by default, the model card may name others. */
export interface TensorNames {
  ids: string;
  weights: string;
  probabilities: string;
}
export const CONTRACT_NAMES: TensorNames = {
  ids: 'token_ids',
  weights: 'token_weights',
  probabilities: 'probabilities',
};

export interface Session {
  /** Runs one padded batch; returns `probabilities`, row-major [n, 2]. */
  run(ids: Int32Array, weights: Float32Array, n: number, width: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function createSession(path: string, names: TensorNames = CONTRACT_NAMES): Promise<Session> {
  const { ids: idsName, weights: weightsName, probabilities: outputName } = names;
  // availableParallelism() honours the CPU affinity/cgroup limits the container really has,
  // unlike os.cpus().length, which reports the host's cores. One of those CPUs is left to
  // the event loop and the kernel's network work: run() is synchronous on the main thread,
  // and for this small model a second intra-op thread only adds cross-core hand-offs.
  // Measured with wrk on 2 cores, 32 connections: 2 threads 17k-26k req/s, 1 thread 26k-31k.
  const threads = Math.max(1, availableParallelism() - 1);
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Idle intra-op threads must not spin: the event loop needs that CPU between batches.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  for (const name of [idsName, weightsName]) {
    if (!session.inputNames.includes(name)) {
      throw new Error(`${path}: input "${name}" is missing (inputs: ${session.inputNames.join(', ')})`);
    }
  }
  if (!session.outputNames.includes(outputName)) {
    throw new Error(
      `${path}: output "${outputName}" is missing (outputs: ${session.outputNames.join(', ')})`,
    );
  }
  const fetches = [outputName];
  return {
    async run(ids, weights, n, width) {
      const feeds = {
        [idsName]: new ort.Tensor('int32', ids, [n, width]),
        [weightsName]: new ort.Tensor('float32', weights, [n, width]),
      };
      const out = await session.run(feeds, fetches);
      const probabilities = out[outputName];
      if (probabilities === undefined || probabilities.type !== 'float32' || probabilities.size !== n * 2) {
        throw new Error(`model output "${outputName}" is not float32 [${n}, 2]`);
      }
      return probabilities.data as Float32Array;
    },
    release: () => session.release(),
  };
}
