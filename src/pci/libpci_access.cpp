#include "libpci_access.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <tuple>
#include <vector>

#include <algorithm>
#include <fmt/format.h>

namespace memmap::pci::detail {

namespace {

// libpci reports fatal errors through a callback that must not return. memmap jumps back
// to the guarded call below and turns the message into an exception there. Only libpci's
// own C frames lie between the setjmp and the callback.
thread_local std::jmp_buf* t_jump = nullptr;
thread_local char t_error[512];

extern "C" __attribute__((noreturn, format(printf, 1, 2))) void
libpci_error(char* msg, ...)
{
  va_list ap;
  va_start(ap, msg);
  std::vsnprintf(t_error, sizeof t_error, msg, ap);
  va_end(ap);
  if (t_jump) {
    std::longjmp(*t_jump, 1);
  }
  std::fprintf(stderr, "memmap: libpci: %s\n", t_error);
  std::abort();
}

extern "C" void
libpci_quiet(char*, ...)
{
}

} // namespace

void
AccessDeleter::operator()(pci_access* a) const
{
  if (a) {
    pci_cleanup(a);
  }
}

const char*
libpci_error_text()
{
  return t_error;
}

// pci_init + pci_scan_bus under the error guard. Returns false with t_error set if libpci
// gave up. No C++ object with a destructor lives in this frame.
bool
scan_guarded(pci_access* a)
{
  std::jmp_buf jb;
  t_jump = &jb;
  if (setjmp(jb) != 0) {
    t_jump = nullptr;
    return false;
  }
  pci_init(a);
  pci_scan_bus(a);
  t_jump = nullptr;
  return true;
}

// pci_fill_info for one function under the error guard: a function hot-removed between the
// directory listing and this read makes libpci give up on that function only ("Cannot open
// .../vendor"). Returns false with t_error set. No C++ object with a destructor lives here.
bool
fill_guarded(pci_dev* d, unsigned fill)
{
  std::jmp_buf jb;
  t_jump = &jb;
  if (setjmp(jb) != 0) {
    t_jump = nullptr;
    return false;
  }
  pci_fill_info(d, static_cast<int>(fill));
  t_jump = nullptr;
  return true;
}

AccessPtr
make_access(unsigned method)
{
  AccessPtr a(pci_alloc());
  a->method = method;
  a->error = libpci_error;
  a->warning = libpci_quiet;
  a->debug = libpci_quiet;
  return a;
}

ConfigSpace
read_config(pci_dev* d)
{
  std::vector<std::uint8_t> bytes(4096, 0);
  std::size_t got = 0;
  for (int len : {4096, 256, 128, 64}) {
    if (pci_read_block(d, 0, bytes.data(), len)) {
      got = static_cast<std::size_t>(len);
      break;
    }
  }
  // An odd-sized dump: continue dword by dword up to where it ends.
  while (got < bytes.size() && pci_read_block(d, static_cast<int>(got), bytes.data() + got, 4)) {
    got += 4;
  }
  bytes.resize(got);
  return ConfigSpace::from_bytes(std::move(bytes));
}

std::string
canonical_bdf(const pci_dev* d)
{
  return fmt::format("{:04x}:{:02x}:{:02x}.{}", static_cast<unsigned>(d->domain), d->bus, d->dev,
                     d->func);
}

void
sort_devices(PciModel& m)
{
  std::sort(m.devices.begin(), m.devices.end(), [](const Device& a, const Device& b) {
    return std::tie(a.domain, a.bus, a.dev, a.func) < std::tie(b.domain, b.bus, b.dev, b.func);
  });
}

void
name_device(Device& dev, const source::PciNames& names)
{
  if (dev.vendor_id && dev.device_id) {
    dev.name = names.device(*dev.vendor_id, *dev.device_id);
  }
  if (dev.class_code) {
    dev.class_name = names.class_name(*dev.class_code);
  }
}

} // namespace memmap::pci::detail
