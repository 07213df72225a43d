#include <memmap/source/host_facts.hpp>

#include <memmap/model/address_space.hpp>
#include <memmap/util/text.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fmt/format.h>
#include <set>
#include <string_view>

namespace memmap::source {

namespace {

using util::split_ws;

std::string
basename_of(std::string_view p)
{
  const auto slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

std::string
dirname_of(std::string_view p)
{
  const auto slash = p.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(p.substr(0, slash));
}

// A sysfs link (or a path through links) as a sysroot-relative real path, resolved lexically
// so that it never leaves the root ("sys/dev/block/259:2" -> "sys/devices/.../nvme0n1p2").
// Follows up to 8 links in a row; nullopt when a link is absolute or climbs above the root.
std::optional<std::string>
follow(const SysRoot& root, std::string rel)
{
  for (int hop = 0; hop < 8; ++hop) {
    const auto target = root.read_link(rel);
    if (!target) {
      return rel;
    }
    const auto next = resolve_link_target(rel, *target);
    if (!next) {
      return std::nullopt;
    }
    rel = *next;
  }
  return std::nullopt;
}

// The PCI functions named along a sysfs path, outermost first (full dddd:bb:dd.f names only,
// as sysfs writes them).
std::vector<std::string>
bdfs_in_path(std::string_view p)
{
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= p.size()) {
    const auto slash = p.find('/', pos);
    const auto part = p.substr(pos, slash == std::string_view::npos ? p.npos : slash - pos);
    if (part.size() == 12) {
      if (auto bdf = model::parse_bdf(part)) {
        out.push_back(*bdf);
      }
    }
    if (slash == std::string_view::npos) {
      break;
    }
    pos = slash + 1;
  }
  return out;
}

using util::join;

// The block devices below one block device, down to the disks: dm/LVM/md devices list their
// parts in slaves/; a partition of a dm device (kpartx) has them on its disk.
class BlockWalk {
public:
  BlockWalk(const SysRoot& root, RootFs& out) : m_root(root), m_out(out) {}

  void walk(const std::string& dev, int depth)
  {
    const std::string name = basename_of(dev);
    if (depth > 16 || !m_seen.insert(dev).second) {
      m_out.known = false;
      m_out.why = fmt::format("{}: the slaves/ links loop or nest deeper than 16", name);
      return;
    }
    auto slaves = m_root.list(dev + "/slaves");
    std::string holder = dev;
    if (slaves.empty() && m_root.exists(dev + "/partition")) {
      const std::string disk = dirname_of(dev);
      auto disk_slaves = m_root.list(disk + "/slaves");
      if (!disk_slaves.empty()) {
        m_out.chain.push_back(fmt::format("{} is a partition of {}", name, basename_of(disk)));
        slaves = std::move(disk_slaves);
        holder = disk;
      }
    }
    if (!slaves.empty()) {
      const auto dm_name = m_root.read_line(holder + "/dm/name");
      const auto md_level = m_root.read_line(holder + "/md/level");
      m_out.chain.push_back(fmt::format("{}{} -> slaves: {}", basename_of(holder),
                                        dm_name ? " (dm " + *dm_name + ")"
                                        : md_level ? " (md " + *md_level + ")"
                                                   : std::string(),
                                        join(slaves, ", ")));
      for (const auto& s : slaves) {
        const auto real = follow(m_root, holder + "/slaves/" + s);
        if (!real) {
          m_out.known = false;
          m_out.why = fmt::format("{}: the link slaves/{} leads out of the root", basename_of(holder), s);
          continue;
        }
        walk(*real, depth + 1);
      }
      return;
    }
    if (const auto backing = m_root.read_line(dev + "/loop/backing_file")) {
      m_out.known = false;
      m_out.why = fmt::format("{} is a loop device backed by {}: the disk holding that file is "
                              "not followed",
                              name, *backing);
      return;
    }
    const auto bdfs = bdfs_in_path(dev);
    if (bdfs.empty()) {
      m_out.off_pci.push_back(name);
      m_out.chain.push_back(fmt::format("{}: {} (no PCI function on its path)", name, dev));
      return;
    }
    m_out.controllers[bdfs.back()].push_back(name);
    m_out.chain.push_back(fmt::format("{} is on {}", name, bdfs.back()));
  }

private:
  const SysRoot& m_root;
  RootFs& m_out;
  std::set<std::string> m_seen;
};

// The block device a mount source names ("/dev/nvme0n1p2", "/dev/mapper/vg-root",
// "/dev/dm-0"), as its sysfs directory; nullopt when it cannot be found.
std::optional<std::string>
device_of_source(const SysRoot& root, std::string_view source)
{
  constexpr std::string_view mapper = "/dev/mapper/";
  if (source.substr(0, mapper.size()) == mapper) {
    const std::string want(source.substr(mapper.size()));
    for (const auto& b : root.list("sys/block")) {
      if (root.read_line("sys/block/" + b + "/dm/name") == want) {
        return follow(root, "sys/block/" + b);
      }
    }
    return std::nullopt;
  }
  if (source.substr(0, 5) != "/dev/") {
    return std::nullopt;
  }
  const std::string name = basename_of(source);
  if (name.empty() || !root.exists("sys/class/block/" + name)) {
    return std::nullopt;
  }
  return follow(root, "sys/class/block/" + name);
}

// Mountinfo escapes space, tab, newline and backslash as \ooo (three octal digits).
std::string
unescape(std::string_view s)
{
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && s.size() - i > 3) {
      int v = 0;
      const char* b = s.data() + i + 1;
      auto [p, ec] = std::from_chars(b, b + 3, v, 8);
      if (ec == std::errc() && p == b + 3 && v < 256) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

} // namespace

RootFs
read_root_fs(const SysRoot& root)
{
  RootFs out;
  out.source = root.display("proc/self/mountinfo");
  const auto r = root.read("proc/self/mountinfo", 16 << 20);
  if (!r) {
    out.why = r.message;
    return out;
  }
  // The last mount on "/" is the one visible (a later mount hides an earlier one).
  std::vector<std::string_view> fields;
  int line_no = 0;
  int found_line = 0;
  std::size_t pos = 0;
  while (pos < r.data.size()) {
    const auto nl = r.data.find('\n', pos);
    const std::string_view line(r.data.data() + pos,
                                (nl == std::string::npos ? r.data.size() : nl) - pos);
    pos = nl == std::string::npos ? r.data.size() : nl + 1;
    ++line_no;
    auto f = split_ws(line);
    if (f.size() > 4 && f[4] == "/") {
      fields = std::move(f);
      found_line = line_no;
    }
  }
  if (!found_line) {
    out.why = out.source + ": no mount on /";
    return out;
  }
  // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
  std::size_t dash = 6;
  while (dash < fields.size() && fields[dash] != "-") {
    ++dash;
  }
  if (dash + 2 >= fields.size()) {
    out.why = fmt::format("{}:{}: the mount on / has no ' - FSTYPE SOURCE' part", out.source,
                          found_line);
    return out;
  }
  out.fstype = std::string(fields[dash + 1]);
  out.mount_source = unescape(fields[dash + 2]);
  const std::string majmin(fields[2]);
  out.mount = fmt::format("{}:{}: {} on / ({} {})", out.source, found_line, majmin, out.fstype,
                          out.mount_source);
  const bool anonymous = majmin.rfind("0:", 0) == 0;
  std::optional<std::string> dev;
  if (!anonymous) {
    out.device = majmin;
    if (!root.exists("sys/dev/block/" + majmin)) {
      out.why = fmt::format("{}: missing, so the disk of the root filesystem ({}) is not known",
                            root.display("sys/dev/block/" + majmin), majmin);
      return out;
    }
    dev = follow(root, "sys/dev/block/" + majmin);
    if (dev) {
      out.chain.push_back(fmt::format("{} -> {}", majmin, basename_of(*dev)));
    }
  } else {
    // btrfs and other filesystems report an anonymous device number; the mount source may
    // still name the block device.
    dev = device_of_source(root, out.mount_source);
    if (!dev) {
      out.why = fmt::format("the root filesystem is {} on '{}' (device {}, not a block device "
                            "memmap can follow): its disks are not known",
                            out.fstype, out.mount_source, majmin);
      return out;
    }
    out.chain.push_back(fmt::format("{} -> {}", out.mount_source, basename_of(*dev)));
  }
  if (!dev) {
    out.why = fmt::format("{}: the link leads out of the root",
                          root.display("sys/dev/block/" + majmin));
    return out;
  }
  out.known = true;
  BlockWalk walk(root, out);
  if (out.fstype == "btrfs") {
    // A btrfs filesystem may span several devices: sys/fs/btrfs/UUID/devices lists them all.
    const std::string name = basename_of(*dev);
    bool listed = false;
    for (const auto& fsid : root.list("sys/fs/btrfs")) {
      const auto members = root.list("sys/fs/btrfs/" + fsid + "/devices");
      if (std::find(members.begin(), members.end(), name) == members.end()) {
        continue;
      }
      listed = true;
      out.chain.push_back(fmt::format("btrfs {} devices: {}", fsid, join(members, ", ")));
      for (const auto& m : members) {
        if (const auto real = follow(root, "sys/fs/btrfs/" + fsid + "/devices/" + m)) {
          walk.walk(*real, 0);
        }
      }
    }
    if (!listed) {
      walk.walk(*dev, 0);
      if (out.known) {
        out.known = false;
        out.why = fmt::format("btrfs on {}: the other devices of a multi-device btrfs are not "
                              "known ({} does not list it)",
                              name, root.display("sys/fs/btrfs"));
      }
    }
    return out;
  }
  walk.walk(*dev, 0);
  return out;
}

UsbFacts
read_usb(const SysRoot& root)
{
  UsbFacts out;
  out.source = root.display("sys/bus/usb/devices");
  if (!root.exists("sys/bus/usb/devices")) {
    out.why = out.source + ": missing (no USB core, or not captured)";
    return out;
  }
  out.read = true;
  const auto names = root.list("sys/bus/usb/devices");
  // Keyboards: an interface of HID class 03 with the keyboard protocol 01.
  std::set<std::string> keyboards;
  for (const auto& n : names) {
    const auto colon = n.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    const std::string dir = "sys/bus/usb/devices/" + n;
    const auto cls = root.read_line(dir + "/bInterfaceClass");
    if (!cls) {
      out.interfaces_unknown.push_back(n);
      continue;
    }
    if (*cls != "03") {
      continue;
    }
    const auto protocol = root.read_line(dir + "/bInterfaceProtocol");
    if (!protocol) {
      out.interfaces_unknown.push_back(n);
    } else if (*protocol == "01") {
      keyboards.insert(n.substr(0, colon));
    }
  }
  for (const auto& n : names) {
    if (n.find(':') != std::string::npos || n.rfind("usb", 0) == 0) {
      continue;  // interfaces ("1-1:1.0") and root hubs ("usb1")
    }
    const std::string dir = "sys/bus/usb/devices/" + n;
    UsbDevice u;
    u.name = n;
    const auto vid = root.read_line(dir + "/idVendor");
    const auto pid = root.read_line(dir + "/idProduct");
    u.ids = vid && pid ? *vid + ":" + *pid : "?";
    const auto maker = root.read_line(dir + "/manufacturer");
    const auto product = root.read_line(dir + "/product");
    u.description = maker ? *maker : "";
    if (product) {
      u.description += (u.description.empty() ? "" : " ") + *product;
    }
    u.keyboard = keyboards.count(n) > 0;
    const auto real = follow(root, dir);
    const auto bdfs = real ? bdfs_in_path(*real) : std::vector<std::string>();
    if (bdfs.empty()) {
      if (u.keyboard) {
        out.keyboards_off_pci.push_back(n);
      }
      continue;
    }
    out.by_controller[bdfs.back()].push_back(std::move(u));
  }
  return out;
}

std::optional<std::string>
kernel_release_of(std::string_view proc_version)
{
  const auto f = split_ws(proc_version);
  if (f.size() < 3 || f[0] != "Linux" || f[1] != "version") {
    return std::nullopt;
  }
  return std::string(f[2]);
}

std::optional<bool>
release_at_least(std::string_view release, int major, int minor)
{
  int ma = 0;
  int mi = 0;
  const char* b = release.data();
  const char* e = b + release.size();
  auto [p, ec] = std::from_chars(b, e, ma);
  if (ec != std::errc() || p == e || *p != '.') {
    return std::nullopt;
  }
  auto [p2, ec2] = std::from_chars(p + 1, e, mi);
  if (ec2 != std::errc()) {
    return std::nullopt;
  }
  (void)p2;
  return ma > major || (ma == major && mi >= minor);
}

HostFacts
read_host_facts(const SysRoot& root, const std::vector<std::string>& bdfs)
{
  HostFacts h;
  h.root_fs = read_root_fs(root);
  h.usb = read_usb(root);
  h.pci_devices_source = root.display("sys/bus/pci/devices");
  h.cmdline_source = root.display("proc/cmdline");
  if (auto v = root.read_line("proc/version")) {
    h.kernel_release = kernel_release_of(*v);
  }
  if (!h.kernel_release) {
    if (auto v = root.read_line("proc/sys/kernel/osrelease"); v && !v->empty()) {
      h.kernel_release = *v;
    }
  }
  const auto functions = root.list("sys/bus/pci/devices");
  h.pci_sysfs = !functions.empty();
  // The kernel shows reset_method (5.15 and later) only for functions with a working reset:
  // a missing file means "none" once the kernel is known to have the attribute.
  std::string attr_evidence;
  for (const auto& f : functions) {
    if (root.exists("sys/bus/pci/devices/" + f + "/reset_method")) {
      attr_evidence = fmt::format("other functions ({}) have one", f);
      break;
    }
  }
  if (attr_evidence.empty() && h.kernel_release
      && release_at_least(*h.kernel_release, 5, 15).value_or(false)) {
    attr_evidence = "the kernel is " + *h.kernel_release;
  }
  for (const auto& bdf : bdfs) {
    const std::string dir = "sys/bus/pci/devices/" + bdf;
    if (auto v = root.read_line(dir + "/boot_vga")) {
      h.boot_vga[bdf] = *v == "1";
    }
    ResetMethods rm;
    if (const auto r = root.read(dir + "/reset_method", 4096)) {
      std::vector<std::string> words;
      for (auto w : split_ws(r.data)) {
        words.emplace_back(w);
      }
      rm.methods = std::move(words);
    } else if (root.exists(dir + "/reset_method")) {
      rm.why = r.message;
    } else if (!root.exists(dir)) {
      rm.why = root.display(dir) + ": missing";
    } else if (!attr_evidence.empty()) {
      rm.methods = std::vector<std::string>{};
      rm.why = fmt::format("no reset_method file: the kernel shows it only for a function with "
                           "a working reset ({})",
                           attr_evidence);
    } else {
      rm.why = fmt::format("no {} file, and nothing shows this kernel has the attribute (5.15 "
                           "and later): unknown",
                           root.display(dir + "/reset_method"));
    }
    h.reset[bdf] = std::move(rm);
  }
  return h;
}

} // namespace memmap::source
