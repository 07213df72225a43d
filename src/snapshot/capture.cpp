#include <memmap/snapshot/capture.hpp>

#include <memmap/source/kernel_log.hpp>

#include <memmap/error.hpp>
#include <memmap/source/resource_tree.hpp>

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <set>
#include <sstream>

namespace memmap::snapshot {

using source::SysRoot;
using EntryType = SysRoot::EntryType;

namespace {

const std::vector<std::string> k_usb_attrs = {"idVendor", "idProduct", "manufacturer", "product",
                                              "busnum", "devnum", "speed", "bDeviceClass",
                                              "bInterfaceClass", "bInterfaceSubClass",
                                              "bInterfaceProtocol"};

class Capturer {
public:
  Capturer(const SysRoot& from, source::SnapshotSink& to) : m_from(from), m_to(to) {}

  CaptureResult run()
  {
    proc();
    pci();
    iommu();
    usb();
    root_block_device();
    dma_api();
    kernel_log();
    // Directories that captured links point to, so that they resolve in the copy.
    for (const auto& dir : m_link_targets) {
      if (!m_to.has(dir) && m_from.entry(dir).type == EntryType::directory) {
        m_to.directory(dir);
      }
    }
    return std::move(m_result);
  }

private:
  static std::string join(const std::string& a, const std::string& b) { return a + "/" + b; }

  std::string why(int err) const { return std::strerror(err); }

  // A read that failed: EXDEV (a link on the way leads out of the tree) is a refusal, the
  // rest are unreadable.
  void failed(const std::string& rel, int err)
  {
    if (err == EXDEV) {
      m_result.skipped.push_back(
        {rel, "a symbolic link on the way leads out of the captured tree; not followed"});
    } else {
      m_result.unreadable.push_back({rel, why(err)});
    }
  }

  // Copy a regular file; false if absent (noted when `required`) or unreadable (noted).
  bool copy_file(const std::string& rel, bool required, std::string* data = nullptr)
  {
    if (m_to.has(rel)) {
      return true;
    }
    auto r = m_from.read_beneath(rel);
    if (!r) {
      if (r.error == ENOENT || r.error == ENOTDIR) {
        if (required) {
          m_result.unreadable.push_back({rel, "missing"});
        }
      } else {
        failed(rel, r.error);
      }
      return false;
    }
    m_to.file(rel, r.data);
    if (data != nullptr) {
      *data = std::move(r.data);
    }
    return true;
  }

  // Copy a symlink as stored when it stays inside the tree; returns where it points.
  std::optional<std::string> copy_link(const std::string& rel)
  {
    const auto target = m_from.read_link(rel);
    if (!target) {
      m_result.unreadable.push_back({rel, "unreadable symbolic link"});
      return std::nullopt;
    }
    const auto resolved = source::resolve_link_target(rel, *target);
    if (!resolved) {
      m_result.skipped.push_back(
        {rel, fmt::format("symbolic link to '{}' leads out of the captured tree", *target)});
      return std::nullopt;
    }
    if (!m_to.has(rel)) {
      m_to.symlink(rel, *target);
    }
    m_link_targets.insert(*resolved);
    return resolved;
  }

  // A directory entry that is a link (sysfs) or a real directory (hand-made sysroots):
  // where its contents live.
  std::optional<std::string> follow_entry(const std::string& rel)
  {
    const auto e = m_from.entry(rel);
    if (e.type == EntryType::symlink) {
      return copy_link(rel);
    }
    if (e.type == EntryType::directory) {
      m_to.directory(rel);
      return rel;
    }
    return std::nullopt;
  }

  std::optional<std::vector<std::string>> list(const std::string& rel, bool note_absent,
                                               const std::string& absent_reason = {})
  {
    int err = 0;
    auto names = m_from.list_beneath(rel, &err);
    if (!names) {
      if (err == ENOENT || err == ENOTDIR) {
        if (note_absent) {
          m_result.absent.push_back({rel, absent_reason.empty() ? "not present" : absent_reason});
        }
      } else {
        failed(rel, err);
      }
    }
    return names;
  }

  void resource_tree(const std::string& rel, model::SpaceKind kind)
  {
    std::string text;
    if (!copy_file(rel, true, &text)) {
      return;
    }
    try {
      const auto space = source::parse_resource_tree(text, rel, kind);
      if (space.addresses_hidden) {
        m_result.incomplete.push_back(
          {rel, "every address reads as zero (the reader lacked CAP_SYS_ADMIN); names and "
                "nesting only"});
      }
    } catch (const InputError& e) {
      m_result.incomplete.push_back({rel, fmt::format("copied as is, but malformed: {}", e.what())});
    }
  }

  void proc()
  {
    resource_tree("proc/iomem", model::SpaceKind::cpu_physical);
    resource_tree("proc/ioports", model::SpaceKind::io_port);
    copy_file("proc/cmdline", false);
    copy_file("proc/self/mountinfo", false);
    copy_file("proc/version", false);
    copy_file("proc/sys/kernel/osrelease", false);
    copy_file("proc/sys/kernel/hostname", false);
  }

  void pci_device(const std::string& dev)
  {
    auto names = list(dev, false);
    if (!names) {
      return;
    }
    static const std::set<std::string> attrs(pci_attributes().begin(), pci_attributes().end());
    static const std::set<std::string> links(pci_links().begin(), pci_links().end());
    for (const auto& n : *names) {
      const std::string rel = join(dev, n);
      const bool is_link = links.count(n) != 0
                           || (n.rfind("virtfn", 0) == 0 && n.size() > 6
                               && std::all_of(n.begin() + 6, n.end(), ::isdigit));
      if (is_link) {
        if (m_from.entry(rel).type == EntryType::symlink) {
          copy_link(rel);
        }
        continue;
      }
      if (attrs.count(n) == 0) {
        continue;
      }
      const auto e = m_from.entry(rel);
      if (e.type == EntryType::symlink) {
        m_result.skipped.push_back(
          {rel, "a symbolic link where sysfs has a file; not followed"});
        continue;
      }
      if (e.type != EntryType::file) {
        continue;
      }
      std::string data;
      if (copy_file(rel, false, &data) && n == "config" && data.size() < e.size) {
        m_result.incomplete.push_back(
          {rel, fmt::format("{} of {} bytes (the rest needs CAP_SYS_ADMIN)", data.size(),
                            e.size)});
      }
    }
  }

  void pci()
  {
    const std::string base = "sys/bus/pci/devices";
    auto names = list(base, true, "not present (no PCI bus, or sysfs not captured)");
    if (!names) {
      return;
    }
    m_to.directory(base);
    for (const auto& n : *names) {
      if (auto dev = follow_entry(join(base, n))) {
        m_to.directory(*dev);
        pci_device(*dev);
        ++m_result.pci_devices;
      }
    }
    if (auto drivers = list("sys/bus/pci/drivers", false)) {
      m_to.directory("sys/bus/pci/drivers");
      for (const auto& d : *drivers) {
        if (m_from.entry(join("sys/bus/pci/drivers", d)).type == EntryType::directory) {
          m_to.directory(join("sys/bus/pci/drivers", d));
        }
      }
    }
    if (auto slots = list("sys/bus/pci/slots", false)) {
      for (const auto& s : *slots) {
        copy_file("sys/bus/pci/slots/" + s + "/address", false);
      }
    }
  }

  void iommu()
  {
    const std::string groups = "sys/kernel/iommu_groups";
    if (auto names = list(groups, true)) {
      m_to.directory(groups);
      for (const auto& g : *names) {
        const std::string dir = join(groups, g);
        if (m_from.entry(dir).type != EntryType::directory) {
          continue;
        }
        m_to.directory(dir);
        ++m_result.iommu_groups;
        for (const char* f : {"type", "reserved_regions", "name"}) {
          copy_file(join(dir, f), false);
        }
        if (auto devs = list(join(dir, "devices"), false)) {
          m_to.directory(join(dir, "devices"));
          for (const auto& d : *devs) {
            copy_link(join(dir, "devices/" + d));
          }
        }
      }
    }
    const std::string cls = "sys/class/iommu";
    if (auto names = list(cls, false)) {
      m_to.directory(cls);
      for (const auto& n : *names) {
        auto dir = follow_entry(join(cls, n));
        if (!dir) {
          continue;
        }
        m_to.directory(*dir);
        for (const char* sub : {"intel-iommu", "amd-iommu"}) {
          if (auto files = list(join(*dir, sub), false)) {
            for (const auto& f : *files) {
              const std::string rel = join(*dir, std::string(sub) + "/" + f);
              if (m_from.entry(rel).type == EntryType::file) {
                copy_file(rel, false);
              }
            }
          }
        }
        if (auto devs = list(join(*dir, "devices"), false)) {
          m_to.directory(join(*dir, "devices"));
          for (const auto& d : *devs) {
            copy_link(join(*dir, "devices/" + d));
          }
        }
      }
    }
  }

  void usb()
  {
    const std::string base = "sys/bus/usb/devices";
    auto names = list(base, false);
    if (!names) {
      return;
    }
    m_to.directory(base);
    for (const auto& n : *names) {
      auto dir = follow_entry(join(base, n));
      if (!dir) {
        continue;
      }
      m_to.directory(*dir);
      bool any = false;
      for (const auto& a : k_usb_attrs) {
        const std::string rel = join(*dir, a);
        if (m_from.entry(rel).type == EntryType::file) {
          any = copy_file(rel, false) || any;
        }
      }
      // Interfaces ("1-3:1.0", their bInterface* copied for the keyboard check) are not devices.
      m_result.usb_devices += any && n.find(':') == std::string::npos ? 1 : 0;
    }
  }

  void block_device(const std::string& dir)
  {
    copy_file(join(dir, "dev"), false);
    if (copy_file(join(dir, "partition"), false)) {
      const auto slash = dir.rfind('/');
      if (slash != std::string::npos) {
        copy_file(join(dir.substr(0, slash), "dev"), false);
      }
    }
  }

  // The block device holding / (from mountinfo), for the IOMMU pre-flight's "which PCI
  // device holds the root file system" check.
  void root_block_device()
  {
    auto r = m_from.read_beneath("proc/self/mountinfo");
    if (!r) {
      return;
    }
    std::string majmin;
    std::istringstream in(r.data);
    for (std::string line; std::getline(in, line);) {
      std::istringstream f(line);
      std::string id, parent, dev, root, mnt;
      if (f >> id >> parent >> dev >> root >> mnt && mnt == "/") {
        majmin = dev;  // the last mount on / is the visible one
      }
    }
    if (majmin.empty() || majmin.find('/') != std::string::npos || majmin.find("..") != std::string::npos) {
      return;
    }
    const std::string rel = "sys/dev/block/" + majmin;
    const auto e = m_from.entry(rel);
    if (e.type != EntryType::symlink) {
      if (e.type == EntryType::missing && m_from.entry("sys/dev/block").type == EntryType::directory) {
        m_result.absent.push_back({rel, "the root file system's device (" + majmin
                                          + ") has no block device (a virtual file system)"});
      }
      return;
    }
    auto dir = copy_link(rel);
    if (!dir) {
      return;
    }
    m_to.directory(*dir);
    block_device(*dir);
    // device-mapper / md: the devices below it, one level.
    if (auto slaves = list(join(*dir, "slaves"), false)) {
      for (const auto& s : *slaves) {
        if (auto sdir = copy_link(join(*dir, "slaves/" + s))) {
          m_to.directory(*sdir);
          block_device(*sdir);
        }
      }
    }
  }

  void dma_api()
  {
    const std::string base = "sys/kernel/debug/dma-api";
    auto names = list(base, true,
                      "not present (debugfs not mounted, or a kernel without "
                      "CONFIG_DMA_API_DEBUG)");
    if (!names) {
      return;
    }
    m_to.directory(base);
    for (const auto& n : *names) {
      const std::string rel = join(base, n);
      if (m_from.entry(rel).type == EntryType::file) {
        copy_file(rel, false);
      }
    }
  }

  // The kernel log (why a BAR got no address): a --root snapshot's copy as it is; live,
  // /dev/kmsg read without consuming it, its records as read (source/kernel_log.hpp).
  void kernel_log()
  {
    const std::string rel(source::kSnapshotKernelLog);
    if (!m_from.is_live()) {
      if (!copy_file(rel, false) && m_from.entry(rel).type == EntryType::missing) {
        m_result.absent.push_back({rel, "no kernel log in the source tree"});
      }
      return;
    }
    const auto r = source::read_kmsg();
    if (!r.log) {
      m_result.unreadable.push_back({rel, r.unavailable->what + ": " + r.unavailable->reason});
      return;
    }
    m_to.file(rel, r.log->raw);
    if (r.log->lost != 0) {
      m_result.incomplete.push_back(
        {rel, fmt::format("{} records were overwritten while reading", r.log->lost)});
    }
    if (r.log->truncated) {
      m_result.incomplete.push_back({rel, "stopped at the size limit"});
    }
  }

  const SysRoot& m_from;
  source::SnapshotSink& m_to;
  CaptureResult m_result;
  std::set<std::string> m_link_targets;
};

// The first line of a file, or nullopt when it could not be read (never "").
std::optional<std::string>
first_line(const SysRoot& root, const char* rel)
{
  auto r = root.read_beneath(rel, 1 << 16);
  if (!r) {
    return std::nullopt;
  }
  std::string s = r.data.substr(0, r.data.find('\n'));
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

} // namespace

CaptureResult
capture(const SysRoot& from, source::SnapshotSink& to)
{
  return Capturer(from, to).run();
}

Manifest
make_manifest(const SysRoot& from, const source::SnapshotSink& to, const CaptureResult& result,
              const ManifestInfo& info)
{
  Manifest m;
  if (!from.is_live()) {
    if (auto r = from.read_beneath(source::k_manifest_name, 1 << 20)) {
      m.source_manifest = nlohmann::ordered_json::parse(r.data, nullptr, false);
      if (m.source_manifest.is_discarded() || !m.source_manifest.is_object()) {
        m.source_manifest = nullptr;
      }
    }
  }
  char created[32] = "";
  std::tm tm {};
  if (gmtime_r(&info.created, &tm) != nullptr) {
    std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
  }
  if (created[0]) {
    m.created = created;
  }
  m.live = from.is_live();
  m.source = from.is_live() ? std::string("live") : from.prefix().string();
  m.hostname = first_line(from, "proc/sys/kernel/hostname");
  m.kernel_release = first_line(from, "proc/sys/kernel/osrelease");
  m.kernel_version = first_line(from, "proc/version");
  if (!info.machine.empty()) {
    m.machine = info.machine;
  } else if (m.source_manifest.is_object() && m.source_manifest.contains("machine")
             && m.source_manifest["machine"].is_string()
             && !m.source_manifest["machine"].get<std::string>().empty()) {
    m.machine = m.source_manifest["machine"].get<std::string>();
  }
  m.uid = info.uid;
  m.euid = info.euid;
  m.files = to.files();
  m.links = to.links();
  m.directories = to.directories();
  m.bytes = to.bytes();
  m.result = result;
  return m;
}

} // namespace memmap::snapshot
