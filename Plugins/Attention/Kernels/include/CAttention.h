// The CPU kernels of the attention plugin's `attention` and `attention_backward` ops in f32:
// per (batch, head), oneDNN's sgemm for the products and one pass over each score row for
// the masked softmax (forward) or its vector-Jacobian product (backward). The (batch, head)
// pairs are shared among libgomp's threads, the pool oneDNN itself uses, so the kernels never
// run more threads than the CPU back end's cap (the sgemm calls inside run single-threaded).
#ifndef DLC_CATTENTION_H
#define DLC_CATTENTION_H
#include <stdint.h>

/// The layout shared by both kernels. Operands are row-major; `q` is [batch, tq, heads·d],
/// `k` [batch, tk, heads·d], `v` [batch, tk, heads·dv]; head h owns columns h·d ..< (h+1)·d.
/// Probabilities are [batch, heads, tq, tk].
typedef struct {
    int64_t batch, heads, tq, tk, d, dv;
    float scale;
    /// Keys j > i are hidden from query i.
    int causal;
    /// An additive mask (may be NULL): entry (b, h, i, j) is
    /// mask[mask_offsets[b·heads + h] + i·mask_row + j·mask_col].
    const float *mask;
    const int64_t *mask_offsets;
    int64_t mask_row, mask_col;
} dlc_attention_shape;

/// out [batch, tq, heads·dv] = softmax(scale·q·kᵀ + mask)·v; probs receives the softmax.
/// Returns 0, or a negative code when sgemm fails (-2) or memory runs out (-1).
int dlc_attention_forward_f32(const dlc_attention_shape *s, const float *q, const float *k, const float *v,
                              float *out, float *probs);

/// dq, dk, dv (shaped as q, k, v) from the forward's probabilities, the cotangent of out and,
/// unless NULL, the cotangent of probs. Returns 0 or a negative code as above.
int dlc_attention_backward_f32(const dlc_attention_shape *s, const float *q, const float *k, const float *v,
                               const float *probs, const float *d_out, const float *d_probs,
                               float *dq, float *dk, float *dv);
#endif
