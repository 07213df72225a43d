// memmap snapshot's manifest as JSON and its text report.
#include <memmap/render/snapshot.hpp>

#include <fmt/format.h>

namespace memmap::render {

namespace {

Json
opt(const std::optional<std::string>& v)
{
  return v ? Json(*v) : Json(nullptr);
}

Json
notes(const std::vector<snapshot::Note>& ns)
{
  auto a = Json::array();
  for (const auto& n : ns) {
    a.push_back({{"path", n.path}, {"reason", n.reason}});
  }
  return a;
}

} // namespace

Json
manifest_to_json(const snapshot::Manifest& m)
{
  Json j = json_document();
  j["memmap_version"] = MEMMAP_VERSION;
  j["created"] = opt(m.created);
  j["source"] = m.source;
  j["hostname"] = opt(m.hostname);
  j["kernel"] = {{"release", opt(m.kernel_release)}, {"version", opt(m.kernel_version)}};
  j["machine"] = opt(m.machine);
  j["uid"] = m.uid;
  j["euid"] = m.euid;
  j["complete"] = m.complete();
  j["counts"] = {{"files", m.files},
                 {"links", m.links},
                 {"directories", m.directories},
                 {"bytes", m.bytes},
                 {"pci_devices", m.result.pci_devices},
                 {"iommu_groups", m.result.iommu_groups},
                 {"usb_devices", m.result.usb_devices}};
  j["incomplete"] = notes(m.result.incomplete);
  j["unreadable"] = notes(m.result.unreadable);
  j["skipped"] = notes(m.result.skipped);
  j["absent"] = notes(m.result.absent);
  if (m.source_manifest.is_object()) {
    j["source_manifest"] = m.source_manifest;
  }
  return j;
}

void
render_snapshot_text(const snapshot::Manifest& m, const std::string& out_path,
                     const Style& st, std::ostream& out)
{
  out << fmt::format("{} {} ({}) to {}\n", st.paint("Snapshot of", Color::bold),
                     m.live ? std::string("this machine") : m.source,
                     m.hostname ? *m.hostname : std::string("host ? (no proc/sys/kernel/hostname)"),
                     out_path);
  out << fmt::format("  {} files, {} links, {} directories, {}\n", m.files, m.links,
                     m.directories, human_size(m.bytes));
  out << fmt::format("  {} PCI functions, {} IOMMU groups, {} USB devices\n",
                     m.result.pci_devices, m.result.iommu_groups, m.result.usb_devices);
  auto list = [&](const char* title, Color c, const std::vector<snapshot::Note>& ns) {
    if (ns.empty()) {
      return;
    }
    out << st.paint(title, c) << ":\n";
    for (const auto& n : ns) {
      out << "  " << n.path << ": " << n.reason << '\n';
    }
  };
  list("Incomplete", Color::yellow, m.result.incomplete);
  list("Unreadable", Color::yellow, m.result.unreadable);
  list("Not copied", Color::yellow, m.result.skipped);
  list("Not on this machine", Color::dim, m.result.absent);
  out << fmt::format("Read it back with: memmap --root {} ...\n", out_path);
}

} // namespace memmap::render
