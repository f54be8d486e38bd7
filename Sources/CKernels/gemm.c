// Matrix product in f64 (f32 goes to oneDNN's sgemm): a plain i-k-j loop over row-major
// operands, which the compiler vectorizes along j when B is not transposed.
#include "CKernels.h"
#include <string.h>

void dlc_dgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
               const double *b, int64_t ldb, double *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++) {
        double *row = c + i * ldc;
        memset(row, 0, (size_t)n * sizeof(double));
        for (int64_t p = 0; p < k; p++) {
            double av = transA ? a[p * lda + i] : a[i * lda + p];
            if (transB) for (int64_t j = 0; j < n; j++) row[j] += av * b[j * ldb + p];
            else for (int64_t j = 0; j < n; j++) row[j] += av * b[p * ldb + j];
        }
    }
}
