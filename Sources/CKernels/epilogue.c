// The epilogue of a fused matmul (Lowering+FusedMatMul.swift), applied in place to the
// product row by row, every step over a row before the next row, so each row is read and
// written while it is in L1. Each step computes the same float expression as the kernel of
// the unfused op (dlc_binary, dlc_unary, dlc_fused), so fused and unfused plans agree
// bit for bit.
#include "CKernels.h"
#include "kernel_math.h"
#include <math.h>

CLONES int dlc_matmul_epilogue(int64_t rows, int64_t n, float *y, int nsteps, const int64_t *steps,
                               const float *const *operands, const double *params) {
    for (int64_t r = 0; r < rows; r++) {
        float *row = y + r * n;
        for (int s = 0; s < nsteps; s++) {
            const float *o = operands[s];
            const float p = (float)params[s];
            switch (steps[2 * s]) {
            case 0: { const float *v = o + r * n; for (int64_t j = 0; j < n; j++) row[j] = row[j] + v[j]; break; }
            case 1: for (int64_t j = 0; j < n; j++) row[j] = row[j] + o[j]; break;
            case 2: for (int64_t j = 0; j < n; j++) row[j] = row[j] * p; break;
            case 4: { const float *v = o + r * n; for (int64_t j = 0; j < n; j++) row[j] = row[j] * (float)(v[j] > 0); break; }
            case 3:
                switch (steps[2 * s + 1]) {
                case 0: for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0 || row[j] != row[j] ? row[j] : 0; break;
                case 1: for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0 ? row[j] : p * row[j]; break;
                case 2: for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0 ? row[j] : p * (dlc_expf(row[j]) - 1); break;
                case 3: for (int64_t j = 0; j < n; j++) row[j] = dlc_tanhf(row[j]); break;
                case 4: for (int64_t j = 0; j < n; j++) row[j] = dlc_sigmoidf(row[j]); break;
                case 5: for (int64_t j = 0; j < n; j++) row[j] = dlc_gelu_tanhf(row[j]); break;
                case 6: for (int64_t j = 0; j < n; j++) row[j] = dlc_gelu_exactf(row[j]); break;
                default: return -1;
                }
                break;
            default: return -1;
            }
        }
    }
    return 0;
}
