// The instruction set of the fused elementwise kernels (fused.c, fused_multi.c): RUN_PROGRAM
// evaluates a program's instructions over one tile of registers. Bool values inside a program
// are 0/1 in the program's float type.
#ifndef DLC_FUSED_PROGRAM_H
#define DLC_FUSED_PROGRAM_H
#include "CKernels.h"
#include "kernel_math.h"
#include <math.h>
#include <string.h>

#define TILE DLC_FUSED_TILE

#define L1(expr) for (int64_t k = 0; k < n; k++) { __typeof__(y[0]) x = a[k]; y[k] = (__typeof__(y[0]))(expr); } break;
#define L2(expr) for (int64_t k = 0; k < n; k++) { __typeof__(y[0]) u = a[k], v = b[k]; y[k] = (__typeof__(y[0]))(expr); } break;

// Runs the program over the n elements of the registers reg[] (nin inputs, nconst constants,
// one per instruction); returns -1 from the enclosing function on an unknown code.
#define RUN_PROGRAM(T, F)                                                                        \
    for (int i = 0; i < ninstr; i++) {                                                           \
        const int64_t *c = code + 6 * i;                                                         \
        T *y = (T *)reg[c[2]];                                                                   \
        const T *a = reg[c[3]], *b = c[4] >= 0 ? reg[c[4]] : a, *w = c[5] >= 0 ? reg[c[5]] : a;  \
        T alpha = (T)imm[2 * i], beta = (T)imm[2 * i + 1];                                       \
        if (c[0] == 0) {                                                                         \
            switch (c[1]) {                                                                      \
            case 0: L1(-x)                                                                       \
            case 1: L1(fabs##F(x))                                                               \
            case 2: L1(dlc_exp##F(x))                                                            \
            case 3: L1(log##F(x))                                                                \
            case 4: L1(sqrt##F(x))                                                               \
            case 5: L1((T)1 / sqrt##F(x))                                                        \
            case 6: L1(x * x)                                                                    \
            case 7: L1((T)1 / x)                                                                 \
            case 8: L1(sin##F(x))                                                                \
            case 9: L1(cos##F(x))                                                                \
            case 10: L1(dlc_tanh##F(x))                                                          \
            case 11: L1(dlc_sigmoid##F(x))                                                       \
            case 12: L1(x > 0 || x != x ? x : 0)                                                \
            case 13: if (alpha != 0) { L1(dlc_gelu_tanh##F(x)) } else { L1(dlc_gelu_exact##F(x)) }  \
            case 14: L1((T)dlc_softplus(x))                                                        \
            case 15: L1((T)((x > 0) - (x < 0)))                                                  \
            case 16: L1(floor##F(x))                                                             \
            case 17: L1(ceil##F(x))                                                              \
            case 18: L1(rint##F(x))                                                              \
            case 19: L1((T)(x == 0))                                                             \
            case 20: L1(x > 0 ? x : alpha * x)                                                   \
            case 21: L1(x > 0 ? x : alpha * (dlc_exp##F(x) - 1))                                 \
            case 22: L1(x < alpha ? alpha : (x > beta ? beta : x))                               \
            case 23: L1(x)                                                                       \
            case 24: L1((T)(x != 0))                                                             \
            default: return -1;                                                                  \
            }                                                                                    \
        } else if (c[0] == 1) {                                                                  \
            switch (c[1]) {                                                                      \
            case 0: L2(u + v)                                                                    \
            case 1: L2(u - v)                                                                    \
            case 2: L2(u * v)                                                                    \
            case 3: L2(u / v)                                                                    \
            case 4: L2(pow##F(u, v))                                                             \
            case 5: L2(u > v || u != u ? u : v)                                                  \
            case 6: L2(u < v || u != u ? u : v)                                                  \
            case 7: L2((T)(u != 0 && v != 0))                                                    \
            case 8: L2((T)(u != 0 || v != 0))                                                    \
            case 10: L2((T)(u == v))                                                             \
            case 11: L2((T)(u != v))                                                             \
            case 12: L2((T)(u < v))                                                              \
            case 13: L2((T)(u <= v))                                                             \
            case 14: L2((T)(u > v))                                                              \
            case 15: L2((T)(u >= v))                                                             \
            default: return -1;                                                                  \
            }                                                                                    \
        } else if (c[0] == 2) {                                                                  \
            for (int64_t k = 0; k < n; k++) y[k] = a[k] != 0 ? b[k] : w[k];                      \
        } else return -1;                                                                        \
    }

#endif
