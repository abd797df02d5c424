# Runs the built CLI's hidden generators (cli/completion.cpp) and writes what each prints:
#   cmake -DCLI=<bedrock-lite> [-DEMULATOR=<runner;args>] -DOUT_DIR=<dir> -P BedrockLiteCliDocs.cmake
# Called from cli/CMakeLists.txt at build time, so the bash and zsh completions and the man page
# come from the same option tables as --help. A script rather than shell redirection: the build
# tool's shell is not always sh, and a cross build runs the CLI under its emulator.
foreach(_job "bedrock-lite.bash;completion;bash" "_bedrock-lite;completion;zsh"
             "bedrock-lite.1;man")
  list(POP_FRONT _job _file)
  execute_process(COMMAND ${EMULATOR} ${CLI} ${_job} OUTPUT_FILE ${OUT_DIR}/${_file}
                  RESULT_VARIABLE _status)
  if(NOT _status EQUAL 0)
    message(FATAL_ERROR "bedrock-lite ${_job} failed (${_status})")
  endif()
endforeach()
