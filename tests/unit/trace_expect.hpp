// Helpers for the trace tests: compare a summary with a fixture's expected.json as the
// corpus README says (outstanding and unmatched_unmaps as multisets, dma_addr by value).
#pragma once

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

namespace memmap::trace::testing {

inline std::string
fixture(const std::string& rel)
{
  return std::string(MEMMAP_SOURCE_DIR) + "/fixtures/trace/" + rel;
}

inline nlohmann::json
load_json(const std::string& path)
{
  std::ifstream in(path);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

inline std::string
slurp(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::uint64_t
addr(const nlohmann::json& v)
{
  return std::stoull(v.get<std::string>(), nullptr, 16);
}

using OutKey = std::tuple<std::string, std::string, std::uint64_t, std::uint64_t, std::string>;
using UnKey = std::tuple<std::string, std::uint64_t, std::uint64_t>;

inline std::vector<OutKey>
outstanding_keys(const nlohmann::json& j)
{
  std::vector<OutKey> v;
  for (const auto& o : j.at("outstanding")) {
    v.emplace_back(o.at("device").get<std::string>(), o.at("kind").get<std::string>(),
                   addr(o.at("dma_addr")), o.at("size").get<std::uint64_t>(),
                   o.at("dir").get<std::string>());
  }
  std::sort(v.begin(), v.end());
  return v;
}

inline std::vector<UnKey>
unmatched_keys(const nlohmann::json& j)
{
  std::vector<UnKey> v;
  for (const auto& o : j.at("unmatched_unmaps")) {
    v.emplace_back(o.at("device").get<std::string>(),
                   o.at("dma_addr").is_null() ? 0 : addr(o.at("dma_addr")),
                   o.at("size").get<std::uint64_t>());
  }
  std::sort(v.begin(), v.end());
  return v;
}

// Devices with a non-zero counter, keyed by name, contract fields only.
inline std::map<std::string, nlohmann::json>
device_map(const nlohmann::json& j)
{
  static const char* k_fields[] = {"maps",   "unmaps",  "allocs", "frees",
                                   "outstanding_count", "outstanding_bytes", "bounces",
                                   "faults"};
  std::map<std::string, nlohmann::json> m;
  for (const auto& d : j.at("devices")) {
    nlohmann::json c;
    bool any = false;
    for (const char* f : k_fields) {
      c[f] = d.at(f);
      any = any || d.at(f).get<std::uint64_t>() != 0;
    }
    if (any) {
      m[d.at("device").get<std::string>()] = c;
    }
  }
  return m;
}

inline void
require_matches_expected(const nlohmann::json& got, const nlohmann::json& want)
{
  CHECK(got.at("events") == want.at("events"));
  const auto gd = device_map(got);
  const auto wd = device_map(want);
  CHECK(gd.size() == wd.size());
  for (const auto& [name, w] : wd) {
    INFO("device " << name);
    REQUIRE(gd.count(name) == 1);
    CHECK(gd.at(name).dump() == w.dump());
  }
  CHECK(outstanding_keys(got) == outstanding_keys(want));
  CHECK(unmatched_keys(got) == unmatched_keys(want));
}

} // namespace memmap::trace::testing
