#include <memmap/cli.hpp>

int
main(int argc, char** argv)
{
  return memmap::cli::run(argc, argv);
}
