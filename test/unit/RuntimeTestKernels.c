/*===- RuntimeTestKernels.c - a test-only kernels.so -----------------------===
 *
 * Fixture for the runtime's unit tests, not model math: small kernels with the artifact's CPU ABI
 * (MLIR memref descriptors by pointer, int64_t scalars, then the workgroup range), so that tests
 * can check what the runtime passes: base pointers, offsets, sizes, strides (symbolic ones too),
 * scalars and the split of [0, W) into ranges.
 *
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* What axe-compile embeds: the manifest's digest (artifact/ManifestDigest.h). The tests fill in the
 * 64 zeros for the manifest they write. */
const char axe_manifest_digest[] =
    "axe-manifest-digest:0000000000000000000000000000000000000000000000000000000000000000";

/* Code that runs as soon as the library is loaded, as a hostile kernels.so's would: it leaves a
 * mark, so that tests can tell whether the loader ran it before refusing an artifact. */
__attribute__((constructor)) static void markLoaded(void) {
  const char *path = getenv("AXE_TEST_CONSTRUCTOR_MARK");
  if (path) {
    FILE *f = fopen(path, "w");
    if (f)
      fclose(f);
  }
}

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} Desc1;

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} Desc2;

#define AT1(d, T, i) (((T *)(d)->aligned)[(d)->offset + (i) * (d)->strides[0]])
#define AT2(d, T, i, j) (((T *)(d)->aligned)[(d)->offset + (i) * (d)->strides[0] + (j) * (d)->strides[1]])

/* x[i] += 1 for the workgroups i in [b, e): f32 view of rank 1. */
void _mlir_ciface_test_add_one(Desc1 *x, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; ++i)
    AT1(x, float, i) += 1.0f;
}

/* out[t, :] = table[ids[t], :] * scale for the tokens t in [b, e). */
void _mlir_ciface_test_embed(Desc2 *table, Desc1 *ids, Desc2 *out, int64_t scale, int64_t b,
                             int64_t e) {
  for (int64_t t = b; t < e; ++t) {
    int32_t id = AT1(ids, int32_t, t);
    for (int64_t j = 0; j < out->sizes[1]; ++j)
      AT2(out, float, t, j) = AT2(table, float, id, j) * (float)scale;
  }
}

/* logits[r, :] = hidden[rows[r], :] for the rows r in [b, e). */
void _mlir_ciface_test_rows(Desc2 *hidden, Desc1 *rows, Desc2 *logits, int64_t b, int64_t e) {
  for (int64_t r = b; r < e; ++r) {
    int32_t row = AT1(rows, int32_t, r);
    for (int64_t j = 0; j < logits->sizes[1]; ++j)
      AT2(logits, float, r, j) = AT2(hidden, float, row, j);
  }
}

/* For each sequence s in [b, e), in its state slot: seen[0] += its tokens this step, seen[1] = its
 * last position, seen[2] = its last block table entry, seen[3] = the block table width MB. */
void _mlir_ciface_test_record(Desc2 *seen, Desc1 *slots, Desc1 *positions, Desc1 *seqIds,
                              Desc2 *blockTable, int64_t numTokens, int64_t b, int64_t e) {
  for (int64_t s = b; s < e; ++s) {
    int32_t slot = AT1(slots, int32_t, s);
    for (int64_t t = 0; t < numTokens; ++t)
      if (AT1(seqIds, int32_t, t) == s) {
        AT2(seen, int32_t, slot, 0) += 1;
        AT2(seen, int32_t, slot, 1) = AT1(positions, int32_t, t);
      }
    int64_t mb = blockTable->sizes[1];
    AT2(seen, int32_t, slot, 2) = AT2(blockTable, int32_t, s, mb - 1);
    AT2(seen, int32_t, slot, 3) = (int32_t)mb;
  }
}

/* The most arguments a kernel may take (32): out[0..28] = s0..s28, out[29] = b, out[30] = e. */
void _mlir_ciface_test_32_args(Desc1 *out, int64_t s0, int64_t s1, int64_t s2, int64_t s3,
                               int64_t s4, int64_t s5, int64_t s6, int64_t s7, int64_t s8,
                               int64_t s9, int64_t s10, int64_t s11, int64_t s12, int64_t s13,
                               int64_t s14, int64_t s15, int64_t s16, int64_t s17, int64_t s18,
                               int64_t s19, int64_t s20, int64_t s21, int64_t s22, int64_t s23,
                               int64_t s24, int64_t s25, int64_t s26, int64_t s27, int64_t s28,
                               int64_t b, int64_t e) {
  int64_t v[31] = {s0,  s1,  s2,  s3,  s4,  s5,  s6,  s7,  s8,  s9,  s10, s11, s12, s13, s14, s15,
                   s16, s17, s18, s19, s20, s21, s22, s23, s24, s25, s26, s27, s28, b,   e};
  for (int i = 0; i < 31; ++i)
    AT1(out, int64_t, i) = v[i];
}
