// OpenBLAS's single-precision GEMM as the addon's C files call it, and how many threads a kernel uses.
// OpenBLAS is loaded from Debian's libopenblas0 at link time; its header is not needed, the prototypes are
// declared here.
#ifndef TRAINHUB_GEMM_H
#define TRAINHUB_GEMM_H
#include <stdbool.h>
#include <stddef.h>

enum { CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112 };
extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float beta, float *c, int ldc);
extern void openblas_set_num_threads(int threads);
extern int openblas_get_num_threads(void);

// The addon's thread count (blas.c: OpenBLAS's default at load, TRAINHUB_ML_BLAS_THREADS, setThreads).
// OpenBLAS itself is kept at one thread and raised to this count only around a big product, so the many
// small products of a training step never touch its thread pool or its thread setting.
extern int trainhubThreads;

// Products under this many multiply-adds run on one OpenBLAS thread. Measured in training on 2 cores,
// between other kernels: handing a small product to the thread pool cost more than it saved (a Conv1D
// layer's 1600x39x8 forward 80-89 us on one thread, 163-305 us on two; a CNN's dense head 87-92 vs
// 204-305 us), while big ones still gain (128x784x256: 0.60 -> 0.35 ms; 12544x32x144: 2.5 -> 1.5 ms).
#define SMALL_PRODUCT ((size_t)4 << 20)

// Row-major C[m x n] = alpha * op(A) op(B) + beta * C, on trainhubThreads OpenBLAS threads from
// SMALL_PRODUCT multiply-adds up, else on the caller's thread.
static inline void sgemm(bool transA, bool transB, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc) {
  const bool pool = trainhubThreads > 1 && (size_t)m * n * k >= SMALL_PRODUCT;
  if (pool) openblas_set_num_threads(trainhubThreads);
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
              alpha, a, lda, b, ldb, beta, c, ldc);
  if (pool) openblas_set_num_threads(1);
}

// Threads for a kernel of `work` units in `chunks` independent chunks: trainhubThreads when built with
// OpenMP and the work reaches `minWork`, else 1.
static inline int kernelThreads(size_t work, size_t minWork, size_t chunks) {
#ifdef _OPENMP
  int threads = trainhubThreads;
  if (work < minWork || chunks < 2) return 1;
  if ((size_t)threads > chunks) threads = (int)chunks;
  return threads > 1 ? threads : 1;
#else
  (void)work;
  (void)minWork;
  (void)chunks;
  return 1;
#endif
}

#ifdef _OPENMP
#include <omp.h>
#define THREAD_INDEX omp_get_thread_num()
#else
#define THREAD_INDEX 0
#endif

#endif
