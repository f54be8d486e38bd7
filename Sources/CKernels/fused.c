// The fused elementwise kernel: a small program of elementwise instructions evaluated over
// the result shape in tiles of its flat index. Each tile loads every operand once
// (contiguous operands are read in place, broadcast ones gathered), runs every instruction
// over the tile (registers stay in cache), and writes each result once. Bool values inside a
// program are 0/1 in the program's float type.
#include "fused_program.h"

// The shape with size-1 dimensions dropped and neighbours merged wherever every input's
// strides allow (each output is contiguous): a [64, 8, 32] result with contiguous inputs is
// one run of 16384 elements, with a per-row [64, 8, 1] input it stays [512, 32]. Returns the
// merged rank (0 for no elements); shape m[], input i's strides ms[i * DLC_MAX_RANK + d].
static int merge_dims(int rank, const int64_t *shape, int nin, const int64_t *strides, int64_t *m, int64_t *ms) {
    int mr = 0;
    for (int d = 0; d < rank; d++) {
        if (shape[d] == 0) return 0;
        if (shape[d] == 1) continue;
        int merge = mr > 0;
        for (int i = 0; i < nin && merge; i++)
            merge = ms[i * DLC_MAX_RANK + mr - 1] == strides[i * rank + d] * shape[d];
        if (merge) {
            m[mr - 1] *= shape[d];
            for (int i = 0; i < nin; i++) ms[i * DLC_MAX_RANK + mr - 1] = strides[i * rank + d];
        } else {
            m[mr] = shape[d];
            for (int i = 0; i < nin; i++) ms[i * DLC_MAX_RANK + mr] = strides[i * rank + d];
            mr++;
        }
    }
    if (mr == 0) { m[0] = 1; for (int i = 0; i < nin; i++) ms[i * DLC_MAX_RANK] = 0; mr = 1; }
    return mr;
}

// Tiles run over the flat index of the (merged) result, so a tile spans several short rows:
// the program's per-instruction cost is paid once per TILE elements, not once per row.
// Inputs contiguous over the whole result are read in place, scalars splatted once, the
// others gathered row segment by row segment.
#define FUSED_BODY(T, F)                                                                          \
    int64_t m[DLC_MAX_RANK], ms[(nin > 0 ? nin : 1) * DLC_MAX_RANK];                              \
    int mr = merge_dims(rank, shape, nin, strides, m, ms);                                        \
    if (mr == 0) return 0;                                                                        \
    int64_t total = 1, inner = m[mr - 1];                                                         \
    for (int d = 0; d < mr; d++) total *= m[d];                                                   \
    int nregs = nin + nconst + ninstr;                                                            \
    T *buf = (T *)scratch;                                                                        \
    const T *reg[nregs];                                                                          \
    int kind[nin > 0 ? nin : 1]; /* 0 gathered, 1 contiguous, 2 scalar */                          \
    for (int i = 0; i < nin; i++) {                                                               \
        const int64_t *s = ms + i * DLC_MAX_RANK;                                                 \
        int scalar = 1, contiguous = s[mr - 1] == 1;                                              \
        for (int d = 0; d < mr; d++) scalar &= s[d] == 0;                                         \
        for (int d = 0; d < mr - 1; d++) contiguous &= s[d] == s[d + 1] * m[d + 1];               \
        kind[i] = scalar ? 2 : contiguous;                                                        \
        if (scalar) {                                                                             \
            T *p = buf + (int64_t)i * TILE, v = *(const T *)inputs[i];                            \
            for (int k = 0; k < TILE; k++) p[k] = v;                                              \
            reg[i] = p;                                                                           \
        }                                                                                         \
    }                                                                                             \
    for (int c = 0; c < nconst; c++) {                                                            \
        T *p = buf + (int64_t)(nin + c) * TILE;                                                   \
        for (int k = 0; k < TILE; k++) p[k] = (T)consts[c];                                       \
        reg[nin + c] = p;                                                                         \
    }                                                                                             \
    for (int i = 0; i < ninstr; i++) reg[nin + nconst + i] = buf + (int64_t)(nin + nconst + i) * TILE; \
    int64_t idx[DLC_MAX_RANK] = {0}, col = 0; /* where the tile starts: row odometer, column */  \
    for (int64_t f0 = 0; f0 < total; f0 += TILE) {                                                \
        int64_t n = total - f0 < TILE ? total - f0 : TILE;                                        \
        for (int i = 0; i < nin; i++) {                                                           \
            if (kind[i] == 1) { reg[i] = (const T *)inputs[i] + f0; continue; }                   \
            if (kind[i] == 2) continue;                                                           \
            const int64_t *s = ms + i * DLC_MAX_RANK;                                             \
            T *p = buf + (int64_t)i * TILE;                                                       \
            int64_t row[DLC_MAX_RANK], c = col;                                                   \
            memcpy(row, idx, sizeof row);                                                         \
            for (int64_t k = 0; k < n;) {                                                         \
                int64_t seg = inner - c < n - k ? inner - c : n - k, off = c * s[mr - 1];         \
                for (int d = 0; d < mr - 1; d++) off += row[d] * s[d];                            \
                const T *src = (const T *)inputs[i] + off;                                        \
                if (s[mr - 1] == 0) { T v = src[0]; for (int64_t q = 0; q < seg; q++) p[k + q] = v; } \
                else if (s[mr - 1] == 1) memcpy(p + k, src, (size_t)seg * sizeof(T));            \
                else for (int64_t q = 0; q < seg; q++) p[k + q] = src[q * s[mr - 1]];             \
                k += seg; c += seg;                                                               \
                if (c == inner) {                                                                 \
                    c = 0;                                                                        \
                    for (int d = mr - 2; d >= 0; d--) { if (++row[d] < m[d]) break; row[d] = 0; } \
                }                                                                                 \
            }                                                                                     \
            reg[i] = p;                                                                           \
        }                                                                                         \
        RUN_PROGRAM(T, F)                                                                         \
        for (int r = 0; r < nout; r++)                                                            \
            memcpy((T *)outputs[r] + f0, reg[out_regs[r]], (size_t)n * sizeof(T));               \
        int64_t carry = (col + n) / inner;                                                        \
        col = (col + n) % inner;                                                                  \
        for (int d = mr - 2; d >= 0 && carry; d--) {                                              \
            idx[d] += carry;                                                                      \
            carry = idx[d] / m[d];                                                                \
            idx[d] %= m[d];                                                                       \
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
