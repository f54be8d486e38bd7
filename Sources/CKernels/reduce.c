// Reductions and normalizations. Sums accumulate in double (integers in int64) so results
// match a double-precision reference closely. A reduction walks the kept dimensions with an
// odometer and, for each output element, the reduced dimensions with a second one; plans
// order both so that the innermost reduced stride is the smallest. Softmax, argmax and the
// norms work on [outer, n, inner] views, so any axis needs no transpose.
#include "CKernels.h"
#include "kernel_math.h"
#include <math.h>
#include <stdlib.h>

// The sum of a contiguous run in eight independent partial sums (a loop the compiler
// vectorizes; one accumulator would wait for each addition before the next).
#define SUM_RUN(T, ACC)                                                                          \
    CLONES static ACC sum_run_##T(const T *p, int64_t n) {                                       \
        ACC part[8] = {0};                                                                       \
        int64_t i = 0;                                                                           \
        for (; i + 8 <= n; i += 8)                                                               \
            for (int l = 0; l < 8; l++) part[l] += (ACC)p[i + l];                                \
        for (; i < n; i++) part[0] += (ACC)p[i];                                                 \
        return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7])); \
    }
SUM_RUN(float, double)
SUM_RUN(double, double)
SUM_RUN(int32_t, int64_t)
SUM_RUN(int64_t, int64_t)

#define REDUCE(T, ACC, INIT_MAX, INIT_MIN)                                                       \
    {                                                                                            \
        const T *x = xv; T *y = yv;                                                              \
        int64_t outCount = 1, redCount = 1;                                                      \
        for (int d = 0; d < keptRank; d++) outCount *= keptShape[d];                             \
        for (int d = 0; d < redRank; d++) redCount *= redShape[d];                               \
        int64_t ki[DLC_MAX_RANK] = {0}, kOff = 0;                                                \
        for (int64_t o = 0; o < outCount; o++) {                                                 \
            ACC acc = op == 2 ? (ACC)(INIT_MAX) : (op == 3 ? (ACC)(INIT_MIN) : (op == 4 ? 1 : 0)); \
            int64_t ri[DLC_MAX_RANK] = {0}, rOff = 0;                                            \
            int64_t inner = redRank > 0 ? redShape[redRank - 1] : 1;                             \
            int64_t is = redRank > 0 ? redStrides[redRank - 1] : 0;                              \
            for (int64_t r = 0; r < redCount; r += inner) {                                      \
                const T *p = x + kOff + rOff;                                                    \
                switch (op) {                                                                    \
                case 0: case 1:                                                                  \
                    if (is == 1) acc += sum_run_##T(p, inner);                                   \
                    else for (int64_t i = 0; i < inner; i++) acc += (ACC)p[i * is];              \
                    break;                                                                       \
                case 2: for (int64_t i = 0; i < inner; i++) { ACC v = (ACC)p[i * is]; if (v > acc || v != v) acc = v; } break; \
                case 3: for (int64_t i = 0; i < inner; i++) { ACC v = (ACC)p[i * is]; if (v < acc || v != v) acc = v; } break; \
                default: for (int64_t i = 0; i < inner; i++) acc *= (ACC)p[i * is]; break;       \
                }                                                                                \
                for (int d = redRank - 2; d >= 0; d--) {                                         \
                    ri[d]++; rOff += redStrides[d];                                              \
                    if (ri[d] < redShape[d]) break;                                              \
                    rOff -= redStrides[d] * redShape[d]; ri[d] = 0;                              \
                }                                                                                \
            }                                                                                    \
            y[o] = (T)(op == 1 ? acc / (ACC)(redCount > 0 ? redCount : 1) : acc);                \
            for (int d = keptRank - 1; d >= 0; d--) {                                            \
                ki[d]++; kOff += keptStrides[d];                                                 \
                if (ki[d] < keptShape[d]) break;                                                 \
                kOff -= keptStrides[d] * keptShape[d]; ki[d] = 0;                                \
            }                                                                                    \
        }                                                                                        \
        return 0;                                                                                \
    }

// A sum or mean over leading axes of a contiguous block (the bias and layer-norm gradients:
// [N, T, E] summed over N and T; per-batch weight gradients [N, out, in] summed over N): rather than one strided walk per output element, each
// reduced position adds its whole row of kept elements into double accumulators, a loop
// that vectorizes and reads memory in order.
#define REDUCE_ROWS(T)                                                                           \
    {                                                                                            \
        const T *x = xv; T *y = yv;                                                              \
        int64_t k = 1, redCount = 1;                                                             \
        for (int d = 0; d < keptRank; d++) k *= keptShape[d];                                    \
        for (int d = 0; d < redRank; d++) redCount *= redShape[d];                               \
        double *acc = calloc((size_t)k, sizeof(double));                                         \
        if (!acc) return -1;                                                                     \
        int64_t ri[DLC_MAX_RANK] = {0}, rOff = 0;                                                \
        for (int64_t r = 0; r < redCount; r++) {                                                 \
            const T *p = x + rOff;                                                               \
            for (int64_t i = 0; i < k; i++) acc[i] += (double)p[i];                              \
            for (int d = redRank - 1; d >= 0; d--) {                                             \
                ri[d]++; rOff += redStrides[d];                                                  \
                if (ri[d] < redShape[d]) break;                                                  \
                rOff -= redStrides[d] * redShape[d]; ri[d] = 0;                                  \
            }                                                                                    \
        }                                                                                        \
        double scale = op == 1 ? 1.0 / (double)(redCount > 0 ? redCount : 1) : 1.0;              \
        for (int64_t i = 0; i < k; i++) y[i] = (T)(acc[i] * scale);                              \
        free(acc);                                                                               \
        return 0;                                                                                \
    }

CLONES static int reduce_rows_f32(int op, int keptRank, const int64_t *keptShape, int redRank, const int64_t *redShape,
                                  const int64_t *redStrides, const void *xv, void *yv) REDUCE_ROWS(float)
CLONES static int reduce_rows_f64(int op, int keptRank, const int64_t *keptShape, int redRank, const int64_t *redShape,
                                  const int64_t *redStrides, const void *xv, void *yv) REDUCE_ROWS(double)

int dlc_reduce(int dtype, int op, int keptRank, const int64_t *keptShape, const int64_t *keptStrides,
               int redRank, const int64_t *redShape, const int64_t *redStrides, const void *xv, void *yv) {
    if (keptRank > DLC_MAX_RANK || redRank > DLC_MAX_RANK) return -1;
    // Rows: the kept axes are one contiguous row-major block, every reduced stride past it.
    int64_t block = 1;
    int rows = (op == 0 || op == 1) && keptRank > 0 && redRank > 0;
    for (int d = keptRank - 1; rows && d >= 0; d--) {
        rows = keptStrides[d] == block || keptShape[d] == 1;
        block *= keptShape[d];
    }
    rows = rows && block >= 8;
    for (int d = 0; rows && d < redRank; d++) rows = redStrides[d] >= block || redShape[d] == 1;
    if (rows && dtype == DLC_F32) return reduce_rows_f32(op, keptRank, keptShape, redRank, redShape, redStrides, xv, yv);
    if (rows && dtype == DLC_F64) return reduce_rows_f64(op, keptRank, keptShape, redRank, redShape, redStrides, xv, yv);
    switch (dtype) {
    case DLC_F32: REDUCE(float, double, -INFINITY, INFINITY)
    case DLC_F64: REDUCE(double, double, -INFINITY, INFINITY)
    case DLC_I32: REDUCE(int32_t, int64_t, INT32_MIN, INT32_MAX)
    case DLC_I64: REDUCE(int64_t, int64_t, INT64_MIN, INT64_MAX)
    }
    return -1;
}

#define ARGREDUCE(T)                                                                             \
    {                                                                                            \
        const T *x = xv;                                                                         \
        for (int64_t o = 0; o < outer; o++)                                                      \
            for (int64_t i = 0; i < inner; i++) {                                                \
                const T *p = x + o * n * inner + i;                                              \
                int64_t best = 0; T bv = p[0];                                                   \
                for (int64_t j = 1; j < n; j++) {                                                \
                    T v = p[j * inner];                                                          \
                    if (bv != bv) break;                                                         \
                    if (isMax ? (v > bv || v != v) : (v < bv || v != v)) { bv = v; best = j; }   \
                }                                                                                \
                y[o * inner + i] = best;                                                         \
            }                                                                                    \
        return 0;                                                                                \
    }

int dlc_argreduce(int dtype, int isMax, int64_t outer, int64_t n, int64_t inner, const void *xv, int64_t *y) {
    switch (dtype) {
    case DLC_F32: ARGREDUCE(float)
    case DLC_F64: ARGREDUCE(double)
    case DLC_I32: ARGREDUCE(int32_t)
    case DLC_I64: ARGREDUCE(int64_t)
    }
    return -1;
}

#define SOFTMAX(T, EXP, LOG)                                                                     \
    {                                                                                            \
        const T *x = xv; T *y = yv;                                                              \
        for (int64_t o = 0; o < outer; o++)                                                      \
            for (int64_t i = 0; i < inner; i++) {                                                \
                const T *p = x + o * n * inner + i; T *q = y + o * n * inner + i;                \
                T m = p[0];                                                                      \
                for (int64_t j = 1; j < n; j++) if (p[j * inner] > m) m = p[j * inner];          \
                double s = 0;                                                                    \
                for (int64_t j = 0; j < n; j++) { T e = EXP(p[j * inner] - m); s += e; if (!isLog) q[j * inner] = e; } \
                if (isLog) { T ls = (T)log(s); for (int64_t j = 0; j < n; j++) q[j * inner] = p[j * inner] - m - ls; } \
                else { T r = (T)(1.0 / s); for (int64_t j = 0; j < n; j++) q[j * inner] *= r; }  \
            }                                                                                    \
        return 0;                                                                                \
    }

CLONES static int softmax_f32(int isLog, int64_t outer, int64_t n, int64_t inner, const void *xv, void *yv) { SOFTMAX(float, dlc_expf, logf) }
static int softmax_f64(int isLog, int64_t outer, int64_t n, int64_t inner, const void *xv, void *yv) { SOFTMAX(double, exp, log) }

int dlc_softmax(int dtype, int isLog, int64_t outer, int64_t n, int64_t inner, const void *x, void *y) {
    if (dtype == DLC_F32) return softmax_f32(isLog, outer, n, inner, x, y);
    if (dtype == DLC_F64) return softmax_f64(isLog, outer, n, inner, x, y);
    return -1;
}

// The sum of squared deviations from `mean` over a contiguous run, in eight partial sums as
// sum_run.
#define SQUARED_DEVIATIONS_RUN(T)                                                                \
    CLONES static double squared_deviations_##T(const T *p, int64_t n, double mean) {            \
        double part[8] = {0};                                                                    \
        int64_t i = 0;                                                                           \
        for (; i + 8 <= n; i += 8)                                                               \
            for (int l = 0; l < 8; l++) { double d = p[i + l] - mean; part[l] += d * d; }        \
        for (; i < n; i++) { double d = p[i] - mean; part[0] += d * d; }                         \
        return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7])); \
    }
SQUARED_DEVIATIONS_RUN(float)
SQUARED_DEVIATIONS_RUN(double)

#define LAYER_NORM(T)                                                                            \
    {                                                                                            \
        const T *x = xv, *w = wv, *b = bv; T *y = yv;                                            \
        for (int64_t r = 0; r < rows; r++) {                                                     \
            const T *p = x + r * n; T *q = y + r * n;                                            \
            double mean = sum_run_##T(p, n) / (double)n;                                         \
            double inv = 1.0 / sqrt(squared_deviations_##T(p, n, mean) / (double)n + eps);       \
            for (int64_t j = 0; j < n; j++) {                                                    \
                double v = (p[j] - mean) * inv;                                                  \
                if (w) v *= w[j];                                                                \
                if (b) v += b[j];                                                                \
                q[j] = (T)v;                                                                     \
            }                                                                                    \
        }                                                                                        \
        return 0;                                                                                \
    }

#define LAYER_NORM_ARGS int64_t rows, int64_t n, const void *xv, const void *wv, const void *bv, double eps, void *yv
CLONES static int layer_norm_f32(LAYER_NORM_ARGS) { LAYER_NORM(float) }
static int layer_norm_f64(LAYER_NORM_ARGS) { LAYER_NORM(double) }

int dlc_layer_norm(int dtype, int64_t rows, int64_t n, const void *xv, const void *wv, const void *bv, double eps, void *yv) {
    if (dtype == DLC_F32) return layer_norm_f32(rows, n, xv, wv, bv, eps, yv);
    if (dtype == DLC_F64) return layer_norm_f64(rows, n, xv, wv, bv, eps, yv);
    return -1;
}

#define BATCH_NORM(T)                                                                            \
    {                                                                                            \
        const T *x = xv, *w = wv, *b = bv, *rm = mv, *rv = vv; T *y = yv;                        \
        for (int64_t ch = 0; ch < c; ch++) {                                                     \
            double mean = rm[ch], var = rv[ch];                                                  \
            if (useBatch) {                                                                      \
                double s = 0, ss = 0, cnt = (double)(n * sp);                                    \
                for (int64_t i = 0; i < n; i++) for (int64_t j = 0; j < sp; j++) s += x[(i * c + ch) * sp + j]; \
                mean = s / cnt;                                                                  \
                for (int64_t i = 0; i < n; i++) for (int64_t j = 0; j < sp; j++) {               \
                    double d = x[(i * c + ch) * sp + j] - mean; ss += d * d; }                   \
                var = ss / cnt;                                                                  \
            }                                                                                    \
            double scale = w[ch] / sqrt(var + eps), shift = b[ch] - mean * scale;                \
            for (int64_t i = 0; i < n; i++) for (int64_t j = 0; j < sp; j++) {                   \
                int64_t k = (i * c + ch) * sp + j; y[k] = (T)(x[k] * scale + shift); }           \
        }                                                                                        \
        return 0;                                                                                \
    }

int dlc_batch_norm(int dtype, int useBatch, int64_t n, int64_t c, int64_t sp, const void *xv, const void *wv,
                   const void *bv, const void *mv, const void *vv, double eps, void *yv) {
    if (dtype == DLC_F32) BATCH_NORM(float)
    if (dtype == DLC_F64) BATCH_NORM(double)
    return -1;
}

#define LRN(T)                                                                                   \
    {                                                                                            \
        const T *x = xv; T *y = yv;                                                              \
        int64_t lo = size / 2, hi = (size - 1) / 2;                                              \
        for (int64_t i = 0; i < n; i++) for (int64_t ch = 0; ch < c; ch++) for (int64_t j = 0; j < sp; j++) { \
            double s = 0;                                                                        \
            for (int64_t q = ch - lo; q <= ch + hi; q++) if (q >= 0 && q < c) {                  \
                double v = x[(i * c + q) * sp + j]; s += v * v; }                                \
            int64_t idx = (i * c + ch) * sp + j;                                                 \
            y[idx] = (T)(x[idx] / pow(k + alpha * s / (double)size, beta));                      \
        }                                                                                        \
        return 0;                                                                                \
    }

int dlc_lrn(int dtype, int64_t n, int64_t c, int64_t sp, int64_t size, double alpha, double beta, double k,
            const void *xv, void *yv) {
    if (dtype == DLC_F32) LRN(float)
    if (dtype == DLC_F64) LRN(double)
    return -1;
}

// Lanes summed side by side: a row of a channels-innermost layout at a time (8 or 16 wide, a
// vector of the compiler's choosing), in double like the other sums.
#define CHANNEL_SUM(T, L)                                                                        \
    {                                                                                            \
        double acc[L] = {0};                                                                     \
        const T *x = xv;                                                                         \
        for (int64_t r = 0; r < rows; r++, x += rowLength)                                       \
            for (int l = 0; l < L; l++) acc[l] += (double)x[l];                                  \
        for (int64_t c = 0; c < channels; c++) ((T *)yv)[c] = (T)(acc[c] * scale);               \
        return 0;                                                                                \
    }

CLONES static void channel_sum_lanes(int64_t rows, int64_t lanes, const float *x, double *acc) {
    for (int64_t r = 0; r < rows; r++, x += lanes)
        for (int64_t l = 0; l < lanes; l++) acc[l] += (double)x[l];
}

CLONES static int channel_sum_f32_8(int64_t rows, int64_t rowLength, int64_t channels, double scale, const void *xv, void *yv)
    CHANNEL_SUM(float, 8)
CLONES static int channel_sum_f32_16(int64_t rows, int64_t rowLength, int64_t channels, double scale, const void *xv, void *yv)
    CHANNEL_SUM(float, 16)

int dlc_channel_sum(int dtype, int isMean, int64_t rows, int64_t rowLength, int64_t channels, const void *xv, void *yv) {
    if (dtype != DLC_F32 || channels > rowLength || rowLength <= 0) return -1;
    double scale = isMean ? 1.0 / (double)(rows > 0 ? rows : 1) : 1.0;
    if (rowLength == 8) return channel_sum_f32_8(rows, rowLength, channels, scale, xv, yv);
    if (rowLength == 16) return channel_sum_f32_16(rows, rowLength, channels, scale, xv, yv);
    // Other row lengths (NHWC with 6 channels): k rows at a time as one wider row of at least
    // 16 lanes, folded back to the channels at the end.
    int64_t k = 1;
    while (rowLength * k < 16 && rows % (2 * k) == 0) k *= 2;
    int64_t lanes = rowLength * k;
    double *acc = calloc((size_t)lanes, sizeof(double));
    if (!acc) return -1;
    channel_sum_lanes(rows / k, lanes, (const float *)xv, acc);
    for (int64_t c = 0; c < channels; c++) {
        double total = 0;
        for (int64_t j = 0; j < k; j++) total += acc[j * rowLength + c];
        ((float *)yv)[c] = (float)(total * scale);
    }
    free(acc);
    return 0;
}

int dlc_mean_rows(int dtype, int64_t rows, int64_t s, const void *xv, void *yv) {
    for (int64_t r = 0; r < rows; r++) {
        double acc = 0;
        if (dtype == DLC_F32) { const float *p = (const float *)xv + r * s; for (int64_t j = 0; j < s; j++) acc += p[j]; ((float *)yv)[r] = (float)(acc / (double)s); }
        else if (dtype == DLC_F64) { const double *p = (const double *)xv + r * s; for (int64_t j = 0; j < s; j++) acc += p[j]; ((double *)yv)[r] = acc / (double)s; }
        else return -1;
    }
    return 0;
}
