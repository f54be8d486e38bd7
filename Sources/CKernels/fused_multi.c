// The multi-segment fused kernel: one elementwise program over several independent segments
// (the optimizer update of every parameter, say), each with its own operands and results.
// Every operand of a segment is contiguous over the segment or a scalar, so a segment is a
// flat range of elements. The segments are cut into chunks of DLC_FUSED_CHUNK elements that
// the threads of libgomp's pool (the one oneDNN uses, with its cap) take one at a time, so
// both cores work even when every parameter is small, and a thread that the scheduler
// delays leaves its share to the others. Inside a chunk the program runs tile by tile as in
// dlc_fused: each operand read once, each result written once, a result may overwrite its own
// segment's operand in place (element i is read before it is written).
#include "fused_program.h"
#include <stdlib.h>

// libgomp: GOMP_parallel is what GCC emits for `#pragma omp parallel` (see attention.c).
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_max_threads(void);

typedef struct {
    int dtype, nseg, nin, nconst, ninstr, nout;
    const int64_t *counts, *full, *code, *out_regs, *first_chunk;
    const void *const *inputs;
    void *const *outputs;
    const double *consts, *imm;
    int64_t chunks;  // the number of chunks
    int64_t next;    // the next chunk to take
    int status;
} multi_job;

static void multi_fail(multi_job *j, int code) { __atomic_store_n(&j->status, code, __ATOMIC_RELAXED); }

// The next chunk for this thread, or -1 when all are taken (or one failed).
static int64_t multi_take(multi_job *j) {
    int64_t c = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
    return c < j->chunks && !__atomic_load_n(&j->status, __ATOMIC_RELAXED) ? c : -1;
}

#define MULTI_BODY(T, F)                                                                         \
    int nin = j->nin, nconst = j->nconst, ninstr = j->ninstr, nout = j->nout;                    \
    const int64_t *code = j->code;                                                               \
    const double *imm = j->imm;                                                                  \
    T *buf = (T *)scratch;                                                                       \
    const T *reg[nin + nconst + ninstr];                                                         \
    for (int c = 0; c < nconst; c++) {                                                           \
        T *p = buf + (int64_t)(nin + c) * TILE;                                                  \
        for (int k = 0; k < TILE; k++) p[k] = (T)j->consts[c];                                   \
        reg[nin + c] = p;                                                                        \
    }                                                                                            \
    for (int i = 0; i < ninstr; i++) reg[nin + nconst + i] = buf + (int64_t)(nin + nconst + i) * TILE; \
    int s = 0;                                                                                   \
    for (int64_t chunk = multi_take(j); chunk >= 0; chunk = multi_take(j)) {                     \
        while (chunk >= j->first_chunk[s + 1]) s++; /* a thread's chunks come in rising order */ \
        int64_t start = (chunk - j->first_chunk[s]) * DLC_FUSED_CHUNK;                           \
        int64_t end = start + DLC_FUSED_CHUNK < j->counts[s] ? start + DLC_FUSED_CHUNK : j->counts[s]; \
        const void *const *in = j->inputs + (int64_t)s * nin;                                    \
        const int64_t *full = j->full + (int64_t)s * nin;                                        \
        for (int i = 0; i < nin; i++) {                                                          \
            if (full[i]) continue;                                                               \
            T *p = buf + (int64_t)i * TILE, v = *(const T *)in[i];                               \
            for (int k = 0; k < TILE; k++) p[k] = v;                                             \
            reg[i] = p;                                                                          \
        }                                                                                        \
        for (int64_t j0 = start; j0 < end; j0 += TILE) {                                         \
            int64_t n = end - j0 < TILE ? end - j0 : TILE;                                       \
            for (int i = 0; i < nin; i++)                                                        \
                if (full[i]) reg[i] = (const T *)in[i] + j0;                                     \
            RUN_PROGRAM(T, F)                                                                    \
            for (int r = 0; r < nout; r++)                                                       \
                memcpy((T *)j->outputs[(int64_t)s * nout + r] + j0, reg[j->out_regs[r]], (size_t)n * sizeof(T)); \
        }                                                                                        \
    }                                                                                            \
    return 0;

CLONES static int multi_chunks_f32(multi_job *j, void *scratch) { MULTI_BODY(float, f) }
static int multi_chunks_f64(multi_job *j, void *scratch) { MULTI_BODY(double, ) }

// One thread's part: its own registers, then chunks until none is left.
static void multi_part(void *arg) {
    multi_job *j = arg;
    void *scratch = malloc((size_t)(j->nin + j->nconst + j->ninstr) * TILE * sizeof(double));
    if (!scratch) { multi_fail(j, -2); return; }
    int rc = j->dtype == DLC_F32 ? multi_chunks_f32(j, scratch) : multi_chunks_f64(j, scratch);
    if (rc) multi_fail(j, rc);
    free(scratch);
}

int dlc_fused_multi(int dtype, int nseg, const int64_t *counts, int nin, const int64_t *full, const void *const *inputs,
                    int nconst, const double *consts, int ninstr, const int64_t *code, const double *imm, int nout,
                    const int64_t *out_regs, void *const *outputs) {
    if ((dtype != DLC_F32 && dtype != DLC_F64) || nseg < 1) return -1;
    int64_t first_chunk[nseg + 1], total = 0;
    first_chunk[0] = 0;
    for (int s = 0; s < nseg; s++) {
        if (counts[s] < 0) return -1;
        first_chunk[s + 1] = first_chunk[s] + (counts[s] + DLC_FUSED_CHUNK - 1) / DLC_FUSED_CHUNK;
        total += counts[s];
    }
    multi_job j = { .dtype = dtype, .nseg = nseg, .nin = nin, .nconst = nconst, .ninstr = ninstr, .nout = nout,
                    .counts = counts, .full = full, .code = code, .out_regs = out_regs, .first_chunk = first_chunk,
                    .inputs = inputs, .outputs = outputs, .consts = consts, .imm = imm,
                    .chunks = first_chunk[nseg], .next = 0, .status = 0 };
    int threads = omp_get_max_threads();
    if (threads > j.chunks) threads = (int)j.chunks;
    // Below two chunks of work a parallel region costs more than it saves.
    if (threads > 1 && total >= 2 * DLC_FUSED_CHUNK) GOMP_parallel(multi_part, &j, (unsigned)threads, 0);
    else multi_part(&j);
    return j.status;
}
