// The PCIe parameter of the parameterised transport suite and benchmark
// (transport_test_util.h): a `systole serve --pcie` subprocess and the PCIe
// driver attached to it over its Unix socket (device string pci:unix:PATH).
// Faults are not the protocol's FAULT here (the emulated function takes them
// through its FAULT_INJECT register; pcie_test), so the suite's fault cases
// skip this parameter.
#include <sys/wait.h>

#include "driver/transport_test_util.h"

namespace systole::driver::testing {
namespace {

class PcieEnv : public TransportEnv {
 public:
  explicit PcieEnv(std::unique_ptr<ServerProcess> server) : server_(std::move(server)) {}
  Status Close() override {
    if (killed_) return Status::Ok();
    const int st = server_->Stop(5000);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
      return Internal("systole serve --pcie at %s did not shut down cleanly (wait status %d)",
                      server_->address().c_str(), st);
    return Status::Ok();
  }
  std::string device() const override { return "pci:" + server_->address(); }
  StatusOr<std::unique_ptr<Transport>> OpenTransport(const TransportOptions& o) override {
    return OpenPcieTransport(server_->address(), o);
  }
  Status KillDevice() override {
    killed_ = true;
    server_->Kill();
    return Status::Ok();
  }

 private:
  std::unique_ptr<ServerProcess> server_;
  bool killed_ = false;
};

const RegisterTransport kPcieShm({"pcie_shm", [](const std::string& config) -> StatusOr<std::unique_ptr<TransportEnv>> {
                                    ASSIGN_OR_RETURN(std::unique_ptr<ServerProcess> s,
                                                     ServerProcess::Start({"--listen", "unix:" + NewSocketPath(),
                                                                           "--config", config, "--pcie",
                                                                           "--allow-faults"}));
                                    return std::unique_ptr<TransportEnv>(new PcieEnv(std::move(s)));
                                  }});

}  // namespace
}  // namespace systole::driver::testing
