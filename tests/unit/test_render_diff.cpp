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
  c.before_value = "warning: BAR0 of 0000:00:02.0 has an address no /proc/iomem line claims";
  c.detail = "resolved";
  std::ostringstream out;
  render::render_changes_text({c}, render::Style(false), out);
  CHECK(out.str().find("->") == std::string::npos);
  CHECK(out.str().find("claims  (resolved)") != std::string::npos);
  const auto j = render::change_to_json(c);
  CHECK(j.contains("before_value"));
  CHECK_FALSE(j.contains("after_value"));  // absent, never ""

  c.kind = model::ChangeKind::changed;
  c.after_value = "x";
  std::ostringstream both;
  render::render_changes_text({c}, render::Style(false), both);
  CHECK(both.str().find("claims -> x") != std::string::npos);
  CHECK(render::change_to_json(c)["after_value"] == "x");
}
