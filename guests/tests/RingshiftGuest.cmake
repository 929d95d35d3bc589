# RingshiftGuest.cmake -- build bare-metal guest programs written in nasm.
#
#   include(<repo>/guests/tests/RingshiftGuest.cmake)
#   ringshift_guest(<name> SOURCE <file.asm>
#                   [TEST_NAME <test>]      # ctest name guest.<test> (default <name>)
#                   [WILL_FAIL]             # the test is expected to fail
#                   [NO_TEST]               # build only, register no test
#                   [NASM_FLAGS <flag>...]  # extra nasm flags for both builds
#                   [DEPENDS <file>...])    # extra files the source includes
#
# Each source is assembled twice with nasm and linked with GNU ld:
#   ${CMAKE_CURRENT_BINARY_DIR}/<name>.elf     multiboot v1 kernel, loads at 1 MiB
#   ${CMAKE_CURRENT_BINARY_DIR}/<name>.native  Linux i386 program (-DNATIVE), the oracle
# and (unless NO_TEST) registered as the ctest test guest.<test>:
#   run_guest_test.sh $<TARGET_FILE:ringshift> <name>.elf <name>.native
# The VMM executable defaults to the target `ringshift`; set the variable
# RINGSHIFT_GUEST_VMM (before calling) to use another program.
#
# Targets: guest_<name> per guest, and `ringshift_guests` building all of them.
# Needs CMake >= 3.17.

include_guard(GLOBAL)

find_program(NASM_EXECUTABLE nasm)
if(NOT NASM_EXECUTABLE)
  message(FATAL_ERROR
    "nasm not found: the ringshift guest tests are written in nasm. "
    "Install the Debian package 'nasm' (apt-get install nasm) or set NASM_EXECUTABLE.")
endif()

find_program(RINGSHIFT_GUEST_LD NAMES ld.bfd ld)
if(NOT RINGSHIFT_GUEST_LD)
  message(FATAL_ERROR
    "GNU ld not found (needed to link the guest tests): install the Debian "
    "package 'binutils' or set RINGSHIFT_GUEST_LD.")
endif()
execute_process(COMMAND ${RINGSHIFT_GUEST_LD} -V
                OUTPUT_VARIABLE _rs_ld_v ERROR_QUIET)
if(NOT _rs_ld_v MATCHES "elf_i386")
  message(FATAL_ERROR
    "${RINGSHIFT_GUEST_LD} cannot link 32-bit x86 (no elf_i386 emulation): "
    "the guest tests need GNU ld from the Debian package 'binutils' "
    "(or 'binutils-i686-linux-gnu'); set RINGSHIFT_GUEST_LD.")
endif()
execute_process(COMMAND ${RINGSHIFT_GUEST_LD} --help
                OUTPUT_VARIABLE _rs_ld_help ERROR_QUIET)
set(RINGSHIFT_GUEST_LD_FLAGS "" CACHE INTERNAL "")
if(_rs_ld_help MATCHES "no-warn-rwx-segments")
  set(RINGSHIFT_GUEST_LD_FLAGS "--no-warn-rwx-segments" CACHE INTERNAL "")
endif()

# ringshift_multiboot_elf(<elf> SOURCE <file.asm> [NASM_FLAGS ...] [DEPENDS ...])
# Assembles one source with nasm (include path: lib/ and the source's directory) and
# links it with lib/multiboot.ld into <elf>, a multiboot v1 kernel loaded at 1 MiB.
# Used by ringshift_guest, the system tests and the benchmark guests.
function(ringshift_multiboot_elf elf)
  cmake_parse_arguments(M "" "SOURCE" "NASM_FLAGS;DEPENDS" ${ARGN})
  get_filename_component(src "${M_SOURCE}" ABSOLUTE)
  get_filename_component(srcdir "${src}" DIRECTORY)
  get_filename_component(name "${elf}" NAME_WE)
  set(libdir "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/lib")
  set(obj "${elf}.o")
  add_custom_command(
    OUTPUT "${obj}"
    COMMAND "${NASM_EXECUTABLE}" -f elf32 "-I${libdir}/" "-I${srcdir}/"
            ${M_NASM_FLAGS} -o "${obj}" "${src}"
    DEPENDS "${src}" "${libdir}/harness.inc" ${M_DEPENDS}
    COMMENT "nasm ${name} (multiboot guest)"
    VERBATIM)
  add_custom_command(
    OUTPUT "${elf}"
    COMMAND "${RINGSHIFT_GUEST_LD}" -m elf_i386 -T "${libdir}/multiboot.ld"
            -z max-page-size=0x1000 --build-id=none ${RINGSHIFT_GUEST_LD_FLAGS}
            -o "${elf}" "${obj}"
    DEPENDS "${obj}" "${libdir}/multiboot.ld"
    COMMENT "ld ${name}.elf"
    VERBATIM)
endfunction()

# ringshift_guest_target(<target> <file>...): builds the files by default and as part of
# the `ringshift_guests` target.
function(ringshift_guest_target target)
  add_custom_target(${target} ALL DEPENDS ${ARGN})
  if(NOT TARGET ringshift_guests)
    add_custom_target(ringshift_guests)
  endif()
  add_dependencies(ringshift_guests ${target})
endfunction()

function(ringshift_guest name)
  cmake_parse_arguments(G "WILL_FAIL;NO_TEST" "SOURCE;TEST_NAME"
                        "NASM_FLAGS;DEPENDS" ${ARGN})
  if(NOT G_SOURCE)
    message(FATAL_ERROR "ringshift_guest(${name}): SOURCE is required")
  endif()
  get_filename_component(src "${G_SOURCE}" ABSOLUTE)
  get_filename_component(srcdir "${src}" DIRECTORY)
  set(here "${CMAKE_CURRENT_FUNCTION_LIST_DIR}")
  set(libdir "${here}/lib")
  set(bin "${CMAKE_CURRENT_BINARY_DIR}")
  set(obj_native "${bin}/${name}.native.o")
  set(elf "${bin}/${name}.elf")
  set(native "${bin}/${name}.native")

  ringshift_multiboot_elf("${elf}" SOURCE "${src}" NASM_FLAGS ${G_NASM_FLAGS} DEPENDS ${G_DEPENDS})
  add_custom_command(
    OUTPUT "${obj_native}"
    COMMAND "${NASM_EXECUTABLE}" -f elf32 -DNATIVE "-I${libdir}/" "-I${srcdir}/"
            ${G_NASM_FLAGS} -o "${obj_native}" "${src}"
    DEPENDS "${src}" "${libdir}/harness.inc" ${G_DEPENDS}
    COMMENT "nasm ${name} (native)"
    VERBATIM)
  add_custom_command(
    OUTPUT "${native}"
    COMMAND "${RINGSHIFT_GUEST_LD}" -m elf_i386 -N ${RINGSHIFT_GUEST_LD_FLAGS}
            -o "${native}" "${obj_native}"
    DEPENDS "${obj_native}"
    COMMENT "ld ${name}.native"
    VERBATIM)

  ringshift_guest_target(guest_${name} "${elf}" "${native}")

  if(G_NO_TEST)
    return()
  endif()
  if(G_TEST_NAME)
    set(test "guest.${G_TEST_NAME}")
  else()
    set(test "guest.${name}")
  endif()
  if(DEFINED RINGSHIFT_GUEST_VMM)
    set(vmm "${RINGSHIFT_GUEST_VMM}")
  else()
    set(vmm "$<TARGET_FILE:ringshift>")
  endif()
  add_test(NAME "${test}"
           COMMAND "${here}/run_guest_test.sh" "${vmm}" "${elf}" "${native}")
  set_tests_properties("${test}" PROPERTIES TIMEOUT 200 LABELS guest)
  if(G_WILL_FAIL)
    set_tests_properties("${test}" PROPERTIES WILL_FAIL TRUE)
  endif()
endfunction()
