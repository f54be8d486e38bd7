// Batch normalization in training mode (forward with the batch's statistics, and backward) on
// any layout that places the channels either in planes (NCHW) or side by side in blocks
// (NHWC, oneDNN's nChw8c/nChw16c), with sums that do not depend on the layout.
//
// A per-channel sum over (n, p) — p the spatial position — is accumulated in 16 partial sums,
// partial p mod 16 taking x[n, c, p] for n = 0, 1, … and p = 0, 1, … in that order, and the 16
// partials then added in order. Every layout visits each partial's values in that one order:
// a plane vectorizes over p (16 consecutive positions, one partial each), a block of channels
// over c (one position, 16 channels' partials for p mod 16). So a plan that keeps convolution
// results in oneDNN's layouts gets the same statistics to the last bit as one that reorders to
// NCHW, and the training steps with and without the layout pass stay equal (oneDNN's own batch
// normalization sums in another order on each layout). Contraction into fused multiply-adds is
// off so that every clone and path rounds alike.
#include "CKernels.h"
#include "kernel_math.h"
#include <math.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

enum { LANES = 16 };

typedef struct {
    int64_t n, c, s;
    int64_t image, blockStride, position, block;
    const float *x, *w, *b, *mean, *var, *dy;
    float *y, *dx, *dw, *db, *meanOut, *varOut;
    float eps;
    int backward;
    int64_t units, next;
} bn_job;

// Offset of channel c of image 0 at position 0.
static inline int64_t channel_base(const bn_job *j, int64_t c) {
    return (c / j->block) * j->blockStride + c % j->block;
}

static inline float add_lanes(const float *part) {
    float t = 0;
    for (int l = 0; l < LANES; l++) t += part[l];
    return t;
}

// --- one channel in planes (block 1, position 1) ---------------------------------------------

// Σ f over channel c's values; f is the sum of x, of (x − m)², of dy, or of dy·(x − m).
#define PLANE_SUM(NAME, EXPR)                                                                    \
    static void NAME(const bn_job *j, int64_t c, float m, float *out1, float *out2) {            \
        float p1[LANES] = {0}, p2[LANES] = {0};                                                  \
        const int64_t base = channel_base(j, c);                                                 \
        for (int64_t n = 0; n < j->n; n++) {                                                     \
            const float *x = j->x + n * j->image + base;                                         \
            const float *dy = j->dy ? j->dy + n * j->image + base : x;                           \
            (void)dy; (void)m;                                                                   \
            int64_t p = 0;                                                                       \
            for (; p + LANES <= j->s; p += LANES)                                                \
                for (int l = 0; l < LANES; l++) { EXPR(p + l, l) }                               \
            for (int l = 0; p + l < j->s; l++) { EXPR(p + l, l) }                                \
        }                                                                                        \
        *out1 = add_lanes(p1);                                                                   \
        if (out2) *out2 = add_lanes(p2);                                                         \
    }
#define SUM_X(i, l) p1[l] += x[i];
#define SUM_SQ(i, l) { float d = x[i] - m; p1[l] += d * d; }
#define SUM_GRAD(i, l) { float g = dy[i]; p1[l] += g; p2[l] += g * (x[i] - m); }
PLANE_SUM(plane_sum, SUM_X)
PLANE_SUM(plane_squares, SUM_SQ)
PLANE_SUM(plane_grads, SUM_GRAD)

// --- up to 16 channels side by side (one block, or 16 of a wider one) ------------------------

// Σ over the `lanes` channels from c0 (all in one block), each into out[k] (and out2[k]).
#define BLOCK_SUM(NAME, EXPR)                                                                    \
    static inline __attribute__((always_inline)) void NAME##_n(const bn_job *j, int64_t c0,       \
                                                                int lanes, const float *m,       \
                                                                float *out1, float *out2) {      \
        float p1[LANES][LANES] = {{0}}, p2[LANES][LANES] = {{0}};                                \
        const int64_t base = channel_base(j, c0);                                                \
        for (int64_t n = 0; n < j->n; n++)                                                       \
            for (int64_t p = 0; p < j->s; p++) {                                                 \
                const int64_t at = n * j->image + base + p * j->position;                        \
                const float *x = j->x + at, *dy = j->dy ? j->dy + at : x;                        \
                float *a1 = p1[p % LANES], *a2 = p2[p % LANES];                                  \
                (void)a2; (void)dy;                                                              \
                for (int k = 0; k < lanes; k++) { EXPR(k) }                                      \
            }                                                                                    \
        for (int k = 0; k < lanes; k++) {                                                        \
            float t1 = 0, t2 = 0;                                                                \
            for (int l = 0; l < LANES; l++) { t1 += p1[l][k]; t2 += p2[l][k]; }                  \
            out1[k] = t1;                                                                        \
            if (out2) out2[k] = t2;                                                              \
        }                                                                                        \
    }                                                                                            \
    static void NAME(const bn_job *j, int64_t c0, int lanes, const float *m, float *out1, float *out2) { \
        if (lanes == LANES) NAME##_n(j, c0, LANES, m, out1, out2);                               \
        else NAME##_n(j, c0, lanes, m, out1, out2);                                              \
    }
#define BSUM_X(k) a1[k] += x[k];
#define BSUM_SQ(k) { float d = x[k] - m[k]; a1[k] += d * d; }
#define BSUM_GRAD(k) { float g = dy[k]; a1[k] += g; a2[k] += g * (x[k] - m[k]); }
BLOCK_SUM(block_sum, BSUM_X)
BLOCK_SUM(block_squares, BSUM_SQ)
BLOCK_SUM(block_grads, BSUM_GRAD)

// --- statistics and the elementwise pass, per unit of channels -------------------------------

// A unit: one channel (planes) or up to 16 channels of one block. Its first channel and count.
static void unit_channels(const bn_job *j, int64_t u, int64_t *c0, int *lanes) {
    if (j->block == 1) { *c0 = u; *lanes = 1; return; }
    const int64_t perBlock = (j->block + LANES - 1) / LANES;
    const int64_t blockIndex = u / perBlock, first = blockIndex * j->block + (u % perBlock) * LANES;
    int64_t end = first + LANES;
    if (end > (blockIndex + 1) * j->block) end = (blockIndex + 1) * j->block;
    if (end > j->c) end = j->c;
    *c0 = first;
    *lanes = (int)(end - first);
}

static int64_t unit_count(const bn_job *j) {
    if (j->block == 1) return j->c;
    return ((j->c + j->block - 1) / j->block) * ((j->block + LANES - 1) / LANES);
}

static void run_unit(bn_job *j, int64_t u) {
    int64_t c0;
    int lanes;
    unit_channels(j, u, &c0, &lanes);
    if (lanes <= 0) return;
    const float count = (float)(j->n * j->s);
    float mean[LANES], var[LANES], s1[LANES], s2[LANES], scale[LANES], shift[LANES], k1[LANES], k2[LANES];
    const int planes = j->block == 1;
    if (!j->backward) {
        float sum[LANES];
        if (planes) plane_sum(j, c0, 0, sum, NULL); else block_sum(j, c0, lanes, NULL, sum, NULL);
        for (int k = 0; k < lanes; k++) mean[k] = sum[k] / count;
        if (planes) plane_squares(j, c0, mean[0], s1, NULL); else block_squares(j, c0, lanes, mean, s1, NULL);
        for (int k = 0; k < lanes; k++) {
            var[k] = s1[k] / count;
            const float inv = 1.0f / sqrtf(var[k] + j->eps);
            scale[k] = j->w[c0 + k] * inv;
            shift[k] = j->b[c0 + k];
            j->meanOut[c0 + k] = mean[k];
            j->varOut[c0 + k] = var[k];
        }
    } else {
        for (int k = 0; k < lanes; k++) mean[k] = j->mean[c0 + k];
        if (planes) plane_grads(j, c0, mean[0], s1, s2); else block_grads(j, c0, lanes, mean, s1, s2);
        for (int k = 0; k < lanes; k++) {
            const float inv = 1.0f / sqrtf(j->var[c0 + k] + j->eps);
            j->db[c0 + k] = s1[k];
            j->dw[c0 + k] = s2[k] * inv;
            // dx = w·inv·(dy − Σdy/M − (x − mean)·inv²·Σdy(x − mean)/M)
            scale[k] = j->w[c0 + k] * inv;
            k1[k] = s1[k] / count;
            k2[k] = inv * inv * s2[k] / count;
        }
    }
    const int64_t base = channel_base(j, c0);
    for (int64_t n = 0; n < j->n; n++) {
        if (planes) {
            const int64_t at = n * j->image + base;
            const float *x = j->x + at;
            const float m = mean[0], a = scale[0];
            if (!j->backward) {
                float *y = j->y + at;
                const float b = shift[0];
                for (int64_t p = 0; p < j->s; p++) y[p] = (x[p] - m) * a + b;
            } else {
                const float *dy = j->dy + at;
                float *dx = j->dx + at;
                const float c1 = k1[0], c2 = k2[0];
                for (int64_t p = 0; p < j->s; p++) dx[p] = a * ((dy[p] - c1) - (x[p] - m) * c2);
            }
            continue;
        }
        for (int64_t p = 0; p < j->s; p++) {
            const int64_t at = n * j->image + base + p * j->position;
            const float *x = j->x + at;
            if (!j->backward) {
                float *y = j->y + at;
                for (int k = 0; k < lanes; k++) y[k] = (x[k] - mean[k]) * scale[k] + shift[k];
            } else {
                const float *dy = j->dy + at;
                float *dx = j->dx + at;
                for (int k = 0; k < lanes; k++) dx[k] = scale[k] * ((dy[k] - k1[k]) - (x[k] - mean[k]) * k2[k]);
            }
        }
    }
}

// One thread's part: units, one at a time, until none is left.
static void bn_part(void *arg) {
    bn_job *j = arg;
    for (;;) {
        const int64_t u = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (u >= j->units) return;
        run_unit(j, u);
    }
}

void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_max_threads(void);

static int bn_run(bn_job *j) {
    if (j->n < 1 || j->c < 1 || j->s < 1 || j->block < 1) return -1;
    j->units = unit_count(j);
    j->next = 0;
    // Units shared among libgomp's threads (oneDNN's pool) when there is enough work for two;
    // each unit's sums are one thread's, so the thread count changes no result.
    int threads = omp_get_max_threads();
    if (threads > j->units) threads = (int)j->units;
    if (threads > 1 && j->n * j->c * j->s >= 65536) GOMP_parallel(bn_part, j, (unsigned)threads, 0);
    else bn_part(j);
    return 0;
}

int dlc_batch_norm_training(int64_t n, int64_t c, int64_t s, const int64_t *layout, const float *x, const float *w,
                            const float *b, double eps, float *y, float *mean, float *var) {
    bn_job j = { .n = n, .c = c, .s = s, .image = layout[0], .blockStride = layout[1], .position = layout[2],
                 .block = layout[3], .x = x, .w = w, .b = b, .y = y, .meanOut = mean, .varOut = var, .eps = (float)eps };
    return bn_run(&j);
}

int dlc_batch_norm_backward(int64_t n, int64_t c, int64_t s, const int64_t *layout, const float *x, const float *w,
                            const float *mean, const float *var, const float *dy, double eps, float *dx, float *dw,
                            float *db) {
    bn_job j = { .n = n, .c = c, .s = s, .image = layout[0], .blockStride = layout[1], .position = layout[2],
                 .block = layout[3], .x = x, .w = w, .mean = mean, .var = var, .dy = dy, .dx = dx, .dw = dw, .db = db,
                 .eps = (float)eps, .backward = 1 };
    return bn_run(&j);
}
