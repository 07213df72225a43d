#include <memmap/iommu/groups.hpp>

#include <memmap/error.hpp>
#include <memmap/model/address_space.hpp>
#include <memmap/util/hex.hpp>
#include <memmap/util/text.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fmt/format.h>

namespace memmap::iommu {

using model::Diagnostic;
using model::Severity;

const Group*
IommuState::find(int id) const
{
  for (const auto& g : groups) {
    if (g.id == id) {
      return &g;
    }
  }
  return nullptr;
}

namespace {

using util::split_ws;

bool
is_known_resv_type(std::string_view t)
{
  return t == "direct" || t == "direct-relaxable" || t == "reserved" || t == "msi";
}

} // namespace

std::vector<ReservedRegion>
parse_reserved_regions(std::string_view text, const std::string& file)
{
  std::vector<ReservedRegion> out;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == text.npos ? text.npos : nl - pos);
    pos = nl == text.npos ? text.size() : nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      continue;
    }
    const auto fields = split_ws(line);
    if (fields.size() != 3) {
      throw InputError(fmt::format("{}:{}: expected 'START END TYPE', got {} field{}", file,
                                   line_no, fields.size(), fields.size() == 1 ? "" : "s"));
    }
    const auto start = util::parse_hex_u64(fields[0]);
    const auto end = util::parse_hex_u64(fields[1]);
    if (!start || !end) {
      throw InputError(fmt::format("{}:{}: bad hex address '{}'", file, line_no,
                                   !start ? fields[0] : fields[1]));
    }
    if (*start > *end) {
      throw InputError(fmt::format("{}:{}: start {:#x} is above end {:#x}", file, line_no,
                                   *start, *end));
    }
    if (!is_known_resv_type(fields[2])) {
      throw InputError(fmt::format(
        "{}:{}: unknown region type '{}' (direct, direct-relaxable, reserved or msi)", file,
        line_no, fields[2]));
    }
    out.push_back({*start, *end, std::string(fields[2]), line_no});
  }
  return out;
}

std::vector<std::string>
iommu_cmdline_tokens(std::string_view cmdline)
{
  std::vector<std::string> out;
  for (auto tok : split_ws(cmdline)) {
    const auto key = tok.substr(0, tok.find('='));
    if (key.find("iommu") != std::string_view::npos) {
      out.emplace_back(tok);
    }
  }
  return out;
}

std::vector<std::string>
passthrough_cmdline_tokens(std::string_view cmdline)
{
  std::vector<std::string> out;
  for (auto tok : split_ws(cmdline)) {
    if (tok.substr(0, 9) == "vfio-pci." || tok.substr(0, 9) == "vfio_pci."
        || tok.substr(0, 18) == "pcie_acs_override=") {
      out.emplace_back(tok);
    }
  }
  return out;
}

std::vector<std::string>
disable_acs_redir_devices(std::string_view cmdline)
{
  // pci=opt1,disable_acs_redir=<dev>[;<dev>...],opt2 ; <dev> may be [dddd:]bb:dd.f or
  // a "pci:vendor:device" match (not a BDF: skipped).
  std::vector<std::string> out;
  for (auto tok : split_ws(cmdline)) {
    if (tok.substr(0, 4) != "pci=") {
      continue;
    }
    auto opts = tok.substr(4);
    std::size_t p = 0;
    while (p <= opts.size()) {
      auto comma = opts.find(',', p);
      auto opt = opts.substr(p, comma == opts.npos ? opts.npos : comma - p);
      p = comma == opts.npos ? opts.size() + 1 : comma + 1;
      constexpr std::string_view key = "disable_acs_redir=";
      if (opt.substr(0, key.size()) != key) {
        continue;
      }
      auto devs = opt.substr(key.size());
      std::size_t q = 0;
      while (q <= devs.size()) {
        auto semi = devs.find(';', q);
        auto dev = devs.substr(q, semi == devs.npos ? devs.npos : semi - q);
        q = semi == devs.npos ? devs.size() + 1 : semi + 1;
        if (auto bdf = model::parse_bdf(dev)) {
          out.push_back(*bdf);
        }
      }
    }
  }
  return out;
}

IommuState
read_iommu_state(const source::SysRoot& root)
{
  IommuState st;
  st.units = root.list("sys/class/iommu");
  if (auto r = root.read("proc/cmdline", 1 << 20)) {
    st.cmdline_read = true;
    st.cmdline = iommu_cmdline_tokens(r.data);
    st.acs_redir_off = disable_acs_redir_devices(r.data);
    st.passthrough_options = passthrough_cmdline_tokens(r.data);
  }
  st.groups_dir_present = root.exists("sys/kernel/iommu_groups");
  const auto group_names = root.list("sys/kernel/iommu_groups");
  st.groups.reserve(group_names.size());
  for (const auto& name : group_names) {
    int id = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    const std::string rel = "sys/kernel/iommu_groups/" + name;
    if (ec != std::errc() || p != name.data() + name.size() || id < 0) {
      st.problems.push_back({Severity::warning, "iommu-bad-group", root.display(rel), 0,
                             "not a group number; ignored"});
      continue;
    }
    Group g;
    g.id = id;
    g.path = root.display(rel);
    if (auto t = root.read_line(rel + "/type")) {
      g.type = *t;
      g.type_known = true;
    } else {
      st.problems.push_back({Severity::info, "iommu-no-type", root.display(rel + "/type"), 0,
                             "missing (kernel before 5.11?); the group's domain type is "
                             "unknown"});
    }
    for (const auto& dev : root.list(rel + "/devices")) {
      const std::string link = rel + "/devices/" + dev;
      if (!root.exists(link)) {
        continue;
      }
      // A member link must resolve; a dangling one names a device that went away.
      if (!root.resolves(link)) {
        st.problems.push_back({Severity::warning, "iommu-dangling-link", root.display(link), 0,
                               "dangling link (the device went away while reading?)"});
      }
      const auto bdf = model::parse_bdf(dev);
      g.devices.push_back(bdf ? *bdf : dev);
    }
    std::sort(g.devices.begin(), g.devices.end());
    const auto resv_rel = rel + "/reserved_regions";
    if (auto r = root.read(resv_rel)) {
      try {
        g.reserved = parse_reserved_regions(r.data, root.display(resv_rel));
        g.reserved_known = true;
      } catch (const InputError& e) {
        // The message already reads "FILE:LINE: reason".
        st.problems.push_back({Severity::error, "iommu-bad-reserved-regions", "", 0, e.what()});
      }
    } else if (root.exists(resv_rel)) {
      st.problems.push_back({Severity::warning, "iommu-unreadable", root.display(resv_rel), 0,
                             r.message});
    } else {
      st.problems.push_back({Severity::info, "iommu-no-reserved-regions", root.display(resv_rel),
                             0, "missing (kernel before 4.11?); the group's reserved regions are "
                                "unknown"});
    }
    for (const auto& d : g.devices) {
      st.group_of[d] = g.id;
    }
    st.groups.push_back(std::move(g));
  }
  std::sort(st.groups.begin(), st.groups.end(),
            [](const Group& a, const Group& b) { return a.id < b.id; });
  return st;
}

} // namespace memmap::iommu
