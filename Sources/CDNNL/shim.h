// oneDNN's C API for Swift, plus what does not import on its own: the DNNL_MEMORY_ALLOCATE
// macro, and OpenMP's thread cap (oneDNN threads with libgomp; see RECIPES.md).
#ifndef DLC_CDNNL_SHIM_H
#define DLC_CDNNL_SHIM_H
#include <dnnl.h>

/// `DNNL_MEMORY_ALLOCATE`: let the library allocate a memory object's buffer.
static inline void *dlc_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
/// `DNNL_MEMORY_NONE`: a memory object without a buffer (set with dnnl_memory_set_data_handle).
static inline void *dlc_dnnl_memory_none(void) { return DNNL_MEMORY_NONE; }

/// The element strides of each dimension of a 4-D layout our own kernels can address with
/// strides alone: a permutation of NCHW (no blocks), or channels in blocks of which the channels
/// fill one (nChw8c with at most 8 channels). Returns 1 and fills `strides`, or 0.
static inline int dlc_dnnl_logical_strides(const dnnl_memory_desc_t *md, int64_t strides[4]) {
    if (md->ndims != 4 || md->format_kind != dnnl_blocked || md->offset0 != 0) return 0;
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    for (int d = 0; d < 4; d++) strides[d] = b->strides[d];
    if (b->inner_nblks == 0) return 1;
    if (b->inner_nblks == 1 && b->inner_idxs[0] == 1 && md->dims[1] <= b->inner_blks[0]) {
        strides[1] = 1;
        return 1;
    }
    return 0;
}

/// For a 4-D (N, C, H, W) layout with the spatial positions p = h·W + w evenly spaced and the
/// channels either in planes or side by side in blocks: {image, block stride, position stride,
/// block} such that (n, c, p) lies at n·image + (c / block)·blockStride + p·position + c % block
/// (the layout batch normalization's kernel takes); returns 0 for any other layout.
static inline int dlc_dnnl_channel_layout(const dnnl_memory_desc_t *md, int64_t layout[4]) {
    if (md->ndims != 4 || md->format_kind != dnnl_blocked || md->offset0 != 0) return 0;
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    const int64_t *s = b->strides, c = md->dims[1], h = md->dims[2], w = md->dims[3];
    // p·position must reach (h, w): a stride per row of w positions, unless one of them is 1.
    int64_t position = w > 1 ? s[3] : s[2];
    if (h > 1 && w > 1 && s[2] != w * s[3]) return 0;
    if (b->inner_nblks == 0) {
        if (s[1] == 1 || c == 1) { layout[0] = s[0]; layout[1] = 0; layout[2] = position; layout[3] = c; return position >= c || h * w == 1; }
        if (position == 1) { layout[0] = s[0]; layout[1] = s[1]; layout[2] = 1; layout[3] = 1; return 1; }
        return 0;
    }
    if (b->inner_nblks == 1 && b->inner_idxs[0] == 1) {
        layout[0] = s[0]; layout[1] = s[1]; layout[2] = position; layout[3] = b->inner_blks[0];
        return position >= b->inner_blks[0] || h * w == 1;
    }
    return 0;
}

/// Whether a layout has padding (a blocked dimension rounded up to its block).
static inline int dlc_dnnl_is_padded(const dnnl_memory_desc_t *md) {
    for (int d = 0; d < md->ndims; d++) if (md->padded_dims[d] != md->dims[d]) return 1;
    return 0;
}

/// libgomp's cap on the threads of later parallel regions (omp.h is not on Clang's path).
void omp_set_num_threads(int n);
int omp_get_max_threads(void);
void omp_set_dynamic(int dynamic);
#endif
