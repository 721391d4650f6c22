// Shared by the addon's C files: argument checks for Node-API calls on tensors' views into the wasm heap,
// the convolution / pooling geometry, and the AVX2 clones of element-wise loops.
#ifndef TRAINHUB_COMMON_H
#define TRAINHUB_COMMON_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// On x86-64 with glibc a loop marked VECTOR_CLONES is also compiled for AVX2 and the better one is picked
// when the addon loads (the build has no -march: the addon may run on another CPU than it was built on).
// Vector arithmetic rounds as the scalar one and -ffp-contract=off keeps FMA out, so both give the same
// bits. scripts/build-native.mjs builds again with -DTRAINHUB_NO_CLONES where a toolchain refuses them.
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__has_attribute) && !defined(TRAINHUB_NO_CLONES)
#if __has_attribute(target_clones)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default"), noinline))
#endif
#endif
#ifndef VECTOR_CLONES
#define VECTOR_CLONES __attribute__((noinline))
#endif

#define FAIL(message)                                                                                        \
  do {                                                                                                       \
    napi_throw_error(env, NULL, message);                                                                    \
    return NULL;                                                                                             \
  } while (0)

// Geometry, as an Int32Array: N, H, W, C, KH, KW, SH, SW, DH, DW, top, left, OH, OW, CO (pooling: CO = C,
// no dilation).
typedef struct {
  int n, h, w, c, kh, kw, sh, sw, dh, dw, top, left, oh, ow, co;
} Geometry;

static inline bool geometry(napi_env env, napi_value value, Geometry *g) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_int32_array || length != 15)
    return false;
  memcpy(g, data, sizeof(Geometry));
  return g->n > 0 && g->h > 0 && g->w > 0 && g->c > 0 && g->kh > 0 && g->kw > 0 && g->sh > 0 && g->sw > 0 &&
         g->dh > 0 && g->dw > 0 && g->oh > 0 && g->ow > 0 && g->co > 0;
}

// A Float32Array argument with at least `needed` elements (or NULL for JS null when `optional`).
static inline float *floats(napi_env env, napi_value value, size_t needed, bool optional, bool *ok) {
  napi_valuetype kind;
  *ok = true;
  if (optional && napi_typeof(env, value, &kind) == napi_ok && (kind == napi_null || kind == napi_undefined))
    return NULL;
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float32_array || length < needed) {
    *ok = false;
    return NULL;
  }
  return (float *)data;
}

// x[r, c] = act(x[r, c] + bias[c]) in place (bias may be NULL; act relu or none): a product's epilogue,
// in the order and with the values of the unfused kernels (elementwise.c).
void biasActivationInPlace(float *restrict x, const float *restrict bias, size_t rows, size_t cols, bool relu);

// Two Float32Array views that must not overlap (the loops take them as restrict).
static inline bool disjoint(const float *a, size_t na, const float *b, size_t nb) {
  return a + na <= b || b + nb <= a;
}

#endif
