// The libtraceevent record decoder (the live path) on the corpus trace.dat files: records
// decoded from the formats the files carry, by field name, must give the same summary as
// the texts (expected.json), and the format files of both generations must load.
#include <memmap/error.hpp>
#include <memmap/trace/record_decoder.hpp>
#include <memmap/render/trace.hpp>
#include <memmap/trace/tracker.hpp>

#include <algorithm>

#include <traceevent/event-parse.h>

#include "trace_expect.hpp"

using namespace memmap::trace;
using namespace memmap::render;
using namespace memmap::trace::testing;

TEST_CASE("trace records: trace.dat files decode to the expected summary", "[trace]")
{
  const std::tuple<const char*, const char*, std::uint64_t, std::uint64_t> cases[] = {
    {"s1-6.18.dat", "s1-6.18.expected.json", 1659, 3646},
    {"s2-6.12.dat", "s2-6.12.expected.json", 2295, 372},
  };
  for (const auto& [file, expected, records, lost] : cases) {
    INFO(file);
    Tracker tracker;
    std::vector<DmaEvent> sg_maps;
    EventSink sink{[&](const DmaEvent& ev) {
                     tracker.add(ev);
                     if (ev.type == EventType::dma_map_sg) {
                       sg_maps.push_back(ev);
                     }
                   },
                   [&](std::uint64_t n) { tracker.add_lost(n); }};
    const DatStats st = read_dat_trace(memmap::source::TraceInput::open(fixture(file)), sink);
    CHECK(st.records == records);
    CHECK(st.lost == lost);
    CHECK(st.cpus == 4);
    const auto j = summary_to_json(tracker.summary(), Annotator{});
    require_matches_expected(j, load_json(fixture(expected)));
    // sg maps carry their lists; 6.18 has one map truncated at 128 of 192 entries.
    REQUIRE(!sg_maps.empty());
    const auto trunc = std::count_if(sg_maps.begin(), sg_maps.end(),
                                     [](const DmaEvent& e) { return e.truncated; });
    if (std::string(file).find("6.18") != std::string::npos) {
      CHECK(trunc == 1);
      const auto it = std::find_if(sg_maps.begin(), sg_maps.end(),
                                   [](const DmaEvent& e) { return e.truncated; });
      CHECK(it->full_nents == 192);
      CHECK(it->phys_addrs.size() == 128);
    } else {
      CHECK(trunc == 0);
      CHECK(sg_maps.front().full_nents == -1);  // no such field before the cap
    }
    for (const auto& e : sg_maps) {
      CHECK(e.dma_addrs.size() == e.sizes.size());
      CHECK(!e.device.empty());
    }
  }
}

TEST_CASE("trace records: text and binary decoding agree event by event", "[trace]")
{
  // The first dma_map_sg of s1 in the tep 1.7 report is printed raw:
  // device=0000:64:02.1 full_nents=8 full_ents=1 ... dma_addrs=ARRAY[00, 60, ed, ff, ...]
  std::vector<DmaEvent> from_dat;
  EventSink sink{[&](const DmaEvent& ev) { from_dat.push_back(ev); }, {}};
  read_dat_trace(memmap::source::TraceInput::open(fixture("s1-6.18.dat")), sink);
  std::vector<DmaEvent> from_text;
  EventSink tsink{[&](const DmaEvent& ev) { from_text.push_back(ev); }, {}};
  read_text_trace(slurp(fixture("s1-6.18.report-tep1.7.txt")), "report", tsink);
  REQUIRE(from_dat.size() == from_text.size());
  std::size_t compared = 0;
  for (std::size_t i = 0; i < from_dat.size(); ++i) {
    const DmaEvent& a = from_dat[i];
    const DmaEvent& b = from_text[i];
    INFO("event " << i << " " << event_name(a.type));
    REQUIRE(a.type == b.type);
    CHECK(a.device == b.device);
    CHECK(a.dir == b.dir);
    CHECK(a.dma_addr == b.dma_addr);
    CHECK(a.size == b.size);
    CHECK(a.phys_addrs == b.phys_addrs);
    CHECK(a.dma_addrs == b.dma_addrs);
    CHECK(a.sizes == b.sizes);
    CHECK(a.attrs == b.attrs);
    CHECK(a.cpu == b.cpu);
    CHECK(a.ts_ns / 1000 == b.ts_ns / 1000);  // text has microseconds
    ++compared;
  }
  CHECK(compared == 1620);
}

TEST_CASE("trace records: format files of both generations load", "[trace]")
{
  for (const char* gen : {"6.18", "6.12"}) {
    INFO(gen);
    const FormatSet set = FormatSet::load_dir(fixture(std::string("formats/") + gen));
    const auto& ev = set.events();
    CHECK(std::find(ev.begin(), ev.end(), "dma/dma_map_sg") != ev.end());
    CHECK(std::find(ev.begin(), ev.end(), "swiotlb/swiotlb_bounced") != ev.end());
    CHECK(std::find(ev.begin(), ev.end(), "iommu/io_page_fault") != ev.end());
    const bool phys = std::find(ev.begin(), ev.end(), "dma/dma_map_phys") != ev.end();
    CHECK(phys == (std::string(gen) == "6.18"));
  }
  CHECK_THROWS_AS(FormatSet::load_dir(fixture("no-such-dir")), memmap::SourceError);
}

TEST_CASE("trace records: load_events parses only the named events and skips missing ones",
          "[trace]")
{
  // 6.12 has no dma_map_phys; a live capture asks for what the kernel lists and must not fail.
  const FormatSet set = FormatSet::load_events(
    fixture("formats/6.12"), {"dma/dma_map_sg", "dma/dma_map_phys", "iommu/io_page_fault", "bogus"});
  CHECK(set.events() == std::vector<std::string>{"dma/dma_map_sg", "iommu/io_page_fault"});
  REQUIRE(set.tep() != nullptr);
  CHECK(tep_find_event_by_name(set.tep(), "dma", "dma_map_sg") != nullptr);
  CHECK(tep_find_event_by_name(set.tep(), "dma", "dma_unmap_sg") == nullptr);
  CHECK_THROWS_AS(FormatSet::load_events(fixture("no-such-dir"), {"dma/dma_map_sg"}),
                  memmap::SourceError);
}

TEST_CASE("trace records: a text file is not a trace.dat", "[trace]")
{
  CHECK(is_dat_header(slurp(fixture("s1-6.18.dat")).substr(0, 16)));
  CHECK_FALSE(is_dat_header("# tracer: nop\n"));
  CHECK_THROWS_AS(read_dat_trace(memmap::source::TraceInput::open(fixture("s1-6.18.trace.txt")), EventSink{[](const DmaEvent&) {}, {}}),
                  memmap::InputError);
}
