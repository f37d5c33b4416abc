# Runs the executable_manifest tool and compares its output with the committed
# manifest (tests/manifest/executables.txt). With SYSTOLE_UPDATE_EXPECTED=1
# the manifest is rewritten instead (review the diff before committing).
execute_process(COMMAND ${TOOL} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "executable_manifest failed (${rc}): ${err}\n${out}")
endif()
if("$ENV{SYSTOLE_UPDATE_EXPECTED}" STREQUAL "1")
  file(WRITE "${EXPECTED}" "${out}")
  message(STATUS "wrote ${EXPECTED}")
  return()
endif()
file(READ "${EXPECTED}" want)
if(NOT out STREQUAL want)
  file(WRITE "${EXPECTED}.actual" "${out}")
  message(FATAL_ERROR "executables differ from ${EXPECTED}: compare with ${EXPECTED}.actual "
                      "(diff -u). An intended change: scripts/executable_manifest.sh")
endif()
