#include <catch2/catch.hpp>

#include "cpu/cpu_state.h"
#include "decoder/decoder.h"

TEST_CASE("decoder decodes 32-bit guest code", "[decoder]") {
  rs::Decoder d;
  rs::Insn in;
  const uint8_t abs_load[] = {0x8B, 0x05, 0x78, 0x56, 0x34, 0x12};  // mov eax, [0x12345678]
  REQUIRE(d.decode(abs_load, sizeof abs_load, 0x1000, true, in));
  CHECK(in.mn() == ZYDIS_MNEMONIC_MOV);
  CHECK(in.len() == 6);
  CHECK(in.next() == 0x1006);
  REQUIRE(in.mem_operand());
  CHECK(in.mem_operand()->mem.base == ZYDIS_REGISTER_NONE);
  CHECK(in.mem_operand()->mem.disp.value == 0x12345678);

  const uint8_t inc_eax[] = {0x40};  // a REX prefix in 64-bit mode, INC EAX here
  REQUIRE(d.decode(inc_eax, 1, 0, true, in));
  CHECK(in.mn() == ZYDIS_MNEMONIC_INC);
  CHECK(in.gpr(0) == rs::EAX);

  const uint8_t truncated[] = {0x0F};
  CHECK_FALSE(d.decode(truncated, 1, 0, true, in));
  CHECK(rs::gpr_index(ZYDIS_REGISTER_EDI) == rs::EDI);
  CHECK(rs::gpr_index(ZYDIS_REGISTER_CR0) == -1);
}
