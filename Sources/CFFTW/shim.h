// FFTW 3 in single precision (Debian: libfftw3-dev, fftw3f). Plan creation is not thread-safe: plans are
// made once, under a lock, and executed with the new-array interface.
#include <fftw3.h>

// `fftwf_version` is an array of unknown size, which does not import into Swift.
static inline const char *qpae_fftwf_version(void) { return fftwf_version; }
