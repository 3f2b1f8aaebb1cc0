/**
 * A minimal protocol-buffers *encoder* (wire format only): enough to write an ONNX ModelProto.
 * Fields are written in the order given; repeated fields are written unpacked (valid for proto2,
 * which onnx.proto uses, and accepted by every parser).
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

/**
 * Varint of an integer (number or bigint). Negative values are written as 64-bit two's complement
 * (10 bytes), as protobuf does for int64/int32.
 */
export function varint(value) {
  let v = BigInt.asUintN(64, BigInt(value));
  const out = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

export function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const key = (field, wire) => varint((field << 3) | wire);

/** An integer field (int32, int64, uint64, enum, bool). */
export const fInt = (field, value) => concat([key(field, WIRE_VARINT), varint(value)]);
/** A length-delimited field holding raw bytes (also a nested message's encoding). */
export const fBytes = (field, bytes) => concat([key(field, WIRE_LEN), varint(bytes.length), bytes]);
/** A string field (UTF-8). */
export const fString = (field, s) => fBytes(field, utf8.encode(s));
/** A nested message field from its already-encoded fields. */
export const fMessage = (field, fields) => fBytes(field, concat(fields.flat(Infinity).filter(Boolean)));
/** A float field (fixed32, little endian). */
export function fFloat(field, x) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return concat([key(field, WIRE_FIXED32), b]);
}
/** A double field (fixed64, little endian). */
export function fDouble(field, x) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return concat([key(field, WIRE_FIXED64), b]);
}
/** Top-level message from its fields. */
export const message = (fields) => concat(fields.flat(Infinity).filter(Boolean));
