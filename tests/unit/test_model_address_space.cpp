#include <catch2/catch.hpp>

#include <memmap/model/address_space.hpp>
#include <memmap/render/format.hpp>

using namespace memmap::model;
using memmap::render::human_size;

TEST_CASE("parse_bdf accepts kernel device names and canonicalises them", "[model]")
{
  CHECK(parse_bdf("0000:04:00.0") == std::optional<std::string>("0000:04:00.0"));
  CHECK(parse_bdf("0030:01:00.0") == std::optional<std::string>("0030:01:00.0"));
  CHECK(parse_bdf("00:1F.2") == std::optional<std::string>("0000:00:1f.2"));
  CHECK_FALSE(parse_bdf("0000:04:00.8"));
  CHECK_FALSE(parse_bdf("0000:04:20.0"));  // device numbers stop at 0x1f
  CHECK_FALSE(parse_bdf("PCI Bus 0000:04"));
  CHECK_FALSE(parse_bdf("pnp 00:01"));
  CHECK_FALSE(parse_bdf(""));
}

TEST_CASE("classify recognises the kernel's names", "[model]")
{
  Region host;
  host.kind = RegionKind::pci_host_bridge;
  Region ram;
  ram.kind = RegionKind::system_ram;
  const auto cp = SpaceKind::cpu_physical;
  CHECK(classify("System RAM", nullptr, cp) == RegionKind::system_ram);
  CHECK(classify("System RAM (kmem)", nullptr, cp) == RegionKind::system_ram);
  CHECK(classify("Reserved", nullptr, cp) == RegionKind::reserved);
  CHECK(classify("reserved", nullptr, cp) == RegionKind::reserved);
  CHECK(classify("ACPI Tables", nullptr, cp) == RegionKind::acpi_tables);
  CHECK(classify("ACPI Non-volatile Storage", nullptr, cp) == RegionKind::acpi_nvs);
  CHECK(classify("Persistent Memory (legacy)", nullptr, cp) == RegionKind::persistent_memory);
  CHECK(classify("Soft Reserved", nullptr, cp) == RegionKind::soft_reserved);
  CHECK(classify("Kernel bss", &ram, cp) == RegionKind::kernel_image);
  CHECK(classify("Crash kernel", &ram, cp) == RegionKind::crash_kernel);
  CHECK(classify("PCI Bus 0000:00", nullptr, cp) == RegionKind::pci_host_bridge);
  CHECK(classify("PCI Bus 0000:04", &host, cp) == RegionKind::pci_bridge_window);
  CHECK(classify("PCI ECAM 0000 [bus 00-00]", nullptr, cp) == RegionKind::pci_ecam);
  CHECK(classify("PCI MMCONFIG 0000 [bus 00-ff]", nullptr, cp) == RegionKind::pci_ecam);
  CHECK(classify("0000:04:00.0", &host, cp) == RegionKind::pci_device);
  CHECK(classify("IOAPIC 0", nullptr, cp) == RegionKind::ioapic);
  CHECK(classify("Local APIC", nullptr, cp) == RegionKind::local_apic);
  CHECK(classify("HPET 0", nullptr, cp) == RegionKind::hpet);
  CHECK(classify("CXL Window 0", nullptr, cp) == RegionKind::cxl);
  CHECK(classify("pnp 00:01", nullptr, cp) == RegionKind::pnp);
  CHECK(classify("Video ROM", nullptr, cp) == RegionKind::rom);
  CHECK(classify("dax0.0", &ram, cp) == RegionKind::driver);
  CHECK(classify("something", nullptr, cp) == RegionKind::other);
  CHECK(std::string(to_string(RegionKind::pci_bridge_window)) == "pci-bridge-window");
}

TEST_CASE("human sizes use binary units", "[render]")
{
  CHECK(human_size(1) == "1B");
  CHECK(human_size(4096) == "4K");
  CHECK(human_size(16u << 20) == "16M");
  CHECK(human_size(256u << 20) == "256M");
  CHECK(human_size(0x9ec00) == "635K");
  CHECK(human_size(0, true) == "16E");
  CHECK(human_size(0) == "0B");
}

TEST_CASE("human sizes are exact where four digits allow, as lspci's [size=]", "[render]")
{
  // The window e000000000-e201ffffff: 8 GiB + 32 MiB, lspci [size=8224M]; "8G" hid 32 MiB.
  CHECK(human_size(0xe201ffffffULL - 0xe000000000ULL + 1) == "8224M");
  CHECK(human_size(7ULL * (256ULL << 20)) == "1792M");  // 7 VF BARs of 256M
  CHECK(human_size(3758096384ULL) == "3584M");          // 3.5 GiB
  CHECK(human_size(1536) == "1536B");                   // lspci: [size=1536]
  CHECK(human_size(9999ULL << 30) == "9999G");
  CHECK(human_size(10000ULL << 30) == "9.8T");          // five digits: rounded
}

TEST_CASE("a rounded human size always shows its decimal", "[render]")
{
  CHECK(human_size(0xbfde0000ULL) == "3.0G");  // 3,143,552K: not "3G", which reads as exact
  CHECK(human_size(0xfffff) == "1.0M");        // rounding carried into the next unit
  CHECK(human_size(123456789) == "117.7M");
  CHECK(human_size(~std::uint64_t{0}) == "16.0E");
}
