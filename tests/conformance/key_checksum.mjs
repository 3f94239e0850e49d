// The simulator's order-independent checksum of a set of record keys:
// the sum, modulo 2^64, of FNV-1a-64 over each key's UTF-8 bytes, written as
// 16 lower-case hex digits. Computed here independently of the C++ code.
const kOffsetBasis = 0xcbf29ce484222325n;
const kPrime = 0x100000001b3n;
const kMask = (1n << 64n) - 1n;

export function fnv1a64(key) {
  let hash = kOffsetBasis;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * kPrime) & kMask;
  }
  return hash;
}

export function keyChecksum(keys) {
  let sum = 0n;
  for (const key of keys) sum = (sum + fnv1a64(key)) & kMask;
  return sum.toString(16).padStart(16, '0');
}
