// Framed stdio transport shared with protocol.py: u32 LE frame length, u32 LE header length, a JSON
// header, then the raw little-endian tensor payloads listed in header.tensors, in order.

export type TensorDType = "int32" | "float32";
export type Tensor = Int32Array | Float32Array;

export interface TensorSpec {
  name: string;
  dtype: TensorDType;
  shape: number[];
}

export interface FrameHeader {
  id: number;
  op?: string;
  args?: Record<string, unknown>;
  ok?: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  tensors?: TensorSpec[];
}

export interface Frame {
  header: FrameHeader;
  tensors: Map<string, Tensor>;
}

export function encodeFrame(header: FrameHeader, tensors: Record<string, Tensor> = {}): Buffer {
  const specs: TensorSpec[] = [];
  const chunks: Buffer[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    specs.push({ name, dtype: t instanceof Int32Array ? "int32" : "float32", shape: [t.length] });
    chunks.push(Buffer.from(t.buffer, t.byteOffset, t.byteLength));
  }
  const hb = Buffer.from(JSON.stringify({ ...header, tensors: specs }), "utf8");
  const payload = chunks.reduce((n, c) => n + c.length, 0);
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(4 + hb.length + payload, 0);
  prefix.writeUInt32LE(hb.length, 4);
  return Buffer.concat([prefix, hb, ...chunks]);
}

function decodeBody(body: Buffer): Frame {
  const h = body.readUInt32LE(0);
  const header = JSON.parse(body.subarray(4, 4 + h).toString("utf8")) as FrameHeader;
  const tensors = new Map<string, Tensor>();
  let off = 4 + h;
  for (const spec of header.tensors ?? []) {
    const numel = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = body.subarray(off, off + numel * 4);
    if (bytes.length !== numel * 4) throw new Error(`tensor ${spec.name}: payload shorter than its shape`);
    // copy into a fresh, aligned ArrayBuffer (the frame offset need not be 4-byte aligned)
    const copy = new Uint8Array(bytes).buffer;
    tensors.set(spec.name, spec.dtype === "int32" ? new Int32Array(copy) : new Float32Array(copy));
    off += numel * 4;
  }
  return { header, tensors };
}

/** Incremental decoder: push stdout chunks, get whole frames. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.size < 4) break;
      let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = [buf];
      const n = buf.readUInt32LE(0);
      if (this.size < 4 + n) break;
      frames.push(decodeBody(buf.subarray(4, 4 + n)));
      buf = buf.subarray(4 + n);
      this.chunks = buf.length ? [buf] : [];
      this.size = buf.length;
    }
    return frames;
  }
}
