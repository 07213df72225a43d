// System RAM in a CPU address map: the one walk every user of "where is RAM" shares.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <memmap/model/address_space.hpp>

namespace memmap::model {

// Every System RAM region at any depth, by start address (ties: tree order).
std::vector<const Region*> ram_regions(const AddressSpace& space);

// The highest System RAM byte (the largest end of any System RAM region); nullopt when the
// space has none.
std::optional<std::uint64_t> highest_ram(const AddressSpace& space);

} // namespace memmap::model
