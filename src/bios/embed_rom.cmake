# cmake -DIN=rom.bin -DOUT=rom_image.cpp -P embed_rom.cmake
# Turns the assembled BIOS ROM (src/bios/rom.asm) into the C++ array rs::bios::kBiosRom.
file(SIZE "${IN}" size)
if(NOT size EQUAL 65536)
  message(FATAL_ERROR "${IN}: the BIOS ROM must be 65536 bytes, it is ${size}")
endif()
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REPEAT "0x..," 32 row)
string(REGEX REPLACE "(${row})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}.tmp"
  "// Generated from src/bios/rom.asm by src/bios/embed_rom.cmake: do not edit.\n"
  "#include \"bios/rom.h\"\n\nnamespace rs::bios {\n\nconst uint8_t kBiosRom[kRomSize] = {\n"
  "${bytes}\n};\n\n}  // namespace rs::bios\n")
file(RENAME "${OUT}.tmp" "${OUT}")
