/**
 * Exports the linear model as an ONNX graph (built with the `onnx-proto` protobuf classes):
 *
 *   token_ids int32 [N, L] ──Gather(W[buckets])──▶ [N, L] ──Mul(token_weights)──▶ [N, L]
 *     ──ReduceSum(axis 1, keepdims)──▶ [N, 1] ──Add(bias)──▶ logit ──Sigmoid──▶ p(spam)
 *     ──Concat(1 − p, p)──▶ probabilities float32 [N, 2]   (ordered like labels: ham, spam)
 *
 * Opset 13, IR version 7. Padding id 0 carries weight 0, so it adds nothing to the sum.
 */
import onnxProto from 'onnx-proto';
import type { LinearModel } from './logreg.js';

const { onnx } = onnxProto;

export const INPUT_IDS = 'token_ids';
export const INPUT_WEIGHTS = 'token_weights';
export const OUTPUT = 'probabilities';
export const OPSET = 13;
export const IR_VERSION = 7;

function bytesOf(array: Float32Array | BigInt64Array): Uint8Array {
  // ONNX raw_data is little-endian; copy so the result owns exactly these bytes
  const out = new Uint8Array(array.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < array.length; i++) {
    if (array instanceof Float32Array) view.setFloat32(i * 4, array[i]!, true);
    else view.setBigInt64(i * 8, array[i]!, true);
  }
  return out;
}

function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array) {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType:
      data instanceof Float32Array ? onnx.TensorProto.DataType.FLOAT : onnx.TensorProto.DataType.INT64,
    rawData: bytesOf(data),
  });
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attribute: onnxProto.onnx.IAttributeProto[] = [],
) {
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, name: outputs[0]!, attribute });
}

export interface ExportMeta {
  name: string;
  version: string;
  labels: readonly string[];
  docString?: string;
}

/** Serialises the model; the same model and meta always give the same bytes. */
export function exportOnnx(model: LinearModel, meta: ExportMeta): Uint8Array {
  const { FLOAT, INT32 } = onnx.TensorProto.DataType;
  const graph = onnx.GraphProto.create({
    name: meta.name,
    input: [valueInfo(INPUT_IDS, INT32, ['N', 'L']), valueInfo(INPUT_WEIGHTS, FLOAT, ['N', 'L'])],
    output: [valueInfo(OUTPUT, FLOAT, ['N', 2])],
    initializer: [
      tensor('W', [model.weights.length], model.weights),
      tensor('bias', [1], Float32Array.of(model.bias)),
      tensor('one', [1], Float32Array.of(1)),
      tensor('sum_axes', [1], BigInt64Array.of(1n)),
    ],
    node: [
      node(
        'Gather',
        ['W', INPUT_IDS],
        ['gathered'],
        [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
      ),
      node('Mul', ['gathered', INPUT_WEIGHTS], ['contributions']),
      node(
        'ReduceSum',
        ['contributions', 'sum_axes'],
        ['dot'],
        [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      ),
      node('Add', ['dot', 'bias'], ['logit']),
      node('Sigmoid', ['logit'], ['p_spam']),
      node('Sub', ['one', 'p_spam'], ['p_ham']),
      node(
        'Concat',
        ['p_ham', 'p_spam'],
        [OUTPUT],
        [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      ),
    ],
  });
  const model_ = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: '@mlops/training',
    producerVersion: meta.version,
    modelVersion: 1,
    docString: meta.docString ?? `${meta.name} ${meta.version}: hashed n-gram logistic regression`,
    graph,
    metadataProps: [
      { key: 'name', value: meta.name },
      { key: 'version', value: meta.version },
      { key: 'labels', value: JSON.stringify(meta.labels) },
    ],
  });
  return onnx.ModelProto.encode(model_).finish();
}
