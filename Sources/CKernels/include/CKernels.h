// The CPU back end's own kernels (elementwise, reductions, softmax, losses, data movement,
// random), called by DLCCPU with precomputed shapes and strides. See the .c files.
#ifndef DLC_CKERNELS_H
#define DLC_CKERNELS_H
#include <stdint.h>

/// The library's version, to check that the module links.
int dlc_kernels_version(void);
#endif
