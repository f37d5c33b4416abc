// The version of the Systole executable format (schema/executable.fbs), the
// one constant the compiler (writer) and the driver (reader) must agree on.
// It lives here, beside the schema, so that neither depends on the other.
//
// Bump it whenever a reader could misread a writer's bytes: a field changes
// meaning, units or layout, a region or chunk kind is renumbered, or a new
// field becomes required for a correct run. Adding an optional field that old
// readers may ignore does not need a bump. The driver refuses any other
// version (docs/executable.md, "Versioning").
#ifndef SYSTOLE_SCHEMA_EXECUTABLE_VERSION_H_
#define SYSTOLE_SCHEMA_EXECUTABLE_VERSION_H_

#include <cstdint>

namespace systole::exe {

// History (docs/executable.md, "Versioning"):
//   1  first format
//   2  `digest` (SHA-256 over everything that affects execution) added and
//      required
inline constexpr uint32_t kExecutableFormatVersion = 2;

// Executable.instruction_ops: an instruction no op emitted.
inline constexpr uint16_t kNoOp = 0xFFFF;

}  // namespace systole::exe

#endif  // SYSTOLE_SCHEMA_EXECUTABLE_VERSION_H_
