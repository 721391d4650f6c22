// Max and average pooling for the wasm backend's training, NHWC float32, on the tensors' views into the
// wasm heap. Geometry as for convolutions with CO = C and no dilation; padding taps are never part of a
// window. Results follow TensorFlow.js's cpu backend: a max window's gradient goes to its first maximum in
// row-major order; an average is over the window's in-bounds taps, and its gradient gives dy / (KH * KW)
// to every in-bounds tap (cpu AvgPoolGrad's multiplier, also with padding).
#include <stdlib.h>

#include "common.h"
#include "gemm.h"

// The in-bounds window of output (oy, ox): rows [y0, y1), columns [x0, x1); empty when y0 >= y1 or
// x0 >= x1 (a window entirely in the padding).
typedef struct {
  int y0, y1, x0, x1;
} Window;

static inline Window window(const Geometry *g, int oy, int ox) {
  const int top = oy * g->sh - g->top, left = ox * g->sw - g->left;
  Window win = {top < 0 ? 0 : top, top + g->kh < g->h ? top + g->kh : g->h, left < 0 ? 0 : left,
                left + g->kw < g->w ? left + g->kw : g->w};
  return win;
}

#define PIXEL(g, n, iy, ix) ((((size_t)(n) * (g)->h + (iy)) * (g)->w + (ix)) * (g)->c)
#define OUTPUT(g, n, oy, ox) ((((size_t)(n) * (g)->oh + (oy)) * (g)->ow + (ox)) * (g)->c)

// Pooling kernels with at least this many window taps (times channels) run on several threads, one
// range of images each.
#define PARALLEL_TAPS ((size_t)1 << 18)

// y = maxPool(x), or (y NULL) dx = its gradient for dy, for images [n0, n1). best / at: C floats / ints of
// scratch, the running maximum per channel and its offset from the window's first pixel (32-bit both, so
// the compare vectorizes; an offset, not a tap number, so routing dy needs no division).
VECTOR_CLONES static void maxPoolRun(const Geometry *g, const float *restrict x, float *restrict y,
                                     const float *restrict dy, float *restrict dx, float *restrict best,
                                     int32_t *restrict at, int n0, int n1) {
  const int C = g->c;
  if (dx) memset(dx + PIXEL(g, n0, 0, 0), 0, sizeof(float) * (n1 - n0) * g->h * g->w * C);
  for (int n = n0; n < n1; n++)
    for (int oy = 0; oy < g->oh; oy++)
      for (int ox = 0; ox < g->ow; ox++) {
        const Window win = window(g, oy, ox);
        const size_t o = OUTPUT(g, n, oy, ox);
        if (win.y0 >= win.y1 || win.x0 >= win.x1) {
          if (y) memset(y + o, 0, sizeof(float) * C);
          continue;
        }
        const size_t first = PIXEL(g, n, win.y0, win.x0);
        for (int c = 0; c < C; c++) best[c] = x[first + c], at[c] = c;
        for (int iy = win.y0; iy < win.y1; iy++)
          for (int ix = win.x0; ix < win.x1; ix++) {
            const int32_t offset = (int32_t)(PIXEL(g, n, iy, ix) - first);
            const float *p = x + first + offset;
            // Branch-free (random data mispredicts half the comparisons); '>' keeps the first maximum.
            for (int c = 0; c < C; c++) {
              const bool greater = p[c] > best[c];
              best[c] = greater ? p[c] : best[c];
              at[c] = greater ? offset + c : at[c];
            }
          }
        if (!dx) {
          memcpy(y + o, best, sizeof(float) * C);
          continue;
        }
        for (int c = 0; c < C; c++) dx[first + at[c]] += dy[o + c];
      }
}

// maxPool(geometry, x, y, dy | null, dx | null): y = maxPool(x); with dy and dx instead dx = the gradient
// (y then unused, may be null).
napi_value maxPool(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  Geometry g;
  bool okX, okY, okDy, okDx;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5 || !geometry(env, argv[0], &g) ||
      g.co != g.c)
    FAIL("maxPool: bad arguments");
  const size_t outSize = (size_t)g.n * g.oh * g.ow * g.c, inSize = (size_t)g.n * g.h * g.w * g.c;
  const float *x = floats(env, argv[1], inSize, false, &okX);
  float *y = floats(env, argv[2], outSize, true, &okY);
  const float *dy = floats(env, argv[3], outSize, true, &okDy);
  float *dx = floats(env, argv[4], inSize, true, &okDx);
  if (!okX || !okY || !okDy || !okDx || (!y && !(dy && dx)) || (!dy != !dx))
    FAIL("maxPool: operands must be Float32Arrays large enough");
  if (dx ? !disjoint(dx, inSize, x, inSize) || !disjoint(dx, inSize, dy, outSize) : !disjoint(y, outSize, x, inSize))
    FAIL("maxPool: the output overlaps an input");
  // Images are independent (a window and its gradient stay in one image): a range of them per thread.
  const int threads = kernelThreads(outSize * g.kh * g.kw, PARALLEL_TAPS, (size_t)g.n);
  float *best = malloc(sizeof(float) * g.c * threads);
  int32_t *at = malloc(sizeof(int32_t) * g.c * threads);
  if (best && at) {
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static, 1)
    for (int t = 0; t < threads; t++)
      maxPoolRun(&g, x, dx ? NULL : y, dy, dx, best + (size_t)t * g.c, at + (size_t)t * g.c,
                 (int)((int64_t)g.n * t / threads), (int)((int64_t)g.n * (t + 1) / threads));
  }
  free(best);
  free(at);
  if (!best || !at) FAIL("maxPool: out of memory");
  return NULL;
}

// y = the mean of each window's in-bounds taps.
VECTOR_CLONES static void avgPoolRun(const Geometry *g, const float *restrict x, float *restrict y) {
  const int C = g->c;
  for (int n = 0; n < g->n; n++)
    for (int oy = 0; oy < g->oh; oy++)
      for (int ox = 0; ox < g->ow; ox++) {
        const Window win = window(g, oy, ox);
        float *restrict out = y + OUTPUT(g, n, oy, ox);
        memset(out, 0, sizeof(float) * C);
        for (int iy = win.y0; iy < win.y1; iy++)
          for (int ix = win.x0; ix < win.x1; ix++) {
            const float *p = x + PIXEL(g, n, iy, ix);
            for (int c = 0; c < C; c++) out[c] += p[c];
          }
        const int count = (win.y1 - win.y0) * (win.x1 - win.x0);
        // An empty window: 0 / 0, NaN, as the cpu backend gives.
        for (int c = 0; c < C; c++) out[c] /= (float)count;
      }
}

// dx = every window's dy spread over its in-bounds taps, times 1 / (KH * KW).
VECTOR_CLONES static void avgPoolGradRun(const Geometry *g, const float *restrict dy, float *restrict dx) {
  const int C = g->c;
  const size_t inSize = (size_t)g->n * g->h * g->w * C;
  memset(dx, 0, sizeof(float) * inSize);
  for (int n = 0; n < g->n; n++)
    for (int oy = 0; oy < g->oh; oy++)
      for (int ox = 0; ox < g->ow; ox++) {
        const Window win = window(g, oy, ox);
        const float *d = dy + OUTPUT(g, n, oy, ox);
        for (int iy = win.y0; iy < win.y1; iy++)
          for (int ix = win.x0; ix < win.x1; ix++) {
            float *p = dx + PIXEL(g, n, iy, ix);
            for (int c = 0; c < C; c++) p[c] += d[c];
          }
      }
  const float scale = 1.0f / (float)(g->kh * g->kw);
  for (size_t i = 0; i < inSize; i++) dx[i] *= scale;
}

// avgPool(geometry, x, y): y = avgPool(x). avgPoolGrad(geometry, dy, dx): dx = its gradient.
static napi_value avgPoolCall(napi_env env, napi_callback_info info, bool gradient) {
  size_t argc = 3;
  napi_value argv[3];
  Geometry g;
  bool okIn, okOut;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3 || !geometry(env, argv[0], &g) ||
      g.co != g.c)
    FAIL("avgPool: bad arguments");
  const size_t outSize = (size_t)g.n * g.oh * g.ow * g.c, inSize = (size_t)g.n * g.h * g.w * g.c;
  const float *in = floats(env, argv[1], gradient ? outSize : inSize, false, &okIn);
  float *out = floats(env, argv[2], gradient ? inSize : outSize, false, &okOut);
  if (!okIn || !okOut) FAIL("avgPool: operands must be Float32Arrays large enough");
  if (!disjoint(in, gradient ? outSize : inSize, out, gradient ? inSize : outSize))
    FAIL("avgPool: the output overlaps the input");
  if (gradient) avgPoolGradRun(&g, in, out);
  else avgPoolRun(&g, in, out);
  return NULL;
}

napi_value avgPool(napi_env env, napi_callback_info info) { return avgPoolCall(env, info, false); }
napi_value avgPoolGrad(napi_env env, napi_callback_info info) { return avgPoolCall(env, info, true); }
