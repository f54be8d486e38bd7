// Losses: mean softmax cross-entropy (class-index or probability labels, computed through a
// max-shifted log-sum-exp), the pair losses of DLCOps, and weight penalties. All accumulate
// in double and write one scalar.
#include "CKernels.h"
#include <math.h>

static double ld(int t, const void *p, int64_t i) {
    return t == DLC_F32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}
static void st(int t, void *p, double v) {
    if (t == DLC_F32) *(float *)p = (float)v; else *(double *)p = v;
}

int dlc_cross_entropy(int dtype, int labelType, int64_t n, int64_t c, const void *logits, const void *labels, void *y) {
    if (dtype != DLC_F32 && dtype != DLC_F64) return -1;
    double total = 0;
    for (int64_t r = 0; r < n; r++) {
        double m = -INFINITY;
        for (int64_t j = 0; j < c; j++) { double v = ld(dtype, logits, r * c + j); if (v > m) m = v; }
        double s = 0;
        for (int64_t j = 0; j < c; j++) s += exp(ld(dtype, logits, r * c + j) - m);
        double lse = m + log(s);
        if (labelType == DLC_I32 || labelType == DLC_I64) {
            int64_t k = labelType == DLC_I32 ? ((const int32_t *)labels)[r] : ((const int64_t *)labels)[r];
            if (k < 0 || k >= c) return -1;
            total += lse - ld(dtype, logits, r * c + k);
        } else {
            for (int64_t j = 0; j < c; j++) total -= ld(labelType, labels, r * c + j) * (ld(dtype, logits, r * c + j) - lse);
        }
    }
    st(dtype, y, n > 0 ? total / (double)n : 0);
    return 0;
}

int dlc_nll_loss(int dtype, int labelType, int64_t n, int64_t c, const void *lp, const void *labels, void *y) {
    if (dtype != DLC_F32 && dtype != DLC_F64) return -1;
    double total = 0;
    for (int64_t r = 0; r < n; r++) {
        int64_t k = labelType == DLC_I32 ? ((const int32_t *)labels)[r] : ((const int64_t *)labels)[r];
        if (k < 0 || k >= c) return -1;
        total -= ld(dtype, lp, r * c + k);
    }
    st(dtype, y, n > 0 ? total / (double)n : 0);
    return 0;
}

int dlc_pair_loss(int dtype, int op, int64_t n, int64_t rows, const void *a, const void *b, void *y) {
    if (dtype != DLC_F32 && dtype != DLC_F64) return -1;
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        double u = ld(dtype, a, i), v = ld(dtype, b, i);
        switch (op) {
        case 0: s += (u - v) * (u - v); break;
        case 1: s += fabs(u - v); break;
        case 2: { double lp = log(u), lq = log(1 - u);
                  s -= v * (lp < -100 ? -100 : lp) + (1 - v) * (lq < -100 ? -100 : lq); break; }
        case 3: s += (u > 0 ? u : 0) - u * v + log1p(exp(-fabs(u))); break;
        case 4: s += v > 0 ? v * (log(v) - u) : (v == 0 ? 0 : NAN); break;
        case 5: s += -0.5 * (1 + v - u * u - exp(v)); break;
        default: return -1;
        }
    }
    double d = op == 5 ? (double)(rows > 0 ? rows : 1) : (double)(n > 0 ? n : 1);
    st(dtype, y, s / d);
    return 0;
}

int dlc_penalty(int dtype, int op, int64_t n, const void *x, void *y) {
    if (dtype != DLC_F32 && dtype != DLC_F64) return -1;
    double s = 0;
    for (int64_t i = 0; i < n; i++) { double v = ld(dtype, x, i); s += op == 0 ? fabs(v) : v * v; }
    st(dtype, y, s);
    return 0;
}
