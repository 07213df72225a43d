// Text parse throughput of memmap's parsers, with Google Benchmark: /proc/iomem (the
// resource-tree parser) and, once the trace module is in the tree, a DMA trace in the tracefs
// text format. Inputs are files named on the command line, so the numbers come from the same
// generated inputs as bench/run's end-to-end timings:
//
//   memmap_bench_parse [--benchmark_...] iomem=FILE [trace=FILE]
//
// Reported: bytes_per_second (MB/s) for both, items_per_second (= events/s) for the trace.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include <memmap/model/address_space.hpp>
#include <memmap/source/resource_tree.hpp>
#include <memmap/source/sysroot.hpp>

#if __has_include(<memmap/trace/text_parser.hpp>)
#include <memmap/trace/text_parser.hpp>
#define MEMMAP_BENCH_HAS_TRACE 1
#else
#define MEMMAP_BENCH_HAS_TRACE 0
#endif

namespace {

std::uint64_t count_lines(std::string_view text) {
  std::uint64_t n = 0;
  for (char c : text) {
    if (c == '\n') {
      ++n;
    }
  }
  return n;
}

void bench_iomem(benchmark::State& state, const std::string* text) {
  std::size_t regions = 0;
  for (auto _ : state) {
    auto space = memmap::source::parse_resource_tree(*text, "iomem",
                                                     memmap::model::SpaceKind::cpu_physical);
    benchmark::DoNotOptimize(space);
    regions = count_lines(*text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text->size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * regions));
  state.counters["lines"] = static_cast<double>(regions);
}

#if MEMMAP_BENCH_HAS_TRACE
void bench_trace(benchmark::State& state, const std::string* text) {
  std::uint64_t events = 0;
  std::uint64_t sunk = 0;
  memmap::trace::EventSink sink;
  sink.event = [&sunk](const memmap::trace::DmaEvent&) { ++sunk; };
  for (auto _ : state) {
    auto stats = memmap::trace::read_text_trace(std::string_view(*text), "trace", sink);
    events += stats.events;
    benchmark::DoNotOptimize(sunk);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text->size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(events));  // items/s = events/s
}
#endif

bool load(const std::string& path, std::string& into) {
  auto r = memmap::source::read_file(path, path, std::size_t{4} << 30);
  if (!r) {
    std::fprintf(stderr, "memmap_bench_parse: %s\n", r.message.c_str());
    return false;
  }
  into = std::move(r.data);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  static std::string iomem;
  static std::string trace;
  bool any = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.rfind("iomem=", 0) == 0) {
      if (!load(std::string(arg.substr(6)), iomem)) {
        return 3;
      }
      benchmark::RegisterBenchmark("parse_iomem", bench_iomem, &iomem)
          ->Unit(benchmark::kMillisecond);
      any = true;
    } else if (arg.rfind("trace=", 0) == 0) {
#if MEMMAP_BENCH_HAS_TRACE
      if (!load(std::string(arg.substr(6)), trace)) {
        return 3;
      }
      benchmark::RegisterBenchmark("parse_trace_text", bench_trace, &trace)
          ->Unit(benchmark::kMillisecond);
      any = true;
#else
      std::fprintf(stderr, "memmap_bench_parse: built without the trace module "
                           "(<memmap/trace/text_parser.hpp>): trace= skipped\n");
#endif
    } else {
      std::fprintf(stderr, "memmap_bench_parse: unknown argument '%s'\n"
                           "usage: memmap_bench_parse [--benchmark_...] iomem=FILE [trace=FILE]\n",
                   argv[i]);
      return 2;
    }
  }
  if (!any) {
    std::fprintf(stderr, "usage: memmap_bench_parse [--benchmark_...] iomem=FILE [trace=FILE]\n");
    return 2;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
