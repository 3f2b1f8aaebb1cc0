/**
 * Hand-encoded ONNX models (opset 13, IR 8) for the four workloads, with symbolic dims so one
 * model serves every shape. No ONNX tooling needed: bench/onnx/protobuf.mjs writes the bytes.
 *
 * Field numbers from onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
 * ValueInfoProto, TypeProto, TensorShapeProto).
 */
import { fInt, fMessage, fString, message } from './protobuf.mjs';

export const ONNX_DTYPE = { float32: 1, float64: 11 };
const ATTR_INT = 2;
const ATTR_INTS = 7;

/** AttributeProto: name = 1, i = 3, ints = 8, type = 20. */
function attrInt(name, i) {
  return fMessage(5, [fString(1, name), fInt(3, i), fInt(20, ATTR_INT)]);
}
function attrInts(name, ints) {
  return fMessage(5, [fString(1, name), ints.map((v) => fInt(8, v)), fInt(20, ATTR_INTS)]);
}

/** NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5. */
function node(op, inputs, outputs, attrs = []) {
  return fMessage(1, [inputs.map((s) => fString(1, s)), outputs.map((s) => fString(2, s)), fString(3, `${op}_${outputs[0]}`), fString(4, op), attrs]);
}

/**
 * ValueInfoProto (name = 1, type = 2) of a tensor: TypeProto.tensor_type = 1 →
 * { elem_type = 1, shape = 2 → { dim = 1 → { dim_value = 1 | dim_param = 2 } } }.
 */
function tensorInfo(field, name, dtype, dims) {
  const dimMsgs = dims.map((d) => fMessage(1, [typeof d === 'number' ? fInt(1, d) : fString(2, d)]));
  return fMessage(field, [fString(1, name), fMessage(2, [fMessage(1, [fInt(1, ONNX_DTYPE[dtype]), fMessage(2, dimMsgs)])])]);
}

/**
 * ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 → { domain = 1, version = 2 }.
 * GraphProto: node = 1, name = 2, input = 11, output = 12.
 */
export function modelProto({ name, nodes, inputs, outputs }) {
  const graph = fMessage(7, [nodes, fString(2, name), inputs, outputs]);
  return message([fInt(1, 8), fString(2, 'klwasm-bench'), graph, fMessage(8, [fString(1, ''), fInt(2, 13)])]);
}

/** kl_div(input, target, 'sum') as PyTorch computes it: ReduceSum(target · (Log(target) − input)). */
function klDivNodes(input, target, out) {
  return [
    node('Log', [target], ['log_target']),
    node('Sub', ['log_target', input], ['diff']),
    node('Mul', [target, 'diff'], ['terms']),
    // opset 13 ReduceSum: axes is an optional input; without it every axis is reduced.
    node('ReduceSum', ['terms'], [out], [attrInt('keepdims', 0)]),
  ];
}

/** The model of one workload in one dtype. Inputs and outputs are named as in `io`. */
export function buildModel(workload, dtype) {
  const BN = ['B', 'N'];
  switch (workload) {
    case 'w1':
      return modelProto({
        name: `w1_${dtype}`,
        nodes: klDivNodes('input', 'target', 'loss'),
        inputs: [tensorInfo(11, 'input', dtype, BN), tensorInfo(11, 'target', dtype, BN)],
        outputs: [tensorInfo(12, 'loss', dtype, [])],
      });
    case 'w2':
      return modelProto({
        name: `w2_${dtype}`,
        nodes: [
          node('LogSoftmax', ['x'], ['logq'], [attrInt('axis', -1)]),
          node('Softmax', ['y'], ['p'], [attrInt('axis', -1)]),
          ...klDivNodes('logq', 'p', 'loss'),
        ],
        inputs: [tensorInfo(11, 'x', dtype, BN), tensorInfo(11, 'y', dtype, BN)],
        outputs: [tensorInfo(12, 'loss', dtype, [])],
      });
    case 'w3':
      return modelProto({
        name: `w3_${dtype}`,
        nodes: [node('LogSoftmax', ['x'], ['out'], [attrInt('axis', -1)])],
        inputs: [tensorInfo(11, 'x', dtype, BN)],
        outputs: [tensorInfo(12, 'out', dtype, BN)],
      });
    case 'w4':
      return modelProto({
        name: `w4_${dtype}`,
        nodes: [node('ReduceLogSumExp', ['x'], ['out'], [attrInts('axes', [-1]), attrInt('keepdims', 0)])],
        inputs: [tensorInfo(11, 'x', dtype, BN)],
        outputs: [tensorInfo(12, 'out', dtype, ['B'])],
      });
    default:
      throw new Error(`no ONNX model for workload '${workload}'`);
  }
}

/** Input and output names of each workload's model. */
export const MODEL_IO = {
  w1: { inputs: ['input', 'target'], output: 'loss' },
  w2: { inputs: ['x', 'y'], output: 'loss' },
  w3: { inputs: ['x'], output: 'out' },
  w4: { inputs: ['x'], output: 'out' },
};
