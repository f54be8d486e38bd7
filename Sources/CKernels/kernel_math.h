// What the C kernels share: the target clones of their hot entry points, and the
// activations whose one expression the unfused kernels (elementwise.c), the fused programs
// (fused_program.h) and the matmul epilogue (epilogue.c) all use, so that fused and unfused
// plans agree bit for bit.
#ifndef DLC_KERNEL_MATH_H
#define DLC_KERNEL_MATH_H
#include <math.h>
#include <stdint.h>
#include <string.h>

// Compiled for x86-64-v4, v3 and baseline, chosen at load time.
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

// Single-precision exp, erf and tanh without branches, so that the loops calling them
// vectorize (glibc's expf, erff and tanhf are scalar calls; clang maps only a few of them to
// libmvec). Accuracy over the float range, against the double-precision libm functions
// (KernelMathTests): exp within 1 ulp, erf and tanh within 8 ulp (4.2e-7 absolute).

// e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by Cephes' degree-6 polynomial, 2^n applied in
// two halves so that results in the subnormal range come out right. Overflow gives +inf, underflow 0, NaN stays NaN.
static inline float dlc_expf(float x) {
    float c = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);           // NaN passes through
    float n = rintf(c * 1.44269504088896341f);
    float r = c - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    float nc = n != n ? 0.0f : n;                                           // NaN: any finite scale
    int32_t n1 = (int32_t)nc / 2, n2 = (int32_t)nc - n1;
    int32_t b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, 4); memcpy(&s2, &b2, 4);
    float y = p * s1 * s2;
    return x > 88.72283935546875f ? INFINITY : y;
}

// c·P(c²)/Q(c²) (np and nq coefficients, from the highest power, evaluated by Horner's rule),
// kept within [-1, 1]: the odd rational form of the erf and tanh below.
static inline float dlc_odd_rational_unitf(float c, const float *p, int np, const float *q, int nq) {
    float x2 = c * c;
    float pp = p[0];
    for (int i = 1; i < np; i++) pp = pp * x2 + p[i];
    float qq = q[0];
    for (int i = 1; i < nq; i++) qq = qq * x2 + q[i];
    float y = c * pp / qq;
    return y > 1.0f ? 1.0f : (y < -1.0f ? -1.0f : y);
}

// erf(x) in single precision: x·P(x²)/Q(x²) on [-4, 4], the rational approximation of Eigen
// and XLA, kept within [-1, 1] and exactly ±1 from 3.92 on (where float's erf is ±1).
static inline float dlc_erff(float x) {
    static const float p[7] = {-2.72614225801306e-10f, 2.77068142495902e-08f, -2.10102402082508e-06f, -5.69250639462346e-05f,
                               -7.34990630326855e-04f, -2.95459980854025e-03f, -1.60960333262415e-02f};
    static const float q[5] = {-1.45660718464996e-05f, -2.13374055278905e-04f, -1.68282697438203e-03f, -7.37332916720468e-03f,
                               -1.42647390514189e-02f};
    float y = dlc_odd_rational_unitf(x < -4.0f ? -4.0f : (x > 4.0f ? 4.0f : x), p, 7, q, 5);
    return fabsf(x) >= 3.92f ? copysignf(1.0f, x) : y;                      // erf rounds to ±1
}

// tanh(x) in single precision: x·P(x²)/Q(x²) on [-7.9, 7.9] (Eigen's), kept within [-1, 1],
// exactly ±1 from 9 on (where float's tanh is ±1) and x itself below 4e-4.
static inline float dlc_tanhf(float x) {
    static const float p[7] = {-2.76076847742355e-16f, 2.00018790482477e-13f, -8.60467152213735e-11f, 5.12229709037114e-08f,
                               1.48572235717979e-05f, 6.37261928875436e-04f, 4.89352455891786e-03f};
    static const float q[4] = {1.19825839466702e-06f, 1.18534705686654e-04f, 2.26843463243900e-03f, 4.89352518554385e-03f};
    const float bound = 7.90531110763549805f;
    float y = dlc_odd_rational_unitf(x < -bound ? -bound : (x > bound ? bound : x), p, 7, q, 4);
    y = fabsf(x) >= 9.0f ? copysignf(1.0f, x) : y;                          // tanh rounds to ±1
    return fabsf(x) < 0.0004f ? x : y;
}

// The activations, in float (`…f`, from the functions above) and double (libm), so that the
// kernels' type-generic macros can name them as dlc_exp##F and so on.
static inline double dlc_exp(double x) { return exp(x); }
static inline double dlc_tanh(double x) { return tanh(x); }
static inline float dlc_sigmoidf(float x) { return 1.0f / (1.0f + dlc_expf(-x)); }
static inline double dlc_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static inline float dlc_gelu_exactf(float x) { return 0.5f * x * (1.0f + dlc_erff(x * 0.70710678118654752f)); }
static inline double dlc_gelu_exact(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }
static inline float dlc_gelu_tanhf(float x) {
    return 0.5f * x * (1.0f + dlc_tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
}
static inline double dlc_gelu_tanh(double x) {
    return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}
static inline double dlc_softplus(double x) { return (x > 0 ? x : 0) + log1p(exp(-fabs(x))); }
#endif
