// OpenBLAS's single-precision GEMM as the addon's C files call it. OpenBLAS is loaded from Debian's
// libopenblas0 at link time; its header is not needed, the prototypes are declared here.
#ifndef TRAINHUB_GEMM_H
#define TRAINHUB_GEMM_H
#include <stdbool.h>
#include <stddef.h>

enum { CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112 };
extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float beta, float *c, int ldc);
extern void openblas_set_num_threads(int threads);
extern int openblas_get_num_threads(void);

// Products under this many multiply-adds run on one OpenBLAS thread. Measured in training on 2 cores,
// between other kernels: handing a small product to the thread pool cost more than it saved (a Conv1D
// layer's 1600x39x8 forward 80-89 us on one thread, 163-305 us on two; a CNN's dense head 87-92 vs
// 204-305 us), while big ones still gain (128x784x256: 0.60 -> 0.35 ms; 12544x32x144: 2.5 -> 1.5 ms).
#define SMALL_PRODUCT ((size_t)4 << 20)

// Row-major C[m x n] = alpha * op(A) op(B) + beta * C, on one thread when m * n * k < SMALL_PRODUCT.
static inline void sgemm(bool transA, bool transB, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc) {
  const int threads = openblas_get_num_threads();
  const bool one = threads > 1 && (size_t)m * n * k < SMALL_PRODUCT;
  if (one) openblas_set_num_threads(1);
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
              alpha, a, lda, b, ldb, beta, c, ldc);
  if (one) openblas_set_num_threads(threads);
}

#endif
