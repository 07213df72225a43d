// The text trace reader and the tracker on the corpus fixtures (fixtures/trace/, copied
// from shared/corpus/trace): every text form of both event generations must give exactly
// the hand-checked expected.json summary.
#include <memmap/render/trace.hpp>
#include <memmap/trace/text_parser.hpp>
#include <memmap/trace/tracker.hpp>

#include "trace_expect.hpp"

using namespace memmap::trace;
using namespace memmap::render;
using namespace memmap::trace::testing;

namespace {

struct Run {
  TextStats stats;
  Summary summary;
  nlohmann::json json;
};

Run
run_text(const std::string& text, const std::string& name = "trace.txt")
{
  Tracker tracker;
  EventSink sink{[&](const DmaEvent& ev) { tracker.add(ev); },
                 [&](std::uint64_t n) { tracker.add_lost(n); }};
  Run r;
  r.stats = read_text_trace(text, name, sink);
  r.summary = tracker.summary();
  r.json = summary_to_json(r.summary, Annotator{});
  return r;
}

} // namespace

TEST_CASE("trace text: every corpus text form gives the expected summary", "[trace]")
{
  const std::pair<const char*, const char*> cases[] = {
    {"s1-6.18.trace.txt", "s1-6.18.expected.json"},
    {"s1-6.18.report-tep1.7.txt", "s1-6.18.expected.json"},
    {"s2-6.12.trace.txt", "s2-6.12.expected.json"},
    {"s2-6.12.report-tep1.7.txt", "s2-6.12.expected.json"},
    {"s2-6.12.report-tep1.8.txt", "s2-6.12.expected.json"},
  };
  for (const auto& [file, expected] : cases) {
    INFO(file);
    const Run r = run_text(slurp(fixture(file)), file);
    CHECK(r.stats.malformed == 0);
    for (const auto& e : r.stats.first_errors) {
      UNSCOPED_INFO(e);
    }
    require_matches_expected(r.json, load_json(fixture(expected)));
  }
}

TEST_CASE("trace text: record and lost counts of the corpus files", "[trace]")
{
  // README.md of the corpus: 1659 / 2295 event records, lost 3646 / 372.
  const Run s1 = run_text(slurp(fixture("s1-6.18.trace.txt")));
  CHECK(s1.stats.records == 1659);
  CHECK(s1.stats.lost == 3646);
  CHECK(s1.summary.lost_events == 3646);
  const Run s1r = run_text(slurp(fixture("s1-6.18.report-tep1.7.txt")));
  CHECK(s1r.stats.records == 1659);
  CHECK(s1r.stats.lost == 3646);
  const Run s2 = run_text(slurp(fixture("s2-6.12.report-tep1.8.txt")));
  CHECK(s2.stats.records == 2295);
  CHECK(s2.stats.lost == 372);
}
