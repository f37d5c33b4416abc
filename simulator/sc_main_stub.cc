// libsystemc references sc_main (extern "C"); binaries with their own main()
// (gtest, Google Benchmark) link this stub. It is never called.
extern "C" int sc_main(int, char**) { return 1; }
