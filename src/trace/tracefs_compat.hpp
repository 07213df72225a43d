// Including libtracefs / libtracecmd from C++. Debian's tracefs.h (1.6) has no extern "C"
// block and one inline function that passes an int where C++ wants an enum
// (tracefs_hist_start); a C++ overload declared first takes that call. Private to
// src/trace/.
#pragma once

struct tracefs_instance;
struct tracefs_hist;
static inline int tracefs_hist_command(tracefs_instance* instance, tracefs_hist* hist, int cmd);

#include <event-parse.h>
extern "C" {
#include <tracefs.h>
}
#include <trace-cmd.h>

static inline int
tracefs_hist_command(tracefs_instance* instance, tracefs_hist* hist, int cmd)
{
  return tracefs_hist_command(instance, hist, static_cast<enum tracefs_hist_command>(cmd));
}
