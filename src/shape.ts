import { argRangeError, argTypeError, describe, shapeStr } from './errors.js';
import { contiguousStrides } from './tensor.js';

/**
 * A slice layout: the tensor viewed as `[outer, size, inner]` (row-major), the middle axis being
 * the dim an op works along. Element `(o, k, i)` sits at `(o * size + k) * inner + i`; `inner = 1`
 * means contiguous rows (the last dim), `inner > 1` means strided columns.
 */
export interface SliceLayout {
  outer: number;
  size: number;
  inner: number;
}

/**
 * Checks and wraps a dim, PyTorch style: an integer in `[-max(ndim,1), max(ndim,1) - 1]` (0-d tensors
 * accept 0 and -1). Returns the wrapped non-negative dim.
 */
export function normalizeDim(op: string, arg: string, dim: unknown, ndim: number): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim)) {
    throw argTypeError(op, arg, `must be an integer, got ${describe(dim)}`, `Pass a dimension index such as -1 (the last dimension)`);
  }
  const n = Math.max(ndim, 1);
  if (dim < -n || dim > n - 1) {
    throw argRangeError(
      op,
      arg,
      `is invalid: Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
      `The tensor has ${ndim} dimension${ndim === 1 ? '' : 's'}; use -1 for the last one`,
    );
  }
  return dim < 0 ? dim + n : dim;
}

/** Product of shape[from .. to) (1 for an empty range): the outer / inner extents of a slice layout. */
export function productOf(shape: readonly number[], from: number, to: number): number {
  let p = 1;
  for (let d = from; d < to; d++) p *= shape[d]!;
  return p;
}

/** The `[outer, size, inner]` view of `shape` around the (already normalised) dim. */
export function sliceLayout(shape: readonly number[], dim: number): SliceLayout {
  if (shape.length === 0) return { outer: 1, size: 1, inner: 1 };
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < dim; d++) outer *= shape[d]!;
  for (let d = dim + 1; d < shape.length; d++) inner *= shape[d]!;
  return { outer, size: shape[dim]!, inner };
}

/**
 * NumPy broadcasting of two shapes. On a mismatch the message quotes PyTorch's ("The size of tensor
 * a (4) must match the size of tensor b (3) at non-singleton dimension 1") and names both shapes.
 */
export function broadcastShapes(
  op: string,
  a: readonly number[],
  aName: string,
  b: readonly number[],
  bName: string,
): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `${op}: shapes do not broadcast: '${aName}' has shape ${shapeStr(a)} and '${bName}' has shape ${shapeStr(b)}. ` +
          `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}. ` +
          `Pass tensors of the same shape, or shapes that broadcast (each dimension equal, or 1 in one of them).`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * How to read two broadcast operands in the order of their broadcast result: dims of size 1 are
 * dropped and neighbouring dims that are contiguous in both operands are merged, so the common cases
 * reduce to one or two dims. Strides are element strides; 0 means the operand repeats along that dim.
 */
export interface BroadcastPlan {
  /** Collapsed dimension sizes (row-major over the broadcast result); `[]` when there is one element. */
  sizes: number[];
  /** Strides of operand a per collapsed dim. */
  aStrides: number[];
  /** Strides of operand b per collapsed dim. */
  bStrides: number[];
}

/** Builds the collapsed broadcast plan for operands of shapes `a` and `b` against result `out`. */
export function broadcastPlan(out: readonly number[], a: readonly number[], b: readonly number[]): BroadcastPlan {
  const stridesFor = (shape: readonly number[]): number[] => {
    const own = contiguousStrides(shape);
    const res = new Array<number>(out.length);
    const lead = out.length - shape.length;
    for (let i = 0; i < out.length; i++) {
      const d = i - lead;
      res[i] = d < 0 || shape[d] === 1 ? 0 : own[d]!;
    }
    return res;
  };
  const as = stridesFor(a);
  const bs = stridesFor(b);
  const sizes: number[] = [];
  const aStrides: number[] = [];
  const bStrides: number[] = [];
  for (let i = 0; i < out.length; i++) {
    const size = out[i]!;
    if (size === 1) continue;
    const k = sizes.length - 1;
    // Merge with the previous collapsed dim when stepping the previous dim once equals stepping this
    // dim `size` times, in both operands.
    if (k >= 0 && aStrides[k] === as[i]! * size && bStrides[k] === bs[i]! * size) {
      sizes[k] = sizes[k]! * size;
      aStrides[k] = as[i]!;
      bStrides[k] = bs[i]!;
      continue;
    }
    sizes.push(size);
    aStrides.push(as[i]!);
    bStrides.push(bs[i]!);
  }
  return { sizes, aStrides, bStrides };
}
