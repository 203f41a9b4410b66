// libsndfile (Debian: libsndfile1-dev 1.2): reads WAV, FLAC, OGG/Vorbis and MP3.
#include <sndfile.h>
