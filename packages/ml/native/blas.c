// A Node-API binding of one BLAS routine, single-precision GEMM (and, from optim.c, fused optimizer updates),
// so the wasm backend can hand its dense layers' matrix products to OpenBLAS (AVX2/AVX-512 kernels, several
// cores; small products on one thread, gemm.h) instead of 128-bit wasm SIMD.
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>

#include "gemm.h"

#define CHECK(call)                                                                                          \
  if ((call) != napi_ok) {                                                                                   \
    napi_throw_error(env, NULL, "blas: bad arguments");                                                      \
    return NULL;                                                                                             \
  }

static float *floats(napi_env env, napi_value value, size_t offset, size_t needed, bool *ok) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float32_array || offset + needed > length) {
    *ok = false;
    return NULL;
  }
  *ok = true;
  return (float *)data + offset;
}

// sgemm(transA, transB, m, n, k, alpha, a, aOffset, b, bOffset, beta, c, cOffset): row-major
// C[m x n] = alpha * op(A) op(B) + beta * C, with op(A) m x k and op(B) k x n, dense (no padding).
static napi_value sgemmCall(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 13) {
    napi_throw_error(env, NULL, "blas.sgemm takes 13 arguments");
    return NULL;
  }
  bool transA, transB;
  int32_t m, n, k;
  double alpha, beta;
  uint32_t aOffset, bOffset, cOffset;
  CHECK(napi_get_value_bool(env, argv[0], &transA));
  CHECK(napi_get_value_bool(env, argv[1], &transB));
  CHECK(napi_get_value_int32(env, argv[2], &m));
  CHECK(napi_get_value_int32(env, argv[3], &n));
  CHECK(napi_get_value_int32(env, argv[4], &k));
  CHECK(napi_get_value_double(env, argv[5], &alpha));
  CHECK(napi_get_value_uint32(env, argv[7], &aOffset));
  CHECK(napi_get_value_uint32(env, argv[9], &bOffset));
  CHECK(napi_get_value_double(env, argv[10], &beta));
  CHECK(napi_get_value_uint32(env, argv[12], &cOffset));
  if (m <= 0 || n <= 0 || k <= 0) {
    napi_throw_range_error(env, NULL, "blas.sgemm: dimensions must be positive");
    return NULL;
  }
  bool okA, okB, okC;
  const float *a = floats(env, argv[6], aOffset, (size_t)m * k, &okA);
  const float *b = floats(env, argv[8], bOffset, (size_t)k * n, &okB);
  float *c = floats(env, argv[11], cOffset, (size_t)m * n, &okC);
  if (!okA || !okB || !okC) {
    napi_throw_range_error(env, NULL, "blas.sgemm: operands must be Float32Arrays large enough");
    return NULL;
  }
  sgemm(transA, transB, m, n, k, (float)alpha, a, transA ? m : k, b, transB ? k : n, (float)beta, c, n);
  return NULL;
}

int trainhubThreads = 1;

// setThreads(n): the addon's thread count (OpenBLAS's big products, the kernels' OpenMP threads) when n > 0;
// answers the count in effect.
static napi_value setThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t threads;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &threads));
  if (threads > 0) trainhubThreads = threads;
  napi_value result;
  CHECK(napi_create_int32(env, trainhubThreads, &result));
  return result;
}

// native/optim.c: fused optimizer updates; conv.c: convolutions; pool.c: max and average pooling;
// elementwise.c: bias add, a product's bias and relu, bias gradient, relu gradient, categorical
// cross-entropy and its gradient, softmax gradient.
extern napi_value optimizerUpdate(napi_env env, napi_callback_info info);
extern napi_value conv2d(napi_env env, napi_callback_info info);
extern napi_value conv2dGradInput(napi_env env, napi_callback_info info);
extern napi_value conv2dGradFilter(napi_env env, napi_callback_info info);
extern napi_value maxPool(napi_env env, napi_callback_info info);
extern napi_value avgPool(napi_env env, napi_callback_info info);
extern napi_value avgPoolGrad(napi_env env, napi_callback_info info);
extern napi_value biasAdd(napi_env env, napi_callback_info info);
extern napi_value leadingSum(napi_env env, napi_callback_info info);
extern napi_value reluGrad(napi_env env, napi_callback_info info);
extern napi_value biasActivation(napi_env env, napi_callback_info info);
extern napi_value crossEntropy(napi_env env, napi_callback_info info);
extern napi_value crossEntropyGrad(napi_env env, napi_callback_info info);
extern napi_value softmaxGrad(napi_env env, napi_callback_info info);

#define EXPORT(name)                                                                                         \
  if (napi_create_function(env, #name, NAPI_AUTO_LENGTH, name, NULL, &fn) != napi_ok) return NULL;           \
  napi_set_named_property(env, exports, #name, fn);

NAPI_MODULE_INIT() {
  napi_value fn;
  // OpenBLAS's own default (all cores, or OPENBLAS_NUM_THREADS) becomes ours; OpenBLAS stays at one thread
  // between big products (gemm.h).
  trainhubThreads = openblas_get_num_threads();
  openblas_set_num_threads(1);
  if (napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, sgemmCall, NULL, &fn) != napi_ok) return NULL;
  napi_set_named_property(env, exports, "sgemm", fn);
  if (napi_create_function(env, "setThreads", NAPI_AUTO_LENGTH, setThreads, NULL, &fn) != napi_ok) return NULL;
  napi_set_named_property(env, exports, "setThreads", fn);
  EXPORT(optimizerUpdate)
  EXPORT(conv2d)
  EXPORT(conv2dGradInput)
  EXPORT(conv2dGradFilter)
  EXPORT(maxPool)
  EXPORT(avgPool)
  EXPORT(avgPoolGrad)
  EXPORT(biasAdd)
  EXPORT(leadingSum)
  EXPORT(reluGrad)
  EXPORT(biasActivation)
  EXPORT(crossEntropy)
  EXPORT(crossEntropyGrad)
  EXPORT(softmaxGrad)
  return exports;
}
