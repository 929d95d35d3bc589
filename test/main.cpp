#define CATCH_CONFIG_MAIN
// ringshift installs its own SIGSEGV/SIGFPE handlers while a guest runs.
#define CATCH_CONFIG_NO_POSIX_SIGNALS
#include <catch2/catch.hpp>
