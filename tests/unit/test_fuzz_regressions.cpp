// Replays what the fuzz targets (tests/fuzz/targets.hpp) found: every file in
// fixtures/fuzz-regressions/TARGET/ runs through TARGET's body, in every build (the asan
// preset runs it under ASan + UBSan). Also runs each target once over the fixture files it
// is seeded from, so that a target that stops compiling or throws is noticed without clang.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "../fuzz/targets.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<std::uint8_t>
slurp(const fs::path& p)
{
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void
run_target(const std::string& target, const fs::path& file)
{
  const auto data = slurp(file);
  INFO(target << " on " << file.string() << " (" << data.size() << " bytes)");
  REQUIRE_NOTHROW(memmap::fuzz::targets().at(target)(data.data(), data.size()));
}

} // namespace

TEST_CASE("fuzz regressions: every committed crasher runs clean", "[fuzz]")
{
  const fs::path dir = fs::path(MEMMAP_SOURCE_DIR) / "fixtures" / "fuzz-regressions";
  REQUIRE(fs::is_directory(dir));
  int files = 0;
  for (const auto& sub : fs::directory_iterator(dir)) {
    if (!sub.is_directory()) {
      continue;
    }
    const std::string target = sub.path().filename().string();
    INFO("fixtures/fuzz-regressions/" << target << " names no fuzz target");
    REQUIRE(memmap::fuzz::targets().count(target) == 1);
    for (const auto& f : fs::directory_iterator(sub.path())) {
      if (f.is_regular_file() && f.path().filename() != "README.md") {
        run_target(target, f.path());
        ++files;
      }
    }
  }
  CHECK(files > 0);
}

TEST_CASE("fuzz targets run clean on the fixtures they are seeded from", "[fuzz]")
{
  const fs::path fx = fs::path(MEMMAP_SOURCE_DIR) / "fixtures";
  const std::vector<std::pair<std::string, fs::path>> seeds{
      {"resource_tree", fx / "qemu-q35-iommu/proc/iomem"},
      {"resource_tree", fx / "malformed/overlaps.iomem"},
      {"config_space", fx / "qemu-q35-iommu/sys/devices/pci0000:00/0000:00:02.0/config"},
      {"sysfs_resource", fx / "qemu-q35-iommu/sys/devices/pci0000:00/0000:00:02.0/resource"},
      {"lspci_text", fx / "seed-quadro-p1000/lspci-v-x.txt"},
      {"lspci_text", fx / "pci-hostile/truncated-rtx3070ti.txt"},
      {"trace_text", fx / "trace/bad-lines.txt"},
      {"dma_debug", fx / "trace-dma-debug/sys/kernel/debug/dma-api/dump"},
  };
  for (const auto& [target, file] : seeds) {
    REQUIRE(fs::is_regular_file(file));
    run_target(target, file);
  }
  // reserved_regions: the first one a fixture has.
  bool found = false;
  for (const auto& e : fs::recursive_directory_iterator(fx / "qemu-q35-iommu/sys/kernel/iommu_groups")) {
    if (e.path().filename() == "reserved_regions" && e.is_regular_file()) {
      run_target("reserved_regions", e.path());
      found = true;
      break;
    }
  }
  CHECK(found);
}

TEST_CASE("bar text: a CPU/bus offset of -2^63 is written, not negated", "[fuzz][render]")
{
  // fixtures/fuzz-regressions/sysfs_resource/offset-int64-min: UBSan "negation of
  // -9223372036854775808" in the `bar` notes (render/pci.cpp), from a resource row whose
  // start is 0 under a BAR whose bus address is 0x8000000000000000.
  memmap::pci::PciModel model;
  memmap::pci::Device dev;
  dev.bdf = "0000:00:00.0";
  memmap::pci::Bar bar;
  bar.bits = 64;
  bar.bus_address = 0x8000000000000000ULL;
  bar.cpu_address = 0;
  bar.size = 0x1000;
  dev.bars.push_back(bar);
  model.devices.push_back(dev);
  REQUIRE(model.devices[0].bars[0].translation_offset() == std::numeric_limits<std::int64_t>::min());
  std::ostringstream out;
  std::vector<const memmap::pci::Device*> devs{&model.devices[0]};
  memmap::render::render_bar_text(model, devs, memmap::render::BarRenderContext{},
                                  memmap::render::Style{}, out);
  CHECK_THAT(out.str(), Catch::Contains("(offset -0x8000000000000000)"));
}
