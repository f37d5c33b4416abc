// libFuzzer target (clang builds only; see driver/CMakeLists.txt): arbitrary
// bytes as a frame into DecodeFrame and into one long-lived DeviceSession
// (faults allowed, so FAULT paths run too; DELAY is capped by the host's
// shutdown flag, set at start). Every input must be answered by at most one
// well-formed frame, and nothing may crash.
//   build/driver/protocol_fuzz -max_total_time=60 CORPUS_DIR
// (a clang build: see "Fuzzing" in README.md).
#include <cstdlib>
#include <vector>

#include "driver/device_session.h"
#include "driver/protocol.h"

namespace {

systole::driver::DeviceSession* Session() {
  static systole::driver::DeviceHost* host = [] {
    auto t = systole::driver::OpenSimTransport(systole::sim::DeviceConfig::Small(8), false);
    if (!t.ok()) std::abort();
    systole::driver::DeviceHostOptions o;
    o.allow_faults = true;
    auto* h = new systole::driver::DeviceHost(std::move(t).value(), o);
    h->Shutdown();  // DELAY faults return at once
    return h;
  }();
  static auto* session = new systole::driver::DeviceSession(host);
  return session;
}

// Raw bytes almost never carry a valid CRC, so they stop at DecodeFrame. An
// input whose first byte is odd is instead read as (opcode selector, sequence
// byte, payload...) and wrapped in a well-formed frame, so the mutated payload
// reaches the message decoders and the handlers behind them.
std::vector<uint8_t> Framed(const uint8_t* data, size_t size) {
  const uint16_t opcode = static_cast<uint16_t>(1 + data[1] % 9);  // IDENTIFY .. PCIE_ATTACH
  return systole::driver::EncodeFrame(opcode, data[2], data + 3, size - 3);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> framed;
  if (size >= 3 && (data[0] & 1)) {
    framed = Framed(data, size);
    data = framed.data();
    size = framed.size();
  }
  (void)systole::driver::DecodeFrame(data, size);
  if (size >= systole::protocol::kHeaderBytes) (void)systole::driver::FrameLengthFromHeader(data, size);
  std::vector<systole::driver::OutFrame> out;
  systole::Status s = Session()->Handle(data, size, &out);
  if (out.size() > 1) std::abort();
  for (const auto& o : out) {
    // A truncated or corrupted reply is a FAULT's doing; anything else must decode.
    (void)systole::driver::DecodeFrame(o.bytes);
  }
  (void)s;
  return 0;
}
