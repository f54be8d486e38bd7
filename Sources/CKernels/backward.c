// Backward kernels that autodiff emits and oneDNN does not cover: gelu's derivative and
// scatter_add (the gradient of gather), which copies x and accumulates update rows.
#include "CKernels.h"
#include "kernel_math.h"
#include <math.h>
#include <string.h>

static double gelu_grad(double x, int approximate) {
    if (approximate) {
        const double c = 0.7978845608028654, k = 0.044715;
        double t = tanh(c * (x + k * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * k * x * x);
    }
    return 0.5 * (1 + erf(x / sqrt(2.0))) + x * exp(-0.5 * x * x) / sqrt(2 * M_PI);
}

// The same derivative in float, from kernel_math.h's vectorizable functions.
static inline float gelu_gradf(float x, int approximate) {
    if (approximate) {
        const float c = 0.7978845608028654f, k = 0.044715f;
        float t = dlc_tanhf(c * (x + k * x * x * x));
        return 0.5f * (1 + t) + 0.5f * x * (1 - t * t) * c * (1 + 3 * k * x * x);
    }
    return 0.5f * (1 + dlc_erff(x * 0.70710678118654752f)) + x * dlc_expf(-0.5f * x * x) * 0.39894228040143268f;
}

CLONES static void gelu_backward_f32(int approximate, int64_t n, const float *x, const float *g, float *y) {
    if (approximate) for (int64_t i = 0; i < n; i++) y[i] = g[i] * gelu_gradf(x[i], 1);
    else for (int64_t i = 0; i < n; i++) y[i] = g[i] * gelu_gradf(x[i], 0);
}

int dlc_gelu_backward(int dtype, int approximate, int64_t n, const void *x, const void *g, void *y) {
    if (dtype == DLC_F32) {
        gelu_backward_f32(approximate, n, x, g, y);
    } else if (dtype == DLC_F64) {
        for (int64_t i = 0; i < n; i++)
            ((double *)y)[i] = ((const double *)g)[i] * gelu_grad(((const double *)x)[i], approximate);
    } else return -1;
    return 0;
}

int dlc_scatter_add(int dtype, int64_t outer, int64_t axisLen, int64_t inner, const void *x, int idxType, int64_t nIdx,
                    const void *idx, const void *u, void *y) {
    if (dtype != DLC_F32 && dtype != DLC_F64) return -1;
    size_t elem = dtype == DLC_F32 ? 4 : 8;
    for (int64_t j = 0; j < nIdx; j++) {
        int64_t k = idxType == DLC_I32 ? ((const int32_t *)idx)[j] : ((const int64_t *)idx)[j];
        if (k < -axisLen || k >= axisLen) return -1;
    }
    if (x != y) memmove(y, x, (size_t)(outer * axisLen * inner) * elem);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < nIdx; j++) {
            int64_t k = idxType == DLC_I32 ? ((const int32_t *)idx)[j] : ((const int64_t *)idx)[j];
            if (k < 0) k += axisLen;
            int64_t d = (o * axisLen + k) * inner, s = (o * nIdx + j) * inner;
            if (dtype == DLC_F32) for (int64_t i = 0; i < inner; i++) ((float *)y)[d + i] += ((const float *)u)[s + i];
            else for (int64_t i = 0; i < inner; i++) ((double *)y)[d + i] += ((const double *)u)[s + i];
        }
    return 0;
}

// The window's argmax: PICK(a, b) of two positions, a before b in row-major order, is the
// first NaN, else the first maximum: b only if a is not NaN and b is NaN or larger. That is
// associative with the order kept, so windows are reduced as a tournament (the two halves of
// a 2×2 window, each row of a larger one) whose independent comparisons overlap, instead of
// one chain. Random data makes the comparisons unpredictable, so they must not be branches
// (3× slower, measured): the empty asm hides the condition from the optimizer, which would
// otherwise turn the select back into a branch.
#if defined(__GNUC__) || defined(__clang__)
#define KEEP_BRANCH_FREE(v) __asm__("" : "+r"(v))
#else
#define KEEP_BRANCH_FREE(v) (void)0
#endif
#define DEFINE_PICK(T, name)                                                                                   \
    static inline int64_t name(const T *xp, int64_t a, int64_t b) {                                            \
        T va = xp[a], vb = xp[b];                                                                              \
        int64_t take = (int64_t)((va == va) & ((vb != vb) | (vb > va)));                                       \
        KEEP_BRANCH_FREE(take);                                                                                \
        return a ^ ((a ^ b) & -take);                                                                          \
    }
DEFINE_PICK(float, pick_f32)
DEFINE_PICK(double, pick_f64)
#define PICK(T, xp, a, b) _Generic((T)0, float: pick_f32, double: pick_f64)(xp, a, b)

// Window (oy, ox): rows y0..<y1 and columns x0..<x1 of the input (clipped to it), and
// poolSize, the window's size clipped only to h + padTop and w + padLeft (avgpool's divisor).
#define WINDOW_BOUNDS(oy, ox)                                                                                  \
    int64_t y0 = (oy) * sh - padTop, x0 = (ox) * sw - padLeft;                                                 \
    int64_t y1 = y0 + kh < h + padTop ? y0 + kh : h + padTop;                                                  \
    int64_t x1 = x0 + kw < w + padLeft ? x0 + kw : w + padLeft;                                                \
    int64_t poolSize = (y1 - y0) * (x1 - x0);                                                                  \
    if (y0 < 0) y0 = 0;                                                                                        \
    if (x0 < 0) x0 = 0;                                                                                        \
    if (y1 > h) y1 = h;                                                                                        \
    if (x1 > w) x1 = w

// One window (oy, ox) of the plane at xp / gp / op (x and y share strides xh, xw).
#define POOL_WINDOW(T, xp, gp, op, oy, ox)                                                                     \
    do {                                                                                                       \
        T gi = (gp)[(oy) * gh + (ox) * gw];                                                                    \
        WINDOW_BOUNDS(oy, ox);                                                                                 \
        if (isMax) {                                                                                           \
            if (y0 >= y1 || x0 >= x1) return -1;                                                               \
            int64_t best;                                                                                      \
            if (y1 - y0 == 2 && x1 - x0 == 2) {                                                                \
                int64_t b = y0 * xh + x0 * xw;                                                                 \
                best = PICK(T, xp, PICK(T, xp, b, b + xw), PICK(T, xp, b + xh, b + xh + xw));                   \
            } else {                                                                                           \
                best = -1;                                                                                     \
                for (int64_t iy = y0; iy < y1; iy++) {                                                         \
                    int64_t row = iy * xh + x0 * xw;                                                           \
                    for (int64_t ix = x0 + 1; ix < x1; ix++) row = PICK(T, xp, row, iy * xh + ix * xw);         \
                    best = best < 0 ? row : PICK(T, xp, best, row);                                            \
                }                                                                                              \
            }                                                                                                  \
            (op)[best] += gi;                                                                                  \
        } else {                                                                                               \
            T v = (T)((double)gi / (double)poolSize);                                                          \
            for (int64_t iy = y0; iy < y1; iy++)                                                               \
                for (int64_t ix = x0; ix < x1; ix++) (op)[iy * xh + ix * xw] += v;                             \
        }                                                                                                      \
    } while (0)

// One window (oy, ox) of every channel of an image whose channels are innermost (x and y at
// xb, yb, g at gb): the window's bounds once, then 16 channels at a time side by side — a
// scan of the positions in row-major order keeping each lane's first maximum (a NaN wins),
// the same choice as PICK's tournament, as selects the compiler turns into vector blends.
#define POOL_WINDOW_CHANNELS(T, xb, gb, yb, oy, ox)                                                            \
    do {                                                                                                       \
        WINDOW_BOUNDS(oy, ox);                                                                                 \
        const T *gw0 = (gb) + (oy) * gh + (ox) * gw;                                                           \
        if (!isMax) {                                                                                          \
            for (int64_t c = 0; c < channels; c++) {                                                           \
                T v = (T)((double)gw0[c * gs[1]] / (double)poolSize);                                          \
                for (int64_t iy = y0; iy < y1; iy++)                                                           \
                    for (int64_t ix = x0; ix < x1; ix++) (yb)[iy * xh + ix * xw + c] += v;                     \
            }                                                                                                  \
            break;                                                                                             \
        }                                                                                                      \
        if (y0 >= y1 || x0 >= x1) return -1;                                                                   \
        for (int64_t c0 = 0; c0 < channels; c0 += 16) {                                                        \
            int64_t cn = channels - c0 < 16 ? channels - c0 : 16, first = y0 * xh + x0 * xw;                   \
            T bv[16];                                                                                          \
            int64_t bi[16];                                                                                    \
            for (int64_t l = 0; l < cn; l++) { bv[l] = (xb)[first + c0 + l]; bi[l] = first; }                  \
            for (int64_t iy = y0; iy < y1; iy++)                                                               \
                for (int64_t ix = iy == y0 ? x0 + 1 : x0; ix < x1; ix++) {                                     \
                    int64_t p = iy * xh + ix * xw;                                                             \
                    const T *xr = (xb) + p + c0;                                                               \
                    for (int64_t l = 0; l < cn; l++) {                                                         \
                        T v = xr[l];                                                                           \
                        int take = (bv[l] == bv[l]) & ((v != v) | (v > bv[l]));                                \
                        bv[l] = take ? v : bv[l];                                                              \
                        bi[l] = take ? p : bi[l];                                                              \
                    }                                                                                          \
                }                                                                                              \
            for (int64_t l = 0; l < cn; l++) (yb)[bi[l] + c0 + l] += gw0[(c0 + l) * gs[1]];                     \
        }                                                                                                      \
    } while (0)

#define POOL_BACKWARD(T)                                                                                       \
    do {                                                                                                       \
        const T *xv = (const T *)x, *gv = (const T *)g;                                                       \
        T *out = (T *)y;                                                                                       \
        const int64_t *xs = a->xs, *gs = a->gs;                                                                \
        const int64_t allChannels = a->channels, h = a->h, w = a->w, kh = a->kh, kw = a->kw, oh = a->oh,       \
                      ow = a->ow, sh = a->sh, sw = a->sw, padTop = a->padTop, padLeft = a->padLeft;            \
        const int isMax = a->isMax;                                                                            \
        const int64_t xh = xs[2], xw = xs[3], gh = gs[2], gw = gs[3];                                          \
        const int halves = isMax && kh == 2 && kw == 2 && sh == 2 && sw == 2 && padTop == 0 && padLeft == 0 && \
                           2 * oh <= h && 2 * ow <= w; /* maxpool2d(2): every window whole, no clipping */     \
        /* Each image's memory is one run of xs[0] elements (the layouts all keep n outermost). */           \
        memset(out + n0 * xs[0], 0, (size_t)((n1 - n0) * xs[0]) * sizeof(T));                                 \
        if (xs[1] == 1) {                                                                                      \
            /* Channels innermost (NHWC, nChw8c/16c): window by window, a block's channels side by side  \
               (a plane at a time would touch every cache line of the image once per channel). */           \
            for (int64_t n = n0; n < n1; n++)                                                                  \
                for (int64_t cb = 0; cb * a->xBlock < allChannels; cb++)                                       \
                for (int64_t oy = 0; oy < oh; oy++)                                                            \
                    for (int64_t ox = 0; ox < ow; ox++) {                                                      \
                        const int64_t channels = allChannels - cb * a->xBlock < a->xBlock                      \
                            ? allChannels - cb * a->xBlock : a->xBlock;                                        \
                        const T *xb = xv + n * xs[0] + cb * a->xBlockStride;                                   \
                        const T *gb = gv + n * gs[0] + cb * a->gBlockStride;                                   \
                        T *yb = out + n * xs[0] + cb * a->xBlockStride;                                        \
                        if (halves) {                                                                          \
                            int64_t at = 2 * oy * xh + 2 * ox * xw;                                            \
                            const T *xa = xb + at, *ga = gb + oy * gh + ox * gw;                               \
                            T *ya = yb + at;                                                                   \
                            for (int64_t c = 0; c < channels; c++)                                             \
                                ya[PICK(T, xa, PICK(T, xa, c, c + xw), PICK(T, xa, c + xh, c + xh + xw))] += ga[c * gs[1]]; \
                        } else {                                                                               \
                            POOL_WINDOW_CHANNELS(T, xb, gb, yb, oy, ox);                                       \
                        }                                                                                      \
                    }                                                                                          \
            break;                                                                                             \
        }                                                                                                      \
        for (int64_t n = n0; n < n1; n++)                                                                      \
            for (int64_t c = 0; c < allChannels; c++) {                                                        \
                const T *xp = xv + n * xs[0] + c * xs[1], *gp = gv + n * gs[0] + c * gs[1];                    \
                T *op = out + n * xs[0] + c * xs[1];                                                           \
                if (halves) {                                                                                  \
                    for (int64_t oy = 0; oy < oh; oy++)                                                        \
                        for (int64_t ox = 0; ox < ow; ox++) {                                                  \
                            int64_t b = 2 * oy * xh + 2 * ox * xw;                                             \
                            op[PICK(T, xp, PICK(T, xp, b, b + xw), PICK(T, xp, b + xh, b + xh + xw))] +=       \
                                gp[oy * gh + ox * gw];                                                         \
                        }                                                                                      \
                    continue;                                                                                  \
                }                                                                                              \
                for (int64_t oy = 0; oy < oh; oy++)                                                            \
                    for (int64_t ox = 0; ox < ow; ox++) POOL_WINDOW(T, xp, gp, op, oy, ox);                    \
            }                                                                                                  \
    } while (0)

typedef struct {
    int dtype, isMax;
    int64_t batch, channels, h, w, kh, kw, oh, ow, sh, sw, padTop, padLeft;
    const int64_t *xs, *gs;
    int64_t xBlock, xBlockStride, gBlockStride;
    const void *x, *g;
    void *y;
    int64_t next;  // the next image to take
    int status;
} pool_job;

// Images [n0, n1): their part of y zeroed, then every window routed.
static int pool_images(const pool_job *a, int64_t n0, int64_t n1) {
    const void *x = a->x, *g = a->g;
    void *y = a->y;
    if (a->dtype == DLC_F32) POOL_BACKWARD(float);
    else POOL_BACKWARD(double);
    return 0;
}

// One thread's part: images, a few at a time, until none is left.
static void pool_part(void *arg) {
    pool_job *j = arg;
    const int64_t step = 4;
    for (;;) {
        int64_t n0 = __atomic_fetch_add(&j->next, step, __ATOMIC_RELAXED);
        if (n0 >= j->batch) return;
        int rc = pool_images(j, n0, n0 + step < j->batch ? n0 + step : j->batch);
        if (rc) __atomic_store_n(&j->status, rc, __ATOMIC_RELAXED);
    }
}

void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_max_threads(void);

int dlc_pool_backward(int dtype, int isMax, int64_t batch, int64_t channels, int64_t h, int64_t w, int64_t kh, int64_t kw,
                      int64_t oh, int64_t ow, int64_t sh, int64_t sw, int64_t padTop, int64_t padLeft,
                      const int64_t *xs, const int64_t *gs, int64_t yCount, const void *x, const void *g, void *y) {
    if (dtype != DLC_F32 && dtype != DLC_F64) return -1;
    // Channel blocks: xs[4] channels a block (x and y), blocks xs[5] apart, g's blocks gs[4]
    // apart; with the channels innermost only (xs[1] == 1).
    const int64_t xBlock = xs[4] > 0 ? xs[4] : channels;
    if (xBlock < channels && xs[1] != 1) return -1;
    // Padding past the last image (a blocked layout's, if any) is zeroed here; each image's own.
    if (yCount > batch * xs[0]) memset((char *)y + batch * xs[0] * (dtype == DLC_F32 ? 4 : 8), 0,
                                       (size_t)(yCount - batch * xs[0]) * (dtype == DLC_F32 ? 4 : 8));
    pool_job j = { .dtype = dtype, .isMax = isMax, .batch = batch, .channels = channels, .h = h, .w = w, .kh = kh, .kw = kw,
                   .oh = oh, .ow = ow, .sh = sh, .sw = sw, .padTop = padTop, .padLeft = padLeft, .xs = xs, .gs = gs,
                   .xBlock = xBlock, .xBlockStride = xs[5], .gBlockStride = gs[4],
                   .x = x, .g = g, .y = y, .next = 0, .status = 0 };
    // Images shared among libgomp's threads (oneDNN's pool) when there is enough work for two.
    int threads = omp_get_max_threads();
    if (threads > 1 && batch >= 8 && channels * h * w * batch >= 65536) GOMP_parallel(pool_part, &j, (unsigned)threads, 0);
    else j.status = pool_images(&j, 0, batch);
    return j.status;
}
