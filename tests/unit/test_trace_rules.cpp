// The tracker's matching rules (docs/trace-formats.md and the decisions in tracker.hpp),
// one line at a time, plus the line decoder on hostile and unusual input and the
// dma-api dump parser.
#include <memmap/error.hpp>
#include <memmap/trace/capture.hpp>
#include <memmap/trace/dma_debug.hpp>
#include <memmap/render/trace.hpp>
#include <memmap/trace/text_parser.hpp>
#include <memmap/trace/tracker.hpp>

#include <fmt/format.h>

#include "trace_expect.hpp"

using namespace memmap::trace;
using namespace memmap::render;
using namespace memmap::trace::testing;

namespace {

// Feed kernel-format trace lines (the body after "name: ") to a tracker.
struct Feed {
  Tracker tracker;
  std::uint64_t ts = 100000000;

  void operator()(const std::string& name, const std::string& body)
  {
    const std::string line = fmt::format("            test-1       [000] ..... {}.{:06}: {}: {}",
                                         ts / 1000000, ts % 1000000, name, body);
    ts += 10;
    DmaEvent ev;
    const LineResult r = parse_trace_line(line, ev);
    INFO(line << " -> " << r.error);
    REQUIRE(r.kind == LineKind::event);
    tracker.add(ev);
  }

  const DeviceStats& dev(const Summary& s, const std::string& d)
  {
    for (const auto& x : s.devices) {
      if (x.device == d) {
        return x;
      }
    }
    FAIL("no device " << d);
    return s.devices.front();
  }
};

} // namespace

TEST_CASE("trace rules: single maps match by (device, dma_addr); IOVA reuse; double unmap",
          "[trace]")
{
  Feed f;
  f("dma_map_phys", "A dir=TO_DEVICE dma_addr=1000 size=4096 phys_addr=55000 attrs=");
  f("dma_map_phys", "B dir=FROM_DEVICE dma_addr=1000 size=512 phys_addr=66000 attrs=");  // same IOVA, other device
  f("dma_unmap_phys", "A dir=TO_DEVICE dma_addr=1000 size=4096 attrs=");
  f("dma_map_phys", "A dir=FROM_DEVICE dma_addr=1000 size=8192 phys_addr=77000 attrs=");  // reuse
  f("dma_unmap_phys", "A dir=FROM_DEVICE dma_addr=1000 size=8192 attrs=");
  f("dma_unmap_phys", "A dir=FROM_DEVICE dma_addr=1000 size=8192 attrs=");  // double
  f("dma_unmap_phys", "A dir=TO_DEVICE dma_addr=9000 size=256 attrs=");     // never mapped
  const Summary s = f.tracker.summary();
  CHECK(s.events == 7);
  REQUIRE(s.outstanding.size() == 1);
  CHECK(s.outstanding[0].device == "B");
  CHECK(s.outstanding[0].size == 512);
  CHECK(s.outstanding[0].dir == DmaDir::from_device);
  REQUIRE(s.unmatched_unmaps.size() == 2);
  CHECK(s.unmatched_unmaps[0].double_unmap);
  CHECK(s.unmatched_unmaps[0].size == 8192);
  CHECK_FALSE(s.unmatched_unmaps[1].double_unmap);
  CHECK(s.unmatched_unmaps[1].dma_addr == 0x9000);
  const auto& a = f.dev(s, "A");
  CHECK(a.maps == 2);
  CHECK(a.unmaps == 4);  // every unmap counts, matched or not
  CHECK(a.double_unmaps == 1);
  CHECK(a.lifetimes.count == 2);
  CHECK(a.translated == 2);
}

TEST_CASE("trace rules: sg maps match their unmaps on the first 128 physical entries", "[trace]")
{
  Feed f;
  // 6.18: a 192-entry list recorded as 128 entries and [TRUNCATED]; the unmap lists all 192.
  std::string phys;
  std::string all;
  for (int i = 0; i < 192; ++i) {
    const std::string e = fmt::format("{}0x{:x}", i == 0 ? "" : ",", 0x100000 + i * 0x1000);
    all += e;
    if (i < 128) {
      phys += e;
    }
  }
  f("dma_map_sg", "D dir=TO_DEVICE nents=128/192 ents=2/2 [TRUNCATED] dma_addrs={0xf000,0x20000} "
                  "sizes={0x1000,0x2000} phys_addrs={" + phys + "} attrs=");
  Summary s = f.tracker.summary();
  REQUIRE(s.outstanding.size() == 1);
  CHECK(s.outstanding[0].dma_addr == 0xf000);
  CHECK(s.outstanding[0].size == 0x3000);  // sum of the printed sizes
  CHECK(s.outstanding[0].truncated);
  f("dma_unmap_sg", "D dir=TO_DEVICE phys_addrs={" + all + "} attrs=");
  s = f.tracker.summary();
  CHECK(s.outstanding.empty());
  CHECK(s.unmatched_unmaps.empty());
  // An sg unmap matching nothing: unmatched, flagged sg, no dma_addr.
  f("dma_unmap_sg", "D dir=TO_DEVICE phys_addrs={0x5000} attrs=");
  s = f.tracker.summary();
  REQUIRE(s.unmatched_unmaps.size() == 1);
  CHECK(s.unmatched_unmaps[0].sg);
  CHECK(s.unmatched_unmaps[0].phys_addr == 0x5000);
  const auto j = summary_to_json(s, Annotator{});
  CHECK(j["unmatched_unmaps"][0]["dma_addr"].is_null());
  CHECK(j["unmatched_unmaps"][0]["phys_addr"] == "0x5000");
}

TEST_CASE("trace rules: coherent allocations, failures, remaps, unmatched frees", "[trace]")
{
  Feed f;
  f("dma_alloc", "C dir=BIDIRECTIONAL dma_addr=fee0000 size=8192 virt_addr=00000000b7c7e2d4 flags=GFP_KERNEL attrs=");
  f("dma_alloc_pages", "C dir=FROM_DEVICE dma_addr=fef0000 size=4096 virt_addr=00000000b7c7e2d5 flags=GFP_KERNEL attrs=");
  f("dma_alloc", "C dir=BIDIRECTIONAL dma_addr=0 size=4096 virt_addr=0000000000000000 flags=GFP_KERNEL attrs=");  // failed
  f("dma_map_phys", "C dir=TO_DEVICE dma_addr=ffffffffffffffff size=4096 phys_addr=1000 attrs=");  // DMA_MAPPING_ERROR
  f("dma_map_phys", "C dir=TO_DEVICE dma_addr=3000 size=4096 phys_addr=3000 attrs=MMIO");
  f("dma_map_phys", "C dir=TO_DEVICE dma_addr=3000 size=1024 phys_addr=3000 attrs=");  // key still live
  f("dma_free", "C dir=BIDIRECTIONAL dma_addr=fee0000 size=8192 virt_addr=00000000b7c7e2d4 attrs=");
  f("dma_free_pages", "C dir=FROM_DEVICE dma_addr=abc000 size=4096 virt_addr=00000000b7c7e2d4 attrs=");
  f("dma_alloc_sgt_err", "C dir=TO_DEVICE dma_addr=0 size=4096 virt_addr=0000000000000000 flags=GFP_KERNEL attrs=");
  const Summary s = f.tracker.summary();
  const auto& c = f.dev(s, "C");
  CHECK(c.allocs == 3);
  CHECK(c.alloc_failures == 1);
  CHECK(c.maps == 3);
  CHECK(c.map_failures == 1);
  CHECK(c.remaps == 1);
  CHECK(c.frees == 2);
  CHECK(c.unmatched_frees == 1);
  CHECK(c.errors == 1);
  CHECK(c.untranslated == 2);  // dma_addr == phys_addr: no IOMMU
  REQUIRE(s.outstanding.size() == 2);
  CHECK(s.outstanding[0].dma_addr == 0x3000);
  CHECK(s.outstanding[0].size == 1024);  // the remap replaced the old entry
  CHECK(s.outstanding[1].kind == MappingKind::coherent);
  CHECK(s.outstanding[1].dir == DmaDir::from_device);
  CHECK(c.outstanding_count == 2);
  CHECK(c.outstanding_bytes == 1024 + 4096);
  REQUIRE(s.unmatched_frees.size() == 1);
  CHECK(s.unmatched_frees[0].dma_addr == 0xabc000);
}

TEST_CASE("trace rules: bounces, faults, iommu map/unmap without device", "[trace]")
{
  Feed f;
  f("swiotlb_bounced", "dev_name: ffb00000.npu dma_mask=ffffffff dev_addr=1234000 size=2048 NORMAL");
  f("io_page_fault", "IOMMU:AMD-Vi 0000:03:00.0 iova=0x00000000fee00000 flags=0x0001");
  f("map", "IOMMU: iova=0x00000000ffefa000 - 0x00000000ffefe000 paddr=0x00000003a8b28000 size=16384");
  f("unmap", "IOMMU: iova=0x00000000ffefa000 - 0x00000000ffefe000 size=16384 unmapped_size=16384");
  const Summary s = f.tracker.summary();
  CHECK(s.events == 4);
  CHECK(f.dev(s, "ffb00000.npu").bounces == 1);
  CHECK(f.dev(s, "ffb00000.npu").bounce_bytes == 2048);
  REQUIRE(s.faults.size() == 1);
  CHECK(s.faults[0].device == "0000:03:00.0");
  CHECK(s.faults[0].driver == "AMD-Vi");
  CHECK(s.faults[0].iova == 0xfee00000);
  CHECK(s.faults[0].flags == 1);
  CHECK(s.iommu_maps == 1);
  CHECK(s.iommu_unmaps == 1);
  CHECK(s.iommu_mapped_bytes == 16384);
  CHECK(s.devices.size() == 2);
  // A fault inside the group's MSI window is resolved against reserved_regions.
  Annotator a;
  a.device = [](const std::string&) { return DeviceInfo{"nvme", true, 7}; };
  a.reserved = [](int g) {
    CHECK(g == 7);
    return std::vector<ReservedRegion>{{0xfee00000, 0xfeefffff, "msi"}};
  };
  const auto j = summary_to_json(s, a);
  CHECK(j["faults"][0]["reserved_region"]["type"] == "msi");
  CHECK(j["faults"][0]["write"] == true);
}

TEST_CASE("trace lines: headers, lost lines, other subsystems, raw clock and tgid", "[trace]")
{
  DmaEvent ev;
  CHECK(parse_trace_line("# tracer: nop", ev).kind == LineKind::other);
  CHECK(parse_trace_line("cpus=4", ev).kind == LineKind::other);
  CHECK(parse_trace_line("##### CPU 1 buffer started ####", ev).kind == LineKind::other);
  auto lost = parse_trace_line("CPU:3 [LOST 3646 EVENTS]", ev);
  CHECK(lost.kind == LineKind::lost);
  CHECK(lost.lost == 3646);
  lost = parse_trace_line("CPU:0 [372 EVENTS DROPPED]", ev);
  CHECK(lost.kind == LineKind::lost);
  CHECK(lost.lost == 372);
  CHECK(parse_trace_line("          <idle>-0     [001] d..2. 19611.598987: dma_fence_signaled: "
                         "driver=drm_sched timeline=gfx context=1 seqno=2",
                         ev)
          .kind == LineKind::record);
  const std::string text = slurp(fixture("pipe-tgid-counter.txt"));
  std::vector<DmaEvent> got;
  const TextStats st =
    read_text_trace(text, "pipe", EventSink{[&](const DmaEvent& e) { got.push_back(e); }, {}});
  CHECK(st.malformed == 0);
  REQUIRE(got.size() == 5);
  CHECK(got[0].ts_ns == 1234567890);  // raw counter clock kept as is
  CHECK(got[0].pid == 412);
  CHECK(got[0].comm == "nvme");
  CHECK(got[0].attrs == (std::uint64_t{1} << 5));
  CHECK(got[2].comm == "Web Content");
  CHECK(got[2].dma_addr == k_dma_mapping_error);
  CHECK(got[3].has_virt);
  CHECK(got[3].virt_addr == 0);
  CHECK(got[4].type == EventType::iommu_io_page_fault);
  CHECK(got[4].iova == 0xfee00000);
}

TEST_CASE("trace lines: hostile input is reported with its line number and skipped", "[trace]")
{
  const std::string text = slurp(fixture("bad-lines.txt"));
  Tracker t;
  const TextStats st =
    read_text_trace(text, "bad-lines.txt", EventSink{[&](const DmaEvent& e) { t.add(e); }, {}});
  CHECK(st.malformed == 5);
  REQUIRE(st.first_errors.size() == 5);
  CHECK(st.first_errors[0] == "bad-lines.txt:4: dma_map_phys: bad value 'zzzz' for dma_addr");
  CHECK(st.first_errors[1] == "bad-lines.txt:5: dma_map_phys: bad value 'SIDEWAYS' for dir");
  CHECK(st.first_errors[2] == "bad-lines.txt:6: dma_unmap_phys: missing dma_addr");
  CHECK(st.first_errors[3].rfind("bad-lines.txt:7: dma_map_sg: bad value", 0) == 0);
  CHECK(st.first_errors[4] == "bad-lines.txt:8: dma_map_sg: unterminated ARRAY[ in 'phys_addrs'");
  const Summary s = t.summary();
  CHECK(s.events == 3);  // the good map, its unmap, a double unmap
  CHECK(s.outstanding.empty());
  REQUIRE(s.unmatched_unmaps.size() == 1);
  CHECK(s.unmatched_unmaps[0].double_unmap);
  // Nothing at all parses in random bytes, without a crash.
  std::string noise;
  for (int i = 0; i < 5000; ++i) {
    noise.push_back(static_cast<char>((i * 7919 + 13) % 256));
    if (i % 97 == 0) {
      noise += " [001] ..... 1.000001: dma_map_sg: [FAILED TO PARSE] phys_addrs=ARRAY[zz";
    }
  }
  const TextStats n = read_text_trace(noise, "noise", EventSink{[](const DmaEvent&) {}, {}});
  CHECK(n.events == 0);
}

TEST_CASE("trace dma-debug: dump lines of every kernel generation", "[trace]")
{
  const std::string dump = slurp(std::string(MEMMAP_SOURCE_DIR) +
                                 "/fixtures/trace-dma-debug/sys/kernel/debug/dma-api/dump");
  const auto e = parse_dma_debug_dump(dump, "dump");
  REQUIRE(e.size() == 6);
  CHECK(e[0].driver == "nvme");
  CHECK(e[0].type == "phy");
  CHECK(e[0].phys == 0x112345000);
  CHECK(e[0].dma == 0xfffff000);
  CHECK(e[0].length == 0x1000);  // L= is hex
  CHECK(e[0].dir == DmaDir::from_device);
  CHECK(e[0].map_error == "dma map error checked");
  CHECK(e[3].type == "single");
  CHECK(e[3].phys == 0x1f5a0000);  // pre-6.13 P=%llx without 0x
  CHECK(e[3].length == 0x5ea);
  CHECK(e[3].map_error == "dma map error not checked");
  CHECK(e[4].type == "scather-gather");
  CHECK(e[5].attrs == 0x20);
  CHECK(e[5].map_error == "dma map error check not applicable");
  CHECK_THROWS_WITH(parse_dma_debug_dump("nvme 0000:01:00.0 phy idx 1 P=0x10 D=zz L=1 cln=0x0 "
                                         "DMA_TO_DEVICE dma map error checked\n",
                                         "dump"),
                    "dump:1: bad hex value in 'D=zz'");
  CHECK_THROWS_AS(parse_dma_debug_dump("\ngarbage line\n", "dump"), memmap::InputError);
  const auto j = dma_debug_to_json(make_debug_report(e, DebugCounters{}));
  CHECK(j["devices"].size() == 3);
  CHECK(j["devices"][0]["device"] == "0000:00:14.0");
}

TEST_CASE("trace capture: instance names", "[trace]")
{
  CHECK(instance_name(1234) == "memmap-1234");
  long pid = 0;
  CHECK(parse_instance_name("memmap-1234", &pid));
  CHECK(pid == 1234);
  CHECK_FALSE(parse_instance_name("memmap-", &pid));
  CHECK_FALSE(parse_instance_name("memmap-12a", &pid));
  CHECK_FALSE(parse_instance_name("other-12", &pid));
}

TEST_CASE("trace: counters of events that were not traced are unknown, not 0", "[trace]")
{
  Tracker t;
  DmaEvent ev;
  ev.type = EventType::dma_map_phys;
  ev.device = "0000:01:00.0";
  ev.dma_addr = 0x1000;
  ev.size = 4096;
  t.add(ev);
  Annotator a;
  a.untraced = {"swiotlb/swiotlb_bounced", "iommu/map"};
  const auto j = summary_to_json(t.summary(), a);
  CHECK(j["devices"][0]["bounces"].is_null());
  CHECK(j["devices"][0]["bounce_bytes"].is_null());
  CHECK(j["devices"][0]["faults"] == 0);  // io_page_fault was traced
  CHECK(j["iommu"]["maps"].is_null());
  CHECK(driver_text(DeviceInfo{}) == "?");
  CHECK(driver_text(DeviceInfo{"", true, -1}) == "-");
  CHECK(driver_text(DeviceInfo{"nvme", true, -1}) == "nvme");
}
