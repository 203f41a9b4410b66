// oneDNN's C API (Debian: libdnnl-dev 2.6, built with OpenMP; no pkg-config file).
#include <oneapi/dnnl/dnnl.h>

// DNNL_MEMORY_ALLOCATE is a macro cast that does not import into Swift.
static inline void *qpae_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }

// oneDNN runs on libgomp's OpenMP threads; the engine sets their number to its own thread count.
extern void omp_set_num_threads(int count);

// libgomp's entry points for a parallel region (what `#pragma omp parallel` compiles to): the engine
// runs its own parallel loops on the same OpenMP threads as oneDNN, so no second pool spins beside them.
extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);
