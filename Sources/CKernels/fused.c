// The fused elementwise kernel: a small program of elementwise instructions evaluated over
// the result shape in tiles of the innermost dimension. Each tile loads every operand once
// (contiguous operands are read in place, broadcast ones splatted), runs every instruction
// over the tile (registers stay in cache), and writes each result once. Bool values inside a
// program are 0/1 in the program's float type.
#include "fused_program.h"

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
            RUN_PROGRAM(T, F)                                                                     \
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
