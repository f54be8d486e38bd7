// Times the attention plugin's f32 C kernels alone on the transformer_block workload
// (batch 16, 4 heads, 128 queries and keys, head size 32): CPU and wall time per call of
// the forward and the backward kernel, on 1 or more libgomp threads.
//
//   clang -O3 -IPlugins/Attention/Kernels/include scripts/attention-kernel-bench.c \
//       Plugins/Attention/Kernels/attention.c -o /tmp/attention-kernel-bench -ldnnl -lgomp -lm
//   /tmp/attention-kernel-bench 1      # threads
#include "CAttention.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void omp_set_num_threads(int n);

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1, reps = 20;
    omp_set_num_threads(threads > 0 ? threads : 1);
    const int64_t batch = 16, heads = 4, t = 128, d = 32, e = heads * d;
    size_t act = (size_t)(batch * t * e), scores = (size_t)(batch * heads * t * t);
    float *q = malloc(act * 4), *k = malloc(act * 4), *v = malloc(act * 4), *o = malloc(act * 4), *p = malloc(scores * 4);
    float *dq = malloc(act * 4), *dk = malloc(act * 4), *dv = malloc(act * 4);
    if (!q || !k || !v || !o || !p || !dq || !dk || !dv) return 1;
    srand(1);
    for (size_t i = 0; i < act; i++) {
        q[i] = rand() / (float)RAND_MAX - 0.5f;
        k[i] = rand() / (float)RAND_MAX - 0.5f;
        v[i] = rand() / (float)RAND_MAX - 0.5f;
    }
    dlc_attention_shape s = {.batch = batch, .heads = heads, .tq = t, .tk = t, .d = d, .dv = d, .scale = 0.1767767f};
    for (int w = 0; w < 3; w++) {
        if (dlc_attention_forward_f32(&s, q, k, v, o, p) || dlc_attention_backward_f32(&s, q, k, v, p, o, NULL, dq, dk, dv)) return 1;
    }
    double c0 = seconds(CLOCK_PROCESS_CPUTIME_ID), w0 = seconds(CLOCK_MONOTONIC);
    for (int r = 0; r < reps; r++) dlc_attention_forward_f32(&s, q, k, v, o, p);
    double c1 = seconds(CLOCK_PROCESS_CPUTIME_ID), w1 = seconds(CLOCK_MONOTONIC);
    for (int r = 0; r < reps; r++) dlc_attention_backward_f32(&s, q, k, v, p, o, NULL, dq, dk, dv);
    double c2 = seconds(CLOCK_PROCESS_CPUTIME_ID), w2 = seconds(CLOCK_MONOTONIC);
    printf("%d thread(s): forward %.2f ms CPU, %.2f ms wall; backward %.2f ms CPU, %.2f ms wall\n", threads,
           (c1 - c0) / reps * 1e3, (w1 - w0) / reps * 1e3, (c2 - c1) / reps * 1e3, (w2 - w1) / reps * 1e3);
    return 0;
}
