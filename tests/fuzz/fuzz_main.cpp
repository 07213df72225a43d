// One libFuzzer binary per target: MEMMAP_FUZZ_TARGET names the function in targets.hpp.
#include "targets.hpp"

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  memmap::fuzz::MEMMAP_FUZZ_TARGET(data, size);
  return 0;
}
