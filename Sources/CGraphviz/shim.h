// Graphviz (libgvc, libcgraph) for DLCRender: layout and rendering in-process.
#include <graphviz/gvc.h>
#include <graphviz/cgraph.h>

// `Agdirected` is a mutable C global, which Swift's strict concurrency checking refuses to
// read; hand it out through a function instead.
static inline Agdesc_t dlc_agdirected(void) { return Agdirected; }
