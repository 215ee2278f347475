/**
 * Partition for a key: murmur2-free, stable FNV-1a 32-bit over the key bytes, modulo the
 * partition count. Stable across versions and backends (it decides where data lives).
 * Records without a key go to partition 0 unless the caller chooses.
 */
export function partitionForKey(key: Uint8Array | null, partitions: number): number {
  if (key === null || partitions <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
