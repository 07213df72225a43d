// Rendering of diff changes: a value on one side only (a new or a resolved finding) is
// shown alone, and JSON has only the side that has a value.
#include <catch2/catch.hpp>

#include <memmap/render/diff.hpp>

#include <sstream>

using namespace memmap;

TEST_CASE("diff: a resolved finding has a before value only", "[render][diff]")
{
  model::Change c;
  c.kind = model::ChangeKind::removed;
  c.path = {"bar-not-claimed", "0000:00:02.0 BAR0"};
  c.before_value = model::FindingValue{model::Severity::warning,
                                       "BAR0 of 0000:00:02.0 has an address no /proc/iomem line claims"};
  c.detail = {std::string("resolved")};
  std::ostringstream out;
  render::render_changes_text({c}, render::Style(false), out);
  CHECK(out.str().find("->") == std::string::npos);
  CHECK(out.str().find("claims  (resolved)") != std::string::npos);
  const auto j = render::change_to_json(c);
  CHECK(out.str().find("  warning: BAR0 of") != std::string::npos);
  CHECK(j["before_value"]["severity"] == "warning");
  CHECK(j["detail"] == "resolved");
  CHECK_FALSE(j.contains("after_value"));  // absent, never ""

  c.kind = model::ChangeKind::changed;
  c.after_value = std::string("x");
  std::ostringstream both;
  render::render_changes_text({c}, render::Style(false), both);
  CHECK(both.str().find("claims -> x") != std::string::npos);
  CHECK(render::change_to_json(c)["after_value"] == "x");
}

TEST_CASE("diff: typed values are numbers in JSON and formatted in text", "[render][diff]")
{
  model::Change c;
  c.path = {"0000:01:00.0", "Resizable BAR1"};
  c.before_value = model::Size{std::uint64_t{256} << 20};
  c.after_value = model::Size{std::uint64_t{8} << 30};
  c.detail = {std::string("current size")};
  std::ostringstream out;
  render::render_changes_text({c}, render::Style(false), out);
  CHECK(out.str() == "  ~ changed  0000:01:00.0 > Resizable BAR1  256M -> 8G  (current size)\n");
  auto j = render::change_to_json(c);
  CHECK(j["before_value"] == 268435456);
  CHECK(j["after_value"] == 8589934592ULL);

  // A group number is a number; an unknown bus address is null, never a made-up one.
  CHECK(render::value_json(model::GroupNumber{11}) == 11);
  CHECK(render::value_text(model::GroupNumber{11}) == "group 11");
  CHECK(render::value_json(model::BusAddress{}) == render::Json{{"bus", nullptr}});
  CHECK(render::value_text(model::BusAddress{}) == "bus unknown");

  // The parts of a removed BAR without a range: one object keyed by part.
  model::Change r;
  r.kind = model::ChangeKind::removed;
  r.path = {"0000:01:00.0", "BAR2"};
  model::ResourceType t;
  t.bits = 64;
  t.prefetchable = true;
  r.detail = {model::Placement{std::nullopt, 0x4000}, t, model::BusAddress{0x83000000}};
  std::ostringstream rout;
  render::render_changes_text({r}, render::Style(false), rout);
  CHECK(rout.str()
        == "  - removed  0000:01:00.0 > BAR2  (unassigned (16K), mem 64-bit prefetchable, bus "
           "83000000)\n");
  j = render::change_to_json(r);
  CHECK(j["detail"]["placement"] == render::Json{{"start", nullptr}, {"end", nullptr}, {"size", 16384}});
  CHECK(j["detail"]["type"]["bits"] == 64);
  CHECK(j["detail"]["type"]["prefetchable"] == true);
  CHECK(j["detail"]["bus"] == "0x83000000");
}
