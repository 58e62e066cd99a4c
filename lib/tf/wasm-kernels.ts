import * as tf from '@tensorflow/tfjs-core';

/** The part of the wasm backend's API the JS kernels use (typed views into the wasm heap). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
}

/**
 * `UnsortedSegmentSum` for wasm, which tfjs 4.22 lacks; the `GatherV2` gradient (used by ROI
 * Align) needs it. A scatter-add over rows, in JS on views of the wasm heap (no copies).
 */
const unsortedSegmentSum: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const wasm = backend as unknown as WasmHeapBackend;
  const idsShape = segmentIds.shape;
  const inner = x.shape.slice(idsShape.length).reduce((a, b) => a * b, 1);
  const rows = idsShape.reduce((a, b) => a * b, 1);
  const out = wasm.makeOutput([numSegments, ...x.shape.slice(idsShape.length)], 'float32');
  // Views taken after makeOutput: growing the heap detaches older views.
  const o = wasm.typedArrayFromHeap(out) as Float32Array;
  const xv = wasm.typedArrayFromHeap(x) as Float32Array;
  const ids = wasm.typedArrayFromHeap(segmentIds) as Int32Array;
  o.fill(0);
  for (let r = 0; r < rows; r++) {
    const s = ids[r];
    if (s < 0 || s >= numSegments) continue;
    const ob = s * inner;
    const xb = r * inner;
    for (let k = 0; k < inner; k++) o[ob + k] += xv[xb + k];
  }
  return out;
};

/**
 * `Slice` for wasm without the full copy: tfjs-backend-wasm 4.22 reads the whole input with
 * `readSync` (a heap copy) on every slice, so slicing a large map costs O(input). This copies
 * only the selected runs, from a view of the heap, for any rank.
 */
function makeFastSlice(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original(args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [b, sz] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    const wasm = args.backend as unknown as WasmHeapBackend;
    const out = wasm.makeOutput(sz, x.dtype);
    const total = sz.reduce((p, q) => p * q, 1);
    if (total === 0) return out;
    const ov = wasm.typedArrayFromHeap(out);
    const xv = wasm.typedArrayFromHeap(x);
    const shape = x.shape;
    const rank = shape.length;
    const strides = new Array<number>(rank);
    strides[rank - 1] = 1;
    for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
    // Trailing dims taken whole merge into one contiguous run.
    let k = rank - 1;
    while (k > 0 && b[k] === 0 && sz[k] === shape[k]) k--;
    const run = sz.slice(k).reduce((p, q) => p * q, 1);
    const outer = sz.slice(0, k);
    const idx = new Array<number>(k).fill(0);
    let o = 0;
    const runs = total / run;
    for (let r = 0; r < runs; r++) {
      let off = b[k] * strides[k];
      for (let d = 0; d < k; d++) off += (b[d] + idx[d]) * strides[d];
      ov.set(xv.subarray(off, off + run), o);
      o += run;
      for (let d = k - 1; d >= 0; d--) {
        if (++idx[d] < outer[d]) break;
        idx[d] = 0;
      }
    }
    return out;
  };
}

/**
 * `GatherV2` along axis 0 for wasm (ROI Align gathers ~50k short rows per step): a JS row copy
 * from heap views, several times faster than the stock kernel on short rows. Other cases fall
 * back to the original kernel.
 */
function makeFastGather(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    const ax = axis < 0 ? axis + x.shape.length : axis;
    if (ax !== 0 || (batchDims ?? 0) !== 0 || x.dtype === 'string' || x.dtype === 'complex64')
      return original(args);
    const wasm = args.backend as unknown as WasmHeapBackend;
    const inner = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const out = wasm.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    const ov = wasm.typedArrayFromHeap(out);
    const xv = wasm.typedArrayFromHeap(x);
    const iv = wasm.typedArrayFromHeap(indices);
    const rows = x.shape[0];
    for (let r = 0, o = 0; r < iv.length; r++, o += inner) {
      const i = iv[r];
      if (i < 0 || i >= rows) throw new Error(`GatherV2: index ${i} out of range [0, ${rows})`);
      const b = i * inner;
      if (inner < 64) for (let k = 0; k < inner; k++) ov[o + k] = xv[b + k];
      else ov.set(xv.subarray(b, b + inner), o);
    }
    return out;
  };
}

let registered = false;

/** Registers the kernels tfjs-backend-wasm 4.22 lacks, and faster Slice and GatherV2. Safe to call more than once. */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: unsortedSegmentSum,
    });
  }
  const gather = tf.getKernel('GatherV2', 'wasm');
  if (gather) {
    tf.unregisterKernel('GatherV2', 'wasm');
    tf.registerKernel({ ...gather, kernelFunc: makeFastGather(gather.kernelFunc) });
  }
  const slice = tf.getKernel('Slice', 'wasm');
  if (slice) {
    tf.unregisterKernel('Slice', 'wasm');
    tf.registerKernel({ ...slice, kernelFunc: makeFastSlice(slice.kernelFunc) });
  }
}
