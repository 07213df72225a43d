// Terminal control characters from files are shown escaped, never passed to the terminal.
#include <catch2/catch.hpp>
#include <memmap/render/control_filter.hpp>
#include <memmap/render/format.hpp>

#include <sstream>
#include <string>

using memmap::render::ControlFilterBuf;
using memmap::render::escape_controls;

namespace {

// Everything written through a filter on a stringstream, `chunk` bytes per write.
std::string
filtered(const std::string& in, bool colour, std::size_t chunk)
{
  std::ostringstream sink;
  {
    ControlFilterBuf f(sink.rdbuf(), colour);
    for (std::size_t i = 0; i < in.size(); i += chunk) {
      const std::string part = in.substr(i, chunk);
      f.sputn(part.data(), static_cast<std::streamsize>(part.size()));
    }
  }
  return sink.str();
}

} // namespace

TEST_CASE("control filter: C0, DEL and C1 controls are shown as text", "[render][hostile]")
{
  // An OSC window-title sequence, a clear screen, a carriage return that would overwrite the
  // line, a backspace, DEL and the one-byte CSI (U+009B).
  const std::string hostile = "PCI Bus\x1b]0;pwned\x07 \x1b[2J\rfake\bX\x7f\xc2\x9b" "31m";
  const std::string want = "PCI Bus\\x1b]0;pwned\\x07 \\x1b[2J\\x0dfake\\x08X\\x7f\\u009b31m";
  CHECK(escape_controls(hostile) == want);
  for (std::size_t chunk : {1, 2, 3, 7, 100}) {
    CHECK(filtered(hostile, false, chunk) == want);
    CHECK(filtered(hostile, true, chunk) == want);  // not our colours: escaped with colour on too
  }
}

TEST_CASE("control filter: text, newlines, tabs and UTF-8 pass unchanged", "[render]")
{
  const std::string plain = "00000000-00000fff : Reserved\n\tcafé \xc2\xa0 Ω 0000:00:1f.3\n";
  CHECK(escape_controls(plain) == plain);
  CHECK(filtered(plain, true, 1) == plain);
  // A lone 0xc2 at the end is written as it came.
  CHECK(filtered("a\xc2", false, 1) == "a\xc2");
}

TEST_CASE("control filter: memmap's own colours pass only when colour is on", "[render]")
{
  const memmap::render::Style on(true);
  const std::string painted = on.paint("BAR0", memmap::render::Color::yellow) + " "
                              + on.paint("x", memmap::render::Color::bold) + "\n";
  for (std::size_t chunk : {1, 2, 5, 100}) {
    CHECK(filtered(painted, true, chunk) == painted);
  }
  CHECK(filtered(painted, false, 4) == "\\x1b[33mBAR0\\x1b[0m \\x1b[1mx\\x1b[0m\n");
  // A 256-colour or a cursor sequence is not ours.
  CHECK(filtered("\x1b[38;5;1mX\x1b[H", true, 1) == "\\x1b[38;5;1mX\\x1b[H");
  // An ESC held at the end of the output is still written (escaped).
  CHECK(filtered("end\x1b", true, 1) == "end\\x1b");
}

TEST_CASE("control filter: write_control passes memmap's own sequence", "[render]")
{
  std::ostringstream sink;
  std::ostream os(nullptr);
  ControlFilterBuf f(sink.rdbuf(), false);
  os.rdbuf(&f);
  os << "a\x1b[2J";
  memmap::render::write_control(os, "\x1b[H\x1b[2J");
  os << "b";
  os.flush();
  f.finish();
  CHECK(sink.str() == "a\\x1b[2J\x1b[H\x1b[2Jb");
}
