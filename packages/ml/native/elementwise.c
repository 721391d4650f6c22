// A layer's bias and relu on the training path, for the wasm backend, on the tensors' views into the wasm
// heap (float32). TensorFlow.js does not fuse them into the convolution or product while it records
// gradients, so each is a kernel of its own over the whole activation; these replace the stock ones:
//   biasAdd:    out[r, c] = x[r, c] + bias[c]                  (Add with a broadcast last-axis vector)
//   leadingSum: out[c] = sum over r of x[r, c]                 (the bias gradient)
//   reluGrad:   out[i] = dy[i] * step(x[i])                    (Relu's gradient: Step, Cast, Multiply)
#include <math.h>

#include "common.h"

VECTOR_CLONES static void biasAddRun(const float *restrict x, const float *restrict bias, float *restrict out,
                                     size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++) out[r * cols + c] = x[r * cols + c] + bias[c];
}

VECTOR_CLONES static void leadingSumRun(const float *restrict x, float *restrict out, size_t rows, size_t cols) {
  memcpy(out, x, sizeof(float) * cols);
  for (size_t r = 1; r < rows; r++)
    for (size_t c = 0; c < cols; c++) out[c] += x[r * cols + c];
}

// step(x) is 1 for x > 0, 0 otherwise and NaN for NaN (tfjs's Step with alpha 0); the product keeps
// dy's sign on zeros and NaN for infinite dy, as the stock Multiply does.
VECTOR_CLONES static void reluGradRun(const float *restrict dy, const float *restrict x, float *restrict out,
                                      size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float step = x[i] > 0 ? 1.0f : (x[i] != x[i] ? x[i] : 0.0f);
    out[i] = dy[i] * step;
  }
}

// Reads (rows, cols) from argv[first], argv[first + 1]: positive int32s.
static bool dims(napi_env env, napi_value *argv, int first, size_t *rows, size_t *cols) {
  int32_t r, c;
  if (napi_get_value_int32(env, argv[first], &r) != napi_ok || napi_get_value_int32(env, argv[first + 1], &c) != napi_ok ||
      r <= 0 || c <= 0)
    return false;
  *rows = (size_t)r;
  *cols = (size_t)c;
  return true;
}

// biasAdd(x, bias, rows, cols, out)
napi_value biasAdd(napi_env env, napi_callback_info info) {
  size_t argc = 5, rows, cols;
  napi_value argv[5];
  bool okX, okB, okOut;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5 || !dims(env, argv, 2, &rows, &cols))
    FAIL("biasAdd: bad arguments");
  const float *x = floats(env, argv[0], rows * cols, false, &okX);
  const float *bias = floats(env, argv[1], cols, false, &okB);
  float *out = floats(env, argv[4], rows * cols, false, &okOut);
  if (!okX || !okB || !okOut) FAIL("biasAdd: operands must be Float32Arrays large enough");
  if (!disjoint(out, rows * cols, x, rows * cols) || !disjoint(out, rows * cols, bias, cols))
    FAIL("biasAdd: the output overlaps an input");
  biasAddRun(x, bias, out, rows, cols);
  return NULL;
}

// leadingSum(x, rows, cols, out)
napi_value leadingSum(napi_env env, napi_callback_info info) {
  size_t argc = 4, rows, cols;
  napi_value argv[4];
  bool okX, okOut;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4 || !dims(env, argv, 1, &rows, &cols))
    FAIL("leadingSum: bad arguments");
  const float *x = floats(env, argv[0], rows * cols, false, &okX);
  float *out = floats(env, argv[3], cols, false, &okOut);
  if (!okX || !okOut) FAIL("leadingSum: operands must be Float32Arrays large enough");
  if (!disjoint(out, cols, x, rows * cols)) FAIL("leadingSum: the output overlaps the input");
  leadingSumRun(x, out, rows, cols);
  return NULL;
}

// reluGrad(dy, x, n, out)
napi_value reluGrad(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int64_t n;
  bool okDy, okX, okOut;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4 ||
      napi_get_value_int64(env, argv[2], &n) != napi_ok || n <= 0)
    FAIL("reluGrad: bad arguments");
  const float *dy = floats(env, argv[0], (size_t)n, false, &okDy);
  const float *x = floats(env, argv[1], (size_t)n, false, &okX);
  float *out = floats(env, argv[3], (size_t)n, false, &okOut);
  if (!okDy || !okX || !okOut) FAIL("reluGrad: operands must be Float32Arrays large enough");
  if (!disjoint(out, (size_t)n, dy, (size_t)n) || !disjoint(out, (size_t)n, x, (size_t)n))
    FAIL("reluGrad: the output overlaps an input");
  reluGradRun(dy, x, out, (size_t)n);
  return NULL;
}
