// machine::preflight: the VFIO pre-flight's verdict follows only from checks that ran. Every
// blocker kind, every check that cannot run, shared vfio-pci ids, bridges, unknown members,
// foreign BAR claims; the selector grammar --device shares with every command; and the
// source layer that reads what the host needs (root filesystem through dm/md, keyboards,
// reset_method).
#include <catch2/catch.hpp>

#include <memmap/analyze/audit.hpp>
#include <memmap/error.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/machine/passthrough.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/pci/selector.hpp>
#include <memmap/source/host_facts.hpp>
#include <memmap/source/resource_tree.hpp>

#include <algorithm>
#include <unistd.h>

#include "support/temp_dir.hpp"

using namespace memmap;
using machine::Verdict;

namespace {

pci::Device
dev(const std::string& bdf, std::uint16_t ven, std::uint16_t id, std::uint32_t cls,
    const std::string& driver, bool bridge = false)
{
  pci::Device d;
  d.bdf = bdf;
  d.vendor_id = ven;
  d.device_id = id;
  d.class_code = cls;
  d.header_type = bridge ? 1 : 0;
  d.driver = driver;
  d.name = "Device " + bdf;
  d.class_name = "Class";
  return d;
}

// A machine whose every source is there: group 1 holds one NVMe (01:00.0, alone), group 2 a
// switch port (02:00.0) with a NIC behind it (03:00.0), group 3 another NIC of the same id
// (04:00.0). The root filesystem is on a SATA controller outside every group.
struct Machine {
  iommu::IommuState st;
  pci::PciModel pci;
  source::HostFacts host;
  model::AddressSpace iomem;
  machine::PassthroughInputs in;

  Machine()
  {
    pci.origin = pci::Origin::sysfs;
    pci.source = "sys/bus/pci";
    pci.devices = {dev("0000:00:17.0", 0x8086, 0x1234, 0x010601, "ahci"),
                   dev("0000:01:00.0", 0x144d, 0xa808, 0x010802, "nvme"),
                   dev("0000:02:00.0", 0x10b5, 0x8747, 0x060400, "pcieport", true),
                   dev("0000:03:00.0", 0x8086, 0x10d3, 0x020000, "e1000e"),
                   dev("0000:04:00.0", 0x8086, 0x10d3, 0x020000, "e1000e")};
    add_group(1, {"0000:01:00.0"});
    add_group(2, {"0000:02:00.0", "0000:03:00.0"});
    add_group(3, {"0000:04:00.0"});
    st.units = {"dmar0"};
    st.groups_dir_present = true;
    st.cmdline_read = true;
    st.cmdline = {"intel_iommu=on"};
    host.pci_sysfs = true;
    host.root_fs.known = true;
    host.root_fs.source = "proc/self/mountinfo";
    host.root_fs.fstype = "ext4";
    host.root_fs.mount_source = "/dev/sda2";
    host.root_fs.controllers["0000:00:17.0"] = {"sda2"};
    host.usb.read = true;
    host.usb.source = "sys/bus/usb/devices";
    for (const auto& d : pci.devices) {
      host.reset[d.bdf].methods = std::vector<std::string>{"flr"};
    }
    iomem = source::parse_resource_tree("80000000-8fffffff : PCI Bus 0000:00\n"
                                        "  80000000-80003fff : 0000:01:00.0\n"
                                        "    80000000-80003fff : nvme\n",
                                        "proc/iomem", model::SpaceKind::cpu_physical);
    in.iommu = &st;
    in.pci = &pci;
    in.iomem = &iomem;
    in.host = &host;
  }

  void add_group(int id, std::vector<std::string> devs)
  {
    iommu::Group g;
    g.id = id;
    g.type = "DMA";
    g.type_known = true;
    g.reserved_known = true;
    g.reserved = {{0xfee00000, 0xfeefffff, "msi", 1}};
    g.path = "sys/kernel/iommu_groups/" + std::to_string(id);
    g.devices = std::move(devs);
    for (const auto& d : g.devices) {
      st.group_of[d] = id;
    }
    st.groups.push_back(std::move(g));
  }

  iommu::Group& group(int id)
  {
    for (auto& g : st.groups) {
      if (g.id == id) {
        return g;
      }
    }
    FAIL("no group " << id);
    return st.groups.front();
  }

  void set_iomem(const std::string& text)
  {
    iomem = source::parse_resource_tree(text, "proc/iomem", model::SpaceKind::cpu_physical);
  }

  machine::PreflightReport run(const std::string& bdf) const { return machine::preflight(bdf, in); }
};

const machine::PreflightCheck&
check(const machine::PreflightReport& r, const std::string& id)
{
  for (const auto& c : r.checks) {
    if (c.id == id) {
      return c;
    }
  }
  FAIL("no check " << id);
  return r.checks.front();
}

bool
has_blocker(const machine::PreflightReport& r, const std::string& chk, const std::string& bdf)
{
  return std::any_of(r.blockers.begin(), r.blockers.end(), [&](const machine::Blocker& b) {
    return b.check == chk && b.bdf == bdf;
  });
}

} // namespace

TEST_CASE("preflight: passable only when every check ran and none blocks", "[machine][passthrough]")
{
  Machine m;
  const auto r = m.run("0000:01:00.0");
  CHECK(r.not_run().empty());
  CHECK(r.blockers.empty());
  CHECK(r.verdict == Verdict::passable);
  CHECK(r.passable() == std::optional<bool>(true));
  CHECK(r.bind.ids == std::vector<std::string>{"144d:a808"});
  CHECK(r.bind.to_bind == std::vector<std::string>{"0000:01:00.0 (bound to nvme)"});
  CHECK(r.reason.find("bind 0000:01:00.0 to vfio-pci") != std::string::npos);
  CHECK(check(r, "root-fs").result.find("sda2 on 0000:00:17.0") != std::string::npos);
}

TEST_CASE("preflight: each host need blocks, naming what the host would lose", "[machine][passthrough]")
{
  Machine m;
  SECTION("host bridge, ISA/LPC bridge and SMBus by class")
  {
    m.pci.devices.push_back(dev("0000:00:1f.0", 0x8086, 0x1c4a, 0x060100, "lpc_ich"));
    m.pci.devices.push_back(dev("0000:00:1f.3", 0x8086, 0x1c22, 0x0c0500, "i801_smbus"));
    m.pci.devices.push_back(dev("0000:00:00.0", 0x8086, 0x0100, 0x060000, "igen6_edac"));
    m.add_group(9, {"0000:00:00.0", "0000:00:1f.0", "0000:00:1f.3"});
    for (const auto& b : {"0000:00:00.0", "0000:00:1f.0", "0000:00:1f.3"}) {
      m.host.reset[b].methods = std::vector<std::string>{};
    }
    const auto r = m.run("0000:00:1f.3");
    CHECK(has_blocker(r, "host-devices", "0000:00:00.0"));
    CHECK(has_blocker(r, "host-devices", "0000:00:1f.0"));
    CHECK(has_blocker(r, "host-devices", "0000:00:1f.3"));
    CHECK(r.verdict == Verdict::blocked);
    CHECK(r.passable() == std::optional<bool>(false));
    CHECK(r.reason.find("not without losing") != std::string::npos);
    CHECK(r.reason.find("the ISA/LPC bridge 0000:00:1f.0 (lpc_ich)") != std::string::npos);
    CHECK(r.reason.find("the SMBus controller 0000:00:1f.3 (i801_smbus)") != std::string::npos);
    CHECK(r.reason.find("the host bridge 0000:00:00.0 (igen6_edac)") != std::string::npos);
  }
  SECTION("the controller of the root filesystem")
  {
    m.host.root_fs.controllers.clear();
    m.host.root_fs.controllers["0000:01:00.0"] = {"nvme0n1p2"};
    const auto r = m.run("0000:01:00.0");
    CHECK(has_blocker(r, "root-fs", "0000:01:00.0"));
    CHECK(r.reason.find("the controller of the root filesystem 0000:01:00.0 (nvme)")
          != std::string::npos);
  }
  SECTION("the boot VGA")
  {
    m.host.boot_vga["0000:01:00.0"] = true;
    CHECK(has_blocker(m.run("0000:01:00.0"), "boot-vga", "0000:01:00.0"));
  }
  SECTION("the USB controller of a keyboard")
  {
    m.host.usb.by_controller["0000:01:00.0"] = {{"1-2", "046d:c31c", "Logitech Keyboard", true},
                                                {"1-3", "0781:5581", "SanDisk", false}};
    const auto r = m.run("0000:01:00.0");
    CHECK(has_blocker(r, "keyboard", "0000:01:00.0"));
    REQUIRE(r.warnings.size() == 1);  // the other USB device goes with the controller
    CHECK(r.warnings[0].message.find("1-3 0781:5581 SanDisk") != std::string::npos);
  }
  SECTION("a direct (RMRR) reserved region")
  {
    m.group(1).reserved.push_back({0x7c000000, 0x7c7fffff, "direct", 2});
    const auto r = m.run("0000:01:00.0");
    CHECK(has_blocker(r, "reserved-regions", ""));
    CHECK(r.verdict == Verdict::blocked);
  }
  SECTION("a framebuffer inside a BAR")
  {
    m.set_iomem("80000000-8fffffff : PCI Bus 0000:00\n"
                "  80000000-80003fff : 0000:01:00.0\n"
                "    80000000-800007ff : BOOTFB\n");
    const auto r = m.run("0000:01:00.0");
    REQUIRE(has_blocker(r, "bar-claims", "0000:01:00.0"));
    CHECK(r.reason.find("not until BOOTFB") != std::string::npos);
    CHECK(r.blockers[0].fix.find("initcall_blacklist=sysfb_init") != std::string::npos);
  }
}

TEST_CASE("preflight: a check that cannot run makes it 'as far as checked'", "[machine][passthrough]")
{
  Machine m;
  std::string id;
  SECTION("no mountinfo")
  {
    m.host.root_fs = {};
    m.host.root_fs.why = "proc/self/mountinfo: No such file or directory";
    id = "root-fs";
  }
  SECTION("the root filesystem on something not followed")
  {
    m.host.root_fs.known = false;
    m.host.root_fs.why = "the root filesystem is zfs on 'rpool/root'";
    m.host.root_fs.controllers.clear();
    id = "root-fs";
  }
  SECTION("no sys/bus/usb")
  {
    m.host.usb = {};
    m.host.usb.why = "sys/bus/usb/devices: missing";
    id = "keyboard";
  }
  SECTION("a USB interface whose class cannot be read")
  {
    m.host.usb.interfaces_unknown = {"1-3:1.0"};
    id = "keyboard";
  }
  SECTION("no reset_method file on a kernel that may lack it")
  {
    m.host.reset["0000:01:00.0"] = {std::nullopt, "no reset_method file"};
    id = "reset-methods";
  }
  SECTION("the PCI model not loadable")
  {
    m.in.pci = nullptr;
    m.in.pci_why = "sys/bus/pci: missing";
    id = "pci-identity";
  }
  SECTION("no group type file")
  {
    m.group(1).type_known = false;
    m.group(1).type.clear();
    id = "group-type";
  }
  SECTION("no reserved_regions file")
  {
    m.group(1).reserved_known = false;
    m.group(1).reserved.clear();
    id = "reserved-regions";
  }
  SECTION("kernel command line unreadable")
  {
    m.st.cmdline_read = false;
    m.st.cmdline.clear();
    id = "kernel-cmdline";
  }
  SECTION("no /proc/iomem")
  {
    m.in.iomem = nullptr;
    m.in.iomem_why = "proc/iomem: missing";
    id = "bar-claims";
  }
  SECTION("iomem without addresses")
  {
    m.iomem.addresses_hidden = true;
    id = "bar-claims";
  }
  const auto r = m.run("0000:01:00.0");
  CHECK_FALSE(check(r, id).ran);
  CHECK_FALSE(check(r, id).result.empty());  // says why
  CHECK(r.blockers.empty());
  CHECK(r.verdict == Verdict::as_far_as_checked);
  CHECK_FALSE(r.passable().has_value());      // JSON null, never true
  CHECK(r.reason.find("passable as far as checked") != std::string::npos);
  CHECK(r.reason.find(id) != std::string::npos);
}

TEST_CASE("preflight: a blocker wins over a check that did not run", "[machine][passthrough]")
{
  Machine m;
  m.host.usb = {};
  m.host.boot_vga["0000:01:00.0"] = true;
  const auto r = m.run("0000:01:00.0");
  CHECK(r.verdict == Verdict::blocked);
  CHECK(r.passable() == std::optional<bool>(false));
  CHECK_FALSE(check(r, "keyboard").ran);
}

TEST_CASE("preflight: controllers found under a root fs not fully followed still block",
          "[machine][passthrough]")
{
  Machine m;
  m.host.root_fs.known = false;
  m.host.root_fs.why = "btrfs on nvme0n1p2: the other devices are not known";
  m.host.root_fs.controllers = {{"0000:01:00.0", {"nvme0n1p2"}}};
  const auto r = m.run("0000:01:00.0");
  CHECK(has_blocker(r, "root-fs", "0000:01:00.0"));
  CHECK_FALSE(check(r, "root-fs").ran);
  CHECK(r.verdict == Verdict::blocked);
}

TEST_CASE("preflight: vfio-pci.ids shared with functions outside the group", "[machine][passthrough]")
{
  Machine m;
  const auto r = m.run("0000:03:00.0");
  CHECK(r.bind.ids == std::vector<std::string>{"8086:10d3"});  // the bridge's id is not listed
  REQUIRE(r.bind.shared.count("8086:10d3"));
  CHECK(r.bind.shared.at("8086:10d3") == std::vector<std::string>{"0000:04:00.0"});
  CHECK(r.bind.endpoints == std::vector<std::string>{"0000:03:00.0"});
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].check == "vfio-ids");
  CHECK(r.warnings[0].message.find("would also take 0000:04:00.0") != std::string::npos);
  CHECK(check(r, "vfio-ids").ran);
  CHECK(r.verdict == Verdict::passable);  // a warning does not block
}

TEST_CASE("preflight: a bridge is never the device passed", "[machine][passthrough]")
{
  Machine m;
  const auto r = m.run("0000:02:00.0");
  CHECK(r.verdict == Verdict::bridge);
  CHECK(r.passable() == std::optional<bool>(false));
  CHECK(r.reason.find("is a bridge") != std::string::npos);
  CHECK(r.reason.find("0000:03:00.0") != std::string::npos);  // the endpoint to run it for
  // For the endpoint, the same group passes: its bridge stays with the host.
  const auto e = m.run("0000:03:00.0");
  CHECK(e.verdict == Verdict::passable);
  CHECK(e.reason.find("0000:02:00.0 stays with the host") != std::string::npos);
  CHECK(e.bind.bridges_to_unbind.empty());  // on pcieport
}

TEST_CASE("preflight: an unbound host bridge beside a GPU stays with the host (AMD's dummy host "
          "bridges)", "[machine][passthrough]")
{
  Machine m;
  m.pci.devices.push_back(dev("0000:00:03.0", 0x1022, 0x1482, 0x060000, ""));
  m.pci.devices.push_back(dev("0000:00:03.1", 0x1022, 0x1483, 0x060400, "pcieport", true));
  m.pci.devices.push_back(dev("0000:0a:00.0", 0x10de, 0x2204, 0x030000, "nvidia"));
  m.pci.devices.push_back(dev("0000:0a:00.1", 0x10de, 0x1aef, 0x040300, "snd_hda_intel"));
  m.add_group(12, {"0000:00:03.0", "0000:00:03.1", "0000:0a:00.0", "0000:0a:00.1"});
  for (const auto* b : {"0000:00:03.0", "0000:00:03.1", "0000:0a:00.0", "0000:0a:00.1"}) {
    m.host.reset[b].methods = std::vector<std::string>{"bus"};
    m.host.boot_vga[b] = false;
  }
  const auto r = m.run("0000:0a:00.0");
  CHECK(r.blockers.empty());
  CHECK(r.members[0].role == machine::Role::kept);
  CHECK(r.bind.endpoints == std::vector<std::string>{"0000:0a:00.0", "0000:0a:00.1"});
  CHECK(r.bind.ids == std::vector<std::string>{"10de:1aef", "10de:2204"});
  CHECK(r.verdict == Verdict::passable);
  CHECK(r.reason.find("0000:00:03.0, 0000:00:03.1 stay with the host") != std::string::npos);
  // Asked for itself, or bound to a driver, the host bridge is the host's.
  CHECK(has_blocker(m.run("0000:00:03.0"), "host-devices", "0000:00:03.0"));
  m.pci.devices[5].driver = "amd64_edac";
  CHECK(has_blocker(m.run("0000:0a:00.0"), "host-devices", "0000:00:03.0"));
}

TEST_CASE("preflight: a bridge on a driver that does DMA must be unbound", "[machine][passthrough]")
{
  Machine m;
  m.pci.devices[2].driver = "shpchp";
  const auto r = m.run("0000:03:00.0");
  CHECK(r.bind.bridges_to_unbind == std::vector<std::string>{"0000:02:00.0 (bound to shpchp)"});
}

TEST_CASE("preflight: unknown is unknown", "[machine][passthrough]")
{
  Machine m;
  m.in.pci = nullptr;
  m.in.pci_why = "sys/bus/pci: missing";
  m.host.reset["0000:03:00.0"] = {std::nullopt, "no reset_method file"};
  const auto r = m.run("0000:03:00.0");
  REQUIRE(r.members.size() == 2);
  for (const auto& mem : r.members) {
    CHECK_FALSE(mem.pci_known);
    CHECK_FALSE(mem.driver.has_value());
    CHECK(mem.role == machine::Role::unknown);
    CHECK_FALSE(mem.id());
  }
  CHECK_FALSE(r.members[1].reset_methods.has_value());
  CHECK(r.bind.ids.empty());
  CHECK(r.bind.ids_unknown_for == std::vector<std::string>{"0000:02:00.0", "0000:03:00.0"});
  CHECK(r.verdict == Verdict::as_far_as_checked);
  for (const auto* id : {"pci-identity", "host-devices", "vfio-ids", "reset-methods", "bar-claims"}) {
    CHECK_FALSE(check(r, id).ran);
  }
}

TEST_CASE("preflight: no group, no IOMMU, groups not captured", "[machine][passthrough]")
{
  Machine m;
  m.st.group_of.erase("0000:04:00.0");
  CHECK(m.run("0000:04:00.0").verdict == Verdict::no_group);
  iommu::IommuState none;
  m.in.iommu = &none;
  m.in.live = false;
  const auto nc = m.run("0000:04:00.0");
  CHECK(nc.verdict == Verdict::not_captured);
  CHECK_FALSE(nc.passable().has_value());
  m.in.live = true;  // a live kernel without iommu_groups: no IOMMU support
  const auto live = m.run("0000:04:00.0");
  CHECK(live.verdict == Verdict::no_group);
  CHECK(live.passable() == std::optional<bool>(false));
}

TEST_CASE("foreign BAR claims: framebuffers always, other claims by the bound driver",
          "[machine][passthrough]")
{
  pci::PciModel pci;
  pci.origin = pci::Origin::sysfs;
  auto gpu = dev("0000:01:00.0", 0x10de, 0x1cb1, 0x030000, "nvidia");
  pci::Bar b1;
  b1.index = 1;
  b1.cpu_address = 0xd0000000;
  b1.size = 0x10000000;
  gpu.bars = {b1};
  pci.devices = {gpu, dev("0000:02:00.0", 0x8086, 0x10d3, 0x020000, ""),
                 dev("0000:03:00.0", 0x8086, 0x10d3, 0x020000, "vfio-pci"),
                 dev("0000:04:00.0", 0x8086, 0x2668, 0x040300, "snd_hda_intel")};
  const auto iomem = source::parse_resource_tree(
    "c0000000-febfffff : PCI Bus 0000:00\n"
    "  d0000000-dfffffff : 0000:01:00.0\n"
    "    d0000000-d05affff : BOOTFB\n"
    "  e0000000-e0ffffff : 0000:01:00.0\n"
    "    e0000000-e0ffffff : nvidia\n"
    "  f0000000-f0003fff : 0000:02:00.0\n"
    "    f0000000-f0003fff : leftover\n"
    "  f1000000-f1003fff : 0000:03:00.0\n"
    "    f1000000-f1003fff : vfio\n"
    "  f2000000-f2003fff : 0000:04:00.0\n"
    "    f2000000-f2003fff : ICH HD audio\n",
    "proc/iomem", model::SpaceKind::cpu_physical);
  const auto claims = machine::find_foreign_claims(iomem, &pci);
  REQUIRE(claims.size() == 2);
  CHECK(claims[0].bdf == "0000:01:00.0");
  CHECK(claims[0].name == "BOOTFB");
  CHECK(claims[0].framebuffer);
  CHECK(claims[0].bar == std::optional<int>(1));
  CHECK(claims[0].evidence == "proc/iomem:3: d0000000-d05affff : BOOTFB");
  CHECK(claims[1].bdf == "0000:02:00.0");  // no driver bound, yet something holds it
  CHECK(claims[1].name == "leftover");
  CHECK_FALSE(claims[1].bar.has_value());  // the model does not place that line
  // Without the PCI model only framebuffers are known to be foreign.
  const auto bare = machine::find_foreign_claims(iomem, nullptr);
  REQUIRE(bare.size() == 1);
  CHECK(bare[0].name == "BOOTFB");
  CHECK_FALSE(bare[0].bar.has_value());
  // Restricted to some functions.
  const std::set<std::string> only{"0000:04:00.0"};
  CHECK(machine::find_foreign_claims(iomem, &pci, &only).empty());
}

TEST_CASE("audit bar-foreign-claim: one finding per BAR, none for the driver's own claim",
          "[audit][passthrough]")
{
  pci::PciModel pci;
  pci.origin = pci::Origin::sysfs;
  auto placed = [](pci::Device d, int index, std::uint64_t at, std::uint64_t size) {
    pci::Bar b;
    b.index = index;
    b.cpu_address = at;
    b.size = size;
    d.bars.push_back(b);
    return d;
  };
  auto gpu = placed(dev("0000:01:00.0", 0x10de, 0x2460, 0x030000, "nvidia"), 1, 0xd0000000,
                    0x10000000);
  gpu = placed(gpu, 3, 0xe0000000, 0x1000000);
  pci.devices = {gpu,
                 placed(dev("0000:02:00.0", 0x8086, 0x10d3, 0x020000, ""), 0, 0xf0000000, 0x4000),
                 placed(dev("0000:03:00.0", 0x8086, 0x10d3, 0x020000, "vfio-pci"), 0,
                        0xf1000000, 0x4000),
                 placed(dev("0000:04:00.0", 0x8086, 0x2668, 0x040300, "snd_hda_intel"), 0,
                        0xf2000000, 0x4000),
                 placed(dev("0000:05:00.0", 0x1912, 0x0014, 0x0c0330, "vfio-pci"), 0,
                        0xf3000000, 0x2000)};
  // simpledrm claims inside the BOOTFB that sysfb registered: two framebuffer lines, one BAR.
  const auto iomem = source::parse_resource_tree(
    "c0000000-febfffff : PCI Bus 0000:00\n"
    "  d0000000-dfffffff : 0000:01:00.0\n"
    "    d0000000-d07e8fff : BOOTFB\n"
    "      d0000000-d07e8fff : simpledrm\n"
    "  e0000000-e0ffffff : 0000:01:00.0\n"
    "    e0000000-e0ffffff : nvidia\n"
    "  f0000000-f0003fff : 0000:02:00.0\n"
    "    f0000000-f0003fff : e1000e\n"
    "  f1000000-f1003fff : 0000:03:00.0\n"
    "    f1000000-f1003fff : vfio\n"
    "  f2000000-f2003fff : 0000:04:00.0\n"
    "    f2000000-f2003fff : ICH HD audio\n"
    "  f3000000-f3001fff : 0000:05:00.0\n"
    "    f3000000-f3001fff : xhci-hcd\n",
    "proc/iomem", model::SpaceKind::cpu_physical);
  analyze::AuditSources src;
  src.iomem = &iomem;
  src.pci = &pci;
  const auto res = analyze::run_audit(src, {"bar-foreign-claim"}, {});
  CHECK(res.checks_run == std::vector<std::string>{"bar-foreign-claim"});
  REQUIRE(res.findings.size() == 3);
  for (const auto& f : res.findings) {
    CHECK(f.id == "bar-foreign-claim");
    CHECK(f.severity == analyze::Severity::warning);
    CHECK_FALSE(f.hint.empty());
  }
  const auto& fb = res.findings[0];
  CHECK(fb.subject.bdf == std::optional<std::string>("0000:01:00.0"));
  CHECK(fb.subject.bar == std::optional<int>(1));
  CHECK(fb.message.find("'BOOTFB', 'simpledrm' inside BAR 1 are not its driver's") == 0);
  CHECK(fb.message.find("vfio-pci 0000:01:00.0: BAR 1: can't reserve") != std::string::npos);
  REQUIRE(fb.evidence.size() >= 2);
  CHECK(fb.evidence[0] == "proc/iomem:3: d0000000-d07e8fff : BOOTFB");
  CHECK(fb.evidence[1] == "proc/iomem:4: d0000000-d07e8fff : simpledrm");
  CHECK(fb.hint.find("initcall_blacklist=sysfb_init") != std::string::npos);
  // No driver bound, yet e1000e's name holds its BAR (a driver unbound without releasing it).
  CHECK(res.findings[1].subject.bdf == std::optional<std::string>("0000:02:00.0"));
  CHECK(res.findings[1].subject.bar == std::optional<int>(0));
  CHECK(res.findings[1].message.find("'e1000e' inside BAR 0 is not its driver's") == 0);
  // On vfio-pci, a claim that is not vfio's.
  CHECK(res.findings[2].subject.bdf == std::optional<std::string>("0000:05:00.0"));
  CHECK(res.findings[2].message.find("'xhci-hcd'") == 0);
  CHECK(res.findings[0].fingerprint != res.findings[1].fingerprint);
  // Without the PCI devices, drivers are unknown: only the framebuffer BAR is reported, by
  // its addresses (its index is not known).
  analyze::AuditSources bare;
  bare.iomem = &iomem;
  const auto only_fb = analyze::run_audit(bare, {"bar-foreign-claim"}, {});
  REQUIRE(only_fb.findings.size() == 1);
  CHECK_FALSE(only_fb.findings[0].subject.bar.has_value());
  CHECK(only_fb.findings[0].subject.start == std::optional<std::uint64_t>(0xd0000000));
  CHECK(only_fb.findings[0].message.find("inside the region 0xd0000000-0xdfffffff are") != std::string::npos);
  CHECK(only_fb.findings[0].message.find("can't reserve") == std::string::npos);
  // The check is listed with the others.
  REQUIRE(analyze::find_check("bar-foreign-claim") != nullptr);
  CHECK(analyze::find_check("bar-foreign-claim")->needs == analyze::Needs::iomem);
}

TEST_CASE("IOMMU units in /proc/iomem", "[machine][passthrough]")
{
  const auto iomem = source::parse_resource_tree("fed90000-fed90fff : dmar0\n"
                                                 "fed91000-fed91fff : dmar1\n"
                                                 "fed92000-fed92fff : dmarx\n"
                                                 "fd300000-fd37ffff : amd_iommu\n",
                                                 "iomem", model::SpaceKind::cpu_physical);
  CHECK(machine::iommu_units_in_iomem(iomem)
        == std::vector<std::string>{"dmar0", "dmar1", "amd_iommu"});
}

TEST_CASE("iommu-groups --device takes the lspci -s grammar and names exactly one function", "[pci][selector]")
{
  const std::vector<std::string> bdfs{"0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3",
                                      "0000:04:00.0", "0001:04:00.0", "0000:05:00.0"};
  CHECK(pci::select_one("0000:04:00.0", bdfs, "--device") == "0000:04:00.0");
  CHECK(pci::select_one("5:0.0", bdfs, "--device") == "0000:05:00.0");
  CHECK(pci::select_one("05:00", bdfs, "--device") == "0000:05:00.0");
  CHECK(pci::select_one("1f.2", bdfs, "--device") == "0000:00:1f.2");
  CHECK(pci::select_one("1:4:0.0", bdfs, "--device") == "0001:04:00.0");
  CHECK_THROWS_WITH(pci::select_one("4:0.0", bdfs, "--device"),
                    "--device 4:0.0: matches 2 PCI functions (0000:04:00.0, 0001:04:00.0); "
                    "name one");
  CHECK_THROWS_WITH(pci::select_one("1f", bdfs, "--device"),
                    Catch::Contains("matches 3 PCI functions"));
  CHECK_THROWS_WITH(pci::select_one("42:00.0", bdfs, "--device"),
                    "--device 42:00.0: matches no PCI function");
  CHECK_THROWS_WITH(pci::select_one("nonsense", bdfs, "--device"),
                    Catch::StartsWith("--device nonsense: slot 'nonsense'"));
  CHECK_THROWS_AS(pci::select_one("4:0.9", bdfs, "--device"), UsageError);
  pci::Selector s;
  pci::parse_slot_selector("4:0.0", s);
  CHECK(s.matches_address("0000:04:00.0"));
  CHECK(s.matches_address("0001:04:00.0"));
  CHECK_FALSE(s.matches_address("0000:04:00.1"));
  CHECK_FALSE(s.matches_address("nvme0"));
}

// --- the source layer: what the host needs, read from a sysroot ---

namespace {

using Root = test::TempDir;  // a sysroot written file by file

constexpr const char* k_nvme = "sys/devices/pci0000:00/0000:00:02.0/0000:01:00.0/nvme/nvme0/nvme0n1";
constexpr const char* k_sata = "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda";

} // namespace

TEST_CASE("root filesystem: a partition, an LVM volume, md RAID, btrfs", "[source][passthrough]")
{
  Root r;
  r.mkdir(std::string(k_nvme) + "/nvme0n1p2");
  r.write(std::string(k_nvme) + "/nvme0n1p2/partition", "2\n");
  r.mkdir(std::string(k_sata) + "/sda1");
  r.write(std::string(k_sata) + "/sda1/partition", "1\n");
  SECTION("a plain partition")
  {
    r.write("proc/self/mountinfo", "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n");
    r.link("sys/dev/block/259:2", "../../devices/pci0000:00/0000:00:02.0/0000:01:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
    const auto fs = source::read_root_fs(source::SysRoot(r.path));
    CHECK(fs.known);
    CHECK(fs.fstype == "ext4");
    REQUIRE(fs.controllers.count("0000:01:00.0"));
    CHECK(fs.controllers.at("0000:01:00.0") == std::vector<std::string>{"nvme0n1p2"});
  }
  SECTION("LVM: dm-0 over a partition of each disk")
  {
    r.write("proc/self/mountinfo", "1 0 8:1 / /boot rw - ext4 /dev/sda1 rw\n"
                                   "22 1 253:0 / / rw - xfs /dev/mapper/vg-root rw\n");
    r.mkdir("sys/devices/virtual/block/dm-0/slaves");
    r.write("sys/devices/virtual/block/dm-0/dm/name", "vg-root\n");
    r.link("sys/devices/virtual/block/dm-0/slaves/nvme0n1p2",
           "../../../../pci0000:00/0000:00:02.0/0000:01:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
    r.link("sys/devices/virtual/block/dm-0/slaves/sda1",
           "../../../../pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1");
    r.link("sys/dev/block/253:0", "../../devices/virtual/block/dm-0");
    const auto fs = source::read_root_fs(source::SysRoot(r.path));
    CHECK(fs.known);
    CHECK(fs.controllers.size() == 2);
    CHECK(fs.controllers.count("0000:01:00.0"));
    CHECK(fs.controllers.count("0000:00:17.0"));
    REQUIRE_FALSE(fs.chain.empty());
    CHECK(fs.chain[1].find("dm-0 (dm vg-root) -> slaves: nvme0n1p2, sda1") != std::string::npos);
  }
  SECTION("md RAID1 on a dm-crypt volume")
  {
    r.write("proc/self/mountinfo", "22 1 253:1 / / rw - ext4 /dev/mapper/root rw\n");
    r.mkdir("sys/devices/virtual/block/dm-1/slaves");
    r.link("sys/devices/virtual/block/dm-1/slaves/md0", "../../md0");
    r.mkdir("sys/devices/virtual/block/md0/slaves");
    r.write("sys/devices/virtual/block/md0/md/level", "raid1\n");
    r.link("sys/devices/virtual/block/md0/slaves/sda1",
           "../../../../pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1");
    r.link("sys/dev/block/253:1", "../../devices/virtual/block/dm-1");
    const auto fs = source::read_root_fs(source::SysRoot(r.path));
    CHECK(fs.known);
    CHECK(fs.controllers.size() == 1);
    CHECK(fs.controllers.count("0000:00:17.0"));
  }
  SECTION("btrfs reports an anonymous device; its mount source and sys/fs/btrfs name the disks")
  {
    r.write("proc/self/mountinfo", "22 1 0:31 /@ / rw - btrfs /dev/nvme0n1p2 rw,subvol=/@\n");
    r.link("sys/class/block/nvme0n1p2", "../../devices/pci0000:00/0000:00:02.0/0000:01:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
    SECTION("one device listed")
    {
      r.link("sys/fs/btrfs/0c1e/devices/nvme0n1p2", "../../../../devices/pci0000:00/0000:00:02.0/0000:01:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
      r.link("sys/fs/btrfs/0c1e/devices/sda1", "../../../../devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1");
      const auto fs = source::read_root_fs(source::SysRoot(r.path));
      CHECK(fs.known);
      CHECK(fs.controllers.size() == 2);
    }
    SECTION("no sys/fs/btrfs: the other devices are unknown")
    {
      const auto fs = source::read_root_fs(source::SysRoot(r.path));
      CHECK_FALSE(fs.known);
      CHECK(fs.controllers.count("0000:01:00.0"));  // what was found still counts
      CHECK(fs.why.find("multi-device btrfs") != std::string::npos);
    }
  }
  SECTION("zfs: nothing to follow")
  {
    r.write("proc/self/mountinfo", "22 1 0:25 / / rw - zfs rpool/ROOT/debian rw\n");
    const auto fs = source::read_root_fs(source::SysRoot(r.path));
    CHECK_FALSE(fs.known);
    CHECK(fs.why.find("zfs on 'rpool/ROOT/debian'") != std::string::npos);
  }
  SECTION("no mountinfo")
  {
    const auto fs = source::read_root_fs(source::SysRoot(r.path));
    CHECK_FALSE(fs.known);
    CHECK(fs.why.find("mountinfo") != std::string::npos);
  }
  SECTION("a device number with no sys/dev/block link")
  {
    r.write("proc/self/mountinfo", "22 1 259:9 / / rw - ext4 /dev/nvme1n1p1 rw\n");
    const auto fs = source::read_root_fs(source::SysRoot(r.path));
    CHECK_FALSE(fs.known);
    CHECK(fs.why.find("sys/dev/block/259:9") != std::string::npos);
  }
  SECTION("a slaves/ loop stops")
  {
    r.write("proc/self/mountinfo", "22 1 253:0 / / rw - ext4 /dev/dm-0 rw\n");
    r.mkdir("sys/devices/virtual/block/dm-0/slaves");
    r.link("sys/devices/virtual/block/dm-0/slaves/dm-0", "../../dm-0");
    r.link("sys/dev/block/253:0", "../../devices/virtual/block/dm-0");
    const auto fs = source::read_root_fs(source::SysRoot(r.path));
    CHECK_FALSE(fs.known);
  }
}

TEST_CASE("USB keyboards by their HID interface", "[source][passthrough]")
{
  Root r;
  const std::string hc = "sys/devices/pci0000:00/0000:00:14.0/usb1";
  r.write(hc + "/1-2/idVendor", "046d\n");
  r.write(hc + "/1-2/idProduct", "c31c\n");
  r.write(hc + "/1-2/product", "USB Keyboard\n");
  r.write(hc + "/1-2/1-2:1.0/bInterfaceClass", "03\n");
  r.write(hc + "/1-2/1-2:1.0/bInterfaceProtocol", "01\n");
  r.write(hc + "/1-3/idVendor", "046d\n");
  r.write(hc + "/1-3/idProduct", "c077\n");
  r.write(hc + "/1-3/1-3:1.0/bInterfaceClass", "03\n");
  r.write(hc + "/1-3/1-3:1.0/bInterfaceProtocol", "02\n");  // a mouse
  r.link("sys/bus/usb/devices/usb1", "../../../devices/pci0000:00/0000:00:14.0/usb1");
  r.link("sys/bus/usb/devices/1-2", "../../../devices/pci0000:00/0000:00:14.0/usb1/1-2");
  r.link("sys/bus/usb/devices/1-2:1.0", "../../../devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0");
  r.link("sys/bus/usb/devices/1-3", "../../../devices/pci0000:00/0000:00:14.0/usb1/1-3");
  r.link("sys/bus/usb/devices/1-3:1.0", "../../../devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0");
  const auto usb = source::read_usb(source::SysRoot(r.path));
  CHECK(usb.read);
  REQUIRE(usb.by_controller.count("0000:00:14.0"));
  const auto& devs = usb.by_controller.at("0000:00:14.0");
  REQUIRE(devs.size() == 2);
  CHECK(devs[0].name == "1-2");
  CHECK(devs[0].keyboard);
  CHECK(devs[0].ids == "046d:c31c");
  CHECK_FALSE(devs[1].keyboard);
  CHECK(usb.interfaces_unknown.empty());
  // An interface without bInterfaceClass (a capture that left it out): not known to be a
  // keyboard or not, and said so; a HID interface without its protocol likewise.
  r.mkdir(hc + "/1-3/1-3:1.1");
  r.link("sys/bus/usb/devices/1-3:1.1", "../../../devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.1");
  r.write(hc + "/1-3/1-3:1.2/bInterfaceClass", "03\n");
  r.link("sys/bus/usb/devices/1-3:1.2", "../../../devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.2");
  auto partial = source::read_usb(source::SysRoot(r.path));
  std::sort(partial.interfaces_unknown.begin(), partial.interfaces_unknown.end());
  CHECK(partial.interfaces_unknown == std::vector<std::string>{"1-3:1.1", "1-3:1.2"});
  CHECK(partial.by_controller.at("0000:00:14.0").at(0).keyboard);  // the known one still is
  Root empty;
  const auto none = source::read_usb(source::SysRoot(empty.path));
  CHECK_FALSE(none.read);
  CHECK(none.why.find("sys/bus/usb/devices") != std::string::npos);
}

TEST_CASE("reset_method: a missing file is 'none' only where the kernel has the attribute",
          "[source][passthrough]")
{
  Root r;
  r.mkdir("sys/bus/pci/devices/0000:00:1f.0");
  SECTION("nothing says the kernel has it: unknown")
  {
    const auto h = source::read_host_facts(source::SysRoot(r.path), {"0000:00:1f.0"});
    CHECK_FALSE(h.reset.at("0000:00:1f.0").methods.has_value());
  }
  SECTION("another function has the file: none")
  {
    r.write("sys/bus/pci/devices/0000:01:00.0/reset_method", "flr bus\n");
    const auto h = source::read_host_facts(source::SysRoot(r.path), {"0000:00:1f.0", "0000:01:00.0"});
    CHECK(h.reset.at("0000:00:1f.0").methods == std::optional<std::vector<std::string>>(std::vector<std::string>{}));
    CHECK(h.reset.at("0000:01:00.0").methods
          == std::optional<std::vector<std::string>>(std::vector<std::string>{"flr", "bus"}));
  }
  SECTION("the kernel is 5.15 or later: none")
  {
    r.write("proc/version", "Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org) #1 SMP\n");
    const auto h = source::read_host_facts(source::SysRoot(r.path), {"0000:00:1f.0"});
    CHECK(h.kernel_release == std::optional<std::string>("6.1.0-13-amd64"));
    CHECK(h.reset.at("0000:00:1f.0").methods.has_value());
  }
  SECTION("a kernel before 5.15: unknown")
  {
    r.write("proc/version", "Linux version 5.10.0-28-amd64 (x) #1 SMP\n");
    const auto h = source::read_host_facts(source::SysRoot(r.path), {"0000:00:1f.0"});
    CHECK_FALSE(h.reset.at("0000:00:1f.0").methods.has_value());
  }
  CHECK(source::release_at_least("5.15.0-91-generic", 5, 15) == std::optional<bool>(true));
  CHECK(source::release_at_least("4.19.0", 5, 15) == std::optional<bool>(false));
  CHECK_FALSE(source::release_at_least("garbage", 5, 15).has_value());
}
