// The CPUs this process may run on (its affinity mask), for the CPU back end's thread cap.
#define _GNU_SOURCE
#include "CKernels.h"
#if defined(__linux__)
#include <sched.h>
#endif

int dlc_affinity_cpu_count(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
    return 0;
}
