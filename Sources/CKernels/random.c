// Counter-based random numbers. Element i of a stream with key k is a pure function of
// (k, i): SplitMix64's finalizer applied to k + (i + 1)·φ (φ = 2^64 / golden ratio). So a
// kernel may be split across threads in any way and give the same numbers. Uniforms take the
// top 24 (f32) or 53 (f64) bits; normals use Box–Muller on the counters 2i and 2i + 1.
#include "CKernels.h"
#include <math.h>

static inline uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static inline uint64_t bits(uint64_t key, uint64_t i) { return mix(key + (i + 1) * 0x9E3779B97F4A7C15ULL); }
/// Uniform in [0, 1) with 53 bits.
static inline double unit(uint64_t key, uint64_t i) { return (double)(bits(key, i) >> 11) * 0x1.0p-53; }
/// Uniform in [0, 1) with 24 bits (exactly representable in f32).
static inline float unit24(uint64_t key, uint64_t i) { return (float)(bits(key, i) >> 40) * 0x1.0p-24f; }

int dlc_random(int dtype, int kind, uint64_t key, int64_t n, double p0, double p1, const void *x, void *y) {
    if (dtype != DLC_F32 && dtype != DLC_F64) return -1;
    int f = dtype == DLC_F32;
    for (int64_t i = 0; i < n; i++) {
        double v;
        switch (kind) {
        case 0: { double u = f ? unit24(key, i) : unit(key, i); v = p0 + (p1 - p0) * u;
                  if (v >= p1) v = p0; break; }
        case 1: { double u1 = unit(key, 2 * (uint64_t)i), u2 = unit(key, 2 * (uint64_t)i + 1);
                  v = p0 + p1 * sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2); break; }
        case 2: { double p = f ? ((const float *)x)[i] : ((const double *)x)[i];
                  v = unit(key, i) < p ? 1.0 : 0.0; break; }
        case 3: { double xv = f ? ((const float *)x)[i] : ((const double *)x)[i];
                  v = unit(key, i) < p0 ? 0.0 : xv / (1.0 - p0); break; }
        case 4: v = unit(key, i) < p0 ? 0.0 : 1.0 / (1.0 - p0); break;
        default: return -1;
        }
        if (f) ((float *)y)[i] = (float)v; else ((double *)y)[i] = v;
    }
    return 0;
}
