#include <memmap/machine/sources.hpp>

#include <fmt/format.h>

namespace memmap::machine {

const char*
to_string(Part p)
{
  switch (p) {
  case Part::iomem:
    return "iomem";
  case Part::ioports:
    return "ioports";
  case Part::pci:
    return "pci";
  case Part::sysfs:
    return "sysfs";
  case Part::klog:
    return "klog";
  }
  return "?";
}

namespace {

const char*
what(Part p)
{
  switch (p) {
  case Part::iomem:
    return "/proc/iomem";
  case Part::ioports:
    return "/proc/ioports";
  case Part::pci:
    return "PCI devices";
  case Part::sysfs:
    return "sysfs (IOMMU groups, NUMA, USB, mounts)";
  case Part::klog:
    return "the kernel log";
  }
  return "?";
}

const char*
option_for(Part p)
{
  switch (p) {
  case Part::iomem:
    return "--iomem FILE";
  case Part::ioports:
    return "--ioports FILE";
  case Part::pci:
    return "--lspci FILE";
  case Part::sysfs:
    return nullptr;
  case Part::klog:
    return "--dmesg FILE";
  }
  return nullptr;
}

} // namespace

SourcePlan::SourcePlan(SourceArgs args)
  : m_args(std::move(args))
{
  const std::string* files[k_part_count] = {&m_args.iomem_file, &m_args.ioports_file,
                                             &m_args.lspci_file, nullptr, &m_args.dmesg_file};
  const bool any_file = !m_args.iomem_file.empty() || !m_args.ioports_file.empty()
                        || !m_args.lspci_file.empty();
  m_files_only = m_args.root.empty() && any_file;
  for (int i = 0; i < k_part_count; ++i) {
    const Part p = static_cast<Part>(i);
    PartSource& s = m_parts[i];
    if (files[i] && !files[i]->empty()) {
      s.from = From::file;
      s.file = *files[i];
    } else if (!m_files_only) {
      s.from = From::root;
    } else {
      s.from = From::none;
      const char* opt = option_for(p);
      s.why_none = fmt::format("{}: not read: the given files ({}) are another machine's; {}",
                               what(p), describe(),
                               opt ? fmt::format("add {}, or use --root DIR", opt)
                                   : std::string("use --root DIR for a captured sysroot"));
    }
  }
}

std::string
SourcePlan::describe() const
{
  if (!m_files_only) {
    return m_args.root.empty() ? std::string("this machine") : "sysroot " + m_args.root;
  }
  std::string s;
  auto add = [&](const char* opt, const std::string& f) {
    if (!f.empty()) {
      s += (s.empty() ? "" : ", ") + fmt::format("{} {}", opt, f);
    }
  };
  add("--iomem", m_args.iomem_file);
  add("--ioports", m_args.ioports_file);
  add("--lspci", m_args.lspci_file);
  add("--dmesg", m_args.dmesg_file);
  return s;
}

} // namespace memmap::machine
