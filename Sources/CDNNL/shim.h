// oneDNN's C API for Swift, plus what does not import on its own: the DNNL_MEMORY_ALLOCATE
// macro, and OpenMP's thread cap (oneDNN threads with libgomp; see RECIPES.md).
#ifndef DLC_CDNNL_SHIM_H
#define DLC_CDNNL_SHIM_H
#include <dnnl.h>

/// `DNNL_MEMORY_ALLOCATE`: let the library allocate a memory object's buffer.
static inline void *dlc_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
/// `DNNL_MEMORY_NONE`: a memory object without a buffer (set with dnnl_memory_set_data_handle).
static inline void *dlc_dnnl_memory_none(void) { return DNNL_MEMORY_NONE; }

/// libgomp's cap on the threads of later parallel regions (omp.h is not on Clang's path).
void omp_set_num_threads(int n);
int omp_get_max_threads(void);
void omp_set_dynamic(int dynamic);
#endif
