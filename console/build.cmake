# Run by the custom command in console/CMakeLists.txt: npm ci of the pinned
# libraries into WORK, then the console into OUT. Variables: NPM SRC WORK OUT.
file(MAKE_DIRECTORY ${WORK} ${OUT}/vendor)
file(COPY ${SRC}/package.json ${SRC}/package-lock.json DESTINATION ${WORK})
execute_process(COMMAND ${NPM} ci --ignore-scripts --no-audit --no-fund --fetch-retries=1
                        --fetch-timeout=60000
                WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "console: 'npm ci' of console/package-lock.json failed (exit ${rc}); "
          "the console is built from npm packages, so the npm registry must be reachable "
          "(or the packages in npm's cache). There is no fallback.")
endif()
set(NM ${WORK}/node_modules)
# The browser loads the modules by relative URL (no import map, no inline
# script, so the page runs under a strict Content-Security-Policy): the bare
# "preact" that the hooks import is pointed at the copied file.
file(READ ${NM}/preact/hooks/dist/hooks.mjs hooks)
string(REPLACE "from\"preact\"" "from\"./preact.mjs\"" hooks "${hooks}")
string(FIND "${hooks}" "from\"./preact.mjs\"" at)
if(at EQUAL -1)
  message(FATAL_ERROR "console: preact/hooks/dist/hooks.mjs no longer imports \"preact\" "
          "as expected; update console/build.cmake")
endif()
file(WRITE ${OUT}/vendor/hooks.mjs "${hooks}")
file(COPY_FILE ${NM}/preact/dist/preact.mjs ${OUT}/vendor/preact.mjs)
file(COPY_FILE ${NM}/htm/dist/htm.mjs ${OUT}/vendor/htm.mjs)
file(READ ${NM}/preact/LICENSE preact_license)
file(READ ${NM}/htm/LICENSE htm_license)
file(WRITE ${OUT}/vendor/LICENSES.txt
     "preact (MIT)\n\n${preact_license}\n\nhtm (Apache-2.0)\n\n${htm_license}\n")
file(GLOB files ${SRC}/src/*)
file(COPY ${files} DESTINATION ${OUT})
# Fresh times on every output, so the build sees them newer than the sources.
file(GLOB_RECURSE built ${OUT}/*)
file(TOUCH ${built})
