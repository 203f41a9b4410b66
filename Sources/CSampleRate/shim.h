// libsamplerate (Debian: libsamplerate0-dev 0.2): band-limited sinc resampling.
#include <samplerate.h>
