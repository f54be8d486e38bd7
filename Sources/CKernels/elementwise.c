// Elementwise kernels. Unary ops run over contiguous elements; binary ops iterate the output
// shape with an odometer over all but the last dimension and an inner loop over the last one,
// specialized for the stride patterns the optimizer vectorizes (1/1, 1/0, 0/1). The f32 entry
// points are compiled for x86-64-v4, v3 and baseline and chosen at load time (target_clones).
#include "CKernels.h"
#include "kernel_math.h"
#include <math.h>
#include <string.h>

int dlc_kernels_version(void) { return 1; }

// Unary ops in floating point: T is float or double; F is the suffix of <math.h> functions.
#define UNARY_FLOAT(T, F)                                                                        \
    switch (op) {                                                                                \
    case 0: for (int64_t i = 0; i < n; i++) y[i] = -x[i]; break;                                 \
    case 1: for (int64_t i = 0; i < n; i++) y[i] = fabs##F(x[i]); break;                         \
    case 2: for (int64_t i = 0; i < n; i++) y[i] = dlc_exp##F(x[i]); break;                      \
    case 3: for (int64_t i = 0; i < n; i++) y[i] = log##F(x[i]); break;                          \
    case 4: for (int64_t i = 0; i < n; i++) y[i] = sqrt##F(x[i]); break;                         \
    case 5: for (int64_t i = 0; i < n; i++) y[i] = (T)1 / sqrt##F(x[i]); break;                  \
    case 6: for (int64_t i = 0; i < n; i++) y[i] = x[i] * x[i]; break;                           \
    case 7: for (int64_t i = 0; i < n; i++) y[i] = (T)1 / x[i]; break;                           \
    case 8: for (int64_t i = 0; i < n; i++) y[i] = sin##F(x[i]); break;                          \
    case 9: for (int64_t i = 0; i < n; i++) y[i] = cos##F(x[i]); break;                          \
    case 10: for (int64_t i = 0; i < n; i++) y[i] = dlc_tanh##F(x[i]); break;                    \
    case 11: for (int64_t i = 0; i < n; i++) y[i] = dlc_sigmoid##F(x[i]); break;                 \
    case 12: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 || x[i] != x[i] ? x[i] : 0; break; \
    case 13: if (alpha != 0) for (int64_t i = 0; i < n; i++) y[i] = dlc_gelu_tanh##F(x[i]);     \
             else for (int64_t i = 0; i < n; i++) y[i] = dlc_gelu_exact##F(x[i]); break;           \
    case 14: for (int64_t i = 0; i < n; i++) y[i] = (T)dlc_softplus(x[i]); break;                    \
    case 15: for (int64_t i = 0; i < n; i++) y[i] = (T)((x[i] > 0) - (x[i] < 0)); break;         \
    case 16: for (int64_t i = 0; i < n; i++) y[i] = floor##F(x[i]); break;                       \
    case 17: for (int64_t i = 0; i < n; i++) y[i] = ceil##F(x[i]); break;                        \
    case 18: for (int64_t i = 0; i < n; i++) y[i] = rint##F(x[i]); break;                        \
    case 20: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : (T)alpha * x[i]; break;    \
    case 21: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : (T)alpha * (dlc_exp##F(x[i]) - 1); break; \
    case 22: for (int64_t i = 0; i < n; i++) y[i] = x[i] < (T)alpha ? (T)alpha : (x[i] > (T)beta ? (T)beta : x[i]); break; \
    case 23: if (x != y) memmove(y, x, (size_t)n * sizeof(T)); break;                            \
    default: return -1;                                                                          \
    }                                                                                            \
    return 0;

// Unary ops on integers (numeric ops only).
#define UNARY_INT(T)                                                                             \
    switch (op) {                                                                                \
    case 0: for (int64_t i = 0; i < n; i++) y[i] = -x[i]; break;                                 \
    case 1: for (int64_t i = 0; i < n; i++) y[i] = x[i] < 0 ? -x[i] : x[i]; break;               \
    case 6: for (int64_t i = 0; i < n; i++) y[i] = x[i] * x[i]; break;                           \
    case 12: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0; break;                  \
    case 15: for (int64_t i = 0; i < n; i++) y[i] = (T)((x[i] > 0) - (x[i] < 0)); break;         \
    case 22: for (int64_t i = 0; i < n; i++) { double v = (double)x[i];                          \
        y[i] = (T)(v < alpha ? ceil(alpha) : (v > beta ? floor(beta) : v)); } break;             \
    case 23: if (x != y) memmove(y, x, (size_t)n * sizeof(T)); break;                            \
    default: return -1;                                                                          \
    }                                                                                            \
    return 0;

CLONES static int unary_f32(int op, int64_t n, const float *x, float *y, double alpha, double beta) { UNARY_FLOAT(float, f) }
static int unary_f64(int op, int64_t n, const double *x, double *y, double alpha, double beta) { UNARY_FLOAT(double, ) }
static int unary_i32(int op, int64_t n, const int32_t *x, int32_t *y, double alpha, double beta) { UNARY_INT(int32_t) }
static int unary_i64(int op, int64_t n, const int64_t *x, int64_t *y, double alpha, double beta) { UNARY_INT(int64_t) }

int dlc_unary(int dtype, int op, int64_t n, const void *x, void *y, double alpha, double beta) {
    switch (dtype) {
    case DLC_F32: return unary_f32(op, n, x, y, alpha, beta);
    case DLC_F64: return unary_f64(op, n, x, y, alpha, beta);
    case DLC_I32: return unary_i32(op, n, x, y, alpha, beta);
    case DLC_I64: return unary_i64(op, n, x, y, alpha, beta);
    case DLC_BOOL: {
        const uint8_t *a = x; uint8_t *b = y;
        if (op == 19) { for (int64_t i = 0; i < n; i++) b[i] = !a[i]; return 0; }
        if (op == 23) { if (a != b) memmove(b, a, (size_t)n); return 0; }
        return -1;
    }
    }
    return -1;
}

// The odometer over the outer dimensions: calls BODY with pa, pb (offsets of the row start)
// and the output row, for each row of the last dimension.
#define FOR_ROWS(BODY)                                                                           \
    int64_t inner = rank > 0 ? shape[rank - 1] : 1;                                              \
    int64_t ia = rank > 0 ? sa[rank - 1] : 0, ib = rank > 0 ? sb[rank - 1] : 0;                  \
    int64_t rows = 1;                                                                            \
    for (int d = 0; d + 1 < rank; d++) rows *= shape[d];                                         \
    int64_t idx[DLC_MAX_RANK] = {0};                                                             \
    int64_t pa = 0, pb = 0;                                                                      \
    for (int64_t r = 0; r < rows; r++) {                                                         \
        int64_t yo = r * inner;                                                                  \
        BODY                                                                                     \
        for (int d = rank - 2; d >= 0; d--) {                                                    \
            idx[d]++; pa += sa[d]; pb += sb[d];                                                  \
            if (idx[d] < shape[d]) break;                                                        \
            pa -= sa[d] * shape[d]; pb -= sb[d] * shape[d]; idx[d] = 0;                          \
        }                                                                                        \
    }

// One row with expression E(u, v) specialized for the common stride patterns.
#define ROW(E)                                                                                   \
    if (ia == 1 && ib == 1) { for (int64_t i = 0; i < inner; i++) { TA u = a[pa + i], v = b[pb + i]; y[yo + i] = (E); } } \
    else if (ia == 1 && ib == 0) { TA v = b[pb]; for (int64_t i = 0; i < inner; i++) { TA u = a[pa + i]; y[yo + i] = (E); } } \
    else if (ia == 0 && ib == 1) { TA u = a[pa]; for (int64_t i = 0; i < inner; i++) { TA v = b[pb + i]; y[yo + i] = (E); } } \
    else { for (int64_t i = 0; i < inner; i++) { TA u = a[pa + i * ia], v = b[pb + i * ib]; y[yo + i] = (E); } }

#define BINARY_BODY(DIV, POW)                                                                    \
    switch (op) {                                                                                \
    case 0: { FOR_ROWS(ROW(u + v)) break; }                                                      \
    case 1: { FOR_ROWS(ROW(u - v)) break; }                                                      \
    case 2: { FOR_ROWS(ROW(u * v)) break; }                                                      \
    case 3: { FOR_ROWS(ROW(DIV)) break; }                                                        \
    case 4: { FOR_ROWS(ROW(POW)) break; }                                                        \
    case 5: { FOR_ROWS(ROW(u > v || u != u ? u : v)) break; }                                    \
    case 6: { FOR_ROWS(ROW(u < v || u != u ? u : v)) break; }                                    \
    default: return -1;                                                                          \
    }                                                                                            \
    return 0;

#define COMPARE_BODY                                                                             \
    switch (op) {                                                                                \
    case 10: { FOR_ROWS(ROW(u == v)) break; }                                                    \
    case 11: { FOR_ROWS(ROW(u != v)) break; }                                                    \
    case 12: { FOR_ROWS(ROW(u < v)) break; }                                                     \
    case 13: { FOR_ROWS(ROW(u <= v)) break; }                                                    \
    case 14: { FOR_ROWS(ROW(u > v)) break; }                                                     \
    case 15: { FOR_ROWS(ROW(u >= v)) break; }                                                    \
    default: return -1;                                                                          \
    }                                                                                            \
    return 0;

#define BIN_ARGS int op, int rank, const int64_t *shape, const int64_t *sa, const int64_t *sb
#define TA float
CLONES static int binary_f32(BIN_ARGS, const float *a, const float *b, float *y) { BINARY_BODY(u / v, powf(u, v)) }
static int compare_f32(BIN_ARGS, const float *a, const float *b, uint8_t *y) { COMPARE_BODY }
#undef TA
#define TA double
static int binary_f64(BIN_ARGS, const double *a, const double *b, double *y) { BINARY_BODY(u / v, pow(u, v)) }
static int compare_f64(BIN_ARGS, const double *a, const double *b, uint8_t *y) { COMPARE_BODY }
#undef TA
#define TA int32_t
static int binary_i32(BIN_ARGS, const int32_t *a, const int32_t *b, int32_t *y) {
    BINARY_BODY(v == 0 ? 0 : (v == -1 ? -u : u / v), (int32_t)pow((double)u, (double)v))
}
static int compare_i32(BIN_ARGS, const int32_t *a, const int32_t *b, uint8_t *y) { COMPARE_BODY }
#undef TA
#define TA int64_t
static int binary_i64(BIN_ARGS, const int64_t *a, const int64_t *b, int64_t *y) {
    BINARY_BODY(v == 0 ? 0 : (v == -1 ? -u : u / v), (int64_t)pow((double)u, (double)v))
}
static int compare_i64(BIN_ARGS, const int64_t *a, const int64_t *b, uint8_t *y) { COMPARE_BODY }
#undef TA
#define TA uint8_t
static int logical_bool(BIN_ARGS, const uint8_t *a, const uint8_t *b, uint8_t *y) {
    switch (op) {
    case 7: { FOR_ROWS(ROW(u && v)) break; }
    case 8: { FOR_ROWS(ROW(u || v)) break; }
    case 10: { FOR_ROWS(ROW(u == v)) break; }
    case 11: { FOR_ROWS(ROW(u != v)) break; }
    default: return -1;
    }
    return 0;
}
#undef TA

int dlc_binary(int dtype, int op, int rank, const int64_t *shape, const int64_t *sa, const int64_t *sb,
               const void *a, const void *b, void *y) {
    if (rank > DLC_MAX_RANK) return -1;
    if (op >= 10 && dtype != DLC_BOOL) {
        switch (dtype) {
        case DLC_F32: return compare_f32(op, rank, shape, sa, sb, a, b, y);
        case DLC_F64: return compare_f64(op, rank, shape, sa, sb, a, b, y);
        case DLC_I32: return compare_i32(op, rank, shape, sa, sb, a, b, y);
        case DLC_I64: return compare_i64(op, rank, shape, sa, sb, a, b, y);
        }
        return -1;
    }
    switch (dtype) {
    case DLC_F32: return binary_f32(op, rank, shape, sa, sb, a, b, y);
    case DLC_F64: return binary_f64(op, rank, shape, sa, sb, a, b, y);
    case DLC_I32: return binary_i32(op, rank, shape, sa, sb, a, b, y);
    case DLC_I64: return binary_i64(op, rank, shape, sa, sb, a, b, y);
    case DLC_BOOL: return logical_bool(op, rank, shape, sa, sb, a, b, y);
    }
    return -1;
}
