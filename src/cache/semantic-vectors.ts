/**
 * Vector arithmetic of the semantic cache. Vectors are stored unit length,
 * so cosine similarity is a plain dot product: one pass over `dimensions`
 * floats per stored entry, which V8 runs as a tight loop over a
 * Float32Array (bench/sections/semantic-index.ts measures it).
 */

/** The dot product of `query` and the `query.length` floats of `store` from `offset`. */
export function dotAt(query: Float32Array, store: Float32Array, offset: number): number {
  const n = query.length;
  // Four running sums: independent additions the CPU can overlap.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += (query[i] as number) * (store[offset + i] as number);
    s1 += (query[i + 1] as number) * (store[offset + i + 1] as number);
    s2 += (query[i + 2] as number) * (store[offset + i + 2] as number);
    s3 += (query[i + 3] as number) * (store[offset + i + 3] as number);
  }
  for (; i < n; i++) s0 += (query[i] as number) * (store[offset + i] as number);
  return s0 + s1 + s2 + s3;
}

/**
 * A unit-length copy of `vector`, or undefined for a vector with no
 * direction (all zeros, or not finite). Embeddings are not always unit
 * length: Gemini's, cut to fewer dimensions, are not.
 */
export function unitVector(vector: Float32Array): Float32Array | undefined {
  const norm = Math.sqrt(dotAt(vector, vector, 0));
  if (!(norm > 0) || !Number.isFinite(norm)) return undefined;
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = (vector[i] as number) / norm;
  return out;
}
