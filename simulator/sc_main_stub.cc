// libsystemc references sc_main (extern "C"); our programs have their own
// main() (the CLI, gtest, Google Benchmark). This is the project's one
// definition of the stub: target systole_sc_main_stub, which every executable
// linking systole_sim gets automatically, and which the TFLite plugin
// libsystole_delegate.so links and exports (simulator/CMakeLists.txt,
// delegate/CMakeLists.txt).
// It is never called.
extern "C" int sc_main(int, char**) { return 1; }
