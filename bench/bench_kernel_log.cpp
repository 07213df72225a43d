// Kernel-log parse rate (issue 19: goal >= 200 MB/s). Not a test: prints what it measures.
// Run: build/ci/bench/memmap_kernel_log_bench [MB] [FILE]
// The input is FILE repeated (default: the real 6.18 dmesg capture in fixtures/kernel-log)
// with the written failure logs mixed in, to about MB megabytes (default 256).
#include <memmap/pci/kernel_log.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string
slurp(const std::string& p)
{
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

int
main(int argc, char** argv)
{
  const std::size_t mb = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  const std::string dir = std::string(MEMMAP_SOURCE_DIR) + "/fixtures/kernel-log/";
  std::string unit = argc > 2 ? slurp(argv[2])
                              : slurp(dir + "live-firecracker-6.18-dmesg.txt") +
                                  slurp(dir + "written-5.15-gpu-no-space.dmesg") +
                                  slurp(dir + "written-6.8-gpu-no-space.dmesg");
  if (unit.empty()) {
    std::fprintf(stderr, "memmap_kernel_log_bench: no input\n");
    return 2;
  }
  std::string text;
  text.reserve(mb << 20);
  while (text.size() < (mb << 20)) {
    text += unit;
  }
  double best = 0;
  std::size_t events = 0;
  for (int run = 0; run < 5; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto log = memmap::pci::parse_kernel_log(text);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    events = log.events.size();
    const double rate = static_cast<double>(text.size()) / 1e6 / s;
    best = rate > best ? rate : best;
    std::printf("run %d: %.1f MB in %.3f s = %.0f MB/s, %zu lines, %zu events\n", run,
                static_cast<double>(text.size()) / 1e6, s, rate, log.lines, events);
  }
  std::printf("best: %.0f MB/s (%zu events)\n", best, events);
  return events > 0 ? 0 : 1;
}
