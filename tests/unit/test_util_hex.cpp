// The one hex parser every text source uses (iomem ranges, sysfs hex files, map ranges, trace
// byte arrays).
#include <catch2/catch.hpp>
#include <memmap/util/hex.hpp>

using memmap::util::hex_digit;
using memmap::util::hex_significant;
using memmap::util::parse_hex_u64;

TEST_CASE("hex_digit: both cases, and -1 for anything else", "[util][hex]")
{
  CHECK(hex_digit('0') == 0);
  CHECK(hex_digit('9') == 9);
  CHECK(hex_digit('a') == 10);
  CHECK(hex_digit('F') == 15);
  CHECK(hex_digit('g') == -1);
  CHECK(hex_digit('x') == -1);
  CHECK(hex_digit(' ') == -1);
  CHECK(hex_digit('\0') == -1);
  CHECK(hex_digit(static_cast<char>(0xe0)) == -1);
  static_assert(hex_digit('c') == 12);
}

TEST_CASE("hex_significant drops the prefix and padding zeros", "[util][hex]")
{
  CHECK(hex_significant("0x00fe") == "fe");
  CHECK(hex_significant("0000000000000000000000001") == "1");
  CHECK(hex_significant("000") == "0");
  CHECK(hex_significant("0x") == "x");  // a bare prefix is no prefix: "x" is then a bad digit
  CHECK(hex_significant("") == "");
}

TEST_CASE("parse_hex_u64: whole strings, 64 bits, nothing else", "[util][hex]")
{
  CHECK(parse_hex_u64("0x0000000000000000") == 0u);
  CHECK(parse_hex_u64("ffffffffffffffff") == 0xffffffffffffffffULL);
  CHECK(parse_hex_u64("0X00000000fee00000") == 0xfee00000u);
  // /proc/iomem on a 64-bit kernel pads to 8 or 16 digits; longer padding is still a value.
  CHECK(parse_hex_u64("00000000000000000000fee00000") == 0xfee00000u);
  CHECK_FALSE(parse_hex_u64("1ffffffffffffffff"));  // 17 significant digits
  CHECK_FALSE(parse_hex_u64(""));
  CHECK_FALSE(parse_hex_u64("0x"));
  CHECK_FALSE(parse_hex_u64("fee0 0000"));
  CHECK_FALSE(parse_hex_u64("-1"));
  CHECK_FALSE(parse_hex_u64("12g"));
  static_assert(*parse_hex_u64("0x10") == 16);
}
