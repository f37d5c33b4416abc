# Compiler text test (ctest script): runs one or two systole commands and
# compares their combined, path-normalised output (stdout, stderr, exit code)
# with an expected file, as FileCheck-style tests do.
#
#   cmake -DCMD1="systole@@compile@@..." [-DCMD2="systole@@disasm@@..."]
#         -DEXPECTED=tests/compiler/expected/NAME.txt
#         -DSUBST="/abs/dir=<name>@@..." -P run_text_test.cmake
# (list elements are joined with "@@" to survive the command line)
#
# With SYSTOLE_UPDATE_EXPECTED=1 in the environment the expected file is
# (re)written instead; review the diff by eye before committing it.
string(REPLACE "@@" ";" CMD1 "${CMD1}")
string(REPLACE "@@" ";" CMD2 "${CMD2}")
string(REPLACE "@@" ";" SUBST "${SUBST}")
set(output "")
foreach(var CMD1 CMD2)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    continue()
  endif()
  execute_process(COMMAND ${${var}} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  list(GET ${var} 0 prog)
  get_filename_component(prog "${prog}" NAME)
  set(shown "${${var}}")
  list(REMOVE_AT shown 0)
  list(JOIN shown " " shown)
  string(APPEND output "$ ${prog} ${shown}\n${out}")
  if(NOT err STREQUAL "")
    string(APPEND output "[stderr]\n${err}")
  endif()
  string(APPEND output "[exit code ${rc}]\n")
endforeach()
foreach(pair IN LISTS SUBST)
  string(FIND "${pair}" "=" eq)
  string(SUBSTRING "${pair}" 0 ${eq} from)
  math(EXPR eq "${eq} + 1")
  string(SUBSTRING "${pair}" ${eq} -1 to)
  string(REPLACE "${from}" "${to}" output "${output}")
endforeach()
# Wall-clock figures are not reproducible.
string(REGEX REPLACE "time: [^\n]*" "time: <elided>" output "${output}")

if("$ENV{SYSTOLE_UPDATE_EXPECTED}" STREQUAL "1")
  file(WRITE "${EXPECTED}" "${output}")
  message(STATUS "updated ${EXPECTED}")
  return()
endif()
if(NOT EXISTS "${EXPECTED}")
  message(FATAL_ERROR "no expected file ${EXPECTED}; create it with SYSTOLE_UPDATE_EXPECTED=1\n--- actual:\n${output}")
endif()
file(READ "${EXPECTED}" expected)
if(NOT expected STREQUAL output)
  get_filename_component(name "${EXPECTED}" NAME_WE)
  set(actual_file "${CMAKE_CURRENT_BINARY_DIR}/${name}.actual.txt")
  file(WRITE "${actual_file}" "${output}")
  execute_process(COMMAND diff -u "${EXPECTED}" "${actual_file}" OUTPUT_VARIABLE d)
  message(FATAL_ERROR "output differs from ${EXPECTED} (actual: ${actual_file}; "
                      "SYSTOLE_UPDATE_EXPECTED=1 ctest -R ... regenerates):\n${d}")
endif()
