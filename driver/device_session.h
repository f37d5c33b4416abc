// The device side of the protocol (docs/protocol.md): what `systole serve`
// runs for each client connection, and what an emulated USB device runs for
// its host.
//
// DeviceHost owns the one device (a Transport, normally OpenSimTransport's)
// and serialises every use of it. DeviceSession is one client's view of it:
// its own host regions (the device-side copies of the client's buffers), its
// own program slots, its own contents of the on-chip memories. ABUF and PBUF
// are physically shared, so the host saves them for the session leaving the
// device and restores those of the session entering it (zeroes them for a
// session that never ran): one client can never read another's buffers.
//
// Every byte a client sends is untrusted: Handle() checks the frame, then the
// request against the protocol's limits and the session's state, and answers
// anything it cannot serve with an ERROR frame. It never crashes on input.
//
// Fault injection (FAULT, only when DeviceHostOptions::allow_faults) is armed
// on the host and applied by whichever session next handles a matching
// request (docs/protocol.md, FaultKind).
#ifndef SYSTOLE_DRIVER_DEVICE_SESSION_H_
#define SYSTOLE_DRIVER_DEVICE_SESSION_H_

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "driver/protocol.h"
#include "driver/transport.h"

namespace systole::driver {

// One frame a session sends. completion: a completion or error notification
// of RUN (USB carries these on the interrupt endpoint), else a direct reply
// (bulk IN).
struct OutFrame {
  std::vector<uint8_t> bytes;
  bool completion = false;
};

struct DeviceHostOptions {
  bool allow_faults = false;        // FAULT is an ERROR otherwise
  std::string firmware_version = "systole-device";  // IDENTIFY's firmware_version
};

class DeviceSession;

class DeviceHost {
 public:
  DeviceHost(std::unique_ptr<Transport> device, DeviceHostOptions options);
  ~DeviceHost();
  DeviceHost(const DeviceHost&) = delete;
  DeviceHost& operator=(const DeviceHost&) = delete;

  const sim::DeviceConfig& config() const { return device_->config(); }
  const DeviceHostOptions& options() const { return options_; }
  std::string Describe() const { return device_->Describe(); }

  // Set when a session handled a request hit by FAULT DISAPPEAR / EXIT: the
  // server (or USB emulation) then drops every connection (kDisappear) or
  // exits the process (kExit).
  enum class Vanish { kNone = 0, kDisappear = 1, kExit = 2 };
  Vanish vanish() const { return static_cast<Vanish>(vanish_.load()); }

  // Wakes sessions waiting in a DELAY fault and makes further delays
  // immediate (server shutdown). Thread-safe.
  void Shutdown();

  // Runs fn with the device, the session `session_id`'s on-chip contents
  // loaded (saving the previous session's first). Serialised.
  Status WithDevice(uint64_t session_id, const std::function<Status(Transport&)>& fn);

 private:
  friend class DeviceSession;
  struct Saved {
    std::vector<uint8_t> abuf, pbuf;
  };
  Status SwitchToLocked(uint64_t session_id);
  uint64_t NewSessionId();
  void EndSession(uint64_t session_id);
  void ResetSession(uint64_t session_id);

  // Faults (armed by FAULT, taken by the next matching request).
  struct Fault {
    uint32_t kind = 0;  // protocol::FaultKind; 0 = none
    uint32_t arg = 0;
    uint32_t opcode = 0;
  };
  void ArmFault(const Fault& f);
  // Takes the armed fault when it matches `opcode` (and, for DEVICE_ERROR,
  // `opcode` is RUN).
  Fault TakeFault(uint16_t opcode);
  void SetVanish(Vanish v) { vanish_.store(static_cast<int>(v)); }
  // Sleeps up to ms, returning early on Shutdown().
  void Delay(uint32_t ms);

  std::unique_ptr<Transport> device_;
  DeviceHostOptions options_;

  std::mutex mu_;           // the device and on-chip bookkeeping
  uint64_t active_ = 0;     // session whose contents the device holds; 0 = none (zeroed or stale)
  bool device_clean_ = true;  // the device's on-chip memories are zero
  std::map<uint64_t, Saved> saved_;  // contents of sessions not on the device
  uint64_t next_id_ = 1;

  std::mutex fault_mu_;
  std::condition_variable fault_cv_;
  Fault fault_;
  bool shutdown_ = false;
  std::atomic<int> vanish_{0};
};

class DeviceSession {
 public:
  explicit DeviceSession(DeviceHost* host);
  ~DeviceSession();
  DeviceSession(const DeviceSession&) = delete;
  DeviceSession& operator=(const DeviceSession&) = delete;

  // Handles one complete frame (as a link delimited it) and appends the
  // frames to send (zero when a fault drops the reply, or the device
  // vanished). OK: the connection goes on (the reply may be an ERROR).
  // DATA_LOSS: the frame could not be trusted to be delimited (bad magic,
  // length, CRC): `out` holds an ERROR frame saying so, and the caller must
  // close the connection.
  Status Handle(const uint8_t* frame, size_t size, std::vector<OutFrame>* out);
  Status Handle(const std::vector<uint8_t>& frame, std::vector<OutFrame>* out) {
    return Handle(frame.data(), frame.size(), out);
  }

  uint64_t id() const { return id_; }
  // Bytes of host regions and program slots this session holds (limit:
  // MAX_SESSION_BYTES).
  uint64_t bytes_held() const;

 private:
  // calloc'ed, so that pages a client maps but never writes cost nothing.
  struct FreeDeleter {
    void operator()(uint8_t* p) const;
  };
  struct Region {
    std::unique_ptr<uint8_t, FreeDeleter> bytes;
    uint64_t size = 0;
    uint32_t flags = 0;
    bool mapped = false;
  };
  struct Slot {
    std::vector<isa::InsnWord> words;
    uint32_t total = 0;   // words of the program being loaded
    bool complete = false;
  };
  StatusOr<std::vector<uint8_t>> Dispatch(const Frame& f);
  StatusOr<std::vector<uint8_t>> DoIdentify(const Frame& f);
  StatusOr<std::vector<uint8_t>> DoWrite(const Frame& f);
  StatusOr<std::vector<uint8_t>> DoRead(const Frame& f);
  StatusOr<std::vector<uint8_t>> DoMap(const Frame& f);
  StatusOr<std::vector<uint8_t>> DoLoadProgram(const Frame& f);
  StatusOr<std::vector<uint8_t>> DoRun(const Frame& f);
  StatusOr<std::vector<uint8_t>> DoReset(const Frame& f);
  StatusOr<std::vector<uint8_t>> DoFault(const Frame& f);

  DeviceHost* host_;
  uint64_t id_;
  std::array<Region, isa::kNumHostRegions> regions_;
  std::array<Slot, protocol::kNumProgramSlots> slots_;
};

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_DEVICE_SESSION_H_
