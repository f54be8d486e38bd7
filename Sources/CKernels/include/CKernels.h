// The CPU back end's own kernels, called by DLCCPU with shapes, strides and offsets it
// computed when the plan was built. Element counts and strides are in elements, not bytes.
// Element types are coded as DLC_F32 … DLC_BOOL; bool is one byte (0 or 1).
#ifndef DLC_CKERNELS_H
#define DLC_CKERNELS_H
#include <stdint.h>

enum { DLC_F32 = 0, DLC_F64 = 1, DLC_I32 = 2, DLC_I64 = 3, DLC_BOOL = 4 };
/// Most dimensions a strided kernel iterates (plans collapse shapes to this or fewer).
enum { DLC_MAX_RANK = 8 };

/// The library's version, to check that the module links.
int dlc_kernels_version(void);
/// The number of CPUs in this process's affinity mask (Linux), or 0 where unknown.
int dlc_affinity_cpu_count(void);

// elementwise.c ---------------------------------------------------------------------------
/// y[i] = op(x[i]) for n contiguous elements; alpha/beta are the op's attributes.
/// Returns 0, or -1 for an op/dtype pair that has no kernel.
int dlc_unary(int dtype, int op, int64_t n, const void *x, void *y, double alpha, double beta);
/// y = a op b over `shape` (rank ≤ DLC_MAX_RANK); a and b are read through strides (0 on a
/// broadcast dimension); y is contiguous. Comparisons (op ≥ 10) write bool. Returns 0 or -1.
int dlc_binary(int dtype, int op, int rank, const int64_t *shape, const int64_t *sa, const int64_t *sb,
               const void *a, const void *b, void *y);
/// y = cond ? a : b over `shape`, all three operands strided; y contiguous. elem: 1, 4 or 8 bytes.
void dlc_where(int elem, int rank, const int64_t *shape, const int64_t *sc, const int64_t *sa, const int64_t *sb,
               const uint8_t *cond, const void *a, const void *b, void *y);
/// y = x converted from one dtype to another (floats truncate toward zero into integers).
void dlc_cast(int from, int to, int64_t n, const void *x, void *y);
/// Fills n elements with a value.
void dlc_fill(int dtype, int64_t n, double value, void *y);

// movement.c ------------------------------------------------------------------------------
/// dst[dOff + Σ i·ds] = src[sOff + Σ i·ss] over `shape`; elem is the element size in bytes.
void dlc_strided_copy(int elem, int rank, const int64_t *shape, const void *src, int64_t sOff, const int64_t *ss,
                      void *dst, int64_t dOff, const int64_t *ds);
/// y[o, j, i] = x[o, idx[j], i] for x [outer, axisLen, inner]; idx i32 or i64 (idxType).
/// Negative indices count from the end. Returns -1 if an index is out of range.
int dlc_gather(int elem, int64_t outer, int64_t axisLen, int64_t inner, const void *x,
               int idxType, int64_t nIdx, const void *idx, void *y);
/// y [n, depth] f32 one-hot rows; an index out of range gives a zero row.
void dlc_one_hot(int idxType, int64_t n, int64_t depth, const void *idx, float *y);

// reduce.c --------------------------------------------------------------------------------
/// Reduction over the `red` dimensions for each element of the `kept` dimensions (both
/// strided into x); y contiguous over kept. op: 0 sum, 1 mean, 2 max, 3 min, 4 prod.
int dlc_reduce(int dtype, int op, int keptRank, const int64_t *keptShape, const int64_t *keptStrides,
               int redRank, const int64_t *redShape, const int64_t *redStrides, const void *x, void *y);
/// Index (i64) of the largest (isMax) or smallest element along the middle axis of [outer, n, inner].
int dlc_argreduce(int dtype, int isMax, int64_t outer, int64_t n, int64_t inner, const void *x, int64_t *y);
/// Softmax (or log-softmax) along the middle axis of [outer, n, inner].
int dlc_softmax(int dtype, int isLog, int64_t outer, int64_t n, int64_t inner, const void *x, void *y);
/// Layer norm of rows [rows, n]; weight/bias may be NULL.
int dlc_layer_norm(int dtype, int64_t rows, int64_t n, const void *x, const void *w, const void *b, double eps, void *y);
/// Batch norm of [N, C, S] (S = H·W or 1): with useBatch the batch statistics (biased
/// variance), else the running ones.
int dlc_batch_norm(int dtype, int useBatch, int64_t n, int64_t c, int64_t s, const void *x, const void *w,
                   const void *b, const void *mean, const void *var, double eps, void *y);
/// Batch normalization in training mode over f32 [N, C, S] (S the spatial positions) in a
/// layout where channel c of image n at position p lies at
/// n·layout[0] + (c / layout[3])·layout[1] + p·layout[2] + c % layout[3] (elements): plain
/// NCHW is {C·S, S, 1, 1}, NHWC {S·C, 0, C, C}, oneDNN's nChw16c {Cp·S, 16·S, 16, 16}. y (same
/// layout) = (x − mean)·w/√(var + eps) + b with the batch's mean and biased variance, which are
/// written to mean and var [C]. The per-channel sums are accumulated in one order whatever the
/// layout (batch_norm_training.c), so every layout gives the same results to the bit; a blocked
/// layout's padded channels are not written. Returns -1 for an empty or malformed shape.
int dlc_batch_norm_training(int64_t n, int64_t c, int64_t s, const int64_t *layout, const float *x, const float *w,
                            const float *b, double eps, float *y, float *mean, float *var);
/// The gradients of dlc_batch_norm_training from its batch statistics: dx (x's layout, as dy),
/// dw = Σ dy·(x − mean)/√(var + eps) and db = Σ dy per channel, summed as the forward's.
int dlc_batch_norm_backward(int64_t n, int64_t c, int64_t s, const int64_t *layout, const float *x, const float *w,
                            const float *mean, const float *var, const float *dy, double eps, float *dx, float *dw,
                            float *db);
/// Local response norm across channels of [N, C, S] (PyTorch's definition).
int dlc_lrn(int dtype, int64_t n, int64_t c, int64_t s, int64_t size, double alpha, double beta, double k,
            const void *x, void *y);

// losses.c --------------------------------------------------------------------------------
/// Mean softmax cross-entropy of logits [n, c] with integer labels (labelType i32/i64) or
/// probabilities (labelType = the logits' dtype). Returns -1 for a label out of range.
int dlc_cross_entropy(int dtype, int labelType, int64_t n, int64_t c, const void *logits, const void *labels, void *y);
/// Mean over rows of −lp[r, labels[r]] (integer labels); -1 for a label out of range.
int dlc_nll_loss(int dtype, int labelType, int64_t n, int64_t c, const void *lp, const void *labels, void *y);
/// Pair losses over n elements: 0 mse, 1 mae, 2 binary_cross_entropy, 3 bce_with_logits,
/// 4 kl_div, 5 gaussian_kl (rows = batch size).
int dlc_pair_loss(int dtype, int op, int64_t n, int64_t rows, const void *a, const void *b, void *y);
/// Penalties: 0 l1 (Σ|x|), 1 l2 (Σx²).
int dlc_penalty(int dtype, int op, int64_t n, const void *x, void *y);

// random.c --------------------------------------------------------------------------------
/// Counter-based random numbers: element i of a stream depends only on (key, i), so results
/// do not depend on threading or chunking. kind: 0 uniform(p0, p1), 1 normal(p0, p1),
/// 2 bernoulli(p = x), 3 dropout(x, rate = p0),
/// 4 dropout mask (1/(1 - p0) kept, 0 dropped; x unused).
int dlc_random(int dtype, int kind, uint64_t key, int64_t n, double p0, double p1, const void *x, void *y);

// gemm.c ----------------------------------------------------------------------------------
/// C[m, n] = op(A)[m, k] · op(B)[k, n] in f64, row-major with leading dimensions lda, ldb, ldc.
void dlc_dgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
               const double *b, int64_t ldb, double *c, int64_t ldc);
// epilogue.c ------------------------------------------------------------------------------
/// The epilogue of a fused matmul over the product y [rows, n], in place, row by row: step s
/// is steps[2s] = 0 (add operands[s], full [rows, n]), 1 (add operands[s], a vector [n]),
/// 2 (multiply by params[s]) or 3 (activation steps[2s + 1]: 0 relu, 1 leaky_relu, 2 elu
/// (alpha params[s]), 3 tanh, 4 sigmoid, 5 gelu (tanh form), 6 gelu (exact)). Returns -1 for
/// an unknown step.
int dlc_matmul_epilogue(int64_t rows, int64_t n, float *y, int nsteps, const int64_t *steps,
                        const float *const *operands, const double *params);
// backward.c ------------------------------------------------------------------------------
/// y = g · gelu'(x) over n elements (approximate: the tanh form).
int dlc_gelu_backward(int dtype, int approximate, int64_t n, const void *x, const void *g, void *y);
/// y = x, then y[o, idx[j], i] += u[o, j, i] for x [outer, axisLen, inner], u [outer, nIdx, inner].
/// Returns -1 for an index out of range.
int dlc_scatter_add(int dtype, int64_t outer, int64_t axisLen, int64_t inner, const void *x, int idxType, int64_t nIdx,
                    const void *idx, const void *u, void *y);
/// Gradient of maxpool2d (isMax) or avgpool2d with respect to x [batch, channels, h, w], from g
/// [batch, channels, oh, ow]: windows start at (y·sh − padTop, x·sw − padLeft) and are clipped to
/// the input (PyTorch's rules, as the reference). Max routes each g to the first maximum of its
/// window in row-major order (a NaN wins); avg adds g / (window size clipped to h + padTop,
/// w + padLeft) to every input element of the window. x and the result y share one layout, xs:
/// element strides of n, c, h, w, then the channels a block and the blocks' distance (0, 0: one
/// block) — a plain NCHW buffer, NHWC, or oneDNN's nChw8c/16c with any number of blocks (then
/// xs[1] must be 1); g's strides are gs: n, c, h, w, then the distance between the g of two
/// consecutive x blocks. All yCount elements of y are zeroed first (a blocked layout's padding
/// included). Returns -1 for a max window that lies entirely in the padding, blocks with the
/// channels not innermost, or an unsupported dtype.
int dlc_pool_backward(int dtype, int isMax, int64_t batch, int64_t channels, int64_t h, int64_t w, int64_t kh, int64_t kw,
                      int64_t oh, int64_t ow, int64_t sh, int64_t sw, int64_t padTop, int64_t padLeft,
                      const int64_t *xs, const int64_t *gs, int64_t yCount, const void *x, const void *g, void *y);
/// Per-channel sum (or mean) over rows of a channels-innermost layout (NHWC, or nChw8c/16c
/// with all channels in one block): y[c] = Σ_r x[r·rowLength + c] for c < channels ≤ rowLength,
/// accumulated in double. f32 only; returns -1 otherwise.
int dlc_channel_sum(int dtype, int isMean, int64_t rows, int64_t rowLength, int64_t channels, const void *x, void *y);
/// Global average pooling: y[i] = mean of x[i·s … i·s + s).
int dlc_mean_rows(int dtype, int64_t rows, int64_t s, const void *x, void *y);
// fused.c ---------------------------------------------------------------------------------
/// Elements per tile of dlc_fused; its scratch holds (nin + nconst + ninstr) tiles of doubles.
enum { DLC_FUSED_TILE = 256 };
/// A fused elementwise program over `shape` (1 ≤ rank ≤ DLC_MAX_RANK, f32 or f64): registers
/// 0..nin-1 are the inputs (strides[i*rank + d], 0 where broadcast; the innermost stride 0 or
/// 1), then nconst constants, then one per instruction. Instruction i is code[6i..6i+5] =
/// {kind (0 unary, 1 binary, 2 where), op (dlc_unary/dlc_binary codes; unary 23 copy, 24
/// nonzero), dst, a, b, c} with imm[2i], imm[2i+1] its alpha and beta. Result r is register
/// out_regs[r], written contiguously to outputs[r]. Returns 0, or -1 for an unknown code.
int dlc_fused(int dtype, int rank, const int64_t *shape, int nin, const int64_t *strides, const void *const *inputs,
              int nconst, const double *consts, int ninstr, const int64_t *code, const double *imm, int nout,
              const int64_t *out_regs, void *const *outputs, void *scratch);

// fused_multi.c ---------------------------------------------------------------------------
/// Elements per chunk of dlc_fused_multi: the unit of work a thread takes.
enum { DLC_FUSED_CHUNK = 8192 };
/// One fused program (registers, code, imm, out_regs as for dlc_fused) over nseg segments of
/// counts[s] elements, f32 or f64. Segment s reads inputs[s·nin + i], contiguous when
/// full[s·nin + i] is 1, a scalar when 0, and writes its result r contiguously to
/// outputs[s·nout + r]. Runs on libgomp's threads when there are at least two chunks. Returns
/// 0, -1 for an unknown code or bad arguments, -2 when scratch memory cannot be allocated.
int dlc_fused_multi(int dtype, int nseg, const int64_t *counts, int nin, const int64_t *full, const void *const *inputs,
                    int nconst, const double *consts, int ninstr, const int64_t *code, const double *imm, int nout,
                    const int64_t *out_regs, void *const *outputs);

#endif
