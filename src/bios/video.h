// The parts of int 10h that POST and the boot messages use too.
#pragma once
#include <cstdint>
#include <string_view>

namespace rs::bios {

class Call;

// Sets a text mode (00h-03h, 07h; bit 7 of `mode` keeps the screen's contents): the BDA
// video fields, the page, the cursor (position and shape) and a blank screen.
void video_set_mode(Call& c, uint8_t mode);
// Teletype output of one character on the active page (BEL, BS, CR and LF act, the
// screen scrolls at the bottom), copied to BiosConfig::console_copy when it is set.
void video_teletype(Call& c, uint8_t ch);
// video_teletype for each character; '\n' is sent as CR LF.
void video_print(Call& c, std::string_view text);

}  // namespace rs::bios
