// The fuzz targets' bodies: one function per parser, shared by the libFuzzer binaries
// (tests/fuzz/fuzz_main.cpp, one binary per target) and the regression unit test
// (tests/unit/test_fuzz_regressions.cpp), which replays every committed crasher in
// fixtures/fuzz-regressions/TARGET/. A parser may reject its input with memmap's own
// InputError/SourceError (that is the documented behaviour for hostile input); anything
// else escaping, a sanitizer report, a crash or a hang is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include <memmap/error.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/pci/decode.hpp>
#include <memmap/pci/loader.hpp>
#include <memmap/pci/lspci_text.hpp>
#include <memmap/pci/sysfs_resource.hpp>
#include <memmap/render/pci.hpp>
#include <memmap/render/resource_tree.hpp>
#include <memmap/render/trace.hpp>
#include <memmap/source/pci_names.hpp>
#include <memmap/source/resource_tree.hpp>
#include <memmap/trace/dma_debug.hpp>
#include <memmap/trace/text_parser.hpp>

namespace memmap::fuzz {

inline std::string_view
as_text(const std::uint8_t* data, std::size_t size)
{
  return {reinterpret_cast<const char*>(data), size};
}

// JSON as the commands write it: bytes that are not UTF-8 (a firmware's region name) become
// U+FFFD instead of an exception.
template <typename J>
std::string
dump(const J& j)
{
  return j.dump(2, ' ', false, J::error_handler_t::replace);
}

// Runs `f`, swallowing the errors memmap documents for bad input.
template <typename F>
void
expect_ok_or_input_error(F&& f)
{
  try {
    f();
  } catch (const InputError&) {
  } catch (const SourceError&) {
  }
}

// /proc/iomem and /proc/ioports text: parse both ways, render text and JSON.
inline void
resource_tree(const std::uint8_t* data, std::size_t size)
{
  const auto text = as_text(data, size);
  for (auto kind : {model::SpaceKind::cpu_physical, model::SpaceKind::io_port}) {
    expect_ok_or_input_error([&] {
      const auto space = source::parse_resource_tree(text, "fuzz", kind);
      render::TreeOptions opts;
      std::ostringstream out;
      render::render_tree_text(space, opts, {}, render::Style{}, out);
      opts.flat = true;
      render::render_tree_text(space, opts, {}, render::Style{}, out);
      (void)dump(render::tree_to_json(space, opts, {}));
    });
  }
}

// A config space (up to 4096 bytes; a shorter input is a partial read) through the whole
// decoder and the `memmap bar`/`tree` renderers.
inline void
config_space(const std::uint8_t* data, std::size_t size)
{
  if (size > 4096) {
    size = 4096;
  }
  pci::PciModel model;
  model.origin = pci::Origin::dump;
  pci::Device dev;
  dev.bdf = "0000:00:00.0";
  dev.config = pci::ConfigSpace::from_bytes(std::vector<std::uint8_t>(data, data + size));
  dev.config_declared = size > 256 ? 4096 : 256;
  pci::decode_device(dev, "fuzz");
  model.devices.push_back(dev);
  pci::link_topology(model);
  std::ostringstream out;
  std::vector<const pci::Device*> devs{&model.devices[0]};
  render::render_bar_text(model, devs, render::BarRenderContext{}, render::Style{}, out);
  render::render_tree_text(model, render::Style{}, out);
  (void)dump(render::bar_to_json(model, devs, render::BarRenderContext{}));
  (void)dump(render::tree_to_json(model));
  (void)render::bar_spans(model.devices[0]);
}

// sysfs `resource` text, alone and under a config space that claims SR-IOV/bridge rows:
// the input's first 256 bytes are config space, the rest the resource text.
inline void
sysfs_resource(const std::uint8_t* data, std::size_t size)
{
  const auto res = pci::parse_sysfs_resource(as_text(data, size), "fuzz");
  for (int i = 0; i < 20; ++i) {
    (void)res.bar(i);
    (void)res.vf_bar(i);
    (void)res.bridge_window(i);
  }
  (void)res.rom();
  if (size > 256) {
    pci::Device dev;
    dev.bdf = "0000:00:00.0";
    dev.config = pci::ConfigSpace::from_bytes(std::vector<std::uint8_t>(data, data + 256));
    dev.resource = pci::parse_sysfs_resource(as_text(data + 256, size - 256), "fuzz");
    pci::decode_device(dev, "fuzz");
    pci::PciModel model;
    model.devices.push_back(dev);
    std::ostringstream out;
    std::vector<const pci::Device*> devs{&model.devices[0]};
    render::render_bar_text(model, devs, render::BarRenderContext{}, render::Style{}, out);
    (void)dump(render::bar_to_json(model, devs, render::BarRenderContext{}));
  }
}

// lspci dump text: the scanner, then libpci's dump method on the same bytes (read from a
// memfd through /proc/self/fd, as --lspci FILE would), with and without the -v text.
inline void
lspci_text(const std::uint8_t* data, std::size_t size)
{
  const auto text = as_text(data, size);
  expect_ok_or_input_error([&] { (void)pci::scan_lspci_text(text, "fuzz"); });
  static const source::PciNames names;
  const int fd = memfd_create("memmap-fuzz-lspci", 0);
  if (fd < 0) {
    return;
  }
  std::size_t done = 0;
  while (done < size) {
    const auto n = ::write(fd, data + done, size - done);
    if (n <= 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  for (bool use_text : {true, false}) {
    expect_ok_or_input_error([&] {
      auto model = pci::load_dump(path, names, use_text);
      std::ostringstream out;
      render::render_tree_text(model, render::Style{}, out);
      (void)dump(render::tree_to_json(model));
    });
  }
  ::close(fd);
}

// /sys/kernel/iommu_groups/N/reserved_regions.
inline void
reserved_regions(const std::uint8_t* data, std::size_t size)
{
  expect_ok_or_input_error([&] { (void)iommu::parse_reserved_regions(as_text(data, size), "fuzz"); });
}

// Text traces (tracefs `trace`, trace_pipe, trace-cmd report): line by line and whole.
inline void
trace_text(const std::uint8_t* data, std::size_t size)
{
  const auto text = as_text(data, size);
  std::uint64_t events = 0;
  trace::EventSink sink;
  sink.event = [&](const trace::DmaEvent&) { ++events; };
  sink.lost = [&](std::uint64_t) {};
  expect_ok_or_input_error([&] { (void)trace::read_text_trace(text, "fuzz", sink); });
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      nl = text.size();
    }
    trace::DmaEvent ev;
    (void)trace::parse_trace_line(text.substr(pos, nl - pos), ev);
    pos = nl + 1;
  }
}

// /sys/kernel/debug/dma-api/dump, parsed and rendered.
inline void
dma_debug(const std::uint8_t* data, std::size_t size)
{
  expect_ok_or_input_error([&] {
    const auto report = trace::make_debug_report(
      trace::parse_dma_debug_dump(as_text(data, size), "fuzz"), trace::DebugCounters{});
    std::ostringstream out;
    render::render_dma_debug_text(report, render::Style{}, out);
    (void)dump(render::dma_debug_to_json(report));
  });
}

using Target = void (*)(const std::uint8_t*, std::size_t);

inline const std::map<std::string, Target>&
targets()
{
  static const std::map<std::string, Target> k_targets{
      {"resource_tree", &resource_tree},   {"config_space", &config_space},
      {"sysfs_resource", &sysfs_resource}, {"lspci_text", &lspci_text},
      {"reserved_regions", &reserved_regions}, {"trace_text", &trace_text},
      {"dma_debug", &dma_debug},
  };
  return k_targets;
}

} // namespace memmap::fuzz
