// The f32 CPU kernels of the attention plugin (see include/CAttention.h). Per (batch, head):
//   forward   P = softmax(scale·Q·Kᵀ + mask), O = P·V                   (2 sgemm, 1 row pass)
//   backward  dV = Pᵀ·dO, dP = dO·Vᵀ (+ dProbs), dS = P ⊙ (dP − rowsum(P ⊙ dP)),
//             dQ = scale·dS·K, dK = scale·dSᵀ·Q                          (4 sgemm, 1 row pass)
// The probabilities are saved by the forward pass (one [tq, tk] block per head) rather than
// recomputed: one sgemm and one exp per score fewer in the backward pass, for 4·tq·tk bytes
// per head. Heads are read and written in place in the [batch, t, heads·d] layout of the
// projections (leading dimensions), so no transpose is needed around the op.
#include "CAttention.h"
#include <dnnl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// libgomp: the OpenMP runtime oneDNN runs on. GOMP_parallel is what GCC emits for
// `#pragma omp parallel`; calling it directly shares oneDNN's thread pool and cap
// (omp_set_num_threads, set by the CPU back end) whichever compiler builds this file.
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);

#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

// exp for x ≤ 0 (scores minus their row maximum), branch-free so that the row loops
// vectorize: 2^n · p(r) with Cephes' degree-6 polynomial, relative error below 2e-7.
static inline float exp_nonpositive(float x) {
    x = x < -87.0f ? -87.0f : x;
    float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union { int32_t i; float f; } scale = { .i = ((int32_t)n + 127) << 23 };
    return p * scale.f;
}

// Row maximum and sums with 16 independent lanes, so that the loops vectorize without
// -ffast-math (a float reduction in one accumulator must keep its order).
#define LANES 16

// One row of scores in place: + mask, softmax over keys 0 ..< valid, zeros after.
CLONES static void softmax_row(float *row, int64_t n, int64_t valid, const float *mask, int64_t mask_col) {
    if (mask) {
        if (mask_col == 1) for (int64_t j = 0; j < valid; j++) row[j] += mask[j];
        else for (int64_t j = 0; j < valid; j++) row[j] += mask[0];
    }
    float lane[LANES];
    for (int l = 0; l < LANES; l++) lane[l] = row[0];
    int64_t body = valid / LANES * LANES;
    for (int64_t j = 0; j < body; j += LANES)
        for (int l = 0; l < LANES; l++) lane[l] = row[j + l] > lane[l] ? row[j + l] : lane[l];
    float m = row[0];
    for (int l = 0; l < LANES; l++) m = lane[l] > m ? lane[l] : m;
    for (int64_t j = body; j < valid; j++) m = row[j] > m ? row[j] : m;
    for (int64_t j = 0; j < valid; j++) row[j] = exp_nonpositive(row[j] - m);
    for (int l = 0; l < LANES; l++) lane[l] = 0;
    for (int64_t j = 0; j < body; j += LANES)
        for (int l = 0; l < LANES; l++) lane[l] += row[j + l];
    float sum = 0;
    for (int l = 0; l < LANES; l++) sum += lane[l];
    for (int64_t j = body; j < valid; j++) sum += row[j];
    float inv = 1.0f / sum;
    for (int64_t j = 0; j < valid; j++) row[j] *= inv;
    for (int64_t j = valid; j < n; j++) row[j] = 0;
}

// One row of dS in place over dP: dS = P ⊙ (dP − Σ P ⊙ dP).
CLONES static void softmax_backward_row(float *dp, const float *p, const float *d_probs, int64_t n) {
    if (d_probs) for (int64_t j = 0; j < n; j++) dp[j] += d_probs[j];
    float lane[LANES] = {0};
    int64_t body = n / LANES * LANES;
    for (int64_t j = 0; j < body; j += LANES)
        for (int l = 0; l < LANES; l++) lane[l] += p[j + l] * dp[j + l];
    float dot = 0;
    for (int l = 0; l < LANES; l++) dot += lane[l];
    for (int64_t j = body; j < n; j++) dot += p[j] * dp[j];
    for (int64_t j = 0; j < n; j++) dp[j] = p[j] * (dp[j] - dot);
}

typedef struct {
    const dlc_attention_shape *s;
    const float *q, *k, *v, *probs_in, *d_out, *d_probs;
    float *out, *probs, *dq, *dk, *dv;
    int64_t next;  // the next (batch, head) pair to take
    int status;
} job;

static void fail(job *j, int code) { __atomic_store_n(&j->status, code, __ATOMIC_RELAXED); }

// The next (batch, head) pair for this thread, or -1 when all are taken. Pairs are handed
// out one at a time rather than split evenly in advance: on a shared machine one thread
// may be descheduled, and the others then take its share instead of waiting for it.
static int64_t take(job *j) {
    int64_t bh = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
    return bh < j->s->batch * j->s->heads && !__atomic_load_n(&j->status, __ATOMIC_RELAXED) ? bh : -1;
}

static void forward_part(void *arg) {
    job *jb = arg;
    const dlc_attention_shape *s = jb->s;
    int64_t e = s->heads * s->d, ev = s->heads * s->dv;
    for (int64_t bh = take(jb); bh >= 0; bh = take(jb)) {
        int64_t b = bh / s->heads, h = bh % s->heads;
        const float *q = jb->q + b * s->tq * e + h * s->d, *k = jb->k + b * s->tk * e + h * s->d;
        const float *v = jb->v + b * s->tk * ev + h * s->dv;
        float *p = jb->probs + bh * s->tq * s->tk, *o = jb->out + b * s->tq * ev + h * s->dv;
        if (dnnl_sgemm('N', 'T', s->tq, s->tk, s->d, s->scale, q, e, k, e, 0, p, s->tk) != dnnl_success) { fail(jb, -2); return; }
        const float *mask = s->mask ? s->mask + s->mask_offsets[bh] : NULL;
        for (int64_t i = 0; i < s->tq; i++) {
            int64_t valid = s->causal && i + 1 < s->tk ? i + 1 : s->tk;
            softmax_row(p + i * s->tk, s->tk, valid, mask ? mask + i * s->mask_row : NULL, s->mask_col);
        }
        if (dnnl_sgemm('N', 'N', s->tq, s->dv, s->tk, 1, p, s->tk, v, ev, 0, o, ev) != dnnl_success) { fail(jb, -2); return; }
    }
}

static void backward_part(void *arg) {
    job *jb = arg;
    const dlc_attention_shape *s = jb->s;
    int64_t e = s->heads * s->d, ev = s->heads * s->dv;
    float *ds = malloc((size_t)(s->tq * s->tk) * sizeof(float));
    if (!ds) { fail(jb, -1); return; }
    for (int64_t bh = take(jb); bh >= 0; bh = take(jb)) {
        int64_t b = bh / s->heads, h = bh % s->heads;
        int64_t qo = b * s->tq * e + h * s->d, ko = b * s->tk * e + h * s->d;
        int64_t vo = b * s->tk * ev + h * s->dv, oo = b * s->tq * ev + h * s->dv;
        const float *p = jb->probs_in + bh * s->tq * s->tk, *d_out = jb->d_out + oo;
        const float *d_probs = jb->d_probs ? jb->d_probs + bh * s->tq * s->tk : NULL;
        int ok = dnnl_sgemm('T', 'N', s->tk, s->dv, s->tq, 1, p, s->tk, d_out, ev, 0, jb->dv + vo, ev) == dnnl_success
              && dnnl_sgemm('N', 'T', s->tq, s->tk, s->dv, 1, d_out, ev, jb->v + vo, ev, 0, ds, s->tk) == dnnl_success;
        if (!ok) { fail(jb, -2); break; }
        for (int64_t i = 0; i < s->tq; i++)
            softmax_backward_row(ds + i * s->tk, p + i * s->tk, d_probs ? d_probs + i * s->tk : NULL, s->tk);
        ok = dnnl_sgemm('N', 'N', s->tq, s->d, s->tk, s->scale, ds, s->tk, jb->k + ko, e, 0, jb->dq + qo, e) == dnnl_success
          && dnnl_sgemm('T', 'N', s->tk, s->d, s->tq, s->scale, ds, s->tk, jb->q + qo, e, 0, jb->dk + ko, e) == dnnl_success;
        if (!ok) { fail(jb, -2); break; }
    }
    free(ds);
}

int dlc_attention_forward_f32(const dlc_attention_shape *s, const float *q, const float *k, const float *v,
                              float *out, float *probs) {
    job j = { .s = s, .q = q, .k = k, .v = v, .out = out, .probs = probs, .status = 0 };
    GOMP_parallel(forward_part, &j, 0, 0);
    return j.status;
}

int dlc_attention_backward_f32(const dlc_attention_shape *s, const float *q, const float *k, const float *v,
                               const float *probs, const float *d_out, const float *d_probs,
                               float *dq, float *dk, float *dv) {
    job j = { .s = s, .q = q, .k = k, .v = v, .probs_in = probs, .d_out = d_out, .d_probs = d_probs,
              .dq = dq, .dk = dk, .dv = dv, .status = 0 };
    GOMP_parallel(backward_part, &j, 0, 0);
    return j.status;
}
