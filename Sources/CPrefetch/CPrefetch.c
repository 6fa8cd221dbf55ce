// The prefetch hint is a static inline function in the header; this file gives the target its one
// translation unit.
#include "CPrefetch.h"
