// Convolutions, max pooling and leading-axes sums for the wasm backend's training, on the tensors' views
// into the wasm heap (NHWC, float32, filters HWIO as TensorFlow.js stores them):
//   conv2d:          y[M, CO] = im2col(x)[M, K] x w[K, CO] (+ bias, relu)     M = N*OH*OW, K = KH*KW*C
//   conv2dGradInput: dx = col2im(dy[M, CO] x w^T[CO, K])
//   conv2dGradFilter: dw[K, CO] = im2col(x)^T dy
// im2col is done in chunks of output rows (a bounded scratch buffer) and each product is one cblas_sgemm.
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112 };
extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float beta, float *c, int ldc);

// Geometry, as an Int32Array: N, H, W, C, KH, KW, SH, SW, DH, DW, top, left, OH, OW, CO.
typedef struct {
  int n, h, w, c, kh, kw, sh, sw, dh, dw, top, left, oh, ow, co;
} Geometry;

#define SCRATCH_FLOATS (1 << 20)

#define FAIL(message)                                                                                        \
  do {                                                                                                       \
    napi_throw_error(env, NULL, message);                                                                    \
    return NULL;                                                                                             \
  } while (0)

static bool geometry(napi_env env, napi_value value, Geometry *g) {
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
static float *floats(napi_env env, napi_value value, size_t needed, bool optional, bool *ok) {
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

static size_t chunkRows(size_t M, size_t K) {
  size_t rows = SCRATCH_FLOATS / K;
  if (rows < 64) rows = 64;
  return rows < M ? rows : M;
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
  if (bias)
    for (size_t m = 0; m < M; m++) memcpy(y + m * g.co, bias, sizeof(float) * g.co);
  const float beta = bias ? 1.0f : 0.0f;
  if (pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, g.co, (int)K, 1.0f, x, (int)K, w, g.co, beta, y,
                g.co);
  } else {
    const size_t chunk = chunkRows(M, K);
    float *cols = malloc(sizeof(float) * chunk * K);
    if (!cols) FAIL("conv2d: out of memory");
    for (size_t m0 = 0; m0 < M; m0 += chunk) {
      const size_t rows = M - m0 < chunk ? M - m0 : chunk;
      im2col(&g, x, m0, rows, cols);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, g.co, (int)K, 1.0f, cols, (int)K, w, g.co,
                  beta, y + m0 * g.co, g.co);
    }
    free(cols);
  }
  if (relu)
    for (size_t i = 0; i < M * g.co; i++)
      if (!(y[i] > 0)) y[i] = 0;
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
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)K, g.co, 1.0f, dy, g.co, w, g.co, 0.0f, dx,
                (int)K);
    return NULL;
  }
  memset(dx, 0, sizeof(float) * g.n * g.h * g.w * g.c);
  const size_t chunk = chunkRows(M, K);
  float *cols = malloc(sizeof(float) * chunk * K);
  if (!cols) FAIL("conv2dGradInput: out of memory");
  for (size_t m0 = 0; m0 < M; m0 += chunk) {
    const size_t rows = M - m0 < chunk ? M - m0 : chunk;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)K, g.co, 1.0f, dy + m0 * g.co, g.co, w,
                g.co, 0.0f, cols, (int)K);
    col2im(&g, cols, m0, rows, dx);
  }
  free(cols);
  return NULL;
}

// conv2dGradFilter(geometry, x, dy, dw)
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
  if (pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, g.co, (int)M, 1.0f, x, (int)K, dy, g.co, 0.0f, dw,
                g.co);
    return NULL;
  }
  const size_t chunk = chunkRows(M, K);
  float *cols = malloc(sizeof(float) * chunk * K);
  if (!cols) FAIL("conv2dGradFilter: out of memory");
  for (size_t m0 = 0; m0 < M; m0 += chunk) {
    const size_t rows = M - m0 < chunk ? M - m0 : chunk;
    im2col(&g, x, m0, rows, cols);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, g.co, (int)rows, 1.0f, cols, (int)K,
                dy + m0 * g.co, g.co, m0 == 0 ? 0.0f : 1.0f, dw, g.co);
  }
  free(cols);
  return NULL;
}

// Max pooling, geometry as for convolutions with CO = C and no dilation. Each output takes the first
// maximum of its window in row-major order (the cpu backend's choice), padding taps excluded.
// maxPool(geometry, x, y, dy | null, dx | null): y = maxPool(x); with dy and dx also dx = the gradient
// (dy routed to each window's first maximum), y then unused (may be null).
napi_value maxPool(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  Geometry g;
  bool okX, okY, okDy, okDx;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5 || !geometry(env, argv[0], &g))
    FAIL("maxPool: bad arguments");
  const size_t outSize = (size_t)g.n * g.oh * g.ow * g.c, inSize = (size_t)g.n * g.h * g.w * g.c;
  const float *x = floats(env, argv[1], inSize, false, &okX);
  float *y = floats(env, argv[2], outSize, true, &okY);
  const float *dy = floats(env, argv[3], outSize, true, &okDy);
  float *dx = floats(env, argv[4], inSize, true, &okDx);
  if (!okX || !okY || !okDy || !okDx || (!y && !(dy && dx)) || (!dy != !dx))
    FAIL("maxPool: operands must be Float32Arrays large enough");
  const int C = g.c;
  float *bestV = malloc(sizeof(float) * C);
  size_t *bestAt = malloc(sizeof(size_t) * C);
  if (!bestV || !bestAt) {
    free(bestV);
    free(bestAt);
    FAIL("maxPool: out of memory");
  }
  if (dx) memset(dx, 0, sizeof(float) * inSize);
  for (int n = 0; n < g.n; n++) {
    for (int oy = 0; oy < g.oh; oy++) {
      const int y0 = oy * g.sh - g.top;
      const int yStart = y0 < 0 ? 0 : y0, yEnd = y0 + g.kh < g.h ? y0 + g.kh : g.h;
      for (int ox = 0; ox < g.ow; ox++) {
        const int x0 = ox * g.sw - g.left;
        const int xStart = x0 < 0 ? 0 : x0, xEnd = x0 + g.kw < g.w ? x0 + g.kw : g.w;
        const size_t o = (((size_t)n * g.oh + oy) * g.ow + ox) * C;
        if (yStart >= yEnd || xStart >= xEnd) {
          if (y)
            for (int c = 0; c < C; c++) y[o + c] = 0;
          continue;
        }
        const size_t first = (((size_t)n * g.h + yStart) * g.w + xStart) * C;
        for (int c = 0; c < C; c++) {
          bestV[c] = x[first + c];
          bestAt[c] = first + c;
        }
        for (int iy = yStart; iy < yEnd; iy++) {
          for (int ix = iy == yStart ? xStart + 1 : xStart; ix < xEnd; ix++) {
            const size_t p = (((size_t)n * g.h + iy) * g.w + ix) * C;
            // Branch-free (random data mispredicts half the comparisons); '>' keeps the first maximum.
            for (int c = 0; c < C; c++) {
              const float v = x[p + c];
              const bool greater = v > bestV[c];
              bestV[c] = greater ? v : bestV[c];
              bestAt[c] = greater ? p + c : bestAt[c];
            }
          }
        }
        if (dx)
          for (int c = 0; c < C; c++) dx[bestAt[c]] += dy[o + c];
        else
          for (int c = 0; c < C; c++) y[o + c] = bestV[c];
      }
    }
  }
  free(bestV);
  free(bestAt);
  return NULL;
}

// leadingSum(x, rows, cols, out): out[cols] = sum over rows of x[rows, cols] (a bias gradient).
napi_value leadingSum(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t rows, cols;
  bool okX, okOut;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4 ||
      napi_get_value_int32(env, argv[1], &rows) != napi_ok || napi_get_value_int32(env, argv[2], &cols) != napi_ok ||
      rows <= 0 || cols <= 0)
    FAIL("leadingSum: bad arguments");
  const float *x = floats(env, argv[0], (size_t)rows * cols, false, &okX);
  float *out = floats(env, argv[3], cols, false, &okOut);
  if (!okX || !okOut) FAIL("leadingSum: operands must be Float32Arrays large enough");
  memcpy(out, x, sizeof(float) * cols);
  for (int32_t r = 1; r < rows; r++) {
    const float *row = x + (size_t)r * cols;
    for (int32_t c = 0; c < cols; c++) out[c] += row[c];
  }
  return NULL;
}
