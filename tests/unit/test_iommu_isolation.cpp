#include <catch2/catch.hpp>

#include <memmap/error.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/iommu/isolation.hpp>

using namespace memmap::iommu;

namespace {

TopoDevice
port(const std::string& bdf, const std::string& parent, int type, bool acs, bool mf = false)
{
  TopoDevice d;
  d.bdf = bdf;
  d.parent_bdf = parent;
  d.is_bridge = true;
  d.is_pcie = true;
  d.pcie_type = type;
  d.multifunction = mf;
  if (acs) {
    // QEMU pcie-root-port: ACS cap SV|TB|RR|CR|UF, control all of them on (kernel enables).
    d.acs_cap = 0x1f;
    d.acs_ctrl = 0x1d;
  }
  return d;
}

TopoDevice
endpoint(const std::string& bdf, const std::string& parent, bool pcie = true, bool mf = false)
{
  TopoDevice d;
  d.bdf = bdf;
  d.parent_bdf = parent;
  d.is_pcie = pcie;
  d.pcie_type = pcie ? k_pcie_endpoint : -1;
  d.multifunction = mf;
  return d;
}

// The q35 test machine's topology (tests/vm): ACS root port with NVMe; a root port with a
// switch whose downstream ports lack ACS; a multifunction root port with disable-acs=on;
// a PCIe-to-PCI bridge with two conventional devices; the ICH9 functions at 00:1f.
Topology
q35()
{
  Topology t;
  auto add = [&](TopoDevice d) { t[d.bdf] = d; };
  add(port("0000:00:02.0", "", k_pcie_root_port, true));
  add(endpoint("0000:01:00.0", "0000:00:02.0"));  // nvme
  add(port("0000:00:03.0", "", k_pcie_root_port, true));
  add(port("0000:02:00.0", "0000:00:03.0", k_pcie_upstream, false));
  add(port("0000:03:00.0", "0000:02:00.0", k_pcie_downstream, false));
  add(port("0000:03:01.0", "0000:02:00.0", k_pcie_downstream, false));
  add(endpoint("0000:04:00.0", "0000:03:00.0"));
  add(endpoint("0000:05:00.0", "0000:03:01.0"));
  add(port("0000:00:04.0", "", k_pcie_root_port, false, true));
  add(port("0000:00:04.1", "", k_pcie_root_port, false, true));
  add(endpoint("0000:06:00.0", "0000:00:04.0"));
  add(endpoint("0000:07:00.0", "0000:00:04.1"));
  add(port("0000:00:05.0", "", k_pcie_pci_bridge, false));
  add(endpoint("0000:08:01.0", "0000:00:05.0", false));
  add(endpoint("0000:08:02.0", "0000:00:05.0", false));
  add(endpoint("0000:00:1f.0", "", false, true));
  add(endpoint("0000:00:1f.2", "", false, true));
  add(endpoint("0000:00:1f.3", "", false, true));
  return t;
}

} // namespace

TEST_CASE("ACS rules follow pci_acs_enabled()", "[iommu]")
{
  const std::set<std::string> none;
  CHECK(acs_isolates(port("a", "", k_pcie_root_port, true), none));
  CHECK_FALSE(acs_isolates(port("a", "", k_pcie_root_port, false), none));
  CHECK_FALSE(acs_isolates(port("a", "", k_pcie_downstream, false), none));
  CHECK(acs_isolates(port("a", "", k_pcie_upstream, false), none));  // single function
  CHECK_FALSE(acs_isolates(port("a", "", k_pcie_upstream, false, true), none));
  CHECK_FALSE(acs_isolates(port("a", "", k_pcie_pci_bridge, true), none));
  CHECK(acs_isolates(endpoint("e", ""), none));
  CHECK_FALSE(acs_isolates(endpoint("e", "", false), none));  // conventional PCI
  CHECK_FALSE(acs_isolates(endpoint("e", "", true, true), none));  // MF without ACS

  // Controls the capability lacks count as hard-wired on: a port with only SV and RR in
  // its capability isolates once SV and RR are enabled.
  auto p = port("0000:00:1c.0", "", k_pcie_root_port, true);
  p.acs_cap = k_acs_sv | k_acs_rr;
  p.acs_ctrl = k_acs_sv | k_acs_rr;
  CHECK(acs_isolates(p, none));
  p.acs_ctrl = k_acs_sv;
  CHECK_FALSE(acs_isolates(p, none));
  CHECK(missing_acs_controls(p, none) == "does not enable ACS ReqRedir");
  // pci=disable_acs_redir= turns Request/Completion Redirect off.
  auto q = port("0000:00:1c.4", "", k_pcie_root_port, true);
  CHECK(acs_isolates(q, none));
  CHECK_FALSE(acs_isolates(q, {"0000:00:1c.4"}));
  CHECK(missing_acs_controls(q, {"0000:00:1c.4"})
        == "does not enable ACS ReqRedir and CmpltRedir (pci=disable_acs_redir= on the kernel "
           "command line)");
  CHECK(missing_acs_controls(port("x", "", k_pcie_root_port, false), none)
        == "has no ACS capability");
}

TEST_CASE("the q35 machine's groups are explained from the topology", "[iommu]")
{
  const auto t = q35();
  const std::set<std::string> none;
  auto c = explain_group({"0000:01:00.0"}, t, none);
  CHECK(c.kind == "alone");
  CHECK(c.isolated);
  CHECK_FALSE(c.device);

  c = explain_group({"0000:03:00.0", "0000:04:00.0"}, t, none);
  CHECK(c.kind == "no-acs");
  CHECK(c.device == std::optional<std::string>("0000:03:00.0"));
  CHECK_FALSE(c.isolated);
  CHECK(c.reason.find("switch downstream port") != std::string::npos);
  CHECK(c.reason.find("has no ACS capability") != std::string::npos);

  c = explain_group({"0000:00:04.0", "0000:00:04.1", "0000:06:00.0", "0000:07:00.0"}, t, none);
  CHECK(c.kind == "no-acs");
  CHECK(c.device == std::optional<std::string>("0000:00:04.0"));
  CHECK(c.reason.find("0000:00:04.1") != std::string::npos);

  c = explain_group({"0000:00:05.0", "0000:08:01.0", "0000:08:02.0"}, t, none);
  CHECK(c.kind == "pcie-to-pci-bridge");
  CHECK(c.device == std::optional<std::string>("0000:00:05.0"));

  c = explain_group({"0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3"}, t, none);
  CHECK(c.kind == "same-slot");
  CHECK(c.isolated);

  // Two root-bus endpoints in different slots: nothing in the topology groups them.
  c = explain_group({"0000:01:00.0", "0000:00:1f.0"}, t, none);
  CHECK(c.kind == "unknown");
  CHECK_FALSE(c.isolated);
}

TEST_CASE("hostile topology: a parent cycle does not hang", "[iommu]")
{
  Topology t;
  t["0000:01:00.0"] = port("0000:01:00.0", "0000:02:00.0", k_pcie_downstream, false);
  t["0000:02:00.0"] = port("0000:02:00.0", "0000:01:00.0", k_pcie_downstream, false);
  t["0000:03:00.0"] = endpoint("0000:03:00.0", "0000:01:00.0");
  const auto c = explain_group({"0000:01:00.0", "0000:03:00.0"}, t, {});
  CHECK(c.kind == "no-acs");
}

TEST_CASE("reserved_regions parse and reject malformed lines", "[iommu]")
{
  const auto r = parse_reserved_regions("0x00000000fee00000 0x00000000feefffff msi\n"
                                        "0x00000000000e8000 0x00000000000e8fff direct-relaxable\n",
                                        "rr");
  REQUIRE(r.size() == 2);
  CHECK(r[0].start == 0xfee00000);
  CHECK(r[0].end == 0xfeefffff);
  CHECK(r[0].type == "msi");
  CHECK(r[1].type == "direct-relaxable");
  CHECK(parse_reserved_regions("", "rr").empty());
  auto err = [](const char* text) {
    try {
      parse_reserved_regions(text, "rr");
    } catch (const memmap::InputError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(err("0xfee00000 0xfeefffff\n") == "rr:1: expected 'START END TYPE', got 2 fields");
  CHECK(err("0xfee00000 0xfeefffff msi\n0xzz 0x1 msi\n") == "rr:2: bad hex address '0xzz'");
  CHECK(err("0x2 0x1 msi\n") == "rr:1: start 0x2 is above end 0x1");
  CHECK(err("0x1 0x2 sw-msi\n")
        == "rr:1: unknown region type 'sw-msi' (direct, direct-relaxable, reserved or msi)");
}

TEST_CASE("IOMMU options on the kernel command line", "[iommu]")
{
  const char* cmdline = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt "
                        "amd_iommu=off iommu.strict=1 pci=noaer,disable_acs_redir=00:1c.4;"
                        "0000:00:1d.0;pci:8086:1234,realloc quiet\n";
  CHECK(iommu_cmdline_tokens(cmdline)
        == std::vector<std::string>{"intel_iommu=on", "iommu=pt", "amd_iommu=off",
                                    "iommu.strict=1"});
  CHECK(disable_acs_redir_devices(cmdline)
        == std::vector<std::string>{"0000:00:1c.4", "0000:00:1d.0"});
}

TEST_CASE("unreadable capabilities give an honest 'unknown'", "[iommu]")
{
  auto t = q35();
  t["0000:03:00.0"].config_known = false;  // a 64-byte (non-root) config read
  const auto c = explain_group({"0000:03:00.0", "0000:04:00.0"}, t, {});
  CHECK(c.kind == "unknown");
  CHECK(c.reason.find("0000:03:00.0") != std::string::npos);
  const auto c2 = explain_group({"0000:04:00.0", "0000:99:00.0"}, t, {});
  CHECK(c2.kind == "unknown");
  CHECK(c2.reason.find("0000:99:00.0") != std::string::npos);
}
