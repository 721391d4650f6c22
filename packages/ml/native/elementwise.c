// A layer's bias and relu on the training path, for the wasm backend, on the tensors' views into the wasm
// heap (float32). TensorFlow.js does not fuse them into the convolution or product while it records
// gradients, so each is a kernel of its own over the whole activation; these replace the stock ones:
//   biasAdd:    out[r, c] = x[r, c] + bias[c]                  (Add with a broadcast last-axis vector)
//   leadingSum: out[c] = sum over r of x[r, c]                 (the bias gradient)
//   reluGrad:   out[i] = dy[i] * step(x[i])                    (Relu's gradient: Step, Cast, Multiply)
//   biasActivation: x[r, c] = act(x[r, c] + bias[c]) in place   (a dense layer's product's epilogue)
//   crossEntropy:     out[r] = -sum over c of t[r, c] * log(clip(p[r, c]))     (the categorical loss)
//   crossEntropyGrad: dp[r, c] = (-dy[r] * t[r, c]) / clip(p[r, c]) where EPS <= p <= 1 - EPS, else 0
// (clip(p) = min(max(p, EPS), 1 - EPS): src/losses.ts's chain ClipByValue, Log, Multiply, Sum, Neg and the
// gradients of each, 14 kernel launches over a [batch, classes] tensor, in one call each way.)
//   softmaxGrad: dx[r, c] = dy[r, c] * y[r, c] - (sum over c' of dy[r, c'] * y[r, c']) * y[r, c]
// (Softmax's gradient along the last axis, TensorFlow.js's formula: Multiply, Sum, Multiply, Sub.)
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

// The product first, then the bias, then the relu (x > 0 ? x : 0, so NaN and -0 become 0): the order and
// the values of the unfused BatchMatMul, Add and Relu kernels a dense layer runs while recording gradients.
VECTOR_CLONES void biasActivationInPlace(float *restrict x, const float *restrict bias, size_t rows,
                                         size_t cols, bool relu) {
  for (size_t r = 0; r < rows; r++) {
    float *row = x + r * cols;
    if (bias)
      for (size_t c = 0; c < cols; c++) row[c] = row[c] + bias[c];
    if (relu)
      for (size_t c = 0; c < cols; c++) row[c] = row[c] > 0 ? row[c] : 0.0f;
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

// biasActivation(x, bias | null, rows, cols, relu): in place
napi_value biasActivation(napi_env env, napi_callback_info info) {
  size_t argc = 5, rows, cols;
  napi_value argv[5];
  bool okX, okB, relu;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5 || !dims(env, argv, 2, &rows, &cols) ||
      napi_get_value_bool(env, argv[4], &relu) != napi_ok)
    FAIL("biasActivation: bad arguments");
  float *x = floats(env, argv[0], rows * cols, false, &okX);
  const float *bias = floats(env, argv[1], cols, true, &okB);
  if (!okX || !okB) FAIL("biasActivation: operands must be Float32Arrays large enough");
  if (bias && !disjoint(x, rows * cols, bias, cols)) FAIL("biasActivation: the bias overlaps the output");
  biasActivationInPlace(x, bias, rows, cols, relu);
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

// The loss's clip bounds as float32, as TensorFlow.js passes them (1 - 1e-7 is rounded in double first).
#define CE_LOW ((float)1e-7)
#define CE_HIGH ((float)(1.0 - 1e-7))

// Stock order: clip, log, product with t, a sum from 0 along the row, negation. A NaN in p is clipped to
// EPS, as wasm's ClipByValue (XNNPack's clamp, max then min) does; the cpu backend would keep the NaN.
static void crossEntropyRun(const float *p, const float *t, float *out, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    float sum = 0.0f;
    for (size_t c = 0; c < cols; c++) {
      const float v = p[r * cols + c];
      const float clipped = v > CE_LOW ? (v < CE_HIGH ? v : CE_HIGH) : CE_LOW;
      sum += t[r * cols + c] * logf(clipped);
    }
    out[r] = -sum;
  }
}

// The stock gradient chain: Neg's (-dy), Sum's broadcast, Multiply's (times t), Log's (divided by the
// clipped p), ClipByValue's (0 outside [EPS, 1 - EPS], NaN included).
static void crossEntropyGradRun(const float *dy, const float *p, const float *t, float *out, size_t rows,
                                size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const float g = -dy[r];
    for (size_t c = 0; c < cols; c++) {
      const float v = p[r * cols + c];
      const float clipped = v < CE_LOW ? CE_LOW : (v > CE_HIGH ? CE_HIGH : v);
      out[r * cols + c] = (v >= CE_LOW && v <= CE_HIGH) ? (g * t[r * cols + c]) / clipped : 0.0f;
    }
  }
}

// crossEntropy(p, t, rows, cols, out)
napi_value crossEntropy(napi_env env, napi_callback_info info) {
  size_t argc = 5, rows, cols;
  napi_value argv[5];
  bool okP, okT, okOut;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5 || !dims(env, argv, 2, &rows, &cols))
    FAIL("crossEntropy: bad arguments");
  const float *p = floats(env, argv[0], rows * cols, false, &okP);
  const float *t = floats(env, argv[1], rows * cols, false, &okT);
  float *out = floats(env, argv[4], rows, false, &okOut);
  if (!okP || !okT || !okOut) FAIL("crossEntropy: operands must be Float32Arrays large enough");
  if (!disjoint(out, rows, p, rows * cols) || !disjoint(out, rows, t, rows * cols))
    FAIL("crossEntropy: the output overlaps an input");
  crossEntropyRun(p, t, out, rows, cols);
  return NULL;
}

// crossEntropyGrad(dy, p, t, rows, cols, out)
napi_value crossEntropyGrad(napi_env env, napi_callback_info info) {
  size_t argc = 6, rows, cols;
  napi_value argv[6];
  bool okDy, okP, okT, okOut;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 6 || !dims(env, argv, 3, &rows, &cols))
    FAIL("crossEntropyGrad: bad arguments");
  const float *dy = floats(env, argv[0], rows, false, &okDy);
  const float *p = floats(env, argv[1], rows * cols, false, &okP);
  const float *t = floats(env, argv[2], rows * cols, false, &okT);
  float *out = floats(env, argv[5], rows * cols, false, &okOut);
  if (!okDy || !okP || !okT || !okOut) FAIL("crossEntropyGrad: operands must be Float32Arrays large enough");
  if (!disjoint(out, rows * cols, dy, rows) || !disjoint(out, rows * cols, p, rows * cols) ||
      !disjoint(out, rows * cols, t, rows * cols))
    FAIL("crossEntropyGrad: the output overlaps an input");
  crossEntropyGradRun(dy, p, t, out, rows, cols);
  return NULL;
}

// The stock kernels' order: the products dy * y, their sum from 0 along the row, then each product less
// the sum times y (each step rounded to float32; no fused multiply-add: -ffp-contract=off).
static void softmaxGradRun(const float *dy, const float *y, float *out, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const float *dyRow = dy + r * cols, *yRow = y + r * cols;
    float *outRow = out + r * cols;
    float sum = 0.0f;
    for (size_t c = 0; c < cols; c++) {
      outRow[c] = dyRow[c] * yRow[c];
      sum += outRow[c];
    }
    for (size_t c = 0; c < cols; c++) {
      const float scaled = sum * yRow[c];
      outRow[c] = outRow[c] - scaled;
    }
  }
}

// softmaxGrad(dy, y, rows, cols, out)
napi_value softmaxGrad(napi_env env, napi_callback_info info) {
  size_t argc = 5, rows, cols;
  napi_value argv[5];
  bool okDy, okY, okOut;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5 || !dims(env, argv, 2, &rows, &cols))
    FAIL("softmaxGrad: bad arguments");
  const float *dy = floats(env, argv[0], rows * cols, false, &okDy);
  const float *y = floats(env, argv[1], rows * cols, false, &okY);
  float *out = floats(env, argv[4], rows * cols, false, &okOut);
  if (!okDy || !okY || !okOut) FAIL("softmaxGrad: operands must be Float32Arrays large enough");
  if (!disjoint(out, rows * cols, dy, rows * cols) || !disjoint(out, rows * cols, y, rows * cols))
    FAIL("softmaxGrad: the output overlaps an input");
  softmaxGradRun(dy, y, out, rows, cols);
  return NULL;
}
