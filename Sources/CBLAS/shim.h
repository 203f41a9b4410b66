// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). `openblas_set_num_threads` and
// `openblas_get_num_threads` come with it; the engine uses them for its thread-count setting.
#include <cblas.h>
