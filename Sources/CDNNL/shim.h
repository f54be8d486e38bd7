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
