// The C++ side of the device-memory path (src/translator/emit_mmio.cpp): before the
// instruction, translate and check its access as the CPU would (#PF first, nothing
// changed) and read the device into the bounce buffer; after it, write the buffer
// back. The address may have become RAM since (the guest remapped the page): then the
// buffer is filled from and written back to RAM, which is just as correct.
#include <cstring>

#include "cpu/emulate.h"
#include "machine.h"
#include "translator/emitter.h"

namespace rs {

namespace {

bool reads_memory(const ZydisDecodedOperand& m) { return m.actions & ZYDIS_OPERAND_ACTION_MASK_READ; }
bool writes_memory(const ZydisDecodedOperand& m) { return m.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE; }

// Device registers are read and written in naturally sized pieces of up to 8 bytes.
void device_copy(MmioBus& bus, uint32_t phys, uint8_t* buf, uint32_t size, bool write) {
  for (uint32_t done = 0; done < size;) {
    uint32_t n = size - done >= 8 ? 8 : size - done >= 4 ? 4 : size - done >= 2 ? 2 : 1;
    if (write) {
      uint64_t v = 0;
      std::memcpy(&v, buf + done, n);
      bus.write(phys + done, int(n), v);
    } else {
      uint64_t v = bus.read(phys + done, int(n));
      std::memcpy(buf + done, &v, n);
    }
    done += n;
  }
}

}  // namespace

uint32_t helper_mmio_load(CpuState* cpu, uint32_t ea, const void* data) {
  Machine& m = *static_cast<Machine*>(cpu->machine);
  const Insn& in = *static_cast<const Insn*>(data);
  Ctx c{m, *cpu, in, ea};
  const ZydisDecodedOperand& op = *in.mem_operand();
  const uint32_t size = op.size / 8;
  const uint32_t lin = linear(*cpu, op.mem.segment, ea);
  if ((lin & (kPageSize - 1)) + size > kPageSize)
    return m.unsupported_insn(in, "a device-memory access across a page boundary");
  const bool w = writes_memory(op);
  WalkResult r = m.shadow().translate(lin, w, cpu->cpl == 3);
  if (!r.ok) {
    cpu->cr2 = lin;
    return raise(c, kPF, r.error, "page fault");
  }
  cpu->mmio_phys = r.phys;
  cpu->mmio_size = size;
  std::memset(cpu->mmio_buf, 0, sizeof cpu->mmio_buf);
  if (reads_memory(op)) {
    if (m.mem().contains(r.phys, size)) m.mem().read(r.phys, cpu->mmio_buf, size);
    else device_copy(m.mmio(), r.phys, cpu->mmio_buf, size, false);
  }
  return 0;
}

uint32_t helper_mmio_store(CpuState* cpu, uint32_t, const void*) {
  Machine& m = *static_cast<Machine*>(cpu->machine);
  if (m.mem().contains(cpu->mmio_phys, cpu->mmio_size)) m.mem().write(cpu->mmio_phys, cpu->mmio_buf, cpu->mmio_size);
  else device_copy(m.mmio(), cpu->mmio_phys, cpu->mmio_buf, cpu->mmio_size, true);
  return 0;
}

}  // namespace rs
