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

// Rows per chunk: SCRATCH_FLOATS of im2col per thread, so each thread's chunk stays in its L2. Without
// OpenMP the chunks run one after another and OpenBLAS splits each product, so they are sized per OpenBLAS
// thread instead.
static size_t chunkRows(size_t M, size_t K) {
#ifdef _OPENMP
  const int threads = 1;
#else
  const int threads = trainhubThreads;
#endif
  size_t rows = (size_t)SCRATCH_FLOATS * (threads > 1 ? threads : 1) / K;
  if (rows < 64) rows = 64;
  return rows < M ? rows : M;
}

// A product inside a kernel: on one of our threads plain OpenBLAS (held at one thread, gemm.h), else sgemm.
static void chunkGemm(int threads, bool transA, bool transB, int m, int n, int k, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc) {
  if (threads > 1)
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
                1.0f, a, lda, b, ldb, beta, c, ldc);
  else
    sgemm(transA, transB, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}


// The filter gradient with few input channels (an image's first layer: C = 1 or 3) runs directly: im2col
// would copy single floats and K = KH*KW*C is too small for a product to pay (measured 2.2 -> 1.8 ms for
// 64x28x28x1 -> 16, 3.7 -> 2.6 ms for 32x32x32x3 -> 16). The forward of such layers stays with XNNPack
// (native-conv.ts), which beat a direct loop here (1.4 vs 1.9 ms).
#define DIRECT_MAX_CHANNELS 3

// Output positions per chunk of the filter gradient: their dy rows (CO floats each) stay in L2 while every
// tap passes over them.
#define GRAD_CHUNK 512

// dw[kh, kw, c, :] = sum over output positions [begin, end) of x[tap, c] * dy[m, :], tap by tap over
// chunks of positions, the CO sums of a tap in registers (blocks of 16, 4, 1).
VECTOR_CLONES static void directConvGradFilter(const Geometry *g, const float *restrict x,
                                               const float *restrict dy, float *restrict dw, size_t begin,
                                               size_t end) {
  const size_t M = end;
  const int C = g->c, CO = g->co;
  int base[GRAD_CHUNK], iy0[GRAD_CHUNK], ix0[GRAD_CHUNK];  // per position: image offset, window corner
  memset(dw, 0, sizeof(float) * g->kh * g->kw * C * CO);
  for (size_t m0 = begin; m0 < M; m0 += GRAD_CHUNK) {
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

// A kernel's work in chunks of output rows: `run` does rows [m0, m0 + rows) on thread `thread` with `cols`,
// that thread's chunk * K floats of im2col / col2im scratch.
typedef struct ChunkJob ChunkJob;
struct ChunkJob {
  const Geometry *g;
  const float *in, *w, *bias;  // the kernel's inputs (x or dy, the filter or dy, the bias or null)
  float *out;                  // y, dx or dw
  float *partial;              // the filter gradient: threads 1.. sum into their own K x CO partial
  bool *started;               // the filter gradient: whether a thread has summed a chunk yet
  int threads;
  size_t M, K, CO, chunk;
  void (*run)(const ChunkJob *job, size_t m0, size_t rows, float *cols, int thread);
};

// Runs job->run over every chunk of [0, M) on job->threads threads (a static schedule, so a thread count
// always splits the same way); false when out of memory.
static bool runChunks(const ChunkJob *job) {
  const size_t chunks = (job->M + job->chunk - 1) / job->chunk;
  int failed = 0;
#pragma omp parallel num_threads(job->threads) if (job->threads > 1)
  {
    float *cols = malloc(sizeof(float) * job->chunk * job->K);
    if (!cols) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp for schedule(static)
    for (size_t i = 0; i < chunks; i++) {
      if (!cols) continue;
      const size_t m0 = i * job->chunk;
      job->run(job, m0, job->M - m0 < job->chunk ? job->M - m0 : job->chunk, cols, THREAD_INDEX);
    }
    free(cols);
  }
  return !failed;
}

// Forward: rows of y = bias, plus im2col(x) w.
static void forwardChunk(const ChunkJob *j, size_t m0, size_t rows, float *cols, int thread) {
  (void)thread;
  if (j->bias)
    for (size_t m = m0; m < m0 + rows; m++) memcpy(j->out + m * j->CO, j->bias, sizeof(float) * j->CO);
  im2col(j->g, j->in, m0, rows, cols);
  chunkGemm(j->threads, false, false, (int)rows, (int)j->CO, (int)j->K, cols, (int)j->K, j->w, (int)j->CO,
            j->bias ? 1.0f : 0.0f, j->out + m0 * j->CO, (int)j->CO);
}

// Input gradient: col2im(dy w^T) of whole images (col2im adds within one image, never across images).
static void gradInputChunk(const ChunkJob *j, size_t m0, size_t rows, float *cols, int thread) {
  (void)thread;
  chunkGemm(j->threads, false, true, (int)rows, (int)j->K, (int)j->CO, j->in + m0 * j->CO, (int)j->CO, j->w,
            (int)j->CO, 0.0f, cols, (int)j->K);
  col2im(j->g, cols, m0, rows, j->out);
}

// Filter gradient: im2col(x)^T dy of the chunk added to the thread's own sum.
static void gradFilterChunk(const ChunkJob *j, size_t m0, size_t rows, float *cols, int thread) {
  float *sum = thread == 0 ? j->out : j->partial + (size_t)(thread - 1) * j->K * j->CO;
  im2col(j->g, j->in, m0, rows, cols);
  chunkGemm(j->threads, true, false, (int)j->K, (int)j->CO, (int)rows, cols, (int)j->K, j->w + m0 * j->CO,
            (int)j->CO, j->started[thread] ? 1.0f : 0.0f, sum, (int)j->CO);
  j->started[thread] = true;
}

// y = im2col(x) w (+ bias) through OpenBLAS, in chunks of rows (in parallel: each writes its own rows).
static bool gemmConv(const Geometry *g, const float *x, const float *w, const float *bias, float *y) {
  const size_t M = (size_t)g->n * g->oh * g->ow, K = (size_t)g->kh * g->kw * g->c, CO = (size_t)g->co;
  if (pointwise(g)) {
    if (bias)
      for (size_t m = 0; m < M; m++) memcpy(y + m * CO, bias, sizeof(float) * CO);
    sgemm(false, false, (int)M, (int)CO, (int)K, 1.0f, x, (int)K, w, (int)CO, bias ? 1.0f : 0.0f, y, (int)CO);
    return true;
  }
  const size_t chunk = chunkRows(M, K);
  const ChunkJob job = {.g = g, .in = x, .w = w, .bias = bias, .out = y, .M = M, .K = K, .CO = CO,
                        .chunk = chunk, .run = forwardChunk,
                        .threads = kernelThreads(M * K * CO, SMALL_PRODUCT, (M + chunk - 1) / chunk)};
  return runChunks(&job);
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
  if (relu) biasActivationInPlace(y, NULL, M, g.co, true);
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
  // Chunks of whole images, so that chunks can run in parallel (gradInputChunk).
  const size_t perImage = (size_t)g.oh * g.ow;
  size_t images = chunkRows(M, K) / perImage;
  if (images < 1) images = 1;
  const size_t chunk = images * perImage;
  const ChunkJob job = {.g = &g, .in = dy, .w = w, .out = dx, .M = M, .K = K, .CO = (size_t)g.co, .chunk = chunk,
                        .run = gradInputChunk,
                        .threads = kernelThreads(M * K * g.co, SMALL_PRODUCT, (M + chunk - 1) / chunk)};
  if (!runChunks(&job)) FAIL("conv2dGradInput: out of memory");
  return NULL;
}

// dw += the partial sums of threads 1.. (thread 0 wrote dw itself).
static void addPartials(float *dw, const float *partial, int threads, size_t size) {
  for (int t = 1; t < threads; t++)
    for (size_t i = 0; i < size; i++) dw[i] += partial[(size_t)(t - 1) * size + i];
}

// dw = im2col(x)^T dy in chunks of rows; in parallel each thread sums its chunks into its own partial.
static bool gemmGradFilter(const Geometry *g, const float *x, const float *dy, float *dw) {
  const size_t M = (size_t)g->n * g->oh * g->ow, K = (size_t)g->kh * g->kw * g->c, CO = (size_t)g->co;
  const size_t chunk = chunkRows(M, K);
  const int threads = kernelThreads(M * K * CO, SMALL_PRODUCT, (M + chunk - 1) / chunk);
  float *partial = threads > 1 ? malloc(sizeof(float) * (threads - 1) * K * CO) : NULL;
  bool *started = calloc((size_t)threads, sizeof(bool));
  const ChunkJob job = {.g = g, .in = x, .w = dy, .out = dw, .partial = partial, .started = started,
                        .threads = threads, .M = M, .K = K, .CO = CO, .chunk = chunk, .run = gradFilterChunk};
  const bool ok = started && (threads == 1 || partial) && runChunks(&job);
  if (ok) {
    // A thread that got no chunk contributes zeros.
    for (int t = 0; t < threads; t++)
      if (!started[t]) memset(t == 0 ? dw : partial + (size_t)(t - 1) * K * CO, 0, sizeof(float) * K * CO);
    addPartials(dw, partial, threads, K * CO);
  }
  free(partial);
  free(started);
  return ok;
}

// The direct filter gradient over output positions split among threads, each into its own partial.
static bool directGradFilter(const Geometry *g, const float *x, const float *dy, float *dw) {
  const size_t M = (size_t)g->n * g->oh * g->ow, size = (size_t)g->kh * g->kw * g->c * g->co;
  const int threads = kernelThreads(M * size, SMALL_PRODUCT, (M + GRAD_CHUNK - 1) / GRAD_CHUNK);
  float *partial = threads > 1 ? malloc(sizeof(float) * (threads - 1) * size) : NULL;
  if (threads > 1 && !partial) return false;
  // Whole GRAD_CHUNKs per thread, so the sums of one run do not depend on where a thread starts.
  const size_t per = ((M + GRAD_CHUNK - 1) / GRAD_CHUNK + threads - 1) / threads * GRAD_CHUNK;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static, 1)
  for (int t = 0; t < threads; t++) {
    const size_t begin = (size_t)t * per < M ? (size_t)t * per : M, end = begin + per < M ? begin + per : M;
    directConvGradFilter(g, x, dy, t == 0 ? dw : partial + (size_t)(t - 1) * size, begin, end);
  }
  addPartials(dw, partial, threads, size);
  free(partial);
  return true;
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
    if (!directGradFilter(&g, x, dy, dw)) FAIL("conv2dGradFilter: out of memory");
    return NULL;
  }
  if (pointwise(&g)) {
    sgemm(true, false, (int)K, g.co, (int)M, 1.0f, x, (int)K, dy, g.co, 0.0f, dw, g.co);
    return NULL;
  }
  if (!gemmGradFilter(&g, x, dy, dw)) FAIL("conv2dGradFilter: out of memory");
  return NULL;
}
