// Sizes as lspci prints them ("[size=16M]") and as `map START+SIZE` takes them.
#include <catch2/catch.hpp>
#include <memmap/util/size.hpp>

using memmap::util::parse_binary_size;
using memmap::util::size_suffix_shift;

TEST_CASE("size_suffix_shift: K M G T in either case", "[util][size]")
{
  CHECK(size_suffix_shift('K') == 10);
  CHECK(size_suffix_shift('m') == 20);
  CHECK(size_suffix_shift('G') == 30);
  CHECK(size_suffix_shift('t') == 40);
  CHECK(size_suffix_shift('P') == -1);
  CHECK(size_suffix_shift('B') == -1);
  CHECK(size_suffix_shift('0') == -1);
}

TEST_CASE("parse_binary_size: decimal, optional suffix, non-zero, 64 bits", "[util][size]")
{
  CHECK(parse_binary_size("256") == 256u);
  CHECK(parse_binary_size("4K") == 4096u);
  CHECK(parse_binary_size("16M") == 16u << 20);
  CHECK(parse_binary_size("32G") == std::uint64_t{32} << 30);
  CHECK(parse_binary_size("2T") == std::uint64_t{2} << 40);
  CHECK(parse_binary_size("16777215T") == std::uint64_t{16777215} << 40);  // 2^64 - 2^40
  CHECK(parse_binary_size("18446744073709551615") == ~std::uint64_t{0});
  CHECK_FALSE(parse_binary_size("16777216T"));             // 2^64: does not fit
  CHECK_FALSE(parse_binary_size("18446744073709551616"));  // one past 64 bits
  CHECK_FALSE(parse_binary_size("99999999999999999999999K"));
  CHECK_FALSE(parse_binary_size("0"));
  CHECK_FALSE(parse_binary_size("0M"));
  CHECK_FALSE(parse_binary_size(""));
  CHECK_FALSE(parse_binary_size("K"));
  CHECK_FALSE(parse_binary_size("1.5G"));
  CHECK_FALSE(parse_binary_size("-4K"));
  CHECK_FALSE(parse_binary_size("4KB"));
  CHECK_FALSE(parse_binary_size("0x10"));
  static_assert(*parse_binary_size("64K") == 65536);
}
