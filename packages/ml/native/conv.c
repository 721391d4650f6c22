// Convolutions for the wasm backend's training, on the tensors' views
// into the wasm heap (NHWC, float32, filters HWIO as TensorFlow.js stores them):
//   conv2d:          y[M, CO] = im2col(x)[M, K] x w[K, CO] (+ bias, relu)     M = N*OH*OW, K = KH*KW*C
//   conv2dGradInput: dx = col2im(dy[M, CO] x w^T[CO, K])
//   conv2dGradFilter: dw[K, CO] = im2col(x)^T dy
// im2col is done in chunks of output rows (a bounded scratch buffer) and each product is one sgemm (gemm.h).
// The filter gradient with at most DIRECT_MAX_CHANNELS input channels runs directly instead.
#include <stdlib.h>

#include "common.h"
#include "gemm.h"

// im2col / col2im scratch per chunk of rows and OpenBLAS thread: 256 KiB stays in L2 between the copy and
// the product (1 MiB chunks measured 10-20% slower for 64x14x14x16 -> 32 on one thread).
#define SCRATCH_FLOATS (1 << 16)

// Rows [m0, m0 + rows) of im2col(x) into cols[rows, K], K ordered (kh, kw, c); padding taps are zero.
static void im2col(const Geometry *g, const float *x, size_t m0, size_t rows, float *cols) {
  const size_t K = (size_t)g->kh * g->kw * g->c;
  for (size_t r = 0; r < rows; r++) {
    const size_t m = m0 + r;
    const int ox = (int)(m % g->ow), oy = (int)((m / g->ow) % g->oh), n = (int)(m / ((size_t)g->ow * g->oh));
    float *out = cols + r * K;
    for (int kh = 0; kh < g->kh; kh++) {
      const int iy = oy * g->sh + kh * g->dh - g->top;
      for (int kw = 0; kw < g->kw; kw++, out += g->c) {
        const int ix = ox * g->sw + kw * g->dw - g->left;
        if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) memset(out, 0, sizeof(float) * g->c);
        else memcpy(out, x + (((size_t)n * g->h + iy) * g->w + ix) * g->c, sizeof(float) * g->c);
      }
    }
  }
}

// dx += col2im(cols) for rows [m0, m0 + rows).
static void col2im(const Geometry *g, const float *cols, size_t m0, size_t rows, float *dx) {
  const size_t K = (size_t)g->kh * g->kw * g->c;
  for (size_t r = 0; r < rows; r++) {
    const size_t m = m0 + r;
    const int ox = (int)(m % g->ow), oy = (int)((m / g->ow) % g->oh), n = (int)(m / ((size_t)g->ow * g->oh));
    const float *in = cols + r * K;
    for (int kh = 0; kh < g->kh; kh++) {
      const int iy = oy * g->sh + kh * g->dh - g->top;
      for (int kw = 0; kw < g->kw; kw++, in += g->c) {
        const int ix = ox * g->sw + kw * g->dw - g->left;
        if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) continue;
        float *d = dx + (((size_t)n * g->h + iy) * g->w + ix) * g->c;
        for (int c = 0; c < g->c; c++) d[c] += in[c];
      }
    }
  }
}

// A 1x1, stride-1, unpadded convolution: im2col(x) is x itself.
static bool pointwise(const Geometry *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->top == 0 && g->left == 0 &&
         g->oh == g->h && g->ow == g->w;
}

// Rows per chunk: SCRATCH_FLOATS of im2col per OpenBLAS thread, so each thread's share stays in its L2 and
// a product is still big enough to split among the threads.
static size_t chunkRows(size_t M, size_t K) {
  const int threads = openblas_get_num_threads();
  size_t rows = (size_t)SCRATCH_FLOATS * (threads > 1 ? threads : 1) / K;
  if (rows < 64) rows = 64;
  return rows < M ? rows : M;
}

// The filter gradient with few input channels (an image's first layer: C = 1 or 3) runs directly: im2col
// would copy single floats and K = KH*KW*C is too small for a product to pay (measured 2.2 -> 1.8 ms for
// 64x28x28x1 -> 16, 3.7 -> 2.6 ms for 32x32x32x3 -> 16). The forward of such layers stays with XNNPack
// (native-conv.ts), which beat a direct loop here (1.4 vs 1.9 ms).
#define DIRECT_MAX_CHANNELS 3

// Output positions per chunk of the filter gradient: their dy rows (CO floats each) stay in L2 while every
// tap passes over them.
#define GRAD_CHUNK 512

// dw[kh, kw, c, :] = sum over output positions of x[tap, c] * dy[m, :], tap by tap over chunks of
// positions, the CO sums of a tap in registers (blocks of 16, 4, 1).
VECTOR_CLONES static void directConvGradFilter(const Geometry *g, const float *restrict x,
                                               const float *restrict dy, float *restrict dw) {
  const size_t M = (size_t)g->n * g->oh * g->ow;
  const int C = g->c, CO = g->co;
  int base[GRAD_CHUNK], iy0[GRAD_CHUNK], ix0[GRAD_CHUNK];  // per position: image offset, window corner
  memset(dw, 0, sizeof(float) * g->kh * g->kw * C * CO);
  for (size_t m0 = 0; m0 < M; m0 += GRAD_CHUNK) {
    const int rows = (int)(M - m0 < GRAD_CHUNK ? M - m0 : GRAD_CHUNK);
    for (int r = 0; r < rows; r++) {
      const size_t m = m0 + r;
      base[r] = (int)(m / ((size_t)g->ow * g->oh)) * g->h;
      iy0[r] = (int)((m / g->ow) % g->oh) * g->sh - g->top;
      ix0[r] = (int)(m % g->ow) * g->sw - g->left;
    }
    for (int kh = 0; kh < g->kh; kh++)
      for (int kw = 0; kw < g->kw; kw++)
        for (int c = 0; c < C; c++) {
          float *restrict out = dw + ((size_t)(kh * g->kw + kw) * C + c) * CO;
#define GRAD_BLOCK(B)                                                                                        \
  do {                                                                                                       \
    float acc[B];                                                                                            \
    for (int j = 0; j < B; j++) acc[j] = out[co0 + j];                                                       \
    for (int r = 0; r < rows; r++) {                                                                         \
      const int iy = iy0[r] + kh * g->dh, ix = ix0[r] + kw * g->dw;                                          \
      if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) continue;                                            \
      const float xv = x[((size_t)(base[r] + iy) * g->w + ix) * C + c];                                      \
      const float *d = dy + (m0 + r) * CO + co0;                                                             \
      for (int j = 0; j < B; j++) acc[j] += xv * d[j];                                                       \
    }                                                                                                        \
    for (int j = 0; j < B; j++) out[co0 + j] = acc[j];                                                       \
  } while (0)
          int co0 = 0;
          for (; co0 + 16 <= CO; co0 += 16) GRAD_BLOCK(16);
          for (; co0 + 4 <= CO; co0 += 4) GRAD_BLOCK(4);
          for (; co0 < CO; co0++) GRAD_BLOCK(1);
#undef GRAD_BLOCK
        }
  }
}

VECTOR_CLONES static void reluInPlace(float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = y[i] > 0 ? y[i] : 0.0f;
}

// y = im2col(x) w (+ bias) through OpenBLAS, in chunks of rows.
static bool gemmConv(const Geometry *g, const float *x, const float *w, const float *bias, float *y) {
  const size_t M = (size_t)g->n * g->oh * g->ow, K = (size_t)g->kh * g->kw * g->c;
  if (bias)
    for (size_t m = 0; m < M; m++) memcpy(y + m * g->co, bias, sizeof(float) * g->co);
  const float beta = bias ? 1.0f : 0.0f;
  if (pointwise(g)) {
    sgemm(false, false, (int)M, g->co, (int)K, 1.0f, x, (int)K, w, g->co, beta, y, g->co);
    return true;
  }
  const size_t chunk = chunkRows(M, K);
  float *cols = malloc(sizeof(float) * chunk * K);
  if (!cols) return false;
  for (size_t m0 = 0; m0 < M; m0 += chunk) {
    const size_t rows = M - m0 < chunk ? M - m0 : chunk;
    im2col(g, x, m0, rows, cols);
    sgemm(false, false, (int)rows, g->co, (int)K, 1.0f, cols, (int)K, w, g->co, beta, y + m0 * g->co, g->co);
  }
  free(cols);
  return true;
}

// conv2d(geometry, x, w, y, bias | null, relu)
napi_value conv2d(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  Geometry g;
  bool relu, okX, okW, okY, okB;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 6 || !geometry(env, argv[0], &g) ||
      napi_get_value_bool(env, argv[5], &relu) != napi_ok)
    FAIL("conv2d: bad arguments");
  const size_t M = (size_t)g.n * g.oh * g.ow, K = (size_t)g.kh * g.kw * g.c;
  const float *x = floats(env, argv[1], (size_t)g.n * g.h * g.w * g.c, false, &okX);
  const float *w = floats(env, argv[2], K * g.co, false, &okW);
  float *y = floats(env, argv[3], M * g.co, false, &okY);
  const float *bias = floats(env, argv[4], g.co, true, &okB);
  if (!okX || !okW || !okY || !okB) FAIL("conv2d: operands must be Float32Arrays large enough");
  if (!disjoint(y, M * g.co, x, (size_t)g.n * g.h * g.w * g.c) || !disjoint(y, M * g.co, w, K * g.co) ||
      (bias && !disjoint(y, M * g.co, bias, g.co)))
    FAIL("conv2d: the output overlaps an input");
  if (!gemmConv(&g, x, w, bias, y)) FAIL("conv2d: out of memory");
  if (relu) reluInPlace(y, M * g.co);
  return NULL;
}

// conv2dGradInput(geometry, dy, w, dx)
napi_value conv2dGradInput(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  Geometry g;
  bool okDy, okW, okDx;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4 || !geometry(env, argv[0], &g))
    FAIL("conv2dGradInput: bad arguments");
  const size_t M = (size_t)g.n * g.oh * g.ow, K = (size_t)g.kh * g.kw * g.c;
  const float *dy = floats(env, argv[1], M * g.co, false, &okDy);
  const float *w = floats(env, argv[2], K * g.co, false, &okW);
  float *dx = floats(env, argv[3], (size_t)g.n * g.h * g.w * g.c, false, &okDx);
  if (!okDy || !okW || !okDx) FAIL("conv2dGradInput: operands must be Float32Arrays large enough");
  if (pointwise(&g)) {
    sgemm(false, true, (int)M, (int)K, g.co, 1.0f, dy, g.co, w, g.co, 0.0f, dx, (int)K);
    return NULL;
  }
  memset(dx, 0, sizeof(float) * g.n * g.h * g.w * g.c);
  const size_t chunk = chunkRows(M, K);
  float *cols = malloc(sizeof(float) * chunk * K);
  if (!cols) FAIL("conv2dGradInput: out of memory");
  for (size_t m0 = 0; m0 < M; m0 += chunk) {
    const size_t rows = M - m0 < chunk ? M - m0 : chunk;
    sgemm(false, true, (int)rows, (int)K, g.co, 1.0f, dy + m0 * g.co, g.co, w, g.co, 0.0f, cols, (int)K);
    col2im(&g, cols, m0, rows, dx);
  }
  free(cols);
  return NULL;
}

// conv2dGradFilter(geometry, x, dy, dw): direct with few input channels, else im2col and OpenBLAS.
napi_value conv2dGradFilter(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  Geometry g;
  bool okX, okDy, okDw;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4 || !geometry(env, argv[0], &g))
    FAIL("conv2dGradFilter: bad arguments");
  const size_t M = (size_t)g.n * g.oh * g.ow, K = (size_t)g.kh * g.kw * g.c;
  const float *x = floats(env, argv[1], (size_t)g.n * g.h * g.w * g.c, false, &okX);
  const float *dy = floats(env, argv[2], M * g.co, false, &okDy);
  float *dw = floats(env, argv[3], K * g.co, false, &okDw);
  if (!okX || !okDy || !okDw) FAIL("conv2dGradFilter: operands must be Float32Arrays large enough");
  if (!disjoint(dw, K * g.co, x, (size_t)g.n * g.h * g.w * g.c) || !disjoint(dw, K * g.co, dy, M * g.co))
    FAIL("conv2dGradFilter: the output overlaps an input");
  if (g.c <= DIRECT_MAX_CHANNELS) {
    directConvGradFilter(&g, x, dy, dw);
    return NULL;
  }
  if (pointwise(&g)) {
    sgemm(true, false, (int)K, g.co, (int)M, 1.0f, x, (int)K, dy, g.co, 0.0f, dw, g.co);
    return NULL;
  }
  const size_t chunk = chunkRows(M, K);
  float *cols = malloc(sizeof(float) * chunk * K);
  if (!cols) FAIL("conv2dGradFilter: out of memory");
  for (size_t m0 = 0; m0 < M; m0 += chunk) {
    const size_t rows = M - m0 < chunk ? M - m0 : chunk;
    im2col(&g, x, m0, rows, cols);
    sgemm(true, false, (int)K, g.co, (int)rows, 1.0f, cols, (int)K, dy + m0 * g.co, g.co, m0 == 0 ? 0.0f : 1.0f,
          dw, g.co);
  }
  free(cols);
  return NULL;
}
