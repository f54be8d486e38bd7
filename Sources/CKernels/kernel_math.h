// What the C kernels share: the target clones of their hot entry points, and the scalar
// activations whose one expression the unfused kernels (elementwise.c), the fused programs
// (fused_program.h) and the matmul epilogue (epilogue.c) all use, so that fused and unfused
// plans agree bit for bit.
#ifndef DLC_KERNEL_MATH_H
#define DLC_KERNEL_MATH_H
#include <math.h>

// Compiled for x86-64-v4, v3 and baseline, chosen at load time.
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

static inline double dlc_gelu_exact(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }
static inline double dlc_gelu_tanh(double x) {
    return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}
static inline double dlc_softplus(double x) { return (x > 0 ? x : 0) + log1p(exp(-fabs(x))); }
#endif
