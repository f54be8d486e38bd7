#include "CKernels.h"
int dlc_kernels_version(void) { return 1; }
