// The fused elementwise kernel: a small program of elementwise instructions evaluated over
// the result shape in tiles of the innermost dimension. Each tile loads every operand once
// (contiguous operands are read in place, broadcast ones splatted), runs every instruction
// over the tile (registers stay in cache), and writes each result once. Bool values inside a
// program are 0/1 in the program's float type.
#include "CKernels.h"
#include <math.h>
#include <string.h>

#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define TILE DLC_FUSED_TILE

static inline double f_gelu_exact(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }
static inline double f_gelu_tanh(double x) {
    return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}
static inline double f_softplus(double x) { return (x > 0 ? x : 0) + log1p(exp(-fabs(x))); }

#define L1(expr) for (int64_t k = 0; k < n; k++) { __typeof__(y[0]) x = a[k]; y[k] = (__typeof__(y[0]))(expr); } break;
#define L2(expr) for (int64_t k = 0; k < n; k++) { __typeof__(y[0]) u = a[k], v = b[k]; y[k] = (__typeof__(y[0]))(expr); } break;

#define FUSED_BODY(T, F)                                                                          \
    int nregs = nin + nconst + ninstr;                                                            \
    T *buf = (T *)scratch;                                                                        \
    const T *reg[nregs];                                                                          \
    for (int c = 0; c < nconst; c++) {                                                            \
        T *p = buf + (int64_t)(nin + c) * TILE;                                                   \
        for (int k = 0; k < TILE; k++) p[k] = (T)consts[c];                                       \
        reg[nin + c] = p;                                                                         \
    }                                                                                             \
    for (int i = 0; i < ninstr; i++) reg[nin + nconst + i] = buf + (int64_t)(nin + nconst + i) * TILE; \
    int64_t inner = shape[rank - 1], outer = 1;                                                   \
    for (int d = 0; d < rank - 1; d++) outer *= shape[d];                                         \
    int64_t idx[DLC_MAX_RANK] = {0};                                                              \
    int64_t off[nin > 0 ? nin : 1];                                                               \
    for (int64_t o = 0; o < outer; o++) {                                                         \
        for (int i = 0; i < nin; i++) {                                                           \
            int64_t s = 0;                                                                        \
            for (int d = 0; d < rank - 1; d++) s += idx[d] * strides[i * rank + d];               \
            off[i] = s;                                                                           \
        }                                                                                         \
        for (int64_t j0 = 0; j0 < inner; j0 += TILE) {                                            \
            int64_t n = inner - j0 < TILE ? inner - j0 : TILE;                                    \
            for (int i = 0; i < nin; i++) {                                                       \
                int64_t s = strides[i * rank + rank - 1];                                         \
                const T *src = (const T *)inputs[i] + off[i];                                     \
                if (s == 1) { reg[i] = src + j0; continue; }                                      \
                T *p = buf + (int64_t)i * TILE;                                                   \
                if (s == 0) { T v = src[0]; for (int64_t k = 0; k < n; k++) p[k] = v; }           \
                else for (int64_t k = 0; k < n; k++) p[k] = src[(j0 + k) * s];                    \
                reg[i] = p;                                                                       \
            }                                                                                     \
            for (int i = 0; i < ninstr; i++) {                                                    \
                const int64_t *c = code + 6 * i;                                                  \
                T *y = (T *)reg[c[2]];                                                            \
                const T *a = reg[c[3]], *b = c[4] >= 0 ? reg[c[4]] : a, *w = c[5] >= 0 ? reg[c[5]] : a; \
                T alpha = (T)imm[2 * i], beta = (T)imm[2 * i + 1];                                \
                if (c[0] == 0) {                                                                  \
                    switch (c[1]) {                                                               \
                    case 0: L1(-x)                                                                \
                    case 1: L1(fabs##F(x))                                                        \
                    case 2: L1(exp##F(x))                                                         \
                    case 3: L1(log##F(x))                                                         \
                    case 4: L1(sqrt##F(x))                                                        \
                    case 5: L1((T)1 / sqrt##F(x))                                                 \
                    case 6: L1(x * x)                                                             \
                    case 7: L1((T)1 / x)                                                          \
                    case 8: L1(sin##F(x))                                                         \
                    case 9: L1(cos##F(x))                                                         \
                    case 10: L1(tanh##F(x))                                                       \
                    case 11: L1((T)1 / ((T)1 + exp##F(-x)))                                       \
                    case 12: L1(x > 0 ? x : 0)                                                    \
                    case 13: L1((T)(alpha != 0 ? f_gelu_tanh(x) : f_gelu_exact(x)))               \
                    case 14: L1((T)f_softplus(x))                                                 \
                    case 15: L1((T)((x > 0) - (x < 0)))                                           \
                    case 16: L1(floor##F(x))                                                      \
                    case 17: L1(ceil##F(x))                                                       \
                    case 18: L1(rint##F(x))                                                       \
                    case 19: L1((T)(x == 0))                                                      \
                    case 20: L1(x > 0 ? x : alpha * x)                                            \
                    case 21: L1(x > 0 ? x : alpha * (exp##F(x) - 1))                              \
                    case 22: L1(x < alpha ? alpha : (x > beta ? beta : x))                        \
                    case 23: L1(x)                                                                \
                    case 24: L1((T)(x != 0))                                                      \
                    default: return -1;                                                           \
                    }                                                                             \
                } else if (c[0] == 1) {                                                           \
                    switch (c[1]) {                                                               \
                    case 0: L2(u + v)                                                             \
                    case 1: L2(u - v)                                                             \
                    case 2: L2(u * v)                                                             \
                    case 3: L2(u / v)                                                             \
                    case 4: L2(pow##F(u, v))                                                      \
                    case 5: L2(u > v || u != u ? u : v)                                           \
                    case 6: L2(u < v || u != u ? u : v)                                           \
                    case 7: L2((T)(u != 0 && v != 0))                                             \
                    case 8: L2((T)(u != 0 || v != 0))                                             \
                    case 10: L2((T)(u == v))                                                      \
                    case 11: L2((T)(u != v))                                                      \
                    case 12: L2((T)(u < v))                                                       \
                    case 13: L2((T)(u <= v))                                                      \
                    case 14: L2((T)(u > v))                                                       \
                    case 15: L2((T)(u >= v))                                                      \
                    default: return -1;                                                           \
                    }                                                                             \
                } else if (c[0] == 2) {                                                           \
                    for (int64_t k = 0; k < n; k++) y[k] = a[k] != 0 ? b[k] : w[k];               \
                } else return -1;                                                                 \
            }                                                                                     \
            for (int r = 0; r < nout; r++)                                                        \
                memcpy((T *)outputs[r] + o * inner + j0, reg[out_regs[r]], (size_t)n * sizeof(T)); \
        }                                                                                         \
        for (int d = rank - 2; d >= 0; d--) {                                                     \
            if (++idx[d] < shape[d]) break;                                                       \
            idx[d] = 0;                                                                           \
        }                                                                                         \
    }                                                                                             \
    return 0;

#define FUSED_ARGS int rank, const int64_t *shape, int nin, const int64_t *strides, const void *const *inputs, \
    int nconst, const double *consts, int ninstr, const int64_t *code, const double *imm, int nout,           \
    const int64_t *out_regs, void *const *outputs, void *scratch

CLONES static int fused_f32(FUSED_ARGS) { FUSED_BODY(float, f) }
static int fused_f64(FUSED_ARGS) { FUSED_BODY(double, ) }

int dlc_fused(int dtype, FUSED_ARGS) {
    if (rank < 1 || rank > DLC_MAX_RANK) return -1;
    switch (dtype) {
    case DLC_F32: return fused_f32(rank, shape, nin, strides, inputs, nconst, consts, ninstr, code, imm, nout, out_regs, outputs, scratch);
    case DLC_F64: return fused_f64(rank, shape, nin, strides, inputs, nconst, consts, ninstr, code, imm, nout, out_regs, outputs, scratch);
    default: return -1;
    }
}
