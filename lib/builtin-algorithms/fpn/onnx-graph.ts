import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** The ONNX opset the exported graphs use (all their operators exist unchanged since 13). */
export const ONNX_OPSET = 13;

type Attr = number | number[] | string | { floats: number[] };

/**
 * A small builder over the ONNX protobuf schema (onnx-proto): named initializers, nodes with
 * typed attributes, float inputs and outputs with symbolic dimensions. Serialises a ModelProto.
 */
export class OnnxGraph {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly named = new Set<string>();
  private counter = 0;

  /** A float initializer (added once per name, so shared weights stay shared). */
  floats(name: string, data: Float32Array, dims: number[]): string {
    if (this.named.has(name)) return name;
    this.named.add(name);
    this.initializers.push({
      name,
      dataType: onnx.TensorProto.DataType.FLOAT,
      dims,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
    });
    return name;
  }

  /** An int64 initializer (shapes, slice bounds). */
  int64s(values: number[]): string {
    const name = `const_i64_${this.counter++}`;
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dataType: onnx.TensorProto.DataType.INT64,
      dims: [values.length],
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  /** Adds a node; returns its (first) output name. */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    const out = output ?? `${op.toLowerCase()}_${this.counter++}`;
    this.nodes.push({
      opType: op,
      name: `${op}_${this.nodes.length}`,
      input: inputs,
      output: [out],
      attribute: Object.entries(attrs).map(([name, v]) => attribute(name, v)),
    });
    return out;
  }

  /** A float graph input; string dimensions are symbolic. */
  input(name: string, dims: Array<number | string>): string {
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Marks `value` as a graph output named `name` (through an Identity when the names differ). */
  output(value: string, name: string, dims: Array<number | string>): void {
    if (value !== name) this.node('Identity', [value], {}, name);
    this.outputs.push(valueInfo(name, dims));
  }

  /** The serialised ModelProto. */
  encode(graphName: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'edge-stl',
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute(name: string, v: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number')
    return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.FLOATS, floats: v.floats };
}

function valueInfo(name: string, dims: Array<number | string>): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
