# Cross-building for aarch64 Linux (glibc) on a Debian x86-64 machine: Debian's
# g++-aarch64-linux-gnu and the arm64 multiarch -dev packages (/usr/lib/aarch64-linux-gnu), which
# scripts/build-static.sh aarch64 installs. Executables run under qemu-user (Debian's
# qemu-user-static), so ctest and Catch's test discovery can run the cross-built tests.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
find_program(_bl_qemu NAMES qemu-aarch64-static qemu-aarch64)
if(_bl_qemu)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${_bl_qemu})
endif()
# pkg-config must read the arm64 .pc files only.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
