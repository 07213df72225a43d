// Text output never carries another program's terminal control sequences. Names memmap
// prints come from files other people wrote (a captured /proc/iomem, sysfs links, lspci
// dumps, trace text): an ESC or other control byte in them could clear the screen, retitle
// the window, hide lines or forge output. ControlFilter sits between an ostream and its
// buffer and rewrites every control character except newline and tab as visible text
// ("\x1b", "\r" -> "\x0d", C1 controls U+0080-U+009F -> "\u009b"), so the bytes are still
// shown, never obeyed. When colour is on, memmap's own SGR colour sequences (ESC [ n m, for
// the n that render::Style uses) pass; those can only change colours.
#pragma once

#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace memmap::render {

class ControlFilterBuf : public std::streambuf {
public:
  ControlFilterBuf(std::streambuf* target, bool allow_colour);
  ~ControlFilterBuf() override;
  ControlFilterBuf(const ControlFilterBuf&) = delete;
  ControlFilterBuf& operator=(const ControlFilterBuf&) = delete;

  // Write out a held partial sequence (escaped) and flush the target.
  void finish();
  // Bytes memmap itself means as a control sequence (the trace screen's "home, clear").
  void raw(std::string_view bytes);

protected:
  int_type overflow(int_type ch) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

private:
  void put(unsigned char c);
  void emit_escaped(unsigned char c);
  void flush_pending_escaped();
  void write(const char* s, std::size_t n);

  std::streambuf* m_target;
  bool m_colour;
  std::string m_pending;  // an ESC sequence or a UTF-8 lead byte 0xc2 being looked at
};

// Installs a ControlFilterBuf on `os` for its lifetime and restores the old buffer after.
class ControlFilter {
public:
  ControlFilter(std::ostream& os, bool allow_colour);
  ~ControlFilter();
  ControlFilter(const ControlFilter&) = delete;
  ControlFilter& operator=(const ControlFilter&) = delete;

private:
  std::ostream& m_os;
  std::streambuf* m_old;
  ControlFilterBuf m_buf;
};

// Write a control sequence of memmap's own to `os` unfiltered (through a ControlFilterBuf
// when `os` has one).
void write_control(std::ostream& os, std::string_view bytes);

// The same rewriting for one string (no colour allowed): for messages built before printing.
std::string escape_controls(std::string_view text);

} // namespace memmap::render
