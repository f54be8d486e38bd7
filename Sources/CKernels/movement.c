// Data movement: strided N-d copies (transpose, slice, broadcast, concat, pad, split are all
// one strided copy each), gather, one_hot, where, cast and fill. The strided copy walks the
// shape with an odometer and moves the last dimension in one memcpy when both sides are
// contiguous there.
#include "CKernels.h"
#include <string.h>

#define ODOMETER(STEP_BODY)                                                                      \
    int64_t inner = rank > 0 ? shape[rank - 1] : 1, rows = 1;                                    \
    for (int d = 0; d + 1 < rank; d++) rows *= shape[d];                                         \
    int64_t idx[DLC_MAX_RANK] = {0};                                                             \
    for (int64_t r = 0; r < rows; r++) {                                                         \
        STEP_BODY                                                                                \
        for (int d = rank - 2; d >= 0; d--) {                                                    \
            idx[d]++; ADVANCE(d, 1);                                                             \
            if (idx[d] < shape[d]) break;                                                        \
            ADVANCE(d, -shape[d]); idx[d] = 0;                                                   \
        }                                                                                        \
    }

#define COPY_ROWS(T)                                                                             \
    {                                                                                            \
        const T *s = (const T *)src; T *t = (T *)dst;                                            \
        int64_t is = rank > 0 ? ss[rank - 1] : 0, it = rank > 0 ? ds[rank - 1] : 0;              \
        int64_t ps = sOff, pt = dOff;                                                            \
        ODOMETER(                                                                                \
            if (is == 1 && it == 1) memcpy(t + pt, s + ps, (size_t)inner * sizeof(T));           \
            else for (int64_t i = 0; i < inner; i++) t[pt + i * it] = s[ps + i * is];            \
        )                                                                                        \
    }
#define ADVANCE(d, k) (ps += (k) * ss[d], pt += (k) * ds[d])

void dlc_strided_copy(int elem, int rank, const int64_t *shape, const void *src, int64_t sOff, const int64_t *ss,
                      void *dst, int64_t dOff, const int64_t *ds) {
    switch (elem) {
    case 1: COPY_ROWS(uint8_t) break;
    case 2: COPY_ROWS(uint16_t) break;
    case 4: COPY_ROWS(uint32_t) break;
    default: COPY_ROWS(uint64_t) break;
    }
}
#undef ADVANCE

#define WHERE_ROWS(T)                                                                            \
    {                                                                                            \
        const T *pa_ = (const T *)a, *pb_ = (const T *)b; T *py = (T *)y;                        \
        int64_t ic = rank > 0 ? sc[rank - 1] : 0, ia = rank > 0 ? sa[rank - 1] : 0;              \
        int64_t ib = rank > 0 ? sb[rank - 1] : 0;                                                \
        int64_t pc = 0, pa = 0, pb = 0, yo = 0;                                                  \
        ODOMETER(                                                                                \
            for (int64_t i = 0; i < inner; i++)                                                  \
                py[yo + i] = cond[pc + i * ic] ? pa_[pa + i * ia] : pb_[pb + i * ib];            \
            yo += inner;                                                                         \
        )                                                                                        \
    }
#define ADVANCE(d, k) (pc += (k) * sc[d], pa += (k) * sa[d], pb += (k) * sb[d])

void dlc_where(int elem, int rank, const int64_t *shape, const int64_t *sc, const int64_t *sa, const int64_t *sb,
               const uint8_t *cond, const void *a, const void *b, void *y) {
    switch (elem) {
    case 1: WHERE_ROWS(uint8_t) break;
    case 4: WHERE_ROWS(uint32_t) break;
    default: WHERE_ROWS(uint64_t) break;
    }
}
#undef ADVANCE

static int64_t index_at(int idxType, const void *idx, int64_t j) {
    return idxType == DLC_I32 ? (int64_t)((const int32_t *)idx)[j] : ((const int64_t *)idx)[j];
}

int dlc_gather(int elem, int64_t outer, int64_t axisLen, int64_t inner, const void *x,
               int idxType, int64_t nIdx, const void *idx, void *y) {
    const char *s = x; char *t = y;
    size_t row = (size_t)inner * (size_t)elem;
    for (int64_t j = 0; j < nIdx; j++) {
        int64_t k = index_at(idxType, idx, j);
        if (k < 0) k += axisLen;
        if (k < 0 || k >= axisLen) return -1;
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < nIdx; j++) {
            int64_t k = index_at(idxType, idx, j);
            if (k < 0) k += axisLen;
            memcpy(t + ((size_t)(o * nIdx + j)) * row, s + ((size_t)(o * axisLen + k)) * row, row);
        }
    return 0;
}

void dlc_one_hot(int idxType, int64_t n, int64_t depth, const void *idx, float *y) {
    memset(y, 0, (size_t)(n * depth) * sizeof(float));
    for (int64_t j = 0; j < n; j++) {
        int64_t k = index_at(idxType, idx, j);
        if (k >= 0 && k < depth) y[j * depth + k] = 1.0f;
    }
}

static double load(int t, const void *x, int64_t i) {
    switch (t) {
    case DLC_F32: return ((const float *)x)[i];
    case DLC_F64: return ((const double *)x)[i];
    case DLC_I32: return ((const int32_t *)x)[i];
    case DLC_I64: return (double)((const int64_t *)x)[i];
    default: return ((const uint8_t *)x)[i] ? 1.0 : 0.0;
    }
}

static void store(int t, void *y, int64_t i, double v) {
    switch (t) {
    case DLC_F32: ((float *)y)[i] = (float)v; break;
    case DLC_F64: ((double *)y)[i] = v; break;
    case DLC_I32: ((int32_t *)y)[i] = v != v ? 0 : (v >= 2147483647.0 ? INT32_MAX : (v <= -2147483648.0 ? INT32_MIN : (int32_t)v)); break;
    case DLC_I64: ((int64_t *)y)[i] = v != v ? 0 : (v >= 9.2233720368547758e18 ? INT64_MAX : (v <= -9.2233720368547758e18 ? INT64_MIN : (int64_t)v)); break;
    default: ((uint8_t *)y)[i] = v != 0; break;
    }
}

void dlc_cast(int from, int to, int64_t n, const void *x, void *y) {
    if (from == DLC_F32 && to == DLC_F64) { for (int64_t i = 0; i < n; i++) ((double *)y)[i] = ((const float *)x)[i]; return; }
    if (from == DLC_F64 && to == DLC_F32) { for (int64_t i = 0; i < n; i++) ((float *)y)[i] = (float)((const double *)x)[i]; return; }
    if (from == DLC_I64 && to == DLC_I64) { memmove(y, x, (size_t)n * 8); return; }
    // Masks (relu's and dropout's gradients): bool to float, branch-free so it vectorizes.
    if (from == DLC_BOOL && to == DLC_F32) { for (int64_t i = 0; i < n; i++) ((float *)y)[i] = ((const uint8_t *)x)[i] != 0; return; }
    if (from == DLC_BOOL && to == DLC_F64) { for (int64_t i = 0; i < n; i++) ((double *)y)[i] = ((const uint8_t *)x)[i] != 0; return; }
    if (from == DLC_I64) { for (int64_t i = 0; i < n; i++) { int64_t v = ((const int64_t *)x)[i]; if (to == DLC_I32) ((int32_t *)y)[i] = (int32_t)(v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v)); else store(to, y, i, (double)v); } return; }
    for (int64_t i = 0; i < n; i++) store(to, y, i, load(from, x, i));
}

void dlc_fill(int dtype, int64_t n, double value, void *y) {
    for (int64_t i = 0; i < n; i++) store(dtype, y, i, value);
}
