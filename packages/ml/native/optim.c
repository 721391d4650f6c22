// Fused optimizer updates for the wasm backend: one call updates every variable of a model (Adam, SGD,
// SGD with momentum / Nesterov, RMSprop), instead of TensorFlow.js's chain of 2-12 small kernels per
// variable. The arithmetic is TensorFlow.js's own, operation by operation in float32 and in the same
// order (see tfjs-core/src/optimizers/*_optimizer.ts), so the weights are bit-identical to the stock
// optimizers': this file must be compiled without -ffast-math and with -ffp-contract=off (no FMA).
// The buffers are the tensors' views into the wasm heap; weights and slots are updated in place.
#include <math.h>

#include "common.h"

enum { ADAM = 0, SGD = 1, MOMENTUM = 2, NESTEROV = 3, RMSPROP = 4 };

// Buffers per variable: value, slots..., gradient. Value and slots are updated in place (the caller hands
// copies when another tensor shares their memory).
static const int BUFFERS[] = {4, 2, 3, 3, 4};

// Every loop below is a pure per-element map, so each function gets its pointers as restrict parameters
// (GCC ignores restrict on pointers loaded from an array: the loops stayed scalar) and VECTOR_CLONES
// (common.h). Vector division and square root round exactly as the scalar ones (IEEE).

// s: beta1, 1 - beta1, beta2, 1 - beta2, 1 - accBeta1, 1 - accBeta2, epsilon, -learningRate
VECTOR_CLONES static void adam(size_t n, float *restrict x, float *restrict m, float *restrict v,
                               const float *restrict g, const float *restrict s) {
  const float b1 = s[0], omb1 = s[1], b2 = s[2], omb2 = s[3], omab1 = s[4], omab2 = s[5], eps = s[6],
              nlr = s[7];
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float nm = m[i] * b1 + gi * omb1;
    const float nv = v[i] * b2 + (gi * gi) * omb2;
    const float mh = nm / omab1;
    const float vh = nv / omab2;
    x[i] = (mh / (sqrtf(vh) + eps)) * nlr + x[i];
    m[i] = nm;
    v[i] = nv;
  }
}

// s: -learningRate
VECTOR_CLONES static void sgd(size_t n, float *restrict x, const float *restrict g, const float *restrict s) {
  const float c = s[0];
  for (size_t i = 0; i < n; i++) x[i] = c * g[i] + x[i];
}

// s: -learningRate, momentum
VECTOR_CLONES static void momentum(size_t n, float *restrict x, float *restrict a, const float *restrict g,
                                   const float *restrict s, bool nesterov) {
  const float c = s[0], mu = s[1];
  if (nesterov) {
    for (size_t i = 0; i < n; i++) {
      const float na = mu * a[i] + g[i];
      x[i] = c * (g[i] + na * mu) + x[i];
      a[i] = na;
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      const float na = mu * a[i] + g[i];
      x[i] = c * na + x[i];
      a[i] = na;
    }
  }
}

// s: decay, 1 - decay, momentum, learningRate, epsilon (not centered)
VECTOR_CLONES static void rmsprop(size_t n, float *restrict x, float *restrict ms, float *restrict mom,
                                  const float *restrict g, const float *restrict s) {
  const float d = s[0], omd = s[1], mu = s[2], lr = s[3], eps = s[4];
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float nms = ms[i] * d + (gi * gi) * omd;
    const float nmom = mom[i] * mu + (gi * lr) / sqrtf(nms + eps);
    x[i] = x[i] - nmom;
    ms[i] = nms;
    mom[i] = nmom;
  }
}

#define OPT_FAIL(message) FAIL("optimizerUpdate: " message)

// optimizerUpdate(kind, buffers, scalars): `buffers` is a flat array of Float32Arrays, BUFFERS[kind] per
// variable (value, slots..., gradient; value and slots updated in place), all of one variable's the same
// length and none overlapping; `scalars` a Float64Array of float32 values. Throws on a bad argument
// before anything is written.
napi_value optimizerUpdate(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t kind;
  uint32_t count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) OPT_FAIL("takes 3 arguments");
  if (napi_get_value_int32(env, argv[0], &kind) != napi_ok || kind < ADAM || kind > RMSPROP)
    OPT_FAIL("unknown kind");
  if (napi_get_array_length(env, argv[1], &count) != napi_ok) OPT_FAIL("buffers must be an array");
  const int per = BUFFERS[kind];
  if (count % per != 0) OPT_FAIL("wrong number of buffers");
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[2], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || length > 16)
    OPT_FAIL("scalars must be a Float64Array");
  float s[16];
  for (size_t i = 0; i < length; i++) s[i] = (float)((const double *)data)[i];
  if (length < (kind == ADAM ? 8u : kind == RMSPROP ? 5u : kind == SGD ? 1u : 2u)) OPT_FAIL("too few scalars");

  // Pass 0 checks every buffer, pass 1 updates: a bad argument leaves every weight as it was.
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t base = 0; base < count; base += per) {
      float *p[4];
      size_t n = 0;
      for (int j = 0; j < per; j++) {
        napi_value element;
        if (napi_get_element(env, argv[1], base + j, &element) != napi_ok ||
            napi_get_typedarray_info(env, element, &type, &length, &data, NULL, NULL) != napi_ok ||
            type != napi_float32_array)
          OPT_FAIL("buffers must be Float32Arrays");
        if (j == 0) n = length;
        else if (length != n) OPT_FAIL("a variable's buffers differ in length");
        p[j] = (float *)data;
      }
      // The kernels take their pointers as restrict: refuse overlapping buffers rather than misbehave.
      for (int j = 0; j < per; j++)
        for (int k = j + 1; k < per; k++)
          if (!disjoint(p[j], n, p[k], n)) OPT_FAIL("a variable's buffers overlap");
      if (pass == 0) continue;
      switch (kind) {
        case ADAM: adam(n, p[0], p[1], p[2], p[3], s); break;
        case SGD: sgd(n, p[0], p[1], s); break;
        case MOMENTUM: momentum(n, p[0], p[1], p[2], s, false); break;
        case NESTEROV: momentum(n, p[0], p[1], p[2], s, true); break;
        case RMSPROP: rmsprop(n, p[0], p[1], p[2], p[3], s); break;
      }
    }
  }
  return NULL;
}
