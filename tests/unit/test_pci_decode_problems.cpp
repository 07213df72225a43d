// Each typed decode problem (pci/decode_problem.hpp) from a crafted config space: the code,
// the offset at fault, the values, the one message text and the diagnostic id.
#include <catch2/catch.hpp>

#include "support/config_builder.hpp"

#include <memmap/pci/decode.hpp>

#include <algorithm>

using namespace memmap;
using pci::DecodeIssue;
using pci::DecodeProblem;
using test::Cfg;

namespace {

Cfg
with_caps()
{
  Cfg c;
  c.u16(0, 0x8086).u16(2, 0x1234).u16(6, 0x0010);
  return c;
}

Cfg
bridge()
{
  Cfg c;
  c.u16(0, 0x8086).u16(2, 0x1234).u8(0x0e, 0x01);
  return c;
}

// decode_device's diagnostics for a crafted function.
pci::Device
decoded(const Cfg& c)
{
  pci::Device d;
  d.bdf = "0000:00:01.0";
  d.config = c.done();
  pci::decode_device(d, "DUMP");
  return d;
}

bool
has(const pci::Device& d, const char* id, const std::string& text)
{
  return std::any_of(d.problems.begin(), d.problems.end(), [&](const model::Diagnostic& p) {
    return p.id == id && p.message == d.bdf + ": " + text && p.file == "DUMP";
  });
}

} // namespace

TEST_CASE("decode problems: the standard capability list", "[pci][decode-problem]")
{
  SECTION("pointer into the header: the pointer, and the register that held it")
  {
    auto c = with_caps();
    c.u8(0x34, 0x40).u8(0x40, 0x01).u8(0x41, 0x10);
    const auto l = pci::walk_capabilities(c.done(), 0);
    REQUIRE(l.problems.size() == 1);
    CHECK(l.problems[0] == DecodeIssue{DecodeProblem::cap_pointer_into_header, 0x10, 0x41, 0});
    CHECK(pci::message(l.problems[0]) == "capability pointer 0x10 points into the header; list ends");
    CHECK(std::string(pci::diagnostic_id(l.problems[0].code)) == "pci-capability-chain");
  }
  SECTION("first pointer into the header: held by 0x34")
  {
    auto c = with_caps();
    c.u8(0x34, 0x20);
    const auto l = pci::walk_capabilities(c.done(), 0);
    REQUIRE(l.problems.size() == 1);
    CHECK(l.problems[0] == DecodeIssue{DecodeProblem::cap_pointer_into_header, 0x20, 0x34, 0});
  }
  SECTION("cycle: the capability reached again")
  {
    auto c = with_caps();
    c.u8(0x34, 0x40).u8(0x40, 0x01).u8(0x41, 0x50).u8(0x50, 0x05).u8(0x51, 0x40);
    const auto l = pci::walk_capabilities(c.done(), 0);
    REQUIRE(l.problems.size() == 1);
    CHECK(l.problems[0] == DecodeIssue{DecodeProblem::cap_list_cycle, 0x40, 0x51, 0});
    CHECK(pci::message(l.problems[0]) == "capability chain loops back to 0x40");
  }
  SECTION("id 0xff")
  {
    auto c = with_caps();
    c.u8(0x34, 0x40).u8(0x40, 0x01).u8(0x41, 0x60).u8(0x60, 0xff);
    const auto l = pci::walk_capabilities(c.done(), 0);
    REQUIRE(l.problems.size() == 1);
    CHECK(l.problems[0].code == DecodeProblem::cap_id_all_ones);
    CHECK(l.problems[0].offset == 0x60);
    CHECK(pci::message(l.problems[0]) == "capability chain broken at 0x60 (id 0xff)");
  }
  SECTION("more than 48 entries")
  {
    auto c = with_caps();
    c.u8(0x34, 0x40);
    for (std::size_t p = 0x40; p < 0x100; p += 4) {  // 48 entries, the last points back to 0x40
      c.u8(p, 0x09).u8(p + 1, static_cast<std::uint8_t>(p + 4 < 0x100 ? p + 4 : 0x40));
    }
    const auto l = pci::walk_capabilities(c.done(), 0);
    CHECK(l.entries.size() == 48);
    REQUIRE(l.problems.size() == 1);
    CHECK(l.problems[0] == DecodeIssue{DecodeProblem::cap_list_too_long, 0xfc, 48, 0});
    CHECK(pci::message(l.problems[0]) == "more than 48 capabilities; list cut");
  }
}

TEST_CASE("decode problems: the extended capability list", "[pci][decode-problem]")
{
  SECTION("broken header past the first")
  {
    Cfg c(4096);
    c.u32(0x100, (0x200U << 20) | 0x0001).u32(0x200, 0xffffffffU);
    const auto l = pci::walk_extended_capabilities(c.done());
    REQUIRE(l.problems.size() == 1);
    CHECK(l.problems[0] == DecodeIssue{DecodeProblem::ext_cap_chain_broken, 0x200, 0xffffffffU, 0});
    CHECK(pci::message(l.problems[0]) == "extended capability chain broken at 0x200 (header 0xffffffff)");
  }
  SECTION("cycle")
  {
    Cfg c(4096);
    c.u32(0x100, (0x200U << 20) | 0x0001).u32(0x200, (0x100U << 20) | 0x000d);
    const auto l = pci::walk_extended_capabilities(c.done());
    REQUIRE(l.problems.size() == 1);
    CHECK(l.problems[0] == DecodeIssue{DecodeProblem::ext_cap_list_cycle, 0x100, 0, 0});
    CHECK(pci::message(l.problems[0]) == "extended capability chain loops back to 0x100");
  }
  SECTION("next pointer below 0x100")
  {
    Cfg c(4096);
    c.u32(0x100, (0x040U << 20) | 0x0001);
    const auto l = pci::walk_extended_capabilities(c.done());
    REQUIRE(l.problems.size() == 1);
    CHECK(l.problems[0] == DecodeIssue{DecodeProblem::ext_cap_pointer_below_ext, 0x100, 0x40, 0});
    CHECK(pci::message(l.problems[0]) == "extended capability at 0x100 points to 0x040, below 0x100; list ends");
  }
  SECTION("more than 480 entries")
  {
    Cfg c(4096);
    for (std::size_t p = 0x100; p < 0x1000; p += 8) {
      const std::uint32_t next = p + 8 < 0x1000 ? static_cast<std::uint32_t>(p + 8) : 0x100U;
      c.u32(p, (next << 20) | 0x0001);
    }
    const auto l = pci::walk_extended_capabilities(c.done());
    CHECK(l.entries.size() == 480);
    REQUIRE(l.problems.size() == 1);
    CHECK(l.problems[0] == DecodeIssue{DecodeProblem::ext_cap_list_too_long, 0xff8, 480, 0});
    CHECK(pci::message(l.problems[0]) == "more than 480 extended capabilities; list cut");
  }
  SECTION("aliased extended space: not walked")
  {
    auto c = with_caps();
    c.b.resize(4096);
    c.u8(0x34, 0x40).u8(0x40, 0x10).u8(0x42, 0x02);  // PCI Express capability
    for (std::size_t i = 0; i < 0x40; ++i) {
      c.b[0x100 + i] = c.b[i];
    }
    const auto d = decoded(c);
    CHECK(has(d, "pci-capability-chain", "extended config space repeats the first bytes (aliased); not walked"));
    CHECK(pci::diagnostic_id(DecodeProblem::ext_space_aliased) == std::string("pci-capability-chain"));
  }
}

TEST_CASE("decode problems: bridge windows and the header", "[pci][decode-problem]")
{
  SECTION("unknown range types, one code per window, base and limit kept")
  {
    auto c = bridge();
    c.u8(0x1c, 0x02).u8(0x1d, 0x02).u16(0x20, 0x0001).u16(0x22, 0x0001).u16(0x24, 0x0003).u16(0x26, 0x0003);
    std::vector<DecodeIssue> problems;
    pci::decode_bridge_windows(c.done(), nullptr, problems);
    REQUIRE(problems.size() == 3);
    CHECK(problems[0] == DecodeIssue{DecodeProblem::io_window_range_types, 0x1c, 0x02, 0x02});
    CHECK(problems[1] == DecodeIssue{DecodeProblem::memory_window_range_types, 0x20, 0x01, 0x01});
    CHECK(problems[2] == DecodeIssue{DecodeProblem::pref_window_range_types, 0x24, 0x03, 0x03});
    CHECK(pci::message(problems[0]) == "unknown I/O window range types 2/2");
    CHECK(pci::message(problems[2]) == "unknown prefetchable window range types 3/3");
    CHECK(pci::diagnostic_id(problems[1].code) == std::string("pci-config-malformed"));
  }
  SECTION("upper registers not read: short, not malformed")
  {
    auto c = bridge();
    c.u8(0x1c, 0x01).u8(0x1d, 0x01).u16(0x24, 0x0001).u16(0x26, 0x0001);
    c.b.resize(0x28);
    std::vector<DecodeIssue> problems;
    const auto w = pci::decode_bridge_windows(c.done(), nullptr, problems);
    REQUIRE(problems.size() == 2);
    CHECK(problems[0] == DecodeIssue{DecodeProblem::io_window_upper_not_read, 0x30, 0, 0});
    CHECK(problems[1] == DecodeIssue{DecodeProblem::pref_window_upper_not_read, 0x28, 0, 0});
    CHECK(pci::message(problems[0]) == "I/O window: upper 16 bits (0x30-0x33) not read; its bus address is unknown");
    CHECK(pci::message(problems[1])
          == "prefetchable window: upper 32 bits (0x28-0x2f) not read; its bus address is unknown");
    CHECK(pci::diagnostic_id(problems[0].code) == std::string("pci-config-short"));
    CHECK(pci::diagnostic_id(problems[1].code) == std::string("pci-config-short"));
  }
  SECTION("unknown header type")
  {
    auto c = with_caps();
    c.u8(0x0e, 0x05);
    const auto d = decoded(c);
    CHECK(has(d, "pci-config-malformed", "unknown header type 0x05; only sysfs rows decoded"));
  }
  SECTION("the header reads all ones")
  {
    Cfg c;
    std::fill(c.b.begin(), c.b.begin() + 0x40, std::uint8_t{0xff});
    const auto d = decoded(c);
    REQUIRE(d.problems.size() == 1);
    CHECK(d.absent);
    CHECK(d.problems[0].id == "pci-function-absent");
    CHECK(d.problems[0].message == d.bdf + ": " + pci::message({DecodeProblem::header_all_ones, 0}));
  }
}

TEST_CASE("decode problems: Resizable BAR and SR-IOV bodies", "[pci][decode-problem]")
{
  SECTION("truncated: entry 0's control not read")
  {
    Cfg c(0x206);
    const auto rb = pci::decode_rebar(c.done(), 0x200, false);
    REQUIRE(rb.problems.size() == 1);
    CHECK(rb.problems[0] == DecodeIssue{DecodeProblem::rebar_truncated, 0x208, 0, 0});
    CHECK(pci::message(rb.problems[0]) == "Resizable BAR capability truncated");
  }
  SECTION("declares no entries")
  {
    Cfg c(4096);
    const auto rb = pci::decode_rebar(c.done(), 0x200, false);
    REQUIRE(rb.problems.size() == 1);
    CHECK(rb.problems[0] == DecodeIssue{DecodeProblem::rebar_no_entries, 0x208, 0, 0});
    CHECK(pci::diagnostic_id(rb.problems[0].code) == std::string("pci-rebar"));
  }
  SECTION("entry 1 past the bytes read")
  {
    Cfg c(0x210);
    c.u32(0x208, 2U << 5);  // two entries; the second (0x20c-0x213) is cut
    const auto rb = pci::decode_rebar(c.done(), 0x200, false);
    REQUIRE(rb.problems.size() == 1);
    CHECK(rb.problems[0] == DecodeIssue{DecodeProblem::rebar_entry_unreadable, 0x20c, 1, 0});
    CHECK(pci::message(rb.problems[0]) == "Resizable BAR entry 1 not readable");
  }
  SECTION("BAR out of range and repeated")
  {
    Cfg c(4096);
    c.u32(0x208, (3U << 5) | 6U).u32(0x210, 1U).u32(0x218, 1U);
    const auto rb = pci::decode_rebar(c.done(), 0x200, false);
    REQUIRE(rb.problems.size() == 2);
    CHECK(rb.problems[0] == DecodeIssue{DecodeProblem::rebar_bar_out_of_range, 0x208, 0, 6});
    CHECK(rb.problems[1] == DecodeIssue{DecodeProblem::rebar_bar_repeated, 0x218, 2, 1});
    CHECK(pci::message(rb.problems[0]) == "Resizable BAR entry 0 names BAR 6 (out of range)");
    CHECK(pci::message(rb.problems[1]) == "Resizable BAR entry 2 repeats BAR 1");
  }
  SECTION("SR-IOV capability cut short")
  {
    auto c = with_caps();
    c.b.resize(0x120);
    c.u8(0x34, 0x40).u8(0x40, 0x10).u8(0x42, 0x02);
    c.u32(0x100, 0x00010010U);  // SR-IOV at 0x100, 0x40 bytes needed, 0x20 read
    const auto d = decoded(c);
    CHECK(!d.sriov);
    CHECK(has(d, "pci-config-malformed", "SR-IOV capability truncated"));
  }
}
