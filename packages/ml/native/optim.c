// Fused optimizer updates for the wasm backend: one call updates every variable of a model (Adam, SGD,
// SGD with momentum / Nesterov, RMSprop), instead of TensorFlow.js's chain of 2-12 small kernels per
// variable. The arithmetic is TensorFlow.js's own, operation by operation in float32 and in the same
// order (see tfjs-core/src/optimizers/*_optimizer.ts), so the weights are bit-identical to the stock
// optimizers': this file must be compiled without -ffast-math and with -ffp-contract=off (no FMA).
// The buffers are the tensors' views into the wasm heap (read in place); results go to new outputs.
#include <math.h>
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

enum { ADAM = 0, SGD = 1, MOMENTUM = 2, NESTEROV = 3, RMSPROP = 4 };

// Buffers per variable: inputs (value, slots..., gradient) then outputs (value, slots...).
static const int BUFFERS[] = {7, 3, 5, 5, 7};

static void adam(size_t n, float **p, const float *s) {
  const float *restrict x = p[0], *restrict m = p[1], *restrict v = p[2], *restrict g = p[3];
  float *restrict xo = p[4], *restrict mo = p[5], *restrict vo = p[6];
  // beta1, 1 - beta1, beta2, 1 - beta2, 1 - accBeta1, 1 - accBeta2, epsilon, -learningRate
  const float b1 = s[0], omb1 = s[1], b2 = s[2], omb2 = s[3], omab1 = s[4], omab2 = s[5], eps = s[6],
              nlr = s[7];
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float nm = m[i] * b1 + gi * omb1;
    const float nv = v[i] * b2 + (gi * gi) * omb2;
    const float mh = nm / omab1;
    const float vh = nv / omab2;
    xo[i] = (mh / (sqrtf(vh) + eps)) * nlr + x[i];
    mo[i] = nm;
    vo[i] = nv;
  }
}

static void sgd(size_t n, float **p, const float *s) {
  const float *restrict x = p[0], *restrict g = p[1];
  float *restrict xo = p[2];
  const float c = s[0];  // -learningRate
  for (size_t i = 0; i < n; i++) xo[i] = c * g[i] + x[i];
}

static void momentum(size_t n, float **p, const float *s, bool nesterov) {
  const float *restrict x = p[0], *restrict a = p[1], *restrict g = p[2];
  float *restrict xo = p[3], *restrict ao = p[4];
  const float c = s[0], mu = s[1];  // -learningRate, momentum
  if (nesterov) {
    for (size_t i = 0; i < n; i++) {
      const float na = mu * a[i] + g[i];
      xo[i] = c * (g[i] + na * mu) + x[i];
      ao[i] = na;
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      const float na = mu * a[i] + g[i];
      xo[i] = c * na + x[i];
      ao[i] = na;
    }
  }
}

static void rmsprop(size_t n, float **p, const float *s) {
  const float *restrict x = p[0], *restrict ms = p[1], *restrict mom = p[2], *restrict g = p[3];
  float *restrict xo = p[4], *restrict mso = p[5], *restrict momo = p[6];
  // decay, 1 - decay, momentum, learningRate, epsilon (not centered)
  const float d = s[0], omd = s[1], mu = s[2], lr = s[3], eps = s[4];
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float nms = ms[i] * d + (gi * gi) * omd;
    const float nmom = mom[i] * mu + (gi * lr) / sqrtf(nms + eps);
    xo[i] = x[i] - nmom;
    mso[i] = nms;
    momo[i] = nmom;
  }
}

#define FAIL(message)                                                                                        \
  do {                                                                                                       \
    napi_throw_error(env, NULL, "optimizerUpdate: " message);                                                \
    return NULL;                                                                                             \
  } while (0)

// optimizerUpdate(kind, buffers, scalars): `buffers` is a flat array of Float32Arrays, BUFFERS[kind] per
// variable, all of one variable's the same length; `scalars` a Float64Array of float32 values.
napi_value optimizerUpdate(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t kind;
  uint32_t count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) FAIL("takes 3 arguments");
  if (napi_get_value_int32(env, argv[0], &kind) != napi_ok || kind < ADAM || kind > RMSPROP)
    FAIL("unknown kind");
  if (napi_get_array_length(env, argv[1], &count) != napi_ok) FAIL("buffers must be an array");
  const int per = BUFFERS[kind];
  if (count % per != 0) FAIL("wrong number of buffers");
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[2], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || length > 16)
    FAIL("scalars must be a Float64Array");
  float s[16];
  for (size_t i = 0; i < length; i++) s[i] = (float)((const double *)data)[i];
  if (length < (kind == ADAM ? 8u : kind == RMSPROP ? 5u : kind == SGD ? 1u : 2u)) FAIL("too few scalars");

  for (uint32_t base = 0; base < count; base += per) {
    float *p[8];
    size_t n = 0;
    for (int j = 0; j < per; j++) {
      napi_value element;
      if (napi_get_element(env, argv[1], base + j, &element) != napi_ok ||
          napi_get_typedarray_info(env, element, &type, &length, &data, NULL, NULL) != napi_ok ||
          type != napi_float32_array)
        FAIL("buffers must be Float32Arrays");
      if (j == 0) n = length;
      else if (length != n) FAIL("a variable's buffers differ in length");
      p[j] = (float *)data;
    }
    switch (kind) {
      case ADAM: adam(n, p, s); break;
      case SGD: sgd(n, p, s); break;
      case MOMENTUM: momentum(n, p, s, false); break;
      case NESTEROV: momentum(n, p, s, true); break;
      case RMSPROP: rmsprop(n, p, s); break;
    }
  }
  return NULL;
}
