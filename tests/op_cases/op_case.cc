#include "tests/op_cases/op_case.h"

namespace systole {
namespace testing {

OpCaseList AllOpCases() {
  OpCaseList cases;
#define SYSTOLE_ADD_FAMILY(name) Add##name##Cases(&cases);
  SYSTOLE_OP_CASE_FAMILIES(SYSTOLE_ADD_FAMILY)
#undef SYSTOLE_ADD_FAMILY
  return cases;
}

}  // namespace testing
}  // namespace systole
