// Entry point of the memmap command line (the executable's main calls this).
#pragma once

namespace memmap::cli {

int run(int argc, char** argv);

} // namespace memmap::cli
