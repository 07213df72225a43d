// What the passthrough_*.cpp files share: the pre-flight Builder (one check a method; the
// methods are defined by concern in passthrough.cpp, passthrough_checks_host.cpp,
// passthrough_checks_group.cpp and passthrough_bind.cpp) and two helpers. Not public.
#pragma once

#include <memmap/machine/passthrough.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memmap::pci {
struct Device;
}

namespace memmap::machine::detail {

// "1 member", "3 members".
std::string plural(std::size_t n, std::string_view one, std::string_view many);

// Runs every pre-flight check of one group into the report, then decides the verdict.
class Builder {
public:
  Builder(PreflightReport& r, const PassthroughInputs& in, const iommu::Group& g)
    : m_r(r), m_in(in), m_g(g)
  {
  }

  void run();

private:
  PreflightCheck& add(std::string id, std::string source, bool can_block);
  void block(const std::string& check, const std::string& bdf, std::string what,
             std::string why, std::string fix = "");
  void warn(const std::string& check, std::optional<std::string> bdf, std::string msg);
  std::vector<std::string> endpoints() const;
  const Member* member(const std::string& bdf) const;

  // passthrough_checks_group.cpp: the group itself and what the kernel says of it.
  void check_members();
  void check_identity();
  void check_reserved();
  void check_type();
  void check_claims();
  // passthrough_checks_host.cpp: what the host would lose.
  void check_host_devices();
  void check_boot_vga();
  void check_root_fs();
  void check_keyboard();
  void check_reset();
  // passthrough_bind.cpp: how to bind the group.
  void bind_suggestion();
  void check_vfio_ids();
  void check_cmdline();

  void decide();

  PreflightReport& m_r;
  const PassthroughInputs& m_in;
  const iommu::Group& m_g;
};

} // namespace memmap::machine::detail
