// Internal to driver/ and its tests: a Device over a Transport the caller
// made (tests use it with fake transports behind the real interface).
#ifndef SYSTOLE_DRIVER_DEVICE_INTERNAL_H_
#define SYSTOLE_DRIVER_DEVICE_INTERNAL_H_

#include <memory>
#include <string>

#include "driver/driver.h"
#include "driver/transport.h"

namespace systole::driver {

// `spec` is the device's name in messages and Info(). `expected`, when not
// null, must match the transport's configuration as Device::Open(spec, hw)
// requires.
StatusOr<std::unique_ptr<Device>> OpenDeviceOnTransport(const std::string& spec,
                                                        std::unique_ptr<Transport> transport,
                                                        const sim::DeviceConfig* expected,
                                                        const DeviceOptions& options = {});

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_DEVICE_INTERNAL_H_
